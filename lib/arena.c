/*
 * arena.c — block allocator and string interning (see arena.h).
 */
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

#define HUGE_PAGE ((size_t)2 << 20)

void *remit__huge_alloc(size_t n)
{
	if (n < HUGE_PAGE)
		return remit__xcalloc(1, n);
	/* map 2 MiB more and keep an aligned range, so whole pages can be huge */
	size_t len = (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	char *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (p == MAP_FAILED) {
		fputs("remit: out of memory\n", stderr);
		abort();
	}
	char *a = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + len < p + len + HUGE_PAGE)
		munmap(a + len, (size_t)(p + len + HUGE_PAGE - (a + len)));
#ifdef MADV_HUGEPAGE
	madvise(a, len, MADV_HUGEPAGE);
#endif
	return a;
}

void remit__huge_free(void *p, size_t n)
{
	if (!p)
		return;
	if (n < HUGE_PAGE) {
		free(p);
		return;
	}
	munmap(p, (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
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

/* Strings longer than 16 bytes, sixteen bytes at a time (shorter ones are
 * hashed inline, see arena.h: the same function). */
uint64_t remit__hash_long(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n * 0xbf58476d1ce4e5b9ull);
	size_t i = n;
	while (i > 16) {
		h = remit__mum(remit__load64(s) ^ 0xa0761d6478bd642full, remit__load64(s + 8) ^ h);
		s += 16;
		i -= 16;
	}
	uint64_t a = remit__load64(s + i - 16), b = remit__load64(s + i - 8);
	h = remit__mum(a ^ 0xe7037ed1a0b428dbull, b ^ h);
	return remit__mum(h ^ 0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull ^ (uint64_t)n);
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

/* Probe for s[0..n) from its hash: the slot where it is or would go. */
static inline uint32_t *strtab_probe(const remit__strtab *t, const char *s, size_t n)
{
	if (n <= REMIT__SKEY_MAX) {
		remit__skey k = remit__skey_of(s, n);
		uint32_t i = (uint32_t)remit__skey_hash(k, n) & t->mask;
		for (uint32_t id; (id = t->slots[i]) != 0; i = (i + 1) & t->mask)
			if (t->lens[id - 1] == n && remit__skey_eq(t->keys[id - 1], k))
				break;
		return &t->slots[i];
	}
	uint32_t i = (uint32_t)remit__hash_long(s, n) & t->mask;
	for (uint32_t id; (id = t->slots[i]) != 0; i = (i + 1) & t->mask)
		if (t->lens[id - 1] == n && memcmp(t->strs[id - 1], s, n) == 0)
			break;
	return &t->slots[i];
}

uint32_t remit__strtab_find(const remit__strtab *t, const char *s, size_t n)
{
	if (!t->slots)
		return UINT32_MAX;
	uint32_t id = *strtab_probe(t, s, n);
	return id ? id - 1 : UINT32_MAX;
}

uint32_t remit__intern(remit__strtab *t, const char *s, size_t n)
{
	if (!t->slots || (t->n + 1) * 4 > (t->mask + 1) * 3)
		strtab_grow(t);
	uint32_t *slot = strtab_probe(t, s, n);
	if (*slot)
		return *slot - 1;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->strs = remit__xrealloc(t->strs, t->cap * sizeof *t->strs);
		t->lens = remit__xrealloc(t->lens, t->cap * sizeof *t->lens);
		t->keys = remit__xrealloc(t->keys, t->cap * sizeof *t->keys);
	}
	uint32_t id = t->n++;
	t->strs[id] = remit__strndup(&t->mem, s, n);
	t->lens[id] = (uint32_t)n;
	t->keys[id] = n <= REMIT__SKEY_MAX ? remit__skey_of(t->strs[id], n) : (remit__skey){0, 0};
	*slot = id + 1;
	return id;
}

void remit__strtab_free(remit__strtab *t)
{
	remit__arena_free(&t->mem);
	free(t->slots);
	free(t->strs);
	free(t->lens);
	free(t->keys);
	memset(t, 0, sizeof *t);
}
