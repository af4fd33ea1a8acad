"""Deterministic fact candidates: user clauses rewritten in the third person.

This is the part of extraction that rules do reliably: splitting messages into
sentences and clauses, dropping what cannot be a fact (questions, requests to
the assistant, greetings, hypotheticals, quoted text), rewriting the first
person to the speaker's name ("I'm 41" -> "Sven is 41", lowercase "im" too),
resolving relative dates, and a few cross-turn joins (an elided subject, a
pronoun for someone named earlier, a correction of the assistant's claim).
Whether a candidate is a *lasting* fact is left to a judge (see extract.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .dates import resolve_dates
from .implied import implied_possessions
from .lexicon import (
    ADVERBS,
    BEFORE_VERB,
    MODALS,
    PAST_IRREGULAR,
    VERBS,
    is_past_verb,
    possessive,
    singular,
    third_person,
    verb_form,
)
from .models import Message
from .stopwords import STOP_WORDS

# -- vocabulary ---------------------------------------------------------------

_SLANG = {
    "im": "I'm", "i'm": "I'm", "ive": "I've", "i've": "I've", "i'd": "I'd", "i'll": "I'll",
    "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "cant": "can't", "wont": "won't",
    "isnt": "isn't", "wasnt": "wasn't", "arent": "aren't", "havent": "haven't", "hasnt": "hasn't",
    "shes": "she's", "hes": "he's", "theyre": "they're", "thats": "that's", "whats": "what's",
    "u": "you", "ur": "your", "r": "are", "abt": "about", "w/": "with", "bc": "because",
    "cuz": "because", "coz": "because", "rn": "currently", "tho": "though", "thru": "through",
    "gf": "girlfriend", "bf": "boyfriend", "bday": "birthday", "yrs": "years", "yr": "year",
    "wk": "week", "wks": "weeks", "hrs": "hours", "hr": "hour", "mins": "minutes", "pls": "please",
    "plz": "please", "ppl": "people", "smth": "something", "sth": "something", "gonna": "going to",
    "wanna": "want to", "gotta": "have to", "kinda": "somewhat", "sorta": "somewhat", "sum": "some",
    "thx": "thanks", "ty": "thanks", "tysm": "thanks", "nvm": "never mind", "dunno": "don't know",
    "idk": "I don't know", "w": "with", "hw": "how", "yo": "", "lol": "", "lmao": "", "af": "",
    "fr": "", "ngl": "", "tbh": "", "omg": "", "haha": "", "hahaha": "", "ha": "", "lmk": "",
    "bro": "", "fam": "",
}
# a word in -ly before a verb is an adverb ("I completely agree"), except these verbs
_LY_VERBS = "apply|reply|rely|supply|fly|comply|multiply|imply|ally|bully|rally|tally|sully|dally"
ADVERB = r"(?:" + "|".join(sorted(ADVERBS)) + r"|(?!(?:" + _LY_VERBS + r")\b)[a-z]{2,}ly)"
_BEFORE_VERB = r"(?:" + ADVERB + "|" + "|".join(sorted(BEFORE_VERB)) + r")"  # what a subject's verb may follow
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|(?i:my|me|mine|myself|we|we're|we've|we'll|we'd|our|ours|us))\b(?!-)")
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|you're|you've|you'll|you'd)\b", re.I)
_QUESTION_START = re.compile(
    r"^(?:how|what|what's|whats|why|when|where|which|who|whom|whose|is|are|am|was|were|do|does|did|"
    r"can|could|should|would|will|shall|may|might|any|anything|anyone|is there|are there|"
    r"how about|what about|wdyt|thoughts)\b",
    re.I,
)
_IMPERATIVE_START = re.compile(
    r"^(?:please |pls )?(?:give|suggest|tell|help|make|write|keep|add|mention|recommend|draft|explain|"
    r"show|list|find|translate|format|tighten|summari[sz]e|check|send|remind|remember|swap|"
    r"change|use|let's|let me|don't|do not|try|avoid|skip|stop|plan|put|fix|proofread|settle|"
    r"compare|describe|create|design|convert|look|consider|imagine|assume|pick|choose)\b",
    re.I,
)
_HYPOTHETICAL = re.compile(
    r"\b(?:if|hypothetically|suppose|supposing|imagine|what if|wish|would be nice|someday|one day|"
    r"in theory)\b",
    re.I,
)
_TRANSIENT = re.compile(
    r"\b(?:today|tonight|this morning|this afternoon|this evening|this week)\b"
    r"|\bhaving an? (?:\w+ )?(?:day|week|morning|night|evening|time)\b", re.I
)
_SMALL_TALK_START = re.compile(
    r"^(?:thanks|thank|thx|cheers|ok|okay|cool|great|perfect|nice|awesome|lovely|sounds|looks|"
    r"got it|good|yes|yeah|yep|no worries|sure|fine|bye|see you|talk later|morning|good morning|"
    r"hi|hello|hey|interesting|makes sense|fair|wild|class|brilliant|amazing|wow)\b",
    re.I,
)
_EVALUATIVE = re.compile(
    r"\b(?:sounds|looks|seems|is|are|was)\s+(?:\w+\s+)?(?:good|great|perfect|nice|genius|smart|"
    r"promising|sweet|helpful|fun|funny|a good idea|a great idea|a relief|better|lovely|right|"
    r"exactly what)\b",
    re.I,
)
_FEMALE = frozenset(
    """mother mom mum mama sister daughter wife girlfriend niece aunt auntie grandma granny
    grandmother fiancée fiancee stepmom stepmother""".split()
)
_MALE = frozenset(
    """father dad papa brother son husband boyfriend nephew uncle grandpa grandad grandfather
    fiancé fiance stepdad stepfather""".split()
)
_RELATION = _FEMALE | _MALE | frozenset("partner cousin kid child baby friend roommate flatmate youngest oldest eldest".split())
_GENERIC_IDS = frozenset({"user", "u", "usr", "me", "anon", "anonymous", "guest", "default", "id", "team", "project", "flat"})
_LEADING_FILLER = re.compile(
    r"^(?:(?:so|also|and|but|oh|btw|by the way|anyway|anyways|honestly|actually|basically|well|ok|okay|"
    r"yeah|yes|yep|nah|no|omg|ugh|hmm|hey|hi|hello|update|fyi|for context|context|heads up|"
    r"reminder that|random but|unrelated|plus|then|now|oh and|oh wait|wait|alright|right|"
    r"like|quick question|big changes|good news|news|sorry|ah|ahh|aw|lol|haha|since|because|as|cause|when|please|note|"
    r"that's why|that is why|which is why)\b[\s,:!.-]*)+",
    re.I,
)
_TRAILING_FILLER = re.compile(r"(?:[\s,]+(?:lol|haha|though|tho|btw|tbh|honestly|anyway|too|here|either|thanks|thank you|ugh|actually))+[\s!.]*$", re.I)
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200d]+")
# a quoted passage: its text may hold apostrophes ("I'm") but no closing quote, so a
# short quote ('about me') is never taken as the start of a long one
_QUOTED = re.compile(
    r"(?<![\w])(['\u2018\"\u201c])(?=\S)((?:(?!['\u2019\"\u201d](?!\w)).){12,}?)(?<=\S)(['\u2019\"\u201d])(?![\w])", re.S
)
_ABBREV = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Prof|Jr|Sr|vs|etc|e\.g|i\.e|approx|no)\.\s", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+\w")
_PHONE = re.compile(r"(?<![\w(])(?:\+?\d|\(\d)[\d ()-]{7,}\d(?![\w])")


@dataclass(frozen=True)
class Candidate:
    """A third-person clause that may be a fact, with where it came from."""

    text: str
    speaker: str
    source_ids: tuple[str, ...]
    said_at: str | None
    source_text: str  # the message text it must be grounded in
    kind: str  # first-person | elided | third-party | correction | identifier | name
    message_index: int
    clause: str = ""  # the clause before rewriting
    corrects: str | None = None  # the wrong value a correction replaces


@dataclass
class _SpeakerState:
    name: str
    referents: dict[str, str] = field(default_factory=dict)  # "she"/"he"/"it" -> text


def display_name(raw: str | None) -> str:
    """A name fit for fact text: "alice" -> "Alice", "priya_s" -> "Priya", "u-77310" -> "User"."""
    if not raw:
        return "User"
    parts = [p for p in re.split(r"[\s._-]+", raw.strip()) if p]
    words = [p for p in parts if p.isalpha() and len(p) > 1 and p.lower() not in _GENERIC_IDS]
    if not words:
        return "User"
    word = words[0]
    return word if any(c.isupper() for c in word) else word.capitalize()




# an apostrophe lost to a space, as in tokenised chat logs: "I m", "I ve", "don t"
_LOST_APOSTROPHE = re.compile(r"\b(I) (m|ve|ll|d)\b(?= )|\b((?i:don|doesn|didn|can|isn|wasn|aren|haven|hasn|won)) (t)\b(?= )")


def normalise(text: str) -> str:
    """Spell out chat slang and lowercase pronouns word by word ("im" -> "I'm", "r" -> "are")."""
    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        if low == "i":
            return "I"
        if low in _SLANG and (low not in {"w", "r", "u", "ha"} or word.islower()):
            return _SLANG[low]
        return word

    text = re.sub(r"(?<=[A-Za-z])\u2019(?=[A-Za-z])", "'", text)  # a typographic apostrophe: "I\u2019m"
    text = _LOST_APOSTROPHE.sub(lambda m: f"{m.group(1) or m.group(3)}'{m.group(2) or m.group(4)}", text)  # an apostrophe lost to a space: "I m", "don t"
    text = re.sub(r"(?<![\w@./-])[A-Za-z][A-Za-z'/]*(?![\w@/-]|\.\w)", fix, text)
    text = re.sub(r"\bI(?:ll)\b(?=\s+\w)", "I'll", text)
    text = re.sub(r"^ill\b(?=\s+(?:try|do|check|get|go|ask|have|be|make|see|let|send|take))", "I'll", text)
    text = re.sub(r"(\d)\s*(hours|hour)/(week)\b", r"\1 \2 a \3", text)
    return re.sub(r"[ \t]{2,}", " ", text)


def strip_noise(text: str) -> str:
    """Remove code, quoted passages and emoji: words that are not the user's own claims."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = _QUOTED.sub(" ", text)
    text = _EMOJI.sub("\n", text)  # an emoji usually ends a sentence in chat
    return text


