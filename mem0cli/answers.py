"""Facts from an answer to the other speaker's question: the question supplies the predicate.

"Do you like dogs?" / "Yes!" says "NAME likes dogs"; "Where do you live?" / "In
California, but ..." says "NAME lives in California"; "What do you do for fun?" /
"Spend cash, go shopping" says "NAME spends cash" and "NAME goes shopping". Neither
turn holds the fact alone, so the clause rules miss it. The question is turned into
a statement about the speaker (grammar, not topic: any verb and object), and the
answer fills the gap: its polarity for a yes/no question, its fragment for a
wh-question. Questions about the moment ("how are you?", "are you going to ...?",
"what are you doing tonight?") say nothing lasting and give nothing.
"""

from __future__ import annotations

import re

from .candidates import normalise, split_sentences, strip_noise
from .lexicon import VERBS, possessive, third_person

# a bare "I do" / "I don't" is an answer; "I have to go" and "I don't know" are not
_YES = re.compile(r"^(?:yes|yeah|yea|yep|yup|ya|sure|of course|definitely|absolutely|certainly|totally|indeed|mhm|"
                  r"you bet|always)\b|^i(?:\s+do|\s+am|'m|\s+have|'ve|\s+can|\s+did)(?:\s+too)?\s*(?:[,.!]|$)", re.I)
_NO = re.compile(r"^(?:no|nope|nah|not really|not at all|never|not yet)\b(?!\s+(?:idea|clue|way|problem|worries|doubt))"
                 r"|^i(?:\s+don't|\s+do not|\s+haven't|\s+have not|\s+can't|\s+cannot|\s+didn't|\s+did not|'m not|\s+am not)"
                 r"\s*(?:[,.!]|$)", re.I)
_YES_NO = re.compile(r"^(?:(?:and|so|but|well|oh|hey|hi|wow)\s*,?\s+)*(do|are|have|can)\s+you\s+(.+)$", re.I)
# a past participle, by its ending: "been", "seen", "visited", "flown", "bought"
_PARTICIPLE = r"[a-z]+(?:ed|en|wn|ne|ung|ught|ood|ade|id|ot|ept|ard)"
_ELIDED_EVER = re.compile(r"^(?:(?:and|so|oh)\s+)?ever\s+(" + _PARTICIPLE + r"\b.+)$", re.I)
_BARE_YES_NO = re.compile(r"^(?:(?:and|so|oh)\s+)?you\s+(have|like|love|enjoy|own|play|watch|work|live|are)\s+(.+)$", re.I)
_MOMENT = re.compile(r"\b(?:today|tonight|now|right now|this (?:morning|evening|afternoon|week|weekend)|going to|gonna|"
                     r"ok|okay|alright|doing|still there|sure|serious|kidding|joking|there)\b", re.I)
_ASSISTANT_FIRST_PERSON = re.compile(r"\b(?:I|me|my|mine|myself|I'm|I've|we|us|our)\b", re.I)
_TRAILING = re.compile(r"(?:\s+(?:too|also|as well|ever|at all|much|a lot|then|though|now|yet|either))+$", re.I)


def answer_facts(question_message: str, answer_message: str, name: str) -> list[str]:
    """Facts about `name` that `answer_message` states by answering the last question in `question_message`."""
    sentences = split_sentences(normalise(strip_noise(answer_message)))
    if not sentences:
        return []
    answer = sentences[0].strip(" ,.!")
    echoed = _echoed_statement(question_message, answer)
    if echoed:
        return _echo(echoed, answer, name)
    question = _last_question(question_message)
    if not question:
        return []
    owned = _OWNED.match(question)
    if owned and _YES.match(answer) and not re.search(r"\bor\b", question):
        rest = _about_name(owned.group(3), name)
        return [f"{possessive(name)} {owned.group(2)} {owned.group(1).lower()} {rest}"] if rest else []
    ever = _ELIDED_EVER.match(question)
    if ever:  # "Ever been to Spain?": "have you" left out
        return _polar("have", f"ever {ever.group(1)}", answer, name)
    yes_no = _YES_NO.match(question) or _BARE_YES_NO.match(question)
    if yes_no:
        return _polar(yes_no.group(1).lower(), yes_no.group(2), answer, name, bare=yes_no.re is _BARE_YES_NO)
    return _wh(question, answer, name)


_ECHO_TAIL = re.compile(r"[\s,.!]*\b(?:(?:and|so|what about|how about)\s+)?(?:you|u|yourself|do you|are you|have you)"
                        r"(?:\s+too)?\s*\?+$", re.I)
