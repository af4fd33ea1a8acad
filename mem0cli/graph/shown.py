"""What a speaker shows rather than states: a shared photo ("... [shares a photo: a photo
of a painting of a sunset over a lake]") and "here's my X" / "check out X".

A caption says what the photo holds, so the speaker -share photo of-> each thing in it:
"a photo of a horse painted on a wooden wall", shared by Melanie, gives (Melanie, share
photo of, horse) and (Melanie, share photo on, wooden wall); the wrapper ("a photo of",
"a photography of") names nothing. "Here's a photo of my horse painting I did" is read as
"Melanie shows a photo of Melanie's horse painting": (Melanie, show of, Melanie's horse
painting). Both by grammar only, as `parse` reads a clause.
"""

from __future__ import annotations

import re

from .parse import MAX_FACT_CHARS, Mention, Triple, verb_phrase

_CAPTION = re.compile(r"\[shares a photo:\s*([^\]]*)\]")
#: "a photo of", "a close up of", "an image of": the caption's wrapper, naming nothing.
_WRAPPER = re.compile(
    r"^(?:there is |this is |it is )?(?:a|an|the)?\s*(?:photo|photograph|photography|picture|pic|image|snapshot|"
    r"screenshot|close[- ]?up|view)\s+(?:of\s+)?",
    re.I,
)
#: A sentence that shows something: "Here's ...", "Check out ...", "Take a look at ...".
#: What a shown sentence names besides its content ("here's a pic of ...").
_MEDIA = frozenset("photo photos pic pics picture pictures shot snap image".split())
_SHOWING = re.compile(r"(?:^|(?<=[.!?]\s))(?:here's|here is|here are|check out|take a look at|look at)\s+", re.I)


def photos(text: str) -> list[str]:
    """The shared-photo markers of a turn ("[shares a photo: ...]"), as written."""
    return [m.group(0) for m in _CAPTION.finditer(text)]


def shown_triples(text: str, speaker: str | None) -> list[Triple]:
    """The relations of what `speaker` shows in `text`: each shared photo's caption, and
    the sentences that show something ("here's ...", "check out ..."), as `show` relations."""
    if not speaker:
        return []
    text = text[:MAX_FACT_CHARS]  # as `parse_fact` reads a fact
    who = Mention(speaker, "person")
    triples: list[Triple] = []
    for caption in _CAPTION.findall(text):
        body = _WRAPPER.sub("", caption.strip(), count=1)
        if not body:
            continue
        for t in verb_phrase(who, f"shares {body}", speaker):
            relation = "share photo " + (t.relation.split(" ", 1)[1] if " " in t.relation else "of")
            triples.append(Triple(t.subject, relation, t.object))
    said = _CAPTION.sub("", text)
    for start in _SHOWING.finditer(said):
        sentence = re.split(r"(?<=[.!?])\s", said[start.end():], maxsplit=1)[0]
        sentence = re.sub(r"\b[Ii]\s+(?:did|made|painted|took|drew|wrote|built|baked|cooked)\b.*$", "", sentence)
        sentence = re.sub(r"\b(?:my|our)\b", lambda _m: f"{speaker}'s", sentence)  # a name is no pattern
        triples.extend(t for t in verb_phrase(who, f"shows {sentence.strip(' .!?')}", speaker) if t.subject is who)
    return [t for t in triples if t.object.key not in _MEDIA]
