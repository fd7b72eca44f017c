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

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A breakdown of money by name (payee, payer, module, kind).  A line's
 * names are looked up first in a small direct-mapped memo of short names
 * (a few dozen providers and commissioners fit), then in the table. */
#define TALLY_MEMO 64
typedef struct tally_memo {
	remit__skey k;
	uint32_t n1, id; /* length + 1 (0: empty), the name's id */
} tally_memo;

typedef struct tally {
	remit__strtab names;
	remit__sum *sums;
	uint32_t cap;
	tally_memo memo[TALLY_MEMO];
} tally;

/* The sums of the lines of one (payee, payer, module, kind): a line is
 * added to its cell only, and the cells are settled into the four tallies
 * and the total when those are read (settle).  A run's lines fall into a
 * few hundred combinations at most, so one probe and one exact addition a
 * line replace four lookups and five additions.  Names longer than a short
 * key skip the cells.
 *
 * A cell is one cache line: its key, and its sum while that fits 64 bits
 * of units of 10^-scale.  The rest (the tally ids, and an exact sum for
 * what does not fit: a big amount, or units past 64 bits) is apart, in
 * cell_more, touched when a cell is made and settled.  Lines spread at
 * random over a few hundred cells; a cell of two lines cost the first
 * level cache two misses a line where this costs one. */
typedef struct cell {
	remit__skey payee, payer;
	const remit__module *module;
	const char *kind;
	int64_t units;            /* not yet settled, beside more.sum */
	uint8_t payee_n, payer_n; /* 0: an empty slot (names are never empty here) */
} __attribute__((aligned(64))) cell;

_Static_assert(sizeof(cell) == 64, "a cell is one cache line");

typedef struct cell_more {
	uint32_t payee_id, payer_id, module_id, kind_id;
	remit__sum sum; /* what did not fit the cell's units */
} cell_more;

typedef struct cells {
	cell *v;
	cell_more *more; /* of v[i] */
	uint32_t mask, n;
} cells;

typedef struct evbuf evbuf;

/* A line's first three fields as CSV (csv_head), kept for the next line. */
typedef struct csv_memo {
	const void *module, *kind; /* whose they are (NULL: none yet) */
	char *text;
	size_t n, cap;
} csv_memo;

