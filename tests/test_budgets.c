/*
 * test_budgets.c — the population-budget modules (year_of_care, capitation)
 * and the block contract, through the public API: the worked examples of
 * EXAMPLES.md (year of care 443.78; capitation 3744.20 with its per-person
 * shares; risk share +20,000.00 and −40,000.00), registration periods across
 * the period's boundaries, moving practice mid-year, the zero-day overlap,
 * need index, sex U, missing holder, claiming (covered activity never
 * reaches the tariff's commissioner payment; subcontracted rows appear once
 * as a subcontract line), explain for a person, rule-file errors with their
 * exact messages, and the CLI without --population.
 *
 * Period everywhere: 2024-04-01 to 2025-03-31, 365 days.  Days used below:
 *   2024-04-01..2024-09-30: Apr 30 + May 31 + Jun 30 + Jul 31 + Aug 31 + Sep 30 = 183
 *   2024-10-01..2025-03-31: Oct 31 + Nov 30 + Dec 31 + Jan 31 + Feb 28 + Mar 31 = 182
 *   2024-04-01..2024-06-30: 30 + 31 + 30 = 91
 *   2025-01-01..2025-03-31: 31 + 28 + 31 = 90
 * Every expected amount is worked by hand in the comment beside it.
 */
#include "remit.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef remit_test_got got;
typedef remit_test_text text;

static const char act_header[] = "id,patient,provider,commissioner,pod,code,start,diagnoses,cost\n";
static const char pop_header[] =
	"patient,practice,commissioner,from,to,age,sex,conditions,tier,need\n";

/* Price activity rows `act` with population rows `pop` (CSV bodies). */
static void run(const char *yaml, const char *act, const char *pop, got *g)
{
	char *apath = remit_test_csv(act_header, act), *ppath = remit_test_csv(pop_header, pop);
	remit_regime *r = remit_test_load(yaml, "b.yaml");
	remit_test_price(r, apath, ppath, g);
	remit_regime_free(r);
	unlink(apath);
	unlink(ppath);
	free(apath);
	free(ppath);
}

/* remit_explain for `id`; returns its status, the narration in t. */
static int explain(const char *yaml, const char *act, const char *pop, const char *id, text *t)
{
	memset(t, 0, sizeof *t);
	char *apath = remit_test_csv(act_header, act), *ppath = remit_test_csv(pop_header, pop);
	remit_regime *r = remit_test_load(yaml, "b.yaml");
	remit_error err;
	int rc = remit_explain(r, apath, ppath, id, remit_test_on_text, t, &err);
	remit_regime_free(r);
	unlink(apath);
	unlink(ppath);
	free(apath);
	free(ppath);
	return rc;
}

/* The index of the line of `kind` to `payee` for `patient` ("" for any), or -1. */
static int find(const got *g, const char *kind, const char *payer, const char *payee,
		const char *patient)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->line[i].kind, kind) && !strcmp(g->line[i].payer, payer) &&
		    !strcmp(g->line[i].payee, payee) &&
		    (!*patient || !strcmp(g->line[i].patient, patient)))
			return i;
	return -1;
}

static const char *amount(const got *g, const char *kind, const char *payer, const char *payee,
			  const char *patient)
{
	int i = find(g, kind, payer, payee, patient);
	return i < 0 ? "(no line)" : g->line[i].amount;
}

static int count(const got *g, const char *kind)
{
	int k = 0;
	for (int i = 0; i < g->n; i++)
		k += !strcmp(g->line[i].kind, kind);
	return k;
}

static int lines_for_activity(const got *g, const char *id)
{
	int k = 0;
	for (int i = 0; i < g->n; i++)
		k += !strcmp(g->line[i].activity, id);
	return k;
}

static void assert_reconciled(const got *g)
{
	const remit_counts *c = &g->counts;
	cr_assert_eq(c->read, c->priced + c->covered + c->unpriced + c->rejected);
	cr_assert(g->balanced);
}

/* ---- year of care ----------------------------------------------------------------- */

/* Holders by practice; RTX's MFF 1.04, RXL's 1.  `extra` adds keys to the
 * year_of_care module. */
static char *yoc_regime(const char *extra)
{
	static char buf[4096];
	snprintf(buf, sizeof buf,
		 "remit: 1\n"
		 "regime: Y\n"
		 "period: {start: 2024-04-01, end: 2025-03-31}\n"
		 "tables:\n"
		 "  holders: {key: practice, rows: {P1: RXL, P2: RTX, P3: RXL}}\n"
		 "  mff: {key: provider, rows: {RXL: 1, RTX: 1.04}}\n"
		 "modules:\n"
		 "  - module: year_of_care\n"
		 "    name: diabetes\n"
		 "    cohort: conditions has diabetes\n"
		 "    prices: {\"1\": 520.00, \"2\": 890.00, \"3\": 1640.00}\n"
		 "    holder: {table: holders}\n"
		 "    covers: pod in [OPFA, OPFU, COM] and diagnoses has [E10*, E11*]\n"
		 "%s"
		 "  - module: tariff\n"
		 "    name: op\n"
		 "    covers: pod in [OPFA, OPFU, COM]\n"
		 "    prices: {columns: [code, pod, price], rows: [[WF01A, OPFA, 168.00], "
		 "[WF01A, OPFU, 87.00], [C1, COM, 50.00]]}\n",
		 extra);
	return buf;
}

#define TIER_COLUMN "    tier: {from: tier}\n"
#define PRORATE "    prorate: days\n"
#define SUBCONTRACT "    subcontract: {price_with: op, share: 100%}\n"

Test(year_of_care, worked_example_443_78)
{
	got g;
	run(yoc_regime(TIER_COLUMN PRORATE), "",
	    "Y1,P1,C01,2024-10-01,2025-03-31,60,M,diabetes,2,\n", &g);
	/* 890 × 182/365 = 161980/365 = 32396/73 = 443.780821… → 443.78 */
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "Y1"), "443.78");
	cr_assert_eq(g.n, 1);
	cr_assert_str_eq(g.line[0].module, "diabetes");
	cr_assert_str_eq(g.line[0].comp[REMIT_C_BUDGET], "32396/73");
	/* 443.78 − 32396/73 = (32395.94 − 32396)/73 = −0.06/73 = −3/3650 */
	cr_assert_str_eq(g.line[0].comp[REMIT_C_ROUNDING], "-3/3650");
	cr_assert_str_eq(g.line[0].basis, "tier 2 890.00 × 182/365 days");
	cr_assert_str_eq(g.total, "443.78");
	cr_assert_eq(g.counts.population_read, 1);
	assert_reconciled(&g);
}

Test(year_of_care, registered_across_the_period_boundaries)
{
	got g;
	run(yoc_regime(TIER_COLUMN PRORATE), "",
	    /* from before the start to after the end: the whole year, 890.00 */
	    "B1,P1,C01,2023-06-01,2025-12-31,60,M,diabetes,2,\n"
	    /* from before the start to 2024-06-30: 91 days; 890 × 91/365 = 16198/73
	     * = 221.890410… → 221.89 */
	    "B2,P1,C01,2024-01-01,2024-06-30,60,M,diabetes,2,\n"
	    /* from 2025-01-01, still registered: 90 days; 890 × 90/365 = 16020/73
	     * = 219.452054… → 219.45 */
	    "B3,P1,C01,2025-01-01,,60,M,diabetes,2,\n"
	    /* ended before the period: no day in it, no line */
	    "B4,P1,C01,2023-01-01,2024-03-31,60,M,diabetes,2,\n"
	    /* starts after the period: no line */
	    "B5,P1,C01,2025-04-01,,60,M,diabetes,2,\n",
	    &g);
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "B1"), "890.00");
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "B2"), "221.89");
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "B3"), "219.45");
	cr_assert_eq(find(&g, "budget", "C01", "RXL", "B4"), -1);
	cr_assert_eq(find(&g, "budget", "C01", "RXL", "B5"), -1);
	cr_assert_eq(g.n, 3);
	/* 890.00 + 221.89 + 219.45 */
	cr_assert_str_eq(g.total, "1331.34");
}

