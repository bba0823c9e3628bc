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
  show(a, b, await commodityNames());
}

// Importers whose shortfall the tables show, where the runs have them (v1: U.S. and Japan).
const IMPORTERS = [["USA", "U.S."], ["JPN", "Japan"], ["EU", "EU"], ["KOR", "Korea"]];

function byKey(rep, region) {
  const rows = rep.shortfall_by_region || rep.results;
  return Object.fromEntries(rows.filter((x) => x.region === region).map((x) => [x.commodity, x]));
}

function show(a, b, cnames = {}) {
  $("results").hidden = false;
  const cn = (c) => cnames[c] || c;
  // each run's id in full (critmin runs show ID, /api/runs/ID/results)
  // and its spin-up, where it has one: runs that start from a spun-up state are marked
  $("runs").replaceChildren(...[["A", a], ["B", b]].flatMap(([k, r], i) => [i ? "; " : "",
    `${k}: ${r.scenario}, run `, h("code", {id: `run${k.toLowerCase()}`, title: r.run_id}, r.run_id),
    ...(spinUpText(r) ? [", ", h("span", {id: `spinup${k.toLowerCase()}`, "data-months": Number(r.spin_up_months)},
      spinUpText(r))] : [])]),
  `; ${a.samples} samples each, market model ${a.model || "v1"}.`);
  const names = [`A: ${a.scenario}`, `B: ${b.scenario}`];
  const ua = byKey(a, "USA"), ub = byKey(b, "USA");
  const pa = Object.fromEntries(a.results.filter((x) => x.region === "USA").map((x) => [x.commodity, x]));
  const pb = Object.fromEntries(b.results.filter((x) => x.region === "USA").map((x) => [x.commodity, x]));
  const regions = IMPORTERS.filter(([r]) => Object.keys(byKey(a, r)).length || Object.keys(byKey(b, r)).length);
  const sa = Object.fromEntries(regions.map(([r]) => [r, byKey(a, r)]));
  const sb = Object.fromEntries(regions.map(([r]) => [r, byKey(b, r)]));
  const comms = [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort((x, y) =>
    Math.max(ub[y]?.shortfall.p50 ?? 0, ua[y]?.shortfall.p50 ?? 0) - Math.max(ub[x]?.shortfall.p50 ?? 0, ua[x]?.shortfall.p50 ?? 0));
  const bars = (m, f, scale) => m.map((rep, k) => ({type: "bar", name: names[k], marker: {color: COLORS[k]}, x: comms.map(cn),
    y: comms.map((c) => rep[c] ? scale * f(rep[c]).p50 : null),
    error_y: {type: "data", symmetric: false, array: comms.map((c) => rep[c] ? scale * (f(rep[c]).p95 - f(rep[c]).p50) : null),
      arrayminus: comms.map((c) => rep[c] ? scale * (f(rep[c]).p50 - f(rep[c]).p5) : null)}}));
  plot("cshort", bars([ua, ub], (r) => r.shortfall, 100), {title: {text: "U.S. shortfall, % of demand (P50, bars P5–P95)"},
    barmode: "group", yaxis: {title: {text: "% of demand"}, ticksuffix: " %"}, xaxis: {automargin: true}});
  plot("cratio", bars([pa, pb], (r) => r.peak_price_ratio, 1), {title: {text: "Peak ex-China / China price ratio (P50, bars P5–P95)"},
    barmode: "group", yaxis: {title: {text: "ratio"}}, xaxis: {automargin: true}});
  $("ha").textContent = names[0]; $("hb").textContent = names[1];
  const labels = {price_ratio_p50: "Price ratio P50"};
  for (const [r, n] of regions) {
    labels[`${r}_shortfall_p50`] = `${n} shortfall P50`;
    labels[`${r}_shortfall_change`] = `${n} shortfall B − A`;
  }
  labels.price_ratio_change = "Price ratio B − A";
  const rows = (p, s) => comms.filter((c) => p[c]).map((c) => Object.fromEntries([["commodity", cn(c)],
    ["price_ratio_p50", p[c].peak_price_ratio.p50],
    ...regions.map(([r]) => [`${r}_shortfall_p50`, s[r][c] ? s[r][c].shortfall.p50 : null])]));
  table($("ta"), rows(pa, sa), null, labels);
  table($("tb"), rows(pb, sb), null, labels);
  table($("diff"), comms.map((c) => Object.fromEntries([["commodity", cn(c)],
    ...regions.map(([r]) => [`${r}_shortfall_change`,
      sb[r][c] && sa[r][c] ? sb[r][c].shortfall.p50 - sa[r][c].shortfall.p50 : null]),
    ["price_ratio_change", pb[c] && pa[c] ? pb[c].peak_price_ratio.p50 - pa[c].peak_price_ratio.p50 : null]])),
  null, labels);
}