def split_sentences(text: str) -> list[str]:
    text = _ABBREV.sub(lambda m: m.group(0).replace(". ", "\u2024 "), text)
    parts = re.split(r"(?<=[.!?])\s+|\n+|(?<=\.\.\.)\s*|\s+[-\u2013\u2014]\s+(?=[A-Za-z])", text)
    out = []
    for part in parts:
        part = part.replace("\u2024", ".").strip()
        if part:
            out.append(part)
    return out


_SPLIT_SUBJECT = r"(?:I|I'm|I've|I'd|I'll|(?i:my|we|we're|we've|our|he|she|he's|she's|his|her|they|they're|their))\b"
_CLAUSE_SPLIT = re.compile(
    r"\s*;\s*"
    r"|,?\s+but\s+"
    r"|,\s+so\s+|\s+so\s+(?=" + _SPLIT_SUBJECT + r"|(?:no|not|need|needs|please|any|can|could|should|what|how|it's|that's|there's)\b)"
    r"|,\s+(?=even\b)"
    r"|,?\s+(?=if\s+you\b)"  # "my wife is a doctor if you need help": the offer is the other's
    r"|,?\s+because\s+|,?\s+since\s+(?=" + _SPLIT_SUBJECT + r")"
    r"|,?\s+(?:although|though|while|whereas)\s+(?=" + _SPLIT_SUBJECT + r")"
    r"|,?\s+and\s+(?=" + _SPLIT_SUBJECT + r")"
    # "… and it hasn't arrived", "…, it's severe": a clause about the thing just named
    r"|,?\s+and\s+(?=it(?:'s)?\s)|,\s+(?=it's\s+\w+(?:\s+\w+)?[.!]*$)"
    # "… and the staging cluster is called orca-stg": a new subject with its own verb
    r"|,?\s+and\s+(?=(?:the|our|his|her|their)\s+(?:[\w'-]+\s+){0,2}(?:is|are|was|were|has|have)\s)"
    # "so" before a bare verb opens a request: "I'm diabetic so keep that in mind"
    r"|\s+so\s+(?=(?:" + "|".join(sorted(VERBS)) + r")\s)"
    r"|,\s+(?=(?:(?:maybe|perhaps|probably)\s+)?" + _SPLIT_SUBJECT + r")"
    r"|,\s+and\s+"
    r"|,\s+(?=(?:can|could|should|would|will|do|does|did|is|are|am)\s+(?:I|you|we|it|there|this|that|they)\b)"
    r"|,\s+(?=(?:what|how|why|where|when|which|any)\b)"
    # a new subject after a comma: a name or a short noun phrase with its own finite verb
    r"|,\s+(?=(?!(?:which|who|that|this|there|what|it|which|one|each|both|all|some|most)\b)"
    r"(?:(?:[A-Z][\w'-]+|(?:the|my|our|his|her|their)\s+[a-z][\w-]*|[a-z][\w-]*)"
    r"\s+(?:is|are|was|were|has|does|did|starts|ends|lives|works)\s"
    r"|(?-i:[A-Z][a-z][\w'-]*)\s+(?:[a-z]{2,}[^s\W]s|had|got|will|can)\s))"
)
# a run-on sentence: a new "I" clause after a content word, with no punctuation between
_NOT_BEFORE_RUN_ON = frozenset(
    """and or but nor that when if because so as than what where which who whom before after until till
    since while whether once unless though although cause how why think thought know knew guess hope bet
    wish say said feel felt mean believe hear heard glad sure afraid maybe also like whenever wherever
    then where's tell told realise realize see saw""".split()
)
_COPULA = re.compile(r"^(?:that|this|it|there|[A-Z][a-z]+)(?:\s+(?:is|was)|'s)\b", re.I)
_RUN_ON = re.compile(r"(?<=[a-z0-9])\s+(?=(?:I|I'm|I've|(?-i:My))\s+[a-z])")


def _split_run_on(sentence: str) -> list[str]:
    """"I do love the holidays I volunteer at a soup kitchen" -> two clauses."""
    pieces: list[str] = []
    start = 0
    for match in _RUN_ON.finditer(sentence):
        before = sentence[start:match.start()].split()
        copula = _COPULA.search(" ".join(before))
        if len(before) >= (2 if copula else 3) and before[-1].lower() not in _NOT_BEFORE_RUN_ON \
                and len(sentence[match.end():].split()) >= 3 and (_FIRST_PERSON.search(" ".join(before)) or copula):
            # both sides are clauses ("That is really cool I like cats"); "Around May I started" is one
            pieces.append(sentence[start:match.start()])
            start = match.end()
    return pieces + [sentence[start:]]
_PAST_PROGRESSIVE = re.compile(r"\b(?:I|we) (?:was|were) (?:(?:just|still|really|actually|only)\s+)?\w+ing\b")
_GERUND_FRAGMENT = re.compile(r"^(?:\w+ing)\b")
# a sentence that opens on a gerund, after adverbs: its subject is the speaker's last "I"
_ELIDED_GERUND = re.compile(r"^(?:(?:" + ADVERB + r")\s+)*(?!(?:thing|nothing|something|anything|everything|morning|evening|"
                            r"king|ring|spring|string|wedding|building|ceiling|feeling|meeting|during)\b)[a-z]{3,}ing\b"
                            r"|^(?:" + ADVERB + r")(?:\s+(?:" + ADVERB + r"))*\s+(?:in|at|on)\s", re.I)  # "Currently in high school"
_QUANTITY_FRAGMENT = re.compile(r"^(?:about|around|roughly|nearly|almost|over|under|just under|just over)?\s*[\d£$€]")


_SHARED_VERB = r"(?:has|have|is|was|works|lives|loves|hates|likes|plays|runs|owns|uses|goes|got|had|can't|cannot|does not|doesn't|never|also)"


def _split_shared_subject(pieces: list[str]) -> list[str]:
    """"Jonas is 7 and has an allergy" -> ["Jonas is 7", "Jonas has an allergy"]."""
    out: list[str] = []
    for piece in pieces:
        match = re.search(r"\s+and\s+(?=" + _SHARED_VERB + r"\b)", piece)
        if not match:
            out.append(piece)
            continue
        head, tail = piece[: match.start()], piece[match.end():]
        if _PAST_PROGRESSIVE.search(head):
            out.append(piece)  # "I was watching a vlog and got curious": one narrated moment
            continue
        if re.match(r"^(?:I'm|I am|I)\b", head):
            subject = "I"
        else:
            subj = re.match(r"^(.{1,60}?)\s+(?:is|are|was|were|has|have|had)\b", head)
            subject = subj.group(1) if subj and len(subj.group(1).split()) <= 5 else ""
        if not subject:
            out.append(piece)
            continue
        out.extend([head, f"{subject} {tail}"])
    return out


_FIRST_PERSON_SUBJECT = re.compile(r"^(I|[Ww]e)(?:'m|'ve|'d|'re)?\s")
# a clause spoken to the assistant, not about the speaker: "but call me later", "so keep that in mind"
_ADDRESSED = re.compile(r"\b(?:me|you|your|please|let|that|this|it)\b", re.I)


def _starts_with_verb(piece: str) -> bool:
    """Whether a clause opens with a finite verb of the lexicon: "moved to Austin", "work remotely"."""
    first = piece.split()[0] if piece.split() else ""
    return first.islower() and verb_form(first) is not None


def _carry_first_person(pieces: list[str]) -> list[str]:
    """Predicates that share the speaker as subject, each made a clause of its own.

    "I'm 34, live in Lisbon, and work remotely" -> "I'm 34", "I live in Lisbon", "I work remotely";
    "I used to live in Denver but moved to Austin" -> "... Denver", "I moved to Austin". A verb after
    "to" or a modal keeps its chain ("I want to travel, learn Spanish" stays whole), and a clause
    addressed to the assistant ("but call me later") inherits nothing.
    """
    out: list[str] = []
    subject: str | None = None
    lead: str | None = None  # "we use", when the clause before listed objects with their uses
    for piece in pieces:
        opening = _FIRST_PERSON_SUBJECT.match(piece)
        if opening:
            subject = opening.group(1)
        elif subject and _starts_with_verb(piece) and not _ADDRESSED.search(piece):
            piece = f"{subject} {piece}"
        elif lead and _OBJECT_AND_USE.match(piece) and not _has_finite_verb(piece) \
                and piece.split()[0].lower() not in STOP_WORDS:
            piece = f"{lead} {piece}"
        else:
            subject = None
        parts = _split_listed_predicates(piece, subject) if subject else [piece]
        lead = None
        for part in parts:
            verb = _SUBJECT_AND_VERB.match(part)
            split = _split_listed_objects(part, verb.group(0).strip()) if verb else None
            if split or (verb and _TAKES_OBJECT.match(part[verb.end():])):
                lead = verb.group(0).strip()  # "I use a ThinkPad, and neovim for everything": "I use" is carried
            out.extend(split or [part])
    return out


