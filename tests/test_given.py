"""What you give is what you get back: no silent merges, metadata that round-trips, reserved names."""

from __future__ import annotations

import json
import random

import pytest
from typer.testing import CliRunner

from mem0cli import InputError, Memory, backup, cli
from tests.fakes import FakeEmbedder, ScriptedExtractor

runner = CliRunner()
PLACES = ["home", "office", "gym", "park"]
HABITS = ["coffee and hiking", "tea and reading", "running and swimming"]


def random_metadata(rng: random.Random) -> dict:
    """Metadata of every JSON type, nested values included; sometimes none at all."""
    choices = [
        {},
        {"category": rng.choice(["ritual", "rent", "food"])},
        {"n": rng.randint(-10**12, 10**12), "ok": rng.choice([True, False]), "ratio": rng.random()},
        {"kind": rng.choice(["ritual", "project_knowledge"]), "room_id": f"r{rng.randint(1, 3)}"},
        {"tags": [rng.choice(["a", "b"]), rng.randint(0, 9), None], "nested": {"deep": {"x": rng.random()}}},
        {"zero": 0, "one": 1, "float_one": 1.0, "flag": True, "nothing": None, "text": "1.10"},
        {"unicode": "café ☕ 東京", "empty": "", "list": []},
    ]
    return rng.choice(choices)


def synthetic_notes(count: int = 1000, users: int = 10, seed: int = 7) -> list[dict]:
    """Near-identical notes: the same few texts, differing only in a number and a place."""
    rng = random.Random(seed)
    notes = []
    for i in range(count):
        user = f"u{i % users}"
        text = f"{user} note {i}: {rng.choice(HABITS)}, in {rng.choice(PLACES)}"
        notes.append({"user_id": user, "text": text, "metadata": random_metadata(rng)})
    return notes


def by_text(items: list[dict]) -> dict[str, dict]:
    return {item["memory"]: item for item in items}


def assert_all_given(notes: list[dict], items: list[dict]) -> None:
    got = by_text(items)
    assert len(items) == len(notes)
    for note in notes:
        item = got[note["text"]]
        assert item["user_id"] == note["user_id"]
        # equal as JSON text: 1, 1.0 and true are not the same value here
        assert json.dumps(item["metadata"], sort_keys=True) == json.dumps(note["metadata"], sort_keys=True)


