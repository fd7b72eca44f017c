/*
 * capitation.c — a budget for a registered population, held by a lead
 * provider or integrated care organisation (RULES.md, module `capitation`).
 *
 * From the population file the module keeps the registration periods its
 * `population` predicate accepts (budget.h: 28 bytes a period) and, in
 * parallel arrays, what makes each person's share: the need index (8 + 1
 * bytes), the weight cell (sex × age band, 1 byte) and the age (1 byte):
 * 39 bytes a period, plus 4 bytes per patient of the file for the
 * per-patient chain.  A person's exact share of the budget is
 *
 *   rate × weight(sex, age band) × need × days registered ÷ days in the
 *   period × MFF(holder)
 *
 * and is kept as those factors, from which it is recomputed exactly when
 * wanted (explain shows it): no rational is stored per person.  The budget
 * is one `budget` line per (commissioner, holder): rate × MFF ÷ days ×
 * Σ weight × need × days, summed exactly over the commissioner's people
 * (integer adds while the sum fits) and rounded once, so it equals the
 * sum of the exact shares.
 *
 * Activity the module `covers` is claimed for a person registered (in a
 * period the predicate accepted) on the row's start date: it is paid for
 * by the budget (COVERED), and the holder pays other providers for it
 * through `subcontract`.  With `risk_share`, the module also adds up the
 * shadow value of the covered rows (each quoted by `shadow_with` and
 * rounded, as that module would pay it) or their `cost`, per commissioner,
 * and after the budget line pays to (shadow above the corridor) or
 * recovers from (below it) the holder `share` of the difference beyond
 * the corridor, limited to `cap` × budget: a `risk_share` line.
 *
 * Decisions (where RULES.md is silent):
 *  - weights must give M, F and U, each with one weight per band; bands
 *    start at 0 and ascend.  A person of sex U is weighted by the U row; a
 *    regime that leaves U out is a rule-file error, so no person can fall
 *    outside the table.  Weights are ≥ 0.
 *  - `need: {from: need}` reads the population's need column (default 1
 *    for an empty cell, as DATA.md says); without the `need` key every
 *    person's need is 1, whatever the file holds.
 *  - `holder` is one organisation; its market forces factor is looked up
 *    once, when the rules are loaded (`mff: {provider: holder, table: T}`;
 *    `provider` may only be `holder`), and a missing one is a rule-file
 *    error unless the table has a default.
 *  - Pro-rating and the budget window are those of year_of_care (budget.h):
 *    `prorate: days` needs the regime's `period`; days outside the period
 *    or the module's `valid` range earn nothing.  Without `prorate`, each
 *    person counts once, with the weight and need of their latest accepted
 *    registration (by `from`) that meets the period, towards that
 *    registration's commissioner.
 *  - The commissioner of covered activity (for the risk share) is the
 *    commissioner of the budget that covers it (the person's), not the
 *    activity row's.
 *  - The risk share compares the budget line as paid (rounded) with the
 *    shadow value; within the corridor there is no line.  A covered row
 *    that shadow_with cannot price (or with no `cost`) adds nothing and is
 *    counted in the line's basis ("2 covered rows without a shadow price").
 *  - A covered row delivered by another provider whose subcontract price
 *    cannot be worked out is UNPRICED with the reason (as in year_of_care);
 *    its shadow value still counts towards the risk share.
 *  - Nothing about a person can fail at run time (every sex and age has a
 *    weight, the holder's factor is known at load), so every accepted
 *    registration with a day in the window earns its share.
 *  - Budget and risk-share lines come in commissioner order (by name);
 *    the risk-share line's component is risk_share, its payer the
 *    commissioner, its payee the holder (negative: recovered).
 *  - The per-person exact shares are not lines: `remit explain --id
 *    PERSON` shows each, with the budget line it is part of.
 */
#include "budget.h"
#include "subcontract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SEX_M, SEX_F, SEX_U, NSEX };
static const char *const sex_names[NSEX] = {"M", "F", "U"};
#define MAX_BANDS 80 /* 3 × 80 weight cells fit a byte */
#define NEED_BIG INT8_MIN

typedef struct risk {
	bool on, against_cost;
	const char *shadow_name;
	const remit__module *shadow;
	remit__mark shadow_mark;
	remit__num corridor, share, cap;
	bool has_cap;
} risk;

typedef struct capitation {
	remit__module base;
	const char *holder;
	remit__pred *population, *covers;
	remit__num rate;
	int64_t bands[MAX_BANDS];
	size_t nbands;
	remit__num weights[NSEX][MAX_BANDS];
	int need_field; /* -1: need 1 */
	bool prorate;
	remit__mff mff;
	remit__num holder_mff;
	remit__subcontract sc;
	risk rs;
} capitation;

