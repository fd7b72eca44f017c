/*
 * plugin.c — payment modules from outside remit: the registry, dlopen, and
 * the adapter between the public plugin interface and the internal one.
 *
 * The internal module interface (module.h) speaks YAML nodes, rows of
 * typed values and exact numbers of the engine; none of that may leak into
 * an ABI that has to stay stable.  So a plugin sees only remit.h: opaque
 * handles for its configuration, its rows and its predicates, exact
 * numbers as text, and a table of host functions (remit_plugin_host)
 * handed to every call, so that it links against nothing.  Each
 * registered plugin gets one plugin_rec, which embeds the internal
 * remit__module_type whose methods (adapter_*) translate:
 *
 *   regime.c load_module ─► remit__module_type_find("perdiem") ─► plugin_rec
 *     ─► adapter_parse: covers predicate, then plugin->parse(host, cfg)
 *   engine offer ─► adapter_price ─► plugin->price(host, instance, row)
 *     ─► host->emit: parse amount × times exactly, round, remit__emit
 *
 * The registry is a singly linked list that only grows: writers hold a
 * mutex, readers walk it with acquire loads and no lock, and nothing in it
 * is ever freed, so a type found once stays valid while any regime uses it.
 */
#include "plugin.h"

#include "engine.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 63
#define ORG_MAX_LEN 255
#define KIND_MAX_LEN 63

/* Field numbers handed to plugins: schema in bits 24..27, an extra column
 * (attribute) flagged by bit 23, the index below. */
#define FIELD_SCHEMA_SHIFT 24
#define FIELD_ATTR 0x800000
#define FIELD_INDEX 0x7fffff

typedef struct plugin_rec {
	remit__module_type type; /* what regime loading sees */
	const remit_plugin *p;
	remit__key *keys; /* the plugin's keys, plus covers */
	_Atomic(struct plugin_rec *) next;
} plugin_rec;

/* A names string replaced by a newer one, kept so pointers to it stay
 * valid. */
typedef struct old_names {
	char *s;
	struct old_names *next;
} old_names;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(plugin_rec *) registry_head;
static plugin_rec *registry_tail; /* under the lock */
static _Atomic(char *) names_cache;
static old_names *names_retired; /* under the lock */

/* What a plugin instance is inside a regime. */
typedef struct pmodule {
	remit__module base;
	const plugin_rec *rec;
	void *instance; /* the plugin's */
} pmodule;

struct remit_plugin_config {
	remit__loader *L;
	const yaml_node_t *map;
	const char *type;
	unsigned errors; /* reported through config_error or a getter */
};

struct remit_plugin_pred {
	const remit__pred *pred;
	int schema;
};

struct remit_plugin_row {
	remit__ctx *cx;
	const remit__row *row;
	int schema;
	const pmodule *m;
	bool refused;  /* an emit was refused: the row is unpriced */
	bool unpriced; /* host->unpriced was called */
	char text[4][REMIT__NUM_BUF];
	unsigned next_text;
};

static const remit_plugin_host host;

/* ---- errors ----------------------------------------------------------- */

static int fail(remit_error *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(remit_error *err, int status, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return status;
	memset(err, 0, sizeof *err);
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return status;
}

/* ---- the registry ----------------------------------------------------- */

const remit__module_type *remit__plugin_type_find(const char *name)
{
	plugin_rec *r = atomic_load_explicit(&registry_head, memory_order_acquire);
	for (; r; r = atomic_load_explicit(&r->next, memory_order_acquire))
		if (strcmp(r->p->name, name) == 0)
			return &r->type;
	return NULL;
}

static const plugin_rec *rec_of(const remit__module_type *t)
{
	plugin_rec *r = atomic_load_explicit(&registry_head, memory_order_acquire);
	for (; r; r = atomic_load_explicit(&r->next, memory_order_acquire))
		if (&r->type == t)
			return r;
	return NULL;
}

const char *remit__plugin_type_names(const remit__module_type *const *builtins)
{
	char *s = atomic_load_explicit(&names_cache, memory_order_acquire);
	if (s)
		return s;
	pthread_mutex_lock(&registry_lock);
	s = atomic_load_explicit(&names_cache, memory_order_relaxed);
	if (!s) {
		size_t cap = 1, n = 0;
		for (const remit__module_type *const *t = builtins; *t; t++)
			cap += strlen((*t)->name) + 2;
		for (plugin_rec *r = registry_head; r; r = r->next)
			cap += strlen(r->p->name) + 2;
		s = remit__xmalloc(cap);
		s[0] = '\0';
		for (const remit__module_type *const *t = builtins; *t; t++)
			n += (size_t)snprintf(s + n, cap - n, "%s%s", n ? ", " : "", (*t)->name);
		for (plugin_rec *r = registry_head; r; r = r->next)
			n += (size_t)snprintf(s + n, cap - n, "%s%s", n ? ", " : "", r->p->name);
		atomic_store_explicit(&names_cache, s, memory_order_release);
	}
	pthread_mutex_unlock(&registry_lock);
	return s;
}

static bool name_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!(s[n] >= 'a' && s[n] <= 'z') && !(s[n] >= 'A' && s[n] <= 'Z') &&
		    !(s[n] >= '0' && s[n] <= '9') && s[n] != '_' && s[n] != '-')
			return false;
	return n > 0 && n <= NAME_MAX_LEN;
}

