"""Clauses to entity mentions and relations, by grammar only (no model, no word lists
fitted to any conversation).

A fact ("Ana moved to Braga", "Caroline's sister Ana lives in Porto", or a raw turn
"I took my kids camping", with its speaker) is split into clauses (`candidates`), the
first person rewritten to the speaker, and each clause read as
subject / verb group / objects:
- the subject is a noun phrase at the start: a proper name, a possessive chain
  ("Caroline's sister Ana", "her kids" after a named subject), or a determiner phrase;
- the verb group is what follows, auxiliaries and adverbs skipped;
- each object is a noun phrase after the verb or after a preposition; the relation is
  the verb's base form plus that preposition ("move to", "live in", "go camping with").
Possessives are relations too: "Caroline's sister Ana" gives (Caroline, sister, Ana),
and Ana gets the alias "Caroline's sister". Types come from grammar and closed classes
of English words (kinship and pet nouns, place and organisation suffixes, event nouns,
the preposition or verb in front of a name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..candidates import possessive, rewrite_first_person, split_clauses, split_sentences

# -- closed word classes --------------------------------------------------------
KINSHIP = frozenset(
    """mother mom mum mama sister daughter wife girlfriend niece aunt auntie grandma granny
    grandmother fiancee fiancée stepmom stepmother father dad papa brother son husband boyfriend
    nephew uncle grandpa grandad grandfather fiance fiancé stepdad stepfather partner cousin kid
    kids child children baby friend friends roommate flatmate neighbour neighbor coworker colleague
    boss mentor parents siblings family spouse grandson granddaughter grandkids grandchildren
    teammate classmate bestie""".split()
)
PET_NOUNS = frozenset(
    "dog dogs cat cats puppy kitten pup hamster parrot horse rabbit bunny fish bird turtle snake tortoise"
    " gecko lizard pony guinea pig pet pets".split()
)
EVENT_NOUNS = frozenset(
    """festival conference wedding party concert parade marathon race workshop meetup ceremony funeral
    graduation birthday trip vacation holiday camp tournament competition retreat show exhibition
    fair reunion match game seminar class course event rally protest hike tour""".split()
)
PLACE_SUFFIX = frozenset(
    "street road avenue city town park lake mountain mountains beach river island county state valley"
    " bay square village hill hills forest coast canyon".split()
)
ORG_SUFFIX = frozenset(
    """inc ltd llc corp company co university college school hospital bank club association foundation
    team group labs lab studio studios institute academy agency church council center centre
    society union charity shelter clinic""".split()
)
PRODUCT_VERBS = frozenset("buy bought use uses used drive drives drove own owns owned play plays played read reads".split())
ORG_VERBS = frozenset("work works worked join joins joined intern interns interned".split())
#: Relations that hold one object at a time: a new object closes the open one.
SLOTS = {
    "live in": "residence", "move to": "residence", "relocate to": "residence", "settle in": "residence",
    "be based in": "residence", "live at": "residence",
    "work at": "employer", "work for": "employer", "join": "employer", "be hired by": "employer",
    "start at": "employer", "work as": "job", "be engaged to": "partner", "marry": "partner",
    "date": "partner", "study at": "school", "attend": "school",
}
_PREPOSITIONS = (
    "to in at on for with from about into near by of as after before during around through across "
    "over under between without like toward towards since until inside outside"
).split()
_AUX = frozenset(
    """is are was were be been being am has have had do does did will would can could should might may
    must shall not never also just still already recently really always usually often sometimes now
    currently finally even both all only again soon newly once ever n't""".split()
)
_DETERMINERS = frozenset(
    """a an the some any this that these those his her their its my our your every each many several
    few lots lot of much more most another other such no one two three four five six seven eight nine
    ten couple bunch new own""".split()
)
_PRONOUNS = frozenset("it them they he she him her this that those these something anything everything nothing one".split())
_NOT_NOUNS = frozenset(
    """yesterday today tomorrow tonight week weekend month year day time times ago last next recently
    lately now then there here way ways thing things stuff lot bit kind sort""".split()
) | _PRONOUNS
_STOP_TAIL = re.compile(
    r"\s+(?:that|which|who|whom|whose|where|when|while|because|since|so|but|and then|if|than|"
    r"to (?=[a-z]+\b)|(?:last|next|this|every) (?:week|month|year|weekend|summer|winter|spring|fall|autumn)|"
    r"yesterday|today|tomorrow|recently|ago)\b.*$"
)
_WORD = r"[A-Za-z][\w'&.-]*"
_NOUN = r"[A-Za-z][\w&.-]*"
_PROPER_WORD = r"(?:[A-Z][\w'&-]*[A-Za-z0-9]|[A-Z])"
_PROPER = rf"{_PROPER_WORD}(?:\s+(?:(?:of|de|da|del|van|von|the|and|&)\s+)?{_PROPER_WORD})*"
_SUBJECT_PRONOUN = re.compile(r"^(?:she|he|they)\b\s*", re.I)
_POSSESSIVE_PRONOUN = re.compile(r"\b(?:her|his|their)\s+(?=[a-z])", re.I)
_SENTENCE_STARTERS = frozenset(
    "The A An This That These Those It He She They We You I What When Where Why How Who Which Also But And So"
    " Then There Here Yes No Oh My Our Your His Her Their Its Wow Hey Hi Thanks Thank Great Cool Nice Awesome Lately Today Yesterday".split()
)
_MONTHS = frozenset(
    "January February March April May June July August September October November December Monday Tuesday"
    " Wednesday Thursday Friday Saturday Sunday".split()
)


