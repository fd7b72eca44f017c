/*
 * number.c — exact amounts and factors (see number.h).
 *
 * The idea: almost every number of a payment rule is a short decimal, so it
 * is held as coef × 10^-exp with a 64-bit coef, and arithmetic on it is done
 * in 128-bit integers with overflow checks.  Only when a result does not fit
 * (too many digits, or a true fraction like 182/365) do we fall back to GMP
 * rationals, which live in registers of a remit__numpool so that a steady
 * state allocates nothing.  Every big result is demoted back to the small
 * form when it is a decimal that fits, so chains stay on the fast path.
 *
 * Small values are not canonical (1.50 may have exp 2): equality and order
 * are by value.  No floating point is used anywhere.
 *
 * Rounding works on integer "units" of 10^-scale: the value times 10^scale
 * split into a quotient and a remainder, and the mode decides from the sign,
 * the remainder against half the divisor, and the parity of the quotient.
 * remit__num_round and remit__sum_get give exp == scale whenever the units
 * fit int64 (callers may read coef as units); otherwise they give a big
 * value, as number.h says, even if another exp would have fit.
 */
#include "number.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(long) == 8, "GMP's long must hold an int64_t");
_Static_assert(GMP_LIMB_BITS == 64, "64-bit GMP limbs expected");

#define EXP_MAX REMIT__EXP_MAX
#define POOL_CHUNK 64

typedef __int128 i128;
typedef unsigned __int128 u128;

/* ---- powers of ten and small integer helpers ---------------------------- */

const int64_t remit__p10[19] = {
	1LL,
	10LL,
	100LL,
	1000LL,
	10000LL,
	100000LL,
	1000000LL,
	10000000LL,
	100000000LL,
	1000000000LL,
	10000000000LL,
	100000000000LL,
	1000000000000LL,
	10000000000000LL,
	100000000000000LL,
	1000000000000000LL,
	10000000000000000LL,
	100000000000000000LL,
	1000000000000000000LL,
};
#define P10 remit__p10 /* the short name used below */

/* m = floor(2^(63 + l) / 10^d) + 1 with l = ceil(log2 10^d), shift = l − 1:
 * then m × 10^d − 2^(63 + l) ≤ 2^l, which makes (u × m) >> (64 + shift)
 * exact for every u < 2^63 (Granlund and Montgomery, "Division by invariant integers
 * using multiplication", 1994, theorem 4.2).  test_number checks each
 * against division. */
const struct remit__div10 remit__div10[19] = {
	{0, 0}, /* 10^0: not used */
	{0xcccccccccccccccdull, 3}, /* 10^1 */
	{0xa3d70a3d70a3d70bull, 6}, /* 10^2 */
	{0x83126e978d4fdf3cull, 9}, /* 10^3 */
	{0xd1b71758e219652cull, 13}, /* 10^4 */
	{0xa7c5ac471b478424ull, 16}, /* 10^5 */
	{0x8637bd05af6c69b6ull, 19}, /* 10^6 */
	{0xd6bf94d5e57a42bdull, 23}, /* 10^7 */
	{0xabcc77118461cefdull, 26}, /* 10^8 */
	{0x89705f4136b4a598ull, 29}, /* 10^9 */
	{0xdbe6fecebdedd5bfull, 33}, /* 10^10 */
	{0xafebff0bcb24aaffull, 36}, /* 10^11 */
	{0x8cbccc096f5088ccull, 39}, /* 10^12 */
	{0xe12e13424bb40e14ull, 43}, /* 10^13 */
	{0xb424dc35095cd810ull, 46}, /* 10^14 */
	{0x901d7cf73ab0acdaull, 49}, /* 10^15 */
	{0xe69594bec44de15cull, 53}, /* 10^16 */
	{0xb877aa3236a4b44aull, 56}, /* 10^17 */
	{0x9392ee8e921d5d08ull, 59}, /* 10^18 */
};

/* 10^k as a 128-bit integer, 0 <= k <= 38. */
static inline i128 p10w(int k)
{
	if (k <= 18)
		return P10[k];
	if (k <= 36)
		return (i128)P10[18] * P10[k - 18];
	return (i128)P10[18] * P10[18] * P10[k - 36];
}

/* *x *= 10^k; false on overflow (k >= 0). */
static inline bool mul_p10(i128 *x, int k)
{
	if (*x == 0)
		return true;
	if (k > 38)
		return false;
	return !__builtin_mul_overflow(*x, p10w(k), x);
}

static inline bool fits64(i128 c)
{
	return c >= INT64_MIN && c <= INT64_MAX;
}

static inline uint64_t mag64(int64_t c)
{
	return c < 0 ? (uint64_t)0 - (uint64_t)c : (uint64_t)c;
}

static inline remit__num small(int64_t coef, int exp)
{
	remit__num r = {coef, exp, NULL};
	return r;
}

/* Make a small value from a 128-bit coef and any exp, stripping trailing
 * zeros of coef (or adding zeros when exp is too negative) as needed;
 * false when the value has no small form. */
static bool norm128(i128 c, int e, remit__num *out)
{
	if (c == 0) {
		*out = small(0, 0);
		return true;
	}
	if (e < -EXP_MAX) {
		if (!mul_p10(&c, -EXP_MAX - e))
			return false;
		e = -EXP_MAX;
	}
	while ((e > EXP_MAX || !fits64(c)) && e > -EXP_MAX && c % 10 == 0) {
		c /= 10;
		e--;
	}
	if (e > EXP_MAX || !fits64(c))
		return false;
	*out = small((int64_t)c, e);
	return true;
}

/* ---- 128-bit integers and GMP ------------------------------------------ */

static void z_set_u128(mpz_ptr z, u128 m)
{
	mpz_set_ui(z, (unsigned long)(m >> 64));
	mpz_mul_2exp(z, z, 64);
	mpz_add_ui(z, z, (unsigned long)(uint64_t)m);
}

