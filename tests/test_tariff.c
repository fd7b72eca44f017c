/*
 * test_tariff.c — the tariff module through the public API: the worked
 * examples T1–T8 and the marginal-rate example of EXAMPLES.md, every step
 * of the pricing order, organisation-level lines, and the reconciliation.
 *
 * Every expected amount is computed by hand in the comment beside it.
 */
#include "remit.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef remit_test_got got;

static const char header[] =
	"id,patient,provider,commissioner,pod,code,start,end,los,age,sex,diagnoses,procedures,"
	"flags,quantity\n";

/* Price `rows` (activity CSV without header) under regime `yaml`. */
static void price(const char *yaml, const char *rows, got *g)
{
	char *path = remit_test_csv(header, rows);
	remit_regime *r = remit_test_load(yaml, "test.yaml");
	remit_test_price(r, path, NULL, g);
	remit_regime_free(r);
	unlink(path);
	free(path);
}

/* The index of the line for activity id, or -1. */
static int line_of(const got *g, const char *id)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->line[i].activity, id))
			return i;
	return -1;
}

static const char *amount_of(const got *g, const char *id)
{
	int i = line_of(g, id);
	return i < 0 ? "(no line)" : g->line[i].amount;
}

static const char *line_of_kind(const got *g, const char *kind, const char *payee)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->line[i].kind, kind) && !strcmp(g->line[i].payee, payee))
			return g->line[i].amount;
	return "(no line)";
}

/* The regime of EXAMPLES.md's tariff table. */
static const char regime_t[] =
	"remit: 1\n"
	"regime: T\n"
	"period: {start: 2024-04-01, end: 2025-03-31}\n"
	"rounding: {scale: %d, mode: half-up}\n"
	"tables:\n"
	"  mff: {key: provider, rows: {RJZ: 1.19117, RJ2: 1.184397, RX1: 1.202198, RK5: 1.0461}}\n"
	"modules:\n"
	"  - module: tariff\n"
	"    name: apc\n"
	"    covers: pod in [EL, DC, NE, OPFA]\n"
	"    prices:\n"
	"      columns: [code, pod, price, trim, excess_day, short_stay_price]\n"
	"      rows:\n"
	"        - [HN12F, EL, 7251, '', '', '']\n"
	"        - [HN12F, NE, 8942, 10, 300, 2683]\n"
	"        - [HN12A, EL, 13900, 6, 320, '']\n"
	"        - [HT12A, NE, 16447, 5, 250, '']\n"
	"        - [WF01A, OPFA, 168, '', '', '']\n"
	"    mff: {table: mff, default: 1}\n"
	"    long_stay: {pods: [EL, NE]}\n"
	"    short_stay: {pods: [NE], max_los: 1, min_age: 19}\n"
	"    topups: [{name: spec-orth, when: flags has SPEC_ORTH, rate: 25%%}]\n"
	"    uplifts: [{name: bpt-hip, when: flags has BPT_HIP, add: 1335}]\n";

static char *regime_at_scale(int scale)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, regime_t, scale);
	return buf;
}

static const char examples[] =
	"T1,P1,RJZ,C01,EL,HN12F,2024-05-01,2024-05-03,2,67,F,,,,\n"
	"T2,P2,RJ2,C01,NE,HN12F,2024-06-01,2024-06-15,14,60,M,,,,\n"
	"T3,P3,RX1,C02,EL,HN12A,2024-07-01,2024-07-04,3,71,F,,,SPEC_ORTH,\n"
	"T4,P4,RJZ,C01,NE,HT12A,2024-08-01,2024-08-09,8,82,F,,,SPEC_ORTH|BPT_HIP,\n"
	"T5,P5,RYY,C02,NE,HN12F,2024-09-01,2024-09-02,1,45,M,,,,\n"
	"T6,P6,RYY,C02,NE,HN12F,2024-09-03,2024-09-04,1,12,F,,,,\n"
	"T7,P7,RJZ,C01,NE,HX99Z,2024-10-01,2024-10-03,2,50,M,,,,\n"
	"T8,P8,RK5,C02,OPFA,WF01A,2024-12-02,,,44,F,,,,\n";

Test(tariff, examples_t1_to_t8_at_scale_2)
{
	got g;
	price(regime_at_scale(2), examples, &g);
	/* 7251 × 1.19117 = 8637.17367 */
	cr_assert_str_eq(amount_of(&g, "T1"), "8637.17");
	/* (8942 + 4 × 300) × 1.184397 = 12012.154374 */
	cr_assert_str_eq(amount_of(&g, "T2"), "12012.15");
	/* 13900 × 1.25 × 1.202198 = 20888.19025 */
	cr_assert_str_eq(amount_of(&g, "T3"), "20888.19");
	/* ((16447 + 3 × 250) × 1.25 + 1335) × 1.19117 = 22831.25 × 1.19117 = 27195.9000625 */
	cr_assert_str_eq(amount_of(&g, "T4"), "27195.90");
	/* short stay: published price 2683 replaces 8942; MFF default 1 */
	cr_assert_str_eq(amount_of(&g, "T5"), "2683.00");
	/* age 12 < 19: full NE price */
	cr_assert_str_eq(amount_of(&g, "T6"), "8942.00");
	/* 168 × 1.0461 = 175.7448 */
	cr_assert_str_eq(amount_of(&g, "T8"), "175.74");
	cr_assert_str_eq(amount_of(&g, "T7"), "(no line)");
	cr_assert_eq(g.unpriced, 1);
	cr_assert_str_eq(g.reasons[0], "T7: no price for code HX99Z pod NE");
	/* 8637.17 + 12012.15 + 20888.19 + 27195.90 + 2683.00 + 8942.00 + 175.74 */
	cr_assert_str_eq(g.total, "80534.15");
	cr_assert_eq(g.counts.read, 8);
	cr_assert_eq(g.counts.priced, 7);
	cr_assert_eq(g.counts.unpriced, 1);
	cr_assert(g.balanced);
}

