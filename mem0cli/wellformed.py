"""The last step of extraction: every stored fact is one well-formed standalone sentence.

A fact is well-formed when it has a subject that names who it is about (no
unresolved "he"/"it", no imperative), a verb that agrees with it, nothing
dangling at the end ("and", a comma, an open quote or bracket), no tautology
("Alex is Alex", "Alex's name is Alex"), no first or second person outside
quotes, no empty hesitation ("um", "hmm"), no bare auxiliary left of an answer
("Sam does not", "Sam did too"), and none of what a chat between two people leaves in
a clause: an opening interjection or thanks ("Wow, ...", "Thanks Gina, ..."), the
partner addressed at the end (", Gina"), a plural possessed subject with a singular
verb ("Gina's customers is"), a gerund fragment with no finite verb of its own.

`repair()` turns one text into the facts it safely stands for: coordinated
predicates are split with the subject carried over ("Alice lives in Seattle and
prefer oat milk" -> "Alice lives in Seattle", "Alice prefers oat milk"), a
dangling conjunction or comma is cut, hesitations and emoticons are removed, a
first person left over is rewritten to the speaker. What cannot be repaired
safely is dropped (an empty list). `problems()` names what is wrong with a text
and is what the bench counts as malformed.

The rules are grammar-level: a lexicon of common English verbs tells a verb
from a noun after "and"; nothing here is fitted to particular conversations.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace

from .candidates import rewrite_first_person
from .lexicon import ADVERBS, AUXILIARY, MODALS, VERBS, third_person, verb_form  # noqa: F401 - VERBS, verb_form re-exported
from .models import Fact

_PRONOUN_SUBJECT = frozenset(
    "he she it they them this that these those there his her its their him i'm it's that's there's here here's".split()
)
# a sentence opened by an interjection or thanks is a chat reply, not a fact ("Woah, that pic's from ...")
_INTERJECTION = re.compile(r"^(?:wow|woah|whoa|oh|ooh|aw+|yeah|yep|yay|hey|hi|hello|omg|haha|lol|thanks|thank you|"
                           r"glad|congrats|congratulations)\b", re.I)
# nouns in -s that are singular ("Jon's news is")
_SINGULAR_IN_S = frozenset("news series species physics mathematics politics economics athletics gymnastics lens "
                           "means crossroads headquarters".split())
# a verb contracted onto its subject or "not": "don't", "they're", "I've"
_CONTRACTED_VERB = ("n't", "'re", "'ve", "'ll", "'d", "'m")
# what may join a second clause to the first: "Alex is proud of how far Alex has come"
_CLAUSE_OPENERS = frozenset("and but or so because since while when where how what why who whom whose which that "
                            "if unless until after before as though although whether than".split())
# "I" after a capitalised word is a numeral ("Type I", "World War I"), not the speaker
_NUMERAL_I = "".join(rf"(?<![A-Z][a-z]{{{n}}} )" for n in range(1, 9))
_FIRST_PERSON = re.compile(_NUMERAL_I + r"\bI\b(?!\.)|\b(?:I'm|I've|I'd|I'll)\b"
                           r"|(?<![\w-])(?i:me|my|mine|myself)(?![\w-])|\b(?:we|us|our|ours|ourselves|We|Our)\b")
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|you're|you've|you'll|you'd)\b", re.I)
_HESITATION = re.compile(r"(?<![\w'])(?:u+m+|u+h+|e+r+m+|e+r|h+m+|m{2,}|e+h+|a+h+)(?![\w'])[\s,.!?\u2026-]*", re.I)
_LEADING_WELL = re.compile(r"^(?:well|so|like|okay|ok)\b(?:\s*(?:\.{2,}|\u2026|,))\s*", re.I)
_EMOTICON = re.compile(r"(?:(?<=\s)|^)(?:[:;=8][-'^o]?[()\[\]DPpOo/\\|*]+|[()\[\]][-'^]?[:;=]|<3|\^_?\^|xD|XD)(?=\s|$|[.,!?])")
_DANGLING_END = re.compile(r"(?:[\s,;:\-\u2013\u2014/&+]|\.{2,}|\u2026|\b(?-i:and|but|or|nor|plus|because))+$", re.I)
# a conjunction with only an adverb after it was cut short: "moved to Almaty last month and now"
_DANGLING_ADVERB = re.compile(r",?\s+(?:and|but|or)\s+(?:now|then|so|also|still|yet)[.!]*$", re.I)
# a possessive with its noun left out: "Thandiwe's are falling apart" (my [shoes] are ...)
_NOUN_LEFT_OUT = re.compile(r"^[A-Z][\w-]*'s\s+(?:is|are|was|were|has|have)\b")
# words that need something after them: a fact ending in one is cut short ("plans to").
# A stranded preposition ("where Alex is from") or an elided verb ("when Alex can") is fine.
_NEEDS_COMPLEMENT = frozenset("to the a an my their our your its very than".split())
# a modal after a comma opens a clause that was cut off ("works at a lab, should"); "when Alex can" is whole
_DANGLING_MODAL = re.compile(r",\s*(?:should|could|would|can|will|might|must|shall|may)$", re.I)
# "or" joins alternatives, not two facts: "walks or cycles to work" stays whole
_SPLIT_POINT = re.compile(r"(?:,\s*and|,|;)?\s+(?:and|but|then|and\s+then|and\s+also)\s+|,\s+")
_TAUTOLOGY = re.compile(
    r"^(?P<x>.+?)(?:'s?\s+(?:(?:real|full|first|actual)\s+)?name)?\s+(?:is|was|goes by|is called)\s+(?:called\s+)?(?P<y>.+?)[.!]?$",
    re.I,
)

# a self-introduction with an apposition, rewritten: "Dana is Dana, a product manager at Shopify"
_SELF_APPOSITION = re.compile(r"^(?P<x>[A-Z][\w'-]*(?: [A-Z][\w'-]*)?) (?P<verb>is|was) (?P=x),\s+(?=\S)")


@dataclass
class Checked:
    """The facts a batch of texts stands for, and how many were repaired or dropped."""

    texts: list[list[str]]  # per input: [] dropped, [same] unchanged, else repaired
    repaired: int = 0
    dropped: int = 0




def _unquoted(text: str) -> str:
    """The text with double-quoted passages blanked (a quote may hold "I" and "you")."""
    return re.sub(r"\"[^\"]*\"|\u201c[^\u201d]*\u201d", lambda m: " " * len(m.group(0)), text)


def _names_equal(x: str, y: str) -> bool:
    """Whether two names are the same (a fact naming someone by their own name says nothing)."""
    def key(s: str) -> str:
        return re.sub(r"[\W_]+", " ", s).strip().lower()

    return key(x) == key(y) != ""


def is_tautology(text: str, names: Collection[str] = ()) -> bool:
    """ "Alex is Alex", "Alex's name is alex", "User is User"; "User is Alex" where Alex is the display name.

    `names` are the display names of the conversation's speakers: when none of
    them is the generic "User", "User" is one of them already.
    """
    match = _TAUTOLOGY.match(text.strip())
    if not match:
        return False
    x, y = match.group("x"), match.group("y")
    lowered = {n.lower() for n in names}
    generic = x.lower() == "user" and "user" not in lowered and y.lower() in lowered
    return generic or _names_equal(x, y)


def _unbalanced(text: str) -> int | None:
    """Index of the first unbalanced opening bracket or double quote, or None."""
    depth: list[int] = []
    for i, ch in enumerate(text):
        if ch in "([{":
            depth.append(i)
        elif ch in ")]}" and depth:
            depth.pop()
    quotes = [i for i, ch in enumerate(text) if ch == '"']
    opens = [i for i, ch in enumerate(text) if ch == "\u201c"]
    if len(quotes) % 2:
        depth.append(quotes[-1])
    if len(opens) > text.count("\u201d"):
        depth.append(opens[-1])
    return min(depth) if depth else None


def _subject_and_verb(words: list[str]) -> tuple[int, tuple[str, str]] | None:
    """Index and (lemma, form) of the first finite verb after a subject of up to 7 words."""
    for i, word in enumerate(words[1:8], start=1):
        if word.lower() in MODALS:
            return i, (word.lower(), "modal")
        form = verb_form(word)
        if form and (form[1] != "base" or _plural(" ".join(words[:i]))):
            return i, form
    return None


def problems(text: str, names: Collection[str] = ()) -> list[str]:
    """What makes `text` malformed as a stored fact; empty when it is well-formed."""
    out = []
    bare = _unquoted(text)
    words = re.findall(r"[\w][\w'.@/:+-]*", text)
    if len(words) < 3:
        out.append("too short")
    existential = len(words) > 1 and words[0].lower() == "there" and words[1].lower() in {"is", "are", "was", "were"}
    if words and words[0].lower() in _PRONOUN_SUBJECT and not existential:
        out.append("no subject")
    elif words and verb_form(words[0]) and verb_form(words[0])[1] == "base" and words[0] not in names \
            and not (len(words) > 1 and verb_form(words[1])):
        out.append("no subject")  # an imperative: "Call Bob Bob"
    if _NOUN_LEFT_OUT.match(text):
        out.append("no subject")
    if _DANGLING_END.search(text) or _DANGLING_MODAL.search(text) or _DANGLING_ADVERB.search(text) \
            or _dangling_so(words) \
            or (words and words[-1].lower() in _NEEDS_COMPLEMENT) \
            or _unbalanced(text) is not None:
        out.append("dangling end")
    if _EMOTICON.search(text):
        out.append("emoticon")
    if is_tautology(text, names):
        out.append("tautology")
    if _FIRST_PERSON.search(bare):
        out.append("first person")
    if _SECOND_PERSON.search(bare):
        out.append("second person")
    if _HESITATION.search(bare) or _LEADING_WELL.match(text):
        out.append("hesitation")
    if _glued_at(text) is not None:
        out.append("glued predicates")
    if len(words) >= 3 and not _has_verb(words):
        out.append("no verb")  # a noun phrase, not a sentence: "Dana's dog Biscuit"
    if _ELLIPSIS.match(text):
        out.append("no predicate")  # an answer's ellipsis: "Sam does not", "Sam did too", "Sam does, it is ..."
    if _INTERJECTION.match(text):
        out.append("interjection")
    if _vocative(text, names):
        out.append("vocative")  # "Jon won't give up, Gina": the chat partner addressed
    if _disagrees(words):
        out.append("verb does not agree")  # "Gina's customers is tough"
    if _gerund_fragment(words) or _two_predicates(words):
        out.append("not one clause")  # "Being Gina's own boss and doing something"; "Jon is seeing X is fun"
    return out


def _vocative(text: str, names: Collection[str]) -> re.Match[str] | None:
    """A speaker's name addressed at the end: ", Gina" in "Jon won't give up, Gina"."""
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True) if n)
    return re.search(rf",\s*(?:{alternatives})[.!]*$", text, re.I) if alternatives else None


