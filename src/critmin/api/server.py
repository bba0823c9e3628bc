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
- **headers**: a request's headers may hold at most ``max_header_bytes`` (16 KiB; larger
  ones are refused with 400 by h11).
"""

from __future__ import annotations

import asyncio

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from critmin.api.settings import Settings


class BoundedH11(H11Protocol):
    """uvicorn's h11 protocol with a header timeout and a per-client connection bound."""

    header_timeout_s = 10.0
    per_client = 256

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._served = False
        host = self.client[0] if self.client else "?"
        self._host = host
        mine = _clients(self.server_state).setdefault(host, [])
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

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state != h11.IDLE:  # a request's headers are in: stop the clock
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._served = True
        self._arm()  # the next request's headers get the same time

    def _idle(self) -> bool:
        return self.conn.their_state == h11.IDLE and (
            self.cycle is None or self.cycle.response_complete)

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
        if self.conn.their_state == h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def _clients(state) -> dict[str, list]:
    if not hasattr(state, "critmin_clients"):
        state.critmin_clients = {}
    return state.critmin_clients


def _forget(proto: BoundedH11) -> None:
    clients = _clients(proto.server_state)
    mine = clients.get(getattr(proto, "_host", None), [])
    if proto in mine:
        mine.remove(proto)
        if not mine:
            del clients[proto._host]


def config(app, host: str, port: int, settings: Settings) -> uvicorn.Config:
    """uvicorn's configuration for ``app`` under ``settings``' bounds."""
    proto = type("Bounded", (BoundedH11,), {
        "header_timeout_s": settings.header_timeout_s,
        "per_client": settings.connections_per_client})
    return uvicorn.Config(app, host=host, port=port, http=proto, log_level="warning",
                          access_log=False, timeout_graceful_shutdown=3,
                          timeout_keep_alive=5, limit_concurrency=None,
                          h11_max_incomplete_event_size=settings.max_header_bytes,
                          backlog=4096)


def serve(app, host: str, port: int, settings: Settings) -> None:
    """Run ``app`` until interrupted."""
    uvicorn.Server(config(app, host, port, settings)).run()
