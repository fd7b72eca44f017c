/*
 * number.h — exact amounts and factors.
 *
 * A remit__num is an exact rational number held in one of two forms:
 *
 *   small:  value = coef × 10^(-exp), with coef an int64_t and exp in
 *           [-REMIT__EXP_MAX, REMIT__EXP_MAX].  Every decimal that fits in
 *           18 significant digits, every price, MFF and percentage of a real
 *           rule file lives here, and arithmetic on it is a handful of
 *           integer instructions with 128-bit intermediates.
 *   big:    big != NULL and the value is the GMP rational *big, which is
 *           owned by a remit__numpool.  Used when a small result would
 *           overflow, or when the value is a true fraction (182/365, 1/3)
 *           that has no finite decimal expansion.
 *
 * Operations never lose precision.  They demote a big result back to the
 * small form whenever it is a decimal that fits, so a chain of operations
 * stays on the fast path except while it truly cannot.
 *
 * Rounding happens only in remit__num_round, with one of the seven modes of
 * the spec, at any scale (negative scales round to tens, hundreds, ...).
 *
 * No floating point anywhere.
 */
#ifndef REMIT_NUMBER_H
#define REMIT_NUMBER_H

#include <gmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REMIT__EXP_MAX 36 /* |exp| of the small form; beyond it: big */

typedef struct remit__num {
	int64_t coef;
	int32_t exp;
	mpq_ptr big; /* NULL for the small form */
} remit__num;

/* A pool of GMP rationals that big values live in.  Take registers with
 * remit__num ops; remit__numpool_reset() makes every register reusable
 * (without freeing GMP limbs, so a steady state allocates nothing); a
 * value taken from a pool is valid until the next reset or free.
 * Constants of a rule file live in a pool that is never reset. */
typedef struct remit__numpool remit__numpool;

remit__numpool *remit__numpool_new(void);
void remit__numpool_reset(remit__numpool *p);
void remit__numpool_free(remit__numpool *p);

/* Rounding modes, as in Java's RoundingMode.  The names are the spec's. */
typedef enum remit__rmode {
	REMIT__HALF_UP,   /* ties away from zero */
	REMIT__HALF_EVEN, /* ties to the even neighbour */
	REMIT__HALF_DOWN, /* ties toward zero */
	REMIT__UP,        /* away from zero */
	REMIT__DOWN,      /* toward zero (truncate) */
	REMIT__FLOOR,     /* toward -infinity */
	REMIT__CEILING,   /* toward +infinity */
} remit__rmode;

/* "half-up" → REMIT__HALF_UP etc.; false for an unknown name. */
bool remit__rmode_parse(const char *s, size_t n, remit__rmode *out);
const char *remit__rmode_name(remit__rmode m);

/* ---- construction ---------------------------------------------------- */

static inline remit__num remit__num_int(int64_t v)
{
	remit__num r = {v, 0, NULL};
	return r;
}
#define REMIT__NUM_ZERO remit__num_int(0)
#define REMIT__NUM_ONE remit__num_int(1)

/* Parse text exactly.  Grammar (no spaces, no thousands separators):
 *   decimal     [+-]?digits[.digits] | [+-]?.digits      "1234.56" "-0.5"
 *   percentage  decimal%                                  "12.5%" → 1/8
 *   rational    [+-]?digits/digits                        "22/7"
 * `allow` says which of the three forms are accepted (REMIT__PARSE_*).
 * Values that do not fit the small form are put in a big register of
 * `pool` (pool may be NULL only if the caller accepts failure for them).
 * Returns 0, or a negative REMIT__PARSE_E* code:
 *   EMPTY (no text), SYNTAX (not a number of an allowed form),
 *   ZERODIV (a rational with denominator 0), RANGE (needs a pool, none given). */
enum {
	REMIT__PARSE_DECIMAL = 1,
	REMIT__PARSE_PERCENT = 2,
	REMIT__PARSE_RATIONAL = 4,
	REMIT__PARSE_FACTOR = 7, /* any of the three */
};
enum {
	REMIT__PARSE_EEMPTY = -1,
	REMIT__PARSE_ESYNTAX = -2,
	REMIT__PARSE_EZERODIV = -3,
	REMIT__PARSE_ERANGE = -4,
};
int remit__num_parse(const char *s, size_t n, unsigned allow, remit__numpool *pool,
		     remit__num *out);

/* Copy v into the long-lived pool `dst` (a no-op for small values). */
remit__num remit__num_keep(remit__numpool *dst, remit__num v);

/* ---- arithmetic (exact; big results are taken from `pool`) ------------ */

/* The common case (both small, equal exponents, no overflow) is inline;
 * everything else goes to the general functions (*_any), which give the
 * same results. */
remit__num remit__num_add_any(remit__numpool *pool, remit__num a, remit__num b);
remit__num remit__num_sub_any(remit__numpool *pool, remit__num a, remit__num b);
remit__num remit__num_mul_any(remit__numpool *pool, remit__num a, remit__num b);
/* b must not be zero (callers check with remit__num_sign). */
remit__num remit__num_div(remit__numpool *pool, remit__num a, remit__num b);
remit__num remit__num_neg(remit__numpool *pool, remit__num a);
int remit__num_cmp_any(remit__num a, remit__num b);
int remit__num_sign_big(remit__num a);
bool remit__num_is_int(remit__num a);           /* exactly an integer */