_SUBJECT_AND_VERB = re.compile(r"^(?:I|[Ww]e)\s+(?:" + ADVERB + r"\s+)*[a-z]+\s+")
# a verb's direct object follows it (not a preposition): "use a ThinkPad", not "deploy to fly.io"
_TAKES_OBJECT = re.compile(r"(?!(?:to|in|on|at|for|with|from|into|about|by|of|up|out|off|over|around|as|like|that|"
                           r"because|if|when|so|and|but|or)\b)(?:a|an|the|my|our|[A-Z][\w.+#-]*|[a-z]+)\b")
# an object with what it is for or where it runs: "terraform for infra", "kubernetes on GKE"
_OBJECT_AND_USE = re.compile(r"^(?!(?:a|an|the|some|it|that|this)\s)[\w.+#-]+(?:\s+[\w.+#-]+){0,2}\s+(?:for|on|as|in)\s+[\w.+#-]+(?:\s+[\w.+#-]+){0,2}$")


def _has_finite_verb(text: str) -> bool:
    return any(w in {"is", "are", "was", "were", "has", "have"} or (verb_form(w) or ("", "base"))[1] != "base"
               for w in text.lower().split())


def _split_listed_objects(clause: str, lead: str) -> list[str] | None:
    """ "we use kubernetes on GKE, terraform for infra" -> one clause an object, the verb carried over;
    None unless every listed object comes with its use."""
    objects = re.split(r",\s+(?:and\s+)?", clause[len(lead):].strip())
    if not all(_OBJECT_AND_USE.match(o) and not _has_finite_verb(o) for o in objects):
        return None  # "state is kept in a Consul cluster" is a clause of its own
    return [f"{lead} {o}" for o in objects]


def _split_listed_predicates(piece: str, subject: str) -> list[str]:
    """ "I'm 34, live in Lisbon" -> ["I'm 34", "I live in Lisbon"]: a comma, then a verb and its complement."""
    parts, start = [], 0
    for comma in re.finditer(r",\s+", piece):
        tail = piece[comma.end():].split(",")[0]
        chained = _ENDS_IN_VERB_CHAIN.search(piece[start:comma.start()])
        if _starts_with_verb(tail) and len(tail.split()) > 1 and not _ADDRESSED.search(tail) and not chained:
            parts.append(piece[start:comma.start()])
            start = comma.end()
    parts.append(piece[start:])
    return parts[:1] + [f"{subject} {part}" for part in parts[1:]]


_ENDS_IN_VERB_CHAIN = re.compile(r"\b(?:to|" + "|".join(sorted(MODALS)) + r")\s+\w+$")


def split_clauses(sentence: str) -> list[str]:
    """Clauses of a sentence; a short "Header:" prefix is dropped."""
    # an apposition naming a relative is part of the subject: "my youngest, Jonas, is 7"
    sentence = re.sub(r"\b((?i:my|our)\s+(?:\w+\s+)?\w+),\s+([A-Z][\w'-]+),\s+", r"\1 \2 ", sentence)
    head = re.match(r"^([^:]{1,40}):\s+(?=\S)", sentence)
    if head and len(head.group(1).split()) <= 6 and "http" not in head.group(1):
        sentence = sentence[head.end():]
    inner = re.findall(r"\(([^()]*)\)", sentence)
    sentence = re.sub(r"\s*\([^()]*\)", "", sentence)
    pieces = [p for part in _split_run_on(sentence) for p in _CLAUSE_SPLIT.split(part) if p and p.strip()]
    merged: list[str] = []
    for piece in pieces:  # "Nikola and I are ...", "me and my brother run ..." are one subject, not two clauses
        if merged and merged[-1].strip().lower() in {"me", "myself"}:
            merged[-1] = f"{merged[-1]} and {piece}"
        elif merged and len(merged[-1].split()) <= 2 and re.match(r"^[A-Z][\w'-]*$", merged[-1].split()[-1]) \
                and re.match(r"^(?:I|me)\s+(?:are|were|have|'ve|will|just|both|\w+ed)\b", piece):
            merged[-1] = f"{merged[-1]} and {piece}"
        else:
            merged.append(piece)
    pieces = _carry_first_person(merged)
    pieces = _split_shared_subject(pieces) + inner
    out: list[str] = []
    for piece in pieces:
        # comma lists of fragments that inherit the first clause's subject
        sub = re.split(r",\s+(?=(?:\w+ing\b|(?:about|around|roughly|nearly|almost)\s+\d))", piece)
        sub = [s.strip(" ,") for s in sub if s.strip(" ,")]
        copula = re.match(r"^(?!(?:I|I'm|we|we're)\b)(.{1,40}?\s(?:is|are|was|were))\s", sub[0]) if sub else None
        for k, s in enumerate(sub):
            if k and copula and _QUANTITY_FRAGMENT.match(s):
                s = f"{copula.group(1)} {s}"  # "the flat is 60 m2, about 3 km out"
            out.append(s)
    return out


_SMALL_TALK_OPENER = re.compile(
    r"^(?:lol |haha |ok |okay |oh )?(?:perfect|great|cool|nice|awesome|lovely|brilliant|amazing|thanks|thank you|"
    r"got it|sounds good|fair enough|fair|wow|good|noted)\s*[,!.:]+\s*",
    re.I,
)


def _clean_clause(clause: str) -> str:
    clause = clause.strip(" \t,;:-\u2013\u2014\"'")
    previous = None
    while previous != clause:
        previous = clause
        clause = _SMALL_TALK_OPENER.sub("", clause)
        clause = _LEADING_FILLER.sub("", clause).strip(" ,;:-")
        clause = _TRAILING_FILLER.sub("", clause).strip(" ,;:-")
    clause = re.sub(r"[!?.]+$", "", clause).strip()
    clause = re.sub(r",?\s+not\s+[\w' ]{1,30}$", "", clause) if re.search(r",\s+not\s+", clause) else clause
    return clause


