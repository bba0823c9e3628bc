"""Tokens and ownership against the real server: every write route refuses a missing,
wrong, read-only or revoked token; token B cannot cancel or overwrite A's work; the token
store is private and holds no plaintext token."""

from __future__ import annotations

import stat
import subprocess
import uuid

import httpx
import pytest

from critmin.api.auth import create_token, list_tokens, revoke_token, tokens_path

from ..test_cli import run
from .test_http import spec


def cli(*args: str) -> subprocess.CompletedProcess:
    """`critmin ARGS` in this process (tests.test_cli.run: exit status, stdout and stderr as
    the real command's, an uncaught exception as status 1 with its traceback): a fresh
    interpreter per call added ~2.5 s of imports and tested nothing more."""
    return run(*args)


@pytest.fixture
def api(server):
    with httpx.Client(base_url=server["url"], timeout=60) as c:
        yield c


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def new_token(server, scopes=("read", "write")) -> str:
    return create_token(server["db"], f"u{uuid.uuid4().hex[:8]}", scopes)


def a_job(api, token: str, samples: int = 100_000) -> str:
    r = api.post("/api/jobs/simulate", headers=bearer(token),
                 json={"scenario": spec(), "samples": samples, "seed": 3})
    assert r.status_code == 202, r.text
    return r.json()["id"]


@pytest.fixture(scope="module")
def small_job(server):
    with httpx.Client(base_url=server["url"], timeout=60) as c:
        return a_job(c, server["token"], samples=16)


WRITES = [
    ("POST", "/api/scenarios", lambda: spec()),
    ("POST", "/api/jobs/simulate", lambda: {"scenario": spec(), "samples": 16}),
    ("POST", "/api/jobs/optimize", lambda: {"samples": 16}),
    ("DELETE", "/api/jobs/{job}", None),
    ("POST", "/api/jobs/{job}/resume", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES,
                         ids=[f"{m} {p}" for m, p, _ in WRITES])
@pytest.mark.parametrize("who", ["none", "wrong", "read-only", "revoked", "expired"])
def test_every_write_route_needs_a_write_token(api, server, small_job, method, path, body,
                                              who):
    job = small_job if "{job}" in path else None
    headers = {}
    if who == "wrong":
        headers = bearer("cm_" + "x" * 43)
    elif who == "read-only":
        headers = bearer(new_token(server, ("read",)))
    elif who == "revoked":
        name = f"r{uuid.uuid4().hex[:8]}"
        token = create_token(server["db"], name)
        revoke_token(server["db"], name)
        headers = bearer(token)
    elif who == "expired":
        headers = bearer(create_token(server["db"], f"e{uuid.uuid4().hex[:8]}",
                                      expires_days=1e-9))
    r = api.request(method, path.format(job=job), headers=headers,
                    json=body() if body else None)
    assert r.status_code == (403 if who == "read-only" else 401), r.text
    assert isinstance(r.json()["detail"], str)


def test_token_b_cannot_cancel_or_overwrite_a_but_admin_can(api, server):
    a, b = new_token(server), new_token(server)
    admin = new_token(server, ("admin",))
    body = spec()
    assert api.post("/api/scenarios", json=body, headers=bearer(a)).status_code == 201
    changed = {**body, "name": "taken over"}
    r = api.post("/api/scenarios", json=changed, headers=bearer(b))
    assert r.status_code == 403 and "belongs to" in r.json()["detail"]
    assert api.get(f"/api/scenarios/{body['id']}").json()["name"] == "test"
    assert api.post("/api/scenarios", json=changed, headers=bearer(a)).status_code == 201
    job = a_job(api, a)
    r = api.delete(f"/api/jobs/{job}", headers=bearer(b))
    assert r.status_code == 403
    assert api.get(f"/api/jobs/{job}").json()["status"] in ("queued", "running")
    r = api.delete(f"/api/jobs/{job}", headers=bearer(admin))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert api.post(f"/api/jobs/{job}/resume", headers=bearer(b)).status_code == 403


def test_token_store_is_private_and_holds_no_plaintext_token(server):
    token = server["token"]
    path = tokens_path(server["db"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for f in server["db"].parent.rglob("*"):
        if f.is_file():
            assert token.encode() not in f.read_bytes(), f
    assert all("sha256" not in t for t in list_tokens(server["db"]))


def test_token_cli_create_list_revoke(tmp_path):
    db = str(tmp_path / "r.db")
    for bad in ("", " ", "=cmd", "a" * 65):
        r = cli("token", "create", bad, "--db", db)
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = cli("token", "create", "alice", "--scope", "read", "--scope", "sudo", "--db", db)
    assert r.returncode == 2 and "unknown scope" in r.stderr
    r = cli("token", "create", "alice", "--scope", "read", "--expires-days", "30", "--db", db)
    assert r.returncode == 0 and r.stdout.strip().startswith("cm_")
    r = cli("token", "list", "--json", "--db", db)
    rows = __import__("json").loads(r.stdout)
    assert [(t["name"], t["scopes"], t["expired"]) for t in rows] == [("alice", ["read"], False)]
    assert cli("token", "revoke", "alice", "--db", db).returncode == 0
    r = cli("token", "revoke", "alice", "--db", db)
    assert r.returncode == 2 and "no token named 'alice'" in r.stderr
