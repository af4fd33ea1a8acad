"""Retrieval over both stores: vector hits from LanceDB, keyword hits from SQLite FTS5,
each narrowed by the exact filter, then ranked by `ranking`.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from . import filters as flt
from . import ranking
from .dates import format_day, parse_when
from .store.facts import FactStore

STOP_WORDS = frozenset(
    """a an the of to in on at for and or but is are was were be been being by with from as that
    this it its his her their our your my i you he she they we me him them us what which who whom
    when where why how did do does has have had not no yes so than then there here about into over
    after before up down out off again very can will just also too more most some any all each both
    few other such only own same""".split()
)


def search_text(text: str, said_at: str | None, speaker: str | None = None) -> str:
    """What search sees of a fact or turn: its day written out, the speaker, the text.

    "[8 May 2023] Caroline: I went to the support group yesterday"
    """
    day = parse_when(said_at)
    prefix = f"[{format_day(day)}] " if day else ""
    return f"{prefix}{speaker}: {text}" if speaker else f"{prefix}{text}"


def keyword_query(text: str) -> str | None:
    """An FTS5 query matching any content word of `text` (each quoted), or None."""
    words = []
    for word in re.findall(r"\w+", text.lower()):
        if word not in STOP_WORDS and word not in words:
            words.append(word)
    if not words:
        return None
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words[:64])


def vector_hits(
    facts: FactStore, vectors: Any, vector: list[float], tree: flt.Filter | None, want: int
) -> list[tuple[str, str, float]]:
    """(key, kind, cosine) of the nearest facts and turns that pass the exact filter."""
    where, params = flt.to_sql(tree)
    pre = flt.to_lance(tree)
    total = vectors.count()
    if total == 0:
        return []
    k = min(want, total)
    while True:
        hits = vectors.search(vector, pre, k)
        kept = _exact(facts, hits, where, params)
        if len(kept) >= want or len(hits) < k or k >= total:
            return kept
        k = min(k * 4, total)


def keyword_hits(
    facts: FactStore, query: str, tree: flt.Filter | None, want: int
) -> list[tuple[str, str, float]]:
    """(key, kind, bm25) of facts and turns matching the query's words, best first."""
    match = keyword_query(query)
    if match is None:
        return []
    where, params = flt.to_sql(tree)
    hits = [(k, "fact", s) for k, s in facts.keyword_search("memories", match, where, params, want)]
    hits += [(k, "message", s) for k, s in facts.keyword_search("messages", match, where, params, want)]
    hits.sort(key=lambda h: h[2])  # bm25: lower is better
    return hits[:want]


def _exact(
    facts: FactStore, hits: list[tuple[str, str, float]], where: str, params: list
) -> list[tuple[str, str, float]]:
    fact_ids = facts.ids_where(where, params, [h[0] for h in hits if h[1] == "fact"])
    message_ids = facts.message_ids_where(where, params, [h[0] for h in hits if h[1] == "message"])
    allowed = fact_ids | message_ids
    return [h for h in hits if h[0] in allowed]


def rank(
    facts: FactStore,
    vectors: Any,
    vector: list[float],
    query: str,
    tree: flt.Filter | None,
    limit: int,
    settings: ranking.RankSettings,
    threshold: float | None = None,
) -> tuple[list[ranking.Scored], dict[str, dict[str, Any]], dict[str, list[str]]]:
    """The ranked results, their rows (facts and turns by key), and each fact's source turns."""
    want = max(limit * 5, 50)
    by_vector = vector_hits(facts, vectors, vector, tree, want)
    by_keyword = keyword_hits(facts, query, tree, want)
    items = ranking.fuse(by_vector, by_keyword, settings)
    missing = [k for k, item in items.items() if item.similarity is None]
    if missing:
        for key, sim in vectors.similarities(vector, missing).items():
            items[key].similarity = sim
    fact_keys = [k for k, item in items.items() if item.kind == "fact"]
    message_keys = [k for k, item in items.items() if item.kind == "message"]
    rows: dict[str, dict[str, Any]] = {**facts.get_rows(fact_keys), **facts.get_messages(message_keys)}
    sources = facts.source_pks(fact_keys)
    ranking.lift(items, sources)
    now = datetime.now(timezone.utc)
    period = ranking.named_period(query, lambda: parse_when(facts.newest_said_at(*flt.to_sql(tree))))
    scored = []
    for key, item in items.items():
        row = rows.get(key)
        if row is None or (threshold is not None and (item.similarity or 0.0) < threshold):
            continue
        ranking.boost(item, row, settings, now, period)
        scored.append(item)
    scored.sort(key=lambda i: (-i.score, i.kind != "fact", i.key))
    return ranking.select(scored, sources, limit), rows, sources

