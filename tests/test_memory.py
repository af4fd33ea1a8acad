"""The Python API with a deterministic embedder and a scripted extractor."""

from __future__ import annotations

import pytest

from mem0cli import InputError, Memory, NotFoundError
from tests.fakes import FakeEmbedder, ScriptedExtractor


def test_add_stores_extracted_facts_with_sources(memory, extractor):
    extractor.outputs = ['["Alice lives in Seattle", "Alice likes oat milk lattes"]']
    result = memory.add(
        [{"role": "user", "content": "I live in Seattle and love oat milk lattes", "id": "m1",
          "created_at": "2025-03-01T10:00:00Z"}],
        user_id="alice",
    )
    events = [r["event"] for r in result["results"]]
    assert events == ["ADD", "ADD"]
    item = memory.get(result["results"][0]["id"])
    assert item["memory"] == "Alice lives in Seattle"
    assert item["user_id"] == "alice" and item["sources"] == ["m1"]
    assert item["said_at"].startswith("2025-03-01")
    assert item["evidence"][0]["content"] == "I live in Seattle and love oat milk lattes"
    assert set(item) >= {"id", "memory", "hash", "user_id", "agent_id", "run_id", "metadata",
                         "created_at", "updated_at", "sources"}


def test_exact_and_near_duplicates_are_not_stored_twice(memory, extractor):
    extractor.outputs = ['["Alice lives in Seattle"]', '["alice lives in seattle."]']
    first = memory.add("I live in Seattle", user_id="alice")["results"][0]
    again = memory.add("Seattle is where I live", user_id="alice")["results"][0]
    assert again == {"id": first["id"], "memory": "Alice lives in Seattle", "event": "NONE",
                     "candidate": "alice lives in seattle.", "match": "same text"}
    assert len(memory.get_all(user_id="alice")["results"]) == 1
    # the same fact in another scope is a separate memory
    extractor.outputs = ['["Alice lives in Seattle"]']
    other = memory.add("I live in Seattle", user_id="bob")["results"][0]
    assert other["event"] == "ADD" and other["id"] != first["id"]


def test_contradiction_supersedes_older_memory(memory, extractor):
    extractor.outputs = ['["Alice lives in Seattle"]', '["Alice lives in Denver"]']
    old = memory.add("I live in Seattle", user_id="alice")["results"][0]
    new = memory.add("I moved, I live in Denver now", user_id="alice")["results"][0]
    assert new["event"] == "UPDATE" and new["superseded_id"] == old["id"]
    old_item = memory.get(old["id"])
    assert old_item["superseded_by"] == new["id"] and old_item["valid_until"]
    hits = memory.search("where does Alice live", user_id="alice")["results"]
    assert hits[0]["memory"] == "Alice lives in Denver"
    assert [e["event"] for e in memory.history(old["id"])] == ["ADD", "UPDATE"]


def test_keep_both_policy_keeps_old_memory_current(isolated_home, monkeypatch):
    monkeypatch.setenv("MEM0CLI_UPDATE_POLICY", "keep-both")
    ex = ScriptedExtractor(['["Alice lives in Seattle"]', '["Alice lives in Denver"]'])
    m = Memory(embedder=FakeEmbedder(), extractor=ex)
    old = m.add("x", user_id="alice")["results"][0]
    new = m.add("y", user_id="alice")["results"][0]
    assert new["event"] == "ADD"
    assert m.get(old["id"])["superseded_by"] is None


def test_search_is_scoped_and_filtered(memory, extractor):
    extractor.outputs = ['["Alice lives in Seattle"]', '["Bob lives in Austin"]']
    memory.add("I live in Seattle", user_id="alice", metadata={"room": "p42"})
    memory.add("I live in Austin", user_id="bob", metadata={"room": "p7"})
    alice = memory.search("where do I live", user_id="alice")["results"]
    assert [r["memory"] for r in alice] == ["Alice lives in Seattle"]
    assert isinstance(alice[0]["score"], float)
    both = memory.search("lives", filters={"OR": [{"user_id": "alice"}, {"user_id": "bob"}]})["results"]
    assert {r["user_id"] for r in both} == {"alice", "bob"}
    by_meta = memory.search("lives", filters={"room": "p7"})["results"]
    assert [r["user_id"] for r in by_meta] == ["bob"]
    assert memory.search("lives", user_id="carol")["results"] == []
    assert memory.search("lives", user_id="alice", threshold=0.99)["results"] == []


