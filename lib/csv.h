/*
 * csv.h — a streaming RFC 4180 reader.
 *
 * Reads a file (plain, or gzip-compressed: detected by its magic bytes, not
 * its name) or a memory buffer through one window that grows only for a
 * record longer than itself, so memory stays bounded for any file size.
 * Records are returned as field slices into that window; a field with ""
 * escapes is unescaped into a scratch buffer, so `raw` is always the
 * record's original bytes.  Comma separator, '"' quoting, CRLF or LF line
 * ends (mixed is fine; a lone CR is data), embedded commas and newlines in
 * quoted fields.  A UTF-8 byte-order mark before the header is skipped and
 * not counted in columns.  No allocation per record.
 *
 * A record that breaks the quoting rules (a quote inside an unquoted field,
 * text after a closing quote, a quoted field still open at end of file) or
 * holds a NUL byte or invalid UTF-8 is still returned, with rec->error set,
 * so the caller can reject that row and carry on.
 */
#ifndef REMIT_CSV_H
#define REMIT_CSV_H

#include "fields.h"
#include "remit.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REMIT__CSV_MAX_FIELDS 1024        /* fields per record */
#define REMIT__CSV_MAX_RECORD (64u << 20) /* bytes per record */

typedef struct remit__csv remit__csv;

typedef struct remit__csv_record {
	const remit__str *fields; /* nfields slices, valid until the next call (NULL
				     for a record delivered to a sink) */
	uint32_t nfields;
	uint64_t line;             /* 1-based physical line where the record starts */
	uint64_t offset;           /* byte offset of its first byte in the (decompressed) input */
	/* per field: 1-based line and byte column of its first byte; NULL when
	   every field is on the record's line and unquoted, so that a field's
	   column is its offset in raw + 1 (remit__csv_field_pos says which) */
	const uint64_t *field_line;
	const uint32_t *field_col;
	remit__str raw;            /* the record's bytes, without the line end (before unescaping
				      is not guaranteed: raw is for reports only) */
	/* Set when the record is malformed (see above): a message such as
	   "unterminated quoted field" and its 1-based line and column. */
	const char *error;
	uint64_t error_line;
	uint32_t error_col;
} remit__csv_record;

/* Where field i of rec starts: its 1-based line and byte column. */
static inline void remit__csv_field_pos(const remit__csv_record *rec, uint32_t i, uint64_t *line,
				       uint32_t *col)
{
	if (rec->field_line) {
		*line = rec->field_line[i];
		*col = rec->field_col[i];
	} else {
		*line = rec->line;
		*col = (uint32_t)(rec->fields[i].p - rec->raw.p) + 1;
	}
}

/* Open a file.  On failure returns REMIT_EDATA with err filled
 * ("cannot open: No such file or directory"). */
int remit__csv_open(const char *path, remit__csv **out, remit_error *err);
/* ...mapping a plain regular file whole (map true, as remit__csv_open
 * does) or reading it through the window (map false; tests compare the
 * two).  A mapped file that another process truncates while it is read
 * raises SIGBUS (docs/decisions.md). */
int remit__csv_open_how(const char *path, bool map, remit__csv **out, remit_error *err);

/* Read from memory; `name` is used in messages.  The buffer must outlive
 * the reader. */
int remit__csv_open_mem(const char *data, size_t len, const char *name, remit__csv **out,
			remit_error *err);

/* Next record: 1 when one is returned, 0 at end of input, or a negative
 * status (REMIT_EDATA: a read or decompression error such as a truncated
 * gzip stream, a record over REMIT__CSV_MAX_RECORD or with more than
 * REMIT__CSV_MAX_FIELDS fields), with err filled. A blank line (no bytes
 * before the line end) is skipped; it is not a record. */
int remit__csv_next(remit__csv *c, remit__csv_record *rec, remit_error *err);

/* ---- reading a part (worker threads) ----------------------------------
 * A plain regular file or a memory buffer can be read from any offset:
 * clones of its reader, each with its own window, read parts of it (by
 * pread, so the clones may run on different threads). */
