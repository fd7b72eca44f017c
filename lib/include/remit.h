/*
 * remit.h — the public interface of libremit, a payment-model calculation
 * engine: it prices activity (spells, attendances, contacts) and a
 * registered population under a regime of payment rules, exactly.
 *
 * This is the only public header.  Everything here is prefixed remit_ or
 * REMIT_.  Conventions:
 *   - Functions return 0 (REMIT_OK) or a negative remit_status; details of
 *     a failure go into a caller-owned remit_error.
 *   - The library never prints and never exits.
 *   - Ownership is stated on each function.  Strings returned by accessors
 *     belong to the object they came from and live as long as it does.
 *   - A loaded remit_regime is immutable: it may be shared read-only by any
 *     number of runs on any number of threads (also with plugin modules,
 *     whose instances are read-only while pricing).  A remit_result or a
 *     remit_run belongs to one thread at a time.  Plugins may be loaded on
 *     any thread; regimes loaded afterwards see them.
 *   - Money is returned as decimal strings with exactly the regime's scale
 *     ("-12.30"); nothing is ever converted through binary floating point.
 *   - Functions that return a status check their pointer arguments and
 *     return REMIT_EUSAGE for a NULL that is not allowed; accessors that
 *     return a value (remit_regime_name, remit_result_total, ...) require
 *     a valid object.  `err` may always be NULL.
 *
 * Linking: pkg-config --cflags --libs remit (shared libremit.so.0.2), or
 * --static for libremit.a; CMake: find_package(remit), target remit::remit.
 * Only remit_* symbols are exported.  See remit(3).
 */
#ifndef REMIT_H
#define REMIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define REMIT_VERSION_MAJOR 0
#define REMIT_VERSION_MINOR 2
#define REMIT_VERSION_PATCH 0
#define REMIT_VERSION_STRING "0.2.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH: 200 for 0.2.0. */
#define REMIT_VERSION_NUMBER                                                                     \
	(REMIT_VERSION_MAJOR * 10000 + REMIT_VERSION_MINOR * 100 + REMIT_VERSION_PATCH)

/* REMIT_API marks what the library exports.  The library is compiled with
 * -fvisibility=hidden and REMIT_BUILDING defined, so everything else
 * (every remit__ internal) stays inside it.  For users it expands to
 * nothing. */
#if defined(REMIT_BUILDING) && defined(__GNUC__)
#define REMIT_API __attribute__((visibility("default")))
#else
#define REMIT_API
#endif

/* The library's version at run time (may differ from the header's).
 * A static string. */
REMIT_API const char *remit_version(void);
/* The same as a number, REMIT_VERSION_NUMBER of the library that runs:
 * compare it with the header's to detect a mismatched shared library. */
REMIT_API int remit_version_number(void);

/* ---- status codes --------------------------------------------------------
 * One list generates the enum, the names and the messages (remit_strerror),
 * so they cannot drift.  The CLI maps them to exit codes (see README).   */
#define REMIT_STATUS_MAP(X)                                                        \
	X(OK, 0, "success")                                                        \
	X(EUSAGE, -1, "invalid argument")                                           \
	X(ERULES, -2, "rule file error")                                            \
	X(EDATA, -3, "data file unreadable or structurally broken")                 \
	X(ENOMEM, -4, "out of memory")                                              \
	X(EINTERNAL, -5, "internal error")                                          \
	X(ENOTFOUND, -6, "not found")                                               \
	X(ECANCELED, -7, "canceled")                                                \
	X(EPLUGIN, -8, "plugin refused")

typedef enum remit_status {
#define REMIT__STATUS_ENUM(name, value, msg) REMIT_##name = value,
	REMIT_STATUS_MAP(REMIT__STATUS_ENUM)
#undef REMIT__STATUS_ENUM
} remit_status;

/* "EDATA" etc., and the message of the list above (static strings;
 * "EUNKNOWN" and "unknown status" for a value not in the list). */
REMIT_API const char *remit_status_name(int status);
REMIT_API const char *remit_strerror(int status);

/* Details of one error.  file/line/column are 0/empty when not known;
 * line and column are 1-based. */
typedef struct remit_error {
	int status;
	char file[512];
	unsigned long line;
	unsigned long column;
	char message[1024];
} remit_error;

/* Called once per error found while loading or checking rules, so that
 * `remit check` can report every error rather than only the first. */