struct remit__run {
	const remit_regime *regime;
	const remit_run_options *opt;
	remit__ctx cx;
	remit__strtab orgs, patients;
	bool observers; /* some module observes lines */
	tally by_payee, by_payer, by_module, by_kind;
	remit__sum total;
	cells cells; /* lines not yet in the tallies and the total */
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
	uint32_t *module_tally; /* by module index: its id in by_module, UINT32_MAX if none yet */
	bool is_part;         /* one part of a run on several threads */
	evbuf *ev;            /* a part's events, delivered when it is joined */
	evbuf *csv;           /* on one thread: lines as CSV not yet delivered */
	csv_memo csv_head;    /* the last CSV line's first three fields */
	bool too_big;         /* a line too large to print exactly: the run fails */
	remit_error big_err;
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

static uint32_t tally_id(tally *t, const char *s, size_t n)
{
	remit__skey k = {0, 0};
	tally_memo *m = NULL;
	if (n <= REMIT__SKEY_MAX) {
		k = remit__skey_of(s, n);
		m = &t->memo[((k.a + k.b * 31 + n) * 0x9e3779b97f4a7c15ull) >> 58];
		if (m->n1 == n + 1 && remit__skey_eq(m->k, k))
			return m->id;
	}
	uint32_t id = remit__intern(&t->names, s, n);
	if (id >= t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		while (cap <= id)
			cap *= 2;
		t->sums = remit__xrealloc(t->sums, cap * sizeof *t->sums);
		memset(t->sums + t->cap, 0, (cap - t->cap) * sizeof *t->sums);
		t->cap = cap;
	}
	if (m)
		*m = (tally_memo){k, (uint32_t)n + 1, id};
	return id;
}

static void tally_add(tally *t, const char *s, size_t n, remit__num v, int scale)
{
	uint32_t id = tally_id(t, s, n); /* before t->sums: it may move */
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

/* ---- line cells (see struct cell) ----------------------------------------- */

static uint64_t cell_hash(remit__skey payee, size_t pn, remit__skey payer, size_t rn,
			  const remit__module *m, const char *kind)
{
	/* two rounds: short names give keys of a few low bits, and one round
	   of mum leaves the table's low bits to them (and to where the
	   module and its kind happen to be in memory) */
	uint64_t x = payee.a ^ (uint64_t)pn << 56 ^ (uintptr_t)m ^ 0x9e3779b97f4a7c15ull;
	uint64_t y = payer.a ^ (uint64_t)rn << 56 ^ (uintptr_t)kind ^ 0xe7037ed1a0b428dbull;
	uint64_t h = remit__mum(x, y);
	return remit__mum(h ^ payee.b ^ 0x8ebc6af09c88c6e3ull,
			  (h >> 29) ^ payer.b ^ 0x589965cc75374cc3ull);
}

/* The cells' table with cap places (a power of two), the cells kept. */
static void cells_resize(cells *c, uint32_t cap)
{
	cell *v = aligned_alloc(_Alignof(cell), cap * sizeof *v);
	cell_more *more = remit__xcalloc(cap, sizeof *more);
	if (!v)
		abort(); /* out of memory: remit__xmalloc's policy */
	memset(v, 0, cap * sizeof *v);
	for (uint32_t i = 0; c->v && i <= c->mask; i++) {
		const cell *e = &c->v[i];
		if (!e->payee_n)
			continue;
		uint32_t j = (uint32_t)cell_hash(e->payee, e->payee_n, e->payer, e->payer_n,
						 e->module, e->kind) &
			     (cap - 1);
		while (v[j].payee_n)
			j = (j + 1) & (cap - 1);
		v[j] = *e;
		more[j] = c->more[i];
	}
	free(c->v);
	free(c->more);
	c->v = v;
	c->more = more;
	c->mask = cap - 1;
}

static void cells_free(cells *c)
{
	for (uint32_t i = 0; c->v && i <= c->mask; i++)
		remit__sum_clear(&c->more[i].sum);
	free(c->v);
	free(c->more);
	memset(c, 0, sizeof *c);
}

/* The module's id in by_module. */
static uint32_t module_id(struct remit__run *run, const remit__module *m)
{
	if (m->index < run->regime->nmodules && run->regime->modules[m->index] == m) {
		uint32_t *id = &run->module_tally[m->index];
		if (*id == UINT32_MAX)
			*id = tally_id(&run->by_module, m->name, strlen(m->name));
		return *id;
	}
	return tally_id(&run->by_module, m->name, strlen(m->name));
}

/* Add a line's amount to its cell, or straight to the tallies. */
static void cells_add(struct remit__run *run, const remit__pline *l, int scale)
{
	cells *c = &run->cells;
	size_t pn = l->payee.n, rn = l->payer.n;
	if (pn - 1 >= REMIT__SKEY_MAX || rn - 1 >= REMIT__SKEY_MAX) { /* empty or long */
		remit__sum_add(&run->total, l->amount, scale);
		tally_add(&run->by_payee, l->payee.p, pn, l->amount, scale);
		tally_add(&run->by_payer, l->payer.p, rn, l->amount, scale);
		uint32_t mid = module_id(run, l->module); /* before by_module.sums: it may move */
		remit__sum_add(&run->by_module.sums[mid], l->amount, scale);
		tally_add(&run->by_kind, l->kind, strlen(l->kind), l->amount, scale);
		return;
	}
	remit__skey payee = remit__skey_of(l->payee.p, pn), payer = remit__skey_of(l->payer.p, rn);
	if (!c->v || (c->n + 1) * 2 > c->mask + 1) /* at most half full: few probes */
		cells_resize(c, c->v ? (c->mask + 1) * 2 : 256);
	uint32_t i = (uint32_t)cell_hash(payee, pn, payer, rn, l->module, l->kind) & c->mask;
	for (;; i = (i + 1) & c->mask) {
		cell *e = &c->v[i];
		if (!e->payee_n) {
			*e = (cell){payee, payer, l->module, l->kind, 0, (uint8_t)pn, (uint8_t)rn};
			c->more[i] = (cell_more){tally_id(&run->by_payee, l->payee.p, pn),
						 tally_id(&run->by_payer, l->payer.p, rn),
						 module_id(run, l->module),
						 tally_id(&run->by_kind, l->kind, strlen(l->kind)),
						 REMIT__SUM_INIT};
			c->n++;
		} else if (e->module != l->module || e->kind != l->kind || e->payee_n != pn ||
			   e->payer_n != rn || !remit__skey_eq(e->payee, payee) ||
			   !remit__skey_eq(e->payer, payer)) {
			continue;
		}
		int64_t sum;
		if (!l->amount.big && l->amount.exp == scale &&
		    !__builtin_add_overflow(e->units, l->amount.coef, &sum))
			e->units = sum;
		else
			remit__sum_add(&c->more[i].sum, l->amount, scale);
		return;
	}
}

/* Free the run's money: the tallies, the cells and the total. */
static void sums_free(struct remit__run *run)
{
	tally_free(&run->by_payee);
	tally_free(&run->by_payer);
	tally_free(&run->by_module);
	tally_free(&run->by_kind);
	cells_free(&run->cells);
	remit__sum_clear(&run->total);
}

/* Move the cells' sums into the tallies and the total. */
static void settle(struct remit__run *run)
{
	cells *c = &run->cells;
	int scale = run->regime->scale;
	for (uint32_t i = 0; c->v && i <= c->mask; i++) {
		cell *e = &c->v[i];
		cell_more *m = &c->more[i];
		if (!e->payee_n)
			continue;
		remit__sum_add(&m->sum, (remit__num){e->units, scale, NULL}, scale);
		e->units = 0;
		remit__sum_add_sum(&run->total, &m->sum);
		remit__sum_add_sum(&run->by_payee.sums[m->payee_id], &m->sum);
		remit__sum_add_sum(&run->by_payer.sums[m->payer_id], &m->sum);
		remit__sum_add_sum(&run->by_module.sums[m->module_id], &m->sum);
		remit__sum_add_sum(&run->by_kind.sums[m->kind_id], &m->sum);
		remit__sum_clear(&m->sum);
	}
}

/* ---- pricing on several threads ---------------------------------------------
 *
 * The activity file is cut into parts of about REMIT__MARK_BYTES at record
 * boundaries; worker threads (and the calling thread) price parts, each
 * into its own accumulators (tallies, counts, the modules' part states from
 * run_fork) and a buffer of its events (lines, rejects, unpriced rows, in
 * row order); the calling thread joins the parts in file order, delivering
 * their events to the callbacks.  Every output is therefore what one
 * thread gives: the same sums (exact, so their order does not matter), the
 * same lines in the same order, from the same rows.
 *
 * The per-patient pre-pass is read the same way: each part scans its rows
 * into a scan of its own (patients.c), joined in file order.
 *
 * Two kinds of pass:
 *  - After a first pass (the per-patient pre-pass) the reader knows where
 *    records start (its marks), their lines and ordinals, and which rows
 *    are duplicates: parts are exact.
 *  - Otherwise this pass is the first one.  A part but the first starts
 *    after the first LF at or after its nominal offset: a guess, wrong only
 *    if that LF is inside a quoted field.  Its lines are counted from 1
 *    there, ordinals from 0, and it assumes no row is a duplicate, noting
 *    each record's offset, its id's order and, once the ids have come out
 *    of order (remit__reader_hashes), its hash.  Joining checks the guess
 *    against where the previous part ended, shifts the lines, and hands the
 *    notes to the reader (remit__reader_commit), which finds the duplicates in
 *    file order; a part whose guess was wrong, that failed, or that has
 *    duplicates is priced again on the calling thread, exactly.  Ordinals
 *    seen by modules in a guessed part are local to it: only per-patient
 *    results are looked up by ordinal, and they imply a pre-pass (whose
 *    joins shift a guessed part's ordinals).
 */

enum { EV_LINE = 1, EV_REJECT, EV_UNPRICED, EV_CSV };

/* Events of a part, serialized: a type byte, then for lines the module's
 * name and the kind (pointers: the regime's strings and literals outlive
 * the run), 6 strings (payer, payee, patient, activity, amount, basis),
 * a mask of the components that are not zero and their strings; for notes
 * a line, a column and 3 strings (id, reason, raw).  A string is its
 * length (4 bytes), its bytes and a NUL.  (Most components of a line are
 * zero: a line's event is about 120 bytes rather than 210, which the
 * calling thread reads back when it joins the part.)  Lines as CSV are
 * the records' bytes, ready to deliver: consecutive records share one
 * EV_CSV event, its length (8 bytes) then its bytes. */
typedef struct evbuf {
	char *p;
	size_t n, cap;
	size_t csv_at; /* where the length of the EV_CSV event at the end is; 0: none */
} evbuf;

/* Room for n more bytes at the end of e. */
static char *ev_room(evbuf *e, size_t n)
{
	if (e->n + n > e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 1 << 16;
		while (cap < e->n + n)
			cap *= 2;
		e->p = remit__xrealloc(e->p, cap);
		e->cap = cap;
	}
	return e->p + e->n;
}

static void ev_put(evbuf *e, const void *d, size_t n)
{
	memcpy(ev_room(e, n), d, n);
	e->n += n;
}

/* A string at *o: its length (4 bytes), its bytes and a NUL. */
static void ev_text(char **o, const char *s, size_t n)
{
	uint32_t n32 = (uint32_t)n;
	memcpy(*o, &n32, 4);
	if (n)
		memcpy(*o + 4, s, n);
	(*o)[4 + n] = '\0';
	*o += 4 + n + 1;
}

static void ev_strn(evbuf *e, const char *s, size_t n)
{
	char *o = ev_room(e, 4 + n + 1);
	ev_text(&o, s, n);
	e->n = (size_t)(o - e->p);
}

static void ev_str(evbuf *e, const char *s)
{
	ev_strn(e, s, strlen(s));
}

static const char *ev_get_str(const char **p)
{
	uint32_t n;
	memcpy(&n, *p, 4);
	const char *s = *p + 4;
	*p += 4 + (size_t)n + 1;
	return s;
}

static uint64_t ev_get_u64(const char **p)
{
	uint64_t v;
	memcpy(&v, *p, 8);
	*p += 8;
	return v;
}

static const char *ev_get_ptr(const char **p)
{
	const char *v;
	memcpy(&v, *p, sizeof v);
	*p += sizeof v;
	return v;
}

_Static_assert(REMIT_C_COUNT <= 32, "a line's event has 32 bits for its components");

/* The lengths of a line's texts that send_line knows as it makes them
 * (ev_line measures the others), and which components are not zero. */
typedef struct line_lens {
	size_t payer, payee, patient, activity, amount, comp[REMIT_C_COUNT];
	uint32_t comps; /* bit c: components[c] is not "" (comp[c] is set) */
} line_lens;

/* A line's event: room made once, each text copied. */
static void ev_line(evbuf *e, const remit_line *l, const line_lens *k)
{
	size_t basis = strlen(l->basis);
	size_t need = 1 + 2 * sizeof(char *) + 4 + 5 * (6 + REMIT_C_COUNT) + k->payer + k->payee +
		      k->patient + k->activity + k->amount + basis;
	for (uint32_t m = k->comps; m; m &= m - 1)
		need += k->comp[__builtin_ctz(m)];
	char *o = ev_room(e, need);
	e->csv_at = 0;
	*o++ = EV_LINE;
	memcpy(o, &l->module, sizeof l->module);
	memcpy(o + sizeof l->module, &l->kind, sizeof l->kind);
	o += 2 * sizeof(char *);
	ev_text(&o, l->payer, k->payer);
	ev_text(&o, l->payee, k->payee);
	ev_text(&o, l->patient, k->patient);
	ev_text(&o, l->activity, k->activity);
	ev_text(&o, l->amount, k->amount);
	ev_text(&o, l->basis, basis);
	memcpy(o, &k->comps, 4);
	o += 4;
	for (uint32_t m = k->comps; m; m &= m - 1) {
		int c = __builtin_ctz(m);
		ev_text(&o, l->components[c], k->comp[c]);
	}
	e->n = (size_t)(o - e->p);
}

static void ev_note(evbuf *e, int type, uint64_t line, uint32_t column, remit__str id,
		    const char *reason, remit__str raw)
{
	char t = (char)type;
	uint64_t col = column;
	e->csv_at = 0;
	ev_put(e, &t, 1);
	ev_put(e, &line, 8);
	ev_put(e, &col, 8);
	ev_strn(e, id.p, id.n < 255 ? id.n : 255); /* as note() truncates it */
	ev_str(e, reason);
	ev_strn(e, raw.p, raw.n);
}

/* Deliver a part's events to the callbacks, its lines shifted. */
static void ev_flush(const evbuf *e, const remit_run_options *o, const char *regime,
		     const char *file, int64_t shift)
{
	const char *p = e->p, *end = e->p + e->n;
	while (p < end) {
		char t = *p++;
		if (t == EV_LINE) {
			remit_line l = {0};
			l.regime = regime;
			l.module = ev_get_ptr(&p);
			l.kind = ev_get_ptr(&p);
			l.payer = ev_get_str(&p);
			l.payee = ev_get_str(&p);
			l.patient = ev_get_str(&p);
			l.activity = ev_get_str(&p);
			l.amount = ev_get_str(&p);
			l.basis = ev_get_str(&p);
			uint32_t mask;
			memcpy(&mask, p, 4);
			p += 4;
			for (int c = 0; c < REMIT_C_COUNT; c++)
				l.components[c] = "";
			for (; mask; mask &= mask - 1)
				l.components[__builtin_ctz(mask)] = ev_get_str(&p);
			o->on_line(o->ud, &l);
			continue;
		}
		if (t == EV_CSV) {
			uint64_t n = ev_get_u64(&p);
			o->on_lines_csv(o->ud, p, (size_t)n);
			p += n;
			continue;
		}
		remit_row_note n = {0};
		n.file = file;
		n.line = (unsigned long)((int64_t)ev_get_u64(&p) + shift);
		n.column = (unsigned long)ev_get_u64(&p);
		n.activity = ev_get_str(&p);
		n.reason = ev_get_str(&p);
		n.raw = ev_get_str(&p);
		(t == EV_REJECT ? o->on_reject : o->on_unpriced)(o->ud, &n);
	}
}

/* ---- what modules call ------------------------------------------------ */

/* s as a C string in buf, cut to cap - 1 bytes (as "%.*s" would); its
 * length. */
static size_t strz(char *buf, size_t cap, remit__str s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;
	if (n)
		memcpy(buf, s.p, n);
	buf[n] = '\0';
	return n;
}

/* ---- lines as CSV (on_lines_csv) ------------------------------------- */

/* The bytes that make an RFC 4180 field need quotes. */
static const unsigned char csv_special[256] = {[','] = 1, ['"'] = 1, ['\r'] = 1, ['\n'] = 1};

/* n bytes of s as a field at o, then sep: quoted, quotes doubled, when it
 * holds a comma, a quote or a line end (as the CLI writes every CSV
 * field).  Past what it wrote; o has room for 2n + 3 bytes. */
static char *csv_field(char *o, const char *s, size_t n, char sep)
{
	unsigned char special = 0;
	for (size_t i = 0; i < n; i++) { /* copied as it is checked: most need nothing */
		o[i] = s[i];
		special |= csv_special[(unsigned char)s[i]];
	}
	if (special) {
		*o++ = '"';
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '"')
				*o++ = '"';
			*o++ = s[i];
		}
		*o++ = '"';
	} else {
		o += n;
	}
	*o++ = sep;
	return o;
}

