/*
 * compare.h — the same activity priced under several regimes: who gains,
 * who loses, and where cost shifts (CLI.md, compare).
 *
 * The engine prices each activity row under every regime in turn and tells
 * the comparison two things: every line each regime emits (remit__cmp_line)
 * and, per row, who was paid for it under each regime (remit__cmp_row).
 * From these it keeps, exactly:
 *   - per organisation and regime: money received, money paid, and the net
 *     split by pricing component (so each delta decomposes exactly) and by
 *     module;
 *   - per point of delivery, module and commissioner: totals per regime;
 *   - the funding transition matrix: for each pair (who was paid for a row
 *     under the first regime, who under another), rows and amounts;
 *   - scope exposure per regime: rows of budget members that no budget
 *     covered, rows two modules' scopes match, unpriced rows.
 * Nothing here knows any module; writers turn the result into a terminal
 * report, JSON, CSV or HTML.
 */
#ifndef REMIT_COMPARE_H
#define REMIT_COMPARE_H

#include "arena.h"
#include "number.h"
#include "module.h"
#include "remit.h"

typedef struct remit__cmp remit__cmp;

/* Per regime, what happened to one activity row. */
typedef struct remit__cmp_rowinfo {
	remit__outcome outcome;
	bool unpriced;
	remit__str funder; /* who was paid for the row: the provider, or the budget holder */
	remit__num amount; /* sum of the lines emitted for this row */
	bool exposed;      /* the patient is a budget member, yet no budget covered the row */
	bool overlap;      /* a later module's scope also matched */
} remit__cmp_rowinfo;

remit__cmp *remit__cmp_new(const char *const *regime_names, const int *scales, size_t n);
/* A new, empty comparison of c's regimes (for a part of the activity). */
remit__cmp *remit__cmp_new_like(const remit__cmp *c);
void remit__cmp_free(remit__cmp *c);

/* A line emitted under regime i. */
void remit__cmp_line(remit__cmp *c, size_t i, const remit__pline *l);
/* Add the lines c keeps pending into its sums (the writers and merges
 * do; see compare.c). */
void remit__cmp_settle(remit__cmp *c);
/* One activity row's fate under every regime (info[0..n)). */
void remit__cmp_row(remit__cmp *c, const remit__cmp_rowinfo *info);
/* Add k, the comparison of a part of the activity (the same regimes),
 * into c, which holds the parts before it: c is then what one pass over
 * both would have given (remit__cmp_counts aside). */
void remit__cmp_merge(remit__cmp *c, remit__cmp *k);
/* The reconciliation of regime i (after its run). */
void remit__cmp_counts(remit__cmp *c, size_t i, const remit_counts *counts, const char *total,
		       bool balanced);

/* Writers: the whole comparison, sorted, to `out`.  `by` is "provider"
 * (default), "commissioner", "module" or "pod": the main table's rows. */
typedef void (*remit__write_fn)(void *ud, const char *text, size_t len);
void remit__cmp_write_text(remit__cmp *c, const char *by, remit__write_fn out, void *ud);
void remit__cmp_write_json(remit__cmp *c, remit__write_fn out, void *ud);
void remit__cmp_write_csv(remit__cmp *c, remit__write_fn out, void *ud);
void remit__cmp_write_html(remit__cmp *c, remit__write_fn out, void *ud);

#endif
