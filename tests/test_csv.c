/*
 * test_csv.c — the streaming RFC 4180 reader.
 *
 * Small inputs check the tokenizer rule by rule (quoting, escapes, line
 * ends, positions, every malformed kind); larger ones, built here, check
 * what only shows at scale: fields longer than the window, records that
 * straddle refills, gzip, and the fatal errors.
 */
#include "csv.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define FIX "fixtures/csv/"

static remit__csv *open_mem_n(const char *s, size_t n)
{
	remit__csv *c = NULL;
	remit_error err = {0};
	int rc = remit__csv_open_mem(s, n, "t.csv", &c, &err);
	cr_assert_eq(rc, 0, "open_mem: %s", err.message);
	return c;
}

static remit__csv *open_mem(const char *s)
{
	return open_mem_n(s, strlen(s));
}

static remit__csv *open_path(const char *path)
{
	remit__csv *c = NULL;
	remit_error err = {0};
	int rc = remit__csv_open(path, &c, &err);
	cr_assert_eq(rc, 0, "open %s: %s", path, err.message);
	return c;
}

static void next_ok(remit__csv *c, remit__csv_record *r)
{
	remit_error err = {0};
	int rc = remit__csv_next(c, r, &err);
	cr_assert_eq(rc, 1, "expected a record, got %d (%s)", rc, err.message);
}

static void at_eof(remit__csv *c)
{
	remit__csv_record r;
	remit_error err = {0};
	cr_assert_eq(remit__csv_next(c, &r, &err), 0, "expected end of input");
}

static void field_is(const remit__csv_record *r, uint32_t i, const char *want)
{
	cr_assert_lt(i, r->nfields, "field %u of %u", i, r->nfields);
	remit__str f = r->fields[i];
	cr_assert(f.n == strlen(want) && memcmp(f.p, want, f.n) == 0,
		  "field %u is \"%.*s\", expected \"%s\"", i, (int)f.n, f.p, want);
}

static void pos_is(const remit__csv_record *r, uint32_t i, uint64_t line, uint32_t col)
{
	uint64_t l;
	uint32_t c;
	remit__csv_field_pos(r, i, &l, &c);
	cr_assert_eq(l, line, "field %u line %llu, expected %llu", i, (unsigned long long)l,
		     (unsigned long long)line);
	cr_assert_eq(c, col, "field %u col %u, expected %u", i, c, col);
}

static void raw_is(const remit__csv_record *r, const char *want)
{
	cr_assert(r->raw.n == strlen(want) && memcmp(r->raw.p, want, r->raw.n) == 0,
		  "raw is \"%.*s\", expected \"%s\"", (int)r->raw.n, r->raw.p, want);
}

static void malformed(const remit__csv_record *r, const char *msg, uint64_t line, uint32_t col)
{
	cr_assert_not_null(r->error, "expected error \"%s\"", msg);
	cr_assert_str_eq(r->error, msg);
	cr_assert_eq(r->error_line, line, "error line %llu, expected %llu",
		     (unsigned long long)r->error_line, (unsigned long long)line);
	cr_assert_eq(r->error_col, col, "error col %u, expected %u", r->error_col, col);
}

/* ---- tokenizer -------------------------------------------------------- */

Test(csv, simple_records_and_positions)
{
	remit__csv *c = open_mem("id,name,n\n1,ab,22\n");
	remit__csv_record r;

	next_ok(c, &r);
	cr_assert_eq(r.nfields, 3);
	cr_assert_eq(r.line, 1);
	field_is(&r, 0, "id");
	field_is(&r, 1, "name");
	field_is(&r, 2, "n");
	pos_is(&r, 0, 1, 1);
	pos_is(&r, 1, 1, 4);
	pos_is(&r, 2, 1, 9);
	cr_assert_null(r.error);
	raw_is(&r, "id,name,n");
	next_ok(c, &r);
	cr_assert_eq(r.line, 2);
	field_is(&r, 0, "1");
	field_is(&r, 1, "ab");
	field_is(&r, 2, "22");
	pos_is(&r, 2, 2, 6);
	at_eof(c);
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, quoted_fields_with_commas)
{
	remit__csv *c = open_mem("\"a,b\",c,\"\",\",\"\n");
	remit__csv_record r;

	next_ok(c, &r);
	cr_assert_eq(r.nfields, 4);
	field_is(&r, 0, "a,b");
	field_is(&r, 1, "c");
	field_is(&r, 2, "");
	field_is(&r, 3, ",");
	pos_is(&r, 0, 1, 1);
	pos_is(&r, 1, 1, 7);
	pos_is(&r, 2, 1, 9);
	pos_is(&r, 3, 1, 12);
	cr_assert_null(r.error);
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, doubled_quotes_are_unescaped_and_raw_stays_intact)
{
	const char *line = "\"he said \"\"hi\"\"\",\"\"\"\",\"x\"\"\",\"\"\"y\",z";
	char *text = malloc(strlen(line) + 2);
	sprintf(text, "%s\n", line);
	remit__csv *c = open_mem(text);
	remit__csv_record r;

	next_ok(c, &r);
	cr_assert_eq(r.nfields, 5);
	field_is(&r, 0, "he said \"hi\"");
	field_is(&r, 1, "\"");
	field_is(&r, 2, "x\"");
	field_is(&r, 3, "\"y");
	field_is(&r, 4, "z");
	pos_is(&r, 1, 1, 18);
	pos_is(&r, 2, 1, 23);
	pos_is(&r, 3, 1, 29);
	pos_is(&r, 4, 1, 35);
	raw_is(&r, line);
	cr_assert_null(r.error);
	at_eof(c);
	remit__csv_close(c);
	free(text);
}

