"""Hostile input, generated: every case ends in success or a clear error, never a crash.

Transcripts (random bytes, invalid UTF-8, control characters, deep nesting, huge
strings, 10 MB lines), filters, metadata, scope ids and raw model output go to
`mem0cli add / search / list / forget` through Typer's runner and to the Python
API, with the fakes. A case may succeed (exit 0) or fail cleanly (exit 2, one
line on stderr; InputError from the API), and a failed case leaves the store
exactly as it was. Anything else (exit 1, another exception, a traceback) fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mem0cli import InputError, Memory, backup, cli
from mem0cli.filters import OPERATORS, Cond
from mem0cli.transcripts import FORMATS
from tests.fakes import FakeEmbedder, ScriptedExtractor

# Reproducible (derandomize) and bounded: no shrinking, so a failure costs seconds, not minutes;
# the failing case is printed as generated.
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
runner = CliRunner()

# -- strategies ---------------------------------------------------------------------
HOSTILE = [
    "\x00", "\x01", "\x07", "\x1b[31m", "\x7f", "\u0085", "\u2028", "\u202e", "\ufeff", "\ufffe",
    "'", '"', "\\", "%", "*", "--", "' OR '1'='1", '") OR (1=1', "\n", "\r\n", "\t",
    "😀", "é", "ﬀ", " ", "", "user:", "assistant: ", "{", "[", "null",
]  # fmt: skip
SURROGATES = ["\ud800", "\udcff", "\udfff"]  # lone: not encodable; what surrogateescape makes of bad bytes
hostile_text = st.lists(
    st.one_of(st.text(max_size=12), st.sampled_from(HOSTILE), st.sampled_from(HOSTILE * 8 + SURROGATES)),
    max_size=10,
).map("".join)
long_text = st.integers(1_000, 100_000).map(lambda n: ("walrus ☃\x00\u202e " * (n // 10 + 1))[:n])
any_text = st.one_of(hostile_text, hostile_text, long_text)
content_text = st.one_of(
    hostile_text.map(lambda t: f"note {t}"), hostile_text.map(lambda t: f"{t} note"), long_text, hostile_text
)
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text,
)
json_value = st.recursive(
    json_scalar,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(hostile_text, kids, max_size=4)),
    max_leaves=16,
)
ROLES = ["user", "assistant", "system", "tool", "function", "human", "ai", "USER", "model", "developer"]
message = st.fixed_dictionaries(
    {
        "role": st.one_of(st.sampled_from(ROLES), hostile_text, json_value),
        "content": st.one_of(any_text, json_value),
    },
    optional={
        "name": st.one_of(hostile_text, json_value),
        "id": st.one_of(hostile_text, st.integers(), json_value),
        "created_at": st.one_of(
            st.sampled_from(
                ["2025-01-01T10:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01", "2025-13-45", "1e400", ""]
            ),
            st.integers(-(2**63), 2**63),
            st.floats(),
            hostile_text,
        ),
        "text": any_text,
        "parts": json_value,
    },
)
good_message = st.fixed_dictionaries(  # the right shape, hostile contents
    {"role": st.sampled_from(["user", "user", "assistant"]), "content": content_text},
    optional={
        "name": hostile_text,
        "id": hostile_text,
        "created_at": st.sampled_from(
            ["2025-01-01T10:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01", "2025-13-45", ""]
        ),
    },
)
export_like = st.fixed_dictionaries(
    {  # shapes the ChatGPT / Claude / OpenAI readers look for
        "title": hostile_text,
        "mapping": st.dictionaries(hostile_text, json_value, max_size=3),
        "current_node": hostile_text,
        "chat_messages": st.lists(
            st.dictionaries(st.sampled_from(["sender", "text", "content", "uuid"]), json_value), max_size=3
        ),
        "choices": st.lists(st.fixed_dictionaries({"message": message}), max_size=2),
    }
)
document = st.one_of(
    st.lists(good_message, min_size=1, max_size=5),
    st.lists(good_message, min_size=1, max_size=5),
    st.fixed_dictionaries({"messages": st.lists(good_message, min_size=1, max_size=5)}),
    st.lists(message, max_size=5),
    st.fixed_dictionaries({"messages": st.lists(message, max_size=5)}),
    message,
    st.lists(export_like, max_size=2),
    json_value,
)


def _nested(depth: int, kind: int) -> str:
    if kind == 0:
        return "[" * depth + "]" * depth
    if kind == 1:
        return '{"messages": ' + '{"content": ' * depth + '"x"' + "}" * depth + "}"
    return '[{"role": "user", "content": ' + "[" * depth + '"hi"' + "]" * depth + "}]"


def _encode(text: str, how: str) -> bytes:
    if how == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes invalid UTF-8


@st.composite
def transcripts(draw) -> tuple[bytes, str]:
    """(stdin bytes, --format): mostly well-formed shapes with hostile contents, then worse."""
    kind = draw(
        st.sampled_from(["json", "json", "json", "jsonl", "text", "text", "bytes", "nested", "broken"])
    )
    fmt = draw(st.sampled_from(["auto", "auto", "auto", "matching", "matching", "random"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400)), draw(st.sampled_from(FORMATS))
    if kind == "nested":
        return _nested(draw(st.integers(1, 50_000)), draw(st.integers(0, 2))).encode(), "auto"
    if kind == "jsonl":
        lines = draw(
            st.lists(
                st.one_of(good_message.map(_dumps), message.map(_dumps), hostile_text), min_size=1, max_size=5
            )
        )
        text = "\n".join(lines)
    elif kind == "text":
        roles = st.sampled_from(["user", "user", "assistant", "system", "", "Bob", "[10:00]"])
        lines = draw(st.lists(st.tuples(roles, content_text), min_size=1, max_size=5))
        text = "\n".join(f"{role}: {body}" if role else body for role, body in lines)
    else:
        text = _dumps(draw(document))
        if kind == "broken":
            cut = draw(st.integers(0, max(len(text) - 1, 0)))
            text = text[:cut] + draw(st.sampled_from(["", "\x00", "\ud800", "}", "\xff"])) + text[cut:]
    text = draw(st.sampled_from(["", "", "", "\ufeff", "\x00"])) + text
    data = _encode(text, draw(st.sampled_from(["utf-8"] * 5 + ["utf-16"])))
    if fmt == "matching":
        fmt = {"jsonl": "jsonl", "text": "text"}.get(kind, "messages")
    elif fmt == "random":
        fmt = draw(st.sampled_from(FORMATS))
    return data, fmt


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=True)


filter_leaf = st.one_of(
    st.dictionaries(
        st.one_of(
            st.sampled_from(["user_id", "agent_id", "run_id", "memory_type", "kind", "created_at", "said_at", "room", "n"]),
            hostile_text,
        ),
        st.one_of(
            json_scalar,
            st.dictionaries(
                st.one_of(st.sampled_from(OPERATORS), hostile_text),
                st.one_of(json_scalar, st.lists(json_scalar, max_size=3)),
                max_size=3,
            ),
            st.lists(json_scalar, max_size=3),
        ),
        min_size=1,
        max_size=3,
    ),
)
filters = st.recursive(
    filter_leaf,
    lambda kids: st.one_of(
        st.fixed_dictionaries({"AND": st.lists(kids, max_size=3)}),
        st.fixed_dictionaries({"OR": st.lists(kids, max_size=3)}),
        st.fixed_dictionaries({"NOT": st.one_of(kids, st.lists(kids, max_size=2))}),
        st.dictionaries(
            st.sampled_from(["and", "$or", "NOR", "not", "OR "]),
            st.lists(kids, max_size=2),
            min_size=1,
            max_size=1,
        ),
    ),
    max_leaves=8,
)


def _deep_filter(depth: int) -> dict:
    f: dict = {"user_id": "bob"}
    for i in range(depth):
        f = {"NOT": f} if i % 2 else {"OR": [f, {"user_id": "bob"}]}
    return f


# Python objects stay under the interpreter's recursion limit (the test must be able to print them);
# deeper nesting arrives as text, where only the product parses it.
any_filter = st.one_of(filters, filters, st.integers(1, 300).map(_deep_filter), json_value)
filter_text = st.one_of(
    any_filter.map(_dumps),
    hostile_text,
    st.integers(1, 50_000).map(lambda n: '{"AND": [' * n),
    st.integers(1, 50_000).map(lambda n: '{"NOT": ' * n + '{"user_id": "bob"}' + "}" * n),
)
model_output = st.one_of(
    st.lists(any_text, max_size=4).map(_dumps),
    json_value.map(_dumps),
    hostile_text,
    st.lists(any_text, max_size=3).map(
        lambda xs: "Sure! Here are the facts:\n" + "\n".join(f"- {x}" for x in xs)
    ),
)
scope_id = st.one_of(st.sampled_from(["alice", "bob"]), hostile_text, st.text(min_size=250, max_size=300))


def _deep_metadata(depth: int) -> dict:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return {"deep": value}


class Opaque:
    def __repr__(self) -> str:
        return "Opaque()"


metadata = st.one_of(
    st.dictionaries(hostile_text, json_value, max_size=4),
    st.dictionaries(st.sampled_from(["room", "user_id", "n", "x" * 300]), json_scalar, max_size=3),
    st.integers(1, 300).map(_deep_metadata),
    st.sampled_from(
        [{"b": b"bytes"}, {"s": {1, 2}}, {"t": (1, 2)}, {"o": Opaque()}, {1: "int key"}, {None: 1}, {"": 1}]
    ),
    st.dictionaries(st.just("big"), st.just("x" * 70_000)),
    json_value,
)


# -- fixtures and checks ---------------------------------------------------------------
@pytest.fixture
def fuzz_memory(isolated_home, monkeypatch, store_backend, request):
    """One store for every case of a test: failures must leave it exactly as it was."""
    extractor = ScriptedExtractor()
    where = {"url": request.getfixturevalue("pg_url")} if store_backend == "postgres" else {"path": isolated_home}
    memory = Memory(**where, embedder=FakeEmbedder(), extractor=extractor)
    memory.add(
        [{"role": "user", "content": "Alice keeps a walrus named Quartz"}],
        user_id="alice",
        metadata={"room": "x"},
        infer=False,
    )
    memory.add(
        [{"role": "user", "content": "Bob keeps a walrus named Saffron"}],
        user_id="bob",
        metadata={"room": "x"},
        infer=False,
    )
    monkeypatch.setattr(cli.state, "make_memory", lambda _store: memory)
    monkeypatch.setattr(cli.state, "quiet", False)
    yield memory
    memory.close()


def snapshot(memory: Memory) -> tuple[list[dict], int]:
    """Everything the store holds (the export without its dated header) and the vector count."""
    return backup.export_records(memory)[1:], vector_count(memory)


def vector_count(memory: Memory) -> int:
    """LanceDB's rows (orphans too) on the embedded store; the rows with a vector on PostgreSQL."""
    store = memory.store
    if hasattr(store, "vectors"):
        return store.vectors.count()
    keys = [m.id for m in store.select(None)] + [t.pk for t in store.select_turns(None)]
    return len(store.vectors_of(keys))


