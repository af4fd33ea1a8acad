"""Recall over long multi-session conversations (LoCoMo), mem0cli beside two references.

    python bench/longmem.py [FILES...] [--json] [--no-infer-only] [--limit-questions N]

FILES default to ../shared/data/locomo-dev/*.json (relative to the project root).
Each conversation is ingested into a fresh temporary store as its own scope
(user_id "locomo-<file stem>"), one `Memory.add` call per session, each turn a
`user` message with the speaker's `name`, `id` = dia_id and `created_at` = the
session time; a shared photo's caption is appended as " [shares a photo: ...]".
Then every question of categories 1-4 is asked with limit 10 in its scope.

Figures (definitions from the data set's README, shared by every retriever):
- evidence recall@10: share of a question's evidence dia_ids among the `sources`
  of the 10 results (questions without evidence left out);
- answer recall@10: share of the answer's content words (lower-cased runs of
  [a-z0-9], stop words dropped) among the words of the text of the 10 results.
  The text of a mem0cli result is what the API returns for it: its `memory`
  (for a turn, with its relative dates resolved), its `said_on` (the day it
  was said, "8 May 2023"), and for a fact the `content` of its `evidence`
  turns. The text of a reference result is the text it indexed;
- ingest turns/s (models loaded beforehand), search p50/p95 in ms.

The graph column: each ingested store is searched twice, with the graph blended in
(`graph=True`: "mem0cli (infer=..., graph)") and without it (`graph=False`); the graph is
drawn while adding, so the ingest rate is the same for both. `--redraw-graph` draws the
graph of reused stores (`--store`) again from their facts and prints how fast that goes.

References, computed in the same run on the same turns: dense MiniLM cosine over
raw turns ("Speaker: text"), and BM25 (k1 1.2, b 0.75, the stop words) over dated
turns ("[8 May 2023] Speaker: text"). mem0cli runs with the default settings
(infer=True: the bundled extractor) and with infer=False.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "locomo-dev"
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
LIMIT = 10
BM25_K1, BM25_B = 1.2, 0.75

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(ROOT))

STOP_WORDS = frozenset(
    """a an the of to in on at for and or but is are was were be been being by with from as that
    this it its his her their our your my i you he she they we me him them us what which who whom
    when where why how did do does has have had not no yes so than then there here about into over
    after before up down out off again very can will just also too more most some any all each both
    few other such only own same""".split()
)


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", str(text).lower()) if w not in STOP_WORDS]


# -- the data ------------------------------------------------------------------


@dataclass
class Turn:
    dia_id: str
    speaker: str
    text: str  # with the photo caption appended
    said_at: str  # ISO 8601


@dataclass
class Question:
    text: str
    answer: str
    evidence: list[str]
    category: int


@dataclass
class Conversation:
    name: str
    sessions: list[list[Turn]]
    questions: list[Question]

    @property
    def scope(self) -> str:
        return f"locomo-{self.name}"

    @property
    def turns(self) -> list[Turn]:
        return [t for s in self.sessions for t in s]


_SESSION_TIME = re.compile(
    r"(\d{1,2}):(\d{2})\s*([ap]m)\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})", re.IGNORECASE
)


def session_time(text: str) -> str:
    """"1:56 pm on 8 May, 2023" -> "2023-05-08T13:56:00"."""
    m = _SESSION_TIME.search(text)
    if not m:
        raise ValueError(f"unreadable session time {text!r}")
    hour, minute, half, day, month, year = m.groups()
    hour_24 = int(hour) % 12 + (12 if half.lower() == "pm" else 0)
    parsed = datetime.strptime(f"{day} {month} {year} {hour_24}:{minute}", "%d %B %Y %H:%M")
    return parsed.isoformat()


def load_conversation(path: Path) -> Conversation:
    data = json.loads(path.read_text(encoding="utf-8"))
    numbers = sorted(int(k.split("_")[1]) for k in data if re.fullmatch(r"session_\d+", k))
    sessions = []
    for n in numbers:
        when = session_time(data[f"session_{n}_date_time"])
        turns = []
        for t in data[f"session_{n}"]:
            text = t["text"]
            if t.get("blip_caption"):
                text += f" [shares a photo: {t['blip_caption']}]"
            turns.append(Turn(t["dia_id"], t["speaker"], text, when))
        sessions.append(turns)
    questions = [
        Question(
            q["question"], str(q["answer"]),
            # one id in the data reads "D8:6; D9:17": two ids, split
            [e for ev in q.get("evidence", []) for e in re.split(r"[;,\s]+", ev) if e],
            int(q["category"]),
        )
        for q in data["qa"]
        if int(q["category"]) in CATEGORIES and "answer" in q
    ]
    return Conversation(path.stem, sessions, questions)


def day_label(iso: str) -> str:
    """"2023-05-08T13:56:00" -> "8 May 2023"."""
    d = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return f"{d.day} {d.strftime('%B')} {d.year}"


# -- scoring ---------------------------------------------------------------------


@dataclass
class Score:
    """Per-question recalls and search times of one retriever."""

    evidence: dict[int, list[float]] = field(default_factory=lambda: {c: [] for c in CATEGORIES})
    answer: dict[int, list[float]] = field(default_factory=lambda: {c: [] for c in CATEGORIES})
    times_ms: list[float] = field(default_factory=list)
    ingest_turns_per_s: float | None = None

    def record(self, q: Question, sources: set[str], text: str, ms: float) -> None:
        """One question's results: their sources and their text."""
        if q.evidence:
            self.evidence[q.category].append(sum(e in sources for e in q.evidence) / len(q.evidence))
        wanted = content_words(q.answer)
        if wanted:
            have = set(content_words(text))
            self.answer[q.category].append(sum(w in have for w in wanted) / len(wanted))
        self.times_ms.append(ms)

    def summary(self) -> dict[str, Any]:
        def mean(values: list[float]) -> float | None:
            return round(sum(values) / len(values), 3) if values else None

        every_ev = [v for vs in self.evidence.values() for v in vs]
        every_ans = [v for vs in self.answer.values() for v in vs]
        times = sorted(self.times_ms)
        return {
            "evidence_recall": mean(every_ev),
            "answer_recall": mean(every_ans),
            "by_category": {
                CATEGORIES[c]: {"evidence_recall": mean(self.evidence[c]), "answer_recall": mean(self.answer[c]),
                                "questions": len(self.answer[c])}
                for c in CATEGORIES
            },
            "questions": len(times),
            "search_p50_ms": round(statistics.median(times), 2) if times else None,
            "search_p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 2) if times else None,
            "ingest_turns_per_s": None if self.ingest_turns_per_s is None else round(self.ingest_turns_per_s, 1),
        }


