/*
 * predicate.c — compiling and evaluating the rule files' conditions.
 *
 * Compiling is a small lexer and a recursive-descent parser:
 *
 *   or   := and { "or" and }
 *   and  := not { "and" not }
 *   not  := "not" not | "(" or ")" | cmp
 *   cmp  := name op value | name ["not"] "in" list | name "has" (value | list)
 *   list := "[" value { "," value } "]"
 *
 * A bare word is a run of bytes other than whitespace and ()[],=!<>"'; a
 * quoted string ("..." or '...', no escapes: use the other quote to hold
 * one) is a literal.  A bare word ending in '*' is a prefix wildcard; a '*'
 * anywhere else in a bare word is an error.  The keywords and, or, not, in
 * and has are recognised as whole lowercase words and are never values
 * unless quoted.  A field name starts with a letter or '_' and holds
 * letters, digits, '_', '.' and '-'.
 *
 * The result is one malloc'd block: a flat array of nodes (AND/OR with any
 * number of children, NOT, and leaves), the children indices, the typed
 * literals (strings as offsets into a private copy of their bytes, int64
 * for INT and DATE fields, remit__num for DEC fields) and a copy of the
 * source.  A leaf normalises ==, !=, in and not in to "is the value one of
 * these literals" plus a negation flag; has is "does any item of the list
 * match one of these literals".  A leaf's string literals are stored exact
 * ones first, then prefixes; when there are more than SORT_MIN exact ones
 * they are sorted at compile time and found by binary search.
 *
 * Evaluation walks the nodes recursively (depth is bounded by MAX_DEPTH,
 * since and/or chains are single n-ary nodes) and never allocates.  An
 * absent value (an empty cell) makes every leaf false before negation, so
 * != and not in are true on it.
 *
 * Attributes (names not in the schema) are strings; an empty attribute
 * cell counts as absent.  `has` is allowed on an attribute and reads its
 * cell as a '|'-separated list.  Passing attrs == NULL forbids attributes:
 * an unknown name is then a compile error.
 *
 * A lone bare * after == or != is a presence test on a field of any type
 * (`end == *`: the cell is not empty); after has it matches any item.
 *
 * Limits: MAX_DEPTH nested parentheses/not, MAX_LIST values in one list,
 * MAX_SRC bytes of source.  Empty quoted strings are rejected (an empty
 * cell never matches anything, so "" could only mislead).
 */
#include "predicate.h"
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_LIST 65536
#define MAX_SRC (16u << 20)
#define SORT_MIN 16

/* ---- the compiled form ----------------------------------------------- */

enum { N_AND, N_OR, N_NOT, N_LEAF };
enum { VT_STR, VT_LIST, VT_INT, VT_DEC, VT_ANY }; /* how a leaf reads its value */
enum { OP_IN, OP_LT, OP_LE, OP_GT, OP_GE };

typedef struct node {
	uint8_t kind;
	uint8_t vt;
	uint8_t op;
	bool neg;    /* != and not in: the negation of == and in */
	bool attr;   /* field is an attrset slot, not a field id */
	bool sorted; /* the exact strings are sorted */
	uint32_t field;
	uint32_t first, count; /* children in kids[], or literals */
	uint32_t nexact;       /* strings: literals [0, nexact) are exact */
} node;

typedef struct slit {
	uint32_t off, len; /* bytes in strs; for a prefix, without the '*' */
	uint32_t wild;
} slit;

typedef struct use {
	uint32_t slot, off;
} use;

/* A scope that is one "field in [a, b, ...]" (or not in) of a few short
 * exact strings, as most are (`pod in [EL, NE]`), or an `and` of a few
 * (`provider == RYY and pod == COM`): tested by key, with no walk of the
 * nodes. */
#define ONE_MAX 8
#define ONES_MAX 4
struct one {
	uint32_t n; /* literals */
	uint32_t field;
	bool neg;
	uint32_t len[ONE_MAX];
	remit__skey k[ONE_MAX];
};

struct remit__pred {
	uint32_t nones; /* 0: the scope is not of that form */
	struct one ones[ONES_MAX];
	const node *nodes;
	const uint32_t *kids;
	const slit *slits;
	const int64_t *ints;
	const remit__num *nums;
	const use *uses;
	const char *strs;
	const char *src;
	uint32_t root, nuses;
	remit__numpool *pool; /* only for literals too big for the small form */
};

/* ---- attribute sets -------------------------------------------------- */

uint32_t remit__attrset_add(remit__attrset *s, const char *name, size_t n)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (strlen(s->names[i]) == n && memcmp(s->names[i], name, n) == 0)
			return i;
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 8;
		char **nn = realloc(s->names, cap * sizeof(*nn));
		if (!nn)
			return UINT32_MAX;
		s->names = nn;
		s->cap = cap;
	}
	char *copy = malloc(n + 1);
	if (!copy)
		return UINT32_MAX;
	memcpy(copy, name, n);
	copy[n] = '\0';
	s->names[s->n] = copy;
	return s->n++;
}

