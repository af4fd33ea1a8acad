"""Reliability on real files and real processes: kill -9, parallel writers, privacy, model faults.

The kill and concurrency tests run the command line in subprocesses. `import` and
`forget` are the real `python -m mem0cli` (neither loads a model: the import file
carries its vectors). The killed `add` runs through tests/helpers/stand_in_cli.py,
the same CLI with a stand-in for the embedding model, so the kills land in the
writes rather than in loading torch. The parallel writers are the real CLI with
the real model. Figures (kill points tried and survived, outcomes, writers and
memories) are recorded as test properties: `pytest --junitxml=FILE` lists them.
"""

from __future__ import annotations

import collections
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import mem0cli
from mem0cli import Memory, backup, doctor
from tests.fakes import ScriptedExtractor
from tests.helpers.stand_in_cli import BUNDLED_MODEL_ID, StandInMiniLM

ROOT = Path(mem0cli.__file__).resolve().parent.parent  # the code under test, for subprocesses
DIMS = 384
USERS = [f"u{i}" for i in range(7)]
IMPORT_MEMORIES = 2000
IMPORT_MESSAGES = 200
IMPORT_KILLS = 10
IMPORT_KILLS_AFTER_COMMIT = 3
FORGET_KILLS = 4
FORGET_KILLS_AFTER_COMMIT = 2
ADD_KILLS = 4
ADD_KILLS_AFTER_COMMIT = 2
WORDS = """piano harbor lantern orchard violin glacier falcon teapot canyon bicycle cathedral meadow
submarine tornado library volcano pumpkin lighthouse carousel compass walrus saffron quartz
tram kettle origami lagoon bagpipe cactus blizzard anchor chimney dolphin espresso fjord
gondola hammock igloo jaguar kayak lemonade marathon nebula oyster parsley quiver raccoon
sundial tulip umbrella vineyard waffle xylophone yogurt zeppelin avalanche bonsai cricket
dragonfly emerald fiddle granite hedgehog iceberg jasmine kimono lobster mango noodle octopus
pelican quilt rhubarb scarecrow telescope unicorn velvet windmill yacht zucchini almond
barometer cinnamon dumpling elevator flamingo gazebo harpoon incense jukebox koala lavender
monsoon nutmeg observatory peacock quarry rooftop skateboard trombone undertow vanilla walnut""".split()


# -- running the CLI ---------------------------------------------------------------
def cli_env(store: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "MEM0CLI_HOME": str(store), "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    env.update(extra)
    return env


@pytest.fixture(autouse=True)
def typical_umask():
    """Commands run under the umask most users have (022): the store must be private anyway.

    Set in this process, so child processes inherit it (preexec_fn is unsafe with threads).
    """
    old = os.umask(0o022)
    yield
    os.umask(old)


def cli_command(*args: str, stand_in: bool = False) -> list[str]:
    module = "tests.helpers.stand_in_cli" if stand_in else "mem0cli"
    return [sys.executable, "-m", module, *args]


def run_cli(
    store: Path, *args: str, stand_in: bool = False, stdin: Path | None = None, **env: str
) -> subprocess.CompletedProcess:
    with open(stdin or os.devnull, "rb") as source:
        return subprocess.run(
            cli_command(*args, stand_in=stand_in),
            check=False,
            stdin=source,
            capture_output=True,
            cwd=ROOT,
            env=cli_env(store, **env),
            timeout=300,
        )


@dataclass
class Killed:
    delay: float
    killed: bool  # False: it finished before the kill point
    returncode: int

    @property
    def reported_success(self) -> bool:
        return self.returncode == 0


Probe = Callable[[], bool]


def _start(store: Path, args: tuple[str, ...], stand_in: bool, stdin: Path | None) -> subprocess.Popen:
    with open(stdin or os.devnull, "rb") as source:
        return subprocess.Popen(
            cli_command(*args, stand_in=stand_in),
            stdin=source,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=cli_env(store),
        )


def _wait_until(proc: subprocess.Popen, probe: Probe | None) -> float:
    """Poll until `probe()` holds (or the process ends); the moment, on the monotonic clock."""
    while probe is not None and proc.poll() is None and not probe():
        time.sleep(0.01)
    return time.monotonic()


def kill_after(
    store: Path,
    delay: float,
    *args: str,
    stand_in: bool = False,
    stdin: Path | None = None,
    after: Probe | None = None,
) -> Killed:
    """Start the command and SIGKILL it `delay` seconds later (counted from when `after()` first
    holds, if given) unless it has already exited."""
    proc = _start(store, args, stand_in, stdin)
    deadline = _wait_until(proc, after) + delay
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    return Killed(delay, killed, proc.returncode)


def timed_run(
    store: Path, *args: str, stand_in: bool = False, stdin: Path | None = None, after: Probe | None = None
) -> tuple[float, float]:
    """(seconds the command takes, seconds from when `after()` first holds to its end)."""
    start = time.monotonic()
    proc = _start(store, args, stand_in, stdin)
    seen = _wait_until(proc, after)
    _out, err = proc.communicate(timeout=300)
    end = time.monotonic()
    assert proc.returncode == 0, err.decode(errors="replace")
    return end - start, end - seen


def kill_points(rng: random.Random, duration: float, count: int, skip: float = 0.1) -> list[float]:
    """One random moment in each of `count` equal slices of the run after its first `skip` (startup)."""
    span = duration * (1.0 - skip)
    return [duration * skip + span * (k + rng.random()) / count for k in range(count)]


def db_probe(store: Path, sql: str) -> Probe:
    """True once the committed state of the store (read as any other reader would) satisfies `sql`."""
    path = store / "memories.db"

    def probe() -> bool:
        if not path.exists():
            return False
        try:
            conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=0.05)
            try:
                return bool(conn.execute(sql).fetchone()[0])
            finally:
                conn.close()
        except sqlite3.Error:  # not created yet, or locked for a moment
            return False

    return probe


