/*
 * subcontract.h — a budget holder paying the other providers of the care
 * its budget covers (RULES.md, Subcontracting).
 *
 *   subcontract: {price_with: apc, share: 100%}
 *
 * A covered row delivered by a provider other than the holder is paid by
 * the holder, at the amount the named module would pay for it (its
 * `quote`), times `share`, as a `subcontract` line.  Without `subcontract`
 * other providers receive nothing for covered activity.
 */
#ifndef REMIT_SUBCONTRACT_H
#define REMIT_SUBCONTRACT_H

#include "engine.h"

typedef struct remit__subcontract {
	bool on;
	const char *price_with_name;
	const remit__module *price_with; /* resolved by remit__subcontract_link */
	remit__num share;
	yaml_node_t *node; /* only during loading, for link errors */
	remit__mark mark;
} remit__subcontract;

/* Parse the `subcontract` mapping n (ctx: "capitation.subcontract"). */
bool remit__subcontract_parse(remit__loader *L, const yaml_node_t *n, const char *ctx,
			      remit__subcontract *sc);

/* Resolve price_with to a module that can quote; report it if missing. */
void remit__subcontract_link(remit__loader *L, remit__subcontract *sc, const char *ctx);

/* For a covered row: if its provider is not `holder` and subcontracting is
 * on, emit the holder's payment to the provider.  Returns true if a line
 * was emitted; false if none is due or the row cannot be priced by
 * price_with (cx->reason then says why, and the explanation shows it). */
bool remit__subcontract_pay(const remit__module *m, remit__ctx *cx, const remit__subcontract *sc,
			    const remit__row *row, remit__str holder);

#endif
