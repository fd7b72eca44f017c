/*
 * test_number.c — exact numbers: parsing, arithmetic on both forms,
 * rounding in the seven modes, formatting and sums.
 *
 * Every expected value below was computed by hand (the working is in the
 * comments where it is not obvious), never copied from program output.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "number.h"

static remit__numpool *pool;

static void setup(void)
{
	pool = remit__numpool_new();
}

static void teardown(void)
{
	remit__numpool_free(pool);
	pool = NULL;
}

TestSuite(number, .init = setup, .fini = teardown);

/* Parse any form into the test pool, asserting success. */
static remit__num N(const char *s)
{
	remit__num v = {0, 0, NULL};
	int rc = remit__num_parse(s, strlen(s), REMIT__PARSE_FACTOR, pool, &v);
	cr_assert_eq(rc, 0, "parse \"%s\": %d", s, rc);
	return v;
}

static int parse_rc(const char *s, unsigned allow, remit__numpool *p)
{
	remit__num v;
	return remit__num_parse(s, strlen(s), allow, p, &v);
}

static char buf[4][512];

static const char *fmt(remit__num v, int scale)
{
	static int i;
	char *b = buf[i++ % 4];
	size_t n = remit__num_format(v, scale, b, sizeof(buf[0]));
	cr_assert_eq(n, strlen(b));
	return b;
}

static const char *exact(remit__num v)
{
	static int i;
	char *b = buf[i++ % 4];
	size_t n = remit__num_format_exact(v, b, sizeof(buf[0]));
	cr_assert_eq(n, strlen(b));
	return b;
}

#define ASSERT_EXACT(v, s) cr_assert_str_eq(exact(v), s)
#define ASSERT_EQ_NUM(a, b)                                                             \
	cr_assert_eq(remit__num_cmp(a, b), 0, "%s != %s", exact(a), exact(b))

static remit__num add(remit__num a, remit__num b)
{
	return remit__num_add(pool, a, b);
}
static remit__num sub(remit__num a, remit__num b)
{
	return remit__num_sub(pool, a, b);
}
static remit__num mul(remit__num a, remit__num b)
{
	return remit__num_mul(pool, a, b);
}
static remit__num dv(remit__num a, remit__num b)
{
	return remit__num_div(pool, a, b);
}
static remit__num rnd(remit__num a, int scale, remit__rmode m)
{
	return remit__num_round(pool, a, scale, m);
}

/* ---- parsing ------------------------------------------------------------ */

Test(number, parse_decimals)
{
	remit__num v = N("1234.56");
	cr_assert_null(v.big);
	cr_assert_eq(v.coef, 123456);
	cr_assert_eq(v.exp, 2);
	ASSERT_EXACT(N("-0.5"), "-0.5");
	ASSERT_EXACT(N(".5"), "0.5");
	ASSERT_EXACT(N("-.25"), "-0.25");
	ASSERT_EXACT(N("+7"), "7");
	ASSERT_EXACT(N("007.50"), "7.5");
	ASSERT_EXACT(N("0000000000000000000000000000012.5"), "12.5");
	ASSERT_EXACT(N("1.50000000000000000000000000000000000000000"), "1.5");
	ASSERT_EXACT(N("-0"), "0");
	cr_assert_eq(remit__num_sign(N("-0")), 0);
	ASSERT_EXACT(N("0.000"), "0");
	v = N("9223372036854775807");
	cr_assert_null(v.big);
	cr_assert_eq(v.coef, INT64_MAX);
	v = N("-9223372036854775808");
	cr_assert_null(v.big);
	cr_assert_eq(v.coef, INT64_MIN);
	v = N("9223372036854775808");
	cr_assert_not_null(v.big);
	ASSERT_EXACT(v, "9223372036854775808");
	/* only the first n bytes count */
	cr_assert_eq(remit__num_parse("12345", 3, REMIT__PARSE_DECIMAL, NULL, &v), 0);
	ASSERT_EXACT(v, "123");
}

/* s, read by the quick path for plain decimals, and "+" s, which goes the
 * general way: the same status, coefficient and exponent. */
static void same_as_general(const char *s)
{
	char plus[48];
	snprintf(plus, sizeof plus, "+%s", s);
	remit__num a = {0, 0, NULL}, b = {0, 0, NULL};
	int ra = remit__num_parse(s, strlen(s), REMIT__PARSE_DECIMAL, pool, &a);
	int rb = remit__num_parse(plus, strlen(plus), REMIT__PARSE_DECIMAL, pool, &b);
	cr_assert_eq(ra, rb, "\"%s\": %d, \"%s\": %d", s, ra, plus, rb);
	if (ra)
		return;
	cr_assert_eq(a.big == NULL, b.big == NULL, "\"%s\"", s);
	if (a.big)
		ASSERT_EQ_NUM(a, b);
	else
		cr_assert(a.coef == b.coef && a.exp == b.exp, "\"%s\": %lld e-%d, \"%s\": %lld e-%d",
			  s, (long long)a.coef, a.exp, plus, (long long)b.coef, b.exp);
}

/* A plain decimal (digits and at most one point, no sign: most numbers of
 * a data file) is read by a quick path; written with a "+", the same
 * number goes the general way.  Both must give the same coefficient and
 * exponent (not only the same value), at every length and point place
 * around the 18 digits the quick path takes: all nines, all zeros, and
 * pseudo-random digits (led by a 1 or not). */
Test(number, plain_decimals_read_as_the_general_parser_reads_them)
{
	char s[40];
	unsigned seed = 7;
	for (int len = 1; len <= 22; len++)
		for (int point = -1; point <= len; point++)
			for (int k = 0; k < 6; k++) {
				int n = 0;
				for (int i = 0; i < len; i++) {
					if (i == point)
						s[n++] = '.';
					seed = seed * 1103515245u + 12345u;
					int d = k == 0 ? 9 : k == 1 ? 0 : (int)(seed >> 16) % 10;
					s[n++] = (char)('0' + (i == 0 && k == 2 ? 1 : d));
				}
				if (point == len)
					s[n++] = '.';
				s[n] = '\0';
				same_as_general(s);
			}
	/* the quick path's forms are still refused where decimals are not allowed */
	cr_assert_eq(parse_rc("12", REMIT__PARSE_RATIONAL, pool), REMIT__PARSE_ESYNTAX);
	cr_assert_eq(parse_rc("1.5", REMIT__PARSE_PERCENT, pool), REMIT__PARSE_ESYNTAX);
}

