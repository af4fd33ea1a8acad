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
from ..lexicon import VERBS, singular

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
    "dog dogs cat cats puppy kitten pup hamster parrot horse rabbit bunny turtle snake tortoise"
    " gecko lizard pony pet pets".split()
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
    ten couple bunch new own first second third fourth fifth""".split()
)
_PRONOUNS = frozenset("it them they he she him her this that those these something anything everything nothing one".split())
_NOT_NOUNS = frozenset(
    """yesterday today tomorrow tonight week weekend month year day time times ago last next recently
    lately now then there here way ways thing things stuff lot bit kind sort""".split()
) | _PRONOUNS
#: Measures: "of 87 km", "for ten years" name no entity.
_UNITS = frozenset(
    """km kms kilometres kilometers mile miles m metres meters kg kgs kilos pounds lbs g grams hour hours
    minute minutes min mins second seconds day days week weeks month months year years decade decades
    percent times time am pm dollars euros bucks k season""".split()
)
#: Verbs of motion: "to X" after one of them is a place.
_MOTION = frozenset(
    "move go travel fly drive relocate return head walk run sail commute emigrate come visit ride bike hike".split()
)
_QUANTITY = re.compile(
    r"\b(?:(?:about|around|nearly|almost|over|under|roughly)\s+)?\d[\d,.]*\s*(?:" + "|".join(sorted(_UNITS))
    + r")\b(?:\s+(?:a|an|per|each)\s+\w+)?(?:\s+of\b)?", re.I
)
_ADJECTIVE_ENDINGS = ("ous", "ful", "less", "ish", "est")
# a time phrase inside a clause names no object: "runs 40 km a week at the moment, mostly easy runs"
_TIME_PHRASE = re.compile(r"\b(?:at the moment|at the time|at present|right now|these days|for now|for a while|"
                          r"in the end|at first|at last)\b")
_STOP_TAIL = re.compile(
    r"\s+(?:that|which|who|whom|whose|where|when|while|because|since|so|but|and then|if|than|"
    r"(?:last|next|this|every) (?:week|month|year|weekend|summer|winter|spring|fall|autumn)|"
    r"yesterday|today|tomorrow|recently|ago)\b.*$"
)
_WORD = r"[A-Za-z][\w'&.-]*"
_NOUN = r"[A-Za-z][\w&.-]*"
_PROPER_WORD = r"(?:[A-Z][\w'&-]*[A-Za-z0-9]|[A-Z])"
_PROPER = rf"{_PROPER_WORD}(?:\s+(?:(?:of|de|da|del|van|von|the|&)\s+)?{_PROPER_WORD})*"
_THE_KIN = re.compile(r"\b[Tt]he (" + "|".join(sorted(KINSHIP - {"friend", "friends", "boss", "mentor"}, key=len, reverse=True)) + r")\b")
_TIME_WORDS = frozenset(
    "Yesterday Today Tomorrow Tonight Lately Recently Finally Eventually Sometimes Usually Often Last Next".split()
)
_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten".split())
_QUESTION = re.compile(
    r"^(?:what|what's|how|why|when|where|which|who|whom|whose|do|does|did|is|are|was|were|can|could|would|"
    r"should|will|have|has|had|shall|may|might|any|anything)\b", re.I
)
_SECOND_PERSON = re.compile(r"^(?:you|your|you're|you've|you'll|you'd|yours)\b", re.I)
_NOT_VERBS = frozenset(
    "how what why who whom whose which where when there here very so too also really just such".split()
)
_CONNECTIVES = frozenset("and or but so than then because while when where which who whom whose that if".split())
_SUBJECT_PRONOUN = re.compile(r"^(?:she|he|they)\b\s*", re.I)
_POSSESSIVE_PRONOUN = re.compile(r"\b(?:her|his)\s+(?=[a-z])", re.I)  # "their" is rarely one named person's
_SENTENCE_STARTERS = frozenset(
    "The A An This That These Those It He She They We You I What When Where Why How Who Which Also But And So"
    " Then There Here Yes No Oh My Our Your His Her Their Its Do Does Did Have Has Had Is Are Was Were Can Could"
    " Would Should Will Shall May Might Must Let Please Here's There's That's It's What's Let's Any Anything Some Maybe"
    " Now Both One By Each Every All Most Many Much More Such Being Because Since While Though Although If Unless"
    " Just Really Not Never Ever Sure Well Okay Ok Yeah Yep Nope Hmm Haha Lol Omg Aww Ah Oh Hope Glad Sorry Congrats Wow Hey Hi Thanks Thank Great Cool Nice Awesome Lately Today Yesterday".split()
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
    """How names are matched: lower case, single spaces, curly apostrophes straightened,
    the last word singular ("Melanie's kids" and "her kid" after "Melanie" meet)."""
    key = re.sub(r"\s+", " ", name.replace("\u2019", "'").strip().lower())
    head, _, last = key.rpartition(" ")
    return f"{head} {singular(last)}" if head else singular(last)


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
        "eaten": "eat", "written": "write", "driven": "drive", "given": "give", "done": "do", "been": "be",
        "known": "know", "grown": "grow", "flown": "fly", "worn": "wear", "chosen": "choose", "begun": "begin",
        "being": "be", "having": "have", "doing": "do", "going": "go", "dying": "die", "lying": "lie",
    }
    if low in irregular:
        return irregular[low]
    if low.endswith("ies") and len(low) > 4:
        return low[:-3] + "y"
    if low.endswith("ied") and len(low) > 4:
        return low[:-3] + "y"
    if low.endswith(("sses", "shes", "ches", "xes", "zes")):
        return low[:-2]
    ending = "ed" if low.endswith("ed") else "ing" if low.endswith("ing") else ""
    if ending and len(low) > len(ending) + 2:
        stem = low[: -len(ending)]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz" or len(stem) > 5 and stem.endswith("ell"):
            return stem[:-1]  # "stopped" -> "stop", "travelled" -> "travel" (not "called" -> "cal")
        if stem.endswith(("at", "iv", "ov", "ur", "dg", "ag", "ak", "ar", "rs", "ik", "ys", "as", "os", "us", "ic", "uc", "ag", "ng", "rv", "id", "ud", "ir", "ok")) \
                or (len(stem) > 2 and stem[-1] in "cgsvz" and stem[-2] in "aeiouln"):
            return stem + "e"  # "moved" -> "move", "lived" -> "live"
        if len(stem) > 2 and stem[-1] == "l" and stem[-2] not in "aeiourlw":
            return stem + "e"  # "handled" -> "handle", "juggling" -> "juggle"
        return stem
    if low.endswith("s") and not low.endswith(("ss", "us", "is")) and len(low) > 3:
        return low[:-1]
    return low


#: A fact is read up to this many characters (a pasted file is no fact; its start may hold one).
MAX_FACT_CHARS = 4000


def parse_fact(text: str, speaker: str | None = None) -> list[Triple]:
    """The relations a fact states (see the module docstring)."""
    text = text[:MAX_FACT_CHARS]
    triples: list[Triple] = []
    subject: Mention | None = None
    text = re.sub(r"\s*\[shares a photo:[^\]]*\]", "", text)
    text = re.sub(r"[\"\u201c\u201d]", "", text)  # a quoted name is still a name
    for sentence in split_sentences(text):
        if sentence.rstrip().endswith("?") or _QUESTION.match(sentence.strip()):
            continue  # a question states nothing
        for clause in split_clauses(sentence):
            if _SECOND_PERSON.match(clause.strip()) or _QUESTION.match(clause.strip()):
                continue  # said to the other person, or asked: not a fact about anyone named
            clause = re.sub(r"\s*\([^()]*\)", "", clause).strip(" ,;:-\"'.!?")
            if speaker and re.search(r"\b(?:I|I'm|I've|(?i:me|my|we|our))\b", clause):
                clause = rewrite_first_person(clause, speaker)
            if speaker:  # "the kids", said by Melanie: Melanie's kids
                clause = _THE_KIN.sub(lambda m: f"{possessive(speaker)} {m.group(1).lower()}", clause)
            found, subject = parse_clause(clause, subject, speaker)
            triples.extend(found)
    return _unique(triples)


def parse_clause(
    clause: str, previous: Mention | None = None, speaker: str | None = None
) -> tuple[list[Triple], Mention | None]:
    """The relations of one third-person clause, and its subject (for the next clause's
    "she"/"he"/"they"). `previous`: the last clause's subject; `speaker`: the person
    speaking, a person whatever the clause says. "Jelena and Nikola hiked ..." is a
    relation of each of them."""
    clause = clause.strip()
    while True:  # "Yesterday Melanie took ...", "So Ana moved ...": the subject follows
        opener = re.match(r"([A-Z][a-z']*),?\s+(?=[A-Z])", clause)
        if not opener or opener.group(1) not in (_SENTENCE_STARTERS | _TIME_WORDS) - {"The", "A", "An"}:
            break
        clause = clause[opener.end():]
    pronoun = _SUBJECT_PRONOUN.match(clause)
    if pronoun and previous is not None:
        clause = previous.name + " " + clause[pronoun.end():]
    pair = re.match(rf"({_PROPER}) and ({_PROPER})(?:'s?)?\s+", clause)
    if pair and pair.group(1) not in _SENTENCE_STARTERS:
        rest = clause[pair.start(2):]  # "Jelena and Nikola hiked": each of them hiked
        first, _, _ = subject_phrase(pair.group(1) + " " + clause[pair.end():], speaker)
        found, subject = parse_clause(rest, previous, speaker)
        if first is not None and subject is not None and subject.name == pair.group(2):
            found += parse_clause(pair.group(1) + " " + rest[len(pair.group(2)):], previous, speaker)[0]
        return found, subject
    subject, rest, triples = subject_phrase(clause, speaker)
    if subject is None:
        return [], previous
    if subject.kind == "name" and _looks_like_a_person(subject.name):
        subject = Mention(subject.name, "person", subject.aliases)  # the named agent of a personal fact
    owner = subject.name if subject.kind in ("person", "name") else None
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
    In subject position a possessed noun is one word ("Mei's team runs ..."); elsewhere
    it runs to the next function word ("on her left knee").
    """
    lead = re.match(r"(?:(?:the|a|an)\s+)", text, re.I)
    offset = lead.end() if lead and re.match(_PROPER_WORD, text[lead.end():]) else 0
    body = text[offset:]
    found = _possessed(body, speaker, at_start) or _named(body, speaker, hint, at_start, offset > 0) \
        or _common(body, hint)
    if found is None:
        return None
    mention, end, triples = found
    return mention, offset + end, triples


