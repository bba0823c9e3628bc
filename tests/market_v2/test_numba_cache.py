"""Numba's on-disk cache is keyed to the model version (critmin.market.numba_cache): a
changed model source compiles into another directory, so Numba can never serve machine code
compiled from other sources (it checks only the defining file's timestamp, and run_chunk in
chunks.py inlines lanes.py and kernel.py), while processes of one version (the warm-up of
.ci/run, the test workers, the servers and sweep workers they start) share one directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numba

import critmin
from critmin.market import numba_cache
from critmin.market.registry import model_version

SRC = Path(critmin.__file__).resolve().parents[1]
REPORT = ("import json, os, numba, critmin\n"
          "from critmin.market.registry import model_version\n"
          "print(json.dumps([model_version('v2'), os.environ['NUMBA_CACHE_DIR'],"
          " numba.config.CACHE_DIR]))\n")
# a kernel compiled with the v2 kernels' own decorator (cache=True), small enough to compile
# in a second
TINY = """
from critmin.market.v2.jit import jit


@jit
def twice(a, b):
    for i in range(a.shape[0]):
        b[i] = 2.0 * a[i]
"""
RUN_TINY = """
import json, os, subprocess, sys
import numpy as np
import critmin
sys.path.insert(0, sys.argv[1])
import tiny
b = np.zeros(3)
tiny.twice(np.ones(3), b)
assert b.tolist() == [2.0, 2.0, 2.0]
child = ""
if len(sys.argv) > 2:  # a child that inherits this process's environment, as servers do
    child = subprocess.run([sys.executable, "-c", sys.argv[2], sys.argv[1]],
                           capture_output=True, text=True, check=True).stdout
print(json.dumps({"dir": os.environ["NUMBA_CACHE_DIR"], "child": child}))
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "PYTHONPATH")}
    return {**env, "PYTHONPATH": str(SRC), **extra}


def _run(code: str, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_this_process_caches_under_todays_model_version():
    """``import critmin`` pointed Numba (already imported by this test module, so also its
    config) at the directory of today's v2 version."""
    expected = numba_cache.cache_dir()
    assert expected.name == f"critmin-{model_version('v2')}"
    assert os.environ["NUMBA_CACHE_DIR"] == str(expected)
    assert str(expected) == numba.config.CACHE_DIR


def test_directory_rules(tmp_path):
    v = "v2@0123456789ab"
    home = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert numba_cache.cache_dir(home, v) == tmp_path / "xdg/critmin/numba/critmin-v2@0123456789ab"
    user = {"NUMBA_CACHE_DIR": str(tmp_path / "mine")}
    assert numba_cache.cache_dir(user, v) == tmp_path / "mine/critmin-v2@0123456789ab"
    # inherited from a process of another version: the version is replaced, not nested
    other = {"NUMBA_CACHE_DIR": str(tmp_path / "mine/critmin-v2@ffffffffffff")}
    assert numba_cache.cache_dir(other, v) == tmp_path / "mine/critmin-v2@0123456789ab"
    # and inherited from one of the same version: unchanged
    same = {"NUMBA_CACHE_DIR": str(numba_cache.cache_dir(user, v))}
    assert numba_cache.cache_dir(same, v) == numba_cache.cache_dir(user, v)
    env: dict[str, str] = dict(home)
    assert numba_cache.configure(env) == numba_cache.cache_dir(home)
    assert env["NUMBA_CACHE_DIR"] == str(numba_cache.cache_dir(home))
    assert numba_cache.cache_dir(home).is_dir()


def test_a_changed_solver_file_gets_another_cache_directory(tmp_path):
    """A copy of the package whose lanes.py (the solver, the file whose change the old
    cache missed) differs by one comment line has another model version and caches in
    another directory; the unchanged copy in the same one as this checkout."""
    base = tmp_path / "cache"
    copy = tmp_path / "copy"
    shutil.copytree(SRC / "critmin", copy / "critmin",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    env = _env(NUMBA_CACHE_DIR=str(base))
    here = json.loads(_run(REPORT, env=env))
    same = json.loads(_run(REPORT, env={**env, "PYTHONPATH": str(copy)}))
    lanes = copy / "critmin/market/v2/lanes.py"
    lanes.write_text(lanes.read_text() + "# changed\n")
    changed = json.loads(_run(REPORT, env={**env, "PYTHONPATH": str(copy)}))

    assert here[0] == model_version("v2") == same[0] != changed[0]
    for version, env_dir, numba_dir in (here, same, changed):
        assert env_dir == numba_dir == str(base / f"critmin-{version}")
    assert here[1] == same[1] != changed[1]


def test_processes_of_one_version_share_the_cache(tmp_path):
    """A process compiles into the versioned directory under the user's NUMBA_CACHE_DIR;
    its child (inheriting the environment, as the servers and sweep workers do) and a
    fresh process with the same setting (as .ci/run's warm-up and the tests) resolve the
    same directory and load the compiled kernel from it instead of compiling it."""
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod/tiny.py").write_text(TINY)
    env = _env(NUMBA_CACHE_DIR=str(tmp_path / "cache"), NUMBA_DEBUG_CACHE="1")
    expected = tmp_path / "cache" / f"critmin-{model_version('v2')}"

    first = json.loads(_run(RUN_TINY, str(tmp_path / "mod"), RUN_TINY, env=env))
    assert first["dir"] == str(expected)
    assert sorted(p.suffix for p in expected.rglob("tiny.twice*")) == [".nbc", ".nbi"]
    child = first["child"]
    assert json.loads(child.strip().splitlines()[-1])["dir"] == str(expected)
    assert f"data loaded from '{expected}/" in child and "data saved to" not in child

    fresh = subprocess.run([sys.executable, "-c", RUN_TINY, str(tmp_path / "mod")],
                           capture_output=True, text=True, env=env, timeout=300, check=True)
    assert json.loads(fresh.stdout.strip().splitlines()[-1])["dir"] == str(expected)
    assert f"data loaded from '{expected}/" in fresh.stdout
    assert "data saved to" not in fresh.stdout
