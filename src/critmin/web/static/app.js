// critmin dashboard: helpers over the HTTP API. No external requests; every value from the
// data is written with textContent or DOM attributes (never as HTML), see h() and table().
"use strict";

const $ = (id) => document.getElementById(id);

// Escape text for the few places a string must become markup (none with data today).
function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;",
    '"': "&quot;", "'": "&#39;"}[c]));
}

// Build an element: h("a", {href: u, class: "x"}, "text", child, ...). Text is text.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k === "href") el.setAttribute("href", safeHref(v));
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Only http(s) and same-site paths become links (no javascript: or data: URLs).
function safeHref(u) {
  const s = String(u).trim();
  if (/^https?:\/\//i.test(s) || /^\/(?!\/)/.test(s) || /^\?/.test(s)) return s;
  return "#";
}

// Every request carries the stored token (under --private every read needs it, job polling
// included); a page without a stored token sends none.
const api = async (path, opts = {}) => {
  const headers = {...(opts.headers || {})};
  if (token() && !headers.Authorization) headers.Authorization = `Bearer ${token()}`;
  const r = await fetch(path, {...opts, headers});
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const err = new Error(`${r.status}: ${describe(body.detail ?? body)}`);
    err.status = r.status; err.detail = body.detail;
    throw err;
  }
  return body;
};
// A slow first computation (the server answers 504 past its request timeout while the work
// goes on and is cached) is retried a few times instead of failing the page.
async function apiPatient(path, onWait, tries = 12) {
  for (let i = 1; ; i++) {
    try { return await api(path); } catch (e) {
      if (![503, 504].includes(e.status) || i >= tries) throw e;
      if (onWait) onWait(i);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}
function describe(detail) {
  if (Array.isArray(detail)) return detail.map((d) => `${d.path ?? (d.loc || []).join(".")}: ${d.reason ?? d.msg}`).join("; ");
  return typeof detail === "string" ? detail : JSON.stringify(detail);
}
const token = () => localStorage.getItem("critmin_token") || "";
// `critmin serve` on localhost prints the dashboard's URL with #token=...: a fragment never
// reaches the server, its logs or a Referer. Keep the token, clear it from the address bar.
(function tokenFromFragment() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return;
  localStorage.setItem("critmin_token", decodeURIComponent(m[1]));
  history.replaceState(null, "", location.pathname + location.search);
})();
const authed = (body) => ({method: "POST", headers: {"Content-Type": "application/json",
  "Authorization": `Bearer ${token()}`}, body: JSON.stringify(body)});
const query = (name, fallback) => new URLSearchParams(location.search).get(name) || fallback;

const PAGES = [["/", "Overview"], ["/country", "Country"], ["/sankey", "Supply chain"],
  ["/scenario", "Scenario"], ["/compare", "Compare"], ["/portfolio", "Portfolio"],
  ["/sources", "Sources"], ["/glossary", "Glossary"], ["/docs", "API"]];

function nav(active) {
  const n = document.querySelector("nav");
  n.replaceChildren(...PAGES.map(([href, t]) => h("a", {href, class: t === active ? "on" : ""}, t)));
  const tok = h("input", {id: "tok", size: 24, type: "password", autocomplete: "off",
    "aria-label": "API token (needed to run jobs)", placeholder: "token for runs"});
  tok.value = token();
  tok.addEventListener("change", (e) => localStorage.setItem("critmin_token", e.target.value.trim()));
  n.append(h("label", {class: "tok"}, "token ", tok));
}

// -- readable names --------------------------------------------------------------------
// The market model's regions, and countries by ISO3 and commodities by id (fetched once).
const REGION_NAMES = {USA: "United States", JPN: "Japan", EU: "EU", KOR: "South Korea", CHN: "China",
  ROW: "Rest of world"};
let COUNTRY_NAMES = null, COMMODITY_NAMES = null;
const countryNames = () => (COUNTRY_NAMES = COUNTRY_NAMES || api("/api/dashboard/countries")
  .then((l) => Object.fromEntries(l.map((c) => [c.iso3, c.name]))).catch(() => ({})));
const commodityNames = () => (COMMODITY_NAMES = COMMODITY_NAMES || api("/api/dashboard/scenario-schema")
  .then((s) => s.names || {}).catch(() => ({})));
// A country or region code as its name (codes without one stay as they are).
const place = (code, countries = {}) => REGION_NAMES[code] || countries[code] || code;

// -- formatting -------------------------------------------------------------------------
const PCT = /(^|_)(share|reliance|shortfall)($|_)|_share$|^share/;
function num(v, digits = 3) {
  if (!Number.isFinite(v)) return "—";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1000) return v.toLocaleString("en-US", {maximumFractionDigits: 0});
  if (a < 0.001) return v > 0 ? "< 0.001" : "> −0.001";
  return String(Number(v.toPrecision(digits)));
}
const pct = (v, digits = 1) => Number.isFinite(v) ? `${(100 * v).toFixed(digits)} %` : "—";
const usd = (v) => Number.isFinite(v) ? (Math.abs(v) >= 1e9 ? `USD ${(v / 1e9).toFixed(2)} bn`
  : `USD ${(v / 1e6).toFixed(1)} m`) : "—";