static bool reserved_key(const char *k)
{
	return !strcmp(k, "module") || !strcmp(k, "name") || !strcmp(k, "valid") ||
	       !strcmp(k, "covers");
}

static remit__module *adapter_parse(remit__loader *L, const yaml_node_t *map);
static remit__outcome adapter_price(const remit__module *m, remit__ctx *cx,
				    const remit__row *row);
static void adapter_person(const remit__module *m, remit__ctx *cx, const remit__row *row);
static void adapter_free(remit__module *m);

/* Check p and build its record (not yet published).  `who` names it in
 * messages: the file it came from, or its own name. */
static int rec_new(const remit_plugin *p, const char *who, plugin_rec **out, remit_error *err)
{
	if (p->version < 1 || p->version > REMIT_PLUGIN_VERSION) {
		if (REMIT_PLUGIN_VERSION == 1)
			return fail(err, REMIT_EPLUGIN,
				    "plugin %s: interface version %d, this remit supports 1", who,
				    p->version);
		return fail(err, REMIT_EPLUGIN,
			    "plugin %s: interface version %d, this remit supports 1 to %d", who,
			    p->version, REMIT_PLUGIN_VERSION);
	}
	if (!p->name || !name_ok(p->name))
		return fail(err, REMIT_EPLUGIN,
			    "plugin %s: module name %s%s%s is not 1 to %d letters, digits, '_' or '-'",
			    who, p->name ? "\"" : "", p->name ? p->name : "missing",
			    p->name ? "\"" : "", NAME_MAX_LEN);
	if (!p->parse)
		return fail(err, REMIT_EPLUGIN, "plugin %s: module %s has no parse method", who,
			    p->name);
	size_t nk = 0;
	for (; p->keys && p->keys[nk].name; nk++)
		if (reserved_key(p->keys[nk].name))
			return fail(err, REMIT_EPLUGIN,
				    "plugin %s: module %s: key '%s' is reserved (module, name, "
				    "valid, covers)",
				    who, p->name, p->keys[nk].name);
	plugin_rec *r = remit__xcalloc(1, sizeof *r);
	r->p = p;
	r->keys = remit__xcalloc(nk + 2, sizeof *r->keys);
	for (size_t i = 0; i < nk; i++)
		r->keys[i] = (remit__key){p->keys[i].name, p->keys[i].required != 0};
	if (p->price)
		r->keys[nk++] = (remit__key){"covers", true};
	r->keys[nk] = (remit__key){NULL, false};
	r->type.version = REMIT__MODULE_VERSION;
	r->type.name = p->name;
	r->type.keys = r->keys;
	r->type.parse = adapter_parse;
	r->type.price = adapter_price;
	r->type.person = p->person ? adapter_person : NULL;
	r->type.free = adapter_free;
	*out = r;
	return REMIT_OK;
}