Test(number, parse_percent_and_rational)
{
	remit__num v = N("12.5%");
	cr_assert_null(v.big);
	ASSERT_EXACT(v, "0.125");
	ASSERT_EQ_NUM(v, N("1/8"));
	ASSERT_EXACT(N("1.25%"), "0.0125");
	ASSERT_EXACT(N("5%"), "0.05");
	ASSERT_EXACT(N("-.5%"), "-0.005");
	ASSERT_EXACT(N("100%"), "1");
	v = N("22/7");
	cr_assert_not_null(v.big);
	ASSERT_EXACT(v, "22/7");
	ASSERT_EXACT(N("-3/6"), "-0.5");
	ASSERT_EXACT(N("6/3"), "2");
	ASSERT_EXACT(N("0/5"), "0");
	ASSERT_EXACT(N("10/4"), "2.5");
	ASSERT_EXACT(N("14/21"), "2/3");
	ASSERT_EXACT(N("182/365"), "182/365");
	ASSERT_EXACT(N("1/1024"), "0.0009765625");
	ASSERT_EXACT(N("100000000000000000000000000000/3"), "100000000000000000000000000000/3");
}

Test(number, parse_errors)
{
	cr_assert_eq(parse_rc("", REMIT__PARSE_FACTOR, pool), REMIT__PARSE_EEMPTY);
	const char *bad[] = {"-",    "+",    ".",     "%",    "/",     "1.",   "1.%",  "-.",
			     "1e5",  "1E5",  "1,234.56", " 1", "1 ",   "1 000", "--1",  "+-1",
			     "1/",   "/2",   "1/-2", "1.5/2", "1/2.5", "1/2%", "1%%",  "%1",
			     "0x10", "abc",  "1..2", "1.2.3", "١"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse_rc(bad[i], REMIT__PARSE_FACTOR, pool), REMIT__PARSE_ESYNTAX,
			     "\"%s\"", bad[i]);
	cr_assert_eq(parse_rc("1/0", REMIT__PARSE_FACTOR, pool), REMIT__PARSE_EZERODIV);
	cr_assert_eq(parse_rc("-0/000", REMIT__PARSE_FACTOR, pool), REMIT__PARSE_EZERODIV);
}

Test(number, parse_allowed_forms)
{
	cr_assert_eq(parse_rc("12.5%", REMIT__PARSE_DECIMAL, pool), REMIT__PARSE_ESYNTAX);
	cr_assert_eq(parse_rc("22/7", REMIT__PARSE_DECIMAL | REMIT__PARSE_PERCENT, pool),
		     REMIT__PARSE_ESYNTAX);
	cr_assert_eq(parse_rc("1.5", REMIT__PARSE_RATIONAL, pool), REMIT__PARSE_ESYNTAX);
	cr_assert_eq(parse_rc("1.5", REMIT__PARSE_PERCENT, pool), REMIT__PARSE_ESYNTAX);
	cr_assert_eq(parse_rc("1.5%", REMIT__PARSE_PERCENT, pool), 0);
	cr_assert_eq(parse_rc("1/2", REMIT__PARSE_RATIONAL, pool), 0);
}

Test(number, parse_without_pool)
{
	remit__num v;
	/* decimals and exact rationals need no pool */
	cr_assert_eq(remit__num_parse("1/8", 3, REMIT__PARSE_FACTOR, NULL, &v), 0);
	ASSERT_EXACT(v, "0.125");
	/* 10^30 is coef 10^18, exp -12 */
	const char *e30 = "1000000000000000000000000000000";
	cr_assert_eq(remit__num_parse(e30, strlen(e30), REMIT__PARSE_DECIMAL, NULL, &v), 0);
	cr_assert_null(v.big);
	ASSERT_EXACT(v, e30);
	cr_assert_eq(parse_rc("22/7", REMIT__PARSE_FACTOR, NULL), REMIT__PARSE_ERANGE);
	cr_assert_eq(parse_rc("123456789012345678901234567890", REMIT__PARSE_FACTOR, NULL),
		     REMIT__PARSE_ERANGE);
	cr_assert_eq(parse_rc("0.1234567890123456789012345678901234567", REMIT__PARSE_FACTOR, NULL),
		     REMIT__PARSE_ERANGE);
}

Test(number, rmode_names)
{
	static const char *names[] = {"half-up", "half-even", "half-down", "up",
				      "down",    "floor",     "ceiling"};
	for (int m = 0; m < 7; m++) {
		remit__rmode got;
		cr_assert(remit__rmode_parse(names[m], strlen(names[m]), &got));
		cr_assert_eq(got, (remit__rmode)m);
		cr_assert_str_eq(remit__rmode_name((remit__rmode)m), names[m]);
	}
	remit__rmode got;
	cr_assert_not(remit__rmode_parse("half", 4, &got));
	cr_assert_not(remit__rmode_parse("half-up-", 8, &got));
	cr_assert_not(remit__rmode_parse("HALF-UP", 7, &got));
	cr_assert(remit__rmode_parse("half-upX", 7, &got));
	cr_assert_eq(got, REMIT__HALF_UP);
}

/* ---- rounding ----------------------------------------------------------- */

static const char *const table_in[7] = {"0.125", "-0.125", "0.135", "0.121", "-0.121", "2.5", "-2.5"};
static const int table_scale[7] = {2, 2, 2, 2, 2, 0, 0};
static const char *const table_out[7][7] = {
	[REMIT__HALF_UP] = {"0.13", "-0.13", "0.14", "0.12", "-0.12", "3", "-3"},
	[REMIT__HALF_EVEN] = {"0.12", "-0.12", "0.14", "0.12", "-0.12", "2", "-2"},
	[REMIT__HALF_DOWN] = {"0.12", "-0.12", "0.13", "0.12", "-0.12", "2", "-2"},
	[REMIT__UP] = {"0.13", "-0.13", "0.14", "0.13", "-0.13", "3", "-3"},
	[REMIT__DOWN] = {"0.12", "-0.12", "0.13", "0.12", "-0.12", "2", "-2"},
	[REMIT__FLOOR] = {"0.12", "-0.13", "0.13", "0.12", "-0.13", "2", "-3"},
	[REMIT__CEILING] = {"0.13", "-0.12", "0.14", "0.13", "-0.12", "3", "-2"},
};

