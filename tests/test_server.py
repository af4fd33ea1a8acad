"""`mem0cli serve` over a real unix socket (and TCP): routes, errors, tokens, concurrency, shutdown."""

from __future__ import annotations

import json
import signal
import socket
import stat
import threading
import time

import httpx
import pytest

from mem0cli import Memory
from tests.helpers.stand_in_cli import StandInMiniLM
from tests.serving import Served, cli


@pytest.fixture
def served(isolated_home):
    server = Served(isolated_home)
    yield server
    assert server.stop() == 0


def local(home) -> Memory:
    return Memory(path=home, embedder=StandInMiniLM())


def snapshot(home) -> tuple:
    m = local(home)
    try:
        stats = m.stats()
        rows = m.get_all(limit=10_000)["results"]
        return stats["memories"], stats["messages"], stats["history_events"], json.dumps(rows, sort_keys=True)
    finally:
        m.close()


def test_socket_is_private_and_answers_health_and_openapi(served):
    mode = served.socket.stat().st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
    assert served.http.get("/health").json()["status"] == "ok"
    paths = served.http.get("/openapi.json").json()["paths"]
    for route in ("/memories", "/memories/{memory_id}", "/memories/{memory_id}/history", "/search", "/reset"):
        assert route in paths
    status = cli(served.home, "serve", "--status")
    assert status.returncode == 0 and status.stdout.startswith("running: pid")


def test_routes_answer_the_python_apis_json(served):
    http = served.http
    added = http.post("/memories", json={"messages": [{"role": "user", "content": "I live in Seattle"}],
                                         "user_id": "alice", "infer": False, "metadata": {"room": "p1", "n": 2}})
    assert added.status_code == 200, added.text
    memory_id = added.json()["results"][0]["id"]
    got = http.get(f"/memories/{memory_id}").json()
    m = local(served.home)
    assert got == m.get(memory_id)
    assert got["metadata"] == {"room": "p1", "n": 2}
    listed = http.get("/memories", params={"user_id": "alice", "top_k": 5}).json()
    assert listed == m.get_all(user_id="alice", limit=5)
    found = http.post("/search", json={"query": "where do I live", "user_id": "alice", "top_k": 3}).json()
    assert found["results"][0]["id"] == memory_id
    assert found == m.search("where do I live", user_id="alice", limit=3)
    assert http.put(f"/memories/{memory_id}", json={"text": "I live in Oslo"}).status_code == 200
    events = http.get(f"/memories/{memory_id}/history").json()
    assert [e["event"] for e in events] == ["ADD", "UPDATE"] and events == m.history(memory_id)
    m.close()
    assert http.delete(f"/memories/{memory_id}").status_code == 200
    assert http.get(f"/memories/{memory_id}").status_code == 404
    http.post("/memories", json={"messages": "tea please", "user_id": "bob", "infer": False,
                                 "expiration_date": "2999-12-31"})
    assert len(http.get("/memories", params={"user_id": "bob", "show_expired": "true"}).json()["results"]) == 1
    gone = http.delete("/memories", params={"user_id": "bob"}).json()
    assert gone["deleted"] == 1
    assert http.post("/reset").json() == {"message": "All memories reset"}
    assert http.get("/memories").json() == {"results": []}


