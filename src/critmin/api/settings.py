"""Service limits and modes, set by ``critmin serve`` options (defaults suit one machine)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Limits of the HTTP service; every one bounds memory or CPU a client can claim."""

    private: bool = False
    """Results, runs and jobs need a token with the ``read`` scope."""
    scheduler: str | None = None
    """Dask scheduler address for jobs; local worker processes when None."""
    workers: int = 2
    """Local job worker processes."""
    job_nice: int = 10
    """CPU niceness of local job workers (0-19): jobs yield the CPU to reads."""
    max_queue: int = 16
    """Jobs waiting for a worker at most; more are answered 429 with Retry-After."""
    quota: int = 4
    """Unfinished (queued or running) jobs per token at most."""
    request_timeout_s: float = 30.0
    """A request still unanswered after this is answered 504 and its work abandoned."""
    header_timeout_s: float = 10.0
    """A connection that has not sent a request's headers this long after opening (or
    after its last answer) is closed (slow clients cannot hold connections)."""
    body_timeout_s: float = 30.0
    """A request whose body has not arrived this long after its headers gets 408."""
    connections_per_client: int = 256
    """Open connections per client address; a new one closes that client's oldest idle one."""
    max_header_bytes: int = 16 * 1024
    """Largest request head (request line and headers) accepted (400 beyond)."""
    max_requests: int = 1024
    """Requests in progress at once (503 with Retry-After beyond)."""
    max_body_bytes: int = 256 * 1024
    """Largest request body accepted (413 beyond)."""
    max_query_bytes: int = 2048
    """Longest query string accepted (414 beyond)."""
    max_id_chars: int = 64
    """Longest scenario, job, run or table id accepted in a path or body."""
    max_computing_reads: int = 32
    """Distinct reads computed or queued at once at most (503 with Retry-After beyond)."""
    exports_per_client: int = 2
    """Run exports one token (or one address, without a token) streams at once (429 beyond)."""
    max_exports: int = 8
    """Run exports streaming at once in all (429 beyond)."""
    min_free_bytes: int = 256 * 2**20
    """Free disk space a job must leave in the store's file system (507 otherwise)."""
    heavy_reads: int = 2
    """Uncached reads (filtered tables, CSV) computed at once, in threads off the event
    loop; more wait their turn."""
    large_bodies: int = 4
    """Large answers (at least ``large_body_bytes``, or streamed) written at once; more wait
    their turn (:mod:`critmin.api.writers`)."""
    large_body_bytes: int = 256 * 1024
    """An answer this long or longer is large."""
    large_body_hold_s: float = 5.0
    """A large answer gives its slot up after this long even if its client has not taken
    it all (a slow reader cannot hold the others back; its answer goes on)."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks (CIDR) of reverse proxies whose ``X-Forwarded-For`` names the
    client (:mod:`critmin.api.proxies`); none by default: the header is ignored. Their
    connections are exempt from ``connections_per_client`` (they carry many clients)."""
    data_check_s: float = 2.0
    """How often (seconds at most) the data files are checked for changes. A changed file
    is read once a check finds it as the check before left it (its writer done), so new
    data is served one to two intervals after it was saved."""
