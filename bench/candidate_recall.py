"""How many gold facts the candidates can match: the recall a perfect judge would reach.

    python bench/candidate_recall.py [--sets dev1,dev2,msc-tune] [--split all|tune|holdout]
                                     [--limit N] [--missed FILE.jsonl] [--cache FILE.npz]

The candidates are what RuleExtractor keeps (clause rules, well-formedness,
grounding, the per-message cap; no judge). A gold fact is covered when a
candidate matches it as bench/extraction.py matches facts (MiniLM cosine >= 0.7,
one-to-one, greedily from the highest cosine down). Printed per set: candidates,
covered gold / gold (the ceiling on recall). --missed writes one JSON line per
uncovered gold fact, with its nearest candidate and the user message that most
resembles it, for grouping misses by cause. --cache keeps embeddings between
runs (only new candidate texts are encoded). The msc held-out slice is refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extraction import MATCH_COSINE, load_minilm, load_set, to_messages  # noqa: E402


class Vectors:
    """MiniLM embeddings by text, encoded in batches and optionally kept on disk."""

    def __init__(self, encoder, cache: str | None) -> None:
        self.encoder, self.cache, self.known = encoder, cache, {}
        if cache and Path(cache).exists():
            data = np.load(cache, allow_pickle=True)
            self.known = dict(zip(data["texts"].tolist(), data["vectors"]))

    def add(self, texts: list[str]) -> None:
        new = sorted({t for t in texts if t not in self.known})
        if new:
            vecs = self.encoder.encode(new, normalize_embeddings=True, convert_to_numpy=True, batch_size=64)
            self.known.update(zip(new, vecs))

    def __call__(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.array([self.known[t] for t in texts])

    def save(self) -> None:
        if self.cache:
            texts = list(self.known)
            np.savez(self.cache, texts=np.array(texts, dtype=object), vectors=np.array([self.known[t] for t in texts]))


def greedy(sims: np.ndarray) -> set[int]:
    """Gold indices matched one-to-one, greedily from the highest cosine (rows: candidates)."""
    pairs = sorted(((float(sims[i, j]), i, j) for i in range(sims.shape[0]) for j in range(sims.shape[1])), reverse=True)
    used_p: set[int] = set()
    used_g: set[int] = set()
    for sim, i, j in pairs:
        if sim < MATCH_COSINE:
            break
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
    return used_g


def coverage(cases: list[dict], vectors: Vectors, missed_out=None) -> dict:
    from mem0cli.extract import RuleExtractor

    extractor = RuleExtractor()
    runs = []
    for case in cases:
        messages = to_messages(case)
        cands = [f.text for f in extractor.extract(messages, default_name=case["user_id"]).facts]
        runs.append((case, messages, cands))
    vectors.add([t for case, messages, cands in runs for t in case["facts"] + cands + [m.content for m in messages]])
    n_cand = n_gold = covered = 0
    for case, messages, cands in runs:
        gold = case["facts"]
        n_cand += len(cands)
        n_gold += len(gold)
        if not gold:
            continue
        g, c, t = vectors(gold), vectors(cands), vectors([m.content for m in messages])
        sims = c @ g.T
        matched = greedy(sims) if cands else set()
        covered += len(matched)
        if missed_out is not None:
            write_missed(missed_out, case, messages, cands, gold, matched, sims, g @ t.T)
    return {"candidates": n_cand, "gold": n_gold, "covered": covered,
            "ceiling": round(covered / n_gold, 3) if n_gold else None}


def write_missed(out, case, messages, cands, gold, matched, sims, to_messages_sims) -> None:
    users = [k for k, m in enumerate(messages) if m.role == "user"]
    for j, fact in enumerate(gold):
        if j in matched:
            continue
        near = int(sims[:, j].argmax()) if cands else None
        said = max(users, key=lambda k: float(to_messages_sims[j, k])) if users else 0
        out.write(json.dumps({
            "id": case["id"], "gold": fact,
            "nearest": cands[near] if near is not None else None,
            "cos": round(float(sims[near, j]), 3) if near is not None else 0.0,
            "user_message": messages[said].content, "user_cos": round(float(to_messages_sims[j, said]), 3),
            "asked": messages[said - 1].content if said and messages[said - 1].role == "assistant" else None,
        }, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="dev1,dev2,msc-tune")
    parser.add_argument("--split", choices=["all", "tune", "holdout"], default="all")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--missed", default=None, help="write uncovered gold facts here (JSONL)")
    parser.add_argument("--cache", default=None, help="keep embeddings in this .npz between runs")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    if "msc" in names:
        parser.error("msc is the held-out slice: measure candidates on msc-tune")
    vectors = Vectors(load_minilm(), args.cache)
    out = open(args.missed, "w", encoding="utf-8") if args.missed else None
    try:
        for name in names:
            report = coverage(load_set(name, args.split, args.limit), vectors, out)
            print(f"{name} ({args.split}): {report['candidates']} candidates, covered {report['covered']}"
                  f" / {report['gold']} gold = ceiling {report['ceiling']}", flush=True)
    finally:
        vectors.save()
        if out:
            out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
