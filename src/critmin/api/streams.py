"""Run exports streamed to the client: no file is written, so none can be left behind.

Per-sample tables are sent one stored part at a time (memory: one part), with units and
shares in % as the CLI's export (:func:`critmin.report.runs.as_shown`); summaries, paths
and portfolios, which are small, in slices. CSV and Parquet stream; an Excel workbook is
built in memory (at most ``XLSX_MAX_CELLS`` cells, checked before any work), and for a small
table before the response starts, so a failure is a status, never a body cut short. Each
part is read in a worker thread, never on the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anyio
import pandas as pd

from critmin.report.runs import as_shown, export_frame
from critmin.store import ResultsStore
from critmin.store.export import CSV_EOL, check_excel_size, safe_frame, xlsx_bytes

SLICE_ROWS = 50_000


def per_sample(run: dict, table: str) -> bool:
    """Whether the export streams stored per-sample parts (else one small frame)."""
    return run.get("kind") != "optimisation" and table == "samples"


def small_table(store: ResultsStore, run: dict, table: str) -> pd.DataFrame:
    """A summary, paths or portfolio table, read whole before the response starts (an
    error then is a clean status, never a stream cut mid-body). KeyError: not stored."""
    try:
        return export_frame(store, run, table)
    except (FileNotFoundError, ValueError) as exc:
        raise KeyError(table) from exc


def frames(store: ResultsStore, run: dict, table: str,
           small: pd.DataFrame | None = None) -> Iterator[pd.DataFrame]:
    """The export table of ``run`` in pieces, in sample order."""
    if per_sample(run, table):
        for part in store.part_files(run["run_id"]):
            yield as_shown(pd.read_parquet(part).sort_values("sample"), "samples")
        return
    df = small if small is not None else export_frame(store, run, table)
    for start in range(0, max(len(df), 1), SLICE_ROWS):
        yield df.iloc[start:start + SLICE_ROWS]


def check_size(store: ResultsStore, run: dict, fmt: str) -> None:
    """Refuse (ExportTooLarge) an Excel export of stored per-sample parts that would not fit,
    by their recorded shape, before any work (small tables: :func:`xlsx_bytes` checks)."""
    if fmt == "xlsx":
        check_excel_size(*store.shape(run["run_id"]))


class _Sink:
    """A write-only file for pyarrow that hands over what was written so far."""

    def __init__(self):
        self.buf = bytearray()
        self.pos = 0
        self.closed = False

    def write(self, data) -> int:
        self.buf += data
        self.pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self.pos

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        out = bytes(self.buf)
        self.buf.clear()
        return out


def _encoder(fmt: str):
    """A function piece -> bytes (None: end of table -> the rest)."""
    if fmt == "csv":
        first = [True]

        def csv(df):
            if df is None:
                return b""
            out = safe_frame(df).to_csv(index=False, header=first[0], lineterminator=CSV_EOL)
            first[0] = False
            return out.encode()
        return csv
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        sink, writer = _Sink(), [None]

        def parquet(df):
            if df is None:
                if writer[0] is not None:
                    writer[0].close()
                return sink.take()
            t = pa.Table.from_pandas(df, preserve_index=False)
            if writer[0] is None:
                writer[0] = pq.ParquetWriter(sink, t.schema)
            writer[0].write_table(t.cast(writer[0].schema))
            return sink.take()
        return parquet
    parts: list[pd.DataFrame] = []

    def xlsx(df):
        if df is not None:
            parts.append(df)
            return b""
        return xlsx_bytes(pd.concat(parts, ignore_index=True))
    return xlsx


async def stream(store: ResultsStore, run: dict, table: str, fmt: str,
                 done=None, small: pd.DataFrame | None = None) -> AsyncIterator[bytes]:
    """Bytes of the export, piece by piece; ``done()`` is called when the stream ends, is
    abandoned or fails (it frees the client's export slot)."""
    try:
        pieces = frames(store, run, table, small)
        encode = _encoder(fmt)
        end = object()
        while True:
            df = await anyio.to_thread.run_sync(next, pieces, end)
            data = await anyio.to_thread.run_sync(encode, None if df is end else df)
            if data:
                yield data
            if df is end:
                return
    finally:
        if done is not None:
            done()