Test(number, rounding_table)
{
	for (int m = 0; m < 7; m++) {
		for (int c = 0; c < 7; c++) {
			remit__num r = rnd(N(table_in[c]), table_scale[c], (remit__rmode)m);
			cr_assert_null(r.big);
			cr_assert_eq(r.exp, table_scale[c]);
			cr_assert_str_eq(fmt(r, table_scale[c]), table_out[m][c], "%s %s",
					 remit__rmode_name((remit__rmode)m), table_in[c]);
		}
	}
}

/* The same table through the GMP path: the inputs plus 10^30 are big, and
 * the integer part does not change how the fraction rounds. */
Test(number, rounding_table_big)
{
	remit__num e30 = N("1000000000000000000000000000000");
	for (int m = 0; m < 7; m++) {
		for (int c = 0; c < 7; c++) {
			remit__num in = N(table_in[c]);
			bool neg = remit__num_sign(in) < 0;
			in = neg ? sub(in, e30) : add(in, e30);
			cr_assert_not_null(in.big);
			remit__num r = rnd(in, table_scale[c], (remit__rmode)m);
			/* "-0.13" becomes "-1000000000000000000000000000000.13",
			 * "3" becomes "1000000000000000000000000000003" */
			const char *t = table_out[m][c];
			char want[128];
			snprintf(want, sizeof(want), "%s1%.29d%s", neg ? "-" : "", 0, t + neg);
			cr_assert_str_eq(fmt(r, table_scale[c]), want, "%s %s",
					 remit__rmode_name((remit__rmode)m), table_in[c]);
		}
	}
}

/* The quotient by 10^d as a multiply and a shift (remit__div10) against
 * the processor's division, at the edges and at 20,000 pseudo-random
 * values of every magnitude below 2^63, for each d. */
Test(number, division_by_a_power_of_ten_is_exact)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int d = 1; d <= 18; d++) {
		uint64_t p = (uint64_t)remit__p10[d];
		uint64_t edges[] = {0, 1, p - 1, p, p + 1, 2 * p - 1, (INT64_MAX / p) * p,
				    (INT64_MAX / p) * p - 1, INT64_MAX - 1, INT64_MAX};
		for (int i = 0; i < (int)(sizeof edges / sizeof *edges) + 20000; i++) {
			uint64_t u;
			if (i < (int)(sizeof edges / sizeof *edges)) {
				u = edges[i];
			} else {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
				u = (x >> 1) >> (x % 63); /* any magnitude below 2^63 */
			}
			uint64_t q = (uint64_t)(((unsigned __int128)u * remit__div10[d].m) >> 64) >>
				     remit__div10[d].shift;
			cr_assert_eq(q, u / p, "d %d u %llu", d, (unsigned long long)u);
		}
	}
}

/* remit__round_small in every mode against the definition by magnitude:
 * |c| = q × 10^d + r; up adds 1 when r > 0, half-up when 2r ≥ 10^d,
 * half-down when 2r > 10^d, half-even also at 2r = 10^d when q is odd;
 * floor and ceiling are up or down by sign. */
Test(number, small_rounding_in_every_mode)
{
	uint64_t x = 0x2545f4914f6cdd1dull;
	for (int i = 0; i < 30000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int d = 1 + (int)(x % 20); /* 19 and 20 take the wide path */
		int64_t c = (int64_t)(x >> (x % 61));
		if (i % 3 == 0)
			c = -c;
		if (i == 0)
			c = INT64_MIN;
		if (i % 7 == 1 && d <= 18) /* ties */
			c = (c / remit__p10[d]) * remit__p10[d] + remit__p10[d] / 2 * (c < 0 ? -1 : 1);
		unsigned __int128 m = c < 0 ? (unsigned __int128)(-(__int128)c) : (unsigned __int128)c;
		unsigned __int128 p = 1;
		for (int k = 0; k < d; k++)
			p *= 10;
		unsigned __int128 q = m / p, r = m % p;
		for (int mode = 0; mode < 7; mode++) {
			bool up = r > 0, hu = 2 * r >= p, hd = 2 * r > p, he = hd || (2 * r == p && q % 2);
			bool away[7] = {
				[REMIT__HALF_UP] = up && hu, [REMIT__HALF_EVEN] = up && he,
				[REMIT__HALF_DOWN] = up && hd, [REMIT__UP] = up, [REMIT__DOWN] = false,
				[REMIT__FLOOR] = up && c < 0, [REMIT__CEILING] = up && c > 0,
			};
			__int128 want = (__int128)(q + away[mode]) * (c < 0 ? -1 : 1);
			int64_t got = remit__round_small(c, d, (remit__rmode)mode);
			cr_assert_eq((__int128)got, want, "c %lld d %d %s", (long long)c, d,
				     remit__rmode_name((remit__rmode)mode));
		}
	}
}

Test(number, rounding_negative_scale)
{
	remit__num r = rnd(N("1500"), -3, REMIT__HALF_EVEN);
	cr_assert_null(r.big);
	cr_assert_eq(r.coef, 2);
	cr_assert_eq(r.exp, -3);
	cr_assert_str_eq(fmt(r, -3), "2000");
	r = rnd(N("2500"), -3, REMIT__HALF_EVEN);
	cr_assert_eq(r.coef, 2);
	cr_assert_str_eq(fmt(r, -3), "2000");
	r = rnd(N("1500"), -3, REMIT__HALF_UP);
	cr_assert_eq(r.coef, 2);
	r = rnd(N("1499"), -3, REMIT__HALF_UP);
	cr_assert_eq(r.coef, 1);
	cr_assert_str_eq(fmt(rnd(N("1234567"), -3, REMIT__DOWN), -3), "1234000");
	cr_assert_str_eq(fmt(rnd(N("-1234567"), -3, REMIT__FLOOR), -3), "-1235000");
	cr_assert_str_eq(fmt(rnd(N("499.99"), -3, REMIT__HALF_UP), -3), "0");
	cr_assert_str_eq(fmt(rnd(N("12345.678"), -1, REMIT__CEILING), -1), "12350");
	/* a value already at the scale keeps its value, with exp == scale */
	r = rnd(N("7000"), -3, REMIT__UP);
	cr_assert_eq(r.coef, 7);
	cr_assert_eq(r.exp, -3);
}

