/*
 * rules.c — typed access to the YAML tree of a rule file (see rules.h).
 *
 * libyaml gives every scalar as a string and every node a 0-based mark; the
 * getters here turn scalars into exact numbers, dates, predicates and
 * tables, and turn every failure into one message with a 1-based
 * file:line:col.  Nothing is converted through floating point: numbers go
 * straight from text to remit__num.  Positions inside scalars are found
 * in the source through a line index built once per file (libyaml's line
 * breaks: CR LF, CR, LF, NEL, LS, PS), so a file with many errors or many
 * predicates is placed in linear time.
 */
#include "rules.h"

#include "csv.h"
#include "regime.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

remit__arena *remit__loader_arena(remit__loader *L)
{
	return &L->regime->mem;
}

remit__mark remit__node_mark(const remit__loader *L, const yaml_node_t *n)
{
	remit__mark m = {L->file, 0, 0};
	if (n) {
		m.line = n->start_mark.line + 1;
		m.column = n->start_mark.column + 1;
	}
	return m;
}

static void report(remit__loader *L, remit__mark m, const char *fmt, va_list ap)
{
	remit_error e;
	memset(&e, 0, sizeof e);
	e.status = REMIT_ERULES;
	snprintf(e.file, sizeof e.file, "%s", m.file ? m.file : "");
	e.line = m.line;
	e.column = m.column;
	vsnprintf(e.message, sizeof e.message, fmt, ap);
	if (L->nerrors++ == 0)
		L->first = e;
	if (L->diag)
		L->diag(L->ud, &e);
}

void remit__rules_error_at(remit__loader *L, remit__mark m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(L, m, fmt, ap);
	va_end(ap);
}

void remit__rules_error(remit__loader *L, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(L, remit__node_mark(L, n), fmt, ap);
	va_end(ap);
}

static yaml_node_t *node_at(const remit__loader *L, int index)
{
	return yaml_document_get_node(L->doc, index);
}

static const char *scalar(const yaml_node_t *n, size_t *len)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	*len = n->data.scalar.length;
	return (const char *)n->data.scalar.value;
}

const char *remit__node_desc(const remit__loader *L, const yaml_node_t *n)
{
	if (!n)
		return "nothing";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	size_t len = 0;
	const char *s = scalar(n, &len);
	if (!s)
		return "nothing";
	remit__arena *a = remit__loader_arena((remit__loader *)L);
	if (len > 60)
		return remit__sprintf(a, "\"%.57s...\"", s);
	return remit__sprintf(a, "\"%.*s\"", (int)len, s);
}

static bool key_is(const yaml_node_t *k, const char *name)
{
	size_t len;
	const char *s = scalar(k, &len);
	return s && strlen(name) == len && memcmp(s, name, len) == 0;
}

yaml_node_t *remit__cfg_get(const remit__loader *L, const yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++)
		if (key_is(node_at(L, p->key), key))
			return node_at(L, p->value);
	return NULL;
}

static const char *key_list(remit__loader *L, const remit__key *keys)
{
	size_t n = 0;
	for (const remit__key *k = keys; k->name; k++)
		n += strlen(k->name) + 2;
	char *out = remit__alloc(remit__loader_arena(L), n + 1), *p = out;
	for (const remit__key *k = keys; k->name; k++)
		p += sprintf(p, "%s%s", k == keys ? "" : ", ", k->name);
	*p = '\0';
	return out;
}

bool remit__cfg_keys(remit__loader *L, const yaml_node_t *n, const remit__key *keys,
		     const char *ctx)
{
	if (!n || n->type != YAML_MAPPING_NODE) {
		remit__rules_error(L, n, "%s: expected a mapping, got %s", ctx,
				   remit__node_desc(L, n));
		return false;
	}
	bool ok = true;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_at(L, p->key);
		size_t len;
		const char *s = scalar(k, &len);
		const remit__key *hit = NULL;
		for (const remit__key *kk = keys; s && kk->name; kk++)
			if (key_is(k, kk->name))
				hit = kk;
		if (!hit) {
			remit__rules_error(L, k, "%s: unknown key %s; expected one of: %s", ctx,
					   remit__node_desc(L, k), key_list(L, keys));
			ok = false;
		}
	}
	for (const remit__key *kk = keys; kk->name; kk++)
		if (kk->required && !remit__cfg_get(L, n, kk->name)) {
			remit__rules_error(L, n, "%s: missing required key '%s'", ctx, kk->name);
			ok = false;
		}
	return ok;
}

