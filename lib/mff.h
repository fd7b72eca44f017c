/*
 * mff.h — the market forces factor of an organisation (RULES.md, `mff`).
 *
 *   mff: {table: mff, default: 1.02}
 *
 * The market forces factor (MFF) scales a payment by the unavoidable costs
 * of providing care where the organisation paid is: the provider of a
 * tariff row, the holder of a bundle's episode or of a year_of_care or
 * capitation budget.  A module names a regime table keyed by organisation
 * whose value column holds the factors (decimals or fractions, each > 0),
 * and may give a default for an organisation the table lacks.  The factors
 * are typed once, when the rules are loaded; finding one is a probe of the
 * table's index, with no allocation.
 */
#ifndef REMIT_MFF_H
#define REMIT_MFF_H

#include "rules.h"
#include "table.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct remit__mff {
	const remit__table *table; /* NULL: no market forces factor */
	remit__num *values;        /* by table row */
	bool has_default;
	remit__num def;
} remit__mff;

/* What a module accepts beside {table, default}, and how it words a bad
 * factor: the modules' texts came to differ and tests pin them, so each
 * keeps its own. */
typedef struct remit__mff_opts {
	const char *extra; /* one more key, left for the caller to read; NULL: none */
	bool typed_cells;  /* a bad cell names its fault (tariff: "division by
			      zero in \"1/0\"", "expected a decimal or a
			      fraction, got \"118%\"", "expected a value > 0");
			      otherwise each is "expected a factor > 0, got \"x\"" */
	bool default_got;  /* "<ctx>.default: expected a factor > 0" ends
			      ", got <the value>" (bundle) */
} remit__mff_opts;

/* `mff: {table: T[, default: F]}` at node n; ctx names it in messages
 * ("tariff.mff").  opts NULL: no extra key, a factor's wording.  Returns
 * false after reporting every problem (out->table is then NULL). */
bool remit__mff_parse(remit__loader *L, const yaml_node_t *n, const char *ctx,
		      const remit__mff_opts *opts, remit__mff *out);

/* The factor of the organisation org (n bytes): 1 when there is no table,
 * the default when the table lacks org (then *defaulted is true; defaulted
 * may be NULL); false if it lacks org and there is no default. */
static inline bool remit__mff_of(const remit__mff *m, const char *org, size_t n, remit__num *f,
				 bool *defaulted)
{
	int64_t r = m->table ? remit__table_find(m->table, org, n) : 0;
	if (defaulted)
		*defaulted = r < 0;
	if (r >= 0)
		*f = m->table ? m->values[r] : REMIT__NUM_ONE;
	else if (m->has_default)
		*f = m->def;
	return r >= 0 || m->has_default;
}

/* Report (at node n, under ctx) an organisation that has no factor; false
 * if so.  For a holder fixed in the rules, checked when they are loaded. */
bool remit__mff_check(remit__loader *L, const remit__mff *m, const yaml_node_t *n,
		      const char *ctx, const char *org);

#endif