void remit__attrset_free(remit__attrset *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	s->names = NULL;
	s->n = s->cap = 0;
}

/* ---- evaluation ------------------------------------------------------ */

/* Codes are short: a plain loop beats a call to memcmp. */
static inline bool bytes_eq(const char *a, const char *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static int bytes_cmp(const char *a, uint32_t an, const char *b, uint32_t bn)
{
	uint32_t n = an < bn ? an : bn;
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
	return (an > bn) - (an < bn);
}

static int lit_cmp(const char *strs, remit__str s, slit l)
{
	return bytes_cmp(s.p, s.n, strs + l.off, l.len);
}

static bool ordered(int c, int op)
{
	switch (op) {
	case OP_LT:
		return c < 0;
	case OP_LE:
		return c <= 0;
	case OP_GT:
		return c > 0;
	default:
		return c >= 0;
	}
}

static bool find_sorted(const char *strs, const slit *a, uint32_t n, remit__str s)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = lit_cmp(strs, s, a[mid]);
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* Is s one of the leaf's string literals? */
static bool str_in(const remit__pred *p, const node *nd, remit__str s)
{
	const slit *a = p->slits + nd->first;
	uint32_t i;
	if (nd->sorted) {
		if (find_sorted(p->strs, a, nd->nexact, s))
			return true;
	} else {
		for (i = 0; i < nd->nexact; i++)
			if (a[i].len == s.n && bytes_eq(s.p, p->strs + a[i].off, s.n))
				return true;
	}
	for (i = nd->nexact; i < nd->count; i++)
		if (a[i].len <= s.n && bytes_eq(s.p, p->strs + a[i].off, a[i].len))
			return true;
	return false;
}

static bool list_has(const remit__pred *p, const node *nd, remit__str list)
{
	uint32_t pos = 0;
	remit__str item;
	while (remit__list_next(list, &pos, &item))
		if (str_in(p, nd, item))
			return true;
	return false;
}

static bool int_test(const remit__pred *p, const node *nd, int64_t v)
{
	const int64_t *a = p->ints + nd->first;
	if (nd->op != OP_IN)
		return ordered((v > a[0]) - (v < a[0]), nd->op);
	for (uint32_t i = 0; i < nd->count; i++)
		if (a[i] == v)
			return true;
	return false;
}

static bool dec_test(const remit__pred *p, const node *nd, remit__num v)
{
	const remit__num *a = p->nums + nd->first;
	if (nd->op != OP_IN)
		return ordered(remit__num_cmp(v, a[0]), nd->op);
	for (uint32_t i = 0; i < nd->count; i++)
		if (remit__num_cmp(v, a[i]) == 0)
			return true;
	return false;
}

static bool leaf(const remit__pred *p, const node *nd, const remit__row *row,
		 const uint32_t *attr_map)
{
	const remit__val *v = NULL;
	remit__str s = {"", 0};
	bool r = false;

	if (nd->attr) {
		uint32_t k = attr_map[nd->field];
		if (k < row->nattrs)
			s = row->attrs[k];
		if (s.n == 0)
			return nd->neg;
	} else {
		v = &row->f[nd->field];
		if (!v->present)
			return nd->neg;
		s = v->s;
	}
	switch (nd->vt) {
	case VT_STR:
		if (nd->op == OP_IN)
			r = str_in(p, nd, s);
		else
			r = ordered(lit_cmp(p->strs, s, p->slits[nd->first]), nd->op);
		break;
	case VT_LIST:
		r = list_has(p, nd, s);
		break;
	case VT_INT:
		r = int_test(p, nd, v->i);
		break;
	case VT_DEC:
		r = dec_test(p, nd, v->d);
		break;
	case VT_ANY:
		r = true;
		break;
	}
	return r != nd->neg;
}

static bool eval(const remit__pred *p, uint32_t i, const remit__row *row, const uint32_t *attr_map)
{
	const node *nd = &p->nodes[i];
	const uint32_t *k = p->kids + nd->first;
	uint32_t j;

	switch (nd->kind) {
	case N_AND:
		for (j = 0; j < nd->count; j++)
			if (!eval(p, k[j], row, attr_map))
				return false;
		return true;
	case N_OR:
		for (j = 0; j < nd->count; j++)
			if (eval(p, k[j], row, attr_map))
				return true;
		return false;
	case N_NOT:
		return !eval(p, nd->first, row, attr_map);
	default:
		return leaf(p, nd, row, attr_map);
	}
}

static inline bool one_in(const struct one *o, const remit__row *row)
{
	const remit__val *v = &row->f[o->field];
	remit__str s = v->s;
	if (!v->present || s.n > REMIT__SKEY_MAX)
		return o->neg;
	remit__skey k = remit__skey_of(s.p, s.n);
	for (uint32_t i = 0; i < o->n; i++)
		if (o->len[i] == s.n && remit__skey_eq(o->k[i], k))
			return !o->neg;
	return o->neg;
}

/* An `and` of keyed tests (kept out of remit__pred_eval: a lone test, the
 * common scope, then costs what it did before there were several). */
static __attribute__((noinline)) bool all_in(const remit__pred *p, const remit__row *row)
{
	for (uint32_t i = 0; i < p->nones; i++)
		if (!one_in(&p->ones[i], row))
			return false;
	return true;
}

bool remit__pred_eval(const remit__pred *p, const remit__row *row, const uint32_t *attr_map)
{
	if (p->nones == 1)
		return one_in(&p->ones[0], row);
	if (p->nones)
		return all_in(p, row);
	return eval(p, p->root, row, attr_map);
}

size_t remit__pred_nattrs(const remit__pred *p)
{
	return p->nuses;
}

void remit__pred_attr(const remit__pred *p, size_t i, uint32_t *slot, size_t *offset)
{
	*slot = p->uses[i].slot;
	*offset = p->uses[i].off;
}

const char *remit__pred_source(const remit__pred *p)
{
	return p->src;
}

void remit__pred_free(remit__pred *p)
{
	if (!p)
		return;
	if (p->pool)
		remit__numpool_free(p->pool);
	free(p);
}

/* ---- growable arrays for the compiler -------------------------------- */

typedef struct vec {
	void *p;
	uint32_t n, cap;
	size_t size;
} vec;

static bool vec_grow(vec *v, uint32_t more)
{
	if (v->cap - v->n >= more)
		return true;
	size_t cap = v->cap ? v->cap : 16;
	while (cap - v->n < more)
		cap *= 2;
	if (cap > UINT32_MAX)
		return false;
	void *np = realloc(v->p, cap * v->size);
	if (!np)
		return false;
	v->p = np;
	v->cap = (uint32_t)cap;
	return true;
}

static void *vec_push(vec *v)
{
	if (!vec_grow(v, 1))
		return NULL;
	return (char *)v->p + (size_t)v->n++ * v->size;
}

/* ---- lexer ----------------------------------------------------------- */

enum { K_NONE = -1, K_END, K_WORD, K_QSTR, K_LP, K_RP, K_LB, K_RB, K_COMMA, K_OP };

typedef struct tok {
	int k;
	uint32_t off, len;
} tok;

typedef struct ctx {
	const char *src;
	uint32_t n, pos;
	tok t, prev;
	const remit__schema *schema;
	remit__attrset *attrs;
	vec nodes, kids, scratch, slits, ints, nums, uses, strs;
	remit__numpool *pool;
	int depth;
	char *msg;
	size_t msgcap, err_off;
	bool failed;
} ctx;

/* Show at most this many bytes of a token in a message. */
#define SHOW 40
#define TK(c, t) (int)((t).len < SHOW ? (t).len : SHOW), (c)->src + (t).off

__attribute__((format(printf, 3, 4))) static int fail(ctx *c, size_t off, const char *fmt, ...)
{
	va_list ap;
	if (c->failed)
		return -1;
	c->failed = true;
	c->err_off = off;
	if (c->msg && c->msgcap) {
		va_start(ap, fmt);
		vsnprintf(c->msg, c->msgcap, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int oom(ctx *c)
{
	return fail(c, c->t.off, "out of memory");
}

static bool is_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static bool is_word(unsigned char ch)
{
	return ch > ' ' && ch != 0x7f && !strchr("()[],=!<>\"'", ch);
}

static bool is_opch(unsigned char ch)
{
	return ch && strchr("=!<>", ch);
}

static int lex(ctx *c)
{
	const char *s = c->src;
	uint32_t i = c->pos;
	tok t = {K_END, 0, 0};

	while (i < c->n && is_space((unsigned char)s[i]))
		i++;
	t.off = i;
	c->prev = c->t;
	if (i < c->n) {
		unsigned char ch = (unsigned char)s[i];
		const char *q;
		t.len = 1;
		if (ch < ' ' || ch == 0x7f)
			return fail(c, i, "unexpected character (byte 0x%02x)", ch);
		if (ch == '"' || ch == '\'') {
			q = memchr(s + i + 1, ch, c->n - i - 1);
			if (!q)
				return fail(c, i, "unterminated string: no closing %c", ch);
			t.k = K_QSTR;
			t.len = (uint32_t)(q - (s + i)) + 1;
		} else if ((q = strchr("()[],", ch))) {
			t.k = K_LP + (int)(q - "()[],");
		} else if (is_opch(ch)) {
			t.k = K_OP;
			while (i + t.len < c->n && is_opch((unsigned char)s[i + t.len]))
				t.len++;
		} else {
			t.k = K_WORD;
			while (i + t.len < c->n && is_word((unsigned char)s[i + t.len]))
				t.len++;
		}
	}
	c->t = t;
	c->pos = t.off + t.len;
	return 0;
}

static bool tok_is(const ctx *c, tok t, const char *w)
{
	size_t l = strlen(w);
	return t.len == l && memcmp(c->src + t.off, w, l) == 0;
}

static bool kw(const ctx *c, tok t, const char *w)
{
	return t.k == K_WORD && tok_is(c, t, w);
}

static bool any_kw(const ctx *c, tok t)
{
	return kw(c, t, "and") || kw(c, t, "or") || kw(c, t, "not") || kw(c, t, "in") ||
	       kw(c, t, "has");
}

static bool is_value(const ctx *c, tok t)
{
	return t.k == K_QSTR || (t.k == K_WORD && !any_kw(c, t));
}

static bool is_name(const ctx *c, tok t)
{
	const char *s = c->src + t.off;
	if (t.k != K_WORD || any_kw(c, t) || !(s[0] == '_' || (unsigned)((s[0] | 0x20) - 'a') < 26u))
		return false;
	for (uint32_t i = 1; i < t.len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!(ch == '_' || ch == '.' || ch == '-' || (ch >= '0' && ch <= '9') ||
		      (unsigned)((ch | 0x20) - 'a') < 26u))
			return false;
	}
	return true;
}

/* ---- nodes ----------------------------------------------------------- */

static int add_node(ctx *c, node nd)
{
	node *slot = vec_push(&c->nodes);
	if (!slot)
		return oom(c);
	*slot = nd;
	return (int)(c->nodes.n - 1);
}

/* Make an AND/OR node of the children scratch[mark..] (or pass the only
 * child through). */
static int add_group(ctx *c, int kind, uint32_t mark)
{
	uint32_t *sc = (uint32_t *)c->scratch.p + mark;
	uint32_t cnt = c->scratch.n - mark;
	node nd = {.kind = (uint8_t)kind, .first = c->kids.n, .count = cnt};

	c->scratch.n = mark;
	if (cnt == 1)
		return (int)sc[0];
	if (!vec_grow(&c->kids, cnt))
		return oom(c);
	memcpy((uint32_t *)c->kids.p + c->kids.n, sc, cnt * sizeof(*sc));
	c->kids.n += cnt;
	return add_node(c, nd);
}

static int push_child(ctx *c, int child)
{
	uint32_t *slot;
	if (child < 0)
		return -1;
	slot = vec_push(&c->scratch);
	if (!slot)
		return oom(c);
	*slot = (uint32_t)child;
	return 0;
}

/* ---- fields and operators -------------------------------------------- */

enum { P_EQ, P_NE, P_LT, P_LE, P_GT, P_GE, P_IN, P_NOTIN, P_HAS };
static const char *const opname[] = {"==", "!=", "<", "<=", ">", ">=", "in", "not in", "has"};

typedef struct fref {
	tok name;
	bool attr;
	uint32_t id;
	remit__ftype type; /* STR for attributes */
} fref;

static const char *fname(const ctx *c, const fref *f)
{
	return c->schema->fields[f->id].name;
}

static int note_use(ctx *c, uint32_t slot, uint32_t off)
{
	use *u = c->uses.p;
	for (uint32_t i = 0; i < c->uses.n; i++)
		if (u[i].slot == slot)
			return 0;
	u = vec_push(&c->uses);
	if (!u)
		return oom(c);
	u->slot = slot;
	u->off = off;
	return 0;
}

static int resolve(ctx *c, tok name, fref *f)
{
	int id = c->schema ? remit__schema_find(c->schema, c->src + name.off, name.len) : -1;

	f->name = name;
	if (id >= 0) {
		f->attr = false;
		f->id = (uint32_t)id;
		f->type = c->schema->fields[id].type;
		return 0;
	}
	if (!c->attrs)
		return fail(c, name.off, "unknown field '%.*s'", TK(c, name));
	f->attr = true;
	f->type = REMIT__T_STR;
	f->id = remit__attrset_add(c->attrs, c->src + name.off, name.len);
	if (f->id == UINT32_MAX)
		return oom(c);
	return note_use(c, f->id, name.off);
}

/* Read the operator after field f; leaves c->t on what follows it. */
static int read_op(ctx *c, const fref *f, int *pop)
{
	static const char *const sym[] = {"==", "!=", "<", "<=", ">", ">="};
	tok t = c->t;

	if (t.k == K_OP) {
		for (int i = 0; i < 6; i++)
			if (tok_is(c, t, sym[i]))
				*pop = i;
		if (*pop < 0)
			return fail(c, t.off,
				    "unknown operator '%.*s'; expected ==, !=, <, <=, >, >=, in, "
				    "not in or has",
				    TK(c, t));
	} else if (kw(c, t, "in")) {
		*pop = P_IN;
	} else if (kw(c, t, "has")) {
		*pop = P_HAS;
	} else if (kw(c, t, "not")) {
		if (lex(c))
			return -1;
		if (!kw(c, c->t, "in"))
			return fail(c, c->t.off, "expected 'in' after 'not'");
		*pop = P_NOTIN;
	} else {
		return fail(c, t.off,
			    "expected ==, !=, <, <=, >, >=, in, not in or has after '%.*s'",
			    TK(c, f->name));
	}
	return lex(c);
}

static void list_fields(const ctx *c, char *buf, size_t cap)
{
	size_t k = 0;
	buf[0] = '\0';
	for (int i = 0; c->schema && i < c->schema->nfields; i++) {
		if (c->schema->fields[i].type != REMIT__T_LIST)
			continue;
		int w = snprintf(buf + k, cap - k, "%s%s", k ? ", " : "",
				 c->schema->fields[i].name);
		if (w < 0 || (size_t)w >= cap - k)
			break;
		k += (size_t)w;
	}
}

/* Is operator pop allowed on field f? */
static int check_op(ctx *c, const fref *f, int pop, tok optok)
{
	char lists[128];

	if (f->attr)
		return 0;
	if (f->type == REMIT__T_LIST && pop != P_HAS)
		return fail(c, optok.off, "%s is a list; use 'has' instead of '%s' (%s has [...])",
			    fname(c, f), opname[pop], fname(c, f));
	if (f->type != REMIT__T_LIST && pop == P_HAS) {
		list_fields(c, lists, sizeof(lists));
		return fail(c, optok.off, "has needs a list field (%s); %s is not a list", lists,
			    fname(c, f));
	}
	if (f->type == REMIT__T_SEX && pop >= P_LT && pop <= P_GE)
		return fail(c, optok.off, "%s is M, F or U; only ==, !=, in and not in apply",
			    fname(c, f));
	return 0;
}

/* ---- literals -------------------------------------------------------- */

static int vt_of(const fref *f, int pop)
{
	if (f->attr)
		return pop == P_HAS ? VT_LIST : VT_STR;
	switch (f->type) {
	case REMIT__T_LIST:
		return VT_LIST;
	case REMIT__T_INT:
	case REMIT__T_DATE:
		return VT_INT;
	case REMIT__T_DEC:
		return VT_DEC;
	default:
		return VT_STR;
	}
}

static bool parse_i64(const char *s, size_t n, int64_t *out)
{
	size_t i = n && (s[0] == '-' || s[0] == '+');
	bool neg = n && s[0] == '-';
	int64_t v = 0;
	if (i == n)
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, neg ? -(s[i] - '0') : s[i] - '0', &v))
			return false;
	}
	*out = v;
	return true;
}

