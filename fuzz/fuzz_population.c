/*
 * fuzz_population.c — libFuzzer target: the population reader and the
 * population budgets that consume it.
 *
 * The input is a population file.  First it is read with the reader
 * (remit__reader_open_mem on the population schema): every record must be
 * a row obeying DATA.md (required fields, to ≥ from, need > 0, age 0–130)
 * or a reject with a line and a reason.  Then it is the population of a
 * fixed regime of budgets (year of care, capitation with risk share, a
 * block, the tariff they subcontract through; fuzz/common.h) priced over a
 * fixed activity file: the run must fail only with REMIT_EDATA (a broken
 * header) or satisfy the reconciliation oracle, having read as many
 * population rows as the reader saw.
 */
#include "common.h"

#include "activity.h"

#include <stdint.h>

static remit_regime *regime;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	regime = fuzz_fixed_regime(fuzz_budget_regime);
	return 0;
}

static void check_row(const remit__row *row)
{
	const remit__val *f = row->f;
	for (int i = 0; i < remit__population_schema.nfields; i++)
		if (remit__population_schema.fields[i].required && !f[i].present)
			fuzz_die("a person without a required field");
	if (f[REMIT__P_TO].present && f[REMIT__P_TO].i < f[REMIT__P_FROM].i)
		fuzz_die("a registration ending before it starts");
	if (remit__num_sign(f[REMIT__P_NEED].d) <= 0)
		fuzz_die("a person with need <= 0");
	if (f[REMIT__P_AGE].i < 0 || f[REMIT__P_AGE].i > 130)
		fuzz_die("a person with an age outside 0-130");
}

/* Records the reader returns (rows + rejects), or -1 if it cannot open. */
static int64_t read_all(const uint8_t *data, size_t size)
{
	remit__reader *rd;
	remit_error err;
	if (remit__reader_open_mem((const char *)data, size, "<population>",
				   &remit__population_schema, &rd, &err) < 0) {
		if (!err.message[0])
			fuzz_die("open failed without a message");
		return -1;
	}
	remit__numpool *pool = remit__numpool_new();
	remit__row row;
	remit__reject rej;
	int64_t n = 0;
	int rc;
	while ((rc = remit__reader_next(rd, pool, &row, &rej, &err)) > 0) {
		if (rc == REMIT__READ_ROW)
			check_row(&row);
		else if (!rej.reason[0] || !rej.line)
			fuzz_die("a reject without a line or a reason");
		n++;
		remit__numpool_reset(pool);
	}
	remit__numpool_free(pool);
	remit__reader_close(rd);
	return rc < 0 ? -1 : n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t records = read_all(data, size);
	fuzz_tally t;
	remit_run_options opt = fuzz_options(&t);
	remit_result *res = NULL;
	remit_error err;
	int rc = remit_price_buffers(regime, fuzz_activity_csv, sizeof fuzz_activity_csv - 1,
				     (const char *)data, size, &opt, &res, &err);
	if (rc == REMIT_OK) {
		remit_counts c;
		remit_result_counts(res, &c);
		if (records >= 0 && c.population_read != (uint64_t)records)
			fuzz_die("the run read another number of people than the reader");
		fuzz_check_result(res, &t);
	} else if (rc != REMIT_EDATA && rc != REMIT_ERULES) {
		fuzz_die("the run failed with an unexpected status");
	}
	remit__xsum_clear(&t.sum);
	remit_result_free(res);
	return 0;
}