/* Money per commissioner. */
typedef struct group {
	uint32_t payer;
	uint32_t people;  /* periods that earn a share */
	remit__xsum units;  /* Σ weight × need × days (× 1 without prorate) */
	remit__xsum shadow; /* Σ shadow value or cost of covered rows */
	uint64_t rows, unvalued;
} group;

typedef struct cstate {
	remit__regs regs;
	int64_t *need_coef; /* need = coef × 10^-exp, or bigs[coef] when exp == NEED_BIG */
	int8_t *need_exp;
	uint8_t *cell; /* sex × nbands + band */
	uint8_t *age;
	uint32_t cap[4];
	remit__numpool *bigs_pool;
	remit__num *bigs;
	size_t nbigs;
	remit__window w;
	uint32_t holder_org;
	group *groups;
	uint32_t ngroups;
	uint32_t *group_of; /* by payer org id: index + 1 */
	uint32_t ngroup_of;
	bool accumulated;
	const remit__strtab *orgs; /* for sorting groups by commissioner */
	remit__hit hit; /* the row claims() last accepted */
	bool shared; /* a part's state (run_fork): the population is the run's */
} cstate;

static const remit__key cap_keys[] = {
	{"holder", true}, {"population", true}, {"rate", true},        {"weights", true},
	{"covers", true}, {"need", false},      {"prorate", false},    {"mff", false},
	{"subcontract", false}, {"risk_share", false}, {NULL, false}};

/* ---- parsing ----------------------------------------------------------------- */

static const char *sub(remit__loader *L, const char *ctx, const char *key)
{
	return remit__sprintf(remit__loader_arena(L), "%s.%s", ctx, key);
}

static size_t seq_len(const yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE
		       ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
		       : 0;
}

static yaml_node_t *item(remit__loader *L, const yaml_node_t *seq, size_t i)
{
	return yaml_document_get_node(L->doc, seq->data.sequence.items.start[i]);
}

static bool parse_bands(remit__loader *L, capitation *c, const yaml_node_t *n, const char *ctx)
{
	size_t k = seq_len(n);
	if (k == 0 || k > MAX_BANDS) {
		remit__rules_error(L, n, "%s: expected a list of 1 to %d ages (the bands' lower "
					 "bounds, from 0), got %s",
				   ctx, MAX_BANDS, remit__node_desc(L, n));
		return false;
	}
	bool ok = true;
	for (size_t i = 0; i < k && ok; i++) {
		yaml_node_t *e = item(L, n, i);
		const char *ci = remit__sprintf(remit__loader_arena(L), "%s[%zu]", ctx, i);
		ok = remit__cfg_int(L, e, ci, 0, 130, &c->bands[i]);
		if (ok && i == 0 && c->bands[0] != 0) {
			remit__rules_error(L, e, "%s: the first band must start at age 0, got %lld", ci,
					   (long long)c->bands[0]);
			ok = false;
		}
		if (ok && i > 0 && c->bands[i] <= c->bands[i - 1]) {
			remit__rules_error(L, e, "%s: expected an age above %lld (bands ascend), got %lld",
					   ci, (long long)c->bands[i - 1], (long long)c->bands[i]);
			ok = false;
		}
	}
	c->nbands = k;
	return ok;
}

static bool parse_weights(remit__loader *L, capitation *c, const yaml_node_t *n)
{
	static const remit__key keys[] = {
		{"bands", true}, {"M", true}, {"F", true}, {"U", true}, {NULL, false}};
	const char *ctx = "capitation.weights";
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	if (!parse_bands(L, c, remit__cfg_get(L, n, "bands"), sub(L, ctx, "bands")))
		return false;
	bool ok = true;
	for (int s = 0; s < NSEX; s++) {
		yaml_node_t *row = remit__cfg_get(L, n, sex_names[s]);
		const char *cs = sub(L, ctx, sex_names[s]);
		if (seq_len(row) != c->nbands) {
			remit__rules_error(L, row, "%s: expected %zu weights (one per band), got %s", cs,
					   c->nbands,
					   row && row->type == YAML_SEQUENCE_NODE
						   ? remit__sprintf(remit__loader_arena(L), "%zu",
								    seq_len(row))
						   : remit__node_desc(L, row));
			ok = false;
			continue;
		}
		for (size_t i = 0; i < c->nbands; i++) {
			yaml_node_t *e = item(L, row, i);
			const char *ci = remit__sprintf(remit__loader_arena(L), "%s[%zu]", cs, i);
			if (!remit__cfg_num(L, e, ci, REMIT__PARSE_DECIMAL | REMIT__PARSE_RATIONAL,
					    &c->weights[s][i])) {
				ok = false;
			} else if (remit__num_sign(c->weights[s][i]) < 0) {
				remit__rules_error(L, e, "%s: expected a weight ≥ 0, got %s", ci,
						   remit__node_desc(L, e));
				ok = false;
			}
		}
	}
	return ok;
}