def ids_of(memory: Memory, user: str) -> set[str]:
    return {m.id for m in memory.store.select(Cond("user_id", "eq", user))}


def invoke(memory: Memory, args: list[str], stdin: bytes | None = None):
    """Run a command; exit 0, or exit 2 with one error line and the store unchanged."""
    before = snapshot(memory)
    result = runner.invoke(cli.app, args, input=stdin)
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert result.exit_code in (0, 2), f"exit {result.exit_code}: {result.stderr.strip()[:300]!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("mem0cli: error: "), result.stderr[:300]
        assert snapshot(memory) == before, "a failed command changed the store"
    return result


def call(memory: Memory, action: Callable[[], Any]) -> Any:
    """Run an API call; a result, or InputError with the store unchanged. None on InputError."""
    before = snapshot(memory)
    try:
        return action()
    except InputError:
        assert snapshot(memory) == before, "a failed call changed the store"
        return None


def argv_safe(text: str) -> str:
    return text.replace("\x00", "")  # argv cannot hold NUL; lone surrogates it can (surrogateescape)


# -- the command line ---------------------------------------------------------------------
def test_add_survives_hostile_transcripts(fuzz_memory):
    @FUZZ
    @given(
        transcript=transcripts(),
        infer=st.booleans(),
        skip_bad=st.booleans(),
        user=scope_id.map(argv_safe),
        raw=model_output,
    )
    def case(transcript, infer, skip_bad, user, raw):
        data, fmt = transcript
        fuzz_memory.extractor.outputs = [raw]
        args = ["add", "-u", user, "--format", fmt, "--json"]
        args += [] if infer else ["--no-infer"]
        args += ["--skip-bad"] if skip_bad else []
        invoke(fuzz_memory, args, stdin=data)

    case()