Test(csv, embedded_lf_moves_following_positions)
{
	remit__csv *c = open_mem("a,\"one\ntwo\nthree\",x,y\nnext,z\n");
	remit__csv_record r;

	next_ok(c, &r);
	cr_assert_eq(r.line, 1);
	cr_assert_eq(r.nfields, 4);
	field_is(&r, 1, "one\ntwo\nthree");
	field_is(&r, 2, "x");
	pos_is(&r, 1, 1, 3);
	pos_is(&r, 2, 3, 8);
	pos_is(&r, 3, 3, 10);
	raw_is(&r, "a,\"one\ntwo\nthree\",x,y");
	next_ok(c, &r);
	cr_assert_eq(r.line, 4);
	field_is(&r, 0, "next");
	pos_is(&r, 1, 4, 6);
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, embedded_crlf_and_crlf_line_ends)
{
	remit__csv *c = open_mem("\"a\r\nb\",c\r\nd,\"e\"\r\n");
	remit__csv_record r;

	next_ok(c, &r);
	cr_assert_eq(r.line, 1);
	field_is(&r, 0, "a\r\nb");
	field_is(&r, 1, "c");
	pos_is(&r, 1, 2, 4);
	raw_is(&r, "\"a\r\nb\",c");
	next_ok(c, &r);
	cr_assert_eq(r.line, 3);
	field_is(&r, 0, "d");
	field_is(&r, 1, "e");
	pos_is(&r, 1, 3, 3);
	raw_is(&r, "d,\"e\"");
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, mixed_line_ends)
{
	remit__csv *c = open_mem("a,b\r\nc,d\ne,f\r\ng,h");
	remit__csv_record r;
	const char *want[4][2] = {{"a", "b"}, {"c", "d"}, {"e", "f"}, {"g", "h"}};

	for (int i = 0; i < 4; i++) {
		next_ok(c, &r);
		cr_assert_eq(r.line, (uint64_t)i + 1);
		cr_assert_eq(r.nfields, 2);
		field_is(&r, 0, want[i][0]);
		field_is(&r, 1, want[i][1]);
		cr_assert_eq(r.raw.n, 3);
	}
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, lone_cr_is_data_but_ends_the_input)
{
	remit__csv *c = open_mem("a\rb,c\nd\r");
	remit__csv_record r;

	next_ok(c, &r);
	field_is(&r, 0, "a\rb");
	field_is(&r, 1, "c");
	next_ok(c, &r);
	cr_assert_eq(r.nfields, 1);
	field_is(&r, 0, "d");
	cr_assert_eq(r.line, 2);
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, bom_is_skipped_and_not_counted)
{
	remit__csv *c = open_mem("\xef\xbb\xbfid,x\n1,2\n");
	remit__csv_record r;

	next_ok(c, &r);
	field_is(&r, 0, "id");
	pos_is(&r, 0, 1, 1);
	pos_is(&r, 1, 1, 4);
	raw_is(&r, "id,x");
	next_ok(c, &r);
	field_is(&r, 0, "1");
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, bom_only_in_first_position)
{
	remit__csv *c = open_mem("a\n\xef\xbb\xbf" "b\n");
	remit__csv_record r;

	next_ok(c, &r);
	next_ok(c, &r);
	field_is(&r, 0, "\xef\xbb\xbf" "b");
	remit__csv_close(c);
}

Test(csv, blank_lines_are_skipped_but_counted)
{
	remit__csv *c = open_mem("\n\r\na\n\n\r\n\nb,c\n\n");
	remit__csv_record r;

	next_ok(c, &r);
	cr_assert_eq(r.line, 3);
	field_is(&r, 0, "a");
	pos_is(&r, 0, 3, 1);
	next_ok(c, &r);
	cr_assert_eq(r.line, 7);
	field_is(&r, 1, "c");
	pos_is(&r, 1, 7, 3);
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, spaces_make_a_record)
{
	remit__csv *c = open_mem(" \n");
	remit__csv_record r;

	next_ok(c, &r);
	cr_assert_eq(r.nfields, 1);
	field_is(&r, 0, " ");
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, no_line_end_at_eof)
{
	remit__csv *c = open_mem("a,b\nc,\"d\"");
	remit__csv_record r;

	next_ok(c, &r);
	next_ok(c, &r);
	cr_assert_eq(r.line, 2);
	field_is(&r, 0, "c");
	field_is(&r, 1, "d");
	raw_is(&r, "c,\"d\"");
	cr_assert_null(r.error);
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, empty_fields)
{
	remit__csv *c = open_mem(",,\n\"\",,\"\"\nx,");
	remit__csv_record r;

	next_ok(c, &r);
	cr_assert_eq(r.nfields, 3);
	for (int i = 0; i < 3; i++)
		field_is(&r, (uint32_t)i, "");
	pos_is(&r, 2, 1, 3);
	next_ok(c, &r);
	cr_assert_eq(r.nfields, 3);
	for (int i = 0; i < 3; i++)
		field_is(&r, (uint32_t)i, "");
	pos_is(&r, 2, 2, 5);
	next_ok(c, &r);
	cr_assert_eq(r.nfields, 2);
	field_is(&r, 0, "x");
	field_is(&r, 1, "");
	pos_is(&r, 1, 3, 3);
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, empty_input)
{
	remit__csv *c = open_mem("");
	at_eof(c);
	remit__csv_close(c);
	c = open_mem("\xef\xbb\xbf\r\n\n");
	at_eof(c);
	remit__csv_close(c);
	c = open_mem_n(NULL, 0);
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, utf8_is_accepted)
{
	remit__csv *c = open_mem("caf\xc3\xa9,\xe2\x82\xac,\xf0\x9f\x98\x80,\"\xe2\x89\xa5\"\n");
	remit__csv_record r;

	next_ok(c, &r);
	cr_assert_null(r.error);
	cr_assert_eq(r.nfields, 4);
	field_is(&r, 1, "\xe2\x82\xac");
	pos_is(&r, 1, 1, 7);
	pos_is(&r, 2, 1, 11);
	field_is(&r, 3, "\xe2\x89\xa5");
	remit__csv_close(c);
}

/* ---- malformed records ------------------------------------------------ */

