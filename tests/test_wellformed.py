"""Every stored fact is one well-formed standalone sentence (issue 17, first bullet)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mem0cli.extract import RuleExtractor
from mem0cli.models import Fact, Message
from mem0cli.wellformed import check, check_facts, problems, repair

NAMES = {"Alex", "Alice", "User"}


def facts_for(text: str, user_id: str | None) -> list[str]:
    return [f.text for f in RuleExtractor().extract([Message("user", text, id="m1")], default_name=user_id).facts]


# -- examples, one defect class at a time ------------------------------------------


@pytest.mark.parametrize("text", ["Alex is Alex", "alex is Alex", "Alex's name is Alex", "User is User", "User's name is user"])
def test_tautology_is_dropped(text: str) -> None:
    assert repair(text, NAMES) == []
    assert "tautology" in problems(text, NAMES)


def test_a_name_fact_is_not_a_tautology() -> None:
    assert repair("User's name is Alice", NAMES) == ["User's name is Alice"]
    assert repair("User is Alex", {"Alex"}) == []  # the scope's display name is Alex already


def test_alternatives_stay_one_fact() -> None:
    assert repair("Alex walks or cycles to work", NAMES) == ["Alex walks or cycles to work"]
    assert repair("Alex likes tea but hates coffee", NAMES) == ["Alex likes tea", "Alex hates coffee"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("User lives in Seattle and prefer oat milk latte", ["User lives in Seattle", "User prefers oat milk latte"]),
        ("Alex is 34 and works as a nurse", ["Alex is 34", "Alex works as a nurse"]),
        ("Alex moved to Berlin and started a new job", ["Alex moved to Berlin", "Alex started a new job"]),
        ("Alex lives in Cork, works at Google and prefers tea", ["Alex lives in Cork", "Alex works at Google", "Alex prefers tea"]),
        ("Alex wants to learn Spanish and move to Madrid", ["Alex wants to learn Spanish", "Alex wants to move to Madrid"]),
        ("Alex can swim and play the piano", ["Alex can swim", "Alex can play the piano"]),
        ("Alex's parents live in Cork and run a pub", ["Alex's parents live in Cork", "Alex's parents run a pub"]),
    ],
)
def test_glued_predicates_are_split_with_the_subject_carried_over(text: str, expected: list[str]) -> None:
    assert "glued predicates" in problems(text, NAMES)
    assert repair(text, NAMES) == expected


@pytest.mark.parametrize(
    "text",
    ["Alex loves basketball and gaming", "Alex has a dog and a cat", "Alex loves the smell and taste of coffee",
     "Alex does yoga and runs"],
)
def test_coordinated_objects_stay_one_fact(text: str) -> None:
    assert repair(text, NAMES) == [text]


def test_carried_over_verb_agrees() -> None:
    assert repair("Alex plays chess and run marathons", NAMES) == ["Alex plays chess", "Alex runs marathons"]
    assert repair("Alex's boss studies law and teach yoga", NAMES)[1] == "Alex's boss teaches yoga"
    assert repair("Alex always makes hummus and eat it warm", NAMES)[1] == "Alex always eats it warm"


def test_a_verb_after_a_bare_comma_may_belong_to_another_clause() -> None:
    text = "Alex has learned that black cats at the shelter, get adopted less"
    assert "Alex gets adopted less" not in repair(text, NAMES)


def test_an_unknown_verb_after_to_takes_the_coordinated_one() -> None:
    assert repair("Alex knows to feed them carrots and make them beds", NAMES) == [
        "Alex knows to feed them carrots", "Alex knows to make them beds"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("User's name is Bob and", ["User's name is Bob"]),
        ("Alex works at a bakery,", ["Alex works at a bakery"]),
        ("Alex is happy :(", ["Alex is happy"]),
        ('Alex likes the song "Yellow', ["Alex likes the song"]),
        ("Alex has a cat (Mochi", ["Alex has a cat"]),
        ("Alex plans to", []),
        ("Alex lives with the", []),
    ],
)
def test_dangling_ends_are_cut_or_dropped(text: str, expected: list[str]) -> None:
    assert "dangling end" in problems(text, NAMES)
    assert repair(text, NAMES) == expected


def test_an_emoticon_ends_the_sentence() -> None:
    text = "Alex's husband could mind the dogs :) He does swim"
    assert "emoticon" in problems(text, NAMES)
    assert repair(text, NAMES) == ["Alex's husband could mind the dogs"]


def test_first_person_is_rewritten_to_the_speaker_or_dropped() -> None:
    assert repair("Alex lives with my sister", NAMES, speaker="Alex") == ["Alex lives with Alex's sister"]
    assert repair("Alex lives with my sister", NAMES) == []
    assert repair("Alex and I run a bakery", NAMES) == []


def test_second_person_is_dropped_but_quotes_are_kept() -> None:
    assert repair("You should try yoga", NAMES) == []
    assert repair("Alex's motto is \"you only live once\"", NAMES) == ["Alex's motto is \"you only live once\""]
    assert repair("Alex has Type I diabetes", NAMES) == ["Alex has Type I diabetes"]


@pytest.mark.parametrize(("text", "expected"), [
    ("um", []), ("hmm...", []), ("Well... um", []), ("Alex works at a bakery, um", ["Alex works at a bakery"]),
    ("Well... Alex likes tea", ["Alex likes tea"]), ("Alex, um, lives in Cork", ["Alex, lives in Cork"]),
])
def test_hesitation_is_removed(text: str, expected: list[str]) -> None:
    assert repair(text, NAMES) == expected


@pytest.mark.parametrize("text", ["Alex does not", "Alex did too", "Alice is not", "Alex has never", "Alex's son does too",
                                  "Alex does, it is one of Alex's hobbies", "User would as well"])
def test_an_answers_bare_auxiliary_is_no_fact(text: str) -> None:
    assert "no predicate" in problems(text, NAMES)
    assert repair(text, NAMES) == []


@pytest.mark.parametrize("text", ["Alex does yoga", "Alice is not sure about Leeds", "Alex has, since 2019, lived in Leeds",
                                  "Alex is from Leeds"])
def test_an_auxiliary_with_its_predicate_stays(text: str) -> None:
    assert problems(text, NAMES) == []


@given(st.sampled_from(["Alex", "Alice", "User", "Alex's son"]),
       st.sampled_from(["is", "was", "does", "did", "has", "can", "will", "would"]),
       st.sampled_from(["", " not", " never", " too", " not either"]))
def test_every_subject_with_a_bare_auxiliary_is_dropped(subject: str, aux: str, tail: str) -> None:
    assert repair(f"{subject} {aux}{tail}", NAMES) == []


@pytest.mark.parametrize("text", ["He lives in Cork", "It is in the garage", "Call Bob Bob"])
def test_a_fact_needs_a_subject(text: str) -> None:
    assert "no subject" in problems(text, NAMES)
    assert repair(text, NAMES) == []


def test_check_counts_repaired_and_dropped() -> None:
    checked = check(["Alex lives in Cork", "Alex is Alex", "Alex works at a bakery, and"])
    assert checked.texts == [["Alex lives in Cork"], [], ["Alex works at a bakery"]]
    assert (checked.repaired, checked.dropped) == (1, 1)


def test_check_facts_keeps_sources_and_drops_repeats() -> None:
    facts = [Fact("Alex lives in Cork and prefer tea", ("m1",), speaker="Alex"), Fact("Alex prefers tea", ("m2",))]
    out, repaired, dropped = check_facts(facts, NAMES)
    assert [(f.text, f.source_ids) for f in out] == [("Alex lives in Cork", ("m1",)), ("Alex prefers tea", ("m1",))]
    assert (repaired, dropped) == (1, 1)


# -- names from self-introductions, through the extractor ------------------------------


def test_user_id_equal_to_the_name_gives_no_tautology() -> None:
    facts = facts_for("Hi, I'm Alex. I love basketball and gaming.", "alex")
    assert facts == ["Alex loves basketball and gaming"]


def test_introduction_keeps_every_later_fact_separately() -> None:
    assert facts_for("I'm Alice. I live in Seattle and prefer oat milk latte.", "alice") == [
        "Alice lives in Seattle", "Alice prefers oat milk latte"]
    assert facts_for("I'm Alice. I live in Seattle and prefer oat milk latte.", None) == [
        "User's name is Alice", "Alice lives in Seattle", "Alice prefers oat milk latte"]


@pytest.mark.parametrize("intro", ["my name is Sam", "call me Sam", "im Sam btw", "Hello, I am Sam"])
def test_introduction_names_the_later_facts(intro: str) -> None:
    facts = facts_for(f"{intro}. I work at a bakery.", "u-123")
    assert facts == ["User's name is Sam", "Sam works at a bakery"]


def test_a_self_introduction_is_no_referent_for_it() -> None:
    facts = facts_for("btw call me Lena. I have a cat, Mochi, so it has to be pet-friendly.", "u-88213")
    assert not any("name has" in f for f in facts), facts


def test_a_name_ending_in_and_is_not_stored() -> None:
    assert facts_for("My name is Bob and I work at a bakery, um", "u-1") == ["User's name is Bob", "Bob works at a bakery"]


def test_a_nationality_is_not_a_name() -> None:
    assert "User's name is Irish" not in facts_for("I'm Irish. I live in Cork.", None)


def test_a_quoted_introduction_is_not_the_users() -> None:
    text = "Translate this: 'My name is Carla and I live in Valencia with my brothers.'"
    assert not any("Carla" in f for f in facts_for(text, "u-9"))


# -- chat between two people: what a peer chat leaves in a clause ----------------------

PEERS = {"Jon", "Gina"}


@pytest.mark.parametrize("text", ["Gina's customers is tough", "Melanie's kids was special to watch",
                                  "Maria's church friends was great to be surrounded"])
def test_a_plural_possessed_subject_with_a_singular_verb_is_dropped(text: str) -> None:
    assert "verb does not agree" in problems(text, PEERS)
    assert repair(text, PEERS) == []


@pytest.mark.parametrize("text", ["Jon's news is big", "Gina's kids are great", "Jon's students progress is fast"])
def test_singular_nouns_in_s_and_plural_verbs_agree(text: str) -> None:
    assert "verb does not agree" not in problems(text, PEERS)


def test_the_partner_addressed_at_the_end_is_cut() -> None:
    assert repair("Jon won't give up, Gina", PEERS) == ["Jon won't give up"]
    assert "vocative" in problems("Jon won't give up, Gina", PEERS)
    assert repair("Jon moved to Paris, Texas", PEERS) == ["Jon moved to Paris, Texas"]  # no speaker's name


@pytest.mark.parametrize("text", ["Woah, that pic's from when Jon's crew won", "Thanks Gina, it was amazing being there",
                                  "Here's a peek at the space Gina designed", "Glad Gina could help"])
def test_a_chat_reply_is_no_fact(text: str) -> None:
    assert repair(text, PEERS) == []


@pytest.mark.parametrize("text", ["Jon is helping those in need is important to Jon",
                                  "Being Gina's own boss and doing something",
                                  "Chasing Gina and Jon's dreams and helping each other out"])
def test_a_fact_is_one_clause_with_a_finite_verb(text: str) -> None:
    assert "not one clause" in problems(text, PEERS)


@pytest.mark.parametrize("text", ["Jon is proud of how far Jon has come", "Dancing brings Jon joy",
                                  "Painting landscapes is Gina's favorite", "Jon is making plans for Gina"])
def test_a_clause_with_its_own_opener_or_a_gerund_subject_stays(text: str) -> None:
    assert repair(text, PEERS) == [text]


def test_a_dummy_it_is_nobodys_thing() -> None:
    # "it" stands for what follows, not for "my kids" said before
    assert facts_for("I got my new bike yesterday. It's awesome how art can show emotions.", "mel") == [
        "Mel got Mel's new bike yesterday"]
    assert facts_for("I love my garden. It was great to be surrounded by flowers.", "mel") == ["Mel loves Mel's garden"]
    assert facts_for("I fixed my car. It was Matt who helped.", "mel") == ["Mel fixed Mel's car"]


def test_a_second_predicate_keeps_a_verb_that_is_third_person_already() -> None:
    assert repair("Gina chose furniture that looks great and is comfy", PEERS) != ["Gina ises comfy"]
    assert not any("ises" in f or "learnts" in f for f in facts_for("I chose a sofa and is comfy. I learnt French.", "u"))


# -- properties over generated sentences -----------------------------------------------

VERB_PAIRS = [("live", "lives"), ("work", "works"), ("prefer", "prefers"), ("play", "plays"), ("teach", "teaches"),
              ("study", "studies"), ("own", "owns"), ("love", "loves"), ("use", "uses"), ("watch", "watches")]
BASES = {b for b, _ in VERB_PAIRS}
OBJECTS = ["in Seattle", "at a bakery", "oat milk lattes", "chess", "maths", "a red bike", "jazz records",
           "Python at work", "near the river", "old films", "the violin", "in Cork"]
SUBJECTS = ["Alex", "Alice", "User", "Priya", "Alex's sister", "Jonas's boss", "Alice's cat Mochi"]
TAILS = ["", " and", " but", ",", " or", " (", ' "', " um", "...", " :(", " hmm", " and,", " so"]
FRONTS = ["", "Um, ", "Well... ", "Hmm "]

subjects = st.sampled_from(SUBJECTS)
predicates = st.tuples(st.sampled_from(VERB_PAIRS), st.sampled_from(OBJECTS), st.booleans())


def predicate_text(pred: tuple[tuple[str, str], str, bool]) -> str:
    (base, third), obj, agrees = pred
    return f"{third if agrees else base} {obj}"


@st.composite
def sentences(draw: st.DrawFn) -> str:
    """A subject, one to three predicates (some not agreeing), joined by "and" or commas, a tail."""
    subject = draw(subjects)
    preds = draw(st.lists(predicates, min_size=1, max_size=3))
    first = predicate_text((preds[0][0], preds[0][1], True))
    rest = [predicate_text(p) for p in preds[1:]]
    # a bare comma only before an agreeing verb: ", live in X" may be another clause's verb
    joiners = [draw(st.sampled_from([" and ", ", and "] + ([", "] if p[2] else []))) for p in preds[1:]]
    body = first + "".join(j + r for j, r in zip(joiners, rest))
    pronoun = draw(st.sampled_from(["", "", "", " with my friend", " for you", " with me"]))
    return draw(st.sampled_from(FRONTS)) + f"{subject} {body}{pronoun}" + draw(st.sampled_from(TAILS))


def independently_well_formed(text: str) -> bool:
    """A check written apart from the module: what a person reading the fact would notice."""
    words = text.split()
    if len(words) < 3 or not text[0].isupper():
        return False
    if re.search(r"(?:\b(?:and|but|or|so)|[,(\"\u201c:;-])\s*$", text):
        return False
    if text.count("(") != text.count(")") or text.count('"') % 2:
        return False
    if re.search(r"\b(?:I|me|my|you|your|we|our)\b", text) or re.search(r"\b(?:um|hmm|uh)\b|\.\.\.", text, re.I):
        return False
    if re.fullmatch(r"(\w+)(?:'s name)? is \1", text, re.I):
        return False
    # a verb after "and"/a comma agrees with the singular subject: no bare base form follows one
    return not any(re.search(rf"(?:\band|,)\s+{b}\b", text) for b in BASES)


@settings(max_examples=300, deadline=None)
@given(sentences())
def test_every_output_is_well_formed(text: str) -> None:
    for fact in repair(text, NAMES, speaker="Alex"):
        assert independently_well_formed(fact), (text, fact)
        assert not problems(fact, NAMES), (text, fact)


@settings(max_examples=200, deadline=None)
@given(subjects, st.sampled_from(VERB_PAIRS), st.sampled_from(OBJECTS))
def test_well_formed_input_passes_unchanged(subject: str, verb: tuple[str, str], obj: str) -> None:
    text = f"{subject} {verb[1]} {obj}"
    assert independently_well_formed(text)
    assert repair(text, NAMES) == [text]


@settings(max_examples=200, deadline=None)
@given(subjects, st.lists(predicates, min_size=2, max_size=3))
def test_coordinated_predicates_become_one_fact_each(subject: str, preds: list) -> None:
    agreeing = [f"{third} {obj}" for (_, third), obj, _ in preds]
    text = f"{subject} " + " and ".join(predicate_text((p[0], p[1], i == 0 or p[2])) for i, p in enumerate(preds))
    assert repair(text, NAMES) == [f"{subject} {a}" for a in agreeing]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_nothing_raises_and_repair_is_idempotent(text: str) -> None:
    for fact in repair(text, NAMES, speaker="Alex"):
        assert repair(fact, NAMES, speaker="Alex") == [fact]


@pytest.mark.parametrize("text", ["User's partner Lee", "Dana's dog Biscuit", "At User's age", "Due to User's record contract"])
def test_a_noun_phrase_without_a_verb_is_not_a_fact(text: str) -> None:
    assert "no verb" in problems(text, NAMES)
    assert repair(text, NAMES) == []


@pytest.mark.parametrize("text", ["Precious and Thabo split it 50/50", "Clowns terrify User", "Alex's kids are 7 and 10",
                                  "Alex can't swim", "They're Alex's cousins"])
def test_a_sentence_with_a_verb_is_not_flagged_verbless(text: str) -> None:
    assert "no verb" not in problems(text, NAMES)


def test_a_self_introduction_with_an_apposition_keeps_the_apposition() -> None:
    assert repair("Dana is Dana, a product manager at Shopify", {"Dana"}) == ["Dana is a product manager at Shopify"]
    assert "Dana is Dana, a product manager at Shopify" not in facts_for(
        "Hi! I'm Dana, a product manager at Shopify. I love hiking.", "dana")


@pytest.mark.parametrize(("text", "expected"), [
    ("Gulnara moved to Almaty last month and now", ["Gulnara moved to Almaty last month"]),
    ("Thandiwe's are falling apart", []), ("Ana's has been great", []),
    ("Ana's been to Porto", ["Ana's been to Porto"]), ("Ana's shoes are falling apart", ["Ana's shoes are falling apart"]),
])
def test_a_clause_cut_short_or_missing_its_noun(text: str, expected: list[str]) -> None:
    assert repair(text, PEERS) == expected
