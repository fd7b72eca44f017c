/*
 * tariff.c — payment by results (RULES.md, module `tariff`).
 *
 * Each activity row the module owns is priced in the spec's order:
 *
 *   base price (code × pod, with pod_fallback)
 *   → short-stay reduction, or long-stay excess bed days
 *   → top-ups (rates of all matching top-ups, × the result)
 *   → uplifts and add-ons (fixed amounts)
 *   → × market forces factor of the provider
 *   → × quantity
 *   → readmission rule (× pay)
 *   → round at the regime's scale
 *
 * with optional roundings after named steps (`rounds`).  Every step's
 * effect is kept exactly as a component of the line (base, long_stay,
 * short_stay, topups, uplifts, addons, market_forces, quantity,
 * readmission, rounding), so the components sum exactly to the amount.
 *
 * After all rows, two organisation-level lines per (commissioner,
 * provider): `marginal` (value of the marginal pods above the provider's
 * baseline paid at `rate`) and `quality` (a percentage of the module's
 * total).  Readmissions need each patient's earlier discharges: the module
 * tags rows in the engine's per-patient pre-pass and marks readmitted rows
 * in a bitset.
 */
#include "engine.h"
#include "mff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum step { STEP_BASE, STEP_STAY, STEP_TOPUPS, STEP_UPLIFTS, STEP_MFF, STEP_QUANTITY, NSTEPS };
static const char *const step_names[NSTEPS] = {"base", "stay", "topups",
					       "uplifts", "mff", "quantity"};

/* A price's quick form (quick_quote): price and excess_day as whole
 * numbers of 10^-qexp, and the long stay's trim. */
typedef struct quick_price {
	int64_t qprice, qexcess;
	int64_t trim;
	int32_t qexp;
	bool quick;     /* the quick form exists */
	bool has_long;  /* trim and excess_day given */
} quick_price;

typedef struct price {
	quick_price q;
	remit__num price;
	remit__num excess_day;
	bool has_ss_price, has_ss_rate;
	remit__num ss_price, ss_rate;
	const char *where; /* "file:line" of the row, for explain */
	uint32_t podn;     /* bytes of its pod (its key is "pod\x1fcode") */
} price;

typedef struct podlist {
	const char **v;
	size_t n;
	uint32_t *len;   /* of each v[i] */
	remit__skey *k;  /* short key of each v[i] (arena.h), for len <= REMIT__SKEY_MAX */
} podlist;

typedef struct rule {
	const char *name;
	remit__pred *when;
	remit__num value; /* top-up rate or uplift amount */
} rule;

typedef struct addon {
	const char *name;
	int field; /* a LIST field of the activity schema */
	remit__strtab codes;
	remit__num *prices; /* by code id */
} addon;

typedef struct rounding {
	bool on;
	int scale;
	remit__rmode mode;
} rounding;

/* The price index for short codes: the code's key and its pod's id next
 * to its price's index, so that a lookup touches one cache line (a slot
 * is one, aligned: 56 bytes packed would straddle two lines in two of
 * three slots). */
typedef struct pslot {
	remit__skey k;  /* of the code */
	uint16_t len;   /* of the code */
	uint16_t pod;   /* id in tariff.pod_k */
	uint32_t k1;    /* index in prices + 1; 0 = empty */
	quick_price q;  /* prices[k1 - 1].q, here so that quick_quote reads one place */
} __attribute__((aligned(64))) pslot;

_Static_assert(sizeof(pslot) == 64, "an index slot is one cache line");

#define POD_MAX 64 /* pods of a price table indexed by id */

typedef struct tariff {
	remit__module base;
	remit__pred *covers;
	remit__strtab keys; /* "pod\x1fcode" → index in prices */
	pslot *pindex;      /* prices whose code has at most REMIT__SKEY_MAX bytes;
			       NULL: look every price up in keys */
	uint32_t pmask;
	remit__skey pod_k[POD_MAX]; /* the pods of the prices, by id */
	uint32_t pod_len[POD_MAX];
	uint32_t npods;
	price *prices;
	const char *prices_file;
	struct {
		const char **from, **to;
		size_t n;
	} fallback;
	remit__mff mff; /* of the provider */
	podlist long_pods;
	bool has_short;
	podlist short_pods;
	int64_t short_max_los;
	bool has_short_min_age;
	int64_t short_min_age;
	rule *topups, *uplifts;
	size_t ntopups, nuplifts;
	addon *addons;
	size_t naddons;
	bool has_readmission;
	int64_t readmit_within;
	podlist readmit_pods, readmit_after;
	remit__num readmit_pay;
	bool has_marginal;
	podlist marginal_pods;
	const remit__table *baseline;
	remit__num *baseline_values;
	remit__num marginal_rate;
	bool has_quality;
	remit__num quality_rate;
	rounding rounds[NSTEPS];
	bool quick; /* no rule but price, stays, MFF, readmission (quick_quote) */
} tariff;

/* ---- parsing ----------------------------------------------------------- */

static const remit__key tariff_keys[] = {
	{"covers", true},    {"prices", true},     {"pod_fallback", false}, {"mff", false},
	{"long_stay", false}, {"short_stay", false}, {"topups", false},     {"uplifts", false},
	{"addons", false},   {"readmission", false}, {"marginal", false},  {"quality", false},
	{"rounds", false},   {NULL, false}};

static const char *sub(remit__loader *L, const char *ctx, const char *key)
{
	return remit__sprintf(remit__loader_arena(L), "%s.%s", ctx, key);
}

static yaml_node_t *item(remit__loader *L, const yaml_node_t *seq, size_t i)
{
	return yaml_document_get_node(L->doc, seq->data.sequence.items.start[i]);
}

static size_t seq_len(const yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE
		       ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
		       : 0;
}

/* The lengths of a list's pods, so that a row's pod is compared without
 * strlen. */
static void pod_lens(remit__loader *L, podlist *l)
{
	l->len = remit__alloc(remit__loader_arena(L), (l->n + 1) * sizeof *l->len);
	l->k = remit__alloc(remit__loader_arena(L), (l->n + 1) * sizeof *l->k);
	for (size_t i = 0; i < l->n; i++) {
		l->len[i] = (uint32_t)strlen(l->v[i]);
		l->k[i] = l->len[i] <= REMIT__SKEY_MAX ? remit__skey_of(l->v[i], l->len[i])
						       : (remit__skey){0, 0};
	}
}

static bool pods(remit__loader *L, const yaml_node_t *n, const char *ctx, podlist *out)
{
	if (!remit__cfg_strlist(L, n, ctx, &out->v, &out->n))
		return false;
	pod_lens(L, out);
	return true;
}

static bool pod_in(const podlist *l, remit__str pod)
{
	if (pod.n <= REMIT__SKEY_MAX) {
		remit__skey k = remit__skey_of(pod.p, pod.n);
		for (size_t i = 0; i < l->n; i++)
			if (pod.n == l->len[i] && remit__skey_eq(k, l->k[i]))
				return true;
		return false;
	}
	for (size_t i = 0; i < l->n; i++)
		if (pod.n == l->len[i] && memcmp(pod.p, l->v[i], pod.n) == 0)
			return true;
	return false;
}

/* The index key of a price row: "pod\x1fcode"; false if too long. */
static bool price_key(char *buf, size_t cap, const char *pod, size_t podn, const char *code,
		      size_t coden, size_t *len)
{
	if (podn + coden + 1 > cap)
		return false;
	memcpy(buf, pod, podn);
	buf[podn] = '\x1f';
	memcpy(buf + podn + 1, code, coden);
	*len = podn + 1 + coden;
	return true;
}

/* The pod's id among the tariff's pods, or -1 (no price has it). */
static inline int pod_id(const tariff *t, const char *pod, size_t podn)
{
	if (podn > REMIT__SKEY_MAX)
		return -1;
	remit__skey k = remit__skey_of(pod, podn);
	for (uint32_t i = 0; i < t->npods; i++)
		if (t->pod_len[i] == podn && remit__skey_eq(t->pod_k[i], k))
			return (int)i;
	return -1;
}

static inline uint32_t pslot_home(const tariff *t, remit__skey k, size_t coden, int pod)
{
	return (uint32_t)(remit__skey_hash(k, coden) ^ (uint64_t)(pod + 1) * 0x9e3779b97f4a7c15ull) &
	       t->pmask;
}

/* The index slot of (pod, code), t->pindex and coden ≤ REMIT__SKEY_MAX;
 * NULL if there is none.  Found by the code's key and the pod's id, with
 * no key built in memory (bytes stored one way and loaded another stall
 * the processor). */