Test(tariff, examples_at_scale_0)
{
	got g;
	price(regime_at_scale(0), examples, &g);
	cr_assert_str_eq(amount_of(&g, "T1"), "8637"); /* T1b: 8637.17367 */
	cr_assert_str_eq(amount_of(&g, "T8"), "176");  /* T8: 175.7448 */
	cr_assert_str_eq(amount_of(&g, "T4"), "27196"); /* 27195.9000625 */
}

Test(tariff, t4_components_sum_to_the_amount)
{
	got g;
	price(regime_at_scale(2), examples, &g);
	int i = line_of(&g, "T4");
	cr_assert_geq(i, 0);
	cr_assert_str_eq(g.line[i].comp[REMIT_C_BASE], "16447");
	cr_assert_str_eq(g.line[i].comp[REMIT_C_LONG_STAY], "750");
	cr_assert_str_eq(g.line[i].comp[REMIT_C_TOPUPS], "4299.25");   /* 17197 × 0.25 */
	cr_assert_str_eq(g.line[i].comp[REMIT_C_UPLIFTS], "1335");
	/* 22831.25 × 0.19117 = 4364.6500625 */
	cr_assert_str_eq(g.line[i].comp[REMIT_C_MARKET_FORCES], "4364.6500625");
	cr_assert_str_eq(g.line[i].comp[REMIT_C_ROUNDING], "-0.0000625");
	cr_assert_str_eq(g.line[i].comp[REMIT_C_SHORT_STAY], "");
	cr_assert_str_eq(g.line[i].basis,
			 "HT12A NE 16447.00 + 3×250.00 long stay; +25% top-ups; + 1335.00 bpt-hip; "
			 "×MFF 1.19117");
}

Test(tariff, t5_short_stay_component_is_the_reduction)
{
	got g;
	price(regime_at_scale(2), examples, &g);
	int i = line_of(&g, "T5");
	cr_assert_geq(i, 0);
	cr_assert_str_eq(g.line[i].comp[REMIT_C_BASE], "8942");
	cr_assert_str_eq(g.line[i].comp[REMIT_C_SHORT_STAY], "-6259"); /* 2683 − 8942 */
}

/* A small regime with one price per pod, for the remaining rules. */
static const char regime_rules[] =
	"remit: 1\n"
	"regime: R\n"
	"period: {start: 2024-04-01, end: 2025-03-31}\n"
	"rounding: {scale: 2, mode: half-up}\n"
	"tables:\n"
	"  mff: {key: provider, rows: {RA: 1.1}}\n"
	"modules:\n"
	"  - module: tariff\n"
	"    name: apc\n"
	"    covers: pod in [EL, DC, NE, DRUG]\n"
	"    prices:\n"
	"      columns: [code, pod, price, short_stay]\n"
	"      rows:\n"
	"        - [A1, EL, 1000.00, '']\n"
	"        - [A1, NE, 2000.00, 25%%]\n"
	"        - [D1, DRUG, 10.10, '']\n"
	"    pod_fallback: {DC: EL}\n"
	"    mff: {table: mff}\n"
	"    short_stay: {pods: [NE], max_los: 1}\n"
	"    addons: [{name: chemo, field: procedures, prices: {X721: 363.00, X722: 311.00}}]\n"
	"%s";

static void price_rules(const char *extra, const char *rows, got *g)
{
	static char buf[8192];
	snprintf(buf, sizeof buf, regime_rules, extra);
	price(buf, rows, g);
}

Test(tariff, pod_fallback_uses_the_elective_price)
{
	got g;
	price_rules("", "a,P1,RA,C1,DC,A1,2024-05-01,,,,,,,,\n", &g);
	cr_assert_str_eq(amount_of(&g, "a"), "1100.00"); /* 1000 × 1.1 */
	cr_assert(strstr(g.line[0].basis, "A1 EL 1000.00") != NULL);
}

Test(tariff, short_stay_rate_reduces_the_price)
{
	got g;
	/* NE, los 0: 2000 × (1 − 25%) = 1500, × 1.1 = 1650 */
	price_rules("", "a,P1,RA,C1,NE,A1,2024-05-01,,,,,,,,\n", &g);
	cr_assert_str_eq(amount_of(&g, "a"), "1650.00");
}

Test(tariff, addons_add_per_matching_code_and_quantity_multiplies)
{
	got g;
	price_rules("",
		    "a,P1,RA,C1,EL,A1,2024-05-01,,,,,,X721|Z999|X722,,\n"
		    "d,P2,RA,C1,DRUG,D1,2024-05-01,,,,,,,,2.5\n",
		    &g);
	/* (1000 + 363 + 311) × 1.1 = 1841.4 */
	cr_assert_str_eq(amount_of(&g, "a"), "1841.40");
	/* 10.10 × 1.1 × 2.5 = 27.775 → 27.78 (half-up) */
	cr_assert_str_eq(amount_of(&g, "d"), "27.78");
}

Test(tariff, missing_mff_without_default_is_unpriced)
{
	got g;
	price_rules("", "a,P1,RZ,C1,EL,A1,2024-05-01,,,,,,,,\n", &g);
	cr_assert_eq(g.n, 0);
	cr_assert_str_eq(g.reasons[0], "a: no market forces factor for provider RZ in table mff");
}

Test(tariff, outside_the_period_is_unpriced)
{
	got g;
	price_rules("", "a,P1,RA,C1,EL,A1,2025-04-01,,,,,,,,\n", &g);
	cr_assert_str_eq(g.reasons[0], "a: outside the period");
}