static int register_plugin(const remit_plugin *p, const char *who, remit_error *err)
{
	plugin_rec *r = NULL;
	int rc = rec_new(p, who, &r, err);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&registry_lock);
	const remit__module_type *old = remit__module_type_find(p->name);
	const plugin_rec *same = old ? rec_of(old) : NULL;
	if (old) {
		pthread_mutex_unlock(&registry_lock);
		free(r->keys);
		free(r);
		if (same && same->p == p)
			return REMIT_OK; /* the same plugin again */
		return fail(err, REMIT_EPLUGIN,
			    "plugin %s: a module named \"%s\" is already registered", who, p->name);
	}
	if (registry_tail)
		atomic_store_explicit(&registry_tail->next, r, memory_order_release);
	else
		atomic_store_explicit(&registry_head, r, memory_order_release);
	registry_tail = r;
	/* Retire the names string: the next remit__plugin_type_names rebuilds it. */
	char *names = atomic_exchange_explicit(&names_cache, NULL, memory_order_acq_rel);
	if (names) {
		old_names *o = remit__xmalloc(sizeof *o);
		o->s = names;
		o->next = names_retired;
		names_retired = o;
	}
	pthread_mutex_unlock(&registry_lock);
	return REMIT_OK;
}

int remit_register_module(const remit_plugin *p, remit_error *err)
{
	if (!p)
		return fail(err, REMIT_EUSAGE, "remit_register_module: the plugin is NULL");
	/* version and name are the two members every version keeps in place */
	return register_plugin(p, p->version >= 1 && p->name && name_ok(p->name) ? p->name
										  : "(unnamed)",
			       err);
}

int remit_load_plugin(const char *path, remit_error *err)
{
	if (!path || !*path)
		return fail(err, REMIT_EUSAGE, "remit_load_plugin: the path is %s",
			    path ? "empty" : "NULL");
	/* A bare name is a file here, not a search of the library path. */
	char local[4096];
	const char *open_path = path;
	if (!strchr(path, '/')) {
		snprintf(local, sizeof local, "./%s", path);
		open_path = local;
	}
	void *dl = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		const char *why = dlerror();
		return fail(err, REMIT_EPLUGIN, "plugin %s: cannot load: %s", path,
			    why ? why : "unknown error");
	}
	void *sym = dlsym(dl, REMIT_PLUGIN_ENTRY);
	if (!sym) {
		dlclose(dl);
		return fail(err, REMIT_EPLUGIN,
			    "plugin %s: no %s function (is it a remit plugin?)", path,
			    REMIT_PLUGIN_ENTRY);
	}
	remit_plugin_entry_fn entry;
	memcpy(&entry, &sym, sizeof entry);
	const remit_plugin *p = entry();
	if (!p) {
		dlclose(dl);
		return fail(err, REMIT_EPLUGIN, "plugin %s: %s returned NULL", path,
			    REMIT_PLUGIN_ENTRY);
	}
	int rc = register_plugin(p, path, err);
	if (rc < 0)
		dlclose(dl);
	/* On success the handle is kept open for the life of the process. */
	return rc;
}

/* ---- parse time: what a plugin asks of its configuration -------------- */

static const char *ctx_of(remit_plugin_config *c, const char *key)
{
	return remit__sprintf(remit__loader_arena(c->L), "%s.%s", c->type, key);
}

/* The value node of key; NULL (ENOTFOUND) if absent or key is NULL. */
static const yaml_node_t *value_of(remit_plugin_config *c, const char *key)
{
	return c && key ? remit__cfg_get(c->L, c->map, key) : NULL;
}

static int got(remit_plugin_config *c, bool ok)
{
	if (ok)
		return REMIT_OK;
	c->errors++;
	return REMIT_ERULES;
}

static int config_string(remit_plugin_config *c, const char *key, const char **out)
{
	const yaml_node_t *n = value_of(c, key);
	if (!n || !out)
		return c && key && out ? REMIT_ENOTFOUND : REMIT_EUSAGE;
	return got(c, remit__cfg_str(c->L, n, ctx_of(c, key), out));
}

static int config_number(remit_plugin_config *c, const char *key, const char **exact)
{
	const yaml_node_t *n = value_of(c, key);
	if (!n || !exact)
		return c && key && exact ? REMIT_ENOTFOUND : REMIT_EUSAGE;
	remit__num v;
	if (!remit__cfg_num(c->L, n, ctx_of(c, key), REMIT__PARSE_FACTOR, &v))
		return got(c, false);
	char buf[1024];
	size_t len = remit__num_format_exact(v, buf, sizeof buf);
	if (len >= sizeof buf - 1) {
		remit__rules_error(c->L, n, "%s: number too long", ctx_of(c, key));
		return got(c, false);
	}
	*exact = remit__strdup(remit__loader_arena(c->L), buf);
	return REMIT_OK;
}

