/*
 * population.c — read the population file into the modules that want it
 * (see population.h).
 *
 * A period that overlaps an earlier-starting accepted period of the same
 * patient is rejected, and no module may see it: every module sees a
 * consistent population, never half of an overlap.  Which period of two
 * is rejected depends on their start dates, not their lines, so it is
 * known only once every row has been read.  The first read therefore
 * collects every valid row's period; sorting them by patient
 * (remit__sort_by_patient), then by start, finds the overlaps.  When
 * every module that wants the population only builds its own state from
 * people (module.h, person_state_only), the first read also feeds them
 * each valid row: if no period overlaps, as in most files, that was the
 * whole load.  Otherwise, and for modules that may pay people
 * as they meet them (plugins), a second read feeds the accepted rows, the
 * states first begun again if the first read fed them.
 */
#include "population.h"

#include "activity.h"
#include "patients.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct period {
	uint32_t patient;
	uint64_t ordinal; /* (64 bits: a file may have more than 2^32 rows) */
	int64_t from, to;
	uint64_t line;
} period;

static int cmp_period(const void *a, const void *b)
{
	const period *x = a, *y = b;
	if (x->patient != y->patient)
		return x->patient < y->patient ? -1 : 1;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

bool remit__population_wanted(const struct remit_regime *r)
{
	for (size_t i = 0; i < r->nmodules; i++)
		if (r->modules[i]->wants_population)
			return true;
	return false;
}

int64_t remit__registration_end(const remit__row *person)
{
	const remit__val *to = &person->f[REMIT__P_TO];
	return to->present ? to->i : INT64_MAX;
}

int64_t remit__days_within(int64_t from, int64_t to, int64_t pfrom, int64_t pto)
{
	int64_t a = from > pfrom ? from : pfrom, b = to < pto ? to : pto;
	return b >= a ? b - a + 1 : 0;
}

static void report(const remit_run_options *opt, const char *file, uint64_t line,
		   uint32_t column, remit__str id, const char *reason, remit__str raw)
{
	if (!opt || !opt->on_reject)
		return;
	char idbuf[256], *rawz = remit__xmalloc(raw.n + 1);
	snprintf(idbuf, sizeof idbuf, "%.*s", (int)id.n, id.p ? id.p : "");
	if (raw.n)
		memcpy(rawz, raw.p, raw.n);
	rawz[raw.n] = '\0';
	remit_row_note n = {file, line, column, idbuf, reason, rawz};
	opt->on_reject(opt->ud, &n);
	free(rawz);
}

static void feed(remit__ctx *cx, const remit__row *row)
{
	const struct remit_regime *r = cx->regime;
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		if (m->wants_population && m->type->person)
			m->type->person(m, cx, row);
	}
}

/* May the first read feed the modules (see the top of the file)? */
static bool feed_early(const struct remit_regime *r)
{
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		if (m->wants_population && m->type->person && !m->type->person_state_only)
			return false;
	}
	return true;
}

/* The first read: every period, the reader's rejects and, if `early`,
 * each valid row fed to the modules. */
static int collect(remit__ctx *cx, remit__reader *rd, const remit_run_options *opt,
		   remit_counts *counts, bool early, period **out, size_t *n, remit_error *err)
{
	size_t cap = 1024;
	period *v = remit__xmalloc(cap * sizeof *v);
	remit__row row;
	remit__reject rej;
	int rc;
	*n = 0;
	while ((rc = remit__reader_next(rd, cx->pool, &row, &rej, err)) > 0) {
		counts->population_read++;
		if (rc == REMIT__READ_REJECT) {
			counts->population_rejected++;
			report(opt, rej.file, rej.line, rej.column, rej.id, rej.reason, rej.raw);
		} else {
			if (*n == cap)
				v = remit__xrealloc(v, (cap *= 2) * sizeof *v);
			remit__str p = row.f[REMIT__P_PATIENT].s;
			v[(*n)++] = (period){remit__intern(cx->patients, p.p, p.n), row.ordinal,
					     row.f[REMIT__P_FROM].i,
					     remit__registration_end(&row), row.line};
			if (early)
				feed(cx, &row);
		}
		remit__numpool_reset(cx->pool);
	}
	*out = v;
	return rc;
}

