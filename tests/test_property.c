/*
 * test_property.c — nothing is lost (issue 8): properties that must hold
 * for any input, checked over random data, and interrupted runs.
 *
 * Reconciliation.  For each of five small regimes (a tariff with
 * readmissions, a marginal rate and a quality payment; a prospective
 * bundle; a retrospective bundle; year of care + capitation with risk share
 * + a block, with a population; a tariff whose rows can take its quick
 * path), 50 random activity files (and random
 * populations) are priced with remit_price_buffers, and each run must
 * satisfy, checked from the outside rather than trusted from
 * remit_result_balanced():
 *
 *   rows read = priced + covered + unpriced + rejected
 *   reject callbacks = rejected rows (activity + population),
 *   unpriced callbacks = unpriced rows, line callbacks = lines
 *   Σ lines = total = Σ by payer = Σ by payee = Σ by module = Σ by kind
 *
 * (amounts summed exactly: remit__xsum over remit__num_parse).  Each case
 * is then priced again with no callback at all, so that no line is read
 * and a module may take a quick path: the counts and every total must be
 * the same, entry for entry.  The random
 * data are seeded (case k of regime r uses seed 1000 r + k), so a failure
 * names a case that can be rerun; they are deliberately messy: duplicate
 * ids, bad dates, wrong field counts, los that disagree, quantities of 0,
 * rows outside the period, unknown codes, overlapping registrations.
 * Then the same files go through remit_compare_files under all four
 * regimes: each regime's reconciliation (from the JSON report) must
 * balance and agree, count for count and to the penny, with its own run.
 * (Identical output for 1, 2 and 8 threads is tests/test_threads.c's.)
 * Under UBSan this found remit__cmp_sort_transitions (lib/compare.c)
 * sorting a NULL array when no row was valid; fixed.
 *
 * Interruption.  `remit price --lines FILE` stopped by SIGINT or SIGTERM
 * must exit 130 or 143 and leave neither FILE nor FILE.tmp-*: once while
 * it is blocked reading a FIFO (deterministic), once 0.3 s into a large
 * generated file (if it finished first, FILE must be complete instead).
 */
#include "remit.h"
#include "number.h"
#include "support.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CASES 50

/* ---- the regimes -------------------------------------------------------- */

#define HEAD                                                                                   \
	"remit: 1\n"                                                                           \
	"period: {start: 2024-04-01, end: 2025-03-31}\n"                                       \
	"tables:\n"                                                                            \
	"  mff: {key: provider, rows: {RJZ: 1.19117, RX1: 1/3, RXL: 1.04, RTX: 1.02}}\n"       \
	"  base: {key: provider, rows: {RJZ: 500.00, RX1: 0, RXL: 100}}\n"                      \
	"  holders: {key: practice, rows: {P1: RXL, P2: RXL, P3: RTX}}\n"

#define TARIFF                                                                                 \
	"  - module: tariff\n"                                                                 \
	"    name: ffs\n"                                                                      \
	"    covers: pod in [EL, DC, NE, OPFA, OPFU, COM]\n"                                   \
	"    prices:\n"                                                                        \
	"      columns: [code, pod, price, trim, excess_day, short_stay_price]\n"              \
	"      rows:\n"                                                                        \
	"        - [HN12A, EL, 13900.00, 5, 250.00, '']\n"                                     \
	"        - [HN12B, EL, 10200.005, 5, 250.00, '']\n"                                    \
	"        - [HN13A, EL, 11000.00, 4, 200.00, '']\n"                                     \
	"        - [HN12F, NE, 8942.00, 2, 300.00, 2683.00]\n"                                 \
	"        - [HN13A, NE, 5000.00, 2, 100.00, '']\n"                                      \
	"        - [WF01A, OPFA, 168.00, '', '', '']\n"                                        \
	"        - [WF01A, OPFU, 87.00, '', '', '']\n"                                         \
	"        - [N01, COM, 120.00, '', '', '']\n"                                           \
	"    pod_fallback: {DC: EL}\n"                                                         \
	"    mff: {table: mff, default: 1}\n"                                                  \
	"    long_stay: {pods: [EL, NE]}\n"                                                    \
	"    short_stay: {pods: [NE], max_los: 1, min_age: 19}\n"                              \
	"    topups: [{name: orth, when: flags has SPEC_ORTH, rate: 25%}]\n"                   \
	"    uplifts: [{name: hip, when: flags has BPT_HIP, add: 1335.00}]\n"                  \
	"    addons: [{name: chemo, field: procedures, prices: {X721: 363.00, X722: 311.00}}]\n"

