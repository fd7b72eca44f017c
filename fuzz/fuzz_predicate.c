/*
 * fuzz_predicate.c — libFuzzer target: the predicate compiler.
 *
 * The input is a condition's source text, compiled with
 * remit__pred_compile over the activity schema and over the population
 * schema (attributes allowed, and forbidden).  A compile failure must
 * give an offset inside the text and a message; a success must keep the
 * source exactly and evaluate, without allocating or crashing, on every
 * row of a fixed activity and population file (fuzz/common.h), with each
 * attribute the predicate names bound to one of the files' extra columns
 * or to a column the row lacks.  Evaluation must also be deterministic:
 * the same row gives the same answer twice.
 */
#include "common.h"

#include "activity.h"
#include "predicate.h"

#include <stdint.h>

#define MAX_ROWS 16

/* Rows of a fixed file, deep-copied once at start-up. */
typedef struct fixed_rows {
	remit__row row[MAX_ROWS];
	remit__val vals[MAX_ROWS][REMIT__A_COUNT > REMIT__P_COUNT ? REMIT__A_COUNT
								  : REMIT__P_COUNT];
	remit__str attrs[MAX_ROWS][8];
	size_t n;
	uint32_t nattrs;
} fixed_rows;

static fixed_rows act, pop;

static remit__str copy_str(remit__str s)
{
	char *p = malloc(s.n + 1);
	memcpy(p, s.p, s.n);
	p[s.n] = '\0';
	return (remit__str){p, s.n};
}

static void load_rows(fixed_rows *fr, const char *csv, const remit__schema *schema)
{
	remit__reader *rd;
	remit_error err;
	remit__numpool *pool = remit__numpool_new();
	if (remit__reader_open_mem(csv, strlen(csv), "fixed.csv", schema, &rd, &err))
		fuzz_die("the fixed data does not open");
	remit__reader_attr_names(rd, &fr->nattrs);
	remit__row row;
	remit__reject rej;
	int rc;
	while ((rc = remit__reader_next(rd, pool, &row, &rej, &err)) > 0 && fr->n < MAX_ROWS) {
		if (rc != REMIT__READ_ROW)
			continue;
		size_t i = fr->n++;
		for (int f = 0; f < schema->nfields; f++) {
			fr->vals[i][f] = row.f[f];
			fr->vals[i][f].s = copy_str(row.f[f].s);
			if (row.f[f].d.big)
				fuzz_die("a big number in the fixed data");
		}
		for (uint32_t a = 0; a < row.nattrs && a < 8; a++)
			fr->attrs[i][a] = copy_str(row.attrs[a]);
		fr->row[i] = row;
		fr->row[i].f = fr->vals[i];
		fr->row[i].attrs = fr->attrs[i];
		fr->row[i].nattrs = row.nattrs < 8 ? row.nattrs : 8;
		fr->row[i].raw = (remit__str){"", 0};
	}
	remit__reader_close(rd);
	remit__numpool_free(pool);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	load_rows(&act, fuzz_activity_csv, &remit__activity_schema);
	load_rows(&pop,
		  "patient,practice,commissioner,from,to,age,sex,conditions,tier,need,region\n"
		  "p1,P1,C01,2024-04-01,,70,M,diabetes,,,north\n"
		  "p2,P2,C01,2024-10-01,2025-01-01,3,F,diabetes|ckd,2,1.2,south\n"
		  "p3,P3,C02,2023-01-01,2024-06-30,88,U,,,0.5,\n",
		  &remit__population_schema);
	return 0;
}

static void one(const char *src, size_t n, const remit__schema *schema, const fixed_rows *fr,
		bool attrs_ok)
{
	remit__attrset attrs = {0};
	remit__pred *p = NULL;
	size_t off = SIZE_MAX;
	char msg[512];
	msg[0] = '\0';
	if (remit__pred_compile(src, n, schema, attrs_ok ? &attrs : NULL, &p, &off, msg,
				sizeof msg) < 0) {
		if (p || off > n || !msg[0])
			fuzz_die("a compile error without offset or message");
		remit__attrset_free(&attrs);
		return;
	}
	if (strlen(remit__pred_source(p)) > n || memcmp(remit__pred_source(p), src, n) != 0)
		fuzz_die("the source is not kept");
	for (size_t i = 0; i < remit__pred_nattrs(p); i++) {
		uint32_t slot;
		size_t o;
		remit__pred_attr(p, i, &slot, &o);
		if (slot >= attrs.n || o >= n)
			fuzz_die("an attribute use out of range");
	}
	/* Bind attribute k to extra column k % (columns + 1): the last choice
	 * is a column index the rows do not have (absent). */
	uint32_t map[64];
	for (uint32_t k = 0; k < 64; k++)
		map[k] = k % (fr->nattrs + 1);
	if (attrs.n <= 64)
		for (size_t i = 0; i < fr->n; i++) {
			bool a = remit__pred_eval(p, &fr->row[i], map);
			if (remit__pred_eval(p, &fr->row[i], map) != a)
				fuzz_die("evaluation is not deterministic");
		}
	remit__pred_free(p);
	remit__attrset_free(&attrs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	one(src, size, &remit__activity_schema, &act, true);
	one(src, size, &remit__population_schema, &pop, true);
	one(src, size, &remit__activity_schema, &act, false);
	return 0;
}
