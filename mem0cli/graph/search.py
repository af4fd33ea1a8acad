"""The graph's ranked list for a query: entities the query names (or their aliases) pull
in the facts and turns behind their relations, one and two hops away.

Score of a memory or turn (documented in the README):
  graph = sum over the entities the query names of
          max over the relations it is a source of, reached from that entity, of
          decay^(hops - 1) / log2(2 + relations of the entity)
A rare entity says more than one named in every fact (a speaker); memories linked to
several named entities rise above those linked to one. The list is fused with the
vector and keyword lists by reciprocal rank (`ranking.fuse`).

A hub (an entity in more than THROUGH_MAX relations: the speaker of every fact) reaches
everything, so it is no seed for a walk; but the rest of the query often names what
is asked about it ("Where has Melanie camped?", "What books has Melanie read?"). Its
relations whose relation or object words share a stem with the query's other content
words count as one hop from it, each weighed by how rare its matched stems are among
the hub's relations:
  match = STATED_WEIGHT x sum over the matched stems of 1 / log2(2 + the hub's relations with that stem)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from ..lexicon import singular
from ..stopwords import STOP_WORDS
from ..store.graph_tables import EntityRow, GraphTables, RelationRow
from .parse import base_verb, entity_key

#: How much a second hop counts against a first.
HOP_DECAY = 0.5
#: A walk's second hop goes only through entities with at most this many relations; an
#: entity with more (the speaker of every fact) is a hub: what only a hub reaches is left out.
THROUGH_MAX = 40
#: What a hub's relation matched by the query's words counts for, against a walk's first hop
#: from an entity with no other relation (1.0): the match names what is asked, where a
#: walk from a common noun the query names ("art", "family") reaches all it touches.
STATED_WEIGHT = 2.0
_QUESTION_WORDS = STOP_WORDS | frozenset("ever like likely would kind sort".split())


@dataclass
class GraphHits:
    """The graph's list: (key, kind, score) best first, and the path that lifted each key."""

    hits: list[tuple[str, str, float]] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)
    entities: list[EntityRow] = field(default_factory=list)


#: (key, seed) -> (weight, the relations of the path that lifted the key)
_Best = dict[tuple[str, str], tuple[float, list[RelationRow]]]


def query_keys(query: str) -> list[str]:
    """The names a query may mean: its runs of 1-4 words (not all stop words), a possessive
    as written and without its "'s", and "her kids" read as "<each name in the query>'s kids"."""
    words = re.findall(r"[\w][\w'\u2019&.-]*", query.replace("\u2019", "'"))
    words = [w.rstrip(".'") for w in words]
    low = [w.lower() for w in words]
    keys: list[str] = []
    for size in range(1, 5):
        for i in range(len(low) - size + 1):
            gram = low[i : i + size]
            if all(g in _QUESTION_WORDS or g.isdigit() for g in gram):
                continue
            keys.append(" ".join(gram))
            if gram[-1].endswith("'s"):
                keys.append(" ".join([*gram[:-1], gram[-1][:-2]]))
    names = [w for i, w in enumerate(words) if w[:1].isupper() and (i > 0 or low[i] not in _QUESTION_WORDS)]
    names = [re.sub(r"'s$", "", n) for n in names]
    for i, w in enumerate(low):
        if w in {"her", "his", "their"} and i + 1 < len(low):
            for size in (1, 2):
                tail = low[i + 1 : i + 1 + size]
                if len(tail) == size:
                    keys += [f"{n.lower()}'s {' '.join(tail)}" for n in names]
    return [entity_key(k) for k in dict.fromkeys(keys)]


def graph_hits(
    tables: GraphTables, query: str, scope: Mapping[str, str | None], *, depth: int = 2, want: int = 100
) -> GraphHits:
    """The graph's ranked list for `query` in `scope` (see the module docstring)."""
    named = tables.entities_named(query_keys(query), scope)
    seeds = {e.id: e for found in named.values() for e in found}
    seed_degree = tables.degrees(list(seeds))
    hubs = {i: e for i, e in seeds.items() if seed_degree[i] > THROUGH_MAX}
    seeds = {i: e for i, e in seeds.items() if i not in hubs}  # what a hub reaches says little
    best: _Best = {}
    kinds: dict[str, str] = {}
    if seeds:
        _walk(tables, seeds, seed_degree, depth, best, kinds)
    if hubs:
        hub_names = [n for key, found in named.items() for e in found if e.id in hubs for n in (key, e.name)]
        asked = predicate_stems(query, hub_names)
        _stated(tables, hubs, asked, best, kinds)
    if not best:
        return GraphHits(entities=list(seeds.values()))
    scores: dict[str, float] = {}
    paths: dict[str, tuple[float, list[RelationRow]]] = {}
    for (key, _seed), (weight, path) in best.items():
        scores[key] = scores.get(key, 0.0) + weight
        if key not in paths or paths[key][0] < weight:
            paths[key] = (weight, path)
    ranked = sorted(scores, key=lambda k: (-scores[k], k))[:want]
    # names only for the paths shown
    names = tables.entities(sorted({e for k in ranked for r in paths[k][1] for e in (r.subject_id, r.object_id)}))
    return GraphHits(
        hits=[(k, kinds[k], scores[k]) for k in ranked],
        paths={k: " ; ".join(_describe(r, names) for r in paths[k][1]) for k in ranked},
        entities=list(seeds.values()),
    )