# -- stores and their contents -------------------------------------------------------
def open_store(store: Path) -> Memory:
    """The store, opened as a later command would; the stand-in embeds whatever repair needs."""
    return Memory(path=store, embedder=StandInMiniLM(), extractor=ScriptedExtractor())


def memory_texts(m: Memory, where: str = "1", params: tuple = ()) -> dict[str, str]:
    if not m.store.exists():  # killed before it made the store: nothing there
        return {}
    return dict(m.store.facts.conn.execute(f"SELECT id, memory FROM memories WHERE {where}", params).fetchall())


def message_pks(m: Memory, where: str = "1", params: tuple = ()) -> set[str]:
    if not m.store.exists():
        return set()
    return {r[0] for r in m.store.facts.conn.execute(f"SELECT pk FROM messages WHERE {where}", params)}


def automatic_repair(m: Memory) -> None:
    """What the next write does on its own: it repairs the index under its write lock first
    (a search never writes)."""
    m.add("lantern harbor", user_id="repair-probe", infer=False)


def all_or_nothing(found: set, expected: set, what: str) -> bool:
    """True for all, False for none; anything in between fails."""
    require(found in (set(), expected), f"{len(found)} of {len(expected)} {what} after the kill")
    return bool(found)


def require(condition: bool, message: str) -> None:
    """An assertion whose message is only `message` (a kill trial collects them)."""
    if not condition:
        raise AssertionError(message)


def unit_vectors(rng, count: int) -> list[list[float]]:
    import numpy as np

    v = np.random.default_rng(rng.randrange(2**32)).standard_normal((count, DIMS))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return np.round(v, 6).tolist()


def salads(count: int, seed: int) -> list[str]:
    """Distinct five-word sentences, far apart for any embedder (MiniLM cosine < 0.8)."""
    rng = random.Random(seed)
    seen: set[frozenset[str]] = set()
    out = []
    while len(out) < count:
        words = rng.sample(WORDS, 5)
        if frozenset(words) not in seen:
            seen.add(frozenset(words))
            out.append(" ".join(words))
    return out


@dataclass
class ImportFile:
    path: Path
    memories: dict[str, str]  # id -> text
    messages: set[str]
    user_of: dict[str, str]  # id or pk -> user


@pytest.fixture(scope="module")
def import_file(tmp_path_factory) -> ImportFile:
    return write_import_file(tmp_path_factory.mktemp("export") / "big.jsonl")


