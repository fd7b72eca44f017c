/*
 * activity.h — typed, validated rows of an activity or population file.
 *
 * On top of the CSV reader: matches the header by name against a schema
 * (fields.h), keeps unknown columns as attributes, and types and validates
 * every field of every row per DATA.md.  A row that breaks a rule is
 * returned as a reject (file, line, column, reason) and never as a row.
 *
 * Activity rows: `end` defaults to `start`; `los` is derived as end − start
 * when absent and must agree when present; `quantity` defaults to 1; a
 * duplicate `id` is a reject.  The first pass over the file finds the
 * duplicates (and remembers which rows they are), so reading the same file
 * a second time (a second pass) reports exactly the same rejects.
 *
 * Reading in parts: a plain file or a memory buffer can also be read by
 * cursors, one per thread, each over a byte range of it (see "parts"
 * below); the rows are the same as a sequential read gives.
 *
 * Population rows: the same typing; `need` defaults to 1; `to` empty means
 * still registered.  Overlapping periods of one patient are found by the
 * population module that collects them, not here.
 */
#ifndef REMIT_ACTIVITY_H
#define REMIT_ACTIVITY_H

#include "csv.h"
#include "fields.h"
#include "remit.h"

typedef struct remit__reader remit__reader;

/* A rejected row: where and why.  Valid until the next call. */
typedef struct remit__reject {
	const char *file;
	uint64_t line;
	uint32_t column; /* 1-based byte column of the offending field; 0 for the whole row */
	const char *reason; /* "los: expected a whole number ≥ 0, got \"-3\"" */
	remit__str raw;
	remit__str id; /* the row's id if it could be read, else empty */
} remit__reject;

/* Open a file (or memory buffer) of the given schema and read its header.
 * Structural problems (unreadable, empty file, no header, a required column
 * missing, a column named twice) return REMIT_EDATA with err naming the
 * file, line and column. */
int remit__reader_open(const char *path, const remit__schema *schema, remit__reader **out,
		       remit_error *err);
int remit__reader_open_mem(const char *data, size_t len, const char *name,
			   const remit__schema *schema, remit__reader **out, remit_error *err);

/* Extra (non-schema) column names, in header order. */
const remit__str *remit__reader_attr_names(const remit__reader *r, uint32_t *n);
const char *remit__reader_name(const remit__reader *r);

enum { REMIT__READ_EOF = 0, REMIT__READ_ROW = 1, REMIT__READ_REJECT = 2 };

/* Next row.  Returns REMIT__READ_ROW with *row filled, REMIT__READ_REJECT
 * with *rej filled, REMIT__READ_EOF, or a negative status with err filled
 * (an I/O or decompression failure).  Every data record gets an ordinal,
 * rejected or not, so ordinals number the file's data rows from 0.  `pool`
 * holds any decimal too large for the small form; the caller resets it
 * between rows. */
int remit__reader_next(remit__reader *r, remit__numpool *pool, remit__row *row,
		       remit__reject *rej, remit_error *err);

uint64_t remit__reader_bytes_done(const remit__reader *r);
uint64_t remit__reader_bytes_total(const remit__reader *r);

/* A gzip input is inflated ahead on a helper thread (remit__csv_inflate_ahead),
 * now and after a rewind: for a run given more than one thread, since such
 * an input is read in one piece. */
void remit__reader_inflate_ahead(remit__reader *r);

/* Start again from the first data row (reopening the file); duplicate-id
 * memory is kept, so a second pass reports the same rejects. */
int remit__reader_rewind(remit__reader *r, remit_error *err);

void remit__reader_close(remit__reader *r);

/* ---- parts: reading on several threads ------------------------------------
 *
 * The first pass over an activity file decides which rows are duplicates;
 * it must see the rows in file order.  Cursors read parts concurrently:
 * either speculatively (before that pass has reached them: the cursor notes
 * each record's position, and its id's hash if that pass would use it, and
 * assumes no duplicate; the run then
 * hands the notes, part by part in file order, to remit__reader_commit,
 * which finds the duplicates; a part that has some is read again), or
 * after it (duplicates are known, nothing is noted). */

/* Whether the input can be read in parts (a regular file or a memory
 * buffer; not gzip, not a pipe). */
bool remit__reader_splittable(const remit__reader *r);

/* The byte offset and line where the data rows begin (after the header),
 * and the input's size in bytes. */
void remit__reader_span(const remit__reader *r, uint64_t *start, uint64_t *line, uint64_t *size);

