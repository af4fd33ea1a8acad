"""Fact extraction: the Extractor protocol, the llama.cpp extractor, and parse_facts().

Design (see bench/extraction.py for the figures):
1. candidates.py turns user messages into third-person clause candidates with
   deterministic rules (sentence/clause splitting, first person -> the speaker's
   name, relative dates resolved, questions/requests/small talk dropped);
2. grounding drops any candidate whose content words are not in its source
   messages (counted in `dropped`);
3. the model judges each remaining candidate: a few-shot "Lasting fact: yes/no"
   prompt whose fixed prefix is evaluated once and kept in the KV cache, the
   score being the logit of " yes" minus " no" for the next token. No text is
   generated, so a small base model cannot invent facts and one candidate costs
   about one short forward pass;
4. acceptance.py decides: a logistic model over that margin, the candidate's
   MiniLM embedding and a few general features gives the probability that a
   person would write the candidate down; kept at or above `threshold`
   (`peer_threshold` in a chat between peers, chat_style.py);
5. at most `max_facts_per_message` facts per message, best scores first;
6. wellformed.py repairs or drops what is not one standalone sentence, both
   before judging (so each part of a split predicate is judged alone) and as
   the last step of every path (`check_facts`), counted in `dropped`/`repaired`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from . import prompts
from .candidates import NAMED_RELATION, PETS, Candidate, build_candidates, display_name, normalise
from .chat_style import is_peer_chat
from .errors import InputError, ModelError
from .models import ExtractionResult, Fact, Message
from .wellformed import check, check_facts

if TYPE_CHECKING:
    from .acceptance import AcceptanceModel
    from .embed import Embedder
    from .llm import ScoringModel


class Extractor(Protocol):
    """Turns messages into candidate facts."""

    model_id: str  # e.g. "gemma3-270m-q4_k_m.gguf@1a2b3c4d"
    prompt_version: str

    def extract(self, messages: list[Message], *, default_name: str | None = None) -> ExtractionResult:
        """Facts stated in `messages`; default_name names a user who has no `name`."""
        ...


def parse_facts(raw: str, *, max_facts: int = 20) -> list[str]:
    """Facts from a model's raw text, defensively: a JSON list, or one fact per line.

    Malformed output (garbage, truncated JSON, repetition loops, nothing at all)
    yields an empty or short list rather than an exception.
    """
    if not isinstance(raw, str):
        return []
    text = raw.strip()
    if not text:
        return []
    match = re.search(r"\[.*\]", text, re.S)
    if match:
        try:
            data = json.loads(match.group(0))
        except json.JSONDecodeError:
            data = None
        if isinstance(data, list):
            return _clean_list([s for s in data if isinstance(s, str)], max_facts)
        if data is not None:
            return []
    if text.startswith(("[", "{")):
        return []  # truncated or broken JSON: nothing trustworthy in it
    facts = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s*", "", line).strip().strip('"').strip()
        if line and len(line) < 300 and not line.startswith(("{", "[", "<", "]", "}")):
            facts.append(line)
    return _clean_list(facts, max_facts)


def _clean_list(items: list[str], max_facts: int) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        item = item.strip()
        key = item.lower()
        if not item or len(item) > 300 or key in seen or not re.search(r"[A-Za-z]", item):
            continue
        seen.add(key)
        out.append(item)
    return out[:max_facts]


# -- grounding ------------------------------------------------------------------

_STOPWORDS = frozenset(
    """a an the and or but so of to in on at by for with from into onto over under about around
    is are was were be been being am has have had having do does did not no nor than then that this
    these those it its it's he she they them his her their him we us our i me my you your
    who whom which what when where why how there here as if also just very really still now
    s will would can could should may might must shall until since before after during each every
    up down out off again further once more most some any all both few other such only own same
    too one named called name user's user week weekend around""".split()
)
_DATE_WORDS = frozenset(
    """january february march april may june july august september october november december
    spring summer autumn winter q1 q2 q3 q4 end start beginning middle""".split()
)


