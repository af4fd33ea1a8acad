"""Rows to PostgreSQL parameters: JSON metadata for jsonb, and the NUL character that
PostgreSQL text (and jsonb) cannot hold, refused in what is written."""

from __future__ import annotations

import json
from typing import Any

from ..errors import InputError
from .records import MemoryRecord, TurnRecord


def without_nul(param: Any) -> Any:
    if isinstance(param, str) and "\0" in param:
        raise InputError("the text contains a NUL character, which a PostgreSQL store cannot hold")
    if isinstance(param, list):
        return [p for p in param if not (isinstance(p, str) and "\0" in p)]
    return param


def json_row(record: MemoryRecord | TurnRecord) -> dict[str, Any]:
    """The record's columns, its metadata as JSON text for a ``::jsonb`` parameter (jsonb
    cannot hold ``\\u0000`` either)."""
    if has_nul(record.metadata):
        raise InputError("metadata contains a NUL character, which a PostgreSQL store cannot hold")
    return {**record.as_row(), "metadata": json.dumps(record.metadata or {}, ensure_ascii=False)}


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def insert_sql(table: str, cols: list[str]) -> str:
    marks = ", ".join("%s::jsonb" if c == "metadata" else "%s" for c in cols)
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})"