typedef void (*remit_diag_fn)(void *ud, const remit_error *e);

/* ---- regimes ------------------------------------------------------------- */
typedef struct remit_regime remit_regime;

/* Load a regime from a YAML rule file (and the files it includes and the
 * CSV tables it names, relative to it).  On success *out is a new regime
 * the caller frees with remit_regime_free.  On failure returns
 * REMIT_ERULES (or another status), calls diag (if not NULL) for every
 * error it found, copies the first into *err (if not NULL), and sets *out
 * to NULL.  A NULL path or out is REMIT_EUSAGE, with *out and *err left
 * as they were. */
REMIT_API int remit_regime_load(const char *path, remit_diag_fn diag, void *ud,
				remit_regime **out, remit_error *err);

/* Same, from YAML text in memory (not NUL-terminated: len bytes; the text
 * is not kept); `name` is used in messages and as the base directory for
 * relative paths is the current directory. */
REMIT_API int remit_regime_load_string(const char *yaml, size_t len, const char *name,
				       remit_diag_fn diag, void *ud, remit_regime **out,
				       remit_error *err);

/* Free a regime and everything it owns (NULL is ignored).  No run that
 * uses it may still be going on, on any thread. */
REMIT_API void remit_regime_free(remit_regime *r);

/* The regime's name, currency and rounding scale (strings owned by the
 * regime). */
REMIT_API const char *remit_regime_name(const remit_regime *r);
REMIT_API const char *remit_regime_currency(const remit_regime *r);
REMIT_API int remit_regime_scale(const remit_regime *r);

/* Check that every field the regime's predicates name exists, given the
 * header of an activity file (NULL: only the spec's own columns exist).
 * Reports each missing field through diag with its rule-file position and
 * returns REMIT_ERULES if any.  The file's header is read, then the file
 * closed.  REMIT_EUSAGE for r NULL (err untouched). */
REMIT_API int remit_regime_check_fields(const remit_regime *r, const char *activity_path,
					remit_diag_fn diag, void *ud, remit_error *err);

/* ---- payment lines ------------------------------------------------------- */

/* Pricing components a line's amount is made of (they sum exactly to the
 * amount; `rounding` is the difference made by the final rounding). */
#define REMIT_COMPONENT_MAP(X)                                                      \
	X(BASE, "base")                                                             \
	X(LONG_STAY, "long_stay")                                                   \
	X(SHORT_STAY, "short_stay")                                                 \
	X(TOPUPS, "topups")                                                         \
	X(UPLIFTS, "uplifts")                                                       \
	X(ADDONS, "addons")                                                         \
	X(MARKET_FORCES, "market_forces")                                           \
	X(QUANTITY, "quantity")                                                     \
	X(READMISSION, "readmission")                                               \
	X(MARGINAL, "marginal")                                                     \
	X(QUALITY, "quality")                                                       \
	X(EPISODE, "episode")                                                       \
	X(RECONCILIATION, "reconciliation")                                         \
	X(BUDGET, "budget")                                                         \
	X(SUBCONTRACT, "subcontract")                                               \
	X(RISK_SHARE, "risk_share")                                                 \
	X(BLOCK, "block")                                                           \
	X(ROUNDING, "rounding")

typedef enum remit_component {
#define REMIT__COMPONENT_ENUM(name, text) REMIT_C_##name,
	REMIT_COMPONENT_MAP(REMIT__COMPONENT_ENUM)
#undef REMIT__COMPONENT_ENUM
	REMIT_C_COUNT
} remit_component;

/* "base", ... (static strings; "unknown" out of range). */
REMIT_API const char *remit_component_name(remit_component c);

/* One payment.  All strings are owned by the library and valid only during
 * the callback that receives the line. */
typedef struct remit_line {
	const char *regime;
	const char *module;
	const char *kind;     /* DATA.md `component`: activity, episode, budget, ... */
	const char *payer;
	const char *payee;
	const char *patient;  /* "" for organisation-level lines */
	const char *activity; /* "" when not about one activity row */
	const char *amount;   /* exact decimal at the regime's scale */
	const char *basis;    /* short derivation */
	/* The amount split by component, exact decimals ("" when zero). */
	const char *components[REMIT_C_COUNT];
} remit_line;

typedef void (*remit_line_fn)(void *ud, const remit_line *line);