/* Room for n more bytes of CSV at the end of e; in a part's events, inside
 * the EV_CSV event at the end (opened if the last event is another). */
static char *csv_room(evbuf *e, size_t n, bool event)
{
	if (event && !e->csv_at) {
		char *o = ev_room(e, 1 + 8);
		*o = EV_CSV;
		memset(o + 1, 0, 8);
		e->csv_at = e->n + 1;
		e->n += 1 + 8;
	}
	return ev_room(e, n);
}

/* The bytes written at the end of e, up to o, are a record. */
static void csv_done(evbuf *e, const char *o, bool event)
{
	size_t len = (size_t)(o - (e->p + e->n));
	e->n += len;
	if (event) {
		uint64_t v;
		memcpy(&v, e->p + e->csv_at, 8);
		v += len;
		memcpy(e->p + e->csv_at, &v, 8);
	}
}

/* Deliver the lines a run on one thread holds (none unless on_lines_csv
 * is set: csv_line makes the buffer). */
static void csv_flush(struct remit__run *run)
{
	if (run->csv && run->csv->n) {
		run->opt->on_lines_csv(run->opt->ud, run->csv->p, run->csv->n);
		run->csv->n = 0;
	}
}

enum { CSV_FLUSH_AT = 1 << 18 }; /* bytes a run on one thread holds before delivering */

/* A line's first three fields (regime, module, kind) as CSV, in the run's
 * memo: made again only when they change (most lines repeat the last's). */
static const csv_memo *csv_head(struct remit__run *run, const remit__pline *l)
{
	csv_memo *h = &run->csv_head;
	if (h->module == l->module && h->kind == l->kind)
		return h;
	const char *name = run->regime->name;
	size_t rn = strlen(name), mn = strlen(l->module->name), kn = strlen(l->kind),
	       room = 2 * (rn + mn + kn) + 9;
	if (room > h->cap) {
		h->cap = room;
		h->text = remit__xrealloc(h->text, room);
	}
	char *o = csv_field(h->text, name, rn, ',');
	o = csv_field(o, l->module->name, mn, ',');
	o = csv_field(o, l->kind, kn, ',');
	h->n = (size_t)(o - h->text);
	h->module = l->module;
	h->kind = l->kind;
	return h;
}

static inline size_t cut255(size_t n)
{
	return n < 255 ? n : 255;
}

/* A line as a record of DATA.md's lines file.  Payer, payee, patient and
 * activity are cut to 255 bytes, as send_line_struct cuts them for
 * on_line, so that both give the same text. */
static void csv_line(struct remit__run *run, const remit__pline *l)
{
	const char *basis = l->basis ? l->basis : "";
	size_t bn = strlen(basis), pr = cut255(l->payer.n), pe = cut255(l->payee.n),
	       pa = cut255(l->patient.n), ac = cut255(l->activity.n);
	bool event = run->ev != NULL;
	if (!event && !run->csv)
		run->csv = remit__xcalloc(1, sizeof *run->csv);
	evbuf *e = event ? run->ev : run->csv;
	const csv_memo *h = csv_head(run, l);
	char *o = csv_room(e, h->n + 2 * (pr + pe + pa + ac + bn) + 3 * 5 + REMIT__NUM_BUF + 1,
			   event);
	memcpy(o, h->text, h->n);
	o = csv_field(o + h->n, l->payer.p, pr, ',');
	o = csv_field(o, l->payee.p, pe, ',');
	o = csv_field(o, l->patient.p, pa, ',');
	o = csv_field(o, l->activity.p, ac, ',');
	o += remit__num_format(l->amount, run->regime->scale, o, REMIT__NUM_BUF); /* never quoted */
	*o++ = ',';
	o = csv_field(o, basis, bn, '\n');
	csv_done(e, o, event);
	if (!event && e->n >= CSV_FLUSH_AT)
		csv_flush(run);
}

