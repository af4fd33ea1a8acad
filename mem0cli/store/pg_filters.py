"""The filter tree (`mem0cli.filters`) compiled to a parameterised PostgreSQL WHERE fragment.

The same semantics as `filters.to_sql` for SQLite and `filters.matches` in Python:
absent and null are one, ``ne``/``nin`` are exact negations, values compare only
with values of the same type (a JSON boolean is the number 1 or 0), strings compare
in code point order (``COLLATE "C"``), ``icontains`` folds ASCII letters only. Keys and
values are always ``%s`` parameters; each test is TRUE or FALSE, never NULL, so NOT
stays exact. Metadata is a ``jsonb`` column, looked up with ``jsonb_each`` as the
SQLite compiler uses ``json_each``.
"""

from __future__ import annotations

import re
from typing import Any

from ..filters import _SIGNS, COLUMNS, And, Cond, Filter, Not, Or, _in_list, _join, _positive

_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
#: A JSON value as a number (booleans are 1 and 0), NULL for every other type; CASE
#: keeps the cast from ever seeing a string.
_JSON_NUMBER = (
    "(CASE jsonb_typeof({v}) WHEN 'number' THEN ({v})::numeric "
    "WHEN 'boolean' THEN (CASE WHEN {v} = 'true'::jsonb THEN 1 ELSE 0 END)::numeric END)"
)
_JSON_TEXT = "(CASE WHEN jsonb_typeof({v}) = 'string' THEN {v} #>> '{{}}' END)"


def to_pg_sql(f: Filter | None, *, table: str | None = None) -> tuple[str, list[Any]]:
    """A PostgreSQL WHERE fragment with ``%s`` placeholders and its parameters;
    ``("TRUE", [])`` for no filter. ``table`` qualifies the column names."""
    if f is None:
        return "TRUE", []
    if table is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
        raise ValueError(f"not a plain table name: {table!r}")
    params: list[Any] = []
    return _sql(f, params, f'"{table}".' if table else ""), params


def _sql(f: Filter, params: list[Any], prefix: str) -> str:
    if isinstance(f, (And, Or)):
        glue = " AND " if isinstance(f, And) else " OR "
        return _join(glue, [_sql(c, params, prefix) for c in f.children])
    if isinstance(f, Not):
        return f"NOT ({_sql(f.child, params, prefix)})"
    if f.op in ("ne", "nin"):
        return f"NOT ({_sql(_positive(f), params, prefix)})"
    values = f.value if isinstance(f.value, tuple) else (f.value,)
    absent = f.op in ("eq", "in") and None in values
    present = any(v is not None for v in values)
    tests = []
    if f.key in COLUMNS:
        col = f'{prefix}"{COLUMNS[f.key]}"'
        if absent:
            tests.append(f"{col} IS NULL")
        if present:  # the columns hold text: a number equals none of them
            tests.append(f"({col} IS NOT NULL AND {_test(f, col, None, params)})")
        return _join(" OR ", tests)
    each = f"SELECT 1 FROM jsonb_each({prefix}\"metadata\") AS j WHERE j.key = %s"
    if absent:
        params.append(f.key)
        tests.append(f"NOT EXISTS ({each} AND jsonb_typeof(j.value) <> 'null')")
    if present:
        params.append(f.key)
        tests.append(f"EXISTS ({each} AND {_test(f, _JSON_TEXT.format(v='j.value'), 'j.value', params)})")
    return _join(" OR ", tests)


def _test(c: Cond, text: str, json_value: str | None, params: list[Any]) -> str:
    """``x op value`` for the non-null values; ``text`` is x as text (NULL when it is not
    a string), ``json_value`` the jsonb value for numbers (None: a text column)."""
    number = _JSON_NUMBER.format(v=json_value) if json_value else None
    if c.op in ("contains", "icontains"):
        params.append(c.value)
        if c.op == "contains":
            return f"strpos({text}, %s) > 0"
        return f"strpos(translate({text}, '{_UPPER}', '{_LOWER}'), translate(%s, '{_UPPER}', '{_LOWER}')) > 0"
    if c.op in _SIGNS:
        sign = _SIGNS[c.op]
        if isinstance(c.value, str):
            params.append(c.value)
            return f'{text} COLLATE "C" {sign} %s'
        if number is None:
            return "FALSE"
        params.append(_number(c.value))
        return f"{number} {sign} %s::numeric"
    values = c.value if isinstance(c.value, tuple) else (c.value,)
    texts = [v for v in values if isinstance(v, str)]
    numbers = [_number(v) for v in values if v is not None and not isinstance(v, str)]
    tests = []
    if texts:
        params.extend(texts)
        tests.append(f"{text} {_in_list(['%s'] * len(texts))}")
    if numbers and number is not None:
        params.extend(numbers)
        tests.append(f"{number} {_in_list(['%s::numeric'] * len(numbers))}")
    return _join(" OR ", tests) if tests else "FALSE"


def _number(value: Any) -> int | float:
    return int(value) if isinstance(value, bool) else value
