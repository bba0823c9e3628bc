"""Results store: SQLite catalog (WAL) with Parquet parts, shared by many processes."""

from critmin.store.export import neutralise_cell, safe_frame
from critmin.store.lock import StoreBusy
from critmin.store.results import CorruptPart, ResultsStore, StoreError, default_db_path
from critmin.store.version import data_version

__all__ = ["CorruptPart", "ResultsStore", "StoreBusy", "StoreError", "data_version",
           "default_db_path", "neutralise_cell", "safe_frame"]