@dataclass(frozen=True)
class Mention:
    """An entity as a clause names it."""

    name: str  # canonical: "Ana", "Caroline's sister", "camping"
    kind: str  # person, pet, place, organisation, event, product, project, thing
    aliases: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return entity_key(self.name)


@dataclass(frozen=True)
class Triple:
    """A relation a clause states: (subject, relation, object), and its slot when the
    relation holds one object at a time ("residence": live in / move to)."""

    subject: Mention
    relation: str
    object: Mention
    slot: str | None = None


def entity_key(name: str) -> str:
    """How names are matched: lower case, single spaces, curly apostrophes straightened."""
    return re.sub(r"\s+", " ", name.replace("\u2019", "'").strip().lower())


def base_verb(word: str) -> str:
    """A verb's base form, by English inflection: "moved" -> "move", "lives" -> "live",
    "studies" -> "study", "went" -> "go"."""
    low = word.lower()
    irregular = {
        "went": "go", "goes": "go", "gone": "go", "has": "have", "had": "have", "is": "be", "was": "be",
        "are": "be", "were": "be", "made": "make", "took": "take", "taken": "take", "got": "get",
        "bought": "buy", "met": "meet", "saw": "see", "seen": "see", "ran": "run", "began": "begin",
        "came": "come", "left": "leave", "found": "find", "gave": "give", "kept": "keep", "felt": "feel",
        "lost": "lose", "won": "win", "taught": "teach", "built": "build", "drove": "drive",
        "flew": "fly", "wrote": "write", "read": "read", "sold": "sell", "spent": "spend", "told": "tell",
        "does": "do", "did": "do", "said": "say", "thought": "think", "brought": "bring", "joined": "join",
        "grew": "grow", "sang": "sing", "swam": "swim", "drew": "draw", "painted": "paint",
    }
    if low in irregular:
        return irregular[low]
    if low.endswith("ies") and len(low) > 4:
        return low[:-3] + "y"
    if low.endswith("ied") and len(low) > 4:
        return low[:-3] + "y"
    if low.endswith(("sses", "shes", "ches", "xes", "zes")):
        return low[:-2]
    if low.endswith("ed") and len(low) > 4:
        stem = low[:-2]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
            return stem[:-1]  # "stopped" -> "stop"
        if stem.endswith(("at", "iv", "ov", "ur", "dg", "ag", "ak", "ar", "rs", "ik", "ys", "as", "os", "us", "ic", "uc", "ag", "ng", "rv", "id", "ud", "ir", "ok")) \
                or (len(stem) > 2 and stem[-1] in "cgsvz" and stem[-2] in "aeiouln"):
            return stem + "e"  # "moved" -> "move", "lived" -> "live"
        return stem
    if low.endswith("s") and not low.endswith(("ss", "us", "is")) and len(low) > 3:
        return low[:-1]
    return low


