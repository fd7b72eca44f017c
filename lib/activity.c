/*
 * activity.c — typed, validated rows of an activity or population file
 * (see activity.h; the rules are DATA.md's).
 *
 * The header is matched once against the schema: each schema field learns
 * the column it lives in (or -1), every other column becomes an attribute.
 * A data record is then checked field by field in schema order, and the
 * first rule it breaks makes it a reject whose position is that field's
 * (line and byte column, from the CSV reader).  Values are slices of the
 * CSV reader's window, typed into one remit__val array owned by the cursor
 * and overwritten by the next row: nothing is allocated per row.  A cursor
 * is the per-thread part of reading (a CSV window, the typed values, the
 * current reject); the reader has one for sequential reads and the run
 * makes one per worker thread.
 *
 * Duplicate ids (activity only).  The first pass over the file meets the
 * rows in file order (a sequential read, or the run committing the parts
 * its threads read) and remembers every id; a row whose id was seen on an
 * earlier row is a duplicate.  It records which rows are duplicates (a bit
 * per row, and the first row's line for each), so later passes only look
 * that up.  Every id is remembered, also one of a row rejected for another
 * field: two rows sharing an id are a fault of the file whichever is
 * valid, and the duplicate is the reason reported.
 *
 * The id set is exact but compact: open addressing over 8-byte slots.
 * When the input can be read again (a regular file or a memory buffer) a
 * slot holds a 16-bit fingerprint, the id's length and the ordinal of its
 * first row, and nothing else: when fingerprint and length agree, both ids
 * are read again from the input (every 32nd row's offset and line are kept
 * for this) and compared byte for byte.  That happens for real duplicates
 * and, by chance, for about one probe in 2^17 otherwise.  The table is
 * sized from an estimate of the rows (the input's size over the bytes per
 * row so far), at most 5/6 full: about 8 B / 0.6 ≈ 13 bytes per distinct id
 * plus 0.5 byte per row of samples and a bit per row (duplicate flags).  A
 * gzip stream or a pipe cannot be read again, but its copy can (csv.h, "a
 * copy of a stream": each byte is in it before the reader sees it), and
 * ids are read again from that.  Only when no temporary file can be made
 * for the copy is each id copied into memory (mode COPY: its bytes, a
 * length byte and its first line) and the slots hold a 24-bit fingerprint
 * and the copy's offset: about 13 + 9 + length bytes per id.
 *
 * Ascending ids take no slot.  Claims files usually come in id order, so
 * while the input can be read again the set starts in "ascending" mode: an
 * id above every earlier one (in id order: shorter first, then bytes, which
 * is numeric order for plain numbers and byte order for ids of one width)
 * is new, and needs no slot.  The rows that brought a new greatest id
 * ("record rows") have ids that ascend with their ordinals, so whether an
 * id is among them is a binary search over the blocks of rows between
 * samples, on the first 8 bytes and the length of each block's first
 * record row's id (kept in memory), then a look at one block, reading its
 * ids again.  Only ids met out of order take a slot (and their ordinals are
 * listed, sorted, in odd[]).  Whether a row raised the greatest id is
 * usually known without reading it again: the cursor that read it marks
 * each id above the previous one it read (recnote.up).  A sorted file of
 * any size then holds only the samples, their keys and the duplicate
 * flags: about 0.9 byte per row.  Once more than 1 row in 256 (past the first 1024) has come
 * out of order, the set leaves ascending mode for good: every id seen so
 * far gets its slot (reread_grow) and the set goes on as above.
 *
 * Ids in no order on disk.  When the slots for the whole input (its rows
 * estimated as above) would take more than REMIT_ID_MEMORY bytes (16 MiB by
 * default, about 1.2 million rows), leaving ascending mode decides every
 * row of the input at once instead (on_disk); so does growing the slots
 * past that (slots_grow: the rows outgrew the estimate, as a pipe's do,
 * whose size is not known).  A stream's rest is copied first, and read on
 * from the copy.  The input is read again from
 * its start, and each remembered id's hash and row go to one of 256
 * temporary files (in $TMPDIR, unlinked at once) chosen by the hash's top
 * byte.  Each file, read back in file order, goes through a small table
 * keyed by hash that holds the first row of each hash: a row whose hash is
 * there has both ids read again and compared (and, should two different
 * ids share a 64-bit hash, every earlier row of that hash).  Memory is then
 * one file's table (16 bytes × 3 per row of the file, 1/256 of the input)
 * besides the samples and flags, whatever the input's size; the cost is
 * one more read of the input and 16 bytes a row of temporary files.  The
 * rows before the switch keep the decisions ascending mode gave them.  If
 * no temporary file can be made, the slots are used as above.
 */
#include "activity.h"
#include "arena.h"
#include "tempfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SCHEMA 32     /* fields of a schema */
#define TEXT_MAX 255      /* bytes of an id, code, organisation, number, ... */
#define LIST_MAX 65535    /* bytes of a '|'-separated list */
#define ECHO_MAX 64       /* bytes of a bad value quoted in a reason */
#define AGE_MAX 130
#define SAMPLE_EVERY 32   /* rows between kept offsets (re-reading ids) */
#define ODD_FREE 1024     /* ids out of order allowed in ascending mode, */
#define ODD_RATE 256      /* ... plus one per ODD_RATE rows */
#define DOWNS_HASH 16     /* ids out of order a speculative cursor meets in a
			     part before it hashes them all (REMIT__IDS_NOTED) */
#define ID_MEMORY (16u << 20) /* default bytes of slots before the set goes on disk */
#define DISK_PARTS 256    /* files the ids' hashes are spread over, on disk */

/* The per-field rules of DATA.md beyond the type. */
struct fspec {
	int32_t col;       /* header column, -1 if the file has none */
	uint32_t max_len;
	int64_t max;       /* INT: largest value allowed (all are ≥ 0) */
	bool positive;     /* DEC: must be > 0 */
	bool required;
	uint8_t type;      /* remit__ftype */
};

/* The plan grouped by type, so that a valid row is typed without a
 * switch per field (type_quick); reasons are left to the plan's order. */
struct qfield {
	uint32_t least; /* the shortest text allowed: 1 if required, else 0 */
	uint32_t span;  /* max_len − least */
	int64_t max;    /* INT */
	uint32_t off;   /* of vals[f] in bytes: no multiply per field */
	uint8_t f;
	uint32_t col;
};

struct quick {
	struct qfield str[MAX_SCHEMA], date[MAX_SCHEMA], num[MAX_SCHEMA], sex[MAX_SCHEMA],
		rest[MAX_SCHEMA];
	int nstr, ndate, nnum, nsex, nrest;
};

/* ---- the id set (see the top of the file) ------------------------------ */

enum { IDS_REREAD, IDS_COPY };

struct sample {
	uint64_t offset, line;
};

struct dupe {
	uint64_t ordinal1; /* ordinal + 1; 0: empty */
	uint64_t first;    /* line of the id's first row */
};

struct idset {
	int mode;
	uint64_t *slots; /* 0: empty */
	uint64_t cap, n, limit;
	/* COPY: [len][bytes][first line, 8 bytes] per id */
	unsigned char *copy;
	size_t ncopy, capcopy;
	/* the first pass */
	uint64_t done;   /* rows it has seen (ordinals below are decided) */
	bool complete;
	uint64_t *dupbits;
	uint64_t dupwords;
	struct dupe *dupes; /* open addressing by ordinal */
	uint64_t dupmask, ndupes;
	struct sample *samples; /* REREAD: rows 0, 32, 64, ... */
	uint64_t *heads;        /* ascending: of each block's first record row (below) */
	uint8_t *hlens;         /* its id's length; 0: the block has none yet */
	uint64_t nsamples, capsamples;
	remit__csv *again;      /* REREAD: reads ids again */
	/* ascending mode (REREAD): see the top of the file */
	bool ascending;
	bool have_max;
	uint64_t max_ordinal;           /* the row holding the greatest id */
	uint64_t last_ordinal;          /* the last row whose id is remembered */
	uint64_t *odd;                  /* ordinals of ids met out of order */
	size_t nodd, capodd;
	remit__rowmark *marks;
	size_t nmarks, capmarks;
	uint64_t next_mark;
	/* on disk (REREAD, see the top of the file): every row is decided */
	size_t mem_max;  /* bytes the slots may take before the set goes on disk */
	bool external;
};

/* ---- readers and cursors ------------------------------------------------- */

/* Months of recently parsed dates (files repeat them): "YYYY-MM-" as one
 * word, its first day and its length.  A date of a month here is its two
 * day digits away; 64 entries (1 KiB) stay in the first-level cache. */
#define MONTH_CACHE 64
struct monthmemo {
	uint64_t w;     /* bytes 0..7 ("YYYY-MM-"); 0: empty */
	int32_t first;  /* days of the month's day 1 */
	uint32_t len;   /* days in the month */
};

struct remit__cursor {
	remit__reader *r;
	struct monthmemo months[MONTH_CACHE];
	remit__csv *csv;
	bool own_csv;
	remit__val vals[MAX_SCHEMA];
	remit__str *attrs; /* the current row's attribute values */
	bool decides;           /* the first pass meets this cursor's rows (the
				   sequential cursor, or one resumed) */
	/* the last remembered id read (recnote.up): its length (0: none since
	   the cursor's start), head and tail, and its bytes if longer than
	   ID_KEYED */
	uint32_t prev_len;
	uint64_t prev_head, prev_tail;
	char prev_id[TEXT_MAX];
	uint64_t ordinal;  /* of the next data record */
	bool speculative;  /* ids noted, not checked (REMIT__IDS_NOTED or _HASHED) */
	bool hashes;       /* ... with their hashes (REMIT__IDS_HASHED, or
			      after DOWNS_HASH ids out of order) */
	uint32_t downs;    /* ids a speculative cursor met out of order */
	/* the current reject */
	uint64_t bad_line;
	uint32_t bad_col;
	char reason[512];
};

