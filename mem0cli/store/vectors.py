"""The LanceDB table of vectors: rebuildable from SQLite, used for filtered vector search."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..errors import StoreError

TABLE = "memories"
SCALAR_COLUMNS = ("kind", "user_id", "agent_id", "run_id", "created_at", "updated_at", "said_at")
#: Past this many rows an IVF-PQ index is built, so search stops scanning every vector.
ANN_INDEX_ROWS = 50_000
VECTOR_INDEX = "vector_idx"


class LanceVectorStore:
    """One LanceDB table: id, vector, and the columns search pre-filters on."""

    def __init__(self, path: Path, dimensions: int) -> None:
        import lancedb  # lazy: over a second to import

        self.path = path
        self.dimensions = dimensions
        self._db = lancedb.connect(str(path))
        self._table = self._open_table()

    @classmethod
    def open_existing(cls, path: Path) -> LanceVectorStore:
        """Open the table with the dimension it already has (no embedding model needed)."""
        import lancedb

        db = lancedb.connect(str(path))
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

    def maybe_build_index(self) -> bool:
        """Build the ANN index once the table passes ANN_INDEX_ROWS; True when one was built."""
        if self.count() < ANN_INDEX_ROWS:
            return False
        names = {i.name for i in self._table.list_indices()}
        if VECTOR_INDEX in names:
            return False
        self._table.create_index(
            metric="cosine", index_type="IVF_PQ", vector_column_name="vector", name=VECTOR_INDEX,
        )
        return True

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            self._table.delete("id IN (" + ", ".join(_quote(i) for i in chunk) + ")")

    def search(
        self, vector: Sequence[float], where: str | None, limit: int
    ) -> list[tuple[str, str, float]]:
        """(id, kind, cosine similarity) of the nearest rows that pass the pre-filter, best first."""
        query = self._table.search(list(vector)).distance_type("cosine").limit(limit)
        query = query.select(["id", "kind", "_distance"])
        if where:
            query = query.where(where, prefilter=True)
        rows = query.to_list()
        return [(r["id"], r["kind"], 1.0 - float(r["_distance"])) for r in rows]

    def similarities(self, vector: Sequence[float], ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of `vector` with the rows of the given ids."""
        if not ids:
            return {}
        where = "id IN (" + ", ".join(_quote(i) for i in ids) + ")"
        return {i: sim for i, _kind, sim in self.search(vector, where, len(ids))}

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

    def compact(self) -> None:
        """Rewrite data files and drop old versions, so deleted rows leave the disk."""
        with warnings.catch_warnings():  # we hold the store's write lock: no other writer
            warnings.simplefilter("ignore", UserWarning)
            self._table.optimize(cleanup_older_than=timedelta(seconds=0), delete_unverified=True)

    def reset(self) -> None:
        self._db.drop_table(TABLE)
        self._table = self._db.create_table(TABLE, schema=self._schema())


def _table_names(db) -> list[str]:
    lister = getattr(db, "list_tables", None)
    if lister is not None:
        result = lister()
        return list(getattr(result, "tables", result))
    return list(db.table_names())


def _quote(value: str) -> str:
    """A SQL string literal: single quotes doubled."""
    return "'" + str(value).replace("'", "''") + "'"
