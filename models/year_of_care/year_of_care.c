/*
 * year_of_care.c — a per-person annual price for people with a long-term
 * condition (RULES.md, module `year_of_care`; the diabetes year-of-care
 * pilots).
 *
 * From the population file the module keeps the registration periods of
 * the people its `cohort` predicate accepts (budget.h: 28 bytes a period,
 * plus 8 here: holder, tier, what went wrong; and 4 bytes per patient of
 * the file for the per-patient chain).  Each kept period gets a tier (from
 * a column, or the first matching rule) and a holder (fixed, or the
 * person's practice looked up in a table).  After the activity:
 *
 *   budget = price(tier) × days registered in the period ÷ days in the
 *            period × MFF(holder)
 *
 * one `budget` line per person and (commissioner, holder): a person who
 * moves between practices of the same holder gets one line, the exact sum
 * of the periods, rounded once; a move to another holder gives each
 * holder its own line.  The activity the module `covers` is claimed only
 * for a cohort person registered on the row's start date; it is then paid
 * for by the budget (COVERED), and the holder pays other providers for it
 * through `subcontract`.
 *
 * Decisions (where RULES.md is silent):
 *  - A person in the cohort whose budget cannot be worked out (empty tier
 *    column, a tier with no price, no tier rule matching, a practice the
 *    holders table lacks) gets no budget line, and every row of theirs the
 *    module covers is UNPRICED with a reason naming the person, the
 *    population line and the problem ("person P7 (population line 9): no
 *    tier rule matches").  The rows are not left to the next module, which
 *    would pay them fee-for-service behind the budget's back.  (A module
 *    cannot reject a population row, which the engine owns: such a person
 *    with no covered activity shows only in `remit explain --id PERSON`.)
 *  - Cohort membership, tier and holder are decided per registration row
 *    (a person whose conditions differ between rows is in the cohort only
 *    for the rows that match).
 *  - Every organisation the holder can be (the fixed code, or every value
 *    of the holders table) must have a market forces factor (or the mff
 *    table a default): checked when the rules are loaded.
 *  - `prorate: days` needs the regime's `period`: a rule-file error
 *    otherwise.  The days counted are those of the registration inside the
 *    period and inside the module's `valid` range (so a module valid for
 *    half the year pays half); the divisor is the days of the whole period.
 *    A period with no day inside gets no line.
 *  - Without `prorate` the annual price is paid once per person, in full,
 *    to the holder of their latest cohort registration (by `from`) that
 *    meets the period; that holder pays the subcontracts for all of the
 *    person's covered activity.
 *  - `tier` is `{from: tier}`, `{rules: [...]}` or the list of rules
 *    itself; every tier a rule names must have a price.  Tiers are text,
 *    matched exactly against the keys of `prices`.  Prices are ≥ 0; a
 *    holders table may not map a practice to an empty code.
 *  - Budget lines come in the order of the people's first appearance in
 *    the population file.
 *  - Covered activity is paid by the budget whatever commissioner the
 *    activity row names; the budget's payer is the person's commissioner.
 *  - A covered row delivered by another provider whose subcontract price
 *    cannot be worked out (no price in `price_with`) is UNPRICED with the
 *    reason: the provider's payment is missing, and that must show.
 */
#include "budget.h"
#include "subcontract.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum problem { FINE, NO_TIER, TIER_UNPRICED, NO_RULE, NO_HOLDER };

typedef struct tier_rule {
	remit__pred *when;
	uint16_t tier;
} tier_rule;

typedef struct yoc {
	remit__module base;
	remit__pred *cohort, *covers;
	int tier_field; /* population column, or -1 for rules */
	tier_rule *rules;
	size_t nrules;
	remit__strtab tiers; /* tier name → index in prices */
	remit__num *prices;
	const char *holder; /* fixed holder, or NULL */
	const remit__table *holders;
	bool prorate;
	remit__mff mff;
	remit__subcontract sc;
} yoc;

/* What the module knows of a kept period besides the registration: 8 bytes. */
typedef struct yfact {
	uint32_t holder; /* organisation id; for TIER_UNPRICED the tier's id in bad_tiers */
	uint16_t tier;
	uint8_t problem;
	uint8_t rule; /* 1-based tier rule that matched, 0 for the column */
} yfact;