/* A rate ≥ 0 (and ≤ 100% when `at_most_one`). */
static bool rate_in(remit__loader *L, const yaml_node_t *n, const char *ctx, bool at_most_one,
		    remit__num *out)
{
	if (!remit__cfg_rate(L, n, ctx, out))
		return false;
	if (remit__num_sign(*out) < 0 ||
	    (at_most_one && remit__num_cmp(*out, REMIT__NUM_ONE) > 0)) {
		remit__rules_error(L, n, "%s: expected a percentage from 0%% to %s, got %s", ctx,
				   at_most_one ? "100%" : "any", remit__node_desc(L, n));
		return false;
	}
	return true;
}

static bool parse_risk(remit__loader *L, capitation *c, const yaml_node_t *n)
{
	static const remit__key keys[] = {{"against", true},  {"shadow_with", false},
					  {"corridor", false}, {"share", true},
					  {"cap", false},     {NULL, false}};
	const char *ctx = "capitation.risk_share";
	risk *r = &c->rs;
	const char *against;
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	yaml_node_t *an = remit__cfg_get(L, n, "against"), *sw = remit__cfg_get(L, n, "shadow_with");
	if (!remit__cfg_str(L, an, sub(L, ctx, "against"), &against))
		return false;
	bool ok = true;
	if (!strcmp(against, "cost")) {
		r->against_cost = true;
		if (sw) {
			remit__rules_error(L, sw, "%s.shadow_with: only with against: shadow", ctx);
			ok = false;
		}
	} else if (!strcmp(against, "shadow")) {
		if (!sw) {
			remit__rules_error(L, n, "%s: against: shadow needs shadow_with (the module "
						 "whose price is the shadow value)",
					   ctx);
			ok = false;
		} else {
			ok &= remit__cfg_str(L, sw, sub(L, ctx, "shadow_with"), &r->shadow_name);
			r->shadow_mark = remit__node_mark(L, sw);
		}
	} else {
		remit__rules_error(L, an, "%s.against: expected shadow or cost, got %s", ctx,
				   remit__node_desc(L, an));
		ok = false;
	}
	yaml_node_t *cn = remit__cfg_get(L, n, "corridor"), *cp = remit__cfg_get(L, n, "cap");
	r->corridor = REMIT__NUM_ZERO;
	if (cn)
		ok &= rate_in(L, cn, sub(L, ctx, "corridor"), true, &r->corridor);
	ok &= rate_in(L, remit__cfg_get(L, n, "share"), sub(L, ctx, "share"), true, &r->share);
	if (cp)
		ok &= r->has_cap = rate_in(L, cp, sub(L, ctx, "cap"), false, &r->cap);
	r->on = ok;
	return ok;
}

static bool parse_mff(remit__loader *L, capitation *c, const yaml_node_t *n)
{
	const char *ctx = "capitation.mff", *who;
	if (!remit__mff_parse(L, n, ctx, &(remit__mff_opts){.extra = "provider"}, &c->mff))
		return false;
	yaml_node_t *pn = remit__cfg_get(L, n, "provider");
	if (pn && (!remit__cfg_str(L, pn, sub(L, ctx, "provider"), &who) || strcmp(who, "holder"))) {
		remit__rules_error(L, pn, "%s.provider: expected holder, got %s", ctx,
				   remit__node_desc(L, pn));
		return false;
	}
	if (!c->holder || !remit__mff_check(L, &c->mff, n, ctx, c->holder))
		return false;
	remit__mff_of(&c->mff, c->holder, strlen(c->holder), &c->holder_mff, NULL);
	return true;
}

static remit__module *cap_parse(remit__loader *L, const yaml_node_t *map)
{
	capitation *c = remit__zalloc(remit__loader_arena(L), sizeof *c);
	yaml_node_t *n;
	bool ok = remit__cfg_str(L, remit__cfg_get(L, map, "holder"), "capitation.holder",
				 &c->holder);
	ok &= remit__cfg_pred(L, remit__cfg_get(L, map, "population"), "capitation.population",
			      &remit__population_schema, &c->population);
	yaml_node_t *rn = remit__cfg_get(L, map, "rate");
	if (!remit__cfg_amount(L, rn, "capitation.rate", &c->rate)) {
		ok = false;
	} else if (remit__num_sign(c->rate) < 0) {
		remit__rules_error(L, rn, "capitation.rate: expected an amount ≥ 0, got %s",
				   remit__node_desc(L, rn));
		ok = false;
	}
	ok &= parse_weights(L, c, remit__cfg_get(L, map, "weights"));
	ok &= remit__cfg_pred(L, remit__cfg_get(L, map, "covers"), "capitation.covers",
			      &remit__activity_schema, &c->covers);
	c->need_field = -1;
	c->holder_mff = REMIT__NUM_ONE;
	if ((n = remit__cfg_get(L, map, "need")))
		ok &= remit__budget_column(L, n, "capitation.need", REMIT__T_DEC, "need",
					   &c->need_field);
	if ((n = remit__cfg_get(L, map, "prorate")))
		ok &= remit__budget_prorate(L, n, "capitation.prorate", &c->prorate);
	if ((n = remit__cfg_get(L, map, "mff")))
		ok &= parse_mff(L, c, n);
	if ((n = remit__cfg_get(L, map, "subcontract")))
		ok &= remit__subcontract_parse(L, n, "capitation.subcontract", &c->sc);
	if ((n = remit__cfg_get(L, map, "risk_share")))
		ok &= parse_risk(L, c, n);
	c->base.covers = c->covers;
	c->base.wants_population = true;
	return ok ? &c->base : NULL;
}

