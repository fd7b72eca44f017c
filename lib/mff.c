/*
 * mff.c — reading a module's `mff: {table, default}` (see mff.h).
 *
 * The factors of the table's value column are typed once, here; a cell
 * that is not a factor > 0 is reported at its place in the CSV or YAML
 * file, and reading goes on so that every bad cell is listed.  The
 * wording of those reports is the calling module's (remit__mff_opts).
 */
#include "mff.h"

#include "regime.h"

#include <string.h>

/* What a factor may be written as. */
#define MFF_FORMS (REMIT__PARSE_DECIMAL | REMIT__PARSE_RATIONAL)

/* Report the cell at m, whose text s is no factor (rc: how it parsed). */
static void bad_cell(remit__loader *L, remit__mark m, const char *ctx, const char *column,
		     const char *s, int rc, bool typed)
{
	if (!typed)
		remit__rules_error_at(L, m, "%s: %s: expected a factor > 0, got \"%s\"", ctx, column,
				      s);
	else if (!*s || rc == 0)
		remit__rules_error_at(L, m, "%s: %s: expected a value > 0", ctx, column);
	else if (rc == REMIT__PARSE_EZERODIV)
		remit__rules_error_at(L, m, "%s: %s: division by zero in \"%s\"", ctx, column, s);
	else
		remit__rules_error_at(L, m, "%s: %s: expected a decimal or a fraction, got \"%s\"",
				      ctx, column, s);
}

/* The factors of every row of t's value column into out->values; false
 * after reporting each cell that holds none. */
static bool parse_values(remit__loader *L, const remit__table *t, const char *ctx, bool typed,
			 remit__mff *out)
{
	uint32_t c = (uint32_t)t->value;
	bool ok = true;
	out->values = remit__alloc(remit__loader_arena(L), (t->nrows + 1) * sizeof *out->values);
	for (uint32_t r = 0; r < t->nrows; r++) {
		const char *s = remit__table_cell(t, r, c);
		int rc = *s ? remit__num_parse(s, strlen(s), MFF_FORMS, L->regime->consts,
					       &out->values[r])
			    : REMIT__PARSE_EEMPTY;
		if (rc == 0 && remit__num_sign(out->values[r]) > 0)
			continue;
		unsigned long line, col;
		remit__table_pos(t, r, c, &line, &col);
		bad_cell(L, (remit__mark){t->cells_file, line, col}, ctx, t->columns[c], s, rc,
			 typed);
		ok = false;
	}
	return ok;
}

/* `default: F` at node d. */
static bool parse_default(remit__loader *L, const yaml_node_t *d, const char *ctx, bool got,
			  remit__mff *out)
{
	const char *dctx = remit__sprintf(remit__loader_arena(L), "%s.default", ctx);
	if (!remit__cfg_num(L, d, dctx, MFF_FORMS, &out->def))
		return false;
	if (remit__num_sign(out->def) <= 0) {
		remit__rules_error(L, d, "%s: expected a factor > 0%s%s", dctx, got ? ", got " : "",
				   got ? remit__node_desc(L, d) : "");
		return false;
	}
	out->has_default = true;
	return true;
}

bool remit__mff_parse(remit__loader *L, const yaml_node_t *n, const char *ctx,
		      const remit__mff_opts *opts, remit__mff *out)
{
	static const remit__mff_opts plain = {NULL, false, false};
	const remit__mff_opts *o = opts ? opts : &plain;
	remit__key keys[] = {{"table", true}, {"default", false}, {o->extra, false}, {NULL, false}};
	memset(out, 0, sizeof *out);
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	const remit__table *t =
		remit__cfg_table_ref(L, remit__cfg_get(L, n, "table"),
				     remit__sprintf(remit__loader_arena(L), "%s.table", ctx));
	if (!t)
		return false;
	if (t->value < 0) {
		remit__rules_error(L, n, "%s: table '%s' has no value column (give it 'column:')",
				   ctx, t->name);
		return false;
	}
	bool ok = parse_values(L, t, ctx, o->typed_cells, out);
	yaml_node_t *d = remit__cfg_get(L, n, "default");
	if (d)
		ok &= parse_default(L, d, ctx, o->default_got, out);
	out->table = ok ? t : NULL;
	return ok;
}

bool remit__mff_check(remit__loader *L, const remit__mff *m, const yaml_node_t *n,
		      const char *ctx, const char *org)
{
	remit__num f;
	if (remit__mff_of(m, org, strlen(org), &f, NULL))
		return true;
	remit__rules_error(L, n, "%s: no market forces factor for the holder %s in table %s "
				 "(and no default)",
			   ctx, org, m->table->name);
	return false;
}
