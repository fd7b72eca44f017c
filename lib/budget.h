/*
 * budget.h — what the population-budget modules (year_of_care, capitation)
 * share: the registration periods they keep, pro-rating by days, claiming
 * the activity of registered people.  (The holder's market forces factor:
 * mff.h; exact sums over people: remit__xsum.)
 *
 * Registrations.  A module keeps, from the population file, only the
 * periods of people in its cohort or population: one 28-byte remit__reg
 * each, in an array, chained per patient (newest first) from a head array
 * indexed by the engine's patient id (4 bytes per patient of the file).
 * "Is this activity row's patient registered on its start date?" is then
 * a hash lookup of the patient id and a walk over that patient's few
 * periods: no allocation.  Modules keep their own per-period facts in
 * arrays parallel to the registrations (same index).
 *
 * Pro-rating.  The budget window is the regime period, narrowed by the
 * module's `valid` range if it has one; a period is paid for the days it
 * is registered inside the window, over the days of the regime period
 * (so an annual price is paid in full for a whole year, and a module
 * valid for half the year pays half).
 */
#ifndef REMIT_BUDGET_H
#define REMIT_BUDGET_H

#include "engine.h"
#include "mff.h"

#define REMIT__NONE UINT32_MAX
#define REMIT__OPEN INT32_MAX /* `to` of a registration still open */

/* One registration period: 28 bytes. */
typedef struct remit__reg {
	uint32_t patient;  /* engine patient id */
	uint32_t next;     /* next (older in file order) period of the patient, or NONE */
	uint32_t practice; /* organisation ids (cx->orgs) */
	uint32_t payer;    /* the person's commissioner */
	int32_t from, to;  /* days, inclusive; to = REMIT__OPEN while registered */
	uint32_t line;     /* population file line (saturated) */
} remit__reg;

typedef struct remit__regs {
	remit__reg *v;
	uint32_t n, cap;
	uint32_t *head; /* by patient id: newest period, or NONE */
	uint32_t nheads;
} remit__regs;

/* Keep a population row's period; returns its index.  v may move. */
uint32_t remit__regs_add(remit__regs *r, remit__ctx *cx, const remit__row *person);
/* The kept period of `patient` that contains `day`, or NONE. */
uint32_t remit__regs_at(const remit__regs *r, const remit__ctx *cx, remit__str patient,
			int64_t day);
/* The newest period of a patient given by id, or NONE. */
static inline uint32_t remit__regs_first(const remit__regs *r, uint32_t patient)
{
	return patient < r->nheads ? r->head[patient] : REMIT__NONE;
}
/* The periods of a patient in date order, into *buf (of *cap items, grown
 * as needed; the caller frees it once, so a loop over people allocates
 * only while the largest so far grows); returns their number. */
size_t remit__regs_of(const remit__regs *r, uint32_t patient, uint32_t **buf, size_t *cap);
void remit__regs_free(remit__regs *r);

/* Grow a parallel array of `size`-byte items to the registrations' cap. */
void remit__regs_grow(const remit__regs *r, void **arr, uint32_t *cap, size_t size);

/* ---- pro-rating ---------------------------------------------------------- */

typedef struct remit__window {
	bool bounded;       /* false: no regime period (prorate is then off) */
	int64_t from, to;   /* the budget window, days inclusive */
	int64_t year;       /* days in the regime period: the denominator */
} remit__window;

remit__window remit__budget_window(const remit__module *m, const struct remit_regime *r);
/* Days of period g inside the window (0 if none). */
int64_t remit__reg_days(const remit__reg *g, const remit__window *w);
/* Does period g meet the window at all (always true when unbounded)? */
bool remit__reg_in_window(const remit__reg *g, const remit__window *w);

/* Period i's patient's latest period (by from) that meets the window, or
 * i if none does (without pro-rating, the period a budget is paid for). */
uint32_t remit__regs_latest(const remit__regs *r, uint32_t i, const remit__window *w);

/* `prorate: days`: true if on.  Needs the regime's `period`. */
bool remit__budget_prorate(remit__loader *L, const yaml_node_t *n, const char *ctx, bool *on);

/* "2024-10-01 to 2025-03-31" (or "... to (open)") for messages. */
const char *remit__reg_dates(remit__ctx *cx, const remit__reg *g);

/* ---- covered activity ----------------------------------------------------- */

/* The period claims() found for a row, kept for the row's price(). */
typedef struct remit__hit {
	uint64_t row; /* the row's ordinal + 1; 0: none */
	uint32_t reg; /* the period */
} remit__hit;

/* claims() of a budget module: does `covers` accept the row, and is its
 * patient registered, in a period the module kept, on the row's start
 * date?  If so the period goes into *hit; if not, `kept` names the
 * module's people in the narration ("cohort": "not in its cohort on"). */
bool remit__budget_claims(const remit__module *m, remit__ctx *cx, const remit__row *row,
			  const remit__pred *covers, const remit__regs *r, const char *kept,
			  remit__hit *hit);
/* The period of a claimed row's patient on its start date, from *hit when
 * claims() found it for this row. */
uint32_t remit__budget_claimed(const remit__regs *r, remit__ctx *cx, const remit__row *row,
			      const remit__hit *hit);

/* ---- `{from: column}` of the population --------------------------------- */

/* A population column of type `type`; `what` lists the acceptable names
 * for the message ("tier", "need"). */
bool remit__budget_column(remit__loader *L, const yaml_node_t *n, const char *ctx,
			  remit__ftype type, const char *what, int *field);

#endif