static inline __attribute__((always_inline)) const pslot *
slot_find(const tariff *t, const char *pod, size_t podn, const char *code, size_t coden)
{
	int pid = pod_id(t, pod, podn);
	if (pid < 0)
		return NULL;
	remit__skey k = remit__skey_of(code, coden);
	for (uint32_t i = pslot_home(t, k, coden, pid); t->pindex[i].k1; i = (i + 1) & t->pmask) {
		const pslot *e = &t->pindex[i];
		if (e->len == coden && e->pod == pid && remit__skey_eq(e->k, k))
			return e;
	}
	return NULL;
}

/* The price of (pod, code), by index in prices, or UINT32_MAX: a short
 * code through the index, a long one by its whole key "pod\x1fcode". */
static inline __attribute__((always_inline)) uint32_t
price_find(const tariff *t, const char *pod, size_t podn, const char *code, size_t coden)
{
	if (t->pindex && coden <= REMIT__SKEY_MAX) {
		const pslot *e = slot_find(t, pod, podn, code, coden);
		return e ? e->k1 - 1 : UINT32_MAX;
	}
	char buf[512];
	size_t len;
	if (!price_key(buf, sizeof buf, pod, podn, code, coden, &len))
		return UINT32_MAX;
	return remit__strtab_find(&t->keys, buf, len);
}

/* Index the prices with short codes by (code, pod id), after all are read;
 * none if a pod is long or there are more than POD_MAX of them (the whole
 * keys' table then finds every price). */
static void price_index(remit__loader *L, tariff *t)
{
	t->npods = 0;
	for (uint32_t id = 0; id < t->keys.n; id++) {
		const char *pod = t->keys.strs[id];
		size_t podn = t->prices[id].podn;
		if (podn > REMIT__SKEY_MAX)
			return;
		if (pod_id(t, pod, podn) >= 0)
			continue;
		if (t->npods == POD_MAX)
			return;
		t->pod_k[t->npods] = remit__skey_of(pod, podn);
		t->pod_len[t->npods++] = (uint32_t)podn;
	}
	/* at most a quarter full: a probe that meets another price's slot
	   costs a cache line, and a price is found in 1.2 slots on average
	   (1.5 half full); 15,000 prices take 4 MiB */
	uint32_t cap = 16;
	while (cap < t->keys.n * 4u + 2)
		cap *= 2;
	char *at = remit__zalloc(remit__loader_arena(L), cap * sizeof *t->pindex + 63);
	t->pindex = (pslot *)(((uintptr_t)at + 63) & ~(uintptr_t)63); /* on cache lines */
	t->pmask = cap - 1;
	for (uint32_t id = 0; id < t->keys.n; id++) {
		size_t podn = t->prices[id].podn, coden = t->keys.lens[id] - podn - 1;
		if (coden > REMIT__SKEY_MAX)
			continue;
		int pid = pod_id(t, t->keys.strs[id], podn);
		remit__skey k = remit__skey_of(t->keys.strs[id] + podn + 1, coden);
		uint32_t i = pslot_home(t, k, coden, pid);
		while (t->pindex[i].k1)
			i = (i + 1) & t->pmask;
		t->pindex[i] = (pslot){k, (uint16_t)coden, (uint16_t)pid, id + 1, t->prices[id].q};
	}
}

/* A typed cell of a CSV or inline table; empty cells are "absent". */
static bool cell_num(remit__loader *L, const remit__table *t, uint32_t r, int c, const char *ctx,
		     unsigned allow, bool *present, remit__num *out)
{
	*present = false;
	if (c < 0)
		return true;
	const char *s = remit__table_cell(t, r, (uint32_t)c);
	if (!*s)
		return true;
	unsigned long line, col;
	remit__table_pos(t, r, (uint32_t)c, &line, &col);
	int rc = remit__num_parse(s, strlen(s), allow, L->regime->consts, out);
	if (rc == REMIT__PARSE_EZERODIV) {
		remit__rules_error_at(L, (remit__mark){t->cells_file, line, col},
				      "%s: %s: division by zero in \"%s\"", ctx, t->columns[c], s);
		return false;
	}
	if (rc < 0) {
		remit__rules_error_at(L, (remit__mark){t->cells_file, line, col},
				      "%s: %s: expected %s, got \"%s\"", ctx, t->columns[c],
				      allow == REMIT__PARSE_DECIMAL ? "a decimal amount"
								    : "a percentage or a factor",
				      s);
		return false;
	}
	*present = true;
	return true;
}

/* v (small) as a whole number of 10^-exp, exp ≥ v.exp; false if it does
 * not fit 64 bits. */
static bool units_at(remit__num v, int32_t exp, int64_t *out)
{
	if (v.big || exp < v.exp)
		return false;
	int64_t c = v.coef;
	for (int32_t e = v.exp; e < exp; e++)
		if (__builtin_mul_overflow(c, 10, &c))
			return false;
	*out = c;
	return true;
}

/* The quick form of a price row: price and excess_day on one exponent. */
static void quick_form(price *p)
{
	remit__num x = p->q.has_long ? p->excess_day : REMIT__NUM_ZERO;
	p->q.qexp = p->price.exp > x.exp ? p->price.exp : x.exp;
	p->q.quick = !p->price.big && !x.big && units_at(p->price, p->q.qexp, &p->q.qprice) &&
		     units_at(x, p->q.qexp, &p->q.qexcess);
}

static bool parse_price_row(remit__loader *L, tariff *t, const remit__table *tb, uint32_t r,
			    const int *col, const char *ctx)
{
	price p = {0};
	bool ok = true, has_trim, has_excess, has_price;
	remit__num trim;
	ok &= cell_num(L, tb, r, col[2], ctx, REMIT__PARSE_DECIMAL, &has_price, &p.price);
	ok &= cell_num(L, tb, r, col[3], ctx, REMIT__PARSE_DECIMAL, &has_trim, &trim);
	ok &= cell_num(L, tb, r, col[4], ctx, REMIT__PARSE_DECIMAL, &has_excess, &p.excess_day);
	ok &= cell_num(L, tb, r, col[5], ctx, REMIT__PARSE_DECIMAL, &p.has_ss_price, &p.ss_price);
	ok &= cell_num(L, tb, r, col[6], ctx, REMIT__PARSE_FACTOR, &p.has_ss_rate, &p.ss_rate);
	unsigned long line, c;
	remit__table_pos(tb, r, 0, &line, &c);
	remit__mark m = {tb->cells_file, line, c};
	if (ok && !has_price) {
		remit__rules_error_at(L, m, "%s: price: required", ctx);
		return false;
	}
	if (ok && has_trim && (!remit__num_to_i64(trim, &p.q.trim) || p.q.trim < 0)) {
		remit__rules_error_at(L, m, "%s: trim: expected a whole number of days ≥ 0", ctx);
		return false;
	}
	if (ok && has_trim != has_excess) {
		remit__rules_error_at(L, m, "%s: trim and excess_day must be given together", ctx);
		return false;
	}
	if (ok && p.has_ss_rate &&
	    (remit__num_sign(p.ss_rate) < 0 || remit__num_cmp(p.ss_rate, REMIT__NUM_ONE) > 0)) {
		remit__rules_error_at(L, m, "%s: short_stay: expected a percentage from 0%% to 100%%",
				      ctx);
		return false;
	}
	p.q.has_long = has_trim;
	quick_form(&p);
	p.where = remit__sprintf(remit__loader_arena(L), "%s:%lu", tb->cells_file, line);
	const char *code = remit__table_cell(tb, r, (uint32_t)col[0]);
	const char *pod = remit__table_cell(tb, r, (uint32_t)col[1]);
	char buf[512];
	size_t len;
	if (!*code || !*pod || !price_key(buf, sizeof buf, pod, strlen(pod), code, strlen(code), &len)) {
		remit__rules_error_at(L, m, "%s: expected a code and a pod", ctx);
		return false;
	}
	uint32_t before = t->keys.n;
	uint32_t k = remit__intern(&t->keys, buf, len);
	if (k < before) {
		remit__rules_error_at(L, m, "%s: code %s pod %s is priced twice (first at %s)", ctx,
				      code, pod, t->prices[k].where);
		return false;
	}
	p.podn = (uint32_t)strlen(pod);
	t->prices[k] = p;
	return ok;
}

static bool parse_prices(remit__loader *L, tariff *t, const yaml_node_t *n, const char *ctx)
{
	static const char *const cols[] = {"code",  "pod", "price", "trim", "excess_day",
					   "short_stay_price", "short_stay"};
	remit__table *tb;
	if (!remit__cfg_table(L, n, ctx, NULL, NULL, &tb))
		return false;
	int col[7];
	bool ok = true;
	for (int i = 0; i < 7; i++) {
		col[i] = remit__table_column(tb, cols[i]);
		if (i < 3 && col[i] < 0) {
			remit__rules_error(L, n, "%s: the price table has no '%s' column", ctx,
					   cols[i]);
			ok = false;
		}
	}
	for (uint32_t c = 0; c < tb->ncols; c++) {
		bool known = !strcmp(tb->columns[c], "description") || !strcmp(tb->columns[c], "name");
		for (int i = 0; i < 7; i++)
			known |= !strcmp(tb->columns[c], cols[i]);
		if (!known) {
			remit__rules_error(L, n,
					   "%s: unknown column '%s'; expected code, pod, price, trim, "
					   "excess_day, short_stay_price, short_stay (or description)",
					   ctx, tb->columns[c]);
			ok = false;
		}
	}
	if (!ok)
		return false;
	t->prices = remit__zalloc(remit__loader_arena(L), (tb->nrows + 1) * sizeof *t->prices);
	t->prices_file = tb->cells_file;
	for (uint32_t r = 0; r < tb->nrows; r++)
		ok &= parse_price_row(L, t, tb, r, col, ctx);
	if (ok)
		price_index(L, t);
	return ok;
}