def _possessed(text: str, speaker: str | None, at_start: bool) -> tuple[Mention, int, list[Triple]] | None:
    """"Caroline's sister Ana", "Melanie's kids", "Mateus's family's farm"."""
    poss = re.match(rf"({_PROPER})'s?\s+({_NOUN}(?:'s\s+{_NOUN})*)", text)
    if not poss or poss.group(1) in _SENTENCE_STARTERS:
        return None
    owner_name = poss.group(1)
    words = [poss.group(2)]
    end = poss.end()
    while True:  # modifiers: "longest race", "left knee"; in subject position one noun
        last = words[-1].lower()
        more = re.match(rf"\s+({_NOUN})", text[end:])
        if not more or _is_function_word(more.group(1)):
            break
        if at_start and not (last.endswith(_ADJECTIVE_ENDINGS) or last in _DETERMINERS):
            break
        words.append(more.group(1))
        end += more.end()
        if len(words) >= 3:
            break
    role = " ".join(words).lower()
    noun = role.split()[-1].split("'")[0]
    if noun in _NOT_NOUNS or noun in _AUX or noun in _PREPOSITIONS or noun in _UNITS or noun.endswith(_ADJECTIVE_ENDINGS[:4]) \
            or _is_superlative(noun):
        return None
    owner = Mention(owner_name, "person" if noun in KINSHIP or noun in PET_NOUNS or owner_name == speaker else _kind_of(owner_name, None))
    named = re.match(rf",?\s+({_PROPER})(?!')", text[end:])
    if named and named.group(1) not in _MONTHS and named.group(1) not in _SENTENCE_STARTERS \
            and (noun in KINSHIP or noun in PET_NOUNS or not at_start):
        kind = "person" if noun in KINSHIP else "pet" if noun in PET_NOUNS else _kind_of(named.group(1), None)
        held = Mention(named.group(1), kind, (f"{possessive(owner_name)} {role}",))
        return held, end + named.end(), [Triple(owner, role, held)]
    kind = "person" if noun in KINSHIP else "pet" if noun in PET_NOUNS else _common_kind(noun)
    held = Mention(f"{possessive(owner_name)} {role}", kind)
    if noun == "name":  # "Ana's name is ...": read by the copula, no thing Ana has
        return held, end, []
    return held, end, [Triple(owner, role if noun in KINSHIP or noun in PET_NOUNS else "has", held)]