Test(year_of_care, moving_practice_mid_year)
{
	got g;
	run(yoc_regime(TIER_COLUMN PRORATE "    mff: {table: mff}\n" SUBCONTRACT),
	    /* M1 at P1 (holder RXL) until 2024-09-30, then at P2 (holder RTX) */
	    "a1,M1,RXL,C01,OPFA,WF01A,2024-05-01,E11.9,\n" /* RXL's period, RXL: covered */
	    "a2,M1,RTX,C01,OPFA,WF01A,2024-11-01,E11.9,\n" /* RTX's period, RTX: covered */
	    "a3,M1,RXL,C01,OPFU,WF01A,2024-11-02,E11.9,\n" /* RTX holds: RTX pays RXL */
	    /* M2 moves P1 → P3, both held by RXL */
	    "a4,M2,RXL,C01,OPFA,WF01A,2024-12-01,E11.9,\n",
	    "M1,P1,C01,2024-04-01,2024-09-30,60,M,diabetes,2,\n"
	    "M1,P2,C01,2024-10-01,,60,M,diabetes,2,\n"
	    "M2,P1,C01,2024-04-01,2024-06-30,70,F,diabetes,3,\n"
	    "M2,P3,C01,2024-07-01,2024-12-31,70,F,diabetes,3,\n",
	    &g);
	/* M1: RXL 890 × 183/365 × 1 = 32574/73 = 446.219178… → 446.22 */
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "M1"), "446.22");
	/* M1: RTX 890 × 182/365 × 1.04 = 443.780821… × 1.04 = 461.532054… → 461.53 */
	cr_assert_str_eq(amount(&g, "budget", "C01", "RTX", "M1"), "461.53");
	/* M2: one line for RXL over both periods, 91 + 184 = 275 days:
	 * 1640 × 275/365 = 451000/365 = 1235.616438… → 1235.62 */
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "M2"), "1235.62");
	int i = find(&g, "budget", "C01", "RXL", "M2");
	cr_assert_str_eq(g.line[i].basis,
			 "tier 3 1640.00 × 91/365 days + tier 3 1640.00 × 184/365 days; ×MFF 1");
	cr_assert_eq(count(&g, "budget"), 3);
	/* a3: the holder on 2024-11-02 is RTX, which pays RXL the op price 87.00 */
	cr_assert_str_eq(amount(&g, "subcontract", "RTX", "RXL", "M1"), "87.00");
	cr_assert_eq(count(&g, "subcontract"), 1);
	cr_assert_eq(count(&g, "activity"), 0);
	cr_assert_eq(g.counts.covered, 4);
	/* 446.22 + 461.53 + 1235.62 + 87.00 */
	cr_assert_str_eq(g.total, "2230.37");
	assert_reconciled(&g);
}

Test(year_of_care, zero_day_overlap_is_not_an_overlap)
{
	got g;
	/* to 2024-09-30 then from 2024-10-01: both kept; same holder and
	 * commissioner, so one line: 890 × (183 + 182)/365 = 890.00 */
	run(yoc_regime(TIER_COLUMN PRORATE), "",
	    "Z1,P1,C01,2024-04-01,2024-09-30,60,M,diabetes,2,\n"
	    "Z1,P3,C01,2024-10-01,,60,M,diabetes,2,\n",
	    &g);
	cr_assert_eq(g.rejected, 0);
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "Z1"), "890.00");
	cr_assert_eq(g.n, 1);
}

Test(year_of_care, one_day_overlap_is_rejected_by_the_engine)
{
	got g;
	run(yoc_regime(TIER_COLUMN PRORATE), "",
	    "Z1,P1,C01,2024-04-01,2024-09-30,60,M,diabetes,2,\n"
	    "Z1,P3,C01,2024-09-30,,60,M,diabetes,2,\n",
	    &g);
	cr_assert_eq(g.rejected, 1);
	/* the population file's line 3 overlaps line 2 */
	cr_assert_str_eq(g.rejects[0], "Z1:3: from: registration overlaps the period on line 2");
	cr_assert_eq(g.counts.population_read, 2);
	cr_assert_eq(g.counts.population_rejected, 1);
	/* only line 2 is paid: 890 × 183/365 = 32574/73 = 446.219178… → 446.22 */
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "Z1"), "446.22");
	cr_assert_eq(g.n, 1);
}

/* Which of two periods is rejected follows their start dates, not their
 * lines, across interleaved patients; of two with the same start, the later
 * line.  (The first read fed every valid row to the module: its state is
 * begun again before the accepted rows are fed.) */
Test(year_of_care, overlaps_follow_start_dates_not_lines)
{
	got g;
	run(yoc_regime(TIER_COLUMN PRORATE), "",
	    "Z1,P1,C01,2024-10-01,,60,M,diabetes,2,\n"           /* line 2 */
	    "Z2,P1,C01,2024-04-01,,60,M,diabetes,2,\n"           /* line 3 */
	    "Z1,P1,C01,2024-04-01,2024-12-31,60,M,diabetes,2,\n" /* line 4 */
	    "Z3,P1,C01,2024-05-01,,60,M,diabetes,2,\n"           /* line 5 */
	    "Z3,P1,C01,2024-05-01,,60,M,diabetes,2,\n",          /* line 6 */
	    &g);
	cr_assert_eq(g.rejected, 2);
	/* line 4 starts first and ends 2024-12-31, after line 2's start */
	cr_assert_str_eq(g.rejects[0], "Z1:2: from: registration overlaps the period on line 4");
	cr_assert_str_eq(g.rejects[1], "Z3:6: from: registration overlaps the period on line 5");
	cr_assert_eq(g.counts.population_rejected, 2);
	/* Z1 (line 4): 2024-04-01..12-31 = 183 + 31 + 30 + 31 = 275 days:
	 * 890 × 275/365 = 244750/365 = 670.547945… → 670.55 */
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "Z1"), "670.55");
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "Z2"), "890.00");
	/* Z3 (line 5): from 2024-05-01, 365 − 30 = 335 days:
	 * 890 × 335/365 = 298150/365 = 816.849315… → 816.85 */
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "Z3"), "816.85");
	cr_assert_eq(g.n, 3);
}

/* A patient with many periods (21, more than are sorted by insertion),
 * written latest first: ten days at the start of each half-month from
 * 2024-04 to 2025-01, and a last line inside 2024-06-01..10. */
Test(year_of_care, many_periods_of_one_patient)
{
	static const char *months[] = {"2025-01", "2024-12", "2024-11", "2024-10", "2024-09",
				       "2024-08", "2024-07", "2024-06", "2024-05", "2024-04"};
	char pop[4096];
	size_t k = 0;
	for (int m = 0; m < 10; m++) /* lines 2 + 2m (days 11..20) and 3 + 2m (days 1..10) */
		k += (size_t)snprintf(pop + k, sizeof pop - k,
				      "Z5,P1,C01,%s-11,%s-20,60,M,diabetes,2,\n"
				      "Z5,P1,C01,%s-01,%s-10,60,M,diabetes,2,\n",
				      months[m], months[m], months[m], months[m]);
	snprintf(pop + k, sizeof pop - k, "Z5,P1,C01,2024-06-05,2024-06-08,60,M,diabetes,2,\n");
	got g;
	run(yoc_regime(TIER_COLUMN PRORATE), "", pop, &g);
	cr_assert_eq(g.rejected, 1);
	/* 2024-06-01..10 is on line 3 + 2 × 7 = 17 */
	cr_assert_str_eq(g.rejects[0], "Z5:22: from: registration overlaps the period on line 17");
	/* 20 periods × 10 days = 200 days: 890 × 200/365 = 178000/365 = 487.671232… → 487.67 */
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "Z5"), "487.67");
	cr_assert_eq(g.n, 1);
}