/* What a speculative cursor notes about each record. */
typedef struct remit__recnote {
	uint64_t offset; /* of the record's first byte */
	uint64_t line;   /* as the cursor numbers lines */
	uint64_t hash;   /* of the id, when idlen > 0 and the cursor hashes ids; else 0 */
	uint32_t idlen;  /* 0: the id is not remembered (a malformed row, an empty or long id) */
	bool up;         /* the id is above the part's previous remembered id (id order) */
	uint64_t head;   /* the id's first 8 bytes, big-endian, zero-padded (id order) */
} remit__recnote;

/* Record boundaries about REMIT__MARK_BYTES apart, found by the first pass:
 * exact parts for later passes (ordinals and lines known). */
#define REMIT__MARK_BYTES ((uint64_t)1 << 20)
typedef struct remit__rowmark {
	uint64_t offset, line, ordinal;
} remit__rowmark;

/* Once the first pass is complete (every row seen, duplicates known): the
 * marks (the first at the first data row) and the number of data rows. */
bool remit__reader_complete(const remit__reader *r);
const remit__rowmark *remit__reader_marks(const remit__reader *r, size_t *n, uint64_t *rows);

typedef struct remit__cursor remit__cursor;

/* A cursor over r (its own buffers; the reader must outlive it).  NULL if
 * the input cannot be read in parts or there is no memory. */
remit__cursor *remit__cursor_new(remit__reader *r);
void remit__cursor_free(remit__cursor *c);

/* How a cursor's part meets the first pass (remit__cursor_seek). */
typedef enum remit__idcheck {
	REMIT__IDS_CHECKED, /* after it (it committed these rows): ids are checked
			       against the duplicates it found */
	REMIT__IDS_NOTED,   /* before it, speculatively: each record is noted
			       (remit__cursor_next's note), no id is checked */
	REMIT__IDS_HASHED,  /* the same, each id's hash noted too: a first pass
			       out of ascending mode needs them (remit__reader_hashes) */
} remit__idcheck;

/* Read the records that start in [start, stop): with exact, a record
 * starts at `start`, its line and ordinal are `line` and `ordinal`;
 * otherwise the start is guessed (see remit__csv_seek) and lines and
 * ordinals count from `line` and `ordinal` in the part. */
int remit__cursor_seek(remit__cursor *c, uint64_t start, uint64_t stop, bool exact,
		       uint64_t line, uint64_t ordinal, remit__idcheck ids, remit_error *err);

/* Read on from `offset` (a record's start, its line and ordinal), to the
 * end of the input, as the first pass: ids are checked as they come, as
 * the sequential reader does.  The first pass must have met exactly the
 * rows before `ordinal` (remit__reader_commit).  For a parallel pass that
 * stops guessing (engine.c). */
int remit__cursor_resume(remit__cursor *c, uint64_t offset, uint64_t line, uint64_t ordinal,
			 remit_error *err);

/* As remit__reader_next; with a speculative cursor *note describes the
 * record (for REMIT__READ_ROW and REMIT__READ_REJECT). */
int remit__cursor_next(remit__cursor *c, remit__numpool *pool, remit__row *row,
		       remit__reject *rej, remit__recnote *note, remit_error *err);

/* After remit__cursor_next returned REMIT__READ_EOF: where the next record
 * starts (the end of the part) and its line. */
void remit__cursor_tell(const remit__cursor *c, uint64_t *offset, uint64_t *line);

/* The first pass, for the n records of one part (in file order, ordinals
 * from ordinal0, the notes' lines shifted by line_shift): remember ids,
 * find duplicates.  Returns how many of the part's rows are duplicates
 * (the part must then be read again, not speculatively), or a negative
 * status (an input read error while checking) with err filled. */
int64_t remit__reader_commit(remit__reader *r, const remit__recnote *notes, size_t n,
			     uint64_t ordinal0, int64_t line_shift, remit_error *err);
/* Whether the first pass would use the hashes of the ids it is given now:
 * not while the ids have come in ascending order (a commit without them
 * reads an id again where it needs its hash). */
bool remit__reader_hashes(const remit__reader *r);
/* The first pass has committed every part: the reader is complete. */
void remit__reader_commit_end(remit__reader *r, uint64_t rows);

/* Bytes of memory the duplicate-id set holds (for reports and tests). */
size_t remit__reader_id_bytes(const remit__reader *r);

#endif