def _content_words(text: str) -> list[str]:
    words = re.findall(r"[\w][\w.@/:+-]*[\w]|\w", text.lower())
    out = []
    for w in words:
        w = re.sub(r"'s$", "", w)
        if w in _STOPWORDS or w in _DATE_WORDS or re.fullmatch(r"\d{1,2}|\d{4}", w):
            continue
        out.append(w)
    return out


def _stem(word: str) -> str:
    """A crude lemma: enough to match "teaches" with "teach" and "moved" with "move"."""
    if not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("es") and word[:-2].endswith(("s", "sh", "ch", "x", "z", "o")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    return word[:5]


def is_grounded(candidate_text: str, source_text: str, names: set[str]) -> bool:
    """Whether every content word of a candidate occurs in its source (light paraphrase allowed).

    Inflections match on a shared 5-letter stem ("teaches"/"teach"); the
    speakers' names, dates written by the resolver and function words are free.
    """
    source = (source_text + " " + normalise(source_text)).lower()
    source_words = set(_content_words(source)) | set(re.findall(r"\w+", source))
    source_stems = {_stem(w) for w in source_words}
    lowered_names = {n.lower() for n in names}
    for word in _content_words(candidate_text):
        if word in lowered_names or word.rstrip("'") in lowered_names:
            continue
        if word in source_words or _stem(word) in source_stems or word in source:
            continue
        if word.endswith("s") and (word[:-1] in source_words or _stem(word[:-1]) in source_stems):
            continue  # "uses" from "use": the -es rule took the stem's own e
        return False
    return True


# -- extractors -------------------------------------------------------------------


@dataclass
class ExtractionStats:
    """Counts from the last extract() call (for benchmarks and logs)."""

    candidates: int = 0
    ungrounded: int = 0
    rejected: int = 0
    capped: int = 0
    redundant: int = 0
    repaired: int = 0  # candidates or facts made well-formed
    malformed: int = 0  # candidates or facts dropped as malformed
    scores: list[tuple[str, float]] = field(default_factory=list)


class _CandidateExtractor:
    prompt_version = prompts.PROMPT_VERSION

    def __init__(self, *, max_facts_per_message: int = 6) -> None:
        self.max_facts_per_message = max_facts_per_message
        self.last_stats = ExtractionStats()

    def extract(self, messages: list[Message], *, default_name: str | None = None) -> ExtractionResult:
        stats = ExtractionStats()
        grounded, names = self.grounded_candidates(messages, default_name, stats)
        scored = self._score(grounded, messages)
        stats.scores = [(c.text, s) for c, s in scored]
        peer = is_peer_chat(messages)
        kept: list[tuple[Candidate, float]] = []
        for cand, score in scored:
            if score >= self._threshold(cand, peer):
                kept.append((cand, score))
            else:
                stats.rejected += 1
        kept = self._drop_redundant(kept, stats)
        kept = self._cap(kept, stats)
        facts = [
            Fact(text=c.text, source_ids=c.source_ids, said_at=c.said_at, speaker=c.speaker, score=round(s, 3),
                 corrects=c.corrects)
            for c, s in kept
        ]
        facts, repaired, malformed = check_facts(facts, names)  # every path ends here
        stats.repaired += repaired
        stats.malformed += malformed
        self.last_stats = stats
        dropped = stats.ungrounded + stats.rejected + stats.capped + stats.redundant + stats.malformed
        return ExtractionResult(facts=facts, dropped=dropped, repaired=stats.repaired)

    def grounded_candidates(
        self, messages: list[Message], default_name: str | None, stats: ExtractionStats | None = None
    ) -> tuple[list[Candidate], set[str]]:
        """The well-formed candidates grounded in their source, and the speakers' names (before judging)."""
        stats = stats if stats is not None else ExtractionStats()
        names = {display_name(m.name or default_name) for m in messages if m.role == "user"}
        candidates = self._well_formed(self._candidates(messages, default_name), names, stats)
        stats.candidates = len(candidates)
        names |= {c.speaker for c in candidates}
        grounded = []
        for cand in candidates:
            if is_grounded(cand.text, cand.source_text, names):
                grounded.append(cand)
            else:
                stats.ungrounded += 1
        return grounded, names

    def _candidates(self, messages: list[Message], default_name: str | None) -> list[Candidate]:
        """Where candidates come from: the clause rules here; a chat model in generative.py."""
        return build_candidates(messages, default_name)

    @staticmethod
    def _well_formed(candidates: list[Candidate], names: set[str], stats: ExtractionStats) -> list[Candidate]:
        """Candidates repaired before judging, so each part of a split is grounded and judged alone."""
        checked = check([c.text for c in candidates], names | {c.speaker for c in candidates},
                        [c.speaker for c in candidates])
        stats.repaired += checked.repaired
        stats.malformed += checked.dropped
        return [replace(c, text=text) for c, texts in zip(candidates, checked.texts) for text in texts]

    @staticmethod
    def _drop_redundant(kept: list[tuple[Candidate, float]], stats: ExtractionStats) -> list[tuple[Candidate, float]]:
        """"X has a sister named Kalena" adds nothing when a kept fact is about "X's sister Kalena".

        A pet's name stays: that the pet exists is usually the lasting part.
        """
        out = []
        for cand, score in kept:
            match = NAMED_RELATION.search(cand.text) if cand.kind == "named" else None
            if match and match.group(1) not in PETS:
                mention = re.compile(rf"\b{re.escape(match.group(1))},?\s+{re.escape(match.group(2))}\b", re.I)
                if any(other is not cand and mention.search(other.text) for other, _ in kept):
                    stats.redundant += 1
                    continue
            out.append((cand, score))
        return out

    def _cap(self, kept: list[tuple[Candidate, float]], stats: ExtractionStats) -> list[tuple[Candidate, float]]:
        per_message: dict[int, list[tuple[Candidate, float]]] = {}
        for item in kept:
            per_message.setdefault(item[0].message_index, []).append(item)
        allowed = set()
        for items in per_message.values():
            best = sorted(items, key=lambda it: -it[1])[: self.max_facts_per_message]
            allowed |= {id(it) for it in best}
        out = [it for it in kept if id(it) in allowed]
        stats.capped += len(kept) - len(out)
        return out

    def _score(self, candidates: list[Candidate], messages: list[Message]) -> list[tuple[Candidate, float]]:
        raise NotImplementedError

    def _threshold(self, candidate: Candidate, peer: bool) -> float:
        """The least score `candidate` is kept with; `peer`: the chat is between peers (chat_style.py)."""
        raise NotImplementedError


class RuleExtractor(_CandidateExtractor):
    """Grounded clause candidates with no model judging them: fast, lower precision.

    An explicit choice (e.g. for machines without llama-cpp-python), never a
    silent fallback for LlamaCppExtractor.
    """

    model_id = "rules"

    def _score(self, candidates: list[Candidate], messages: list[Message]) -> list[tuple[Candidate, float]]:
        return [(c, 1.0) for c in candidates]

    def _threshold(self, candidate: Candidate, peer: bool) -> float:
        return 0.0


# Kinds whose rules are sure (a self-introduction, an email or phone number, the user
# correcting the assistant): kept whatever the acceptance model says, as they were kept
# whatever the judge said before it; the model saw too few of them (9 of 4,201) to learn them.
SURE_KINDS = frozenset({"name", "identifier", "correction"})


class LlamaCppExtractor(_CandidateExtractor):
    """Clause candidates judged by a local GGUF model through llama-cpp-python.

    The model is loaded on the first extract() (once per process and path);
    `model_path` defaults to $MEM0CLI_LLM_MODEL, then the bundled Gemma 3 270M.
    A candidate is kept when the acceptance model (acceptance.py: the judge's
    margin, the candidate's embedding by `embedder`, its context) gives it a
    probability of at least `threshold` (0-1; default the one stored with the
    weights, chosen on validation conversations). `model`, `embedder` and
    `acceptance` take ready parts (tests pass fakes); by default the bundled
    model, the bundled MiniLM and the shipped weights.
    """

    def __init__(
        self,
        model_path: str | None = None,
        *,
        threshold: float | None = None,
        max_facts_per_message: int = 6,
        n_threads: int | None = None,
        model: ScoringModel | None = None,
        embedder: Embedder | None = None,
        acceptance: AcceptanceModel | None = None,
    ) -> None:
        super().__init__(max_facts_per_message=max_facts_per_message)
        from .llm import resolve_model_path

        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise InputError(f"threshold is a probability between 0 and 1, not {threshold}")
        self.model_path = None if model is not None else resolve_model_path(model_path)
        self._threshold_given = threshold
        self.n_threads = n_threads
        self._model_id: str | None = None
        self._model = None
        if model is not None:
            self._use(model)
        self._embedder = embedder
        self._acceptance = acceptance

    @property
    def model_id(self) -> str:  # type: ignore[override]
        if self._model_id is None:
            from .llm import model_id_for

            self._model_id = model_id_for(self.model_path)
        return self._model_id

    @property
    def model(self):  # noqa: ANN201 - llm.ScoringModel, imported lazily
        if self._model is None:
            from .llm import load_model

            self._use(load_model(self.model_path, n_threads=self.n_threads or os.cpu_count() or 1))
        return self._model

    def _use(self, model: ScoringModel) -> None:
        self._model = model
        self._model_id = model.model_id
        self._yes = model.token_id(prompts.JUDGE_YES, after=prompts.JUDGE_LABEL)
        self._no = model.token_id(prompts.JUDGE_NO, after=prompts.JUDGE_LABEL)

    @property
    def acceptance(self) -> AcceptanceModel:
        """The learned accept decision (its weights are read on first use; ModelError if unusable)."""
        if self._acceptance is None:
            from .acceptance import AcceptanceModel

            self._acceptance = AcceptanceModel()
        return self._acceptance

    @property
    def embedder(self) -> Embedder:
        """The embedder the acceptance model was trained with (the bundled MiniLM by default)."""
        if self._embedder is None:
            from .embed import SentenceTransformerEmbedder

            self._embedder = SentenceTransformerEmbedder()
        return self._embedder

    @property
    def threshold(self) -> float:
        """The least acceptance probability a kept candidate has (default: the weights' own)."""
        return self.acceptance.threshold if self._threshold_given is None else self._threshold_given

    @property
    def peer_threshold(self) -> float:
        """The same in a chat between peers (chat_style.py); a threshold given to the extractor serves both."""
        return self.acceptance.peer_threshold if self._threshold_given is None else self._threshold_given

    def judge(self, text: str) -> float:
        """The logit margin of " yes" over " no" for `text` being a lasting fact."""
        model = self.model
        model.prime(prompts.JUDGE_PREFIX, prompts.JUDGE_ITEM_HEAD)
        yes, no = model.next_logits(prompts.JUDGE_ITEM.format(text=text.rstrip(".")), [self._yes, self._no])
        return yes - no

    def _score(self, candidates: list[Candidate], messages: list[Message]) -> list[tuple[Candidate, float]]:
        """Each candidate with its acceptance probability (the judge's margin is one feature)."""
        if not candidates:
            return []
        from .acceptance import feature_rows

        if self.embedder.model_id != self.acceptance.embed_model:
            raise ModelError(f"the acceptance weights read embeddings of {self.acceptance.embed_model}, "
                             f"not {self.embedder.model_id}")
        margins = [self.judge(c.text) for c in candidates]
        numeric, embedded, kinds = feature_rows(candidates, messages, margins, self._embed_each)
        return list(zip(candidates, (float(p) for p in self.acceptance.probabilities(numeric, embedded, kinds))))

    def _embed_each(self, texts: list[str]) -> list[list[float]]:
        """Candidates embedded one at a time through embed_query: for the bundled MiniLM that is
        the numpy forward pass (query_encoder.py; it has no query prompt, so the vectors are the
        documents' to 1e-5), which leaves torch's threads asleep beside llama.cpp's. On a busy
        2-core machine: 28 ms a candidate, against 58-132 ms through torch in small batches."""
        return [self.embedder.embed_query(text) for text in texts]

    def _threshold(self, candidate: Candidate, peer: bool) -> float:
        if candidate.kind in SURE_KINDS:
            return 0.0
        return self.peer_threshold if peer else self.threshold