def rewrite_first_person(clause: str, name: str, *, we: str | None = None) -> str:
    """First person to the speaker's name, verbs conjugated: "I teach" -> "Aroha teaches"."""
    we_name = we or name
    plural_we = we is not None and " and " in we
    poss = possessive(name)
    text = re.sub(r"^(I\b.*?),?\s+myself$", r"\1", clause)  # "I'm a cat person myself": emphatic
    text = re.sub(r"\b(?:[Mm]e and|[Mm]yself and)\b", f"{name} and", text)
    text = re.sub(r"\band (?:I|me|myself)\b", f"and {name}", text)
    # contractions and auxiliaries
    subs = [
        (r"\bI'm not\b", f"{name} is not"), (r"\bI am not\b", f"{name} is not"),
        (r"\bI'm\b", f"{name} is"), (r"\bI am\b", f"{name} is"),
        (r"\bI've got\b", f"{name} has"), (r"\bI've\b", f"{name} has"), (r"\bI have got\b", f"{name} has"),
        (r"\bI'd\b", f"{name} would"), (r"\bI rather\b", f"{name} would rather"), (r"\bI'll\b", f"{name} will"),
        (r"\bI don't\b", f"{name} does not"), (r"\bI do not\b", f"{name} does not"),
        (r"\bI didn't\b", f"{name} did not"), (r"\bI can't\b", f"{name} can't"),
        (r"\bI won't\b", f"{name} won't"), (r"\bI haven't\b", f"{name} has not"),
        (r"\bI wasn't\b", f"{name} was not"),
    ]
    if plural_we:
        subs += [(r"\b[Ww]e're\b", f"{we_name} are"), (r"\b[Ww]e've\b", f"{we_name} have"),
                 (r"\b[Ww]e'll\b", f"{we_name} will"), (r"\b[Ww]e'd\b", f"{we_name} would")]
    else:
        subs += [(r"\b[Ww]e're\b", f"{we_name} is"), (r"\b[Ww]e've\b", f"{we_name} has"),
                 (r"\b[Ww]e'll\b", f"{we_name} will"), (r"\b[Ww]e'd\b", f"{we_name} would"),
                 (r"\b[Ww]e don't\b", f"{we_name} does not"), (r"\b[Ww]e are\b", f"{we_name} is"),
                 (r"\b[Ww]e were\b", f"{we_name} was")]
    for pattern, repl in subs:
        text = re.sub(pattern, repl, text)
    text = re.sub(r"\b(I|[Ww]e)\s+((?:" + ADVERB + r"\s+)+)(?:don't|do not)\b",
                  lambda m: f"{name if m.group(1) == 'I' else we_name} {m.group(2)}does not", text)

    def subject_verb(match: re.Match[str], who: str) -> str:
        adverbs, verb = match.group(1) or "", match.group(2)
        before = match.string[:match.start()].split()
        if before and (before[-1].lower() in MODALS or before[-1].lower() in {"do", "did", "does", "have", "had"}):
            return f"{who} {adverbs}{verb}"  # "nor will I ever be": the verb after an inverted subject stays bare
        if len(verb) >= 7 and verb.lower().endswith("ing"):  # "my kids and I leaving for": a dropped "am"
            return f"{who} is {adverbs}{verb}"
        return f"{who} {adverbs}{third_person(verb)}"

    text = re.sub(r"\bI\s+((?:" + _BEFORE_VERB + r"\s+)*)([A-Za-z']+)", lambda m: subject_verb(m, name), text)
    if plural_we:
        text = re.sub(r"\b[Ww]e\b", we_name, text)
    else:
        text = re.sub(r"\b[Ww]e\s+((?:" + _BEFORE_VERB + r"\s+)*)([A-Za-z']+)", lambda m: subject_verb(m, we_name), text)
    text = re.sub(r"\bI\b", name, text)
    text = re.sub(r"(?<![\w-])(?:[Mm]y|[Mm]ine)(?![\w-])", poss, text)  # not in "oh-my-zsh"
    text = re.sub(r"\b[Oo]ur(?:s)?\b", possessive(we_name), text)
    text = re.sub(r"(?<![\w-])(?:me|myself)(?![\w-])", name, text)
    text = re.sub(r"\bus\b", we_name, text)
    text = re.sub(rf"^{re.escape(poss)}\s", poss + " ", text)
    return text[:1].upper() + text[1:] if text else text


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9][\w'.@/-]*", text)


def _note_referents(clause: str, state: _SpeakerState, name: str) -> None:
    """Remember who "she"/"he"/"it" most likely mean in later clauses."""
    poss = possessive(name)
    subject = re.match(r"^([A-Z][a-z][\w'-]*)\s+(?:is|was|has|had|got|gets|does|did|will|can|\w+s|\w+ed)\b", clause)
    if subject and not _NOT_A_NAME.match(subject.group(1)) and subject.group(1).lower() not in _STOP_NAMES | {"i'm", "i've"}:
        state.referents["she"] = state.referents["he"] = subject.group(1)  # "Bayo is moving out, he got a job"
    for match in re.finditer(r"\b(?i:my)\s+(?i:(?:little|older|younger|big|baby|youngest|oldest|eldest|new|best)\s+)?([a-z]+)(?:,?\s+([A-Z][\w'-]+))?", clause):
        relation, person = match.group(1).lower(), match.group(2)
        person = re.sub(r"'s?$", "", person) if person else person  # "my sister Kalena's baby shower"
        if person and person.lower() in {"is", "and", "has", "was"}:
            person = None
        text = f"{poss} {relation}" + (f" {person}" if person else "")
        if relation in _FEMALE:
            state.referents["she"] = text
        elif relation in _MALE:
            state.referents["he"] = text
        elif relation in _RELATION:
            state.referents["she"] = state.referents["he"] = text
        elif relation not in _NOT_A_REFERENT:
            state.referents["it"] = f"{poss} {_noun_phrase(relation, clause[match.end(1):])}"


# "it" never means a speaker's name or a word that is not a thing ("my name is Rob. it's cloudy")
_NOT_A_REFERENT = frozenset("name names own way god bad goodness gosh".split())
_NOT_IN_NOUN_PHRASE = frozenset(
    """is are was were has have had will would can could should and or but to in on at of for with from by
    yesterday today tonight now here there just also really still that which who when where because so""".split()
)


def _noun_phrase(first: str, rest: str) -> str:
    """"green" + " card interview notice yesterday" -> "green card interview notice": up to 4 nouns in a row."""
    words = [first]
    for word in rest.split()[:3]:
        if not re.fullmatch(r"[a-z][a-z-]*", word) or word in _NOT_IN_NOUN_PHRASE or word in ADVERBS \
                or word.endswith(("ed", "ly")) or word in PAST_IRREGULAR:
            break
        words.append(word)
    return " ".join(words)


# an "it" that stands for what follows ("it's awesome how art shows emotions", "it was great to
# see them", "it's been fun seeing ...") or names who or what it was ("it was Matt Patterson")
_DUMMY_IT = re.compile(
    r"^(?:(?:is|was|has been|had been|'s been|been)\s+)?(?:(?:so|really|very|pretty|just|super|truly|always|such|"
    r"quite|also|still|not)\s+)*(?:something\s+)?(?!(?:a|an|the|my|his|her|their|our|your|its|this|that|not)\b)[a-z]+"
    r"\s+(?:how|what|when|where|why|that|to|seeing|being|having|getting|hearing|knowing|watching|reading|"
    r"looking|working|doing|meeting|talking)\b|^(?:is|was)\s+[A-Z][a-z]+\b"
)


def _resolve_pronouns(clause: str, state: _SpeakerState) -> str | None:
    """Replace a third-person subject pronoun; None when it cannot be resolved."""
    match = re.match(r"^(she's|he's|it's|she|he|her|his|its|it)(?!')\b\s*(.*)$", clause, re.I)
    if not match:
        return clause
    pronoun, rest = match.group(1).lower(), match.group(2)
    if pronoun in {"it", "it's"} and _DUMMY_IT.match(rest):
        return None  # "it's awesome how ...", "it was Matt": no thing said before is meant
    key = {"she": "she", "she's": "she", "her": "she", "he": "he", "he's": "he", "his": "he"}.get(pronoun, "it")
    ref = state.referents.get(key)
    if not ref:
        return None
    if pronoun in {"she's", "he's", "it's"} and re.match(r"^(?:(?:" + ADVERB + r")\s+)*(?:been|got|gotten)\b", rest):
        return f"{ref} has {rest}"
    if pronoun in {"she's", "he's", "it's"} or (pronoun == "its" and not re.match(r"^[a-z]+\s+(?:is|are|was|has)\b", rest)):
        return f"{ref} is {rest}"
    if pronoun in {"her", "his", "its"}:
        return f"{possessive(ref)} {rest}"
    return f"{ref} {rest}"


# "her" before a noun; in the speaker's own clause only after a copula or a preposition ("I'm her
# main carer"), since there it is often an object ("help her make a budget")
_HER_POSSESSIVE = r"her\s+(?=[a-z])(?!(?:a|an|the|to|and|with|for|in|on|at|up|out|off|back)\b)"
_AFTER_LINK = r"\b(?:is|am|are|was|were|I'm|of|for|with|to|at|in|on|about|from) "


def _fix_third_party_pronouns(text: str, state: _SpeakerState, *, own_clause: bool = False) -> str:
    """"her dad" -> "Nadia's girlfriend's dad" inside a clause whose subject is already resolved;
    `own_clause`: the speaker's own ("I visit his flat"), where "her" is read only after a link word."""
    she, he = state.referents.get("she"), state.referents.get("he")
    if she:
        lead = _AFTER_LINK if own_clause else r"\b"
        text = re.sub(f"({lead}){_HER_POSSESSIVE}", lambda m: f"{m.group(1)}{possessive(she)} ", text)
    if he:
        text = re.sub(r"\bhis\s+(?=[a-z])", possessive(he) + " ", text)
    return text


def _speaker_names(messages: list[Message], default_name: str | None) -> dict[int, str]:
    names = {}
    for i, m in enumerate(messages):
        if m.role == "user":
            names[i] = display_name(m.name or default_name)
    return names


# "I'm Irish" is not a name: nationalities, faiths and similar capitalised words
# nationalities and faiths: adjectives that keep their capital ("Priya is Irish", not "Priya is Vegetarian")
_PROPER_ADJECTIVE = (
    r"\w+(?:ish|ese|ic)|American|Canadian|Mexican|German|Italian|Indian|Australian|Brazilian|Russian|"
    r"Korean|Nigerian|Kenyan|African|Asian|European|Latino|Latina|Christian|Muslim|Jewish|Catholic|Hindu|"
    r"Buddhist|Pakistani|Israeli|Nepali|Bangladeshi|Kiwi|Aussie"
)
_NOT_A_NAME = re.compile(
    r"^(?:" + _PROPER_ADJECTIVE + r"|Vegan|Vegetarian|Gen|Type|Level|Team|Not|Just|So|"
    r"Also|Back|Here|Home|Done|Fine|Good|Sorry|Glad|Happy|Sure|Still|In|On|At|From|With|The|A|An|Very|Really)$"
)
_NAME = r"([A-Z][\w'-]*[a-z][\w'-]*(?:\s+[A-Z][\w'-]*[a-z][\w'-]*)?)"
_INTRO = re.compile(
    r"(?:\b(?i:call me|my name is|my name's|name:)"
    r"|(?:^|[.!?]\s+|\n)\s*(?:(?i:hi|hey|hello|hiya|yo)(?:\s+there)?[,!.]?\s+)?(?:I'm|I am|(?i:im|this is)))"
    r"\s+" + _NAME + r"(?=\s*(?:[.,!;:)]|$|\s+(?:and|here|from|btw|by the way)\b|\s*-))"
)


# a greeting before a self-introduction: "Hi, ", "hey there! "
_GREETING = r"(?:(?i:hi|hey|hello|hiya)(?:\s+there)?[,!.]?\s+)?"
# "Priya here." opening a message: a self-introduction without a verb
_NAME_HERE = re.compile(r"^\s*" + _GREETING +
                        r"(?!(?:Same|Me|Us|Nobody|Noone|Everyone|Everybody|Someone|Somebody|Anyone|Mom|Mum|Dad|Ditto|All|Both)\b)"
                        + _NAME + r"\s+here\s*(?:[.,!:;-]|$)")


def introduced_name(text: str) -> str | None:
    """The name a speaker gives themselves: "I'm Alex", "my name is Alex", "call me Alex", "Alex here."."""
    clean = normalise(strip_noise(text))
    for match in [*_INTRO.finditer(clean), *_NAME_HERE.finditer(clean)]:
        name = match.group(1)
        if not _NOT_A_NAME.match(name.split()[0]) and name.split()[0].lower() not in _STOP_NAMES:
            return name
    return None


def _introduced_name(messages: list[Message], indices: list[int]) -> str | None:
    for i in indices:
        name = introduced_name(messages[i].content)
        if name:
            return name
    return None


def _as_name_clause(clause: str) -> str:
    """"I'm Alex" / "call me Alex" -> "my name is Alex": a self-introduction is a name, not an identity."""
    match = re.match(r"^(?:(?i:call me|this is)|I'm|I am)\s+([A-Z][\w'-]*[a-z][\w'-]*(?:\s+[A-Z][\w'-]*[a-z][\w'-]*)?)$", clause)
    if match and introduced_name(clause) == match.group(1):
        return f"my name is {match.group(1)}"
    return clause


def _correction_candidates(user_text: str, assistant_text: str, name: str) -> list[tuple[str, str]]:
    """"boulder not denver" after the assistant said "you live in Denver" -> "NAME lives in Boulder"."""
    out = []
    for match in re.finditer(r"\b([A-Za-z][\w'-]*(?:\s+[A-Za-z][\w'-]*)?)\s*,?\s+not\s+([A-Za-z][\w'-]*(?:\s+[A-Za-z][\w'-]*)?)\b", user_text):
        right, wrong = match.group(1), match.group(2)
        right = re.sub(r"^(?:in|at|on|from|to|the|a|an|it's|its|is)\s+", "", right, flags=re.I)
        if re.match(r"^(?:I|I'm|we|we're|my|our)\b", match.group(1), re.I):
            continue  # the user's own clause already states it
        if wrong.lower() in {"sure", "really", "much", "bad", "yet", "that", "me", "a", "the"}:
            continue
        if not re.search(rf"\b{re.escape(wrong)}\b", assistant_text, re.I):
            continue
        if re.search(rf"\b{re.escape(right)}\b", assistant_text, re.I):
            continue
        for sentence in split_sentences(assistant_text):
            for clause in re.split(r",\s+|\s+and\s+|:\s+", sentence):
                if re.search(rf"\b{re.escape(wrong)}\b", clause, re.I) and re.search(r"\byou(?:'re|r)?\b", clause, re.I):
                    fixed = re.sub(rf"\b{re.escape(wrong)}\b", right[:1].upper() + right[1:], clause, flags=re.I)
                    fixed = re.sub(r"^.*?\b(?=you\b|you're\b|your\b)", "", fixed, flags=re.I)
                    fixed = re.sub(r"\byou're\b", "I'm", fixed, flags=re.I)
                    fixed = re.sub(r"\byour\b", "my", fixed, flags=re.I)
                    fixed = re.sub(r"\byou\b", "I", fixed, flags=re.I)
                    out.append((rewrite_first_person(_clean_clause(fixed), name), wrong))
    return out


def build_candidates(messages: list[Message], default_name: str | None = None) -> list[Candidate]:
    """Every clause of the user's messages that could state a fact, rewritten in the third person."""
    from .answers import answer_facts  # answers.py builds on this module's helpers

    names = _speaker_names(messages, default_name)
    speakers = sorted(set(names.values()))
    by_speaker: dict[str, list[int]] = {}
    for i, n in names.items():
        by_speaker.setdefault(n, []).append(i)
    rename = {}
    for n, idx in by_speaker.items():
        if any(messages[i].name for i in idx):
            continue  # the transcript names this speaker: that name stands
        intro = _introduced_name(messages, idx)
        if intro and intro.split()[0].lower() != n.lower():  # "I'm Jordan" from user "newbie" (or none)
            rename[n] = intro.split()[0]
    states = {n: _SpeakerState(rename.get(n, n)) for n in by_speaker}
    out: list[Candidate] = []
    for n, idx in by_speaker.items():
        if n in rename:
            intro = _introduced_name(messages, idx) or ""
            m = messages[idx[0]]
            out.append(Candidate(f"{n}'s name is {intro}", rename[n], _ids([m]), m.created_at,
                                 " ".join(messages[i].content for i in idx), "name", idx[0]))
    history: dict[str, list[str]] = {}
    proper = proper_nouns(messages) | {state.name for state in states.values()}
    for i, message in enumerate(messages):
        if message.role != "user" or not message.content.strip():
            continue
        state = states[names[i]]
        name = state.name
        others = [s for s in speakers if s != names[i]]
        we = f"{name} and {others[0]}" if len(speakers) == 2 else ("the group" if len(speakers) > 2 else None)
        src = message.content
        prev_assistant = next((messages[j].content for j in range(i - 1, -1, -1) if messages[j].role == "assistant"), "")
        text = normalise(strip_noise(src))
        if "?" in text:
            for thing in _possessions_in_questions(text):
                fact = f"{name} has {thing}" if re.match(r"^(?:a|an|the)\b", thing, re.I) else f"{name} has a {thing}"
                out.append(Candidate(fact, name, _ids([message]), message.created_at, src, "possession", i))
        for fixed, wrong in _correction_candidates(text, prev_assistant, name) if prev_assistant else []:
            out.append(Candidate(fixed, name, _ids([message]), message.created_at, src + "\n" + prev_assistant,
                                 "correction", i, corrects=wrong))
        for kind, fact in _identifier_facts(text, name):
            # built from a matched identifier: its template words ("phone number") are ours
            out.append(Candidate(fact, name, _ids([message]), message.created_at, src + "\n" + fact, kind, i))
        for fact in _link_facts(text, name, we):
            out.append(Candidate(fact, name, _ids([message]), message.created_at, src + "\n" + fact, "link", i))
        for fact in terse_facts(text, name):
            # a verbless message of short parts: the template words ("years old") are ours
            out.append(Candidate(fact, name, _ids([message]), message.created_at, src + "\n" + fact, "terse", i))
        for fact in counted_kin_and_pets(text, name):
            # a verbless count of pets or relatives: "has" and "named" are ours
            out.append(Candidate(fact, name, _ids([message]), message.created_at, src + "\n" + fact, "terse", i))
        for fact in _named_relations(text, name):
            out.append(Candidate(fact, name, _ids([message]), message.created_at, src + "\n" + fact, "named", i))
        asked = messages[i - 1].content if i and messages[i - 1].role == "assistant" else ""
        for fact in answer_facts(asked, src, name) if asked else []:
            # built from the question's words, the answer's and a template's ("years old")
            out.append(Candidate(fact, name, _ids([messages[i - 1], message]), message.created_at,
                                 src + "\n" + asked + "\n" + fact, "answer", i))
        named = {m.group(1) for m in map(NAMED_RELATION.search, _named_relations(text, name)) if m}
        for sentence in split_sentences(text):
            for fact in implied_possessions(sentence, name):
                if fact.rsplit(" ", 1)[-1] not in named:  # "has a cat named Borscht" says it already
                    out.append(Candidate(fact, name, _ids([message]), message.created_at, src, "implied", i))
        said_i = False  # an earlier sentence of this message had "I" as its subject
        for sentence in split_sentences(text):
            question = sentence.rstrip().endswith("?")
            clauses = split_clauses(sentence)
            subject_prefix = ""
            for k, raw in enumerate(clauses):
                cleaned = _clean_clause(raw)
                clause = _as_name_clause(cleaned)
                if not clause:
                    continue
                if question and k == len(clauses) - 1:
                    continue
                if k == 0 and said_i and _ELIDED_GERUND.match(raw.strip()) and len(_words(clause)) >= 3:
                    clause = f"I'm {clause[0].lower()}{clause[1:]}"  # "I'm a nurse. Currently living in Ohio"
                kind, clause = _classify(clause, subject_prefix, k)
                if kind == "first-person" and re.match(r"^(?:I|I'm|we|we're)\b", clause):
                    subject_prefix = "I'm" if re.match(r"^(?:I'm|I am)\b", clause) else "I"
                if clause == cleaned:  # "my name", made from "call me Lena", is nobody's "it"
                    _note_referents(clause, state, name)
                if kind is None:
                    continue
                if kind == "third-party" and is_general_statement(clause, proper):
                    continue
                if kind == "third-party":
                    resolved = _resolve_pronouns(clause, state)
                    if resolved is None:
                        continue
                    clause = _fix_third_party_pronouns(resolved, state)
                elif kind == "first-person":
                    clause = _fix_third_party_pronouns(clause, state, own_clause=True)  # "I'm her main carer"
                fact = rewrite_first_person(clause, name, we=we)
                fact = resolve_dates(fact, message.created_at)
                fact = re.sub(r"\s+", " ", fact).strip(" ,")
                if len(_words(fact)) < 3 or is_vague(fact):
                    continue
                # a resolved pronoun names someone from an earlier message: ground in those too
                grounding = "\n".join(history.get(names[i], [])) + "\n" + src if kind == "third-party" else src
                out.append(Candidate(fact[:1].upper() + fact[1:], name, _ids([message]), message.created_at, grounding, kind, i, raw))
            said_i = said_i or bool(subject_prefix)
        history.setdefault(names[i], []).append(src)
    return _dedupe(_apply_self_corrections(_drop_covered_links(out), messages, names))


_WORD_OR_TWO = r"[\w$£€][\w:.'$£€-]*(?:\s+[\w$£€][\w:.'$£€-]*)?"
_RIGHT_NOT_WRONG = re.compile(rf"\b({_WORD_OR_TWO})\s*,?\s+not\s+({_WORD_OR_TWO})\s*(?:[.!,;]|$)", re.I)
_NOT_WRONG_BUT_RIGHT = re.compile(rf"\bnot\s+({_WORD_OR_TWO})\s*,\s*(?:but\s+|it's\s+|its\s+)?({_WORD_OR_TWO})\s*(?:[.!;]|$)", re.I)


def corrections_in(text: str) -> list[tuple[str, str]]:
    """(right, wrong) pairs a message states: "actually it's Tuesday, not Monday" -> ("Tuesday", "Monday")."""
    pairs = [(m.group(1), m.group(2)) for m in _RIGHT_NOT_WRONG.finditer(text)]
    pairs += [(m.group(2), m.group(1)) for m in _NOT_WRONG_BUT_RIGHT.finditer(text)]
    out = []
    for right, wrong in pairs:
        right, wrong = right.rstrip(".:'-"), wrong.rstrip(".:'-")
        right = re.sub(r"^(?:(?:actually|no|it's|its|it is|is|in|at|on|the|a|an)\s+)+", "", right, flags=re.I)
        if len(right.split()) != len(wrong.split()) and all(side[:1].isdigit() for side in (right, wrong)):
            right, wrong = right.split()[0], wrong.split()[0]  # "9:30am PT, not 10am": the numbers are the sides
        if len(right.split()) != len(wrong.split()) or right[:1].isupper() != wrong[:1].isupper():
            continue  # the two sides of a correction are parallel: "Tuesday, not Monday"
        if right and wrong and right.lower() != wrong.lower() and wrong.lower() not in {"sure", "really", "much", "yet", "that", "me", "a", "the", "bad", "too"}:
            out.append((right, wrong))
    return out


def _apply_self_corrections(candidates: list[Candidate], messages: list[Message], names: dict[int, str]) -> list[Candidate]:
    """A later "X, not Y" from the same speaker rewrites their earlier candidate that said Y, which is dropped."""
    out = list(candidates)
    for i, message in enumerate(messages):
        if message.role != "user":
            continue
        for right, wrong in corrections_in(normalise(strip_noise(message.content))):
            pattern = re.compile(rf"\b{re.escape(wrong)}\b", re.I)
            for k, cand in enumerate(out):
                if cand.message_index >= i or names.get(cand.message_index) != names[i]:
                    continue
                if pattern.search(cand.text) and not re.search(rf"\b{re.escape(right)}\b", cand.text, re.I):
                    fixed = pattern.sub(right, cand.text)
                    out[k] = Candidate(fixed, cand.speaker, cand.source_ids + _ids([message]), message.created_at,
                                       cand.source_text + "\n" + message.content, "correction", i, cand.clause, wrong)
    return out


def _drop_covered_links(candidates: list[Candidate]) -> list[Candidate]:
    """A link candidate is a fallback: not needed when a clause of its message carries the URL."""
    out = []
    for c in candidates:
        if c.kind == "link":
            url = c.text.rsplit(" ", 1)[-1]
            if any(o.kind != "link" and o.message_index == c.message_index and url in o.text for o in candidates):
                continue
        out.append(c)
    return out


# A predicate whose only object is a pronoun says nothing on its own: "Sam loves it",
# "Sam sees them at least once a year" (what "it" is was said in another turn).
_PRONOUN_OBJECT_END = re.compile(
    r"\b(?:it|them|that|this|so|him|her|those|these)"
    r"(?:\s+(?:so much|very much|a lot|too|as well|so far|all|sometime|anymore|any more|there|again|now|"
    r"though|either|more|much|already|all the time|every day|for sure|at all))*$",
    re.I,
)
# a reaction to what the other speaker said: "Sam bets she appreciates that", "Sam guesses so"
_REACTION = re.compile(
    r"^[A-Z][\w'-]*\s+(?:(?:[a-z]+ly|really|just|also|do(?:es)? not|can not|cannot|can't)\s+)*"
    r"(?:thinks|bets|guesses|agrees|believes|knows|gets|wonders|hopes|supposes|means|understands|imagines|doubts|"
    r"think|know|believe)\b"
)
_UNRESOLVED = re.compile(r"\b(?:he|she|him|her|they|them|it|that|this)\b", re.I)


def is_vague(fact: str) -> bool:
    """Whether a rewritten clause leans on another turn for its meaning (a pronoun object, a reaction)."""
    if _PRONOUN_OBJECT_END.search(fact):
        return True
    return bool(_REACTION.match(fact)) and bool(_UNRESOLVED.search(fact))


_DETERMINER_START = re.compile(r"^(?:the|a|an|this|that|these|those|every|each|some|most|all|one)\b", re.I)


def proper_nouns(messages: list[Message]) -> set[str]:
    """Capitalised words used inside a sentence anywhere in the conversation: names, not sentence starts."""
    out = set()
    for message in messages:
        for match in re.finditer(r"(?<=[a-z0-9,;:]\s)([A-Z][a-z][\w'-]*)", message.content):
            out.add(re.sub(r"'s?$", "", match.group(1)))
    return out


def is_general_statement(clause: str, proper: set[str]) -> bool:
    """A clause about the world, not the speaker's: "Cats are cuddly", "There is a bus at 9".

    A third party is someone or something named (a word capitalised inside some sentence
    of the conversation: "Jonas", "Tesla"), a pronoun for one, "the X" of the speaker's
    world ("the flat is 60 m2"), or anything given a number, price or address ("Rent is
    R9,800"); a capitalised word seen only at the start of a sentence is a common noun
    ("Books are ...").
    """
    first = clause.split()[0] if clause.split() else ""
    if re.search(r"\d|https?://|[\w-]+\.(?:com|org|net|io|dev)\b|[£$€]", clause):
        return False  # "Rent is R9,800 a month", "Handoff is Mondays at 09:00": the speaker's own numbers
    if re.match(r"^there$", first, re.I):
        return True
    if _DETERMINER_START.match(first) or re.match(r"^(?:she|he|she's|he's|her|his|it|it's|its)$", first, re.I):
        return False
    if not re.match(r"^[A-Z][a-z]", first) or re.sub(r"'s?$", "", first) in proper:
        return False
    # a bare plural with a plural verb ("Cats are cuddly", "Books have ..."); a capitalised
    # word with any other verb may be a name said once ("Ana is allergic to nuts")
    second = clause.split()[1].lower() if len(clause.split()) > 1 else ""
    return first.endswith("s") and not first.endswith("ss") and second in _PLURAL_VERBS


_PLURAL_VERBS = frozenset("are were have do don't aren't weren't haven't tend".split())


_PASSING_STATE = re.compile(
    r"^I(?:'m| am)\s+(?:(?:so|just|really|very|pretty|a bit|kinda|somewhat)\s+)?(?:good|fine|ok|okay|great|well|back|here|"
    r"done|ready|sure|sorry|glad|happy|excited|bored|tired|busy|home|free|awake|alright|curious|confused|lost|stuck|"
    r"hungry|sleepy|listening|not sure)(?:\s+(?:thanks|thank you|now|too|again|lol|haha|today|tonight|then|anyway))*$"
)
# what the speaker is doing in this very chat: "I'm just browsing ideas for a gift", "I'm only asking"
_CONVERSATIONAL_STATE = re.compile(r"^I(?:'m| am)\s+(?:\w+\s+)?(?:curious|wondering|kidding|joking|not sure|browsing|asking|"
                                   r"looking around)\b")
# a hedge: a weak modal with a hedging adverb or a vague time ("I might maybe try yoga at some point");
# "Maybe I can go golfing sometime" and "I would like to ... eventually" say more and stay
_WEAK_MODAL = re.compile(r"\b(?:might|may|could)\b", re.I)
_HEDGE = re.compile(r"\b(?:maybe|perhaps|possibly|at some point|sometime|some time|one of these days|eventually)\b", re.I)
_DEICTIC_OBJECT = re.compile(r"^I\s+(?:\w+\s+)?\w+\s+(?:this|that|these|those)\s+[a-z]+\b")


def _classify(clause: str, subject_prefix: str, position: int) -> tuple[str | None, str]:
    """What kind of candidate a cleaned clause is, or None to drop it (and the clause to use)."""
    words = _words(clause)
    if len(words) < 2:
        return None, clause
    low = clause.lower()
    if _QUESTION_START.match(clause) and not re.match(r"^(?:is|was|am)\s+\w", low) or _QUESTION_START.match(clause) and "?" in clause:
        return None, clause
    if _SECOND_PERSON.search(clause) or _IMPERATIVE_START.match(clause) or _HYPOTHETICAL.search(clause):
        return None, clause
    if _SMALL_TALK_START.match(clause) and len(words) <= 4:
        return None, clause
    if _EVALUATIVE.search(clause) and len(words) <= 6:
        return None, clause
    if re.search(r"\bit is$|\bdo it$|\bdo that$", low) and len(words) <= 6:
        return None, clause  # "Omelette it is", "I can do it": replies, not facts
    if _PAST_PROGRESSIVE.search(clause):
        return None, clause  # past progressive narrates a moment ("I was watching a vlog")
    # a short plan is no lasting fact; "I enjoy going to concerts" is no plan
    if re.search(r"\bI'll\b|\bI will\b|(?:\b(?:am|is|are|was|were)|'m|'s|'re)\s+going to\b", clause) and len(words) <= 6:
        return None, clause
    if _TRANSIENT.search(clause) and len(words) <= 12:
        return None, clause
    if _WEAK_MODAL.search(clause) and _HEDGE.search(clause):
        return None, clause  # a hedge says what might happen, not what is
    if _PASSING_STATE.match(clause) or _CONVERSATIONAL_STATE.match(clause):
        return None, clause  # "I'm good", "I'm back", "I'm curious about black holes": the chat, not the person
    if _DEICTIC_OBJECT.search(clause) and len(words) <= 6:
        return None, clause  # "I love this explanation": about what is on screen
    if _FIRST_PERSON.search(clause):
        return "first-person", clause
    first = words[0]
    if position > 0 and subject_prefix and (_GERUND_FRAGMENT.match(clause) or _QUANTITY_FRAGMENT.match(clause)):
        if _QUANTITY_FRAGMENT.match(clause) and subject_prefix != "I'm":
            return None, clause  # "I teach 3 classes, about 35 students each": no verb to inherit
        return "elided", f"I'm {clause}"
    if position == 0 and is_past_verb(first) and len(words) >= 3 and not re.search(r"\b(?:it|that|this|these|those)\b", low):
        return "elided", f"I {clause[0].lower()}{clause[1:]}"
    if position == 0 and first.lower() in {"started", "moving", "working", "living", "studying", "learning"} and len(words) >= 3:
        return "elided", f"I'm {clause[0].lower()}{clause[1:]}" if first.endswith("ing") else f"I {clause}"
    if re.match(r"^(?:she|he|she's|he's|her|his|it|it's|its)\b", clause, re.I):
        return "third-party", clause
    if re.match(r"^[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?\s+(?:\w+\s+)?(?:is|are|was|has|have|had|will|does|doesn't|can't|hates|loves|likes|plays|works|lives|starts|got|moved|goes)\b", clause):
        return "third-party", clause
    # "the wifi SSID at home is Skynet-5G": a thing, where it is, and what it is
    if re.match(r"^(?:the\s+)?[a-z][\w-]*(?:\s+[a-z][\w-]*)?(?:\s+(?:at|in|on|for)\s+(?:the\s+)?[a-z][\w-]*)?"
                r"\s+(?:is|are)\s+(?:at|on|in|\d|£|\$|€|R\d|a\s|an\s|every|due|prepaid|called|(?-i:[A-Z]))", clause, re.I):
        return "third-party", clause
    if _SCHEDULE.match(clause):
        return "third-party", clause
    return None, clause


# a definite subject, a verb, and a time: "The team standup moved to 9:30 CET on Tuesdays"
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)days?"
_SCHEDULE = re.compile(
    r"^(?i:the)\s+(?:[a-z][\w-]*\s+){0,3}(?:[a-z]+(?:s|ed)|is|are|was|were)\s+"
    r"(?=.*(?:\b\d{1,2}(?::\d\d)?\s*(?i:am|pm)\b|\b\d{1,2}:\d\d\b|(?i:\b" + _WEEKDAY + r"\b)))"
)


