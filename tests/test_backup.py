"""Export and import: snapshots, --since with tombstones, old versions, Mem0 JSON, erasure on disk."""

from __future__ import annotations

import gzip
import json

import pytest

from mem0cli import InputError, Memory, backup
from tests.fakes import FakeEmbedder, ScriptedExtractor


def records(memory, **kwargs):
    return backup.export_records(memory, **kwargs)


def test_export_holds_messages_memories_history_and_deletions(memory, extractor):
    extractor.outputs = ['["Alice likes tea"]', '["Alice lives in Oslo"]']
    memory.add([{"role": "user", "content": "I like tea", "id": "m1"}], user_id="alice")
    oslo = memory.add("I live in Oslo", user_id="alice")["results"][0]["id"]
    memory.delete(oslo)
    out = records(memory)
    header, rest = out[0], out[1:]
    assert header["version"] == backup.VERSION and header["counts"]["memories"] == 1
    kinds = [r["type"] for r in rest]
    assert kinds.count("message") == 1 and kinds.count("memory") == 1
    assert kinds.count("deletion") == 1 and kinds.count("tombstone") == 1
    memory_line = next(r for r in rest if r["type"] == "memory")
    assert memory_line["history"][0]["event"] == "ADD" and memory_line["source_pks"]
    assert "Oslo" not in json.dumps(out)  # erased text is not exported either


def test_since_exports_changes_and_tombstones_that_import_applies(memory, extractor, tmp_path):
    extractor.outputs = ['["Alice likes tea"]', '["Alice likes jazz"]']
    tea = memory.add("I like tea", user_id="alice")["results"][0]["id"]
    mirror = Memory(path=tmp_path / "mirror", embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    backup.apply_import(mirror, backup.read_import(_jsonl(records(memory))))
    cut = records(memory)[0]["exported_at"]
    jazz = memory.add("I like jazz", user_id="alice")["results"][0]["id"]
    memory.delete(tea)
    delta = records(memory, since=cut)
    assert [r["id"] for r in delta[1:] if r["type"] == "memory"] == [jazz]
    assert [r["id"] for r in delta[1:] if r["type"] == "tombstone"] == [tea]
    result = backup.apply_import(mirror, backup.read_import(_jsonl(delta)))
    assert result["added"] == 1 and result["deleted"] == 1
    assert {m["id"] for m in mirror.get_all()["results"]} == {jazz}


def test_version_1_export_still_imports(memory):
    old = [
        {"format": "mem0cli-export", "version": 1, "embed_model": "other/model", "counts": {"memories": 1}},
        {"type": "memory", "id": "11111111-1111-4111-8111-111111111111", "memory": "Alice likes tea",
         "hash": "h", "user_id": "alice", "agent_id": None, "run_id": None, "metadata": {},
         "created_at": "2024-01-01T00:00:00+00:00", "updated_at": "2024-01-01T00:00:00+00:00",
         "history": [{"event": "ADD", "new_memory": "Alice likes tea", "created_at": "2024-01-01T00:00:00+00:00"}]},
    ]
    result = backup.apply_import(memory, backup.read_import(_jsonl(old)))
    assert result["added"] == 1
    assert memory.search("tea", user_id="alice")["results"][0]["id"] == old[1]["id"]


def test_mem0_get_all_json_imports(memory):
    data = {"results": [{"id": "m-1", "memory": "Likes cats", "user_id": "bob", "metadata": {"src": "mem0"},
                         "created_at": "2024-05-01T10:00:00", "updated_at": None}]}
    result = backup.apply_import(memory, backup.read_import(json.dumps(data).encode()))
    assert result["added"] == 1
    assert memory.get("m-1")["metadata"] == {"src": "mem0"}


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"", "empty"),
        (b'{"format": "mem0cli-export", "version": 99}\n', "version"),
        (b'{"format": "mem0cli-export", "version": 2}\n{"type": "memory", "id": "x"}\n', "line 2"),
        (b'{"format": "mem0cli-export", "version": 2}\n{"type": "alien"}\n', "line 2"),
        (b"\xff\xfe\x00garbage", ""),
        (gzip.compress(b"not json at all"), ""),
    ],
)
def test_bad_import_files_are_rejected_before_writing(memory, data, fragment):
    with pytest.raises(InputError) as info:
        backup.apply_import(memory, backup.read_import(data))
    assert fragment in str(info.value)
    assert memory.store.is_empty()  # nothing written (the store is not even made)


def test_write_export_is_atomic_and_gzipped(tmp_path, memory, extractor):
    extractor.outputs = ['["Alice likes tea"]']
    memory.add("I like tea", user_id="alice")
    target = tmp_path / "out.jsonl.gz"
    target.write_bytes(b"previous backup")
    backup.write_export(records(memory), str(target))
    lines = gzip.decompress(target.read_bytes()).decode().splitlines()
    assert json.loads(lines[0])["format"] == "mem0cli-export"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
    with pytest.raises(InputError):
        backup.write_export(records(memory), str(tmp_path / "missing-dir" / "x.jsonl"))


def test_forgotten_text_leaves_every_file_of_the_store(memory, extractor):
    extractor.outputs = ['["Alice uses the codeword Zanzibarqux"]', '["Bob likes tea"]']
    memory.add([{"role": "user", "content": "My codeword is Zanzibarqux", "id": "s1"}], user_id="alice")
    memory.add("I like tea", user_id="bob")
    memory.search("codeword", user_id="alice")
    memory.delete_all(user_id="alice")
    for path in memory.path.rglob("*"):
        if path.is_file():
            assert b"Zanzibarqux" not in path.read_bytes(), path
    proof = memory.store.facts.deletions()[0]
    assert proof["count"] == 1 and len(proof["hashes"]) == 1 and proof["scope"] == {"user_id": "alice"}


def _jsonl(items):
    return ("\n".join(json.dumps(i) for i in items) + "\n").encode()
