"""X-Forwarded-For: believed from the operator's trusted proxies only, read right to left, so
a client cannot pick the address its per-client bounds count against."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.api import server as srv
from critmin.api.proxies import ForwardedFor, client_address, parse_networks
from critmin.api.settings import Settings

PROXIES = parse_networks(["10.0.0.0/8", "fd00::/8"])
ipv4 = st.ip_addresses(v=4).map(str)
entry = st.one_of(ipv4, st.ip_addresses(v=6).map(str), st.text(max_size=12))


@given(peer=ipv4.filter(lambda a: not a.startswith("10.")), hops=st.lists(entry, max_size=6))
def test_a_client_that_is_no_trusted_proxy_is_its_own_address(peer, hops):
    assert client_address(peer, [", ".join(hops)], PROXIES) == peer


@given(spoofed=st.lists(entry, max_size=4), client=ipv4.filter(lambda a: not a.startswith("10.")),
       inner=st.lists(st.integers(0, 255).map(lambda i: f"10.1.2.{i}"), max_size=3))
def test_behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client(spoofed, client,
                                                                           inner):
    """Whatever the client writes (``spoofed``, left of what the proxies appended) is never
    believed; proxies in the chain (``inner``) are skipped."""
    header = ", ".join([*spoofed, client, *inner])
    assert client_address("10.0.0.5", [header], PROXIES) == client


def test_trusted_chain_malformed_entries_and_repeated_headers():
    assert client_address("10.0.0.5", ["198.51.100.4"], ()) == "10.0.0.5"  # none trusted
    assert client_address("10.0.0.5", ["203.0.113.7, x"], PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", ["203.0.113.7, 10.0.0.9"], PROXIES) == "203.0.113.7"
    assert client_address("10.0.0.5", ["1.1.1.1", "203.0.113.7:443"], PROXIES) == \
        "203.0.113.7"
    assert client_address("fd00::2", ["[2001:db8::1]:80"], PROXIES) == "2001:db8::1"
    assert client_address("10.0.0.5", ["10.0.0.7, 10.0.0.8"], PROXIES) == "10.0.0.7"


def seen_client(app_proxies, peer: str, xff: str | None):
    seen = {}

    async def inner(scope, receive, send):
        seen["client"] = scope["client"]

    headers = [(b"x-forwarded-for", xff.encode())] if xff else []
    asyncio.run(ForwardedFor(inner, app_proxies)(
        {"type": "http", "client": (peer, 5000), "headers": headers}, None, None))
    return seen["client"][0]


def test_the_middleware_rewrites_the_client_for_trusted_peers_only():
    assert seen_client(PROXIES, "10.0.0.5", "203.0.113.7") == "203.0.113.7"
    assert seen_client(PROXIES, "192.0.2.1", "203.0.113.7") == "192.0.2.1"
    assert seen_client((), "127.0.0.1", "203.0.113.7") == "127.0.0.1"  # default: ignored
    assert seen_client(PROXIES, "10.0.0.5", None) == "10.0.0.5"


def test_the_server_trusts_no_header_by_default_and_exempts_proxies_from_the_bound(tmp_path):
    from critmin.api.app import create_app

    settings = Settings(trusted_proxies=("10.0.0.0/8",))
    app = create_app(tmp_path / "r.db", settings=settings)
    mw = [m for m in app.user_middleware if m.cls is ForwardedFor]
    assert mw and mw[0].kwargs["proxies"] == parse_networks(["10.0.0.0/8"])
    config = srv.config(app, "127.0.0.1", 8000, settings)
    assert config.proxy_headers is False  # uvicorn would trust 127.0.0.1's header
    assert config.http.proxies == parse_networks(["10.0.0.0/8"])
    with pytest.raises(ValueError, match=r"10\.0\.0\.x"):
        parse_networks(["10.0.0.x"])