Test(number, rounding_scale0_and_padding)
{
	cr_assert_str_eq(fmt(rnd(N("175.7448"), 0, REMIT__HALF_UP), 0), "176");
	cr_assert_str_eq(fmt(rnd(N("-0.5"), 0, REMIT__HALF_EVEN), 0), "0");
	cr_assert_str_eq(fmt(rnd(N("-0.5"), 0, REMIT__HALF_DOWN), 0), "0");
	cr_assert_str_eq(fmt(rnd(N("-0.5"), 0, REMIT__HALF_UP), 0), "-1");
	cr_assert_str_eq(fmt(rnd(N("1.5"), 0, REMIT__HALF_EVEN), 0), "2");
	/* rounding to more places than the value has pads */
	remit__num r = rnd(N("1.5"), 4, REMIT__HALF_UP);
	cr_assert_eq(r.coef, 15000);
	cr_assert_eq(r.exp, 4);
	cr_assert_str_eq(fmt(r, 4), "1.5000");
	/* many more places than the coef has digits (d >= 19) */
	cr_assert_str_eq(fmt(rnd(N("0.5000000000000000000"), 0, REMIT__HALF_UP), 0), "1");
	cr_assert_str_eq(fmt(rnd(N("0.5000000000000000000"), 0, REMIT__HALF_EVEN), 0), "0");
	cr_assert_str_eq(fmt(rnd(N("0.0000000000000000000006"), 0, REMIT__UP), 0), "1");
	cr_assert_str_eq(fmt(rnd(N("-0.0000000000000000000006"), 0, REMIT__FLOOR), 0), "-1");
	cr_assert_str_eq(fmt(rnd(N("0.0000000000000000000006"), 0, REMIT__HALF_UP), 0), "0");
	cr_assert_str_eq(
		fmt(rnd(N("0.000000000000000000000000000000000006"), 0, REMIT__CEILING), 0), "1");
}

Test(number, rounding_fractions)
{
	/* 32396/73 = 443.7808219... */
	remit__num f = N("32396/73");
	cr_assert_str_eq(fmt(rnd(f, 2, REMIT__HALF_UP), 2), "443.78");
	cr_assert_str_eq(fmt(rnd(f, 2, REMIT__UP), 2), "443.79");
	cr_assert_str_eq(fmt(rnd(f, 2, REMIT__DOWN), 2), "443.78");
	cr_assert_str_eq(fmt(rnd(f, 0, REMIT__HALF_UP), 0), "444");
	cr_assert_str_eq(fmt(rnd(f, -2, REMIT__HALF_UP), -2), "400");
	remit__num g = remit__num_neg(pool, f);
	cr_assert_str_eq(fmt(rnd(g, 2, REMIT__FLOOR), 2), "-443.79");
	cr_assert_str_eq(fmt(rnd(g, 2, REMIT__CEILING), 2), "-443.78");
	cr_assert_str_eq(fmt(rnd(g, 2, REMIT__UP), 2), "-443.79");
	cr_assert_str_eq(fmt(rnd(g, 2, REMIT__HALF_EVEN), 2), "-443.78");
	remit__num r = rnd(f, 2, REMIT__HALF_UP);
	cr_assert_null(r.big);
	cr_assert_eq(r.coef, 44378);
	cr_assert_eq(r.exp, 2);
	/* 1/3 and 2/3 at scale 4 */
	cr_assert_str_eq(fmt(rnd(N("1/3"), 4, REMIT__HALF_UP), 4), "0.3333");
	cr_assert_str_eq(fmt(rnd(N("2/3"), 4, REMIT__HALF_DOWN), 4), "0.6667");
	cr_assert_str_eq(fmt(rnd(N("-2/3"), 4, REMIT__DOWN), 4), "-0.6666");
}

Test(number, rounding_big_ties)
{
	remit__num a = N("1000000000000000000000000000002.5");
	remit__num b = N("1000000000000000000000000000003.5");
	cr_assert_not_null(a.big);
	cr_assert_str_eq(fmt(rnd(a, 0, REMIT__HALF_EVEN), 0), "1000000000000000000000000000002");
	cr_assert_str_eq(fmt(rnd(b, 0, REMIT__HALF_EVEN), 0), "1000000000000000000000000000004");
	cr_assert_str_eq(fmt(rnd(a, 0, REMIT__HALF_UP), 0), "1000000000000000000000000000003");
	cr_assert_str_eq(fmt(rnd(a, 0, REMIT__HALF_DOWN), 0), "1000000000000000000000000000002");
	remit__num na = remit__num_neg(pool, a);
	cr_assert_str_eq(fmt(rnd(na, 0, REMIT__HALF_UP), 0), "-1000000000000000000000000000003");
	cr_assert_str_eq(fmt(rnd(na, 0, REMIT__HALF_EVEN), 0), "-1000000000000000000000000000002");
	/* a big result of round is exact and big */
	remit__num r = rnd(a, 0, REMIT__CEILING);
	cr_assert_not_null(r.big);
	ASSERT_EXACT(r, "1000000000000000000000000000003");
}

/* ---- arithmetic and big values ------------------------------------------ */

Test(number, small_arithmetic)
{
	ASSERT_EXACT(add(N("1.5"), N("2.25")), "3.75");
	ASSERT_EXACT(sub(N("1.5"), N("2.25")), "-0.75");
	ASSERT_EXACT(mul(N("1.5"), N("-2.25")), "-3.375");
	ASSERT_EXACT(dv(N("1"), N("8")), "0.125");
	ASSERT_EXACT(dv(N("7"), N("-2")), "-3.5");
	ASSERT_EXACT(dv(N("-0.3"), N("0.03")), "-10");
	ASSERT_EXACT(dv(N("1.2"), N("0.16")), "7.5");
	remit__num q = dv(N("1"), N("8"));
	cr_assert_null(q.big);
	q = dv(N("182"), N("365"));
	cr_assert_not_null(q.big);
	ASSERT_EXACT(q, "182/365");
	ASSERT_EXACT(remit__num_neg(pool, N("2.5")), "-2.5");
	ASSERT_EXACT(add(N("0"), N("-2.5")), "-2.5");
	/* very different exps */
	ASSERT_EXACT(add(N("0.000000000000000001"), N("1000000000000000000")),
		     "1000000000000000000.000000000000000001");
	remit__num t = N("0.000000000000000000000000000000000001");
	ASSERT_EXACT(mul(t, N("1000000000000000000000000000000000000")), "1");
}

