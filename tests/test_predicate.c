/*
 * test_predicate.c — the condition language: every operator, wildcards,
 * short and long lists, has, precedence, absent fields, typed literals,
 * attributes, and the compile errors with their exact offsets and messages.
 *
 * Rows are built by hand; every expectation is worked out by hand.
 */
#include "predicate.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static remit__val A[REMIT__A_COUNT];
static remit__val P[REMIT__P_COUNT];
static remit__attrset attrs;

static void set_str(remit__val *v, const char *s)
{
	v->s.p = s;
	v->s.n = (uint32_t)strlen(s);
	v->present = v->s.n > 0;
}

static void set_int(remit__val *v, int64_t i)
{
	v->i = i;
	v->present = true;
}

static void set_date(remit__val *v, const char *s)
{
	cr_assert(remit__date_parse(s, strlen(s), &v->i), "bad date %s", s);
	v->present = true;
}

static void set_dec(remit__val *v, int64_t coef, int32_t exp)
{
	v->d.coef = coef;
	v->d.exp = exp;
	v->d.big = NULL;
	v->present = true;
}

static void absent(remit__val *v)
{
	memset(v, 0, sizeof(*v));
}

/* A typical inpatient row; end, cost and quantity absent. */
static void setup(void)
{
	memset(A, 0, sizeof(A));
	memset(P, 0, sizeof(P));
	memset(&attrs, 0, sizeof(attrs));
	set_str(&A[REMIT__A_ID], "A1");
	set_str(&A[REMIT__A_PATIENT], "P1");
	set_str(&A[REMIT__A_PROVIDER], "RXX01");
	set_str(&A[REMIT__A_COMMISSIONER], "C1");
	set_str(&A[REMIT__A_POD], "EL");
	set_str(&A[REMIT__A_CODE], "HN12A");
	set_date(&A[REMIT__A_START], "2024-10-01");
	set_int(&A[REMIT__A_LOS], 2);
	set_int(&A[REMIT__A_AGE], 67);
	set_str(&A[REMIT__A_SEX], "F");
	set_str(&A[REMIT__A_DIAGNOSES], "M16.1|E11.9");
	set_str(&A[REMIT__A_PROCEDURES], "W371|Z843");
	set_str(&A[REMIT__A_FLAGS], "BPT_HIP");

	set_str(&P[REMIT__P_PATIENT], "P9");
	set_str(&P[REMIT__P_PRACTICE], "P81002");
	set_str(&P[REMIT__P_COMMISSIONER], "C1");
	set_date(&P[REMIT__P_FROM], "2024-04-01");
	set_int(&P[REMIT__P_AGE], 71);
	set_str(&P[REMIT__P_SEX], "M");
	set_str(&P[REMIT__P_CONDITIONS], "copd|diabetes");
	set_dec(&P[REMIT__P_NEED], 125, 2);
}

static void teardown(void)
{
	remit__attrset_free(&attrs);
}

TestSuite(predicate, .init = setup, .fini = teardown);

static remit__pred *compile_as(const remit__schema *s, const char *src)
{
	remit__pred *p = NULL;
	size_t off = 0;
	char msg[256] = "";
	int r = remit__pred_compile(src, strlen(src), s, &attrs, &p, &off, msg, sizeof(msg));
	cr_assert_eq(r, 0, "compile '%s' failed at %zu: %s", src, off, msg);
	cr_assert_not_null(p);
	return p;
}

static bool on(const remit__schema *s, const remit__val *f, const char *src)
{
	remit__pred *p = compile_as(s, src);
	remit__row row = {.f = f};
	bool r = remit__pred_eval(p, &row, NULL);
	remit__pred_free(p);
	return r;
}

/* Evaluate on the activity row A. */
static bool act(const char *src)
{
	return on(&remit__activity_schema, A, src);
}

static bool pop(const char *src)
{
	return on(&remit__population_schema, P, src);
}

#define T(src) cr_expect(act(src), "expected true: %s", src)
#define F(src) cr_expect(!act(src), "expected false: %s", src)

/* ---- operators ------------------------------------------------------- */

Test(predicate, string_equality)
{
	T("pod == EL");
	F("pod == DC");
	F("pod != EL");
	T("pod != DC");
	T("pod == 'EL'");
	T("pod == \"EL\"");
	F("pod == el");  /* bytes: case matters */
	F("pod == ELX"); /* no prefix match without * */
	F("code == HN12");
}

