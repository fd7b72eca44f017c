/*
 * test_bundle.c — the bundle module through the public API: the Bundles
 * section of EXAMPLES.md (the retrospective table, CJR year 1, the
 * prospective subcontract case), episode construction (window boundaries
 * at both ends, overlapping windows, an anchor inside another's window,
 * patients without an anchor), outlier caps, explain, rule errors, the
 * reconciliation identity, and the examples in models/bundle/examples.
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

static got G; /* Criterion runs each test in its own process */

static const char header[] = "id,patient,provider,commissioner,pod,code,start,end,diagnoses\n";

/* Price `rows` (activity CSV without header) under regime `yaml`. */
static got *price(const char *yaml, const char *rows)
{
	char *path = remit_test_csv(header, rows);
	remit_regime *r = remit_test_load(yaml, "test.yaml");
	remit_test_price(r, path, NULL, &G);
	remit_regime_free(r);
	unlink(path);
	free(path);
	return &G;
}

/* The line of `kind` for activity `id`, or NULL. */
static int find(const got *g, const char *kind, const char *id)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->line[i].kind, kind) && !strcmp(g->line[i].activity, id))
			return i;
	return -1;
}

static const char *amount(const got *g, const char *kind, const char *id)
{
	int i = find(g, kind, id);
	return i < 0 ? "(no line)" : g->line[i].amount;
}

static const char *total_by(const got *g, remit_total_kind k, const char *name)
{
	for (size_t i = 0; i < g->nby[k]; i++)
		if (!strcmp(g->by[k][i].name, name))
			return g->by[k][i].amount;
	return "(none)";
}

static int count_kind(const got *g, const char *kind)
{
	int n = 0;
	for (int i = 0; i < g->n; i++)
		n += !strcmp(g->line[i].kind, kind);
	return n;
}

/* ---- retrospective: EXAMPLES.md --------------------------------------- */

/* Fee-for-service by apc; the bundle reconciles HN12A episodes.  %s: extra
 * bundle keys. */
static const char retro[] =
	"remit: 1\n"
	"regime: R\n"
	"period: {start: 2024-04-01, end: 2025-03-31}\n"
	"modules:\n"
	"  - module: tariff\n"
	"    name: apc\n"
	"    covers: pod in [EL, OPFU]\n"
	"    prices:\n"
	"      columns: [code, pod, price]\n"
	"      rows:\n"
	"        - [HN12A, EL, 15000.00]\n"
	"        - [HN12B, EL, 50000.00]\n"
	"        - [HX, EL, 23000.00]\n"
	"        - [R2, OPFU, 2000.00]\n"
	"        - [R3, OPFU, 3000.00]\n"
	"        - [R4, OPFU, 4000.00]\n"
	"        - [R8, OPFU, 8000.00]\n"
	"        - [R16, OPFU, 16000.00]\n"
	"        - [R20, OPFU, 20000.00]\n"
	"        - [R40, OPFU, 40000.00]\n"
	"  - module: bundle\n"
	"    name: cjr\n"
	"    anchor: pod == EL and code in [HN12*, HX]\n"
	"    window: {after: 90}\n"
	"    related: pod == OPFU\n"
	"    mode: retrospective\n"
	"    priced_by: apc\n"
	"%s";

static char *retro_with(const char *extra)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, retro, extra);
	return buf;
}

Test(bundle, retrospective_examples_md_table)
{
	got *g = price(retro_with("    target: {by: code, rows: {HN12A: 25000.00}}\n"
				  "    discount: 3%\n"
				  "    stop_gain: 20%\n"
				  "    stop_loss: 20%\n"),
		       /* spend 15000 + 8000 = 23000 */
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,\n"
		       "B1,P1,RXL,C01,OPFU,R8,2024-06-01,,\n"
		       /* spend 15000 + 16000 = 31000 */
		       "A2,P2,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,\n"
		       "B2,P2,RXL,C01,OPFU,R16,2024-06-01,,\n"
		       /* spend 15000 + 3000 = 18000 */
		       "A3,P3,RYY,C02,EL,HN12A,2024-05-01,2024-05-04,\n"
		       "B3,P3,RXL,C02,OPFU,R3,2024-06-01,,\n");
	/* target 25000 × (1 − 3%) = 24250; limits ± 20% × 24250 = ± 4850 */
	/* 24250 − 23000 = +1250 */
	cr_assert_str_eq(amount(g, "reconciliation", "A1"), "1250.00");
	/* 24250 − 31000 = −6750 → −4850 */
	cr_assert_str_eq(amount(g, "reconciliation", "A2"), "-4850.00");
	/* 24250 − 18000 = +6250 → +4850 */
	cr_assert_str_eq(amount(g, "reconciliation", "A3"), "4850.00");
	int i = find(g, "reconciliation", "A2");
	cr_assert_str_eq(g->line[i].payer, "C01");
	cr_assert_str_eq(g->line[i].payee, "RXL");
	cr_assert_str_eq(g->line[i].patient, "P2");
	cr_assert_str_eq(g->line[i].module, "cjr");
	cr_assert_str_eq(g->line[i].comp[REMIT_C_RECONCILIATION], "-4850");
	cr_assert_str_eq(g->line[i].comp[REMIT_C_ROUNDING], "");
	cr_assert_str_eq(g->line[i].basis,
			 "HN12A target 25000.00 × (1 − 3%) = 24250.00 − spend 31000.00 = -6750.00; "
			 "limited by stop-loss 20% of 24250.00");
	i = find(g, "reconciliation", "A3");
	cr_assert_str_eq(g->line[i].payer, "C02");
	cr_assert_str_eq(g->line[i].payee, "RYY"); /* the anchor's provider */
	/* lines come out in the anchors' file order, after the activity lines */
	cr_assert_eq(g->n, 9);
	cr_assert_str_eq(g->line[6].activity, "A1");
	cr_assert_str_eq(g->line[7].activity, "A2");
	cr_assert_str_eq(g->line[8].activity, "A3");
	/* 1250 − 4850 + 4850 */
	cr_assert_str_eq(total_by(g, REMIT_BY_KIND, "reconciliation"), "1250.00");
	/* activity 23000 + 31000 + 18000 = 72000, + 1250 */
	cr_assert_str_eq(g->total, "73250.00");
	cr_assert_eq(g->counts.read, 6);
	cr_assert_eq(g->counts.priced, 6); /* the bundle claims nothing */
	cr_assert_eq(g->counts.covered, 0);
	cr_assert_eq(g->counts.overlaps, 0); /* a retrospective bundle has no scope */
	cr_assert(g->balanced);
}

