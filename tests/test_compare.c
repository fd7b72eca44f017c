/*
 * test_compare.c — `remit compare` on a hand-built scenario: three regimes
 * over five activity rows and two people, every figure worked by hand.
 *
 *   A  PbR: tariff `apc` (HN12A EL 9000, X1 OPFU 100, C1 COM 50; no MFF)
 *   B  a prospective hip bundle `hip` (HN12A anchor, 90 days, related OPFU
 *      and COM, episode price 9800 to the anchor's provider, subcontract at
 *      the apc price), then apc
 *   C  a diabetes year of care `dm` (tier 1: 365.00 a year, holder RXL,
 *      covers diabetes OPFU/COM, subcontract at apc), then apc
 *
 *   a1 P1 RXL C01 EL   HN12A 2024-05-01..05-04        A 9000  B episode 9800   C 9000
 *   a2 P1 RXL C01 OPFU X1    2024-06-01               A 100   B in episode: 0  C 100
 *   a3 P1 RYY C01 COM  C1    2024-06-15               A 50    B sub RXL→RYY 50 C 50
 *   a4 P2 RXL C02 OPFU X1    2024-07-01 (no E11)      A 100   B 100            C 100 (exposed)
 *   a5 P2 RYY C02 COM  C1    2024-08-01 E11.9         A 50    B 50             C sub RXL→RYY 50
 *   P2 (diabetic, registered all year, C02): C budget C02 → RXL 365 × 365/365 = 365.00
 *
 * Net income (received − paid):
 *   RXL  A 9000+100+100 = 9200   B 9800+100−50 = 9850   C 9200+365−50 = 9515
 *   RYY  A 50+50 = 100           B 50+50 = 100           C 50+50 = 100
 *   C01  A −9150                 B −9800                 C −9150
 *   C02  A −150                  B −150                  C −(100 + 365) = −465
 * (under C, C02 pays a4 and P2's budget; a5 is paid by the holder RXL).
 * Deltas against A: RXL B +650 (650/9200 = 7.07% → 7.1%), C +315 (3.42% → 3.4%);
 * C01 spend B +650 (650/9150 = 7.10% → 7.1%); C02 spend C +315 (315/150 = 210.0%).
 */
#include "remit.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COMMON                                                                                    \
	"remit: 1\n"                                                                              \
	"period: {start: 2024-04-01, end: 2025-03-31}\n"                                          \
	"rounding: {scale: 2, mode: half-up}\n"
#define APC                                                                                       \
	"  - module: tariff\n"                                                                    \
	"    name: apc\n"                                                                         \
	"    covers: pod in [EL, OPFU, COM]\n"                                                    \
	"    prices: {columns: [code, pod, price], rows: [[HN12A, EL, 9000.00], [X1, OPFU, "      \
	"100.00], [C1, COM, 50.00]]}\n"

static const char regime_a[] = COMMON "regime: A\nmodules:\n" APC;
static const char regime_b[] = COMMON "regime: B\nmodules:\n"
				      "  - module: bundle\n"
				      "    name: hip\n"
				      "    anchor: pod == EL and code == HN12A\n"
				      "    window: {before: 0, after: 90}\n"
				      "    related: pod in [OPFU, COM]\n"
				      "    holder: anchor\n"
				      "    mode: prospective\n"
				      "    price: {by: code, rows: {HN12A: 9800.00}}\n"
				      "    subcontract: {price_with: apc, share: 100%}\n" APC;
static const char regime_c[] = COMMON "regime: C\nmodules:\n"
				      "  - module: year_of_care\n"
				      "    name: dm\n"
				      "    cohort: conditions has diabetes\n"
				      "    tier: {from: tier}\n"
				      "    prices: {\"1\": 365.00}\n"
				      "    holder: RXL\n"
				      "    covers: pod in [OPFU, COM] and diagnoses has [E11*]\n"
				      "    prorate: days\n"
				      "    subcontract: {price_with: apc, share: 100%}\n" APC;

