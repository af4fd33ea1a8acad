"""`doctor --scan-secrets`: find secrets in a store written before redaction (or with `keep`),
and `--redact`: rewrite them in place, re-embed what changed, and compact so they leave the disk."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .checks import fact_hash
from .items import stored_message_digest
from .memory import Memory, now_iso
from .redact import redact
from .search import search_text


def _counted(result: SecretScan) -> Counter:
    """Secrets in memories and turns; history's copies of the same texts are not counted again."""
    counts: Counter = Counter()
    for table, key, column in result.places:
        if table != "history":
            counts += result.by_place[(table, key, column)]
    return counts


@dataclass
class SecretScan:
    """Where secrets sit in a store: counts by type, and the rows (table, key, column) holding them."""

    counts: Counter = field(default_factory=Counter)
    places: list[tuple[str, str, str]] = field(default_factory=list)
    by_place: dict[tuple[str, str, str], Counter] = field(default_factory=dict)

    @property
    def found(self) -> int:
        return sum(self.counts.values())


def scan(memory: Memory) -> SecretScan:
    """Every stored memory, turn and history text, checked for secrets (values are never kept)."""
    result = SecretScan()
    for table, key, column, text in memory.facts.stored_texts():
        found = redact(text)
        if found.found:
            result.counts += found.counts
            result.places.append((table, key, column))
            result.by_place[(table, key, column)] = found.counts
    return result


def redact_store(memory: Memory) -> SecretScan:
    """Rewrite every text holding a secret with its placeholders, under the write lock; then
    re-embed the changed rows (and the turns indexed with a changed turn) and compact."""
    with memory.write_lock():
        result = scan(memory)
        if not result.found:
            return result
        facts = memory.facts
        with facts.transaction():
            changed_turns = []
            for table, key, column in result.places:
                if table == "memories":
                    row = facts.get_rows([key])[key]
                    text = redact(row["memory"]).text
                    facts.update_memory(key, memory=text, hash=fact_hash(text), indexed=0, updated_at=now_iso())
                    facts.reindex_text(key, search_text(text, row["said_at"]))
                elif table == "messages":
                    row = facts.get_messages([key])[key]
                    text = redact(row["content"]).text
                    facts.rewrite_message(
                        key, text, stored_message_digest(row, text),
                        search_text(text, row["said_at"], row["name"] or row["role"]),
                    )
                    changed_turns.append(key)
                else:
                    event = facts.query("SELECT * FROM history WHERE id = ?", [int(key)])[0]
                    facts.rewrite_history(key, column, redact(event[column]).text)
            facts.mark_unindexed(facts.next_turns(changed_turns))  # their vectors carry a changed turn's start
            facts.count_redacted(_counted(result))
        memory.repair_index()
        memory.compact()
    return result
