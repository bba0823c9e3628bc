"""The server against slow and greedy clients (uvicorn in a thread, real sockets): slow
header senders are closed and cannot lock others out, huge headers and slow bodies are
refused, redirects never name another host, every answer carries the CSP."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest
import uvicorn

from critmin.api import server as srv
from critmin.api.app import create_app
from critmin.api.settings import Settings

from ..conftest import free_port
from .test_processes import wait_for

SETTINGS = Settings(workers=1, header_timeout_s=2.0, body_timeout_s=2.0,
                    connections_per_client=40)


@pytest.fixture(scope="module", params=["httptools", "h11"])
def live(tmp_path_factory, request):
    app = create_app(tmp_path_factory.mktemp("srv") / "r.db", settings=SETTINGS)
    port = free_port()
    with pytest.MonkeyPatch.context() as m:  # h11 where httptools is not installed
        if request.param == "h11":
            m.setattr(srv, "BoundedHttpTools", None)
        config = srv.config(app, "127.0.0.1", port, SETTINGS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 300)
    yield f"http://127.0.0.1:{port}", port
    server.should_exit = True
    thread.join(30)


def slow(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")  # headers never finished
    return s


def test_slow_connections_do_not_lock_out_health(live):
    url, port = live
    held = [slow(port) for _ in range(400)]  # ten times the per-client bound
    try:
        for _ in range(5):
            r = httpx.get(f"{url}/api/health", timeout=30)
            assert r.status_code == 200
    finally:
        for s in held:
            s.close()


def test_a_connection_that_never_finishes_its_headers_is_closed(live):
    _, port = live
    s = slow(port)
    s.settimeout(60)
    try:
        assert s.recv(1024) == b""  # closed by the server, no answer
    finally:
        s.close()


def test_huge_headers_are_refused(live):
    """(uvicorn's default, httptools where installed, accepted 1 MB headers.)"""
    url, _ = live
    try:
        r = httpx.get(f"{url}/api/health", headers={"X-Big": "a" * 1_000_000}, timeout=30)
        assert r.status_code in (400, 431)
    except (httpx.RemoteProtocolError, httpx.ReadError):
        pass  # closed before answering: refused too


def test_a_slow_body_gets_408(live):
    _, port = live
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(60)
        s.sendall(b"POST /api/scenarios/validate HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        assert s.recv(4096).split(b"\r\n")[0].endswith(b"408 Request Timeout")


def test_trailing_slash_redirect_is_relative_and_answers_carry_the_csp(live):
    url, _ = live
    r = httpx.get(f"{url}/api/tables/?limit=3", headers={"Host": "evil.example"}, timeout=30)
    assert r.status_code == 307 and r.headers["location"] == "/api/tables?limit=3"
    for path in ("/", "/api/health", "/api/nope"):
        h = httpx.get(f"{url}{path}", timeout=30).headers
        assert "frame-ancestors 'none'" in h["content-security-policy"], path
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