static void z_set_i128(mpz_ptr z, i128 v)
{
	if (v >= 0) {
		z_set_u128(z, (u128)v);
	} else {
		z_set_u128(z, (u128)0 - (u128)v);
		mpz_neg(z, z);
	}
}

/* The magnitude of z if it fits in 128 bits unsigned. */
static bool z_get_u128abs(mpz_srcptr z, u128 *out)
{
	if (mpz_sizeinbase(z, 2) > 128)
		return false;
	size_t n = mpz_size(z);
	u128 m = 0;
	if (n >= 1)
		m = mpz_getlimbn(z, 0);
	if (n >= 2)
		m |= (u128)mpz_getlimbn(z, 1) << 64;
	*out = m;
	return true;
}

/* ---- the pool ----------------------------------------------------------- */

struct block {
	struct block *next;
	mpq_t q[POOL_CHUNK];
};

/* Scratch integers for the slow paths, so that they need not allocate. */
struct zs {
	mpz_t a, b, c;
};

struct remit__numpool {
	struct block *head, *cur; /* cur: the block registers are taken from */
	int used;                 /* registers taken from cur */
	mpq_t tmp[2];             /* small operands loaded for a GMP op */
	struct zs zs;
};

static void zs_init(struct zs *z)
{
	mpz_inits(z->a, z->b, z->c, NULL);
}

static void zs_clear(struct zs *z)
{
	mpz_clears(z->a, z->b, z->c, NULL);
}

static void die(const char *what)
{
	fprintf(stderr, "remit: internal error: %s\n", what);
	abort();
}

remit__numpool *remit__numpool_new(void)
{
	remit__numpool *p = calloc(1, sizeof(*p));
	if (!p)
		die("out of memory");
	mpq_init(p->tmp[0]);
	mpq_init(p->tmp[1]);
	zs_init(&p->zs);
	return p;
}

void remit__numpool_reset(remit__numpool *p)
{
	if (!p)
		return;
	p->cur = p->head;
	p->used = 0;
}

void remit__numpool_free(remit__numpool *p)
{
	if (!p)
		return;
	struct block *b = p->head;
	while (b) {
		struct block *next = b->next;
		for (int i = 0; i < POOL_CHUNK; i++)
			mpq_clear(b->q[i]);
		free(b);
		b = next;
	}
	mpq_clear(p->tmp[0]);
	mpq_clear(p->tmp[1]);
	zs_clear(&p->zs);
	free(p);
}

static struct block *block_new(void)
{
	struct block *b = malloc(sizeof(*b));
	if (!b)
		die("out of memory");
	b->next = NULL;
	for (int i = 0; i < POOL_CHUNK; i++)
		mpq_init(b->q[i]);
	return b;
}

/* A fresh register.  Needing one without a pool is a caller's bug. */
static mpq_ptr take(remit__numpool *p)
{
	if (!p)
		die("a big number needs a pool");
	if (!p->cur) {
		if (!p->head)
			p->head = block_new();
		p->cur = p->head;
		p->used = 0;
	}
	if (p->used == POOL_CHUNK) {
		if (!p->cur->next)
			p->cur->next = block_new();
		p->cur = p->cur->next;
		p->used = 0;
	}
	return p->cur->q[p->used++];
}

/* Give back the register last taken (its value was demoted). */
static void untake(remit__numpool *p)
{
	p->used--; /* take() never leaves used == 0 after a take */
}

/* ---- conversions between the forms ------------------------------------- */

void remit__num_get_mpq(mpq_t dst, remit__num a)
{
	if (a.big) {
		mpq_set(dst, a.big);
		return;
	}
	if (a.coef == 0) {
		mpq_set_ui(dst, 0, 1);
		return;
	}
	if (a.exp <= 0) {
		mpz_set_si(mpq_numref(dst), a.coef);
		if (a.exp < 0) {
			mpz_ui_pow_ui(mpq_denref(dst), 10, (unsigned long)-a.exp);
			mpz_mul(mpq_numref(dst), mpq_numref(dst), mpq_denref(dst));
		}
		mpz_set_ui(mpq_denref(dst), 1);
		return;
	}
	/* coef / (2^exp 5^exp): cancel the common 2s and 5s without a gcd */
	int64_t c = a.coef;
	int twos = 0, fives = 0;
	while (twos < a.exp && c % 2 == 0) {
		c /= 2;
		twos++;
	}
	while (fives < a.exp && c % 5 == 0) {
		c /= 5;
		fives++;
	}
	mpz_set_si(mpq_numref(dst), c);
	mpz_ui_pow_ui(mpq_denref(dst), 5, (unsigned long)(a.exp - fives));
	mpz_mul_2exp(mpq_denref(dst), mpq_denref(dst), (mp_bitcnt_t)(a.exp - twos));
}

/* 5^k, 0 <= k <= EXP_MAX (5^27 is the largest power below 2^63). */
static u128 pow5(int k)
{
	static const uint64_t t[28] = {
		1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL,
		390625ULL, 1953125ULL, 9765625ULL, 48828125ULL, 244140625ULL,
		1220703125ULL, 6103515625ULL, 30517578125ULL, 152587890625ULL,
		762939453125ULL, 3814697265625ULL, 19073486328125ULL,
		95367431640625ULL, 476837158203125ULL, 2384185791015625ULL,
		11920928955078125ULL, 59604644775390625ULL, 298023223876953125ULL,
		1490116119384765625ULL, 7450580596923828125ULL,
	};
	return k <= 27 ? t[k] : (u128)t[27] * t[k - 27];
}

/* An integer beyond int64: strip trailing zeros until it fits. */
static bool int_to_small(mpz_srcptr num, remit__num *out)
{
	if (mpz_sizeinbase(num, 10) > 19 + EXP_MAX + 1 || !mpz_divisible_ui_p(num, 10))
		return false;
	mpz_t t;
	mpz_init_set(t, num);
	int e = 0;
	while (!mpz_fits_slong_p(t) && e > -EXP_MAX && mpz_divisible_ui_p(t, 10)) {
		mpz_divexact_ui(t, t, 10);
		e--;
	}
	bool ok = mpz_fits_slong_p(t);
	if (ok)
		*out = small(mpz_get_si(t), e);
	mpz_clear(t);
	return ok;
}

