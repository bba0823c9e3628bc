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

from critmin.market.v2 import jit, simulate_paths
from critmin.scenarios import get_scenario

SCENARIO, SAMPLES, SEED, MONTHS = "DRC_cobalt_ban_then_quota", 40, 3, 6
OUTPUTS = ("price_ex_china", "shortfall", "cover_days", "exports_china")
SCRIPT = f"""
import json, sys
import numpy as np
import critmin
from critmin.market.v2 import jit, simulate_paths
from critmin.scenarios import get_scenario
net = critmin.load()
ds = simulate_paths(net, get_scenario({SCENARIO!r}, net), samples={SAMPLES}, seed={SEED},
                    months={MONTHS})
np.savez(sys.argv[1], **{{k: ds[k].values for k in {OUTPUTS!r}}})
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


def test_results_are_the_same_with_and_without_noalias(tmp_path, net):
    """The v2 monthly paths with the hook (this process: the cached kernels every test
    uses) and without it (a process with CRITMIN_NUMBA_NOALIAS=0, compiled afresh:
    Numba's cache key ignores the flag). The reference compiles without LLVM's
    optimisation (NUMBA_OPT=0: about half the compile time); the kernels use no
    fast-math, so optimisation keeps every result bit for bit and any difference is the
    hook's. The paths with the hook are computed while the reference compiles."""
    out = tmp_path / "paths_0.npz"
    env = {**os.environ, "CRITMIN_NUMBA_NOALIAS": "0", "NUMBA_OPT": "0"}
    ref = subprocess.Popen([sys.executable, "-c", SCRIPT, str(out)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert jit.NOALIAS == {"noalias": True}
        ds = simulate_paths(net, get_scenario(SCENARIO, net), samples=SAMPLES, seed=SEED,
                            months=MONTHS)
        stdout, stderr = ref.communicate(timeout=900)
    finally:
        ref.kill()
    assert ref.returncode == 0, stderr[-2000:]
    assert json.loads(stdout.strip().splitlines()[-1]) == {}
    without = dict(np.load(out))
    assert sorted(without) == sorted(OUTPUTS)
    for name in OUTPUTS:
        np.testing.assert_array_equal(ds[name].values, without[name], err_msg=name)
