"""mem0cli: an offline memory layer for LLM chat (facts from transcripts, local search)."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    FilterError,
    InputError,
    Mem0cliError,
    ModelError,
    NotFoundError,
    StoreError,
    TranscriptError,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .async_memory import AsyncMemory
    from .memory import Memory


def __getattr__(name: str):
    """`Memory` and `AsyncMemory` load on first use, so the CLI's server client path stays light."""
    if name == "Memory":
        from .memory import Memory

        return Memory
    if name == "AsyncMemory":
        from .async_memory import AsyncMemory

        return AsyncMemory
    raise AttributeError(f"module 'mem0cli' has no attribute {name!r}")

__all__ = [
    "Memory",
    "AsyncMemory",
    "Mem0cliError",
    "InputError",
    "TranscriptError",
    "FilterError",
    "NotFoundError",
    "ModelError",
    "StoreError",
    "__version__",
]