/* The small form of a canonical rational, if it has one. */
static bool to_small(mpq_srcptr v, remit__num *out)
{
	mpz_srcptr num = mpq_numref(v), den = mpq_denref(v);
	if (mpz_cmp_ui(den, 1) == 0) {
		if (mpz_fits_slong_p(num)) {
			*out = small(mpz_get_si(num), 0);
			return true;
		}
		return int_to_small(num, out);
	}
	if (!mpz_fits_slong_p(num) || mpz_sizeinbase(den, 2) > 127)
		return false;
	u128 d = 0;
	z_get_u128abs(den, &d); /* fits: checked above */
	uint64_t lo = (uint64_t)d;
	int twos = lo ? __builtin_ctzll(lo) : 64 + __builtin_ctzll((uint64_t)(d >> 64));
	if (twos > EXP_MAX)
		return false;
	d >>= twos;
	int fives = 0;
	while (fives <= EXP_MAX && pow5(fives) < d)
		fives++;
	if (fives > EXP_MAX || pow5(fives) != d)
		return false;
	/* num / (2^twos 5^fives) = num × 2^(e-twos) 5^(e-fives) / 10^e */
	int e = twos > fives ? twos : fives;
	i128 m = (i128)(pow5(e - fives) << (e - twos));
	i128 c;
	if (__builtin_mul_overflow((i128)mpz_get_si(num), m, &c) || !fits64(c))
		return false;
	*out = small((int64_t)c, e);
	return true;
}

remit__num remit__num_from_mpq(remit__numpool *pool, const mpq_t v)
{
	remit__num r;
	if (to_small(v, &r))
		return r;
	r = small(0, 0);
	r.big = take(pool);
	mpq_set(r.big, v);
	return r;
}

/* Finish a GMP op whose result is in register q, just taken from pool:
 * demote it (returning the register) when it fits the small form. */
static remit__num settle(remit__numpool *pool, mpq_ptr q)
{
	remit__num r;
	if (to_small(q, &r)) {
		untake(pool);
		return r;
	}
	r = small(0, 0);
	r.big = q;
	return r;
}

/* A num as a GMP operand: its register, or a scratch loaded with it. */
static mpq_srcptr operand(remit__numpool *pool, remit__num a, int slot)
{
	if (a.big)
		return a.big;
	if (!pool)
		die("a big number needs a pool");
	remit__num_get_mpq(pool->tmp[slot], a);
	return pool->tmp[slot];
}

remit__num remit__num_keep(remit__numpool *dst, remit__num v)
{
	if (!v.big)
		return v;
	mpq_ptr q = take(dst);
	mpq_set(q, v.big);
	v.big = q;
	return v;
}

/* ---- rounding modes ----------------------------------------------------- */

static const char *const rmode_names[] = {
	[REMIT__HALF_UP] = "half-up", [REMIT__HALF_EVEN] = "half-even",
	[REMIT__HALF_DOWN] = "half-down", [REMIT__UP] = "up",
	[REMIT__DOWN] = "down", [REMIT__FLOOR] = "floor",
	[REMIT__CEILING] = "ceiling",
};

bool remit__rmode_parse(const char *s, size_t n, remit__rmode *out)
{
	for (int m = REMIT__HALF_UP; m <= REMIT__CEILING; m++) {
		const char *name = rmode_names[m];
		if (strlen(name) == n && memcmp(name, s, n) == 0) {
			*out = (remit__rmode)m;
			return true;
		}
	}
	return false;
}

const char *remit__rmode_name(remit__rmode m)
{
	if ((unsigned)m > REMIT__CEILING)
		return "?";
	return rmode_names[m];
}

/* ---- comparison --------------------------------------------------------- */

int remit__num_sign_big(remit__num a)
{
	if (a.big)
		return mpq_sgn(a.big);
	return (a.coef > 0) - (a.coef < 0);
}

static int cmp_small(remit__num a, remit__num b)
{
	if (a.exp == b.exp)
		return (a.coef > b.coef) - (a.coef < b.coef);
	int sa = (a.coef > 0) - (a.coef < 0), sb = (b.coef > 0) - (b.coef < 0);
	if (sa != sb)
		return (sa > sb) - (sa < sb);
	if (sa == 0)
		return 0;
	/* same sign: bring both to the larger exp; a coef that overflows
	 * on the way is the larger in magnitude */
	i128 x = a.coef, y = b.coef;
	if (a.exp < b.exp) {
		if (!mul_p10(&x, b.exp - a.exp))
			return sa;
	} else {
		if (!mul_p10(&y, a.exp - b.exp))
			return -sa;
	}
	return (x > y) - (x < y);
}

/* big <=> small, without allocating when the small value is simple */
static int cmp_big_small(mpq_srcptr q, remit__num s)
{
	int r;
	if (s.exp >= 0 && s.exp <= 19) {
		unsigned long den = s.exp <= 18 ? (unsigned long)P10[s.exp] : 10000000000000000000UL;
		r = mpq_cmp_si(q, s.coef, den);
	} else {
		i128 c = s.coef;
		if (s.exp < 0 && mul_p10(&c, -s.exp) && fits64(c)) {
			r = mpq_cmp_si(q, (long)c, 1);
		} else {
			mpq_t t;
			mpq_init(t);
			remit__num_get_mpq(t, s);
			r = mpq_cmp(q, t);
			mpq_clear(t);
		}
	}
	return (r > 0) - (r < 0);
}

int remit__num_cmp_any(remit__num a, remit__num b)
{
	if (!a.big && !b.big)
		return cmp_small(a, b);
	if (a.big && b.big) {
		int r = mpq_cmp(a.big, b.big);
		return (r > 0) - (r < 0);
	}
	if (a.big)
		return cmp_big_small(a.big, b);
	return -cmp_big_small(b.big, a);
}