Test(number, billing_examples)
{
	/* T1: 7251 × 1.19117 = 863717367 / 10^5 */
	remit__num t1 = mul(N("7251"), N("1.19117"));
	cr_assert_null(t1.big);
	ASSERT_EXACT(t1, "8637.17367");
	cr_assert_str_eq(fmt(rnd(t1, 2, REMIT__HALF_UP), 2), "8637.17");
	cr_assert_str_eq(fmt(rnd(t1, 0, REMIT__HALF_UP), 0), "8637");

	/* T2: (8942 + 4 × 300) × 1.184397 = 10142 × 1.184397 = 12012.154374 */
	remit__num t2 = mul(add(N("8942"), mul(N("4"), N("300"))), N("1.184397"));
	ASSERT_EXACT(t2, "12012.154374");
	cr_assert_str_eq(fmt(rnd(t2, 2, REMIT__HALF_UP), 2), "12012.15");

	/* T4: ((16447 + 3 × 250) × 1.25 + 1335) × 1.19117
	 *   = (17197 × 1.25 + 1335) × 1.19117 = 22831.25 × 1.19117
	 *   = 22831.25 + 22831.25 × 0.19117 = 22831.25 + 4364.6500625
	 *   = 27195.9000625 */
	remit__num t4 = add(N("16447"), mul(N("3"), N("250")));
	t4 = add(mul(t4, N("1.25")), N("1335"));
	ASSERT_EXACT(t4, "22831.25");
	t4 = mul(t4, N("1.19117"));
	ASSERT_EXACT(t4, "27195.9000625");
	cr_assert_str_eq(fmt(rnd(t4, 2, REMIT__HALF_UP), 2), "27195.90");

	/* 168 × 1.0461 = 175.7448 */
	remit__num d = mul(N("168"), N("1.0461"));
	ASSERT_EXACT(d, "175.7448");
	cr_assert_str_eq(fmt(rnd(d, 0, REMIT__HALF_UP), 0), "176");

	/* 890 × 182/365 = 161980/365 = 32396/73 = 443.78082... */
	remit__num p = mul(N("890"), dv(N("182"), N("365")));
	cr_assert_not_null(p.big);
	ASSERT_EXACT(p, "32396/73");
	ASSERT_EQ_NUM(p, N("32396/73"));
	cr_assert_str_eq(fmt(rnd(p, 2, REMIT__HALF_UP), 2), "443.78");
}

Test(number, capitation)
{
	/* 1180 × 1.04 × (1.60 + 1.05 × 182/365 + 3.10 × 1.2 × 91/365)
	 *   = 1227.2 × (584 + 191.1 + 338.52) / 365 = 1227.2 × 1113.62 / 365
	 *   = 1366634.464 / 365 = 1366634464 / 365000 = 170829308 / 45625
	 *   (45625 = 5^4 × 73; 170829308 = 73 × 2340127 + 37)
	 *   = 3744.2040... */
	remit__num d365 = N("365");
	remit__num a = N("1.60");
	remit__num b = mul(N("1.05"), dv(N("182"), d365));
	remit__num c = mul(mul(N("3.10"), N("1.2")), dv(N("91"), d365));
	remit__num v = mul(mul(N("1180"), N("1.04")), add(add(a, b), c));
	cr_assert_not_null(v.big);
	ASSERT_EQ_NUM(v, N("170829308/45625"));
	ASSERT_EXACT(v, "170829308/45625");
	cr_assert_str_eq(fmt(rnd(v, 2, REMIT__HALF_UP), 2), "3744.20");
}

Test(number, demotion)
{
	/* 1/3 × 3 is exactly 1, and small again */
	remit__num third = dv(N("1"), N("3"));
	cr_assert_not_null(third.big);
	remit__num one = mul(third, N("3"));
	cr_assert_null(one.big);
	ASSERT_EQ_NUM(one, REMIT__NUM_ONE);
	ASSERT_EXACT(one, "1");
	/* 182/365 × 365 = 182 */
	remit__num r = mul(N("182/365"), N("365"));
	cr_assert_null(r.big);
	ASSERT_EXACT(r, "182");
	/* 1/3 + 1/6 = 1/2 = 0.5 */
	r = add(third, N("1/6"));
	cr_assert_null(r.big);
	ASSERT_EXACT(r, "0.5");
	/* from_mpq: 3/8 is a decimal, 1/7 is not */
	mpq_t q;
	mpq_init(q);
	mpq_set_si(q, -3, 8);
	r = remit__num_from_mpq(pool, q);
	cr_assert_null(r.big);
	ASSERT_EXACT(r, "-0.375");
	mpq_set_si(q, 1, 7);
	r = remit__num_from_mpq(pool, q);
	cr_assert_not_null(r.big);
	cr_assert(r.big != (mpq_ptr)q);
	ASSERT_EXACT(r, "1/7");
	/* get_mpq: 1.25 is 5/4 in lowest terms */
	remit__num_get_mpq(q, N("1.25"));
	cr_assert_eq(mpz_cmp_ui(mpq_numref(q), 5), 0);
	cr_assert_eq(mpz_cmp_ui(mpq_denref(q), 4), 0);
	remit__num_get_mpq(q, N("-1200"));
	cr_assert_eq(mpz_cmp_si(mpq_numref(q), -1200), 0);
	cr_assert_eq(mpz_cmp_ui(mpq_denref(q), 1), 0);
	mpq_clear(q);
}

Test(number, huge_values)
{
	const char *s30 = "1000000000000000000000000000000";
	remit__num e30 = N(s30);
	cr_assert_null(e30.big);
	remit__num r = add(e30, REMIT__NUM_ONE);
	cr_assert_not_null(r.big);
	ASSERT_EXACT(r, "1000000000000000000000000000001");
	ASSERT_EXACT(add(e30, e30), "2000000000000000000000000000000");
	ASSERT_EXACT(add(e30, N("0.5")), "1000000000000000000000000000000.5");
	/* back down: (10^30 + 1) - 10^30 = 1 */
	remit__num one = sub(r, e30);
	cr_assert_null(one.big);
	ASSERT_EXACT(one, "1");
	remit__num sq = mul(e30, e30);
	ASSERT_EXACT(sq, "1000000000000000000000000000000000000000000000000000000000000");
	ASSERT_EXACT(dv(sq, e30), s30);
	ASSERT_EXACT(mul(r, r), "1000000000000000000000000000002000000000000000000000000000001");
	cr_assert_str_eq(fmt(r, 2), "1000000000000000000000000000001.00");
	cr_assert_str_eq(fmt(remit__num_neg(pool, r), 0), "-1000000000000000000000000000001");
	cr_assert(remit__num_cmp(r, e30) > 0);
	cr_assert(remit__num_cmp(e30, r) < 0);
	cr_assert(remit__num_cmp(remit__num_neg(pool, r), e30) < 0);
	int64_t i;
	cr_assert_not(remit__num_to_i64(e30, &i));
	cr_assert(remit__num_is_int(e30));
	cr_assert(remit__num_is_int(r));
}

