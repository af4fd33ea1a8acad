"""The graph's tables, written once for SQLite and PostgreSQL: entities, their aliases,
relations and the facts and turns each relation came from.

Both backends run the same SQL (`?` placeholders become `%s` for psycopg); each store's
migrations call `create_statements()`, and its `graph` property binds a `GraphTables`
to its connection, so graph writes join the store's transaction. Traversal is a
recursive CTE over relations, both directions, scoped in SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SCOPE = ("user_id", "agent_id", "run_id")
#: The deepest traversal asked of the store (the CLI refuses more: exit 2).
MAX_DEPTH = 3


@dataclass
class EntityRow:
    id: str
    name: str
    kind: str
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    aliases: list[str] = field(default_factory=list)


@dataclass
class RelationRow:
    id: str
    subject_id: str
    relation: str
    object_id: str
    slot: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    hops: int = 1  # distance from the entity a traversal started at
    sources: list[tuple[str, str]] = field(default_factory=list)  # (memory id, turn pk or "")


def create_statements() -> list[str]:
    """The DDL of the graph tables (valid on both backends)."""
    scope = "user_id TEXT, agent_id TEXT, run_id TEXT"
    return [
        f"CREATE TABLE graph_entities (id TEXT PRIMARY KEY, {scope}, name TEXT NOT NULL, kind TEXT NOT NULL)",
        "CREATE INDEX graph_entities_scope ON graph_entities (user_id, agent_id, run_id)",
        """CREATE TABLE graph_aliases (entity_id TEXT NOT NULL, alias_key TEXT NOT NULL, alias TEXT NOT NULL,
            PRIMARY KEY (entity_id, alias_key))""",
        "CREATE INDEX graph_aliases_key ON graph_aliases (alias_key)",
        f"""CREATE TABLE graph_relations (id TEXT PRIMARY KEY, {scope}, subject_id TEXT NOT NULL,
            relation TEXT NOT NULL, object_id TEXT NOT NULL, slot TEXT, valid_from TEXT, valid_until TEXT)""",
        "CREATE INDEX graph_relations_subject ON graph_relations (subject_id)",
        "CREATE INDEX graph_relations_object ON graph_relations (object_id)",
        """CREATE TABLE graph_relation_sources (relation_id TEXT NOT NULL, memory_id TEXT NOT NULL,
            message_pk TEXT NOT NULL DEFAULT '', PRIMARY KEY (relation_id, memory_id, message_pk))""",
        "CREATE INDEX graph_relation_sources_memory ON graph_relation_sources (memory_id)",
    ]


_RELATION_COLUMNS = "r.id, r.subject_id, r.relation, r.object_id, r.slot, r.valid_from, r.valid_until, " \
    "r.user_id, r.agent_id, r.run_id"


class GraphTables:
    """Graph reads and writes on one connection (`execute(sql, params)` returns a cursor)."""

    def __init__(self, execute: Callable[[str, Sequence[Any]], Any], *, paramstyle: str = "qmark") -> None:
        self._execute = execute
        self._format = paramstyle == "format"

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._execute(sql.replace("?", "%s") if self._format else sql, list(params))

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return list(self._run(sql, params).fetchall())

    @staticmethod
    def _scope_sql(scope: Mapping[str, str | None], alias: str, exact: bool) -> tuple[str, list[Any]]:
        """`exact`: each of the three fields equal (NULL too); otherwise only those given."""
        parts, params = [], []
        for key in SCOPE:
            value = scope.get(key)
            if exact or value is not None:
                parts.append(f"{alias}.{key} IS NOT DISTINCT FROM ?")
                params.append(value)
        return " AND ".join(parts) or "1=1", params

    # -- writes ---------------------------------------------------------------------
    def insert_entity(self, entity: EntityRow) -> None:
        self._run(
            "INSERT INTO graph_entities (id, user_id, agent_id, run_id, name, kind) VALUES (?, ?, ?, ?, ?, ?)",
            [entity.id, entity.user_id, entity.agent_id, entity.run_id, entity.name, entity.kind],
        )
        for alias in entity.aliases:
            self.add_alias(entity.id, alias)

    def add_alias(self, entity_id: str, alias: str) -> None:
        from ..graph.parse import entity_key

        self._run(
            "INSERT INTO graph_aliases (entity_id, alias_key, alias) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [entity_id, entity_key(alias), alias],
        )

    def rename(self, entity_id: str, name: str) -> None:
        self._run("UPDATE graph_entities SET name = ? WHERE id = ?", [name, entity_id])

    def set_kind(self, entity_id: str, kind: str) -> None:
        self._run("UPDATE graph_entities SET kind = ? WHERE id = ?", [kind, entity_id])

    def insert_relation(self, relation: RelationRow) -> None:
        self._run(
            "INSERT INTO graph_relations (id, user_id, agent_id, run_id, subject_id, relation, object_id, slot, "
            "valid_from, valid_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [relation.id, relation.user_id, relation.agent_id, relation.run_id, relation.subject_id,
             relation.relation, relation.object_id, relation.slot, relation.valid_from, relation.valid_until],
        )
        for memory_id, pk in relation.sources:
            self.add_source(relation.id, memory_id, pk)

    def close_relation(self, relation_id: str, valid_until: str | None) -> None:
        self._run("UPDATE graph_relations SET valid_until = ? WHERE id = ?", [valid_until or "", relation_id])

    def add_source(self, relation_id: str, memory_id: str, pk: str = "") -> None:
        self._run(
            "INSERT INTO graph_relation_sources (relation_id, memory_id, message_pk) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [relation_id, memory_id, pk or ""],
        )

    def drop_sources(self, memory_ids: Sequence[str]) -> None:
        """The memories no longer support any relation (their text changed); `prune` next."""
        for memory_id in memory_ids:
            self._run("DELETE FROM graph_relation_sources WHERE memory_id = ?", [memory_id])

    def prune(self) -> tuple[int, int]:
        """Drop the sources whose memory is gone, the relations left with no source and the
        entities left with no relation; returns (relations, entities) removed."""
        self._run("DELETE FROM graph_relation_sources WHERE memory_id NOT IN (SELECT id FROM memories)")
        # a turn erased while its memory stays: the relation keeps the memory as its source
        self._run(
            "INSERT INTO graph_relation_sources (relation_id, memory_id, message_pk) "
            "SELECT relation_id, memory_id, '' FROM graph_relation_sources "
            "WHERE message_pk <> '' AND message_pk NOT IN (SELECT pk FROM messages) ON CONFLICT DO NOTHING"
        )
        self._run(
            "DELETE FROM graph_relation_sources WHERE message_pk <> '' AND message_pk NOT IN (SELECT pk FROM messages)"
        )
        gone = self._all(
            "SELECT id FROM graph_relations WHERE id NOT IN (SELECT relation_id FROM graph_relation_sources)"
        )
        self._run("DELETE FROM graph_relations WHERE id NOT IN (SELECT relation_id FROM graph_relation_sources)")
        orphans = self._all(
            "SELECT id FROM graph_entities WHERE id NOT IN (SELECT subject_id FROM graph_relations) "
            "AND id NOT IN (SELECT object_id FROM graph_relations)"
        )
        self._run(
            "DELETE FROM graph_aliases WHERE entity_id NOT IN (SELECT subject_id FROM graph_relations) "
            "AND entity_id NOT IN (SELECT object_id FROM graph_relations)"
        )
        self._run(
            "DELETE FROM graph_entities WHERE id NOT IN (SELECT subject_id FROM graph_relations) "
            "AND id NOT IN (SELECT object_id FROM graph_relations)"
        )
        return len(gone), len(orphans)

    def clear(self) -> None:
        for table in ("graph_relation_sources", "graph_relations", "graph_aliases", "graph_entities"):
            self._run(f"DELETE FROM {table}")

    # -- reads ----------------------------------------------------------------------
    def entities_named(
        self, keys: Iterable[str], scope: Mapping[str, str | None], *, exact: bool = False
    ) -> dict[str, list[EntityRow]]:
        """Entities of the scope by each alias key they answer to."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return {}
        where, params = self._scope_sql(scope, "e", exact)
        rows = self._all(
            # CROSS JOIN: the aliases first (SQLite would otherwise walk the scope's every entity)
            "SELECT a.alias_key, e.id, e.name, e.kind, e.user_id, e.agent_id, e.run_id FROM graph_aliases a "
            f"CROSS JOIN graph_entities e WHERE e.id = a.entity_id AND a.alias_key IN ({', '.join('?' * len(keys))}) "
            f"AND {where} ORDER BY e.id",
            [*keys, *params],
        )
        out: dict[str, list[EntityRow]] = {}
        for key, *entity in rows:
            out.setdefault(key, []).append(EntityRow(*entity))
        return out

    def entities(self, ids: Sequence[str]) -> dict[str, EntityRow]:
        """Entities by id, with their aliases."""
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        found = {
            r[0]: EntityRow(*r)
            for r in self._all(
                f"SELECT id, name, kind, user_id, agent_id, run_id FROM graph_entities WHERE id IN ({marks})", ids
            )
        }
        for entity_id, alias in self._all(
            f"SELECT entity_id, alias FROM graph_aliases WHERE entity_id IN ({marks}) ORDER BY alias_key", ids
        ):
            found[entity_id].aliases.append(alias)
        return found

    def all_entities(self, scope: Mapping[str, str | None] | None = None) -> list[EntityRow]:
        where, params = self._scope_sql(scope or {}, "e", False)
        ids = [r[0] for r in self._all(f"SELECT e.id FROM graph_entities e WHERE {where} ORDER BY e.name, e.id", params)]
        found = self.entities(ids)
        return [found[i] for i in ids]

    def open_relations(self, subject_id: str, slot: str) -> list[RelationRow]:
        """The subject's relations in `slot` not closed yet."""
        return self._relations(
            "r.subject_id = ? AND r.slot = ? AND (r.valid_until IS NULL)", [subject_id, slot]
        )

    def same_relation(self, subject_id: str, relation: str, object_id: str) -> RelationRow | None:
        found = self._relations(
            "r.subject_id = ? AND r.relation = ? AND r.object_id = ? AND r.valid_until IS NULL",
            [subject_id, relation, object_id],
        )
        return found[0] if found else None

    def all_relations(self, scope: Mapping[str, str | None] | None = None) -> list[RelationRow]:
        where, params = self._scope_sql(scope or {}, "r", False)
        return self._with_sources(self._relations(where, params))

    def _relations(self, where: str, params: Sequence[Any]) -> list[RelationRow]:
        return [
            RelationRow(*row)
            for row in self._all(f"SELECT {_RELATION_COLUMNS} FROM graph_relations r WHERE {where} ORDER BY r.id", params)
        ]

    def _with_sources(self, relations: list[RelationRow]) -> list[RelationRow]:
        sources = self.sources([r.id for r in relations])
        for r in relations:
            r.sources = sources.get(r.id, [])
        return relations

    def sources(self, relation_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for start in range(0, len(relation_ids), 500):
            chunk = list(relation_ids[start : start + 500])
            for rid, memory_id, pk in self._all(
                "SELECT relation_id, memory_id, message_pk FROM graph_relation_sources "
                f"WHERE relation_id IN ({', '.join('?' * len(chunk))}) ORDER BY memory_id, message_pk",
                chunk,
            ):
                out.setdefault(rid, []).append((memory_id, pk))
        return out

    def neighbourhood(self, entity_ids: Sequence[str], depth: int, through_max: int | None = None) -> list[RelationRow]:
        """The relations within `depth` hops of the entities (either direction), each with
        the fewest hops it is reached in (1: touches a start entity) and its sources.
        `through_max`: a walk goes on only through entities with at most that many
        relations (a hub, such as the speaker of every fact, would reach everything), and
        a hub's relations beyond the one that reaches it are not read."""
        if not entity_ids or depth < 1:
            return []
        marks = ", ".join("?" * len(entity_ids))
        limit = [] if through_max is None else [through_max]

        def opened(alias: str) -> str:
            """Whether the entity at `alias` (entity_id, hops) is a start or no hub: its relations are read."""
            if through_max is None:
                return "1=1"
            return (
                f"({alias}.hops = 0 OR (SELECT count(*) FROM graph_relations x WHERE x.subject_id = {alias}.entity_id "
                f"OR x.object_id = {alias}.entity_id) <= ?)"
            )

        rows = self._all(
            f"""WITH RECURSIVE walk(entity_id, hops) AS (
                SELECT id, 0 FROM graph_entities WHERE id IN ({marks})
                UNION
                SELECT CASE WHEN r.subject_id = w.entity_id THEN r.object_id ELSE r.subject_id END, w.hops + 1
                FROM walk w JOIN graph_relations r ON r.subject_id = w.entity_id OR r.object_id = w.entity_id
                WHERE w.hops < ? - 1 AND {opened("w")}
            ), near AS (SELECT n.entity_id, n.hops FROM
                (SELECT entity_id, min(hops) AS hops FROM walk GROUP BY entity_id) n WHERE {opened("n")})
            SELECT {_RELATION_COLUMNS}, n.hops + 1 FROM near n CROSS JOIN graph_relations r
            WHERE r.subject_id = n.entity_id
            UNION ALL
            SELECT {_RELATION_COLUMNS}, n.hops + 1 FROM near n CROSS JOIN graph_relations r
            WHERE r.object_id = n.entity_id""",
            [*entity_ids, depth, *limit, *limit],
        )
        fewest: dict[str, RelationRow] = {}  # a relation between two near entities: its fewest hops
        for row in rows:
            relation = RelationRow(*row)
            if relation.id not in fewest or relation.hops < fewest[relation.id].hops:
                fewest[relation.id] = relation
        ordered = sorted(fewest.values(), key=lambda r: (r.hops, r.id))
        return self._with_sources(ordered)

    def stated_by(
        self, entity_ids: Sequence[str], keep: Callable[[str, str], bool] | None = None
    ) -> list[tuple[RelationRow, str]]:
        """The relations whose subject is one of the entities, each with its object's name
        and its sources; `keep(relation, object name)` chooses among them before the rest
        of their columns and their sources are read (a speaker has hundreds)."""
        if not entity_ids:
            return []
        names = {
            rid: name for rid, relation, name in self._all(
                "SELECT r.id, r.relation, o.name FROM graph_relations r JOIN graph_entities o ON o.id = r.object_id "
                f"WHERE r.subject_id IN ({', '.join('?' * len(entity_ids))})",
                list(entity_ids),
            ) if keep is None or keep(relation, name)
        }
        if not names:
            return []
        found = self._with_sources(self._relations(f"r.id IN ({', '.join('?' * len(names))})", list(names)))
        return [(r, names[r.id]) for r in found]

    def degrees(self, entity_ids: Sequence[str]) -> dict[str, int]:
        """How many relations each entity takes part in."""
        if not entity_ids:
            return {}
        marks = ", ".join("?" * len(entity_ids))
        rows = self._all(
            f"SELECT e, count(*) FROM (SELECT subject_id AS e FROM graph_relations WHERE subject_id IN ({marks}) "
            f"UNION ALL SELECT object_id FROM graph_relations WHERE object_id IN ({marks})) AS ends GROUP BY e",
            [*entity_ids, *entity_ids],
        )
        return {entity_id: 0 for entity_id in entity_ids} | {e: n for e, n in rows}

    def counts(self) -> dict[str, int]:
        return {
            "entities": self._all("SELECT count(*) FROM graph_entities")[0][0],
            "relations": self._all("SELECT count(*) FROM graph_relations")[0][0],
        }

    def problems(self) -> list[str]:
        """What `doctor` reports: sources naming a missing memory, relations naming a
        missing entity, relations with no source, entities with no relation."""
        checks = {
            "graph relation sources name a deleted memory":
                "SELECT count(*) FROM graph_relation_sources WHERE memory_id NOT IN (SELECT id FROM memories)",
            "graph relations name a missing entity":
                "SELECT count(*) FROM graph_relations WHERE subject_id NOT IN (SELECT id FROM graph_entities) "
                "OR object_id NOT IN (SELECT id FROM graph_entities)",
            "graph relations have no source":
                "SELECT count(*) FROM graph_relations WHERE id NOT IN (SELECT relation_id FROM graph_relation_sources)",
            "graph entities have no relation":
                "SELECT count(*) FROM graph_entities WHERE id NOT IN (SELECT subject_id FROM graph_relations) "
                "AND id NOT IN (SELECT object_id FROM graph_relations)",
        }
        out = []
        for text, sql in checks.items():
            n = self._all(sql)[0][0]
            if n:
                out.append(f"{n} {text}")
        return out
