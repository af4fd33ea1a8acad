"""The write step of `add`, inside the store's transaction: each turn stored once (the
evidence), each fact checked against its scope and stored with its links and history, and the
graph drawn from the facts stored (`graph.build`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from . import search as search_mod
from .checks import FactChecker, Verdict, fact_hash
from .graph.build import GraphBuilder, StoredFact
from .items import metadata_key
from .models import Fact, Message
from .search import search_text
from .store.base import Store
from .store.records import HistoryEvent, MemoryRecord, TurnRecord


def stored_turn(store: Store, digest: str, legacy: str, metadata: dict[str, Any] | None) -> str | None:
    """The pk of a message already stored with this digest; or, for a store written before
    metadata counted in a message's identity, with its digest without metadata and the
    same metadata."""
    wanted = metadata_key(metadata)
    for key in dict.fromkeys((digest, legacy)):
        for turn in store.turns_with_hash(key):
            if metadata_key(turn.metadata) == wanted:
                return turn.pk
    return None

def turn_texts_before_storing(store: Store, fresh: list[Message], scope: dict[str, str | None]) -> list[str]:
    """The texts new turns will be indexed with (`search.turn_texts`), known before they
    are stored, so they can be embedded outside the write lock: each follows the one
    before it, the first follows the scope's last stored turn."""
    last = store.last_turn(scope)
    previous = store.turns([last])[last].content if last else None
    texts = []
    for m in fresh:
        texts.append(search_text(m.content, m.created_at, m.name or m.role, context=previous))
        previous = m.content
    return texts

def store_turns(
    store: Store,
    embed: Callable[[list[str]], list[list[float]]],
    messages: list[Message],
    digests: list[str],
    legacy: list[str],
    embedded: dict[int, tuple[str, list[float]]],
    scope: dict[str, str | None],
    metadata: dict[str, Any],
    at: str,
) -> tuple[dict[str, str], dict[str, list[float]]]:
    """Store each message once (evidence); map message key -> pk, and new pks -> vectors.

    `embedded` holds the (text, vector) each new message was embedded with beforehand;
    one whose stored neighbour turned out otherwise (another writer came between) is
    embedded again with the text `search.turn_texts` gives it now.
    """
    pks: dict[str, str] = {}
    planned: dict[str, tuple[str, list[float]] | None] = {}
    for i, (m, digest) in enumerate(zip(messages, digests)):
        pk = stored_turn(store, digest, legacy[i], metadata)
        if pk is None:
            pk = uuid.uuid4().hex
            real_id = None if (m.id or "").startswith("#") else m.id
            turn = TurnRecord(
                pk=pk, message_id=real_id, **scope, role=m.role, name=m.name, content=m.content,
                said_at=m.created_at, hash=digest, added_at=at, created_at=at, updated_at=at, metadata=metadata,
            )
            store.insert_turn(turn, search_text(m.content, m.created_at, m.name or m.role))
            planned[pk] = embedded.get(i)
        pks[m.id or ""] = pk
    texts = search_mod.turn_texts(store, list(planned))
    touched = {pk: p[1] for pk, p in planned.items() if p is not None and p[0] == texts[pk]}
    again = [pk for pk in planned if pk not in touched]
    if again:
        touched.update(zip(again, embed([texts[pk] for pk in again])))
    return pks, touched

def store_facts(
    store: Store,
    checker: FactChecker | None,
    extractor: Any,
    facts: list[Fact],
    vectors: list[list[float]],
    scope: dict[str, str | None],
    metadata: dict[str, Any],
    at: str,
    pks: dict[str, str],
) -> tuple[list[dict[str, Any]], dict[str, list[float]]]:
    """Write each fact; returns results and vectors to index.

    Extracted facts are checked against the scope first by `checker` (None: `infer=False`):
    a duplicate with the same metadata confirms the older fact (event NONE, naming it),
    a contradiction supersedes it. Messages given with `infer=False` are stored as given:
    only an exact repeat is skipped, earlier, as a message already stored.
    """
    results: list[dict[str, Any]] = []
    touched: dict[str, list[float]] = {}
    drawn: list[StoredFact] = []  # what the graph is drawn from
    said = {pk: turn.content for pk, turn in store.turns(sorted(set(pks.values()))).items()} if pks else {}
    for fact, vector in zip(facts, vectors):
        text = fact.text.strip()
        source_pks = [pks[s] for s in fact.source_ids if s in pks]
        verdict = checker.check(text, vector, scope, metadata, corrects=fact.corrects) if checker else Verdict("ADD")
        if verdict.same is not None:
            same = verdict.same
            store.update_memory(same.id, updated_at=at, confirmations=same.confirmations + 1)
            for pk in source_pks:
                store.link(same.id, pk)
            results.append(
                {"id": same.id, "memory": same.memory, "event": "NONE", "candidate": text, "match": verdict.match}
            )
            continue
        memory_id = str(uuid.uuid4())
        row = MemoryRecord(
            id=memory_id, memory=text, hash=fact_hash(text), memory_type="fact", **scope,
            metadata=metadata, created_at=at, updated_at=at, said_at=fact.said_at, speaker=fact.speaker,
            model=getattr(extractor, "model_id", None), prompt_version=getattr(extractor, "prompt_version", None),
        )
        store.insert_memory(row, search_text(text, fact.said_at))
        for pk in source_pks:
            store.link(memory_id, pk)
        store.add_history(
            HistoryEvent(memory_id=memory_id, event="ADD", new_memory=text, actor=fact.speaker, created_at=at, **scope)
        )
        touched[memory_id] = vector
        drawn.append(StoredFact(memory_id, text, fact.speaker, fact.said_at, tuple(source_pks),
                                tuple(said[pk] for pk in source_pks if pk in said)))
        if checker:
            checker.remember(memory_id, vector)
        older = verdict.older
        if older is None:
            results.append({"id": memory_id, "memory": text, "event": "ADD"})
            continue
        store.update_memory(older.id, superseded_by=memory_id, valid_until=fact.said_at or at, updated_at=at)
        store.add_history(HistoryEvent(
            memory_id=older.id, event="UPDATE", old_memory=older.memory, new_memory=older.memory,
            created_at=at, reason=f"superseded by {memory_id}",
        ))
        results.append(
            {"id": memory_id, "memory": text, "event": "UPDATE",
             "previous_memory": older.memory, "superseded_id": older.id}
        )
    GraphBuilder(store.graph, scope).add(drawn)
    return results, touched


def redraw_graph(store: Store, row: MemoryRecord, text: str, speaker: str | None, said_at: str | None) -> None:
    """The graph follows a fact's new text: the relations it supported go, and are drawn again from `text`."""
    store.graph.drop_sources([row.id])
    store.graph.prune()
    sources = tuple(store.source_pks([row.id]).get(row.id, []))
    said = tuple(turn.content for turn in store.turns(list(sources)).values())
    GraphBuilder(store.graph, row.scope()).add([StoredFact(row.id, text, speaker, said_at, sources, said)])
