"""mem0cli's command line with a stand-in for the bundled embedding model.

The same Typer app, Memory and stores; only the embedder is replaced, by a
deterministic one that carries the bundled model's id and dimension and needs no
torch. Tests use it to start many processes, or kill them, without paying for a
model load each time; the stores it writes are the ones the real CLI reads.

    python -m tests.helpers.stand_in_cli add -u alice --no-infer < chat.json
"""

from __future__ import annotations

from mem0cli import Memory, cli, entry
from tests.fakes import FakeEmbedder, ScriptedExtractor

BUNDLED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


class StandInMiniLM(FakeEmbedder):
    """Hashed-word vectors under the bundled model's id and dimension."""

    model_id = BUNDLED_MODEL_ID
    dimensions = 384


def open_memory(store):
    return Memory(path=store, embedder=StandInMiniLM(), extractor=ScriptedExtractor())


if __name__ == "__main__":
    cli.state.make_memory = open_memory
    entry.main()