bool remit__num_is_int(remit__num a)
{
	if (a.big)
		return mpz_cmp_ui(mpq_denref(a.big), 1) == 0;
	if (a.exp <= 0 || a.coef == 0)
		return true;
	if (a.exp > 18)
		return false; /* |coef| < 10^19 <= 10^exp */
	return a.coef % P10[a.exp] == 0;
}

bool remit__num_to_i64(remit__num a, int64_t *out)
{
	if (a.big) {
		if (mpz_cmp_ui(mpq_denref(a.big), 1) != 0 || !mpz_fits_slong_p(mpq_numref(a.big)))
			return false;
		*out = mpz_get_si(mpq_numref(a.big));
		return true;
	}
	if (a.coef == 0) {
		*out = 0;
		return true;
	}
	if (a.exp <= 0) {
		i128 c = a.coef;
		if (!mul_p10(&c, -a.exp) || !fits64(c))
			return false;
		*out = (int64_t)c;
		return true;
	}
	if (a.exp > 18 || a.coef % P10[a.exp] != 0)
		return false;
	*out = a.coef / P10[a.exp];
	return true;
}

/* ---- arithmetic --------------------------------------------------------- */

/* a / b for small values when the quotient is a decimal of the small form.
 * Instead of a gcd: the divisor's part that is not 2^x 5^y must divide the
 * dividend, and then the 2s and 5s become a power of ten. */
static bool div_small(remit__num a, remit__num b, remit__num *out)
{
	bool neg = (a.coef < 0) != (b.coef < 0);
	uint64_t n = mag64(a.coef), d = mag64(b.coef);
	int e = a.exp - b.exp;
	if (n % d == 0) {
		i128 q = (i128)(n / d);
		return norm128(neg ? -q : q, e, out);
	}
	int x = __builtin_ctzll(d), y = 0;
	uint64_t m = d >> x;
	while (m % 5 == 0) {
		m /= 5;
		y++;
	}
	if (n % m != 0)
		return false;
	n /= m;
	while (x > 0 && (n & 1) == 0) {
		n /= 2;
		x--;
	}
	while (y > 0 && n % 5 == 0) {
		n /= 5;
		y--;
	}
	int k = x > y ? x : y;
	if (k > EXP_MAX)
		return false;
	/* n / (2^x 5^y) = n × 2^(k-x) 5^(k-y) / 10^k */
	u128 mult = pow5(k - y) << (k - x);
	i128 q;
	if (__builtin_mul_overflow((i128)n, (i128)mult, &q))
		return false;
	return norm128(neg ? -q : q, e + k, out);
}

/* a ± b for small values, aligned to the larger exp in 128 bits. */
static bool add_small(remit__num a, remit__num b, bool sub, remit__num *out)
{
	int e = a.exp > b.exp ? a.exp : b.exp;
	i128 x = a.coef, y = b.coef, r;
	if (!mul_p10(&x, e - a.exp) || !mul_p10(&y, e - b.exp))
		return false;
	if (sub ? __builtin_sub_overflow(x, y, &r) : __builtin_add_overflow(x, y, &r))
		return false;
	return norm128(r, e, out);
}

typedef void (*qop)(mpq_ptr, mpq_srcptr, mpq_srcptr);

/* The slow path of every binary op: GMP into a fresh register of pool. */
static remit__num gmp_op(remit__numpool *pool, remit__num a, remit__num b, qop op)
{
	mpq_ptr q = take(pool);
	op(q, operand(pool, a, 0), operand(pool, b, 1));
	return settle(pool, q);
}

remit__num remit__num_add_any(remit__numpool *pool, remit__num a, remit__num b)
{
	if (!a.big && !b.big) {
		int64_t c;
		remit__num r;
		if (a.exp == b.exp && !__builtin_add_overflow(a.coef, b.coef, &c))
			return small(c, a.exp);
		if (b.coef == 0)
			return a;
		if (a.coef == 0)
			return b;
		if (add_small(a, b, false, &r))
			return r;
	}
	return gmp_op(pool, a, b, mpq_add);
}

remit__num remit__num_sub_any(remit__numpool *pool, remit__num a, remit__num b)
{
	if (!a.big && !b.big) {
		int64_t c;
		remit__num r;
		if (a.exp == b.exp && !__builtin_sub_overflow(a.coef, b.coef, &c))
			return small(c, a.exp);
		if (b.coef == 0)
			return a;
		if (add_small(a, b, true, &r))
			return r;
	}
	return gmp_op(pool, a, b, mpq_sub);
}

remit__num remit__num_mul_any(remit__numpool *pool, remit__num a, remit__num b)
{
	if (!a.big && !b.big) {
		i128 p = (i128)a.coef * b.coef; /* cannot overflow */
		int e = a.exp + b.exp;
		remit__num r;
		if (fits64(p) && e >= -EXP_MAX && e <= EXP_MAX)
			return small((int64_t)p, e);
		if (norm128(p, e, &r))
			return r;
	}
	return gmp_op(pool, a, b, mpq_mul);
}

remit__num remit__num_div(remit__numpool *pool, remit__num a, remit__num b)
{
	remit__num r;
	if (!a.big && !b.big && div_small(a, b, &r))
		return r;
	return gmp_op(pool, a, b, mpq_div);
}

remit__num remit__num_neg(remit__numpool *pool, remit__num a)
{
	remit__num r;
	if (!a.big) {
		if (a.coef != INT64_MIN)
			return small(-a.coef, a.exp);
		if (norm128(-(i128)a.coef, a.exp, &r))
			return r;
	}
	mpq_ptr q = take(pool);
	mpq_neg(q, operand(pool, a, 0));
	return settle(pool, q);
}

/* ---- rounding ----------------------------------------------------------- */

/* remit__round_small where the multiply does not serve: d > 18 (the
 * quotient is 0) or c = INT64_MIN. */
