"""ASGI guard around the API: body and query limits, request timeout, disconnect cancel.

Every HTTP request passes here before routing:

- a query string longer than the limit gets 414, a body larger than the limit 413 (checked
  on ``Content-Length`` and again while reading, for chunked bodies);
- the handler runs as a task; if the client disconnects the task is cancelled, and if it
  is still unanswered after the timeout the client gets 504 and the task is cancelled. An
  answer that has begun (a streamed export of hundreds of MB) goes on as long as it moves:
  it is cut only when no body message went out for the timeout (a stalled stream, or a
  client that stopped reading).
  Once the answer is sent, the task's background work (clean-ups) runs to its end: the
  client leaving then cancels nothing;
  Shared computations (cached reads) are not lost by a cancel: they finish once, for
  everyone, unless every client waiting for one left before it began (see
  :mod:`critmin.api.cache`);
- a body slower than ``body_timeout_s`` gets 408; more than ``max_requests`` requests in
  progress get 503 (``/api/health`` excepted); a path with a trailing slash is redirected
  (307) to the same path without it, by a relative ``Location`` (never built from the
  ``Host`` header);
- at most a few large answers are written at once (:mod:`critmin.api.writers`: a slot
  held until the connection drains, at most a time cap); small answers never wait;
- every answer carries the security headers (CSP with ``frame-ancestors 'none'``,
  ``X-Frame-Options``, ``nosniff``) and ``Server-Timing: app;dur=MS`` (time in the
  server, so a load test can tell the server's share of latency from the client's), and a
  200 with an ``ETag`` the client sent in ``If-None-Match`` becomes a bodyless 304.
"""

from __future__ import annotations

import asyncio
import json
import time

from critmin.api.writers import Writers, pieces


def _error(status: int, detail: str, headers: dict | None = None):
    body = json.dumps({"detail": detail}).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    hdrs += [(k.lower().encode(), str(v).encode()) for k, v in (headers or {}).items()]
    return ({"type": "http.response.start", "status": status, "headers": hdrs},
            {"type": "http.response.body", "body": body})


def _if_none_match(scope) -> set[bytes]:
    for k, v in scope.get("headers", []):
        if k == b"if-none-match":
            return {t.strip() for t in v.split(b",")}
    return set()


def _stamp(start: dict, t0: float, tags: set[bytes]) -> tuple[dict, bool]:
    """The response start with a ``Server-Timing`` header (ms from arrival to answer); a
    200 whose ETag the client already holds becomes 304 (True: drop the body)."""
    headers = list(start.get("headers", []))
    unchanged = start["status"] == 200 and bool(tags) and any(
        k == b"etag" and v in tags for k, v in headers)
    if unchanged:
        headers = [(k, v) for k, v in headers if k not in (b"content-length", b"content-type")]
    dur = 1000 * (time.perf_counter() - t0)
    headers.append((b"server-timing", f"app;dur={dur:.2f}".encode()))
    headers += SECURITY_HEADERS
    return {**start, "status": 304 if unchanged else start["status"],
            "headers": headers}, unchanged


CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
       "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin")]
"""On every answer: pages cannot be framed (clickjacking), scripts come from this server
only, content types are not guessed."""
BUSY_RETRY_S = 2


