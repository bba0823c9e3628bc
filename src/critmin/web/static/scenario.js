// Scenario: run a preset or an edited scenario (form built from the scenario's JSON schema,
// field-level errors from /api/scenarios/validate; JSON view as an advanced option).
"use strict";
nav("Scenario");

let SCHEMA = null, COMMODITIES = [], NAMES = {}, LAST = null;
// Readable names: a commodity's from the data (scenario-schema's names), a region's below.
const cname = (c) => NAMES[c] || c;
const rname = (r) => (REGIONS.find(([k]) => k === r) || [r, r])[1];

// -- schema helpers -------------------------------------------------------------------------
const deref = (node) => node && node.$ref ? SCHEMA.$defs[node.$ref.split("/").pop()] : node;
function kindOf(node) {
  node = deref(node);
  if (node.anyOf) {
    const inner = node.anyOf.find((x) => x.type !== "null");
    return {...kindOf(inner), optional: true, description: node.description || inner.description};
  }
  if (node.enum) return {kind: "enum", values: node.enum};
  if (node.type === "array") {
    if (node.prefixItems) return {kind: "tuple", items: node.prefixItems.map((x) => x.format || x.type)};
    const it = deref(node.items);
    if (it.type === "object") return {kind: "objects", item: it};
    if (it.enum) return {kind: "enumlist", values: it.enum};
    return {kind: "list"};
  }
  if (node.format === "date") return {kind: "date"};
  if (node.type === "boolean") return {kind: "bool"};
  if (node.type === "integer") return {kind: "int"};
  if (node.type === "number") return {kind: "number"};
  return {kind: "text"};
}
const pretty = (k) => k.replace(/_/g, " ");

function field(name, node, value, path, required) {
  const k = kindOf(node);
  const desc = deref(node).description || k.description || "";
  let input;
  if (k.kind === "enum") {
    input = h("select", {}, (k.optional || !required ? [h("option", {value: ""}, "—")] : []),
      k.values.map((v) => h("option", {value: v}, v)));
    input.value = value ?? (required ? k.values[0] : "");
  } else if (k.kind === "bool") {
    input = h("input", {type: "checkbox"});
    input.checked = !!value;
  } else if (k.kind === "enumlist") {
    input = h("select", {multiple: true, size: Math.min(4, k.values.length)}, k.values.map((v) => h("option", {value: v}, v)));
    [...input.options].forEach((o) => { o.selected = (value || []).includes(o.value); });
  } else {
    input = h("input", {type: k.kind === "date" ? "date" : k.kind === "int" || k.kind === "number" ? "number" : "text",
      step: k.kind === "number" ? "any" : null, size: k.kind === "list" || k.kind === "tuple" ? 34 : 18});
    input.value = value === null || value === undefined ? "" : Array.isArray(value) ? value.join(", ") : String(value);
    if (name === "commodities" || name === "commodity") input.setAttribute("list", "commodity-ids");
  }
  input.dataset.path = path; input.dataset.kind = k.kind;
  if (required) input.dataset.required = "1";
  const hint = k.kind === "list" ? "comma-separated" : k.kind === "tuple" ? "from, until (dates)" : "";
  return h("label", {class: "field", "data-field": path},
    h("span", {}, pretty(name), required ? " *" : ""), input,
    (desc || hint) ? h("span", {class: "hint"}, [desc, hint].filter(Boolean).join("; ")) : null,
    h("span", {class: "ferr", role: "alert"}));
}

function objectFields(schemaObj, value, prefix) {
  const req = new Set(schemaObj.required || []);
  const plain = [], lists = [];
  for (const [name, node] of Object.entries(schemaObj.properties)) {
    const path = prefix ? `${prefix}.${name}` : name;
    const k = kindOf(node);
    if (k.kind === "objects") lists.push(listBlock(name, k.item, (value || {})[name] || [], path));
    else plain.push(field(name, node, (value || {})[name], path, req.has(name)));
  }
  return [h("div", {}, plain), ...lists];
}

