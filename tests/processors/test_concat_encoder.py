"""The joined encoder (``use+static``): USE's vector beside the gate's static one, read as one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from processors.categories import load_categories
from processors.classifiers.encoder import EncoderClassifier, Route, load_heads, passages
from processors.classifiers.heads import POOLED, CategoryHead, HeadsError, HeadSet, Network
from processors.classifiers.ngram import Platt
from processors.classifiers.protocol import ClassifierConfigError, ItemText
from processors.classifiers.thresholds import Thresholds
from processors.encoders import Encoder, EncoderError, EncoderSettings, shared_encoder
from processors.encoders.concat import ConcatEncoder, part_columns, read_part
from processors.encoders.protocol import normalise_rows
from processors.encoders.sentencepiece import read_vocabulary
from processors.encoders.static import StaticEmbedding
from tests.processors.conftest import CATEGORIES_FILE
from tocsin.schema import CategoryHit

JOINED = "use-multilingual-v3+e5-static-1@337269cb"


class Counting:
    """An encoder that counts its calls and gives each text a fixed, unnormalised vector."""

    def __init__(self, name: str, dim: int, scale: float) -> None:
        self.name, self.dim, self.scale = name, dim, scale
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            if text:
                out[row] = self.scale * (1.0 + np.arange(self.dim) * (len(text) % 5))
        return out


def test_each_part_weighs_the_same_and_the_whole_is_a_unit_row() -> None:
    big, small = Counting("a", 3, 100.0), Counting("b", 2, 0.01)
    encoder = ConcatEncoder([big, small])
    assert isinstance(encoder, Encoder) and (encoder.name, encoder.dim) == ("a+b", 5)
    vectors = encoder.embed(["gunmen attacked", "", "x"])
    assert vectors.shape == (3, 5) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1.0, atol=1e-6)
    assert np.allclose(np.linalg.norm(vectors[[0, 2], :3], axis=1), np.sqrt(0.5), atol=1e-6)
    assert np.allclose(np.linalg.norm(vectors[[0, 2], 3:], axis=1), np.sqrt(0.5), atol=1e-6)
    assert not vectors[1].any(), "an empty text keeps a zero row"


def test_a_part_that_gives_the_wrong_shape_is_an_encoder_error() -> None:
    class Short(Counting):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            return np.ones((len(texts), self.dim - 1), dtype=np.float32)

    with pytest.raises(EncoderError, match=r"'b' gave vectors of shape \(2, 1\)"):
        ConcatEncoder([Counting("a", 3, 1.0), Short("b", 2, 1.0)]).embed(["one", "two"])
    with pytest.raises(EncoderError, match="at least two parts"):
        ConcatEncoder([Counting("a", 3, 1.0)])


def test_a_route_reads_each_part_once_a_batch_for_both_categories() -> None:
    use, static = Counting("use", 4, 1.0), Counting("static", 2, 1.0)
    encoder = ConcatEncoder([use, static])
    heads = HeadSet(
        encoder=encoder.name,
        dim=encoder.dim,
        max_chars=300,
        heads={
            category: CategoryHead(
                category,
                Network(np.ones((encoder.dim, 1), dtype=np.float32), np.zeros(1, dtype=np.float32)),
                {POOLED: Platt(1.0, 0.0)},
            )
            for category in ("hate_speech", "violence_report")
        },
        version="t",
    )
    route = Route(encoder, heads)
    texts = [ItemText(f"post number {n}", "en") for n in range(7)]
    results: list[dict[str, CategoryHit]] = [{} for _ in texts]
    route.score(texts, [{"hate_speech", "violence_report"}] * len(texts), Thresholds(0.5), results)
    assert use.calls == [7] and static.calls == [7], "one call a part for the batch, both categories"
    assert all(set(hits) == {"hate_speech", "violence_report"} for hits in results)


def test_the_settings_build_use_joined_to_the_shipped_gate_table() -> None:
    encoder = shared_encoder(EncoderSettings(kind="use+static"))
    assert (encoder.name, encoder.dim) == (JOINED, 640)
    vectors = encoder.embed(
        [
            "Gunmen killed twelve villagers in an attack on Sunday.",
            "Des hommes armés ont tué douze villageois lors d'une attaque dimanche.",
            "The bakery on the corner sells fresh bread every morning.",
            "",
        ]
    )
    assert vectors.shape == (4, 640)
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    assert not vectors[3].any()
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1


def test_static_is_a_setting_of_the_joined_kind_only() -> None:
    with pytest.raises(ValueError, match="'static' is for kind 'use\\+static' only"):
        EncoderSettings(kind="use", static=Path("models/gate"))
    with pytest.raises(EncoderError, match="no such static embedding"):
        shared_encoder(EncoderSettings(kind="use+static", static=Path("/nowhere/gate")))


def test_heads_of_another_encoder_are_refused_on_joined_vectors_naming_it_and_the_parts(
    tmp_path: Path,
) -> None:
    named = (
        r"routes\.0.*'multilingual-e5-small-q4', not "
        + re.escape(repr(JOINED))
        + r" nor on one of its parts \(use-multilingual-v3, e5-static-1@337269cb\)"
    )
    with pytest.raises(ClassifierConfigError, match=named):
        EncoderClassifier.from_config(
            {"routes": [{"model": "models/encoder", "encoder": {"kind": "use+static"}}]},
            load_categories(CATEGORIES_FILE),
            tmp_path / "c.yaml",
        )


def heads_on(encoder: str, dim: int, seed: int, categories: Sequence[str]) -> HeadSet:
    """Heads with random weights that say they were trained on ``encoder``'s vectors."""
    rng = np.random.default_rng(seed)
    return HeadSet(
        encoder=encoder,
        dim=dim,
        max_chars=300,
        heads={
            category: CategoryHead(
                category,
                Network(rng.normal(size=(dim, 1)).astype(np.float32), np.zeros(1, dtype=np.float32)),
                {POOLED: Platt(1.0, 0.0)},
            )
            for category in categories
        },
        version=f"v{seed}",
    )