def parse_fact(text: str, speaker: str | None = None) -> list[Triple]:
    """The relations a fact states (see the module docstring)."""
    triples: list[Triple] = []
    subject: Mention | None = None
    text = re.sub(r"\s*\[shares a photo:[^\]]*\]", "", text)
    text = re.sub(r"[\"\u201c\u201d]", "", text)  # a quoted name is still a name
    for sentence in split_sentences(text):
        for clause in split_clauses(sentence):
            clause = re.sub(r"\s*\([^()]*\)", "", clause).strip(" ,;:-\"'.!?")
            if speaker and re.search(r"\b(?:I|I'm|I've|(?i:me|my|we|our))\b", clause):
                clause = rewrite_first_person(clause, speaker)
            found, subject = parse_clause(clause, subject, speaker)
            triples.extend(found)
    return _unique(triples)


def parse_clause(
    clause: str, previous: Mention | None = None, speaker: str | None = None
) -> tuple[list[Triple], Mention | None]:
    """The relations of one third-person clause, and its subject (for the next clause's
    "she"/"he"/"they"). `previous`: the last clause's subject; `speaker`: the person
    speaking, a person whatever the clause says."""
    clause = clause.strip()
    pronoun = _SUBJECT_PRONOUN.match(clause)
    if pronoun and previous is not None:
        clause = previous.name + " " + clause[pronoun.end():]
    subject, rest, triples = subject_phrase(clause, speaker)
    if subject is None:
        return [], previous
    if subject.kind == "name":  # a named agent of a clause in a personal fact: a person
        subject = Mention(subject.name, "person", subject.aliases)
    owner = subject.name if subject.kind == "person" else None
    if owner:
        rest = _POSSESSIVE_PRONOUN.sub(possessive(owner) + " ", rest)
    triples += verb_phrase(subject, rest, speaker)
    return triples, subject


def subject_phrase(clause: str, speaker: str | None = None) -> tuple[Mention | None, str, list[Triple]]:
    """The clause's subject, the rest, and the relations the subject phrase itself states
    ("Caroline's sister Ana": Caroline -sister-> Ana)."""
    np = noun_phrase(clause, speaker, at_start=True)
    if np is None:
        return None, clause, []
    mention, end, triples = np
    return mention, clause[end:].strip(), triples