def _disagrees(words: list[str]) -> bool:
    """A plural possessed noun with a singular verb: "Melanie's kids was", "Gina's customers is"."""
    found = _subject_and_verb(words)
    if found is None or words[found[0]].lower() not in {"is", "was", "has"}:
        return False
    subject = words[: found[0]]
    last = subject[-1]
    possessed = any(w.endswith("'s") for w in subject[:-1])
    plural = bool(re.fullmatch(r"[a-z]+[^s'u]s|people|children", last)) and last not in _SINGULAR_IN_S
    return possessed and plural


def _finite_at(words: list[str], i: int) -> bool:
    """Whether words[i] is a finite verb: an auxiliary, a modal, a contraction, a -s or past
    form not right after a determiner or a possessive ("the needs", "Ana's plans" are nouns)."""
    low = words[i].lower()
    if low in AUXILIARY or low in MODALS or low.endswith(_CONTRACTED_VERB):
        return True
    form = verb_form(low)
    before = words[i - 1].lower() if i else ""
    return bool(form and form[1] in {"3sg", "past"}) and before not in _DETERMINERS and not before.endswith("'s")


def _gerund_fragment(words: list[str]) -> bool:
    """A gerund phrase with no finite verb: "Getting to know the needs of Maria's neighbourhood"."""
    return bool(words) and re.fullmatch(r"[A-Z][a-z]+ing", words[0]) is not None \
        and not any(_finite_at(words, i) for i in range(1, len(words)))