static char *cjr_rows(int n, const char *code)
{
	static char buf[REMIT_TEST_MAXL * 64];
	size_t len = 0;
	for (int i = 1; i <= n; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len,
					"A%d,P%d,RXL,C01,EL,%s,2024-05-01,2024-05-04,\n", i, i, code);
	return buf;
}

Test(bundle, retrospective_cjr_year_1)
{
	/* 100 episodes, target 25,000 each = 2,500,000; spend 23,000 each =
	 * 2,300,000 (code HX is priced 23000 by apc); no discount; stop-gain 5%
	 * of 25,000 = 1,250 per episode, so 2,000 is limited to 1,250:
	 * 100 × 1,250 = +125,000 (limited from +200,000). */
	got *g = price(retro_with("    target: {by: code, rows: {HX: 25000}}\n"
				  "    stop_gain: 5%\n"
				  "    stop_loss: 0%\n"),
		       cjr_rows(100, "HX"));
	cr_assert_eq(count_kind(g, "reconciliation"), 100);
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->line[i].kind, "reconciliation"))
			cr_assert_str_eq(g->line[i].amount, "1250.00");
	cr_assert_str_eq(total_by(g, REMIT_BY_KIND, "reconciliation"), "125000.00");
	cr_assert_str_eq(total_by(g, REMIT_BY_KIND, "activity"), "2300000.00");
	cr_assert_str_eq(g->total, "2425000.00");
	cr_assert(g->balanced);
}

Test(bundle, retrospective_stop_loss_zero_means_no_repayment)
{
	/* spend 15000 + 16000 = 31000 against 25000: −6000, limited by a
	 * stop-loss of 0% × 25000 = 0 */
	got *g = price(retro_with("    target: {rows: {HN12A: 25000}}\n"
				  "    stop_gain: 5%\n"
				  "    stop_loss: 0%\n"),
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,\n"
		       "B1,P1,RXL,C01,OPFU,R16,2024-06-01,,\n");
	cr_assert_str_eq(amount(g, "reconciliation", "A1"), "0.00");
	cr_assert_str_eq(g->total, "31000.00"); /* 15000 + 16000 + 0 */
}

Test(bundle, retrospective_without_limits_pays_the_whole_difference)
{
	/* 25000 − (15000 + 16000) = −6000; 25000 − 15000 = +10000 */
	got *g = price(retro_with("    target: {rows: {HN12A: 25000}}\n"),
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,\n"
		       "B1,P1,RXL,C01,OPFU,R16,2024-06-01,,\n"
		       "A2,P2,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,\n");
	cr_assert_str_eq(amount(g, "reconciliation", "A1"), "-6000.00");
	cr_assert_str_eq(amount(g, "reconciliation", "A2"), "10000.00");
}

