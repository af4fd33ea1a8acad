"""Which judged candidates are kept: a learned model over the judge's margin and the candidate.

The 270M judge alone ranks candidates at ROC AUC about 0.74 on the dev files and 0.65
on real MSC dialogues. `AcceptanceModel` is a logistic regression over

- the judge's " yes" - " no" logit margin,
- the candidate's MiniLM embedding (384 numbers; the bundled all-MiniLM-L6-v2),
- how it resembles the training candidates nearest to it, accepted and rejected
  (neighbours.py; a bank of about 1 MB beside the weights),
- a few general features: lengths (its own, its message's, the share of the message
  it is), whether the message or the assistant's turn right before it asked a question, digits, negation, capitalised words, how many
  candidates its message gave, whether the fact is about the speaker, and its kind
  (a kind the weights do not know adds nothing: it scores as the average kind).

Its output is the probability that the candidate matches a fact a person wrote down
for the conversation. The weights (`data/acceptance.json`, a few KB, plain numbers)
and the default thresholds (one for chats with an assistant, one for chats between
peers: chat_style.py) come from bench/train_judge.py; inference is numpy only.
A missing or damaged weights file is a ModelError, never a silent fallback.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .candidates import Candidate
from .errors import ModelError
from .models import Message
from .neighbours import FEATURES as NEIGHBOUR_FEATURES
from .neighbours import NeighbourBank

WEIGHTS_PATH = Path(__file__).resolve().parent / "data" / "acceptance.json"
FORMAT = "mem0cli-acceptance-1"

#: The general features, in the order of the weights file's "features" (kinds and the
#: embedding follow them). Nothing depends on where the message sits in the batch given
#: to extract() (one message or a whole conversation): position features added nothing
#: on validation and would score a one-message `add` unlike the same message in a batch.
#: Only the candidate is embedded: its cosine to the source message and to the assistant's
#: turn added nothing on validation either, and embedding those turns cost time.
NUMERIC_FEATURES = (
    "margin", "words", "source_words", "share_of_source", "source_question", "assistant_question", "digits",
    "negation", "capitalised", "siblings", "about_speaker",
)
MARGIN_CLIP = 15.0
_NEGATION = re.compile(r"\b(?:not|never|no|n't|cannot|nobody|nothing)\b|n't\b", re.I)


@dataclass(frozen=True)
class CandidateContext:
    """What the features read besides the candidate: its message and the turn before it."""

    source: str
    assistant_before: str
    siblings: int


def contexts(candidates: Sequence[Candidate], messages: Sequence[Message]) -> list[CandidateContext]:
    """Each candidate's context within `messages` (message_index indexes them)."""
    per_message = Counter(c.message_index for c in candidates)
    out = []
    for cand in candidates:
        i = cand.message_index
        source = messages[i].content if 0 <= i < len(messages) else cand.source_text
        # only the turn right before counts as what the user answers
        before = messages[i - 1].content if 0 < i <= len(messages) and messages[i - 1].role == "assistant" else ""
        out.append(CandidateContext(source=source, assistant_before=before, siblings=per_message[i]))
    return out


def numeric_features(cand: Candidate, ctx: CandidateContext, margin: float) -> list[float]:
    """The general features of one candidate, in NUMERIC_FEATURES order (unscaled)."""
    words = len(cand.text.split())
    source_words = max(1, len(ctx.source.split()))
    capitalised = sum(1 for w in cand.text.split()[1:] if w[:1].isupper() and w.strip(".,'s") != cand.speaker)
    return [
        max(-MARGIN_CLIP, min(MARGIN_CLIP, margin)),
        math.log1p(words),
        math.log1p(source_words),
        min(1.5, words / source_words),
        float("?" in ctx.source),
        float("?" in ctx.assistant_before),
        float(bool(re.search(r"\d", cand.text))),
        float(bool(_NEGATION.search(cand.text))),
        math.log1p(capitalised),
        math.log1p(ctx.siblings),
        float(cand.text.startswith(cand.speaker)),
    ]


def feature_rows(candidates: Sequence[Candidate], messages: Sequence[Message], margins: Sequence[float],
                 embed) -> tuple[np.ndarray, np.ndarray, list[str]]:  # noqa: ANN001 - embed: texts -> vectors
    """(numeric features, candidate embeddings, kinds) for candidates of one conversation.

    `embed` turns a list of texts into unit vectors (an Embedder's embed_documents);
    each distinct candidate text is embedded once.
    """
    ctxs = contexts(candidates, messages)
    texts = list(dict.fromkeys(c.text for c in candidates))
    vectors = np.asarray(embed(texts), dtype=np.float32) if texts else np.zeros((0, 0), np.float32)
    row_of = {t: i for i, t in enumerate(texts)}
    numeric = [numeric_features(cand, ctx, margin) for cand, ctx, margin in zip(candidates, ctxs, margins)]
    embedded = [vectors[row_of[cand.text]] for cand in candidates]
    dims = vectors.shape[1] if len(texts) else 0
    return (np.asarray(numeric, dtype=np.float64).reshape(len(candidates), len(NUMERIC_FEATURES)),
            np.asarray(embedded, dtype=np.float64).reshape(len(candidates), dims),
            [c.kind for c in candidates])


