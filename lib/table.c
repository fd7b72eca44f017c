/*
 * table.c — hash index and lookups over a table's key column.
 */
#include "table.h"

#include <string.h>

int remit__table_column(const remit__table *t, const char *name)
{
	for (uint32_t i = 0; i < t->ncols; i++)
		if (strcmp(t->columns[i], name) == 0)
			return (int)i;
	return -1;
}

int64_t remit__table_index(remit__table *t, remit__arena *a, uint32_t key)
{
	uint32_t cap = 16;
	while (cap < t->nrows * 2u + 2)
		cap *= 2;
	t->index = remit__zalloc(a, cap * sizeof *t->index);
	t->mask = cap - 1;
	t->key = (int32_t)key;
	for (uint32_t r = 0; r < t->nrows; r++) {
		const char *k = remit__table_cell(t, r, key);
		size_t n = strlen(k);
		uint32_t i = (uint32_t)remit__hash(k, n) & t->mask;
		for (; t->index[i]; i = (i + 1) & t->mask)
			if (strcmp(remit__table_cell(t, t->index[i] - 1, key), k) == 0)
				return r;
		t->index[i] = r + 1;
	}
	return -1;
}

int64_t remit__table_find(const remit__table *t, const char *s, size_t n)
{
	if (!t->index)
		return -1;
	uint32_t i = (uint32_t)remit__hash(s, n) & t->mask;
	for (; t->index[i]; i = (i + 1) & t->mask) {
		const char *k = remit__table_cell(t, t->index[i] - 1, (uint32_t)t->key);
		if (strlen(k) == n && memcmp(k, s, n) == 0)
			return t->index[i] - 1;
	}
	return -1;
}
