"""Chat transcripts in, conversations out.

`read_transcript()` reads the transcripts people actually have: a JSON list of
messages or `{"messages": [...]}`, JSONL, `role: text` lines (plain text
without them is one user message), OpenAI chat-completions request and
response bodies, and the ChatGPT, Claude, LibreChat, Chatbot UI and WhatsApp
exports. `messages_from_api()` validates what
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
  taken as milliseconds. When `add` stores them, a message without a time takes
  the time of the one before it (`timed_by_neighbours`).

One module a format family (plain, openai, chatgpt, claude, librechat,
chatbot_ui, whatsapp); `detect` finds the format and dispatches, `common`
validates messages and holds the helpers the readers share, `trees` walks the
branching exports.
"""

from .common import messages_from_api, timed_by_neighbours
from .detect import FORMATS, TranscriptRead, read_transcript

__all__ = ["FORMATS", "TranscriptRead", "messages_from_api", "read_transcript", "timed_by_neighbours"]
