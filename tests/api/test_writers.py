"""Large answers written at once are bounded: a slot per answer from its first byte until its
connection has drained (or the time cap), small answers never wait, a client leaving frees
its slot. Driven through the request guard with a connection that takes bytes only when the
test lets it (no server, no sleeps beyond the cap test's 50 ms)."""

from __future__ import annotations

import asyncio

import pytest

from critmin.api.limits import Guard
from critmin.api.writers import PIECE, Writers

BIG = b"x" * (3 * PIECE + 5)


async def app(scope, receive, send):
    """Answers ``/big`` with BIG (Content-Length), ``/stream`` in two messages with no
    length (``/fail``: fails after its first), anything else with 2 bytes."""
    await receive()
    path = scope["path"]
    if path == "/fail":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": BIG, "more_body": True})
        raise RuntimeError("the stream broke")
    body = BIG if path == "/big" else b"ok"
    head = [] if path == "/stream" else [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": head})
    if path == "/stream":
        await send({"type": "http.response.body", "body": BIG, "more_body": True})
    await send({"type": "http.response.body", "body": body})


class Connection:
    """One client connection: what the server sent; each body send completes only when the
    test lets it (a client that has not read yet: the server's flow control waits)."""

    def __init__(self, path: str):
        self.scope = {"type": "http", "path": path, "query_string": b"", "headers": []}
        self.sent: list[dict] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.gone = asyncio.Event()

    async def receive(self):
        if not getattr(self, "asked", False):
            self.asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, msg):
        if msg["type"] == "http.response.body":
            await self.gate.wait()
        if not self.gone.is_set():  # as uvicorn: sends after a disconnect return at once
            self.sent.append(msg)

    def leave(self):
        self.gone.set()
        self.gate.set()  # a lost connection releases the server's flow control

    def started(self) -> bool:
        return any(m["type"] == "http.response.start" for m in self.sent)

    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] != "http.response.start")


async def settle():
    for _ in range(20):
        await asyncio.sleep(0)


def test_large_answers_wait_for_a_slot_held_until_drained_small_ones_never_wait():
    async def go():
        writers = Writers(1, cap_s=60, min_bytes=1024)
        guard = Guard(app, max_body=1000, max_query=1000, timeout_s=60, writers=writers)
        first, second, small = Connection("/big"), Connection("/stream"), Connection("/s")
        first.gate.clear()  # the first client reads nothing yet
        t1 = asyncio.ensure_future(guard(first.scope, first.receive, first.send))
        await settle()
        t2 = asyncio.ensure_future(guard(second.scope, second.receive, second.send))
        t3 = asyncio.ensure_future(guard(small.scope, small.receive, small.send))
        await settle()
        assert first.started() and not second.started()  # one large answer at a time
        assert t3.done() and small.body() == b"ok"  # a small one is not held back
        first.gate.set()  # the first client reads: its body drains, the slot passes on
        await asyncio.gather(t1, t2)
        assert first.body() == BIG and second.body() == BIG + b"ok"
        pieces = [m for m in first.sent if m["type"] == "http.response.body"]
        assert max(len(m["body"]) for m in pieces) <= PIECE and len(pieces) == 5
        assert pieces[-1] == {"type": "http.response.body", "body": b"",
                              "more_body": False}  # sent once the rest drained
        assert writers.busy == 0 and not writers.waiting
    asyncio.run(go())


def test_a_client_leaving_a_failed_stream_or_a_slow_one_past_the_cap_frees_its_slot():
    async def go():
        writers = Writers(1, cap_s=0.05, min_bytes=1024)
        guard = Guard(app, max_body=1000, max_query=1000, timeout_s=60, writers=writers)
        gone, slow, after = Connection("/big"), Connection("/big"), Connection("/big")
        gone.gate.clear()
        t1 = asyncio.ensure_future(guard(gone.scope, gone.receive, gone.send))
        await settle()
        assert writers.busy == 1
        gone.leave()  # the client leaves mid-body
        await t1
        assert writers.busy == 0
        broken = Connection("/fail")
        with pytest.raises(RuntimeError):
            await guard(broken.scope, broken.receive, broken.send)
        assert writers.busy == 0
        slow.gate.clear()  # a client that never reads
        t2 = asyncio.ensure_future(guard(slow.scope, slow.receive, slow.send))
        await settle()
        t3 = asyncio.ensure_future(guard(after.scope, after.receive, after.send))
        await asyncio.wait_for(t3, 5)  # the slow one gave its slot up after the cap
        assert after.body() == BIG and not t2.done()
        slow.gate.set()
        await t2
        assert slow.body() == BIG and writers.busy == 0
    asyncio.run(go())


def test_slots_are_handed_over_in_turn_and_a_waiter_that_leaves_takes_none():
    async def go():
        w = Writers(1, cap_s=60, min_bytes=10)
        assert w.large({"status": 200, "headers": [(b"content-length", b"10")]})
        assert not w.large({"status": 200, "headers": [(b"content-length", b"9")]})
        assert w.large({"status": 200, "headers": []})  # streamed
        assert not w.large({"status": 304, "headers": []})
        free = await w.take()
        order = []

        async def wait(k):
            (await w.take())()
            order.append(k)
        tasks = [asyncio.ensure_future(wait(k)) for k in range(3)]
        await settle()
        tasks[1].cancel()
        free()
        free()  # freeing twice frees once
        await asyncio.gather(tasks[0], tasks[2])
        with pytest.raises(asyncio.CancelledError):
            await tasks[1]
        assert order == [0, 2] and w.busy == 0 and not w.waiting
    asyncio.run(go())


def test_a_long_answer_goes_on_while_it_moves_and_a_stalled_one_is_cut():
    """A streamed export longer than the request timeout is not cut while its bytes flow
    (563 MB to a client reading 10 MB/s takes a minute: it was cut at 30 s); one that
    stops moving for the timeout is."""
    async def trickle(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for pause in (0.04,) * 5 + ((0.5,) if scope["path"] == "/stall" else ()):
            await asyncio.sleep(pause)
            await send({"type": "http.response.body", "body": b"x", "more_body": True})
        await send({"type": "http.response.body", "body": b"end"})

    async def go():
        guard = Guard(trickle, max_body=1000, max_query=1000, timeout_s=0.1)
        flowing, stalled = Connection("/flow"), Connection("/stall")
        await guard(flowing.scope, flowing.receive, flowing.send)
        await guard(stalled.scope, stalled.receive, stalled.send)
        return flowing.body(), stalled.body()
    assert asyncio.run(go()) == (b"xxxxxend", b"xxxxx")