def noun_phrase(
    text: str, speaker: str | None = None, *, at_start: bool = False, hint: str | None = None
) -> tuple[Mention, int, list[Triple]] | None:
    """The noun phrase at the start of `text`: (mention, where it ends, relations it states).

    `hint`: the preposition or verb in front of it ("in", "work at"), which types a name.
    """
    poss = re.match(
        rf"({_PROPER})'s?\s+((?:{_NOUN}\s+){{0,2}}?)({_NOUN}(?:'s\s+{_NOUN})*)(?:,?\s+({_PROPER})(?!'))?", text
    )
    if poss and poss.group(1) not in _SENTENCE_STARTERS:
        owner_name, noun = poss.group(1), poss.group(3).lower().split()[-1]
        owner = Mention(owner_name, "person" if noun in KINSHIP or noun in PET_NOUNS or owner_name == speaker else _kind_of(owner_name, None))
        role = (poss.group(2) + poss.group(3)).strip().lower()
        if noun in _NOT_NOUNS or noun in _AUX or noun in _PREPOSITIONS:
            return None
        named = poss.group(4)
        if named and named not in _MONTHS and named not in _SENTENCE_STARTERS:
            kind = "person" if noun in KINSHIP else "pet" if noun in PET_NOUNS else _kind_of(named, None)
            held = Mention(named, kind, (f"{possessive(owner_name)} {role}",))
            return held, poss.end(), [Triple(owner, role, held)]
        held = Mention(f"{possessive(owner_name)} {role}", "person" if noun in KINSHIP else "pet" if noun in PET_NOUNS else _common_kind(noun))
        end = poss.end() if not named else poss.start(4) - 1
        return held, end, [Triple(owner, "has", held)] if noun not in KINSHIP else [Triple(owner, role, held)]
    proper = re.match(_PROPER, text)
    if proper and not (at_start and proper.group(0).split()[0] in _SENTENCE_STARTERS) \
            and proper.group(0) not in _MONTHS and proper.group(0) not in _SENTENCE_STARTERS:
        name = _trim_proper(proper.group(0))
        kind = "person" if name == speaker else _kind_of(name, hint)
        return Mention(name, kind), proper.start() + len(name), []
    common = re.match(rf"((?:{_WORD}\s+){{0,5}}?{_WORD})(?=\s*(?:[,;.!?]|$|\s+(?:{'|'.join(_PREPOSITIONS)}|and|or|that|which|who|because|since|so|but|when|while|if|than|every|last|next|yesterday|today|recently)\b))", text)
    if not common:
        return None
    words = common.group(1).split()
    start = 0
    while start < len(words) and (words[start].lower() in _DETERMINERS or words[start].isdigit() or _is_adverb(words[start])):
        start += 1
    words = words[start:]
    if not words or len(words) > 4 or any(w.lower() in _AUX or w.lower() in _PRONOUNS or w in _MONTHS for w in words):
        return None
    if words[-1].lower() in _NOT_NOUNS or not re.match(r"^[A-Za-z]", words[-1]):
        return None
    name = " ".join(w.lower() if not w[:1].isupper() or w.lower() in _DETERMINERS else w for w in words)
    return Mention(name, _common_kind(words[-1].lower())), common.end(), []


def verb_phrase(subject: Mention, rest: str, speaker: str | None = None) -> list[Triple]:
    """The relations of the subject with the objects of the verb group in `rest`."""
    words = rest.split()
    i = 0
    negated = False
    auxiliaries = []
    while i < len(words) and (words[i].lower().strip(",") in _AUX or _is_adverb(words[i])):
        negated = negated or words[i].lower() in {"not", "never", "n't"}
        auxiliaries.append(words[i].lower())
        i += 1
    if negated:
        return []  # "Ana does not live in Porto" states no relation
    if i >= len(words):
        return []
    copula = bool(auxiliaries) and auxiliaries[0] in {"is", "are", "was", "were", "am"} and (
        i == len(auxiliaries) and (words[i].lower() in _DETERMINERS or words[i].lower() in _PREPOSITIONS
                                   or re.match(r"^[A-Z]", words[i]) or not words[i].lower().endswith(("ing", "ed")))
    )
    if copula:
        verb, after = "be", " ".join(words[i:])
        if words[i].lower() == "based" and len(words) > i + 1:
            verb, after = "be based", " ".join(words[i + 1:])
    else:
        verb, after = base_verb(words[i].strip(",.")), " ".join(words[i + 1:])
        if verb in _PREPOSITIONS or not re.match(r"^[a-z]+$", verb):
            return []
        if len(auxiliaries) and auxiliaries[-1] in {"was", "were", "is", "are", "been", "be"} and words[i].lower().endswith("ed"):
            verb = f"be {words[i].lower()}"  # "was hired by"
    after = _STOP_TAIL.sub("", after)
    return _objects(subject, verb, after, speaker)


