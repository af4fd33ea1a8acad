"""The CLI through a running server: the same output as in-process, without the heavy imports."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.serving import PY, ROOT, Served, cli, env_for

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def served(isolated_home):
    server = Served(isolated_home)
    yield server
    assert server.stop() == 0


def both(home, *args, input=None):
    """The command through the server, then in process: (returncode, stdout, stderr) each."""
    remote = cli(home, *args, input=input)
    direct = cli(home, "--no-server", *args, input=input)
    return [(r.returncode, r.stdout, r.stderr) for r in (remote, direct)]


def test_read_commands_print_the_same_with_and_without_the_server(served):
    chat = "\n".join(json.dumps({"role": "user", "content": c, "created_at": f"2025-03-0{i + 1}T10:00:00Z"})
                     for i, c in enumerate(["I live in Seattle", "I like oat milk lattes", "Standup is at 10am"]))
    assert cli(served.home, "add", "-u", "alice", "--no-infer", "-m", "room=p42", input=chat).returncode == 0
    items = json.loads(cli(served.home, "list", "--json").stdout)["results"]
    first = items[0]["id"]
    commands = [
        ("search", "where do I live", "-u", "alice"),
        ("search", "where do I live", "-u", "alice", "--json"),  # (--explain's freshness moves with the clock)
        ("search", "latte", "--filter", '{"room": "p42"}', "-n", "2", "--memory-type", "message"),
        ("search", "x", "--filter", '{"room": {"regex": "a"}}'),
        ("search", "x", "--limit", "0"),
        ("list",), ("list", "-u", "alice", "--json"), ("list", "-u", "nobody"),
        ("get", first[:8]), ("get", first, "--json"), ("get", "abc"), ("get", "ffffffffffff"),
        ("history", first[:8], "--json"), ("history", "ffffffffffff"),
        ("forget", "-u", "alice", "--dry-run"), ("forget", "-u", "alice"),
        ("forget", "ffffffffffff"),
    ]
    for command in commands:
        remote, direct = both(served.home, *command)
        assert same_but_for_the_last_digit(remote, direct), command


DECIMAL = re.compile(r"(\d+\.\d+)")


def same_but_for_the_last_digit(remote: tuple, direct: tuple) -> bool:
    """Equal, except that a decimal (a score, which moves with the clock through its
    freshness) may differ by one in its last printed digit between the two runs."""
    if remote[0] != direct[0] or remote[2] != direct[2]:
        return False
    a, b = DECIMAL.split(remote[1]), DECIMAL.split(direct[1])
    if len(a) != len(b):
        return False
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            continue
        if i % 2 == 0:  # the text between the numbers
            return False
        places = min(len(x.split(".")[1]), len(y.split(".")[1]))
        if abs(float(x) - float(y)) > 1.000001 * 10.0**-places:
            return False
    return True


def test_write_commands_print_the_same_with_and_without_the_server(served):
    def masked(result):
        return [(code, UUID.sub("<id>", out), err) for code, out, err in [result]]

    for user, flag in (("remote", []), ("direct", ["--no-server"])):
        added = cli(served.home, *flag, "add", "--no-infer", "-u", "u", "--run-id", user, "I like tea", "--json")
        again = cli(served.home, *flag, "add", "--no-infer", "-u", "u", "--run-id", user, "I like tea")
        bad = cli(served.home, *flag, "add", "-u", "u", "-m", "user_id=x", "text")
        one = json.loads(added.stdout)["results"][0]["id"]
        forgot = cli(served.home, *flag, "forget", one, "--json")
        if user == "remote":
            expected = [masked((r.returncode, r.stdout, r.stderr)) for r in (added, again, bad, forgot)]
        else:
            assert [masked((r.returncode, r.stdout, r.stderr)) for r in (added, again, bad, forgot)] == expected
    assert expected[2][0][0] == 2 and "reserved" in expected[2][0][2]


HEAVY = ("torch", "sentence_transformers", "lancedb", "llama_cpp", "pyarrow", "numpy")


def test_the_client_path_imports_no_model_or_vector_library(served):
    served.http.post("/memories", json={"messages": "I live in Seattle", "user_id": "a", "infer": False})
    probe = (
        "import sys, json\n"
        "from mem0cli import cli\n"
        "try:\n    cli.app(['search', 'where', '-u', 'a', '--json'], standalone_mode=False)\n"
        "finally:\n"
        f"    sys.stderr.write('HEAVY ' + json.dumps([m for m in {HEAVY!r} if m in sys.modules]) + '\\n')\n"
    )
    result = subprocess.run([PY, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env_for(served.home),
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"][0]["memory"] == "I live in Seattle"
    heavy = json.loads(result.stderr.split("HEAVY ", 1)[1])
    assert [m for m in heavy if m in ("torch", "sentence_transformers", "lancedb", "llama_cpp")] == []


def test_a_read_command_runs_whole_in_the_server_without_typer_or_rich(served):
    served.http.post("/memories", json={"messages": "I live in Seattle", "user_id": "a", "infer": False})
    probe = (
        "import sys, json\n"
        "sys.argv = ['mem0cli', 'search', 'where', '-u', 'a', '--json']\n"
        "from mem0cli import entry\n"
        "try:\n    entry.main()\n"
        "except SystemExit as exc:\n    code = exc.code\n"
        "sys.stderr.write('CODE %s MODULES ' % code + json.dumps(sorted(m.split('.')[0] for m in sys.modules)) + '\\n')\n"
    )
    result = subprocess.run([PY, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env_for(served.home),
                            timeout=60)
    assert json.loads(result.stdout)["results"][0]["memory"] == "I live in Seattle"
    code, modules = result.stderr.split("CODE ", 1)[1].split(" MODULES ")
    assert code == "0"
    assert {"typer", "rich", "numpy", "torch", "lancedb"}.isdisjoint(json.loads(modules))


def test_forwarded_tables_follow_the_callers_terminal(served):
    served.http.post("/memories", json={"messages": "I live in Seattle near the water", "user_id": "a", "infer": False})
    for extra in ({"COLUMNS": "44"}, {"FORCE_COLOR": "1", "COLUMNS": "70"}, {"NO_COLOR": "1", "FORCE_COLOR": "1"}):
        runs = []
        for flag in ([], ["--no-server"]):
            env = {**env_for(served.home), **extra}
            runs.append(subprocess.run([PY, "-m", "tests.helpers.stand_in_cli", *flag, "search", "seattle", "-u", "a"],
                                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=120))
        forwarded, direct = runs
        assert (forwarded.returncode, forwarded.stdout, forwarded.stderr) == (direct.returncode, direct.stdout, direct.stderr)
        assert "search: seattle" in forwarded.stdout
        assert ("\x1b[" in forwarded.stdout) == ("FORCE_COLOR" in extra)  # NO_COLOR keeps styles, drops colours
        plain = re.sub(r"\x1b\[[0-9;]*m", "", forwarded.stdout)
        assert max(len(line) for line in plain.splitlines()) <= int(extra.get("COLUMNS", 80))


def test_the_server_runs_only_read_commands_for_the_cli(served):
    served.http.post("/memories", json={"messages": "I live in Seattle", "user_id": "a", "infer": False})
    for argv in (["forget", "-u", "a", "--yes"], ["export", "-o", str(served.home / "x.jsonl")], ["--store", "/tmp", "list"],
                 ["list", "--help"], ["serve", "--stop"], []):
        reply = served.http.post("/cli", json={"argv": argv})
        assert reply.status_code == 400, argv
        assert "only get, history, list, search run in the server" in reply.json()["error"]
    assert len(served.http.get("/memories", params={"user_id": "a"}).json()["results"]) == 1
    assert not (served.home / "x.jsonl").exists()
    reply = served.http.post("/cli", json={"argv": ["list", "-u", "a", "--json"]})
    assert reply.status_code == 200 and reply.json()["exit_code"] == 0
    assert json.loads(reply.json()["stdout"])["results"][0]["memory"] == "I live in Seattle"


def test_a_stale_socket_means_the_command_runs_in_process(tmp_path):
    import socket

    left = socket.socket(socket.AF_UNIX)
    left.bind(str(tmp_path / "serve.sock"))  # bound, never listening: a server that is gone
    result = subprocess.run([PY, "-m", "mem0cli", "--store", str(tmp_path), "list", "--json"], capture_output=True,
                            text=True, cwd=ROOT, env=env_for(tmp_path), timeout=60)
    left.close()
    assert json.loads(result.stdout)["results"] == []
    assert result.returncode == 1 and f"no store at {tmp_path}" in result.stderr