struct remit__reader {
	char *name;
	char *path;             /* NULL when reading memory */
	const char *mem;
	size_t mem_len;
	const remit__schema *schema;
	bool activity;
	remit__csv *csv;
	bool inflate_ahead;     /* remit__reader_inflate_ahead: kept for a rewind */
	int no_copy;            /* a stream without a copy: why (errno) */
	uint32_t ncols;         /* header fields */
	struct fspec spec[MAX_SCHEMA];
	/* fields with a column, in schema order (the id first, for activity) */
	uint8_t plan[MAX_SCHEMA];
	int nplan;
	struct quick quick;     /* the plan (past the id) by type, for type_quick */
	uint32_t nattrs;
	uint32_t *attr_col;     /* header column of each attribute */
	remit__str *attr_names;
	char *attr_text;
	uint64_t data_start, data_line; /* the first data row's offset and line */
	struct remit__cursor seq;       /* for sequential reads */
	struct idset ids;
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

static bool fail_at(remit__cursor *c, uint64_t line, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Make the current row a reject at (line, col); returns false. */
static bool fail_at(remit__cursor *c, uint64_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	c->bad_line = line;
	c->bad_col = col;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	return false;
}

/* Where field i of a record with its fields starts. */
static uint64_t field_line(const remit__csv_record *rec, uint32_t i)
{
	uint64_t line;
	uint32_t col;
	remit__csv_field_pos(rec, i, &line, &col);
	return line;
}

static uint32_t field_col(const remit__csv_record *rec, uint32_t i)
{
	uint64_t line;
	uint32_t col;
	remit__csv_field_pos(rec, i, &line, &col);
	return col;
}

/* The text of schema field f (the file has its column) in the cursor's
 * record: a sunk record (no rec->fields) has each in its place already. */
static inline remit__str text_of(const remit__cursor *c, const remit__csv_record *rec, int f)
{
	return rec->fields ? rec->fields[c->r->spec[f].col] : c->vals[f].s;
}

/* The column of field f in the cursor's record: a sunk record is one line
 * of plain fields. */
static uint32_t row_col(const remit__cursor *c, const remit__csv_record *rec, int f)
{
	if (rec->fields)
		return field_col(rec, (uint32_t)c->r->spec[f].col);
	return (uint32_t)(c->vals[f].s.p - rec->raw.p) + 1;
}

static uint64_t row_line(const remit__cursor *c, const remit__csv_record *rec, int f)
{
	return rec->fields ? field_line(rec, (uint32_t)c->r->spec[f].col) : rec->line;
}

/* The position of schema field f in the cursor's record (the file has its
 * column). */
#define FIELD_POS(c, rec, f) row_line(c, rec, f), row_col(c, rec, f)

/* "<field>: <what>, got \"<value>\"". */
static bool fail_value(remit__cursor *c, const remit__csv_record *rec, int f, const char *what)
{
	const char *more;
	remit__str s = c->vals[f].s;
	int n = echo_len(s, &more);

	return fail_at(c, FIELD_POS(c, rec, f), "%s: %s, got \"%.*s%s\"",
		       c->r->schema->fields[f].name, what, n, s.p, more);
}

/* ---- the id set: slots ------------------------------------------------- */

/* REREAD slot: fingerprint 16 | length 8 | ordinal + 1 (40).
 * COPY slot:   fingerprint 24 | copy offset + 1 (40). */
#define LOW40 ((uint64_t)0xffffffffff)

static inline uint64_t slot_home(const struct idset *s, uint64_t h)
{
	return (uint64_t)(((unsigned __int128)(h >> 32) * s->cap) >> 32);
}

static inline uint64_t slot_tag(const struct idset *s, uint64_t h, uint32_t len)
{
	if (s->mode == IDS_REREAD)
		return (h & 0xffff) << 48 | (uint64_t)len << 40;
	return (h & 0xffffff) << 40;
}

static inline uint64_t slot_tagmask(const struct idset *s)
{
	return ~LOW40;
}

static void ids_alloc(struct idset *s, uint64_t cap)
{
	s->cap = cap;
	s->limit = cap / 6 * 5;
	s->slots = remit__huge_alloc(cap * sizeof *s->slots);
}

static void ids_release(struct idset *s)
{
	remit__huge_free(s->slots, s->cap * sizeof *s->slots);
	s->slots = NULL;
}

/* Place a slot known to be new (rebuilding a table). */
static void ids_place(struct idset *s, uint64_t h, uint64_t slot)
{
	uint64_t i = slot_home(s, h);
	while (s->slots[i])
		i = i + 1 == s->cap ? 0 : i + 1;
	s->slots[i] = slot;
	s->n++;
}

/* Slots past the caches: worth fetching ahead.  (In ascending mode the
 * set keeps a small table for ids out of order, which stays in cache.) */
static inline bool ids_far(const struct idset *s)
{
	return s->slots && s->cap > (32u << 10);
}

static void ids_prefetch(const struct idset *s, uint64_t h)
{
	if (ids_far(s))
		__builtin_prefetch(&s->slots[slot_home(s, h)]);
}

/* ---- the id set: copies (COPY) ------------------------------------------ */

static uint64_t copy_add(struct idset *s, remit__str id, uint64_t line)
{
	size_t need = 1 + (size_t)id.n + 8;
	if (s->ncopy + need > s->capcopy) {
		size_t cap = s->capcopy ? s->capcopy * 2 : 1 << 16;
		while (cap < s->ncopy + need)
			cap *= 2;
		s->copy = remit__xrealloc(s->copy, cap);
		s->capcopy = cap;
	}
	uint64_t at = s->ncopy;
	s->copy[at] = (unsigned char)id.n;
	memcpy(s->copy + at + 1, id.p, id.n);
	memcpy(s->copy + at + 1 + id.n, &line, 8);
	s->ncopy += need;
	return at;
}

static remit__str copy_id(const struct idset *s, uint64_t at)
{
	remit__str id = {(const char *)s->copy + at + 1, s->copy[at]};
	return id;
}

static uint64_t copy_line(const struct idset *s, uint64_t at)
{
	uint64_t line;
	memcpy(&line, s->copy + at + 1 + s->copy[at], 8);
	return line;
}

static void copy_grow(struct idset *s)
{
	uint64_t *old = s->slots, oldcap = s->cap;
	ids_alloc(s, old ? oldcap * 2 : 1024);
	s->n = 0;
	for (uint64_t i = 0; old && i < oldcap; i++)
		if (old[i]) {
			remit__str id = copy_id(s, (old[i] & LOW40) - 1);
			ids_place(s, remit__hash(id.p, id.n), old[i]);
		}
	remit__huge_free(old, oldcap * sizeof *old);
}

/* ---- the id set: duplicates ------------------------------------------- */

static void dupes_grow(struct idset *s)
{
	uint64_t cap = s->dupes ? (s->dupmask + 1) * 2 : 64;
	struct dupe *v = remit__xcalloc(cap, sizeof *v);
	for (uint64_t i = 0; s->dupes && i <= s->dupmask; i++) {
		if (!s->dupes[i].ordinal1)
			continue;
		uint64_t j = remit__hash(&s->dupes[i].ordinal1, 8) & (cap - 1);
		while (v[j].ordinal1)
			j = (j + 1) & (cap - 1);
		v[j] = s->dupes[i];
	}
	free(s->dupes);
	s->dupes = v;
	s->dupmask = cap - 1;
}

static void dupe_add(struct idset *s, uint64_t ordinal, uint64_t first)
{
	uint64_t w = ordinal / 64;
	if (w >= s->dupwords) {
		uint64_t words = s->dupwords ? s->dupwords * 2 : 1024;
		while (words <= w)
			words *= 2;
		s->dupbits = remit__xrealloc(s->dupbits, words * sizeof *s->dupbits);
		memset(s->dupbits + s->dupwords, 0, (words - s->dupwords) * sizeof *s->dupbits);
		s->dupwords = words;
	}
	s->dupbits[w] |= (uint64_t)1 << (ordinal % 64);
	if (!s->dupes || (s->ndupes + 1) * 2 > s->dupmask + 1)
		dupes_grow(s);
	uint64_t key = ordinal + 1, j = remit__hash(&key, 8) & s->dupmask;
	while (s->dupes[j].ordinal1)
		j = (j + 1) & s->dupmask;
	s->dupes[j] = (struct dupe){key, first};
	s->ndupes++;
}

/* Whether row `ordinal` (decided by the first pass) is a duplicate, and
 * the line of its id's first row. */
static bool dupe_of(const struct idset *s, uint64_t ordinal, uint64_t *first)
{
	uint64_t w = ordinal / 64;
	if (w >= s->dupwords || !(s->dupbits[w] >> (ordinal % 64) & 1))
		return false;
	uint64_t key = ordinal + 1, j = remit__hash(&key, 8) & s->dupmask;
	while (s->dupes[j].ordinal1 != key)
		j = (j + 1) & s->dupmask;
	*first = s->dupes[j].first;
	return true;
}

static void idset_free(struct idset *s)
{
	ids_release(s);
	free(s->copy);
	free(s->dupbits);
	free(s->dupes);
	free(s->samples);
	free(s->heads);
	free(s->hlens);
	free(s->odd);
	free(s->marks);
	remit__csv_close(s->again);
	memset(s, 0, sizeof *s);
}

/* ---- the id set: reading ids again (REREAD) ------------------------------ */

/* Whether a record's id is remembered: the record is well formed and its
 * id is typed (not empty, not too long). */
static bool checkable(const remit__reader *r, const remit__csv_record *rec, remit__str *id)
{
	if (rec->error || rec->nfields != r->ncols)
		return false;
	*id = rec->fields[r->spec[REMIT__A_ID].col];
	return id->n > 0 && id->n <= r->spec[REMIT__A_ID].max_len;
}

static int changed(const remit__reader *r, remit_error *err)
{
	return data_error(err, r->name, 0, 0, "the file changed while it was read");
}

/* Read the record at (offset, line) again, exactly, and k records after. */
static int reread_at(remit__reader *r, uint64_t offset, uint64_t line, uint64_t k,
		     remit__csv_record *rec, remit_error *err)
{
	remit__csv *a = r->ids.again;
	int rc = remit__csv_seek(a, offset, UINT64_MAX, true, line, err);
	for (uint64_t i = 0; rc == 0 && i <= k; i++) {
		rc = remit__csv_next(a, rec, err);
		rc = rc > 0 ? 0 : rc < 0 ? rc : changed(r, err);
	}
	return rc;
}

/* The id and line of row `ordinal`, read again (valid until the next
 * reread). */
static int reread_row(remit__reader *r, uint64_t ordinal, remit__str *id, uint64_t *line,
		      remit_error *err)
{
	const struct sample *sm = &r->ids.samples[ordinal / SAMPLE_EVERY];
	remit__csv_record rec;
	int rc = reread_at(r, sm->offset, sm->line, ordinal % SAMPLE_EVERY, &rec, err);
	if (rc < 0)
		return rc;
	if (!checkable(r, &rec, id))
		return changed(r, err);
	*line = rec.line;
	return 0;
}

/* Rows the input holds (at least the `rows` seen so far), estimated from
 * the bytes per row so far: of the file, or for a stream, of its source
 * (a gzip stream's compressed bytes; a pipe's size is not known). */
static uint64_t rows_estimate(const remit__reader *r, uint64_t rows, uint64_t offset_now)
{
	uint64_t size = remit__csv_bytes_total(r->csv), start = r->data_start;
	uint64_t bytes = offset_now - start;
	if (!remit__csv_seekable(r->csv)) {
		start = 0;
		bytes = remit__csv_bytes_done(r->csv);
	}
	if (!rows || !bytes || size <= start)
		return rows;
	unsigned __int128 est = (unsigned __int128)(size - start) * rows / bytes;
	if (est < rows)
		return rows;
	return est > ((uint64_t)1 << 40) ? (uint64_t)1 << 40 : (uint64_t)est;
}

/* Keep row `ordinal`'s place: a sample every SAMPLE_EVERY rows (REREAD),
 * a mark every REMIT__MARK_BYTES. */
static inline __attribute__((always_inline)) void keep_place(struct idset *s, uint64_t ordinal,
							     uint64_t offset, uint64_t line)
{
	if (s->mode == IDS_REREAD && ordinal % SAMPLE_EVERY == 0) {
		if (s->nsamples == s->capsamples) {
			s->capsamples = s->capsamples ? s->capsamples * 2 : 1024;
			s->samples = remit__xrealloc(s->samples, s->capsamples * sizeof *s->samples);
			if (s->ascending) {
				s->heads = remit__xrealloc(s->heads, s->capsamples * sizeof *s->heads);
				s->hlens = remit__xrealloc(s->hlens, s->capsamples);
			}
		}
		if (s->ascending)
			s->hlens[s->nsamples] = 0;
		s->samples[s->nsamples++] = (struct sample){offset, line};
	}
	if (offset >= s->next_mark) {
		if (s->nmarks == s->capmarks) {
			s->capmarks = s->capmarks ? s->capmarks * 2 : 256;
			s->marks = remit__xrealloc(s->marks, s->capmarks * sizeof *s->marks);
		}
		s->marks[s->nmarks++] = (remit__rowmark){offset, line, ordinal};
		s->next_mark = offset + REMIT__MARK_BYTES;
	}
}

/* Rebuild the table larger: sized for the rows the input is estimated to
 * hold (its size over the bytes per row so far), at least double.  The
 * first growth comes after 850 ids, so a well-estimated file grows once.
 * The slots are made again by reading the rows the first pass has seen
 * (their first-seen ids, known to be distinct): the hashes are not kept. */
static int reread_grow(remit__reader *r, uint64_t offset_now, remit_error *err)
{
	struct idset *s = &r->ids;
	uint64_t cap = s->cap * 2;
	/* rows the input holds at the bytes per row so far; later rows shorter
	 * than the first ones make this grow again, re-estimated */
	uint64_t est = rows_estimate(r, s->done, offset_now);
	est = est + est * 2 / 3; /* about 60% full when the estimate is right */
	if (est > cap)
		cap = est > ((uint64_t)1 << 40) ? (uint64_t)1 << 40 : est;
	ids_release(s);
	ids_alloc(s, cap);
	s->n = 0;
	remit__csv *a = s->again;
	remit__csv_record rec;
	int rc = remit__csv_seek(a, r->data_start, UINT64_MAX, true, r->data_line, err);
	remit__csv_set_slack(a, 0);
	for (uint64_t o = 0; rc == 0 && o < s->done; o++) {
		rc = remit__csv_next(a, &rec, err);
		if (rc <= 0) {
			rc = rc < 0 ? rc : changed(r, err);
			break;
		}
		rc = 0;
		remit__str id;
		uint64_t first;
		if (checkable(r, &rec, &id) && !dupe_of(s, o, &first))
			ids_place(s, remit__hash(id.p, id.n),
				  slot_tag(s, remit__hash(id.p, id.n), id.n) | (o + 1));
	}
	remit__csv_set_slack(a, 4096);
	return rc;
}

/* ---- the id set: ascending ids (REREAD; see the top of the file) --------- */

/* Id order: shorter first, then bytes. */
static int id_cmp(remit__str a, remit__str b)
{
	if (a.n != b.n)
		return a.n < b.n ? -1 : 1;
	return memcmp(a.p, b.p, a.n);
}

/* An id's first 8 bytes, big-endian and zero-padded: for ids of one
 * length, heads in integer order are ids in id order, as far as they go.
 * Short ids take two overlapping loads (or three bytes), not a loop. */
static uint64_t id_head(remit__str id)
{
	const unsigned char *p = (const unsigned char *)id.p;
	uint32_t n = id.n;
	if (n >= 8)
		return __builtin_bswap64(remit__load64(p));
	if (n >= 4) /* bytes 0..3 and n-4..n-1, each at its place */
		return (uint64_t)__builtin_bswap32((uint32_t)remit__load32(p)) << 32 |
		       (uint64_t)__builtin_bswap32((uint32_t)remit__load32(p + n - 4)) << (64 - 8 * n);
	if (n == 0)
		return 0;
	return (uint64_t)p[0] << 56 | (uint64_t)p[n >> 1] << (56 - 8 * (n >> 1)) |
	       (uint64_t)p[n - 1] << (64 - 8 * n);
}

/* For ids of one length n (8 < n ≤ 16) whose heads are equal, their last 8
 * bytes big-endian are in id order (the bytes they share with the head are
 * equal); 0 for shorter ids. */
static uint64_t id_tail(remit__str id)
{
	return id.n > 8 ? __builtin_bswap64(remit__load64(id.p + id.n - 8)) : 0;
}

#define ID_KEYED 16 /* ids up to this long are compared by (head, tail) */

/* Row `ordinal` (head and length of its id) raised the greatest id: the
 * first such row of its block keys the block. */
static void key_block(struct idset *s, uint64_t ordinal, uint64_t head, uint32_t idlen)
{
	uint64_t j = ordinal / SAMPLE_EVERY;
	if (!s->hlens[j]) {
		s->heads[j] = head;
		s->hlens[j] = (uint8_t)idlen;
	}
}

static bool is_odd(const struct idset *s, uint64_t ordinal)
{
	size_t lo = 0, hi = s->nodd;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->odd[mid] < ordinal)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nodd && s->odd[lo] == ordinal;
}

/* Whether row `ordinal` (read again as rec) is a record row: its id is
 * remembered, and it is neither a duplicate nor out of order. */
static bool is_record(const remit__reader *r, const remit__csv_record *rec, uint64_t ordinal,
		      remit__str *id)
{
	uint64_t first;
	return checkable(r, rec, id) && !dupe_of(&r->ids, ordinal, &first) &&
	       !is_odd(&r->ids, ordinal);
}

/* Find in block j (rows j × SAMPLE_EVERY up to `limit`, read again) the
 * first record row whose id is `want`, or with want NULL the first record
 * row: *found, its line, and (want NULL) its id copied into key (TEXT_MAX
 * bytes) as *id. */
static int block_find(remit__reader *r, uint64_t j, uint64_t limit, const remit__str *want,
		      char *key, remit__str *id, uint64_t *line, bool *found, remit_error *err)
{
	const struct sample *sm = &r->ids.samples[j];
	remit__csv *a = r->ids.again;
	remit__csv_record rec;
	*found = false;
	int rc = remit__csv_seek(a, sm->offset, UINT64_MAX, true, sm->line, err);
	for (uint64_t o = j * SAMPLE_EVERY; rc == 0 && o < limit && o < (j + 1) * SAMPLE_EVERY;
	     o++) {
		rc = remit__csv_next(a, &rec, err);
		if (rc <= 0)
			return rc < 0 ? rc : changed(r, err);
		rc = 0;
		remit__str k;
		if (is_record(r, &rec, o, &k) && (!want || remit__str_same(k, *want))) {
			if (!want) {
				memcpy(key, k.p, k.n);
				*id = (remit__str){key, k.n};
			}
			*line = rec.line;
			*found = true;
			break;
		}
	}
	return rc;
}

/* Is id (head: its id_head) that of a record row before row `limit`?
 * *first: that row's line.  Record rows' ids ascend: find the last block
 * whose key (its first record row's id) is at most id, by the keys in
 * memory (blocks without one are skipped; the id is read again only where
 * length and first 8 bytes agree), then look in that block. */
static int records_find(remit__reader *r, remit__str id, uint64_t head, uint64_t limit,
			bool *dup, uint64_t *first, remit_error *err)
{
	const struct idset *s = &r->ids;
	uint64_t nblocks = (limit + SAMPLE_EVERY - 1) / SAMPLE_EVERY, lo = 0, hi = nblocks;
	uint64_t best = UINT64_MAX;
	char key[TEXT_MAX];
	remit__str k;
	uint64_t line;
	bool found;
	*dup = false;
	while (lo < hi) { /* blocks [lo, hi) are undecided */
		uint64_t mid = lo + (hi - lo) / 2, m = mid;
		while (m < hi && !s->hlens[m])
			m++;
		if (m == hi) {
			hi = mid;
			continue;
		}
		int c = s->hlens[m] != id.n ? (s->hlens[m] < id.n ? -1 : 1)
		      : s->heads[m] != head  ? (s->heads[m] < head ? -1 : 1)
					     : 0;
		if (c == 0) { /* the keys agree as far as they are kept */
			int rc = block_find(r, m, limit, NULL, key, &k, &line, &found, err);
			if (rc < 0)
				return rc;
			if (!found)
				return changed(r, err);
			c = id_cmp(k, id);
			if (c == 0) {
				*dup = true;
				*first = line;
				return 0;
			}
		}
		if (c < 0) {
			best = m;
			lo = m + 1;
		} else {
			hi = mid;
		}
	}
	if (best == UINT64_MAX)
		return 0;
	return block_find(r, best, limit, &id, NULL, NULL, first, dup, err);
}

/* The slots are full in ascending mode: double them, placing the ids out
 * of order again (read again: they are few). */
static int odd_grow(remit__reader *r, remit_error *err)
{
	struct idset *s = &r->ids;
	ids_release(s);
	ids_alloc(s, s->cap * 2);
	s->n = 0;
	for (size_t i = 0; i < s->nodd; i++) {
		remit__str id;
		uint64_t line;
		int rc = reread_row(r, s->odd[i], &id, &line, err);
		if (rc < 0)
			return rc;
		uint64_t h = remit__hash(id.p, id.n);
		ids_place(s, h, slot_tag(s, h, id.n) | (s->odd[i] + 1));
	}
	return 0;
}

static int slots_find(remit__reader *r, uint64_t offset, uint64_t line, remit__str *cur,
		      char *mine, uint64_t h, uint32_t idlen, uint64_t *at, bool *dup,
		      uint64_t *first, remit_error *err);

/* An id's hash, h if the caller worked it out: a cursor in an ascending
 * first pass leaves it 0 (a row in order needs none), and 0 is then
 * worked out again (a hash that is truly 0 costs only that). */
static inline uint64_t hash_known(remit__str id, uint64_t h)
{
	return h ? h : remit__hash(id.p, id.n);
}

/* The id of the record at (offset, line), idlen bytes, read again into
 * mine (TEXT_MAX bytes): *cur. */
static int id_again(remit__reader *r, uint64_t offset, uint64_t line, uint32_t idlen, char *mine,
		    remit__str *cur, remit_error *err)
{
	remit__csv_record rec;
	int rc = reread_at(r, offset, line, 0, &rec, err);
	if (rc < 0)
		return rc;
	if (!checkable(r, &rec, cur) || cur->n != idlen)
		return changed(r, err);
	memcpy(mine, cur->p, cur->n);
	cur->p = mine;
	return 0;
}

/* The first pass in ascending mode, for row `ordinal` whose id is
 * remembered (see first_pass).  up: the row's cursor found its id above
 * the previous remembered id. */
static int ascending_reread(remit__reader *r, uint64_t ordinal, uint64_t offset, uint64_t line,
			    const remit__str *id, uint64_t h, uint32_t idlen, uint64_t head,
			    bool *dup, uint64_t *first, remit_error *err);

static inline __attribute__((always_inline)) int
ascending_pass(remit__reader *r, uint64_t ordinal, uint64_t offset, uint64_t line,
	       const remit__str *id, uint64_t h, uint32_t idlen, bool up, uint64_t head, bool *dup,
	       uint64_t *first, remit_error *err)
{
	struct idset *s = &r->ids;
	bool after_max = s->have_max && s->last_ordinal == s->max_ordinal;
	s->last_ordinal = ordinal;
	if (!s->have_max || (up && after_max)) { /* the common case: no reading */
		s->have_max = true;
		s->max_ordinal = ordinal;
		key_block(s, ordinal, head, idlen);
		return 0;
	}
	return ascending_reread(r, ordinal, offset, line, id, h, idlen, head, dup, first, err);
}

/* ascending_pass when the row did not plainly raise the greatest id: read
 * the ids again to know. */
static __attribute__((noinline)) int
ascending_reread(remit__reader *r, uint64_t ordinal, uint64_t offset, uint64_t line,
		 const remit__str *id, uint64_t h, uint32_t idlen, uint64_t head, bool *dup,
		 uint64_t *first, remit_error *err)
{
	struct idset *s = &r->ids;
	char mine[TEXT_MAX];
	remit__str cur = id ? *id : empty_str, max; /* *id: the cursor's window, not reread's */
	int rc = id ? 0 : id_again(r, offset, line, idlen, mine, &cur, err);
	if (rc < 0)
		return rc;
	h = hash_known(cur, h);
	uint64_t max_line;
	rc = reread_row(r, s->max_ordinal, &max, &max_line, err);
	if (rc < 0)
		return rc;
	int c = id_cmp(cur, max);
	if (c > 0) {
		s->max_ordinal = ordinal;
		key_block(s, ordinal, head, idlen);
		return 0;
	}
	uint64_t at = 0;
	if (c == 0) {
		*dup = true;
		*first = max_line;
	} else { /* out of order: a slot, or a record row, may hold it */
		if (s->n + 1 > s->limit)
			rc = odd_grow(r, err);
		if (rc == 0)
			rc = slots_find(r, offset, line, &cur, NULL, h, idlen, &at, dup, first, err);
		if (rc == 0 && !*dup)
			rc = records_find(r, cur, head, ordinal, dup, first, err);
		if (rc < 0)
			return rc;
	}
	if (*dup) {
		dupe_add(s, ordinal, *first);
		return 0;
	}
	s->slots[at] = slot_tag(s, h, idlen) | (ordinal + 1);
	s->n++;
	if (s->nodd == s->capodd) {
		s->capodd = s->capodd ? s->capodd * 2 : 256;
		s->odd = remit__xrealloc(s->odd, s->capodd * sizeof *s->odd);
	}
	s->odd[s->nodd++] = ordinal;
	return 0;
}

/* ---- the id set: on disk (REREAD; see the top of the file) --------------- */

/* A remembered id on disk: its hash and its row. */
struct disk_id {
	uint64_t hash, ordinal;
};

/* DISK_PARTS new temporary files (lib/tempfile.h); false if they cannot
 * be made. */
static bool disk_open(FILE **f)
{
	memset(f, 0, DISK_PARTS * sizeof *f);
	for (int i = 0; i < DISK_PARTS; i++) {
		int fd = remit__tempfile();
		if (fd < 0 || !(f[i] = fdopen(fd, "w+b"))) {
			if (fd >= 0)
				close(fd);
			for (int j = 0; j < i; j++)
				fclose(f[j]);
			return false;
		}
	}
	return true;
}

static void disk_close(FILE **f)
{
	for (int i = 0; i < DISK_PARTS; i++)
		if (f[i])
			fclose(f[i]);
}

static int disk_failed(const remit__reader *r, remit_error *err)
{
	return data_error(err, r->name, 0, 0,
			  "cannot write the temporary files of the duplicate-id check (%s)",
			  strerror(errno ? errno : EIO));
}

/* Whether row x (its id in *id) has the id of an earlier row of v[0..x)
 * that shares its hash and is no duplicate: then *first is that row's
 * line.  Read again from the input, id by id (a 64-bit hash collision
 * between different ids is rare). */
static int disk_earlier(remit__reader *r, const struct disk_id *v, uint64_t x, remit__str id,
			bool *dup, uint64_t *first, remit_error *err)
{
	*dup = false;
	for (uint64_t y = 0; y < x && !*dup; y++) {
		remit__str other;
		uint64_t line;
		if (v[y].hash != v[x].hash || dupe_of(&r->ids, v[y].ordinal, &line))
			continue;
		int rc = reread_row(r, v[y].ordinal, &other, &line, err);
		if (rc < 0)
			return rc;
		if (remit__str_same(id, other)) {
			*dup = true;
			*first = line;
		}
	}
	return 0;
}

/* The duplicates among the n rows of one part file (in file order): a
 * table keyed by hash holds the first row of each hash; a row whose hash
 * is there has its id and that row's read again and compared.  Rows
 * before `decided` were decided in ascending mode. */
static int disk_part(remit__reader *r, FILE *f, uint64_t n, uint64_t decided,
		     struct disk_id **buf, uint64_t *cap, remit_error *err)
{
	struct idset *s = &r->ids;
	uint64_t tcap = 64;
	while (tcap < 2 * n)
		tcap *= 2;
	if (n + tcap > *cap) {
		*cap = n + tcap;
		*buf = remit__xrealloc(*buf, *cap * sizeof **buf);
	}
	struct disk_id *v = *buf, *t = v + n; /* t: the table, ordinal + 1 (0: empty) */
	memset(t, 0, tcap * sizeof *t);
	if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0 || fread(v, sizeof *v, n, f) != n)
		return disk_failed(r, err);
	char mine[TEXT_MAX];
	for (uint64_t x = 0; x < n; x++) {
		uint64_t i = (v[x].hash >> 8) & (tcap - 1);
		while (t[i].ordinal && t[i].hash != v[x].hash)
			i = (i + 1) & (tcap - 1);
		if (!t[i].ordinal) { /* the first row of its hash */
			t[i] = (struct disk_id){v[x].hash, v[x].ordinal + 1};
			continue;
		}
		if (v[x].ordinal < decided)
			continue; /* decided in ascending mode */
		remit__str id, other;
		uint64_t line, first;
		int rc = reread_row(r, v[x].ordinal, &id, &line, err);
		if (rc < 0)
			return rc;
		memcpy(mine, id.p, id.n);
		id.p = mine;
		rc = reread_row(r, t[i].ordinal - 1, &other, &first, err);
		if (rc < 0)
			return rc;
		bool dup = remit__str_same(id, other);
		if (!dup) /* another id with that hash */
			rc = disk_earlier(r, v, x, id, &dup, &first, err);
		if (rc < 0)
			return rc;
		if (dup)
			dupe_add(s, v[x].ordinal, first);
	}
	return 0;
}

