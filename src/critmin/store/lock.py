"""A cross-process write lock with bounded waiting that names its holder.

Writers of one store take ``<db>.lock`` (``flock``) for the few milliseconds of a write
transaction; the holder writes its pid and command line into the file, so a writer that
waits longer than its limit fails with one line naming the process that holds the store.
Readers never take it (the catalog is SQLite in WAL mode: readers see the last commit).

The lock is released on every path out of a write, a failed one included (a full disk while
naming the holder too); a holder that dies loses it with its file descriptors (``flock``),
so a lock of a dead process never needs reclaiming by hand.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import threading
import time
from pathlib import Path

DEFAULT_WAIT_S = 60.0
"""How long a writer waits for another process's write before giving up (seconds);
``$CRITMIN_STORE_WAIT`` overrides."""


class StoreBusy(RuntimeError):
    """The store stayed locked by another process for longer than the wait limit."""


def wait_limit() -> float:
    try:
        return float(os.environ.get("CRITMIN_STORE_WAIT", DEFAULT_WAIT_S))
    except ValueError:
        return DEFAULT_WAIT_S


def _holder(path: Path) -> str:
    try:
        text = path.read_text(errors="replace").strip()
    except OSError:
        return "an unknown process"
    return text.splitlines()[0][:200] if text else "an unknown process"


def _describe_self() -> str:
    cmd = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))
    return f"pid {os.getpid()} ({cmd[:150]})"


class FileLock:
    """Exclusive lock on ``path``: reentrant within a thread, serialised across threads of
    this process, ``flock`` across processes, waiting at most ``wait_s`` seconds."""

    def __init__(self, path: str | Path, what: str = "store"):
        self.path = Path(path)
        self.what = what
        self._threads = threading.RLock()
        self._local = threading.local()
        self._fd: int | None = None

    def _acquire_file(self, wait_s: float) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + wait_s
        pause = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StoreBusy(
                        f"{self.what} {self.path.with_suffix('')} is busy: "
                        f"{_holder(self.path)} has held its write lock for over "
                        f"{wait_s:.0f} s; try again when it finishes") from None
                time.sleep(pause)
                pause = min(0.05, pause * 2)
        try:  # naming the holder can fail (disk full): the lock must not stay taken
            os.ftruncate(fd, 0)
            os.pwrite(fd, (_describe_self() + "\n").encode(), 0)
        except OSError:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise
        self._fd = fd

    @contextlib.contextmanager
    def hold(self, wait_s: float | None = None):
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        limit = wait_limit() if wait_s is None else wait_s
        if not self._threads.acquire(timeout=limit):
            raise StoreBusy(f"{self.what} {self.path.with_suffix('')} is busy in this process "
                            f"for over {limit:.0f} s")
        try:
            self._acquire_file(limit)
            self._local.depth = 1
            try:
                yield
            finally:
                self._local.depth = 0
                fd, self._fd = self._fd, None
                if fd is not None:
                    try:
                        with contextlib.suppress(OSError):
                            os.ftruncate(fd, 0)
                        fcntl.flock(fd, fcntl.LOCK_UN)
                    finally:
                        os.close(fd)
        finally:
            self._threads.release()


_LOCKS: dict[Path, FileLock] = {}
_LOCKS_GUARD = threading.Lock()


def lock_for(path: str | Path, what: str = "store") -> FileLock:
    """The one FileLock of this process for ``path`` (threads share it)."""
    p = Path(path).resolve()
    with _LOCKS_GUARD:
        if p not in _LOCKS:
            _LOCKS[p] = FileLock(p, what)
        return _LOCKS[p]
