/*
 * test_activity.c — header mapping, typing and validation of activity and
 * population rows (DATA.md), duplicate ids and second passes.
 *
 * Most rows share one prefix of the required activity columns whose byte
 * columns are easy to count by hand:
 *
 *   r1,p1,PRV,COM,EL,HRG,2024-04-01,...
 *   1  4  7   11  15 18  22         33
 */
#include "activity.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define HDR "id,patient,provider,commissioner,pod,code,start"
#define ROW(id) id ",p1,PRV,COM,EL,HRG,2024-04-01" /* id: 2 bytes */
#define PFX ROW("r1")
#define D_2024_04_01 19814 /* days from 1970-01-01: 54 years, 13 leap days, +91 */

#define FIX "fixtures/csv/"

static remit__numpool *pool;

static void setup(void)
{
	pool = remit__numpool_new();
}

static void teardown(void)
{
	remit__numpool_free(pool);
}

TestSuite(activity, .init = setup, .fini = teardown);
TestSuite(population, .init = setup, .fini = teardown);

static remit__reader *open_s(const char *text, const remit__schema *s)
{
	remit__reader *r = NULL;
	remit_error err = {0};
	int rc = remit__reader_open_mem(text, strlen(text), "a.csv", s, &r, &err);
	cr_assert_eq(rc, 0, "open: %s (%lu:%lu)", err.message, err.line, err.column);
	return r;
}

static remit__reader *open_a(const char *text)
{
	return open_s(text, &remit__activity_schema);
}

/* Activity text as a gzip stream (*gz, for the caller to free after the
 * reader): read as a stream that cannot be read again, so it is copied
 * (csv.h, "a copy of a stream"). */
static remit__reader *open_gz(const char *text, unsigned char **gz)
{
	size_t len;
	remit__reader *r = NULL;
	remit_error err = {0};
	*gz = remit_test_gzip(text, strlen(text), &len);
	int rc = remit__reader_open_mem((const char *)*gz, len, "a.csv.gz", &remit__activity_schema,
					&r, &err);
	cr_assert_eq(rc, 0, "open: %s (%lu:%lu)", err.message, err.line, err.column);
	return r;
}

/* How a test's activity text is read: from memory as it is, as a gzip
 * stream, or through a pipe (whose size is not known). */
enum how { AS_TEXT, AS_GZIP, AS_PIPE };

struct opened {
	unsigned char *gz;
	pid_t writer; /* of the pipe */
};

static remit__reader *open_pipe(const char *text, struct opened *o)
{
	int fds[2];
	char path[64];
	cr_assert_eq(pipe(fds), 0);
	o->writer = fork();
	cr_assert_geq(o->writer, 0);
	if (o->writer == 0) {
		close(fds[0]);
		size_t n = strlen(text);
		for (ssize_t w; n > 0 && (w = write(fds[1], text, n)) > 0; text += w, n -= (size_t)w)
			;
		_exit(0);
	}
	close(fds[1]);
	snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
	remit__reader *r = NULL;
	remit_error err = {0};
	int rc = remit__reader_open(path, &remit__activity_schema, &r, &err);
	close(fds[0]); /* the reader has its own */
	cr_assert_eq(rc, 0, "open: %s (%lu:%lu)", err.message, err.line, err.column);
	return r;
}

static remit__reader *open_as(const char *text, enum how how, struct opened *o)
{
	*o = (struct opened){NULL, 0};
	return how == AS_GZIP ? open_gz(text, &o->gz) : how == AS_PIPE ? open_pipe(text, o)
									: open_a(text);
}

/* After the reader is closed. */
static void done_with(struct opened *o)
{
	free(o->gz);
	if (o->writer > 0)
		waitpid(o->writer, NULL, 0);
}

static void open_fails(const char *text, const remit__schema *s, const char *msg,
		       unsigned long line, unsigned long col)
{
	remit__reader *r = (remit__reader *)1;
	remit_error err = {0};
	int rc = remit__reader_open_mem(text, strlen(text), "h.csv", s, &r, &err);
	cr_assert_eq(rc, REMIT_EDATA, "open of \"%s\" should fail", text);
	cr_assert_null(r);
	cr_assert_eq(err.status, REMIT_EDATA);
	cr_assert_str_eq(err.file, "h.csv");
	cr_assert_str_eq(err.message, msg);
	cr_assert_eq(err.line, line, "line %lu, expected %lu", err.line, line);
	cr_assert_eq(err.column, col, "column %lu, expected %lu", err.column, col);
}

static void row_ok(remit__reader *r, remit__row *row)
{
	remit__reject rej = {0};
	remit_error err = {0};
	int rc = remit__reader_next(r, pool, row, &rej, &err);
	cr_assert_eq(rc, REMIT__READ_ROW, "expected a row, got %d: %s (%llu:%u) %s", rc,
		     rc == REMIT__READ_REJECT ? rej.reason : "", (unsigned long long)rej.line,
		     rej.column, err.message);
}

static void rejected(remit__reader *r, uint64_t line, uint32_t col, const char *reason)
{
	remit__row row;
	remit__reject rej = {0};
	remit_error err = {0};
	int rc = remit__reader_next(r, pool, &row, &rej, &err);
	cr_assert_eq(rc, REMIT__READ_REJECT, "expected a reject \"%s\", got %d (%s)", reason, rc,
		     err.message);
	cr_assert_str_eq(rej.reason, reason);
	cr_assert_str_eq(rej.file, remit__reader_name(r));
	cr_assert_eq(rej.line, line, "line %llu, expected %llu", (unsigned long long)rej.line,
		     (unsigned long long)line);
	cr_assert_eq(rej.column, col, "column %u, expected %u (%s)", rej.column, col, reason);
}

static void at_eof(remit__reader *r)
{
	remit__row row;
	remit__reject rej;
	remit_error err = {0};
	cr_assert_eq(remit__reader_next(r, pool, &row, &rej, &err), REMIT__READ_EOF);
}

static void str_is(remit__str s, const char *want)
{
	cr_assert(s.n == strlen(want) && memcmp(s.p, want, s.n) == 0, "\"%.*s\", expected \"%s\"",
		  (int)s.n, s.p, want);
}

static void num_is(remit__num v, int64_t coef, int32_t exp)
{
	remit__num want = {coef, exp, NULL};
	cr_assert_eq(remit__num_cmp(v, want), 0, "number differs from %lld e-%d", (long long)coef,
		     exp);
}

/* One extra column after the prefix: the cell `val` of column `col` must be
 * rejected at line 2, column 33 with `reason`. */
