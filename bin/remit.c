/*
 * remit.c — the command-line interface (spec/CLI.md).
 *
 * Uses only the public header.  Each subcommand parses its options, calls
 * the library, and prints; every error goes to standard error as
 * "file:line:col: message" where a position is known.  Output files are
 * written under a temporary name and renamed into place when complete, so
 * an interrupted run never leaves a half-written file under the final name;
 * SIGINT, SIGTERM and SIGHUP remove the temporary files and exit 128 + the
 * signal (130, 143, 129).  SIGBUS, which is what a mapped input file
 * (lib/csv.c) raises when another process cuts it short while it is read,
 * removes them too and exits 4, a data file error, saying so.  An output
 * that is not a regular file (/dev/null, a FIFO) is written in place.
 *
 * Exit codes: 0 success, 1 --strict and rows rejected or unpriced, 2 usage,
 * 3 rule file error, 4 data file error, 5 internal error.
 */
#include "remit.h"
#include "synth.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_STRICT = 1, EXIT_USAGE = 2, EXIT_RULES = 3, EXIT_DATA = 4, EXIT_INTERNAL = 5 };

static int exit_for(int status)
{
	switch (status) {
	case REMIT_OK:
		return EXIT_OK;
	case REMIT_EUSAGE:
	case REMIT_ENOTFOUND:
		return EXIT_USAGE;
	case REMIT_ERULES:
		return EXIT_RULES;
	case REMIT_EDATA:
		return EXIT_DATA;
	default:
		return EXIT_INTERNAL;
	}
}

static void print_error(const remit_error *e)
{
	if (e->file[0] && e->line)
		fprintf(stderr, "%s:%lu:%lu: %s\n", e->file, e->line, e->column, e->message);
	else if (e->file[0])
		fprintf(stderr, "%s: %s\n", e->file, e->message);
	else
		fprintf(stderr, "remit: %s\n", e->message[0] ? e->message : remit_strerror(e->status));
}

static void diag_print(void *ud, const remit_error *e)
{
	(void)ud;
	print_error(e);
}

static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "remit%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'remit %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

/* ---- output files: temporary name, renamed when complete -------------- */

/* A CSV record built in memory, to be written in one call. */
typedef struct record {
	char *p;
	size_t n, cap;
} record;

typedef struct outfile {
	const char *path;
	char tmp[4096];
	FILE *f;
	bool direct; /* not a regular file (/dev/null, a FIFO): written in place */
	record rec;  /* the record being built (kept from one to the next) */
} outfile;

/* Temporary files being written, for the SIGINT/SIGTERM/SIGHUP handler:
 * it unlinks each (unlink is async-signal-safe) and exits 128 + the
 * signal, so an interrupted run leaves neither a half-written file under
 * its final name nor a stray "<path>.tmp-<pid>".  The table is changed
 * (by the main thread, before and after a run) only with those signals
 * blocked; a pointer's store is atomic, so a handler on another thread
 * sees an entry or not, never half of one. */
#define MAX_TEMPS 16
static const char *volatile temps[MAX_TEMPS];

static void temps_set(const char *old, const char *path)
{
	sigset_t block, was;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &was);
	for (int i = 0; i < MAX_TEMPS; i++)
		if (temps[i] == old) {
			temps[i] = path;
			break;
		}
	pthread_sigmask(SIG_SETMASK, &was, NULL);
}

static void on_signal(int sig)
{
	for (int i = 0; i < MAX_TEMPS; i++)
		if (temps[i])
			unlink(temps[i]);
	_exit(128 + sig);
}

static void on_bus(int sig)
{
	static const char msg[] = "remit: an input file was cut short while it was being read "
				  "(SIGBUS); no output was written\n";
	(void)sig;
	for (int i = 0; i < MAX_TEMPS; i++)
		if (temps[i])
			unlink(temps[i]);
	(void)!write(STDERR_FILENO, msg, sizeof msg - 1); /* nothing to do if it fails */
	_exit(4);
}

static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_bus;
	sigaction(SIGBUS, &sa, NULL);
}

