"""Issue 12 §3: export and reopen. Runs listed, shown and exported (CLI and API), tables
filtered and written as CSV/Excel/Parquet with formula-safe cells, `simulate --json`
inputs as an object."""

from __future__ import annotations

import io
import json
import os
import subprocess

import pandas as pd
import pytest

from critmin.data.io import shipped_dir
from tests.test_cli import CLI, run


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> dict:
    """A store holding one small simulation (with its no-rules twin) and an optimisation."""
    tmp = tmp_path_factory.mktemp("runs")
    db = str(tmp / "r.db")
    sim = run("simulate", "--scenario", "CN_2025_10_full_controls", "--samples", "64",
              "--db", db, "--json")
    assert sim.returncode == 0, sim.stderr
    opt = run("optimize", "--samples", "32", "--db", db, "--json")
    assert opt.returncode == 0, opt.stderr
    return {"dir": tmp, "db": db, "sim": json.loads(sim.stdout),
            "opt": json.loads(opt.stdout)}


def test_simulate_json_inputs_is_an_object(stored):
    inputs = stored["sim"]["inputs"]
    assert isinstance(inputs, dict) and inputs["samples"] == 64


def test_runs_list_show_export_round_trip(stored):
    db, rid = stored["db"], stored["sim"]["run_id"]
    listed = json.loads(run("runs", "list", "--db", db, "--json").stdout)
    kinds = {r["run_id"]: r["kind"] for r in listed}
    assert kinds[rid] == "simulation" and kinds[stored["opt"]["optimisation_id"]] == \
        "optimisation"
    shown = json.loads(run("runs", "show", rid[:8], "--db", db, "--json").stdout)
    assert shown["run_id"] == rid and isinstance(shown["inputs"], dict)
    assert {r["commodity"] for r in shown["result"]["results"]} >= {"gallium"}
    for fmt, read in (("csv", pd.read_csv), ("parquet", pd.read_parquet),
                      ("xlsx", pd.read_excel)):
        out = stored["dir"] / f"s.{fmt}"
        done = run("runs", "export", rid, "--format", fmt, "-o", str(out), "--db", db)
        assert done.returncode == 0, done.stderr
        df = read(out)
        assert len(df) == 64 and "shortfall_USA|gallium [%]" in df.columns
    opt = stored["dir"] / "p.csv"
    assert run("runs", "export", stored["opt"]["optimisation_id"], "-o", str(opt), "--db",
               db).returncode == 0
    assert set(pd.read_csv(opt)["item"]) <= {"project", "stockpile"}


def test_runs_show_prints_every_importer_of_a_v2_run(stored):
    out = subprocess.run([*CLI, "runs", "show", stored["sim"]["run_id"], "--db", stored["db"]],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "COLUMNS": "200"})  # a wide terminal: no wrap
    assert out.returncode == 0, out.stderr
    header = " ".join(out.stdout.split())
    for region in ("U.S.", "Japan", "EU", "Korea"):
        assert f"{region} shortfall" in header, region


def test_runs_show_unknown_is_one_line(stored):
    out = run("runs", "show", "nope", "--db", stored["db"])
    assert out.returncode == 2 and out.stderr.strip().startswith("unknown run 'nope'")


def test_data_list_filters_and_counts_truncation():
    out = run("data", "list", "production", "--commodity", "gallium", "--country", "CHN",
              "--csv")
    df = pd.read_csv(io.StringIO(out.stdout))
    assert len(df) >= 1 and set(df["commodity"]) == {"gallium"} and set(df["country"]) == \
        {"CHN"}
    view = run("data", "list", "production", "--limit", "3")
    assert "showing 3 of " in view.stdout


def test_exports_neutralise_formula_cells(tmp_path):
    src = pd.read_csv(shipped_dir() / "production.csv", dtype=str, keep_default_na=False)
    row = src.head(1).copy()
    row["note"] = '=HYPERLINK("http://x","y")'
    data = tmp_path / "data"
    data.mkdir()
    row.to_csv(data / "production.csv", index=False)
    out = run("data", "list", "production", "--csv", "--data", str(data), "--commodity",
              row["commodity"].iloc[0])
    assert out.returncode == 0, out.stderr
    assert "'=HYPERLINK" in out.stdout and ",=HYPERLINK" not in out.stdout
    xlsx = tmp_path / "p.xlsx"
    assert run("data", "list", "production", "--xlsx", "-o", str(xlsx), "--data", str(data),
               "--commodity", row["commodity"].iloc[0]).returncode == 0
    assert pd.read_excel(xlsx)["note"].str.startswith("'=").any()


def test_api_tables_filter_and_csv_and_run_results(stored):
    from fastapi.testclient import TestClient

    from critmin.api.app import create_app

    client = TestClient(create_app(stored["db"]))
    r = client.get("/api/tables/production", params={"commodity": "gallium",
                                                      "country": "CHN", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    df = pd.read_csv(io.StringIO(r.text))
    assert set(df["country"]) == {"CHN"} and int(r.headers["x-total-count"]) == len(df)
    assert client.get("/api/tables/sources", params={"country": "CHN"}).status_code == 422
    rid = stored["sim"]["run_id"]
    res = client.get(f"/api/runs/{rid}/results").json()
    assert res["run_id"] == rid and isinstance(res["inputs"], dict)
    r = client.get(f"/api/runs/{rid}/export", params={"format": "csv", "table": "summary"})
    assert r.status_code == 200 and "metric" in r.text.splitlines()[0]
    opt = client.get(f"/api/runs/{stored['opt']['optimisation_id']}/results").json()
    assert "selected_projects" in opt
    assert client.get("/api/runs/nope/results").status_code == 404
