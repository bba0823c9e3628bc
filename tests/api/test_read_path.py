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
