/*
 * engine.h — what a module may use while a run prices rows.
 *
 * The engine owns the run: reading, claiming, tallies and sinks.  A module
 * sees a remit__ctx: a number pool for per-row intermediates (reset before
 * every row, so big rationals cost no allocation in steady state), its own
 * run state, interned organisation names, and calls to emit a line, say
 * why a row cannot be priced, or (when `remit explain` is running) narrate
 * a step.
 */
#ifndef REMIT_ENGINE_H
#define REMIT_ENGINE_H

#include "arena.h"
#include "module.h"
#include "regime.h"

struct remit__ctx {
	const struct remit_regime *regime;
	remit__numpool *pool; /* per-row scratch */
	void **state;         /* per module, by index: what run_begin returned */
	remit__strtab *orgs;  /* organisations (payers, payees) */
	remit__strtab *patients; /* patient ids, shared by population and activity */
	const uint32_t *attr_map; /* predicate attributes → activity columns */
	const uint32_t *pattr_map; /* likewise for population columns */
	struct remit__run *run;
	bool detail;         /* lines are read (a line callback or the trace): build
				basis texts */
	bool components;     /* lines' components are read (on_line, the trace or a
				comparison; not a CSV lines file): when false a
				module may leave them zero */
	remit_text_fn trace; /* non-NULL while explaining */
	void *trace_ud;
	remit__str funder; /* for a covered row: who is paid for it (set by price) */
	char reason[512];
	char basis[768];
	char fmt[8][REMIT__NUM_BUF];
	unsigned fmt_next;
};

static inline void *remit__state(remit__ctx *cx, const remit__module *m)
{
	return cx->state[m->index];
}

/* Send a line to the run's tallies and sinks. */
void remit__emit(remit__ctx *cx, const remit__pline *l);

/* Record why the row cannot be priced; returns REMIT__UNPRICED. */
remit__outcome remit__unpriced(remit__ctx *cx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Narrate one step of an explanation (only while cx->trace is set). */
void remit__trace(remit__ctx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define REMIT__TRACE(cx, ...)                                                                     \
	do {                                                                                      \
		if ((cx)->trace)                                                                  \
			remit__trace((cx), __VA_ARGS__);                                          \
	} while (0)

/* Text of a value for messages and explanations, from a ring of 8 buffers:
 * exact (remit__num_format_explain), or at the regime's scale. */
const char *remit__fmt(remit__ctx *cx, remit__num v);
const char *remit__fmt_money(remit__ctx *cx, remit__num v);
/* From the same ring (lib/format.c): an amount at the regime's scale when
 * that is exact, else exactly; a rate as a percentage (0.25 → "25%"). */
const char *remit__fmt_amount(remit__ctx *cx, remit__num v);
const char *remit__fmt_pct(remit__ctx *cx, remit__num rate);

/* The interned id of an organisation / a patient seen in the population
 * or activity (patients: UINT32_MAX if never seen). */
uint32_t remit__org_id(remit__ctx *cx, remit__str name);
uint32_t remit__patient_find(const remit__ctx *cx, remit__str id);
static inline remit__str remit__org_name(const remit__ctx *cx, uint32_t id)
{
	remit__str s = {cx->orgs->strs[id], cx->orgs->lens[id]};
	return s;
}

/* An empty line of `kind` from module m: components zero, strings empty. */
void remit__pline_init(remit__pline *l, const remit__module *m, const char *kind);

/* Round a line's exact amount at the regime's scale and mode. */
static inline remit__num remit__round_line(remit__ctx *cx, remit__num exact)
{
	return remit__num_round(cx->pool, exact, cx->regime->scale, cx->regime->mode);
}

/* A whole run over open readers (files or memory): the population (NULL
 * if none) is loaded first, then the activity priced.  With only_id, only
 * that activity row is priced, narrated through trace.  Used by the public
 * entry points (remit_price_file, remit_explain, and the embedding API). */
struct remit__reader;
int remit__run(const struct remit_regime *r, struct remit__reader *activity,
	       struct remit__reader *population, const remit_run_options *opt, remit_text_fn trace,
	       void *trace_ud, const char *only_id, remit_result **out, remit_error *err);

/* Several regimes over one read of the activity: each row is priced under
 * every regime in turn, and the comparison (compare.h) sees every line and
 * each row's fate under each regime.  On success *out is the comparison
 * (free with remit__cmp_free). */
struct remit__cmp;
int remit__compare(const struct remit_regime *const *regimes, size_t n,
		   struct remit__reader *activity, struct remit__reader *population,
		   const remit_run_options *opt, struct remit__cmp **out, remit_error *err);

#endif
