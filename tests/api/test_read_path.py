"""The cached read routes run on the event loop from end to end: neither the handler nor
any dependency is a plain function, which FastAPI would call in a worker thread (a thread
hop per read, the slowest part of a cached read on a loaded machine)."""

from __future__ import annotations

import inspect

from fastapi.routing import APIRoute

from critmin.api.app import create_app
from critmin.api.handlers import _leaves
from critmin.api.settings import Settings

CACHED_READS = ["/api/health", "/api/summary", "/api/scenarios", "/api/assessment",
                "/api/tables", "/api/sources", "/api/tables/{name}"]


def calls(dependant):
    yield dependant.call
    for sub in dependant.dependencies:
        yield from calls(sub)


def on_loop(call) -> bool:
    """Whether FastAPI awaits ``call`` on the event loop (a coroutine function, or an
    object whose ``__call__`` is one, like the bearer-token scheme)."""
    return inspect.iscoroutinefunction(call) or (
        not inspect.isfunction(call) and inspect.iscoroutinefunction(type(call).__call__))


def test_cached_reads_never_hop_to_a_thread(tmp_path):
    app = create_app(tmp_path / "r.db", settings=Settings(workers=1))
    try:
        routes = {r.path: r for r in _leaves(app.router.routes) if isinstance(r, APIRoute)
                  and "GET" in r.methods}
        for path in CACHED_READS:
            sync = [getattr(c, "__qualname__", repr(c)) for c in calls(routes[path].dependant)
                    if c is not None and not on_loop(c)]
            assert not sync, f"{path} calls {sync} in a worker thread"
    finally:
        app.state.service.shutdown()


def test_large_cached_reads_are_gzipped_once_for_clients_that_accept_it(tmp_path):
    from fastapi.testclient import TestClient

    app = create_app(tmp_path / "r.db", settings=Settings(workers=1))
    url = "/api/tables/flows?limit=100000&format=csv"
    with TestClient(app) as c:
        plain = c.get(url, headers={"Accept-Encoding": "identity"})
        gz = c.get(url, headers={"Accept-Encoding": "br, gzip"})
        off = c.get(url, headers={"Accept-Encoding": "gzip;q=0"})
        assert plain.status_code == gz.status_code == off.status_code == 200
        assert "content-encoding" not in plain.headers and "content-encoding" not in off.headers
        assert gz.headers["content-encoding"] == "gzip" and gz.headers["vary"] == \
            "Accept-Encoding"
        assert gz.content == plain.content == off.content  # the same CSV, decoded
        assert gz.num_bytes_downloaded * 4 < plain.num_bytes_downloaded
        assert gz.headers["etag"] != plain.headers["etag"]  # two representations
        again = c.get(url, headers={"Accept-Encoding": "gzip",
                                    "If-None-Match": gz.headers["etag"]})
        assert again.status_code == 304
        small = c.get("/api/tables", headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in small.headers  # small answers stay as they are


def test_filtered_and_csv_reads_run_off_the_loop_and_bounded(tmp_path, monkeypatch):
    """Filtered table reads (CSV or JSON) are computed in worker threads, at most
    ``heavy_reads`` at once; on the loop they held every other request (health 8-10 s
    behind 32 CSV readers)."""
    import asyncio
    import threading

    import httpx

    from critmin.data import select

    real, lock, seen = select.filter_rows, threading.Lock(), {"now": 0, "peak": 0, "loop": []}
    both, third = threading.Event(), threading.Event()

    def counting(*a, **k):
        try:
            asyncio.get_running_loop()
            seen["loop"].append(True)  # called on the event loop
        except RuntimeError:
            seen["loop"].append(False)
        with lock:
            seen["now"] += 1
            seen["peak"] = max(seen["peak"], seen["now"])
            both.set() if seen["now"] == 2 else third.set() if seen["now"] > 2 else None
        both.wait(5)  # the first two overlap: the bound is reached, not merely respected
        third.wait(0.3)  # a third, if the bound lets one in, is seen
        with lock:
            seen["now"] -= 1
        return real(*a, **k)

    monkeypatch.setattr(select, "filter_rows", counting)
    app = create_app(tmp_path / "r.db", settings=Settings(workers=1, heavy_reads=2))

    async def many():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as c:
            return await asyncio.gather(*(c.get("/api/tables/production", params={
                "commodity": "gallium", "format": fmt}) for fmt in ("csv", "json") * 3))

    try:
        answers = asyncio.run(many())
    finally:
        app.state.service.shutdown()
    assert [r.status_code for r in answers] == [200] * 6
    assert seen["loop"] == [False] * 6 and seen["peak"] == 2


def test_drivers_are_computed_one_at_a_time(monkeypatch):
    """Top drivers hold a CPU for 20 s or more: requests for 17 presets at once ran 17."""
    import threading

    from critmin.api import dashboard

    lock, seen = threading.Lock(), {"now": 0, "peak": 0}

    def slow(net, sid):
        with lock:
            seen["now"] += 1
            seen["peak"] = max(seen["peak"], seen["now"])
        threading.Event().wait(0.02)
        with lock:
            seen["now"] -= 1
        return {"drivers": [sid]}

    monkeypatch.setattr(dashboard, "drivers", slow)
    threads = [threading.Thread(target=dashboard._drivers_bounded, args=(None, str(k)))
               for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen["peak"] == 1