/* A rate that makes the exact reconciliation a true fraction. */
Test(bundle, retrospective_rounds_each_line_once)
{
	/* target 25000 × (1 − 1/3) = 50000/3 = 16666.666…; spend 15000:
	 * 5000/3 = 1666.666… → 1666.67 (half-up); rounding −1/300 … +0.00333… */
	got *g = price(retro_with("    target: {rows: {HN12A: 25000}}\n"
				  "    discount: 1/3\n"),
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,\n");
	int i = find(g, "reconciliation", "A1");
	cr_assert_str_eq(g->line[i].amount, "1666.67");
	cr_assert_str_eq(g->line[i].comp[REMIT_C_RECONCILIATION], "5000/3");
	/* 1666.67 − 5000/3 = (500001 − 500000)/300 = 1/300 */
	cr_assert_str_eq(g->line[i].comp[REMIT_C_ROUNDING], "1/300");
}

/* Spend counts only member rows paid by priced_by. */
Test(bundle, retrospective_spend_is_the_priced_by_lines_of_member_rows)
{
	const char *yaml =
		"remit: 1\n"
		"regime: R\n"
		"modules:\n"
		"  - module: bundle\n"
		"    name: cjr\n"
		"    anchor: pod == EL\n"
		"    window: {after: 30}\n"
		"    related: pod in [OPFU, COM]\n"
		"    mode: retrospective\n"
		"    priced_by: apc\n"
		"    target: {rows: {HN12A: 20000}}\n"
		"  - module: tariff\n"
		"    name: apc\n"
		"    covers: pod in [EL, OPFU]\n"
		"    prices: {columns: [code, pod, price], rows: [[HN12A, EL, 15000], [R1, OPFU, 100]]}\n"
		"  - module: tariff\n"
		"    name: com\n"
		"    covers: pod == COM\n"
		"    prices: {columns: [code, pod, price], rows: [[N01, COM, 120]]}\n";
	got *g = price(yaml,
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,\n"
		       "B1,P1,RXL,C01,OPFU,R1,2024-05-10,,\n"   /* member, apc: 100 */
		       "C1,P1,RYY,C01,COM,N01,2024-05-11,,\n"   /* member, but com's */
		       "U1,P1,RXL,C01,OPFU,ZZ,2024-05-12,,\n"   /* member, unpriced */
		       "B2,P1,RXL,C01,OPFU,R1,2024-06-04,,\n"   /* 31 days after: not */
		       "B3,P2,RXL,C01,OPFU,R1,2024-05-10,,\n"); /* another patient */
	/* 20000 − (15000 + 100) = 4900 */
	cr_assert_str_eq(amount(g, "reconciliation", "A1"), "4900.00");
	cr_assert_eq(count_kind(g, "reconciliation"), 1);
	cr_assert_eq(g->counts.unpriced, 1);
}

Test(bundle, retrospective_priced_by_a_list_of_modules)
{
	const char *yaml =
		"remit: 1\n"
		"regime: R\n"
		"modules:\n"
		"  - module: tariff\n"
		"    name: apc\n"
		"    covers: pod == EL\n"
		"    prices: {columns: [code, pod, price], rows: [[HN12A, EL, 15000]]}\n"
		"  - module: tariff\n"
		"    name: com\n"
		"    covers: pod == COM\n"
		"    prices: {columns: [code, pod, price], rows: [[N01, COM, 120]]}\n"
		"  - module: bundle\n"
		"    name: cjr\n"
		"    anchor: pod == EL\n"
		"    window: {after: 30}\n"
		"    related: pod == COM\n"
		"    mode: retrospective\n"
		"    priced_by: [apc, com]\n"
		"    target: {rows: {HN12A: 20000}}\n";
	got *g = price(yaml, "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,\n"
			     "C1,P1,RYY,C01,COM,N01,2024-05-11,,\n");
	/* 20000 − (15000 + 120) = 4880 */
	cr_assert_str_eq(amount(g, "reconciliation", "A1"), "4880.00");
}

/* ---- outlier caps ------------------------------------------------------ */

/* Five HN12A episodes whose spends are the anchor's 10000 plus a follow-up
 * of 0, 2000, 4000, 20000 or 40000 = 10000, 12000, 14000, 30000, 50000,
 * and one HN12B episode of 50000.  Targets: HN12A 40000, HN12B 60000. */
static const char capped[] =
	"remit: 1\n"
	"regime: C\n"
	"modules:\n"
	"  - module: tariff\n"
	"    name: apc\n"
	"    covers: pod in [EL, OPFU]\n"
	"    prices:\n"
	"      columns: [code, pod, price]\n"
	"      rows: [[HN12A, EL, 10000], [HN12B, EL, 50000], [R2, OPFU, 2000],\n"
	"             [R4, OPFU, 4000], [R20, OPFU, 20000], [R40, OPFU, 40000]]\n"
	"  - module: bundle\n"
	"    name: cjr\n"
	"    anchor: pod == EL\n"
	"    window: {after: 90}\n"
	"    related: pod == OPFU\n"
	"    mode: retrospective\n"
	"    priced_by: apc\n"
	"    target: {rows: {HN12A: 40000, HN12B: 60000}}\n"
	"    outlier_cap: %s\n";

static const char capped_rows[] =
	"E1,P1,RXL,C01,EL,HN12A,2024-05-01,,\n"
	"E2,P2,RXL,C01,EL,HN12A,2024-05-01,,\n"
	"F2,P2,RXL,C01,OPFU,R2,2024-05-02,,\n"
	"E3,P3,RXL,C01,EL,HN12A,2024-05-01,,\n"
	"F3,P3,RXL,C01,OPFU,R4,2024-05-02,,\n"
	"E4,P4,RXL,C01,EL,HN12A,2024-05-01,,\n"
	"F4,P4,RXL,C01,OPFU,R20,2024-05-02,,\n"
	"E5,P5,RXL,C01,EL,HN12A,2024-05-01,,\n"
	"F5,P5,RXL,C01,OPFU,R40,2024-05-02,,\n"
	"G1,P6,RXL,C01,EL,HN12B,2024-05-01,,\n";

static got *price_capped(const char *cap)
{
	static char buf[2048];
	snprintf(buf, sizeof buf, capped, cap);
	return price(buf, capped_rows);
}

Test(bundle, outlier_cap_percentile_nearest_rank)
{
	/* HN12A: N = 5, p = 70: rank ⌈0.7 × 5⌉ = ⌈3.5⌉ = 4 → the 4th smallest
	 * spend, 30000 (interpolation would give less).  Only 50000 is above. */
	got *g = price_capped("{percentile: 70}");
	cr_assert_str_eq(amount(g, "reconciliation", "E1"), "30000.00"); /* 40000 − 10000 */
	cr_assert_str_eq(amount(g, "reconciliation", "E2"), "28000.00"); /* 40000 − 12000 */
	cr_assert_str_eq(amount(g, "reconciliation", "E3"), "26000.00"); /* 40000 − 14000 */
	cr_assert_str_eq(amount(g, "reconciliation", "E4"), "10000.00"); /* 40000 − 30000 */
	cr_assert_str_eq(amount(g, "reconciliation", "E5"), "10000.00"); /* 40000 − cap 30000 */
	/* HN12B: N = 1, rank ⌈0.7⌉ = 1: its own spend, 50000; 60000 − 50000 */
	cr_assert_str_eq(amount(g, "reconciliation", "G1"), "10000.00");
	int i = find(g, "reconciliation", "E5");
	cr_assert_str_eq(g->line[i].basis, "HN12A target 40000.00 − spend 50000.00 capped at "
					   "30000.00 (percentile 70 of 5 episodes) = 10000.00");
}

Test(bundle, outlier_cap_percentile_boundaries)
{
	/* p = 60: rank ⌈3⌉ = 3 → 14000: 30000 and 50000 are capped */
	got *g = price_capped("{percentile: 60}");
	cr_assert_str_eq(amount(g, "reconciliation", "E3"), "26000.00"); /* 40000 − 14000 */
	cr_assert_str_eq(amount(g, "reconciliation", "E4"), "26000.00"); /* 40000 − 14000 */
	cr_assert_str_eq(amount(g, "reconciliation", "E5"), "26000.00");
	/* p = 100: rank 5, the largest: nothing capped */
	g = price_capped("{percentile: 100}");
	cr_assert_str_eq(amount(g, "reconciliation", "E5"), "-10000.00"); /* 40000 − 50000 */
	/* p = 0.1: rank ⌈0.005⌉ = 1 → 10000: all capped to the smallest */
	g = price_capped("{percentile: 0.1}");
	cr_assert_str_eq(amount(g, "reconciliation", "E4"), "30000.00"); /* 40000 − 10000 */
}

Test(bundle, outlier_cap_sd_exact)
{
	/* HN12A spends 10000, 12000, 14000, 30000, 50000:
	 *   N = 5, S = 116000, μ = 23200;
	 *   Q = 10^8 + 1.44·10^8 + 1.96·10^8 + 9·10^8 + 25·10^8 = 3,840,000,000;
	 *   σ² = Q/N − μ² = 768,000,000 − 538,240,000 = 229,760,000;
	 *   15157.83² = 229,759,810.3089 < σ² < 15157.84² = 229,760,113.4656,
	 *   so σ = 15157.83… and μ + 1σ = 38357.83… → cap 38357.83.
	 * Only 50000 is above: 40000 − 38357.83 = 1642.17. */
	got *g = price_capped("{sd: 1}");
	cr_assert_str_eq(amount(g, "reconciliation", "E4"), "10000.00"); /* 40000 − 30000 */
	cr_assert_str_eq(amount(g, "reconciliation", "E5"), "1642.17");
	/* HN12B alone: σ = 0, cap = its spend: 60000 − 50000 */
	cr_assert_str_eq(amount(g, "reconciliation", "G1"), "10000.00");
	/* k = 1/2: σ/2 lies in (7578.915, 7578.92), μ + σ/2 in (30778.915,
	 * 30778.92) → cap 30778.91: 30000 stays, 50000 → 40000 − 30778.91 */
	g = price_capped("{sd: 1/2}");
	cr_assert_str_eq(amount(g, "reconciliation", "E4"), "10000.00");
	cr_assert_str_eq(amount(g, "reconciliation", "E5"), "9221.09");
	/* k = 2: μ + 2σ = 53515.67… above every spend: nothing capped */
	g = price_capped("{sd: 2}");
	cr_assert_str_eq(amount(g, "reconciliation", "E5"), "-10000.00");
	/* k = 0: the cap is the mean 23200: 30000 and 50000 → 40000 − 23200 */
	g = price_capped("{sd: 0}");
	cr_assert_str_eq(amount(g, "reconciliation", "E4"), "16800.00");
	cr_assert_str_eq(amount(g, "reconciliation", "E5"), "16800.00");
	cr_assert_str_eq(amount(g, "reconciliation", "E3"), "26000.00"); /* 14000 < 23200 */
}

/* A spend exactly on the limit μ + kσ is not capped (and σ is exact here). */
Test(bundle, outlier_cap_sd_spend_on_the_limit)
{
	/* spends 10000 and 30000 (E1 alone; E4 with F4): μ = 20000, σ = 10000,
	 * k = 1: limit 30000 exactly, E4's spend 30000 is not above it */
	static char buf[2048];
	snprintf(buf, sizeof buf, capped, "{sd: 1}");
	got *g = price(buf, "E1,P1,RXL,C01,EL,HN12A,2024-05-01,,\n"
			    "E4,P4,RXL,C01,EL,HN12A,2024-05-01,,\n"
			    "F4,P4,RXL,C01,OPFU,R20,2024-05-02,,\n");
	cr_assert_str_eq(amount(g, "reconciliation", "E4"), "10000.00"); /* 40000 − 30000 */
	int i = find(g, "reconciliation", "E4");
	cr_assert_null(strstr(g->line[i].basis, "capped"));
}

/* ---- prospective: EXAMPLES.md ------------------------------------------ */

/* %s: extra bundle keys */
static const char pro[] =
	"remit: 1\n"
	"regime: P\n"
	"period: {start: 2024-04-01, end: 2025-03-31}\n"
	"tables:\n"
	"  mff: {key: provider, rows: {RXL: 1, RAB: 1.05}}\n"
	"modules:\n"
	"  - module: bundle\n"
	"    name: hip\n"
	"    anchor: pod == EL and code in [HN12*, HN13*]\n"
	"    related: diagnoses has [M16*, M17*, T84*] or pod in [COM]\n"
	"    mode: prospective\n"
	"    price: {by: code, rows: {HN12A: 9800.00, HN12B: 8700.00}}\n"
	"%s"
	"  - module: tariff\n"
	"    name: apc\n"
	"    covers: pod in [EL, NE]\n"
	"    prices: {columns: [code, pod, price], rows: [[HN12A, EL, 13900], [HN13A, EL, 7000]]}\n"
	"  - module: tariff\n"
	"    name: com\n"
	"    covers: pod == COM\n"
	"    prices: {columns: [code, pod, price], rows: [[N01, COM, 120.00]]}\n";

static char *pro_with(const char *extra)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, pro, extra);
	return buf;
}

