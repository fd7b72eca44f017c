/*
 * common.h — what the libFuzzer targets share: the fixed regimes and data
 * they run fuzzed input against, and the oracle every run must satisfy.
 *
 * The oracle is the reconciliation identity of DATA.md, checked from the
 * outside rather than trusted from remit_result_balanced():
 *
 *   rows read = priced + covered + unpriced + rejected
 *   reject callbacks = rejected,  unpriced callbacks = unpriced
 *   Σ lines delivered = total = Σ by payer = Σ by payee = Σ by module
 *                     = Σ by kind,  and the number of lines agrees
 *
 * Amounts are summed exactly (remit__xsum over remit__num_parse), so a
 * single lost penny, or a truncated amount string, aborts the run and
 * libFuzzer keeps the input.  A violation calls abort() after printing
 * what disagreed.
 *
 * Header-only (static inline functions) so each target is one translation unit.
 */
#ifndef REMIT_FUZZ_COMMON_H
#define REMIT_FUZZ_COMMON_H

#include "remit.h"
#include "number.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A tiny regime: a prospective hip/knee bundle that subcontracts through
 * the tariff, a retrospective bundle reconciling the tariff's lines, and a
 * tariff with readmissions, long and short stay, top-ups, uplifts,
 * add-ons, an MFF table, a marginal rate and a quality payment. */
static const char fuzz_price_regime[] =
	"remit: 1\n"
	"regime: fuzz-price\n"
	"currency: GBP\n"
	"period: {start: 2024-04-01, end: 2025-03-31}\n"
	"rounding: {scale: 2, mode: half-even}\n"
	"tables:\n"
	"  mff: {key: provider, rows: {RJZ: 1.19117, RX1: 1.202198, RK5: 1/3}}\n"
	"  base: {key: provider, rows: {RJZ: 1000.00, RX1: 0}}\n"
	"modules:\n"
	"  - module: bundle\n"
	"    name: hip\n"
	"    anchor: pod == EL and code in [HN12*]\n"
	"    window: {before: 0, after: 30}\n"
	"    related: diagnoses has [M16*, T84*] or pod in [COM]\n"
	"    holder: anchor\n"
	"    mode: prospective\n"
	"    price: {by: code, rows: {HN12A: 9800.00, HN12B: 8700.005}}\n"
	"    mff: {table: mff, default: 1}\n"
	"    subcontract: {price_with: ffs, share: 90%}\n"
	"  - module: bundle\n"
	"    name: knee\n"
	"    anchor: pod == EL and code in [HN13*]\n"
	"    window: {before: 2, after: 60}\n"
	"    related: pod in [OPFU, NE]\n"
	"    holder: anchor\n"
	"    mode: retrospective\n"
	"    priced_by: ffs\n"
	"    target: {by: code, rows: {HN13A: 12000.00, HN13B: 7000.125}}\n"
	"    discount: 3%\n"
	"    outlier_cap: {sd: 2}\n"
	"    stop_gain: 20%\n"
	"    stop_loss: 20%\n"
	"  - module: tariff\n"
	"    name: ffs\n"
	"    covers: pod in [EL, DC, NE, OPFA, OPFU, COM] and not (code == ZZ*)\n"
	"    prices:\n"
	"      columns: [code, pod, price, trim, excess_day, short_stay_price]\n"
	"      rows:\n"
	"        - [HN12A, EL, 13900.00, 5, 250.00, '']\n"
	"        - [HN12B, EL, 10200.00, 5, 250.00, '']\n"
	"        - [HN13A, EL, 11000.00, 4, 200.00, '']\n"
	"        - [HN12F, NE, 8942.00, 2, 300.00, 2683.00]\n"
	"        - [HN13A, NE, 5000.00, 2, 100.00, '']\n"
	"        - [WF01A, OPFA, 168.00, '', '', '']\n"
	"        - [WF01A, OPFU, 87.00, '', '', '']\n"
	"        - [N01, COM, 120.00, '', '', '']\n"
	"    pod_fallback: {DC: EL}\n"
	"    mff: {table: mff, default: 1}\n"
	"    long_stay: {pods: [EL, NE]}\n"
	"    short_stay: {pods: [NE], max_los: 1, min_age: 19}\n"
	"    topups:\n"
	"      - {name: orth, when: flags has SPEC_ORTH, rate: 25%}\n"
	"    uplifts:\n"
	"      - {name: hip, when: flags has BPT_HIP, add: 1335.00}\n"
	"    addons:\n"
	"      - {name: chemo, field: procedures, prices: {X721: 363.00, X722: 311.00}}\n"
	"    readmission: {within: 30, pods: [NE], pay: 50%}\n"
	"    marginal: {pods: [NE], baseline: {table: base}, rate: 70%}\n"
	"    quality: {rate: 1.25%}\n";

