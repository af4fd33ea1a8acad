"""The storage boundary: one Store owns consistency; reading creates and writes nothing;
the columns are defined once; migrations are recorded by name."""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from mem0cli import Memory, cli, doctor
from mem0cli.errors import NotFoundError
from mem0cli.store import facts as facts_mod
from mem0cli.store import migrations
from mem0cli.store.base import Store
from mem0cli.store.local import LocalStore
from mem0cli.store.records import MEMORY_FIELDS, STORED_AS, TURN_FIELDS, MemoryRecord, TurnRecord
from tests.fakes import FakeEmbedder, ScriptedExtractor

runner = CliRunner()


def test_the_embedded_store_implements_the_whole_interface(tmp_path):
    store = LocalStore(tmp_path / "s")  # an ABC with a method left out would refuse to instantiate
    assert isinstance(store, Store) and not store.exists()


def test_reading_a_missing_store_creates_nothing(tmp_path):
    where = tmp_path / "nothing-here"
    memory = Memory(path=where, embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    assert memory.search("anything", user_id="ann") == {"results": []}
    assert memory.get_all(user_id="ann") == {"results": []}
    assert memory.get("0123456789") is None
    assert memory.history("0123456789") == []
    with pytest.raises(NotFoundError):
        memory.expand_id("0123456789")
    assert doctor.check(memory).ok
    memory.compact()
    memory.close()
    assert not where.exists()


@pytest.mark.parametrize(
    "args",
    [["stats"], ["list", "--json"], ["search", "tea", "-u", "ann"], ["get", "0123456789"],
     ["history", "0123456789"], ["export"], ["doctor"]],
)
def test_a_read_command_on_a_missing_store_says_so_and_exits_1(monkeypatch, tmp_path, args):
    where = tmp_path / "missing"
    monkeypatch.setattr(
        cli.state, "make_memory",
        lambda store: Memory(path=where, embedder=FakeEmbedder(), extractor=ScriptedExtractor()),
    )
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == f"mem0cli: error: no store at {where}"
    if args[0] == "list":  # the (empty) data still reaches a pipe as well-formed JSON
        assert json.loads(result.stdout) == {"results": []}
    assert not where.exists()


def test_a_search_never_writes_even_when_the_index_lags(memory):
    memory.add("I keep bees on the roof in Lisbon", user_id="ana", infer=False)
    memory.add("I grow figs in the yard", user_id="ana", infer=False)
    facts = memory.store.facts
    with facts.transaction():  # as a writer killed between SQLite and LanceDB leaves it
        facts.conn.execute("UPDATE memories SET indexed = 0")
    changes, version = facts.conn.total_changes, memory.store.vectors.version()
    files = sorted((p.name, p.stat().st_size) for p in memory.path.rglob("*") if p.is_file())
    for query in ("bees roof", "figs", "Lisbon"):
        assert memory.search(query, user_id="ana")["results"]
    assert facts.conn.total_changes == changes
    assert memory.store.vectors.version() == version
    assert facts.needs_repair()
    assert sorted((p.name, p.stat().st_size) for p in memory.path.rglob("*") if p.is_file()) == files


def test_the_memory_and_turn_columns_are_the_records_fields(memory):
    memory.add("I like tea", user_id="ann", infer=False)
    conn = memory.store.facts.conn
    columns = {table: [r[1] for r in conn.execute(f"PRAGMA table_info({table})")] for table in ("memories", "messages")}
    store_only = {"indexed"}  # whether LanceDB has the row's vector: the store's business
    assert set(columns["memories"]) - store_only == {STORED_AS.get(f, f) for f in MEMORY_FIELDS}
    assert set(columns["messages"]) - store_only - {"kind"} == set(TURN_FIELDS)
    item = memory.get_all(user_id="ann")["results"][0]
    assert set(MEMORY_FIELDS) <= set(item) | {"confirmations", "model", "prompt_version", "expires_at"}


def test_records_read_back_as_written(memory):
    memory.store.create()
    turn = TurnRecord(pk="p1", user_id="ann", role="user", content="I like tea", hash="h1", added_at="2025-01-01",
                      created_at="2025-01-01", updated_at="2025-01-01", metadata={"room": "a"})
    fact = MemoryRecord(id="m1", memory="Ann likes tea", hash="h2", user_id="ann", metadata={"room": "a"},
                        created_at="2025-01-01", updated_at="2025-01-01", said_at="2025-01-01", confirmations=2)
    with memory.store.transaction():
        memory.store.insert_turn(turn, "I like tea")
        memory.store.insert_memory(fact, "Ann likes tea")
        memory.store.link("m1", "p1")
    assert memory.store.turns(["p1"]) == {"p1": turn}
    assert memory.store.rows(["m1"]) == {"m1": fact}
    assert memory.store.sources_of(["m1"]) == {"m1": [turn]}
    assert {(c.key, c.kind) for c in memory.store.keyword_candidates("tea", None, 10)} == {
        ("m1", "fact"), ("p1", "message")
    }


def _old_store(path, version: int) -> None:
    """A database as mem0cli wrote it before migrations were recorded by name: the first
    `version` migrations applied and counted in user_version only."""
    conn = sqlite3.connect(path, isolation_level=None)
    for function in list(migrations.MIGRATIONS.values())[:version]:
        function(conn)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()


@pytest.mark.parametrize("version", [1, 2, 3])
def test_an_older_store_is_migrated_by_name(tmp_path, version):
    db = tmp_path / "memories.db"
    _old_store(db, version)
    store = facts_mod.FactStore(db)
    names = [r[0] for r in store.conn.execute("SELECT name FROM migrations ORDER BY rowid")]
    assert names == list(migrations.MIGRATIONS)
    assert store.schema_version == len(migrations.MIGRATIONS)
    assert "expires_at" in {r[1] for r in store.conn.execute("PRAGMA table_info(memories)")}
    store.close()
    again = facts_mod.FactStore(db)  # current: opening writes nothing
    assert again.conn.total_changes == 0
    again.close()


def test_a_store_with_a_migration_this_version_does_not_know_is_refused(tmp_path):
    db = tmp_path / "memories.db"
    facts_mod.FactStore(db).close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("INSERT INTO migrations(name) VALUES ('m999_from_the_future')")
    conn.close()
    with pytest.raises(Exception, match="newer mem0cli"):
        facts_mod.FactStore(db)


def test_the_keyword_index_follows_every_kind_of_write(memory, extractor):
    extractor.outputs = ['["Ann lives in Oslo"]', '["Ann lives in Bergen"]']
    memory.add("I live in Oslo", user_id="ann")
    moved = memory.add("I moved to Bergen", user_id="ann")["results"][0]["id"]
    memory.add("my key is sk-abcdefghijklmnopqrstuvwx1234", user_id="ann", infer=False)
    memory.update(moved, "Ann lives in Trondheim")
    turn = memory.add("I drink coffee", user_id="bob", infer=False)["results"][0]["id"]
    memory.delete(turn)
    assert doctor.check(memory).ok  # it compares each table with its keyword index
    hits = {c.key for c in memory.store.keyword_candidates("Trondheim", None, 10)}
    assert moved in hits
    assert not {c.key for c in memory.store.keyword_candidates("Bergen", None, 10)} & {moved}
