/*
 * bundle.c — episodes and pathways (RULES.md, module `bundle`).
 *
 * One payment for a whole episode of care instead of one per activity.  An
 * `anchor` row (a hip replacement, a booking appointment) opens an episode;
 * rows of the same patient that match `related` and start inside the
 * window [anchor start − before, anchor end + after] (both ends inclusive)
 * join it.  Two modes:
 *
 *   prospective    the bundle owns the episode's rows.  The anchor is paid
 *                  by one `episode` line, price(anchor code) × MFF of the
 *                  holder, from the anchor's commissioner to the holder;
 *                  the other rows are covered by it, and those delivered by
 *                  another provider are paid by the holder through
 *                  `subcontract` (lib/subcontract.c) as `subcontract` lines.
 *   retrospective  the bundle owns nothing: the rows are paid fee-for-
 *                  service by whoever owns them; the bundle adds up the
 *                  lines the `priced_by` module emits for member rows
 *                  (observe) and, after all rows, pays or recovers one
 *                  `reconciliation` line per episode: target × (1 −
 *                  discount) − capped spend, limited by stop-gain/-loss.
 *
 * Episodes are built in the engine's per-patient pre-pass (lib/patients.c):
 * scan() tags the rows that can join an episode and the anchors that can
 * open one; patient() walks each patient's tagged rows in (start, end, file
 * order) and records which episode every member row belongs to.  Pricing
 * then finds a row's episode by its ordinal in O(1): a bit per data row
 * (member or not), a running count per 64 rows (rank), and the episode of
 * each member in ordinal order.
 *
 * Decisions where the spec is silent (each tested in tests/test_bundle.c):
 *
 *  - Opening.  A row opens an episode when it matches `anchor`, starts
 *    inside the module's `valid` range and the regime's period, is not
 *    inside an episode already open, and its key (the `by` field of
 *    `price`/`target`, default `code`) has a price (prospective) or a
 *    target (retrospective).  An anchor without one opens nothing and is
 *    left to later modules.
 *  - Joining.  A row matching `related` or `anchor` joins the episode whose
 *    window holds its start.  An anchor inside an open episode joins it as a
 *    related row and does not extend the window.  A row belongs to at most
 *    one episode of a bundle: where two windows overlap (the later anchor's
 *    `before` reaching back into the earlier window), the earlier episode
 *    keeps the rows in the overlap.  `before` days take rows that precede
 *    the anchor and are in no episode yet.
 *  - Holder.  `holder: anchor` (the default) is the anchor row's provider;
 *    anything else is an organisation code.  `mff` is the holder's factor,
 *    the provider that receives the episode payment ({table, default} as in
 *    tariff; a holder missing without a default leaves the anchor row
 *    unpriced with the reason, and its other rows covered).  The anchor
 *    row, when a fixed holder did not deliver it, is subcontracted like any
 *    other covered row.
 *  - The episode line's components: the price is `episode`, the change
 *    made by the MFF `market_forces`, the final rounding `rounding`.
 *  - `valid` says which anchors open episodes.  The engine applies it also
 *    to every row a prospective bundle claims (RULES.md, Validity), so
 *    rows starting after `valid.to` go to later modules.
 *  - Overlaps: a prospective bundle's scope (`covers`, which the engine
 *    uses only to count overlaps) is its `related` predicate (or `anchor`
 *    without one); a retrospective bundle has none, since by design it
 *    owns no row and others paying its rows is no overlap.
 *  - Spend: every line that the `priced_by` module(s) (a name or a list of
 *    names) emit for a member row while pricing it; organisation-level
 *    lines are not episode spend, nor are rows nobody priced.
 *  - Outlier caps, per anchor code over all episodes of the run (N):
 *      percentile p, by nearest rank: the cap is the ⌈p/100 × N⌉-th
 *        smallest spend;
 *      sd k: the limit μ + k·σ (σ the population standard deviation) is
 *        irrational in general, so the cap is the limit rounded down to the
 *        regime's scale, computed exactly in units u of the scale (S = Σu,
 *        Q = Σu², k = kn/kd):
 *            cap = ⌊(S·kd + ⌊√(kn²·(N·Q − S²))⌋) / (N·kd)⌋
 *        (⌊(A + x)/M⌋ = ⌊(A + ⌊x⌋)/M⌋ for integers A, M > 0; the inner
 *        root is GMP's exact integer square root).  Spends are multiples
 *        of the unit, so a spend exceeds the exact limit exactly when it
 *        exceeds this cap: precisely the episodes above μ + k·σ are capped,
 *        each at the largest amount of the scale not above the limit.
 *    A spend is replaced by the cap only when greater than it.
 *  - Reconciliation: one line per episode, zero lines included, from the
 *    anchor's commissioner to the holder (negative: recovered), carrying
 *    the anchor's patient and id; lines come out in the anchors' file
 *    order.  Without stop_gain (stop_loss) the gain (loss) is not limited;
 *    0% is allowed (CJR year 1: no repayment).
 *  - Explain: an anchor's explanation shows the episode (window, member
 *    rows as data-row numbers, since the pre-pass keeps no ids of related
 *    rows) and the arithmetic; a related row shows its episode.  A
 *    retrospective bundle owns nothing, so explain shows nothing of it.
 *
 * Memory, per run: during the pre-pass the engine keeps 24 bytes per tagged
 * row (lib/patients.h); this module keeps 24 bytes per anchor that can open
 * an episode plus the bytes of its id, 8 bytes per member row and 40 bytes
 * per episode.  When pricing starts the member pairs become 4 bytes per
 * member plus 1.5 bits per data row up to the last member (the bits and a
 * 32-bit count per 64 rows), the anchors' records are freed, and 4 bytes
 * per episode keep the anchors' file order; a retrospective bundle adds 32
 * bytes per episode for its spend.  No row is ever allocated on its own.
 */
#include "engine.h"
#include "mff.h"
#include "subcontract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

enum mode { PROSPECTIVE, RETROSPECTIVE };
enum cap_kind { CAP_NONE, CAP_PERCENTILE, CAP_SD };

