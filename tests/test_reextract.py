"""reextract: facts of an older model replaced in place, edited facts kept, history, resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mem0cli import Memory
from mem0cli import filters as flt
from mem0cli.models import ExtractionResult
from mem0cli.reextract import reextract
from tests.fakes import FakeEmbedder, ScriptedExtractor
from tests.helpers.stand_in_cli import StandInMiniLM

ROOT = Path(__file__).resolve().parents[1]


class BetterExtractor(ScriptedExtractor):
    """A newer model: the same replayed outputs under another model id and prompt version."""

    model_id = "better@000000000002"
    prompt_version = "better-2"


class BrokenExtractor(BetterExtractor):
    def extract(self, messages, *, default_name=None) -> ExtractionResult:  # noqa: ANN001
        self.calls.append(messages)
        raise RuntimeError("killed")


def stored(memory: Memory, user_id: str) -> dict[str, dict]:
    return {item["memory"]: item for item in memory.get_all(user_id=user_id)["results"]}


@pytest.fixture
def where(isolated_home, store_backend, request) -> dict[str, object]:
    """Where the store is, as Memory takes it: the directory, or a PostgreSQL database."""
    if store_backend == "postgres":
        return {"url": request.getfixturevalue("pg_url")}
    return {"path": isolated_home}


BOTH = pytest.mark.parametrize("store_backend", ["local", "postgres"], indirect=True)


@pytest.fixture
def old_store(where):
    """Alex's three facts from the old model, one of them edited by a person afterwards."""
    old = ScriptedExtractor(['["Alex lives in Seattle", "Alex likes tea", "Alex owns a cat"]'])
    memory = Memory(**where, embedder=FakeEmbedder(), extractor=old)
    memory.add([{"role": "user", "content": "I live in Seattle, like tea and have a cat.", "id": "u1"},
                {"role": "user", "content": "Oh and I play chess.", "id": "u2"}], user_id="alex")
    ids = {text: item["id"] for text, item in stored(memory, "alex").items()}
    memory.update(ids["Alex owns a cat"], "Alex owns two cats")
    memory.close()
    return where, ids


@BOTH
def test_facts_of_an_older_model_are_replaced_and_edited_ones_kept(old_store):
    where, ids = old_store
    better = BetterExtractor(['["Alex lives in Seattle, Washington", "Alex plays chess", "Alex owns a cat"]'])
    memory = Memory(**where, embedder=FakeEmbedder(), extractor=better)
    turns_before = memory.store.select_turns(None)
    summary = reextract(memory, user_id="alex")
    now = stored(memory, "alex")
    assert sorted(now) == ["Alex lives in Seattle, Washington", "Alex owns two cats", "Alex plays chess"]
    # rewritten in place: the same memory, the new text, the new model; history keeps the old text
    assert now["Alex lives in Seattle, Washington"]["id"] == ids["Alex lives in Seattle"]
    events = memory.history(ids["Alex lives in Seattle"])
    assert [(e["event"], e["old_memory"], e["new_memory"], e["actor"]) for e in events] == [
        ("ADD", None, "Alex lives in Seattle", "alex"),
        ("UPDATE", "Alex lives in Seattle", "Alex lives in Seattle, Washington", "reextract"),
    ]
    rows = memory.store.rows(list(ids.values()))
    assert (rows[ids["Alex lives in Seattle"]].model, rows[ids["Alex lives in Seattle"]].prompt_version) == (
        "better@000000000002", "better-2")
    # what the new model does not say again goes, its history says why; the turns stay
    assert ids["Alex likes tea"] not in rows
    gone = memory.history(ids["Alex likes tea"])[-1]
    assert gone["event"] == "DELETE" and gone["old_memory"] == "Alex likes tea" and "better-2" in gone["reason"]
    assert [(e["event"], e["old_memory"], e["new_memory"]) for e in memory.history(ids["Alex likes tea"])] == [
        ("ADD", None, "Alex likes tea"), ("DELETE", "Alex likes tea", None)]  # not an erasure: the texts stay
    assert memory.store.select_turns(None) == turns_before
    # the person's edit stands, and the new model's "owns a cat" gives way to it
    edited = now["Alex owns two cats"]
    assert edited["id"] == ids["Alex owns a cat"] and rows[edited["id"]].model == "scripted@000000000000"
    assert (summary.replaced, summary.removed, summary.kept_edited, summary.unchanged, summary.added) == (1, 1, 1, 1, 1)
    assert sorted(now["Alex plays chess"]["sources"]) == ["u1", "u2"]
    # search finds the rewritten text (its vector was replaced too)
    hits = memory.search("Seattle Washington", user_id="alex")["results"]
    assert hits[0]["memory"] == "Alex lives in Seattle, Washington"
    # a second run finds the scope current and extracts nothing
    again = reextract(memory, user_id="alex")
    assert (again.scopes, again.skipped_scopes, len(better.calls)) == (0, 1, 1)
    memory.close()


