/*
 * test_threads.c — `--threads` never changes any output.
 *
 * A deterministic generator writes a claims file of about 150,000 rows
 * (≈ 15 MB: some fifteen parts of the parallel pass) that has everything
 * that makes cutting a file into parts hard: quoted fields with newlines
 * (one is placed across every megabyte boundary, so that the guessed start
 * of the part there is wrong and the part is priced again), blank lines,
 * CRLF line ends, rows rejected for every kind of reason, duplicate ids
 * (across parts and within one: some parts are priced again), ids out of
 * order (some repeated), unpriced rows of every kind.  Four
 * regimes price it: a tariff with marginal and quality lines and a block
 * (no per-patient rule: the first pass is the parallel one), a tariff with
 * readmissions and a prospective bundle with subcontracts (a per-patient
 * pre-pass, then exact parts), a retrospective bundle (lines observed),
 * and a capitation budget with a risk share (a population).  For each, the
 * CLI is run with --threads 1, 2 and 8, and the JSON, the lines, the
 * rejects and the unpriced files must be byte-identical.  So must
 * `remit compare`'s JSON, CSV, rejects and report, on the first pass, after
 * a pre-pass and with duplicates everywhere.  Also: a file with
 * duplicates in every part (the first pass stops guessing), memory
 * buffers through the API, a gzip file (read on one thread), a file
 * without a final newline, a tiny file, and a pre-pass on parts whose
 * guessed starts are right.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "remit.h"

#define ROWS 150000

static char dir[64];

/* ---- the generator --------------------------------------------------------- */

static uint64_t st = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void) /* xorshift64* */
{
	st ^= st >> 12;
	st ^= st << 25;
	st ^= st >> 27;
	return st * 2685821657736338717ull;
}

static unsigned below(unsigned n)
{
	return (unsigned)((rnd() >> 33) % n);
}

static void civil(int64_t days, char out[16]) /* days since 1970-01-01 → y-m-d */
{
	days += 719468;
	int64_t era = days / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	snprintf(out, 16, "%04u-%02u-%02u", (unsigned)(yoe + era * 400 + (m <= 2)) % 10000, m % 100,
		 d % 100);
}

static FILE *create(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "cannot write %s", path);
	return f;
}

static void put(const char *name, const char *text)
{
	FILE *f = create(name);
	fputs(text, f);
	fclose(f);
}

/* A quoted note of `lines` lines (newlines inside quotes). */
static int note(FILE *f, unsigned lines, unsigned width)
{
	int n = fprintf(f, "\"");
	for (unsigned i = 0; i < lines; i++) {
		n += fprintf(f, "%s", i ? "\n" : "");
		for (unsigned j = 0; j < width; j++)
			n += fprintf(f, "%c", "abc, \"\"xyz"[j % 10]);
	}
	return n + fprintf(f, "\"");
}

/* dups: rows in 100,000 that repeat an earlier id. */
/* Rows in 1000 whose id is out of order ('@' < 'A'), some repeated. */
static unsigned odd_ids = 3;
static bool straddle = true; /* a long note across every megabyte boundary */

