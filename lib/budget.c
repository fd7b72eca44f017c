/*
 * budget.c — registrations, pro-rating and claiming covered activity,
 * shared by the population-budget modules (see budget.h).
 */
#include "budget.h"

#include "population.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- registrations ------------------------------------------------------- */

uint32_t remit__regs_add(remit__regs *r, remit__ctx *cx, const remit__row *person)
{
	const remit__val *f = person->f;
	remit__str p = f[REMIT__P_PATIENT].s;
	uint32_t id = remit__patient_find(cx, p);
	if (id == REMIT__NONE) /* the engine interns every valid row's patient */
		id = remit__intern(cx->patients, p.p, p.n);
	if (id >= r->nheads) {
		/* room for every patient interned so far (all of the file's
		 * when the population is fed on a second read), and at least
		 * twice the heads: few reallocations as people come */
		uint32_t n = cx->patients->n > id ? cx->patients->n : id + 1;
		if (n < 2 * r->nheads)
			n = 2 * r->nheads;
		r->head = remit__xrealloc(r->head, n * sizeof *r->head);
		memset(r->head + r->nheads, 0xff, (n - r->nheads) * sizeof *r->head);
		r->nheads = n;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->v = remit__xrealloc(r->v, r->cap * sizeof *r->v);
	}
	int64_t to = remit__registration_end(person);
	remit__reg *g = &r->v[r->n];
	g->patient = id;
	g->next = r->head[id];
	g->practice = remit__org_id(cx, f[REMIT__P_PRACTICE].s);
	g->payer = remit__org_id(cx, f[REMIT__P_COMMISSIONER].s);
	/* dates are years 1..9999: days since 1970 fit in 32 bits */
	g->from = (int32_t)f[REMIT__P_FROM].i;
	g->to = to >= REMIT__OPEN ? REMIT__OPEN : (int32_t)to;
	g->line = person->line > UINT32_MAX ? UINT32_MAX : (uint32_t)person->line;
	r->head[id] = r->n;
	return r->n++;
}

uint32_t remit__regs_at(const remit__regs *r, const remit__ctx *cx, remit__str patient,
			int64_t day)
{
	uint32_t id = remit__patient_find(cx, patient);
	for (uint32_t i = remit__regs_first(r, id); i != REMIT__NONE; i = r->v[i].next)
		if (r->v[i].from <= day && day <= r->v[i].to)
			return i;
	return REMIT__NONE;
}