def write_import_file(path: Path) -> ImportFile:
    """An export of a few thousand memories with their vectors, in backup.py's JSONL format."""
    rng = random.Random(606)
    at = "2025-01-0{}T10:00:00.000+00:00"
    vectors = iter(unit_vectors(rng, IMPORT_MEMORIES + IMPORT_MESSAGES))
    texts = salads(IMPORT_MEMORIES + IMPORT_MESSAGES, seed=1)
    header = {
        "format": "mem0cli-export",
        "version": 2,
        "tool_version": mem0cli.__version__,
        "exported_at": at.format(9),
        "since": None,
        "embed_model": BUNDLED_MODEL_ID,
        "llm_models": [],
        "counts": {"memories": IMPORT_MEMORIES, "messages": IMPORT_MESSAGES, "deletions": 0, "tombstones": 0},
        "vectors": True,
    }
    lines = [header]
    memories: dict[str, str] = {}
    messages: set[str] = set()
    user_of: dict[str, str] = {}
    pks = []
    for i in range(IMPORT_MESSAGES):
        pk, user = f"{rng.getrandbits(128):032x}", USERS[i % len(USERS)]
        content = texts[IMPORT_MEMORIES + i]
        lines.append(
            {
                "type": "message",
                "pk": pk,
                "message_id": f"m{i}",
                "user_id": user,
                "agent_id": None,
                "run_id": None,
                "role": "user",
                "name": None,
                "content": content,
                "said_at": at.format(1),
                "hash": f"{rng.getrandbits(256):064x}",
                "added_at": at.format(2),
                "created_at": at.format(2),
                "updated_at": at.format(2),
                "metadata": {},
                "vector": next(vectors),
            }
        )
        messages.add(pk)
        user_of[pk] = user
        pks.append(pk)
    for i in range(IMPORT_MEMORIES):
        mid, user = f"{rng.getrandbits(128):032x}", USERS[i % len(USERS)]
        lines.append(
            {
                "type": "memory",
                "id": mid,
                "memory": texts[i],
                "kind": "fact",
                "user_id": user,
                "agent_id": None,
                "run_id": None,
                "metadata": {"n": i},
                "created_at": at.format(3),
                "updated_at": at.format(3),
                "said_at": at.format(1),
                "speaker": user,
                "superseded_by": None,
                "valid_until": None,
                "confirmations": 1,
                "model": None,
                "prompt_version": None,
                "source_pks": [pks[i % IMPORT_MESSAGES]]
                if USERS[(i % IMPORT_MESSAGES) % len(USERS)] == user
                else [],
                "history": [
                    {
                        "event": "ADD",
                        "old_memory": None,
                        "new_memory": texts[i],
                        "actor": user,
                        "created_at": at.format(3),
                        "reason": None,
                    }
                ],
                "vector": next(vectors),
            }
        )
        memories[mid] = texts[i]
        user_of[mid] = user
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return ImportFile(path, memories, messages, user_of)


@pytest.fixture(scope="module")
def import_plan(import_file) -> backup.ImportPlan:
    return backup.read_import(import_file.path.read_bytes())


@pytest.fixture(scope="module")
def golden_store(tmp_path_factory, import_file, import_plan) -> Path:
    """A store holding the whole import file, healthy; each kill trial works on a copy."""
    store = tmp_path_factory.mktemp("golden") / "store"
    m = open_store(store)
    try:
        backup.apply_import(m, import_plan)
        report = doctor.check(m)
        assert report.ok, report.problems
    finally:
        m.close()
    return store


# -- kill -9 -------------------------------------------------------------------------
Verify = Callable[[Memory, Killed], bool]  # checks the contents; True when the command's change is in


def kill_trials(
    tmp_path: Path,
    name: str,
    args: tuple[str, ...],
    *,
    verify: Verify,
    timed: int,
    after_commit: int,
    committed_sql: str,
    base: Path | None = None,
    stand_in: bool = False,
    stdin: Path | None = None,
    seed: int = 0,
    record=None,
) -> None:
    """Run the command once to time it, then kill it at `timed` random moments spread over its run
    and at `after_commit` moments spread over the part after its SQLite commit (`committed_sql`
    turns true). After each kill: the store opens, `verify` passes, and doctor passes after the
    automatic repair the next command does. All kill points run; the failures are listed at the end.
    """
    rng = random.Random(seed)

    def fresh(store: Path) -> Path:
        if base is not None:
            shutil.copytree(base, store)
        return store

    baseline = fresh(tmp_path / "baseline")
    duration, tail = timed_run(
        baseline, *args, stand_in=stand_in, stdin=stdin, after=db_probe(baseline, committed_sql)
    )
    plan = [(delay, False) for delay in kill_points(rng, duration, timed)]
    plan += [(delay, True) for delay in kill_points(rng, tail, after_commit, skip=0.0)]
    outcomes: collections.Counter[str] = collections.Counter()
    failures = []
    for n, (delay, after) in enumerate(plan):
        store = fresh(tmp_path / f"kill-{n}")
        probe = db_probe(store, committed_sql) if after else None
        run = kill_after(store, delay, *args, stand_in=stand_in, stdin=stdin, after=probe)
        m = open_store(store)
        try:
            first = doctor.check(m)
            require(not first.fatal, f"the store does not open cleanly: {first.problems}")
            committed = verify(m, run)
            outcomes[_outcome(run, committed, first)] += 1
            automatic_repair(m)
            report = doctor.check(m)
            if not report.ok:
                fixed = doctor.repair(m)
                again = doctor.check(m)
                require(again.ok, f"doctor fails even after doctor.repair {fixed}: {again.problems}")
                require(
                    False,
                    f"doctor fails after the automatic repair (doctor.repair fixes it): {report.problems}",
                )
        except AssertionError as exc:
            when = f"{delay:.2f}s after its commit" if after else f"at {delay:.2f}s of {duration:.2f}s"
            failures.append(f"{name} killed {when}: {exc}")
        finally:
            m.close()
    if record is not None:
        record(f"{name}_kill_points_tried", len(plan))
        record(f"{name}_kill_points_survived", len(plan) - len(failures))
        record(f"{name}_outcomes", dict(outcomes))
        record(f"{name}_run_seconds", round(duration, 2))
    if failures:
        pytest.fail(
            f"{len(failures)} of {len(plan)} kill points failed:\n" + "\n".join(failures), pytrace=False
        )


