"""The shapes the API returns: stored rows as memory objects, and the identity of a message."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .dates import format_day, parse_when
from .models import MemoryItem, Message
from .search import with_resolved_dates


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


def turn_item(row: dict[str, Any]) -> MemoryItem:
    """A stored conversation turn as a memory object of kind "message".

    Its `memory` is the text with its relative dates resolved, as search indexes it
    ("I went yesterday (7 May 2023)"); `content` is the text as it was said.
    """
    return {
        "id": row["pk"], "memory": with_resolved_dates(row["content"], row["said_at"]),
        "content": row["content"], "hash": row["hash"], "memory_type": "message",
        "user_id": row["user_id"], "agent_id": row["agent_id"], "run_id": row["run_id"],
        "metadata": row["metadata"], "created_at": row["created_at"], "updated_at": row["updated_at"],
        "said_at": row["said_at"], "said_on": said_on(row["said_at"]),
        "speaker": row["name"], "role": row["role"],
        "sources": [row["message_id"]] if row["message_id"] else [],
        "superseded_by": None, "valid_until": None,
    }


def message_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["message_id"], "role": row["role"], "name": row["name"],
        "content": row["content"], "created_at": row["said_at"],
    }


def memory_item(row: dict[str, Any], sources: list[dict[str, Any]]) -> MemoryItem:
    return {
        "id": row["id"],
        "memory": row["memory"],
        "hash": row["hash"],
        "memory_type": row.get("kind", "fact"),
        "user_id": row["user_id"],
        "agent_id": row["agent_id"],
        "run_id": row["run_id"],
        "metadata": row["metadata"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "said_at": row["said_at"],
        "said_on": said_on(row["said_at"]),
        "speaker": row["speaker"],
        "sources": [s["message_id"] for s in sources if s["message_id"]],
        "superseded_by": row["superseded_by"],
        "valid_until": row["valid_until"],
    }
