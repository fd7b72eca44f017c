/*
 * format.c — texts of amounts and rates for bases, reasons and
 * explanations (declared in engine.h, next to remit__fmt).
 *
 * A module's texts quote the figures of its rules as a reader of the rule
 * file would write them: an amount published at the regime's scale shows
 * with that many places ("1335.00"), one that is not (a price to the
 * penny under a regime that pays whole pounds, or a share such as
 * 32396/73) shows exactly, so the text never hides a difference; a rate
 * shows as a percentage ("25%", "12.5%", "100/3%").  Like remit__fmt, the
 * texts live in the context's ring of 8 buffers: up to 8 may be used in
 * one message.
 */
#include "engine.h"

const char *remit__fmt_amount(remit__ctx *cx, remit__num v)
{
	int scale = cx->regime->scale;
	if (!v.big && scale >= 0) {
		/* small: at the scale exactly when its decimals, trailing zeros
		   trimmed, are no more than the scale's */
		int64_t c = v.coef;
		int e = v.exp;
		while (e > scale && c % 10 == 0) {
			c /= 10;
			e--;
		}
		return e <= scale ? remit__fmt_money(cx, v) : remit__fmt(cx, v);
	}
	remit__num r = remit__num_round(cx->pool, v, scale, REMIT__HALF_EVEN);
	return remit__num_cmp(r, v) == 0 && scale >= 0 ? remit__fmt_money(cx, v) : remit__fmt(cx, v);
}

const char *remit__fmt_pct(remit__ctx *cx, remit__num rate)
{
	remit__num p = remit__num_mul(cx->pool, rate, remit__num_int(100));
	char *b = cx->fmt[cx->fmt_next++ % 8];
	size_t n = remit__num_format_exact(p, b, REMIT__NUM_BUF - 2);
	b[n] = '%';
	b[n + 1] = '\0';
	return b;
}
