/*
 * engine.c — one run: read the activity, offer each row to the modules in
 * claim order, tally the lines, and let modules add organisation-level
 * lines at the end.
 *
 *   reader ──► [pre-pass: per-patient rows, if a module asks] ──► claim ──►
 *   module price ──► remit__emit ──► tallies (by payee, payer, module, kind)
 *                                    and the caller's line callback
 *
 * Nothing is lost: every data row ends as rejected, unpriced (with a
 * reason), priced, or covered, and the counts are checked to add up.
 * Totals are exact sums of rounded lines.
 */
#include "engine.h"

#include "activity.h"
#include "compare.h"
#include "patients.h"
#include "population.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A breakdown of money by name (payee, payer, module, kind). */
typedef struct tally {
	remit__strtab names;
	remit__sum *sums;
	uint32_t cap;
} tally;

struct remit__run {
	const remit_regime *regime;
	const remit_run_options *opt;
	remit__ctx cx;
	remit__strtab orgs, patients;
	bool observers; /* some module observes lines */
	tally by_payee, by_payer, by_module, by_kind;
	remit__sum total;
	remit_counts counts;
	uint64_t lines;
	const char *file;
	/* the row being priced, for the line callback */
	const remit__row *row;
	/* when comparing: where lines go, and the current row's payments */
	remit__cmp *cmp;
	size_t cmp_index;
	remit__sum row_sum;
	remit__str row_payee; /* payee of the row's activity line */
	bool row_overlap;
};

struct remit_result {
	remit_counts counts;
	uint64_t lines;
	bool balanced;
	char *total;
	struct {
		size_t n;
		char **names, **amounts;
	} by[4];
};

/* ---- tallies ---------------------------------------------------------- */

static void tally_add(tally *t, const char *s, size_t n, remit__num v, int scale)
{
	uint32_t id = remit__intern(&t->names, s, n);
	if (id >= t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		while (cap <= id)
			cap *= 2;
		t->sums = remit__xrealloc(t->sums, cap * sizeof *t->sums);
		memset(t->sums + t->cap, 0, (cap - t->cap) * sizeof *t->sums);
		t->cap = cap;
	}
	remit__sum_add(&t->sums[id], v, scale);
}

static void tally_free(tally *t)
{
	for (uint32_t i = 0; i < t->names.n; i++)
		remit__sum_clear(&t->sums[i]);
	free(t->sums);
	remit__strtab_free(&t->names);
}

/* The sum over all names (for the balance check). */
static void tally_total(const tally *t, remit__sum *out)
{
	for (uint32_t i = 0; i < t->names.n; i++)
		remit__sum_add_sum(out, &t->sums[i]);
}

/* ---- what modules call ------------------------------------------------ */

static void send_line(struct remit__run *run, const remit__pline *l)
{
	const remit_run_options *o = run->opt;
	remit__ctx *cx = &run->cx;
	char amount[REMIT__NUM_BUF], comp[REMIT_C_COUNT][REMIT__NUM_BUF];
	char payer[256], payee[256], patient[256], activity[256];
	remit_line out = {0};
	remit__num_format(l->amount, run->regime->scale, amount, sizeof amount);
	for (int c = 0; c < REMIT_C_COUNT; c++) {
		if (remit__num_sign(l->comp[c]) == 0)
			comp[c][0] = '\0';
		else
			remit__num_format_exact(l->comp[c], comp[c], sizeof comp[c]);
		out.components[c] = comp[c];
	}
	snprintf(payer, sizeof payer, "%.*s", (int)l->payer.n, l->payer.p);
	snprintf(payee, sizeof payee, "%.*s", (int)l->payee.n, l->payee.p);
	snprintf(patient, sizeof patient, "%.*s", (int)l->patient.n, l->patient.p);
	snprintf(activity, sizeof activity, "%.*s", (int)l->activity.n, l->activity.p);
	out.regime = run->regime->name;
	out.module = l->module->name;
	out.kind = l->kind;
	out.payer = payer;
	out.payee = payee;
	out.patient = patient;
	out.activity = activity;
	out.amount = amount;
	out.basis = l->basis ? l->basis : "";
	if (cx->trace)
		remit__trace(cx, "line: %s %s pays %s %s (%s)", out.kind, payer, payee, amount,
			     out.basis);
	if (o && o->on_line)
		o->on_line(o->ud, &out);
}