bool remit__cfg_str(remit__loader *L, const yaml_node_t *n, const char *ctx, const char **out)
{
	size_t len;
	const char *s = scalar(n, &len);
	if (!s || len == 0) {
		remit__rules_error(L, n, "%s: expected a non-empty string, got %s", ctx,
				   s ? "an empty string" : remit__node_desc(L, n));
		return false;
	}
	if (memchr(s, '\0', len)) {
		remit__rules_error(L, n, "%s: expected a string without NUL bytes", ctx);
		return false;
	}
	*out = remit__strndup(remit__loader_arena(L), s, len);
	return true;
}

static const char *num_expected(unsigned allow)
{
	switch (allow) {
	case REMIT__PARSE_DECIMAL:
		return "a decimal amount";
	case REMIT__PARSE_DECIMAL | REMIT__PARSE_RATIONAL:
		return "a decimal or a fraction";
	default:
		return "a percentage (12.5%), a decimal factor (0.125) or a fraction (1/8)";
	}
}

bool remit__cfg_num(remit__loader *L, const yaml_node_t *n, const char *ctx, unsigned allow,
		    remit__num *out)
{
	size_t len;
	const char *s = scalar(n, &len);
	int rc = s ? remit__num_parse(s, len, allow, L->regime->consts, out)
		   : REMIT__PARSE_ESYNTAX;
	if (rc == REMIT__PARSE_EZERODIV) {
		remit__rules_error(L, n, "%s: division by zero in %s", ctx, remit__node_desc(L, n));
		return false;
	}
	if (rc < 0) {
		remit__rules_error(L, n, "%s: expected %s, got %s", ctx, num_expected(allow),
				   remit__node_desc(L, n));
		return false;
	}
	return true;
}

bool remit__cfg_amount(remit__loader *L, const yaml_node_t *n, const char *ctx, remit__num *out)
{
	return remit__cfg_num(L, n, ctx, REMIT__PARSE_DECIMAL, out);
}

bool remit__cfg_rate(remit__loader *L, const yaml_node_t *n, const char *ctx, remit__num *out)
{
	return remit__cfg_num(L, n, ctx, REMIT__PARSE_FACTOR, out);
}

bool remit__cfg_share(remit__loader *L, const yaml_node_t *n, const char *ctx, remit__num *out)
{
	if (!remit__cfg_rate(L, n, ctx, out))
		return false;
	if (remit__num_sign(*out) < 0 || remit__num_cmp(*out, REMIT__NUM_ONE) > 0) {
		remit__rules_error(L, n, "%s: expected a percentage from 0%% to 100%%, got %s", ctx,
				   remit__node_desc(L, n));
		return false;
	}
	return true;
}

bool remit__cfg_int(remit__loader *L, const yaml_node_t *n, const char *ctx, int64_t lo,
		    int64_t hi, int64_t *out)
{
	size_t len;
	const char *s = scalar(n, &len);
	remit__num v;
	int64_t i;
	if (!s || remit__num_parse(s, len, REMIT__PARSE_DECIMAL, NULL, &v) < 0 ||
	    !remit__num_to_i64(v, &i) || memchr(s, '.', len)) {
		remit__rules_error(L, n, "%s: expected a whole number, got %s", ctx,
				   remit__node_desc(L, n));
		return false;
	}
	if (i < lo || i > hi) {
		remit__rules_error(L, n, "%s: expected a whole number from %lld to %lld, got %lld",
				   ctx, (long long)lo, (long long)hi, (long long)i);
		return false;
	}
	*out = i;
	return true;
}

bool remit__cfg_date(remit__loader *L, const yaml_node_t *n, const char *ctx, int64_t *out)
{
	size_t len;
	const char *s = scalar(n, &len);
	if (!s || !remit__date_parse(s, len, out)) {
		remit__rules_error(L, n, "%s: expected a date YYYY-MM-DD, got %s", ctx,
				   remit__node_desc(L, n));
		return false;
	}
	return true;
}