def test_no_infer_stores_each_message(memory, extractor):
    result = memory.add(
        [{"role": "system", "content": "be nice"}, {"role": "user", "content": "Standup is 10am PT"},
         {"role": "assistant", "content": "Noted"}],
        user_id="team", infer=False,
    )
    assert [r["memory"] for r in result["results"]] == ["Standup is 10am PT", "Noted"]
    assert extractor.calls == []


def test_malformed_model_output_yields_nothing_and_changes_nothing(memory, extractor):
    extractor.outputs = ['["Alice lives in', "{'facts': oops"]
    assert memory.add("I live in Seattle", user_id="alice")["results"] == []
    assert memory.add("I live in Seattle", user_id="alice")["results"] == []
    assert memory.get_all(user_id="alice")["results"] == []


@pytest.mark.parametrize(
    "messages, kwargs, fragment",
    [
        ("hello", {}, "scope"),
        ([], {"user_id": "a"}, ""),
        ([{"role": "user"}], {"user_id": "a"}, ""),
        ([{"role": "system", "content": "x"}], {"user_id": "a"}, "no messages"),
        (42, {"user_id": "a"}, ""),
        ("hello", {"user_id": "a", "metadata": "x"}, "metadata"),
        ("hello", {"user_id": ""}, "user_id"),
    ],
)
def test_bad_add_input_raises_and_changes_nothing(memory, messages, kwargs, fragment):
    with pytest.raises(InputError) as info:
        memory.add(messages, **kwargs)
    assert fragment in str(info.value)
    assert not memory.store.exists() and memory.store.is_empty()  # not even created


def test_update_delete_history(memory, extractor):
    extractor.outputs = ['["Alice likes tea"]']
    mid = memory.add("I like tea", user_id="alice")["results"][0]["id"]
    memory.update(mid, "Alice likes green tea")
    assert memory.get(mid)["memory"] == "Alice likes green tea"
    assert memory.search("green tea", user_id="alice")["results"][0]["id"] == mid
    memory.delete(mid)
    assert memory.get(mid) is None
    assert [e["event"] for e in memory.history(mid)] == ["ADD", "UPDATE", "DELETE"]
    with pytest.raises(NotFoundError):
        memory.delete(mid)


def test_delete_all_is_scoped_and_erases_messages(memory, extractor):
    extractor.outputs = ['["Alice lives in Seattle"]', '["Bob lives in Austin"]']
    memory.add("I live in Seattle", user_id="alice")
    memory.add("I live in Austin", user_id="bob")
    with pytest.raises(InputError):
        memory.delete_all()
    assert memory.delete_all(user_id="alice")["deleted"] == 1
    assert memory.get_all(user_id="alice")["results"] == []
    assert len(memory.get_all(user_id="bob")["results"]) == 1
    assert {m["user_id"] for m in memory.store.facts.select_messages()} == {"bob"}
    assert memory.store.vectors.ids() == memory.store.facts.all_ids()
    assert memory.store.vectors.count() == 2  # bob's fact and bob's message
    assert memory.store.facts.deletions()[0]["count"] == 1


def test_vectors_missing_after_a_crash_are_repaired(memory, extractor):
    extractor.outputs = ['["Alice likes tea"]']
    mid = memory.add("I like tea", user_id="alice")["results"][0]["id"]
    memory.store.vectors.delete([mid])
    with memory.store.facts.transaction():
        memory.store.facts.update_memory(mid, indexed=0)
    assert memory.search("tea", user_id="alice")["results"][0]["id"] == mid


