/*
 * regime.h — a loaded regime: settings, tables, modules in claim order.
 *
 * Built by regime.c from the rule files and immutable afterwards, so one
 * regime may be shared by any number of runs and threads.
 */
#ifndef REMIT_REGIME_H
#define REMIT_REGIME_H

#include "arena.h"
#include "module.h"
#include "number.h"
#include "predicate.h"
#include "table.h"

/* A compiled predicate, with the rule-file position of each attribute
 * (non-DATA.md field) it names, so that a field the data file lacks can be
 * reported where it was written. */
typedef struct remit__predref {
	remit__pred *pred;
	const remit__schema *schema;
	remit__mark *attr_marks; /* one per remit__pred_attr(pred, i) */
} remit__predref;

struct remit_regime {
	remit__arena mem;
	remit__numpool *consts;
	const char *file, *name, *currency;
	int scale;
	remit__rmode mode;
	bool has_period;
	int64_t period_from, period_to; /* days, inclusive */
	bool has_valid;                 /* regime-wide default for modules */
	int64_t valid_from, valid_to;
	remit__table **tables;
	size_t ntables;
	remit__module **modules;
	size_t nmodules;
	remit__attrset attrs;  /* activity columns beyond DATA.md that predicates name */
	remit__attrset pattrs; /* population likewise */
	remit__predref *preds;
	size_t npreds, cap_preds;
};

const remit__table *remit__regime_table(const struct remit_regime *r, const char *name);
const remit__module *remit__regime_module(const struct remit_regime *r, const char *name);

/* Match the attributes (non-DATA.md fields) that the regime's predicates
 * over `schema` name against a data file's extra columns: map[slot] is the
 * column index, or UINT32_MAX.  A name the file lacks is reported, at its
 * place in the rule file, as a rule-file error (REMIT_ERULES). */
int remit__regime_bind(const struct remit_regime *r, const remit__schema *schema,
		       const remit__str *cols, uint32_t ncols, const char *data_name,
		       uint32_t *map, remit_diag_fn diag, void *ud, remit_error *err);

#endif