def test_add_survives_hostile_arguments(fuzz_memory):
    @FUZZ
    @given(
        text=any_text.map(argv_safe),
        user=scope_id.map(argv_safe),
        agent=st.none() | hostile_text.map(argv_safe),
        pairs=st.lists(hostile_text.map(argv_safe), max_size=3),
        infer=st.booleans(),
        raw=model_output,
    )
    def case(text, user, agent, pairs, infer, raw):
        fuzz_memory.extractor.outputs = [raw]
        args = ["add", "-u", user] + (["--agent-id", agent] if agent is not None else [])
        for pair in pairs:
            args += ["-m", pair]
        args += [] if infer else ["--no-infer"]
        invoke(fuzz_memory, [*args, "--", text])  # "--": a text starting with "-" is still the text

    case()


def test_id_commands_survive_hostile_ids(fuzz_memory):
    @FUZZ
    @given(command=st.sampled_from(["get", "history", "forget"]), key=hostile_text.map(argv_safe))
    def case(command, key):
        args = [command, "--", key] if command != "forget" else ["forget", "--dry-run", "--", key]
        invoke(fuzz_memory, args)

    case()


def test_read_commands_survive_hostile_filters_and_never_widen_the_scope(fuzz_memory):
    alice, bob = ids_of(fuzz_memory, "alice"), ids_of(fuzz_memory, "bob")

    @FUZZ
    @given(
        command=st.sampled_from(["search", "list", "forget"]),
        raw=filter_text.map(argv_safe),
        query=hostile_text.map(argv_safe),
    )
    def case(command, raw, query):
        if command == "search":
            args = ["search", query or "walrus", "-u", "alice", "--filter", raw, "--json"]
        elif command == "list":
            args = ["list", "-u", "alice", "--filter", raw, "--json"]
        else:
            args = ["forget", "-u", "alice", "--filter", raw, "--dry-run", "--json"]
        result = invoke(fuzz_memory, args)
        if result.exit_code == 0:
            shown = json.loads(result.stdout)
            found = {r["id"] for r in shown["results"]} if "results" in shown else set(shown["ids"])
            assert not found & bob, "another user's memory in a scoped result"
            assert {r.get("user_id") for r in shown.get("results", [])} <= {"alice"}
        assert ids_of(fuzz_memory, "alice") == alice

    case()


