"""End to end: the real CLI in subprocesses, the real bundled models, real store files."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ALICE = [
    {"role": "user", "content": "Hi, I'm Alice. I live in Seattle and I like oat milk lattes.", "id": "a1"},
    {"role": "assistant", "content": "Nice to meet you, Alice!", "id": "a2"},
]
BOB = [
    {"role": "user", "content": "I'm Bob. I live in Austin and I like brisket tacos.", "id": "b1"},
    {"role": "assistant", "content": "Austin and brisket tacos, noted.", "id": "b2"},
]


def mem0cli(store: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MEM0CLI_HOME": str(store)}
    return subprocess.run(
        [sys.executable, "-m", "mem0cli", *args], input=stdin, capture_output=True, text=True,
        env=env, timeout=600,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def store_bytes(store: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file())


@pytest.mark.e2e
def test_alice_and_bob_scenario(tmp_path):
    store = tmp_path / "store"
    first = mem0cli(store, "add", "-u", "alice", "--json", stdin=json.dumps(ALICE))
    added = json.loads(ok(first))["results"]
    assert any("Seattle" in r["memory"] for r in added), added
    assert first.stderr.strip().splitlines() == [first.stderr.strip()]  # one summary line, no model logs
    assert "2 messages read" in first.stderr
    quiet = mem0cli(store, "--quiet", "add", "-u", "bob", stdin=json.dumps(BOB))
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""

    hits = json.loads(ok(mem0cli(store, "search", "where do I live", "-u", "alice", "--json")))["results"]
    assert "Seattle" in hits[0]["memory"]
    assert all(h["user_id"] == "alice" for h in hits)
    assert not any("Austin" in h["memory"] or "brisket" in h["memory"] for h in hits)
    assert hits[0]["sources"] == ["a1"]

    backup = tmp_path / "backup.jsonl"
    ok(mem0cli(store, "--quiet", "export", "-o", str(backup)))
    restored = tmp_path / "restored"
    ok(mem0cli(restored, "import", str(backup)))
    before = json.loads(ok(mem0cli(store, "list", "--json")))["results"]
    after = json.loads(ok(mem0cli(restored, "list", "--json")))["results"]
    assert sorted((m["id"], m["memory"], m["user_id"]) for m in before) == sorted(
        (m["id"], m["memory"], m["user_id"]) for m in after
    )
    again = json.loads(ok(mem0cli(restored, "import", str(backup), "--json")))
    assert again["added"] == 0
    found = json.loads(ok(mem0cli(restored, "search", "where do I live", "-u", "alice", "--json")))["results"]
    assert "Seattle" in found[0]["memory"]

    ok(mem0cli(store, "forget", "-u", "alice", "--yes"))
    left = json.loads(ok(mem0cli(store, "list", "--json")))["results"]
    assert left and all(m["user_id"] == "bob" for m in left)
    raw = store_bytes(store)
    assert b"Seattle" not in raw and b"oat milk" not in raw
    assert b"Austin" in raw
    hits = json.loads(ok(mem0cli(store, "search", "where do I live", "-u", "alice", "--json")))["results"]
    assert hits == []


@pytest.mark.e2e
def test_bad_input_leaves_store_unchanged(tmp_path):
    store = tmp_path / "store"
    ok(mem0cli(store, "add", "-u", "bob", "--no-infer", stdin=json.dumps(BOB)))
    before = ok(mem0cli(store, "list", "--json"))
    for stdin in ("[{broken", "", '[{"role": "user"}]'):
        result = mem0cli(store, "add", "-u", "bob", stdin=stdin)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert ok(mem0cli(store, "list", "--json")) == before


@pytest.mark.e2e
def test_help_does_not_import_heavy_libraries(tmp_path):
    code = (
        "import sys; from typer.testing import CliRunner; from mem0cli.cli import app;"
        "r = CliRunner().invoke(app, sys.argv[1:]); "
        "heavy = [m for m in ('torch', 'sentence_transformers', 'lancedb', 'llama_cpp') if m in sys.modules];"
        "print(r.exit_code, heavy)"
    )
    from mem0cli.store.local import LocalStore

    LocalStore(tmp_path / "s").create()  # reads of a missing store exit 1: this one exists
    for args in (["--help"], ["list"], ["stats"]):
        env = {**os.environ, "MEM0CLI_HOME": str(tmp_path / "s")}
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)
        assert out.stdout.strip() == "0 []", (args, out.stdout, out.stderr)


@pytest.mark.e2e
def test_secrets_never_reach_the_store_with_the_real_models(tmp_path):
    store = tmp_path / "store"
    said = "My AWS access key is AKIAIOSFODNN7EXAMPLE and my bank card is 4111 1111 1111 1111. I bank with Nordea."
    added = mem0cli(store, "add", "-u", "p", said)
    assert added.returncode == 0, added.stderr
    assert "2 secrets redacted (1 aws-access-key, 1 payment-card)" in added.stderr
    ok(mem0cli(store, "export", "-o", str(store / "backup.jsonl")))
    data = store_bytes(store)
    assert b"AKIAIOSFODNN7EXAMPLE" not in data and b"4111 1111 1111 1111" not in data
    hits = json.loads(ok(mem0cli(store, "search", "which bank", "-u", "p", "--json")))["results"]
    assert any("Nordea" in h["memory"] for h in hits)
    assert all("[redacted" not in h["memory"] or h["memory_type"] == "message" for h in hits), hits


def added_memories(store: Path, user_id: str, text: str) -> list[str]:
    messages = [{"role": "user", "content": text, "id": "m1"}]
    out = json.loads(ok(mem0cli(store, "add", "-u", user_id, "--json", stdin=json.dumps(messages))))
    return [r["memory"] for r in out["results"] if r["event"] == "ADD"]


@pytest.mark.e2e
def test_self_introduction_with_user_id_equal_to_the_name(tmp_path):
    from mem0cli.wellformed import problems

    stored = added_memories(tmp_path / "store", "alex", "Hi, I'm Alex. I love basketball and gaming.")
    assert not any(re.fullmatch(r"Alex(?:'s name)? is Alex", m, re.I) for m in stored), stored
    assert any(m.startswith("Alex loves basketball") for m in stored), stored
    assert all(not problems(m, {"Alex"}) for m in stored), stored


@pytest.mark.e2e
def test_coordinated_predicates_are_stored_as_separate_facts(tmp_path):
    from mem0cli.wellformed import problems

    stored = added_memories(tmp_path / "store", "alice", "I'm Alice. I live in Seattle and prefer oat milk latte.")
    assert "Alice lives in Seattle" in stored, stored
    assert any("oat milk latte" in m and "Seattle" not in m for m in stored), stored
    assert not any(re.fullmatch(r"Alice(?:'s name)? is Alice", m, re.I) for m in stored), stored
    assert all(not problems(m, {"Alice"}) for m in stored), stored