Test(year_of_care, tier_rules_first_match)
{
	const char *rules = "    tier:\n"
			    "      - {when: conditions has ckd, tier: \"3\"}\n"
			    "      - {when: age >= 65, tier: \"2\"}\n"
			    "      - {when: age >= 0, tier: \"1\"}\n";
	got g;
	run(yoc_regime(rules), "",
	    "R1,P1,C01,2024-01-01,,70,M,diabetes|ckd,,\n" /* rule 1: 1640.00 */
	    "R2,P1,C01,2024-01-01,,70,M,diabetes,,\n"     /* rule 2: 890.00 */
	    "R3,P1,C01,2024-01-01,,40,F,diabetes,,\n",    /* rule 3: 520.00 */
	    &g);
	/* no prorate: the annual price in full */
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "R1"), "1640.00");
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "R2"), "890.00");
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "R3"), "520.00");
}

Test(year_of_care, no_tier_rule_matches_names_the_person)
{
	const char *rules = "    tier: {rules: [{when: conditions has ckd, tier: \"3\"}]}\n";
	got g;
	run(yoc_regime(rules),
	    "n1,N1,RXL,C01,OPFA,WF01A,2024-05-01,E11.9,\n",
	    "N1,P1,C01,2024-01-01,,70,M,diabetes,,\n", &g);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(g.unpriced, 1);
	cr_assert_str_eq(g.reasons[0],
			 "n1: diabetes: person N1 (population line 2): no tier rule matches; no budget");
	assert_reconciled(&g);
	text t;
	cr_assert_eq(explain(yoc_regime(rules), "", "N1,P1,C01,2024-01-01,,70,M,diabetes,,\n", "N1",
			     &t),
		     REMIT_OK);
	cr_assert(strstr(t.buf, "    no budget: no tier rule matches\n"), "%s", t.buf);
}

Test(year_of_care, tier_column_empty_or_unpriced)
{
	got g;
	run(yoc_regime(TIER_COLUMN),
	    "e1,E1,RXL,C01,OPFA,WF01A,2024-05-01,E11.9,\n"
	    "e2,E2,RXL,C01,OPFA,WF01A,2024-05-01,E11.9,\n",
	    "E1,P1,C01,2024-01-01,,70,M,diabetes,,\n"
	    "E2,P1,C01,2024-01-01,,70,M,diabetes,4,\n",
	    &g);
	cr_assert_eq(count(&g, "budget"), 0);
	cr_assert_str_eq(g.reasons[0], "e1: diabetes: person E1 (population line 2): no tier (the "
				       "tier column is empty); no budget");
	cr_assert_str_eq(g.reasons[1],
			 "e2: diabetes: person E2 (population line 3): tier \"4\" has no price; no budget");
}

Test(year_of_care, missing_holder_for_a_practice)
{
	got g;
	run(yoc_regime(TIER_COLUMN PRORATE),
	    "h1,H1,RXL,C01,OPFA,WF01A,2024-05-01,E11.9,\n",
	    "H1,P9,C01,2024-04-01,,60,M,diabetes,2,\n"
	    "H2,P1,C01,2024-04-01,,60,M,diabetes,1,\n",
	    &g);
	/* H1: no budget, and its covered row is unpriced (not paid by the tariff) */
	cr_assert_eq(find(&g, "budget", "C01", "RXL", "H1"), -1);
	cr_assert_str_eq(g.reasons[0], "h1: diabetes: person H1 (population line 2): practice P9 "
				       "has no holder in table holders; no budget");
	cr_assert_eq(lines_for_activity(&g, "h1"), 0);
	/* H2 is paid: 520 × 365/365 */
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "H2"), "520.00");
	assert_reconciled(&g);
}

Test(year_of_care, claims_only_cohort_members_while_registered)
{
	got g;
	run(yoc_regime(TIER_COLUMN PRORATE),
	    "c1,C1,RXL,C01,OPFA,WF01A,2024-11-01,E11.9,\n" /* cohort, registered: covered */
	    "c2,C1,RXL,C01,OPFA,WF01A,2024-05-01,E11.9,\n" /* before registration: tariff */
	    "c3,C2,RXL,C01,OPFA,WF01A,2024-11-01,E11.9,\n" /* not in the cohort: tariff */
	    "c4,C3,RXL,C01,OPFA,WF01A,2024-11-01,E11.9,\n" /* not in the population: tariff */
	    "c5,C1,RXL,C01,OPFA,WF01A,2024-11-01,I10,\n",  /* out of scope: tariff */
	    "C1,P1,C01,2024-10-01,,60,M,diabetes,2,\n"
	    "C2,P1,C01,2024-04-01,,60,M,copd,2,\n",
	    &g);
	cr_assert_eq(lines_for_activity(&g, "c1"), 0);
	cr_assert_str_eq(amount(&g, "activity", "C01", "RXL", "C1"), "168.00");
	cr_assert_eq(count(&g, "activity"), 4);
	cr_assert_eq(g.counts.covered, 1);
	cr_assert_eq(g.counts.priced, 4);
	/* 4 × 168.00 + 890 × 182/365 (443.78) */
	cr_assert_str_eq(g.total, "1115.78");
	assert_reconciled(&g);
}

Test(year_of_care, market_forces_of_the_holder)
{
	got g;
	run(yoc_regime(TIER_COLUMN PRORATE "    mff: {table: mff}\n"), "",
	    "F1,P2,C01,2024-04-01,,60,M,diabetes,2,\n", &g);
	/* 890 × 365/365 × 1.04 = 925.60 */
	cr_assert_str_eq(amount(&g, "budget", "C01", "RTX", "F1"), "925.60");
	cr_assert_str_eq(g.line[0].comp[REMIT_C_BUDGET], "890");
	cr_assert_str_eq(g.line[0].comp[REMIT_C_MARKET_FORCES], "35.6"); /* 890 × 0.04 */
	cr_assert_str_eq(g.line[0].comp[REMIT_C_ROUNDING], "");
}

Test(year_of_care, subcontracted_rows_appear_once)
{
	got g;
	run(yoc_regime(TIER_COLUMN PRORATE SUBCONTRACT),
	    "s1,S1,RYY,C01,COM,C1,2024-06-01,E10.1,\n"   /* RXL pays RYY 50.00 */
	    "s2,S1,RXL,C01,OPFA,WF01A,2024-06-02,E10.1,\n" /* the holder: no line */
	    "s3,S1,RYY,C01,COM,ZZZ,2024-06-03,E10.1,\n",  /* op has no price */
	    "S1,P1,C01,2024-04-01,,60,M,diabetes,1,\n", &g);
	cr_assert_eq(lines_for_activity(&g, "s1"), 1);
	cr_assert_str_eq(amount(&g, "subcontract", "RXL", "RYY", "S1"), "50.00");
	int i = find(&g, "subcontract", "RXL", "RYY", "S1");
	cr_assert_str_eq(g.line[i].activity, "s1");
	cr_assert_str_eq(g.line[i].comp[REMIT_C_SUBCONTRACT], "50");
	cr_assert_eq(lines_for_activity(&g, "s2"), 0);
	cr_assert_str_eq(g.reasons[0], "s3: covered by diabetes (holder RXL), but the subcontract "
				       "cannot be priced: no price for code ZZZ pod COM");
	cr_assert_eq(g.counts.covered, 2);
	cr_assert_eq(g.counts.unpriced, 1);
	/* 520.00 budget + 50.00 subcontract */
	cr_assert_str_eq(g.total, "570.00");
	assert_reconciled(&g);
}