#define PRO_90 "    window: {before: 0, after: 90}\n    subcontract: {price_with: com, share: 100%}\n"

Test(bundle, prospective_subcontract_example)
{
	got *g = price(pro_with(PRO_90 "    mff: {table: mff}\n"),
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,M16.1\n"
		       /* 30 days after the discharge */
		       "C1,P1,RYY,C01,COM,N01,2024-06-03,,\n");
	cr_assert_eq(g->n, 2);
	/* 9800.00 × MFF 1 */
	int i = find(g, "episode", "A1");
	cr_assert_geq(i, 0);
	cr_assert_str_eq(g->line[i].amount, "9800.00");
	cr_assert_str_eq(g->line[i].payer, "C01");
	cr_assert_str_eq(g->line[i].payee, "RXL");
	cr_assert_str_eq(g->line[i].module, "hip");
	cr_assert_str_eq(g->line[i].comp[REMIT_C_EPISODE], "9800");
	cr_assert_str_eq(g->line[i].comp[REMIT_C_MARKET_FORCES], "");
	cr_assert_str_eq(g->line[i].basis, "episode HN12A 9800.00; ×MFF 1");
	/* priced 120.00 by com, paid by the holder */
	i = find(g, "subcontract", "C1");
	cr_assert_geq(i, 0);
	cr_assert_str_eq(g->line[i].amount, "120.00");
	cr_assert_str_eq(g->line[i].payer, "RXL");
	cr_assert_str_eq(g->line[i].payee, "RYY");
	/* RXL receives 9800.00 and pays 120.00: net 9680.00 */
	cr_assert_str_eq(total_by(g, REMIT_BY_PAYEE, "RXL"), "9800.00");
	cr_assert_str_eq(total_by(g, REMIT_BY_PAYER, "RXL"), "120.00");
	cr_assert_str_eq(total_by(g, REMIT_BY_PAYEE, "RYY"), "120.00");
	cr_assert_str_eq(total_by(g, REMIT_BY_PAYER, "C01"), "9800.00");
	cr_assert_str_eq(g->total, "9920.00");
	cr_assert_eq(g->counts.read, 2);
	cr_assert_eq(g->counts.covered, 2);
	cr_assert_eq(g->counts.priced, 0);
	/* A1 is also in apc's scope, C1 in com's */
	cr_assert_eq(g->counts.overlaps, 2);
	cr_assert(g->balanced);
}

Test(bundle, prospective_window_after_boundary)
{
	/* discharge 2024-05-04 + 90 days = 2024-08-02 (27 + 30 + 31 + 2) */
	got *g = price(pro_with(PRO_90),
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,M16.1\n"
		       "IN,P1,RYY,C01,COM,N01,2024-08-02,,\n"
		       "OUT,P1,RYY,C01,COM,N01,2024-08-03,,\n");
	cr_assert_str_eq(amount(g, "subcontract", "IN"), "120.00");
	cr_assert_str_eq(amount(g, "activity", "IN"), "(no line)");
	cr_assert_str_eq(amount(g, "activity", "OUT"), "120.00");
	cr_assert_str_eq(amount(g, "subcontract", "OUT"), "(no line)");
	cr_assert_eq(g->counts.covered, 2);
	cr_assert_eq(g->counts.priced, 1);
}

