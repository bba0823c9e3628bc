""""Did you mean" hints for commodity ids and country codes (CLI, API, scenarios)."""

from __future__ import annotations

import difflib

import pycountry


def country_hint(code: str) -> str:
    """`` (did you mean JPN?)`` for a country name or a near code; empty when none fits."""
    text = str(code).strip()
    try:
        return f" (did you mean {pycountry.countries.lookup(text).alpha_3}?)"
    except LookupError:
        pass
    if len(text) < 4:  # fuzzy matches of short strings are noise ("XX" -> Malta)
        return ""
    try:
        found = [c.alpha_3 for c in pycountry.countries.search_fuzzy(text)[:3]]
    except LookupError:
        return ""
    return f" (did you mean {' or '.join(found)}?)" if found else ""


def commodity_hint(value: str, ids, names: dict[str, str] | None = None) -> str:
    """`` (did you mean gallium?)`` for a commodity id spelt in another case, a name
    (``names``: id -> name, e.g. "Rare earths (total)") containing ``value``, or a near id;
    empty when none fits."""
    ids, names = sorted(ids), names or {}
    key = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    words = str(value).strip().lower()
    singular = words[:-1] if words.endswith("s") else words
    found = [key] if key in ids else \
        [i for i, n in names.items() if words and str(n).lower() == words] or \
        [i for i, n in names.items() if singular and singular in str(n).lower()] or \
        difflib.get_close_matches(key, ids, n=1, cutoff=0.6)
    return f" (did you mean {' or '.join(sorted(found)[:3])}?)" if found else ""
