"""The PostgreSQL store through the `Store` interface, on a real server with pgvector."""

from __future__ import annotations

import pytest

from mem0cli.config import is_store_url as is_url
from mem0cli.errors import StoreError
from mem0cli.filters import parse_filter, scope_filter
from mem0cli.search import turn_texts
from mem0cli.store.postgres import PostgresStore, redacted
from mem0cli.store.records import Deletion, HistoryEvent, MemoryRecord, TurnRecord
from tests.fakes import FakeEmbedder
from tests.test_filters import HOSTILE

EMBED = FakeEmbedder()
AT = "2026-01-01T00:00:00+00:00"


def memory(i: str, text: str, user: str | None = "alice", **kw) -> MemoryRecord:
    return MemoryRecord(id=i, memory=text, hash=f"h-{text}", user_id=user, created_at=AT, updated_at=AT, **kw)


def turn(pk: str, text: str, user: str | None = "alice", **kw) -> TurnRecord:
    return TurnRecord(pk=pk, role="user", content=text, hash=f"t-{text}", added_at=AT, user_id=user, **kw)


@pytest.fixture
def store(pg_url):
    s = PostgresStore(pg_url)
    yield s
    s.close()


def write(store: PostgresStore, memories=(), turns=(), links=()) -> None:
    """What Memory's write pipeline does: rows in one transaction, then their vectors."""
    store.create()
    with store.write_lock(), store.transaction():
        for t in turns:
            store.insert_turn(t, t.content)
        for m in memories:
            store.insert_memory(m, m.memory)
            store.add_history(HistoryEvent(memory_id=m.id, event="ADD", new_memory=m.memory, created_at=AT,
                                           user_id=m.user_id))
        for mid, pk in links:
            store.link(mid, pk)
    keys = {**{m.id: m.memory for m in memories}, **{t.pk: t.content for t in turns}}
    with store.write_lock():
        store.index(dict(zip(keys, EMBED.embed_documents(list(keys.values())))), EMBED.dimensions)


def test_urls_choose_postgres_and_passwords_stay_out_of_messages() -> None:
    assert is_url("postgresql://u:p@h/db") and is_url("postgres://h/db") and not is_url("/tmp/store")
    assert redacted("postgresql://bob:s3cret@db.example/mem") == "postgresql://bob:***@db.example/mem"


def test_a_missing_store_reads_as_empty_and_creates_nothing(store) -> None:
    assert not store.exists() and store.is_empty() and store.select(None) == [] and store.counts().memories == 0
    assert store.vector_candidates(EMBED.embed_query("x"), None, 5) == []
    store.reset()
    assert not store.exists()
    store.create()
    store.create()  # again: nothing to migrate
    assert store.exists() and store.schema_version == 2  # m001 tables, m002 graph


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    s = PostgresStore("postgresql://bob:s3cret@/nodb?host=/nonexistent-dir")
    with pytest.raises(StoreError) as info:
        s.exists()
    assert "s3cret" not in str(info.value) and "\n" not in str(info.value)


def test_write_read_search_and_scopes(store) -> None:
    write(store,
          memories=[memory("m1", "Alice likes green tea", metadata={"room": "r1", "n": 2}),
                    memory("m2", "Bob likes black coffee", user="bob")],
          turns=[turn("t1", "I like green tea"), turn("t2", "coffee please", user="bob")],
          links=[("m1", "t1")])
    assert store.rows(["m1", "nope"])["m1"].metadata == {"room": "r1", "n": 2}
    assert [m.id for m in store.select(scope_filter(user_id="alice"))] == ["m1"]
    assert [m.id for m in store.select(parse_filter({"n": {"gt": 1}}))] == ["m1"]
    assert store.source_pks(["m1"]) == {"m1": ["t1"]}
    assert [t.pk for t in store.sources_of(["m1"])["m1"]] == ["t1"]
    alice = scope_filter(user_id="alice")
    hits = store.vector_candidates(EMBED.embed_query("green tea"), alice, 10)
    assert {h.key for h in hits} == {"m1", "t1"} and {h.kind for h in hits} == {"fact", "message"}
    assert all(h.key in ("m1", "t1") for h in hits)
    words = store.keyword_candidates("where is the coffee?", None, 10)
    assert {h.key for h in words} == {"m2", "t2"}
    assert store.keyword_candidates("coffee", alice, 10) == []
    assert store.similarities(EMBED.embed_query("green tea"), ["m1", "m2"], alice).keys() == {"m1"}
    assert store.nearest_facts(EMBED.embed_query("coffee"), {"user_id": "bob"}, 3)[0][0] == "m2"
    assert store.find_by_hash("h-Alice likes green tea", {"user_id": "alice"})[0].id == "m1"
    assert store.find_by_hash("h-Alice likes green tea", {"user_id": "alice", "run_id": "r"}) == []
    assert store.history(["m1"])["m1"][0].event == "ADD"
    assert store.counts().memories == 2 and store.has_facts() and not store.needs_repair()


