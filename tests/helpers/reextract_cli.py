"""mem0cli's command line with the stand-in embedder and a slow "better model" extractor.

Tests kill `reextract` run through it part way and resume it: each extract() takes
SECONDS, so a kill lands between scopes or inside one.

    python -m tests.helpers.reextract_cli reextract --resume
"""

from __future__ import annotations

import os
import time

from mem0cli import Memory, cli
from mem0cli.models import ExtractionResult, Fact, Message
from tests.helpers.stand_in_cli import StandInMiniLM

SECONDS = float(os.environ.get("TEST_EXTRACT_SECONDS", "0.5"))


class SlowBetterExtractor:
    """One fact per user turn, "<name> said <the turn>", after a pause."""

    model_id = "better@000000000002"
    prompt_version = "better-2"

    def extract(self, messages: list[Message], *, default_name: str | None = None) -> ExtractionResult:
        time.sleep(SECONDS)
        users = [m for m in messages if m.role == "user"]
        facts = [Fact(text=f"{(m.name or default_name or 'User').title()} said {m.content.rstrip('.')}",
                      source_ids=(m.id,), said_at=m.created_at, speaker=m.name or default_name)
                 for m in users if m.id]
        return ExtractionResult(facts=facts)


def open_memory(store):
    return Memory(path=store, embedder=StandInMiniLM(), extractor=SlowBetterExtractor())


if __name__ == "__main__":
    cli.state.make_memory = open_memory
    cli.main()
