"""Large answers written at once, bounded: a slot per answer, held until its connection
drains, at most a time cap.

An answer is large when its ``Content-Length`` is at least ``min_bytes`` or it is streamed
(no length: run exports). Before its first byte it takes one of ``n`` slots (waiting its turn
in arrival order when all are taken); its body goes out in pieces of ``PIECE`` bytes, each
sent once the connection has taken the one before (the server's flow control), then an empty
last piece, sent once the rest has drained (to the transport's low-water mark). The slot is
freed then, or when the answer ends early (error, client gone), or after ``cap_s`` seconds,
whichever comes first: a slow reader gives its slot up (its answer goes on) and cannot hold
the others back. Small answers never wait.

Why: 32 clients reading 2 MB CSVs at once each put their whole body in the server's write
buffers in one go, and every turn of the event loop then serves dozens of them; the small
cached reads of other users waited behind those turns.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

PIECE = 64 * 1024
"""Bytes of body per send (the size of asyncio's default write-buffer high-water mark)."""


class Writers:
    """At most ``n`` large answers being written; ``take()`` waits for a slot (FIFO)."""

    def __init__(self, n: int, cap_s: float, min_bytes: int):
        self.n, self.cap_s, self.min_bytes = n, cap_s, min_bytes
        self.busy = 0
        """Slots taken (by answers being written, or handed to one that will be)."""
        self.waiting: deque[asyncio.Future] = deque()

    def large(self, start: dict) -> bool:
        """Whether the answer that ``start`` (an ASGI ``http.response.start``) opens is
        large: streamed, or at least ``min_bytes`` long."""
        if start.get("status", 200) in (204, 304) or start.get("status", 200) < 200:
            return False
        for k, v in start.get("headers", []):
            if k == b"content-length":
                return int(v) >= self.min_bytes
        return True

    async def take(self) -> Callable[[], None]:
        """A slot (waiting for one when all ``n`` are taken); returns the function that
        frees it (idempotent; called by itself after ``cap_s``)."""
        if self.busy < self.n and not self.waiting:
            self.busy += 1
        else:
            turn = asyncio.get_running_loop().create_future()
            self.waiting.append(turn)
            try:
                await turn  # a freed slot is handed over directly (busy unchanged)
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._release()  # handed over as the waiter left: pass it on
                else:
                    self.waiting.remove(turn)
                raise
        freed = False

        def free() -> None:
            nonlocal freed
            if not freed:
                freed = True
                timer.cancel()
                self._release()
        timer = asyncio.get_running_loop().call_later(self.cap_s, free)
        return free

    def _release(self) -> None:
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.busy -= 1


def pieces(msg: dict) -> list[dict]:
    """An ASGI body message cut into ``PIECE``-byte messages; a last one (``more_body``
    false) becomes the pieces and an empty last message, so its send waits until the body
    has drained."""
    body, more = msg.get("body", b""), msg.get("more_body", False)
    out = [{"type": "http.response.body", "body": body[i:i + PIECE], "more_body": True}
           for i in range(0, len(body), PIECE)]
    if not more:
        out.append({"type": "http.response.body", "body": b"", "more_body": False})
    return out or [msg]
