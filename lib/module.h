/*
 * module.h — the interface between the engine and a payment module.
 *
 * A module type is a static table of methods, versioned like SQLite's
 * sqlite3_io_methods so it can grow without breaking older modules.  An
 * instance (one entry of a regime's `modules:` list) is a struct that
 * begins with remit__module and carries the module's compiled rules.
 * Instances are immutable once the regime is loaded; everything a run
 * changes lives in the run state the module creates in run_begin.
 *
 * Claiming: the engine offers each activity row to the instances in
 * order.  An instance whose `valid` range holds the row's start and whose
 * `claims` method says yes owns the row; `price` then pays it (or reports
 * it unpriced with a reason, or covered by a budget).  The engine knows
 * nothing else about any module.
 */
#ifndef REMIT_MODULE_H
#define REMIT_MODULE_H

#include "fields.h"
#include "number.h"
#include "predicate.h"
#include "remit.h"
#include "rules.h"

#include <stdbool.h>
#include <stdint.h>

#define REMIT__MODULE_VERSION 1

typedef struct remit__module_type remit__module_type;
typedef struct remit__ctx remit__ctx; /* engine.h: one run's pricing context */

typedef struct remit__module {
	const remit__module_type *type;
	const char *name;
	uint32_t index;     /* position in claim order */
	remit__mark mark;   /* where the instance is defined */
	bool has_valid;
	int64_t valid_from, valid_to; /* days, inclusive */
	const remit__pred *covers;    /* scope, if the module has one (for overlaps) */
	bool per_patient;             /* set by parse: wants the per-patient pre-pass */
	bool wants_population;        /* set by parse: needs --population (person method) */
	bool observes;                /* set by parse: sees every activity line (observe) */
} remit__module;

/* One row as the per-patient pre-pass keeps it: 24 bytes. */
typedef struct remit__prow {
	uint32_t patient;  /* interned id */
	uint32_t provider; /* interned id */
	int32_t start, end;
	uint32_t ordinal; /* data row number: index for per-row results */
	uint8_t tag;
} remit__prow;

/* How what a part of the pre-pass holds maps to the run's (scan_join). */
typedef struct remit__scan_shift {
	uint64_t ordinals;        /* added to the part's row ordinals */
	const uint32_t *orgs;     /* the part's organisation id → the run's */
	const uint32_t *patients; /* the part's patient id → the run's */
} remit__scan_shift;

/* What price() did with a row. */
typedef enum remit__outcome {
	REMIT__PRICED,   /* paid by an activity line */
	REMIT__COVERED,  /* paid for by a budget, block or episode: price() sets
			    cx->funder to the organisation paid for it (the holder) */
	REMIT__UNPRICED, /* owned but cannot be priced: reason in the context */
} remit__outcome;

/* A payment line as modules build it: amounts exact, strings borrowed. */
typedef struct remit__pline {
	const remit__module *module;
	const char *kind; /* DATA.md component: "activity", "marginal", ... */
	remit__str payer, payee, patient, activity;
	remit__num amount;                /* rounded at the regime's scale */
	remit__num comp[REMIT_C_COUNT];   /* exact parts; they sum to amount */
	const char *basis;
	remit__str pod; /* the activity's point of delivery, if any */
	/* The components were not worked out (cx->components is false and
	 * every value stayed in the small form, so none could be too large to
	 * print): comp[] is undefined and reads as zero.  Modules that fill
	 * comp[] leave this false. */
	bool nocomps;
} remit__pline;

struct remit__module_type {
	int version; /* REMIT__MODULE_VERSION */
	const char *name;
	/* Keys the module accepts besides `module`, `name` and `valid`. */
	const remit__key *keys;

	/* Build an instance from its mapping (keys already checked).  Report
	 * problems through L; return NULL only if nothing usable was built. */
	remit__module *(*parse)(remit__loader *L, const yaml_node_t *map);
	/* Optional: resolve references to other instances once all exist. */
	void (*link)(remit__module *m, remit__loader *L);

	/* Does this instance own the row?  NULL: the `covers` predicate. */
	bool (*claims)(const remit__module *m, remit__ctx *cx, const remit__row *row);

	/* Optional per-run state (accumulators, per-patient results). */
	void *(*run_begin)(const remit__module *m, remit__ctx *cx);
	void (*run_end)(const remit__module *m, void *state);

