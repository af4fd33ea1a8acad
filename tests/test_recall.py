"""Recall mechanisms of the candidate rules, one test per kind of fact that was being lost.

Each input is invented; the rules under test are grammar-level (clause boundaries,
subject carry-over, verbatim identifiers, speakers' names, corrections), so the
same sentences with other words must behave the same.
"""

from __future__ import annotations

import pytest

from mem0cli.candidates import (
    build_candidates,
    corrections_in,
    rewrite_first_person,
    split_clauses,
    terse_facts,
)
from mem0cli.extract import RuleExtractor
from mem0cli.models import Message
from mem0cli.wellformed import problems


def user(text: str, name: str | None = None, id: str | None = None, when: str = "2024-05-02T10:00:00") -> Message:
    return Message(role="user", content=text, name=name, id=id, created_at=when)


def facts(messages: list[Message], default_name: str = "u-1") -> list[str]:
    """What the rule path (candidates, grounding, well-formedness) keeps, without a model."""
    return [f.text for f in RuleExtractor().extract(messages, default_name=default_name).facts]


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("I do love the winter markets I volunteer at a food bank every December",
         ["I do love the winter markets", "I volunteer at a food bank every December"]),
        ("we run Nomad 1.7 on bare metal, state is kept in a Consul cluster",
         ["we run Nomad 1.7 on bare metal", "state is kept in a Consul cluster"]),
        ("I cook on weekdays, Farid cooks at the weekend", ["I cook on weekdays", "Farid cooks at the weekend"]),
        ("the flat is 48 m2, about 2 km from the station", ["the flat is 48 m2", "the flat is about 2 km from the station"]),
    ],
)
def test_coordinated_clauses_split_with_the_subject_carried_over(sentence: str, expected: list[str]) -> None:
    assert split_clauses(sentence) == expected


@pytest.mark.parametrize("sentence", ["I think I like it a lot", "Around 3 May I started a new job", "so what I mean is I quit"])
def test_a_subordinate_i_is_no_new_clause(sentence: str) -> None:
    assert split_clauses(sentence) == [sentence]


def test_coordinated_predicates_become_separate_facts() -> None:
    got = facts([user("I'm a locksmith in Ghent and I also teach evening classes twice a week.")], "ruben")
    assert "Ruben is a locksmith in Ghent" in got
    assert "Ruben also teaches evening classes twice a week" in got


@pytest.mark.parametrize(
    "clause, expected",
    [
        ("I completely forgot the recipe", "Oona completely forgot the recipe"),
        ("I mainly cook Thai food", "Oona mainly cooks Thai food"),
        ("I used to work in a bakery", "Oona used to work in a bakery"),
        ("I actually don't live there anymore", "Oona actually does not live there anymore"),
        ("I rely on the bus", "Oona relies on the bus"),
    ],
)
def test_adverbs_in_ly_are_not_conjugated(clause: str, expected: str) -> None:
    assert rewrite_first_person(clause, "Oona") == expected


def test_she_has_been_agrees() -> None:
    got = facts([user("My aunt Rosa moved in with us. She's been retired since 2019.")], "tomas")
    assert any(t.startswith("Tomas's aunt Rosa has been retired since 2019") for t in got), got
    assert all(not problems(t, {"Tomas"}) for t in got), got


