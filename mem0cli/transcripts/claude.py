"""Claude exports: `conversations.json`, or one conversation from the web API.

The export is a list of `{"uuid", "name", "chat_messages": [{"uuid", "sender":
"human" | "assistant", "text", "content": [{"type": "text", "text"}, ...],
"created_at"}]}`. A web-API conversation is one such object whose messages
carry `parent_message_uuid` links, with `current_leaf_message_uuid` naming the
branch shown. Messages are put in time order, human first on ties.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from mem0cli.errors import TranscriptError
from mem0cli.models import Conversation, Message

from .common import _clean, _key, _Reader, _str, _text_parts, _try_iso
from .trees import _path_to


def _read_claude(doc: Any, reader: _Reader) -> list[Conversation]:
    """Claude `conversations.json`, or one conversation from the web API."""
    if isinstance(doc, dict) and "chat_messages" in doc:
        doc = [doc]
    if not isinstance(doc, list):
        raise TranscriptError("not a Claude export: expected a list of conversations with chat_messages")
    out = []
    for _i, conv, items in reader.conversations(doc, "chat_messages"):
        leaf = conv.get("current_leaf_message_uuid")
        items = _claude_branch([x for x in items if isinstance(x, dict)], leaf)
        found = (_claude_message(x, reader) for x in items)
        messages = _claude_sorted([m for m in found if m is not None])
        out.append(Conversation(messages, id=_str(conv.get("uuid")), title=_str(conv.get("name"))))
    return out


def _claude_branch(items: list[dict[str, Any]], leaf: Any) -> list[dict[str, Any]]:
    """Only the messages on the path to the current leaf, when there is one."""
    parents = {k: _key(x.get("parent_message_uuid")) for x in items if (k := _key(x.get("uuid")))}
    if _key(leaf) not in parents:
        return items
    keep = set(_path_to(parents, leaf))
    return [x for x in items if x.get("uuid") in keep]


def _claude_message(item: dict[str, Any], reader: _Reader) -> Message | None:
    reader.records += 1
    role = {"human": "user", "assistant": "assistant"}.get(str(item.get("sender")).lower())
    content = item.get("content")
    text = _clean("\n".join(_text_parts(content))) if isinstance(content, list) else ""
    if not text and isinstance(item.get("text"), str):
        text = _clean(item["text"])
    if role is None or not text:
        return None
    return Message(role, text, id=_str(item.get("uuid")), created_at=_try_iso(item.get("created_at")))


def _claude_sorted(messages: list[Message]) -> list[Message]:
    """Exports can be out of order: stable sort by time, human first on ties."""
    if any(m.created_at is None for m in messages):
        return messages
    return sorted(messages, key=lambda m: (_epoch(m.created_at), m.role != "user"))


def _epoch(iso: str | None) -> float:
    when = datetime.fromisoformat(iso or "")
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()
