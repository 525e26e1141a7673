"""The training cache: a joined encoder's vectors built from its parts' own caches."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from processors.encoders.concat import ConcatEncoder
from processors.encoders.static import StaticEmbedding
from processors.training.embedding_cache import EmbeddingCache
from processors.training.examples import Row
from processors.training.train_encoder import embed_rows
from tests.processors.test_concat_encoder import tiny_table

TEXTS = ["gunmen attacked the village", "men attacked", "a village", ""]


class CountingUse:
    """USE stand-in: counts the texts it embeds; each text a fixed, unnormalised vector."""

    name, dim = "use-multilingual-v3", 4

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            if text:
                out[row] = 1.0 + np.arange(self.dim) * (len(text) % 7)
        return out


def joined(tmp_path: Path) -> tuple[ConcatEncoder, CountingUse, StaticEmbedding]:
    tiny_table(1).save(tmp_path / "table")
    use, static = CountingUse(), StaticEmbedding.load(tmp_path / "table")
    return ConcatEncoder([use, static]), use, static


def test_a_joined_encoder_reads_its_use_part_from_uses_own_cache(tmp_path: Path) -> None:
    encoder, use, _ = joined(tmp_path)
    expected = encoder.embed(TEXTS)
    EmbeddingCache(tmp_path / "cache", use.name, use.dim).add(TEXTS, CountingUse().embed(TEXTS))
    use.embedded.clear()
    store = EmbeddingCache(tmp_path / "cache", encoder.name, encoder.dim)
    vectors = store.embed(TEXTS, encoder)
    assert use.embedded == [], "USE's part came from USE's cache"
    assert np.allclose(vectors, expected, atol=1e-6)
    assert np.allclose(
        EmbeddingCache(tmp_path / "cache", encoder.name, encoder.dim).get(TEXTS), expected, atol=1e-6
    )
    assert sorted(path.name for path in (tmp_path / "cache").iterdir()) == sorted([use.name, encoder.name]), (
        "the static part is computed, not cached"
    )


def test_a_text_in_neither_cache_is_embedded_once_by_use_and_lands_in_both(tmp_path: Path) -> None:
    encoder, use, _ = joined(tmp_path)
    expected = encoder.embed(TEXTS)
    EmbeddingCache(tmp_path / "cache", use.name, use.dim).add(TEXTS[:2], CountingUse().embed(TEXTS[:2]))
    use.embedded.clear()
    store = EmbeddingCache(tmp_path / "cache", encoder.name, encoder.dim)
    vectors = store.embed([*TEXTS, TEXTS[2]], encoder)
    assert use.embedded == TEXTS[2:], "USE embeds only what its cache lacks, each text once"
    assert np.allclose(vectors, np.vstack([expected, expected[2]]), atol=1e-6)
    use_cache = EmbeddingCache(tmp_path / "cache", use.name, use.dim)
    assert use_cache.missing(TEXTS) == [] and len(use_cache) == len(TEXTS)
    assert np.array_equal(use_cache.get(TEXTS[2:]), CountingUse().embed(TEXTS[2:]))
    assert EmbeddingCache(tmp_path / "cache", encoder.name, encoder.dim).missing(TEXTS) == []
    store.embed(TEXTS, encoder)
    assert use.embedded == TEXTS[2:], "nothing embedded twice"


def test_a_plain_encoder_embeds_what_its_own_cache_lacks_and_reads_no_other(tmp_path: Path) -> None:
    encoder, use, _ = joined(tmp_path)
    EmbeddingCache(tmp_path / "cache", encoder.name, encoder.dim).add(TEXTS, encoder.embed(TEXTS))
    use.embedded.clear()
    store = EmbeddingCache(tmp_path / "cache", use.name, use.dim)
    vectors = store.embed(TEXTS, use)
    assert use.embedded == TEXTS, "a joined encoder's cache is not read for its part"
    assert np.array_equal(vectors, CountingUse().embed(TEXTS))
    assert sorted(path.name for path in (tmp_path / "cache").iterdir()) == sorted([use.name, encoder.name])


def test_cached_only_training_counts_a_joined_text_whose_use_part_is_cached(tmp_path: Path) -> None:
    encoder, use, _ = joined(tmp_path)
    EmbeddingCache(tmp_path / "cache", use.name, use.dim).add(TEXTS[:2], CountingUse().embed(TEXTS[:2]))
    store = EmbeddingCache(tmp_path / "cache", encoder.name, encoder.dim)
    rows = [Row(text, "en", "written_hate", "train", hate=False, violent=False) for text in TEXTS[:3]]
    kept, vectors = embed_rows(rows, encoder, store, cached_only=True)
    assert [row.text for row in kept] == TEXTS[:2], "the text in neither cache is left out"
    assert use.embedded == [], "--cached-only never runs USE"
    assert np.allclose(vectors, encoder.embed(TEXTS[:2]), atol=1e-6)
