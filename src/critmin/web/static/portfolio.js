// Portfolio: run the optimiser as a job and show frontier, risk, projects and stockpiles.
"use strict";
nav("Portfolio");

api("/api/scenarios").then((list) => select($("sid"), list.map((s) => [s.id, s.name]), "CN_2025_10_full_controls"))
  .catch((e) => fail($("status"), e));

$("run").addEventListener("click", () => runJob("optimize", {scenario_id: $("sid").value,
  budget_usa: 1e6 * +$("bu").value, budget_jpn: 1e6 * +$("bj").value,
  budget_vehicle: 1e6 * +$("bv").value, samples: +$("n").value}, show));

function show(rec) {
  $("results").hidden = false;
  const f = rec.frontier || [];
  plot("front", [
    {x: f.map((r) => r.total_budget_usd / 1e9), y: f.map((r) => r.expected_loss_usd / 1e9), name: "expected loss", mode: "lines+markers", type: "scatter"},
    {x: f.map((r) => r.total_budget_usd / 1e9), y: f.map((r) => r.cvar_usd / 1e9), name: "CVaR 95 %", mode: "lines+markers", type: "scatter"}],
  {title: {text: "Budget–risk frontier"}, xaxis: {title: {text: "total budget, USD bn"}}, yaxis: {title: {text: "USD bn"}}});
  plot("risk", [
    {type: "bar", x: ["before", "after"], y: [rec.risk_before.expected_loss_usd / 1e9, rec.risk_after.expected_loss_usd / 1e9], name: "expected loss"},
    {type: "bar", x: ["before", "after"], y: [rec.risk_before.cvar_usd / 1e9, rec.risk_after.cvar_usd / 1e9], name: "CVaR 95 %"}],
  {title: {text: "Risk before and after the portfolio"}, barmode: "group", yaxis: {title: {text: "USD bn"}}});
  commodityNames().then((cn) => projects(rec, cn));
}

// Projects and stockpiles with commodities and holders by name.
function projects(rec, cn) {
  const named = (rows) => rows.map((r) => ({...r, commodity: cn[r.commodity] || r.commodity,
    ...(r.funder ? {funder: place(r.funder)} : {}), ...(r.holder ? {holder: place(r.holder)} : {})}));
  table($("proj"), named(rec.selected_projects || []), ["name", "commodity", "funder", "instrument", "cost_usd", "output_t"],
    {cost_usd: "Cost", output_t: "Output (t/yr)"});
  table($("stock"), named(rec.stockpiles || []), ["holder", "commodity", "stock_t", "cost_usd"], {stock_t: "Stock (t)", cost_usd: "Cost"});
}
