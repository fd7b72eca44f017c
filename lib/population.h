/*
 * population.h — the registered population (DATA.md, population file).
 *
 * Read before any activity is priced: every row is validated by the reader;
 * a registration period that overlaps an earlier-starting period of the
 * same patient is rejected (the rejects file names the line it overlaps);
 * every valid row then goes, in file order, to each module that wants the
 * population (year of care, capitation), which keeps what it needs.
 */
#ifndef REMIT_POPULATION_H
#define REMIT_POPULATION_H

#include "engine.h"

/* True if a module of the regime needs the population file. */
bool remit__population_wanted(const struct remit_regime *r);

/* Load the population from an open reader into the modules; counts and
 * rejects as in a run.  The population attribute map is left in
 * cx->pattr_map (the run frees it). */
struct remit__reader;
int remit__population_load(remit__ctx *cx, struct remit__reader *rd, const remit_run_options *opt,
			   remit_counts *counts, remit_error *err);

/* The end date of a registration row: its `to`, or INT64_MAX while still
 * registered. */
int64_t remit__registration_end(const remit__row *person);

/* Days of [from, to] inside [pfrom, pto], all inclusive: 0 when they do
 * not meet (2024-10-01..2025-03-31 in a 2024/25 year is 182). */
int64_t remit__days_within(int64_t from, int64_t to, int64_t pfrom, int64_t pto);

#endif