@BOTH
def test_a_dry_run_changes_nothing(old_store):
    where, _ = old_store
    better = BetterExtractor(['["Alex plays chess"]'])
    memory = Memory(**where, embedder=FakeEmbedder(), extractor=better)
    before = stored(memory, "alex")
    plan = reextract(memory, dry_run=True)
    assert (plan.scopes, plan.turns, plan.scope_list) == (1, 2, [{"user_id": "alex", "agent_id": None, "run_id": None}])
    assert stored(memory, "alex") == before and better.calls == []
    memory.close()


@BOTH
def test_a_failure_inside_a_scope_leaves_it_untouched_and_a_resume_skips_finished_scopes(isolated_home, where):
    old = ScriptedExtractor(['["Alex lives in Seattle"]', '["Sam lives in Oslo"]'])
    memory = Memory(**where, embedder=FakeEmbedder(), extractor=old)
    memory.add("I live in Seattle.", user_id="alex")
    memory.add("I live in Oslo.", user_id="sam")
    memory.close()

    class FailsOnSam(BetterExtractor):
        def extract(self, messages, *, default_name=None) -> ExtractionResult:  # noqa: ANN001
            if default_name == "sam":
                raise RuntimeError("killed")
            return super().extract(messages, default_name=default_name)

    first = FailsOnSam(['["Alex lives in Seattle, Washington"]'])
    memory = Memory(**where, embedder=FakeEmbedder(), extractor=first)
    with pytest.raises(RuntimeError):
        reextract(memory)
    assert list(stored(memory, "alex")) == ["Alex lives in Seattle, Washington"]
    assert list(stored(memory, "sam")) == ["Sam lives in Oslo"]  # untouched
    memory.close()
    second = BetterExtractor(['["Sam lives in Oslo, Norway"]'])
    memory = Memory(**where, embedder=FakeEmbedder(), extractor=second)
    summary = reextract(memory, resume=True)
    assert [m[0].content for m in second.calls] == ["I live in Oslo."]  # alex was not read again
    assert list(stored(memory, "sam")) == ["Sam lives in Oslo, Norway"]
    assert summary.skipped_scopes == 1 and not (isolated_home / "reextract-checkpoints.json").read_text().strip("{}")
    memory.close()


def _cli(store: Path, *args: str, seconds: float) -> subprocess.Popen:
    env = {**os.environ, "MEM0CLI_HOME": str(store), "TEST_EXTRACT_SECONDS": str(seconds)}
    return subprocess.Popen([sys.executable, "-m", "tests.helpers.reextract_cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_reextract_resumes_after_a_kill(tmp_path):
    store = tmp_path / "store"
    people = ["ana", "ben", "cy", "dee", "eli", "fay"]
    memory = Memory(path=store, embedder=StandInMiniLM(),
                    extractor=ScriptedExtractor([f'["{p.title()} likes tea"]' for p in people]))
    for p in people:
        memory.add("I like tea.", user_id=p)
    memory.close()
    running = _cli(store, "reextract", seconds=1.0)
    checkpoint = store / "reextract-checkpoints.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and running.poll() is None:
        if checkpoint.exists() and any(v >= 2 for v in json.loads(checkpoint.read_text() or "{}").values()):
            break
        time.sleep(0.05)
    assert running.poll() is None, "reextract finished before it could be killed"
    running.send_signal(signal.SIGKILL)
    running.wait()
    memory = Memory(path=store, embedder=StandInMiniLM(), extractor=ScriptedExtractor())
    models = {p: {r.model for r in memory.store.select(flt.Cond("user_id", "eq", p))} for p in people}
    done = [p for p in people if models[p] == {"better@000000000002"}]
    assert len(done) >= 2 and all(models[p] in ({"better@000000000002"}, {"scripted@000000000000"}) for p in people)
    memory.close()
    resumed = _cli(store, "reextract", "--resume", "--json", seconds=0.0)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err.decode()
    summary = json.loads(out)
    assert summary["skipped_scopes"] >= len(done) and summary["scopes"] == len(people) - len(done)
    memory = Memory(path=store, embedder=StandInMiniLM(), extractor=ScriptedExtractor())
    for p in people:
        (fact,) = memory.get_all(user_id=p)["results"]
        assert fact["memory"] == f"{p.title()} said I like tea"
        updates = [e for e in memory.history(fact["id"]) if e["event"] == "UPDATE"]
        assert [(e["old_memory"], e["actor"]) for e in updates] == [(f"{p.title()} likes tea", "reextract")]
    memory.close()