static inline remit__num remit__num_add(remit__numpool *pool, remit__num a, remit__num b)
{
	int64_t c;
	if (!a.big && !b.big) {
		if (a.exp == b.exp && !__builtin_add_overflow(a.coef, b.coef, &c)) {
			remit__num r = {c, a.exp, NULL};
			return r;
		}
		if (b.coef == 0)
			return a;
		if (a.coef == 0)
			return b;
	}
	return remit__num_add_any(pool, a, b);
}

static inline remit__num remit__num_sub(remit__numpool *pool, remit__num a, remit__num b)
{
	int64_t c;
	if (!a.big && !b.big) {
		if (a.exp == b.exp && !__builtin_sub_overflow(a.coef, b.coef, &c)) {
			remit__num r = {c, a.exp, NULL};
			return r;
		}
		if (b.coef == 0)
			return a;
	}
	return remit__num_sub_any(pool, a, b);
}

static inline remit__num remit__num_mul(remit__numpool *pool, remit__num a, remit__num b)
{
	int64_t c;
	int e = a.exp + b.exp;
	if (!a.big && !b.big && e >= -REMIT__EXP_MAX && e <= REMIT__EXP_MAX &&
	    !__builtin_mul_overflow(a.coef, b.coef, &c)) {
		remit__num r = {c, e, NULL};
		return r;
	}
	return remit__num_mul_any(pool, a, b);
}

/* -1, 0, 1 */
static inline int remit__num_sign(remit__num a)
{
	if (!a.big)
		return (a.coef > 0) - (a.coef < 0);
	return remit__num_sign_big(a);
}

/* <0, 0, >0 */
static inline int remit__num_cmp(remit__num a, remit__num b)
{
	if (!a.big && !b.big && a.exp == b.exp)
		return (a.coef > b.coef) - (a.coef < b.coef);
	return remit__num_cmp_any(a, b);
}

/* Round to `scale` decimal places with `mode`.  The result is small with
 * exp == scale when it fits (scale < 0 gives exp < 0: coef × 10^|scale|),
 * else big.  scale must lie in [-REMIT__EXP_MAX, REMIT__EXP_MAX]. */
remit__num remit__num_round(remit__numpool *pool, remit__num a, int scale, remit__rmode mode);
/* ---- rounding a small value, in registers ------------------------------- */

/* 10^d, and u / 10^d for u < 2^63 as the high word of u × m shifted right
 * by shift (Granlund and Montgomery's multiply for a constant divisor),
 * for 1 ≤ d ≤ 18. */
extern const int64_t remit__p10[19];
extern const struct remit__div10 {
	uint64_t m;
	unsigned shift;
} remit__div10[19];

/* Whether rounding moves the truncated quotient one unit away from zero.
 * sign: of the value; half: |remainder| against half a unit (<0, 0, >0);
 * odd: the truncated quotient is odd.  The remainder is not zero. */
static inline bool remit__round_away(remit__rmode mode, int sign, int half, bool odd)
{
	switch (mode) {
	case REMIT__HALF_UP:
		return half >= 0;
	case REMIT__HALF_EVEN:
		return half > 0 || (half == 0 && odd);
	case REMIT__HALF_DOWN:
		return half > 0;
	case REMIT__UP:
		return true;
	case REMIT__DOWN:
		return false;
	case REMIT__FLOOR:
		return sign < 0;
	case REMIT__CEILING:
		return sign > 0;
	}
	return false;
}

/* c × 10^-d rounded to an integer with mode, d ≥ 1: the small fast path of
 * remit__num_round (number.c takes d > 18 and c = INT64_MIN). */
int64_t remit__round_small_wide(int64_t c, int d, remit__rmode mode);
static inline int64_t remit__round_small(int64_t c, int d, remit__rmode mode)
{
	if (d > 18 || c == INT64_MIN)
		return remit__round_small_wide(c, d, mode);
	uint64_t u = c < 0 ? 0 - (uint64_t)c : (uint64_t)c; /* < 2^63 */
	uint64_t q = (uint64_t)(((unsigned __int128)u * remit__div10[d].m) >> 64) >>
		     remit__div10[d].shift;
	uint64_t r = u - q * (uint64_t)remit__p10[d], unit = (uint64_t)remit__p10[d];
	int sign = c < 0 ? -1 : 1;
	if (r != 0 && remit__round_away(mode, sign, (2 * r > unit) - (2 * r < unit), q & 1))
		q++;
	return c < 0 ? -(int64_t)q : (int64_t)q; /* q ≤ 2^63 / 10 */
}

/* coef × 10^exp rounded at scale with mode, in whole units of 10^-scale:
 * remit__num_round of a small value, in registers; false if the units do
 * not fit 64 bits (then remit__num_round gives the big result). */