/* Decide every row of the file on disk (row `ordinal`, at `offset`, being
 * met): read the whole file again, writing each remembered id's hash and
 * row to one of DISK_PARTS temporary files by its hash, then find the
 * duplicates part by part.  The rows after `ordinal` get their places
 * (samples, marks) as the first pass would give them.  Returns 1 when
 * done, 0 if no temporary file could be made (nothing changed), or an
 * error. */
static int on_disk(remit__reader *r, uint64_t ordinal, remit_error *err)
{
	struct idset *s = &r->ids;
	FILE *f[DISK_PARTS];
	uint64_t count[DISK_PARTS] = {0};
	if (!disk_open(f))
		return 0;
	if (remit__csv_spooled(r->csv)) { /* every row of a stream: in its copy */
		int rc = remit__csv_spool_rest(r->csv, err);
		if (rc < 0) {
			disk_close(f);
			return rc;
		}
	}
	remit__csv *a = s->again;
	remit__csv_record rec;
	uint64_t o = 0;
	int rc = remit__csv_seek(a, r->data_start, UINT64_MAX, true, r->data_line, err);
	remit__csv_set_slack(a, 0);
	while (rc == 0) {
		rc = remit__csv_next(a, &rec, err);
		if (rc <= 0)
			break;
		rc = 0;
		if (o > ordinal)
			keep_place(s, o, rec.offset, rec.line);
		remit__str id;
		if (checkable(r, &rec, &id)) {
			struct disk_id e = {remit__hash(id.p, id.n), o};
			int k = (int)(e.hash >> 56);
			if (fwrite(&e, sizeof e, 1, f[k]) != 1)
				rc = disk_failed(r, err);
			count[k]++;
		}
		o++;
	}
	remit__csv_set_slack(a, 4096);
	if (rc == 0 && o <= ordinal)
		rc = changed(r, err);
	struct disk_id *buf = NULL;
	uint64_t cap = 0;
	for (int k = 0; rc == 0 && k < DISK_PARTS; k++)
		rc = disk_part(r, f[k], count[k], ordinal, &buf, &cap, err);
	free(buf);
	disk_close(f);
	if (rc < 0)
		return rc;
	s->external = true;
	s->done = o;
	return 1;
}