void remit__emit(remit__ctx *cx, const remit__pline *l)
{
	struct remit__run *run = cx->run;
	int scale = run->regime->scale;
	run->lines++;
	remit__sum_add(&run->total, l->amount, scale);
	tally_add(&run->by_payee, l->payee.p, l->payee.n, l->amount, scale);
	tally_add(&run->by_payer, l->payer.p, l->payer.n, l->amount, scale);
	tally_add(&run->by_module, l->module->name, strlen(l->module->name), l->amount, scale);
	tally_add(&run->by_kind, l->kind, strlen(l->kind), l->amount, scale);
	if (cx->trace || (run->opt && run->opt->on_line))
		send_line(run, l);
	if (run->cmp) {
		remit__cmp_line(run->cmp, run->cmp_index, l);
		if (run->row && l->activity.n) {
			remit__sum_add(&run->row_sum, l->amount, scale);
			if (!strcmp(l->kind, "activity"))
				run->row_payee = l->payee;
		}
	}
	if (run->observers && run->row && l->activity.n) {
		const remit_regime *r = run->regime;
		for (size_t i = 0; i < r->nmodules; i++)
			if (r->modules[i]->observes && r->modules[i]->type->observe)
				r->modules[i]->type->observe(r->modules[i], cx, run->row, l);
	}
}

uint32_t remit__org_id(remit__ctx *cx, remit__str name)
{
	return remit__intern(cx->orgs, name.p, name.n);
}

uint32_t remit__patient_find(const remit__ctx *cx, remit__str id)
{
	return remit__strtab_find(cx->patients, id.p, id.n);
}

void remit__pline_init(remit__pline *l, const remit__module *m, const char *kind)
{
	memset(l, 0, sizeof *l);
	for (int i = 0; i < REMIT_C_COUNT; i++)
		l->comp[i] = REMIT__NUM_ZERO;
	l->module = m;
	l->kind = kind;
	l->amount = REMIT__NUM_ZERO;
	l->payer.p = l->payee.p = l->patient.p = l->activity.p = l->pod.p = "";
}

remit__outcome remit__unpriced(remit__ctx *cx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cx->reason, sizeof cx->reason, fmt, ap);
	va_end(ap);
	return REMIT__UNPRICED;
}

void remit__trace(remit__ctx *cx, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cx->trace(cx->trace_ud, buf);
}

const char *remit__fmt(remit__ctx *cx, remit__num v)
{
	char *b = cx->fmt[cx->fmt_next++ % 8];
	remit__num_format_explain(v, 6, b, REMIT__NUM_BUF);
	return b;
}

const char *remit__fmt_money(remit__ctx *cx, remit__num v)
{
	char *b = cx->fmt[cx->fmt_next++ % 8];
	remit__num_format(v, cx->regime->scale, b, REMIT__NUM_BUF);
	return b;
}

remit__num remit__round_line(remit__ctx *cx, remit__num exact)
{
	return remit__num_round(cx->pool, exact, cx->regime->scale, cx->regime->mode);
}

/* ---- the run ---------------------------------------------------------- */