bool remit__cfg_strlist(remit__loader *L, const yaml_node_t *n, const char *ctx,
			const char ***items, size_t *count)
{
	if (n && n->type == YAML_SCALAR_NODE) {
		const char **one = remit__alloc(remit__loader_arena(L), sizeof *one);
		if (!remit__cfg_str(L, n, ctx, &one[0]))
			return false;
		*items = one;
		*count = 1;
		return true;
	}
	if (!n || n->type != YAML_SEQUENCE_NODE) {
		remit__rules_error(L, n, "%s: expected a list of strings, got %s", ctx,
				   remit__node_desc(L, n));
		return false;
	}
	size_t k = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	const char **v = remit__alloc(remit__loader_arena(L), (k ? k : 1) * sizeof *v);
	bool ok = true;
	for (size_t i = 0; i < k; i++)
		ok &= remit__cfg_str(L, node_at(L, n->data.sequence.items.start[i]), ctx, &v[i]);
	*items = v;
	*count = k;
	return ok;
}

size_t remit__yaml_break(const char *s, size_t len, size_t i)
{
	const unsigned char *u = (const unsigned char *)s;
	if (i >= len)
		return 0;
	if (u[i] == '\n')
		return 1;
	if (u[i] == '\r')
		return i + 1 < len && u[i + 1] == '\n' ? 2 : 1;
	if (u[i] == 0xc2 && i + 1 < len && u[i + 1] == 0x85) /* NEL */
		return 2;
	if (u[i] == 0xe2 && i + 2 < len && u[i + 1] == 0x80 && (u[i + 2] == 0xa8 || u[i + 2] == 0xa9))
		return 3; /* LS, PS */
	return 0;
}

remit__mark remit__text_mark(const char *file, const char *text, size_t len, size_t offset)
{
	remit__mark m = {file, 1, 1};
	size_t line_start = 0;
	if (offset > len)
		offset = len;
	for (size_t i = 0; i < offset;) {
		size_t b = remit__yaml_break(text, len, i);
		if (b && i + b <= offset) {
			i += b;
			m.line++;
			line_start = i;
		} else {
			i++;
		}
	}
	for (size_t k = line_start; k < offset; k++)
		m.column += ((unsigned char)text[k] & 0xc0) != 0x80;
	return m;
}

/* The line index of L->text: idx[k] is the byte offset where 0-based line
 * k starts (libyaml's breaks), and whether the text is all ASCII (then a
 * column is a byte count). */
static void build_index(remit__loader *L)
{
	size_t cap = 1024, n = 0;
	size_t *v = remit__xmalloc(cap * sizeof *v);
	bool ascii = true;
	v[n++] = 0;
	for (size_t i = 0; i < L->len;) {
		size_t b = remit__yaml_break(L->text, L->len, i);
		ascii &= (unsigned char)L->text[i] < 0x80;
		if (!b) {
			i++;
			continue;
		}
		i += b;
		if (n == cap)
			v = remit__xrealloc(v, (cap *= 2) * sizeof *v);
		v[n++] = i;
	}
	L->idx = v;
	L->nidx = n;
	L->idx_ascii = ascii;
	L->idx_text = L->text;
}

void remit__loader_drop_index(remit__loader *L, const char *text)
{
	if (L->idx && L->idx_text == text) {
		free(L->idx);
		L->idx = NULL;
		L->idx_text = NULL;
		L->nidx = 0;
	}
}

/* Byte offset in the source of 0-based (line, column), counting line
 * breaks and characters as libyaml does (CR LF, CR, LF, NEL, LS, PS). */
static size_t source_offset(remit__loader *L, size_t line, size_t column)
{
	const char *src = L->text;
	size_t len = L->len;
	if (L->idx_text != src)
		build_index(L);
	size_t i = line < L->nidx ? L->idx[line] : len;
	if (L->idx_ascii)
		return column < len - i ? i + column : len;
	for (size_t c = 0; c < column && i < len; c++)
		do
			i++;
		while (i < len && ((unsigned char)src[i] & 0xc0) == 0x80);
	return i;
}

