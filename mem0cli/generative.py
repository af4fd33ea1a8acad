"""Generative extraction: an instruction-tuned model you bring writes the facts.

Used when `MEM0CLI_LLM_MODEL` names a GGUF with a chat template (an instruct model), or
`MEM0CLI_LLM_URL` names an OpenAI-compatible server on this machine (endpoint.py); the
bundled 270M base model keeps the judge design (extract.LlamaCppExtractor).

Per window of up to six messages, one chat call: the model's own chat template, a
system prompt and few-shot examples (prompts.GENERATIVE_*), and the reply constrained
to FACTS_SCHEMA, a JSON object holding a list of short strings: a llama.cpp grammar
built from the schema, or the endpoint's `response_format`. Output that is not that
object anyway (a server that ignores the schema, a reply cut off) raises ModelError,
as does a model that fails to load or answer: nothing is stored for that add.
The facts written then go through the default path's checks (extract._CandidateExtractor):
well-formedness, grounding in the user's own words, redundancy and the per-message cap;
Memory then applies the same duplicate and supersede checks.
"""

from __future__ import annotations

import atexit
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from . import prompts
from .candidates import Candidate, display_name
from .config import Settings
from .errors import InputError, ModelError
from .extract import Extractor, LlamaCppExtractor, _CandidateExtractor, _content_words, _stem
from .models import Message

MAX_FACTS_PER_WINDOW = 10
MAX_FACT_CHARS = 200
MAX_TOKENS = 2560  # the longest reply the grammar allows (10 x 200 characters in JSON), at about a token a character
FACTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "facts": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": MAX_FACT_CHARS},
            "maxItems": MAX_FACTS_PER_WINDOW,
        }
    },
    "required": ["facts"],
    "additionalProperties": False,
}


# FACTS_SCHEMA as a llama.cpp grammar, written out rather than converted: the converter's
# string rule lets raw control characters (a newline) into a string, which is not JSON.
# Escapes are limited to \" \\ \/ for the same reason (no \u0000).
FACTS_GRAMMAR = rf"""root ::= "{{" ws "\"facts\"" ws ":" ws "[" ws (fact (ws "," ws fact){{0,{MAX_FACTS_PER_WINDOW - 1}}})? ws "]" ws "}}"
fact ::= "\"" char{{1,{MAX_FACT_CHARS}}} "\""
char ::= [^"\\\x00-\x1F\x7F] | "\\" ["\\/]
ws ::= " "?
"""


class ChatModel(Protocol):
    """A model that answers chat messages with text following a JSON schema."""

    model_id: str

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any], *, max_tokens: int) -> str:
        """The reply's text; raises ModelError when the model cannot answer."""
        ...


def parse_fact_list(raw: str) -> list[str]:
    """The facts in a reply that follows FACTS_SCHEMA; ModelError for anything else.

    Strict on purpose: the grammar or schema made any other reply impossible, so one
    is a fault to report, not text to guess facts from.
    """
    try:
        data = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"the model's reply is not the JSON fact list it was constrained to: {str(raw)[:80]!r}") from exc
    facts = data.get("facts") if isinstance(data, dict) else None
    if not isinstance(facts, list) or not all(isinstance(f, str) for f in facts):
        raise ModelError(f"the model's reply is not a list of facts: {str(raw)[:80]!r}")
    return [f.strip() for f in facts if f.strip()]


