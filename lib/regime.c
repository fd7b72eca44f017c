/*
 * regime.c — load a regime: the top-level keys of RULES.md, included files,
 * named tables, and the modules in claim order.
 *
 * Order of work, whatever the order of keys in the file: structural checks
 * of the YAML tree (duplicate keys, aliases, nesting), then includes, then
 * tables, then the regime's settings, then each module's parse, then each
 * module's link (references between modules, such as `price_with`).
 * Errors are collected, not fatal, so one `remit check` lists them all.
 */
#include "regime.h"

#include "activity.h"
#include "plugin.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const remit__module_type *const builtin_modules[] = {
	&remit__tariff_module,
	&remit__bundle_module,
	&remit__year_of_care_module,
	&remit__capitation_module,
	&remit__block_module,
	NULL,
};

const remit__module_type *remit__module_type_find(const char *name)
{
	for (const remit__module_type *const *t = builtin_modules; *t; t++)
		if (strcmp((*t)->name, name) == 0)
			return *t;
	return remit__plugin_type_find(name); /* then plugins (plugin.c) */
}

/* Built by plugin.c under its lock: the built-ins, then the plugins. */
const char *remit__module_type_names(void)
{
	return remit__plugin_type_names(builtin_modules);
}

const remit__table *remit__regime_table(const struct remit_regime *r, const char *name)
{
	for (size_t i = 0; i < r->ntables; i++)
		if (strcmp(r->tables[i]->name, name) == 0)
			return r->tables[i];
	return NULL;
}

const remit__module *remit__regime_module(const struct remit_regime *r, const char *name)
{
	for (size_t i = 0; i < r->nmodules; i++)
		if (strcmp(r->modules[i]->name, name) == 0)
			return r->modules[i];
	return NULL;
}

const char *remit_regime_name(const remit_regime *r)
{
	return r->name;
}

const char *remit_regime_currency(const remit_regime *r)
{
	return r->currency;
}

int remit_regime_scale(const remit_regime *r)
{
	return r->scale;
}

/* ---- structural checks ---------------------------------------------- */

/* Aliases (*name) are never needed in a rule file and are how alias bombs
 * and cycles are made, so they are refused.  libyaml's document API shares
 * an aliased node and keeps no mark for the alias, so a separate parser
 * reads the events first, to report each alias where it is written. */
static void find_aliases(remit__loader *L)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)L->text, L->len);
	while (yaml_parser_parse(&parser, &ev)) {
		yaml_event_type_t type = ev.type;
		if (type == YAML_ALIAS_EVENT)
			remit__rules_error_at(L, (remit__mark){L->file, ev.start_mark.line + 1,
							       ev.start_mark.column + 1},
					      "aliases (*name) are not supported in rule files");
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
}

/* Check every mapping for duplicate keys (which libyaml accepts silently)
 * and for keys that are not plain scalars, and cap the nesting.  Each node
 * is visited once: a node reached twice is shared through an alias, which
 * find_aliases has reported. */
static void walk(remit__loader *L, int index, int depth, unsigned char *seen)
{
	yaml_node_t *n = yaml_document_get_node(L->doc, index);
	if (!n || seen[index])
		return;
	seen[index] = 1;
	if (depth > REMIT__MAX_NESTING) {
		remit__rules_error(L, n, "nesting deeper than %d levels", REMIT__MAX_NESTING);
		return;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
		     i++)
			walk(L, *i, depth + 1, seen);
		return;
	}
	if (n->type != YAML_MAPPING_NODE)
		return;
	/* Keys seen so far: a hash set when the mapping is large (an inline
	 * table of 100000 rows), so the check stays linear. */
	size_t npairs = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	remit__strtab keys = {0};
	yaml_node_t **first = npairs > 16 ? remit__xmalloc(npairs * sizeof *first) : NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(L->doc, p->key), *e = NULL;
		if (k && k->type != YAML_SCALAR_NODE) {
			remit__rules_error(L, k, "expected a plain key, got %s", remit__node_desc(L, k));
			continue;
		}
		if (k && first) {
			uint32_t before = keys.n;
			uint32_t id = remit__intern(&keys, (const char *)k->data.scalar.value,
						    k->data.scalar.length);
			if (id < before)
				e = first[id];
			else
				first[id] = k;
		}
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; k && !first && q < p; q++) {
			yaml_node_t *o = yaml_document_get_node(L->doc, q->key);
			if (o && o->type == YAML_SCALAR_NODE &&
			    o->data.scalar.length == k->data.scalar.length &&
			    memcmp(o->data.scalar.value, k->data.scalar.value,
				   k->data.scalar.length) == 0) {
				e = o;
				break;
			}
		}
		if (e)
			remit__rules_error(L, k, "duplicate key %s (first given on line %lu)",
					   remit__node_desc(L, k), (unsigned long)e->start_mark.line + 1);
		walk(L, p->value, depth + 1, seen);
	}
	remit__strtab_free(&keys);
	free(first);
}