def test_reset_empties_store(memory, extractor):
    extractor.outputs = ['["Alice likes tea"]']
    memory.add("I like tea", user_id="alice")
    memory.reset()
    assert memory.get_all()["results"] == []
    assert memory.store.vectors.count() == 0


def test_hybrid_search_finds_a_rare_word_in_a_turn_without_a_fact(memory, extractor):
    extractor.outputs = ['["Alice likes hiking"]', "[]"]
    memory.add("I like hiking", user_id="alice")
    memory.add(
        [{"role": "user", "content": "The wifi password at the cabin is zq7-Kestrel", "id": "t9",
          "created_at": "2023-05-08T13:56:00"}],
        user_id="alice",
    )
    hits = memory.search("Kestrel", user_id="alice", explain=True)["results"]
    assert hits[0]["memory_type"] == "message" and "zq7-Kestrel" in hits[0]["memory"]
    assert hits[0]["sources"] == ["t9"] and hits[0]["explain"]["keyword_rank"] == 1
    only_facts = memory.search("Kestrel", user_id="alice", memory_type="fact")["results"]
    assert all(h["memory_type"] == "fact" for h in only_facts)
    only_turns = memory.search("hiking", user_id="alice", memory_type="message")["results"]
    assert only_turns and all(h["memory_type"] == "message" for h in only_turns)


def test_a_fact_stands_for_its_turn_in_results(memory, extractor):
    extractor.outputs = ['["Alice lives in Seattle"]']
    memory.add([{"role": "user", "content": "I live in Seattle", "id": "m1"}], user_id="alice")
    hits = memory.search("Seattle", user_id="alice")["results"]
    assert [h["memory_type"] for h in hits] == ["fact"]
    assert hits[0]["evidence"][0]["content"] == "I live in Seattle"


def test_dates_are_searchable_and_named_periods_rank_first(memory, extractor):
    extractor.outputs = ["[]", "[]"]
    memory.add([{"role": "user", "content": "We went camping by the lake", "created_at": "2023-05-08T10:00:00"}],
               user_id="alice")
    memory.add([{"role": "user", "content": "We went camping in the hills", "created_at": "2022-07-01T10:00:00"}],
               user_id="alice")
    hits = memory.search("camping in May 2023", user_id="alice", explain=True)["results"]
    assert "lake" in hits[0]["memory"] and hits[0]["explain"]["named_period"] > 1
    hits = memory.search("camping last year", user_id="alice")["results"]
    assert "hills" in hits[0]["memory"]  # the newest memory is from 2023, so last year is 2022
    found = memory.search("8 May 2023", user_id="alice", memory_type="message")["results"]
    assert "lake" in found[0]["memory"]


def test_freshness_and_confirmations_are_explained(memory, extractor):
    extractor.outputs = ['["Alice likes tea"]', '["Alice likes tea"]']
    memory.add("I like tea", user_id="alice")
    memory.add("tea, I like it", user_id="alice")
    hit = memory.search("tea", user_id="alice", explain=True)["results"][0]
    assert hit["explain"]["confirmations"] > 1 and hit["explain"]["freshness"] > 1


def test_a_stored_turn_can_be_forgotten_by_its_id(memory, extractor):
    extractor.outputs = ["[]"]
    memory.add([{"role": "user", "content": "The gate colour is teal", "id": "t1"}], user_id="alice")
    turn = memory.search("gate colour", user_id="alice")["results"][0]
    assert turn["memory_type"] == "message" and memory.get(turn["id"])["memory"] == "The gate colour is teal"
    memory.delete(turn["id"])
    assert memory.get(turn["id"]) is None
    assert memory.search("gate colour", user_id="alice")["results"] == []
    assert memory.store.deletions()[-1].count == 1