Test(year_of_care, without_subcontract_other_providers_get_nothing)
{
	got g;
	run(yoc_regime(TIER_COLUMN PRORATE), "s1,S1,RYY,C01,COM,C1,2024-06-01,E10.1,\n",
	    "S1,P1,C01,2024-04-01,,60,M,diabetes,1,\n", &g);
	cr_assert_eq(lines_for_activity(&g, "s1"), 0);
	cr_assert_eq(g.counts.covered, 1);
	cr_assert_str_eq(g.total, "520.00");
}

Test(year_of_care, without_prorate_paid_once_to_the_latest_holder)
{
	got g;
	run(yoc_regime(TIER_COLUMN SUBCONTRACT),
	    "w1,W1,RXL,C01,OPFA,WF01A,2024-05-01,E11.9,\n", /* during P1: RTX pays RXL */
	    "W1,P1,C01,2024-04-01,2024-09-30,60,M,diabetes,2,\n"
	    "W1,P2,C01,2024-10-01,,60,M,diabetes,2,\n",
	    &g);
	/* one annual price, to RTX (the later registration), no MFF key: 890.00 */
	cr_assert_eq(count(&g, "budget"), 1);
	cr_assert_str_eq(amount(&g, "budget", "C01", "RTX", "W1"), "890.00");
	cr_assert_str_eq(amount(&g, "subcontract", "RTX", "RXL", "W1"), "168.00");
}

Test(year_of_care, fixed_holder)
{
	const char *yaml = "remit: 1\n"
			   "regime: Y\n"
			   "period: {start: 2024-04-01, end: 2025-03-31}\n"
			   "modules:\n"
			   "  - module: year_of_care\n"
			   "    name: d\n"
			   "    cohort: conditions has diabetes\n"
			   "    tier: {from: tier}\n"
			   "    prices: {\"1\": 100.00}\n"
			   "    holder: RXL\n"
			   "    covers: pod == COM\n"
			   "    prorate: days\n";
	got g;
	run(yaml, "", "X1,P77,C09,2024-10-01,,60,M,diabetes,1,\n", &g);
	/* 100 × 182/365 = 3640/73 = 49.863013… → 49.86 */
	cr_assert_str_eq(amount(&g, "budget", "C09", "RXL", "X1"), "49.86");
}

Test(year_of_care, valid_range_narrows_the_budget_window)
{
	/* valid from 2024-10-01: a whole-year registrant is paid for the 182 days
	 * of the year the module is valid: 890 × 182/365 = 443.78 */
	const char *yaml = "remit: 1\n"
			   "regime: Y\n"
			   "period: {start: 2024-04-01, end: 2025-03-31}\n"
			   "modules:\n"
			   "  - module: year_of_care\n"
			   "    name: d\n"
			   "    valid: {from: 2024-10-01, to: 2025-03-31}\n"
			   "    cohort: conditions has diabetes\n"
			   "    tier: {from: tier}\n"
			   "    prices: {\"2\": 890.00}\n"
			   "    holder: RXL\n"
			   "    covers: pod == COM\n"
			   "    prorate: days\n";
	got g;
	run(yaml, "", "V1,P1,C01,2024-04-01,,60,M,diabetes,2,\n", &g);
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "V1"), "443.78");
}

Test(year_of_care, invalid_population_rows_are_rejected_not_budgeted)
{
	got g;
	run(yoc_regime(TIER_COLUMN PRORATE), "",
	    "J1,P1,C01,2024-04-01,,60,X,diabetes,2,\n" /* sex X */
	    "J2,P1,C01,2024-04-01,2024-03-01,60,M,diabetes,2,\n" /* to before from */
	    "J3,P1,C01,2024-04-01,,60,M,diabetes,2,\n",
	    &g);
	cr_assert_eq(g.counts.population_read, 3);
	cr_assert_eq(g.counts.population_rejected, 2);
	cr_assert_eq(g.rejected, 2);
	cr_assert_eq(count(&g, "budget"), 1);
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", "J3"), "890.00");
}

Test(year_of_care, explain_a_covered_row)
{
	text t;
	int rc = explain(yoc_regime(TIER_COLUMN PRORATE SUBCONTRACT),
			 "s1,S1,RYY,C01,COM,C1,2024-06-01,E10.1,\n",
			 "S1,P1,C01,2024-04-01,,60,M,diabetes,1,\n", "s1", &t);
	cr_assert_eq(rc, REMIT_OK);
	cr_assert(strstr(t.buf, "module diabetes (year_of_care): claims the row\n"), "%s", t.buf);
	cr_assert(strstr(t.buf, "  person S1 registered 2024-04-01 to (open) at P1 (population "
				"line 2): in the cohort\n"
				"  covered by the year-of-care budget held by RXL\n"),
		  "%s", t.buf);
	cr_assert(strstr(t.buf, "line: subcontract RXL pays RYY 50.00 (subcontract at 100% of op "
				"50.00 (C1 COM 50.00))\n"),
		  "%s", t.buf);
}

Test(year_of_care, explain_a_person)
{
	text t;
	int rc = explain(yoc_regime(TIER_COLUMN PRORATE "    mff: {table: mff}\n"), "",
			 "Y1,P2,C01,2024-10-01,2025-03-31,60,M,diabetes,2,\n", "Y1", &t);
	cr_assert_eq(rc, REMIT_OK);
	/* 890 × 182/365 = 32396/73; × 1.04 = 33691.84/73 = 842296/1825 = 461.532054… */
	const char *want =
		"module diabetes (year_of_care): person Y1\n"
		"  registration 2024-10-01 to 2025-03-31 at P2, commissioner C01 (population line "
		"2): in the cohort (conditions has diabetes)\n"
		"    tier 2 (tier column) → price 890.00\n"
		"    holder RTX (practice P2 in table holders)\n"
		"    prorate: 182 days registered in 2024-04-01 to 2025-03-31, of 365\n"
		"  budget lines:\n"
		"    tier 2: 890.00 × 182/365 days = 32396/73 = 443.780821…\n"
		"    market forces: 32396/73 = 443.780821… × 1.04 (holder RTX) = 842296/1825 = "
		"461.532054…\n"
		"    exact 842296/1825 = 461.532054… → 461.53 (scale 2, half-up)\n"
		"line: budget C01 pays RTX 461.53 (tier 2 890.00 × 182/365 days; ×MFF 1.04)\n";
	cr_assert_str_eq(t.buf, want);
}

Test(year_of_care, explain_an_unknown_id_is_not_found)
{
	text t;
	int rc = explain(yoc_regime(TIER_COLUMN), "", "Y1,P1,C01,2024-10-01,,60,M,diabetes,2,\n",
			 "nobody", &t);
	cr_assert_eq(rc, REMIT_ENOTFOUND);
}

/* ---- capitation ------------------------------------------------------------------------ */

static char *cap_regime(const char *extra)
{
	static char buf[4096];
	snprintf(buf, sizeof buf,
		 "remit: 1\n"
		 "regime: C\n"
		 "period: {start: 2024-04-01, end: 2025-03-31}\n"
		 "tables:\n"
		 "  mff: {key: provider, rows: {RXL: 1.04}}\n"
		 "modules:\n"
		 "  - module: capitation\n"
		 "    name: ico-north\n"
		 "    holder: RXL\n"
		 "    population: practice in [P81001, P81002, P81003]\n"
		 "    rate: 1180.00\n"
		 "    weights:\n"
		 "      bands: [0, 5, 15, 25, 45, 65, 75, 85]\n"
		 "      M: [1.10, 0.45, 0.55, 0.70, 0.95, 1.60, 2.40, 3.30]\n"
		 "      F: [1.05, 0.45, 0.70, 0.95, 1.05, 1.50, 2.20, 3.10]\n"
		 "      U: [1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00]\n"
		 "    covers: pod in [EL, DC, NE, OPFA, OPFU, AE, COM]\n"
		 "%s"
		 "  - module: tariff\n"
		 "    name: apc\n"
		 "    covers: pod in [EL, DC, NE, OPFA, OPFU, AE, COM]\n"
		 "    prices: {columns: [code, pod, price], rows: [[A1, EL, 1000.00], [C1, COM, "
		 "50.00]]}\n",
		 extra);
	return buf;
}

