// Compare two scenarios: run both (same samples and seed) and show them side by side.
"use strict";
nav("Compare");

(async () => {
  let list;
  try { list = await api("/api/scenarios"); } catch (e) { fail($("status"), e); return; }
  const opts = list.map((s) => [s.id, `${s.name} (${s.id})`]);
  select($("sa"), opts, query("a", "CN_2025_04_heavyREE_licensing"));
  select($("sb"), opts, query("b", "CN_2025_10_full_controls"));
  $("run").addEventListener("click", run);
})();

async function run() {
  const body = (id) => ({scenario_id: id, samples: +$("n").value, seed: +$("seed").value});
  const a = await runJob("simulate", body($("sa").value), () => {});
  if (!a) return;
  const b = await runJob("simulate", body($("sb").value), () => {});
  if (!b) return;
  show(a, b);
}

function byKey(rep, region) {
  return Object.fromEntries(rep.results.filter((x) => x.region === region).map((x) => [x.commodity, x]));
}

function show(a, b) {
  $("results").hidden = false;
  const names = [`A: ${a.scenario}`, `B: ${b.scenario}`];
  const ua = byKey(a, "USA"), ub = byKey(b, "USA"), ja = byKey(a, "JPN"), jb = byKey(b, "JPN");
  const comms = [...new Set([...Object.keys(ua), ...Object.keys(ub)])].sort((x, y) =>
    Math.max(ub[y]?.shortfall.p50 ?? 0, ua[y]?.shortfall.p50 ?? 0) - Math.max(ub[x]?.shortfall.p50 ?? 0, ua[x]?.shortfall.p50 ?? 0));
  const bars = (m, f, scale) => m.map((rep, k) => ({type: "bar", name: names[k], marker: {color: COLORS[k]}, x: comms,
    y: comms.map((c) => rep[c] ? scale * f(rep[c]).p50 : null),
    error_y: {type: "data", symmetric: false, array: comms.map((c) => rep[c] ? scale * (f(rep[c]).p95 - f(rep[c]).p50) : null),
      arrayminus: comms.map((c) => rep[c] ? scale * (f(rep[c]).p50 - f(rep[c]).p5) : null)}}));
  plot("cshort", bars([ua, ub], (r) => r.shortfall, 100), {title: {text: "U.S. peak shortfall, % of demand (P50, bars P5–P95)"},
    barmode: "group", yaxis: {title: {text: "% of demand"}, ticksuffix: " %"}});
  plot("cratio", bars([ua, ub], (r) => r.peak_price_ratio, 1), {title: {text: "Peak ex-China / China price ratio (P50, bars P5–P95)"},
    barmode: "group", yaxis: {title: {text: "ratio"}}});
  $("ha").textContent = names[0]; $("hb").textContent = names[1];
  const rows = (u, j) => comms.filter((c) => u[c]).map((c) => ({commodity: c, price_ratio_p50: u[c].peak_price_ratio.p50,
    usa_shortfall_p50: u[c].shortfall.p50, jpn_shortfall_p50: j[c] ? j[c].shortfall.p50 : null}));
  const labels = {price_ratio_p50: "Price ratio P50", usa_shortfall_p50: "U.S. shortfall P50", jpn_shortfall_p50: "Japan shortfall P50"};
  table($("ta"), rows(ua, ja), null, labels);
  table($("tb"), rows(ub, jb), null, labels);
  table($("diff"), comms.map((c) => ({commodity: c,
    usa_shortfall_change: ub[c] && ua[c] ? ub[c].shortfall.p50 - ua[c].shortfall.p50 : null,
    jpn_shortfall_change: jb[c] && ja[c] ? jb[c].shortfall.p50 - ja[c].shortfall.p50 : null,
    price_ratio_change: ub[c] && ua[c] ? ub[c].peak_price_ratio.p50 - ua[c].peak_price_ratio.p50 : null})),
  null, {usa_shortfall_change: "U.S. shortfall B − A", jpn_shortfall_change: "Japan shortfall B − A", price_ratio_change: "Price ratio B − A"});
}
