"""A correction in a later add ("actually it's Tuesday, not Monday") supersedes the stored fact it corrects."""

from __future__ import annotations

import pytest

from mem0cli import Memory
from mem0cli.extract import RuleExtractor


@pytest.fixture
def rules(memory):
    m = Memory(settings=memory.settings, embedder=memory.embedder, extractor=RuleExtractor())
    yield m
    m.close()


def texts(memory, **scope):
    return sorted(r["memory"] for r in memory.get_all(**scope)["results"] if not r["superseded_by"])


def test_a_bare_correction_in_a_later_add_supersedes_the_fact_it_corrects(rules):
    first = rules.add("standup is Monday at 10am", user_id="sam")["results"][0]
    fixed = rules.add("actually it's Tuesday, not Monday", user_id="sam")["results"]
    assert [(r["event"], r["memory"]) for r in fixed] == [("UPDATE", "Standup is Tuesday at 10am")]
    assert texts(rules, user_id="sam") == ["Standup is Tuesday at 10am"]
    assert rules.get(first["id"])["superseded_by"] == fixed[0]["id"]
    evidence = [e["content"] for e in rules.get(fixed[0]["id"])["evidence"]]
    assert evidence == ["actually it's Tuesday, not Monday"]


def test_a_correction_with_nothing_stored_to_correct_adds_nothing(rules):
    rules.add("standup is Monday at 10am", user_id="sam")
    assert rules.add("not Friday, Thursday", user_id="sam")["results"] == []
    assert rules.add("actually it's Tuesday, not Monday", user_id="someone-else")["results"] == []
    assert texts(rules, user_id="sam") == ["Standup is Monday at 10am"]


def test_a_correction_inside_one_add_is_applied_once(rules):
    said = rules.add(
        [{"role": "user", "content": "standup is Monday at 10am"},
         {"role": "user", "content": "sorry, Tuesday, not Monday"}],
        user_id="sam",
    )["results"]
    assert [r["memory"] for r in said] == ["Standup is Tuesday at 10am"]
    assert rules.add("actually it's Tuesday, not Monday", user_id="sam")["results"] == []



def test_a_contrast_in_the_middle_of_a_chat_is_no_correction(rules):
    from mem0cli.corrections import stored_corrections
    from mem0cli.models import Message

    rules.add("I felt sad about the move to Leeds", user_id="sam")
    scope = {"user_id": "sam", "agent_id": None, "run_id": None}

    def corrected(text: str) -> list[str]:
        return [f.text for f in stored_corrections(rules.store, [Message(role="user", content=text)], [], scope)]

    assert corrected("We laughed a lot at the film last night with Ana and Tom, funny, not sad.") == []
    assert corrected("happy, not sad") == ["Sam felt happy about the move to Leeds"]
    assert corrected("Sorry, I got that wrong earlier, happy, not sad.") == ["Sam felt happy about the move to Leeds"]


def test_a_corrected_time_keeps_the_zone_the_fact_already_has(rules):
    # "9:30am PT, not 10am": the numbers are the two sides; "PT" is said of both
    rules.add("For project 42, standup is 10am PT on weekdays.", user_id="team", run_id="project-42")
    fixed = rules.add("Actually standup moves to 9:30am PT, not 10am.", user_id="team", run_id="project-42")["results"]
    assert [r["memory"] for r in fixed] == ["Standup is 9:30am PT on weekdays"]
    assert texts(rules, user_id="team", run_id="project-42") == ["Standup is 9:30am PT on weekdays"]


def test_only_sides_that_both_open_with_a_number_are_cut_to_their_numbers():
    from mem0cli.candidates import corrections_in

    assert corrections_in("not 10am, but 9:30am PT.") == [("9:30am", "10am")]
    assert corrections_in("sorry, Leeds United not York") == []  # names are no numbers
