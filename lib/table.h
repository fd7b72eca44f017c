/*
 * table.h — named lookup tables of a regime (RULES.md `tables`), and the
 * module-level tables of prices.
 *
 * A table is a grid of strings with named columns, loaded from a CSV file
 * (relative to the YAML file that names it) or written inline, with a hash
 * index on one key column.  Modules turn the cells they need into typed
 * values once, at load time.
 */
#ifndef REMIT_TABLE_H
#define REMIT_TABLE_H

#include "arena.h"

#include <stdint.h>

/* A slot of a table's index: the key's length and short key (arena.h;
 * zero for a key over REMIT__SKEY_MAX bytes) next to the row, so that a
 * lookup touches one cache line. */
typedef struct remit__tslot {
	remit__skey k;
	uint32_t len;
	uint32_t row1; /* row + 1; 0 = empty */
} remit__tslot;

typedef struct remit__table {
	const char *name;
	const char *file;          /* YAML file that defined it */
	unsigned long line, column; /* where, 1-based */
	const char *source;        /* CSV path when loaded from a file, else NULL */
	const char **columns;
	uint32_t ncols;
	const char **cells; /* row-major, nrows × ncols */
	const char *cells_file; /* where the cells were written: the CSV or the YAML file */
	uint32_t *cell_line;    /* per cell, 1-based, in cells_file */
	uint32_t *cell_col;
	uint32_t nrows;
	int32_t key;   /* key column, or -1 */
	int32_t value; /* value column for single-value lookups, or -1 */
	struct remit__tslot *index; /* open addressing on key; row1 0 = empty */
	uint32_t mask;
} remit__table;

static inline const char *remit__table_cell(const remit__table *t, uint32_t row, uint32_t col)
{
	return t->cells[(size_t)row * t->ncols + col];
}

/* Where a cell was written, for messages. */
static inline void remit__table_pos(const remit__table *t, uint32_t row, uint32_t col,
				    unsigned long *line, unsigned long *column)
{
	*line = t->cell_line[(size_t)row * t->ncols + col];
	*column = t->cell_col[(size_t)row * t->ncols + col];
}

/* Column index by name, or -1. */
int remit__table_column(const remit__table *t, const char *name);

/* Build the hash index on column `key`.  Returns the first row whose key
 * repeats an earlier row's (so the caller can report it), or -1. */
int64_t remit__table_index(remit__table *t, remit__arena *a, uint32_t key);

/* Row whose key equals s[0..n), or -1.  A short key (an organisation, a
 * code) is found inline: a lookup per activity row is common.  A long key
 * goes to remit__table_find_long (-1 for a short one, or without index). */
int64_t remit__table_find_long(const remit__table *t, const char *s, size_t n);

static inline int64_t remit__table_find(const remit__table *t, const char *s, size_t n)
{
	if (!t->index || n > REMIT__SKEY_MAX)
		return remit__table_find_long(t, s, n);
	remit__skey k = remit__skey_of(s, n);
	uint32_t i = (uint32_t)remit__skey_hash(k, n) & t->mask;
	for (const remit__tslot *e; (e = &t->index[i])->row1; i = (i + 1) & t->mask)
		if (e->len == n && remit__skey_eq(e->k, k))
			return e->row1 - 1;
	return -1;
}

#endif