Test(bundle, prospective_window_before_boundary)
{
	/* anchor start 2024-05-10 − 7 days = 2024-05-03; the rows before the
	 * anchor come after it in the file */
	got *g = price(pro_with("    window: {before: 7, after: 0}\n"
				"    subcontract: {price_with: com}\n"),
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-10,2024-05-12,M16.1\n"
		       "IN,P1,RYY,C01,COM,N01,2024-05-03,,\n"
		       "OUT,P1,RYY,C01,COM,N01,2024-05-02,,\n"
		       /* the after end with after: 0 is the discharge day itself */
		       "END,P1,RYY,C01,COM,N01,2024-05-12,,\n"
		       "END1,P1,RYY,C01,COM,N01,2024-05-13,,\n");
	cr_assert_str_eq(amount(g, "subcontract", "IN"), "120.00");
	cr_assert_str_eq(amount(g, "activity", "OUT"), "120.00");
	cr_assert_str_eq(amount(g, "subcontract", "END"), "120.00");
	cr_assert_str_eq(amount(g, "activity", "END1"), "120.00");
	cr_assert_str_eq(amount(g, "episode", "A1"), "9800.00");
}

Test(bundle, prospective_anchor_inside_a_window_joins_without_extending_it)
{
	got *g = price(pro_with(PRO_90),
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,M16.1\n"
		       /* a second anchor inside A1's window (to 2024-08-02) */
		       "A2,P1,RXL,C01,EL,HN12B,2024-07-01,2024-07-05,M17.1\n"
		       /* inside A2's own window (to 10-03) but after A1's */
		       "C3,P1,RYY,C01,COM,N01,2024-09-01,,\n");
	cr_assert_eq(count_kind(g, "episode"), 1);
	cr_assert_str_eq(amount(g, "episode", "A1"), "9800.00");
	cr_assert_str_eq(amount(g, "episode", "A2"), "(no line)");
	/* A2 is covered by A1's episode; C3 falls to com */
	cr_assert_str_eq(amount(g, "activity", "C3"), "120.00");
	cr_assert_eq(g->counts.covered, 2);
	cr_assert_eq(g->counts.priced, 1);
}

Test(bundle, prospective_overlapping_windows_earlier_episode_keeps_the_overlap)
{
	/* A1 at RXL 05-01..05-02: window [04-01, 05-12]; A2 at RAB 05-20..05-21:
	 * window [04-20, 05-31].  R0 (04-25) and R1 (05-10) are in both: A1's.
	 * R2 (05-15) is only in A2's (before the anchor).  Subcontracts show
	 * which holder pays. */
	got *g = price(pro_with("    window: {before: 30, after: 10}\n"
				"    subcontract: {price_with: com}\n"),
		       "R1,P1,RZZ,C01,COM,N01,2024-05-10,,\n"
		       "A2,P1,RAB,C01,EL,HN12A,2024-05-20,2024-05-21,M16.1\n"
		       "R2,P1,RZZ,C01,COM,N01,2024-05-15,,\n"
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-02,M16.1\n"
		       "R0,P1,RZZ,C01,COM,N01,2024-04-25,,\n");
	cr_assert_str_eq(amount(g, "episode", "A1"), "9800.00");
	cr_assert_str_eq(amount(g, "episode", "A2"), "9800.00");
	cr_assert_str_eq(g->line[find(g, "episode", "A2")].payee, "RAB");
	cr_assert_str_eq(g->line[find(g, "subcontract", "R0")].payer, "RXL");
	cr_assert_str_eq(g->line[find(g, "subcontract", "R1")].payer, "RXL");
	cr_assert_str_eq(g->line[find(g, "subcontract", "R2")].payer, "RAB");
	cr_assert_eq(g->counts.covered, 5);
}

Test(bundle, prospective_patients_without_an_anchor_fall_through)
{
	got *g = price(pro_with(PRO_90),
		       /* related rows of a patient with no anchor */
		       "C1,P2,RYY,C01,COM,N01,2024-06-03,,M16.1\n"
		       /* an anchor whose code has no episode price opens nothing */
		       "H1,P3,RXL,C01,EL,HN13A,2024-05-01,2024-05-04,M16.1\n"
		       "C2,P3,RYY,C01,COM,N01,2024-05-10,,\n"
		       /* another patient's anchor does not take P2's rows */
		       "A1,P4,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,M16.1\n");
	cr_assert_str_eq(amount(g, "activity", "C1"), "120.00");
	cr_assert_str_eq(amount(g, "activity", "H1"), "7000.00");
	cr_assert_str_eq(amount(g, "activity", "C2"), "120.00");
	cr_assert_str_eq(amount(g, "episode", "A1"), "9800.00");
	cr_assert_eq(g->counts.priced, 3);
	cr_assert_eq(g->counts.covered, 1);
}

Test(bundle, prospective_without_subcontract_others_receive_nothing)
{
	got *g = price(pro_with("    window: {after: 90}\n"),
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,M16.1\n"
		       "C1,P1,RYY,C01,COM,N01,2024-06-03,,\n");
	cr_assert_eq(g->n, 1);
	cr_assert_eq(g->counts.covered, 2);
	cr_assert_str_eq(g->total, "9800.00");
}