static bool parse_fallback(remit__loader *L, tariff *t, const yaml_node_t *n, const char *ctx)
{
	if (n->type != YAML_MAPPING_NODE) {
		remit__rules_error(L, n, "%s: expected a mapping such as {DC: EL}, got %s", ctx,
				   remit__node_desc(L, n));
		return false;
	}
	size_t k = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	t->fallback.from = remit__alloc(remit__loader_arena(L), (k + 1) * sizeof(char *));
	t->fallback.to = remit__alloc(remit__loader_arena(L), (k + 1) * sizeof(char *));
	bool ok = true;
	for (size_t i = 0; i < k; i++) {
		yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
		ok &= remit__cfg_str(L, yaml_document_get_node(L->doc, p->key), ctx,
				     &t->fallback.from[i]);
		ok &= remit__cfg_str(L, yaml_document_get_node(L->doc, p->value), ctx,
				     &t->fallback.to[i]);
	}
	t->fallback.n = k;
	return ok;
}

/* Amounts of a regime table's value column, typed once. */
static remit__num *table_values(remit__loader *L, const remit__table *tb, const yaml_node_t *n,
				const char *ctx)
{
	if (tb->value < 0) {
		remit__rules_error(L, n, "%s: table '%s' has no value column (give it 'column:')",
				   ctx, tb->name);
		return NULL;
	}
	remit__num *v = remit__alloc(remit__loader_arena(L), (tb->nrows + 1) * sizeof *v);
	bool ok = true, present;
	for (uint32_t r = 0; r < tb->nrows; r++) {
		if (!cell_num(L, tb, r, tb->value, ctx, REMIT__PARSE_DECIMAL, &present, &v[r])) {
			ok = false;
		} else if (!present) {
			unsigned long line, col;
			remit__table_pos(tb, r, (uint32_t)tb->value, &line, &col);
			remit__rules_error_at(L, (remit__mark){tb->cells_file, line, col},
					      "%s: %s: expected a value", ctx,
					      tb->columns[tb->value]);
			ok = false;
		}
	}
	return ok ? v : NULL;
}

static bool parse_short_stay(remit__loader *L, tariff *t, const yaml_node_t *n, const char *ctx)
{
	static const remit__key keys[] = {
		{"pods", true}, {"max_los", true}, {"min_age", false}, {NULL, false}};
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	bool ok = pods(L, remit__cfg_get(L, n, "pods"), sub(L, ctx, "pods"), &t->short_pods);
	ok &= remit__cfg_int(L, remit__cfg_get(L, n, "max_los"), sub(L, ctx, "max_los"), 0, 36500,
			     &t->short_max_los);
	yaml_node_t *a = remit__cfg_get(L, n, "min_age");
	if (a)
		ok &= t->has_short_min_age =
			remit__cfg_int(L, a, sub(L, ctx, "min_age"), 0, 130, &t->short_min_age);
	t->has_short = ok;
	return ok;
}

/* topups: [{name, when, rate}] and uplifts: [{name, when, add}] */
static bool parse_rules(remit__loader *L, const yaml_node_t *n, const char *ctx,
			const char *value_key, rule **out, size_t *count)
{
	const remit__key keys[] = {
		{"name", true}, {"when", true}, {value_key, true}, {NULL, false}};
	if (n->type != YAML_SEQUENCE_NODE) {
		remit__rules_error(L, n, "%s: expected a list of {name, when, %s}, got %s", ctx,
				   value_key, remit__node_desc(L, n));
		return false;
	}
	size_t k = seq_len(n);
	rule *v = remit__zalloc(remit__loader_arena(L), (k + 1) * sizeof *v);
	bool ok = true;
	for (size_t i = 0; i < k; i++) {
		yaml_node_t *e = item(L, n, i);
		const char *c = remit__sprintf(remit__loader_arena(L), "%s[%zu]", ctx, i);
		if (!remit__cfg_keys(L, e, keys, c)) {
			ok = false;
			continue;
		}
		ok &= remit__cfg_str(L, remit__cfg_get(L, e, "name"), sub(L, c, "name"), &v[i].name);
		ok &= remit__cfg_pred(L, remit__cfg_get(L, e, "when"), sub(L, c, "when"),
				      &remit__activity_schema, &v[i].when);
		yaml_node_t *val = remit__cfg_get(L, e, value_key);
		if (!strcmp(value_key, "rate"))
			ok &= remit__cfg_rate(L, val, sub(L, c, value_key), &v[i].value);
		else
			ok &= remit__cfg_amount(L, val, sub(L, c, value_key), &v[i].value);
	}
	*out = v;
	*count = k;
	return ok;
}

static bool parse_addons(remit__loader *L, tariff *t, const yaml_node_t *n, const char *ctx)
{
	static const remit__key keys[] = {
		{"name", true}, {"field", true}, {"prices", true}, {NULL, false}};
	if (n->type != YAML_SEQUENCE_NODE) {
		remit__rules_error(L, n, "%s: expected a list of {name, field, prices}, got %s", ctx,
				   remit__node_desc(L, n));
		return false;
	}
	size_t k = seq_len(n);
	t->addons = remit__zalloc(remit__loader_arena(L), (k + 1) * sizeof *t->addons);
	t->naddons = k;
	bool ok = true;
	for (size_t i = 0; i < k; i++) {
		addon *a = &t->addons[i];
		yaml_node_t *e = item(L, n, i);
		const char *c = remit__sprintf(remit__loader_arena(L), "%s[%zu]", ctx, i);
		const char *field;
		if (!remit__cfg_keys(L, e, keys, c)) {
			ok = false;
			continue;
		}
		ok &= remit__cfg_str(L, remit__cfg_get(L, e, "name"), sub(L, c, "name"), &a->name);
		yaml_node_t *fn = remit__cfg_get(L, e, "field");
		if (remit__cfg_str(L, fn, sub(L, c, "field"), &field)) {
			a->field = remit__schema_find(&remit__activity_schema, field, strlen(field));
			if (a->field < 0 ||
			    remit__activity_schema.fields[a->field].type != REMIT__T_LIST) {
				remit__rules_error(L, fn,
						   "%s.field: expected a list field (diagnoses, "
						   "procedures or flags), got \"%s\"",
						   c, field);
				ok = false;
			}
		} else {
			ok = false;
		}
		yaml_node_t *pn = remit__cfg_get(L, e, "prices");
		if (!pn || pn->type != YAML_MAPPING_NODE) {
			remit__rules_error(L, pn, "%s.prices: expected a mapping {CODE: amount, ...}, got %s",
					   c, remit__node_desc(L, pn));
			ok = false;
			continue;
		}
		size_t np = (size_t)(pn->data.mapping.pairs.top - pn->data.mapping.pairs.start);
		a->prices = remit__alloc(remit__loader_arena(L), (np + 1) * sizeof *a->prices);
		for (size_t j = 0; j < np; j++) {
			yaml_node_pair_t *p = &pn->data.mapping.pairs.start[j];
			const char *code;
			if (!remit__cfg_str(L, yaml_document_get_node(L->doc, p->key),
					    sub(L, c, "prices"), &code)) {
				ok = false;
				continue;
			}
			uint32_t id = remit__intern(&a->codes, code, strlen(code));
			ok &= remit__cfg_amount(L, yaml_document_get_node(L->doc, p->value),
						remit__sprintf(remit__loader_arena(L), "%s.prices.%s",
							       c, code),
						&a->prices[id]);
		}
	}
	return ok;
}

static bool parse_readmission(remit__loader *L, tariff *t, const yaml_node_t *n,
			      const char *ctx)
{
	static const remit__key keys[] = {{"within", true}, {"pods", true}, {"pay", true},
					  {"after", false}, {NULL, false}};
	static const char *admitted[] = {"EL", "DC", "NE"};
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	bool ok = remit__cfg_int(L, remit__cfg_get(L, n, "within"), sub(L, ctx, "within"), 0,
				 3650, &t->readmit_within);
	ok &= pods(L, remit__cfg_get(L, n, "pods"), sub(L, ctx, "pods"), &t->readmit_pods);
	ok &= remit__cfg_share(L, remit__cfg_get(L, n, "pay"), sub(L, ctx, "pay"), &t->readmit_pay);
	yaml_node_t *after = remit__cfg_get(L, n, "after");
	if (after) {
		ok &= pods(L, after, sub(L, ctx, "after"), &t->readmit_after);
	} else {
		t->readmit_after.v = admitted;
		t->readmit_after.n = 3;
		pod_lens(L, &t->readmit_after);
	}
	t->has_readmission = ok;
	return ok;
}