def _two_predicates(words: list[str]) -> bool:
    """A gerund subject glued behind "X is": "Jon is helping those in need is important to Jon"."""
    if len(words) < 4 or words[1].lower() not in {"is", "was"} or not words[2].lower().endswith("ing"):
        return False
    for i in range(3, len(words)):
        low = words[i].lower()
        if low in _CLAUSE_OPENERS or words[i - 1].endswith(","):
            return False
        if low in {"is", "was"}:
            return True
    return False


# a subject and an auxiliary with nothing it governs: the predicate was in another turn
_ELLIPSIS_TAIL = r"(?:\s+(?i:not|never|too|also|either|really|still|so|as well))*"
_ELLIPSIS = re.compile(
    r"^[A-Z][\w'-]*(?:'s\s+[a-z][\w-]*)?\s+(?:(?i:is|are|was|were|am|do|does|did|has|have|had|can|could|will|would|"
    r"should|must)" + _ELLIPSIS_TAIL + r"\s*[.!]*$|(?i:do|does|did)" + _ELLIPSIS_TAIL + r"\s*,)"
)


def _has_verb(words: list[str]) -> bool:
    """Whether some word after the first can be a finite verb (lexicon, auxiliary, -s/-ed, a contraction)."""
    for word in words[1:]:
        low = word.lower()
        if low in AUXILIARY or low in MODALS or low.endswith(_CONTRACTED_VERB):
            return True
        if verb_form(word) or (word.islower() and re.fullmatch(r"[a-z]+(?:ed|[^s'u]s)", low)):
            return True
    return bool(words) and words[0].lower().endswith(("'re", "'ve", "'ll", "'m", "n't"))


