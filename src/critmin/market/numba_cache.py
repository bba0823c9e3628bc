"""Where Numba keeps the compiled v2 kernels: a directory keyed to the model version.

Numba's on-disk cache (``cache=True``, :mod:`critmin.market.v2.jit`) checks only the
timestamp and size of the file that defines a compiled function. ``run_chunk`` in
``market/v2/chunks.py`` inlines code from ``lanes.py`` and ``kernel.py``; after a change to
those files alone Numba served the old machine code (a sweep differed by a float32 ulp
until the ``__pycache__/*.nbi/*.nbc`` files were deleted). Keying the whole cache
directory to :func:`critmin.market.registry.model_version` (SHA-256 over every
``market/v2/*.py`` and the shared ``latent.py``, ``contract.py``, ``baseline.py``: every
module the compiled kernels take code or constants from) means a cache can only be read
by the sources it was compiled from; a changed model compiles into a new directory.

The directory, set as Numba's public ``NUMBA_CACHE_DIR`` when :mod:`critmin` is first
imported (before Numba is, so Numba reads it; :func:`configure`):

- ``$NUMBA_CACHE_DIR/critmin-<version>`` when the user set ``NUMBA_CACHE_DIR``;
- else ``$XDG_CACHE_HOME/critmin/numba/critmin-<version>`` (``~/.cache`` when unset): a
  user directory, so a wheel installed in a read-only site-packages caches too, and an
  editable install no longer writes next to its sources;
- else, where that cannot be created, the same under the system's temporary directory.

Processes inherit the variable, and a value that already ends in ``critmin-<version>`` is
taken as its base plus a version (the version is replaced, never appended twice), so the
process that warms the cache (``.ci/run``), the test workers, the servers they start and
the sweep's worker processes all read and write the same directory. Numba's own checks
(its version, the CPU, the defining file's timestamp) still apply inside it.

Setting ``NUMBA_CACHE_DIR`` moves the cache of every ``cache=True`` function of the process
(other libraries' included) under that directory, each under its own source path.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from critmin.market.registry import model_version

MODEL = "v2"
"""The model whose kernels Numba compiles (v1 has none)."""
PREFIX = "critmin-"
"""The versioned directory is ``critmin-<model>@<12 hex digits>``."""
_VERSIONED = re.compile(rf"^{re.escape(PREFIX)}[a-z0-9]+@[0-9a-f]{{12}}$")


def default_base(environ: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_CACHE_HOME/critmin/numba`` (``~/.cache`` when unset; Windows: ``%LOCALAPPDATA%``)."""
    if environ.get("XDG_CACHE_HOME"):
        root = Path(environ["XDG_CACHE_HOME"])
    elif sys.platform == "win32" and environ.get("LOCALAPPDATA"):
        root = Path(environ["LOCALAPPDATA"])
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches"
    else:
        root = Path.home() / ".cache"
    return root / "critmin" / "numba"


def cache_dir(environ: Mapping[str, str] = os.environ, version: str | None = None) -> Path:
    """The directory Numba caches the kernels of model ``version`` (today's v2 version by
    default) in, given the environment: ``$NUMBA_CACHE_DIR`` (its base, when it already
    names a version) or :func:`default_base`, plus ``critmin-<version>``."""
    version = version or model_version(MODEL)
    user = environ.get("NUMBA_CACHE_DIR", "")
    if user:
        base = Path(user)
        if _VERSIONED.match(base.name):
            base = base.parent
    else:
        base = default_base(environ)
    return base / f"{PREFIX}{version}"


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def configure(environ: MutableMapping[str, str] = os.environ) -> Path:
    """Point Numba's cache at :func:`cache_dir` (``NUMBA_CACHE_DIR`` in ``environ``, which
    child processes inherit) and return it. Called by ``import critmin``, before any
    module of critmin imports Numba; where Numba was imported earlier (by the user), its
    documented config attribute ``numba.config.CACHE_DIR`` is set as well, so the kernels,
    decorated after this, still cache in the versioned directory."""
    path = cache_dir(environ)
    if not environ.get("NUMBA_CACHE_DIR") and not _writable(path):
        import tempfile

        user = os.getuid() if hasattr(os, "getuid") else "user"
        path = Path(tempfile.gettempdir()) / f"critmin-numba-{user}" / path.name
    environ["NUMBA_CACHE_DIR"] = str(path)
    numba = sys.modules.get("numba")
    if numba is not None and environ is os.environ:
        numba.config.CACHE_DIR = str(path)
    return path