static bool out_open(outfile *o, const char *path)
{
	struct stat st;
	o->path = path;
	o->f = NULL;
	o->direct = false;
	o->rec = (record){NULL, 0, 0};
	if (!path)
		return true;
	if (strcmp(path, "-") == 0) {
		o->f = stdout;
		return true;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		/* a device or a FIFO: renaming a file over it would replace it */
		o->direct = true;
		o->f = fopen(path, "w");
		if (!o->f)
			fprintf(stderr, "remit: cannot write %s: %s\n", path, strerror(errno));
		return o->f != NULL;
	}
	if ((size_t)snprintf(o->tmp, sizeof o->tmp, "%s.tmp-%ld", path, (long)getpid()) >=
	    sizeof o->tmp) {
		fprintf(stderr, "remit: cannot write %s: %s\n", path, strerror(ENAMETOOLONG));
		return false;
	}
	temps_set(NULL, o->tmp); /* before the file exists: no window without it */
	o->f = fopen(o->tmp, "w");
	if (!o->f) {
		fprintf(stderr, "remit: cannot write %s: %s\n", path, strerror(errno));
		temps_set(o->tmp, NULL);
		return false;
	}
	setvbuf(o->f, NULL, _IOFBF, 1 << 20); /* line files: few, large writes */
	return true;
}

static bool out_close(outfile *o, bool keep)
{
	free(o->rec.p);
	o->rec = (record){NULL, 0, 0};
	if (!o->f || o->f == stdout)
		return true;
	bool ok = fclose(o->f) == 0;
	o->f = NULL;
	if (o->direct) {
		if (!ok)
			fprintf(stderr, "remit: cannot write %s: %s\n", o->path, strerror(errno));
		return ok || !keep;
	}
	if (!keep || !ok) {
		remove(o->tmp);
		temps_set(o->tmp, NULL);
		if (!ok)
			fprintf(stderr, "remit: cannot write %s: %s\n", o->path, strerror(errno));
		return !keep;
	}
	if (rename(o->tmp, o->path) != 0) {
		fprintf(stderr, "remit: cannot write %s: %s\n", o->path, strerror(errno));
		remove(o->tmp);
		temps_set(o->tmp, NULL);
		return false;
	}
	temps_set(o->tmp, NULL);
	return true;
}

/* Room for `more` bytes at the end of r. */
static char *record_room(record *r, size_t more)
{
	if (more > r->cap - r->n) {
		size_t cap = (r->n + more) * 2;
		char *p = realloc(r->p, cap);
		if (!p) {
			fputs("remit: out of memory\n", stderr);
			abort(); /* the library's policy (README) */
		}
		r->p = p;
		r->cap = cap;
	}
	return r->p + r->n;
}

/* An RFC 4180 field appended to r: quoted, its quotes doubled, when it
 * holds a comma, a quote or a line end (as the library quotes the lines
 * it formats).  A record is built with a copy a field and written with one
 * call. */