/* A line as a remit_line, to on_line (or a part's events) and the trace. */
static void send_line_struct(struct remit__run *run, const remit__pline *l)
{
	const remit_run_options *o = run->opt;
	remit__ctx *cx = &run->cx;
	char amount[REMIT__NUM_BUF], comp[REMIT_C_COUNT][REMIT__NUM_BUF];
	char payer[256], payee[256], patient[256], activity[256];
	remit_line out = {0};
	line_lens k;
	k.amount = remit__num_format(l->amount, run->regime->scale, amount, sizeof amount);
	k.comps = 0;
	for (int c = 0; c < REMIT_C_COUNT; c++) { /* (most are zero) */
		const remit__num *v = &l->comp[c];
		if ((v->coef || v->big) && remit__num_sign(*v) != 0)
			k.comps |= 1u << c;
		out.components[c] = "";
	}
	for (uint32_t m = k.comps; m; m &= m - 1) {
		int c = __builtin_ctz(m);
		k.comp[c] = remit__num_format_exact(l->comp[c], comp[c], sizeof comp[c]);
		out.components[c] = comp[c];
	}
	k.payer = strz(payer, sizeof payer, l->payer);
	k.payee = strz(payee, sizeof payee, l->payee);
	k.patient = strz(patient, sizeof patient, l->patient);
	k.activity = strz(activity, sizeof activity, l->activity);
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
	if (run->ev)
		ev_line(run->ev, &out, &k);
	else if (o && o->on_line)
		o->on_line(o->ud, &out);
}

/* A line to the callbacks (or a part's events) that read it. */
static void send_line(struct remit__run *run, const remit__pline *l)
{
	const remit_run_options *o = run->opt;
	if (o && o->on_lines_csv)
		csv_line(run, l);
	if (run->cx.trace || (o && o->on_line))
		send_line_struct(run, l);
}

/* Every amount must print exactly in the fixed buffers of lines, totals
 * and reports (REMIT__NUM_BUF): a line of 10^50 or more, or one with an
 * exact component longer than REMIT__NUM_BUF - 1 characters, is refused
 * and the run fails with REMIT_EDATA naming its row (docs/limits.md).
 * Small values always fit, so only big ones are measured. */
static bool line_too_big(struct remit__run *run, const remit__pline *l)
{
	static const remit__num lim = {100000000000000, -36, NULL}; /* 10^50 */
	static const remit__num neg = {-100000000000000, -36, NULL};
	uintptr_t bigs = (uintptr_t)l->amount.big;
	if (!l->nocomps)
		for (int c = 0; c < REMIT_C_COUNT; c++)
			bigs |= (uintptr_t)l->comp[c].big;
	if (!bigs)
		return false; /* small values always fit */
	const char *what = NULL;
	if (l->amount.big &&
	    (remit__num_cmp(l->amount, lim) >= 0 || remit__num_cmp(l->amount, neg) <= 0))
		what = "its amount is 10^50 or more";
	for (int c = 0; !what && !l->nocomps && c < REMIT_C_COUNT; c++)
		if (l->comp[c].big && mpz_sizeinbase(mpq_numref(l->comp[c].big), 10) +
						  mpz_sizeinbase(mpq_denref(l->comp[c].big), 10) + 3 >=
					  REMIT__NUM_BUF)
			what = "an exact component of it needs more than 92 digits";
	if (!what)
		return false;
	if (!run->too_big) {
		remit_error *e = &run->big_err;
		run->too_big = true;
		memset(e, 0, sizeof *e);
		e->status = REMIT_EDATA;
		e->line = run->row ? run->row->line : 0;
		snprintf(e->message, sizeof e->message,
			 "module %s: the %s line%s%.*s cannot be paid exactly: %s (see the limits "
			 "in docs/limits.md)",
			 l->module->name, l->kind, l->activity.n ? " for activity " : "",
			 (int)(l->activity.n < 200 ? l->activity.n : 200), l->activity.p, what);
	}
	return true;
}

