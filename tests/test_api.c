/*
 * test_api.c — the embedding API (remit.h): every function's answer to bad
 * arguments (status and message), pricing from memory against pricing from
 * files, the run handle (rows, chunks, quoting, finish once), explaining
 * from memory, and one regime priced from four threads at once.
 *
 * The money is the README's worked example (models/tariff/examples): C01
 * pays 56482.39, C02 33401.93, 89884.32 in all, worked by hand row by row
 * there.
 */
#include "remit.h"
#include "support.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define EX "../models/tariff/examples/"
#define REGIME EX "pbr-2024-25.yaml"
#define ACTIVITY EX "activity.csv"

static remit_regime *load(void)
{
	remit_regime *r = NULL;
	remit_error err;
	int rc = remit_regime_load(REGIME, NULL, NULL, &r, &err);
	cr_assert_eq(rc, REMIT_OK, "%s:%lu:%lu: %s", err.file, err.line, err.column, err.message);
	return r;
}

static char *slurp(const char *path, size_t *len)
{
	char *s = remit_test_slurp(path);
	cr_assert_not_null(s, "cannot read %s", path);
	*len = strlen(s);
	return s;
}

/* Everything a run reports, as text, to compare runs. */
typedef struct transcript {
	char *text;
	size_t n, cap;
} transcript;

static void add(transcript *t, const char *a, const char *b, const char *c)
{
	size_t need = strlen(a) + strlen(b) + strlen(c) + 4;
	if (t->cap - t->n < need) {
		t->cap = (t->cap + need) * 2;
		t->text = realloc(t->text, t->cap);
		cr_assert_not_null(t->text);
	}
	t->n += (size_t)snprintf(t->text + t->n, t->cap - t->n, "%s|%s|%s\n", a, b, c);
}

static void on_line(void *ud, const remit_line *l)
{
	char who[600];
	snprintf(who, sizeof who, "%s %s %s>%s %s", l->activity, l->kind, l->payer, l->payee,
		 l->module);
	add(ud, "line", who, l->amount);
	add(ud, "basis", l->basis, l->components[REMIT_C_ROUNDING]);
}

static void on_unpriced(void *ud, const remit_row_note *n)
{
	add(ud, "unpriced", n->activity, n->reason);
}

static void on_reject(void *ud, const remit_row_note *n)
{
	char where[64];
	snprintf(where, sizeof where, "%lu:%lu", n->line, n->column);
	add(ud, "reject", where, n->reason);
}

static void ignore_text(void *ud, const char *text)
{
}

static remit_run_options options(transcript *t)
{
	remit_run_options o = {.on_line = on_line,
			       .on_unpriced = on_unpriced,
			       .on_reject = on_reject,
			       .ud = t};
	return o;
}

/* Totals and counts of a result, appended to the transcript. */
static void add_result(transcript *t, const remit_result *res)
{
	remit_counts c;
	char buf[256];
	remit_result_counts(res, &c);
	snprintf(buf, sizeof buf, "%llu %llu %llu %llu %llu", (unsigned long long)c.read,
		 (unsigned long long)c.priced, (unsigned long long)c.covered,
		 (unsigned long long)c.unpriced, (unsigned long long)c.rejected);
	add(t, "counts", buf, remit_result_total(res));
	for (int k = REMIT_BY_PAYEE; k <= REMIT_BY_KIND; k++)
		for (size_t i = 0; i < remit_result_size(res, k); i++) {
			const char *name, *amount;
			cr_assert_eq(remit_result_entry(res, k, i, &name, &amount), REMIT_OK);
			add(t, "by", name, amount);
		}
}

static const char *payer_total(const remit_result *res, const char *payer)
{
	for (size_t i = 0; i < remit_result_size(res, REMIT_BY_PAYER); i++) {
		const char *name, *amount;
		remit_result_entry(res, REMIT_BY_PAYER, i, &name, &amount);
		if (strcmp(name, payer) == 0)
			return amount;
	}
	return "(none)";
}