# -- mem0cli --------------------------------------------------------------------


def result_text(item: dict[str, Any]) -> str:
    """The text of one result as the API returns it: memory, said_on, and a fact's evidence turns."""
    parts = [item.get("memory") or "", item.get("said_on") or ""]
    parts += [e.get("content") or "" for e in item.get("evidence") or []]
    return "\n".join(parts)


def run_mem0cli(
    conversations: list[Conversation], infer: bool, store: Path | None, verbose: bool,
    graph_modes: tuple[bool, ...] = (True, False), redraw_graph: bool = False,
) -> dict[bool, tuple[Score, list[dict[str, Any]]]]:
    """Ingest once, then ask every question once per graph mode (with, without the graph).
    `redraw_graph`: with a reused store, draw the graph again from its facts first (timed)."""
    from mem0cli import Memory
    from mem0cli.embed import NUMPY_BATCH

    with tempfile.TemporaryDirectory(prefix="longmem-") as tmp:
        home = store / ("infer" if infer else "raw") if store else Path(tmp)
        reuse = store is not None and (home / "memories.db").exists()
        memory = Memory(path=home)
        # model loads are not ingestion: the numpy query encoder (one text) and
        # sentence-transformers (the batches of a session)
        memory.embedder.embed_documents(["warm-up"])
        memory.embedder.embed_documents(["warm-up"] * (NUMPY_BATCH + 1))
        if infer and not reuse:
            model = getattr(memory.extractor, "model", None)  # loads the judge, where there is one
            del model
        ingest_rate = None
        if not reuse:
            turns, elapsed = 0, 0.0
            for conv in conversations:
                for session in conv.sessions:
                    messages = [
                        {"role": "user", "name": t.speaker, "content": t.text, "id": t.dia_id,
                         "created_at": t.said_at}
                        for t in session
                    ]
                    start = time.perf_counter()
                    memory.add(messages, user_id=conv.scope, infer=infer)
                    elapsed += time.perf_counter() - start
                    turns += len(messages)
                log(f"  ingested {conv.name} ({'infer' if infer else 'no infer'}): {turns} turns, {elapsed:.0f} s")
            ingest_rate = turns / elapsed if elapsed else None
        elif redraw_graph:
            from mem0cli.graph.build import rebuild

            start = time.perf_counter()
            with memory.store.write_lock(), memory.store.transaction():
                written = rebuild(memory.store)
            took = time.perf_counter() - start
            turns = sum(len(c.turns) for c in conversations)
            log(f"  graph drawn again: {written} relations in {took:.1f} s ({turns / took:.0f} turns/s)")
        out = {}
        for graph in graph_modes:
            out[graph] = _ask(memory, conversations, graph, verbose)
            out[graph][0].ingest_turns_per_s = ingest_rate
        memory.close()
    return out


