"""Search filters: a filter dict -> a typed tree -> SQLite / LanceDB predicates.

The language is Mem0's OSS search filters. A filter is a JSON object::

    {"AND": [{"room_id": "proj-42"}, {"OR": [{"user_id": "alice"}, {"user_id": "bob"}]}]}

Keys: ``user_id``, ``agent_id``, ``run_id``, ``memory_type`` (``fact`` or
``message``), ``created_at``, ``updated_at``, ``said_at`` and ``expires_at`` name fields that
mem0cli owns (the times are ISO 8601 strings and compare as strings); any other
key names a key of the memory's metadata, so ``{"kind": "ritual"}`` finds
metadata ``kind: ritual``. These field names are reserved: ``add`` refuses them
as metadata keys (`RESERVED_KEYS`), so a metadata value is never shadowed.

- ``{"AND": [f, ...]}``, ``{"OR": [f, ...]}``, ``{"NOT": f}`` (``{"NOT": [f, ...]}``
  is NOT of their AND); nested at most 32 deep.
- ``{"key": value}`` is ``eq``; ``{"key": "*"}`` means present and not null;
  ``{"key": {"op": value, ...}}`` with op one of ``eq ne gt gte lt lte in nin
  contains icontains``. Several keys in one object, or several operators for one
  key, are ANDed.
- Values are strings, numbers, booleans or null; ``in``/``nin`` take a non-empty
  list of them; ``contains``/``icontains`` take a string.

Semantics (``matches``, ``to_sql`` and ``to_lance`` agree on them):

- A missing key and a null value are the same: "absent". ``eq null`` is true
  when absent, ``ne null`` (and ``"*"``) when present.
- ``ne`` and ``nin`` are exactly NOT ``eq`` / NOT ``in``, so they are TRUE for an
  absent key (as in MongoDB): ``{"room": {"ne": "a"}}`` keeps memories without a room.
- Values compare only with values of the same type: strings with strings
  (code point order), numbers with numbers (a boolean is the number 1 or 0, as
  in SQLite's JSON). ``{"n": {"gt": 2}}`` is false for ``"n": "3"``. Lists and
  objects in metadata are present but equal nothing.
- ``contains`` is a substring test on strings; ``icontains`` folds ASCII case
  only (A-Z), as SQLite's ``lower()`` does: ``"É"`` does not match ``"é"``.
- Strings containing NUL are rejected (SQLite's JSON functions stop at NUL).
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union

from .errors import FilterError

Scalar = Union[str, int, float, bool, None]

#: Filter keys that name fields mem0cli owns -> their column (the fact/message field is
#: stored in the `kind` column of both tables and LanceDB).
COLUMNS = {
    "user_id": "user_id", "agent_id": "agent_id", "run_id": "run_id", "memory_type": "kind",
    "created_at": "created_at", "updated_at": "updated_at", "said_at": "said_at",
    "expires_at": "expires_at",
}  # fmt: skip
LOGICAL = ("AND", "OR", "NOT")
#: Names a caller cannot use as metadata keys: they would be shadowed by mem0cli's fields
#: (or read as logical operators) in a filter.
RESERVED_KEYS = frozenset(COLUMNS) | frozenset(LOGICAL)
SCOPE_KEYS = ("user_id", "agent_id", "run_id")
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "contains", "icontains")
MAX_DEPTH = 32
MAX_KEY_LENGTH = 256
MAX_LIST = 1000  # keeps a compiled query under SQLite's bound-parameter limit


@dataclass(frozen=True)
class Cond:
    """One comparison ``key op value``; value is a tuple for in/nin; ``"*"`` is ne None."""

    key: str
    op: str
    value: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class And:
    """All children hold."""

    children: tuple[Filter, ...]


@dataclass(frozen=True)
class Or:
    """At least one child holds."""

    children: tuple[Filter, ...]


@dataclass(frozen=True)
class Not:
    """The child does not hold."""

    child: Filter


Filter = Union[And, Or, Not, Cond]

# ---------------------------------------------------------------- parsing


def parse_filter(obj: object) -> Filter | None:
    """Parse a filter dict (or its JSON text); None and ``{}`` mean no filter.

    Raises FilterError, naming the problem, for anything outside the language.
    """
    if obj is None or isinstance(obj, (And, Or, Not, Cond)):
        return obj
    if isinstance(obj, str):
        if not obj.strip():
            return None
        try:
            obj = json.loads(obj)
        except json.JSONDecodeError as e:
            raise FilterError(f"filter is not valid JSON: {e.msg} at character {e.pos}") from None
        except RecursionError:
            raise FilterError(f"filter is nested deeper than {MAX_DEPTH} levels") from None
        if obj is None:
            return None
    if not isinstance(obj, dict):
        raise FilterError(f"a filter must be a JSON object, not {_type_name(obj)}")
    return _parse_object(obj, 1) if obj else None


def scope_filter(
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    filters: object = None,
) -> Filter | None:
    """The AND of the given scope equalities and the parsed ``filters``."""
    parts: list[Filter] = []
    for key, value in zip(SCOPE_KEYS, (user_id, agent_id, run_id)):
        if value is None:
            continue
        if not isinstance(value, str) or not value:
            raise FilterError(f"{key} must be a non-empty string")
        parts.append(Cond(key, "eq", _scalar(key, "eq", value)))
    extra = parse_filter(filters)
    if extra is not None:
        parts.append(extra)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _parse_object(obj: object, depth: int) -> Filter:
    if depth > MAX_DEPTH:
        raise FilterError(f"filter is nested deeper than {MAX_DEPTH} levels")
    if not isinstance(obj, dict):
        raise FilterError(f"expected a filter object, got {_type_name(obj)}")
    if not obj:
        raise FilterError("empty filter object {} inside a filter")
    parts = [_parse_item(key, value, depth) for key, value in obj.items()]
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _parse_item(key: object, value: object, depth: int) -> Filter:
    if key in ("AND", "OR"):
        children = _parse_list(str(key), value, depth)
        return And(children) if key == "AND" else Or(children)
    if key == "NOT":
        if isinstance(value, list):
            children = _parse_list("NOT", value, depth)
            return Not(children[0] if len(children) == 1 else And(children))
        return Not(_parse_object(value, depth + 1))
    _check_key(key)
    assert isinstance(key, str)
    if isinstance(value, dict):
        return _parse_operators(key, value)
    if isinstance(value, str) and value == "*":
        return Cond(key, "ne", None)
    return Cond(key, "eq", _scalar(key, "eq", value))


def _parse_list(name: str, value: object, depth: int) -> tuple[Filter, ...]:
    if not isinstance(value, list):
        raise FilterError(f"{name} takes a list of filter objects, not {_type_name(value)}")
    if not value:
        raise FilterError(f"{name} with an empty list")
    return tuple(_parse_object(child, depth + 1) for child in value)


def _parse_operators(key: str, ops: dict[Any, Any]) -> Filter:
    if not ops:
        raise FilterError(f"no operator given for key {_show(key)}")
    conds = [_parse_operator(key, op, value) for op, value in ops.items()]
    return conds[0] if len(conds) == 1 else And(tuple(conds))


def _parse_operator(key: str, op: object, value: object) -> Cond:
    if op not in OPERATORS:
        expected = ", ".join(OPERATORS)
        raise FilterError(f"unknown operator {_show(op)} for key {_show(key)}; expected one of {expected}")
    assert isinstance(op, str)
    if op in ("in", "nin"):
        if not isinstance(value, list) or not value:
            raise FilterError(f"{op} for key {_show(key)} needs a non-empty list")
        if len(value) > MAX_LIST:
            raise FilterError(f"{op} for key {_show(key)} has more than {MAX_LIST} values")
        return Cond(key, op, tuple(_scalar(key, op, v) for v in value))
    scalar = _scalar(key, op, value)
    if op in ("contains", "icontains") and not isinstance(scalar, str):
        raise FilterError(f"{op} for key {_show(key)} needs a string")
    if op in ("gt", "gte", "lt", "lte") and scalar is None:
        raise FilterError(f"{op} for key {_show(key)} needs a string or a number, not null")
    return Cond(key, op, scalar)


def _check_key(key: object) -> None:
    if not isinstance(key, str):
        raise FilterError(f"filter keys must be strings, not {_type_name(key)}")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise FilterError(f"filter key must be 1 to {MAX_KEY_LENGTH} characters long")
    if key.upper().lstrip("$") in ("AND", "OR", "NOT", "NOR"):
        raise FilterError(f"unknown logical operator {_show(key)}; use AND, OR or NOT")
    _check_text(key, "filter key")


def _scalar(key: str, op: str, value: object) -> Scalar:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _check_text(value, f"value for key {_show(key)}")
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise FilterError(f"number for key {_show(key)} is out of the 64-bit range")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FilterError(f"number for key {_show(key)} must be finite")
        return value
    hint = " (use in for a list)" if isinstance(value, list) and op == "eq" else ""
    wanted = "a string, number, boolean or null"
    raise FilterError(f"{op} for key {_show(key)} needs {wanted}, not {_type_name(value)}{hint}")


def _check_text(text: str, what: str) -> str:
    if "\0" in text:
        raise FilterError(f"{what} contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise FilterError(f"{what} is not valid Unicode") from None
    return text


def _show(x: object) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_name(x: object) -> str:
    return {list: "a list", dict: "an object", str: "a string"}.get(type(x), f"a {type(x).__name__}")


# ---------------------------------------------------------------- Python


def matches(f: Filter | None, record: dict[str, Any]) -> bool:
    """Evaluate ``f`` exactly on a record: top-level columns plus ``record["metadata"]``."""
    if f is None:
        return True
    if isinstance(f, And):
        return all(matches(c, record) for c in f.children)
    if isinstance(f, Or):
        return any(matches(c, record) for c in f.children)
    if isinstance(f, Not):
        return not matches(f.child, record)
    return _match_cond(f, _lookup(record, f.key))


def _lookup(record: dict[str, Any], key: str) -> object:
    if key in COLUMNS:
        return record.get(COLUMNS[key])
    meta = record.get("metadata")
    if isinstance(meta, str):
        meta = json.loads(meta)
    return meta.get(key) if isinstance(meta, dict) else None


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le
}
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _match_cond(c: Cond, value: object) -> bool:
    if c.op in ("ne", "nin"):
        return not _match_cond(_positive(c), value)
    if c.op == "in":
        assert isinstance(c.value, tuple)
        return any(_equal(value, v) for v in c.value)
    if c.op == "eq":
        return _equal(value, c.value)
    if c.op in ("contains", "icontains"):
        if not isinstance(value, str):
            return False
        needle = str(c.value)
        if c.op == "icontains":  # ASCII only, like SQLite's lower()
            needle, value = needle.translate(_ASCII_LOWER), value.translate(_ASCII_LOWER)
        return needle in value
    return _kind(value) == _kind(c.value) and _COMPARE[c.op](value, c.value)


def _equal(value: object, target: object) -> bool:
    if target is None:
        return value is None
    return _kind(value) == _kind(target) and value == target


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float)):
        return "number"
    return "text" if isinstance(value, str) else "other"


# ---------------------------------------------------------------- SQLite

_SIGNS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


class SqlDialect:
    """The leaves of a WHERE fragment in one SQL dialect; `compile_where` walks the tree
    (AND, OR, NOT, ``ne``/``nin`` as NOT of their positive, absent vs present) for every dialect.

    ``metadata_rows`` is a subquery over the metadata's (key, value) pairs aliased ``j``,
    ending in ``j.key = <placeholder>``; ``json_not_null`` tests that ``j``'s value is not
    JSON null. Each test must be TRUE or FALSE, never NULL, so that NOT stays exact."""

    true = "1"

    def metadata_rows(self, prefix: str) -> str:
        return f'SELECT 1 FROM json_each({prefix}"metadata") AS j WHERE j.key = ?'

    json_not_null = "j.type <> 'null'"

    def column_test(self, c: Cond, column: str, params: list[Any]) -> str:
        """``column op value`` for a non-null column value."""
        return _sql_test(c, column, f"typeof({column})", ("integer", "real"), params)

    def metadata_test(self, c: Cond, params: list[Any]) -> str:
        """``j.value op value`` for a non-null metadata value."""
        return _sql_test(c, "j.value", "j.type", ("integer", "real", "true", "false"), params)


SQLITE = SqlDialect()


def to_sql(f: Filter | None, *, table: str | None = None) -> tuple[str, list[Any]]:
    """A SQLite WHERE fragment and its parameters; ``("1", [])`` for no filter.

    Keys and values are always ``?`` parameters. Metadata keys are looked up with
    ``json_each`` rather than a ``json_extract`` path: SQLite before 3.45 matches
    a path label against the still-escaped key text, so keys with ``"``, ``\\``
    or (under ``ensure_ascii``) non-ASCII characters would never be found.
    ``table`` qualifies the column names, for use in a join.
    """
    return compile_where(f, SQLITE, table=table)


def compile_where(f: Filter | None, dialect: SqlDialect, *, table: str | None = None) -> tuple[str, list[Any]]:
    """A WHERE fragment in ``dialect`` and its parameters (``dialect.true`` for no filter)."""
    if f is None:
        return dialect.true, []
    if table is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
        raise ValueError(f"not a plain table name: {table!r}")
    params: list[Any] = []
    return _where(f, dialect, params, f'"{table}".' if table else ""), params


def _where(f: Filter, dialect: SqlDialect, params: list[Any], prefix: str) -> str:
    if isinstance(f, (And, Or)):
        glue = " AND " if isinstance(f, And) else " OR "
        return _join(glue, [_where(c, dialect, params, prefix) for c in f.children])
    if isinstance(f, Not):
        return f"NOT ({_where(f.child, dialect, params, prefix)})"
    if f.op in ("ne", "nin"):
        return f"NOT ({_where(_positive(f), dialect, params, prefix)})"
    values = f.value if isinstance(f.value, tuple) else (f.value,)
    absent = f.op in ("eq", "in") and None in values
    present = any(v is not None for v in values)
    tests = []
    if f.key in COLUMNS:
        col = f'{prefix}"{COLUMNS[f.key]}"'
        if absent:
            tests.append(f"{col} IS NULL")
        if present:
            tests.append(dialect.column_test(f, col, params))
        return _join(" OR ", tests)
    # A metadata key. EXISTS is never NULL, so NOT stays exact.
    each = dialect.metadata_rows(prefix)
    if absent:
        params.append(f.key)
        tests.append(f"NOT EXISTS ({each} AND {dialect.json_not_null})")
    if present:
        params.append(f.key)
        tests.append(f"EXISTS ({each} AND {dialect.metadata_test(f, params)})")
    return _join(" OR ", tests)


def _sql_test(c: Cond, x: str, type_: str, numeric: tuple[str, ...], params: list[Any]) -> str:
    """``x op value`` for the non-null values, each guarded by a same-type test."""
    is_text = f"{type_} = 'text'"
    is_number = f"{type_} IN ({', '.join(repr(t) for t in numeric)})"
    if c.op in ("contains", "icontains"):
        params.append(c.value)
        found = f"instr({x}, ?)" if c.op == "contains" else f"instr(lower({x}), lower(?))"
        return f"({is_text} AND {found} > 0)"
    if c.op in _SIGNS:
        params.append(c.value)
        return f"({is_text if isinstance(c.value, str) else is_number} AND {x} {_SIGNS[c.op]} ?)"
    values = c.value if isinstance(c.value, tuple) else (c.value,)
    texts = [v for v in values if isinstance(v, str)]
    numbers = [v for v in values if v is not None and not isinstance(v, str)]
    tests = []
    for guard, group in ((is_text, texts), (is_number, numbers)):
        if group:
            params.extend(group)
            tests.append(f"({guard} AND {x} {_in_list(['?'] * len(group))})")
    return _join(" OR ", tests)


def _positive(c: Cond) -> Cond:
    """eq for ne, in for nin: they are exact negations."""
    return Cond(c.key, "in" if c.op == "nin" else "eq", c.value)


def _in_list(items: list[str]) -> str:
    return f"= {items[0]}" if len(items) == 1 else f"IN ({', '.join(items)})"


def _join(glue: str, parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + glue.join(parts) + ")"


# ---------------------------------------------------------------- LanceDB


def to_lance(f: Filter | None) -> str | None:
    """A LanceDB predicate selecting a SUPERSET of ``f``'s rows, or None for all.

    Only the columns are known to LanceDB; conditions on metadata (and a few
    others, such as ``icontains``) are dropped from an AND, and make an OR or a
    NOT unknown. The exact filter is applied afterwards in SQLite or Python.
    LanceDB's parser fails on deeply nested expressions, so a predicate nested
    deeper than ``MAX_LANCE_DEPTH`` parentheses is dropped (None: no pre-filter).
    """
    return lance_prefilter(f)[0]


def lance_prefilter(f: Filter | None) -> tuple[str | None, bool]:
    """`to_lance`'s predicate, and whether it selects exactly ``f``'s rows (then the
    rows LanceDB returns need no second check against the filter)."""
    if f is None:
        return None, True
    predicate, exact = _lance(f)
    if predicate is not None and _paren_depth(predicate) > MAX_LANCE_DEPTH:
        return None, False
    return predicate, exact and predicate is not None


MAX_LANCE_DEPTH = 12
#: Columns SQLite updates after a row's vector is written (a confirmed or superseded fact
#: gets a new updated_at): LanceDB's copy is not filtered on.
MUTABLE_COLUMNS = frozenset({"updated_at"})
#: Columns SQLite has and LanceDB does not (set after the add, by `expiration_date`).
SQLITE_ONLY_COLUMNS = frozenset({"expires_at"})


def _paren_depth(predicate: str) -> int:
    """The deepest parenthesis nesting outside string literals."""
    depth = deepest = 0
    in_string = False
    for char in predicate:
        if char == "'":
            in_string = not in_string  # a doubled '' toggles twice: still right
        elif not in_string and char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif not in_string and char == ")":
            depth -= 1
    return deepest


def _lance(f: Filter) -> tuple[str | None, bool]:
    """(predicate or None for unknown, whether the predicate is exact)."""
    if isinstance(f, (And, Or)):
        parts = [_lance(c) for c in f.children]
        known = [(p, exact) for p, exact in parts if p is not None]
        if not known or (isinstance(f, Or) and len(known) < len(parts)):
            return None, False
        exact = len(known) == len(parts) and all(e for _, e in known)
        return _join(" AND " if isinstance(f, And) else " OR ", [str(p) for p, _ in known]), exact
    if isinstance(f, Not):
        pred, exact = _lance(f.child)
        # NOT of a superset is a subset: only an exact child may be negated.
        return (f"NOT ({pred})", True) if pred is not None and exact else (None, False)
    pred = _lance_cond(f)
    return pred, pred is not None


def _lance_cond(c: Cond) -> str | None:
    """An exact predicate for a column condition, or None when unknown."""
    if c.key not in COLUMNS or c.op == "icontains" or c.key in MUTABLE_COLUMNS or c.key in SQLITE_ONLY_COLUMNS:
        # LanceDB's lower() folds all of Unicode, not just ASCII; and its copy of a
        # column that changes after the write (updated_at) can be stale
        return None
    if c.op in ("ne", "nin"):
        positive = _lance_cond(_positive(c))
        return None if positive is None else f"NOT ({positive})"
    values = c.value if isinstance(c.value, tuple) else (c.value,)
    if any(v is not None and not isinstance(v, str) for v in values):
        return None  # a number against a string column
    texts = [_lance_literal(v) for v in values if isinstance(v, str)]
    col = COLUMNS[c.key]
    # "col IS NOT NULL AND ..." keeps each test TRUE or FALSE, never NULL, so NOT is exact.
    tests = [f"{col} IS NULL"] if None in values else []
    if c.op == "contains":
        tests.append(f"({col} IS NOT NULL AND strpos({col}, {texts[0]}) > 0)")
    elif c.op in _SIGNS:
        tests.append(f"({col} IS NOT NULL AND {col} {_SIGNS[c.op]} {texts[0]})")
    elif texts:
        tests.append(f"({col} IS NOT NULL AND {col} {_in_list(texts)})")
    return _join(" OR ", tests)


def _lance_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