static void record_field(record *r, const char *s, bool last)
{
	size_t plain = strcspn(s, ",\"\r\n");
	if (!s[plain]) {
		char *o = record_room(r, plain + 1);
		memcpy(o, s, plain);
		o[plain] = last ? '\n' : ',';
		r->n += plain + 1;
		return;
	}
	size_t len = plain + strlen(s + plain);
	char *o = record_room(r, 2 * len + 3), *start = o;
	*o++ = '"';
	for (; *s; s++) {
		if (*s == '"')
			*o++ = '"';
		*o++ = *s;
	}
	*o++ = '"';
	*o++ = last ? '\n' : ',';
	r->n += (size_t)(o - start);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* ---- progress ---------------------------------------------------------- */

typedef struct progress {
	bool on;
	struct timespec t0, last;
} progress;

static double seconds_since(const struct timespec *t) /* display only, not money */
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void progress_draw(progress *p, uint64_t done, uint64_t total, uint64_t rows, bool final)
{
	if (!p->on)
		return;
	if (!final && seconds_since(&p->last) < 0.2)
		return;
	clock_gettime(CLOCK_MONOTONIC, &p->last);
	double el = seconds_since(&p->t0);
	double pct = total ? 100.0 * (double)done / (double)total : 0;
	double rate = el > 0 ? (double)rows / el : 0;
	double left = done && total > done ? el * (double)(total - done) / (double)done : 0;
	int width = 30, fill = (int)(pct * width / 100);
	fprintf(stderr, "\r[");
	for (int i = 0; i < width; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %5.1f%%  %12" PRIu64 " rows  %10.0f rows/s  %5.0fs left ", pct, rows,
		rate, left);
	if (final)
		fputs("\n", stderr);
	fflush(stderr);
}

/* ---- price ------------------------------------------------------------- */

typedef struct price_ctx {
	outfile lines, unpriced, rejects;
	progress prog;
	uint64_t done, total, rows; /* last progress report */
} price_ctx;

/* Lines come as CSV records formatted by the library on its pricing
 * threads, many a call. */
static void on_lines(void *ud, const char *p, size_t n)
{
	price_ctx *c = ud;
	fwrite(p, 1, n, c->lines.f);
}

static void on_reject(void *ud, const remit_row_note *n)
{
	price_ctx *c = ud;
	FILE *f = c->rejects.f;
	record *r = &c->rejects.rec;
	char num[32];
	flockfile(f);
	r->n = 0;
	record_field(r, n->file, false);
	snprintf(num, sizeof num, "%lu", n->line);
	record_field(r, num, false);
	snprintf(num, sizeof num, "%lu", n->column);
	record_field(r, num, false);
	record_field(r, n->reason, false);
	record_field(r, n->raw, true);
	fwrite_unlocked(r->p, 1, r->n, f);
	funlockfile(f);
}

static void on_unpriced(void *ud, const remit_row_note *n)
{
	price_ctx *c = ud;
	FILE *f = c->unpriced.f;
	record *r = &c->unpriced.rec;
	char num[32];
	flockfile(f);
	r->n = 0;
	record_field(r, n->file, false);
	snprintf(num, sizeof num, "%lu", n->line);
	record_field(r, num, false);
	record_field(r, n->activity, false);
	record_field(r, n->reason, true);
	fwrite_unlocked(r->p, 1, r->n, f);
	funlockfile(f);
}

static void on_progress(void *ud, uint64_t done, uint64_t total, uint64_t rows)
{
	price_ctx *c = ud;
	c->done = done;
	c->total = total;
	c->rows = rows;
	progress_draw(&c->prog, done, total, rows, false);
}

static void print_breakdown(const remit_result *res, remit_total_kind kind, const char *title)
{
	size_t n = remit_result_size(res, kind), w = strlen(title), aw = 12;
	const char *name, *amount;
	for (size_t i = 0; i < n; i++) {
		remit_result_entry(res, kind, i, &name, &amount);
		if (strlen(name) > w)
			w = strlen(name);
		if (strlen(amount) > aw)
			aw = strlen(amount);
	}
	printf("%-*s  %*s\n", (int)w, title, (int)aw, "amount");
	for (size_t i = 0; i < n; i++) {
		remit_result_entry(res, kind, i, &name, &amount);
		printf("%-*s  %*s\n", (int)w, name, (int)aw, amount);
	}
	printf("%-*s  %*s\n\n", (int)w, "total", (int)aw, remit_result_total(res));
}

static void print_reconciliation(const remit_result *res)
{
	remit_counts c;
	remit_result_counts(res, &c);
	bool rows_ok = c.read == c.priced + c.covered + c.unpriced + c.rejected;
	printf("Reconciliation\n");
	printf("  rows read   %12" PRIu64 "\n", c.read);
	printf("  priced      %12" PRIu64 "\n", c.priced);
	printf("  covered     %12" PRIu64 "\n", c.covered);
	printf("  unpriced    %12" PRIu64 "\n", c.unpriced);
	printf("  rejected    %12" PRIu64 "\n", c.rejected);
	printf("  rows: %" PRIu64 " read = %" PRIu64 " priced + %" PRIu64 " covered + %" PRIu64
	       " unpriced + %" PRIu64 " rejected: %s\n",
	       c.read, c.priced, c.covered, c.unpriced, c.rejected,
	       rows_ok ? "balanced" : "NOT BALANCED");
	printf("  money: by payer %s = by payee %s = total %s over %" PRIu64 " lines: %s\n",
	       remit_result_total(res), remit_result_total(res), remit_result_total(res),
	       remit_result_lines(res), remit_result_balanced(res) ? "balanced" : "NOT BALANCED");
	if (c.overlaps)
		printf("  overlaps: %" PRIu64 " owned rows also match a later module's scope (paid once)\n",
		       c.overlaps);
	if (c.population_read)
		printf("  population: %" PRIu64 " rows read, %" PRIu64 " rejected\n",
		       c.population_read, c.population_rejected);
}

static void json_breakdown(FILE *f, const remit_result *res, remit_total_kind kind,
			   const char *key)
{
	const char *name, *amount;
	fprintf(f, ",\n \"%s\": {", key);
	for (size_t i = 0; i < remit_result_size(res, kind); i++) {
		remit_result_entry(res, kind, i, &name, &amount);
		fputs(i ? ", " : "", f);
		json_string(f, name);
		fputs(": ", f);
		json_string(f, amount);
	}
	fputc('}', f);
}

static void write_json(FILE *f, const remit_regime *r, const remit_result *res)
{
	remit_counts c;
	remit_result_counts(res, &c);
	fputs("{\"regime\": ", f);
	json_string(f, remit_regime_name(r));
	fputs(", \"currency\": ", f);
	json_string(f, remit_regime_currency(r));
	fprintf(f, ", \"scale\": %d,\n", remit_regime_scale(r));
	fprintf(f,
		" \"rows\": {\"read\": %" PRIu64 ", \"priced\": %" PRIu64 ", \"covered\": %" PRIu64
		", \"unpriced\": %" PRIu64 ", \"rejected\": %" PRIu64 "},\n",
		c.read, c.priced, c.covered, c.unpriced, c.rejected);
	fprintf(f,
		" \"overlaps\": %" PRIu64 ", \"population\": {\"read\": %" PRIu64
		", \"rejected\": %" PRIu64 "},\n",
		c.overlaps, c.population_read, c.population_rejected);
	fputs(" \"total\": ", f);
	json_string(f, remit_result_total(res));
	json_breakdown(f, res, REMIT_BY_PAYEE, "by_payee");
	json_breakdown(f, res, REMIT_BY_PAYER, "by_payer");
	json_breakdown(f, res, REMIT_BY_MODULE, "by_module");
	json_breakdown(f, res, REMIT_BY_KIND, "by_kind");
	fprintf(f, ",\n \"lines\": %" PRIu64 ", \"balanced\": %s}\n", remit_result_lines(res),
		remit_result_balanced(res) ? "true" : "false");
}

static const char price_help[] =
	"Usage: remit price REGIME.yaml --activity FILE [options]\n"
	"\n"
	"Price every row of an activity file under a regime.  Prints totals by payee,\n"
	"payer and module, then the reconciliation (rows read = priced + covered +\n"
	"unpriced + rejected; money by payer = money by payee).\n"
	"\n"
	"  --activity FILE    activity CSV (or .csv.gz)            (required)\n"
	"  --population FILE  registered population CSV\n"
	"  --lines FILE       write every payment line as CSV ('-' for stdout)\n"
	"  --unpriced FILE    write rows no module could price, with the reason\n"
	"  --rejects FILE     write rows that failed validation: file,line,column,reason,raw\n"
	"  --json FILE        write the totals as JSON ('-' for stdout)\n"
	"  --threads N        worker threads (never changes any result)\n"
	"  --strict           exit 1 if any row is rejected or unpriced\n"
	"  --quiet            no progress bar\n"
	"\n"
	"Exit: 0 ok, 1 --strict and rows rejected/unpriced, 2 usage, 3 rule file error,\n"
	"4 data file error, 5 internal error.\n";

enum {
	OPT_ACTIVITY = 256,
	OPT_POPULATION,
	OPT_LINES,
	OPT_UNPRICED,
	OPT_REJECTS,
	OPT_JSON,
	OPT_THREADS,
	OPT_STRICT,
	OPT_QUIET,
	OPT_ID,
	OPT_HELP,
	OPT_REPORT,
	OPT_CSV,
	OPT_BY,
};

static const struct option long_opts[] = {
	{"activity", required_argument, NULL, OPT_ACTIVITY},
	{"population", required_argument, NULL, OPT_POPULATION},
	{"lines", required_argument, NULL, OPT_LINES},
	{"unpriced", required_argument, NULL, OPT_UNPRICED},
	{"rejects", required_argument, NULL, OPT_REJECTS},
	{"json", required_argument, NULL, OPT_JSON},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"strict", no_argument, NULL, OPT_STRICT},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"id", required_argument, NULL, OPT_ID},
	{"help", no_argument, NULL, OPT_HELP},
	{"report", required_argument, NULL, OPT_REPORT},
	{"csv", required_argument, NULL, OPT_CSV},
	{"by", required_argument, NULL, OPT_BY},
	{NULL, 0, NULL, 0},
};