def _possessions_in_questions(text: str) -> list[str]:
    """"How do I ... on my Pixel 8?" -> ["Pixel 8"]: a named thing the user owns, asked about."""
    out = []
    for sentence in split_sentences(text):
        if not sentence.rstrip().endswith("?"):
            continue
        for match in re.finditer(r"\b(?i:my)\s+((?:[A-Z0-9][\w.+-]*)(?:\s+[A-Z0-9][\w.+-]*){0,3})", sentence):
            thing = match.group(1).strip()
            if re.search(r"[A-Z]", thing[1:]) or re.search(r"\d", thing) or len(thing.split()) > 1:
                out.append(thing)
    return out


_ASIDE = re.compile(r"\b(?:btw|fyi|fwiw|by the way|for the record|for context|if it matters|here)\b", re.I)
_AGENT_NOUN = re.compile(r"^[a-z]{3,}(?:er|or|ist|ian|ant|ent|eer|ier|ive|man|woman|smith|wright)$")
_FINITE = re.compile(r"\b(?:is|are|am|was|were|be|been|have|has|had|do|does|did|can|will|would|should|\w+ed|\w+ing)\b", re.I)


def terse_facts(text: str, name: str) -> list[str]:
    """"41, welder, Cork" or "vegan btw": a verbless sentence of short parts, one fact a part.

    A number is an age, a lowercase agent noun a job ("a welder"), a lowercase word, or an
    adjective with its complement, a description ("vegan", "allergic to shellfish"), a capitalised word
    a place, and a gerund phrase beside such parts what the speaker is doing ("training for
    a half marathon"). Only a sentence that is a list of two or more parts, or one part
    marked as an aside ("btw"), counts: a lone "Paris" may answer anything. A message
    introducing the speaker first ("Priya here.") is read without it.
    """
    intro = _NAME_HERE.match(text) or _INTRO_THEN_LIST.match(text)
    body = text[intro.end():] if intro else text
    if intro and intro.re is _INTRO_THEN_LIST:
        body = split_sentences(body)[0] if body.strip() else ""
    if "?" in body or "\n" in body.strip():
        return []
    return _terse_sentence(body, name)


