/*
 * rules.h — reading rule files: YAML nodes to typed values, with positions.
 *
 * A rule file is loaded with libyaml's document API into a tree whose every
 * node carries its start mark.  The loader walks the tree once to reject
 * what YAML allows and we do not (duplicate keys, which libyaml accepts
 * silently; aliases; absurd nesting), then modules read their settings
 * through the typed getters below.  Every getter reports a failure as
 * "file:line:col: context.key: expected ..., got ..." through the loader,
 * which counts errors and goes on, so `remit check` can list them all.
 */
#ifndef REMIT_RULES_H
#define REMIT_RULES_H

#include "arena.h"
#include "fields.h"
#include "number.h"
#include "predicate.h"
#include "remit.h"
#include "table.h"

#include <stdbool.h>
#include <yaml.h>

#define REMIT__MAX_NESTING 64
#define REMIT__MAX_INCLUDE_DEPTH 16
#define REMIT__MAX_RULE_FILE (16u << 20) /* bytes of one YAML file */
#define REMIT__MAX_FLOW_SCAN 1000         /* flow levels refused before parsing */
#define REMIT__MAX_MODULES 1024           /* modules of a regime */
#define REMIT__MAX_TABLES 4096            /* named tables of a regime (includes too) */

typedef struct remit__loader remit__loader;

/* A key a mapping accepts. */
typedef struct remit__key {
	const char *name;
	bool required;
} remit__key;

/* Where a node is, for messages. */
typedef struct remit__mark {
	const char *file;
	unsigned long line, column; /* 1-based */
} remit__mark;

struct remit_regime; /* regime.h */

/* The document being read and the regime being built. */
struct remit__loader {
	struct remit_regime *regime;
	yaml_document_t *doc;
	const char *text; /* the document's source, to place errors inside scalars */
	size_t len;
	const char *file; /* the YAML file the current document came from */
	const char *dir;  /* its directory, for relative paths */
	remit_diag_fn diag;
	void *ud;
	unsigned nerrors;
	remit_error first;
	int depth; /* include depth */
	const char *stack[REMIT__MAX_INCLUDE_DEPTH];
	/* Where the lines of `text` start (built on first need, freed by the
	 * load_doc that owns that text), so that placing an error inside a
	 * scalar does not scan the file from its start each time. */
	const char *idx_text;
	size_t *idx, nidx;
	bool idx_ascii;
};

/* Free the line index if it was built for `text`. */
void remit__loader_drop_index(remit__loader *L, const char *text);

remit__mark remit__node_mark(const remit__loader *L, const yaml_node_t *n);

/* The position of byte `offset` of scalar n's value in the source: exact
 * for every scalar style (plain or quoted, one line or several, block
 * literal or folded), in 1-based lines and character columns as libyaml
 * counts them. */
remit__mark remit__value_mark(const remit__loader *L, const yaml_node_t *n, size_t offset);

/* The length of the line break at text[i] as libyaml counts them (CR LF,
 * CR, LF, NEL, LS, PS), or 0; and the 1-based line and character column
 * of byte `offset` of a text. */
size_t remit__yaml_break(const char *text, size_t len, size_t i);
remit__mark remit__text_mark(const char *file, const char *text, size_t len, size_t offset);

/* Report an error at node n (or at the file if n is NULL). */
void remit__rules_error(remit__loader *L, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void remit__rules_error_at(remit__loader *L, remit__mark m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Short text of a node for "got ..." in messages: the scalar in quotes, or
 * "a mapping"/"a list". */
const char *remit__node_desc(const remit__loader *L, const yaml_node_t *n);

/* The value of key in mapping map, or NULL. */
yaml_node_t *remit__cfg_get(const remit__loader *L, const yaml_node_t *map, const char *key);

/* Check that n is a mapping whose keys are all in keys (NULL-terminated)
 * and that required ones are present.  Reports each problem; returns false
 * if there was any (or n is not a mapping). */
bool remit__cfg_keys(remit__loader *L, const yaml_node_t *n, const remit__key *keys,
		     const char *ctx);

/* Typed getters.  Each returns false after reporting an error.  `ctx` is
 * the dotted path used in messages ("tariff.mff.default").  Strings and
 * numbers are kept in the regime's arena and number pool. */
bool remit__cfg_str(remit__loader *L, const yaml_node_t *n, const char *ctx, const char **out);
bool remit__cfg_num(remit__loader *L, const yaml_node_t *n, const char *ctx, unsigned allow,
		    remit__num *out);
/* A money amount: a decimal. */
bool remit__cfg_amount(remit__loader *L, const yaml_node_t *n, const char *ctx, remit__num *out);
/* A rate: "12.5%", a factor "0.125" or a rational "1/8", within [lo, hi]
 * when bounded (pass NULL for no bound). */
bool remit__cfg_rate(remit__loader *L, const yaml_node_t *n, const char *ctx, remit__num *out);
/* A rate that is a part of a whole (a share, a payment rate, a
 * reduction): from 0% to 100%; anything else is an error ("expected a
 * percentage from 0% to 100%, got \"150%\""). */
bool remit__cfg_share(remit__loader *L, const yaml_node_t *n, const char *ctx, remit__num *out);
bool remit__cfg_int(remit__loader *L, const yaml_node_t *n, const char *ctx, int64_t lo,
		    int64_t hi, int64_t *out);
bool remit__cfg_date(remit__loader *L, const yaml_node_t *n, const char *ctx, int64_t *out);
/* A list of strings, or a single string as a list of one. */
bool remit__cfg_strlist(remit__loader *L, const yaml_node_t *n, const char *ctx,
			const char ***items, size_t *count);
/* A predicate over the given schema's fields. */
bool remit__cfg_pred(remit__loader *L, const yaml_node_t *n, const char *ctx,
		     const remit__schema *schema, remit__pred **out);
/* A rounding rule {scale, mode}. */
bool remit__cfg_rounding(remit__loader *L, const yaml_node_t *n, const char *ctx, int *scale,
			 remit__rmode *mode);
/* A table written inline ({columns: [...], rows: [[...], ...]}, or a
 * mapping {key: value, ...} given the two column names) or loaded from
 * {file: x.csv} relative to the current YAML file.  With keycol NULL the
 * table is not indexed (the caller builds its own, composite, index);
 * otherwise `key:` in the YAML may name another key column, and keys must
 * be unique. */
bool remit__cfg_table(remit__loader *L, const yaml_node_t *n, const char *ctx,
		      const char *keycol, const char *valcol, remit__table **out);
/* A regime table by name (`{table: mff}`), or NULL after an error. */
const remit__table *remit__cfg_table_ref(remit__loader *L, const yaml_node_t *n,
					 const char *ctx);

/* The regime's arena (strings and rule structures). */
remit__arena *remit__loader_arena(remit__loader *L);

#endif
