/*
 * activity.c — typed, validated rows of an activity or population file
 * (see activity.h; the rules are DATA.md's).
 *
 * The header is matched once against the schema: each schema field learns
 * the column it lives in (or -1), every other column becomes an attribute.
 * A data record is then checked field by field in schema order, and the
 * first rule it breaks makes it a reject whose position is that field's
 * (line and byte column, from the CSV reader).  Values are slices of the
 * CSV reader's window, typed into one remit__val array owned by the reader
 * and overwritten by the next row: nothing is allocated per row.
 *
 * Duplicate ids (activity only) are found with a set of every id seen,
 * each remembering the ordinal and line of its first row.  A row is a
 * duplicate when its id's first row is another row; so the same file read
 * twice (after a rewind) gives the same rejects, the first row of an id
 * being found again as itself.  The set is open addressing over a
 * power-of-two table of 16-byte slots with a 32-bit hash tag each (so a
 * probe touches a string only when tag and length agree); the ids are
 * copied into an arena.  Every id is remembered, also one of a row
 * rejected for another field: two rows sharing an id are a fault of the
 * file whichever is valid, and the duplicate is the reason reported.
 */
#include "activity.h"
#include "arena.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCHEMA 32     /* fields of a schema */
#define TEXT_MAX 255      /* bytes of an id, code, organisation, number, ... */
#define LIST_MAX 65535    /* bytes of a '|'-separated list */
#define ECHO_MAX 64       /* bytes of a bad value quoted in a reason */
#define AGE_MAX 130

/* The per-field rules of DATA.md beyond the type. */
struct fspec {
	int32_t col;       /* header column, -1 if the file has none */
	uint32_t max_len;
	int64_t max;       /* INT: largest value allowed (all are ≥ 0) */
	bool positive;     /* DEC: must be > 0 */
};

struct idrec {
	uint64_t ordinal, line; /* of the first row with this id */
	char s[];
};

/* 16 bytes: a probe reads one slot and touches a string only when the tag
 * and length agree.  The tag is the hash's low half, which also places the
 * slot, so growing the table never reads the strings. */
struct idslot {
	uint32_t tag;            /* low half of the hash */
	uint32_t len;
	const struct idrec *rec; /* NULL: empty slot */
};

struct idset {
	remit__arena mem;
	struct idslot *slots;
	uint64_t mask, n;
};

struct remit__reader {
	char *name;
	char *path;             /* NULL when reading memory */
	const char *mem;
	size_t mem_len;
	const remit__schema *schema;
	bool activity;
	remit__csv *csv;
	uint32_t ncols;         /* header fields */
	struct fspec spec[MAX_SCHEMA];
	remit__val vals[MAX_SCHEMA];
	uint32_t nattrs;
	uint32_t *attr_col;     /* header column of each attribute */
	remit__str *attr_names;
	char *attr_text;
	remit__str *attrs;      /* the current row's attribute values */
	uint64_t ordinal;       /* of the next data record */
	struct idset ids;
	/* the current reject */
	uint64_t bad_line;
	uint32_t bad_col;
	char reason[512];
};

static const remit__str empty_str = {"", 0};

/* ---- messages ---------------------------------------------------------- */

