/*
 * patients.c — the per-patient pre-pass (see patients.h).
 */
#include "patients.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct prows {
	remit__prow *v;
	size_t n, cap;
} prows;

struct remit__scan {
	remit__ctx *cx;      /* the run's context, or a part's (own) */
	prows *per;          /* by module index */
	/* a part: */
	remit__ctx own;      /* the run's context with the tables and states below */
	remit__strtab orgs, patients;
	remit__scan *whole;
};

static void push(prows *p, remit__prow r)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4096;
		p->v = remit__xrealloc(p->v, p->cap * sizeof *p->v);
	}
	p->v[p->n++] = r;
}

static bool scans(const remit__module *m)
{
	return m->per_patient && m->type->scan;
}

remit__scan *remit__scan_new(remit__ctx *cx)
{
	remit__scan *s = remit__xcalloc(1, sizeof *s);
	s->cx = cx;
	s->per = remit__xcalloc(cx->regime->nmodules + 1, sizeof *s->per);
	return s;
}

remit__scan *remit__scan_fork(remit__scan *whole)
{
	remit__ctx *cx = whole->cx;
	const struct remit_regime *r = cx->regime;
	remit__scan *s = remit__xcalloc(1, sizeof *s);
	s->cx = &s->own;
	s->per = remit__xcalloc(r->nmodules + 1, sizeof *s->per);
	s->whole = whole;
	s->own = *cx;
	s->own.pool = remit__numpool_new(); /* reset after each row */
	s->own.orgs = &s->orgs;
	s->own.patients = &s->patients;
	s->own.state = remit__xcalloc(r->nmodules + 1, sizeof *s->own.state);
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		s->own.state[i] = scans(m) && m->type->scan_fork
					  ? m->type->scan_fork(m, cx, cx->state[i])
					  : cx->state[i];
	}
	return s;
}

bool remit__scan_parallel_ok(const struct remit_regime *r)
{
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module_type *t = r->modules[i]->type;
		if (scans(r->modules[i]) && !t->scan_fork != !t->scan_join)
			return false;
	}
	return true;
}

void remit__scan_row(remit__scan *s, const remit__row *row)
{
	remit__ctx *cx = s->cx;
	const struct remit_regime *r = cx->regime;
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		if (!scans(m))
			continue;
		uint8_t tag = m->type->scan(m, cx, row);
		if (!tag)
			continue;
		const remit__val *f = row->f;
		remit__prow p = {
			.patient = remit__intern(cx->patients, f[REMIT__A_PATIENT].s.p,
						 f[REMIT__A_PATIENT].s.n),
			.provider = remit__intern(cx->orgs, f[REMIT__A_PROVIDER].s.p,
						  f[REMIT__A_PROVIDER].s.n),
			.start = (int32_t)f[REMIT__A_START].i,
			.end = (int32_t)f[REMIT__A_END].i,
			.ordinal = (uint32_t)row->ordinal,
			.tag = tag,
		};
		push(&s->per[i], p);
	}
	if (s->whole)
		remit__numpool_reset(cx->pool);
}

/* The ids in `into` of the strings of `from`, interned in from's order (the
 * order the part met them, so new ids come out as on one thread). */
static uint32_t *id_map(remit__strtab *into, const remit__strtab *from)
{
	uint32_t *map = remit__xmalloc(((size_t)from->n + 1) * sizeof *map);
	for (uint32_t k = 0; k < from->n; k++)
		map[k] = remit__intern(into, from->strs[k], from->lens[k]);
	return map;
}

static void scan_free(remit__scan *s)
{
	const struct remit_regime *r = s->cx->regime;
	for (size_t i = 0; i < r->nmodules; i++)
		free(s->per[i].v);
	free(s->per);
	if (s->whole) {
		free(s->own.state);
		remit__numpool_free(s->own.pool);
		remit__strtab_free(&s->orgs);
		remit__strtab_free(&s->patients);
	}
	free(s);
}