Test(bundle, prospective_fixed_holder_and_its_mff)
{
	/* holder RAB, MFF 1.05: 9800 × 1.05 = 10290.00, from the commissioner to
	 * RAB; the anchor was delivered by RXL, which RAB pays at apc's price
	 * 13900 × 50% = 6950.00 */
	got *g = price(pro_with("    window: {after: 90}\n"
				"    holder: RAB\n"
				"    mff: {table: mff}\n"
				"    subcontract: {price_with: apc, share: 50%}\n"),
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,M16.1\n");
	int i = find(g, "episode", "A1");
	cr_assert_str_eq(g->line[i].amount, "10290.00");
	cr_assert_str_eq(g->line[i].payee, "RAB");
	cr_assert_str_eq(g->line[i].comp[REMIT_C_EPISODE], "9800");
	cr_assert_str_eq(g->line[i].comp[REMIT_C_MARKET_FORCES], "490"); /* 9800 × 0.05 */
	i = find(g, "subcontract", "A1");
	cr_assert_str_eq(g->line[i].amount, "6950.00");
	cr_assert_str_eq(g->line[i].payer, "RAB");
	cr_assert_str_eq(g->line[i].payee, "RXL");
}

Test(bundle, prospective_holder_without_mff_is_unpriced)
{
	got *g = price(pro_with("    window: {after: 90}\n"
				"    mff: {table: mff}\n"),
		       "A1,P1,RYY,C01,EL,HN12A,2024-05-01,2024-05-04,M16.1\n"
		       "C1,P1,RYY,C01,COM,N01,2024-06-03,,\n");
	cr_assert_eq(g->unpriced, 1);
	cr_assert_str_eq(g->reasons[0],
			 "A1: no market forces factor for the holder RYY in table mff");
	cr_assert_eq(g->counts.covered, 1);
	/* with a default: 9800 × 1.2 = 11760 */
	g = price(pro_with("    window: {after: 90}\n"
			   "    mff: {table: mff, default: 1.2}\n"),
		  "A1,P1,RYY,C01,EL,HN12A,2024-05-01,2024-05-04,M16.1\n");
	cr_assert_str_eq(amount(g, "episode", "A1"), "11760.00");
}

Test(bundle, prospective_valid_range_limits_anchors)
{
	/* the bundle is valid from 2024-06-01: A1 (05-01) opens nothing and goes
	 * to apc (13900); A2 (06-01) opens an episode */
	const char *yaml = pro_with("    window: {after: 90}\n"
				    "    valid: {from: 2024-06-01, to: 2025-03-31}\n");
	got *g = price(yaml, "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,M16.1\n"
			     "C1,P1,RYY,C01,COM,N01,2024-05-10,,\n"
			     "A2,P2,RXL,C01,EL,HN12A,2024-06-01,2024-06-04,M16.1\n");
	cr_assert_str_eq(amount(g, "activity", "A1"), "13900.00");
	cr_assert_str_eq(amount(g, "activity", "C1"), "120.00");
	cr_assert_str_eq(amount(g, "episode", "A2"), "9800.00");
}

Test(bundle, prospective_anchor_outside_the_period_opens_nothing)
{
	got *g = price(pro_with("    window: {after: 90}\n"),
		       "A1,P1,RXL,C01,EL,HN12A,2024-03-20,2024-03-25,M16.1\n"
		       "C1,P1,RYY,C01,COM,N01,2024-04-10,,\n");
	cr_assert_str_eq(g->reasons[0], "A1: outside the period");
	cr_assert_str_eq(amount(g, "activity", "C1"), "120.00");
}

/* The reconciliation identity, with rejects, unpriced rows and overlaps. */
Test(bundle, reconciliation_identity_holds)
{
	got *g = price(pro_with(PRO_90),
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,M16.1\n" /* covered */
		       "C1,P1,RYY,C01,COM,N01,2024-06-03,,\n"               /* covered */
		       "A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,\n"      /* duplicate */
		       "X1,P1,RXL,C01,EL,HN12A,2024-02-30,,\n"              /* bad date */
		       "O1,P2,RXL,C01,OPFA,WF01A,2024-05-01,,\n"            /* nobody covers */
		       "N1,P2,RXL,C01,NE,ZZZ,2024-05-01,,\n"                /* no price */
		       "C2,P3,RYY,C01,COM,N01,2024-06-03,,\n");             /* priced */
	cr_assert_eq(g->counts.read, 7);
	cr_assert_eq(g->counts.covered, 2);
	cr_assert_eq(g->counts.priced, 1);
	cr_assert_eq(g->counts.unpriced, 2);
	cr_assert_eq(g->counts.rejected, 2);
	cr_assert_eq(g->counts.read, g->counts.priced + g->counts.covered + g->counts.unpriced +
					     g->counts.rejected);
	/* 9800 + 120 (subcontract) + 120 */
	cr_assert_str_eq(g->total, "10040.00");
	cr_assert(g->balanced);
}

/* Two bundles: each builds its own episodes; claim order decides. */
Test(bundle, two_bundles_claim_in_order)
{
	const char *yaml =
		"remit: 1\n"
		"regime: T\n"
		"modules:\n"
		"  - module: bundle\n"
		"    name: hip\n"
		"    anchor: code == HN12A\n"
		"    window: {after: 30}\n"
		"    related: pod == COM\n"
		"    mode: prospective\n"
		"    price: {rows: {HN12A: 9800}}\n"
		"  - module: bundle\n"
		"    name: knee\n"
		"    anchor: code == HN22A\n"
		"    window: {after: 30}\n"
		"    related: pod == COM\n"
		"    mode: prospective\n"
		"    price: {rows: {HN22A: 7000}}\n";
	got *g = price(yaml, "A1,P1,RXL,C01,EL,HN12A,2024-05-01,,\n"
			     "K1,P1,RXL,C01,EL,HN22A,2024-05-05,,\n"
			     /* in both episodes: the first bundle takes it */
			     "C1,P1,RXL,C01,COM,N01,2024-05-10,,\n"
			     /* only in the knee's */
			     "C2,P1,RXL,C01,COM,N01,2024-06-02,,\n");
	cr_assert_str_eq(amount(g, "episode", "A1"), "9800.00");
	cr_assert_str_eq(amount(g, "episode", "K1"), "7000.00");
	cr_assert_eq(g->counts.covered, 4);
	/* hip claims A1 and C1; C1 is also in the knee bundle's scope (pod ==
	 * COM); knee claims K1 and C2 and has no later module */
	cr_assert_eq(g->counts.overlaps, 1);
}

/* ---- explain ------------------------------------------------------------ */

typedef remit_test_text text;

static void explain(const char *yaml, const char *rows, const char *id, text *t)
{
	char *path = remit_test_csv(header, rows);
	remit_regime *r = remit_test_load(yaml, "test.yaml");
	remit_error err;
	memset(t, 0, sizeof *t);
	int rc = remit_explain(r, path, NULL, id, remit_test_on_text, t, &err);
	cr_assert_eq(rc, REMIT_OK, "explain: %s", err.message);
	remit_regime_free(r);
	unlink(path);
	free(path);
}

static const char explain_rows[] =
	"A1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,M16.1\n"
	"C0,P2,RYY,C01,COM,N01,2024-05-03,,\n"
	"C1,P1,RYY,C01,COM,N01,2024-06-03,,\n"
	"F1,P1,RXL,C01,OPFU,WF01A,2024-06-10,,M16.1\n";

Test(bundle, explain_an_anchor_shows_the_episode_and_the_arithmetic)
{
	text t;
	explain(pro_with("    window: {after: 90}\n"
			 "    holder: RAB\n"
			 "    mff: {table: mff}\n"),
		explain_rows, "A1", &t);
	cr_assert_str_eq(
		t.buf,
		"module hip (bundle): claims the row\n"
		"module apc's scope also matches the row (an overlap)\n"
		"  episode: anchor A1 (data row 1), patient P1, code HN12A\n"
		"  window: anchor start − 0 days to anchor end + 90 days = 2024-05-01 to "
		"2024-08-02 (both inclusive)\n"
		"  members: 3 rows: data rows 1 (anchor), 3, 4\n"
		"  holder: RAB (fixed)\n"
		"  episode price: code HN12A → 9800.00\n"
		"  market forces of the holder RAB: 9800 × 1.05 = 10290\n"
		"  exact 10290 → 10290.00 (scale 2, half-up)\n"
		"line: episode C01 pays RAB 10290.00 (episode HN12A 9800.00; ×MFF 1.05)\n"
		"  delivered by RXL, not the holder RAB: no subcontract, so RXL receives nothing "
		"for it\n");
}

Test(bundle, explain_a_related_row_shows_its_episode)
{
	text t;
	explain(pro_with(PRO_90), explain_rows, "C1", &t);
	cr_assert(strstr(t.buf, "  episode: anchor A1 (data row 1), patient P1, code HN12A\n"));
	cr_assert(strstr(t.buf, "  a member of the episode of anchor A1: covered by its episode "
				"payment\n"));
	cr_assert(strstr(t.buf, "line: subcontract RXL pays RYY 120.00"));
}

/* ---- rule errors ---------------------------------------------------------- */

typedef struct diags {
	int n;
	remit_error e[8];
} diags;

static void collect_diag(void *ud, const remit_error *e)
{
	diags *d = ud;
	if (d->n < 8)
		d->e[d->n] = *e;
	d->n++;
}

/* Load `yaml` (named mem.yaml); expect an error at line:col with message. */
static void expect_error(const char *yaml, int nerrors, unsigned long line, unsigned long col,
			 const char *message)
{
	diags d = {0};
	remit_regime *r = NULL;
	remit_error err;
	memset(&err, 0, sizeof err);
	int rc = remit_regime_load_string(yaml, strlen(yaml), "mem.yaml", collect_diag, &d, &r,
					  &err);
	cr_assert_eq(rc, REMIT_ERULES, "rc %d", rc);
	cr_assert_null(r);
	cr_expect_eq(d.n, nerrors, "%d errors, first: %s", d.n, err.message);
	cr_expect_str_eq(err.file, "mem.yaml");
	cr_expect_eq(err.line, line, "line %lu: %s", err.line, err.message);
	cr_expect_eq(err.column, col, "column %lu: %s", err.column, err.message);
	cr_expect_str_eq(err.message, message);
}

/* Lines 1–5 are this prelude; the bundle's keys start at line 6, column 5. */
#define PRELUDE                                                                                  \
	"remit: 1\n"                                                                              \
	"regime: E\n"                                                                             \
	"modules:\n"                                                                              \
	"  - module: bundle\n"                                                                    \
	"    name: b\n"
#define APC                                                                                      \
	"  - module: tariff\n"                                                                    \
	"    name: apc\n"                                                                         \
	"    covers: pod == EL\n"                                                                 \
	"    prices: {columns: [code, pod, price], rows: [[A, EL, 1]]}\n"

#define BUNDLE_KEYS                                                                              \
	"module, name, valid, anchor, window, related, holder, mode, price, mff, subcontract, "   \
	"priced_by, target, discount, outlier_cap, stop_gain, stop_loss"

Test(bundle_rules, unknown_key)
{
	/* "windw" at line 7, column 5; then 'window' is missing (at the mapping,
	 * line 4, column 5) */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    windw: {after: 90}\n"
			     "    mode: prospective\n"
			     "    price: {rows: {A: 1}}\n",
		     2, 7, 5, "bundle: unknown key \"windw\"; expected one of: " BUNDLE_KEYS);
}