Test(number, int64_overflow)
{
	remit__num m = remit__num_int(INT64_MAX);
	/* (2^63 - 1)^2 = 85070591730234615847396907784232501249 */
	remit__num sq = mul(m, m);
	cr_assert_not_null(sq.big);
	ASSERT_EXACT(sq, "85070591730234615847396907784232501249");
	remit__num back = dv(sq, m);
	cr_assert_null(back.big);
	cr_assert_eq(back.coef, INT64_MAX);
	remit__num p1 = add(m, REMIT__NUM_ONE);
	ASSERT_EXACT(p1, "9223372036854775808");
	back = sub(p1, REMIT__NUM_ONE);
	cr_assert_null(back.big);
	cr_assert_eq(back.coef, INT64_MAX);
	/* INT64_MAX × 10 fits once the exp moves: coef stays, exp -1 */
	remit__num t = mul(m, N("10"));
	cr_assert_null(t.big);
	ASSERT_EXACT(t, "92233720368547758070");
	/* the sum of two coefs that overflows int64 at the same exp */
	ASSERT_EXACT(add(N("9223372036854775.807"), N("9223372036854775.807")),
		     "18446744073709551.614");
	remit__num mn = remit__num_int(INT64_MIN);
	remit__num nmn = remit__num_neg(pool, mn);
	ASSERT_EXACT(nmn, "9223372036854775808");
	remit__num back2 = remit__num_neg(pool, nmn);
	cr_assert_null(back2.big);
	cr_assert_eq(back2.coef, INT64_MIN);
	ASSERT_EXACT(sub(mn, REMIT__NUM_ONE), "-9223372036854775809");
	int64_t i;
	cr_assert(remit__num_to_i64(back2, &i));
	cr_assert_eq(i, INT64_MIN);
	cr_assert_not(remit__num_to_i64(nmn, &i));
}

Test(number, compare)
{
	ASSERT_EQ_NUM(N("1.50"), N("1.5"));
	ASSERT_EQ_NUM(N("1500"), N("1500.000"));
	cr_assert(remit__num_cmp(N("1.5"), N("1.49")) > 0);
	cr_assert(remit__num_cmp(N("-1.5"), N("-1.49")) < 0);
	cr_assert(remit__num_cmp(N("-0.000001"), N("0")) < 0);
	cr_assert(remit__num_cmp(N("0.000000000000000000000000000000000001"),
				 N("1000000000000000000000000000000000000")) < 0);
	cr_assert(remit__num_cmp(N("-0.000000000000000000000000000000000001"),
				 N("-1000000000000000000000000000000000000")) > 0);
	cr_assert(remit__num_cmp(N("1/3"), N("0.333")) > 0);
	cr_assert(remit__num_cmp(N("0.333"), N("1/3")) < 0);
	cr_assert(remit__num_cmp(N("1/3"), N("0.3333333333333333333333333334")) < 0);
	cr_assert(remit__num_cmp(N("-1/3"), N("-1")) > 0);
	cr_assert(remit__num_cmp(N("1/3"), N("2/3")) < 0);
	cr_assert(remit__num_cmp(N("1/3"), N("1000000000000000000000")) < 0);
	cr_assert_eq(remit__num_sign(N("-1/3")), -1);
	cr_assert_eq(remit__num_sign(N("0.00")), 0);
	cr_assert_eq(remit__num_sign(N("0.01")), 1);
	cr_assert(remit__num_is_int(N("12.00")));
	cr_assert_not(remit__num_is_int(N("12.01")));
	cr_assert_not(remit__num_is_int(N("1/3")));
	cr_assert_not(remit__num_is_int(N("0.0000000000000000000001")));
	int64_t i;
	cr_assert(remit__num_to_i64(N("12.00"), &i));
	cr_assert_eq(i, 12);
	cr_assert(remit__num_to_i64(N("-3000"), &i));
	cr_assert_eq(i, -3000);
	cr_assert_not(remit__num_to_i64(N("1.5"), &i));
	cr_assert(remit__num_to_i64(mul(N("1/3"), N("6")), &i));
	cr_assert_eq(i, 2);
}

/* ---- formatting --------------------------------------------------------- */

Test(number, format)
{
	cr_assert_str_eq(fmt(N("0"), 2), "0.00");
	cr_assert_str_eq(fmt(N("-0"), 2), "0.00");
	cr_assert_str_eq(fmt(N("0.5"), 2), "0.50");
	cr_assert_str_eq(fmt(N("-0.05"), 2), "-0.05");
	cr_assert_str_eq(fmt(N("-12.3"), 2), "-12.30");
	cr_assert_str_eq(fmt(N("8637"), 0), "8637");
	cr_assert_str_eq(fmt(N("12000"), -3), "12000");
	cr_assert_str_eq(fmt(N("0"), -3), "0");
	cr_assert_str_eq(fmt(N("-12000"), -3), "-12000");
	cr_assert_str_eq(fmt(N("1.5"), 6), "1.500000");
	cr_assert_str_eq(fmt(N("0.001"), 3), "0.001");
	/* not a multiple of the scale: rounded half-even */
	cr_assert_str_eq(fmt(N("-0.001"), 2), "0.00");
	cr_assert_str_eq(fmt(N("0.125"), 2), "0.12");
	/* the largest small values fit REMIT__NUM_BUF */
	char b[REMIT__NUM_BUF];
	remit__num big = {INT64_MIN, -REMIT__EXP_MAX, NULL};
	size_t n = remit__num_format(big, REMIT__EXP_MAX, b, sizeof(b));
	cr_assert_eq(n, 1 + 19 + 36 + 1 + 36);
	cr_assert_eq(strlen(b), n);
	cr_assert_eq(strncmp(b, "-9223372036854775808000", 23), 0);
	/* truncation to cap - 1 bytes */
	n = remit__num_format(N("1234.56"), 2, b, 5);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(b, "1234");
	n = remit__num_format_exact(N("1/3"), b, 2);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(b, "1");
}