/* remit__text_mark for L->text, with the index. */
static remit__mark indexed_mark(remit__loader *L, size_t offset)
{
	remit__mark m = {L->file, 1, 1};
	if (L->idx_text != L->text)
		build_index(L);
	size_t lo = 0, hi = L->nidx; /* the last line starting at or before offset */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (L->idx[mid] <= offset)
			lo = mid;
		else
			hi = mid;
	}
	m.line = lo + 1;
	if (L->idx_ascii) {
		m.column = offset - L->idx[lo] + 1;
		return m;
	}
	for (size_t k = L->idx[lo]; k < offset && k < L->len; k++)
		m.column += ((unsigned char)L->text[k] & 0xc0) != 0x80;
	return m;
}

remit__mark remit__value_mark(const remit__loader *L, const yaml_node_t *n, size_t offset)
{
	remit__mark m = remit__node_mark(L, n);
	if (!L->text || !n || n->type != YAML_SCALAR_NODE)
		return m;
	remit__loader *W = (remit__loader *)L; /* (the line index is a cache) */
	const char *src = L->text, *v = (const char *)n->data.scalar.value;
	size_t vlen = n->data.scalar.length;
	size_t j = source_offset(W, n->start_mark.line, n->start_mark.column);
	size_t end = source_offset(W, n->end_mark.line, n->end_mark.column);
	switch (n->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		j++; /* the opening quote */
		break;
	case YAML_LITERAL_SCALAR_STYLE:
	case YAML_FOLDED_SCALAR_STYLE:
		while (j < end && !remit__yaml_break(src, end, j)) /* the header line: | or > */
			j++;
		break;
	default:
		break;
	}
	if (j > end) /* (a quote at the very end of a truncated text) */
		j = end;
	/* Walk value and source together: the value is the source less quotes,
	 * escapes' backslashes, indentation, and line breaks folded to spaces. */
	for (size_t i = 0; i < offset && i < vlen && j < end;) {
		if (src[j] == v[i] || (v[i] == ' ' && (src[j] == '\n' || src[j] == '\r')))
			i++;
		j++;
	}
	while (j < end && (src[j] == ' ' || src[j] == '\n' || src[j] == '\r' || src[j] == '\\') &&
	       offset < vlen && src[j] != v[offset])
		j++;
	return indexed_mark(W, j);
}

bool remit__cfg_pred(remit__loader *L, const yaml_node_t *n, const char *ctx,
		     const remit__schema *schema, remit__pred **out)
{
	size_t len, off = 0;
	const char *s = scalar(n, &len);
	char msg[512];
	if (!s) {
		remit__rules_error(L, n, "%s: expected a condition such as \"pod in [EL, DC]\", got %s",
				   ctx, remit__node_desc(L, n));
		return false;
	}
	remit__attrset *attrs =
		schema == &remit__population_schema ? &L->regime->pattrs : &L->regime->attrs;
	remit__pred *p = NULL;
	if (remit__pred_compile(s, len, schema, attrs, &p, &off, msg, sizeof msg) < 0) {
		remit__rules_error_at(L, remit__value_mark(L, n, off), "%s: %s", ctx, msg);
		return false;
	}
	struct remit_regime *r = L->regime;
	if (r->npreds == r->cap_preds) {
		r->cap_preds = r->cap_preds ? r->cap_preds * 2 : 16;
		r->preds = remit__xrealloc(r->preds, r->cap_preds * sizeof *r->preds);
	}
	remit__predref *ref = &r->preds[r->npreds++];
	size_t na = remit__pred_nattrs(p);
	ref->pred = p;
	ref->schema = schema;
	ref->attr_marks = remit__alloc(remit__loader_arena(L), (na + 1) * sizeof *ref->attr_marks);
	for (size_t i = 0; i < na; i++) {
		uint32_t slot;
		remit__pred_attr(p, i, &slot, &off);
		ref->attr_marks[i] = remit__value_mark(L, n, off);
	}
	*out = p;
	return true;
}