/* Amounts by the value of one activity field (`price`, `target`). */
typedef struct book {
	int by;             /* activity field id */
	remit__strtab keys; /* value → id */
	remit__num *amount; /* by id */
} book;

typedef struct bundle {
	remit__module base;
	remit__pred *anchor, *related;
	int64_t before, after;
	bool holder_anchor;
	const char *holder; /* fixed organisation, unless holder_anchor */
	enum mode mode;
	book book; /* price (prospective) or target (retrospective) */
	remit__mff mff; /* of the holder */
	remit__subcontract sc;
	/* retrospective */
	const char **priced_by_names;
	size_t npriced_by;
	const remit__module **priced_by;
	remit__mark priced_by_mark;
	remit__num discount;
	enum cap_kind cap;
	remit__num cap_value; /* percentile p, or sd k */
	bool has_gain, has_loss;
	remit__num stop_gain, stop_loss;
} bundle;

/* ---- parsing ------------------------------------------------------------ */

static const remit__key bundle_keys[] = {
	{"anchor", true},     {"window", true},    {"related", false},     {"holder", false},
	{"mode", true},       {"price", false},    {"mff", false},         {"subcontract", false},
	{"priced_by", false}, {"target", false},   {"discount", false},    {"outlier_cap", false},
	{"stop_gain", false}, {"stop_loss", false}, {NULL, false}};

/* Keys of one mode only, and the mode they belong to. */
static const struct {
	const char *key;
	enum mode mode;
} mode_keys[] = {
	{"price", PROSPECTIVE},      {"mff", PROSPECTIVE},        {"subcontract", PROSPECTIVE},
	{"priced_by", RETROSPECTIVE}, {"target", RETROSPECTIVE},  {"discount", RETROSPECTIVE},
	{"outlier_cap", RETROSPECTIVE}, {"stop_gain", RETROSPECTIVE}, {"stop_loss", RETROSPECTIVE},
};

static const char *const mode_names[] = {"prospective", "retrospective"};

static const char *sub(remit__loader *L, const char *ctx, const char *key)
{
	return remit__sprintf(remit__loader_arena(L), "%s.%s", ctx, key);
}

/* The key node of `key` in mapping map (for messages about the key). */
static yaml_node_t *key_node(remit__loader *L, const yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(L->doc, p->key);
		if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(key) &&
		    !memcmp(k->data.scalar.value, key, k->data.scalar.length))
			return k;
	}
	return NULL;
}

/* A rate within [0, hi] (hi NULL: no upper bound). */
static bool rate_in(remit__loader *L, const yaml_node_t *n, const char *ctx, const remit__num *hi,
		    const char *expect, remit__num *out)
{
	if (!remit__cfg_rate(L, n, ctx, out))
		return false;
	if (remit__num_sign(*out) < 0 || (hi && remit__num_cmp(*out, *hi) > 0)) {
		remit__rules_error(L, n, "%s: expected %s, got %s", ctx, expect,
				   remit__node_desc(L, n));
		return false;
	}
	return true;
}

static bool parse_window(remit__loader *L, bundle *b, const yaml_node_t *n)
{
	static const remit__key keys[] = {{"before", false}, {"after", false}, {NULL, false}};
	if (!remit__cfg_keys(L, n, keys, "bundle.window"))
		return false;
	yaml_node_t *v;
	bool ok = true;
	if ((v = remit__cfg_get(L, n, "before")))
		ok &= remit__cfg_int(L, v, "bundle.window.before", 0, 36500, &b->before);
	if ((v = remit__cfg_get(L, n, "after")))
		ok &= remit__cfg_int(L, v, "bundle.window.after", 0, 36500, &b->after);
	return ok;
}

/* price / target: {by: code, rows: {CODE: amount, ...}} */
static bool parse_book(remit__loader *L, book *k, const yaml_node_t *n, const char *ctx)
{
	static const remit__key keys[] = {{"by", false}, {"rows", true}, {NULL, false}};
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	bool ok = true;
	k->by = REMIT__A_CODE;
	yaml_node_t *by = remit__cfg_get(L, n, "by");
	const char *field;
	if (by && remit__cfg_str(L, by, sub(L, ctx, "by"), &field)) {
		k->by = remit__schema_find(&remit__activity_schema, field, strlen(field));
		if (k->by < 0 || remit__activity_schema.fields[k->by].type != REMIT__T_STR) {
			remit__rules_error(L, by,
					   "%s.by: expected an activity column of text (code, pod, "
					   "provider, commissioner, patient or id), got %s",
					   ctx, remit__node_desc(L, by));
			ok = false;
		}
	} else if (by) {
		ok = false;
	}
	yaml_node_t *rows = remit__cfg_get(L, n, "rows");
	size_t nr = rows && rows->type == YAML_MAPPING_NODE
			    ? (size_t)(rows->data.mapping.pairs.top - rows->data.mapping.pairs.start)
			    : 0;
	if (nr == 0) {
		remit__rules_error(L, rows, "%s.rows: expected a mapping {CODE: amount, ...}, got %s",
				   ctx,
				   rows && rows->type == YAML_MAPPING_NODE ? "an empty mapping"
									   : remit__node_desc(L, rows));
		return false;
	}
	k->amount = remit__alloc(remit__loader_arena(L), nr * sizeof *k->amount);
	for (size_t i = 0; i < nr; i++) {
		yaml_node_pair_t *p = &rows->data.mapping.pairs.start[i];
		yaml_node_t *vn = yaml_document_get_node(L->doc, p->value);
		const char *key;
		if (!remit__cfg_str(L, yaml_document_get_node(L->doc, p->key), sub(L, ctx, "rows"),
				    &key)) {
			ok = false;
			continue;
		}
		uint32_t id = remit__intern(&k->keys, key, strlen(key));
		const char *c = remit__sprintf(remit__loader_arena(L), "%s.rows.%s", ctx, key);
		if (!remit__cfg_amount(L, vn, c, &k->amount[id])) {
			ok = false;
		} else if (remit__num_sign(k->amount[id]) < 0) {
			remit__rules_error(L, vn, "%s: expected an amount ≥ 0, got %s", c,
					   remit__node_desc(L, vn));
			ok = false;
		}
	}
	return ok;
}

