"""Re-extraction: the stored turns of each scope read again with the configured model and prompt.

How a store improves when its user gets a better model. Per scope (user_id, agent_id,
run_id) of the selected turns, in one transaction:
- the live facts an older model or prompt wrote (their `model`/`prompt_version` differ
  from the extractor's) are replaced: each is paired with the nearest new fact (cosine
  >= REPLACE_COSINE) and takes its text in place, an UPDATE event keeping the old text;
  one with no new counterpart is removed, a DELETE event naming the new model (not an
  erasure: its turns stay and its history keeps the texts);
- facts a person edited (an UPDATE event by the API or CLI, actor "api") are kept, and the
  new fact nearest each is dropped (the person's version wins); facts stored as given
  (`infer=False`: no model) and past, superseded facts are left alone;
- the other new facts are stored as `add` stores them (duplicate and supersede checks).
A killed run leaves each scope either done or untouched; the checkpoint (one per store,
selection, model and prompt) lets `resume` skip the scopes already done.

Store operations and filter trees only (`store.base.Store`, `mem0cli.filters`), so it runs
on the embedded store and on PostgreSQL alike; new facts go through `writing.store_facts`,
the add path's checked write.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import filters as flt
from . import writing
from .checks import FactChecker, fact_hash
from .config import SUPERSEDE_COSINE
from .ingest import Checkpoint
from .items import metadata_key
from .memory import Memory, now_iso
from .models import Fact, Message
from .search import search_text
from .store.base import Store
from .store.records import HistoryEvent, MemoryRecord, TurnRecord
from .validate import build_filter

#: An old fact and a new one at least this close are the same fact, rewritten.
REPLACE_COSINE = SUPERSEDE_COSINE
EDIT_ACTOR = "api"  # Memory.update records a person's edit with this actor
ScopeKey = tuple[str | None, str | None, str | None]


@dataclass
class ReextractSummary:
    """What a re-extraction did, for the CLI's summary line and --json."""

    model: str
    prompt_version: str
    scopes: int = 0
    turns: int = 0
    replaced: int = 0  # old facts rewritten in place (UPDATE)
    removed: int = 0  # old facts the new model did not find again (DELETE)
    added: int = 0
    unchanged: int = 0  # new facts already known
    kept_edited: int = 0
    skipped_scopes: int = 0  # already current, or done before a resume
    dry_run: bool = False
    scope_list: list[dict[str, str | None]] = field(default_factory=list)

    def line(self) -> str:
        verb = "would re-extract" if self.dry_run else "re-extracted"
        return (f"{verb} {self.scopes} scopes ({self.turns} turns) with {self.model} {self.prompt_version}: "
                f"{self.replaced} facts replaced, {self.removed} removed, {self.added} added, "
                f"{self.unchanged} unchanged, {self.kept_edited} edited kept, {self.skipped_scopes} scopes skipped")


def _selection_digest(location: str, tree: flt.Filter | None, model: str, prompt: str) -> str:
    return hashlib.sha256(json.dumps(["reextract", location, repr(tree), model, prompt]).encode()).hexdigest()


def reextract(
    memory: Memory,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    filters: dict[str, Any] | str | None = None,
    resume: bool = False,
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> ReextractSummary:
    """Re-extract the turns of every scope the selection covers (all scopes when none is given)."""
    extractor = memory.extractor
    model, prompt = extractor.model_id, extractor.prompt_version
    summary = ReextractSummary(model=model, prompt_version=prompt, dry_run=dry_run)
    tree = build_filter(user_id, agent_id, run_id, filters)
    by_scope: dict[ScopeKey, list[TurnRecord]] = {}
    for turn in memory.store.select_turns(tree):
        by_scope.setdefault((turn.user_id, turn.agent_id, turn.run_id), []).append(turn)
    digest = _selection_digest(memory.store.location, tree, model, prompt)
    checkpoint = Checkpoint(memory.path, digest, name="reextract-checkpoints.json")
    skip = checkpoint.done if resume else 0
    for number, key in enumerate(sorted(by_scope, key=lambda k: tuple(v or "" for v in k))):
        turns = by_scope[key]
        scope = dict(zip(flt.SCOPE_KEYS, key))
        if number < skip or not _needs_work(memory, key, model, prompt):
            summary.skipped_scopes += 1
        else:
            summary.scopes += 1
            summary.turns += len(turns)
            summary.scope_list.append(scope)
            if not dry_run:
                _reextract_scope(memory, scope, turns, summary)
                checkpoint.save(number + 1)
                if on_progress:
                    on_progress(len(turns))
    if not dry_run:
        checkpoint.save(None)
    return summary


def _live_facts(memory: Memory, key: ScopeKey) -> list[MemoryRecord]:
    """The current facts of exactly this scope that a model wrote, oldest first."""
    exact = flt.And((*(flt.Cond(k, "eq", v) for k, v in zip(flt.SCOPE_KEYS, key)),
                     flt.Cond("memory_type", "eq", "fact")))
    return [r for r in memory.store.select(exact, oldest_first=True) if r.superseded_by is None and r.model]


def _needs_work(memory: Memory, key: ScopeKey, model: str, prompt: str) -> bool:
    """A scope is current when it holds facts by this model and prompt and none a person did not
    edit by another; a scope without facts is always read again."""
    facts = _live_facts(memory, key)
    if not facts:
        return True
    edited = _edited(memory, [r.id for r in facts])
    return any((r.model, r.prompt_version) != (model, prompt) and r.id not in edited for r in facts)


def _edited(memory: Memory, ids: list[str]) -> set[str]:
    history = memory.store.history(ids)
    return {i for i, events in history.items() if any(e.event == "UPDATE" and e.actor == EDIT_ACTOR
                                                      for e in events)}


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b))