/* A row that failed validation (DATA.md rejects) or that nothing priced. */
typedef struct remit_row_note {
	const char *file;
	unsigned long line;
	unsigned long column; /* 0 when the reason is about the whole row */
	const char *activity; /* the row's id, "" when unknown */
	const char *reason;
	const char *raw; /* the row's raw text */
} remit_row_note;

typedef void (*remit_note_fn)(void *ud, const remit_row_note *note);

/* Progress: bytes of the activity file consumed so far and its size
 * (0 if unknown), rows read so far. */
typedef void (*remit_progress_fn)(void *ud, uint64_t bytes_done, uint64_t bytes_total,
				  uint64_t rows);

/* Bytes of text: len bytes at p, not NUL-terminated, valid only during the
 * call. */
typedef void (*remit_bytes_fn)(void *ud, const char *p, size_t len);

/* The header of DATA.md's lines file, which on_lines_csv's records follow. */
#define REMIT_LINES_CSV_HEADER "regime,module,component,payer,payee,patient,activity,amount,basis\n"

typedef struct remit_run_options {
	int threads;            /* 0: all cores.  Never changes any result. */
	remit_line_fn on_line;  /* every payment line, in a fixed order */
	remit_note_fn on_reject;
	remit_note_fn on_unpriced;
	remit_progress_fn on_progress;
	void *ud; /* passed to every callback */
	/* Since 0.2.0.  Every payment line as a record of DATA.md's lines file
	 * (RFC 4180, quoted where needed, LF-terminated; no header: see
	 * REMIT_LINES_CSV_HEADER), in the order on_line gives them, many
	 * whole records a call.  The records are formatted on the pricing
	 * threads, so a program that writes a lines file does least work on
	 * the calling thread this way.  The bytes are the same for any thread
	 * count; where calls divide them is not.  It may be set with on_line
	 * or alone; like every callback it runs on the calling thread, in
	 * order with the notes. */
	remit_bytes_fn on_lines_csv;
} remit_run_options;

/* ---- pricing ------------------------------------------------------------- */
typedef struct remit_result remit_result;

/* Price an activity file (CSV or gzip-compressed CSV) and optionally a
 * population file under a regime.  On success *out is a new result the
 * caller frees with remit_result_free.  Rejected and unpriced rows are not
 * failures: they are counted, reported through the callbacks, and the run
 * succeeds.  Structural data problems (unreadable file, no header, missing
 * required column) return REMIT_EDATA; a predicate naming a column the
 * file lacks returns REMIT_ERULES. */
REMIT_API int remit_price_file(const remit_regime *r, const char *activity_path,
			       const char *population_path, const remit_run_options *opt,
			       remit_result **out, remit_error *err);

/* Free a result and its strings (NULL is ignored). */
REMIT_API void remit_result_free(remit_result *res);

typedef struct remit_counts {
	uint64_t read;     /* data rows read */
	uint64_t priced;   /* rows paid for by a module's activity line */
	uint64_t covered;  /* rows covered by a budget, block or episode */
	uint64_t unpriced; /* rows no module would price */
	uint64_t rejected; /* rows that failed validation */
	/* Not part of the identity above: */
	uint64_t overlaps;            /* owned rows that a later module's scope also matches */
	uint64_t population_read;     /* rows of the population file */
	uint64_t population_rejected; /* of which failed validation or overlapped */
} remit_counts;

/* Copy the row counts into the caller's *out. */
REMIT_API void remit_result_counts(const remit_result *res, remit_counts *out);
/* The sum of all lines; also the sum by payer and the sum by payee.  The
 * string belongs to the result. */
REMIT_API const char *remit_result_total(const remit_result *res);

typedef enum remit_total_kind {
	REMIT_BY_PAYEE,
	REMIT_BY_PAYER,
	REMIT_BY_MODULE,
	REMIT_BY_KIND,      /* line kind: activity, marginal, quality, ... */
	REMIT_BY_COMPONENT, /* remit_component names (not kept in this version:
			       remit_result_size gives 0) */
} remit_total_kind;

/* Number of entries of one breakdown, and entry i (sorted by name); the
 * strings belong to the result.  REMIT_EUSAGE for a kind or i out of
 * range. */
REMIT_API size_t remit_result_size(const remit_result *res, remit_total_kind kind);
REMIT_API int remit_result_entry(const remit_result *res, remit_total_kind kind, size_t i,
				 const char **name, const char **amount);