Test(csv, quote_inside_unquoted_field)
{
	remit__csv *c = open_mem("x,ab\"c,d\nok\n");
	remit__csv_record r;

	next_ok(c, &r);
	malformed(&r, "quote inside an unquoted field", 1, 5);
	cr_assert_eq(r.nfields, 3);
	raw_is(&r, "x,ab\"c,d");
	next_ok(c, &r);
	cr_assert_null(r.error);
	cr_assert_eq(r.line, 2);
	field_is(&r, 0, "ok");
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, text_after_closing_quote)
{
	remit__csv *c = open_mem("x,\"ab\"c\"d,e\n\"q\" \nok\n");
	remit__csv_record r;

	next_ok(c, &r);
	malformed(&r, "text after a closing quote", 1, 7);
	cr_assert_eq(r.nfields, 3);
	field_is(&r, 2, "e");
	pos_is(&r, 2, 1, 11);
	next_ok(c, &r);
	malformed(&r, "text after a closing quote", 2, 4);
	cr_assert_eq(r.nfields, 1);
	next_ok(c, &r);
	cr_assert_null(r.error);
	cr_assert_eq(r.line, 3);
	field_is(&r, 0, "ok");
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, text_after_closing_quote_lone_cr)
{
	remit__csv *c = open_mem("\"a\"\rb\nok\n");
	remit__csv_record r;

	next_ok(c, &r);
	malformed(&r, "text after a closing quote", 1, 4);
	next_ok(c, &r);
	field_is(&r, 0, "ok");
	remit__csv_close(c);
}

Test(csv, unterminated_quote_runs_to_eof)
{
	remit__csv *c = open_mem("a,b\nc,\"de\nf,g\nh\n");
	remit__csv_record r;

	next_ok(c, &r);
	cr_assert_null(r.error);
	next_ok(c, &r);
	cr_assert_eq(r.line, 2);
	malformed(&r, "unterminated quoted field", 2, 3);
	cr_assert_eq(r.nfields, 2);
	field_is(&r, 1, "de\nf,g\nh\n");
	raw_is(&r, "c,\"de\nf,g\nh\n");
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, unterminated_quote_after_escape)
{
	remit__csv *c = open_mem("\"a\"\"b");
	remit__csv_record r;

	next_ok(c, &r);
	malformed(&r, "unterminated quoted field", 1, 1);
	field_is(&r, 0, "a\"b");
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, nul_byte)
{
	static const char text[] = "a\0b,c\n\"x\0\",y\nok\n";
	remit__csv *c = open_mem_n(text, sizeof(text) - 1);
	remit__csv_record r;

	next_ok(c, &r);
	malformed(&r, "NUL byte", 1, 2);
	cr_assert_eq(r.nfields, 2);
	cr_assert_eq(r.fields[0].n, 3);
	field_is(&r, 1, "c");
	next_ok(c, &r);
	malformed(&r, "NUL byte", 2, 3);
	cr_assert_eq(r.nfields, 2);
	next_ok(c, &r);
	cr_assert_null(r.error);
	field_is(&r, 0, "ok");
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, invalid_utf8)
{
	/* a stray continuation byte, an overlong '/', a surrogate, a code
	 * point above U+10FFFF, a bad byte inside quotes after a newline,
	 * and a sequence cut short by the end of input */
	remit__csv *c = open_mem("caf\xc3\xa9,\xff\n"
				 "ok,\xc0\xaf\n"
				 "\xed\xa0\x80\n"
				 "ab\xf4\x90\x80\x80\n"
				 "\"a\nb\xe2\x28\xa1\"\n"
				 "last,\xe2\x82");
	remit__csv_record r;

	next_ok(c, &r);
	malformed(&r, "invalid UTF-8", 1, 7);
	next_ok(c, &r);
	malformed(&r, "invalid UTF-8", 2, 4);
	next_ok(c, &r);
	malformed(&r, "invalid UTF-8", 3, 1);
	next_ok(c, &r);
	malformed(&r, "invalid UTF-8", 4, 3);
	next_ok(c, &r);
	malformed(&r, "invalid UTF-8", 6, 2);
	cr_assert_eq(r.line, 5);
	next_ok(c, &r);
	cr_assert_eq(r.line, 7);
	malformed(&r, "invalid UTF-8", 7, 6);
	at_eof(c);
	remit__csv_close(c);
}

Test(csv, first_error_wins)
{
	remit__csv *c = open_mem("a\"b,\"c\"d\n");
	remit__csv_record r;

	next_ok(c, &r);
	malformed(&r, "quote inside an unquoted field", 1, 2);
	remit__csv_close(c);
}

/* ---- files, gzip, fatal errors ---------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void write_gz(const char *path, const void *data, size_t n)
{
	gzFile gz = gzopen(path, "wb");
	cr_assert_not_null(gz);
	cr_assert_eq(gzwrite(gz, data, (unsigned)n), (int)n);
	cr_assert_eq(gzclose(gz), Z_OK);
}

static char *tmp_path(const char *suffix)
{
	char tmpl[] = "/tmp/remit-csv-XXXXXX";
	int fd = mkstemp(tmpl);
	cr_assert_geq(fd, 0);
	close(fd);
	unlink(tmpl);
	char *p = malloc(strlen(tmpl) + strlen(suffix) + 1);
	sprintf(p, "%s%s", tmpl, suffix);
	return p;
}

/* Read every record of two readers in step; they must agree exactly. */
static uint64_t same_records(remit__csv *a, remit__csv *b)
{
	remit__csv_record ra, rb;
	remit_error err = {0};
	uint64_t n = 0;
	int ka, kb;

	while ((ka = remit__csv_next(a, &ra, &err)) == 1) {
		kb = remit__csv_next(b, &rb, &err);
		cr_assert_eq(kb, 1, "record %llu: %s", (unsigned long long)n, err.message);
		cr_assert_eq(ra.line, rb.line);
		cr_assert_eq(ra.nfields, rb.nfields);
		cr_assert(remit__str_same(ra.raw, rb.raw));
		cr_assert_eq(ra.error, rb.error);
		for (uint32_t i = 0; i < ra.nfields; i++) {
			cr_assert(remit__str_same(ra.fields[i], rb.fields[i]));
			uint64_t la, lb;
			uint32_t ca, cb;
			remit__csv_field_pos(&ra, i, &la, &ca);
			remit__csv_field_pos(&rb, i, &lb, &cb);
			cr_assert_eq(la, lb);
			cr_assert_eq(ca, cb);
		}
		n++;
	}
	cr_assert_eq(ka, 0, "%s", err.message);
	cr_assert_eq(remit__csv_next(b, &rb, &err), 0);
	return n;
}

