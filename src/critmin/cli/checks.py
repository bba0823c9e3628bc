"""Checks the command line makes before doing work, so every bad input ends in one line:
output paths, scenario codes, commodities the model cannot simulate, scheduler addresses,
run sizes; and worker pools that leave Ctrl-C to the parent."""

from __future__ import annotations

import concurrent.futures as cf
import os
import re
import shutil
import signal
import socket
import time
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlparse

import typer

MEASURED_MONTHS = 24
"""Months each sample ran in the measurements behind :data:`SECONDS_PER_SAMPLE_MONTH`:
the presets' default horizon, 8 quarters, without spin-up."""
SECONDS_PER_SAMPLE_MONTH = 298e-6 / MEASURED_MONTHS
"""Model v2's engine time per sample, month run and worker: 298 us of sweep-worker CPU per
sample of 24 months, measured on 10^6 samples of CN_2025_10_full_controls without spin-up
with 2 worker processes (benchmarks/bench_model_v2.py --samples 1000000 --spin-up both,
8 Dec 2026, model v2@b5a5030dabd4, 2-core shared machine under the heavy-job lock, load 3.8), so
about 12.4 us per sample-month. The engine's work grows with the months it steps through,
spin-up months included, so the guard counts every month run; a spin-up month costs less
(it skips the reductions): the same run spun up (26 + 24 months) took 510 us per sample,
10.2 us per sample-month, so the guard prices it 1.2x over. Wall time on that loaded
machine: 232 s without spin-up, 350 s with it (1.6x and 1.4x the workers' CPU over 2
workers). An estimate for the size guard, not a promise."""
SECONDS_PER_SAMPLE_MONTH_V1 = 1.5 / 8192 / MEASURED_MONTHS
"""Model v1's (``--model v1``): 1.5 s per 8,192-sample chunk of 24 months and worker
(benchmarks/bench_simulate.py, Nov 2026; :mod:`critmin.workers`), about 7.6 us per
sample-month."""
BYTES_PER_VALUE = 4
"""Per-sample results are stored as float32."""
METRICS_PER_COMMODITY = 11
"""Stored per-sample columns per commodity of model v1 (peak ratio and price, four
shortfalls, two covers, two values at risk, the response flag); v2's are
:func:`metrics_per_commodity`."""
MAX_SECONDS = 3600.0
MAX_DISK_SHARE = 0.5
"""Without ``--yes``, refuse runs estimated past an hour or half the free disk."""


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr, then exit."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    typer.echo(f"warning: {message}", err=True)


