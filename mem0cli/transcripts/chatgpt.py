"""ChatGPT `conversations.json` (Settings > Data controls > Export data).

A list of conversations, each `{"title", "conversation_id", "current_node",
"mapping": {node id: {"parent", "children", "message"}}}` where a message is
`{"id", "author": {"role", "name"}, "recipient", "create_time", "metadata",
"content": {"content_type": "text", "parts": [...]}}` (or "multimodal_text").
The mapping is a tree; the path from `current_node` up to the root is the
conversation. Tool nodes, messages addressed to a tool and hidden ones are
dropped.
"""

from __future__ import annotations

from typing import Any

from mem0cli.errors import TranscriptError
from mem0cli.models import Conversation, Message

from .common import _PROSE, _ROLES, _clean, _key, _kind, _obj, _Reader, _str, _try_iso
from .trees import _deepest_leaf, _path_to


def _read_chatgpt(doc: Any, reader: _Reader) -> list[Conversation]:
    """ChatGPT `conversations.json`: the path from `current_node` up to the root."""
    if isinstance(doc, dict) and "mapping" in doc:
        doc = [doc]
    if not isinstance(doc, list):
        raise TranscriptError("not a ChatGPT export: expected a list of conversations with a mapping")
    out = []
    for i, conv in enumerate(doc, 1):
        if not isinstance(conv, dict):
            reader.fail(f"conversation {i}: expected an object, got {_kind(conv)}")
            continue
        mapping = conv.get("mapping")
        if not isinstance(mapping, dict):
            continue  # an entry without messages
        parents = {k: _key(_obj(node).get("parent")) for k, node in mapping.items()}
        current = _key(conv.get("current_node"))
        leaf = current if current in parents else _deepest_leaf(parents)
        found = (_chatgpt_message(mapping[k], reader) for k in _path_to(parents, leaf))
        messages = [m for m in found if m is not None]
        conv_id = _str(conv.get("conversation_id") or conv.get("id"))
        out.append(Conversation(messages, id=conv_id, title=_str(conv.get("title"))))
    return out


def _chatgpt_message(node: Any, reader: _Reader) -> Message | None:
    message = _obj(node).get("message")
    if not isinstance(message, dict):
        return None
    reader.records += 1
    author = _obj(message.get("author"))
    role = _ROLES.get(str(author.get("role")).lower())
    if role not in _PROSE or message.get("recipient") not in (None, "all"):
        return None
    if _obj(message.get("metadata")).get("is_visually_hidden_from_conversation"):
        return None
    content = _obj(message.get("content"))
    parts = content.get("parts")
    if content.get("content_type") not in ("text", "multimodal_text") or not isinstance(parts, list):
        return None
    text = _clean("\n".join(p for p in parts if isinstance(p, str)))
    if not text:
        return None
    name = author.get("name")
    return Message(
        role, text, name=name if isinstance(name, str) else None,
        id=_str(message.get("id")), created_at=_try_iso(message.get("create_time")),
    )
