"""Bearer tokens for write requests, stored hashed (SHA-256) in the results store."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import duckdb

SCHEMA = """CREATE TABLE IF NOT EXISTS tokens (name VARCHAR PRIMARY KEY, token_sha256 VARCHAR,
created_at TIMESTAMP)"""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db_path, name: str) -> str:
    """Create (or replace) the token called ``name``; returns the plain token once."""
    token = "cm_" + secrets.token_urlsafe(32)
    with duckdb.connect(str(db_path)) as con:
        con.execute(SCHEMA)
        con.execute("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?)",
                    [name, _hash(token), dt.datetime.now(dt.UTC).replace(tzinfo=None)])
    return token


def token_name(db_path, token: str) -> str | None:
    """Name of the token, or None if unknown."""
    with duckdb.connect(str(db_path)) as con:
        con.execute(SCHEMA)
        row = con.execute("SELECT name FROM tokens WHERE token_sha256 = ?",
                          [_hash(token)]).fetchone()
    return row[0] if row else None
