/*
 * support.h — small helpers shared by the Criterion tests: running the
 * CLI, temporary files, and a harness for pricing through the public API
 * that keeps everything a run reports (lines, notes, counts, totals) in
 * fixed buffers for the tests to inspect.
 */
#ifndef REMIT_TEST_SUPPORT_H
#define REMIT_TEST_SUPPORT_H

#include "remit.h"

#include <stddef.h>

/* Run the remit CLI (path from $REMIT_BIN) with a shell command line of
 * arguments; capture stdout and stderr (each NUL-terminated, caller frees)
 * and return the exit status (or -1 if it did not exit normally). */
int remit_test_run(const char *args, char **out, char **err);

/* The same with shell text put before the command: a pipe into it
 * ("cat x.csv |"). */
int remit_test_run_piped(const char *before, const char *args, char **out, char **err);

/* text[0, n) as one gzip member: the stream, *len bytes (caller frees). */
unsigned char *remit_test_gzip(const void *text, size_t n, size_t *len);
/* ... appended to *out (*len bytes so far; realloc'd). */
void remit_test_gzip_append(const void *text, size_t n, unsigned char **out, size_t *len);

/* What zlib inflates from the gzip bytes gz[0, n) in one call into room
 * for cap bytes: *got bytes, zlib's message (if any) in msg, and its
 * return code. */
int remit_test_inflate_once(const unsigned char *gz, size_t n, unsigned char *dst, size_t cap,
			    size_t *got, char *msg, size_t msgcap);

/* The 1-based line in which the text inflated from the first `cut` bytes
 * of gzip stream gz (at most n bytes of text) stops: where a reader of the
 * cut stream must report it. */
unsigned long remit_test_cut_line(const unsigned char *gz, size_t cut, size_t n);

/* Read a whole file (NUL-terminated, caller frees); NULL if unreadable. */
char *remit_test_slurp(const char *path);

/* Write text to a new temporary file with the given suffix; returns its
 * path (static storage per call site is not assumed: caller frees). */
char *remit_test_tmpfile(const char *suffix, const char *text);

/* A temporary CSV file of `header` followed by `rows`; returns its path
 * (caller unlinks and frees). */
char *remit_test_csv(const char *header, const char *rows);

/* ---- pricing through the public API ----------------------------------- */

#define REMIT_TEST_MAXL 256 /* lines, and notes of each kind, a run may give */
#define REMIT_TEST_MAXT 32  /* entries of each breakdown of the totals */

/* What a run gave: its lines (as the callback saw them), the unpriced
 * rows ("id: reason") and rejected rows ("id:line: reason"), the counts,
 * the total, and the breakdowns by payee, payer, module and kind. */
typedef struct remit_test_got {
	int n, unpriced, rejected;
	struct {
		char module[32], activity[64], patient[32], kind[32], payer[32], payee[32];
		char amount[64], basis[512];
		char comp[REMIT_C_COUNT][96];
	} line[REMIT_TEST_MAXL];
	char reasons[REMIT_TEST_MAXL][256];
	char rejects[REMIT_TEST_MAXL][256];
	remit_counts counts;
	char total[64];
	int balanced;
	struct {
		char name[64], amount[64];
	} by[4][REMIT_TEST_MAXT];
	size_t nby[4];
} remit_test_got;

/* A regime from text, `file` naming it in messages; fails the test if it
 * does not load. */
remit_regime *remit_test_load(const char *yaml, const char *file);

/* Price the activity file (with the population file, or NULL) under r,
 * into *g; fails the test if the run fails. */
void remit_test_price(remit_regime *r, const char *activity, const char *population,
		      remit_test_got *g);

/* The same without a line callback (g->n stays 0): no one reads the lines,
 * as for `remit price` without --lines, so modules may take quick paths. */
void remit_test_price_totals(remit_regime *r, const char *activity, const char *population,
			     remit_test_got *g);

/* An explanation's narration, one "\n"-ended line after another
 * (truncated when full). */
typedef struct remit_test_text {
	char buf[16384];
	size_t n;
} remit_test_text;

/* A remit_text_fn that appends to the remit_test_text ud. */
void remit_test_on_text(void *ud, const char *s);

#endif
