/*
 * synth.c — `remit synth`: realistic synthetic data at any size, and a set
 * of payment regimes for it.
 *
 *   remit synth --rows N [--patients N] [--providers N] [--seed S] --out DIR
 *
 * writes DIR/population.csv, DIR/activity.csv (exactly N rows) and
 * DIR/regimes/ (pbr.yaml, pbr-bundle.yaml, pbr-yoc.yaml, ico.yaml and their
 * tables prices.csv, mff.csv, holders.csv), all following spec/DATA.md and
 * spec/RULES.md.  The same arguments give byte-identical files.
 *
 * Only the C standard library (and mkdir from POSIX) is used, and no
 * floating point at all: probabilities are integer parts per million (ppm),
 * money is integer pence, factors are ppm.
 *
 * THE MODEL (rates are the numbers in the tables below; all illustrative,
 * shaped on published English figures: ONS mid-year population estimates,
 * QOF disease prevalence, Hospital Episode Statistics, A&E, community and
 * mental-health services data sets, rounded):
 *
 * Population.  One person per patient, in order.  Age from a 5-year
 *   pyramid (17.3% under 15, 18.5% 65+), sex with the elderly skewed female
 *   (51.5% at 65-69 to 68% at 90+), 100 ppm 'U'.  Practices: one per 8,000
 *   people (at least 2), list sizes 4,000-12,000 weights, codes P81001...;
 *   the first 60% are commissioner C01, the rest C02; each practice has a
 *   home acute trust (contiguous blocks) and a deprivation decile.  A
 *   person's decile is the practice's ±1; the need index 1.50 (decile 1) ..
 *   0.80 (decile 10) follows from it.  Long-term conditions with
 *   prevalence by age band (0-17, 18-39, ..., 80+) scaled by the
 *   deprivation factor (×1.35 .. ×0.78) and a latent risk shared by all of
 *   a person's conditions (×0.6 45%, ×1.0 40%, ×2.2 15%) so that
 *   multi-morbidity clusters; diabetics are more likely to have
 *   hypertension (×1.6), CKD (×2), CHD (×1.6) and heart failure (×1.5).
 *   Diabetes is ~7.8% of adults.  Diabetes tier (year of care): 3 with a
 *   cardio-renal complication (CKD, CHD, heart failure) plus another major
 *   condition or type 1 diabetes, or with three other major conditions; 2
 *   for type 1, one other major condition or age 75+; else 1 (about
 *   45/37/18%).  Registration: babies born in the year (half of the age-0
 *   band) and 4% joiners register mid-year; deaths (by age: 0.35% infants
 *   .. 15% at 85+) and 3% leavers end it; 2% move practice (two rows, no
 *   overlap; the commissioner may change).
 *
 * Activity, per person, only on days the person is registered (so every
 *   row's commissioner is that of the practice on the row's start date):
 *   annual rates by 11 age bands (below) × days registered / 365 × a
 *   utilisation factor (×0.5 50%, ×1 35%, ×2 12%, ×5 3%) × morbidity
 *   (+60% non-elective per major condition, +25% A&E, +30% outpatients,
 *   +40% community) × need (A&E and non-elective) × the size scale.
 *   Counts are binomial with at least 4 trials (close to Poisson).
 *   Per person-year overall: A&E 0.43 (not admitted), non-elective 0.12,
 *   day case 0.11, elective 0.02, outpatient first 0.55 and follow-up 1.2,
 *   community 1.7, mental health 0.3: 4.4 rows (England: about 5).
 *   - A&E attendances (VB05Z-VB11Z) not admitted.
 *   - Non-elective spells: case mix by age and conditions (COPD,
 *     heart failure, pneumonia, UTI, stroke, diabetes, hip fracture,
 *     chest and abdominal pain, cellulitis, children's respiratory); HRG
 *     split (A = most complex) from the number of major conditions and age;
 *     ~35% stay 0-1 day; 65% come through A&E the same day.  8% (+2% per
 *     major condition, +3% at 75+) are readmitted as an emergency to the
 *     same provider within 1-30 days of discharge.  Hip fractures (HT12)
 *     carry BPT_HIP (65%) and are followed by 2-5 community physio
 *     contacts.
 *   - Elective and day-case procedures: cataract, colonoscopy,
 *     cystoscopy, hernia, cholecystectomy, skin, tonsillectomy,
 *     hysterectomy, with a first outpatient attendance before (70%) and a
 *     follow-up after (40%); 3% readmitted within 30 days.
 *   - Hip and knee replacements (5.6 per 1,000 at 55-64 up to 12.5 at 75-84):
 *     elective HN12/HN13 (hip, M16.x) or HN22 (knee, M17.x), 40% at an
 *     orthopaedic centre (the second acute trust, SPEC_ORTH 70%; elsewhere
 *     15%); a first outpatient attendance 30-120 days before, a follow-up
 *     35-49 days after discharge (90%), a telephone follow-up at 80-100
 *     days (50%), 2-6 community physiotherapy contacts within 84 days, and
 *     a complication readmission (HN15, T84.x) within 28 days (4%, 6% with
 *     two major conditions).
 *   - Chemotherapy: 15% of people with cancer a year have a course of 4-12
 *     same-day attendances (SB97Z with X721 then X722), 14 or 21 days apart.
 *   - Outpatient first attendances with 0-6 follow-ups (mean 2) 28-120 days
 *     apart (20% non-face-to-face); first attendances start 180 days before
 *     the year so that follow-ups of last year's referrals appear; 1.2
 *     follow-ups a year per major long-term condition (0.2 for asthma).
 *   - Community contacts: health visiting for under-5s, district
 *     nursing, physiotherapy, community matrons for the multi-morbid,
 *     heart-failure nurses.
 *   - Diabetes (per tier 1/2/3, a year): multi-professional outpatient
 *     follow-ups 1.5/2.5/4.5, first attendances 0.15/0.25/0.3, diabetes
 *     specialist nursing 3/5/8, podiatry 1.5/3/7, all with an E10/E11
 *     primary diagnosis (the year-of-care scope).
 *   - Mental health (RMH): in contact with services 1-2.6% by age, 60% with
 *     SMI, 25% with dementia, 6% with depression; 12 contacts a year.
 *   Providers: 82% of acute activity at the practice's home trust, the rest
 *   at the others; community at RYY; mental health at RMH.  Cost: the
 *   price × the provider's efficiency (0.93-1.08) × ±18% noise + £120 a bed
 *   day.  Admitted rows carry the person's conditions as secondary
 *   diagnoses; outpatient and community rows only their primary one.
 *
 * Size.  --patients defaults to ceil(rows / 5) (about England's 5 rows a
 *   person-year; the rates above then run at ×1.13).  To hit --rows
 *   exactly, a controller scales every rate:
 *   before each person it sets scale = (rows left / people left) / (rows a
 *   person has made at scale 1, learnt so far); the last person's rows are
 *   cut at the target, and any shortfall is made up by single contacts
 *   (outpatient follow-up, community, A&E) of people drawn at random.
 *   Typically a few rows of 10M are made up or cut.
 *
 * Memory: one person's rows at a time (a reused buffer); practices are the
 *   only other arrays.  Output goes through 1 MiB stdio buffers with rows
 *   formatted by hand.
 *
 * Regimes are written last, calibrated on the data just made: the ICO's
 *   capitation rate is 97% of its population's shadow PbR spend per
 *   weighted person-year (so the risk share's 2% corridor is crossed), and
 *   each community block is 98% of that commissioner's community activity
 *   at tariff.  synth values its rows as pbr.yaml prices them (the
 *   readmissions too, found as the tariff module finds them: an emergency
 *   row 0-30 days after an admitted row's discharge at the same provider),
 *   so these are the exact PbR values: the total is remit price's to the
 *   penny.
 */
#include "synth.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { PPM = 1000000 };

#define PERIOD 365		/* 2024-04-01 .. 2025-03-31 */
#define DAY0 19814		/* 2024-04-01 in days since 1970-01-01 */
#define NDAYS 640		/* dates we can print: starts < PERIOD, ends later */
#define MAX_LOS 200
#define NEVER 0xffff
#define MAX_ACUTE 20
#define MAX_ROWS 1000000000ull
#define MAX_PATIENTS 100000000ull
#define MAX_PER_PERSON 1000	/* --rows / --patients at most */
#define PRIOR_N 1000		/* weight of the prior in the size controller */

/* ---- random numbers ------------------------------------------------------ */

typedef struct rng {
	uint64_t s;
} rng;

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Independent streams: one per person (so a person can be made again from
 * the seed and their number alone), one for the run. */
static void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull);
	r->s = splitmix(&x);
	r->s ^= splitmix(&x) >> 1;
	if (!r->s)
		r->s = 1;
}

static uint64_t rng_next(rng *r) /* xorshift64* */
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ull;
}