typedef struct ystate {
	remit__regs regs;
	yfact *fact;
	uint32_t cap;
	uint32_t *holder_org; /* by holders table row */
	uint32_t fixed_org;
	remit__strtab bad_tiers;
	remit__window w;
	remit__hit hit; /* the row claims() last accepted */
	uint32_t *scratch; /* a person's periods, for finish */
	size_t nscratch;
	bool shared; /* a part's state (run_fork): everything but hit is the run's */
} ystate;

static const remit__key yoc_keys[] = {
	{"cohort", true}, {"tier", true},     {"prices", true},      {"holder", true},
	{"covers", true}, {"prorate", false}, {"mff", false},        {"subcontract", false},
	{NULL, false}};

/* ---- parsing --------------------------------------------------------------- */

static const char *sub(remit__loader *L, const char *ctx, const char *key)
{
	return remit__sprintf(remit__loader_arena(L), "%s.%s", ctx, key);
}

static bool parse_prices(remit__loader *L, yoc *y, const yaml_node_t *n, const char *ctx)
{
	if (!n || n->type != YAML_MAPPING_NODE ||
	    n->data.mapping.pairs.top == n->data.mapping.pairs.start) {
		remit__rules_error(L, n, "%s: expected a mapping of tier to price such as "
					 "{\"1\": 520.00, \"2\": 890.00}, got %s",
				   ctx, remit__node_desc(L, n));
		return false;
	}
	size_t k = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (k > UINT16_MAX) {
		remit__rules_error(L, n, "%s: more than %d tiers", ctx, UINT16_MAX);
		return false;
	}
	y->prices = remit__alloc(remit__loader_arena(L), k * sizeof *y->prices);
	bool ok = true;
	for (size_t i = 0; i < k; i++) {
		yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
		const char *tier;
		if (!remit__cfg_str(L, yaml_document_get_node(L->doc, p->key), ctx, &tier)) {
			ok = false;
			continue;
		}
		uint32_t id = remit__intern(&y->tiers, tier, strlen(tier));
		yaml_node_t *v = yaml_document_get_node(L->doc, p->value);
		const char *c = remit__sprintf(remit__loader_arena(L), "%s.%s", ctx, tier);
		if (!remit__cfg_amount(L, v, c, &y->prices[id])) {
			ok = false;
		} else if (remit__num_sign(y->prices[id]) < 0) {
			remit__rules_error(L, v, "%s: expected a price ≥ 0, got %s", c,
					   remit__node_desc(L, v));
			ok = false;
		}
	}
	return ok;
}

static bool parse_rules(remit__loader *L, yoc *y, const yaml_node_t *n, const char *ctx)
{
	static const remit__key keys[] = {{"when", true}, {"tier", true}, {NULL, false}};
	size_t k = n && n->type == YAML_SEQUENCE_NODE
			   ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
			   : 0;
	if (k == 0 || k > 255) {
		remit__rules_error(L, n, "%s: expected a list of 1 to 255 rules {when, tier}, got %s",
				   ctx, remit__node_desc(L, n));
		return false;
	}
	y->rules = remit__zalloc(remit__loader_arena(L), k * sizeof *y->rules);
	y->nrules = k;
	bool ok = true;
	for (size_t i = 0; i < k; i++) {
		yaml_node_t *e = yaml_document_get_node(L->doc, n->data.sequence.items.start[i]);
		const char *c = remit__sprintf(remit__loader_arena(L), "%s[%zu]", ctx, i);
		const char *tier;
		if (!remit__cfg_keys(L, e, keys, c)) {
			ok = false;
			continue;
		}
		ok &= remit__cfg_pred(L, remit__cfg_get(L, e, "when"), sub(L, c, "when"),
				      &remit__population_schema, &y->rules[i].when);
		yaml_node_t *tn = remit__cfg_get(L, e, "tier");
		if (!remit__cfg_str(L, tn, sub(L, c, "tier"), &tier)) {
			ok = false;
			continue;
		}
		uint32_t id = remit__strtab_find(&y->tiers, tier, strlen(tier));
		if (id == REMIT__NONE && y->prices) {
			remit__rules_error(L, tn, "%s.tier: no price for tier %s in year_of_care.prices",
					   c, remit__node_desc(L, tn));
			ok = false;
		}
		y->rules[i].tier = (uint16_t)id;
	}
	return ok;
}

