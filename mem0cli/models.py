"""Plain data types that flow through the pipeline: messages in, facts, memories out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """One chat turn, normalised: role is user/assistant/system/tool."""

    role: str
    content: str
    name: str | None = None
    id: str | None = None
    created_at: str | None = None  # ISO 8601, when the message was said


@dataclass(frozen=True)
class Conversation:
    """A run of messages read from one transcript (an export may hold many)."""

    messages: list[Message]
    id: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Fact:
    """A candidate fact drawn from messages, before it is checked and stored."""

    text: str
    source_ids: tuple[str, ...] = ()  # ids of the messages it came from
    said_at: str | None = None  # created_at of the (last) source message
    speaker: str | None = None
    score: float | None = None  # the extractor's confidence, when it has one
    corrects: str | None = None  # the value a correction replaces ("Monday" in "Tuesday, not Monday")


@dataclass
class ExtractionResult:
    """What an extractor returns for a batch of messages."""

    facts: list[Fact] = field(default_factory=list)
    dropped: int = 0  # candidates rejected (ungrounded, not lasting, malformed)
    repaired: int = 0  # facts made well-formed (split, agreement, dangling end cut)
    warnings: list[str] = field(default_factory=list)


MemoryItem = dict[str, Any]
"""A memory as the API returns it: id, memory, hash, user_id, agent_id, run_id,
metadata, created_at, updated_at, sources, and score in search results."""
