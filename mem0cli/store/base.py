"""The storage boundary: one `Store` owns consistency between the rows and their vectors.

A store keeps memories, the turns they came from, the links between them, history,
erasure records and vectors, and owns what keeps them in step: the write lock, the
transaction, the vector index and its repair queue, and erasure. `Memory` is two
pipelines over it (extract -> check -> write; candidates -> rank); `backup`, `doctor`,
`ingest` and `secret_scan` call these operations only.

Filters come in as the backend-neutral tree of `mem0cli.filters` (None: everything);
each backend compiles it itself. Records are those of `store.records`.

Writing: hold `write_lock()`, open `transaction()`, call the write operations (their
reads inside see the writes so far), leave the transaction (commit), then `index()` the
vectors of what was written. A crash between commit and `index()` leaves rows unindexed:
`needs_repair()` says so, and `repair()` (run by the next write, `doctor --repair` and
the server when idle, never by a search) indexes them.

Opening or reading never creates anything: `exists()` says whether there is a store,
reads of a store that does not exist return nothing, and `create()` is the visible step
a write takes first.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from ..filters import Filter
from .graph_tables import GraphTables
from .records import (
    Candidate,
    Deletion,
    HealthReport,
    HistoryEvent,
    MemoryRecord,
    StoreCounts,
    Tombstone,
    TurnRecord,
)

Scope = Mapping[str, str | None]  # user_id, agent_id, run_id
Vector = Sequence[float]
#: Texts -> their document vectors (the embedder's `embed_documents`), for repairs.
Embed = Callable[[list[str]], list[list[float]]]


class Store(ABC):
    """Memories, turns, history and vectors behind one owner."""

    #: Where the store lives (a directory or a URL), for messages and `stats`.
    location: str
    #: The schema version (the number of migrations applied).
    schema_version: int

    # -- lifecycle ----------------------------------------------------------------
    @abstractmethod
    def exists(self) -> bool:
        """True when the store has been created (a read of a missing store returns nothing)."""

    @abstractmethod
    def create(self) -> None:
        """Make the store (directories, files, schema) if it is not there; migrate it if it is old."""

    @abstractmethod
    def close(self) -> None:
        """Release connections and handles (the store can be used again: it reopens)."""

    # -- consistency ------------------------------------------------------------------
    @abstractmethod
    def write_lock(self, wait: bool = True) -> AbstractContextManager[bool]:
        """One writer at a time (re-entrant). Yields True once held; with `wait=False`, False
        at once when another writer holds it."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside land together or none do; a nested call joins the outer one."""

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one consistent state (an export)."""

    @abstractmethod
    def check_model(self, model_id: str, *, record: bool = False) -> None:
        """StoreError if the store's vectors were made with another embedding model
        (`mem0cli reindex` then re-embeds it); with `record` (a write), note `model_id` as the
        store's when none is yet."""

    @abstractmethod
    def index(self, vectors: Mapping[str, Vector], dimensions: int) -> None:
        """Write the vectors of committed memories and turns (by id / pk) and mark them
        indexed; then whatever index maintenance the size calls for. Hold `write_lock`."""

    @abstractmethod
    def needs_repair(self) -> bool:
        """True when rows lack their vectors or vector deletes are unfinished."""

    @abstractmethod
    def repair(self, embed: Embed, dimensions: int) -> int:
        """Finish vector deletes a killed erase left, and index the rows a killed write left
        unindexed (their texts embedded with `embed`); returns how many were indexed.
        Hold `write_lock`."""

    @abstractmethod
    def erase(
        self,
        memory_ids: Sequence[str],
        scope: dict[str, Any],
        reason: str,
        *,
        turns_matching: Filter | None = None,
        turn_pks: Sequence[str] = (),
        at: str,
    ) -> None:
        """Erase memories (their history keeps the events, not the text), the turns no
        remaining memory uses, the turns matching `turns_matching` and the given turns, with a
        `Deletion` record; drop their vectors; then `compact`. The turns stored after erased
        ones are left unindexed (their vectors carried an erased turn's start): `repair` them.
        Takes `write_lock` itself."""

    @abstractmethod
    def compact(self) -> None:
        """Make deleted text leave the disk (as far as the backend can)."""

    @abstractmethod
    def reset(self) -> None:
        """Delete every memory, turn, history event and vector. Takes `write_lock` itself."""

    # -- health -----------------------------------------------------------------------------
    @abstractmethod
    def check(self, model_id: str, dimensions: Callable[[], int]) -> HealthReport:
        """Compare rows and vectors, changing nothing (`dimensions` is asked only when needed)."""

    @abstractmethod
    def fix(self, report: HealthReport) -> list[str]:
        """Drop orphan and duplicate vectors and mark rows with missing, duplicated or stale
        vectors unindexed (`repair` then indexes them); one line per fix."""

    @abstractmethod
    def drop_vectors(self, model_id: str, dimensions: int) -> int:
        """Before `reindex`: drop every vector (an empty index of `dimensions` remains), mark
        every row unindexed, record `model_id`; returns how many rows need vectors."""

    # -- writes (inside `transaction`) -------------------------------------------------
    @abstractmethod
    def insert_turn(self, turn: TurnRecord, search_text: str) -> None:
        """Store a turn; `search_text` is what keyword search matches it by."""

    @abstractmethod
    def insert_memory(self, memory: MemoryRecord, search_text: str, *, indexed: bool = False) -> None:
        """Store a memory (`indexed`: its vector is written in the same bulk load)."""

    @abstractmethod
    def insert_memories(self, memories: Sequence[MemoryRecord], search_texts: Sequence[str]) -> None:
        """Store many memories at once (bulk imports, benchmarks), marked indexed."""

    @abstractmethod
    def delete_memories(self, memory_ids: Sequence[str]) -> None:
        """Remove memories and their links, not as an erasure: their turns stay, their history
        keeps its texts (the caller adds the DELETE event) and no `Deletion` is recorded.
        Their vectors go with them, or, where rows and vectors are apart, at the next `repair`."""

    @abstractmethod
    def update_memory(self, memory_id: str, **fields: Any) -> None:
        """Change fields of a memory (MemoryRecord names) other than its text."""

    @abstractmethod
    def set_memory_text(self, memory_id: str, text: str, hash_: str, search_text: str, at: str) -> None:
        """Replace a memory's text (and keyword entry); its vector must be made again."""

    @abstractmethod
    def set_turn_text(self, pk: str, content: str, hash_: str, search_text: str) -> None:
        """Replace a turn's text (and keyword entry); its vector must be made again."""

    @abstractmethod
    def set_history_text(self, event_id: str, column: str, text: str) -> None:
        """Replace `old_memory` or `new_memory` of one history event (by `stored_texts` key)."""

    @abstractmethod
    def mark_unindexed(self, keys: Sequence[str]) -> None:
        """Memories or turns whose vectors must be made again (by the next `repair`)."""

    @abstractmethod
    def link(self, memory_id: str, pk: str) -> None:
        """Record that a memory was drawn from a turn (once)."""

    @abstractmethod
    def add_history(self, event: HistoryEvent) -> None: ...

    @abstractmethod
    def add_deletion(self, deletion: Deletion) -> None: ...

    @abstractmethod
    def set_expiry(self, memory_ids: Sequence[str], expires_at: str) -> None:
        """The memories, and the turns they came from, leave reads after `expires_at`."""

    @abstractmethod
    def count_redacted(self, found: Mapping[str, int]) -> None:
        """Add to the store's count of secrets redacted, by type."""

    @abstractmethod
    def set_meta(self, key: str, value: str) -> None: ...

    # -- reads ------------------------------------------------------------------------------
    @abstractmethod
    def get_meta(self, key: str) -> str | None: ...

    @abstractmethod
    def rows(self, ids: Sequence[str]) -> dict[str, MemoryRecord]:
        """Memories by id (unknown ids left out)."""

    @abstractmethod
    def turns(self, pks: Sequence[str]) -> dict[str, TurnRecord]:
        """Turns by pk (unknown pks left out)."""

    @abstractmethod
    def select(
        self, tree: Filter | None, *, limit: int | None = None, oldest_first: bool = False, since: str | None = None
    ) -> list[MemoryRecord]:
        """Memories matching the filter, newest first (or oldest first), changed at or after `since`."""

    @abstractmethod
    def select_turns(self, tree: Filter | None, *, since: str | None = None) -> list[TurnRecord]:
        """Turns matching the filter, by when they were said."""

    @abstractmethod
    def find_by_hash(self, hash_: str, scope: Scope) -> list[MemoryRecord]:
        """Current (not superseded) memories of exactly this scope with this text hash, oldest first."""

    @abstractmethod
    def turns_with_hash(self, hash_: str) -> list[TurnRecord]:
        """Every stored turn with this digest (`items.message_digest`)."""

    @abstractmethod
    def last_turn(self, scope: Scope) -> str | None:
        """The pk of the turn stored last in exactly this scope."""

    @abstractmethod
    def previous_turns(self, pks: Sequence[str]) -> dict[str, str]:
        """For each pk, the turn stored just before it in its scope (a scope's first has none)."""

    @abstractmethod
    def next_turns(self, pks: Sequence[str]) -> list[str]:
        """The turns stored just after the given ones in their scopes, not themselves among them."""

    @abstractmethod
    def in_stored_order(self, pks: Sequence[str]) -> list[str]:
        """The pks sorted by when they were stored; unknown pks left out."""

    @abstractmethod
    def source_pks(self, memory_ids: Sequence[str]) -> dict[str, list[str]]:
        """For each memory, the pks of its source turns."""

    @abstractmethod
    def sources_of(self, memory_ids: Sequence[str]) -> dict[str, list[TurnRecord]]:
        """For each memory, its source turns, oldest first."""

    @abstractmethod
    def history(self, memory_ids: Sequence[str]) -> dict[str, list[HistoryEvent]]:
        """Each memory's events, oldest first."""

    @abstractmethod
    def tombstones(self, since: str | None = None) -> list[Tombstone]:
        """Deleted memories, oldest deletion first."""

    @abstractmethod
    def deletions(self) -> list[Deletion]:
        """Erasure records, oldest first."""

    @abstractmethod
    def ids_starting(self, prefix: str, limit: int = 2) -> list[str]:
        """Memory ids and turn pks that start with `prefix`."""

    @abstractmethod
    def is_empty(self) -> bool:
        """True when the store holds no memory and no turn (or does not exist)."""

    @abstractmethod
    def has_facts(self) -> bool:
        """True when some memory has memory_type "fact"."""

    @abstractmethod
    def counts(self) -> StoreCounts: ...

    @abstractmethod
    def redacted_counts(self) -> dict[str, int]: ...

    @abstractmethod
    def stored_texts(self) -> Iterator[tuple[str, str, str, str]]:
        """Every text held, as (table, key, column, text): "memories", "messages" and
        "history" (key: the event's id; column: old_memory or new_memory)."""

    @abstractmethod
    def vectors_of(self, keys: Sequence[str]) -> dict[str, list[float]]:
        """The stored vectors of memories and turns (export --with-vectors)."""

    # -- graph ------------------------------------------------------------------------------
    @property
    @abstractmethod
    def graph(self) -> GraphTables:
        """The graph's tables on this store's connection: writes join `transaction`, and
        `erase` prunes what the erased memories alone supported."""

    def graph_reader(self) -> GraphTables:
        """The graph's tables for reading from a search's second thread while the first
        embeds the query (the store's connection where it is safe to share, as PostgreSQL's)."""
        return self.graph

    # -- search -----------------------------------------------------------------------------
    @abstractmethod
    def refresh(self) -> None:
        """See what other writers committed since this handle last looked (cheap)."""

    def prefetch(self, tree: Filter | None) -> None:  # noqa: B027 - optional: a hint
        """Start reading what a vector search under this filter will need (a hint, may do nothing)."""

    @abstractmethod
    def vector_candidates(self, vector: Vector, tree: Filter | None, want: int) -> list[Candidate]:
        """The `want` nearest memories and turns passing the filter exactly, best first (cosine)."""

    @abstractmethod
    def keyword_candidates(self, query: str, tree: Filter | None, want: int) -> list[Candidate]:
        """Memories and turns matching the query's words and the filter, best first (bm25:
        lower is better). Safe to call from a second thread while the first embeds a query."""

    @abstractmethod
    def nearest_facts(self, vector: Vector, scope: Scope, limit: int) -> list[tuple[str, float]]:
        """(id, cosine) of the facts of a scope nearest to `vector` (duplicate checks; may
        include rows a filter on the exact scope would drop: the caller checks)."""

    @abstractmethod
    def similarities(self, vector: Vector, keys: Sequence[str], tree: Filter | None) -> dict[str, float]:
        """Cosine similarity of `vector` with the given memories and turns (those with vectors)."""

    @abstractmethod
    def newest_said_at(self, tree: Filter | None) -> str | None:
        """The latest said_at among memories and turns passing the filter."""