Test(predicate, string_ordering_is_bytewise)
{
	T("code < HN13");   /* '2' < '3' */
	F("code < HN12A");
	T("code <= HN12A");
	T("code > HN12");   /* a longer string after its prefix */
	F("code >= HN12B");
	T("code >= HN12A");
	T("code > HN12-");  /* 'A' (0x41) > '-' (0x2d) */
	T("provider < "
	  "RXX02");
}

Test(predicate, in_and_not_in)
{
	T("pod in [EL, DC]");
	F("pod in [NE, DC]");
	F("pod not in [EL, DC]");
	T("pod not in [NE, DC]");
	T("pod in [EL]");
	T("pod in ['EL', \"DC\"]");
	T("pod in [ EL ,DC ]");
	T("pod in [NE, EL, NE]"); /* duplicates are harmless */
}

Test(predicate, integers)
{
	T("los == 2");
	T("los <= 2");
	F("los < 2");
	T("los > 1");
	F("los >= 3");
	T("los != 3");
	T("age >= 19");
	T("age > -1");
	T("age > +66");
	T("age in [65, 66, 67]");
	F("age in [18, 19]");
	T("age not in [18, 19]");
	F("pod == NE and los <= 1 and age >= 19");
	set_str(&A[REMIT__A_POD], "NE");
	set_int(&A[REMIT__A_LOS], 1);
	T("pod == NE and los <= 1 and age >= 19");
	set_int(&A[REMIT__A_AGE], 18);
	F("pod == NE and los <= 1 and age >= 19");
	set_int(&A[REMIT__A_AGE], -5);
	T("age < -3");
	T("age == -5");
}

Test(predicate, dates)
{
	T("start >= 2024-10-01");
	F("start > 2024-10-01");
	T("start < 2024-10-02");
	T("start > 2024-09-30");
	T("start == 2024-10-01");
	F("start != 2024-10-01");
	T("start in [2024-09-30, 2024-10-01]");
	F("start in [2023-10-01, 2025-10-01]");
	T("start > 2023-12-31 and start < 2025-01-01");
	T("start > 2000-02-29"); /* a leap day */
}

Test(predicate, decimals)
{
	set_dec(&A[REMIT__A_COST], 10051, 2); /* 100.51 */
	T("cost > 100.50");
	T("cost > 100.5");
	F("cost > 100.51");
	T("cost >= 100.51");
	T("cost == 100.510");
	F("cost < 100");
	T("cost <= 101");
	set_dec(&A[REMIT__A_COST], 1005, 1); /* 100.5 */
	F("cost > 100.50");
	T("cost >= 100.50");
	T("cost == 100.5000");
	T("cost in [1, 100.5]");
	F("cost in [1, 100.49]");
	T("cost not in [1, 100.49]");
	set_dec(&A[REMIT__A_COST], -5, 0);
	T("cost < -3");
	T("cost < -4.99");
	T("cost > -5.01");
	T("cost < .1");
}

Test(predicate, decimal_literal_beyond_the_small_form)
{
	set_dec(&A[REMIT__A_COST], 12050, 2);
	T("cost < 123456789012345678901234567890");
	F("cost > 123456789012345678901234567890");
	T("cost > -123456789012345678901234567890.5");
}

Test(predicate, sex)
{
	T("sex == F");
	F("sex == M");
	T("sex != M");
	T("sex in [F, U]");
	F("sex in [M, U]");
	T("sex == \"F\"");
}

/* ---- wildcards and quoting ------------------------------------------- */

Test(predicate, prefix_wildcards)
{
	T("code == HN12*");
	T("code == HN1*");
	T("code == HN12A*"); /* the prefix may be the whole value */
	F("code == HN13*");
	F("code == HN12AB*");
	F("code != HN12*");
	T("code != HN13*");
	T("code in [HN13A, HN12*]");
	F("code in [HN13A, HN13*]");
	T("code not in [HN13A, HN13*]");
	T("pod in [EL, DC] and code in [HN12*, HN13A]");
	set_str(&A[REMIT__A_CODE], "HN12");
	T("code == HN12*");
	set_str(&A[REMIT__A_CODE], "HN1");
	F("code == HN12*");
}

Test(predicate, bare_star_matches_any_present_value)
{
	T("code == *");
	F("end == *"); /* end is absent */
	T("end != *");
	T("start == *"); /* a presence test works on any field */
	T("age == *");
	F("cost == *");
	T("sex == *");
	T("diagnoses has *");
	absent(&A[REMIT__A_AGE]);
	F("age == *");
	T("age != *");
	absent(&A[REMIT__A_CODE]);
	F("code == *");
}