Test(number, format_exact_and_explain)
{
	ASSERT_EXACT(N("1.50"), "1.5");
	ASSERT_EXACT(N("-3"), "-3");
	ASSERT_EXACT(N("-3.000"), "-3");
	ASSERT_EXACT(N("0.125"), "0.125");
	ASSERT_EXACT(N("-0.0125"), "-0.0125");
	ASSERT_EXACT(N("12000"), "12000");
	ASSERT_EXACT(mul(N("1200"), N("1000000000")), "1200000000000");
	ASSERT_EXACT(N("-22/7"), "-22/7");
	ASSERT_EXACT(N("8637.17367"), "8637.17367");

	char b[REMIT__NUM_BUF];
	/* 32396/73: 73 × 443 = 32339, 57/73 = 0.780821 9... */
	remit__num_format_explain(N("32396/73"), 6, b, sizeof(b));
	cr_assert_str_eq(b, "32396/73 = 443.780821\u2026");
	remit__num_format_explain(N("-1/3"), 3, b, sizeof(b));
	cr_assert_str_eq(b, "-1/3 = -0.333\u2026");
	remit__num_format_explain(N("2/3"), 0, b, sizeof(b));
	cr_assert_str_eq(b, "2/3 = 0\u2026");
	remit__num_format_explain(N("1/8"), 6, b, sizeof(b));
	cr_assert_str_eq(b, "0.125");
	remit__num_format_explain(N("8637.17367"), 2, b, sizeof(b));
	cr_assert_str_eq(b, "8637.17367");
}

/* ---- the pool ----------------------------------------------------------- */

Test(number, pool_reuse_and_keep)
{
	remit__numpool *consts = remit__numpool_new();
	remit__num k = remit__num_keep(consts, N("1/7"));
	remit__num s = remit__num_keep(consts, N("2.5"));
	cr_assert_null(s.big);
	remit__numpool_reset(pool);
	for (int round = 0; round < 3; round++) {
		remit__num acc = REMIT__NUM_ZERO;
		mpq_ptr first = NULL;
		/* 200 big values: several chunks */
		for (int i = 0; i < 200; i++) {
			acc = add(acc, k);
			if (i == 0)
				first = acc.big;
		}
		/* 200/7 */
		ASSERT_EXACT(acc, "200/7");
		remit__numpool_reset(pool);
		/* after a reset the same registers come back */
		remit__num again = add(REMIT__NUM_ZERO, k);
		cr_assert_eq(again.big, first);
		ASSERT_EXACT(again, "1/7");
		remit__numpool_reset(pool);
	}
	/* the kept value survived the resets */
	ASSERT_EXACT(k, "1/7");
	/* inputs of big ops are not modified */
	remit__num a = N("1/3"), b = N("1/6");
	remit__num c = add(a, remit__num_neg(pool, b));
	ASSERT_EXACT(a, "1/3");
	ASSERT_EXACT(b, "1/6");
	ASSERT_EXACT(c, "1/6");
	remit__numpool_free(consts);
	remit__numpool_reset(NULL);
	remit__numpool_free(NULL);
}

/* ---- sums --------------------------------------------------------------- */

static const char *sumfmt(const remit__sum *s, int scale)
{
	static int i;
	char *b = buf[i++ % 4];
	size_t n = remit__sum_format(s, scale, b, sizeof(buf[0]));
	cr_assert_eq(n, strlen(b));
	return b;
}

Test(number, sum_small)
{
	remit__sum s = REMIT__SUM_INIT;
	cr_assert_str_eq(sumfmt(&s, 2), "0.00");
	remit__sum_add(&s, N("8637.17"), 2);
	remit__sum_add(&s, N("27195.9"), 2);
	remit__sum_add(&s, N("-0.07"), 2);
	remit__sum_add(&s, N("12"), 2);
	/* 8637.17 + 27195.90 - 0.07 + 12 = 35845.00 */
	cr_assert_str_eq(sumfmt(&s, 2), "35845.00");
	remit__num v = remit__sum_get(&s, 2, pool);
	cr_assert_null(v.big);
	cr_assert_eq(v.coef, 3584500);
	cr_assert_eq(v.exp, 2);
	remit__sum t = REMIT__SUM_INIT;
	remit__sum_add(&t, N("0.01"), 2);
	remit__sum_add_sum(&t, &s);
	cr_assert_str_eq(sumfmt(&t, 2), "35845.01");
	cr_assert(remit__sum_cmp(&t, &s) > 0);
	cr_assert(remit__sum_cmp(&s, &t) < 0);
	remit__sum_sub_sum(&t, &s);
	cr_assert_str_eq(sumfmt(&t, 2), "0.01");
	remit__sum_sub_sum(&t, &t);
	cr_assert_str_eq(sumfmt(&t, 2), "0.00");
	/* a sum at scale -3 of amounts in thousands */
	remit__sum k = REMIT__SUM_INIT;
	remit__sum_add(&k, N("12000"), -3);
	remit__sum_add(&k, N("-3000"), -3);
	cr_assert_str_eq(sumfmt(&k, -3), "9000");
	remit__sum_clear(&s);
	remit__sum_clear(&t);
	remit__sum_clear(&k);
}