size_t remit__regs_of(const remit__regs *r, uint32_t patient, uint32_t **buf, size_t *cap)
{
	size_t k = 0;
	for (uint32_t i = remit__regs_first(r, patient); i != REMIT__NONE; i = r->v[i].next) {
		if (k == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*buf = remit__xrealloc(*buf, *cap * sizeof **buf);
		}
		(*buf)[k++] = i;
	}
	/* the chain is newest-first in file order: insertion sort by from (few) */
	uint32_t *v = *buf;
	for (size_t i = 1; i < k; i++) {
		uint32_t x = v[i];
		size_t j = i;
		for (; j > 0 && r->v[v[j - 1]].from > r->v[x].from; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return k;
}

uint32_t remit__regs_latest(const remit__regs *r, uint32_t i, const remit__window *w)
{
	uint32_t best = i;
	for (uint32_t j = remit__regs_first(r, r->v[i].patient); j != REMIT__NONE; j = r->v[j].next)
		if (remit__reg_in_window(&r->v[j], w) &&
		    (!remit__reg_in_window(&r->v[best], w) || r->v[j].from > r->v[best].from))
			best = j;
	return best;
}

void remit__regs_grow(const remit__regs *r, void **arr, uint32_t *cap, size_t size)
{
	if (*cap >= r->cap)
		return;
	*arr = remit__xrealloc(*arr, (size_t)r->cap * size);
	*cap = r->cap;
}

void remit__regs_free(remit__regs *r)
{
	free(r->v);
	free(r->head);
	memset(r, 0, sizeof *r);
}

/* ---- pro-rating ------------------------------------------------------------ */

remit__window remit__budget_window(const remit__module *m, const struct remit_regime *r)
{
	remit__window w = {0};
	if (!r->has_period)
		return w;
	w.bounded = true;
	w.from = r->period_from;
	w.to = r->period_to;
	w.year = r->period_to - r->period_from + 1;
	if (m->has_valid) {
		if (m->valid_from > w.from)
			w.from = m->valid_from;
		if (m->valid_to < w.to)
			w.to = m->valid_to;
	}
	return w;
}

int64_t remit__reg_days(const remit__reg *g, const remit__window *w)
{
	return remit__days_within(g->from, g->to, w->from, w->to);
}

bool remit__reg_in_window(const remit__reg *g, const remit__window *w)
{
	return !w->bounded || remit__reg_days(g, w) > 0;
}

bool remit__budget_prorate(remit__loader *L, const yaml_node_t *n, const char *ctx, bool *on)
{
	const char *s;
	*on = false;
	if (!remit__cfg_str(L, n, ctx, &s))
		return false;
	if (strcmp(s, "days") != 0) {
		remit__rules_error(L, n, "%s: expected days, got %s", ctx, remit__node_desc(L, n));
		return false;
	}
	/* a `period` with an error of its own is reported there */
	if (!L->regime->has_period &&
	    !remit__cfg_get(L, yaml_document_get_root_node(L->doc), "period")) {
		remit__rules_error(L, n,
				   "%s: pro-rating by days needs the regime's period "
				   "(period: {start: ..., end: ...})",
				   ctx);
		return false;
	}
	*on = L->regime->has_period;
	return *on;
}

const char *remit__reg_dates(remit__ctx *cx, const remit__reg *g)
{
	char a[11], b[11];
	char *out = cx->fmt[cx->fmt_next++ % 8];
	remit__date_format(g->from, a);
	if (g->to == REMIT__OPEN) {
		snprintf(out, REMIT__NUM_BUF, "%s to (open)", a);
	} else {
		remit__date_format(g->to, b);
		snprintf(out, REMIT__NUM_BUF, "%s to %s", a, b);
	}
	return out;
}

/* ---- covered activity ------------------------------------------------------ */

bool remit__budget_claims(const remit__module *m, remit__ctx *cx, const remit__row *row,
			  const remit__pred *covers, const remit__regs *r, const char *kept,
			  remit__hit *hit)
{
	if (!remit__pred_eval(covers, row, cx->attr_map))
		return false;
	const remit__val *start = &row->f[REMIT__A_START];
	remit__str patient = row->f[REMIT__A_PATIENT].s;
	uint32_t i = remit__regs_at(r, cx, patient, start->i);
	if (i == REMIT__NONE) {
		REMIT__TRACE(cx, "module %s: patient %.*s is not in its %s on %.*s", m->name,
			     (int)patient.n, patient.p, kept, (int)start->s.n, start->s.p);
		return false;
	}
	hit->reg = i;
	hit->row = row->ordinal + 1;
	return true;
}

uint32_t remit__budget_claimed(const remit__regs *r, remit__ctx *cx, const remit__row *row,
			      const remit__hit *hit)
{
	if (hit->row == row->ordinal + 1)
		return hit->reg;
	return remit__regs_at(r, cx, row->f[REMIT__A_PATIENT].s, row->f[REMIT__A_START].i);
}

/* ---- `{from: column}` ------------------------------------------------------- */

bool remit__budget_column(remit__loader *L, const yaml_node_t *n, const char *ctx,
			  remit__ftype type, const char *what, int *field)
{
	static const remit__key keys[] = {{"from", true}, {NULL, false}};
	const char *name;
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	yaml_node_t *from = remit__cfg_get(L, n, "from");
	if (!remit__cfg_str(L, from, remit__sprintf(remit__loader_arena(L), "%s.from", ctx), &name))
		return false;
	int k = remit__schema_find(&remit__population_schema, name, strlen(name));
	if (k < 0 || remit__population_schema.fields[k].type != type) {
		remit__rules_error(L, from, "%s.from: expected a population column (%s), got %s",
				   ctx, what, remit__node_desc(L, from));
		return false;
	}
	*field = k;
	return true;
}