Test(predicate, quoted_strings_are_literal)
{
	set_str(&A[REMIT__A_CODE], "X*");
	T("code == \"X*\"");
	T("code == 'X*'");
	F("code == \"X\"");
	T("code == X*"); /* bare: a prefix, and "X*" starts with X */
	set_str(&A[REMIT__A_CODE], "XY");
	F("code == \"X*\"");
	T("code == X*");
	set_str(&A[REMIT__A_POD], "and");
	T("pod == \"and\"");
	set_str(&A[REMIT__A_CODE], "a b,c(d)");
	T("code == 'a b,c(d)'");
	set_str(&A[REMIT__A_CODE], "say \"hi\"");
	T("code == 'say \"hi\"'");
}

Test(predicate, words_with_dots_dashes_and_digits)
{
	set_str(&A[REMIT__A_CODE], "E11.9");
	T("code == E11.9");
	T("code in [E10.1,E11.9]");
	T("code == E11.*");
	F("code == E11.");
}

/* ---- lists ------------------------------------------------------------ */

/* "field in [C0000, C0001, ...]" with items from..to stepping by step. */
static char *code_list(const char *head, int from, int to, int step, const char *extra)
{
	size_t cap = strlen(head) + strlen(extra) + 16 + (size_t)abs(to - from) * 8 + 8;
	char *s = malloc(cap);
	size_t k = (size_t)sprintf(s, "%s [", head);
	for (int i = from; step > 0 ? i <= to : i >= to; i += step)
		k += (size_t)sprintf(s + k, "%sC%04d", k > strlen(head) + 2 ? ", " : "", i);
	sprintf(s + k, "%s]", extra);
	return s;
}

static bool code_is(const char *src, const char *code)
{
	set_str(&A[REMIT__A_CODE], code);
	return act(src);
}

/* A scope of one "in" of a few short strings is tested by a key of each
 * string: strings whose keys agree but whose lengths do not, a difference
 * in any byte, a value too long to key, and more literals than the keyed
 * form takes. */
Test(predicate, in_by_key)
{
	cr_expect(code_is("code in [E]", "E"));
	cr_expect(!code_is("code in [EEE]", "E"));
	cr_expect(!code_is("code in [EE, EEE]", "E"));
	cr_expect(code_is("code not in [EE, EEE]", "E"));
	cr_expect(!code_is("code in [AAAAA]", "AAAAAA"));
	cr_expect(code_is("code in [AAAAA, AAAAAA]", "AAAAAA"));
	cr_expect(code_is("code in [ABCDEFGHIJKLMNOP]", "ABCDEFGHIJKLMNOP"));
	cr_expect(!code_is("code in [ABCDEFGHIJKLMNOP]", "ABCDEFGHXJKLMNOP"));
	cr_expect(!code_is("code in [ABCDEFGHIJKLMNOP]", "ABCDEFGHIJKLMNOQ"));
	cr_expect(!code_is("code in [ABC, ABCDEFGHIJKLMNOP]", "ABCDEFGHIJKLMNOPQ"));
	cr_expect(code_is("code not in [ABC]", "ABCDEFGHIJKLMNOPQ"));
	cr_expect(code_is("code in [A, B, C, D, HN1]", "HN1"));
	cr_expect(!code_is("code in [A, B, C, D, HN1]", "HN"));
	cr_expect(code_is("code in [A, B, C, D, E, F, G, HN1]", "HN1"));
	cr_expect(code_is("code in [A, B, C, D, E, F, G, H, HN1]", "HN1"));
	cr_expect(!code_is("code in [A, B, C, D, E, F, G, H, HN1]", "HN"));
	cr_expect(!code_is("code in [A, HN1]", ""));
	cr_expect(code_is("code not in [A, HN1]", ""));
}

/* An `and` of a few such tests is keyed the same way: each conjunct
 * counts, the first, a middle and the last; negated ones; more conjuncts
 * than the keyed form takes; an `or` inside; an absent field.  (The row:
 * provider RXX01, commissioner C1, pod EL, code HN12A, sex F, id A1.) */
