"""Checks on an extracted fact against what its scope already holds: a duplicate, a contradiction, or new.

- Exact duplicate: the same normalised text (hash) and the same metadata in the same scope.
- Near duplicate: cosine >= NEAR_DUPLICATE_COSINE with a current fact of the scope that
  has the same metadata. A fact with other metadata (another room, another category) is
  never a duplicate: it is stored as its own memory, so no metadata value is dropped.
- Contradiction: cosine >= SUPERSEDE_COSINE and the same single-valued slot
  (`conflicts.contradicts`), e.g. a new city for where someone lives.
- Correction: a fact that says which value it corrects ("Tuesday, not Monday")
  supersedes a near fact (cosine >= SUPERSEDE_COSINE) holding the wrong value,
  before the near-duplicate test, which would otherwise swallow it.

Messages stored with `infer=False` are not checked here: each is stored as given.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from . import conflicts
from .config import NEAR_DUPLICATE_COSINE, SUPERSEDE_COSINE
from .items import metadata_key
from .store.base import Store
from .store.records import MemoryRecord

SCOPE_KEYS = ("user_id", "agent_id", "run_id")


def fact_hash(text: str) -> str:
    """The hash of a fact's normalised text: case, spacing and a final full stop do not matter."""
    normal = re.sub(r"\s+", " ", text.strip().lower()).rstrip(".!")
    return hashlib.md5(normal.encode("utf-8")).hexdigest()


@dataclass
class Verdict:
    """ADD (new), NONE (`same` already holds it: `match` says how) or UPDATE (it supersedes `older`)."""

    event: str
    same: MemoryRecord | None = None
    older: MemoryRecord | None = None
    match: str | None = None


class FactChecker:
    """Classifies the facts of one `add` call, remembering those written earlier in the call."""

    def __init__(self, store: Store, supersede: bool) -> None:
        self.store = store
        self.supersede = supersede
        self.batch: list[tuple[str, list[float]]] = []  # (id, vector) written in this call
        self.store_has_facts = store.has_facts()

    def check(
        self, text: str, vector: list[float], scope: dict[str, str | None], metadata: dict[str, Any],
        *, corrects: str | None = None,
    ) -> Verdict:
        wanted = metadata_key(metadata)
        for row in self.store.find_by_hash(fact_hash(text), scope):
            if metadata_key(row.metadata) == wanted:
                return Verdict("NONE", same=row, match="same text")
        neighbours = self._neighbours(vector, scope)
        if corrects:
            wrong = re.compile(rf"\b{re.escape(corrects)}\b", re.I)
            for row, cos in neighbours:
                if cos >= SUPERSEDE_COSINE and wrong.search(row.memory) and not wrong.search(text):
                    return Verdict("UPDATE", older=row) if self.supersede else Verdict("ADD")
        for row, cos in neighbours:
            if cos >= NEAR_DUPLICATE_COSINE and metadata_key(row.metadata) == wanted:
                return Verdict("NONE", same=row, match=f"near duplicate (cosine {cos:.3f})")
        if self.supersede:
            for row, cos in neighbours:
                if cos >= SUPERSEDE_COSINE and conflicts.contradicts(text, row.memory):
                    return Verdict("UPDATE", older=row)
        return Verdict("ADD")

    def remember(self, memory_id: str, vector: list[float]) -> None:
        """A fact written in this call, not yet in LanceDB, that later facts are checked against."""
        self.batch.append((memory_id, vector))

    def _neighbours(
        self, vector: list[float], scope: dict[str, str | None]
    ) -> list[tuple[MemoryRecord, float]]:
        """Current (not superseded) facts of the same scope nearest to `vector`, with cosine."""
        scored: list[tuple[str, float]] = []
        if self.store_has_facts:
            scored = self.store.nearest_facts(vector, scope, 8)
        scored += [(mid, sum(x * y for x, y in zip(vector, v))) for mid, v in self.batch]
        rows = self.store.rows([mid for mid, _ in scored])
        out = []
        for mid, cos in sorted(scored, key=lambda p: -p[1]):
            row = rows.get(mid)
            if row and row.superseded_by is None and all(getattr(row, k) == scope[k] for k in SCOPE_KEYS):
                out.append((row, cos))
        return out
