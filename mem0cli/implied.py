"""Facts a possessive implies: "my son is in junior high" also says "NAME has a son".

One clause often carries two facts: what it says about a relative or a pet, and
that the speaker has one. The clause rules keep the first; this module writes the
second, for family members, partners and pets only (a possessive of anything else,
"my job", "my phone", is too often a passing mention to be a fact on its own).
"""

from __future__ import annotations

import re

# parents, grandparents, aunts and uncles are left out: nearly everyone has had them, so
# "NAME has a mom" is seldom what a person would write down
_KIN = frozenset(
    """sister brother sibling son daughter wife husband girlfriend boyfriend fiance fiancé fiancee
    fiancée partner niece nephew grandson granddaughter kid child baby twin stepson stepdaughter""".split()
)
_KIN_PLURAL = {"kids": "kid", "children": "child", "sons": "son", "daughters": "daughter", "sisters": "sister",
               "brothers": "brother", "babies": "baby", "grandkids": "grandkid", "grandchildren": "grandchild",
               "nieces": "niece", "nephews": "nephew", "twins": "twin", "siblings": "sibling"}
_PETS = frozenset(
    """cat dog puppy pup kitten kitty rabbit bunny hamster parrot horse pony tortoise turtle snake lizard
    gecko ferret budgie fish goldfish chicken chickens goat pig cow guinea""".split()
)
# words between "my" and the noun that keep the noun's meaning ("my older brother", "my two dogs")
_MODIFIER = r"(?:(?:little|older|younger|big|baby|new|oldest|youngest|eldest|twin|two|three|four|five|six|lovely|sweet)\s+)"
# not after "is" ("Kenji is my nephew" says who Kenji is) and not before a name ("my son Yusuf": the
# named-relation candidate says it)
_POSSESSIVE = re.compile(r"(?<!\bis )(?<!\bwas )\b(?i:my|our)\s+(" + _MODIFIER + r"{0,2})([a-z]+)\b"
                         r"(?!\s*(?:'s?\b|-in-law|in law))(?!,?\s+[A-Z][a-z])")
# a possessive that does not say the relative or pet is the speaker's own now
_NOT_OWNED = re.compile(r"\b(?:late|ex|former|dead|deceased|future|dream|imaginary|first)\s+$", re.I)
_HYPOTHETICAL = re.compile(r"\b(?:if|wish|someday|one day|dream)\b", re.I)


def implied_possessions(sentence: str, name: str) -> list[str]:
    """"my older brother used to do that" -> ["NAME has an older brother"]; one fact a relative or pet.

    A plural keeps its count ("my two dogs" -> "NAME has two dogs", "my kids" -> "NAME has kids");
    a late, ex- or hoped-for relative, and anything in a hypothetical sentence, implies nothing.
    """
    if _HYPOTHETICAL.search(sentence):
        return []
    out = []
    for match in _POSSESSIVE.finditer(sentence):
        modifiers, noun = match.group(1).strip(), match.group(2).lower()
        if _NOT_OWNED.search(sentence[: match.start(2)]):
            continue
        plural = noun in _KIN_PLURAL or (noun.endswith("s") and noun[:-1] in _PETS)
        single = _KIN_PLURAL.get(noun) or (noun[:-1] if plural else noun)
        if single not in _KIN and single not in _PETS and single not in {"grandkid", "grandchild"}:
            continue
        phrase = f"{modifiers} {noun}".strip()
        if plural or re.match(r"^(?:two|three|four|five|six)\b", phrase):
            out.append(f"{name} has {phrase}")
        else:
            out.append(f"{name} has {'an' if phrase[0] in 'aeiou' else 'a'} {phrase}")
    return list(dict.fromkeys(out))