@pytest.mark.parametrize(
    "args",
    [
        ["get", "\udcff"],  # `mem0cli get $'\xff'`: Python decodes argv with surrogateescape
        ["get", "0b9c4e\udcff"],  # long enough to be looked up as an id prefix
        ["history", "\udcff"],
        ["forget", "--dry-run", "\udcff"],
        ["add", "note", "-u", "alice", "--agent-id", "\udcff", "--no-infer"],
        ["add", "note", "-u", "caf\udce9", "--no-infer"],  # a Latin-1 terminal's "café"
        ["search", "note", "-u", "caf\udce9"],
        ["add", "note", "-u", "alice", "-m", "room=\udcff", "--no-infer"],
    ],
    ids=lambda a: " ".join(a).encode("ascii", "backslashreplace").decode(),
)
def test_undecodable_argv_bytes_end_cleanly(fuzz_memory, args):
    invoke(fuzz_memory, args)


@pytest.mark.parametrize(
    "name, data, args",
    [
        (
            "10 MB JSONL line",
            (json.dumps({"role": "user", "content": "walrus quartz " * 800_000}) + "\n").encode(),
            ["--format", "jsonl"],
        ),
        ("10 MB text line", ("user: " + "walrus quartz " * 800_000 + "\n").encode(), ["--format", "text"]),
        ("10 MB line, no newline", ("x" * 10_000_000).encode(), []),
        ("10 MB of control characters", ("\x01\x02\x1b\x7f" * 2_500_000).encode(), []),
        ("10 MB invalid UTF-8", b"\xff\xfe\xfd" * 3_400_000, []),
        ("nesting 200k deep", _nested(200_000, 0).encode(), []),
    ],
)
def test_add_with_huge_input_ends_cleanly(fuzz_memory, name, data, args):
    invoke(fuzz_memory, ["add", "-u", "alice", "--no-infer", *args], stdin=data)


