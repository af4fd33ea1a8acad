"""The embedded store's health: do SQLite (the source of truth) and LanceDB (the vectors) agree?

`inspect` lists every disagreement without loading a model: vectors missing for rows
SQLite says are indexed, vectors whose row is gone, rows not indexed yet, vectors whose
scope columns differ from SQLite, the embedding model and vector dimension, the schema
version, SQLite's own integrity check and its keyword index. `fix` drops what LanceDB
should not hold and marks what it lacks for the store's `repair`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Mem0cliError, StoreError
from . import vectors as vector_store
from .migrations import MIGRATIONS
from .records import HealthReport

if TYPE_CHECKING:
    from .local import LocalStore

VECTORS_DIR = "vectors"
SCOPE_COLUMNS = ("user_id", "agent_id", "run_id")
#: SQLite tables whose rows have a vector in LanceDB, and their key column.
INDEXED_TABLES = (("memories", "id"), ("messages", "pk"))


def fix(store: LocalStore, report: HealthReport) -> list[str]:
    """Drop orphan and duplicate vectors; mark rows whose vector is missing, duplicated or
    carries the wrong scope unindexed (the store's `repair` re-embeds them)."""
    fixed: list[str] = []
    drop = sorted(set(report.orphans) | set(report.duplicates))
    if drop:
        vector_store.LanceVectorStore.open_existing(store.path / VECTORS_DIR).delete(drop)
        if report.orphans:
            fixed.append(f"dropped {len(report.orphans)} orphan vectors")
    renew = sorted(set(report.missing) | set(report.stale) | set(report.duplicates))
    if renew:
        with store.facts.transaction():
            _mark_unindexed(store.facts.conn, renew)
        if report.missing:
            fixed.append(f"marked {len(report.missing)} rows with missing vectors for reindexing")
        if report.stale:
            fixed.append(f"marked {len(report.stale)} vectors with a wrong scope for reindexing")
        if report.duplicates:
            fixed.append(f"dropped the duplicate vectors of {len(report.duplicates)} rows")
    return fixed


# -- inspection ----------------------------------------------------------------
def inspect(store: LocalStore, model_id: str, dimensions: Callable[[], int]) -> HealthReport:
    """Compare SQLite and LanceDB; loads no embedding model and changes nothing in them."""
    report = HealthReport(ok=False)
    try:
        facts = store.facts
        _check_sqlite(facts.conn, report)
        if report.fatal:
            return _done(report)
        rows = _sqlite_rows(facts.conn)
        stored_model = facts.get_meta("embed_model")
    except StoreError as exc:
        report.problems.append(str(exc))
        report.fatal = True
        return _done(report)
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"the SQLite database cannot be read: {exc}")
        report.fatal = True
        return _done(report)

    indexed = {key for key, (flag, _scope) in rows.items() if flag}
    report.unindexed = sorted(key for key, (flag, _scope) in rows.items() if not flag)
    report.counts.update(rows=len(rows), indexed=len(indexed), unindexed=len(report.unindexed))

    table = _read_vector_table(store.path / VECTORS_DIR, report)
    vector_ids: list[str] = [] if table is None else table["ids"]
    seen: set[str] = set()
    duplicates: set[str] = set()
    for key in vector_ids:
        (duplicates if key in seen else seen).add(key)
    report.duplicates = sorted(duplicates)
    report.missing = sorted(indexed - seen)
    report.orphans = sorted(seen - set(rows))
    if table is not None:
        report.stale = sorted(
            key for key, scope in table["scopes"].items() if key in rows and rows[key][1] != scope
        )
    report.counts.update(
        vectors=len(vector_ids),
        missing_vectors=len(report.missing),
        orphan_vectors=len(report.orphans),
        stale_vectors=len(report.stale),
        duplicate_vectors=len(report.duplicates),
    )
    if report.missing:
        report.problems.append(f"{len(report.missing)} indexed rows have no vector in LanceDB")
    if report.orphans:
        report.problems.append(f"{len(report.orphans)} vectors in LanceDB have no row in SQLite")
    if report.unindexed:
        report.problems.append(f"{len(report.unindexed)} rows are not indexed yet")
    if report.stale:
        report.problems.append(f"{len(report.stale)} vectors carry a scope that differs from SQLite")
    if report.duplicates:
        report.problems.append(f"{len(report.duplicates)} ids have more than one vector")

    _check_model(model_id, dimensions, stored_model, table, bool(indexed or vector_ids), report)
    return _done(report)


