"""Messages: what every reader shares, and what `Memory.add(messages)` accepts.

A message record is `{"role": "user", "content": "...", "name", "id",
"created_at"}`; `content` may also be an OpenAI/Anthropic list of parts
(`[{"type": "text", "text": "..."}]`) and `text` may stand for `content`.
`_to_message()` validates one and keeps every role (the API path);
`_transcript_message()` keeps only user and assistant prose (the transcript
path). `_Reader` counts records and turns record errors into skips. The rest
are small value helpers: text cleaning, ISO 8601 times, ids, JSON errors.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from mem0cli.errors import TranscriptError, json_problem
from mem0cli.models import Message

_ROLES = {
    "user": "user", "human": "user",
    "assistant": "assistant", "ai": "assistant", "bot": "assistant", "model": "assistant",
    "system": "system", "developer": "system",
    "tool": "tool", "function": "tool",
}
_PROSE = ("user", "assistant")
_KINDS = {type(None): "null", dict: "an object", list: "a list", str: "a string",
          bool: "a boolean", int: "a number", float: "a number"}
_TEXT_PARTS = ("text", "input_text", "output_text")
# Control characters (keeping \t and \n), C1 controls and lone surrogates.
_JUNK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class _Reader:
    """Counts records and turns record errors into skips when asked to."""

    def __init__(self, skip_bad: bool) -> None:
        self.skip_bad = skip_bad
        self.skipped = 0
        self.records = 0

    def fail(self, error: str) -> None:
        if not self.skip_bad:
            raise TranscriptError(error)
        self.skipped += 1

    def conversations(self, convs: list[Any], key: str) -> Iterator[tuple[int, dict[str, Any], list[Any]]]:
        """(number, conversation, its `key` list of messages); one without the list is a record error."""
        for i, conv in enumerate(convs, 1):
            items = _obj(conv).get(key)
            if isinstance(items, list):
                yield i, conv, items
            else:
                self.fail(f"conversation {i}: no {key} list")

    def message(self, where: str, record: Any) -> Message | None:
        self.records += 1
        try:
            return _transcript_message(record)
        except TranscriptError as e:
            self.fail(f"{where}: {e}")
            return None


def messages_from_api(messages: str | dict | list) -> list[Message]:
    """Validate what `Memory.add(messages)` accepts and normalise it.

    A string is one user message; otherwise one message dict or a list of them,
    each with `role` and `content` and optional `name`, `id`, `created_at`.
    """
    if isinstance(messages, str):
        items: list[Any] = [{"role": "user", "content": messages}]
    elif isinstance(messages, dict):
        items = [messages]
    elif isinstance(messages, list):
        if not messages:
            raise TranscriptError("messages is an empty list")
        items = messages
    else:
        kind = type(messages).__name__
        raise TranscriptError(f"messages must be a string, a message dict or a list of them, got {kind}")
    out = []
    for i, item in enumerate(items, 1):
        try:
            out.append(_to_message(item))
        except TranscriptError as e:
            raise TranscriptError(f"message {i}: {e}") from None
    return out


# -- messages: validation shared by the API and the JSON formats --------------


def timed_by_neighbours(
    messages: list[Message], before: str | None = None, after: str | None = None
) -> list[Message]:
    """Messages without a time take the time of the nearest message before them that has
    one (the first ones, of the nearest after): a reply was said about when its question
    was. `before` / `after`: the times of the messages just outside `messages`, when they
    are one part of a longer transcript. Without any time, the messages are returned as
    they are.
    """
    known = [m.created_at for m in messages]
    last = before or next((t for t in known if t), after)
    if last is None:
        return messages
    out = []
    for m, when in zip(messages, known):
        last = when or last
        out.append(m if when else replace(m, created_at=last))
    return out


def _to_message(record: Any) -> Message:
    """One message dict, validated; keeps every role."""
    if not isinstance(record, dict):
        raise TranscriptError(f"expected a message object with role and content, got {_kind(record)}")
    role = _role(record.get("role"))
    content = record.get("content", record.get("text"))
    if content is None:
        raise TranscriptError("message has no content")
    name = _clean(str(record["name"])) if record.get("name") is not None else None
    created_at = _iso(record.get("created_at"))
    return Message(role, _content_text(content), name or None, _str(record.get("id")), created_at)


def _transcript_message(record: Any) -> Message | None:
    """One message from a transcript, or None for system, tool and empty ones."""
    if isinstance(record, dict):
        role = record.get("role")
        if isinstance(role, str) and _ROLES.get(role.strip().lower()) == "tool":
            return None
        if record.get("content") is None and (record.get("tool_calls") or record.get("function_call")):
            return None
    message = _to_message(record)
    return message if message.role in _PROSE and message.content else None


def _role(value: Any) -> str:
    if value is None:
        raise TranscriptError("message has no role")
    role = _ROLES.get(value.strip().lower()) if isinstance(value, str) else None
    if role is None:
        shown = repr(value[:40]) if isinstance(value, str) else _kind(value)
        raise TranscriptError(f"unknown role {shown} (expected user, assistant, system or tool)")
    return role


def _content_text(content: Any) -> str:
    """A string, or the text parts of an OpenAI/Anthropic content list."""
    if isinstance(content, str):
        return _clean(content)
    if isinstance(content, list):
        return _clean("\n".join(_text_parts(content)))
    raise TranscriptError(f"message content must be text, got {_kind(content)}")


def _text_parts(parts: list[Any]) -> list[str]:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, dict) and part.get("type") in _TEXT_PARTS:
            text = part.get("text")
            if isinstance(text, dict):  # LibreChat: {"type": "text", "text": {"value": ...}}
                text = text.get("value")
            if isinstance(text, str):
                out.append(text)
    return out


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _JUNK.sub("", text).strip()


def _iso(value: Any) -> str | None:
    """ISO 8601 from an ISO string or epoch seconds; TranscriptError if neither."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
            value = float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            seconds = value / 1000 if abs(value) > 1e11 else value
            return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()
        if isinstance(value, str):
            return datetime.fromisoformat(value.strip()).isoformat()
    except (ValueError, OverflowError, OSError):
        pass
    shown = repr(value[:40]) if isinstance(value, str) else _kind(value)
    raise TranscriptError(f"created_at {shown} is not an ISO 8601 time or epoch seconds")


def _try_iso(value: Any) -> str | None:
    """Like _iso, for exports: a time that does not parse is left out."""
    try:
        return _iso(value)
    except TranscriptError:
        return None


def _str(value: Any) -> str | None:
    return None if value is None else _clean(str(value)) or None


def _key(value: Any) -> str | None:
    """A node id usable as a dict key: str or nothing."""
    return value if isinstance(value, str) else None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _kind(value: Any) -> str:
    """How a value is named in error messages, in JSON terms."""
    return _KINDS.get(type(value), type(value).__name__)


def _json_error(e: ValueError | RecursionError, line: int | None = None) -> TranscriptError:
    """`line N: invalid JSON: ...`; `line` is given for one JSONL line."""
    if isinstance(e, json.JSONDecodeError):
        return TranscriptError(f"line {line or e.lineno}: invalid JSON: {json_problem(e)}")
    where = f"line {line}: " if line else ""
    return TranscriptError(f"{where}invalid JSON: {json_problem(e)}")


def _read_messages_list(items: list[Any], reader: _Reader, label: str = "record") -> list[Message]:
    found = (reader.message(f"{label} {i}", item) for i, item in enumerate(items, 1))
    return [m for m in found if m is not None]