static bool parse_marginal(remit__loader *L, tariff *t, const yaml_node_t *n, const char *ctx)
{
	static const remit__key keys[] = {
		{"pods", true}, {"baseline", true}, {"rate", true}, {NULL, false}};
	static const remit__key bkeys[] = {{"table", true}, {NULL, false}};
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	bool ok = pods(L, remit__cfg_get(L, n, "pods"), sub(L, ctx, "pods"), &t->marginal_pods);
	ok &= remit__cfg_share(L, remit__cfg_get(L, n, "rate"), sub(L, ctx, "rate"),
			       &t->marginal_rate);
	yaml_node_t *b = remit__cfg_get(L, n, "baseline");
	const char *bctx = sub(L, ctx, "baseline");
	if (!remit__cfg_keys(L, b, bkeys, bctx))
		return false;
	t->baseline = remit__cfg_table_ref(L, remit__cfg_get(L, b, "table"), sub(L, bctx, "table"));
	if (t->baseline)
		t->baseline_values = table_values(L, t->baseline, b, bctx);
	t->has_marginal = ok && t->baseline_values;
	return t->has_marginal;
}

static bool parse_rounds(remit__loader *L, tariff *t, const yaml_node_t *n, const char *ctx)
{
	static const remit__key keys[] = {
		{"after", true}, {"scale", true}, {"mode", true}, {NULL, false}};
	if (n->type != YAML_SEQUENCE_NODE) {
		remit__rules_error(L, n, "%s: expected a list of {after, scale, mode}, got %s", ctx,
				   remit__node_desc(L, n));
		return false;
	}
	bool ok = true;
	for (size_t i = 0; i < seq_len(n); i++) {
		yaml_node_t *e = item(L, n, i);
		const char *c = remit__sprintf(remit__loader_arena(L), "%s[%zu]", ctx, i);
		if (!remit__cfg_keys(L, e, keys, c)) {
			ok = false;
			continue;
		}
		yaml_node_t *an = remit__cfg_get(L, e, "after");
		const char *after;
		int s = -1;
		if (remit__cfg_str(L, an, sub(L, c, "after"), &after))
			for (int k = 0; k < NSTEPS; k++)
				if (!strcmp(after, step_names[k]))
					s = k;
		if (s < 0) {
			remit__rules_error(L, an,
					   "%s.after: expected base, stay, topups, uplifts, mff or "
					   "quantity, got %s",
					   c, remit__node_desc(L, an));
			ok = false;
			continue;
		}
		if (t->rounds[s].on) {
			remit__rules_error(L, an, "%s.after: %s is rounded twice", c, after);
			ok = false;
			continue;
		}
		int64_t scale;
		const char *mode;
		yaml_node_t *mn = remit__cfg_get(L, e, "mode");
		bool good = remit__cfg_int(L, remit__cfg_get(L, e, "scale"), sub(L, c, "scale"), -18,
					   18, &scale);
		if (remit__cfg_str(L, mn, sub(L, c, "mode"), &mode) &&
		    !remit__rmode_parse(mode, strlen(mode), &t->rounds[s].mode)) {
			remit__rules_error(L, mn,
					   "%s.mode: expected half-up, half-even, half-down, up, down, "
					   "floor or ceiling, got %s",
					   c, remit__node_desc(L, mn));
			good = false;
		}
		t->rounds[s].on = good;
		t->rounds[s].scale = (int)scale;
		ok &= good;
	}
	return ok;
}

static remit__module *tariff_parse(remit__loader *L, const yaml_node_t *map)
{
	tariff *t = remit__zalloc(remit__loader_arena(L), sizeof *t);
	yaml_node_t *n;
	bool ok = remit__cfg_pred(L, remit__cfg_get(L, map, "covers"), "tariff.covers",
				  &remit__activity_schema, &t->covers);
	ok &= parse_prices(L, t, remit__cfg_get(L, map, "prices"), "tariff.prices");
	if ((n = remit__cfg_get(L, map, "pod_fallback")))
		ok &= parse_fallback(L, t, n, "tariff.pod_fallback");
	if ((n = remit__cfg_get(L, map, "mff")))
		ok &= remit__mff_parse(L, n, "tariff.mff", &(remit__mff_opts){.typed_cells = true},
				       &t->mff);
	if ((n = remit__cfg_get(L, map, "long_stay"))) {
		static const remit__key keys[] = {{"pods", true}, {NULL, false}};
		ok &= remit__cfg_keys(L, n, keys, "tariff.long_stay") &&
		      pods(L, remit__cfg_get(L, n, "pods"), "tariff.long_stay.pods", &t->long_pods);
	}
	if ((n = remit__cfg_get(L, map, "short_stay")))
		ok &= parse_short_stay(L, t, n, "tariff.short_stay");
	if ((n = remit__cfg_get(L, map, "topups")))
		ok &= parse_rules(L, n, "tariff.topups", "rate", &t->topups, &t->ntopups);
	if ((n = remit__cfg_get(L, map, "uplifts")))
		ok &= parse_rules(L, n, "tariff.uplifts", "add", &t->uplifts, &t->nuplifts);
	if ((n = remit__cfg_get(L, map, "addons")))
		ok &= parse_addons(L, t, n, "tariff.addons");
	if ((n = remit__cfg_get(L, map, "readmission")))
		ok &= parse_readmission(L, t, n, "tariff.readmission");
	if ((n = remit__cfg_get(L, map, "marginal")))
		ok &= parse_marginal(L, t, n, "tariff.marginal");
	if ((n = remit__cfg_get(L, map, "quality"))) {
		static const remit__key keys[] = {{"rate", true}, {NULL, false}};
		ok &= t->has_quality = remit__cfg_keys(L, n, keys, "tariff.quality") &&
				       remit__cfg_share(L, remit__cfg_get(L, n, "rate"),
							"tariff.quality.rate", &t->quality_rate);
	}
	if ((n = remit__cfg_get(L, map, "rounds")))
		ok &= parse_rounds(L, t, n, "tariff.rounds");
	t->base.covers = t->covers;
	t->base.per_patient = t->has_readmission;
	t->quick = !t->ntopups && !t->nuplifts && !t->naddons;
	for (int s = 0; s < NSTEPS; s++)
		t->quick &= !t->rounds[s].on;
	if (!ok) {
		/* Errors are reported; free what owns heap memory and give up. */
		remit__strtab_free(&t->keys);
		for (size_t i = 0; i < t->naddons; i++)
			remit__strtab_free(&t->addons[i].codes);
		return NULL;
	}
	return &t->base;
}

static void tariff_free(remit__module *m)
{
	tariff *t = (tariff *)m;
	remit__strtab_free(&t->keys);
	for (size_t i = 0; i < t->naddons; i++)
		remit__strtab_free(&t->addons[i].codes);
}

/* ---- run state ---------------------------------------------------------- */

/* Activity totals per (payer, payee), for the marginal and quality lines. */
typedef struct pair_total {
	uint32_t payer, payee;
	remit__sum all, marginal;
} pair_total;

typedef struct run_state {
	uint64_t *readmitted; /* bit per row ordinal */
	size_t words;
	bool shared;          /* a part's state (run_fork): readmitted is the run's */
	remit__strtab names;  /* payers and payees of the pairs */
	uint32_t *slots; /* (payer, payee) → index + 1 */
	uint32_t mask;
	pair_total *pairs;
	uint32_t npairs, cap;
} run_state;

static void *tariff_run_begin(const remit__module *m, remit__ctx *cx)
{
	(void)m;
	(void)cx;
	return remit__xcalloc(1, sizeof(run_state));
}

static void tariff_run_end(const remit__module *m, void *state)
{
	run_state *s = state;
	(void)m;
	for (uint32_t i = 0; i < s->npairs; i++) {
		remit__sum_clear(&s->pairs[i].all);
		remit__sum_clear(&s->pairs[i].marginal);
	}
	free(s->pairs);
	free(s->slots);
	remit__strtab_free(&s->names);
	if (!s->shared)
		free(s->readmitted);
	free(s);
}

