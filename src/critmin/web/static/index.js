// Overview: concentration, China's shares, import reliance, production shares and the map.
"use strict";
nav("Overview");

const STAGE_LABEL = {mine: "Mine", refining: "Refining", metal: "Metal", product: "Product", reserves: "Reserves"};

(async () => {
  const charts = ["map", "heat", "china", "nir", "shares"].map($);
  charts.forEach((el) => loading(el, "Loading the assessment…"));
  let data;
  try {
    const waiting = () => charts.forEach((el) =>
      loading(el, "The server is computing the assessment (first request since it started)…"));
    for (let i = 0; i < 60; i++) {
      data = await apiPatient("/api/dashboard/overview", waiting);
      if (!data.computing) break;
      waiting();
    }
    if (data.computing) throw new Error("the assessment is taking too long; reload the page");
  } catch (e) { charts.forEach((el) => fail(el, e)); return; }
  const names = data.names;
  const countries = await countryNames();
  const label = (c) => names[c] || c;
  const stages = data.stage_order;
  const prod = data.stages.filter((r) => r.stage !== "reserves");
  const comm = [...new Set(prod.map((r) => r.commodity))].sort((a, b) => label(a).localeCompare(label(b)));

  pickers(data, comm, label, countries);
  drawMap(data, label).catch((e) => fail($("map"), e));

  const allStages = [...stages, "reserves"];
  const rowsHeight = (n) => Math.max(480, 120 + 17 * n);
  const cats = (labels) => ({automargin: true, autorange: "reversed", tickmode: "array", tickvals: labels, ticktext: labels});
  const cNames = comm.map(label);
  const z = comm.map((c) => allStages.map((s) => (data.stages.find((r) => r.commodity === c && r.stage === s) || {}).hhi ?? null));
  plot("heat", [{type: "heatmap", x: allStages.map((s) => STAGE_LABEL[s]), y: cNames, z, zmin: 0, zmax: 10000,
    colorscale: "YlOrRd", reversescale: true, colorbar: {title: {text: "HHI"}},
    hovertemplate: "%{y}, %{x}: HHI %{z:.0f}<extra></extra>"}],
  {title: {text: "Concentration (HHI 0–10,000) by stage"}, height: rowsHeight(comm.length),
    margin: {l: 20, r: 20, t: 60, b: 40}, yaxis: cats(cNames)});

  plot("china", stages.map((s, k) => ({type: "bar", orientation: "h", name: STAGE_LABEL[s], y: cNames, marker: {color: COLORS[k]},
    x: comm.map((c) => { const r = prod.find((x) => x.commodity === c && x.stage === s); return r && r.china_share !== null ? 100 * r.china_share : null; }),
    hovertemplate: "%{y}: %{x:.1f} %<extra>" + STAGE_LABEL[s] + "</extra>"})),
  {title: {text: "China's share of world output by stage"}, barmode: "group", height: rowsHeight(comm.length) + 200,
    margin: {l: 20, r: 20, t: 90, b: 50}, bargap: 0.15,
    xaxis: {title: {text: "% of world output"}, range: [0, 100], ticksuffix: " %"}, yaxis: cats(cNames)});

  const sum = data.summary;
  const sumNames = sum.map((r) => label(r.commodity));
  plot("nir", [["usa", "United States"], ["jpn", "Japan"]].map(([k, n], i) => ({type: "bar", orientation: "h", name: n, marker: {color: COLORS[i]},
    y: sumNames, x: sum.map((r) => r[`${k}_import_reliance`] === null ? null : 100 * r[`${k}_import_reliance`]),
    hovertemplate: "%{y}: %{x:.0f} %<extra>" + n + "</extra>"})),
  {title: {text: "Net import reliance (% of apparent consumption)"}, barmode: "group", height: rowsHeight(sum.length) + 100,
    margin: {l: 20, r: 20, t: 90, b: 50},
    xaxis: {title: {text: "% of consumption"}, ticksuffix: " %"}, yaxis: cats(sumNames)});

  // stacked production shares: the eight largest producers overall, the rest as "Other"
  const sh = data.shares;
  const keys = [...new Set(sh.map((r) => `${r.commodity}/${r.stage}`))].sort();
  const keyNames = keys.map((key) => { const [cm, st] = key.split("/"); return `${label(cm)} · ${st}`; });
  const weight = {};
  sh.forEach((r) => { if (r.country !== "OTHER") weight[r.country] = (weight[r.country] || 0) + r.share; });
  const top = Object.entries(weight).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([c]) => c);
  const series = [...top, "Other"];
  plot("shares", series.map((c, k) => ({type: "bar", orientation: "h", name: c, marker: {color: COLORS[k % COLORS.length]},
    y: keyNames, x: keys.map((key) => 100 * sh.filter((r) => `${r.commodity}/${r.stage}` === key
      && (c === "Other" ? !top.includes(r.country) : r.country === c)).reduce((a, r) => a + r.share, 0)),
    hovertemplate: "%{y}: %{x:.1f} %<extra>" + c + "</extra>"})),
  {title: {text: "Production shares by country (largest eight producers)"}, barmode: "stack", height: rowsHeight(keys.length) + 100,
    margin: {l: 20, r: 20, t: 60, b: 50}, legend: {orientation: "v", x: 1.02, xanchor: "left", y: 1, yanchor: "top"},
    xaxis: {title: {text: "% of world output"}, range: [0, 100], ticksuffix: " %"}, yaxis: cats(keyNames)});
})();