# "I'm Jordan, 29, software engineer at Stripe": a self-introduction, then a terse list
_INTRO_THEN_LIST = re.compile(r"^\s*" + _GREETING + r"(?:I'm|I am|(?i:my name is|call me))\s+"
                              + _NAME + r"(?:[,:.]|\s+[-\u2013\u2014])\s+(?=\S)")
_JOB = re.compile(r"^(?:[a-z]+\s+)?([a-z]+)"
                  r"(?:\s+(?:at|for|in|with)\s+[\w&' -]+)?$")


#: "nurse at St Mary's", "intern for Oxfam": a noun at a named workplace is a job, agent noun or not
_AT_WORKPLACE = re.compile(r"^[a-z]+\s+(?:at|for|with)\s+[A-Z]")


#: words in -ant/-ent that describe, not employ, a person ("lactose intolerant", "pregnant")
_ADJECTIVES_IN_ANT = frozenset("tolerant intolerant pregnant hesitant reluctant distant observant ignorant arrogant "
                               "brilliant pleasant vibrant patient independent dependent confident fluent".split())


def _is_job(part: str) -> bool:
    """ "welder", "software engineer at Stripe", "nurse at St Mary's": an agent noun (`_AGENT_NOUN`),
    or any noun at a named workplace, a modifier before it and a workplace after."""
    job = _JOB.match(part)
    if not job or job.group(1) in _ADJECTIVES_IN_ANT:
        return False
    return bool(_AGENT_NOUN.match(job.group(1))) or bool(_AT_WORKPLACE.match(part)) and not _is_adjective(job.group(1))


