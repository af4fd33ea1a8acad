"""Transcripts from pipes: chunks, idempotency, resume, bad records, exports as runs."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mem0cli import Memory, cli
from mem0cli.ingest import Checkpoint, IngestSummary, chunks, ingest, input_digest
from mem0cli.models import Conversation, Message
from tests.conftest import SHARED
from tests.fakes import FakeEmbedder, ScriptedExtractor

runner = CliRunner()


@pytest.fixture
def fake_cli(monkeypatch):
    embedder = FakeEmbedder()
    monkeypatch.setattr(
        cli.state, "make_memory",
        lambda store: Memory(path=store, embedder=embedder, extractor=ScriptedExtractor()),
    )
    monkeypatch.setattr(cli.state, "quiet", False)


def test_same_transcript_twice_adds_nothing_the_second_time(fake_cli):
    data = (SHARED / "transcripts" / "messages.jsonl").read_text()
    first = runner.invoke(cli.app, ["add", "-u", "team", "--no-infer", "--json"], input=data)
    assert first.exit_code == 0, first.output
    assert len(json.loads(first.stdout)["results"]) == 4
    second = runner.invoke(cli.app, ["add", "-u", "team", "--no-infer", "--json"], input=data)
    assert json.loads(second.stdout)["results"] == []
    assert "4 messages read, nothing new: every message was already stored" in second.stderr
    assert len(json.loads(runner.invoke(cli.app, ["list", "--json"]).stdout)["results"]) == 4


def test_chatgpt_export_conversations_become_runs(fake_cli):
    data = (SHARED / "transcripts" / "chatgpt-export.json").read_text()
    result = runner.invoke(cli.app, ["add", "-u", "sam", "--no-infer"], input=data)
    assert result.exit_code == 0, result.output
    assert "5 messages read" in result.stderr and "(chatgpt)" in result.stderr
    runs = {m["run_id"] for m in json.loads(runner.invoke(cli.app, ["list", "--json"]).stdout)["results"]}
    assert len(runs) == 2 and None not in runs


def test_an_export_without_facts_says_its_turns_were_kept(fake_cli):
    """The issue's case: no fact came out, yet every turn is stored and searchable."""
    data = (SHARED / "transcripts" / "chatgpt-export.json").read_text()
    result = runner.invoke(cli.app, ["add", "-u", "sam"], input=data)
    assert result.exit_code == 0, result.output
    expected = "5 messages read: 5 turns kept, 0 facts added, 0 updated, 0 unchanged (chatgpt)"
    assert result.stderr.strip() == expected
    found = runner.invoke(cli.app, ["search", "capital of Australia", "-u", "sam", "--json"])
    assert "Canberra." in [hit["memory"] for hit in json.loads(found.stdout)["results"]]


@pytest.mark.parametrize(("summary", "line"), [
    (IngestSummary(messages_read=10, messages_new=10, added=2, updated=1),
     "10 messages read: 10 turns kept, 2 facts added, 1 updated, 0 unchanged"),
    (IngestSummary(messages_read=1, messages_new=1, added=1, unchanged=1),
     "1 message read: 1 turn kept, 1 fact added, 0 updated, 1 unchanged"),
    (IngestSummary(messages_read=7, messages_new=3, skipped_records=1, warnings=["w"]),
     "7 messages read: 3 turns kept (4 already stored), 0 facts added, 0 updated, 0 unchanged, "
     "1 bad record skipped, 1 warning"),
    (IngestSummary(messages_read=100, messages_new=60, added=2, skipped_records=2, resumed_chunks=1),
     "100 messages read: 60 turns kept (40 already stored), 2 facts added, 0 updated, 0 unchanged, "
     "2 bad records skipped, resumed after 1 committed chunk"),
    (IngestSummary(messages_read=4, warnings=["a", "b"], resumed_chunks=2),
     "4 messages read, nothing new: every message was already stored, 2 warnings, "
     "resumed after 2 committed chunks"),
])
def test_summary_line_says_what_was_stored(summary, line):
    assert summary.line() == line