int64_t remit__round_small_wide(int64_t c, int d, remit__rmode mode)
{
	int64_t q = d <= 18 ? c / P10[d] : 0, r = d <= 18 ? c - q * P10[d] : c;
	if (r == 0)
		return q;
	i128 unit = d <= 38 ? p10w(d) : 0; /* 0: larger than any remainder */
	i128 twice = 2 * (i128)mag64(r);
	int half = unit == 0 ? -1 : (twice > unit) - (twice < unit);
	int sign = c < 0 ? -1 : 1;
	if (remit__round_away(mode, sign, half, q % 2 != 0))
		q += sign;
	return q;
}

/* The units of 10^-scale of a small value, rounded with mode; false if
 * they do not fit 128 bits. */
static bool units_small(remit__num a, int scale, remit__rmode mode, i128 *u)
{
	if (a.exp > scale) {
		*u = remit__round_small(a.coef, a.exp - scale, mode);
		return true;
	}
	*u = a.coef;
	return mul_p10(u, scale - a.exp);
}

/* The units of 10^-scale of any value, rounded with mode, into q (the
 * general path: r and d are scratch). */
static void units_z(mpz_ptr q, mpz_ptr r, mpz_ptr d, remit__num a, int scale, remit__rmode mode)
{
	/* value × 10^scale = q / d */
	int shift;
	if (a.big) {
		mpz_set(q, mpq_numref(a.big));
		mpz_set(d, mpq_denref(a.big));
		shift = scale;
	} else {
		mpz_set_si(q, a.coef);
		mpz_set_ui(d, 1);
		shift = scale - a.exp;
	}
	if (shift > 0) {
		mpz_ui_pow_ui(r, 10, (unsigned long)shift);
		mpz_mul(q, q, r);
	} else if (shift < 0) {
		mpz_ui_pow_ui(r, 10, (unsigned long)-shift);
		mpz_mul(d, d, r);
	}
	int sign = mpz_sgn(q);
	mpz_tdiv_qr(q, r, q, d);
	if (mpz_sgn(r) == 0)
		return;
	mpz_mul_2exp(r, r, 1);
	int half = mpz_cmpabs(r, d);
	half = (half > 0) - (half < 0);
	if (remit__round_away(mode, sign, half, mpz_odd_p(q))) {
		if (sign > 0)
			mpz_add_ui(q, q, 1);
		else
			mpz_sub_ui(q, q, 1);
	}
}

/* The num u × 10^-scale: small with exp == scale when u fits, else big. */
static remit__num units_num(remit__numpool *pool, mpz_srcptr u, int scale)
{
	if (mpz_fits_slong_p(u))
		return small(mpz_get_si(u), scale);
	remit__num r = small(0, 0);
	r.big = take(pool);
	mpz_set(mpq_numref(r.big), u);
	mpz_ui_pow_ui(mpq_denref(r.big), 10, (unsigned long)(scale < 0 ? -scale : scale));
	if (scale < 0) {
		mpz_mul(mpq_numref(r.big), mpq_numref(r.big), mpq_denref(r.big));
		mpz_set_ui(mpq_denref(r.big), 1);
	} else {
		mpq_canonicalize(r.big);
	}
	return r;
}

bool remit__round_units_wide(int64_t coef, int exp, int scale, int64_t *units)
{
	i128 c = coef;
	if (!mul_p10(&c, scale - exp) || !fits64(c))
		return false;
	*units = (int64_t)c;
	return true;
}

remit__num remit__num_round(remit__numpool *pool, remit__num a, int scale, remit__rmode mode)
{
	if (!a.big) {
		if (a.exp > scale)
			return small(remit__round_small(a.coef, a.exp - scale, mode), scale);
		i128 c = a.coef;
		if (mul_p10(&c, scale - a.exp) && fits64(c))
			return small((int64_t)c, scale);
	}
	struct zs local, *z = pool ? &pool->zs : &local;
	if (!pool)
		zs_init(&local);
	units_z(z->a, z->b, z->c, a, scale, mode);
	remit__num r = units_num(pool, z->a, scale);
	if (!pool)
		zs_clear(&local);
	return r;
}

/* ---- parsing ------------------------------------------------------------ */

/* Scan digits at s[*i..n); returns how many. */
static size_t scan_digits(const char *s, size_t n, size_t *i)
{
	size_t start = *i;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9')
		(*i)++;
	return *i - start;
}

/* Append digits to the magnitude *out; false if it exceeds 2^64 - 1. */
static bool digits_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = *out;
	for (size_t i = 0; i < n; i++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return false;
	*out = v;
	return true;
}

/* The value of integer digits ip and fraction digits fp, divided by
 * 10^shift more, through GMP (too many digits for int64). */
static int parse_big(const char *ip, size_t ni, const char *fp, size_t nf, int shift, bool neg,
		     remit__numpool *pool, remit__num *out)
{
	char *buf = malloc(ni + nf + 2);
	if (!buf)
		die("out of memory");
	memcpy(buf, ip, ni);
	memcpy(buf + ni, fp, nf);
	buf[ni + nf] = '\0';
	if (ni + nf == 0)
		strcpy(buf, "0");
	mpq_t q;
	mpq_init(q);
	mpz_set_str(mpq_numref(q), buf, 10);
	free(buf);
	if (neg)
		mpz_neg(mpq_numref(q), mpq_numref(q));
	mpz_ui_pow_ui(mpq_denref(q), 10, nf + (size_t)shift);
	mpq_canonicalize(q);
	int rc = 0;
	if (!to_small(q, out)) {
		if (pool)
			*out = remit__num_from_mpq(pool, q);
		else
			rc = REMIT__PARSE_ERANGE;
	}
	mpq_clear(q);
	return rc;
}

