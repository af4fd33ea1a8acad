"""How the embedder groups texts for sentence-transformers: by padded length, order kept."""

from __future__ import annotations

import random

import pytest

from mem0cli.embed import BATCH_CHARS, MAX_BATCH, padded_batches


@pytest.mark.parametrize("seed", range(5))
def test_every_text_once_and_each_batch_within_the_budget(seed: int) -> None:
    rng = random.Random(seed)
    lengths = [rng.choice([0, 5, 40, 300, 900, 5000]) for _ in range(rng.randint(1, 300))]
    batches = padded_batches(lengths)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert len(batch) <= MAX_BATCH
        assert len(batch) == 1 or len(batch) * longest <= BATCH_CHARS


def test_long_texts_go_in_small_batches_and_short_ones_together() -> None:
    lengths = [10] * 100 + [480] * 20
    sizes: dict[int, list[int]] = {}
    for batch in padded_batches(lengths):
        sizes.setdefault(lengths[batch[0]], []).append(len(batch))
    assert sizes[10][0] == MAX_BATCH
    assert max(sizes[480]) == BATCH_CHARS // 480