def _outcome(run: Killed, committed: bool, report: doctor.DoctorReport) -> str:
    if not run.killed:
        return "finished before the kill"
    if not committed:
        return "killed before the commit"
    return (
        "killed after the commit, stores agree" if report.ok else "killed after the commit, stores disagree"
    )


def test_kill_import_at_random_moments(tmp_path, import_file, import_plan, record_testsuite_property):
    expected_ids, expected_pks = set(import_file.memories), import_file.messages

    def verify(m: Memory, run: Killed) -> bool:
        texts = memory_texts(m)
        if run.reported_success:
            require(set(texts) == expected_ids and message_pks(m) == expected_pks, "import reported success")
        committed = all_or_nothing(set(texts), expected_ids, "memories")
        require(
            committed == all_or_nothing(message_pks(m), expected_pks, "messages"), "memories without messages"
        )
        if committed:
            require(texts == import_file.memories, "memory text differs from the import file")
            require(backup.apply_import(m, import_plan)["added"] == 0, "a second import added memories")
        return committed

    kill_trials(
        tmp_path,
        "import",
        ("import", str(import_file.path)),
        verify=verify,
        timed=IMPORT_KILLS,
        after_commit=IMPORT_KILLS_AFTER_COMMIT,
        committed_sql="SELECT count(*) FROM memories",
        seed=1,
        record=record_testsuite_property,
    )


def test_kill_forget_at_random_moments(tmp_path, golden_store, import_file, record_testsuite_property):
    victim = "u3"
    doomed = {i for i in import_file.memories if import_file.user_of[i] == victim}
    doomed_pks = {p for p in import_file.messages if import_file.user_of[p] == victim}
    kept = set(import_file.memories) - doomed

    def verify(m: Memory, run: Killed) -> bool:
        ids = set(memory_texts(m))
        require(ids - doomed == kept, "memories of other users changed")
        if run.reported_success:
            require(not ids & doomed, "forget reported success but memories are left")
        still_there = all_or_nothing(ids & doomed, doomed, f"memories of {victim}")
        require(
            still_there == all_or_nothing(message_pks(m) & doomed_pks, doomed_pks, f"messages of {victim}"),
            "memories and their messages were not forgotten together",
        )
        return not still_there

    kill_trials(
        tmp_path,
        "forget",
        ("forget", "-u", victim, "--yes"),
        verify=verify,
        timed=FORGET_KILLS,
        after_commit=FORGET_KILLS_AFTER_COMMIT,
        base=golden_store,
        seed=2,
        record=record_testsuite_property,
        committed_sql=f"SELECT count(*) = 0 FROM memories WHERE user_id = '{victim}'",
    )


def test_kill_add_at_random_moments(tmp_path, golden_store, import_file, record_testsuite_property):
    texts = salads(25, seed=3)
    transcript = tmp_path / "chat.json"
    transcript.write_text(json.dumps([{"role": "user", "content": t} for t in texts]))

    def verify(m: Memory, run: Killed) -> bool:
        require(
            memory_texts(m, "user_id IS NOT 'newcomer'") == import_file.memories, "other memories changed"
        )
        added = set(memory_texts(m, "user_id = 'newcomer'").values())
        if run.reported_success:
            require(added == set(texts), "add reported success")
        stored = all_or_nothing(added, set(texts), "added memories")
        turns = {
            r[0] for r in m.store.facts.conn.execute("SELECT content FROM messages WHERE user_id = 'newcomer'")
        }
        require(stored == all_or_nothing(turns, set(texts), "added messages"), "memories without messages")
        return stored

    kill_trials(
        tmp_path,
        "add",
        ("add", "-u", "newcomer", "--no-infer"),
        verify=verify,
        timed=ADD_KILLS,
        after_commit=ADD_KILLS_AFTER_COMMIT,
        base=golden_store,
        stand_in=True,
        stdin=transcript,
        seed=3,
        committed_sql="SELECT count(*) FROM memories WHERE user_id = 'newcomer'",
        record=record_testsuite_property,
    )


