"""parse_facts on malformed output, grounding, and the rule extractor's contract."""

from __future__ import annotations

import pytest

from mem0cli.extract import RuleExtractor, is_grounded, parse_facts
from mem0cli.models import Message


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   \n  ",
        "<unk><pad>%%%",
        "[",
        '["Alice lives in Seattle", "Alice li',
        "{\"facts\": [\"Alice lives",
        "[1, 2, null, {}]",
        '{"facts": "Alice lives in Seattle"}',
        "[]",
    ],
)
def test_malformed_output_yields_no_facts(raw: str) -> None:
    assert parse_facts(raw) == []


def test_parse_facts_reads_json_and_lines() -> None:
    assert parse_facts('Facts: ["Alice lives in Seattle", "Alice likes tea"] done') == [
        "Alice lives in Seattle",
        "Alice likes tea",
    ]
    assert parse_facts("- Alice lives in Seattle\n2. Alice likes tea\n") == ["Alice lives in Seattle", "Alice likes tea"]


def test_parse_facts_collapses_repetition_loops_and_caps() -> None:
    loop = "\n".join(["Alice likes tea"] * 200)
    assert parse_facts(loop) == ["Alice likes tea"]
    many = "\n".join(f"Alice has cat number {i}" for i in range(50))
    assert len(parse_facts(many, max_facts=5)) == 5
    assert parse_facts(None) == []  # type: ignore[arg-type]


def test_grounding_drops_invented_content() -> None:
    source = "Standup is 10am PT, and I teach Year 5 in Rotorua."
    names = {"Bob"}
    assert is_grounded("Bob teaches Year 5 in Rotorua", source, names)
    assert not is_grounded("Bob is a mechanic", source, names)
    assert not is_grounded("Bob teaches Year 5 in Auckland", source, names)
    # resolved dates and the speaker's name are not counted against a candidate
    assert is_grounded("Bob passed his driving test on 30 September 2024", "I passed my driving test yesterday", names)


def test_rule_extractor_sources_speaker_and_dates() -> None:
    messages = [
        Message("user", "I passed my driving test yesterday!!!", id="m1", created_at="2024-10-01T16:20:00"),
        Message("assistant", "Congratulations! Since you live in Leeds, try the ring road.", id="a1"),
        Message("user", "Thanks! What insurance should I get?", id="m2", created_at="2024-10-01T16:22:00"),
    ]
    result = RuleExtractor().extract(messages, default_name="zoe")
    assert [f.text for f in result.facts] == ["Zoe passed Zoe's driving test on 30 September 2024"]
    fact = result.facts[0]
    assert fact.source_ids == ("m1",)
    assert fact.said_at == "2024-10-01T16:20:00"
    assert fact.speaker == "Zoe"


def test_rule_extractor_counts_ungrounded_candidates(monkeypatch) -> None:
    import mem0cli.extract as extract
    from mem0cli.candidates import Candidate

    def fake_candidates(messages, default_name=None):
        real = Candidate("Zoe has a cat", "Zoe", ("m1",), None, "I have a cat", "first-person", 0)
        invented = Candidate("Zoe is a mechanic", "Zoe", ("m1",), None, "I have a cat", "first-person", 0)
        return [real, invented]

    monkeypatch.setattr(extract, "build_candidates", fake_candidates)
    result = RuleExtractor().extract([Message("user", "I have a cat", id="m1")], default_name="zoe")
    assert [f.text for f in result.facts] == ["Zoe has a cat"]
    assert result.dropped == 1


def test_facts_per_message_are_capped() -> None:
    text = ". ".join(f"I have a pet number {i} called Rex{i}" for i in range(12)) + "."
    result = RuleExtractor(max_facts_per_message=4).extract([Message("user", text, id="m1")], default_name="kim")
    assert len(result.facts) == 4
    assert result.dropped >= 8


def test_named_relative_is_dropped_when_a_kept_fact_names_them() -> None:
    messages = [Message("user", "My brother Anselm lives in Quito. My dog Fennel is 3.", id="m1")]
    texts = [f.text for f in RuleExtractor().extract(messages, default_name="ines").facts]
    assert "Ines's brother Anselm lives in Quito" in texts
    assert "Ines has a brother named Anselm" not in texts  # nothing beyond the fact above
    assert "Ines has a dog named Fennel" in texts  # a pet's name stays: its existence is the fact
