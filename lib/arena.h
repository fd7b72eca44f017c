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

#include <stddef.h>
#include <stdint.h>

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

typedef struct remit__strtab {
	remit__arena mem;
	uint32_t *slots; /* id + 1; 0 = empty */
	uint32_t mask;
	const char **strs; /* id → string (NUL-terminated) */
	uint32_t *lens;
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

/* 64-bit hash of bytes (FNV-1a folded with a final mix): fast, stable. */
uint64_t remit__hash(const void *p, size_t n);

/* malloc/realloc that abort on failure (GMP's policy; see README). */
void *remit__xmalloc(size_t n);
void *remit__xcalloc(size_t n, size_t size);
void *remit__xrealloc(void *p, size_t n);

#endif