function listBlock(name, item, items, path) {
  const box = h("fieldset", {"data-field": path}, h("legend", {}, `${pretty(name)} (${items.length})`),
    h("span", {class: "ferr", role: "alert"}));
  items.forEach((it, i) => {
    const p = `${path}.${i}`;
    box.append(h("fieldset", {"data-field": p}, h("legend", {}, `${item.title || name} ${i + 1}`),
      ...objectFields(item, it, p), h("span", {class: "ferr", role: "alert"}),
      h("button", {type: "button", onclick: () => edit((o) => listAt(o, path).splice(i, 1))}, "remove")));
  });
  box.append(h("button", {type: "button", onclick: () => edit((o) => listAt(o, path).push({}))}, `add ${item.title || name}`));
  return box;
}
const listAt = (obj, path) => { obj[path] = obj[path] || []; return obj[path]; };

// -- form <-> object ------------------------------------------------------------------------
function renderForm(obj) {
  const form = $("form");
  form.replaceChildren(h("datalist", {id: "commodity-ids"}, COMMODITIES.map((c) => h("option", {value: c, label: cname(c)}))),
    ...objectFields(SCHEMA, obj, ""));
  $("spec").value = JSON.stringify(obj, null, 1);
}
function edit(change) {
  const o = collect().value;
  change(o);
  renderForm(o);
}

// Read the form into a scenario object; numbers that do not parse are field errors.
function collect() {
  const out = {}, errors = [];
  for (const el of $("form").querySelectorAll("[data-path]")) {
    const path = el.dataset.path, kind = el.dataset.kind;
    let v;
    if (kind === "bool") v = el.checked;
    else if (kind === "enumlist") v = [...el.selectedOptions].map((o) => o.value);
    else {
      const raw = el.value.trim();
      if (raw === "") { continue; }
      if (kind === "int" || kind === "number") {
        v = Number(raw);
        if (!Number.isFinite(v) || (kind === "int" && !Number.isInteger(v))) { errors.push({path, reason: `not a${kind === "int" ? "n integer" : " number"}: ${raw}`}); continue; }
      } else if (kind === "list" || kind === "tuple") v = raw.split(",").map((s) => s.trim()).filter(Boolean);
      else v = raw;
    }
    setPath(out, path.split("."), v);
  }
  // keep list items that exist in the form even when all their fields are empty
  for (const fs of $("form").querySelectorAll("fieldset[data-field]")) {
    const parts = fs.dataset.field.split(".");
    if (/^\d+$/.test(parts[parts.length - 1])) setPath(out, parts, getPath(out, parts) || {}, true);
  }
  for (const [k, v] of Object.entries(out)) if (Array.isArray(v)) out[k] = v.map((x) => x === undefined ? {} : x);
  return {value: out, errors};
}
function getPath(o, parts) { return parts.reduce((a, p) => (a == null ? a : a[p]), o); }
function setPath(o, parts, v, keep) {
  let cur = o;
  parts.forEach((p, i) => {
    const last = i === parts.length - 1;
    const key = /^\d+$/.test(p) ? +p : p;
    if (last) { if (!keep || cur[key] === undefined) cur[key] = v; return; }
    if (cur[key] === undefined) cur[key] = /^\d+$/.test(parts[i + 1]) ? [] : {};
    cur = cur[key];
  });
}

function showErrors(errors) {
  for (const el of $("form").querySelectorAll(".ferr")) el.textContent = "";
  for (const el of $("form").querySelectorAll(".bad")) el.classList.remove("bad");
  const loose = [];
  for (const e of errors) {
    let parts = String(e.path).split(".").filter((p) => p !== "body");
    let target = null;
    while (parts.length && !target) {
      target = $("form").querySelector(`[data-field="${CSS.escape(parts.join("."))}"]`);
      if (!target) parts = parts.slice(0, -1);
    }
    if (!target) { loose.push(`${e.path}: ${e.reason}`); continue; }
    target.classList.add("bad");
    const slot = target.querySelector(":scope > .ferr");
    slot.textContent = (slot.textContent ? slot.textContent + "; " : "") + e.reason;
  }
  const st = $("formstatus");
  st.className = errors.length ? "err" : "";
  st.textContent = errors.length ? `${errors.length} problem${errors.length > 1 ? "s" : ""}${loose.length ? ": " + loose.join("; ") : " (marked in the form)"}` : "valid";
}

