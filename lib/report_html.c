/*
 * report_html.c — the comparison as one self-contained HTML page: tables
 * and charts drawn as inline SVG by remit itself, no scripts, no fonts, no
 * network resources, so the page can be mailed or archived as it is.
 *
 *   - a diverging bar chart of each provider's delta (gainers right, green;
 *     losers left, red), with the amounts written on the bars;
 *   - the figures behind it, commissioners' spend, and each delta split by
 *     component;
 *   - the funding transition matrix as a heat map (who was paid for each
 *     activity row before → after), shaded by rows;
 *   - scope exposure and the reconciliation of every regime.
 *
 * Geometry is integer arithmetic on exact values (bar length = |delta| ×
 * width ÷ largest |delta|, rounded), so there is no floating point here
 * either.
 */
#include "compare_model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct page {
	remit__cmp *c;
	remit__write_fn out;
	void *ud;
} page;

static void put(page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(page *p, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->out(p->ud, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Text with &, <, >, " escaped. */
static void esc(page *p, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': put(p, "&amp;"); break;
		case '<': put(p, "&lt;"); break;
		case '>': put(p, "&gt;"); break;
		case '"': put(p, "&quot;"); break;
		default: put(p, "%c", *s);
		}
	}
}

/* round(|v| × scale ÷ max) as an integer, exactly; 0 when max is 0. */
static int64_t scaled(remit__cmp *c, remit__num v, remit__num max, int64_t scale)
{
	if (remit__num_sign(max) == 0)
		return 0;
	if (remit__num_sign(v) < 0)
		v = remit__num_neg(c->pool, v);
	remit__num q = remit__num_div(c->pool, remit__num_mul(c->pool, v, remit__num_int(scale)), max);
	int64_t r = 0;
	remit__num_to_i64(remit__num_round(c->pool, q, 0, REMIT__HALF_UP), &r);
	return r;
}

static const char style[] =
	"<style>\n"
	"body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2733;margin:2em auto;"
	"max-width:1100px;padding:0 1em}\n"
	"h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid "
	"#d0d7de;padding-bottom:.2em}\n"
	".sub{color:#57606a}table{border-collapse:collapse;margin:.6em 0;font-variant-numeric:tabular-nums}\n"
	"th,td{padding:.25em .7em;border-bottom:1px solid #eaeef2;text-align:right}th{background:#f6f8fa}\n"
	"td:first-child,th:first-child{text-align:left}.gain{color:#1a7f37}.loss{color:#cf222e}\n"
	".ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}\n"
	"svg text{font:12px system-ui,sans-serif}\n"
	"</style>\n";

static void head(page *p)
{
	remit__cmp *c = p->c;
	put(p, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>remit: ");
	for (size_t i = 0; i < c->n; i++) {
		put(p, "%s", i ? " vs " : "");
		esc(p, c->regimes[i]);
	}
	put(p, "</title>\n%s</head><body>\n<h1>Who gains, who loses</h1>\n<p class=\"sub\">", style);
	for (size_t i = 0; i < c->n; i++) {
		put(p, "%s<b>", i ? (i + 1 == c->n ? " and " : ", ") : "");
		esc(p, c->regimes[i]);
		put(p, "</b>");
	}
	put(p, " priced on the same activity. Deltas are each regime against <b>");
	esc(p, c->regimes[0]);
	put(p, "</b>; every figure is exact and every table reconciles.</p>\n");
}

/* The diverging bar chart of provider deltas for regime i against 0. */
static void delta_chart(page *p, size_t i, const uint32_t *ids, size_t n)
{
	remit__cmp *c = p->c;
	const int64_t label = 150, half = 330, row = 26, width = label + 2 * half + 20;
	remit__num max = REMIT__NUM_ZERO;
	for (size_t k = 0; k < n; k++) {
		const org *o = &c->orgs[ids[k]];
		remit__num d = remit__num_sub(c->pool, remit__cmp_net(c, o, i), remit__cmp_net(c, o, 0));
		if (remit__num_sign(d) < 0)
			d = remit__num_neg(c->pool, d);
		if (remit__num_cmp(d, max) > 0)
			max = d; /* in the pool, which is reset only after the chart */
	}
	put(p, "<svg role=\"img\" aria-label=\"change in net income by provider\" width=\"%lld\" "
	       "height=\"%lld\" viewBox=\"0 0 %lld %lld\">\n",
	    (long long)width, (long long)(row * (int64_t)n + 30), (long long)width,
	    (long long)(row * (int64_t)n + 30));
	int64_t mid = label + half;
	put(p, "<line x1=\"%lld\" y1=\"0\" x2=\"%lld\" y2=\"%lld\" stroke=\"#8c959f\"/>\n",
	    (long long)mid, (long long)mid, (long long)(row * (int64_t)n + 8));
	for (size_t k = 0; k < n; k++) {
		const org *o = &c->orgs[ids[k]];
		remit__num d = remit__num_sub(c->pool, remit__cmp_net(c, o, i), remit__cmp_net(c, o, 0));
		int64_t len = scaled(c, d, max, half - 90), y = (int64_t)k * row + 4;
		bool gain = remit__num_sign(d) >= 0;
		char a[REMIT__NUM_BUF];
		remit__cmp_money(c, d, a);
		put(p, "<text x=\"%lld\" y=\"%lld\" text-anchor=\"end\">", (long long)(label - 8),
		    (long long)(y + 15));
		esc(p, c->names.strs[ids[k]]);
		put(p, "</text>\n<rect x=\"%lld\" y=\"%lld\" width=\"%lld\" height=\"%lld\" fill=\"%s\"/>\n",
		    (long long)(gain ? mid : mid - len), (long long)y, (long long)(len ? len : 1),
		    (long long)(row - 6), gain ? "#2da44e" : "#cf222e");
		put(p, "<text x=\"%lld\" y=\"%lld\" text-anchor=\"%s\">%s%s</text>\n",
		    (long long)(gain ? mid + len + 6 : mid - len - 6), (long long)(y + 15),
		    gain ? "start" : "end", gain && remit__num_sign(d) > 0 ? "+" : "", a);
	}
	put(p, "<text x=\"%lld\" y=\"%lld\" text-anchor=\"end\" fill=\"#57606a\">loses under ",
	    (long long)(mid - 8), (long long)(row * (int64_t)n + 24));
	esc(p, c->regimes[i]);
	put(p, "</text><text x=\"%lld\" y=\"%lld\" fill=\"#57606a\">gains under ", (long long)(mid + 8),
	    (long long)(row * (int64_t)n + 24));
	esc(p, c->regimes[i]);
	put(p, "</text>\n</svg>\n");
	remit__numpool_reset(c->pool);
}

static void net_table(page *p, const uint32_t *ids, size_t n, bool providers)
{
	remit__cmp *c = p->c;
	char a[REMIT__NUM_BUF], b[REMIT__NUM_BUF];
	put(p, "<table><tr><th>%s</th>", providers ? "provider / holder" : "commissioner");
	for (size_t i = 0; i < c->n; i++) {
		put(p, "<th>");
		esc(p, c->regimes[i]);
		put(p, "</th>");
	}
	for (size_t i = 1; i < c->n; i++)
		put(p, "<th>delta</th><th>delta %%</th>");
	put(p, "</tr>\n");
	for (size_t k = 0; k < n; k++) {
		const org *o = &c->orgs[ids[k]];
		put(p, "<tr><td>");
		esc(p, c->names.strs[ids[k]]);
		put(p, "</td>");
		remit__num base = remit__cmp_net(c, o, 0);
		for (size_t i = 0; i < c->n; i++) {
			remit__num v = remit__cmp_net(c, o, i);
			put(p, "<td>%s</td>", remit__cmp_money(c, providers ? v : remit__num_neg(c->pool, v), a));
		}
		for (size_t i = 1; i < c->n; i++) {
			remit__num d = remit__num_sub(c->pool, remit__cmp_net(c, o, i), base);
			if (!providers)
				d = remit__num_neg(c->pool, d);
			int s = remit__num_sign(d);
			put(p, "<td class=\"%s\">%s</td><td>%s</td>",
			    s == 0 ? "" : (s > 0) == providers ? "gain" : "loss", remit__cmp_money(c, d, a),
			    remit__cmp_percent(c, d, base, b));
		}
		put(p, "</tr>\n");
		remit__numpool_reset(c->pool);
	}
	put(p, "</table>\n");
}

static void decomposition(page *p, size_t i, const uint32_t *ids, size_t n)
{
	remit__cmp *c = p->c;
	bool used[REMIT_C_COUNT] = {false};
	remit__num s0[REMIT_C_COUNT], si[REMIT_C_COUNT];
	char a[REMIT__NUM_BUF];
	for (size_t k = 0; k < n; k++) {
		remit__cmp_components(c, &c->orgs[ids[k]], 0, s0);
		remit__cmp_components(c, &c->orgs[ids[k]], i, si);
		for (int q = 0; q < REMIT_C_COUNT; q++)
			used[q] |= remit__num_cmp(s0[q], si[q]) != 0;
		remit__numpool_reset(c->pool);
	}
	put(p, "<table><tr><th>provider / holder</th><th>delta</th>");
	for (int q = 0; q < REMIT_C_COUNT; q++)
		if (used[q])
			put(p, "<th>%s</th>", remit_component_name((remit_component)q));
	put(p, "</tr>\n");
	for (size_t k = 0; k < n; k++) {
		const org *o = &c->orgs[ids[k]];
		remit__cmp_components(c, o, 0, s0);
		remit__cmp_components(c, o, i, si);
		put(p, "<tr><td>");
		esc(p, c->names.strs[ids[k]]);
		remit__num d = remit__num_sub(c->pool, remit__cmp_net(c, o, i), remit__cmp_net(c, o, 0));
		put(p, "</td><td><b>%s</b></td>", remit__cmp_money(c, d, a));
		for (int q = 0; q < REMIT_C_COUNT; q++)
			if (used[q])
				put(p, "<td>%s</td>",
				    remit__cmp_money(c, remit__num_sub(c->pool, si[q], s0[q]), a));
		put(p, "</tr>\n");
		remit__numpool_reset(c->pool);
	}
	put(p, "</table>\n");
}

/* Transitions of regime i as a heat map: rows "from", columns "to". */
static void heat_map(page *p, size_t i)
{
	remit__cmp *c = p->c;
	uint32_t *from = remit__xmalloc((c->ntr + 1) * sizeof *from);
	uint32_t *to = remit__xmalloc((c->ntr + 1) * sizeof *to);
	size_t nf = 0, nt = 0;
	uint64_t max = 0;
	for (size_t k = 0; k < c->ntr; k++) {
		const trans *t = &c->tr[k];
		if (t->regime != i)
			continue;
		bool seen = false;
		for (size_t j = 0; j < nf; j++)
			seen |= from[j] == t->from;
		if (!seen)
			from[nf++] = t->from;
		seen = false;
		for (size_t j = 0; j < nt; j++)
			seen |= to[j] == t->to;
		if (!seen)
			to[nt++] = t->to;
		if (t->rows > max)
			max = t->rows;
	}
	const int64_t label = 130, cell = 92, head = 58;
	int64_t w = label + cell * (int64_t)nt + 10, h = head + 34 * (int64_t)nf + 10;
	if (w < 640)
		w = 640; /* room for the captions */
	put(p, "<svg role=\"img\" aria-label=\"funding transitions\" width=\"%lld\" height=\"%lld\" "
	       "viewBox=\"0 0 %lld %lld\">\n",
	    (long long)w, (long long)h, (long long)w, (long long)h);
	put(p, "<text x=\"%lld\" y=\"14\" fill=\"#57606a\">columns: paid under ", (long long)label);
	esc(p, c->regimes[i]);
	put(p, "</text>\n<text x=\"%lld\" y=\"30\" fill=\"#57606a\">rows: paid under ", (long long)label);
	esc(p, c->regimes[0]);
	put(p, "</text>\n");
	for (size_t j = 0; j < nt; j++) {
		put(p, "<text x=\"%lld\" y=\"%lld\" text-anchor=\"middle\">",
		    (long long)(label + cell * (int64_t)j + cell / 2), (long long)(head - 6));
		esc(p, c->names.strs[to[j]]);
		put(p, "</text>\n");
	}
	for (size_t r = 0; r < nf; r++) {
		int64_t y = head + 34 * (int64_t)r;
		put(p, "<text x=\"%lld\" y=\"%lld\" text-anchor=\"end\">", (long long)(label - 8),
		    (long long)(y + 20));
		esc(p, c->names.strs[from[r]]);
		put(p, "</text>\n");
		for (size_t j = 0; j < nt; j++) {
			uint64_t rows = 0;
			for (size_t k = 0; k < c->ntr; k++)
				if (c->tr[k].regime == i && c->tr[k].from == from[r] &&
				    c->tr[k].to == to[j])
					rows = c->tr[k].rows;
			/* shade: white to deep blue by share of the largest cell */
			unsigned shade = max ? (unsigned)(rows * 200 / max) : 0;
			put(p, "<rect x=\"%lld\" y=\"%lld\" width=\"%lld\" height=\"30\" "
			       "fill=\"rgb(%u,%u,255)\" stroke=\"#fff\"/>\n",
			    (long long)(label + cell * (int64_t)j), (long long)y, (long long)(cell - 2),
			    255 - shade, 255 - shade / 2);
			if (rows)
				put(p, "<text x=\"%lld\" y=\"%lld\" text-anchor=\"middle\" fill=\"%s\">%llu</text>\n",
				    (long long)(label + cell * (int64_t)j + cell / 2), (long long)(y + 20),
				    shade > 120 ? "#fff" : "#1d2733", (unsigned long long)rows);
		}
	}
	put(p, "</svg>\n");
	free(from);
	free(to);
}

static void transitions_table(page *p, size_t i)
{
	remit__cmp *c = p->c;
	char a[REMIT__NUM_BUF], b[REMIT__NUM_BUF];
	put(p, "<table><tr><th>paid under ");
	esc(p, c->regimes[0]);
	put(p, "</th><th>paid under ");
	esc(p, c->regimes[i]);
	put(p, "</th><th>rows</th><th>amount before</th><th>amount after</th></tr>\n");
	for (size_t k = 0; k < c->ntr; k++) {
		const trans *t = &c->tr[k];
		if (t->regime != i)
			continue;
		put(p, "<tr><td>");
		esc(p, c->names.strs[t->from]);
		put(p, "</td><td>");
		esc(p, c->names.strs[t->to]);
		put(p, "</td><td>%llu</td><td>%s</td><td>%s</td></tr>\n", (unsigned long long)t->rows,
		    remit__cmp_money(c, remit__xsum_get(&t->from_amount, c->pool), a),
		    remit__cmp_money(c, remit__xsum_get(&t->to_amount, c->pool), b));
		remit__numpool_reset(c->pool);
	}
	put(p, "</table>\n");
}

static void exposure_and_reconciliation(page *p)
{
	remit__cmp *c = p->c;
	char a[REMIT__NUM_BUF];
	put(p, "<h2>Scope exposure</h2>\n<p class=\"sub\">Rows of people in a budget's cohort or "
	       "population that no budget covers are where cost can shift; rows two modules' "
	       "scopes match are paid once, by the first.</p>\n<table><tr><th>regime</th>"
	       "<th>members' rows no budget covers</th><th>paid otherwise</th>"
	       "<th>rows in two scopes</th><th>unpriced rows</th></tr>\n");
	for (size_t i = 0; i < c->n; i++) {
		const exposure *e = &c->exp[i];
		put(p, "<tr><td>");
		esc(p, c->regimes[i]);
		put(p, "</td><td>%llu</td><td>%s</td><td>%llu</td><td>%llu</td></tr>\n",
		    (unsigned long long)e->exposed_rows,
		    remit__cmp_money(c, remit__xsum_get(&e->exposed_amount, c->pool), a),
		    (unsigned long long)e->overlap_rows, (unsigned long long)e->unpriced_rows);
	}
	put(p, "</table>\n<h2>Reconciliation</h2>\n<table><tr><th>regime</th><th>rows read</th>"
	       "<th>priced</th><th>covered</th><th>unpriced</th><th>rejected</th><th>total "
	       "paid</th><th>payer = payee</th></tr>\n");
	for (size_t i = 0; i < c->n; i++) {
		const remit_counts *k = &c->counts[i];
		put(p, "<tr><td>");
		esc(p, c->regimes[i]);
		put(p, "</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%s</td>"
		       "<td class=\"%s\">%s</td></tr>\n",
		    (unsigned long long)k->read, (unsigned long long)k->priced,
		    (unsigned long long)k->covered, (unsigned long long)k->unpriced,
		    (unsigned long long)k->rejected, c->totals[i] ? c->totals[i] : "",
		    c->balanced[i] ? "ok" : "bad", c->balanced[i] ? "balanced" : "NOT BALANCED");
	}
	put(p, "</table>\n");
}

void remit__cmp_write_html(remit__cmp *c, remit__write_fn out, void *ud)
{
	remit__cmp_settle(c);
	page p = {c, out, ud};
	size_t np, nc;
	uint32_t *prov = remit__cmp_orgs(c, true, &np), *comm = remit__cmp_orgs(c, false, &nc);
	remit__cmp_sort_transitions(c);
	head(&p);
	for (size_t i = 1; i < c->n; i++) {
		put(&p, "<h2>Change in net income: ");
		esc(&p, c->regimes[i]);
		put(&p, " against ");
		esc(&p, c->regimes[0]);
		put(&p, "</h2>\n");
		delta_chart(&p, i, prov, np);
	}
	put(&p, "<h2>Net income by provider and budget holder</h2>\n<p class=\"sub\">Received "
		"minus paid to subcontractors.</p>\n");
	net_table(&p, prov, np, true);
	put(&p, "<h2>Commissioners' spend</h2>\n");
	net_table(&p, comm, nc, false);
	for (size_t i = 1; i < c->n; i++) {
		put(&p, "<h2>Where each delta comes from: ");
		esc(&p, c->regimes[i]);
		put(&p, " − ");
		esc(&p, c->regimes[0]);
		put(&p, "</h2>\n<p class=\"sub\">By pricing component; each row adds up exactly to "
			"its delta.</p>\n");
		decomposition(&p, i, prov, np);
		put(&p, "<h2>Funding transitions: ");
		esc(&p, c->regimes[0]);
		put(&p, " → ");
		esc(&p, c->regimes[i]);
		put(&p, "</h2>\n<p class=\"sub\">Who was paid for each activity row (the provider, "
			"or the budget holder when a budget covers it), counted in rows.</p>\n");
		heat_map(&p, i);
		transitions_table(&p, i);
	}
	exposure_and_reconciliation(&p);
	put(&p, "<p class=\"sub\">Made by remit %s.</p>\n</body></html>\n", remit_version());
	free(prov);
	free(comm);
}