void remit__emit(remit__ctx *cx, const remit__pline *l)
{
	struct remit__run *run = cx->run;
	int scale = run->regime->scale;
	if (line_too_big(run, l))
		return; /* not paid: the run fails */
	run->lines++;
	cells_add(run, l, scale);
	if (cx->detail)
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

/* ---- the run ---------------------------------------------------------- */

static uint32_t *module_tally_new(const remit_regime *r)
{
	uint32_t *v = remit__xmalloc((r->nmodules + 1) * sizeof *v);
	for (size_t i = 0; i <= r->nmodules; i++)
		v[i] = UINT32_MAX;
	return v;
}

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
	run->module_tally = module_tally_new(r);
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
	free(run->module_tally);
	remit__numpool_free(run->cx.pool);
	sums_free(run);
	remit__sum_clear(&run->row_sum);
	remit__strtab_free(&run->orgs);
	remit__strtab_free(&run->patients);
	free((void *)run->cx.pattr_map);
	if (run->csv)
		free(run->csv->p);
	free(run->csv);
	free(run->csv_head.text);
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
static inline __attribute__((always_inline)) remit__outcome
offer(struct remit__run *run, const remit__row *row,
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

/* Offer a valid row to the modules and count its outcome (inline: in the
 * loops of main_pass and of a worker). */
static inline __attribute__((always_inline)) remit__outcome
price_row(struct remit__run *run, const remit__row *row, const uint32_t *attr_map,
	  remit__numpool *pool)
{
	run->row = row;
	remit__outcome out = offer(run, row, attr_map);
	run->row = NULL;
	remit__numpool_reset(pool);
	run->counts.priced += out == REMIT__PRICED;
	run->counts.covered += out == REMIT__COVERED;
	run->counts.unpriced += out == REMIT__UNPRICED;
	return out;
}

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
	remit__sum_clear(&run->row_sum); /* (frees a total that outgrew 128 bits) */
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

/* One record under every regime compared: a reject (row NULL) is only
 * counted; a row is priced under each and its fate told to cmp.  info:
 * room for n. */
static void compare_record(struct remit__run **runs, size_t n, remit__cmp *cmp,
			   const remit__row *row, remit__cmp_rowinfo *info)
{
	for (size_t i = 0; i < n; i++) {
		runs[i]->counts.read++;
		runs[i]->counts.rejected += !row;
	}
	if (!row)
		return;
	for (size_t i = 0; i < n; i++)
		compare_row(runs[i], row, &info[i]);
	remit__cmp_row(cmp, info);
	for (size_t i = 0; i < n; i++) /* (in a part they share one pool) */
		remit__numpool_reset(runs[i]->cx.pool);
}

/* Bytes of the input read so far, by the reader or by cursor cur. */
static uint64_t bytes_done(remit__reader *rd, const remit__cursor *cur)
{
	uint64_t off, line;
	if (!cur)
		return remit__reader_bytes_done(rd);
	remit__cursor_tell(cur, &off, &line);
	return off;
}

/* Price the rows of rd in order, on this thread: from the start (cur
 * NULL), or from where cursor cur was resumed. */
static int main_pass(struct remit__run *run, remit__reader *rd, remit__cursor *cur,
		     const uint32_t *attr_map, const char *only_id, bool *found, remit_error *err)
{
	const remit_run_options *o = run->opt;
	remit__ctx *cx = &run->cx;
	remit__row row;
	remit__reject rej;
	int rc;
	while ((rc = cur ? remit__cursor_next(cur, cx->pool, &row, &rej, NULL, err)
			 : remit__reader_next(rd, cx->pool, &row, &rej, err)) > 0) {
		run->counts.read++;
		if (o && o->on_progress && (run->counts.read & 0xffff) == 0)
			o->on_progress(o->ud, bytes_done(rd, cur), remit__reader_bytes_total(rd),
				       run->counts.read);
		if (rc == REMIT__READ_REJECT) {
			run->counts.rejected++;
			if (only_id && remit__str_eq(rej.id, only_id) && cx->trace)
				remit__trace(cx, "%s:%llu:%u: rejected: %s", rej.file,
					     (unsigned long long)rej.line, rej.column, rej.reason);
			if (o && o->on_reject) {
				csv_flush(run); /* (the lines before it first) */
				note(o->on_reject, o->ud, rej.file, rej.line, rej.column, rej.id,
				     rej.reason, rej.raw);
			}
			continue;
		}
		if (only_id) {
			if (!remit__str_eq(row.f[REMIT__A_ID].s, only_id)) {
				remit__numpool_reset(cx->pool);
				continue;
			}
			*found = true;
		}
		if (price_row(run, &row, attr_map, cx->pool) == REMIT__UNPRICED) {
			REMIT__TRACE(cx, "unpriced: %s", cx->reason);
			if (o && o->on_unpriced) {
				remit__str raw = {NULL, 0};
				csv_flush(run);
				note(o->on_unpriced, o->ud, remit__reader_name(rd), row.line, 0,
				     row.f[REMIT__A_ID].s, cx->reason, raw);
			}
		}
		if (only_id)
			break;
	}
	if (o && o->on_progress)
		o->on_progress(o->ud, bytes_done(rd, cur), remit__reader_bytes_total(rd),
			       run->counts.read);
	return rc < 0 ? rc : 0;
}

/* The rows of rd under every regime compared, in order, on this thread:
 * from the start (cur NULL), or from where cursor cur was resumed.
 * runs[0]'s options say where rejects and progress go. */
static int compare_pass(struct remit__run **runs, size_t n, remit__reader *rd, remit__cursor *cur,
			remit__cmp *cmp, remit_error *err)
{
	const remit_run_options *o = runs[0]->opt;
	remit__numpool *pool = runs[0]->cx.pool;
	remit__cmp_rowinfo *info = remit__xcalloc(n, sizeof *info);
	remit__row row;
	remit__reject rej;
	int rc;
	while ((rc = cur ? remit__cursor_next(cur, pool, &row, &rej, NULL, err)
			 : remit__reader_next(rd, pool, &row, &rej, err)) > 0) {
		bool reject = rc == REMIT__READ_REJECT;
		compare_record(runs, n, cmp, reject ? NULL : &row, info);
		if (o && o->on_progress && (runs[0]->counts.read & 0xffff) == 0)
			o->on_progress(o->ud, bytes_done(rd, cur), remit__reader_bytes_total(rd),
				       runs[0]->counts.read);
		if (reject && o && o->on_reject)
			note(o->on_reject, o->ud, rej.file, rej.line, rej.column, rej.id, rej.reason,
			     rej.raw);
	}
	if (o && o->on_progress)
		o->on_progress(o->ud, bytes_done(rd, cur), remit__reader_bytes_total(rd),
			       runs[0]->counts.read);
	free(info);
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

/* A part of the activity and what pricing it gave. */
typedef struct part {
	uint64_t start, stop; /* nominal byte range */
	bool exact;           /* start is a record's, with line and ordinal known */
	uint64_t line0, ordinal0;
	bool speculative;     /* ids not checked: notes kept */
	bool hashes;          /* ... with the ids' hashes (remit__reader_hashes) */
	int state;            /* P_WAITING, P_BUSY, P_DONE */
	/* results */
	int rc;
	remit_error err;
	uint64_t first_off, first_line; /* the first record (or the end, if none) */
	uint64_t next_off, next_line;   /* where the next part's first record is */
	uint64_t records;
	bool repriced;        /* priced again because some rows were duplicates */
	remit__recnote *notes;
	size_t nnotes, capnotes;
	struct remit__run **acc; /* accumulators, one per run (NULL: none yet) */
	remit__cmp *cmp;         /* comparing: the part's comparison */
	remit__scan **scan;      /* scanning: instead, one per run (NULL: none yet) */
} part;

enum { P_WAITING, P_BUSY, P_DONE };

typedef struct par {
	struct remit__run **runs; /* the run, or the runs compared; runs[0] has
				     the options (callbacks) */
	size_t nruns;
	remit__cmp *cmp;          /* comparing: the comparison */
	remit__scan **scans;      /* scanning (the per-patient pre-pass): one per run */
	remit__reader *rd;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	part *parts;
	size_t nparts, window;
	size_t prepared;  /* parts whose accumulators exist (made on the calling thread) */
	size_t next;      /* the next part to claim */
	size_t committed; /* the parts joined */
	size_t repriced;  /* ... of which priced again for duplicates */
	bool stop;        /* an error, or guessing stopped: workers stop claiming */
	uint64_t data_start, data_line, size;
	bool first_pass;  /* this pass decides duplicates (guessed parts) */
	uint32_t cells_cap; /* the most places a joined part's cells took */
} par;

typedef struct worker {
	par *par;
	pthread_t thread;
	bool started;
	remit__cursor *cur;
	remit__numpool *pool;
} worker;

/* A part's accumulators: a run that shares the run's regime, options,
 * organisations and patients, with its own tallies, events and module
 * part states; cells_cap places for its cells (0: the first line makes
 * them), so that a part does not grow them again as each part before it
 * did.  Made on the calling thread (run_fork reads the run's state, which
 * joining writes). */
static struct remit__run *part_run_new(struct remit__run *main, uint32_t cells_cap)
{
	const remit_regime *r = main->regime;
	struct remit__run *a = remit__xcalloc(1, sizeof *a);
	a->regime = r;
	a->opt = main->opt;
	a->cx = main->cx;
	a->cx.pool = NULL; /* the pricing thread's */
	a->cx.run = a;
	a->cx.trace = NULL;
	a->cx.state = remit__xcalloc(r->nmodules + 1, sizeof *a->cx.state);
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		if (m->type->run_fork && main->cx.state[i])
			a->cx.state[i] = m->type->run_fork(m, &main->cx, main->cx.state[i]);
	}
	a->observers = main->observers;
	a->module_tally = module_tally_new(r);
	const remit_run_options *o = main->opt;
	if (o && (o->on_line || o->on_lines_csv || o->on_reject || o->on_unpriced))
		a->ev = remit__xcalloc(1, sizeof *a->ev);
	a->is_part = true;
	if (cells_cap)
		cells_resize(&a->cells, cells_cap);
	return a;
}

/* Free a part's accumulators; its module states are joined into main's
 * (main NULL: discarded). */
static void part_run_free(struct remit__run *a, struct remit__run *main)
{
	const remit_regime *r = a->regime;
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *m = r->modules[i];
		if (a->cx.state[i])
			m->type->run_join(m, main ? &main->cx : NULL,
					  main ? main->cx.state[i] : NULL, a->cx.state[i]);
	}
	free(a->cx.state);
	free(a->module_tally);
	sums_free(a);
	remit__sum_clear(&a->row_sum);
	if (a->ev)
		free(a->ev->p);
	free(a->ev);
	free(a->csv_head.text);
	free(a);
}

/* Part p's accumulators: one part run per run and, comparing, the part's
 * comparison, which those runs' lines go to; scanning, one part scan per
 * run. */
static void part_accs_new(par *pp, part *p)
{
	if (pp->scans) {
		for (size_t i = 0; i < pp->nruns; i++)
			p->scan[i] = remit__scan_fork(pp->scans[i]);
		return;
	}
	if (pp->cmp)
		p->cmp = remit__cmp_new_like(pp->cmp);
	for (size_t i = 0; i < pp->nruns; i++) {
		p->acc[i] = part_run_new(pp->runs[i], pp->cells_cap);
		p->acc[i]->cmp = p->cmp;
		p->acc[i]->cmp_index = i;
	}
}

/* Free part p's accumulators (their module states joined into the runs'
 * if join). */
static void part_accs_free(par *pp, part *p, bool join)
{
	for (size_t i = 0; i < pp->nruns; i++) {
		if (p->scan[i]) /* (joined already, if join) */
			remit__scan_discard(p->scan[i]);
		p->scan[i] = NULL;
		if (p->acc[i])
			part_run_free(p->acc[i], join ? pp->runs[i] : NULL);
		p->acc[i] = NULL;
	}
	remit__cmp_free(p->cmp);
	p->cmp = NULL;
}

static void tally_merge(tally *into, const tally *from)
{
	for (uint32_t i = 0; i < from->names.n; i++) {
		uint32_t id = tally_id(into, from->names.strs[i], from->names.lens[i]);
		remit__sum_add_sum(&into->sums[id], &from->sums[i]);
	}
}

/* Part p takes the notes' buffer of part from, a part already joined: a
 * buffer grows once rather than for every part (its copies cost 1.6% of
 * the instructions of a first pass on two threads). */
static void take_notes(part *p, part *from)
{
	p->notes = from->notes;
	p->capnotes = from->capnotes;
	from->notes = NULL;
	from->capnotes = 0;
}

/* Part p has read a record, which `note` describes: a speculative part
 * keeps the note for the first pass. */
static inline void keep_note(part *p, const remit__recnote *note)
{
	if (p->speculative) {
		if (p->nnotes == p->capnotes) {
			p->capnotes = p->capnotes ? p->capnotes * 2 : 16384;
			p->notes = remit__xrealloc(p->notes, p->capnotes * sizeof *p->notes);
		}
		p->notes[p->nnotes++] = *note;
	}
	if (p->records++ == 0 && p->speculative) {
		p->first_off = note->offset;
		p->first_line = note->line;
	}
}

/* The records of part p from cursor c (sought): priced, or compared
 * (info: room for the runs; comparing is constant where this is inlined,
 * so each kind of pass gets a loop of its own).  Returns cursor_next's
 * last code. */
static inline __attribute__((always_inline)) int
part_records(par *pp, part *p, remit__cursor *c, remit__numpool *pool, remit__cmp_rowinfo *info,
	     const bool comparing)
{
	struct remit__run *a = p->acc[0];
	const remit_run_options *o = a->opt;
	const uint32_t *attr_map = a->cx.attr_map;
	remit__row row;
	remit__reject rej;
	remit__recnote note;
	int rc;
	while ((rc = remit__cursor_next(c, pool, &row, &rej, &note, &p->err)) > 0) {
		keep_note(p, &note);
		bool reject = rc == REMIT__READ_REJECT;
		if (comparing) {
			compare_record(p->acc, pp->nruns, p->cmp, reject ? NULL : &row, info);
		} else {
			a->counts.read++;
			a->counts.rejected += reject;
		}
		if (reject) {
			if (o && o->on_reject)
				ev_note(a->ev, EV_REJECT, rej.line, rej.column, rej.id, rej.reason,
					rej.raw);
			continue;
		}
		if (!comparing && price_row(a, &row, attr_map, pool) == REMIT__UNPRICED && o &&
		    o->on_unpriced)
			ev_note(a->ev, EV_UNPRICED, row.line, 0, row.f[REMIT__A_ID].s, a->cx.reason,
				(remit__str){"", 0});
	}
	return rc;
}

/* The records of part p from cursor c (sought), scanned for the
 * per-patient pre-pass (rejects are told by the pricing pass).  Returns
 * cursor_next's last code. */
static int scan_records(par *pp, part *p, remit__cursor *c, remit__numpool *pool)
{
	remit__row row;
	remit__reject rej;
	remit__recnote note;
	int rc;
	while ((rc = remit__cursor_next(c, pool, &row, &rej, &note, &p->err)) > 0) {
		keep_note(p, &note);
		if (rc == REMIT__READ_ROW)
			for (size_t i = 0; i < pp->nruns; i++)
				remit__scan_row(p->scan[i], &row);
		remit__numpool_reset(pool);
	}
	return rc;
}

/* Price (or compare, or scan) the rows of part p, its accumulators made,
 * with cursor c, on any thread. */
static void price_part(par *pp, part *p, remit__cursor *c, remit__numpool *pool)
{
	for (size_t i = 0; !pp->scans && i < pp->nruns; i++)
		p->acc[i]->cx.pool = pool;
	p->nnotes = 0;
	p->records = 0;
	remit__idcheck ids = !p->speculative ? REMIT__IDS_CHECKED
			     : p->hashes     ? REMIT__IDS_HASHED
					     : REMIT__IDS_NOTED;
	p->rc = remit__cursor_seek(c, p->start, p->stop, p->exact, p->exact ? p->line0 : 1,
				   p->exact ? p->ordinal0 : 0, ids, &p->err);
	if (p->rc < 0)
		return;
	int rc;
	if (pp->scans) {
		rc = scan_records(pp, p, c, pool);
	} else if (pp->cmp) {
		remit__cmp_rowinfo *info = remit__xcalloc(pp->nruns, sizeof *info);
		rc = part_records(pp, p, c, pool, info, true);
		free(info);
	} else {
		rc = part_records(pp, p, c, pool, NULL, false);
	}
	p->rc = rc < 0 ? rc : 0;
	remit__cursor_tell(c, &p->next_off, &p->next_line);
	if (p->records == 0) {
		p->first_off = p->next_off;
		p->first_line = p->next_line;
	}
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	par *pp = w->par;
	pthread_mutex_lock(&pp->mu);
	for (;;) {
		while (!pp->stop && pp->next < pp->nparts && pp->next >= pp->prepared)
			pthread_cond_wait(&pp->work, &pp->mu);
		if (pp->stop || pp->next >= pp->nparts)
			break;
		part *p = &pp->parts[pp->next++];
		p->state = P_BUSY;
		pthread_mutex_unlock(&pp->mu);
		price_part(pp, p, w->cur, w->pool);
		pthread_mutex_lock(&pp->mu);
		p->state = P_DONE;
		pthread_cond_broadcast(&pp->done);
	}
	pthread_mutex_unlock(&pp->mu);
	return NULL;
}

/* Price part p again on this thread from where its first record is known
 * to start (pos, line, ordinal), into fresh accumulators; speculative:
 * still noting ids for the first pass (false once its duplicates are
 * known). */
static void reprice_part(par *pp, part *p, worker *self, uint64_t pos, uint64_t line,
			 uint64_t ordinal, bool speculative)
{
	part_accs_free(pp, p, false);
	part_accs_new(pp, p);
	p->start = pos;
	p->exact = true;
	p->line0 = line;
	p->ordinal0 = ordinal;
	p->speculative = speculative;
	p->hashes = speculative && remit__reader_hashes(pp->rd);
	price_part(pp, p, self->cur, self->pool);
}

/* Add a part's accumulators a into run (lines of it shifted by shift). */
static void add_part(par *pp, struct remit__run *run, struct remit__run *a, int64_t shift)
{
	run->counts.read += a->counts.read;
	run->counts.priced += a->counts.priced;
	run->counts.covered += a->counts.covered;
	run->counts.unpriced += a->counts.unpriced;
	run->counts.rejected += a->counts.rejected;
	run->counts.overlaps += a->counts.overlaps;
	run->lines += a->lines;
	if (a->cells.v && a->cells.mask + 1 > pp->cells_cap)
		pp->cells_cap = a->cells.mask + 1;
	settle(a);
	remit__sum_add_sum(&run->total, &a->total);
	tally_merge(&run->by_payee, &a->by_payee);
	tally_merge(&run->by_payer, &a->by_payer);
	tally_merge(&run->by_module, &a->by_module);
	tally_merge(&run->by_kind, &a->by_kind);
	if (a->too_big && !run->too_big) {
		run->too_big = true;
		run->big_err = a->big_err;
		if (run->big_err.line)
			run->big_err.line = (unsigned long)((int64_t)run->big_err.line + shift);
	}
}

/* Join part k into the run: check a guessed start, find duplicates, price
 * again if needed, then add up and deliver.  pos, line and ordinal: where
 * the next part's first record must be (updated). */
static int join_part(par *pp, size_t k, worker *self, uint64_t *pos, uint64_t *line,
		     uint64_t *ordinal, remit_error *err)
{
	struct remit__run *run = pp->runs[0];
	part *p = &pp->parts[k];
	int64_t shift = 0;
	remit_error scratch;
	if (pp->first_pass) {
		bool again = p->rc < 0 || (k > 0 && p->first_off != *pos);
		if (!again && !p->exact) /* (an exact part counted true lines already,
					    blank lines before its first record too) */
			shift = (int64_t)*line - (int64_t)p->first_line;
		if (again) { /* a wrong guess, or an error to confirm */
			reprice_part(pp, p, self, *pos, *line, *ordinal, true);
			shift = 0;
		}
		/* the rows read (before an error too: their lines are delivered
		 * before the run fails, as on one thread) */
		int64_t dups = remit__reader_commit(pp->rd, p->notes, p->nnotes, *ordinal, shift,
						    p->rc < 0 ? &scratch : &p->err);
		if (dups < 0 && p->rc == 0) {
			p->rc = (int)dups;
		} else if (dups > 0) { /* price again, duplicates known */
			p->repriced = true;
			reprice_part(pp, p, self, *pos, *line, *ordinal, false);
			shift = 0;
		}
	}
	const remit_run_options *o = pp->scans ? NULL : run->opt;
	if (pp->scans) { /* a guessed part's ordinals count from 0 */
		for (size_t i = 0; i < pp->nruns; i++) {
			remit__scan_join(p->scan[i], p->exact ? 0 : *ordinal);
			p->scan[i] = NULL;
		}
	} else {
		if (p->acc[0]->ev)
			ev_flush(p->acc[0]->ev, o, run->regime->name, remit__reader_name(pp->rd),
				 shift);
		for (size_t i = 0; i < pp->nruns; i++)
			add_part(pp, pp->runs[i], p->acc[i], shift);
		if (p->cmp)
			remit__cmp_merge(pp->cmp, p->cmp);
	}
	part_accs_free(pp, p, true);
	p->nnotes = 0; /* the buffer stays, for the part a window later */
	if (p->rc < 0) {
		*err = p->err;
		return p->rc;
	}
	*ordinal += p->records;
	*pos = p->next_off;
	*line = (uint64_t)((int64_t)p->next_line + shift);
	if (o && o->on_progress)
		o->on_progress(o->ud, *pos, pp->size, run->counts.read);
	return 0;
}

/* Can this run price on several threads? */
static bool parallel_ok(const remit_regime *r, remit__reader *rd)
{
	if (!remit__reader_splittable(rd))
		return false;
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module_type *t = r->modules[i]->type;
		if (t->run_begin && (!t->run_fork || !t->run_join))
			return false;
	}
	return true;
}