static int config_int(remit_plugin_config *c, const char *key, int64_t lo, int64_t hi,
		      int64_t *out)
{
	const yaml_node_t *n = value_of(c, key);
	if (!n || !out)
		return c && key && out ? REMIT_ENOTFOUND : REMIT_EUSAGE;
	return got(c, remit__cfg_int(c->L, n, ctx_of(c, key), lo, hi, out));
}

static int config_date(remit_plugin_config *c, const char *key, int64_t *days)
{
	const yaml_node_t *n = value_of(c, key);
	if (!n || !days)
		return c && key && days ? REMIT_ENOTFOUND : REMIT_EUSAGE;
	return got(c, remit__cfg_date(c->L, n, ctx_of(c, key), days));
}

static const remit__schema *schema_of(int schema)
{
	return schema == REMIT_PLUGIN_ACTIVITY	 ? &remit__activity_schema
	       : schema == REMIT_PLUGIN_POPULATION ? &remit__population_schema
						   : NULL;
}

static int config_predicate(remit_plugin_config *c, const char *key, remit_plugin_schema schema,
			    const remit_plugin_pred **out)
{
	const yaml_node_t *n = value_of(c, key);
	const remit__schema *s = schema_of(schema);
	if (!n || !out || !s)
		return c && key && out && s ? REMIT_ENOTFOUND : REMIT_EUSAGE;
	remit__pred *p;
	if (!remit__cfg_pred(c->L, n, ctx_of(c, key), s, &p))
		return got(c, false);
	struct remit_plugin_pred *w = remit__alloc(remit__loader_arena(c->L), sizeof *w);
	w->pred = p;
	w->schema = schema;
	*out = w;
	return REMIT_OK;
}

static int config_field(remit_plugin_config *c, remit_plugin_schema schema, const char *name,
			int *field)
{
	const remit__schema *s = schema_of(schema);
	if (!c || !s || !name || !*name || !field)
		return REMIT_EUSAGE;
	int f = remit__schema_find(s, name, strlen(name));
	if (f >= 0) {
		*field = (int)schema << FIELD_SCHEMA_SHIFT | f;
		return REMIT_OK;
	}
	struct remit_regime *r = c->L->regime;
	remit__attrset *set = s == &remit__population_schema ? &r->pattrs : &r->attrs;
	uint32_t slot = remit__attrset_add(set, name, strlen(name));
	if (slot > FIELD_INDEX)
		return REMIT_EUSAGE;
	*field = (int)schema << FIELD_SCHEMA_SHIFT | FIELD_ATTR | (int)slot;
	return REMIT_OK;
}

static int config_period(remit_plugin_config *c, int64_t *from, int64_t *to)
{
	if (!c || !from || !to)
		return REMIT_EUSAGE;
	const struct remit_regime *r = c->L->regime;
	if (!r->has_period)
		return REMIT_ENOTFOUND;
	*from = r->period_from;
	*to = r->period_to;
	return REMIT_OK;
}

static void config_error(remit_plugin_config *c, const char *key, const char *message)
{
	if (!c)
		return;
	const yaml_node_t *n = value_of(c, key);
	c->errors++;
	if (key)
		remit__rules_error(c->L, n ? n : c->map, "%s.%s: %s", c->type, key,
				   message ? message : "invalid");
	else
		remit__rules_error(c->L, c->map, "%s: %s", c->type, message ? message : "invalid");
}

/* ---- run time: what a plugin asks of a row ---------------------------- */

/* The row's value of field, or NULL (then *attr is the attribute text,
 * possibly empty) — or false for a field of another schema. */
static bool field_of(const remit_plugin_row *h, int field, const remit__val **v, remit__str *attr)
{
	*v = NULL;
	attr->p = "";
	attr->n = 0;
	if (!h || field < 0 || field >> FIELD_SCHEMA_SHIFT != h->schema)
		return false;
	uint32_t idx = (uint32_t)field & FIELD_INDEX;
	if (field & FIELD_ATTR) {
		const uint32_t *map = h->schema == REMIT_PLUGIN_ACTIVITY ? h->cx->attr_map
									 : h->cx->pattr_map;
		const remit__attrset *set = h->schema == REMIT_PLUGIN_ACTIVITY
						    ? &h->cx->regime->attrs
						    : &h->cx->regime->pattrs;
		if (idx >= set->n)
			return false;
		uint32_t col = map ? map[idx] : UINT32_MAX;
		if (col < h->row->nattrs)
			*attr = h->row->attrs[col];
		return true;
	}
	if (idx >= (uint32_t)schema_of(h->schema)->nfields)
		return false;
	*v = &h->row->f[idx];
	return true;
}