# -- the Python API ---------------------------------------------------------------------
def test_api_filters_fail_cleanly_and_never_widen_the_scope(fuzz_memory):
    bob = ids_of(fuzz_memory, "bob")

    @FUZZ
    @given(
        f=st.one_of(any_filter, filter_text),
        memory_type=st.sampled_from([None, "fact", "message"]),
        query=hostile_text,
    )
    def case(f, memory_type, query):
        hits = call(
            fuzz_memory, lambda: fuzz_memory.search(query or "walrus", user_id="alice", filters=f, memory_type=memory_type)
        )
        if hits is not None:
            assert {h["user_id"] for h in hits["results"]} <= {"alice"}
        listed = call(fuzz_memory, lambda: fuzz_memory.get_all(user_id="alice", filters=f))
        if listed is not None:
            assert {m["user_id"] for m in listed["results"]} <= {"alice"}
        plan = call(fuzz_memory, lambda: fuzz_memory.delete_all(user_id="alice", filters=f, dry_run=True))
        if plan is not None:
            assert not set(plan["ids"]) & bob

    case()


def test_api_add_survives_hostile_metadata_and_scopes(fuzz_memory):
    """And what add accepts can be read and deleted again through the same scope."""

    @FUZZ
    @given(
        meta=metadata, user=scope_id, agent=st.none() | scope_id, run=st.none() | json_scalar, text=any_text
    )
    def case(meta, user, agent, run, text):
        added = call(
            fuzz_memory,
            lambda: fuzz_memory.add(
                text, user_id=user, agent_id=agent, run_id=run, metadata=meta, infer=False
            ),
        )
        if added is None:
            return
        scope = {"user_id": user, "agent_id": agent, "run_id": run}
        found = fuzz_memory.get_all(**scope)["results"]
        assert {r["id"] for r in added["results"]} <= {m["id"] for m in found}
        fuzz_memory.search("note", **scope)
        assert fuzz_memory.delete_all(**scope, dry_run=True)["deleted"] >= len(added["results"])

    case()


PATHOLOGICAL = {
    "metadata nested 5000 deep": lambda m: m.add(
        "note", user_id="alice", metadata=_deep_metadata(5000), infer=False
    ),
    "get with a lone surrogate id": lambda m: m.get("\udcff"),
    "history with a lone surrogate id": lambda m: m.history("\udcff"),
    "delete with a lone surrogate id": lambda m: m.delete("\udcff"),
    "update to text with a lone surrogate": lambda m: m.update(next(iter(ids_of(m, "alice"))), "note \udcff"),
    "a valid OR/NOT filter nested 28 deep": lambda m: m.search(
        "walrus", user_id="alice", filters=_deep_filter(28)
    ),
    "agent id with a lone surrogate": lambda m: m.add(
        "note", user_id="alice", agent_id="\udcff", infer=False
    ),
}


@pytest.mark.parametrize("case", PATHOLOGICAL)
def test_api_pathological_values_end_cleanly(fuzz_memory, case):
    call(fuzz_memory, lambda: PATHOLOGICAL[case](fuzz_memory))


def test_api_add_survives_hostile_messages(fuzz_memory):
    @FUZZ
    @given(
        messages=st.one_of(document, st.lists(message, min_size=1, max_size=4), any_text),
        infer=st.booleans(),
        raw=model_output,
    )
    def case(messages, infer, raw):
        fuzz_memory.extractor.outputs = [raw]
        call(fuzz_memory, lambda: fuzz_memory.add(messages, user_id="carol", infer=infer))

    case()


def test_api_reads_survive_hostile_ids_and_limits(fuzz_memory):
    @FUZZ
    @given(
        key=st.one_of(hostile_text, json_value),
        limit=st.one_of(st.integers(-5, 20_000), json_scalar),
        threshold=st.one_of(st.none(), st.floats()),
    )
    def case(key, limit, threshold):
        got = call(fuzz_memory, lambda: fuzz_memory.get(key))
        assert got is None or got["id"] == key
        call(fuzz_memory, lambda: fuzz_memory.history(key))
        call(
            fuzz_memory,
            lambda: fuzz_memory.search("walrus", user_id="alice", limit=limit, threshold=threshold),
        )
        call(fuzz_memory, lambda: fuzz_memory.get_all(user_id="alice", limit=limit))

    case()
