"""Every command through Typer's runner, with fakes chosen through the CLI's factory."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mem0cli import Memory, cli
from tests.fakes import FakeEmbedder, ScriptedExtractor

runner = CliRunner()


@pytest.fixture
def scripted(monkeypatch):
    extractor = ScriptedExtractor()
    embedder = FakeEmbedder()
    monkeypatch.setattr(
        cli.state, "make_memory", lambda store: Memory(path=store, embedder=embedder, extractor=extractor)
    )
    monkeypatch.setattr(cli.state, "quiet", False)
    return extractor


def run(*args: str, input: str | None = None):
    return runner.invoke(cli.app, list(args), input=input)


def test_help_lists_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("add", "search", "forget", "export", "import", "list", "get", "history", "stats"):
        assert command in result.output


def test_add_from_stdin_and_search_json(scripted):
    scripted.outputs = ['["Alice lives in Seattle"]']
    chat = json.dumps([{"role": "user", "content": "I live in Seattle"}, {"role": "assistant", "content": "ok"}])
    result = run("add", "-u", "alice", "--json", input=chat)
    assert result.exit_code == 0, result.output
    added = json.loads(result.stdout)["results"]
    assert added[0]["event"] == "ADD"
    found = run("search", "where do I live", "-u", "alice", "--json")
    assert json.loads(found.stdout)["results"][0]["memory"] == "Alice lives in Seattle"
    table = run("search", "where do I live", "-u", "alice")
    assert "Seattle" in table.stdout


def test_add_text_argument_with_metadata(scripted):
    scripted.outputs = ['["Alice likes tea"]']
    result = run("add", "I like tea", "-u", "alice", "-m", "room=p42", "-m", "priority=2")
    assert result.exit_code == 0, result.output
    items = json.loads(run("list", "-u", "alice", "--json").stdout)["results"]
    assert items[0]["metadata"] == {"room": "p42", "priority": 2}
    filtered = json.loads(run("list", "--filter", '{"priority": {"gte": 2}}', "--json").stdout)
    assert len(filtered["results"]) == 1


def test_no_infer_plain_text_transcript(scripted):
    text = "user: I'm Bob.\nI live in Austin.\nassistant: Noted.\n"
    result = run("add", "-u", "bob", "--no-infer", "--json", input=text)
    assert result.exit_code == 0, result.output
    memories = [r["memory"] for r in json.loads(result.stdout)["results"]]
    assert memories == ["I'm Bob.\nI live in Austin.", "Noted."]


@pytest.mark.parametrize(
    "args, stdin",
    [
        (["add", "-u", "a"], "[{not json"),
        (["add", "-u", "a"], ""),
        (["add", "-u", "a"], '[{"role": "user"}]'),
        (["add"], '[{"role": "user", "content": "hi"}]'),
        (["search", "x", "--filter", "{bad"], None),
        (["search", "x", "--filter", '{"user_id": {"$regex": "a"}}'], None),
        (["add", "-u", "a", "-m", "novalue"], '[{"role": "user", "content": "hi"}]'),
        (["forget"], None),
        (["get", "nope"], None),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_change(scripted, args, stdin):
    before = run("export").stdout.splitlines()[1:]
    result = run(*args, input=stdin)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert run("export").stdout.splitlines()[1:] == before


def test_get_history_forget_by_id(scripted):
    scripted.outputs = ['["Alice likes tea"]']
    mid = json.loads(run("add", "I like tea", "-u", "alice", "--json").stdout)["results"][0]["id"]
    got = json.loads(run("get", mid, "--json").stdout)
    assert got["memory"] == "Alice likes tea" and got["evidence"][0]["content"] == "I like tea"
    assert "Alice likes tea" in run("get", mid).stdout
    assert run("history", mid).exit_code == 0
    dry = run("forget", mid, "--dry-run")
    assert dry.exit_code == 0 and mid in dry.stdout
    assert json.loads(run("get", mid, "--json").stdout)["id"] == mid
    assert run("forget", mid).exit_code == 0
    assert run("get", mid).exit_code == 2
    events = json.loads(run("history", mid, "--json").stdout)
    assert [e["event"] for e in events] == ["ADD", "DELETE"]


def test_forget_scope_needs_yes_when_not_a_terminal(scripted):
    scripted.outputs = ['["Alice likes tea"]', '["Bob likes coffee"]']
    run("add", "I like tea", "-u", "alice")
    run("add", "I like coffee", "-u", "bob")
    refused = run("forget", "-u", "alice")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert run("forget", "-u", "alice", "--yes").exit_code == 0
    users = {m["user_id"] for m in json.loads(run("list", "--json").stdout)["results"]}
    assert users == {"bob"}


def test_export_import_round_trip_keeps_ids(scripted, tmp_path):
    scripted.outputs = ['["Alice likes tea", "Alice lives in Oslo"]']
    run("add", "I like tea and live in Oslo", "-u", "alice")
    backup = tmp_path / "backup.jsonl.gz"
    result = run("--quiet", "export", "-o", str(backup))
    assert result.exit_code == 0 and result.output == ""
    original = json.loads(run("list", "--json").stdout)["results"]
    other = tmp_path / "other"
    assert run("--store", str(other), "import", str(backup)).exit_code == 0
    again = run("--store", str(other), "import", str(backup), "--json")
    assert json.loads(again.stdout) == {"added": 0, "skipped": 2, "messages": 1, "deleted": 0, "renamed_keys": []}
    restored = json.loads(run("--store", str(other), "list", "--json").stdout)["results"]
    assert sorted((m["id"], m["memory"]) for m in restored) == sorted((m["id"], m["memory"]) for m in original)


def test_import_bad_line_exits_2_and_changes_nothing(scripted, tmp_path):
    scripted.outputs = ['["Alice likes tea"]']
    run("add", "I like tea", "-u", "alice")
    good = run("export").stdout.splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(good + ["{broken"]) + "\n")
    target = tmp_path / "target"
    result = run("--store", str(target), "import", str(bad))
    assert result.exit_code == 2 and "line 4" in result.stderr
    assert json.loads(run("--store", str(target), "list", "--json").stdout)["results"] == []


def test_stats(scripted):
    scripted.outputs = ['["Alice likes tea"]']
    run("add", "I like tea", "-u", "alice")
    data = json.loads(run("stats", "--json").stdout)
    assert data["memories"] == 1 and data["messages"] == 1 and data["users"] == 1


def test_ids_can_be_given_by_a_unique_prefix(scripted):
    scripted.outputs = ['["Alice likes tea"]']
    mid = json.loads(run("add", "I like tea", "-u", "alice", "--json").stdout)["results"][0]["id"]
    table = run("list")
    assert mid[:8] in table.stdout
    assert json.loads(run("get", mid[:8], "--json").stdout)["id"] == mid
    short = run("get", mid[:3])
    assert short.exit_code == 2 and "too short" in short.stderr
    assert run("forget", mid[:8]).exit_code == 0
    assert [e["event"] for e in json.loads(run("history", mid, "--json").stdout)] == ["ADD", "DELETE"]


def test_doctor_reports_and_repairs_a_missing_vector(scripted, monkeypatch):
    scripted.outputs = ['["Alice likes tea"]']
    mid = json.loads(run("add", "I like tea", "-u", "alice", "--json").stdout)["results"][0]["id"]
    assert run("doctor").exit_code == 0
    memory = cli.state.make_memory(None)
    memory.store.vectors.delete([mid])
    broken = run("doctor", "--json")
    assert broken.exit_code == 1 and json.loads(broken.stdout)["problems"]
    fixed = run("doctor", "--repair")
    assert fixed.exit_code == 0 and "fixed" in fixed.stderr


def test_tables_show_the_day_said_and_a_turn_with_its_resolved_dates(scripted):
    scripted.outputs = ["[]"]
    chat = json.dumps([{"role": "user", "name": "Ann", "content": "I went to [the] support group yesterday",
                        "created_at": "2023-05-08T13:56:00"}])
    assert run("add", "-u", "ann", "--no-infer", input=chat).exit_code == 0
    table = run("search", "support group", "-u", "ann", "--memory-type", "message")
    assert table.exit_code == 0, table.output
    flat = " ".join(table.stdout.split())
    assert "8 May 2023" in flat and "2023-05-08" not in flat
    assert "[turn] Ann: I went to [the] support group" in flat and "(7 May 2023)" in flat  # brackets are text
    listed = " ".join(run("list", "-u", "ann").stdout.split())
    assert "8 May 2023" in listed


def test_usage_errors_are_one_line_with_exit_2(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "MEM0CLI_HOME": str(tmp_path / "s")}
    cases = {
        ("search", "--bogus", "x"): "mem0cli search: No such option: --bogus",
        ("nosuch",): "mem0cli: No such command 'nosuch'",
        ("search",): "mem0cli search: Missing argument 'query'",
        ("list", "-n", "abc"): "mem0cli list: Invalid value for '--limit'",
    }
    for args, start in cases.items():
        done = subprocess.run([sys.executable, "-m", "mem0cli", *args], capture_output=True, text=True, env=env)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stdout == ""
        assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith(start), done.stderr
    assert not (tmp_path / "s").exists()


def test_get_shows_a_stored_turn_and_brackets_verbatim(scripted):
    said = json.dumps([{"role": "user", "name": "Ana", "content": "[bold]my[/bold] keys are in the [red] box",
                        "created_at": "2023-05-08T13:56:00"}])
    assert run("add", "-u", "ana", "--no-infer", input=said).exit_code == 0
    hits = json.loads(run("search", "keys box", "-u", "ana", "--memory-type", "message", "--json").stdout)["results"]
    turn = hits[0]
    shown = run("get", turn["id"])
    assert shown.exit_code == 0, shown.output
    assert "[bold]my[/bold] keys are in the [red] box" in shown.stdout
    assert "said_on: 8 May 2023" in shown.stdout and "memory_type: message" in shown.stdout


def test_said_column_writes_every_day_out(scripted):
    """A memory with no time of its own shows the day it was stored, written like the others."""
    from datetime import datetime, timezone

    from mem0cli.items import said_on

    scripted.outputs = ['["Alice likes tea"]', '["Alice moved to Oslo"]']
    run("add", "I like tea", "-u", "alice")
    chat = [{"role": "user", "content": "I moved to Oslo", "created_at": "2023-05-08T13:56:00"}]
    run("add", "-u", "alice", input=json.dumps(chat))
    shown = run("list", "-u", "alice").stdout
    assert said_on(datetime.now(timezone.utc).isoformat()) in shown and "8 May 2023" in shown
    assert datetime.now(timezone.utc).strftime("%Y-%m-%d") not in shown


def _stored(store) -> list[tuple]:
    """What a store holds, memories and the messages they came from, without ids and times of storing."""
    items = json.loads(run("--store", str(store), "list", "--json").stdout)["results"]
    out = []
    for m in items:
        evidence = json.loads(run("--store", str(store), "get", m["id"], "--json").stdout)["evidence"]
        said = [(e["role"], e["name"], e["content"], e["created_at"]) for e in evidence]
        out.append((m["memory"], m["hash"], m["user_id"], json.dumps(m["metadata"]), m["speaker"], said))
    return sorted(out)


@pytest.mark.parametrize("text", [
    "I live in Oslo and I play the cello.",
    "I live in Oslo.\nI play the cello on Sundays.\n",
    "Notes from the week: moved to Oslo in March, the flat is near Frogner park.\n\n"
    "Started cello lessons again (Tuesdays at 6). My teacher is called Ingrid.\n",
])
@pytest.mark.parametrize("infer", [True, False])
def test_plain_text_on_stdin_is_stored_as_the_argument_form(scripted, tmp_path, text, infer):
    scripted.outputs = ['["Lives in Oslo", "Plays the cello"]'] * 2
    extra = [] if infer else ["--no-infer"]
    by_argument = run("--store", str(tmp_path / "arg"), "add", text, "-u", "z", "-m", "src=notes", *extra)
    piped = run("--store", str(tmp_path / "pipe"), "add", "-u", "z", "-m", "src=notes", *extra, input=text)
    assert (by_argument.exit_code, piped.exit_code) == (0, 0), piped.output
    assert piped.stderr.replace("(text)", "(messages)") == by_argument.stderr
    assert _stored(tmp_path / "pipe") == _stored(tmp_path / "arg") != []
    if infer:
        assert scripted.calls[0] == scripted.calls[1]
    assert {said[0][2] for *_, said in _stored(tmp_path / "pipe")} == {text.strip()}


def test_tables_show_a_long_turn_as_a_snippet_around_the_match(scripted):
    code = "\n".join(
        ["Sure, start with the imports:", "import os"]
        + [f"step_{i} = prepare({i})" for i in range(30)]
        + ["archive = make_tarball(paths)"]
        + [f"check_{i} = verify({i})" for i in range(30)]
        + ["That is all you need."]
    )
    chat = json.dumps([{"role": "user", "content": "how do I pack"}, {"role": "assistant", "content": code}])
    assert run("add", "-u", "dev", "--no-infer", input=chat).exit_code == 0

    def table(*args: str) -> str:
        result = runner.invoke(cli.app, list(args), env={"COLUMNS": "250"})
        assert result.exit_code == 0, result.output
        return result.stdout

    found = table("search", "make_tarball", "-u", "dev")
    assert "archive = make_tarball(paths)" in found and "…" in found
    assert "Sure, start" not in found and "step_0 =" not in found and "That is all you need." not in found
    listed = table("list", "-u", "dev")
    assert "Sure, start with the imports: import os step_0 = prepare(0)" in listed
    assert "make_tarball" not in listed and "That is all you need." not in listed
    full = json.loads(run("search", "make_tarball", "-u", "dev", "--json").stdout)["results"]
    long_one = next(m for m in full if "make_tarball" in m["memory"])
    assert long_one["memory"] == code
    shown = run("get", long_one["id"]).stdout
    assert "Sure, start with the imports:" in shown and "That is all you need." in shown


def test_add_expiration_date_takes_a_memory_out_of_list_and_search_after_it(scripted):
    import time
    from datetime import datetime, timedelta, timezone

    assert run("add", "I drink green tea", "-u", "alice", "--no-infer", "--expiration-date", "2999-12-31").exit_code == 0
    soon = datetime.now(timezone.utc) + timedelta(seconds=3)
    assert run("add", "I am at the dentist at noon", "-u", "alice", "--no-infer", "--expiration-date", soon.isoformat()).exit_code == 0
    listed = json.loads(run("list", "-u", "alice", "--json").stdout)["results"]
    assert len(listed) == 2
    time.sleep(max((soon - datetime.now(timezone.utc)).total_seconds(), 0) + 0.1)
    assert [r["memory"] for r in json.loads(run("list", "-u", "alice", "--json").stdout)["results"]] == ["I drink green tea"]
    found = json.loads(run("search", "dentist", "-u", "alice", "--json").stdout)["results"]
    assert all("dentist" not in r["memory"] for r in found)
    shown = json.loads(run("search", "dentist", "-u", "alice", "--show-expired", "--json").stdout)["results"]
    assert any("dentist" in r["memory"] for r in shown)
    assert len(json.loads(run("list", "-u", "alice", "--show-expired", "--json").stdout)["results"]) == 2


@pytest.mark.parametrize("when", ["2001-01-01", "soon", "2999-13-01"])
def test_add_refuses_a_bad_or_past_expiration_date_and_stores_nothing(scripted, when):
    result = run("add", "I drink green tea", "-u", "alice", "--no-infer", "--expiration-date", when)
    assert result.exit_code == 2 and "expiration_date" in result.stderr
    assert json.loads(run("list", "--show-expired", "--json").stdout)["results"] == []
