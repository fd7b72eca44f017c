/*
 * test_plugin.c — payment modules from outside remit (remit.h, "plugin
 * modules"): loading and refusing plugins (wrong interface version, not a
 * plugin, name taken), the per-diem fixture plugin and the example
 * personal-health-budget plugin pricing rows with hand-computed amounts,
 * their rule-file errors, the host accessors seen from a plugin, refused
 * lines, and `remit --plugin`.
 *
 * The .so files are built by CMake from the sources in tests/fixtures/api and
 * examples/plugin-phb/phb.c into $REMIT_PLUGINS.  Criterion runs each test
 * in its own process, so each starts with an empty plugin registry.
 */
#include "remit.h"
#include "support.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *plugin_path(const char *name)
{
	static char buf[4][1024];
	static int next;
	const char *dir = getenv("REMIT_PLUGINS");
	cr_assert_not_null(dir, "REMIT_PLUGINS is not set (run through ctest)");
	char *b = buf[next++ % 4];
	snprintf(b, sizeof buf[0], "%s/%s.so", dir, name);
	return b;
}

static void load_plugin(const char *name)
{
	remit_error err;
	int rc = remit_load_plugin(plugin_path(name), &err);
	cr_assert_eq(rc, REMIT_OK, "%s", err.message);
}

/* ---- refusing plugins -------------------------------------------------- */

Test(plugin, a_plugin_of_another_interface_version_is_refused)
{
	remit_error err;
	char want[1200];
	const char *path = plugin_path("badversion");
	cr_assert_eq(remit_load_plugin(path, &err), REMIT_EPLUGIN);
	cr_assert_eq(err.status, REMIT_EPLUGIN);
	snprintf(want, sizeof want, "plugin %s: interface version 2, this remit supports 1", path);
	cr_assert_str_eq(err.message, want);
	/* and nothing was registered: its module is unknown */
	remit_regime *r;
	const char yaml[] = "remit: 1\nregime: x\nmodules:\n  - {module: future, name: f}\n";
	cr_assert_eq(remit_regime_load_string(yaml, sizeof yaml - 1, "f.yaml", NULL, NULL, &r, &err),
		     REMIT_ERULES);
	cr_assert_str_eq(err.message, "modules[0].module: unknown module \"future\"; expected one "
				      "of: tariff, bundle, year_of_care, capitation, block");
}

static int parse_nothing(const remit_plugin_host *h, remit_plugin_config *c, void **out)
{
	*out = NULL;
	return REMIT_OK;
}

Test(plugin, an_in_process_plugin_of_another_version_is_refused)
{
	static const remit_plugin v2 = {.version = 2, .name = "future2", .parse = parse_nothing};
	static const remit_plugin v0 = {.version = 0, .name = "past", .parse = parse_nothing};
	remit_error err;
	cr_assert_eq(remit_register_module(&v2, &err), REMIT_EPLUGIN);
	cr_assert_str_eq(err.message, "plugin future2: interface version 2, this remit supports 1");
	cr_assert_eq(remit_register_module(&v0, &err), REMIT_EPLUGIN);
	cr_assert_str_eq(err.message,
			 "plugin (unnamed): interface version 0, this remit supports 1");
}

