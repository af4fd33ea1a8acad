"""Export and import: a versioned JSONL format, and Mem0's get_all() JSON for migration.

Format (version 3), one JSON object per line:
  {"format": "mem0cli-export", "version": 2, "tool_version", "exported_at", "since",
   "embed_model", "llm_models", "counts": {"memories", "messages", "deletions", "tombstones"},
   "vectors": bool}
  {"type": "message", "pk", "message_id", "user_id", "agent_id", "run_id", "role", "name",
   "content", "said_at", "hash", "added_at", "created_at", "updated_at", "metadata", "expires_at",
   "vector"?}
  {"type": "memory", "id", "memory", "hash", "memory_type", "user_id", "agent_id", "run_id",
   "metadata", "created_at", "updated_at", "said_at", "speaker", "superseded_by",
   "valid_until", "confirmations", "model", "prompt_version", "expires_at", "source_pks": [...],
   "history": [{"event", "old_memory", "new_memory", "actor", "created_at", "reason", ...}],
   "vector": [...] (only with --with-vectors)}
  {"type": "deletion", "scope", "count", "hashes", "created_at", "reason"}   proof of erasure, no text
  {"type": "tombstone", "id", "deleted_at", "user_id", "agent_id", "run_id"}  a deleted memory
Messages come in the order they were stored (a turn is indexed with the one stored before
it in its scope). Version 2 (whose memories name their type "kind") and version 1 (no
message or tombstone lines) still import.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from . import __version__
from . import filters as flt
from .checks import fact_hash
from .errors import InputError, json_problem
from .graph.build import rebuild as rebuild_graph
from .items import stored_message_digest
from .memory import Memory, now_iso
from .redact import redact
from .search import search_text, turn_texts
from .store.records import MEMORY_FIELDS, TURN_FIELDS, Deletion, HistoryEvent, MemoryRecord, TurnRecord
from .validate import check_metadata

FORMAT = "mem0cli-export"
VERSION = 3  # 3: "memory_type" for 2's "kind"; 2: messages and tombstones; 1 and 2 still import
MESSAGE_FIELDS = TURN_FIELDS  # the export's lines carry the records' fields, in their order


# -- export ------------------------------------------------------------------
def export_records(
    memory: Memory, *, tree: flt.Filter | None = None, with_vectors: bool = False, since: str | None = None
) -> list[dict]:
    """The store (or the part the filter selects) as export records, from one consistent snapshot.

    With `since` (ISO time), only what changed at or after it: memories updated, messages
    added, deletions and tombstones (ids of deleted memories) recorded since then.
    """
    store = memory.store
    live = memory.live(tree)  # past their expiration_date: left out
    with store.snapshot():
        rows = store.select(live, oldest_first=True, since=since)
        ids = [r.id for r in rows]
        links = store.source_pks(ids)
        history = store.history(ids)
        linked = {pk for pk_list in links.values() for pk in pk_list}
        messages = {m.pk: m for m in store.select_turns(live, since=since)}
        messages.update(store.turns(sorted(linked - set(messages))))
        deletions = [d for d in store.deletions() if not since or d.created_at >= since]
        tombstones = [
            t for t in store.tombstones(since)
            if flt.matches(tree, {**asdict(t), "kind": "fact", "metadata": {}})
        ]
        embed_model = store.get_meta("embed_model")
        # in the order they were stored, so an import gives each turn the same turn before it
        turns = [messages[pk] for pk in store.in_stored_order(list(messages))]
    vectors = store.vectors_of(ids + [m.pk for m in turns]) if with_vectors else {}
    header = {
        "format": FORMAT, "version": VERSION, "tool_version": __version__, "exported_at": now_iso(),
        "since": since, "embed_model": embed_model,
        "llm_models": sorted({r.model for r in rows if r.model}),
        "counts": {
            "memories": len(rows), "messages": len(turns), "deletions": len(deletions),
            "tombstones": len(tombstones),
        },
        "vectors": with_vectors,
    }
    out: list[dict] = [header]
    for m in turns:
        record = {"type": "message", **asdict(m)}
        if m.pk in vectors:
            record["vector"] = vectors[m.pk]
        out.append(record)
    for row in rows:
        record = {"type": "memory", **asdict(row)}
        record["source_pks"] = links.get(row.id, [])
        record["history"] = [{k: v for k, v in h.as_dict().items() if k != "memory_id"} for h in history.get(row.id, [])]
        if with_vectors and row.id in vectors:
            record["vector"] = vectors[row.id]
        out.append(record)
    out += [{"type": "deletion", **asdict(d)} for d in deletions]
    out += [{"type": "tombstone", **asdict(t)} for t in tombstones]
    return out


def write_export(records: Iterable[dict], path: str | None) -> None:
    """Write records as JSONL to stdout (path None or "-") or atomically to a file (.gz compresses)."""
    lines = (json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if path in (None, "-"):
        import sys

        for line in lines:
            sys.stdout.write(line)
        sys.stdout.flush()
        return
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"cannot write {target}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as raw:
            stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="wb") if target.suffix == ".gz" else raw
            for line in lines:
                stream.write(line.encode("utf-8"))
            if stream is not raw:
                stream.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- import ------------------------------------------------------------------
@dataclass
class ImportPlan:
    """A validated import file, ready to apply."""

    header: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)
    memories: list[dict[str, Any]] = field(default_factory=list)
    deletions: list[dict[str, Any]] = field(default_factory=list)
    tombstones: list[dict[str, Any]] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)  # reserved metadata keys of an older export


def read_import(data: bytes) -> ImportPlan:
    """Parse and validate a whole export (or Mem0 JSON) before anything is written."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(f"the import file is not valid gzip: {exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"the import file is not UTF-8 (byte {exc.start})") from exc
    if not text.strip():
        raise InputError("the import file is empty")
    first = text.lstrip()[:1]
    if first == "[" or (first == "{" and '"format"' not in text.split("\n", 1)[0]):
        return _read_mem0_json(text)
    return _read_jsonl(text)