static struct remit__run *run_new(const remit_regime *r, const remit_run_options *opt)
{
	struct remit__run *run = remit__xcalloc(1, sizeof *run);
	run->regime = r;
	run->opt = opt;
	run->cx.regime = r;
	run->cx.pool = remit__numpool_new();
	run->cx.orgs = &run->orgs;
	run->cx.patients = &run->patients;
	run->cx.run = run;
	run->cx.state = remit__xcalloc(r->nmodules + 1, sizeof *run->cx.state);
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		if (m->type->run_begin)
			run->cx.state[i] = m->type->run_begin(m, &run->cx);
		run->observers |= m->observes;
	}
	return run;
}

static void run_free(struct remit__run *run)
{
	const remit_regime *r = run->regime;
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		if (m->type->run_end)
			m->type->run_end(m, run->cx.state[i]);
	}
	free(run->cx.state);
	remit__numpool_free(run->cx.pool);
	tally_free(&run->by_payee);
	tally_free(&run->by_payer);
	tally_free(&run->by_module);
	tally_free(&run->by_kind);
	remit__sum_clear(&run->total);
	remit__sum_clear(&run->row_sum);
	remit__strtab_free(&run->orgs);
	remit__strtab_free(&run->patients);
	free((void *)run->cx.pattr_map);
	free(run);
}

static void note(const remit_note_fn fn, void *ud, const char *file, uint64_t line,
		 uint32_t column, remit__str id, const char *reason, remit__str raw)
{
	char idbuf[256];
	snprintf(idbuf, sizeof idbuf, "%.*s", (int)id.n, id.p);
	char *rawz = remit__xmalloc(raw.n + 1);
	if (raw.n)
		memcpy(rawz, raw.p, raw.n);
	rawz[raw.n] = '\0';
	remit_row_note n = {file, line, column, idbuf, reason, rawz};
	fn(ud, &n);
	free(rawz);
}

static bool in_valid(const remit__module *m, int64_t start)
{
	return !m->has_valid || (start >= m->valid_from && start <= m->valid_to);
}

static bool claims(const remit__module *m, remit__ctx *cx, const remit__row *row,
		   const uint32_t *attr_map)
{
	if (!in_valid(m, row->f[REMIT__A_START].i))
		return false;
	if (m->type->claims)
		return m->type->claims(m, cx, row);
	return m->covers && remit__pred_eval(m->covers, row, attr_map);
}

/* Offer one valid row to the modules; returns the outcome and sets
 * cx->reason for unpriced rows. */
static remit__outcome offer(struct remit__run *run, const remit__row *row,
			    const uint32_t *attr_map)
{
	const remit_regime *r = run->regime;
	remit__ctx *cx = &run->cx;
	int64_t start = row->f[REMIT__A_START].i;
	if (r->has_period && (start < r->period_from || start > r->period_to)) {
		char a[11], b[11];
		remit__date_format(r->period_from, a);
		remit__date_format(r->period_to, b);
		REMIT__TRACE(cx, "start %.*s is outside the period %s to %s",
			     (int)row->f[REMIT__A_START].s.n, row->f[REMIT__A_START].s.p, a, b);
		return remit__unpriced(cx, "outside the period");
	}
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		if (!claims(m, cx, row, attr_map)) {
			if (cx->trace && !in_valid(m, start))
				remit__trace(cx, "module %s: start is outside its valid range", m->name);
			else
				REMIT__TRACE(cx, "module %s (%s): does not claim the row", m->name,
					     m->type->name);
			continue;
		}
		REMIT__TRACE(cx, "module %s (%s): claims the row", m->name, m->type->name);
		for (size_t j = i + 1; j < r->nmodules; j++) {
			const remit__module *later = r->modules[j];
			if (later->covers && in_valid(later, start) &&
			    remit__pred_eval(later->covers, row, attr_map)) {
				run->counts.overlaps++;
				run->row_overlap = true;
				REMIT__TRACE(cx, "module %s's scope also matches the row (an overlap)",
					     later->name);
			}
		}
		return m->type->price(m, cx, row);
	}
	return remit__unpriced(cx, "no module covers");
}

