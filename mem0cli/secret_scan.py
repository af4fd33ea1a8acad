"""`doctor --scan-secrets`: find secrets in a store written before redaction (or with `keep`),
and `--redact`: rewrite them in place, re-embed what changed, and compact so they leave the disk."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from .checks import fact_hash
from .graph.build import rebuild as rebuild_graph
from .items import stored_message_digest
from .memory import Memory, now_iso
from .redact import Redaction, redact
from .search import search_text
from .store.base import Store


@dataclass
class SecretScan:
    """Where secrets sit in a store: counts by type, and the rows (table, key, column) holding them."""

    counts: Counter = field(default_factory=Counter)
    places: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def found(self) -> int:
        return sum(self.counts.values())


def scan(memory: Memory) -> SecretScan:
    """Every stored memory, turn and history text, checked for secrets (values are never kept)."""
    result = SecretScan()
    for place, found in _findings(memory.store):
        result.counts += found.counts
        result.places.append(place)
    return result


def redact_store(memory: Memory) -> SecretScan:
    """Rewrite every text holding a secret with its placeholders, under the write lock; then
    re-embed the changed rows (and the turns indexed with a changed turn) and compact."""
    result = SecretScan()
    store = memory.store
    with store.write_lock():
        with store.transaction():
            stored: Counter = Counter()  # in memories and turns; history holds copies of them
            changed_turns = []
            for (table, key, column), found in list(_findings(store)):
                result.counts += found.counts
                result.places.append((table, key, column))
                if table == "history":
                    store.set_history_text(key, column, found.text)
                    continue
                stored += found.counts
                if table == "memories":
                    row = store.rows([key])[key]
                    text = found.text
                    store.set_memory_text(key, text, fact_hash(text), search_text(text, row.said_at), now_iso())
                else:
                    turn = store.turns([key])[key]
                    store.set_turn_text(
                        key, found.text, stored_message_digest(asdict(turn), found.text),
                        search_text(found.text, turn.said_at, turn.name or turn.role),
                    )
                    changed_turns.append(key)
            if not result.found:
                return result
            store.mark_unindexed(store.next_turns(changed_turns))  # their vectors carry a changed turn's start
            store.count_redacted(stored)
            rebuild_graph(store)  # names drawn from a secret leave the graph with it
        memory.repair()
        memory.compact()
    return result


def _findings(store: Store) -> Iterator[tuple[tuple[str, str, str], Redaction]]:
    """((table, key, column), its redaction) for each stored text that holds a secret."""
    for table, key, column, text in store.stored_texts():
        found = redact(text)
        if found.found:
            yield (table, key, column), found