@pytest.mark.parametrize(
    "text, kept",
    [
        ("we're on Kubernetes 1.29 with Helm 3.14 in ap-south-1", ["1.29", "3.14", "ap-south-1"]),
        ("my order number is KX-40917-B and it cost $129.99", ["KX-40917-B", "$129.99"]),
        ("the meeting is at 07:45 on Thursdays, room 4.12", ["07:45", "4.12"]),
        ("I bought a 2 TB SSD for my NAS", ["2 TB"]),
    ],
)
def test_numbers_and_identifiers_are_kept_verbatim(text: str, kept: list[str]) -> None:
    got = " | ".join(facts([user(text)], "devi"))
    for token in kept:
        assert token in got, got


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I use a ThinkPad X1 Carbon with Arch Linux for work", "Kofi uses a ThinkPad X1 Carbon with Arch Linux for work"),
        ("our stack is Django, Celery and Postgres 16", "Kofi's stack is Django, Celery and Postgres 16"),
        ("we deploy on Fly.io from GitHub Actions", "Kofi deploys on Fly.io from GitHub Actions"),
        ("I've got a Garmin Forerunner 265", "Kofi has a Garmin Forerunner 265"),
    ],
)
def test_tools_devices_and_stacks(text: str, expected: str) -> None:
    assert expected in facts([user(text)], "kofi")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("41, welder, Cork", ["Sven is 41 years old", "Sven is a welder", "Sven lives in Cork"]),
        ("vegan btw", ["Sven is vegan"]),
        ("Irish, 33, plumber", ["Sven is Irish", "Sven is 33 years old", "Sven is a plumber"]),
    ],
)
def test_terse_messages_give_one_fact_a_part(text: str, expected: list[str]) -> None:
    assert terse_facts(text, "Sven") == expected
    assert all(f in facts([user(text)], "sven") for f in expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("nurse, 41, Cork", ["Sven is a nurse", "Sven is 41 years old", "Sven lives in Cork"]),
        ("chef btw", ["Sven is a chef"]),
        ("introvert btw", ["Sven is an introvert"]),
        ("Vegetarian, Leeds", ["Sven is vegetarian", "Sven lives in Leeds"]),
        ("Irish, vegan, gluten-free", ["Sven is Irish", "Sven is vegan", "Sven is gluten-free"]),
    ],
)
def test_a_bare_noun_takes_an_article_and_only_proper_adjectives_keep_a_capital(text: str, expected: list[str]) -> None:
    assert terse_facts(text, "Sven") == expected


@pytest.mark.parametrize("text", ["ok, thanks", "Paris", "lol ok", "sounds good, cheers!", "yes", "where, when?", "I'm 41"])
def test_replies_are_not_terse_facts(text: str) -> None:
    assert terse_facts(text, "Sven") == []


def test_two_named_speakers_sharing_a_user_id_keep_their_own_facts() -> None:
    messages = [
        user("ok bot, settle this: who does the dishes", name="ines", id="m1"),
        user("anyway bot, Ruairi is moving to Leeds in June, he got a job at the council", name="ines", id="m2"),
        user("I work nights at the depot so not me", name="ruairi", id="m3"),
    ]
    cands = {c.text: c for c in build_candidates(messages, "ines")}
    assert "Ruairi is moving to Leeds in June 2024" in cands, list(cands)
    assert "Ruairi got a job at the council" in cands, list(cands)
    assert cands["Ruairi works nights at the depot"].speaker == "Ruairi"
    assert cands["Ruairi works nights at the depot"].source_ids == ("m3",)


@pytest.mark.parametrize(
    "text, pair",
    [
        ("actually it's Tuesday, not Monday", ("Tuesday", "Monday")),
        ("sorry, Porto not Lisbon", ("Porto", "Lisbon")),
        ("not 8:30, 9:15", ("9:15", "8:30")),
    ],
)
def test_corrections_are_read(text: str, pair: tuple[str, str]) -> None:
    assert pair in corrections_in(text)


def test_a_correction_rewrites_the_fact_it_corrects() -> None:
    messages = [
        user("Our band rehearses on Monday evenings in Stoke.", id="m1"),
        Message(role="assistant", content="Got it."),
        user("actually it's Tuesday, not Monday", id="m3"),
    ]
    cands = build_candidates(messages, "maya")
    got = [c.text for c in cands]
    assert "Maya's band rehearses on Tuesday evenings in Stoke" in got
    assert not any("Monday" in t for t in got)
    fixed = next(c for c in cands if "Tuesday" in c.text)
    assert fixed.kind == "correction" and fixed.source_ids == ("m1", "m3")


def test_a_correction_in_a_later_add_supersedes_the_stored_fact(isolated_home) -> None:
    from mem0cli import Memory
    from tests.fakes import FakeEmbedder

    memory = Memory(path=isolated_home, embedder=FakeEmbedder(), extractor=RuleExtractor())
    scope = {"user_id": "noor"}
    first = memory.add([{"role": "user", "content": "I live in Denver with my two kids.", "id": "a1"}], **scope)
    old = next(r for r in first["results"] if "Denver" in r["memory"])
    second = memory.add([
        {"role": "assistant", "content": "So you live in Denver, right?", "id": "b1"},
        {"role": "user", "content": "Boulder, not Denver.", "id": "b2"},
    ], **scope)
    new = next(r for r in second["results"] if "Boulder" in r["memory"])
    assert new["memory"] == "Noor lives in Boulder"
    assert new["event"] == "UPDATE" and new["superseded_id"] == old["id"], (first, second)
    current = [m["memory"] for m in memory.get_all(**scope)["results"] if not m.get("superseded_by")]
    assert "Noor lives in Boulder" in current and not any("Denver" in m for m in current), current
    assert [e["event"] for e in memory.history(old["id"])] == ["ADD", "UPDATE"]


