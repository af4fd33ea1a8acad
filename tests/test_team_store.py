"""Many writers, one PostgreSQL store: two writer processes add at once (some of the same
messages) while a third searches; every acknowledged memory is there, and none twice."""

from __future__ import annotations

import multiprocessing
from collections import Counter

from mem0cli import Memory
from tests.fakes import FakeEmbedder, ScriptedExtractor

ROUNDS = 25
USERS = ("u0", "u1", "u2")


def _open(url: str) -> Memory:
    return Memory(url=url, embedder=FakeEmbedder(), extractor=ScriptedExtractor())


def write(url: str, writer: int, start, out) -> None:
    """Add a message of this writer's own and one both writers add, each round."""
    memory = _open(url)
    start.wait()
    acknowledged = []
    for i in range(ROUNDS):
        user = USERS[i % len(USERS)]
        for text in (f"writer {writer} note {i} about walruses", f"shared note {i} about walruses"):
            for result in memory.add(text, user_id=user, infer=False)["results"]:
                acknowledged.append((result["id"], text, user))
    memory.close()
    out.put(acknowledged)


def search(url: str, start, stop, out) -> None:
    """Search one user's memories until the writers finish; report searches and any leak."""
    memory = _open(url)
    start.wait()
    searches, leaks = 0, 0
    while not stop.is_set() or searches == 0:
        results = memory.search("note about walruses", user_id="u0", limit=20)["results"]
        leaks += sum(1 for r in results if r.get("user_id") != "u0")
        searches += 1
    memory.close()
    out.put((searches, leaks))


def test_two_writers_and_a_searcher_lose_nothing_and_duplicate_nothing(pg_url) -> None:
    _open(pg_url).add("a first note", user_id="u0", infer=False)  # the schema exists before the race
    ctx = multiprocessing.get_context("spawn")
    start, stop = ctx.Barrier(3), ctx.Event()
    acks, searched = ctx.Queue(), ctx.Queue()
    writers = [ctx.Process(target=write, args=(pg_url, w, start, acks)) for w in (1, 2)]
    searcher = ctx.Process(target=search, args=(pg_url, start, stop, searched))
    for p in (*writers, searcher):
        p.start()
    acknowledged = [acks.get(timeout=300) for _ in writers]
    stop.set()
    searches, leaks = searched.get(timeout=300)
    for p in (*writers, searcher):
        p.join(timeout=60)
        assert p.exitcode == 0
    assert searches > 0 and leaks == 0

    memory = _open(pg_url)
    stored = {u: memory.get_all(user_id=u, limit=1000)["results"] for u in USERS}
    by_id = {m["id"]: (m["memory"], m["user_id"]) for rows in stored.values() for m in rows}
    for mid, text, user in (a for acks_of_one in acknowledged for a in acks_of_one):
        assert by_id.get(mid) == (text, user)  # every acknowledged memory is there, as acknowledged
    texts = Counter((m["memory"], m["user_id"]) for rows in stored.values() for m in rows)
    assert max(texts.values()) == 1  # no memory twice
    expected = {(f"writer {w} note {i} about walruses", USERS[i % 3]) for w in (1, 2) for i in range(ROUNDS)}
    expected |= {(f"shared note {i} about walruses", USERS[i % 3]) for i in range(ROUNDS)}
    assert set(texts) - {("a first note", "u0")} == expected
    shared_acks = [a for acks_of_one in acknowledged for a in acks_of_one if a[1].startswith("shared")]
    assert len(shared_acks) == ROUNDS  # each shared message acknowledged by exactly one writer
    assert len(memory.store.select_turns(None)) == len(texts)  # and stored as one turn
    memory.close()


def test_a_team_store_server_has_a_socket_of_its_own_and_shadows_no_local_store(pg_url, isolated_home, monkeypatch):
    import json

    from mem0cli.config import server_home
    from tests.serving import Served, cli

    home = isolated_home
    monkeypatch.setenv("MEM0CLI_HOME", str(home))
    assert cli(home, "add", "--no-infer", "-u", "alice", "a local note").returncode == 0
    team_home = server_home(pg_url)
    assert team_home.parent == home / "servers" and server_home(None) == home
    served = Served(home, socket=team_home / "serve.sock", MEM0CLI_STORE_URL=pg_url)
    try:
        assert served.http.get("/health").json()["store"].startswith("postgresql://")
        assert served.http.post("/memories", json={"messages": "a team note", "user_id": "bob", "infer": False}).status_code == 200
        local = json.loads(cli(home, "list", "--json").stdout)["results"]
        team = json.loads(cli(home, "list", "--json", MEM0CLI_STORE_URL=pg_url).stdout)["results"]
        also_team = json.loads(cli(home, "--store", pg_url, "list", "--json").stdout)["results"]
        assert [r["memory"] for r in local] == ["a local note"]
        assert [r["memory"] for r in team] == [r["memory"] for r in also_team] == ["a team note"]
        assert cli(home, "serve", "--status").returncode == 1  # the local store has no server
        assert cli(home, "serve", "--status", MEM0CLI_STORE_URL=pg_url).returncode == 0
        assert not (home / "serve.sock").exists()
        assert cli(home, "serve", "--stop", MEM0CLI_STORE_URL=pg_url).returncode == 0
        assert served.proc.wait(timeout=60) == 0
    finally:
        served.stop()