Test(csv, fixture_file_reads_like_memory)
{
	size_t n;
	char *text = slurp(FIX "sample.csv", &n);
	remit__csv *a = open_path(FIX "sample.csv");
	remit__csv *b = open_mem_n(text, n);

	cr_assert_eq(remit__csv_bytes_total(a), n);
	cr_assert_eq(same_records(a, b), 5);
	cr_assert_eq(remit__csv_bytes_done(a), n);
	cr_assert_eq(remit__csv_bytes_done(b), n);
	cr_assert_str_eq(remit__csv_name(a), FIX "sample.csv");
	remit__csv_close(a);
	remit__csv_close(b);
	free(text);
}

Test(csv, gzip_fixture_equals_plain)
{
	remit__csv *a = open_path(FIX "sample.csv");
	remit__csv *b = open_path(FIX "sample.csv.gz");

	cr_assert_eq(same_records(a, b), 5);
	cr_assert_eq(remit__csv_bytes_done(b), remit__csv_bytes_total(b));
	remit__csv_close(a);
	remit__csv_close(b);
}

Test(csv, gzip_in_memory_and_concatenated_members)
{
	size_t n, gn;
	char *text = slurp(FIX "sample.csv", &n);
	char *gz = slurp(FIX "sample.csv.gz", &gn);
	char *two = malloc(2 * gn), *twice = malloc(2 * n);

	memcpy(two, gz, gn);
	memcpy(two + gn, gz, gn);
	memcpy(twice, text, n);
	memcpy(twice + n, text, n);
	remit__csv *a = open_mem_n(twice, 2 * n);
	remit__csv *b = open_mem_n(two, 2 * gn);
	/* the fixture ends without a line end: its last record and the
	 * second copy's header run together, so 5 + 5 - 1 records */
	cr_assert_eq(same_records(a, b), 9);
	remit__csv_close(a);
	remit__csv_close(b);
	free(text);
	free(gz);
	free(two);
	free(twice);
}

Test(csv, truncated_gzip_is_fatal)
{
	size_t gn;
	char *gz = slurp(FIX "sample.csv.gz", &gn);
	char *path = tmp_path(".csv.gz");
	remit__csv_record r;
	remit_error err = {0};
	int rc;

	write_file(path, gz, gn - 10);
	remit__csv *c = open_path(path);
	while ((rc = remit__csv_next(c, &r, &err)) == 1)
		;
	cr_assert_eq(rc, REMIT_EDATA);
	cr_assert_eq(err.status, REMIT_EDATA);
	cr_assert_str_eq(err.message, "truncated gzip stream");
	cr_assert_str_eq(err.file, path);
	/* the failure is sticky */
	memset(&err, 0, sizeof(err));
	cr_assert_eq(remit__csv_next(c, &r, &err), REMIT_EDATA);
	cr_assert_str_eq(err.message, "truncated gzip stream");
	remit__csv_close(c);
	unlink(path);
	free(path);
	free(gz);
}

Test(csv, corrupt_gzip_is_fatal)
{
	size_t gn;
	char *gz = slurp(FIX "sample.csv.gz", &gn);
	remit__csv_record r;
	remit_error err = {0};
	int rc;

	gz[3] = (char)0xe0; /* reserved header flag bits */
	remit__csv *c = open_mem_n(gz, gn);
	while ((rc = remit__csv_next(c, &r, &err)) == 1)
		;
	cr_assert_eq(rc, REMIT_EDATA);
	cr_assert_str_eq(err.message, "corrupt gzip stream: unknown header flags set");
	remit__csv_close(c);
	free(gz);
}

Test(csv, missing_file)
{
	remit__csv *c = (remit__csv *)1;
	remit_error err = {0};

	cr_assert_eq(remit__csv_open(FIX "no-such-file.csv", &c, &err), REMIT_EDATA);
	cr_assert_null(c);
	cr_assert_eq(err.status, REMIT_EDATA);
	cr_assert_str_eq(err.file, FIX "no-such-file.csv");
	cr_assert_str_eq(err.message, "cannot open: No such file or directory");
}

Test(csv, directory_is_refused)
{
	remit__csv *c = NULL;
	remit_error err = {0};

	cr_assert_eq(remit__csv_open(FIX, &c, &err), REMIT_EDATA);
	cr_assert_str_eq(err.message, "cannot open: Is a directory");
}

/* A field of 3 MiB, plain and quoted with escapes, is read whole although
 * the window starts at 1 MiB. */
Test(csv, field_longer_than_window)
{
	const size_t big = 3u << 20;
	char *text = malloc(2 * big + 64), *p = text;

	p += sprintf(p, "id,blob\n1,");
	for (size_t i = 0; i < big; i++)
		*p++ = (char)('a' + i % 26);
	p += sprintf(p, "\n2,\"");
	for (size_t i = 0; i < big / 2; i++) {
		*p++ = i % 1000 == 999 ? '"' : 'q';
		if (i % 1000 == 999)
			*p++ = '"';
	}
	p += sprintf(p, "\"\n3,z\n");
	*p = '\0';

	char *path = tmp_path(".csv");
	write_file(path, text, (size_t)(p - text));
	remit__csv *sources[2] = {open_mem_n(text, (size_t)(p - text)), open_path(path)};
	for (int k = 0; k < 2; k++) {
		remit__csv *c = sources[k];
		remit__csv_record r;
		next_ok(c, &r);
		next_ok(c, &r);
		cr_assert_eq(r.line, 2);
		cr_assert_eq(r.fields[1].n, big);
		for (size_t i = 0; i < big; i++)
			cr_assert_eq(r.fields[1].p[i], (char)('a' + i % 26), "byte %zu", i);
		next_ok(c, &r);
		cr_assert_eq(r.line, 3);
		cr_assert_null(r.error);
		cr_assert_eq(r.fields[1].n, big / 2);
		for (size_t i = 0; i < big / 2; i++)
			cr_assert_eq(r.fields[1].p[i], i % 1000 == 999 ? '"' : 'q', "byte %zu", i);
		cr_assert_eq(r.raw.n, 2 + 2 + big / 2 + big / 2000);
		next_ok(c, &r);
		cr_assert_eq(r.line, 4);
		field_is(&r, 1, "z");
		at_eof(c);
		remit__csv_close(c);
	}
	unlink(path);
	free(path);
	free(text);
}

