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
 *     number of runs on any number of threads.  A remit_result belongs to
 *     one thread at a time.
 *   - Money is returned as decimal strings with exactly the regime's scale
 *     ("-12.30"); nothing is ever converted through binary floating point.
 */
#ifndef REMIT_H
#define REMIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define REMIT_VERSION_MAJOR 0
#define REMIT_VERSION_MINOR 1
#define REMIT_VERSION_PATCH 0
#define REMIT_VERSION_STRING "0.1.0"

/* The library's version at run time (may differ from the header's). */
const char *remit_version(void);

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
	X(ECANCELED, -7, "canceled")

typedef enum remit_status {
#define REMIT__STATUS_ENUM(name, value, msg) REMIT_##name = value,
	REMIT_STATUS_MAP(REMIT__STATUS_ENUM)
#undef REMIT__STATUS_ENUM
} remit_status;

/* "EDATA" etc., and the message of the list above. */
const char *remit_status_name(int status);
const char *remit_strerror(int status);

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
 * to NULL. */
int remit_regime_load(const char *path, remit_diag_fn diag, void *ud, remit_regime **out,
		      remit_error *err);

/* Same, from YAML text in memory; `name` is used in messages and as the
 * base directory for relative paths is the current directory. */
int remit_regime_load_string(const char *yaml, size_t len, const char *name, remit_diag_fn diag,
			     void *ud, remit_regime **out, remit_error *err);

void remit_regime_free(remit_regime *r);

/* The regime's name, currency and rounding scale. */
const char *remit_regime_name(const remit_regime *r);
const char *remit_regime_currency(const remit_regime *r);
int remit_regime_scale(const remit_regime *r);

/* Check that every field the regime's predicates name exists, given the
 * header of an activity file (NULL: only the spec's own columns exist).
 * Reports each missing field through diag with its rule-file position and
 * returns REMIT_ERULES if any. */
int remit_regime_check_fields(const remit_regime *r, const char *activity_path,
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

const char *remit_component_name(remit_component c);

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

typedef struct remit_run_options {
	int threads;            /* 0: all cores.  Never changes any result. */
	remit_line_fn on_line;  /* every payment line, in a fixed order */
	remit_note_fn on_reject;
	remit_note_fn on_unpriced;
	remit_progress_fn on_progress;
	void *ud; /* passed to every callback */
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
int remit_price_file(const remit_regime *r, const char *activity_path,
		     const char *population_path, const remit_run_options *opt,
		     remit_result **out, remit_error *err);

void remit_result_free(remit_result *res);

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

void remit_result_counts(const remit_result *res, remit_counts *out);
/* The sum of all lines; also the sum by payer and the sum by payee. */
const char *remit_result_total(const remit_result *res);

typedef enum remit_total_kind {
	REMIT_BY_PAYEE,
	REMIT_BY_PAYER,
	REMIT_BY_MODULE,
	REMIT_BY_KIND,      /* line kind: activity, marginal, quality, ... */
	REMIT_BY_COMPONENT, /* remit_component names */
} remit_total_kind;

/* Number of entries of one breakdown, and entry i (sorted by name). */
size_t remit_result_size(const remit_result *res, remit_total_kind kind);
int remit_result_entry(const remit_result *res, remit_total_kind kind, size_t i,
		       const char **name, const char **amount);
/* Lines written, and whether money by payer equals money by payee equals
 * the total (always true unless there is a bug). */
uint64_t remit_result_lines(const remit_result *res);
int remit_result_balanced(const remit_result *res);

/* ---- explaining one row -------------------------------------------------- */

/* Called with each line of an explanation, without a trailing newline. */
typedef void (*remit_text_fn)(void *ud, const char *text);

/* Explain how the activity row with id `activity_id` is claimed and priced:
 * every step, every rounding, with exact values.  REMIT_ENOTFOUND if no
 * row has that id. */
int remit_explain(const remit_regime *r, const char *activity_path, const char *population_path,
		  const char *activity_id, remit_text_fn out, void *ud, remit_error *err);

#ifdef __cplusplus
}
#endif
#endif