/* [+-]?digits[.digits] | [+-]?.digits, optionally followed by '%'. */
static int parse_decimal(const char *s, size_t n, bool neg, bool percent, remit__numpool *pool,
			 remit__num *out)
{
	size_t i = 0;
	const char *ip = s;
	size_t ni = scan_digits(s, n, &i);
	const char *fp = s + i;
	size_t nf = 0;
	if (i < n && s[i] == '.') {
		i++;
		fp = s + i;
		nf = scan_digits(s, n, &i);
		if (nf == 0)
			return REMIT__PARSE_ESYNTAX; /* "1." and "." */
	}
	if (ni + nf == 0 || i != n)
		return REMIT__PARSE_ESYNTAX;
	int shift = percent ? 2 : 0;
	/* skip leading zeros so that they do not count against int64 */
	while (ni > 0 && *ip == '0') {
		ip++;
		ni--;
	}
	uint64_t v = 0;
	if (nf + shift <= EXP_MAX && digits_u64(ip, ni, &v) && digits_u64(fp, nf, &v)) {
		if (v <= (uint64_t)INT64_MAX + neg) {
			int64_t c = neg ? (int64_t)((uint64_t)0 - v) : (int64_t)v;
			*out = small(c, (int)nf + shift);
			return 0;
		}
	}
	return parse_big(ip, ni, fp, nf, shift, neg, pool, out);
}

/* [+-]?digits/digits */
static int parse_rational(const char *s, size_t n, bool neg, remit__numpool *pool, remit__num *out)
{
	size_t i = 0;
	size_t nn = scan_digits(s, n, &i);
	if (nn == 0 || i >= n || s[i] != '/')
		return REMIT__PARSE_ESYNTAX;
	i++;
	const char *dp = s + i;
	size_t nd = scan_digits(s, n, &i);
	if (nd == 0 || i != n)
		return REMIT__PARSE_ESYNTAX;
	remit__num a, b;
	int rc = parse_decimal(s, nn, neg, false, pool, &a);
	if (rc == 0)
		rc = parse_decimal(dp, nd, false, false, pool, &b);
	if (rc)
		return rc;
	if (remit__num_sign(b) == 0)
		return REMIT__PARSE_EZERODIV;
	if (!a.big && !b.big && div_small(a, b, out))
		return 0;
	if (!pool)
		return REMIT__PARSE_ERANGE;
	*out = remit__num_div(pool, a, b);
	return 0;
}

/* The common decimal ("196.58", "0.90", "12"): digits with at most one
 * point inside or before them, at most 18 digits, no sign.  Its value
 * exactly as parse_decimal gives it (the digits as the coefficient, as
 * many places as follow the point); false for anything else. */
static inline bool parse_plain(const char *s, size_t n, remit__num *out)
{
	if (n == 0 || n > 19 || s[n - 1] == '.')
		return false;
	uint64_t v = 0;
	size_t i = 0;
	unsigned d;
	for (; i < n && (d = (unsigned char)s[i] - '0') <= 9; i++)
		v = v * 10 + d;
	int places = 0;
	if (i < n) { /* a point, then only digits (one at least: s ends in one) */
		if (s[i++] != '.')
			return false;
		places = (int)(n - i);
		for (; i < n; i++) {
			if ((d = (unsigned char)s[i] - '0') > 9)
				return false;
			v = v * 10 + d;
		}
	} else if (n > 18) {
		return false; /* 19 digits: perhaps past int64 */
	}
	*out = small((int64_t)v, places);
	return true;
}

int remit__num_parse(const char *s, size_t n, unsigned allow, remit__numpool *pool,
		     remit__num *out)
{
	if ((allow & REMIT__PARSE_DECIMAL) && parse_plain(s, n, out))
		return 0; /* (most numbers of a data file) */
	if (n == 0)
		return REMIT__PARSE_EEMPTY;
	bool neg = false;
	size_t i = 0;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	const char *body = s + i;
	size_t nb = n - i;
	if (nb == 0)
		return REMIT__PARSE_ESYNTAX;
	if (memchr(body, '/', nb)) {
		if (!(allow & REMIT__PARSE_RATIONAL))
			return REMIT__PARSE_ESYNTAX;
		return parse_rational(body, nb, neg, pool, out);
	}
	if (body[nb - 1] == '%') {
		if (!(allow & REMIT__PARSE_PERCENT))
			return REMIT__PARSE_ESYNTAX;
		return parse_decimal(body, nb - 1, neg, true, pool, out);
	}
	if (!(allow & REMIT__PARSE_DECIMAL))
		return REMIT__PARSE_ESYNTAX;
	return parse_decimal(body, nb, neg, false, pool, out);
}

/* ---- formatting --------------------------------------------------------- */

/* Output into a caller's buffer, truncating at cap - 1 bytes. */
struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->cap == 0)
		return;
	size_t room = o->cap - 1 - o->len;
	if (n > room)
		n = room;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_zeros(struct out *o, size_t n)
{
	static const char zeros[] = "0000000000000000";
	while (n > 0) {
		size_t k = n < 16 ? n : 16;
		put(o, zeros, k);
		n -= k;
	}
}

/* The number ±digits × 10^-scale with exactly max(scale, 0) decimals. */
static void put_units(struct out *o, bool neg, const char *dig, size_t nd, int scale)
{
	bool zero = nd == 1 && dig[0] == '0';
	if (neg && !zero)
		put(o, "-", 1);
	if (scale <= 0) {
		put(o, dig, nd);
		if (!zero)
			put_zeros(o, (size_t)-scale);
		return;
	}
	size_t sc = (size_t)scale;
	if (nd <= sc) {
		put(o, "0.", 2);
		put_zeros(o, sc - nd);
		put(o, dig, nd);
	} else {
		put(o, dig, nd - sc);
		put(o, ".", 1);
		put(o, dig + nd - sc, sc);
	}
}

/* "00" to "99": two decimal digits a step. */
static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
			       "25262728293031323334353637383940414243444546474849"
			       "50515253545556575859606162636465666768697071727374"
			       "75767778798081828384858687888990919293949596979899";

/* The decimal digits of m into dst (no NUL); two digits a step below
 * 2^64 (every amount of a real file). */
