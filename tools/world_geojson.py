"""Convert Natural Earth 1:110m countries (world-atlas 2.0.2 TopoJSON, ISC licence; data
public domain) to a small GeoJSON keyed by ISO3, for the dashboard's production maps.

    python tools/world_geojson.py   # writes src/critmin/web/static/world-110m.geojson
"""

from __future__ import annotations

import json
from pathlib import Path

import pycountry

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "tools" / "vendor" / "world-atlas-countries-110m.json"
OUT = ROOT / "src" / "critmin" / "web" / "static" / "world-110m.geojson"


def decode_arcs(topo: dict) -> list[list[list[float]]]:
    """Absolute lon/lat arcs from quantized, delta-encoded TopoJSON arcs."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            pts.append([round(x * sx + tx, 2), round(y * sy + ty, 2)])
        out.append(pts)
    return out


def ring(indices: list[int], arcs) -> list[list[float]]:
    pts: list[list[float]] = []
    for i in indices:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(a if not pts else a[1:])
    lons = [p[0] for p in pts]
    if max(lons) - min(lons) > 180:  # crosses the antimeridian (Russia, Fiji): unwrap
        pts = [[p[0] + 360 if p[0] < 0 else p[0], p[1]] for p in pts]
    return pts


def main() -> None:
    topo = json.loads(SRC.read_text())
    arcs = decode_arcs(topo)
    features = []
    for g in topo["objects"]["countries"]["geometries"]:
        country = pycountry.countries.get(numeric=g.get("id", ""))
        if country is None or g["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polys = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"]
        coords = [[ring(r, arcs) for r in poly] for poly in polys]
        features.append({"type": "Feature", "id": country.alpha_3,
                         "properties": {"name": country.name},
                         "geometry": {"type": "MultiPolygon", "coordinates": coords}})
    OUT.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                              separators=(",", ":")))
    print(f"{len(features)} countries -> {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
