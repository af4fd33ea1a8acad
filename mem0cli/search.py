"""Retrieval: the store's vector and keyword candidates (each already narrowed by the
exact filter), fused and ranked by `ranking`; and the text search sees of a fact or turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from . import filters as flt
from . import ranking
from .dates import format_day, parse_when, resolve_dates
from .stopwords import STOP_WORDS

if TYPE_CHECKING:  # the CLI's client path renders snippets without loading the stores
    from .graph.search import GraphHits
    from .store.base import Store


#: How much of the previous turn a turn's indexed text carries.
CONTEXT_CHARS = 300
_MONTH_NAMES = "January|February|March|April|May|June|July|August|September|October|November|December"
#: The absolute dates `resolve_dates` writes: "7 May 2023", "May 2023", "summer 2022", "Q3 2024", "2022".
_WRITTEN_DATE = re.compile(
    rf"\b(?:\d{{1,2}} (?:{_MONTH_NAMES}) \d{{4}}|(?:{_MONTH_NAMES}|spring|summer|autumn|winter|Q[1-4]) \d{{4}}"
    r"|(?:19|20)\d{2})\b"
)


def search_text(
    text: str, said_at: str | None, speaker: str | None = None, context: str | None = None
) -> str:
    """What search sees of a fact or turn: its day written out, the speaker, the text with
    its relative dates resolved (`with_resolved_dates`), and for a turn the start of the
    turn before it (`context`, see `turn_texts`), since an answer often shares no word
    with its question.

    "[8 May 2023] Caroline: I went to the support group yesterday (7 May 2023)"
    """
    day = parse_when(said_at)
    prefix = f"[{format_day(day)}] " if day else ""
    text = with_resolved_dates(text, day)
    body = f"{prefix}{speaker}: {text}" if speaker else f"{prefix}{text}"
    context = (context or "").strip()
    if context:
        body += "\n" + (context if len(context) <= CONTEXT_CHARS else context[:CONTEXT_CHARS].rsplit(" ", 1)[0])
    return body


def with_resolved_dates(text: str, said_at: str | date | None) -> str:
    """`text` with the absolute dates of its relative ones after it, reckoned from the day
    it was said: "I went yesterday" said on 8 May 2023 -> "I went yesterday (7 May 2023)".
    Dates the text already names are not repeated; without a day the text is unchanged.
    """
    day = parse_when(said_at)
    if day is None:
        return text
    written = _WRITTEN_DATE.findall(resolve_dates(text, day))
    new = [d for d in dict.fromkeys(written) if d not in text]
    return f"{text} ({'; '.join(new)})" if new else text


def turn_texts(store: Store, pks: Sequence[str]) -> dict[str, str]:
    """The indexed text of stored turns, by pk: `search_text` with the start of the turn
    stored just before each one in its scope (`Store.previous_turns`) as context.

    Adding, repairing, importing and reindexing all index a turn with this text, so a
    store rebuilt from its rows searches like the store it was rebuilt from.
    """
    turns = store.turns(pks)
    before = store.previous_turns(list(turns))
    earlier = {**store.turns(sorted({p for p in before.values() if p not in turns})), **turns}
    texts = {}
    for pk, turn in turns.items():
        previous = earlier.get(before.get(pk, ""))
        context = previous.content if previous else None
        texts[pk] = search_text(turn.content, turn.said_at, turn.name or turn.role, context)
    return texts


def keyword_words(text: str) -> list[str]:
    """The content words of `text` that keyword search looks for (at most 64, lower case)."""
    words: list[str] = []
    for word in re.findall(r"\w+", text.lower()):
        if word not in STOP_WORDS and word not in words:
            words.append(word)
    return words[:64]


def keyword_query(text: str) -> str | None:
    """An FTS5 query matching any content word of `text` (each quoted), or None."""
    words = keyword_words(text)
    if not words:
        return None
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)


def candidates_wanted(limit: int) -> int:
    """How many hits of each kind of search are fused for `limit` results."""
    return max(limit * 10, 100)


class QueryVectors:
    """The vectors a query may be searched with, each embedded once, when first asked for.

    A query that names speakers is searched with the vector of the query without their
    names (`naming`): every turn carries its speaker's name and most facts start with it,
    so the name would pull in whatever that person said, or was told, where the rest of
    the query says what is asked. Who said it is the speaker boost's to weigh, as for
    keyword search (`ranking.without_names`).
    """

    def __init__(self, embed: Callable[[str], list[float]], query: str) -> None:
        self.embed, self.query = embed, query
        #: the speakers the query seems to name, before search knows who speaks in the scope
        self.guessed_names = ranking.likely_names(query)
        self._texts: dict[str, list[float]] = {}

    def _of(self, text: str) -> list[float]:
        if text not in self._texts:
            self._texts[text] = self.embed(text)
        return self._texts[text]

    def naming(self, speakers: frozenset[str]) -> list[float]:
        """The vector to search with when the query names `speakers` (lower-cased): the
        query's without their names, or the whole query's when nothing else is left."""
        rest = ranking.without_names(self.query, speakers) if speakers else ""
        return self._of(rest if keyword_words(rest) else self.query)

    def guessed(self) -> list[float]:
        """The vector for the speakers the query seems to name (`guessed_names`)."""
        return self.naming(self.guessed_names)


def rank(
    store: Store,
    vectors: QueryVectors,
    query: str,
    tree: flt.Filter | None,
    limit: int,
    settings: ranking.RankSettings,
    threshold: float | None = None,
    keyword_started: Future | None = None,
    graph: GraphHits | None = None,
) -> tuple[list[ranking.Scored], dict[str, Any], dict[str, list[str]]]:
    """The ranked results, their rows (facts and turns by key), and each fact's source turns.

    `keyword_started`: `Store.keyword_candidates` for the whole query, already running on
    another thread (used unless the query names a speaker, whose name is then left out).
    `graph`: the graph's list for the query (`graph.search.graph_hits`), fused as a third
    list; its memories and turns outside the filter are left out.
    `vectors`: the query's (`QueryVectors`): searched with the one for the speakers it seems
    to name (`ranking.likely_names`), again with the right one when the speakers among the
    nearest memories say the guess was wrong.
    """
    want = candidates_wanted(limit)
    vector = vectors.guessed()
    # the nearest `want` are fused; the wider net gives keyword-only hits their similarity
    # without a second vector query in most searches
    wide = store.vector_candidates(vector, tree, 3 * want)
    by_vector = wide[:want]

    def read_rows(keys: list[tuple[str, str]]) -> dict[str, Any]:
        fact_keys = [k for k, kind in keys if kind == "fact"]
        return {**store.rows(fact_keys), **store.turns([k for k, kind in keys if kind != "fact"])}

    # The speakers among the nearest memories are those a query can name; their names
    # go to the speaker boost instead of keyword search.
    rows = read_rows([(k, kind) for k, kind, _ in by_vector])
    named = ranking.named_speakers(
        query, {getattr(r, "speaker", None) or getattr(r, "name", None) or "" for r in rows.values()}
    )
    renamed = vectors.naming(named) if named != vectors.guessed_names else vector
    if renamed is not vector:  # the guess was wrong: search again
        vector = renamed
        wide = store.vector_candidates(vector, tree, 3 * want)
        by_vector = wide[:want]
        rows = read_rows([(k, kind) for k, kind, _ in by_vector])
    if named:
        if keyword_started is not None:
            keyword_started.cancel()  # the whole query's keywords are not wanted (if not begun)
        by_keyword = store.keyword_candidates(ranking.without_names(query, named), tree, want)
    elif keyword_started is not None:
        by_keyword = keyword_started.result()
    else:
        by_keyword = store.keyword_candidates(query, tree, want)
    items = ranking.fuse(by_vector, by_keyword, settings)
    known = {key: sim for key, _kind, sim in wide}
    # a list question keeps some of its places for the graph's best (3 of 10 by default)
    places = settings.graph_places * limit // 10 if ranking.asks_for_many(query) else 0
    if graph is not None and graph.hits and not (settings.graph_weight or places):
        # the graph adds nothing to this question: it only explains the results it reaches
        ranking.fuse_graph(items, [h for h in graph.hits if h[0] in items], graph.paths, settings)
    elif graph is not None and graph.hits:
        outside = [k for k, _kind, _s in graph.hits if k not in items and k not in known]
        passing = store.similarities(vector, outside, tree) if outside else {}
        known.update(passing)
        # equal graph scores in the order of the vector search
        nearness = {key: i for i, (key, _kind, _sim) in enumerate(wide)}
        hits = sorted(
            (h for h in graph.hits if h[0] in items or h[0] in known),
            key=lambda h: (-h[2], nearness.get(h[0], len(nearness))),
        )
        ranking.fuse_graph(items, hits, graph.paths, settings)

    def fill_similarities(chosen: list[ranking.Scored]) -> None:
        for item in chosen:
            if item.similarity is None:
                item.similarity = known.get(item.key)
        missing = [item.key for item in chosen if item.similarity is None]
        if missing:
            for key, sim in store.similarities(vector, missing, tree).items():
                items[key].similarity = sim

    if threshold is not None:  # otherwise only the results shown need their similarity
        fill_similarities(list(items.values()))
    rows.update(read_rows([(k, item.kind) for k, item in items.items() if k not in rows]))
    fact_keys = [k for k, item in items.items() if item.kind == "fact"]
    sources = store.source_pks(fact_keys)
    turn_keys = {k for k, item in items.items() if item.kind == "message"}
    turn_keys.update(pk for pks in sources.values() for pk in pks)
    # the turns stored just before each candidate turn (or fact's source), `context_turns` deep
    depth = settings.context_turns if settings.context_weight else 0
    before = ranking.thread_before(store.previous_turns, sorted(turn_keys), depth)
    ranking.lift(items, sources)
    ranking.add_context(items, sources, before, settings.context_weight, settings.context_turns)
    now = datetime.now(timezone.utc)
    period = ranking.named_period(query, lambda: parse_when(store.newest_said_at(tree)))
    scored = []
    for key, item in items.items():
        row = rows.get(key)
        if row is None or (threshold is not None and (item.similarity or 0.0) < threshold):
            continue
        ranking.boost(item, row, settings, now, period, named)
        scored.append(item)
    scored.sort(key=ranking.rank_order)
    chosen = ranking.select(ranking.with_graph_places(scored, sources, limit, places), sources, limit)
    fill_similarities(chosen)
    return chosen, rows, sources
