/*
 * compare.c — accumulate the comparison of several regimes and write it
 * (see compare.h).
 *
 * Every sum is exact (remit__xsum): nets, components, module and pod
 * totals, transition amounts.  Components may be fractions (a capitation
 * budget is a sum of 182/365 shares) while every net is a sum of rounded
 * lines; when a decomposition is shown at the regime's scale, each
 * component is rounded and the `rounding` component takes the difference,
 * so the figures printed add up exactly to the delta printed.
 */
#include "compare_model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- building ----------------------------------------------------------- */

static remit__xsum *xsums(size_t n)
{
	return remit__xcalloc(n, sizeof(remit__xsum));
}

static void xsums_free(remit__xsum *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		remit__xsum_clear(&v[i]);
	free(v);
}

remit__cmp *remit__cmp_new(const char *const *regime_names, const int *scales, size_t n)
{
	remit__cmp *c = remit__xcalloc(1, sizeof *c);
	c->n = n;
	c->regimes = remit__xcalloc(n, sizeof *c->regimes);
	c->scales = remit__xcalloc(n, sizeof *c->scales);
	c->totals = remit__xcalloc(n, sizeof *c->totals);
	c->balanced = remit__xcalloc(n, sizeof *c->balanced);
	c->counts = remit__xcalloc(n, sizeof *c->counts);
	c->exp = remit__xcalloc(n, sizeof *c->exp);
	for (size_t i = 0; i < n; i++) {
		c->regimes[i] = strdup(regime_names[i]);
		c->scales[i] = scales[i];
		if (i == 0 || scales[i] > c->scale)
			c->scale = scales[i];
	}
	c->pool = remit__numpool_new();
	return c;
}

remit__cmp *remit__cmp_new_like(const remit__cmp *c)
{
	return remit__cmp_new((const char *const *)c->regimes, c->scales, c->n);
}

/* The id of organisation `name`, its sums allocated.  (An id, not a
 * pointer: a later call may move the array.) */
static uint32_t org_of(remit__cmp *c, remit__str name)
{
	uint32_t id = remit__intern(&c->names, name.p, name.n);
	if (id >= c->cap_orgs) {
		uint32_t cap = c->cap_orgs ? c->cap_orgs * 2 : 64;
		while (cap <= id)
			cap *= 2;
		c->orgs = remit__xrealloc(c->orgs, cap * sizeof *c->orgs);
		memset(c->orgs + c->cap_orgs, 0, (cap - c->cap_orgs) * sizeof *c->orgs);
		c->cap_orgs = cap;
	}
	org *o = &c->orgs[id];
	if (!o->received) {
		o->received = xsums(c->n);
		o->paid = xsums(c->n);
		o->comp = xsums(c->n * REMIT_C_COUNT);
	}
	return id;
}

static remit__xsum *mod_of(remit__cmp *c, org *o, uint32_t module)
{
	for (size_t k = 0; k < o->nmods; k++)
		if (o->mods[k].module == module)
			return o->mods[k].v;
	if (o->nmods == o->capmods) {
		o->capmods = o->capmods ? o->capmods * 2 : 4;
		o->mods = remit__xrealloc(o->mods, o->capmods * sizeof *o->mods);
	}
	o->mods[o->nmods] = (modsum){module, xsums(c->n)};
	return o->mods[o->nmods++].v;
}

static remit__xsum *keyed_of(keyed *k, size_t n, remit__str name)
{
	uint32_t id = remit__intern(&k->names, name.p, name.n);
	if (id >= k->cap) {
		uint32_t cap = k->cap ? k->cap * 2 : 16;
		while (cap <= id)
			cap *= 2;
		k->v = remit__xrealloc(k->v, cap * n * sizeof *k->v);
		memset(k->v + k->cap * n, 0, (cap - k->cap) * n * sizeof *k->v);
		k->cap = cap;
	}
	return k->v + (size_t)id * n;
}

/* Add to regime i's sums what lines paying `amount` (components: comp[k]
 * for each bit k of `comps`) from payer to payee under module m, pod
 * given, add up to. */
static void add_lines(remit__cmp *c, size_t i, remit__str payee_name, remit__str payer_name,
		      const remit__module *m, remit__str pod, const remit__xsum *amount,
		      const remit__xsum *comp, uint32_t comps)
{
	uint32_t payee_id = org_of(c, payee_name), payer_id = org_of(c, payer_name);
	org *payee = &c->orgs[payee_id], *payer = &c->orgs[payer_id];
	payee->receives = true;
	remit__xsum_add_xsum(&payee->received[i], amount);
	remit__xsum_add_xsum(&payer->paid[i], amount);
	for (int k = 0; k < REMIT_C_COUNT; k++) {
		if (!(comps >> k & 1))
			continue;
		remit__xsum_add_xsum(&payee->comp[i * REMIT_C_COUNT + k], &comp[k]);
		remit__xsum_sub_xsum(&payer->comp[i * REMIT_C_COUNT + k], &comp[k]);
	}
	remit__str ms = {m->name, (uint32_t)strlen(m->name)};
	uint32_t mid = remit__intern(&c->modules, ms.p, ms.n);
	remit__xsum_add_xsum(&mod_of(c, payee, mid)[i], amount);
	remit__xsum_sub_xsum(&mod_of(c, payer, mid)[i], amount);
	remit__xsum_add_xsum(&keyed_of(&c->by_module, c->n, ms)[i], amount);
	if (!pod.n)
		pod = (remit__str){"(none)", 6};
	remit__xsum_add_xsum(&keyed_of(&c->by_pod, c->n, pod)[i], amount);
}