bool remit__cfg_rounding(remit__loader *L, const yaml_node_t *n, const char *ctx, int *scale,
			 remit__rmode *mode)
{
	static const remit__key keys[] = {{"scale", true}, {"mode", true}, {NULL, false}};
	char sub[256];
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	int64_t s = 0;
	bool ok = true;
	snprintf(sub, sizeof sub, "%s.scale", ctx);
	ok &= remit__cfg_int(L, remit__cfg_get(L, n, "scale"), sub, -18, 18, &s);
	yaml_node_t *m = remit__cfg_get(L, n, "mode");
	size_t len;
	const char *ms = scalar(m, &len);
	if (!ms || !remit__rmode_parse(ms, len, mode)) {
		remit__rules_error(L, m,
				   "%s.mode: expected half-up, half-even, half-down, up, down, floor or "
				   "ceiling, got %s",
				   ctx, remit__node_desc(L, m));
		ok = false;
	}
	*scale = (int)s;
	return ok;
}

/* ---- tables ---------------------------------------------------------- */

static remit__table *table_new(remit__loader *L, const yaml_node_t *n, uint32_t ncols,
			       uint32_t nrows)
{
	remit__arena *a = remit__loader_arena(L);
	remit__table *t = remit__zalloc(a, sizeof *t);
	remit__mark m = remit__node_mark(L, n);
	t->file = m.file;
	t->line = m.line;
	t->column = m.column;
	t->ncols = ncols;
	t->nrows = nrows;
	t->columns = remit__zalloc(a, (ncols ? ncols : 1) * sizeof *t->columns);
	size_t cells = (size_t)ncols * nrows + 1;
	t->cells = remit__zalloc(a, cells * sizeof *t->cells);
	t->cell_line = remit__zalloc(a, cells * sizeof *t->cell_line);
	t->cell_col = remit__zalloc(a, cells * sizeof *t->cell_col);
	t->cells_file = L->file;
	t->key = t->value = -1;
	return t;
}

static void set_cell(remit__table *t, uint32_t r, uint32_t c, const char *s, unsigned long line,
		     unsigned long col)
{
	size_t i = (size_t)r * t->ncols + c;
	t->cells[i] = s;
	t->cell_line[i] = (uint32_t)line;
	t->cell_col[i] = (uint32_t)col;
}

static bool scalar_cell(remit__loader *L, remit__table *t, uint32_t r, uint32_t c,
			const yaml_node_t *v, const char *ctx)
{
	size_t len;
	const char *s = scalar(v, &len);
	remit__mark m = remit__node_mark(L, v);
	if (!s) {
		remit__rules_error(L, v, "%s: expected a value, got %s", ctx, remit__node_desc(L, v));
		return false;
	}
	set_cell(t, r, c, remit__strndup(remit__loader_arena(L), s, len), m.line, m.column);
	return true;
}

/* rows: {K: V, ...} */
static remit__table *table_from_map(remit__loader *L, const yaml_node_t *rows, const char *ctx,
				    const char *keycol, const char *valcol)
{
	uint32_t k = (uint32_t)(rows->data.mapping.pairs.top - rows->data.mapping.pairs.start);
	remit__table *t = table_new(L, rows, 2, k);
	t->columns[0] = keycol;
	t->columns[1] = valcol;
	bool ok = true;
	for (uint32_t i = 0; i < k; i++) {
		yaml_node_pair_t *p = &rows->data.mapping.pairs.start[i];
		ok &= scalar_cell(L, t, i, 0, node_at(L, p->key), ctx);
		ok &= scalar_cell(L, t, i, 1, node_at(L, p->value), ctx);
	}
	t->value = 1;
	return ok ? t : NULL;
}

