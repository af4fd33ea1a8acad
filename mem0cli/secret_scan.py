"""`doctor --scan-secrets`: find secrets in a store written before redaction (or with `keep`),
and `--redact`: rewrite them in place, re-embed what changed, and compact so they leave the disk."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from .checks import fact_hash
from .items import stored_message_digest
from .memory import Memory, now_iso
from .redact import Redaction, redact
from .search import search_text
from .store.facts import FactStore


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
    for place, found in _findings(memory.facts):
        result.counts += found.counts
        result.places.append(place)
    return result


def redact_store(memory: Memory) -> SecretScan:
    """Rewrite every text holding a secret with its placeholders, under the write lock; then
    re-embed the changed rows (and the turns indexed with a changed turn) and compact."""
    result = SecretScan()
    with memory.write_lock():
        facts = memory.facts
        with facts.transaction():
            stored: Counter = Counter()  # in memories and turns; history holds copies of them
            changed_turns = []
            for (table, key, column), found in list(_findings(facts)):
                result.counts += found.counts
                result.places.append((table, key, column))
                if table == "history":
                    facts.rewrite_history(key, column, found.text)
                    continue
                stored += found.counts
                if table == "memories":
                    row = facts.get_rows([key])[key]
                    facts.update_memory(key, memory=found.text, hash=fact_hash(found.text), indexed=0, updated_at=now_iso())
                    facts.reindex_text(key, search_text(found.text, row["said_at"]))
                else:
                    row = facts.get_messages([key])[key]
                    facts.rewrite_message(
                        key, found.text, stored_message_digest(row, found.text),
                        search_text(found.text, row["said_at"], row["name"] or row["role"]),
                    )
                    changed_turns.append(key)
            if not result.found:
                return result
            facts.mark_unindexed(facts.next_turns(changed_turns))  # their vectors carry a changed turn's start
            facts.count_redacted(stored)
        memory.repair_index()
        memory.compact()
    return result


def _findings(facts: FactStore) -> Iterator[tuple[tuple[str, str, str], Redaction]]:
    """((table, key, column), its redaction) for each stored text that holds a secret."""
    for table, key, column, text in facts.stored_texts():
        found = redact(text)
        if found.found:
            yield (table, key, column), found
