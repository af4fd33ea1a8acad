"""The embedded store: SQLite (the source of truth, `facts.py`) and LanceDB (the vectors,
rebuildable, `vectors.py`) in one directory, kept in step here and nowhere else.

A process-wide file lock (`write.lock`) keeps one writer at a time across processes;
SQLite's transactions make a write land whole; `indexed` flags and the `vector_deletes`
queue record what LanceDB still has to catch up with, so a writer killed between the
two leaves work that `repair` finishes.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import filters as flt
from ..errors import StoreError
from .base import Embed, Scope, Store, Vector
from .facts import FactStore
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

DB_FILE = "memories.db"
VECTORS_DIR = "vectors"


class LocalStore(Store):
    """SQLite + LanceDB in a directory. Nothing is created until `create()` (a write's first step)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._facts: FactStore | None = None
        self._vectors: Any = None
        self._lock_depth = 0

    # -- lifecycle ------------------------------------------------------------------
    def exists(self) -> bool:
        return (self.path / DB_FILE).is_file()

    def create(self) -> None:
        self._make_directory()
        db_path = self.path / DB_FILE
        if not db_path.exists():
            os.close(os.open(db_path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.facts  # noqa: B018 - opened and migrated now, visibly

    def _make_directory(self) -> None:
        try:
            try:
                self.path.mkdir(parents=True, mode=0o700)
            except FileExistsError:
                pass
            else:
                os.chmod(self.path, 0o700)
        except OSError as exc:
            raise StoreError(f"cannot create the store directory {self.path}: {exc.strerror}") from exc
        if not os.access(self.path, os.W_OK):
            raise StoreError(f"the store directory {self.path} is not writable")

    def close(self) -> None:
        if self._facts is not None:
            self._facts.close()
            self._facts = None
        self._vectors = None

    @property
    def facts(self) -> FactStore:
        """The SQLite part (opened, and migrated, on first use; never created here)."""
        if self._facts is None:
            if not self.exists():
                raise StoreError(f"no store at {self.path}")
            with private_files():
                self._facts = FactStore(self.path / DB_FILE)
        return self._facts

    @property
    def vectors(self) -> Any:
        """The LanceDB part, opened as it is (StoreError when it was never written)."""
        table = self._open_vectors()
        if table is None:
            raise StoreError(f"no vector table under {self.path / VECTORS_DIR}")
        return table

    def _open_vectors(self, dimensions: int | None = None) -> Any:
        """The vector table; created with `dimensions` when given and absent, else None when absent."""
        if self._vectors is not None:
            if dimensions is not None and self._vectors.dimensions != dimensions:
                raise StoreError(
                    f"the vector table holds {self._vectors.dimensions}-dimensional vectors but the "
                    f"embedding model gives {dimensions}; run `mem0cli reindex` after changing MEM0CLI_EMBED_MODEL"
                )
            return self._vectors
        from .vectors import LanceVectorStore

        where = self.path / VECTORS_DIR
        with private_files():
            if dimensions is not None:
                self._vectors = LanceVectorStore(where, dimensions)
            elif where.exists():
                try:
                    self._vectors = LanceVectorStore.open_existing(where)
                except StoreError:
                    return None
        return self._vectors

    @property
    def schema_version(self) -> int:  # type: ignore[override]
        return self.facts.schema_version

    # -- consistency -------------------------------------------------------------------
    @contextmanager
    def write_lock(self, wait: bool = True) -> Iterator[bool]:
        """One writer at a time across processes (a file lock), re-entrant in this store."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield True
            finally:
                self._lock_depth -= 1
            return
        self._make_directory()
        fd = os.open(self.path / "write.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            self._lock_depth = 1
            with private_files():
                yield True
        finally:
            self._lock_depth = 0
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.facts.transaction():
            yield

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: one snapshot under WAL."""
        conn = self.facts.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            conn.execute("COMMIT")

    def check_model(self, model_id: str, *, record: bool = False) -> None:
        stored = self.get_meta("embed_model")
        if stored is None:
            if record:
                with self.transaction():
                    self.facts.set_meta("embed_model", model_id)
        elif stored != model_id:
            raise StoreError(
                f"this store's vectors were made with {stored}, not {model_id}; "
                "run `mem0cli reindex` to re-embed it with the configured MEM0CLI_EMBED_MODEL"
            )

    def index(self, vectors: Mapping[str, Vector], dimensions: int) -> None:
        if not vectors:
            return
        ids = list(vectors)
        rows = {**self.facts.get_rows(ids), **self.facts.get_messages(ids)}
        table = self._open_vectors(dimensions)
        table.upsert([{**rows[i], "id": i, "vector": v} for i, v in vectors.items() if i in rows])
        with self.facts.transaction():
            self.facts.mark_indexed(ids)
        table.maybe_build_index()  # past a few thousand rows: B-tree and ANN indexes

    def needs_repair(self) -> bool:
        return self.exists() and self.facts.needs_repair()

    def repair(self, embed: Embed, dimensions: int) -> int:
        from ..search import turn_texts

        self._drain_vector_deletes()
        fact_ids, pks = self.facts.unindexed()
        if not fact_ids and not pks:
            return 0
        facts = self.facts.get_rows(fact_ids)
        turns = turn_texts(self, pks)
        texts = [facts[i]["memory"] for i in fact_ids] + [turns[p] for p in pks]
        self.index(dict(zip([*fact_ids, *pks], embed(texts))), dimensions)
        return len(texts)

    def _drain_vector_deletes(self) -> None:
        """Delete from LanceDB the vectors whose rows SQLite deleted (a killed erase leaves some)."""
        pending = self.facts.pending_vector_deletes()
        if not pending:
            return
        table = self._open_vectors()
        if table is not None:
            table.delete(pending)
        with self.facts.transaction():
            self.facts.clear_vector_deletes(pending)

    def erase(
        self,
        memory_ids: Sequence[str],
        scope: dict[str, Any],
        reason: str,
        *,
        turns_matching: flt.Filter | None = None,
        turn_pks: Sequence[str] = (),
        at: str,
    ) -> None:
        facts = self.facts
        with self.write_lock():
            rows = facts.get_rows(memory_ids)
            turns = facts.get_messages(turn_pks)
            with facts.transaction():
                orphans = facts.delete_memory_rows(memory_ids)
                for mid in memory_ids:
                    if mid in rows:
                        row = rows[mid]
                        self.add_history(HistoryEvent(
                            memory_id=mid, event="DELETE", created_at=at, reason=f"{reason} (hash {row['hash']})",
                            user_id=row["user_id"], agent_id=row["agent_id"], run_id=row["run_id"],
                        ))
                if turns_matching is not None:
                    orphans += [m["pk"] for m in facts.select_messages(*flt.to_sql(turns_matching))]
                orphans += list(turns)
                # a turn's vector carries the start of the turn before it: the turns after
                # erased ones lose their vectors now and get new ones at the next repair
                followers = facts.next_turns(orphans)
                facts.delete_messages(orphans)
                facts.mark_unindexed(followers)
                hashes = [rows[i]["hash"] for i in memory_ids if i in rows] + [t["hash"] for t in turns.values()]
                self.add_deletion(Deletion(scope=scope, count=len(hashes), hashes=hashes, created_at=at, reason=reason))
                facts.queue_vector_deletes([*memory_ids, *orphans, *followers])
                self.graph.prune()
            self._drain_vector_deletes()
            self.compact()  # first: the forgotten text leaves the disk whatever happens next

    def compact(self) -> None:
        """Checkpoint SQLite's WAL and VACUUM (secure_delete is on), drop old LanceDB versions."""
        if not self.exists():
            return
        self.facts.optimize_text_index()
        self.facts.conn.execute("VACUUM")
        self.facts.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        table = self._open_vectors()
        if table is not None:
            table.compact()

    def reset(self) -> None:
        if not self.exists():  # nothing to delete, nothing made
            return
        with self.write_lock():
            self.facts.reset()
            table = self._open_vectors()
            if table is not None:
                table.reset()
            self.compact()

    # -- health ----------------------------------------------------------------------------
    def check(self, model_id: str, dimensions: Any) -> HealthReport:
        from .health import inspect

        return inspect(self, model_id, dimensions)

    def fix(self, report: HealthReport) -> list[str]:
        from .health import fix

        fixed = fix(self, report)
        self._vectors = None  # the cached handle may predate the deletes
        return fixed

    def drop_vectors(self, model_id: str, dimensions: int) -> int:
        import shutil

        with self.facts.transaction():
            self.facts.mark_all_unindexed()
            self.facts.set_meta("embed_model", model_id)
        self._vectors = None
        where = self.path / VECTORS_DIR
        if where.exists():
            shutil.rmtree(where)  # old versions and deleted rows go too
        self._open_vectors(dimensions)  # empty, with the new dimension
        return self.facts.count_unindexed()

    # -- writes --------------------------------------------------------------------------
    def insert_turn(self, turn: TurnRecord, search_text: str) -> None:
        self.facts.insert_message(turn.as_row(), search_text)

    def insert_memory(self, memory: MemoryRecord, search_text: str, *, indexed: bool = False) -> None:
        self.facts.insert_memory({**memory.as_row(), "indexed": int(indexed)}, search_text)

    def insert_memories(self, memories: Sequence[MemoryRecord], search_texts: Sequence[str]) -> None:
        self.facts.insert_memories([{**m.as_row(), "indexed": 1} for m in memories], search_texts)

    def delete_memories(self, memory_ids: Sequence[str]) -> None:
        self.facts.delete_memory_rows(memory_ids, erase_history=False)
        self.facts.queue_vector_deletes(memory_ids)  # LanceDB cannot roll back: `repair` drains it
        self.graph.prune()  # relations only these facts supported, and entities left alone

    def update_memory(self, memory_id: str, **fields: Any) -> None:
        self.facts.update_memory(memory_id, **{"kind" if k == "memory_type" else k: v for k, v in fields.items()})

    def set_memory_text(self, memory_id: str, text: str, hash_: str, search_text: str, at: str) -> None:
        self.facts.update_memory(memory_id, memory=text, hash=hash_, updated_at=at, indexed=0)
        self.facts.reindex_text(memory_id, search_text)

    def set_turn_text(self, pk: str, content: str, hash_: str, search_text: str) -> None:
        self.facts.rewrite_message(pk, content, hash_, search_text)

    def set_history_text(self, event_id: str, column: str, text: str) -> None:
        self.facts.rewrite_history(event_id, column, text)

    def mark_unindexed(self, keys: Sequence[str]) -> None:
        self.facts.mark_unindexed(keys)

    def link(self, memory_id: str, pk: str) -> None:
        self.facts.link_source(memory_id, pk)

    def add_history(self, event: HistoryEvent) -> None:
        self.facts.add_history(
            event.memory_id, event.event, event.old_memory, event.new_memory, event.created_at,
            actor=event.actor, reason=event.reason, scope=_scope_of(event),
        )

    def add_deletion(self, deletion: Deletion) -> None:
        self.facts.record_deletion(deletion.scope, deletion.hashes, deletion.created_at, deletion.reason)

    def set_expiry(self, memory_ids: Sequence[str], expires_at: str) -> None:
        self.facts.set_expiry(memory_ids, expires_at)

    def count_redacted(self, found: Mapping[str, int]) -> None:
        self.facts.count_redacted(dict(found))

    def set_meta(self, key: str, value: str) -> None:
        self.facts.set_meta(key, value)

    # -- reads ---------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        return self.facts.get_meta(key) if self.exists() else None

    def rows(self, ids: Sequence[str]) -> dict[str, MemoryRecord]:
        return {k: MemoryRecord.from_row(r) for k, r in self.facts.get_rows(ids).items()} if self.exists() else {}

    def turns(self, pks: Sequence[str]) -> dict[str, TurnRecord]:
        return {k: TurnRecord.from_row(r) for k, r in self.facts.get_messages(pks).items()} if self.exists() else {}

    def select(
        self, tree: flt.Filter | None, *, limit: int | None = None, oldest_first: bool = False, since: str | None = None
    ) -> list[MemoryRecord]:
        if not self.exists():
            return []
        where, params = _since(tree, since)
        order = "created_at, id" if oldest_first else "created_at DESC, id"
        return [MemoryRecord.from_row(r) for r in self.facts.select(where, params, limit=limit, order=order)]

    def select_turns(self, tree: flt.Filter | None, *, since: str | None = None) -> list[TurnRecord]:
        if not self.exists():
            return []
        return [TurnRecord.from_row(r) for r in self.facts.select_messages(*_since(tree, since))]

    def find_by_hash(self, hash_: str, scope: Scope) -> list[MemoryRecord]:
        if not self.exists():
            return []
        return [MemoryRecord.from_row(r) for r in self.facts.find_by_hash(hash_, dict(scope))]

    def turns_with_hash(self, hash_: str) -> list[TurnRecord]:
        if not self.exists():
            return []
        return [TurnRecord.from_row(r) for r in self.facts.query("SELECT * FROM messages WHERE hash = ?", [hash_])]

    def last_turn(self, scope: Scope) -> str | None:
        if not self.exists():
            return None
        return self.facts.last_turn(dict(scope))

    def previous_turns(self, pks: Sequence[str]) -> dict[str, str]:
        if not self.exists():
            return {}
        return self.facts.previous_turns(pks)

    def next_turns(self, pks: Sequence[str]) -> list[str]:
        if not self.exists():
            return []
        return self.facts.next_turns(pks)

    def in_stored_order(self, pks: Sequence[str]) -> list[str]:
        if not self.exists():
            return []
        return self.facts.in_stored_order(pks)

    def source_pks(self, memory_ids: Sequence[str]) -> dict[str, list[str]]:
        if not self.exists():
            return {}
        return self.facts.source_pks(memory_ids)

    def sources_of(self, memory_ids: Sequence[str]) -> dict[str, list[TurnRecord]]:
        if not self.exists():
            return {}
        return {k: [TurnRecord.from_row(t) for t in v] for k, v in self.facts.sources_of(memory_ids).items()}

    def history(self, memory_ids: Sequence[str]) -> dict[str, list[HistoryEvent]]:
        if not self.exists():
            return {}
        return {k: [HistoryEvent(**e) for e in v] for k, v in self.facts.history_of(memory_ids).items()}

    def tombstones(self, since: str | None = None) -> list[Tombstone]:
        if not self.exists():
            return []
        return [Tombstone(**t) for t in self.facts.tombstones(since)]

    def deletions(self) -> list[Deletion]:
        if not self.exists():
            return []
        return [
            Deletion(scope=d["scope"], count=d["count"], hashes=d["hashes"], created_at=d["created_at"], reason=d["reason"])
            for d in self.facts.deletions()
        ]

    def ids_starting(self, prefix: str, limit: int = 2) -> list[str]:
        return self.facts.ids_starting(prefix, limit) if self.exists() else []

    def is_empty(self) -> bool:
        return not self.exists() or self.facts.is_empty()

    def has_facts(self) -> bool:
        if not self.exists():
            return False
        return self.facts.count("kind = 'fact'") > 0

    def counts(self) -> StoreCounts:
        return StoreCounts(**self.facts.counts())

    def redacted_counts(self) -> dict[str, int]:
        if not self.exists():
            return {}
        return self.facts.redacted_counts()

    def stored_texts(self) -> Iterator[tuple[str, str, str, str]]:
        if not self.exists():
            return iter(())
        return self.facts.stored_texts()

    def vectors_of(self, keys: Sequence[str]) -> dict[str, list[float]]:
        table = self._open_vectors() if keys else None
        return {} if table is None else table.vectors_of(keys)

    # -- search ---------------------------------------------------------------------------
    @property
    def graph(self) -> GraphTables:
        return GraphTables(self.facts.conn.execute)

    def graph_reader(self) -> GraphTables:
        return GraphTables(self.facts.reader("graph").conn.execute)

    def refresh(self) -> None:
        table = self._open_vectors()
        if table is not None:
            table.refresh()

    def prefetch(self, tree: flt.Filter | None) -> None:
        table = self._open_vectors()
        if table is not None:
            table.prefetch(flt.lance_prefilter(tree)[0])

    def vector_candidates(self, vector: Vector, tree: flt.Filter | None, want: int) -> list[Candidate]:
        table = self._open_vectors()
        if table is None:
            return []
        return [Candidate(*hit) for hit in vector_hits(self.facts, table, list(vector), tree, want)]

    def keyword_candidates(self, query: str, tree: flt.Filter | None, want: int) -> list[Candidate]:
        return [Candidate(*hit) for hit in keyword_hits(self.facts.reader(), query, tree, want)]

    def nearest_facts(self, vector: Vector, scope: Scope, limit: int) -> list[tuple[str, float]]:
        table = self._open_vectors()
        if table is None:
            return []
        where = flt.to_lance(flt.scope_filter(**scope, filters={"memory_type": "fact"}))
        return [(key, sim) for key, _kind, sim in table.search(vector, where, limit)]

    def similarities(self, vector: Vector, keys: Sequence[str], tree: flt.Filter | None) -> dict[str, float]:
        table = self._open_vectors()
        return {} if table is None else table.similarities(vector, keys, flt.lance_prefilter(tree)[0])

    def newest_said_at(self, tree: flt.Filter | None) -> str | None:
        if not self.exists():
            return None
        return self.facts.newest_said_at(*flt.to_sql(tree))


# -- search over SQLite and LanceDB (module functions: bench/search.py times them) ----------
def vector_hits(
    facts: FactStore, vectors: Any, vector: list[float], tree: flt.Filter | None, want: int
) -> list[tuple[str, str, float]]:
    """(key, kind, cosine) of the nearest facts and turns that pass the exact filter."""
    where, params = flt.to_sql(tree)
    pre, exact = flt.lance_prefilter(tree)
    if exact:  # LanceDB applied the whole filter (rows SQLite no longer has are dropped later)
        return vectors.search(vector, pre, want)
    k = want
    while True:
        hits = vectors.search(vector, pre, k)
        fact_ids = facts.ids_where(where, params, [h[0] for h in hits if h[1] == "fact"])
        message_ids = facts.message_ids_where(where, params, [h[0] for h in hits if h[1] == "message"])
        kept = [h for h in hits if h[0] in fact_ids or h[0] in message_ids]
        if len(kept) >= want or len(hits) < k:  # enough, or every row that passes seen
            return kept
        k *= 4


def keyword_hits(facts: FactStore, query: str, tree: flt.Filter | None, want: int) -> list[tuple[str, str, float]]:
    """(key, kind, bm25) of facts and turns matching the query's words, best first."""
    from ..search import keyword_query

    match = keyword_query(query)
    if match is None:
        return []
    where, params = flt.to_sql(tree)
    hits = [(k, "fact", s) for k, s in facts.keyword_search("memories", match, where, params, want)]
    hits += [(k, "message", s) for k, s in facts.keyword_search("messages", match, where, params, want)]
    hits.sort(key=lambda h: h[2])  # bm25: lower is better
    return hits[:want]


# -- helpers ---------------------------------------------------------------------------------
@contextmanager
def private_files() -> Iterator[None]:
    """Files and directories created inside are readable by their owner only (0600 / 0700)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _scope_of(record: Any) -> dict[str, str | None]:
    return {"user_id": record.user_id, "agent_id": record.agent_id, "run_id": record.run_id}


def _since(tree: flt.Filter | None, since: str | None) -> tuple[str, list[Any]]:
    where, params = flt.to_sql(tree)
    if since:
        where, params = f"({where}) AND updated_at >= ?", [*params, since]
    return where, params
