"""The team store: PostgreSQL with pgvector behind the `Store` boundary.

Chosen by a ``postgresql://`` URL. Many processes on many hosts may write at once:
`write_lock` is a PostgreSQL advisory lock (held by the session, so a killed writer
releases it), so the duplicate checks `Memory` makes under it see every committed
write, whichever host made it. Rows and their vectors share a table, so a write or an
erasure of both is one transaction and no vector queue is needed. psycopg is imported
here only: the default install does not need it (``pip install 'mem0cli[postgres]'``).
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ..config import redacted
from ..errors import StoreError
from ..filters import Filter
from . import pg_schema
from .base import Embed, Scope, Store, Vector
from .graph_tables import GraphTables
from .pg_filters import to_pg_sql
from .pg_rows import insert_sql, json_row, without_nul
from .pg_search import TABLES, PostgresSearch, vector_text
from .records import (
    MEMORY_FIELDS,
    STORED_AS,
    STORED_TEXT_QUERIES,
    Deletion,
    HealthReport,
    HistoryEvent,
    MemoryRecord,
    StoreCounts,
    Tombstone,
    TurnRecord,
)

#: pg_advisory_lock key of the store's write lock (one per database).
WRITE_LOCK = 0x6D656D30_636C6902
_MEMORY_COLUMNS = ", ".join(STORED_AS.get(f, f) for f in MEMORY_FIELDS)
_TURN_COLUMNS = (
    "pk, message_id, user_id, agent_id, run_id, role, name, content, said_at, hash, added_at, "
    "created_at, updated_at, metadata, expires_at"
)
_HISTORY_COLUMNS = "memory_id, event, old_memory, new_memory, actor, created_at, reason, user_id, agent_id, run_id"


class PostgresStore(PostgresSearch, Store):
    """Memories, turns, history and vectors in one PostgreSQL database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.location = redacted(url)
        self._conn: Any = None
        self._lock_depth = 0
        self._tx_depth = 0
        self._exists = False

    # -- connection ---------------------------------------------------------------
    @property
    def conn(self) -> Any:
        if self._conn is None:
            try:
                import psycopg
            except ImportError:
                raise StoreError("a PostgreSQL store needs psycopg: pip install 'mem0cli[postgres]'") from None
            try:
                self._conn = psycopg.connect(self.url, autocommit=True)
            except psycopg.Error as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise StoreError(f"cannot connect to the store {self.location}: {first}") from None
        return self._conn

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Execute one statement. PostgreSQL text cannot hold NUL: a key list drops keys with
        one (nothing stored has one), and a text to write with one is refused, so the
        transaction rolls back and the store is unchanged."""
        return self.conn.execute(sql, [without_nul(p) for p in params])

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._run(sql, list(params)).fetchone()
        return row[0] if row else None

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self._run(sql, list(params)).fetchall()

    # -- lifecycle ----------------------------------------------------------------
    def exists(self) -> bool:
        if not self._exists:  # once there, a store stays (reset empties it, never drops it)
            self._exists = self._one("SELECT to_regclass('mem0cli_migrations') IS NOT NULL") is True
        return self._exists

    @property
    def schema_version(self) -> int:  # type: ignore[override]
        if not self.exists():
            return 0
        return int(self._one("SELECT coalesce(max(number), 0) FROM mem0cli_migrations"))

    def create(self) -> None:
        with self.transaction():
            pg_schema.migrate(self.conn)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
            self._lock_depth = self._tx_depth = 0

    # -- consistency ------------------------------------------------------------------
    @contextmanager
    def write_lock(self, wait: bool = True) -> Iterator[bool]:
        if self._lock_depth == 0:
            if wait:
                self._run("SELECT pg_advisory_lock(%s)", [WRITE_LOCK])
            elif not self._one("SELECT pg_try_advisory_lock(%s)", [WRITE_LOCK]):
                yield False
                return
        self._lock_depth += 1
        try:
            yield True
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0 and self._conn is not None:
                self._run("SELECT pg_advisory_unlock(%s)", [WRITE_LOCK])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield from self._in_transaction("BEGIN")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        yield from self._in_transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def _in_transaction(self, begin: str) -> Iterator[None]:
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield
            finally:
                self._tx_depth -= 1
            return
        self._run(begin)
        self._tx_depth = 1
        try:
            yield
        except BaseException:
            self._tx_depth = 0
            self._run("ROLLBACK")
            raise
        self._tx_depth = 0
        self._run("COMMIT")

    def check_model(self, model_id: str, *, record: bool = False) -> None:
        stored = self.get_meta("embed_model") if self.exists() else None
        if stored is None:
            if record:
                self.set_meta("embed_model", model_id)
            return
        if stored != model_id:
            raise StoreError(
                f"the store's vectors were made with {stored}, not {model_id}; run `mem0cli reindex` to re-embed"
            )

    def index(self, vectors: Mapping[str, Vector], dimensions: int) -> None:
        if not vectors:
            return
        with self.transaction():
            stored = self.get_meta("dimensions")
            if stored is None:
                pg_schema.set_dimensions(self.conn, dimensions)
            elif int(stored) != dimensions:
                raise StoreError(f"the store's vectors have {stored} dimensions, not {dimensions}")
            # one COPY into a temporary table and one UPDATE per table, however many vectors
            self._run("CREATE TEMP TABLE IF NOT EXISTS new_vectors (key text PRIMARY KEY, embedding text) "
                      "ON COMMIT DELETE ROWS")
            with self.conn.cursor() as cur, cur.copy("COPY new_vectors (key, embedding) FROM STDIN") as copy:
                for key, vector in vectors.items():
                    if "\0" not in key:
                        copy.write_row((key, vector_text(vector)))
            for table, key in TABLES.values():
                self._run(
                    f"UPDATE {table} t SET embedding = n.embedding::vector, indexed = true "
                    f"FROM new_vectors n WHERE t.{key} = n.key"
                )

    def needs_repair(self) -> bool:
        if not self.exists():
            return False
        return bool(self._one(
            "SELECT EXISTS (SELECT 1 FROM memories WHERE NOT indexed) OR EXISTS (SELECT 1 FROM messages WHERE NOT indexed)"
        ))

    def repair(self, embed: Embed, dimensions: int) -> int:
        ids = [r[0] for r in self._all("SELECT id FROM memories WHERE NOT indexed ORDER BY seq")]
        pks = [r[0] for r in self._all("SELECT pk FROM messages WHERE NOT indexed ORDER BY seq")]
        if not ids and not pks:
            return 0
        facts = self.rows(ids)
        from ..search import turn_texts

        turns = turn_texts(self, pks)  # the text the local store indexes a turn with
        keys = [i for i in ids if i in facts] + [p for p in pks if p in turns]
        texts = [facts[i].memory for i in keys[: len(facts)]] + [turns[p] for p in keys[len(facts):]]
        self.index(dict(zip(keys, embed(texts))), dimensions)
        return len(keys)

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
        with self.write_lock(), self.transaction():
            ids = list(memory_ids)
            rows = self.rows(ids)
            given = self.turns(turn_pks)
            sourced = [r[0] for r in self._all(
                "SELECT DISTINCT message_pk FROM memory_sources WHERE memory_id = ANY(%s)", [ids]
            )]
            self._run("DELETE FROM memory_sources WHERE memory_id = ANY(%s)", [ids])
            self._run(  # erasure: history keeps the events, not the text
                "UPDATE history SET old_memory = NULL, new_memory = NULL WHERE memory_id = ANY(%s)", [ids]
            )
            self._run("DELETE FROM memories WHERE id = ANY(%s)", [ids])
            for mid in ids:
                if mid in rows:
                    row = rows[mid]
                    self.add_history(HistoryEvent(
                        memory_id=mid, event="DELETE", created_at=at, reason=f"{reason} (hash {row.hash})",
                        user_id=row.user_id, agent_id=row.agent_id, run_id=row.run_id,
                    ))
            pks = {r[0] for r in self._all(
                "SELECT pk FROM unnest(%s::text[]) AS u(pk) "
                "WHERE NOT EXISTS (SELECT 1 FROM memory_sources s WHERE s.message_pk = u.pk)", [sourced]
            )} | set(given)
            if turns_matching is not None:
                where, params = to_pg_sql(turns_matching)
                pks |= {r[0] for r in self._all(f"SELECT pk FROM messages WHERE {where}", params)}
            erased = sorted(pks)
            # a turn's vector carries the start of the turn before it: the turns after erased
            # ones lose their vectors now and get new ones at the next repair
            followers = self.next_turns(erased)
            self._run("DELETE FROM memory_sources WHERE message_pk = ANY(%s)", [erased])
            self._run("DELETE FROM messages WHERE pk = ANY(%s)", [erased])
            self._run(
                "UPDATE messages SET embedding = NULL, indexed = false WHERE pk = ANY(%s)", [followers]
            )
            hashes = [rows[i].hash for i in ids if i in rows] + [t.hash for t in given.values()]
            self.add_deletion(Deletion(scope=scope, count=len(hashes), hashes=hashes, created_at=at, reason=reason))
            self.graph.prune()
        self.compact()

    def compact(self) -> None:
        """VACUUM the tables: dead row versions (erased text) are removed from the table and
        index pages and the space is reused. Plain VACUUM does not overwrite or return the
        pages to the OS (VACUUM FULL rewrites the table into new files, but the old files are
        unlinked, not wiped), and WAL segments and backups keep old versions until recycled."""
        if not self.exists():
            return
        for table in ("memories", "messages", "memory_sources", "history"):
            self._run(f"VACUUM {table}")

    def reset(self) -> None:
        if not self.exists():  # nothing to empty, and nothing is created
            return
        with self.write_lock(), self.transaction():
            self._run(
                "TRUNCATE memory_sources, memories, messages, history, deletions, "
                "graph_relation_sources, graph_relations, graph_aliases, graph_entities"
            )

    # -- health -------------------------------------------------------------------------
    def check(self, model_id: str, dimensions: Callable[[], int]) -> HealthReport:
        report = HealthReport(ok=True)
        if not self.exists():
            report.problems.append(f"no store at {self.location}")
            report.ok = False
            return report
        report.counts = {
            "memories": int(self._one("SELECT count(*) FROM memories")),
            "messages": int(self._one("SELECT count(*) FROM messages")),
        }
        for table, key in TABLES.values():
            report.missing += [r[0] for r in self._all(
                f"SELECT {key} FROM {table} WHERE indexed AND embedding IS NULL"
            )]
            report.unindexed += [r[0] for r in self._all(f"SELECT {key} FROM {table} WHERE NOT indexed")]
        stored = self.get_meta("embed_model")
        if stored is not None and stored != model_id:
            report.reindex_needed = True
            report.problems.append(f"vectors were made with {stored}, not {model_id}: run `mem0cli reindex`")
        dims = self.get_meta("dimensions")
        if dims is not None and stored == model_id and int(dims) != dimensions():
            report.reindex_needed = True
            report.problems.append(f"vectors have {dims} dimensions, the model makes {dimensions()}")
        if report.missing:
            report.problems.append(f"{len(report.missing)} rows marked indexed have no vector")
        if report.unindexed:
            report.problems.append(f"{len(report.unindexed)} rows wait for their vectors (repair indexes them)")
        report.ok = not report.problems
        return report

    def fix(self, report: HealthReport) -> list[str]:
        if not report.missing:
            return []
        with self.transaction():
            self.mark_unindexed(report.missing)
        return [f"marked {len(report.missing)} rows without a vector for repair"]

    def drop_vectors(self, model_id: str, dimensions: int) -> int:
        with self.transaction():
            pg_schema.clear_dimensions(self.conn)
            pg_schema.set_dimensions(self.conn, dimensions)
            self.set_meta("embed_model", model_id)
        return int(self._one("SELECT (SELECT count(*) FROM memories) + (SELECT count(*) FROM messages)"))

    # -- writes ---------------------------------------------------------------------------
    def insert_turn(self, turn: TurnRecord, search_text: str) -> None:
        self._insert("messages", {**json_row(turn), "search_text": search_text})

    def insert_memory(self, memory: MemoryRecord, search_text: str, *, indexed: bool = False) -> None:
        self._insert("memories", {**json_row(memory), "search_text": search_text, "indexed": indexed})

    def insert_memories(self, memories: Sequence[MemoryRecord], search_texts: Sequence[str]) -> None:
        if len(memories) != len(search_texts):
            raise ValueError("one search text per row is needed")
        if not memories:
            return
        rows = [{**json_row(m), "search_text": t, "indexed": True} for m, t in zip(memories, search_texts)]
        cols = list(rows[0])
        with self.transaction(), self.conn.cursor() as cur:
            cur.executemany(insert_sql("memories", cols), [[without_nul(r[c]) for c in cols] for r in rows])

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        self._run(insert_sql(table, list(row)), list(row.values()))

    def delete_memories(self, memory_ids: Sequence[str]) -> None:
        ids = list(memory_ids)
        with self.transaction():
            self._run("DELETE FROM memory_sources WHERE memory_id = ANY(%s)", [ids])
            self._run("DELETE FROM memories WHERE id = ANY(%s)", [ids])
            self.graph.prune()  # relations only these facts supported, and entities left alone

    def update_memory(self, memory_id: str, **fields: Any) -> None:
        unknown = set(fields) - set(MEMORY_FIELDS)
        if unknown or {"memory", "hash"} & set(fields):
            raise ValueError(f"not updatable memory fields: {sorted(unknown | ({'memory', 'hash'} & set(fields)))}")
        if "metadata" in fields:
            fields["metadata"] = json.dumps(fields["metadata"] or {}, ensure_ascii=False)
        sets = ", ".join(f"{STORED_AS.get(f, f)} = %s" + ("::jsonb" if f == "metadata" else "") for f in fields)
        self._run(f"UPDATE memories SET {sets} WHERE id = %s", [*fields.values(), memory_id])

    def set_memory_text(self, memory_id: str, text: str, hash_: str, search_text: str, at: str) -> None:
        self._run(
            "UPDATE memories SET memory = %s, hash = %s, search_text = %s, updated_at = %s, "
            "embedding = NULL, indexed = false WHERE id = %s",
            [text, hash_, search_text, at, memory_id],
        )

    def set_turn_text(self, pk: str, content: str, hash_: str, search_text: str) -> None:
        self._run(
            "UPDATE messages SET content = %s, hash = %s, search_text = %s, embedding = NULL, indexed = false "
            "WHERE pk = %s",
            [content, hash_, search_text, pk],
        )

    def set_history_text(self, event_id: str, column: str, text: str) -> None:
        if column not in ("old_memory", "new_memory"):
            raise ValueError(f"not a history text column: {column}")
        self._run(f"UPDATE history SET {column} = %s WHERE id = %s", [text, int(event_id)])

    def mark_unindexed(self, keys: Sequence[str]) -> None:
        for table, key in TABLES.values():
            self._run(f"UPDATE {table} SET indexed = false WHERE {key} = ANY(%s)", [list(keys)])

    def link(self, memory_id: str, pk: str) -> None:
        self._run(
            "INSERT INTO memory_sources (memory_id, message_pk) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [memory_id, pk],
        )

    def add_history(self, event: HistoryEvent) -> None:
        values = [getattr(event, c.strip()) for c in _HISTORY_COLUMNS.split(",")]
        self._run(
            f"INSERT INTO history ({_HISTORY_COLUMNS}) VALUES ({', '.join(['%s'] * len(values))})", values
        )

    def add_deletion(self, deletion: Deletion) -> None:
        self._run(
            "INSERT INTO deletions (scope, count, hashes, created_at, reason) VALUES (%s::jsonb, %s, %s::jsonb, %s, %s)",
            [json.dumps(deletion.scope, ensure_ascii=False), deletion.count, json.dumps(deletion.hashes),
             deletion.created_at, deletion.reason],
        )

    def set_expiry(self, memory_ids: Sequence[str], expires_at: str) -> None:
        ids = list(memory_ids)
        self._run("UPDATE memories SET expires_at = %s WHERE id = ANY(%s)", [expires_at, ids])
        self._run(
            "UPDATE messages SET expires_at = %s WHERE pk IN "
            "(SELECT message_pk FROM memory_sources WHERE memory_id = ANY(%s))",
            [expires_at, ids],
        )
        self.set_meta("expiring", "1")

    def count_redacted(self, found: Mapping[str, int]) -> None:
        counts = self.redacted_counts()
        for kind, n in found.items():
            counts[kind] = counts.get(kind, 0) + n
        self.set_meta("secrets_redacted", json.dumps(counts, sort_keys=True))

    def set_meta(self, key: str, value: str) -> None:
        self._run(
            "INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    # -- reads ----------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        if not self.exists():
            return None
        return self._one("SELECT value FROM meta WHERE key = %s", [key])

    def _memories(self, where: str, params: Sequence[Any], tail: str = "") -> list[MemoryRecord]:
        if not self.exists():
            return []
        cur = self._run(f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE {where} {tail}", list(params))
        names = [d.name for d in cur.description]
        return [MemoryRecord.from_row(dict(zip(names, r))) for r in cur.fetchall()]

    def _turns(self, where: str, params: Sequence[Any], tail: str = "") -> list[TurnRecord]:
        if not self.exists():
            return []
        cur = self._run(f"SELECT {_TURN_COLUMNS} FROM messages WHERE {where} {tail}", list(params))
        names = [d.name for d in cur.description]
        return [TurnRecord.from_row(dict(zip(names, r))) for r in cur.fetchall()]

    def rows(self, ids: Sequence[str]) -> dict[str, MemoryRecord]:
        return {m.id: m for m in self._memories("id = ANY(%s)", [list(ids)])}

    def turns(self, pks: Sequence[str]) -> dict[str, TurnRecord]:
        return {t.pk: t for t in self._turns("pk = ANY(%s)", [list(pks)])}

    def select(
        self, tree: Filter | None, *, limit: int | None = None, oldest_first: bool = False, since: str | None = None
    ) -> list[MemoryRecord]:
        where, params = to_pg_sql(tree)
        if since is not None:
            where, params = f"({where}) AND updated_at >= %s", [*params, since]
        order = "created_at, id" if oldest_first else "created_at DESC, id"
        tail = f"ORDER BY {order}" + (f" LIMIT {int(limit)}" if limit is not None else "")
        return self._memories(where, params, tail)

    def select_turns(self, tree: Filter | None, *, since: str | None = None) -> list[TurnRecord]:
        where, params = to_pg_sql(tree)
        if since is not None:
            where, params = f"({where}) AND coalesce(updated_at, added_at) >= %s", [*params, since]
        return self._turns(where, params, "ORDER BY said_at NULLS FIRST, added_at, pk")

    def find_by_hash(self, hash_: str, scope: Scope) -> list[MemoryRecord]:
        return self._memories(
            "hash = %s AND user_id IS NOT DISTINCT FROM %s AND agent_id IS NOT DISTINCT FROM %s "
            "AND run_id IS NOT DISTINCT FROM %s AND superseded_by IS NULL",
            [hash_, scope.get("user_id"), scope.get("agent_id"), scope.get("run_id")],
            "ORDER BY seq",
        )

    def turns_with_hash(self, hash_: str) -> list[TurnRecord]:
        return self._turns("hash = %s", [hash_], "ORDER BY seq")

    def last_turn(self, scope: Scope) -> str | None:
        if not self.exists():
            return None
        return self._one(
            "SELECT pk FROM messages WHERE user_id IS NOT DISTINCT FROM %s AND agent_id IS NOT DISTINCT FROM %s "
            "AND run_id IS NOT DISTINCT FROM %s ORDER BY seq DESC LIMIT 1",
            [scope.get("user_id"), scope.get("agent_id"), scope.get("run_id")],
        )

    def _neighbours(self, pks: Sequence[str], cmp: str, order: str) -> dict[str, str]:
        if not self.exists():
            return {}
        sql = (
            "SELECT m.pk, (SELECT x.pk FROM messages x WHERE x.user_id IS NOT DISTINCT FROM m.user_id "
            "AND x.agent_id IS NOT DISTINCT FROM m.agent_id AND x.run_id IS NOT DISTINCT FROM m.run_id "
            f"AND x.seq {cmp} m.seq ORDER BY x.seq {order} LIMIT 1) FROM messages m WHERE m.pk = ANY(%s)"
        )
        return {pk: other for pk, other in self._all(sql, [list(pks)]) if other}

    def previous_turns(self, pks: Sequence[str]) -> dict[str, str]:
        return self._neighbours(pks, "<", "DESC")

    def next_turns(self, pks: Sequence[str]) -> list[str]:
        return sorted(set(self._neighbours(pks, ">", "ASC").values()) - set(pks))

    def in_stored_order(self, pks: Sequence[str]) -> list[str]:
        if not self.exists():
            return []
        return [r[0] for r in self._all("SELECT pk FROM messages WHERE pk = ANY(%s) ORDER BY seq", [list(pks)])]

    def source_pks(self, memory_ids: Sequence[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if not self.exists():
            return out
        for memory_id, pk in self._all(
            "SELECT memory_id, message_pk FROM memory_sources WHERE memory_id = ANY(%s) ORDER BY message_pk",
            [list(memory_ids)],
        ):
            out.setdefault(memory_id, []).append(pk)
        return out

    def sources_of(self, memory_ids: Sequence[str]) -> dict[str, list[TurnRecord]]:
        links = self.source_pks(memory_ids)
        turns = self.turns(sorted({pk for pks in links.values() for pk in pks}))
        order = lambda t: (t.said_at or "", t.added_at, t.pk)  # noqa: E731
        return {m: sorted((turns[p] for p in pks if p in turns), key=order) for m, pks in links.items()}

    def history(self, memory_ids: Sequence[str]) -> dict[str, list[HistoryEvent]]:
        out: dict[str, list[HistoryEvent]] = {}
        if not self.exists():
            return out
        cur = self._run(
            f"SELECT {_HISTORY_COLUMNS} FROM history WHERE memory_id = ANY(%s) ORDER BY id", [list(memory_ids)]
        )
        names = [d.name for d in cur.description]
        for row in cur.fetchall():
            event = HistoryEvent(**dict(zip(names, row)))
            out.setdefault(event.memory_id, []).append(event)
        return out

    def tombstones(self, since: str | None = None) -> list[Tombstone]:
        if not self.exists():
            return []
        return [Tombstone(*r) for r in self._all(
            "SELECT memory_id, created_at, user_id, agent_id, run_id FROM history "
            "WHERE event = 'DELETE' AND created_at >= %s ORDER BY id", [since or ""]
        )]

    def deletions(self) -> list[Deletion]:
        if not self.exists():
            return []
        return [Deletion(*r) for r in self._all(
            "SELECT scope, count, hashes, created_at, reason FROM deletions ORDER BY id"
        )]

    def ids_starting(self, prefix: str, limit: int = 2) -> list[str]:
        if not self.exists() or "\0" in prefix:
            return []
        n = len(prefix)
        return [r[0] for r in self._all(
            "SELECT id FROM memories WHERE left(id, %s) = %s UNION ALL "
            "SELECT pk FROM messages WHERE left(pk, %s) = %s LIMIT %s",
            [n, prefix, n, prefix, limit],
        )]

    def is_empty(self) -> bool:
        if not self.exists():
            return True
        return not self._one("SELECT EXISTS (SELECT 1 FROM memories) OR EXISTS (SELECT 1 FROM messages)")

    def has_facts(self) -> bool:
        return self.exists() and bool(self._one("SELECT EXISTS (SELECT 1 FROM memories WHERE kind = 'fact')"))

    def counts(self) -> StoreCounts:
        if not self.exists():
            return StoreCounts(0, 0, 0, 0, 0)
        return StoreCounts(*self._run(
            "SELECT (SELECT count(*) FROM memories), "
            "(SELECT count(*) FROM memories WHERE superseded_by IS NOT NULL), "
            "(SELECT count(*) FROM messages), (SELECT count(DISTINCT user_id) FROM memories), "
            "(SELECT count(*) FROM history)"
        ).fetchone())

    def redacted_counts(self) -> dict[str, int]:
        raw = self.get_meta("secrets_redacted")
        return json.loads(raw) if raw else {}

    def stored_texts(self) -> Iterator[tuple[str, str, str, str]]:
        if not self.exists():
            return
        for table, sql in STORED_TEXT_QUERIES:
            for key, column, text in self._all(sql):
                yield table, str(key), column, text

    def vectors_of(self, keys: Sequence[str]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        if not self.exists():
            return out
        for table, key in TABLES.values():
            for k, text in self._all(
                f"SELECT {key}, embedding::text FROM {table} WHERE {key} = ANY(%s) AND embedding IS NOT NULL",
                [list(keys)],
            ):
                # float32, as stored (and as LanceDB gives them back)
                out[k] = array("f", (float(x) for x in text.strip("[]").split(","))).tolist()
        return out

    # -- graph ------------------------------------------------------------------------------
    @property
    def graph(self) -> GraphTables:
        return GraphTables(self._run, paramstyle="format")