/* Field j of record i of the generated file: a mix of plain text, quoted
 * text with commas, "" escapes, embedded newlines, UTF-8 and empties, of
 * lengths that make records straddle every refill boundary. */
static size_t gen_value(uint64_t i, int j, char *out)
{
	uint64_t h = (i * 2654435761u + (uint64_t)j * 40503u) % 1009;
	size_t n = 0;

	switch (h % 7) {
	case 0:
		return 0;
	case 1:
		n = (size_t)sprintf(out, "row%llu", (unsigned long long)i);
		break;
	case 2:
		n = (size_t)sprintf(out, "a,b \"%llu\"", (unsigned long long)h);
		break;
	case 3:
		n = (size_t)sprintf(out, "line\nbreak %d\r\nend", j);
		break;
	case 4:
		n = (size_t)sprintf(out, "caf\xc3\xa9 %llu", (unsigned long long)(h * i));
		break;
	default:
		memset(out, 'x', h % 97 + 1);
		n = h % 97 + 1;
	}
	return n;
}

static bool needs_quotes(const char *v, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (v[k] == ',' || v[k] == '"' || v[k] == '\n' || v[k] == '\r')
			return true;
	return false;
}

static size_t newlines(const char *v, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += v[i] == '\n';
	return k;
}

#define GEN_ROWS 60000
#define GEN_COLS 6

static char *gen_file(size_t *len)
{
	size_t cap = 64u << 20, n = 0;
	char *text = malloc(cap), v[256];

	for (uint64_t i = 0; i < GEN_ROWS; i++) {
		for (int j = 0; j < GEN_COLS; j++) {
			size_t k = gen_value(i, j, v);
			if (j)
				text[n++] = ',';
			if (!needs_quotes(v, k)) {
				memcpy(text + n, v, k);
				n += k;
				continue;
			}
			text[n++] = '"';
			for (size_t m = 0; m < k; m++) {
				if (v[m] == '"')
					text[n++] = '"';
				text[n++] = v[m];
			}
			text[n++] = '"';
		}
		n += (size_t)sprintf(text + n, i % 3 ? "\n" : "\r\n");
	}
	cr_assert_lt(n, cap);
	*len = n;
	return text;
}

static void check_generated(remit__csv *c)
{
	remit__csv_record r;
	uint64_t line = 1;
	char v[256];

	for (uint64_t i = 0; i < GEN_ROWS; i++) {
		next_ok(c, &r);
		cr_assert_eq(r.line, line, "row %llu", (unsigned long long)i);
		cr_assert_null(r.error, "row %llu: %s", (unsigned long long)i, r.error);
		cr_assert_eq(r.nfields, GEN_COLS);
		for (int j = 0; j < GEN_COLS; j++) {
			size_t k = gen_value(i, j, v);
			cr_assert(r.fields[j].n == k && memcmp(r.fields[j].p, v, k) == 0,
				  "row %llu field %d", (unsigned long long)i, j);
			uint64_t l;
			uint32_t col;
			remit__csv_field_pos(&r, (uint32_t)j, &l, &col);
			cr_assert_eq(l, line);
			line += newlines(v, k);
		}
		line++;
	}
	at_eof(c);
	cr_assert_eq(remit__csv_bytes_done(c), remit__csv_bytes_total(c));
}

Test(csv, many_records_across_refills)
{
	size_t n;
	char *text = gen_file(&n);
	char *path = tmp_path(".csv"), *gzpath = tmp_path(".csv.gz");

	cr_assert_gt(n, 4u << 20, "the file must span several windows");
	write_file(path, text, n);
	write_gz(gzpath, text, n);

	remit__csv *c = open_mem_n(text, n);
	check_generated(c);
	remit__csv_close(c);
	c = open_path(path);
	cr_assert_eq(remit__csv_bytes_total(c), n);
	check_generated(c);
	remit__csv_close(c);
	c = open_path(gzpath);
	check_generated(c);
	remit__csv_close(c);

	unlink(path);
	unlink(gzpath);
	free(path);
	free(gzpath);
	free(text);
}

/* "a,,,...,\nb\n": a record of nfields fields (all but the first empty). */
static char *fields_line(int nfields)
{
	char *text = malloc((size_t)nfields + 8), *p = text;

	*p++ = 'a';
	for (int i = 1; i < nfields; i++)
		*p++ = ',';
	strcpy(p, "\nb\n");
	return text;
}

Test(csv, field_limit)
{
	char *ok = fields_line(REMIT__CSV_MAX_FIELDS), *bad = fields_line(REMIT__CSV_MAX_FIELDS + 1);
	remit__csv_record r;
	remit_error err = {0};

	remit__csv *c = open_mem(ok);
	next_ok(c, &r);
	cr_assert_eq(r.nfields, REMIT__CSV_MAX_FIELDS);
	next_ok(c, &r);
	remit__csv_close(c);

	c = open_mem(bad);
	cr_assert_eq(remit__csv_next(c, &r, &err), REMIT_EDATA);
	cr_assert_str_eq(err.message, "too many fields: more than 1024");
	cr_assert_eq(err.line, 1);
	cr_assert_eq(err.column, REMIT__CSV_MAX_FIELDS + 2);
	cr_assert_str_eq(err.file, "t.csv");
	remit__csv_close(c);
	free(ok);
	free(bad);
}

/* A header, then a second record past the limit: refused, at line 2.
 * Closes c. */
static void second_record_too_long(remit__csv *c)
{
	remit__csv_record r;
	remit_error err = {0};
	next_ok(c, &r);
	cr_assert_eq(remit__csv_next(c, &r, &err), REMIT_EDATA);
	cr_assert_str_eq(err.message, "record too long: more than 67108864 bytes");
	cr_assert_eq(err.line, 2);
	remit__csv_close(c);
}