static remit__ftype type_of(const remit_plugin_row *h, int field)
{
	return schema_of(h->schema)->fields[(uint32_t)field & FIELD_INDEX].type;
}

static int row_text(const remit_plugin_row *h, int field, const char **text, size_t *len)
{
	const remit__val *v;
	remit__str a;
	if (!text || !len || !field_of(h, field, &v, &a))
		return REMIT_EUSAGE;
	*text = "";
	*len = 0;
	if (!v) {
		*text = a.p;
		*len = a.n;
		return a.n ? REMIT_OK : REMIT_ENOTFOUND;
	}
	if (!v->present)
		return REMIT_ENOTFOUND;
	if (v->s.n) {
		*text = v->s.p;
		*len = v->s.n;
		return REMIT_OK;
	}
	/* a value remit filled in (end, los, quantity, need): its text */
	remit_plugin_row *w = (remit_plugin_row *)h;
	char *b = w->text[w->next_text++ % 4];
	switch (type_of(h, field)) {
	case REMIT__T_DATE:
		remit__date_format(v->i, b);
		break;
	case REMIT__T_INT:
		snprintf(b, REMIT__NUM_BUF, "%" PRId64, v->i);
		break;
	case REMIT__T_DEC:
		remit__num_format_exact(v->d, b, REMIT__NUM_BUF);
		break;
	default:
		return REMIT_ENOTFOUND;
	}
	*text = b;
	*len = strlen(b);
	return REMIT_OK;
}

static int row_int(const remit_plugin_row *h, int field, int64_t *out)
{
	const remit__val *v;
	remit__str a;
	if (!out || !field_of(h, field, &v, &a) || !v)
		return REMIT_EUSAGE;
	remit__ftype t = type_of(h, field);
	if (t != REMIT__T_INT && t != REMIT__T_DATE)
		return REMIT_EUSAGE;
	if (!v->present)
		return REMIT_ENOTFOUND;
	*out = v->i;
	return REMIT_OK;
}

static int row_number(const remit_plugin_row *h, int field, char *buf, size_t cap)
{
	const remit__val *v;
	remit__str a;
	if (!buf || cap < 2 || !field_of(h, field, &v, &a) || !v)
		return REMIT_EUSAGE;
	remit__ftype t = type_of(h, field);
	if (t != REMIT__T_INT && t != REMIT__T_DEC)
		return REMIT_EUSAGE;
	if (!v->present)
		return REMIT_ENOTFOUND;
	char full[1024];
	size_t n = t == REMIT__T_INT ? (size_t)snprintf(full, sizeof full, "%" PRId64, v->i)
				     : remit__num_format_exact(v->d, full, sizeof full);
	if (n >= cap || n >= sizeof full - 1) {
		buf[0] = '\0'; /* never a truncated, wrong number */
		return REMIT_EUSAGE;
	}
	memcpy(buf, full, n + 1);
	return REMIT_OK;
}

static int row_matches(const remit_plugin_row *h, const remit_plugin_pred *p)
{
	if (!h || !p || p->schema != h->schema)
		return 0;
	const uint32_t *map = h->schema == REMIT_PLUGIN_ACTIVITY ? h->cx->attr_map
								 : h->cx->pattr_map;
	return remit__pred_eval(p->pred, h->row, map);
}

static int refuse(remit_plugin_row *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line is refused: nothing is paid and the row becomes unpriced. */
static int refuse(remit_plugin_row *h, const char *fmt, ...)
{
	char why[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (!h->refused)
		remit__unpriced(h->cx, "module %s: line refused: %s", h->m->base.name, why);
	h->refused = true;
	REMIT__TRACE(h->cx, "  line refused: %s", why);
	return REMIT_EUSAGE;
}

static bool org_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n <= ORG_MAX_LEN;
}

static bool kind_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!(s[n] >= 'a' && s[n] <= 'z') && s[n] != '_')
			return false;
	return n > 0 && n <= KIND_MAX_LEN;
}