static void one_bad(const char *col, const char *val, const char *reason)
{
	char text[1024];
	snprintf(text, sizeof(text), HDR ",%s\n" PFX ",%s\n", col, val);
	remit__reader *r = open_a(text);
	rejected(r, 2, 33, reason);
	at_eof(r);
	remit__reader_close(r);
}

/* ...and `val` must be accepted; its value (without the text) is returned. */
static remit__val one_good(const char *col, const char *val)
{
	static char text[1024];
	remit__row row;
	snprintf(text, sizeof(text), HDR ",%s\n" PFX ",%s\n", col, val);
	remit__reader *r = open_a(text);
	row_ok(r, &row);
	int f = remit__schema_find(&remit__activity_schema, col, strlen(col));
	cr_assert_geq(f, 0);
	remit__val v = row.f[f];
	remit__reader_close(r); /* v.s is not used after this */
	v.s.p = NULL;
	return v;
}

/* ---- header ----------------------------------------------------------- */

Test(activity, header_errors)
{
	const remit__schema *a = &remit__activity_schema;

	open_fails("", a, "empty file: expected a header row", 1, 0);
	open_fails("\n\r\n", a, "empty file: expected a header row", 1, 0);
	open_fails("id,patient,provider,commissioner,pod,code\nx,y\n", a,
		   "missing required column 'start'", 1, 0);
	open_fails("ID,patient,provider,commissioner,pod,code,start\n", a,
		   "missing required column 'id'", 1, 0);
	open_fails("id,patient,pod,provider,commissioner,pod,code,start\n", a,
		   "duplicate column 'pod'", 1, 38);
	open_fails("id,x,patient,x,provider\n", a, "duplicate column 'x'", 1, 14);
	open_fails("id,,patient,provider,commissioner,pod,code,start\n", a, "empty column name",
		   1, 4);
	open_fails(HDR ",\n", a, "empty column name", 1, 49);
	open_fails("id,\"pat,x\n", a, "header: unterminated quoted field", 1, 4);
	open_fails("id,pa\"t\n", a, "header: quote inside an unquoted field", 1, 6);
}

Test(activity, missing_file)
{
	remit__reader *r = (remit__reader *)1;
	remit_error err = {0};

	cr_assert_eq(remit__reader_open(FIX "nope.csv", &remit__activity_schema, &r, &err),
		     REMIT_EDATA);
	cr_assert_null(r);
	cr_assert_str_eq(err.file, FIX "nope.csv");
	cr_assert_str_eq(err.message, "cannot open: No such file or directory");
}

Test(activity, header_in_any_order_with_attributes)
{
	remit__reader *r = open_a("ward,start,code,pod,commissioner,provider,patient,id,note\n"
				  "W1,2024-04-01,HRG,EL,COM,PRV,p1,r1,\"a, b\"\n"
				  "W2,2024-04-02,HRG2,NE,COM2,PRV2,p2,r2,plain\n");
	uint32_t n;
	const remit__str *names = remit__reader_attr_names(r, &n);
	remit__row row;

	cr_assert_eq(n, 2);
	str_is(names[0], "ward");
	str_is(names[1], "note");
	cr_assert_str_eq(remit__reader_name(r), "a.csv");
	row_ok(r, &row);
	cr_assert_eq(row.nattrs, 2);
	str_is(row.attrs[0], "W1");
	str_is(row.attrs[1], "a, b");
	str_is(row.f[REMIT__A_ID].s, "r1");
	str_is(row.f[REMIT__A_PATIENT].s, "p1");
	str_is(row.f[REMIT__A_PROVIDER].s, "PRV");
	str_is(row.f[REMIT__A_COMMISSIONER].s, "COM");
	str_is(row.f[REMIT__A_POD].s, "EL");
	str_is(row.f[REMIT__A_CODE].s, "HRG");
	cr_assert_eq(row.f[REMIT__A_START].i, D_2024_04_01);
	cr_assert_eq(row.line, 2);
	cr_assert_eq(row.ordinal, 0);
	row_ok(r, &row); /* a plain row: the fast scan puts each field in its place */
	cr_assert_eq(row.nattrs, 2);
	str_is(row.attrs[0], "W2");
	str_is(row.attrs[1], "plain");
	str_is(row.f[REMIT__A_ID].s, "r2");
	str_is(row.f[REMIT__A_PATIENT].s, "p2");
	str_is(row.f[REMIT__A_PROVIDER].s, "PRV2");
	str_is(row.f[REMIT__A_COMMISSIONER].s, "COM2");
	str_is(row.f[REMIT__A_POD].s, "NE");
	str_is(row.f[REMIT__A_CODE].s, "HRG2");
	cr_assert_eq(row.f[REMIT__A_START].i, D_2024_04_01 + 1);
	cr_assert_eq(row.line, 3);
	at_eof(r);
	remit__reader_close(r);
}

/* ---- defaults and derived values ---------------------------------------- */

Test(activity, defaults_when_columns_are_absent)
{
	remit__reader *r = open_a(HDR "\n" PFX "\n");
	remit__row row;

	row_ok(r, &row);
	cr_assert_eq(row.nattrs, 0);
	cr_assert(row.f[REMIT__A_END].present);
	cr_assert_eq(row.f[REMIT__A_END].i, D_2024_04_01);
	cr_assert_eq(row.f[REMIT__A_END].s.n, 0);
	cr_assert(row.f[REMIT__A_LOS].present);
	cr_assert_eq(row.f[REMIT__A_LOS].i, 0);
	cr_assert(row.f[REMIT__A_QUANTITY].present);
	num_is(row.f[REMIT__A_QUANTITY].d, 1, 0);
	cr_assert_not(row.f[REMIT__A_AGE].present);
	cr_assert_not(row.f[REMIT__A_SEX].present);
	cr_assert_not(row.f[REMIT__A_COST].present);
	cr_assert_not(row.f[REMIT__A_DIAGNOSES].present);
	cr_assert_eq(row.f[REMIT__A_DIAGNOSES].s.n, 0);
	at_eof(r);
	remit__reader_close(r);
}