@pytest.mark.parametrize("text", HOSTILE)
def test_no_hostile_filter_value_reads_another_scope(store, text: str) -> None:
    write(store, memories=[memory("a", "alice's secret"), memory("b", "bob's secret", user="bob")])
    for extra in ({"user_id": text}, {"OR": [{"user_id": "bob"}, {"k": text}]}, {"NOT": {"user_id": text}},
                  {text[:256] or "k": {"icontains": text}}, {"user_id": {"nin": [text]}}):
        tree = scope_filter(user_id="alice", filters=extra)
        assert {m.id for m in store.select(tree)} <= {"a"}
        assert {c.key for c in store.vector_candidates(EMBED.embed_query("secret"), tree, 10)} <= {"a"}
        assert {c.key for c in store.keyword_candidates("secret " + text[:50], tree, 10)} <= {"a"}


def test_turn_order_neighbours_and_search_texts(store) -> None:
    write(store, turns=[turn("t1", "first"), turn("x", "other scope", user="bob"), turn("t2", "second"),
                        turn("t3", "third")])
    assert store.previous_turns(["t1", "t2", "t3"]) == {"t2": "t1", "t3": "t2"}
    assert store.next_turns(["t1"]) == ["t2"]
    assert store.last_turn({"user_id": "alice"}) == "t3" and store.last_turn({"user_id": "carol"}) is None
    assert store.in_stored_order(["t3", "t1", "zz"]) == ["t1", "t3"]
    assert "first" in turn_texts(store, ["t2"])["t2"]


def test_erase_removes_text_everywhere_and_leaves_proof(store) -> None:
    write(store, memories=[memory("m1", "my passport number is 123"), memory("m2", "I like tea")],
          turns=[turn("t1", "passport 123"), turn("t2", "tea"), turn("t3", "later")],
          links=[("m1", "t1"), ("m2", "t2")])
    store.erase(["m1"], {"user_id": "alice"}, "asked", at=AT)
    texts = " ".join(t for *_, t in store.stored_texts())
    assert "passport" not in texts and "tea" in texts
    assert store.rows(["m1"]) == {} and store.turns(["t1"]) == {}
    assert [(t.id, t.user_id) for t in store.tombstones()] == [("m1", "alice")]
    assert store.deletions() == [Deletion({"user_id": "alice"}, 1, ["h-my passport number is 123"], AT, "asked")]
    assert all(e.old_memory is None and e.new_memory is None for e in store.history(["m1"])["m1"])
    assert store.keyword_candidates("passport", None, 5) == []


def test_repair_indexes_what_a_killed_write_left(store) -> None:
    write(store, memories=[memory("m1", "tea")])
    with store.write_lock(), store.transaction():
        store.insert_memory(memory("m2", "coffee"), "coffee")
        store.insert_turn(turn("t1", "coffee now"), "coffee now")
    assert store.needs_repair()
    with store.write_lock():
        assert store.repair(EMBED.embed_documents, EMBED.dimensions) == 2
    assert not store.needs_repair()
    assert store.check(EMBED.model_id, lambda: EMBED.dimensions).ok
    assert store.vector_candidates(EMBED.embed_query("coffee"), None, 1)[0].key in ("m2", "t1")


def test_the_model_is_recorded_and_a_mismatch_refused(store) -> None:
    store.create()
    store.check_model(EMBED.model_id, record=True)
    store.check_model(EMBED.model_id)
    with pytest.raises(StoreError, match="reindex"):
        store.check_model("other/model")
    write(store, memories=[memory("m1", "tea")])
    with pytest.raises(StoreError, match="dimensions"):
        store.index({"m1": [1.0, 0.0]}, 2)
    assert store.drop_vectors("other/model", 2) == 1 and store.needs_repair()
    store.index({"m1": [1.0, 0.0]}, 2)  # the new model's dimension
    assert store.vectors_of(["m1"]) == {"m1": [1.0, 0.0]}


