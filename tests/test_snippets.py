"""Snippets for tables: short, on one line, around what matched."""

from __future__ import annotations

from mem0cli.snippets import SNIPPET_CHARS, match_span, snippet

FILLER = " ".join(f"word{i}" for i in range(80))  # 549 characters, no query word in it


def test_short_text_comes_back_untouched():
    for text in ("Alice lives in Seattle", "x" * SNIPPET_CHARS, "spaced   out: kept as it is"):
        assert snippet(text, "seattle") == text


def test_no_query_shows_the_start():
    shown = snippet(FILLER)
    assert shown.startswith("word0 word1 ") and shown.endswith("…")
    assert len(shown) <= SNIPPET_CHARS and not shown[:-1].endswith(" ")
    assert FILLER.startswith(shown[:-1])  # cut between words, nothing changed before the cut


def test_no_match_shows_the_start():
    assert snippet(FILLER, "where is the cello") == snippet(FILLER)


def test_match_near_the_start_keeps_the_start():
    text = "The cello lesson moved to Tuesday. " + FILLER
    shown = snippet(text, "cello")
    assert shown.startswith("The cello lesson") and shown.endswith("…")


def test_match_near_the_end_keeps_the_end():
    text = FILLER + " and finally the cello."
    shown = snippet(text, "Cello")
    assert shown.startswith("…") and shown.endswith("the cello.")
    assert len(shown) <= SNIPPET_CHARS


def test_match_in_the_middle_is_centred_with_both_ends_cut():
    text = FILLER + " I play the CELLO on Sundays " + FILLER
    shown = snippet(text, "who plays cello")
    assert shown.startswith("…") and shown.endswith("…") and len(shown) <= SNIPPET_CHARS
    middle = shown.index("CELLO")
    assert abs(middle - len(shown) / 2) < 20


def test_stop_words_and_short_words_are_not_what_is_centred_on():
    text = FILLER + " where it is: the flat in Oslo " + FILLER
    assert "Oslo" in snippet(text, "where is the flat in Oslo")
    assert match_span(text, "where is it") == (0, 0)
    assert match_span("my flat", "a flat") == (3, 4)


def test_a_word_matches_from_its_start_only():
    assert match_span("display and play", "play") == (12, 4)


def test_multi_line_text_is_one_line():
    code = "Here is the script:\n\n```python\nimport os\n\nfor name in os.listdir('.'):\n    print(name)\n```"
    one_line = "Here is the script: ```python import os for name in os.listdir('.'): print(name) ```"
    assert snippet(code) == one_line
    long_code = code + "\n" + "\n".join(f"line_{i} = {i}" for i in range(60))
    shown = snippet(long_code, "listdir")
    assert "\n" not in shown and "listdir" in shown and len(shown) <= SNIPPET_CHARS


def test_width_is_respected_for_a_long_unbroken_word():
    shown = snippet("a" * 500, "aaa", width=40)
    assert shown == "a" * 38 + "…"