/* Budgets: year of care, capitation with risk share, a block, and the
 * tariff they subcontract through. */
static const char fuzz_budget_regime[] =
	"remit: 1\n"
	"regime: fuzz-budgets\n"
	"period: {start: 2024-04-01, end: 2025-03-31}\n"
	"rounding: {scale: 2, mode: half-up}\n"
	"tables:\n"
	"  holders: {key: practice, rows: {P1: RXL, P2: RXL, P3: RTX}}\n"
	"  mff: {key: provider, rows: {RXL: 1.04, RTX: 1.02}}\n"
	"modules:\n"
	"  - module: block\n"
	"    name: community\n"
	"    payee: RYY\n"
	"    payer: C01\n"
	"    amount: 45000.00\n"
	"    covers: provider == RYY and pod == COM\n"
	"  - module: year_of_care\n"
	"    name: diabetes\n"
	"    cohort: conditions has diabetes\n"
	"    tier:\n"
	"      - {when: \"conditions has [ckd]\", tier: \"3\"}\n"
	"      - {when: \"age >= 65\", tier: \"2\"}\n"
	"      - {when: \"age >= 0\", tier: \"1\"}\n"
	"    prices: {\"1\": 520.00, \"2\": 890.00, \"3\": 1640.00}\n"
	"    holder: {table: holders}\n"
	"    covers: pod in [OPFA, OPFU] and diagnoses has [E10*, E11*]\n"
	"    prorate: days\n"
	"    mff: {table: mff}\n"
	"    subcontract: {price_with: pbr, share: 100%}\n"
	"  - module: capitation\n"
	"    name: ico\n"
	"    holder: RXL\n"
	"    population: practice in [P1, P2]\n"
	"    rate: 1180.00\n"
	"    weights:\n"
	"      bands: [0, 15, 65]\n"
	"      M: [1.10, 0.55, 1.60]\n"
	"      F: [1.05, 0.70, 1.50]\n"
	"      U: [1, 1, 1]\n"
	"    need: {from: need}\n"
	"    prorate: days\n"
	"    mff: {provider: holder, table: mff}\n"
	"    covers: pod in [EL, DC, NE, OPFA, OPFU, AE, COM]\n"
	"    subcontract: {price_with: pbr, share: 100%}\n"
	"    risk_share: {against: shadow, shadow_with: pbr, corridor: 2%, share: 50%, cap: 10%}\n"
	"  - module: tariff\n"
	"    name: pbr\n"
	"    covers: pod in [EL, DC, NE, OPFA, OPFU, AE, COM]\n"
	"    prices:\n"
	"      columns: [code, pod, price]\n"
	"      rows:\n"
	"        - [HN12F, EL, 7251.00]\n"
	"        - [WF01A, OPFA, 168.00]\n"
	"        - [WF01A, OPFU, 87.00]\n"
	"        - [N1, COM, 250.00]\n"
	"    mff: {table: mff, default: 1}\n";