static void cap_link(remit__module *m, remit__loader *L)
{
	capitation *c = (capitation *)m;
	remit__subcontract_link(L, &c->sc, "capitation.subcontract");
	if (!c->rs.on || c->rs.against_cost)
		return;
	c->rs.shadow = remit__regime_module(L->regime, c->rs.shadow_name);
	if (!c->rs.shadow || !c->rs.shadow->type->quote || c->rs.shadow == m)
		remit__rules_error_at(L, c->rs.shadow_mark,
				      "capitation.risk_share.shadow_with: no module named '%s' that "
				      "prices activity (a tariff module of this regime)",
				      c->rs.shadow_name);
}

/* ---- the population -------------------------------------------------------------- */

static void *cap_run_begin(const remit__module *m, remit__ctx *cx)
{
	const capitation *c = (const capitation *)m;
	cstate *s = remit__xcalloc(1, sizeof *s);
	s->w = remit__budget_window(m, cx->regime);
	s->holder_org = remit__org_id(cx, (remit__str){c->holder, (uint32_t)strlen(c->holder)});
	return s;
}

static void cap_run_end(const remit__module *m, void *state)
{
	cstate *s = state;
	(void)m;
	for (uint32_t i = 0; i < s->ngroups; i++) {
		remit__xsum_clear(&s->groups[i].units);
		remit__xsum_clear(&s->groups[i].shadow);
	}
	free(s->groups);
	free(s->group_of);
	remit__regs_free(&s->regs);
	free(s->need_coef);
	free(s->need_exp);
	free(s->cell);
	free(s->age);
	free(s->bigs);
	remit__numpool_free(s->bigs_pool);
	free(s);
}

static void cap_person(const remit__module *m, remit__ctx *cx, const remit__row *p)
{
	const capitation *c = (const capitation *)m;
	cstate *s = remit__state(cx, m);
	if (!remit__pred_eval(c->population, p, cx->pattr_map))
		return;
	uint32_t i = remit__regs_add(&s->regs, cx, p);
	remit__regs_grow(&s->regs, (void **)&s->need_coef, &s->cap[0], sizeof *s->need_coef);
	remit__regs_grow(&s->regs, (void **)&s->need_exp, &s->cap[1], sizeof *s->need_exp);
	remit__regs_grow(&s->regs, (void **)&s->cell, &s->cap[2], sizeof *s->cell);
	remit__regs_grow(&s->regs, (void **)&s->age, &s->cap[3], sizeof *s->age);
	int64_t age = p->f[REMIT__P_AGE].i; /* 0..130, checked by the reader */
	size_t band = 0;
	while (band + 1 < c->nbands && c->bands[band + 1] <= age)
		band++;
	remit__str sex = p->f[REMIT__P_SEX].s;
	int sx = sex.p[0] == 'M' ? SEX_M : sex.p[0] == 'F' ? SEX_F : SEX_U;
	s->cell[i] = (uint8_t)(sx * (int)c->nbands + (int)band);
	s->age[i] = (uint8_t)age;
	remit__num need = c->need_field >= 0 ? p->f[c->need_field].d : REMIT__NUM_ONE;
	if (!need.big && need.exp > INT8_MIN && need.exp <= INT8_MAX) {
		s->need_coef[i] = need.coef;
		s->need_exp[i] = (int8_t)need.exp;
		return;
	}
	if (!s->bigs_pool)
		s->bigs_pool = remit__numpool_new();
	s->bigs = remit__xrealloc(s->bigs, (s->nbigs + 1) * sizeof *s->bigs);
	s->bigs[s->nbigs] = remit__num_keep(s->bigs_pool, need);
	s->need_coef[i] = (int64_t)s->nbigs++;
	s->need_exp[i] = NEED_BIG;
}

static remit__num need_of(const cstate *s, uint32_t i)
{
	if (s->need_exp[i] == NEED_BIG)
		return s->bigs[s->need_coef[i]];
	return (remit__num){s->need_coef[i], s->need_exp[i], NULL};
}