static remit__str str_of(const char *s)
{
	remit__str r = {s, (uint32_t)strlen(s)};
	return r;
}

/* Parse an exact number of a line; false after refusing. */
static bool line_num(remit_plugin_row *h, const char *what, const char *s, unsigned allow,
		     remit__num *out)
{
	int rc = remit__num_parse(s, strlen(s), allow, h->cx->pool, out);
	if (rc == REMIT__PARSE_EZERODIV) {
		refuse(h, "%s: division by zero in \"%.64s\"", what, s);
		return false;
	}
	if (rc < 0) {
		refuse(h, "%s: expected %s, got \"%.64s\"", what,
		       allow == REMIT__PARSE_FACTOR ? "a decimal, a fraction or a percentage"
						    : "a decimal or a fraction",
		       s);
		return false;
	}
	return true;
}

static int emit(remit_plugin_row *h, const remit_plugin_line *l)
{
	if (!h)
		return REMIT_EUSAGE;
	if (h->refused)
		return refuse(h, "an earlier line of this row was refused");
	if (!l)
		return refuse(h, "the line is NULL");
	bool activity = h->schema == REMIT_PLUGIN_ACTIVITY;
	const remit__val *f = h->row->f;
	const char *kind = l->kind ? l->kind : activity ? "activity" : "budget";
	if (!kind_ok(kind))
		return refuse(h, "kind: expected 1 to %d of a-z and '_', got \"%.64s\"",
			      KIND_MAX_LEN, kind);
	if (l->component < 0 || l->component >= REMIT_C_COUNT ||
	    l->component == REMIT_C_ROUNDING)
		return refuse(h, "component: expected a remit_component other than rounding, "
				 "got %d",
			      l->component);
	if ((l->payer && !org_ok(l->payer)) || (l->payee && !org_ok(l->payee)))
		return refuse(h, "payer and payee: expected 1 to %d bytes", ORG_MAX_LEN);
	if (!l->amount)
		return refuse(h, "amount: required");
	remit__num amount, times = REMIT__NUM_ONE;
	if (!line_num(h, "amount", l->amount, REMIT__PARSE_DECIMAL | REMIT__PARSE_RATIONAL,
		      &amount))
		return REMIT_EUSAGE;
	if (l->times && !line_num(h, "times", l->times, REMIT__PARSE_FACTOR, &times))
		return REMIT_EUSAGE;

	remit__ctx *cx = h->cx;
	remit__pline pl;
	remit__pline_init(&pl, &h->m->base, kind);
	remit__num exact = remit__num_mul(cx->pool, amount, times);
	pl.amount = remit__round_line(cx, exact);
	pl.comp[l->component] = exact;
	pl.comp[REMIT_C_ROUNDING] = remit__num_sub(cx->pool, pl.amount, exact);
	if (activity) {
		pl.payer = l->payer ? str_of(l->payer) : f[REMIT__A_COMMISSIONER].s;
		pl.payee = l->payee ? str_of(l->payee) : f[REMIT__A_PROVIDER].s;
		pl.patient = f[REMIT__A_PATIENT].s;
		pl.activity = f[REMIT__A_ID].s;
		pl.pod = f[REMIT__A_POD].s;
	} else {
		pl.payer = l->payer ? str_of(l->payer) : f[REMIT__P_COMMISSIONER].s;
		pl.payee = l->payee ? str_of(l->payee) : f[REMIT__P_PRACTICE].s;
		pl.patient = f[REMIT__P_PATIENT].s;
	}
	pl.basis = l->basis ? l->basis : "";
	REMIT__TRACE(cx, "  %s × %s = %s → %s (scale %d, %s)", remit__fmt(cx, amount),
		     remit__fmt(cx, times), remit__fmt(cx, exact), remit__fmt_money(cx, pl.amount),
		     cx->regime->scale, remit__rmode_name(cx->regime->mode));
	remit__emit(cx, &pl);
	return REMIT_OK;
}

static int unpriced(remit_plugin_row *h, const char *reason)
{
	if (h && !h->refused) {
		remit__unpriced(h->cx, "%s", reason && *reason ? reason : "no reason given");
		h->unpriced = true;
	}
	return REMIT_PLUGIN_UNPRICED;
}

static void trace(remit_plugin_row *h, const char *text)
{
	if (h && text)
		REMIT__TRACE(h->cx, "  %s", text);
}