def _pairs(old: list[list[float]], new: list[list[float]]) -> dict[int, int]:
    """Old index -> new index, one to one, nearest first, at least REPLACE_COSINE apart."""
    scored = sorted(((_cosine(o, n), i, j) for i, o in enumerate(old) for j, n in enumerate(new)), reverse=True)
    out: dict[int, int] = {}
    used: set[int] = set()
    for cos, i, j in scored:
        if cos < REPLACE_COSINE:
            break
        if i not in out and j not in used:
            out[i] = j
            used.add(j)
    return out


def _reextract_scope(memory: Memory, scope: dict[str, str | None], turns: list[TurnRecord],
                     summary: ReextractSummary) -> None:
    extractor, store, embedder = memory.extractor, memory.store, memory.embedder
    messages = [Message(t.role, t.content, t.name, t.pk, t.said_at) for t in turns]
    found = extractor.extract(messages, default_name=scope["user_id"] or scope["agent_id"]).facts
    key = (scope["user_id"], scope["agent_id"], scope["run_id"])
    model, prompt = extractor.model_id, extractor.prompt_version
    live = _live_facts(memory, key)
    edited = _edited(memory, [r.id for r in live])
    summary.kept_edited += len(edited)
    old = [r for r in live if r.id not in edited and (r.model, r.prompt_version) != (model, prompt)]
    kept = [r for r in live if r.id in edited]  # a person's version wins over the new model's
    vectors = embedder.embed_documents([r.memory for r in old + kept] + [f.text for f in found])
    old_vectors, new_vectors = vectors[: len(old) + len(kept)], vectors[len(old) + len(kept):]
    pairs = _pairs(old_vectors, new_vectors)
    summary.unchanged += sum(1 for i in pairs if i >= len(old))
    metadata = {t.pk: t.metadata or {} for t in turns}
    with store.write_lock():
        store.check_model(embedder.model_id, record=True)
        memory.repair()
        at = now_iso()
        touched: dict[str, list[float]] = {}
        with store.transaction():
            checker = FactChecker(store, memory.settings.update_policy == "prefer-latest")
            for i, row in enumerate(old):
                if i in pairs:
                    touched[row.id] = new_vectors[pairs[i]]
                    checker.remember(row.id, new_vectors[pairs[i]])  # its vector in the index is the old text's
                    _replace(store, row, found[pairs[i]], model, prompt, at)
                    summary.replaced += 1
            gone = [row for i, row in enumerate(old) if i not in pairs]
            _remove(store, gone, model, prompt, at)
            summary.removed += len(gone)
            rest = [j for j in range(len(found)) if j not in set(pairs.values())]
            for meta, group in _by_metadata(rest, found, metadata).items():
                results, written = writing.store_facts(
                    store, checker, extractor, [found[j] for j in group], [new_vectors[j] for j in group],
                    scope, json.loads(meta), at, {t.pk: t.pk for t in turns},
                )
                touched.update(written)
                summary.added += sum(r["event"] != "NONE" for r in results)
                summary.unchanged += sum(r["event"] == "NONE" for r in results)
        store.index(touched, embedder.dimensions)
        memory.repair()  # the removed facts' vectors leave the index


def _by_metadata(indices: list[int], facts: list[Fact], metadata: dict[str, dict[str, Any]]) -> dict[str, list[int]]:
    """New facts grouped by the metadata of their first source turn (a fact carries its add's metadata)."""
    groups: dict[str, list[int]] = {}
    for j in indices:
        source = facts[j].source_ids[0] if facts[j].source_ids else None
        groups.setdefault(metadata_key(metadata.get(source or "", {})), []).append(j)
    return groups


def _replace(store: Store, row: MemoryRecord, fact: Fact, model: str, prompt: str, at: str) -> None:
    text = fact.text.strip()
    said_at = fact.said_at or row.said_at
    store.set_memory_text(row.id, text, fact_hash(text), search_text(text, said_at), at)
    store.update_memory(row.id, model=model, prompt_version=prompt, said_at=said_at,
                        speaker=fact.speaker or row.speaker)
    for pk in fact.source_ids:
        store.link(row.id, pk)
    writing.redraw_graph(store, row, text, fact.speaker or row.speaker, said_at)
    store.add_history(HistoryEvent(
        memory_id=row.id, event="UPDATE", old_memory=row.memory, new_memory=text, actor="reextract",
        created_at=at, reason=f"re-extracted with {model} {prompt}", **row.scope(),
    ))


def _remove(store: Store, rows: list[MemoryRecord], model: str, prompt: str, at: str) -> None:
    """Old facts the new model does not state again: rows go (their turns stay), history says why."""
    if not rows:
        return
    store.delete_memories([r.id for r in rows])
    for row in rows:
        store.add_history(HistoryEvent(
            memory_id=row.id, event="DELETE", old_memory=row.memory, actor="reextract", created_at=at,
            reason=f"not found again when re-extracted with {model} {prompt}", **row.scope(),
        ))
