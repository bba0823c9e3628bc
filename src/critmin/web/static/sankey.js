// Supply-chain Sankey: shares of each stage's world output, linked stage to stage by country.
"use strict";
nav("Supply chain");

const STAGE_NAME = {mine: "mine", refining: "refining", metal: "metal", product: "product"};
(async () => {
  let options;
  try { options = await api("/api/dashboard/sankey"); } catch (e) { fail($("sankey"), e); return; }
  const byId = Object.fromEntries(options.map((o) => [o.commodity, o]));
  select($("commodity"), options.map((o) => [o.commodity, o.name]), query("commodity", "ndfeb_magnet"));
  const setInputs = () => {
    const o = byId[$("commodity").value];
    $("vialabel").hidden = !o.inputs.length;
    select($("via"), o.inputs, o.inputs.includes(query("via", "")) ? query("via", "") : o.inputs[0]);
  };
  const draw = async () => {
    const c = $("commodity").value, via = $("via").value;
    loading($("sankey"), "Loading flows…");
    try {
      const q = byId[c].inputs.length ? `?via=${encodeURIComponent(via)}` : "";
      const [s, countries] = await Promise.all([
        api(`/api/dashboard/sankey/${encodeURIComponent(c)}${q}`), countryNames()]);
      render(s, byId[c].name, (code) => code === "OTHER" ? "Other countries" : place(code, countries));
    } catch (e) { fail($("sankey"), e); }
  };
  $("commodity").addEventListener("change", () => { setInputs(); draw(); });
  $("via").addEventListener("change", draw);
  setInputs(); draw();
})();

// who: a country code as its name ("China", not "CHN"); the colours still key on codes.
function render(s, name, who) {
  const key = (st, c) => `${st}|${c}`;
  const index = Object.fromEntries(s.nodes.map((n, i) => [key(n.stage, n.country), i]));
  const colorOf = (c) => c === "CHN" ? "#d62728" : c === "OTHER" ? "#aaaaaa" : c === "USA" ? "#1f77b4" : c === "JPN" ? "#9467bd" : "#2ca02c";
  plot("sankey", [{type: "sankey", arrangement: "snap", valueformat: ".1f", valuesuffix: " %",
    node: {label: s.nodes.map((n) => `${who(n.country)} · ${STAGE_NAME[n.stage]} ${(100 * n.share).toFixed(0)} %`),
      color: s.nodes.map((n) => colorOf(n.country)), pad: 12, thickness: 16},
    link: {source: s.links.map((l) => index[key(l.source_stage, l.source)]),
      target: s.links.map((l) => index[key(l.target_stage, l.target)]),
      value: s.links.map((l) => 100 * l.share),
      color: s.links.map((l) => l.source === "CHN" ? "rgba(214,39,40,0.35)" : "rgba(120,120,120,0.3)")}}],
  {title: {text: `${name}: ${s.stages.join(" → ")} (% of each stage's world output)`}, height: 620, font: {size: 12}});
  $("method").textContent = `Link widths: share of the downstream stage's world output (%). Method (${s.via === s.commodity ? "" : "input " + s.via + "; "}${s.method}). China in red, the United States in blue, Japan in purple.`;
  table($("links"), s.links.map((l) => ({from: `${who(l.source)} (${l.source_stage})`, to: `${who(l.target)} (${l.target_stage})`, share: l.share}))
    .sort((a, b) => b.share - a.share), null, {share: "Share of downstream world output"});
}