static const char regime_tariff[] =
	HEAD "regime: tariff\n"
	     "rounding: {scale: 2, mode: half-even}\n"
	     "modules:\n" TARIFF
	     "    readmission: {within: 30, pods: [NE], pay: 50%}\n"
	     "    marginal: {pods: [NE], baseline: {table: base}, rate: 70%}\n"
	     "    quality: {rate: 1.25%}\n";

static const char regime_prospective[] =
	HEAD "regime: prospective bundle\n"
	     "modules:\n"
	     "  - module: bundle\n"
	     "    name: hip\n"
	     "    anchor: pod == EL and code in [HN12*]\n"
	     "    window: {before: 2, after: 30}\n"
	     "    related: diagnoses has [M16*, T84*] or pod in [COM, OPFU]\n"
	     "    holder: anchor\n"
	     "    mode: prospective\n"
	     "    price: {by: code, rows: {HN12A: 9800.00, HN12B: 8700.005}}\n"
	     "    mff: {table: mff, default: 1}\n"
	     "    subcontract: {price_with: ffs, share: 90%}\n" TARIFF;

static const char regime_retrospective[] =
	HEAD "regime: retrospective bundle\n"
	     "rounding: {scale: 0, mode: half-down}\n"
	     "modules:\n"
	     "  - module: bundle\n"
	     "    name: knee\n"
	     "    anchor: pod == EL and code in [HN13*, HN12*]\n"
	     "    window: {before: 0, after: 60}\n"
	     "    related: pod in [OPFU, NE, COM]\n"
	     "    holder: anchor\n"
	     "    mode: retrospective\n"
	     "    priced_by: ffs\n"
	     "    target: {by: code, rows: {HN13A: 12000.00, HN12A: 15000, HN12B: 7000.125}}\n"
	     "    discount: 3%\n"
	     "    outlier_cap: {sd: 2}\n"
	     "    stop_gain: 20%\n"
	     "    stop_loss: 20%\n" TARIFF;

static const char regime_budgets[] =
	HEAD "regime: budgets\n"
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
	     "    mff: {table: mff, default: 1}\n"
	     "    subcontract: {price_with: ffs, share: 100%}\n"
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
	     "    subcontract: {price_with: ffs, share: 100%}\n"
	     "    risk_share: {against: shadow, shadow_with: ffs, corridor: 2%, share: 50%, cap: 10%}\n"
	     TARIFF;

static const char *const regimes[] = {regime_tariff, regime_prospective, regime_retrospective,
				      regime_budgets};
#define NREGIMES 4

/* A tariff with no rule beyond price, stay, MFF and readmission, whose rows
 * mostly take the tariff's quick path when no one reads the lines (a
 * factor of 1/3 and quantities other than 1 send some the general way). */
static const char regime_quick[] =
	HEAD "regime: quick\n"
	     "rounding: {scale: 2, mode: half-even}\n"
	     "modules:\n"
	     "  - module: tariff\n"
	     "    name: ffs\n"
	     "    covers: pod in [EL, DC, NE, OPFA, OPFU, COM]\n"
	     "    prices:\n"
	     "      columns: [code, pod, price, trim, excess_day, short_stay_price]\n"
	     "      rows:\n"
	     "        - [HN12A, EL, 13900.00, 5, 250.005, '']\n"
	     "        - [HN12B, EL, 10200.005, 5, 250.00, '']\n"
	     "        - [HN13A, EL, 11000, 4, 200.5, '']\n"
	     "        - [HN12F, NE, 8942.00, 2, 300.00, 2683.00]\n"
	     "        - [HN13A, NE, 5000.00, 2, 100.00, '']\n"
	     "        - [WF01A, OPFA, 168.00, '', '', '']\n"
	     "        - [WF01A, OPFU, 87.005, '', '', '']\n"
	     "        - [N01, COM, 120.00, '', '', '']\n"
	     "    pod_fallback: {DC: EL}\n"
	     "    mff: {table: mff, default: 1}\n"
	     "    long_stay: {pods: [EL, NE]}\n"
	     "    short_stay: {pods: [NE], max_los: 1, min_age: 19}\n"
	     "    readmission: {within: 30, pods: [NE], pay: 50%}\n";

/* ---- random data ------------------------------------------------------- */

typedef struct rng {
	uint64_t s;
} rng;

static uint64_t next(rng *r) /* splitmix64 */
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned pick(rng *r, unsigned n)
{
	return (unsigned)(next(r) % n);
}

#define ONE_OF(r, a) (a)[pick(r, sizeof(a) / sizeof((a)[0]))]

typedef struct buf {
	char *p;
	size_t n, cap;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int w = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if ((size_t)w < b->cap - b->n) {
			b->n += (size_t)w;
			return;
		}
		b->cap = b->cap * 2 + (size_t)w + 64;
		b->p = realloc(b->p, b->cap);
	}
}

