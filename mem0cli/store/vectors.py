"""The LanceDB table of vectors: rebuildable from SQLite, used for filtered vector search."""

from __future__ import annotations

import json
import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import StoreError

TABLE = "memories"
SCALAR_COLUMNS = ("kind", "user_id", "agent_id", "run_id", "created_at", "updated_at", "said_at")

# Indexes (bench/search.py measures these choices). LanceDB's flat scan costs several
# times numpy's per vector (~1 ms per 1,000 rows here), so search needs an index early.
#: Past this many rows an IVF_FLAT index is built on the vectors: a search compares the
#: query with the rows of the NPROBES partitions nearest to it, not with every row (while
#: there are at most NPROBES partitions that is every row, still 3x faster than LanceDB's
#: flat scan at 10k rows). IVF_FLAT keeps full vectors (exact distances within a partition,
#: no refine step) and trains in about a second at this size, so the write that crosses
#: the line stays short.
ANN_INDEX_ROWS = 5_000
#: Past this many rows id and the scope columns get B-tree indexes, so a scope filter
#: (-u alice) reads that user's rows instead of every vector, and `similarities` finds
#: rows by id without a scan (5.3 against 6.4 ms for one of three users at 2,800 rows).
SCALAR_INDEX_ROWS = 1_000
SCALAR_INDEXED = ("id", "user_id", "agent_id", "run_id")
#: Rows per IVF partition. Given as LanceDB's target_partition_size, so `optimize` splits
#: partitions that outgrow it as rows are added. (Given as num_partitions instead, the
#: first `optimize` merges them down to LanceDB's own default size, a few thousand rows,
#: and every query then reads most of the table.)
PARTITION_ROWS = 500
#: Partitions probed per query: recall@10 0.99+ against exact search at 100k rows
#: (bench/search.py prints the curve); the index part of a query costs ~2 ms of ~5.
NPROBES = 20
#: A pre-filter matching at most this many rows (one user's memories, say) is searched
#: exactly: flat over those rows, found through the B-tree. A flat search costs ~1 ms per
#: 100 rows it reads, so a larger set goes through the IVF index, probing partitions past
#: NPROBES until the limit is met: recall@10 0.95 for 1,000 of 100k rows, 0.97 for 2,000,
#: 0.98 for 5,000 (bench/search.py, "users' filter").
EXACT_SEARCH_ROWS = 2_000
#: Rows written since the indexes were built are scanned flat until this many have
#: gathered; `maybe_build_index` then folds them into the indexes (`optimize`).
REINDEX_ROWS = 2_000
#: Small data files (one per write) that make `maybe_build_index` merge them: a search
#: reads every file, and over 70 small ones costs twice what it does over one (12.5 vs
#: 6.4 ms at 2,800 rows); merging them takes ~50 ms at that size.
COMPACT_FRAGMENTS = 8
VECTOR_INDEX = "vector_idx"
#: Filters whose rows `search` keeps in memory (each at most EXACT_SEARCH_ROWS rows).
SCAN_CACHE_ENTRIES = 8
#: Beside the table: how many small files the last `optimize` left (see maybe_build_index).
MAINTENANCE_FILE = "maintenance.json"
#: Beside the table: how many times it was reset, so other handles know theirs is gone.
RESETS_FILE = "resets"