/* columns: [a, b, ...], rows: [[..], ...] */
static remit__table *table_from_rows(remit__loader *L, const yaml_node_t *cols,
				     const yaml_node_t *rows, const char *ctx)
{
	const char **names;
	size_t ncols;
	char sub[256];
	snprintf(sub, sizeof sub, "%s.columns", ctx);
	if (!remit__cfg_strlist(L, cols, sub, &names, &ncols))
		return NULL;
	snprintf(sub, sizeof sub, "%s.rows", ctx);
	if (rows->type != YAML_SEQUENCE_NODE) {
		remit__rules_error(L, rows, "%s: expected a list of rows, got %s", sub,
				   remit__node_desc(L, rows));
		return NULL;
	}
	uint32_t k = (uint32_t)(rows->data.sequence.items.top - rows->data.sequence.items.start);
	remit__table *t = table_new(L, rows, (uint32_t)ncols, k);
	memcpy(t->columns, names, ncols * sizeof *names);
	bool ok = true;
	for (uint32_t i = 0; i < k; i++) {
		yaml_node_t *row = node_at(L, rows->data.sequence.items.start[i]);
		size_t got = row && row->type == YAML_SEQUENCE_NODE
				     ? (size_t)(row->data.sequence.items.top -
						row->data.sequence.items.start)
				     : 0;
		if (!row || row->type != YAML_SEQUENCE_NODE || got != ncols) {
			remit__rules_error(L, row, "%s: expected a row of %zu values, got %s", sub,
					   ncols,
					   row && row->type == YAML_SEQUENCE_NODE
						   ? remit__sprintf(remit__loader_arena(L),
								    "%zu values", got)
						   : remit__node_desc(L, row));
			ok = false;
			continue;
		}
		for (uint32_t c = 0; c < ncols; c++)
			ok &= scalar_cell(L, t, i, c, node_at(L, row->data.sequence.items.start[c]),
					  sub);
	}
	return ok ? t : NULL;
}

static remit__table *table_from_csv(remit__loader *L, const yaml_node_t *fn, const char *ctx)
{
	const char *name;
	if (!remit__cfg_str(L, fn, ctx, &name))
		return NULL;
	remit__arena *a = remit__loader_arena(L);
	const char *path = name[0] == '/' ? name : remit__sprintf(a, "%s%s", L->dir, name);
	remit__csv *csv;
	remit_error err;
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		/* a device or FIFO (/dev/zero) would never end */
		remit__rules_error(L, fn, "%s: cannot read table file %s: not a regular file", ctx,
				   path);
		return NULL;
	}
	if (remit__csv_open(path, &csv, &err) < 0) {
		remit__rules_error(L, fn, "%s: cannot read table file %s: %s", ctx, path,
				   err.message);
		return NULL;
	}
	remit__csv_record rec;
	int rc = remit__csv_next(csv, &rec, &err);
	if (rc <= 0) {
		remit__rules_error(L, fn, "%s: table file %s has no header row", ctx, path);
		remit__csv_close(csv);
		return NULL;
	}
	remit__table *t = table_new(L, fn, rec.nfields, 0);
	t->cells_file = t->source = path;
	for (uint32_t c = 0; c < rec.nfields; c++)
		t->columns[c] = remit__strndup(a, rec.fields[c].p, rec.fields[c].n);
	/* Rows accumulate in growing arrays, then move into the arena. */
	size_t cap = 0, n = 0;
	const char **cells = NULL;
	uint32_t *lines = NULL, *cols = NULL;
	bool ok = true;
	while ((rc = remit__csv_next(csv, &rec, &err)) > 0) {
		if (rec.error || rec.nfields != t->ncols) {
			remit__rules_error_at(L, (remit__mark){path, rec.error ? rec.error_line : rec.line,
							       rec.error ? rec.error_col : 1},
					      "%s: %s", ctx,
					      rec.error ? rec.error
							: remit__sprintf(a, "expected %u fields, got %u",
									 t->ncols, rec.nfields));
			ok = false;
			continue;
		}
		if (n + t->ncols > cap) {
			cap = (cap + t->ncols) * 2;
			cells = remit__xrealloc(cells, cap * sizeof *cells);
			lines = remit__xrealloc(lines, cap * sizeof *lines);
			cols = remit__xrealloc(cols, cap * sizeof *cols);
		}
		for (uint32_t c = 0; c < t->ncols; c++, n++) {
			cells[n] = remit__strndup(a, rec.fields[c].p, rec.fields[c].n);
			uint64_t line;
			remit__csv_field_pos(&rec, c, &line, &cols[n]);
			lines[n] = (uint32_t)line;
		}
		t->nrows++;
	}
	if (rc < 0) {
		remit__rules_error_at(L, (remit__mark){path, err.line, err.column}, "%s: %s", ctx,
				      err.message);
		ok = false;
	}
	remit__csv_close(csv);
	size_t total = n + 1;
	t->cells = remit__alloc(a, total * sizeof *t->cells);
	t->cell_line = remit__alloc(a, total * sizeof *t->cell_line);
	t->cell_col = remit__alloc(a, total * sizeof *t->cell_col);
	if (n) {
		memcpy(t->cells, cells, n * sizeof *cells);
		memcpy(t->cell_line, lines, n * sizeof *lines);
		memcpy(t->cell_col, cols, n * sizeof *cols);
	}
	free(cells);
	free(lines);
	free(cols);
	return ok ? t : NULL;
}