/* Read every row once; rejected rows are reported, valid ones priced. */
static int main_pass(struct remit__run *run, remit__reader *rd, const uint32_t *attr_map,
		     const char *only_id, bool *found, remit_error *err)
{
	const remit_run_options *o = run->opt;
	remit__ctx *cx = &run->cx;
	remit__row row;
	remit__reject rej;
	int rc;
	while ((rc = remit__reader_next(rd, cx->pool, &row, &rej, err)) > 0) {
		run->counts.read++;
		if (o && o->on_progress && (run->counts.read & 0xffff) == 0)
			o->on_progress(o->ud, remit__reader_bytes_done(rd),
				       remit__reader_bytes_total(rd), run->counts.read);
		if (rc == REMIT__READ_REJECT) {
			run->counts.rejected++;
			if (only_id && remit__str_eq(rej.id, only_id) && cx->trace)
				remit__trace(cx, "%s:%llu:%u: rejected: %s", rej.file,
					     (unsigned long long)rej.line, rej.column, rej.reason);
			if (o && o->on_reject)
				note(o->on_reject, o->ud, rej.file, rej.line, rej.column, rej.id,
				     rej.reason, rej.raw);
			continue;
		}
		if (only_id) {
			if (!remit__str_eq(row.f[REMIT__A_ID].s, only_id)) {
				remit__numpool_reset(cx->pool);
				continue;
			}
			*found = true;
		}
		run->row = &row;
		remit__outcome out = offer(run, &row, attr_map);
		run->row = NULL;
		remit__numpool_reset(cx->pool);
		switch (out) {
		case REMIT__PRICED:
			run->counts.priced++;
			break;
		case REMIT__COVERED:
			run->counts.covered++;
			break;
		case REMIT__UNPRICED:
			run->counts.unpriced++;
			REMIT__TRACE(cx, "unpriced: %s", cx->reason);
			if (o && o->on_unpriced) {
				remit__str raw = {NULL, 0};
				note(o->on_unpriced, o->ud, remit__reader_name(rd), row.line, 0,
				     row.f[REMIT__A_ID].s, cx->reason, raw);
			}
			break;
		}
		if (only_id)
			break;
	}
	if (o && o->on_progress)
		o->on_progress(o->ud, remit__reader_bytes_done(rd), remit__reader_bytes_total(rd),
			       run->counts.read);
	return rc < 0 ? rc : 0;
}

static void finish_modules(struct remit__run *run)
{
	const remit_regime *r = run->regime;
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		if (m->type->finish)
			m->type->finish(m, &run->cx);
		remit__numpool_reset(run->cx.pool);
	}
}

/* ---- results ---------------------------------------------------------- */

static int cmp_names(const void *a, const void *b, void *t)
{
	const remit__strtab *names = t;
	return strcmp(names->strs[*(const uint32_t *)a], names->strs[*(const uint32_t *)b]);
}

static void result_breakdown(struct remit_result *res, int k, const tally *t, int scale)
{
	size_t n = t->names.n;
	uint32_t *order = remit__xmalloc((n + 1) * sizeof *order);
	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof *order, cmp_names, (void *)&t->names);
	res->by[k].n = n;
	res->by[k].names = remit__xcalloc(n + 1, sizeof(char *));
	res->by[k].amounts = remit__xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		char buf[REMIT__NUM_BUF * 4];
		res->by[k].names[i] = strdup(t->names.strs[order[i]]);
		remit__sum_format(&t->sums[order[i]], scale, buf, sizeof buf);
		res->by[k].amounts[i] = strdup(buf);
	}
	free(order);
}