static bool parse_outlier_cap(remit__loader *L, bundle *b, const yaml_node_t *n)
{
	static const remit__key keys[] = {{"percentile", false}, {"sd", false}, {NULL, false}};
	const char *ctx = "bundle.outlier_cap";
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	yaml_node_t *p = remit__cfg_get(L, n, "percentile"), *sd = remit__cfg_get(L, n, "sd");
	if (!p == !sd) {
		remit__rules_error(L, n, "%s: expected one of {percentile: P} or {sd: K}", ctx);
		return false;
	}
	if (p) {
		b->cap = CAP_PERCENTILE;
		if (!remit__cfg_num(L, p, sub(L, ctx, "percentile"), REMIT__PARSE_DECIMAL,
				    &b->cap_value))
			return false;
		if (remit__num_sign(b->cap_value) <= 0 ||
		    remit__num_cmp(b->cap_value, remit__num_int(100)) > 0) {
			remit__rules_error(L, p, "%s.percentile: expected a number above 0 and at "
						 "most 100, got %s",
					   ctx, remit__node_desc(L, p));
			return false;
		}
		return true;
	}
	b->cap = CAP_SD;
	if (!remit__cfg_num(L, sd, sub(L, ctx, "sd"), REMIT__PARSE_DECIMAL | REMIT__PARSE_RATIONAL,
			    &b->cap_value))
		return false;
	if (remit__num_sign(b->cap_value) < 0) {
		remit__rules_error(L, sd, "%s.sd: expected a number of standard deviations ≥ 0, got %s",
				   ctx, remit__node_desc(L, sd));
		return false;
	}
	return true;
}

/* The mode, and keys given in the wrong mode or missing for this one. */
static bool parse_mode(remit__loader *L, bundle *b, const yaml_node_t *map)
{
	yaml_node_t *mn = remit__cfg_get(L, map, "mode");
	const char *mode;
	if (!remit__cfg_str(L, mn, "bundle.mode", &mode))
		return false;
	if (!strcmp(mode, "prospective")) {
		b->mode = PROSPECTIVE;
	} else if (!strcmp(mode, "retrospective")) {
		b->mode = RETROSPECTIVE;
	} else {
		remit__rules_error(L, mn, "bundle.mode: expected prospective or retrospective, got %s",
				   remit__node_desc(L, mn));
		return false;
	}
	bool ok = true;
	for (size_t i = 0; i < sizeof mode_keys / sizeof *mode_keys; i++) {
		yaml_node_t *k = key_node(L, map, mode_keys[i].key);
		if (k && mode_keys[i].mode != b->mode) {
			remit__rules_error(L, k, "bundle.%s: only for mode %s (this bundle is %s)",
					   mode_keys[i].key, mode_names[mode_keys[i].mode],
					   mode_names[b->mode]);
			ok = false;
		}
	}
	static const char *const required[2][2] = {{"price", NULL}, {"target", "priced_by"}};
	for (int i = 0; i < 2; i++) {
		const char *key = required[b->mode][i];
		if (key && !remit__cfg_get(L, map, key)) {
			remit__rules_error(L, map, "bundle: missing required key '%s' (mode %s)", key,
					   mode_names[b->mode]);
			ok = false;
		}
	}
	return ok;
}

static bool parse_prospective(remit__loader *L, bundle *b, const yaml_node_t *map)
{
	yaml_node_t *n;
	bool ok = parse_book(L, &b->book, remit__cfg_get(L, map, "price"), "bundle.price");
	if ((n = remit__cfg_get(L, map, "mff")))
		ok &= remit__mff_parse(L, n, "bundle.mff", &(remit__mff_opts){.default_got = true},
				       &b->mff);
	if ((n = remit__cfg_get(L, map, "subcontract")))
		ok &= remit__subcontract_parse(L, n, "bundle.subcontract", &b->sc);
	return ok;
}

static bool parse_retrospective(remit__loader *L, bundle *b, const yaml_node_t *map)
{
	static const remit__num one = {1, 0, NULL};
	yaml_node_t *n;
	bool ok = parse_book(L, &b->book, remit__cfg_get(L, map, "target"), "bundle.target");
	n = remit__cfg_get(L, map, "priced_by");
	if (remit__cfg_strlist(L, n, "bundle.priced_by", &b->priced_by_names, &b->npriced_by) &&
	    b->npriced_by) {
		b->priced_by_mark = remit__node_mark(L, n);
	} else {
		if (n && !b->npriced_by && n->type == YAML_SEQUENCE_NODE)
			remit__rules_error(L, n, "bundle.priced_by: expected a module name or a "
						 "list of module names, got an empty list");
		ok = false;
	}
	b->discount = REMIT__NUM_ZERO;
	if ((n = remit__cfg_get(L, map, "discount")))
		ok &= rate_in(L, n, "bundle.discount", &one, "a rate from 0% to 100%", &b->discount);
	if ((n = remit__cfg_get(L, map, "outlier_cap")))
		ok &= parse_outlier_cap(L, b, n);
	if ((n = remit__cfg_get(L, map, "stop_gain")))
		ok &= b->has_gain = rate_in(L, n, "bundle.stop_gain", NULL, "a rate ≥ 0%",
					    &b->stop_gain);
	if ((n = remit__cfg_get(L, map, "stop_loss")))
		ok &= b->has_loss = rate_in(L, n, "bundle.stop_loss", NULL, "a rate ≥ 0%",
					    &b->stop_loss);
	return ok;
}

