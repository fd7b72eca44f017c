/* support.c — helpers for the Criterion tests (see support.h). */
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

char *remit_test_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n < 2) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			} else
				buf = nb;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

char *remit_test_tmpfile(const char *suffix, const char *text)
{
	char tmpl[] = "/tmp/remit-test-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return NULL;
	close(fd);
	size_t n = strlen(tmpl) + strlen(suffix) + 1;
	char *path = malloc(n);
	snprintf(path, n, "%s%s", tmpl, suffix);
	rename(tmpl, path);
	FILE *f = fopen(path, "wb");
	if (!f) {
		free(path);
		return NULL;
	}
	fputs(text, f);
	fclose(f);
	return path;
}

int remit_test_run(const char *args, char **out, char **err)
{
	return remit_test_run_piped("", args, out, err);
}

int remit_test_run_piped(const char *before, const char *args, char **out, char **err)
{
	const char *bin = getenv("REMIT_BIN");
	if (!bin)
		bin = "remit";
	char o[] = "/tmp/remit-out-XXXXXX", e[] = "/tmp/remit-err-XXXXXX";
	int fo = mkstemp(o), fe = mkstemp(e);
	if (fo < 0 || fe < 0)
		return -1;
	close(fo);
	close(fe);
	size_t n = strlen(before) + strlen(bin) + strlen(args) + strlen(o) + strlen(e) + 32;
	char *cmd = malloc(n);
	snprintf(cmd, n, "%s '%s' %s >%s 2>%s", before, bin, args, o, e);
	int st = system(cmd);
	free(cmd);
	char *so = remit_test_slurp(o), *se = remit_test_slurp(e);
	unlink(o);
	unlink(e);
	if (out)
		*out = so;
	else
		free(so);
	if (err)
		*err = se;
	else
		free(se);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

void remit_test_gzip_append(const void *text, size_t n, unsigned char **out, size_t *len)
{
	z_stream z = {0};
	cr_assert_eq(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, (uLong)n);
	*out = realloc(*out, *len + cap);
	z.next_in = (unsigned char *)text;
	z.avail_in = (uInt)n;
	z.next_out = *out + *len;
	z.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	*len += cap - z.avail_out;
	deflateEnd(&z);
}

unsigned char *remit_test_gzip(const void *text, size_t n, size_t *len)
{
	unsigned char *gz = NULL;
	*len = 0;
	remit_test_gzip_append(text, n, &gz, len);
	return gz;
}

int remit_test_inflate_once(const unsigned char *gz, size_t n, unsigned char *dst, size_t cap,
			    size_t *got, char *msg, size_t msgcap)
{
	z_stream z = {0};
	cr_assert_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (unsigned char *)gz;
	z.avail_in = (uInt)n;
	z.next_out = dst;
	z.avail_out = (uInt)cap;
	int zr = inflate(&z, Z_NO_FLUSH);
	*got = cap - z.avail_out;
	snprintf(msg, msgcap, "%s", z.msg ? z.msg : "");
	inflateEnd(&z);
	return zr;
}

unsigned long remit_test_cut_line(const unsigned char *gz, size_t cut, size_t n)
{
	unsigned char *plain = malloc(n);
	size_t got;
	char msg[128];
	cr_assert_eq(remit_test_inflate_once(gz, cut, plain, n, &got, msg, sizeof msg), Z_OK);
	unsigned long line = 1;
	for (size_t i = 0; i < got; i++)
		line += plain[i] == '\n';
	free(plain);
	return line;
}

char *remit_test_csv(const char *header, const char *rows)
{
	size_t n = strlen(header) + strlen(rows) + 1;
	char *csv = malloc(n);
	snprintf(csv, n, "%s%s", header, rows);
	char *path = remit_test_tmpfile(".csv", csv);
	free(csv);
	return path;
}

/* ---- pricing through the public API ------------------------------------- */

static void on_line(void *ud, const remit_line *l)
{
	remit_test_got *g = ud;
	cr_assert(g->n < REMIT_TEST_MAXL);
	snprintf(g->line[g->n].module, 32, "%s", l->module);
	snprintf(g->line[g->n].activity, 64, "%s", l->activity);
	snprintf(g->line[g->n].patient, 32, "%s", l->patient);
	snprintf(g->line[g->n].kind, 32, "%s", l->kind);
	snprintf(g->line[g->n].payer, 32, "%s", l->payer);
	snprintf(g->line[g->n].payee, 32, "%s", l->payee);
	snprintf(g->line[g->n].amount, 64, "%s", l->amount);
	snprintf(g->line[g->n].basis, 512, "%s", l->basis);
	for (int c = 0; c < REMIT_C_COUNT; c++)
		snprintf(g->line[g->n].comp[c], 96, "%s", l->components[c]);
	g->n++;
}

static void on_unpriced(void *ud, const remit_row_note *n)
{
	remit_test_got *g = ud;
	cr_assert(g->unpriced < REMIT_TEST_MAXL);
	snprintf(g->reasons[g->unpriced++], 256, "%s: %s", n->activity, n->reason);
}

static void on_reject(void *ud, const remit_row_note *n)
{
	remit_test_got *g = ud;
	cr_assert(g->rejected < REMIT_TEST_MAXL);
	snprintf(g->rejects[g->rejected++], 256, "%s:%lu: %s", n->activity, n->line, n->reason);
}

remit_regime *remit_test_load(const char *yaml, const char *file)
{
	remit_regime *r;
	remit_error err;
	int rc = remit_regime_load_string(yaml, strlen(yaml), file, NULL, NULL, &r, &err);
	cr_assert_eq(rc, REMIT_OK, "regime: %s:%lu:%lu: %s", err.file, err.line, err.column,
		     err.message);
	return r;
}

/* The breakdowns of res's totals into g->by. */
static void keep_totals(const remit_result *res, remit_test_got *g)
{
	for (int k = 0; k < 4; k++) {
		g->nby[k] = remit_result_size(res, (remit_total_kind)k);
		cr_assert_leq(g->nby[k], REMIT_TEST_MAXT);
		for (size_t i = 0; i < g->nby[k]; i++) {
			const char *name, *amount;
			remit_result_entry(res, (remit_total_kind)k, i, &name, &amount);
			snprintf(g->by[k][i].name, 64, "%s", name);
			snprintf(g->by[k][i].amount, 64, "%s", amount);
		}
	}
}

static void price_with(remit_regime *r, const char *activity, const char *population,
		       remit_test_got *g, remit_line_fn lines)
{
	memset(g, 0, sizeof *g);
	remit_run_options opt = {
		.on_line = lines, .on_unpriced = on_unpriced, .on_reject = on_reject, .ud = g};
	remit_result *res;
	remit_error err;
	int rc = remit_price_file(r, activity, population, &opt, &res, &err);
	cr_assert_eq(rc, REMIT_OK, "price: %s", err.message);
	remit_result_counts(res, &g->counts);
	snprintf(g->total, sizeof g->total, "%s", remit_result_total(res));
	g->balanced = remit_result_balanced(res);
	keep_totals(res, g);
	remit_result_free(res);
}

void remit_test_price(remit_regime *r, const char *activity, const char *population,
		      remit_test_got *g)
{
	price_with(r, activity, population, g, on_line);
}

void remit_test_price_totals(remit_regime *r, const char *activity, const char *population,
			     remit_test_got *g)
{
	price_with(r, activity, population, g, NULL);
}

void remit_test_on_text(void *ud, const char *s)
{
	remit_test_text *t = ud;
	int k = snprintf(t->buf + t->n, sizeof t->buf - t->n, "%s\n", s);
	if (k > 0)
		t->n += (size_t)k < sizeof t->buf - t->n ? (size_t)k : sizeof t->buf - t->n - 1;
}