static const char activity[] =
	"id,patient,provider,commissioner,pod,code,start,end,diagnoses\n"
	"a1,P1,RXL,C01,EL,HN12A,2024-05-01,2024-05-04,\n"
	"a2,P1,RXL,C01,OPFU,X1,2024-06-01,,\n"
	"a3,P1,RYY,C01,COM,C1,2024-06-15,,\n"
	"a4,P2,RXL,C02,OPFU,X1,2024-07-01,,\n"
	"a5,P2,RYY,C02,COM,C1,2024-08-01,,E11.9\n";

static const char population[] =
	"patient,practice,commissioner,from,to,age,sex,conditions,tier\n"
	"P1,GP1,C01,2024-01-01,,70,F,,\n"
	"P2,GP1,C02,2024-01-01,,55,M,diabetes,1\n";

typedef struct text {
	char *s;
	size_t n;
} text;

static void collect(void *ud, const char *data, size_t len)
{
	text *t = ud;
	t->s = realloc(t->s, t->n + len + 1);
	memcpy(t->s + t->n, data, len);
	t->n += len;
	t->s[t->n] = '\0';
}

static remit_regime *load(const char *yaml)
{
	remit_regime *r;
	remit_error err;
	int rc = remit_regime_load_string(yaml, strlen(yaml), "test.yaml", NULL, NULL, &r, &err);
	cr_assert_eq(rc, REMIT_OK, "%lu:%lu: %s", err.line, err.column, err.message);
	return r;
}

/* Compare the given regimes over activity `acts` and population `pops`
 * (CSV texts); return the report in `format`. */
static char *compare_with(const char *const *yamls, size_t n, const char *acts, const char *pops,
			  int threads, remit_report_format format, const char *by)
{
	remit_regime *r[3];
	for (size_t i = 0; i < n; i++)
		r[i] = load(yamls[i]);
	char *act = remit_test_tmpfile(".csv", acts), *pop = remit_test_tmpfile(".csv", pops);
	remit_comparison *c;
	remit_error err;
	remit_run_options o = {.threads = threads};
	int rc = remit_compare_files((const remit_regime *const *)r, n, act, pop, &o, &c, &err);
	cr_assert_eq(rc, REMIT_OK, "%s", err.message);
	text t = {calloc(1, 1), 0};
	cr_assert_eq(remit_comparison_write(c, format, by, collect, &t), REMIT_OK);
	remit_comparison_free(c);
	for (size_t i = 0; i < n; i++)
		remit_regime_free(r[i]);
	unlink(act);
	unlink(pop);
	free(act);
	free(pop);
	return t.s;
}

static char *compare(const char *const *yamls, size_t n, remit_report_format format, const char *by)
{
	return compare_with(yamls, n, activity, population, 1, format, by);
}

static void has(const char *hay, const char *needle)
{
	cr_assert(strstr(hay, needle) != NULL, "missing:\n%s\n--- in ---\n%.4000s", needle, hay);
}