typedef struct args {
	const char *activity, *population, *lines, *unpriced, *rejects, *json, *id;
	const char *report, *csv, *by;
	int threads;
	bool strict, quiet, help;
	char **files;
	int nfiles;
} args;

/* Parse options; `allowed` lists the option codes the subcommand takes. */
static int parse_args(const char *cmd, int argc, char **argv, const int *allowed, args *a)
{
	memset(a, 0, sizeof *a);
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		if (c == 'h' || c == OPT_HELP) {
			a->help = true;
			return 0;
		}
		if (c == '?')
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		if (c == ':')
			return usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		bool ok = false;
		for (const int *p = allowed; *p; p++)
			ok |= *p == c;
		if (!ok)
			return usage_error(cmd, "option '%s' does not apply here", argv[optind - 1]);
		switch (c) {
		case OPT_ACTIVITY: a->activity = optarg; break;
		case OPT_POPULATION: a->population = optarg; break;
		case OPT_LINES: a->lines = optarg; break;
		case OPT_UNPRICED: a->unpriced = optarg; break;
		case OPT_REJECTS: a->rejects = optarg; break;
		case OPT_JSON: a->json = optarg; break;
		case OPT_ID: a->id = optarg; break;
		case OPT_REPORT: a->report = optarg; break;
		case OPT_CSV: a->csv = optarg; break;
		case OPT_BY:
			if (strcmp(optarg, "provider") && strcmp(optarg, "commissioner") &&
			    strcmp(optarg, "module") && strcmp(optarg, "pod"))
				return usage_error(cmd, "--by: expected provider, commissioner, module or "
							"pod, got '%s'", optarg);
			a->by = optarg;
			break;
		case OPT_STRICT: a->strict = true; break;
		case OPT_QUIET: a->quiet = true; break;
		case OPT_THREADS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 1024)
				return usage_error(cmd, "--threads: expected a whole number from 1 to 1024, got '%s'", optarg);
			a->threads = (int)n;
			break;
		}
		}
	}
	a->files = argv + optind;
	a->nfiles = argc - optind;
	return 0;
}

