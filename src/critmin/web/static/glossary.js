// Glossary: every measure the pages link to (/glossary#g-KEY), from the server's one source.
"use strict";
nav("Glossary");
loading($("terms"), "Loading the glossary…");
api("/api/dashboard/glossary").then((g) => {
  $("terms").replaceChildren(...g.terms.flatMap((t) => [h("dt", {id: t.anchor}, t.term), h("dd", {}, t.text)]));
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target) { target.classList.add("on"); target.scrollIntoView(); }
}).catch((e) => fail($("terms"), e));