def _named(
    text: str, speaker: str | None, hint: str | None, at_start: bool, article: bool = False
) -> tuple[Mention, int, list[Triple]] | None:
    """A proper name; one followed by a common noun modifies it ("Africanized bees")."""
    proper = re.match(_PROPER, text)
    if not proper:
        return None
    name = re.sub(r"'s?$", "", _trim_proper(proper.group(0)))  # "for Caroline's": Caroline
    if (at_start and name.split()[0] in _SENTENCE_STARTERS) or name in _MONTHS or name in _SENTENCE_STARTERS:
        return None
    if at_start and name.split()[0].lower().endswith(("ing", "ly")):
        return None  # "Seeing Caroline ...", "Honestly ...": not a name
    after = re.match(r"\s+([a-z][\w-]*)(?:\s+([a-z]+))?", text[len(name):])
    if after and not _is_function_word(after.group(1)) and not after.group(1).endswith(("ed", "ing")) and (
        not at_start or article or (after.group(2) or "") in _AUX
    ):  # "Africanized bees"; as a subject, "The Snowflake migration targets ..."
        return _common(text, hint)
    kind = "person" if name == speaker else _kind_of(name, hint)
    return Mention(name, kind), len(name), []


def _common(text: str, hint: str | None) -> tuple[Mention, int, list[Triple]] | None:
    """A determiner phrase up to the next function word: "the LGBTQ support group" -> "LGBTQ support group"."""
    words: list[str] = []
    pos = 0
    for match in re.finditer(r"\s*([A-Za-z0-9][\w'&.-]*)", text):
        if match.start() != pos:
            break
        word = match.group(1).rstrip(".")
        low = word.lower()
        if words and (_is_function_word(word) or low in _DETERMINERS or _is_adverb(word)):
            break
        if words and re.match(r"\s+(?:the|a|an|his|her|their|my|our|its)\b", text[match.end():]):
            break  # a word followed by an article is a verb: "migration targets the end"
        if not words and ((low in _DETERMINERS and (word.islower() or low not in _NUMBER_WORDS))
                          or word.isdigit() or _is_adverb(word)):
            pos = match.end()
            continue
        if low in _AUX or low in _PRONOUNS or low in _PREPOSITIONS or word in _MONTHS or low in _CONNECTIVES:
            break
        words.append(word)
        pos = match.end()
        if len(words) == 4:
            break
    if not words or words[0].lower() in {"last", "next", "this", "every"}:
        return None
    last = words[-1].lower()
    if last in _NOT_NOUNS or last in _UNITS or last.endswith(_ADJECTIVE_ENDINGS[:4]) or not re.match(r"^[A-Za-z]", words[-1]):
        return None
    if len(words) > 1 and words[-1].endswith("ed"):
        return None
    name = " ".join(words)
    return Mention(name, _common_kind(last, hint)), pos, []