static int threads_of(const remit_run_options *opt)
{
	int n = opt ? opt->threads : 1;
	if (n <= 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		n = c > 0 ? (int)c : 1;
	}
	return n > 64 ? 64 : n; /* more would only queue: at most 16 parts are in flight */
}

/* Given more than one thread, a gzip input (read in one piece) is inflated
 * ahead of its reader on one of them. */
static void inflate_ahead(remit__reader *rd, remit__reader *population, int threads)
{
	if (threads <= 1)
		return;
	remit__reader_inflate_ahead(rd);
	if (population)
		remit__reader_inflate_ahead(population);
}

/* A first pass whose parts keep holding duplicate ids prices most parts
 * twice (on a worker, then again here): past 8 parts of which 3 in 4 had
 * duplicates, the rest of the file is read on this thread, which checks
 * ids as they come and prices each row once.  The outputs are the same. */
static bool too_many_duplicates(const par *pp)
{
	return pp->first_pass && pp->committed >= 8 && pp->repriced * 4 >= pp->committed * 3;
}

/* n parts (and one more, zeroed), each with room for nruns accumulators. */
static part *parts_new(size_t n, size_t nruns)
{
	part *v = remit__xcalloc(n + 1, sizeof *v);
	struct remit__run **acc = remit__xcalloc((n + 1) * nruns, sizeof *acc);
	remit__scan **scan = remit__xcalloc((n + 1) * nruns, sizeof *scan);
	for (size_t k = 0; k <= n; k++) {
		v[k].acc = acc + k * nruns;
		v[k].scan = scan + k * nruns;
	}
	return v;
}