Test(predicate, and_of_keyed_tests)
{
	T("provider == RXX01 and pod in [EL, NE]");
	F("provider == RXX02 and pod in [EL, NE]");
	F("provider == RXX01 and pod in [DC, NE]");
	T("provider == RXX01 and pod == EL and commissioner == C1");
	F("provider == RXX01 and pod == OPFA and commissioner == C1");
	F("provider == RXX01 and pod == EL and commissioner == C2");
	T("provider == RXX01 and pod != NE");
	F("provider == RXX01 and pod not in [EL, NE]");
	F("provider == RXX01 and sex == U");
	T("provider == RXX01 and patient != P2");
	T("pod == EL and code == HN12A and sex == F and commissioner == C1");
	F("pod == EL and code == HN12A and sex == F and commissioner == C2");
	T("pod == EL and code == HN12A and sex == F and commissioner == C1 and id == A1");
	T("pod in [A, B, C, D, E, F, G, EL] and code in [A, B, C, D, E, F, G, H, HN12A]");
	F("pod in [A, B, C, D, E, F, G, H] and code == HN12A");
	F("pod == EL and code == HN12A and sex == F and commissioner == C1 and id == A2");
	F("pod == EL and (code == HN12B or code == HN12C)");
	absent(&A[REMIT__A_COMMISSIONER]); /* fails == and in, passes != and not in */
	F("provider == RXX01 and commissioner == C1");
	F("provider == RXX01 and commissioner in [C1, C2]");
	T("provider == RXX01 and commissioner != C1");
	T("provider == RXX01 and commissioner not in [C1, C2]");
}

Test(predicate, long_sorted_list)
{
	/* 2,000 codes given in reverse order, plus two wildcards. */
	char *src = code_list("code in", 1999, 0, -1, ", D1*, EE*");
	cr_expect(code_is(src, "C0000"));
	cr_expect(code_is(src, "C1999"));
	cr_expect(code_is(src, "C1000"));
	cr_expect(code_is(src, "C0999"));
	cr_expect(code_is(src, "C0001"));
	cr_expect(!code_is(src, "C2000"));
	cr_expect(!code_is(src, "C"));
	cr_expect(!code_is(src, "C00000"));
	cr_expect(!code_is(src, "B0000"));
	cr_expect(!code_is(src, "D0000"));
	cr_expect(code_is(src, "D1"));
	cr_expect(code_is(src, "D15"));
	cr_expect(code_is(src, "EE"));
	cr_expect(!code_is(src, "E"));
	free(src);

	src = code_list("code not in", 0, 1999, 1, "");
	cr_expect(!code_is(src, "C1234"));
	cr_expect(code_is(src, "C12345"));
	free(src);
}

Test(predicate, list_sizes_around_the_sorting_threshold)
{
	for (int n = 14; n <= 19; n++) {
		/* odd codes C0001..C(2n-1), in shuffled-ish descending order */
		char *src = code_list("code in", 2 * n - 1, 1, -2, "");
		char code[16];
		for (int i = 0; i <= 2 * n + 1; i++) {
			snprintf(code, sizeof(code), "C%04d", i);
			cr_expect_eq(code_is(src, code), i % 2 == 1 && i <= 2 * n - 1,
				     "n=%d code %s", n, code);
		}
		free(src);
	}
}

Test(predicate, has_single_and_list)
{
	T("flags has BPT_HIP");
	F("flags has BPT_KNEE");
	F("flags has BPT");
	T("flags has BPT*");
	T("diagnoses has [E10*, E11*]");
	T("diagnoses has M16.1");
	T("diagnoses has E11.9");
	F("diagnoses has E11");
	T("diagnoses has E11*");
	F("diagnoses has [E10*, I21*]");
	T("procedures has [X721, Z843]");
	T("not diagnoses has I21*");
	set_str(&A[REMIT__A_DIAGNOSES], "|I10||E11.9|");
	T("diagnoses has E11.9");
	T("diagnoses has I10");
	F("diagnoses has [E10*, J*]");
}

Test(predicate, has_with_a_long_list)
{
	char *src = code_list("diagnoses has", 0, 99, 1, "");
	set_str(&A[REMIT__A_DIAGNOSES], "X1|C0050|Y2");
	cr_expect(act(src));
	set_str(&A[REMIT__A_DIAGNOSES], "X1|C0100|Y2");
	cr_expect(!act(src));
	set_str(&A[REMIT__A_DIAGNOSES], "C0099");
	cr_expect(act(src));
	free(src);
}

/* ---- logic -------------------------------------------------------------- */

Test(predicate, and_binds_tighter_than_or)
{
	/* EL, age 67: "a or (b and c)" is true; "(a or b) and c" is false */
	T("pod == EL or pod == DC and age < 18");
	F("(pod == EL or pod == DC) and age < 18");
	T("pod == DC and age < 18 or pod == EL");
	F("pod == DC and (age < 18 or pod == EL)");
	T("pod == DC or pod == NE or code == HN12A");
	F("pod == EL and age > 60 and sex == M");
	T("pod == EL and age > 60 and sex == F");
}