static bool parse_tier(remit__loader *L, yoc *y, const yaml_node_t *n)
{
	static const remit__key keys[] = {{"from", false}, {"rules", false}, {NULL, false}};
	const char *ctx = "year_of_care.tier";
	y->tier_field = -1;
	if (n->type == YAML_SEQUENCE_NODE)
		return parse_rules(L, y, n, ctx);
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	yaml_node_t *rules = remit__cfg_get(L, n, "rules");
	if (!!rules == !!remit__cfg_get(L, n, "from")) {
		remit__rules_error(L, n, "%s: expected {from: tier} or {rules: [{when, tier}, ...]}",
				   ctx);
		return false;
	}
	if (rules)
		return parse_rules(L, y, rules, "year_of_care.tier.rules");
	return remit__budget_column(L, n, ctx, REMIT__T_STR, "tier", &y->tier_field);
}

static bool parse_holder(remit__loader *L, yoc *y, const yaml_node_t *n)
{
	static const remit__key keys[] = {{"table", true}, {NULL, false}};
	const char *ctx = "year_of_care.holder";
	if (n->type == YAML_SCALAR_NODE)
		return remit__cfg_str(L, n, ctx, &y->holder);
	if (n->type != YAML_MAPPING_NODE) {
		remit__rules_error(L, n, "%s: expected an organisation code or {table: NAME}, got %s",
				   ctx, remit__node_desc(L, n));
		return false;
	}
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	y->holders = remit__cfg_table_ref(L, remit__cfg_get(L, n, "table"), sub(L, ctx, "table"));
	if (y->holders && y->holders->value < 0) {
		remit__rules_error(L, n, "%s: table '%s' has no value column (give it 'column:')",
				   ctx, y->holders->name);
		y->holders = NULL;
	}
	const remit__table *t = y->holders;
	for (uint32_t r = 0; t && r < t->nrows; r++) {
		if (*remit__table_cell(t, r, (uint32_t)t->value))
			continue;
		unsigned long line, col;
		remit__table_pos(t, r, (uint32_t)t->value, &line, &col);
		remit__rules_error_at(L, (remit__mark){t->cells_file, line, col},
				      "%s: table %s: no holder for practice %s", ctx, t->name,
				      remit__table_cell(t, r, (uint32_t)t->key));
		return false;
	}
	return y->holders != NULL;
}

/* Every organisation the holder can be must have a market forces factor. */
static bool check_holder_mff(remit__loader *L, const yoc *y, const yaml_node_t *n)
{
	if (!y->mff.table)
		return true;
	if (y->holder)
		return remit__mff_check(L, &y->mff, n, "year_of_care.mff", y->holder);
	bool ok = true;
	for (uint32_t r = 0; r < y->holders->nrows && ok; r++)
		ok = remit__mff_check(
			L, &y->mff, n, "year_of_care.mff",
			remit__table_cell(y->holders, r, (uint32_t)y->holders->value));
	return ok;
}

static remit__module *yoc_parse(remit__loader *L, const yaml_node_t *map)
{
	yoc *y = remit__zalloc(remit__loader_arena(L), sizeof *y);
	yaml_node_t *n;
	bool ok = remit__cfg_pred(L, remit__cfg_get(L, map, "cohort"), "year_of_care.cohort",
				  &remit__population_schema, &y->cohort);
	ok &= parse_prices(L, y, remit__cfg_get(L, map, "prices"), "year_of_care.prices");
	ok &= parse_tier(L, y, remit__cfg_get(L, map, "tier"));
	bool holder_ok = parse_holder(L, y, remit__cfg_get(L, map, "holder"));
	ok &= holder_ok;
	ok &= remit__cfg_pred(L, remit__cfg_get(L, map, "covers"), "year_of_care.covers",
			      &remit__activity_schema, &y->covers);
	if ((n = remit__cfg_get(L, map, "prorate")))
		ok &= remit__budget_prorate(L, n, "year_of_care.prorate", &y->prorate);
	if ((n = remit__cfg_get(L, map, "mff"))) {
		bool mff_ok = remit__mff_parse(L, n, "year_of_care.mff", NULL, &y->mff);
		ok &= mff_ok && holder_ok && check_holder_mff(L, y, n);
	}
	if ((n = remit__cfg_get(L, map, "subcontract")))
		ok &= remit__subcontract_parse(L, n, "year_of_care.subcontract", &y->sc);
	y->base.covers = y->covers;
	y->base.wants_population = true;
	if (!ok) {
		remit__strtab_free(&y->tiers);
		return NULL;
	}
	return &y->base;
}

