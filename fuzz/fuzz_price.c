/*
 * fuzz_price.c — libFuzzer target: a whole `price` run.
 *
 * The input is an activity file priced with remit_price_buffers under a
 * tiny fixed regime (fuzz/common.h): a prospective bundle subcontracting
 * through a tariff, a retrospective bundle reconciling the tariff's lines,
 * and the tariff itself with readmissions (a per-patient pre-pass), long
 * and short stay, top-ups, uplifts, add-ons, an MFF table with a true
 * fraction, a marginal rate and a quality payment.  The run must fail only
 * with REMIT_EDATA (a broken header or stream) and otherwise satisfy the
 * reconciliation oracle exactly: rows read = priced + covered + unpriced +
 * rejected, and money by payer = by payee = by module = by kind = total =
 * the sum of the lines delivered.  The first row's id is then explained
 * (remit_explain_buffers), which must find it or say it is not found.
 */
#include "common.h"

#include <stdint.h>

static remit_regime *regime;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	regime = fuzz_fixed_regime(fuzz_price_regime);
	return 0;
}

static void ignore_text(void *ud, const char *text)
{
	(void)ud;
	if (!text)
		fuzz_die("explain gave a NULL line");
}

/* The text of the first field of the second line, if short and plain. */
static bool first_id(const uint8_t *data, size_t size, char *id, size_t cap)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl)
		return false;
	const uint8_t *p = nl + 1, *end = data + size;
	size_t n = 0;
	while (p + n < end && p[n] != ',' && p[n] != '\n' && p[n] != '"' && p[n] && n + 1 < cap)
		n++;
	if (n == 0 || n + 1 >= cap)
		return false;
	memcpy(id, p, n);
	id[n] = '\0';
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_tally t;
	remit_run_options opt = fuzz_options(&t);
	remit_result *res = NULL;
	remit_error err;
	int rc = remit_price_buffers(regime, (const char *)data, size, NULL, 0, &opt, &res, &err);
	if (rc == REMIT_OK)
		fuzz_check_result(res, &t);
	else if (rc != REMIT_EDATA || !err.message[0])
		fuzz_die("a run failed without REMIT_EDATA and a message");
	remit__xsum_clear(&t.sum);
	remit_result_free(res);
	char id[64];
	if (rc == REMIT_OK && first_id(data, size, id, sizeof id)) {
		rc = remit_explain_buffers(regime, (const char *)data, size, NULL, 0, id, ignore_text,
					   NULL, &err);
		if (rc != REMIT_OK && rc != REMIT_ENOTFOUND)
			fuzz_die("explain failed after the run succeeded");
	}
	return 0;
}