def _is_function_word(word: str) -> bool:
    low = word.lower()
    return low in _PREPOSITIONS or low in _AUX or low in _CONNECTIVES or low in _PRONOUNS or low in _NOT_NOUNS


def verb_phrase(subject: Mention, rest: str, speaker: str | None = None) -> list[Triple]:
    """The relations of the subject with the objects of the verb group in `rest`."""
    words = rest.split()
    i = 0
    auxiliaries: list[str] = []
    while i < len(words) and (words[i].lower().strip(",") in _AUX or _is_adverb(words[i])):
        low = words[i].lower().strip(",")
        if low in {"has", "have", "had"} and i + 1 < len(words) and not _is_participle(words[i + 1]):
            break  # "has a dog": the verb is "have"
        auxiliaries.append(low)
        i += 1
    if any(a in {"not", "never", "n't"} for a in auxiliaries) or i >= len(words):
        return []  # "Ana does not live in Porto" states no relation
    head = words[i].strip(",.")
    copula = bool(auxiliaries) and auxiliaries[-1] in {"is", "are", "was", "were", "am", "been", "be"} and not (
        head.lower().endswith(("ing", "ed")) or _is_participle(head)
    )
    if copula:
        verb, after = "be", " ".join(words[i:])
        if head.lower() == "based" and len(words) > i + 1:
            verb, after = "be based", " ".join(words[i + 1:])
    else:
        if not re.fullmatch(r"[a-z]+", head) or head in _NOT_VERBS or head in _PRONOUNS or head in _DETERMINERS \
                or head in _CONNECTIVES or head.endswith(_ADJECTIVE_ENDINGS):
            return []  # a verb is a lower-case word, and not one of these
        verb, after = base_verb(head), " ".join(words[i + 1:])
        if verb in _PREPOSITIONS or verb in _DETERMINERS or verb in _PRONOUNS or verb in _CONNECTIVES:
            return []
        if auxiliaries and auxiliaries[-1] in {"was", "were", "is", "are", "been", "be"} and _is_participle(head) \
                and not head.lower().endswith("ing"):
            verb = f"be {head.lower()}"  # "was hired by", "is engaged to"
        particle = re.match(r"(up|out|off|back|down|away)\b\s*", after)
        if particle:
            verb, after = f"{verb} {particle.group(1)}", after[particle.end():]
        chain = re.match(r"to\s+([a-z]+)\b\s*(?=((?:the|a|an|my|his|her|their|our|some)\b|[A-Z])?)", after)
        if chain and (chain.group(1) in VERBS or chain.group(2)) and verb not in _MOTION_VERBS:
            # "wants to tell the story": the relation is "want to tell", its object the story
            verb, after = f"{verb} to {chain.group(1)}", after[chain.end():]
    after = _STOP_TAIL.sub("", _TIME_PHRASE.sub(" ", after))
    after = _QUANTITY.sub(" ", after).strip()
    return _objects(subject, verb, after, speaker)


