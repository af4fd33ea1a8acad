"""A plain yes to the assistant's question about the user is the user's claim (answers.py); nothing else is."""

from __future__ import annotations

import pytest

from mem0cli.answers import answer_facts
from mem0cli.extract import RuleExtractor
from mem0cli.models import Message


@pytest.mark.parametrize(
    "question, reply, expected",
    [
        ("So you live in Denver, right?", "yep", "Sam lives in Denver"),
        ("Are you vegan?", "yes", "Sam is vegan"),
        ("Do you have a dog?", "Yes!", "Sam has a dog"),
        ("Great. And you work at Acme, correct?", "yes, that's right", "Sam works at Acme"),
        ("Sounds fun. You're a nurse, aren't you?", "I am", "Sam is a nurse"),
        ("Is your daughter called Maya?", "yes", "Sam's daughter is called Maya"),
    ],
)
def test_a_yes_confirms_the_question(question: str, reply: str, expected: str) -> None:
    assert answer_facts(question, reply, "Sam") == [expected]


@pytest.mark.parametrize(
    "question, reply",
    [
        ("Do you prefer tea or coffee?", "yes"),  # a yes settles nothing
        ("Where do you live?", "yes"),
        ("You want me to draft it?", "yes"),  # about the assistant's work
        ("The capital is Canberra.", "yes"),
    ],
)
def test_anything_else_confirms_nothing(question: str, reply: str) -> None:
    assert answer_facts(question, reply, "Sam") == []


@pytest.mark.parametrize(
    "question, reply, expected",
    [
        ("Have you ever been to Spain?", "Yes I have", "Sam has been to Spain"),
        ("That is exciting. Ever been to Spain?", "Yes, I've. I bought a blouse there.", "Sam has been to Spain"),
        ("Have you ever tried knitting?", "No, I never wanted to.", "Sam has never tried knitting"),
        ("Ever ridden a horse?", "Nope", "Sam has never ridden a horse"),
    ],
)
def test_have_you_ever_reads_its_participle(question: str, reply: str, expected: str) -> None:
    assert answer_facts(question, reply, "Sam") == [expected]


@pytest.mark.parametrize("question", ["Ever been?", "Ever wonder why?", "Have you ever?"])
def test_have_you_ever_without_a_participle_and_object_says_nothing(question: str) -> None:
    assert answer_facts(question, "Yes!", "Sam") == []


def test_a_confirmed_claim_is_extracted_from_a_transcript() -> None:
    messages = [Message("user", "can you help me plan a trip?", id="1"),
                Message("assistant", "Sure! So you live in Denver, right?", id="2"),
                Message("user", "yep", id="3")]
    facts = RuleExtractor().extract(messages, default_name="sam").facts
    assert [f.text for f in facts] == ["Sam lives in Denver"]
    assert facts[0].source_ids == ("2", "3")