static void gen_activity(const char *name, unsigned rows, unsigned dups, bool final_newline)
{
	static const char *const pods[] = {"EL", "EL", "EL", "EL", "NE", "NE", "NE",
					   "DC", "OPFA", "COM", "XX"};
	static const char *const codes[] = {"HN12A", "HN12B", "HN12F", "HT12A",
					    "SB97Z", "WF01A", "ZZ99Z", "N01"};
	FILE *f = create(name);
	long pos = fprintf(f, "id,patient,provider,commissioner,pod,code,start,end,los,age,sex,"
			      "diagnoses,procedures,flags,note\n");
	long boundary = 1 << 20;
	const int64_t first = 19814; /* 2024-04-01 */
	for (unsigned i = 0; i < rows; i++) {
		char id[32], start[16], end[16];
		unsigned kind = below(1000);
		const char *pod = pods[below(11)], *code = codes[below(8)];
		if (!strcmp(pod, "OPFA"))
			code = below(10) ? "WF01A" : "ZZ99Z";
		if (!strcmp(pod, "COM"))
			code = "N01";
		unsigned los = !strcmp(pod, "EL") || !strcmp(pod, "NE") ? below(20) : 0;
		int64_t s = first + below(400); /* some after the period */
		civil(s, start);
		civil(s + los, end);
		if (below(100000) < dups && i > 10)
			snprintf(id, sizeof id, "A%u", below(i)); /* a duplicate */
		else if (below(1000) < odd_ids) /* out of id order, some repeated */
			snprintf(id, sizeof id, "@%u", below(i / 4 + 1));
		else
			snprintf(id, sizeof id, "A%u", i);
		if (kind >= 40 && kind < 50)
			pos += fprintf(f, "\n"); /* a blank line */
		const char *eol = kind >= 50 && kind < 80 ? "\r\n" : "\n";
		unsigned prov = below(21);
		char provider[8]; /* RZZ9: no MFF, and a name longer than a payer's */
		snprintf(provider, sizeof provider, prov == 20 ? "RZZ9" : "R%02u", prov);
		pos += fprintf(f, "%s,P%u,%s,C%02u,%s,%s,", id, below(rows / 6 + 1), provider,
			       below(5), pod, code);
		if (kind >= 12 && kind < 16)
			pos += fprintf(f, "2024-02-30,,,"); /* not a date */
		else if (kind >= 16 && kind < 19)
			pos += fprintf(f, "%s,%s,x,", start, end); /* los not a number */
		else
			pos += fprintf(f, "%s,%s,%u,", start, end, los);
		pos += fprintf(f, "%s,%s,%s,%s,%s,", below(20) ? "45" : "", below(2) ? "F" : "M",
			       below(3) ? "M16.1" : below(2) ? "S72.0|M17.0" : "",
			       below(5) ? "" : "X721",
			       below(8) ? "" : below(2) ? "SPEC_ORTH" : "SPEC_ORTH|BPT_HIP");
		if (straddle && boundary - pos < 1500 && boundary - pos > 400) {
			/* a long multi-line note across the megabyte boundary */
			pos += note(f, 40, 60);
			boundary += 1 << 20;
		} else if (kind >= 19 && kind < 35) {
			pos += note(f, 1 + below(3), 10);
		} else if (kind >= 35 && kind < 37) {
			pos += fprintf(f, "x\"y"); /* a quote inside an unquoted field */
		}
		if (kind >= 37 && kind < 40)
			pos += fprintf(f, ",extra"); /* one field too many */
		if (i + 1 < rows || final_newline)
			pos += fprintf(f, "%s", eol);
		if (boundary < pos)
			boundary += 1 << 20;
	}
	fclose(f);
}

static void gen_population(unsigned people)
{
	FILE *f = create("population.csv");
	fputs("patient,practice,commissioner,from,to,age,sex,conditions,tier,need\n", f);
	for (unsigned p = 0; p < people; p++)
		fprintf(f, "P%u,G%u,C%02u,2024-04-01,,%u,%s,,,%s\n", p, below(3), below(5),
			below(100), below(2) ? "F" : "M", below(4) ? "" : "1.5");
	fclose(f);
}

static void gen_tables(void)
{
	FILE *f = create("mff.csv");
	fputs("provider,mff\n", f);
	for (unsigned i = 0; i < 20; i++)
		fprintf(f, "R%02u,1.%06u\n", i, below(250000));
	fclose(f);
	f = create("baseline.csv");
	fputs("provider,baseline\n", f);
	for (unsigned i = 0; i < 15; i++)
		fprintf(f, "R%02u,%u.00\n", i, 1000000 + below(9000000));
	fclose(f);
	put("prices.csv", "code,pod,price,trim,excess_day,short_stay_price\n"
			  "HN12A,EL,13900.00,5,300.00,\n"
			  "HN12A,NE,15100.50,6,310.25,\n"
			  "HN12B,EL,10200.00,4,290.00,\n"
			  "HN12F,EL,7251.00,3,275.00,\n"
			  "HN12F,NE,8942.00,5,300.00,2683.00\n"
			  "HT12A,NE,16447.00,5,250.00,\n"
			  "HT12A,EL,15000.00,,,\n"
			  "SB97Z,EL,350.00,,,\n"
			  "N01,COM,120.00,,,\n");
}

