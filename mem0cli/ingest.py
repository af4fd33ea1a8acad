"""Ingesting a whole transcript: conversations in chunks, counts, and a checkpoint to resume from.

Each chunk is one `Memory.add_messages` call, committed on its own, so a 50 MB export
never becomes one giant transaction. After each chunk the checkpoint records how far the
input got; `resume=True` skips what a killed run already committed. (Messages already
stored are skipped anyway, so a plain re-run adds no duplicates either; resuming only
saves the hashing.)
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .memory import Memory
from .models import Conversation, Message
from .redact import describe
from .transcripts import timed_by_neighbours

CHUNK_MESSAGES = 40


@dataclass
class IngestSummary:
    """What an ingest did, for the CLI's summary line and --json."""

    conversations: int = 0
    messages_read: int = 0
    messages_new: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    dropped: int = 0
    skipped_records: int = 0
    warnings: list[str] = field(default_factory=list)
    resumed_chunks: int = 0
    redacted: dict[str, int] = field(default_factory=dict)  # secrets by type (`redact.py`)
    results: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> str:
        """What was stored, in words: "10 messages read: 10 turns kept, 2 facts added, 1 updated,
        0 unchanged" (turns kept: messages new to the store; updated: a newer fact superseded an
        older one; unchanged: the fact was already known)."""
        read = _count(self.messages_read, "message")
        if self.messages_read and not self.messages_new:
            parts = [f"{read} read, nothing new: every message was already stored"]
        else:
            kept = _count(self.messages_new, "turn") + " kept"
            if self.messages_new < self.messages_read:
                kept += f" ({self.messages_read - self.messages_new} already stored)"
            parts = [
                f"{read} read: {kept}", _count(self.added, "fact") + " added",
                f"{self.updated} updated", f"{self.unchanged} unchanged",
            ]
        if self.skipped_records:
            parts.append(_count(self.skipped_records, "bad record") + " skipped")
        if self.warnings:
            parts.append(_count(len(self.warnings), "warning"))
        if self.redacted:
            parts.append(describe(Counter(self.redacted)))
        if self.resumed_chunks:
            parts.append(f"resumed after {_count(self.resumed_chunks, 'committed chunk')}")
        return ", ".join(parts)


def _count(n: int, noun: str) -> str:
    """'1 fact', '2 facts'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def chunks(conversations: list[Conversation], size: int = CHUNK_MESSAGES) -> list[tuple[int, int, list[Message]]]:
    """(conversation index, start, messages) in runs of at most `size` messages."""
    out = []
    for index, conversation in enumerate(conversations):
        for start in range(0, len(conversation.messages), size):
            out.append((index, start, conversation.messages[start : start + size]))
    return out


def times_around(times: list[str | None], start: int, end: int) -> tuple[str | None, str | None]:
    """The times just before and after a chunk [start, end) of a conversation whose
    messages were said at `times` (as `timed_by_neighbours` fills them)."""
    return (times[start - 1] if start > 0 else None, times[end] if end < len(times) else None)


class Checkpoint:
    """How many chunks of one input (identified by a digest) are committed."""

    def __init__(self, store: Path, digest: str, name: str = "ingest-checkpoints.json") -> None:
        self.path = store / name
        self.digest = digest

    def _load(self) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @property
    def done(self) -> int:
        value = self._load().get(self.digest, 0)
        return value if isinstance(value, int) else 0

    def save(self, done: int | None) -> None:
        data = self._load()
        if done is None:
            data.pop(self.digest, None)
        else:
            data[self.digest] = done
        tmp = self.path.with_suffix(".tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)  # a team store (a URL) has no directory yet
        tmp.write_text(json.dumps(data))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)


def input_digest(data: bytes | str, scope: dict[str, Any], infer: bool) -> str:
    raw = data.encode() if isinstance(data, str) else data
    head = json.dumps([scope, infer]).encode()
    return hashlib.sha256(head + raw).hexdigest()


def ingest(
    memory: Memory,
    conversations: list[Conversation],
    *,
    scope: dict[str, str | None],
    metadata: dict[str, Any] | None = None,
    infer: bool = True,
    digest: str | None = None,
    resume: bool = False,
    on_progress: Callable[[int], None] | None = None,
    expires_at: str | None = None,
) -> IngestSummary:
    """Add every conversation (each its own run when there are several and no run_id is given)."""
    summary = IngestSummary(conversations=len(conversations))
    checkpoint = Checkpoint(memory.path, digest) if digest else None
    skip = checkpoint.done if (checkpoint and resume) else 0
    summary.resumed_chunks = skip
    said_at: dict[int, list[str | None]] = {}  # by conversation: every message's time, filled
    for number, (index, start, messages) in enumerate(chunks(conversations)):
        summary.messages_read += len(messages)
        if number < skip:
            if on_progress:
                on_progress(len(messages))
            continue
        conv_scope = dict(scope)
        conversation = conversations[index]
        if len(conversations) > 1 and not scope.get("run_id") and conversation.id:
            conv_scope["run_id"] = str(conversation.id)
        if index not in said_at:
            said_at[index] = [m.created_at for m in timed_by_neighbours(conversation.messages)]
        around = times_around(said_at[index], start, start + len(messages))
        added = memory.add_messages(
            messages, scope=conv_scope, metadata=metadata, infer=infer, times_around=around, expires_at=expires_at
        )
        summary.messages_new += added["messages_new"]
        summary.dropped += added["dropped"]
        for kind, n in added.get("redacted", {}).items():
            summary.redacted[kind] = summary.redacted.get(kind, 0) + n
        summary.warnings += added["warnings"]
        summary.results += added["results"]
        if checkpoint:
            checkpoint.save(number + 1)  # the store exists: add_messages made it
        if on_progress:
            on_progress(len(messages))
    for result in summary.results:
        event = result["event"]
        summary.added += event == "ADD"
        summary.updated += event == "UPDATE"
        summary.unchanged += event == "NONE"
    if checkpoint:
        checkpoint.save(None)
    return summary