function fmt(col, v) {
  if (v === null || v === undefined || v === "" || (typeof v === "number" && !Number.isFinite(v))) return "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v !== "number") return String(v);
  if (/year|rank|producers|quarter/.test(col)) return String(Math.round(v));
  if (/_usd$|^cost|usd/.test(col)) return usd(v);
  if (PCT.test(col)) return pct(v);
  return num(v);
}

// A table from records; values become text nodes, URLs become links.
function table(el, rows, cols, labels = {}) {
  cols = cols || Object.keys(rows[0] || {});
  if (!rows.length) { el.replaceChildren(h("p", {class: "muted"}, "No rows.")); return; }
  const head = h("tr", {}, cols.map((c) => h("th", {scope: "col"}, glossed(c, labels[c] || human(c)))));
  const body = rows.map((r) => h("tr", {}, cols.map((c) => {
    const v = r[c];
    if (typeof v === "string" && /^https?:\/\//i.test(v.trim())) {
      return h("td", {class: "url"}, h("a", {href: v, rel: "noopener noreferrer"}, v));
    }
    return h("td", {class: typeof v === "number" ? "n" : ""}, fmt(c, v));
  })));
  el.replaceChildren(h("div", {class: "tablewrap"}, h("table", {}, h("thead", {}, head), h("tbody", {}, body))));
}
// Metric columns -> glossary terms (report/explain.py's keys): their headers link to the
// glossary page (/glossary#g-KEY), the brief's and `critmin glossary`'s one source.
const GLOSS = [[/physical_shortfall/, "physical-shortfall"], [/shortfall/, "shortfall"],
  [/price_ratio|peak_price|price_x/, "price-ratio"], [/^(ST|S1)$|sobol/, "sobol"], [/cover/, "stock-cover"],
  [/reliance/, "import-reliance"], [/(^|_)hhi($|_)/, "hhi"], [/cvar/, "cvar"], [/expected_loss/, "expected-loss"],
  [/value_at_risk|unmet/, "unmet-demand"], [/leakage/, "leakage"], [/(^|_)rank$/, "rank"]];
const glossKey = (col) => (GLOSS.find(([re]) => re.test(String(col))) || [])[1];
const glossLink = (key, text) => h("a", {href: `/glossary#g-${key}`, class: "gloss", title: "What this means (glossary)"}, text);
function glossed(col, text) {
  const key = glossKey(col);
  return key ? glossLink(key, text) : text;
}
const WORDS = {eu: "EU-style", us: "U.S.-style", usa: "U.S.", jpn: "Japan", hhi: "HHI", usd: "(USD)", p5: "P5", p50: "P50", p95: "P95"};
const human = (c) => {
  const s = String(c).split("_").map((w) => WORDS[w] || w).join(" ");
  return s.charAt(0).toUpperCase() + s.slice(1);
};
// "China 70 %, Malaysia 13 %" per commodity from partner share rows (``label``: a partner's
// code as shown).
function partners(rows, partnerKey, extra = [], label = (x) => x) {
  const out = [];
  for (const r of rows) {
    let o = out.find((x) => x.commodity === r.commodity);
    if (!o) { o = {commodity: r.commodity}; extra.forEach((k) => { o[k] = r[k]; }); o.partners = []; out.push(o); }
    if (r.share >= 0.005) o.partners.push(`${label(r[partnerKey])} ${pct(r.share, 0)}`);
  }
  return out.map((o) => ({...o, partners: o.partners.join(", ")}));
}

// -- loading and errors -------------------------------------------------------------------
function loading(el, text = "Loading…") {
  el.replaceChildren(h("div", {class: "loading", role: "status"}, h("span", {class: "spin"}), text));
}
function fail(el, e) {
  el.replaceChildren(h("p", {class: "err", role: "alert"}, e.message || String(e)));
}

// -- charts -------------------------------------------------------------------------------
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
  "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#ad494a"];
