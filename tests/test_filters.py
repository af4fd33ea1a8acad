"""Filters: parsing, errors, and agreement of to_sql / to_lance with matches() on real stores."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mem0cli.errors import FilterError, InputError
from mem0cli.filters import (
    COLUMNS,
    And,
    Cond,
    Not,
    Or,
    lance_prefilter,
    matches,
    parse_filter,
    scope_filter,
    to_lance,
    to_sql,
)

HOSTILE = [
    "' OR 1=1 --",
    "'; DROP TABLE memories; --",
    'say "hi"',
    "a\\b",
    "\\",
    "\\'",
    "line\nbreak",
    "tab\there",
    "É",
    "é",
    "名前",
    "🙂",
    "%_*",
    "",
    "x" * 100_000,
]
HOSTILE_KEYS = ['a"b', "a.b", "$x", "a[0]", "a\\b", "é", "名前", "' OR 1=1 --", "k" * 256, '"', "x\"]"]


def record(rid: int, metadata: dict[str, Any] | None = None, **columns: Any) -> dict[str, Any]:
    row: dict[str, Any] = {column: None for column in COLUMNS.values()}
    row.update(columns, id=str(rid), metadata=metadata or {})
    return row


ROWS = [
    record(1, {"room_id": "proj-42", "priority": 3, "done": True}, user_id="alice", kind="fact",
           created_at="2024-01-01T00:00:00Z"),
    record(2, {"room_id": "proj-7", "priority": 1.5, "done": False, "tags": ["a", "b"]}, user_id="bob",
           agent_id="helper", created_at="2024-06-01T12:00:00Z"),
    record(3, {"room_id": None, "priority": "3", "nested": {"a": 1}}, user_id="carol", run_id="r1"),
    record(4, {}, user_id=None, kind="FACT"),
    *[record(10 + i, {key: text for key in HOSTILE_KEYS}, user_id=text, kind=text)
      for i, text in enumerate(HOSTILE)],
]


def sqlite_ids(f: object, rows: list[dict[str, Any]] = ROWS) -> set[str]:
    """Ids that the compiled SQL selects from a real in-memory SQLite table."""
    db = sqlite3.connect(":memory:")
    cols = sorted(set(COLUMNS.values()))  # the stored column names (memory_type is the kind column)
    col_defs = ", ".join(f"{c} TEXT" for c in cols)
    db.execute(f"CREATE TABLE memories (id TEXT PRIMARY KEY, {col_defs}, metadata TEXT)")
    db.executemany(
        f"INSERT INTO memories VALUES ({', '.join('?' * (len(cols) + 2))})",
        [(r["id"], *(r[c] for c in cols), json.dumps(r["metadata"])) for r in rows],
    )
    sql, params = to_sql(parse_filter(f))
    return {rid for (rid,) in db.execute(f"SELECT id FROM memories WHERE {sql}", params)}


def python_ids(f: object, rows: list[dict[str, Any]] = ROWS) -> set[str]:
    parsed = parse_filter(f)
    return {r["id"] for r in rows if matches(parsed, r)}


# ---------------------------------------------------------------- parsing


def test_example_from_the_docs_parses_to_a_tree() -> None:
    f = parse_filter({"AND": [{"room_id": "proj-42"}, {"OR": [{"user_id": "alice"}, {"user_id": "bob"}]}]})
    users = Or((Cond("user_id", "eq", "alice"), Cond("user_id", "eq", "bob")))
    assert f == And((Cond("room_id", "eq", "proj-42"), users))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ({}, None),
        ("", None),
        ("null", None),
        ({"k": "v"}, Cond("k", "eq", "v")),
        ('{"k": "v"}', Cond("k", "eq", "v")),
        ({"k": "*"}, Cond("k", "ne", None)),
        ({"k": {"eq": "*"}}, Cond("k", "eq", "*")),
        ({"k": None}, Cond("k", "eq", None)),
        ({"a": 1, "b": True}, And((Cond("a", "eq", 1), Cond("b", "eq", True)))),
        ({"n": {"gte": 1, "lt": 5}}, And((Cond("n", "gte", 1), Cond("n", "lt", 5)))),
        ({"k": {"in": ["a", 1, None]}}, Cond("k", "in", ("a", 1, None))),
        ({"NOT": {"k": 1}}, Not(Cond("k", "eq", 1))),
        ({"NOT": [{"a": 1}, {"b": 2}]}, Not(And((Cond("a", "eq", 1), Cond("b", "eq", 2))))),
    ],
)
def test_parse(raw: object, expected: object) -> None:
    assert parse_filter(raw) == expected


def test_parse_passes_a_parsed_filter_through() -> None:
    f = Cond("k", "eq", 1)
    assert parse_filter(f) is f


def nested(depth: int) -> dict[str, Any]:
    f: dict[str, Any] = {"k": 1}
    for _ in range(depth - 1):
        f = {"NOT": f}
    return f


def test_depth_limit() -> None:
    assert parse_filter(nested(32)) is not None
    with pytest.raises(FilterError, match="deeper than 32"):
        parse_filter(nested(33))
    with pytest.raises(FilterError):
        parse_filter("[" * 100_000)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"k": {"$regex": ".*"}}, "unknown operator '\\$regex'"),
        ({"k": {"like": "a%"}}, "unknown operator 'like'"),
        ([{"k": 1}], "must be a JSON object, not a list"),
        ("[1]", "must be a JSON object"),
        ("{not json", "not valid JSON"),
        (42, "must be a JSON object"),
        ({"AND": []}, "AND with an empty list"),
        ({"OR": []}, "OR with an empty list"),
        ({"NOT": []}, "NOT with an empty list"),
        ({"AND": {"k": 1}}, "AND takes a list"),
        ({"AND": [["k", 1]]}, "expected a filter object, got a list"),
        ({"AND": [{}]}, "empty filter object"),
        ({"NOT": "x"}, "expected a filter object"),
        ({"and": [{"k": 1}]}, "unknown logical operator 'and'"),
        ({"$or": [{"k": 1}]}, "unknown logical operator"),
        ({1: "x"}, "keys must be strings"),
        ({"": "x"}, "1 to 256 characters"),
        ({"k" * 257: "x"}, "1 to 256 characters"),
        ({"k": ["a", "b"]}, "not a list \\(use in for a list\\)"),
        ({"k": {}}, "no operator"),
        ({"k": {"eq": {"a": 1}}}, "not an object"),
        ({"k": {"in": "abc"}}, "needs a non-empty list"),
        ({"k": {"in": []}}, "needs a non-empty list"),
        ({"k": {"nin": [["a"]]}}, "not a list"),
        ({"k": {"in": list(range(1001))}}, "more than 1000"),
        ({"k": {"contains": 3}}, "needs a string"),
        ({"k": {"gt": None}}, "not null"),
        ({"k": float("nan")}, "finite"),
        ('{"k": Infinity}', "finite"),
        ({"k": 2**64}, "64-bit"),
        ({"k": "a\0b"}, "NUL"),
        ({"k\0": "a"}, "NUL"),
        ({"k": "\ud800"}, "not valid Unicode"),
        ({"k": b"bytes"}, "not a bytes"),
    ],
)
def test_bad_filters_raise_one_line_errors(raw: object, message: str) -> None:
    with pytest.raises(FilterError, match=message) as info:
        parse_filter(raw)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, InputError)


def test_scope_filter() -> None:
    assert scope_filter() is None
    assert scope_filter(user_id="alice") == Cond("user_id", "eq", "alice")
    assert scope_filter(user_id="a", run_id="r", filters={"k": 1}) == And(
        (Cond("user_id", "eq", "a"), Cond("run_id", "eq", "r"), Cond("k", "eq", 1))
    )
    assert scope_filter(filters='{"k": 1}') == Cond("k", "eq", 1)
    with pytest.raises(FilterError, match="user_id must be a non-empty string"):
        scope_filter(user_id="")
    with pytest.raises(FilterError, match="agent_id"):
        scope_filter(agent_id=3)  # type: ignore[arg-type]


# ---------------------------------------------------------------- semantics


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        ({"AND": [{"room_id": "proj-42"}, {"OR": [{"user_id": "alice"}, {"user_id": "bob"}]}]}, {"1"}),
        ({"room_id": "*"}, {"1", "2"}),
        ({"room_id": None}, {"3", "4", *(str(10 + i) for i in range(len(HOSTILE)))}),
        ({"room_id": {"ne": "proj-42"}}, {r["id"] for r in ROWS} - {"1"}),  # absent keys included
        ({"room_id": {"nin": ["proj-42", "proj-7"]}}, {r["id"] for r in ROWS} - {"1", "2"}),
        ({"priority": {"gt": 2}}, {"1"}),  # the string "3" is not a number
        ({"priority": {"lt": 2}}, {"2"}),
        ({"priority": "3"}, {"3"}),
        ({"done": True}, {"1"}),
        ({"done": 1}, {"1"}),  # JSON true is 1, as in SQLite
        ({"done": {"lte": 0}}, {"2"}),
        ({"tags": "*"}, {"2"}),  # lists are present, but equal nothing
        ({"tags": {"contains": "a"}}, set()),
        ({"memory_type": {"icontains": "fact"}}, {"1", "4"}),
        ({"memory_type": {"contains": "fact"}}, {"1"}),
        ({"user_id": {"icontains": "é"}}, {"19"}),  # ASCII folding only: not "É" (row 18)
        ({"created_at": {"gte": "2024-03-01"}}, {"2"}),
        ({"user_id": 1}, set()),
        ({"NOT": {"user_id": "*"}}, {"4"}),
    ],
)
def test_matches_and_sql_agree_on_examples(f: dict[str, Any], expected: set[str]) -> None:
    assert python_ids(f) == expected
    assert sqlite_ids(f) == expected


def test_icontains_folds_ascii_only() -> None:
    f = parse_filter({"k": {"icontains": "É"}})
    assert matches(f, record(1, {"k": "xÉy"}))
    assert not matches(f, record(1, {"k": "xéy"}))
    assert matches(parse_filter({"k": {"icontains": "ABC"}}), record(1, {"k": "xabcx"}))


def test_metadata_may_be_json_text() -> None:
    assert matches(parse_filter({"k": 1}), {"metadata": '{"k": 1}'})
    assert matches(parse_filter({"k": None}), {"metadata": None})


# ---------------------------------------------------------------- SQL injection


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_values_are_parameters(text: str) -> None:
    for op in ("eq", "ne", "gt", "lte", "contains", "icontains"):
        f = {"user_id": {op: text}}
        sql, params = to_sql(parse_filter(f))
        assert sql == to_sql(parse_filter({"user_id": {op: "v"}}))[0] and text in params
        assert sqlite_ids(f) == python_ids(f)
    hit = {r["id"] for r in ROWS if r["user_id"] == text}
    assert sqlite_ids({"user_id": text}) == hit and len(hit) == 1


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_keys_are_parameters(key: str) -> None:
    f = {key: {"in": HOSTILE[:3]}}
    sql, params = to_sql(parse_filter(f))
    assert sql == to_sql(parse_filter({"plain": {"in": HOSTILE[:3]}}))[0] and key in params
    assert sqlite_ids(f) == python_ids(f) == {"10", "11", "12"}
    assert sqlite_ids({key: "*"}) == python_ids({key: "*"}) == {str(10 + i) for i in range(len(HOSTILE))}


def test_to_sql_of_nothing_and_table_prefix() -> None:
    assert to_sql(None) == ("1", [])
    sql, params = to_sql(parse_filter({"user_id": "a", "k": 1}), table="m")
    assert '"m"."user_id"' in sql and '"m"."metadata"' in sql and params == ["a", "k", 1]
    with pytest.raises(ValueError):
        to_sql(Cond("k", "eq", 1), table="m; DROP")


# ---------------------------------------------------------------- property test

KEYS = ["user_id", "memory_type", "kind", "said_at", "k", 'a"b', "é"]
TEXTS = ["a", "A", "b", "ab", "", "é", "É", "' OR 1=1 --", "a\\b"]
# Numbers are few and exact in binary: SQLite's own text-to-double conversion is not
# always correctly rounded, and that is not what this test is about.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([-1, 0, 1, 2, 0.5, 1.0]),
    st.sampled_from(TEXTS),
    st.text(max_size=3).filter(lambda s: "\0" not in s),
)
json_values = st.one_of(
    scalars, st.lists(scalars, max_size=2), st.dictionaries(st.sampled_from(KEYS), scalars, max_size=1)
)


def conditions() -> st.SearchStrategy[dict[str, Any]]:
    op_value = st.one_of(
        st.tuples(st.sampled_from(["eq", "ne"]), scalars),
        st.tuples(st.sampled_from(["gt", "gte", "lt", "lte"]), scalars.filter(lambda v: v is not None)),
        st.tuples(st.sampled_from(["in", "nin"]), st.lists(scalars, min_size=1, max_size=3)),
        st.tuples(st.sampled_from(["contains", "icontains"]), st.sampled_from(TEXTS)),
    )
    bare = st.builds(lambda k, v: {k: v}, st.sampled_from(KEYS), st.one_of(scalars, st.just("*")))
    full = st.builds(lambda k, ov: {k: {ov[0]: ov[1]}}, st.sampled_from(KEYS), op_value)
    return st.one_of(bare, full)


filters = st.recursive(
    conditions(),
    lambda children: st.one_of(
        st.builds(lambda cs: {"AND": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda cs: {"OR": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda c: {"NOT": c}, children),
    ),
    max_leaves=8,
)
column_values = st.one_of(st.none(), st.sampled_from(TEXTS))
rows = st.lists(
    st.builds(
        lambda i, u, k, s, m: record(i, m, user_id=u, kind=k, said_at=s),
        st.integers(), column_values, column_values, column_values,
        st.dictionaries(st.sampled_from(KEYS), json_values, max_size=4),
    ),
    min_size=1, max_size=6, unique_by=lambda r: r["id"],
)


@settings(max_examples=400, deadline=None)
@given(f=filters, rows=rows)
def test_sql_agrees_with_matches(f: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    assert sqlite_ids(f, rows) == python_ids(f, rows)
    assert parse_filter(json.dumps(f)) == parse_filter(f)


# ---------------------------------------------------------------- LanceDB


@pytest.fixture(scope="module")
def lance_table(tmp_path_factory: pytest.TempPathFactory) -> Any:
    lancedb = pytest.importorskip("lancedb")
    pa = pytest.importorskip("pyarrow")
    columns = ["id", "kind", "user_id", "agent_id", "run_id", "created_at", "updated_at", "said_at"]
    fields = [pa.field("vector", pa.list_(pa.float32(), 2))] + [pa.field(c, pa.string()) for c in columns]
    schema = pa.schema(fields)
    db = lancedb.connect(tmp_path_factory.mktemp("lance"))
    data = [{"vector": [0.0, 1.0], **{c: r.get(c) for c in columns}} for r in LANCE_ROWS]
    return db.create_table("memories", data=data, schema=schema)


LANCE_ROWS = [
    *ROWS,
    *[record(100 + i, {"k": t}, user_id=u, kind=k, said_at=s)
      for i, (t, u, k, s) in enumerate(zip(TEXTS, TEXTS, reversed(TEXTS), [None, *TEXTS]))],
]


def lance_ids(table: Any, f: object) -> set[str] | None:
    pred = to_lance(parse_filter(f))
    if pred is None:
        return None
    return {r["id"] for r in table.search().where(pred).limit(len(LANCE_ROWS) + 1).to_list()}


@pytest.mark.parametrize("text", [*HOSTILE, "a", "é"])
def test_lance_column_filters_are_exact_for_hostile_strings(lance_table: Any, text: str) -> None:
    for f in (
        {"user_id": text},
        {"user_id": {"ne": text}},
        {"memory_type": {"in": [text, "fact", None]}},
        {"memory_type": {"nin": [text, "fact"]}},
        {"said_at": {"gt": text}},
        {"user_id": {"lte": text}},
        {"memory_type": {"contains": text}},
        {"NOT": {"OR": [{"user_id": text}, {"memory_type": None}]}},
    ):
        assert lance_ids(lance_table, f) == python_ids(f, LANCE_ROWS), f


@pytest.mark.parametrize(
    ("f", "pred"),
    [
        ({"room_id": "x"}, None),
        ({"OR": [{"user_id": "a"}, {"room_id": "x"}]}, None),
        ({"NOT": {"AND": [{"user_id": "a"}, {"room_id": "x"}]}}, None),
        ({"user_id": 3}, None),
        ({"memory_type": {"icontains": "a"}}, None),
        ({"AND": [{"user_id": "a"}, {"room_id": "x"}]}, "(user_id IS NOT NULL AND user_id = 'a')"),
        ({"user_id": "it's"}, "(user_id IS NOT NULL AND user_id = 'it''s')"),
        ({"user_id": {"ne": "a"}}, "NOT ((user_id IS NOT NULL AND user_id = 'a'))"),
        ({"user_id": None}, "user_id IS NULL"),
    ],
)
def test_lance_predicates(f: dict[str, Any], pred: str | None) -> None:
    assert to_lance(parse_filter(f)) == pred
    assert to_lance(None) is None


@settings(max_examples=200, deadline=None)
@given(f=filters)
def test_lance_is_a_superset_of_matches(lance_table: Any, f: dict[str, Any]) -> None:
    got = lance_ids(lance_table, f)
    if got is not None:
        assert got >= python_ids(f, LANCE_ROWS)


@settings(max_examples=200, deadline=None)
@given(f=filters)
def test_a_prefilter_said_to_be_exact_selects_exactly_the_filters_rows(lance_table: Any, f: dict[str, Any]) -> None:
    predicate, exact = lance_prefilter(parse_filter(f))
    if exact:
        assert lance_ids(lance_table, f) == python_ids(f, LANCE_ROWS), predicate


def test_lance_prefilter_on_a_vector_search(lance_table: Any) -> None:
    f = {"AND": [{"user_id": "' OR 1=1 --"}, {"room_id": "x"}]}
    hits = lance_table.search([0.0, 1.0]).where(to_lance(parse_filter(f)), prefilter=True).limit(50).to_list()
    assert {h["id"] for h in hits} == {r["id"] for r in LANCE_ROWS if r["user_id"] == "' OR 1=1 --"}