static const char head[] = "remit: 1\n"
			   "currency: GBP\n"
			   "period: {start: 2024-04-01, end: 2025-03-31}\n"
			   "rounding: {scale: 2, mode: half-up}\n"
			   "tables:\n"
			   "  mff: {key: provider, file: mff.csv, column: mff}\n"
			   "  base: {key: provider, file: baseline.csv, column: baseline}\n";

static const char apc[] = "  - module: tariff\n"
			  "    name: apc\n"
			  "    covers: pod in [EL, DC, NE, COM]\n"
			  "    prices: {file: prices.csv}\n"
			  "    pod_fallback: {DC: EL}\n"
			  "    mff: {table: mff}\n"
			  "    long_stay: {pods: [EL, NE]}\n"
			  "    short_stay: {pods: [NE], max_los: 1, min_age: 19}\n"
			  "    topups: [{name: spec-orth, when: flags has SPEC_ORTH, rate: 25%}]\n"
			  "    uplifts: [{name: bpt-hip, when: flags has BPT_HIP, add: 1335.00}]\n"
			  "    addons: [{name: chemo, field: procedures, prices: {X721: 363.00}}]\n";

static const char op[] = "  - module: tariff\n"
			 "    name: op\n"
			 "    covers: pod == OPFA\n"
			 "    prices: {columns: [code, pod, price], rows: [[WF01A, OPFA, 168.00]]}\n"
			 "    mff: {table: mff, default: 1}\n";

static void gen_regimes(void)
{
	char buf[8192];
	snprintf(buf, sizeof buf,
		 "%sregime: plain\nmodules:\n"
		 "  - module: block\n"
		 "    name: community\n"
		 "    payee: R00\n"
		 "    payer: C00\n"
		 "    amount: 100000.005\n"
		 "    covers: pod == COM and provider == R00\n"
		 "%s"
		 "    marginal: {pods: [NE], baseline: {table: base}, rate: 70%%}\n"
		 "    quality: {rate: 2.5%%}\n"
		 "    rounds: [{after: mff, scale: 3, mode: half-even}]\n"
		 "%s",
		 head, apc, op);
	put("plain.yaml", buf);
	snprintf(buf, sizeof buf,
		 "%sregime: readmit\nmodules:\n"
		 "  - module: bundle\n"
		 "    name: hip\n"
		 "    anchor: pod == EL and code in [HN12*]\n"
		 "    window: {before: 0, after: 60}\n"
		 "    related: diagnoses has [M16*, M17*] or pod in [COM]\n"
		 "    holder: anchor\n"
		 "    mode: prospective\n"
		 "    price: {by: code, rows: {HN12A: 9800.00, HN12B: 8700.00}}\n"
		 "    mff: {table: mff, default: 1}\n"
		 "    subcontract: {price_with: apc, share: 90%%}\n"
		 "%s"
		 "    readmission: {within: 30, pods: [NE], pay: 50%%}\n"
		 "%s",
		 head, apc, op);
	put("readmit.yaml", buf);
	snprintf(buf, sizeof buf,
		 "%sregime: retro\nmodules:\n"
		 "  - module: bundle\n"
		 "    name: hip\n"
		 "    anchor: pod == EL and code in [HN12*]\n"
		 "    window: {before: 0, after: 90}\n"
		 "    related: diagnoses has [M16*, M17*] or pod in [COM]\n"
		 "    holder: anchor\n"
		 "    mode: retrospective\n"
		 "    priced_by: apc\n"
		 "    target: {by: code, rows: {HN12A: 25000.00, HN12B: 20000.00}}\n"
		 "    discount: 3%%\n"
		 "    outlier_cap: {percentile: 95}\n"
		 "    stop_gain: 20%%\n"
		 "    stop_loss: 20%%\n"
		 "%s%s",
		 head, apc, op);
	put("retro.yaml", buf);
	snprintf(buf, sizeof buf,
		 "%sregime: capitated\nmodules:\n"
		 "  - module: capitation\n"
		 "    name: ico\n"
		 "    holder: R01\n"
		 "    population: practice in [G0, G1]\n"
		 "    rate: 1200.00\n"
		 "    weights: {bands: [0, 65], M: [1, 2.5], F: [1.1, 2.25], U: [1, 2]}\n"
		 "    need: {from: need}\n"
		 "    covers: pod in [COM, OPFA]\n"
		 "    prorate: days\n"
		 "    risk_share: {against: shadow, shadow_with: op, corridor: 2%%, share: 50%%, "
		 "cap: 10%%}\n"
		 "%s%s",
		 head, apc, op);
	put("capitated.yaml", buf);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/remit-threads-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	st = 0x2545f4914f6cdd1dull;
	gen_tables();
	gen_regimes();
	gen_activity("activity.csv", ROWS, 1, true); /* some parts have one */
	gen_population(ROWS / 6 + 1);
}