static pair_total *pair_of(run_state *s, uint32_t payer, uint32_t payee)
{
	if (!s->slots || (s->npairs + 1) * 2 > s->mask + 1) {
		uint32_t cap = s->slots ? (s->mask + 1) * 2 : 64;
		uint32_t *slots = remit__xcalloc(cap, sizeof *slots);
		for (uint32_t i = 0; i < s->npairs; i++) {
			uint64_t key = (uint64_t)s->pairs[i].payer << 32 | s->pairs[i].payee;
			uint32_t h = (uint32_t)remit__hash(&key, sizeof key) & (cap - 1);
			while (slots[h])
				h = (h + 1) & (cap - 1);
			slots[h] = i + 1;
		}
		free(s->slots);
		s->slots = slots;
		s->mask = cap - 1;
	}
	uint64_t key = (uint64_t)payer << 32 | payee;
	uint32_t h = (uint32_t)remit__hash(&key, sizeof key) & s->mask;
	for (; s->slots[h]; h = (h + 1) & s->mask) {
		pair_total *p = &s->pairs[s->slots[h] - 1];
		if (p->payer == payer && p->payee == payee)
			return p;
	}
	if (s->npairs == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->pairs = remit__xrealloc(s->pairs, s->cap * sizeof *s->pairs);
	}
	pair_total *p = &s->pairs[s->npairs];
	memset(p, 0, sizeof *p);
	p->payer = payer;
	p->payee = payee;
	s->slots[h] = ++s->npairs;
	return p;
}

/* A part's state for pricing on several threads: the readmission bits are
 * shared (read-only while pricing), the pair totals start at zero. */
static void *tariff_run_fork(const remit__module *m, remit__ctx *cx, void *state)
{
	const run_state *s = state;
	run_state *k = remit__xcalloc(1, sizeof *k);
	(void)m;
	(void)cx;
	k->readmitted = s->readmitted;
	k->words = s->words;
	k->shared = true;
	return k;
}

/* Add a part's pair totals (by name) into the run's and free the part. */
static void tariff_run_join(const remit__module *m, remit__ctx *cx, void *state, void *part)
{
	run_state *s = state, *k = part;
	for (uint32_t i = 0; s && i < k->npairs; i++) {
		const pair_total *q = &k->pairs[i];
		uint32_t payer = remit__intern(&s->names, k->names.strs[q->payer], k->names.lens[q->payer]);
		uint32_t payee = remit__intern(&s->names, k->names.strs[q->payee], k->names.lens[q->payee]);
		pair_total *p = pair_of(s, payer, payee);
		remit__sum_add_sum(&p->all, &q->all);
		remit__sum_add_sum(&p->marginal, &q->marginal);
	}
	tariff_run_end(m, k);
	(void)cx;
}

/* ---- readmissions (per-patient pre-pass) -------------------------------- */

enum { TAG_INDEX = 1, TAG_CANDIDATE = 2 };

static bool in_scope(const tariff *t, remit__ctx *cx, const remit__row *row)
{
	int64_t start = row->f[REMIT__A_START].i;
	if (t->base.has_valid && (start < t->base.valid_from || start > t->base.valid_to))
		return false;
	return remit__pred_eval(t->covers, row, cx->attr_map);
}

static uint8_t tariff_scan(const remit__module *m, remit__ctx *cx, const remit__row *row)
{
	const tariff *t = (const tariff *)m;
	if (!t->has_readmission || !in_scope(t, cx, row))
		return 0;
	remit__str pod = row->f[REMIT__A_POD].s;
	return (uint8_t)((pod_in(&t->readmit_after, pod) ? TAG_INDEX : 0) |
			 (pod_in(&t->readmit_pods, pod) ? TAG_CANDIDATE : 0));
}

static void mark_readmitted(run_state *s, uint32_t ordinal)
{
	size_t w = ordinal / 64;
	if (w >= s->words) {
		size_t words = s->words ? s->words : 1024;
		while (words <= w)
			words *= 2;
		s->readmitted = remit__xrealloc(s->readmitted, words * sizeof *s->readmitted);
		memset(s->readmitted + s->words, 0, (words - s->words) * sizeof *s->readmitted);
		s->words = words;
	}
	s->readmitted[w] |= (uint64_t)1 << (ordinal % 64);
}

static bool is_readmitted(const run_state *s, uint64_t ordinal)
{
	return ordinal / 64 < s->words && (s->readmitted[ordinal / 64] >> (ordinal % 64) & 1);
}

/* A candidate row is a readmission when an earlier index spell of the same
 * patient at the same provider was discharged no more than `within` days
 * before it started.  Rows arrive ordered by start, end and file order. */
static void tariff_patient(const remit__module *m, remit__ctx *cx, const remit__prow *rows,
			   size_t n)
{
	const tariff *t = (const tariff *)m;
	run_state *s = remit__state(cx, m);
	for (size_t i = 1; i < n; i++) {
		if (!(rows[i].tag & TAG_CANDIDATE))
			continue;
		for (size_t j = 0; j < i; j++) {
			const remit__prow *e = &rows[j];
			if ((e->tag & TAG_INDEX) && e->provider == rows[i].provider &&
			    e->end <= rows[i].start && rows[i].start - e->end <= t->readmit_within) {
				mark_readmitted(s, rows[i].ordinal);
				break;
			}
		}
	}
}

/* ---- pricing -------------------------------------------------------------- */

static inline __attribute__((always_inline)) const price *
find_price(const tariff *t, remit__str code, remit__str pod, remit__str *used_pod)
{
	uint32_t k = price_find(t, pod.p, pod.n, code.p, code.n);
	*used_pod = pod;
	if (k != UINT32_MAX)
		return &t->prices[k];
	for (size_t i = 0; i < t->fallback.n; i++)
		if (remit__str_eq(pod, t->fallback.from[i])) {
			const char *to = t->fallback.to[i];
			k = price_find(t, to, strlen(to), code.p, code.n);
			if (k != UINT32_MAX) {
				used_pod->p = to;
				used_pod->n = (uint32_t)strlen(to);
				return &t->prices[k];
			}
		}
	return NULL;
}

/* Zero a line with 16-byte stores: a memset of this size becomes
 * `rep stos`, which is slow to start on some processors and was a tenth
 * of the time of a tariff run. */
static inline void line_zero(remit__pline *l)
{
#ifdef __SSE2__
	char *p = (char *)l;
	size_t i = 0;
	for (; i + 16 <= sizeof *l; i += 16) {
		_mm_storeu_si128((__m128i *)(p + i), _mm_setzero_si128());
		__asm__("" : "+r"(p)); /* keeps the compiler from making it a memset */
	}
	for (; i < sizeof *l; i++)
		p[i] = 0;
#else
	memset(l, 0, sizeof *l);
#endif
}

/* The working value of a row, its components, and the narration. */
typedef struct calc {
	remit__ctx *cx;
	const tariff *t;
	remit__num v;
	remit__pline *line;
	char *basis;
	size_t blen;
	bool comps; /* keep the components (someone reads them) */
	bool big;   /* without comps: a value left the small form */
} calc;

