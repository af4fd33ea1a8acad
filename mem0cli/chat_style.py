"""Whether a conversation is a chat between peers or a person talking to an assistant.

The accept decision (acceptance.py) keeps a candidate at or above a threshold chosen on
validation conversations, and the best threshold depends on the kind of chat. Between
peers both speakers talk about themselves at length ("I have two jobs", "my dad was a
lawyer"), most clauses are small talk and a person writes down few of them, so the F1-best
threshold is lower than in a chat with an assistant, which talks about the user, not
itself. The difference is read from the grammar of the other speaker's turns: in how many
of them it states something about its own life (a first-person subject with a lexicon
verb, "I'm a/from/in ...", "my" before a noun). Quoted passages (drafts the assistant
writes in the user's voice) and the phrases assistants use of themselves ("I'd suggest",
"my apologies") do not count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .candidates import strip_noise
from .lexicon import PAST_IRREGULAR, VERBS
from .models import Message

# verbs an assistant uses of itself: "I suggest", "I hope this helps", "I see", "I understand"
_ASSISTANT_VERBS = frozenset("help suggest recommend think hope see understand know mean guess note wish try need want "
                             "feel say get".split())
_OWN_LIFE = re.compile(
    r"\b(?i:my)\s+(?!(?:pleasure|apologies|bad|mistake|suggestion|advice|recommendation|answer|guess|understanding)\b)[a-z]+"
    r"|\bI(?:'m| am)\s+(?:a|an|from|in|into|married|retired|\d)\b"
    r"|\bI\s+(?:(?:just|also|really|usually|still|never|always|used to)\s+)?(?:"
    + "|".join(sorted((VERBS | PAST_IRREGULAR | {"am", "was"}) - _ASSISTANT_VERBS)) + r")\b"
)
#: at least this many of the other speaker's turns, and this share of them, speak of its own life
PEER_TURNS = 2
PEER_SHARE = 0.25


def speaks_of_itself(text: str) -> bool:
    """Whether a turn states something about its speaker's own life ("I work in the movies as well")."""
    return bool(_OWN_LIFE.search(strip_noise(text)))


def is_peer_chat(messages: Sequence[Message]) -> bool:
    """Whether the other speaker (role "assistant") talks about its own life like a person would."""
    others = [m.content for m in messages if m.role == "assistant" and m.content]
    own = sum(1 for text in others if speaks_of_itself(text))
    return own >= PEER_TURNS and own >= PEER_SHARE * len(others)