def test_from_config_reads_a_mem0_style_config(tmp_path):
    m = Memory.from_config({
        "vector_store": {"provider": "lancedb", "config": {"path": str(tmp_path / "store")}},
        "embedder": {"provider": "huggingface", "config": {"model": "/models/other-minilm"}},
        "llm": {"provider": "llama_cpp", "config": {"model": "/models/big.gguf"}},
    })
    assert m.path == tmp_path / "store"
    assert m.settings.embed_model == "/models/other-minilm" and m.settings.llm_model == "/models/big.gguf"
    with pytest.raises(InputError):
        Memory.from_config("nope")


def test_an_updated_at_filter_sees_a_fact_confirmed_after_its_vector_was_written(isolated_home):
    import time

    from tests.fakes import FakeEmbedder, ScriptedExtractor

    m = Memory(path=isolated_home, embedder=FakeEmbedder(),
               extractor=ScriptedExtractor(['["Alice likes green tea"]', '["Alice likes green tea"]']))
    m.add("I like green tea", user_id="alice")
    first = m.get_all(user_id="alice")["results"][0]["updated_at"]
    time.sleep(0.01)
    m.add("I like green tea, really", user_id="alice")  # confirmed: SQLite's updated_at moves on
    assert m.get_all(user_id="alice")["results"][0]["updated_at"] > first
    later = m.search("xyzzy", filters={"updated_at": {"gt": first}, "user_id": "alice"}, memory_type="fact")["results"]
    assert [r["memory"] for r in later] == ["Alice likes green tea"]
    earlier = m.search("xyzzy", filters={"updated_at": {"lte": first}, "user_id": "alice"}, memory_type="fact")["results"]
    assert earlier == []
    m.close()


def test_a_message_without_a_time_takes_the_time_of_the_one_before(memory, extractor):
    extractor.outputs = ["[]"]
    chat = [
        {"role": "user", "content": "Where should I hike?", "id": "u0"},  # before any time: the next one's
        {"role": "user", "content": "I live in Bergen", "id": "u1", "created_at": "2024-06-01T10:00:00"},
        {"role": "assistant", "content": "Try Fløyen", "id": "a1"},
        {"role": "user", "content": "Done it twice", "id": "u2", "created_at": "2024-06-02T08:00:00"},
    ]
    memory.add(chat, user_id="ola")
    said = {t.message_id: t.said_at for t in memory.store.select_turns(None)}
    assert said == {"u0": "2024-06-01T10:00:00", "u1": "2024-06-01T10:00:00",
                    "a1": "2024-06-01T10:00:00", "u2": "2024-06-02T08:00:00"}
    assert memory.add(chat, user_id="ola")["results"] == []  # the same transcript again: nothing new
    assert len(memory.store.select_turns(None)) == 4
    extractor.outputs = ["[]"]
    memory.add([{"role": "user", "content": "No clock here", "id": "n1"}], user_id="ola")
    assert {t.message_id: t.said_at for t in memory.store.select_turns(None)}["n1"] is None


def test_a_name_given_in_one_add_names_the_user_in_later_adds(memory):
    from mem0cli import Memory
    from mem0cli.extract import RuleExtractor

    rules = Memory(settings=memory.settings, embedder=memory.embedder, extractor=RuleExtractor())
    rules.add("my name is Jordan and I'm allergic to peanuts", user_id="u-77310")
    later = rules.add("I've got 2 kids and a dog called Rex", user_id="u-77310", run_id="another-chat")
    assert [r["memory"] for r in later["results"]] == ["Jordan has 2 kids and a dog called Rex"]
    other = rules.add("I've got a cat", user_id="someone-else")
    assert [r["memory"] for r in other["results"]] == ["Someone has a cat"]
    named = [r for r in rules.get_all(user_id="u-77310")["results"] if "name is" in r["memory"]]
    assert [r["memory"] for r in named] == ["User's name is Jordan"]
    rules.delete(named[0]["id"])  # forgetting the name fact forgets the name
    again = rules.add("I live in Leeds", user_id="u-77310")
    assert [r["memory"] for r in again["results"]] == ["User lives in Leeds"]
    rules.close()