/* A date around the period 2024-04-01..2025-03-31 (some outside), as text. */
static void date_text(rng *r, int64_t days_from_base, char out[16])
{
	/* 2024-03-01 + days: months of 2024/25 spelt out by hand */
	static const int mdays[] = {31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28, 31, 30};
	static const int year[] = {2024, 2024, 2024, 2024, 2024, 2024, 2024, 2024, 2024, 2024,
				   2025, 2025, 2025, 2025};
	static const int month[] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3, 4};
	(void)r;
	int64_t d = days_from_base;
	int m = 0;
	while (m < 13 && d >= mdays[m])
		d -= mdays[m++];
	if (d >= mdays[m])
		d = mdays[m] - 1;
	snprintf(out, 16, "%04d-%02d-%02d", year[m] % 10000, month[m] % 100, (int)(d + 1) % 100);
}

static const char *const patients[] = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"};
static const char *const providers[] = {"RJZ", "RX1", "RYY", "RXL", "RTX", "RK5"};
static const char *const commissioners[] = {"C01", "C02"};

static void random_activity(rng *r, buf *b)
{
	static const char *const pods[] = {"EL",   "EL",   "DC",  "NE", "NE",
					   "OPFA", "OPFU", "COM", "AE", "XX"};
	static const char *const codes[] = {"HN12A", "HN12B", "HN13A", "HN12F",
					    "WF01A", "N01",   "N1",    "ZZ9"};
	static const char *const diags[] = {"", "M16.1", "T84.0", "E11.9", "E10|M16.1", "S72.0"};
	static const char *const flags[] = {"", "", "SPEC_ORTH", "BPT_HIP", "SPEC_ORTH|BPT_HIP"};
	static const char *const procs[] = {"", "", "X721", "X721|X722"};
	static const char *const qty[] = {"", "", "", "", "", "2", "1.5", "0.333", "0"};
	static const char *const sexes[] = {"M", "F", "U", "M", "F", "", "M", "F", "", "F", "X"};
	/* (pod, code) pairs the regimes price, used most of the time */
	static const char *const pairs[][2] = {
		{"EL", "HN12A"}, {"EL", "HN12B"}, {"EL", "HN13A"}, {"NE", "HN12F"}, {"NE", "HN13A"},
		{"DC", "HN12A"}, {"OPFA", "WF01A"}, {"OPFU", "WF01A"}, {"COM", "N01"}, {"AE", "VB01Z"}};
	unsigned rows = pick(r, 60);
	b->n = 0;
	put(b, "id,patient,provider,commissioner,pod,code,start,end,los,age,sex,diagnoses,"
	       "procedures,flags,cost,quantity\n");
	for (unsigned i = 0; i < rows; i++) {
		char start[16], end[16] = "", los[24] = "", age[8] = "";
		int64_t s = pick(r, 440);
		date_text(r, s, start);
		unsigned stay = pick(r, 12);
		if (pick(r, 4))
			date_text(r, s + stay, end);
		if (pick(r, 3) == 0)
			snprintf(los, sizeof los, "%u", pick(r, 8) ? (end[0] ? stay : 0) : stay + 1);
		if (pick(r, 5))
			snprintf(age, sizeof age, "%u", pick(r, 40) ? pick(r, 100) : 131);
		unsigned id = pick(r, 16) ? i : pick(r, i + 1); /* some duplicates */
		unsigned fault = pick(r, 40);
		if (fault == 0) {
			put(b, "B%u,%s,RJZ,C01,EL,HN12A,2024-02-30,,,,,,,,,\n", i, ONE_OF(r, patients));
			continue;
		}
		if (fault == 1) {
			put(b, "F%u,too,few\n", i);
			continue;
		}
		if (fault == 2) {
			put(b, "Q%u,p1,RJZ,C01,EL,\"HN12A,%s,,,,,,,,,\n", i, start);
			continue;
		}
		const char *pod = ONE_OF(r, pods), *code = ONE_OF(r, codes);
		if (pick(r, 6)) {
			unsigned k = pick(r, sizeof pairs / sizeof pairs[0]);
			pod = pairs[k][0];
			code = pairs[k][1];
		}
		put(b, "A%u,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", id, ONE_OF(r, patients),
		    ONE_OF(r, providers), ONE_OF(r, commissioners), pod, code, start, end, los, age,
		    ONE_OF(r, sexes), ONE_OF(r, diags), ONE_OF(r, procs), ONE_OF(r, flags),
		    pick(r, 2) ? "100.50" : "", ONE_OF(r, qty));
	}
}