/* Find `key` and `column` in t, index the key; report against node n. */
static bool table_columns(remit__loader *L, remit__table *t, const yaml_node_t *n,
			  const char *ctx, const char *keycol, const char *valcol)
{
	if (!keycol)
		return true;
	int k = remit__table_column(t, keycol);
	if (k < 0) {
		remit__rules_error(L, n, "%s: the table has no key column '%s'", ctx, keycol);
		return false;
	}
	if (valcol) {
		int v = remit__table_column(t, valcol);
		if (v < 0) {
			remit__rules_error(L, n, "%s: the table has no column '%s'", ctx, valcol);
			return false;
		}
		t->value = v;
	} else if (t->ncols == 2) {
		t->value = k == 0 ? 1 : 0;
	}
	int64_t dup = remit__table_index(t, remit__loader_arena(L), (uint32_t)k);
	if (dup >= 0) {
		unsigned long line, col;
		remit__table_pos(t, (uint32_t)dup, (uint32_t)k, &line, &col);
		remit__rules_error_at(L, (remit__mark){t->cells_file, line, col},
				      "%s: key '%s' appears twice", ctx,
				      remit__table_cell(t, (uint32_t)dup, (uint32_t)k));
		return false;
	}
	return true;
}

bool remit__cfg_table(remit__loader *L, const yaml_node_t *n, const char *ctx,
		      const char *keycol, const char *valcol, remit__table **out)
{
	static const remit__key keys[] = {{"file", false}, {"rows", false}, {"columns", false},
					  {"key", false},  {"column", false}, {NULL, false}};
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	yaml_node_t *file = remit__cfg_get(L, n, "file"), *rows = remit__cfg_get(L, n, "rows"),
		    *cols = remit__cfg_get(L, n, "columns"), *key = remit__cfg_get(L, n, "key"),
		    *col = remit__cfg_get(L, n, "column");
	char sub[256];
	if (key) {
		snprintf(sub, sizeof sub, "%s.key", ctx);
		if (!remit__cfg_str(L, key, sub, &keycol))
			return false;
	}
	if (col) {
		snprintf(sub, sizeof sub, "%s.column", ctx);
		if (!remit__cfg_str(L, col, sub, &valcol))
			return false;
	}
	if (!!file + !!rows != 1) {
		remit__rules_error(L, n, "%s: expected exactly one of 'file' or 'rows'", ctx);
		return false;
	}
	remit__table *t = NULL;
	if (file) {
		snprintf(sub, sizeof sub, "%s.file", ctx);
		t = table_from_csv(L, file, sub);
	} else if (rows->type == YAML_MAPPING_NODE && !cols) {
		snprintf(sub, sizeof sub, "%s.rows", ctx);
		t = table_from_map(L, rows, sub, keycol ? keycol : "key", valcol ? valcol : "value");
		if (t)
			valcol = t->columns[1];
	} else if (cols) {
		t = table_from_rows(L, cols, rows, ctx);
	} else {
		remit__rules_error(L, rows,
				   "%s.rows: expected a mapping {key: value, ...}, or a list of rows "
				   "with 'columns', got %s",
				   ctx, remit__node_desc(L, rows));
	}
	if (!t || !table_columns(L, t, n, ctx, keycol, valcol))
		return false;
	*out = t;
	return true;
}

const remit__table *remit__cfg_table_ref(remit__loader *L, const yaml_node_t *n,
					 const char *ctx)
{
	const char *name;
	if (!remit__cfg_str(L, n, ctx, &name))
		return NULL;
	const remit__table *t = remit__regime_table(L->regime, name);
	if (!t) {
		remit__rules_error(L, n, "%s: no table named '%s' (define it under 'tables:')", ctx,
				   name);
		return NULL;
	}
	return t;
}