# nouns that name no thing a person has: "my mind", "my turn", "my day", "my pleasure"
_ABSTRACT = frozenset(
    """mind opinion life day time way name turn fault bad god goodness gosh pleasure favorite favourite fave fav guess
    point question answer advice thought thoughts heart soul self dream dreams goal goals plan plans idea ideas feeling
    feelings mood head eyes eye face hand hands body days years year week weekend weekends part side best lot end
    experience chance attention word words own thing things stuff bit work place home town city country state area
    neighborhood neighbourhood street road school church office""".split()
)
# words before the noun that say nothing of it: "my only car", "my own place"
_EMPTY_MODIFIER = frozenset("own only whole entire very first last next other current".split())
# mass nouns take no article: "User has long red hair", not "a long red hair"
_MASS = frozenset("""hair money music gear equipment furniture clothing jewelry jewellery software luggage food art homework
    luck knowledge information health skin weight coffee tea""".split())
_NOUN_STOP = frozenset(
    """is are was were has have had will would can could should do does did am be been and or but nor to in on at of for
    with from by that which who whom when where because so as than then there here this these those it its that's
    just also really still now very too not never always already even much many more less again ago every each
    all some any no a an the
    yesterday today tonight tomorrow""".split()
)


def owned_things(sentence: str, name: str) -> list[str]:
    """"my waist length red hair" -> ["NAME has waist length red hair"]: a possessive presupposes the thing.

    Beside relatives and pets (implied_possessions), anything named after "my"/"our" that is
    a thing that is not the subject of "is" (that clause says it already): up to four words, the
    last its head; abstract nouns ("my mind", "my turn"),
    gerunds ("my cooking"), favourites and the kinds of possessive `implied_possessions`
    covers give nothing, and nor does a hypothetical sentence, a late/ex/dream thing, or the
    object of a past act ("I sold my car").
    """
    if _HYPOTHETICAL.search(sentence):
        return []
    from .lexicon import PAST_IRREGULAR, verb_form  # the lexicon: grammar, not topics

    out = []
    for match in re.finditer(r"(?<!\bis )(?<!\bwas )\b(?i:my|our)\s+(?=((?:[a-z][a-z-]*\s*){1,6}))", sentence):
        if _NOT_OWNED.search(sentence[: match.start(1)]):
            continue
        before = re.search(r"([a-z]+)\s+(?:[a-z]+ly\s+)?(?i:my|our)\s+$", sentence[: match.start(1)])
        if before and (before.group(1) in PAST_IRREGULAR or (verb_form(before.group(1)) or ("", ""))[1] == "past"):
            continue  # "I sold my car", "I passed my driving test": a past act may have ended the having
        written = match.group(1).split()
        words = list(written)
        while words and words[0] in _EMPTY_MODIFIER:
            words = words[1:]
        phrase: list[str] = []
        for word in words[:4]:
            form = verb_form(word)
            # a base verb is the clause's own after a plural ("my plants grow") and part of the noun
            # after a singular ("my red bike"), which would need "bikes"
            verb = form is not None and (form[1] != "base" or phrase[-1].endswith("s")) if phrase else False
            if word in _NOUN_STOP or phrase and (verb or word in PAST_IRREGULAR or word.endswith("ly")):
                break  # the noun phrase ends where a verb or a function word starts
            phrase.append(word)
        if not phrase:
            continue
        head = phrase[-1]
        if (head in _ABSTRACT or head.endswith("ing") or len(head) < 3 or any(w in _ABSTRACT for w in phrase)
                or head in _KIN or head in _KIN_PLURAL or head in _PETS or head.rstrip("s") in _PETS):
            continue
        after = sentence[match.start(1) + len(" ".join(written[: len(written) - len(words) + len(phrase)])):]
        if re.match(r"\s*'", after):
            continue  # "my friend's house": the thing is the friend's
        if re.match(r"\s+(?:is|are|was|were)\b", after):
            continue  # "my phone is +44 ...": the clause itself states the thing and its value
        if re.match(r"(?:ex|late|former|dead|future|dream)\b", phrase[0]):
            continue
        text = " ".join(phrase)
        plural = head.endswith("s") and not head.endswith(("ss", "us", "is"))
        article = "" if plural or head in _MASS else ("an " if text[0] in "aeiou" else "a ")
        out.append(f"{name} has {article}{text}")
    return list(dict.fromkeys(out))
