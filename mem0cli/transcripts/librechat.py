"""LibreChat conversation export (JSON).

`{"conversationId", "title", "messages": [...]}`, where messages are nested
(`{"messageId", "text", "isCreatedByUser", "createdAt", "children": [...]}`)
or flat with `parentMessageId` links. The text is `text`, or the text parts of
`content`. The deepest branch is read; messages flagged `error` are dropped.
"""

from __future__ import annotations

from typing import Any

from mem0cli.errors import TranscriptError
from mem0cli.models import Conversation, Message

from .common import _clean, _key, _Reader, _str, _text_parts, _try_iso
from .trees import _deepest_leaf, _path_to


def _read_librechat(doc: Any, reader: _Reader) -> list[Conversation]:
    """LibreChat export, nested (`children`) or flat (`parentMessageId`)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        raise TranscriptError("not a LibreChat export: expected an object with a messages list")
    nodes: dict[str, dict[str, Any]] = {}
    parents: dict[str, str | None] = {}
    stack: list[tuple[Any, str | None]] = [(x, None) for x in reversed(doc["messages"])]
    while stack:  # preorder, iterative so deep trees cannot overflow
        item, enclosing = stack.pop()
        if not isinstance(item, dict):
            continue
        key = _key(item.get("messageId")) or f"#{len(nodes)}"
        nodes[key] = item
        parents[key] = enclosing or _key(item.get("parentMessageId"))
        children = item.get("children")
        if isinstance(children, list):
            stack.extend((child, key) for child in reversed(children))
    found = (_librechat_message(nodes[k], reader) for k in _path_to(parents, _deepest_leaf(parents)))
    messages = [m for m in found if m is not None]
    return [Conversation(messages, id=_str(doc.get("conversationId")), title=_str(doc.get("title")))]


def _librechat_message(item: dict[str, Any], reader: _Reader) -> Message | None:
    reader.records += 1
    if item.get("error") is True:
        return None
    text = _clean(item["text"]) if isinstance(item.get("text"), str) else ""
    if not text and isinstance(item.get("content"), list):
        text = _clean("\n".join(_text_parts(item["content"])))
    if not text:
        return None
    role = "user" if item.get("isCreatedByUser") is True else "assistant"
    return Message(role, text, id=_str(item.get("messageId")), created_at=_try_iso(item.get("createdAt")))