class AcceptanceModel:
    """The trained weights: probabilities for candidates, and the default threshold."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else WEIGHTS_PATH
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(f"cannot read the acceptance weights {self.path} ({type(exc).__name__}); "
                             "reinstall mem0cli or rerun bench/train_judge.py") from exc
        self._load(data)

    def _load(self, data: object) -> None:
        try:
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} file")
            if tuple(data["features"]) != NUMERIC_FEATURES:
                raise ValueError("its features are not this version's")
            self.kinds: list[str] = [str(k) for k in data["kinds"]]
            self.embed_model = str(data["embed_model"])
            self.dimensions = int(data["dimensions"])
            self.mean = _vector(data["mean"], len(NUMERIC_FEATURES))
            self.scale = _vector(data["scale"], len(NUMERIC_FEATURES))
            weights = _vector(data["weights"], len(NUMERIC_FEATURES) + len(self.kinds) + self.dimensions)
            self.bias = float(data["bias"])
            self.threshold = float(data["threshold"])
            # a chat between peers (chat_style.py) has its own threshold; older files have one for both
            self.peer_threshold = float(data.get("peer_threshold", self.threshold))
            self.version = str(data["version"])
            self._load_neighbours(data.get("neighbours"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"the acceptance weights {self.path} are damaged ({exc}); "
                             "reinstall mem0cli or rerun bench/train_judge.py") from exc
        if not (np.all(np.isfinite(weights)) and math.isfinite(self.bias) and 0.0 < self.threshold < 1.0
                and 0.0 < self.peer_threshold < 1.0
                and np.all(self.scale > 0)):
            raise ModelError(f"the acceptance weights {self.path} are damaged (values out of range); "
                             "reinstall mem0cli or rerun bench/train_judge.py")
        n = len(NUMERIC_FEATURES)
        self.numeric_weights = weights[:n]
        self.kind_weights = dict(zip(self.kinds, weights[n:n + len(self.kinds)]))
        self.embedding_weights = weights[n + len(self.kinds):]

    def _load_neighbours(self, spec: object) -> None:
        """The optional nearest-neighbour block (neighbours.py): its bank file sits beside the weights."""
        self.neighbours: NeighbourBank | None = None
        if spec is None:
            return
        if not isinstance(spec, dict) or tuple(spec["features"]) != NEIGHBOUR_FEATURES:
            raise ValueError("its neighbour features are not this version's")
        self.neighbour_mean = _vector(spec["mean"], len(NEIGHBOUR_FEATURES))
        self.neighbour_scale = _vector(spec["scale"], len(NEIGHBOUR_FEATURES))
        self.neighbour_weights = _vector(spec["weights"], len(NEIGHBOUR_FEATURES))
        if not (np.all(self.neighbour_scale > 0) and np.all(np.isfinite(self.neighbour_weights))):
            raise ValueError("neighbour values out of range")
        self.neighbours = NeighbourBank.load(self.path.parent / str(spec["bank"]))
        if self.neighbours.dimensions != self.dimensions:
            raise ValueError(f"its neighbour bank reads {self.neighbours.dimensions}-dimensional embeddings")

    def probabilities(self, numeric: np.ndarray, embedded: np.ndarray, kinds: Sequence[str]) -> np.ndarray:
        """P(a person would write this fact down) for each row (feature_rows' output)."""
        if len(kinds) == 0:
            return np.zeros(0)
        if embedded.shape[1] != self.dimensions:
            raise ModelError(f"the acceptance model reads {self.dimensions}-dimensional embeddings "
                             f"({self.embed_model}), got {embedded.shape[1]}")
        logits = ((numeric - self.mean) / self.scale) @ self.numeric_weights + embedded @ self.embedding_weights
        logits += np.array([self.kind_weights.get(k, 0.0) for k in kinds]) + self.bias
        if self.neighbours is not None:
            near = self.neighbours.features(embedded)
            logits += ((near - self.neighbour_mean) / self.neighbour_scale) @ self.neighbour_weights
        return 1.0 / (1.0 + np.exp(-logits))


def _vector(values: object, length: int) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (length,):
        raise ValueError(f"expected {length} numbers, got shape {array.shape}")
    return array