static int load_regime(const char *path, remit_regime **r)
{
	remit_error err;
	int rc = remit_regime_load(path, diag_print, NULL, r, &err);
	return rc == REMIT_OK ? 0 : exit_for(rc);
}

static int cmd_price(int argc, char **argv)
{
	static const int allowed[] = {OPT_ACTIVITY, OPT_POPULATION, OPT_LINES, OPT_UNPRICED,
				      OPT_REJECTS,  OPT_JSON,       OPT_THREADS, OPT_STRICT,
				      OPT_QUIET,    0};
	args a;
	int rc = parse_args("price", argc, argv, allowed, &a);
	if (rc || a.help) {
		if (a.help)
			fputs(price_help, stdout);
		return rc;
	}
	if (a.nfiles != 1)
		return usage_error("price", "expected one REGIME.yaml, got %d", a.nfiles);
	if (!a.activity)
		return usage_error("price", "--activity FILE is required");
	remit_regime *r;
	if ((rc = load_regime(a.files[0], &r)))
		return rc;
	price_ctx pc;
	memset(&pc, 0, sizeof pc);
	outfile json;
	bool ok = out_open(&pc.lines, a.lines) && out_open(&pc.unpriced, a.unpriced) &&
		  out_open(&pc.rejects, a.rejects) && out_open(&json, a.json);
	if (!ok) {
		remit_regime_free(r);
		return EXIT_DATA;
	}
	if (pc.lines.f)
		fputs(REMIT_LINES_CSV_HEADER, pc.lines.f);
	if (pc.unpriced.f)
		fputs("file,line,activity,reason\n", pc.unpriced.f);
	if (pc.rejects.f)
		fputs("file,line,column,reason,raw\n", pc.rejects.f);
	pc.prog.on = !a.quiet && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &pc.prog.t0);
	remit_run_options opt = {
		.threads = a.threads,
		.on_lines_csv = pc.lines.f ? on_lines : NULL,
		.on_reject = pc.rejects.f ? on_reject : NULL,
		.on_unpriced = pc.unpriced.f ? on_unpriced : NULL,
		.on_progress = pc.prog.on ? on_progress : NULL,
		.ud = &pc,
	};
	remit_result *res = NULL;
	remit_error err;
	rc = remit_price_file(r, a.activity, a.population, &opt, &res, &err);
	if (pc.prog.on)
		progress_draw(&pc.prog, pc.done, pc.total, pc.rows, true);
	if (rc != REMIT_OK) {
		print_error(&err);
		out_close(&pc.lines, false);
		out_close(&pc.unpriced, false);
		out_close(&pc.rejects, false);
		out_close(&json, false);
		remit_regime_free(r);
		return exit_for(rc);
	}
	if (json.f)
		write_json(json.f, r, res);
	ok = out_close(&pc.lines, true); /* each closed, whatever the others did */
	ok = out_close(&pc.unpriced, true) && ok;
	ok = out_close(&pc.rejects, true) && ok;
	ok = out_close(&json, true) && ok;
	if (!(json.path && strcmp(json.path, "-") == 0) &&
	    !(a.lines && strcmp(a.lines, "-") == 0)) {
		printf("%s (%s)\n\n", remit_regime_name(r), remit_regime_currency(r));
		print_breakdown(res, REMIT_BY_PAYEE, "payee");
		print_breakdown(res, REMIT_BY_PAYER, "payer");
		print_breakdown(res, REMIT_BY_MODULE, "module");
		print_reconciliation(res);
	} else {
		/* stdout carries data: keep the reconciliation visible on stderr */
		remit_counts c;
		remit_result_counts(res, &c);
		fprintf(stderr,
			"rows: %" PRIu64 " read = %" PRIu64 " priced + %" PRIu64 " covered + %" PRIu64
			" unpriced + %" PRIu64 " rejected; total %s: %s\n",
			c.read, c.priced, c.covered, c.unpriced, c.rejected, remit_result_total(res),
			remit_result_balanced(res) ? "balanced" : "NOT BALANCED");
	}
	remit_counts c;
	remit_result_counts(res, &c);
	bool balanced = remit_result_balanced(res);
	remit_result_free(res);
	remit_regime_free(r);
	if (!ok)
		return EXIT_DATA;
	if (!balanced)
		return EXIT_INTERNAL;
	return a.strict && (c.rejected || c.unpriced) ? EXIT_STRICT : EXIT_OK;
}

