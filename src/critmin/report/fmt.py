"""Human formatting for reports and the command line: shares as %, money in USD m/bn,
tonnes, qualifiers as published (">50 %", net exporter "E"), no NaN or float noise."""

from __future__ import annotations

import math

import pycountry

DASH = "—"
EPS = 1e-9
"""Values closer to zero than this print as zero (solver and float noise such as 1.8e-16)."""


def missing(x) -> bool:
    """True for None, NaN, NA and empty strings."""
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def num(x: float, digits: int = 0) -> str:
    """Thousands separators; tiny values become 0."""
    if missing(x):
        return DASH
    x = float(x)
    if abs(x) < EPS:
        x = 0.0
    return f"{x:,.{digits}f}"


def pct(x, qualifier: str | None = None, digits: int = 0) -> str:
    """A 0-1 share as a percentage, with the published qualifier (">", "<", "E")."""
    q = "" if missing(qualifier) else str(qualifier).strip()
    if q == "E":
        return "E (net exporter)"
    if missing(x):
        return DASH
    v = 100 * float(x)
    if abs(v) < 10 ** -digits / 2:
        v = 0.0
    text = f"{v:.{digits}f} %"
    return f"{q}{text}" if q in (">", "<", ">=", "<=", "~") else text


def pct_range(p5, p50, p95, digits: int = 0) -> str:
    """'P50 % (P5–P95)': '82.4 % (73.9–89.7)'."""
    lo, hi = (pct(v, digits=digits).removesuffix(" %") for v in (p5, p95))
    return f"{pct(p50, digits=digits)} ({lo}–{hi})"


def times(x, digits: int = 2) -> str:
    """A price ratio: 1.85×."""
    return DASH if missing(x) else f"{float(x):.{digits}f}×"


def rank_text(rank, tied: dict | None = None) -> str:
    """A rank as shown: '12' alone, '12= (14 tied)' where ``tied`` (rank -> how many share
    it) counts more than one; a dash for no rank."""
    if missing(rank):
        return DASH
    n = (tied or {}).get(float(rank), 1)
    return f"{float(rank):.0f}" + (f"= ({n} tied)" if n > 1 else "")


def index_text(value, conf, estimate=None) -> str:
    """A 0-1 Sobol index as shown: '0.42 ± 0.08'; clipped to [0, 1], with the raw
    estimate named where it fell outside ('1.00 (estimate 1.22 ± 2.92: noisy)')."""
    if missing(value):
        return DASH
    v = min(1.0, max(0.0, float(value)))
    raw = float(value if missing(estimate) else estimate)
    if raw < -0.005 or raw > 1.005:
        return f"{v:.2f} (estimate {raw:.2f} ± {float(conf):.2f}: noisy)"
    return f"{v:.2f} ± {float(conf):.2f}"


def times_range(p5, p50, p95) -> str:
    """'3.91× (2.18–5.79)'."""
    lo, hi = (times(v).removesuffix("×") for v in (p5, p95))
    return f"{times(p50)} ({lo}–{hi})"


def date(d) -> str:
    """'1 Oct 2025'."""
    return DASH if missing(d) else f"{d.day} {d:%b %Y}"


def usd_m(x, digits: int = 1) -> str:
    """USD millions: 'USD 12.5 m'."""
    return DASH if missing(x) else f"USD {num(float(x) / 1e6, digits)} m"


def usd(x) -> str:
    """USD, scaled to m or bn."""
    if missing(x):
        return DASH
    x = float(x)
    if abs(x) >= 1e9:
        return f"USD {x / 1e9:,.2f} bn"
    if abs(x) >= 1e6:
        return f"USD {x / 1e6:,.1f} m"
    return f"USD {num(x)}"


def tonnes(x, unit: str = "t") -> str:
    """Tonnes with sensible precision: 0.42 t, 12.5 t, 1,234 t."""
    if missing(x):
        return DASH
    x = float(x)
    digits = 2 if abs(x) < 1 else 1 if abs(x) < 100 else 0
    return f"{num(x, digits)} {unit}"


def country(code) -> str:
    """Readable name of an ISO3 code ('CHN' -> 'China'); the code if unknown."""
    if missing(code):
        return DASH
    special = {"OTHER": "rest of world", "WORLD": "world", "ROW": "rest of world",
               "USA": "United States", "KOR": "South Korea", "RUS": "Russia",
               "COD": "DR Congo", "TWN": "Taiwan", "VNM": "Vietnam", "LAO": "Laos",
               "IRN": "Iran", "BOL": "Bolivia", "TZA": "Tanzania", "JPN": "Japan",
               "CHN": "China", "EU": "EU", "JPN_vehicle": "Japan (US$550 bn vehicle)"}
    if code in special:
        return special[code]
    c = pycountry.countries.get(alpha_3=str(code))
    return getattr(c, "common_name", None) or (c.name if c else str(code))


LABELS = {
    "mine": "mining", "refining": "refining", "metal": "metal", "product": "products",
    "reserves": "reserves", "grant": "grant", "loan": "loan", "equity": "equity",
    "offtake": "offtake contract", "price_floor": "price floor",
    "licence_required": "licence required", "destination_ban": "ban to listed destinations",
    "export_ban": "export ban", "quota": "quota",
    "import_reliance": "high import reliance", "hhi_wgi_global": "concentrated world supply",
    "hhi_wgi_sourcing": "concentrated sourcing", "trade_exposure": "trade exposure",
    "disruption_potential": "disruption potential",
    "economic_vulnerability": "economic vulnerability",
}


def label(key) -> str:
    """Field-word label of a code ('licence_required' -> 'licence required')."""
    if missing(key):
        return DASH
    return LABELS.get(str(key), str(key).replace("_", " "))