def _walk(
    tables: GraphTables, seeds: Mapping[str, EntityRow], seed_degree: Mapping[str, int], depth: int,
    best: _Best, kinds: dict[str, str],
) -> None:
    """The memories behind the relations within `depth` hops of the (non-hub) seeds."""
    relations = tables.neighbourhood(list(seeds), depth, through_max=THROUGH_MAX)
    # a hub's relations are not read past the one reaching it: its degree says it is one
    middles = {e for r in relations if r.hops == 1 for e in (r.subject_id, r.object_id)} - set(seeds)
    hubs = {e for e, n in tables.degrees(sorted(middles)).items() if n > THROUGH_MAX}
    reach = _reach(seeds, relations, hubs)
    for r in relations:
        for seed, (hops, path) in reach.get(r.id, {}).items():
            weight = HOP_DECAY ** (hops - 1) / math.log2(2 + seed_degree.get(seed, 0))
            _credit(best, kinds, r, seed, weight, path)


def _stated(
    tables: GraphTables, hubs: Mapping[str, EntityRow], asked: set[str],
    best: _Best, kinds: dict[str, str],
) -> None:
    """The memories behind the hubs' relations whose words share a stem with `asked`."""
    if not asked:
        return
    def shared(relation: str, object_name: str) -> set[str]:
        return asked & (text_stems(relation) | text_stems(object_name))

    matched = [(r, shared(r.relation, name)) for r, name in tables.stated_by(list(hubs), lambda *rn: bool(shared(*rn)))]
    spread: dict[tuple[str, str], int] = {}  # (hub, stem) -> the hub's relations with that stem
    for relation, common in matched:
        for stem in common:
            spread[(relation.subject_id, stem)] = spread.get((relation.subject_id, stem), 0) + 1
    for relation, common in matched:
        hub = relation.subject_id
        rarity = sum(1 / math.log2(2 + spread[(hub, stem)]) for stem in common)
        _credit(best, kinds, relation, hub, STATED_WEIGHT * rarity, [relation])


def _credit(
    best: _Best, kinds: dict[str, str], relation: RelationRow, seed: str, weight: float, path: list[RelationRow]
) -> None:
    """The relation's facts and turns reached from `seed` with `weight` (the best kept)."""
    for memory_id, pk in relation.sources:
        for key, kind in ((memory_id, "fact"), (pk, "message")):
            if not key:
                continue
            kinds[key] = kind
            if key_seed_weight(best, key, seed) < weight:
                best[(key, seed)] = (weight, path)


def predicate_stems(query: str, names: list[str]) -> set[str]:
    """The stems of what a query asks besides the entities it names: its content words,
    question words and the words of `names` left out ("Where has Melanie camped?" -> camp)."""
    return set(text_stems(query)) - {s for name in names for s in text_stems(name)}


@lru_cache(maxsize=65536)
def text_stems(text: str) -> frozenset[str]:
    """The stems of the content words of `text` (see `stem`); a relation's are read again
    by every search naming its subject, hence the cache."""
    return frozenset(stem(w) for w in re.findall(r"[\w'-]+", text.replace("\u2019", "'").lower())
                     if len(w) > 2 and w not in _QUESTION_WORDS)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A word's stem by English inflection, for matching: possessive and hyphens dropped,
    the verb's base form, the noun's singular ("camped", "camping" -> "camp";
    "de-stress" -> "destress"; "books" -> "book")."""
    word = re.sub(r"'s?$", "", word.lower()).replace("-", "").replace("'", "")
    return singular(base_verb(word)) if len(word) > 3 else word


def key_seed_weight(best: Mapping[tuple[str, str], tuple[float, list[RelationRow]]], key: str, seed: str) -> float:
    """The best weight found so far for a memory reached from a seed (0 when none)."""
    found = best.get((key, seed))
    return found[0] if found else 0.0


def _reach(
    seeds: Mapping[str, EntityRow], relations: list[RelationRow], hubs: set[str]
) -> dict[str, dict[str, tuple[int, list[RelationRow]]]]:
    """For each relation, the seeds it is reached from: (hops, the relations of the path);
    a path goes on through no hub."""
    touching: dict[str, list[RelationRow]] = {}
    for r in relations:
        touching.setdefault(r.subject_id, []).append(r)
        touching.setdefault(r.object_id, []).append(r)
    out: dict[str, dict[str, tuple[int, list[RelationRow]]]] = {}
    for seed in seeds:
        for r in touching.get(seed, []):
            out.setdefault(r.id, {})[seed] = (1, [r])
        for first in touching.get(seed, []):
            middle = first.object_id if first.subject_id == seed else first.subject_id
            if middle in seeds or middle in hubs:
                continue
            for second in touching.get(middle, []):
                if second.id != first.id and seed not in out.get(second.id, {}):
                    out.setdefault(second.id, {})[seed] = (2, [first, second])
    return out


def _describe(r: RelationRow, names: Mapping[str, EntityRow]) -> str:
    subject = names[r.subject_id].name if r.subject_id in names else r.subject_id
    obj = names[r.object_id].name if r.object_id in names else r.object_id
    closed = f" (until {r.valid_until[:10]})" if r.valid_until else ""
    return f"{subject} -{r.relation}-> {obj}{closed}"
