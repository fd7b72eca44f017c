/*
 * arena.c — block allocator and string interning (see arena.h).
 */
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct remit__ablock {
	struct remit__ablock *next;
	size_t cap;
	_Alignas(16) unsigned char data[];
};

#define BLOCK_MIN (64u << 10)

void *remit__xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fputs("remit: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *remit__xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p) {
		fputs("remit: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *remit__xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("remit: out of memory\n", stderr);
		abort();
	}
	return q;
}

void *remit__alloc(remit__arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!a->head || a->cap - a->used < n) {
		size_t cap = n > BLOCK_MIN ? n : BLOCK_MIN;
		struct remit__ablock *b = remit__xmalloc(sizeof *b + cap);
		b->next = a->head;
		b->cap = cap;
		a->head = b;
		a->used = 0;
		a->cap = cap;
		a->total += cap;
	}
	void *p = a->head->data + a->used;
	a->used += n;
	return p;
}

void *remit__zalloc(remit__arena *a, size_t n)
{
	return memset(remit__alloc(a, n), 0, n);
}

char *remit__strndup(remit__arena *a, const char *s, size_t n)
{
	char *p = remit__alloc(a, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *remit__strdup(remit__arena *a, const char *s)
{
	return remit__strndup(a, s, strlen(s));
}

char *remit__sprintf(remit__arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = remit__alloc(a, (size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
	return p;
}

void remit__arena_free(remit__arena *a)
{
	struct remit__ablock *b = a->head;
	while (b) {
		struct remit__ablock *next = b->next;
		free(b);
		b = next;
	}
	memset(a, 0, sizeof *a);
}

uint64_t remit__hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ull;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	return h;
}

static void strtab_grow(remit__strtab *t)
{
	uint32_t ncap = t->mask ? (t->mask + 1) * 2 : 64;
	uint32_t *slots = remit__xcalloc(ncap, sizeof *slots);
	for (uint32_t id = 0; id < t->n; id++) {
		uint32_t i = (uint32_t)remit__hash(t->strs[id], t->lens[id]) & (ncap - 1);
		while (slots[i])
			i = (i + 1) & (ncap - 1);
		slots[i] = id + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->mask = ncap - 1;
}

uint32_t remit__strtab_find(const remit__strtab *t, const char *s, size_t n)
{
	if (!t->slots)
		return UINT32_MAX;
	uint32_t i = (uint32_t)remit__hash(s, n) & t->mask;
	for (uint32_t id; (id = t->slots[i]) != 0; i = (i + 1) & t->mask) {
		id--;
		if (t->lens[id] == n && memcmp(t->strs[id], s, n) == 0)
			return id;
	}
	return UINT32_MAX;
}

uint32_t remit__intern(remit__strtab *t, const char *s, size_t n)
{
	if (!t->slots || (t->n + 1) * 4 > (t->mask + 1) * 3)
		strtab_grow(t);
	uint32_t i = (uint32_t)remit__hash(s, n) & t->mask;
	for (uint32_t id; (id = t->slots[i]) != 0; i = (i + 1) & t->mask) {
		id--;
		if (t->lens[id] == n && memcmp(t->strs[id], s, n) == 0)
			return id;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->strs = remit__xrealloc(t->strs, t->cap * sizeof *t->strs);
		t->lens = remit__xrealloc(t->lens, t->cap * sizeof *t->lens);
	}
	uint32_t id = t->n++;
	t->strs[id] = remit__strndup(&t->mem, s, n);
	t->lens[id] = (uint32_t)n;
	t->slots[i] = id + 1;
	return id;
}

void remit__strtab_free(remit__strtab *t)
{
	remit__arena_free(&t->mem);
	free(t->slots);
	free(t->strs);
	free(t->lens);
	memset(t, 0, sizeof *t);
}