static size_t u128_digits(u128 m, char *dst)
{
	char tmp[40];
	size_t n = sizeof tmp;
	while (m > UINT64_MAX) {
		tmp[--n] = (char)('0' + (int)(m % 10));
		m /= 10;
	}
	uint64_t v = (uint64_t)m;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		tmp[--n] = pairs[2 * r + 1];
		tmp[--n] = pairs[2 * r];
	}
	if (v >= 10) {
		tmp[--n] = pairs[2 * v + 1];
		tmp[--n] = pairs[2 * v];
	} else {
		tmp[--n] = (char)('0' + (int)v);
	}
	memcpy(dst, tmp + n, sizeof tmp - n);
	return sizeof tmp - n;
}

static void put_i128(struct out *o, i128 u, int scale)
{
	u128 m = u < 0 ? (u128)0 - (u128)u : (u128)u;
	if (m <= UINT64_MAX && scale >= 0 && scale <= 19) {
		/* every amount of a real file: put_units' text, built right to
		   left in one buffer and put once */
		char t[48];
		size_t n = sizeof t;
		uint64_t v = (uint64_t)m;
		int i = 0;
		for (; i + 2 <= scale; i += 2, v /= 100)
			memcpy(&t[n -= 2], &pairs[2 * (v % 100)], 2);
		if (i < scale) {
			t[--n] = (char)('0' + v % 10);
			v /= 10;
		}
		if (scale)
			t[--n] = '.';
		for (; v >= 100; v /= 100)
			memcpy(&t[n -= 2], &pairs[2 * (v % 100)], 2);
		if (v >= 10)
			memcpy(&t[n -= 2], &pairs[2 * v], 2);
		else
			t[--n] = (char)('0' + v);
		if (u < 0)
			t[--n] = '-';
		put(o, t + n, sizeof t - n);
		return;
	}
	char dig[40];
	size_t nd = u128_digits(m, dig);
	put_units(o, u < 0, dig, nd, scale);
}

/* z's decimal digits: a malloc'd string, sign included. */
static char *z_str(mpz_srcptr z)
{
	char *s = malloc(mpz_sizeinbase(z, 10) + 2);
	if (!s)
		die("out of memory");
	return mpz_get_str(s, 10, z);
}

static void put_z(struct out *o, mpz_srcptr u, int scale)
{
	char *s = z_str(u);
	bool neg = s[0] == '-';
	put_units(o, neg, s + neg, strlen(s + neg), scale);
	free(s);
}

/* If den is 2^a 5^b, set *e = max(a, b). */
static bool den_decimal(mpz_srcptr den, unsigned long *e)
{
	mp_bitcnt_t a = mpz_scan1(den, 0);
	mpz_t t, five;
	mpz_init(t);
	mpz_init_set_ui(five, 5);
	mpz_tdiv_q_2exp(t, den, a);
	mp_bitcnt_t b = mpz_remove(t, t, five);
	bool ok = mpz_cmp_ui(t, 1) == 0;
	*e = a > b ? a : b;
	mpz_clears(t, five, NULL);
	return ok;
}

/* The exact value; returns whether it is a finite decimal. */
static bool put_exact(struct out *o, remit__num a)
{
	if (!a.big) {
		int64_t c = a.coef;
		int e = a.exp;
		if (c == 0)
			e = 0;
		while (e > 0 && c % 10 == 0) {
			c /= 10;
			e--;
		}
		put_i128(o, c, e);
		return true;
	}
	mpz_srcptr num = mpq_numref(a.big), den = mpq_denref(a.big);
	unsigned long e;
	if (den_decimal(den, &e)) {
		/* num × 10^e / den is an integer with no trailing zeros */
		mpz_t u;
		mpz_init(u);
		mpz_ui_pow_ui(u, 10, e);
		mpz_mul(u, u, num);
		mpz_divexact(u, u, den);
		put_z(o, u, (int)e);
		mpz_clear(u);
		return true;
	}
	char *s = z_str(num);
	put_str(o, s);
	free(s);
	put(o, "/", 1);
	s = z_str(den);
	put_str(o, s);
	free(s);
	return false;
}

/* ±units of 10^-scale of a rounded with mode. */
static void put_rounded(struct out *o, remit__num a, int scale, remit__rmode mode)
{
	i128 u;
	if (!a.big && units_small(a, scale, mode, &u)) {
		put_i128(o, u, scale);
		return;
	}
	struct zs z;
	zs_init(&z);
	units_z(z.a, z.b, z.c, a, scale, mode);
	put_z(o, z.a, scale);
	zs_clear(&z);
}

static struct out out_init(char *buf, size_t cap)
{
	struct out o = {buf, cap, 0};
	if (cap)
		buf[0] = '\0';
	return o;
}

size_t remit__num_format(remit__num a, int scale, char *buf, size_t cap)
{
	struct out o = out_init(buf, cap);
	put_rounded(&o, a, scale, REMIT__HALF_EVEN);
	return o.len;
}

size_t remit__num_format_exact(remit__num a, char *buf, size_t cap)
{
	struct out o = out_init(buf, cap);
	put_exact(&o, a);
	return o.len;
}

size_t remit__num_format_explain(remit__num a, int digits, char *buf, size_t cap)
{
	struct out o = out_init(buf, cap);
	if (put_exact(&o, a))
		return o.len;
	put(&o, " = ", 3);
	put_rounded(&o, a, digits < 0 ? 0 : digits, REMIT__DOWN);
	put_str(&o, "\u2026");
	return o.len;
}

/* ---- sums --------------------------------------------------------------- */

/* Switch s to GMP, carrying its total over. */
static void sum_promote(remit__sum *s)
{
	if (s->big)
		return;
	s->big = malloc(sizeof(*s->big));
	if (!s->big)
		die("out of memory");
	mpz_init(s->big);
	z_set_i128(s->big, s->units);
	s->units = 0;
}

/* t's total into an initialised mpz. */
static void sum_z(mpz_ptr z, const remit__sum *t)
{
	if (t->big)
		mpz_set(z, t->big);
	else
		z_set_i128(z, t->units);
}

