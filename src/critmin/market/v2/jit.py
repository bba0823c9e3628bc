"""Every use of Numba's and llvmlite's internals, in one place: the decorators the v2 lane
kernels compile with (:data:`jit`, :data:`inline`).

Three things here are not Numba's public API; numba and llvmlite are pinned to the range
they were tested on (pyproject.toml), and ``tests/market_v2/test_numba_guard.py`` fails when
a release drops one of them:

- ``_nrt=False``: no reference counting in the kernels (nothing in them allocates; callers
  own every array).
- ``noalias``: Numba's internal ``Flags.noalias`` (set only for its own parallel kernels),
  mapped to a decorator option here, so every array argument carries LLVM's ``noalias``
  and loops over lanes vectorise without run-time overlap checks. Valid because no kernel
  writes an array that another of its arguments also reaches (callers pass distinct
  arrays). Measured on the sweep's chunk: 109-117 -> 85-92 us/sample, identical outputs.
  ``CRITMIN_NUMBA_NOALIAS=0`` leaves it out (and Numba's on-disk cache, whose key does not
  include the flag) for the comparison test.
- llvmlite's ``set_option``: raises LLVM's limit on run-time alias checks per vectorised
  loop (128 -> 4096). It is process-wide and cannot be scoped: it applies to all code LLVM
  compiles in this process after the import of this module (only more loops vectorise;
  results do not change).
"""

from __future__ import annotations

import os
from typing import Any

import llvmlite.binding
import numba

ALIAS_CHECK_LIMIT = 4096
"""LLVM's ``-vectorize-memory-check-threshold`` for this process (LLVM's default: 128)."""

if llvmlite.binding.llvm_version_info >= (14,):
    llvmlite.binding.set_option("critmin", f"-vectorize-memory-check-threshold="
                                           f"{ALIAS_CHECK_LIMIT}")


def noalias_hook() -> bool:
    """Map the decorator option ``noalias`` to Numba's internal flag; False where this
    Numba has no such flag (the kernels then compile, slower, with overlap checks)."""
    from numba.core import cpu, options
    from numba.core.compiler import Flags

    if not hasattr(Flags, "noalias"):
        return False
    if not isinstance(getattr(cpu.CPUTargetOptions, "noalias", None),
                      options.TargetOptions.Mapping):
        cpu.CPUTargetOptions.noalias = options.TargetOptions.Mapping("noalias")
    return True


ENABLED = os.environ.get("CRITMIN_NUMBA_NOALIAS", "1") != "0"
NOALIAS = {"noalias": True} if ENABLED and noalias_hook() else {}
"""Decorator options that add ``noalias`` (empty where unavailable or switched off)."""
_CACHE = ENABLED  # the cache key ignores the flag: no cache when it is switched off

_OPTIONS: dict[str, Any] = {"cache": _CACHE, "error_model": "numpy", "_nrt": False, **NOALIAS}
"""Options of both decorators (``_nrt`` is Numba's own switch, outside its typed signature)."""
jit = numba.njit(**_OPTIONS)
"""Compiled without reference counting, arrays not aliasing each other."""
inline = numba.njit(inline="always", **_OPTIONS)
"""Inlined at the call site by Numba (a call inside a loop over lanes stops vectorisation)."""
