"""The learned accept decision: its shipped weights, its failures, and the extractor path through it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mem0cli import acceptance
from mem0cli.acceptance import NUMERIC_FEATURES, AcceptanceModel, feature_rows
from mem0cli.candidates import Candidate
from mem0cli.errors import InputError, ModelError
from mem0cli.extract import LlamaCppExtractor
from mem0cli.models import Message
from tests.fakes import FakeEmbedder, FakeScoringModel


def weights_for(embedder: FakeEmbedder, *, margin_weight: float = 2.0, threshold: float = 0.5) -> dict:
    """A weights file for the fake embedder: only the margin counts."""
    n = len(NUMERIC_FEATURES)
    weights = [0.0] * (n + 2 + embedder.dimensions)
    weights[NUMERIC_FEATURES.index("margin")] = margin_weight
    return {
        "format": acceptance.FORMAT, "version": "test-1", "embed_model": embedder.model_id,
        "dimensions": embedder.dimensions, "features": list(NUMERIC_FEATURES), "kinds": ["first-person", "name"],
        "mean": [0.0] * n, "scale": [1.0] * n, "weights": weights, "bias": 0.0, "threshold": threshold,
    }


def write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def conversation() -> list[Message]:
    return [
        Message("user", "I live in Dunedin and I work as a welder.", id="m1", created_at="2024-03-11T19:20:00"),
        Message("assistant", "Nice! Anything else?", id="a1"),
        Message("user", "I think that sounds great.", id="m2", created_at="2024-03-11T19:24:00"),
    ]


def test_shipped_weights_load() -> None:
    model = AcceptanceModel()
    assert model.path == acceptance.WEIGHTS_PATH
    assert model.dimensions == 384 and model.embed_model.endswith("all-MiniLM-L6-v2")
    assert 0.0 < model.threshold < 1.0
    assert model.kinds and len(model.embedding_weights) == 384


def test_scores_are_deterministic_probabilities() -> None:
    model = AcceptanceModel()
    rng = np.random.default_rng(7)
    numeric = rng.normal(size=(5, len(NUMERIC_FEATURES)))
    embedded = rng.normal(size=(5, 384))
    embedded /= np.linalg.norm(embedded, axis=1, keepdims=True)
    kinds = ["first-person", "name", "elided", "first-person", "third-party"]
    first = model.probabilities(numeric, embedded, kinds)
    again = AcceptanceModel().probabilities(numeric.copy(), embedded.copy(), list(kinds))
    assert np.array_equal(first, again)
    assert np.all((first > 0) & (first < 1))
    assert len(set(first.round(6))) == 5


def test_an_unknown_kind_scores_as_the_average_kind(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    data = weights_for(embedder)
    data["weights"][len(NUMERIC_FEATURES)] = 1.5  # first-person
    data["weights"][len(NUMERIC_FEATURES) + 1] = -1.5  # name
    model = AcceptanceModel(write(tmp_path / "w.json", data))
    numeric = np.zeros((3, len(NUMERIC_FEATURES)))
    embedded = np.zeros((3, embedder.dimensions))
    p = model.probabilities(numeric, embedded, ["first-person", "name", "a-kind-added-later"])
    assert p[0] > p[2] > p[1]
    assert p[2] == pytest.approx(0.5)


@pytest.mark.parametrize("damage", ["missing", "not-json", "wrong-format", "short-weights", "nan", "threshold"])
def test_unusable_weights_are_a_clear_error(tmp_path: Path, damage: str) -> None:
    embedder = FakeEmbedder()
    data = weights_for(embedder)
    path = tmp_path / "w.json"
    if damage == "not-json":
        path.write_bytes(b"\x00\x01 not json")
    elif damage != "missing":
        if damage == "wrong-format":
            data["format"] = "something-else"
        elif damage == "short-weights":
            data["weights"] = data["weights"][:-3]
        elif damage == "nan":
            data["weights"][0] = float("nan")
        else:
            data["threshold"] = 1.5
        write(path, data)
    with pytest.raises(ModelError, match="acceptance weights"):
        AcceptanceModel(path)


def test_the_extractor_fails_rather_than_judging_without_weights(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(acceptance, "WEIGHTS_PATH", tmp_path / "gone.json")
    extractor = LlamaCppExtractor(model=FakeScoringModel(), embedder=FakeEmbedder())
    with pytest.raises(ModelError, match="gone.json"):
        extractor.extract(conversation(), default_name="ana")


def test_the_extractor_keeps_what_the_acceptance_model_accepts(tmp_path: Path) -> None:
    embedder, judge = FakeEmbedder(), FakeScoringModel()
    model = AcceptanceModel(write(tmp_path / "w.json", weights_for(embedder)))
    extractor = LlamaCppExtractor(model=judge, embedder=embedder, acceptance=model)
    assert extractor.model_id == judge.model_id and extractor.threshold == 0.5
    result = extractor.extract(conversation(), default_name="ana")
    texts = [f.text for f in result.facts]
    assert "Ana lives in Dunedin" in texts and "Ana works as a welder" in texts
    assert all(0.5 <= f.score <= 1.0 for f in result.facts)
    scores = dict(extractor.last_stats.scores)
    assert all(0.0 < s < 1.0 for s in scores.values())
    assert len(judge.items) == len(scores)  # the judge saw each candidate once
    # a threshold above every probability keeps nothing; the number is a probability
    strict = LlamaCppExtractor(model=judge, embedder=embedder, acceptance=model, threshold=0.999)
    assert strict.extract(conversation(), default_name="ana").facts == []


def test_the_judge_margin_moves_the_decision(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    against = AcceptanceModel(write(tmp_path / "w.json", weights_for(embedder, margin_weight=-2.0)))
    extractor = LlamaCppExtractor(model=FakeScoringModel(), embedder=embedder, acceptance=against)
    assert extractor.extract(conversation(), default_name="ana").facts == []


def test_embeddings_of_another_model_are_refused(tmp_path: Path) -> None:
    extractor = LlamaCppExtractor(model=FakeScoringModel(), embedder=FakeEmbedder())  # shipped MiniLM weights
    with pytest.raises(ModelError, match="embeddings"):
        extractor.extract(conversation(), default_name="ana")


def test_features_read_the_candidates_context() -> None:
    messages = conversation()
    cands = [Candidate("Ana lives in Dunedin", "Ana", ("m1",), None, messages[0].content, "first-person", 0),
             Candidate("Ana thinks that sounds great", "Ana", ("m2",), None, messages[2].content, "elided", 2)]
    numeric, embedded, kinds = feature_rows(cands, messages, [1.0, -20.0], FakeEmbedder().embed_documents)
    row = dict(zip(NUMERIC_FEATURES, numeric[0]))
    later = dict(zip(NUMERIC_FEATURES, numeric[1]))
    assert later["assistant_question"] == 1.0 and row["assistant_question"] == 0
    assert later["source_question"] == 0.0 and row["siblings"] == later["siblings"]
    assert later["margin"] == -acceptance.MARGIN_CLIP and row["margin"] == 1.0
    assert row["about_speaker"] == 1.0 and 0 < row["share_of_source"] < 1
    assert embedded.shape == (2, 64) and kinds == ["first-person", "elided"]


@pytest.mark.parametrize("threshold", [-0.5, 1.5])
def test_a_threshold_is_a_probability(threshold: float) -> None:
    with pytest.raises(InputError, match="probability"):
        LlamaCppExtractor(model=FakeScoringModel(), embedder=FakeEmbedder(), threshold=threshold)


def test_a_self_introduction_is_kept_whatever_the_model_says(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    against = AcceptanceModel(write(tmp_path / "w.json", weights_for(embedder, margin_weight=-2.0)))
    extractor = LlamaCppExtractor(model=FakeScoringModel(), embedder=embedder, acceptance=against)
    messages = [Message("user", "Hi, I'm Jordan. I live in Dunedin.", id="m1")]
    texts = [f.text for f in extractor.extract(messages, default_name="newbie").facts]
    assert texts == ["Newbie's name is Jordan"]