# a word read as an adjective: by its ending ("diabetic", "retired", "vegan"), a hyphen ("gluten-free"),
# a complement ("allergic to nuts") or as one of the short adjectives that describe people
_ADJECTIVE_END = re.compile(r"(?:ic|al|ous|ful|ish|ary|able|ible|less|y|ed|an|ese|ile|ar|ant|ent|ive|en)$")
_SHORT_ADJECTIVES = frozenset("single sober blind deaf tall short young old bald broke gay straight bi trans fit sick ill "
                              "fine free new left right".split())


def _is_adjective(part: str) -> bool:
    return " " in part or "-" in part or part in _SHORT_ADJECTIVES or bool(_ADJECTIVE_END.search(part))


_GERUND_PART = re.compile(r"^(?i:[a-z]+ing)\b(?:\s+[\w'-]+){2,7}$")
_NOT_A_DESCRIPTION = re.compile(r"^(?:no|not|never|very|so|too|maybe|more|less|much|many|some|any|the|a|an|this|that|just|really)\b")


# "vegan", "allergic to shellfish", "fluent in French"
_DESCRIPTION = re.compile(r"[a-z][\w-]+(?:\s+(?:to|of|with|about|at|from|for|in|on)\s+[A-Za-z][\w-]+)?")
# "gluten free", "lactose intolerant": a word before an adjective of a clear ending (not "big fan")
_TWO_WORD_DESCRIPTION = re.compile(r"[a-z]+\s+(?:[a-z]+(?:ic|al|ous|ful|ish|ary|able|ible|less|ant|ent|ive)|free|intolerant)")


