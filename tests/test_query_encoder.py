"""The numpy query encoder gives sentence-transformers' vectors, and search needs no torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from mem0cli import embed
from mem0cli.embed import NUMPY_BATCH, SentenceTransformerEmbedder, bundled_model_path
from mem0cli.query_encoder import QueryEncoder

TEXTS = [
    "where does Alice live",
    "When did Caroline go to the LGBTQ support group?",
    "standup is 10am PT for project 42",
    "Ünïcödé ✓ 東京 café — emoji 🎉 and ID nguyen.linh@example.com",
    "a",
    "",
    "word " * 300,  # past the 128 tokens of tokenizer.json: truncated at max_seq_length 256
    "The quick brown fox " * 40,
]


class Reference:
    """sentence-transformers itself, outside mem0cli's embedder (which may take the numpy path)."""

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(bundled_model_path()), device="cpu")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model.encode(texts, normalize_embeddings=True).tolist()


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference()


def test_vectors_match_sentence_transformers(reference):
    encoder = QueryEncoder(bundled_model_path())
    expected = np.asarray(reference.embed_documents(TEXTS))
    got = np.asarray([encoder.encode(t) for t in TEXTS])
    assert got.shape == expected.shape == (len(TEXTS), 384)
    assert np.abs(got - expected).max() < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_the_embedder_uses_it_for_queries(reference):
    embedder = SentenceTransformerEmbedder()
    assert embedder.dimensions == 384
    query = embedder.embed_query("where does Alice live")
    assert embedder._model is None  # no sentence-transformers model loaded for a query
    assert np.abs(np.asarray(query) - np.asarray(reference.embed_documents(["where does Alice live"])[0])).max() < 1e-5


def test_small_batches_skip_torch_until_it_is_loaded(reference, monkeypatch):
    monkeypatch.setattr(embed, "_LOADED", {})  # as in a new process
    embedder = SentenceTransformerEmbedder()
    few = embedder.embed_documents(TEXTS[:3])
    assert embedder._model is None
    assert np.abs(np.asarray(few) - np.asarray(reference.embed_documents(TEXTS[:3]))).max() < 1e-5
    many = [f"fact number {i}" for i in range(NUMPY_BATCH + 1)]
    assert len(embedder.embed_documents(many)) == len(many)
    assert embedder._model is not None  # a large batch goes through sentence-transformers
    assert np.abs(np.asarray(embedder.embed_documents(TEXTS[:3])) - np.asarray(few)).max() < 1e-5


def copy_model(tmp_path):
    target = tmp_path / "model"
    shutil.copytree(bundled_model_path(), target)
    return target


def test_other_model_shapes_are_left_to_sentence_transformers(tmp_path):
    model = copy_model(tmp_path)
    assert QueryEncoder.supports(model)
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    assert not QueryEncoder.supports(model)
    with pytest.raises(ValueError):
        QueryEncoder(model)
    cls_embedder = SentenceTransformerEmbedder(str(model))
    vector = cls_embedder.embed_query("where does Alice live")  # through sentence-transformers
    assert cls_embedder._model is not None
    assert vector == pytest.approx(cls_embedder.embed_documents(["where does Alice live"])[0], abs=1e-6)
    assert not QueryEncoder.supports(tmp_path / "missing")


@pytest.mark.e2e
def test_search_forget_and_a_one_line_add_import_no_torch(tmp_path):
    env = {**os.environ, "MEM0CLI_HOME": str(tmp_path / "s")}
    said = json.dumps([{"role": "user", "content": "I keep my bees on the roof in Lisbon"},
                       {"role": "user", "content": "The hives need checking every Sunday"}])
    added = subprocess.run([sys.executable, "-m", "mem0cli", "add", "-u", "ana", "--no-infer"],
                           input=said, capture_output=True, text=True, env=env)
    assert added.returncode == 0, added.stderr
    code = (
        "import sys, json; from typer.testing import CliRunner; from mem0cli.cli import app;"
        "r = CliRunner().invoke(app, sys.argv[1:]);"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules];"
        "print(r.exit_code, heavy); print(r.stdout)"
    )

    def run(*args: str) -> str:
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)
        status, _, rest = out.stdout.partition("\n")
        assert status == "0 []", (args, out.stdout, out.stderr)
        return rest

    found = json.loads(run("search", "where are the bees", "-u", "ana", "--json"))["results"]
    assert found[0]["memory"] == "I keep my bees on the roof in Lisbon"
    run("add", "I also keep a goat", "-u", "ana", "--no-infer")
    first_turn = [r for r in found if r["memory_type"] == "message"] or found
    run("forget", first_turn[0]["id"], "--yes")  # re-embeds the turn after it, without torch
    left = json.loads(run("list", "-u", "ana", "--json"))["results"]
    assert "I keep my bees on the roof in Lisbon" not in [r["memory"] for r in left]


@pytest.mark.parametrize("change", ["prompt", "lower_case"])
def test_settings_the_encoder_does_not_follow_leave_the_model_to_sentence_transformers(tmp_path, change):
    model = copy_model(tmp_path)
    if change == "prompt":
        (model / "config_sentence_transformers.json").write_text(
            json.dumps({"prompts": {"query": "query: "}, "default_prompt_name": "query"}))
    else:
        tokenizer = json.loads((model / "tokenizer.json").read_text())
        tokenizer["normalizer"]["lowercase"] = False
        (model / "tokenizer.json").write_text(json.dumps(tokenizer))
        (model / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True}))
    assert not QueryEncoder.supports(model)


def test_concurrent_queries_leave_the_blas_thread_count_as_it_was():
    import threading

    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    encoder = QueryEncoder(bundled_model_path())
    before = blas_threads()
    workers = [threading.Thread(target=lambda n=n: [encoder.encode("hello " * n) for _ in range(5)]) for n in range(1, 5)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert blas_threads() == before


def test_large_mixed_batches_keep_their_order(reference):
    """Texts are grouped by length for sentence-transformers; the vectors come back in input order."""
    embedder = SentenceTransformerEmbedder()
    texts = [TEXTS[i % len(TEXTS)] + f" {i}" for i in range(3 * NUMPY_BATCH)]
    got = np.asarray(embedder.embed_documents(texts))
    assert np.abs(got - np.asarray(reference.embed_documents(texts))).max() < 1e-5


def test_loading_the_model_leaves_the_openmp_wait_policy_alone(reference, monkeypatch):
    """llama.cpp shares the OpenMP runtime: OMP_WAIT_POLICY=PASSIVE set before it starts
    makes every judge call about 1.5x slower, so loading the embedder must not set it."""
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setattr(embed, "_LOADED", {})
    SentenceTransformerEmbedder()._load()
    assert "OMP_WAIT_POLICY" not in os.environ