# -- concurrency -----------------------------------------------------------------------
def _parse_export(path: Path) -> tuple[dict, list[dict]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header, records = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
    kinds = collections.Counter(r["type"] for r in records)
    assert header["format"] == "mem0cli-export"
    assert (
        kinds["memory"] == header["counts"]["memories"] and kinds["message"] == header["counts"]["messages"]
    )
    ids = [r["id"] for r in records if r["type"] == "memory"]
    assert len(ids) == len(set(ids)), "an export lists a memory twice"
    return header, records


def _exports_while(store: Path, busy, out_dir: Path) -> list[tuple[Path, bool]]:
    """Export again and again while `busy()`; (file, whether a writer was running at its start)."""
    done = []
    n = 0
    while True:
        running = busy()
        target = out_dir / f"export-{n}.jsonl"
        result = run_cli(store, "--quiet", "export", "--with-vectors", "-o", str(target))
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        done.append((target, running))
        n += 1
        if not running:
            return done
        time.sleep(3.0)  # leave the writers most of the CPU


def _check_final_store(store: Path, own: list[list[str]], common: list[str]) -> None:
    expected = sorted([t for texts in own for t in texts] + common)
    m = Memory(path=store)  # the real embedder's id: doctor does not load the model
    try:
        rows = m.store.facts.conn.execute("SELECT memory FROM memories WHERE user_id = 'team'").fetchall()
        assert sorted(r[0] for r in rows) == expected, "memories lost or duplicated"
        turns = m.store.facts.conn.execute("SELECT content FROM messages WHERE user_id = 'team'").fetchall()
        assert sorted(r[0] for r in turns) == expected, "messages lost or duplicated"
        report = doctor.check(m)
        assert report.ok, report.problems
    finally:
        m.close()
    _header, records = _parse_export(_final_export(store))
    assert sorted(r["memory"] for r in records if r["type"] == "memory") == expected


def _final_export(store: Path) -> Path:
    target = store.parent / "final.jsonl"
    result = run_cli(store, "export", "-o", str(target))
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return target


EMPTY_EXPORT = b'{"format": "mem0cli-export", "version": 3}\n'


def initialised_store(path: Path) -> Path:
    """A store that exists (schema created): the writer tests are about the writes.

    Several processes creating a new store at once is test_first_use_by_several_processes_at_once.
    (Made by a write, an import of an empty export: a read creates nothing.)
    """
    empty = path.parent / "empty-export.jsonl"
    empty.write_text(EMPTY_EXPORT.decode())
    result = run_cli(path, "import", "-", stdin=empty)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return path


def test_first_use_by_several_processes_at_once(tmp_path):
    """Parallel jobs on a new machine: every process finds the store missing and creates it.
    (A write does: an import of an empty export, which needs no model; reads create nothing.)"""
    store = tmp_path / "store"
    start = time.time() + 4.0  # every process has imported mem0cli by then, even on a busy machine
    command = [sys.executable, "-m", "tests.helpers.start_together", str(start), "import", "-"]
    procs = [
        subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
            env=cli_env(store),
        )
        for _ in range(6)
    ]
    errors = [p.communicate(EMPTY_EXPORT, timeout=300)[1].decode(errors="replace") for p in procs]
    failed = [e.strip() for p, e in zip(procs, errors) if p.returncode != 0]
    assert not failed, f"{len(failed)} of {len(procs)} processes failed: {failed[0]}"
    m = open_store(store)
    try:
        m.add("walrus saffron quartz", user_id="team", infer=False)
        assert doctor.check(m).ok
    finally:
        m.close()