/* Lines written, and whether money by payer equals money by payee equals
 * the total (always true unless there is a bug). */
REMIT_API uint64_t remit_result_lines(const remit_result *res);
REMIT_API int remit_result_balanced(const remit_result *res);

/* ---- explaining one row -------------------------------------------------- */

/* Called with each line of an explanation, without a trailing newline. */
typedef void (*remit_text_fn)(void *ud, const char *text);

/* Explain how the activity row with id `activity_id` is claimed and priced:
 * every step, every rounding, with exact values.  REMIT_ENOTFOUND if no
 * row has that id. */
REMIT_API int remit_explain(const remit_regime *r, const char *activity_path,
			    const char *population_path, const char *activity_id,
			    remit_text_fn out, void *ud, remit_error *err);

/* ---- pricing from memory ------------------------------------------------
 * The same runs as remit_price_file and remit_explain, over CSV text the
 * caller holds in memory (DATA.md's columns, a header line first; not
 * NUL-terminated; plain or gzip-compressed, told by the first two bytes,
 * as for files).  The buffers are read during
 * the call and not kept.  Messages name them "<activity>" and
 * "<population>".  population may be NULL (then population_len must be 0)
 * when the regime has no population budgets. */

/* Price activity (and a population) held in memory.  On success *out is a
 * new result the caller frees with remit_result_free; on failure *out is
 * NULL.  Statuses as remit_price_file; REMIT_EUSAGE also when the regime
 * has population budgets and population is NULL. */
REMIT_API int remit_price_buffers(const remit_regime *r, const char *activity,
				  size_t activity_len, const char *population,
				  size_t population_len, const remit_run_options *opt,
				  remit_result **out, remit_error *err);

/* Explain one activity row of a buffer, as remit_explain. */
REMIT_API int remit_explain_buffers(const remit_regime *r, const char *activity,
				    size_t activity_len, const char *population,
				    size_t population_len, const char *activity_id,
				    remit_text_fn out, void *ud, remit_error *err);

/* ---- feeding rows: a run handle ------------------------------------------
 * For a program that produces rows one at a time (from its own database,
 * a message queue, a screen) rather than a CSV file:
 *
 *   remit_run *run;
 *   remit_run_new(regime, &opt, &run, &err);
 *   remit_run_activity_row(run, header_fields, 14, &err);   header first
 *   remit_run_activity_row(run, row_fields, 14, &err);      then rows
 *   ...
 *   remit_run_finish(run, &result, &err);    lines go to opt.on_line here
 *   remit_run_explain(run, "T4", print, NULL, &err);    any row, any time
 *   remit_run_free(run);
 *
 * Rows (or CSV chunks, split anywhere) are collected in the run (a copy),
 * and priced when remit_run_finish is called: per-patient rules
 * (readmissions) and population budgets need the whole input before the
 * first line can be final, so lines are not delivered as rows arrive.
 * Memory is the size of the CSV text fed.  A run belongs to one thread at
 * a time; the regime it uses may be shared by runs on other threads. */
typedef struct remit_run remit_run;

/* A new, empty run of regime r.  *opt is copied (NULL: no callbacks); the
 * callbacks and opt->ud are used during remit_run_finish.  The regime must
 * outlive the run.  The caller frees the run with remit_run_free. */
REMIT_API int remit_run_new(const remit_regime *r, const remit_run_options *opt,
			    remit_run **out, remit_error *err);

/* Append CSV text (header first) to the activity or population input.
 * The bytes are copied; chunks may split a record anywhere. */
REMIT_API int remit_run_activity_csv(remit_run *run, const char *csv, size_t len,
				     remit_error *err);
REMIT_API int remit_run_population_csv(remit_run *run, const char *csv, size_t len,
				       remit_error *err);

/* Append one record of n fields (NUL-terminated strings, copied; NULL is
 * an empty field), quoted as RFC 4180 needs.  The first record of an input
 * is its header: the column names. */
REMIT_API int remit_run_activity_row(remit_run *run, const char *const *fields, size_t n,
				     remit_error *err);
REMIT_API int remit_run_population_row(remit_run *run, const char *const *fields, size_t n,
				       remit_error *err);

/* Price what was fed.  On success *out is a new result the caller frees
 * with remit_result_free.  Once only: afterwards the run accepts no more
 * rows (REMIT_EUSAGE) but can still explain. */
