/*
 * embed.c — embedding libremit: load a regime, feed activity rows from
 * memory as a program would produce them (here a table; in a contract
 * management system, its own database), print every payment line, the
 * totals by payer and the reconciliation, then explain one row.
 *
 *   embed REGIME.yaml [ID-TO-EXPLAIN]
 *
 * Built against the installed library: see Makefile (pkg-config) or
 * CMakeLists.txt (find_package).  Exit 0 on success, 1 on any error.
 */
#include <remit.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Rows of models/tariff/examples/activity.csv (README, "The example"). */
static const char *const header[] = {"id",  "patient", "provider", "commissioner", "pod",
				     "code", "start",	"end",	    "los",	    "age",
				     "sex", "diagnoses", "procedures", "flags"};
enum { NCOLS = sizeof header / sizeof header[0] };
static const char *const rows[][NCOLS] = {
	{"T1", "P001", "RJZ", "C01", "EL", "HN12F", "2024-05-01", "2024-05-03", "2", "67", "F",
	 "M16.1", "W371", ""},
	{"T2", "P002", "RJ2", "C01", "NE", "HN12F", "2024-06-01", "2024-06-15", "14", "60", "M",
	 "S72.0", "", ""},
	{"T3", "P003", "RX1", "C02", "EL", "HN12A", "2024-07-01", "2024-07-04", "3", "71", "F",
	 "M17.1", "W401", "SPEC_ORTH"},
	{"T4", "P004", "RJZ", "C01", "NE", "HT12A", "2024-08-01", "2024-08-09", "8", "82", "F",
	 "S72.0", "W461", "SPEC_ORTH|BPT_HIP"},
	{"T7", "P007", "RJZ", "C01", "NE", "HX99Z", "2024-10-01", "2024-10-03", "2", "50", "M", "",
	 "", ""},
	{"O1", "P009", "RK5", "C02", "OPFA", "WF01A", "2024-12-02", "", "", "44", "F", "", "", ""},
};

/* The library calls back during remit_run_finish; strings are valid only
 * during the call. */
static void on_line(void *ud, const remit_line *l)
{
	(void)ud;
	printf("line %s %s -> %s %s\n", l->activity, l->payer, l->payee, l->amount);
}

static void on_unpriced(void *ud, const remit_row_note *n)
{
	(void)ud;
	printf("unpriced %s: %s\n", n->activity, n->reason);
}

static void print_text(void *ud, const char *text)
{
	(void)ud;
	printf("  %s\n", text);
}

static int fail(const char *what, const remit_error *e)
{
	fprintf(stderr, "embed: %s: %s%s%s\n", what, e->file, e->file[0] ? ": " : "", e->message);
	return 1;
}

int main(int argc, char **argv)
{
	remit_regime *regime;
	remit_run *run;
	remit_result *result;
	remit_error err;
	if (argc < 2) {
		fprintf(stderr, "usage: embed REGIME.yaml [ID-TO-EXPLAIN]\n");
		return 1;
	}
	if (remit_version_number() != REMIT_VERSION_NUMBER)
		fprintf(stderr, "embed: built with remit %s, running with %s\n", REMIT_VERSION_STRING,
			remit_version());
	if (remit_regime_load(argv[1], NULL, NULL, &regime, &err) != REMIT_OK)
		return fail("regime", &err);
	printf("regime %s (%s, scale %d)\n", remit_regime_name(regime),
	       remit_regime_currency(regime), remit_regime_scale(regime));

	remit_run_options opt = {.on_line = on_line, .on_unpriced = on_unpriced};
	if (remit_run_new(regime, &opt, &run, &err) != REMIT_OK)
		return fail("run", &err);
	remit_run_activity_row(run, header, NCOLS, NULL);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (remit_run_activity_row(run, rows[i], NCOLS, &err) != REMIT_OK)
			return fail("row", &err);
	if (remit_run_finish(run, &result, &err) != REMIT_OK)
		return fail("pricing", &err);

	for (size_t i = 0; i < remit_result_size(result, REMIT_BY_PAYER); i++) {
		const char *name, *amount;
		remit_result_entry(result, REMIT_BY_PAYER, i, &name, &amount);
		printf("payer %s %s\n", name, amount);
	}
	remit_counts c;
	remit_result_counts(result, &c);
	printf("total %s\n", remit_result_total(result));
	printf("rows %" PRIu64 " read = %" PRIu64 " priced + %" PRIu64 " covered + %" PRIu64
	       " unpriced + %" PRIu64 " rejected; %s\n",
	       c.read, c.priced, c.covered, c.unpriced, c.rejected,
	       remit_result_balanced(result) ? "balanced" : "NOT BALANCED");
	remit_result_free(result);

	if (argc > 2) {
		printf("explain %s:\n", argv[2]);
		if (remit_run_explain(run, argv[2], print_text, NULL, &err) != REMIT_OK)
			return fail("explain", &err);
	}
	remit_run_free(run);
	remit_regime_free(regime);
	return 0;
}