Test(activity, all_columns_typed)
{
	remit__reader *r = open_a(HDR ",end,los,age,sex,diagnoses,procedures,flags,cost,quantity\n"
				  ROW("r1") ",2024-04-04,3,67,F,E11.9|I10,W371,BPT_HIP,-12.50,2.5\n"
				  ROW("r2") ",,,0,U,,,,0,1\n");
	remit__row row;

	row_ok(r, &row);
	cr_assert_eq(row.f[REMIT__A_END].i, D_2024_04_01 + 3);
	str_is(row.f[REMIT__A_END].s, "2024-04-04");
	cr_assert_eq(row.f[REMIT__A_LOS].i, 3);
	cr_assert_eq(row.f[REMIT__A_AGE].i, 67);
	str_is(row.f[REMIT__A_SEX].s, "F");
	str_is(row.f[REMIT__A_DIAGNOSES].s, "E11.9|I10");
	cr_assert(row.f[REMIT__A_DIAGNOSES].present);
	str_is(row.f[REMIT__A_PROCEDURES].s, "W371");
	str_is(row.f[REMIT__A_FLAGS].s, "BPT_HIP");
	num_is(row.f[REMIT__A_COST].d, -1250, 2);
	cr_assert(row.f[REMIT__A_COST].present);
	num_is(row.f[REMIT__A_QUANTITY].d, 25, 1);
	str_is(row.f[REMIT__A_QUANTITY].s, "2.5");

	row_ok(r, &row);
	cr_assert_eq(row.line, 3);
	cr_assert_eq(row.ordinal, 1);
	cr_assert_eq(row.f[REMIT__A_END].i, D_2024_04_01);
	cr_assert_eq(row.f[REMIT__A_LOS].i, 0);
	cr_assert(row.f[REMIT__A_AGE].present);
	cr_assert_eq(row.f[REMIT__A_AGE].i, 0);
	cr_assert(row.f[REMIT__A_COST].present);
	num_is(row.f[REMIT__A_COST].d, 0, 0);
	num_is(row.f[REMIT__A_QUANTITY].d, 1, 0);
	cr_assert_not(row.f[REMIT__A_FLAGS].present);
	at_eof(r);
	remit__reader_close(r);
}

Test(activity, los_derived_and_checked)
{
	remit__reader *r = open_a(HDR ",end,los\n"
				  ROW("r1") ",2024-04-04,\n"
				  ROW("r2") ",2024-04-04,5\n"
				  ROW("r3") ",,0\n"
				  ROW("r4") ",,1\n"
				  ROW("r5") ",2024-03-31,\n"
				  ROW("r6") ",2025-04-01,365\n");
	remit__row row;

	row_ok(r, &row);
	cr_assert(row.f[REMIT__A_LOS].present);
	cr_assert_eq(row.f[REMIT__A_LOS].i, 3);
	cr_assert_eq(row.f[REMIT__A_LOS].s.n, 0);
	/* PFX,2024-04-04,5: los at 33 + 11 */
	rejected(r, 3, 44, "los: 5 disagrees with end − start = 3");
	row_ok(r, &row);
	cr_assert_eq(row.f[REMIT__A_LOS].i, 0);
	rejected(r, 5, 34, "los: 1 disagrees with end − start = 0");
	rejected(r, 6, 33, "end: before start");
	row_ok(r, &row);
	cr_assert_eq(row.f[REMIT__A_LOS].i, 365);
	at_eof(r);
	remit__reader_close(r);
}

/* ---- each rule: exact reason, line and column --------------------------- */

Test(activity, required_fields)
{
	remit__reader *r = open_a(HDR "\n"
				  ",p1,PRV,COM,EL,HRG,2024-04-01\n"
				  "r2,,PRV,COM,EL,HRG,2024-04-01\n"
				  "r3,p1,,COM,EL,HRG,2024-04-01\n"
				  "r4,p1,PRV,,EL,HRG,2024-04-01\n"
				  "r5,p1,PRV,COM,,HRG,2024-04-01\n"
				  "r6,p1,PRV,COM,EL,,2024-04-01\n"
				  "r7,p1,PRV,COM,EL,HRG,\n"
				  "r8,p1,PRV,COM,EL,HRG,\"\"\n");

	rejected(r, 2, 1, "id: required");
	rejected(r, 3, 4, "patient: required");
	rejected(r, 4, 7, "provider: required");
	rejected(r, 5, 11, "commissioner: required");
	rejected(r, 6, 15, "pod: required");
	rejected(r, 7, 18, "code: required");
	rejected(r, 8, 22, "start: required");
	rejected(r, 9, 22, "start: required");
	at_eof(r);
	remit__reader_close(r);
}

Test(activity, dates)
{
	remit__reader *r = open_a(HDR ",end\n"
				  "r1,p1,PRV,COM,EL,HRG,2024-02-30,\n"
				  "r2,p1,PRV,COM,EL,HRG,2024-4-01,\n"
				  "r3,p1,PRV,COM,EL,HRG,2023-02-29,\n"
				  "r4,p1,PRV,COM,EL,HRG,2024-02-29,2024-02-29\n"
				  "r5,p1,PRV,COM,EL,HRG,2024-04-01,01/04/2024\n");

	rejected(r, 2, 22, "start: expected a date YYYY-MM-DD, got \"2024-02-30\"");
	rejected(r, 3, 22, "start: expected a date YYYY-MM-DD, got \"2024-4-01\"");
	rejected(r, 4, 22, "start: expected a date YYYY-MM-DD, got \"2023-02-29\"");
	remit__row row;
	row_ok(r, &row);
	cr_assert_eq(row.f[REMIT__A_START].i, D_2024_04_01 - 32);
	rejected(r, 6, 33, "end: expected a date YYYY-MM-DD, got \"01/04/2024\"");
	at_eof(r);
	remit__reader_close(r);
}

/* Dates come through a memo of recent months: every day number (valid or
 * not, digits or not) of months already met, and of leap and common
 * Februaries, must read as remit__date_parse reads it alone, and the
 * values must be the calendar's (day 1 of a month + the day − 1). */