class LlamaChatModel:
    """An instruction-tuned GGUF through llama-cpp-python: its chat template, a JSON-schema grammar.

    `llm` is an object with llama_cpp.Llama's `create_chat_completion` (the loaded model,
    or a stand-in in tests); without one, `path` is loaded on the first call.
    """

    def __init__(self, path: Path, *, llm: Any = None, n_ctx: int = 6144, n_threads: int | None = None) -> None:
        from .llm import gguf_chat_template, model_id_for

        self.path = path
        if llm is None and not gguf_chat_template(path):
            raise ModelError(
                f"{path.name} has no chat template, so it is not an instruction-tuned model; generative "
                "extraction needs one (set MEM0CLI_LLM_MODEL to an instruct GGUF, or MEM0CLI_EXTRACTION=judge)"
            )
        self.model_id = model_id_for(path) if llm is None else f"{path.name}@scripted"
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self._llm = llm
        self._grammar: Any = None

    def grammar(self, schema: dict[str, Any]) -> Any:
        """The llama.cpp grammar that only lets the model write JSON following `schema` (FACTS_GRAMMAR)."""
        if schema != FACTS_SCHEMA:
            raise ValueError("LlamaChatModel writes FACTS_SCHEMA only (its grammar is FACTS_GRAMMAR)")
        if self._grammar is None:
            from llama_cpp import LlamaGrammar

            self._grammar = LlamaGrammar.from_string(FACTS_GRAMMAR, verbose=False)
        return self._grammar

    def _loaded(self) -> Any:
        if self._llm is None:
            from .llm import load_llama

            self._llm = load_llama(self.path, n_ctx=self.n_ctx, n_threads=self.n_threads or os.cpu_count() or 1)
            atexit.register(self._llm.close)  # before the interpreter tears llama_cpp down
        return self._llm

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any], *, max_tokens: int) -> str:
        llm = self._loaded()
        try:
            reply = llm.create_chat_completion(
                messages=messages, grammar=self.grammar(schema), temperature=0.0, max_tokens=max_tokens
            )
            choice = reply["choices"][0]
            text = choice["message"]["content"]
        except (ValueError, RuntimeError, KeyError, IndexError, TypeError) as exc:
            raise ModelError(f"the model {self.path.name} failed to answer: {exc}") from exc
        if choice.get("finish_reason") == "length":
            raise ModelError(f"the model {self.path.name} ran out of tokens before finishing its fact list")
        return text or ""


@dataclass(frozen=True)
class _Line:
    """One message, or one part of a long one, as the model reads it."""

    index: int  # in the messages given to extract()
    message: Message
    speaker: str  # display name, or "Assistant"
    text: str


