// Sources: every shipped number points to one of these rows; URLs are links.
"use strict";
nav("Sources");
const COLS = ["source_id", "publisher", "title", "table", "year", "url"];
loading($("src"), "Loading sources…");
api("/api/sources").then((rows) => {
  const show = () => {
    const q = $("q").value.trim().toLowerCase();
    const hit = q ? rows.filter((r) => COLS.some((c) => String(r[c] ?? "").toLowerCase().includes(q))) : rows;
    $("count").textContent = `${hit.length} of ${rows.length} sources`;
    table($("src"), hit, COLS, {source_id: "Source id", url: "URL"});
  };
  $("q").addEventListener("input", show);
  show();
}).catch((e) => fail($("src"), e));