Test(predicate, not_binds_tightest)
{
	T("not pod == DC and age > 60");
	F("not (pod == EL and age > 60)");
	T("not pod == EL or age > 60");
	F("not (pod == EL or age > 60)");
	T("not not pod == EL");
	F("not not not pod == EL");
	F("not (provider == RXX01) or start >= 2024-10-02");
	T("not (provider == RXX01) or start >= 2024-10-01");
	T("not (provider == RYY01) or start >= 2024-10-02");
}

Test(predicate, parentheses_and_whitespace)
{
	T("((pod == EL))");
	T("(pod==EL)and(age>=19)");
	T("\n\tpod ==\r\n EL\n");
	T("pod in[EL,DC]and code in[HN12*]");
	F("provider == RYY and pod == COM");
	set_str(&A[REMIT__A_PROVIDER], "RYY");
	set_str(&A[REMIT__A_POD], "COM");
	T("provider == RYY and pod == COM");
}

Test(predicate, deep_nesting_up_to_the_limit)
{
	char src[512];
	size_t k = 0;
	for (int i = 0; i < 64; i++)
		src[k++] = '(';
	k += (size_t)sprintf(src + k, "pod == EL");
	for (int i = 0; i < 64; i++)
		src[k++] = ')';
	src[k] = '\0';
	T(src);
	k = 0;
	for (int i = 0; i < 64; i++)
		k += (size_t)sprintf(src + k, "not ");
	sprintf(src + k, "pod == EL");
	T(src); /* an even number of nots */
}

Test(predicate, long_chains)
{
	/* 3,000 terms of and, then of or: n-ary nodes, no deep recursion */
	size_t cap = 3000 * 24;
	char *src = malloc(cap);
	size_t k = 0;
	for (int i = 0; i < 3000; i++)
		k += (size_t)sprintf(src + k, "%sage != %d", i ? " and " : "", 1000 + i);
	T(src);
	k = 0;
	for (int i = 0; i < 3000; i++)
		k += (size_t)sprintf(src + k, "%sage == %d", i ? " or " : "", i);
	T(src); /* age 67 is among 0..2999 */
	set_int(&A[REMIT__A_AGE], 3000);
	F(src);
	free(src);
}

/* ---- absent fields -------------------------------------------------- */

Test(predicate, absent_fields_fail_every_comparison)
{
	/* end, cost and quantity are absent in the fixture */
	F("end >= 2024-01-01");
	F("end < 2024-01-01");
	F("end == 2024-01-01");
	T("end != 2024-01-01");
	T("not (end >= 2024-01-01)");
	F("cost > 0");
	F("cost <= 0");
	T("cost != 0");
	F("quantity in [1, 2]");
	T("quantity not in [1, 2]");
	absent(&A[REMIT__A_AGE]);
	F("age >= 0");
	F("age < 0");
	F("age in [0]");
	T("age not in [0]");
	absent(&A[REMIT__A_DIAGNOSES]);
	F("diagnoses has [E10*, E11*]");
	F("diagnoses has *");
	T("not diagnoses has *");
	absent(&A[REMIT__A_CODE]);
	F("code == HN12*");
	F("code < ZZZ");
	F("code > A");
	T("code != HN12A");
	T("code not in [HN12*]");
}

/* ---- population ------------------------------------------------------ */

Test(predicate, population_schema)
{
	cr_expect(pop("conditions has diabetes"));
	cr_expect(pop("conditions has [asthma, copd]"));
	cr_expect(!pop("conditions has asthma"));
	cr_expect(pop("practice in [P81001, P81002, P81003]"));
	cr_expect(!pop("practice in [P81001, P81003]"));
	cr_expect(pop("age >= 65 and sex == M"));
	cr_expect(pop("from <= 2024-04-01 and from > 2024-03-31"));
	cr_expect(pop("need > 1.2 and need < 1.26"));
	cr_expect(!pop("to >= 2024-04-01"));
	cr_expect(!pop("tier == 1"));
	cr_expect(pop("tier != 1"));
	set_str(&P[REMIT__P_TIER], "3");
	cr_expect(pop("tier in [\"3\", 4]"));
}

/* ---- attributes ------------------------------------------------------ */