def test_skip_bad_counts_bad_records_and_default_stops_with_line_number(fake_cli):
    lines = '{"role": "user", "content": "one"}\n{oops\n{"role": "user", "content": "two"}\n'
    stopped = runner.invoke(cli.app, ["add", "-u", "a", "--no-infer"], input=lines)
    assert stopped.exit_code == 2 and "line 2" in stopped.stderr
    assert json.loads(runner.invoke(cli.app, ["list", "--json"]).stdout)["results"] == []
    skipped = runner.invoke(cli.app, ["add", "-u", "a", "--no-infer", "--skip-bad"], input=lines)
    assert skipped.exit_code == 0 and "1 bad record skipped" in skipped.stderr
    assert len(json.loads(runner.invoke(cli.app, ["list", "--json"]).stdout)["results"]) == 2


def test_every_real_export_reads_through_the_cli(fake_cli):
    for path in sorted((SHARED / "real-exports").rglob("*")):
        if path.suffix not in (".json", ".txt"):
            continue
        result = runner.invoke(cli.app, ["add", "-u", "u", "--no-infer"], input=path.read_bytes())
        assert result.exit_code == 0, (path.name, result.stderr)


def _conversation(n: int) -> Conversation:
    return Conversation(messages=[Message("user", f"message number {i}", id=f"m{i}") for i in range(n)])


def test_chunks_split_long_conversations():
    parts = chunks([_conversation(95), _conversation(3)], size=40)
    assert [(i, start, len(m)) for i, start, m in parts] == [(0, 0, 40), (0, 40, 40), (0, 80, 15), (1, 0, 3)]


class FailingMemory(Memory):
    """Dies after a number of chunks, like a killed process."""

    def __init__(self, *args, fail_after: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.left = fail_after

    def add_messages(self, *args, **kwargs):
        if self.left == 0:
            raise KeyboardInterrupt
        self.left -= 1
        return super().add_messages(*args, **kwargs)


def test_resume_continues_from_the_checkpoint_without_duplicates(isolated_home):
    conversations = [_conversation(100)]
    digest = input_digest(b"input", {"user_id": "a"}, False)
    broken = FailingMemory(path=isolated_home, embedder=FakeEmbedder(), fail_after=1)
    with pytest.raises(KeyboardInterrupt):
        ingest(broken, conversations, scope={"user_id": "a"}, infer=False, digest=digest)
    assert Checkpoint(isolated_home, digest).done == 1
    assert len(broken.store.facts.select_messages()) == 40
    broken.close()
    memory = Memory(path=isolated_home, embedder=FakeEmbedder())
    summary = ingest(memory, conversations, scope={"user_id": "a"}, infer=False, digest=digest, resume=True)
    assert summary.resumed_chunks == 1 and summary.messages_new == 60
    assert len(memory.store.facts.select_messages()) == 100
    assert Checkpoint(isolated_home, digest).done == 0


def test_a_message_without_a_time_takes_its_time_across_chunks(isolated_home):
    """Chunks of 40 are added one by one; a message's time comes from the whole conversation."""
    times = {10: "2024-01-10T10:00:00", 60: "2024-03-01T09:00:00"}
    messages = [Message("user", f"message number {i}", id=f"m{i}", created_at=times.get(i)) for i in range(95)]
    memory = Memory(path=isolated_home, embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    ingest(memory, [Conversation(messages)], scope={"user_id": "u"}, infer=False)
    said = {m["message_id"]: m["said_at"] for m in memory.store.facts.select_messages()}
    assert {said[f"m{i}"] for i in range(60)} == {times[10]}  # m0-m9 before the first time; m40-m59 in chunk 2
    assert {said[f"m{i}"] for i in range(60, 95)} == {times[60]}
    again = ingest(memory, [Conversation(messages)], scope={"user_id": "u"}, infer=False)
    assert again.messages_new == 0
    memory.close()
