"""The PostgreSQL schema: named, numbered migrations applied on `create`, one migrator at a time.

Vectors live in the rows they belong to (an `embedding` column of memories and messages),
so a row and its vector are written and erased in one transaction. The column's dimension
is fixed, and its HNSW index built, when the first vectors arrive (`set_dimensions`).
Keyword search uses a generated tsvector column with a GIN index: the database keeps it
current, no call site has to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Migration = Callable[[Any], None]
MIGRATIONS: list[tuple[str, Migration]] = []
#: pg_advisory_xact_lock key held while migrating (any constant unlikely to clash).
MIGRATION_LOCK = 0x6D656D30_636C6901
#: Text search configuration: English stemming, as SQLite's porter tokenizer.
TS_CONFIG = "english"


def migration(fn: Migration) -> Migration:
    """Register a migration; its number is its place in the list."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_create_tables(conn: Any) -> None:
    """Memories, turns, links, history, erasure records, meta."""
    searchable = (
        "search_text text NOT NULL DEFAULT '', "
        f"tsv tsvector GENERATED ALWAYS AS (to_tsvector('{TS_CONFIG}', search_text)) STORED, "
        "embedding vector, indexed boolean NOT NULL DEFAULT false"
    )
    for statement in (
        "CREATE EXTENSION IF NOT EXISTS vector",
        f"""CREATE TABLE memories (
            seq bigserial UNIQUE, id text PRIMARY KEY, memory text NOT NULL, hash text NOT NULL,
            kind text NOT NULL DEFAULT 'fact', user_id text, agent_id text, run_id text,
            metadata jsonb NOT NULL DEFAULT '{{}}', created_at text NOT NULL, updated_at text NOT NULL,
            said_at text, speaker text, superseded_by text, valid_until text,
            confirmations integer NOT NULL DEFAULT 1, model text, prompt_version text, expires_at text,
            {searchable})""",
        "CREATE INDEX memories_scope ON memories (user_id, agent_id, run_id)",
        "CREATE INDEX memories_agent ON memories (agent_id)",
        "CREATE INDEX memories_run ON memories (run_id)",
        "CREATE INDEX memories_hash ON memories (hash)",
        "CREATE INDEX memories_unindexed ON memories (indexed) WHERE NOT indexed",
        "CREATE INDEX memories_tsv ON memories USING gin (tsv)",
        f"""CREATE TABLE messages (
            seq bigserial UNIQUE, pk text PRIMARY KEY, message_id text, kind text NOT NULL DEFAULT 'message',
            user_id text, agent_id text, run_id text, role text NOT NULL, name text, content text NOT NULL,
            said_at text, hash text NOT NULL, added_at text NOT NULL, created_at text, updated_at text,
            metadata jsonb NOT NULL DEFAULT '{{}}', expires_at text, {searchable})""",
        "CREATE INDEX messages_scope ON messages (user_id, agent_id, run_id, seq)",
        "CREATE INDEX messages_hash ON messages (hash)",
        "CREATE INDEX messages_unindexed ON messages (indexed) WHERE NOT indexed",
        "CREATE INDEX messages_tsv ON messages USING gin (tsv)",
        """CREATE TABLE memory_sources (
            memory_id text NOT NULL, message_pk text NOT NULL, PRIMARY KEY (memory_id, message_pk))""",
        "CREATE INDEX memory_sources_message ON memory_sources (message_pk)",
        """CREATE TABLE history (
            id bigserial PRIMARY KEY, memory_id text NOT NULL, event text NOT NULL,
            old_memory text, new_memory text, actor text, created_at text NOT NULL, reason text,
            user_id text, agent_id text, run_id text)""",
        "CREATE INDEX history_event_time ON history (event, created_at)",
        "CREATE INDEX history_memory ON history (memory_id)",
        """CREATE TABLE deletions (
            id bigserial PRIMARY KEY, scope jsonb NOT NULL, count integer NOT NULL,
            hashes jsonb NOT NULL, created_at text NOT NULL, reason text)""",
        "CREATE TABLE meta (key text PRIMARY KEY, value text)",
    ):
        conn.execute(statement)


@migration
def m002_graph(conn: Any) -> None:
    """Graph memory: entities, aliases, relations and their sources (`store.graph_tables`)."""
    from .graph_tables import create_statements

    for statement in create_statements():
        conn.execute(statement)


def migrate(conn: Any) -> int:
    """Apply the migrations not yet applied (inside the caller's transaction); the version."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
    conn.execute(
        "CREATE TABLE IF NOT EXISTS mem0cli_migrations (number integer PRIMARY KEY, name text NOT NULL, "
        "applied_at timestamptz NOT NULL DEFAULT now())"
    )
    version = conn.execute("SELECT coalesce(max(number), 0) FROM mem0cli_migrations").fetchone()[0]
    if version > len(MIGRATIONS):
        from ..errors import StoreError

        raise StoreError(f"the store was written by a newer mem0cli (schema {version}); upgrade mem0cli")
    for number, (name, fn) in enumerate(MIGRATIONS[version:], start=version + 1):
        fn(conn)
        conn.execute("INSERT INTO mem0cli_migrations (number, name) VALUES (%s, %s)", [number, name])
    return len(MIGRATIONS)


def set_dimensions(conn: Any, dimensions: int) -> None:
    """Fix the embedding columns' dimension and build their HNSW indexes (cosine)."""
    for table in ("memories", "messages"):
        conn.execute(f"ALTER TABLE {table} ALTER COLUMN embedding TYPE vector({int(dimensions)})")
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_hnsw ON {table} USING hnsw (embedding vector_cosine_ops)"
        )
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('dimensions', %s) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [str(int(dimensions))],
    )


def clear_dimensions(conn: Any) -> None:
    """Drop every vector and the HNSW indexes, so another model's dimension can be set."""
    for table in ("memories", "messages"):
        conn.execute(f"DROP INDEX IF EXISTS {table}_hnsw")
        conn.execute(f"UPDATE {table} SET embedding = NULL, indexed = false")
        conn.execute(f"ALTER TABLE {table} ALTER COLUMN embedding TYPE vector")
    conn.execute("DELETE FROM meta WHERE key = 'dimensions'")