static void random_population(rng *r, buf *b)
{
	static const char *const practices[] = {"P1", "P2", "P3", "P4"};
	static const char *const conds[] = {"", "diabetes", "diabetes|ckd", "copd"};
	static const char *const tiers[] = {"", "1", "2", "3"};
	static const char *const needs[] = {"", "", "", "1.2", "0.8", "0"};
	static const char *const sexes[] = {"M", "F", "U"};
	unsigned rows = pick(r, 14);
	b->n = 0;
	put(b, "patient,practice,commissioner,from,to,age,sex,conditions,tier,need\n");
	for (unsigned i = 0; i < rows; i++) {
		char from[16], to[16] = "";
		int64_t f = pick(r, 400);
		date_text(r, f, from);
		if (pick(r, 3) == 0)
			date_text(r, f + pick(r, 200), to);
		put(b, "%s,%s,%s,%s,%s,%u,%s,%s,%s,%s\n", ONE_OF(r, patients), ONE_OF(r, practices),
		    ONE_OF(r, commissioners), from, to, pick(r, 100), ONE_OF(r, sexes),
		    ONE_OF(r, conds), ONE_OF(r, tiers), ONE_OF(r, needs));
	}
}

/* ---- the oracle ---------------------------------------------------------- */

typedef struct tally {
	uint64_t lines, rejects, unpriced;
	remit__xsum sum;
	remit__numpool *pool;
	buf want; /* on_line's lines as CSV records, written here (RFC 4180) */
	buf csv;  /* what on_lines_csv gave */
} tally;

/* s as an RFC 4180 field of b, then sep: quoted when it holds a comma, a
 * quote or a line end, its quotes doubled. */
static void csv_put(buf *b, const char *s, char sep)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		put(b, "%s%c", s, sep);
		return;
	}
	put(b, "\"");
	for (; *s; s++)
		put(b, *s == '"' ? "\"\"" : "%c", *s);
	put(b, "\"%c", sep);
}

/* CSV lines appended to a buf (ud). */
static void on_lines_csv_buf(void *ud, const char *p, size_t n)
{
	cr_assert(n > 0 && p[n - 1] == '\n', "lines come as whole records");
	put(ud, "%.*s", (int)n, p);
}

static void on_lines_csv(void *ud, const char *p, size_t n)
{
	on_lines_csv_buf(&((tally *)ud)->csv, p, n);
}

static remit__num num(remit__numpool *pool, const char *s)
{
	remit__num v;
	cr_assert_eq(remit__num_parse(s, strlen(s), REMIT__PARSE_DECIMAL, pool, &v), 0,
		     "\"%s\" is no decimal", s);
	return v;
}

static void on_line(void *ud, const remit_line *l)
{
	tally *t = ud;
	t->lines++;
	remit__xsum_add(&t->sum, num(t->pool, l->amount));
	const char *f[] = {l->regime, l->module,   l->kind,   l->payer, l->payee,
			   l->patient, l->activity, l->amount, l->basis};
	for (size_t i = 0; i < 9; i++)
		csv_put(&t->want, f[i], i == 8 ? '\n' : ',');
}

static void on_reject(void *ud, const remit_row_note *n)
{
	tally *t = ud;
	t->rejects++;
	cr_assert(n->line > 0 && n->reason[0], "a reject without line or reason");
}

static void on_unpriced(void *ud, const remit_row_note *n)
{
	tally *t = ud;
	t->unpriced++;
	cr_assert(n->reason[0], "an unpriced row without a reason");
}

static bool same(const remit__xsum *a, const remit__xsum *b, remit__numpool *pool)
{
	return remit__num_cmp(remit__xsum_get(a, pool), remit__xsum_get(b, pool)) == 0;
}

static void check_breakdown(const remit_result *res, remit_total_kind kind,
			    const remit__xsum *total, remit__numpool *pool, const char *what,
			    const char *where)
{
	remit__xsum s = REMIT__XSUM_INIT;
	for (size_t i = 0; i < remit_result_size(res, kind); i++) {
		const char *name, *amount;
		cr_assert_eq(remit_result_entry(res, kind, i, &name, &amount), REMIT_OK);
		remit__xsum_add(&s, num(pool, amount));
	}
	cr_assert(same(&s, total, pool), "%s: money %s != total %s", where, what,
		  remit_result_total(res));
	remit__xsum_clear(&s);
}