Test(activity, dates_of_months_met_before)
{
	static const char *years[] = {"1900", "2000", "2023", "2024"};
	static const char *days[] = {"00", "01", "09", "10", "15", "28", "29",
				     "30", "31", "32", "1x", "x1", "3:", "/1"};
	enum { N = 2 * 4 * 12 * 14 };
	char(*dates)[11] = malloc(N * sizeof *dates);
	char *text = malloc((size_t)N * 40 + 64);
	size_t n = (size_t)sprintf(text, HDR "\n");
	int k = 0;
	for (int pass = 0; pass < 2; pass++)
		for (int y = 0; y < 4; y++)
			for (int m = 1; m <= 12; m++)
				for (int d = 0; d < 14; d++, k++) {
					snprintf(dates[k], sizeof dates[k], "%s-%02d-%s", years[y], m,
						 days[d]);
					n += (size_t)sprintf(text + n, "r%d,p1,PRV,COM,EL,HRG,%s\n", k,
							     dates[k]);
				}
	remit__reader *r = open_a(text);
	for (k = 0; k < N; k++) {
		int64_t want;
		remit__row row;
		remit__reject rej = {0};
		remit_error err = {0};
		int rc = remit__reader_next(r, pool, &row, &rej, &err);
		if (!remit__date_parse(dates[k], 10, &want)) {
			cr_assert_eq(rc, REMIT__READ_REJECT, "%s", dates[k]);
			continue;
		}
		cr_assert_eq(rc, REMIT__READ_ROW, "%s: %s", dates[k], rej.reason);
		int y = atoi(dates[k]), m = atoi(dates[k] + 5), d = atoi(dates[k] + 8);
		cr_assert_eq(row.f[REMIT__A_START].i, remit__days_from_civil(y, (unsigned)m, 1) + d - 1,
			     "%s", dates[k]);
		cr_assert_eq(row.f[REMIT__A_START].i, want, "%s", dates[k]);
	}
	at_eof(r);
	remit__reader_close(r);
	free(dates);
	free(text);
}

Test(activity, whole_numbers)
{
	one_bad("los", "-3", "los: expected a whole number ≥ 0, got \"-3\"");
	one_bad("los", "+3", "los: expected a whole number ≥ 0, got \"+3\"");
	one_bad("los", "3.0", "los: expected a whole number ≥ 0, got \"3.0\"");
	one_bad("los", " 3", "los: expected a whole number ≥ 0, got \" 3\"");
	one_bad("los", "99999999999999999999",
		"los: expected a whole number ≥ 0, got \"99999999999999999999\"");
	one_bad("age", "131", "age: expected a whole number 0–130, got \"131\"");
	one_bad("age", "-1", "age: expected a whole number 0–130, got \"-1\"");
	one_bad("age", "x", "age: expected a whole number 0–130, got \"x\"");
	cr_assert_eq(one_good("age", "130").i, 130);
	cr_assert_eq(one_good("age", "007").i, 7);
	cr_assert_eq(one_good("los", "0").i, 0);
}

Test(activity, sex)
{
	one_bad("sex", "X", "sex: expected M, F or U, got \"X\"");
	one_bad("sex", "m", "sex: expected M, F or U, got \"m\"");
	one_bad("sex", "MF", "sex: expected M, F or U, got \"MF\"");
	cr_assert(one_good("sex", "M").present);
	cr_assert(one_good("sex", "U").present);
	cr_assert_not(one_good("sex", "").present);
}

Test(activity, decimals)
{
	one_bad("quantity", "0", "quantity: expected a decimal number > 0, got \"0\"");
	one_bad("quantity", "-1.5", "quantity: expected a decimal number > 0, got \"-1.5\"");
	one_bad("quantity", "0.000", "quantity: expected a decimal number > 0, got \"0.000\"");
	one_bad("quantity", "abc", "quantity: expected a decimal number, got \"abc\"");
	one_bad("cost", "1e3", "cost: expected a decimal number, got \"1e3\"");
	one_bad("cost", "\"1,000\"", "cost: expected a decimal number, got \"1,000\"");
	one_bad("cost", "12%", "cost: expected a decimal number, got \"12%\"");
	one_bad("cost", "1/3", "cost: expected a decimal number, got \"1/3\"");
	num_is(one_good("cost", "-0.5").d, -5, 1);
	num_is(one_good("quantity", "0.001").d, 1, 3);
	remit__val big = one_good("cost", "123456789012345678901234567890.5");
	cr_assert(big.present);
	cr_assert_eq(remit__num_sign(big.d), 1);
}

Test(activity, lengths)
{
	char id[300], text[2048];
	remit__row row;

	memset(id, 'i', sizeof(id));
	snprintf(text, sizeof(text), HDR "\n%.255s,p,v,c,EL,H,2024-04-01\n%.256s,p,v,c,EL,H,2024-04-01\n",
		 id, id);
	remit__reader *r = open_a(text);
	row_ok(r, &row);
	cr_assert_eq(row.f[REMIT__A_ID].s.n, 255);
	rejected(r, 3, 1, "id: longer than 255 bytes");
	at_eof(r);
	remit__reader_close(r);

	snprintf(text, sizeof(text), HDR "\nr1,%.256s,v,c,EL,H,2024-04-01\n", id);
	r = open_a(text);
	rejected(r, 2, 4, "patient: longer than 255 bytes");
	remit__reader_close(r);
}

Test(activity, list_lengths)
{
	enum { N = 65535 };
	char *text = malloc(2 * N + 256);
	int n = sprintf(text, HDR ",diagnoses\n" PFX ",");
	remit__row row;

	memset(text + n, 'E', N);
	strcpy(text + n + N, "\n" ROW("r2") ",");
	n += N + (int)strlen("\n" ROW("r2") ",");
	memset(text + n, 'E', N + 1);
	strcpy(text + n + N + 1, "\n");
	remit__reader *r = open_a(text);
	row_ok(r, &row);
	cr_assert_eq(row.f[REMIT__A_DIAGNOSES].s.n, N);
	rejected(r, 3, 33, "diagnoses: longer than 65535 bytes");
	at_eof(r);
	remit__reader_close(r);
	free(text);
}

Test(activity, long_value_is_cut_in_the_reason)
{
	char val[200], want[200], text[1024];

	memset(val, '9', 70);
	strcpy(val + 70, "x");
	snprintf(want, sizeof(want), "age: expected a whole number 0–130, got \"%.64s…\"", val);
	snprintf(text, sizeof(text), HDR ",age\n" PFX ",%s\n", val);
	remit__reader *r = open_a(text);
	rejected(r, 2, 33, want);
	remit__reader_close(r);
}

Test(activity, field_count)
{
	remit__reader *r = open_a(HDR ",end\n"
				  ROW("r1") "\n"
				  ROW("r2") ",2024-04-02,x\n"
				  ROW("r3") ",2024-04-02\n");
	remit__row row;

	rejected(r, 2, 0, "expected 8 fields, got 7");
	rejected(r, 3, 0, "expected 8 fields, got 9");
	row_ok(r, &row);
	cr_assert_eq(row.ordinal, 2);
	at_eof(r);
	remit__reader_close(r);
}

