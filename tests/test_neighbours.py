"""The nearest-neighbour features of the acceptance model: the bank file, its features, its failures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mem0cli import acceptance
from mem0cli.acceptance import NUMERIC_FEATURES, AcceptanceModel
from mem0cli.errors import ModelError
from mem0cli.neighbours import FEATURES, NeighbourBank, neighbour_features, project, quantised, save_bank
from tests.fakes import FakeEmbedder
from tests.test_acceptance import weights_for, write


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


DIMS = FakeEmbedder.dimensions


def point(first: float, second: float, dims: int = DIMS) -> np.ndarray:
    """An embedding along the first two axes."""
    out = np.zeros(dims)
    out[:2] = first, second
    return out


def small_bank(tmp_path: Path, dims: int = DIMS, k: int = 2) -> Path:
    """A bank of 6 entries in a 4-direction projection of `dims`-dimensional embeddings:
    accepted ones near the first axis, rejected ones near the second."""
    components = np.eye(dims)[:4]
    vectors = unit(np.array([[1, 0.1, 0, 0], [1, 0, 0.1, 0], [1, 0, 0, 0.1],
                             [0.1, 1, 0, 0], [0, 1, 0.1, 0], [0, 1, 0, 0.1]], dtype=np.float32))
    path = tmp_path / "bank.npz"
    save_bank(path, np.zeros(dims), components, vectors, np.array([1, 1, 1, 0, 0, 0]), k)
    return path


def test_a_candidate_near_accepted_entries_scores_higher_margin(tmp_path: Path) -> None:
    bank = NeighbourBank.load(small_bank(tmp_path))
    near_accepted = np.array([point(1.0, 0.05)])
    near_rejected = np.array([point(0.05, 1.0)])
    a, r = bank.features(near_accepted)[0], bank.features(near_rejected)[0]
    assert a[FEATURES.index("neighbour_margin")] > 0.5 > r[FEATURES.index("neighbour_margin")] + 1
    assert a[FEATURES.index("near_accepted")] == pytest.approx(1.0, abs=0.02)
    assert bank.features(np.zeros((0, DIMS))).shape == (0, len(FEATURES))


def test_a_group_does_not_see_its_own_entries() -> None:
    bank = unit(np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]], dtype=np.float32))
    labels = np.array([1, 0, 1])
    query = bank[:1]
    alone = neighbour_features(query, bank, labels, 1)
    blind = neighbour_features(query, bank, labels, 1, (np.array(["a"]), np.array(["a", "b", "c"])))
    assert alone[0, 0] == pytest.approx(1.0) and blind[0, 0] == pytest.approx(float(bank[0] @ bank[2]))


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=4))
def test_features_are_bounded_and_the_margin_follows_the_nearest(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    bank = quantised(unit(rng.normal(size=(12, 5)).astype(np.float32)))
    labels = np.array([1, 0] * 6)
    queries = project(rng.normal(size=(7, 5)), np.zeros(5, np.float32), np.eye(5, dtype=np.float32))
    out = neighbour_features(queries, bank, labels, k)
    assert out.shape == (7, 3) and np.all(np.abs(out) <= 2.01)
    assert np.all(out[:, 0] >= out[:, 2] + out[:, 1] - 2.01)  # the mean of the k nearest never beats the nearest
    assert np.allclose(neighbour_features(queries, bank, labels, k), out)


def test_the_acceptance_model_reads_its_bank(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    small_bank(tmp_path)
    data = weights_for(embedder, margin_weight=0.0)
    data["neighbours"] = {"bank": "bank.npz", "features": list(FEATURES), "mean": [0.0] * 3, "scale": [1.0] * 3,
                          "weights": [0.0, 0.0, 4.0]}
    model = AcceptanceModel(write(tmp_path / "w.json", data))
    numeric = np.zeros((2, len(NUMERIC_FEATURES)))
    embedded = np.array([point(1.0, 0.05), point(0.05, 1.0)])
    p = model.probabilities(numeric, embedded, ["first-person", "first-person"])
    assert p[0] > 0.9 and p[1] < 0.1


@pytest.mark.parametrize("damage", ["missing", "not-npz", "wrong-dims", "one-label", "features"])
def test_an_unusable_bank_is_a_clear_error(tmp_path: Path, damage: str) -> None:
    embedder = FakeEmbedder()
    path = small_bank(tmp_path, dims=2 * DIMS if damage == "wrong-dims" else DIMS)
    if damage == "missing":
        path.unlink()
    elif damage == "not-npz":
        path.write_bytes(b"not a bank")
    elif damage == "one-label":
        save_bank(path, np.zeros(DIMS), np.eye(DIMS)[:4], unit(np.ones((3, 4))), np.array([1, 1, 1]), 2)
    data = weights_for(embedder)
    data["neighbours"] = {"bank": "bank.npz", "features": list(FEATURES)[:2 if damage == "features" else 3],
                          "mean": [0.0] * 3, "scale": [1.0] * 3, "weights": [0.0, 0.0, 1.0]}
    with pytest.raises(ModelError, match="acceptance weights|neighbour bank"):
        AcceptanceModel(write(tmp_path / "w.json", data))


def test_the_shipped_bank_is_small_and_matches_the_weights() -> None:
    data = json.loads(acceptance.WEIGHTS_PATH.read_text(encoding="utf-8"))
    bank_path = acceptance.WEIGHTS_PATH.parent / data["neighbours"]["bank"]
    assert bank_path.stat().st_size < 2_000_000
    model = AcceptanceModel()
    assert model.neighbours is not None and model.neighbours.dimensions == model.dimensions