REMIT_API int remit_run_finish(remit_run *run, remit_result **out, remit_error *err);

/* Explain one activity row of what was fed so far, as remit_explain. */
REMIT_API int remit_run_explain(remit_run *run, const char *activity_id, remit_text_fn out,
				void *ud, remit_error *err);

/* Free a run and the rows it holds (NULL is ignored). */
REMIT_API void remit_run_free(remit_run *run);

/* ---- plugin modules -------------------------------------------------------
 * A payment module written outside remit: a shared object exporting
 *
 *   const remit_plugin *remit_plugin_entry(void);
 *
 * loaded with `remit --plugin path.so` or remit_load_plugin(), or a
 * remit_plugin of the embedding program registered with
 * remit_register_module().  Rule files then name it like a built-in:
 * `module: perdiem`.
 *
 * Versioning follows SQLite's sqlite3_io_methods: remit_plugin begins with
 * `int version` and its members are fixed for each version; a later
 * version only appends members.  remit accepts plugins of versions 1 to
 * REMIT_PLUGIN_VERSION and refuses others ("plugin X: interface version 2,
 * this remit supports 1").  Structures a plugin passes to remit (lines,
 * keys) are read as the plugin's version defines them.
 *
 * A plugin links against nothing: everything it may ask of remit is in the
 * remit_plugin_host table passed to each method (as SQLite hands loadable
 * extensions sqlite3_api_routines), so the same .so works in the remit
 * CLI, in a program linked with libremit.so, and in one linked with
 * libremit.a.  It sees no internal type: rows, configuration and
 * predicates are opaque handles; numbers cross as exact text ("123.45",
 * "1/3"), never as binary floating point; remit rounds.
 *
 * Lifetime: parse() runs while a regime loads and returns an instance the
 * plugin owns; free() releases it when the regime is freed.  price() and
 * person() run during pricing and may run on many threads at once for one
 * instance: they must treat it as read-only.  A loaded plugin is never
 * unloaded (registration is for the life of the process).
 *
 * Every plugin module instance also takes the keys `module`, `name`,
 * `valid` and, when it has a price method, a required `covers` predicate
 * over activity fields: the rows it owns (claimed in the regime's module
 * order, as for built-ins). */
#define REMIT_PLUGIN_VERSION 1

typedef struct remit_plugin_config remit_plugin_config; /* an instance's YAML mapping */
typedef struct remit_plugin_row remit_plugin_row;       /* one row being priced */
typedef struct remit_plugin_pred remit_plugin_pred;     /* a compiled predicate */

typedef enum remit_plugin_schema {
	REMIT_PLUGIN_ACTIVITY = 1,   /* activity rows (price) */
	REMIT_PLUGIN_POPULATION = 2, /* population rows (person) */
} remit_plugin_schema;

typedef enum remit_plugin_outcome {
	REMIT_PLUGIN_PRICED = 0,   /* paid by the lines emitted */
	REMIT_PLUGIN_COVERED = 1,  /* paid for by a budget, block or episode */
	REMIT_PLUGIN_UNPRICED = 2, /* cannot be priced: see host->unpriced */
} remit_plugin_outcome;

/* A key of the instance's mapping the plugin accepts. */
typedef struct remit_plugin_key {
	const char *name;
	int required;
} remit_plugin_key;

/* A payment line, as a plugin emits it.  The strings are read during the
 * emit call only. */
typedef struct remit_plugin_line {
	const char *kind;   /* DATA.md component ([a-z_]+): NULL is "activity"
			       from price, "budget" from person */
	const char *payer;  /* NULL: the row's commissioner */
	const char *payee;  /* NULL: the activity row's provider, the person's
			       practice */
	const char *amount; /* exact: a decimal ("123.45") or a fraction ("1/3") */
	const char *times;  /* NULL, or an exact factor (decimal, fraction or
			       percentage): the line is amount × times */
	int component;      /* remit_component the exact amount is booked to */
	const char *basis;  /* short derivation for the lines file; NULL: "" */
} remit_plugin_line;

/* What remit offers a plugin.  Functions returning int return REMIT_OK or
 * a negative status unless said otherwise.  Field numbers come from
 * config_field and are valid for rows of the schema they were asked for.
 * Members under a "version N" line exist from version N onwards. */