Test(predicate, attributes)
{
	remit__pred *p = compile_as(&remit__activity_schema, "region == NORTH and pod == EL");
	const char *qs = "pod == EL and (team has B or region != NORTH) and team == *";
	remit__pred *q = compile_as(&remit__activity_schema, qs);
	uint32_t slot;
	size_t off;

	cr_assert_eq(attrs.n, 2);
	cr_expect_str_eq(attrs.names[0], "region");
	cr_expect_str_eq(attrs.names[1], "team");
	cr_assert_eq(remit__pred_nattrs(p), 1);
	remit__pred_attr(p, 0, &slot, &off);
	cr_expect_eq(slot, 0);
	cr_expect_eq(off, 0);
	cr_assert_eq(remit__pred_nattrs(q), 2);
	remit__pred_attr(q, 0, &slot, &off);
	cr_expect_eq(slot, 1);
	cr_expect_eq(off, 15);
	cr_expect_eq(off, (size_t)(strstr(qs, "team") - qs));
	remit__pred_attr(q, 1, &slot, &off);
	cr_expect_eq(slot, 0);
	cr_expect_eq(off, 29);
	cr_expect_eq(off, (size_t)(strstr(qs, "region") - qs));

	/* the file's extra columns: other, team, region */
	remit__str cells[3] = {{"x", 1}, {"A|B", 3}, {"NORTH", 5}};
	uint32_t map[2] = {2, 1};
	remit__row row = {.f = A, .attrs = cells, .nattrs = 3};
	cr_expect(remit__pred_eval(p, &row, map));
	cr_expect(remit__pred_eval(q, &row, map)); /* team has B */
	cells[1] = (remit__str){"A|C", 3};
	cr_expect(!remit__pred_eval(q, &row, map));
	cells[2] = (remit__str){"SOUTH", 5};
	cr_expect(!remit__pred_eval(p, &row, map));
	cr_expect(remit__pred_eval(q, &row, map)); /* region != NORTH */
	cells[1] = (remit__str){"", 0};          /* an empty cell is absent */
	cr_expect(!remit__pred_eval(q, &row, map));
	remit__pred_free(p);
	remit__pred_free(q);
}

Test(predicate, attributes_compare_as_strings)
{
	remit__pred *p = compile_as(&remit__activity_schema, "band >= 3");
	remit__pred *w = compile_as(&remit__activity_schema, "band in [1*, 7]");
	remit__str cell = {"10", 2};
	uint32_t map[1] = {0};
	remit__row row = {.f = A, .attrs = &cell, .nattrs = 1};
	cr_expect(!remit__pred_eval(p, &row, map)); /* "10" < "3" bytewise */
	cr_expect(remit__pred_eval(w, &row, map));
	cell = (remit__str){"4", 1};
	cr_expect(remit__pred_eval(p, &row, map));
	cr_expect(!remit__pred_eval(w, &row, map));
	remit__pred_free(p);
	remit__pred_free(w);
}

Test(predicate, no_attrset_makes_unknown_names_errors)
{
	remit__pred *p = (remit__pred *)1;
	size_t off = 99;
	char msg[128];
	const char *src = "pod == EL and region == N";
	cr_assert_eq(remit__pred_compile(src, strlen(src), &remit__activity_schema, NULL, &p, &off,
					 msg, sizeof(msg)),
		     -1);
	cr_expect_null(p);
	cr_expect_eq(off, 14);
	cr_expect_str_eq(msg, "unknown field 'region'");
}

/* ---- memory ---------------------------------------------------------- */

Test(predicate, owns_a_copy_of_its_source)
{
	const char *text = "pod in [EL, DC] and code in [HN12*, HN13A] and trailing junk";
	char *src = strdup(text);
	remit__pred *p = NULL;
	size_t off;
	char msg[128];
	cr_assert_eq(remit__pred_compile(src, 42, &remit__activity_schema, &attrs, &p, &off, msg,
					 sizeof(msg)),
		     0, "%s", msg);
	memset(src, 'Z', strlen(src));
	free(src);
	cr_expect_str_eq(remit__pred_source(p), "pod in [EL, DC] and code in [HN12*, HN13A]");
	remit__row row = {.f = A};
	cr_expect(remit__pred_eval(p, &row, NULL));
	set_str(&A[REMIT__A_CODE], "HN13B");
	cr_expect(!remit__pred_eval(p, &row, NULL));
	cr_expect_eq(remit__pred_nattrs(p), 0);
	remit__pred_free(p);
	remit__pred_free(NULL);
}

/* ---- errors ----------------------------------------------------------- */