class Guard:
    """Limits and time bounds for every HTTP request (see module docstring)."""

    def __init__(self, app, max_body: int, max_query: int, timeout_s: float,
                 body_timeout_s: float = 30.0, max_requests: int = 1024,
                 writers: Writers | None = None):
        self.app = app
        self.writers = writers
        """Bound on large answers written at once (None: unbounded)."""
        self.max_body = max_body
        self.max_query = max_query
        self.timeout_s = timeout_s
        self.body_timeout_s = body_timeout_s
        self.max_requests = max_requests
        self.active = 0
        """Requests in progress (after their body arrived)."""

    async def _reply(self, send, status: int, detail: str, headers: dict | None = None):
        start, body = _error(status, detail, headers)
        start["headers"] += SECURITY_HEADERS
        await send(start)
        await send(body)

    async def _read_body(self, receive) -> bytes | None:
        """The whole body, or None when the client left; TimeoutError when it is slower
        than ``body_timeout_s`` in all."""
        chunks, size = [], 0
        async with asyncio.timeout(self.body_timeout_s):
            while True:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    return None
                chunk = msg.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    return b"\0" * (self.max_body + 1)
                chunks.append(chunk)
                if not msg.get("more_body", False):
                    return b"".join(chunks)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > self.max_query:
            await self._reply(send, 414, f"query string longer than {self.max_query} bytes")
            return
        path = scope.get("path", "/")
        if len(path) > 1 and path.endswith("/"):  # relative: never names another host
            await self._redirect(scope, send, path.rstrip("/") or "/")
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await self._reply(send, 413, f"request body larger than {self.max_body} bytes")
            return
        try:
            body = await self._read_body(receive)
        except TimeoutError:
            await self._reply(send, 408, f"request body not received within "
                                         f"{self.body_timeout_s:g} s")
            return
        if body is None:
            return
        if len(body) > self.max_body:
            await self._reply(send, 413, f"request body larger than {self.max_body} bytes")
            return
        if self.active >= self.max_requests and path != "/api/health":
            await self._reply(send, 503, f"{self.active} requests in progress; ask again "
                                         "shortly", {"Retry-After": BUSY_RETRY_S})
            return
        self.active += 1
        try:
            await self._run(scope, body, receive, send)
        finally:
            self.active -= 1

    async def _redirect(self, scope, send, path: str) -> None:
        from urllib.parse import quote

        query = scope.get("query_string", b"")
        target = quote(path) + ("?" + query.decode("latin-1") if query else "")
        await send({"type": "http.response.start", "status": 307, "headers": [
            (b"location", target.encode("latin-1")), (b"content-length", b"0"),
            *SECURITY_HEADERS]})
        await send({"type": "http.response.body", "body": b""})

    async def _run(self, scope, body: bytes, receive, send) -> None:
        left = asyncio.Event()
        started = False
        answered = False  # the last body message went out
        finished = False
        sent_body = False

        async def replay():
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await left.wait()
            return {"type": "http.disconnect"}

        t0 = time.perf_counter()
        tags = _if_none_match(scope)
        unchanged = False
        free = None  # frees this answer's large-body slot
        moved = t0  # when the answer last moved (started, or a body message went out)

        async def guarded_send(msg):
            nonlocal started, unchanged, answered, free, moved
            if finished:
                return
            if msg["type"] == "http.response.body" and not msg.get("more_body", False):
                answered = True
            if msg["type"] == "http.response.start":
                stamped, unchanged = _stamp(msg, t0, tags)
                if not unchanged and self.writers is not None and self.writers.large(msg):
                    free = await self.writers.take()  # (the wait counts in Server-Timing)
                    stamped, unchanged = _stamp(msg, t0, tags)
                started, moved = True, time.perf_counter()
                msg = stamped
            elif unchanged:  # a 304 carries no body
                if msg.get("more_body", False):
                    return
                msg = {"type": "http.response.body", "body": b""}
            elif free is not None:  # large: in pieces, the last once the rest drained
                for piece in pieces(msg):
                    await send(piece)
                    moved = time.perf_counter()
                if answered:
                    free()
                return
            await send(msg)
            moved = time.perf_counter()

        async def watch():
            while True:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    left.set()
                    return

        handler = asyncio.ensure_future(self.app(scope, replay, guarded_send))
        watcher = asyncio.ensure_future(watch())
        try:
            try:
                while True:  # until answered, or timeout_s without an answer or a move
                    left_s = (moved if started else t0) + self.timeout_s - time.perf_counter()
                    done, _ = await asyncio.wait({handler, watcher}, timeout=max(0.0, left_s),
                                                 return_when=asyncio.FIRST_COMPLETED)
                    if done or answered or time.perf_counter() >= \
                            (moved if started else t0) + self.timeout_s:
                        break
            finally:
                watcher.cancel()
            if handler in done:
                handler.result()
                return
            if answered:  # what runs now is the response's background work: never cancelled
                await handler
                return
            finished = True
            handler.cancel()
            if watcher not in done and not started:  # timed out, client still there
                await self._reply(send, 504, f"no answer within {self.timeout_s:g} s")
        finally:
            if free is not None:  # ended early (error, client gone, timeout): slot freed
                free()