_AGREE = re.compile(r"^(?:me too|me as well|same|same here|so do i|so am i|so have i|i do too|i am too|i'm too|"
                    r"i have too|mine too|likewise|ditto)\b", re.I)
_STATEMENT = re.compile(r"^(?:I|I'm|I am|I've|I have)\s+(?!(?:just|currently|now|so|too|not|never|was|were|had|did|"
                        r"going|gonna|think|thought|guess|bet|hope|know|mean|wish|would|will|could|should|might|\w+ing)\b)")


def _echoed_statement(text: str, answer: str) -> str | None:
    """The asker's own statement that a "You?" turns back on the speaker, or that a "me too" agrees with.

    "I'm a homemaker, you?" -> "I'm a homemaker"; "I love hiking. How about you?" -> "I love hiking".
    """
    sentences = [s.strip() for s in split_sentences(normalise(strip_noise(text))) if s.strip()]
    if not sentences:
        return None
    last = sentences[-1]
    statement = None
    if _ECHO_TAIL.search(last):
        head = _ECHO_TAIL.sub("", last).strip(" ,.!")
        statement = head if head else (sentences[-2] if len(sentences) > 1 else None)
    elif _AGREE.match(answer):
        statement = next((s for s in reversed(sentences) if "?" not in s), None)
    if not statement:
        return None
    statement = statement.strip(" ,.!")
    if not _STATEMENT.match(statement) or "?" in statement or len(statement.split()) > 12 \
            or re.search(r"\byou(?:r)?\b", statement, re.I) or _MOMENT.search(statement):
        return None
    return statement


def _echo(statement: str, answer: str, name: str) -> list[str]:
    """"I love hiking" + "me too" -> "NAME loves hiking"; "I'm a homemaker" + "Professional wrestler here" ->
    "NAME is a professional wrestler"; "I have a cat" + "No" -> "NAME does not have a cat"."""
    from .candidates import rewrite_first_person

    statement = _TRAILING.sub("", statement)
    if _AGREE.match(answer) or _YES.match(answer):
        return [rewrite_first_person(statement, name)]
    if _NO.match(answer):
        def rest(text: str) -> str:
            out = rewrite_first_person(text, name)
            return text[:1] + out[1:]  # the object keeps its own case

        match = re.match(r"^I\s+(\w+)\s+(.+)$", statement)
        if match and match.group(1).lower() in {"have", "like", "love", "enjoy", "play", "watch", "own", "eat", "drink"}:
            return [f"{name} does not {match.group(1).lower()} {rest(match.group(2))}"]
        match = re.match(r"^(?:I'm|I am)\s+(.+)$", statement)
        return [f"{name} is not {rest(match.group(1))}"] if match else []
    fragment = _fragment(answer, name)
    if not fragment:
        return []
    copula = re.match(r"^(?:I'm|I am)\s+(?:an?\s+|\d)", statement)
    if copula:
        article = "" if re.match(r"^(?:a|an|the|\d)", fragment, re.I) or not statement.split()[-2:-1] else (
            "an " if fragment[:1].lower() in "aeiou" else "a ")
        if re.match(r"^(?:I'm|I am)\s+\d", statement):
            return [f"{name} is {fragment}"] if re.fullmatch(r"\d{1,2}", fragment) else []
        return [f"{name} is {article}{fragment[:1].lower()}{fragment[1:]}"]
    verb = re.match(r"^I\s+(\w+)\s+(in|at|from|on|near|with|for)?\b", statement)
    if verb and verb.group(1).lower() not in {"have", "am", "do"}:
        prep = verb.group(2) + " " if verb.group(2) and not re.match(r"^(?:in|at|from|on|near|with|for)\b", fragment, re.I) else ""
        return [f"{name} {third_person(verb.group(1))} {prep}{fragment}"]
    return []


_TAG = re.compile(r",?\s*(?:right|correct|yes|yeah|isn't it|aren't you|don't you|haven't you|is that right)$", re.I)
# "Is your daughter called Maya?" + "yes": the possession's own predicate
_OWNED = re.compile(r"^(is|was)\s+your\s+([a-z]+)\s+(.+)$", re.I)


