"""Guards on the Numba internals the v2 kernels compile with (critmin.market.v2.jit): a
numba/llvmlite release that drops the noalias hook fails here instead of slowing the
default model by about a quarter without notice, and results are the same with and
without the hook."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numba
import numpy as np

from critmin.market.v2 import jit

SCRIPT = """
import json, sys
import numpy as np
import critmin
from critmin.market.v2 import jit, simulate_paths
from critmin.scenarios import get_scenario
net = critmin.load()
ds = simulate_paths(net, get_scenario("DRC_cobalt_ban_then_quota", net), samples=40, seed=3,
                    months=6)
np.savez(sys.argv[1], **{k: ds[k].values for k in ("price_ex_china", "shortfall",
                                                   "cover_days", "exports_china")})
print(json.dumps(jit.NOALIAS))
"""


def test_the_noalias_hook_is_available():
    """This Numba has the internal flag and the decorators carry it (pyproject pins the
    tested range; a release without it must not pass unnoticed)."""
    assert jit.noalias_hook() is True
    assert jit.NOALIAS == {"noalias": True}
    fn = jit.jit(lambda a: a[0])
    assert fn.targetoptions.get("noalias") is True and fn.targetoptions.get("_nrt") is False


def _count_noalias(decorator) -> int:
    def copy(a, b):  # pragma: no cover - compiled
        for i in range(a.shape[0]):
            b[i] = 2.0 * a[i]

    fn = decorator(copy)
    fn(np.ones(4), np.zeros(4))
    (ir,) = fn.inspect_llvm().values()
    head = [ln for ln in ir.splitlines() if ln.startswith("define") and "copy" in ln]
    return sum(ln.count("noalias") for ln in head)


def test_kernels_compiled_with_the_hook_mark_their_arrays_noalias():
    """The flag reaches LLVM: the compiled function's arguments carry more ``noalias``
    attributes than the same function compiled without it."""
    plain = numba.njit(error_model="numpy", _nrt=False)
    assert _count_noalias(numba.njit(error_model="numpy", _nrt=False, **jit.NOALIAS)) > \
        _count_noalias(plain)


def test_results_are_the_same_with_and_without_noalias(tmp_path):
    """The v2 monthly paths with the hook (a process loading the cached kernels) and
    without it (a process with CRITMIN_NUMBA_NOALIAS=0, compiled afresh: Numba's cache key
    ignores the flag). The reference compiles without LLVM's optimisation (NUMBA_OPT=0:
    about half the compile time); the kernels use no fast-math, so optimisation keeps every
    result bit for bit and any difference is the hook's."""
    runs = {}
    for flag in ("1", "0"):
        out = tmp_path / f"paths_{flag}.npz"
        env = {**os.environ, "CRITMIN_NUMBA_NOALIAS": flag,
               **({"NUMBA_OPT": "0"} if flag == "0" else {})}
        r = subprocess.run([sys.executable, "-c", SCRIPT, str(out)], env=env,
                           capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, r.stderr[-2000:]
        assert json.loads(r.stdout.strip().splitlines()[-1]) == (
            {"noalias": True} if flag == "1" else {})
        runs[flag] = dict(np.load(out))
    for name, a in runs["1"].items():
        np.testing.assert_array_equal(a, runs["0"][name], err_msg=name)