bool remit__round_units_wide(int64_t coef, int exp, int scale, int64_t *units);
static inline bool remit__round_units(int64_t coef, int exp, int scale, remit__rmode mode,
				      int64_t *units)
{
	if (exp > scale) {
		*units = remit__round_small(coef, exp - scale, mode);
		return true;
	}
	return remit__round_units_wide(coef, exp, scale, units);
}

/* The value as an int64 if it is an integer that fits. */
bool remit__num_to_i64(remit__num a, int64_t *out);

/* Load the exact value into an initialised mpq_t (any form). */
void remit__num_get_mpq(mpq_t dst, remit__num a);
/* Make a num from an mpq: small when it is a decimal that fits, else a
 * copy in a register of pool. */
remit__num remit__num_from_mpq(remit__numpool *pool, const mpq_t v);

/* ---- formatting (all return the length written, excluding the NUL;
 *      buffers of REMIT__NUM_BUF bytes always suffice for small values;
 *      big values are truncated to cap - 1 bytes) ------------------------- */
#define REMIT__NUM_BUF 96

/* Exactly `scale` digits after the point ("-12.30", "8637"; for a negative
 * scale, an integer).  `a` must already be a multiple of 10^-scale
 * (i.e. rounded at that scale); otherwise it is first rounded half-even so
 * that the function is total, but callers must not rely on that. */
size_t remit__num_format(remit__num a, int scale, char *buf, size_t cap);

/* The exact value, as short as possible: a finite decimal ("8637.17367",
 * "0.125", "-3") when one exists, else "p/q" in lowest terms ("32396/73"). */
size_t remit__num_format_exact(remit__num a, char *buf, size_t cap);

/* For explain: the exact form and, when it is not a finite decimal, an
 * approximation truncated to `digits` places followed by "…":
 * "32396/73 = 443.780821…". */
size_t remit__num_format_explain(remit__num a, int digits, char *buf, size_t cap);

/* ---- sums of rounded amounts ------------------------------------------
 * An exact accumulator for money already rounded to the regime's scale:
 * a 128-bit integer of units of 10^-scale, switching to GMP only if it
 * would overflow.  Zero-initialise (REMIT__SUM_INIT) and call _clear. */
typedef struct remit__sum {
	__int128 units;
	mpz_ptr big; /* non-NULL once units overflowed; then big holds the total */
} remit__sum;
#define REMIT__SUM_INIT {0, NULL}

/* Add v (which must be a multiple of 10^-scale) to s. */
void remit__sum_add_any(remit__sum *s, remit__num v, int scale);
static inline void remit__sum_add(remit__sum *s, remit__num v, int scale)
{
	__int128 r;
	if (!s->big && !v.big && v.exp == scale && !__builtin_add_overflow(s->units, v.coef, &r))
		s->units = r;
	else
		remit__sum_add_any(s, v, scale);
}
void remit__sum_add_sum(remit__sum *s, const remit__sum *t);
void remit__sum_sub_sum(remit__sum *s, const remit__sum *t);
int remit__sum_cmp(const remit__sum *a, const remit__sum *b);
/* The total as a num at `scale` (small when it fits, else big in pool). */
remit__num remit__sum_get(const remit__sum *s, int scale, remit__numpool *pool);
size_t remit__sum_format(const remit__sum *s, int scale, char *buf, size_t cap);
void remit__sum_clear(remit__sum *s);

/* ---- exact sums of any values ----------------------------------------
 * For components, which may be fractions (a budget share of 182/365):
 * decimals with exp ≤ REMIT__XSUM_EXP add into a 128-bit integer of
 * 10^-REMIT__XSUM_EXP units; anything else (true fractions, values that do
 * not fit) goes into a GMP rational, allocated on first need.  The total is
 * the sum of both.  Zero-initialise (REMIT__XSUM_INIT) and call _clear. */
#define REMIT__XSUM_EXP 18
typedef struct remit__xsum {
	__int128 units;
	mpq_ptr big;
} remit__xsum;
#define REMIT__XSUM_INIT {0, NULL}

void remit__xsum_add_any(remit__xsum *s, remit__num v);
static inline void remit__xsum_add(remit__xsum *s, remit__num v)
{
	/* a decimal of 0..18 places: |coef| < 2^63 times 10^(18 − places) <
	 * 2^60 fits in 128 bits, so only the sum can overflow */
	__int128 r;
	if (!v.big && v.exp >= 0 && v.exp <= REMIT__XSUM_EXP &&
	    !__builtin_add_overflow(s->units,
				    (__int128)v.coef * remit__p10[REMIT__XSUM_EXP - v.exp], &r))
		s->units = r;
	else
		remit__xsum_add_any(s, v);
}
void remit__xsum_sub(remit__xsum *s, remit__num v);
void remit__xsum_add_xsum(remit__xsum *s, const remit__xsum *t);
void remit__xsum_sub_xsum(remit__xsum *s, const remit__xsum *t);
/* The exact total (small when it fits, else big in pool). */
remit__num remit__xsum_get(const remit__xsum *s, remit__numpool *pool);
void remit__xsum_clear(remit__xsum *s);

#endif