static struct remit_result *result_new(struct remit__run *run)
{
	int scale = run->regime->scale;
	struct remit_result *res = remit__xcalloc(1, sizeof *res);
	char buf[REMIT__NUM_BUF * 4];
	res->counts = run->counts;
	res->lines = run->lines;
	remit__sum_format(&run->total, scale, buf, sizeof buf);
	res->total = strdup(buf);
	result_breakdown(res, REMIT_BY_PAYEE, &run->by_payee, scale);
	result_breakdown(res, REMIT_BY_PAYER, &run->by_payer, scale);
	result_breakdown(res, REMIT_BY_MODULE, &run->by_module, scale);
	result_breakdown(res, REMIT_BY_KIND, &run->by_kind, scale);
	remit__sum payer = REMIT__SUM_INIT, payee = REMIT__SUM_INIT;
	tally_total(&run->by_payer, &payer);
	tally_total(&run->by_payee, &payee);
	const remit_counts *c = &run->counts;
	res->balanced = remit__sum_cmp(&payer, &run->total) == 0 &&
			remit__sum_cmp(&payee, &run->total) == 0 &&
			c->read == c->priced + c->covered + c->unpriced + c->rejected;
	remit__sum_clear(&payer);
	remit__sum_clear(&payee);
	return res;
}

void remit_result_free(remit_result *res)
{
	if (!res)
		return;
	for (int k = 0; k < 4; k++) {
		for (size_t i = 0; i < res->by[k].n; i++) {
			free(res->by[k].names[i]);
			free(res->by[k].amounts[i]);
		}
		free(res->by[k].names);
		free(res->by[k].amounts);
	}
	free(res->total);
	free(res);
}

void remit_result_counts(const remit_result *res, remit_counts *out)
{
	*out = res->counts;
}

const char *remit_result_total(const remit_result *res)
{
	return res->total;
}

size_t remit_result_size(const remit_result *res, remit_total_kind kind)
{
	return (unsigned)kind < 4 ? res->by[kind].n : 0;
}

int remit_result_entry(const remit_result *res, remit_total_kind kind, size_t i,
		       const char **name, const char **amount)
{
	if ((unsigned)kind >= 4 || i >= res->by[kind].n)
		return REMIT_EUSAGE;
	*name = res->by[kind].names[i];
	*amount = res->by[kind].amounts[i];
	return REMIT_OK;
}

uint64_t remit_result_lines(const remit_result *res)
{
	return res->lines;
}

int remit_result_balanced(const remit_result *res)
{
	return res->balanced;
}

/* ---- entry points ----------------------------------------------------- */

/* Match the regime's extra activity fields to the reader's columns. */
static int bind_activity(const remit_regime *r, remit__reader *rd, uint32_t **attr_map,
			 remit_error *err)
{
	uint32_t ncols;
	const remit__str *cols = remit__reader_attr_names(rd, &ncols);
	*attr_map = remit__xmalloc((r->attrs.n + 1) * sizeof **attr_map);
	int rc = remit__regime_bind(r, &remit__activity_schema, cols, ncols, remit__reader_name(rd),
				    *attr_map, NULL, NULL, err);
	if (rc < 0) {
		free(*attr_map);
		*attr_map = NULL;
	}
	return rc;
}

static bool needs_patients(const remit_regime *r)
{
	for (size_t i = 0; i < r->nmodules; i++)
		if (r->modules[i]->per_patient && r->modules[i]->type->scan)
			return true;
	return false;
}

static int usage(remit_error *err, const char *fmt, const char *arg)
{
	memset(err, 0, sizeof *err);
	err->status = REMIT_EUSAGE;
	snprintf(err->message, sizeof err->message, fmt, arg);
	return REMIT_EUSAGE;
}