static remit__num weight_of(const capitation *c, const cstate *s, uint32_t i)
{
	return c->weights[s->cell[i] / c->nbands][s->cell[i] % c->nbands];
}

static group *group_for(cstate *s, uint32_t payer)
{
	if (payer >= s->ngroup_of) {
		uint32_t n = s->ngroup_of ? s->ngroup_of : 64;
		while (n <= payer)
			n *= 2;
		s->group_of = remit__xrealloc(s->group_of, n * sizeof *s->group_of);
		memset(s->group_of + s->ngroup_of, 0, (n - s->ngroup_of) * sizeof *s->group_of);
		s->ngroup_of = n;
	}
	if (!s->group_of[payer]) {
		s->groups = remit__xrealloc(s->groups, (s->ngroups + 1) * sizeof *s->groups);
		group *g = &s->groups[s->ngroups];
		memset(g, 0, sizeof *g);
		g->payer = payer;
		s->group_of[payer] = ++s->ngroups;
	}
	return &s->groups[s->group_of[payer] - 1];
}

/* The period that counts for period i's person: itself, or without
 * pro-rating their latest that meets the window. */
static uint32_t budget_period(const capitation *c, const cstate *s, uint32_t i)
{
	return c->prorate ? i : remit__regs_latest(&s->regs, i, &s->w);
}

/* The days period i counts for (1 without pro-rating), 0 if none. */
static int64_t days_of(const capitation *c, const cstate *s, uint32_t i)
{
	if (c->prorate)
		return remit__reg_days(&s->regs.v[i], &s->w);
	return budget_period(c, s, i) == i && remit__reg_in_window(&s->regs.v[i], &s->w);
}

/* ---- covered activity ---------------------------------------------------------------- */

static bool cap_claims(const remit__module *m, remit__ctx *cx, const remit__row *row)
{
	const capitation *c = (const capitation *)m;
	cstate *s = remit__state(cx, m);
	return remit__budget_claims(m, cx, row, c->covers, &s->regs, "population", &s->hit);
}

static bool cap_member(const remit__module *m, remit__ctx *cx, const remit__row *row)
{
	cstate *s = remit__state(cx, m);
	return remit__regs_at(&s->regs, cx, row->f[REMIT__A_PATIENT].s,
			      row->f[REMIT__A_START].i) != REMIT__NONE;
}

/* Add a covered row's shadow value (or cost) to its commissioner's group. */
static void add_shadow(const capitation *c, remit__ctx *cx, group *g, const remit__row *row)
{
	g->rows++;
	if (c->rs.against_cost) {
		const remit__val *cost = &row->f[REMIT__A_COST];
		if (!cost->present) {
			g->unvalued++;
			REMIT__TRACE(cx, "  risk share: the row has no cost");
			return;
		}
		remit__xsum_add(&g->shadow, cost->d);
		REMIT__TRACE(cx, "  risk share: cost %s", remit__fmt(cx, cost->d));
		return;
	}
	remit__pline q;
	if (c->rs.shadow->type->quote(c->rs.shadow, cx, row, &q) != REMIT__PRICED) {
		g->unvalued++;
		REMIT__TRACE(cx, "  risk share: no shadow price (%s)", cx->reason);
		return;
	}
	remit__xsum_add(&g->shadow, q.amount);
	REMIT__TRACE(cx, "  risk share: shadow value %s (as %s would pay it)",
		     remit__fmt_money(cx, q.amount), c->rs.shadow->name);
}

static remit__outcome cap_price(const remit__module *m, remit__ctx *cx, const remit__row *row)
{
	const capitation *c = (const capitation *)m;
	cstate *s = remit__state(cx, m);
	uint32_t i = remit__budget_claimed(&s->regs, cx, row, &s->hit);
	const remit__reg *g = &s->regs.v[i];
	remit__str holder = remit__org_name(cx, s->holder_org);
	REMIT__TRACE(cx, "  person %s registered %s at %s (population line %u): covered by the "
			 "capitation budget held by %s",
		     cx->patients->strs[g->patient], remit__reg_dates(cx, g),
		     remit__org_name(cx, g->practice).p, g->line, holder.p);
	if (c->rs.on) {
		uint32_t b = budget_period(c, s, i);
		add_shadow(c, cx, group_for(s, s->regs.v[b].payer), row);
	}
	bool due = c->sc.on && c->sc.price_with &&
		   !remit__str_same(row->f[REMIT__A_PROVIDER].s, holder);
	if (!remit__subcontract_pay(m, cx, &c->sc, row, holder) && due) {
		char why[sizeof cx->reason];
		snprintf(why, sizeof why, "%s", cx->reason);
		return remit__unpriced(cx, "covered by %s (holder %.*s), but the subcontract cannot "
					   "be priced: %s",
				       m->name, (int)holder.n, holder.p, why);
	}
	cx->funder = holder;
	return REMIT__COVERED;
}