/* What one run must satisfy. */
static void check_run(const remit_result *res, tally *t, const char *where)
{
	remit_counts c;
	remit_result_counts(res, &c);
	cr_assert_eq(c.read, c.priced + c.covered + c.unpriced + c.rejected,
		     "%s: %" PRIu64 " read != %" PRIu64 " + %" PRIu64 " + %" PRIu64 " + %" PRIu64,
		     where, c.read, c.priced, c.covered, c.unpriced, c.rejected);
	cr_assert_eq(t->rejects, c.rejected + c.population_rejected, "%s: reject callbacks", where);
	cr_assert_eq(t->unpriced, c.unpriced, "%s: unpriced callbacks", where);
	cr_assert_eq(t->lines, remit_result_lines(res), "%s: line callbacks", where);
	cr_assert(remit_result_balanced(res), "%s: not balanced", where);
	remit__xsum total = REMIT__XSUM_INIT;
	remit__xsum_add(&total, num(t->pool, remit_result_total(res)));
	cr_assert(same(&total, &t->sum, t->pool), "%s: the lines do not add up to the total %s",
		  where, remit_result_total(res));
	check_breakdown(res, REMIT_BY_PAYER, &total, t->pool, "by payer", where);
	check_breakdown(res, REMIT_BY_PAYEE, &total, t->pool, "by payee", where);
	check_breakdown(res, REMIT_BY_MODULE, &total, t->pool, "by module", where);
	check_breakdown(res, REMIT_BY_KIND, &total, t->pool, "by kind", where);
	remit__xsum_clear(&total);
}

static remit_regime *load(const char *yaml)
{
	remit_regime *r = NULL;
	remit_error e;
	int rc = remit_regime_load_string(yaml, strlen(yaml), "property.yaml", NULL, NULL, &r, &e);
	cr_assert_eq(rc, REMIT_OK, "%s:%lu:%lu: %s", e.file, e.line, e.column, e.message);
	return r;
}

/* The total and the four breakdowns of a result, as one text. */
static char *totals_text(const remit_result *res)
{
	buf b = {0};
	put(&b, "total %s\n", remit_result_total(res));
	for (int k = 0; k < 4; k++)
		for (size_t i = 0; i < remit_result_size(res, (remit_total_kind)k); i++) {
			const char *name, *amount;
			remit_result_entry(res, (remit_total_kind)k, i, &name, &amount);
			put(&b, "%d %s %s\n", k, name, amount);
		}
	return b.p;
}

/* Priced again with no line callback (csv NULL: so no one reads a line and
 * modules may take their quick paths) or with on_lines_csv alone (no one
 * reads the components), the case must give the same counts and the same
 * totals, entry for entry, and the same CSV lines as *csv. */
static void same_again(const remit_regime *r, const buf *act, const buf *pop,
		       const remit_result *with, const buf *csv, const char *where)
{
	buf got = {0};
	remit_run_options opt = {.threads = 1, .on_lines_csv = csv ? on_lines_csv_buf : NULL,
				 .ud = &got};
	remit_result *res = NULL;
	remit_error e;
	int rc = remit_price_buffers(r, act->p, act->n, pop->p, pop->n, &opt, &res, &e);
	const char *how = csv ? "with CSV lines only" : "without lines";
	cr_assert_eq(rc, REMIT_OK, "%s (%s): %s", where, how, e.message);
	remit_counts a, b;
	remit_result_counts(with, &a);
	remit_result_counts(res, &b);
	cr_assert(a.read == b.read && a.priced == b.priced && a.covered == b.covered &&
			  a.unpriced == b.unpriced && a.rejected == b.rejected,
		  "%s: counts differ %s", where, how);
	char *x = totals_text(with), *y = totals_text(res);
	cr_assert_str_eq(y, x, "%s: totals differ %s", where, how);
	if (csv)
		cr_assert(got.n == csv->n && (!got.n || !memcmp(got.p, csv->p, got.n)),
			  "%s: the CSV lines differ %s", where, how);
	free(x);
	free(y);
	free(got.p);
	remit_result_free(res);
}

/* Price one case; fills *counts and *total (caller frees) for compare. */
static void price_case(const remit_regime *r, const buf *act, const buf *pop, const char *where,
		       remit_counts *counts, char **total)
{
	tally t = {0};
	t.pool = remit__numpool_new();
	remit_run_options opt = {.threads = 1,
				 .on_line = on_line,
				 .on_reject = on_reject,
				 .on_unpriced = on_unpriced,
				 .on_lines_csv = on_lines_csv,
				 .ud = &t};
	remit_result *res = NULL;
	remit_error e;
	int rc = remit_price_buffers(r, act->p, act->n, pop->p, pop->n, &opt, &res, &e);
	cr_assert_eq(rc, REMIT_OK, "%s: %s:%lu:%lu: %s", where, e.file, e.line, e.column, e.message);
	check_run(res, &t, where);
	cr_assert(t.csv.n == t.want.n && (!t.csv.n || !memcmp(t.csv.p, t.want.p, t.csv.n)),
		  "%s: on_lines_csv's records are not on_line's lines", where);
	same_again(r, act, pop, res, NULL, where);
	same_again(r, act, pop, res, &t.csv, where);
	if (getenv("REMIT_PROPERTY_VERBOSE")) {
		remit_counts c;
		remit_result_counts(res, &c);
		fprintf(stderr,
			"%s: read %" PRIu64 " priced %" PRIu64 " covered %" PRIu64 " unpriced %" PRIu64
			" rejected %" PRIu64 " people %" PRIu64 "/%" PRIu64 " lines %" PRIu64
			" total %s\n",
			where, c.read, c.priced, c.covered, c.unpriced, c.rejected, c.population_read,
			c.population_rejected, remit_result_lines(res), remit_result_total(res));
	}
	if (counts)
		remit_result_counts(res, counts);
	if (total)
		*total = strdup(remit_result_total(res));
	remit_result_free(res);
	remit__xsum_clear(&t.sum);
	remit__numpool_free(t.pool);
	free(t.want.p);
	free(t.csv.p);
}