#: adjectives whose superlative stands for a noun left out ("Thandiwe's longest [race] was ...")
_SUPERLATIVE_STEMS = frozenset("long short old young fast high low great small larg strong new lat clos near hard deep "
                               "cheap rich poor tall warm cold bright dark quick slow kind proud brav big hot fat thin wet "
                               "sad easi happi funni earli bus fin saf wid".split())


def _is_superlative(word: str) -> bool:
    """"longest", "biggest", "easiest": a superlative (not "forest", "contest", "interest")."""
    if not word.endswith("est") or len(word) < 6:
        return False
    stem = word[:-3]
    return stem in _SUPERLATIVE_STEMS or (len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in _SUPERLATIVE_STEMS)


#: verbs whose "to" leads to a place, not to a second verb ("went to work", "moved to Braga")
_MOTION_VERBS = frozenset("go come move travel drive fly walk return head commute get run ride".split())


def _is_participle(word: str) -> bool:
    low = word.lower().strip(",.")
    return low.endswith("ed") or low in {"been", "got", "gotten", "eaten", "written", "driven", "given", "done",
                                         "known", "grown", "flown", "worn", "chosen", "begun", "taken", "seen",
                                         "gone", "made", "kept", "met", "lost", "won", "taught", "built", "sold",
                                         "spent", "told", "found", "bought", "brought", "left", "engaged", "married"}


