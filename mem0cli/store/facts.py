"""The SQLite store, the source of truth: memories, messages (evidence), sources, history.

Writes go through `transaction()`, an explicit BEGIN IMMEDIATE ... COMMIT on a
connection in autocommit mode, so a command's writes land together or not at all.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from ..errors import StoreError
from .migrations import MIGRATIONS
from .records import STORED_TEXT_QUERIES

#: The turn before a turn: the message stored last before it (rowid order) in the same scope.
_NEIGHBOUR_TURN = (  # the message stored just before (<, DESC) or after (>, ASC) one in its scope
    "SELECT x.pk FROM messages x WHERE x.user_id IS {user_id} AND x.agent_id IS {agent_id} "
    "AND x.run_id IS {run_id} AND x.rowid {cmp} {rowid} ORDER BY x.rowid {order} LIMIT 1"
)
_MAX_ROWID = 2**63 - 1
MEMORY_COLUMNS = (
    "id", "memory", "hash", "kind", "user_id", "agent_id", "run_id", "metadata",
    "created_at", "updated_at", "said_at", "speaker", "superseded_by", "valid_until",
    "confirmations", "model", "prompt_version", "indexed", "expires_at",
)  # fmt: skip


def _set_wal(conn: sqlite3.Connection) -> None:
    """WAL mode; switching needs a lock SQLite does not wait for, so retry while another opener has it."""
    for _ in range(600):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.05)
    conn.execute("PRAGMA journal_mode=WAL")


class FactStore:
    """SQLite tables for memories and their evidence, opened with migrations applied."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        """Open (and migrate) the database; `read_only` opens a connection for reads only,
        usable from another thread, on a database already opened and migrated."""
        self.path = path
        self._readers: dict[str, FactStore] = {}
        try:
            conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=not read_only)
            if read_only:
                conn.execute("PRAGMA query_only=ON")
            else:
                _set_wal(conn)
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA secure_delete=ON")
            conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store database {path}: {exc}") from exc
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        if not read_only:
            self._migrate()

    def reader(self, purpose: str = "keyword") -> FactStore:
        """A read-only connection for one `purpose` (opened once), for a part of a search
        (its keywords, its graph) on another thread while this one embeds the query."""
        if purpose not in self._readers:
            self._readers[purpose] = FactStore(self.path, read_only=True)
        return self._readers[purpose]

    # -- schema -------------------------------------------------------------
    def _migrate(self) -> None:
        """Apply the registered migrations not recorded yet (a store made before names were
        recorded counts its first `user_version` as done)."""
        current = int(self.conn.execute("PRAGMA user_version").fetchone()[0]) == len(MIGRATIONS)
        if current and self._applied() == list(MIGRATIONS):  # nothing to do, nothing written
            return
        with self.transaction():  # BEGIN IMMEDIATE before reading the version: one migrator at a time
            version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
            self.conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
            applied = self._applied()
            if version > len(MIGRATIONS) or set(applied) - set(MIGRATIONS):
                raise StoreError(
                    f"the store was written by a newer mem0cli (schema {version}); upgrade mem0cli"
                )
            if not applied:
                applied = list(MIGRATIONS)[:version]
                self.conn.executemany("INSERT INTO migrations(name) VALUES (?)", [[n] for n in applied])
            for name, function in MIGRATIONS.items():
                if name not in applied:
                    function(self.conn)
                    self.conn.execute(
                        "INSERT INTO migrations(name, applied_at) VALUES (?, datetime('now'))", [name]
                    )
            self.conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

    def _applied(self) -> list[str]:
        """Names of the migrations this database records, in the order applied ([] if none)."""
        try:
            return [r[0] for r in self.conn.execute("SELECT name FROM migrations ORDER BY rowid")]
        except sqlite3.OperationalError:  # no migrations table yet
            return []

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[FactStore]:
        """All writes inside land together, or none do; a nested call joins the outer one."""
        if self.conn.in_transaction:
            yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()
        self.conn.close()

    # -- meta ---------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def count_redacted(self, found: dict[str, int]) -> None:
        """Add to the store's count of secrets redacted, by type (inside a transaction)."""
        counts = self.redacted_counts()
        for kind, n in found.items():
            counts[kind] = counts.get(kind, 0) + n
        self.set_meta("secrets_redacted", json.dumps(counts, sort_keys=True))

    def redacted_counts(self) -> dict[str, int]:
        raw = self.get_meta("secrets_redacted")
        return json.loads(raw) if raw else {}

    # -- memories -----------------------------------------------------------
    def insert_memory(self, row: dict[str, Any], search_text: str) -> None:
        """Insert a memory and index `search_text` (its text, dated) for keyword search."""
        row = {**row, "metadata": json.dumps(row.get("metadata") or {}, ensure_ascii=False)}
        cols = [c for c in MEMORY_COLUMNS if c in row]
        cursor = self.conn.execute(
            f"INSERT INTO memories ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [row[c] for c in cols],
        )
        self._index_text("memories", [(cursor.lastrowid, search_text)])

    def insert_memories(self, rows: Sequence[dict[str, Any]], search_texts: Sequence[str]) -> None:
        """Insert many new memories and their keyword-search texts, as `insert_memory` does
        one at a time, with one statement per table (bulk imports and the search benchmark).
        """
        if len(rows) != len(search_texts):
            raise ValueError("one search text per row is needed")
        if not rows:
            return
        cols = [c for c in MEMORY_COLUMNS if c in rows[0]]
        with self.transaction():
            # rowids chosen here, so the text index can be written with executemany too
            first = int(self.conn.execute("SELECT coalesce(max(rowid), 0) FROM memories").fetchone()[0]) + 1
            self.conn.executemany(
                f"INSERT INTO memories (rowid, {', '.join(cols)}) VALUES (?, {', '.join('?' * len(cols))})",
                ([first + i, *_memory_values(r, cols)] for i, r in enumerate(rows)),
            )
            self._index_text("memories", ((first + i, text) for i, text in enumerate(search_texts)))

    def reindex_text(self, memory_id: str, search_text: str) -> None:
        """Replace a memory's keyword-search text (after its text changed)."""
        rowid = self.conn.execute("SELECT rowid FROM memories WHERE id = ?", [memory_id]).fetchone()[0]
        self._index_text("memories", [(rowid, search_text)], replace=True)

    def keyword_search(
        self, table: str, match: str, where: str, params: Sequence[Any], limit: int
    ) -> list[tuple[str, float]]:
        """(id, bm25) of rows of `table` (memories or messages) matching an FTS5 query, best first."""
        key = {"memories": "id", "messages": "pk"}[table]
        if where == "1":
            # FTS5 ranks inside the index (`rank` is bm25) and stops at the limit, so only
            # the best rows are joined: much cheaper than sorting bm25() over every match.
            sql = (
                f"SELECT t.{key}, f.rank FROM (SELECT rowid, rank FROM {table}_fts "
                f"WHERE {table}_fts MATCH ? ORDER BY rank LIMIT {int(limit)}) f "
                f"JOIN {table} t ON t.rowid = f.rowid ORDER BY f.rank"
            )
            return [(r[0], float(r[1])) for r in self.conn.execute(sql, [match])]
        sql = (
            f"SELECT t.{key}, bm25({table}_fts) AS rank FROM {table}_fts "
            f"JOIN {table} t ON t.rowid = {table}_fts.rowid "
            f"WHERE {table}_fts MATCH ? AND ({where}) ORDER BY rank LIMIT {int(limit)}"
        )
        return [(r[0], float(r[1])) for r in self.conn.execute(sql, [match, *params])]

    def update_memory(self, memory_id: str, **fields: Any) -> None:
        if "metadata" in fields:
            fields["metadata"] = json.dumps(fields["metadata"] or {}, ensure_ascii=False)
        unknown = set(fields) - set(MEMORY_COLUMNS)
        if unknown:
            raise ValueError(f"unknown memory columns: {sorted(unknown)}")
        sets = ", ".join(f"{c} = ?" for c in fields)
        self.conn.execute(
            f"UPDATE memories SET {sets} WHERE id = ?", [*fields.values(), memory_id]
        )

    def delete_memory_rows(self, ids: Sequence[str], *, erase_history: bool = True) -> list[str]:
        """Delete memories and their links; return the pks of evidence nothing else uses.
        With `erase_history` (an erasure) their history keeps the events, not the texts."""
        orphans: list[str] = []
        for chunk in _chunks(ids):
            marks = ", ".join("?" * len(chunk))
            pks = [
                r[0]
                for r in self.conn.execute(
                    f"SELECT DISTINCT message_pk FROM memory_sources WHERE memory_id IN ({marks})",
                    chunk,
                )
            ]
            self.conn.execute(f"DELETE FROM memory_sources WHERE memory_id IN ({marks})", chunk)
            if erase_history:
                self.conn.execute(
                    f"UPDATE history SET old_memory = NULL, new_memory = NULL WHERE memory_id IN ({marks})", chunk
                )
            self._unindex_text("memories", "id", chunk)
            self.conn.execute(f"DELETE FROM memories WHERE id IN ({marks})", chunk)
            for pk in pks:
                used = self.conn.execute(
                    "SELECT 1 FROM memory_sources WHERE message_pk = ? LIMIT 1", [pk]
                ).fetchone()
                if not used:
                    orphans.append(pk)
        return orphans

    def delete_messages(self, pks: Sequence[str]) -> None:
        for chunk in _chunks(pks):
            marks = ", ".join("?" * len(chunk))
            self.conn.execute(f"DELETE FROM memory_sources WHERE message_pk IN ({marks})", chunk)
            self._unindex_text("messages", "pk", chunk)
            self.conn.execute(f"DELETE FROM messages WHERE pk IN ({marks})", chunk)

    def get_rows(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Rows by id (any order), as dicts with metadata decoded."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(ids):
            marks = ", ".join("?" * len(chunk))
            for row in self.query(f"SELECT * FROM memories WHERE id IN ({marks})", chunk):
                found[row["id"]] = row
        return found

    def select(
        self, where: str = "1", params: Sequence[Any] = (), *, limit: int | None = None,
        order: str = "created_at DESC, id",
    ) -> list[dict[str, Any]]:
        """Memories matching a WHERE fragment built by filters.to_sql()."""
        sql = f"SELECT * FROM memories WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self.query(sql, params)

    def ids_where(self, where: str, params: Sequence[Any], ids: Sequence[str]) -> set[str]:
        """The subset of memory `ids` whose rows match the WHERE fragment."""
        return self._keys_where("memories", "id", where, params, ids)

    def _keys_where(
        self, table: str, key: str, where: str, params: Sequence[Any], keys: Sequence[str]
    ) -> set[str]:
        """The subset of `keys` (of `table`'s `key` column) whose rows match the WHERE fragment."""
        hits: set[str] = set()
        for chunk in _chunks(keys, 500):
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT {key} FROM {table} WHERE {key} IN ({marks}) AND ({where})"
            hits.update(r[0] for r in self.conn.execute(sql, [*chunk, *params]))
        return hits

    def ids_starting(self, prefix: str, limit: int = 2) -> list[str]:
        """Memory ids and message pks that start with `prefix` (at most `limit`)."""
        n = len(prefix)
        rows = self.conn.execute(
            "SELECT id FROM memories WHERE substr(id, 1, ?) = ? UNION ALL "
            "SELECT pk FROM messages WHERE substr(pk, 1, ?) = ? LIMIT ?",
            [n, prefix, n, prefix, limit],
        )
        return [r[0] for r in rows]

    def is_empty(self) -> bool:
        """True when the store holds no memory and no message."""
        return not self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM memories) OR EXISTS (SELECT 1 FROM messages)"
        ).fetchone()[0]

    def count(self, where: str = "1", params: Sequence[Any] = ()) -> int:
        return int(
            self.conn.execute(f"SELECT count(*) FROM memories WHERE {where}", list(params)).fetchone()[0]
        )

    def find_by_hash(self, hash_: str, scope: dict[str, str | None]) -> list[dict[str, Any]]:
        """Current (not superseded) facts of the scope with this text hash, oldest first."""
        return self.query(
            "SELECT * FROM memories WHERE hash = ? AND user_id IS ? AND agent_id IS ? "
            "AND run_id IS ? AND superseded_by IS NULL ORDER BY rowid",
            [hash_, scope.get("user_id"), scope.get("agent_id"), scope.get("run_id")],
        )

    def unindexed(self) -> tuple[list[str], list[str]]:
        """Ids of memories and pks of messages whose vectors have not reached LanceDB."""
        memories = [r[0] for r in self.conn.execute("SELECT id FROM memories WHERE indexed = 0")]
        messages = [r[0] for r in self.conn.execute("SELECT pk FROM messages WHERE indexed = 0")]
        return memories, messages

    def needs_repair(self) -> bool:
        """True when some rows lack their vectors or some vector deletes are unfinished."""
        return self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM memories WHERE indexed = 0) "
            "OR EXISTS (SELECT 1 FROM messages WHERE indexed = 0) "
            "OR EXISTS (SELECT 1 FROM vector_deletes)"
        ).fetchone()[0] == 1

    def queue_vector_deletes(self, ids: Sequence[str]) -> None:
        """Record, with a deletion, the ids whose vectors must leave LanceDB."""
        self.conn.executemany("INSERT OR IGNORE INTO vector_deletes(id) VALUES (?)", [[i] for i in ids])

    def pending_vector_deletes(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM vector_deletes")]

    def clear_vector_deletes(self, ids: Sequence[str]) -> None:
        for chunk in _chunks(ids):
            self.conn.execute(f"DELETE FROM vector_deletes WHERE id IN ({', '.join('?' * len(chunk))})", chunk)

    def mark_indexed(self, ids: Sequence[str]) -> None:
        """Mark memories and messages (by id or pk) as present in LanceDB."""
        for chunk in _chunks(ids):
            marks = ", ".join("?" * len(chunk))
            self.conn.execute(f"UPDATE memories SET indexed = 1 WHERE id IN ({marks})", chunk)
            self.conn.execute(f"UPDATE messages SET indexed = 1 WHERE pk IN ({marks})", chunk)

    def all_ids(self) -> set[str]:
        """Ids of every memory and pks of every message: what LanceDB should hold."""
        ids = {r[0] for r in self.conn.execute("SELECT id FROM memories")}
        return ids | {r[0] for r in self.conn.execute("SELECT pk FROM messages")}

    def newest_said_at(self, where: str, params: Sequence[Any]) -> str | None:
        """The latest said_at among facts and turns matching the WHERE fragment."""
        row = self.conn.execute(
            f"SELECT max(s) FROM (SELECT max(said_at) AS s FROM memories WHERE {where} "
            f"UNION ALL SELECT max(said_at) FROM messages WHERE {where})",
            [*params, *params],
        ).fetchone()
        return row[0] if row else None

    def optimize_text_index(self) -> None:
        """Merge the FTS segments, so deleted text leaves the index's pages."""
        for table in ("memories_fts", "messages_fts"):
            self.conn.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")

    # -- messages (evidence) -------------------------------------------------
    def insert_message(self, row: dict[str, Any], search_text: str) -> None:
        """Insert a message (evidence) and index `search_text` for keyword search."""
        row = {**row, "metadata": json.dumps(row.get("metadata") or {}, ensure_ascii=False)}
        cols = list(row)
        cursor = self.conn.execute(
            f"INSERT INTO messages ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [row[c] for c in cols],
        )
        self._index_text("messages", [(cursor.lastrowid, search_text)])

    def get_messages(self, pks: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(pks):
            marks = ", ".join("?" * len(chunk))
            for row in self.query(f"SELECT * FROM messages WHERE pk IN ({marks})", chunk):
                found[row["pk"]] = row
        return found

    def previous_turns(self, pks: Sequence[str]) -> dict[str, str]:
        """For each message pk, the pk of the message stored just before it in the same
        scope (user_id, agent_id, run_id), by insertion order; a scope's first turn has none.

        The one definition of "the turn before": a turn is indexed with its start
        (`search.turn_texts`), and search lets a reply inherit its relevance.
        """
        return self._neighbour_turns(pks, "<", "DESC")

    def next_turns(self, pks: Sequence[str]) -> list[str]:
        """The messages stored just after the given ones in their scopes (those indexed
        with their start), not themselves among them."""
        return sorted(set(self._neighbour_turns(pks, ">", "ASC").values()) - set(pks))

    def _neighbour_turns(self, pks: Sequence[str], cmp: str, order: str) -> dict[str, str]:
        neighbour = _NEIGHBOUR_TURN.format(
            user_id="m.user_id", agent_id="m.agent_id", run_id="m.run_id", rowid="m.rowid", cmp=cmp, order=order
        )
        out: dict[str, str] = {}
        for chunk in _chunks(pks):
            sql = f"SELECT m.pk, ({neighbour}) FROM messages m WHERE m.pk IN ({', '.join('?' * len(chunk))})"
            out.update((pk, other) for pk, other in self.conn.execute(sql, chunk) if other)
        return out

    def stored_texts(self) -> Iterator[tuple[str, str, str, str]]:
        """Every text the store holds, as (table, key, column, text): memories, turns, history."""
        for table, sql in STORED_TEXT_QUERIES:
            for key, column, text in self.conn.execute(sql).fetchall():
                yield table, str(key), column, text

    def rewrite_message(self, pk: str, content: str, hash_: str, search_text: str) -> None:
        """Replace a turn's text, digest and keyword entry; its vector is made again (indexed = 0)."""
        rowid = self.conn.execute("SELECT rowid FROM messages WHERE pk = ?", [pk]).fetchone()[0]
        self.conn.execute("UPDATE messages SET content = ?, hash = ?, indexed = 0 WHERE pk = ?", [content, hash_, pk])
        self._index_text("messages", [(rowid, search_text)], replace=True)

    def rewrite_history(self, event_id: str, column: str, text: str) -> None:
        if column not in ("old_memory", "new_memory"):
            raise ValueError(f"not a history text column: {column}")
        self.conn.execute(f"UPDATE history SET {column} = ? WHERE id = ?", [text, int(event_id)])

    def mark_unindexed(self, pks: Sequence[str]) -> None:
        """Mark messages as needing their vectors again (written by the next repair)."""
        for chunk in _chunks(pks):
            self.conn.execute(f"UPDATE messages SET indexed = 0 WHERE pk IN ({', '.join('?' * len(chunk))})", chunk)

    def last_turn(self, scope: dict[str, str | None]) -> str | None:
        """The pk of the message stored last in a scope: the turn before the next one stored there."""
        sql = _NEIGHBOUR_TURN.format(user_id="?", agent_id="?", run_id="?", rowid="?", cmp="<", order="DESC")
        params = [scope.get("user_id"), scope.get("agent_id"), scope.get("run_id"), _MAX_ROWID]
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def in_stored_order(self, pks: Sequence[str]) -> list[str]:
        """Message pks sorted by when they were stored (insertion order); unknown pks are left out."""
        order: list[tuple[int, str]] = []
        for chunk in _chunks(pks):
            marks = ", ".join("?" * len(chunk))
            order += self.conn.execute(f"SELECT rowid, pk FROM messages WHERE pk IN ({marks})", chunk)
        return [pk for _rowid, pk in sorted(order)]

    def message_ids_where(self, where: str, params: Sequence[Any], pks: Sequence[str]) -> set[str]:
        """The subset of message `pks` whose rows match the WHERE fragment."""
        return self._keys_where("messages", "pk", where, params, pks)

    def set_expiry(self, memory_ids: Sequence[str], expires_at: str) -> None:
        """Memories, and the messages they came from, leave reads after `expires_at`."""
        for chunk in _chunks(memory_ids):
            marks = ", ".join("?" * len(chunk))
            self.conn.execute(f"UPDATE memories SET expires_at = ? WHERE id IN ({marks})", [expires_at, *chunk])
            self.conn.execute(
                f"UPDATE messages SET expires_at = ? WHERE pk IN "
                f"(SELECT message_pk FROM memory_sources WHERE memory_id IN ({marks}))",
                [expires_at, *chunk],
            )
        self.set_meta("expiring", "1")

    def source_pks(self, memory_ids: Sequence[str]) -> dict[str, list[str]]:
        """For each memory id, the pks of its source messages."""
        out: dict[str, list[str]] = {}
        for chunk in _chunks(memory_ids):
            marks = ", ".join("?" * len(chunk))
            for memory_id, pk in self.conn.execute(
                f"SELECT memory_id, message_pk FROM memory_sources WHERE memory_id IN ({marks}) "
                "ORDER BY message_pk",
                chunk,
            ):
                out.setdefault(memory_id, []).append(pk)
        return out

    def link_source(self, memory_id: str, message_pk: str) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO memory_sources(memory_id, message_pk) VALUES (?, ?)",
            [memory_id, message_pk],
        )

    def sources_of(self, memory_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Each memory's source messages, oldest first."""
        result: dict[str, list[dict[str, Any]]] = {}
        for chunk in _chunks(memory_ids):
            marks = ", ".join("?" * len(chunk))
            rows = self.query(
                "SELECT s.memory_id, m.* FROM memory_sources s JOIN messages m ON m.pk = s.message_pk "
                f"WHERE s.memory_id IN ({marks}) ORDER BY m.said_at, m.added_at, m.pk",
                chunk,
            )
            for row in rows:
                result.setdefault(row.pop("memory_id"), []).append(row)
        return result

    def select_messages(self, where: str = "1", params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return self.query(f"SELECT * FROM messages WHERE {where} ORDER BY said_at, added_at, pk", params)

    # -- history and erasure records -----------------------------------------
    def add_history(
        self, memory_id: str, event: str, old: str | None, new: str | None,
        at: str, actor: str | None = None, reason: str | None = None,
        scope: dict[str, str | None] | None = None,
    ) -> None:
        scope = scope or {}
        self.conn.execute(
            "INSERT INTO history(memory_id, event, old_memory, new_memory, actor, created_at, reason, "
            "user_id, agent_id, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [memory_id, event, old, new, actor, at, reason,
             scope.get("user_id"), scope.get("agent_id"), scope.get("run_id")],
        )

    def tombstones(self, since: str | None = None) -> list[dict[str, Any]]:
        """Deleted memories (id, scope, when), newest deletions last; no text."""
        return self.query(
            "SELECT memory_id AS id, created_at AS deleted_at, user_id, agent_id, run_id FROM history "
            "WHERE event = 'DELETE' AND created_at >= ? ORDER BY id",
            [since or ""],
        )

    def add_history_many(self, events: Iterable[tuple[str, str, str | None, str | None, str, str | None]]) -> None:
        """Record many events at once: (memory_id, event, old, new, at, actor) tuples."""
        self.conn.executemany(
            "INSERT INTO history(memory_id, event, old_memory, new_memory, created_at, actor) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            events,
        )

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        return self.query(
            "SELECT memory_id, event, old_memory, new_memory, actor, created_at, reason, "
            "user_id, agent_id, run_id FROM history WHERE memory_id = ? ORDER BY id",
            [memory_id],
        )

    def history_of(self, memory_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        result: dict[str, list[dict[str, Any]]] = {}
        for chunk in _chunks(memory_ids):
            marks = ", ".join("?" * len(chunk))
            for row in self.query(
                "SELECT memory_id, event, old_memory, new_memory, actor, created_at, reason, "
                f"user_id, agent_id, run_id FROM history WHERE memory_id IN ({marks}) ORDER BY id",
                chunk,
            ):
                result.setdefault(row["memory_id"], []).append(row)
        return result

    def record_deletion(self, scope: dict[str, Any], hashes: list[str], at: str, reason: str) -> None:
        self.conn.execute(
            "INSERT INTO deletions(scope, count, hashes, created_at, reason) VALUES (?, ?, ?, ?, ?)",
            [json.dumps(scope, ensure_ascii=False), len(hashes), json.dumps(hashes), at, reason],
        )

    def deletions(self) -> list[dict[str, Any]]:
        rows = self.query("SELECT * FROM deletions ORDER BY id")
        for row in rows:
            row["scope"] = json.loads(row["scope"])
            row["hashes"] = json.loads(row["hashes"])
        return rows

    # -- the keyword index: every write to it goes through these two ---------------
    def _index_text(self, table: str, entries: Iterable[tuple[int, str]], *, replace: bool = False) -> None:
        """Index (rowid, search text) pairs of `table` (memories or messages) for keyword search;
        `replace`: the rows had an entry, which goes first."""
        entries = list(entries)
        if replace:
            self.conn.executemany(f"DELETE FROM {table}_fts WHERE rowid = ?", [[rowid] for rowid, _ in entries])
        self.conn.executemany(f"INSERT INTO {table}_fts(rowid, body) VALUES (?, ?)", entries)

    def _unindex_text(self, table: str, key: str, keys: Sequence[str]) -> None:
        """Drop the keyword entries of the rows of `table` whose `key` is among `keys` (before the rows go)."""
        marks = ", ".join("?" * len(keys))
        self.conn.execute(
            f"DELETE FROM {table}_fts WHERE rowid IN (SELECT rowid FROM {table} WHERE {key} IN ({marks}))", list(keys)
        )

    # -- counts and flags ------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Memories, superseded ones, messages, users, history events."""
        one = lambda sql: int(self.conn.execute(sql).fetchone()[0])  # noqa: E731
        return {
            "memories": one("SELECT count(*) FROM memories"),
            "superseded": one("SELECT count(*) FROM memories WHERE superseded_by IS NOT NULL"),
            "messages": one("SELECT count(*) FROM messages"),
            "users": one("SELECT count(DISTINCT user_id) FROM memories"),
            "history_events": one("SELECT count(*) FROM history"),
        }

    def mark_all_unindexed(self) -> None:
        self.conn.execute("UPDATE memories SET indexed = 0")
        self.conn.execute("UPDATE messages SET indexed = 0")

    def count_unindexed(self) -> int:
        return sum(
            int(self.conn.execute(f"SELECT count(*) FROM {table} WHERE indexed = 0").fetchone()[0])
            for table in ("memories", "messages")
        )

    # -- helpers ------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        rows = [dict(r) for r in self.db.query(sql, list(params))]
        for row in rows:
            if isinstance(row.get("metadata"), str):
                row["metadata"] = json.loads(row["metadata"])
        return rows

    def reset(self) -> None:
        with self.transaction():
            for table in (
                "memory_sources", "memories", "messages", "history", "deletions",
                "memories_fts", "messages_fts",
                "graph_relation_sources", "graph_relations", "graph_aliases", "graph_entities",
            ):
                self.conn.execute(f"DELETE FROM {table}")


def _memory_values(row: dict[str, Any], cols: Sequence[str]) -> list[Any]:
    return [
        json.dumps(row.get("metadata") or {}, ensure_ascii=False) if c == "metadata" else row.get(c)
        for c in cols
    ]


def _chunks(items: Sequence[str], size: int = 400) -> Iterator[list[str]]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]
