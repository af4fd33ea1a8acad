"""OpenAI chat-completions bodies.

A request body is `{"model": ..., "messages": [{"role", "content"}, ...]}`; a
response body is `{"id", "created", "choices": [{"message": {"role":
"assistant", "content": ...}}]}`, of which the first choice is read.
"""

from __future__ import annotations

from typing import Any

from mem0cli.errors import TranscriptError
from mem0cli.models import Conversation

from .common import _obj, _read_messages_list, _Reader, _str


def _read_openai(doc: Any, reader: _Reader) -> list[Conversation]:
    """A chat-completions request body, or a response body (its first choice)."""
    if isinstance(doc, dict) and isinstance(doc.get("choices"), list):
        choice = _obj(doc["choices"][0] if doc["choices"] else None)
        record = choice.get("message")
        if isinstance(record, dict) and "created_at" not in record and doc.get("created") is not None:
            record = {**record, "created_at": doc["created"]}
        message = reader.message("choice 1", record)
        return [Conversation([message] if message else [], id=_str(doc.get("id")))]
    if isinstance(doc, dict) and isinstance(doc.get("messages"), list):
        return [Conversation(_read_messages_list(doc["messages"], reader))]
    raise TranscriptError("not an OpenAI chat-completions request or response body")
