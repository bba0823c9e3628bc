"""A progress bar for Python callers of long runs (``simulate(..., progress=None)``): shown
on stderr when it is a terminal or in a Jupyter notebook with ipywidgets, off otherwise
(logs, pipes, CI, servers), so a script's output stays clean. ``progress=False`` turns it
off, ``True`` forces it, and a callable ``(done, total) -> None`` receives the counts
instead."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

Callback = Callable[[int, int], None]


def interactive(console: Console | None = None) -> bool:
    """Whether a person is watching: stderr is a terminal, or this is a notebook that can
    draw a live bar (Rich needs ``ipywidgets`` there; without it, no bar and no warning)."""
    c = console or Console(stderr=True)
    return bool(c.is_terminal or (c.is_jupyter and importlib.util.find_spec("ipywidgets")))


@contextlib.contextmanager
def progress_bar(progress: bool | Callback | None, what: str,
                 console: Console | None = None) -> Iterator[Callback | None]:
    """The callback a run reports ``(chunks done, chunks)`` to: ``progress`` itself when
    callable; a Rich bar for ``True``, or for ``None`` where :func:`interactive`; else
    None (no output)."""
    if callable(progress):
        yield progress
        return
    console = console or Console(stderr=True)
    if progress is False or (progress is None and not interactive(console)):
        yield None
        return
    with Progress(f"[progress.description]{what}", BarColumn(), MofNCompleteColumn(),
                  "chunks", TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task(what, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