/* Leave ascending mode: every id seen so far (before row `ordinal`) gets
 * its slot, or, when the slots of the whole file would take more than
 * mem_max bytes, every row is decided on disk. */
static int leave_ascending(remit__reader *r, uint64_t ordinal, uint64_t offset, remit_error *err)
{
	struct idset *s = &r->ids;
	s->ascending = false;
	free(s->odd);
	free(s->heads);
	free(s->hlens);
	s->odd = NULL;
	s->heads = NULL;
	s->hlens = NULL;
	s->nodd = s->capodd = 0;
	uint64_t est = rows_estimate(r, ordinal, offset);
	if (est > s->mem_max / sizeof *s->slots * 3 / 5) { /* 60% full */
		ids_release(s);
		s->cap = 0;
		int rc = on_disk(r, ordinal, err);
		if (rc != 0)
			return rc < 0 ? rc : 0;
		ids_alloc(s, 1024);
	}
	uint64_t done = s->done;
	s->done = ordinal;
	int rc = reread_grow(r, offset, err);
	s->done = done;
	return rc;
}

/* The slots are full at row `ordinal` (REREAD, the row not yet in them):
 * rebuild them larger or, when that would take more than mem_max bytes
 * (the input held more rows than estimated: a stream's size is not known),
 * decide every row on disk. */
