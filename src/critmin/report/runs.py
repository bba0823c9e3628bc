"""Stored runs as tables and records, for the CLI's and the API's exports and results."""

from __future__ import annotations

import json

import pandas as pd

from critmin.simulate.summary import summarise
from critmin.store import ResultsStore


def as_obj(value):
    """A JSON column as an object (stores keep JSON text)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def run_record(run: dict) -> dict:
    """Public record of a run: metadata with scenario and inputs as objects."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else as_obj(v))
            for k, v in run.items()}


def optimisation_result(store: ResultsStore, run_id: str) -> dict:
    """The stored portfolio record of an optimisation."""
    return json.loads(store.read_table(run_id, "result")["json"].iloc[0])


def export_frame(store: ResultsStore, run: dict, table: str) -> pd.DataFrame:
    """The table to export: per-sample results, summary or paths of a simulation; chosen
    projects and stockpiles of an optimisation."""
    run_id = run["run_id"]
    if run.get("kind") == "optimisation":
        rec = optimisation_result(store, run_id)
        proj = pd.DataFrame(rec["selected_projects"]).assign(item="project")
        stocks = pd.DataFrame(rec["stockpiles"]).assign(item="stockpile")
        return pd.concat([proj, stocks], ignore_index=True)
    if table == "summary":
        return summarise(store, run_id)
    if table == "paths":
        return store.paths(run_id)
    return store.samples(run_id)
