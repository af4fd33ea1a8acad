"""Mem0 2.x's argument names: each accepted beside mem0cli's own, or refused by name."""

from __future__ import annotations

import json

import pytest

from mem0cli import InputError


@pytest.fixture
def filled(memory):
    for i in range(5):
        memory.add(f"note {i} about coffee", user_id="alice", infer=False)
    return memory


def test_top_k_is_limit_in_search_and_get_all(filled):
    assert len(filled.search("coffee", user_id="alice", top_k=2)["results"]) == 2
    assert len(filled.get_all(user_id="alice", top_k=3)["results"]) == 3
    assert len(filled.search("coffee", user_id="alice", limit=2, top_k=2)["results"]) == 2
    assert len(filled.get_all(user_id="alice")["results"]) == 5  # defaults unchanged


def test_limit_and_top_k_that_differ_are_refused(filled):
    with pytest.raises(InputError, match="top_k"):
        filled.search("coffee", user_id="alice", limit=2, top_k=3)
    with pytest.raises(InputError, match="top_k"):
        filled.get_all(user_id="alice", limit=2, top_k=3)
    with pytest.raises(InputError, match="limit must be"):
        filled.search("coffee", user_id="alice", top_k=0)


def test_rerank_false_is_accepted_and_true_is_refused_by_name(filled):
    assert filled.search("coffee", user_id="alice", rerank=False)["results"]
    with pytest.raises(InputError, match="rerank=True.*no[ ]?reranker|reranker"):
        filled.search("coffee", user_id="alice", rerank=True)


def test_procedural_memory_is_refused_by_name_and_changes_nothing(memory):
    with pytest.raises(InputError, match="procedural_memory"):
        memory.add("summarise the run", agent_id="bot", memory_type="procedural_memory")
    with pytest.raises(InputError, match="memory_type"):
        memory.add("x", agent_id="bot", memory_type="semantic")
    assert memory.add("plain", agent_id="bot", infer=False, memory_type=None)["results"]
    assert len(memory.get_all(agent_id="bot")["results"]) == 1


def test_prompt_is_refused_rather_than_ignored(memory, extractor):
    with pytest.raises(InputError, match="prompt"):
        memory.add("I live in Oslo", user_id="alice", prompt="Only extract food preferences")
    assert extractor.calls == [] and memory.get_all(user_id="alice")["results"] == []


def test_expiration_date_takes_memories_out_of_search_list_and_export_after_it(memory):
    import time
    from datetime import datetime, timedelta, timezone

    from mem0cli import backup

    soon = (datetime.now(timezone.utc) + timedelta(seconds=1.5)).isoformat()
    kept = memory.add("I drink green tea", user_id="alice", infer=False, expiration_date="2999-12-31")
    gone = memory.add("I am at the dentist at noon", user_id="alice", infer=False, expiration_date=soon)
    gone_id = gone["results"][0]["id"]
    assert len(memory.get_all(user_id="alice")["results"]) == 2
    time.sleep(1.6)
    listed = memory.get_all(user_id="alice")["results"]
    assert [r["id"] for r in listed] == [kept["results"][0]["id"]]
    found = memory.search("dentist noon", user_id="alice")["results"]
    assert all("dentist" not in r["memory"] for r in found)  # neither the fact nor its message
    assert {r["id"] for r in memory.get_all(user_id="alice", show_expired=True)["results"]} >= {gone_id}
    assert any("dentist" in r["memory"] for r in memory.search("dentist noon", user_id="alice", show_expired=True)["results"])
    exported = json.dumps(backup.export_records(memory))
    assert "dentist" not in exported and "green tea" in exported
    assert memory.get(gone_id) is not None  # by id it is still there (until forgotten)
    assert memory.search("x", filters={"expires_at": {"lt": "2100-01-01"}}, show_expired=True)["results"]


def test_a_bad_or_past_expiration_date_is_refused_and_nothing_is_stored(memory):
    for value, says in [("next tuesday", "ISO date"), ("2001-01-01", "already past"), (5, "string")]:
        with pytest.raises(InputError, match=says):
            memory.add("x", user_id="alice", infer=False, expiration_date=value)
    assert memory.get_all(user_id="alice", show_expired=True)["results"] == []


def test_an_expiry_survives_export_and_import(memory, tmp_path):
    from mem0cli import Memory, backup
    from tests.fakes import FakeEmbedder, ScriptedExtractor

    added = memory.add("I drink green tea", user_id="alice", infer=False, expiration_date="2999-12-31")
    mirror = Memory(path=tmp_path / "mirror", embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    backup.apply_import(mirror, backup.read_import("".join(json.dumps(r) + "\n" for r in backup.export_records(memory)).encode()))
    memory_id = added["results"][0]["id"]
    expires = memory.store.rows([memory_id])[memory_id].expires_at
    assert expires and mirror.store.rows([memory_id])[memory_id].expires_at == expires
    assert {t.expires_at for t in mirror.store.select_turns(None)} == {expires}