Test(tariff, rounding_after_a_named_step)
{
	got g;
	/* D1: 10.10 × 1.1 = 11.11 → rounded after mff at scale 0 → 11; × 2.5 = 27.50 */
	price_rules("    rounds: [{after: mff, scale: 0, mode: half-up}]\n",
		    "d,P2,RA,C1,DRUG,D1,2024-05-01,,,,,,,,2.5\n", &g);
	cr_assert_str_eq(amount_of(&g, "d"), "27.50");
	/* components book each step's change: the rounding after mff is 11 − 11.11,
	 * and the quantity step then adds 11 × 1.5 */
	cr_assert_str_eq(g.line[0].comp[REMIT_C_ROUNDING], "-0.11");
	cr_assert_str_eq(g.line[0].comp[REMIT_C_QUANTITY], "16.5");
}

static const char regime_readmit[] =
	"remit: 1\n"
	"regime: R\n"
	"modules:\n"
	"  - module: tariff\n"
	"    name: apc\n"
	"    covers: pod in [EL, NE, OPFU]\n"
	"    prices: {columns: [code, pod, price], rows: [[A1, EL, 1000], [A1, NE, 2000], [A1, OPFU, 100]]}\n"
	"    readmission: {within: 30, pods: [NE], pay: %s}\n";

Test(tariff, readmission_within_n_days_of_a_discharge)
{
	char yaml[1024];
	snprintf(yaml, sizeof yaml, regime_readmit, "50%");
	got g;
	price(yaml,
	      /* discharged 2024-05-10 */
	      "e1,P1,RA,C1,EL,A1,2024-05-01,2024-05-10,,,,,,,\n"
	      /* 30 days after the discharge: a readmission, paid 50% */
	      "n1,P1,RA,C1,NE,A1,2024-06-09,2024-06-12,,,,,,,\n"
	      /* 31 days after n1's discharge: not a readmission */
	      "n2,P1,RA,C1,NE,A1,2024-07-13,2024-07-14,,,,,,,\n"
	      /* same patient, other provider: not a readmission */
	      "n3,P1,RB,C1,NE,A1,2024-07-15,2024-07-15,,,,,,,\n"
	      /* other patient */
	      "n4,P2,RA,C1,NE,A1,2024-06-01,2024-06-01,,,,,,,\n"
	      /* outpatient follow-up is not a discharge: p1's OPFU on 06-20, NE 06-25 */
	      "o1,P3,RA,C1,OPFU,A1,2024-06-20,,,,,,,,\n"
	      "n5,P3,RA,C1,NE,A1,2024-06-25,2024-06-25,,,,,,,\n",
	      &g);
	cr_assert_str_eq(amount_of(&g, "n1"), "1000.00"); /* 2000 × 50% */
	cr_assert_str_eq(amount_of(&g, "n2"), "2000.00"); /* 31 days after n1's discharge */
	cr_assert_str_eq(amount_of(&g, "n3"), "2000.00");
	cr_assert_str_eq(amount_of(&g, "n4"), "2000.00");
	cr_assert_str_eq(amount_of(&g, "n5"), "2000.00");
	int i = 0;
	while (strcmp(g.line[i].activity, "n1"))
		i++;
	cr_assert_str_eq(g.line[i].comp[REMIT_C_READMISSION], "-1000");
}

Test(tariff, readmission_boundary_is_inclusive)
{
	char yaml[1024];
	snprintf(yaml, sizeof yaml, regime_readmit, "0%");
	got g;
	price(yaml,
	      "e1,P1,RA,C1,EL,A1,2024-05-01,2024-05-10,,,,,,,\n"
	      "n1,P1,RA,C1,NE,A1,2024-06-10,2024-06-11,,,,,,,\n" /* 31 days: paid */
	      "e2,P2,RA,C1,EL,A1,2024-05-01,2024-05-10,,,,,,,\n"
	      "n2,P2,RA,C1,NE,A1,2024-06-09,2024-06-11,,,,,,,\n", /* 30 days: not paid */
	      &g);
	cr_assert_str_eq(amount_of(&g, "n1"), "2000.00");
	cr_assert_str_eq(amount_of(&g, "n2"), "0.00");
}

/* A patient with more rows than an insertion sort takes (patients.c sorts
 * each patient's rows by date), in the file latest first: every emergency
 * admission 10 days after an elective discharge is a readmission. */
Test(tariff, readmissions_of_a_patient_with_many_rows_in_no_order)
{
	char yaml[1024];
	snprintf(yaml, sizeof yaml, regime_readmit, "50%");
	got g;
	price(yaml,
	      "n9,P1,RA,C1,NE,A1,2025-05-07,2025-05-08,,,,,,,\n"
	      "e9,P1,RA,C1,EL,A1,2025-04-25,2025-04-27,,,,,,,\n"
	      "n8,P1,RA,C1,NE,A1,2025-03-08,2025-03-09,,,,,,,\n"
	      "e8,P1,RA,C1,EL,A1,2025-02-24,2025-02-26,,,,,,,\n"
	      "n7,P1,RA,C1,NE,A1,2025-01-07,2025-01-08,,,,,,,\n"
	      "e7,P1,RA,C1,EL,A1,2024-12-26,2024-12-28,,,,,,,\n"
	      "n6,P1,RA,C1,NE,A1,2024-11-08,2024-11-09,,,,,,,\n"
	      "e6,P1,RA,C1,EL,A1,2024-10-27,2024-10-29,,,,,,,\n"
	      "n5,P1,RA,C1,NE,A1,2024-09-09,2024-09-10,,,,,,,\n"
	      "e5,P1,RA,C1,EL,A1,2024-08-28,2024-08-30,,,,,,,\n"
	      "n4,P1,RA,C1,NE,A1,2024-07-11,2024-07-12,,,,,,,\n"
	      "e4,P1,RA,C1,EL,A1,2024-06-29,2024-07-01,,,,,,,\n"
	      "n3,P1,RA,C1,NE,A1,2024-05-12,2024-05-13,,,,,,,\n"
	      "e3,P1,RA,C1,EL,A1,2024-04-30,2024-05-02,,,,,,,\n"
	      "n2,P1,RA,C1,NE,A1,2024-03-13,2024-03-14,,,,,,,\n"
	      "e2,P1,RA,C1,EL,A1,2024-03-01,2024-03-03,,,,,,,\n"
	      "n1,P1,RA,C1,NE,A1,2024-01-13,2024-01-14,,,,,,,\n"
	      "e1,P1,RA,C1,EL,A1,2024-01-01,2024-01-03,,,,,,,\n",
	      &g);
	for (int k = 1; k <= 9; k++) {
		char id[4];
		snprintf(id, sizeof id, "n%d", k);
		cr_assert_str_eq(amount_of(&g, id), "1000.00", "%s", id); /* 2000 × 50% */
		id[0] = 'e';
		cr_assert_str_eq(amount_of(&g, id), "1000.00", "%s", id);
	}
}

