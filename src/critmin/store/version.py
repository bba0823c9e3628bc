"""The data version a run is computed on: a hash of every loaded table's content.

Part of a run's key (:func:`critmin.simulate.runner.run_key`), so chunks computed on other
data are never reused, and of a job's request, so a job is not resumed on changed data.
"""

from __future__ import annotations

import hashlib

import pandas as pd


def data_version(net) -> str:
    """16 hex digits of SHA-256 over every table's name and row hashes (about 0.05 s)."""
    h = hashlib.sha256()
    for name, df in net.tables.items():
        h.update(name.encode())
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]
