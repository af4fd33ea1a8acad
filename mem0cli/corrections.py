"""Corrections of facts stored by an earlier add: "actually it's Tuesday, not Monday" rewrites the
newest stored fact of the scope that says Monday ("Standup is Monday at 10am" -> "Standup is
Tuesday at 10am"), and the new fact supersedes it (`checks.FactChecker`, through `Fact.corrects`).

A correction inside one add is the candidates' job (`candidates._apply_self_corrections`); this
covers the one with nothing in its own conversation to attach to.
"""

from __future__ import annotations

import re

from . import filters as flt
from .candidates import corrections_in, normalise, strip_noise
from .models import Fact, Message
from .store.base import Store

#: Stored facts looked at for the corrected value (the keyword index finds them by it).
_LOOK_AT = 20
#: A message that corrects an earlier one says so, or says little else: "actually it's Tuesday,
#: not Monday", "sorry, Leeds not York", "Tuesday, not Monday". A contrast in the middle of a
#: longer message ("... with Ana and Tom, funny, not sad.") is no correction of a stored fact.
_SAYS_IT_CORRECTS = re.compile(r"^\W*(?:actually|sorry|no|nope|oops|correction|wait|i meant|my bad|scratch that)\b", re.I)
_FEW_WORDS = 6


def stored_corrections(
    store: Store, messages: list[Message], facts: list[Fact], scope: dict[str, str | None]
) -> list[Fact]:
    """New facts for the corrections in the user's `messages` that none of the extracted
    `facts` carries: each a stored fact of `scope` with the wrong value replaced by the right one."""
    if not store.exists():
        return []
    out: list[Fact] = []
    for message in messages:
        text = normalise(strip_noise(message.content))
        if message.role != "user" or not (_SAYS_IT_CORRECTS.match(text) or len(text.split()) <= _FEW_WORDS):
            continue
        for right, wrong in corrections_in(text):
            if _covered(right, wrong, facts + out):
                continue
            older = _newest_saying(store, wrong, right, scope, message.name)
            if older is None:
                continue
            fixed = re.sub(rf"\b{re.escape(wrong)}\b", right, older.memory, flags=re.I)
            out.append(Fact(text=fixed, source_ids=(message.id,) if message.id else (), said_at=message.created_at,
                            speaker=message.name or older.speaker, corrects=wrong))
    return out


def _covered(right: str, wrong: str, facts: list[Fact]) -> bool:
    """Whether an extracted fact already states the right value or corrects the wrong one."""
    says_right = re.compile(rf"\b{re.escape(right)}\b", re.I)
    return any(f.corrects and f.corrects.lower() == wrong.lower() or says_right.search(f.text) for f in facts)


def _newest_saying(store: Store, wrong: str, right: str, scope: dict[str, str | None], speaker: str | None):
    """The newest live fact of `scope` (by `speaker`, when named) that says `wrong` and not `right`."""
    tree = flt.scope_filter(**scope, filters={"memory_type": "fact"})
    hits = store.keyword_candidates(wrong, tree, _LOOK_AT)
    says_wrong = re.compile(rf"\b{re.escape(wrong)}\b", re.I)
    says_right = re.compile(rf"\b{re.escape(right)}\b", re.I)
    rows = [
        r for r in store.rows([h.key for h in hits]).values()
        if says_wrong.search(r.memory) and not says_right.search(r.memory) and not r.superseded_by
        and (speaker is None or r.speaker in (None, speaker))
    ]
    return max(rows, key=lambda r: (r.said_at or r.created_at or "", r.created_at or ""), default=None)