static int data_error(remit_error *err, const char *file, uint64_t line, uint32_t col,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int data_error(remit_error *err, const char *file, uint64_t line, uint32_t col,
		      const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return REMIT_EDATA;
	err->status = REMIT_EDATA;
	snprintf(err->file, sizeof(err->file), "%s", file);
	err->line = (unsigned long)line;
	err->column = col;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return REMIT_EDATA;
}

/* How many bytes of s to quote in a message: at most ECHO_MAX, not
 * cutting a UTF-8 sequence; *more is "…" when s is longer. */
static int echo_len(remit__str s, const char **more)
{
	uint32_t n = s.n;

	*more = "";
	if (n > ECHO_MAX) {
		n = ECHO_MAX;
		while (n > 0 && ((unsigned char)s.p[n] & 0xc0) == 0x80)
			n--;
		*more = "…";
	}
	return (int)n;
}

static bool fail_at(remit__reader *r, uint64_t line, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Make the current row a reject at (line, col); returns false. */
static bool fail_at(remit__reader *r, uint64_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	r->bad_line = line;
	r->bad_col = col;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return false;
}

/* The position of schema field f in record rec (the file has its column). */
#define FIELD_POS(r, rec, f) (rec)->field_line[(r)->spec[f].col], (rec)->field_col[(r)->spec[f].col]

/* "<field>: <what>, got \"<value>\"". */
static bool fail_value(remit__reader *r, const remit__csv_record *rec, int f, const char *what)
{
	const char *more;
	remit__str s = r->vals[f].s;
	int n = echo_len(s, &more);

	return fail_at(r, FIELD_POS(r, rec, f), "%s: %s, got \"%.*s%s\"",
		       r->schema->fields[f].name, what, n, s.p, more);
}

/* ---- the id set -------------------------------------------------------- */

static void idset_grow(struct idset *s)
{
	uint64_t ncap = s->slots ? (s->mask + 1) * 2 : 1024, nmask = ncap - 1;
	struct idslot *slots = remit__xcalloc(ncap, sizeof(*slots));

	for (uint64_t i = 0; s->slots && i <= s->mask; i++) {
		struct idslot e = s->slots[i];
		if (!e.rec)
			continue;
		uint64_t j = e.tag & nmask;
		while (slots[j].rec)
			j = (j + 1) & nmask;
		slots[j] = e;
	}
	free(s->slots);
	s->slots = slots;
	s->mask = nmask;
}

/* The table is far larger than the caches: fetch the slot where the probe
 * for hash h starts while the rest of the row is typed. */
static void idset_prefetch(struct idset *s, uint64_t h)
{
	if (!s->slots || (s->n + 1) * 4 > (s->mask + 1) * 3)
		idset_grow(s);
	__builtin_prefetch(&s->slots[(uint32_t)h & s->mask]);
}

/* The entry of id (hash h), added (as first seen at ordinal, line) if new;
 * idset_prefetch(s, h) must have been called. */
static const struct idrec *idset_put(struct idset *s, remit__str id, uint64_t h,
				     uint64_t ordinal, uint64_t line)
{
	uint32_t tag = (uint32_t)h;
	uint64_t i = tag & s->mask;
	struct idslot *e;
	struct idrec *rec;

	for (; (e = &s->slots[i])->rec != NULL; i = (i + 1) & s->mask)
		if (e->tag == tag && e->len == id.n && memcmp(e->rec->s, id.p, id.n) == 0)
			return e->rec;
	rec = remit__alloc(&s->mem, sizeof(*rec) + id.n);
	rec->ordinal = ordinal;
	rec->line = line;
	memcpy(rec->s, id.p, id.n);
	e->tag = tag;
	e->len = id.n;
	e->rec = rec;
	s->n++;
	return rec;
}

static void idset_free(struct idset *s)
{
	remit__arena_free(&s->mem);
	free(s->slots);
}

/* ---- the header -------------------------------------------------------- */

static void set_rules(remit__reader *r)
{
	for (int f = 0; f < r->schema->nfields; f++) {
		const remit__field *fd = &r->schema->fields[f];
		struct fspec *sp = &r->spec[f];
		sp->col = -1;
		sp->max_len = fd->type == REMIT__T_LIST ? LIST_MAX : TEXT_MAX;
		sp->max = strcmp(fd->name, "age") == 0 ? AGE_MAX : INT64_MAX;
		sp->positive = strcmp(fd->name, "quantity") == 0 || strcmp(fd->name, "need") == 0;
	}
}

/* Check the header's names; place schema fields, count attributes. */
static int map_columns(remit__reader *r, const remit__csv_record *h, size_t *text,
		       remit_error *err)
{
	const char *more;

	for (uint32_t i = 0; i < h->nfields; i++) {
		remit__str name = h->fields[i];
		int n = echo_len(name, &more);
		if (name.n == 0)
			return data_error(err, r->name, h->field_line[i], h->field_col[i],
					  "empty column name");
		for (uint32_t j = 0; j < i; j++)
			if (remit__str_same(name, h->fields[j]))
				return data_error(err, r->name, h->field_line[i], h->field_col[i],
						  "duplicate column '%.*s%s'", n, name.p, more);
		int f = remit__schema_find(r->schema, name.p, name.n);
		if (f >= 0) {
			r->spec[f].col = (int32_t)i;
		} else {
			r->attr_col[r->nattrs++] = i;
			*text += name.n;
		}
	}
	for (int f = 0; f < r->schema->nfields; f++)
		if (r->schema->fields[f].required && r->spec[f].col < 0)
			return data_error(err, r->name, h->line, 0, "missing required column '%s'",
					  r->schema->fields[f].name);
	return 0;
}

/* Keep the attribute names: the record they are in is gone next call. */
static void keep_attr_names(remit__reader *r, const remit__csv_record *h, size_t text)
{
	char *p = r->attr_text = remit__xmalloc(text);

	r->attr_names = remit__xcalloc(r->nattrs ? r->nattrs : 1, sizeof(*r->attr_names));
	r->attrs = remit__xcalloc(r->nattrs ? r->nattrs : 1, sizeof(*r->attrs));
	for (uint32_t a = 0; a < r->nattrs; a++) {
		remit__str name = h->fields[r->attr_col[a]];
		memcpy(p, name.p, name.n);
		r->attr_names[a].p = p;
		r->attr_names[a].n = name.n;
		p += name.n;
	}
}

static int read_header(remit__reader *r, remit_error *err)
{
	remit__csv_record h;
	size_t text = 0;
	int rc = remit__csv_next(r->csv, &h, err);

	if (rc < 0)
		return rc;
	if (rc == 0)
		return data_error(err, r->name, 1, 0, "empty file: expected a header row");
	if (h.error)
		return data_error(err, r->name, h.error_line, h.error_col, "header: %s", h.error);
	r->ncols = h.nfields;
	r->attr_col = remit__xcalloc(h.nfields, sizeof(*r->attr_col));
	set_rules(r);
	rc = map_columns(r, &h, &text, err);
	if (rc < 0)
		return rc;
	keep_attr_names(r, &h, text);
	return 0;
}

/* ---- opening ----------------------------------------------------------- */

static int open_csv(remit__reader *r, remit_error *err)
{
	if (r->path)
		return remit__csv_open(r->path, &r->csv, err);
	return remit__csv_open_mem(r->mem, r->mem_len, r->name, &r->csv, err);
}

static int reader_open(remit__reader *r, remit__reader **out, remit_error *err)
{
	int rc;

	r->activity = strcmp(r->schema->what, "activity") == 0;
	if (r->schema->nfields > MAX_SCHEMA) {
		rc = data_error(err, r->name, 0, 0, "internal: schema too large");
		goto out_free;
	}
	rc = open_csv(r, err);
	if (rc < 0)
		goto out_free;
	rc = read_header(r, err);
	if (rc < 0)
		goto out_free;
	*out = r;
	return 0;
out_free:
	remit__reader_close(r);
	*out = NULL;
	return rc;
}

int remit__reader_open(const char *path, const remit__schema *schema, remit__reader **out,
		       remit_error *err)
{
	remit__reader *r = remit__xcalloc(1, sizeof(*r));

	r->path = remit__xmalloc(strlen(path) + 1);
	strcpy(r->path, path);
	r->name = r->path;
	r->schema = schema;
	return reader_open(r, out, err);
}

int remit__reader_open_mem(const char *data, size_t len, const char *name,
			   const remit__schema *schema, remit__reader **out, remit_error *err)
{
	remit__reader *r = remit__xcalloc(1, sizeof(*r));

	r->name = remit__xmalloc(strlen(name) + 1);
	strcpy(r->name, name);
	r->mem = data;
	r->mem_len = len;
	r->schema = schema;
	return reader_open(r, out, err);
}

/* ---- typing one field -------------------------------------------------- */

/* Digits only (no sign) and at most max. */
static bool parse_count(remit__str s, int64_t max, int64_t *out)
{
	int64_t v = 0;

	for (uint32_t i = 0; i < s.n; i++) {
		unsigned d = (unsigned char)s.p[i] - '0';
		if (d > 9 || v > (max - (int64_t)d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool type_int(remit__reader *r, const remit__csv_record *rec, int f)
{
	char what[64];
	int64_t max = r->spec[f].max;

	if (parse_count(r->vals[f].s, max, &r->vals[f].i))
		return true;
	if (max == INT64_MAX)
		snprintf(what, sizeof(what), "expected a whole number ≥ 0");
	else
		snprintf(what, sizeof(what), "expected a whole number 0–%" PRId64, max);
	return fail_value(r, rec, f, what);
}

static bool type_dec(remit__reader *r, const remit__csv_record *rec, int f, remit__numpool *pool)
{
	remit__val *v = &r->vals[f];
	int rc = remit__num_parse(v->s.p, v->s.n, REMIT__PARSE_DECIMAL, pool, &v->d);

	if (rc < 0)
		return fail_value(r, rec, f, "expected a decimal number");
	if (r->spec[f].positive && remit__num_sign(v->d) <= 0)
		return fail_value(r, rec, f, "expected a decimal number > 0");
	return true;
}

static bool type_sex(remit__reader *r, const remit__csv_record *rec, int f)
{
	remit__str s = r->vals[f].s;

	if (s.n == 1 && (s.p[0] == 'M' || s.p[0] == 'F' || s.p[0] == 'U'))
		return true;
	return fail_value(r, rec, f, "expected M, F or U");
}

/* Fill vals[f] from its column; false (and a reason) if a rule is broken. */
static bool type_field(remit__reader *r, const remit__csv_record *rec, int f,
		       remit__numpool *pool)
{
	const remit__field *fd = &r->schema->fields[f];
	remit__val *v = &r->vals[f];
	int32_t col = r->spec[f].col;
	remit__str s = col >= 0 ? rec->fields[col] : empty_str;

	*v = (remit__val){.s = s, .d = REMIT__NUM_ZERO};
	if (s.n == 0) {
		if (fd->required)
			return fail_at(r, FIELD_POS(r, rec, f), "%s: required", fd->name);
		return true;
	}
	if (s.n > r->spec[f].max_len)
		return fail_at(r, FIELD_POS(r, rec, f), "%s: longer than %" PRIu32 " bytes",
			       fd->name, r->spec[f].max_len);
	switch (fd->type) {
	case REMIT__T_INT:
		if (!type_int(r, rec, f))
			return false;
		break;
	case REMIT__T_DATE:
		if (!remit__date_parse(s.p, s.n, &v->i))
			return fail_value(r, rec, f, "expected a date YYYY-MM-DD");
		break;
	case REMIT__T_DEC:
		if (!type_dec(r, rec, f, pool))
			return false;
		break;
	case REMIT__T_SEX:
		if (!type_sex(r, rec, f))
			return false;
		break;
	case REMIT__T_STR:
	case REMIT__T_LIST:
		break;
	}
	v->present = true;
	return true;
}

/* ---- whole rows -------------------------------------------------------- */

static bool check_id(remit__reader *r, const remit__csv_record *rec, uint64_t h,
		     uint64_t ordinal)
{
	const struct idrec *first =
		idset_put(&r->ids, r->vals[REMIT__A_ID].s, h, ordinal, rec->line);

	if (first->ordinal == ordinal)
		return true;
	return fail_at(r, FIELD_POS(r, rec, REMIT__A_ID), "id: duplicate of the row on line %" PRIu64,
		       first->line);
}

/* end defaults to start, los to end − start, quantity to 1. */
static bool finish_activity(remit__reader *r, const remit__csv_record *rec)
{
	remit__val *start = &r->vals[REMIT__A_START], *end = &r->vals[REMIT__A_END];
	remit__val *los = &r->vals[REMIT__A_LOS], *qty = &r->vals[REMIT__A_QUANTITY];

	if (!end->present) {
		end->i = start->i;
		end->present = true;
	} else if (end->i < start->i) {
		return fail_at(r, FIELD_POS(r, rec, REMIT__A_END), "end: before start");
	}
	if (!los->present) {
		los->i = end->i - start->i;
		los->present = true;
	} else if (los->i != end->i - start->i) {
		return fail_at(r, FIELD_POS(r, rec, REMIT__A_LOS),
			       "los: %" PRId64 " disagrees with end − start = %" PRId64, los->i,
			       end->i - start->i);
	}
	if (!qty->present) {
		qty->d = REMIT__NUM_ONE;
		qty->present = true;
	}
	return true;
}

/* to (if any) not before from; need defaults to 1. */
static bool finish_population(remit__reader *r, const remit__csv_record *rec)
{
	remit__val *from = &r->vals[REMIT__P_FROM], *to = &r->vals[REMIT__P_TO];
	remit__val *need = &r->vals[REMIT__P_NEED];

	if (to->present && to->i < from->i)
		return fail_at(r, FIELD_POS(r, rec, REMIT__P_TO), "to: before from");
	if (!need->present) {
		need->d = REMIT__NUM_ONE;
		need->present = true;
	}
	return true;
}

static bool type_fields(remit__reader *r, const remit__csv_record *rec, int from,
			remit__numpool *pool)
{
	for (int f = from; f < r->schema->nfields; f++)
		if (!type_field(r, rec, f, pool))
			return false;
	return true;
}

_Static_assert(REMIT__A_ID == 0, "the id is the first activity field");

static bool check_row(remit__reader *r, const remit__csv_record *rec, uint64_t ordinal,
		      remit__numpool *pool)
{
	if (rec->error)
		return fail_at(r, rec->error_line, rec->error_col, "%s", rec->error);
	if (rec->nfields != r->ncols)
		return fail_at(r, rec->line, 0, "expected %" PRIu32 " fields, got %" PRIu32,
			       r->ncols, rec->nfields);
	if (!r->activity)
		return type_fields(r, rec, 0, pool) && finish_population(r, rec);
	if (!type_field(r, rec, REMIT__A_ID, pool))
		return false;
	remit__str id = r->vals[REMIT__A_ID].s;
	uint64_t h = remit__hash(id.p, id.n);
	idset_prefetch(&r->ids, h);
	bool ok = type_fields(r, rec, REMIT__A_ID + 1, pool);
	/* The id is remembered even when another field is bad, and being a
	 * duplicate is the reason reported first. */
	if (!check_id(r, rec, h, ordinal))
		return false;
	return ok && finish_activity(r, rec);
}

static void fill_reject(remit__reader *r, const remit__csv_record *rec, remit__reject *rej)
{
	rej->file = r->name;
	rej->line = r->bad_line;
	rej->column = r->bad_col;
	rej->reason = r->reason;
	rej->raw = rec->raw;
	rej->id = empty_str;
	if (r->activity && !rec->error && rec->nfields == r->ncols)
		rej->id = rec->fields[r->spec[REMIT__A_ID].col];
}

static void fill_row(remit__reader *r, const remit__csv_record *rec, uint64_t ordinal,
		     remit__row *row)
{
	for (uint32_t a = 0; a < r->nattrs; a++)
		r->attrs[a] = rec->fields[r->attr_col[a]];
	row->f = r->vals;
	row->attrs = r->attrs;
	row->nattrs = r->nattrs;
	row->line = rec->line;
	row->ordinal = ordinal;
	row->raw = rec->raw;
}

int remit__reader_next(remit__reader *r, remit__numpool *pool, remit__row *row,
		       remit__reject *rej, remit_error *err)
{
	remit__csv_record rec;
	int rc = remit__csv_next(r->csv, &rec, err);

	if (rc <= 0)
		return rc;
	uint64_t ordinal = r->ordinal++;
	if (!check_row(r, &rec, ordinal, pool)) {
		fill_reject(r, &rec, rej);
		return REMIT__READ_REJECT;
	}
	fill_row(r, &rec, ordinal, row);
	return REMIT__READ_ROW;
}

/* ---- the rest ---------------------------------------------------------- */

const remit__str *remit__reader_attr_names(const remit__reader *r, uint32_t *n)
{
	*n = r->nattrs;
	return r->attr_names;
}

const char *remit__reader_name(const remit__reader *r)
{
	return r->name;
}

uint64_t remit__reader_bytes_done(const remit__reader *r)
{
	return remit__csv_bytes_done(r->csv);
}

uint64_t remit__reader_bytes_total(const remit__reader *r)
{
	return remit__csv_bytes_total(r->csv);
}

int remit__reader_rewind(remit__reader *r, remit_error *err)
{
	remit__csv *old = r->csv;
	remit__csv_record h;
	int rc = open_csv(r, err);

	if (rc < 0) {
		r->csv = old;
		return rc;
	}
	remit__csv_close(old);
	rc = remit__csv_next(r->csv, &h, err); /* the header, checked at open */
	if (rc < 0)
		return rc;
	r->ordinal = 0;
	return 0;
}

void remit__reader_close(remit__reader *r)
{
	if (!r)
		return;
	remit__csv_close(r->csv);
	idset_free(&r->ids);
	free(r->attr_col);
	free(r->attr_names);
	free(r->attr_text);
	free(r->attrs);
	free(r->name == r->path ? NULL : r->name);
	free(r->path);
	free(r);
}
