"""A plain yes to the assistant's question about the user makes the question's claim the user's own.

"So you live in Denver, right?" / "yep" -> "NAME lives in Denver"; "Are you vegan?" / "yes" -> "NAME is
vegan". Only a short yes counts, only the last question of the assistant's turn, and only a question
about "you" that a yes settles (no "or", no wh-word): anything else the assistant said stays its own,
unconfirmed claim.
"""

from __future__ import annotations

import re

from .lexicon import possessive, third_person

_YES = re.compile(
    r"^(?:yes|yep|yeah|yup|yea|correct|that's right|that's correct|exactly|indeed|i do|i am|i have)"
    r"(?:[\s,.!]+(?:that's right|that's correct|exactly|correct|indeed|i do|i am|i have|haha|lol|thanks))*[\s,.!]*$",
    re.I,
)
_TAG = re.compile(r",?\s*(?:right|correct|yes|yeah|no|isn't it|aren't you|don't you|haven't you|is that right)\s*$", re.I)
_LEAD = re.compile(r"^(?:(?:so|and|oh|ok|okay|wait|just to check|to confirm)\b[\s,:]*)+", re.I)
_INVERTED = {"do": None, "are": "is", "have": "has", "were": "was"}


def confirmed_claim(question_turn: str, reply: str, name: str) -> str | None:
    """The claim a yes in `reply` confirms, rewritten about `name`, or None."""
    if not _YES.match(reply.strip()):
        return None
    question = _last_question(question_turn)
    if question is None or re.search(r"\bor\b", question, re.I):
        return None
    body = _TAG.sub("", _LEAD.sub("", question[:-1].strip())).strip()
    inverted = re.match(r"^(do|are|have|were)\s+you\s+(.+)$", body, re.I)
    if inverted:
        verb, rest = inverted.group(1).lower(), inverted.group(2)
        claim = _about(rest, name, lead_verb=verb == "do")
        return f"{name} {_INVERTED[verb]} {claim}" if _INVERTED[verb] else f"{name} {claim}"
    owned = re.match(r"^(is|was)\s+your\s+([a-z]+)\s+(.+)$", body, re.I)
    if owned:  # "Is your daughter called Maya?"
        return f"{possessive(name)} {owned.group(2)} {owned.group(1).lower()} {_about(owned.group(3), name)}"
    declared = re.match(r"^you(?:'re|\s+are)\s+(.+)$", body, re.I)
    if declared:  # "you're vegan, right?"
        return f"{name} is {_about(declared.group(1), name)}"
    stated = re.match(r"^you\s+(.+)$", body, re.I)
    if stated:  # "you live in Denver?"
        return f"{name} {_about(stated.group(1), name, lead_verb=True)}"
    return None


def _last_question(turn: str) -> str | None:
    """The assistant turn's last sentence, if it is a question about "you"."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", turn.strip()) if s.strip()]
    last = sentences[-1] if sentences else ""
    if not last.endswith("?") or not re.search(r"\byour?\b", last, re.I):
        return None
    if re.match(r"^(?:what|where|when|why|how|who|which|whose|can|could|would|will|should|shall)\b", _LEAD.sub("", last), re.I):
        return None
    if re.search(r"\b(?:I|me|my|us|we)\b", last):
        return None  # "you want me to draft it?": about the assistant's work, not the user
    return last


def _about(predicate: str, name: str, *, lead_verb: bool = False) -> str:
    """The predicate in the third person: its first verb conjugated, "your" -> "NAME's"."""
    words = predicate.split()
    if lead_verb and words:
        words[0] = third_person(words[0])
    text = " ".join(words)
    text = re.sub(r"\byour\b", possessive(name), text, flags=re.I)
    return re.sub(r"\byou(?:rself)?\b", name, text, flags=re.I)