static void reconciliation_of(const char *yaml, int which)
{
	remit_regime *r = load(yaml);
	buf act = {0}, pop = {0};
	char where[64];
	for (int k = 0; k < CASES; k++) {
		rng g = {(uint64_t)(1000 * which + k)};
		random_activity(&g, &act);
		random_population(&g, &pop);
		snprintf(where, sizeof where, "regime %d case %d", which, k);
		price_case(r, &act, &pop, where, NULL, NULL);
	}
	free(act.p);
	free(pop.p);
	remit_regime_free(r);
}

static void reconciliation(int which)
{
	reconciliation_of(regimes[which], which);
}

Test(reconciliation, tariff_with_readmissions)
{
	reconciliation(0);
}

Test(reconciliation, prospective_bundle)
{
	reconciliation(1);
}

Test(reconciliation, retrospective_bundle)
{
	reconciliation(2);
}

Test(reconciliation, year_of_care_capitation_block)
{
	reconciliation(3);
}

Test(reconciliation, quick_tariff)
{
	reconciliation_of(regime_quick, NREGIMES);
}

/* ---- compare --------------------------------------------------------------- */

static void write_file(const char *path, const buf *b)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b->p, 1, b->n, f), b->n);
	fclose(f);
}

static void collect(void *ud, const char *data, size_t len)
{
	put(ud, "%.*s", (int)len, data);
}

/* The JSON report's reconciliation for regime `name`. */
static void json_reconciliation(const char *json, const char *name, remit_counts *c, char *total,
				bool *balanced, const char *where)
{
	char key[128];
	/* the last "reconciliation": [ (a component has that name too) */
	const char *p = NULL;
	for (const char *q = json; (q = strstr(q, "\"reconciliation\": [")); q++)
		p = q;
	cr_assert_not_null(p, "%s: no reconciliation in the report", where);
	snprintf(key, sizeof key, "{\"regime\": \"%s\", ", name);
	p = strstr(p, key);
	cr_assert_not_null(p, "%s: no reconciliation of %s", where, name);
	char b[8];
	int got = sscanf(p + strlen(key),
			 "\"rows\": {\"read\": %" SCNu64 ", \"priced\": %" SCNu64
			 ", \"covered\": %" SCNu64 ", \"unpriced\": %" SCNu64
			 ", \"rejected\": %" SCNu64 "}, \"total\": \"%63[^\"]\", \"balanced\": %7[a-z]",
			 &c->read, &c->priced, &c->covered, &c->unpriced, &c->rejected, total, b);
	cr_assert_eq(got, 7, "%s: cannot read the reconciliation of %s (%d): %.300s", where, name, got,
		     p);
	*balanced = strcmp(b, "true") == 0;
}

Test(compare, every_regime_balances_and_agrees_with_its_own_run)
{
	remit_regime *r[NREGIMES];
	for (int i = 0; i < NREGIMES; i++)
		r[i] = load(regimes[i]);
	char dir[] = "/tmp/remit-prop-XXXXXX", ap[600], pp[600], where[64];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(ap, sizeof ap, "%s/activity.csv", dir);
	snprintf(pp, sizeof pp, "%s/population.csv", dir);
	buf act = {0}, pop = {0}, json = {0};
	for (int k = 0; k < CASES; k++) {
		rng g = {(uint64_t)(7000 + k)};
		random_activity(&g, &act);
		random_population(&g, &pop);
		if (k == 0 && getenv("REMIT_PROPERTY_VERBOSE"))
			fprintf(stderr, "compare case 0 data: %s\n", dir);
		write_file(ap, &act);
		write_file(pp, &pop);
		snprintf(where, sizeof where, "compare case %d", k);
		remit_comparison *cmp = NULL;
		remit_error e;
		int rc = remit_compare_files((const remit_regime *const *)r, NREGIMES, ap, pp, NULL,
					     &cmp, &e);
		cr_assert_eq(rc, REMIT_OK, "%s: %s:%lu:%lu: %s", where, e.file, e.line, e.column,
			     e.message);
		json.n = 0;
		cr_assert_eq(remit_comparison_write(cmp, REMIT_REPORT_JSON, NULL, collect, &json),
			     REMIT_OK);
		put(&json, "%s", "");
		for (int i = 0; i < NREGIMES; i++) {
			remit_counts alone, in;
			char *total_alone, total_in[64];
			bool balanced;
			price_case(r[i], &act, &pop, where, &alone, &total_alone);
			json_reconciliation(json.p, remit_regime_name(r[i]), &in, total_in, &balanced,
					    where);
			cr_assert(balanced, "%s: %s not balanced", where, remit_regime_name(r[i]));
			cr_assert_eq(in.read, in.priced + in.covered + in.unpriced + in.rejected,
				     "%s: %s rows", where, remit_regime_name(r[i]));
			cr_assert(in.read == alone.read && in.priced == alone.priced &&
					  in.covered == alone.covered && in.unpriced == alone.unpriced &&
					  in.rejected == alone.rejected,
				  "%s: %s counts differ from its own run", where,
				  remit_regime_name(r[i]));
			cr_assert_str_eq(total_in, total_alone, "%s: %s total", where,
					 remit_regime_name(r[i]));
			free(total_alone);
		}
		remit_comparison_free(cmp);
	}
	if (!getenv("REMIT_PROPERTY_VERBOSE")) {
		unlink(ap);
		unlink(pp);
		rmdir(dir);
	}
	free(act.p);
	free(pop.p);
	free(json.p);
	for (int i = 0; i < NREGIMES; i++)
		remit_regime_free(r[i]);
}