static void basis(calc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The basis text is built only when someone will read it. */
#define BASIS(c, ...)                                                                             \
	do {                                                                                      \
		if ((c)->cx->detail)                                                              \
			basis((c), __VA_ARGS__);                                                  \
	} while (0)
static void basis(calc *c, const char *fmt, ...)
{
	size_t cap = sizeof c->cx->basis;
	if (c->blen >= cap - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(c->basis + c->blen, cap - c->blen, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->blen += (size_t)n < cap - c->blen ? (size_t)n : cap - c->blen - 1;
}

/* The common steps' texts (every priced row's code, pod, price, long stay
 * and MFF) are put piece by piece: the same bytes as basis() would print,
 * truncated the same way, without a format string to read each row. */
static void basis_put(calc *c, const char *s, size_t n)
{
	size_t room = sizeof c->cx->basis - 1 - c->blen;
	if (n > room)
		n = room;
	memcpy(c->basis + c->blen, s, n);
	c->blen += n;
	c->basis[c->blen] = '\0';
}

static void basis_str(calc *c, const char *s)
{
	basis_put(c, s, strlen(s));
}

static void basis_int(calc *c, int64_t v)
{
	char d[24];
	basis_put(c, d, remit__num_format_exact(remit__num_int(v), d, sizeof d));
}

/* The common steps' texts, as if by BASIS(c, "%.*s %.*s %s", code, pod,
 * price), BASIS(c, " + %lld×%s long stay", days, excess_day) and
 * BASIS(c, "; ×MFF %s", mff); quick_quote words its lines with them too. */
static void basis_base(calc *c, remit__str code, remit__str pod, remit__num amount)
{
	basis_put(c, code.p, code.n);
	basis_put(c, " ", 1);
	basis_put(c, pod.p, pod.n);
	basis_put(c, " ", 1);
	basis_str(c, remit__fmt_amount(c->cx, amount));
}

static void basis_stay(calc *c, int64_t days, remit__num excess_day)
{
	basis_str(c, " + ");
	basis_int(c, days);
	basis_str(c, "×");
	basis_str(c, remit__fmt_amount(c->cx, excess_day));
	basis_str(c, " long stay");
}

static void basis_mff(calc *c, remit__num mff)
{
	basis_str(c, "; ×MFF ");
	basis_str(c, remit__fmt(c->cx, mff));
}

static inline void add_comp(calc *c, remit_component k, remit__num delta)
{
	if (c->comps)
		c->line->comp[k] = remit__num_add(c->cx->pool, c->line->comp[k], delta);
	c->v = remit__num_add(c->cx->pool, c->v, delta);
	c->big |= delta.big || c->v.big;
}

/* Scale the working value by f, booking the change to component k. */
static inline void times(calc *c, remit_component k, remit__num f)
{
	remit__num nv = remit__num_mul(c->cx->pool, c->v, f);
	if (c->comps)
		c->line->comp[k] = remit__num_add(c->cx->pool, c->line->comp[k],
						  remit__num_sub(c->cx->pool, nv, c->v));
	c->v = nv;
	c->big |= f.big || nv.big;
}

static void round_step(calc *c, enum step s);

static inline void round_after(calc *c, enum step s)
{
	if (c->t->rounds[s].on)
		round_step(c, s);
}

static void round_step(calc *c, enum step s)
{
	const rounding *r = &c->t->rounds[s];
	remit__num rv = remit__num_round(c->cx->pool, c->v, r->scale, r->mode);
	REMIT__TRACE(c->cx, "  round after %s: %s → %s (scale %d, %s)", step_names[s],
		     remit__fmt(c->cx, c->v), remit__fmt(c->cx, rv), r->scale,
		     remit__rmode_name(r->mode));
	add_comp(c, REMIT_C_ROUNDING, remit__num_sub(c->cx->pool, rv, c->v));
}

/* The activity line of a row (fields f) paid `amount` by module m. */
static void activity_line(remit__pline *line, const remit__module *m, const remit__val *f,
			  remit__num amount, const char *basis)
{
	line->module = m;
	line->kind = "activity";
	line->payer = f[REMIT__A_COMMISSIONER].s;
	line->payee = f[REMIT__A_PROVIDER].s;
	line->patient = f[REMIT__A_PATIENT].s;
	line->activity = f[REMIT__A_ID].s;
	line->pod = f[REMIT__A_POD].s;
	line->amount = amount;
	line->basis = basis;
}

/* Whether the row's stay is short (short_stay applies to it). */
static bool short_stay_applies(const tariff *t, const remit__row *row)
{
	const remit__val *age = &row->f[REMIT__A_AGE];
	return t->has_short && row->f[REMIT__A_LOS].i <= t->short_max_los &&
	       pod_in(&t->short_pods, row->f[REMIT__A_POD].s) &&
	       (!t->has_short_min_age || (age->present && age->i >= t->short_min_age));
}

static void apply_stay(calc *c, const price *p, const remit__row *row)
{
	const tariff *t = c->t;
	remit__ctx *cx = c->cx;
	remit__str pod = row->f[REMIT__A_POD].s;
	int64_t los = row->f[REMIT__A_LOS].i;
	const remit__val *age = &row->f[REMIT__A_AGE];
	bool short_stay = short_stay_applies(t, row);
	if (short_stay && p->has_ss_price) {
		REMIT__TRACE(cx, "  short stay (los %lld ≤ %lld): published short-stay price %s "
				 "replaces %s",
			     (long long)los, (long long)t->short_max_los,
			     remit__fmt_amount(cx, p->ss_price), remit__fmt_amount(cx, c->v));
		add_comp(c, REMIT_C_SHORT_STAY, remit__num_sub(cx->pool, p->ss_price, c->v));
		BASIS(c, " short stay %s", remit__fmt_amount(cx, p->ss_price));
		return;
	}
	if (short_stay && p->has_ss_rate) {
		remit__num cut = remit__num_neg(cx->pool, remit__num_mul(cx->pool, c->v, p->ss_rate));
		REMIT__TRACE(cx, "  short stay (los %lld ≤ %lld): − %s × %s = %s", (long long)los,
			     (long long)t->short_max_los, remit__fmt_pct(cx, p->ss_rate),
			     remit__fmt(cx, c->v), remit__fmt(cx, cut));
		add_comp(c, REMIT_C_SHORT_STAY, cut);
		BASIS(c, " −%s short stay", remit__fmt_pct(cx, p->ss_rate));
		return;
	}
	if (short_stay)
		REMIT__TRACE(cx, "  short stay applies but the price row gives no short-stay price "
				 "or rate: not reduced");
	else if (t->has_short && pod_in(&t->short_pods, pod) && los > t->short_max_los)
		REMIT__TRACE(cx, "  short stay: not applied (los %lld > max_los %lld)", (long long)los,
			     (long long)t->short_max_los);
	else if (t->has_short && pod_in(&t->short_pods, pod) && !age->present)
		REMIT__TRACE(cx, "  short stay: not applied (age unknown, min_age %lld)",
			     (long long)t->short_min_age);
	else if (t->has_short && pod_in(&t->short_pods, pod))
		REMIT__TRACE(cx, "  short stay: not applied (age %lld < min_age %lld)",
			     (long long)age->i, (long long)t->short_min_age);
	if (!pod_in(&t->long_pods, pod) || !p->q.has_long)
		return;
	int64_t days = los > p->q.trim ? los - p->q.trim : 0;
	remit__num add = remit__num_mul(cx->pool, remit__num_int(days), p->excess_day);
	REMIT__TRACE(cx, "  long stay: max(0, los %lld − trim %lld) = %lld days × %s = %s",
		     (long long)los, (long long)p->q.trim, (long long)days,
		     remit__fmt_amount(cx, p->excess_day), remit__fmt(cx, add));
	if (days > 0) {
		add_comp(c, REMIT_C_LONG_STAY, add);
		if (cx->detail)
			basis_stay(c, days, p->excess_day);
	}
}

static void apply_topups(calc *c, const remit__row *row)
{
	remit__ctx *cx = c->cx;
	remit__num rate = REMIT__NUM_ZERO;
	for (size_t i = 0; i < c->t->ntopups; i++) {
		const rule *r = &c->t->topups[i];
		bool hit = remit__pred_eval(r->when, row, cx->attr_map);
		REMIT__TRACE(cx, "  top-up %s (%s): %s", r->name, remit__pred_source(r->when),
			     hit ? remit__fmt_pct(cx, r->value) : "no");
		if (hit)
			rate = remit__num_add(cx->pool, rate, r->value);
	}
	if (remit__num_sign(rate) == 0)
		return;
	remit__num add = remit__num_mul(cx->pool, c->v, rate);
	REMIT__TRACE(cx, "  top-ups: %s × %s = %s", remit__fmt(cx, c->v), remit__fmt_pct(cx, rate),
		     remit__fmt(cx, add));
	add_comp(c, REMIT_C_TOPUPS, add);
	BASIS(c, "; +%s top-ups", remit__fmt_pct(cx, rate));
}

static void apply_uplifts(calc *c, const remit__row *row)
{
	remit__ctx *cx = c->cx;
	for (size_t i = 0; i < c->t->nuplifts; i++) {
		const rule *r = &c->t->uplifts[i];
		bool hit = remit__pred_eval(r->when, row, cx->attr_map);
		REMIT__TRACE(cx, "  uplift %s (%s): %s", r->name, remit__pred_source(r->when),
			     hit ? remit__fmt_amount(cx, r->value) : "no");
		if (hit) {
			add_comp(c, REMIT_C_UPLIFTS, r->value);
			BASIS(c, "; + %s %s", remit__fmt_amount(cx, r->value), r->name);
		}
	}
	for (size_t i = 0; i < c->t->naddons; i++) {
		const addon *a = &c->t->addons[i];
		remit__str list = row->f[a->field].s, code;
		uint32_t pos = 0;
		while (remit__list_next(list, &pos, &code)) {
			uint32_t id = remit__strtab_find(&a->codes, code.p, code.n);
			if (id == UINT32_MAX)
				continue;
			REMIT__TRACE(cx, "  add-on %s: %.*s + %s", a->name, (int)code.n, code.p,
				     remit__fmt_amount(cx, a->prices[id]));
			add_comp(c, REMIT_C_ADDONS, a->prices[id]);
			BASIS(c, "; + %s %s %.*s", remit__fmt_amount(cx, a->prices[id]), a->name,
			      (int)code.n, code.p);
		}
	}
}

/* The line of a row.  Without comps the components are not worked out
 * (nobody reads them) unless a value leaves the small form; then the line
 * is worked out again with them, so that a component too large to print
 * is found as it would be with them (remit__emit). */
static remit__outcome quote(const remit__module *m, remit__ctx *cx, const remit__row *row,
			    remit__pline *line, bool comps, bool *big);

/* The quick form of the price of (pod, code) (with pod_fallback), or NULL. */
static inline __attribute__((always_inline)) const quick_price *
quick_find(const tariff *t, remit__str code, remit__str pod)
{
	if (t->pindex && code.n <= REMIT__SKEY_MAX) {
		const pslot *e = slot_find(t, pod.p, pod.n, code.p, code.n);
		if (e)
			return &e->q;
	}
	remit__str used;
	const price *p = find_price(t, code, pod, &used);
	return p ? &p->q : NULL;
}

/* A quick line's basis in cx->basis, as quote() words it: price p, days
 * of long stay (0: none) and the provider's MFF. */
static void quick_basis(const tariff *t, remit__ctx *cx, const remit__val *f,
			const quick_price *p, int64_t days, remit__num mff)
{
	remit__str code = f[REMIT__A_CODE].s, pod;
	find_price(t, code, f[REMIT__A_POD].s, &pod); /* the pod whose price p is */
	calc c = {.cx = cx, .basis = cx->basis};
	cx->basis[0] = '\0';
	basis_base(&c, code, pod, (remit__num){p->qprice, p->qexp, NULL});
	if (days > 0)
		basis_stay(&c, days, (remit__num){p->qexcess, p->qexp, NULL});
	if (t->mff.table)
		basis_mff(&c, mff);
}

/* A quick line whose basis but not components someone reads (a lines
 * file): the steps taken again, as quick_read does. */
static __attribute__((noinline)) void quick_basis_of_row(const tariff *t, remit__ctx *cx,
						 const remit__val *f, const quick_price *p)
{
	remit__num mff = REMIT__NUM_ONE;
	remit__str prov = f[REMIT__A_PROVIDER].s;
	if (t->mff.table)
		remit__mff_of(&t->mff, prov.p, prov.n, &mff, NULL); /* (found before) */
	int64_t los = f[REMIT__A_LOS].i, days = 0;
	if (p->has_long && los > p->trim && pod_in(&t->long_pods, f[REMIT__A_POD].s))
		days = los - p->trim;
	quick_basis(t, cx, f, p, days, mff);
}

/* A quick line whose components someone reads (and perhaps its basis):
 * quick_quote found its price p and the amount, every step in 64 bits.
 * The components and basis are quote()'s; the steps (and the MFF) are
 * taken again here, cheap beside the texts, so that the common row keeps
 * none of them live for this.  False if a component would leave 64 bits. */
static __attribute__((noinline)) bool quick_read(const tariff *t, remit__ctx *cx,
						  const remit__val *f, remit__pline *line,
						  const quick_price *p, remit__num amount)
{
	remit__num mff = REMIT__NUM_ONE;
	remit__str prov = f[REMIT__A_PROVIDER].s;
	if (t->mff.table)
		remit__mff_of(&t->mff, prov.p, prov.n, &mff, NULL); /* (found before) */
	int64_t los = f[REMIT__A_LOS].i, days = 0, extra = 0;
	if (p->has_long && los > p->trim && pod_in(&t->long_pods, f[REMIT__A_POD].s)) {
		days = los - p->trim;
		extra = days * p->qexcess; /* (in 64 bits: quick_quote checked) */
	}
	int64_t v = p->qprice + extra, vm = v * mff.coef, v_at, amount_at, mff_add = 0,
		round_add = 0;
	int32_t exp = p->qexp + mff.exp;
	if (t->mff.table && (!units_at((remit__num){v, p->qexp, NULL}, exp, &v_at) ||
			     __builtin_sub_overflow(vm, v_at, &mff_add)))
		return false;
	if (exp > amount.exp && (!units_at(amount, exp, &amount_at) ||
				 __builtin_sub_overflow(amount_at, vm, &round_add)))
		return false; /* (at exp ≤ the scale, vm is paid exactly: no rounding) */
	line_zero(line);
	line->comp[REMIT_C_BASE] = (remit__num){p->qprice, p->qexp, NULL};
	line->comp[REMIT_C_LONG_STAY] = (remit__num){extra, p->qexp, NULL};
	line->comp[REMIT_C_MARKET_FORCES] = (remit__num){mff_add, exp, NULL};
	line->comp[REMIT_C_ROUNDING] = (remit__num){round_add, exp, NULL};
	line->nocomps = false;
	if (cx->detail)
		quick_basis(t, cx, f, p, days, mff);
	activity_line(line, &t->base, f, amount, cx->detail ? cx->basis : "");
	return true;
}

/* The common row in 64-bit integers: (price + excess days × excess_day)
 * × MFF, rounded once, for a tariff with no other rule (t->quick), a row
 * of quantity 1 that is neither a short stay nor a readmission, when no
 * one reads the narration.  It is the line quote() works out for the same
 * row (the same exact sum, rounded the same way; if read, the same
 * components and basis), without the general machinery.  False, having
 * changed nothing the caller reads, when the row needs that machinery (or
 * a value would leave 64 bits): the caller then quotes it the general way,
 * unpriced rows included. */
static bool quick_quote(const remit__module *m, remit__ctx *cx, const remit__row *row,
			remit__pline *line)
{
	const tariff *t = (const tariff *)m;
	const remit__val *f = row->f;
	remit__num q = f[REMIT__A_QUANTITY].d;
	if (q.big || q.coef != 1 || q.exp != 0)
		return false; /* a quantity other than 1 (or 1 written 1.0): quote() */
	const quick_price *p = quick_find(t, f[REMIT__A_CODE].s, f[REMIT__A_POD].s);
	if (!p || !p->quick)
		return false;
	remit__num mff = REMIT__NUM_ONE;
	remit__str prov = f[REMIT__A_PROVIDER].s;
	if (t->mff.table && (!remit__mff_of(&t->mff, prov.p, prov.n, &mff, NULL) || mff.big))
		return false;
	if (short_stay_applies(t, row) ||
	    (t->has_readmission && is_readmitted(remit__state(cx, m), row->ordinal)))
		return false;
	int64_t los = f[REMIT__A_LOS].i, v = p->qprice, extra;
	if (p->has_long && los > p->trim && pod_in(&t->long_pods, f[REMIT__A_POD].s) &&
	    (__builtin_mul_overflow(los - p->trim, p->qexcess, &extra) ||
	     __builtin_add_overflow(v, extra, &v)))
		return false;
	int32_t exp = p->qexp + mff.exp;
	if (__builtin_mul_overflow(v, mff.coef, &v) || exp > REMIT__EXP_MAX || exp < -REMIT__EXP_MAX)
		return false;
	const remit_regime *rg = cx->regime;
	int64_t units;
	if (!remit__round_units(v, exp, rg->scale, rg->mode, &units))
		return false;
	remit__num amount = {units, rg->scale, NULL}; /* remit__round_line's, without the pool */
	if (cx->components)
		return quick_read(t, cx, f, line, p, amount);
	line->nocomps = true;
	if (cx->detail)
		quick_basis_of_row(t, cx, f, p);
	activity_line(line, m, f, amount, cx->detail ? cx->basis : "");
	return true;
}

static remit__outcome tariff_quote(const remit__module *m, remit__ctx *cx, const remit__row *row,
				   remit__pline *line)
{
	bool big = false;
	if (((const tariff *)m)->quick && !cx->trace && quick_quote(m, cx, row, line))
		return REMIT__PRICED;
	remit__outcome out = quote(m, cx, row, line, cx->components, &big);
	if (out == REMIT__PRICED && big && !cx->components)
		out = quote(m, cx, row, line, true, &big);
	return out;
}

static remit__outcome quote(const remit__module *m, remit__ctx *cx, const remit__row *row,
			    remit__pline *line, bool comps, bool *big)
{
	const tariff *t = (const tariff *)m;
	const remit__val *f = row->f;
	remit__str pod, code = f[REMIT__A_CODE].s;
	const price *p = find_price(t, code, f[REMIT__A_POD].s, &pod);
	if (!p)
		return remit__unpriced(cx, "no price for code %.*s pod %.*s", (int)code.n, code.p,
				       (int)f[REMIT__A_POD].s.n, f[REMIT__A_POD].s.p);
	remit__num mff = REMIT__NUM_ONE;
	bool mff_defaulted = false;
	remit__str prov = f[REMIT__A_PROVIDER].s;
	if (t->mff.table && !remit__mff_of(&t->mff, prov.p, prov.n, &mff, &mff_defaulted))
		return remit__unpriced(cx, "no market forces factor for provider %.*s in table %s",
				       (int)prov.n, prov.p, t->mff.table->name);

	if (comps)
		line_zero(line); /* components zero: REMIT__NUM_ZERO is all zero bits */
	line->nocomps = !comps;
	calc c = {cx, t, REMIT__NUM_ZERO, line, cx->basis, 0, comps, false};
	cx->basis[0] = '\0';

	/* base */
	add_comp(&c, REMIT_C_BASE, p->price);
	REMIT__TRACE(cx, "  base price: code %.*s pod %.*s%s → %s (%s)", (int)code.n, code.p,
		     (int)pod.n, pod.p, pod.p == f[REMIT__A_POD].s.p ? "" : " (pod_fallback)",
		     remit__fmt_amount(cx, p->price), p->where);
	if (cx->detail)
		basis_base(&c, code, pod, p->price);
	round_after(&c, STEP_BASE);
	apply_stay(&c, p, row);
	round_after(&c, STEP_STAY);
	apply_topups(&c, row);
	round_after(&c, STEP_TOPUPS);
	apply_uplifts(&c, row);
	round_after(&c, STEP_UPLIFTS);
	if (t->mff.table) {
		remit__num before = c.v;
		times(&c, REMIT_C_MARKET_FORCES, mff);
		REMIT__TRACE(cx, "  market forces: %s × %s%s = %s", remit__fmt(cx, before),
			     remit__fmt(cx, mff), mff_defaulted ? " (default)" : "",
			     remit__fmt(cx, c.v));
		if (cx->detail)
			basis_mff(&c, mff);
	}
	round_after(&c, STEP_MFF);
	remit__num q = f[REMIT__A_QUANTITY].d;
	if (remit__num_cmp(q, REMIT__NUM_ONE) != 0) {
		remit__num before = c.v;
		times(&c, REMIT_C_QUANTITY, q);
		REMIT__TRACE(cx, "  quantity: %s × %s = %s", remit__fmt(cx, before),
			     remit__fmt(cx, q), remit__fmt(cx, c.v));
		BASIS(&c, "; ×%s quantity", remit__fmt(cx, q));
	}
	round_after(&c, STEP_QUANTITY);
	if (t->has_readmission && is_readmitted(remit__state(cx, m), row->ordinal)) {
		remit__num before = c.v;
		times(&c, REMIT_C_READMISSION, t->readmit_pay);
		REMIT__TRACE(cx, "  readmission within %lld days of a discharge from the same "
				 "provider: %s × %s = %s",
			     (long long)t->readmit_within, remit__fmt(cx, before),
			     remit__fmt_pct(cx, t->readmit_pay), remit__fmt(cx, c.v));
		BASIS(&c, "; readmission ×%s", remit__fmt_pct(cx, t->readmit_pay));
	}
	remit__num exact = c.v, amount = remit__round_line(cx, exact);
	REMIT__TRACE(cx, "  exact %s → %s (scale %d, %s)", remit__fmt(cx, exact),
		     remit__fmt_money(cx, amount), cx->regime->scale,
		     remit__rmode_name(cx->regime->mode));
	if (c.comps)
		add_comp(&c, REMIT_C_ROUNDING, remit__num_sub(cx->pool, amount, exact));
	*big = c.big || amount.big;

	activity_line(line, m, f, amount, cx->basis);
	return REMIT__PRICED;
}

static remit__outcome tariff_price(const remit__module *m, remit__ctx *cx, const remit__row *row)
{
	const tariff *t = (const tariff *)m;
	remit__pline line;
	remit__outcome out = tariff_quote(m, cx, row, &line);
	if (out != REMIT__PRICED)
		return out;
	remit__emit(cx, &line);
	if (t->has_marginal || t->has_quality) {
		run_state *s = remit__state(cx, m);
		uint32_t payer = remit__intern(&s->names, line.payer.p, line.payer.n);
		uint32_t payee = remit__intern(&s->names, line.payee.p, line.payee.n);
		pair_total *pt = pair_of(s, payer, payee);
		int scale = cx->regime->scale;
		remit__sum_add(&pt->all, line.amount, scale);
		if (t->has_marginal && pod_in(&t->marginal_pods, line.pod))
			remit__sum_add(&pt->marginal, line.amount, scale);
	}
	return REMIT__PRICED;
}

/* ---- organisation-level lines ------------------------------------------- */

static int cmp_pairs(const void *a, const void *b, void *names)
{
	const pair_total *x = a, *y = b;
	const remit__strtab *o = names;
	int c = strcmp(o->strs[x->payee], o->strs[y->payee]);
	return c ? c : strcmp(o->strs[x->payer], o->strs[y->payer]);
}

static void org_line(remit__ctx *cx, const remit__module *m, const remit__strtab *names,
		     const pair_total *p, const char *kind, remit_component k, remit__num exact,
		     const char *text)
{
	remit__pline l;
	memset(&l, 0, sizeof l);
	for (int i = 0; i < REMIT_C_COUNT; i++)
		l.comp[i] = REMIT__NUM_ZERO;
	l.module = m;
	l.kind = kind;
	l.payer.p = names->strs[p->payer];
	l.payer.n = names->lens[p->payer];
	l.payee.p = names->strs[p->payee];
	l.payee.n = names->lens[p->payee];
	l.amount = remit__round_line(cx, exact);
	l.comp[k] = exact;
	l.comp[REMIT_C_ROUNDING] = remit__num_sub(cx->pool, l.amount, exact);
	l.basis = text;
	remit__emit(cx, &l);
}

/* The marginal line of pair p, whose provider's marginal-pod value over all
 * payers is `value` against `baseline`: the excess is paid at `rate`, so the
 * provider's reduction is (value − baseline) × (1 − rate), shared between
 * payers in proportion to their part of the value. */
static remit__num marginal_of(remit__ctx *cx, const tariff *t, const pair_total *p,
			      remit__num value, remit__num baseline, char *text, size_t cap)
{
	int scale = cx->regime->scale;
	remit__num excess = remit__num_sub(cx->pool, value, baseline);
	if (remit__num_sign(excess) <= 0)
		return REMIT__NUM_ZERO;
	remit__num keep = remit__num_sub(cx->pool, REMIT__NUM_ONE, t->marginal_rate);
	remit__num cut = remit__num_neg(cx->pool, remit__num_mul(cx->pool, excess, keep));
	remit__num mine = remit__sum_get(&p->marginal, scale, cx->pool);
	remit__num share = remit__num_div(cx->pool, mine, value);
	snprintf(text, cap, "value %s above baseline %s paid at %s", remit__fmt_money(cx, value),
		 remit__fmt_money(cx, baseline), remit__fmt_pct(cx, t->marginal_rate));
	return remit__num_mul(cx->pool, cut, share);
}

static void tariff_finish(const remit__module *m, remit__ctx *cx)
{
	const tariff *t = (const tariff *)m;
	run_state *s = remit__state(cx, m);
	int scale = cx->regime->scale;
	if ((!t->has_marginal && !t->has_quality) || s->npairs == 0)
		return; /* (no pairs: s->pairs is NULL, which qsort_r must not get) */
	qsort_r(s->pairs, s->npairs, sizeof *s->pairs, cmp_pairs, &s->names);
	for (uint32_t i = 0, j; i < s->npairs; i = j) {
		/* pairs i..j share one payee (provider) */
		remit__sum value = REMIT__SUM_INIT;
		for (j = i; j < s->npairs && s->pairs[j].payee == s->pairs[i].payee; j++)
			remit__sum_add_sum(&value, &s->pairs[j].marginal);
		const char *prov = s->names.strs[s->pairs[i].payee];
		int64_t b = t->has_marginal
				    ? remit__table_find(t->baseline, prov, strlen(prov))
				    : -1;
		for (uint32_t k = i; k < j; k++) {
			const pair_total *p = &s->pairs[k];
			remit__num total = remit__sum_get(&p->all, scale, cx->pool);
			char text[256];
			if (b >= 0 && remit__sum_cmp(&p->marginal, &(remit__sum)REMIT__SUM_INIT) != 0) {
				remit__num v = remit__sum_get(&value, scale, cx->pool);
				remit__num line = marginal_of(cx, t, p, v, t->baseline_values[b],
							      text, sizeof text);
				if (remit__num_sign(line) != 0) {
					org_line(cx, m, &s->names, p, "marginal", REMIT_C_MARGINAL,
						 line, text);
					total = remit__num_add(cx->pool, total,
							       remit__round_line(cx, line));
				}
			}
			if (t->has_quality) {
				snprintf(text, sizeof text, "%s of %s",
					 remit__fmt_pct(cx, t->quality_rate),
					 remit__fmt_money(cx, total));
				org_line(cx, m, &s->names, p, "quality", REMIT_C_QUALITY,
					 remit__num_mul(cx->pool, total, t->quality_rate), text);
			}
			remit__numpool_reset(cx->pool);
		}
		remit__sum_clear(&value);
	}
}

const remit__module_type remit__tariff_module = {
	.version = REMIT__MODULE_VERSION,
	.name = "tariff",
	.keys = tariff_keys,
	.parse = tariff_parse,
	.run_begin = tariff_run_begin,
	.run_end = tariff_run_end,
	.scan = tariff_scan,
	.patient = tariff_patient,
	.quote = tariff_quote,
	.price = tariff_price,
	.finish = tariff_finish,
	.free = tariff_free,
	.run_fork = tariff_run_fork,
	.run_join = tariff_run_join,
};