async function check() {
  const {value, errors} = collect();
  $("spec").value = JSON.stringify(value, null, 1);
  if (errors.length) { showErrors(errors); return null; }
  try {
    await api("/api/scenarios/validate", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(value)});
    showErrors([]);
    return value;
  } catch (e) {
    showErrors(Array.isArray(e.detail) ? e.detail.map((d) => ({path: d.path ?? (d.loc || []).join("."), reason: d.reason ?? d.msg}))
      : [{path: "", reason: e.message}]);
    return null;
  }
}

// -- results ---------------------------------------------------------------------------------
function show(rep) {
  $("results").hidden = false;
  LAST = rep;
  const usa = rep.results.filter((x) => x.region === "USA").sort((a, b) => b.shortfall.p50 - a.shortfall.p50);
  const comms = usa.map((x) => x.commodity);
  plot("ratio", [{type: "bar", name: "peak price ratio", x: comms.map(cname), y: usa.map((x) => x.peak_price_ratio.p50),
    error_y: {type: "data", symmetric: false, array: usa.map((x) => x.peak_price_ratio.p95 - x.peak_price_ratio.p50),
      arrayminus: usa.map((x) => x.peak_price_ratio.p50 - x.peak_price_ratio.p5)}}],
  {title: {text: "Peak ex-China / China price ratio (P50, bars P5–P95)"}, yaxis: {title: {text: "ratio"}},
    xaxis: {automargin: true}});  // room for long commodity names
  plot("short", [["USA", "United States"], ["JPN", "Japan"]].map(([reg, n]) => {
    const q = comms.map((c) => rep.results.find((x) => x.region === reg && x.commodity === c));
    return {type: "bar", name: n, x: comms.map(cname), y: q.map((x) => 100 * x.shortfall.p50),
      error_y: {type: "data", symmetric: false, array: q.map((x) => 100 * (x.shortfall.p95 - x.shortfall.p50)),
        arrayminus: q.map((x) => 100 * (x.shortfall.p50 - x.shortfall.p5))}};
  }), {title: {text: "Peak shortfall, % of demand (P50, bars P5–P95)"}, barmode: "group", yaxis: {title: {text: "% of demand"}, ticksuffix: " %"},
    xaxis: {automargin: true}});
  regionsAndStages(rep, comms);
  const fc = $("fancommodity");
  select(fc, Object.keys(rep.paths || {}).map((c) => [c, cname(c)]), comms.find((c) => (rep.paths || {})[c]) );
  fc.onchange = () => fans(rep, fc.value);
  fans(rep, fc.value);
  table($("tab"), rep.results.filter((x) => x.region === "USA" || x.region === "JPN")
    .sort((a, b) => b.shortfall.p50 - a.shortfall.p50)
    .map((x) => ({commodity: cname(x.commodity), region: rname(x.region), price_ratio_p50: x.peak_price_ratio.p50,
      shortfall_p5: x.shortfall.p5, shortfall_p50: x.shortfall.p50, shortfall_p95: x.shortfall.p95})),
  null, {price_ratio_p50: "Price ratio P50", shortfall_p5: "Shortfall P5", shortfall_p50: "Shortfall P50", shortfall_p95: "Shortfall P95"});
}

