"""The name a scope's user gave in an earlier add ("I'm Jordan" stored "User's name is Jordan"),
so that later adds write "Jordan has 2 kids" rather than "User has 2 kids".

Read from the stored name facts themselves, not kept aside: forgetting the name fact forgets
the name, and an export and import carry it.
"""

from __future__ import annotations

import re

from . import filters as flt
from .candidates import display_name
from .store.base import Store

_NAME_FACT = re.compile(r"^(?P<who>.+?)'s name is (?P<name>[A-Z][\w'-]*)$")
#: Name facts looked at (the keyword index finds them by the word "name").
_LOOK_AT = 50


def speaker_name(store: Store, scope: dict[str, str | None]) -> str | None:
    """The name extraction should use for the scope's user: the latest name they gave
    about themselves in any run, else their user_id (or agent_id) as given."""
    default = scope.get("user_id") or scope.get("agent_id")
    if default is None or not store.exists():
        return default
    who = {"user_id": default} if scope.get("user_id") else {"agent_id": default}
    tree = flt.scope_filter(**who, filters={"memory_type": "fact"})
    hits = store.keyword_candidates("name", tree, _LOOK_AT)
    rows = sorted(store.rows([h.key for h in hits]).values(), key=lambda r: (r.created_at or "", r.id))
    shown = current = display_name(default)
    for row in rows:
        found = _NAME_FACT.match(row.memory)
        if found and found["who"] in {"User", shown, current}:
            current = found["name"]
    return current if current != shown else default