def test_a_part_read_from_the_joined_vector_is_that_part_encoders_own_vector() -> None:
    joined = shared_encoder(EncoderSettings(kind="use+static"))
    use = shared_encoder(EncoderSettings(kind="use"))
    assert isinstance(joined, ConcatEncoder)
    texts = ["Gunmen killed twelve villagers on Sunday.", "Ces gens-là sont des rats.", "x"]
    vectors = joined.embed(texts)
    use_columns = part_columns(joined, "use-multilingual-v3")
    static_columns = part_columns(joined, "e5-static-1@337269cb")
    assert part_columns(joined, "e5-static-1") is None, "a table's bare name does not say which table"
    assert (use_columns, static_columns) == (slice(0, 512), slice(512, 640))
    assert use_columns is not None and static_columns is not None
    assert np.allclose(read_part(vectors, use_columns), use.embed(texts), atol=1e-5)
    assert np.allclose(read_part(vectors, static_columns), joined.parts[1].embed(texts), atol=1e-5)
    assert part_columns(joined, JOINED) == slice(0, 640) and read_part(vectors, slice(0, 640)) is vectors
    assert part_columns(joined, "multilingual-e5-small") is None
    assert part_columns(use, "use-multilingual-v3") == slice(0, 512)
    assert part_columns(use, JOINED) is None, "a part's encoder cannot give the joined vector"


def test_a_route_serves_a_part_head_and_a_joined_head_with_one_call_a_part_a_batch() -> None:
    use, static = Counting("use", 4, 1.0), Counting("static", 2, 1.0)
    encoder = ConcatEncoder([use, static])
    violence = heads_on("use", 4, 1, ["hate_speech", "violence_report"])
    hate = heads_on("use+static", 6, 2, ["hate_speech", "violence_report"])
    route = Route(encoder, violence, heads_for={"hate_speech": hate})
    texts = [ItemText(f"post number {n}" + "!" * n, "en") for n in range(7)]
    results: list[dict[str, CategoryHit]] = [{} for _ in texts]
    route.score(texts, [{"hate_speech", "violence_report"}] * len(texts), Thresholds(0.0), results)
    assert use.calls == [7] and static.calls == [7], "one call a part for the batch, both categories"
    own = normalise_rows(Counting("use", 4, 1.0).embed([text.text for text in texts]))
    joined = encoder.embed([text.text for text in texts])
    for n, hits in enumerate(results):
        violence_score = violence.heads["violence_report"].scores(own[n : n + 1], ["en"])[0]
        hate_score = hate.heads["hate_speech"].scores(joined[n : n + 1], ["en"])[0]
        assert hits["violence_report"].score == pytest.approx(round(float(violence_score), 4), abs=1e-4)
        assert hits["hate_speech"].score == pytest.approx(round(float(hate_score), 4), abs=1e-4)
        assert hits["violence_report"].classifier == "encoder/v1/use"
        assert hits["hate_speech"].classifier == "encoder/v2/use+static"


