"""Bearer tokens: name, scopes, expiry; stored as SHA-256 hashes in a private file.

The token store is ``<db>.tokens.json`` beside the results store, mode 0600 (owner only),
rewritten atomically under a file lock. Only the SHA-256 of each token is kept: tokens
are 256-bit random strings, so the hash cannot be reversed or guessed. Scopes: ``read``
(results when the server runs with ``--private``), ``write`` (create scenarios, submit and
cancel one's own jobs), ``admin`` (cancel or overwrite anyone's work).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from critmin.store.lock import lock_for

SCOPES = ("read", "write", "admin")
DEFAULT_SCOPES = ("read", "write")
DEFAULT_EXPIRY_DAYS = 365
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
"""Token names: 1-64 characters, letters, digits and ``_ . @ -``, not starting with a sign."""


class TokenError(ValueError):
    """A token request that cannot be honoured (bad name, unknown scope, unknown token)."""


@dataclass(frozen=True)
class Identity:
    """Who a request comes from."""

    name: str
    scopes: tuple[str, ...]
    group: str | None = None
    """Tokens of one group see each other's runs, jobs and scenarios under ``--private``."""

    def can(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


def tokens_path(db_path) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ".tokens.json")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {"tokens": []}


def _write(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def create_token(db_path, name: str, scopes=DEFAULT_SCOPES,
                 expires_days: float | None = DEFAULT_EXPIRY_DAYS,
                 group: str | None = None) -> str:
    """Create (or replace) the token called ``name``, optionally in ``group`` (tokens of a
    group see each other's work under ``--private``); returns the plain token once."""
    if not NAME_PATTERN.match(name or ""):
        raise TokenError(f"token name {name!r} is not allowed: use 1-64 letters, digits or "
                         "_ . @ - (starting with a letter or digit)")
    if group is not None and not NAME_PATTERN.match(group):
        raise TokenError(f"group name {group!r} is not allowed: use 1-64 letters, digits or "
                         "_ . @ - (starting with a letter or digit)")
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise TokenError(f"unknown scope(s) {', '.join(bad) or '(none given)'}; choose from "
                         f"{', '.join(SCOPES)}")
    if expires_days is not None and not 0 < expires_days <= 36500:
        raise TokenError("expiry must be between 0 and 36,500 days")
    token = "cm_" + secrets.token_urlsafe(32)
    path = tokens_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with lock_for(path.with_name(path.name + ".lock"), "token store").hold():
        data = _read(path)
        data["tokens"] = [t for t in data["tokens"] if t["name"] != name]
        created = _now()
        expires = None if expires_days is None else created + dt.timedelta(days=expires_days)
        data["tokens"].append({
            "name": name, "sha256": _hash(token), "scopes": sorted(set(scopes),
                                                                   key=SCOPES.index),
            "created_at": created.isoformat(), "group": group,
            "expires_at": None if expires is None else expires.isoformat()})
        _write(path, data)
    return token


def list_tokens(db_path) -> list[dict]:
    """Every token's name, scopes, creation, expiry and whether it expired (no hashes)."""
    now = dt.datetime.now(dt.UTC)
    out = []
    for t in _read(tokens_path(db_path))["tokens"]:
        exp = t.get("expires_at")
        out.append({"name": t["name"], "scopes": t["scopes"], "group": t.get("group"),
                    "created_at": t["created_at"],
                    "expires_at": exp,
                    "expired": exp is not None and dt.datetime.fromisoformat(exp) <= now})
    return out


def revoke_token(db_path, name: str) -> None:
    """Delete the token called ``name``; raises TokenError if there is none."""
    path = tokens_path(db_path)
    with lock_for(path.with_name(path.name + ".lock"), "token store").hold():
        data = _read(path)
        kept = [t for t in data["tokens"] if t["name"] != name]
        if len(kept) == len(data["tokens"]):
            raise TokenError(f"no token named {name!r}")
        data["tokens"] = kept
        _write(path, data)


class TokenBook:
    """Token lookups for the server: the file is re-read when it changes (revocations
    take effect at once), and compared in constant time."""

    def __init__(self, db_path):
        self.path = tokens_path(db_path)
        self._stamp = None
        self._by_hash: dict[str, dict] = {}

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            data = _read(self.path) if stamp else {"tokens": []}
            self._by_hash = {t["sha256"]: t for t in data["tokens"]}
            self._stamp = stamp

    def identify(self, token: str | None) -> Identity | None:
        """The identity of a valid, unexpired token; None otherwise."""
        if not token or len(token) > 256:
            return None
        self._refresh()
        digest = _hash(token)
        for h, t in self._by_hash.items():
            if hmac.compare_digest(h, digest):
                exp = t.get("expires_at")
                if exp is not None and dt.datetime.fromisoformat(exp) <= dt.datetime.now(dt.UTC):
                    return None
                return Identity(t["name"], tuple(t["scopes"]), t.get("group"))
        return None

    def group_of(self, name: str | None) -> str | None:
        """The group of the token called ``name`` (None: no such token or no group)."""
        self._refresh()
        for t in self._by_hash.values():
            if t["name"] == name:
                return t.get("group")
        return None


def token_name(db_path, token: str) -> str | None:
    """Name of a valid token, or None."""
    ident = TokenBook(db_path).identify(token)
    return None if ident is None else ident.name
