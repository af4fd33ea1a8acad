"""`mem0cli graph` and `search --graph/--no-graph --explain` through Typer's runner."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from mem0cli import Memory, cli
from tests.fakes import FakeEmbedder, ScriptedExtractor

runner = CliRunner()


@pytest.fixture
def stored(monkeypatch, isolated_home):
    embedder = FakeEmbedder()
    monkeypatch.setattr(
        cli.state, "make_memory",
        lambda store: Memory(path=store, embedder=embedder, extractor=ScriptedExtractor()),
    )
    monkeypatch.setattr(cli.state, "no_server", True)
    memory = Memory(path=isolated_home, embedder=embedder)
    for text, when in (("My sister Ana lives in Porto.", "2023-01-05T10:00:00"),
                       ('Ana moved to "Braga" in June.', "2023-06-20T10:00:00")):
        memory.add([{"role": "user", "name": "Caroline", "content": text, "created_at": when}],
                   user_id="caroline", infer=False)
    memory.close()
    return isolated_home


def run(*args: str):
    return runner.invoke(cli.app, list(args))


def test_graph_prints_an_entitys_relations_as_a_table_and_json(stored) -> None:
    table = run("graph", "ana", "-u", "caroline")
    assert table.exit_code == 0, table.output
    assert "move to" in table.stdout and "Braga" in table.stdout and "2023-06-20" in table.stdout
    view = json.loads(run("graph", "Caroline's sister", "-u", "caroline", "--json").stdout)
    assert {(r["subject"], r["relation"], r["object"], r["valid_until"]) for r in view["relations"]} == {
        ("Caroline", "sister", "Ana", None), ("Ana", "live in", "Porto", "2023-06-20T10:00:00"),
        ("Ana", "move to", "Braga", None),
    }
    assert all(r["sources"] and r["sources"][0]["turn_pk"] for r in view["relations"])
    deeper = json.loads(run("graph", "Caroline", "-u", "caroline", "--depth", "2", "--json").stdout)
    assert {r["hops"] for r in deeper["relations"]} == {1, 2}


def test_graph_errors_unknown_entity_exit_1_and_depth_over_the_limit_exit_2(stored) -> None:
    unknown = run("graph", "Zed", "-u", "caroline")
    assert unknown.exit_code == 1 and "no entity named 'Zed'" in unknown.stderr
    elsewhere = run("graph", "Ana", "-u", "someone-else")
    assert elsewhere.exit_code == 1
    deep = run("graph", "Ana", "-u", "caroline", "--depth", "9")
    assert deep.exit_code == 2 and "depth must be between 1 and 3" in deep.stderr
    both = run("graph", "Ana", "--json", "--dot")
    assert both.exit_code == 2


def test_graph_dot_is_parsed_by_graphviz(stored) -> None:
    dot_program = shutil.which("dot")
    assert dot_program, "Graphviz's dot is needed (Debian: apt-get install graphviz)"
    out = run("graph", "-u", "caroline", "--dot")
    assert out.exit_code == 0 and out.stdout.startswith("digraph memory {")
    assert "style=dashed" in out.stdout  # the closed relation
    svg = subprocess.run([dot_program, "-Tsvg"], input=out.stdout, capture_output=True, text=True, check=False)
    assert svg.returncode == 0, svg.stderr
    assert "<svg" in svg.stdout and "Braga (place)" in svg.stdout and "move to" in svg.stdout


def test_search_explain_shows_the_path_and_no_graph_leaves_it_out(stored) -> None:
    lifted = json.loads(run("search", "where is Caroline's sister now", "-u", "caroline", "--graph", "--explain",
                            "--json").stdout)
    paths = [r["explain"].get("graph_path") for r in lifted["results"]]
    assert any(p and "Ana -move to-> Braga" in p for p in paths)
    plain = json.loads(run("search", "where is Caroline's sister now", "-u", "caroline", "--no-graph", "--explain",
                           "--json").stdout)
    assert not any("graph_path" in r["explain"] for r in plain["results"])
    default = json.loads(run("search", "where is Caroline's sister now", "-u", "caroline", "--explain", "--json").stdout)
    assert default["results"] == lifted["results"]  # on unless turned off


def test_mem0cli_graph_off_turns_the_graph_off(stored, monkeypatch) -> None:
    monkeypatch.setenv("MEM0CLI_GRAPH", "off")
    found = json.loads(run("search", "where is Caroline's sister now", "-u", "caroline", "--explain", "--json").stdout)
    assert found["results"] and not any("graph_path" in r["explain"] for r in found["results"])
    forced = json.loads(run("search", "where is Caroline's sister now", "-u", "caroline", "--graph", "--explain",
                            "--json").stdout)
    assert any("graph_path" in r["explain"] for r in forced["results"])  # the flag wins over the variable
    monkeypatch.setenv("MEM0CLI_GRAPH", "maybe")
    bad = run("search", "x", "-u", "caroline")
    assert bad.exit_code == 2 and "MEM0CLI_GRAPH must be on or off" in bad.stderr


def test_dot_quotes_names_graphviz_would_misread() -> None:
    from mem0cli.graph.view import to_dot

    view = {"entities": [{"id": "a", "name": 'Ana "Nan" O\\Brien', "type": "person"},
                         {"id": "b", "name": "Café {x}; -> y", "type": "place"}],
            "relations": [{"subject_id": "a", "object_id": "b", "relation": 'lives "in"', "valid_until": None}]}
    svg = subprocess.run([shutil.which("dot") or "dot", "-Tsvg"], input=to_dot(view), capture_output=True, text=True,
                         check=False)
    assert svg.returncode == 0, svg.stderr
    assert "Café {x}; &#45;&gt; y (place)" in svg.stdout
