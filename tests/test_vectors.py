"""The vector store's indexes and bulk writes: search results stay exact where they must."""

from __future__ import annotations

import random

import pytest

from mem0cli import Memory
from mem0cli.search import search_text
from mem0cli.store import vectors as vectors_mod
from mem0cli.store.facts import FactStore
from mem0cli.store.vectors import LanceVectorStore
from tests.fakes import FakeEmbedder

WORDS = [
    "dog", "cat", "seattle", "paris", "piano", "chess", "coffee", "tea", "sushi", "ramen",
    "guitar", "hiking", "boston", "tokyo",
]


def rows(n: int, users: int = 20, start: int = 0) -> list[dict]:
    rng = random.Random(start)
    return [
        {"id": f"m{i}", "kind": "fact", "user_id": f"u{i % users}",
         "text": " ".join(rng.sample(WORDS, 3)) + f" {i}"}
        for i in range(start, start + n)
    ]


def table(path, items: list[dict]) -> LanceVectorStore:
    store = LanceVectorStore(path, FakeEmbedder.dimensions)
    store.append(items, FakeEmbedder().embed_documents([r["text"] for r in items]))
    return store


@pytest.fixture
def small_thresholds(monkeypatch):
    monkeypatch.setattr(vectors_mod, "SCALAR_INDEX_ROWS", 100)
    monkeypatch.setattr(vectors_mod, "ANN_INDEX_ROWS", 300)
    monkeypatch.setattr(vectors_mod, "PARTITION_ROWS", 30)
    monkeypatch.setattr(vectors_mod, "EXACT_SEARCH_ROWS", 50)
    monkeypatch.setattr(vectors_mod, "REINDEX_ROWS", 40)


def index_names(store: LanceVectorStore) -> set[str]:
    return {i.name for i in store._table.list_indices()}


def test_indexes_are_built_past_their_sizes_and_refreshed(tmp_path, small_thresholds):
    store = table(tmp_path / "v", rows(80))
    assert store.maybe_build_index() == []
    store.append(rows(40, start=80), FakeEmbedder().embed_documents([r["text"] for r in rows(40, start=80)]))
    assert set(store.maybe_build_index()) == {"id_idx", "user_id_idx", "agent_id_idx", "run_id_idx"}
    more = rows(200, start=120)
    store.append(more, FakeEmbedder().embed_documents([r["text"] for r in more]))
    assert store.maybe_build_index() == [vectors_mod.VECTOR_INDEX]
    assert store.maybe_build_index() == ["optimize"]  # the B-trees lacked the 200 new rows
    assert store.maybe_build_index() == []  # nothing to do: cheap
    later = rows(50, start=320)
    store.append(later, FakeEmbedder().embed_documents([r["text"] for r in later]))
    assert store.maybe_build_index() == ["optimize"]
    assert all(i.num_unindexed_rows == 0 for i in store._table.list_indices())
    assert store.count() == 370


def test_filtered_search_and_similarities_stay_exact_with_an_ann_index(tmp_path, small_thresholds):
    items = rows(400)
    store = table(tmp_path / "v", items)
    store.maybe_build_index()
    assert vectors_mod.VECTOR_INDEX in index_names(store)
    query = FakeEmbedder().embed_query("dog piano tokyo")
    where = "user_id = 'u3'"  # 20 rows: below EXACT_SEARCH_ROWS, searched exactly
    assert store.search(query, where, 10) == store.search(query, where, 10, exact=True)
    ids = [r["id"] for r in items[::7]]
    sims = store.similarities(query, ids)
    assert set(sims) == set(ids)
    exact = {i: s for i, _k, s in store.search(query, "id IN (" + ", ".join(f"'{i}'" for i in ids) + ")", len(ids), exact=True)}
    assert sims == pytest.approx(exact)


def test_append_matches_upsert(tmp_path):
    items = rows(30)
    vectors = FakeEmbedder().embed_documents([r["text"] for r in items])
    bulk = table(tmp_path / "a", items)
    one = LanceVectorStore(tmp_path / "b", FakeEmbedder.dimensions)
    for item, vector in zip(items, vectors):
        one.upsert([{**item, "vector": vector}])
    query = FakeEmbedder().embed_query("chess coffee")
    every = {i: (k, round(s, 6)) for i, k, s in bulk.search(query, None, 30)}
    assert every == {i: (k, round(s, 6)) for i, k, s in one.search(query, None, 30)}
    assert len(every) == 30
    with pytest.raises(ValueError):
        bulk.append(items, vectors[:-1])


