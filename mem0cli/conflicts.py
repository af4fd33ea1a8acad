"""Which facts contradict each other: single-valued predicates about the same subject.

"Alice lives in Seattle" and "Alice moved to Denver" fill the same slot (where
Alice lives), so the newer one supersedes the older. "Alice likes tea" and
"Alice likes coffee" do not: liking is not single-valued.
"""

from __future__ import annotations

import re

# slot name -> pattern; the subject is the text before the match.
_SLOTS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(pattern, re.I))
    for name, pattern in [
        ("residence", r"\b(?:lives|is living|resides|is based|moved|relocated|has moved)\b(?: back)? (?:in|to)\b"),
        ("employer", r"\b(?:works|is working) (?:at|for)\b|\b(?:joined|is employed by)\b"),
        ("job", r"\b(?:works as|is working as|is employed as)\b|\bjob is\b"),
        ("age", r"\bis \d{1,3} years old\b|\b's age is\b"),
        ("diet", r"\bis (?:now )?(?:vegan|vegetarian|pescatarian|on (?:a |the )?\w+ diet)\b"),
        ("partner", r"\b(?:is married to|is dating|'s (?:wife|husband|partner|girlfriend|boyfriend) is)\b"),
        ("favourite", r"\b's (?:favou?rite|preferred) [\w ]{1,30}? (?:is|was)\b"),
        ("contact", r"\b's (?:email(?: address)?|phone(?: number)?|address|username|handle) is\b"),
        ("drinks", r"\b(?:drinks|switched to|now drinks)\b"),
    ]
]


def slot_of(text: str) -> tuple[str, str, str] | None:
    """(subject, slot, qualifier) of a single-valued fact, or None.

    The qualifier keeps "favourite band" apart from "favourite food".
    """
    for name, pattern in _SLOTS:
        match = pattern.search(text)
        if match and match.start() > 0:
            subject = text[: match.start()].strip().lower()
            subject = re.sub(r"'s$", "", subject)
            qualifier = match.group(0).lower() if name in ("favourite", "contact") else ""
            qualifier = re.sub(r"\b(?:is|was|'s)\b", "", qualifier).strip()
            return subject, name, qualifier
    return None


def contradicts(new: str, old: str) -> bool:
    """True when both facts fill the same single-valued slot of the same subject."""
    if new.strip().lower() == old.strip().lower():
        return False
    a, b = slot_of(new), slot_of(old)
    return a is not None and a == b