def _check_sqlite(conn: sqlite3.Connection, report: HealthReport) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if not 1 <= version <= len(MIGRATIONS):  # (opening refuses a newer store before this)
        report.problems.append(
            f"unknown schema version {version} (this mem0cli knows 1 to {len(MIGRATIONS)})"
        )
        report.fatal = True
    result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if result != ["ok"]:
        report.problems.append("SQLite integrity check failed: " + "; ".join(result[:3]))
        report.fatal = True
    for table in ("memories", "messages"):
        fts = f"{table}_fts"
        if not _has_table(conn, fts):
            continue
        missing = conn.execute(
            f"SELECT count(*) FROM {table} WHERE rowid NOT IN (SELECT rowid FROM {fts})"
        ).fetchone()[0]
        extra = conn.execute(
            f"SELECT count(*) FROM {fts} WHERE rowid NOT IN (SELECT rowid FROM {table})"
        ).fetchone()[0]
        if missing or extra:
            report.problems.append(
                f"the keyword index of {table} disagrees with it ({missing} rows missing, {extra} extra)"
            )
    dangling = conn.execute(
        "SELECT count(*) FROM memory_sources s "
        "WHERE NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = s.memory_id)"
    ).fetchone()[0]
    if dangling:
        report.problems.append(f"{dangling} source links point at memories that do not exist")


def _check_model(
    model_id: str, dimensions: Callable[[], int], stored: str | None, table: dict[str, Any] | None,
    has_vectors: bool, report: HealthReport,
) -> None:
    if stored is None:
        if has_vectors:
            report.problems.append(
                "the store has vectors but no recorded embedding model; run `mem0cli reindex`"
            )
            report.reindex_needed = True
        return
    if stored != model_id:
        report.problems.append(
            f"the vectors were made with {stored} but the configured model is {model_id}; "
            "run `mem0cli reindex` (or set MEM0CLI_EMBED_MODEL back)"
        )
        report.reindex_needed = True
        return
    if table is None:
        return
    try:
        size = dimensions()  # known without loading for the bundled model
    except Mem0cliError as exc:
        report.problems.append(str(exc))
        return
    if table["dimensions"] != size:
        report.problems.append(
            f"the vector table holds {table['dimensions']}-dimensional vectors but {model_id} "
            f"gives {size}; run `mem0cli reindex`"
        )
        report.reindex_needed = True


def _done(report: HealthReport) -> HealthReport:
    report.ok = not report.problems
    return report


# -- reading the stores ----------------------------------------------------------
def _sqlite_rows(conn: sqlite3.Connection) -> dict[str, tuple[bool, tuple]]:
    """Every row that should have a vector: key -> (indexed, (user_id, agent_id, run_id))."""
    rows: dict[str, tuple[bool, tuple]] = {}
    for table, key in _indexed_tables(conn):
        sql = f"SELECT {key}, indexed, {', '.join(SCOPE_COLUMNS)} FROM {table}"
        for record in conn.execute(sql):
            rows[record[0]] = (bool(record[1]), tuple(record[2:]))
    return rows


def _indexed_tables(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """The tables that carry an `indexed` column (messages gained one with hybrid search)."""
    found = []
    for table, key in INDEXED_TABLES:
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if "indexed" in columns:
            found.append((table, key))
    return found


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [name]).fetchone() is not None


def _read_vector_table(path: Path, report: HealthReport) -> dict[str, Any] | None:
    """ids (with repeats), scope columns by id, and dimension of the LanceDB table; None if absent.

    Read through lancedb directly: LanceVectorStore has no method returning columns
    other than the vectors, and reading every vector would not scale.
    """
    if not path.exists():
        return None
    try:
        dimensions = vector_store.LanceVectorStore.open_existing(path).dimensions
    except StoreError:  # the directory exists but the table was never created (or was dropped)
        return None
    except Exception as exc:  # noqa: BLE001 - a damaged table: OSError, RuntimeError, ValueError...
        report.problems.append(
            f"the vector table cannot be opened ({type(exc).__name__}); run `mem0cli reindex`"
        )
        report.reindex_needed = True
        return None
    try:
        import lancedb

        table = lancedb.connect(str(path)).open_table(vector_store.TABLE)
        names = set(table.schema.names)
        columns = ["id", *(c for c in SCOPE_COLUMNS if c in names)]
        data = table.search().select(columns).limit(None).to_arrow().to_pydict()
    except Exception as exc:  # noqa: BLE001 - as above
        report.problems.append(
            f"the vector table cannot be read ({type(exc).__name__}); run `mem0cli reindex`"
        )
        report.reindex_needed = True
        return None
    ids = data["id"]
    scopes = {}
    if all(c in data for c in SCOPE_COLUMNS):
        scopes = {key: tuple(data[c][i] for c in SCOPE_COLUMNS) for i, key in enumerate(ids)}
    return {"ids": ids, "scopes": scopes, "dimensions": dimensions}


def _mark_unindexed(conn: sqlite3.Connection, keys: list[str]) -> None:
    for table, key in _indexed_tables(conn):
        for start in range(0, len(keys), 400):
            chunk = keys[start : start + 400]
            marks = ", ".join("?" * len(chunk))
            conn.execute(f"UPDATE {table} SET indexed = 0 WHERE {key} IN ({marks})", chunk)


def _count_unindexed(conn: sqlite3.Connection) -> int:
    return sum(
        conn.execute(f"SELECT count(*) FROM {table} WHERE indexed = 0").fetchone()[0]
        for table, _key in _indexed_tables(conn)
    )
