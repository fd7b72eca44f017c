/*
 * subcontract.c — the holder of a budget paying other providers (see
 * subcontract.h).
 */
#include "subcontract.h"

#include <stdio.h>
#include <string.h>

bool remit__subcontract_parse(remit__loader *L, const yaml_node_t *n, const char *ctx,
			      remit__subcontract *sc)
{
	static const remit__key keys[] = {{"price_with", true}, {"share", false}, {NULL, false}};
	remit__arena *a = remit__loader_arena(L);
	memset(sc, 0, sizeof *sc);
	if (!remit__cfg_keys(L, n, keys, ctx))
		return false;
	bool ok = remit__cfg_str(L, remit__cfg_get(L, n, "price_with"),
				 remit__sprintf(a, "%s.price_with", ctx), &sc->price_with_name);
	sc->share = REMIT__NUM_ONE;
	yaml_node_t *share = remit__cfg_get(L, n, "share");
	if (share) {
		ok &= remit__cfg_share(L, share, remit__sprintf(a, "%s.share", ctx), &sc->share);
	}
	sc->mark = remit__node_mark(L, remit__cfg_get(L, n, "price_with"));
	sc->on = ok;
	return ok;
}

void remit__subcontract_link(remit__loader *L, remit__subcontract *sc, const char *ctx)
{
	if (!sc->on)
		return;
	sc->price_with = remit__regime_module(L->regime, sc->price_with_name);
	if (!sc->price_with || !sc->price_with->type->quote)
		remit__rules_error_at(L, sc->mark,
				      "%s.price_with: no module named '%s' that prices activity "
				      "(a tariff module of this regime)",
				      ctx, sc->price_with_name);
}

bool remit__subcontract_pay(const remit__module *m, remit__ctx *cx, const remit__subcontract *sc,
			    const remit__row *row, remit__str holder)
{
	remit__str provider = row->f[REMIT__A_PROVIDER].s;
	if (remit__str_same(provider, holder))
		return false;
	if (!sc->on || !sc->price_with) {
		REMIT__TRACE(cx, "  delivered by %.*s, not the holder %.*s: no subcontract, so "
				 "%.*s receives nothing for it",
			     (int)provider.n, provider.p, (int)holder.n, holder.p, (int)provider.n,
			     provider.p);
		return false;
	}
	remit__pline q;
	REMIT__TRACE(cx, "  delivered by %.*s, not the holder %.*s: priced with %s",
		     (int)provider.n, provider.p, (int)holder.n, holder.p, sc->price_with->name);
	if (sc->price_with->type->quote(sc->price_with, cx, row, &q) != REMIT__PRICED) {
		REMIT__TRACE(cx, "  subcontract not priced: %s", cx->reason);
		return false;
	}
	remit__pline l;
	remit__pline_init(&l, m, "subcontract");
	remit__num exact = remit__num_mul(cx->pool, q.amount, sc->share);
	l.amount = remit__round_line(cx, exact);
	l.comp[REMIT_C_SUBCONTRACT] = exact;
	l.comp[REMIT_C_ROUNDING] = remit__num_sub(cx->pool, l.amount, exact);
	l.payer = holder;
	l.payee = provider;
	l.patient = row->f[REMIT__A_PATIENT].s;
	l.activity = row->f[REMIT__A_ID].s;
	l.pod = row->f[REMIT__A_POD].s;
	char basis[sizeof cx->basis];
	if (cx->detail) {
		snprintf(basis, sizeof basis, "subcontract at %s of %s %s (%s)",
			 remit__fmt_pct(cx, sc->share), sc->price_with->name,
			 remit__fmt_money(cx, q.amount), q.basis ? q.basis : "");
	} else {
		basis[0] = '\0';
	}
	l.basis = basis;
	REMIT__TRACE(cx, "  subcontract: %s × %s = %s", remit__fmt_money(cx, q.amount),
		     remit__fmt(cx, sc->share), remit__fmt_money(cx, l.amount));
	remit__emit(cx, &l);
	return true;
}
