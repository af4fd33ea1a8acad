"""Move a store to another backend: export from one, import into the other, in batches.

The source is read from one snapshot (`backup.export_records`, vectors included) and
validated as `import` validates a file; the target receives the turns in the order they
were stored, then the memories (with their sources and history), then the deletion
records and tombstones, each batch in its own transaction. Import skips what the target
already holds, so a migration cut short resumes when it is run again. Vectors made by the
same embedding model are copied, not recomputed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from .backup import ImportPlan, apply_import, export_records, read_import
from .memory import Memory

BATCH = 500


def migrate(source: Memory, target: Memory, *, on_progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Copy every turn, memory, deletion record and tombstone of `source` into `target`;
    returns {"memories", "messages", "added", "skipped"}. `on_progress(n)`: n more records done."""
    plan = planned(source)
    added = skipped = 0
    empty = replace(plan, messages=[], memories=[], deletions=[], tombstones=[])
    for start in range(0, len(plan.messages), BATCH):
        batch = plan.messages[start : start + BATCH]
        apply_import(target, replace(empty, messages=batch))
        if on_progress:
            on_progress(len(batch))
    for start in range(0, len(plan.memories), BATCH):
        batch = plan.memories[start : start + BATCH]
        result = apply_import(target, replace(empty, memories=batch))
        added, skipped = added + result["added"], skipped + result["skipped"]
        if on_progress:
            on_progress(len(batch))
    if plan.deletions or plan.tombstones:
        apply_import(target, replace(empty, deletions=plan.deletions, tombstones=plan.tombstones))
    return {"memories": len(plan.memories), "messages": len(plan.messages), "added": added, "skipped": skipped}


def planned(source: Memory) -> ImportPlan:
    """The source store as a validated import plan (what `export --with-vectors | import` reads)."""
    records = export_records(source, with_vectors=True)
    return read_import("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode())