bool remit__csv_seekable(const remit__csv *c);
/* A reader of the same input for remit__csv_seek (window: initial bytes,
 * 0 for the default); NULL if out of memory or descriptors. */
remit__csv *remit__csv_clone(const remit__csv *c, size_t window);
/* Position a clone at byte `start` and number lines from `line`.  With
 * exact, a record starts at `start`; otherwise the first record is guessed
 * to start after the first LF at or after start − 1 (a guess that a quoted
 * field can prove wrong: callers check it).  remit__csv_next then returns
 * the records that start before `stop` (UINT64_MAX: all) and 0 after them.
 * Sticky errors are cleared. */
int remit__csv_seek(remit__csv *c, uint64_t start, uint64_t stop, bool exact, uint64_t line,
		    remit_error *err);
/* ---- a copy of a stream -----------------------------------------------
 * A gzip input or a pipe cannot be read again.  Its copy, in a temporary
 * file (lib/tempfile.h), can: each byte is written there, at its offset in
 * the (inflated) stream, as it comes into the window, so every record
 * returned so far is in the copy at its own offset.  Clones of a copied
 * stream read the copy. */
/* Start copying c, just opened (nothing read from it yet): 1 (also when c
 * can be read again anyway: nothing is done), 0 if no temporary file can
 * be made (errno says why; nothing changed), or an error. */
int remit__csv_spool(remit__csv *c, remit_error *err);
bool remit__csv_spooled(const remit__csv *c);
/* Copy the rest of the stream now, and read on from the copy (the records
 * are the same, an error of the stream comes after them as before). */
int remit__csv_spool_rest(remit__csv *c, remit_error *err);
/* A new reader of the whole copy from its start, as of a plain regular
 * file (mapped, seekable); the rest of the stream is copied first. */
int remit__csv_reopen(remit__csv *c, remit__csv **out, remit_error *err);
/* Whether opening c's input again reads the same bytes: a regular file
 * (plain or gzip) or memory, not a pipe or a device. */
bool remit__csv_regular(const remit__csv *c);

/* A gzip input is inflated ahead of the reader on a helper thread of its
 * own (lib/gzip.h), from the next block on; the records are the same.
 * Nothing for a plain input. */
void remit__csv_inflate_ahead(remit__csv *c);
/* Bytes read past `stop` at a time (0: the default, 64 KiB). */
void remit__csv_set_slack(remit__csv *c, size_t slack);
/* Where the next record starts (blank lines before it skipped once
 * remit__csv_next has returned 0), and its line. */
void remit__csv_tell(const remit__csv *c, uint64_t *offset, uint64_t *line);

/* The bytes after the last record returned, up to the end of the window
 * (a peek at what comes next, for prefetching; may be short or empty). */
remit__str remit__csv_peek(const remit__csv *c);

/* The fast scan of plain records: blocks of up to `width` bytes (64 where
 * the processor has AVX2 and BMI1, the default; 16 with SSE2; 0 none: every record
 * goes through the byte scanner).  Returns the width in use.  Every width
 * gives the same records (tests/test_csv.c compares them). */
unsigned remit__csv_set_scan(remit__csv *c, unsigned width);

/* A sink for the fast scan: a plain record (on one line, no field quoted)
 * of exactly n fields puts field i in *dst[i], and rec->fields is NULL
 * (such a field's column is its offset in raw + 1); any other record
 * comes in rec->fields as usual (the places in dst may then hold
 * anything).  dst[i] must stay valid while set; NULL (or n = 0)
 * removes the sink.  Clones do not inherit it.  0, or REMIT_ENOMEM. */
int remit__csv_set_sink(remit__csv *c, remit__str *const *dst, uint32_t n);

const char *remit__csv_name(const remit__csv *c);
/* Bytes of the underlying file consumed so far, and its size (for a
 * compressed file, compressed bytes), for progress. */
uint64_t remit__csv_bytes_done(const remit__csv *c);
uint64_t remit__csv_bytes_total(const remit__csv *c);

void remit__csv_close(remit__csv *c);

#endif