	/* Optional per-patient pre-pass.  scan() is called for every valid row
	 * and returns a tag (0 = not of interest); patient() is then called
	 * once per patient with that patient's tagged rows ordered by start
	 * date, end date and file order.  On one thread scan() sees the rows
	 * in file order; on several, each part's in file order (below). */
	uint8_t (*scan)(const remit__module *m, remit__ctx *cx, const remit__row *row);
	void (*patient)(const remit__module *m, remit__ctx *cx, const remit__prow *rows,
			size_t n);

	/* Optional, for the pre-pass on several threads.  The file is read in
	 * parts (engine.c), and scan() runs on a part's context, on any
	 * thread: its organisation and patient tables are the part's own, and
	 * it must only read the run state, unless the module has these two.
	 * scan_fork (on the run's thread) makes a part's scan state, which
	 * scan() then writes; scan_join (on the run's thread, the parts in
	 * file order, before patient() is called) adds it into the run's
	 * state, mapping what it holds of the part's to the run's (shift), or
	 * discards it when state is NULL (a part read again); it frees part. */
	void *(*scan_fork)(const remit__module *m, remit__ctx *cx, void *state);
	void (*scan_join)(const remit__module *m, remit__ctx *cx, void *state, void *part,
			  const remit__scan_shift *shift);

	/* Optional: each valid row of the population file (population schema),
	 * in file order, before any activity is priced.  Registration periods
	 * that overlap another of the same patient are rejected by the engine
	 * and never reach here. */
	void (*person)(const remit__module *m, remit__ctx *cx, const remit__row *person);
	/* person() only writes the module's run state (it emits no line and
	 * reads nothing else that changes).  When every module fed people says
	 * so, the engine feeds each valid row as it first reads the file,
	 * before the periods are checked; if some period then turns out to
	 * overlap, it ends and begins those states again (run_end, run_begin)
	 * and feeds the accepted rows on a second read, as it otherwise always
	 * does.  Most files have no overlap, and are then read once. */
	bool person_state_only;

	/* Optional: every line emitted for an activity row by any module, with
	 * that row (retrospective bundles add up episode spend this way). */
	void (*observe)(const remit__module *m, remit__ctx *cx, const remit__row *row,
			const remit__pline *line);

	/* Work out the line for a row this instance owns without emitting it
	 * (also used by other modules to price subcontracted activity). */
	remit__outcome (*quote)(const remit__module *m, remit__ctx *cx, const remit__row *row,
				remit__pline *line);
	/* Pay a row this instance owns: emit lines, return the outcome. */
	remit__outcome (*price)(const remit__module *m, remit__ctx *cx, const remit__row *row);
	/* After all rows: organisation-level lines. */
	void (*finish)(const remit__module *m, remit__ctx *cx);

	void (*free)(remit__module *m);

	/* Optional: for `remit explain --id PERSON` when no activity row has
	 * that id, narrate (through cx->trace) how this instance derives the
	 * person's budgets; true if the person is one it knows. */
	bool (*explain_person)(const remit__module *m, remit__ctx *cx, remit__str patient);

	/* Optional, for budgets: is the row's patient in this instance's
	 * cohort or population on the row's start date, whatever its scope?
	 * (`remit compare` counts members' rows that no budget covers: where
	 * cost can shift.) */
	bool (*member)(const remit__module *m, remit__ctx *cx, const remit__row *row);

	/* Optional, for pricing on several threads.  A module with run_begin
	 * but without these makes its regime price on one thread.  The run's
	 * activity is cut into parts, priced concurrently, then joined in file
	 * order.  run_fork (on the run's thread, after the population and the
	 * per-patient pre-pass) makes a part's state from the run's: what
	 * pricing only reads (per-patient results, the population) shared, what
	 * it accumulates at zero.  claims, price and observe then run on the
	 * part's state (on any thread; each part on one).  run_join (on the
	 * run's thread, parts in file order) adds the part's accumulators into
	 * the run's state, or discards them when state is NULL (a part priced
	 * again), and frees the part's state.  cx is the run's context. */
	void *(*run_fork)(const remit__module *m, remit__ctx *cx, void *state);
	void (*run_join)(const remit__module *m, remit__ctx *cx, void *state, void *part);
};

/* The built-in module types, and lookup by name. */
extern const remit__module_type remit__tariff_module;
extern const remit__module_type remit__bundle_module;
extern const remit__module_type remit__year_of_care_module;
extern const remit__module_type remit__capitation_module;
extern const remit__module_type remit__block_module;
const remit__module_type *remit__module_type_find(const char *name);
/* Comma-separated names of all module types, for messages. */
const char *remit__module_type_names(void);

#endif