static void yoc_link(remit__module *m, remit__loader *L)
{
	remit__subcontract_link(L, &((yoc *)m)->sc, "year_of_care.subcontract");
}

static void yoc_free(remit__module *m)
{
	remit__strtab_free(&((yoc *)m)->tiers);
}

/* ---- the population ------------------------------------------------------------ */

static void *yoc_run_begin(const remit__module *m, remit__ctx *cx)
{
	const yoc *y = (const yoc *)m;
	ystate *s = remit__xcalloc(1, sizeof *s);
	s->w = remit__budget_window(m, cx->regime);
	if (y->holder) {
		s->fixed_org = remit__org_id(cx, (remit__str){y->holder, (uint32_t)strlen(y->holder)});
	} else {
		s->holder_org = remit__xmalloc((y->holders->nrows + 1) * sizeof *s->holder_org);
		for (uint32_t r = 0; r < y->holders->nrows; r++) {
			const char *h = remit__table_cell(y->holders, r, (uint32_t)y->holders->value);
			s->holder_org[r] = remit__org_id(cx, (remit__str){h, (uint32_t)strlen(h)});
		}
	}
	return s;
}

static void yoc_run_end(const remit__module *m, void *state)
{
	ystate *s = state;
	(void)m;
	remit__regs_free(&s->regs);
	remit__strtab_free(&s->bad_tiers);
	free(s->fact);
	free(s->holder_org);
	free(s->scratch);
	free(s);
}

/* A part's state: pricing only reads the cohort; the claims-to-price
 * memo is the part's own. */
static void *yoc_run_fork(const remit__module *m, remit__ctx *cx, void *state)
{
	ystate *k = remit__xmalloc(sizeof *k);
	(void)m;
	(void)cx;
	*k = *(const ystate *)state;
	k->hit = (remit__hit){0, 0};
	k->scratch = NULL;
	k->nscratch = 0;
	k->shared = true;
	return k;
}

static void yoc_run_join(const remit__module *m, remit__ctx *cx, void *state, void *part)
{
	(void)m;
	(void)cx;
	(void)state;
	free(part); /* nothing accumulates while pricing */
}

/* The tier of a cohort person's row; false (problem set) if none. */
static bool tier_of(const yoc *y, remit__ctx *cx, ystate *s, const remit__row *p, yfact *f)
{
	if (y->tier_field >= 0) {
		remit__str t = p->f[y->tier_field].s;
		uint32_t id = t.n ? remit__strtab_find(&y->tiers, t.p, t.n) : REMIT__NONE;
		if (id == REMIT__NONE) {
			f->problem = t.n ? TIER_UNPRICED : NO_TIER;
			if (t.n)
				f->holder = remit__intern(&s->bad_tiers, t.p, t.n);
			return false;
		}
		f->tier = (uint16_t)id;
		return true;
	}
	for (size_t i = 0; i < y->nrules; i++)
		if (remit__pred_eval(y->rules[i].when, p, cx->pattr_map)) {
			f->tier = y->rules[i].tier;
			f->rule = (uint8_t)(i + 1);
			return true;
		}
	f->problem = NO_RULE;
	return false;
}

static void yoc_person(const remit__module *m, remit__ctx *cx, const remit__row *p)
{
	const yoc *y = (const yoc *)m;
	ystate *s = remit__state(cx, m);
	if (!remit__pred_eval(y->cohort, p, cx->pattr_map))
		return;
	uint32_t i = remit__regs_add(&s->regs, cx, p);
	remit__regs_grow(&s->regs, (void **)&s->fact, &s->cap, sizeof *s->fact);
	yfact *f = &s->fact[i];
	memset(f, 0, sizeof *f);
	if (!tier_of(y, cx, s, p, f))
		return;
	if (y->holder) {
		f->holder = s->fixed_org;
		return;
	}
	remit__str practice = p->f[REMIT__P_PRACTICE].s;
	int64_t r = remit__table_find(y->holders, practice.p, practice.n);
	if (r < 0)
		f->problem = NO_HOLDER;
	else
		f->holder = s->holder_org[r];
}

/* ---- covered activity ----------------------------------------------------------- */

static remit__str patient_of(const remit__ctx *cx, const remit__reg *g)
{
	return (remit__str){cx->patients->strs[g->patient], cx->patients->lens[g->patient]};
}