int remit__run(const remit_regime *r, remit__reader *rd, remit__reader *population,
	       const remit_run_options *opt, remit_text_fn trace, void *trace_ud,
	       const char *only_id, remit_result **out, remit_error *err)
{
	uint32_t *attr_map;
	if (!r || !rd || (!out && !only_id))
		return usage(err, "%s", "a regime and activity are required");
	if (remit__population_wanted(r) && !population)
		return usage(err, "regime \"%s\" has population budgets: give --population FILE",
			     r->name);
	int rc = bind_activity(r, rd, &attr_map, err);
	if (rc < 0)
		return rc;
	struct remit__run *run = run_new(r, opt);
	run->cx.attr_map = attr_map;
	if (population && remit__population_wanted(r))
		rc = remit__population_load(&run->cx, population, opt, &run->counts, err);
	if (rc == 0 && needs_patients(r))
		rc = remit__patients_prepass(&run->cx, rd, attr_map, err);
	run->cx.trace = trace;
	run->cx.trace_ud = trace_ud;
	run->cx.detail = trace || (opt && opt->on_line);
	bool found = false;
	if (rc == 0)
		rc = main_pass(run, rd, attr_map, only_id, &found, err);
	if (rc == 0 && !only_id)
		finish_modules(run);
	if (rc == 0 && only_id && !found) {
		/* not an activity row: perhaps a person some budget knows */
		remit__str person = {only_id, (uint32_t)strlen(only_id)};
		for (size_t i = 0; i < r->nmodules; i++) {
			const remit__module *m = r->modules[i];
			if (m->type->explain_person && m->type->explain_person(m, &run->cx, person))
				found = true;
			remit__numpool_reset(run->cx.pool);
		}
	}
	if (rc == 0 && only_id && !found) {
		rc = REMIT_ENOTFOUND;
		memset(err, 0, sizeof *err);
		err->status = rc;
		snprintf(err->file, sizeof err->file, "%s", remit__reader_name(rd));
		snprintf(err->message, sizeof err->message, "no valid row has id '%s'", only_id);
	}
	if (rc == 0 && out)
		*out = result_new(run);
	run_free(run);
	free(attr_map);
	return rc;
}

/* ---- several regimes over one read (remit compare) ----------------------- */

/* Is the row's patient a member of some budget of run's regime that did
 * not cover it? */
static bool exposed(struct remit__run *run, const remit__row *row)
{
	const remit_regime *r = run->regime;
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		if (m->type->member && m->type->member(m, &run->cx, row))
			return true;
	}
	return false;
}

/* Price one valid row under run, for the comparison. */
static void compare_row(struct remit__run *run, const remit__row *row, remit__cmp_rowinfo *info)
{
	remit__ctx *cx = &run->cx;
	run->row = row;
	run->row_sum.units = 0;
	run->row_payee = (remit__str){"", 0};
	run->row_overlap = false;
	cx->funder = (remit__str){"", 0};
	remit__outcome out = offer(run, row, cx->attr_map);
	run->row = NULL;
	switch (out) {
	case REMIT__PRICED:
		run->counts.priced++;
		break;
	case REMIT__COVERED:
		run->counts.covered++;
		break;
	case REMIT__UNPRICED:
		run->counts.unpriced++;
		break;
	}
	info->outcome = out;
	info->unpriced = out == REMIT__UNPRICED;
	info->funder = out == REMIT__COVERED ? cx->funder : run->row_payee;
	info->amount = remit__sum_get(&run->row_sum, run->regime->scale, cx->pool);
	info->overlap = run->row_overlap;
	info->exposed = out != REMIT__COVERED && exposed(run, row);
}