Test(number, sum_overflow)
{
	/* 9×10^35 + 0.25 at scale 2 is 9×10^37 + 25 units: fits 128 bits
	 * (2^127 ≈ 1.7×10^38); twice that does not. */
	const char *x = "900000000000000000000000000000000000.25";
	remit__sum s = REMIT__SUM_INIT;
	for (int i = 0; i < 3; i++)
		remit__sum_add(&s, N(x), 2);
	cr_assert_not_null(s.big);
	/* 3 × 9×10^35 = 2.7×10^36; 3 × 0.25 = 0.75 */
	cr_assert_str_eq(sumfmt(&s, 2), "2700000000000000000000000000000000000.75");
	/* big values near 10^40, many times */
	remit__num e40 = N("10000000000000000000000000000000000000000");
	for (int i = 0; i < 100; i++)
		remit__sum_add(&s, e40, 2);
	for (int i = 0; i < 1000; i++)
		remit__sum_add(&s, N("0.01"), 2);
	/* 100 × 10^40 + 2.7×10^36 = 1000002.7 × 10^36 = 10000027 × 10^35;
	 * + 0.75 + 1000 × 0.01 = 10.75 */
	char want[128];
	snprintf(want, sizeof(want), "10000027%.33d10.75", 0);
	cr_assert_eq(strlen(want), 43 + 3);
	cr_assert_str_eq(sumfmt(&s, 2), want);
	remit__num v = remit__sum_get(&s, 2, pool);
	cr_assert_not_null(v.big);
	cr_assert_str_eq(exact(v), want);

	/* subtracting it all back leaves an exact zero; comparisons mix forms */
	remit__sum z = REMIT__SUM_INIT, one = REMIT__SUM_INIT;
	remit__sum_add(&one, N("1"), 2);
	cr_assert(remit__sum_cmp(&s, &one) > 0);
	cr_assert(remit__sum_cmp(&one, &s) < 0);
	remit__sum_add_sum(&z, &s);
	cr_assert_eq(remit__sum_cmp(&z, &s), 0);
	remit__sum_sub_sum(&z, &s);
	cr_assert_str_eq(sumfmt(&z, 2), "0.00");
	v = remit__sum_get(&z, 2, pool);
	cr_assert_null(v.big);
	cr_assert_eq(v.coef, 0);
	remit__sum_sub_sum(&z, &s);
	cr_assert(remit__sum_cmp(&z, &one) < 0);
	snprintf(want, sizeof(want), "-10000027%.33d10.75", 0);
	cr_assert_str_eq(sumfmt(&z, 2), want);

	/* overflow by adding two sums just under 2^127 units:
	 * 1.2×10^38 units × 2 = 2.4×10^38 = 2400000000000000000000000000000000000.00 */
	remit__sum h = REMIT__SUM_INIT, h2 = REMIT__SUM_INIT;
	remit__sum_add(&h, N("1200000000000000000000000000000000000"), 2);
	cr_assert_null(h.big);
	remit__sum_add_sum(&h2, &h);
	remit__sum_add_sum(&h2, &h);
	cr_assert_not_null(h2.big);
	snprintf(want, sizeof(want), "24%.35d.00", 0);
	cr_assert_str_eq(sumfmt(&h2, 2), want);
	remit__sum_clear(&z);
	remit__sum_clear(&one);
	remit__sum_clear(&h);
	remit__sum_clear(&h2);
	remit__sum_clear(&s);
}

/* ---- steady state: no allocation ------------------------------------------ */

static size_t nalloc;

static void *count_alloc(size_t n)
{
	nalloc++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t old, size_t n)
{
	(void)old;
	nalloc++;
	return realloc(p, n);
}

static void count_free(void *p, size_t n)
{
	(void)n;
	free(p);
}

/* A row loop that needs fractions: once the pool has grown and its limbs
 * are large enough, reset-and-reuse allocates nothing. */
Test(number, steady_state_allocates_nothing)
{
	remit__numpool *consts = remit__numpool_new();
	remit__num f = remit__num_keep(consts, N("182/365"));
	remit__num tariff = N("1.19117");
	void *(*oa)(size_t);
	void *(*or)(void *, size_t, size_t);
	void (*of)(void *, size_t);
	mp_get_memory_functions(&oa, &or, &of);
	mp_set_memory_functions(count_alloc, count_realloc, count_free);
	remit__sum total = REMIT__SUM_INIT;
	size_t before = 0;
	for (int i = 0; i < 200; i++) {
		if (i == 100)
			before = nalloc;
		remit__numpool_reset(pool);
		/* big unless 7000 + i is a multiple of 73 */
		remit__num v = mul(mul(remit__num_int(7000 + i), f), tariff);
		v = rnd(v, 2, REMIT__HALF_UP);
		cr_assert_null(v.big);
		remit__sum_add(&total, v, 2);
	}
	cr_assert_eq(nalloc, before, "%zu allocations in the steady state", nalloc - before);
	mp_set_memory_functions(oa, or, of);
	remit__sum_clear(&total);
	remit__numpool_free(consts);
}

/* ---- exact sums of any values (remit__xsum) ---------------------------- */

static remit__num q(remit__numpool *p, const char *s)
{
	remit__num v;
	cr_assert_eq(remit__num_parse(s, strlen(s), REMIT__PARSE_FACTOR, p, &v), 0, "%s", s);
	return v;
}

static void expect_xsum(const remit__xsum *s, remit__numpool *p, const char *want)
{
	char text[256];
	remit__num_format_exact(remit__xsum_get(s, p), text, sizeof text);
	cr_assert_str_eq(text, want);
}

Test(xsum, decimals_and_fractions_add_exactly)
{
	remit__numpool *p = remit__numpool_new();
	remit__xsum s = REMIT__XSUM_INIT;
	remit__xsum_add(&s, q(p, "0.1"));
	remit__xsum_add(&s, q(p, "0.2"));
	expect_xsum(&s, p, "0.3");
	/* 1/3 + 2/3 = 1, added to 0.3 */
	remit__xsum_add(&s, q(p, "1/3"));
	remit__xsum_add(&s, q(p, "2/3"));
	expect_xsum(&s, p, "1.3");
	/* − 32396/73 (890 × 182/365): 1.3 − 32396/73 = (94.9 − 32396)/73 = −32301.1/73 */
	remit__xsum_sub(&s, q(p, "32396/73"));
	expect_xsum(&s, p, "-323011/730");
	remit__xsum_clear(&s);
	remit__numpool_free(p);
}

Test(xsum, values_beyond_128_bits_stay_exact)
{
	remit__numpool *p = remit__numpool_new();
	remit__xsum s = REMIT__XSUM_INIT, t = REMIT__XSUM_INIT;
	/* 10^21 at 18 decimals is 10^39 units: past 2^127 ≈ 1.7 × 10^38 */
	remit__xsum_add(&s, q(p, "1000000000000000000000"));
	remit__xsum_add(&s, q(p, "0.000000000000000001"));
	expect_xsum(&s, p, "1000000000000000000000.000000000000000001");
	/* 1.5 × 10^20 twice: the 128-bit part overflows on the second add */
	remit__xsum_add(&t, q(p, "150000000000000000000"));
	remit__xsum_add(&t, q(p, "150000000000000000000"));
	expect_xsum(&t, p, "300000000000000000000");
	remit__xsum_add_xsum(&s, &t);
	expect_xsum(&s, p, "1300000000000000000000.000000000000000001");
	remit__xsum_clear(&s);
	remit__xsum_clear(&t);
	remit__numpool_free(p);
}
