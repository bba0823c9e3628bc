"""Model v2 gives the same numbers on every executor: serial in this process, local
worker processes, and a Dask cluster (threads here): each stored sample and each stored
monthly path table is equal value for value (float equality, no tolerance)."""

from __future__ import annotations

import pytest

from critmin.scenarios.presets import get_scenario
from critmin.simulate.runner import close_executor, make_executor, simulate
from critmin.store import ResultsStore

SAMPLES, CHUNK = 1100, 512  # three chunks, the last one short


def run(net, tmp_path, name: str, executor):
    sc = get_scenario("CN_2024_Sb_licence", net).model_copy(update={"horizon_quarters": 2})
    store = ResultsStore(tmp_path / f"{name}.db")
    try:
        rid = simulate(net, sc, samples=SAMPLES, seed=3, chunk_size=CHUNK, store=store,
                       executor=executor, model="v2")
    finally:
        close_executor(executor)
    frame = store.samples(rid).sort_values("sample").reset_index(drop=True)
    return frame, store.read_table(rid, "exports_china_dest")


def test_serial_processes_and_dask_store_identical_results(net, tmp_path):
    serial = run(net, tmp_path, "serial", None)
    processes = run(net, tmp_path, "processes", make_executor(None, 2))
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        dask = run(net, tmp_path, "dask", client.get_executor())
    finally:
        client.close()
        cluster.close()
    assert len(serial[0]) == SAMPLES and serial[0].shape[1] > 10
    for other in (processes, dask):
        assert serial[0].equals(other[0])
        assert serial[1].equals(other[1])
