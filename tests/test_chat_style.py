"""Chats between peers and chats with an assistant, and the threshold each gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mem0cli.acceptance import AcceptanceModel
from mem0cli.chat_style import is_peer_chat, speaks_of_itself
from mem0cli.errors import ModelError
from mem0cli.extract import LlamaCppExtractor
from mem0cli.models import Message
from tests.fakes import FakeEmbedder, FakeScoringModel
from tests.test_acceptance import weights_for, write


def chat(*turns: tuple[str, str]) -> list[Message]:
    return [Message(role, text, id=f"m{i}") for i, (role, text) in enumerate(turns)]


PEERS = chat(
    ("user", "Hi! I just got done watching a horror movie."),
    ("assistant", "I rather read, I've read about 20 books this year."),
    ("user", "My son is in junior high."),
    ("assistant", "I work in the movies as well. I stunt double."),
    ("user", "My wife works and I stay at home."),
    ("assistant", "Nice, my mom raised me right."),
)
ASSISTANT = chat(
    ("user", "I live in Dunedin and I work as a welder."),
    ("assistant", "Noted! I'd suggest a warm jacket for the winter there. I hope this helps."),
    ("user", "Can you draft a bio for me?"),
    ("assistant", "Here's a draft: 'I'm a welder from Dunedin and I love my work.' My apologies if it's too short."),
    ("user", "Thanks."),
    ("assistant", "I'm here whenever you need me. I can make it longer."),
)


@pytest.mark.parametrize("text", ["I work in the movies as well.", "My dad is a lawyer.", "I'm from Ohio.",
                                  "I have two dogs and I used to race cars.", "I'm a nurse."])
def test_a_turn_about_the_speakers_own_life(text: str) -> None:
    assert speaks_of_itself(text)


@pytest.mark.parametrize("text", ["I'd suggest a warm jacket.", "I hope this helps!", "My apologies, I misread that.",
                                  "Here's a draft: 'I'm a welder from Dunedin and I love my work.'",
                                  "I see. I understand. I can help with that.", "Sure, what's your budget?"])
def test_what_an_assistant_says_of_itself_does_not_count(text: str) -> None:
    assert not speaks_of_itself(text)


def test_peers_and_an_assistant_are_told_apart() -> None:
    assert is_peer_chat(PEERS)
    assert not is_peer_chat(ASSISTANT)
    assert not is_peer_chat(PEERS[:3])  # one such turn is not enough
    assert not is_peer_chat([m for m in PEERS if m.role == "user"])  # a user alone is no peer chat


@given(st.lists(st.tuples(st.sampled_from(["user", "assistant"]), st.text(max_size=80)), max_size=12))
def test_the_style_is_a_total_function_of_the_turns(turns: list[tuple[str, str]]) -> None:
    messages = chat(*turns)
    assert is_peer_chat(messages) in (True, False)
    # the user's own turns never make a chat one between peers
    assert is_peer_chat(messages) == is_peer_chat([m for m in messages if m.role == "assistant"])


def test_a_chat_between_peers_gets_its_own_threshold(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    data = weights_for(embedder, threshold=0.999) | {"peer_threshold": 0.001}
    model = AcceptanceModel(write(tmp_path / "w.json", data))
    assert (model.threshold, model.peer_threshold) == (0.999, 0.001)
    extractor = LlamaCppExtractor(model=FakeScoringModel(), embedder=embedder, acceptance=model)
    assert extractor.extract(ASSISTANT, default_name="ana").facts == []
    assert "Ana's son is in junior high" in [f.text for f in extractor.extract(PEERS, default_name="ana").facts]
    # a threshold given to the extractor serves both kinds of chat
    given_one = LlamaCppExtractor(model=FakeScoringModel(), embedder=embedder, acceptance=model, threshold=0.999)
    assert given_one.peer_threshold == 0.999 and given_one.extract(PEERS, default_name="ana").facts == []


def test_weights_without_a_peer_threshold_use_one_for_both(tmp_path: Path) -> None:
    model = AcceptanceModel(write(tmp_path / "w.json", weights_for(FakeEmbedder(), threshold=0.4)))
    assert model.peer_threshold == model.threshold == 0.4


def test_a_peer_threshold_out_of_range_is_a_clear_error(tmp_path: Path) -> None:
    data = weights_for(FakeEmbedder()) | {"peer_threshold": 1.5}
    with pytest.raises(ModelError, match="acceptance weights"):
        AcceptanceModel(write(tmp_path / "w.json", data))


def test_the_shipped_weights_have_both_thresholds() -> None:
    data = json.loads(Path(AcceptanceModel().path).read_text(encoding="utf-8"))
    assert 0.0 < data["peer_threshold"] < 1.0 and 0.0 < data["threshold"] < 1.0