def test_a_route_refuses_heads_for_vectors_it_does_not_have() -> None:
    encoder = ConcatEncoder([Counting("use", 4, 1.0), Counting("static", 2, 1.0)])
    main = heads_on("use", 4, 1, ["hate_speech", "violence_report"])
    with pytest.raises(HeadsError, match="trained on 'e5', encoder is 'use\\+static'"):
        Route(encoder, main, heads_for={"hate_speech": heads_on("e5", 4, 2, ["hate_speech"])})
    with pytest.raises(HeadsError, match="trained on 'use\\+static', encoder is 'use'"):
        Route(
            Counting("use", 4, 1.0),
            main,
            heads_for={"hate_speech": heads_on("use+static", 6, 2, ["hate_speech"])},
        )
    with pytest.raises(HeadsError, match="have no 'violence_report'"):
        Route(encoder, main, heads_for={"violence_report": heads_on("use+static", 6, 2, ["hate_speech"])})


def test_model_for_gives_a_category_heads_of_another_folder(tmp_path: Path) -> None:
    heads_on(JOINED, 640, 3, ["hate_speech"]).save(tmp_path / "joined-hate")
    route = {
        "model": "models/encoder-use",
        "encoder": {"kind": "use+static"},
        "categories": ["hate_speech", "violence_report"],
        "model_for": {"hate_speech": str(tmp_path / "joined-hate")},
    }
    plugin = EncoderClassifier.from_config(
        {"routes": [route]}, load_categories(CATEGORIES_FILE), tmp_path / "c.yaml"
    )
    (read,) = plugin.routes
    assert read.head_sets["hate_speech"].encoder == JOINED and read.columns["hate_speech"] == slice(0, 640)
    assert read.head_sets["violence_report"].encoder == "use-multilingual-v3"
    assert read.columns["violence_report"] == slice(0, 512)
    assert plugin.version.split("+") == [read.heads.version, "v3"]


NOT_SCORED = r"routes\.0\.model_for\.hate_speech': the route does not score it"
NO_HEAD = r"routes\.0\.model_for\.violence_report': those heads have no 'violence_report'"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"categories": ["violence_report"]}, NOT_SCORED),
        ({"model_for": {"violence_report": "JOINED-HATE"}}, NO_HEAD),
        ({"encoder": {"kind": "use"}}, r"routes\.0': .*trained on encoder " + re.escape(repr(JOINED))),
        ({"model_for": {"hate_speech": "/nowhere"}}, r"routes\.0': .*no such heads file"),
    ],
)
def test_a_bad_model_for_is_a_config_error_naming_the_key(
    tmp_path: Path, change: dict[str, object], error: str
) -> None:
    folder = str(heads_on(JOINED, 640, 3, ["hate_speech"]).save(tmp_path / "joined-hate"))
    route: dict[str, object] = {
        "model": "models/encoder-use",
        "encoder": {"kind": "use+static"},
        "model_for": {"hate_speech": folder},
    }
    route.update(change)
    if isinstance(route["model_for"], dict):
        route["model_for"] = {
            name: folder if path == "JOINED-HATE" else path for name, path in route["model_for"].items()
        }
    with pytest.raises(ClassifierConfigError, match=error):
        EncoderClassifier.from_config(
            {"routes": [route]}, load_categories(CATEGORIES_FILE), tmp_path / "c.yaml"
        )


def test_a_part_head_scored_by_passage_scores_as_on_the_part_encoder_alone() -> None:
    violence = heads_on("use", 4, 1, ["hate_speech", "violence_report"])
    hate = heads_on("use+static", 6, 2, ["hate_speech"])
    joined = Route(
        ConcatEncoder([Counting("use", 4, 1.0), Counting("static", 2, 1.0)]),
        violence,
        heads_for={"hate_speech": hate},
        by_sentence=["violence_report"],
    )
    class Unit(Counting):  # an encoder's rows are unit rows (Counting's are not)
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            return normalise_rows(super().embed(texts))

    alone = Route(Unit("use", 4, 1.0), violence, by_sentence=["violence_report"])
    long = " ".join(["Gunmen came to the village at dawn and went from house to house for hours."] * 3)
    texts = [ItemText(long + " They burned houses! Many fled.", "en"), ItemText("Calm", "en")]
    assert len(passages(texts[0].text)) > 1
    results: dict[str, list[dict[str, CategoryHit]]] = {"joined": [{}, {}], "alone": [{}, {}]}
    joined.score(texts, [{"violence_report"}] * 2, Thresholds(0.0), results["joined"])
    alone.score(texts, [{"violence_report"}] * 2, Thresholds(0.0), results["alone"])
    assert [hits["violence_report"].score for hits in results["joined"]] == [
        hits["violence_report"].score for hits in results["alone"]
    ]


