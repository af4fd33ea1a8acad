"""Memory: the public API. Messages in, checked facts stored, memories searched.

Two pipelines over one `Store` (`store/base.py`), which owns the lock, the transaction,
the vectors and their repair, and erasure:
- `add`: messages -> extractor (candidate facts) -> embedder -> duplicate / contradiction
  checks against the same scope -> one transaction -> the vectors indexed;
- `search`: the query embedded -> the store's vector and keyword candidates -> ranking.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import filters as flt
from . import search as search_mod
from . import writing
from .checks import FactChecker, fact_hash
from .config import Settings, is_store_url, llm_from_config, pgvector_url
from .corrections import stored_corrections
from .embed import Embedder, SentenceTransformerEmbedder
from .errors import EntityNotFoundError, InputError, ModelError, NotFoundError, StoreError
from .extract import Extractor
from .graph.search import graph_hits
from .graph.view import graph_view
from .items import memory_item, message_digest, message_item, turn_item
from .models import Fact, MemoryItem, Message
from .names import speaker_name
from .ranking import RankSettings
from .redact import describe, placeholder_only, redact, redact_facts, redact_messages
from .search import search_text
from .store.base import Store
from .store.records import HistoryEvent, MemoryRecord
from .transcripts import messages_from_api, timed_by_neighbours
from .validate import (
    build_filter,
    check_add_options,
    check_expiration,
    check_metadata,
    check_rerank,
    check_scope,
    check_text,
    pick_limit,
)

logger = logging.getLogger("mem0cli")


def now_iso() -> str:
    """The current UTC time, ISO 8601 with milliseconds (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Memory:
    """A local memory store, mirroring Mem0's `Memory` API.

    >>> m = Memory(path="/tmp/mem")                     # doctest: +SKIP
    >>> m.add("I live in Seattle", user_id="alice")     # doctest: +SKIP
    >>> m.search("where do I live", user_id="alice")    # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        embedder: Embedder | None = None,
        extractor: Extractor | None = None,
        settings: Settings | None = None,
        store: Store | None = None,
        url: str | None = None,
    ) -> None:
        if url is not None and not is_store_url(url):
            raise InputError("url must be a postgresql:// URL (a store directory is `path`)")
        self.settings = settings or Settings.from_env(url or path)
        self.path = self.settings.home
        self._embedder = embedder
        self._extractor = extractor
        if store is None and self.settings.store_url:
            from .store.postgres import PostgresStore

            store = PostgresStore(self.settings.store_url)
        elif store is None:
            from .store.local import LocalStore

            store = LocalStore(self.path)
        self.store = store
        self._pool: ThreadPoolExecutor | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any] | None = None) -> Memory:
        """Mem0-style construction: reads the parts of a Mem0 config dict that apply offline.

        `vector_store.config.path` (or top-level `path`) is the store directory, or with
        `vector_store.provider` "pgvector" the team store its config names (`pgvector_url`);
        `embedder.config.model` a sentence-transformers model, `llm.config.model` a GGUF path
        (or, with a server provider such as "ollama" and `llm.config.base_url`, the model's
        name there: `config.llm_from_config`).
        """
        config = config or {}
        if not isinstance(config, dict):
            raise InputError("config must be a dict")

        def part(name: str) -> dict[str, Any]:
            section = config.get(name) or {}
            inner = section.get("config") if isinstance(section, dict) else None
            return inner if isinstance(inner, dict) else {}

        provider = (config.get("vector_store") or {}).get("provider") if isinstance(config.get("vector_store"), dict) else None
        if provider == "pgvector":
            base = Settings.from_env(pgvector_url(part("vector_store")))
        else:
            base = Settings.from_env(part("vector_store").get("path") or config.get("path"))
        embed_model = part("embedder").get("model") or base.embed_model
        settings = replace(base, embed_model=embed_model, **llm_from_config(config.get("llm")))
        return cls(settings=settings)

    # -- parts, loaded on first use --------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = SentenceTransformerEmbedder(self.settings.embed_model)
        return self._embedder

    @property
    def extractor(self) -> Extractor:
        if self._extractor is None:
            from .generative import choose_extractor

            self._extractor = choose_extractor(self.settings)
        return self._extractor

    def sibling(self) -> Memory:
        """A Memory over the same store with the same models and settings, with handles of its
        own (the server gives one to each reader thread); the models are shared, loaded once."""
        return Memory(settings=self.settings, embedder=self.embedder, extractor=self._extractor)

    def repair(self, wait: bool = True) -> int:
        """Index what a killed writer left unindexed and finish its vector deletes (under the
        write lock; with `wait=False`, nothing when another writer holds it); returns how many
        rows were indexed. Writes, `doctor --repair` and the server's idle time call it; a
        search never does."""
        if not self.store.needs_repair():
            return 0
        with self.store.write_lock(wait) as held:
            return self.store.repair(self.embedder.embed_documents, self.embedder.dimensions) if held else 0

    def _worker(self) -> ThreadPoolExecutor:
        """Three background threads for the parts of a search that overlap its query embedding."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="mem0cli-search")
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.store.close()

    # -- add ---------------------------------------------------------------
    def add(
        self,
        messages: str | dict | list,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        infer: bool = True,
        memory_type: str | None = None,
        prompt: str | None = None,
        expiration_date: str | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """Extract facts from messages and store them; returns {"results": [{id, memory, event}]}.

        Events: ADD (new), UPDATE (supersedes an older memory), NONE (an extracted fact already
        known with the same metadata; `id` names it). With `infer=False` each message is stored
        as given; only an exact repeat (text, scope, metadata, message id or time) is skipped.
        `metadata` reads back exactly as given; its keys must not be reserved names
        (`filters.RESERVED_KEYS`). Mem0 2.x's `memory_type="procedural_memory"` and `prompt`
        cannot be honoured and raise InputError naming them. `expiration_date` (an ISO date:
        kept through that day, or a time) takes the new memories and their messages out of
        search, `get_all` and exports after it (`show_expired=True` shows them).
        """
        check_add_options(prompt, memory_type)
        scope = check_scope(user_id, agent_id, run_id, required=True)
        meta = check_metadata(metadata)
        expires_at = check_expiration(expiration_date, now_iso())
        added = self.add_messages(
            messages_from_api(messages), scope=scope, metadata=meta, infer=infer, expires_at=expires_at
        )
        if added["redacted"]:
            logger.warning("mem0cli: %s", describe(Counter(added["redacted"])))
            return {"results": added["results"], "redacted": added["redacted"]}
        return {"results": added["results"]}

    def live(self, tree: flt.Filter | None) -> flt.Filter | None:
        """`tree` without the memories whose expiration_date has passed (unchanged while the
        store has none that expire)."""
        if self.store.get_meta("expiring") is None:
            return tree
        unexpired = flt.Or((flt.Cond("expires_at", "eq", None), flt.Cond("expires_at", "gt", now_iso())))
        return unexpired if tree is None else flt.And((tree, unexpired))

    def add_messages(
        self,
        messages: list[Message],
        *,
        scope: dict[str, str | None],
        metadata: dict[str, Any] | None = None,
        infer: bool = True,
        times_around: tuple[str | None, str | None] = (None, None),
        expires_at: str | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """`add` for messages already normalised (the CLI's transcript readers use this).

        Messages already stored in this scope (same role, speaker, text, time as given and
        id) are skipped, so feeding a transcript twice adds nothing. A message without a time
        is stored with its neighbours' (`timed_by_neighbours`; `times_around`: the times
        just before and after these messages when they are part of a longer transcript).
        Secrets are redacted first (`redact.py`, unless the settings say `keep`): a fact that
        said nothing but a secret is dropped. `expires_at` (from `validate.check_expiration`)
        is set on the memories added or updated, in the same transaction.
        Returns the results and counts:
        {"results", "messages_read", "messages_new", "dropped", "warnings", "redacted" (by type)}.
        """
        scope = check_scope(scope.get("user_id"), scope.get("agent_id"), scope.get("run_id"), required=True)
        said = [m for m in messages if m.role != "system" and m.content.strip()]
        if not said:
            raise InputError("no messages to add: the transcript holds no non-system message with text")
        self.store.create()  # a write: the store is made (or migrated) now, visibly
        keyed = [m if m.id else replace(m, id=f"#{i}") for i, m in enumerate(said)]
        found: list[Counter] = [Counter()] * len(keyed)
        if self.settings.secrets == "redact":  # before anything is hashed, extracted or stored
            keyed, found = redact_messages(keyed)
        digests = [message_digest(scope, m, metadata) for m in keyed]  # of the messages as given: stable
        legacy = [message_digest(scope, m) for m in keyed] if metadata else digests
        keyed = timed_by_neighbours(keyed, *times_around)
        first_of = {d: i for i, d in reversed(list(enumerate(digests)))}  # an exact repeat counts once
        stored = [writing.stored_turn(self.store, d, old, metadata) for d, old in zip(digests, legacy)]
        new = [i for i, d in enumerate(digests) if first_of[d] == i and stored[i] is None]
        redacted = sum((found[i] for i in new), Counter())
        summary: dict[str, Any] = {
            "results": [], "messages_read": len(keyed), "messages_new": len(new), "dropped": 0, "warnings": [],
            "redacted": {},
        }
        if not new:
            return summary
        fresh = [keyed[i] for i in new]
        if infer:
            extracted = self.extractor.extract(fresh, default_name=speaker_name(self.store, scope))
            facts = extracted.facts + stored_corrections(self.store, fresh, extracted.facts, scope)
            summary["dropped"], summary["warnings"] = extracted.dropped, list(extracted.warnings)
            for warning in extracted.warnings:
                logger.warning(warning)
            if self.settings.secrets == "redact":
                facts, in_facts, secret_only = redact_facts(facts)
                redacted += in_facts
                summary["dropped"] += secret_only
        else:
            facts = [
                Fact(text=m.content.strip(), source_ids=(m.id,), said_at=m.created_at, speaker=m.name)
                for m in fresh
                if m.id
            ]
        turn_texts = writing.turn_texts_before_storing(self.store, fresh, scope)
        vectors = self.embedder.embed_documents([f.text for f in facts] + turn_texts)
        fact_vectors = vectors[: len(facts)]
        turn_vectors = dict(zip(new, zip(turn_texts, vectors[len(facts) :])))
        with self.store.write_lock():
            self.store.check_model(self.embedder.model_id, record=True)
            self.repair()
            at = now_iso()
            with self.store.transaction():
                pks, touched = writing.store_turns(
                    self.store, self.embedder.embed_documents, keyed, digests, legacy, turn_vectors, scope,
                    metadata or {}, at,
                )
                if not infer:  # one memory per message stored now (another writer may have stored it first),
                    # unless it said nothing but a secret (its turn is kept, redacted)
                    kept = [i for i, f in enumerate(facts) if pks[f.source_ids[0]] in touched and not placeholder_only(f.text)]
                    facts, fact_vectors = [facts[i] for i in kept], [fact_vectors[i] for i in kept]
                checker = FactChecker(self.store, self.settings.update_policy == "prefer-latest") if infer else None
                results, fact_touched = writing.store_facts(
                    self.store, checker, self._extractor if infer else None,
                    facts, fact_vectors, scope, metadata or {}, at, pks,
                )
                if redacted:
                    self.store.count_redacted(redacted)
                if expires_at:
                    self.store.set_expiry([r["id"] for r in results if r["event"] in ("ADD", "UPDATE")], expires_at)
            self.store.index({**touched, **fact_touched}, self.embedder.dimensions)
        summary["results"], summary["redacted"] = results, dict(redacted)
        return summary

    # -- search and read ----------------------------------------------------
    def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: dict[str, Any] | str | None = None,
        limit: int | None = None,
        threshold: float | None = None,
        memory_type: str | None = None,
        rank: RankSettings | dict[str, float] | None = None,
        explain: bool = False,
        top_k: int | None = None,
        rerank: bool = False,
        show_expired: bool = False,
        graph: bool | None = None,
    ) -> dict[str, list[MemoryItem]]:
        """Facts and conversation turns most relevant to `query`, best first.

        Vector and keyword search are fused and lifted (see `mem0cli.ranking` for the
        score); `threshold` drops results whose cosine similarity to the query is below
        it; `memory_type` is "fact" or "message" to return only one of them; `explain`
        adds the parts of each score. `limit` defaults to 10; `top_k` is Mem0 2.x's name for
        it, and `rerank=True` is refused (no reranker is configured). `graph`: blend in the
        graph (entities the query names pull in the memories behind their relations, see
        `mem0cli.graph.search`); None: the settings' default (`Settings.graph`).
        """
        if not isinstance(check_text(query, "the search query"), str) or not query.strip():
            raise InputError("the search query is empty")
        limit = pick_limit(limit, top_k, 10)
        check_rerank(rerank)
        if isinstance(rank, dict):
            unknown = sorted(set(rank) - set(RankSettings.__dataclass_fields__))
            if unknown:
                raise InputError(f"rank has unknown weights: {', '.join(unknown)}")
            rank = RankSettings(**rank)
        if memory_type not in (None, "fact", "message"):
            raise InputError("memory_type must be fact or message")
        tree = build_filter(user_id, agent_id, run_id, filters)
        if memory_type:
            only = flt.Cond("memory_type", "eq", memory_type)
            tree = only if tree is None else flt.And((tree, only))
        if not show_expired:
            tree = self.live(tree)
        store = self.store
        if store.is_empty():
            return {"results": []}
        store.check_model(self.embedder.model_id)
        store.refresh()  # a long-lived Memory sees what other writers committed since
        # while the query is embedded: keyword search and the graph's list (each on a
        # connection of its own), and the vectors of a small filter's rows (one user's,
        # say), searched exactly once it is
        worker = self._worker()
        prefetch = worker.submit(store.prefetch, tree)  # needed first
        keyword = worker.submit(store.keyword_candidates, query, tree, search_mod.candidates_wanted(limit))
        blend = self.settings.graph if graph is None else bool(graph)
        scope = {k: v for k, v in (("user_id", user_id), ("agent_id", agent_id), ("run_id", run_id)) if v}
        drawn = worker.submit(graph_hits, store.graph_reader(), query, scope) if blend else None
        vectors = search_mod.QueryVectors(self.embedder.embed_query, query)
        vectors.guessed()  # embedded meanwhile
        prefetch.result()  # its rows, or its error
        hits = drawn.result() if drawn is not None else None
        ranked, rows, sources = search_mod.rank(
            store, vectors, query, tree, limit, rank or RankSettings(), threshold, keyword, hits
        )
        fact_keys = [r.key for r in ranked if r.kind == "fact"]
        evidence = store.sources_of(fact_keys)
        items = []
        for result in ranked:
            row = rows[result.key]
            if result.kind == "fact":
                item = memory_item(row, evidence.get(result.key, []))
                item["evidence"] = [message_item(m) for m in evidence.get(result.key, [])]
            else:
                item = turn_item(row)
            item["score"] = round(result.score, 6)
            item["similarity"] = None if result.similarity is None else round(result.similarity, 6)
            if explain:
                item["explain"] = result.explain()
            items.append(item)
        return {"results": items}

    def graph(
        self,
        entity: str | None = None,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        depth: int = 1,
    ) -> dict[str, Any]:
        """The relations within `depth` hops (1-3) of the entity named `entity` (a name or
        alias, any case), or every relation of the scope: {"entities", "relations"}, each
        relation with its valid_from / valid_until and the facts and turns it came from.
        An unknown entity raises EntityNotFoundError ("no entity named ...")."""
        if entity is not None:
            check_text(entity, "entity")
        scope = {k: v for k, v in (("user_id", user_id), ("agent_id", agent_id), ("run_id", run_id)) if v}
        if not self.store.exists():
            if entity is not None:
                raise EntityNotFoundError(f"no entity named {entity!r}")
            return {"entities": [], "relations": []}
        return graph_view(self.store.graph, entity, scope, depth)

    def get(self, memory_id: str) -> MemoryItem | None:
        """One memory with its source messages (text and time), or None."""
        check_text(memory_id, "memory id")
        row = self.store.rows([str(memory_id)]).get(str(memory_id))
        if row is None:
            turn = self.store.turns([str(memory_id)]).get(str(memory_id))
            return None if turn is None else turn_item(turn)
        item = self._items([row])[0]
        item["evidence"] = [message_item(m) for m in self.store.sources_of([row.id]).get(row.id, [])]
        return item

    def expand_id(self, prefix: str) -> str:
        """The full id of the one memory or turn whose id starts with `prefix` (at least 6 characters)."""
        if len(prefix) < 6:
            raise InputError(f"id {prefix!r} is too short: give at least 6 characters")
        found = self.store.ids_starting(prefix)
        if not found:
            raise NotFoundError(f"no memory with id {prefix}")
        if len(found) > 1 and prefix not in found:
            raise InputError(f"id {prefix} is ambiguous: give more characters")
        return prefix if prefix in found else found[0]

    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: dict[str, Any] | str | None = None,
        limit: int | None = None,
        top_k: int | None = None,
        show_expired: bool = False,
    ) -> dict[str, list[MemoryItem]]:
        """Memories in the scope and filters, newest first (`limit`, or Mem0 2.x's `top_k`: 100);
        those past their expiration_date only with `show_expired`."""
        limit = pick_limit(limit, top_k, 100)
        tree = build_filter(user_id, agent_id, run_id, filters)
        tree = tree if show_expired else self.live(tree)
        return {"results": self._items(self.store.select(tree, limit=limit))}

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        """The events of one memory, oldest first (ADD, UPDATE, DELETE)."""
        check_text(memory_id, "memory id")
        return [e.as_dict() for e in self.store.history([str(memory_id)]).get(str(memory_id), [])]

    def _items(self, rows: list[MemoryRecord]) -> list[MemoryItem]:
        sources = self.store.sources_of([r.id for r in rows])
        return [memory_item(r, sources.get(r.id, [])) for r in rows]

    # -- change and delete -----------------------------------------------------
    def update(self, memory_id: str, data: str) -> dict[str, str]:
        """Replace a memory's text; the old text stays in its history."""
        check_text(memory_id, "memory id")
        if not isinstance(check_text(data, "memory text"), str) or not data.strip():
            raise InputError("the new memory text is empty")
        text = data.strip()
        found = redact(text) if self.settings.secrets == "redact" else None
        if found is not None and found.found:
            text = found.text
        vector = self.embedder.embed_documents([text])[0]
        store = self.store
        with store.write_lock():
            row = store.rows([memory_id]).get(memory_id)
            if row is None:
                raise NotFoundError(f"no memory with id {memory_id}")
            store.check_model(self.embedder.model_id, record=True)
            at = now_iso()
            with store.transaction():
                store.set_memory_text(memory_id, text, fact_hash(text), search_text(text, row.said_at), at)
                writing.redraw_graph(store, row, text, row.speaker, row.said_at)
                store.add_history(HistoryEvent(
                    memory_id=memory_id, event="UPDATE", old_memory=row.memory, new_memory=text,
                    actor="api", created_at=at,
                ))
                if found is not None and found.found:
                    store.count_redacted(found.counts)
            store.index({memory_id: vector}, self.embedder.dimensions)
        return {"message": "Memory updated successfully!", "id": memory_id}

    def delete(self, memory_id: str) -> dict[str, str]:
        """Delete one memory (or one stored turn) from both stores; history records the deletion."""
        check_text(memory_id, "memory id")
        if self.store.rows([memory_id]):
            self.erase([memory_id], {"id": memory_id}, reason="delete")
        elif self.store.turns([memory_id]):
            self.erase([], {"id": memory_id}, reason="delete message", turn_pks=[memory_id])
        else:
            raise NotFoundError(f"no memory with id {memory_id}")
        return {"message": "Memory deleted successfully!", "id": memory_id}

    def delete_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: dict[str, Any] | str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Delete every memory in a scope or filter (one is required), and the scope's messages."""
        tree = build_filter(user_id, agent_id, run_id, filters)
        if tree is None:
            raise InputError("delete_all needs a scope (user_id, agent_id, run_id) or filters")
        rows = self.store.select(tree)
        scope = {k: v for k, v in (("user_id", user_id), ("agent_id", agent_id), ("run_id", run_id)) if v}
        if filters:
            scope["filters"] = filters if isinstance(filters, dict) else json.loads(filters)
        if not dry_run:
            self.erase([r.id for r in rows], scope, reason="delete_all", turns_matching=tree)
        return {"message": f"{len(rows)} memories deleted", "deleted": len(rows), "ids": [r.id for r in rows]}

    def erase(
        self, ids: list[str], scope: dict[str, Any], reason: str,
        turns_matching: flt.Filter | None = None, turn_pks: list[str] | None = None,
    ) -> None:
        """Erase memories, the turns no remaining memory uses, the turns matching
        `turns_matching` and the given turns; then compact (`Store.erase`). The turns after
        erased ones get their new vectors now (a few texts: no torch); with a model other
        than the store's, they stay unindexed for `reindex` to finish."""
        self.store.erase(ids, scope, reason, turns_matching=turns_matching, turn_pks=turn_pks or [], at=now_iso())
        try:
            self.repair()
        except (StoreError, ModelError):
            pass

    def compact(self) -> None:
        """Make deleted text leave the disk (`Store.compact`)."""
        self.store.compact()

    def reset(self) -> None:
        """Delete every memory, message and history record in the store."""
        self.store.reset()

    # -- stats ---------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Counts of memories, messages and users, and the models used."""
        store = self.store
        if not store.exists():
            raise StoreError(f"no store at {store.location}")
        return {
            "path": store.location, **asdict(store.counts()),
            "secrets_redacted": store.redacted_counts(),
            "embed_model": store.get_meta("embed_model"),
            "schema_version": store.schema_version, "graph": store.graph.counts(),
        }
