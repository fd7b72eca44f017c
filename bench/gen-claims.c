/*
 * gen-claims.c — synthetic claims for the benchmark, deterministic for a seed.
 *
 *   gen-claims ROWS DIR [SEED]
 *
 * writes DIR/activity.csv (id, patient, provider, commissioner, code, pod,
 * start, end, los, age, sex), DIR/tariff.csv (1,000 HRG-like codes × EL/NE:
 * code, pod, price, trim, excess_day), DIR/mff.csv (30 providers:
 * provider, mff with six decimals) and DIR/regime.yaml, a remit regime that
 * prices round((price + max(0, los − trim) × excess_day) × mff, 2).
 *
 * Prices are whole pence, MFFs whole millionths: everything is integer.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCODES 1000
#define NPROV 30
#define NCOMM 10

static uint64_t state;

static uint64_t next(void) /* xorshift64* */
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 2685821657736338717ull;
}

static unsigned below(unsigned n)
{
	return (unsigned)(next() >> 33) % n;
}

static FILE *create(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	return f;
}

static void code_name(unsigned i, char out[8])
{
	/* HRG-like: two letters, two digits, a letter */
	snprintf(out, 8, "%c%c%02u%c", 'A' + i % 26, 'A' + (i / 26) % 26, i % 97, 'A' + i % 5);
}

/* Days since 1970-01-01 to y-m-d (Hinnant). */
static void civil(int64_t days, char out[11])
{
	days += 719468;
	int64_t era = days / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
	snprintf(out, 11, "%04" PRId64 "-%02u-%02u", y, m, d);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: gen-claims ROWS DIR [SEED]\n");
		return 2;
	}
	uint64_t rows = strtoull(argv[1], NULL, 10);
	const char *dir = argv[2];
	state = argc > 3 ? strtoull(argv[3], NULL, 10) * 2 + 1 : 88172645463325252ull;

	FILE *t = create(dir, "tariff.csv");
	fputs("code,pod,price,trim,excess_day\n", t);
	for (unsigned i = 0; i < NCODES; i++) {
		char code[8];
		code_name(i, code);
		unsigned el = 50000 + below(1500000), ne = el + below(400000);
		unsigned xel = 20000 + below(20000), xne = 20000 + below(20000);
		fprintf(t, "%s,EL,%u.%02u,%u,%u.%02u\n", code, el / 100, el % 100, 2 + below(10),
			xel / 100, xel % 100);
		fprintf(t, "%s,NE,%u.%02u,%u,%u.%02u\n", code, ne / 100, ne % 100, 3 + below(20),
			xne / 100, xne % 100);
	}
	fclose(t);

	FILE *m = create(dir, "mff.csv");
	fputs("provider,mff\n", m);
	for (unsigned i = 0; i < NPROV; i++)
		fprintf(m, "R%02u,1.%06u\n", i, below(250000));
	fclose(m);

	FILE *y = create(dir, "regime.yaml");
	fputs("remit: 1\n"
	      "regime: bench tariff\n"
	      "currency: GBP\n"
	      "rounding: {scale: 2, mode: half-up}\n"
	      "tables:\n"
	      "  mff: {key: provider, file: mff.csv, column: mff}\n"
	      "modules:\n"
	      "  - module: tariff\n"
	      "    name: apc\n"
	      "    covers: pod in [EL, NE]\n"
	      "    prices: {file: tariff.csv}\n"
	      "    mff: {table: mff}\n"
	      "    long_stay: {pods: [EL, NE]}\n",
	      y);
	fclose(y);

	FILE *a = create(dir, "activity.csv");
	static char buf[1 << 20];
	setvbuf(a, buf, _IOFBF, sizeof buf);
	fputs("id,patient,provider,commissioner,code,pod,start,end,los,age,sex\n", a);
	const int64_t first = 19814; /* 2024-04-01 */
	for (uint64_t i = 0; i < rows; i++) {
		char code[8], start[11], end[11];
		code_name(below(NCODES), code);
		int ne = below(3) == 0;
		unsigned los = ne ? below(15) : below(4) == 0 ? below(8) : 0;
		int64_t s = first + below(365);
		civil(s, start);
		civil(s + los, end);
		fprintf(a, "A%" PRIu64 ",P%u,R%02u,C%02u,%s,%s,%s,%s,%u,%u,%c\n", i + 1,
			below((unsigned)(rows / 4 + 1)), below(NPROV), below(NCOMM), code,
			ne ? "NE" : "EL", start, end, los, below(100), below(2) ? 'F' : 'M');
	}
	fclose(a);
	return 0;
}
