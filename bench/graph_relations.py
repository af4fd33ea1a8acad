"""The relations the graph draws from labelled conversations, for reading by hand.

    python bench/graph_relations.py [FILE] [--conversations N] [--from gold|rules] [--json]

FILE defaults to ../shared/data/extraction-dev-2.jsonl. For each of the first N
conversations with facts (default 10), the facts are drawn into a fresh in-memory
graph in the order given (gold: the labelled facts, each said at the conversation's
last message time, by the speaker its text names first; rules: what the rule extractor
would store from the messages) and every relation is printed as
"subject (type) -relation-> object (type) [until ...]", with the count at the end.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "extraction-dev-2.jsonl"
sys.path.insert(0, str(ROOT))


def graph_of(facts: list[tuple[str, str | None, str | None]]) -> list[str]:
    """Relations drawn from (text, speaker, said_at) facts, one line each."""
    from mem0cli.graph.build import GraphBuilder, StoredFact
    from mem0cli.store.graph_tables import GraphTables, create_statements

    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE memories (id TEXT PRIMARY KEY)")
    conn.execute("CREATE TABLE messages (pk TEXT PRIMARY KEY)")
    for statement in create_statements():
        conn.execute(statement)
    tables = GraphTables(conn.execute)
    GraphBuilder(tables, {"user_id": "u"}).add(
        [StoredFact(f"m{i}", text, speaker, said_at) for i, (text, speaker, said_at) in enumerate(facts)]
    )
    entities = {e.id: e for e in tables.all_entities()}
    lines = []
    for r in tables.all_relations():
        s, o = entities[r.subject_id], entities[r.object_id]
        until = f" [until {r.valid_until[:10]}]" if r.valid_until else ""
        lines.append(f"{s.name} ({s.kind}) -{r.relation}-> {o.name} ({o.kind}){until}")
    return sorted(lines)


def conversation_facts(conv: dict, source: str) -> list[tuple[str, str | None, str | None]]:
    said = [m.get("created_at") for m in conv["messages"] if m.get("created_at")]
    last = said[-1] if said else None
    if source == "gold":
        names = {m.get("name") for m in conv["messages"] if m.get("name")} | {None}
        out = []
        for fact in conv["facts"]:
            first = re.match(r"[A-Z][\w-]*", fact)
            speaker = first.group(0) if first and first.group(0) in names else None
            out.append((fact, speaker, last))
        return out
    from mem0cli.extract import RuleExtractor
    from mem0cli.transcripts import messages_from_api

    result = RuleExtractor().extract(messages_from_api(conv["messages"]), default_name=conv.get("user_id"))
    return [(f.text, f.speaker, f.said_at) for f in result.facts]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--conversations", type=int, default=10, metavar="N")
    parser.add_argument("--from", dest="source", choices=["gold", "rules"], default="gold")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    chosen = [c for c in map(json.loads, args.file.read_text(encoding="utf-8").splitlines()) if c["facts"]]
    report = {c["id"]: graph_of(conversation_facts(c, args.source)) for c in chosen[: args.conversations]}
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
        return 0
    for cid, lines in report.items():
        print(f"## {cid}")
        print("\n".join(f"  {line}" for line in lines) or "  (none)")
    print(f"\n{sum(map(len, report.values()))} relations from {len(report)} conversations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