// Plotly's geo maps fetch a basemap from its CDN; the dashboard draws every country from the
// bundled GeoJSON instead, so hand Plotly an empty world basemap (no request leaves).
const EMPTY = {type: "GeometryCollection", geometries: []};
window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
window.PlotlyGeoAssets.topojson.world_110m = {type: "Topology", arcs: [], objects: Object.fromEntries(
  ["land", "ocean", "lakes", "rivers", "countries", "subunits", "coastlines"].map((k) => [k, EMPTY]))};
const CONFIG = {responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"]};

// Plotly reads <a href>, <span style> and other tags in any text it draws; names from the
// data are only text: every string of traces and layout has its angle brackets escaped
// (Plotly splits tags before it decodes entities, so &lt; shows as "<" and builds nothing).
function inert(v) {
  if (typeof v === "string") return v.replace(/</g, "&lt;").replace(/>/g, "&gt;");
  if (Array.isArray(v)) return v.map(inert);
  if (v && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inert(x)]));
  }
  return v;
}

// newPlot with house defaults: a legend whenever more than one named series shows.
function plot(el, traces, layout = {}) {
  const node = typeof el === "string" ? $(el) : el;
  node.replaceChildren();
  traces = inert(traces);
  layout = inert(layout);
  const series = traces.filter((t) => t.showlegend !== false && !["heatmap", "choropleth", "sankey"].includes(t.type));
  const lay = Object.assign({margin: {l: 60, r: 20, t: 80, b: 60}, font: {size: 12},
    showlegend: series.length > 1, legend: {orientation: "h", x: 0, xanchor: "left", y: 1.0, yanchor: "bottom"}}, layout);
  if (series.length > 1) lay.showlegend = true;
  wrapTitle(lay, node.clientWidth || 700);
  return Plotly.newPlot(node, traces, lay, CONFIG);
}

// A title wider than its chart wraps onto more lines (word by word) and the top margin grows
// to hold them: at 1366x768 two charts share a row and a long commodity name would cut it.
function wrapTitle(lay, width) {
  const t = lay.title && lay.title.text;
  if (!t) return;
  const px = (lay.title.font && lay.title.font.size) || 1.4 * ((lay.font && lay.font.size) || 12);
  const per = Math.max(16, Math.floor((width - 24) / (0.6 * px)));  // characters a line
  const lines = [];
  for (const w of t.split(" ")) {
    const k = lines.length - 1;
    if (k >= 0 && (lines[k] + " " + w).length <= per) lines[k] += " " + w; else lines.push(w);
  }
  if (lines.length < 2) return;
  lay.title = {...lay.title, text: lines.join("<br>")};
  lay.margin = {...lay.margin, t: (lay.margin.t || 80) + 20 * (lines.length - 1)};
}

// Step index -> first day of that step after a scenario start (ISO date strings); a step
// is 3 months (quarterly paths) or 1 (monthly paths).
function stepDates(start, n, months = 3) {
  const d0 = new Date(`${start}T00:00:00Z`);
  return Array.from({length: n}, (_, i) => {
    const d = new Date(Date.UTC(d0.getUTCFullYear(), d0.getUTCMonth() + months * i, 1));
    return d.toISOString().slice(0, 10);
  });
}
const STEP_MONTHS = {month: 1, quarter: 3};

// A run's spin-up in words (its result's spin_up_months; the server's runs of a preset that
// lists controls begun before its start month run from the earliest of them and report from
// the start): "spun up 26 months, from Aug 2023 (...); results from Oct 2025 on", or ""
// for a run without spin-up. ``start``: the scenario's start (ISO date), by default the
// run's first reported date.
function spinUpText(rep, start) {
  const months = Number(rep && rep.spin_up_months) || 0;
  if (months <= 0) return "";
  const first = start || ((rep.path_dates || [])[0]) || "";
  const d0 = new Date(`${String(first).slice(0, 10)}T00:00:00Z`);
  const words = (d) => d.toLocaleString("en-US", {month: "short", year: "numeric", timeZone: "UTC"});
  if (Number.isNaN(d0.getTime())) return `spun up ${months} months before the scenario's start (the earliest control it lists); results from its start on`;
  const from = new Date(Date.UTC(d0.getUTCFullYear(), d0.getUTCMonth() - months, 1));
  return `spun up ${months} months, from ${words(from)} (the earliest control the scenario lists); results from ${words(d0)} on`;
}