/* ---- several threads ------------------------------------------------------------------- */

/* A part's state: the population shared (pricing only reads it), the
 * risk-share groups (shadow sums of covered rows) its own. */
static void *cap_run_fork(const remit__module *m, remit__ctx *cx, void *state)
{
	cstate *k = remit__xmalloc(sizeof *k);
	(void)m;
	(void)cx;
	*k = *(const cstate *)state;
	k->groups = NULL;
	k->ngroups = 0;
	k->group_of = NULL;
	k->ngroup_of = 0;
	k->hit = (remit__hit){0, 0};
	k->shared = true;
	return k;
}

/* Add a part's shadow sums into the run's groups (by commissioner). */
static void cap_run_join(const remit__module *m, remit__ctx *cx, void *state, void *part)
{
	cstate *s = state, *k = part;
	(void)m;
	(void)cx;
	for (uint32_t i = 0; i < k->ngroups; i++) {
		group *q = &k->groups[i];
		if (s) {
			group *g = group_for(s, q->payer);
			remit__xsum_add_xsum(&g->shadow, &q->shadow);
			g->rows += q->rows;
			g->unvalued += q->unvalued;
		}
		remit__xsum_clear(&q->units);
		remit__xsum_clear(&q->shadow);
	}
	free(k->groups);
	free(k->group_of);
	free(k);
}

/* ---- budget and risk-share lines ------------------------------------------------------ */

/* Every counted period's weight × need × days, into its commissioner's
 * group (once per run). */
static void accumulate(const capitation *c, remit__ctx *cx, cstate *s)
{
	if (s->accumulated)
		return;
	s->accumulated = true;
	for (uint32_t i = 0; i < s->regs.n; i++) {
		int64_t days = days_of(c, s, i);
		if (days == 0)
			continue;
		group *g = group_for(s, s->regs.v[i].payer);
		remit__num x = remit__num_mul(cx->pool, weight_of(c, s, i), need_of(s, i));
		remit__xsum_add(&g->units, remit__num_mul(cx->pool, x, remit__num_int(days)));
		g->people++;
		remit__numpool_reset(cx->pool);
	}
}

/* The exact budget of a group (rate × units ÷ year × MFF), and before MFF. */
static remit__num budget_of(const capitation *c, remit__ctx *cx, const cstate *s,
			    remit__num units, remit__num *before_mff)
{
	remit__num v = remit__num_mul(cx->pool, c->rate, units);
	if (c->prorate)
		v = remit__num_div(cx->pool, v, remit__num_int(s->w.year));
	*before_mff = v;
	return remit__num_mul(cx->pool, v, c->holder_mff);
}

/* Emit an organisation-level line; returns its rounded amount. */
static remit__num org_line(const remit__module *m, remit__ctx *cx, const char *kind,
			   remit_component k, const group *g, remit__str holder, remit__num exact,
			   remit__num before_mff, const char *basis)
{
	remit__pline l;
	remit__pline_init(&l, m, kind);
	l.amount = remit__round_line(cx, exact);
	l.comp[k] = before_mff;
	l.comp[REMIT_C_MARKET_FORCES] = remit__num_sub(cx->pool, exact, before_mff);
	l.comp[REMIT_C_ROUNDING] = remit__num_sub(cx->pool, l.amount, exact);
	l.payer = remit__org_name(cx, g->payer);
	l.payee = holder;
	l.basis = basis;
	REMIT__TRACE(cx, "  exact %s → %s (scale %d, %s)", remit__fmt(cx, exact),
		     remit__fmt_money(cx, l.amount), cx->regime->scale,
		     remit__rmode_name(cx->regime->mode));
	remit__emit(cx, &l);
	return l.amount;
}

/* The budget line of a group; returns the amount paid. */
static remit__num budget_line(const capitation *c, const remit__module *m, remit__ctx *cx,
			      const cstate *s, const group *g)
{
	remit__num units = remit__xsum_get(&g->units, cx->pool);
	remit__num before, exact = budget_of(c, cx, s, units, &before);
	remit__str holder = remit__org_name(cx, s->holder_org);
	remit__num years = c->prorate ? remit__num_div(cx->pool, units, remit__num_int(s->w.year))
				      : units;
	char basis[sizeof cx->basis] = "";
	if (cx->detail)
		snprintf(basis, sizeof basis, "%s × %s weighted person-years of %u registration%s%s%s",
			 remit__fmt_amount(cx, c->rate), remit__fmt(cx, years), g->people,
			 g->people == 1 ? "" : "s", c->mff.table ? "; ×MFF " : "",
			 c->mff.table ? remit__fmt(cx, c->holder_mff) : "");
	return org_line(m, cx, "budget", REMIT_C_BUDGET, g, holder, exact, before, basis);
}

/* Pay (positive) or recover (negative) share × the difference beyond the
 * corridor around the budget as paid, limited to cap × budget. */
