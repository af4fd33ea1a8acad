"""Chat transcripts in, conversations out.

`read_transcript()` reads the transcripts people actually have: a JSON list of
messages or `{"messages": [...]}`, JSONL, `role: text` lines, OpenAI
chat-completions request and response bodies, and the ChatGPT, Claude,
LibreChat, Chatbot UI and WhatsApp exports. `messages_from_api()` validates what
`Memory.add(messages)` accepts.

Choices worth knowing:

- Only user and assistant prose is imported. System prompts are instructions,
  not something anyone said. Tool traffic (tool/function messages, assistant
  tool calls, ChatGPT browsing and code nodes, assistant messages addressed to a
  tool) is machine output, so any facts in it are second-hand. Both are dropped.
  `messages_from_api()` keeps every role it accepts: there the caller decided.
- Exports that branch are read along one path. ChatGPT follows `current_node`,
  or the deepest leaf when that node is missing. The Claude web API follows
  `current_leaf_message_uuid`. LibreChat takes the deepest branch, the last one
  on ties.
- Claude text comes from the `text` content blocks when there are any, because
  the newest exports put thinking and answer together in `text`. Otherwise it
  comes from `text`.
- In WhatsApp chats every sender is a `user` named after the sender. System
  notices and media placeholders are dropped. Dates are read day first unless
  the file shows otherwise.
- Timestamps become ISO 8601. Epoch numbers are UTC, and values above 1e11 are
  taken as milliseconds.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from mem0cli.errors import TranscriptError
from mem0cli.models import Conversation, Message

FORMATS: tuple[str, ...] = (
    "auto", "messages", "jsonl", "text", "openai", "chatgpt", "claude",
    "librechat", "chatbot-ui", "whatsapp",
)

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


@dataclass
class TranscriptRead:
    """What `read_transcript()` found."""

    conversations: list[Conversation]
    format: str  # the format detected or used
    skipped: int = 0  # bad records skipped with skip_bad
    records: int = 0  # records (messages or lines) read


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

    def message(self, where: str, record: Any) -> Message | None:
        self.records += 1
        try:
            return _transcript_message(record)
        except TranscriptError as e:
            self.fail(f"{where}: {e}")
            return None


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


def _json_error(e: ValueError | RecursionError, line: int | None = None) -> TranscriptError:
    """`line N: invalid JSON: ...`; `line` is given for one JSONL line."""
    if isinstance(e, json.JSONDecodeError):
        return TranscriptError(f"line {line or e.lineno}: invalid JSON: {e.msg}")
    where = f"line {line}: " if line else ""
    return TranscriptError(f"{where}invalid JSON: nested too deeply or a number too long")


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        raise _json_error(e) from None


# The first non-blank line, and the first character of the next one.
_HEAD = re.compile(r"\s*([^\n]*)(?:\n\s*(\S))?")


def _detect(text: str) -> tuple[str, Any]:
    """The format of `text`, and its parsed JSON when it is one document."""
    first, next_char = _HEAD.match(text).groups()  # type: ignore[union-attr]
    if _WHATSAPP_LINE.match(first):
        return "whatsapp", None
    if first[:1] in ("[", "{"):
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


# -- JSON formats ------------------------------------------------------------


def _read_messages_list(items: list[Any], reader: _Reader, label: str = "record") -> list[Message]:
    found = (reader.message(f"{label} {i}", item) for i, item in enumerate(items, 1))
    return [m for m in found if m is not None]


def _read_messages(doc: Any, reader: _Reader) -> list[Conversation]:
    """A JSON list of messages, {"messages": [...]}, or one message object."""
    if isinstance(doc, list):
        return [Conversation(_read_messages_list(doc, reader))]
    if isinstance(doc, dict) and isinstance(doc.get("messages"), list):
        messages = _read_messages_list(doc["messages"], reader)
        return [Conversation(messages, id=_str(doc.get("id")), title=_str(doc.get("title")))]
    if isinstance(doc, dict) and ("role" in doc or "content" in doc):
        return [Conversation(_read_messages_list([doc], reader))]
    raise TranscriptError('expected a JSON list of messages or {"messages": [...]}')


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


def _read_claude(doc: Any, reader: _Reader) -> list[Conversation]:
    """Claude `conversations.json`, or one conversation from the web API."""
    if isinstance(doc, dict) and "chat_messages" in doc:
        doc = [doc]
    if not isinstance(doc, list):
        raise TranscriptError("not a Claude export: expected a list of conversations with chat_messages")
    out = []
    for i, conv in enumerate(doc, 1):
        items = _obj(conv).get("chat_messages")
        if not isinstance(items, list):
            reader.fail(f"conversation {i}: no chat_messages list")
            continue
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


def _read_chatbot_ui(doc: Any, reader: _Reader) -> list[Conversation]:
    """Chatbot UI export: `{"history": [conversations], "folders", "prompts"}`."""
    history = doc.get("history") if isinstance(doc, dict) else doc
    if not isinstance(history, list):
        raise TranscriptError("not a Chatbot UI export: expected an object with a history list")
    out = []
    for i, conv in enumerate(history, 1):
        items = _obj(conv).get("messages")
        if not isinstance(items, list):
            reader.fail(f"conversation {i}: no messages list")
            continue
        messages = _read_messages_list(items, reader, f"conversation {i}, message")
        out.append(Conversation(messages, id=_str(conv.get("id")), title=_str(conv.get("name"))))
    return out


# -- trees --------------------------------------------------------------------


def _path_to(parents: dict[str, str | None], leaf: str | None) -> list[str]:
    """Node ids from the root down to `leaf`, following parent links."""
    path: list[str] = []
    seen: set[str] = set()
    node = leaf
    while node is not None and node in parents and node not in seen:
        seen.add(node)
        path.append(node)
        node = parents[node]
    path.reverse()
    return path


def _deepest_leaf(parents: dict[str, str | None]) -> str | None:
    """The leaf farthest from its root; the last one on ties."""
    has_child = {p for p in parents.values() if p in parents}
    depths: dict[str, int] = {}
    best, best_depth = None, -1
    for node in parents:
        depth = _depth(node, parents, depths)
        if node not in has_child and depth >= best_depth:
            best, best_depth = node, depth
    return best


def _depth(node: str, parents: dict[str, str | None], memo: dict[str, int]) -> int:
    """Depth of `node`, memoised so that all depths together take linear time."""
    chain: list[str] = []
    on_chain: set[str] = set()
    current: str | None = node
    while current is not None and current in parents and current not in memo and current not in on_chain:
        on_chain.add(current)  # a cycle stops here
        chain.append(current)
        current = parents[current]
    depth = memo.get(current, 0) if current is not None else 0
    for item in reversed(chain):
        depth += 1
        memo[item] = depth
    return memo[node]


# -- line formats -------------------------------------------------------------


def _read_jsonl(text: str, reader: _Reader) -> list[Conversation]:
    """One message per line; a line with a "messages" list is a conversation."""
    loose: list[Message] = []
    conversations: list[Conversation] = []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as e:
            reader.records += 1
            reader.fail(str(_json_error(e, n)))
            continue
        if isinstance(record, dict) and isinstance(record.get("messages"), list):
            messages = _read_messages_list(record["messages"], reader, f"line {n}, message")
            title = _str(record.get("title"))
            conversations.append(Conversation(messages, id=_str(record.get("id")), title=title))
        elif (message := reader.message(f"line {n}", record)) is not None:
            loose.append(message)
    return [Conversation(loose), *conversations]


_ROLE_LINE = re.compile(r"(user|assistant|system|human|ai)[ \t]*:[ \t]?(.*)", re.IGNORECASE)


def _read_text(text: str, reader: _Reader) -> list[Conversation]:
    """`role: text` lines; a line without a role continues the message above."""
    messages: list[Message] = []
    role: str | None = None
    lines: list[str] = []

    def flush() -> None:
        content = _clean("\n".join(lines))
        if role in _PROSE and content:
            messages.append(Message(role, content))

    for n, line in enumerate(text.split("\n"), 1):
        match = _ROLE_LINE.match(line)
        if match:
            flush()
            reader.records += 1
            role, lines = _ROLES[match.group(1).lower()], [match.group(2)]
        elif role is not None:
            lines.append(line)
        elif line.strip():
            raise TranscriptError(f"line {n}: text without a role prefix (expected 'user: ...')")
    flush()
    return [Conversation(messages)]


_WHATSAPP_LINE = re.compile(
    r"[\u200e\u200f]?\[?(\d{1,4})[./-](\d{1,2})[./-](\d{1,4}),?[ \t]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?"
    r"(?:[ \t\u202f\u00a0]?([AaPp])\.?[ \t]?[Mm]\.?)?(?:\] | - )(.*)"
)
_WHATSAPP_MEDIA = re.compile(
    r"<(media omitted|attached: [^>]*)>|\u200e?(image|video|audio|sticker) omitted", re.IGNORECASE
)


def _read_whatsapp(text: str, reader: _Reader) -> list[Conversation]:
    """WhatsApp "Export chat" text; each sender is a user with a name."""
    entries: list[tuple[re.Match[str], list[str]]] = []
    for line in text.split("\n"):
        match = _WHATSAPP_LINE.match(line)
        if match:
            entries.append((match, [match.group(8)]))
        elif entries:
            entries[-1][1].append(line)
    if not entries:
        raise TranscriptError("line 1: not a WhatsApp chat (expected 'DD/MM/YYYY, HH:MM - Name: text')")
    # Day first unless the first date that is unambiguous says otherwise.
    day_first = next((int(m[1]) > 12 for m, _ in entries if int(m[1]) > 12 or int(m[2]) > 12), True)
    messages = []
    for match, lines in entries:
        reader.records += 1
        sender, sep, first = lines[0].partition(": ")
        content = _clean("\n".join([first, *lines[1:]]))
        if not sep or not content or _WHATSAPP_MEDIA.fullmatch(content):
            continue  # a system notice, or a photo without a caption
        when = _whatsapp_time(match, day_first)
        messages.append(Message("user", content, name=_clean(sender) or None, created_at=when))
    return [Conversation(messages)]


def _whatsapp_time(m: re.Match[str], day_first: bool) -> str | None:
    a, b, c, hour, minute = (int(m.group(i)) for i in range(1, 6))
    second = int(m.group(6) or 0)
    if len(m.group(1)) == 4:
        year, month, day = a, b, c
    else:
        year, (day, month) = c, ((a, b) if day_first else (b, a))
    year += 2000 if year < 100 else 0
    if m.group(7):
        hour = hour % 12 + (12 if m.group(7).lower() == "p" else 0)
    try:
        return datetime(year, month, day, hour, minute, second).isoformat()
    except ValueError:
        return None


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