static remit__module *bundle_parse(remit__loader *L, const yaml_node_t *map)
{
	bundle *b = remit__zalloc(remit__loader_arena(L), sizeof *b);
	yaml_node_t *n;
	bool ok = remit__cfg_pred(L, remit__cfg_get(L, map, "anchor"), "bundle.anchor",
				  &remit__activity_schema, &b->anchor);
	if ((n = remit__cfg_get(L, map, "related")))
		ok &= remit__cfg_pred(L, n, "bundle.related", &remit__activity_schema, &b->related);
	ok &= parse_window(L, b, remit__cfg_get(L, map, "window"));
	b->holder_anchor = true;
	if ((n = remit__cfg_get(L, map, "holder"))) {
		const char *h;
		if (remit__cfg_str(L, n, "bundle.holder", &h)) {
			b->holder_anchor = !strcmp(h, "anchor");
			b->holder = b->holder_anchor ? NULL : h;
		} else {
			ok = false;
		}
	}
	if (parse_mode(L, b, map)) {
		if (b->mode == PROSPECTIVE)
			ok &= parse_prospective(L, b, map);
		else
			ok &= parse_retrospective(L, b, map);
	} else {
		ok = false;
	}
	b->base.per_patient = true;
	b->base.observes = b->mode == RETROSPECTIVE;
	b->base.covers = b->mode == RETROSPECTIVE ? NULL : b->related ? b->related : b->anchor;
	if (!ok) {
		remit__strtab_free(&b->book.keys);
		return NULL;
	}
	return &b->base;
}

static void bundle_link(remit__module *m, remit__loader *L)
{
	bundle *b = (bundle *)m;
	remit__subcontract_link(L, &b->sc, "bundle.subcontract");
	if (!b->npriced_by)
		return;
	b->priced_by = remit__alloc(remit__loader_arena(L), b->npriced_by * sizeof *b->priced_by);
	for (size_t i = 0; i < b->npriced_by; i++) {
		const char *name = b->priced_by_names[i];
		b->priced_by[i] = remit__regime_module(L->regime, name);
		if (b->priced_by[i] == m)
			remit__rules_error_at(L, b->priced_by_mark,
					      "bundle.priced_by: '%s' is this bundle; expected the "
					      "module that pays the episode's rows",
					      name);
		else if (!b->priced_by[i])
			remit__rules_error_at(L, b->priced_by_mark,
					      "bundle.priced_by: no module named '%s' in this regime",
					      name);
	}
}

static void bundle_free(remit__module *m)
{
	remit__strtab_free(&((bundle *)m)->book.keys);
}

/* ---- run state ---------------------------------------------------------- */

/* An anchor that can open an episode, as scan() saw it (file order), and
 * the episode it opened (NONE if it joined another). */
typedef struct opener {
	const char *id; /* in run_state.idmem */
	uint32_t ordinal, code, payer, episode;
} opener;

typedef struct member {
	uint32_t ordinal, episode;
} member;

typedef struct episode {
	const char *id;           /* the anchor's activity id */
	uint32_t anchor;          /* ordinal of the anchor row */
	uint32_t patient;         /* cx->patients */
	uint32_t holder, payer;   /* cx->orgs */
	uint32_t code;            /* in the bundle's book */
	int32_t from, to;         /* window, days, inclusive */
	uint32_t members;         /* rows, the anchor included */
} episode;

typedef struct run_state {
	remit__arena idmem; /* activity ids of opening anchors (unique: the
			       reader rejects a repeated id, so no index) */
	opener *openers;
	size_t nopeners, capopeners;
	member *members; /* until ready */
	size_t nmembers, capmembers;
	episode *eps;
	size_t neps, capeps;
	uint32_t holder; /* a fixed holder's org id */
	bool ready;
	/* after ready: ordinal → episode */
	uint64_t *bits;
	uint32_t *rank; /* members before each word */
	uint32_t *epof; /* by member rank */
	size_t words;
	uint32_t *byanchor; /* episodes in their anchors' file order */
	remit__sum *spend; /* retrospective, by episode */
	remit__numpool *keep; /* values kept through finish (caps) */
	bool shared; /* a part's state (run_fork): only spend is its own */
} run_state;

static void *bundle_run_begin(const remit__module *m, remit__ctx *cx)
{
	const bundle *b = (const bundle *)m;
	run_state *s = remit__xcalloc(1, sizeof *s);
	if (!b->holder_anchor)
		s->holder = remit__org_id(cx, (remit__str){b->holder, (uint32_t)strlen(b->holder)});
	s->keep = remit__numpool_new();
	return s;
}

static void bundle_run_end(const remit__module *m, void *state)
{
	run_state *s = state;
	(void)m;
	if (s->spend)
		for (size_t i = 0; i < s->neps; i++)
			remit__sum_clear(&s->spend[i]);
	remit__arena_free(&s->idmem);
	free(s->openers);
	free(s->members);
	free(s->eps);
	free(s->bits);
	free(s->rank);
	free(s->epof);
	free(s->byanchor);
	free(s->spend);
	remit__numpool_free(s->keep);
	free(s);
}

#define GROW(v, n, cap)                                                                           \
	do {                                                                                      \
		if ((n) == (cap)) {                                                               \
			(cap) = (cap) ? (cap) * 2 : 1024;                                         \
			(v) = remit__xrealloc((v), (cap) * sizeof *(v));                          \
		}                                                                                 \
	} while (0)

/* ---- episodes (per-patient pre-pass) ------------------------------------ */

enum { TAG_JOINS = 1, TAG_OPENS = 2 };

/* The row's key in the book, or NONE. */
static uint32_t book_key(const book *k, const remit__row *row)
{
	remit__str v = row->f[k->by].s;
	return remit__strtab_find(&k->keys, v.p, v.n);
}

static uint8_t bundle_scan(const remit__module *m, remit__ctx *cx, const remit__row *row)
{
	const bundle *b = (const bundle *)m;
	run_state *s = remit__state(cx, m);
	bool anchor = remit__pred_eval(b->anchor, row, cx->attr_map);
	if (!anchor && !(b->related && remit__pred_eval(b->related, row, cx->attr_map)))
		return 0;
	if (!anchor)
		return TAG_JOINS;
	const struct remit_regime *r = cx->regime;
	int64_t start = row->f[REMIT__A_START].i;
	uint32_t code = book_key(&b->book, row);
	if ((m->has_valid && (start < m->valid_from || start > m->valid_to)) ||
	    (r->has_period && (start < r->period_from || start > r->period_to)) || code == NONE)
		return TAG_JOINS;
	GROW(s->openers, s->nopeners, s->capopeners);
	remit__str id = row->f[REMIT__A_ID].s;
	s->openers[s->nopeners++] = (opener){
		.id = remit__strndup(&s->idmem, id.p, id.n),
		.ordinal = (uint32_t)row->ordinal,
		.code = code,
		.payer = remit__org_id(cx, row->f[REMIT__A_COMMISSIONER].s),
		.episode = NONE,
	};
	return TAG_JOINS | TAG_OPENS;
}

