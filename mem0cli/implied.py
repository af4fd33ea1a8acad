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