def _objects(subject: Mention, verb: str, text: str, speaker: str | None) -> list[Triple]:
    """Subject -verb [prep]-> each noun phrase of `text` (direct object, then prepositional ones)."""
    triples: list[Triple] = []
    pos = 0
    prep = ""
    gerund = re.match(r"([a-z]+ing)\b\s*", text)
    if gerund and verb not in {"be"}:  # "goes camping with her kids": the activity is the object
        activity = Mention(gerund.group(1), "thing")
        triples.append(Triple(subject, verb, activity))
        verb = f"{verb} {gerund.group(1)}"
        pos = gerund.end()
    while pos < len(text):
        chunk = text[pos:]
        lead = re.match(r"[\s,]*(?:and\s+|or\s+)?", chunk)
        pos += lead.end() if lead else 0
        chunk = text[pos:]
        p = re.match(rf"({'|'.join(_PREPOSITIONS)})\s+", chunk)
        if p:
            prep = p.group(1)
            pos += p.end()
            chunk = text[pos:]
        label = f"{verb} {prep}".strip() if prep else verb
        hint = label if prep else verb
        np = noun_phrase(chunk, speaker, hint=hint)
        if np is None:
            skip = re.match(r"\S+\s*", chunk)
            if not skip:
                break
            pos += skip.end()
            continue
        mention, end, own = np
        if verb == "be" and not prep:
            if own and own[0].relation != "has" and own[0].subject.kind == "person":
                # "Ana is Caroline's sister": Caroline -sister-> Ana
                owner, role = own[0].subject, own[0].relation
                triples.append(Triple(owner, role, Mention(subject.name, "person", (mention.name,))))
                pos += end
                continue
            label = "is"
        if mention.key != subject.key:
            slot = SLOTS.get(label)
            triples.append(Triple(subject, label, mention, slot))
        triples.extend(own)
        pos += end
    return triples


def _is_adverb(word: str) -> bool:
    low = word.lower().strip(",")
    return low.endswith("ly") and len(low) > 4 and low not in {"family", "supply", "italy", "rally", "belly", "jelly"}


def _trim_proper(name: str) -> str:
    """A name without a trailing connective ("Porto and" -> "Porto")."""
    return re.sub(r"\s+(?:of|de|da|del|van|von|the|and|&)$", "", name)


def _kind_of(name: str, hint: str | None) -> str:
    """The type of a proper name from its last word and the word in front of it."""
    last = name.split()[-1].lower()
    if last in ORG_SUFFIX:
        return "organisation"
    if last in PLACE_SUFFIX:
        return "place"
    if last in EVENT_NOUNS:
        return "event"
    if hint:
        words = hint.split()
        prep, verb = (words[-1] if len(words) > 1 else ""), words[0]
        if verb in ORG_VERBS and prep in {"at", "for", ""}:
            return "organisation"
        if prep in {"in", "to", "from", "near", "around", "across", "through", "inside", "outside"}:
            return "place"
        if verb in PRODUCT_VERBS and not prep:
            return "product"
        if prep in {"with"} or verb in {"meet", "marry", "date", "visit", "call", "text", "help"}:
            return "person"
    return "name"


def _common_kind(noun: str) -> str:
    if noun in KINSHIP:
        return "person"
    if noun in PET_NOUNS:
        return "pet"
    if noun in EVENT_NOUNS:
        return "event"
    if noun in {"project", "app", "startup", "book", "novel", "album", "website", "game", "podcast", "blog"}:
        return "project"
    return "thing"


def _unique(triples: list[Triple]) -> list[Triple]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for t in triples:
        key = (t.subject.key, t.relation, t.object.key)
        if key not in seen and t.subject.key != t.object.key:
            seen.add(key)
            out.append(t)
    return out
