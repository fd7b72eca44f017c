/*
 * fields.h — the typed fields of an activity or population row.
 *
 * A row is an array of remit__val indexed by a field id of its schema
 * (REMIT__A_* for activity rows, REMIT__P_* for population rows), plus the
 * raw text of any extra columns ("attributes") in header order.  Values
 * point into the reader's buffers: they are valid until the next row is
 * read, and nothing in a row is ever heap-allocated per row.
 *
 * The schemas (names and types of the columns of DATA.md) are the one
 * place that knows the spec's columns; the reader, the predicate compiler
 * and the modules all look names up here.
 */
#ifndef REMIT_FIELDS_H
#define REMIT_FIELDS_H

#include "number.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct remit__str {
	const char *p;
	uint32_t n;
} remit__str;

static inline bool remit__str_eq(remit__str a, const char *z)
{
	size_t n = strlen(z);
	return a.n == n && memcmp(a.p, z, n) == 0;
}

static inline bool remit__str_same(remit__str a, remit__str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* Field types.  A LIST field holds '|'-separated items (primary first). */
typedef enum remit__ftype {
	REMIT__T_STR,  /* bytes */
	REMIT__T_INT,  /* integer, in .i */
	REMIT__T_DATE, /* days since 1970-01-01 (proleptic Gregorian), in .i */
	REMIT__T_DEC,  /* exact decimal, in .d */
	REMIT__T_SEX,  /* "M", "F" or "U": a string with a closed set of values */
	REMIT__T_LIST, /* '|'-separated strings */
} remit__ftype;

typedef struct remit__val {
	remit__str s;   /* raw text (empty when the field is absent/empty) */
	int64_t i;      /* INT and DATE values */
	remit__num d;   /* DEC values (small form unless huge) */
	bool present;   /* the column exists and the cell is not empty, or a
			   default/derived value was filled in */
} remit__val;

typedef struct remit__field {
	const char *name;
	remit__ftype type;
	bool required;
} remit__field;

typedef struct remit__schema {
	const char *what; /* "activity" or "population" */
	const remit__field *fields;
	int nfields;
} remit__schema;

/* Activity columns (DATA.md). */
enum {
	REMIT__A_ID,
	REMIT__A_PATIENT,
	REMIT__A_PROVIDER,
	REMIT__A_COMMISSIONER,
	REMIT__A_POD,
	REMIT__A_CODE,
	REMIT__A_START,
	REMIT__A_END,
	REMIT__A_LOS,
	REMIT__A_AGE,
	REMIT__A_SEX,
	REMIT__A_DIAGNOSES,
	REMIT__A_PROCEDURES,
	REMIT__A_FLAGS,
	REMIT__A_COST,
	REMIT__A_QUANTITY,
	REMIT__A_COUNT
};

/* Population columns (DATA.md). */
enum {
	REMIT__P_PATIENT,
	REMIT__P_PRACTICE,
	REMIT__P_COMMISSIONER,
	REMIT__P_FROM,
	REMIT__P_TO,
	REMIT__P_AGE,
	REMIT__P_SEX,
	REMIT__P_CONDITIONS,
	REMIT__P_TIER,
	REMIT__P_NEED,
	REMIT__P_COUNT
};

extern const remit__schema remit__activity_schema;
extern const remit__schema remit__population_schema;

/* The field id of `name` in schema s, or -1. */
int remit__schema_find(const remit__schema *s, const char *name, size_t n);

/* A row of either schema, as handed to predicates and modules. */
typedef struct remit__row {
	const remit__val *f;     /* f[field id] */
	const remit__str *attrs; /* extra columns, header order */
	uint32_t nattrs;
	uint64_t line;    /* 1-based physical line where the row starts */
	uint64_t ordinal; /* 0-based index of the row among the data rows */
	remit__str raw;   /* the row's bytes as read, for reports */
} remit__row;

/* Dates: "YYYY-MM-DD" → days since 1970-01-01.  False unless a real
 * calendar date (2024-02-30 is false) in years 1..9999.  Inline: every
 * activity row has two. */
static inline int64_t remit__days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's days_from_civil (proleptic Gregorian) */
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static inline bool remit__date_parse(const char *s, size_t n, int64_t *days)
{
	static const unsigned char dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	unsigned y0 = (unsigned char)s[0] - '0', y1 = (unsigned char)s[1] - '0';
	unsigned y2 = (unsigned char)s[2] - '0', y3 = (unsigned char)s[3] - '0';
	unsigned m0 = (unsigned char)s[5] - '0', m1 = (unsigned char)s[6] - '0';
	unsigned d0 = (unsigned char)s[8] - '0', d1 = (unsigned char)s[9] - '0';
	if ((y0 > 9) | (y1 > 9) | (y2 > 9) | (y3 > 9) | (m0 > 9) | (m1 > 9) | (d0 > 9) | (d1 > 9))
		return false;
	unsigned y = y0 * 1000 + y1 * 100 + y2 * 10 + y3, m = m0 * 10 + m1, d = d0 * 10 + d1;
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	if (d > dim[m] &&
	    !(m == 2 && d == 29 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	*days = remit__days_from_civil(y, m, d);
	return true;
}

/* days → "YYYY-MM-DD" (11 bytes with the NUL). */
void remit__date_format(int64_t days, char out[11]);

/* Iterate the items of a LIST value: *pos starts at 0; returns false at
 * the end.  Empty items (from "a||b") are skipped. */
bool remit__list_next(remit__str list, uint32_t *pos, remit__str *item);

#endif