Test(activity, malformed_csv_rows_are_rejects)
{
	static const char text[] = HDR "\n"
				   "r1,p\"1,PRV,COM,EL,HRG,2024-04-01\n"
				   "r2,\"p\"2,PRV,COM,EL,HRG,2024-04-01\n"
				   "r3,p3,PRV,COM,EL,HRG,2024-04-01\n"
				   "r4,\"p\n4\xff\",PRV,COM,EL,HRG,2024-04-01\n"
				   "r5,\"p5,PRV,COM,EL,HRG,2024-04-01\n";
	remit__reader *r = open_a(text);
	remit__row row;
	remit__reject rej;
	remit_error err = {0};

	cr_assert_eq(remit__reader_next(r, pool, &row, &rej, &err), REMIT__READ_REJECT);
	cr_assert_str_eq(rej.reason, "quote inside an unquoted field");
	cr_assert_eq(rej.line, 2);
	cr_assert_eq(rej.column, 5);
	cr_assert_eq(rej.id.n, 0);
	str_is(rej.raw, "r1,p\"1,PRV,COM,EL,HRG,2024-04-01");
	rejected(r, 3, 7, "text after a closing quote");
	row_ok(r, &row);
	cr_assert_eq(row.ordinal, 2);
	cr_assert_eq(row.line, 4);
	rejected(r, 6, 2, "invalid UTF-8");
	rejected(r, 7, 4, "unterminated quoted field");
	at_eof(r);
	remit__reader_close(r);
}

Test(activity, reject_carries_id_and_raw)
{
	remit__reader *r = open_a(HDR ",age\n" "r9,p1,PRV,COM,EL,HRG,2024-04-01,200\r\n");
	remit__row row;
	remit__reject rej;
	remit_error err = {0};

	cr_assert_eq(remit__reader_next(r, pool, &row, &rej, &err), REMIT__READ_REJECT);
	str_is(rej.id, "r9");
	str_is(rej.raw, "r9,p1,PRV,COM,EL,HRG,2024-04-01,200");
	cr_assert_str_eq(rej.file, "a.csv");
	remit__reader_close(r);
}

/* ---- duplicate ids and second passes ------------------------------------- */

static const char dups[] = HDR ",age\n"
			   "a,p1,PRV,COM,EL,HRG,2024-04-01,\n"
			   "b,p1,PRV,COM,EL,HRG,2024-04-01,\n"
			   "a,p2,PRV,COM,EL,HRG,2024-04-01,\n"
			   "\n"
			   "c,p1,PRV,COM,EL,HRG,2024-04-01,999\n"
			   "c,p1,PRV,COM,EL,HRG,2024-04-01,\n"
			   "b,\"p1\n\",PRV,COM,EL,HRG,2024-04-01,\n"
			   "d,p1,PRV,COM,EL,HRG,2024-04-01,\n"
			   "a,p1,PRV,COM,EL,HRG,2024-04-01,1\n";

static void check_dups(remit__reader *r)
{
	remit__row row;

	row_ok(r, &row);
	cr_assert_eq(row.ordinal, 0);
	row_ok(r, &row);
	cr_assert_eq(row.ordinal, 1);
	rejected(r, 4, 1, "id: duplicate of the row on line 2");
	/* c's first row is rejected for its age, but its id counts */
	rejected(r, 6, 32, "age: expected a whole number 0–130, got \"999\"");
	rejected(r, 7, 1, "id: duplicate of the row on line 6");
	rejected(r, 8, 1, "id: duplicate of the row on line 3");
	row_ok(r, &row);
	cr_assert_eq(row.ordinal, 6);
	cr_assert_eq(row.line, 10);
	rejected(r, 11, 1, "id: duplicate of the row on line 2");
	at_eof(r);
}

Test(activity, duplicate_ids_and_rewind)
{
	remit__reader *r = open_a(dups);
	remit_error err = {0};

	check_dups(r);
	cr_assert_eq(remit__reader_rewind(r, &err), 0, "%s", err.message);
	check_dups(r);
	cr_assert_eq(remit__reader_rewind(r, &err), 0, "%s", err.message);
	check_dups(r);
	remit__reader_close(r);
}

Test(activity, rewind_of_a_file)
{
	remit__reader *r = NULL;
	remit_error err = {0};
	int rc = remit__reader_open(FIX "activity.csv", &remit__activity_schema, &r, &err);
	remit__row row;

	cr_assert_eq(rc, 0, "%s", err.message);
	cr_assert_str_eq(remit__reader_name(r), FIX "activity.csv");
	for (int pass = 0; pass < 2; pass++) {
		row_ok(r, &row);
		str_is(row.f[REMIT__A_ID].s, "S1");
		cr_assert_eq(row.f[REMIT__A_LOS].i, 4);
		cr_assert_eq(row.ordinal, 0);
		row_ok(r, &row);
		str_is(row.f[REMIT__A_CODE].s, "WF01A");
		cr_assert_eq(row.nattrs, 1);
		str_is(row.attrs[0], "x");
		rejected(r, 4, 1, "id: duplicate of the row on line 2");
		at_eof(r);
		cr_assert_eq(remit__reader_bytes_done(r), remit__reader_bytes_total(r));
		cr_assert_gt(remit__reader_bytes_total(r), 0);
		cr_assert_eq(remit__reader_rewind(r, &err), 0, "%s", err.message);
	}
	remit__reader_close(r);
}

/* Many distinct ids make the id set grow several times. */
Test(activity, many_ids)
{
	enum { N = 20000 };
	size_t cap = 64 + (size_t)N * 48, n = 0;
	char *text = malloc(cap);
	remit__row row;

	n += (size_t)sprintf(text, HDR "\n");
	for (int i = 0; i < N; i++)
		n += (size_t)sprintf(text + n, "id%d,p,v,c,EL,H,2024-04-01\n", i);
	n += (size_t)sprintf(text + n, "id%d,p,v,c,EL,H,2024-04-01\n", N / 2);
	remit__reader *r = open_a(text);
	for (int i = 0; i < N; i++)
		row_ok(r, &row);
	rejected(r, N + 2, 1, "id: duplicate of the row on line 10002");
	at_eof(r);
	remit__reader_close(r);
	free(text);
}

/* Ids in order need no slot (activity.c, "ascending mode"); ids out of
 * order are looked up among the slots and, by binary search, among the rows
 * that raised the greatest id.  Ids 1..2000 on lines 2..2001, then: */