function pickers(data, comm, label, countries = {}) {
  const pc = $("pick-commodity");
  select(pc, comm.map((c) => [c, label(c)]), "ree");
  const show = () => {
    const c = pc.value;
    const rows = data.stages.filter((r) => r.commodity === c).map((r) => ({stage: STAGE_LABEL[r.stage] || r.stage,
      year: r.year, hhi: r.hhi, top_country: place(r.top_country, countries), top_share: r.top_share, china_share: r.china_share}));
    const imp = data.countries.filter((r) => r.commodity === c).map((r) => ({importer: place(r.importer, countries),
      import_reliance: r.import_reliance, top_supplier: place(r.top_supplier, countries), top_supplier_share: r.top_supplier_share,
      china_import_share: r.china_import_share, eu_rank: r.eu_rank, us_rank: r.us_rank}));
    const a = h("div"), b = h("div");
    table(a, rows, null, {hhi: "HHI (0–10,000)"});
    table(b, imp);
    $("focus").replaceChildren(h("h2", {}, label(c)), a, h("h3", {}, "Importers"), b,
      h("p", {}, h("a", {href: `/sankey?commodity=${encodeURIComponent(c)}`}, "Supply-chain flows of " + label(c))));
    const opt = [...$("mapsel").options].find((o) => o.value.startsWith(`${c}/`));
    if (opt) { $("mapsel").value = opt.value; $("mapsel").dispatchEvent(new Event("change")); }
  };
  pc.addEventListener("change", show);
  show();
  api("/api/dashboard/countries").then((cs) => {
    const p = $("pick-country");
    select(p, [["", "choose…"], ...cs.map((c) => [c.iso3, `${c.name} (${c.iso3})`])], "");
    p.addEventListener("change", () => { if (p.value) location.href = `/country?iso3=${encodeURIComponent(p.value)}`; });
  }).catch((e) => fail($("status"), e));
}

async function drawMap(data, label) {
  const geo = await api("/static/world-110m.geojson");
  const ids = geo.features.map((f) => f.id);
  const sel = $("mapsel");
  const keys = [...new Set(data.shares.map((r) => `${r.commodity}/${r.stage}`))].sort();
  select(sel, keys.map((k) => { const [c, s] = k.split("/"); return [k, `${label(c)} · ${s}`]; }),
    keys.includes("ree/mine") ? "ree/mine" : keys[0]);
  const draw = () => {
    const k = sel.value;
    const rs = data.shares.filter((r) => `${r.commodity}/${r.stage}` === k && ids.includes(r.country));
    const have = new Set(rs.map((r) => r.country));
    const grey = ids.filter((i) => !have.has(i));
    const names = Object.fromEntries(geo.features.map((f) => [f.id, f.properties.name]));
    const [c, s] = k.split("/");
    plot("map", [
      {type: "choropleth", geojson: geo, featureidkey: "id", locations: grey, z: grey.map(() => 0),
        text: grey.map((i) => names[i]), colorscale: [[0, "#d9d9d9"], [1, "#d9d9d9"]], showscale: false,
        hovertemplate: "%{text}: no data<extra></extra>", marker: {line: {width: 0.4, color: "#fff"}}, name: "no data"},
      {type: "choropleth", geojson: geo, featureidkey: "id", locations: rs.map((r) => r.country),
        z: rs.map((r) => 100 * r.share), text: rs.map((r) => names[r.country]), zmin: 0, zmax: 100,
        colorscale: "YlOrRd", reversescale: true, colorbar: {title: {text: "% of world"}, ticksuffix: " %"},
        hovertemplate: "%{text}: %{z:.1f} %<extra></extra>", marker: {line: {width: 0.4, color: "#fff"}}, name: "share"}],
    {title: {text: `Share of world ${label(c)} output, ${s} stage (%)`}, height: 520,
      geo: {projection: {type: "natural earth"}, showframe: false, showcoastlines: false, showland: false,
        showcountries: false, showocean: false, showlakes: false, showrivers: false, lataxis: {range: [-58, 85]}},
      margin: {l: 0, r: 0, t: 40, b: 0}});
  };
  sel.addEventListener("change", draw);
  draw();
}