def test_insert_memories_matches_insert_memory(tmp_path):
    memory_rows = [
        {"id": f"m{i}", "memory": f"likes {w}", "hash": f"h{i}", "kind": "fact", "user_id": "u",
         "metadata": {"k": i}, "created_at": "2024-01-01", "updated_at": "2024-01-01",
         "said_at": "2023-05-08" if i % 2 else None}
        for i, w in enumerate(WORDS)
    ]
    texts = [search_text(r["memory"], r["said_at"]) for r in memory_rows]
    bulk, single = FactStore(tmp_path / "a.db"), FactStore(tmp_path / "b.db")
    with bulk.transaction():
        bulk.insert_memories(memory_rows, texts)
    with single.transaction():
        for row, text in zip(memory_rows, texts):
            single.insert_memory(row, text)
    assert bulk.select() == single.select()
    fts = "SELECT m.id, f.body FROM memories_fts f JOIN memories m ON m.rowid = f.rowid ORDER BY m.id"
    assert bulk.conn.execute(fts).fetchall() == single.conn.execute(fts).fetchall()
    assert bulk.keyword_search("memories", '"sushi"', "1", [], 5) == single.keyword_search("memories", '"sushi"', "1", [], 5)


def test_unfiltered_keyword_search_agrees_with_the_filtered_path(memory):
    for i in range(30):
        memory.add(f"I went hiking near lake {i} with my dog", user_id=f"u{i % 3}", infer=False)
    facts = memory.store.facts
    fast = facts.keyword_search("memories", '"hiking" OR "dog"', "1", [], 10)
    slow = facts.keyword_search("memories", '"hiking" OR "dog"', "1 = 1", [], 10)
    assert [round(s, 9) for _, s in fast] == [round(s, 9) for _, s in slow]


class UntiedEmbedder(FakeEmbedder):
    """FakeEmbedder plus a little noise seeded by the text: no two similarities tie, so
    two stores of the same texts must rank them in the same order."""

    def _vector(self, text: str) -> list[float]:
        rng = random.Random(text)
        vec = [x + rng.uniform(-0.01, 0.01) for x in super()._vector(text)]
        norm = sum(x * x for x in vec) ** 0.5
        return [x / norm for x in vec]


def test_a_memory_store_builds_its_indexes_and_searches_the_same(tmp_path, small_thresholds, monkeypatch):
    def fill(path) -> Memory:
        m = Memory(path=path, embedder=UntiedEmbedder())
        for user in range(4):
            for start in range(0, 80, 40):  # 320 rows in 8 writes
                said = [{"role": "user", "content": f"{random.Random(i).choice(WORDS)} fact number {i} of u{user}"}
                        for i in range(start, start + 40)]
                m.add(said, user_id=f"u{user}", infer=False)
        return m

    indexed = fill(tmp_path / "indexed")  # Memory calls maybe_build_index after each write
    assert {"id_idx", "user_id_idx", vectors_mod.VECTOR_INDEX} <= index_names(indexed.store.vectors)
    monkeypatch.setattr(vectors_mod, "SCALAR_INDEX_ROWS", 10**9)
    monkeypatch.setattr(vectors_mod, "ANN_INDEX_ROWS", 10**9)
    plain = fill(tmp_path / "plain")
    assert index_names(plain.store.vectors) == set()
    for query, scope in (("dog", {"user_id": "u1"}), ("piano tokyo", {})):
        got = [r["memory"] for r in indexed.search(query, limit=5, **scope)["results"]]
        assert got == [r["memory"] for r in plain.search(query, limit=5, **scope)["results"]]
    indexed.close()
    plain.close()


def test_small_files_are_merged_every_few_writes_once_indexed(tmp_path, small_thresholds):
    store = table(tmp_path / "v", rows(400))
    assert vectors_mod.VECTOR_INDEX in store.maybe_build_index()
    actions = []
    for i, item in enumerate(rows(60, start=400)):
        store.upsert([{**item, "vector": FakeEmbedder().embed_query(item["text"] + f" {i}")}])
        actions.append("optimize" in store.maybe_build_index())
    # once per COMPACT_FRAGMENTS writes or so, not after every write (files of indexed rows
    # stay apart from newer ones, so counting all small files would optimize every time)
    assert 60 // (2 * vectors_mod.COMPACT_FRAGMENTS) <= sum(actions) <= 60 // vectors_mod.COMPACT_FRAGMENTS + 1
    assert store.count() == 460