/* ---- pending lines ---------------------------------------------------------
 * A comparison meets millions of lines and only a few thousand different
 * (payee, payer, module, pod, regime): adding each line to the dozen sums
 * it feeds (through five name lookups) cost most of `compare`'s time.  So
 * a line adds its amount and components to its cell, found by one hash of
 * the five, and the cells are added to the sums when something reads them
 * (a writer, a merge) or when they are CELLS_MAX.  The cells are kept, and
 * added, in the order they were first met: each organisation's modules,
 * which the writers list in the order they were first met, keep that
 * order.  A line whose names are longer than a cell holds adds the cells
 * first, then itself. */
#define CELLS_MAX 4096

static uint64_t lcell_hash(remit__skey payee, size_t pn, remit__skey payer, size_t rn,
			   remit__skey pod, size_t dn, const remit__module *m, size_t i)
{
	uint64_t h = remit__mum(payee.a ^ (uint64_t)pn << 56 ^ 0x9e3779b97f4a7c15ull,
				payer.a ^ (uint64_t)rn << 56 ^ (uintptr_t)m);
	h = remit__mum(h ^ payee.b ^ (uint64_t)i << 32, payer.b ^ 0xe7037ed1a0b428dbull);
	return remit__mum(h ^ pod.a ^ (uint64_t)dn << 56, pod.b ^ 0x8ebc6af09c88c6e3ull);
}

static void lcell_clear(lcell *e)
{
	remit__xsum_clear(&e->amount);
	for (int k = 0; k < REMIT_C_COUNT; k++)
		if (e->comps >> k & 1)
			remit__xsum_clear(&e->comp[k]);
}

void remit__cmp_settle(remit__cmp *c)
{
	for (uint32_t j = 0; j < c->ncells; j++) {
		lcell *e = &c->cells[j];
		add_lines(c, e->regime, (remit__str){e->names[0], e->payee_n},
			  (remit__str){e->names[1], e->payer_n}, e->module,
			  (remit__str){e->names[2], e->pod_n}, &e->amount, e->comp, e->comps);
		lcell_clear(e);
	}
	c->ncells = 0;
	if (c->cell_slots)
		memset(c->cell_slots, 0, ((size_t)c->cell_mask + 1) * sizeof *c->cell_slots);
}

/* The cell of a line (names of at most REMIT__SKEY_MAX bytes), made if new. */
static lcell *cell_of(remit__cmp *c, size_t i, const remit__pline *l)
{
	if (c->ncells == CELLS_MAX)
		remit__cmp_settle(c);
	if (c->ncells == c->capcells) { /* (then at most half the slots are used) */
		c->capcells = c->capcells ? c->capcells * 2 : 64;
		c->cells = remit__xrealloc(c->cells, c->capcells * sizeof *c->cells);
		free(c->cell_slots);
		c->cell_mask = 2 * c->capcells - 1;
		c->cell_slots = remit__xcalloc((size_t)c->cell_mask + 1, sizeof *c->cell_slots);
		for (uint32_t j = 0; j < c->ncells; j++) {
			const lcell *e = &c->cells[j];
			uint32_t h = (uint32_t)lcell_hash(e->payee, e->payee_n, e->payer, e->payer_n,
							  e->pod, e->pod_n, e->module, e->regime) &
				     c->cell_mask;
			while (c->cell_slots[h])
				h = (h + 1) & c->cell_mask;
			c->cell_slots[h] = j + 1;
		}
	}
	size_t pn = l->payee.n, rn = l->payer.n, dn = l->pod.n;
	remit__skey payee = remit__skey_of(l->payee.p, pn), payer = remit__skey_of(l->payer.p, rn),
		    pod = remit__skey_of(l->pod.p, dn);
	uint32_t h = (uint32_t)lcell_hash(payee, pn, payer, rn, pod, dn, l->module, i) & c->cell_mask;
	for (uint32_t j; (j = c->cell_slots[h]) != 0; h = (h + 1) & c->cell_mask) {
		lcell *e = &c->cells[j - 1];
		if (e->module == l->module && e->regime == i && e->payee_n == pn &&
		    e->payer_n == rn && e->pod_n == dn && remit__skey_eq(e->payee, payee) &&
		    remit__skey_eq(e->payer, payer) && remit__skey_eq(e->pod, pod))
			return e;
	}
	lcell *e = &c->cells[c->ncells];
	memset(e, 0, sizeof *e);
	e->payee = payee;
	e->payer = payer;
	e->pod = pod;
	e->payee_n = (uint8_t)pn;
	e->payer_n = (uint8_t)rn;
	e->pod_n = (uint8_t)dn;
	e->regime = (uint32_t)i;
	e->module = l->module;
	memcpy(e->names[0], l->payee.p, pn);
	memcpy(e->names[1], l->payer.p, rn);
	if (dn)
		memcpy(e->names[2], l->pod.p, dn);
	c->cell_slots[h] = ++c->ncells;
	return e;
}