def tiny_table(seed: int, name: str = "e5-static-1") -> StaticEmbedding:
    """A few real pieces with random vectors, under ``name`` (the shipped table's by default)."""
    vocabulary = read_vocabulary()
    keep = ["▁gun", "men", "▁village", "▁attack", "ed", "▁", "a", "e", "<unk>"]
    index = {piece: i for i, piece in enumerate(vocabulary.pieces)}
    scores = np.array([vocabulary.scores[index[p]] for p in keep], np.float32)
    vectors = np.random.default_rng(seed).integers(-100, 100, size=(len(keep), 3)).astype(np.int8)
    scales = np.ones(len(keep), np.float32)
    return StaticEmbedding(
        keep, scores, vectors, scales, vocabulary.normalisation, unk_id=len(keep) - 1, name=name
    )


def test_joined_heads_are_refused_on_another_table_of_the_same_name(tmp_path: Path) -> None:
    """A rebuilt static table keeps its name (``--version``): heads of the old one must not read it."""
    tiny_table(1).save(tmp_path / "a")
    tiny_table(2).save(tmp_path / "b")
    table_a, table_b = StaticEmbedding.load(tmp_path / "a"), StaticEmbedding.load(tmp_path / "b")
    assert table_a.name == table_b.name == "e5-static-1"
    assert table_a.fingerprint != table_b.fingerprint
    assert tiny_table(1, name="other").fingerprint == table_a.fingerprint, "the contents, not the name"
    assert StaticEmbedding.load("models/gate").fingerprint == "337269cb", "the shipped table's"
    use = Counting("use-multilingual-v3", 4, 1.0)
    on_a, on_b = ConcatEncoder([use, table_a]), ConcatEncoder([use, table_b])
    assert on_a.name != on_b.name, "the joined name tells the tables apart"
    assert on_a.name == ConcatEncoder([use, StaticEmbedding.load(tmp_path / "a")]).name, "and is stable"
    heads = heads_on(on_a.name, on_a.dim, 3, ["hate_speech"])
    heads.save(tmp_path / "heads")
    assert load_heads(tmp_path / "heads", on_a).encoder == on_a.name
    with pytest.raises(HeadsError, match=re.escape(f"{on_a.name!r}, not {on_b.name!r}")):
        load_heads(tmp_path / "heads", on_b)
    with pytest.raises(HeadsError, match=re.escape(f"trained on {on_a.name!r}, encoder is {on_b.name!r}")):
        Route(on_b, heads)
    violence = heads_on("use-multilingual-v3", 4, 4, ["violence_report"])
    route = Route(on_b, violence, categories=["violence_report"])
    assert route.columns == {"violence_report": slice(0, 4)}, "a head of USE alone reads USE's part of either"


def test_the_settings_refuse_joined_heads_trained_with_another_static_table(tmp_path: Path) -> None:
    tiny_table(1).save(tmp_path / "a")
    tiny_table(2).save(tmp_path / "b")
    on_a = shared_encoder(EncoderSettings(kind="use+static", static=tmp_path / "a"))
    on_b = shared_encoder(EncoderSettings(kind="use+static", static=tmp_path / "b"))
    heads_on(on_a.name, on_a.dim, 5, ["hate_speech"]).save(tmp_path / "heads")
    route = {"model": str(tmp_path / "heads"), "categories": ["hate_speech"]}
    categories = load_categories(CATEGORIES_FILE)
    EncoderClassifier.from_config(
        {"routes": [{**route, "encoder": {"kind": "use+static", "static": str(tmp_path / "a")}}]},
        categories,
        tmp_path / "c.yaml",
    )
    with pytest.raises(ClassifierConfigError, match=re.escape(f"{on_a.name!r}, not {on_b.name!r}")):
        EncoderClassifier.from_config(
            {"routes": [{**route, "encoder": {"kind": "use+static", "static": str(tmp_path / "b")}}]},
            categories,
            tmp_path / "c.yaml",
        )