HOSTILE = [
    ("post", "/memories", b'{"messages": "x", "user_id": "a"', "application/json"),  # truncated JSON
    ("post", "/memories", b"[1, 2, 3]", "application/json"),
    ("post", "/memories", b"\xff\xfe\x00garbage", "application/json"),
    ("post", "/memories", {"messages": "x"}, None),  # no scope
    ("post", "/memories", {"messages": "x", "user_id": ""}, None),
    ("post", "/memories", {"messages": "x", "user_id": "a\u0000b"}, None),
    ("post", "/memories", {"messages": "x", "user_id": "a", "metadata": {"user_id": "evil"}}, None),
    ("post", "/memories", {"messages": "x", "user_id": "a", "metadata": [1]}, None),
    ("post", "/memories", {"messages": "x", "user_id": "a", "metadata": {"k": "v" * 70_000}}, None),
    ("post", "/memories", {"messages": [], "user_id": "a"}, None),
    ("post", "/memories", {"messages": [{"role": "user"}], "user_id": "a"}, None),
    ("post", "/memories", {"messages": "x", "user_id": "a", "memory_type": "procedural_memory"}, None),
    ("post", "/memories", {"messages": "x", "user_id": "a", "prompt": "extract only food"}, None),
    ("post", "/memories", {"messages": "x", "user_id": "a", "surprise": True}, None),
    ("post", "/memories", {"messages": "x", "user_id": "a", "expiration_date": "2001-01-01"}, None),
    ("post", "/memories", {"messages": "x", "user_id": "a", "expiration_date": "soon"}, None),
    ("post", "/memories", {"messages": "x", "user_id": "a", "expiration_date": "2999-01-01", "infer": False,
                           "memory_type": "procedural_memory"}, None),
    ("post", "/memories", {"messages": "x", "user_id": {"$ne": None}}, None),
    ("post", "/messages", {"messages": [{"role": "user", "content": "x", "evil": 1}], "user_id": "a"}, None),
    ("post", "/search", {"query": ""}, None),
    ("post", "/search", {"query": "x", "limit": 0}, None),
    ("post", "/search", {"query": "x", "limit": 2, "top_k": 3}, None),
    ("post", "/search", {"query": "x", "rerank": True}, None),
    ("post", "/search", {"query": "x", "filters": {"room": {"regex": ".*"}}}, None),
    ("post", "/search", {"query": "x", "filters": {"AND": "nope"}}, None),
    ("post", "/search", {"query": "x", "rank": {"bogus": 1}}, None),
    ("get", "/memories?limit=-1", None, None),
    ("get", "/memories?filters=%7Bbroken", None, None),
    ("get", "/memories?limit=abc", None, None),
    ("delete", "/memories", None, None),  # delete_all without a scope
    ("delete", "/memories?filters=%5B%5D", None, None),
    ("put", "/memories/{id}", {"text": ""}, None),
    ("put", "/memories/{id}", {"text": "a", "data": "b"}, None),
    ("put", "/memories/nope", {"text": "x"}, None),
    ("delete", "/memories/..%2F..%2Fetc", None, None),
    ("get", "/memories/%00", None, None),
]


def test_the_cli_transcript_route_sets_an_expiration_date_with_the_add(served):
    from datetime import datetime, timedelta, timezone

    http = served.http
    http.post("/memories", json={"messages": "a warm-up write", "user_id": "b", "infer": False})
    soon = datetime.now(timezone.utc) + timedelta(seconds=3)
    message = {"role": "user", "content": "I am at the dentist at noon"}
    body = {"messages": [message], "user_id": "a", "infer": False, "expiration_date": soon.isoformat()}
    assert http.post("/messages", json=body).status_code == 200
    assert len(http.get("/memories", params={"user_id": "a"}).json()["results"]) == 1
    time.sleep(max((soon - datetime.now(timezone.utc)).total_seconds(), 0) + 0.1)
    assert http.get("/memories", params={"user_id": "a"}).json()["results"] == []
    assert len(http.get("/memories", params={"user_id": "a", "show_expired": "true"}).json()["results"]) == 1
    past = {**body, "expiration_date": "2001-01-01", "messages": [{"role": "user", "content": "other"}]}
    assert http.post("/messages", json=past).status_code == 400


def test_hostile_and_malformed_requests_get_4xx_and_change_nothing(served):
    http = served.http
    kept = http.post("/memories", json={"messages": "I keep a cat", "user_id": "a", "infer": False}).json()
    memory_id = kept["results"][0]["id"]
    before = snapshot(served.home)
    for method, path, body, ctype in HOSTILE:
        path = path.replace("{id}", memory_id)
        if isinstance(body, bytes):
            response = http.request(method, path, content=body, headers={"content-type": ctype})
        else:
            response = http.request(method, path, json=body)
        assert 400 <= response.status_code < 500, (method, path, body, response.status_code, response.text)
        assert response.json()["error"], (path, body, response.text)
    huge = http.post("/memories", content=b"{" + b" " * (17 * 1024 * 1024) + b"}",
                     headers={"content-type": "application/json"})
    assert huge.status_code == 413
    assert snapshot(served.home) == before