static void risk_line(const capitation *c, const remit__module *m, remit__ctx *cx,
		      const cstate *s, const group *g, remit__num budget)
{
	const risk *r = &c->rs;
	remit__numpool *P = cx->pool;
	remit__num shadow = remit__xsum_get(&g->shadow, P);
	remit__num upper = remit__num_mul(P, budget, remit__num_add(P, REMIT__NUM_ONE, r->corridor));
	remit__num lower = remit__num_mul(P, budget, remit__num_sub(P, REMIT__NUM_ONE, r->corridor));
	const char *what = r->against_cost ? "cost" : "shadow value";
	REMIT__TRACE(cx, "risk share: %s %s of %llu covered rows against budget %s: corridor "
			 "%s ± %s = %s to %s",
		     what, remit__fmt_amount(cx, shadow), (unsigned long long)g->rows,
		     remit__fmt_amount(cx, budget), remit__fmt_amount(cx, budget),
		     remit__fmt_pct(cx, r->corridor), remit__fmt_amount(cx, lower),
		     remit__fmt_amount(cx, upper));
	if (g->unvalued)
		REMIT__TRACE(cx, "  %llu covered rows have no %s: they add nothing",
			     (unsigned long long)g->unvalued,
			     r->against_cost ? "cost" : "shadow price");
	remit__num beyond;
	if (remit__num_cmp(shadow, upper) > 0) {
		beyond = remit__num_sub(P, shadow, upper);
	} else if (remit__num_cmp(shadow, lower) < 0) {
		beyond = remit__num_sub(P, shadow, lower);
	} else {
		REMIT__TRACE(cx, "  within the corridor: no risk-share line");
		return;
	}
	remit__num x = remit__num_mul(P, beyond, r->share);
	REMIT__TRACE(cx, "  %s beyond the corridor × share %s = %s", remit__fmt_amount(cx, beyond),
		     remit__fmt_pct(cx, r->share), remit__fmt_amount(cx, x));
	bool capped = false;
	if (r->has_cap) {
		remit__num lim = remit__num_mul(P, budget, r->cap);
		if (remit__num_cmp(x, lim) > 0) {
			x = lim;
			capped = true;
		} else if (remit__num_cmp(x, remit__num_neg(P, lim)) < 0) {
			x = remit__num_neg(P, lim);
			capped = true;
		}
		REMIT__TRACE(cx, "  cap %s × budget = %s: %s", remit__fmt_pct(cx, r->cap),
			     remit__fmt_amount(cx, lim), capped ? "limited" : "within");
	}
	char basis[sizeof cx->basis] = "", un[96] = "";
	if (cx->detail) {
		if (g->unvalued)
			snprintf(un, sizeof un, "; %llu covered rows without a %s",
				 (unsigned long long)g->unvalued,
				 r->against_cost ? "cost" : "shadow price");
		snprintf(basis, sizeof basis, "%s %s (%s) vs budget %s ± %s: %s × %s%s%s%s", what,
			 remit__fmt_amount(cx, shadow), r->against_cost ? "cost" : r->shadow->name,
			 remit__fmt_amount(cx, budget), remit__fmt_pct(cx, r->corridor),
			 remit__fmt_amount(cx, beyond), remit__fmt_pct(cx, r->share),
			 capped ? ", limited to " : "",
			 capped ? remit__fmt_pct(cx, r->cap) : "", un);
	}
	org_line(m, cx, "risk_share", REMIT_C_RISK_SHARE, g, remit__org_name(cx, s->holder_org), x,
		 x, basis);
}

static int cmp_groups(const void *a, const void *b, void *state)
{
	const cstate *s = state;
	const group *x = &s->groups[*(const uint32_t *)a], *y = &s->groups[*(const uint32_t *)b];
	return strcmp(s->orgs->strs[x->payer], s->orgs->strs[y->payer]);
}

static void cap_finish(const remit__module *m, remit__ctx *cx)
{
	const capitation *c = (const capitation *)m;
	cstate *s = remit__state(cx, m);
	accumulate(c, cx, s);
	/* lines in commissioner order */
	uint32_t *order = remit__xmalloc((s->ngroups + 1) * sizeof *order);
	for (uint32_t i = 0; i < s->ngroups; i++)
		order[i] = i;
	s->orgs = cx->orgs;
	qsort_r(order, s->ngroups, sizeof *order, cmp_groups, s);
	for (uint32_t i = 0; i < s->ngroups; i++) {
		const group *g = &s->groups[order[i]];
		if (g->people) {
			remit__num paid = budget_line(c, m, cx, s, g);
			if (c->rs.on)
				risk_line(c, m, cx, s, g, paid);
		}
		remit__numpool_reset(cx->pool);
	}
	free(order);
}

/* ---- explain a person ------------------------------------------------------------------ */