def _ask(memory: Any, conversations: list[Conversation], graph: bool, verbose: bool) -> tuple[Score, list[dict[str, Any]]]:
    """Every question, scored, with the graph blended in or not."""
    score = Score()
    memory.search("warm-up", user_id=conversations[0].scope, limit=LIMIT, graph=graph)
    misses = []
    for conv in conversations:
        for q in conv.questions:
            start = time.perf_counter()
            results = memory.search(q.text, user_id=conv.scope, limit=LIMIT, graph=graph)["results"]
            ms = (time.perf_counter() - start) * 1000
            sources = {s for r in results for s in r.get("sources") or []}
            text = "\n".join(result_text(r) for r in results)
            score.record(q, sources, text, ms)
            if verbose:
                misses.append({
                    "conversation": conv.name, "question": q.text, "answer": q.answer,
                    "category": q.category, "evidence": q.evidence,
                    "found": [e for e in q.evidence if e in sources],
                    "results": [(r["memory_type"], r.get("sources"), r["memory"][:120]) for r in results],
                })
    return score, misses


# -- references -------------------------------------------------------------------


class BM25:
    """Okapi BM25 over token lists, numpy scoring (idf as in Lucene: log(1 + (N-df+.5)/(df+.5)))."""

    def __init__(self, docs: list[list[str]], k1: float = BM25_K1, b: float = BM25_B) -> None:
        import numpy as np

        self.np = np
        self.n = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        norm = k1 * (1 - b + b * lengths / (lengths.mean() or 1.0))
        postings: dict[str, dict[int, int]] = {}
        for i, doc in enumerate(docs):
            for word in doc:
                counts = postings.setdefault(word, {})
                counts[i] = counts.get(i, 0) + 1
        self.index: dict[str, tuple[Any, Any]] = {}
        for word, counts in postings.items():
            ids = np.fromiter(counts, dtype=np.int64)
            tf = np.fromiter(counts.values(), dtype=np.float64)
            idf = math.log(1 + (self.n - len(ids) + 0.5) / (len(ids) + 0.5))
            self.index[word] = (ids, idf * tf * (k1 + 1) / (tf + norm[ids]))

    def top(self, query: list[str], k: int) -> list[int]:
        np = self.np
        scores = np.zeros(self.n)
        for word in dict.fromkeys(query):
            if word in self.index:
                ids, weights = self.index[word]
                scores[ids] += weights
        order = np.argsort(-scores, kind="stable")[:k]
        return [int(i) for i in order if scores[i] > 0]


def run_references(conversations: list[Conversation]) -> dict[str, Score]:
    import numpy as np

    from mem0cli.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    dense, bm25 = Score(), Score()
    for conv in conversations:
        turns = conv.turns
        raw = [f"{t.speaker}: {t.text}" for t in turns]
        dated = [f"[{day_label(t.said_at)}] {t.speaker}: {t.text}" for t in turns]
        start = time.perf_counter()
        matrix = np.array(embedder.embed_documents(raw), dtype=np.float32)
        dense.ingest_turns_per_s = len(turns) / (time.perf_counter() - start)
        index = BM25([content_words(d) for d in dated])
        for q in conv.questions:
            start = time.perf_counter()
            sims = matrix @ np.array(embedder.embed_query(q.text), dtype=np.float32)
            top = np.argsort(-sims)[:LIMIT]
            ms = (time.perf_counter() - start) * 1000
            dense.record(q, {turns[i].dia_id for i in top}, "\n".join(raw[i] for i in top), ms)
            start = time.perf_counter()
            top = index.top(content_words(q.text), LIMIT)
            ms = (time.perf_counter() - start) * 1000
            bm25.record(q, {turns[i].dia_id for i in top}, "\n".join(dated[i] for i in top), ms)
    return {"dense MiniLM, raw turns": dense, "BM25, dated turns": bm25}


