"""Candidates that need a second look: a possession implied by a possessive, an answer to a question.

Inputs are invented; the rules are grammar-level, so the same shapes with other
words must behave the same (the property tests vary the words).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mem0cli.answers import answer_facts
from mem0cli.extract import RuleExtractor
from mem0cli.implied import implied_possessions
from mem0cli.models import Message
from mem0cli.wellformed import problems


def facts(messages: list[Message], default_name: str = "u-1") -> list[str]:
    return [f.text for f in RuleExtractor().extract(messages, default_name=default_name).facts]


def chat(*turns: str) -> list[Message]:
    """Alternating turns; a turn starting with "A:" is the other speaker's."""
    return [Message(role="assistant" if t.startswith("A:") else "user", content=t.removeprefix("A:"), id=str(i))
            for i, t in enumerate(turns)]


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("My son is in junior high", ["Noa has a son"]),
        ("that is not ok, my older brother used to do that", ["Noa has an older brother"]),
        ("gotta go walk my dogs soon", ["Noa has dogs"]),
        ("our two cats sleep all day", ["Noa has two cats"]),
        ("my kids love the beach", ["Noa has kids"]),
    ],
)
def test_a_possessive_of_a_relative_or_pet_implies_having_one(sentence: str, expected: list[str]) -> None:
    assert implied_possessions(sentence, "Noa") == expected


@pytest.mark.parametrize(
    "sentence",
    ["My late husband loved fishing", "my ex wife lives in Leeds", "if my dog could talk",
     "my mom taught me to knit", "my job is boring", "my phone died"],
)
def test_no_possession_is_implied_by_the_dead_the_former_the_hypothetical_or_things(sentence: str) -> None:
    assert implied_possessions(sentence, "Noa") == []


def test_the_implied_possession_stands_beside_the_clause() -> None:
    got = facts([Message("user", "Yes! My daughter is in junior high.", id="1")], "noa")
    assert "Noa has a daughter" in got and "Noa's daughter is in junior high" in got


def test_a_named_pet_is_not_repeated_without_its_name() -> None:
    got = facts([Message("user", "my cat Borscht keeps scratching the sofa", id="1")], "noa")
    assert "Noa has a cat named Borscht" in got and "Noa has a cat" not in got


@pytest.mark.parametrize(
    "question, answer, expected",
    [
        ("Do you like dogs?", "Yes! they are great", ["Ivo likes dogs"]),
        ("Hi, do you play chess? I love it.", "no, never learned", ["Ivo does not play chess"]),
        ("Are you married?", "Yes, 20 years now", ["Ivo is married"]),
        ("Have you tried fries with melted cheese?!", "Yes, and with gravy", ["Ivo has tried fries with melted cheese"]),
        ("I have three. Do you have any kids?", "Yes, two boys", ["Ivo has kids"]),
        ("you have pets?", "nope", ["Ivo does not have pets"]),
        ("Where do you live?", "In California but I want to move", ["Ivo lives in California"]),
        ("It is cold here too, where are you from?", "Canada. I fix boilers", ["Ivo is from Canada"]),
        ("What is your favorite food?", "A good steak. You?", ["Ivo's favorite food is a good steak"]),
        ("What kind of music do you like?", "Mostly rock and metal", ["Ivo likes rock and metal music"]),
        ("How many kids do you have?", "three", ["Ivo has three kids"]),
        ("how old are you?", "34, you?", ["Ivo is 34 years old"]),
        ("What do you do for fun?", "Spend cash, go shopping, drink smoothies",
         ["Ivo spends cash", "Ivo goes shopping", "Ivo drinks smoothies"]),
        ("So what do you do in your free time?", "Just listening to music and playing video games",
         ["Ivo listens to music", "Ivo plays video games"]),
    ],
)
def test_an_answer_takes_its_predicate_from_the_question(question: str, answer: str, expected: list[str]) -> None:
    assert answer_facts(question, answer, "Ivo") == expected


@pytest.mark.parametrize(
    "question, answer",
    [
        ("How are you today?", "good thanks"),
        ("Are you going to have drinks too?", "Of course!"),
        ("Are you ok?", "yes"),
        ("Do you like my new hat?", "yes"),  # about the asker, not the speaker
        ("Do you like dogs?", "Maybe, why?"),  # neither yes nor no
        ("Where do you live?", "I moved last year, it is complicated"),  # no fragment to read
        ("What do you do for fun?", "Good question"),  # not a verb phrase
        ("I like rain.", "yes"),  # no question at all
        ("Do you like dogs? Or cats?", "cats"),  # the last question is not addressed to the speaker
    ],
)
def test_no_answer_fact_without_a_lasting_question_and_a_readable_answer(question: str, answer: str) -> None:
    assert answer_facts(question, answer, "Ivo") == []