def _dangling_so(words: list[str]) -> bool:
    """A final "so" with no verb before it opens a clause ("lives in Cork so"); "thinks so" is whole."""
    if len(words) < 2 or words[-1] != "so":
        return False
    lemma = (verb_form(words[-2]) or ("", ""))[0]
    return lemma not in {"think", "hope", "say", "believe", "guess", "suppose", "expect", "do", "tell", "imagine",
                     "said", "told", "thought", "did"}


def _glued_at(text: str) -> tuple[int, int, str] | None:
    """Where a second predicate is coordinated: (cut start, verb start, carried prefix)."""
    words = text.split()
    found = _subject_and_verb(words)
    if found is None:
        return None
    vi, (_lemma, form) = found
    verb_start = len(" ".join(words[:vi])) + 1
    for point in _SPLIT_POINT.finditer(text, verb_start + len(words[vi])):
        rest = text[point.end():]
        adverbs = re.match(r"(?:(?:" + "|".join(ADVERBS) + r")\s+)*", rest, re.I)
        after = rest[adverbs.end():] if adverbs else rest
        head = re.match(r"([A-Za-z]+)(.*)$", after)
        if not head or not head.group(2).strip() or re.match(r"\s+of\b", head.group(2)):
            continue  # no complement, or "the smell and taste of coffee": a noun
        second = verb_form(head.group(1))
        conjunction = re.search(r"\b(?:and|but|then)\b", point.group(0))
        if second is None or (second[1] == "base" and not conjunction):
            continue  # after a bare comma a base form is a noun or another clause: ", like 40 people"
        prefix = _carried_prefix(text[: point.start()], words[:vi], form, second[1])
        if prefix is not None:
            return point.start(), point.end(), prefix
    return None


_DETERMINERS = frozenset("the a an my his her their our your its this that these those some any every each all no".split())
# words after which a verb keeps its base form: "wants to move", "can play", "does not eat"
_CHAIN_WORDS = r"\b(?:to|can|could|will|would|should|must|might|may|not|don't|doesn't|didn't|can't|cannot|won't|never)"
_CHAIN = re.compile(_CHAIN_WORDS + r"\s+(?=(?:(?:" + "|".join(ADVERBS) + r")\s+)*[A-Za-z]+\b)", re.I)
_ENDS_IN_CHAIN = re.compile(_CHAIN_WORDS + r"\s+$", re.I)


def _carried_prefix(before: str, subject: list[str], form: str, second: str) -> str | None:
    """What the second predicate inherits: the subject, or the verb chain up to "to"/"can".

    A base verb after "and" belongs to the nearest "to V" / "can V" / "not V"
    before it ("wants to learn Spanish and move to Madrid"); with none, it is a
    second predicate of a singular subject whose verb did not agree.
    """
    subject_text = " ".join(subject) + " "
    if second == "base":
        for chain in reversed(list(_CHAIN.finditer(before))):
            following = [w for w in before[chain.end():].split() if w.lower() not in ADVERBS]
            if following and following[0].islower() and following[0] not in _DETERMINERS:
                return before[: chain.end()]  # "to feed them carrots and make them beds"
        return subject_text if form in {"3sg", "base"} else None
    return subject_text if second == form else None