static const char regime_marginal[] =
	"remit: 1\n"
	"regime: M\n"
	"tables:\n"
	"  ne_baseline: {key: provider, rows: {RA: 10000000.00}}\n"
	"modules:\n"
	"  - module: tariff\n"
	"    name: apc\n"
	"    covers: pod in [EL, NE]\n"
	"    prices: {columns: [code, pod, price], rows: [[BIG, NE, 6000000.00], [A1, EL, 1000.00]]}\n"
	"    marginal: {pods: [NE], baseline: {table: ne_baseline}, rate: %s}\n"
	"%s";

Test(tariff, marginal_rate_above_baseline_mret)
{
	char yaml[2048];
	snprintf(yaml, sizeof yaml, regime_marginal, "70%", "");
	got g;
	price(yaml,
	      "n1,P1,RA,C1,NE,BIG,2024-05-01,,,,,,,,\n"
	      "n2,P2,RA,C1,NE,BIG,2024-05-02,,,,,,,,\n"
	      "e1,P3,RA,C1,EL,A1,2024-05-02,,,,,,,,\n",
	      &g);
	/* NE value 12,000,000 − baseline 10,000,000 = 2,000,000 paid at 70%: −600,000 */
	cr_assert_str_eq(line_of_kind(&g, "marginal", "RA"), "-600000.00");
	/* 12,000,000 + 1,000 − 600,000 */
	cr_assert_str_eq(g.total, "11401000.00");
	cr_assert(g.balanced);

	snprintf(yaml, sizeof yaml, regime_marginal, "30%", "");
	price(yaml,
	      "n1,P1,RA,C1,NE,BIG,2024-05-01,,,,,,,,\n"
	      "n2,P2,RA,C1,NE,BIG,2024-05-02,,,,,,,,\n",
	      &g);
	cr_assert_str_eq(line_of_kind(&g, "marginal", "RA"), "-1400000.00");
}

Test(tariff, marginal_shared_between_commissioners)
{
	char yaml[2048];
	snprintf(yaml, sizeof yaml, regime_marginal, "70%", "");
	got g;
	price(yaml,
	      "n1,P1,RA,C1,NE,BIG,2024-05-01,,,,,,,,\n"
	      "n2,P2,RA,C2,NE,BIG,2024-05-02,,,,,,,,\n",
	      &g);
	/* −600,000 split in proportion to 6M : 6M */
	int found = 0;
	for (int i = 0; i < g.n; i++)
		if (!strcmp(g.line[i].kind, "marginal")) {
			cr_assert_str_eq(g.line[i].amount, "-300000.00");
			found++;
		}
	cr_assert_eq(found, 2);
}

Test(tariff, no_marginal_line_at_or_below_baseline)
{
	char yaml[2048];
	snprintf(yaml, sizeof yaml, regime_marginal, "70%", "");
	got g;
	price(yaml, "n1,P1,RA,C1,NE,BIG,2024-05-01,,,,,,,,\n", &g);
	cr_assert_str_eq(line_of_kind(&g, "marginal", "RA"), "(no line)");
}

Test(tariff, quality_percentage_of_the_module_total)
{
	char yaml[2048];
	snprintf(yaml, sizeof yaml, regime_marginal, "70%", "    quality: {rate: 1.25%}\n");
	got g;
	price(yaml,
	      "n1,P1,RA,C1,NE,BIG,2024-05-01,,,,,,,,\n"
	      "n2,P2,RA,C1,NE,BIG,2024-05-02,,,,,,,,\n"
	      "e1,P3,RA,C1,EL,A1,2024-05-02,,,,,,,,\n",
	      &g);
	/* 1.25% × (12,001,000 − 600,000) = 1.25% × 11,401,000 = 142,512.50 */
	cr_assert_str_eq(line_of_kind(&g, "quality", "RA"), "142512.50");
	cr_assert_str_eq(g.total, "11543512.50");
	cr_assert(g.balanced);
}

Test(tariff, two_year_versions_route_by_start_date)
{
	const char *yaml =
		"remit: 1\n"
		"regime: Y\n"
		"modules:\n"
		"  - module: tariff\n"
		"    name: pbr-2023\n"
		"    valid: {from: 2023-04-01, to: 2024-03-31}\n"
		"    covers: pod == EL\n"
		"    prices: {columns: [code, pod, price], rows: [[A1, EL, 900]]}\n"
		"  - module: tariff\n"
		"    name: pbr-2024\n"
		"    valid: {from: 2024-04-01, to: 2025-03-31}\n"
		"    covers: pod == EL\n"
		"    prices: {columns: [code, pod, price], rows: [[A1, EL, 1000]]}\n";
	got g;
	price(yaml,
	      "a,P1,RA,C1,EL,A1,2024-03-31,,,,,,,,\n"
	      "b,P1,RA,C1,EL,A1,2024-04-01,,,,,,,,\n"
	      "c,P1,RA,C1,EL,A1,2025-04-01,,,,,,,,\n",
	      &g);
	cr_assert_str_eq(amount_of(&g, "a"), "900.00");
	cr_assert_str_eq(amount_of(&g, "b"), "1000.00");
	cr_assert_str_eq(g.reasons[0], "c: no module covers");
}

