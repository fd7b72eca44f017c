/*
 * patients.h — each patient's rows together, in date order.
 *
 * Rules that look across a patient's activity (readmissions, bundle
 * episodes) need the patient's rows side by side.  Before the pricing
 * pass, the engine reads the activity once and, for each module with a
 * scan method, keeps one 24-byte remit__prow for every row the module
 * tags (patients and providers interned to 32-bit ids).  It sorts them by
 * (patient, start, end, file order) and hands each patient's run to the
 * module's patient method, which records what it decides (for example a
 * bit per readmitted row) in its run state.  The records are freed before
 * pricing starts.
 *
 * The rows can be scanned on several threads (engine.c reads the file in
 * parts, as it prices): a part's scan has organisation and patient tables
 * of its own, and, for a module with scan_fork, a scan state of its own;
 * joining the parts in file order interns the part's names into the run's
 * tables in the order the part met them, so every id is the one a single
 * thread gives, and shifts the part's ordinals.  Then the patients are
 * handed out on the run's thread.
 *
 * Memory: 24 bytes per tagged row and module, plus the interned patient ids
 * (their bytes + about 12 bytes each), for the duration of the pre-pass.
 */
#ifndef REMIT_PATIENTS_H
#define REMIT_PATIENTS_H

#include "activity.h"
#include "engine.h"

/* What the pre-pass collects for one run: every per-patient module's
 * tagged rows. */
typedef struct remit__scan remit__scan;

/* A scan for the run whose context is cx, collecting into its tables. */
remit__scan *remit__scan_new(remit__ctx *cx);
/* A part of `whole`, with tables and module scan states of its own; made
 * on the run's thread, then scanned on any one thread. */
remit__scan *remit__scan_fork(remit__scan *whole);
/* Tag one valid row.  The modules' scratch is the context's pool: a
 * part's own, reset here; the run's, which the caller resets (it may hold
 * the row's values). */
void remit__scan_row(remit__scan *s, const remit__row *row);
/* Add a scanned part into its whole (the parts in file order), its rows'
 * ordinals shifted by ordinal_shift (a part whose start was guessed numbers
 * its rows from 0), and free it. */
void remit__scan_join(remit__scan *part, uint64_t ordinal_shift);
/* Free a part without adding it (a part scanned again, or left by an
 * error). */
void remit__scan_discard(remit__scan *part);
/* Group each module's rows by patient and hand them out (if ok), then free
 * the scan. */
void remit__scan_finish(remit__scan *s, bool ok);

/* Sort n records of `size` bytes by patient, then each patient's by cmp
 * (which sees two records of one patient): the patient is the uint32_t at
 * byte at_patient of a record, below npatients.  A counting sort by
 * patient, which keeps file order and is linear where a general sort of
 * every record is not, then an insertion sort of each patient's few
 * records (qsort for one with many). */
void remit__sort_by_patient(void *records, size_t n, size_t size, size_t at_patient,
			    uint32_t npatients, int (*cmp)(const void *, const void *));

/* Whether the regime's per-patient modules can be scanned in parts (each
 * module whose scan writes its state has scan_fork and scan_join). */
bool remit__scan_parallel_ok(const struct remit_regime *r);

#endif