def repair(text: str, names: Collection[str] = (), speaker: str | None = None, depth: int = 0) -> list[str]:
    """The well-formed facts `text` safely stands for: itself, its repaired parts, or nothing."""
    text = _tidy(text, speaker, names)
    if text is None:
        return []
    glued = _glued_at(text) if depth < 6 else None
    if glued is not None:
        cut, start, prefix = glued
        head = text[:cut]
        rest = text[start:]
        second = _agree(prefix, rest)
        return repair(head, names, speaker, depth + 1) + repair(second, names, speaker, depth + 1)
    return [] if problems(text, names) else [text]


def _agree(prefix: str, rest: str) -> str:
    """Prefix + the carried-over predicate, its verb made third person singular where it must be."""
    if _ENDS_IN_CHAIN.search(prefix):
        return prefix + rest  # "wants to" + "move to Madrid": the base verb stays
    adverbs = re.match(r"(?:(?:" + "|".join(ADVERBS) + r")\s+)*", rest, re.I)
    lead = rest[: adverbs.end()] if adverbs else ""
    verb, _, tail = rest[len(lead):].partition(" ")
    form = verb_form(verb)
    if form and form[1] == "base" and not _plural(prefix):
        verb = third_person(verb)
    return f"{prefix}{lead}{verb} {tail}".strip()


def _plural(subject: str) -> bool:
    """A subject that takes a plural verb: "Alex and Sam", "Alex's parents" (adverbs aside)."""
    words = [w for w in subject.split() if w.lower() not in ADVERBS]
    last = words[-1] if words else ""
    return " and " in subject or bool(re.fullmatch(r"[a-z]+[^s']s|people|children", last))


def _tidy(text: str, speaker: str | None, names: Collection[str] = ()) -> str | None:
    """Safe local repairs: spacing, emoticons, hesitations, dangling ends, a first person left,
    a speaker addressed at the end."""
    text = re.sub(r"\s+", " ", text).strip()
    vocative = _vocative(text, names)
    if vocative:
        text = text[: vocative.start()]
    emoticon = _EMOTICON.search(text)
    if emoticon:  # an emoticon ends a sentence in chat: what follows is another one
        text = text[: emoticon.start()].strip()
    text = _LEADING_WELL.sub("", text)
    text = _SELF_APPOSITION.sub(r"\g<x> \g<verb> ", text)  # "Dana is Dana, a nurse" -> "Dana is a nurse"
    bare = _unquoted(text)
    if _HESITATION.search(bare):
        text = _HESITATION.sub(lambda m: " " if bare[m.start():m.end()].strip() else m.group(0), text)
    text = re.sub(r"\s+([,.!?;:])", r"\1", re.sub(r"\s+", " ", text)).strip()
    open_at = _unbalanced(text)
    if open_at is not None:
        text = text[:open_at]
    text = _DANGLING_END.sub("", _DANGLING_MODAL.sub("", _DANGLING_ADVERB.sub("", text))).strip()
    if _dangling_so(text.split()):
        text = _DANGLING_END.sub("", text[:-2]).strip()
    text = re.sub(r"[.!]+$", "", text).strip()
    if speaker and _FIRST_PERSON.search(_unquoted(text)):
        text = rewrite_first_person(text, speaker)
    return text[:1].upper() + text[1:] if text else None


def check(texts: list[str], names: Collection[str] = (), speakers: list[str | None] | None = None) -> Checked:
    """Repair or drop each text; counts how many were repaired and how many dropped."""
    result = Checked(texts=[])
    for i, text in enumerate(texts):
        speaker = speakers[i] if speakers else None
        fixed = repair(text, names, speaker)
        result.texts.append(fixed)
        if not fixed:
            result.dropped += 1
        elif fixed != [text]:
            result.repaired += 1
    return result


def check_facts(facts: list[Fact], names: Collection[str] = ()) -> tuple[list[Fact], int, int]:
    """The last step of every extraction path: (well-formed facts, repaired, dropped).

    A repaired fact keeps its sources and score; a split gives one fact per part.
    Facts whose text repeats an earlier one (after repair) are dropped too.
    """
    checked = check([f.text for f in facts], names, [f.speaker for f in facts])
    out: list[Fact] = []
    seen: set[str] = set()
    dropped = checked.dropped
    for fact, texts in zip(facts, checked.texts):
        for text in texts:
            key = re.sub(r"\W+", " ", text.lower()).strip()
            if key in seen:
                dropped += 1 if len(texts) == 1 else 0
                continue
            seen.add(key)
            out.append(replace(fact, text=text))
    return out, checked.repaired, dropped
