"""Shared fixtures: every test gets its own store directory and no model settings."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mem0cli import Memory
from tests.fakes import FakeEmbedder, ScriptedExtractor

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["tests.pg"]  # pg_server, pg_url: a real PostgreSQL for the tests


def _shared_data() -> Path:
    """The developers' data (transcripts, real exports): $MEM0CLI_SHARED_DATA, else
    ../shared/data beside this checkout, else beside the repository this one was cloned
    from (a clone made elsewhere, e.g. in a temporary directory)."""
    if os.environ.get("MEM0CLI_SHARED_DATA"):
        return Path(os.environ["MEM0CLI_SHARED_DATA"])
    beside = ROOT.parent / "shared" / "data"
    if beside.is_dir():
        return beside
    origin = subprocess.run(
        ["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()
    if origin and Path(origin).is_dir():
        return Path(origin).resolve().parent / "shared" / "data"
    return beside


SHARED = _shared_data()


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("MEM0CLI_HOME", str(home))
    for var in ("MEM0CLI_STORE_URL", "MEM0CLI_LLM_MODEL", "MEM0CLI_LLM_URL", "MEM0CLI_LLM_ALLOW_REMOTE", "MEM0CLI_LLM_TIMEOUT",
                "MEM0CLI_LLM_THREADS", "MEM0CLI_EXTRACTION", "MEM0CLI_EMBED_MODEL", "MEM0CLI_UPDATE_POLICY", "MEM0CLI_SECRETS",
                "MEM0CLI_GRAPH", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def extractor() -> ScriptedExtractor:
    return ScriptedExtractor()


#: Modules whose tests run on both backends: the embedded store and PostgreSQL.
BOTH_STORES = ("test_memory", "test_corrections", "test_backup", "test_fuzz", "test_mem0_args", "test_store_shared", "test_graph_store")


#: Tests of those modules that look inside the embedded store's files (LanceDB, SQLite); their
#: PostgreSQL counterparts are in test_store_postgres.py.
LOCAL_ONLY = frozenset({
    "test_delete_all_is_scoped_and_erases_messages", "test_vectors_missing_after_a_crash_are_repaired",
    "test_reset_empties_store", "test_forgotten_text_leaves_every_file_of_the_store",
})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The shared behaviour tests (those of `BOTH_STORES` that use `memory`) run once per backend."""
    if "store_backend" in metafunc.fixturenames and metafunc.module.__name__.split(".")[-1] in BOTH_STORES:
        local_only = metafunc.function.__name__ in LOCAL_ONLY
        metafunc.parametrize("store_backend", ["local"] if local_only else ["local", "postgres"], indirect=True)


@pytest.fixture
def store_backend(request) -> str:
    """"local" (the store directory) or "postgres" (a fresh database on the session's server)."""
    return getattr(request, "param", "local")


@pytest.fixture
def memory(isolated_home, extractor, store_backend, request) -> Memory:
    if store_backend == "postgres":
        m = Memory(url=request.getfixturevalue("pg_url"), embedder=FakeEmbedder(), extractor=extractor)
    else:
        m = Memory(path=isolated_home, embedder=FakeEmbedder(), extractor=extractor)
    yield m
    m.close()