static void check_tree(remit__loader *L)
{
	size_t nodes = (size_t)(L->doc->nodes.top - L->doc->nodes.start);
	unsigned char *seen = remit__xcalloc(nodes + 2, 1);
	walk(L, 1, 0, seen);
	free(seen);
}

/* ---- files ----------------------------------------------------------- */

/* The whole text of a rule file, at most REMIT__MAX_RULE_FILE bytes.  A
 * file named inside a rule file (`regular`) must be a regular file: a
 * device or a FIFO there (/dev/zero, /dev/stdin) would never end.  The
 * file given by the caller may be anything readable, a pipe included. */
static char *slurp(const char *path, bool regular, size_t *len, remit_error *why)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f) {
		snprintf(why->message, sizeof why->message, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 &&
	    (S_ISDIR(st.st_mode) || (regular && !S_ISREG(st.st_mode)))) {
		snprintf(why->message, sizeof why->message, "%s",
			 S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
		fclose(f);
		return NULL;
	}
	size_t cap = 1 << 14, n = 0, got;
	char *buf = remit__xmalloc(cap);
	while (n <= REMIT__MAX_RULE_FILE && (got = fread(buf + n, 1, cap - n, f)) > 0)
		if ((n += got) == cap)
			buf = remit__xrealloc(buf, cap *= 2);
	bool bad = ferror(f);
	fclose(f);
	if (bad || n > REMIT__MAX_RULE_FILE) {
		if (bad)
			snprintf(why->message, sizeof why->message, "read error");
		else
			snprintf(why->message, sizeof why->message,
				 "larger than %u MiB, the limit for a rule file (large tables "
				 "belong in CSV files: {file: ...})",
				 REMIT__MAX_RULE_FILE >> 20);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static const char *dir_of(remit__arena *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? remit__strndup(a, path, (size_t)(slash - path + 1)) : "";
}

static void load_doc(remit__loader *L, const char *text, size_t len, bool include);

static void load_file(remit__loader *L, const yaml_node_t *from, const char *path, bool include)
{
	remit__arena *a = &L->regime->mem;
	char real[PATH_MAX];
	const char *key = realpath(path, real) ? remit__strdup(a, real) : path;
	for (int i = 0; i < L->depth; i++)
		if (strcmp(L->stack[i], key) == 0) {
			remit__rules_error(L, from, "include: %s includes itself (an include cycle)",
					   path);
			return;
		}
	if (L->depth == REMIT__MAX_INCLUDE_DEPTH) {
		remit__rules_error(L, from, "include: more than %d levels of include",
				   REMIT__MAX_INCLUDE_DEPTH);
		return;
	}
	remit_error why = {0};
	size_t len = 0;
	char *text = slurp(path, from != NULL, &len, &why);
	if (!text) {
		if (from)
			remit__rules_error(L, from, "include: cannot read %s: %s", path, why.message);
		else
			remit__rules_error_at(L, (remit__mark){path, 0, 0}, "cannot read: %s",
					      why.message);
		return;
	}
	remit__loader inner = *L;
	inner.file = remit__strdup(a, path);
	inner.dir = dir_of(a, inner.file);
	inner.stack[inner.depth++] = key;
	load_doc(&inner, text, len, include);
	L->nerrors = inner.nerrors;
	L->first = inner.first;
	free(text);
}

static void load_includes(remit__loader *L, const yaml_node_t *n)
{
	const char **files;
	size_t k;
	if (!remit__cfg_strlist(L, n, "include", &files, &k))
		return;
	for (size_t i = 0; i < k; i++) {
		const char *p = files[i][0] == '/' ? files[i]
						   : remit__sprintf(&L->regime->mem, "%s%s", L->dir,
								    files[i]);
		yaml_node_t *item = n->type == YAML_SEQUENCE_NODE
					    ? yaml_document_get_node(L->doc,
								     n->data.sequence.items.start[i])
					    : (yaml_node_t *)n;
		load_file(L, item, p, true);
	}
}

static void load_tables(remit__loader *L, const yaml_node_t *n)
{
	struct remit_regime *r = L->regime;
	if (n->type != YAML_MAPPING_NODE) {
		remit__rules_error(L, n, "tables: expected a mapping of table names, got %s",
				   remit__node_desc(L, n));
		return;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(L->doc, p->key);
		const char *name;
		if (!remit__cfg_str(L, k, "tables", &name))
			continue;
		if (r->ntables == REMIT__MAX_TABLES) {
			remit__rules_error(L, k, "tables: more than %d tables in a regime",
					   REMIT__MAX_TABLES);
			return;
		}
		const remit__table *old = remit__regime_table(r, name);
		if (old) {
			remit__rules_error(L, k, "tables: table '%s' is defined twice (first at %s:%lu:%lu)",
					   name, old->file, old->line, old->column);
			continue;
		}
		char ctx[300];
		snprintf(ctx, sizeof ctx, "tables.%s", name);
		remit__table *t;
		yaml_node_t *spec = yaml_document_get_node(L->doc, p->value);
		if (spec->type == YAML_MAPPING_NODE && !remit__cfg_get(L, spec, "key")) {
			remit__rules_error(L, spec, "%s: missing required key 'key' (the column "
						    "that rows are looked up by)", ctx);
			continue;
		}
		if (!remit__cfg_table(L, spec, ctx, "key", NULL, &t))
			continue;
		t->name = name;
		if (r->ntables % 16 == 0)
			r->tables = remit__xrealloc(r->tables, (r->ntables + 16) * sizeof *r->tables);
		r->tables[r->ntables++] = t;
	}
}

static bool load_range(remit__loader *L, const yaml_node_t *n, const char *ctx,
		       const char *from_key, const char *to_key, int64_t *from, int64_t *to)
{
	const remit__key keys[] = {{from_key, true}, {to_key, true}, {NULL, false}};
	char sub[300];
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	snprintf(sub, sizeof sub, "%s.%s", ctx, from_key);
	bool ok = remit__cfg_date(L, remit__cfg_get(L, n, from_key), sub, from);
	snprintf(sub, sizeof sub, "%s.%s", ctx, to_key);
	ok &= remit__cfg_date(L, remit__cfg_get(L, n, to_key), sub, to);
	if (ok && *to < *from) {
		remit__rules_error(L, remit__cfg_get(L, n, to_key), "%s.%s: before %s.%s", ctx,
				   to_key, ctx, from_key);
		ok = false;
	}
	return ok;
}

/* ---- modules --------------------------------------------------------- */

static const remit__key generic_keys[] = {
	{"module", true}, {"name", true}, {"valid", false}, {NULL, false}};

/* Do two predicates have the same source, up to white space outside
 * quotes? */
static bool same_condition(const char *a, const char *b)
{
	char qa = 0, qb = 0;
	for (;;) {
		while (!qa && (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r'))
			a++;
		while (!qb && (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r'))
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		if (*a == '"' || *a == '\'')
			qa = qa == *a ? 0 : qa ? qa : *a;
		if (*b == '"' || *b == '\'')
			qb = qb == *b ? 0 : qb ? qb : *b;
		a++;
		b++;
	}
}

static const char *range_text(remit__arena *a, bool has, int64_t from, int64_t to)
{
	char f[11], t[11];
	if (!has)
		return "on any date";
	remit__date_format(from, f);
	remit__date_format(to, t);
	return remit__sprintf(a, "%s to %s", f, t);
}

/* Two tariff modules with the same `covers` (the year versions of one
 * tariff, say) must have valid ranges that do not overlap: a row in both
 * would always go to the first, silently priced at the wrong year's
 * prices.  Reported at the later module's `valid` (vn), or at the module
 * when it has no range of its own. */
static void check_overlap(remit__loader *L, const remit__module *m, const yaml_node_t *n,
			  const yaml_node_t *vn, const char *ctx)
{
	struct remit_regime *r = L->regime;
	if (m->type != &remit__tariff_module || !m->covers)
		return;
	for (size_t i = 0; i < r->nmodules; i++) {
		const remit__module *e = r->modules[i];
		if (e->type != m->type || !e->covers ||
		    !same_condition(remit__pred_source(e->covers), remit__pred_source(m->covers)))
			continue;
		int64_t lo = INT64_MIN, hi = INT64_MAX;
		if (e->has_valid) {
			lo = e->valid_from;
			hi = e->valid_to;
		}
		if (m->has_valid) {
			lo = m->valid_from > lo ? m->valid_from : lo;
			hi = m->valid_to < hi ? m->valid_to : hi;
		}
		if (lo > hi)
			continue;
		const char *when = range_text(&r->mem, e->has_valid || m->has_valid, lo, hi);
		if (vn)
			remit__rules_error(L, vn, "%s.valid: overlaps the valid range of module '%s' "
						  "(line %lu), which has the same covers: rows "
						  "starting %s would always go to '%s'",
					   ctx, e->name, e->mark.line, when, e->name);
		else
			remit__rules_error(L, n, "%s: has the same covers as module '%s' (line %lu) "
						 "and no valid range apart from it: rows starting "
						 "%s would always go to '%s'",
					   ctx, e->name, e->mark.line, when, e->name);
		return;
	}
}

static void load_module(remit__loader *L, const yaml_node_t *n, size_t index)
{
	struct remit_regime *r = L->regime;
	char ctx[300];
	snprintf(ctx, sizeof ctx, "modules[%zu]", index);
	if (n->type != YAML_MAPPING_NODE) {
		remit__rules_error(L, n, "%s: expected a mapping with 'module' and 'name', got %s",
				   ctx, remit__node_desc(L, n));
		return;
	}
	yaml_node_t *tn = remit__cfg_get(L, n, "module");
	const char *tname;
	if (!tn) {
		remit__rules_error(L, n, "%s: missing required key 'module' (one of: %s)", ctx,
				   remit__module_type_names());
		return;
	}
	if (!remit__cfg_str(L, tn, remit__sprintf(&r->mem, "%s.module", ctx), &tname))
		return;
	const remit__module_type *type = remit__module_type_find(tname);
	if (!type) {
		remit__rules_error(L, tn, "%s.module: unknown module \"%s\"; expected one of: %s",
				   ctx, tname, remit__module_type_names());
		return;
	}
	if (type->version != REMIT__MODULE_VERSION) {
		remit__rules_error(L, tn, "%s.module: module %s has interface version %d; this remit "
					  "needs version %d",
				   ctx, tname, type->version, REMIT__MODULE_VERSION);
		return;
	}
	/* Accepted keys: the generic ones, then the module's own. */
	size_t nk = 0;
	while (type->keys[nk].name)
		nk++;
	remit__key *keys = remit__alloc(&r->mem, (nk + 4) * sizeof *keys);
	memcpy(keys, generic_keys, 3 * sizeof *keys);
	memcpy(keys + 3, type->keys, (nk + 1) * sizeof *keys);
	snprintf(ctx, sizeof ctx, "%s", tname);
	bool keys_ok = remit__cfg_keys(L, n, keys, ctx);

	const char *name = NULL;
	yaml_node_t *nn = remit__cfg_get(L, n, "name");
	if (nn && remit__cfg_str(L, nn, remit__sprintf(&r->mem, "%s.name", ctx), &name) &&
	    remit__regime_module(r, name)) {
		remit__rules_error(L, nn, "%s.name: a module named '%s' is already defined", ctx,
				   name);
		name = NULL;
	}
	bool has_valid = r->has_valid;
	int64_t from = r->valid_from, to = r->valid_to;
	yaml_node_t *vn = remit__cfg_get(L, n, "valid");
	if (vn) {
		has_valid = load_range(L, vn, remit__sprintf(&r->mem, "%s.valid", ctx), "from", "to",
				       &from, &to);
	}
	if (!keys_ok || !name)
		return;
	remit__module *m = type->parse(L, n);
	if (!m)
		return;
	m->type = type;
	m->name = name;
	m->index = (uint32_t)r->nmodules;
	m->mark = remit__node_mark(L, n);
	m->has_valid = has_valid;
	m->valid_from = from;
	m->valid_to = to;
	if (!vn || has_valid) /* (a broken range is reported already) */
		check_overlap(L, m, n, vn, ctx);
	if (r->nmodules % 8 == 0)
		r->modules = remit__xrealloc(r->modules, (r->nmodules + 8) * sizeof *r->modules);
	r->modules[r->nmodules++] = m;
}

static void load_modules(remit__loader *L, const yaml_node_t *n)
{
	if (n->type != YAML_SEQUENCE_NODE || n->data.sequence.items.top == n->data.sequence.items.start) {
		remit__rules_error(L, n, "modules: expected a list of modules, got %s",
				   n->type == YAML_SEQUENCE_NODE ? "an empty list"
								 : remit__node_desc(L, n));
		return;
	}
	size_t i = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, i++) {
		if (i == REMIT__MAX_MODULES) {
			remit__rules_error(L, yaml_document_get_node(L->doc, *it),
					   "modules: more than %d modules in a regime",
					   REMIT__MAX_MODULES);
			break;
		}
		load_module(L, yaml_document_get_node(L->doc, *it), i);
	}
	for (size_t k = 0; k < L->regime->nmodules; k++) {
		remit__module *m = L->regime->modules[k];
		if (m->type->link)
			m->type->link(m, L);
	}
}

/* ---- the regime file ------------------------------------------------- */

static const remit__key top_keys[] = {
	{"remit", true},    {"regime", true}, {"currency", false}, {"period", false},
	{"rounding", false}, {"include", false}, {"tables", false}, {"valid", false},
	{"modules", true},  {NULL, false}};

static const remit__key include_keys[] = {
	{"remit", false}, {"include", false}, {"tables", false}, {NULL, false}};

static void check_version(remit__loader *L, const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.length != 1 ||
	    n->data.scalar.value[0] != '1')
		remit__rules_error(L, n, "remit: expected 1 (the rule-file format version), got %s",
				   remit__node_desc(L, n));
}

static void load_settings(remit__loader *L, const yaml_node_t *root)
{
	struct remit_regime *r = L->regime;
	yaml_node_t *n = remit__cfg_get(L, root, "remit");
	if (n)
		check_version(L, n);
	if ((n = remit__cfg_get(L, root, "regime")))
		remit__cfg_str(L, n, "regime", &r->name);
	if ((n = remit__cfg_get(L, root, "currency")))
		remit__cfg_str(L, n, "currency", &r->currency);
	if ((n = remit__cfg_get(L, root, "period")))
		r->has_period = load_range(L, n, "period", "start", "end", &r->period_from,
					   &r->period_to);
	if ((n = remit__cfg_get(L, root, "rounding")))
		remit__cfg_rounding(L, n, "rounding", &r->scale, &r->mode);
	if ((n = remit__cfg_get(L, root, "valid")))
		r->has_valid =
			load_range(L, n, "valid", "from", "to", &r->valid_from, &r->valid_to);
}

static void syntax_error(remit__loader *L, const yaml_parser_t *parser, const char *text,
			 size_t len)
{
	remit__mark m = {L->file, parser->problem_mark.line + 1, parser->problem_mark.column + 1};
	if (parser->error == YAML_READER_ERROR) {
		/* libyaml gives a reader error (bad UTF-8, a control character) a
		 * byte offset and the offending value, not a mark */
		m = remit__text_mark(L->file, text, len, parser->problem_offset);
		remit__rules_error_at(L, m, "YAML syntax error: %s (0x%02x)",
				      parser->problem ? parser->problem : "unreadable text",
				      (unsigned)parser->problem_value);
		return;
	}
	remit__rules_error_at(L, m, "YAML syntax error: %s%s%s",
			      parser->problem ? parser->problem : "malformed document",
			      parser->context ? " " : "", parser->context ? parser->context : "");
}

/* libyaml's scanner takes time quadratic in the depth of flow nesting
 * ([[[[...: 100000 levels take minutes), so text nested past
 * REMIT__MAX_FLOW_SCAN flow levels is refused before it is parsed, at its
 * 65th level.  A rough scan: brackets in quoted scalars and comments do not
 * count; brackets in plain scalars do, which can only make a deeply
 * bracketed text fail sooner (anything past 64 levels is an error anyway). */
static bool flow_too_deep(remit__loader *L, const char *text, size_t len)
{
	size_t depth = 0;
	char quote = 0;
	bool comment = false;
	size_t at65 = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i], prev = i ? text[i - 1] : '\n';
		if (c == '\n' || c == '\r')
			comment = false;
		if (comment)
			continue;
		if (quote == '"') {
			if (c == '\\')
				i++;
			else if (c == '"')
				quote = 0;
			continue;
		}
		if (quote == '\'') {
			if (c == '\'' && i + 1 < len && text[i + 1] == '\'')
				i++;
			else if (c == '\'')
				quote = 0;
			continue;
		}
		if (c == '#' && strchr(" \t\r\n", prev))
			comment = true;
		else if ((c == '"' || c == '\'') && strchr(" \t\r\n[{,:-?", prev))
			quote = c;
		else if (c == '[' || c == '{') {
			if (++depth == REMIT__MAX_NESTING + 1)
				at65 = i;
			if (depth > REMIT__MAX_FLOW_SCAN) {
				remit__rules_error_at(L, remit__text_mark(L->file, text, len, at65),
						      "nesting deeper than %d levels",
						      REMIT__MAX_NESTING);
				return true;
			}
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return false;
}

/* A rule file is one YAML document: a second one (after "---") would be
 * silently ignored, so it is an error. */
static void no_second_document(remit__loader *L, yaml_parser_t *parser)
{
	yaml_document_t next;
	if (!yaml_parser_load(parser, &next)) {
		syntax_error(L, parser, L->text, L->len);
		return;
	}
	yaml_node_t *root = yaml_document_get_root_node(&next);
	if (root)
		remit__rules_error_at(L, (remit__mark){L->file, next.start_mark.line + 1,
						       next.start_mark.column + 1},
				      "a rule file holds one YAML document; found a second one");
	yaml_document_delete(&next);
}

static void load_doc(remit__loader *L, const char *text, size_t len, bool include)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	L->file = L->file ? L->file : "";
	if (flow_too_deep(L, text, len))
		return;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		syntax_error(L, &parser, text, len);
		yaml_parser_delete(&parser);
		return;
	}
	yaml_document_t *outer_doc = L->doc;
	const char *outer_text = L->text;
	size_t outer_len = L->len;
	L->doc = &doc;
	L->text = text;
	L->len = len;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		remit__rules_error_at(L, (remit__mark){L->file, 1, 1},
				      "empty file: expected a regime (remit: 1, regime: ..., modules: [...])");
	} else {
		find_aliases(L);
		check_tree(L);
		no_second_document(L, &parser);
		remit__cfg_keys(L, root, include ? include_keys : top_keys,
				include ? "included file" : "regime");
		yaml_node_t *n;
		if (root->type == YAML_MAPPING_NODE) {
			if ((n = remit__cfg_get(L, root, "include")))
				load_includes(L, n);
			if ((n = remit__cfg_get(L, root, "tables")))
				load_tables(L, n);
			if (include) {
				if ((n = remit__cfg_get(L, root, "remit")))
					check_version(L, n);
			} else {
				load_settings(L, root);
				if ((n = remit__cfg_get(L, root, "modules")))
					load_modules(L, n);
			}
		}
	}
	yaml_parser_delete(&parser);
	yaml_document_delete(&doc);
	remit__loader_drop_index(L, text);
	L->doc = outer_doc;
	L->text = outer_text;
	L->len = outer_len;
}

static struct remit_regime *regime_new(const char *file)
{
	struct remit_regime *r = remit__xcalloc(1, sizeof *r);
	r->consts = remit__numpool_new();
	r->file = remit__strdup(&r->mem, file);
	r->name = "";
	r->currency = "";
	r->scale = 2;
	r->mode = REMIT__HALF_UP;
	return r;
}

static int finish_load(remit__loader *L, remit_regime **out, remit_error *err)
{
	if (L->nerrors) {
		if (err)
			*err = L->first;
		remit_regime_free(L->regime);
		*out = NULL;
		return REMIT_ERULES;
	}
	*out = L->regime;
	return REMIT_OK;
}

int remit_regime_load(const char *path, remit_diag_fn diag, void *ud, remit_regime **out,
		      remit_error *err)
{
	if (!path || !out)
		return REMIT_EUSAGE;
	remit__loader L = {0};
	L.regime = regime_new(path);
	L.diag = diag;
	L.ud = ud;
	load_file(&L, NULL, path, false);
	return finish_load(&L, out, err);
}

int remit_regime_load_string(const char *yaml, size_t len, const char *name, remit_diag_fn diag,
			     void *ud, remit_regime **out, remit_error *err)
{
	if (!yaml || !out)
		return REMIT_EUSAGE;
	remit__loader L = {0};
	L.regime = regime_new(name ? name : "<string>");
	L.diag = diag;
	L.ud = ud;
	L.file = L.regime->file;
	L.dir = "";
	load_doc(&L, yaml, len, false);
	return finish_load(&L, out, err);
}

void remit_regime_free(remit_regime *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nmodules; i++)
		if (r->modules[i]->type->free)
			r->modules[i]->type->free(r->modules[i]);
	for (size_t i = 0; i < r->npreds; i++)
		remit__pred_free(r->preds[i].pred);
	free(r->preds);
	free(r->modules);
	free(r->tables);
	remit__attrset_free(&r->attrs);
	remit__attrset_free(&r->pattrs);
	remit__numpool_free(r->consts);
	remit__arena_free(&r->mem);
	free(r);
}

/* ---- binding predicates to a file's columns --------------------------- */

static const char *field_names(const remit__schema *s, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (int i = 0; i < s->nfields; i++)
		snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? ", " : "",
			 s->fields[i].name);
	return buf;
}