// Fans follow the run's time step: the report dates every step (path_dates, paths_step).
function fans(rep, c) {
  const q = (rep.paths || {})[c];
  if (!q) return;
  const start = (rep.inputs && rep.inputs.scenario && rep.inputs.scenario.start) || (SCENARIO_START[rep.scenario]);
  const axis = rep.path_dates ? {dates: rep.path_dates, step: rep.paths_step || "quarter"} : start;
  const pct = (m) => m && {p5: m.p5.map((v) => 100 * v), p50: m.p50.map((v) => 100 * v), p95: m.p95.map((v) => 100 * v)};
  if (q.price_ratio) fan("fanp", [{name: "price ratio", ...q.price_ratio}], `${cname(c)}: ex-China / China price ratio`, "ratio", axis);
  const sf = REGIONS.filter(([r]) => q[`shortfall_${r}`])
    .map(([r, n]) => ({name: n, ...pct(q[`shortfall_${r}`])}));
  if (sf.length) fan("fans", sf, `${cname(c)}: shortfall, % of demand`, "% of demand", axis);
  exportsFan(rep, c);
}

// China's monthly exports by destination (model v2): share of its exports there before the
// scenario, per destination region, dated by month (rep.exports_dates).
function exportsFan(rep, c) {
  const ex = (rep.exports_by_destination || {})[c];
  $("exportsbox").hidden = !ex;
  if (!ex) return;
  const series = REGIONS.filter(([r]) => ex[r]).map(([r, n]) => ({name: n,
    p5: ex[r].p5.map((v) => 100 * v), p50: ex[r].p50.map((v) => 100 * v), p95: ex[r].p95.map((v) => 100 * v)}));
  fan("fanx", series, `${cname(c)}: China's exports by destination, % of before`, "% of exports before",
    {dates: rep.exports_dates, step: "month"});
}

// Model v2's outputs: shortfall in every region, peak prices and physical shortfall by stage.
const REGIONS = [["USA", "United States"], ["JPN", "Japan"], ["EU", "EU"], ["KOR", "South Korea"],
  ["CHN", "China"], ["ROW", "Rest of world"]];
const STAGES = ["mine", "refining", "metal", "product"];
const MODEL_WORDS = {v1: "market model v1 (quarterly, two price segments)",
  v2: "market model v2 (monthly, by stage and region)"};
function regionsAndStages(rep, comms) {
  // the run's id in full (to read it again: critmin runs show ID, /api/runs/ID/results)
  const spun = spinUpText(rep, (rep.path_dates || [])[0] || SCENARIO_START[rep.scenario]);
  $("model").replaceChildren(`${MODEL_WORDS[rep.model] || `market model ${rep.model || "v1"}`}, ${rep.samples} samples; `,
    spun ? h("span", {id: "spinup", "data-months": Number(rep.spin_up_months)}, spun) : null, spun ? "; " : "",
    `fans by ${rep.paths_step || "quarter"}; run `,
    h("code", {id: "runid", title: rep.run_id}, rep.run_id), ". What the measures mean: ",
    ...[["shortfall", "shortfall"], ["physical-shortfall", "physical shortfall"], ["price-ratio", "peak price ratio"],
      ["quantiles", "median, P5–P95"], ["price-rationing", "price rationing"], ["re-routing", "re-routing"]]
      .flatMap(([k, t], i) => [i ? ", " : "", glossLink(k, t)]), ".");
  const byRegion = rep.shortfall_by_region || [];
  const regions = REGIONS.filter(([r]) => byRegion.some((x) => x.region === r));
  const top = comms.slice(0, 8);
  const find = (c, r) => byRegion.find((x) => x.commodity === c && x.region === r);
  qbars("regions", top.map(cname), regions.map(([r, n]) => ({name: n, q: top.map((c) => (find(c, r) || {}).shortfall)})),
    "Shortfall by region, % of demand (P50, bars P5–P95)", "% of demand", 100, " %");
  table($("regiontab"), byRegion.filter((x) => top.includes(x.commodity)).map((x) => ({commodity: cname(x.commodity),
    region: rname(x.region), shortfall_p5: x.shortfall.p5, shortfall_p50: x.shortfall.p50, shortfall_p95: x.shortfall.p95,
    peak_physical_shortfall_p50: x.peak_shortfall_physical ? x.peak_shortfall_physical.p50 : null})),
  null, {peak_physical_shortfall_p50: "Peak physical shortfall P50"});
  const st = rep.stages || [];
  $("stagebox").hidden = !st.length;
  if (!st.length) return;
  const peak = (c) => Math.max(...st.filter((x) => x.commodity === c).map((x) => x.peak_price_x.p50));
  const sc = [...new Set(st.map((x) => x.commodity))].sort((a, b) => peak(b) - peak(a)).slice(0, 8);
  const stages = STAGES.filter((g) => st.some((x) => x.stage === g && sc.includes(x.commodity)));
  const at = (c, g) => st.find((x) => x.commodity === c && x.stage === g);
  qbars("stages", sc.map(cname), stages.map((g) => ({name: g, q: sc.map((c) => (at(c, g) || {}).peak_price_x)})),
    "Peak ex-China price by stage vs. before (P50, bars P5–P95)", "× pre-scenario price", 1, "×");
  table($("stagetab"), st.filter((x) => sc.includes(x.commodity)).map((x) => ({commodity: cname(x.commodity), stage: x.stage,
    peak_price_p5: x.peak_price_x.p5, peak_price_p50: x.peak_price_x.p50, peak_price_p95: x.peak_price_x.p95,
    physical_shortfall_p50: x.shortfall_physical ? x.shortfall_physical.p50 : null})),
  null, {peak_price_p5: "Peak price × P5", peak_price_p50: "Peak price × P50", peak_price_p95: "Peak price × P95",
    physical_shortfall_p50: "Physical shortfall P50 (mean over months)"});
}