static bool cap_explain_person(const remit__module *m, remit__ctx *cx, remit__str person)
{
	const capitation *c = (const capitation *)m;
	cstate *s = remit__state(cx, m);
	uint32_t p = remit__patient_find(cx, person);
	if (p == REMIT__NONE)
		return false;
	uint32_t *v = NULL;
	size_t cap = 0, n = remit__regs_of(&s->regs, p, &v, &cap);
	REMIT__TRACE(cx, "module %s (capitation): person %.*s", m->name, (int)person.n, person.p);
	if (n == 0)
		REMIT__TRACE(cx, "  no registration in the population (%s): no share",
			     remit__pred_source(c->population));
	accumulate(c, cx, s);
	remit__str holder = remit__org_name(cx, s->holder_org);
	for (size_t k = 0; k < n; k++) {
		uint32_t i = v[k];
		const remit__reg *g = &s->regs.v[i];
		remit__str pr = remit__org_name(cx, g->practice), payer = remit__org_name(cx, g->payer);
		REMIT__TRACE(cx, "  registration %s at %.*s, commissioner %.*s (population line %u): "
				 "in the population (%s)",
			     remit__reg_dates(cx, g), (int)pr.n, pr.p, (int)payer.n, payer.p, g->line,
			     remit__pred_source(c->population));
		size_t band = s->cell[i] % c->nbands;
		remit__num w = weight_of(c, s, i), need = need_of(s, i);
		REMIT__TRACE(cx, "    weight: sex %s, age %u → band from %lld: %s",
			     sex_names[s->cell[i] / c->nbands], s->age[i], (long long)c->bands[band],
			     remit__fmt(cx, w));
		REMIT__TRACE(cx, "    need: %s%s", remit__fmt(cx, need),
			     c->need_field >= 0 ? " (need column)" : " (no need index: 1)");
		int64_t days = days_of(c, s, i);
		remit__num share = remit__num_mul(cx->pool, c->rate, remit__num_mul(cx->pool, w, need));
		if (c->prorate) {
			char a[11], b[11];
			remit__date_format(s->w.from, a);
			remit__date_format(s->w.to, b);
			REMIT__TRACE(cx, "    prorate: %lld days registered in %s to %s, of %lld",
				     (long long)days, a, b, (long long)s->w.year);
			share = remit__num_div(cx->pool,
					       remit__num_mul(cx->pool, share, remit__num_int(days)),
					       remit__num_int(s->w.year));
		} else if (days) {
			REMIT__TRACE(cx, "    no pro-rating: the person counts once, by this "
					 "registration");
		} else {
			REMIT__TRACE(cx, "    no pro-rating: %s",
				     remit__reg_in_window(g, &s->w)
					     ? "a later registration counts instead"
					     : "the registration does not meet the period");
			share = REMIT__NUM_ZERO;
		}
		share = remit__num_mul(cx->pool, share, c->holder_mff);
		if (c->prorate)
			REMIT__TRACE(cx, "    share: %s × %s × %s × %lld/%lld × MFF %s = %s",
				     remit__fmt_amount(cx, c->rate), remit__fmt(cx, w),
				     remit__fmt(cx, need), (long long)days, (long long)s->w.year,
				     remit__fmt(cx, c->holder_mff), remit__fmt(cx, share));
		else
			REMIT__TRACE(cx, "    share: %s × %s × %s × MFF %s = %s",
				     remit__fmt_amount(cx, c->rate), remit__fmt(cx, w),
				     remit__fmt(cx, need), remit__fmt(cx, c->holder_mff),
				     remit__fmt(cx, days ? share : REMIT__NUM_ZERO));
		if (days) {
			const group *gr = group_for(s, g->payer);
			remit__num before,
				total = budget_of(c, cx, s, remit__xsum_get(&gr->units, cx->pool),
						  &before);
			REMIT__TRACE(cx, "    of the budget %.*s → %.*s: exact %s → %s (%u registration%s)",
				     (int)payer.n, payer.p, (int)holder.n, holder.p,
				     remit__fmt(cx, total),
				     remit__fmt_money(cx, remit__round_line(cx, total)), gr->people,
				     gr->people == 1 ? "" : "s");
		}
		remit__numpool_reset(cx->pool);
	}
	free(v);
	return true;
}

const remit__module_type remit__capitation_module = {
	.version = REMIT__MODULE_VERSION,
	.name = "capitation",
	.keys = cap_keys,
	.parse = cap_parse,
	.link = cap_link,
	.claims = cap_claims,
	.member = cap_member,
	.run_begin = cap_run_begin,
	.run_end = cap_run_end,
	.person = cap_person,
	.person_state_only = true,
	.price = cap_price,
	.finish = cap_finish,
	.explain_person = cap_explain_person,
	.run_fork = cap_run_fork,
	.run_join = cap_run_join,
};