/* Does a bare word look like a decimal (for a clearer INT message)? */
static bool looks_decimal(const char *s, size_t n)
{
	bool dot = false, dig = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			dig = true;
		else if (s[i] == '.' && !dot)
			dot = true;
		else if (!(i == 0 && (s[i] == '-' || s[i] == '+')))
			return false;
	}
	return dig && dot;
}

static int add_int(ctx *c, const fref *f, tok v, const char *s, size_t n)
{
	int64_t x;
	int64_t *slot;
	bool ok = v.k == K_WORD;

	if (f->type == REMIT__T_DATE) {
		if (!ok || !remit__date_parse(s, n, &x))
			return fail(c, v.off, "%s is a date; expected a date as YYYY-MM-DD, got %.*s",
				    fname(c, f), TK(c, v));
	} else if (!ok || !parse_i64(s, n, &x)) {
		if (ok && looks_decimal(s, n))
			return fail(c, v.off,
				    "%s is a whole number; expected a whole number, got %.*s",
				    fname(c, f), TK(c, v));
		return fail(c, v.off, "%s is a number; expected a number, got %.*s", fname(c, f),
			    TK(c, v));
	}
	slot = vec_push(&c->ints);
	if (!slot)
		return oom(c);
	*slot = x;
	return 0;
}

