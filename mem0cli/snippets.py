"""Short snippets of long texts for tables: a line or two around what matched.

`get`, `--json` and export show the full text; a table row shows at most
SNIPPET_CHARS characters of it, on one line, centred on the first query word
found in it (the start of the text without a query or a match), with "…" where
it was cut.
"""

from __future__ import annotations

import re

from .stopwords import STOP_WORDS

#: About two lines of a table's memory column.
SNIPPET_CHARS = 160
#: How far a cut end moves to fall between words rather than inside one.
_WORD_SLACK = 20
_NEWLINES = re.compile(r"\s*[\r\n]\s*")


def snippet(text: str, query: str | None = None, width: int = SNIPPET_CHARS) -> str:
    """`text` on one line, cut to at most `width` characters around the first query
    word it contains; "…" marks each cut end. A short one-line text comes back as it is
    (outer blanks aside)."""
    flat = _NEWLINES.sub(" ", text).strip()
    if len(flat) <= width:
        return flat
    room = width - 2  # for a mark at each end
    at, length = match_span(flat, query)
    start = max(0, min(at + length // 2 - room // 2, len(flat) - room))
    end = start + room
    if start > 0:
        space = flat.find(" ", start, min(start + _WORD_SLACK, at))
        start = space + 1 if space >= 0 else start
    if end < len(flat):
        space = flat.rfind(" ", max(end - _WORD_SLACK, at + length), end)
        end = space if space >= 0 else end
    body = flat[start:end].strip()
    return ("…" if start > 0 else "") + body + ("…" if end < len(flat) else "")


def match_span(text: str, query: str | None) -> tuple[int, int]:
    """(where, how long) the first query word found in `text` is, case-insensitive, from
    the start of a word; short and stop words are skipped. (0, 0) when none is found."""
    for word in re.findall(r"\w+", (query or "").lower()):
        if len(word) < 3 or word in STOP_WORDS:
            continue
        found = re.search(rf"\b{re.escape(word)}", text, re.IGNORECASE)
        if found:
            return found.start(), found.end() - found.start()
    return 0, 0
