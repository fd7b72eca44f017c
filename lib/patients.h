/*
 * patients.h — each patient's rows together, in date order.
 *
 * Rules that look across a patient's activity (readmissions now; bundle
 * episodes and budgets later) need the patient's rows side by side.  Before
 * the pricing pass, the engine reads the activity once and, for each module
 * with a scan method, keeps one 24-byte remit__prow for every row the
 * module tags (patients and providers interned to 32-bit ids).  It sorts
 * them by (patient, start, end, file order) and hands each patient's run
 * to the module's patient method, which records what it decides (for
 * example a bit per readmitted row) in its run state.  The records are
 * freed before pricing starts.
 *
 * Memory: 24 bytes per tagged row and module, plus the interned patient ids
 * (their bytes + about 12 bytes each), for the duration of the pre-pass.
 */
#ifndef REMIT_PATIENTS_H
#define REMIT_PATIENTS_H

#include "activity.h"
#include "engine.h"

/* Read every row of rd, collect and group the tagged rows, call each
 * module's patient method, then rewind rd for the pricing pass. */
int remit__patients_prepass(remit__ctx *cx, remit__reader *rd, const uint32_t *attr_map,
			    remit_error *err);

/* The same for several regimes over one read of rd (remit compare). */
int remit__patients_prepass_many(remit__ctx *const *cxs, size_t n, remit__reader *rd,
				 remit_error *err);

#endif