static int slots_grow(remit__reader *r, uint64_t ordinal, uint64_t offset, remit_error *err)
{
	struct idset *s = &r->ids;
	if (s->cap * 2 * sizeof *s->slots > s->mem_max) {
		int rc = on_disk(r, ordinal, err);
		if (rc != 0) {
			if (rc > 0) {
				ids_release(s);
				s->cap = 0;
			}
			return rc < 0 ? rc : 0;
		}
	}
	s->done = ordinal;
	int rc = reread_grow(r, offset, err);
	s->done = ordinal + 1;
	return rc;
}

/* ---- the first pass ------------------------------------------------------ */

/* Look for an id among the slots: *dup and *first (the line of its row) if
 * a slot holds it, else *at is the empty slot where it goes.  *cur: the
 * id's bytes, or empty when they are to be read again from (offset, line),
 * only if some slot's tag agrees (into mine, TEXT_MAX bytes). */
static int slots_find(remit__reader *r, uint64_t offset, uint64_t line, remit__str *cur,
		      char *mine, uint64_t h, uint32_t idlen, uint64_t *at, bool *dup,
		      uint64_t *first, remit_error *err)
{
	struct idset *s = &r->ids;
	uint64_t tag = slot_tag(s, h, idlen), i = slot_home(s, h);
	bool have_mine = cur->n != 0;
	*dup = false;
	for (; s->slots[i]; i = i + 1 == s->cap ? 0 : i + 1) {
		uint64_t e = s->slots[i];
		if ((e & slot_tagmask(s)) != tag)
			continue;
		if (s->mode == IDS_COPY) {
			remit__str other = copy_id(s, (e & LOW40) - 1);
			if (remit__str_same(other, *cur)) {
				*dup = true;
				*first = copy_line(s, (e & LOW40) - 1);
				break;
			}
			continue;
		}
		if (!have_mine) { /* read this row's id once, keep a copy */
			int rc = id_again(r, offset, line, idlen, mine, cur, err);
			if (rc < 0)
				return rc;
			have_mine = true;
		}
		remit__str other = empty_str;
		uint64_t other_line = 0;
		int rc = reread_row(r, (e & LOW40) - 1, &other, &other_line, err);
		if (rc < 0)
			return rc;
		if (remit__str_same(other, *cur)) {
			*dup = true;
			*first = other_line;
			break;
		}
	}
	*at = i;
	return 0;
}

/* The first pass meets row `ordinal` (its offset and line): keep samples
 * and marks and, when the row's id is remembered (idlen > 0, hash h or 0
 * for hash_known when id is not NULL, the bytes in *id or, if id is NULL,
 * to be read again; up and head as in remit__recnote), decide whether it
 * is a duplicate (*first: the line of its id's first row). */
static inline __attribute__((always_inline)) int
first_pass(remit__reader *r, uint64_t ordinal, uint64_t offset, uint64_t line, const remit__str *id,
	   uint64_t h, uint32_t idlen, bool up, uint64_t head, bool *dup, uint64_t *first,
	   remit_error *err)
{
	struct idset *s = &r->ids;
	*dup = false;
	if (s->external) { /* decided on disk */
		if (ordinal >= s->done)
			return changed(r, err);
		*dup = idlen && dupe_of(s, ordinal, first);
		return 0;
	}
	keep_place(s, ordinal, offset, line);
	s->done = ordinal + 1;
	if (!idlen)
		return 0;
	if (s->ascending && s->nodd >= ODD_FREE + ordinal / ODD_RATE) {
		int rc = leave_ascending(r, ordinal, offset, err);
		if (rc < 0)
			return rc;
		if (s->external) {
			*dup = dupe_of(s, ordinal, first);
			return 0;
		}
	}
	if (s->ascending)
		return ascending_pass(r, ordinal, offset, line, id, h, idlen, up, head, dup, first,
				      err);
	if (s->n + 1 > s->limit) {
		int rc = s->mode == IDS_COPY ? (copy_grow(s), 0) : slots_grow(r, ordinal, offset, err);
		if (rc < 0)
			return rc;
		if (s->external) {
			*dup = dupe_of(s, ordinal, first);
			return 0;
		}
	}
	char mine[TEXT_MAX];
	remit__str cur = id ? *id : empty_str;
	uint64_t at;
	if (!id && !h) { /* a note without the hash: noted while the set was ascending */
		int rc = id_again(r, offset, line, idlen, mine, &cur, err);
		if (rc < 0)
			return rc;
	}
	if (cur.n)
		h = hash_known(cur, h);
	int rc = slots_find(r, offset, line, &cur, mine, h, idlen, &at, dup, first, err);
	if (rc < 0)
		return rc;
	if (*dup) {
		dupe_add(s, ordinal, *first);
		return 0;
	}
	s->slots[at] = slot_tag(s, h, idlen) |
		       (s->mode == IDS_COPY ? copy_add(s, cur, line) + 1 : ordinal + 1);
	s->n++;
	return 0;
}