static const char fuzz_activity_csv[] =
	"id,patient,provider,commissioner,pod,code,start,end,los,age,sex,diagnoses,procedures,"
	"flags,cost,quantity,ward\n"
	"A1,p1,RXL,C01,EL,HN12F,2024-05-01,2024-05-03,2,67,F,M16.1,W371,,100.50,,w1\n"
	"A2,p2,RTX,C01,OPFA,WF01A,2024-06-01,,,60,M,E11.9,,,,2,w2\n"
	"A3,p3,RYY,C02,COM,N1,2024-07-01,,,71,F,,,SPEC_ORTH,,,\n"
	"A4,p4,RJZ,C01,NE,HN12F,2024-08-01,2024-08-09,8,82,F,S72.0,X721,BPT_HIP,9999.99,1.5,w1\n"
	"A5,p1,RXL,C01,OPFU,WF01A,2024-09-01,,,45,M,E10,,,,,w3\n"
	"A6,p5,RX1,C02,EL,HN12A,2024-10-01,2024-10-04,3,70,U,M17.1,,SPEC_ORTH|BPT_HIP,,,\n"
	"A7,p5,RX1,C02,NE,HN13A,2024-10-20,2024-10-22,,70,U,T84.0,,,,,\n"
	"A8,p6,RK5,C01,DC,HN12F,2025-01-06,2025-01-06,0,63,F,C50.9,X721|X722,,,3,\n"
	"A9,p7,RJZ,C01,AE,VB01Z,2024-12-24,,,30,M,,,,,,\n"
	"A10,p2,RXL,C02,OPFA,WF01A,2025-04-02,,,61,M,E11,,,,,\n";

static const char fuzz_population_csv[] =
	"patient,practice,commissioner,from,to,age,sex,conditions,tier,need\n"
	"p1,P1,C01,2024-04-01,,70,M,diabetes,,\n"
	"p2,P2,C01,2024-10-01,,3,F,diabetes|ckd,,1.2\n"
	"p3,P3,C02,2023-01-01,2024-06-30,88,F,,2,\n"
	"p4,P2,C02,2015-01-01,,30,M,,,1.1\n"
	"p5,P9,C01,2012-01-01,,61,U,,,\n";

/* ---- the oracle ---------------------------------------------------------- */

typedef struct fuzz_tally {
	uint64_t lines, rejects, unpriced;
	remit__xsum sum; /* of every delivered line's amount */
	int bad;         /* a line's amount did not parse */
	uint64_t csv_records; /* on_lines_csv's records: line ends outside quotes */
	int csv_quoted;       /* inside a quoted field at the end of the last call */
} fuzz_tally;

static inline void fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz oracle violated: %s\n", what);
	abort();
}

/* Add an amount string exactly; a string that is not a decimal (say, one
 * cut short by a fixed-size buffer) is a violation. */
static inline void fuzz_add(remit__xsum *s, const char *amount, remit__numpool *pool)
{
	remit__num v;
	if (remit__num_parse(amount, strlen(amount), REMIT__PARSE_DECIMAL, pool, &v) != 0) {
		fprintf(stderr, "amount \"%s\"\n", amount);
		fuzz_die("an amount is not a decimal");
	}
	remit__xsum_add(s, v);
}

static inline void fuzz_on_line(void *ud, const remit_line *l)
{
	fuzz_tally *t = ud;
	remit__numpool *pool = remit__numpool_new();
	t->lines++;
	fuzz_add(&t->sum, l->amount, pool);
	remit__numpool_free(pool);
}

/* The CSV lines: whole records a call, as many as on_line's lines. */
static inline void fuzz_on_lines_csv(void *ud, const char *p, size_t n)
{
	fuzz_tally *t = ud;
	if (!n || p[n - 1] != '\n')
		fuzz_die("CSV lines not in whole records");
	for (size_t i = 0; i < n; i++) {
		t->csv_quoted ^= p[i] == '"'; /* (a doubled quote toggles twice) */
		t->csv_records += p[i] == '\n' && !t->csv_quoted;
	}
	if (t->csv_quoted)
		fuzz_die("CSV lines end inside a quoted field");
}

static inline void fuzz_on_reject(void *ud, const remit_row_note *n)
{
	fuzz_tally *t = ud;
	t->rejects++;
	if (!n->reason || !n->reason[0] || !n->file || !n->line)
		fuzz_die("a reject without file, line or reason");
}

