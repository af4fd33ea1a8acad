"""The plain formats: messages as JSON, as JSONL, or as `role: text` lines and plain text.

- messages: `[{"role": "user", "content": "..."}, ...]`, or
  `{"messages": [...], "id": ..., "title": ...}`, or one message object.
- jsonl: one message object a line; a line `{"messages": [...]}` is a
  conversation of its own.
- text: `user: ...` / `assistant: ...` lines (also human, ai, system, in any
  case); a line without a role continues the message above. Text with no role
  line at all (one line, several, a pasted paragraph) is one user message, the
  same as `mem0cli add "..."` with that text as its argument, unless it is a log
  of `Name: text` lines from two or more people (a pasted group chat): then each
  line is that person's user message, with its `name`. Only text before
  the first role line, when a role line follows, is refused (its line named):
  whose words those are cannot be told.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mem0cli.errors import TranscriptError
from mem0cli.models import Conversation, Message

from .common import _PROSE, _ROLES, _clean, _json_error, _read_messages_list, _Reader, _str


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


# "Alice: I moved to Leeds." (a pasted group chat or meeting log), an optional "10:32" before it
_SPEAKER_LINE = re.compile(
    r"(?:\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?\s+)?([A-Z][\w.'-]*(?: [A-Z][\w.'-]*)?)[ \t]*:[ \t]+(\S.*)"
)
# words that head a line of notes, not a speaker
_NOT_SPEAKERS = frozenset(
    """note notes todo update subject re date time summary question answer q a edit ps fyi step tip warning error
    example input output result reminder important update warning p.s. action decision agenda""".split()
)
# a speaker who is a chat assistant: their lines are the assistant's
_ASSISTANT_NAMES = frozenset("chatgpt gpt claude gemini copilot bot assistant".split())


def _read_speakers(text: str) -> list[Message] | None:
    """`Name: text` lines from two or more named people (or one and a known chat assistant), each
    a user message with its `name` (the assistant's lines are the assistant's); None when the text
    is not such a log."""
    messages: list[Message] = []
    names: set[str] = set()
    for line in text.strip().split("\n"):
        match = _SPEAKER_LINE.fullmatch(line.strip())
        if match and match.group(1).lower() not in _NOT_SPEAKERS:
            name = match.group(1)
            role = "assistant" if name.lower() in _ASSISTANT_NAMES else "user"
            names.add(name) if role == "user" else None
            messages.append(Message(role, match.group(2).strip(), name=name if role == "user" else None))
        elif messages and line.strip():
            last = messages[-1]
            messages[-1] = Message(last.role, f"{last.content}\n{line.strip()}", name=last.name)
        elif line.strip():
            return None  # prose before the first speaker line
    with_assistant = any(m.role == "assistant" for m in messages)
    return messages if len(names) >= 2 or (names and with_assistant) else None


def _read_text(text: str, reader: _Reader) -> list[Conversation]:
    """`role: text` lines; a line without a role continues the message above.
    Without any role line, `Name: text` lines of two or more people are their messages,
    and any other text is one user message."""
    if not any(_ROLE_LINE.match(line) for line in text.split("\n")):
        speakers = _read_speakers(text)
        if speakers:
            reader.records += len(speakers)
            return [Conversation(speakers)]
        reader.records += 1
        content = _clean(text)
        return [Conversation([Message("user", content)] if content else [])]
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
            raise TranscriptError(
                f"line {n}: text without a role prefix before the first role line (expected 'user: ...')"
            )
    flush()
    return [Conversation(messages)]