Test(compare, pbr_against_bundle_every_figure)
{
	const char *y[] = {regime_a, regime_b};
	char *j = compare(y, 2, REMIT_REPORT_JSON, NULL);
	has(j, "{\"regimes\": [\"A\", \"B\"], \"scale\": 2,");
	/* RXL: A base 9200; B episode 9800 + base 100 (a4) − subcontract 50 (a3) */
	has(j, "\"RXL\": {\"role\": \"provider\", \"net\": [\"9200.00\", \"9850.00\"], "
	       "\"delta\": [\"650.00\"], \"delta_pct\": [\"7.1%\"], \"by_component\": {\"base\": "
	       "[\"9200.00\", \"100.00\"], \"episode\": [\"0.00\", \"9800.00\"], \"subcontract\": "
	       "[\"0.00\", \"-50.00\"]}, \"by_module\": {\"apc\": [\"9200.00\", \"100.00\"], \"hip\": "
	       "[\"0.00\", \"9750.00\"]}}");
	/* RYY: paid by the commissioner under A (a3, a5), by RXL for a3 under B */
	has(j, "\"RYY\": {\"role\": \"provider\", \"net\": [\"100.00\", \"100.00\"], \"delta\": "
	       "[\"0.00\"], \"delta_pct\": [\"0.0%\"], \"by_component\": {\"base\": [\"100.00\", "
	       "\"50.00\"], \"subcontract\": [\"0.00\", \"50.00\"]}");
	/* commissioners: net is minus their spend */
	has(j, "\"C01\": {\"role\": \"commissioner\", \"net\": [\"-9150.00\", \"-9800.00\"], "
	       "\"delta\": [\"-650.00\"], \"delta_pct\": [\"-7.1%\"]");
	has(j, "\"C02\": {\"role\": \"commissioner\", \"net\": [\"-150.00\", \"-150.00\"]");
	/* transitions: a1, a2, a4 RXL → RXL (A 9000+100+100, B 9800+0+100); a3 RYY → RXL
	 * (the holder; 50 both); a5 RYY → RYY */
	has(j, "{\"from\": \"RXL\", \"to\": \"RXL\", \"rows\": 3, \"amounts\": [\"9200.00\", "
	       "\"9900.00\"]}");
	has(j, "{\"from\": \"RYY\", \"to\": \"RXL\", \"rows\": 1, \"amounts\": [\"50.00\", \"50.00\"]}");
	has(j, "{\"from\": \"RYY\", \"to\": \"RYY\", \"rows\": 1, \"amounts\": [\"50.00\", \"50.00\"]}");
	/* B's bundle owns a1, a2, a3, which apc's scope also matches */
	has(j, "{\"regime\": \"B\", \"uncovered_member_rows\": 0, \"uncovered_member_amount\": "
	       "\"0.00\", \"overlap_rows\": 3, \"unpriced_rows\": 0}");
	has(j, "{\"regime\": \"A\", \"rows\": {\"read\": 5, \"priced\": 5, \"covered\": 0, "
	       "\"unpriced\": 0, \"rejected\": 0}, \"total\": \"9300.00\", \"balanced\": true}");
	has(j, "{\"regime\": \"B\", \"rows\": {\"read\": 5, \"priced\": 2, \"covered\": 3, "
	       "\"unpriced\": 0, \"rejected\": 0}, \"total\": \"10000.00\", \"balanced\": true}");
	free(j);
}

Test(compare, year_of_care_exposure_and_three_regimes)
{
	const char *y[] = {regime_a, regime_b, regime_c};
	char *j = compare(y, 3, REMIT_REPORT_JSON, NULL);
	/* RXL under C: 9200 + budget 365 − subcontract 50 (a5) = 9515 */
	has(j, "\"RXL\": {\"role\": \"provider\", \"net\": [\"9200.00\", \"9850.00\", \"9515.00\"], "
	       "\"delta\": [\"650.00\", \"315.00\"], \"delta_pct\": [\"7.1%\", \"3.4%\"], "
	       "\"by_component\": {\"base\": [\"9200.00\", \"100.00\", \"9200.00\"], \"episode\": "
	       "[\"0.00\", \"9800.00\", \"0.00\"], \"budget\": [\"0.00\", \"0.00\", \"365.00\"], "
	       "\"subcontract\": [\"0.00\", \"-50.00\", \"-50.00\"]}, \"by_module\": {\"apc\": "
	       "[\"9200.00\", \"100.00\", \"9200.00\"], \"hip\": [\"0.00\", \"9750.00\", \"0.00\"], "
	       "\"dm\": [\"0.00\", \"0.00\", \"315.00\"]}}");
	/* C02 pays a4 and P2's budget under C: 100 + 365; +315 on 150 is 210.0% */
	has(j, "\"C02\": {\"role\": \"commissioner\", \"net\": [\"-150.00\", \"-150.00\", "
	       "\"-465.00\"], \"delta\": [\"0.00\", \"-315.00\"], \"delta_pct\": [\"0.0%\", "
	       "\"-210.0%\"]");
	/* A → C: a5 moves from RYY to the holder RXL; a4 stays with RXL though P2 is
	 * in the cohort (exposed) */
	has(j, "{\"from\": \"RYY\", \"to\": \"RXL\", \"rows\": 1, \"amounts\": [\"50.00\", "
	       "\"50.00\"], \"regime\": 2}");
	has(j, "{\"from\": \"RXL\", \"to\": \"RXL\", \"rows\": 3, \"amounts\": [\"9200.00\", "
	       "\"9200.00\"], \"regime\": 2}");
	has(j, "{\"regime\": \"C\", \"uncovered_member_rows\": 1, \"uncovered_member_amount\": "
	       "\"100.00\", \"overlap_rows\": 1, \"unpriced_rows\": 0}");
	has(j, "{\"regime\": \"C\", \"rows\": {\"read\": 5, \"priced\": 4, \"covered\": 1, "
	       "\"unpriced\": 0, \"rejected\": 0}, \"total\": \"9665.00\", \"balanced\": true}");
	free(j);
}