Test(csv, record_too_long)
{
	size_t n = REMIT__CSV_MAX_RECORD + 16;
	char *text = malloc(n);

	memcpy(text, "a,b\n", 4);
	memset(text + 4, 'x', n - 4);
	second_record_too_long(open_mem_n(text, n));
	free(text);
}

/* Quotes, escapes, CRLF and multi-byte UTF-8 placed at every offset around
 * the first refill of the window (after the first 256 KiB read), so each
 * byte of them is at some point the last byte in the window. */
Test(csv, tricky_bytes_at_every_refill_offset)
{
	static const char tail[] = "\"a\"\"b\",c\r\n\"x\xe2\x82\xacy\",\"\"\r\nq\r";
	const size_t at = 256u << 10;
	char *text = malloc(at + 64 + sizeof(tail));

	for (size_t pad = at - 24; pad <= at + 2; pad++) {
		remit__csv_record r;
		memset(text, 'p', pad - 1);
		text[pad - 1] = '\n';
		memcpy(text + pad, tail, sizeof(tail) - 1);
		remit__csv *c = open_mem_n(text, pad + sizeof(tail) - 1);
		next_ok(c, &r);
		cr_assert_eq(r.fields[0].n, pad - 1);
		next_ok(c, &r);
		cr_assert_null(r.error, "pad %zu: %s", pad, r.error);
		cr_assert_eq(r.line, 2);
		cr_assert_eq(r.nfields, 2);
		field_is(&r, 0, "a\"b");
		field_is(&r, 1, "c");
		pos_is(&r, 1, 2, 8);
		next_ok(c, &r);
		cr_assert_null(r.error, "pad %zu: %s", pad, r.error);
		cr_assert_eq(r.line, 3);
		field_is(&r, 0, "x\xe2\x82\xacy");
		field_is(&r, 1, "");
		pos_is(&r, 1, 3, 9); /* "x€y" is 7 bytes */
		next_ok(c, &r);
		cr_assert_eq(r.line, 4);
		cr_assert_eq(r.nfields, 1);
		field_is(&r, 0, "q");
		at_eof(c);
		remit__csv_close(c);
	}
	free(text);
}

/* The fast scan, in blocks of 64 bytes (where the processor has AVX2) and
 * of 16, against the byte scanner alone: random records of plain fields
 * (empty, short, longer than a block), with now and then a quote, a CR, a
 * CRLF, a blank line, a byte ≥ 0x80 or a NUL, must read the same. */
static uint64_t scan_rnd = 0x2545f4914f6cdd1dull;

static unsigned scan_below(unsigned n)
{
	scan_rnd ^= scan_rnd << 13;
	scan_rnd ^= scan_rnd >> 7;
	scan_rnd ^= scan_rnd << 17;
	return (unsigned)(scan_rnd % n);
}

/* A random record of `fields` fields at text + *n: each field's length
 * from len_below(), its bytes digits and letters but 1 in `rare` from odd;
 * LF or CRLF at the end. */
static void random_record(char *text, size_t *n, unsigned fields, unsigned (*len_below)(void),
			  const char *odd, size_t nodd, unsigned rare)
{
	for (unsigned f = 0; f < fields; f++) {
		unsigned len = len_below();
		for (unsigned i = 0; i < len; i++)
			text[(*n)++] = scan_below(rare) ? (char)('0' + scan_below(75))
							: odd[scan_below((unsigned)nodd)];
		if (f + 1 < fields)
			text[(*n)++] = ',';
	}
	if (scan_below(3) == 0)
		text[(*n)++] = '\r';
	text[(*n)++] = '\n';
}

/* Mostly short fields, now and then long ones. */
static unsigned mixed_len(void)
{
	return scan_below(4) ? scan_below(12) : scan_below(140);
}

static unsigned short_len(void)
{
	return scan_below(10);
}

static unsigned no_len(void)
{
	return 0;
}

static void same_record(const remit__csv_record *a, const remit__csv_record *b, unsigned width,
			int k)
{
	cr_assert_eq(a->nfields, b->nfields, "width %u record %d", width, k);
	cr_assert_eq(a->line, b->line, "width %u record %d", width, k);
	cr_assert_eq(a->offset, b->offset, "width %u record %d", width, k);
	cr_assert(a->raw.n == b->raw.n && memcmp(a->raw.p, b->raw.p, a->raw.n) == 0,
		  "width %u record %d", width, k);
	cr_assert((a->error == NULL) == (b->error == NULL), "width %u record %d", width, k);
	if (a->error)
		cr_assert_str_eq(a->error, b->error, "width %u record %d", width, k);
	for (uint32_t i = 0; i < a->nfields; i++) {
		uint64_t la, lb;
		uint32_t ca, cb;
		cr_assert(a->fields[i].n == b->fields[i].n &&
				  memcmp(a->fields[i].p, b->fields[i].p, a->fields[i].n) == 0,
			  "width %u record %d field %u", width, k, i);
		remit__csv_field_pos(a, i, &la, &ca);
		remit__csv_field_pos(b, i, &lb, &cb);
		cr_assert(la == lb && ca == cb, "width %u record %d field %u", width, k, i);
	}
}

Test(csv, every_scan_width_reads_alike)
{
	enum { RECORDS = 20000 };
	static const char odd[] = {'"', '\r', '\n', '\x80', '\0', 'a'};
	char *text = malloc((size_t)RECORDS * 600);
	size_t n = 0;
	for (int k = 0; k < RECORDS; k++) {
		unsigned fields = 1 + scan_below(scan_below(4) ? 12 : 80);
		random_record(text, &n, fields, mixed_len, odd, sizeof odd, 200);
		if (scan_below(50) == 0)
			text[n++] = '\n';
	}
	unsigned widths[] = {64, 16};
	for (int w = 0; w < 2; w++) {
		remit__csv *fast = open_mem_n(text, n), *bytes = open_mem_n(text, n);
		unsigned width = remit__csv_set_scan(fast, widths[w]);
		cr_assert_eq(remit__csv_set_scan(bytes, 0), 0);
		cr_assert(width == widths[w] || (widths[w] == 64 && width == 16),
			  "width %u for %u", width, widths[w]);
		int k = 0;
		for (;; k++) {
			remit__csv_record a, b;
			remit_error ea = {0}, eb = {0};
			int ra = remit__csv_next(fast, &a, &ea), rb = remit__csv_next(bytes, &b, &eb);
			cr_assert_eq(ra, rb, "width %u record %d: %s / %s", width, k, ea.message,
				     eb.message);
			if (ra <= 0)
				break;
			same_record(&a, &b, width, k);
		}
		cr_assert_gt(k, RECORDS / 2);
		remit__csv_close(fast);
		remit__csv_close(bytes);
	}
	free(text);
}