#define CAP_FULL                                                                                  \
	"    need: {from: need}\n"                                                                   \
	"    prorate: days\n"                                                                       \
	"    mff: {provider: holder, table: mff}\n"

static const char cap_people[] =
	/* p1: M 70 (band 65: 1.60), need 1, the whole year */
	"p1,P81001,C01,2024-04-01,,70,M,,,\n"
	/* p2: F 3 (band 0: 1.05), from 2024-10-01: 182 days */
	"p2,P81002,C01,2024-10-01,,3,F,,,\n"
	/* p3: F 88 (band 85: 3.10), need 1.2, registered since before the
	 * period, to 2024-06-30: 91 days */
	"p3,P81003,C01,2023-01-01,2024-06-30,88,F,,,1.2\n";

Test(capitation, worked_example_3744_20)
{
	got g;
	run(cap_regime(CAP_FULL), "", cap_people, &g);
	/* Σ weight × need × days = 1.60 × 365 + 1.05 × 182 + 3.10 × 1.2 × 91
	 *                        = 584 + 191.1 + 338.52 = 1113.62
	 * before MFF: 1180 × 1113.62 / 365 = 1314071.6/365 = 6570358/1825
	 * budget: × 1.04 = 1366634.464/365 = 170829308/45625 = 3744.204010… → 3744.20 */
	cr_assert_eq(g.n, 1);
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", ""), "3744.20");
	cr_assert_str_eq(g.line[0].patient, "");
	cr_assert_str_eq(g.line[0].comp[REMIT_C_BUDGET], "6570358/1825");
	/* MFF part: 6570358/1825 × 0.04 = 6570358/45625 */
	cr_assert_str_eq(g.line[0].comp[REMIT_C_MARKET_FORCES], "6570358/45625");
	/* 3744.20 × 45625 = 170829125; − 170829308 = −183 */
	cr_assert_str_eq(g.line[0].comp[REMIT_C_ROUNDING], "-183/45625");
	cr_assert_str_eq(g.total, "3744.20");
	assert_reconciled(&g);
}

Test(capitation, per_person_shares_in_explain)
{
	text t;
	cr_assert_eq(explain(cap_regime(CAP_FULL), "", cap_people, "p1", &t), REMIT_OK);
	/* 1180 × 1.60 × 1 × 365/365 × 1.04 = 1963.52 */
	cr_assert(strstr(t.buf, "    share: 1180.00 × 1.6 × 1 × 365/365 × MFF 1.04 = 1963.52\n"),
		  "%s", t.buf);
	cr_assert(strstr(t.buf, "    of the budget C01 → RXL: exact 170829308/45625 = "
				"3744.204010… → 3744.20 (3 registrations)\n"),
		  "%s", t.buf);
	cr_assert_eq(explain(cap_regime(CAP_FULL), "", cap_people, "p2", &t), REMIT_OK);
	/* 1180 × 1.05 × 182/365 × 1.04 = 1288.56 × 182 / 365 = 234517.92/365
	 * = 23451792/36500 = 5862948/9125 = 642.514849… (EXAMPLES.md prints
	 * 642.510…; the sum 3744.204010… agrees with this value) */
	cr_assert(strstr(t.buf, "    weight: sex F, age 3 → band from 0: 1.05\n"), "%s", t.buf);
	cr_assert(strstr(t.buf, "    share: 1180.00 × 1.05 × 1 × 182/365 × MFF 1.04 = "
				"5862948/9125 = 642.514849…\n"),
		  "%s", t.buf);
	cr_assert_eq(explain(cap_regime(CAP_FULL), "", cap_people, "p3", &t), REMIT_OK);
	/* 1180 × 3.10 × 1.2 × 91/365 × 1.04 = 4565.184 × 91 / 365 = 415431.744/365
	 * = 415431744/365000 = 51928968/45625 = 1138.169161… (EXAMPLES.md: 1138.170…);
	 * 1963.52 + 642.514849… + 1138.169161… = 3744.204010… */
	cr_assert(strstr(t.buf, "    need: 1.2 (need column)\n"), "%s", t.buf);
	cr_assert(strstr(t.buf, "    prorate: 91 days registered in 2024-04-01 to 2025-03-31, of "
				"365\n"),
		  "%s", t.buf);
	cr_assert(strstr(t.buf, "    share: 1180.00 × 3.1 × 1.2 × 91/365 × MFF 1.04 = "
				"51928968/45625 = 1138.169161…\n"),
		  "%s", t.buf);
}

Test(capitation, need_index_and_its_absence)
{
	got g;
	/* U 30 (weight 1.00), need 1.5, whole year, no MFF (no mff key):
	 * 1180 × 1.00 × 1.5 = 1770.00 */
	run(cap_regime("    need: {from: need}\n    prorate: days\n"), "",
	    "n1,P81001,C01,2024-04-01,,30,U,,,1.5\n", &g);
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", ""), "1770.00");
	/* without the need key the column is ignored: 1180 × 1.00 = 1180.00 */
	run(cap_regime("    prorate: days\n"), "", "n1,P81001,C01,2024-04-01,,30,U,,,1.5\n", &g);
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", ""), "1180.00");
}

Test(capitation, sex_u_uses_the_u_weights_and_bands_bound_ages)
{
	got g;
	run(cap_regime(""), "",
	    "u1,P81001,C01,2024-04-01,,4,U,,,\n"  /* band 0, U: 1.00 */
	    "u2,P81001,C01,2024-04-01,,5,M,,,\n"  /* band 5, M: 0.45 */
	    "u3,P81001,C01,2024-04-01,,130,F,,,\n", /* band 85, F: 3.10 */
	    &g);
	/* no prorate, no MFF: 1180 × (1.00 + 0.45 + 3.10) = 1180 × 4.55 = 5369.00 */
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", ""), "5369.00");
}

Test(capitation, one_budget_line_per_commissioner)
{
	got g;
	run(cap_regime("    prorate: days\n"), "",
	    "k1,P81001,C02,2024-04-01,,30,M,,,\n" /* 0.70 */
	    "k2,P81001,C01,2024-04-01,,30,F,,,\n" /* 0.95 */
	    "k3,P81002,C01,2024-04-01,,30,F,,,\n" /* 0.95 */
	    "k4,P99999,C01,2024-04-01,,30,F,,,\n", /* not in the population */
	    &g);
	cr_assert_eq(g.n, 2);
	/* ordered by commissioner: C01 1180 × 1.90 = 2242.00; C02 1180 × 0.70 = 826.00 */
	cr_assert_str_eq(g.line[0].payer, "C01");
	cr_assert_str_eq(g.line[0].amount, "2242.00");
	cr_assert_str_eq(g.line[1].payer, "C02");
	cr_assert_str_eq(g.line[1].amount, "826.00");
}

Test(capitation, moving_between_commissioners_mid_year)
{
	got g;
	run(cap_regime("    prorate: days\n"), "",
	    "v1,P81001,C01,2024-04-01,2024-09-30,30,M,,,\n"
	    "v1,P81002,C02,2024-10-01,,30,M,,,\n",
	    &g);
	/* C01: 1180 × 0.70 × 183/365 = 151158/365 = 414.131506… → 414.13
	 * C02: 1180 × 0.70 × 182/365 = 150332/365 = 411.868493… → 411.87 */
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", ""), "414.13");
	cr_assert_str_eq(amount(&g, "budget", "C02", "RXL", ""), "411.87");
}

