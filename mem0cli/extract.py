"""Fact extraction: the Extractor protocol, the llama.cpp extractor, and parse_facts()."""

from __future__ import annotations

import json
import re
from typing import Protocol

from .models import ExtractionResult, Message


class Extractor(Protocol):
    """Turns messages into candidate facts."""

    model_id: str  # e.g. "gemma3-270m-q4_k_m.gguf@1a2b3c4d"
    prompt_version: str

    def extract(self, messages: list[Message], *, default_name: str | None = None) -> ExtractionResult:
        """Facts stated in `messages`; default_name names a user who has no `name`."""
        ...


def parse_facts(raw: str, *, max_facts: int = 20) -> list[str]:
    """Facts from a model's raw text, defensively: a JSON list, or one fact per line.

    Malformed output yields an empty list rather than an exception.
    """
    text = raw.strip()
    if not text:
        return []
    match = re.search(r"\[.*\]", text, re.S)
    if match:
        try:
            data = json.loads(match.group(0))
        except json.JSONDecodeError:
            data = None
        if isinstance(data, list):
            return [s.strip() for s in data if isinstance(s, str) and s.strip()][:max_facts]
        if data is not None:
            return []
    facts = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip()
        if line and len(line) < 300 and not line.startswith(("{", "[", "<")):
            facts.append(line)
    return facts[:max_facts]