/* A part's scan state (the pre-pass on several threads): openers only. */
static void *bundle_scan_fork(const remit__module *m, remit__ctx *cx, void *state)
{
	(void)m;
	(void)cx;
	(void)state;
	return remit__xcalloc(1, sizeof(run_state));
}

/* The part's openers after the run's: ordinals and payers the run's. */
static void bundle_scan_join(const remit__module *m, remit__ctx *cx, void *state, void *part,
			     const remit__scan_shift *shift)
{
	run_state *s = state, *k = part;
	(void)m;
	(void)cx;
	for (size_t i = 0; s && i < k->nopeners; i++) {
		opener o = k->openers[i];
		o.id = remit__strdup(&s->idmem, o.id);
		o.ordinal = (uint32_t)(o.ordinal + shift->ordinals);
		o.payer = shift->orgs[o.payer];
		GROW(s->openers, s->nopeners, s->capopeners);
		s->openers[s->nopeners++] = o;
	}
	remit__arena_free(&k->idmem);
	free(k->openers);
	free(k);
}

/* scan() sees rows in file order (on several threads, the parts are
 * joined in file order), so openers are sorted by ordinal. */
static opener *opener_of(const run_state *s, uint32_t ordinal)
{
	size_t lo = 0, hi = s->nopeners;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->openers[mid].ordinal < ordinal)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nopeners && s->openers[lo].ordinal == ordinal ? &s->openers[lo] : NULL;
}

static void join(run_state *s, uint32_t ordinal, uint32_t e)
{
	GROW(s->members, s->nmembers, s->capmembers);
	s->members[s->nmembers++] = (member){ordinal, e};
	s->eps[e].members++;
}

/* Rows arrive ordered by start, end and file order.  Every tagged row can
 * join; rows [0, done) are decided (in an episode, or before every window
 * that could take them). */
static void bundle_patient(const remit__module *m, remit__ctx *cx, const remit__prow *rows,
			   size_t n)
{
	const bundle *b = (const bundle *)m;
	run_state *s = remit__state(cx, m);
	uint32_t cur = NONE;
	int64_t to = 0;
	size_t done = 0;
	for (size_t i = 0; i < n; i++) {
		const remit__prow *r = &rows[i];
		if (cur != NONE && r->start <= to) {
			join(s, r->ordinal, cur);
			done = i + 1;
			continue;
		}
		cur = NONE;
		opener *o;
		if (!(r->tag & TAG_OPENS) || !(o = opener_of(s, r->ordinal)))
			continue;
		GROW(s->eps, s->neps, s->capeps);
		uint32_t e = (uint32_t)s->neps++;
		o->episode = e;
		int64_t from = (int64_t)r->start - b->before;
		to = (int64_t)r->end + b->after;
		s->eps[e] = (episode){
			.id = o->id,
			.anchor = r->ordinal,
			.patient = r->patient,
			.holder = b->holder_anchor ? r->provider : s->holder,
			.payer = o->payer,
			.code = o->code,
			.from = (int32_t)from,
			.to = (int32_t)to,
		};
		/* rows before the anchor that no episode took */
		for (size_t j = i; j > done && rows[j - 1].start >= from; j--)
			join(s, rows[j - 1].ordinal, e);
		join(s, r->ordinal, e);
		cur = e;
		done = i + 1;
	}
}

/* After the pre-pass: the member pairs become a rank index (a bit per
 * data row, members before each 64-row word, the episode of each member in
 * ordinal order), with no sort: the bits are set in any order, then each
 * member's episode is written at its rank. */
static void ready(const bundle *b, run_state *s)
{
	if (s->ready)
		return;
	s->ready = true;
	uint32_t last = 0;
	for (size_t i = 0; i < s->nmembers; i++)
		if (s->members[i].ordinal > last)
			last = s->members[i].ordinal;
	s->words = s->nmembers ? last / 64 + 1 : 0;
	s->bits = remit__xcalloc(s->words + 1, sizeof *s->bits);
	s->rank = remit__xmalloc((s->words + 1) * sizeof *s->rank);
	s->epof = remit__xmalloc((s->nmembers + 1) * sizeof *s->epof);
	for (size_t i = 0; i < s->nmembers; i++) {
		uint32_t o = s->members[i].ordinal;
		s->bits[o / 64] |= (uint64_t)1 << (o % 64);
	}
	uint32_t count = 0;
	for (size_t w = 0; w < s->words; w++) {
		s->rank[w] = count;
		count += (uint32_t)__builtin_popcountll(s->bits[w]);
	}
	for (size_t i = 0; i < s->nmembers; i++) {
		uint32_t o = s->members[i].ordinal;
		uint64_t word = s->bits[o / 64], bit = (uint64_t)1 << (o % 64);
		s->epof[s->rank[o / 64] + (uint32_t)__builtin_popcountll(word & (bit - 1))] =
			s->members[i].episode;
	}
	free(s->members);
	s->members = NULL;
	s->nmembers = s->capmembers = 0;
	/* openers are in file order: the episodes in their anchors' order */
	s->byanchor = remit__xmalloc((s->neps + 1) * sizeof *s->byanchor);
	size_t k = 0;
	for (size_t i = 0; i < s->nopeners; i++)
		if (s->openers[i].episode != NONE)
			s->byanchor[k++] = s->openers[i].episode;
	free(s->openers);
	s->openers = NULL;
	s->nopeners = s->capopeners = 0;
	if (s->neps) { /* no more episodes: give back the doubling's slack */
		s->eps = remit__xrealloc(s->eps, s->neps * sizeof *s->eps);
		s->capeps = s->neps;
	}
	if (b->mode == RETROSPECTIVE)
		s->spend = remit__xcalloc(s->neps + 1, sizeof *s->spend);
}

