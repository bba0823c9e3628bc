"""JSON encoding of answers: NaN/inf become null, frames become records."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd


def records(df: pd.DataFrame) -> list[dict]:
    """Rows of ``df`` as JSON-ready dicts (dates ISO 8601, NaN null)."""
    return json.loads(df.to_json(orient="records", date_format="iso"))


def clean(obj: Any) -> Any:
    """JSON-safe: NaN/inf become null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clean(v) for v in obj]
    return obj


def to_bytes(obj: Any) -> bytes:
    """Compact JSON bytes of ``obj`` (NaN/inf as null)."""
    return json.dumps(clean(obj), separators=(",", ":"), allow_nan=False).encode()