static void assert_readme_totals(const remit_result *res)
{
	remit_counts c;
	remit_result_counts(res, &c);
	cr_assert_str_eq(payer_total(res, "C01"), "56482.39");
	cr_assert_str_eq(payer_total(res, "C02"), "33401.93");
	cr_assert_str_eq(remit_result_total(res), "89884.32");
	cr_assert_eq(c.read, 13);
	cr_assert_eq(c.priced, 10);
	cr_assert_eq(c.unpriced, 2);
	cr_assert_eq(c.rejected, 1);
	cr_assert(remit_result_balanced(res));
}

/* The whole example priced from its file, as a transcript. */
static char *file_transcript(const remit_regime *r)
{
	transcript t = {0};
	remit_run_options o = options(&t);
	remit_result *res;
	remit_error err;
	cr_assert_eq(remit_price_file(r, ACTIVITY, NULL, &o, &res, &err), REMIT_OK, "%s",
		     err.message);
	assert_readme_totals(res);
	add_result(&t, res);
	remit_result_free(res);
	return t.text;
}

/* ---- versions, names -------------------------------------------------- */

Test(api, version_macros_and_functions_agree)
{
	cr_assert_str_eq(remit_version(), REMIT_VERSION_STRING);
	cr_assert_eq(remit_version_number(), REMIT_VERSION_NUMBER);
	cr_assert_eq(REMIT_VERSION_NUMBER, 200); /* 0.2.0 */
}

Test(api, status_and_component_names_come_from_their_lists)
{
	cr_assert_str_eq(remit_status_name(REMIT_EPLUGIN), "EPLUGIN");
	cr_assert_str_eq(remit_strerror(REMIT_EPLUGIN), "plugin refused");
	cr_assert_str_eq(remit_status_name(REMIT_EUSAGE), "EUSAGE");
	cr_assert_str_eq(remit_status_name(-99), "EUNKNOWN");
	cr_assert_str_eq(remit_strerror(42), "unknown status");
	cr_assert_str_eq(remit_component_name(REMIT_C_BASE), "base");
	cr_assert_str_eq(remit_component_name(REMIT_C_ROUNDING), "rounding");
	cr_assert_str_eq(remit_component_name(REMIT_C_COUNT), "unknown");
	cr_assert_str_eq(remit_component_name((remit_component)-1), "unknown");
}

/* ---- regimes: bad arguments ------------------------------------------- */

Test(api, regime_load_bad_arguments)
{
	remit_regime *r = NULL;
	remit_error err;
	cr_assert_eq(remit_regime_load(NULL, NULL, NULL, &r, &err), REMIT_EUSAGE);
	cr_assert_eq(remit_regime_load(REGIME, NULL, NULL, NULL, &err), REMIT_EUSAGE);
	cr_assert_eq(remit_regime_load_string(NULL, 0, "x", NULL, NULL, &r, &err), REMIT_EUSAGE);
	cr_assert_eq(remit_regime_load_string("remit: 1", 8, "x", NULL, NULL, NULL, &err),
		     REMIT_EUSAGE);
	cr_assert_eq(remit_regime_check_fields(NULL, NULL, NULL, NULL, &err), REMIT_EUSAGE);
	remit_regime_free(NULL); /* ignored */

	cr_assert_eq(remit_regime_load("no-such-regime.yaml", NULL, NULL, &r, &err), REMIT_ERULES);
	cr_assert_null(r);
	cr_assert_str_eq(err.file, "no-such-regime.yaml");
	cr_assert_str_eq(err.message, "cannot read: No such file or directory");
}

