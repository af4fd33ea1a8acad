"""Store health: do SQLite (the source of truth) and LanceDB (the vectors) agree?

`check` lists every disagreement without loading a model: vectors missing for
rows SQLite says are indexed, vectors whose row is gone, rows not indexed yet,
vectors whose scope columns differ from SQLite, the embedding model and vector
dimension, the schema version and SQLite's own integrity check. `repair` fixes
what SQLite can rebuild (missing vectors are re-embedded from the stored text,
orphan vectors dropped); `reindex` rebuilds the whole vector table, e.g. after
MEM0CLI_EMBED_MODEL changed.

All three hold the store's write lock, so they never see a writer half-way
between its two stores.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Mem0cliError, StoreError
from .memory import Memory
from .store import vectors as vector_store
from .store.facts import MIGRATIONS

SCOPE_COLUMNS = ("user_id", "agent_id", "run_id")
#: SQLite tables whose rows have a vector in LanceDB, and their key column.
INDEXED_TABLES = (("memories", "id"), ("messages", "pk"))


@dataclass
class DoctorReport:
    """What `check` found. `ok` is True when `problems` is empty."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # indexed in SQLite, no vector
    orphans: list[str] = field(default_factory=list)  # a vector without a SQLite row
    unindexed: list[str] = field(default_factory=list)  # indexed = 0: the vector may not exist
    stale: list[str] = field(default_factory=list)  # vector scope columns differ from SQLite
    duplicates: list[str] = field(default_factory=list)  # ids with more than one vector row
    reindex_needed: bool = False  # the model or dimension differs: only `reindex` helps
    fatal: bool = False  # SQLite itself is damaged or unreadable: nothing here can fix it


def check(memory: Memory) -> DoctorReport:
    """Compare the two stores; loads no embedding model and changes nothing in them."""
    with memory.write_lock():
        return _inspect(memory)


def repair(memory: Memory) -> list[str]:
    """Fix what can be rebuilt from SQLite; returns one line per fix (empty: nothing to do).

    Orphan and duplicate vectors are dropped; rows whose vector is missing, duplicated
    or carries the wrong scope are marked unindexed and re-embedded from their text,
    together with rows that were never indexed. A model or dimension mismatch is left
    for `reindex`; a damaged SQLite file is left alone (restore a backup).
    """
    fixed: list[str] = []
    with memory.write_lock():
        report = _inspect(memory)
        if report.fatal:
            return fixed
        facts = memory.facts
        drop = sorted(set(report.orphans) | set(report.duplicates))
        if drop:
            _open_table_store(memory.path).delete(drop)
            if report.orphans:
                fixed.append(f"dropped {len(report.orphans)} orphan vectors")
        renew = sorted(set(report.missing) | set(report.stale) | set(report.duplicates))
        if renew:
            with facts.transaction():
                _mark_unindexed(facts.conn, renew)
            if report.missing:
                fixed.append(f"marked {len(report.missing)} rows with missing vectors for reindexing")
            if report.stale:
                fixed.append(f"marked {len(report.stale)} vectors with a wrong scope for reindexing")
            if report.duplicates:
                fixed.append(f"dropped the duplicate vectors of {len(report.duplicates)} rows")
        memory.close()  # its cached vector table may predate the deletes above
        if report.reindex_needed:
            return fixed
        pending = _count_unindexed(memory.facts.conn)
        if pending:
            memory.repair_index()
            fixed.append(f"indexed {pending} rows from their SQLite text")
    return fixed


def reindex(memory: Memory) -> int:
    """Drop the vector table and rebuild it from SQLite with the configured embedder.

    Records the embedder's model id in the store; returns how many rows were embedded.
    A crash part-way leaves every row unindexed: running it again (or any write) finishes.
    """
    with memory.write_lock():
        model_id = memory.embedder.model_id
        memory.embedder.dimensions  # noqa: B018 - load the model before anything changes
        facts = memory.facts
        with facts.transaction():
            for table, _key in _indexed_tables(facts.conn):
                facts.conn.execute(f"UPDATE {table} SET indexed = 0")
            facts.set_meta("embed_model", model_id)
        memory.close()  # drop the cached handle of the table removed below
        vectors_dir = memory.path / "vectors"
        if vectors_dir.exists():
            shutil.rmtree(vectors_dir)  # old versions and deleted rows go too
        pending = _count_unindexed(memory.facts.conn)
        if pending:
            memory.repair_index()
        else:
            memory.vectors  # noqa: B018 - an empty table with the new dimension
        return pending


# -- inspection ----------------------------------------------------------------
def _inspect(memory: Memory) -> DoctorReport:
    report = DoctorReport(ok=False)
    try:
        facts = memory.facts
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

    table = _read_vector_table(memory.path / "vectors", report)
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

    _check_model(memory, stored_model, table, bool(indexed or vector_ids), report)
    return _done(report)


def _check_sqlite(conn: sqlite3.Connection, report: DoctorReport) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if not 1 <= version <= len(MIGRATIONS):
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
    memory: Memory, stored: str | None, table: dict[str, Any] | None, has_vectors: bool, report: DoctorReport
) -> None:
    model_id = memory.embedder.model_id  # an attribute: the model is not loaded
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
        dimensions = memory.embedder.dimensions  # known without loading for the bundled model
    except Mem0cliError as exc:
        report.problems.append(str(exc))
        return
    if table["dimensions"] != dimensions:
        report.problems.append(
            f"the vector table holds {table['dimensions']}-dimensional vectors but {model_id} "
            f"gives {dimensions}; run `mem0cli reindex`"
        )
        report.reindex_needed = True


def _done(report: DoctorReport) -> DoctorReport:
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


def _read_vector_table(path: Path, report: DoctorReport) -> dict[str, Any] | None:
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


def _open_table_store(path: Path) -> vector_store.LanceVectorStore:
    return vector_store.LanceVectorStore.open_existing(path / "vectors")


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
