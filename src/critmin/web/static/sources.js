// Sources: every shipped number points to one of these rows; URLs are links.
"use strict";
nav("Sources");
loading($("src"), "Loading sources…");
api("/api/sources").then((rows) => table($("src"), rows, ["source_id", "publisher", "title", "table", "year", "url"],
  {source_id: "Source id", url: "URL"})).catch((e) => fail($("src"), e));