/* ---- check --------------------------------------------------------------- */

static const char check_help[] =
	"Usage: remit check REGIME.yaml... [--activity FILE]\n"
	"\n"
	"Validate rule files and print every error as file:line:col: message.\n"
	"Predicates may name extra columns of the activity file: give --activity to\n"
	"check them against that file's header.\n"
	"\n"
	"Exit: 0 all valid, 2 usage, 3 any rule file error, 4 unreadable activity file.\n";

static int cmd_check(int argc, char **argv)
{
	static const int allowed[] = {OPT_ACTIVITY, OPT_QUIET, 0};
	args a;
	int rc = parse_args("check", argc, argv, allowed, &a);
	if (rc || a.help) {
		if (a.help)
			fputs(check_help, stdout);
		return rc;
	}
	if (a.nfiles < 1)
		return usage_error("check", "expected at least one REGIME.yaml");
	int worst = EXIT_OK;
	for (int i = 0; i < a.nfiles; i++) {
		remit_regime *r;
		remit_error err;
		rc = remit_regime_load(a.files[i], diag_print, NULL, &r, &err);
		if (rc == REMIT_OK)
			rc = remit_regime_check_fields(r, a.activity, diag_print, NULL, &err);
		if (rc == REMIT_EDATA)
			print_error(&err);
		if (rc == REMIT_OK && !a.quiet)
			printf("%s: ok (regime \"%s\")\n", a.files[i], remit_regime_name(r));
		if (exit_for(rc) > worst)
			worst = exit_for(rc);
		remit_regime_free(r);
	}
	return worst;
}

/* ---- explain ------------------------------------------------------------- */

static const char explain_help[] =
	"Usage: remit explain REGIME.yaml --activity FILE [--population FILE] --id ID\n"
	"\n"
	"Show how one activity row is claimed and priced: every module consulted,\n"
	"every step, every rounding, with exact values.  When ID is a person of the\n"
	"population file rather than an activity row, show how each budget module\n"
	"derives that person's budget.\n"
	"\n"
	"Exit: 0 ok, 2 usage or no such id, 3 rule file error, 4 data file error.\n";

static void print_text(void *ud, const char *text)
{
	(void)ud;
	puts(text);
}