@pytest.fixture(scope="module")
def bulk_store(tmp_path_factory):
    """1,000 notes added one by one with infer=False, and their export."""
    path = tmp_path_factory.mktemp("bulk")
    memory = Memory(path=path / "store", embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    notes = synthetic_notes()
    for note in notes:
        memory.add(note["text"], user_id=note["user_id"], metadata=note["metadata"], infer=False)
    exported = path / "export.jsonl"
    backup.write_export(backup.export_records(memory), str(exported))
    yield memory, notes, exported
    memory.close()


def test_infer_false_stores_every_note_with_its_metadata(bulk_store):
    memory, notes, _ = bulk_store
    facts = memory.get_all(filters={"memory_type": "fact"}, limit=5000)["results"]
    assert_all_given(notes, facts)


def test_metadata_reads_back_through_the_cli_json(bulk_store, monkeypatch):
    memory, notes, _ = bulk_store
    monkeypatch.setattr(cli.state, "make_memory", lambda store: memory)
    out = runner.invoke(cli.app, ["list", "--filter", '{"memory_type": "fact"}', "-n", "5000", "--json"])
    assert out.exit_code == 0, out.output
    assert_all_given(notes, json.loads(out.stdout)["results"])


def test_metadata_reads_back_after_export_and_import(bulk_store, tmp_path):
    _, notes, exported = bulk_store
    mirror = Memory(path=tmp_path / "mirror", embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    backup.apply_import(mirror, backup.read_import(exported.read_bytes()))
    assert_all_given(notes, mirror.get_all(filters={"memory_type": "fact"}, limit=5000)["results"])
    given = {n["text"]: n["metadata"] for n in notes}
    hits = mirror.search("coffee and hiking at home", user_id="u7", memory_type="fact", limit=20)["results"]
    assert len(hits) == 20
    for hit in hits:
        assert json.dumps(hit["metadata"], sort_keys=True) == json.dumps(given[hit["memory"]], sort_keys=True)


def test_exact_repeat_is_idempotent_but_a_difference_is_stored(memory):
    first = memory.add("paid $40 on May 3", user_id="ann", metadata={"category": "rent"}, infer=False)
    assert [r["event"] for r in first["results"]] == ["ADD"]
    assert memory.add("paid $40 on May 3", user_id="ann", metadata={"category": "rent"}, infer=False)["results"] == []
    again = [{"role": "user", "content": "paid $40 on May 3", "created_at": "2025-05-03T10:00:00Z"}]
    assert memory.add(again, user_id="ann", metadata={"category": "rent"}, infer=False)["results"][0]["event"] == "ADD"
    assert memory.add(again, user_id="ann", metadata={"category": "rent"}, infer=False)["results"] == []
    other_meta = memory.add("paid $40 on May 3", user_id="ann", metadata={"category": "food"}, infer=False)
    assert other_meta["results"][0]["event"] == "ADD"
    memory.add("paid $45 on May 4", user_id="ann", metadata={"category": "rent"}, infer=False)
    stored = memory.get_all(user_id="ann", filters={"memory_type": "fact"})["results"]
    assert sorted((m["memory"], m["metadata"]["category"]) for m in stored) == [
        ("paid $40 on May 3", "food"), ("paid $40 on May 3", "rent"), ("paid $40 on May 3", "rent"),
        ("paid $45 on May 4", "rent"),
    ]


def test_re_adding_a_transcript_without_metadata_adds_nothing(memory):
    chat = [{"role": "user", "content": "note one", "id": "a"}, {"role": "user", "content": "note two", "id": "b"}]
    assert len(memory.add(chat, user_id="ann", infer=False)["results"]) == 2
    assert memory.add(chat, user_id="ann", infer=False)["results"] == []


def test_an_extracted_near_duplicate_with_other_metadata_is_its_own_memory(memory, extractor):
    extractor.outputs = ['["Standup is at 10am PT"]', '["Standup is at 10am PT."]', '["standup is at 10am PT"]']
    first = memory.add("standup is 10am PT", user_id="alice", metadata={"room_id": "a"})["results"][0]
    other = memory.add("standup: 10am PT", user_id="alice", metadata={"room_id": "b"})["results"][0]
    assert other["event"] == "ADD" and other["id"] != first["id"]
    same = memory.add("standup at 10am PT", user_id="alice", metadata={"room_id": "a"})["results"][0]
    assert same["event"] == "NONE" and same["id"] == first["id"]
    assert same["candidate"] == "standup is at 10am PT" and same["match"] == "same text"
    rooms = {m["metadata"]["room_id"] for m in memory.get_all(user_id="alice", filters={"memory_type": "fact"})["results"]}
    assert rooms == {"a", "b"}


def test_near_duplicate_match_names_its_cosine(memory, extractor):
    extractor.outputs = ['["Alice likes oat milk lattes from Blue Bottle in Seattle"]',
                         '["Alice likes oat milk lattes from Blue Bottle in Seattle daily"]']
    first = memory.add("I like oat milk lattes", user_id="alice")["results"][0]
    same = memory.add("I really like oat milk lattes", user_id="alice")["results"][0]
    assert same["event"] == "NONE" and same["id"] == first["id"]
    assert same["match"].startswith("near duplicate (cosine 0.9")


def test_the_seeds_room_example_filters_on_kind_metadata(memory):
    room = "proj-42"
    memory.add("Standup is 10am PT", user_id="alice", metadata={"room_id": room, "kind": "project_knowledge"}, infer=False)
    memory.add("Bob prefers async updates", user_id="bob", metadata={"room_id": room, "kind": "ritual"}, infer=False)
    memory.add("Demo day is Friday", user_id="bob", metadata={"room_id": "other", "kind": "ritual"}, infer=False)

    def texts(filters):
        return {m["memory"] for m in memory.get_all(filters={"AND": [filters, {"memory_type": "fact"}]})["results"]}

    assert texts({"kind": "ritual"}) == {"Bob prefers async updates", "Demo day is Friday"}
    assert texts({"room_id": room}) == {"Standup is 10am PT", "Bob prefers async updates"}
    assert texts({"AND": [{"room_id": room}, {"kind": "ritual"}]}) == {"Bob prefers async updates"}
    hits = memory.search("standup", filters={"kind": "project_knowledge"}, memory_type="fact")["results"]
    assert [h["memory"] for h in hits] == ["Standup is 10am PT"]
    assert hits[0]["metadata"] == {"room_id": room, "kind": "project_knowledge"} and hits[0]["memory_type"] == "fact"


@pytest.mark.parametrize("key", ["user_id", "memory_type", "created_at", "said_at", "AND"])
def test_a_reserved_name_as_metadata_is_refused_and_nothing_changes(memory, key):
    with pytest.raises(InputError, match=f"metadata key '{key}' is reserved"):
        memory.add("I like tea", user_id="ann", metadata={key: "x"}, infer=False)
    assert memory.get_all(user_id="ann")["results"] == []


def test_a_reserved_name_on_the_cli_exits_2(monkeypatch, isolated_home):
    monkeypatch.setattr(
        cli.state, "make_memory", lambda store: Memory(path=store, embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    )
    out = runner.invoke(cli.app, ["add", "--no-infer", "-u", "ann", "-m", "run_id=r1", "I like tea"])
    assert out.exit_code == 2 and "reserved" in out.output
    assert not (isolated_home / "vectors").exists()


def test_cli_metadata_keeps_what_was_typed(monkeypatch):
    memory = Memory(embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    monkeypatch.setattr(cli.state, "make_memory", lambda store: memory)
    args = ["add", "--no-infer", "-u", "ann", "-m", "n=42", "-m", "version=1.10", "-m", "zip=02134",
            "-m", "flag=true", "-m", "ratio=-1.5", "-m", "big=1e3", "-m", "none=null", "-m", "word=yes",
            "-m", 'tags:=["a", 2]', "-m", 'code:="42"', "-m", "exact:=1.10", "I like tea", "--json"]
    out = runner.invoke(cli.app, args)
    assert out.exit_code == 0, out.output
    listed = json.loads(runner.invoke(cli.app, ["list", "-u", "ann", "--json"]).stdout)["results"]
    assert listed[0]["metadata"] == {
        "n": 42, "version": "1.10", "zip": "02134", "flag": True, "ratio": -1.5, "big": "1e3",
        "none": None, "word": "yes", "tags": ["a", 2], "code": "42", "exact": 1.1,
    }
    assert type(listed[0]["metadata"]["n"]) is int


@pytest.mark.parametrize("pair", ["=x", "novalue", "k:=not json"])
def test_bad_cli_metadata_exits_2(monkeypatch, pair):
    monkeypatch.setattr(cli.state, "make_memory", lambda store: Memory(embedder=FakeEmbedder(), extractor=ScriptedExtractor()))
    out = runner.invoke(cli.app, ["add", "--no-infer", "-u", "ann", "-m", pair, "I like tea"])
    assert out.exit_code == 2 and "--metadata" in out.output


def version_2_export(memory_id: str, metadata: dict) -> list[dict]:
    """An export as version 2 wrote it: one memory whose type is named "kind"."""
    return [
        {"format": "mem0cli-export", "version": 2, "embed_model": "other/model", "counts": {"memories": 1}},
        {"type": "memory", "id": memory_id, "memory": "Alice likes tea", "hash": "h", "kind": "fact",
         "user_id": "alice", "agent_id": None, "run_id": None, "metadata": metadata,
         "created_at": "2024-01-01T00:00:00+00:00", "updated_at": "2024-01-01T00:00:00+00:00",
         "source_pks": [], "history": []},
    ]


def as_jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def test_a_version_2_export_with_kind_imports_as_memory_type(memory):
    old = version_2_export("22222222-2222-4222-8222-222222222222", {"room_id": "r1"})
    data = as_jsonl(old)
    assert backup.apply_import(memory, backup.read_import(data))["added"] == 1
    item = memory.get(old[1]["id"])
    assert item["memory_type"] == "fact" and item["metadata"] == {"room_id": "r1"}
    again = backup.export_records(memory)
    assert again[0]["version"] == 3 and again[-1]["memory_type"] == "fact" and "kind" not in again[-1]


OLD_NOTE = "rent is due on the 1st"


def store_as_an_older_version_did(memory) -> None:
    """A message with metadata, stored with the digest an older version gave it (without metadata)."""
    from mem0cli.items import message_digest
    from mem0cli.models import Message

    scope = {"user_id": "ann", "agent_id": None, "run_id": None}
    at = "2024-01-01T00:00:00+00:00"
    memory.store.create()
    memory.store.facts.insert_message(
        {"pk": "p1", "message_id": "m1", **scope, "role": "user", "name": None, "content": OLD_NOTE,
         "said_at": None, "hash": message_digest(scope, Message("user", OLD_NOTE, id="m1")), "added_at": at,
         "created_at": at, "updated_at": at, "metadata": {"category": "rent"}},
        OLD_NOTE,
    )


def test_a_store_written_before_metadata_counted_stays_idempotent(memory):
    store_as_an_older_version_did(memory)
    chat = [{"role": "user", "content": OLD_NOTE, "id": "m1"}]
    assert memory.add(chat, user_id="ann", metadata={"category": "rent"}, infer=False)["results"] == []
    other = memory.add(chat, user_id="ann", metadata={"category": "food"}, infer=False)["results"]
    assert [r["event"] for r in other] == ["ADD"]


def test_an_old_stores_message_with_metadata_does_not_swallow_the_same_text_without(memory):
    store_as_an_older_version_did(memory)
    plain = memory.add([{"role": "user", "content": OLD_NOTE, "id": "m1"}], user_id="ann", infer=False)
    assert [r["event"] for r in plain["results"]] == ["ADD"]


def test_nan_and_infinity_on_the_cli_stay_text(monkeypatch):
    memory = Memory(embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    monkeypatch.setattr(cli.state, "make_memory", lambda store: memory)
    out = runner.invoke(cli.app, ["add", "--no-infer", "-u", "ann", "-m", "label=NaN", "-m", "x=Infinity", "tea"])
    assert out.exit_code == 0, out.output
    assert memory.get_all(user_id="ann")["results"][0]["metadata"] == {"label": "NaN", "x": "Infinity"}
    bad = runner.invoke(cli.app, ["add", "--no-infer", "-u", "ann", "-m", "y:=NaN", "tea 2"])
    assert bad.exit_code == 2 and "--metadata y:= needs a JSON value" in bad.output


def test_an_older_export_with_a_now_reserved_metadata_key_imports_renamed(memory):
    old = version_2_export("33333333-3333-4333-8333-333333333333", {"created_at": "last week", "room": "r1"})
    data = as_jsonl(old)
    result = backup.apply_import(memory, backup.read_import(data))
    assert result["added"] == 1 and result["renamed_keys"] == ["created_at"]
    item = memory.get(old[1]["id"])
    assert item["metadata"] == {"metadata.created_at": "last week", "room": "r1"}
    found = memory.get_all(filters={"metadata.created_at": "last week"})["results"]
    assert [m["id"] for m in found] == [old[1]["id"]]
    current = [{**old[0], "version": 3}, {**old[1], "memory_type": "fact"}]
    with pytest.raises(InputError, match="reserved"):
        backup.read_import(as_jsonl(current))