Test(api, regime_from_a_bad_yaml_string)
{
	remit_regime *r = (remit_regime *)&r;
	remit_error err;
	cr_assert_eq(remit_regime_load_string("remit: [1", 9, "bad.yaml", NULL, NULL, &r, &err),
		     REMIT_ERULES);
	cr_assert_null(r);
	cr_assert_eq(err.status, REMIT_ERULES);
	cr_assert_str_eq(err.file, "bad.yaml");
	cr_assert_eq(err.line, 2);
	cr_assert_eq(err.column, 1);
	cr_assert_str_eq(err.message, "YAML syntax error: did not find expected ',' or ']' while "
				      "parsing a flow sequence");
	cr_assert_eq(remit_regime_load_string("", 0, NULL, NULL, NULL, &r, &err), REMIT_ERULES);
	cr_assert_str_eq(err.file, "<string>");
	cr_assert_str_eq(err.message,
			 "empty file: expected a regime (remit: 1, regime: ..., modules: [...])");
}

/* ---- pricing files: bad arguments ------------------------------------- */

Test(api, price_file_bad_arguments)
{
	remit_regime *r = load();
	remit_result *res = NULL;
	remit_error err;
	cr_assert_eq(remit_price_file(NULL, ACTIVITY, NULL, NULL, &res, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "a regime and an activity file are required");
	cr_assert_eq(remit_price_file(r, NULL, NULL, NULL, &res, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "a regime and an activity file are required");
	cr_assert_eq(remit_price_file(r, ACTIVITY, NULL, NULL, NULL, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "a regime and activity are required");
	cr_assert_eq(remit_price_file(r, "no-such.csv", NULL, NULL, &res, &err), REMIT_EDATA);
	cr_assert_str_eq(err.file, "no-such.csv");
	cr_assert_str_eq(err.message, "cannot open: No such file or directory");
	cr_assert_eq(remit_price_file(NULL, NULL, NULL, NULL, NULL, NULL), REMIT_EUSAGE);
	remit_result_free(NULL); /* ignored */
	remit_regime_free(r);
}

Test(api, explain_file_bad_arguments)
{
	remit_regime *r = load();
	remit_error err;
	cr_assert_eq(remit_explain(r, ACTIVITY, NULL, NULL, ignore_text, NULL, &err),
		     REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "an activity id and an output are required");
	cr_assert_eq(remit_explain(r, ACTIVITY, NULL, "T1", NULL, NULL, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "an activity id and an output are required");
	cr_assert_eq(remit_explain(NULL, ACTIVITY, NULL, "T1", NULL, NULL, NULL), REMIT_EUSAGE);
	remit_regime_free(r);
}

Test(api, result_entry_out_of_range)
{
	remit_regime *r = load();
	remit_result *res;
	const char *name = "untouched", *amount = "untouched";
	cr_assert_eq(remit_price_file(r, ACTIVITY, NULL, NULL, &res, NULL), REMIT_OK);
	size_t n = remit_result_size(res, REMIT_BY_PAYEE);
	cr_assert_eq(n, 5);
	cr_assert_eq(remit_result_entry(res, REMIT_BY_PAYEE, n, &name, &amount), REMIT_EUSAGE);
	cr_assert_eq(remit_result_entry(res, (remit_total_kind)99, 0, &name, &amount),
		     REMIT_EUSAGE);
	cr_assert_str_eq(name, "untouched");
	cr_assert_eq(remit_result_size(res, (remit_total_kind)99), 0);
	cr_assert_eq(remit_result_lines(res), 10);
	remit_result_free(res);
	remit_regime_free(r);
}

/* ---- pricing memory: bad arguments ------------------------------------ */

Test(api, price_buffers_bad_arguments)
{
	remit_regime *r = load();
	remit_result *res = (remit_result *)&res;
	remit_error err;
	const char csv[] = "id\n";
	cr_assert_eq(remit_price_buffers(NULL, csv, 3, NULL, 0, NULL, &res, &err), REMIT_EUSAGE);
	cr_assert_null(res);
	cr_assert_str_eq(err.message, "remit_price_buffers: the regime is NULL");
	cr_assert_eq(remit_price_buffers(r, NULL, 0, NULL, 0, NULL, &res, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_price_buffers: the activity is NULL");
	cr_assert_eq(remit_price_buffers(r, csv, 3, NULL, 0, NULL, NULL, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_price_buffers: out is NULL");
	cr_assert_eq(remit_price_buffers(r, csv, 3, NULL, 5, NULL, &res, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message,
			 "remit_price_buffers: population is NULL but population_len is 5");
	cr_assert_eq(remit_price_buffers(NULL, NULL, 0, NULL, 0, NULL, NULL, NULL), REMIT_EUSAGE);

	/* structural problems of the data are EDATA, naming the buffer */
	cr_assert_eq(remit_price_buffers(r, "", 0, NULL, 0, NULL, &res, &err), REMIT_EDATA);
	cr_assert_null(res);
	cr_assert_str_eq(err.file, "<activity>");
	cr_assert_str_eq(err.message, "empty file: expected a header row");
	cr_assert_eq(remit_price_buffers(r, "id,patient\nA,B\n", 15, NULL, 0, NULL, &res, &err),
		     REMIT_EDATA);
	cr_assert_str_eq(err.file, "<activity>");
	cr_assert_eq(err.line, 1);
	cr_assert_str_eq(err.message, "missing required column 'provider'");
	remit_regime_free(r);
}

Test(api, explain_buffers_bad_arguments)
{
	remit_regime *r = load();
	remit_error err;
	const char csv[] = "id\n";
	remit_text_fn fn = ignore_text;
	cr_assert_eq(remit_explain_buffers(NULL, csv, 3, NULL, 0, "T1", fn, NULL, &err),
		     REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_explain_buffers: the regime is NULL");
	cr_assert_eq(remit_explain_buffers(r, NULL, 0, NULL, 0, "T1", fn, NULL, &err),
		     REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_explain_buffers: the activity is NULL");
	cr_assert_eq(remit_explain_buffers(r, csv, 3, NULL, 0, NULL, fn, NULL, &err),
		     REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_explain_buffers: activity_id is NULL");
	cr_assert_eq(remit_explain_buffers(r, csv, 3, NULL, 0, "T1", NULL, NULL, &err),
		     REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_explain_buffers: out is NULL");
	cr_assert_eq(remit_explain_buffers(r, csv, 3, NULL, 9, "T1", fn, NULL, &err),
		     REMIT_EUSAGE);
	cr_assert_str_eq(err.message,
			 "remit_explain_buffers: population is NULL but population_len is 9");
	remit_regime_free(r);
}

/* ---- pricing memory = pricing files ----------------------------------- */

Test(api, buffers_price_exactly_as_the_file)
{
	remit_regime *r = load();
	char *expect = file_transcript(r);
	size_t len;
	char *csv = slurp(ACTIVITY, &len);
	transcript t = {0};
	remit_run_options o = options(&t);
	remit_result *res;
	remit_error err;
	int rc = remit_price_buffers(r, csv, len, NULL, 0, &o, &res, &err);
	cr_assert_eq(rc, REMIT_OK, "%s", err.message);
	assert_readme_totals(res);
	add_result(&t, res);
	/* rejects name the buffer rather than the file; nothing else differs */
	cr_assert_str_eq(t.text, expect);
	remit_result_free(res);
	free(t.text);
	free(csv);
	free(expect);
	remit_regime_free(r);
}

Test(api, gzip_buffers_price_as_the_file)
{
	remit_regime *r = load();
	size_t len;
	char *csv = slurp(ACTIVITY, &len);
	unsigned char gz[8192];
	z_stream z = {0};
	cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)csv;
	z.avail_in = (uInt)len;
	z.next_out = gz;
	z.avail_out = sizeof gz;
	cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t gzlen = sizeof gz - z.avail_out;
	deflateEnd(&z);
	cr_assert_eq(gz[0], 0x1f);
	remit_result *res;
	cr_assert_eq(remit_price_buffers(r, (const char *)gz, gzlen, NULL, 0, NULL, &res, NULL),
		     REMIT_OK);
	assert_readme_totals(res);
	remit_result_free(res);
	free(csv);
	remit_regime_free(r);
}

static void collect_text(void *ud, const char *text)
{
	add(ud, text, "", "");
}

Test(api, explain_buffers_narrates_t4)
{
	remit_regime *r = load();
	size_t len;
	char *csv = slurp(ACTIVITY, &len);
	transcript t = {0};
	remit_error err;
	cr_assert_eq(remit_explain_buffers(r, csv, len, NULL, 0, "T4", collect_text, &t, &err),
		     REMIT_OK, "%s", err.message);
	/* README: ((16447 + 3 × 250) × 1.25 + 1335) × 1.19117 */
	cr_assert_not_null(strstr(t.text, "  market forces: 22831.25 × 1.19117 = 27195.9000625|"),
			   "%s", t.text);
	cr_assert_not_null(strstr(t.text, "  exact 27195.9000625 → 27195.90 (scale 2, half-up)|"));
	cr_assert_not_null(strstr(t.text, "line: activity C01 pays RJZ 27195.90"));
	cr_assert_eq(remit_explain_buffers(r, csv, len, NULL, 0, "ZZ", collect_text, &t, &err),
		     REMIT_ENOTFOUND);
	cr_assert_str_eq(err.file, "<activity>");
	cr_assert_str_eq(err.message, "no valid row has id 'ZZ'");
	free(t.text);
	free(csv);
	remit_regime_free(r);
}

/* ---- the run handle --------------------------------------------------- */

/* Split a line of the example (no quoted fields) at commas. */
static size_t split(char *line, const char **fields, size_t max)
{
	size_t n = 0;
	for (char *p = line; n < max;) {
		fields[n++] = p;
		char *comma = strchr(p, ',');
		if (!comma)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	return n;
}

Test(api, run_fed_row_by_row_prices_as_the_file)
{
	remit_regime *r = load();
	char *expect = file_transcript(r);
	size_t len;
	char *csv = slurp(ACTIVITY, &len);
	transcript t = {0};
	remit_run_options o = options(&t);
	remit_run *run;
	remit_error err;
	cr_assert_eq(remit_run_new(r, &o, &run, &err), REMIT_OK);
	memset(&o, 0, sizeof o); /* the run keeps its own copy */
	for (char *line = strtok(csv, "\n"); line; line = strtok(NULL, "\n")) {
		const char *fields[32];
		size_t n = split(line, fields, 32);
		cr_assert_eq(remit_run_activity_row(run, fields, n, &err), REMIT_OK);
	}
	remit_result *res;
	cr_assert_eq(remit_run_finish(run, &res, &err), REMIT_OK, "%s", err.message);
	assert_readme_totals(res);
	add_result(&t, res);
	cr_assert_str_eq(t.text, expect);
	remit_result_free(res);
	free(t.text);

	/* explain still works after finish, rows no longer accepted */
	t = (transcript){0};
	cr_assert_eq(remit_run_explain(run, "T1", collect_text, &t, &err), REMIT_OK);
	cr_assert_not_null(strstr(t.text, "line: activity C01 pays RJZ 8637.17"), "%s", t.text);
	const char *one[] = {"T9"};
	cr_assert_eq(remit_run_activity_row(run, one, 1, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message,
			 "remit_run_activity_row: the run is finished: it takes no more rows");
	cr_assert_eq(remit_run_activity_csv(run, "x", 1, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message,
			 "remit_run_activity_csv: the run is finished: it takes no more rows");
	cr_assert_eq(remit_run_finish(run, &res, &err), REMIT_EUSAGE);
	cr_assert_null(res);
	cr_assert_str_eq(err.message, "remit_run_finish: the run is already finished");
	remit_run_free(run);
	free(t.text);
	free(csv);
	free(expect);
	remit_regime_free(r);
}

Test(api, run_fed_in_small_chunks_prices_as_the_file)
{
	remit_regime *r = load();
	char *expect = file_transcript(r);
	size_t len;
	char *csv = slurp(ACTIVITY, &len);
	transcript t = {0};
	remit_run_options o = options(&t);
	remit_run *run;
	cr_assert_eq(remit_run_new(r, &o, &run, NULL), REMIT_OK);
	for (size_t i = 0; i < len; i += 7) /* chunks split records anywhere */
		cr_assert_eq(remit_run_activity_csv(run, csv + i, len - i < 7 ? len - i : 7, NULL),
			     REMIT_OK);
	cr_assert_eq(remit_run_activity_csv(run, NULL, 0, NULL), REMIT_OK);
	remit_result *res;
	cr_assert_eq(remit_run_finish(run, &res, NULL), REMIT_OK);
	add_result(&t, res);
	cr_assert_str_eq(t.text, expect);
	remit_result_free(res);
	remit_run_free(run);
	free(t.text);
	free(csv);
	free(expect);
	remit_regime_free(r);
}

static void first_line_activity(void *ud, const remit_line *l)
{
	snprintf(ud, 64, "%s %s", l->activity, l->amount);
}

Test(api, run_rows_are_quoted_as_rfc_4180_needs)
{
	remit_regime *r = load();
	char got[64] = "";
	remit_run_options o = {.on_line = first_line_activity, .ud = got};
	remit_run *run;
	remit_result *res;
	const char *header[] = {"id", "patient", "provider", "commissioner", "pod", "code",
				"start", "end", "los", "age", "flags"};
	/* T1's row under an id with a comma, quotes and a line end; NULL is an
	 * empty field */
	const char *row[] = {"Q,1 \"x\"\ny", "P001", "RJZ", "C01", "EL", "HN12F", "2024-05-01",
			     "2024-05-03", "2", "67", NULL};
	cr_assert_eq(remit_run_new(r, &o, &run, NULL), REMIT_OK);
	cr_assert_eq(remit_run_activity_csv(run, "id,patient,provider", 19, NULL), REMIT_OK);
	remit_run_free(run); /* a run dropped unfinished frees its rows */
	cr_assert_eq(remit_run_new(r, &o, &run, NULL), REMIT_OK);
	cr_assert_eq(remit_run_activity_row(run, header, 11, NULL), REMIT_OK);
	cr_assert_eq(remit_run_activity_row(run, row, 11, NULL), REMIT_OK);
	cr_assert_eq(remit_run_finish(run, &res, NULL), REMIT_OK);
	cr_assert_str_eq(got, "Q,1 \"x\"\ny 8637.17"); /* README T1: 7251 × 1.19117 */
	remit_result_free(res);
	remit_run_free(run);
	remit_regime_free(r);
}

Test(api, run_bad_arguments)
{
	remit_regime *r = load();
	remit_run *run = (remit_run *)&run;
	remit_result *res = (remit_result *)&res;
	remit_error err;
	const char *f[] = {"id"};
	cr_assert_eq(remit_run_new(NULL, NULL, &run, &err), REMIT_EUSAGE);
	cr_assert_null(run);
	cr_assert_str_eq(err.message, "remit_run_new: the regime is NULL");
	cr_assert_eq(remit_run_new(r, NULL, NULL, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_run_new: out is NULL");
	cr_assert_eq(remit_run_activity_csv(NULL, "x", 1, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_run_activity_csv: the run is NULL");
	cr_assert_eq(remit_run_population_csv(NULL, "x", 1, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_run_population_csv: the run is NULL");
	cr_assert_eq(remit_run_activity_row(NULL, f, 1, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_run_activity_row: the run is NULL");
	cr_assert_eq(remit_run_population_row(NULL, f, 1, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_run_population_row: the run is NULL");
	cr_assert_eq(remit_run_finish(NULL, &res, &err), REMIT_EUSAGE);
	cr_assert_null(res);
	cr_assert_str_eq(err.message, "remit_run_finish: the run is NULL");
	cr_assert_eq(remit_run_explain(NULL, "T1", collect_text, NULL, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_run_explain: the run is NULL");
	remit_run_free(NULL); /* ignored */

	cr_assert_eq(remit_run_new(r, NULL, &run, NULL), REMIT_OK);
	cr_assert_eq(remit_run_activity_csv(run, NULL, 3, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_run_activity_csv: csv is NULL");
	cr_assert_eq(remit_run_population_csv(run, NULL, 3, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_run_population_csv: csv is NULL");
	cr_assert_eq(remit_run_activity_row(run, NULL, 1, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_run_activity_row: no fields");
	cr_assert_eq(remit_run_population_row(run, f, 0, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_run_population_row: no fields");
	cr_assert_eq(remit_run_explain(run, NULL, collect_text, NULL, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_run_explain: activity_id is NULL");
	cr_assert_eq(remit_run_explain(run, "T1", NULL, NULL, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_run_explain: out is NULL");
	cr_assert_eq(remit_run_finish(run, NULL, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_run_finish: out is NULL");
	/* nothing fed: the activity is an empty file */
	cr_assert_eq(remit_run_finish(run, &res, &err), REMIT_EDATA);
	cr_assert_str_eq(err.file, "<activity>");
	cr_assert_str_eq(err.message, "empty file: expected a header row");
	remit_run_free(run);
	remit_regime_free(r);
}

/* ---- one regime, four threads ----------------------------------------- */

typedef struct job {
	const remit_regime *r;
	const char *csv;
	size_t len;
	char *text; /* the transcript of the last round */
	int rc;
} job;

static void *price_rounds(void *arg)
{
	job *j = arg;
	for (int round = 0; round < 25; round++) {
		transcript t = {0};
		remit_run_options o = options(&t);
		remit_result *res = NULL;
		remit_error err;
		j->rc = round % 2 ? remit_price_buffers(j->r, j->csv, j->len, NULL, 0, &o, &res, &err)
				  : remit_price_file(j->r, ACTIVITY, NULL, &o, &res, &err);
		if (j->rc != REMIT_OK) {
			free(t.text);
			return NULL;
		}
		add_result(&t, res);
		remit_result_free(res);
		free(j->text);
		j->text = t.text;
	}
	return NULL;
}

Test(api, one_regime_priced_from_four_threads_gives_identical_results)
{
	remit_regime *r = load();
	char *expect = file_transcript(r);
	size_t len;
	char *csv = slurp(ACTIVITY, &len);
	pthread_t th[4];
	job jobs[4];
	for (int i = 0; i < 4; i++) {
		jobs[i] = (job){r, csv, len, NULL, -100};
		cr_assert_eq(pthread_create(&th[i], NULL, price_rounds, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(jobs[i].rc, REMIT_OK, "thread %d: %d", i, jobs[i].rc);
		cr_assert_str_eq(jobs[i].text, expect, "thread %d differs", i);
		free(jobs[i].text);
	}
	free(csv);
	free(expect);
	remit_regime_free(r);
}

/* Loading regimes on several threads at once (module names are built
 * once, under a lock, for the messages). */
static void *load_bad(void *arg)
{
	static const char yaml[] = "remit: 1\nregime: x\nmodules:\n  - {module: nope, name: a}\n";
	remit_error *err = arg;
	remit_regime *r;
	for (int i = 0; i < 20; i++)
		if (remit_regime_load_string(yaml, sizeof yaml - 1, "t.yaml", NULL, NULL, &r, err) !=
		    REMIT_ERULES)
			break;
	return NULL;
}

Test(api, regimes_load_on_several_threads)
{
	pthread_t th[4];
	remit_error err[4];
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, load_bad, &err[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		cr_assert_str_eq(err[i].message,
				 "modules[0].module: unknown module \"nope\"; expected one of: "
				 "tariff, bundle, year_of_care, capitation, block");
		cr_assert_eq(err[i].line, 4);
	}
}