static int cmd_explain(int argc, char **argv)
{
	static const int allowed[] = {OPT_ACTIVITY, OPT_POPULATION, OPT_ID, OPT_QUIET, 0};
	args a;
	int rc = parse_args("explain", argc, argv, allowed, &a);
	if (rc || a.help) {
		if (a.help)
			fputs(explain_help, stdout);
		return rc;
	}
	if (a.nfiles != 1)
		return usage_error("explain", "expected one REGIME.yaml, got %d", a.nfiles);
	if (!a.activity || !a.id)
		return usage_error("explain", "--activity FILE and --id ID are required");
	remit_regime *r;
	if ((rc = load_regime(a.files[0], &r)))
		return rc;
	printf("%s under regime \"%s\" (rounding: scale %d)\n", a.id, remit_regime_name(r),
	       remit_regime_scale(r));
	remit_error err;
	rc = remit_explain(r, a.activity, a.population, a.id, print_text, NULL, &err);
	if (rc != REMIT_OK)
		print_error(&err);
	remit_regime_free(r);
	return exit_for(rc);
}

/* ---- compare --------------------------------------------------------------- */

static const char compare_help[] =
	"Usage: remit compare REGIME_A.yaml REGIME_B.yaml [MORE.yaml...] --activity FILE\n"
	"                     [--population FILE] [options]\n"
	"\n"
	"Price the same activity (and population) under two or more regimes in one read\n"
	"and show, per organisation, net income under each (received − paid to others),\n"
	"the difference, where it comes from (by pricing component and by module), who\n"
	"is paid for each activity row under each regime, the rows where cost can\n"
	"shift, and the reconciliation of every regime.\n"
	"\n"
	"  --activity FILE    activity CSV (or .csv.gz)            (required)\n"
	"  --population FILE  registered population CSV\n"
	"  --report FILE      write a self-contained HTML report with charts\n"
	"  --json FILE        write the comparison as JSON ('-' for stdout)\n"
	"  --csv FILE         write the comparison as one long CSV table ('-' for stdout)\n"
	"  --by DIMENSION     rows of the main table: provider (default), commissioner,\n"
	"                     module or pod\n"
	"  --rejects FILE     write rows that failed validation\n"
	"  --threads N        worker threads (never changes any result)\n"
	"  --quiet            no progress bar\n"
	"\n"
	"Exit: 0 ok, 2 usage, 3 rule file error, 4 data file error, 5 internal error.\n";

static void write_file(void *ud, const char *data, size_t len)
{
	fwrite(data, 1, len, (FILE *)ud);
}

static int cmd_compare(int argc, char **argv)
{
	static const int allowed[] = {OPT_ACTIVITY, OPT_POPULATION, OPT_REPORT, OPT_JSON,
				      OPT_CSV,      OPT_BY,         OPT_REJECTS, OPT_THREADS,
				      OPT_QUIET,    0};
	args a;
	int rc = parse_args("compare", argc, argv, allowed, &a);
	if (rc || a.help) {
		if (a.help)
			fputs(compare_help, stdout);
		return rc;
	}
	if (a.nfiles < 2)
		return usage_error("compare", "expected two or more REGIME.yaml files, got %d",
				   a.nfiles);
	if (!a.activity)
		return usage_error("compare", "--activity FILE is required");
	remit_regime **regimes = calloc((size_t)a.nfiles, sizeof *regimes);
	int worst = 0;
	for (int i = 0; i < a.nfiles && regimes; i++) {
		int r = load_regime(a.files[i], &regimes[i]);
		if (r > worst)
			worst = r;
	}
	price_ctx pc;
	memset(&pc, 0, sizeof pc);
	outfile html, json, csv;
	remit_comparison *cmp = NULL;
	if (!regimes) {
		fputs("remit: out of memory\n", stderr);
		return EXIT_INTERNAL;
	}
	if (worst)
		goto out_free;
	if (!out_open(&pc.rejects, a.rejects) || !out_open(&html, a.report) ||
	    !out_open(&json, a.json) || !out_open(&csv, a.csv)) {
		worst = EXIT_DATA;
		goto out_free;
	}
	if (pc.rejects.f)
		fputs("file,line,column,reason,raw\n", pc.rejects.f);
	pc.prog.on = !a.quiet && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &pc.prog.t0);
	remit_run_options opt = {
		.threads = a.threads,
		.on_reject = pc.rejects.f ? on_reject : NULL,
		.on_progress = pc.prog.on ? on_progress : NULL,
		.ud = &pc,
	};
	remit_error err;
	rc = remit_compare_files((const remit_regime *const *)regimes, (size_t)a.nfiles,
				 a.activity, a.population, &opt, &cmp, &err);
	if (pc.prog.on)
		progress_draw(&pc.prog, pc.done, pc.total, pc.rows, true);
	if (rc != REMIT_OK) {
		print_error(&err);
		worst = exit_for(rc);
		out_close(&pc.rejects, false);
		out_close(&html, false);
		out_close(&json, false);
		out_close(&csv, false);
		goto out_free;
	}
	if (html.f)
		remit_comparison_write(cmp, REMIT_REPORT_HTML, NULL, write_file, html.f);
	if (json.f)
		remit_comparison_write(cmp, REMIT_REPORT_JSON, NULL, write_file, json.f);
	if (csv.f)
		remit_comparison_write(cmp, REMIT_REPORT_CSV, NULL, write_file, csv.f);
	bool ok = out_close(&pc.rejects, true); /* each closed, whatever the others did */
	ok = out_close(&html, true) && ok;
	ok = out_close(&json, true) && ok;
	ok = out_close(&csv, true) && ok;
	bool data_on_stdout = (a.json && !strcmp(a.json, "-")) || (a.csv && !strcmp(a.csv, "-"));
	if (!data_on_stdout)
		remit_comparison_write(cmp, REMIT_REPORT_TEXT, a.by, write_file, stdout);
	if (a.report && !a.quiet)
		fprintf(stderr, "report written to %s\n", a.report);
	worst = ok ? EXIT_OK : EXIT_DATA;
