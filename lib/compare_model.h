/*
 * compare_model.h — the comparison's figures, shared by its writers
 * (compare.c: text, JSON, CSV; report_html.c: HTML).  Private to lib/.
 */
#ifndef REMIT_COMPARE_MODEL_H
#define REMIT_COMPARE_MODEL_H

#include "compare.h"

typedef struct modsum {
	uint32_t module;
	remit__xsum *v; /* [n] */
} modsum;

typedef struct org {
	bool receives; /* payee of some line: a provider or budget holder */
	remit__xsum *received, *paid; /* [n] */
	remit__xsum *comp;            /* [n × REMIT_C_COUNT], net (received − paid) */
	modsum *mods;
	size_t nmods, capmods;
} org;

typedef struct trans {
	uint32_t from, to, regime; /* regime ≥ 1, compared with regime 0 */
	uint64_t rows;
	remit__xsum from_amount, to_amount;
} trans;

typedef struct exposure {
	uint64_t exposed_rows, overlap_rows, unpriced_rows;
	remit__xsum exposed_amount;
} exposure;

/* A name → [n] sums table (modules, pods, commissioners' spend). */
typedef struct keyed {
	remit__strtab names;
	remit__xsum *v; /* [cap × n] */
	uint32_t cap;
} keyed;

/* Lines not yet added to the sums (compare.c, "pending lines"): one cell
 * per payee, payer, module, point of delivery and regime. */
typedef struct lcell {
	remit__skey payee, payer, pod;
	uint8_t payee_n, payer_n, pod_n;
	uint32_t regime;
	uint32_t comps; /* bit k: comp[k] was added to */
	const remit__module *module;
	char names[3][REMIT__SKEY_MAX]; /* payee, payer, pod */
	remit__xsum amount, comp[REMIT_C_COUNT];
} lcell;

struct remit__cmp {
	size_t n;
	char **regimes;
	int *scales;
	int scale; /* for display: the largest */
	remit__strtab names; /* organisations and transition parties */
	org *orgs;
	uint32_t cap_orgs;
	remit__strtab modules;
	keyed by_module, by_pod;
	trans *tr;
	size_t ntr, cap_tr;
	uint32_t *tr_slots;
	uint32_t tr_mask;
	exposure *exp;
	remit_counts *counts;
	char **totals;
	bool *balanced;
	remit__numpool *pool;
	lcell *cells;   /* pending lines, in the order they were first met */
	uint32_t ncells, capcells;
	uint32_t *cell_slots; /* cell index + 1; 0: empty */
	uint32_t cell_mask;
};

/* A value at the display scale into buf (REMIT__NUM_BUF bytes). */
const char *remit__cmp_money(remit__cmp *c, remit__num v, char *buf);
/* Net income of o under regime i: received − paid. */
remit__num remit__cmp_net(remit__cmp *c, const org *o, size_t i);
/* delta as a percentage of |base| ("12.5%"), or "n/a". */
const char *remit__cmp_percent(remit__cmp *c, remit__num delta, remit__num base, char *buf);
/* o's components under regime i at the display scale, summing to its net. */
void remit__cmp_components(remit__cmp *c, const org *o, size_t i, remit__num *shown);
/* Sorted ids of providers (receive money) or commissioners (never do);
 * caller frees. */
uint32_t *remit__cmp_orgs(remit__cmp *c, bool providers, size_t *n);
/* Order transitions by regime, from, to. */
void remit__cmp_sort_transitions(remit__cmp *c);

#endif