typedef struct bad {
	const char *src;
	size_t off;
	const char *msg;
} bad;

static void expect_errors(const remit__schema *s, const bad *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		remit__pred *p = (remit__pred *)1;
		size_t off = 9999;
		char msg[256] = "";
		int r = remit__pred_compile(b[i].src, strlen(b[i].src), s, &attrs, &p, &off, msg,
					    sizeof(msg));
		cr_expect_eq(r, -1, "compiled: %s", b[i].src);
		cr_expect_null(p, "out not NULL: %s", b[i].src);
		if (r != -1)
			remit__pred_free(p);
		cr_expect_eq(off, b[i].off, "%s: offset %zu, expected %zu (%s)", b[i].src, off,
			     b[i].off, msg);
		cr_expect_str_eq(msg, b[i].msg, "%s", b[i].src);
	}
}

#define OPS "==, !=, <, <=, >, >=, in, not in or has"

Test(predicate, syntax_errors)
{
	static const bad b[] = {
		{"", 0, "expected a condition"},
		{"   ", 3, "expected a condition"},
		{"pod == EL and", 13, "expected a condition after 'and'"},
		{"pod == EL or ", 13, "expected a condition after 'or'"},
		{"not", 3, "expected a condition after 'not'"},
		{"pod == EL and )", 14, "expected a condition before ')'"},
		{"()", 1, "expected a condition before ')'"},
		{"== EL", 0, "expected a field name, got '=='"},
		{"19 == age", 0, "expected a field name, got '19'"},
		{"and pod == EL", 0, "expected a field name, got 'and'"},
		{"'pod' == EL", 0, "expected a field name; field names are not quoted"},
		{"2024-10-01 <= start", 0, "expected a field name, got '2024-10-01'"},
		{"co*de == X", 0, "expected a field name, got 'co*de'"},
		{"pod == EL AND age > 1", 10,
		 "unexpected 'AND' after the end of the condition; expected 'and' or 'or'"},
		{"pod IN [EL]", 4, "expected " OPS " after 'pod'"},
		{"pod == EL and not", 17, "expected a condition after 'not'"},
		{"pod not", 7, "expected 'in' after 'not'"},
		{"pod EL", 4, "expected " OPS " after 'pod'"},
		{"pod", 3, "expected " OPS " after 'pod'"},
		{"pod => EL", 4, "unknown operator '=>'; expected " OPS},
		{"pod = EL", 4, "unknown operator '='; expected " OPS},
		{"pod ! EL", 4, "unknown operator '!'; expected " OPS},
		{"pod not == EL", 8, "expected 'in' after 'not'"},
		{"pod == \"EL", 7, "unterminated string: no closing \""},
		{"pod in ['EL, DC]", 8, "unterminated string: no closing '"},
		{"pod ==", 6, "expected a value after '=='"},
		{"pod == and age > 1", 7, "expected a value after '=='"},
		{"pod == (EL)", 7, "expected a value after '=='"},
		{"pod == [EL]", 7,
		 "expected a value after '=='; to test against a list use 'in [...]'"},
		{"pod in EL", 7, "expected a list like [A, B] after 'in'"},
		{"pod not in EL", 11, "expected a list like [A, B] after 'not in'"},
		{"pod in [EL, DC", 14, "expected ']' to close the list"},
		{"pod in [EL DC]", 11, "expected ',' or ']' in the list"},
		{"pod in [EL; DC]", 12, "expected ',' or ']' in the list"},
		{"pod in []", 8, "the list is empty"},
		{"pod in [EL,]", 11, "expected a value after ','"},
		{"pod in [, EL]", 8, "expected a value after '['"},
		{"pod in [EL, in]", 12, "expected a value after ','"},
		{"(pod == EL", 10, "expected ')' to close '('"},
		{"(pod == EL DC)", 11, "expected 'and', 'or' or ')', got 'DC'"},
		{"pod == EL)", 9, "unexpected ')'"},
		{"pod == EL DC", 10,
		 "unexpected 'DC' after the end of the condition; expected 'and' or 'or'"},
		{"pod == EL, DC", 9,
		 "unexpected ',' after the end of the condition; expected 'and' or 'or'"},
		{"pod == EL\x01", 9, "unexpected character (byte 0x01)"},
		{"code == HN*2", 8, "'*' can only end a value, as a prefix wildcard (HN12*)"},
		{"code == HN12**", 8, "'*' can only end a value, as a prefix wildcard (HN12*)"},
		{"code == \"\"", 8,
		 "an empty value \"\" never matches: an empty cell fails every comparison"},
	};
	expect_errors(&remit__activity_schema, b, sizeof(b) / sizeof(b[0]));
}