def indexed_untied_table(path, items: list[dict]) -> LanceVectorStore:
    """A table of `items` with no two similarities tied, its indexes built."""
    store = LanceVectorStore(path, UntiedEmbedder.dimensions)
    store.append(items, UntiedEmbedder().embed_documents([r["text"] for r in items]))
    store.maybe_build_index()
    return store


def test_a_small_scope_is_searched_in_memory_exactly_and_sees_every_write(tmp_path, small_thresholds):
    store = indexed_untied_table(tmp_path / "v", rows(400))
    query = UntiedEmbedder().embed_query("dog piano tokyo")
    where = "user_id = 'u3'"  # 20 rows: at most EXACT_SEARCH_ROWS, read once and kept
    lance = store._table.search(query).distance_type("cosine").where(where, prefilter=True)
    expected = [(r["id"], 1.0 - r["_distance"]) for r in lance.bypass_vector_index().limit(10).to_list()]
    got = store.search(query, where, 10)
    assert [i for i, _k, _s in got] == [i for i, _s in expected]
    assert [s for _i, _k, s in got] == pytest.approx([s for _i, s in expected], abs=1e-5)
    newest = {"id": "fresh", "kind": "fact", "user_id": "u3", "vector": query}
    store.upsert([newest])  # a new table version: the kept rows are read again
    assert store.search(query, where, 1)[0][0] == "fresh"
    store.delete(["fresh"])
    assert "fresh" not in {i for i, _k, _s in store.search(query, where, 30)}


def test_a_prefetch_on_another_thread_is_used_not_repeated(tmp_path, small_thresholds):
    """Memory.search reads a small filter's rows on a worker while it embeds the query;
    the search that follows gets those rows (once read) and the same results."""
    from concurrent.futures import ThreadPoolExecutor

    store = indexed_untied_table(tmp_path / "v", rows(400))
    query = UntiedEmbedder().embed_query("cat chess paris")
    where = "user_id = 'u7'"
    lance = store._table.search(query).distance_type("cosine").where(where, prefilter=True)
    expected = [r["id"] for r in lance.bypass_vector_index().limit(10).to_list()]
    reads = store.scans_read
    with ThreadPoolExecutor(1) as worker:
        for _ in range(5):
            store.upsert([{"id": "m7", "kind": "fact", "user_id": "u7", "vector": query}])  # a new version each time
            pending = worker.submit(store.prefetch, where)
            got = store.search(query, where, 10)  # during the prefetch or after it
            pending.result()
            assert got[0][0] == "m7" and [i for i, _k, _s in got[1:]] == [i for i in expected if i != "m7"][:9]
    assert store.scans_read - reads == 5


def test_rows_kept_from_a_table_before_reset_are_not_served(tmp_path, small_thresholds):
    store = table(tmp_path / "v", rows(10))
    query = UntiedEmbedder().embed_query("dog piano tokyo")
    assert len(store.search(query, None, 20)) == 10  # kept in memory at this table version
    store.reset()  # the new table counts its versions from the start again
    store.append(rows(3, start=50), UntiedEmbedder().embed_documents([r["text"] for r in rows(3, start=50)]))
    assert {i for i, _k, _s in store.search(query, None, 20)} == {"m50", "m51", "m52"}


def test_similarities_of_kept_rows_match_those_read_by_id(tmp_path, small_thresholds):
    store = indexed_untied_table(tmp_path / "v", rows(400))
    query = UntiedEmbedder().embed_query("sushi boston")
    where = "user_id = 'u4'"
    ids = ["m4", "m24", "m44", "m5", "nope"]  # three of u4's, one of another user, one unknown
    by_id = store.similarities(query, ids)
    assert set(by_id) == {"m4", "m24", "m44", "m5"}
    store.search(query, where, 10)  # keeps u4's rows
    kept = store.similarities(query, ids, where)
    assert kept == pytest.approx(by_id, abs=1e-6)
    store.upsert([{"id": "m4", "kind": "fact", "user_id": "u4", "vector": query}])  # not what was kept
    assert store.similarities(query, ["m4"], where)["m4"] == pytest.approx(1.0, abs=1e-5)