typedef struct remit_plugin_host {
	int version; /* the newest plugin interface version this remit supports */
	/* -- version 1: while parsing (cfg valid during parse only) -- */

	/* The value of `key` in the instance's mapping as a string, a number
	 * (decimal, percentage or fraction, returned as exact text: "25%" is
	 * "0.25", "1/3" stays "1/3"), a whole number in [lo, hi], or a date
	 * (days since 1970-01-01).  REMIT_ENOTFOUND (no error reported) when
	 * the key is absent; REMIT_ERULES, with the error reported at the
	 * value's position, when it is malformed.  Strings belong to the
	 * regime. */
	int (*config_string)(remit_plugin_config *cfg, const char *key, const char **out);
	int (*config_number)(remit_plugin_config *cfg, const char *key, const char **exact);
	int (*config_int)(remit_plugin_config *cfg, const char *key, int64_t lo, int64_t hi,
			  int64_t *out);
	int (*config_date)(remit_plugin_config *cfg, const char *key, int64_t *days);
	/* A predicate (the rule files' expression language) over the fields of
	 * schema, compiled by remit; owned by the regime. */
	int (*config_predicate)(remit_plugin_config *cfg, const char *key,
				remit_plugin_schema schema, const remit_plugin_pred **out);
	/* The number of column `name` of schema: a DATA.md column, or any other
	 * name as an extra column of the data file (absent in rows when the
	 * file lacks it).  REMIT_EUSAGE for an empty name or a bad schema. */
	int (*config_field)(remit_plugin_config *cfg, remit_plugin_schema schema,
			    const char *name, int *field);
	/* The regime's `period` (days since 1970-01-01, inclusive), or
	 * REMIT_ENOTFOUND if it has none. */
	int (*config_period)(remit_plugin_config *cfg, int64_t *from, int64_t *to);
	/* Report a rule-file error at key's value (key NULL: at the
	 * instance), as "TYPE.KEY: message".  parse must then fail. */
	void (*config_error)(remit_plugin_config *cfg, const char *key, const char *message);

	/* -- version 1: while pricing (row valid during the call only) -- */

	/* A field's text (slice of the row: not NUL-terminated, valid during
	 * the call).  REMIT_ENOTFOUND when the field is empty or absent (text
	 * "" and len 0), REMIT_EUSAGE for a field of another schema. */
	int (*row_text)(const remit_plugin_row *row, int field, const char **text, size_t *len);
	/* A whole-number field (los, age), or a date (start, end, from, to) in
	 * days since 1970-01-01.  REMIT_ENOTFOUND when absent, REMIT_EUSAGE for
	 * a field of another type. */
	int (*row_int)(const remit_plugin_row *row, int field, int64_t *out);
	/* A numeric field (whole or decimal: cost, quantity, need) as exact
	 * text into buf (96 bytes always suffice for a real file's values).
	 * REMIT_ENOTFOUND when absent, REMIT_EUSAGE for another type or when
	 * buf is too small. */
	int (*row_number)(const remit_plugin_row *row, int field, char *buf, size_t cap);
	/* 1 if the row satisfies the predicate, else 0. */
	int (*row_matches)(const remit_plugin_row *row, const remit_plugin_pred *pred);
	/* Pay a line: remit computes amount × times exactly, rounds it at the
	 * regime's scale and mode, books the exact value to `component` and
	 * the rounding difference to REMIT_C_ROUNDING.  REMIT_EUSAGE for a
	 * malformed line: nothing is paid, and an activity row is then reported
	 * unpriced with the reason (whatever price returns). */
	int (*emit)(remit_plugin_row *row, const remit_plugin_line *line);
	/* Say why the row cannot be priced (copied); returns
	 * REMIT_PLUGIN_UNPRICED so price can `return host->unpriced(...)`. */
	int (*unpriced)(remit_plugin_row *row, const char *reason);
	/* One step of `remit explain` (no-op unless explaining). */
	void (*trace)(remit_plugin_row *row, const char *text);
} remit_plugin_host;

/* A plugin module.  Only `version` and `name` are fixed forever; the rest
 * is version 1's. */