class GenerativeExtractor(_CandidateExtractor):
    """Facts written by a ChatModel, then checked like the judge's candidates."""

    prompt_version = prompts.GENERATIVE_PROMPT_VERSION

    def __init__(self, model: ChatModel, *, max_facts_per_message: int = 6, window_messages: int = 6,
                 window_chars: int = 3000) -> None:
        super().__init__(max_facts_per_message=max_facts_per_message)
        self.model = model
        self.window_messages = window_messages
        self.window_chars = window_chars

    @property
    def model_id(self) -> str:  # type: ignore[override]
        return self.model.model_id

    def _candidates(self, messages: list[Message], default_name: str | None) -> list[Candidate]:
        out: list[Candidate] = []
        for window in self._windows(messages, default_name):
            users = [line for line in window if line.message.role == "user"]
            if not users:
                continue
            reply = self.model.complete(self.chat(window), FACTS_SCHEMA, max_tokens=MAX_TOKENS)
            out += [self._candidate(text, users) for text in parse_fact_list(reply)]
        return out

    def _score(self, candidates: list[Candidate], messages: list[Message]) -> list[tuple[Candidate, float]]:
        return [(c, 1.0) for c in candidates]

    def _threshold(self, candidate: Candidate, peer: bool) -> float:
        return 0.0

    # -- the prompt -------------------------------------------------------------------

    def chat(self, window: list[_Line]) -> list[dict[str, str]]:
        """System prompt, few-shot turns, then the window as one user turn."""
        chat = [{"role": "system", "content": prompts.GENERATIVE_SYSTEM}]
        for shown, facts in prompts.GENERATIVE_EXAMPLES:
            chat.append({"role": "user", "content": shown})
            chat.append({"role": "assistant", "content": json.dumps({"facts": facts}, ensure_ascii=False)})
        names = list(dict.fromkeys(line.speaker for line in window if line.message.role == "user"))
        dates = [line.message.created_at for line in window if line.message.created_at]
        date = dates[-1][:10] if dates else datetime.now(timezone.utc).date().isoformat()
        transcript = "\n".join(f"{line.speaker}: {line.text}" for line in window)
        shown = prompts.GENERATIVE_WINDOW.format(date=date, names=" and ".join(names), transcript=transcript)
        chat.append({"role": "user", "content": shown})
        return chat

    def _windows(self, messages: list[Message], default_name: str | None) -> list[list[_Line]]:
        """Runs of up to `window_messages` lines and about `window_chars` characters."""
        lines: list[_Line] = []
        for i, m in enumerate(messages):
            if m.role not in ("user", "assistant") or not m.content.strip():
                continue
            speaker = display_name(m.name or default_name) if m.role == "user" else "Assistant"
            lines += [_Line(i, m, speaker, part) for part in _parts(m.content.strip(), self.window_chars)]
        windows: list[list[_Line]] = []
        current: list[_Line] = []
        for line in lines:
            size = sum(len(x.text) for x in current) + len(line.text)
            if current and (len(current) >= self.window_messages or size > self.window_chars):
                windows.append(current)
                current = []
            current.append(line)
        return windows + ([current] if current else [])

    # -- from a written fact to a candidate --------------------------------------------

    @staticmethod
    def _candidate(text: str, users: list[_Line]) -> Candidate:
        """The fact as a candidate: its sources are the user lines that share its words
        (the best first), its grounding text all the user lines of the window."""
        stems = {_stem(w) for w in _content_words(text)}
        overlap = [len(stems & {_stem(w) for w in _content_words(line.text)}) for line in users]
        best = max(range(len(users)), key=lambda k: (overlap[k], -k))
        sources = [users[best]] + [line for k, line in enumerate(users) if overlap[k] and k != best]
        speaker = next((line.speaker for line in users if re.match(rf"{re.escape(line.speaker)}\b", text)),
                       users[best].speaker)
        ids = tuple(dict.fromkeys(line.message.id for line in sources if line.message.id))
        said = [line.message.created_at for line in sources if line.message.created_at]
        return Candidate(
            text=text, speaker=speaker, source_ids=ids, said_at=max(said) if said else None,
            source_text="\n".join(dict.fromkeys(line.text for line in users)), kind="generated",
            message_index=users[best].index,
        )


def _parts(text: str, limit: int) -> list[str]:
    """A long message in pieces of at most `limit` characters, cut between sentences where it can."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for sentence in re.split(r"(?<=[.!?\n])\s+", text):
        while len(sentence) > limit:
            parts += [current] if current else []
            current, parts = "", parts + [sentence[:limit]]
            sentence = sentence[limit:]
        if current and len(current) + 1 + len(sentence) > limit:
            parts.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
    return parts + ([current] if current else [])


# -- which extractor the settings ask for ------------------------------------------------


def choose_extractor(settings: Settings) -> Extractor:
    """The extractor `settings` name: generative for an endpoint or an instruct GGUF, else the judge.

    `settings.extraction` is "auto" (the default: generative when MEM0CLI_LLM_URL is set or
    MEM0CLI_LLM_MODEL names a GGUF with a chat template), "generative" or "judge".
    """
    from .endpoint import EndpointChatModel
    from .llm import gguf_chat_template, resolve_model_path

    mode = settings.extraction
    if settings.llm_url:
        if mode == "judge":
            raise InputError("MEM0CLI_EXTRACTION=judge needs a GGUF file; unset MEM0CLI_LLM_URL")
        model: ChatModel = EndpointChatModel(settings.llm_url, settings.llm_model, timeout=settings.llm_timeout,
                                             allow_remote=settings.llm_allow_remote)
        return GenerativeExtractor(model)
    threads = settings.llm_threads
    if mode == "judge" or (mode == "auto" and not settings.llm_model):
        return LlamaCppExtractor(settings.llm_model, n_threads=threads)
    path = resolve_model_path(settings.llm_model)
    if mode == "auto" and not gguf_chat_template(path):
        return LlamaCppExtractor(str(path), n_threads=threads)
    return GenerativeExtractor(LlamaChatModel(path, n_threads=threads))