/* The episode a row belongs to, or NONE. */
static uint32_t episode_of(const run_state *s, uint64_t ordinal)
{
	size_t w = ordinal / 64;
	if (w >= s->words)
		return NONE;
	uint64_t bit = (uint64_t)1 << (ordinal % 64), word = s->bits[w];
	if (!(word & bit))
		return NONE;
	return s->epof[s->rank[w] + (uint32_t)__builtin_popcountll(word & (bit - 1))];
}

/* ---- several threads ------------------------------------------------------ */

/* A part's state: the episodes (decided by the pre-pass) shared, the
 * retrospective spend its own. */
static void *bundle_run_fork(const remit__module *m, remit__ctx *cx, void *state)
{
	const bundle *b = (const bundle *)m;
	run_state *s = state, *k = remit__xmalloc(sizeof *k);
	(void)cx;
	ready(b, s);
	*k = *s;
	k->spend = s->spend ? remit__xcalloc(s->neps + 1, sizeof *k->spend) : NULL;
	k->shared = true;
	return k;
}

static void bundle_run_join(const remit__module *m, remit__ctx *cx, void *state, void *part)
{
	run_state *s = state, *k = part;
	(void)m;
	(void)cx;
	for (size_t i = 0; k->spend && i < k->neps; i++) {
		if (s)
			remit__sum_add_sum(&s->spend[i], &k->spend[i]);
		remit__sum_clear(&k->spend[i]);
	}
	free(k->spend);
	free(k);
}

/* ---- text for explanations and bases ------------------------------------ */

static const char *date_text(remit__ctx *cx, int64_t days)
{
	char *buf = cx->fmt[cx->fmt_next++ % 8];
	remit__date_format(days, buf);
	return buf;
}

static remit__str org(const remit__ctx *cx, uint32_t id)
{
	return remit__org_name(cx, id);
}

static const char *book_code(const bundle *b, uint32_t code)
{
	return remit__strtab_str(&b->book.keys, code);
}

/* Narrate the episode: window and member rows (data-row numbers). */
static void trace_episode(const bundle *b, remit__ctx *cx, const run_state *s, uint32_t e)
{
	const episode *ep = &s->eps[e];
	REMIT__TRACE(cx, "  episode: anchor %s (data row %lu), patient %s, %s %s", ep->id,
		     (unsigned long)ep->anchor + 1,
		     remit__strtab_str(cx->patients, ep->patient),
		     remit__activity_schema.fields[b->book.by].name, book_code(b, ep->code));
	REMIT__TRACE(cx, "  window: anchor start − %lld days to anchor end + %lld days = %s to %s "
			 "(both inclusive)",
		     (long long)b->before, (long long)b->after, date_text(cx, ep->from),
		     date_text(cx, ep->to));
	char list[1024];
	size_t len = 0, shown = 0;
	list[0] = '\0';
	/* the first 40 members, in file order */
	for (size_t w = 0; w < s->words && shown < 40; w++)
		for (uint64_t word = s->bits[w]; word && shown < 40; word &= word - 1) {
			uint64_t o = (uint64_t)w * 64 + (unsigned)__builtin_ctzll(word);
			if (episode_of(s, o) != e)
				continue;
			int k = snprintf(list + len, sizeof list - len, "%s%llu%s", len ? ", " : "",
					 (unsigned long long)o + 1, o == ep->anchor ? " (anchor)" : "");
			if (k > 0 && (size_t)k < sizeof list - len)
				len += (size_t)k;
			shown++;
		}
	REMIT__TRACE(cx, "  members: %u row%s: data rows %s%s", ep->members,
		     ep->members == 1 ? "" : "s", list, ep->members > shown ? ", …" : "");
	remit__str h = org(cx, ep->holder);
	REMIT__TRACE(cx, "  holder: %.*s (%s)", (int)h.n, h.p,
		     b->holder_anchor ? "the anchor's provider" : "fixed");
}

/* ---- claiming and pricing (prospective) --------------------------------- */

static bool bundle_claims(const remit__module *m, remit__ctx *cx, const remit__row *row)
{
	const bundle *b = (const bundle *)m;
	run_state *s = remit__state(cx, m);
	if (b->mode != PROSPECTIVE)
		return false;
	ready(b, s);
	return episode_of(s, row->ordinal) != NONE;
}

/* The anchor's episode line. */
static remit__outcome pay_episode(const bundle *b, remit__ctx *cx, const episode *ep,
				  const remit__row *row)
{
	const remit__val *f = row->f;
	remit__str holder = org(cx, ep->holder);
	remit__num price = b->book.amount[ep->code], mff = REMIT__NUM_ONE;
	bool defaulted = false;
	if (b->mff.table && !remit__mff_of(&b->mff, holder.p, holder.n, &mff, &defaulted))
		return remit__unpriced(cx, "no market forces factor for the holder %.*s in table %s",
				       (int)holder.n, holder.p, b->mff.table->name);
	remit__pline l;
	remit__pline_init(&l, &b->base, "episode");
	REMIT__TRACE(cx, "  episode price: %s %s → %s", remit__activity_schema.fields[b->book.by].name,
		     book_code(b, ep->code), remit__fmt_amount(cx, price));
	remit__num exact = remit__num_mul(cx->pool, price, mff);
	if (b->mff.table)
		REMIT__TRACE(cx, "  market forces of the holder %.*s: %s × %s%s = %s", (int)holder.n,
			     holder.p, remit__fmt(cx, price), remit__fmt(cx, mff),
			     defaulted ? " (default)" : "", remit__fmt(cx, exact));
	l.amount = remit__round_line(cx, exact);
	REMIT__TRACE(cx, "  exact %s → %s (scale %d, %s)", remit__fmt(cx, exact),
		     remit__fmt_money(cx, l.amount), cx->regime->scale,
		     remit__rmode_name(cx->regime->mode));
	l.comp[REMIT_C_EPISODE] = price;
	l.comp[REMIT_C_MARKET_FORCES] = remit__num_sub(cx->pool, exact, price);
	l.comp[REMIT_C_ROUNDING] = remit__num_sub(cx->pool, l.amount, exact);
	l.payer = f[REMIT__A_COMMISSIONER].s;
	l.payee = holder;
	l.patient = f[REMIT__A_PATIENT].s;
	l.activity = f[REMIT__A_ID].s;
	l.pod = f[REMIT__A_POD].s;
	cx->basis[0] = '\0';
	if (cx->detail) {
		int k = snprintf(cx->basis, sizeof cx->basis, "episode %s %s", book_code(b, ep->code),
				 remit__fmt_amount(cx, price));
		if (b->mff.table && k > 0 && (size_t)k < sizeof cx->basis)
			snprintf(cx->basis + k, sizeof cx->basis - (size_t)k, "; ×MFF %s",
				 remit__fmt(cx, mff));
	}
	l.basis = cx->basis;
	remit__emit(cx, &l);
	return REMIT__COVERED;
}