typedef struct remit_plugin {
	int version;      /* REMIT_PLUGIN_VERSION the plugin was written for */
	const char *name; /* the module type: `module: NAME` in rule files */
	/* -- version 1 -- */
	const remit_plugin_key *keys; /* its own keys; {NULL, 0}-terminated */
	/* Build an instance from the instance's mapping: *instance (owned by
	 * the plugin; may be NULL).  Return 0, or a negative status after
	 * reporting through host->config_error. */
	int (*parse)(const remit_plugin_host *host, remit_plugin_config *cfg, void **instance);
	/* Optional: pay an activity row the instance owns (see `covers`);
	 * returns a remit_plugin_outcome. */
	int (*price)(const remit_plugin_host *host, const void *instance, remit_plugin_row *row);
	/* Optional: each valid row of the population file, in file order,
	 * before any activity (the regime then needs a population); lines it
	 * emits are organisation- or person-level payments. */
	void (*person)(const remit_plugin_host *host, const void *instance,
		       remit_plugin_row *person);
	/* Optional: free what parse built. */
	void (*free)(void *instance);
} remit_plugin;

/* What a plugin exports.  REMIT_PLUGIN_EXPORT keeps it visible when the
 * plugin is compiled with -fvisibility=hidden. */
#if defined(__GNUC__)
#define REMIT_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define REMIT_PLUGIN_EXPORT
#endif
typedef const remit_plugin *(*remit_plugin_entry_fn)(void);
#define REMIT_PLUGIN_ENTRY "remit_plugin_entry"

/* Register a module type for every regime loaded afterwards, on any
 * thread.  *p is borrowed for the life of the process (make it static).
 * REMIT_EUSAGE for p NULL; REMIT_EPLUGIN, with err saying why, for an
 * interface version this remit does not support, a missing name or parse
 * method, or a name already registered by another module (registering
 * the same p again is a no-op). */
REMIT_API int remit_register_module(const remit_plugin *p, remit_error *err);

/* dlopen a plugin, call its remit_plugin_entry and register what it
 * returns.  A path without '/' is a file of the current directory (not a
 * search of the library path).  REMIT_EUSAGE for a NULL or empty path;
 * REMIT_EPLUGIN, with err naming the file and why (cannot load, no entry
 * point, interface version, name taken).  The library stays loaded for the
 * life of the process. */
REMIT_API int remit_load_plugin(const char *path, remit_error *err);

/* ---- comparing regimes ------------------------------------------------------
 * The same activity (and population) priced under two or more regimes in
 * one read: per organisation, net income under each regime (received −
 * paid to others), the deltas against the first regime decomposed exactly
 * by pricing component and by module; commissioners' spend; the funding
 * transition matrix (who was paid for each activity row under the first
 * regime and under each other one: the provider, or the budget holder when
 * a budget covers the row); scope exposure (rows of budget members that no
 * budget covers, rows two modules' scopes match, unpriced rows); and the
 * reconciliation of every regime. */
typedef struct remit_comparison remit_comparison;

/* Compare regimes[0..n) (n ≥ 2; each may be shared with other threads) on
 * one activity file and optional population file.  opt may be NULL; its
 * threads, on_reject, on_progress and ud are used (rejects are reported
 * once, in file order; the comparison is the same for any threads),
 * on_line and on_unpriced are not.  On success *out is a new comparison
 * the caller frees with remit_comparison_free. */
REMIT_API int remit_compare_files(const remit_regime *const *regimes, size_t n,
				  const char *activity_path, const char *population_path,
				  const remit_run_options *opt, remit_comparison **out,
				  remit_error *err);

typedef enum remit_report_format {
	REMIT_REPORT_TEXT, /* terminal tables */
	REMIT_REPORT_JSON, /* CLI.md's compare --json shape (keys may be added) */
	REMIT_REPORT_CSV,  /* one long table: section,name,measure,regime,value */
	REMIT_REPORT_HTML, /* one self-contained page with inline SVG charts */
} remit_report_format;

/* Receives the report in pieces; data is not NUL-terminated. */
typedef void (*remit_write_fn)(void *ud, const char *data, size_t len);

/* Write the comparison in a format.  `by` chooses the rows of the text
 * report's main table: "provider" (or NULL), "commissioner", "module" or
 * "pod"; other formats ignore it.  Not thread-safe on one comparison. */
REMIT_API int remit_comparison_write(remit_comparison *c, remit_report_format format,
				     const char *by, remit_write_fn out, void *ud);

REMIT_API void remit_comparison_free(remit_comparison *c);

#ifdef __cplusplus
}
#endif
#endif