void remit__cmp_line(remit__cmp *c, size_t i, const remit__pline *l)
{
	remit__xsum one = REMIT__XSUM_INIT, comp[REMIT_C_COUNT];
	lcell *e = NULL;
	if (l->payee.n <= REMIT__SKEY_MAX && l->payer.n <= REMIT__SKEY_MAX &&
	    l->pod.n <= REMIT__SKEY_MAX) {
		e = cell_of(c, i, l);
	} else { /* names too long for a cell: after the cells, by itself */
		remit__cmp_settle(c);
		memset(comp, 0, sizeof comp);
	}
	remit__xsum *amount = e ? &e->amount : &one, *cv = e ? e->comp : comp;
	uint32_t comps = 0;
	remit__xsum_add(amount, l->amount);
	for (int k = 0; k < REMIT_C_COUNT; k++) {
		if (!l->comp[k].coef && !l->comp[k].big) /* zero (a big zero adds nothing) */
			continue;
		remit__xsum_add(&cv[k], l->comp[k]);
		comps |= 1u << k;
	}
	if (e) {
		e->comps |= comps;
		return;
	}
	add_lines(c, i, l->payee, l->payer, l->module, l->pod, &one, comp, comps);
	remit__xsum_clear(&one);
	for (int k = 0; k < REMIT_C_COUNT; k++)
		remit__xsum_clear(&comp[k]);
}

static trans *trans_of(remit__cmp *c, uint32_t from, uint32_t to, uint32_t regime)
{
	if (!c->tr_slots || (c->ntr + 1) * 2 > (size_t)c->tr_mask + 1) {
		uint32_t cap = c->tr_slots ? (c->tr_mask + 1) * 2 : 256;
		uint32_t *slots = remit__xcalloc(cap, sizeof *slots);
		for (size_t k = 0; k < c->ntr; k++) {
			uint64_t key[2] = {(uint64_t)c->tr[k].from << 32 | c->tr[k].to, c->tr[k].regime};
			uint32_t h = (uint32_t)remit__hash(key, sizeof key) & (cap - 1);
			while (slots[h])
				h = (h + 1) & (cap - 1);
			slots[h] = (uint32_t)k + 1;
		}
		free(c->tr_slots);
		c->tr_slots = slots;
		c->tr_mask = cap - 1;
	}
	uint64_t key[2] = {(uint64_t)from << 32 | to, regime};
	uint32_t h = (uint32_t)remit__hash(key, sizeof key) & c->tr_mask;
	for (; c->tr_slots[h]; h = (h + 1) & c->tr_mask) {
		trans *t = &c->tr[c->tr_slots[h] - 1];
		if (t->from == from && t->to == to && t->regime == regime)
			return t;
	}
	if (c->ntr == c->cap_tr) {
		c->cap_tr = c->cap_tr ? c->cap_tr * 2 : 64;
		c->tr = remit__xrealloc(c->tr, c->cap_tr * sizeof *c->tr);
	}
	trans *t = &c->tr[c->ntr];
	memset(t, 0, sizeof *t);
	t->from = from;
	t->to = to;
	t->regime = regime;
	c->tr_slots[h] = (uint32_t)++c->ntr;
	return t;
}

static uint32_t party(remit__cmp *c, const remit__cmp_rowinfo *r)
{
	static const remit__str unpriced = {"(unpriced)", 10}, nobody = {"(nobody)", 8};
	remit__str s = r->unpriced ? unpriced : r->funder.n ? r->funder : nobody;
	return remit__intern(&c->names, s.p, s.n);
}

void remit__cmp_row(remit__cmp *c, const remit__cmp_rowinfo *info)
{
	uint32_t from = party(c, &info[0]);
	for (size_t i = 0; i < c->n; i++) {
		exposure *e = &c->exp[i];
		e->unpriced_rows += info[i].unpriced;
		e->overlap_rows += info[i].overlap;
		if (info[i].exposed) {
			e->exposed_rows++;
			remit__xsum_add(&e->exposed_amount, info[i].amount);
		}
		if (i == 0)
			continue;
		trans *t = trans_of(c, from, party(c, &info[i]), (uint32_t)i);
		t->rows++;
		remit__xsum_add(&t->from_amount, info[0].amount);
		remit__xsum_add(&t->to_amount, info[i].amount);
	}
}

/* Add keyed sums k (of part) into c's table of the same kind. */
static void keyed_merge(keyed *into, const keyed *from, size_t n)
{
	for (uint32_t j = 0; j < from->names.n; j++) {
		remit__str name = {from->names.strs[j], from->names.lens[j]};
		remit__xsum *v = keyed_of(into, n, name);
		for (size_t i = 0; i < n; i++)
			remit__xsum_add_xsum(&v[i], &from->v[(size_t)j * n + i]);
	}
}