int remit__regime_bind(const remit_regime *r, const remit__schema *schema,
		       const remit__str *cols, uint32_t ncols, const char *data_name,
		       uint32_t *map, remit_diag_fn diag, void *ud, remit_error *err)
{
	const remit__attrset *set = schema == &remit__population_schema ? &r->pattrs : &r->attrs;
	int bad = 0;
	for (uint32_t k = 0; k < set->n; k++) {
		map[k] = UINT32_MAX;
		for (uint32_t c = 0; c < ncols; c++)
			if (remit__str_eq(cols[c], set->names[k]))
				map[k] = c;
	}
	for (size_t i = 0; i < r->npreds; i++) {
		const remit__predref *ref = &r->preds[i];
		if (ref->schema != schema)
			continue;
		for (size_t j = 0; j < remit__pred_nattrs(ref->pred); j++) {
			uint32_t slot;
			size_t off;
			remit__pred_attr(ref->pred, j, &slot, &off);
			if (map[slot] != UINT32_MAX)
				continue;
			remit__mark m = ref->attr_marks[j];
			remit_error e = {.status = REMIT_ERULES, .line = m.line, .column = m.column};
			char names[512];
			snprintf(e.file, sizeof e.file, "%s", m.file);
			snprintf(e.message, sizeof e.message,
				 "unknown field '%s': expected one of %s%s%s%s", set->names[slot],
				 field_names(schema, names, sizeof names),
				 data_name ? ", or a column of " : "",
				 data_name ? data_name : "", data_name ? "" : " (or check against a data file's extra columns with --activity)");
			if (bad++ == 0 && err)
				*err = e;
			if (diag)
				diag(ud, &e);
		}
	}
	return bad ? REMIT_ERULES : REMIT_OK;
}

int remit_regime_check_fields(const remit_regime *r, const char *activity_path,
			      remit_diag_fn diag, void *ud, remit_error *err)
{
	if (!r)
		return REMIT_EUSAGE;
	const remit__str *cols = NULL;
	uint32_t ncols = 0;
	remit__reader *rd = NULL;
	if (activity_path) {
		int rc = remit__reader_open(activity_path, &remit__activity_schema, &rd, err);
		if (rc < 0)
			return rc;
		cols = remit__reader_attr_names(rd, &ncols);
	}
	uint32_t *map = remit__xmalloc((r->attrs.n + 1) * sizeof *map);
	int rc = remit__regime_bind(r, &remit__activity_schema, cols, ncols, activity_path, map,
				    diag, ud, err);
	free(map);
	if (rd)
		remit__reader_close(rd);
	return rc;
}
