"""A warm engine against cold processes, on one 10k store.

    python bench/warm.py [--size 10000] [--calls 30] [--load-seconds 30] [--clients 8]

Prints, in one run (targets of issue 18 in brackets):
- `mem0cli search` as a whole process, p50/p95 over --calls runs: cold (`--no-server`,
  models loaded by each process) and warm (a `mem0cli serve` running) [warm p50 <= 150 ms, >= 10x];
- HTTP `POST /search` p50/p95 from a client on the unix socket [p50 <= 30 ms];
- an MCP `search_memories` round trip p50 through the SDK's stdio client (on the running serve) [<= 50 ms];
- a load run: --clients concurrent HTTP clients for --load-seconds doing 1 add (with
  extraction) to 4 searches; throughput, p95, errors, and a final count check: every
  acknowledged add's message and facts are in the store [0 errors, 0 lost].

Measured (two cores, beside a niced bench process): cold 2.0 s, warm 100 ms p50 / 114 ms p95 (20x; a read
command now runs whole in the server, see mem0cli/forward.py: it was 137-223 ms when the calling process still
imported Typer and rich), HTTP 17 ms, MCP 20 ms,
load run 0 errors and 0 lost (adds wait for the one writer: p50 1.5 s quiet, 10 s beside another model process).

The store is bench/search.py's (synthetic facts over 1,000 users, MiniLM vectors cached under
bench/.cache/), copied to a temporary directory so the load run's writes do not touch it.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# the processes measured run this checkout's mem0cli, whichever one is installed
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def bench_search():
    spec = importlib.util.spec_from_file_location("bench_search", ROOT / "bench" / "search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000


def cli_cmd(store: Path) -> list[str]:
    exe = Path(sys.executable).with_name("mem0cli")
    return ([str(exe)] if exe.exists() else [sys.executable, "-m", "mem0cli"]) + ["--store", str(store)]


def cli_search(store: Path, calls: int, users: list[str], extra: list[str]) -> list[float]:
    times = []
    for i in range(calls):
        cmd = cli_cmd(store) + extra + ["search", "where do they live", "-u", users[i % len(users)]]
        began = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=ENV)
        times.append(time.perf_counter() - began)
        if done.returncode != 0:
            raise SystemExit(f"search failed: {done.stderr.strip()}")
    return times


def http_client(store: Path):
    import httpx

    return httpx.Client(transport=httpx.HTTPTransport(uds=str(store / "serve.sock")), base_url="http://mem0cli",
                        timeout=300)


def http_search(store: Path, queries: list[tuple[str, str]]) -> list[float]:
    times = []
    with http_client(store) as http:
        for user, text in queries[:5]:
            http.post("/search", json={"query": text, "user_id": user})  # untimed
        for user, text in queries:
            began = time.perf_counter()
            answer = http.post("/search", json={"query": text, "user_id": user})
            times.append(time.perf_counter() - began)
            answer.raise_for_status()
    return times


def mcp_search(store: Path, queries: list[tuple[str, str]]) -> list[float]:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    cmd = cli_cmd(store) + ["mcp"]
    params = StdioServerParameters(command=cmd[0], args=cmd[1:], env=ENV)

    async def main() -> list[float]:
        times = []
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                await session.list_tools()
                for user, text in queries[:3]:
                    await session.call_tool("search_memories", {"query": text, "user_id": user})
                for user, text in queries:
                    began = time.perf_counter()
                    result = await session.call_tool("search_memories", {"query": text, "user_id": user})
                    times.append(time.perf_counter() - began)
                    if result.is_error:
                        raise SystemExit(f"MCP search failed: {result.content[0].text}")
        return times

    return asyncio.run(main())


PLACES = ["Seattle", "Lisbon", "Osaka", "Nairobi", "Quito", "Tromso", "Perth", "Dakar", "Hanoi", "Leeds"]
THINGS = ["oat milk lattes", "green tea", "sourdough", "chess", "hiking", "jazz", "kayaking", "ramen"]


def load_run(store: Path, clients: int, seconds: float, queries: list[tuple[str, str]]) -> dict:
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {"add": [], "search": []}
    errors: list[str] = []
    acked: list[tuple[str, str, list[str]]] = []  # (user, message, fact ids)
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        user = f"load-{n}"
        with http_client(store) as http:
            i = 0
            while time.monotonic() < deadline:
                i += 1
                if i % 5 == 1:
                    text = f"I moved to {rng.choice(PLACES)} in step {i} and I like {rng.choice(THINGS)}."
                    kind, body, path = "add", {"messages": text, "user_id": user}, "/memories"
                else:
                    q_user, q = rng.choice(queries)
                    kind, body, path = "search", {"query": q, "user_id": q_user}, "/search"
                began = time.perf_counter()
                try:
                    answer = http.post(path, json=body)
                except Exception as exc:  # counted, not raised: the run goes on
                    with lock:
                        errors.append(f"{kind}: {type(exc).__name__}")
                    continue
                took = time.perf_counter() - began
                with lock:
                    if answer.status_code != 200:
                        errors.append(f"{kind}: {answer.status_code} {answer.text[:80]}")
                        continue
                    latencies[kind].append(took)
                    if kind == "add":
                        ids = [r["id"] for r in answer.json()["results"] if r["event"] in ("ADD", "UPDATE")]
                        acked.append((user, body["messages"], ids))

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    lost_facts = lost_messages = 0
    with http_client(store) as http:
        for n in range(clients):
            user = f"load-{n}"
            mine = [a for a in acked if a[0] == user]
            facts = {r["id"] for r in http.get("/memories", params={"user_id": user, "limit": 10000}).json()["results"]}
            lost_facts += sum(1 for _, _, ids in mine for i in ids if i not in facts)
            for _, message, _ in mine:
                hits = http.post("/search", json={"query": message, "user_id": user, "memory_type": "message",
                                                  "limit": 50}).json()["results"]
                lost_messages += not any(h.get("content") == message for h in hits)
    total = sum(len(v) for v in latencies.values())
    return {
        "clients": clients, "seconds": round(elapsed, 1), "requests": total,
        "throughput_per_s": round(total / elapsed, 1), "adds": len(latencies["add"]),
        "searches": len(latencies["search"]),
        "add_p50_ms": round(pct(latencies["add"], 50)) if latencies["add"] else None,
        "add_p95_ms": round(pct(latencies["add"], 95)) if latencies["add"] else None,
        "search_p95_ms": round(pct(latencies["search"], 95)) if latencies["search"] else None,
        "p95_ms": round(pct(latencies["add"] + latencies["search"], 95)) if total else None,
        "errors": len(errors), "error_kinds": sorted(set(errors))[:5],
        "acknowledged_adds": len(acked), "facts_acknowledged": sum(len(a[2]) for a in acked),
        "lost_facts": lost_facts, "lost_messages": lost_messages,
    }


def start_server(store: Path) -> subprocess.Popen:
    proc = subprocess.Popen(cli_cmd(store) + ["serve"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=ENV)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited {proc.returncode}: {proc.stderr.read()}")
        if (store / "serve.sock").exists():
            try:
                with http_client(store) as http:
                    if http.get("/health").status_code == 200:
                        return proc
            except Exception:
                pass
        time.sleep(0.1)
    raise SystemExit("serve did not start in 300 s")


def row(name: str, times: list[float]) -> str:
    return f"{name:<34} p50 {pct(times, 50):8.1f} ms   p95 {pct(times, 95):8.1f} ms   (n={len(times)})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--http-calls", type=int, default=200)
    parser.add_argument("--mcp-calls", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--load-seconds", type=float, default=30.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    sb = bench_search()
    log = lambda line: print(f"# {line}", file=sys.stderr, flush=True)  # noqa: E731
    opts = argparse.Namespace(rebuild=False)
    cached, _, _, _ = sb.open_store(args.size, opts, sb.load_embedder(), log)
    qs = sb.queries(max(args.http_calls, args.mcp_calls))
    users = [sb.user_name(i) for i in range(1, 31)]
    report: dict = {"size": args.size}
    with tempfile.TemporaryDirectory(prefix="mem0cli-warm-") as tmp:
        store = Path(tmp) / "store"
        shutil.copytree(cached, store)
        log("cold CLI searches")
        cold = cli_search(store, args.calls, users, ["--no-server"])
        log("starting mem0cli serve (loads the models once)")
        began = time.perf_counter()
        server = start_server(store)
        report["serve_start_s"] = round(time.perf_counter() - began, 1)
        try:
            log("warm CLI searches")
            warm = cli_search(store, args.calls, users, [])
            log("HTTP searches")
            http = http_search(store, qs[: args.http_calls])
            log("MCP searches")
            mcp = mcp_search(store, qs[: args.mcp_calls])
            log(f"load run: {args.clients} clients, {args.load_seconds:.0f} s")
            report["load"] = load_run(store, args.clients, args.load_seconds, qs)
        finally:
            stop = subprocess.run(cli_cmd(store) + ["serve", "--stop"], capture_output=True, text=True, env=ENV)
            report["serve_exit_code"] = server.wait(timeout=120)
            report["stop"] = stop.stderr.strip()
        doctor = subprocess.run(cli_cmd(store) + ["doctor"], capture_output=True, text=True, env=ENV)
        report["doctor_exit_code"] = doctor.returncode
    for name, times in (("cli_cold", cold), ("cli_warm", warm), ("http_search", http), ("mcp_search", mcp)):
        report[name] = {"p50_ms": round(pct(times, 50), 1), "p95_ms": round(pct(times, 95), 1), "n": len(times)}
    report["warm_speedup_p50"] = round(statistics.median(cold) / statistics.median(warm), 1)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"store: {args.size} facts; mem0cli serve ready in {report['serve_start_s']} s")
    print(row("mem0cli search, cold (no server)", cold))
    print(row("mem0cli search, warm (serve)", warm) + f"   {report['warm_speedup_p50']}x faster")
    print(row("HTTP POST /search", http))
    print(row("MCP search_memories round trip", mcp))
    load = report["load"]
    print(f"load: {load['clients']} clients x {load['seconds']} s: {load['requests']} requests "
          f"({load['throughput_per_s']}/s; {load['adds']} adds with extraction, {load['searches']} searches), "
          f"p95 {load['p95_ms']} ms (add p50 {load['add_p50_ms']} / p95 {load['add_p95_ms']} ms, "
          f"search p95 {load['search_p95_ms']} ms), errors {load['errors']} {load['error_kinds'] or ''}")
    print(f"count check: {load['acknowledged_adds']} acknowledged adds ({load['facts_acknowledged']} facts): "
          f"{load['lost_messages']} messages and {load['lost_facts']} facts missing")
    print(f"serve exit code {report['serve_exit_code']}; doctor exit code {report['doctor_exit_code']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
