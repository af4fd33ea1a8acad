"""Store health: `check` lists where the rows and their vectors disagree (without loading
a model), `repair` fixes what the rows can rebuild (missing vectors re-embedded from the
stored text, orphan vectors dropped), `reindex` rebuilds every vector, e.g. after
MEM0CLI_EMBED_MODEL changed. The store does the work (`Store.check`, `fix`, `repair`,
`drop_vectors`; for the embedded store, `store/health.py`).

All three hold the store's write lock, so they never see a writer half-way between its
rows and its vectors.
"""

from __future__ import annotations

from .graph.build import rebuild as rebuild_graph
from .memory import Memory
from .store.records import HealthReport

DoctorReport = HealthReport  # what `check` returns


def check(memory: Memory) -> HealthReport:
    """Compare rows and vectors; loads no embedding model and changes nothing in them."""
    store = memory.store
    if not store.exists():  # nothing to disagree (and nothing made by looking)
        return HealthReport(ok=True, counts={"rows": 0, "vectors": 0})
    with store.write_lock():
        report = store.check(memory.embedder.model_id, lambda: memory.embedder.dimensions)
        if not report.fatal:
            graph = store.graph.problems()  # the graph against the facts it is drawn from
            report.problems += graph
            report.ok = report.ok and not graph
            report.counts.update({f"graph_{k}": v for k, v in store.graph.counts().items()})
        return report


def repair(memory: Memory) -> list[str]:
    """Fix what can be rebuilt from the rows; returns one line per fix (empty: nothing to do).

    Orphan and duplicate vectors are dropped; rows whose vector is missing, duplicated
    or carries the wrong scope are re-embedded from their text, together with rows that
    were never indexed. A model or dimension mismatch is left for `reindex`; a damaged
    database is left alone (restore a backup).
    """
    store = memory.store
    with store.write_lock():
        report = check(memory)
        if report.fatal:
            return []
        fixed = store.fix(report)
        if any(p.split(" ", 1)[1].startswith("graph ") for p in report.problems if " " in p):
            with store.transaction():
                written = rebuild_graph(store)
            fixed.append(f"drew the graph again from the facts ({written} relations)")
        if report.reindex_needed:
            return fixed
        indexed = memory.repair()
        if indexed:
            fixed.append(f"indexed {indexed} rows from their SQLite text")
    return fixed


def reindex(memory: Memory) -> int:
    """Drop every vector and make them again from the rows with the configured embedder.

    Records the embedder's model id in the store; returns how many rows were embedded.
    A crash part-way leaves every row unindexed: running it again (or any write) finishes.
    """
    store = memory.store
    store.create()
    with store.write_lock():
        model_id = memory.embedder.model_id
        dimensions = memory.embedder.dimensions  # the model loaded before anything changes
        pending = store.drop_vectors(model_id, dimensions)
        if pending:
            memory.repair()
        return pending
