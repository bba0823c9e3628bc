"""Client addresses behind reverse proxies: ``X-Forwarded-For`` from trusted proxies only.

A client can write any ``X-Forwarded-For`` it likes, so the header is believed only when the
connection comes from an address the operator named (``critmin serve --trusted-proxy
10.0.0.5`` or a network such as ``10.0.0.0/8``; none by default, so the header is ignored).
The list is read right to left: each proxy appends the address it received the request from,
so the rightmost entry that is not itself a trusted proxy is the client; entries left of it
were written by the client and are never believed. A malformed entry stops the walk: the
client is then the trusted proxy that passed it on. The client address found this way is
what per-client bounds count (run exports; :meth:`Service.client_key`).
"""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: tuple[str, ...] | list[str]) -> tuple[Network, ...]:
    """Addresses or CIDR networks -> networks; ValueError naming the bad value and the form."""
    out = []
    for v in values:
        try:
            out.append(ipaddress.ip_network(v.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"trusted proxy {v!r} is not an IP address or network; give "
                             "one such as 10.0.0.5, 10.0.0.0/8 or fd00::/8") from exc
    return tuple(out)


def _address(text: str):
    """An IP address from a forwarded entry (``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``,
    ``::1``), or None when it is none."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    """Whether ``address`` is one of the trusted proxies."""
    ip = _address(address)
    return ip is not None and any(ip in net for net in proxies)


def client_address(peer: str, forwarded: list[str], proxies: tuple[Network, ...]) -> str:
    """The client behind ``peer`` (the connection's address): ``peer`` itself unless it is
    a trusted proxy; else the rightmost ``X-Forwarded-For`` entry that is not a trusted
    proxy (``forwarded``: the header's values in arrival order)."""
    if not proxies or not trusted(peer, proxies):
        return peer
    hops = [h.strip() for value in forwarded for h in value.split(",")]
    client = peer
    for hop in reversed(hops):
        ip = _address(hop)
        if ip is None:  # written by someone we cannot trust: stop at the last proxy
            return client
        client = str(ip)
        if not any(ip in net for net in proxies):
            return client
    return client


class ForwardedFor:
    """ASGI middleware: ``scope["client"]`` becomes the client behind trusted proxies (port
    0: not known); nothing changes for any other peer."""

    def __init__(self, app, proxies: tuple[Network, ...]):
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope, receive, send):
        peer = scope.get("client")
        if self.proxies and scope["type"] in ("http", "websocket") and peer:
            forwarded = [v.decode("latin-1") for k, v in scope.get("headers", [])
                         if k == b"x-forwarded-for"]
            if forwarded:
                host = client_address(peer[0], forwarded, self.proxies)
                if host != peer[0]:
                    scope = {**scope, "client": (host, 0)}
        await self.app(scope, receive, send)