static remit__outcome bundle_price(const remit__module *m, remit__ctx *cx, const remit__row *row)
{
	const bundle *b = (const bundle *)m;
	run_state *s = remit__state(cx, m);
	ready(b, s);
	uint32_t e = episode_of(s, row->ordinal);
	if (e == NONE) /* claims() said yes: cannot happen */
		return remit__unpriced(cx, "bundle %s: row is in no episode", m->name);
	const episode *ep = &s->eps[e];
	if (cx->trace)
		trace_episode(b, cx, s, e);
	if (ep->anchor == row->ordinal) {
		if (pay_episode(b, cx, ep, row) != REMIT__COVERED)
			return REMIT__UNPRICED;
	} else {
		REMIT__TRACE(cx, "  a member of the episode of anchor %s: covered by its episode "
				 "payment",
			     ep->id);
	}
	cx->funder = org(cx, ep->holder);
	remit__subcontract_pay(m, cx, &b->sc, row, cx->funder);
	return REMIT__COVERED;
}

/* ---- reconciliation (retrospective) ------------------------------------- */

static void bundle_observe(const remit__module *m, remit__ctx *cx, const remit__row *row,
			   const remit__pline *line)
{
	const bundle *b = (const bundle *)m;
	run_state *s = remit__state(cx, m);
	size_t i = 0;
	while (i < b->npriced_by && line->module != b->priced_by[i])
		i++;
	if (i == b->npriced_by)
		return;
	ready(b, s);
	uint32_t e = episode_of(s, row->ordinal);
	if (e != NONE)
		remit__sum_add(&s->spend[e], line->amount, cx->regime->scale);
}

/* The units of the regime's scale in a sum of rounded amounts. */
static void sum_units(mpz_t z, const remit__sum *sum)
{
	if (sum->big) {
		mpz_set(z, sum->big);
		return;
	}
	__int128 v = sum->units;
	unsigned __int128 a = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	mpz_set_ui(z, (unsigned long)(uint64_t)(a >> 64));
	mpz_mul_2exp(z, z, 64);
	mpz_add_ui(z, z, (unsigned long)(uint64_t)a);
	if (v < 0)
		mpz_neg(z, z);
}

/* The sd cap of a group of episodes (see the top of the file): units of
 * the scale ⌊(S·kd + ⌊√(kn²·(N·Q − S²))⌋) / (N·kd)⌋. */
static remit__num sd_cap(const bundle *b, remit__ctx *cx, run_state *s, const uint32_t *eps,
			 size_t n)
{
	mpz_t S, Q, u, t;
	mpq_t k, q;
	mpz_inits(S, Q, u, t, NULL);
	mpq_inits(k, q, NULL);
	for (size_t i = 0; i < n; i++) {
		sum_units(u, &s->spend[eps[i]]);
		mpz_add(S, S, u);
		mpz_addmul(Q, u, u);
	}
	remit__num_get_mpq(k, b->cap_value);
	mpz_mul_ui(t, Q, (unsigned long)n);  /* N·Q */
	mpz_submul(t, S, S);                 /* − S² (≥ 0: Cauchy–Schwarz) */
	mpz_mul(t, t, mpq_numref(k));
	mpz_mul(t, t, mpq_numref(k));        /* T = kn²·(N·Q − S²) */
	mpz_sqrt(t, t);                      /* ⌊√T⌋ */
	mpz_addmul(t, S, mpq_denref(k));     /* A + ⌊√T⌋, A = S·kd */
	mpz_mul_ui(u, mpq_denref(k), (unsigned long)n); /* M = N·kd */
	mpz_fdiv_q(mpq_numref(q), t, u);
	/* units → amount: × 10^-scale */
	int scale = cx->regime->scale;
	mpz_ui_pow_ui(mpq_denref(q), 10, (unsigned long)(scale < 0 ? -scale : scale));
	if (scale < 0) {
		mpz_mul(mpq_numref(q), mpq_numref(q), mpq_denref(q));
		mpz_set_ui(mpq_denref(q), 1);
	}
	mpq_canonicalize(q);
	remit__num limit = remit__num_from_mpq(s->keep, q);
	mpz_clears(S, Q, u, t, NULL);
	mpq_clears(k, q, NULL);
	return limit;
}

static int cmp_spend(const void *a, const void *b, void *arg)
{
	const run_state *s = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = remit__sum_cmp(&s->spend[x], &s->spend[y]);
	return c ? c : (x > y) - (x < y);
}

/* Per code: the cap (kept in s->keep), and how it was found, for texts. */
typedef struct cap {
	bool on;
	remit__num value;
	uint32_t n;
} cap;