/* The period whose holder gets the budget that covers period i. */
static uint32_t budget_period(const yoc *y, const ystate *s, uint32_t i)
{
	return y->prorate ? i : remit__regs_latest(&s->regs, i, &s->w);
}

/* Why period i has no budget, as text. */
static const char *problem_text(const yoc *y, remit__ctx *cx, const ystate *s, uint32_t i)
{
	const yfact *f = &s->fact[i];
	char *b = cx->fmt[cx->fmt_next++ % 8];
	remit__str pr = remit__org_name(cx, s->regs.v[i].practice);
	switch (f->problem) {
	case NO_TIER:
		return "no tier (the tier column is empty)";
	case TIER_UNPRICED:
		snprintf(b, REMIT__NUM_BUF, "tier \"%.60s\" has no price", s->bad_tiers.strs[f->holder]);
		return b;
	case NO_RULE:
		return "no tier rule matches";
	case NO_HOLDER:
		snprintf(b, REMIT__NUM_BUF, "practice %.*s has no holder in table %s",
			 (int)(pr.n > 40 ? 40 : pr.n), pr.p, y->holders->name);
		return b;
	}
	return "";
}

static bool yoc_claims(const remit__module *m, remit__ctx *cx, const remit__row *row)
{
	const yoc *y = (const yoc *)m;
	ystate *s = remit__state(cx, m);
	return remit__budget_claims(m, cx, row, y->covers, &s->regs, "cohort", &s->hit);
}

static bool yoc_member(const remit__module *m, remit__ctx *cx, const remit__row *row)
{
	ystate *s = remit__state(cx, m);
	return remit__regs_at(&s->regs, cx, row->f[REMIT__A_PATIENT].s,
			      row->f[REMIT__A_START].i) != REMIT__NONE;
}

static remit__outcome yoc_price(const remit__module *m, remit__ctx *cx, const remit__row *row)
{
	const yoc *y = (const yoc *)m;
	ystate *s = remit__state(cx, m);
	uint32_t i = remit__budget_claimed(&s->regs, cx, row, &s->hit);
	const remit__reg *g = &s->regs.v[i];
	remit__str pat = patient_of(cx, g);
	REMIT__TRACE(cx, "  person %.*s registered %s at %s (population line %u): in the cohort",
		     (int)pat.n, pat.p, remit__reg_dates(cx, g),
		     remit__org_name(cx, g->practice).p, g->line);
	uint32_t b = budget_period(y, s, i);
	if (s->fact[b].problem)
		return remit__unpriced(cx, "%s: person %.*s (population line %u): %s; no budget",
				       m->name, (int)pat.n, pat.p, s->regs.v[b].line,
				       problem_text(y, cx, s, b));
	remit__str holder = remit__org_name(cx, s->fact[b].holder);
	REMIT__TRACE(cx, "  covered by the year-of-care budget held by %.*s", (int)holder.n,
		     holder.p);
	bool due = y->sc.on && y->sc.price_with &&
		   !remit__str_same(row->f[REMIT__A_PROVIDER].s, holder);
	if (!remit__subcontract_pay(m, cx, &y->sc, row, holder) && due) {
		char why[sizeof cx->reason];
		snprintf(why, sizeof why, "%s", cx->reason);
		return remit__unpriced(cx, "covered by %s (holder %.*s), but the subcontract cannot "
					   "be priced: %s",
				       m->name, (int)holder.n, holder.p, why);
	}
	cx->funder = holder;
	return REMIT__COVERED;
}

/* ---- budget lines ------------------------------------------------------------------ */

