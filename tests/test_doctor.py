"""doctor: check that SQLite and LanceDB agree, repair what can be rebuilt, reindex."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mem0cli
from mem0cli import Memory, doctor
from mem0cli.store.vectors import LanceVectorStore
from tests.fakes import FakeEmbedder, ScriptedExtractor

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


class SmallEmbedder(FakeEmbedder):
    """Another model: a different id and dimension."""

    model_id = "fake/small"
    dimensions = 32


class LyingEmbedder(FakeEmbedder):
    """The same model id as FakeEmbedder with another dimension (a broken model swap)."""

    dimensions = 48


class NoLoadEmbedder(FakeEmbedder):
    """A model that must not be loaded: any use of it fails the test."""

    model_id = "fake/never-loaded"

    @property
    def dimensions(self) -> int:  # type: ignore[override]
        raise AssertionError("doctor.check loaded the embedding model")

    def embed_documents(self, texts):
        raise AssertionError("doctor.check embedded something")

    def embed_query(self, text):
        raise AssertionError("doctor.check embedded something")


class MiniLMStandIn(FakeEmbedder):
    """Writes a store that claims the bundled model, without loading it."""

    model_id = MINILM
    dimensions = 384


def fill(memory: Memory) -> dict[str, str]:
    """A few memories for two users; returns memory text -> id."""
    ids = {}
    for user, texts in (
        ("alice", ["Alice lives in Seattle", "Alice likes oat milk"]),
        ("bob", ["Bob plays chess"]),
    ):
        for r in memory.add([{"role": "user", "content": t} for t in texts], user_id=user, infer=False)[
            "results"
        ]:
            ids[r["memory"]] = r["id"]
    return ids


def table(memory: Memory) -> LanceVectorStore:
    return LanceVectorStore.open_existing(memory.path / "vectors")


def reopen(memory: Memory, embedder=None) -> Memory:
    memory.close()
    return Memory(path=memory.path, embedder=embedder or FakeEmbedder(), extractor=ScriptedExtractor())


def test_healthy_store_passes(memory):
    fill(memory)
    report = doctor.check(memory)
    assert report.ok, report.problems
    assert report.problems == [] and not report.reindex_needed
    rows = memory.stats()["memories"] + memory.stats()["messages"]
    assert report.counts["rows"] == report.counts["indexed"] == report.counts["vectors"] == rows == 6
    assert doctor.repair(memory) == []


def test_empty_and_new_store_passes(memory):
    assert doctor.check(memory).ok


def test_missing_vector_is_found_and_reembedded(memory):
    ids = fill(memory)
    gone = ids["Alice lives in Seattle"]
    table(memory).delete([gone])
    report = doctor.check(memory)
    assert not report.ok and report.missing == [gone]
    assert any("no vector" in p for p in report.problems)
    fixed = doctor.repair(memory)
    assert fixed and any("indexed 1 rows" in f for f in fixed)
    assert doctor.check(memory).ok
    assert gone in table(memory).ids()
    hits = memory.search("Seattle", user_id="alice", memory_type="fact")["results"]
    assert hits[0]["id"] == gone


def test_orphan_vector_is_dropped(memory):
    ids = fill(memory)
    vector = table(memory).vectors_of([ids["Bob plays chess"]])[ids["Bob plays chess"]]
    table(memory).upsert([{"id": "ghost", "vector": vector, "kind": "fact", "user_id": "bob"}])
    report = doctor.check(memory)
    assert not report.ok and report.orphans == ["ghost"]
    assert doctor.repair(memory) == ["dropped 1 orphan vectors"]
    assert doctor.check(memory).ok
    assert "ghost" not in table(memory).ids()


def test_unindexed_rows_are_reported_and_indexed_by_the_next_write(memory):
    ids = fill(memory)
    memory.store.facts.conn.execute("UPDATE memories SET indexed = 0 WHERE id = ?", [ids["Bob plays chess"]])
    report = doctor.check(memory)
    assert not report.ok and report.unindexed == [ids["Bob plays chess"]]
    memory.add("Bob likes tea", user_id="bob", infer=False)  # Memory repairs the index on every write
    assert doctor.check(memory).ok


def test_vector_with_another_users_scope_is_reindexed(memory):
    ids = fill(memory)
    mid = ids["Alice likes oat milk"]
    vector = table(memory).vectors_of([mid])[mid]
    table(memory).upsert([{"id": mid, "vector": vector, "kind": "fact", "user_id": "mallory"}])
    report = doctor.check(memory)
    assert not report.ok and report.stale == [mid]
    assert doctor.repair(memory)
    assert doctor.check(memory).ok
    assert memory.search("oat milk", user_id="alice", memory_type="fact")["results"][0]["id"] == mid


def test_duplicate_vector_rows_are_collapsed(memory):
    import lancedb

    ids = fill(memory)
    mid = ids["Bob plays chess"]
    vector = table(memory).vectors_of([mid])[mid]
    lancedb.connect(str(memory.path / "vectors")).open_table("memories").add(
        [{"id": mid, "vector": vector, "kind": "fact", "user_id": "bob"}]
    )
    report = doctor.check(memory)
    assert not report.ok and report.duplicates == [mid]
    doctor.repair(memory)
    assert doctor.check(memory).ok
    assert table(memory).count() == 6


def test_model_mismatch_fails_and_only_reindex_fixes_it(memory):
    fill(memory)
    other = reopen(memory, SmallEmbedder())
    report = doctor.check(other)
    assert not report.ok and report.reindex_needed
    assert any("fake/hashed-words" in p and "fake/small" in p and "reindex" in p for p in report.problems)
    doctor.repair(other)
    assert not doctor.check(other).ok
    assert doctor.reindex(other) == 6
    assert doctor.check(other).ok
    other.close()


def test_check_does_not_load_the_model(memory):
    fill(memory)
    other = reopen(memory, NoLoadEmbedder())
    report = doctor.check(other)
    assert not report.ok and any("fake/never-loaded" in p for p in report.problems)
    other.close()


def test_check_with_the_bundled_model_does_not_load_it(memory):
    stand_in = reopen(memory, MiniLMStandIn())
    fill(stand_in)
    stand_in.close()
    code = (
        "import sys; from mem0cli import Memory, doctor; report = doctor.check(Memory(sys.argv[1])); "
        "print(report.ok, [m for m in ('torch', 'sentence_transformers') if m in sys.modules])"
    )
    root = Path(mem0cli.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(memory.path)], capture_output=True, text=True, env=env, check=False
    )
    assert out.stdout.strip() == "True []", (out.stdout, out.stderr[-500:])


def test_dimension_mismatch_is_reported(memory):
    fill(memory)
    lying = reopen(memory, LyingEmbedder())
    report = doctor.check(lying)
    assert not report.ok and report.reindex_needed
    assert any("64-dimensional" in p and "48" in p for p in report.problems)
    assert doctor.reindex(lying) == 6
    assert doctor.check(lying).ok
    assert table(lying).dimensions == 48
    lying.close()


def test_reindex_after_changing_the_embedder_rebuilds_with_the_new_dimension(memory):
    ids = fill(memory)
    assert table(memory).dimensions == 64
    small = reopen(memory, SmallEmbedder())
    with pytest.raises(Exception, match="reindex"):
        small.search("Seattle", user_id="alice")
    assert doctor.reindex(small) == 6
    assert table(small).dimensions == 32
    assert small.store.facts.get_meta("embed_model") == "fake/small"
    report = doctor.check(small)
    assert report.ok, report.problems
    assert report.counts["vectors"] == 6
    hits = small.search("Seattle", user_id="alice", memory_type="fact")["results"]
    assert hits[0]["id"] == ids["Alice lives in Seattle"]
    assert {h["user_id"] for h in small.search("chess", user_id="bob")["results"]} == {"bob"}
    small.close()


def test_reindex_of_an_empty_store_creates_the_table(memory):
    assert doctor.reindex(memory) == 0
    assert table(memory).dimensions == 64
    assert doctor.check(memory).ok


def test_store_from_a_newer_version_is_fatal_and_left_alone(memory):
    fill(memory)
    memory.store.facts.conn.execute("PRAGMA user_version = 99")
    newer = reopen(memory)
    report = doctor.check(newer)
    assert not report.ok and report.fatal
    assert any("newer mem0cli" in p for p in report.problems)
    assert doctor.repair(newer) == []
    newer.close()


def test_damaged_database_is_fatal(memory):
    fill(memory)
    for i in range(30):
        memory.add(f"filler number {i} " + "x" * 2000, user_id="carol", infer=False)
    memory.compact()
    memory.close()
    db = memory.path / "memories.db"
    data = bytearray(db.read_bytes())
    page = 4096
    for start in range(page, len(data), 2 * page):  # scribble over b-tree page headers
        data[start : start + 16] = b"\xa5" * 16
    db.write_bytes(bytes(data))
    damaged = reopen(memory)
    report = doctor.check(damaged)
    assert not report.ok and report.fatal, report.problems
    assert doctor.repair(damaged) == []
    damaged.close()


def test_forget_keeps_the_stores_in_agreement(memory):
    ids = fill(memory)
    memory.delete(ids["Bob plays chess"])
    memory.delete_all(user_id="alice")
    report = doctor.check(memory)
    assert report.ok, report.problems
    assert report.counts["vectors"] == report.counts["rows"]