int64_t remit__reader_commit(remit__reader *r, const remit__recnote *notes, size_t n,
			     uint64_t ordinal0, int64_t line_shift, remit_error *err)
{
	struct idset *s = &r->ids;
	int64_t dups = 0;
	if (s->mode != IDS_REREAD || (ordinal0 != s->done && !s->external))
		return data_error(err, r->name, 0, 0, "internal: rows committed out of order");
	for (size_t i = 0; i < n; i++) {
		if (!s->ascending && i + 8 < n && notes[i + 8].idlen) /* (ascending: no slots read) */
			ids_prefetch(s, notes[i + 8].hash);
		bool dup;
		uint64_t first;
		const remit__recnote *k = &notes[i];
		int rc = first_pass(r, ordinal0 + i, k->offset, (uint64_t)((int64_t)k->line + line_shift),
				    NULL, k->hash, k->idlen, k->up, k->head, &dup, &first, err);
		if (rc < 0)
			return rc;
		dups += dup;
	}
	return dups;
}

bool remit__reader_hashes(const remit__reader *r)
{
	return !r->ids.ascending && !r->ids.external;
}

void remit__reader_commit_end(remit__reader *r, uint64_t rows)
{
	if (r->ids.done == rows)
		r->ids.complete = true;
}

bool remit__reader_complete(const remit__reader *r)
{
	return r->ids.complete;
}

const remit__rowmark *remit__reader_marks(const remit__reader *r, size_t *n, uint64_t *rows)
{
	*n = r->ids.nmarks;
	*rows = r->ids.done;
	return r->ids.marks;
}