static const char *const ascending_tail[][2] = {
	{"1500", "id: duplicate of the row on line 1501"}, /* a record row, mid-file */
	{"2", "id: duplicate of the row on line 3"},
	{"1", "id: duplicate of the row on line 2"},       /* the very first row */
	{"2000", "id: duplicate of the row on line 2001"}, /* the greatest id */
	{"5000", NULL},                                    /* a new greatest id */
	{"2001", NULL},                                    /* new, out of order: a slot */
	{"2001", "id: duplicate of the row on line 2007"}, /* ... found there */
	{"4999", NULL},
	{"5000", "id: duplicate of the row on line 2006"},
	{"0", NULL},   /* below every id */
	{"abc", NULL}, /* between "999" and "1000" in id order */
	{"1000", "id: duplicate of the row on line 1001"},
	{"999", "id: duplicate of the row on line 1000"},
	{"abc", "id: duplicate of the row on line 2012"},
	{"10000", NULL},
};

static void check_ascending(remit__reader *r)
{
	remit__row row;
	for (int i = 1; i <= 2000; i++) {
		row_ok(r, &row);
		cr_assert_eq(row.line, (uint64_t)i + 1);
	}
	for (size_t k = 0; k < sizeof ascending_tail / sizeof *ascending_tail; k++) {
		if (ascending_tail[k][1]) {
			rejected(r, 2002 + k, 1, ascending_tail[k][1]);
		} else {
			row_ok(r, &row);
			str_is(row.f[REMIT__A_ID].s, ascending_tail[k][0]);
		}
	}
	at_eof(r);
}

Test(activity, ascending_ids_and_ids_out_of_order)
{
	size_t cap = 64 + 2100 * 48, n = 0;
	char *text = malloc(cap);
	n += (size_t)sprintf(text, HDR "\n");
	for (int i = 1; i <= 2000; i++)
		n += (size_t)sprintf(text + n, "%d,p,v,c,EL,H,2024-04-01\n", i);
	for (size_t k = 0; k < sizeof ascending_tail / sizeof *ascending_tail; k++)
		n += (size_t)sprintf(text + n, "%s,p,v,c,EL,H,2024-04-01\n", ascending_tail[k][0]);
	remit__reader *r = open_a(text);
	remit_error err = {0};
	check_ascending(r);
	cr_assert_eq(remit__reader_rewind(r, &err), 0, "%s", err.message);
	check_ascending(r);
	remit__reader_close(r);
	free(text);
}

/* Ids in no order: past 1024 + 1/256 of the rows out of order, every id
 * gets a slot, and duplicates are still found, of either kind of row. */
static size_t ids_in_no_order(enum how how)
{
	enum { N = 6007 }; /* prime: i × 2999 mod N is a permutation */
	size_t cap = 64 + (size_t)(N + 8) * 48, n = 0;
	char *text = malloc(cap);
	n += (size_t)sprintf(text, HDR "\n");
	for (int i = 0; i < N; i++) {
		n += (size_t)sprintf(text + n, "k%d,p,v,c,EL,H,2024-04-01\n", (int)((i * 2999L) % N));
		if (i == 1099) /* just after the set stops trusting the order (row 1032) */
			n += (size_t)sprintf(text + n, "k0,p,v,c,EL,H,2024-04-01\n");
	}
	/* k0 is row 0 (line 2); k2999 row 1 (line 3); k(2999·5000 mod N) line 5003 */
	int late = (int)((5000 * 2999L) % N);
	n += (size_t)sprintf(text + n, "k0,p,v,c,EL,H,2024-04-01\n");
	n += (size_t)sprintf(text + n, "k2999,p,v,c,EL,H,2024-04-01\n");
	n += (size_t)sprintf(text + n, "k%d,p,v,c,EL,H,2024-04-01\n", late);
	n += (size_t)sprintf(text + n, "k%d,p,v,c,EL,H,2024-04-01\n", N);
	struct opened o;
	remit__reader *r = open_as(text, how, &o);
	remit__row row;
	for (int i = 0; i < N; i++) {
		row_ok(r, &row);
		if (i == 1099)
			rejected(r, 1102, 1, "id: duplicate of the row on line 2");
	}
	rejected(r, N + 3, 1, "id: duplicate of the row on line 2");
	rejected(r, N + 4, 1, "id: duplicate of the row on line 3");
	rejected(r, N + 5, 1, "id: duplicate of the row on line 5003");
	row_ok(r, &row);
	at_eof(r);
	/* a stream is read once, in order (its copy, read again, can be split) */
	cr_assert_eq(remit__reader_splittable(r), how == AS_TEXT);
	size_t bytes = remit__reader_id_bytes(r);
	remit__reader_close(r);
	done_with(&o);
	free(text);
	return bytes;
}

Test(activity, ids_in_no_order)
{
	ids_in_no_order(AS_TEXT);
}

/* A pipe's size is not known: the slots grow as the rows come, and once
 * they would take more than REMIT_ID_MEMORY the rest of the stream is
 * copied and every row decided on disk.  32 KiB holds 4096 slots, and the
 * 6,008 ids need 8192: in memory they would take 64 KiB. */
Test(activity, a_pipe_past_its_id_memory_goes_on_disk)
{
	setenv("REMIT_ID_MEMORY", "32K", 1);
	size_t bytes = ids_in_no_order(AS_PIPE);
	unsetenv("REMIT_ID_MEMORY");
	cr_assert_lt(bytes, 32u << 10, "%zu bytes", bytes);
}

/* A gzip stream's rows are estimated by its compressed bytes. */
Test(activity, ids_of_a_gzip_stream_in_no_order_on_disk)
{
	setenv("REMIT_ID_MEMORY", "32K", 1);
	size_t bytes = ids_in_no_order(AS_GZIP);
	unsetenv("REMIT_ID_MEMORY");
	cr_assert_lt(bytes, 32u << 10, "%zu bytes", bytes);
}

/* With REMIT_ID_MEMORY=0 the set, leaving ascending mode, decides every
 * row on disk instead (activity.c, "on disk"): the same rejects. */
Test(activity, ids_in_no_order_on_disk)
{
	setenv("REMIT_ID_MEMORY", "0", 1);
	ids_in_no_order(AS_TEXT);
	unsetenv("REMIT_ID_MEMORY");
}

/* The id set against a plain reference, over random files: ids in order
 * with a few out of order, ids in no order, runs of each, duplicates of
 * every kind of earlier row, rows whose id is not remembered (a wrong field
 * count); ids of up to 8 bytes, of 9 to 16 and of more (each compared
 * another way in id order).  Each row must be a reject naming the first row of its id
 * exactly when an earlier remembered row has that id. */
static uint64_t rnd_state;

