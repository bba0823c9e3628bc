"""The HTTP server around the app: uvicorn with time and connection bounds for slow or
greedy clients (what a front proxy would otherwise do).

- **header timeout**: a connection must finish sending a request's headers within
  ``header_timeout_s`` of opening (or of its previous answer), else it is closed; slow
  senders ("slowloris") cannot hold connections. Body reads are bounded by the request
  guard (:mod:`critmin.api.limits`, 408).
- **per-client connections**: at most ``connections_per_client`` open connections per
  client address; a new one beyond that first closes that client's oldest idle connection
  (no request in progress; one that never sent a whole request before one that did), and
  is refused only when all of them are busy. No global
  connection cap answers 503 to newcomers because others idle.
- **proxies**: connections from ``trusted_proxies`` are not bounded per client (one
  proxy carries many clients; it bounds them itself), and uvicorn's own
  ``X-Forwarded-For`` handling is off: :mod:`critmin.api.proxies` believes the header
  from those proxies only.
- **headers**: a request's head may hold at most ``max_header_bytes`` (16 KiB; larger
  ones are refused: 431 with httptools, the C parser used where installed, 400 with h11).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from critmin.api.proxies import parse_networks, trusted
from critmin.api.settings import Settings


class _Protocol(asyncio.Protocol):
    """The type checker's view of what the bounds use of either uvicorn protocol (h11's,
    httptools'). At run time :class:`_Bounds` derives from ``object`` and comes before the
    protocol in both bounded classes' order."""

    client: tuple[str, int] | None
    server_state: ServerState
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any
    """h11's or httptools' own RequestResponseCycle (the bounds read ``response_complete``)."""

    def on_response_complete(self) -> None: ...


if TYPE_CHECKING:
    _Base = _Protocol
else:
    _Base = object


class _Bounds(_Base):
    """Header timeout and per-client connection bound, for either uvicorn protocol."""

    header_timeout_s = 10.0
    per_client = 256
    max_head = 16 * 1024
    proxies: tuple = ()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._served = False
        self._head, self._head_done = 0, False
        self._host = self.client[0] if self.client else "?"
        if trusted(self._host, self.proxies):  # a proxy: its clients are bounded there
            self._arm()
            return
        mine = _clients(self.server_state).setdefault(self._host, [])
        if len(mine) >= self.per_client:
            idle = sorted((p for p in mine if p._idle()), key=lambda p: p._served)
            if not idle:  # (never served first: slow senders go before keep-alive clients)
                transport.close()
                return
            idle[0].transport.close()
            _forget(idle[0])
        mine.append(self)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        _forget(self)
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._served = True
        self._head, self._head_done = 0, False
        self._arm()  # the next request's headers get the same time

    def _head_complete(self) -> None:
        self._head_done = True
        self._disarm()

    def _idle(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._expire)

    def _disarm(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _expire(self) -> None:
        self._header_timer = None
        if not self._head_done and self._idle() and not self.transport.is_closing():
            self.transport.close()


class BoundedH11(_Bounds, H11Protocol):
    """uvicorn's h11 protocol, bounded (heads limited by h11's incomplete-event size)."""

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state != h11.IDLE:  # a request's headers are in: stop the clock
            self._head_complete()


BoundedHttpTools: type[_Bounds] | None
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools not installed: h11 only
    BoundedHttpTools = None
else:
    class _BoundedHttpTools(_Bounds, HttpToolsProtocol):
        """uvicorn's httptools protocol (a C parser, about twice h11's rate), bounded; a
        head over ``max_head`` bytes gets 431 and the connection closes."""

        def data_received(self, data: bytes) -> None:
            if not self._head_done:
                self._head += len(data)
            super().data_received(data)
            if not self._head_done and self._head > self.max_head and \
                    not self.transport.is_closing():
                self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                     b"content-length: 0\r\nconnection: close\r\n\r\n")
                self.transport.close()

        def on_headers_complete(self) -> None:
            self._head_complete()
            super().on_headers_complete()

    BoundedHttpTools = _BoundedHttpTools


def _clients(state) -> dict[str, list]:
    if not hasattr(state, "critmin_clients"):
        state.critmin_clients = {}
    return state.critmin_clients


def _forget(proto: _Bounds) -> None:
    clients = _clients(proto.server_state)
    host = getattr(proto, "_host", None)
    mine = clients.get(host, []) if host is not None else []
    if proto in mine:
        mine.remove(proto)
        if not mine:
            del clients[proto._host]


def config(app, host: str, port: int, settings: Settings) -> uvicorn.Config:
    """uvicorn's configuration for ``app`` under ``settings``' bounds."""
    base = BoundedHttpTools or BoundedH11
    proto = type("Bounded", (base,), {
        "header_timeout_s": settings.header_timeout_s,
        "per_client": settings.connections_per_client, "max_head": settings.max_header_bytes,
        "proxies": parse_networks(settings.trusted_proxies)})
    return uvicorn.Config(app, host=host, port=port, http=proto, log_level="warning",
                          proxy_headers=False,  # X-Forwarded-For: critmin.api.proxies
                          access_log=False, timeout_graceful_shutdown=3,
                          timeout_keep_alive=5, limit_concurrency=None,
                          h11_max_incomplete_event_size=settings.max_header_bytes,
                          backlog=4096)


def serve(app, host: str, port: int, settings: Settings) -> None:
    """Run ``app`` until interrupted."""
    uvicorn.Server(config(app, host, port, settings)).run()