Test(capitation, covered_activity_never_reaches_the_tariff)
{
	got g;
	run(cap_regime(CAP_FULL "    subcontract: {price_with: apc, share: 100%}\n"),
	    "a1,p1,RXL,C01,EL,A1,2024-05-01,,\n" /* covered, the holder: no line */
	    "a2,p1,RYY,C01,COM,C1,2024-05-02,,\n" /* covered, RXL pays RYY 50.00 */
	    "a3,p3,RXL,C01,EL,A1,2024-07-01,,\n" /* p3 left on 2024-06-30: tariff */
	    "a4,zz,RXL,C01,EL,A1,2024-07-01,,\n", /* not registered: tariff */
	    cap_people, &g);
	cr_assert_eq(lines_for_activity(&g, "a1"), 0);
	cr_assert_eq(lines_for_activity(&g, "a2"), 1);
	cr_assert_str_eq(amount(&g, "subcontract", "RXL", "RYY", "p1"), "50.00");
	cr_assert_str_eq(amount(&g, "activity", "C01", "RXL", "p3"), "1000.00");
	cr_assert_str_eq(amount(&g, "activity", "C01", "RXL", "zz"), "1000.00");
	cr_assert_eq(count(&g, "activity"), 2);
	cr_assert_eq(g.counts.covered, 2);
	cr_assert_eq(g.counts.priced, 2);
	/* 3744.20 + 50.00 + 2 × 1000.00 */
	cr_assert_str_eq(g.total, "5794.20");
	assert_reconciled(&g);
}

Test(capitation, without_prorate_each_person_counts_once)
{
	got g;
	run(cap_regime(""), "",
	    /* moves P81001 (C01) → P81002 (C02): counted once, for C02, M 30: 0.70 */
	    "o1,P81001,C01,2024-04-01,2024-09-30,30,M,,,\n"
	    "o1,P81002,C02,2024-10-01,,30,M,,,\n"
	    /* registered only before the period: not counted */
	    "o2,P81001,C01,2023-04-01,2024-03-31,30,M,,,\n",
	    &g);
	cr_assert_eq(count(&g, "budget"), 1);
	/* 1180 × 0.70 = 826.00 */
	cr_assert_str_eq(amount(&g, "budget", "C02", "RXL", ""), "826.00");
}

Test(capitation, explain_someone_outside_the_population)
{
	text t;
	cr_assert_eq(explain(cap_regime(CAP_FULL), "", "x9,P99999,C01,2024-04-01,,30,M,,,\n", "x9",
			     &t),
		     REMIT_OK);
	cr_assert_str_eq(t.buf, "module ico-north (capitation): person x9\n"
				"  no registration in the population (practice in [P81001, P81002, "
				"P81003]): no share\n");
}

/* A budget of exactly 1,000,000.00: one person, weight 1, the whole year. */
static char *risk_regime(const char *against)
{
	static char buf[2048];
	snprintf(buf, sizeof buf,
		 "remit: 1\n"
		 "regime: R\n"
		 "period: {start: 2024-04-01, end: 2025-03-31}\n"
		 "modules:\n"
		 "  - module: capitation\n"
		 "    name: ico\n"
		 "    holder: RXL\n"
		 "    population: practice == P1\n"
		 "    rate: 1000000.00\n"
		 "    weights: {bands: [0], M: [1], F: [1], U: [1]}\n"
		 "    covers: pod == EL\n"
		 "    prorate: days\n"
		 "    risk_share: {%s, corridor: 2%%, share: 50%%, cap: 10%%}\n"
		 "  - module: tariff\n"
		 "    name: apc\n"
		 "    covers: pod == EL\n"
		 "    prices: {columns: [code, pod, price], rows: [[BIG, EL, 1060000.00], "
		 "[MID, EL, 450000.00], [HUGE, EL, 1500000.00], [NEAR, EL, 1010000.00]]}\n",
		 against);
	return buf;
}

static const char risk_person[] = "r1,P1,C01,2024-04-01,,40,F,,,\n";

Test(risk_share, shadow_above_the_corridor_is_paid_to_the_holder)
{
	got g;
	run(risk_regime("against: shadow, shadow_with: apc"), "x1,r1,RXL,C01,EL,BIG,2024-06-01,,\n",
	    risk_person, &g);
	cr_assert_str_eq(amount(&g, "budget", "C01", "RXL", ""), "1000000.00");
	/* upper bound 1,000,000 × 1.02 = 1,020,000; 1,060,000 − 1,020,000 = 40,000;
	 * × 50% = +20,000.00 (cap 10% = 100,000 not reached) */
	cr_assert_str_eq(amount(&g, "risk_share", "C01", "RXL", ""), "20000.00");
	int i = find(&g, "risk_share", "C01", "RXL", "");
	cr_assert_str_eq(g.line[i].comp[REMIT_C_RISK_SHARE], "20000");
	cr_assert_eq(g.counts.covered, 1);
	cr_assert_eq(count(&g, "activity"), 0);
	cr_assert_str_eq(g.total, "1020000.00");
	assert_reconciled(&g);
}

Test(risk_share, shadow_below_the_corridor_is_recovered_from_the_holder)
{
	got g;
	run(risk_regime("against: shadow, shadow_with: apc"),
	    "x1,r1,RXL,C01,EL,MID,2024-06-01,,\n"
	    "x2,r1,RXL,C01,EL,MID,2024-07-01,,\n",
	    risk_person, &g);
	/* shadow 2 × 450,000 = 900,000; lower bound 1,000,000 × 0.98 = 980,000;
	 * 900,000 − 980,000 = −80,000; × 50% = −40,000.00 */
	cr_assert_str_eq(amount(&g, "risk_share", "C01", "RXL", ""), "-40000.00");
	cr_assert_str_eq(g.total, "960000.00");
}

Test(risk_share, limited_to_the_cap_and_nothing_within_the_corridor)
{
	got g;
	run(risk_regime("against: shadow, shadow_with: apc"), "x1,r1,RXL,C01,EL,HUGE,2024-06-01,,\n",
	    risk_person, &g);
	/* (1,500,000 − 1,020,000) × 50% = 240,000 > 10% × 1,000,000: +100,000.00 */
	cr_assert_str_eq(amount(&g, "risk_share", "C01", "RXL", ""), "100000.00");
	run(risk_regime("against: shadow, shadow_with: apc"), "x1,r1,RXL,C01,EL,NEAR,2024-06-01,,\n",
	    risk_person, &g);
	/* 1,010,000 is within 980,000..1,020,000: no line */
	cr_assert_eq(count(&g, "risk_share"), 0);
}

Test(risk_share, against_cost)
{
	got g;
	run(risk_regime("against: cost"),
	    "x1,r1,RXL,C01,EL,MID,2024-06-01,,1060000.00\n"
	    "x2,r1,RXL,C01,EL,MID,2024-06-02,,\n", /* no cost: adds nothing */
	    risk_person, &g);
	/* cost 1,060,000 → +20,000.00 as with the shadow value */
	cr_assert_str_eq(amount(&g, "risk_share", "C01", "RXL", ""), "20000.00");
	int i = find(&g, "risk_share", "C01", "RXL", "");
	cr_assert(strstr(g.line[i].basis, "1 covered rows without a cost"), "%s", g.line[i].basis);
}

/* ---- block ------------------------------------------------------------------------------- */

static const char block_regime[] = "remit: 1\n"
				   "regime: B\n"
				   "rounding: {scale: 0, mode: half-up}\n"
				   "modules:\n"
				   "  - module: block\n"
				   "    name: community\n"
				   "    payee: RYY\n"
				   "    payer: C01\n"
				   "    amount: 4500000.40\n"
				   "    covers: provider == RYY and pod == COM\n"
				   "  - module: tariff\n"
				   "    name: com\n"
				   "    covers: pod == COM\n"
				   "    prices: {columns: [code, pod, price], rows: [[C1, COM, 50]]}\n";