static int add_dec(ctx *c, const fref *f, tok v, const char *s, size_t n)
{
	remit__num x;
	remit__num *slot;
	int r = REMIT__PARSE_ESYNTAX;

	if (v.k == K_WORD) {
		r = remit__num_parse(s, n, REMIT__PARSE_DECIMAL, c->pool, &x);
		if (r == REMIT__PARSE_ERANGE && !c->pool) {
			c->pool = remit__numpool_new();
			if (!c->pool)
				return oom(c);
			r = remit__num_parse(s, n, REMIT__PARSE_DECIMAL, c->pool, &x);
		}
	}
	if (r != 0)
		return fail(c, v.off, "%s is a number; expected a number, got %.*s", fname(c, f),
			    TK(c, v));
	slot = vec_push(&c->nums);
	if (!slot)
		return oom(c);
	*slot = x;
	return 0;
}

static int add_str(ctx *c, const fref *f, tok v, const char *s, uint32_t n, bool wild)
{
	slit *l;

	if (!f->attr && f->type == REMIT__T_SEX &&
	    (wild || n != 1 || (s[0] != 'M' && s[0] != 'F' && s[0] != 'U')))
		return fail(c, v.off, "%s is M, F or U; got %.*s", fname(c, f), TK(c, v));
	if (!wild && n == 0)
		return fail(c, v.off,
			    "an empty value \"\" never matches: an empty cell fails every comparison");
	if (n && !vec_grow(&c->strs, n))
		return oom(c);
	l = vec_push(&c->slits);
	if (!l)
		return oom(c);
	l->off = c->strs.n;
	l->len = n;
	l->wild = wild;
	if (n)
		memcpy((char *)c->strs.p + c->strs.n, s, n);
	c->strs.n += n;
	return 0;
}