static int compare_pass(struct remit__run **runs, size_t n, remit__reader *rd, remit__cmp *cmp,
			const remit_run_options *opt, remit_error *err)
{
	remit__cmp_rowinfo *info = remit__xcalloc(n, sizeof *info);
	remit__row row;
	remit__reject rej;
	int rc;
	uint64_t read = 0;
	while ((rc = remit__reader_next(rd, runs[0]->cx.pool, &row, &rej, err)) > 0) {
		read++;
		if (opt && opt->on_progress && (read & 0xffff) == 0)
			opt->on_progress(opt->ud, remit__reader_bytes_done(rd),
					 remit__reader_bytes_total(rd), read);
		for (size_t i = 0; i < n; i++)
			runs[i]->counts.read++;
		if (rc == REMIT__READ_REJECT) {
			for (size_t i = 0; i < n; i++)
				runs[i]->counts.rejected++;
			if (opt && opt->on_reject)
				note(opt->on_reject, opt->ud, rej.file, rej.line, rej.column, rej.id,
				     rej.reason, rej.raw);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			compare_row(runs[i], &row, &info[i]);
		remit__cmp_row(cmp, info);
		for (size_t i = 0; i < n; i++)
			remit__numpool_reset(runs[i]->cx.pool);
	}
	if (opt && opt->on_progress)
		opt->on_progress(opt->ud, remit__reader_bytes_done(rd), remit__reader_bytes_total(rd),
				 read);
	free(info);
	return rc < 0 ? rc : 0;
}

int remit__compare(const remit_regime *const *regimes, size_t n, remit__reader *rd,
		   remit__reader *population, const remit_run_options *opt, remit__cmp **out,
		   remit_error *err)
{
	if (!regimes || n < 2 || !rd || !out)
		return usage(err, "%s", "compare needs two or more regimes and activity");
	for (size_t i = 0; i < n; i++) {
		if (!regimes[i])
			return usage(err, "%s", "compare: a regime is missing");
		if (remit__population_wanted(regimes[i]) && !population)
			return usage(err, "regime \"%s\" has population budgets: give --population FILE",
				     regimes[i]->name);
	}
	const char **names = remit__xcalloc(n, sizeof *names);
	int *scales = remit__xcalloc(n, sizeof *scales);
	struct remit__run **runs = remit__xcalloc(n, sizeof *runs);
	uint32_t **maps = remit__xcalloc(n, sizeof *maps);
	remit__ctx **cxs = remit__xcalloc(n, sizeof *cxs);
	int rc = 0;
	size_t ready = 0;
	for (; ready < n && rc == 0; ready++) {
		names[ready] = regimes[ready]->name;
		scales[ready] = regimes[ready]->scale;
		rc = bind_activity(regimes[ready], rd, &maps[ready], err);
		if (rc < 0)
			break;
		runs[ready] = run_new(regimes[ready], NULL);
		runs[ready]->cx.attr_map = maps[ready];
		cxs[ready] = &runs[ready]->cx;
	}
	remit__cmp *cmp = remit__cmp_new(names, scales, n);
	bool rewind = false;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		runs[i]->cmp = cmp;
		runs[i]->cmp_index = i;
		if (!population || !remit__population_wanted(regimes[i]))
			continue;
		if (rewind)
			rc = remit__reader_rewind(population, err);
		if (rc == 0)
			rc = remit__population_load(cxs[i], population, i == 0 ? opt : NULL,
						    &runs[i]->counts, err);
		rewind = true;
	}
	bool patients = false;
	for (size_t i = 0; i < n; i++)
		patients |= needs_patients(regimes[i]);
	if (rc == 0 && patients)
		rc = remit__patients_prepass_many(cxs, n, rd, err);
	if (rc == 0)
		rc = compare_pass(runs, n, rd, cmp, opt, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		finish_modules(runs[i]);
		struct remit_result *res = result_new(runs[i]);
		remit__cmp_counts(cmp, i, &res->counts, res->total, res->balanced);
		remit_result_free(res);
	}
	for (size_t i = 0; i < n; i++) {
		if (runs[i])
			run_free(runs[i]);
		free(maps[i]);
	}
	free(runs);
	free(maps);
	free(cxs);
	free(names);
	free(scales);
	if (rc < 0) {
		remit__cmp_free(cmp);
		return rc;
	}
	*out = cmp;
	return 0;
}