void remit__cmp_merge(remit__cmp *c, remit__cmp *k)
{
	size_t n = c->n;
	remit__cmp_settle(c); /* (c's lines come before k's) */
	remit__cmp_settle(k);
	/* names in the order k first saw them: after the parts before k, that
	   is the order one thread sees them in (and each organisation's
	   modules too, which the writers list in that order) */
	uint32_t *id = remit__xmalloc((k->names.n + 1) * sizeof *id);
	for (uint32_t j = 0; j < k->names.n; j++) {
		remit__str name = {k->names.strs[j], k->names.lens[j]};
		const org *q = j < k->cap_orgs ? &k->orgs[j] : NULL;
		if (!q || !q->received) { /* a party of transitions only */
			id[j] = remit__intern(&c->names, name.p, name.n);
			continue;
		}
		id[j] = org_of(c, name);
		org *o = &c->orgs[id[j]];
		o->receives |= q->receives;
		for (size_t i = 0; i < n; i++) {
			remit__xsum_add_xsum(&o->received[i], &q->received[i]);
			remit__xsum_add_xsum(&o->paid[i], &q->paid[i]);
		}
		for (size_t i = 0; i < n * REMIT_C_COUNT; i++)
			remit__xsum_add_xsum(&o->comp[i], &q->comp[i]);
		for (size_t m = 0; m < q->nmods; m++) {
			const char *mname = k->modules.strs[q->mods[m].module];
			uint32_t mid = remit__intern(&c->modules, mname, strlen(mname));
			remit__xsum *v = mod_of(c, o, mid);
			for (size_t i = 0; i < n; i++)
				remit__xsum_add_xsum(&v[i], &q->mods[m].v[i]);
		}
	}
	keyed_merge(&c->by_module, &k->by_module, n);
	keyed_merge(&c->by_pod, &k->by_pod, n);
	for (size_t t = 0; t < k->ntr; t++) {
		const trans *f = &k->tr[t];
		trans *into = trans_of(c, id[f->from], id[f->to], f->regime);
		into->rows += f->rows;
		remit__xsum_add_xsum(&into->from_amount, &f->from_amount);
		remit__xsum_add_xsum(&into->to_amount, &f->to_amount);
	}
	for (size_t i = 0; i < n; i++) {
		exposure *e = &c->exp[i];
		const exposure *f = &k->exp[i];
		e->exposed_rows += f->exposed_rows;
		e->overlap_rows += f->overlap_rows;
		e->unpriced_rows += f->unpriced_rows;
		remit__xsum_add_xsum(&e->exposed_amount, &f->exposed_amount);
	}
	free(id);
}

void remit__cmp_counts(remit__cmp *c, size_t i, const remit_counts *counts, const char *total,
		       bool balanced)
{
	c->counts[i] = *counts;
	free(c->totals[i]);
	c->totals[i] = strdup(total);
	c->balanced[i] = balanced;
}

void remit__cmp_free(remit__cmp *c)
{
	if (!c)
		return;
	for (uint32_t id = 0; id < c->names.n && id < c->cap_orgs; id++) {
		org *o = &c->orgs[id];
		if (!o->received)
			continue;
		xsums_free(o->received, c->n);
		xsums_free(o->paid, c->n);
		xsums_free(o->comp, c->n * REMIT_C_COUNT);
		for (size_t k = 0; k < o->nmods; k++)
			xsums_free(o->mods[k].v, c->n);
		free(o->mods);
	}
	free(c->orgs);
	for (uint32_t j = 0; j < c->ncells; j++) /* (lines left pending: an error) */
		lcell_clear(&c->cells[j]);
	free(c->cells);
	free(c->cell_slots);
	for (size_t k = 0; k < c->ntr; k++) {
		remit__xsum_clear(&c->tr[k].from_amount);
		remit__xsum_clear(&c->tr[k].to_amount);
	}
	free(c->tr);
	free(c->tr_slots);
	xsums_free(c->by_module.v, (size_t)c->by_module.cap * c->n);
	xsums_free(c->by_pod.v, (size_t)c->by_pod.cap * c->n);
	remit__strtab_free(&c->by_module.names);
	remit__strtab_free(&c->by_pod.names);
	remit__strtab_free(&c->modules);
	remit__strtab_free(&c->names);
	for (size_t i = 0; i < c->n; i++) {
		free(c->regimes[i]);
		free(c->totals[i]);
		remit__xsum_clear(&c->exp[i].exposed_amount);
	}
	free(c->regimes);
	free(c->scales);
	free(c->totals);
	free(c->balanced);
	free(c->counts);
	free(c->exp);
	remit__numpool_free(c->pool);
	free(c);
}

/* ---- figures for the writers -------------------------------------------- */

typedef struct writer {
	remit__cmp *c;
	remit__write_fn out;
	void *ud;
} writer;