Test(tariff, reconciliation_counts_every_row)
{
	got g;
	price(regime_at_scale(2),
	      "a,P1,RJZ,C01,EL,HN12F,2024-05-01,2024-05-03,2,67,F,,,,\n"
	      "a,P1,RJZ,C01,EL,HN12F,2024-05-01,2024-05-03,2,67,F,,,,\n" /* duplicate id */
	      "b,P1,RJZ,C01,EL,HN12F,2024-05-01,2024-05-03,5,67,F,,,,\n" /* los disagrees */
	      "c,P1,RJZ,C01,AE,VB01Z,2024-05-01,,,,,,,,\n"               /* nobody covers */
	      "d,P1,RJZ,C01,EL,HN12F,2023-05-01,,,,,,,,\n",              /* outside period */
	      &g);
	cr_assert_eq(g.counts.read, 5);
	cr_assert_eq(g.counts.priced, 1);
	cr_assert_eq(g.counts.rejected, 2);
	cr_assert_eq(g.counts.unpriced, 2);
	cr_assert_eq(g.counts.covered, 0);
	cr_assert_eq(g.rejected, 2);
	cr_assert_str_eq(g.total, "8637.17");
	cr_assert(g.balanced);
}

/* ---- the quick path ---------------------------------------------------------
 * When no one reads the lines (totals only, as `remit price` without
 * --lines), a tariff with no rule beyond price, stay and MFF prices its
 * plain rows in 64-bit integers (quick_quote in models/tariff/tariff.c).
 * The same rows priced both ways must give the amounts worked out here. */

static const char regime_quick[] =
	"remit: 1\n"
	"regime: Q\n"
	"rounding: {scale: 2, mode: %s}\n"
	"tables:\n"
	"  mff: {key: provider, rows: {RA: 1.05, RB: 0.999999, RD: 1.000001}}\n"
	"modules:\n"
	"  - module: tariff\n"
	"    name: apc\n"
	"    covers: pod in [EL, NE, OP]\n"
	"    prices:\n"
	"      columns: [code, pod, price, trim, excess_day, short_stay_price]\n"
	"      rows:\n"
	"        - [X1, EL, 1000.005, 2, 100.5, '']\n"
	"        - [Y1, NE, 500, '', '', 200]\n"
	"        - [Z1, OP, 99.995, 0, 10, '']\n"
	"        - [BIG, EL, 9000000000000000, '', '', '']\n"
	"    mff: {table: mff, default: 1}\n"
	"    long_stay: {pods: [EL, NE]}\n"
	"    short_stay: {pods: [NE], max_los: 1}\n";

static const char quick_rows[] =
	"Q0,P1,RC,C1,EL,X1,2024-05-01,,0,40,F,,,,\n"           /* default MFF 1 */
	"Q1,P1,RA,C1,EL,X1,2024-05-01,,0,40,F,,,,\n"
	"Q2,P1,RC,C1,EL,X1,2024-05-01,2024-05-06,5,40,F,,,,\n" /* 3 excess days */
	"Q3,P1,RB,C1,EL,X1,2024-05-01,2024-05-03,2,40,F,,,,\n" /* at trim: none */
	"Q4,P1,RA,C1,EL,X1,2024-05-01,,0,40,F,,,,2\n"          /* quantity 2 */
	"Q5,P1,RA,C1,NE,Y1,2024-05-01,,0,30,M,,,,\n"           /* short stay */
	"Q6,P1,RA,C1,OP,Z1,2024-05-01,2024-05-04,3,30,M,,,,\n"; /* OP: no long stay */

/* Price `rows` under regime `yaml`, with the lines read (a callback: the
 * general path) or only the totals (the quick path). */
static void price_either(const char *yaml, const char *rows, bool lines, got *g)
{
	char *path = remit_test_csv(header, rows);
	remit_regime *r = remit_test_load(yaml, "quick.yaml");
	if (lines)
		remit_test_price(r, path, NULL, g);
	else
		remit_test_price_totals(r, path, NULL, g);
	remit_regime_free(r);
	unlink(path);
	free(path);
}

static void price_quick(const char *mode, const char *rows, bool lines, got *g)
{
	char yaml[2048];
	snprintf(yaml, sizeof yaml, regime_quick, mode);
	price_either(yaml, rows, lines, g);
}

static const char *by_payee(const got *g, const char *name)
{
	for (size_t i = 0; i < g->nby[REMIT_BY_PAYEE]; i++)
		if (!strcmp(g->by[REMIT_BY_PAYEE][i].name, name))
			return g->by[REMIT_BY_PAYEE][i].amount;
	return "(none)";
}

Test(tariff, quick_path_half_even_with_and_without_lines)
{
	for (int lines = 0; lines < 2; lines++) {
		got g;
		price_quick("half-even", quick_rows, lines, &g);
		cr_assert_eq(g.counts.priced, 7);
		/* RA: Q1 1000.005 × 1.05 = 1050.00525 → 1050.01
		 *     Q4 2 × 1050.00525 = 2100.0105 → 2100.01
		 *     Q5 short stay 200 × 1.05 = 210.00
		 *     Q6 99.995 × 1.05 = 104.99475 → 104.99 (OP has no long stay)
		 *     1050.01 + 2100.01 + 210.00 + 104.99 = 3465.01 */
		cr_assert_str_eq(by_payee(&g, "RA"), "3465.01", "lines %d", lines);
		/* RB: Q3 1000.005 × 0.999999 = 1000.003999995 → 1000.00 */
		cr_assert_str_eq(by_payee(&g, "RB"), "1000.00", "lines %d", lines);
		/* RC (MFF 1): Q0 1000.005 → 1000.00 (a tie, to even)
		 *             Q2 1000.005 + 3 × 100.5 = 1301.505 → 1301.50 (a tie)
		 *             1000.00 + 1301.50 = 2301.50 */
		cr_assert_str_eq(by_payee(&g, "RC"), "2301.50", "lines %d", lines);
		/* 3465.01 + 1000.00 + 2301.50 */
		cr_assert_str_eq(g.total, "6766.51", "lines %d", lines);
		cr_assert(g.balanced);
	}
}