static uint32_t rnd_below(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

static char (*ref_ids)[24];

static int by_id_then_row(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b, c = strcmp(ref_ids[x], ref_ids[y]);
	return c ? c : (x > y) - (x < y);
}

static void id_set_against_a_reference(enum how how)
{
	enum { ROWS = 6000, FILES = 24 };
	char(*ids)[24] = malloc(ROWS * sizeof *ids);
	bool *kept = malloc(ROWS * sizeof *kept);
	int *first = malloc(ROWS * sizeof *first), *order = malloc(ROWS * sizeof *order);
	char *text = malloc((size_t)ROWS * 64 + 64);
	for (int file = 0; file < FILES; file++) {
		rnd_state = 0x9e3779b97f4a7c15ull * (uint64_t)(file + 1);
		uint32_t disorder = (uint32_t[]){0, 1, 5, 30, 200, 1000}[file % 6]; /* per 1000 */
		uint32_t again = (uint32_t[]){0, 2, 20, 100}[file / 6];              /* per 1000 */
		const char *pre = (const char *[]){"", "SPELL-", "SPELL-2024-0000-"}[(file + file / 6) % 3];
		size_t n = (size_t)sprintf(text, HDR "\n");
		uint64_t next = 1 + rnd_below(1000);
		for (int i = 0; i < ROWS; i++) {
			if (i > 0 && rnd_below(1000) < again) { /* an earlier id again */
				strcpy(ids[i], ids[rnd_below((uint32_t)i)]);
			} else if (rnd_below(1000) < disorder) { /* anything, often below */
				snprintf(ids[i], sizeof ids[i], "%s%s%llu", pre, rnd_below(4) ? "" : "x",
					 (unsigned long long)rnd_below((uint32_t)next + 10));
			} else { /* ascending, with gaps */
				next += 1 + rnd_below(3);
				snprintf(ids[i], sizeof ids[i], "%s%llu", pre, (unsigned long long)next);
			}
			kept[i] = rnd_below(50) != 0;
			n += (size_t)sprintf(text + n, kept[i] ? "%s,p,v,c,EL,H,2024-04-01\n" : "%s,p,v\n",
					     ids[i]);
		}
		/* the reference: rows sorted by id then position; each row's first
		 * is the first remembered row of its id before it */
		for (int i = 0; i < ROWS; i++)
			order[i] = i;
		ref_ids = ids;
		qsort(order, ROWS, sizeof *order, by_id_then_row);
		for (int k = 0, head = -1; k < ROWS; k++) {
			int i = order[k];
			if (k == 0 || strcmp(ids[order[k - 1]], ids[i]) != 0)
				head = -1;
			first[i] = head;
			if (head < 0 && kept[i])
				head = i;
		}
		struct opened o;
		remit__reader *r = open_as(text, how, &o);
		for (int pass = 0; pass < 2; pass++) { /* the second after a rewind */
			remit_error err = {0};
			if (pass)
				cr_assert_eq(remit__reader_rewind(r, &err), 0, "%s", err.message);
			for (int i = 0; i < ROWS; i++) {
				remit__row row;
				remit__reject rej = {0};
				int rc = remit__reader_next(r, pool, &row, &rej, &err);
				char want[64];
				if (!kept[i]) {
					cr_assert_eq(rc, REMIT__READ_REJECT, "file %d row %d", file, i);
					continue;
				}
				if (first[i] < 0) {
					cr_assert_eq(rc, REMIT__READ_ROW, "file %d row %d (%s): %s", file,
						     i, ids[i], rej.reason);
					continue;
				}
				snprintf(want, sizeof want, "id: duplicate of the row on line %d",
					 first[i] + 2);
				cr_assert_eq(rc, REMIT__READ_REJECT, "file %d row %d (%s)", file, i,
					     ids[i]);
				cr_assert_str_eq(rej.reason, want, "file %d row %d (%s)", file, i,
						 ids[i]);
			}
			at_eof(r);
		}
		remit__reader_close(r);
		done_with(&o);
	}
	free(ids);
	free(kept);
	free(first);
	free(order);
	free(text);
}

Test(activity, id_set_against_a_reference)
{
	id_set_against_a_reference(AS_TEXT);
}

/* The same files with the set on disk once it leaves ascending mode (the
 * files with 200 and 1000 ids in 1000 out of order). */
Test(activity, id_set_on_disk_against_a_reference)
{
	setenv("REMIT_ID_MEMORY", "0", 1);
	id_set_against_a_reference(AS_TEXT);
	unsetenv("REMIT_ID_MEMORY");
}

/* The same files as gzip streams: the ids are read again from the
 * stream's copy; the second pass reads the copy as a plain file. */
Test(activity, id_set_of_a_gzip_stream_against_a_reference)
{
	id_set_against_a_reference(AS_GZIP);
}

/* ... on disk once the set leaves ascending mode: the rest of the stream
 * is copied then. */
Test(activity, id_set_of_a_gzip_stream_on_disk_against_a_reference)
{
	setenv("REMIT_ID_MEMORY", "0", 1);
	id_set_against_a_reference(AS_GZIP);
	unsetenv("REMIT_ID_MEMORY");
}

/* The same files through a pipe. */
Test(activity, id_set_of_a_pipe_against_a_reference)
{
	id_set_against_a_reference(AS_PIPE);
}

/* ... with no copy (no temporary file can be made): every id is copied
 * into memory instead. */
Test(activity, id_set_of_a_gzip_stream_without_a_copy_against_a_reference)
{
	setenv("TMPDIR", "/nonexistent", 1);
	id_set_against_a_reference(AS_GZIP);
	unsetenv("TMPDIR");
}

/* A cut gzip stream fails in the line where its readable text stops,
 * whether the ids stay in memory or go on disk (REMIT_ID_MEMORY=0): then
 * the rest of the stream (past the reader's 1 MiB window) is copied at row
 * 1,032, meets the cut, and the error waits until the reader has read the
 * copy to its end.  Read again, the stream fails the same way. */
Test(activity, a_cut_gzip_stream_fails_where_its_text_stops)
{
	enum { N = 100003 }; /* prime */
	char *text = malloc(64 + (size_t)N * 48);
	size_t n = (size_t)sprintf(text, HDR "\n");
	for (int i = 0; i < N; i++)
		n += (size_t)sprintf(text + n, "k%d,p,v,c,EL,H,2024-04-01\n", (int)((i * 2999L) % N));
	size_t len;
	unsigned char *gz = remit_test_gzip(text, n, &len);
	size_t cut = len * 3 / 4;
	unsigned long line = remit_test_cut_line(gz, cut, n);
	cr_assert_gt(line, 70000); /* about 2 MiB of text: past the 1 MiB window */
	for (int disk = 0; disk < 2; disk++) {
		if (disk)
			setenv("REMIT_ID_MEMORY", "0", 1);
		remit__reader *r = NULL;
		remit_error err = {0};
		cr_assert_eq(remit__reader_open_mem((const char *)gz, cut, "cut.csv.gz",
						    &remit__activity_schema, &r, &err),
			     0, "%s", err.message);
		remit__row row;
		remit__reject rej;
		int rc;
		unsigned long rows = 0;
		while ((rc = remit__reader_next(r, pool, &row, &rej, &err)) > 0)
			rows += rc == REMIT__READ_ROW;
		cr_assert_eq(rc, REMIT_EDATA, "disk %d", disk);
		cr_assert_str_eq(err.message, "truncated gzip stream", "disk %d", disk);
		cr_assert_eq(err.line, line, "disk %d: line %lu", disk, err.line);
		cr_assert_eq(rows, line - 2, "disk %d", disk); /* the rows of whole lines */
		cr_assert_not(remit__reader_splittable(r)); /* (read on from its copy, on disk) */
		err = (remit_error){0};
		cr_assert_eq(remit__reader_rewind(r, &err), REMIT_EDATA, "disk %d", disk);
		cr_assert_str_eq(err.message, "truncated gzip stream", "disk %d", disk);
		remit__reader_close(r);
		unsetenv("REMIT_ID_MEMORY");
	}
	free(gz);
	free(text);
}

/* A gzip stream cannot be split into parts; read again (for a second
 * pass), its copy is a plain file, which can.  Without a copy it is
 * inflated again, and cannot. */
Test(activity, a_gzip_stream_read_again_reads_its_copy)
{
	for (int copy = 1; copy >= 0; copy--) {
		if (!copy)
			setenv("TMPDIR", "/nonexistent", 1);
		unsigned char *gz;
		remit__reader *r = open_gz(HDR "\n"
					   "a1,p,v,c,EL,H,2024-04-01\n"
					   "a2,p,v,c,EL,H,2024-04-02\n",
					   &gz);
		remit__row row;
		remit_error err = {0};
		for (int pass = 0; pass < 2; pass++) {
			cr_assert_eq(remit__reader_splittable(r), pass == 1 && copy, "copy %d", copy);
			row_ok(r, &row);
			str_is(row.f[REMIT__A_ID].s, "a1");
			row_ok(r, &row);
			str_is(row.f[REMIT__A_ID].s, "a2");
			cr_assert_eq(row.line, 3);
			at_eof(r);
			cr_assert_eq(remit__reader_rewind(r, &err), 0, "%s", err.message);
		}
		remit__reader_close(r);
		free(gz);
		unsetenv("TMPDIR");
	}
}

/* ---- population --------------------------------------------------------- */

#define PHDR "patient,practice,commissioner,from,to,age,sex,conditions,tier,need"

Test(population, rows_and_defaults)
{
	remit__reader *r = open_s(PHDR ",ethnicity\n"
				  "p1,G1,C1,2024-04-01,,45,F,diabetes|copd,T2,1.25,x\n"
				  "p1,G1,C1,2024-04-01,2024-04-01,0,U,,,,\n",
				  &remit__population_schema);
	remit__row row;
	uint32_t n;

	remit__reader_attr_names(r, &n);
	cr_assert_eq(n, 1);
	row_ok(r, &row);
	str_is(row.f[REMIT__P_PATIENT].s, "p1");
	str_is(row.f[REMIT__P_PRACTICE].s, "G1");
	str_is(row.f[REMIT__P_COMMISSIONER].s, "C1");
	cr_assert_eq(row.f[REMIT__P_FROM].i, D_2024_04_01);
	cr_assert_not(row.f[REMIT__P_TO].present);
	cr_assert_eq(row.f[REMIT__P_AGE].i, 45);
	str_is(row.f[REMIT__P_SEX].s, "F");
	str_is(row.f[REMIT__P_CONDITIONS].s, "diabetes|copd");
	str_is(row.f[REMIT__P_TIER].s, "T2");
	num_is(row.f[REMIT__P_NEED].d, 125, 2);
	str_is(row.attrs[0], "x");
	row_ok(r, &row);
	cr_assert(row.f[REMIT__P_TO].present);
	cr_assert_eq(row.f[REMIT__P_TO].i, D_2024_04_01);
	cr_assert(row.f[REMIT__P_NEED].present);
	num_is(row.f[REMIT__P_NEED].d, 1, 0);
	cr_assert_not(row.f[REMIT__P_TIER].present);
	at_eof(r);
	remit__reader_close(r);
}

Test(population, rules)
{
	/* p1,G1,C1,2024-04-01,  → `to` at 21 */
	remit__reader *r = open_s(PHDR "\n"
				  "p1,G1,C1,2024-04-01,2024-03-31,45,F,,,\n"
				  "p1,G1,C1,2024-04-01,,,F,,,\n"
				  "p1,G1,C1,2024-04-01,,45,,,,\n"
				  "p1,G1,C1,2024-04-01,,131,M,,,\n"
				  "p1,G1,C1,2024-04-01,,45,M,,,0\n"
				  "p1,G1,C1,2024-13-01,,45,M,,,\n"
				  "p1,,C1,2024-04-01,,45,M,,,\n"
				  "p1,G1,C1,2024-04-01,,45,M,,\n",
				  &remit__population_schema);

	rejected(r, 2, 21, "to: before from");
	rejected(r, 3, 22, "age: required");
	rejected(r, 4, 25, "sex: required");
	rejected(r, 5, 22, "age: expected a whole number 0–130, got \"131\"");
	rejected(r, 6, 29, "need: expected a decimal number > 0, got \"0\"");
	rejected(r, 7, 10, "from: expected a date YYYY-MM-DD, got \"2024-13-01\"");
	rejected(r, 8, 4, "practice: required");
	rejected(r, 9, 0, "expected 10 fields, got 9");
	at_eof(r);
	remit__reader_close(r);
}

Test(population, header_errors)
{
	const remit__schema *p = &remit__population_schema;

	open_fails("patient,practice,commissioner,from,to,sex\n", p,
		   "missing required column 'age'", 1, 0);
	open_fails("patient,practice,commissioner,from,age,sex,from\n", p,
		   "duplicate column 'from'", 1, 44);
}
