"""Search on the team store: nearest vectors (pgvector HNSW, cosine) and keyword matches
(PostgreSQL full-text search), each under the filter compiled to SQL (`pg_filters`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ..filters import Filter
from . import pg_schema
from .base import Scope, Vector
from .pg_filters import to_pg_sql
from .records import Candidate

#: The kinds of row, their tables and key columns.
TABLES = {"fact": ("memories", "id"), "message": ("messages", "pk")}


class PostgresSearch:
    """The search half of `PostgresStore` (a mixin over its connection helpers)."""

    def refresh(self) -> None:
        """Nothing to do: every statement outside a snapshot sees the latest commits."""

    def vector_candidates(self, vector: Vector, tree: Filter | None, want: int) -> list[Candidate]:
        if not self.exists() or self.get_meta("dimensions") is None:
            return []
        where, params = to_pg_sql(tree)
        q = vector_text(vector)
        hits: list[Candidate] = []
        with self._search_settings(want):
            for kind, (table, key) in TABLES.items():
                rows = self._all(
                    f"SELECT {key}, 1 - (embedding <=> %s::vector) FROM {table} "
                    f"WHERE embedding IS NOT NULL AND ({where}) ORDER BY embedding <=> %s::vector LIMIT %s",
                    [q, *params, q, want],
                )
                hits += [Candidate(k, kind, float(s)) for k, s in rows]
        hits.sort(key=lambda c: -c.score)
        return hits[:want]

    @contextmanager
    def _search_settings(self, want: int) -> Iterator[None]:
        """HNSW settings for one search: look at enough neighbours for `want` (pgvector's
        default of 40 gave recall@10 0.91 at 100k memories; 4x `want`, at least 100, gave
        0.996 in bench/postgres.py), and keep scanning the index until `want` rows pass the filter (iterative scan)."""
        with self.transaction():
            self._run("SELECT set_config('hnsw.ef_search', %s, true)", [str(min(max(4 * want, 100), 1000))])
            self._run("SELECT set_config('hnsw.iterative_scan', 'strict_order', true)")
            yield

    def keyword_candidates(self, query: str, tree: Filter | None, want: int) -> list[Candidate]:
        from ..search import keyword_words

        words = keyword_words(query)
        if not words or not self.exists():
            return []
        where, params = to_pg_sql(tree)
        tsquery = f"to_tsquery('{pg_schema.TS_CONFIG}', %s)"
        text = " | ".join("'" + w.replace("'", "''").replace("\\", "\\\\") + "'" for w in words)
        hits: list[Candidate] = []
        for kind, (table, key) in TABLES.items():
            rows = self._all(
                f"SELECT {key}, -ts_rank_cd(tsv, q) AS score FROM {table}, {tsquery} AS q "
                f"WHERE tsv @@ q AND ({where}) ORDER BY score, {key} LIMIT %s",
                [text, *params, want],
            )
            hits += [Candidate(k, kind, float(s)) for k, s in rows]
        hits.sort(key=lambda c: c.score)
        return hits[:want]

    def nearest_facts(self, vector: Vector, scope: Scope, limit: int) -> list[tuple[str, float]]:
        if not self.exists() or self.get_meta("dimensions") is None:
            return []
        q = vector_text(vector)
        with self._search_settings(limit):
            rows = self._all(
                "SELECT id, 1 - (embedding <=> %s::vector) FROM memories WHERE embedding IS NOT NULL "
                "AND kind = 'fact' AND user_id IS NOT DISTINCT FROM %s AND agent_id IS NOT DISTINCT FROM %s "
                "AND run_id IS NOT DISTINCT FROM %s ORDER BY embedding <=> %s::vector LIMIT %s",
                [q, scope.get("user_id"), scope.get("agent_id"), scope.get("run_id"), q, limit],
            )
        return [(k, float(s)) for k, s in rows]

    def similarities(self, vector: Vector, keys: Sequence[str], tree: Filter | None) -> dict[str, float]:
        out: dict[str, float] = {}
        if not self.exists() or self.get_meta("dimensions") is None:
            return out
        where, params = to_pg_sql(tree)
        for table, key in TABLES.values():
            for k, s in self._all(
                f"SELECT {key}, 1 - (embedding <=> %s::vector) FROM {table} "
                f"WHERE {key} = ANY(%s) AND embedding IS NOT NULL AND ({where})",
                [vector_text(vector), list(keys), *params],
            ):
                out[k] = float(s)
        return out

    def newest_said_at(self, tree: Filter | None) -> str | None:
        if not self.exists():
            return None
        where, params = to_pg_sql(tree)
        return self._one(
            f"SELECT max(s) FROM (SELECT max(said_at) AS s FROM memories WHERE {where} "
            f"UNION ALL SELECT max(said_at) FROM messages WHERE {where}) t",
            [*params, *params],
        )

def vector_text(vector: Vector) -> str:
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"
