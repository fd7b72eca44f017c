/*
 * fuzz_activity.c — libFuzzer target: the activity CSV reader.
 *
 * The input is an activity file (plain or gzip: the reader decides by the
 * first two bytes), read with remit__reader_open_mem and
 * remit__reader_next to the end.  A structural problem must be REMIT_EDATA
 * (or ENOMEM) with a message; every record must come back as a typed row
 * or a reject with a line, a reason and a column inside the record; a row
 * must obey DATA.md (required fields present, end ≥ start, los = end −
 * start, quantity > 0, age ≤ 130).  The file is then read a second time
 * after remit__reader_rewind, which must give exactly the same sequence of
 * rows and rejects (the engine's two-pass runs depend on it).
 */
#include "common.h"

#include "activity.h"

#include <stdint.h>

typedef struct pass {
	uint64_t rows, rejects, hash;
	int end; /* 0, or the negative status that ended the pass */
} pass;

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ull;
}

static void check_row(const remit__row *row)
{
	const remit__val *f = row->f;
	for (int i = 0; i < remit__activity_schema.nfields; i++)
		if (remit__activity_schema.fields[i].required && (!f[i].present || !f[i].s.n))
			fuzz_die("a row without a required field");
	if (f[REMIT__A_END].i < f[REMIT__A_START].i)
		fuzz_die("a row ending before it starts");
	if (f[REMIT__A_LOS].i != f[REMIT__A_END].i - f[REMIT__A_START].i)
		fuzz_die("a row whose los is not end - start");
	if (remit__num_sign(f[REMIT__A_QUANTITY].d) <= 0)
		fuzz_die("a row with quantity <= 0");
	if (f[REMIT__A_AGE].present && (f[REMIT__A_AGE].i < 0 || f[REMIT__A_AGE].i > 130))
		fuzz_die("a row with an age outside 0-130");
	if (row->line == 0)
		fuzz_die("a row without a line");
}

static void check_reject(const remit__reject *rej)
{
	if (!rej->reason || !rej->reason[0] || rej->line == 0)
		fuzz_die("a reject without a line or a reason");
	if (!rej->file || strcmp(rej->file, "fuzz.csv") != 0)
		fuzz_die("a reject naming another file");
}

static void read_all(remit__reader *rd, remit__numpool *pool, pass *p)
{
	remit__row row;
	remit__reject rej;
	remit_error err;
	int rc;
	memset(p, 0, sizeof *p);
	while ((rc = remit__reader_next(rd, pool, &row, &rej, &err)) > 0) {
		if (rc == REMIT__READ_ROW) {
			check_row(&row);
			p->rows++;
			p->hash = mix(p->hash, row.ordinal * 2 + 1);
		} else {
			check_reject(&rej);
			p->rejects++;
			p->hash = mix(mix(p->hash, rej.line), rej.column);
		}
		remit__numpool_reset(pool);
	}
	if (rc < 0 && (err.status != rc || !err.message[0]))
		fuzz_die("a read error without a message");
	p->end = rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	remit__reader *rd;
	remit_error err;
	int rc = remit__reader_open_mem((const char *)data, size, "fuzz.csv", &remit__activity_schema,
				       &rd, &err);
	if (rc < 0) {
		if (rc != REMIT_EDATA && rc != REMIT_ENOMEM)
			fuzz_die("open failed with an unexpected status");
		if (!err.message[0] || strcmp(err.file, "fuzz.csv") != 0)
			fuzz_die("open failed without a message naming the file");
		return 0;
	}
	remit__numpool *pool = remit__numpool_new();
	pass a, b;
	read_all(rd, pool, &a);
	if (remit__reader_rewind(rd, &err) == 0) {
		read_all(rd, pool, &b);
		if (a.rows != b.rows || a.rejects != b.rejects || a.hash != b.hash || a.end != b.end)
			fuzz_die("a second pass differs from the first");
	}
	remit__numpool_free(pool);
	remit__reader_close(rd);
	return 0;
}