def test_first_use_by_many_connections_at_once(tmp_path):
    """The same race, made likely: threads (each its own SQLite connection) open a new store
    together, round after round; half the rounds find the directory already made."""
    errors: collections.Counter[str] = collections.Counter()
    for n in range(10):
        store = tmp_path / f"store-{n}"
        if n % 2:
            store.mkdir(mode=0o700)
        barrier = threading.Barrier(8)

        def open_together(store: Path = store, barrier: threading.Barrier = barrier) -> None:
            m = Memory(path=store, embedder=StandInMiniLM(), extractor=ScriptedExtractor())
            barrier.wait()
            try:
                m.store.create()  # the directory, the database and its tables
            except Exception as exc:  # noqa: BLE001 - every failure is counted
                errors[f"{type(exc).__name__}: {str(exc).replace(str(store), 'STORE')}"] += 1
            finally:
                m.close()

        threads = [threading.Thread(target=open_together) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not errors, f"{sum(errors.values())} of 80 opens failed: " + "; ".join(sorted(errors))


def test_parallel_writers_with_the_real_model_and_an_export(tmp_path, record_testsuite_property):
    writers, per_writer, shared = 4, 25, 5
    texts = salads(writers * per_writer + shared, seed=4)
    common, own = (
        texts[:shared],
        [texts[shared + w * per_writer : shared + (w + 1) * per_writer] for w in range(writers)],
    )
    store = initialised_store(tmp_path / "store")
    procs = []
    for w in range(writers):
        chat = tmp_path / f"chat-{w}.json"
        chat.write_text(json.dumps([{"role": "user", "content": t} for t in own[w] + common]))
        with open(chat, "rb") as source:
            procs.append(
                subprocess.Popen(
                    cli_command("--quiet", "add", "-u", "team", "--no-infer", "--json"),
                    stdin=source,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    cwd=ROOT,
                    env=cli_env(store),
                )
            )
    outputs: dict[int, tuple[bytes, bytes]] = {}
    readers = [
        threading.Thread(target=lambda i=i, p=p: outputs.__setitem__(i, p.communicate()))
        for i, p in enumerate(procs)
    ]
    for t in readers:
        t.start()
    exports = _exports_while(store, lambda: any(p.poll() is None for p in procs), tmp_path)
    for t in readers:
        t.join(timeout=300)
    events: collections.Counter[str] = collections.Counter()
    for i, p in enumerate(procs):
        assert p.returncode == 0, outputs[i][1].decode(errors="replace")
        events.update(r["event"] for r in json.loads(outputs[i][0])["results"])
    assert events["ADD"] + events["UPDATE"] == writers * per_writer + shared  # each text stored once
    assert events["NONE"] <= shared * (writers - 1)  # a writer may find the shared turns already stored
    final = writers * per_writer + shared
    for path, _running in exports:
        header, _records = _parse_export(path)
        assert header["counts"]["memories"] <= final
    _check_final_store(store, own, common)
    record_testsuite_property("real_model_writers", writers)
    record_testsuite_property("real_model_memories", final)
    record_testsuite_property("real_model_exports", len(exports))
    record_testsuite_property("real_model_exports_during_writes", sum(running for _p, running in exports))
    noise = [outputs[i][1].decode(errors="replace") for i in range(writers) if outputs[i][1]]
    assert not noise, f"--quiet add that succeeded wrote to stderr: {noise[0][:300]!r}"


def test_many_short_writers_interleave_without_loss(tmp_path, record_testsuite_property):
    """Four writers, each running add twice in a row (the stand-in model), plus exports."""
    writers, rounds, per_round = 4, 2, 8
    texts = salads(writers * rounds * per_round + rounds, seed=5)
    common = texts[:rounds]  # round r of every writer repeats common[r]
    own = [
        [texts[rounds + (w * rounds + r) * per_round + i] for r in range(rounds) for i in range(per_round)]
        for w in range(writers)
    ]
    store = initialised_store(tmp_path / "store")
    failures: list[str] = []

    def writer(w: int) -> None:
        for r in range(rounds):
            chat = tmp_path / f"chat-{w}-{r}.json"
            batch = own[w][r * per_round : (r + 1) * per_round] + [common[r]]
            chat.write_text(json.dumps([{"role": "user", "content": t} for t in batch]))
            result = run_cli(store, "add", "-u", "team", "--no-infer", stand_in=True, stdin=chat)
            if result.returncode != 0:
                failures.append(result.stderr.decode(errors="replace"))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    exports = _exports_while(store, lambda: any(t.is_alive() for t in threads), tmp_path)
    for t in threads:
        t.join(timeout=300)
    assert not failures, failures
    for path, _running in exports:
        _parse_export(path)
    _check_final_store(store, own, common)
    record_testsuite_property("short_writers", writers)
    record_testsuite_property("short_writer_invocations", writers * rounds)
    record_testsuite_property("short_writer_memories", writers * rounds * per_round + rounds)
    record_testsuite_property("short_writer_exports_during_writes", sum(running for _p, running in exports))


def test_a_search_never_waits_or_writes_and_the_next_write_repairs(memory):
    """Rows a killed writer left without vectors are still found by keyword search; a search
    neither blocks on a writer nor repairs (it writes nothing, lock or no lock); the next
    write repairs them, and so does `Memory.repair(wait=False)` (the server's idle time)
    once no other writer holds the lock."""
    import fcntl

    memory.add("I keep bees on the roof in Lisbon", user_id="ana", infer=False)
    with memory.store.facts.transaction():  # as a writer killed between SQLite and LanceDB leaves it
        memory.store.facts.conn.execute("UPDATE memories SET indexed = 0")
    assert memory.store.facts.needs_repair()
    other_writer = os.open(memory.path / "write.lock", os.O_RDWR)
    fcntl.flock(other_writer, fcntl.LOCK_EX)
    try:
        began = time.monotonic()
        found = memory.search("bees roof", user_id="ana")["results"]
        assert time.monotonic() - began < 5
        assert found and "bees" in found[0]["memory"]  # keyword search still finds it
        assert memory.store.facts.needs_repair()  # left to the writer
        assert memory.repair(wait=False) == 0  # busy: the idle repair does not wait either
    finally:
        fcntl.flock(other_writer, fcntl.LOCK_UN)
        os.close(other_writer)
    memory.search("bees roof", user_id="ana")
    assert memory.store.facts.needs_repair()  # a search never writes
    assert memory.repair(wait=False) == 1
    assert memory.store.facts.unindexed() == ([], [])
    with memory.store.facts.transaction():
        memory.store.facts.conn.execute("UPDATE memories SET indexed = 0")
    memory.add("I also grow figs", user_id="ana", infer=False)  # a write repairs first
    assert not memory.store.facts.needs_repair()


# -- privacy ------------------------------------------------------------------------
def _loose_modes(store: Path) -> list[str]:
    loose = []
    for path in [store, *store.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_dir() and mode & 0o077:
            loose.append(f"dir {path.relative_to(store.parent)} {oct(mode)}")
        elif path.is_file() and mode != 0o600:
            loose.append(f"file {path.relative_to(store.parent)} {oct(mode)}")
    return loose


def test_store_directory_and_every_file_in_it_are_private(tmp_path):
    store = tmp_path / "store"
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps([{"role": "user", "content": t} for t in salads(3, seed=6)]))
    added = run_cli(store, "add", "-u", "alice", "--no-infer", "--json", stand_in=True, stdin=chat)
    assert added.returncode == 0, added.stderr
    backup_file = tmp_path / "backup.jsonl"
    assert run_cli(store, "--quiet", "export", "-o", str(backup_file)).returncode == 0
    first = json.loads(added.stdout)["results"][0]["id"]
    assert run_cli(store, "forget", first).returncode == 0
    assert run_cli(tmp_path / "restored", "import", str(backup_file), stand_in=True).returncode == 0
    assert stat.S_IMODE(store.stat().st_mode) == 0o700
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600, "a backup holds the same personal data"
    m = open_store(store)  # while a writer has the database open, its WAL and shared-memory files exist
    try:
        m.add("velvet quarry notes", user_id="alice", infer=False)
        open_files = _loose_modes(store)
    finally:
        m.close()
    loose = sorted(set(open_files + _loose_modes(store) + _loose_modes(tmp_path / "restored")))
    assert not loose, f"{len(loose)} paths readable by others, e.g. " + "; ".join(loose[:6])


@pytest.fixture
def two_users(memory):
    alice = memory.add([{"role": "user", "content": "Alice lives in Seattle"}], user_id="alice", infer=False)
    bob = memory.add(
        [{"role": "user", "content": "Bob lives in Seattle"}],
        user_id="bob",
        metadata={"room": "x"},
        infer=False,
    )
    return memory, alice["results"][0]["id"], bob["results"][0]["id"]


WIDENING_FILTERS = [
    {"OR": [{"user_id": "bob"}, {"user_id": "alice"}]},
    {"OR": [{"user_id": "*"}, {"agent_id": None}]},
    {"user_id": "bob"},
    {"NOT": {"user_id": "alice"}},
    {"user_id": {"in": ["alice", "bob"]}},
    {"user_id": {"ne": "alice"}},
    {"OR": [{"room": "x"}, {"memory_type": "fact"}, {"memory_type": "message"}]},
    {"user_id": "alice' OR '1'='1"},
    {"room": "x' OR 1=1 --"},
    {'room" OR 1=1 --': "x"},
    {"run_id": {"in": ["a') OR (1=1", "b"]}},
    {"user_id": {"contains": "' OR user_id IS NOT NULL OR '"}},
]


@pytest.mark.parametrize("filters", WIDENING_FILTERS, ids=lambda f: json.dumps(f)[:40])
def test_a_filter_cannot_widen_a_users_scope(two_users, filters):
    memory, _alice_id, bob_id = two_users
    for memory_type in (None, "fact", "message"):
        hits = memory.search(
            "where does someone live in Seattle", user_id="alice", filters=filters, memory_type=memory_type
        )
        assert {h["user_id"] for h in hits["results"]} <= {"alice"}
    assert {m["user_id"] for m in memory.get_all(user_id="alice", filters=filters)["results"]} <= {"alice"}
    plan = memory.delete_all(user_id="alice", filters=filters, dry_run=True)
    assert bob_id not in plan["ids"]
    memory.delete_all(user_id="alice", filters=filters)
    assert memory.get(bob_id) is not None


@pytest.mark.parametrize(
    "user_id", ["alice' OR '1'='1", 'alice" OR 1=1 --', "alice') OR ('a'='a", "%", "*", "alice\\"]
)
def test_quotes_in_a_user_id_match_nothing(two_users, user_id):
    memory, alice_id, bob_id = two_users
    assert memory.search("Seattle", user_id=user_id)["results"] == []
    assert memory.get_all(user_id=user_id)["results"] == []
    assert memory.delete_all(user_id=user_id)["deleted"] == 0
    assert memory.get(alice_id) is not None and memory.get(bob_id) is not None


def test_a_user_id_full_of_quotes_is_its_own_scope(memory):
    odd = "o'brien \"the\" ' OR 1=1 --"
    memory.add("Seattle rain notes", user_id=odd, infer=False)
    memory.add("Seattle coffee notes", user_id="alice", infer=False)
    assert {h["user_id"] for h in memory.search("Seattle", user_id=odd)["results"]} == {odd}
    assert memory.delete_all(user_id=odd)["deleted"] == 1
    assert [m["user_id"] for m in memory.get_all(user_id="alice")["results"]] == ["alice"]


def test_get_and_delete_by_id_are_not_scoped(two_users):
    """An id names one memory; get and delete take no scope, so an id works whoever owns it.

    The API has no user argument on get/delete (as in Mem0): the id is the capability.
    """
    memory, _alice_id, bob_id = two_users
    assert memory.get(bob_id)["user_id"] == "bob"
    memory.delete(bob_id)
    assert memory.get(bob_id) is None
    with pytest.raises(mem0cli.NotFoundError):
        memory.delete("' OR 1=1 --")


@pytest.fixture
def no_network(monkeypatch):
    """Opening an internet socket, connecting, or looking up a host name raises and is recorded."""
    try:  # its import-time IPv6 probe binds a socket to ::1: local, and imported here, before the block
        import urllib3.util.connection  # noqa: F401
    except ImportError:
        pass
    attempts: list[str] = []

    def refuse(what: str):
        attempts.append(what)
        raise OSError(f"network access blocked by the test: {what}")

    class NoNetworkSocket(socket.socket):
        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            if fileno is None and family in (-1, socket.AF_INET, socket.AF_INET6):
                refuse(f"socket(family={family}, type={type})")
            super().__init__(family, type, proto, fileno)

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host not in (None, "localhost", "127.0.0.1", "::1"):
            refuse(f"getaddrinfo({host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "socket", NoNetworkSocket)
    monkeypatch.setattr(
        socket, "create_connection", lambda address, *a, **k: refuse(f"create_connection({address!r})")
    )
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


def test_add_and_search_with_the_real_models_and_no_network(isolated_home, no_network):
    m = Memory(isolated_home)
    try:
        added = m.add("I live in Seattle and I like oat milk lattes.", user_id="alice")
        assert added["results"], "nothing was extracted"
        hits = m.search("where do I live", user_id="alice")["results"]
        assert hits and any("Seattle" in h["memory"] for h in hits)
    finally:
        m.close()
    assert no_network == []


# -- model faults ----------------------------------------------------------------------
def _truncated_gguf(tmp_path: Path) -> Path:
    from mem0cli.llm import default_model_path

    source = default_model_path()
    target = tmp_path / "truncated.gguf"
    with source.open("rb") as fin, target.open("wb") as fout:
        fout.write(fin.read(source.stat().st_size // 2))
    return target


MODEL_FAULTS = {
    "llm-missing": ("MEM0CLI_LLM_MODEL", lambda tmp: tmp / "nowhere" / "model.gguf"),
    "llm-truncated": ("MEM0CLI_LLM_MODEL", _truncated_gguf),
    "llm-text-file": (
        "MEM0CLI_LLM_MODEL",
        lambda tmp: _write(tmp / "notes.gguf", "this is not a model\n" * 100),
    ),
    "embed-missing": ("MEM0CLI_EMBED_MODEL", lambda tmp: tmp / "no-such-model-dir"),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("fault", MODEL_FAULTS)
def test_a_broken_model_setting_is_named_in_one_line(tmp_path, fault):
    setting, make = MODEL_FAULTS[fault]
    value = make(tmp_path)
    args = ("add", "I live in Seattle", "-u", "alice") + (
        ("--no-infer",) if setting == "MEM0CLI_EMBED_MODEL" else ()
    )
    result = run_cli(tmp_path / "store", *args, **{setting: str(value)})
    stderr = result.stderr.decode(errors="replace")
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert result.returncode != 0
    assert result.stdout == b""
    assert "Traceback" not in stderr
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {stderr[-600:]}"
    assert setting in lines[0], lines[0]
    assert lines[0].startswith("mem0cli: error: ")