static void say(writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(writer *w, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->out(w->ud, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* A value at the display scale (half-even: exact values are already
 * multiples of it, except components, which the callers balance). */
const char *remit__cmp_money(remit__cmp *c, remit__num v, char *buf)
{
	remit__num r = remit__num_round(c->pool, v, c->scale, REMIT__HALF_EVEN);
	remit__num_format(r, c->scale, buf, REMIT__NUM_BUF);
	return buf;
}

remit__num remit__cmp_net(remit__cmp *c, const org *o, size_t i)
{
	remit__num r = remit__xsum_get(&o->received[i], c->pool);
	return remit__num_sub(c->pool, r, remit__xsum_get(&o->paid[i], c->pool));
}

/* delta as a percentage of |base|, one decimal, or "n/a" for a zero base. */
const char *remit__cmp_percent(remit__cmp *c, remit__num delta, remit__num base, char *buf)
{
	if (remit__num_sign(base) == 0) {
		strcpy(buf, "n/a");
		return buf;
	}
	if (remit__num_sign(base) < 0)
		base = remit__num_neg(c->pool, base);
	remit__num p = remit__num_div(c->pool, remit__num_mul(c->pool, delta, remit__num_int(100)),
				      base);
	p = remit__num_round(c->pool, p, 1, REMIT__HALF_UP);
	size_t n = remit__num_format(p, 1, buf, REMIT__NUM_BUF - 2);
	buf[n] = '%';
	buf[n + 1] = '\0';
	return buf;
}

/* Components of org o under regime i at the display scale, adjusted so
 * they add up exactly to the displayed net: shown[k] for each component. */
void remit__cmp_components(remit__cmp *c, const org *o, size_t i, remit__num *shown)
{
	remit__num rest = remit__cmp_net(c, o, i);
	for (int k = 0; k < REMIT_C_COUNT; k++) {
		if (k == REMIT_C_ROUNDING)
			continue;
		remit__num v = remit__xsum_get(&o->comp[i * REMIT_C_COUNT + k], c->pool);
		shown[k] = remit__num_round(c->pool, v, c->scale, REMIT__HALF_EVEN);
		rest = remit__num_sub(c->pool, rest, shown[k]);
	}
	shown[REMIT_C_ROUNDING] = rest;
}

static int cmp_by_name(const void *a, const void *b, void *names)
{
	const remit__strtab *t = names;
	return strcmp(t->strs[*(const uint32_t *)a], t->strs[*(const uint32_t *)b]);
}

/* Ids of organisations (providers: receives; commissioners: !receives). */
uint32_t *remit__cmp_orgs(remit__cmp *c, bool providers, size_t *n)
{
	uint32_t *v = remit__xmalloc((c->names.n + 1) * sizeof *v);
	*n = 0;
	for (uint32_t id = 0; id < c->names.n && id < c->cap_orgs; id++)
		if (c->orgs[id].received && c->orgs[id].receives == providers)
			v[(*n)++] = id;
	qsort_r(v, *n, sizeof *v, cmp_by_name, &c->names);
	return v;
}

static uint32_t *keys_sorted(const remit__strtab *t)
{
	uint32_t *v = remit__xmalloc((t->n + 1) * sizeof *v);
	for (uint32_t i = 0; i < t->n; i++)
		v[i] = i;
	qsort_r(v, t->n, sizeof *v, cmp_by_name, (void *)t);
	return v;
}

/* ---- terminal report ----------------------------------------------------- */

/* Regimes are columns A, B, C, ... (named in the legend at the top). */
static void text_header(writer *w, const char *first)
{
	remit__cmp *c = w->c;
	say(w, "%-16s", first);
	for (size_t i = 0; i < c->n; i++)
		say(w, " %14c", (int)('A' + i % 26));
	for (size_t i = 1; i < c->n; i++)
		say(w, " %10c − A %8s", (int)('A' + i % 26), "%");
	say(w, "\n");
}

static void text_values(writer *w, const char *name, const remit__num *v, bool spend)
{
	remit__cmp *c = w->c;
	char a[REMIT__NUM_BUF], b[REMIT__NUM_BUF];
	say(w, "%-16.16s", name);
	for (size_t i = 0; i < c->n; i++)
		say(w, " %14s", remit__cmp_money(c, spend ? remit__num_neg(c->pool, v[i]) : v[i], a));
	for (size_t i = 1; i < c->n; i++) {
		remit__num d = remit__num_sub(c->pool, v[i], v[0]);
		if (spend)
			d = remit__num_neg(c->pool, d);
		say(w, " %14s %8s", remit__cmp_money(c, d, a), remit__cmp_percent(c, d, v[0], b));
	}
	say(w, "\n");
}

static void text_orgs(writer *w, bool providers)
{
	remit__cmp *c = w->c;
	size_t n;
	uint32_t *ids = remit__cmp_orgs(c, providers, &n);
	remit__num *v = remit__xcalloc(c->n, sizeof *v);
	say(w, providers ? "Providers and budget holders: net income (received − paid to others)\n"
			 : "Commissioners: spend (paid − received)\n");
	text_header(w, "organisation");
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < c->n; i++)
			v[i] = remit__cmp_net(c, &c->orgs[ids[k]], i);
		text_values(w, c->names.strs[ids[k]], v, !providers);
		remit__numpool_reset(c->pool);
	}
	say(w, "\n");
	free(v);
	free(ids);
}

static void text_keyed(writer *w, const keyed *k, const char *title, const char *first)
{
	remit__cmp *c = w->c;
	uint32_t *ids = keys_sorted(&k->names);
	remit__num *v = remit__xcalloc(c->n, sizeof *v);
	say(w, "%s\n", title);
	text_header(w, first);
	for (uint32_t j = 0; j < k->names.n; j++) {
		for (size_t i = 0; i < c->n; i++)
			v[i] = remit__xsum_get(&k->v[(size_t)ids[j] * c->n + i], c->pool);
		text_values(w, k->names.strs[ids[j]], v, false);
		remit__numpool_reset(c->pool);
	}
	say(w, "\n");
	free(v);
	free(ids);
}

static void text_decomposition(writer *w)
{
	remit__cmp *c = w->c;
	size_t n;
	uint32_t *ids = remit__cmp_orgs(c, true, &n);
	remit__num shown0[REMIT_C_COUNT], shown[REMIT_C_COUNT];
	char a[REMIT__NUM_BUF];
	for (size_t i = 1; i < c->n; i++) {
		say(w, "Where each delta comes from (%c − A), by component and by module\n",
		    (int)('A' + i % 26));
		for (size_t k = 0; k < n; k++) {
			const org *o = &c->orgs[ids[k]];
			remit__num d = remit__num_sub(c->pool, remit__cmp_net(c, o, i), remit__cmp_net(c, o, 0));
			say(w, "%-16.16s %s =", c->names.strs[ids[k]], remit__cmp_money(c, d, a));
			remit__cmp_components(c, o, 0, shown0);
			remit__cmp_components(c, o, i, shown);
			bool any = false;
			for (int q = 0; q < REMIT_C_COUNT; q++) {
				remit__num dq = remit__num_sub(c->pool, shown[q], shown0[q]);
				if (remit__num_sign(dq) == 0)
					continue;
				say(w, "%s %s %s", any ? " +" : "", remit_component_name((remit_component)q),
				    remit__cmp_money(c, dq, a));
				any = true;
			}
			say(w, "%s\n", any ? "" : " 0");
			say(w, "%-16s by module:", "");
			any = false;
			for (size_t q = 0; q < o->nmods; q++) {
				remit__num dm = remit__num_sub(c->pool,
							       remit__xsum_get(&o->mods[q].v[i], c->pool),
							       remit__xsum_get(&o->mods[q].v[0], c->pool));
				if (remit__num_sign(dm) == 0)
					continue;
				say(w, "%s %s %s", any ? " +" : "", c->modules.strs[o->mods[q].module],
				    remit__cmp_money(c, dm, a));
				any = true;
			}
			say(w, "%s\n", any ? "" : " 0");
			remit__numpool_reset(c->pool);
		}
		say(w, "\n");
	}
	free(ids);
}

static int cmp_trans(const void *a, const void *b, void *names)
{
	const trans *x = a, *y = b;
	const remit__strtab *t = names;
	if (x->regime != y->regime)
		return x->regime < y->regime ? -1 : 1;
	int r = strcmp(t->strs[x->from], t->strs[y->from]);
	return r ? r : strcmp(t->strs[x->to], t->strs[y->to]);
}

void remit__cmp_sort_transitions(remit__cmp *c)
{
	if (c->ntr) /* (none: c->tr is NULL, which qsort_r must not get) */
		qsort_r(c->tr, c->ntr, sizeof *c->tr, cmp_trans, &c->names);
	free(c->tr_slots); /* the order changed: rebuilt on next use */
	c->tr_slots = NULL;
}

static void text_transitions(writer *w)
{
	remit__cmp *c = w->c;
	char a[REMIT__NUM_BUF], b[REMIT__NUM_BUF];
	remit__cmp_sort_transitions(c);
	uint32_t regime = 0;
	for (size_t k = 0; k < c->ntr; k++) {
		const trans *t = &c->tr[k];
		if (t->regime != regime) {
			regime = t->regime;
			say(w, "Funding transitions: who is paid for each activity row, A → %c\n",
			    (int)('A' + regime % 26));
			char to[16], amt[24];
			snprintf(to, sizeof to, "paid under %c", (int)('A' + regime % 26));
			snprintf(amt, sizeof amt, "amount under %c", (int)('A' + regime % 26));
			say(w, "%-16s %-16s %10s %16s %16s\n", "paid under A", to, "rows",
			    "amount under A", amt);
		}
		say(w, "%-16.16s %-16.16s %10llu %16s %16s\n", c->names.strs[t->from],
		    c->names.strs[t->to], (unsigned long long)t->rows,
		    remit__cmp_money(c, remit__xsum_get(&t->from_amount, c->pool), a),
		    remit__cmp_money(c, remit__xsum_get(&t->to_amount, c->pool), b));
		remit__numpool_reset(c->pool);
	}
	say(w, "\n");
}

static void text_exposure(writer *w)
{
	remit__cmp *c = w->c;
	char a[REMIT__NUM_BUF];
	say(w, "Scope exposure\n%-6s %30s %16s %18s %14s\n", "regime",
	    "members' rows no budget covers", "paid otherwise", "rows in 2 scopes", "unpriced rows");
	for (size_t i = 0; i < c->n; i++) {
		const exposure *e = &c->exp[i];
		say(w, "%-6c %30llu %16s %18llu %14llu\n", (int)('A' + i % 26),
		    (unsigned long long)e->exposed_rows,
		    remit__cmp_money(c, remit__xsum_get(&e->exposed_amount, c->pool), a),
		    (unsigned long long)e->overlap_rows, (unsigned long long)e->unpriced_rows);
	}
	say(w, "\n");
}

static void text_reconciliation(writer *w)
{
	remit__cmp *c = w->c;
	say(w, "Reconciliation\n");
	for (size_t i = 0; i < c->n; i++) {
		const remit_counts *k = &c->counts[i];
		say(w,
		    "  %c  rows: %llu read = %llu priced + %llu covered + %llu unpriced + %llu "
		    "rejected; money by payer = by payee = %s: %s\n",
		    (int)('A' + i % 26), (unsigned long long)k->read, (unsigned long long)k->priced,
		    (unsigned long long)k->covered, (unsigned long long)k->unpriced,
		    (unsigned long long)k->rejected, c->totals[i] ? c->totals[i] : "",
		    c->balanced[i] ? "balanced" : "NOT BALANCED");
	}
}

void remit__cmp_write_text(remit__cmp *c, const char *by, remit__write_fn out, void *ud)
{
	remit__cmp_settle(c);
	writer w = {c, out, ud};
	say(&w, "The same activity priced under %zu regimes:\n", c->n);
	for (size_t i = 0; i < c->n; i++)
		say(&w, "  %c  %s\n", (int)('A' + i % 26), c->regimes[i]);
	say(&w, "\n");
	if (!by || !strcmp(by, "provider")) {
		text_orgs(&w, true);
		text_orgs(&w, false);
	} else if (!strcmp(by, "commissioner")) {
		text_orgs(&w, false);
		text_orgs(&w, true);
	} else if (!strcmp(by, "module")) {
		text_keyed(&w, &c->by_module, "Paid by module", "module");
	} else {
		text_keyed(&w, &c->by_pod, "Paid by point of delivery", "pod");
	}
	text_decomposition(&w);
	text_transitions(&w);
	text_exposure(&w);
	text_reconciliation(&w);
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_str(writer *w, const char *s)
{
	say(w, "\"");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			say(w, "\\%c", ch);
		else if (ch < 0x20)
			say(w, "\\u%04x", ch);
		else
			say(w, "%c", ch);
	}
	say(w, "\"");
}

static void json_array(writer *w, const remit__num *v, size_t n)
{
	char a[REMIT__NUM_BUF];
	say(w, "[");
	for (size_t i = 0; i < n; i++)
		say(w, "%s\"%s\"", i ? ", " : "", remit__cmp_money(w->c, v[i], a));
	say(w, "]");
}

static void json_org(writer *w, uint32_t id)
{
	remit__cmp *c = w->c;
	const org *o = &c->orgs[id];
	size_t n = c->n;
	remit__num *v = remit__xcalloc(n, sizeof *v), *d = remit__xcalloc(n, sizeof *d);
	remit__num(*shown)[REMIT_C_COUNT] = remit__xcalloc(n, sizeof *shown);
	char p[REMIT__NUM_BUF];
	for (size_t i = 0; i < n; i++) {
		v[i] = remit__cmp_net(c, o, i);
		remit__cmp_components(c, o, i, shown[i]);
	}
	for (size_t i = 1; i < n; i++)
		d[i - 1] = remit__num_sub(c->pool, v[i], v[0]);
	json_str(w, c->names.strs[id]);
	say(w, ": {\"role\": \"%s\", \"net\": ", o->receives ? "provider" : "commissioner");
	json_array(w, v, n);
	say(w, ", \"delta\": ");
	json_array(w, d, n - 1);
	say(w, ", \"delta_pct\": [");
	for (size_t i = 1; i < n; i++)
		say(w, "%s\"%s\"", i > 1 ? ", " : "", remit__cmp_percent(c, d[i - 1], v[0], p));
	say(w, "], \"by_component\": {");
	bool first = true;
	for (int k = 0; k < REMIT_C_COUNT; k++) {
		bool any = false;
		for (size_t i = 0; i < n; i++)
			any |= remit__num_sign(shown[i][k]) != 0;
		if (!any)
			continue;
		say(w, "%s\"%s\": ", first ? "" : ", ", remit_component_name((remit_component)k));
		for (size_t i = 0; i < n; i++)
			v[i] = shown[i][k];
		json_array(w, v, n);
		first = false;
	}
	say(w, "}, \"by_module\": {");
	for (size_t q = 0; q < o->nmods; q++) {
		say(w, "%s", q ? ", " : "");
		json_str(w, c->modules.strs[o->mods[q].module]);
		say(w, ": ");
		for (size_t i = 0; i < n; i++)
			v[i] = remit__xsum_get(&o->mods[q].v[i], c->pool);
		json_array(w, v, n);
	}
	say(w, "}}");
	free(v);
	free(d);
	free(shown);
	remit__numpool_reset(c->pool);
}

void remit__cmp_write_json(remit__cmp *c, remit__write_fn out, void *ud)
{
	remit__cmp_settle(c);
	writer w = {c, out, ud};
	char a[REMIT__NUM_BUF], b[REMIT__NUM_BUF];
	say(&w, "{\"regimes\": [");
	for (size_t i = 0; i < c->n; i++) {
		say(&w, "%s", i ? ", " : "");
		json_str(&w, c->regimes[i]);
	}
	say(&w, "], \"scale\": %d,\n \"organisations\": {", c->scale);
	size_t np, nc;
	uint32_t *prov = remit__cmp_orgs(c, true, &np), *comm = remit__cmp_orgs(c, false, &nc);
	for (size_t k = 0; k < np + nc; k++) {
		say(&w, "%s\n  ", k ? "," : "");
		json_org(&w, k < np ? prov[k] : comm[k - np]);
	}
	free(prov);
	free(comm);
	say(&w, "},\n \"transitions\": [");
	remit__cmp_sort_transitions(c);
	for (size_t k = 0; k < c->ntr; k++) {
		const trans *t = &c->tr[k];
		say(&w, "%s\n  {\"from\": ", k ? "," : "");
		json_str(&w, c->names.strs[t->from]);
		say(&w, ", \"to\": ");
		json_str(&w, c->names.strs[t->to]);
		say(&w, ", \"rows\": %llu, \"amounts\": [\"%s\", \"%s\"]",
		    (unsigned long long)t->rows, remit__cmp_money(c, remit__xsum_get(&t->from_amount, c->pool), a),
		    remit__cmp_money(c, remit__xsum_get(&t->to_amount, c->pool), b));
		if (c->n > 2)
			say(&w, ", \"regime\": %u", t->regime);
		say(&w, "}");
		remit__numpool_reset(c->pool);
	}
	say(&w, "],\n \"exposure\": [");
	for (size_t i = 0; i < c->n; i++) {
		const exposure *e = &c->exp[i];
		say(&w, "%s\n  {\"regime\": ", i ? "," : "");
		json_str(&w, c->regimes[i]);
		say(&w,
		    ", \"uncovered_member_rows\": %llu, \"uncovered_member_amount\": \"%s\", "
		    "\"overlap_rows\": %llu, \"unpriced_rows\": %llu}",
		    (unsigned long long)e->exposed_rows,
		    remit__cmp_money(c, remit__xsum_get(&e->exposed_amount, c->pool), a),
		    (unsigned long long)e->overlap_rows, (unsigned long long)e->unpriced_rows);
	}
	say(&w, "],\n \"reconciliation\": [");
	for (size_t i = 0; i < c->n; i++) {
		const remit_counts *k = &c->counts[i];
		say(&w, "%s\n  {\"regime\": ", i ? "," : "");
		json_str(&w, c->regimes[i]);
		say(&w,
		    ", \"rows\": {\"read\": %llu, \"priced\": %llu, \"covered\": %llu, \"unpriced\": "
		    "%llu, \"rejected\": %llu}, \"total\": \"%s\", \"balanced\": %s}",
		    (unsigned long long)k->read, (unsigned long long)k->priced,
		    (unsigned long long)k->covered, (unsigned long long)k->unpriced,
		    (unsigned long long)k->rejected, c->totals[i] ? c->totals[i] : "",
		    c->balanced[i] ? "true" : "false");
	}
	say(&w, "]}\n");
}

/* ---- CSV: one long table --------------------------------------------------- */

static void csv_row(writer *w, const char *section, const char *name, const char *measure,
		    size_t regime, const char *value)
{
	/* names are organisation codes, module names and pods: quote if needed */
	const char *q = strpbrk(name, ",\"\n") ? "\"" : "";
	say(w, "%s,%s%s%s,%s,", section, q, name, q, measure);
	const char *rq = strpbrk(w->c->regimes[regime], ",\"\n") ? "\"" : "";
	say(w, "%s%s%s,%s\n", rq, w->c->regimes[regime], rq, value);
}

void remit__cmp_write_csv(remit__cmp *c, remit__write_fn out, void *ud)
{
	remit__cmp_settle(c);
	writer w = {c, out, ud};
	char a[REMIT__NUM_BUF];
	remit__num shown[REMIT_C_COUNT];
	say(&w, "section,name,measure,regime,value\n");
	for (int role = 1; role >= 0; role--) {
		size_t n;
		uint32_t *ids = remit__cmp_orgs(c, role, &n);
		for (size_t k = 0; k < n; k++) {
			const org *o = &c->orgs[ids[k]];
			const char *name = c->names.strs[ids[k]];
			for (size_t i = 0; i < c->n; i++) {
				csv_row(&w, role ? "provider" : "commissioner", name, "net", i,
					 remit__cmp_money(c, remit__cmp_net(c, o, i), a));
				remit__cmp_components(c, o, i, shown);
				for (int q = 0; q < REMIT_C_COUNT; q++)
					if (remit__num_sign(shown[q]))
						csv_row(&w, role ? "provider" : "commissioner", name,
							remit_component_name((remit_component)q), i,
							 remit__cmp_money(c, shown[q], a));
				remit__numpool_reset(c->pool);
			}
		}
		free(ids);
	}
	remit__cmp_sort_transitions(c);
	for (size_t k = 0; k < c->ntr; k++) {
		const trans *t = &c->tr[k];
		char name[512], rows[32];
		snprintf(name, sizeof name, "%s>%s", c->names.strs[t->from], c->names.strs[t->to]);
		snprintf(rows, sizeof rows, "%llu", (unsigned long long)t->rows);
		csv_row(&w, "transition", name, "rows", t->regime, rows);
		csv_row(&w, "transition", name, "amount_before", t->regime,
			 remit__cmp_money(c, remit__xsum_get(&t->from_amount, c->pool), a));
		csv_row(&w, "transition", name, "amount_after", t->regime,
			 remit__cmp_money(c, remit__xsum_get(&t->to_amount, c->pool), a));
	}
	for (size_t i = 0; i < c->n; i++) {
		char v[32];
		snprintf(v, sizeof v, "%llu", (unsigned long long)c->exp[i].exposed_rows);
		csv_row(&w, "exposure", "all", "uncovered_member_rows", i, v);
		csv_row(&w, "exposure", "all", "uncovered_member_amount", i,
			 remit__cmp_money(c, remit__xsum_get(&c->exp[i].exposed_amount, c->pool), a));
		snprintf(v, sizeof v, "%llu", (unsigned long long)c->exp[i].overlap_rows);
		csv_row(&w, "exposure", "all", "overlap_rows", i, v);
		snprintf(v, sizeof v, "%llu", (unsigned long long)c->exp[i].unpriced_rows);
		csv_row(&w, "exposure", "all", "unpriced_rows", i, v);
	}
}
