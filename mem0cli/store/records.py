"""Typed records that cross the storage boundary: a memory, a turn, a history event,
a deletion proof, a tombstone, a search candidate, the store's counts and its health.

The fields of `MemoryRecord` and `TurnRecord` are the one definition of their columns:
the SQLite tables (checked by a test against the migrations), the API items (`items.py`)
and the export lines (`backup.py`) all read `MEMORY_FIELDS` / `TURN_FIELDS`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, NamedTuple

#: The column a field is stored in, where the names differ (the type is in `kind`).
STORED_AS = {"memory_type": "kind"}


@dataclass(frozen=True, kw_only=True)
class MemoryRecord:
    """A stored fact (or a message stored as a memory with `infer=False`)."""

    id: str
    memory: str
    hash: str
    memory_type: str = "fact"
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""
    said_at: str | None = None
    speaker: str | None = None
    superseded_by: str | None = None
    valid_until: str | None = None
    confirmations: int = 1
    model: str | None = None
    prompt_version: str | None = None
    expires_at: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MemoryRecord:
        """From a row keyed by column (or by field); unknown keys are ignored."""
        return cls(**{f: row[STORED_AS.get(f, f)] if STORED_AS.get(f, f) in row else row[f]
                      for f in MEMORY_FIELDS if STORED_AS.get(f, f) in row or f in row})

    def as_row(self) -> dict[str, Any]:
        """Keyed by column (metadata still a dict)."""
        return {STORED_AS.get(k, k): v for k, v in asdict(self).items()}

    def scope(self) -> dict[str, str | None]:
        return {"user_id": self.user_id, "agent_id": self.agent_id, "run_id": self.run_id}


@dataclass(frozen=True, kw_only=True)
class TurnRecord:
    """A stored conversation turn: the evidence memories are drawn from, searchable itself."""

    pk: str
    message_id: str | None = None
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    role: str
    name: str | None = None
    content: str
    said_at: str | None = None
    hash: str
    added_at: str
    created_at: str | None = None
    updated_at: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    expires_at: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TurnRecord:
        return cls(**{f: row[f] for f in TURN_FIELDS if f in row})

    def as_row(self) -> dict[str, Any]:
        """Keyed by column (metadata still a dict)."""
        return asdict(self)

    def scope(self) -> dict[str, str | None]:
        return {"user_id": self.user_id, "agent_id": self.agent_id, "run_id": self.run_id}


@dataclass(frozen=True, kw_only=True)
class HistoryEvent:
    """One event of a memory's life: ADD, UPDATE or DELETE (an erased memory's texts are None)."""

    memory_id: str
    event: str
    old_memory: str | None = None
    new_memory: str | None = None
    actor: str | None = None
    created_at: str
    reason: str | None = None
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """As `Memory.history` returns it (and the export writes it, without memory_id)."""
        return {k: getattr(self, k) for k in HISTORY_FIELDS}


@dataclass(frozen=True)
class Deletion:
    """Proof of an erasure: what was asked, how many, the digests (no text)."""

    scope: dict[str, Any]
    count: int
    hashes: list[str]
    created_at: str
    reason: str | None = None


@dataclass(frozen=True)
class Tombstone:
    """A deleted memory: its id, scope and when (no text)."""

    id: str
    deleted_at: str
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None


class Candidate(NamedTuple):
    """A search hit before ranking: a fact's id or a turn's pk, its kind ("fact" or
    "message"), and its score (cosine similarity for a vector hit, bm25 for a keyword
    hit: lower is better)."""

    key: str
    kind: str
    score: float


@dataclass(frozen=True)
class StoreCounts:
    """How much the store holds (`mem0cli stats`)."""

    memories: int
    superseded: int
    messages: int
    users: int
    history_events: int


@dataclass
class HealthReport:
    """What a store's `check` found. `ok` is True when `problems` is empty."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # indexed, but no vector
    orphans: list[str] = field(default_factory=list)  # a vector without a row
    unindexed: list[str] = field(default_factory=list)  # rows whose vector may not exist yet
    stale: list[str] = field(default_factory=list)  # vector scope columns differ from the row
    duplicates: list[str] = field(default_factory=list)  # ids with more than one vector
    reindex_needed: bool = False  # the model or dimension differs: only `reindex` helps
    fatal: bool = False  # the source of truth is damaged or unreadable: nothing here can fix it


MEMORY_FIELDS = tuple(f.name for f in fields(MemoryRecord))
TURN_FIELDS = tuple(f.name for f in fields(TurnRecord))
HISTORY_FIELDS = tuple(f.name for f in fields(HistoryEvent))


#: Where every text a store holds lives, as (table, SQL giving key, column, text): the same on both backends.
STORED_TEXT_QUERIES = (
    ("memories", "SELECT id, 'memory', memory FROM memories"),
    ("messages", "SELECT pk, 'content', content FROM messages"),
    ("history", "SELECT id, 'old_memory', old_memory FROM history WHERE old_memory IS NOT NULL"),
    ("history", "SELECT id, 'new_memory', new_memory FROM history WHERE new_memory IS NOT NULL"),
)