def _last_question(text: str) -> str | None:
    """The last sentence ending in "?" that is addressed to "you", cleaned of its "?"."""
    questions = [s for s in split_sentences(normalise(strip_noise(text))) if "?" in s.rstrip()[-3:]]
    for sentence in reversed(questions):
        body = re.sub(r"^.*?,\s*(?=(?:do|are|have|can|what|where|which|how|who)\b)", "", sentence.strip(), flags=re.I)
        body = re.sub(r"^(?:(?:so|and|but|ok|okay|well|oh|hey|hi|wow)\b[\s,]*)+", "", body.rstrip("?! ").strip(), flags=re.I)
        body = _TAG.sub("", body).strip()  # "you live in Denver, right?": the tag asks nothing
        body = re.sub(r"\byou're\b", "you are", body, flags=re.I)
        if re.search(r"\byou(?:r)?\b", body, re.I) or _ELIDED_EVER.match(body):
            return body
        return None
    return None


def _about_name(phrase: str, name: str) -> str | None:
    """"like your job" -> "like NAME's job"; None when the phrase speaks of the asker ("me", "my")."""
    if _ASSISTANT_FIRST_PERSON.search(phrase):
        return None
    phrase = re.sub(r"\byour\b", possessive(name), phrase, flags=re.I)
    phrase = re.sub(r"\byou(?:rself)?\b", name, phrase, flags=re.I)
    return _TRAILING.sub("", phrase).strip(" ,")


def _polar(aux: str, rest: str, answer: str, name: str, *, bare: bool = False) -> list[str]:
    """A yes/no question and a yes or a no: "do you play chess" + "yes" -> "NAME plays chess"."""
    yes, no = bool(_YES.match(answer)), bool(_NO.match(answer))
    if yes == no or _MOMENT.search(rest) or re.match(r"^\w+ing\b", rest) or re.search(r"\bor\b", rest):
        return []  # a moment, or a choice ("tea or coffee?") that a yes does not settle
    if bare:  # "you have kids?": the verb is in `aux`
        rest, aux = f"{aux} {rest}", "do"
    rest = _about_name(rest, name)
    if not rest:
        return []
    verb, _, tail = rest.partition(" ")
    if yes and re.match(r"^any\s", tail):
        tail = tail[4:]  # "do you have any kids" + "yes": "NAME has kids"
        rest = f"{verb} {tail}"
    if aux == "do":
        if not re.fullmatch(r"[a-z]+", verb):
            return []
        return [f"{name} {third_person(verb)} {tail}".strip()] if yes else [f"{name} does not {rest}"]
    if aux == "are":
        return [f"{name} is {rest}"] if yes else [f"{name} is not {rest}"]
    if aux == "have":
        if verb == "got":
            return [f"{name} has {tail}"] if yes else [f"{name} does not have {tail}"]
        participle = tail.partition(" ")[0] if verb == "ever" else verb  # "have you ever been to Spain"
        if not re.fullmatch(_PARTICIPLE, participle):
            return []  # "have you a ..." or anything not a participle
        done = re.sub(r"^ever ", "", rest)
        return [f"{name} has {done}"] if yes else [f"{name} has never {done}"]
    if aux == "can":
        return [f"{name} can {rest}"] if yes else [f"{name} cannot {rest}"]
    return []


_FRAGMENT_LEAD = re.compile(r"^(?:(?:oh|well|um|hmm|mostly|mainly|usually|definitely|probably|just|actually|"
                            r"currently|right now|honestly|haha|lol|ha)\s*,?\s+)+", re.I)
_FINITE = re.compile(r"\b(?:I|I'm|is|are|am|was|were|has|have|had|do|does|did|can|will|would|it's|that's)\b")
_WH = [
    # (question pattern, template for the fact; {n} is the name, {f} the fragment, {1} a group)
    (re.compile(r"^where\s+(?:are|were)\s+you\s+from$", re.I), "{n} is from {f}"),
    (re.compile(r"^where\s+do\s+you\s+(live|work|stay|study|teach)(?:\s+now)?$", re.I), "{n} {v1} {p}{f}"),
    (re.compile(r"^where\s+(?:are|were)\s+you\s+(?:located|based|living)$", re.I), "{n} lives {p}{f}"),
    (re.compile(r"^what(?:'s|\s+is)\s+your\s+((?:favorite|favourite|fav|fave)\s+[\w ]{2,30})$", re.I), "{n}'s {g} is {f}"),
    (re.compile(r"^who(?:'s|\s+is)\s+your\s+((?:favorite|favourite|fav|fave)\s+[\w ]{2,30})$", re.I), "{n}'s {g} is {f}"),
    (re.compile(r"^what\s+(?:kind|type|sort|kinds|types|sorts)\s+of\s+([\w ]{2,30}?)\s+do\s+you\s+(\w+)$", re.I), "{n} {v2} {f} {g}"),
    (re.compile(r"^how\s+many\s+([\w ]{2,20}?)\s+do\s+you\s+have$", re.I), "{n} has {f} {g}"),
    (re.compile(r"^how\s+old\s+are\s+you$", re.I), "{n} is {f} years old"),
    (re.compile(r"^what\s+do\s+you\s+do\s+for\s+(?:a\s+)?(?:living|work|job|a job)$", re.I), "{n} is {a}{f}"),
]
_ACTIVITY = re.compile(r"^what\s+do\s+you\s+(?:do|like\s+to\s+do|enjoy\s+doing|love\s+to\s+do)(?:\s+"
                       r"(?:for\s+fun|in\s+your\s+(?:spare|free)\s+time|for\s+a\s+hobby|on\s+(?:the\s+)?weekends?))?$", re.I)