Test(predicate, type_errors)
{
	static const bad b[] = {
		{"age > \"x\"", 6, "age is a number; expected a number, got \"x\""},
		{"age > '19'", 6, "age is a number; expected a number, got '19'"},
		{"age > x", 6, "age is a number; expected a number, got x"},
		{"age >= 19.5", 7, "age is a whole number; expected a whole number, got 19.5"},
		{"los in [1, 2.0]", 11, "los is a whole number; expected a whole number, got 2.0"},
		{"age == 1*", 7, "age is a number; expected a number, got 1*"},
		{"age < 99999999999999999999", 6,
		 "age is a number; expected a number, got 99999999999999999999"},
		{"start >= 2024-13-01", 9,
		 "start is a date; expected a date as YYYY-MM-DD, got 2024-13-01"},
		{"start >= 2023-02-29", 9,
		 "start is a date; expected a date as YYYY-MM-DD, got 2023-02-29"},
		{"end < 01/10/2024", 6, "end is a date; expected a date as YYYY-MM-DD, got 01/10/2024"},
		{"start == \"2024-10-01\"", 9,
		 "start is a date; expected a date as YYYY-MM-DD, got \"2024-10-01\""},
		{"cost > abc", 7, "cost is a number; expected a number, got abc"},
		{"cost > 12.5%", 7, "cost is a number; expected a number, got 12.5%"},
		{"cost > 1,000", 8,
		 "unexpected ',' after the end of the condition; expected 'and' or 'or'"},
		{"sex == X", 7, "sex is M, F or U; got X"},
		{"sex in [M, f]", 11, "sex is M, F or U; got f"},
		{"sex == M*", 7, "sex is M, F or U; got M*"},
		{"sex < M", 4, "sex is M, F or U; only ==, !=, in and not in apply"},
		{"code has HN12A", 5,
		 "has needs a list field (diagnoses, procedures, flags); code is not a list"},
		{"age has 1", 4,
		 "has needs a list field (diagnoses, procedures, flags); age is not a list"},
		{"diagnoses in [E11]", 10,
		 "diagnoses is a list; use 'has' instead of 'in' (diagnoses has [...])"},
		{"diagnoses not in [E11]", 10,
		 "diagnoses is a list; use 'has' instead of 'not in' (diagnoses has [...])"},
		{"flags == X", 6, "flags is a list; use 'has' instead of '==' (flags has [...])"},
		{"diagnoses < E11", 10,
		 "diagnoses is a list; use 'has' instead of '<' (diagnoses has [...])"},
		{"code < HN12*", 7, "a wildcard (*) works only with ==, !=, in, not in and has"},
		{"region >= A*", 10, "a wildcard (*) works only with ==, !=, in, not in and has"},
	};
	expect_errors(&remit__activity_schema, b, sizeof(b) / sizeof(b[0]));
}

Test(predicate, population_errors)
{
	static const bad b[] = {
		{"conditions in [diabetes]", 11,
		 "conditions is a list; use 'has' instead of 'in' (conditions has [...])"},
		{"practice has P81001", 9,
		 "has needs a list field (conditions); practice is not a list"},
		{"need > high", 7, "need is a number; expected a number, got high"},
	};
	expect_errors(&remit__population_schema, b, sizeof(b) / sizeof(b[0]));
}

Test(predicate, nesting_limit)
{
	char src[512];
	size_t k = 0;
	for (int i = 0; i < 65; i++)
		src[k++] = '(';
	sprintf(src + k, "pod == EL");
	bad b[2] = {
		{src, 64, "too deeply nested: more than 64 levels of parentheses or not"},
		{NULL, 0, "too deeply nested: more than 64 levels of parentheses or not"},
	};
	char src2[512];
	k = 0;
	for (int i = 0; i < 32; i++)
		k += (size_t)sprintf(src2 + k, "not (");
	k += (size_t)sprintf(src2 + k, "not pod == EL");
	b[1].src = src2;
	b[1].off = 32 * 5;
	expect_errors(&remit__activity_schema, b, 2);
}

Test(predicate, list_length_limit)
{
	char *src = code_list("code in", 0, 65536, 1, "");
	size_t want = strstr(src, "C65536") - src;
	bad b[1] = {{src, want, "the list has more than 65536 values"}};
	expect_errors(&remit__activity_schema, b, 1);
	free(src);
}