def test_write_lock_is_one_writer_across_connections(pg_url) -> None:
    a, b = PostgresStore(pg_url), PostgresStore(pg_url)
    try:
        with a.write_lock() as held:
            assert held
            with b.write_lock(wait=False) as other:
                assert other is False
            with a.write_lock():  # re-entrant
                pass
        with b.write_lock(wait=False) as other:
            assert other is True
    finally:
        a.close()
        b.close()


def test_a_failed_transaction_leaves_nothing(store) -> None:
    store.create()
    with pytest.raises(RuntimeError), store.transaction():
        store.insert_memory(memory("m1", "tea"), "tea")
        raise RuntimeError("boom")
    assert store.is_empty()


def test_reset_and_compact(store) -> None:
    write(store, memories=[memory("m1", "tea")], turns=[turn("t1", "tea")])
    store.compact()
    store.reset()
    assert store.is_empty() and store.exists()


# -- Memory on PostgreSQL: the counterparts of the local-only tests (conftest.LOCAL_ONLY) --------
@pytest.fixture
def team(pg_url, extractor):
    from mem0cli import Memory

    m = Memory(url=pg_url, embedder=FakeEmbedder(), extractor=extractor)
    yield m
    m.close()


def test_delete_all_is_scoped_and_erases_text_and_vectors(team, extractor) -> None:
    extractor.outputs = ['["Alice uses the codeword Zanzibarqux"]', '["Bob lives in Austin"]']
    team.add([{"role": "user", "content": "My codeword is Zanzibarqux", "id": "s1"}], user_id="alice")
    team.add("I live in Austin", user_id="bob")
    assert team.delete_all(user_id="alice")["deleted"] == 1
    assert {t.user_id for t in team.store.select_turns(None)} == {"bob"}
    assert all("Zanzibarqux" not in text for *_, text in team.store.stored_texts())
    keys = [m.id for m in team.store.select(None)] + [t.pk for t in team.store.select_turns(None)]
    assert len(keys) == 2 and set(team.store.vectors_of(keys)) == set(keys)  # bob's fact and message
    proof = team.store.deletions()[0]
    assert proof.count == 1 and len(proof.hashes) == 1 and proof.scope == {"user_id": "alice"}
    assert team.search("codeword Zanzibarqux", user_id="alice")["results"] == []


def test_rows_left_unindexed_by_a_killed_writer_are_repaired(team, extractor) -> None:
    extractor.outputs = ['["Alice likes tea"]']
    mid = team.add("I like tea", user_id="alice")["results"][0]["id"]
    with team.store.transaction():
        team.store.set_memory_text(mid, "Alice likes tea", "h", "Alice likes tea", AT)  # vector dropped
    assert team.store.needs_repair() and team.store.vectors_of([mid]) == {}
    assert team.repair() >= 1
    assert team.search("tea", user_id="alice")["results"][0]["id"] == mid


def test_reset_empties_the_team_store(team, extractor) -> None:
    extractor.outputs = ['["Alice likes tea"]']
    team.add("I like tea", user_id="alice")
    team.reset()
    assert team.get_all()["results"] == [] and team.store.is_empty() and team.store.counts().history_events == 0


def test_a_mem0_pgvector_config_opens_the_team_store(pg_server, pg_url) -> None:
    from mem0cli import Memory
    from mem0cli.config import pgvector_url

    assert pgvector_url({"user": "bob", "password": "p@ss", "host": "db", "port": 5433, "dbname": "mem"}) == (
        "postgresql://bob:p%40ss@db:5433/mem"
    )
    m = Memory.from_config({"vector_store": {"provider": "pgvector", "config": {"connection_string": pg_url}}})
    assert isinstance(m.store, PostgresStore) and m.store.url == pg_url
    m.close()


def test_doctor_finds_a_lost_vector_and_repair_makes_it_again(team, extractor, monkeypatch) -> None:
    from typer.testing import CliRunner

    from mem0cli import cli

    extractor.outputs = ['["Alice likes tea"]']
    mid = team.add("I like tea", user_id="alice")["results"][0]["id"]
    team.store.conn.execute("UPDATE memories SET embedding = NULL")  # damage the server kept no record of
    monkeypatch.setattr(cli.state, "make_memory", lambda _store: team)
    runner = CliRunner()
    found = runner.invoke(cli.app, ["doctor"])
    assert found.exit_code == 1 and "have no vector" in found.stdout
    fixed = runner.invoke(cli.app, ["doctor", "--repair"])
    assert fixed.exit_code == 0, fixed.output
    assert set(team.store.vectors_of([mid])) == {mid}
    assert runner.invoke(cli.app, ["compact"]).exit_code == 0