Test(compare, text_report_tells_the_story)
{
	const char *y[] = {regime_a, regime_b};
	char *t = compare(y, 2, REMIT_REPORT_TEXT, NULL);
	has(t, "  A  A\n  B  B\n");
	has(t, "RXL                     9200.00        9850.00         650.00     7.1%\n");
	has(t, "C01                     9150.00        9800.00         650.00     7.1%\n");
	/* the decomposition adds up to the delta: −9100 + 9800 − 50 = 650 */
	has(t, "RXL              650.00 = base -9100.00 + episode 9800.00 + subcontract -50.00\n");
	has(t, "RYY              0.00 = base -50.00 + subcontract 50.00\n");
	free(t);
}

Test(compare, by_pod_and_by_module)
{
	const char *y[] = {regime_a, regime_b};
	char *t = compare(y, 2, REMIT_REPORT_TEXT, "pod");
	/* pods of the lines: EL a1 (9000 | 9800 episode), OPFU a2, a4 (200 | 100),
	 * COM a3, a5 (100 | 50 + 50 subcontract) */
	has(t, "EL                      9000.00        9800.00         800.00     8.9%\n");
	has(t, "OPFU                     200.00         100.00        -100.00   -50.0%\n");
	has(t, "COM                      100.00         100.00           0.00     0.0%\n");
	free(t);
	t = compare(y, 2, REMIT_REPORT_TEXT, "module");
	/* B: apc pays only a4 and a5 (150); a3's subcontract line is hip's */
	has(t, "apc                     9300.00         150.00       -9150.00   -98.4%\n");
	has(t, "hip                        0.00        9850.00        9850.00      n/a\n");
	free(t);
}

Test(compare, csv_and_html)
{
	const char *y[] = {regime_a, regime_b};
	char *c = compare(y, 2, REMIT_REPORT_CSV, NULL);
	has(c, "section,name,measure,regime,value\n");
	has(c, "provider,RXL,net,B,9850.00\n");
	has(c, "provider,RXL,episode,B,9800.00\n");
	has(c, "commissioner,C01,net,A,-9150.00\n");
	has(c, "transition,RYY>RXL,rows,B,1\n");
	free(c);
	char *h = compare(y, 2, REMIT_REPORT_HTML, NULL);
	has(h, "<!DOCTYPE html>");
	has(h, "<svg role=\"img\" aria-label=\"change in net income by provider\"");
	has(h, "<svg role=\"img\" aria-label=\"funding transitions\"");
	/* self-contained: no external resources */
	cr_assert(strstr(h, "http://") == NULL && strstr(h, "https://") == NULL &&
		  strstr(h, "<script") == NULL && strstr(h, "src=") == NULL);
	free(h);
}

