"""Reading a transcript: decode the input, detect its format, dispatch to its reader.

Detection looks at the first non-blank line: a WhatsApp timestamp; else JSON,
one document or JSONL (a value and then more, or objects line after line);
else text: `role: text` lines, or plain prose, which is one user message. Prose
may open with a bracket ("[draft] ...", "{name} ..."): a bracket followed by a
word is text, anything else after it is read as JSON (so broken JSON is still
reported as such). A JSON document is told apart by its keys
(`mapping`, `chat_messages`, `choices`, `history`, `conversationId` /
`messageId`, `model`).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mem0cli.errors import TranscriptError
from mem0cli.models import Conversation

from .chatbot_ui import _read_chatbot_ui
from .chatgpt import _read_chatgpt
from .claude import _read_claude
from .common import _json_error, _Reader
from .librechat import _read_librechat
from .openai import _read_openai
from .plain import _read_jsonl, _read_messages, _read_text
from .whatsapp import _WHATSAPP_LINE, _read_whatsapp

FORMATS: tuple[str, ...] = (
    "auto", "messages", "jsonl", "text", "openai", "chatgpt", "claude",
    "librechat", "chatbot-ui", "whatsapp",
)


@dataclass
class TranscriptRead:
    """What `read_transcript()` found."""

    conversations: list[Conversation]
    format: str  # the format detected or used
    skipped: int = 0  # bad records skipped with skip_bad
    records: int = 0  # records (messages or lines) read


# -- public API ---------------------------------------------------------------


def read_transcript(data: str | bytes, fmt: str = "auto", *, skip_bad: bool = False) -> TranscriptRead:
    """Read a transcript into conversations of user and assistant messages.

    `fmt` is one of FORMATS ("auto" detects it). With `skip_bad`, bad records
    (an invalid JSONL line, a message without content) are counted in
    `skipped` instead of raising. Every failure is a TranscriptError whose
    message names the line or record.
    """
    if fmt not in FORMATS:
        raise TranscriptError(f"unknown transcript format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    text = _decode(data)
    if not text.strip():
        raise TranscriptError("no messages found in the transcript: the input is empty")
    reader = _Reader(skip_bad)
    try:
        doc: Any = None
        if fmt == "auto":
            fmt, doc = _detect(text)
        if fmt in _TEXT_READERS:
            conversations = _TEXT_READERS[fmt](text, reader)
        else:
            if doc is None:
                doc = _load_json(text)
            conversations = _JSON_READERS[fmt](doc, reader)
    except TranscriptError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, RecursionError) as e:
        # A shape nobody anticipated; report it without echoing personal data.
        raise TranscriptError(f"cannot read this {fmt} transcript ({type(e).__name__})") from None
    conversations = [c for c in conversations if c.messages]
    if not conversations:
        extra = f" ({reader.skipped} bad records skipped)" if reader.skipped else ""
        raise TranscriptError(f"no messages found in the transcript{extra}")
    return TranscriptRead(conversations, fmt, reader.skipped, reader.records)


# -- input and detection ------------------------------------------------------


def _decode(data: str | bytes) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TranscriptError(f"transcript must be text or bytes, got {type(data).__name__}")
    raw = bytes(data)
    utf16 = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        return raw.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as e:
        encoding = "UTF-16" if utf16 else "UTF-8"
        raise TranscriptError(f"the input is not valid {encoding} text (byte {e.start})") from None


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        raise _json_error(e) from None


# The first non-blank line, and the first character of the next one.
_HEAD = re.compile(r"\s*([^\n]*)(?:\n\s*(\S))?")
# A bracket and then a word that is not a JSON literal: prose such as "[draft] I moved".
_BRACKETED_PROSE = re.compile(r"\s*[\[{]\s*(?!(?:true|false|null)\s*(?:[,\]}]|\Z))[^\W\d_]")


def _detect(text: str) -> tuple[str, Any]:
    """The format of `text`, and its parsed JSON when it is one document."""
    first, next_char = _HEAD.match(text).groups()  # type: ignore[union-attr]
    if _WHATSAPP_LINE.match(first):
        return "whatsapp", None
    if first[:1] in ("[", "{") and not _BRACKETED_PROSE.match(text):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            # One value and then more, or objects starting line after line: JSONL.
            if first[0] == "{" and (e.msg == "Extra data" or next_char == "{"):
                return "jsonl", None
            raise _json_error(e) from None
        except (ValueError, RecursionError) as e:
            raise _json_error(e) from None
        return _detect_json(doc), doc
    return "text", None


def _detect_json(doc: Any) -> str:
    if isinstance(doc, list):
        first = next((x for x in doc if isinstance(x, dict)), {})
        if "mapping" in first or "current_node" in first:
            return "chatgpt"
        if "chat_messages" in first:
            return "claude"
        if isinstance(first.get("messages"), list) and "role" not in first:
            return "chatbot-ui"
        return "messages"
    if isinstance(doc, dict):
        if "mapping" in doc:
            return "chatgpt"
        if "chat_messages" in doc:
            return "claude"
        if "choices" in doc:
            return "openai"
        if isinstance(doc.get("history"), list):
            return "chatbot-ui"
        messages = doc.get("messages")
        if isinstance(messages, list):
            first = messages[0] if messages and isinstance(messages[0], dict) else {}
            if "conversationId" in doc or "messageId" in first:
                return "librechat"
            return "openai" if "model" in doc else "messages"
        if "role" in doc or "content" in doc:
            return "messages"
    raise TranscriptError(
        'unrecognised transcript: expected a list of messages, {"messages": [...]}, JSONL, '
        '"role: text" lines or a known chat export'
    )


_JSON_READERS: dict[str, Callable[[Any, _Reader], list[Conversation]]] = {
    "messages": _read_messages,
    "openai": _read_openai,
    "chatgpt": _read_chatgpt,
    "claude": _read_claude,
    "librechat": _read_librechat,
    "chatbot-ui": _read_chatbot_ui,
}
_TEXT_READERS: dict[str, Callable[[str, _Reader], list[Conversation]]] = {
    "jsonl": _read_jsonl,
    "text": _read_text,
    "whatsapp": _read_whatsapp,
}
