"""Ranking search results: fuse vector and keyword hits, share scores between
neighbouring turns and between facts and their sources, weigh freshness,
confirmations, supersession, named periods and named speakers. Pure functions, no stores.

Score of a result (documented in the README):
  fused   = vector_weight / (k + vector_rank) + keyword_weight / (k + keyword_rank)
            + graph_weight / (k + graph_rank)
            (reciprocal-rank fusion, k = rrf_k; a list the item is not in adds nothing; the
            graph's list is that of `graph.search`, when the search blends the graph in)
  lifted  = fused + the best fused score among the fact's source turns (for a fact),
            or among the facts drawn from the turn (for a turn)
  context = max over the k-th turn before (k = 1 .. context_turns) of
            context_weight^k x max(0, lifted of that turn - lifted of the turn)
            (for a fact, that of its source turn): a reply inherits relevance from what
            it replies to, and less from the turns before that ("They loved the dinosaurs"
            answers "What were they stoked about?", which follows "I took the kids to the
            museum"), since an answer often shares no word with its question
  score   = (lifted + context) / best_possible_fused x boosts
  boosts  = (1 + freshness_weight x 2^(-age_days / half_life))
            x (1 + confirmation_weight x log2(confirmations))
            x superseded_factor (for a superseded memory)
            x (1 + time_weight) (when the query names a period the memory was said in)
            x (1 + speaker_weight) (when the query names the person who said it; the
            vector and keyword lists were searched without that name: `search.QueryVectors`)
1.0 is what an item ranked first by both vector and keyword search scores before context, lifts and boosts.
The ten (`limit`) best are shown, one per turn (`select`); for a list question ("What activities
does ...?", `asks_for_many`) blended with the graph, the last 3 of 10 places go to the graph's
best hits not shown yet (`with_graph_places`): the graph adds instances a question's words do not
name, without pushing out the first seven.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from .dates import MONTHS, parse_when
from .stopwords import STOP_WORDS


@dataclass(frozen=True)
class RankSettings:
    """Weights of the ranker; the CLI exposes them as options."""

    vector_weight: float = 1.0
    keyword_weight: float = 1.0
    rrf_k: int = 10
    context_weight: float = 0.5
    # how many turns back a reply inherits from, the k-th at context_weight^k (3 lifts
    # multi-hop evidence and answers with the extractor on bench/longmem.py; 1 was the old rule)
    context_turns: int = 3
    # the speakers a query names are left out of its vector and keyword searches, so who
    # said it is weighed here alone (1.0-2.0 measure alike on bench/longmem.py)
    speaker_weight: float = 1.5
    freshness_weight: float = 0.1
    half_life_days: float = 90.0
    confirmation_weight: float = 0.05
    superseded_factor: float = 0.5
    time_weight: float = 0.3
    # the graph only adds: of a list question's results, 3 of 10 places are kept for its best
    # hits (`with_graph_places`); a graph_weight above 0 also fuses its list by rank (0.15 lifts
    # multi-hop more but costs single-hop with the extractor: README, bench/longmem.py)
    graph_weight: float = 0.0
    graph_places: int = 3


@dataclass
class Scored:
    """One candidate result and the parts of its score."""

    key: str
    kind: str  # "fact" or "message"
    similarity: float | None = None
    vector_rank: int | None = None
    keyword_rank: int | None = None
    bm25: float | None = None
    graph_rank: int | None = None
    graph_path: str | None = None
    fused: float = 0.0
    context: float = 0.0
    lift: float = 0.0
    boost: float = 1.0
    score: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)

    def explain(self) -> dict[str, float | int | None]:
        return {
            "similarity": _round(self.similarity), "vector_rank": self.vector_rank,
            "keyword_rank": self.keyword_rank, "bm25": _round(self.bm25),
            **({"graph_rank": self.graph_rank, "graph_path": self.graph_path} if self.graph_rank else {}),
            "fused": _round(self.fused), "context": _round(self.context), "lift": _round(self.lift),
            **{k: _round(v) for k, v in self.parts.items()}, "score": _round(self.score),
        }


def fuse(
    vector_hits: list[tuple[str, str, float]],
    keyword_hits: list[tuple[str, str, float]],
    settings: RankSettings,
) -> dict[str, Scored]:
    """Reciprocal-rank fusion of (key, kind, similarity) and (key, kind, bm25) lists, each best first."""
    out: dict[str, Scored] = {}
    for rank, (key, kind, sim) in enumerate(vector_hits, start=1):
        item = out.setdefault(key, Scored(key, kind))
        item.similarity, item.vector_rank = sim, rank
        item.fused += settings.vector_weight / (settings.rrf_k + rank)
    for rank, (key, kind, bm25) in enumerate(keyword_hits, start=1):
        item = out.setdefault(key, Scored(key, kind))
        item.keyword_rank, item.bm25 = rank, bm25
        item.fused += settings.keyword_weight / (settings.rrf_k + rank)
    return out


def fuse_graph(
    items: dict[str, Scored], graph_hits: list[tuple[str, str, float]], paths: dict[str, str], settings: RankSettings
) -> None:
    """Add the graph's list (key, kind, score; best first) to fused items, with the path that
    lifted each (its rank is kept with weight 0 too: a list question's places read it)."""
    for rank, (key, kind, _score) in enumerate(graph_hits, start=1):
        item = items.setdefault(key, Scored(key, kind))
        item.graph_rank, item.graph_path = rank, paths.get(key)
        item.fused += settings.graph_weight / (settings.rrf_k + rank)


def lift(items: dict[str, Scored], sources: dict[str, list[str]]) -> None:
    """A fact and its source turns each add the other's best fused score."""
    facts_of = _facts_of(items, sources)
    for item in items.values():
        related = sources.get(item.key, []) if item.kind == "fact" else facts_of.get(item.key, [])
        item.lift = max((items[r].fused for r in related if r in items), default=0.0)


def add_context(
    items: dict[str, Scored], sources: dict[str, list[str]], before: dict[str, str], weight: float, turns_back: int = 1
) -> None:
    """A reply inherits the relevance of what it replies to, and less of the turns before that.

    A turn and the facts drawn from it form one result; when the k-th turn before it
    (k <= `turns_back`) is a candidate too, the result gains `weight`^k x the amount by
    which that turn's result (its fused score plus its best fact's) exceeds its own; the
    largest gain counts. With weight <= 1 a result never passes a turn before it on
    context alone. `before` maps a turn's key to the key of the turn said just before it
    (`thread_before` follows it further back).
    """
    if not weight:
        return
    facts_of = _facts_of(items, sources)

    def unit(pk: str) -> float:
        own = items[pk].fused if pk in items else 0.0
        return own + max((items[f].fused for f in facts_of.get(pk, [])), default=0.0)

    turns = {k for k, item in items.items() if item.kind == "message"} | set(facts_of)
    gain = {}
    for pk in turns:
        own, prev, share = unit(pk), before.get(pk), weight
        for _ in range(turns_back):
            if prev is None:
                break
            if prev in items or prev in facts_of:
                gain[pk] = max(gain.get(pk, 0.0), share * max(0.0, unit(prev) - own))
            prev, share = before.get(prev), share * weight
    for item in items.values():
        turns_of = [item.key] if item.kind == "message" else sources.get(item.key, [])
        item.context = max((gain.get(t, 0.0) for t in turns_of), default=0.0)


def thread_before(previous_turns: Callable[[list[str]], dict[str, str]], pks: list[str], turns_back: int) -> dict[str, str]:
    """The turn before each of `pks`, and the one before that, `turns_back` deep, as one
    map from a turn to the turn said just before it (`previous_turns` reads one step)."""
    before: dict[str, str] = {}
    asked = pks
    for _ in range(turns_back):
        found = previous_turns(asked) if asked else {}
        before.update(found)
        asked = sorted(set(found.values()) - before.keys())
    return before


def _facts_of(items: dict[str, Scored], sources: dict[str, list[str]]) -> dict[str, list[str]]:
    """For each turn, the candidate facts drawn from it."""
    out: dict[str, list[str]] = {}
    for fact, pks in sources.items():
        if fact in items:
            for pk in pks:
                out.setdefault(pk, []).append(fact)
    return out


def boost(
    item: Scored,
    row: Any,
    settings: RankSettings,
    now: datetime,
    period: tuple[date, date] | None,
    speakers: frozenset[str] = frozenset(),
) -> None:
    """Apply freshness, confirmation, supersession, named-period and named-speaker boosts; set the score.

    `speakers` are the (lower-cased) speakers the query names.
    """
    best = (settings.vector_weight + settings.keyword_weight) / (settings.rrf_k + 1)
    parts: dict[str, float] = {}
    updated = _parse_time(getattr(row, "updated_at", None))
    if settings.freshness_weight and updated is not None:
        age_days = max((now - updated).total_seconds() / 86400.0, 0.0)
        parts["freshness"] = 1 + settings.freshness_weight * 2 ** (-age_days / settings.half_life_days)
    confirmations = int(getattr(row, "confirmations", None) or 1)
    if settings.confirmation_weight and confirmations > 1:
        parts["confirmations"] = 1 + settings.confirmation_weight * math.log2(confirmations)
    if getattr(row, "superseded_by", None):
        parts["superseded"] = settings.superseded_factor
    said = parse_when(getattr(row, "said_at", None))
    if period is not None and said is not None and period[0] <= said <= period[1]:
        parts["named_period"] = 1 + settings.time_weight
    speaker = getattr(row, "speaker", None) if item.kind == "fact" else getattr(row, "name", None)
    if speakers and settings.speaker_weight and speaker and speaker.lower() in speakers:
        parts["named_speaker"] = 1 + settings.speaker_weight
    item.parts = parts
    item.boost = math.prod(parts.values()) if parts else 1.0
    item.score = (item.fused + item.context + item.lift) / best * item.boost


_AUXILIARY = r"(?:do|does|did|has|have|had|is|are|was|were|can|could|will|would)"
#: "What activities does ...", "Which cities has ...", "What types of pottery ...": a noun
#: ending in -s between the question word and the verb (or "of"/"for").
_MANY = re.compile(
    rf"^\s*(?:what|which)\s+(?!{_AUXILIARY}\b)(?:[\w+/'-]+\s+){{0,2}}?([a-z]+s)\s+({_AUXILIARY}|of|for)\b", re.I
)
#: "How many dogs has Maria adopted?", "How many times has ...": counting needs every instance
#: (not a span of time: "How many weeks passed ...").
_COUNT = re.compile(r"^\s*how\s+many\s+(?!(?:seconds|minutes|hours|days|weeks|months|years)\b)[a-z]+\s", re.I)
#: "What are some changes ...", "What people has ...", "What children ...": plurals without -s
_SOME = re.compile(rf"^\s*(?:what|which)\s+(?:(?:are|were)\s+some\s+\w+|(?:people|children)\s+{_AUXILIARY})\b", re.I)
#: The simple past asks about one occasion ("What emotions did John feel at the party?").
_ONE_OCCASION = frozenset({"did", "was", "were", "had"})


#: "What has Melanie painted?", "Where have they camped?": the present perfect asks for all of it.
_ALL_SO_FAR = re.compile(r"^\s*(?:what|where)\s+(?:has|have)\s+(?:\S+\s+){1,3}?(?:\w+ed|been|done|made|seen|"
                         r"taken|gone|met|read|bought|had|won|given|written|grown|drawn|worn|sung|eaten)\b", re.I)


def asks_for_many(query: str) -> bool:
    """Whether a question asks for a list of things: a plural noun after what/which in
    the present or present perfect ("What activities does Melanie do?"; not "What class
    does ...", "What is ...", nor the one occasion of "What emotions did John feel at the
    party?"), what/where in the present perfect ("Where has Melanie camped?"), a count
    ("How many dogs has Maria adopted?", not a span of time) or "what are some ..."."""
    if _COUNT.match(query) or _SOME.match(query):
        return True
    found = _MANY.match(query)
    if found is not None and not found.group(1).lower().endswith(("ss", "us", "is")):
        return found.group(2).lower() not in _ONE_OCCASION
    return _ALL_SO_FAR.match(query) is not None


def with_graph_places(ranked: list[Scored], sources: dict[str, list[str]], limit: int, places: int) -> list[Scored]:
    """`ranked` with the graph's best `places` hits (one per turn) not among the first
    `limit - places` results moved up to just after them, so `select` keeps them."""
    if places <= 0 or limit <= places or not any(item.graph_rank for item in ranked):
        return ranked
    head = select(ranked, sources, limit - places)
    shown = {pk for item in head for pk in sources.get(item.key, [item.key])}
    fact_of = {pk: item for item in reversed(ranked) if item.kind == "fact" for pk in sources.get(item.key, [])}
    graph: list[Scored] = []
    for hit in sorted((i for i in ranked if i.graph_rank), key=lambda i: i.graph_rank or 0):
        item = fact_of.get(hit.key, hit)  # a turn gives way to its fact (`select`)
        turns = set(sources.get(item.key, [item.key]))
        if len(graph) >= places:
            break
        if not turns <= shown:
            graph.append(item)
            shown |= turns
    moved = {i.key for i in graph}
    rest = [i for i in ranked if i.key not in moved]
    at = rest.index(head[-1]) + 1 if head else 0
    return rest[:at] + graph + rest[at:]


def select(ranked: list[Scored], sources: dict[str, list[str]], limit: int) -> list[Scored]:
    """The top results, one per turn first: a fact stands for the turns it came from.

    A turn with a fact among the candidates gives way to that fact (which already
    carries the turn's score as its lift). A fact whose turns are all shown already
    (another fact of the same sentence, say) gets a place only when room is left after
    every other candidate, and is then listed in rank order.
    """
    turns_with_facts = {pk for item in ranked if item.kind == "fact" for pk in sources.get(item.key, [])}
    chosen: list[Scored] = []
    waiting: list[Scored] = []
    covered: set[str] = set()
    for item in ranked:
        if len(chosen) >= limit:
            break
        if item.kind == "message":
            if item.key in covered or item.key in turns_with_facts:
                continue
            covered.add(item.key)
        else:
            turns = sources.get(item.key, [])
            if turns and all(t in covered for t in turns):
                waiting.append(item)
                continue
            covered.update(turns)
        chosen.append(item)
    return sorted(chosen + waiting[: limit - len(chosen)], key=rank_order)


def rank_order(item: Scored) -> tuple[float, bool, str]:
    """Best first; a fact before a turn on equal scores; then by key, so ties are stable."""
    return (-item.score, item.kind != "fact", item.key)


def named_speakers(query: str, speakers: set[str]) -> frozenset[str]:
    """The speakers (lower-cased) whose names the query mentions as whole words."""
    low = query.lower()
    return frozenset(
        name.lower() for name in speakers
        if name and re.search(r"(?<!\w)" + re.escape(name.lower()) + r"(?!\w)", low)
    )


def without_names(query: str, names: frozenset[str]) -> str:
    """The query with the named speakers' names taken out (for keyword search).

    Every turn of a conversation carries its speaker's name, so a name says who
    spoke (the speaker boost), not what was said; as a keyword it would favour
    the turns that address that person by name.
    """
    for name in sorted(names, key=len, reverse=True):
        query = re.sub(r"(?<!\w)" + re.escape(name) + r"(?:'s)?(?!\w)", " ", query, flags=re.IGNORECASE)
    return query


def likely_names(query: str) -> frozenset[str]:
    """The words of a query that look like names (capitalised, not a question or function
    word, "'s" dropped), lower-cased: a guess at the speakers it names, made before search
    knows who speaks, so the query without them is embedded while the stores are read."""
    words = re.findall(r"(?<![\w'])([A-Z][\w-]*)(?:'s)?", query.replace("\u2019", "'"))
    return frozenset(w.lower() for w in words if w != "I" and w.lower() not in STOP_WORDS)


_PERIOD = re.compile(
    r"\b(?:(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?,?\s+)?(?P<year>(?:19|20)\d{2})\b"
    r"|\b(?P<rel>last|this|next)\s+(?P<unit>year|month)\b",
    re.I,
)


def named_period(query: str, newest: Callable[[], date | None]) -> tuple[date, date] | None:
    """The period a query names ("in May 2023", "2022", "last year"), or None.

    Relative periods count from `newest()`, the day of the newest memory searched (called only then).
    """
    match = _PERIOD.search(query)
    if not match:
        return None
    if match.group("year"):
        year = int(match.group("year"))
        month = match.group("month")
        if month:
            m = MONTHS[month.lower()]
            return date(year, m, 1), _month_end(year, m)
        return date(year, 1, 1), date(year, 12, 31)
    reference = newest()
    if reference is None:
        return None
    shift = {"last": -1, "this": 0, "next": 1}[match.group("rel").lower()]
    if match.group("unit").lower() == "year":
        year = reference.year + shift
        return date(year, 1, 1), date(year, 12, 31)
    total = reference.year * 12 + reference.month - 1 + shift
    year, month = divmod(total, 12)
    return date(year, month + 1, 1), _month_end(year, month + 1)


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
