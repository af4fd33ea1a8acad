"""Shared fixtures: every test gets its own store directory and no model settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from mem0cli import Memory
from tests.fakes import FakeEmbedder, ScriptedExtractor

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("MEM0CLI_HOME", str(home))
    for var in ("MEM0CLI_LLM_MODEL", "MEM0CLI_EMBED_MODEL", "MEM0CLI_UPDATE_POLICY", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def extractor() -> ScriptedExtractor:
    return ScriptedExtractor()


@pytest.fixture
def memory(isolated_home, extractor) -> Memory:
    m = Memory(path=isolated_home, embedder=FakeEmbedder(), extractor=extractor)
    yield m
    m.close()