/* Convert value token v to field f's type and append it to the literals. */
static int add_value(ctx *c, const fref *f, int pop, tok v)
{
	const char *s = c->src + v.off;
	uint32_t n = v.len;
	bool wild = false;

	if (v.k == K_QSTR) {
		s++;
		n -= 2;
	} else {
		wild = s[n - 1] == '*';
		if (memchr(s, '*', n - wild))
			return fail(c, v.off,
				    "'*' can only end a value, as a prefix wildcard (HN12*)");
	}
	if (wild && pop >= P_LT && pop <= P_GE)
		return fail(c, v.off, "a wildcard (*) works only with ==, !=, in, not in and has");
	switch (vt_of(f, pop)) {
	case VT_INT:
		return add_int(c, f, v, s, n);
	case VT_DEC:
		return add_dec(c, f, v, s, n);
	default:
		return add_str(c, f, v, s, n - wild, wild);
	}
}

static int parse_list(ctx *c, const fref *f, int pop, uint32_t *count)
{
	*count = 0;
	if (lex(c))
		return -1;
	for (;;) {
		if (!is_value(c, c->t)) {
			if (*count == 0 && c->t.k == K_RB)
				return fail(c, c->t.off, "the list is empty");
			if (*count == 0)
				return fail(c, c->t.off, "expected a value after '['");
			return fail(c, c->t.off, "expected a value after ','");
		}
		if (*count == MAX_LIST)
			return fail(c, c->t.off, "the list has more than %d values", MAX_LIST);
		if (add_value(c, f, pop, c->t) || lex(c))
			return -1;
		++*count;
		if (c->t.k == K_RB)
			break;
		if (c->t.k == K_END)
			return fail(c, c->t.off, "expected ']' to close the list");
		if (c->t.k != K_COMMA)
			return fail(c, c->t.off, "expected ',' or ']' in the list");
		if (lex(c))
			return -1;
	}
	return lex(c);
}