out_free:
	remit_comparison_free(cmp);
	for (int i = 0; i < a.nfiles; i++)
		remit_regime_free(regimes[i]);
	free(regimes);
	return worst;
}

/* ---- main ------------------------------------------------------------------- */

static const char main_help[] =
	"Usage: remit COMMAND [options]\n"
	"       remit --plugin PATH.so [--plugin PATH.so]... COMMAND [options]\n"
	"\n"
	"Price health-care activity under payment regimes, exactly.\n"
	"\n"
	"Commands:\n"
	"  check    validate rule files; print every error\n"
	"  price    price an activity file under a regime\n"
	"  explain  show every step of one row's price\n"
	"  compare  price the same activity under several regimes: who gains, who loses\n"
	"  synth    make synthetic data and regimes for it\n"
	"\n"
	"Options (before the command):\n"
	"  --plugin PATH.so  load a payment module built outside remit; rule files\n"
	"                    then name it in 'module:'.  Repeatable.  A plugin that\n"
	"                    cannot be loaded or has another interface version is an\n"
	"                    error (exit 2).\n"
	"\n"
	"'remit COMMAND --help' describes each.  'remit --version' prints the version.\n";

/* Global options before the command: --plugin PATH.so (or --plugin=PATH),
 * repeatable.  Returns the index of the command in argv, or -1 after
 * reporting an error (*code is then the exit code). */
static int load_plugins(int argc, char **argv, int *code)
{
	int i = 1;
	for (; i < argc; i++) {
		const char *path;
		if (strcmp(argv[i], "--plugin") == 0) {
			if (i + 1 >= argc) {
				*code = usage_error(NULL, "option '--plugin' needs a value");
				return -1;
			}
			path = argv[++i];
		} else if (strncmp(argv[i], "--plugin=", 9) == 0) {
			path = argv[i] + 9;
		} else {
			break;
		}
		remit_error err;
		if (remit_load_plugin(path, &err) != REMIT_OK) {
			print_error(&err);
			*code = EXIT_USAGE;
			return -1;
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	catch_signals();
	int code = EXIT_OK, first = load_plugins(argc, argv, &code);
	if (first < 0)
		return code;
	argc -= first - 1; /* the command becomes argv[1] */
	argv += first - 1;
	if (argc < 2)
		return usage_error(NULL, "expected a command");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(main_help, stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "--version")) {
		printf("remit %s\n", remit_version());
		return EXIT_OK;
	}
	if (!strcmp(cmd, "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "price"))
		return cmd_price(argc - 1, argv + 1);
	if (!strcmp(cmd, "explain"))
		return cmd_explain(argc - 1, argv + 1);
	if (!strcmp(cmd, "synth"))
		return remit_synth_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "compare"))
		return cmd_compare(argc - 1, argv + 1);
	return usage_error(NULL, "unknown command '%s'", cmd);
}