def check_output(path: Path | None, what: str) -> None:
    """Fail fast (before any work) when ``path`` cannot be written."""
    if path is None:
        return
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        fail(f"{what}: {path} is a directory; give a file name")
    if not parent.is_dir():
        fail(f"{what}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        fail(f"{what}: directory {parent} is not writable")


def output_format(path: Path | None, chosen: str | None, allowed: tuple[str, ...],
                  what: str) -> str | None:
    """The format to write: ``chosen`` (a flag), else ``path``'s suffix. Fails when the
    suffix names another format than the flag, or no format ``what`` can write (HTML in
    ``brief.docx`` would open as a broken document)."""
    if path is None:
        return chosen
    suffix = path.suffix.lower().lstrip(".")
    if chosen is None:
        if suffix not in allowed:
            fail(f"{what}: -o {path}: cannot write .{suffix or '(no suffix)'}; "
                 f"use {' or '.join('.' + a for a in allowed)}")
        return suffix
    if suffix != chosen:
        fail(f"{what}: -o {path}: the suffix does not match --{chosen}; "
             f"name it {path.with_suffix('.' + chosen).name}")
    return chosen


def unsimulated(net, sc) -> list[str]:
    """Commodities a scenario names (listed or controlled) that have no market data
    (world output and price), so the simulation leaves them out."""
    from critmin.market.baseline import build_baseline

    have = set(build_baseline(net).commodities)
    named = list(sc.commodities)
    for group in (sc.controls, sc.outages, sc.demand_shocks, sc.capacity):
        for item in group:
            named += list(getattr(item, "commodities", None) or [])
            one = getattr(item, "commodity", None)
            if one:
                named.append(one)
    known = set(net.commodities["commodity"])
    return sorted({c for c in named if c in known and c not in have})


def check_scenario(net, sc, what: str) -> None:
    """Unknown country or commodity codes: exit 2 with one line each. Commodities without
    market data: one warning naming them."""
    from critmin.scenarios.bounds import scenario_problems

    problems = scenario_problems(sc, set(net.commodities["commodity"]))
    if problems:
        for path, reason in problems:
            typer.echo(f"{what}: scenario {sc.id}: {path}: {reason}", err=True)
        raise typer.Exit(2)
    missing = unsimulated(net, sc)
    if missing:
        warn(f"scenario {sc.id}: no market data (world output and price) for "
             f"{', '.join(missing)}; not simulated")


def check_scheduler(address: str, timeout_s: float = 3.0) -> None:
    """Fail in seconds, with one line, when a Dask scheduler cannot be reached."""
    url = urlparse(address if "://" in address else f"tcp://{address}")
    if not url.hostname or not url.port:
        fail(f"simulate: --scheduler {address!r} is not host:port (e.g. tcp://host:8786)")
    try:
        with socket.create_connection((url.hostname, url.port), timeout=timeout_s):
            pass
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        fail(f"simulate: cannot reach the Dask scheduler at {address}: {reason}")


def metrics_per_commodity(model: str) -> int:
    """Stored per-sample columns per commodity of a run of ``model``: v1's
    :data:`METRICS_PER_COMMODITY`, v2's metric names (27: shortfall and physical shortfall
    in six regions, covers and values at risk, prices and physical shortfall by stage)."""
    if model == "v1":
        return METRICS_PER_COMMODITY
    from critmin.market.v2.chunks import metric_names

    return len(metric_names())


def seconds_per_sample_month(model: str) -> float:
    """The measured engine time per sample, month and worker of ``model``
    (:data:`SECONDS_PER_SAMPLE_MONTH` for v2, :data:`SECONDS_PER_SAMPLE_MONTH_V1`)."""
    return SECONDS_PER_SAMPLE_MONTH_V1 if model == "v1" else SECONDS_PER_SAMPLE_MONTH


def run_estimate(n_commodities: int, samples: int, workers: int, months: int,
                 metrics: int = METRICS_PER_COMMODITY,
                 model: str = "v2") -> tuple[float, float]:
    """(seconds, bytes) a sweep of ``samples`` through ``model`` is expected to take and
    write. ``months``: the months each sample runs, spin-up and reported together
    (:func:`months_run`); the time grows in proportion, the stored per-sample metrics
    (summaries over the reported months; ``metrics`` per commodity,
    :func:`metrics_per_commodity`) do not."""
    seconds = samples * months * seconds_per_sample_month(model) / max(1, workers)
    size = samples * (n_commodities * metrics + 2) * BYTES_PER_VALUE
    return seconds, float(size)


def _human_time(s: float) -> str:
    for unit, div in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if s >= div:
            return f"{s / div:,.1f} {unit}"
    return f"{s:,.0f} s"


def _human_bytes(b: float) -> str:
    for unit, div in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if b >= div:
            return f"{b / div:,.1f} {unit}"
    return f"{b / 1e3:,.0f} kB"


def months_run(horizon_quarters: int, spin_up_months: int) -> int:
    """Months a run steps through: its horizon (3 months a quarter) and its spin-up."""
    return 3 * horizon_quarters + spin_up_months


def guard_size(net, samples: int, workers: int, store_path: Path, runs: int,
               yes: bool, horizon_quarters: int, spin_up_months: int = 0,
               model: str = "v2") -> None:
    """Refuse (exit 2) a run estimated past an hour or half the free disk, unless
    ``yes``; the message gives both estimates and the months they count."""
    from critmin.market.baseline import build_baseline

    months = months_run(horizon_quarters, spin_up_months)
    seconds, size = run_estimate(len(build_baseline(net).commodities), samples, workers,
                                 months, metrics_per_commodity(model), model)
    seconds, size = seconds * runs, size * runs
    folder = store_path.parent if store_path.parent.exists() else Path(".")
    free = shutil.disk_usage(folder).free
    if yes or (seconds <= MAX_SECONDS and size <= MAX_DISK_SHARE * free):
        return
    spun = f", {spin_up_months} of them spin-up" if spin_up_months else ""
    fail(f"simulate: {samples:,} samples of {months} months{spun} would take about "
         f"{_human_time(seconds)} on {workers} worker(s) and write about "
         f"{_human_bytes(size)} to {folder} (free {_human_bytes(free)}); use fewer "
         "--samples, or --yes to start anyway")


def _quiet_worker(init, args) -> None:
    """Worker start: the parent handles Ctrl-C (no traceback per worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if init is not None:
        init(*args)


def local_executor(workers: int | None) -> cf.Executor | None:
    """Serial for one worker, else a process pool whose workers ignore SIGINT and die
    with this process."""
    if workers == 1:
        return None
    try:
        from critmin.workers import pool_initializer

        init, args = pool_initializer()
    except ImportError:
        init, args = None, ()
    return cf.ProcessPoolExecutor(max_workers=workers or os.cpu_count(),
                                  initializer=_quiet_worker, initargs=(init, args))


class Steps:
    """A progress line per step on stderr: '[2/5 3.1 s] simulating ...'."""

    def __init__(self, total: int, quiet: bool = False):
        self.total, self.n, self.t0, self.quiet = total, 0, time.monotonic(), quiet

    def __call__(self, message: str) -> None:
        self.n += 1
        if not self.quiet:
            typer.echo(f"[{min(self.n, self.total)}/{self.total} "
                       f"{time.monotonic() - self.t0:4.1f} s] {message}", err=True)


def quiet_flag_types() -> None:
    """--help without type noise: nothing after flags (no ``<bool>`` after ``--json``),
    ``<int>`` rather than ``<int range>`` (the range follows in brackets)."""
    from typer.core import TyperOption

    if getattr(TyperOption, "_critmin_quiet", False):
        return
    shown = TyperOption.display_type_rich

    def display_type_rich(self, ctx):
        if self.is_flag:
            return None
        text = shown(self, ctx)
        return text.replace(" range", "") if isinstance(text, str) else text

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]
    setattr(TyperOption, "_critmin_quiet", True)  # noqa: B010


USD_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}


def usd_amount(value) -> float:
    """A USD amount as people write it: 500m, 1.2bn, 300k, 2e9, 1,000,000 (USD)."""
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().lower().replace(",", "").replace("_", "")
    m = re.fullmatch(r"(?:usd\s*)?\$?([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*([a-z]*)", text)
    if not m or m.group(2) not in USD_SCALE:
        raise typer.BadParameter(f"{value!r} is not an amount in USD; write e.g. 500m, "
                                 "1.2bn or 500000000")
    return float(m.group(1)) * USD_SCALE[m.group(2)]
