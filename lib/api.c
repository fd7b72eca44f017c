/*
 * api.c — the embedding API over memory: pricing and explaining CSV text a
 * program holds, and the run handle that collects rows as the program
 * produces them (remit.h, "pricing from memory" and "feeding rows").
 *
 * Everything here opens memory readers (remit__reader_open_mem) and hands
 * them to the engine's one entry point, remit__run, exactly as the file
 * entry points do with file readers; no pricing logic lives here.  A run
 * handle keeps a copy of the CSV text fed to it (rows are encoded as RFC
 * 4180 records) and prices it at remit_run_finish: the engine needs the
 * whole input before any line is final (a per-patient pre-pass for
 * readmissions, a population read before activity), so lines cannot be
 * delivered as rows arrive without an engine entry point that takes rows
 * one at a time.
 */
#include "activity.h"
#include "engine.h"
#include "population.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACTIVITY_NAME "<activity>"
#define POPULATION_NAME "<population>"

int remit_version_number(void)
{
	return REMIT_VERSION_NUMBER;
}

static int usage(remit_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* REMIT_EUSAGE with its message in *err (if any). */
static int usage(remit_error *err, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return REMIT_EUSAGE;
	memset(err, 0, sizeof *err);
	err->status = REMIT_EUSAGE;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return REMIT_EUSAGE;
}

/* Open the buffers as readers and run.  population may be NULL; it is read
 * only when the regime has population budgets (as remit_price_file does). */
static int run_mem(const char *fn, const remit_regime *r, const char *act, size_t act_len,
		   const char *pop, size_t pop_len, const remit_run_options *opt,
		   remit_text_fn trace, void *trace_ud, const char *only_id, remit_result **out,
		   remit_error *err)
{
	remit__reader *rd = NULL, *prd = NULL;
	if (!pop && pop_len)
		return usage(err, "%s: population is NULL but population_len is %zu", fn, pop_len);
	if (remit__population_wanted(r) && !pop)
		return usage(err, "%s: regime \"%s\" has population budgets: give a population", fn,
			     r->name);
	/* an empty buffer still needs a valid pointer for the reader */
	int rc = remit__reader_open_mem(act_len ? act : "", act_len, ACTIVITY_NAME,
					&remit__activity_schema, &rd, err);
	if (rc < 0)
		return rc;
	if (pop && remit__population_wanted(r))
		rc = remit__reader_open_mem(pop_len ? pop : "", pop_len, POPULATION_NAME,
					    &remit__population_schema, &prd, err);
	if (rc == 0)
		rc = remit__run(r, rd, prd, opt, trace, trace_ud, only_id, out, err);
	remit__reader_close(prd);
	remit__reader_close(rd);
	return rc;
}

int remit_price_buffers(const remit_regime *r, const char *activity, size_t activity_len,
			const char *population, size_t population_len, const remit_run_options *opt,
			remit_result **out, remit_error *err)
{
	static const char fn[] = "remit_price_buffers";
	remit_error scratch;
	err = err ? err : &scratch;
	if (out)
		*out = NULL;
	if (!r)
		return usage(err, "%s: the regime is NULL", fn);
	if (!activity)
		return usage(err, "%s: the activity is NULL", fn);
	if (!out)
		return usage(err, "%s: out is NULL", fn);
	return run_mem(fn, r, activity, activity_len, population, population_len, opt, NULL, NULL,
		       NULL, out, err);
}

int remit_explain_buffers(const remit_regime *r, const char *activity, size_t activity_len,
			  const char *population, size_t population_len, const char *activity_id,
			  remit_text_fn out, void *ud, remit_error *err)
{
	static const char fn[] = "remit_explain_buffers";
	remit_error scratch;
	err = err ? err : &scratch;
	if (!r)
		return usage(err, "%s: the regime is NULL", fn);
	if (!activity)
		return usage(err, "%s: the activity is NULL", fn);
	if (!activity_id || !out)
		return usage(err, "%s: %s is NULL", fn, activity_id ? "out" : "activity_id");
	return run_mem(fn, r, activity, activity_len, population, population_len, NULL, out, ud,
		       activity_id, NULL, err);
}

/* ---- the run handle ---------------------------------------------------- */

typedef struct text {
	char *p;
	size_t n, cap;
	bool fed; /* something was appended (a population given, even empty) */
} text;

struct remit_run {
	const remit_regime *regime;
	remit_run_options opt;
	bool has_opt;
	bool finished;
	text activity, population;
};

static void text_add(text *t, const char *s, size_t n)
{
	t->fed = true;
	if (!n)
		return;
	if (t->cap - t->n < n) {
		size_t cap = t->cap ? t->cap : 4096;
		while (cap - t->n < n)
			cap *= 2;
		t->p = remit__xrealloc(t->p, cap);
		t->cap = cap;
	}
	memcpy(t->p + t->n, s, n);
	t->n += n;
}

/* One RFC 4180 record: a field holding a comma, quote or line end is
 * quoted, its quotes doubled. */
static void text_record(text *t, const char *const *fields, size_t n)
{
	if (t->n && t->p[t->n - 1] != '\n')
		text_add(t, "\n", 1); /* a CSV chunk fed before may lack its line end */
	for (size_t i = 0; i < n; i++) {
		const char *f = fields[i] ? fields[i] : "";
		if (i)
			text_add(t, ",", 1);
		if (!strpbrk(f, ",\"\r\n")) {
			text_add(t, f, strlen(f));
			continue;
		}
		text_add(t, "\"", 1);
		for (const char *q; (q = strchr(f, '"')); f = q + 1) {
			text_add(t, f, (size_t)(q - f) + 1);
			text_add(t, "\"", 1);
		}
		text_add(t, f, strlen(f));
		text_add(t, "\"", 1);
	}
	text_add(t, "\n", 1);
}

int remit_run_new(const remit_regime *r, const remit_run_options *opt, remit_run **out,
		  remit_error *err)
{
	if (out)
		*out = NULL;
	if (!r)
		return usage(err, "remit_run_new: the regime is NULL");
	if (!out)
		return usage(err, "remit_run_new: out is NULL");
	remit_run *run = remit__xcalloc(1, sizeof *run);
	run->regime = r;
	if (opt) {
		run->opt = *opt;
		run->has_opt = true;
	}
	*out = run;
	return REMIT_OK;
}

/* Checks common to the feeding functions. */
static int feedable(const char *fn, const remit_run *run, remit_error *err)
{
	if (!run)
		return usage(err, "%s: the run is NULL", fn);
	if (run->finished)
		return usage(err, "%s: the run is finished: it takes no more rows", fn);
	return REMIT_OK;
}

int remit_run_activity_csv(remit_run *run, const char *csv, size_t len, remit_error *err)
{
	int rc = feedable("remit_run_activity_csv", run, err);
	if (rc < 0)
		return rc;
	if (!csv && len)
		return usage(err, "remit_run_activity_csv: csv is NULL");
	text_add(&run->activity, csv, len);
	return REMIT_OK;
}

int remit_run_population_csv(remit_run *run, const char *csv, size_t len, remit_error *err)
{
	int rc = feedable("remit_run_population_csv", run, err);
	if (rc < 0)
		return rc;
	if (!csv && len)
		return usage(err, "remit_run_population_csv: csv is NULL");
	text_add(&run->population, csv, len);
	return REMIT_OK;
}

int remit_run_activity_row(remit_run *run, const char *const *fields, size_t n,
			   remit_error *err)
{
	int rc = feedable("remit_run_activity_row", run, err);
	if (rc < 0)
		return rc;
	if (!fields || !n)
		return usage(err, "remit_run_activity_row: no fields");
	text_record(&run->activity, fields, n);
	return REMIT_OK;
}

int remit_run_population_row(remit_run *run, const char *const *fields, size_t n,
			     remit_error *err)
{
	int rc = feedable("remit_run_population_row", run, err);
	if (rc < 0)
		return rc;
	if (!fields || !n)
		return usage(err, "remit_run_population_row: no fields");
	text_record(&run->population, fields, n);
	return REMIT_OK;
}

int remit_run_finish(remit_run *run, remit_result **out, remit_error *err)
{
	static const char fn[] = "remit_run_finish";
	remit_error scratch;
	err = err ? err : &scratch;
	if (out)
		*out = NULL;
	if (!run)
		return usage(err, "%s: the run is NULL", fn);
	if (!out)
		return usage(err, "%s: out is NULL", fn);
	if (run->finished)
		return usage(err, "%s: the run is already finished", fn);
	run->finished = true;
	return run_mem(fn, run->regime, run->activity.p, run->activity.n,
		       run->population.fed ? (run->population.p ? run->population.p : "") : NULL,
		       run->population.n, run->has_opt ? &run->opt : NULL, NULL, NULL, NULL, out,
		       err);
}

int remit_run_explain(remit_run *run, const char *activity_id, remit_text_fn out, void *ud,
		      remit_error *err)
{
	static const char fn[] = "remit_run_explain";
	remit_error scratch;
	err = err ? err : &scratch;
	if (!run)
		return usage(err, "%s: the run is NULL", fn);
	if (!activity_id || !out)
		return usage(err, "%s: %s is NULL", fn, activity_id ? "out" : "activity_id");
	return run_mem(fn, run->regime, run->activity.p, run->activity.n,
		       run->population.fed ? (run->population.p ? run->population.p : "") : NULL,
		       run->population.n, NULL, out, ud, activity_id, NULL, err);
}

void remit_run_free(remit_run *run)
{
	if (!run)
		return;
	free(run->activity.p);
	free(run->population.p);
	free(run);
}