Test(bundle_rules, prospective_needs_a_price)
{
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: prospective\n",
		     1, 4, 5, "bundle: missing required key 'price' (mode prospective)");
}

Test(bundle_rules, retrospective_needs_target_and_priced_by)
{
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: retrospective\n",
		     2, 4, 5, "bundle: missing required key 'target' (mode retrospective)");
}

Test(bundle_rules, key_of_the_other_mode)
{
	/* "target" at line 10, column 5; "subcontract" at line 11 */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: prospective\n"
			     "    price: {rows: {A: 1}}\n"
			     "    target: {rows: {A: 1}}\n" APC,
		     1, 10, 5, "bundle.target: only for mode retrospective (this bundle is prospective)");
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: retrospective\n"
			     "    priced_by: apc\n"
			     "    target: {rows: {A: 1}}\n"
			     "    subcontract: {price_with: apc}\n" APC,
		     1, 11, 5, "bundle.subcontract: only for mode prospective (this bundle is retrospective)");
}

Test(bundle_rules, bad_mode)
{
	/* "sideways" at line 8, column 11 */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: sideways\n",
		     1, 8, 11, "bundle.mode: expected prospective or retrospective, got \"sideways\"");
}

Test(bundle_rules, bad_window)
{
	/* "ninety" at line 7, column 21 */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: ninety}\n"
			     "    mode: prospective\n"
			     "    price: {rows: {A: 1}}\n",
		     1, 7, 21, "bundle.window.after: expected a whole number, got \"ninety\"");
	/* "-1" at line 7, column 22 */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {before: -1}\n"
			     "    mode: prospective\n"
			     "    price: {rows: {A: 1}}\n",
		     1, 7, 22, "bundle.window.before: expected a whole number from 0 to 36500, got -1");
}

Test(bundle_rules, bad_anchor_predicate)
{
	/* "=>" at line 6, column 17 */
	expect_error(PRELUDE "    anchor: pod => EL\n"
			     "    window: {after: 90}\n"
			     "    mode: prospective\n"
			     "    price: {rows: {A: 1}}\n",
		     1, 6, 17,
		     "bundle.anchor: unknown operator '=>'; expected ==, !=, <, <=, >, >=, in, "
		     "not in or has");
}

Test(bundle_rules, priced_by_names_no_module)
{
	/* "apx" at line 9, column 16 */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: retrospective\n"
			     "    priced_by: apx\n"
			     "    target: {rows: {A: 1}}\n" APC,
		     1, 9, 16, "bundle.priced_by: no module named 'apx' in this regime");
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: retrospective\n"
			     "    priced_by: b\n"
			     "    target: {rows: {A: 1}}\n",
		     1, 9, 16,
		     "bundle.priced_by: 'b' is this bundle; expected the module that pays the "
		     "episode's rows");
}