Test(block, claims_its_rows_and_pays_one_line)
{
	got g;
	run(block_regime,
	    "b1,Q1,RYY,C01,COM,C1,2024-06-01,,\n"
	    "b2,Q2,RYY,C02,COM,C1,2024-06-01,,\n"
	    "b3,Q3,RAA,C01,COM,C1,2024-06-01,,\n", /* another provider: the tariff */
	    "", &g);
	cr_assert_eq(g.counts.covered, 2);
	cr_assert_eq(g.counts.priced, 1);
	cr_assert_eq(count(&g, "block"), 1);
	/* 4500000.40 at scale 0 → 4500000; rounding −0.4 */
	cr_assert_str_eq(amount(&g, "block", "C01", "RYY", ""), "4500000");
	int i = find(&g, "block", "C01", "RYY", "");
	cr_assert_str_eq(g.line[i].comp[REMIT_C_BLOCK], "4500000.4");
	cr_assert_str_eq(g.line[i].comp[REMIT_C_ROUNDING], "-0.4");
	cr_assert_str_eq(g.line[i].basis, "block contract 4500000.4; 2 covered rows");
	cr_assert_str_eq(amount(&g, "activity", "C01", "RAA", ""), "50");
	/* 4500000 + 50 */
	cr_assert_str_eq(g.total, "4500050");
	assert_reconciled(&g);
}

Test(block, paid_even_when_nothing_is_covered)
{
	got g;
	run(block_regime, "b3,Q3,RAA,C01,COM,C1,2024-06-01,,\n", "", &g);
	cr_assert_str_eq(amount(&g, "block", "C01", "RYY", ""), "4500000");
	cr_assert_eq(g.counts.covered, 0);
}

/* ---- rule-file errors ---------------------------------------------------------------------- */

typedef struct errs {
	char buf[4096];
	size_t n;
} errs;

static void on_diag(void *ud, const remit_error *e)
{
	errs *x = ud;
	int k = snprintf(x->buf + x->n, sizeof x->buf - x->n, "%s:%lu:%lu: %s\n", e->file, e->line,
			 e->column, e->message);
	if (k > 0)
		x->n += (size_t)k < sizeof x->buf - x->n ? (size_t)k : sizeof x->buf - x->n - 1;
}

/* Load yaml (named b.yaml); expect failure with exactly `want`. */
static void expect_errors(const char *yaml, const char *want)
{
	errs x = {0};
	remit_regime *r;
	remit_error err;
	int rc = remit_regime_load_string(yaml, strlen(yaml), "b.yaml", on_diag, &x, &r, &err);
	cr_assert_eq(rc, REMIT_ERULES, "loaded; expected:\n%s", want);
	cr_assert_str_eq(x.buf, want);
}

/* Line 1..4 are the same in every case; a module starts on line 5. */
#define HEAD                                                                                      \
	"remit: 1\n"                                                                               \
	"regime: E\n"                                                                              \
	"tables: {mff: {key: provider, rows: {RXL: 1.04}}, holders: {key: practice, rows: {P1: "      \
	"RTX}}}\n"                                                                                 \
	"modules:\n"

#define YOC_MIN                                                                                    \
	"  - module: year_of_care\n"                                                               \
	"    name: d\n"                                                                            \
	"    cohort: conditions has diabetes\n"                                                    \
	"    prices: {\"1\": 520.00}\n"                                                            \
	"    holder: RXL\n"                                                                        \
	"    covers: pod == COM\n"

Test(rules, prorate_needs_the_period)
{
	/* line 12: "    prorate: days", the value at column 14 */
	expect_errors(HEAD YOC_MIN "    tier: {from: tier}\n"
				   "    prorate: days\n",
		      "b.yaml:12:14: year_of_care.prorate: pro-rating by days needs the regime's "
		      "period (period: {start: ..., end: ...})\n");
}

Test(rules, prorate_with_a_broken_period_reports_only_the_period)
{
	/* line 3: "period: {start: 2024-04-01, end: 2025-02-30}", the end at column 34 */
	expect_errors("remit: 1\nregime: E\nperiod: {start: 2024-04-01, end: 2025-02-30}\n"
		      "modules:\n" YOC_MIN "    tier: {from: tier}\n"
		      "    prorate: days\n",
		      "b.yaml:3:34: period.end: expected a date YYYY-MM-DD, got \"2025-02-30\"\n");
}

Test(rules, prorate_other_than_days)
{
	expect_errors("remit: 1\nregime: E\nperiod: {start: 2024-04-01, end: 2025-03-31}\n"
		      "modules:\n" YOC_MIN "    tier: {from: tier}\n"
		      "    prorate: months\n",
		      "b.yaml:12:14: year_of_care.prorate: expected days, got \"months\"\n");
}

Test(rules, unknown_key_in_year_of_care)
{
	expect_errors(HEAD YOC_MIN "    tier: {from: tier}\n"
				   "    cohrt: x\n",
		      "b.yaml:12:5: year_of_care: unknown key \"cohrt\"; expected one of: module, "
		      "name, valid, cohort, tier, prices, holder, covers, prorate, mff, "
		      "subcontract\n");
}

Test(rules, tier_rule_naming_a_tier_without_a_price)
{
	/* line 11: "    tier: [{when: age >= 65, tier: \"2\"}]": the quoted "2" at column 36 */
	expect_errors(HEAD YOC_MIN "    tier: [{when: age >= 65, tier: \"2\"}]\n",
		      "b.yaml:11:36: year_of_care.tier[0].tier: no price for tier \"2\" in "
		      "year_of_care.prices\n");
}

Test(rules, tier_from_a_column_that_is_not_a_string)
{
	expect_errors(HEAD YOC_MIN "    tier: {from: age}\n",
		      "b.yaml:11:18: year_of_care.tier.from: expected a population column (tier), "
		      "got \"age\"\n");
}

Test(rules, tier_both_from_and_rules)
{
	expect_errors(HEAD YOC_MIN "    tier: {from: tier, rules: []}\n",
		      "b.yaml:11:11: year_of_care.tier: expected {from: tier} or {rules: [{when, "
		      "tier}, ...]}\n");
}

Test(rules, year_of_care_holder_without_mff)
{
	/* the holders table's only holder, RTX, has no factor in mff */
	expect_errors(HEAD "  - module: year_of_care\n"
			   "    name: d\n"
			   "    cohort: conditions has diabetes\n"
			   "    prices: {\"1\": 520.00}\n"
			   "    holder: {table: holders}\n"
			   "    covers: pod == COM\n"
			   "    tier: {from: tier}\n"
			   "    mff: {table: mff}\n",
		      "b.yaml:12:10: year_of_care.mff: no market forces factor for the holder RTX in "
		      "table mff (and no default)\n");
}

Test(rules, year_of_care_holders_table_with_an_empty_holder)
{
	/* line 3: the empty "" of P1 at column 46 */
	expect_errors("remit: 1\n"
		      "regime: E\n"
		      "tables: {holders: {key: practice, rows: {P1: \"\"}}}\n"
		      "modules:\n"
		      "  - module: year_of_care\n"
		      "    name: d\n"
		      "    cohort: conditions has diabetes\n"
		      "    prices: {\"1\": 520.00}\n"
		      "    holder: {table: holders}\n"
		      "    covers: pod == COM\n"
		      "    tier: {from: tier}\n",
		      "b.yaml:3:46: year_of_care.holder: table holders: no holder for practice P1\n");
}

Test(rules, year_of_care_negative_price)
{
	expect_errors(HEAD "  - module: year_of_care\n"
			   "    name: d\n"
			   "    cohort: conditions has diabetes\n"
			   "    prices: {\"1\": -520.00}\n"
			   "    holder: RXL\n"
			   "    covers: pod == COM\n"
			   "    tier: {from: tier}\n",
		      "b.yaml:8:19: year_of_care.prices.1: expected a price ≥ 0, got \"-520.00\"\n");
}

#define CAP_MIN                                                                                    \
	"  - module: capitation\n"                                                                 \
	"    name: c\n"                                                                            \
	"    holder: RXL\n"                                                                        \
	"    population: practice == P1\n"                                                         \
	"    rate: 1180.00\n"                                                                      \
	"    covers: pod == EL\n"