@pytest.mark.parametrize("user_id", ["newbie", "u-1", "jordan"])
def test_a_self_introduction_names_the_user_whatever_the_user_id(user_id: str) -> None:
    said = facts([Message(role="user", content="my name is Jordan and I'm allergic to peanuts")], default_name=user_id)
    assert "Jordan is allergic to peanuts" in said
    assert not any(f.startswith(("Newbie is", "User is")) or f == "Jordan's name is Jordan" for f in said)


def test_a_speaker_the_transcript_names_keeps_that_name() -> None:
    said = facts([Message(role="user", name="Dana", content="Call me Dee. I live in Leeds")], default_name="u-1")
    assert "Dana lives in Leeds" in said


@pytest.mark.parametrize(
    "text, expected",
    [
        ("One dog, Tass, and two cats, Smilla and Nisse.", ["Bjorn has a dog named Tass", "Bjorn has two cats named Smilla and Nisse"]),
        ("Two sons, Tom and Ben, and a daughter, Ana.", ["Bjorn has two sons named Tom and Ben", "Bjorn has a daughter named Ana"]),
        ("3 cats", ["Bjorn has 3 cats"]),
    ],
)
def test_a_verbless_count_of_pets_or_relatives_gives_one_fact_a_count(text: str, expected: list[str]) -> None:
    from mem0cli.candidates import counted_kin_and_pets

    assert counted_kin_and_pets(text, "Bjorn") == expected
    assert all(f in facts([Message(role="user", content=text)], default_name="bjorn") for f in expected)


@pytest.mark.parametrize("text", ["a dog", "One coffee, two teas", "I have two cats and it is chaos", "two kids?"])
def test_a_count_of_anything_else_or_a_lone_thing_is_no_such_fact(text: str) -> None:
    from mem0cli.candidates import counted_kin_and_pets

    assert counted_kin_and_pets(text, "Bjorn") == []


def test_name_here_introduces_the_speaker_and_a_terse_list_follows() -> None:
    got = facts([user("Priya here. Vegetarian, allergic to shellfish, and training for a half marathon in April.")])
    assert "User's name is Priya" in got
    assert {"Priya is allergic to shellfish", "Priya is training for a half marathon in April"} <= set(got)
    assert not any("Same" in f for f in facts([user("Same here. I love dogs.")]))


@pytest.mark.parametrize("text", ["Cooking, cleaning, sleeping.", "no kids, not married", "Watching a film, new one and surveys"])
def test_bare_gerunds_and_unreadable_parts_are_not_terse_facts(text: str) -> None:
    assert terse_facts(text, "Sven") == []
@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("I'm 46 with kids, maybe she did not like that", ["I'm 46 with kids", "maybe she did not like that"]),
        ("That is really cool I like cats", ["That is really cool", "I like cats"]),
    ],
)
def test_a_hedged_or_run_on_new_subject_starts_a_clause(sentence: str, expected: list[str]) -> None:
    assert split_clauses(sentence) == expected


@pytest.mark.parametrize(
    "clause, expected",
    [
        ("I'm a cat person myself", "Oona is a cat person"),
        ("I am a nurse myself", "Oona is a nurse"),
        ("I'm just leaving for the airport", "Oona is just leaving for the airport"),
        ("I leaving for the airport", "Oona is leaving for the airport"),  # a dropped "am"
        ("I bring lunch", "Oona brings lunch"),
    ],
)
def test_an_emphatic_myself_goes_and_a_bare_gerund_gets_its_is(clause: str, expected: str) -> None:
    assert rewrite_first_person(clause, "Oona") == expected


def test_a_sentence_opening_on_a_gerund_takes_the_speakers_earlier_i() -> None:
    got = facts([user("I'm a sound engineer. Currently living in Leeds")], "oona")
    assert "Oona is currently living in Leeds" in got


@pytest.mark.parametrize("text", ["Currently living in Leeds", "I'm a sound engineer. Also like hunting and fishing",
                                  "Something is wrong. Running late again"])
def test_no_i_is_carried_without_an_earlier_i_or_past_a_filler(text: str) -> None:
    got = facts([user(text)], "oona")
    assert not any(t.startswith("Oona is currently") or t.startswith("Oona is hunting") or "running" in t.lower()
                   for t in got), got


def test_an_adverb_and_a_place_after_an_earlier_i_are_the_speakers() -> None:
    assert "Oona is currently in high school" in facts([user("I am 16. Currently in high school.")], "oona")
