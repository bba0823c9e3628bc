// critmin dashboard: small helpers over the HTTP API (no external requests).
const api = async (path, opts = {}) => {
  const r = await fetch(path, opts);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`${r.status}: ${JSON.stringify(body.detail ?? body)}`);
  return body;
};
const token = () => localStorage.getItem("critmin_token") || "";
const authed = (body) => ({method: "POST", headers: {"Content-Type": "application/json",
  "Authorization": `Bearer ${token()}`}, body: JSON.stringify(body)});
function nav(active) {
  const pages = [["/", "Overview"], ["/scenario", "Scenario"], ["/portfolio", "Portfolio"],
                 ["/sources", "Sources"]];
  document.querySelector("nav").innerHTML = pages.map(([h, t]) =>
    `<a href="${h}" class="${t === active ? "on" : ""}">${t}</a>`).join("") +
    `<label style="color:#fff;float:right">token <input id="tok" size="28" value="${token()}"></label>`;
  document.getElementById("tok").addEventListener("change", e =>
    localStorage.setItem("critmin_token", e.target.value.trim()));
}
function table(el, rows, cols) {
  cols = cols || Object.keys(rows[0] || {});
  const fmt = v => v === null || v === undefined ? "—" :
    typeof v === "number" ? (Math.abs(v) >= 1000 ? v.toLocaleString(undefined, {maximumFractionDigits: 0})
                              : Number(v.toPrecision(3)).toString()) : String(v);
  el.innerHTML = `<table><tr>${cols.map(c => `<th>${c}</th>`).join("")}</tr>` +
    rows.map(r => `<tr>${cols.map(c => `<td>${fmt(r[c])}</td>`).join("")}</tr>`).join("") + "</table>";
}
async function runJob(kind, body, onDone) {
  const st = document.getElementById("status"), bar = document.getElementById("bar");
  st.className = ""; st.textContent = "submitting";
  try {
    let job = await api(`/api/jobs/${kind}`, authed(body));
    while (job.status === "queued" || job.status === "running") {
      bar.value = job.progress; st.textContent = `${job.status} ${(100 * job.progress).toFixed(0)} %`;
      await new Promise(r => setTimeout(r, 400));
      job = await api(`/api/jobs/${job.id}`);
    }
    bar.value = job.progress;
    if (job.status !== "done") throw new Error(job.error || job.status);
    st.textContent = "done";
    onDone(await api(`/api/jobs/${job.id}/result`));
  } catch (e) { st.className = "err"; st.textContent = e.message; }
}
function fan(el, paths, metric, title) {
  const traces = [];
  for (const [c, q] of Object.entries(paths)) {
    const m = q[metric]; if (!m) continue;
    const x = m.p50.map((_, i) => i);
    traces.push({x: x.concat([...x].reverse()), y: m.p95.concat([...m.p5].reverse()), fill: "toself",
                 opacity: 0.2, line: {width: 0}, showlegend: false, hoverinfo: "skip", legendgroup: c, type: "scatter"});
    traces.push({x, y: m.p50, name: c, legendgroup: c, mode: "lines+markers", type: "scatter"});
  }
  Plotly.newPlot(el, traces, {title: {text: title}, xaxis: {title: {text: "quarter"}}}, {responsive: true});
}