static int parse_values(ctx *c, const fref *f, int pop, uint32_t *count)
{
	if (pop == P_IN || pop == P_NOTIN) {
		if (c->t.k != K_LB)
			return fail(c, c->t.off, "expected a list like [A, B] after '%s'",
				    opname[pop]);
		return parse_list(c, f, pop, count);
	}
	if (pop == P_HAS && c->t.k == K_LB)
		return parse_list(c, f, pop, count);
	if (!is_value(c, c->t)) {
		if (c->t.k == K_LB)
			return fail(c, c->t.off,
				    "expected a value after '%s'; to test against a list use "
				    "'in [...]'",
				    opname[pop]);
		return fail(c, c->t.off, "expected a value after '%s'", opname[pop]);
	}
	*count = 1;
	if (add_value(c, f, pop, c->t))
		return -1;
	return lex(c);
}

/* ---- sorting a leaf's string literals -------------------------------- */

static int slit_cmp(const char *strs, slit a, slit b)
{
	return bytes_cmp(strs + a.off, a.len, strs + b.off, b.len);
}

static void sift(const char *strs, slit *a, size_t i, size_t n)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		slit t;
		if (l < n && slit_cmp(strs, a[l], a[m]) > 0)
			m = l;
		if (l + 1 < n && slit_cmp(strs, a[l + 1], a[m]) > 0)
			m = l + 1;
		if (m == i)
			return;
		t = a[i];
		a[i] = a[m];
		a[m] = t;
		i = m;
	}
}

