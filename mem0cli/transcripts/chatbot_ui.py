"""Chatbot UI export.

`{"version", "history": [{"id", "name", "messages": [{"role", "content"}]}],
"folders", "prompts"}`, or the `history` list on its own.
"""

from __future__ import annotations

from typing import Any

from mem0cli.errors import TranscriptError
from mem0cli.models import Conversation

from .common import _read_messages_list, _Reader, _str


def _read_chatbot_ui(doc: Any, reader: _Reader) -> list[Conversation]:
    """Chatbot UI export: `{"history": [conversations], "folders", "prompts"}`."""
    history = doc.get("history") if isinstance(doc, dict) else doc
    if not isinstance(history, list):
        raise TranscriptError("not a Chatbot UI export: expected an object with a history list")
    out = []
    for i, conv, items in reader.conversations(history, "messages"):
        messages = _read_messages_list(items, reader, f"conversation {i}, message")
        out.append(Conversation(messages, id=_str(conv.get("id")), title=_str(conv.get("name"))))
    return out