Test(rules, weights_without_u)
{
	/* line 11: "    weights: {bands: [0, 65], M: [1, 2], F: [1, 2]}" */
	expect_errors(HEAD CAP_MIN "    weights: {bands: [0, 65], M: [1, 2], F: [1, 2]}\n",
		      "b.yaml:11:14: capitation.weights: missing required key 'U'\n");
}

Test(rules, weights_of_the_wrong_length)
{
	expect_errors(HEAD CAP_MIN "    weights: {bands: [0, 65], M: [1, 2], F: [1], U: [1, 1]}\n",
		      "b.yaml:11:45: capitation.weights.F: expected 2 weights (one per band), "
		      "got 1\n");
}

Test(rules, bands_start_at_zero_and_ascend)
{
	expect_errors(HEAD CAP_MIN "    weights: {bands: [5, 65], M: [1, 2], F: [1, 2], U: [1, 1]}\n",
		      "b.yaml:11:23: capitation.weights.bands[0]: the first band must start at age 0, "
		      "got 5\n");
	expect_errors(HEAD CAP_MIN "    weights: {bands: [0, 65, 65], M: [1, 2, 3], F: [1, 2, 3], "
				   "U: [1, 1, 1]}\n",
		      "b.yaml:11:30: capitation.weights.bands[2]: expected an age above 65 (bands "
		      "ascend), got 65\n");
}

Test(rules, negative_weight)
{
	expect_errors(HEAD CAP_MIN "    weights: {bands: [0], M: [-1], F: [1], U: [1]}\n",
		      "b.yaml:11:31: capitation.weights.M[0]: expected a weight ≥ 0, got \"-1\"\n");
}

#define WEIGHTS "    weights: {bands: [0], M: [1], F: [1], U: [1]}\n"

Test(rules, need_from_a_column_that_is_not_a_decimal)
{
	expect_errors(HEAD CAP_MIN WEIGHTS "    need: {from: tier}\n",
		      "b.yaml:12:18: capitation.need.from: expected a population column (need), "
		      "got \"tier\"\n");
}

Test(rules, capitation_mff_provider_and_missing_holder)
{
	expect_errors(HEAD CAP_MIN WEIGHTS "    mff: {provider: practice, table: mff}\n",
		      "b.yaml:12:21: capitation.mff.provider: expected holder, got \"practice\"\n");
	expect_errors(HEAD "  - module: capitation\n"
			   "    name: c\n"
			   "    holder: RZZ\n"
			   "    population: practice == P1\n"
			   "    rate: 1180.00\n"
			   "    covers: pod == EL\n" WEIGHTS "    mff: {table: mff}\n",
		      "b.yaml:12:10: capitation.mff: no market forces factor for the holder RZZ in "
		      "table mff (and no default)\n");
}

Test(rules, risk_share_errors)
{
	expect_errors(HEAD CAP_MIN WEIGHTS "    risk_share: {against: budget, share: 50%}\n",
		      "b.yaml:12:27: capitation.risk_share.against: expected shadow or cost, got "
		      "\"budget\"\n");
	expect_errors(HEAD CAP_MIN WEIGHTS "    risk_share: {against: shadow, share: 50%}\n",
		      "b.yaml:12:17: capitation.risk_share: against: shadow needs shadow_with (the "
		      "module whose price is the shadow value)\n");
	expect_errors(HEAD CAP_MIN WEIGHTS
		      "    risk_share: {against: shadow, shadow_with: apc, share: 150%}\n",
		      "b.yaml:12:60: capitation.risk_share.share: expected a percentage from 0% to "
		      "100%, got \"150%\"\n");
	expect_errors(HEAD CAP_MIN WEIGHTS
		      "    risk_share: {against: shadow, shadow_with: apc, share: 50%}\n",
		      "b.yaml:12:48: capitation.risk_share.shadow_with: no module named 'apc' that "
		      "prices activity (a tariff module of this regime)\n");
}

Test(rules, block_errors)
{
	expect_errors(HEAD "  - module: block\n"
			   "    name: b\n"
			   "    payee: RYY\n"
			   "    amount: -1\n",
		      "b.yaml:5:5: block: missing required key 'payer'\n");
	expect_errors(HEAD "  - module: block\n"
			   "    name: b\n"
			   "    payee: RYY\n"
			   "    payer: C01\n"
			   "    amount: -1\n",
		      "b.yaml:9:13: block.amount: expected an amount ≥ 0, got \"-1\"\n");
}

/* ---- the command line ------------------------------------------------------------------------ */

Test(cli, price_without_population_is_a_usage_error)
{
	char *yaml = remit_test_tmpfile(".yaml", yoc_regime(TIER_COLUMN));
	char *csv = remit_test_tmpfile(".csv", act_header);
	char args[1024], *out, *err;
	snprintf(args, sizeof args, "price %s --activity %s --quiet", yaml, csv);
	int rc = remit_test_run(args, &out, &err);
	cr_assert_eq(rc, 2, "stderr: %s", err);
	cr_assert(strstr(err, "regime \"Y\" has population budgets: give --population FILE"), "%s",
		  err);
	free(out);
	free(err);
	unlink(yaml);
	unlink(csv);
	free(yaml);
	free(csv);
}

/* The examples, totals as worked by hand in each folder's README. */
static void expect_example(const char *args, const char *total, const char *rows)
{
	char *out, *err;
	int rc = remit_test_run(args, &out, &err);
	cr_assert_eq(rc, 0, "remit %s: %s", args, err);
	char want[128];
	snprintf(want, sizeof want, "\"total\": \"%s\"", total);
	cr_assert(strstr(out, want), "%s", out);
	cr_assert(strstr(out, rows), "%s", out);
	cr_assert(strstr(out, "\"balanced\": true"), "%s", out);
	free(out);
	free(err);
}

#define EX "../models/"

Test(cli, year_of_care_example)
{
	expect_example("price " EX "year_of_care/examples/diabetes-2024-25.yaml --activity " EX
		       "year_of_care/examples/activity.csv --population " EX
		       "year_of_care/examples/population.csv --json -",
		       "11172.17",
		       "\"rows\": {\"read\": 9, \"priced\": 5, \"covered\": 4, \"unpriced\": 0, "
		       "\"rejected\": 0}");
}

Test(cli, capitation_example)
{
	expect_example("price " EX "capitation/examples/ico-2024-25.yaml --activity " EX
		       "capitation/examples/activity.csv --population " EX
		       "capitation/examples/population.csv --json -",
		       "12838.14",
		       "\"rows\": {\"read\": 8, \"priced\": 2, \"covered\": 6, \"unpriced\": 0, "
		       "\"rejected\": 0}");
}

Test(cli, block_example)
{
	expect_example("price " EX "block/examples/community-2024-25.yaml --activity " EX
		       "block/examples/activity.csv --json -",
		       "4500218.00",
		       "\"rows\": {\"read\": 6, \"priced\": 2, \"covered\": 3, \"unpriced\": 1, "
		       "\"rejected\": 0}");
}

Test(cli, explain_a_person_of_the_capitation_example)
{
	char *out, *err;
	int rc = remit_test_run("explain " EX "capitation/examples/ico-2024-25.yaml --activity " EX
				"capitation/examples/activity.csv --population " EX
				"capitation/examples/population.csv --id p4",
				&out, &err);
	cr_assert_eq(rc, 0, "%s", err);
	/* 1180 × 0.70 × 1.1 × 365/365 × 1.04 = 944.944 */
	cr_assert(strstr(out, "module ico-north (capitation): person p4\n"), "%s", out);
	cr_assert(strstr(out, "    share: 1180.00 × 0.7 × 1.1 × 365/365 × MFF 1.04 = 944.944\n"),
		  "%s", out);
	free(out);
	free(err);
}