static void heapsort_lits(const char *strs, slit *a, size_t n)
{
	size_t i;
	for (i = n / 2; i-- > 0;)
		sift(strs, a, i, n);
	for (i = n; i-- > 1;) {
		slit t = a[0];
		a[0] = a[i];
		a[i] = t;
		sift(strs, a, 0, i);
	}
}

/* Put exact literals before prefixes (keeping order), sort long lists. */
static int arrange_strs(ctx *c, node *nd)
{
	slit *a = (slit *)c->slits.p + nd->first;
	slit *tmp = malloc(nd->count * sizeof(*tmp));
	uint32_t i, k = 0;

	if (!tmp)
		return oom(c);
	for (i = 0; i < nd->count; i++)
		if (!a[i].wild)
			tmp[k++] = a[i];
	nd->nexact = k;
	for (i = 0; i < nd->count; i++)
		if (a[i].wild)
			tmp[k++] = a[i];
	if (nd->nexact > SORT_MIN) {
		heapsort_lits(c->strs.p, tmp, nd->nexact);
		nd->sorted = true;
	}
	memcpy(a, tmp, nd->count * sizeof(*tmp));
	free(tmp);
	return 0;
}

/* ---- parser ---------------------------------------------------------- */

static int parse_or(ctx *c);

static int parse_cmp(ctx *c)
{
	tok name = c->t;
	fref f;
	int pop = -1;
	node nd = {.kind = N_LEAF};

	if (name.k == K_END && c->prev.k != K_NONE)
		return fail(c, name.off, "expected a condition after '%.*s'", TK(c, c->prev));
	if (name.k == K_END)
		return fail(c, name.off, "expected a condition");
	if (name.k == K_RP)
		return fail(c, name.off, "expected a condition before ')'");
	if (name.k == K_QSTR)
		return fail(c, name.off, "expected a field name; field names are not quoted");
	if (!is_name(c, name))
		return fail(c, name.off, "expected a field name, got '%.*s'", TK(c, name));
	if (resolve(c, name, &f) || lex(c))
		return -1;
	tok optok = c->t;
	if (read_op(c, &f, &pop) || check_op(c, &f, pop, optok))
		return -1;
	nd.vt = (uint8_t)vt_of(&f, pop);
	nd.attr = f.attr;
	nd.field = f.id;
	nd.neg = pop == P_NE || pop == P_NOTIN;
	nd.op = pop >= P_LT && pop <= P_GE ? (uint8_t)(OP_LT + pop - P_LT) : OP_IN;
	if ((pop == P_EQ || pop == P_NE) && c->t.k == K_WORD && tok_is(c, c->t, "*")) {
		nd.vt = VT_ANY; /* presence test, on a field of any type */
		return lex(c) ? -1 : add_node(c, nd);
	}
	nd.first = nd.vt == VT_INT ? c->ints.n : nd.vt == VT_DEC ? c->nums.n : c->slits.n;
	if (parse_values(c, &f, pop, &nd.count))
		return -1;
	if ((nd.vt == VT_STR || nd.vt == VT_LIST) && arrange_strs(c, &nd))
		return -1;
	return add_node(c, nd);
}

static int parse_not(ctx *c)
{
	tok t = c->t;
	int child;
	node nd = {.kind = N_NOT};

	if (!kw(c, t, "not") && t.k != K_LP)
		return parse_cmp(c);
	if (++c->depth > MAX_DEPTH)
		return fail(c, t.off, "too deeply nested: more than %d levels of parentheses or not",
			    MAX_DEPTH);
	if (lex(c))
		return -1;
	if (t.k == K_LP) {
		child = parse_or(c);
		if (child < 0)
			return -1;
		if (c->t.k == K_END)
			return fail(c, c->t.off, "expected ')' to close '('");
		if (c->t.k != K_RP)
			return fail(c, c->t.off, "expected 'and', 'or' or ')', got '%.*s'",
				    TK(c, c->t));
		c->depth--;
		return lex(c) ? -1 : child;
	}
	child = parse_not(c);
	if (child < 0)
		return -1;
	c->depth--;
	nd.first = (uint32_t)child;
	nd.count = 1;
	return add_node(c, nd);
}

static int parse_and(ctx *c)
{
	uint32_t mark = c->scratch.n;

	if (push_child(c, parse_not(c)))
		return -1;
	while (kw(c, c->t, "and"))
		if (lex(c) || push_child(c, parse_not(c)))
			return -1;
	return add_group(c, N_AND, mark);
}

static int parse_or(ctx *c)
{
	uint32_t mark = c->scratch.n;

	if (push_child(c, parse_and(c)))
		return -1;
	while (kw(c, c->t, "or"))
		if (lex(c) || push_child(c, parse_and(c)))
			return -1;
	return add_group(c, N_OR, mark);
}

