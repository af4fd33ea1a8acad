"""WhatsApp "Export chat" text.

One line a message, `DD/MM/YYYY, HH:MM - Name: text` (Android) or
`[DD/MM/YY, HH:MM:SS] Name: text` (iOS), with local variants: `.` or `-` in
dates, the year first, 12-hour times with AM/PM. A line without a timestamp
continues the message above. Every sender is a `user` named after the sender;
system notices (no `Name: `) and media placeholders are dropped.
"""

from __future__ import annotations

import re
from datetime import datetime

from mem0cli.errors import TranscriptError
from mem0cli.models import Conversation, Message

from .common import _clean, _Reader

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
