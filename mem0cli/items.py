"""The shapes the API returns: stored rows as memory objects, and the identity of a message."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .dates import format_day, parse_when
from .models import MemoryItem, Message
from .search import with_resolved_dates
from .store.records import MemoryRecord, TurnRecord


def metadata_key(metadata: dict[str, Any] | None) -> str:
    """Metadata as canonical JSON: equal only when keys, values and types are (1, 1.0 and true differ)."""
    return json.dumps(metadata or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def message_digest(scope: dict[str, str | None], m: Message, metadata: dict[str, Any] | None = None) -> str:
    """Identifies a message within a scope and its metadata, so feeding a transcript twice
    stores it once, and the same text given with other metadata is a message of its own.
    (Without metadata the digest is what it was before metadata counted: stores stay idempotent.)"""
    real_id = None if (m.id or "").startswith("#") else m.id
    identity: list[Any] = [scope, m.role, m.name, m.content, m.created_at, real_id]
    if metadata:
        identity.append(metadata_key(metadata))
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def stored_message_digest(row: dict[str, Any], content: str) -> str:
    """The digest of a stored turn whose text became `content` (redacted): what adding that
    text again computes, when the turn's time was given with it."""
    scope = {"user_id": row["user_id"], "agent_id": row["agent_id"], "run_id": row["run_id"]}
    message = Message(row["role"], content, row["name"], row["message_id"], row["said_at"])
    return message_digest(scope, message, row.get("metadata") or None)


def said_on(said_at: str | None) -> str | None:
    """The day something was said, written out: "2023-05-08T13:56:00" -> "8 May 2023"."""
    day = parse_when(said_at)
    return format_day(day) if day else None


def turn_item(turn: TurnRecord) -> MemoryItem:
    """A stored conversation turn as a memory object of kind "message".

    Its `memory` is the text with its relative dates resolved, as search indexes it
    ("I went yesterday (7 May 2023)"); `content` is the text as it was said.
    """
    return {
        "id": turn.pk, "memory": with_resolved_dates(turn.content, turn.said_at),
        "content": turn.content, "hash": turn.hash, "memory_type": "message",
        "user_id": turn.user_id, "agent_id": turn.agent_id, "run_id": turn.run_id,
        "metadata": turn.metadata, "created_at": turn.created_at, "updated_at": turn.updated_at,
        "said_at": turn.said_at, "said_on": said_on(turn.said_at),
        "speaker": turn.name, "role": turn.role,
        "sources": [turn.message_id] if turn.message_id else [],
        "superseded_by": None, "valid_until": None,
    }


def message_item(turn: TurnRecord) -> dict[str, Any]:
    """A source turn as a memory's evidence."""
    return {
        "id": turn.message_id, "role": turn.role, "name": turn.name,
        "content": turn.content, "created_at": turn.said_at,
    }


#: The fields of a memory record an item shows as they are (`said_on` and `sources` are derived).
_SHOWN = (
    "id", "memory", "hash", "memory_type", "user_id", "agent_id", "run_id", "metadata",
    "created_at", "updated_at", "said_at",
)  # fmt: skip


def memory_item(memory: MemoryRecord, sources: list[TurnRecord]) -> MemoryItem:
    """A stored memory as the API returns it, with its source turns' message ids."""
    item: MemoryItem = {f: getattr(memory, f) for f in _SHOWN}
    item.update(
        said_on=said_on(memory.said_at), speaker=memory.speaker,
        sources=[s.message_id for s in sources if s.message_id],
        superseded_by=memory.superseded_by, valid_until=memory.valid_until,
    )
    return item
