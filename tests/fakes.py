"""Deterministic stand-ins for the models, entering through the real interfaces."""

from __future__ import annotations

import hashlib
import math
import re

from mem0cli.extract import parse_facts
from mem0cli.models import ExtractionResult, Fact, Message

STOP = {"i", "a", "an", "the", "do", "does", "is", "my", "of", "to", "and", "in", "where", "what"}


class FakeEmbedder:
    """Hashes words into a small vector: texts that share words are similar."""

    model_id = "fake/hashed-words"
    dimensions = 64

    def __init__(self) -> None:
        self.calls = 0

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dimensions
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            if word in STOP:
                continue
            stem = word[:5]
            slot = int(hashlib.md5(stem.encode()).hexdigest(), 16) % self.dimensions
            vec[slot] += 1.0
        norm = math.sqrt(sum(x * x for x in vec)) or 1.0
        return [x / norm for x in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


class ScriptedExtractor:
    """Replays raw model outputs, one per call, through the real parse_facts()."""

    model_id = "scripted@000000000000"
    prompt_version = "scripted-1"

    def __init__(self, outputs: list[str] | None = None) -> None:
        self.outputs = list(outputs or [])
        self.calls: list[list[Message]] = []

    def extract(self, messages: list[Message], *, default_name: str | None = None) -> ExtractionResult:
        self.calls.append(messages)
        raw = self.outputs.pop(0) if self.outputs else "[]"
        texts = parse_facts(raw)
        users = [m for m in messages if m.role == "user"]
        last = users[-1] if users else messages[-1]
        ids = tuple(m.id for m in users if m.id)
        facts = [Fact(text=t, source_ids=ids, said_at=last.created_at, speaker=last.name or default_name) for t in texts]
        warnings = [] if texts or raw.strip() in ("", "[]") else ["model output could not be parsed"]
        return ExtractionResult(facts=facts, dropped=0, warnings=warnings)


class FakeScoringModel:
    """Stands in for llm.ScoringModel: the judge's " yes" logit is high for texts with a
    lasting-sounding verb, low otherwise; " no" is fixed. Deterministic, no model file."""

    model_id = "fake-judge.gguf@000000000000"
    LASTING = ("lives", "works", "allergic", "teaches", "has", "owns")

    def __init__(self) -> None:
        self.items: list[str] = []
        self._ids = {" yes": 1, " no": 2}

    def token_id(self, text: str, *, after: str = "") -> int:
        return self._ids[text]

    def prime(self, prefix: str, head: str = "") -> None:
        self.primed = (prefix, head)

    def next_logits(self, item: str, token_ids: list[int]) -> list[float]:
        self.items.append(item)
        yes = 3.0 if any(f" {w} " in f" {item.lower()} " for w in self.LASTING) else -3.0
        return [yes if t == 1 else 0.0 for t in token_ids]