Test(compare, cli_writes_files_and_rejects_bad_usage)
{
	char *ya = remit_test_tmpfile(".yaml", regime_a), *yb = remit_test_tmpfile(".yaml", regime_b);
	char *act = remit_test_tmpfile(".csv", activity);
	char args[2048], *out = NULL, *err = NULL;
	snprintf(args, sizeof args, "compare %s %s --activity %s --json - --quiet", ya, yb, act);
	cr_assert_eq(remit_test_run(args, &out, &err), 0, "%s", err);
	has(out, "\"regimes\": [\"A\", \"B\"]");
	free(out);
	free(err);
	snprintf(args, sizeof args, "compare %s --activity %s", ya, act);
	cr_assert_eq(remit_test_run(args, &out, &err), 2);
	has(err, "expected two or more REGIME.yaml files, got 1");
	free(out);
	free(err);
	snprintf(args, sizeof args, "compare %s %s --activity %s --by colour", ya, yb, act);
	cr_assert_eq(remit_test_run(args, &out, &err), 2);
	has(err, "--by: expected provider, commissioner, module or pod, got 'colour'");
	free(out);
	free(err);
	unlink(ya);
	unlink(yb);
	unlink(act);
	free(ya);
	free(yb);
	free(act);
}

/* Each regime with budgets reads the population: a pipe, which cannot be
 * read again, is read again from its copy (csv.h).  C and D (C renamed)
 * each make P2's budget of 365.00: 9665.00 each, as above; without the
 * population, D would have no budget. */
Test(compare, a_population_through_a_pipe_is_read_for_each_regime)
{
	char *d = malloc(sizeof regime_c + 8);
	char *at = strstr(strcpy(d, regime_c), "regime: C");
	at[8] = 'D';
	char *yc = remit_test_tmpfile(".yaml", regime_c), *yd = remit_test_tmpfile(".yaml", d);
	char *act = remit_test_tmpfile(".csv", activity), *pop = remit_test_tmpfile(".csv", population);
	char args[2048], before[1024], *out = NULL, *err = NULL;
	snprintf(before, sizeof before, "cat %s |", pop);
	snprintf(args, sizeof args,
		 "compare %s %s --activity %s --population /dev/stdin --json - --quiet", yc, yd, act);
	cr_assert_eq(remit_test_run_piped(before, args, &out, &err), 0, "%s", err);
	for (const char *name = "CD"; *name; name++) {
		char want[256];
		snprintf(want, sizeof want,
			 "{\"regime\": \"%c\", \"rows\": {\"read\": 5, \"priced\": 4, "
			 "\"covered\": 1, \"unpriced\": 0, \"rejected\": 0}, \"total\": "
			 "\"9665.00\", \"balanced\": true}",
			 *name);
		has(out, want);
	}
	free(out);
	free(err);
	for (char **f = (char *[]){yc, yd, act, pop, NULL}; *f; f++) {
		unlink(*f);
		free(*f);
	}
	free(d);
}

/* A row's amount under a regime is its own, also after a row whose amount
 * did not fit in 64 bits: a1 is priced 10^17 (10^19 pence), a2 100.00. */
Test(compare, a_huge_amount_stays_on_its_own_row)
{
	static const char huge[] =
		COMMON "regime: H\nmodules:\n"
		       "  - module: tariff\n"
		       "    name: apc\n"
		       "    covers: pod in [EL, OPFU, COM]\n"
		       "    prices: {columns: [code, pod, price], rows: [[HN12A, EL, "
		       "100000000000000000.00], [X1, OPFU, 100.00], [C1, COM, 50.00]]}\n";
	const char *y[] = {regime_a, huge};
	char *j = compare(y, 2, REMIT_REPORT_JSON, NULL);
	/* a1, a2, a4 RXL → RXL: A 9000 + 100 + 100; H 10^17 + 100 + 100 */
	has(j, "{\"from\": \"RXL\", \"to\": \"RXL\", \"rows\": 3, \"amounts\": [\"9200.00\", "
	       "\"100000000000000200.00\"]}");
	/* a3, a5 RYY → RYY: 50 + 50 under both */
	has(j, "{\"from\": \"RYY\", \"to\": \"RYY\", \"rows\": 2, \"amounts\": [\"100.00\", "
	       "\"100.00\"]}");
	free(j);
}

