/*
 * arena.h — memory that lives and dies together, and interned strings.
 *
 * An arena hands out memory from large blocks and frees it all at once
 * (PostgreSQL's memory contexts, in miniature): the rules of a regime live
 * in one, the strings a run interns in another.  Nothing is freed
 * piecemeal, so there is no per-object bookkeeping and no per-row malloc.
 *
 * A strtab interns strings: each distinct string gets a dense id (0, 1,
 * ...) and one copy in the table's arena; looking a string up hashes it
 * and probes an open-addressing table of ids.
 */
#ifndef REMIT_ARENA_H
#define REMIT_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct remit__arena {
	struct remit__ablock *head;
	size_t used, cap; /* in the head block */
	size_t total;     /* bytes held, for memory reports */
} remit__arena;

/* Allocate n bytes aligned for any type; aborts the process only if the
 * system is out of memory (as GMP does). */
void *remit__alloc(remit__arena *a, size_t n);
void *remit__zalloc(remit__arena *a, size_t n);
char *remit__strndup(remit__arena *a, const char *s, size_t n);
char *remit__strdup(remit__arena *a, const char *s);
char *remit__sprintf(remit__arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void remit__arena_free(remit__arena *a);

/* ---- short keys ---------------------------------------------------------
 * A string of at most 16 bytes (an id, a code, a provider) as two words
 * read with overlapping loads: with its length, the words identify the
 * string, so comparing two is three integer compares instead of memcmp,
 * and the hash below is made of the same words. */
typedef struct remit__skey {
	uint64_t a, b;
} remit__skey;

#define REMIT__SKEY_MAX 16

static inline uint64_t remit__load64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t remit__load32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* n <= REMIT__SKEY_MAX. */
static inline remit__skey remit__skey_of(const void *p, size_t n)
{
	const unsigned char *s = p;
	remit__skey k;
	if (n >= 8) {
		k.a = remit__load64(s);
		k.b = remit__load64(s + n - 8);
	} else if (n >= 4) {
		k.a = remit__load32(s);
		k.b = remit__load32(s + n - 4);
	} else if (n > 0) {
		k.a = (uint64_t)s[0] << 16 | (uint64_t)s[n >> 1] << 8 | s[n - 1];
		k.b = 0;
	} else {
		k.a = k.b = 0;
	}
	return k;
}

static inline uint64_t remit__mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* The hash of a short string from its key (equal to remit__hash). */
static inline uint64_t remit__skey_hash(remit__skey k, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n * 0xbf58476d1ce4e5b9ull);
	h = remit__mum(k.a ^ 0xe7037ed1a0b428dbull, k.b ^ h);
	return remit__mum(h ^ 0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull ^ (uint64_t)n);
}

static inline bool remit__skey_eq(remit__skey x, remit__skey y)
{
	return x.a == y.a && x.b == y.b;
}

typedef struct remit__strtab {
	remit__arena mem;
	uint32_t *slots; /* id + 1; 0 = empty */
	uint32_t mask;
	const char **strs; /* id → string (NUL-terminated) */
	uint32_t *lens;
	remit__skey *keys; /* id → key, for strings of at most REMIT__SKEY_MAX bytes */
	uint32_t n, cap;
} remit__strtab;

/* The id of s[0..n), adding it if new. */
uint32_t remit__intern(remit__strtab *t, const char *s, size_t n);
/* The id of s[0..n), or UINT32_MAX if not present. */
uint32_t remit__strtab_find(const remit__strtab *t, const char *s, size_t n);
static inline const char *remit__strtab_str(const remit__strtab *t, uint32_t id)
{
	return t->strs[id];
}
void remit__strtab_free(remit__strtab *t);

/* 64-bit hash of bytes (wyhash-style multiply-and-fold, words at a time):
 * fast and stable (no seed), so hash-table layouts repeat run to run. */
uint64_t remit__hash_long(const void *p, size_t n);
static inline uint64_t remit__hash(const void *p, size_t n)
{
	if (n <= REMIT__SKEY_MAX)
		return remit__skey_hash(remit__skey_of(p, n), n);
	return remit__hash_long(p, n);
}

/* Zeroed memory for a large table probed at random (the duplicate-id
 * set): mapped directly, and on 2 MiB pages where the system allows
 * (transparent huge pages, madvise), so that a probe costs a cache miss
 * and not also a TLB miss.  Aborts if out of memory; free with the size. */
void *remit__huge_alloc(size_t n);
void remit__huge_free(void *p, size_t n);

/* malloc/realloc that abort on failure (GMP's policy; see README). */
void *remit__xmalloc(size_t n);
void *remit__xcalloc(size_t n, size_t size);
void *remit__xrealloc(void *p, size_t n);

#endif