def _read_jsonl(text: str) -> ImportPlan:
    plan: ImportPlan | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise InputError(f"line {number}: invalid JSON: {json_problem(exc)}") from None
        if not isinstance(record, dict):
            raise InputError(f"line {number}: expected a JSON object")
        if plan is None:
            if record.get("format") != FORMAT:
                raise InputError(f"line {number}: not a mem0cli export (no header line)")
            if not isinstance(record.get("version"), int) or record["version"] > VERSION:
                raise InputError(f"line {number}: unsupported export version {record.get('version')!r}")
            plan = ImportPlan(header=record)
            continue
        kind = record.get("type")
        if kind == "memory":
            plan.memories.append(_check_memory(record, number, plan))
        elif kind == "message":
            plan.messages.append(_check_message(record, number))
        elif kind == "deletion":
            plan.deletions.append(record)
        elif kind == "tombstone":
            if not isinstance(record.get("id"), str) or not isinstance(record.get("deleted_at"), str):
                raise InputError(f"line {number}: tombstone needs id and deleted_at")
            plan.tombstones.append(record)
        else:
            raise InputError(f"line {number}: unknown record type {kind!r}")
    if plan is None:
        raise InputError("the import file has no header line")
    return plan


def _read_mem0_json(text: str) -> ImportPlan:
    """Mem0's get_all() output ({"results": [...]}) or a list of its memory objects."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"invalid JSON: {json_problem(exc)}") from None
    items = data.get("results", data.get("memories")) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InputError("expected a Mem0 export: a list of memories or {\"results\": [...]}")
    plan = ImportPlan(header={"format": "mem0", "version": 0})
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InputError(f"record {number}: expected a JSON object")
        at = item.get("created_at") or now_iso()
        record = {
            "id": item.get("id"), "memory": item.get("memory"), "memory_type": "fact",
            "user_id": item.get("user_id"), "agent_id": item.get("agent_id"),
            "run_id": item.get("run_id"), "metadata": item.get("metadata") or {},
            "created_at": at, "updated_at": item.get("updated_at") or at,
        }
        plan.memories.append(_check_memory(record, number, plan))
    return plan


def _check_memory(record: dict[str, Any], number: int, plan: ImportPlan) -> dict[str, Any]:
    if "memory_type" not in record and record.get("kind") in ("fact", "message"):  # version 2
        record = {**{k: v for k, v in record.items() if k != "kind"}, "memory_type": record["kind"]}
    if plan.header.get("version", 0) < VERSION and isinstance(record.get("metadata"), dict):
        record = {**record, "metadata": _renamed_reserved(record["metadata"], plan)}
    text = record.get("memory")
    if not isinstance(record.get("id"), str) or not record["id"]:
        raise InputError(f"line {number}: memory has no id")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"line {number}: memory {record['id']} has no text")
    if not any(isinstance(record.get(k), str) and record[k] for k in ("user_id", "agent_id", "run_id")):
        raise InputError(f"line {number}: memory {record['id']} has no scope (user_id, agent_id, run_id)")
    try:
        check_metadata(record.get("metadata"))
    except InputError as exc:
        raise InputError(f"line {number}: memory {record['id']}: {exc}") from None
    for key in ("created_at", "updated_at"):
        if not isinstance(record.get(key), str):
            raise InputError(f"line {number}: memory {record['id']} has no {key}")
    vector = record.get("vector")
    if vector is not None and not (isinstance(vector, list) and all(isinstance(x, (int, float)) for x in vector)):
        raise InputError(f"line {number}: memory {record['id']} vector is not a list of numbers")
    return {**record, "hash": record.get("hash") or fact_hash(text)}


def _renamed_reserved(metadata: dict[str, Any], plan: ImportPlan) -> dict[str, Any]:
    """Metadata of an export made before names were reserved: a reserved key `k` becomes
    `metadata.k` (so a filter can still reach it), and the plan says so."""
    out = {}
    for key, value in metadata.items():
        if key in flt.RESERVED_KEYS:
            plan.renamed.append(key)
            key = f"metadata.{key}"
        out[key] = value
    return out


def _check_message(record: dict[str, Any], number: int) -> dict[str, Any]:
    for key in ("pk", "role", "content", "hash", "added_at"):
        if not isinstance(record.get(key), str):
            raise InputError(f"line {number}: message has no {key}")
    return record


def apply_import(memory: Memory, plan: ImportPlan) -> dict[str, int]:
    """Write a validated plan: new messages and memories keep their ids; known ones are skipped.
    The graph is not in the export: it is drawn again from the facts (`graph.build.rebuild`)."""
    store = memory.store
    added = skipped = 0
    to_index: dict[str, list[float] | None] = {}
    same_model = plan.header.get("embed_model") == memory.embedder.model_id
    found: dict[str, Counter] = {}
    if memory.settings.secrets == "redact":
        plan, found = redacted_plan(plan)
    redacted: Counter = Counter()  # in what is written, not in what is skipped as known
    store.create()
    with store.write_lock():
        store.check_model(memory.embedder.model_id, record=True)  # before anything is written
        with store.transaction():
            for m in plan.messages:
                if not store.turns_with_hash(m["hash"]):
                    turn = {k: m.get(k) for k in MESSAGE_FIELDS}
                    turn["created_at"] = turn["created_at"] or turn["added_at"]
                    turn["updated_at"] = turn["updated_at"] or turn["added_at"]
                    turn["metadata"] = turn["metadata"] or {}
                    store.insert_turn(
                        TurnRecord(**turn), search_text(m["content"], m.get("said_at"), m.get("name") or m["role"])
                    )
                    redacted += found.get(m["pk"], Counter())
                    to_index[m["pk"]] = m.get("vector") if same_model else None
            known = store.rows([r["id"] for r in plan.memories])
            for record in plan.memories:
                if record["id"] in known:
                    skipped += 1
                    continue
                row = MemoryRecord(**{
                    **{k: record.get(k) for k in MEMORY_FIELDS}, "memory_type": record.get("memory_type") or "fact",
                    "metadata": record.get("metadata") or {}, "confirmations": record.get("confirmations") or 1,
                })
                store.insert_memory(row, search_text(row.memory, row.said_at))
                redacted += found.get(record["id"], Counter())
                for pk in record.get("source_pks", []):
                    store.link(record["id"], pk)
                history = record.get("history") or [
                    {"event": "ADD", "new_memory": record["memory"], "created_at": record["created_at"]}
                ]
                for h in history:
                    store.add_history(HistoryEvent(
                        memory_id=record["id"], event=h.get("event", "ADD"), old_memory=h.get("old_memory"),
                        new_memory=h.get("new_memory"), created_at=h.get("created_at") or now_iso(),
                        actor=h.get("actor"), reason=h.get("reason"),
                        user_id=h.get("user_id"), agent_id=h.get("agent_id"), run_id=h.get("run_id"),
                    ))
                to_index[record["id"]] = record.get("vector") if same_model else None
                added += 1
            if redacted:
                store.count_redacted(redacted)
            if added:  # the graph is drawn again from the facts, the imported ones among them
                rebuild_graph(store)
            existing = {(json.dumps(d.scope, sort_keys=True), d.created_at) for d in store.deletions()}
            for d in plan.deletions:
                key = (json.dumps(d.get("scope"), sort_keys=True), d.get("created_at"))
                if key not in existing:
                    hashes = d.get("hashes") or []
                    store.add_deletion(Deletion(
                        scope=d.get("scope") or {}, count=len(hashes), hashes=hashes,
                        created_at=d.get("created_at") or now_iso(), reason=d.get("reason") or "import",
                    ))
        _index_imported(memory, to_index)
    removed = _apply_tombstones(memory, plan.tombstones)
    return {
        "added": added, "skipped": skipped, "messages": len(plan.messages), "deleted": removed,
        "renamed_keys": sorted(set(plan.renamed)),
    }


def redacted_plan(plan: ImportPlan) -> tuple[ImportPlan, dict[str, Counter]]:
    """The plan with secrets redacted from every text it would store (`redact.py`), and what
    was found, by message pk and memory id. A record whose text changed gets the digest of its
    new text and drops its exported vector, so it is embedded from the redacted text."""
    found: dict[str, Counter] = {}

    def clean(key: str, text: str | None, counted: bool = True) -> str | None:
        if not text:
            return text
        result = redact(text)
        if counted and result.found:
            found[key] = found.get(key, Counter()) + result.counts
        return result.text

    messages = []
    for m in plan.messages:
        content = clean(m["pk"], m["content"])
        if content != m["content"]:
            m = {**m, "content": content, "hash": stored_message_digest(m, content), "vector": None}
        messages.append(m)
    memories = []
    for record in plan.memories:
        text = clean(record["id"], record["memory"])
        history = [{**h, "old_memory": clean("", h.get("old_memory"), False),
                    "new_memory": clean("", h.get("new_memory"), False)} for h in record.get("history") or []]
        changed = {"memory": text, "hash": fact_hash(text), "vector": None} if text != record["memory"] else {}
        memories.append({**record, **changed, "history": history})
    return replace(plan, messages=messages, memories=memories), found


def _apply_tombstones(memory: Memory, tombstones: list[dict[str, Any]]) -> int:
    """Delete memories the export says were deleted, unless they changed here since."""
    if not tombstones:
        return 0
    store = memory.store
    rows = store.rows([t["id"] for t in tombstones])
    doomed = [t["id"] for t in tombstones if t["id"] in rows and rows[t["id"]].updated_at <= t["deleted_at"]]
    if doomed:
        memory.erase(doomed, {"ids": doomed}, reason="import tombstone")
    # a memory deleted before it reached this store: its tombstone is kept (an event, no text)
    known = {t.id for t in store.tombstones()}
    with store.write_lock(), store.transaction():
        for t in tombstones:
            if t["id"] not in rows and t["id"] not in known:
                store.add_history(HistoryEvent(
                    memory_id=t["id"], event="DELETE", created_at=t["deleted_at"], reason="import tombstone",
                    user_id=t.get("user_id"), agent_id=t.get("agent_id"), run_id=t.get("run_id"),
                ))
    return len(doomed)


def _index_imported(memory: Memory, vectors: dict[str, list[float] | None]) -> None:
    """Index imported facts and turns, embedding those that came without a usable vector."""
    if not vectors:
        return
    dims = memory.embedder.dimensions
    missing = [i for i, v in vectors.items() if v is None or len(v) != dims]
    if missing:
        facts = memory.store.rows(missing)
        turns = turn_texts(memory.store, [i for i in missing if i not in facts])
        texts = [facts[i].memory if i in facts else turns[i] for i in missing]
        vectors.update(zip(missing, memory.embedder.embed_documents(texts)))
    memory.store.index({k: v for k, v in vectors.items() if v is not None}, dims)
