"""Relative dates resolved against the message's created_at (a pure function)."""

from __future__ import annotations

import pytest

from mem0cli.dates import is_past_tense, parse_when, resolve_dates

# 2024-10-01 is a Tuesday
WHEN = "2024-10-01T16:20:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I passed my test yesterday", "I passed my test on 30 September 2024"),
        ("the party is tomorrow", "the party is on 2 October 2024"),
        ("I started the job today", "I started the job on 1 October 2024"),
        ("she arrives the day after tomorrow", "she arrives on 3 October 2024"),
        ("I ran a marathon the day before yesterday", "I ran a marathon on 29 September 2024"),
        ("my exam is a week from tomorrow", "my exam is on 9 October 2024"),
        ("I moved last Saturday", "I moved on 28 September 2024"),
        ("the move is next Saturday", "the move is on 5 October 2024"),
        ("we fly this Friday", "we fly on 4 October 2024"),
        ("the shower is the Saturday after next", "the shower is on 12 October 2024"),
        ("I had surgery on Monday", "I had surgery on 30 September 2024"),
        ("the review is on Monday", "the review is on 7 October 2024"),
        ("I sold my car last month", "I sold my car in September 2024"),
        ("we travel next month", "we travel in November 2024"),
        ("I got certified last year", "I got certified in 2023"),
        ("I'm moving next year", "I'm moving in 2025"),
        ("the launch is next week", "the launch is in the week of 7 October 2024"),
        ("I was sick last week", "I was sick in the week of 23 September 2024"),
        ("we're camping this weekend", "we're camping on the weekend of 5 October 2024"),
        ("I quit three days ago", "I quit on 28 September 2024"),
        ("I started two weeks ago", "I started around 17 September 2024"),
        ("I moved 2 months ago", "I moved in August 2024"),
        ("my exam is in March", "my exam is in March 2025"),
        ("I went vegan in March", "I went vegan in March 2024"),
        ("it starts next June", "it starts in June 2025"),
        ("the review is on the 28th of next month", "the review is on 28 November 2024"),
        ("I fly home on the 23rd", "I fly home on 23 October 2024"),
        ("she stays until the 30th", "she stays until 30 October 2024"),
        ("the deadline is Dec 15", "the deadline is 15 December 2024"),
        ("the wedding is on December 6th", "the wedding is on 6 December 2024"),
        ("it expires on 31 January", "it expires on 31 January 2025"),
        ("we hiked it last summer", "we hiked it in summer 2024"),
        ("I moved in the autumn", "I moved in autumn 2024"),
        ("the target is the end of Q4", "the target is the end of Q4 2024"),
        ("I start in 3 days", "I start on 4 October 2024"),
    ],
)
def test_relative_forms(text: str, expected: str) -> None:
    assert resolve_dates(text, WHEN) == expected


def test_recurring_and_plain_text_untouched() -> None:
    assert resolve_dates("I work late on Thursdays", WHEN) == "I work late on Thursdays"
    assert resolve_dates("I go to a meeting on Tuesday evenings", WHEN) == "I go to a meeting on Tuesday evenings"
    assert resolve_dates("rent is due on the 1st", WHEN) == "rent is due on the 1st"
    assert resolve_dates("a summer barbecue with friends", WHEN) == "a summer barbecue with friends"
    assert resolve_dates("I have a dog", WHEN) == "I have a dog"


def test_absolute_dates_and_missing_reference_untouched() -> None:
    assert resolve_dates("I moved in March 2021", WHEN) == "I moved in March 2021"
    assert resolve_dates("I passed my test yesterday", None) == "I passed my test yesterday"
    assert resolve_dates("I passed my test yesterday", "not a date") == "I passed my test yesterday"


def test_month_crossing_year_boundary() -> None:
    assert resolve_dates("I moved last month", "2025-01-15T10:00:00") == "I moved in December 2024"
    assert resolve_dates("the freeze runs Dec 18 – Jan 3", "2023-12-05") == "the freeze runs 18 December 2023 – 3 January 2024"


def test_parse_when_and_tense() -> None:
    assert str(parse_when("2024-10-01T16:20:00Z")) == "2024-10-01"
    assert parse_when("") is None
    assert is_past_tense("I moved to Lyon")
    assert not is_past_tense("I need a new laptop")