/* 5,000 providers, each paid 100.00 for one X1 OPFU row by C01 under both
 * regimes (B's bundle has no anchor: apc pays): 10,000 different payee,
 * payer, module, pod and regime, so the comparison adds up its pending
 * lines more than once on the way (4,096 at a time). */
Test(compare, five_thousand_providers)
{
	size_t cap = 64 + 5000 * 48, k = 0;
	char *act = malloc(cap);
	k += (size_t)snprintf(act, cap, "id,patient,provider,commissioner,pod,code,start,end,diagnoses\n");
	for (int i = 1; i <= 5000; i++)
		k += (size_t)snprintf(act + k, cap - k, "r%d,P%d,R%04d,C01,OPFU,X1,2024-06-01,,\n", i,
				      i, i);
	const char *y[] = {regime_a, regime_b};
	for (int threads = 1; threads <= 2; threads++) {
		char *j = compare_with(y, 2, act, population, threads, REMIT_REPORT_JSON, NULL);
		has(j, "\"C01\": {\"role\": \"commissioner\", \"net\": [\"-500000.00\", "
		       "\"-500000.00\"], \"delta\": [\"0.00\"]");
		has(j, "\"R0001\": {\"role\": \"provider\", \"net\": [\"100.00\", \"100.00\"]");
		has(j, "\"R4097\": {\"role\": \"provider\", \"net\": [\"100.00\", \"100.00\"]");
		has(j, "\"R5000\": {\"role\": \"provider\", \"net\": [\"100.00\", \"100.00\"], "
		       "\"delta\": [\"0.00\"], \"delta_pct\": [\"0.0%\"], \"by_component\": "
		       "{\"base\": [\"100.00\", \"100.00\"]}, \"by_module\": {\"apc\": "
		       "[\"100.00\", \"100.00\"]}}");
		has(j, "{\"regime\": \"B\", \"rows\": {\"read\": 5000, \"priced\": 5000, "
		       "\"covered\": 0, \"unpriced\": 0, \"rejected\": 0}, \"total\": "
		       "\"500000.00\", \"balanced\": true}");
		free(j);
	}
	free(act);
}

/* An organisation lists its modules in the order it first met them, also
 * when a later line's names are too long for the comparison's pending
 * cells.  Regimes B then A: x1 gives RXL an apc line under both; y1, from
 * a commissioner with a long name, an episode (hip, 9800) under B and an
 * apc line (9000) under A.  RXL met apc first. */
Test(compare, modules_in_the_order_met_with_long_names)
{
	static const char act[] =
		"id,patient,provider,commissioner,pod,code,start,end,diagnoses\n"
		"x1,P9,RXL,C01,OPFU,X1,2024-06-01,,\n"
		"y1,P8,RXL,COMMISSIONER_WITH_A_LONG_NAME,EL,HN12A,2024-05-01,2024-05-04,\n";
	const char *y[] = {regime_b, regime_a};
	char *j = compare_with(y, 2, act, population, 1, REMIT_REPORT_JSON, NULL);
	/* RXL: B 100 + 9800 = 9900; A 100 + 9000 = 9100 */
	has(j, "\"RXL\": {\"role\": \"provider\", \"net\": [\"9900.00\", \"9100.00\"], "
	       "\"delta\": [\"-800.00\"]");
	has(j, "\"by_module\": {\"apc\": [\"100.00\", \"9100.00\"], \"hip\": [\"9800.00\", "
	       "\"0.00\"]}}");
	has(j, "\"COMMISSIONER_WITH_A_LONG_NAME\": {\"role\": \"commissioner\", \"net\": "
	       "[\"-9800.00\", \"-9000.00\"]");
	free(j);
}
