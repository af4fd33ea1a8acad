"""The filter tree (`mem0cli.filters`) compiled to a parameterised PostgreSQL WHERE fragment.

The same semantics as `filters.to_sql` for SQLite and `filters.matches` in Python:
absent and null are one, ``ne``/``nin`` are exact negations, values compare only
with values of the same type (a JSON boolean is the number 1 or 0), strings compare
in code point order (``COLLATE "C"``), ``icontains`` folds ASCII letters only. Keys and
values are always ``%s`` parameters; each test is TRUE or FALSE, never NULL, so NOT
stays exact. Metadata is a ``jsonb`` column, looked up with ``jsonb_each`` as the
SQLite compiler uses ``json_each``. The tree walk is `filters.compile_where`'s, shared with SQLite;
this module holds the leaves.
"""

from __future__ import annotations

from typing import Any

from ..filters import _SIGNS, Cond, Filter, SqlDialect, _in_list, _join, compile_where

_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
#: A JSON value as a number (booleans are 1 and 0), NULL for every other type; CASE
#: keeps the cast from ever seeing a string.
_JSON_NUMBER = (
    "(CASE jsonb_typeof({v}) WHEN 'number' THEN ({v})::numeric "
    "WHEN 'boolean' THEN (CASE WHEN {v} = 'true'::jsonb THEN 1 ELSE 0 END)::numeric END)"
)
_JSON_TEXT = "(CASE WHEN jsonb_typeof({v}) = 'string' THEN {v} #>> '{{}}' END)"


class PostgresDialect(SqlDialect):
    """PostgreSQL's leaves: ``%s`` placeholders, a ``jsonb`` metadata column, ``COLLATE "C"``."""

    true = "TRUE"
    json_not_null = "jsonb_typeof(j.value) <> 'null'"

    def metadata_rows(self, prefix: str) -> str:
        return f'SELECT 1 FROM jsonb_each({prefix}"metadata") AS j WHERE j.key = %s'

    def column_test(self, c: Cond, column: str, params: list[Any]) -> str:
        # the columns hold text: a number equals none of them
        return f"({column} IS NOT NULL AND {_test(c, column, None, params)})"

    def metadata_test(self, c: Cond, params: list[Any]) -> str:
        return _test(c, _JSON_TEXT.format(v="j.value"), "j.value", params)


POSTGRES = PostgresDialect()


def to_pg_sql(f: Filter | None, *, table: str | None = None) -> tuple[str, list[Any]]:
    """A PostgreSQL WHERE fragment with ``%s`` placeholders and its parameters;
    ``("TRUE", [])`` for no filter. ``table`` qualifies the column names."""
    return compile_where(f, POSTGRES, table=table)


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
