"""A small general English lexicon: adverbs, modals, irregular pasts and common verbs, with verb_form().

Shared by the candidate rules (candidates.py), the well-formedness check (wellformed.py) and the
graph parser; general vocabulary, not phrases fitted to any data set.
"""

from __future__ import annotations

ADVERBS = frozenset(
    """just also always usually mostly really still never only actually currently now already
    often sometimes basically literally honestly finally recently even probably definitely
    totally generally normally typically barely hardly rarely seriously""".split()
)
#: Words that sit between a subject and its verb without being the verb ("I once lived", "I sure do",
#: "I hardly ever read"): a verb after them is conjugated, they are not.
BEFORE_VERB = frozenset("ever once both all quite sure".split())
MODALS = frozenset("can can't cannot could couldn't will won't would wouldn't should shouldn't must might may".split())
PAST_IRREGULAR = frozenset(
    """was were had did got went came ran began bought sold gave took made left lost met quit felt
    found became broke spent sent told thought said saw knew wrote grew kept sat taught drove
    flew fell won paid built brought caught used died lied tied forgot wore chose drank ate swam sang spoke
    stole woke rode hid fought hung led lent meant slept stood struck swore threw understood
    heard held dealt dug fed fled forgave froze laid rang sank shook shot slid spun stuck swept swung tore
    wept bit bled blew bred drew sought sprang
    learnt dreamt burnt spelt spilt leapt knelt smelt""".split()
)
NOT_PAST_ED = frozenset("need feed bleed breed speed proceed succeed exceed seed heed weed shed embed".split())

# Common English verbs in their base form (a general lexicon, not a phrase list).
VERBS = frozenset(
    """accept add adopt agree allow answer apply arrange ask attend avoid bake bike believe belong
    borrow brew build buy call care carry catch change chat cheer choose clean climb coach code
    collect come commute compete cook cost count cover crave create cycle dance date deal decide
    deliver deploy design develop die dislike do donate draw dread dress drink drive drop earn eat
    edit enjoy expect explore face fall feel fight fill find finish fish fix fly follow forget
    freelance get give go grow hate have hear help hike hire hold hope host hunt identify join
    keep kill know knit lead learn leave lend let lift like listen live look lose love maintain
    make manage marry meditate meet mentor miss move need nurse own paint pay perform pick plan
    plant play practise practice pray prefer prepare promise pull push put quit race raise rate
    reach read receive recover relax remember rent repair report research rest retire return ride
    rise row run sail save say see sell send serve share shoot sing sit skate ski sleep smoke
    speak spend stand start stay stop study suffer support surf swim take talk teach tend think
    train travel try turn tutor understand use visit volunteer wait wake walk want wash watch wear
    win wish work worry write
    bring cancel celebrate check close compose contain cut divide drink earn enter fail feed fear
    fit hang hurt imagine include invite lack leave lie mean mind offer open order pass pick print
    produce protect quit reject rely remind remove replace rescue rest review ring rise scare
    search seem serve set settle shop show sign skip smell solve sound split spoil stream suit
    surprise switch taste terrify test thank tour trade translate treat trust upgrade vote weigh
    whisper wonder""".split()
)
# auxiliaries and contractions that carry a clause's tense: a fact has one of them or a lexicon verb
AUXILIARY = frozenset("am are be been being did do does had has have is was were".split())
AUX_3SG = {"is": "be", "has": "have", "does": "do", "was": "be", "goes": "go"}
PAST_MAP = {"was": "be", "were": "be", "had": "have", "did": "do"}


def verb_form(word: str) -> tuple[str, str] | None:
    """("base", "3sg", "past") form and lemma of a verb from the lexicon, or None."""
    low = word.lower()
    if low in AUX_3SG:
        return AUX_3SG[low], "3sg" if low != "was" else "past"
    if low in PAST_MAP or low in PAST_IRREGULAR:
        return PAST_MAP.get(low, low), "past"
    if low in VERBS:
        return low, "base"
    stems = [(low[:-3] + "y", "3sg")] if low.endswith("ies") else []
    if low.endswith("es"):
        stems.append((low[:-2], "3sg"))
    if low.endswith("s") and not low.endswith("ss"):
        stems.append((low[:-1], "3sg"))
    if low.endswith("ed"):
        stems += [(low[:-2], "past"), (low[:-1], "past"), (low[:-3], "past")]
        if low.endswith("ied"):
            stems.append((low[:-3] + "y", "past"))
    for stem, form in stems:
        if stem in VERBS:
            return stem, form
    return None


IRREGULAR_3RD = {"have": "has", "do": "does", "go": "goes", "be": "is", "am": "is", "are": "is", "was": "was", "were": "was"}


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("'") else f"{name}'s"


def is_past_verb(word: str) -> bool:
    """"quit", "moved": an irregular past or a regular -ed past (not "need", "feed")."""
    low = word.lower()
    irregular = low in PAST_IRREGULAR or (low.startswith("re") and low[2:] in PAST_IRREGULAR)  # "retook"
    return low.isalpha() and (irregular or (low.endswith("ed") and low not in NOT_PAST_ED and len(low) > 4))


def third_person(verb: str) -> str:
    """'teach' -> 'teaches', 'study' -> 'studies', 'have' -> 'has'; past, modals and 'is' unchanged."""
    low = verb.lower()
    if low in IRREGULAR_3RD:
        return IRREGULAR_3RD[low]
    if low in AUX_3SG:  # "is", "has": third person already
        return verb
    if low in MODALS or low in PAST_IRREGULAR or is_past_verb(low) or "'" in low or not low.isalpha():
        return verb
    if low.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if len(low) > 2 and low.endswith("y") and low[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def singular(word: str) -> str:
    """An English noun's singular, by inflection: "kids" -> "kid", "stories" -> "story"."""
    irregular = {"children": "child", "people": "person", "men": "man", "women": "woman", "kids": "kid",
                 "feet": "foot", "teeth": "tooth", "mice": "mouse", "geese": "goose"}
    if word in irregular:
        return irregular[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s")):
        return word[:-1]
    return word
