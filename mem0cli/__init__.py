"""mem0cli: an offline memory layer for LLM chat (facts from transcripts, local search)."""

from __future__ import annotations

__version__ = "0.1.0"

from .async_memory import AsyncMemory  # noqa: E402
from .errors import (  # noqa: E402
    FilterError,
    InputError,
    Mem0cliError,
    ModelError,
    NotFoundError,
    StoreError,
    TranscriptError,
)
from .memory import Memory  # noqa: E402

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
