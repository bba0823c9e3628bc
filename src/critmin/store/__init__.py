"""Results store: DuckDB manifest with Parquet parts; runs are immutable records."""

from critmin.store.results import ResultsStore, default_db_path

__all__ = ["ResultsStore", "default_db_path"]
