"""The SQLite schema as named migrations, applied in order on open (`FactStore._migrate`)
and recorded by name in the `migrations` table. Add one with `@migration`; never change
one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

#: Named migrations, applied in the order they are registered and recorded by name in
#: the `migrations` table (PRAGMA user_version counts them too, for older mem0cli versions).
MIGRATIONS: dict[str, Callable[[sqlite3.Connection], None]] = {}


def migration(function: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    MIGRATIONS[function.__name__] = function
    return function


@migration
def m001_create_tables(conn: sqlite3.Connection) -> None:
    """Memories, the messages they came from, the links, history, erasure records."""
    for statement in (
        """CREATE TABLE memories (
            id TEXT PRIMARY KEY, memory TEXT NOT NULL, hash TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'fact',
            user_id TEXT, agent_id TEXT, run_id TEXT,
            metadata TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
            said_at TEXT, speaker TEXT, superseded_by TEXT, valid_until TEXT,
            confirmations INTEGER NOT NULL DEFAULT 1,
            model TEXT, prompt_version TEXT,
            indexed INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX memories_user ON memories(user_id)",
        "CREATE INDEX memories_agent ON memories(agent_id)",
        "CREATE INDEX memories_run ON memories(run_id)",
        "CREATE INDEX memories_hash ON memories(hash)",
        "CREATE INDEX memories_unindexed ON memories(indexed) WHERE indexed = 0",
        """CREATE TABLE messages (
            pk TEXT PRIMARY KEY, message_id TEXT,
            kind TEXT NOT NULL DEFAULT 'message',
            user_id TEXT, agent_id TEXT, run_id TEXT,
            role TEXT NOT NULL, name TEXT, content TEXT NOT NULL,
            said_at TEXT, hash TEXT NOT NULL, added_at TEXT NOT NULL,
            created_at TEXT, updated_at TEXT,
            metadata TEXT NOT NULL DEFAULT '{}',
            indexed INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX messages_unindexed ON messages(indexed) WHERE indexed = 0",
        "CREATE VIRTUAL TABLE memories_fts USING fts5(body, tokenize = 'porter unicode61')",
        "CREATE VIRTUAL TABLE messages_fts USING fts5(body, tokenize = 'porter unicode61')",
        "CREATE INDEX messages_user ON messages(user_id)",
        "CREATE INDEX messages_hash ON messages(hash)",
        """CREATE TABLE memory_sources (
            memory_id TEXT NOT NULL, message_pk TEXT NOT NULL,
            PRIMARY KEY (memory_id, message_pk)
        )""",
        "CREATE INDEX memory_sources_message ON memory_sources(message_pk)",
        """CREATE TABLE history (
            id INTEGER PRIMARY KEY AUTOINCREMENT, memory_id TEXT NOT NULL,
            event TEXT NOT NULL, old_memory TEXT, new_memory TEXT,
            actor TEXT, created_at TEXT NOT NULL, reason TEXT,
            user_id TEXT, agent_id TEXT, run_id TEXT
        )""",
        "CREATE INDEX history_event_time ON history(event, created_at)",
        "CREATE INDEX history_memory ON history(memory_id)",
        """CREATE TABLE deletions (
            id INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL,
            count INTEGER NOT NULL, hashes TEXT NOT NULL,
            created_at TEXT NOT NULL, reason TEXT
        )""",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
    ):
        conn.execute(statement)


@migration
def m002_vector_deletes(conn: sqlite3.Connection) -> None:
    """Ids whose vectors must leave LanceDB: written with the deletion, drained after it."""
    conn.execute("CREATE TABLE vector_deletes (id TEXT PRIMARY KEY)")


@migration
def m003_expires_at(conn: sqlite3.Connection) -> None:
    """Mem0 2.x's expiration_date: after `expires_at`, a memory and its messages leave search,
    get_all and exports (NULL: never). Not in LanceDB: filtered in SQLite only."""
    conn.execute("ALTER TABLE memories ADD COLUMN expires_at TEXT")
    conn.execute("ALTER TABLE messages ADD COLUMN expires_at TEXT")


@migration
def m004_graph(conn: sqlite3.Connection) -> None:
    """Graph memory: entities, aliases, relations and their sources (`store.graph_tables`)."""
    from .graph_tables import create_statements

    for statement in create_statements():
        conn.execute(statement)