def test_answer_facts_reach_the_extractor_grounded_in_both_turns() -> None:
    got = facts(chat("A:Where are you from?", "Canada. I am an apprentice electrician."), "ivo")
    assert "Ivo is from Canada" in got and "Ivo is an apprentice electrician" in got


def test_only_the_question_just_before_is_answered() -> None:
    got = facts(chat("A:Do you like dogs?", "I have to go", "yes"), "ivo")
    assert "Ivo likes dogs" not in got


_OBJECT = st.sampled_from(["chess", "horror movies", "country music", "spicy food", "board games", "jazz"])
_VERB = st.sampled_from(["like", "play", "watch", "enjoy", "cook", "collect"])
_YES = st.sampled_from(["yes", "Yes!", "yeah, a lot", "I do", "of course"])
_NO = st.sampled_from(["no", "Nope.", "not really", "I don't", "never"])


@given(_VERB, _OBJECT, _YES, _NO)
def test_yes_and_no_give_opposite_well_formed_facts(verb: str, obj: str, yes: str, no: str) -> None:
    question = f"Do you {verb} {obj}?"
    (pos,) = answer_facts(question, yes, "Ivo")
    (neg,) = answer_facts(question, no, "Ivo")
    assert pos.startswith("Ivo ") and pos.endswith(obj) and "not" not in pos
    assert neg == f"Ivo does not {verb} {obj}"
    assert problems(pos, {"Ivo"}) == [] and problems(neg, {"Ivo"}) == []


_KIN = st.sampled_from(["son", "daughter", "sister", "brother", "wife", "husband", "dog", "cat", "horse"])
_REST = st.sampled_from(["is in junior high", "loves the beach", "lives in Leeds", "works nights"])


@given(_KIN, _REST)
def test_every_possessive_of_kin_or_pet_implies_one_well_formed_fact(kin: str, rest: str) -> None:
    (fact,) = implied_possessions(f"My {kin} {rest}", "Noa")
    assert fact == f"Noa has a {kin}"
    assert problems(fact, {"Noa"}) == []


@pytest.mark.parametrize(
    "said, answer, expected",
    [
        ("I am a homemaker you?", "Professional wrestler here", ["Ivo is a professional wrestler"]),
        ("I love hiking. How about you?", "Me too! every weekend", ["Ivo loves hiking"]),
        ("I like to walk.", "Me too, it clears my head", ["Ivo likes to walk"]),
        ("I have a pet though. Do you?", "No but I should", ["Ivo does not have a pet"]),
        ("I live in Florida. You?", "Tennessee, near the mountains", ["Ivo lives in Tennessee"]),
        ("I'm 27. How about you?", "34", ["Ivo is 34"]),
    ],
)
def test_a_you_turned_back_or_a_me_too_takes_the_askers_own_statement(said: str, answer: str, expected: list[str]) -> None:
    assert answer_facts(said, answer, "Ivo") == expected


@pytest.mark.parametrize(
    "said, answer",
    [
        ("I'm just watching a documentary. You?", "Just listening to music"),  # the moment, not a fact
        ("I think it will rain. You?", "me too"),  # an opinion about the world
        ("Do you like your job?", "me too"),  # nothing to agree with
        ("I love hiking. You?", "Good question"),
    ],
)
def test_no_echo_fact_from_a_moment_an_opinion_or_an_unreadable_answer(said: str, answer: str) -> None:
    assert answer_facts(said, answer, "Ivo") == []


def test_what_do_you_like_to_do_is_answered_by_verb_phrases() -> None:
    got = answer_facts("Aww just a young one. What do you like to do?", "Study biology and practice running", "Ivo")
    assert got == ["Ivo studies biology", "Ivo practices running"]


@pytest.mark.parametrize("sentence", ["Kenji is my nephew", "our son Yusuf just turned 4", "My husband, Karim, works shifts"])
def test_a_relative_named_or_in_the_predicate_implies_nothing_more(sentence: str) -> None:
    assert implied_possessions(sentence, "Noa") == []
