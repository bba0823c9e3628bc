"""The latest-edition rule shared by the USGS readers: a newer edition's rows replace an
older edition's rows of the same (commodity, stage, year) as a group, so a year never mixes
editions; a replaced value that changed stays as history in the newer row's note."""

from __future__ import annotations


def latest_edition(old: list[dict], new: list[dict], key: list[str]) -> list[dict]:
    """Rows of the newer edition replace the older edition's rows of the same
    (commodity, stage, year); a replaced value that differs stays as history in the note
    ("superseded: MCS 2024 ...")."""
    groups = {(r["commodity"], r["stage"], r["year"]) for r in new}
    kept = [r for r in old if (r["commodity"], r["stage"], r["year"]) not in groups]
    was = {tuple(r[k] for k in key): r for r in old
           if (r["commodity"], r["stage"], r["year"]) in groups}
    out = []
    for r in new:
        prev = was.get(tuple(r[k] for k in key))
        if prev is not None and abs(prev["value"] - r["value"]) > 1e-9:
            r = dict(r, note=f"{r['note']}; superseded: {prev['source_id']} gave "
                             f"{prev['value']:,.6g} {prev['unit']}")
        out.append(r)
    return kept + out
