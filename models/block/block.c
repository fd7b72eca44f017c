/*
 * block.c — a fixed sum from one commissioner to one provider for a
 * service, whatever its volume (RULES.md, module `block`).
 *
 *   - module: block
 *     name: community
 *     payee: RYY
 *     payer: C01
 *     amount: 4500000.00
 *     covers: provider == RYY and pod == COM
 *
 * The module claims the rows its `covers` matches (within its `valid`
 * range): they are paid for by the block (COVERED) and nobody else pays
 * them.  After the activity it emits one `block` line, payer → payee, of
 * the amount (rounded at the regime's scale, the difference booked to the
 * rounding component), with the number of rows it covered in the basis.
 *
 * Decisions (where RULES.md is silent):
 *  - The line is paid even if no row was covered: a block contract pays
 *    for capacity, not activity.  The basis then says "0 covered rows".
 *  - `covers` is optional: without it the block claims nothing and is a
 *    plain fixed payment.
 *  - The amount is not pro-rated by `valid`: it is the contract's sum.
 *    The amount must be ≥ 0.
 *  - A covered row delivered by a provider other than the payee is still
 *    covered (its provider receives nothing from this regime for it):
 *    write `covers` to name the provider, as the example does.
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct block {
	remit__module base;
	const char *payee, *payer;
	remit__num amount;
} block;

typedef struct bstate {
	uint64_t rows;
} bstate;

static const remit__key block_keys[] = {
	{"payee", true}, {"payer", true}, {"amount", true}, {"covers", false}, {NULL, false}};

static remit__module *block_parse(remit__loader *L, const yaml_node_t *map)
{
	block *b = remit__zalloc(remit__loader_arena(L), sizeof *b);
	remit__pred *covers = NULL;
	bool ok = remit__cfg_str(L, remit__cfg_get(L, map, "payee"), "block.payee", &b->payee);
	ok &= remit__cfg_str(L, remit__cfg_get(L, map, "payer"), "block.payer", &b->payer);
	yaml_node_t *an = remit__cfg_get(L, map, "amount"), *cn = remit__cfg_get(L, map, "covers");
	if (!remit__cfg_amount(L, an, "block.amount", &b->amount)) {
		ok = false;
	} else if (remit__num_sign(b->amount) < 0) {
		remit__rules_error(L, an, "block.amount: expected an amount ≥ 0, got %s",
				   remit__node_desc(L, an));
		ok = false;
	}
	if (cn)
		ok &= remit__cfg_pred(L, cn, "block.covers", &remit__activity_schema, &covers);
	b->base.covers = covers;
	return ok ? &b->base : NULL;
}

static void *block_run_begin(const remit__module *m, remit__ctx *cx)
{
	(void)m;
	(void)cx;
	return remit__xcalloc(1, sizeof(bstate));
}

static void block_run_end(const remit__module *m, void *state)
{
	(void)m;
	free(state);
}

/* Parts count their rows from zero; joining adds them up. */
static void *block_run_fork(const remit__module *m, remit__ctx *cx, void *state)
{
	(void)m;
	(void)cx;
	(void)state;
	return remit__xcalloc(1, sizeof(bstate));
}

static void block_run_join(const remit__module *m, remit__ctx *cx, void *state, void *part)
{
	bstate *s = state;
	const bstate *k = part;
	(void)m;
	(void)cx;
	if (s)
		s->rows += k->rows;
	free(part);
}

static remit__outcome block_price(const remit__module *m, remit__ctx *cx, const remit__row *row)
{
	const block *b = (const block *)m;
	bstate *s = remit__state(cx, m);
	s->rows++;
	REMIT__TRACE(cx, "  covered by the block contract: %s pays %s %s in total, whatever the "
			 "activity",
		     b->payer, b->payee, remit__fmt(cx, b->amount));
	(void)row;
	cx->funder = (remit__str){b->payee, (uint32_t)strlen(b->payee)};
	return REMIT__COVERED;
}

static void block_finish(const remit__module *m, remit__ctx *cx)
{
	const block *b = (const block *)m;
	bstate *s = remit__state(cx, m);
	remit__pline l;
	char basis[128];
	remit__pline_init(&l, m, "block");
	l.amount = remit__round_line(cx, b->amount);
	l.comp[REMIT_C_BLOCK] = b->amount;
	l.comp[REMIT_C_ROUNDING] = remit__num_sub(cx->pool, l.amount, b->amount);
	l.payer = (remit__str){b->payer, (uint32_t)strlen(b->payer)};
	l.payee = (remit__str){b->payee, (uint32_t)strlen(b->payee)};
	snprintf(basis, sizeof basis, "block contract %s; %llu covered rows",
		 remit__num_cmp(l.amount, b->amount) == 0 ? remit__fmt_money(cx, l.amount)
							  : remit__fmt(cx, b->amount),
		 (unsigned long long)s->rows);
	l.basis = basis;
	remit__emit(cx, &l);
}

const remit__module_type remit__block_module = {
	.version = REMIT__MODULE_VERSION,
	.name = "block",
	.keys = block_keys,
	.parse = block_parse,
	.run_begin = block_run_begin,
	.run_end = block_run_end,
	.price = block_price,
	.finish = block_finish,
	.run_fork = block_run_fork,
	.run_join = block_run_join,
};