/* ---- the sink ---------------------------------------------------------- */

Test(csv, a_sink_takes_plain_records_of_its_width)
{
	const char *text = "a,bb,\n"          /* plain, 3 fields: sunk */
			   "x,y\n"            /* 2 fields: as usual */
			   "p,\"q\",r\n"      /* quoted: as usual */
			   "1,22,333,4444\n"  /* 4 fields: as usual */
			   ",,\r\n";          /* plain, CRLF, all empty: sunk */
	remit__csv *c = open_mem(text);
	remit__str place[3];
	remit__str *dst[3] = {&place[0], &place[1], &place[2]};
	cr_assert_eq(remit__csv_set_sink(c, dst, 3), 0);
	remit__csv_record r;

	next_ok(c, &r);
	cr_assert_null(r.fields);
	cr_assert_eq(r.nfields, 3);
	raw_is(&r, "a,bb,");
	cr_assert(place[0].n == 1 && place[0].p == r.raw.p);
	cr_assert(place[1].n == 2 && place[1].p == r.raw.p + 2);
	cr_assert(place[2].n == 0 && place[2].p == r.raw.p + 5);

	next_ok(c, &r);
	cr_assert_not_null(r.fields);
	cr_assert_eq(r.nfields, 2);
	field_is(&r, 1, "y");
	next_ok(c, &r);
	cr_assert_not_null(r.fields);
	field_is(&r, 1, "q");
	next_ok(c, &r);
	cr_assert_not_null(r.fields);
	cr_assert_eq(r.nfields, 4);
	field_is(&r, 3, "4444");

	next_ok(c, &r);
	cr_assert_null(r.fields);
	cr_assert_eq(r.line, 5);
	cr_assert(place[0].n == 0 && place[1].n == 0 && place[2].n == 0);
	cr_assert(place[2].p == r.raw.p + 2);
	at_eof(c);

	cr_assert_eq(remit__csv_set_sink(c, NULL, 0), 0); /* removed: no effect at the end */
	remit__csv_close(c);
}

/* With a sink of 12, records of 12 plain fields land in it and every other
 * comes as usual; either way the fields are the byte scanner's.  Now and
 * then a record is only commas, so that one block finds up to 64 fields
 * past the sink's 12 (its spare places). */
Test(csv, a_sink_reads_like_the_byte_scanner)
{
	enum { RECORDS = 20000, WIDE = 12 };
	static const char odd[] = {'"', '\r', '\x80', '\0'};
	char *text = malloc((size_t)RECORDS * 200);
	size_t n = 0;
	for (int k = 0; k < RECORDS; k++) {
		unsigned fields = scan_below(4) ? WIDE : 1 + scan_below(2 * WIDE);
		if (scan_below(16) == 0)
			random_record(text, &n, 1 + scan_below(100), no_len, odd, sizeof odd, 300);
		else
			random_record(text, &n, fields, short_len, odd, sizeof odd, 300);
	}
	unsigned widths[] = {64, 16};
	for (int w = 0; w < 2; w++) {
		remit__csv *fast = open_mem_n(text, n), *bytes = open_mem_n(text, n);
		unsigned width = remit__csv_set_scan(fast, widths[w]);
		remit__csv_set_scan(bytes, 0);
		remit__str place[WIDE];
		remit__str *dst[WIDE];
		for (int i = 0; i < WIDE; i++)
			dst[i] = &place[i];
		cr_assert_eq(remit__csv_set_sink(fast, dst, WIDE), 0);
		int k = 0, sunk = 0;
		for (;; k++) {
			remit__csv_record a, b;
			remit_error ea = {0}, eb = {0};
			int ra = remit__csv_next(fast, &a, &ea), rb = remit__csv_next(bytes, &b, &eb);
			cr_assert_eq(ra, rb, "width %u record %d", width, k);
			if (ra <= 0)
				break;
			if (a.fields) {
				same_record(&a, &b, width, k);
				continue;
			}
			sunk++;
			cr_assert(b.nfields == WIDE && a.nfields == WIDE && !b.error && a.line == b.line,
				  "width %u record %d", width, k);
			for (uint32_t i = 0; i < WIDE; i++) {
				uint64_t line;
				uint32_t col;
				remit__csv_field_pos(&b, i, &line, &col);
				cr_assert(place[i].n == b.fields[i].n &&
						  memcmp(place[i].p, b.fields[i].p, place[i].n) == 0 &&
						  (uint32_t)(place[i].p - a.raw.p) + 1 == col,
					  "width %u record %d field %u", width, k, i);
			}
		}
		cr_assert_gt(sunk, RECORDS * 2 / 5, "width %u: %d sunk", width, sunk);
		cr_assert_lt(sunk, k - RECORDS / 10, "width %u: %d sunk of %d", width, sunk, k);
		remit__csv_close(fast);
		remit__csv_close(bytes);
	}
	free(text);
}

/* ---- a mapped file (remit__csv_open maps a plain regular file) ---------- */

static remit__csv *open_how(const char *path, bool map)
{
	remit__csv *c = NULL;
	remit_error err = {0};
	int rc = remit__csv_open_how(path, map, &c, &err);
	cr_assert_eq(rc, 0, "open %s: %s", path, err.message);
	return c;
}

/* text (n bytes) written to a file reads alike mapped and through the
 * window: the same records, positions, errors and progress. */
