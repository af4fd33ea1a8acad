"""Checks on what callers pass in: scopes, metadata, limits, filters. Each failure is an InputError."""

from __future__ import annotations

import json
from typing import Any

from . import filters as flt
from .errors import InputError

MAX_LIMIT = 10_000


def check_scope(user_id, agent_id, run_id, *, required: bool = False) -> dict[str, str | None]:
    scope = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
    for key, value in scope.items():
        if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > 256):
            raise InputError(f"{key} must be a non-empty string of at most 256 characters")
        if value is not None:
            check_text(value, key)
            if "\0" in value:  # filters (and SQLite's JSON functions) cannot match it again
                raise InputError(f"{key} contains a NUL character")
    if required and not any(scope.values()):
        raise InputError("a scope is required: give at least one of user_id, agent_id, run_id")
    return scope


def build_filter(user_id, agent_id, run_id, extra) -> flt.Filter | None:
    check_scope(user_id, agent_id, run_id)
    return flt.scope_filter(user_id=user_id, agent_id=agent_id, run_id=run_id, filters=extra)


def filter_from_json(raw: str | None, what: str) -> dict | None:
    """A filter given as JSON text (`--filter`, the HTTP `filters` query), as a dict; `what`
    names the option in the error."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{what} is not valid JSON: {getattr(exc, 'msg', exc)}") from None
    if not isinstance(data, dict):
        raise InputError(f"{what} must be a JSON object")
    return data


def check_metadata(metadata: Any) -> dict[str, Any]:
    """A JSON object of at most 64 KiB whose keys are not reserved, returned as it will read back."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InputError("metadata must be a JSON object (a dict)")
    for key in metadata:
        if not isinstance(key, str) or not key or len(key) > 256:
            raise InputError("metadata keys must be non-empty strings of at most 256 characters")
        if key in flt.RESERVED_KEYS:
            reserved = ", ".join(sorted(flt.RESERVED_KEYS))
            raise InputError(f"metadata key {key!r} is reserved (mem0cli's own fields: {reserved}); use another name")
    try:
        encoded = json.dumps(metadata, ensure_ascii=False, allow_nan=False)
        encoded.encode("utf-8")
    except RecursionError:
        raise InputError("metadata is nested too deeply") from None
    except UnicodeEncodeError:
        raise InputError("metadata is not valid UTF-8 text") from None
    except (TypeError, ValueError) as exc:
        raise InputError(f"metadata must be JSON-serialisable: {exc}") from exc
    if len(encoded) > 65_536:
        raise InputError("metadata is larger than 64 KiB")
    return json.loads(encoded)


def check_limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return limit


def check_text(value: Any, what: str) -> str:
    """A string that SQLite and LanceDB can store: valid UTF-8 (no lone surrogates)."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{what} is not valid UTF-8 text") from None
    return value


# -- Mem0 2.x argument names ---------------------------------------------------
def pick_limit(limit: Any, top_k: Any, default: int) -> int:
    """`top_k` is Mem0 2.x's name for `limit`; either may be given, both only when equal."""
    if limit is not None and top_k is not None and limit != top_k:
        raise InputError(f"limit ({limit!r}) and top_k ({top_k!r}) name the same setting: give one of them")
    chosen = top_k if top_k is not None else limit
    return check_limit(default if chosen is None else chosen)


def check_rerank(rerank: Any) -> None:
    """Mem0 2.x's `rerank`: mem0cli has no reranker, so only False (or None) is honoured."""
    if rerank not in (None, False):
        raise InputError(
            "rerank=True needs a reranker and mem0cli has none configured; "
            "search already fuses vector and keyword ranks (pass rerank=False or leave it out)"
        )


def check_add_options(prompt: Any, memory_type: Any) -> None:
    """Mem0 2.x's `add(prompt=..., memory_type=...)`, refused by name when mem0cli cannot honour them."""
    if memory_type is not None:
        if memory_type == "procedural_memory":
            raise InputError(
                "memory_type='procedural_memory' is not supported: mem0cli stores facts and "
                "conversation turns, not Mem0's procedural summaries of an agent's run"
            )
        raise InputError(f"memory_type for add must be left out (None), not {memory_type!r}")
    if prompt is not None:
        raise InputError(
            "prompt (custom extraction instructions) cannot be used: mem0cli's extractor is a yes/no "
            "judge over candidate facts and takes no instructions; leave prompt out"
        )


def check_expiration(value: Any, now: str) -> str | None:
    """Mem0 2.x's `expiration_date` as the stored `expires_at` (UTC ISO 8601, milliseconds).

    A date alone ("2026-12-31") keeps the memory through that day (UTC); a time is the
    moment it leaves. A moment already past is refused: the memory would never be seen.
    """
    if value is None:
        return None
    from datetime import date, datetime, timedelta, timezone

    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day) + timedelta(days=1)
    elif isinstance(value, str) and len(value.strip()) == 10:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(f"expiration_date must be an ISO date or time such as 2026-12-31, not {value!r}") from None
        moment = datetime(day.year, day.month, day.day) + timedelta(days=1)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"expiration_date must be an ISO date or time such as 2026-12-31, not {value!r}") from None
    else:
        raise InputError("expiration_date must be an ISO date or time string")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    stored = moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    if stored <= now:
        raise InputError(f"expiration_date {value!s} is already past: the memory would never be seen")
    return stored
