// Country profile: production by stage, imports and exports by partner, exposure ranking.
"use strict";
nav("Country");

(async () => {
  let countries;
  try { countries = await api("/api/dashboard/countries"); } catch (e) { fail($("status"), e); return; }
  const sel = $("iso3");
  select(sel, countries.map((c) => [c.iso3, `${c.name} (${c.iso3})`]), query("iso3", "JPN").toUpperCase());
  sel.addEventListener("change", () => { history.replaceState(null, "", `?iso3=${encodeURIComponent(sel.value)}`); show(sel.value); });
  show(sel.value);
})();

async function show(iso3) {
  ["exposure", "production", "imports", "trade", "exports"].forEach((id) => loading($(id)));
  let p;
  try { p = await api(`/api/dashboard/country/${encodeURIComponent(iso3)}`); } catch (e) { fail($("exposure"), e); return; }
  const name = (c) => p.names[c] || c;
  $("title").textContent = `Country profile: ${p.name} (${p.iso3})`;
  const cn = await countryNames(), who = (c) => place(c, cn);  // partners by name, not ISO3

  const ir = p.impact_ranking || [];
  const ex = p.exposure.filter((r) => r.eu_supply_risk !== null);
  if (ir.length) {
    plot("riskchart", [{type: "bar", name: "GDP at risk", x: ir.map((r) => name(r.commodity)), y: ir.map((r) => r.risk_usd / 1e6),
      hovertemplate: "%{x}: USD %{y:,.1f} m/yr<extra>impact-based</extra>"}],
    {title: {text: `${p.name}: probability-weighted GDP at risk by commodity (impact-based; most exposed first)`}, xaxis: {automargin: true, tickangle: -45},
      yaxis: {title: {text: "USD m per year"}}});
    table($("impactrank"), ir.map((r) => ({rank: r.rank, commodity: name(r.commodity), supplier: who(r.supplier), probability: r.probability,
      expected_loss_usd: r.expected_loss_usd, risk_usd: r.risk_usd, channel: r.via_price ? "price" : "output",
      net_exporter: r.net_exporter ? "yes" : "", eu_rank: r.eu_rank ?? null})),
    null, {rank: "Impact rank", probability: "P(disruption)/yr", expected_loss_usd: "Expected GDP loss (USD)", risk_usd: "Risk (USD/yr)", eu_rank: "EU-style rank (beside)"});
  } else if (ex.length) {
    plot("riskchart", [{type: "bar", name: "EU-style supply risk", x: ex.map((r) => name(r.commodity)), y: ex.map((r) => r.eu_supply_risk),
      hovertemplate: "%{x}: %{y:.2f}<extra>EU-style</extra>"}],
    {title: {text: `${p.name}: EU-style supply risk by commodity (most exposed first)`}, xaxis: {automargin: true, tickangle: -45},
      yaxis: {title: {text: "supply risk (index)"}}});
  } else {
    $("riskchart").replaceChildren(h("p", {class: "muted"}, `No published import-reliance data for ${p.name}: no exposure ranking.`));
  }
  table($("exposure"), ex.filter((r) => r.eu_rank !== null || r.us_rank !== null).map((r) => ({commodity: name(r.commodity), eu_rank: r.eu_rank, us_rank: r.us_rank,
    import_reliance: r.import_reliance, top_supplier: who(r.top_supplier), top_supplier_share: r.top_supplier_share,
    china_import_share: r.china_import_share, eu_driver: r.eu_driver, us_driver: r.us_driver})),
  null, {eu_rank: "EU-style rank", us_rank: "U.S.-style rank"});

  const pr = p.production;
  if (pr.length) {
    const stages = [...new Set(pr.map((r) => r.stage))];
    const comms = [...new Set(pr.map((r) => r.commodity))];
    plot("prodchart", stages.map((s, k) => ({type: "bar", name: s, marker: {color: COLORS[k]}, x: comms.map(name),
      y: comms.map((c) => { const r = pr.find((x) => x.commodity === c && x.stage === s); return r ? 100 * r.share : null; }),
      hovertemplate: "%{x}: %{y:.1f} %<extra>" + s + "</extra>"})),
    {title: {text: `${p.name}: share of world output by stage`}, barmode: "group", showlegend: true,
      yaxis: {title: {text: "% of world output"}, ticksuffix: " %"}, xaxis: {automargin: true, tickangle: -45}});
  } else {
    $("prodchart").replaceChildren(h("p", {class: "muted"}, `${p.name} has no recorded production in the data.`));
  }
  table($("production"), pr.map((r) => ({commodity: r.name || r.commodity, stage: r.stage, year: r.year, output: r.value,
    share: r.share, rank: r.rank, producers: r.producers})), null, {output: "Output (commodity unit)", share: "Share of world"});

  const imp = p.imports_published;
  const top = {};
  imp.forEach((r) => { top[r.exporter] = (top[r.exporter] || 0) + r.share; });
  const topPartners = Object.entries(top).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([c]) => c);
  const comms = [...new Set(imp.map((r) => r.commodity))];
  if (imp.length) {
    plot("impchart", [...topPartners, "Other"].map((e, k) => ({type: "bar", name: e === "Other" ? e : who(e), marker: {color: COLORS[k % COLORS.length]},
      x: comms.map(name), y: comms.map((c) => 100 * imp.filter((r) => r.commodity === c && (e === "Other" ? !topPartners.includes(r.exporter) : r.exporter === e))
        .reduce((a, r) => a + r.share, 0)), hovertemplate: "%{x}: %{y:.0f} %<extra>" + (e === "Other" ? e : who(e)) + "</extra>"})),
    {title: {text: `${p.name}: import sources by commodity (published shares)`}, barmode: "stack",
      yaxis: {title: {text: "% of imports"}, ticksuffix: " %"}, xaxis: {automargin: true, tickangle: -45}});
  } else {
    $("impchart").replaceChildren(h("p", {class: "muted"}, "No published import-source shares; see the trade table below."));
  }
  const named = (rows) => rows.map((r) => ({...r, commodity: name(r.commodity)}));
  table($("imports"), named(partners(imp, "exporter", ["period", "basis"], who)), null, {partners: "Suppliers (share of imports)"});
  table($("trade"), named(partners(p.imports_trade, "partner", ["year"], who)), null, {partners: "Suppliers (share of import value)"});
  table($("exports"), named(partners(p.exports_trade, "partner", ["year"], who)), null, {partners: "Destinations (share of export value)"});
}