Test(tariff, quick_path_half_up_with_and_without_lines)
{
	for (int lines = 0; lines < 2; lines++) {
		got g;
		price_quick("half-up", quick_rows, lines, &g);
		/* RC: the two ties now go up: 1000.01 + 1301.51 */
		cr_assert_str_eq(by_payee(&g, "RC"), "2301.52", "lines %d", lines);
		cr_assert_str_eq(by_payee(&g, "RA"), "3465.01", "lines %d", lines);
		/* 3465.01 + 1000.00 + 2301.52 */
		cr_assert_str_eq(g.total, "6766.53", "lines %d", lines);
	}
}

static const char *basis_of(const got *g, const char *id)
{
	int i = line_of(g, id);
	return i < 0 ? "(no line)" : g->line[i].basis;
}

/* The basis quotes each figure as the rule file publishes it: at the
 * regime's scale when it has no more places (500 → "500.00", 100.5 →
 * "100.50"), exactly when it has more (1000.005, 99.995); an MFF exactly. */
Test(tariff, bases_quote_the_published_figures)
{
	got g;
	price_quick("half-even", quick_rows, true, &g);
	cr_assert_str_eq(basis_of(&g, "Q0"), "X1 EL 1000.005; ×MFF 1");
	cr_assert_str_eq(basis_of(&g, "Q1"), "X1 EL 1000.005; ×MFF 1.05");
	cr_assert_str_eq(basis_of(&g, "Q2"), "X1 EL 1000.005 + 3×100.50 long stay; ×MFF 1");
	cr_assert_str_eq(basis_of(&g, "Q3"), "X1 EL 1000.005; ×MFF 0.999999");
	cr_assert_str_eq(basis_of(&g, "Q4"), "X1 EL 1000.005; ×MFF 1.05; ×2 quantity");
	cr_assert_str_eq(basis_of(&g, "Q5"), "Y1 NE 500.00 short stay 200.00; ×MFF 1.05");
	cr_assert_str_eq(basis_of(&g, "Q6"), "Z1 OP 99.995; ×MFF 1.05");
}

/* The quick path (a tariff of prices, long stays and MFFs only) and the
 * general one (the same tariff with an uplift that never applies, which
 * sends every row the general way) must give the same lines to the byte:
 * amounts, bases and every component.  BIG leaves 64 bits under RC's MFF,
 * so both take the general way for it; ZZ and NE rows without a price are
 * unpriced in both. */
static const char regime_paths[] =
	"remit: 1\n"
	"regime: P\n"
	"rounding: {scale: %d, mode: %s}\n"
	"tables:\n"
	"  mff: {key: provider, rows: {RA: 1.05, RB: 0.999999, RC: 1.123456789, RD: 2}}\n"
	"modules:\n"
	"  - module: tariff\n"
	"    name: apc\n"
	"    covers: pod in [EL, NE, DC, OP]\n"
	"    prices:\n"
	"      columns: [code, pod, price, trim, excess_day]\n"
	"      rows:\n"
	"        - [X1, EL, 1000.005, 2, 100.5]\n"
	"        - [Y1, NE, 500, 1, 75.125]\n"
	"        - [Z1, OP, 99.995, '', '']\n"
	"        - [W1, EL, 7251, 5, 300]\n"
	"        - [BIG, EL, 90000000000000.99, 0, 1]\n"
	"    pod_fallback: {DC: EL}\n"
	"    mff: {table: mff, default: 1}\n"
	"    long_stay: {pods: [EL, NE]}\n"
	"%s";

static void price_paths(int scale, const char *mode, bool general, got *g)
{
	static const char *const codes[] = {"X1", "Y1", "Z1", "W1", "BIG", "ZZ"};
	static const char *const pods[] = {"EL", "NE", "DC", "OP"};
	static const char *const provs[] = {"RA", "RB", "RC", "RD", "RE"};
	char rows[200 * 80], yaml[2048];
	size_t n = 0;
	for (int i = 0; i < 200; i++) {
		int los = i % 9;
		n += (size_t)snprintf(rows + n, sizeof rows - n,
				      "p%d,P1,%s,C1,%s,%s,2024-05-01,2024-05-%02d,%d,40,F,,,,\n", i,
				      provs[i / 24 % 5], pods[i / 6 % 4], codes[i % 6], 1 + los, los);
	}
	snprintf(yaml, sizeof yaml, regime_paths, scale, mode,
		 general ? "    uplifts: [{name: never, when: code == NONE, add: 1}]\n" : "");
	price_either(yaml, rows, true, g);
}

Test(tariff, quick_and_general_paths_give_the_same_lines)
{
	static const struct {
		int scale;
		const char *mode;
	} cases[] = {{2, "half-even"}, {0, "half-up"}, {4, "down"}};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		got *quick = malloc(sizeof *quick), *general = malloc(sizeof *general);
		price_paths(cases[c].scale, cases[c].mode, false, quick);
		price_paths(cases[c].scale, cases[c].mode, true, general);
		/* each 24 rows: six codes at EL, NE, DC, OP in turn; X1, W1 and
		 * BIG priced at EL and at DC (its fallback), Y1 at NE, Z1 at OP:
		 * 8.  200 rows: 8 × 8, then rows 192–197 (EL: 3) and 198–199
		 * (NE: Y1) = 68 lines, 132 unpriced */
		cr_assert_eq(quick->n, 68, "scale %d", cases[c].scale);
		cr_assert_eq(general->n, 68, "scale %d", cases[c].scale);
		cr_assert_eq(quick->counts.unpriced, 132);
		cr_assert_eq(general->counts.unpriced, 132);
		for (int i = 0; i < quick->n; i++) {
			const char *id = quick->line[i].activity;
			cr_assert_str_eq(id, general->line[i].activity);
			cr_assert_str_eq(quick->line[i].amount, general->line[i].amount, "%s", id);
			cr_assert_str_eq(quick->line[i].basis, general->line[i].basis, "%s", id);
			for (int k = 0; k < REMIT_C_COUNT; k++)
				cr_assert_str_eq(quick->line[i].comp[k], general->line[i].comp[k],
						 "%s component %d, scale %d", id, k, cases[c].scale);
		}
		free(quick);
		free(general);
	}
}

