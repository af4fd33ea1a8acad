"""Stored facts into the graph: mentions resolved to the scope's entities, relations
added or confirmed, and a relation that holds one object at a time closed by a later one.

Resolution: a mention is the entity of its scope that answers to its name or one of
its aliases (case-insensitive); "my sister Ana" gives Ana the alias "Caroline's sister",
so a later "Caroline's sister" is Ana too. The speaker is a person entity.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..store.base import Store
from ..store.graph_tables import EntityRow, GraphTables, RelationRow
from .parse import Mention, Triple, entity_key, parse_fact
from .shown import photos, shown_triples

#: A more telling type wins over "name" (a proper name not typed yet) and "thing".
_KIND_RANK = {"name": 0, "thing": 1}


@dataclass(frozen=True)
class StoredFact:
    """A fact as `add` stored it: what the graph is drawn from."""

    memory_id: str
    text: str
    speaker: str | None
    said_at: str | None
    source_pks: tuple[str, ...] = ()
    turn_texts: tuple[str, ...] = ()  # of the source turns: the photos they share are drawn too


class GraphBuilder:
    """Writes the relations of stored facts into one scope's graph (inside the store's transaction)."""

    def __init__(self, tables: GraphTables, scope: Mapping[str, str | None]) -> None:
        self.tables = tables
        self.scope = {k: scope.get(k) for k in ("user_id", "agent_id", "run_id")}
        self._known: dict[str, EntityRow] = {}

    def add(self, facts: Sequence[StoredFact]) -> int:
        """Draw and store the relations of `facts`; returns how many relations were written or confirmed."""
        written = 0
        for fact in facts:
            shared = " ".join(p for t in fact.turn_texts for p in photos(t) if p not in fact.text)
            for triple in [*parse_fact(fact.text, fact.speaker), *shown_triples(f"{shared} {fact.text}", fact.speaker)]:
                self._add_triple(triple, fact)
                written += 1
        return written

    def _add_triple(self, triple: Triple, fact: StoredFact) -> None:
        subject = self.resolve(triple.subject)
        obj = self.resolve(triple.object)
        if subject.id == obj.id:  # "X's name is Y": an alias, not a relation
            return
        sources = [(fact.memory_id, pk) for pk in fact.source_pks] or [(fact.memory_id, "")]
        same = self.tables.same_relation(subject.id, triple.relation, obj.id)
        if same is not None:
            for memory_id, pk in sources:
                self.tables.add_source(same.id, memory_id, pk)
            return
        if triple.slot:
            for older in self.tables.open_relations(subject.id, triple.slot):
                if older.object_id != obj.id and (older.valid_from or "") <= (fact.said_at or "\uffff"):
                    self.tables.close_relation(older.id, fact.said_at)
        self.tables.insert_relation(RelationRow(
            id=str(uuid.uuid4()), subject_id=subject.id, relation=triple.relation, object_id=obj.id,
            slot=triple.slot, valid_from=fact.said_at, sources=sources, **self.scope,
        ))

    def resolve(self, mention: Mention) -> EntityRow:
        """The scope's entity for a mention (made when there is none); its aliases added."""
        keys = [mention.key, *(entity_key(a) for a in mention.aliases)]
        entity = next((self._known[k] for k in keys if k in self._known), None)
        if entity is None:
            found = self.tables.entities_named(keys, self.scope, exact=True)
            entity = next((found[k][0] for k in keys if k in found), None)
        if entity is None:
            entity = EntityRow(id=str(uuid.uuid4()), name=mention.name, kind=mention.kind, **self.scope)
            self.tables.insert_entity(entity)
            self.tables.add_alias(entity.id, mention.name)
        else:
            if _KIND_RANK.get(entity.kind, 2) < _KIND_RANK.get(mention.kind, 2):
                self.tables.set_kind(entity.id, mention.kind)
                entity.kind = mention.kind
            if "'s " in entity.name and "'s " not in mention.name and mention.name[:1].isupper():
                # "User's brother" learns his name: "User's brother is Declan"
                self.tables.rename(entity.id, mention.name)
                entity.name = mention.name
        for alias in (mention.name, *mention.aliases):
            if entity_key(alias) not in self._known:
                self.tables.add_alias(entity.id, alias)
        for key in keys:
            self._known[key] = entity
        return entity


def rebuild(store: Store) -> int:
    """Draw the whole graph again from the stored facts (import, `doctor --repair`,
    `reextract`): cleared, then each scope's memories in the order they were said, so a
    later relation closes an earlier one as it did when they were added. Inside the
    caller's transaction; returns the relations written or confirmed."""
    store.graph.clear()
    memories = store.select(None, oldest_first=True)
    sources = store.source_pks([m.id for m in memories])
    turns = store.turns(sorted({pk for pks in sources.values() for pk in pks}))
    by_scope: dict[tuple[str | None, str | None, str | None], list[StoredFact]] = {}
    for m in sorted(memories, key=lambda m: (m.said_at or m.created_at or "", m.created_at or "")):
        by_scope.setdefault((m.user_id, m.agent_id, m.run_id), []).append(
            StoredFact(m.id, m.memory, m.speaker, m.said_at, tuple(sources.get(m.id, [])),
                       tuple(turns[pk].content for pk in sources.get(m.id, []) if pk in turns))
        )
    written = 0
    for (user_id, agent_id, run_id), facts in by_scope.items():
        scope = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
        written += GraphBuilder(store.graph, scope).add(facts)
    return written
