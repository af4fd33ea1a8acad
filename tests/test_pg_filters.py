"""The filter tree compiled to PostgreSQL agrees with `matches` (and so with SQLite) on a
real server, for the same hostile keys and values as the SQLite tests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings

from mem0cli.filters import COLUMNS, Cond, parse_filter
from mem0cli.store.pg_filters import to_pg_sql
from tests.pg import new_database
from tests.test_filters import HOSTILE, HOSTILE_KEYS, ROWS, filters, python_ids, rows

EXAMPLES = [
    ({"AND": [{"room_id": "proj-42"}, {"OR": [{"user_id": "alice"}, {"user_id": "bob"}]}]}, {"1"}),
    ({"room_id": "*"}, {"1", "2"}),
    ({"room_id": {"ne": "proj-42"}}, {r["id"] for r in ROWS} - {"1"}),
    ({"priority": {"gt": 2}}, {"1"}),  # the string "3" is not a number
    ({"priority": {"lt": 2}}, {"2"}),
    ({"priority": "3"}, {"3"}),
    ({"done": True}, {"1"}),
    ({"done": 1}, {"1"}),
    ({"done": {"lte": 0}}, {"2"}),
    ({"tags": "*"}, {"2"}),
    ({"tags": {"contains": "a"}}, set()),
    ({"memory_type": {"icontains": "fact"}}, {"1", "4"}),
    ({"user_id": {"icontains": "é"}}, {"19"}),  # ASCII folding only
    ({"created_at": {"gte": "2024-03-01"}}, {"2"}),
    ({"user_id": 1}, set()),
    ({"NOT": {"user_id": "*"}}, {"4"}),
]


@pytest.fixture(scope="module")
def conn(pg_server):
    import psycopg

    with new_database(pg_server) as url, psycopg.connect(url) as connection:
        yield connection


def pg_ids(conn: Any, f: object, table_rows: list[dict[str, Any]] = ROWS) -> set[str]:
    """Ids that the compiled SQL selects from a real table, rolled back afterwards."""
    cols = sorted(set(COLUMNS.values()))
    try:
        conn.execute(f"CREATE TEMP TABLE memories (id text, {', '.join(f'{c} text' for c in cols)}, metadata jsonb)")
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO memories VALUES ({', '.join(['%s'] * (len(cols) + 2))})",
                [(r["id"], *(r[c] for c in cols), json.dumps(r["metadata"])) for r in table_rows],
            )
        sql, params = to_pg_sql(parse_filter(f))
        return {rid for (rid,) in conn.execute(f"SELECT id FROM memories WHERE {sql}", params)}
    finally:
        conn.rollback()


@pytest.mark.parametrize(("f", "expected"), EXAMPLES)
def test_postgres_agrees_with_matches_on_examples(conn, f: dict[str, Any], expected: set[str]) -> None:
    assert python_ids(f) == expected
    assert pg_ids(conn, f) == expected


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_values_are_parameters(conn, text: str) -> None:
    for op in ("eq", "ne", "gt", "lte", "contains", "icontains"):
        f = {"user_id": {op: text}}
        sql, params = to_pg_sql(parse_filter(f))
        assert sql == to_pg_sql(parse_filter({"user_id": {op: "v"}}))[0] and text in params
        assert pg_ids(conn, f) == python_ids(f)
        g = {"room_id": {op: text}}
        assert pg_ids(conn, g) == python_ids(g)
    hit = {r["id"] for r in ROWS if r["user_id"] == text}
    assert pg_ids(conn, {"user_id": text}) == hit and len(hit) == 1


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_keys_are_parameters(conn, key: str) -> None:
    f = {key: {"in": HOSTILE[:3]}}
    sql, params = to_pg_sql(parse_filter(f))
    assert sql == to_pg_sql(parse_filter({"plain": {"in": HOSTILE[:3]}}))[0] and key in params
    assert pg_ids(conn, f) == python_ids(f) == {"10", "11", "12"}
    assert pg_ids(conn, {key: "*"}) == python_ids({key: "*"}) == {str(10 + i) for i in range(len(HOSTILE))}


def test_no_filter_and_table_prefix() -> None:
    assert to_pg_sql(None) == ("TRUE", [])
    sql, params = to_pg_sql(parse_filter({"user_id": "a", "k": 1}), table="m")
    assert '"m"."user_id"' in sql and '"m"."metadata"' in sql and params == ["a", "k", 1]
    with pytest.raises(ValueError):
        to_pg_sql(Cond("k", "eq", 1), table="m; DROP")


@settings(max_examples=200, deadline=None)
@given(f=filters, rows=rows)
def test_postgres_agrees_with_matches(conn, f: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    assert pg_ids(conn, f, rows) == python_ids(f, rows)
