"""Candidates that lean on context: pronoun objects, reactions, general statements, referents.

Each input is invented. The rules are grammar-level (what a pronoun can stand
for, whose world a clause is about), so other words in the same shapes must
behave the same.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mem0cli.candidates import build_candidates, is_general_statement, is_vague, proper_nouns
from mem0cli.models import Message
from mem0cli.wellformed import problems, repair


def user(text: str, when: str = "2024-05-02T10:00:00") -> Message:
    return Message(role="user", content=text, created_at=when)


def texts(messages: list[Message], default_name: str = "sam") -> list[str]:
    return [c.text for c in build_candidates(messages, default_name)]


# -- a pronoun object or a reaction says nothing on its own ---------------------------


@pytest.mark.parametrize(
    "fact",
    ["Sam loves it", "Sam really likes them so much", "Sam misses that",
     "Sam does not think so", "Sam bets she appreciates the effort", "Sam guesses so", "Sam knows it"],
)
def test_vague_clauses(fact: str) -> None:
    assert is_vague(fact)


@pytest.mark.parametrize(
    "fact",
    ["Sam loves hiking", "Sam has a cat named Mochi", "Sam thinks Sam's sister is moving to Leeds",
     "Sam knows Python and Go", "Sam's daughter loves her school", "Sam is allergic to sesame"],
)
def test_clauses_with_their_own_content_are_not_vague(fact: str) -> None:
    assert not is_vague(fact)


def test_a_pronoun_object_gives_no_candidate() -> None:
    assert texts([user("Oh I love it! I play the cello in an orchestra.")]) == ["Sam plays the cello in an orchestra"]


PRONOUNS = st.sampled_from(["it", "them", "that", "this", "him", "her"])
VERBS = st.sampled_from(["love", "like", "hate", "miss", "enjoy", "need"])
TAILS = st.sampled_from(["", " so much", " a lot", " too", " as well"])


@settings(max_examples=100, deadline=None)
@given(VERBS, PRONOUNS, TAILS)
def test_any_verb_with_only_a_pronoun_object_is_dropped(verb: str, pronoun: str, tail: str) -> None:
    assert texts([user(f"I {verb} {pronoun}{tail}.")]) == []


# -- general statements are not about the speaker's world -----------------------------


def test_general_statements_are_dropped() -> None:
    got = texts([user("Cats are such independent animals. Books are filled with journeys. There is always a queue.")])
    assert got == []


def test_named_third_parties_and_the_speakers_numbers_are_kept() -> None:
    got = texts([user("My youngest, Tomasz, is 6. Tomasz also hates anything spicy. Rent is €950 a month.")])
    assert "Tomasz also hates anything spicy" in got
    assert "Rent is €950 a month" in got


def test_proper_nouns_are_capitalised_inside_a_sentence() -> None:
    found = proper_nouns([user("Dogs are great. I drive a Tesla and my friend Ravi has one.")])
    assert {"Tesla", "Ravi"} <= found
    assert "Dogs" not in found
    assert is_general_statement("Dogs are loyal", found)
    assert not is_general_statement("Ravi has a dog", found)
    assert not is_general_statement("The flat is 48 m2", found)


# -- what "it" and "he" stand for -------------------------------------------------------


def test_it_stands_for_the_whole_noun_phrase() -> None:
    got = texts([user("I got my driving test letter yesterday! It's on the 3rd of next month in Leeds.")])
    assert "Sam's driving test letter is on 3 June 2024 in Leeds" in got


def test_a_named_relative_after_an_ordinal_is_who_he_means() -> None:
    got = texts([user("Guten Morgen alle! My eldest, Piet, is 12 and he has asthma.")])
    assert "Sam's eldest Piet has asthma" in got
    assert not any(t.startswith("Guten") for t in got)


def test_a_name_is_never_it() -> None:
    got = texts([user("my name is dana. it is rainy and grey here.")], "user")
    assert not any("name is rainy" in t for t in got)


def test_a_typographic_apostrophe_is_read_like_a_plain_one() -> None:
    assert texts([user("I\u2019m a welder and I\u2019ve got two dogs.")]) == ["Sam is a welder", "Sam has two dogs"]


# -- a clause cut off after a modal -----------------------------------------------------


@pytest.mark.parametrize("modal", ["should", "could", "would", "can", "will", "might"])
def test_a_dangling_modal_is_cut(modal: str) -> None:
    text = f"Sam is a research assistant at a marine lab, {modal}"
    assert "dangling end" in problems(text, {"Sam"})
    assert repair(text, {"Sam"}) == ["Sam is a research assistant at a marine lab"]


def test_a_final_modal_without_a_comma_is_whole() -> None:
    assert problems("Sam visits when Sam can", {"Sam"}) == []


@pytest.mark.parametrize("text", ["Ana is allergic to nuts.", "Priya starts at Google on Monday.", "Carlos moved to Lima in May."])
def test_a_name_said_once_at_the_start_of_a_sentence_is_still_a_name(text: str) -> None:
    from mem0cli.extract import RuleExtractor

    said = [f.text for f in RuleExtractor().extract([Message(role="user", content=text, id="1")], default_name="sam").facts]
    assert said == [text.rstrip(".")]
