"""The candidate dump that bench/train_judge.py trains on: every judged candidate, its margin, its label.

    python bench/judge_dump.py [--dump PATH] [--msc N] [--threads T] [--reuse OLD_DUMP]

For each conversation of dev1, dev2 and the first N msc-tune dialogues (never the
held-out msc slice; N spread evenly over its 1,878), the bundled extractor's grounded candidates (the ones the judge
sees), each with the judge's yes-no margin and its best cosine to a gold fact of its
conversation (the bench's MiniLM; a candidate is a positive when that cosine is at
least bench.extraction.MATCH_COSINE). One JSON line a conversation, appended as it
goes: a killed run resumes where it stopped. The first line records a fingerprint of
the code that makes candidates (candidates.py, wellformed.py, dates.py, names.py) and of
the judge (model, prompt); a dump with another fingerprint is started afresh. The
grounding rule in extract.py is not in it: after changing that, delete the dump.

--reuse OLD_DUMP takes the judge's margin for every candidate text already judged in an
older dump made with the same judge (model and prompt; its header's "judge" key, or its
model id for dumps made before that key): the margin depends on the text alone, so after a
change to the candidate code only new texts go through the model (minutes instead of half
an hour).

Parts: the dev files' holdout conversations (lines 3, 6, 9, ... as `--split holdout`)
and every fourth msc-tune dialogue are "valid", the rest "train". The dump lives
outside the repository (default /work/runs/judge-candidates.jsonl, or $JUDGE_DUMP).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import extraction as bench  # noqa: E402  (sets the offline env and sys.path)

DEFAULT_DUMP = Path(os.environ.get("JUDGE_DUMP", "/work/runs/judge-candidates.jsonl"))
DEFAULT_MSC = 1878  # every msc-tune dialogue: with 600, msc-tune valid AUC was 0.73; with all, 0.76
FINGERPRINTED = ["candidates.py", "wellformed.py", "dates.py", "names.py", "stopwords.py"]


def judge_fingerprint(model_id: str) -> str:
    """A hash of what the judge's margin for a text depends on: the model and its prompt."""
    from mem0cli import prompts

    return hashlib.sha256((model_id + prompts.JUDGE_PREFIX + prompts.JUDGE_ITEM).encode()).hexdigest()[:16]


def fingerprint(model_id: str) -> str:
    """A hash of the code that decides which candidates exist and how the judge scores them."""
    from mem0cli import prompts

    digest = hashlib.sha256((model_id + prompts.JUDGE_PREFIX + prompts.JUDGE_ITEM).encode())
    for name in FINGERPRINTED:
        path = bench.ROOT / "mem0cli" / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def conversations(msc_limit: int) -> list[tuple[str, str, dict]]:
    """(set, part, case) for every conversation the dump covers, in a fixed order."""
    out = []
    for name in ("dev1", "dev2"):
        for i, case in enumerate(bench.load_set(name, "all")):
            out.append((name, "valid" if i % 3 == 2 else "train", case))
    msc = bench.load_set("msc-tune", "all")
    for i, case in enumerate(msc[:: max(1, len(msc) // msc_limit)][:msc_limit]):  # spread over sessions 1-4
        out.append(("msc-tune", "valid" if i % 4 == 3 else "train", case))
    return out


def read_dump(path: Path, expected: str) -> set[tuple[str, str]]:
    """The (set, id) pairs already in a dump with this fingerprint; a stale dump is removed."""
    if not path.exists():
        return set()
    text = path.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):  # cut by a kill: drop the partial line before appending
        text = text[: text.rfind("\n") + 1]
        path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    if not lines or json.loads(lines[0]).get("fingerprint") != expected:
        print(f"{path}: made by other candidate or judge code; starting it afresh", file=sys.stderr)
        path.unlink()
        return set()
    done = set()
    for line in lines[1:]:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:  # a line cut by a kill: that conversation is redone
            continue
        done.add((row["set"], row["id"]))
    return done


def known_margins(path: Path, model_id: str) -> dict[str, float]:
    """Margins by candidate text from an older dump of the same judge (see --reuse)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0]) if lines else {}
    same = header.get("judge") == judge_fingerprint(model_id) if "judge" in header else header.get("model_id") == model_id
    if not same:
        raise SystemExit(f"{path} was judged by another model or prompt: its margins cannot be reused")
    margins = {}
    for line in lines[1:]:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        margins.update((c["text"], c["margin"]) for c in row["candidates"])
    return margins


def dump(path: Path, msc_limit: int, threads: int = 1, reuse: Path | None = None) -> Path:
    """Write (or finish) the dump at `path`; returns it."""
    from mem0cli.extract import LlamaCppExtractor

    extractor = LlamaCppExtractor(n_threads=threads)  # 1: on a busy 2-core machine, 2 threads run 7x slower
    expected = fingerprint(extractor.model_id)  # a hash of the file: no load
    margins = known_margins(reuse, extractor.model_id) if reuse else {}
    done = read_dump(path, expected)
    todo = [(s, p, c) for s, p, c in conversations(msc_limit) if (s, c["id"]) not in done]
    if not todo:
        return path
    print(f"dumping {len(todo)} conversations into {path}", file=sys.stderr, flush=True)
    encoder = bench.load_minilm()
    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with path.open("a", encoding="utf-8") as out:
        if not done:
            out.write(json.dumps({"fingerprint": expected, "model_id": extractor.model_id,
                                  "judge": judge_fingerprint(extractor.model_id)}) + "\n")
        for n, (set_name, part, case) in enumerate(todo, 1):
            row = dump_case(extractor, encoder, set_name, part, case, margins)
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            if n % 25 == 0:
                rate = n / (time.perf_counter() - start)
                print(f"  {n}/{len(todo)} conversations, {rate:.2f}/s", file=sys.stderr, flush=True)
    return path


def dump_case(extractor, encoder, set_name: str, part: str, case: dict, margins: dict[str, float] | None = None) -> dict:
    """One conversation's grounded candidates with margins (from `margins` when known) and labels."""
    messages = bench.to_messages(case)
    candidates, _ = extractor.grounded_candidates(messages, case["user_id"])
    gold = case["facts"]
    best = [(0.0, -1)] * len(candidates)
    if candidates and gold:
        vectors = encoder.encode([c.text for c in candidates] + gold, normalize_embeddings=True,
                                 convert_to_numpy=True)
        sims = vectors[: len(candidates)] @ vectors[len(candidates):].T
        best = [(float(row.max()), int(row.argmax())) for row in sims]
    rows = []
    margins = margins if margins is not None else {}
    for cand, (cosine, gold_index) in zip(candidates, best):
        if cand.text not in margins:
            margins[cand.text] = round(extractor.judge(cand.text), 4)
        rows.append({
            "text": cand.text, "kind": cand.kind, "message_index": cand.message_index,
            "source_text": cand.source_text, "speaker": cand.speaker, "clause": cand.clause,
            "margin": margins[cand.text], "cosine": round(cosine, 4), "gold_index": gold_index,
        })
    return {"set": set_name, "id": case["id"], "part": part, "gold": len(gold), "candidates": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", type=Path, default=DEFAULT_DUMP)
    parser.add_argument("--msc", type=int, default=DEFAULT_MSC, help="msc-tune dialogues to dump (N spread over them)")
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads for the judge (default 1)")
    parser.add_argument("--reuse", type=Path, default=None, help="an older dump whose margins are reused by text")
    args = parser.parse_args(argv)
    print(dump(args.dump, args.msc, args.threads, args.reuse))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