static int parse_top(ctx *c)
{
	int root;

	if (lex(c))
		return -1;
	root = parse_or(c);
	if (root < 0)
		return -1;
	if (c->t.k == K_RP)
		return fail(c, c->t.off, "unexpected ')'");
	if (c->t.k != K_END)
		return fail(c, c->t.off,
			    "unexpected '%.*s' after the end of the condition; expected 'and' or "
			    "'or'",
			    TK(c, c->t));
	return root;
}

/* ---- packing the result into one block ------------------------------- */

#define ALIGN(x) (((x) + 15) & ~(size_t)15)

/* Is node nd one exact-strings leaf?  Then fill *o. */
static bool find_one(const remit__pred *p, const node *nd, struct one *o)
{
	if (nd->kind != N_LEAF || nd->attr || nd->vt != VT_STR || nd->op != OP_IN ||
	    nd->count != nd->nexact || nd->count > ONE_MAX)
		return false;
	for (uint32_t i = 0; i < nd->count; i++) {
		slit l = p->slits[nd->first + i];
		if (l.len > REMIT__SKEY_MAX)
			return false;
		o->len[i] = l.len;
		o->k[i] = remit__skey_of(p->strs + l.off, l.len);
	}
	o->field = nd->field;
	o->neg = nd->neg;
	o->n = nd->count;
	return true;
}

/* Is p one exact-strings leaf, or an `and` of a few?  Then fill p->ones. */
static void find_ones(remit__pred *p)
{
	const node *nd = &p->nodes[p->root];
	p->nones = 0;
	if (find_one(p, nd, &p->ones[0])) {
		p->nones = 1;
		return;
	}
	if (nd->kind != N_AND || nd->count > ONES_MAX)
		return;
	for (uint32_t i = 0; i < nd->count; i++)
		if (!find_one(p, &p->nodes[p->kids[nd->first + i]], &p->ones[i]))
			return;
	p->nones = nd->count;
}

static remit__pred *pack(ctx *c, uint32_t root)
{
	const vec *part[] = {&c->nodes, &c->kids, &c->slits, &c->ints,
			     &c->nums,  &c->uses, &c->strs};
	size_t off[8], total = ALIGN(sizeof(remit__pred));
	char *base;
	remit__pred *p;
	int i;

	for (i = 0; i < 7; i++) {
		off[i] = total;
		total += ALIGN((size_t)part[i]->n * part[i]->size);
	}
	off[7] = total;
	total += (size_t)c->n + 1;
	base = malloc(total);
	if (!base)
		return NULL;
	for (i = 0; i < 7; i++)
		if (part[i]->n)
			memcpy(base + off[i], part[i]->p, (size_t)part[i]->n * part[i]->size);
	memcpy(base + off[7], c->src, c->n);
	base[off[7] + c->n] = '\0';
	p = (remit__pred *)base;
	p->nodes = (const node *)(base + off[0]);
	p->kids = (const uint32_t *)(base + off[1]);
	p->slits = (const slit *)(base + off[2]);
	p->ints = (const int64_t *)(base + off[3]);
	p->nums = (const remit__num *)(base + off[4]);
	p->uses = (const use *)(base + off[5]);
	p->strs = base + off[6];
	p->src = base + off[7];
	p->root = root;
	p->nuses = c->uses.n;
	p->pool = c->pool;
	find_ones(p);
	return p;
}

static void ctx_free(ctx *c)
{
	vec *v[] = {&c->nodes, &c->kids, &c->scratch, &c->slits,
		    &c->ints,  &c->nums, &c->uses,    &c->strs};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		free(v[i]->p);
}

int remit__pred_compile(const char *src, size_t n, const remit__schema *schema,
			remit__attrset *attrs, remit__pred **out, size_t *err_off, char *msg,
			size_t msgcap)
{
	ctx c = {
		.src = src,
		.n = (uint32_t)n,
		.t = {K_NONE, 0, 0},
		.schema = schema,
		.attrs = attrs,
		.nodes = {.size = sizeof(node)},
		.kids = {.size = sizeof(uint32_t)},
		.scratch = {.size = sizeof(uint32_t)},
		.slits = {.size = sizeof(slit)},
		.ints = {.size = sizeof(int64_t)},
		.nums = {.size = sizeof(remit__num)},
		.uses = {.size = sizeof(use)},
		.strs = {.size = 1},
		.msg = msg,
		.msgcap = msgcap,
	};
	int root = -1;

	*out = NULL;
	if (n > MAX_SRC)
		fail(&c, 0, "the condition is too long (more than %u bytes)", MAX_SRC);
	else
		root = parse_top(&c);
	if (root >= 0) {
		*out = pack(&c, (uint32_t)root);
		if (!*out)
			fail(&c, 0, "out of memory");
	}
	ctx_free(&c);
	if (*out)
		return 0;
	if (c.pool)
		remit__numpool_free(c.pool);
	if (err_off)
		*err_off = c.err_off;
	return -1;
}