// A fan chart: one P5-P95 band and a P50 line per series (at most a few series). ``axis``:
// {dates, step} (a run's path dates and step, "month" or "quarter"), or a start date
// (quarterly steps), or nothing (step numbers).
function fan(el, series, title, yTitle, axis) {
  const ax = typeof axis === "string" ? {start: axis, step: "quarter"} : (axis || {});
  const step = ax.step || "quarter";
  const dated = !!(ax.dates || ax.start);
  const traces = [];
  sameOnce(series).slice(0, 6).forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const n = s.p50.length;
    const x = ax.dates && ax.dates.length >= n ? ax.dates.slice(0, n)
      : ax.start ? stepDates(ax.start, n, STEP_MONTHS[step] || 3) : s.p50.map((_, i) => i);
    traces.push({x: x.concat([...x].reverse()), y: s.p95.concat([...s.p5].reverse()), fill: "toself",
      fillcolor: color, opacity: 0.18, mode: "lines", line: {width: 0}, showlegend: false, hoverinfo: "skip",
      legendgroup: s.name, type: "scatter", name: `${s.name} P5–P95`});
    traces.push({x, y: s.p50, name: `${s.name} (P50)`, legendgroup: s.name,
      mode: "lines+markers", line: {color}, type: "scatter"});
  });
  // legend under the axis: several series would cover the title above the plot
  return plot(el, traces, {title: {text: `${title} (P50, band P5–P95)`}, yaxis: {title: {text: yTitle}},
    xaxis: {title: {text: dated ? `${step} starting` : `${step} from scenario start`}, type: dated ? "date" : "linear"},
    showlegend: true, margin: {l: 60, r: 20, t: 60, b: 120},
    legend: {orientation: "h", x: 0, xanchor: "left", y: -0.22, yanchor: "top"}});
}

// Series with the same P5, P50 and P95 at every step are drawn once, named together
// ("United States = Japan"): drawn apart, the last would hide the others.
function sameOnce(series) {
  const eq = (a, b) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 1e-9 * Math.max(1, Math.abs(v)));
  const out = [];
  for (const s of series) {
    const m = out.find((o) => ["p5", "p50", "p95"].every((k) => eq(o[k], s[k])));
    if (m) m.name = `${m.name} = ${s.name}`; else out.push({...s});
  }
  return out;
}

// Bars of P50 with P5-P95 whiskers, one trace per series: series [{name, q: [quantiles|null per x]}].
function qbars(el, x, series, title, yTitle, scale = 1, suffix = "") {
  const val = (q, k) => (q && Number.isFinite(q[k]) ? scale * q[k] : null);
  plot(el, series.map((s, k) => ({type: "bar", name: s.name, x, marker: {color: COLORS[k % COLORS.length]},
    y: s.q.map((q) => val(q, "p50")),
    error_y: {type: "data", symmetric: false,
      array: s.q.map((q) => (q ? val(q, "p95") - val(q, "p50") : null)),
      arrayminus: s.q.map((q) => (q ? val(q, "p50") - val(q, "p5") : null))}})),
  {title: {text: title}, barmode: "group", yaxis: {title: {text: yTitle}, ticksuffix: suffix},
    xaxis: {automargin: true},  // room for long commodity names
    showlegend: true});  // a legend even for one series: it names the region or stage
}

function select(el, options, value) {
  el.replaceChildren(...options.map((o) => {
    const [v, t] = Array.isArray(o) ? o : [o, o];
    return h("option", {value: v}, t);
  }));
  if (value !== undefined && options.some((o) => (Array.isArray(o) ? o[0] : o) === value)) el.value = value;
}

// Run a job with a progress bar; onDone gets its result.
async function runJob(kind, body, onDone, ids = {status: "status", bar: "bar"}) {
  const st = $(ids.status), bar = $(ids.bar);
  st.className = ""; st.textContent = "submitting";
  try {
    let job = await api(`/api/jobs/${kind}`, authed(body));
    while (job.status === "queued" || job.status === "running") {
      bar.value = job.progress; st.textContent = `${job.status} ${(100 * job.progress).toFixed(0)} %`;
      await new Promise((r) => setTimeout(r, 400));
      job = await api(`/api/jobs/${job.id}`);
    }
    bar.value = job.progress;
    if (job.status !== "done") throw new Error(job.error || job.status);
    st.textContent = "done";
    const result = await api(`/api/jobs/${job.id}/result`);
    onDone(result);
    return result;
  } catch (e) {
    st.className = "err";
    st.textContent = e.status === 401 ? "401: paste a token (critmin token create NAME) in the token box" : e.message;
    return null;
  }
}
