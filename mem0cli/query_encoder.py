"""Search queries embedded in numpy: a BERT sentence-transformers model without torch.

A search embeds one short query. Through sentence-transformers that costs importing
torch, transformers and sentence-transformers (most of a `mem0cli search` process's
start-up) and, in a long-lived process, torch's worker threads spinning beside the
vector search. This module runs the same model's forward pass in numpy over its
`model.safetensors` (memory-mapped) and `tokenizer.json`, giving the same vectors
(tests compare them with sentence-transformers' to 1e-5).

Only the plain shape is handled: a BERT encoder (absolute positions, GELU), mean
pooling, then unit length. `QueryEncoder.supports(path)` says whether a model directory
has that shape; any other model is embedded by sentence-transformers alone.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any

import numpy as np

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
_DTYPES = {"F32": np.float32, "I64": np.int64}


class QueryEncoder:
    """One BERT sentence-transformers model, forward pass in numpy, for single texts."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer

        if not self.supports(path):
            raise ValueError(f"{path} is not a BERT model with mean pooling and normalisation")
        config = json.loads((path / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dimensions = int(config["hidden_size"])
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(_max_length(path, config))
        self.tokenizer.no_padding()
        w = _bert_weights(_read_safetensors(path / "model.safetensors"))
        self._word = w["embeddings.word_embeddings.weight"]  # rows picked per query: stays mapped
        self._position = w["embeddings.position_embeddings.weight"]
        self._token_type = np.asarray(w["embeddings.token_type_embeddings.weight"][0], np.float32)
        self._embed_norm = _norm(w, "embeddings.LayerNorm")
        self._blocks = [_block(w, f"encoder.layer.{i}.") for i in range(self.layers)]
        self._threads = _blas_threads()

    @staticmethod
    def supports(path: Path) -> bool:
        """True for a local sentence-transformers directory this encoder reproduces exactly."""
        try:
            modules = json.loads((path / "modules.json").read_text())
            config = json.loads((path / "config.json").read_text())
            kinds = [m["type"] for m in sorted(modules, key=lambda m: m["idx"])]
            pooling_dir = next(m["path"] for m in modules if m["type"] == _POOLING)
            pooling = json.loads((path / pooling_dir / "config.json").read_text())
        except (OSError, ValueError, KeyError, StopIteration, TypeError):
            return False
        modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
        return (
            kinds == [_TRANSFORMER, _POOLING, _NORMALIZE]
            and modes == {"pooling_mode_mean_tokens"}
            and config.get("model_type") == "bert"
            and config.get("hidden_act") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and (path / "model.safetensors").is_file()
            and (path / "tokenizer.json").is_file()
            and _float32_tensors(path / "model.safetensors")
            and not _prompts(path)
            and _lower_casing_agrees(path)
        )

    def encode(self, text: str) -> list[float]:
        """The unit-length embedding of `text`."""
        # One BLAS thread: the matrices of one query are too small to share, and a second
        # thread only waits on the other core (twice as slow on a busy two-core machine).
        with _BLAS_LOCK, self._threads.limit(limits=1, user_api="blas"):  # the limit is process-wide
            return self._encode(text)

    def _encode(self, text: str) -> list[float]:
        ids = np.asarray(self.tokenizer.encode(text).ids)
        x = self._word[ids] + self._position[: len(ids)] + self._token_type
        x = _layer_norm(x, *self._embed_norm, self.eps)
        n, d = x.shape
        heads, size = self.heads, d // self.heads
        scale = 1.0 / math.sqrt(size)
        for b in self._blocks:
            qkv = x @ b["qkv"] + b["qkv_bias"]
            q, k, v = (qkv[:, i * d : (i + 1) * d].reshape(n, heads, size).transpose(1, 0, 2) for i in range(3))
            scores = (q @ k.transpose(0, 2, 1)) * scale
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, d)
            x = _layer_norm(context @ b["out"] + b["out_bias"] + x, *b["norm1"], self.eps)
            hidden = _gelu(x @ b["up"] + b["up_bias"])
            x = _layer_norm(hidden @ b["down"] + b["down_bias"] + x, *b["norm2"], self.eps)
        pooled = x.mean(0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32).tolist()


_BLAS_LOCK = threading.Lock()


def _float32_tensors(path: Path) -> bool:
    """Whether every weight of a safetensors file is float32, the dtype this module computes
    in (integer buffers such as position ids aside)."""
    try:
        with open(path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(size))
    except (OSError, ValueError):
        return False
    return all(info.get("dtype") in ("F32", "I64") for name, info in header.items() if name != "__metadata__")


def _prompts(path: Path) -> bool:
    """Whether sentence-transformers would prepend a prompt to the texts."""
    try:
        config = json.loads((path / "config_sentence_transformers.json").read_text())
    except (OSError, ValueError):
        return False
    return bool(config.get("default_prompt_name")) or any((config.get("prompts") or {}).values())


def _lower_casing_agrees(path: Path) -> bool:
    """Whether tokenizer.json lower-cases exactly when the model's configs ask for it."""
    try:
        normalizer = json.loads((path / "tokenizer.json").read_text()).get("normalizer") or {}
    except (OSError, ValueError):
        return False
    lowers = bool(normalizer.get("lowercase"))
    for name in ("sentence_bert_config.json", "tokenizer_config.json"):
        try:
            asked = json.loads((path / name).read_text()).get("do_lower_case")
        except (OSError, ValueError):
            continue
        if asked and not lowers:
            return False
    return True


def _blas_threads() -> Any:
    """A controller of the BLAS thread pools loaded in this process (scanned once)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _max_length(path: Path, config: dict[str, Any]) -> int:
    """sentence-transformers' max_seq_length, bounded by the position table."""
    try:
        length = int(json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        length = 512
    return min(length, int(config.get("max_position_embeddings", 512)))


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file as read-only views of one memory map."""
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"unsupported tensor type {info['dtype']}")
        start, end = info["data_offsets"]
        tensors[name] = data[start:end].view(dtype).reshape(info["shape"])
    return tensors


def _bert_weights(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Weights by their BertModel names (a "bert." prefix, as in some exports, removed)."""
    return {name.removeprefix("bert."): t for name, t in tensors.items()}


def _block(w: dict[str, np.ndarray], p: str) -> dict[str, Any]:
    """One encoder layer's weights, transposed and contiguous, query/key/value fused."""

    def t(name: str) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(w[name], np.float32).T)

    def b(name: str) -> np.ndarray:
        return np.asarray(w[name], np.float32)

    a = p + "attention."
    return {
        "qkv": np.ascontiguousarray(np.concatenate([t(f"{a}self.{x}.weight") for x in ("query", "key", "value")], 1)),
        "qkv_bias": np.concatenate([b(f"{a}self.{x}.bias") for x in ("query", "key", "value")]),
        "out": t(a + "output.dense.weight"), "out_bias": b(a + "output.dense.bias"),
        "norm1": _norm(w, a + "output.LayerNorm"),
        "up": t(p + "intermediate.dense.weight"), "up_bias": b(p + "intermediate.dense.bias"),
        "down": t(p + "output.dense.weight"), "down_bias": b(p + "output.dense.bias"),
        "norm2": _norm(w, p + "output.LayerNorm"),
    }


def _norm(w: dict[str, np.ndarray], prefix: str) -> tuple[np.ndarray, np.ndarray]:
    # older checkpoints name LayerNorm parameters gamma/beta
    weight = w.get(prefix + ".weight", w.get(prefix + ".gamma"))
    bias = w.get(prefix + ".bias", w.get(prefix + ".beta"))
    return np.asarray(weight, np.float32), np.asarray(bias, np.float32)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(-1, keepdims=True)
    return centered / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, as BERT's "gelu"; erf by Abramowitz & Stegun 7.1.26 (error 1.5e-7)."""
    a = np.abs(x) * (1.0 / math.sqrt(2.0))
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    erf = 1.0 - poly * np.exp(-a * a)
    return 0.5 * x * (1.0 + np.copysign(erf, x))