static void basis_add(char *b, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void basis_add(char *b, size_t cap, size_t *len, const char *fmt, ...)
{
	if (*len >= cap - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

/* One budget line for periods idx[0..k) of a person (one payer, one holder). */
static void pay(const yoc *y, const remit__module *m, remit__ctx *cx, ystate *s,
		const uint32_t *idx, size_t k)
{
	const remit__reg *g0 = &s->regs.v[idx[0]];
	remit__str holder = remit__org_name(cx, s->fact[idx[0]].holder);
	remit__num base = REMIT__NUM_ZERO;
	char basis[sizeof cx->basis];
	size_t blen = 0;
	basis[0] = '\0';
	for (size_t j = 0; j < k; j++) {
		const remit__reg *g = &s->regs.v[idx[j]];
		const yfact *f = &s->fact[idx[j]];
		remit__num price = y->prices[f->tier], part = price;
		const char *tier = y->tiers.strs[f->tier];
		if (y->prorate) {
			int64_t days = remit__reg_days(g, &s->w);
			part = remit__num_div(cx->pool,
					      remit__num_mul(cx->pool, price, remit__num_int(days)),
					      remit__num_int(s->w.year));
			REMIT__TRACE(cx, "    tier %s: %s × %lld/%lld days = %s", tier,
				     remit__fmt_money(cx, price), (long long)days,
				     (long long)s->w.year, remit__fmt(cx, part));
			if (cx->detail)
				basis_add(basis, sizeof basis, &blen, "%stier %s %s × %lld/%lld days",
					  j ? " + " : "", tier, remit__fmt_money(cx, price),
					  (long long)days, (long long)s->w.year);
		} else {
			REMIT__TRACE(cx, "    tier %s: annual price %s (no pro-rating)", tier,
				     remit__fmt_money(cx, price));
			if (cx->detail)
				basis_add(basis, sizeof basis, &blen, "tier %s %s", tier,
					  remit__fmt_money(cx, price));
		}
		base = remit__num_add(cx->pool, base, part);
	}
	remit__num mff = REMIT__NUM_ONE, exact = base;
	if (y->mff.table) {
		remit__mff_of(&y->mff, holder.p, holder.n, &mff, NULL); /* checked at load */
		exact = remit__num_mul(cx->pool, base, mff);
		REMIT__TRACE(cx, "    market forces: %s × %s (holder %.*s) = %s", remit__fmt(cx, base),
			     remit__fmt(cx, mff), (int)holder.n, holder.p, remit__fmt(cx, exact));
		if (cx->detail)
			basis_add(basis, sizeof basis, &blen, "; ×MFF %s", remit__fmt(cx, mff));
	}
	remit__pline l;
	remit__pline_init(&l, m, "budget");
	l.amount = remit__round_line(cx, exact);
	REMIT__TRACE(cx, "    exact %s → %s (scale %d, %s)", remit__fmt(cx, exact),
		     remit__fmt_money(cx, l.amount), cx->regime->scale,
		     remit__rmode_name(cx->regime->mode));
	l.comp[REMIT_C_BUDGET] = base;
	l.comp[REMIT_C_MARKET_FORCES] = remit__num_sub(cx->pool, exact, base);
	l.comp[REMIT_C_ROUNDING] = remit__num_sub(cx->pool, l.amount, exact);
	l.payer = remit__org_name(cx, g0->payer);
	l.payee = holder;
	l.patient = patient_of(cx, g0);
	l.basis = basis;
	remit__emit(cx, &l);
}

/* Does period i earn a budget of its own? */
static bool payable(const yoc *y, const ystate *s, uint32_t i)
{
	if (s->fact[i].problem)
		return false;
	return y->prorate ? remit__reg_days(&s->regs.v[i], &s->w) > 0
			  : remit__reg_in_window(&s->regs.v[i], &s->w);
}

static int cmp_group(const void *a, const void *b, void *state)
{
	const ystate *s = state;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	const remit__reg *x = &s->regs.v[i], *y = &s->regs.v[j];
	if (x->payer != y->payer)
		return x->payer < y->payer ? -1 : 1;
	if (s->fact[i].holder != s->fact[j].holder)
		return s->fact[i].holder < s->fact[j].holder ? -1 : 1;
	return (x->from > y->from) - (x->from < y->from);
}

/* The budget lines of one patient: v[0..n) are their periods. */
static size_t pay_patient(const yoc *y, const remit__module *m, remit__ctx *cx, ystate *s,
			  uint32_t *v, size_t n)
{
	size_t lines = 0;
	if (!y->prorate) {
		uint32_t b = budget_period(y, s, v[0]);
		if (payable(y, s, b)) {
			pay(y, m, cx, s, &b, 1);
			lines++;
		}
		return lines;
	}
	/* the payable periods, by (payer, holder) and date: a line per run */
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (payable(y, s, v[i]))
			v[k++] = v[i];
	if (k > 1)
		qsort_r(v, k, sizeof *v, cmp_group, s);
	for (size_t i = 0, j; i < k; i = j) {
		for (j = i + 1; j < k && s->regs.v[v[j]].payer == s->regs.v[v[i]].payer &&
				s->fact[v[j]].holder == s->fact[v[i]].holder;
		     j++)
			;
		pay(y, m, cx, s, v + i, j - i);
		lines++;
	}
	return lines;
}

static void yoc_finish(const remit__module *m, remit__ctx *cx)
{
	const yoc *y = (const yoc *)m;
	ystate *s = remit__state(cx, m);
	for (uint32_t p = 0; p < s->regs.nheads; p++) {
		size_t n = remit__regs_of(&s->regs, p, &s->scratch, &s->nscratch);
		if (n)
			pay_patient(y, m, cx, s, s->scratch, n);
		remit__numpool_reset(cx->pool);
	}
}

/* ---- explain a person ---------------------------------------------------------- */

static bool yoc_explain_person(const remit__module *m, remit__ctx *cx, remit__str person)
{
	const yoc *y = (const yoc *)m;
	ystate *s = remit__state(cx, m);
	uint32_t p = remit__patient_find(cx, person);
	if (p == REMIT__NONE)
		return false;
	size_t n = remit__regs_of(&s->regs, p, &s->scratch, &s->nscratch);
	uint32_t *v = s->scratch;
	REMIT__TRACE(cx, "module %s (year_of_care): person %.*s", m->name, (int)person.n,
		     person.p);
	if (n == 0) {
		REMIT__TRACE(cx, "  no registration in the cohort (%s): no budget",
			     remit__pred_source(y->cohort));
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		const remit__reg *g = &s->regs.v[v[i]];
		const yfact *f = &s->fact[v[i]];
		remit__str pr = remit__org_name(cx, g->practice), payer = remit__org_name(cx, g->payer);
		REMIT__TRACE(cx, "  registration %s at %.*s, commissioner %.*s (population line %u): "
				 "in the cohort (%s)",
			     remit__reg_dates(cx, g), (int)pr.n, pr.p, (int)payer.n, payer.p, g->line,
			     remit__pred_source(y->cohort));
		if (f->problem) {
			REMIT__TRACE(cx, "    no budget: %s", problem_text(y, cx, s, v[i]));
			continue;
		}
		const char *tier = y->tiers.strs[f->tier];
		if (f->rule)
			REMIT__TRACE(cx, "    tier %s (rule %u: %s) → price %s", tier, f->rule,
				     remit__pred_source(y->rules[f->rule - 1].when),
				     remit__fmt_money(cx, y->prices[f->tier]));
		else
			REMIT__TRACE(cx, "    tier %s (%s column) → price %s", tier,
				     remit__population_schema.fields[y->tier_field].name,
				     remit__fmt_money(cx, y->prices[f->tier]));
		remit__str h = remit__org_name(cx, f->holder);
		if (y->holder)
			REMIT__TRACE(cx, "    holder %.*s (fixed)", (int)h.n, h.p);
		else
			REMIT__TRACE(cx, "    holder %.*s (practice %.*s in table %s)", (int)h.n, h.p,
				     (int)pr.n, pr.p, y->holders->name);
		if (y->prorate) {
			char a[11], b[11];
			remit__date_format(s->w.from, a);
			remit__date_format(s->w.to, b);
			REMIT__TRACE(cx, "    prorate: %lld days registered in %s to %s, of %lld",
				     (long long)remit__reg_days(g, &s->w), a, b, (long long)s->w.year);
		}
	}
	if (!y->prorate) {
		uint32_t b = budget_period(y, s, v[0]);
		if (remit__reg_in_window(&s->regs.v[b], &s->w))
			REMIT__TRACE(cx, "  no pro-rating: the annual price is paid once, for the "
					 "registration from line %u",
				     s->regs.v[b].line);
	}
	REMIT__TRACE(cx, "  budget lines:");
	if (pay_patient(y, m, cx, s, v, n) == 0)
		REMIT__TRACE(cx, "    none");
	return true;
}

const remit__module_type remit__year_of_care_module = {
	.version = REMIT__MODULE_VERSION,
	.name = "year_of_care",
	.keys = yoc_keys,
	.parse = yoc_parse,
	.link = yoc_link,
	.claims = yoc_claims,
	.member = yoc_member,
	.run_begin = yoc_run_begin,
	.run_end = yoc_run_end,
	.person = yoc_person,
	.person_state_only = true,
	.price = yoc_price,
	.finish = yoc_finish,
	.free = yoc_free,
	.explain_person = yoc_explain_person,
	.run_fork = yoc_run_fork,
	.run_join = yoc_run_join,
};