/* Open the files and run. */
static int run_file(const remit_regime *r, const char *activity, const char *population,
		    const remit_run_options *opt, remit_text_fn trace, void *trace_ud,
		    const char *only_id, remit_result **out, remit_error *err)
{
	remit__reader *rd, *pop = NULL;
	if (!r || !activity)
		return usage(err, "%s", "a regime and an activity file are required");
	int rc = remit__reader_open(activity, &remit__activity_schema, &rd, err);
	if (rc < 0)
		return rc;
	if (population && remit__population_wanted(r))
		rc = remit__reader_open(population, &remit__population_schema, &pop, err);
	if (rc == 0)
		rc = remit__run(r, rd, pop, opt, trace, trace_ud, only_id, out, err);
	if (pop)
		remit__reader_close(pop);
	remit__reader_close(rd);
	return rc;
}

int remit_price_file(const remit_regime *r, const char *activity_path,
		     const char *population_path, const remit_run_options *opt,
		     remit_result **out, remit_error *err)
{
	remit_error scratch;
	return run_file(r, activity_path, population_path, opt, NULL, NULL, NULL, out,
			err ? err : &scratch);
}

int remit_explain(const remit_regime *r, const char *activity_path, const char *population_path,
		  const char *activity_id, remit_text_fn out, void *ud, remit_error *err)
{
	remit_error scratch;
	if (!activity_id || !out)
		return usage(err ? err : &scratch, "%s", "an activity id and an output are required");
	return run_file(r, activity_path, population_path, NULL, out, ud, activity_id, NULL,
			err ? err : &scratch);
}

/* ---- comparing regimes (public) ------------------------------------------ */

struct remit_comparison {
	remit__cmp *cmp;
};

int remit_compare_files(const remit_regime *const *regimes, size_t n, const char *activity_path,
			const char *population_path, const remit_run_options *opt,
			remit_comparison **out, remit_error *err)
{
	remit_error scratch;
	err = err ? err : &scratch;
	if (out)
		*out = NULL;
	if (!regimes || n < 2 || !activity_path || !out)
		return usage(err, "%s",
			     "remit_compare_files: two or more regimes, an activity file and out are "
			     "required");
	bool wanted = false;
	for (size_t i = 0; i < n; i++)
		wanted |= regimes[i] && remit__population_wanted(regimes[i]);
	remit__reader *rd, *pop = NULL;
	int rc = remit__reader_open(activity_path, &remit__activity_schema, &rd, err);
	if (rc < 0)
		return rc;
	if (population_path && wanted)
		rc = remit__reader_open(population_path, &remit__population_schema, &pop, err);
	remit__cmp *cmp = NULL;
	if (rc == 0)
		rc = remit__compare(regimes, n, rd, pop, opt, &cmp, err);
	if (pop)
		remit__reader_close(pop);
	remit__reader_close(rd);
	if (rc < 0)
		return rc;
	*out = remit__xmalloc(sizeof **out);
	(*out)->cmp = cmp;
	return REMIT_OK;
}

int remit_comparison_write(remit_comparison *c, remit_report_format format, const char *by,
			   remit_write_fn out, void *ud)
{
	if (!c || !out)
		return REMIT_EUSAGE;
	if (by && strcmp(by, "provider") && strcmp(by, "commissioner") && strcmp(by, "module") &&
	    strcmp(by, "pod"))
		return REMIT_EUSAGE;
	switch (format) {
	case REMIT_REPORT_TEXT:
		remit__cmp_write_text(c->cmp, by, out, ud);
		return REMIT_OK;
	case REMIT_REPORT_JSON:
		remit__cmp_write_json(c->cmp, out, ud);
		return REMIT_OK;
	case REMIT_REPORT_CSV:
		remit__cmp_write_csv(c->cmp, out, ud);
		return REMIT_OK;
	case REMIT_REPORT_HTML:
		remit__cmp_write_html(c->cmp, out, ud);
		return REMIT_OK;
	}
	return REMIT_EUSAGE;
}

void remit_comparison_free(remit_comparison *c)
{
	if (!c)
		return;
	remit__cmp_free(c->cmp);
	free(c);
}