def test_tcp_off_loopback_requires_the_token(isolated_home):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = Served(isolated_home, "--host", "0.0.0.0", "--port", str(port))
    try:
        token_file = isolated_home / "serve.token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token = token_file.read_text().strip()
        base = f"http://127.0.0.1:{port}"
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
            answer = httpx.get(f"{base}/memories", headers=headers)
            assert answer.status_code == 401 and "token" in answer.json()["error"]
            assert "results" not in answer.text
        ok = httpx.get(f"{base}/memories", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and ok.json() == {"results": []}
        assert server.http.get("/memories").status_code == 200  # the owner's 0600 socket needs none
    finally:
        assert server.stop() == 0


def test_a_cli_writer_and_the_server_write_at_once_and_nothing_is_lost(served):
    transcript = "\n".join(json.dumps({"role": "user", "content": f"cli note number {i}"}) for i in range(120))
    results: dict = {}

    def cli_writer():
        results["cli"] = cli(served.home, "--no-server", "add", "-u", "cli", "--no-infer", "--format", "jsonl",
                             input=transcript)

    thread = threading.Thread(target=cli_writer)
    thread.start()
    acknowledged = 0
    for i in range(30):
        answer = served.http.post("/memories", json={"messages": f"http note number {i}", "user_id": "http",
                                                     "infer": False})
        assert answer.status_code == 200, answer.text
        acknowledged += len(answer.json()["results"])
    thread.join()
    assert results["cli"].returncode == 0, results["cli"].stderr
    assert acknowledged == 30
    assert len(served.http.get("/memories", params={"user_id": "http", "limit": 1000}).json()["results"]) == 30
    assert len(served.http.get("/memories", params={"user_id": "cli", "limit": 1000}).json()["results"]) == 120
    assert cli(served.home, "--no-server", "doctor").returncode == 0


def test_sigterm_during_a_write_finishes_it_then_exits_0(isolated_home):
    server = Served(isolated_home)
    messages = [{"role": "user", "content": f"long transcript line {i} about gardens"} for i in range(600)]
    answers: dict = {}

    def write():
        try:
            answers["add"] = server.http.post("/messages", json={"messages": messages, "user_id": "a", "infer": False})
        except httpx.TransportError as exc:
            answers["add"] = exc

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.3)
    server.proc.send_signal(signal.SIGTERM)
    time.sleep(0.1)
    late = None
    try:
        late = httpx.Client(transport=httpx.HTTPTransport(uds=str(server.socket)), base_url="http://mem0cli").get("/health")
    except httpx.ConnectError:
        pass  # the write was done and the listener closed: refused, which the CLI treats as no server
    write_still_running = thread.is_alive()
    thread.join(timeout=60)
    assert server.stop() == 0
    if write_still_running:  # a request while a write drains is answered, with 503
        assert late is not None and late.status_code == 503
    assert late is None or late.status_code == 503
    added = answers["add"]
    if isinstance(added, httpx.Response):  # it was in flight: it finished
        assert added.status_code == 200 and added.json()["messages_new"] == 600
    assert not server.socket.exists() and not (isolated_home / "serve.json").exists()
    doctor = cli(isolated_home, "doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "not running" in cli(isolated_home, "serve", "--status").stdout


def test_stop_and_a_stale_socket(isolated_home):
    server = Served(isolated_home)
    server.proc.kill()  # no clean-up: the socket file stays
    server.proc.wait()
    assert server.socket.exists()
    listed = cli(isolated_home, "list", "--json")  # falls back to in-process
    assert listed.returncode == 0 and json.loads(listed.stdout) == {"results": []}
    assert cli(isolated_home, "serve", "--status").returncode == 1
    again = Served(isolated_home)  # a new server replaces the stale socket
    stopped = cli(isolated_home, "serve", "--stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stderr
    assert again.proc.wait(timeout=30) == 0
    assert "no server running" in cli(isolated_home, "serve", "--stop").stderr


def test_searches_through_the_server_see_every_write_since(served):
    """The server's readers keep their LanceDB handles: each search must see later writes
    (its own writer's, a CLI's, a reset) exactly as a new process does."""
    http = served.http

    def both(query):
        remote = http.post("/search", json={"query": query, "user_id": "bob", "limit": 5}).json()
        m = local(served.home)
        try:
            return remote, m.search(query, user_id="bob", limit=5)
        finally:
            m.close()

    http.post("/memories", json={"messages": "Bob lives in Seattle", "user_id": "bob", "infer": False})
    remote, direct = both("where does bob live")
    assert remote == direct and len(remote["results"]) == 1
    for text in ("Bob moved to Portland last spring", "Bob likes oat milk lattes"):
        http.post("/memories", json={"messages": text, "user_id": "bob", "infer": False})
        remote, direct = both("where does bob live")
        assert remote == direct
    assert cli(served.home, "--no-server", "add", "-u", "bob", "--no-infer", "Bob lives near the river").returncode == 0
    remote, direct = both("bob lives")
    assert remote == direct and len(remote["results"]) == 4
    http.post("/reset")
    http.post("/memories", json={"messages": "Bob lives in Lisbon now", "user_id": "bob", "infer": False})
    remote, direct = both("where does bob live")
    assert remote == direct and [r["memory"] for r in remote["results"]] == ["Bob lives in Lisbon now"]
