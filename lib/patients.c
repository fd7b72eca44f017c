/*
 * patients.c — the per-patient pre-pass (see patients.h).
 */
#include "patients.h"

#include <stdlib.h>
#include <string.h>

typedef struct prows {
	remit__prow *v;
	size_t n, cap;
} prows;

static void push(prows *p, remit__prow r)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4096;
		p->v = remit__xrealloc(p->v, p->cap * sizeof *p->v);
	}
	p->v[p->n++] = r;
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

static void hand_out(remit__ctx *cx, const remit__module *m, prows *p)
{
	qsort(p->v, p->n, sizeof *p->v, cmp_prow);
	for (size_t i = 0, j; i < p->n; i = j) {
		for (j = i + 1; j < p->n && p->v[j].patient == p->v[i].patient; j++)
			;
		m->type->patient(m, cx, p->v + i, j - i);
		remit__numpool_reset(cx->pool);
	}
}

/* Tag one valid row for every per-patient module of cx's regime. */
static void scan_row(remit__ctx *cx, prows *per, const remit__row *row)
{
	const struct remit_regime *r = cx->regime;
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		if (!m->per_patient || !m->type->scan)
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
		push(&per[i], p);
	}
}

int remit__patients_prepass_many(remit__ctx *const *cxs, size_t n, remit__reader *rd,
				 remit_error *err)
{
	prows **per = remit__xcalloc(n, sizeof *per);
	for (size_t k = 0; k < n; k++)
		per[k] = remit__xcalloc(cxs[k]->regime->nmodules + 1, sizeof **per);
	remit__row row;
	remit__reject rej;
	int rc;
	while ((rc = remit__reader_next(rd, cxs[0]->pool, &row, &rej, err)) > 0) {
		if (rc == REMIT__READ_ROW)
			for (size_t k = 0; k < n; k++)
				scan_row(cxs[k], per[k], &row);
		for (size_t k = 0; k < n; k++)
			remit__numpool_reset(cxs[k]->pool);
	}
	for (size_t k = 0; k < n; k++) {
		const struct remit_regime *r = cxs[k]->regime;
		for (size_t i = 0; rc == 0 && i < r->nmodules; i++)
			if (per[k][i].n)
				hand_out(cxs[k], r->modules[i], &per[k][i]);
		for (size_t i = 0; i < r->nmodules; i++)
			free(per[k][i].v);
		free(per[k]);
	}
	free(per);
	if (rc == 0)
		rc = remit__reader_rewind(rd, err);
	return rc < 0 ? rc : 0;
}

int remit__patients_prepass(remit__ctx *cx, remit__reader *rd, const uint32_t *attr_map,
			    remit_error *err)
{
	(void)attr_map; /* cx->attr_map is the one the modules use */
	return remit__patients_prepass_many(&cx, 1, rd, err);
}