static inline void fuzz_on_unpriced(void *ud, const remit_row_note *n)
{
	fuzz_tally *t = ud;
	t->unpriced++;
	if (!n->reason || !n->reason[0])
		fuzz_die("an unpriced row without a reason");
}

static inline remit_run_options fuzz_options(fuzz_tally *t)
{
	memset(t, 0, sizeof *t);
	remit_run_options o = {.threads = 1,
			       .on_line = fuzz_on_line,
			       .on_reject = fuzz_on_reject,
			       .on_unpriced = fuzz_on_unpriced,
			       .on_lines_csv = fuzz_on_lines_csv,
			       .ud = t};
	return o;
}

static inline int fuzz_same(const remit__xsum *a, const remit__xsum *b, remit__numpool *pool)
{
	return remit__num_cmp(remit__xsum_get(a, pool), remit__xsum_get(b, pool)) == 0;
}

/* Σ of breakdown `kind` equals total. */
static inline void fuzz_check_breakdown(const remit_result *res, remit_total_kind kind,
				 const remit__xsum *total, remit__numpool *pool, const char *what)
{
	remit__xsum s = REMIT__XSUM_INIT;
	for (size_t i = 0; i < remit_result_size(res, kind); i++) {
		const char *name, *amount;
		if (remit_result_entry(res, kind, i, &name, &amount) != REMIT_OK)
			fuzz_die("remit_result_entry failed");
		fuzz_add(&s, amount, pool);
	}
	if (!fuzz_same(&s, total, pool))
		fuzz_die(what);
	remit__xsum_clear(&s);
}

/* Check a finished run against the tally of its callbacks. */
static inline void fuzz_check_result(const remit_result *res, fuzz_tally *t)
{
	remit_counts c;
	remit__numpool *pool = remit__numpool_new();
	remit_result_counts(res, &c);
	if (c.read != c.priced + c.covered + c.unpriced + c.rejected) {
		fprintf(stderr, "read %" PRIu64 " priced %" PRIu64 " covered %" PRIu64
				" unpriced %" PRIu64 " rejected %" PRIu64 "\n",
			c.read, c.priced, c.covered, c.unpriced, c.rejected);
		fuzz_die("rows read != priced + covered + unpriced + rejected");
	}
	if (t->rejects != c.rejected + c.population_rejected)
		fuzz_die("reject callbacks != rejected rows");
	if (t->unpriced != c.unpriced)
		fuzz_die("unpriced callbacks != unpriced rows");
	if (t->lines != remit_result_lines(res))
		fuzz_die("line callbacks != lines counted");
	if (t->csv_records != t->lines)
		fuzz_die("CSV records != line callbacks");
	if (!remit_result_balanced(res))
		fuzz_die("remit_result_balanced says no");
	remit__xsum total = REMIT__XSUM_INIT;
	fuzz_add(&total, remit_result_total(res), pool);
	if (!fuzz_same(&total, &t->sum, pool))
		fuzz_die("the lines delivered do not add up to the total");
	fuzz_check_breakdown(res, REMIT_BY_PAYER, &total, pool, "by payer != total");
	fuzz_check_breakdown(res, REMIT_BY_PAYEE, &total, pool, "by payee != total");
	fuzz_check_breakdown(res, REMIT_BY_MODULE, &total, pool, "by module != total");
	fuzz_check_breakdown(res, REMIT_BY_KIND, &total, pool, "by kind != total");
	remit__xsum_clear(&total);
	remit__xsum_clear(&t->sum);
	remit__numpool_free(pool);
}

/* Load one of the fixed regimes; they are correct, so failure is a bug. */
static inline remit_regime *fuzz_fixed_regime(const char *yaml)
{
	remit_regime *r = NULL;
	remit_error err;
	if (remit_regime_load_string(yaml, strlen(yaml), "fixed.yaml", NULL, NULL, &r, &err)) {
		fprintf(stderr, "%s:%lu:%lu: %s\n", err.file, err.line, err.column, err.message);
		fuzz_die("a fixed regime does not load");
	}
	return r;
}

#endif