class LanceVectorStore:
    """One LanceDB table: id, vector, and the columns search pre-filters on."""

    def __init__(self, path: Path, dimensions: int) -> None:
        lancedb = _import_lancedb()
        self.path = path
        self.dimensions = dimensions
        self._db = lancedb.connect(str(path))
        self._table = self._open_table()
        self._vector_index: bool | None = None
        # filters' rows read for `search`, by (table generation, filter, table version); a
        # read in flight (a prefetch on another thread) is a Future others wait for
        self._scans: OrderedDict[tuple[int, str, int], _Scan | None] = OrderedDict()
        self._reading: dict[tuple[int, str, int], Future] = {}
        self._scan_lock = threading.Lock()  # guards both dicts, never held while reading
        self._generation = 0  # `reset` starts a new table, whose versions count from 1 again
        self._resets = self._resets_on_disk()
        self.scans_read = 0  # filters' rows read from LanceDB (tests and benches watch it)

    @classmethod
    def open_existing(cls, path: Path) -> LanceVectorStore:
        """Open the table with the dimension it already has (no embedding model needed)."""
        db = _import_lancedb().connect(str(path))
        if TABLE not in _table_names(db):
            raise StoreError(f"no vector table under {path}")
        size = db.open_table(TABLE).schema.field("vector").type.list_size
        return cls(path, size)

    def _schema(self):
        import pyarrow as pa

        fields = [pa.field("id", pa.string(), nullable=False)]
        fields.append(pa.field("vector", pa.list_(pa.float32(), self.dimensions)))
        fields += [pa.field(name, pa.string()) for name in SCALAR_COLUMNS]
        return pa.schema(fields)

    def _open_table(self):
        if TABLE in _table_names(self._db):
            table = self._db.open_table(TABLE)
            size = table.schema.field("vector").type.list_size
            if size != self.dimensions:
                raise StoreError(
                    f"the vector table holds {size}-dimensional vectors but the embedding model "
                    f"gives {self.dimensions}; run `mem0cli reindex` after changing MEM0CLI_EMBED_MODEL"
                )
            return table
        return self._db.create_table(TABLE, schema=self._schema())

    def upsert(self, rows: Sequence[dict[str, Any]]) -> None:
        """Add or replace rows (dicts with id, vector and the scalar columns)."""
        if not rows:
            return
        data = [{"id": r["id"], "vector": r["vector"], **{c: r.get(c) for c in SCALAR_COLUMNS}} for r in rows]
        (
            self._table.merge_insert("id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute(data)
        )

    def append(self, rows: Sequence[dict[str, Any]], vectors: Any) -> None:
        """Add many rows not yet in the table in one write, no merge: bulk imports.

        `rows` are dicts with id and the scalar columns; `vectors` a (len(rows), dimensions)
        float matrix (a numpy array or a list of lists).
        """
        import numpy as np
        import pyarrow as pa

        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.shape != (len(rows), self.dimensions):
            raise ValueError(f"expected a {len(rows)} x {self.dimensions} matrix, got {matrix.shape}")
        if not rows:
            return
        schema = self._schema()
        columns = [pa.array([r["id"] for r in rows], pa.string())]
        columns.append(pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1)), self.dimensions))
        columns += [pa.array([r.get(c) for r in rows], pa.string()) for c in SCALAR_COLUMNS]
        self._table.add(pa.Table.from_arrays(columns, schema=schema))

    def maybe_build_index(self) -> list[str]:
        """Build or refresh the indexes the table's size calls for; names what it did.

        Past SCALAR_INDEX_ROWS: B-tree indexes on id and the scope columns; past
        ANN_INDEX_ROWS: the IVF index on the vectors; once REINDEX_ROWS rows are not in
        the indexes yet, or COMPACT_FRAGMENTS small files have gathered (each write adds
        one): `optimize`, which folds new rows into the indexes and merges the files.
        Cheap when there is nothing to do (a row count, table statistics, an index
        listing): call it after each write, under the store's write lock.
        """
        from lancedb.index import BTree, IvfFlat

        rows = self.count()
        done = []
        stale = 0
        if rows >= SCALAR_INDEX_ROWS:
            existing = {i.name: i for i in self._table.list_indices()}
            for column in SCALAR_INDEXED:
                name = f"{column}_idx"
                if name not in existing:
                    self._table.create_index(column, config=BTree(), name=name, replace=True)
                    done.append(name)
            if rows >= ANN_INDEX_ROWS and VECTOR_INDEX not in existing:
                config = IvfFlat(distance_type="cosine", target_partition_size=PARTITION_ROWS)
                self._table.create_index("vector", config=config, name=VECTOR_INDEX, replace=True)
                done.append(VECTOR_INDEX)
            stale = max((i.num_unindexed_rows or 0 for i in existing.values()), default=0)
        if done:
            self._vector_index = None
            return done
        small = self._table.stats()["fragment_stats"]["num_small_fragments"]
        # Files the last optimize left are not counted: once rows are in an index, LanceDB
        # does not merge their files with newer ones, so a few remain after each optimize.
        left = min(self._files_left_by_optimize(), small)
        if stale >= REINDEX_ROWS or small - left >= COMPACT_FRAGMENTS:
            self._table.optimize()
            self._record_files_left_by_optimize(self._table.stats()["fragment_stats"]["num_small_fragments"])
            done.append("optimize")
        return done

    def _files_left_by_optimize(self) -> int:
        try:
            return int(json.loads((self.path / MAINTENANCE_FILE).read_text())["small_files_after_optimize"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0

    def _record_files_left_by_optimize(self, count: int) -> None:
        target = self.path / MAINTENANCE_FILE
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps({"small_files_after_optimize": count}))
        os.replace(temporary, target)

    def _has_vector_index(self) -> bool:
        # Cached: each LanceDB call is a round trip to its event-loop thread, and the index
        # only appears through maybe_build_index (this handle does not follow other
        # processes' writes anyway until reopened).
        if self._vector_index is None:
            self._vector_index = any(i.name == VECTOR_INDEX for i in self._table.list_indices())
        return self._vector_index

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            self._table.delete("id IN (" + ", ".join(_quote(i) for i in chunk) + ")")

    def search(
        self, vector: Sequence[float], where: str | None, limit: int, *, exact: bool = False
    ) -> list[tuple[str, str, float]]:
        """(id, kind, cosine similarity) of the nearest rows that pass the pre-filter, best first.

        Approximate (the IVF index) on a large table unless `exact`, or unless the filter
        keeps at most EXACT_SEARCH_ROWS rows: those are read once per table version and
        searched exactly in numpy (a scope's rows, searched again and again by a process
        that stays open, cost one LanceDB scan instead of one query each time).
        """
        small = self._small_scan(where)
        if small is not None:
            return small.nearest(vector, limit)
        query = self._table.search(list(vector)).distance_type("cosine").limit(limit)
        query = query.select(["id", "kind", "_distance"])
        if where:
            query = query.where(where, prefilter=True)
        if exact:
            query = query.bypass_vector_index()
        elif self._has_vector_index():
            if not where and limit <= NPROBES * PARTITION_ROWS // 2:
                # a fixed count: an open maximum costs twice as much even with no filter
                # (enough while the limit is well below the rows of NPROBES partitions)
                query = query.nprobes(NPROBES)
            elif self._table.count_rows(where) <= EXACT_SEARCH_ROWS:
                query = query.bypass_vector_index()
            else:
                # more partitions only when a filter leaves too few rows in the first ones
                query = query.minimum_nprobes(NPROBES).maximum_nprobes(0)
        rows = query.to_arrow().to_pylist()
        return [(r["id"], r["kind"], 1.0 - float(r["_distance"])) for r in rows]

    def prefetch(self, where: str | None) -> None:
        """Read what `search` with this pre-filter will need before the query vector exists:
        a small filter's rows (one user's, say) are read while the query is embedded."""
        self._small_scan(where)

    def _small_scan(self, where: str | None) -> _Scan | None:
        """The rows passing `where` with their unit vectors, when at most EXACT_SEARCH_ROWS
        pass; cached by table version (a write makes a new version), a few filters at once.
        A read of the same rows in flight on another thread is waited for, not repeated."""
        key = self._scan_key(where)
        with self._scan_lock:
            if key in self._scans:
                self._scans.move_to_end(key)
                return self._scans[key]
            pending = self._reading.get(key)
            if pending is None:
                self._reading[key] = mine = Future()
        if pending is not None:
            return pending.result()
        scan, error = None, None
        try:
            scan = self._read_scan(where)
        except BaseException as exc:  # an interrupt too: whoever waits must not wait forever
            error = exc
            raise
        finally:
            with self._scan_lock:
                del self._reading[key]
                if error is None:
                    self._scans[key] = scan
                    while len(self._scans) > SCAN_CACHE_ENTRIES:
                        self._scans.popitem(last=False)
            if error is None:
                mine.set_result(scan)
            else:
                mine.set_exception(error)
        return scan

    def _scan_key(self, where: str | None) -> tuple[int, str, int]:
        """What kept rows are filed under: the table's generation and version, the filter."""
        return (self._generation, where or "", int(self._table.version))

    def _read_scan(self, where: str | None) -> _Scan | None:
        """Read the rows passing `where` if at most EXACT_SEARCH_ROWS do, else None."""
        total = self.count()
        passing = total if not where or total <= EXACT_SEARCH_ROWS else self._table.count_rows(where)
        if passing > EXACT_SEARCH_ROWS:
            return None
        self.scans_read += 1
        query = self._table.search().select(["id", "kind", "vector"]).limit(max(passing, 1) + 1)
        return _Scan.of(query.where(where) if where else query, self.dimensions)

    def similarities(self, vector: Sequence[float], ids: Sequence[str], where: str | None = None) -> dict[str, float]:
        """Cosine similarity of `vector` with the rows of the given ids. Rows that a search
        with the pre-filter `where` read into memory are compared there; the others are
        read through the id index and compared here (half the cost of a vector query)."""
        found = self._kept_similarities(vector, ids, where)
        rest = [i for i in ids if i not in found]
        for start in range(0, len(rest), 500):
            by_id = "id IN (" + ", ".join(_quote(i) for i in rest[start : start + 500]) + ")"
            query = self._table.search().where(by_id).select(["id", "kind", "vector"]).limit(500)
            found.update(_Scan.of(query, self.dimensions).similarities(vector))
        return found

    def _kept_similarities(self, vector: Sequence[float], ids: Sequence[str], where: str | None) -> dict[str, float]:
        """Similarities of the ids among the rows `_small_scan(where)` keeps for this table
        version (none if it keeps none: nothing is read here)."""
        with self._scan_lock:
            scan = self._scans.get(self._scan_key(where))
        return scan.similarities(vector, ids) if scan is not None else {}

    def ids(self) -> set[str]:
        table = self._table.to_arrow() if self.count() else None
        return set(table.column("id").to_pylist()) if table is not None else set()

    def vectors_of(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Stored vectors by id."""
        wanted = set(ids)
        table = self._table.to_arrow().select(["id", "vector"]).to_pylist()
        return {r["id"]: [float(x) for x in r["vector"]] for r in table if r["id"] in wanted}

    def count(self) -> int:
        return int(self._table.count_rows())

    def version(self) -> int:
        """The table's version: each write makes a new one."""
        return int(self._table.version)

    def compact(self) -> None:
        """Rewrite data files and drop old versions, so deleted rows leave the disk."""
        with warnings.catch_warnings():  # we hold the store's write lock: no other writer
            warnings.simplefilter("ignore", UserWarning)
            self._table.optimize(cleanup_older_than=timedelta(seconds=0), delete_unverified=True)

    def refresh(self) -> None:
        """See what other handles committed since this one last looked (LanceDB pins a table
        handle to the version it read): a long-lived process, such as `mem0cli serve`'s readers
        or a script's Memory beside CLI writers, would otherwise search an old version, or a
        table another handle's `reset` dropped. Under a millisecond when nothing changed."""
        resets = self._resets_on_disk()
        if resets != self._resets:  # a new table, whose versions count from 1 again
            if TABLE not in _table_names(self._db):
                return  # being made again by the reset: look next time
            self._table = self._db.open_table(TABLE)
            self._resets = resets
            self._forget_scans()
            return
        before = int(self._table.version)
        try:
            self._table.checkout_latest()
        except Exception:  # dropped by a reset in progress: look next time
            return
        if int(self._table.version) != before:
            self._vector_index = None  # a writer may have built the ANN index

    def _resets_on_disk(self) -> int:
        try:
            return int((self.path / RESETS_FILE).read_text())
        except (OSError, ValueError):
            return 0

    def _forget_scans(self) -> None:
        """Rows kept or being read until now (under the old generation, whichever table they
        came from) are never served again."""
        self._vector_index = None
        with self._scan_lock:
            self._generation += 1
            self._scans.clear()

    def reset(self) -> None:
        self._db.drop_table(TABLE)
        self._table = self._db.create_table(TABLE, schema=self._schema())
        self._forget_scans()  # the new table counts its versions from 1 again
        self._resets = self._resets_on_disk() + 1
        target = self.path / RESETS_FILE
        temporary = target.with_suffix(".tmp")
        temporary.write_text(str(self._resets))
        os.replace(temporary, target)


@dataclass(frozen=True)
class _Scan:
    """Rows read from the table (ids, kinds, unit vectors), searched exactly in numpy."""

    ids: list[str]
    kinds: list[str]
    unit: Any  # (rows, dimensions) float32

    @cached_property
    def row_of(self) -> dict[str, int]:
        return {key: row for row, key in enumerate(self.ids)}

    @classmethod
    def of(cls, query: Any, dimensions: int) -> _Scan:
        import numpy as np

        table = query.to_arrow()
        flat = table.column("vector").combine_chunks().flatten().to_numpy()
        matrix = flat.astype(np.float32, copy=False).reshape(-1, dimensions)
        unit = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        return cls(table.column("id").to_pylist(), table.column("kind").to_pylist(), unit)

    def _scores(self, vector: Sequence[float], rows: list[int] | None = None) -> Any:
        """Cosines of `vector` with every row, or with the given rows."""
        import numpy as np

        query = np.asarray(vector, dtype=np.float32)
        unit = self.unit if rows is None else self.unit[rows]
        return unit @ (query / max(float(np.linalg.norm(query)), 1e-12))

    def similarities(self, vector: Sequence[float], ids: Sequence[str] | None = None) -> dict[str, float]:
        """Cosine similarity of `vector` with every row (or the rows of `ids` here), by id."""
        rows = None if ids is None else [self.row_of[i] for i in ids if i in self.row_of]
        keys = self.ids if rows is None else [self.ids[r] for r in rows]
        return dict(zip(keys, self._scores(vector, rows).tolist())) if keys else {}

    def nearest(self, vector: Sequence[float], limit: int) -> list[tuple[str, str, float]]:
        """(id, kind, cosine) of the `limit` rows most similar to `vector`, best first."""
        import numpy as np

        if not self.ids or limit <= 0:
            return []
        scores = self._scores(vector)
        k = min(limit, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.ids[i], self.kinds[i], float(scores[i])) for i in best]


def _import_lancedb():
    """lancedb, imported on first use: over a second to import."""
    # LanceDB logs routine index maintenance (partition splits in `optimize`) as warnings
    # on stderr; a user's own LANCEDB_LOG setting still wins.
    os.environ.setdefault("LANCEDB_LOG", "error")
    import lancedb

    return lancedb


def _table_names(db) -> list[str]:
    lister = getattr(db, "list_tables", None)
    if lister is not None:
        result = lister()
        return list(getattr(result, "tables", result))
    return list(db.table_names())


def _quote(value: str) -> str:
    """A SQL string literal: single quotes doubled."""
    return "'" + str(value).replace("'", "''") + "'"