size_t remit__reader_id_bytes(const remit__reader *r)
{
	const struct idset *s = &r->ids;
	return s->cap * sizeof *s->slots + s->capcopy + s->dupwords * 8 +
	       (s->dupes ? (s->dupmask + 1) * sizeof *s->dupes : 0) +
	       s->capsamples * sizeof *s->samples + s->capodd * sizeof *s->odd +
	       (s->heads ? s->capsamples * (sizeof *s->heads + 1) : 0) +
	       s->capmarks * sizeof *s->marks;
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
		sp->required = fd->required;
		sp->type = (uint8_t)fd->type;
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
			return data_error(err, r->name, field_line(h, i), field_col(h, i),
					  "empty column name");
		for (uint32_t j = 0; j < i; j++)
			if (remit__str_same(name, h->fields[j]))
				return data_error(err, r->name, field_line(h, i), field_col(h, i),
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
	for (uint32_t a = 0; a < r->nattrs; a++) {
		remit__str name = h->fields[r->attr_col[a]];
		memcpy(p, name.p, name.n);
		r->attr_names[a].p = p;
		r->attr_names[a].n = name.n;
		p += name.n;
	}
}

/* The fields typed for every row: those with a column, in schema order. */
static void make_plan(remit__reader *r)
{
	for (int f = 0; f < r->schema->nfields; f++)
		if (r->spec[f].col >= 0)
			r->plan[r->nplan++] = (uint8_t)f;
	struct quick *q = &r->quick;
	for (int k = r->activity ? 1 : 0; k < r->nplan; k++) { /* the id is typed first */
		int f = r->plan[k];
		const struct fspec *sp = &r->spec[f];
		struct qfield qf = {
			.least = sp->required,
			.span = sp->max_len - sp->required,
			.max = sp->max,
			.off = (uint32_t)(f * sizeof(remit__val)),
			.f = (uint8_t)f,
			.col = (uint32_t)sp->col,
		};
		switch ((remit__ftype)sp->type) {
		case REMIT__T_STR:
		case REMIT__T_LIST:
			q->str[q->nstr++] = qf;
			break;
		case REMIT__T_DATE:
			q->date[q->ndate++] = qf;
			break;
		case REMIT__T_INT:
			q->num[q->nnum++] = qf;
			break;
		case REMIT__T_SEX:
			q->sex[q->nsex++] = qf;
			break;
		default:
			q->rest[q->nrest++] = qf;
		}
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
	make_plan(r);
	remit__csv_tell(r->csv, &r->data_start, &r->data_line);
	return 0;
}

/* ---- cursors ------------------------------------------------------------- */

/* A field without a column is empty in every row, or holds its default:
 * quantity and need are 1; end and los are present, and their values are
 * derived row by row (finish_activity). */
static void cursor_init(remit__cursor *c, remit__reader *r)
{
	c->r = r;
	c->attrs = remit__xcalloc(r->nattrs ? r->nattrs : 1, sizeof(*c->attrs));
	for (int f = 0; f < MAX_SCHEMA; f++)
		c->vals[f] = (remit__val){.s = empty_str, .d = REMIT__NUM_ZERO};
	int one = r->activity ? REMIT__A_QUANTITY : REMIT__P_NEED;
	if (r->spec[one].col < 0)
		c->vals[one] = (remit__val){.s = empty_str, .d = REMIT__NUM_ONE, .present = true};
	if (r->activity) {
		c->vals[REMIT__A_END].present = r->spec[REMIT__A_END].col < 0;
		c->vals[REMIT__A_LOS].present = r->spec[REMIT__A_LOS].col < 0;
	}
}

/* Let the fast scan put each field of a plain record straight in its
 * place: a schema field's text in vals, an attribute's in attrs.  Set
 * after the header is read.  Without memory for it, records come the
 * usual way (the same values, a copy later). */
static void cursor_sink(remit__cursor *c)
{
	const remit__reader *r = c->r;
	remit__str **dst = remit__xcalloc(r->ncols, sizeof(*dst));
	for (int f = 0; f < r->schema->nfields; f++)
		if (r->spec[f].col >= 0)
			dst[r->spec[f].col] = &c->vals[f].s;
	for (uint32_t a = 0; a < r->nattrs; a++)
		dst[r->attr_col[a]] = &c->attrs[a];
	(void)remit__csv_set_sink(c->csv, dst, r->ncols);
	free(dst);
}

remit__cursor *remit__cursor_new(remit__reader *r)
{
	if (!remit__reader_splittable(r))
		return NULL;
	remit__cursor *c = remit__xcalloc(1, sizeof *c);
	cursor_init(c, r);
	c->csv = remit__csv_clone(r->csv, REMIT__MARK_BYTES + (128u << 10));
	c->own_csv = true;
	if (!c->csv) {
		remit__cursor_free(c);
		return NULL;
	}
	cursor_sink(c);
	return c;
}

void remit__cursor_free(remit__cursor *c)
{
	if (!c)
		return;
	if (c->own_csv)
		remit__csv_close(c->csv);
	free(c->attrs);
	free(c);
}

int remit__cursor_seek(remit__cursor *c, uint64_t start, uint64_t stop, bool exact,
		       uint64_t line, uint64_t ordinal, remit__idcheck ids, remit_error *err)
{
	c->ordinal = ordinal;
	c->speculative = ids != REMIT__IDS_CHECKED;
	c->hashes = ids == REMIT__IDS_HASHED;
	c->downs = 0;
	c->decides = false;
	c->prev_len = 0;
	return remit__csv_seek(c->csv, start, stop, exact, line, err);
}

int remit__cursor_resume(remit__cursor *c, uint64_t offset, uint64_t line, uint64_t ordinal,
			 remit_error *err)
{
	const struct idset *s = &c->r->ids;
	if (s->external ? ordinal > s->done : ordinal != s->done) /* on disk: all decided */
		return data_error(err, c->r->name, 0, 0, "internal: resumed out of order");
	int rc = remit__cursor_seek(c, offset, UINT64_MAX, true, line, ordinal, REMIT__IDS_CHECKED,
				    err);
	c->decides = rc == 0;
	return rc;
}

void remit__cursor_tell(const remit__cursor *c, uint64_t *offset, uint64_t *line)
{
	remit__csv_tell(c->csv, offset, line);
}

/* ---- opening ----------------------------------------------------------- */

/* Open the input; a stream (gzip, a pipe) is copied as it is read, so
 * that it can be read again (csv.h), if a temporary file can be made. */
static int open_csv(remit__reader *r, remit_error *err)
{
	int rc = r->path ? remit__csv_open(r->path, &r->csv, err)
			 : remit__csv_open_mem(r->mem, r->mem_len, r->name, &r->csv, err);
	if (rc == 0 && r->inflate_ahead)
		remit__csv_inflate_ahead(r->csv);
	if (rc == 0) {
		errno = 0;
		rc = remit__csv_spool(r->csv, err);
		r->no_copy = rc == 0 ? (errno ? errno : EIO) : 0;
		rc = rc < 0 ? rc : 0;
	}
	return rc;
}

/* REMIT_ID_MEMORY (bytes, with an optional K, M or G) or ID_MEMORY. */
static size_t id_memory(void)
{
	const char *v = getenv("REMIT_ID_MEMORY");
	char *end;
	if (!v || !*v)
		return ID_MEMORY;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	int shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
	end += shift != 0;
	if (errno || *end || end == v || n > (SIZE_MAX >> shift))
		return ID_MEMORY;
	return (size_t)n << shift;
}

static int reader_open(remit__reader *r, remit__reader **out, remit_error *err)
{
	int rc;

	r->activity = strcmp(r->schema->what, "activity") == 0;
	r->seq.r = r;
	if (r->schema->nfields > MAX_SCHEMA) {
		rc = data_error(err, r->name, 0, 0, "internal: schema too large");
		goto out_free;
	}
	rc = open_csv(r, err);
	if (rc < 0)
		goto out_free;
	r->seq.csv = r->csv;
	rc = read_header(r, err);
	if (rc < 0)
		goto out_free;
	cursor_init(&r->seq, r);
	cursor_sink(&r->seq);
	r->seq.decides = true;
	if (r->activity) {
		r->ids.mode = remit__csv_seekable(r->csv) || remit__csv_spooled(r->csv) ? IDS_REREAD
											     : IDS_COPY;
		if (r->ids.mode == IDS_REREAD) {
			r->ids.again = remit__csv_clone(r->csv, 64u << 10);
			if (!r->ids.again) {
				rc = data_error(err, r->name, 0, 0, "out of memory or file descriptors");
				goto out_free;
			}
			remit__csv_set_slack(r->ids.again, 4096);
			r->ids.ascending = true;
		}
		r->ids.mem_max = id_memory();
		ids_alloc(&r->ids, 1024);
	}
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
static inline bool parse_count(remit__str s, int64_t max, int64_t *out)
{
	int64_t v = 0;

	for (uint32_t i = 0; i < s.n; i++) {
		unsigned d = (unsigned char)s.p[i] - '0';
		if (d > 9 || __builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (int64_t)d, &v))
			return false;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* The reasons, out of the way of the common path. */
static __attribute__((noinline, cold)) bool fail_required(remit__cursor *c,
							   const remit__csv_record *rec, int f)
{
	return fail_at(c, FIELD_POS(c, rec, f), "%s: required", c->r->schema->fields[f].name);
}

static __attribute__((noinline, cold)) bool fail_long(remit__cursor *c,
						       const remit__csv_record *rec, int f)
{
	return fail_at(c, FIELD_POS(c, rec, f), "%s: longer than %" PRIu32 " bytes",
		       c->r->schema->fields[f].name, c->r->spec[f].max_len);
}

static __attribute__((noinline, cold)) bool fail_int(remit__cursor *c, const remit__csv_record *rec,
						      int f)
{
	char what[64];
	int64_t max = c->r->spec[f].max;

	if (max == INT64_MAX)
		snprintf(what, sizeof(what), "expected a whole number ≥ 0");
	else
		snprintf(what, sizeof(what), "expected a whole number 0–%" PRId64, max);
	return fail_value(c, rec, f, what);
}

static __attribute__((noinline, cold)) bool fail_type(remit__cursor *c, const remit__csv_record *rec,
						       int f, const char *what)
{
	return fail_value(c, rec, f, what);
}

static __attribute__((noinline)) bool type_dec(remit__cursor *c, const remit__csv_record *rec, int f,
						remit__numpool *pool)
{
	remit__val *v = &c->vals[f];
	int rc = remit__num_parse(v->s.p, v->s.n, REMIT__PARSE_DECIMAL, pool, &v->d);

	if (rc < 0)
		return fail_value(c, rec, f, "expected a decimal number");
	if (c->r->spec[f].positive && remit__num_sign(v->d) <= 0)
		return fail_value(c, rec, f, "expected a decimal number > 0");
	return true;
}

/* A date the long way, and its month into the cursor's memo. */
static __attribute__((noinline)) bool date_parse_month(remit__str s, int64_t *days,
							struct monthmemo *m)
{
	static const unsigned char dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (!remit__date_parse(s.p, s.n, days))
		return false;
	unsigned y = (unsigned)((s.p[0] - '0') * 1000 + (s.p[1] - '0') * 100 + (s.p[2] - '0') * 10 +
				(s.p[3] - '0'));
	unsigned mon = (unsigned)((s.p[5] - '0') * 10 + (s.p[6] - '0'));
	unsigned d = (unsigned)((s.p[8] - '0') * 10 + (s.p[9] - '0'));
	bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
	m->w = remit__load64(s.p);
	m->first = (int32_t)(*days - (d - 1)); /* years 1..9999: within ±3.7 million days */
	m->len = dim[mon] + (mon == 2 && leap);
	return true;
}

/* A date, through the cursor's memo of recent months: the same answer as
 * remit__date_parse. */
static inline bool date_of(remit__cursor *c, remit__str s, int64_t *days)
{
	if (s.n != 10)
		return false;
	uint64_t w = remit__load64(s.p);
	struct monthmemo *m = &c->months[(w * 0x9e3779b97f4a7c15ull) >> 58];
	if (m->w != w)
		return date_parse_month(s, days, m);
	unsigned d0 = (unsigned char)s.p[8] - '0', d1 = (unsigned char)s.p[9] - '0';
	unsigned d = d0 * 10 + d1;
	if (d0 > 9 || d1 > 9 || d - 1 >= m->len)
		return false;
	*days = m->first + (int64_t)d - 1;
	return true;
}

/* Fill vals[f] from its column (the file has one); false (and a reason) if
 * a rule is broken. */
static inline __attribute__((always_inline)) bool
type_value(remit__cursor *c, const remit__csv_record *rec, int f, const struct fspec *sp,
	   remit__val *v, remit__str s, remit__numpool *pool)
{
	v->s = s;
	v->present = s.n != 0; /* the row is a reject if typing fails */
	/* .i and .d are zero (cursor_init) but where the field's type sets one */
	if (s.n == 0) {
		v->i = 0;
		v->d = REMIT__NUM_ZERO;
		return !sp->required || fail_required(c, rec, f);
	}
	if (s.n > sp->max_len)
		return fail_long(c, rec, f);
	switch ((remit__ftype)sp->type) {
	case REMIT__T_STR:
	case REMIT__T_LIST:
		return true;
	case REMIT__T_INT:
		return parse_count(s, sp->max, &v->i) || fail_int(c, rec, f);
	case REMIT__T_DATE:
		return date_of(c, s, &v->i) ||
		       fail_type(c, rec, f, "expected a date YYYY-MM-DD");
	case REMIT__T_DEC:
		return type_dec(c, rec, f, pool);
	case REMIT__T_SEX:
		return (s.n == 1 && (s.p[0] == 'M' || s.p[0] == 'F' || s.p[0] == 'U')) ||
		       fail_type(c, rec, f, "expected M, F or U");
	}
	return true;
}

/* ---- whole rows -------------------------------------------------------- */

/* end defaults to start, los to end − start, quantity to 1 (a field
 * without a column: cursor_init). */
static bool finish_activity(remit__cursor *c, const remit__csv_record *rec)
{
	const struct fspec *spec = c->r->spec;
	remit__val *start = &c->vals[REMIT__A_START], *end = &c->vals[REMIT__A_END];
	remit__val *los = &c->vals[REMIT__A_LOS], *qty = &c->vals[REMIT__A_QUANTITY];

	if (!end->present || spec[REMIT__A_END].col < 0) {
		end->i = start->i;
		end->present = true;
	} else if (end->i < start->i) {
		return fail_at(c, FIELD_POS(c, rec, REMIT__A_END), "end: before start");
	}
	if (!los->present || spec[REMIT__A_LOS].col < 0) {
		los->i = end->i - start->i;
		los->present = true;
	} else if (los->i != end->i - start->i) {
		return fail_at(c, FIELD_POS(c, rec, REMIT__A_LOS),
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
static bool finish_population(remit__cursor *c, const remit__csv_record *rec)
{
	remit__val *from = &c->vals[REMIT__P_FROM], *to = &c->vals[REMIT__P_TO];
	remit__val *need = &c->vals[REMIT__P_NEED];

	if (to->present && to->i < from->i)
		return fail_at(c, FIELD_POS(c, rec, REMIT__P_TO), "to: before from");
	if (!need->present) {
		need->d = REMIT__NUM_ONE;
		need->present = true;
	}
	return true;
}

/* Type plan[from..] in order; false at the first field that breaks a rule. */
static bool type_fields(remit__cursor *c, const remit__csv_record *rec, int from,
			remit__numpool *pool)
{
	const remit__reader *r = c->r;
	for (int k = from, n = r->nplan; k < n; k++) {
		int f = r->plan[k];
		const struct fspec *sp = &r->spec[f];
		if (!type_value(c, rec, f, sp, &c->vals[f], text_of(c, rec, f), pool))
			return false;
	}
	return true;
}

/* vals[x->f] takes its column's text (present unless empty); a sunk
 * record's is there already. */
static inline __attribute__((always_inline)) remit__val *
take_text(remit__val *restrict vals, const remit__str *restrict in, const struct qfield *x,
	  const bool sunk)
{
	remit__val *v = (remit__val *)((char *)vals + x->off);
	if (!sunk)
		v->s = in[x->col];
	v->present = v->s.n != 0;
	return v;
}

/* Too long, or empty where required? */
static inline bool bad_len(const struct qfield *x, uint32_t n)
{
	return n - x->least > x->span; /* unsigned: n < least wraps */
}

/* The plan's fields (past the id), a type at a time: true if every one
 * keeps its rules.  False says only that one does not: type_fields then
 * types the row again in the plan's order, for the reason of the first.
 * The common row so costs no switch and no call per field. */
static inline __attribute__((always_inline)) bool
type_quick_with(remit__cursor *c, const remit__csv_record *rec, remit__numpool *pool,
		const bool sunk)
{
	const remit__reader *restrict r = c->r;
	const struct quick *restrict q = &r->quick;
	remit__val *restrict vals = c->vals;
	const remit__str *restrict in = rec->fields;
	bool bad = false;

	for (int k = 0; k < q->nstr; k++) { /* .i and .d stay zero */
		const struct qfield *x = &q->str[k];
		bad |= bad_len(x, take_text(vals, in, x, sunk)->s.n);
	}
	for (int k = 0; k < q->ndate; k++) {
		const struct qfield *x = &q->date[k];
		remit__val *v = take_text(vals, in, x, sunk);
		v->i = 0;
		bad |= v->s.n ? !date_of(c, v->s, &v->i) : x->least;
	}
	for (int k = 0; k < q->nnum; k++) {
		const struct qfield *x = &q->num[k];
		remit__val *v = take_text(vals, in, x, sunk);
		v->i = 0;
		bad |= v->s.n ? bad_len(x, v->s.n) || !parse_count(v->s, x->max, &v->i) : x->least;
	}
	for (int k = 0; k < q->nsex; k++) {
		const struct qfield *x = &q->sex[k];
		remit__str s = take_text(vals, in, x, sunk)->s;
		bad |= s.n ? s.n != 1 || (s.p[0] != 'M' && s.p[0] != 'F' && s.p[0] != 'U')
			   : x->least;
	}
	for (int k = 0; k < q->nrest; k++) {
		const struct qfield *x = &q->rest[k];
		remit__val *v = &vals[x->f];
		bad |= !type_value(c, rec, x->f, &r->spec[x->f], v, sunk ? v->s : in[x->col], pool);
	}
	return !bad;
}

static inline __attribute__((always_inline)) bool
type_quick(remit__cursor *c, const remit__csv_record *rec, remit__numpool *pool)
{
	return rec->fields ? type_quick_with(c, rec, pool, false) : type_quick_with(c, rec, pool, true);
}

_Static_assert(REMIT__A_ID == 0, "the id is the first activity field");

/* type_field for the id, a required text: no switch on its type. */
static inline __attribute__((always_inline)) bool type_id(remit__cursor *c,
							  const remit__csv_record *rec)
{
	remit__val *v = &c->vals[REMIT__A_ID];
	if (rec->fields)
		v->s = rec->fields[c->r->spec[REMIT__A_ID].col];
	v->present = v->s.n != 0;
	if (v->s.n - 1 >= c->r->spec[REMIT__A_ID].max_len) /* unsigned: 0 wraps */
		return v->s.n ? fail_long(c, rec, REMIT__A_ID) : fail_required(c, rec, REMIT__A_ID);
	return true;
}

/* Type and check a record.  For an activity row whose id is typed (so
 * remembered), *idlen is its length and *h its hash (left 0 in an
 * ascending first pass: hash_known); the duplicate check is the caller's. */
static bool check_row(remit__cursor *c, const remit__csv_record *rec, uint64_t ordinal,
		      remit__numpool *pool, uint64_t *h, uint32_t *idlen)
{
	const remit__reader *r = c->r;
	*idlen = 0;
	if (rec->error)
		return fail_at(c, rec->error_line, rec->error_col, "%s", rec->error);
	if (rec->nfields != r->ncols)
		return fail_at(c, rec->line, 0, "expected %" PRIu32 " fields, got %" PRIu32,
			       r->ncols, rec->nfields);
	if (!r->activity)
		return (type_quick(c, rec, pool) || type_fields(c, rec, 0, pool)) &&
		       finish_population(c, rec);
	if (!type_id(c, rec))
		return false;
	remit__str id = c->vals[REMIT__A_ID].s;
	*idlen = id.n;
	/* the hash is for the slots of a first pass, through a speculative
	   cursor's notes or not; an ascending first pass hashes only the ids
	   out of order (hash_known), and a later pass none */
	bool deciding = c->decides && ordinal >= r->ids.done;
	if (c->hashes || (deciding && !r->ids.ascending)) {
		*h = remit__hash(id.p, id.n);
		if (deciding)
			ids_prefetch(&r->ids, *h);
	}
	return (type_quick(c, rec, pool) || type_fields(c, rec, 1, pool)) &&
	       finish_activity(c, rec);
}

static void fill_reject(remit__cursor *c, const remit__csv_record *rec, remit__reject *rej)
{
	const remit__reader *r = c->r;
	rej->file = r->name;
	rej->line = c->bad_line;
	rej->column = c->bad_col;
	rej->reason = c->reason;
	rej->raw = rec->raw;
	rej->id = empty_str;
	if (r->activity && !rec->error && rec->nfields == r->ncols)
		rej->id = text_of(c, rec, REMIT__A_ID);
}

static void fill_row(remit__cursor *c, const remit__csv_record *rec, uint64_t ordinal,
		     remit__row *row)
{
	const remit__reader *r = c->r;
	for (uint32_t a = 0; rec->fields && a < r->nattrs; a++) /* a sunk record's are in place */
		c->attrs[a] = rec->fields[r->attr_col[a]];
	row->f = c->vals;
	row->attrs = c->attrs;
	row->nattrs = r->nattrs;
	row->line = rec->line;
	row->ordinal = ordinal;
	row->raw = rec->raw;
}

/* The id set is far larger than the caches: in a first pass over a file
 * whose id is its first column, fetch the slot of the next record's id a
 * whole row ahead (a guess at that record; only a hint). */
static void prefetch_next(const remit__reader *r)
{
	remit__str next = remit__csv_peek(r->csv);
	const char *comma = memchr(next.p, ',', next.n < 64 ? next.n : 64);
	if (comma && comma > next.p)
		ids_prefetch(&r->ids, remit__hash(next.p, (size_t)(comma - next.p)));
}

/* Is id above the last one cursor c read (in id order)?  *head: its head.
 * It becomes the last one. */
static inline bool above_prev(remit__cursor *c, remit__str id, uint64_t *head)
{
	uint64_t h = id_head(id), t = id_tail(id);
	bool up;
	if (id.n != c->prev_len)
		up = c->prev_len && id.n > c->prev_len;
	else if (h != c->prev_head)
		up = h > c->prev_head;
	else if (id.n <= ID_KEYED)
		up = t > c->prev_tail;
	else
		up = memcmp(id.p, c->prev_id, id.n) > 0;
	if (id.n > ID_KEYED)
		memcpy(c->prev_id, id.p, id.n);
	c->prev_len = id.n;
	c->prev_head = h;
	c->prev_tail = t;
	*head = h;
	return up;
}

/* One record of cursor c: typed, and its duplicate check done the way the
 * cursor works (first pass, known duplicates, or noted only). */
static int cursor_next(remit__cursor *c, remit__numpool *pool, remit__row *row,
		       remit__reject *rej, remit__recnote *note, remit_error *err)
{
	remit__reader *r = c->r;
	remit__csv_record rec;
	int rc = remit__csv_next(c->csv, &rec, err);

	if (rc <= 0) {
		if (rc == 0 && c->decides && r->activity && c->ordinal == r->ids.done)
			r->ids.complete = true;
		return rc;
	}
	uint64_t ordinal = c->ordinal++, h = 0, first = 0;
	uint32_t idlen = 0;
	if (c == &r->seq && ids_far(&r->ids) && ordinal >= r->ids.done &&
	    r->spec[REMIT__A_ID].col == 0)
		prefetch_next(r);
	bool ok = check_row(c, &rec, ordinal, pool, &h, &idlen), dup = false, up = false;
	uint64_t head = 0;
	if (r->activity && idlen) /* is the id above the previous one? */
		up = above_prev(c, c->vals[REMIT__A_ID].s, &head);
	if (r->activity) {
		if (c->speculative) {
			/* ids in no order: the first pass will soon leave ascending
			   mode, and its commits then want every hash */
			if (idlen && !up && ++c->downs == DOWNS_HASH)
				c->hashes = true;
			if (note)
				*note = (remit__recnote){rec.offset, rec.line, h, idlen, up, head};
		} else if (c->decides && ordinal >= r->ids.done) {
			remit__str id = c->vals[REMIT__A_ID].s;
			rc = first_pass(r, ordinal, rec.offset, rec.line, &id, h, idlen, up, head,
					&dup, &first, err);
			if (rc < 0)
				return rc;
		} else if (idlen) {
			dup = dupe_of(&r->ids, ordinal, &first);
		}
		if (dup)
			ok = fail_at(c, FIELD_POS(c, &rec, REMIT__A_ID),
				     "id: duplicate of the row on line %" PRIu64, first);
	}
	if (!ok) {
		fill_reject(c, &rec, rej);
		return REMIT__READ_REJECT;
	}
	fill_row(c, &rec, ordinal, row);
	return REMIT__READ_ROW;
}

int remit__reader_next(remit__reader *r, remit__numpool *pool, remit__row *row,
		       remit__reject *rej, remit_error *err)
{
	return cursor_next(&r->seq, pool, row, rej, NULL, err);
}

int remit__cursor_next(remit__cursor *c, remit__numpool *pool, remit__row *row,
		       remit__reject *rej, remit__recnote *note, remit_error *err)
{
	return cursor_next(c, pool, row, rej, note, err);
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

bool remit__reader_splittable(const remit__reader *r)
{
	return r->activity && r->ids.mode == IDS_REREAD && remit__csv_seekable(r->csv);
}

void remit__reader_span(const remit__reader *r, uint64_t *start, uint64_t *line, uint64_t *size)
{
	*start = r->data_start;
	*line = r->data_line;
	*size = remit__csv_bytes_total(r->csv);
}

void remit__reader_inflate_ahead(remit__reader *r)
{
	r->inflate_ahead = true;
	remit__csv_inflate_ahead(r->csv);
}

int remit__reader_rewind(remit__reader *r, remit_error *err)
{
	remit__csv *old = r->csv;
	remit__csv_record h;
	int rc;

	if (remit__csv_spooled(old))
		rc = remit__csv_reopen(old, &r->csv, err);
	else if (!remit__csv_regular(old))
		rc = data_error(err, r->name, 0, 0,
				"cannot read this input twice: it is a pipe or a device, and no "
				"temporary copy of it could be made (%s); TMPDIR names where that goes",
				strerror(r->no_copy));
	else
		rc = open_csv(r, err);
	if (rc < 0) {
		r->csv = old;
		return rc;
	}
	remit__csv_close(old);
	r->seq.csv = r->csv;
	rc = remit__csv_next(r->csv, &h, err); /* the header, checked at open */
	if (rc < 0)
		return rc;
	cursor_sink(&r->seq);
	r->seq.ordinal = 0;
	r->seq.prev_len = 0;
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
	free(r->seq.attrs);
	free(r->name == r->path ? NULL : r->name);
	free(r->path);
	free(r);
}