# -- output ---------------------------------------------------------------------------


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def render(report: dict[str, Any]) -> str:
    lines = [
        (f"{report['conversations']} conversations, {report['turns']} turns, {report['questions']} questions "
         f"(categories 1-4), limit {LIMIT}"),
        "answer recall: answer content words found in the text of the 10 results; a mem0cli result's text is",
        "its `memory` and `said_on` (\"8 May 2023\") plus, for a fact, the `content` of its `evidence` turns;",
        "a reference's is the text it indexed.",
        "",
    ]
    cats = list(CATEGORIES.values())
    head = f"{'retriever':<36} {'evidence':>8} {'answer':>7}  " + "  ".join(f"{c:>13}" for c in cats)
    head += f"  {'p50 ms':>7} {'p95 ms':>7} {'turns/s':>8}"
    lines += [head, f"{'':<36} {'':>8} {'':>7}  " + "  ".join(f"{'ev / ans':>13}" for _ in cats)]

    def fmt(x: float | None, width: int = 5) -> str:
        return f"{x:>{width}.3f}" if x is not None else f"{'-':>{width}}"

    for name, s in report["retrievers"].items():
        row = f"{name:<36} {fmt(s['evidence_recall'], 8)} {fmt(s['answer_recall'], 7)}  "
        row += "  ".join(
            f"{fmt(s['by_category'][c]['evidence_recall'])} / {fmt(s['by_category'][c]['answer_recall'])}"
            for c in cats
        )
        tps = s["ingest_turns_per_s"]
        row += f"  {s['search_p50_ms']:>7.1f} {s['search_p95_ms']:>7.1f} {tps if tps is not None else '-':>8}"
        lines.append(row)
    lines += ["", "ratios vs BM25 over dated turns:"]
    for name, r in report["ratios_vs_bm25"].items():
        row = f"{name:<36} {r['evidence_recall']:>8} {r['answer_recall']:>7}  "
        row += "  ".join(f"{r[c]['evidence_recall']!s:>5} / {r[c]['answer_recall']!s:>5}" for c in cats)
        lines.append(row)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="LoCoMo conversation files (default: the dev set)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--no-infer-only", action="store_true", help="mem0cli with infer=False only (fast)")
    parser.add_argument("--limit-questions", type=int, default=None, metavar="N",
                        help="ask only the first N questions of each conversation")
    parser.add_argument("--store", type=Path, default=None,
                        help="ingest into (or reuse the stores already in) this directory instead of a temp one")
    parser.add_argument("--no-references", action="store_true", help="skip the two reference retrievers")
    parser.add_argument("--graph", choices=["both", "on", "off"], default="both",
                        help="search with the graph blended in, without it, or both (the graph column; default)")
    parser.add_argument("--redraw-graph", action="store_true",
                        help="with --store reusing stores: draw the graph again from their facts first (timed)")
    parser.add_argument("--misses", type=Path, default=None, help="write per-question results here (JSON)")
    args = parser.parse_args(argv)

    files = [Path(f) for f in args.files] or sorted(DEFAULT_DIR.glob("*.json"))
    if not files:
        parser.error(f"no conversation files (looked in {DEFAULT_DIR})")
    conversations = [load_conversation(f) for f in files]
    if args.limit_questions is not None:
        for conv in conversations:
            conv.questions = conv.questions[: args.limit_questions]

    retrievers: dict[str, Score] = {}
    details: dict[str, list] = {}
    modes = {"both": (True, False), "on": (True,), "off": (False,)}[args.graph]
    for infer in ([False] if args.no_infer_only else [True, False]):
        log(f"mem0cli (infer={infer}) ...")
        found_by_mode = run_mem0cli(
            conversations, infer, args.store, args.misses is not None, modes, args.redraw_graph
        )
        for graph, found in found_by_mode.items():
            name = f"mem0cli (infer={infer}{', graph' if graph else ''})"
            retrievers[name], details[name] = found
    if not args.no_references:
        log("references ...")
        retrievers.update(run_references(conversations))
    summaries = {name: s.summary() for name, s in retrievers.items()}
    base = summaries.get("BM25, dated turns")
    ratios = {}
    if base:
        for name, s in summaries.items():
            if name.startswith("mem0cli"):
                ratios[name] = {
                    "evidence_recall": ratio(s["evidence_recall"], base["evidence_recall"]),
                    "answer_recall": ratio(s["answer_recall"], base["answer_recall"]),
                    **{c: {k: ratio(s["by_category"][c][k], base["by_category"][c][k])
                           for k in ("evidence_recall", "answer_recall")} for c in CATEGORIES.values()},
                }
    report = {
        "files": [str(f) for f in files],
        "conversations": len(conversations),
        "turns": sum(len(c.turns) for c in conversations),
        "questions": sum(len(c.questions) for c in conversations),
        "limit": LIMIT,
        "answer_text": "memory + said_on + a fact's evidence contents (mem0cli); the indexed text (references)",
        "retrievers": summaries,
        "ratios_vs_bm25": ratios,
    }
    if args.misses:
        args.misses.write_text(json.dumps(details, indent=1, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else render(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