void remit__sum_add_any(remit__sum *s, remit__num v, int scale)
{
	i128 u, r;
	if (!s->big && !v.big && units_small(v, scale, REMIT__HALF_EVEN, &u) &&
	    !__builtin_add_overflow(s->units, u, &r)) {
		s->units = r;
		return;
	}
	struct zs z;
	zs_init(&z);
	units_z(z.a, z.b, z.c, v, scale, REMIT__HALF_EVEN);
	sum_promote(s);
	mpz_add(s->big, s->big, z.a);
	zs_clear(&z);
}

static void sum_addsub(remit__sum *s, const remit__sum *t, bool sub)
{
	i128 r;
	if (!s->big && !t->big &&
	    !(sub ? __builtin_sub_overflow(s->units, t->units, &r)
		  : __builtin_add_overflow(s->units, t->units, &r))) {
		s->units = r;
		return;
	}
	mpz_t z;
	mpz_init(z);
	sum_z(z, t); /* before promoting: t may be s */
	sum_promote(s);
	if (sub)
		mpz_sub(s->big, s->big, z);
	else
		mpz_add(s->big, s->big, z);
	mpz_clear(z);
}

void remit__sum_add_sum(remit__sum *s, const remit__sum *t)
{
	sum_addsub(s, t, false);
}

void remit__sum_sub_sum(remit__sum *s, const remit__sum *t)
{
	sum_addsub(s, t, true);
}

int remit__sum_cmp(const remit__sum *a, const remit__sum *b)
{
	if (!a->big && !b->big)
		return (a->units > b->units) - (a->units < b->units);
	mpz_t x, y;
	mpz_inits(x, y, NULL);
	sum_z(x, a);
	sum_z(y, b);
	int r = mpz_cmp(x, y);
	mpz_clears(x, y, NULL);
	return (r > 0) - (r < 0);
}

remit__num remit__sum_get(const remit__sum *s, int scale, remit__numpool *pool)
{
	if (!s->big && fits64(s->units))
		return small((int64_t)s->units, scale);
	mpz_t z;
	mpz_init(z);
	sum_z(z, s);
	remit__num r = units_num(pool, z, scale);
	mpz_clear(z);
	return r;
}

size_t remit__sum_format(const remit__sum *s, int scale, char *buf, size_t cap)
{
	struct out o = out_init(buf, cap);
	if (s->big)
		put_z(&o, s->big, scale);
	else
		put_i128(&o, s->units, scale);
	return o.len;
}

void remit__sum_clear(remit__sum *s)
{
	if (s->big) {
		mpz_clear(s->big);
		free(s->big);
	}
	s->big = NULL;
	s->units = 0;
}

/* ---- exact sums of any values ---------------------------------------- */

static void xsum_big(remit__xsum *s)
{
	if (!s->big) {
		s->big = malloc(sizeof *s->big);
		if (!s->big)
			die("out of memory");
		mpq_init(s->big);
	}
}

static void xsum_addsub(remit__xsum *s, remit__num v, bool sub)
{
	i128 u = v.coef, r;
	if (!v.big && v.exp <= REMIT__XSUM_EXP && v.exp >= -REMIT__XSUM_EXP &&
	    mul_p10(&u, REMIT__XSUM_EXP - v.exp) &&
	    !(sub ? __builtin_sub_overflow(s->units, u, &r)
		  : __builtin_add_overflow(s->units, u, &r))) {
		s->units = r;
		return;
	}
	mpq_t q;
	mpq_init(q);
	remit__num_get_mpq(q, v);
	xsum_big(s);
	if (sub)
		mpq_sub(s->big, s->big, q);
	else
		mpq_add(s->big, s->big, q);
	mpq_clear(q);
}

void remit__xsum_add_any(remit__xsum *s, remit__num v)
{
	xsum_addsub(s, v, false);
}

void remit__xsum_sub(remit__xsum *s, remit__num v)
{
	xsum_addsub(s, v, true);
}

/* The 128-bit part as an exact rational. */
static void xsum_units_q(mpq_ptr q, const remit__xsum *s)
{
	mpz_t d;
	z_set_i128(mpq_numref(q), s->units);
	mpz_init(d);
	mpz_ui_pow_ui(d, 10, REMIT__XSUM_EXP);
	mpz_set(mpq_denref(q), d);
	mpq_canonicalize(q);
	mpz_clear(d);
}

static void xsum_addsub_xsum(remit__xsum *s, const remit__xsum *t, bool sub)
{
	i128 r;
	if (!(sub ? __builtin_sub_overflow(s->units, t->units, &r)
		  : __builtin_add_overflow(s->units, t->units, &r))) {
		s->units = r;
	} else {
		mpq_t q;
		mpq_init(q);
		xsum_units_q(q, t);
		xsum_big(s);
		if (sub)
			mpq_sub(s->big, s->big, q);
		else
			mpq_add(s->big, s->big, q);
		mpq_clear(q);
	}
	if (t->big) {
		xsum_big(s);
		if (sub)
			mpq_sub(s->big, s->big, t->big);
		else
			mpq_add(s->big, s->big, t->big);
	}
}

void remit__xsum_add_xsum(remit__xsum *s, const remit__xsum *t)
{
	xsum_addsub_xsum(s, t, false);
}

void remit__xsum_sub_xsum(remit__xsum *s, const remit__xsum *t)
{
	xsum_addsub_xsum(s, t, true);
}

remit__num remit__xsum_get(const remit__xsum *s, remit__numpool *pool)
{
	remit__num r;
	if (!s->big && norm128(s->units, REMIT__XSUM_EXP, &r))
		return r;
	mpq_t q;
	mpq_init(q);
	xsum_units_q(q, s);
	if (s->big)
		mpq_add(q, q, s->big);
	r = remit__num_from_mpq(pool, q);
	mpq_clear(q);
	return r;
}

void remit__xsum_clear(remit__xsum *s)
{
	if (s->big) {
		mpq_clear(s->big);
		free(s->big);
	}
	s->units = 0;
	s->big = NULL;
}