static void teardown(void)
{
	char cmd[128];
	if (getenv("REMIT_TEST_KEEP"))
		return; /* for a look at the files */
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

TestSuite(threads, .init = setup, .fini = teardown, .timeout = 120);

/* ---- runs ------------------------------------------------------------------ */

static const char *const outputs[] = {"json", "lines", "rejects", "unpriced"};

/* Price with the CLI into DIR/out-THREADS.{json,lines,rejects,unpriced}
 * (without lines: an empty lines file, and no line callback at all). */
static void price(const char *regime, const char *activity, const char *population, int threads,
		  bool lines)
{
	char args[2048], *out = NULL, *err = NULL;
	int n = snprintf(args, sizeof args,
			 "price %s/%s --activity %s/%s --json %s/out-%d.json --rejects "
			 "%s/out-%d.rejects --unpriced %s/out-%d.unpriced --threads %d --quiet",
			 dir, regime, dir, activity, dir, threads, dir, threads, dir, threads,
			 threads);
	if (population)
		n += snprintf(args + n, sizeof args - (size_t)n, " --population %s/%s", dir,
			      population);
	if (lines) {
		snprintf(args + n, sizeof args - (size_t)n, " --lines %s/out-%d.lines", dir,
			 threads);
	} else {
		char path[256];
		snprintf(path, sizeof path, "%s/out-%d.lines", dir, threads);
		FILE *f = fopen(path, "w");
		cr_assert_not_null(f);
		fclose(f);
	}
	int rc = remit_test_run(args, &out, &err);
	cr_assert_eq(rc, 0, "remit %s: exit %d: %s", args, rc, err);
	free(out);
	free(err);
}

static char *slurp(const char *what, int threads)
{
	char path[256];
	snprintf(path, sizeof path, "%s/out-%d.%s", dir, threads, what);
	char *s = remit_test_slurp(path);
	cr_assert_not_null(s, "cannot read %s", path);
	return s;
}

/* The files what[0..n) of --threads t are those of --threads 1. */
static void same_files(const char *const *what, size_t n, int t)
{
	for (size_t k = 0; k < n; k++) {
		char *a = slurp(what[k], 1), *b = slurp(what[k], t);
		size_t i = 0;
		while (a[i] && a[i] == b[i])
			i++;
		cr_assert(a[i] == b[i],
			  "%s differs between --threads 1 and %d at byte %zu:\n1: %.200s\n%d: %.200s",
			  what[k], t, i, a + (i > 80 ? i - 80 : 0), t, b + (i > 80 ? i - 80 : 0));
		free(a);
		free(b);
	}
}

/* The outputs of --threads t are those of --threads 1 (the first n). */
static void same_as_one_n(int t, size_t n)
{
	same_files(outputs, n, t);
}

static void same_as_one(int t)
{
	same_as_one_n(t, sizeof outputs / sizeof *outputs);
}

static void check(const char *regime, const char *population)
{
	price(regime, "activity.csv", population, 1, true);
	char *json = slurp("json", 1), *lines = slurp("lines", 1);
	/* the file exercises what it should */
	cr_assert(strstr(json, "\"balanced\": true") != NULL, "%s", json);
	cr_assert(strlen(lines) > 1000000, "few lines");
	free(json);
	free(lines);
	char *rej = slurp("rejects", 1);
	cr_assert(strstr(rej, "duplicate of the row on line") != NULL);
	cr_assert(strstr(rej, "expected a date") != NULL);
	cr_assert(strstr(rej, "quote inside an unquoted field") != NULL);
	free(rej);
	price(regime, "activity.csv", population, 2, true);
	same_as_one(2);
	price(regime, "activity.csv", population, 8, true);
	same_as_one(8);
}

Test(threads, tariff_marginal_quality_block_first_pass)
{
	check("plain.yaml", NULL);
}

Test(threads, readmissions_and_prospective_bundle_after_a_prepass)
{
	check("readmit.yaml", NULL);
}

Test(threads, retrospective_bundle_observes_lines)
{
	check("retro.yaml", NULL);
}

Test(threads, capitation_risk_share_with_a_population)
{
	check("capitated.yaml", "population.csv");
}

/* ---- compare --------------------------------------------------------------- */

static const char *const compared[] = {"json", "csv", "rejects", "txt"};

/* remit compare of the regimes (files in DIR, a NULL-ended list) into
 * DIR/out-THREADS.{json,csv,rejects,txt} (txt: the report on stdout, its
 * main table by the dimension `by`). */
static void compare(const char *const *regimes, const char *activity, const char *by,
		    int threads)
{
	char args[4096], *out = NULL, *err = NULL, txt[32];
	int n = snprintf(args, sizeof args, "compare");
	for (; *regimes; regimes++)
		n += snprintf(args + n, sizeof args - (size_t)n, " %s/%s", dir, *regimes);
	snprintf(args + n, sizeof args - (size_t)n,
		 " --activity %s/%s --population %s/population.csv --json %s/out-%d.json --csv "
		 "%s/out-%d.csv --rejects %s/out-%d.rejects --by %s --threads %d --quiet",
		 dir, activity, dir, dir, threads, dir, threads, dir, threads, by, threads);
	int rc = remit_test_run(args, &out, &err);
	cr_assert_eq(rc, 0, "remit %s: exit %d: %s", args, rc, err);
	snprintf(txt, sizeof txt, "out-%d.txt", threads);
	put(txt, out);
	free(out);
	free(err);
}

/* The comparison of regimes is the same at 1, 2 and 8 threads; json_has:
 * a text its JSON must hold (the file exercises what it should). */
static void check_compare(const char *const *regimes, const char *activity, const char *by,
			  const char *json_has)
{
	compare(regimes, activity, by, 1);
	char *json = slurp("json", 1), *rej = slurp("rejects", 1);
	cr_assert(strstr(json, json_has) != NULL, "no %s in %.300s", json_has, json);
	cr_assert(strstr(rej, "duplicate of the row on line") != NULL);
	cr_assert(strstr(rej, "quote inside an unquoted field") != NULL);
	free(json);
	free(rej);
	for (int t = 2; t <= 8; t *= 4) {
		compare(regimes, activity, by, t);
		same_files(compared, sizeof compared / sizeof *compared, t);
	}
}

/* No regime has a per-patient rule: the parallel pass is the first one,
 * its parts guessed (some priced again for their duplicates); transitions
 * from the tariff's providers to the capitation budget's holder. */
Test(threads, compare_on_the_first_pass)
{
	check_compare((const char *[]){"plain.yaml", "capitated.yaml", NULL}, "activity.csv",
		      "provider", "\"to\": \"R01\"");
}

/* Four regimes, two with per-patient rules: a pre-pass, then exact parts
 * (the report by point of delivery, a table only the text has). */
Test(threads, compare_four_regimes_after_a_prepass)
{
	check_compare((const char *[]){"plain.yaml", "readmit.yaml", "retro.yaml", "capitated.yaml",
				       NULL},
		      "activity.csv", "pod", "\"readmit\"");
}

/* Duplicates in every part: the first pass stops guessing and the
 * comparison reads the rest on one thread. */
Test(threads, compare_with_duplicates_everywhere)
{
	gen_activity("dups.csv", ROWS, 1200, true);
	check_compare((const char *[]){"plain.yaml", "capitated.yaml", NULL}, "dups.csv",
		      "commissioner", "\"regimes\"");
}

/* The rejects of --threads 1 name more than 1000 duplicate ids. */
static void more_than_1000_duplicates(void)
{
	char *rej = slurp("rejects", 1);
	size_t n = 0;
	for (const char *p = rej; (p = strstr(p, "duplicate of the row on line")); p++)
		n++;
	cr_assert_gt(n, 1000, "%zu duplicates", n);
	free(rej);
}

/* Duplicate ids in every part: past 8 parts the first pass stops guessing
 * and reads the rest on one thread (engine.c, too_many_duplicates): the
 * pricing pass, or the per-patient pre-pass (readmit.yaml). */
Test(threads, duplicates_everywhere)
{
	gen_activity("dups.csv", ROWS, 1200, true);
	for (int k = 0; k < 2; k++) {
		const char *regime = k ? "readmit.yaml" : "plain.yaml";
		for (int t = 1; t <= 8; t *= 2) {
			price(regime, "dups.csv", NULL, t, true);
			if (t > 1)
				same_as_one(t);
		}
		more_than_1000_duplicates();
	}
}

/* Ids in no order: the first pass leaves ascending mode in the first
 * part, after the parts in flight began without the ids' hashes (their
 * commits read those ids again; no note straddles a megabyte boundary, so
 * that most parts' guessed starts are right and they are not read again).
 * The same outputs for any thread count with the slots in memory, and
 * decided on disk (REMIT_ID_MEMORY=0, activity.c "on disk"). */
Test(threads, ids_in_no_order_in_memory_and_on_disk)
{
	odd_ids = 300;
	straddle = false;
	gen_activity("odd.csv", ROWS, 300, true);
	odd_ids = 3;
	straddle = true;
	for (int t = 1; t <= 8; t *= 2) {
		price("plain.yaml", "odd.csv", NULL, t, true);
		if (t > 1)
			same_as_one(t);
	}
	char *mem[4];
	for (int k = 0; k < 4; k++)
		mem[k] = slurp(outputs[k], 1);
	setenv("REMIT_ID_MEMORY", "0", 1);
	for (int t = 1; t <= 8; t *= 2) {
		price("plain.yaml", "odd.csv", NULL, t, true);
		if (t > 1)
			same_as_one(t);
	}
	unsetenv("REMIT_ID_MEMORY");
	for (int k = 0; k < 4; k++) {
		char *disk = slurp(outputs[k], 1);
		cr_assert(strcmp(mem[k], disk) == 0, "%s differs on disk", outputs[k]);
		free(disk);
		free(mem[k]);
	}
	more_than_1000_duplicates();
}

/* No note straddles a megabyte boundary, so the parts' guessed starts are
 * right: the per-patient pre-pass joins parts whose rows it numbered from
 * 0, shifting their ordinals and mapping their patients and organisations
 * to the run's (patients.c). */
Test(threads, prepass_on_guessed_parts)
{
	straddle = false;
	gen_activity("even.csv", ROWS, 1, true);
	straddle = true;
	static const char *const regimes[] = {"readmit.yaml", "retro.yaml"};
	for (int k = 0; k < 2; k++)
		for (int t = 1; t <= 8; t *= 2) {
			price(regimes[k], "even.csv", NULL, t, true);
			if (t > 1)
				same_as_one(t);
		}
}

/* DIR/name.gz: a gzip copy of DIR/name. */
static void gzip_copy(const char *name)
{
	char src[256], dst[256];
	snprintf(src, sizeof src, "%s/%s", dir, name);
	snprintf(dst, sizeof dst, "%s/%s.gz", dir, name);
	char *text = remit_test_slurp(src);
	gzFile gz = gzopen(dst, "wb1");
	cr_assert_not_null(gz);
	gzwrite(gz, text, (unsigned)strlen(text));
	gzclose(gz);
	free(text);
}

Test(threads, gzip_and_odd_files)
{
	/* a gzip copy (read in one piece, inflated ahead on a helper thread
	   at --threads 2): the same outputs */
	gzip_copy("activity.csv");
	price("plain.yaml", "activity.csv", NULL, 1, true);
	price("plain.yaml", "activity.csv.gz", NULL, 2, true);
	same_as_one_n(2, 2); /* rejects and unpriced rows name the file */
	/* and a gzip population, its reader also inflating ahead */
	gzip_copy("population.csv");
	price("capitated.yaml", "activity.csv", "population.csv", 1, true);
	price("capitated.yaml", "activity.csv.gz", "population.csv.gz", 2, true);
	same_as_one_n(2, 2);
	/* no final newline, a few rows: fewer parts than threads */
	gen_activity("small.csv", 3000, 1200, false);
	price("readmit.yaml", "small.csv", NULL, 1, true);
	price("readmit.yaml", "small.csv", NULL, 8, true);
	same_as_one(8);
	price("plain.yaml", "small.csv", NULL, 1, false);
	price("plain.yaml", "small.csv", NULL, 8, false);
	same_as_one(8);
	/* only a header */
	put("empty.csv", "id,patient,provider,commissioner,pod,code,start\n");
	price("plain.yaml", "empty.csv", NULL, 1, true);
	price("plain.yaml", "empty.csv", NULL, 2, true);
	same_as_one(2);
}

/* A gzip file cut short fails the same way on one thread and with a
 * helper inflating ahead: at the same line, the one after the rows of
 * every byte inflated (several blocks of them). */
Test(threads, a_cut_gzip_fails_the_same_way)
{
	char src[256], dst[256];
	snprintf(src, sizeof src, "%s/activity.csv", dir);
	snprintf(dst, sizeof dst, "%s/cut.csv.gz", dir);
	char *text = remit_test_slurp(src);
	size_t n = strlen(text), len;
	unsigned char *gz = remit_test_gzip(text, n, &len);
	FILE *f = fopen(dst, "wb");
	cr_assert_not_null(f);
	fwrite(gz, 1, len / 2, f);
	fclose(f);
	unsigned long line = remit_test_cut_line(gz, len / 2, n);
	cr_assert_gt(line, 40000);
	char want[320];
	snprintf(want, sizeof want, "%s:%lu:0: truncated gzip stream", dst, line);
	char *err[3] = {0};
	for (int t = 1; t <= 2; t++) {
		char args[1024], *out = NULL;
		snprintf(args, sizeof args, "price %s/plain.yaml --activity %s --threads %d --quiet",
			 dir, dst, t);
		int rc = remit_test_run(args, &out, &err[t]);
		cr_assert_eq(rc, 4, "--threads %d: exit %d: %s", t, rc, err[t]);
		cr_assert(strstr(err[t], want), "--threads %d: %s, not %s", t, err[t], want);
		free(out);
	}
	cr_assert_str_eq(err[2], err[1]);
	free(err[1]);
	free(err[2]);
	free(gz);
	free(text);
}

/* A record with too many fields stops the run: the same error, at the same
 * line, whatever the threads (a later part than the first), in the pricing
 * pass or in the per-patient pre-pass (readmit.yaml). */
Test(threads, a_fatal_error_mid_file_fails_the_same_way)
{
	char path[256];
	snprintf(path, sizeof path, "%s/activity.csv", dir);
	FILE *f = fopen(path, "ab");
	cr_assert_not_null(f);
	fputs("Z1,P1,R01,C01,EL,HN12A,2024-05-01,2024-05-01,0,45,F,,,,", f);
	for (int i = 0; i < 1100; i++)
		fputs(",x", f);
	fputs("\nZ2,P1,R01,C01,EL,HN12A,2024-05-01,2024-05-01,0,45,F,,,,\n", f);
	fclose(f);
	for (int k = 0; k < 2; k++) {
		const char *regime = k ? "readmit.yaml" : "plain.yaml";
		char args[1024], *out1 = NULL, *err1 = NULL, *out8 = NULL, *err8 = NULL;
		snprintf(args, sizeof args, "price %s/%s --activity %s --threads 1 --quiet", dir,
			 regime, path);
		int rc1 = remit_test_run(args, &out1, &err1);
		snprintf(args, sizeof args, "price %s/%s --activity %s --threads 8 --quiet", dir,
			 regime, path);
		int rc8 = remit_test_run(args, &out8, &err8);
		cr_assert_eq(rc1, 4, "%s: exit %d: %s", regime, rc1, err1);
		cr_assert_eq(rc8, rc1, "%s", regime);
		cr_assert_str_eq(err8, err1, "%s", regime);
		cr_assert(strstr(err1, "too many fields") != NULL, "%s", err1);
		cr_assert_str_eq(out8, "", "%s", regime);
		free(out1);
		free(err1);
		free(out8);
		free(err8);
	}
}

/* ---- memory buffers through the API ------------------------------------------- */

typedef struct sink {
	char *p;
	size_t n, cap;
} sink;

static void sink_put(sink *s, const char *t)
{
	size_t n = strlen(t) + 1;
	if (s->n + n > s->cap) {
		s->cap = (s->n + n) * 2;
		s->p = realloc(s->p, s->cap);
	}
	memcpy(s->p + s->n, t, n);
	s->n += n;
	s->p[s->n - 1] = '|';
}

/* The callbacks' ud: s[0] takes the notes and the CSV lines, in the order
 * they come; s[1] the lines as remit_line. */
static void on_line(void *ud, const remit_line *l)
{
	sink *s = (sink *)ud + 1;
	sink_put(s, l->payer);
	sink_put(s, l->payee);
	sink_put(s, l->activity);
	sink_put(s, l->amount);
	for (int c = 0; c < REMIT_C_COUNT; c++)
		sink_put(s, l->components[c]);
	sink_put(s, "\n");
}

static void on_lines_csv(void *ud, const char *p, size_t n)
{
	sink *s = ud;
	cr_assert(n > 0 && p[n - 1] == '\n', "lines come as whole records");
	if (s->n + n > s->cap) {
		s->cap = (s->n + n) * 2;
		s->p = realloc(s->p, s->cap);
	}
	memcpy(s->p + s->n, p, n);
	s->n += n;
}

static void on_note(void *ud, const remit_row_note *n)
{
	sink *s = ud;
	char num[64];
	snprintf(num, sizeof num, "%lu:%lu", n->line, n->column);
	sink_put(s, num);
	sink_put(s, n->reason);
	sink_put(s, n->activity);
	sink_put(s, n->raw);
	sink_put(s, "\n");
}

/* (with_line: on_line too, which puts a line's event between any two
 * lines' CSV records in a part) */
static void buffers(const remit_regime *r, const char *text, int threads, bool with_line, sink *s,
		    char **total)
{
	remit_run_options opt = {.threads = threads, .on_line = with_line ? on_line : NULL,
				 .on_reject = on_note, .on_unpriced = on_note,
				 .on_lines_csv = on_lines_csv, .ud = s};
	remit_result *res = NULL;
	remit_error err;
	int rc = remit_price_buffers(r, text, strlen(text), NULL, 0, &opt, &res, &err);
	cr_assert_eq(rc, REMIT_OK, "%s", err.message);
	remit_counts c;
	remit_result_counts(res, &c);
	char buf[256];
	snprintf(buf, sizeof buf, "%s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64,
		 remit_result_total(res), c.read, c.priced, c.unpriced, c.rejected);
	*total = strdup(buf);
	remit_result_free(res);
}

/* (readmit.yaml: its per-patient pre-pass reads the buffer in parts too) */
Test(threads, memory_buffers_through_the_api)
{
	char path[256];
	snprintf(path, sizeof path, "%s/activity.csv", dir);
	char *text = remit_test_slurp(path);
	static const char *const regimes[] = {"plain.yaml", "readmit.yaml"};
	for (int k = 0; k < 4; k++) {
		snprintf(path, sizeof path, "%s/%s", dir, regimes[k / 2]);
		remit_regime *r = NULL;
		remit_error err;
		cr_assert_eq(remit_regime_load(path, NULL, NULL, &r, &err), REMIT_OK, "%s",
			     err.message);
		sink a[2] = {{0}}, b[2] = {{0}};
		char *ta, *tb;
		buffers(r, text, 1, k % 2, a, &ta);
		buffers(r, text, 4, k % 2, b, &tb);
		const char *name = regimes[k / 2];
		cr_assert_str_eq(ta, tb, "%s", name);
		cr_assert(a[0].n > 0 && (a[1].n > 0) == (k % 2), "%s", name);
		for (int i = 0; i < 2; i++) {
			cr_assert_eq(a[i].n, b[i].n, "%s", name);
			bool same = !a[i].n || !memcmp(a[i].p, b[i].p, a[i].n);
			cr_assert(same, "%s: callbacks differ", name);
			free(a[i].p);
			free(b[i].p);
		}
		free(ta);
		free(tb);
		remit_regime_free(r);
	}
	free(text);
}
