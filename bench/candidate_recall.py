"""How many gold facts any candidate matches: the recall a perfect judge would reach.

    python bench/candidate_recall.py [--sets dev1,dev2,msc-tune] [--split all|tune|holdout]
                                     [--limit N] [--missed FILE.jsonl]

The candidates are what RuleExtractor keeps (clause rules, well-formedness,
grounding, the per-message cap; no judge). A gold fact is covered when some
candidate matches it as bench/extraction.py matches facts (MiniLM cosine >= 0.7,
one-to-one, greedily from the highest cosine down). Printed per set:
candidates, covered gold / gold (the ceiling on recall), candidates per gold.
--missed writes one JSON line per uncovered gold fact, with its nearest
candidate and the message that most resembles it, for grouping misses by cause.
The msc held-out slice is refused: never tune on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extraction import greedy_matches, load_minilm, load_set, to_messages  # noqa: E402


def coverage(cases: list[dict], encoder, missed_out=None) -> dict:
    from mem0cli.extract import RuleExtractor

    extractor = RuleExtractor()
    n_cand = n_gold = covered = 0
    for case in cases:
        messages = to_messages(case)
        cands = [f.text for f in extractor.extract(messages, default_name=case["user_id"]).facts]
        gold = case["facts"]
        n_cand += len(cands)
        n_gold += len(gold)
        if not gold:
            continue
        texts = [m.content for m in messages]
        vec = encoder.encode(gold + cands + texts, normalize_embeddings=True, convert_to_numpy=True)
        g, c, t = vec[: len(gold)], vec[len(gold): len(gold) + len(cands)], vec[len(gold) + len(cands):]
        matched = {j for _, j, _ in greedy_matches(cands, gold, encoder)}
        covered += len(matched)
        users = [k for k, m in enumerate(messages) if m.role == "user"]
        for j, fact in enumerate(gold):
            if j in matched or missed_out is None:
                continue
            near = int((g[j] @ c.T).argmax()) if cands else None
            src = int((g[j] @ t.T).argmax())
            said = max(users, key=lambda k: float(g[j] @ t[k])) if users else src
            missed_out.write(json.dumps({
                "id": case["id"], "gold": fact,
                "nearest": cands[near] if near is not None else None,
                "cos": round(float(g[j] @ c[near]), 3) if near is not None else 0.0,
                "role": messages[src].role, "message": texts[src], "previous": texts[src - 1] if src else None,
                "user_message": texts[said], "user_cos": round(float(g[j] @ t[said]), 3),
                "asked": texts[said - 1] if said and messages[said - 1].role == "assistant" else None,
            }, ensure_ascii=False) + "\n")
    return {"candidates": n_cand, "gold": n_gold, "covered": covered,
            "ceiling": round(covered / n_gold, 3) if n_gold else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="dev1,dev2,msc-tune")
    parser.add_argument("--split", choices=["all", "tune", "holdout"], default="all")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--missed", default=None, help="write uncovered gold facts here (JSONL)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    if "msc" in names:
        parser.error("msc is the held-out slice: measure candidates on msc-tune")
    encoder = load_minilm()
    out = open(args.missed, "w", encoding="utf-8") if args.missed else None
    try:
        for name in names:
            report = coverage(load_set(name, args.split, args.limit), encoder, out)
            print(f"{name} ({args.split}): {report['candidates']} candidates, covered {report['covered']}"
                  f" / {report['gold']} gold = ceiling {report['ceiling']}", flush=True)
    finally:
        if out:
            out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