static cap *outlier_caps(const bundle *b, remit__ctx *cx, run_state *s)
{
	uint32_t ncodes = b->book.keys.n;
	cap *caps = remit__xcalloc(ncodes + 1, sizeof *caps);
	if (b->cap == CAP_NONE)
		return caps;
	/* the episodes grouped by code (a counting sort) */
	uint32_t *at = remit__xcalloc(ncodes + 1, sizeof *at);
	uint32_t *ord = remit__xmalloc((s->neps + 1) * sizeof *ord);
	for (size_t e = 0; e < s->neps; e++)
		at[s->eps[e].code + 1]++;
	for (uint32_t c = 1; c <= ncodes; c++)
		at[c] += at[c - 1];
	for (size_t e = 0; e < s->neps; e++)
		ord[at[s->eps[e].code]++] = (uint32_t)e;
	for (size_t i = 0, j; i < s->neps; i = j) {
		uint32_t code = s->eps[ord[i]].code;
		for (j = i; j < s->neps && s->eps[ord[j]].code == code; j++)
			;
		size_t n = j - i;
		cap *c = &caps[code];
		c->on = true;
		c->n = (uint32_t)n;
		if (b->cap == CAP_SD) {
			c->value = sd_cap(b, cx, s, ord + i, n);
		} else {
			/* nearest rank: ⌈p/100 × N⌉, at least 1 */
			qsort_r(ord + i, n, sizeof *ord, cmp_spend, s);
			remit__num x = remit__num_div(
				cx->pool, remit__num_mul(cx->pool, b->cap_value, remit__num_int((int64_t)n)),
				remit__num_int(100));
			int64_t rank = 1;
			remit__num_to_i64(remit__num_round(cx->pool, x, 0, REMIT__CEILING), &rank);
			if (rank < 1)
				rank = 1;
			if ((size_t)rank > n)
				rank = (int64_t)n;
			c->value = remit__sum_get(&s->spend[ord[i + (size_t)rank - 1]],
						  cx->regime->scale, s->keep);
		}
		remit__numpool_reset(cx->pool);
	}
	free(ord);
	free(at);
	return caps;
}

static void reconcile(const bundle *b, remit__ctx *cx, const run_state *s, uint32_t e,
		      const cap *c)
{
	const episode *ep = &s->eps[e];
	int scale = cx->regime->scale;
	remit__numpool *pool = cx->pool;
	remit__num spend = remit__sum_get(&s->spend[e], scale, pool), used = spend;
	bool capped = c->on && remit__num_cmp(spend, c->value) > 0;
	if (capped)
		used = c->value;
	remit__num target = b->book.amount[ep->code];
	remit__num dt = remit__num_mul(pool, target, remit__num_sub(pool, REMIT__NUM_ONE, b->discount));
	remit__num raw = remit__num_sub(pool, dt, used), v = raw;
	const char *limit = NULL; /* which limit applied, and its rate */
	remit__num rate = REMIT__NUM_ZERO, bound;
	if (b->has_gain && remit__num_cmp(v, bound = remit__num_mul(pool, b->stop_gain, dt)) > 0) {
		v = bound;
		limit = "stop-gain";
		rate = b->stop_gain;
	}
	if (b->has_loss &&
	    remit__num_cmp(v, bound = remit__num_neg(pool, remit__num_mul(pool, b->stop_loss, dt))) < 0) {
		v = bound;
		limit = "stop-loss";
		rate = b->stop_loss;
	}
	remit__pline l;
	remit__pline_init(&l, &b->base, "reconciliation");
	l.amount = remit__round_line(cx, v);
	l.comp[REMIT_C_RECONCILIATION] = v;
	l.comp[REMIT_C_ROUNDING] = remit__num_sub(pool, l.amount, v);
	l.payer = org(cx, ep->payer);
	l.payee = org(cx, ep->holder);
	const char *patient = remit__strtab_str(cx->patients, ep->patient);
	l.patient = (remit__str){patient, (uint32_t)strlen(patient)};
	l.activity = (remit__str){ep->id, (uint32_t)strlen(ep->id)};
	char text[sizeof cx->basis];
	text[0] = '\0';
	if (cx->detail) {
		size_t len = 0;
		int k = snprintf(text, sizeof text, "%s target %s", book_code(b, ep->code),
				 remit__fmt_amount(cx, target));
		len = k > 0 ? (size_t)k : 0;
		if (remit__num_sign(b->discount) && len < sizeof text)
			len += (size_t)snprintf(text + len, sizeof text - len, " × (1 − %s) = %s",
						remit__fmt_pct(cx, b->discount),
						remit__fmt_amount(cx, dt));
		if (len < sizeof text)
			len += (size_t)snprintf(text + len, sizeof text - len, " − spend %s",
						remit__fmt_amount(cx, spend));
		if (capped && len < sizeof text)
			len += (size_t)snprintf(
				text + len, sizeof text - len, " capped at %s (%s %s of %u episodes)",
				remit__fmt_amount(cx, c->value),
				b->cap == CAP_SD ? "mean + sd ×" : "percentile",
				remit__fmt(cx, b->cap_value), c->n);
		if (len < sizeof text)
			len += (size_t)snprintf(text + len, sizeof text - len, " = %s",
						remit__fmt_amount(cx, raw));
		if (limit && len < sizeof text)
			snprintf(text + len, sizeof text - len, "; limited by %s %s of %s", limit,
				 remit__fmt_pct(cx, rate), remit__fmt_amount(cx, dt));
	}
	l.basis = text;
	remit__emit(cx, &l);
}

static void bundle_finish(const remit__module *m, remit__ctx *cx)
{
	const bundle *b = (const bundle *)m;
	run_state *s = remit__state(cx, m);
	ready(b, s);
	if (b->mode != RETROSPECTIVE || !s->neps)
		return;
	cap *caps = outlier_caps(b, cx, s);
	for (size_t i = 0; i < s->neps; i++) {
		uint32_t e = s->byanchor[i];
		reconcile(b, cx, s, e, &caps[s->eps[e].code]);
		remit__numpool_reset(cx->pool);
	}
	free(caps);
}

const remit__module_type remit__bundle_module = {
	.version = REMIT__MODULE_VERSION,
	.name = "bundle",
	.keys = bundle_keys,
	.parse = bundle_parse,
	.link = bundle_link,
	.claims = bundle_claims,
	.run_begin = bundle_run_begin,
	.run_end = bundle_run_end,
	.scan = bundle_scan,
	.patient = bundle_patient,
	.scan_fork = bundle_scan_fork,
	.scan_join = bundle_scan_join,
	.observe = bundle_observe,
	.price = bundle_price,
	.finish = bundle_finish,
	.run_fork = bundle_run_fork,
	.run_join = bundle_run_join,
	.free = bundle_free,
};