/* ---- interrupted runs -------------------------------------------------------- */

static const char fifo_regime[] = "remit: 1\n"
				  "regime: interrupted\n"
				  "modules:\n"
				  "  - module: tariff\n"
				  "    name: apc\n"
				  "    covers: pod in [EL]\n"
				  "    prices: {columns: [code, pod, price], rows: [[HN12A, EL, 100]]}\n";

/* Start `remit price REGIME --activity ACTIVITY --lines LINES --quiet`. */
static pid_t start_price(const char *regime, const char *activity, const char *lines)
{
	const char *bin = getenv("REMIT_BIN");
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execl(bin ? bin : "remit", "remit", "price", regime, "--activity", activity, "--lines",
		      lines, "--quiet", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static bool temp_exists(const char *lines, pid_t pid)
{
	char tmp[700];
	snprintf(tmp, sizeof tmp, "%s.tmp-%ld", lines, (long)pid);
	return access(tmp, F_OK) == 0;
}

static void expect_nothing_left(const char *lines)
{
	char pat[700];
	glob_t g;
	cr_expect(access(lines, F_OK) != 0, "%s was left under its final name", lines);
	snprintf(pat, sizeof pat, "%s.tmp-*", lines);
	cr_expect(glob(pat, 0, NULL, &g) == GLOB_NOMATCH, "a temporary %s was left", pat);
	globfree(&g);
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* remit blocked reading a FIFO that stays open: the signal always comes
 * mid-run. */
static void interrupt_fifo(int sig, int want)
{
	char dir[] = "/tmp/remit-sig-XXXXXX", fifo[600], lines[600], regime[600];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(fifo, sizeof fifo, "%s/activity.csv", dir);
	snprintf(lines, sizeof lines, "%s/lines.csv", dir);
	snprintf(regime, sizeof regime, "%s/regime.yaml", dir);
	buf b = {0};
	put(&b, "%s", fifo_regime);
	write_file(regime, &b);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	pid_t pid = start_price(regime, fifo, lines);
	int fd = open(fifo, O_WRONLY); /* waits for remit to open it */
	cr_assert(fd >= 0);
	b.n = 0;
	put(&b, "id,patient,provider,commissioner,pod,code,start\n");
	for (int i = 0; i < 1000; i++)
		put(&b, "A%d,p,R1,C1,EL,HN12A,2024-05-01\n", i);
	cr_assert_eq(write(fd, b.p, b.n), (ssize_t)b.n);
	for (int i = 0; i < 100 && !temp_exists(lines, pid); i++)
		sleep_ms(10);
	cr_expect(temp_exists(lines, pid), "no temporary lines file while running");
	sleep_ms(300);
	kill(pid, sig);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	close(fd);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == want, "status %d, want exit %d", st, want);
	expect_nothing_left(lines);
	unlink(fifo);
	unlink(regime);
	rmdir(dir);
	free(b.p);
}

Test(interrupt, sigint_while_reading)
{
	interrupt_fifo(SIGINT, 130);
}

Test(interrupt, sigterm_while_reading)
{
	interrupt_fifo(SIGTERM, 143);
}

/* SIGBUS is what a mapped input raises when another process truncates it
 * mid-run: a data file error (exit 4), with nothing left behind. */
Test(interrupt, sigbus_is_a_data_file_error)
{
	interrupt_fifo(SIGBUS, 4);
}

/* The size of remit's temporary lines file (pid's), -1 while there is none. */
static off_t temp_size(const char *lines, pid_t pid)
{
	char tmp[700];
	struct stat st;
	snprintf(tmp, sizeof tmp, "%s.tmp-%ld", lines, (long)pid);
	return stat(tmp, &st) == 0 ? st.st_size : -1;
}

/* A large file (with readmissions, so two passes), SIGINT as soon as remit
 * has written some of its lines (not after a fixed time: a fast build
 * finished before 0.3 s, and the signal then tested nothing).  If remit
 * finished first all the same, its lines file must be complete instead: a
 * header and one line per row, ending in a line end. */
Test(interrupt, sigint_on_a_large_file, .timeout = 60)
{
	if (getenv("REMIT_TEST_SLOW")) /* scripts/valgrind.sh: timing is valgrind's */
		cr_skip_test("timed: not under valgrind");
	char dir[] = "/tmp/remit-sig-XXXXXX", act[600], lines[600], regime[600];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(act, sizeof act, "%s/activity.csv", dir);
	snprintf(lines, sizeof lines, "%s/lines.csv", dir);
	snprintf(regime, sizeof regime, "%s/regime.yaml", dir);
	buf b = {0};
	put(&b, "%s", regime_tariff);
	write_file(regime, &b);
	b.n = 0;
	int rows = 400000;
	put(&b, "id,patient,provider,commissioner,pod,code,start,end\n");
	for (int i = 0; i < rows; i++)
		put(&b, "A%d,p%d,RJZ,C0%d,EL,HN12A,2024-%02d-%02d,\n", i, i % 5000, 1 + i % 2,
		    4 + i % 9, 1 + i % 28);
	write_file(act, &b);
	pid_t pid = start_price(regime, act, lines);
	int st;
	pid_t done = 0;
	for (int i = 0; i < 20000 && !(done = waitpid(pid, &st, WNOHANG)); i++) {
		if (temp_size(lines, pid) > 65536) /* lines written: mid-run */
			break;
		sleep_ms(1);
	}
	if (!done) {
		kill(pid, SIGINT);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
	}
	cr_assert(WIFEXITED(st), "status %d", st);
	if (WEXITSTATUS(st) == 130) {
		expect_nothing_left(lines);
	} else {
		cr_assert_eq(WEXITSTATUS(st), 0, "exit %d", WEXITSTATUS(st));
		char *text = remit_test_slurp(lines);
		cr_assert_not_null(text);
		size_t n = 0, len = strlen(text);
		for (size_t i = 0; i < len; i++)
			n += text[i] == '\n';
		cr_expect(len > 0 && text[len - 1] == '\n' && n >= (size_t)rows + 1,
			  "an incomplete lines file: %zu lines", n);
		free(text);
		unlink(lines);
		cr_log_info("remit finished before the signal: its lines were checked instead");
	}
	unlink(act);
	unlink(regime);
	rmdir(dir);
	free(b.p);
}

/* An output that is a FIFO (or a device: --lines /dev/null) is written in
 * place: renaming the finished temporary file over it would replace it
 * with a regular file.  Regression test for a fixed bug (bin/remit.c,
 * out_open: `--lines /dev/null` run as root replaced /dev/null). */
Test(interrupt, output_to_a_fifo_is_written_in_place)
{
	char dir[] = "/tmp/remit-sig-XXXXXX", fifo[600], regime[600];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(fifo, sizeof fifo, "%s/lines", dir);
	snprintf(regime, sizeof regime, "%s/regime.yaml", dir);
	buf b = {0};
	put(&b, "%s", fifo_regime);
	write_file(regime, &b);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	int fd = open(fifo, O_RDONLY | O_NONBLOCK); /* a reader, so remit's open succeeds */
	cr_assert(fd >= 0);
	pid_t pid = start_price(regime, "fixtures/malformed/data/ok.csv", fifo);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
	char got[4096];
	ssize_t n = read(fd, got, sizeof got - 1);
	close(fd);
	cr_assert(n > 0, "nothing came through the FIFO");
	got[n] = '\0';
	cr_expect(strncmp(got, "regime,module,component,payer,payee,patient,activity,amount,basis\n",
			  66) == 0,
		  "%s", got);
	struct stat sb;
	cr_assert_eq(lstat(fifo, &sb), 0);
	cr_expect(S_ISFIFO(sb.st_mode), "the FIFO was replaced");
	char pat[700];
	glob_t g;
	snprintf(pat, sizeof pat, "%s.tmp-*", fifo);
	cr_expect(glob(pat, 0, NULL, &g) == GLOB_NOMATCH, "a temporary %s was left", pat);
	globfree(&g);
	unlink(fifo);
	unlink(regime);
	rmdir(dir);
	free(b.p);
}