// Top drivers of a preset (the server computes Sobol indices once and caches them).
async function explain(id) {
  const status = $("driverstatus");
  loading(status, "Computing the Sobol indices (a minute or more the first time)…");
  try {
    for (let i = 0; i < 60; i++) {
      const r = await api(`/api/dashboard/drivers/${encodeURIComponent(id)}?wait=15`);
      if (!r.computing) {
        status.textContent = `Total-order Sobol index of each input (share of the output's variance it explains with its interactions), ${r.samples} base samples, model ${r.model}.`;
        table($("drivers"), r.drivers.map((d) => ({...d, commodity: cname(d.commodity), region: d.region && rname(d.region)})),
          ["output", "commodity", "region", "input", "ST"],
          {ST: "Total-order index"});
        return;
      }
    }
    status.textContent = "Still computing; try again later.";
  } catch (e) { fail(status, e); }
}

// -- page --------------------------------------------------------------------------------------
const SCENARIO_START = {};
(async () => {
  let list;
  try {
    const [s, l] = await Promise.all([api("/api/dashboard/scenario-schema"), api("/api/scenarios")]);
    SCHEMA = s.schema; COMMODITIES = s.commodities; NAMES = s.names || {}; list = l;
  } catch (e) { fail($("status"), e); return; }
  list.forEach((s) => { SCENARIO_START[s.id] = s.start; });
  const sel = $("sid");
  select(sel, list.map((s) => [s.id, `${s.name} (${s.id})`]), query("scenario", "CN_2025_04_heavyREE_licensing"));
  const load = async () => {
    const spec = await api(`/api/scenarios/${encodeURIComponent(sel.value)}`);
    renderForm(spec);
    showErrors([]);
    $("formstatus").textContent = "";
  };
  sel.addEventListener("change", () => load().catch((e) => fail($("formstatus"), e)));
  const opts = () => ({samples: +$("n").value, seed: +$("seed").value});
  $("run").addEventListener("click", () => runJob("simulate", {scenario_id: sel.value, ...opts()}, show));
  $("explain").addEventListener("click", () => explain(sel.value));
  $("validate").addEventListener("click", check);
  $("runspec").addEventListener("click", async () => {
    const spec = await check();
    if (spec) { SCENARIO_START[spec.id] = spec.start; runJob("simulate", {scenario: spec, ...opts()}, show); }
  });
  $("fromjson").addEventListener("click", () => {
    try { renderForm(JSON.parse($("spec").value)); showErrors([]); } catch (e) { showErrors([{path: "", reason: `JSON: ${e.message}`}]); }
  });
  await load();
})();