/* Uniform in [0, n). */
static uint32_t below(rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static uint32_t between(rng *r, uint32_t lo, uint32_t hi)
{
	return lo + below(r, hi - lo + 1);
}

static bool chance(rng *r, uint64_t ppm)
{
	return below(r, PPM) < ppm;
}

/* x × ppm / 10^6 without overflow for x < 10^13, ppm < 10^10. */
static uint64_t ppm_mul(uint64_t x, uint64_t ppm)
{
	return x / PPM * ppm + x % PPM * ppm / PPM;
}

/* A count with the given mean (in ppm of one event): binomial with T ≥ 4
 * trials of probability mean / T ≤ 1/2, close to Poisson. */
static uint32_t draw_count(rng *r, uint64_t mean)
{
	if (mean == 0)
		return 0;
	uint64_t t = 2 * (mean / PPM + 1);
	if (t < 4)
		t = 4;
	uint64_t p = mean / t;
	uint32_t n = 0;
	for (uint64_t i = 0; i < t; i++)
		n += below(r, PPM) < p;
	return n;
}

/* Pick an index by integer weights (0 weights never picked); -1 if all 0. */
static int pick(rng *r, const uint32_t *w, int n)
{
	uint32_t sum = 0;
	for (int i = 0; i < n; i++)
		sum += w[i];
	if (!sum)
		return -1;
	uint32_t u = below(r, sum);
	for (int i = 0; i < n; i++) {
		if (u < w[i])
			return i;
		u -= w[i];
	}
	return n - 1;
}

/* ---- dates ------------------------------------------------------------------ */

static char datestr[NDAYS][11];

/* Days since 1970-01-01 to YYYY-MM-DD (Howard Hinnant's civil_from_days). */
static void civil(int64_t days, char out[11])
{
	days += 719468;
	int64_t era = days / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	unsigned y = (unsigned)((int64_t)yoe + era * 400 + (m <= 2));
	snprintf(out, 11, "%04u-%02u-%02u", y % 10000, m % 100, d % 100);
}

/* ---- the price list: admitted care by HRG family, and contacts --------------- */

enum pod { P_EL, P_DC, P_NE, P_OPFA, P_OPFU, P_AE, P_COM, P_MH, NPOD };
static const char *const pod_name[NPOD] = {"EL", "DC", "NE", "OPFA", "OPFU", "AE", "COM", "MH"};

static bool admitted(int pod)
{
	return pod == P_EL || pod == P_DC || pod == P_NE;
}

/* An HRG family: splits A (most complex) .. by complications and
 * comorbidities, or one code ending Z.  Prices are whole pounds; an elective
 * price of 0 is 80% of the non-elective one.  Day cases use the elective
 * price (pod_fallback DC: EL) except where a DC price is given. */
typedef struct family {
	const char *root, *desc;
	uint8_t nsplit;	/* 0: one code, ROOT + "Z" */
	uint16_t el[6], ne[6], dc;
	uint8_t trim_el, trim_ne;
	uint16_t xs_el, xs_ne;	/* excess bed day, pounds */
	uint8_t mean_los;	/* non-elective, days */
} family;

enum {
	F_HN12, F_HN13, F_HN15, F_HN22, F_HT12, F_BZ34, F_FE32, F_LB14, F_FF62, F_GA10, F_JC43,
	F_CA60, F_MA07, F_SB97, F_DZ65, F_EB03, F_DZ11, F_LA04, F_FD05, F_EB12, F_AA35, F_KB02,
	F_PD14, F_HD26, F_JD07, NFAM
};

/* Published (EXAMPLES.md): HN12A EL 13900, HN12F EL 7251 (combined day
 * case/elective), HN12F NE 8942, HT12A NE 16447.  Every other figure is
 * illustrative; HN12F's trims and excess days, HT12A's, and SB97Z's price
 * are those of the worked examples. */
static const family fams[NFAM] = {
	[F_HN12] = {"HN12", "Very major hip procedures for non-trauma", 6,
		    {13900, 11850, 10400, 9150, 8100, 7251}, {17600, 15000, 13000, 11300, 9900, 8942},
		    0, 5, 10, 250, 300, 6},
	[F_HN13] = {"HN13", "Major hip procedures for non-trauma", 6,
		    {10900, 9300, 8200, 7300, 6500, 5900}, {13800, 11700, 10200, 9000, 8000, 7200},
		    0, 5, 10, 250, 300, 6},
	[F_HN15] = {"HN15", "Minor hip procedures for non-trauma", 3, {4300, 3200, 2400},
		    {5700, 4200, 3100}, 0, 3, 7, 250, 280, 5},
	[F_HN22] = {"HN22", "Very major knee procedures for non-trauma", 5,
		    {12900, 10700, 9100, 7900, 6950}, {16100, 13300, 11400, 9800, 8700},
		    0, 5, 10, 250, 300, 6},
	[F_HT12] = {"HT12", "Very major hip procedures for trauma", 5,
		    {14800, 12500, 10600, 9200, 8200}, {16447, 13900, 11800, 10200, 9100},
		    0, 5, 5, 250, 250, 13},
	[F_BZ34] = {"BZ34", "Phacoemulsification cataract extraction and lens implant", 3,
		    {1120, 960, 850}, {1540, 1320, 1160}, 0, 1, 3, 200, 250, 2},
	[F_FE32] = {"FE32", "Diagnostic colonoscopy, 19 years and over", 0, {620}, {960},
		    0, 1, 3, 200, 250, 2},
	[F_LB14] = {"LB14", "Diagnostic flexible cystoscopy", 0, {480}, {730}, 0, 1, 3, 200, 250, 2},
	[F_FF62] = {"FF62", "Inguinal, umbilical or femoral hernia procedures", 2, {2950, 2300},
		    {4200, 3400}, 0, 2, 5, 250, 260, 3},
	[F_GA10] = {"GA10", "Laparoscopic cholecystectomy", 3, {4850, 4000, 3500},
		    {6700, 5600, 4900}, 0, 3, 6, 250, 280, 4},
	[F_JC43] = {"JC43", "Minor skin procedures", 3, {910, 700, 560}, {1500, 1200, 950},
		    0, 1, 3, 200, 250, 2},
	[F_CA60] = {"CA60", "Tonsillectomy", 2, {1720, 1410}, {2300, 1900}, 0, 1, 3, 200, 250, 2},
	[F_MA07] = {"MA07", "Major open upper genital tract procedures", 3, {5650, 4750, 4100},
		    {7100, 6000, 5200}, 0, 4, 7, 260, 280, 4},
	[F_SB97] = {"SB97", "Same day chemotherapy admission or attendance", 0, {0}, {0}, 350,
		    0, 0, 0, 0, 0},
	[F_DZ65] = {"DZ65", "Chronic obstructive pulmonary disease or bronchitis", 5, {0},
		    {5050, 3900, 3000, 2350, 1800}, 0, 5, 12, 250, 260, 6},
	[F_EB03] = {"EB03", "Heart failure or shock", 5, {0}, {5800, 4450, 3400, 2700, 2050},
		    0, 6, 14, 250, 260, 8},
	[F_DZ11] = {"DZ11", "Lobar, atypical or viral pneumonia", 5, {0},
		    {6050, 4600, 3500, 2600, 1900}, 0, 6, 13, 250, 260, 7},
	[F_LA04] = {"LA04", "Kidney or urinary tract infections", 5, {0},
		    {4300, 3300, 2500, 1900, 1450}, 0, 5, 11, 250, 260, 5},
	[F_FD05] = {"FD05", "Abdominal pain", 2, {0}, {1620, 880}, 0, 2, 5, 250, 260, 2},
	[F_EB12] = {"EB12", "Unspecified chest pain", 3, {0}, {1400, 900, 640}, 0, 2, 4, 250, 260, 1},
	[F_AA35] = {"AA35", "Stroke and transient ischaemic attack", 6, {0},
		    {9800, 7600, 6000, 4800, 3900, 3200}, 0, 10, 25, 250, 260, 12},
	[F_KB02] = {"KB02", "Diabetes with hypoglycaemic disorders", 3, {0}, {3900, 2700, 1800},
		    0, 4, 9, 250, 260, 4},
	[F_PD14] = {"PD14", "Paediatric lower respiratory tract disorders", 3, {0},
		    {2900, 1700, 1100}, 0, 2, 6, 250, 260, 2},
	[F_HD26] = {"HD26", "Musculoskeletal signs or symptoms", 3, {0}, {3600, 2500, 1600},
		    0, 4, 10, 250, 260, 4},
	[F_JD07] = {"JD07", "Skin disorders", 4, {0}, {4200, 3100, 2300, 1700}, 0, 4, 10, 250, 260, 4},
};

/* Contacts: one price per code and pod, in pence.  WF01B's 168.00 is the
 * Model Hospital guide's worked example (EXAMPLES.md T8); the rest are
 * illustrative. */
typedef struct contact {
	const char *code, *desc;
	uint8_t pod;
	uint32_t pence;
} contact;

enum {
	K_WF01B, K_WF01A, K_WF01C, K_WF02B, K_WF02A, K_VB01, K_VB02, K_VB03, K_VB04, K_VB05, K_VB06,
	K_VB07, K_VB08, K_VB09, K_VB10, K_VB11, K_N20AF, K_N02AF, K_N04AF, K_N05AF, K_N10AF,
	K_A08A1, K_A09A1, K_MHC02, K_MHC04, K_MHC11, K_MHC18, K_MHC19, NCONTACT
};

static const contact contacts[NCONTACT] = {
	[K_WF01B] = {"WF01B", "Non-admitted face-to-face attendance, first", P_OPFA, 16800},
	[K_WF01A] = {"WF01A", "Non-admitted face-to-face attendance, follow-up", P_OPFU, 8700},
	[K_WF01C] = {"WF01C", "Non-admitted non-face-to-face attendance, follow-up", P_OPFU, 3500},
	[K_WF02B] = {"WF02B", "Multi-professional non-admitted face-to-face attendance, first",
		     P_OPFA, 23100},
	[K_WF02A] = {"WF02A", "Multi-professional non-admitted face-to-face attendance, follow-up",
		     P_OPFU, 11800},
	[K_VB01] = {"VB01Z", "Emergency medicine, category 5 investigation with category 5 treatment",
		    P_AE, 40900},
	[K_VB02] = {"VB02Z", "Emergency medicine, category 3 investigation with category 4 treatment",
		    P_AE, 37800},
	[K_VB03] = {"VB03Z", "Emergency medicine, category 3 investigation with category 1-3 treatment",
		    P_AE, 33400},
	[K_VB04] = {"VB04Z", "Emergency medicine, category 2 investigation with category 4 treatment",
		    P_AE, 29000},
	[K_VB05] = {"VB05Z", "Emergency medicine, category 2 investigation with category 3 treatment",
		    P_AE, 26200},
	[K_VB06] = {"VB06Z", "Emergency medicine, category 1 investigation with category 3-4 treatment",
		    P_AE, 22700},
	[K_VB07] = {"VB07Z", "Emergency medicine, category 2 investigation with category 2 treatment",
		    P_AE, 19900},
	[K_VB08] = {"VB08Z", "Emergency medicine, category 2 investigation with category 1 treatment",
		    P_AE, 17800},
	[K_VB09] = {"VB09Z", "Emergency medicine, category 1 investigation with category 1-2 treatment",
		    P_AE, 14200},
	[K_VB10] = {"VB10Z", "Emergency medicine, dental care", P_AE, 11200},
	[K_VB11] = {"VB11Z", "Emergency medicine, no investigation with no significant treatment",
		    P_AE, 7900},
	[K_N20AF] = {"N20AF", "Health visiting, face to face", P_COM, 5500},
	[K_N02AF] = {"N02AF", "District nursing, adult, face to face", P_COM, 4600},
	[K_N04AF] = {"N04AF", "Community matron, face to face", P_COM, 7200},
	[K_N05AF] = {"N05AF", "Specialist nursing, heart failure, face to face", P_COM, 6600},
	[K_N10AF] = {"N10AF", "Specialist nursing, diabetes, face to face", P_COM, 6300},
	[K_A08A1] = {"A08A1", "Physiotherapy, adult, one to one", P_COM, 5800},
	[K_A09A1] = {"A09A1", "Podiatry, adult, one to one", P_COM, 4400},
	[K_MHC02] = {"MHC02", "Mental health cluster 2, common mental health problems", P_MH, 11800},
	[K_MHC04] = {"MHC04", "Mental health cluster 4, non-psychotic (severe)", P_MH, 14600},
	[K_MHC11] = {"MHC11", "Mental health cluster 11, ongoing recurrent psychosis", P_MH, 18300},
	[K_MHC18] = {"MHC18", "Mental health cluster 18, cognitive impairment (low need)", P_MH,
		     15500},
	[K_MHC19] = {"MHC19", "Mental health cluster 19, cognitive impairment (moderate need)", P_MH,
		     19200},
};

/* Every code, admitted families first (code id = fam_base[f] + split), then
 * contacts (code id = contact_base + k). */
#define MAX_CODES 160
typedef struct pcode {
	char name[8];
	const char *desc;
	uint32_t price[NPOD];	/* pence; 0: no price row */
	uint32_t short_stay;	/* NE short-stay price, pence */
	uint8_t trim[2];	/* EL, NE */
	uint32_t xs[2];		/* excess bed day, pence: EL, NE */
} pcode;

static pcode codes[MAX_CODES];
static int ncodes, fam_base[NFAM], contact_base;

static void codes_init(void)
{
	ncodes = 0;
	for (int f = 0; f < NFAM; f++) {
		const family *fm = &fams[f];
		fam_base[f] = ncodes;
		int n = fm->nsplit ? fm->nsplit : 1;
		for (int s = 0; s < n; s++) {
			pcode *c = &codes[ncodes++];
			memset(c, 0, sizeof *c);
			snprintf(c->name, sizeof c->name, "%s%c", fm->root,
				 fm->nsplit ? 'A' + s : 'Z');
			c->desc = fm->desc;
			uint32_t ne = fm->ne[s], el = fm->el[0] ? fm->el[s] : ne * 8 / 10;
			c->price[P_EL] = el * 100u;
			c->price[P_NE] = ne * 100u;
			c->price[P_DC] = fm->dc * 100u;
			/* 30% of the NE price, to whole pounds (HN12F: 2683) */
			c->short_stay = (ne * 3 + 5) / 10 * 100u;
			c->trim[0] = fm->trim_el;
			c->trim[1] = fm->trim_ne;
			c->xs[0] = fm->xs_el * 100u;
			c->xs[1] = fm->xs_ne * 100u;
		}
	}
	contact_base = ncodes;
	for (int k = 0; k < NCONTACT; k++) {
		pcode *c = &codes[ncodes++];
		memset(c, 0, sizeof *c);
		snprintf(c->name, sizeof c->name, "%s", contacts[k].code);
		c->desc = contacts[k].desc;
		c->price[contacts[k].pod] = contacts[k].pence;
	}
}

/* ---- diagnoses (ICD-10) and procedures (OPCS-4) ------------------------------ */

enum {
	D_NONE, D_E119, D_E109, D_E115, D_E105, D_E116, D_E106, D_I10, D_J449, D_J441, D_J459,
	D_I509, D_I259, D_I489, D_N183, D_F03, D_F329, D_F209, D_F419, D_C509, D_C61, D_C189,
	D_C349, D_M161, D_M169, D_M171, D_M179, D_T840, D_T845, D_T814, D_S720, D_H259, D_K573,
	D_R31, D_K409, D_K802, D_D229, D_J350, D_N920, D_J189, D_N390, D_R104, D_R074, D_I639,
	D_J219, D_L039, D_R296, D_M545, D_K219, D_N40, D_M255, D_L409, D_H409, D_R69, NDIAG
};

static const char *const diag_code[NDIAG] = {
	"", "E11.9", "E10.9", "E11.5", "E10.5", "E11.6", "E10.6", "I10", "J44.9", "J44.1", "J45.9",
	"I50.9", "I25.9", "I48.9", "N18.3", "F03", "F32.9", "F20.9", "F41.9", "C50.9", "C61", "C18.9",
	"C34.9", "M16.1", "M16.9", "M17.1", "M17.9", "T84.0", "T84.5", "T81.4", "S72.0", "H25.9",
	"K57.3", "R31", "K40.9", "K80.2", "D22.9", "J35.0", "N92.0", "J18.9", "N39.0", "R10.4",
	"R07.4", "I63.9", "J21.9", "L03.9", "R29.6", "M54.5", "K21.9", "N40", "M25.5", "L40.9",
	"H40.9", "R69",
};

enum {
	X_NONE, X_W371, X_W381, X_W931, X_W401, X_W411, X_W461, X_W471, X_W241, X_C751, X_H221,
	X_M459, X_T201, X_J183, X_S062, X_F341, X_Q074, X_X721, X_X722, NPROC
};

static const char *const proc_code[NPROC] = {
	"", "W371", "W381", "W931", "W401", "W411", "W461", "W471", "W241", "C751", "H221",
	"M459", "T201", "J183", "S062", "F341", "Q074", "X721", "X722",
};

/* ---- long-term conditions ------------------------------------------------------ */

enum {
	C_DIABETES, C_HYPERTENSION, C_COPD, C_ASTHMA, C_HF, C_CHD, C_AF, C_CKD, C_DEMENTIA,
	C_DEPRESSION, C_SMI, C_CANCER, NCOND
};

static const char *const cond_name[NCOND] = {
	"diabetes", "hypertension", "copd", "asthma", "heart_failure", "chd", "af", "ckd",
	"dementia", "depression", "smi", "cancer",
};

#define BIT(c) (1u << (c))
#define MAJOR                                                                                    \
	(BIT(C_DIABETES) | BIT(C_COPD) | BIT(C_HF) | BIT(C_CHD) | BIT(C_AF) | BIT(C_CKD) |        \
	 BIT(C_DEMENTIA) | BIT(C_SMI) | BIT(C_CANCER))

/* Prevalence (ppm) by age 0-17, 18-39, 40-49, 50-59, 60-69, 70-79, 80+. */
static const uint32_t prevalence[NCOND][7] = {
	[C_DIABETES] = {2000, 15000, 50000, 90000, 140000, 180000, 170000},
	[C_HYPERTENSION] = {1000, 20000, 80000, 180000, 300000, 430000, 520000},
	[C_COPD] = {0, 2000, 8000, 20000, 45000, 75000, 85000},
	[C_ASTHMA] = {80000, 70000, 65000, 65000, 70000, 75000, 70000},
	[C_HF] = {200, 500, 2000, 6000, 15000, 40000, 90000},
	[C_CHD] = {0, 1000, 10000, 30000, 70000, 120000, 170000},
	[C_AF] = {0, 500, 3000, 12000, 35000, 80000, 150000},
	[C_CKD] = {0, 3000, 10000, 25000, 60000, 130000, 250000},
	[C_DEMENTIA] = {0, 0, 300, 1500, 8000, 30000, 110000},
	[C_DEPRESSION] = {10000, 120000, 140000, 130000, 110000, 90000, 90000},
	[C_SMI] = {1000, 9000, 10000, 10000, 9000, 8000, 7000},
	[C_CANCER] = {2000, 5000, 15000, 35000, 70000, 110000, 130000},
};

/* Secondary diagnoses of admitted rows: conditions in this order, at most 3. */
static const uint8_t cond_order[NCOND] = {
	C_DIABETES, C_HF, C_COPD, C_CKD, C_CHD, C_AF, C_DEMENTIA, C_CANCER, C_SMI,
	C_HYPERTENSION, C_ASTHMA, C_DEPRESSION,
};

/* ---- population structure ----------------------------------------------------- */

/* 5-year bands 0-4 .. 85-89, 90+ (ppm, sums to 10^6): 17.3% under 15, 18.5% 65+. */
static const uint32_t pyramid[19] = {
	54000, 59000, 60000, 57000, 61000, 66000, 70000, 68000, 64000, 62000,
	68000, 67000, 59000, 50000, 48000, 38000, 25000, 15000, 9000,
};
static const uint32_t female[19] = {
	488000, 488000, 488000, 500000, 500000, 500000, 500000, 500000, 500000, 500000,
	500000, 500000, 500000, 515000, 525000, 540000, 565000, 610000, 680000,
};

/* Activity bands: 0, 1-4, 5-14, 15-24, 25-34, 35-44, 45-54, 55-64, 65-74, 75-84, 85+. */
enum { NBAND = 11 };
static int band_of(int age)
{
	static const uint8_t lo[NBAND] = {0, 1, 5, 15, 25, 35, 45, 55, 65, 75, 85};
	int b = NBAND - 1;
	while (age < lo[b])
		b--;
	return b;
}

static int band7_of(int age)
{
	return age < 18 ? 0 : age < 40 ? 1 : age < 80 ? 2 + (age - 40) / 10 : 6;
}

static const uint32_t death_ppm[NBAND] = {3500, 150, 100, 300, 500, 1000, 2500, 6000, 15000, 45000,
					   150000};
#define JOIN_PPM 40000
#define LEAVE_PPM 30000
#define MOVE_PPM 20000

/* Need index (hundredths) and prevalence factor (ppm) by deprivation decile. */
static const uint16_t need_of_decile[10] = {150, 140, 130, 120, 110, 102, 96, 90, 85, 80};
static const uint32_t depr_factor[10] = {1350000, 1250000, 1170000, 1100000, 1030000,
					 970000,  920000,  870000,  820000,  780000};

/* Annual rates (ppm a person-year) by activity band, before multipliers. */
static const uint32_t rate_ae[NBAND] = {500000, 370000, 250000, 430000, 370000, 310000,
					280000, 260000, 270000, 370000, 500000};
static const uint32_t rate_ne[NBAND] = {160000, 55000, 25000, 40000, 50000, 50000,
					60000,  85000, 130000, 230000, 420000};
static const uint32_t rate_elective[NBAND] = {20000, 25000, 25000, 35000, 50000, 65000,
					      95000, 140000, 210000, 240000, 150000};
static const uint32_t rate_joint[NBAND] = {0, 0, 0, 0, 0, 500, 2400, 5600, 11000, 12500, 5000};
static const uint32_t rate_opfa[NBAND] = {350000, 220000, 180000, 220000, 330000, 380000,
					  480000, 620000, 820000, 950000, 800000};
static const uint32_t rate_com[NBAND] = {3000000, 840000, 300000,  240000,  300000, 360000,
					 540000,  780000, 1320000, 3360000, 9600000};
static const uint32_t mh_ppm[NBAND] = {0, 0, 10000, 26000, 24000, 21000, 18000, 13000, 10000, 10000,
				       10000};
#define OP_CARRY_IN 180	/* days of last year's first attendances with follow-ups now */
#define LTC_FU_PPM 1200000	/* outpatient follow-ups a year per major condition */
#define ASTHMA_FU_PPM 200000
#define CHEMO_PPM 150000	/* courses a year per person with cancer */
#define MH_CONTACTS_PPM 12000000
/* Diabetes, per tier 1..3: OP follow-ups, OP first, specialist nursing, podiatry. */
static const uint32_t diabetes_rate[3][4] = {
	{1500000, 150000, 3000000, 1500000},
	{2500000, 250000, 5000000, 3000000},
	{4500000, 300000, 8000000, 7000000},
};

/* Rows a person makes at scale 1 on average (ppm), the controller's prior:
 * measured over 10^6 people. */
#define BASE_ROWS_PPM 4400000

/* ---- providers and practices ---------------------------------------------------- */

typedef struct provider {
	const char *code;
	uint32_t mff;	/* ppm */
	uint32_t eff;	/* cost ÷ price, ppm */
} provider;

/* MFF: RJZ 1.19117 and RJ2 1.184397 are published (EXAMPLES.md); RX1's and
 * RK5's are the worked examples' (illustrative); the rest are illustrative. */
static const provider acute_trusts[MAX_ACUTE] = {
	{"RXL", 1022300, 1040000}, {"RTX", 1031100, 960000},  {"RJZ", 1191170, 1020000},
	{"RJ2", 1184397, 1000000}, {"RX1", 1202198, 980000},  {"RK5", 1046100, 1010000},
	{"RXN", 1027600, 990000},  {"RXR", 1019800, 1060000}, {"RM3", 1035200, 1030000},
	{"RBT", 1028500, 970000},  {"RJR", 1030400, 1000000}, {"RWD", 1014500, 1080000},
	{"RTH", 1105300, 950000},  {"RHM", 1085600, 990000},  {"RAL", 1212000, 1050000},
	{"RVR", 1163000, 1000000}, {"RDU", 1118000, 970000},  {"RGT", 1079000, 1010000},
	{"RNA", 1026000, 1070000}, {"RWE", 1032000, 990000},
};
static const provider community_trust = {"RYY", 1062400, 930000};
static const provider mental_trust = {"RMH", 1050000, 990000};

/* ---- the run ------------------------------------------------------------------------ */

typedef struct ev {
	uint16_t day, los;
	uint16_t code;
	uint8_t pod, prov, diag, proc, flags;
	uint32_t ord;
} ev;

enum { FL_SPEC_ORTH = 1, FL_BPT_HIP = 2, FL_READMIT = 4 };

typedef struct synth {
	uint64_t rows, patients, seed;
	unsigned nacute;
	const char *out;
	bool quiet;

	/* organisations: providers 0..nacute-1 acute, then RYY, RMH */
	provider prov[MAX_ACUTE + 2];
	unsigned nprov, ryy, rmh, ortho;
	uint32_t npractice;
	uint64_t *prac_cum;	/* cumulative list-size weights */
	uint8_t *prac_home, *prac_comm, *prac_decile, *prac_ico;
	uint32_t nico;

	rng r;			/* the run's own stream (top-ups) */
	ev *evs;		/* one person's rows */
	size_t nev, cap;
	uint32_t ord;

	FILE *act, *pop;
	uint64_t written, seq, poprows, topups, cut;
	uint64_t by_pod[NPOD];
	uint64_t unit_sum, unit_n;	/* the controller's learning */

	/* calibration of the regimes, pence */
	uint64_t com_value[2];		/* RYY community activity by commissioner */
	uint64_t ico_shadow;		/* ICO population's covered activity */
	uint64_t ico_weight;		/* Σ weight% × need% × days of ICO registrations */
	uint64_t value_total;
} synth;

typedef struct person {
	uint32_t id;
	uint8_t age, decile, tier, t1, nmajor, died, open;
	char sex;
	uint16_t need;		/* hundredths */
	uint16_t bday;		/* day on which age goes up by one; NEVER */
	uint16_t from, to, move;	/* registration, inclusive; move: first day at prac[1] */
	uint32_t prac[2];
	uint32_t cond;
	uint32_t util;		/* ppm */
	uint8_t cancer_diag;
	uint64_t scale;		/* ppm */
	rng r;
} person;

/* ---- practices ------------------------------------------------------------------ */

static void practice_code(uint32_t j, char out[8])
{
	snprintf(out, 8, "P%02u%03u", (unsigned)(81 + j / 999) % 100, (unsigned)(j % 999 + 1));
}

static bool practices_init(synth *S)
{
	uint64_t np = (S->patients + 7999) / 8000;
	if (np < 2)
		np = 2;
	S->npractice = (uint32_t)np;
	S->prac_cum = malloc(np * sizeof *S->prac_cum);
	S->prac_home = malloc(np);
	S->prac_comm = malloc(np);
	S->prac_decile = malloc(np);
	S->prac_ico = calloc(np, 1);
	if (!S->prac_cum || !S->prac_home || !S->prac_comm || !S->prac_decile || !S->prac_ico)
		return false;
	rng r;
	rng_seed(&r, S->seed, 0);
	uint64_t cum = 0;
	for (uint32_t j = 0; j < np; j++) {
		cum += between(&r, 4000, 12000);
		S->prac_cum[j] = cum;
		S->prac_home[j] = (uint8_t)((uint64_t)j * S->nacute / np);
		S->prac_comm[j] = (uint64_t)j * 5 < np * 3 ? 0 : 1;
		S->prac_decile[j] = (uint8_t)between(&r, 1, 10);
	}
	S->prac_comm[np - 1] = 1;
	/* the ICO: up to 6 practices of C01 whose home trust is the first */
	for (uint32_t j = 0; j < np && S->nico < 6; j++)
		if (S->prac_home[j] == 0 && S->prac_comm[j] == 0) {
			S->prac_ico[j] = 1;
			S->nico++;
		}
	return true;
}

static uint32_t pick_practice(const synth *S, rng *r)
{
	uint64_t total = S->prac_cum[S->npractice - 1];
	uint64_t u = ((rng_next(r) >> 11) % total);
	uint32_t lo = 0, hi = S->npractice - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (S->prac_cum[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* ---- people ----------------------------------------------------------------------- */

static int popcount(uint32_t x)
{
	int n = 0;
	for (; x; x &= x - 1)
		n++;
	return n;
}

static void person_make(const synth *S, uint64_t idx, person *p)
{
	memset(p, 0, sizeof *p);
	rng_seed(&p->r, S->seed, idx + 1);
	rng *r = &p->r;
	p->id = (uint32_t)(idx + 1);
	p->prac[0] = pick_practice(S, r);

	uint32_t u = below(r, PPM), acc = 0;
	int b = 0;
	while (b < 18 && u >= (acc += pyramid[b]))
		b++;
	if (b < 18)
		p->age = (uint8_t)(5 * b + (int)below(r, 5));
	else /* 90+: more 90-year-olds than 100-year-olds */
		p->age = (uint8_t)(90 + below(r, 1 + below(r, 11)));
	p->sex = chance(r, 100) ? 'U' : chance(r, female[b]) ? 'F' : 'M';
	p->bday = (uint16_t)below(r, PERIOD);

	static const int jitter[4] = {-1, 0, 0, 1};
	int d = S->prac_decile[p->prac[0]] + jitter[below(r, 4)];
	d = d < 1 ? 1 : d > 10 ? 10 : d;
	p->decile = (uint8_t)d;
	p->need = need_of_decile[d - 1];

	uint32_t v = below(r, 100);
	uint64_t risk = v < 45 ? 600000 : v < 85 ? 1000000 : 2200000;
	int b7 = band7_of(p->age);
	for (int c = 0; c < NCOND; c++) {
		uint64_t pr = ppm_mul(ppm_mul(prevalence[c][b7], risk), depr_factor[d - 1]);
		if (p->cond & BIT(C_DIABETES)) {
			if (c == C_HYPERTENSION || c == C_CHD)
				pr = ppm_mul(pr, 1600000);
			else if (c == C_CKD)
				pr = ppm_mul(pr, 2000000);
			else if (c == C_HF)
				pr = ppm_mul(pr, 1500000);
		}
		if (pr > 950000)
			pr = 950000;
		if (chance(r, pr))
			p->cond |= BIT(c);
	}
	p->nmajor = (uint8_t)popcount(p->cond & MAJOR);
	if (p->cond & BIT(C_CANCER)) {
		v = below(r, 100);
		if (p->sex == 'F')
			p->cancer_diag = v < 50 ? D_C509 : v < 75 ? D_C189 : D_C349;
		else
			p->cancer_diag = v < 40 ? D_C61 : v < 70 ? D_C189 : D_C349;
	}
	if (p->cond & BIT(C_DIABETES)) {
		p->t1 = p->age < 18 || chance(r, p->age < 40 ? 400000 : 50000);
		int other = p->nmajor - 1;
		bool cardiorenal = p->cond & (BIT(C_CKD) | BIT(C_CHD) | BIT(C_HF));
		if ((cardiorenal && (other >= 2 || p->t1)) || other >= 3)
			p->tier = 3;
		else if (p->t1 || other >= 1 || p->age >= 75)
			p->tier = 2;
		else
			p->tier = 1;
	}
	v = below(r, 100);
	p->util = v < 50 ? 500000 : v < 85 ? 1000000 : v < 97 ? 2000000 : 5000000;

	/* registration */
	p->from = 0;
	p->to = PERIOD - 1;
	p->open = 1;
	if (p->age == 0 && chance(r, 500000)) {
		p->from = (uint16_t)between(r, 1, PERIOD - 1); /* born in the year */
		p->bday = NEVER;
	} else if (chance(r, JOIN_PPM)) {
		p->from = (uint16_t)between(r, 1, PERIOD - 1);
	}
	if (chance(r, death_ppm[band_of(p->age)])) {
		p->to = (uint16_t)between(r, p->from, PERIOD - 1);
		p->died = 1;
		p->open = 0;
	} else if (chance(r, LEAVE_PPM)) {
		p->to = (uint16_t)between(r, p->from, PERIOD - 1);
		p->open = 0;
	}
	p->prac[1] = p->prac[0];
	if (p->to > p->from && chance(r, MOVE_PPM) && S->npractice > 1) {
		p->move = (uint16_t)between(r, p->from + 1u, p->to);
		uint32_t q = pick_practice(S, r);
		if (q == p->prac[0])
			q = (q + 1) % S->npractice;
		p->prac[1] = q;
	}
}

static int age_at(const person *p, int day)
{
	return p->age + (day >= p->bday);
}

static uint32_t practice_at(const person *p, int day)
{
	return p->move && day >= p->move ? p->prac[1] : p->prac[0];
}

static bool registered(const person *p, int day)
{
	return day >= p->from && day <= p->to;
}

static unsigned home_acute(const synth *S, const person *p, int day)
{
	return S->prac_home[practice_at(p, day)];
}

/* 82% at the home trust, the rest spread over the others. */
static unsigned choose_acute(const synth *S, person *p, int day)
{
	unsigned home = home_acute(S, p, day);
	if (S->nacute < 2 || below(&p->r, 100) < 82)
		return home;
	unsigned o = below(&p->r, S->nacute - 1);
	return o >= home ? o + 1 : o;
}

static int random_day(person *p)
{
	return (int)between(&p->r, p->from, p->to);
}

/* Expected count over the registration: annual rate × days / 365 × mult × scale. */
static uint64_t expect(const person *p, uint64_t rate, uint64_t mult)
{
	uint64_t days = (uint64_t)p->to - p->from + 1;
	return ppm_mul(ppm_mul(rate * days / PERIOD, mult), p->scale);
}

/* ---- making rows --------------------------------------------------------------- */

static ev *add(synth *S, person *p, int day, int pod, int code, unsigned prov)
{
	if (!registered(p, day))
		return NULL;
	if (S->nev == S->cap) {
		size_t cap = S->cap ? S->cap * 2 : 256;
		ev *n = realloc(S->evs, cap * sizeof *n);
		if (!n) {
			fputs("remit synth: out of memory\n", stderr);
			exit(5);
		}
		S->evs = n;
		S->cap = cap;
	}
	ev *e = &S->evs[S->nev++];
	memset(e, 0, sizeof *e);
	e->day = (uint16_t)day;
	e->pod = (uint8_t)pod;
	e->code = (uint16_t)code;
	e->prov = (uint8_t)prov;
	e->ord = S->ord++;
	return e;
}

static int contact_code(int k)
{
	return contact_base + k;
}

/* The HRG split: A for the most complications and comorbidities. */
static int split_code(person *p, int fam, int day)
{
	int k = fams[fam].nsplit;
	if (k <= 1)
		return fam_base[fam];
	int age = age_at(p, day);
	int cc = p->nmajor + (age >= 75) + (age >= 85) + (below(&p->r, 3) == 0);
	if (cc > k - 1)
		cc = k - 1;
	return fam_base[fam] + (k - 1 - cc);
}

static void add_contact(synth *S, person *p, int day, int k, unsigned prov, int diag)
{
	ev *e = add(S, p, day, contacts[k].pod, contact_code(k), prov);
	if (e)
		e->diag = (uint8_t)diag;
}

/* An A&E attendance on the day of an emergency admission. */
static void ae_before(synth *S, person *p, int day, unsigned prov)
{
	static const uint32_t w[4] = {20, 30, 30, 20};
	add_contact(S, p, day, K_VB01 + pick(&p->r, w, 4), prov, D_NONE);
}

static int ne_los(person *p, int fam, int day)
{
	rng *r = &p->r;
	int m = fams[fam].mean_los, los;
	uint32_t u = below(r, 100);
	if (u < 22)
		los = 0;
	else if (u < 34)
		los = 1;
	else
		los = 2 + (int)below(r, (uint32_t)(2 * m > 1 ? 2 * m - 1 : 1));
	if (age_at(p, day) >= 75)
		los += (int)below(r, (uint32_t)m / 2 + 1);
	if (chance(r, 40000))
		los += (int)below(r, 40);
	return los > MAX_LOS ? MAX_LOS : los;
}

static int ne_diag(person *p, int fam)
{
	rng *r = &p->r;
	switch (fam) {
	case F_DZ65: return D_J441;
	case F_EB03: return D_I509;
	case F_DZ11: return D_J189;
	case F_LA04: return D_N390;
	case F_FD05: return D_R104;
	case F_EB12: return D_R074;
	case F_AA35: return D_I639;
	case F_KB02: return p->t1 ? D_E106 : D_E116;
	case F_PD14: return D_J219;
	case F_HD26: return D_R296;
	case F_JD07: return D_L039;
	case F_HT12: return D_S720;
	case F_HN15: return chance(r, 600000) ? D_T840 : D_T845;
	default: return D_R69;
	}
}

/* Case mix of emergency admissions by age and conditions. */
static int ne_family(person *p, int day)
{
	int age = age_at(p, day);
	uint32_t w[NFAM] = {0};
	if (age < 15) {
		w[F_PD14] = 40, w[F_FD05] = 25, w[F_JD07] = 10, w[F_LA04] = 10, w[F_DZ11] = 5;
		w[F_HD26] = 10;
	} else {
		w[F_FD05] = 20, w[F_EB12] = 18, w[F_JD07] = 8, w[F_LA04] = 10, w[F_DZ11] = 10;
		w[F_HD26] = 8;
		if (age >= 55)
			w[F_AA35] = 6;
		if (age >= 65)
			w[F_HT12] = age >= 80 ? 5 : 2, w[F_LA04] += 6, w[F_DZ11] += 6;
		w[F_EB03] = p->cond & BIT(C_HF) ? 35 : age >= 65 ? 3 : 0;
		if (p->cond & BIT(C_COPD))
			w[F_DZ65] = 40;
		if (p->cond & BIT(C_DIABETES))
			w[F_KB02] = 8;
		if (p->cond & BIT(C_DEMENTIA))
			w[F_LA04] += 10, w[F_HD26] += 8;
	}
	return pick(&p->r, w, NFAM);
}

static void gen_ne(synth *S, person *p, int day, int fam, unsigned prov, bool readmission,
		   int diag);

/* An emergency readmission to the same provider within 1-30 days of discharge. */
static void readmit(synth *S, person *p, int discharge, int fam, unsigned prov, bool surgical)
{
	rng *r = &p->r;
	int day = discharge + (int)between(r, 1, 30);
	if (!registered(p, day))
		return;
	uint32_t u = below(r, 100);
	int f;
	if (surgical)
		f = u < 50 ? F_JD07 : u < 75 ? F_LA04 : F_DZ11;
	else
		f = u < 50 ? fam : u < 70 ? F_LA04 : u < 85 ? F_DZ11 : F_HD26;
	if (age_at(p, day) < 15 && (f == F_AA35 || f == F_HT12 || f == F_DZ65 || f == F_EB03))
		f = F_PD14;
	/* a surgical site infection is coded as such */
	gen_ne(S, p, day, f, prov, true, surgical && f == F_JD07 ? D_T814 : D_NONE);
}

static void gen_ne(synth *S, person *p, int day, int fam, unsigned prov, bool readmission,
		   int diag)
{
	rng *r = &p->r;
	int los = ne_los(p, fam, day);
	int code = split_code(p, fam, day);
	if (chance(r, readmission ? 800000 : 650000))
		ae_before(S, p, day, prov);
	ev *e = add(S, p, day, P_NE, code, prov);
	if (!e)
		return;
	e->los = (uint16_t)los;
	e->diag = (uint8_t)(diag ? diag : ne_diag(p, fam));
	if (readmission)
		e->flags |= FL_READMIT;
	if (fam == F_HT12) {
		uint32_t u = below(r, 100);
		e->proc = u < 45 ? X_W461 : u < 70 ? X_W471 : X_W241;
		if (chance(r, 650000))
			e->flags |= FL_BPT_HIP;
		if (prov == S->ortho && chance(r, 700000))
			e->flags |= FL_SPEC_ORTH;
		/* rehabilitation at home */
		int n = (int)between(r, 2, 5);
		for (int i = 0; i < n; i++)
			add_contact(S, p, day + los + (int)between(r, 5, 60), K_A08A1, S->ryy,
				    D_S720);
	}
	if (!readmission) {
		int age = age_at(p, day);
		uint64_t pr = 80000 + 20000u * p->nmajor + (age >= 75 ? 30000 : 0);
		if (chance(r, pr))
			readmit(S, p, day + los, fam, prov, false);
	}
}

static void gen_emergencies(synth *S, person *p)
{
	int b = band_of(p->age);
	uint64_t morb = PPM + 600000u * p->nmajor;
	uint64_t mult = ppm_mul(ppm_mul(p->util, morb), p->need * 10000u);
	uint32_t n = draw_count(&p->r, expect(p, rate_ne[b], mult));
	for (uint32_t i = 0; i < n; i++) {
		int day = random_day(p);
		int fam = ne_family(p, day);
		gen_ne(S, p, day, fam, choose_acute(S, p, day), false, D_NONE);
	}
	morb = PPM + 250000u * p->nmajor;
	mult = ppm_mul(ppm_mul(p->util, morb), p->need * 10000u);
	n = draw_count(&p->r, expect(p, rate_ae[b], mult));
	static const uint32_t w[7] = {5, 10, 15, 20, 25, 10, 15};
	for (uint32_t i = 0; i < n; i++) {
		int day = random_day(p);
		add_contact(S, p, day, K_VB05 + pick(&p->r, w, 7), choose_acute(S, p, day), D_NONE);
	}
}

/* Elective and day-case procedures other than joints and chemotherapy. */
typedef struct procedure {
	uint8_t fam, diag, proc;
	uint32_t dc_ppm;
	uint8_t los_lo, los_hi;
} procedure;

enum { E_CATARACT, E_COLON, E_CYSTO, E_HERNIA, E_CHOLE, E_SKIN, E_TONSIL, E_HYST, NELECT };
static const procedure electives[NELECT] = {
	[E_CATARACT] = {F_BZ34, D_H259, X_C751, 990000, 1, 1},
	[E_COLON] = {F_FE32, D_K573, X_H221, 900000, 1, 2},
	[E_CYSTO] = {F_LB14, D_R31, X_M459, 900000, 1, 1},
	[E_HERNIA] = {F_FF62, D_K409, X_T201, 600000, 1, 2},
	[E_CHOLE] = {F_GA10, D_K802, X_J183, 400000, 1, 3},
	[E_SKIN] = {F_JC43, D_D229, X_S062, 950000, 1, 1},
	[E_TONSIL] = {F_CA60, D_J350, X_F341, 600000, 1, 1},
	[E_HYST] = {F_MA07, D_N920, X_Q074, 50000, 2, 4},
};

static int elective_type(person *p)
{
	int age = p->age;
	bool f = p->sex == 'F', m = p->sex == 'M';
	uint32_t w[NELECT] = {0};
	w[E_CATARACT] = age >= 60 ? 40 : age >= 50 ? 30 : 1;
	w[E_COLON] = age >= 30 ? 25 : 0;
	w[E_CYSTO] = age >= 40 ? (m ? 18 : 12) : 0;
	w[E_HERNIA] = age >= 19 ? (m ? 15 : 5) : age >= 1 ? 3 : 0;
	w[E_CHOLE] = age >= 19 && age <= 80 ? (f ? 16 : 8) : 0;
	w[E_SKIN] = 15;
	w[E_TONSIL] = age >= 3 && age <= 18 ? 30 : 0;
	w[E_HYST] = f && age >= 30 && age <= 70 ? 6 : 0;
	return pick(&p->r, w, NELECT);
}

static void gen_electives(synth *S, person *p)
{
	rng *r = &p->r;
	int b = band_of(p->age);
	uint64_t mult = ppm_mul(p->util, PPM + 150000u * p->nmajor);
	uint32_t n = draw_count(r, expect(p, rate_elective[b], mult));
	for (uint32_t i = 0; i < n; i++) {
		const procedure *t = &electives[elective_type(p)];
		int day = random_day(p);
		unsigned prov = choose_acute(S, p, day);
		if (chance(r, 700000))
			add_contact(S, p, day - (int)between(r, 14, 120), K_WF01B, prov, t->diag);
		bool dc = chance(r, t->dc_ppm);
		ev *e = add(S, p, day, dc ? P_DC : P_EL, split_code(p, t->fam, day), prov);
		if (!e)
			continue;
		int los = dc ? 0 : (int)between(r, t->los_lo, t->los_hi);
		e->los = (uint16_t)los;
		e->diag = t->diag;
		e->proc = t->proc;
		if (chance(r, 400000))
			add_contact(S, p, day + los + (int)between(r, 14, 70),
				    chance(r, 800000) ? K_WF01A : K_WF01C, prov, t->diag);
		if (chance(r, 30000))
			readmit(S, p, day + los, t->fam, prov, true);
	}
}

/* Hip and knee replacements and the care around them. */
static void gen_joints(synth *S, person *p)
{
	rng *r = &p->r;
	uint32_t n = draw_count(r, expect(p, rate_joint[band_of(p->age)], PPM));
	for (uint32_t i = 0; i < n; i++) {
		bool hip = chance(r, 500000);
		int fam = hip ? (chance(r, 700000) ? F_HN12 : F_HN13) : F_HN22;
		int day = random_day(p);
		unsigned prov = chance(r, 400000) ? S->ortho : home_acute(S, p, day);
		int diag = hip ? (chance(r, 700000) ? D_M161 : D_M169)
			       : (chance(r, 700000) ? D_M171 : D_M179);
		if (chance(r, 800000))
			add_contact(S, p, day - (int)between(r, 30, 120), K_WF01B, prov, diag);
		ev *e = add(S, p, day, P_EL, split_code(p, fam, day), prov);
		if (!e)
			continue;
		int los = (int)between(r, 2, 5) + (age_at(p, day) >= 80 ? (int)below(r, 3) : 0);
		if (chance(r, 50000))
			los += (int)below(r, 20);
		e->los = (uint16_t)los;
		e->diag = (uint8_t)diag;
		uint32_t u = below(r, 100);
		e->proc = hip ? (u < 50 ? X_W371 : u < 80 ? X_W381 : X_W931)
			      : (u < 70 ? X_W401 : X_W411);
		if (chance(r, prov == S->ortho ? 700000 : 150000))
			e->flags |= FL_SPEC_ORTH;
		int out = day + los;
		if (chance(r, 900000))
			add_contact(S, p, out + (int)between(r, 35, 49), K_WF01A, prov, diag);
		if (chance(r, 500000))
			add_contact(S, p, out + (int)between(r, 80, 100), K_WF01C, prov, diag);
		int k = (int)between(r, 2, 6);
		for (int j = 0; j < k; j++)
			add_contact(S, p, out + (int)between(r, 3, 84), K_A08A1, S->ryy, diag);
		if (chance(r, p->nmajor >= 2 ? 60000 : 40000)) {
			int d = out + (int)between(r, 3, 28);
			if (registered(p, d)) {
				if (chance(r, 700000))
					ae_before(S, p, d, prov);
				ev *c = add(S, p, d, P_NE, split_code(p, F_HN15, d), prov);
				if (c) {
					c->los = (uint16_t)between(r, 2, 8);
					c->diag = (uint8_t)ne_diag(p, F_HN15);
					c->flags = FL_READMIT;
				}
			}
		}
	}
}

static void gen_chemo(synth *S, person *p)
{
	rng *r = &p->r;
	if (!(p->cond & BIT(C_CANCER)))
		return;
	uint32_t n = draw_count(r, expect(p, CHEMO_PPM, PPM));
	for (uint32_t i = 0; i < n; i++) {
		int day = random_day(p);
		unsigned prov = home_acute(S, p, day);
		int cycles = (int)between(r, 4, 12), gap = chance(r, 500000) ? 14 : 21;
		for (int c = 0; c < cycles; c++, day += gap) {
			ev *e = add(S, p, day, P_DC, fam_base[F_SB97], prov);
			if (!e)
				break;
			e->diag = p->cancer_diag;
			e->proc = c == 0 ? X_X721 : X_X722;
		}
	}
}

static int general_diag(person *p)
{
	static const uint8_t dx[9] = {D_R104, D_M545, D_K219, D_R074, D_M255,
				      D_L409, D_H409, D_N40,  D_R69};
	for (;;) {
		int d = dx[below(&p->r, 9)];
		if (d == D_N40 && (p->sex != 'M' || p->age < 50))
			continue;
		if (d == D_H409 && p->age < 40)
			continue;
		return d;
	}
}

static void gen_outpatients(synth *S, person *p)
{
	rng *r = &p->r;
	int b = band_of(p->age);
	uint64_t mult = ppm_mul(p->util, PPM + 300000u * p->nmajor);
	/* first attendances from OP_CARRY_IN days before the registration on,
	 * so that follow-ups of last year's referrals are seen too */
	uint64_t days = (uint64_t)p->to - p->from + 1;
	uint64_t carry = (days + OP_CARRY_IN) * PPM / days;
	uint32_t n = draw_count(r, ppm_mul(expect(p, rate_opfa[b], mult), carry));
	for (uint32_t i = 0; i < n; i++) {
		int day = (int)between(r, p->from, p->to + OP_CARRY_IN) - OP_CARRY_IN;
		unsigned prov = choose_acute(S, p, day < p->from ? p->from : day);
		int diag = general_diag(p);
		add_contact(S, p, day, K_WF01B, prov, diag);
		uint32_t u = below(r, 100);
		int k = u < 25 ? 0 : u < 50 ? 1 : u < 70 ? 2 : 3 + (int)below(r, 4);
		for (int j = 0; j < k && day <= p->to; j++) {
			day += (int)between(r, 28, 120);
			add_contact(S, p, day, chance(r, 800000) ? K_WF01A : K_WF01C, prov, diag);
		}
	}
	/* long-term condition clinics */
	static const struct {
		uint8_t cond, diag;
	} ltc[7] = {{C_COPD, D_J449}, {C_HF, D_I509},  {C_CHD, D_I259},  {C_AF, D_I489},
		    {C_CKD, D_N183},  {C_CANCER, 0}, {C_ASTHMA, D_J459}};
	for (int c = 0; c < 7; c++) {
		if (!(p->cond & BIT(ltc[c].cond)))
			continue;
		int diag = ltc[c].cond == C_CANCER ? p->cancer_diag : ltc[c].diag;
		uint64_t rate = ltc[c].cond == C_ASTHMA ? ASTHMA_FU_PPM : LTC_FU_PPM;
		n = draw_count(r, expect(p, rate, PPM));
		for (uint32_t i = 0; i < n; i++) {
			int day = random_day(p);
			add_contact(S, p, day, chance(r, 750000) ? K_WF01A : K_WF01C,
				    home_acute(S, p, day), diag);
		}
	}
}

static void gen_community(synth *S, person *p)
{
	rng *r = &p->r;
	int b = band_of(p->age);
	uint64_t morb = PPM + 400000u * p->nmajor + (p->cond & BIT(C_DEMENTIA) ? PPM : 0) +
			(p->cond & BIT(C_HF) ? 500000 : 0);
	uint32_t n = draw_count(r, expect(p, rate_com[b], ppm_mul(p->util, morb)));
	for (uint32_t i = 0; i < n; i++) {
		int day = random_day(p), age = age_at(p, day), k, diag = D_NONE;
		uint32_t u = below(r, 100);
		if (age < 5)
			k = K_N20AF;
		else if (age < 65)
			k = u < 60 ? K_A08A1 : K_N02AF;
		else if (u < 55)
			k = K_N02AF;
		else if (u < 75)
			k = K_A08A1;
		else if (u < 88)
			k = p->nmajor >= 2 ? K_N04AF : K_N02AF;
		else
			k = p->cond & BIT(C_HF) ? K_N05AF : K_A08A1;
		if (k == K_N05AF)
			diag = D_I509;
		add_contact(S, p, day, k, S->ryy, diag);
	}
}

static void gen_diabetes(synth *S, person *p)
{
	rng *r = &p->r;
	if (!p->tier)
		return;
	const uint32_t *rate = diabetes_rate[p->tier - 1];
	int dx = p->t1 ? D_E109 : D_E119, foot = p->t1 ? D_E105 : D_E115;
	static const uint8_t kind[4] = {K_WF02A, K_WF02B, K_N10AF, K_A09A1};
	for (int j = 0; j < 4; j++) {
		uint32_t n = draw_count(r, expect(p, rate[j], PPM));
		for (uint32_t i = 0; i < n; i++) {
			int day = random_day(p);
			unsigned prov = j < 2 ? home_acute(S, p, day) : S->ryy;
			add_contact(S, p, day, kind[j], prov, j == 3 ? foot : dx);
		}
	}
}

static void gen_mental_health(synth *S, person *p)
{
	rng *r = &p->r;
	uint64_t pr = mh_ppm[band_of(p->age)];
	int k = p->age < 18 ? K_MHC02 : chance(r, 500000) ? K_MHC02 : K_MHC04;
	int diag = k == K_MHC02 ? D_F419 : D_F329;
	if ((p->cond & BIT(C_DEPRESSION)) && pr < 60000)
		pr = 60000, k = K_MHC04, diag = D_F329;
	if ((p->cond & BIT(C_DEMENTIA)) && pr < 250000)
		pr = 250000, k = p->nmajor >= 3 ? K_MHC19 : K_MHC18, diag = D_F03;
	if ((p->cond & BIT(C_SMI)) && pr < 600000)
		pr = 600000, k = K_MHC11, diag = D_F209;
	if (!chance(r, pr))
		return;
	uint32_t n = draw_count(r, expect(p, MH_CONTACTS_PPM, PPM));
	for (uint32_t i = 0; i < n; i++)
		add_contact(S, p, random_day(p), k, S->rmh, diag);
}

static void gen_person(synth *S, person *p)
{
	S->nev = 0;
	S->ord = 0;
	if (!p->scale)
		return;
	gen_emergencies(S, p);
	gen_electives(S, p);
	gen_joints(S, p);
	gen_chemo(S, p);
	gen_outpatients(S, p);
	gen_community(S, p);
	gen_diabetes(S, p);
	gen_mental_health(S, p);
}

static int ev_end(const ev *e)
{
	return e->day + (admitted(e->pod) ? e->los : 0);
}

/* By start, end, then the order made: the engine's order of a patient's
 * rows, so the file needs no other. */
static bool ev_before(const ev *a, const ev *b)
{
	if (a->day != b->day)
		return a->day < b->day;
	if (ev_end(a) != ev_end(b))
		return ev_end(a) < ev_end(b);
	return a->ord < b->ord;
}

static int ev_cmp(const void *x, const void *y)
{
	const ev *a = x, *b = y;
	return ev_before(a, b) ? -1 : ev_before(b, a) ? 1 : 0;
}

static void sort_events(synth *S)
{
	if (S->nev > 48) {
		qsort(S->evs, S->nev, sizeof *S->evs, ev_cmp);
		return;
	}
	for (size_t i = 1; i < S->nev; i++) {
		ev t = S->evs[i];
		size_t j = i;
		for (; j > 0 && ev_before(&t, &S->evs[j - 1]); j--)
			S->evs[j] = S->evs[j - 1];
		S->evs[j] = t;
	}
}

/* Mark the emergency rows pbr.yaml's readmission rule will find: an
 * earlier admitted row at the same provider discharged 0-30 days before. */
static void mark_readmissions(synth *S)
{
	for (size_t i = 0; i < S->nev; i++) {
		ev *e = &S->evs[i];
		e->flags &= (uint8_t)~FL_READMIT;
		if (e->pod != P_NE)
			continue;
		for (size_t j = i; j-- > 0;) {
			const ev *x = &S->evs[j];
			if (x->day + MAX_LOS + 30 < e->day)
				break;
			if (admitted(x->pod) && x->prov == e->prov && ev_end(x) <= e->day &&
			    e->day - ev_end(x) <= 30) {
				e->flags |= FL_READMIT;
				break;
			}
		}
	}
}

/* ---- writing ----------------------------------------------------------------------- */

static char *put_s(char *o, const char *s)
{
	while (*s)
		*o++ = *s++;
	return o;
}

static char *put_u(char *o, uint64_t v)
{
	char t[24];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*o++ = t[--n];
	return o;
}

static char *put_money(char *o, uint64_t pence)
{
	o = put_u(o, pence / 100);
	*o++ = '.';
	*o++ = (char)('0' + pence / 10 % 10);
	*o++ = (char)('0' + pence % 10);
	return o;
}

static char *put_date(char *o, int day)
{
	memcpy(o, datestr[day], 10);
	return o + 10;
}

static char *put_practice(char *o, uint32_t j)
{
	char b[8];
	practice_code(j, b);
	return put_s(o, b);
}

static char *put_commissioner(char *o, unsigned c)
{
	return put_s(o, c ? "C02" : "C01");
}

static int cond_diag(const person *p, int c)
{
	switch (c) {
	case C_DIABETES: return p->t1 ? D_E109 : D_E119;
	case C_HYPERTENSION: return D_I10;
	case C_COPD: return D_J449;
	case C_ASTHMA: return D_J459;
	case C_HF: return D_I509;
	case C_CHD: return D_I259;
	case C_AF: return D_I489;
	case C_CKD: return D_N183;
	case C_DEMENTIA: return D_F03;
	case C_DEPRESSION: return D_F329;
	case C_SMI: return D_F209;
	default: return p->cancer_diag;
	}
}

/* The price list's value of a row, pence, as pbr.yaml's tariff computes it
 * (but with the top-up truncated to pence): used to calibrate the
 * regimes, not to price anything. */
static uint64_t row_value(const synth *S, const person *p, const ev *e)
{
	const pcode *c = &codes[e->code];
	int pod = e->pod == P_DC && !c->price[P_DC] ? P_EL : e->pod, k = pod == P_NE;
	uint64_t v = c->price[pod];
	if (e->pod == P_NE && e->los <= 1 && age_at(p, e->day) >= 19 && c->short_stay)
		v = c->short_stay;
	else if ((e->pod == P_EL || e->pod == P_NE) && c->xs[k] && e->los > c->trim[k])
		v += (uint64_t)(e->los - c->trim[k]) * c->xs[k];
	if (e->flags & FL_SPEC_ORTH)
		v += v / 4;
	if (e->flags & FL_BPT_HIP)
		v += 133500;
	if (e->proc == X_X721)
		v += 36300;
	else if (e->proc == X_X722)
		v += 31100;
	v = (v * S->prov[e->prov].mff + PPM / 2) / PPM;
	if ((e->flags & FL_READMIT) && e->pod == P_NE)
		v = 0;
	return v;
}

static void write_row(synth *S, person *p, const ev *e)
{
	char line[512], *o = line;
	const pcode *c = &codes[e->code];
	uint32_t prac = practice_at(p, e->day);
	unsigned comm = S->prac_comm[prac];

	*o++ = 'A';
	o = put_u(o, ++S->seq);
	*o++ = ',';
	*o++ = 'N';
	o = put_u(o, p->id);
	*o++ = ',';
	o = put_s(o, S->prov[e->prov].code);
	*o++ = ',';
	o = put_commissioner(o, comm);
	*o++ = ',';
	o = put_s(o, pod_name[e->pod]);
	*o++ = ',';
	o = put_s(o, c->name);
	*o++ = ',';
	o = put_date(o, e->day);
	*o++ = ',';
	if (admitted(e->pod)) {
		o = put_date(o, e->day + e->los);
		*o++ = ',';
		o = put_u(o, e->los);
	} else {
		*o++ = ',';
	}
	*o++ = ',';
	o = put_u(o, (uint64_t)age_at(p, e->day));
	*o++ = ',';
	*o++ = p->sex;
	*o++ = ',';
	/* diagnoses: primary, then (admitted care) the person's conditions */
	int nd = 0;
	if (e->diag) {
		o = put_s(o, diag_code[e->diag]);
		nd++;
	}
	if (admitted(e->pod))
		for (int i = 0; i < NCOND && nd < 4; i++) {
			int cd = cond_order[i];
			if (!(p->cond & BIT(cd)))
				continue;
			int dx = cond_diag(p, cd);
			if (dx == e->diag)
				continue;
			if (nd++)
				*o++ = '|';
			o = put_s(o, diag_code[dx]);
		}
	*o++ = ',';
	o = put_s(o, proc_code[e->proc]);
	*o++ = ',';
	if (e->flags & FL_SPEC_ORTH)
		o = put_s(o, "SPEC_ORTH");
	if (e->flags & FL_BPT_HIP)
		o = put_s(o, e->flags & FL_SPEC_ORTH ? "|BPT_HIP" : "BPT_HIP");
	*o++ = ',';
	/* the provider's cost: price × efficiency × ±18% + £120 a bed day */
	int pod = e->pod == P_DC && !c->price[P_DC] ? P_EL : e->pod;
	uint64_t cost = ppm_mul(ppm_mul(c->price[pod], S->prov[e->prov].eff),
				between(&p->r, 820000, 1180000));
	if (admitted(e->pod))
		cost += (uint64_t)e->los * 12000;
	if (e->proc == X_X721 || e->proc == X_X722)
		cost += between(&p->r, 20000, 90000);
	o = put_money(o, cost);
	*o++ = '\n';
	fwrite(line, 1, (size_t)(o - line), S->act);

	S->written++;
	S->by_pod[e->pod]++;
	uint64_t v = row_value(S, p, e);
	S->value_total += v;
	if (e->prov == S->ryy && e->pod == P_COM)
		S->com_value[comm] += v;
	if (S->prac_ico[prac] && e->pod != P_COM && e->pod != P_MH)
		S->ico_shadow += v;
}

/* Capitation weights of the ICO regime (hundredths), by the spec's bands. */
static const uint8_t cap_bands[8] = {0, 5, 15, 25, 45, 65, 75, 85};
static const uint16_t cap_weight[2][8] = {
	{110, 45, 55, 70, 95, 160, 240, 330}, /* M */
	{105, 45, 70, 95, 105, 150, 220, 310}, /* F */
};

static uint64_t cap_weight_of(const person *p)
{
	if (p->sex == 'U')
		return 100;
	int b = 7;
	while (p->age < cap_bands[b])
		b--;
	return cap_weight[p->sex == 'F'][b];
}

static void write_pop_row(synth *S, const person *p, uint32_t prac, int from, int to, bool open)
{
	char line[256], *o = line;
	*o++ = 'N';
	o = put_u(o, p->id);
	*o++ = ',';
	o = put_practice(o, prac);
	*o++ = ',';
	o = put_commissioner(o, S->prac_comm[prac]);
	*o++ = ',';
	o = put_date(o, from);
	*o++ = ',';
	if (!open)
		o = put_date(o, to);
	*o++ = ',';
	o = put_u(o, p->age);
	*o++ = ',';
	*o++ = p->sex;
	*o++ = ',';
	int n = 0;
	for (int c = 0; c < NCOND; c++)
		if (p->cond & BIT(c)) {
			if (n++)
				*o++ = '|';
			o = put_s(o, cond_name[c]);
		}
	*o++ = ',';
	if (p->tier)
		*o++ = (char)('0' + p->tier);
	*o++ = ',';
	o = put_u(o, p->need / 100);
	*o++ = '.';
	*o++ = (char)('0' + p->need / 10 % 10);
	*o++ = (char)('0' + p->need % 10);
	*o++ = '\n';
	fwrite(line, 1, (size_t)(o - line), S->pop);
	S->poprows++;
	if (S->prac_ico[prac])
		S->ico_weight += cap_weight_of(p) * p->need * (uint64_t)(to - from + 1);
}

static void write_population(synth *S, const person *p)
{
	if (p->move) {
		write_pop_row(S, p, p->prac[0], p->from, p->move - 1, false);
		write_pop_row(S, p, p->prac[1], p->move, p->to, p->open);
	} else {
		write_pop_row(S, p, p->prac[0], p->from, p->to, p->open);
	}
}

/* ---- the size controller ------------------------------------------------------------ */

/* scale = (rows left / people left) / (rows a person makes at scale 1). */
static uint64_t next_scale(const synth *S, uint64_t idx)
{
	uint64_t left = S->rows - S->written, people = S->patients - idx;
	if (!left)
		return 0;
	uint64_t want = left * PPM / people;	/* ≤ 10^15 */
	if (want > (uint64_t)MAX_PER_PERSON * 2 * PPM)
		want = (uint64_t)MAX_PER_PERSON * 2 * PPM;
	uint64_t unit = S->unit_sum / S->unit_n;
	uint64_t scale = want * PPM / (unit ? unit : 1);
	return scale ? scale : 1;
}

static void learn(synth *S, uint64_t made, uint64_t scale)
{
	/* rows this person would have made at scale 1 (ppm) */
	S->unit_sum += made * PPM / scale * PPM + made * PPM % scale * PPM / scale;
	S->unit_n++;
}

/* Single contacts of people drawn at random, up to the target. */
static void top_up(synth *S)
{
	while (S->written < S->rows) {
		person p;
		person_make(S, (uint64_t)(rng_next(&S->r) % S->patients), &p);
		S->nev = 0;
		S->ord = 0;
		int day = (int)between(&S->r, p.from, p.to);
		uint32_t u = below(&S->r, 100);
		unsigned acute = home_acute(S, &p, day);
		if (u < 45)
			add_contact(S, &p, day, K_WF01A, acute, D_R69);
		else if (u < 75)
			add_contact(S, &p, day, age_at(&p, day) >= 65 ? K_N02AF : K_A08A1, S->ryy,
				    D_NONE);
		else
			add_contact(S, &p, day, K_VB09, acute, D_NONE);
		write_row(S, &p, &S->evs[0]);
		S->topups++;
	}
}

/* ---- files ------------------------------------------------------------------------- */

typedef struct outfile {
	char path[4096], tmp[4200];
	FILE *f;
	char *buf;
} outfile;

static bool out_open(outfile *o, const char *dir, const char *name)
{
	snprintf(o->path, sizeof o->path, "%s/%s", dir, name);
	snprintf(o->tmp, sizeof o->tmp, "%s.tmp", o->path);
	o->f = fopen(o->tmp, "w");
	o->buf = NULL;
	if (!o->f) {
		fprintf(stderr, "remit synth: cannot write %s: %s\n", o->path, strerror(errno));
		return false;
	}
	o->buf = malloc(1 << 20);
	if (o->buf)
		setvbuf(o->f, o->buf, _IOFBF, 1 << 20);
	return true;
}

static bool out_close(outfile *o, bool keep)
{
	if (!o->f)
		return !keep;
	bool ok = !ferror(o->f);
	ok &= fclose(o->f) == 0;
	o->f = NULL;
	free(o->buf);
	o->buf = NULL;
	if (keep && ok && rename(o->tmp, o->path) == 0)
		return true;
	if (keep)
		fprintf(stderr, "remit synth: cannot write %s: %s\n", o->path, strerror(errno));
	remove(o->tmp);
	return false;
}

static bool mkdirs(const char *path)
{
	char p[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof p)
		return false;
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		struct stat st;
		if (stat(p, &st) != 0) {
			if (mkdir(p, 0777) != 0 && errno != EEXIST) {
				fprintf(stderr, "remit synth: cannot create directory %s: %s\n", p,
					strerror(errno));
				return false;
			}
		} else if (!S_ISDIR(st.st_mode)) {
			fprintf(stderr, "remit synth: %s is not a directory\n", p);
			return false;
		}
		p[i] = c;
	}
	return true;
}

/* RFC 4180 field. */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void print_money(FILE *f, uint64_t pence)
{
	fprintf(f, "%" PRIu64 ".%02u", pence / 100, (unsigned)(pence % 100));
}

/* A ppm factor as an exact decimal without trailing zeros: 1.19117. */
static void print_factor(FILE *f, uint32_t ppm)
{
	char frac[8];
	snprintf(frac, sizeof frac, "%06u", (unsigned)(ppm % PPM));
	int n = 6;
	while (n > 1 && frac[n - 1] == '0')
		n--;
	frac[n] = '\0';
	fprintf(f, "%u.%s", (unsigned)(ppm / PPM), frac);
}

static void write_prices(synth *S, FILE *f)
{
	(void)S;
	fputs("code,pod,price,trim,excess_day,short_stay_price,description\n", f);
	for (int i = 0; i < ncodes; i++) {
		const pcode *c = &codes[i];
		for (int pod = 0; pod < NPOD; pod++) {
			if (!c->price[pod])
				continue;
			fprintf(f, "%s,%s,", c->name, pod_name[pod]);
			print_money(f, c->price[pod]);
			fputc(',', f);
			if (pod == P_EL || pod == P_NE) {
				int k = pod == P_NE;
				fprintf(f, "%u,", c->trim[k]);
				print_money(f, c->xs[k]);
			} else {
				fputc(',', f);
			}
			fputc(',', f);
			if (pod == P_NE)
				print_money(f, c->short_stay);
			fputc(',', f);
			csv_field(f, c->desc);
			fputc('\n', f);
		}
	}
}

static void write_mff(synth *S, FILE *f)
{
	fputs("provider,mff\n", f);
	for (unsigned i = 0; i < S->nprov; i++) {
		fprintf(f, "%s,", S->prov[i].code);
		print_factor(f, S->prov[i].mff);
		fputc('\n', f);
	}
}

static void write_holders(synth *S, FILE *f)
{
	fputs("practice,holder\n", f);
	for (uint32_t j = 0; j < S->npractice; j++) {
		char b[8];
		practice_code(j, b);
		fprintf(f, "%s,%s\n", b, S->prov[S->prac_home[j]].code);
	}
}

static void yaml_head(synth *S, FILE *f, const char *name, const char *about)
{
	fprintf(f,
		"# %s\n"
		"# for the data written by: remit synth --rows %" PRIu64 " --patients %" PRIu64
		" --providers %u --seed %" PRIu64 "\n"
		"#\n%s"
		"#\n"
		"# Prices: one national price list, prices.csv, read by every tariff module (so a\n"
		"# budget's subcontract and shadow prices, `price_with: apc`, price every pod).\n"
		"# Published figures (EXAMPLES.md): HN12A elective 13900, HN12F combined day\n"
		"# case/elective 7251, HN12F non-elective 8942, HT12A non-elective 16447, the\n"
		"# orthopaedic specialist top-up 25%%, the hip fracture best-practice uplift 1335,\n"
		"# MFF 1.19117 (RJZ) and 1.184397 (RJ2); WF01B's 168.00 is the Model Hospital\n"
		"# guide's worked example.  Illustrative (the real figures are in the tariff\n"
		"# workbook, or not public): every other price, all trim points, excess bed days\n"
		"# and short-stay prices (30%% of the non-elective price, as HN12F's 2683), the\n"
		"# A&E, community and mental-health contact prices, the chemotherapy add-ons and\n"
		"# every other MFF.\n"
		"remit: 1\n"
		"regime: \"%s\"\n"
		"currency: GBP\n"
		"period: {start: 2024-04-01, end: 2025-03-31}\n"
		"rounding: {scale: 2, mode: half-up}\n"
		"tables:\n"
		"  mff: {key: provider, file: mff.csv, column: mff}\n",
		name, S->rows, S->patients, S->nacute, S->seed, about, name);
}

static void yaml_tariffs(FILE *f)
{
	fputs("  # payment by results for everything no module above claims\n"
	      "  - module: tariff\n"
	      "    name: apc\n"
	      "    covers: pod in [EL, DC, NE]\n"
	      "    prices: {file: prices.csv}\n"
	      "    pod_fallback: {DC: EL}\n"
	      "    mff: {table: mff}\n"
	      "    long_stay: {pods: [EL, NE]}\n"
	      "    short_stay: {pods: [NE], max_los: 1, min_age: 19}\n"
	      "    topups:\n"
	      "      - {name: spec-orth, when: flags has SPEC_ORTH, rate: 25%}\n"
	      "    uplifts:\n"
	      "      - {name: bpt-hip, when: flags has BPT_HIP, add: 1335.00}\n"
	      "    addons:\n"
	      "      - {name: chemo, field: procedures, prices: {X721: 363.00, X722: 311.00}}\n"
	      "    readmission: {within: 30, pods: [NE], pay: 0%}\n"
	      "  - module: tariff\n"
	      "    name: op\n"
	      "    covers: pod in [OPFA, OPFU]\n"
	      "    prices: {file: prices.csv}\n"
	      "    mff: {table: mff}\n"
	      "  - module: tariff\n"
	      "    name: ae\n"
	      "    covers: pod == AE\n"
	      "    prices: {file: prices.csv}\n"
	      "    mff: {table: mff}\n"
	      "  - module: tariff\n"
	      "    name: com\n"
	      "    covers: pod == COM\n"
	      "    prices: {file: prices.csv}\n"
	      "    mff: {table: mff}\n"
	      "  - module: tariff\n"
	      "    name: mh\n"
	      "    covers: pod == MH\n"
	      "    prices: {file: prices.csv}\n"
	      "    mff: {table: mff}\n",
	      f);
}

static void write_pbr(synth *S, FILE *f)
{
	yaml_head(S, f, "PbR 2024/25",
		  "# Payment by results: every row priced by the national tariff -- admitted\n"
		  "# care (apc, with long and short stays, the orthopaedic top-up, the hip\n"
		  "# fracture best-practice uplift, chemotherapy add-ons and no payment for\n"
		  "# emergency readmissions within 30 days), outpatients (op), A&E (ae),\n"
		  "# community (com) and mental health (mh).\n");
	fputs("modules:\n", f);
	yaml_tariffs(f);
}

/* Episode price: (elective price + 460.00 of expected follow-up care) × 97%,
 * to whole pounds (illustrative). */
static uint64_t bundle_price(const pcode *c)
{
	uint64_t pounds = c->price[P_EL] / 100 + 460;
	return (pounds * 97 + 50) / 100 * 100;
}

static void write_bundle(synth *S, FILE *f)
{
	yaml_head(S, f, "PbR + hip/knee bundle 2024/25",
		  "# Payment by results, except hip and knee replacements: an elective HN12/HN13\n"
		  "# (hip) or HN22 (knee) spell opens a 90-day episode paid prospectively to the\n"
		  "# provider that operated, which pays any other provider of the episode's\n"
		  "# related care (follow-ups, community physiotherapy, complications: diagnoses\n"
		  "# M16, M17, T84) at 100% of tariff.  Episode prices are illustrative: the\n"
		  "# elective price plus 460.00 of expected follow-up care, less 3%.\n");
	fputs("modules:\n"
	      "  - module: bundle\n"
	      "    name: hip-knee\n"
	      "    anchor: pod == EL and code in [HN12*, HN13*, HN22*]\n"
	      "    window: {before: 0, after: 90}\n"
	      "    related: diagnoses has [M16*, M17*, T84*]\n"
	      "    holder: anchor\n"
	      "    mode: prospective\n"
	      "    price:\n"
	      "      by: code\n"
	      "      rows:\n",
	      f);
	static const int fam_of_bundle[3] = {F_HN12, F_HN13, F_HN22};
	for (int i = 0; i < 3; i++) {
		int fam = fam_of_bundle[i];
		for (int s = 0; s < fams[fam].nsplit; s++) {
			const pcode *c = &codes[fam_base[fam] + s];
			fprintf(f, "        %s: ", c->name);
			print_money(f, bundle_price(c));
			fputc('\n', f);
		}
	}
	fputs("    mff: {table: mff}\n"
	      "    subcontract: {price_with: apc, share: 100%}\n",
	      f);
	yaml_tariffs(f);
}

static void write_yoc(synth *S, FILE *f)
{
	yaml_head(S, f, "PbR + diabetes year of care 2024/25",
		  "# Payment by results, except diabetes outpatient and community care of people\n"
		  "# on a diabetes register: a year-of-care price per person by complexity tier\n"
		  "# (the examples' 520.00, 890.00, 1640.00; illustrative), pro rata to the days\n"
		  "# registered, paid to a lead provider per practice (its home acute trust,\n"
		  "# holders.csv), which pays the other providers of that care (the community\n"
		  "# diabetes nurses and podiatrists of RYY) at 100% of tariff.\n");
	fputs("  holders: {key: practice, file: holders.csv, column: holder}\n"
	      "modules:\n"
	      "  - module: year_of_care\n"
	      "    name: diabetes\n"
	      "    cohort: conditions has diabetes\n"
	      "    tier: {from: tier}\n"
	      "    prices: {\"1\": 520.00, \"2\": 890.00, \"3\": 1640.00}\n"
	      "    holder: {table: holders}\n"
	      "    covers: pod in [OPFA, OPFU, COM] and diagnoses has [E10*, E11*]\n"
	      "    prorate: days\n"
	      "    mff: {table: mff}\n"
	      "    subcontract: {price_with: apc, share: 100%}\n",
	      f);
	yaml_tariffs(f);
}

static void write_ico(synth *S, FILE *f, uint64_t rate, const uint64_t block[2])
{
	yaml_head(S, f, "ICO capitation + community block 2024/25",
		  "# An integrated care organisation: the first acute trust holds a capitated\n"
		  "# budget for the hospital care (admitted, outpatient, A&E) of the people\n"
		  "# registered with its practices, pays other hospitals for their care at\n"
		  "# tariff, and shares half of any gap beyond 2% between the budget and the\n"
		  "# shadow PbR value of that care (capped at 10% of the budget).  Community\n"
		  "# services are a block contract with RYY per commissioner; everything else\n"
		  "# is payment by results.  Calibrated on this data: the rate is 97% of the\n"
		  "# population's shadow PbR spend per weighted person-year; each block is 98%\n"
		  "# of the commissioner's community activity at tariff.  Weights are the\n"
		  "# spec's example.\n");
	fputs("modules:\n"
	      "  - module: capitation\n"
	      "    name: ico\n",
	      f);
	fprintf(f, "    holder: %s\n    population: practice in [", S->prov[0].code);
	uint32_t n = 0;
	for (uint32_t j = 0; j < S->npractice; j++)
		if (S->prac_ico[j]) {
			char b[8];
			practice_code(j, b);
			fprintf(f, "%s%s", n++ ? ", " : "", b);
		}
	fputs("]\n    rate: ", f);
	print_money(f, rate);
	fputs("\n"
	      "    weights:\n"
	      "      bands: [0, 5, 15, 25, 45, 65, 75, 85]\n"
	      "      M: [1.10, 0.45, 0.55, 0.70, 0.95, 1.60, 2.40, 3.30]\n"
	      "      F: [1.05, 0.45, 0.70, 0.95, 1.05, 1.50, 2.20, 3.10]\n"
	      "      U: [1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00, 1.00]\n"
	      "    need: {from: need}\n"
	      "    prorate: days\n"
	      "    mff: {provider: holder, table: mff}\n"
	      "    covers: pod in [EL, DC, NE, OPFA, OPFU, AE]\n"
	      "    subcontract: {price_with: apc, share: 100%}\n"
	      "    risk_share: {against: shadow, shadow_with: apc, corridor: 2%, share: 50%, "
	      "cap: 10%}\n",
	      f);
	for (int c = 0; c < 2; c++) {
		fprintf(f,
			"  - module: block\n"
			"    name: community-%s\n"
			"    payee: %s\n"
			"    payer: %s\n"
			"    amount: ",
			c ? "c02" : "c01", S->prov[S->ryy].code, c ? "C02" : "C01");
		print_money(f, block[c]);
		fprintf(f, "\n    covers: provider == %s and pod == COM and commissioner == %s\n",
			S->prov[S->ryy].code, c ? "C02" : "C01");
	}
	yaml_tariffs(f);
}

/* The ICO's rate: 97% of shadow spend per weighted person-year ÷ the
 * holder's MFF, pence; the examples' 1180.00 when nobody is registered. */
static uint64_t ico_rate(const synth *S)
{
	/* weighted person-years × 1000 = Σ w% × need% × days / (100·100·365) × 1000 */
	uint64_t wpy_milli = S->ico_weight / 3650;
	if (!wpy_milli || !S->ico_shadow)
		return 118000;
	uint64_t per = S->ico_shadow * 97 / 100 * 1000 / wpy_milli;
	return (per * PPM + S->prov[0].mff / 2) / S->prov[0].mff;
}

static void blocks(const synth *S, uint64_t block[2])
{
	for (int c = 0; c < 2; c++) /* 98%, whole pounds */
		block[c] = S->com_value[c] * 98 / 100 / 100 * 100;
}

static bool write_regimes(synth *S)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/regimes", S->out);
	if (!mkdirs(dir))
		return false;
	uint64_t block[2];
	blocks(S, block);
	uint64_t rate = ico_rate(S);
	static const char *const names[7] = {"prices.csv",     "mff.csv",        "holders.csv",
					     "pbr.yaml",       "pbr-bundle.yaml", "pbr-yoc.yaml",
					     "ico.yaml"};
	bool ok = true;
	for (int i = 0; i < 7 && ok; i++) {
		outfile o;
		if (!out_open(&o, dir, names[i]))
			return false;
		switch (i) {
		case 0: write_prices(S, o.f); break;
		case 1: write_mff(S, o.f); break;
		case 2: write_holders(S, o.f); break;
		case 3: write_pbr(S, o.f); break;
		case 4: write_bundle(S, o.f); break;
		case 5: write_yoc(S, o.f); break;
		case 6: write_ico(S, o.f, rate, block); break;
		}
		ok = out_close(&o, true);
	}
	return ok;
}

/* ---- the command --------------------------------------------------------------------- */

static const char synth_help[] =
	"Usage: remit synth --rows N [--patients N] [--providers N] [--seed S] --out DIR\n"
	"\n"
	"Write realistic synthetic data for 2024-04-01..2025-03-31 and payment regimes\n"
	"for it.  The same arguments always give byte-identical files.\n"
	"\n"
	"  DIR/population.csv  registered people: age/sex structure, practices (one per\n"
	"                      8,000 people), commissioners C01/C02, long-term conditions,\n"
	"                      diabetes tiers, need index; births, joiners, deaths,\n"
	"                      leavers and practice moves during the year\n"
	"  DIR/activity.csv    exactly N rows: admitted care (EL, DC, NE), outpatients\n"
	"                      (OPFA, OPFU), A&E, community (COM, at RYY) and mental\n"
	"                      health (MH, at RMH) with readmissions, hip and knee\n"
	"                      replacement episodes, diabetes care, chemotherapy courses\n"
	"  DIR/regimes/        pbr.yaml (payment by results), pbr-bundle.yaml (+ a hip and\n"
	"                      knee bundle), pbr-yoc.yaml (+ diabetes year of care),\n"
	"                      ico.yaml (capitation with risk share + community block),\n"
	"                      with prices.csv, mff.csv and holders.csv\n"
	"\n"
	"  --rows N        activity rows, exactly (1 to 1000000000)          (required)\n"
	"  --patients N    people (default N/5 rounded up: about five rows a\n"
	"                  person-year, as in England); at most 1000 rows a person\n"
	"  --providers N   acute trusts, 1 to 20 (default 3)\n"
	"  --seed S        random seed, 0 to 18446744073709551615 (default 1)\n"
	"  --out DIR       output directory, created if missing              (required)\n"
	"  --quiet         print nothing on success\n"
	"\n"
	"Exit: 0 ok, 2 usage error, 4 an output file could not be written.\n";

static int usage(const char *fmt, ...)
{
	va_list ap;
	fputs("remit synth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'remit synth --help'.\n", stderr);
	return 2;
}

/* Digits only, ≤ max. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

typedef struct opts {
	const char *rows, *patients, *providers, *seed, *out;
	bool quiet, help;
} opts;

static int parse_opts(int argc, char **argv, opts *o)
{
	static const char *const names[5] = {"--rows", "--patients", "--providers", "--seed",
					     "--out"};
	memset(o, 0, sizeof *o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			o->help = true;
			return 0;
		}
		if (!strcmp(a, "--quiet")) {
			o->quiet = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || !a[2])
			return usage("unexpected argument '%s'", a);
		const char **slot[5] = {&o->rows, &o->patients, &o->providers, &o->seed, &o->out};
		int k = 0;
		size_t n = strcspn(a, "=");
		for (; k < 5; k++)
			if (strlen(names[k]) == n && !strncmp(a, names[k], n))
				break;
		if (k == 5) {
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(n < 63 ? n : 63), a);
			return usage("unknown option '%s'", name);
		}
		const char *v;
		if (a[n] == '=')
			v = a + n + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else
			return usage("option '%s' needs a value", names[k]);
		*slot[k] = v;
	}
	return 0;
}

int remit_synth_main(int argc, char **argv)
{
	opts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc;
	if (o.help) {
		fputs(synth_help, stdout);
		return 0;
	}
	synth *S = calloc(1, sizeof *S);
	if (!S) {
		fputs("remit synth: out of memory\n", stderr);
		return 5;
	}
	uint64_t v = 3;
	rc = 0;
	if (!o.rows)
		rc = usage("--rows N is required");
	else if (!parse_u64(o.rows, MAX_ROWS, &S->rows) || S->rows < 1)
		rc = usage("--rows: expected a whole number from 1 to 1000000000, got '%s'",
			   o.rows);
	else if (o.patients && (!parse_u64(o.patients, MAX_PATIENTS, &S->patients) || !S->patients))
		rc = usage("--patients: expected a whole number from 1 to 100000000, got '%s'",
			   o.patients);
	else if (o.providers && (!parse_u64(o.providers, MAX_ACUTE, &v) || v < 1))
		rc = usage("--providers: expected a whole number from 1 to 20, got '%s'",
			   o.providers);
	else if (o.seed && !parse_u64(o.seed, UINT64_MAX, &S->seed))
		rc = usage("--seed: expected a whole number from 0 to 18446744073709551615, got '%s'",
			   o.seed);
	else if (!o.out || !*o.out)
		rc = usage("--out DIR is required");
	if (rc) {
		free(S);
		return rc;
	}
	if (!o.seed)
		S->seed = 1;
	S->nacute = o.providers ? (unsigned)v : 3;
	if (!o.patients)
		S->patients = (S->rows + 4) / 5;
	if (S->rows > S->patients * MAX_PER_PERSON) {
		uint64_t rows = S->rows, people = S->patients;
		free(S);
		return usage("--patients %" PRIu64 " is too few for --rows %" PRIu64
			     " (at most 1000 rows a person)",
			     people, rows);
	}
	S->out = o.out;
	S->quiet = o.quiet;

	/* organisations */
	for (unsigned i = 0; i < S->nacute; i++)
		S->prov[i] = acute_trusts[i];
	S->ryy = S->nacute;
	S->rmh = S->nacute + 1;
	S->prov[S->ryy] = community_trust;
	S->prov[S->rmh] = mental_trust;
	S->nprov = S->nacute + 2;
	S->ortho = S->nacute > 1 ? 1 : 0;
	codes_init();
	for (int d = 0; d < NDAYS; d++)
		civil(DAY0 + d, datestr[d]);
	rng_seed(&S->r, S->seed, UINT64_MAX);
	S->unit_sum = (uint64_t)PRIOR_N * BASE_ROWS_PPM;
	S->unit_n = PRIOR_N;

	int status = 4;
	outfile act = {.f = NULL}, pop = {.f = NULL};
	if (!practices_init(S)) {
		fputs("remit synth: out of memory\n", stderr);
		status = 5;
		goto out;
	}
	if (!mkdirs(S->out) || !out_open(&act, S->out, "activity.csv") ||
	    !out_open(&pop, S->out, "population.csv"))
		goto out;
	S->act = act.f;
	S->pop = pop.f;
	fputs("id,patient,provider,commissioner,pod,code,start,end,los,age,sex,diagnoses,"
	      "procedures,flags,cost\n",
	      S->act);
	fputs("patient,practice,commissioner,from,to,age,sex,conditions,tier,need\n", S->pop);

	for (uint64_t idx = 0; idx < S->patients; idx++) {
		person p;
		person_make(S, idx, &p);
		write_population(S, &p);
		p.scale = next_scale(S, idx);
		gen_person(S, &p);
		sort_events(S);
		mark_readmissions(S);
		size_t n = S->nev;
		if (p.scale)
			learn(S, n, p.scale);
		uint64_t left = S->rows - S->written;
		if (n > left) {
			S->cut += n - left;
			n = (size_t)left;
		}
		for (size_t i = 0; i < n; i++)
			write_row(S, &p, &S->evs[i]);
	}
	top_up(S);

	bool ok = out_close(&act, true);
	ok &= out_close(&pop, true);
	if (!ok || !write_regimes(S))
		goto out;
	status = 0;
	if (!S->quiet) {
		printf("remit synth: seed %" PRIu64 ", %" PRIu64
		       " people at %u practices (%u in the ICO), %u acute trusts + RYY + RMH\n",
		       S->seed, S->patients, S->npractice, S->nico, S->nacute);
		printf("  %s/population.csv  %" PRIu64 " registrations\n", S->out, S->poprows);
		printf("  %s/activity.csv    %" PRIu64 " rows:", S->out, S->written);
		for (int k = 0; k < NPOD; k++)
			printf(" %s %" PRIu64 "%s", pod_name[k], S->by_pod[k],
			       k + 1 < NPOD ? "," : "\n");
		printf("                     (%" PRIu64 " made up by single contacts, %" PRIu64
		       " cut at the target)\n",
		       S->topups, S->cut);
		printf("  %s/regimes/        pbr.yaml pbr-bundle.yaml pbr-yoc.yaml ico.yaml "
		       "prices.csv mff.csv holders.csv\n",
		       S->out);
		uint64_t block[2];
		blocks(S, block);
		printf("  PbR value of the activity ");
		print_money(stdout, S->value_total);
		printf("; ICO shadow ");
		print_money(stdout, S->ico_shadow);
		printf(", rate ");
		print_money(stdout, ico_rate(S));
		printf("; community blocks C01 ");
		print_money(stdout, block[0]);
		printf(", C02 ");
		print_money(stdout, block[1]);
		printf("\n");
	}
out:
	if (status) {
		out_close(&act, false);
		out_close(&pop, false);
	}
	free(S->evs);
	free(S->prac_cum);
	free(S->prac_home);
	free(S->prac_comm);
	free(S->prac_decile);
	free(S->prac_ico);
	free(S);
	return status;
}
