"""What `mem0cli graph` shows: an entity's relations (or a scope's whole graph) as plain
data, and that data as Graphviz DOT."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import EntityNotFoundError, InputError
from ..store.graph_tables import MAX_DEPTH, EntityRow, GraphTables, RelationRow
from .parse import entity_key


def graph_view(
    tables: GraphTables, entity: str | None, scope: Mapping[str, str | None], depth: int = 1
) -> dict[str, Any]:
    """{"entities": [...], "relations": [...]}: the relations within `depth` hops of the
    entity named `entity` (a name or alias), or every relation of the scope when None.

    EntityNotFoundError (exit 1) for a name no entity of the scope answers to; InputError
    (exit 2) for a depth outside 1..MAX_DEPTH.
    """
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= MAX_DEPTH:
        raise InputError(f"depth must be between 1 and {MAX_DEPTH}, not {depth!r}")
    if entity is None:
        relations = tables.all_relations(scope)
        start: list[EntityRow] = []
    else:
        if not entity.strip():
            raise InputError("the entity name is empty")
        start = tables.entities_named([entity_key(entity)], scope).get(entity_key(entity), [])
        if not start:
            raise EntityNotFoundError(f"no entity named {entity!r}")
        relations = tables.neighbourhood([e.id for e in start], depth)
    ids = sorted({e for r in relations for e in (r.subject_id, r.object_id)} | {e.id for e in start})
    entities = tables.entities(ids)
    return {
        "entities": [_entity(entities[i]) for i in ids if i in entities],
        "relations": [_relation(r, entities) for r in relations],
        **({"start": [e.id for e in start]} if entity is not None else {}),
    }


def _entity(e: EntityRow) -> dict[str, Any]:
    return {"id": e.id, "name": e.name, "type": e.kind, "aliases": e.aliases,
            "user_id": e.user_id, "agent_id": e.agent_id, "run_id": e.run_id}


def _relation(r: RelationRow, entities: Mapping[str, EntityRow]) -> dict[str, Any]:
    return {
        "id": r.id, "subject": entities[r.subject_id].name, "relation": r.relation,
        "object": entities[r.object_id].name, "subject_id": r.subject_id, "object_id": r.object_id,
        "valid_from": r.valid_from, "valid_until": r.valid_until, "hops": r.hops,
        "sources": [{"memory_id": m, "turn_pk": pk or None} for m, pk in r.sources],
    }


def to_dot(view: Mapping[str, Any]) -> str:
    """The view as a Graphviz digraph: entities as nodes (labelled "name (type)"), relations
    as labelled edges, closed ones dashed with their end date."""
    def quote(text: str) -> str:
        return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'

    lines = ["digraph memory {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
    start = set(view.get("start") or [])
    for e in view["entities"]:
        bold = ", penwidth=2" if e["id"] in start else ""
        lines.append(f"  {quote(e['id'])} [label={quote(e['name'] + ' (' + e['type'] + ')')}{bold}];")
    for r in view["relations"]:
        label = r["relation"] + (f" (until {r['valid_until'][:10]})" if r["valid_until"] else "")
        style = ", style=dashed" if r["valid_until"] else ""
        lines.append(f"  {quote(r['subject_id'])} -> {quote(r['object_id'])} [label={quote(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
