/*
 * predicate.h — the rule files' expression language (RULES.md, Predicates).
 *
 *   pod in [EL, DC] and code in [HN12*, HN13A]
 *   pod == NE and los <= 1 and age >= 19
 *   diagnoses has [E10*, E11*]
 *   not (provider == RXX01) or start >= 2024-10-01
 *
 * A predicate is compiled once, when the rule file is loaded, into a flat
 * array of nodes with every literal already typed for its field (numbers
 * and dates parsed, lists split); evaluating it on a row is a walk over
 * that array with no allocation.
 *
 * Fields are the schema's columns (typed) or, for any other name, an
 * "attribute": an extra column of the data file, compared as a string.
 * Attribute names are numbered in a regime-wide remit__attrset; when a
 * data file is opened its header is matched against that set, and a name
 * the file lacks is reported (with the position of its first use) as a
 * rule-file error before any row is read.
 *
 * Semantics:
 *   - == != < <= > >= compare numbers and dates by value, strings by bytes;
 *     the literal is read as the field's type (`age >= 19`, `start >=
 *     2024-10-01`); a literal that is not of that type is a compile error.
 *   - A bare word ending in * is a prefix wildcard for == != in, not in and
 *     has (HN12* matches HN12A).  Quoted strings are literal.
 *   - `in [..]`/`not in [..]` test a non-list field against a list;
 *     `has X`/`has [..]` test whether a list field holds at least one item
 *     matching; `has` on a non-list field and `in` on a list field are
 *     compile errors.
 *   - An absent (empty) field makes every comparison false; `!=` and
 *     `not in` are the negations of `==` and `in`, so they are true.
 *   - Precedence: not > and > or; parentheses group.
 */
#ifndef REMIT_PREDICATE_H
#define REMIT_PREDICATE_H

#include "fields.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct remit__pred remit__pred;

/* Regime-wide numbering of attribute (non-schema) names. */
typedef struct remit__attrset {
	char **names;
	uint32_t n, cap;
} remit__attrset;

/* Index of name in s, adding it if new. */
uint32_t remit__attrset_add(remit__attrset *s, const char *name, size_t n);
void remit__attrset_free(remit__attrset *s);

/* Compile src[0..n).  On success returns 0 and *out (free with
 * remit__pred_free).  On error returns -1, *out = NULL, *err_off = byte
 * offset in src where the problem is, and msg holds what was expected, e.g.
 *   "unknown operator '=>'; expected ==, !=, <, <=, >, >=, in, not in or has"
 *   "age is a number; expected a number, got \"x\""
 *   "expected ']' to close the list opened at offset 7"
 * Field names not in `schema` become attributes numbered in `attrs`. */
int remit__pred_compile(const char *src, size_t n, const remit__schema *schema,
			remit__attrset *attrs, remit__pred **out, size_t *err_off, char *msg,
			size_t msgcap);

/* Evaluate on a row.  attr_map[k] is the index, in row->attrs, of the
 * column holding attribute k of the attrset (UINT32_MAX if the file lacks it,
 * which callers rule out before evaluating). */
bool remit__pred_eval(const remit__pred *p, const remit__row *row, const uint32_t *attr_map);

/* The attributes a predicate uses: for i < remit__pred_nattrs(p), slot and
 * byte offset (in the source) of its first use. */
size_t remit__pred_nattrs(const remit__pred *p);
void remit__pred_attr(const remit__pred *p, size_t i, uint32_t *slot, size_t *offset);

/* The source text (for explain). */
const char *remit__pred_source(const remit__pred *p);

void remit__pred_free(remit__pred *p);

#endif