Test(tariff, quick_path_leaves_64_bits_exactly)
{
	for (int lines = 0; lines < 2; lines++) {
		got g;
		price_quick("half-even",
			    "Q7,P1,RD,C1,EL,BIG,2024-05-01,,0,40,F,,,,\n"
			    "Q1,P1,RA,C1,EL,X1,2024-05-01,,0,40,F,,,,\n",
			    lines, &g);
		/* 9000000000000000 × 1.000001 = 9000009000000000: its units of
		 * 10^-6 overflow 64 bits, so the row is priced the general way */
		cr_assert_str_eq(by_payee(&g, "RD"), "9000009000000000.00", "lines %d", lines);
		/* + 1050.01 */
		cr_assert_str_eq(g.total, "9000009000001050.01", "lines %d", lines);
	}
}

Test(tariff, sums_past_64_bits_of_units_stay_exact)
{
	/* Eleven lines of 9000000000000000.00 (9 × 10^17 pence each) for RC
	 * pay C1: their sum, 9.9 × 10^18 pence, passes 2^63 − 1 units (the
	 * most a line cell holds in 64 bits) at the eleventh; then X1 adds
	 * 1000.005 → 1000.00 (a tie, to even) to the same cell. */
	char rows[2048] = "";
	for (int i = 0; i < 11; i++) {
		size_t n = strlen(rows);
		snprintf(rows + n, sizeof rows - n, "B%d,P1,RC,C1,EL,BIG,2024-05-01,,0,40,F,,,,\n", i);
	}
	strcat(rows, "X9,P1,RC,C1,EL,X1,2024-05-01,,0,40,F,,,,\n");
	for (int lines = 0; lines < 2; lines++) {
		got g;
		price_quick("half-even", rows, lines, &g);
		cr_assert_eq(g.counts.priced, 12);
		cr_assert_str_eq(by_payee(&g, "RC"), "99000000000001000.00", "lines %d", lines);
		cr_assert_str_eq(g.total, "99000000000001000.00", "lines %d", lines);
		cr_assert(g.balanced);
	}
}

/* ---- finding a price ---------------------------------------------------------
 * A price is found by its code's key and its pod's id when the code is
 * short and the table has at most 64 pods, else by the whole key: the same
 * code under two pods, a code longer than a key, a pod or code the table
 * does not have, a code that is a prefix of one it has, and pod_fallback,
 * each priced with and without lines (the quick path). */

Test(tariff, prices_found_by_code_and_pod)
{
	static const char yaml[] =
		"remit: 1\n"
		"regime: L\n"
		"rounding: {scale: 2, mode: half-up}\n"
		"modules:\n"
		"  - module: tariff\n"
		"    name: apc\n"
		"    covers: pod in [EL, NE, DC, ZZ] or pod == P*\n"
		"    prices:\n"
		"      columns: [code, pod, price]\n"
		"      rows:\n"
		"        - [X1, EL, 100]\n"
		"        - [X1, NE, 200]\n"
		"        - [X12, EL, 150]\n"
		"        - [LONGCODE0123456789AB, NE, 300]\n"
		"        - [LONGCODE0123456789AC, NE, 301]\n"
		"        - [X1, P0, 1]\n"
		"        - [X1, P1, 2]\n"
		"        - [X1, P2, 3]\n"
		"        - [X1, P3, 4]\n"
		"        - [X1, P4, 5]\n"
		"        - [X1, P5, 6]\n"
		"        - [X1, P6, 7]\n"
		"        - [X1, P7, 8]\n"
		"    pod_fallback: {DC: EL}\n";
	static const char rows[] =
		"A1,P1,R1,C1,EL,X1,2024-05-01,,,40,F,,,,\n"
		"A2,P1,R2,C1,NE,X1,2024-05-01,,,40,F,,,,\n"
		"A3,P1,R3,C1,EL,X12,2024-05-01,,,40,F,,,,\n"
		"A4,P1,R4,C1,NE,LONGCODE0123456789AB,2024-05-01,,,40,F,,,,\n"
		"A5,P1,R5,C1,NE,LONGCODE0123456789AC,2024-05-01,,,40,F,,,,\n"
		"A6,P1,R6,C1,DC,X1,2024-05-01,,,40,F,,,,\n"  /* DC → EL: 100 */
		"A7,P1,R7,C1,ZZ,X1,2024-05-01,,,40,F,,,,\n"  /* no ZZ price */
		"A8,P1,R8,C1,EL,X,2024-05-01,,,40,F,,,,\n"   /* a prefix of X1 */
		"A9,P1,R9,C1,NE,X12,2024-05-01,,,40,F,,,,\n" /* X12 has no NE price */
		"B1,P1,R9,C1,EL,LONGCODE0123456789AB,2024-05-01,,,40,F,,,,\n" /* nor EL */
		/* X1 under 8 more pods: the index holds one code many times */
		"B2,P1,S,C1,P0,X1,2024-05-01,,,40,F,,,,\n"
		"B3,P1,S,C1,P3,X1,2024-05-01,,,40,F,,,,\n"
		"B4,P1,S,C1,P7,X1,2024-05-01,,,40,F,,,,\n"
		"B5,P1,T,C1,P1,X1,2024-05-01,,,40,F,,,,\n"
		"B6,P1,T,C1,P2,X1,2024-05-01,,,40,F,,,,\n"
		"B7,P1,T,C1,P4,X1,2024-05-01,,,40,F,,,,\n"
		"B8,P1,U,C1,P5,X1,2024-05-01,,,40,F,,,,\n"
		"B9,P1,U,C1,P6,X1,2024-05-01,,,40,F,,,,\n";
	for (int lines = 0; lines < 2; lines++) {
		got g;
		price_either(yaml, rows, lines, &g);
		cr_assert_eq(g.counts.priced, 14, "lines %d", lines);
		cr_assert_eq(g.counts.unpriced, 4, "lines %d", lines);
		cr_assert_str_eq(by_payee(&g, "R1"), "100.00", "lines %d", lines);
		cr_assert_str_eq(by_payee(&g, "R2"), "200.00", "lines %d", lines);
		cr_assert_str_eq(by_payee(&g, "R3"), "150.00", "lines %d", lines);
		cr_assert_str_eq(by_payee(&g, "R4"), "300.00", "lines %d", lines);
		cr_assert_str_eq(by_payee(&g, "R5"), "301.00", "lines %d", lines);
		cr_assert_str_eq(by_payee(&g, "R6"), "100.00", "lines %d", lines);
		cr_assert_str_eq(by_payee(&g, "S"), "13.00", "lines %d", lines); /* 1 + 4 + 8 */
		cr_assert_str_eq(by_payee(&g, "T"), "10.00", "lines %d", lines); /* 2 + 3 + 5 */
		cr_assert_str_eq(by_payee(&g, "U"), "13.00", "lines %d", lines); /* 6 + 7 */
		cr_assert_str_eq(g.total, "1187.00", "lines %d", lines);
	}
}

