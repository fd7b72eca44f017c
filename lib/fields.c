/*
 * fields.c — the columns of DATA.md, calendar dates, and list fields.
 *
 * Dates are counted in days since 1970-01-01 on the proleptic Gregorian
 * calendar (Howard Hinnant's days_from_civil), so comparing, subtracting and
 * pro-rating dates is integer arithmetic.
 */
#include "fields.h"

static const remit__field activity_fields[REMIT__A_COUNT] = {
	[REMIT__A_ID] = {"id", REMIT__T_STR, true},
	[REMIT__A_PATIENT] = {"patient", REMIT__T_STR, true},
	[REMIT__A_PROVIDER] = {"provider", REMIT__T_STR, true},
	[REMIT__A_COMMISSIONER] = {"commissioner", REMIT__T_STR, true},
	[REMIT__A_POD] = {"pod", REMIT__T_STR, true},
	[REMIT__A_CODE] = {"code", REMIT__T_STR, true},
	[REMIT__A_START] = {"start", REMIT__T_DATE, true},
	[REMIT__A_END] = {"end", REMIT__T_DATE, false},
	[REMIT__A_LOS] = {"los", REMIT__T_INT, false},
	[REMIT__A_AGE] = {"age", REMIT__T_INT, false},
	[REMIT__A_SEX] = {"sex", REMIT__T_SEX, false},
	[REMIT__A_DIAGNOSES] = {"diagnoses", REMIT__T_LIST, false},
	[REMIT__A_PROCEDURES] = {"procedures", REMIT__T_LIST, false},
	[REMIT__A_FLAGS] = {"flags", REMIT__T_LIST, false},
	[REMIT__A_COST] = {"cost", REMIT__T_DEC, false},
	[REMIT__A_QUANTITY] = {"quantity", REMIT__T_DEC, false},
};

static const remit__field population_fields[REMIT__P_COUNT] = {
	[REMIT__P_PATIENT] = {"patient", REMIT__T_STR, true},
	[REMIT__P_PRACTICE] = {"practice", REMIT__T_STR, true},
	[REMIT__P_COMMISSIONER] = {"commissioner", REMIT__T_STR, true},
	[REMIT__P_FROM] = {"from", REMIT__T_DATE, true},
	[REMIT__P_TO] = {"to", REMIT__T_DATE, false},
	[REMIT__P_AGE] = {"age", REMIT__T_INT, true},
	[REMIT__P_SEX] = {"sex", REMIT__T_SEX, true},
	[REMIT__P_CONDITIONS] = {"conditions", REMIT__T_LIST, false},
	[REMIT__P_TIER] = {"tier", REMIT__T_STR, false},
	[REMIT__P_NEED] = {"need", REMIT__T_DEC, false},
};

const remit__schema remit__activity_schema = {"activity", activity_fields, REMIT__A_COUNT};
const remit__schema remit__population_schema = {"population", population_fields, REMIT__P_COUNT};

int remit__schema_find(const remit__schema *s, const char *name, size_t n)
{
	for (int i = 0; i < s->nfields; i++)
		if (strlen(s->fields[i].name) == n && memcmp(s->fields[i].name, name, n) == 0)
			return i;
	return -1;
}

void remit__date_format(int64_t days, char out[11])
{
	/* civil_from_days */
	days += 719468;
	const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	const unsigned doe = (unsigned)(days - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	const unsigned d = doy - (153 * mp + 2) / 5 + 1;
	const unsigned m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
	if (y < 0 || y > 9999)
		y = 0;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

bool remit__list_next(remit__str list, uint32_t *pos, remit__str *item)
{
	while (*pos < list.n) {
		const char *p = list.p + *pos;
		const char *bar = memchr(p, '|', list.n - *pos);
		uint32_t len = bar ? (uint32_t)(bar - p) : list.n - *pos;
		*pos += len + (bar != NULL);
		if (len > 0) {
			item->p = p;
			item->n = len;
			return true;
		}
	}
	return false;
}