/* Mark in `bad` (a bit per ordinal) each period that starts before the
 * end of an earlier-starting accepted period of the same patient; `with`
 * records the line of the period it overlaps.  v is sorted by patient,
 * start and file order.  Returns the periods marked. */
static size_t find_overlaps(const period *v, size_t n, uint64_t *bad, uint64_t *with)
{
	size_t marked = 0;
	for (size_t i = 1, last = 0; i < n; i++) {
		if (v[i].patient != v[last].patient) {
			last = i;
			continue;
		}
		if (v[i].from <= v[last].to) {
			bad[v[i].ordinal / 64] |= (uint64_t)1 << (v[i].ordinal % 64);
			with[v[i].ordinal] = v[last].line;
			marked++;
		} else {
			last = i;
		}
	}
	return marked;
}

/* Begin again the state of each module fed people (the first read fed
 * rows that are now rejected). */
static void begin_again(remit__ctx *cx)
{
	const struct remit_regime *r = cx->regime;
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		if (!m->wants_population || !m->type->person || !m->type->run_begin)
			continue;
		m->type->run_end(m, cx->state[i]);
		cx->state[i] = m->type->run_begin(m, cx);
	}
}

int remit__population_load(remit__ctx *cx, remit__reader *rd, const remit_run_options *opt,
			   remit_counts *counts, remit_error *err)
{
	const char *path = remit__reader_name(rd);
	int rc;
	uint32_t ncols;
	const remit__str *cols = remit__reader_attr_names(rd, &ncols);
	uint32_t *map = remit__xmalloc((cx->regime->pattrs.n + 1) * sizeof *map);
	rc = remit__regime_bind(cx->regime, &remit__population_schema, cols, ncols, path, map, NULL,
				NULL, err);
	cx->pattr_map = map;
	period *v = NULL;
	size_t n = 0;
	bool early = feed_early(cx->regime);
	if (rc == 0)
		rc = collect(cx, rd, opt, counts, early, &v, &n, err);
	uint64_t rows = counts->population_read;
	uint64_t *bad = remit__xcalloc(rows / 64 + 1, sizeof *bad);
	uint64_t *with = remit__xcalloc(rows + 1, sizeof *with);
	bool again = !early; /* a second read feeds the accepted rows */
	if (rc == 0) {
		remit__sort_by_patient(v, n, sizeof *v, offsetof(period, patient), cx->patients->n,
				       cmp_period);
		if (find_overlaps(v, n, bad, with) > 0 && early) {
			begin_again(cx);
			again = true;
		}
	}
	if (rc == 0 && again)
		rc = remit__reader_rewind(rd, err);
	remit__row row;
	remit__reject rej;
	while (rc == 0 && again && (rc = remit__reader_next(rd, cx->pool, &row, &rej, err)) > 0) {
		if (rc == REMIT__READ_REJECT) {
			rc = 0;
			continue;
		}
		rc = 0;
		if (bad[row.ordinal / 64] >> (row.ordinal % 64) & 1) {
			char reason[160];
			snprintf(reason, sizeof reason,
				 "from: registration overlaps the period on line %llu",
				 (unsigned long long)with[row.ordinal]);
			counts->population_rejected++;
			report(opt, remit__reader_name(rd), row.line, 0, row.f[REMIT__P_PATIENT].s,
			       reason, row.raw);
		} else {
			feed(cx, &row);
		}
		remit__numpool_reset(cx->pool);
	}
	free(v);
	free(bad);
	free(with);
	return rc < 0 ? rc : 0;
}
