/*
 * phb.c — personal health budgets, as a remit plugin built outside remit.
 *
 * Each person of the population file who is eligible gets the annual
 * budget, pro rata to the days of the regime's period they are registered,
 * paid by their commissioner to the provider they chose (an extra column of
 * the population file; their practice if it is empty).  Activity delivered
 * under the budgets (the rows `covers` matches) is covered by them, not
 * paid again.
 *
 *   - module: phb
 *     name: chc-budgets
 *     covers: pod == PHB             activity paid from the budgets
 *     eligible: conditions has CHC   who has a budget (population fields)
 *     annual: 12000.00               a year's budget
 *     holder: phb_holder             the population column naming the
 *                                      chosen provider (optional)
 *
 * Worked: a 365-day period, registered 2024-10-01 onwards: 182 days, so
 * 12000 × 182/365 = 5983.5616… → 5983.56.  The fraction is handed to remit
 * as text ("182/365"): remit multiplies exactly and rounds once.
 *
 * Everything the plugin asks of remit goes through the host table, so the
 * .so needs remit.h to compile and nothing to link.
 */
#include "remit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct phb {
	const remit_plugin_pred *eligible;
	const char *annual;
	int64_t from, to; /* the regime's period, days */
	int f_from, f_to, f_holder;
	int has_holder;
} phb;

static const remit_plugin_key keys[] = {
	{"eligible", 1}, {"annual", 1}, {"holder", 0}, {NULL, 0}};

static int parse(const remit_plugin_host *h, remit_plugin_config *c, void **out)
{
	phb *p = calloc(1, sizeof *p);
	const char *column;
	int rc = REMIT_OK;
	if (!p)
		return REMIT_ENOMEM;
	*out = p;
	if (h->config_predicate(c, "eligible", REMIT_PLUGIN_POPULATION, &p->eligible) < 0)
		rc = REMIT_ERULES;
	if (h->config_number(c, "annual", &p->annual) < 0)
		rc = REMIT_ERULES;
	if (h->config_period(c, &p->from, &p->to) != REMIT_OK) {
		h->config_error(c, NULL, "needs the regime's period (period: {start, end})");
		rc = REMIT_ERULES;
	}
	h->config_field(c, REMIT_PLUGIN_POPULATION, "from", &p->f_from);
	h->config_field(c, REMIT_PLUGIN_POPULATION, "to", &p->f_to);
	int r = h->config_string(c, "holder", &column);
	if (r == REMIT_OK)
		r = h->config_field(c, REMIT_PLUGIN_POPULATION, column, &p->f_holder);
	if (r < 0 && r != REMIT_ENOTFOUND)
		rc = REMIT_ERULES;
	p->has_holder = r == REMIT_OK;
	return rc;
}

/* One person: the budget for the days registered within the period. */
static void person(const remit_plugin_host *h, const void *instance, remit_plugin_row *row)
{
	const phb *p = instance;
	char times[64], basis[128], holder[256];
	int64_t from, to;
	if (!h->row_matches(row, p->eligible))
		return;
	if (h->row_int(row, p->f_from, &from) != REMIT_OK)
		return;
	if (h->row_int(row, p->f_to, &to) != REMIT_OK)
		to = p->to; /* still registered */
	int64_t a = from > p->from ? from : p->from, b = to < p->to ? to : p->to;
	if (b < a)
		return; /* not registered during the period */
	int64_t days = b - a + 1, year = p->to - p->from + 1;
	snprintf(times, sizeof times, "%" PRId64 "/%" PRId64, days, year);
	snprintf(basis, sizeof basis, "budget %s x %s days registered", p->annual, times);
	remit_plugin_line line = {
		.kind = "budget",
		.amount = p->annual,
		.times = times,
		.component = REMIT_C_BUDGET,
		.basis = basis,
	};
	const char *text;
	size_t len;
	if (p->has_holder && h->row_text(row, p->f_holder, &text, &len) == REMIT_OK &&
	    len < sizeof holder) {
		memcpy(holder, text, len); /* row text is not NUL-terminated */
		holder[len] = '\0';
		line.payee = holder;
	}
	h->emit(row, &line);
}

/* Activity under the budgets is paid for by them. */
static int price(const remit_plugin_host *h, const void *instance, remit_plugin_row *row)
{
	h->trace(row, "covered by the personal health budgets");
	return REMIT_PLUGIN_COVERED;
}

static void phb_free(void *instance)
{
	free(instance);
}

static const remit_plugin plugin = {
	.version = REMIT_PLUGIN_VERSION,
	.name = "phb",
	.keys = keys,
	.parse = parse,
	.price = price,
	.person = person,
	.free = phb_free,
};

REMIT_PLUGIN_EXPORT const remit_plugin *remit_plugin_entry(void);
const remit_plugin *remit_plugin_entry(void)
{
	return &plugin;
}