Test(plugin, loading_bad_arguments_and_files)
{
	remit_error err;
	char want[1200];
	cr_assert_eq(remit_load_plugin(NULL, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_load_plugin: the path is NULL");
	cr_assert_eq(remit_load_plugin("", &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_load_plugin: the path is empty");
	cr_assert_eq(remit_register_module(NULL, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_register_module: the plugin is NULL");
	cr_assert_eq(remit_load_plugin(NULL, NULL), REMIT_EUSAGE);

	cr_assert_eq(remit_load_plugin("/nonexistent/x.so", &err), REMIT_EPLUGIN);
	cr_assert_str_eq(err.message, "plugin /nonexistent/x.so: cannot load: /nonexistent/x.so: "
				      "cannot open shared object file: No such file or directory");
	/* a bare name is a file of the current directory, not a library search */
	cr_assert_eq(remit_load_plugin("libc.so.6", &err), REMIT_EPLUGIN);
	cr_assert_str_eq(err.message, "plugin libc.so.6: cannot load: ./libc.so.6: cannot open "
				      "shared object file: No such file or directory");

	const char *path = plugin_path("noentry");
	cr_assert_eq(remit_load_plugin(path, &err), REMIT_EPLUGIN);
	snprintf(want, sizeof want,
		 "plugin %s: no remit_plugin_entry function (is it a remit plugin?)", path);
	cr_assert_str_eq(err.message, want);
}

static const remit_plugin_key reserved_keys[] = {{"covers", 0}, {NULL, 0}};

Test(plugin, malformed_plugins_are_refused)
{
	static const remit_plugin noparse = {.version = 1, .name = "noparse"};
	static const remit_plugin badname = {.version = 1, .name = "bad name",
					     .parse = parse_nothing};
	static const remit_plugin noname = {.version = 1, .parse = parse_nothing};
	static const remit_plugin reserved = {.version = 1, .name = "reserved",
					      .keys = reserved_keys, .parse = parse_nothing};
	static const remit_plugin taken = {.version = 1, .name = "tariff", .parse = parse_nothing};
	remit_error err;
	cr_assert_eq(remit_register_module(&noparse, &err), REMIT_EPLUGIN);
	cr_assert_str_eq(err.message, "plugin noparse: module noparse has no parse method");
	cr_assert_eq(remit_register_module(&badname, &err), REMIT_EPLUGIN);
	cr_assert_str_eq(err.message, "plugin (unnamed): module name \"bad name\" is not 1 to 63 "
				      "letters, digits, '_' or '-'");
	cr_assert_eq(remit_register_module(&noname, &err), REMIT_EPLUGIN);
	cr_assert_str_eq(err.message, "plugin (unnamed): module name missing is not 1 to 63 "
				      "letters, digits, '_' or '-'");
	cr_assert_eq(remit_register_module(&reserved, &err), REMIT_EPLUGIN);
	cr_assert_str_eq(err.message, "plugin reserved: module reserved: key 'covers' is reserved "
				      "(module, name, valid, covers)");
	cr_assert_eq(remit_register_module(&taken, &err), REMIT_EPLUGIN);
	cr_assert_str_eq(err.message,
			 "plugin tariff: a module named \"tariff\" is already registered");
}

Test(plugin, the_same_plugin_twice_is_a_no_op_another_of_its_name_is_refused)
{
	static const remit_plugin other = {.version = 1, .name = "perdiem",
					   .parse = parse_nothing};
	remit_error err;
	load_plugin("perdiem");
	load_plugin("perdiem");
	cr_assert_eq(remit_register_module(&other, &err), REMIT_EPLUGIN);
	cr_assert_str_eq(err.message,
			 "plugin perdiem: a module named \"perdiem\" is already registered");
	/* the names in messages now include it, once */
	remit_regime *r;
	const char yaml[] = "remit: 1\nregime: x\nmodules:\n  - {module: nope, name: f}\n";
	cr_assert_eq(remit_regime_load_string(yaml, sizeof yaml - 1, "f.yaml", NULL, NULL, &r, &err),
		     REMIT_ERULES);
	cr_assert_str_eq(err.message, "modules[0].module: unknown module \"nope\"; expected one of: "
				      "tariff, bundle, year_of_care, capitation, block, perdiem");
}

/* ---- the per-diem plugin ------------------------------------------------ */

static const char perdiem_yaml[] = "remit: 1\n"
				   "regime: per diem\n"
				   "rounding: {scale: 2, mode: half-up}\n"
				   "modules:\n"
				   "  - module: perdiem\n"
				   "    name: mh\n"
				   "    covers: pod == MH\n"
				   "    rate: 123.45\n"
				   "    min_days: 1\n"
				   "    max_days: 60\n"
				   "    secure_when: flags has SECURE\n"
				   "    secure_rate: 100/3\n"
				   "    payee_column: holder\n";

static const char perdiem_csv[] =
	"id,patient,provider,commissioner,pod,code,start,end,los,flags,holder\n"
	"A1,P1,RX1,C01,MH,MH01,2024-05-01,2024-05-04,3,,\n"
	"A2,P2,RX1,C01,MH,MH01,2024-05-01,2024-05-01,0,,\n"
	"A3,P3,RX2,C02,MH,MH02,2024-06-01,2024-06-03,2,SECURE,\n"
	"A4,P4,RX1,C01,MH,MH01,2024-01-01,2024-03-31,90,,\n"
	"A5,P5,RX1,C01,EL,HN12F,2024-05-01,2024-05-02,1,,\n"
	"A6,P6,RX2,C02,MH,MH01,2024-07-01,2024-07-02,1,,TRUST9\n";

typedef struct got {
	int n, nu;
	char line[16][256];
	char comp[16][2][96]; /* base, rounding */
	char unpriced[16][256];
} got;

static void got_line(void *ud, const remit_line *l)
{
	got *g = ud;
	cr_assert(g->n < 16);
	snprintf(g->line[g->n], 256, "%s %s %s>%s %s %s [%s]", l->activity, l->kind, l->payer,
		 l->payee, l->patient, l->amount, l->basis);
	snprintf(g->comp[g->n][0], 96, "%s", l->components[REMIT_C_BASE]);
	snprintf(g->comp[g->n][1], 96, "%s", l->components[REMIT_C_ROUNDING]);
	g->n++;
}

static void got_unpriced(void *ud, const remit_row_note *n)
{
	got *g = ud;
	cr_assert(g->nu < 16);
	snprintf(g->unpriced[g->nu++], 256, "%s: %s", n->activity, n->reason);
}

static remit_regime *regime(const char *yaml)
{
	remit_regime *r = NULL;
	remit_error err;
	int rc = remit_regime_load_string(yaml, strlen(yaml), "plugin.yaml", NULL, NULL, &r, &err);
	cr_assert_eq(rc, REMIT_OK, "%s:%lu:%lu: %s", err.file, err.line, err.column, err.message);
	return r;
}

static remit_result *price(const remit_regime *r, const char *csv, got *g)
{
	remit_run_options o = {.on_line = got_line, .on_unpriced = got_unpriced, .ud = g};
	remit_result *res;
	remit_error err;
	memset(g, 0, sizeof *g);
	int rc = remit_price_buffers(r, csv, strlen(csv), NULL, 0, &o, &res, &err);
	cr_assert_eq(rc, REMIT_OK, "%s: %s", err.file, err.message);
	return res;
}

static const char *entry(const remit_result *res, remit_total_kind k, const char *name)
{
	for (size_t i = 0; i < remit_result_size(res, k); i++) {
		const char *n, *a;
		remit_result_entry(res, k, i, &n, &a);
		if (strcmp(n, name) == 0)
			return a;
	}
	return "(none)";
}

Test(plugin, perdiem_prices_rows_with_hand_computed_amounts)
{
	load_plugin("perdiem");
	remit_regime *r = regime(perdiem_yaml);
	got g;
	remit_result *res = price(r, perdiem_csv, &g);
	cr_assert_eq(g.n, 4);
	/* A1: 3 days × 123.45 = 370.35 */
	cr_assert_str_eq(g.line[0], "A1 activity C01>RX1 P1 370.35 [3 days x 123.45]");
	cr_assert_str_eq(g.comp[0][0], "370.35");
	cr_assert_str_eq(g.comp[0][1], "");
	/* A2: los 0, paid min_days 1: 123.45 */
	cr_assert_str_eq(g.line[1], "A2 activity C01>RX1 P2 123.45 [1 days x 123.45]");
	/* A3: secure, 2 days × 100/3 = 200/3 = 66.666… → 66.67 (half-up); the
	 * rounding is 66.67 − 200/3 = 1/300 */
	cr_assert_str_eq(g.line[2], "A3 activity C02>RX2 P3 66.67 [2 days x 100/3 secure]");
	cr_assert_str_eq(g.comp[2][0], "200/3");
	cr_assert_str_eq(g.comp[2][1], "1/300");
	/* A6: 1 day × 123.45, paid to the holder column's organisation */
	cr_assert_str_eq(g.line[3], "A6 activity C02>TRUST9 P6 123.45 [1 days x 123.45]");
	cr_assert_eq(g.nu, 2);
	cr_assert_str_eq(g.unpriced[0], "A4: per diem: los 90 is over max_days 60");
	cr_assert_str_eq(g.unpriced[1], "A5: no module covers");
	/* RX1 370.35 + 123.45 = 493.80; C02 66.67 + 123.45 = 190.12 */
	cr_assert_str_eq(entry(res, REMIT_BY_PAYEE, "RX1"), "493.80");
	cr_assert_str_eq(entry(res, REMIT_BY_PAYEE, "RX2"), "66.67");
	cr_assert_str_eq(entry(res, REMIT_BY_PAYEE, "TRUST9"), "123.45");
	cr_assert_str_eq(entry(res, REMIT_BY_PAYER, "C01"), "493.80");
	cr_assert_str_eq(entry(res, REMIT_BY_PAYER, "C02"), "190.12");
	cr_assert_str_eq(entry(res, REMIT_BY_MODULE, "mh"), "683.92");
	cr_assert_str_eq(remit_result_total(res), "683.92");
	remit_counts c;
	remit_result_counts(res, &c);
	cr_assert_eq(c.read, 6);
	cr_assert_eq(c.priced, 4);
	cr_assert_eq(c.unpriced, 2);
	cr_assert(remit_result_balanced(res));
	remit_result_free(res);
	remit_regime_free(r);
}

static void collect_text(void *ud, const char *text)
{
	char *buf = ud;
	size_t n = strlen(buf);
	snprintf(buf + n, 4096 - n, "%s\n", text);
}

Test(plugin, perdiem_explains_its_steps)
{
	load_plugin("perdiem");
	remit_regime *r = regime(perdiem_yaml);
	char text[4096] = "";
	remit_error err;
	int rc = remit_explain_buffers(r, perdiem_csv, strlen(perdiem_csv), NULL, 0, "A3",
				       collect_text, text, &err);
	cr_assert_eq(rc, REMIT_OK, "%s", err.message);
	cr_assert_str_eq(text, "module mh (perdiem): claims the row\n"
			       "  per diem: 2 days (los 2) at 100/3 (secure rate)\n"
			       "  100/3 = 33.333333… × 2 = 200/3 = 66.666666… → 66.67 (scale 2, "
			       "half-up)\n"
			       "line: activity C02 pays RX2 66.67 (2 days x 100/3 secure)\n");
	remit_regime_free(r);
}

/* every error of a plugin module's configuration, with its position */
typedef struct diags {
	int n;
	char text[16][1100];
} diags;

static void diag(void *ud, const remit_error *e)
{
	diags *d = ud;
	if (d->n < 16)
		snprintf(d->text[d->n++], sizeof d->text[0], "%lu:%lu: %s", e->line, e->column, e->message);
}

Test(plugin, perdiem_rule_file_errors_are_reported_where_written)
{
	load_plugin("perdiem");
	const char yaml[] = "remit: 1\n"
			    "regime: x\n"
			    "modules:\n"
			    "  - module: perdiem\n"
			    "    name: a\n"
			    "    covers: pod == MH\n"
			    "    rate: -5\n"
			    "    secure_when: flags has SECURE\n"
			    "  - module: perdiem\n"
			    "    name: b\n"
			    "    covers: pod ==\n"
			    "    rate: abc\n"
			    "    max_days: 0\n"
			    "  - module: perdiem\n"
			    "    name: c\n"
			    "    colour: red\n";
	diags d = {0};
	remit_regime *r;
	remit_error err;
	cr_assert_eq(remit_regime_load_string(yaml, sizeof yaml - 1, "e.yaml", diag, &d, &r, &err),
		     REMIT_ERULES);
	cr_assert_null(r);
	cr_assert_eq(d.n, 8, "%d errors, the first %s", d.n, d.text[0]);
	cr_assert_str_eq(d.text[0], "7:11: perdiem.rate: expected an amount more than 0");
	cr_assert_str_eq(d.text[1], "8:18: perdiem.secure_when: needs secure_rate");
	cr_assert_str_eq(d.text[2], "11:19: perdiem.covers: expected a value after '=='");
	cr_assert_str_eq(d.text[3], "12:11: perdiem.rate: expected a percentage (12.5%), a decimal "
				    "factor (0.125) or a fraction (1/8), got \"abc\"");
	cr_assert_str_eq(d.text[4], "13:15: perdiem.max_days: expected a whole number from 1 to "
				    "36500, got 0");
	cr_assert_str_eq(d.text[5], "16:5: perdiem: unknown key \"colour\"; expected one of: "
				    "module, name, valid, rate, min_days, max_days, secure_when, "
				    "secure_rate, payee_column, covers");
	cr_assert_str_eq(d.text[6], "14:5: perdiem: missing required key 'rate'");
	cr_assert_str_eq(d.text[7], "14:5: perdiem: missing required key 'covers'");
}

/* ---- what a plugin sees: the host functions ----------------------------- */

static char seen[4096];

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(seen);
	va_start(ap, fmt);
	vsnprintf(seen + n, sizeof seen - n, fmt, ap);
	va_end(ap);
}

typedef struct probe {
	int start, end, los, code, quantity, cost, extra, missing, practice;
} probe;

static probe the_probe;

static int probe_parse(const remit_plugin_host *h, remit_plugin_config *c, void **out)
{
	probe *p = &the_probe;
	const char *s;
	int64_t from, to, days;
	note("host %d;", h->version);
	note(" string %d;", h->config_string(c, "absent", &s));
	int rc = h->config_string(c, "label", &s); /* (argument order is unspecified) */
	note(" string %d %s;", rc, s);
	rc = h->config_number(c, "share", &s);
	note(" number %d %s;", rc, s);
	rc = h->config_date(c, "day", &days);
	note(" date %d %" PRId64 ";", rc, days);
	rc = h->config_period(c, &from, &to);
	note(" period %d %" PRId64 " %" PRId64 ";", rc, from, to);
	note(" field %d;", h->config_field(c, REMIT_PLUGIN_ACTIVITY, "", &p->start));
	note(" field %d;", h->config_field(c, 7, "id", &p->start));
	h->config_field(c, REMIT_PLUGIN_ACTIVITY, "start", &p->start);
	h->config_field(c, REMIT_PLUGIN_ACTIVITY, "end", &p->end);
	h->config_field(c, REMIT_PLUGIN_ACTIVITY, "los", &p->los);
	h->config_field(c, REMIT_PLUGIN_ACTIVITY, "code", &p->code);
	h->config_field(c, REMIT_PLUGIN_ACTIVITY, "quantity", &p->quantity);
	h->config_field(c, REMIT_PLUGIN_ACTIVITY, "cost", &p->cost);
	h->config_field(c, REMIT_PLUGIN_ACTIVITY, "ward", &p->extra);
	h->config_field(c, REMIT_PLUGIN_ACTIVITY, "no_such_column", &p->missing);
	h->config_field(c, REMIT_PLUGIN_POPULATION, "practice", &p->practice);
	*out = p;
	return REMIT_OK;
}

static int probe_price(const remit_plugin_host *h, const void *instance, remit_plugin_row *row)
{
	const probe *p = instance;
	const char *t;
	size_t n;
	int64_t i;
	char buf[96], tiny[3];
	int rc;
	rc = h->row_text(row, p->end, &t, &n);
	note(" end %d %.*s;", rc, (int)n, t);
	rc = h->row_text(row, p->los, &t, &n);
	note(" los %d %.*s;", rc, (int)n, t);
	rc = h->row_text(row, p->extra, &t, &n);
	note(" ward %d %.*s;", rc, (int)n, t);
	rc = h->row_text(row, p->missing, &t, &n);
	note(" missing %d %zu;", rc, n);
	note(" practice %d;", h->row_text(row, p->practice, &t, &n));
	rc = h->row_int(row, p->start, &i);
	note(" start %d %" PRId64 ";", rc, i);
	note(" code-int %d;", h->row_int(row, p->code, &i));
	rc = h->row_number(row, p->quantity, buf, sizeof buf);
	note(" quantity %d %s;", rc, buf);
	rc = h->row_number(row, p->cost, buf, sizeof buf);
	note(" cost %d %s;", rc, buf);
	note(" cost-tiny %d;", h->row_number(row, p->cost, tiny, sizeof tiny));
	note(" los-number %d;", h->row_number(row, p->los, buf, sizeof buf));
	note(" bad-field %d;", h->row_text(row, -1, &t, &n));
	note(" matches-null %d;", h->row_matches(row, NULL));
	remit_plugin_line line = {.amount = "10", .times = "25%", .component = REMIT_C_BASE};
	note(" emit %d;", h->emit(row, &line));
	return REMIT_PLUGIN_PRICED;
}

static const remit_plugin_key probe_keys[] = {
	{"label", 0}, {"share", 0}, {"day", 0}, {"absent", 0}, {NULL, 0}};

Test(plugin, the_host_functions_as_a_plugin_sees_them)
{
	static const remit_plugin probe_plugin = {.version = 1,
						  .name = "probe",
						  .keys = probe_keys,
						  .parse = probe_parse,
						  .price = probe_price};
	cr_assert_eq(remit_register_module(&probe_plugin, NULL), REMIT_OK);
	remit_regime *r = regime("remit: 1\nregime: p\nperiod: {start: 2024-04-01, end: "
				 "2025-03-31}\nmodules:\n  - module: probe\n    name: p\n"
				 "    covers: pod == X\n    label: hello\n    share: 12.5%\n"
				 "    day: 1970-01-11\n");
	cr_assert_str_eq(seen, "host 1; string -6; string 0 hello; number 0 0.125; date 0 10; "
			       "period 0 19814 20178; field -1; field -1;");
	seen[0] = '\0';
	got g;
	remit_result *res = price(r, "id,patient,provider,commissioner,pod,code,start,cost,ward\n"
				     "Z1,P1,R1,C1,X,ABC,2024-04-02,12.50,W7\n",
				  &g);
	/* end and los are filled in by remit (end = start, los = 0), quantity
	 * defaults to 1; 2024-04-02 is day 19815 (2024-04-01, the period's
	 * start, being 19814 above); 10 × 25% = 2.50 */
	cr_assert_str_eq(seen, " end 0 2024-04-02; los 0 0; ward 0 W7; missing -6 0; "
			       "practice -1; start 0 19815; code-int -1; quantity 0 1; cost 0 12.5; "
			       "cost-tiny -1; los-number 0; bad-field -1; matches-null 0; emit 0;");
	cr_assert_eq(g.n, 1);
	cr_assert_str_eq(g.line[0], "Z1 activity C1>R1 P1 2.50 []");
	remit_result_free(res);
	remit_regime_free(r);
}

/* ---- lines a plugin gets wrong, and outcomes ---------------------------- */

typedef struct flat {
	const char *amount, *outcome, *kind;
	int64_t component;
} flat;

static const remit_plugin_key flat_keys[] = {
	{"amount", 1}, {"outcome", 0}, {"kind", 0}, {"component", 0}, {NULL, 0}};

static int flat_parse(const remit_plugin_host *h, remit_plugin_config *c, void **out)
{
	flat *f = calloc(1, sizeof *f);
	cr_assert_not_null(f);
	h->config_string(c, "amount", &f->amount); /* raw text: the line checks it */
	if (h->config_string(c, "outcome", &f->outcome) != REMIT_OK)
		f->outcome = "priced";
	if (h->config_string(c, "kind", &f->kind) != REMIT_OK)
		f->kind = NULL;
	if (h->config_int(c, "component", -5, 99, &f->component) != REMIT_OK)
		f->component = REMIT_C_BASE;
	*out = f;
	return REMIT_OK;
}

static int flat_price(const remit_plugin_host *h, const void *instance, remit_plugin_row *row)
{
	const flat *f = instance;
	if (strcmp(f->outcome, "covered") == 0)
		return REMIT_PLUGIN_COVERED;
	if (strcmp(f->outcome, "silent") == 0)
		return REMIT_PLUGIN_UNPRICED;
	if (strcmp(f->outcome, "odd") == 0)
		return 7;
	remit_plugin_line line = {
		.kind = f->kind, .amount = f->amount, .component = (int)f->component};
	h->emit(row, &line);
	return REMIT_PLUGIN_PRICED;
}

static void flat_free(void *instance)
{
	free(instance);
}

static const remit_plugin flat_plugin = {.version = 1,
					 .name = "flat",
					 .keys = flat_keys,
					 .parse = flat_parse,
					 .price = flat_price,
					 .free = flat_free};

static const char flat_csv[] = "id,patient,provider,commissioner,pod,code,start\n"
			       "F1,P1,R1,C1,A,X,2024-05-01\n"
			       "F2,P2,R1,C1,B,X,2024-05-01\n"
			       "F3,P3,R1,C1,C,X,2024-05-01\n"
			       "F4,P4,R1,C1,D,X,2024-05-01\n"
			       "F5,P5,R1,C1,E,X,2024-05-01\n"
			       "F6,P6,R1,C1,F,X,2024-05-01\n"
			       "F7,P7,R1,C1,G,X,2024-05-01\n";

Test(plugin, refused_lines_and_outcomes)
{
	cr_assert_eq(remit_register_module(&flat_plugin, NULL), REMIT_OK);
	remit_regime *r = regime("remit: 1\nregime: f\nmodules:\n"
				 "  - {module: flat, name: a, covers: pod == A, amount: 1/8, "
				 "kind: fee}\n"
				 "  - {module: flat, name: b, covers: pod == B, amount: '12,5'}\n"
				 "  - {module: flat, name: c, covers: pod == C, amount: 1, "
				 "outcome: covered}\n"
				 "  - {module: flat, name: d, covers: pod == D, amount: 1, "
				 "component: 17}\n"
				 "  - {module: flat, name: e, covers: pod == E, amount: 1, "
				 "kind: Big}\n"
				 "  - {module: flat, name: f, covers: pod == F, amount: 1, "
				 "outcome: silent}\n"
				 "  - {module: flat, name: g, covers: pod == G, amount: 1/0, "
				 "outcome: priced}\n");
	got g;
	remit_result *res = price(r, flat_csv, &g);
	/* 1/8 = 0.125 → 0.13 (half-up) */
	cr_assert_eq(g.n, 1);
	cr_assert_str_eq(g.line[0], "F1 fee C1>R1 P1 0.13 []");
	cr_assert_eq(g.nu, 5);
	cr_assert_str_eq(g.unpriced[0], "F2: module b: line refused: amount: expected a decimal or "
					"a fraction, got \"12,5\"");
	cr_assert_str_eq(g.unpriced[1], "F4: module d: line refused: component: expected a "
					"remit_component other than rounding, got 17");
	cr_assert_str_eq(g.unpriced[2], "F5: module e: line refused: kind: expected 1 to 63 of a-z "
					"and '_', got \"Big\"");
	cr_assert_str_eq(g.unpriced[3], "F6: module f: no reason given");
	cr_assert_str_eq(g.unpriced[4], "F7: module g: line refused: amount: division by zero in "
					"\"1/0\"");
	remit_counts c;
	remit_result_counts(res, &c);
	cr_assert_eq(c.priced, 1);
	cr_assert_eq(c.covered, 1);
	cr_assert_eq(c.unpriced, 5);
	cr_assert_str_eq(remit_result_total(res), "0.13");
	remit_result_free(res);
	remit_regime_free(r);
}

Test(plugin, an_outcome_that_is_not_one_is_unpriced)
{
	cr_assert_eq(remit_register_module(&flat_plugin, NULL), REMIT_OK);
	remit_regime *r = regime("remit: 1\nregime: f\nmodules:\n"
				 "  - {module: flat, name: a, covers: pod == A, amount: 1, "
				 "outcome: odd}\n");
	got g;
	remit_result *res = price(r, flat_csv, &g);
	cr_assert_str_eq(g.unpriced[0], "F1: module a: price returned 7, not an outcome");
	remit_result_free(res);
	remit_regime_free(r);
}

/* ---- the personal-health-budget example --------------------------------- */

#define PHB "../examples/plugin-phb/"

Test(plugin, phb_example_pays_budgets_pro_rata)
{
	load_plugin("phb");
	remit_regime *r;
	remit_error err;
	cr_assert_eq(remit_regime_load(PHB "phb.yaml", NULL, NULL, &r, &err), REMIT_OK, "%s",
		     err.message);
	got g = {0};
	remit_run_options o = {.on_line = got_line, .on_unpriced = got_unpriced, .ud = &g};
	remit_result *res;
	cr_assert_eq(remit_price_file(r, PHB "activity.csv", PHB "population.csv", &o, &res, &err),
		     REMIT_OK, "%s", err.message);
	/* 12000 a year over the 365 days of 2024/25 */
	cr_assert_eq(g.n, 3);
	/* P1 registered all year: 365/365 */
	cr_assert_str_eq(g.line[0], " budget C01>AGENCY1 P1 12000.00 [budget 12000 x 365/365 days "
				    "registered]");
	/* P2 from 2024-10-01: 182 days; 12000 × 182/365 = 5983.5616… */
	cr_assert_str_eq(g.line[1], " budget C01>AGENCY2 P2 5983.56 [budget 12000 x 182/365 days "
				    "registered]");
	/* P3 to 2024-06-30: 91 days, no holder: paid to the practice;
	 * 12000 × 91/365 = 2991.7808… */
	cr_assert_str_eq(g.line[2], " budget C02>Y002 P3 2991.78 [budget 12000 x 91/365 days "
				    "registered]");
	cr_assert_str_eq(remit_result_total(res), "20975.34");
	cr_assert_str_eq(entry(res, REMIT_BY_KIND, "budget"), "20975.34");
	remit_counts c;
	remit_result_counts(res, &c);
	cr_assert_eq(c.covered, 2); /* H1, H2 */
	cr_assert_eq(c.unpriced, 1); /* E1 */
	cr_assert_eq(c.population_read, 4);
	remit_result_free(res);

	/* without the population it cannot run */
	cr_assert_eq(remit_price_buffers(r, "id\n", 3, NULL, 0, NULL, &res, &err), REMIT_EUSAGE);
	cr_assert_str_eq(err.message, "remit_price_buffers: regime \"PHB 2024/25\" has population "
				      "budgets: give a population");
	remit_regime_free(r);
}

/* A plugin pays people as it meets them, so it meets only accepted
 * periods: P1's second period (line 3, from 2024-10-01) overlaps line 2
 * and is rejected, and P1 is paid once. */
Test(plugin, phb_meets_only_accepted_periods)
{
	load_plugin("phb");
	remit_regime *r;
	remit_error err;
	cr_assert_eq(remit_regime_load(PHB "phb.yaml", NULL, NULL, &r, &err), REMIT_OK, "%s",
		     err.message);
	static const char act[] = "id,patient,provider,commissioner,pod,code,start,end\n"
				  "H1,P1,AGENCY1,C01,PHB,CARE,2024-05-01,2024-05-01\n";
	static const char pop[] =
		"patient,practice,commissioner,from,to,age,sex,conditions,tier,need,phb_holder\n"
		"P1,Y001,C01,2023-01-01,,70,F,CHC,,,AGENCY1\n"
		"P1,Y001,C01,2024-10-01,,70,F,CHC,,,AGENCY1\n";
	got g = {0};
	remit_run_options o = {.on_line = got_line, .on_unpriced = got_unpriced, .ud = &g};
	remit_result *res;
	cr_assert_eq(remit_price_buffers(r, act, strlen(act), pop, strlen(pop), &o, &res, &err),
		     REMIT_OK, "%s", err.message);
	cr_assert_eq(g.n, 1);
	cr_assert_str_eq(g.line[0], " budget C01>AGENCY1 P1 12000.00 [budget 12000 x 365/365 days "
				    "registered]");
	cr_assert_str_eq(remit_result_total(res), "12000.00");
	remit_counts c;
	remit_result_counts(res, &c);
	cr_assert_eq(c.population_read, 2);
	cr_assert_eq(c.population_rejected, 1);
	remit_result_free(res);
	remit_regime_free(r);
}

/* ---- plugins on several threads ----------------------------------------- */

typedef struct job {
	const remit_regime *r;
	char total[32];
	int rc;
} job;

static void *price_perdiem(void *arg)
{
	job *j = arg;
	for (int i = 0; i < 20; i++) {
		remit_result *res;
		j->rc = remit_price_buffers(j->r, perdiem_csv, strlen(perdiem_csv), NULL, 0, NULL,
					    &res, NULL);
		if (j->rc)
			return NULL;
		snprintf(j->total, sizeof j->total, "%s", remit_result_total(res));
		remit_result_free(res);
	}
	return NULL;
}

Test(plugin, a_plugin_regime_priced_from_four_threads)
{
	load_plugin("perdiem");
	remit_regime *r = regime(perdiem_yaml);
	pthread_t th[4];
	job jobs[4];
	for (int i = 0; i < 4; i++) {
		jobs[i] = (job){r, "", -100};
		cr_assert_eq(pthread_create(&th[i], NULL, price_perdiem, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(jobs[i].rc, REMIT_OK);
		cr_assert_str_eq(jobs[i].total, "683.92");
	}
	remit_regime_free(r);
}

/* ---- the CLI ------------------------------------------------------------ */

Test(plugin, cli_loads_plugins_before_the_command)
{
	char *yaml = remit_test_tmpfile(".yaml", perdiem_yaml);
	char *csv = remit_test_tmpfile(".csv", perdiem_csv);
	char args[4096], *out, *err;
	snprintf(args, sizeof args, "--plugin %s price %s --activity %s --json -",
		 plugin_path("perdiem"), yaml, csv);
	cr_assert_eq(remit_test_run(args, &out, &err), 0, "%s", err);
	cr_assert_not_null(strstr(out, "\"total\": \"683.92\""), "%s", out);
	free(out);
	free(err);
	/* --plugin=PATH, repeated */
	snprintf(args, sizeof args, "--plugin=%s --plugin %s check %s", plugin_path("perdiem"),
		 plugin_path("phb"), yaml);
	cr_assert_eq(remit_test_run(args, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	/* without it the module is unknown: a rule-file error */
	snprintf(args, sizeof args, "check %s", yaml);
	cr_assert_eq(remit_test_run(args, &out, &err), 3);
	free(out);
	free(err);
	unlink(yaml);
	unlink(csv);
	free(yaml);
	free(csv);
}

Test(plugin, cli_refuses_a_bad_plugin_with_exit_2)
{
	char args[2048], want[2048], *out, *err;
	snprintf(args, sizeof args, "--plugin %s check x.yaml", plugin_path("badversion"));
	cr_assert_eq(remit_test_run(args, &out, &err), 2);
	snprintf(want, sizeof want, "remit: plugin %s: interface version 2, this remit supports 1\n",
		 plugin_path("badversion"));
	cr_assert_str_eq(err, want);
	free(out);
	free(err);
	cr_assert_eq(remit_test_run("--plugin", &out, &err), 2);
	cr_assert_str_eq(err, "remit: option '--plugin' needs a value\nTry 'remit --help'.\n");
	free(out);
	free(err);
}
