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
		for (; t->index[i].row1; i = (i + 1) & t->mask)
			if (strcmp(remit__table_cell(t, t->index[i].row1 - 1, key), k) == 0)
				return r;
		t->index[i].k = n <= REMIT__SKEY_MAX ? remit__skey_of(k, n) : (remit__skey){0, 0};
		t->index[i].len = (uint32_t)n;
		t->index[i].row1 = r + 1;
	}
	return -1;
}

int64_t remit__table_find_long(const remit__table *t, const char *s, size_t n)
{
	if (!t->index || n <= REMIT__SKEY_MAX) /* no index; a short key is found inline */
		return -1;
	uint32_t i = (uint32_t)remit__hash(s, n) & t->mask;
	for (const remit__tslot *e; (e = &t->index[i])->row1; i = (i + 1) & t->mask)
		if (e->len == n &&
		    memcmp(remit__table_cell(t, e->row1 - 1, (uint32_t)t->key), s, n) == 0)
			return e->row1 - 1;
	return -1;
}