static const remit_plugin_host host = {
	.version = REMIT_PLUGIN_VERSION,
	.config_string = config_string,
	.config_number = config_number,
	.config_int = config_int,
	.config_date = config_date,
	.config_predicate = config_predicate,
	.config_field = config_field,
	.config_period = config_period,
	.config_error = config_error,
	.row_text = row_text,
	.row_int = row_int,
	.row_number = row_number,
	.row_matches = row_matches,
	.emit = emit,
	.unpriced = unpriced,
	.trace = trace,
};

/* ---- the adapter: an internal module type around a plugin -------------- */

/* parse() is not told its type: the instance's `module:` names it. */
static const plugin_rec *rec_for_map(remit__loader *L, const yaml_node_t *map)
{
	const yaml_node_t *tn = remit__cfg_get(L, map, "module");
	if (!tn || tn->type != YAML_SCALAR_NODE)
		return NULL;
	char name[NAME_MAX_LEN + 1];
	size_t n = tn->data.scalar.length;
	if (n > NAME_MAX_LEN)
		return NULL;
	memcpy(name, tn->data.scalar.value, n);
	name[n] = '\0';
	const remit__module_type *t = remit__plugin_type_find(name);
	return t ? rec_of(t) : NULL;
}

static remit__module *adapter_parse(remit__loader *L, const yaml_node_t *map)
{
	const plugin_rec *rec = rec_for_map(L, map);
	if (!rec) {
		remit__rules_error(L, map, "module: internal error: plugin type not found");
		return NULL;
	}
	const remit_plugin *p = rec->p;
	pmodule *pm = remit__zalloc(remit__loader_arena(L), sizeof *pm);
	remit__pred *covers = NULL;
	bool ok = !p->price ||
		  remit__cfg_pred(L, remit__cfg_get(L, map, "covers"),
				  remit__sprintf(remit__loader_arena(L), "%s.covers", p->name),
				  &remit__activity_schema, &covers);
	/* the plugin's own keys are checked even when covers is wrong, so that
	 * one `remit check` lists every error */
	remit_plugin_config cfg = {L, map, p->name, 0};
	void *instance = NULL;
	int rc = p->parse(&host, &cfg, &instance);
	if (!ok || rc < 0 || cfg.errors) {
		if (ok && !cfg.errors)
			remit__rules_error(L, map, "%s: the plugin refused this module (%s)", p->name,
					   remit_status_name(rc));
		if (instance && p->free)
			p->free(instance);
		return NULL;
	}
	pm->rec = rec;
	pm->instance = instance;
	pm->base.covers = covers;
	pm->base.wants_population = p->person != NULL;
	return &pm->base;
}

static remit__outcome adapter_price(const remit__module *m, remit__ctx *cx,
				    const remit__row *row)
{
	const pmodule *pm = (const pmodule *)m;
	const remit_plugin *p = pm->rec->p;
	if (!p->price)
		return remit__unpriced(cx, "module %s prices no activity", m->name);
	remit_plugin_row h = {.cx = cx, .row = row, .schema = REMIT_PLUGIN_ACTIVITY, .m = pm};
	int out = p->price(&host, pm->instance, &h);
	if (h.refused)
		return REMIT__UNPRICED; /* the reason is the refusal's */
	switch (out) {
	case REMIT_PLUGIN_PRICED:
		return REMIT__PRICED;
	case REMIT_PLUGIN_COVERED:
		return REMIT__COVERED;
	case REMIT_PLUGIN_UNPRICED:
		return h.unpriced ? REMIT__UNPRICED
				  : remit__unpriced(cx, "module %s: no reason given", m->name);
	default:
		return remit__unpriced(cx, "module %s: price returned %d, not an outcome", m->name,
				       out);
	}
}

static void adapter_person(const remit__module *m, remit__ctx *cx, const remit__row *row)
{
	const pmodule *pm = (const pmodule *)m;
	remit_plugin_row h = {.cx = cx, .row = row, .schema = REMIT_PLUGIN_POPULATION, .m = pm};
	pm->rec->p->person(&host, pm->instance, &h);
}

static void adapter_free(remit__module *m)
{
	pmodule *pm = (pmodule *)m;
	if (pm->instance && pm->rec->p->free)
		pm->rec->p->free(pm->instance);
}