def _terse_sentence(sentence: str, name: str) -> list[str]:
    stripped = re.sub(r"[!.]+$", "", sentence.strip())
    parts_text = _ASIDE.sub("", stripped)
    verbs_left = _FINITE.search(_PARTICIPLES.sub("", _GERUNDS.sub("", parts_text)))
    if not stripped or verbs_left or _FIRST_PERSON.search(stripped):
        return []
    aside = bool(_ASIDE.search(stripped))
    parts = [p.strip(" .!-") for p in re.split(r"\s*[,;/+]\s*(?:and\s+)?|\s+and\s+", parts_text) if p.strip(" .!-")]
    gerunds = [p for p in parts if _GERUND_PART.match(p)]
    if any(re.match(r"(?i:[a-z]+ing)\b", p) for p in parts if p not in gerunds):
        return []  # "Cooking, cleaning": a bare gerund answers a question, it describes no one
    if not parts or len(parts) > 5 or (len(parts) < 2 and not aside) or len(gerunds) == len(parts) \
            or any(len(p.split()) > (6 if _is_job(p) else 3) for p in parts if p not in gerunds):
        return []
    out = []
    for part in parts:
        if re.fullmatch(r"[A-Z][a-z]{2,}ed", part):
            part = part.lower()  # "Retired, 70": a participle capitalised as the sentence opens is no place
        if _SMALL_TALK_START.match(part) or part.lower() in _SLANG:
            return []  # "ok, thanks": a reply, not a list of facts
        if part in gerunds:
            out.append(f"{name} is {part[0].lower()}{part[1:]}")
        elif re.fullmatch(r"\d{1,2}", part) and 12 < int(part) < 100:
            out.append(f"{name} is {part} years old")
        elif re.fullmatch(r"[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?", part) and not _NOT_A_NAME.match(part.split()[0]):
            out.append(f"{name} lives in {part}")
        elif re.fullmatch(r"[A-Z][a-z]+", part) and _NOT_A_NAME.match(part) and part.lower() not in _STOP_NAMES:
            out.append(f"{name} is {part if re.fullmatch(_PROPER_ADJECTIVE, part) else part.lower()}")
        elif _is_job(part):
            out.append(f"{name} is {'an' if part[0] in 'aeiou' else 'a'} {part}")
        elif (_DESCRIPTION.fullmatch(part) or _TWO_WORD_DESCRIPTION.fullmatch(part)) \
                and part not in _STOP_NAMES and not _NOT_A_DESCRIPTION.match(part):
            article = "" if _is_adjective(part) else ("an " if part[0] in "aeiou" else "a ")
            out.append(f"{name} is {article}{part}")  # "nurse" -> "a nurse", "vegan" stays bare
        else:
            return []  # a part we cannot read: say nothing rather than guess
    return out


_GERUNDS = re.compile(r"(?:^|(?<=[,;/+]\s)|(?<=\band\s))[a-z]+ing\b", re.I)
# "retired, widowed, 70": a participle standing alone as a part of the list describes the
# speaker (an adjective), it is not a verb that would make the sentence a clause
_PARTICIPLES = re.compile(r"(?:^|(?<=[,;/+]\s)|(?<=\band\s))[a-z]+ed(?=\s*(?:[,;/+]|\band\b|$))", re.I)


PETS = frozenset("cat dog puppy kitten rabbit bunny hamster parrot horse pony tortoise turtle snake lizard gecko ferret budgie".split())
_COUNTS = {"a": "a", "an": "an", "one": "a", "two": "two", "three": "three", "four": "four", "five": "five", "six": "six"}
_COUNTED = re.compile(
    r"(?:^|,\s*|\band\s+)(?P<count>(?i:an?|one|two|three|four|five|six)|[1-9])\s+(?P<noun>[a-z]+)"
    r"(?:,?\s+(?P<names>[A-Z][\w'-]+(?:(?:\s*,\s*|\s+and\s+)[A-Z][\w'-]+)*))?(?=\s*(?:[,.;!]|and\b|$))"
)


def counted_kin_and_pets(text: str, name: str) -> list[str]:
    """"One dog, Tass, and two cats, Smilla and Nisse." -> "NAME has a dog named Tass", "NAME has two
    cats named Smilla and Nisse": a verbless sentence that counts pets or relatives (the answer to
    "what animals do you have?"), one fact a count."""
    out = []
    for sentence in split_sentences(text):
        body = sentence.strip().rstrip(".!")
        if "?" in body or _FINITE.search(body) or _FIRST_PERSON.search(body):
            continue
        found = list(_COUNTED.finditer(body))
        if not found or sum(m.end() - m.start() for m in found) < 0.8 * len(body):
            continue  # a count inside something longer we cannot read
        if len(found) == 1 and not found[0]["names"] and _COUNTS.get(found[0]["count"].lower()) in ("a", "an"):
            continue  # a lone "a dog" may answer anything
        facts = [_counted_fact(m, name) for m in found]
        if all(facts):  # every count is of pets or relatives
            out += facts
    return out


def _counted_fact(count: re.Match, name: str) -> str | None:
    """"two cats, Smilla and Nisse" -> "NAME has two cats named Smilla and Nisse"; None for other things."""
    number, noun = _COUNTS.get(count["count"].lower(), count["count"]), count["noun"]
    single = noun[:-1] if noun.endswith("s") and number not in ("a", "an") else noun
    if single not in PETS and single not in _RELATION:
        return None
    named = f" named {count['names']}" if count["names"] else ""
    return f"{name} has {number} {noun}{named}"


_NAMED_KIN = (_RELATION - {"youngest", "oldest", "eldest", "baby", "kid"}) | PETS
NAMED_RELATION = re.compile(r"\bhas an? (\w+) named ([\w'-]+)$")  # the text _named_relations() writes


def _named_relations(text: str, name: str) -> list[str]:
    """"my cat Borscht keeps ..." -> "NAME has a cat named Borscht": a named pet or relative."""
    out = []
    for match in re.finditer(
        r"\b(?i:my)\s+(?:(?i:little|older|younger|big|baby|new|best|old)\s+)?([a-z]+),?\s+([A-Z][\w'-]+)(?=[\s,.!?;:)]|$)", text
    ):
        noun, person = match.group(1).lower(), re.sub(r"'s?$", "", match.group(2))
        if noun not in _NAMED_KIN or person in {"I", "I'm", "I've", "I'd", "I'll"} or person.lower() in _STOP_NAMES:
            continue
        article = "an" if noun[0] in "aeiou" else "a"
        out.append(f"{name} has {article} {noun} named {person}")
    return out


_STOP_NAMES = frozenset("and but so or the a an is was has had who which that this it he she they".split())


_URL = r"(?:https?://[^\s,;)\]]+|(?:[\w-]+\.)+(?:com|org|net|io|dev|app|ai|co|uk|de)(?:/[^\s,;)\]]*)?)"
_LINK = re.compile(
    r"\b((?:the|my|our)\s+[\w' -]{2,50}?)(?:\s+(?:is\s+at|is\s+here|is|are\s+at|are|lives\s+at|at))?\s*:?\s+(" + _URL + r")",
    re.I,
)


def _link_facts(text: str, name: str, we: str | None) -> list[str]:
    """"the design doc is here: https://x/y" -> "The design doc is at https://x/y"."""
    out = []
    for match in _LINK.finditer(text):
        thing, url = match.group(1).strip(), match.group(2).rstrip(".!?:'\"")
        if len(thing.split()) > 8 or _SECOND_PERSON.search(thing):
            continue
        thing = rewrite_first_person(thing, name, we=we)
        out.append(f"{thing[:1].upper()}{thing[1:]} is at {url}")
    return out


def _identifier_facts(text: str, name: str) -> list[tuple[str, str]]:
    out = []
    poss = possessive(name)
    for email in _EMAIL.findall(text):
        out.append(("identifier", f"{poss} email is {email}"))
    for phone in _PHONE.findall(text):
        digits = re.sub(r"\D", "", phone)
        if 9 <= len(digits) <= 15 and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", phone.strip()):
            out.append(("identifier", f"{poss} phone number is {phone.strip()}"))
    return out


def _ids(messages: list[Message]) -> tuple[str, ...]:
    return tuple(m.id for m in messages if m.id is not None)


def _dedupe(candidates: list[Candidate]) -> list[Candidate]:
    """Candidates with repeats dropped, and clauses that restate what their message's identifier
    or terse candidates already say ("Jordan is 29, engineer at Stripe" beside "Jordan is 29 years old"
    and "Jordan is an engineer at Stripe"; "Jordan nurses at St Mary's" beside "Jordan is a nurse at
    St Mary's")."""
    seen: set[str] = set()
    identifiers = {(c.message_index, c.text.rsplit(" is ", 1)[-1]) for c in candidates if c.kind == "identifier"}
    terse_words: dict[int, set[str]] = {}
    for c in candidates:
        if c.kind == "terse":
            terse_words.setdefault(c.message_index, set()).update(_bare_words(c.text))
    out = []
    for c in candidates:
        key = re.sub(r"\W+", " ", c.text.lower()).strip()
        restated = c.kind != "identifier" and any(i == c.message_index and value in c.text for i, value in identifiers)
        listed = c.kind != "terse" and _bare_words(c.text) - {"and"} <= terse_words.get(c.message_index, set())
        if key in seen or restated or listed:
            continue
        seen.add(key)
        out.append(c)
    return out


def _bare_words(text: str) -> set[str]:
    """The lower-cased words of `text`, each as a singular noun would be ("nurses" and "nurse" say the same)."""
    return {singular(w) for w in _words(text.lower())}