static void parts_free(part *v)
{
	free(v[0].acc);
	free(v[0].scan);
	free(v);
}

/* The per-patient pre-pass of runs[0..n) into scans[0..n), on this thread:
 * from the start (cur NULL), or from where cursor cur was resumed. */
static int scan_pass(struct remit__run **runs, remit__scan **scans, size_t n, remit__reader *rd,
		     remit__cursor *cur, remit_error *err)
{
	remit__numpool *pool = runs[0]->cx.pool;
	remit__row row;
	remit__reject rej;
	int rc;
	while ((rc = cur ? remit__cursor_next(cur, pool, &row, &rej, NULL, err)
			 : remit__reader_next(rd, pool, &row, &rej, err)) > 0) {
		if (rc == REMIT__READ_ROW)
			for (size_t k = 0; k < n; k++)
				remit__scan_row(scans[k], &row);
		for (size_t k = 0; k < n; k++)
			remit__numpool_reset(runs[k]->cx.pool);
	}
	return rc < 0 ? rc : 0;
}

/* A pass on `threads` threads (the calling one included), for one run or,
 * comparing (cmp), for runs[0..nruns) together: the main pass or, with
 * scans (one per run), the per-patient pre-pass. */
static int parallel_pass(struct remit__run **runs, size_t nruns, remit__cmp *cmp,
			 remit__scan **scans, remit__reader *rd, int threads, remit_error *err)
{
	struct remit__run *run = runs[0];
	par pp = {.runs = runs, .nruns = nruns, .cmp = cmp, .scans = scans, .rd = rd};
	remit__reader_span(rd, &pp.data_start, &pp.data_line, &pp.size);
	pp.first_pass = !remit__reader_complete(rd);
	if (pp.first_pass) {
		uint64_t bytes = pp.size > pp.data_start ? pp.size - pp.data_start : 0;
		pp.nparts = (size_t)((bytes + REMIT__MARK_BYTES - 1) / REMIT__MARK_BYTES);
		pp.parts = parts_new(pp.nparts, nruns);
		for (size_t k = 0; k < pp.nparts; k++) {
			part *p = &pp.parts[k];
			p->start = pp.data_start + k * REMIT__MARK_BYTES;
			p->stop = k + 1 == pp.nparts ? UINT64_MAX : p->start + REMIT__MARK_BYTES;
			p->exact = k == 0;
			p->line0 = pp.data_line;
			p->speculative = true;
		}
	} else {
		uint64_t rows;
		const remit__rowmark *mk = remit__reader_marks(rd, &pp.nparts, &rows);
		pp.parts = parts_new(pp.nparts, nruns);
		for (size_t k = 0; k < pp.nparts; k++) {
			part *p = &pp.parts[k];
			p->start = mk[k].offset;
			p->stop = k + 1 == pp.nparts ? UINT64_MAX : mk[k + 1].offset;
			p->exact = true;
			p->line0 = mk[k].line;
			p->ordinal0 = mk[k].ordinal;
		}
	}
	if ((size_t)threads > pp.nparts)
		threads = pp.nparts ? (int)pp.nparts : 1;
	pp.window = 2 * (size_t)threads + 2; /* parts in flight: bounded memory */
	if (pp.window > 16)
		pp.window = 16;
	pthread_mutex_init(&pp.mu, NULL);
	pthread_cond_init(&pp.work, NULL);
	pthread_cond_init(&pp.done, NULL);
	worker *ws = remit__xcalloc((size_t)threads, sizeof *ws);
	int rc = 0;
	for (int i = 0; i < threads && rc == 0; i++) {
		ws[i].par = &pp;
		ws[i].pool = i == 0 ? run->cx.pool : remit__numpool_new();
		ws[i].cur = remit__cursor_new(rd);
		if (!ws[i].cur) {
			rc = REMIT_ENOMEM;
			memset(err, 0, sizeof *err);
			err->status = rc;
			snprintf(err->message, sizeof err->message,
				 "out of memory or file descriptors for %d threads", threads);
			break;
		}
		if (i > 0)
			ws[i].started = pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) == 0;
	}
	uint64_t pos = pp.data_start, line = pp.data_line, ordinal = 0;
	pthread_mutex_lock(&pp.mu);
	while (rc == 0 && pp.committed < pp.nparts) {
		part *p = &pp.parts[pp.committed];
		if (pp.prepared < pp.nparts && pp.prepared < pp.committed + pp.window) {
			size_t k = pp.prepared;
			pthread_mutex_unlock(&pp.mu);
			part_accs_new(&pp, &pp.parts[k]);
			if (k >= pp.window) /* joined by now: its notes' buffer, grown already */
				take_notes(&pp.parts[k], &pp.parts[k - pp.window]);
			/* the hashes the parts joined so far say the commit needs
			   (one that leaves ascending mode reads again the ids of the
			   parts in flight without them) */
			pp.parts[k].hashes = pp.first_pass && remit__reader_hashes(rd);
			pthread_mutex_lock(&pp.mu);
			pp.prepared++;
			pthread_cond_broadcast(&pp.work);
		} else if (p->state == P_DONE) {
			pthread_mutex_unlock(&pp.mu);
			rc = join_part(&pp, pp.committed, &ws[0], &pos, &line, &ordinal, err);
			pthread_mutex_lock(&pp.mu);
			pp.repriced += p->repriced;
			pp.committed++;
			if (rc == 0 && too_many_duplicates(&pp))
				break; /* read the rest on this thread */
			pthread_cond_broadcast(&pp.work);
		} else if (pp.next < pp.prepared) {
			part *q = &pp.parts[pp.next++];
			q->state = P_BUSY;
			pthread_mutex_unlock(&pp.mu);
			price_part(&pp, q, ws[0].cur, ws[0].pool);
			pthread_mutex_lock(&pp.mu);
			q->state = P_DONE;
		} else {
			pthread_cond_wait(&pp.done, &pp.mu);
		}
	}
	pp.stop = true;
	pthread_cond_broadcast(&pp.work);
	pthread_mutex_unlock(&pp.mu);
	for (int i = 1; i < threads; i++)
		if (ws[i].started)
			pthread_join(ws[i].thread, NULL);
	for (size_t k = 0; k < pp.nparts; k++) { /* parts left by an error */
		if (pp.parts[k].acc[0] || pp.parts[k].scan[0])
			part_accs_free(&pp, &pp.parts[k], false);
		free(pp.parts[k].notes);
	}
	bool rest = rc == 0 && pp.committed < pp.nparts; /* guessing stopped */
	if (rest)
		rc = remit__cursor_resume(ws[0].cur, pos, line, ordinal, err);
	if (rest && rc == 0)
		rc = scans ? scan_pass(runs, scans, nruns, rd, ws[0].cur, err)
		     : cmp ? compare_pass(runs, nruns, rd, ws[0].cur, cmp, err)
			   : main_pass(run, rd, ws[0].cur, run->cx.attr_map, NULL, NULL, err);
	for (int i = 0; i < threads; i++) {
		remit__cursor_free(ws[i].cur);
		if (i > 0 && ws[i].pool)
			remit__numpool_free(ws[i].pool);
	}
	free(ws);
	parts_free(pp.parts);
	pthread_cond_destroy(&pp.work);
	pthread_cond_destroy(&pp.done);
	pthread_mutex_destroy(&pp.mu);
	if (rc == 0 && pp.first_pass && !rest)
		remit__reader_commit_end(rd, ordinal);
	return rc;
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
	settle(run);
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

