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
 * duplicate `id` is a reject.  Duplicate detection remembers the ordinal of
 * each id's first row, so reading the same file a second time (a second
 * pass) reports exactly the same rejects.
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

/* Start again from the first data row (reopening the file); duplicate-id
 * memory is kept, so a second pass reports the same rejects. */
int remit__reader_rewind(remit__reader *r, remit_error *err);

void remit__reader_close(remit__reader *r);

#endif