/* A table of `codes` codes under `pods` pods, code k under pod q priced
 * 1 + pods × k + q, and a row for each (payee R<q mod 10>), plus one for a
 * pod the table lacks.  Pod q's rows are then paid codes × (1 + q) + pods ×
 * (0 + 1 + ... + codes − 1).  500 × 4 fill the index by half, so that probes run
 * through other codes and other pods of the same code; 1 × 70 pods is
 * more than the index takes, so every price is found by its whole key. */
static void codes_and_pods(int codes, int pods)
{
	size_t cap = (size_t)codes * pods * 48 + 1024;
	char *yaml = malloc(cap), *rows = malloc(cap);
	int n = snprintf(yaml, cap,
			 "remit: 1\n"
			 "regime: M\n"
			 "rounding: {scale: 2, mode: half-up}\n"
			 "modules:\n"
			 "  - module: tariff\n"
			 "    name: apc\n"
			 "    covers: code == K*\n"
			 "    prices:\n"
			 "      columns: [code, pod, price]\n"
			 "      rows:\n");
	int m = 0;
	for (int k = 0; k < codes; k++)
		for (int q = 0; q < pods; q++) {
			n += snprintf(yaml + n, cap - (size_t)n, "        - [K%03d, Q%02d, %d]\n", k, q,
				      1 + pods * k + q);
			m += snprintf(rows + m, cap - (size_t)m,
				      "A%d,P1,R%d,C1,Q%02d,K%03d,2024-05-01,,,40,F,,,,\n",
				      k * pods + q, q % 10, q, k);
		}
	m += snprintf(rows + m, cap - (size_t)m, "B,P1,R0,C1,Q%02d,K000,2024-05-01,,,40,F,,,,\n",
		      pods);
	for (int lines = 0; lines < (codes * pods < 200 ? 2 : 1); lines++) { /* got holds 256 */
		got g;
		price_either(yaml, rows, lines, &g);
		cr_assert_eq(g.counts.priced, (uint64_t)(codes * pods), "lines %d", lines);
		cr_assert_eq(g.counts.unpriced, 1, "lines %d", lines);
		for (int j = 0; j < 10 && j < pods; j++) {
			char payee[16], want[32];
			long sum = 0;
			for (int q = j; q < pods; q += 10)
				sum += codes * (1 + q) + pods * (codes * (codes - 1) / 2);
			snprintf(payee, sizeof payee, "R%d", j);
			snprintf(want, sizeof want, "%ld.00", sum);
			cr_assert_str_eq(by_payee(&g, payee), want, "%d × %d lines %d", codes, pods,
					 lines);
		}
	}
	free(yaml);
	free(rows);
}

Test(tariff, many_codes_and_pods)
{
	codes_and_pods(500, 4);
	codes_and_pods(1, 70);
}

/* MFF keys past a short key (17 bytes and more) are found by the whole
 * key, next to short ones: 100 × 1.5, 100 × 1.25, 100 × 1 (the default). */
Test(tariff, mff_of_long_provider_names)
{
	static const char yaml[] =
		"remit: 1\n"
		"regime: N\n"
		"rounding: {scale: 2, mode: half-up}\n"
		"tables:\n"
		"  mff: {key: provider, rows: {NORTH-HOSPITALS-TRUST: 1.5, R1: 1.25,\n"
		"        NORTH-HOSPITALS-TRUSTS: 2}}\n"
		"modules:\n"
		"  - module: tariff\n"
		"    name: apc\n"
		"    covers: pod == EL\n"
		"    prices:\n"
		"      columns: [code, pod, price]\n"
		"      rows:\n"
		"        - [X1, EL, 100]\n"
		"    mff: {table: mff, default: 1}\n";
	static const char rows[] =
		"A1,P1,NORTH-HOSPITALS-TRUST,C1,EL,X1,2024-05-01,,,40,F,,,,\n"
		"A2,P1,R1,C1,EL,X1,2024-05-01,,,40,F,,,,\n"
		"A3,P1,NORTH-HOSPITALS-TRUSTX,C1,EL,X1,2024-05-01,,,40,F,,,,\n";
	for (int lines = 0; lines < 2; lines++) {
		got g;
		price_either(yaml, rows, lines, &g);
		cr_assert_str_eq(by_payee(&g, "NORTH-HOSPITALS-TRUST"), "150.00", "lines %d", lines);
		cr_assert_str_eq(by_payee(&g, "R1"), "125.00", "lines %d", lines);
		cr_assert_str_eq(by_payee(&g, "NORTH-HOSPITALS-TRUSTX"), "100.00", "lines %d", lines);
	}
}