static void mapped_like_window(const char *text, size_t n)
{
	char *path = tmp_path(".csv");
	write_file(path, text, n);
	remit__csv *a = open_how(path, true), *b = open_how(path, false);
	same_records(a, b);
	cr_assert_eq(remit__csv_bytes_done(a), n);
	cr_assert_eq(remit__csv_bytes_done(b), n);
	cr_assert_eq(remit__csv_bytes_total(a), n);
	remit__csv_close(a);
	remit__csv_close(b);
	unlink(path);
	free(path);
}

/* The tokenizer's hard cases, and files that end exactly at a page's end
 * (the sentinel is then the first byte of the zero pages after the file)
 * or just before or after it, in a quoted field, a CR or a plain field. */
Test(csv, a_mapped_file_reads_like_the_window)
{
	static const char *const texts[] = {
		"\357\273\277a,b\r\n\"x,\"\"y\"\"\",2\n\n\"multi\nline\",3\r\nlast,4",
		"a,\"b\nc\",\"d\"\"\"\r\n,,\n\"unterminated,5\n",
		"a,b\nq\"x,1\n\"t\"junk,2\n\xff\xfe,4\n",
		"only",
	};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
		mapped_like_window(texts[i], strlen(texts[i]));
	mapped_like_window("a,b\nnul\0here,3\n", 15); /* a NUL byte within */
	for (size_t n = 4093; n <= 4099; n++) {
		char *t = malloc(n);
		for (size_t j = 0; j < n; j++)
			t[j] = j % 17 == 16 ? '\n' : j % 5 == 4 ? ',' : (char)('a' + j % 26);
		mapped_like_window(t, n); /* ends in a plain field */
		t[n - 1] = '\r';
		mapped_like_window(t, n); /* ends in a CR */
		t[n - 8] = '\n', t[n - 7] = '"';
		memset(t + n - 6, 'q', 6);
		mapped_like_window(t, n); /* ends in an unterminated quoted field */
		free(t);
	}
}

/* 20 MiB of records: pages are let go behind the reader as it goes, and a clone reads from a guessed offset in the middle as a
 * clone of the window reader does. */
Test(csv, a_large_mapped_file_and_its_parts)
{
	size_t cap = 20u << 20, n = 0;
	char *t = malloc(cap + 64);
	for (uint64_t i = 0; n < cap; i++)
		n += (size_t)sprintf(t + n, "%llu,\"p%llu\",%s\n", (unsigned long long)i,
				     (unsigned long long)i * 7919 % 100003, i % 3 ? "EL" : "\"N,E\"");
	mapped_like_window(t, n);

	char *path = tmp_path(".csv");
	write_file(path, t, n);
	remit__csv *a = open_how(path, true), *b = open_how(path, false);
	remit__csv *ka = remit__csv_clone(a, 0), *kb = remit__csv_clone(b, 0);
	remit_error err = {0};
	cr_assert_eq(remit__csv_seek(ka, n / 2, n / 2 + (3u << 20), false, 1, &err), 0);
	cr_assert_eq(remit__csv_seek(kb, n / 2, n / 2 + (3u << 20), false, 1, &err), 0);
	cr_assert_gt(same_records(ka, kb), 100000);
	uint64_t oa, ob, la, lb;
	remit__csv_tell(ka, &oa, &la);
	remit__csv_tell(kb, &ob, &lb);
	cr_assert_eq(oa, ob);
	cr_assert_geq(oa, n / 2 + (3u << 20));
	remit__csv_close(a); /* the clone keeps the mapping */
	cr_assert_eq(remit__csv_seek(ka, 0, UINT64_MAX, true, 1, &err), 0);
	cr_assert_eq(remit__csv_seek(kb, 0, UINT64_MAX, true, 1, &err), 0);
	same_records(ka, kb);
	remit__csv_close(ka);
	remit__csv_close(kb);
	remit__csv_close(b);
	unlink(path);
	free(path);
	free(t);
}

/* A mapped file's record over the limit is refused as the window's is,
 * plain and quoted with escapes (the unescaped text would not fit the
 * scratch buffer either). */
Test(csv, a_mapped_record_too_long)
{
	size_t n = REMIT__CSV_MAX_RECORD + 64;
	char *t = malloc(n);
	for (int quoted = 0; quoted < 2; quoted++) {
		memcpy(t, "a,b\n", 4);
		memset(t + 4, quoted ? '"' : 'x', n - 4); /* quoted: "" escapes after the opening quote */
		char *path = tmp_path(".csv");
		write_file(path, t, n - 1);
		second_record_too_long(open_how(path, true));
		unlink(path);
		free(path);
	}
	free(t);
}

/* Resident bytes of this process now (/proc/self/statm), 0 if unknown. */
static uint64_t resident(void)
{
	unsigned long size = 0, pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &pages) != 2)
		pages = 0;
	fclose(f);
	return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Reading a 40 MiB mapped file to its end leaves about two MAP_STEPs
 * (4 MiB each) of it resident, not the whole file. */
Test(csv, a_mapped_file_lets_go_of_what_it_has_read)
{
	size_t cap = 40u << 20, n = 0;
	char *t = malloc(cap + 64);
	for (uint64_t i = 0; n < cap; i++)
		n += (size_t)sprintf(t + n, "%llu,x%llu,y\n", (unsigned long long)i,
				     (unsigned long long)i * 31);
	char *path = tmp_path(".csv");
	write_file(path, t, n);
	uint64_t before = resident();
	cr_assert_gt(before, 0);
	remit__csv *c = open_how(path, true);
	remit__csv_record r;
	remit_error err = {0};
	uint64_t rows = 0;
	while (remit__csv_next(c, &r, &err) == 1)
		rows++;
	cr_assert_eq(remit__csv_bytes_done(c), n);
	uint64_t grew = resident() - before;
	cr_assert_lt(grew, 24u << 20, "%llu MiB of the file still resident",
		     (unsigned long long)(grew >> 20));
	remit__csv_close(c);
	unlink(path);
	free(path);
	free(t);
	cr_assert_gt(rows, 1000000);
}