Test(bundle_rules, subcontract_price_with_names_no_module)
{
	/* "apx" at line 10, column 31 */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: prospective\n"
			     "    price: {rows: {A: 1}}\n"
			     "    subcontract: {price_with: apx}\n",
		     1, 10, 31,
		     "bundle.subcontract.price_with: no module named 'apx' that prices activity (a "
		     "tariff module of this regime)");
}

Test(bundle_rules, outlier_cap_one_of_two)
{
	/* the mapping at line 11, column 18 */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: retrospective\n"
			     "    priced_by: apc\n"
			     "    target: {rows: {A: 1}}\n"
			     "    outlier_cap: {percentile: 95, sd: 2}\n" APC,
		     1, 11, 18, "bundle.outlier_cap: expected one of {percentile: P} or {sd: K}");
	/* "101" at line 11, column 31 */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: retrospective\n"
			     "    priced_by: apc\n"
			     "    target: {rows: {A: 1}}\n"
			     "    outlier_cap: {percentile: 101}\n" APC,
		     1, 11, 31,
		     "bundle.outlier_cap.percentile: expected a number above 0 and at most 100, "
		     "got \"101\"");
}

Test(bundle_rules, rates_and_amounts)
{
	/* "120%" at line 11, column 15 */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: retrospective\n"
			     "    priced_by: apc\n"
			     "    target: {rows: {A: 1}}\n"
			     "    discount: 120%\n" APC,
		     1, 11, 15, "bundle.discount: expected a rate from 0% to 100%, got \"120%\"");
	/* "-1" at line 11, column 16 */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: retrospective\n"
			     "    priced_by: apc\n"
			     "    target: {rows: {A: 1}}\n"
			     "    stop_loss: -1%\n" APC,
		     1, 11, 16, "bundle.stop_loss: expected a rate ≥ 0%, got \"-1%\"");
	/* "lots" at line 9, column 23 */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: prospective\n"
			     "    price: {rows: {A: lots}}\n",
		     1, 9, 23, "bundle.price.rows.A: expected a decimal amount, got \"lots\"");
	/* "diagnoses" at line 9, column 17: a list column */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: prospective\n"
			     "    price: {by: diagnoses, rows: {A: 1}}\n",
		     1, 9, 17,
		     "bundle.price.by: expected an activity column of text (code, pod, provider, "
		     "commissioner, patient or id), got \"diagnoses\"");
	/* an empty mapping of rows at line 9, column 19 */
	expect_error(PRELUDE "    anchor: pod == EL\n"
			     "    window: {after: 90}\n"
			     "    mode: prospective\n"
			     "    price: {rows: {}}\n",
		     1, 9, 19,
		     "bundle.price.rows: expected a mapping {CODE: amount, ...}, got an empty mapping");
}

/* ---- the examples in models/bundle/examples ------------------------------- */

#define EX "../models/bundle/examples/"

static got *price_example(const char *yaml, const char *csv)
{
	remit_regime *r;
	remit_error err;
	int rc = remit_regime_load(yaml, NULL, NULL, &r, &err);
	cr_assert_eq(rc, REMIT_OK, "%s:%lu:%lu: %s", err.file, err.line, err.column, err.message);
	remit_test_price(r, csv, NULL, &G);
	remit_regime_free(r);
	return &G;
}

/* Worked by hand in models/bundle/examples/README.md. */
Test(bundle_examples, hip_knee_prospective)
{
	got *g = price_example(EX "hip-knee-prospective.yaml", EX "activity.csv");
	cr_assert_str_eq(amount(g, "episode", "H1"), "11673.47");   /* 9800 × 1.19117 */
	cr_assert_str_eq(amount(g, "episode", "H2"), "10459.12");   /* 8700 × 1.202198 */
	cr_assert_str_eq(amount(g, "subcontract", "O2"), "103.63"); /* 87 × 1.19117 */
	cr_assert_str_eq(amount(g, "activity", "X1"), "120.00");
	cr_assert_str_eq(amount(g, "episode", "H6"), "(no line)");
	cr_assert_str_eq(g->total, "42786.86");
	cr_assert_eq(g->counts.priced, 2);
	cr_assert_eq(g->counts.covered, 8);
	cr_assert(g->balanced);
}

Test(bundle_examples, hip_knee_retrospective)
{
	got *g = price_example(EX "hip-knee-retrospective.yaml", EX "activity.csv");
	cr_assert_str_eq(amount(g, "reconciliation", "H1"), "-3182.33"); /* 24250 − 27432.33 */
	cr_assert_str_eq(amount(g, "reconciliation", "H2"), "3880.00");  /* 20% × 19400 */
	cr_assert_str_eq(amount(g, "reconciliation", "H5"), "-4850.00"); /* 20% × 24250 */
	cr_assert_str_eq(total_by(g, REMIT_BY_KIND, "activity"), "81670.07");
	cr_assert_str_eq(g->total, "77517.74");
	cr_assert_eq(g->counts.priced, 10);
	cr_assert(g->balanced);
}

Test(bundle_examples, maternity)
{
	got *g = price_example(EX "maternity.yaml", EX "maternity.csv");
	cr_assert_str_eq(amount(g, "episode", "B1"), "1830.68");    /* 1750 × 1.0461 */
	cr_assert_str_eq(amount(g, "episode", "P1"), "993.80");     /* 950 × 1.0461 = 993.795 */
	cr_assert_str_eq(amount(g, "episode", "D2"), "4087.47");    /* 3400 × 1.202198 */
	cr_assert_str_eq(amount(g, "subcontract", "V3"), "68.00");  /* 65 × 1.0461 */
	cr_assert_str_eq(g->line[find(g, "subcontract", "V3")].payer, "RYY");
	cr_assert_str_eq(amount(g, "activity", "V2"), "65.00");     /* outside the 42 days */
	cr_assert_str_eq(g->total, "10962.77");
	cr_assert_str_eq(total_by(g, REMIT_BY_PAYER, "C01"), "4843.59");
	cr_assert_str_eq(total_by(g, REMIT_BY_PAYER, "C02"), "5699.89");
	cr_assert_eq(g->counts.covered, 13);
	cr_assert_eq(g->counts.priced, 2);
	cr_assert(g->balanced);
}