/* The per-patient pre-pass for runs[0..n) (remit compare has several): on
 * `threads` threads if the input can be read in parts, else on this one
 * (then rd is rewound for the pricing pass). */
static int prepass(struct remit__run **runs, size_t n, remit__reader *rd, int threads,
		   remit_error *err)
{
	bool parallel = threads > 1 && remit__reader_splittable(rd);
	for (size_t i = 0; i < n; i++)
		parallel &= remit__scan_parallel_ok(runs[i]->regime);
	remit__scan **scans = remit__xcalloc(n, sizeof *scans);
	for (size_t i = 0; i < n; i++)
		scans[i] = remit__scan_new(&runs[i]->cx);
	int rc = parallel ? parallel_pass(runs, n, NULL, scans, rd, threads, err)
			  : scan_pass(runs, scans, n, rd, NULL, err);
	for (size_t i = 0; i < n; i++)
		remit__scan_finish(scans[i], rc == 0);
	free(scans);
	if (rc == 0 && !parallel)
		rc = remit__reader_rewind(rd, err);
	return rc;
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
	/* (before the population: a module may pay people as it meets them) */
	run->cx.detail = trace || (opt && (opt->on_line || opt->on_lines_csv));
	run->cx.components = trace || (opt && opt->on_line);
	int threads = threads_of(opt);
	inflate_ahead(rd, population, threads);
	if (population && remit__population_wanted(r))
		rc = remit__population_load(&run->cx, population, opt, &run->counts, err);
	if (rc == 0 && needs_patients(r))
		rc = prepass(&run, 1, rd, threads, err);
	run->cx.trace = trace;
	run->cx.trace_ud = trace_ud;
	bool found = false;
	if (rc == 0 && !only_id && !trace && threads > 1 && parallel_ok(r, rd))
		rc = parallel_pass(&run, 1, NULL, NULL, rd, threads, err);
	else if (rc == 0)
		rc = main_pass(run, rd, NULL, attr_map, only_id, &found, err);
	if (rc == 0 && !only_id)
		finish_modules(run);
	if (rc == 0 && run->too_big) {
		rc = REMIT_EDATA;
		*err = run->big_err;
		if (err->line)
			snprintf(err->file, sizeof err->file, "%s", remit__reader_name(rd));
	}
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
	csv_flush(run); /* (lines priced before an error too, as on_line has them) */
	if (rc == 0 && out)
		*out = result_new(run);
	run_free(run);
	free(attr_map);
	return rc;
}

/* ---- several regimes over one read (remit compare) ----------------------- */

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
	inflate_ahead(rd, population, threads_of(opt));
	bool rewind = false;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		runs[i]->cmp = cmp;
		runs[i]->cmp_index = i;
		runs[i]->cx.components = true;
		if (!population || !remit__population_wanted(regimes[i]))
			continue;
		if (rewind)
			rc = remit__reader_rewind(population, err);
		if (rc == 0)
			rc = remit__population_load(cxs[i], population, i == 0 ? opt : NULL,
						    &runs[i]->counts, err);
		rewind = true;
	}
	bool patients = false, parallel = threads_of(opt) > 1;
	for (size_t i = 0; i < n; i++)
		patients |= needs_patients(regimes[i]);
	if (rc == 0 && patients)
		rc = prepass(runs, n, rd, threads_of(opt), err);
	for (size_t i = 0; i < n; i++) /* (after the pre-pass: a stream's copy can be split) */
		parallel &= parallel_ok(regimes[i], rd);
	/* the first run tells rejects and progress (a comparison has no lines
	   and tells no unpriced rows) */
	remit_run_options told = {0};
	if (opt) {
		told.on_reject = opt->on_reject;
		told.on_progress = opt->on_progress;
		told.ud = opt->ud;
		runs[0]->opt = &told;
	}
	if (rc == 0 && parallel)
		rc = parallel_pass(runs, n, cmp, NULL, rd, threads_of(opt), err);
	else if (rc == 0)
		rc = compare_pass(runs, n, rd, NULL, cmp, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		finish_modules(runs[i]);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (runs[i]->too_big) {
			rc = REMIT_EDATA;
			*err = runs[i]->big_err;
			if (err->line)
				snprintf(err->file, sizeof err->file, "%s", remit__reader_name(rd));
		}
	for (size_t i = 0; rc == 0 && i < n; i++) {
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