def _wh(question: str, answer: str, name: str) -> list[str]:
    """A wh-question and a fragment: "where do you live" + "In California" -> "NAME lives in California"."""
    if _ACTIVITY.match(question):
        return _activities(answer, name)
    fragment = _fragment(answer, name)
    if not fragment:
        return []
    for pattern, template in _WH:
        match = pattern.match(question)
        if not match:
            continue
        if "{n} is {f} years old" == template and not re.fullmatch(r"\d{1,2}", fragment):
            return []
        if template.startswith("{n} has {f}") and not re.fullmatch(r"\d+|one|two|three|four|five|six|seven|eight|nine|ten", fragment, re.I):
            return []
        groups = match.groups()
        if any(_ASSISTANT_FIRST_PERSON.search(g or "") for g in groups):
            return []
        lead = re.match(r"^(?:in|at|on|near|from|by|outside|around|with|for)\b", fragment, re.I)
        fragment = fragment[:1].lower() + fragment[1:] if lead else fragment
        prep = "" if lead else (
            "at " if groups and groups[0].lower() in {"work", "study", "teach"} else "in ")
        article = "" if re.match(r"^(?:a|an|the)\b", fragment, re.I) or fragment[:1].isupper() else (
            "an " if fragment[:1].lower() in "aeiou" else "a ")
        fact = template.format(n=name, f=fragment, p=prep, a=article,
                               v1=third_person(groups[0].lower()) if groups else "",
                               v2=third_person(groups[-1].lower()) if groups else "",
                               g=groups[0] if groups else "")
        return [re.sub(r"\s+", " ", fact).strip()]
    return []


def _fragment(answer: str, name: str) -> str | None:
    """The short verbless phrase that answers a wh-question ("In california but I want ..." -> "In california")."""
    text = _FRAGMENT_LEAD.sub("", answer)
    text = re.split(r",|\s+but\s+|\s+(?:and|so)\s+(?=I\b)|\s+(?:here|you|and you|how about you|what about you)$", text)[0]
    text = re.sub(r"\s+here$", "", text.strip(" .!"), flags=re.I)
    words = text.split()
    if not words or len(words) > 8 or _FINITE.search(text) or re.search(r"\b(?:you|your|it|that|this|they|he|she)\b", text, re.I):
        return None
    if re.match(r"^(?:yes|no|not|maybe|nothing|none|idk|dunno|same|me|mine|lots|many|a lot|sometimes|good|great|nice|"
                r"cool|wow|thanks|thank|ok|okay|interesting|lol|haha|hi|hello|hey|sorry|oh|ah|awesome|really|what|why|how|"
                r"who|where|when|which)\b", text, re.I):
        return None
    text = re.sub(r"^(?:A|An|The|Some|Mostly|Mainly)\b", lambda m: m.group(0).lower(), text)
    return re.sub(r"\bmy\b", possessive(name), text, flags=re.I)


def _activities(answer: str, name: str) -> list[str]:
    """"Spend cash, go shopping, drink smoothies" -> one fact per verb phrase ("NAME spends cash", ...)."""
    text = _FRAGMENT_LEAD.sub("", answer)
    if re.search(r"\b(?:I|I'm|you|your|it|that|this)\b", text, re.I):
        return []
    out = []
    for part in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s+or\s+", text):
        words = part.split()
        if not words or len(words) > 7:
            return []
        verb = _base_verb(words[0].lower())
        if verb is None:
            return []  # a noun phrase or something we cannot read: say nothing
        out.append(" ".join([name, third_person(verb), *words[1:]]))
    return out if len(out) <= 4 else []


def _base_verb(word: str) -> str | None:
    """"go" -> "go", "playing" -> "play", "making" -> "make"; None when the word is no verb in the lexicon."""

    if word in VERBS:
        return word
    if word.endswith("ing") and len(word) > 4:
        stem = word[:-3]
        for base in (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else ""):
            if base in VERBS:
                return base
    return None