/* Join part into its whole (keep), or discard it; then free it. */
static void join(remit__scan *part, bool keep, uint64_t ordinal_shift)
{
	remit__scan *whole = part->whole;
	remit__ctx *cx = whole->cx;
	const struct remit_regime *r = cx->regime;
	uint32_t *orgs = NULL, *patients = NULL;
	if (keep) {
		orgs = id_map(cx->orgs, &part->orgs);
		patients = id_map(cx->patients, &part->patients);
	}
	const remit__scan_shift shift = {ordinal_shift, orgs, patients};
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		if (!scans(m))
			continue;
		if (m->type->scan_join)
			m->type->scan_join(m, cx, keep ? cx->state[i] : NULL, part->own.state[i],
					   keep ? &shift : NULL);
		for (size_t j = 0; keep && j < part->per[i].n; j++) {
			remit__prow p = part->per[i].v[j];
			p.patient = patients[p.patient];
			p.provider = orgs[p.provider];
			p.ordinal = (uint32_t)(p.ordinal + ordinal_shift);
			push(&whole->per[i], p);
		}
	}
	free(orgs);
	free(patients);
	scan_free(part);
}

void remit__scan_join(remit__scan *part, uint64_t ordinal_shift)
{
	join(part, true, ordinal_shift);
}

void remit__scan_discard(remit__scan *part)
{
	join(part, false, 0);
}

static int cmp_prow(const void *a, const void *b)
{
	const remit__prow *x = a, *y = b;
	if (x->patient != y->patient)
		return x->patient < y->patient ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

void remit__sort_by_patient(void *records, size_t n, size_t size, size_t at_patient,
			    uint32_t npatients, int (*cmp)(const void *, const void *))
{
	unsigned char *v = records;
	uint64_t *at = remit__xcalloc((size_t)npatients + 1, sizeof *at);
	uint32_t p;
	for (size_t i = 0; i < n; i++) {
		memcpy(&p, v + i * size + at_patient, sizeof p);
		at[p + 1]++;
	}
	for (uint32_t k = 0; k < npatients; k++)
		at[k + 1] += at[k];
	unsigned char *w = remit__xmalloc((n ? n : 1) * size);
	for (size_t i = 0; i < n; i++) {
		memcpy(&p, v + i * size + at_patient, sizeof p);
		memcpy(w + at[p]++ * size, v + i * size, size);
	}
	memcpy(v, w, n * size);
	free(at);
	/* each patient's few records: by insertion (w is free room) */
	for (size_t i = 0, j; i < n; i = j) {
		uint32_t q;
		memcpy(&p, v + i * size + at_patient, sizeof p);
		for (j = i + 1; j < n; j++) {
			memcpy(&q, v + j * size + at_patient, sizeof q);
			if (q != p)
				break;
		}
		if (j - i > 16) {
			qsort(v + i * size, j - i, size, cmp);
			continue;
		}
		for (size_t k = i + 1; k < j; k++) {
			memcpy(w, v + k * size, size);
			size_t h = k;
			for (; h > i && cmp(v + (h - 1) * size, w) > 0; h--)
				memcpy(v + h * size, v + (h - 1) * size, size);
			memcpy(v + h * size, w, size);
		}
	}
	free(w);
}

/* Hand each patient's rows of p (ids below npatients) to m, patients in
 * id order, each patient's rows by date. */
static void hand_out(remit__ctx *cx, const remit__module *m, prows *p, uint32_t npatients)
{
	remit__prow *v = p->v;
	remit__sort_by_patient(v, p->n, sizeof *v, offsetof(remit__prow, patient), npatients,
			       cmp_prow);
	for (size_t i = 0, j; i < p->n; i = j) {
		for (j = i + 1; j < p->n && v[j].patient == v[i].patient; j++)
			;
		m->type->patient(m, cx, v + i, j - i);
		remit__numpool_reset(cx->pool);
	}
}

void remit__scan_finish(remit__scan *s, bool ok)
{
	const struct remit_regime *r = s->cx->regime;
	for (size_t i = 0; ok && i < r->nmodules; i++)
		if (s->per[i].n)
			hand_out(s->cx, r->modules[i], &s->per[i], s->cx->patients->n);
	scan_free(s);
}
