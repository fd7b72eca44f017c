/*
 * fuzz_rules.c — libFuzzer target: the rule-file loader.
 *
 * The input is a rule file's text, loaded with remit_regime_load_string
 * (YAML → regime: structure checks, includes, tables, predicates, every
 * module's parse and link).  Every error must come back as a diagnostic
 * with a position inside the text, never as a crash, a leak or a hang.
 * A regime that loads is then run over a fixed activity and population
 * (fuzz/common.h) and must satisfy the reconciliation oracle: so a rule
 * file that loads but cannot be priced consistently is a finding too.
 *
 * Relative file names in the input (include:, file:) resolve against the
 * working directory; scripts/fuzz.sh runs this target in fuzz/data/, which
 * holds small tables and an includable file.
 */
#include "common.h"

#include <stdint.h>

static void on_diag(void *ud, const remit_error *e)
{
	size_t *n = ud;
	if (e->status != REMIT_ERULES || !e->message[0])
		fuzz_die("a diagnostic without status or message");
	++*n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	remit_regime *r = NULL;
	remit_error err;
	size_t ndiag = 0;
	int rc = remit_regime_load_string((const char *)data, size, "fuzz.yaml", on_diag, &ndiag,
					  &r, &err);
	if (rc != REMIT_OK) {
		if (r || ndiag == 0 || err.status != rc)
			fuzz_die("a failed load without diagnostics");
		return 0;
	}
	if (ndiag)
		fuzz_die("diagnostics from a load that succeeded");
	remit_regime_check_fields(r, NULL, NULL, NULL, &err);
	fuzz_tally t;
	remit_run_options opt = fuzz_options(&t);
	remit_result *res = NULL;
	rc = remit_price_buffers(r, fuzz_activity_csv, sizeof fuzz_activity_csv - 1,
				 fuzz_population_csv, sizeof fuzz_population_csv - 1, &opt, &res,
				 &err);
	if (rc == REMIT_OK)
		fuzz_check_result(res, &t);
	else if (rc != REMIT_ERULES && /* a field the fixed activity lacks */
		 !(rc == REMIT_EDATA && strstr(err.message, "cannot be paid exactly")))
		/* (a payment past what prints exactly stops the run with
		 * REMIT_EDATA: docs/limits.md, "Amounts") */
		fuzz_die("a loaded regime failed to price the fixed data");
	remit__xsum_clear(&t.sum);
	remit_result_free(res);
	remit_regime_free(r);
	return 0;
}