def _objects(subject: Mention, verb: str, text: str, speaker: str | None) -> list[Triple]:
    """Subject -verb [prep]-> each noun phrase of `text` (direct object, then prepositional ones)."""
    triples: list[Triple] = []
    pos = 0
    prep = ""
    listed: Triple | None = None  # "named Smilla and Nisse": the next name is one more
    gerund = re.match(r"([a-z]+ing)\b\s*", text)
    if gerund and verb not in {"be"}:  # "goes camping with her kids": the activity is the object
        triples.append(Triple(subject, verb, Mention(gerund.group(1), "thing")))
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
        called = re.match(rf"(?:(?:a|an|the|one|two|three|\d+)\s+)?(?:[a-z]+\s+)?([a-z]+)\s+(?:named|called)\s+({_PROPER})", chunk)
        if called and subject.kind in ("person", "name"):  # "has a dog named Tass": Björn -dog-> Tass
            noun = called.group(1).rstrip("s") if called.group(1).rstrip("s") in PET_NOUNS | KINSHIP else called.group(1)
            kind = "pet" if noun in PET_NOUNS else "person" if noun in KINSHIP else _kind_of(called.group(2), None)
            listed = Triple(subject, noun, Mention(called.group(2), kind, (f"{possessive(subject.name)} {noun}",)))
            triples.append(listed)
            pos += called.end()
            continue
        more = re.match(rf"({_PROPER})\b", chunk) if listed and not p else None
        if listed and more:
            triples.append(Triple(subject, listed.relation, Mention(more.group(1), listed.object.kind)))
            pos += more.end()
            continue
        np = noun_phrase(chunk, speaker, hint=label)
        if np is not None and prep == "to" and re.fullmatch(r"[a-z]+", chunk[: np[1]].strip()):
            np = None  # "thrilled to make": an infinitive, not a place or thing
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
            kin = re.fullmatch(rf"({_PROPER}(?:'s \w+)*)'s? (\w+)", subject.name)
            if kin and re.fullmatch(_PROPER, mention.name) and kin.group(2).lower() in KINSHIP | PET_NOUNS | {"name"}:
                # "User's brother is Declan": User -brother-> Declan, alias "User's brother";
                # "User's brother's name is Declan": the brother is Declan
                owner, role = kin.group(1), kin.group(2).lower()
                if role == "name":
                    whose = re.fullmatch(rf"({_PROPER})'s? (\w+)", owner)
                    if whose and whose.group(2).lower() in KINSHIP:  # "User's brother's name is Declan"
                        owner, role = whose.group(1), whose.group(2).lower()
                        triples.append(Triple(Mention(owner, "person"), role,
                                              Mention(mention.name, "person", (subject.name.rsplit("'s ", 1)[0],))))
                    else:
                        triples.append(Triple(Mention(owner, "person"), "is called",
                                              Mention(mention.name, "person", (owner,))))
                else:
                    kind = "pet" if role in PET_NOUNS else "person"
                    triples.append(Triple(Mention(owner, "person"), role, Mention(mention.name, kind, (subject.name,))))
                pos += end
                continue
            label = "is"
        if mention.key != subject.key:
            triples.append(Triple(subject, label, mention, SLOTS.get(label)))
        triples.extend(own)
        pos += end
    return triples


def _looks_like_a_person(name: str) -> bool:
    """A name that agents a clause, unless its form says it is a common word capitalised
    at the start ("Books", "Painting", "Happiness") or it carries digits."""
    words = name.split()
    last = words[-1].lower()
    plural = len(last) > 3 and last.endswith("s") and last[-2] not in "aeiousy"  # "Books", not "Mateus"
    return not any(c.isdigit() for c in name) and (len(words) > 1 or not (plural or last.endswith(
        ("ing", "ly", "tion", "sion", "ness", "ment", "ity", "ism", "ship", "ance", "ence"))))


def _is_adverb(word: str) -> bool:
    low = word.lower().strip(",")
    return low.endswith("ly") and len(low) > 4 and low not in {"family", "supply", "italy", "rally", "belly", "jelly"}


def _trim_proper(name: str) -> str:
    """A name without a trailing connective ("Porto and" -> "Porto")."""
    return re.sub(r"\s+(?:of|de|da|del|van|von|the|and|&)$", "", name)


def _kind_of(name: str, hint: str | None) -> str:
    """The type of a proper name from its last word and the word in front of it."""
    last = name.split()[-1].lower()
    if any(c.isdigit() for c in name):
        return "name"  # an identifier: "DATA-219"
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
        if prep in {"in", "from", "near", "around", "across", "through", "inside", "outside"} \
                or (prep == "to" and verb in _MOTION):
            return "place"
        if verb in {"marry", "date"} or hint in {"be engaged to", "be married to"}:
            return "person"
        if verb in PRODUCT_VERBS and not prep:
            return "product"
        if prep in {"with"} or verb in {"meet", "marry", "date", "visit", "call", "text", "help"}:
            return "person"
    return "name"


def _common_kind(noun: str, hint: str | None = None) -> str:
    if hint and hint.split()[0] in ORG_VERBS and hint.split()[-1] in {"at", "for"}:
        return "organisation"
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
