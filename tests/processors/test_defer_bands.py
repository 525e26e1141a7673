"""Choosing deferral bands on calibration scores: what the cheap route may settle alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from processors.training import defer_bands
from processors.training.defer_bands import bands, high_edge, low_edge


def test_the_low_edge_keeps_the_share_of_finds_in_every_language() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.05, 0.5, 0.4, 0.3, 0.2, 0.01])
    finds = np.array([True] * 5 + [True] * 5)
    langs = np.array(["en"] * 5 + ["fr"] * 5)
    # pooled, 0.9 of ten finds is nine: 0.05; French alone keeps 0.9 of five (all five) only from 0.01
    assert low_edge(scores, finds, langs, 0.9, min_finds=5) == pytest.approx(0.01)
    assert low_edge(scores, finds, langs, 0.9, min_finds=6) == pytest.approx(0.05), (
        "a language with fewer finds than min_finds does not count alone")


def test_the_high_edge_is_where_the_cheap_yes_still_agrees_with_the_costly_one() -> None:
    scores = np.linspace(1.0, 0.0, 100)
    hits = np.zeros(100, dtype=bool)
    hits[:30] = True  # the costly encoder agrees with the 30 highest
    hits[35] = True
    assert high_edge(scores, hits, 1.0) == pytest.approx(scores[29])
    assert high_edge(scores, hits, 0.5, min_rows=20) == pytest.approx(scores[61]), "31 hits in 62 rows"
    assert high_edge(scores, np.zeros(100, dtype=bool), 0.98) == 1.0, "never agreeing: no upper edge"


def test_bands_keep_labelled_finds_and_report_what_goes_to_the_costly_route() -> None:
    cheap = {"violence_report": np.array([0.9, 0.5, 0.2, 0.02, 0.01, 0.001])}
    costly = {"violence_report": np.array([0.9, 0.8, 0.7, 0.9, 0.1, 0.1])}
    labels = {"violence_report": np.array([True, True, True, False, False, False])}
    langs = np.array(["en"] * 6)
    out = bands(cheap, costly, labels, langs, keep={"violence_report": 1.0}, min_finds=1, threshold=0.5)
    entry = out["violence_report"]
    assert entry["band"] == [0.2, 1.0], "the unlabelled e5 hit at 0.02 need not be kept"
    assert entry["e5_finds"] == 3
    assert entry["finds_kept"] == 1.0
    assert entry["to_e5"] == pytest.approx(0.5)
    assert entry["per_language"]["en"] == {"rows": 6, "finds": 3, "kept": 3}


def test_the_low_edge_never_turns_the_cheap_routes_own_yes_into_a_no() -> None:
    # the only find scores 0.8 with the cheap heads: keeping it alone would put low at 0.8
    cheap = {"violence_report": np.array([0.8, 0.6, 0.55, 0.1])}
    costly = {"violence_report": np.array([0.9, 0.2, 0.2, 0.1])}
    labels = {"violence_report": np.array([True, False, False, False])}
    out = bands(cheap, costly, labels, np.array(["en"] * 4), keep={"violence_report": 1.0}, min_finds=1,
                threshold=0.5)
    assert out["violence_report"]["band"] == [0.5, 1.0], "USE's 0.55 and 0.6 go to e5, not to 'no'"
    assert out["violence_report"]["to_e5"] == pytest.approx(0.75)


def test_a_bad_share_is_refused_before_any_row_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        defer_bands.main(["--shared", str(tmp_path / "nowhere"), "--keep-unescalated", "violence=0.98"])
    assert "--keep-unescalated 'violence=0.98': expected" in capsys.readouterr().err


class _Head:
    """A calibrated head whose score is the vector's first column."""

    def scores(self, vectors: np.ndarray, langs: list[str]) -> np.ndarray:
        return vectors[:, 0]


class _Heads:
    def __init__(self, encoder: str, categories: tuple[str, ...]) -> None:
        self.encoder = encoder
        self.heads = {name: _Head() for name in categories}


def test_cheap_heads_for_hate_speech_alone_draw_the_news_hate_band(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # models/encoder-use-static holds a hate head only (the routes' model_for): the default
    # "--keep 0.97 violence_report=1.0" named a category those heads lack and was refused
    from processors.training.examples import Row

    news = [Row(f"news {n} " + "x" * 300, "en", "src", "calibration", hate=n < 4, violent=False)
            for n in range(8)]
    rows = [*news, Row("a post", "en", "src", "calibration", hate=True, violent=False)]
    cheap = (0.9, 0.6, 0.3, 0.05, 0.2, 0.1, 0.01, 0.0, 0.02)
    costly = (0.9, 0.9, 0.8, 0.7, 0.1, 0.1, 0.1, 0.1, 0.9)
    heads = {"cheap": _Heads("use+static", ("hate_speech",)),
             "costly": _Heads("e5", ("hate_speech", "violence_report"))}

    def vectors_for(head_set: _Heads, texts: list[str], cache: Path) -> np.ndarray:
        scores = costly if head_set.encoder == "e5" else cheap
        by_text = {row.text[:300]: score for row, score in zip(rows, scores, strict=True)}
        return np.array([by_text[text] for text in texts], dtype=np.float32).reshape(-1, 1)

    monkeypatch.setattr(defer_bands, "all_rows", lambda shared, selection: rows)
    monkeypatch.setattr(defer_bands, "long_rows", lambda rows, count: [])
    monkeypatch.setattr(defer_bands.HeadSet, "load", staticmethod(lambda path: heads[path.name]))
    monkeypatch.setattr(defer_bands, "vectors_for", vectors_for)
    out = tmp_path / "bands.json"
    assert defer_bands.main(["--shared", str(tmp_path), "--cheap", "cheap", "--costly", "costly",
                             "--keep", "0.75", "violence_report=1.0", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    # e5's four finds score 0.9, 0.6, 0.3, 0.05 with USE: keeping 3 of 4 needs 0.3
    assert figures["news defer"]["hate_speech"]["band"] == [0.3, 1.0]
    assert figures["news defer"]["hate_speech"]["e5_finds"] == 4
    assert figures["posts defer"] == {}, "no violence head among the cheap heads: no posts band"
    assert "news route: defer: {hate_speech: [0.3, 1.0]}" in capsys.readouterr().out


def test_the_printed_band_keeps_the_find_that_binds_it() -> None:
    # the binding find scores 0.1115669...: rounded to the nearest 0.0001 the band printed for the
    # classifiers file was 0.1116, above it, and the route dropped the find the band was drawn to keep
    # (the news hate band from models/encoder-use-static on the text split, 2026-12-07)
    cheap = {"hate_speech": np.array([0.9, 0.11156695703318947, 0.05, 0.01])}
    costly = {"hate_speech": np.array([0.9, 0.9, 0.1, 0.1])}
    labels = {"hate_speech": np.array([True, True, False, False])}
    out = bands(cheap, costly, labels, np.array(["en"] * 4), keep={"hate_speech": 1.0}, min_finds=1,
                threshold=0.5, decide_high=["hate_speech"])
    low, high = out["hate_speech"]["band"]
    assert low == 0.1115, "rounded down: at or below the binding find"
    assert cheap["hate_speech"][1] >= low
    assert out["hate_speech"]["finds_kept"] == 1.0
    assert high == 1.0


def test_exclude_leaves_a_sources_rows_out_and_refuses_one_no_row_comes_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # heads trained without a source (train_encoder --exclude) are measured on the rows they were calibrated
    # with: was an unknown option, the excluded rows' finds binding the band
    from processors.training.examples import Row

    rows = [Row(f"news {n} " + "x" * 300, "en", "old" if n < 4 else "new", "calibration",
                hate=n in (0, 1, 4, 5), violent=False) for n in range(8)]
    cheap = {row.text[:300]: score for row, score in zip(rows, (0.9, 0.5, 0.1, 0.1, 0.25, 0.125, 0.1, 0.1),
                                                           strict=True)}
    heads = {"cheap": _Heads("use+static", ("hate_speech",)),
             "costly": _Heads("e5", ("hate_speech", "violence_report"))}

    def vectors_for(head_set: _Heads, texts: list[str], cache: Path) -> np.ndarray:
        scores = [0.9 if text in {r.text[:300] for r in rows if r.hate} else 0.1 for text in texts] \
            if head_set.encoder == "e5" else [cheap[text] for text in texts]
        return np.array(scores, dtype=np.float32).reshape(-1, 1)

    monkeypatch.setattr(defer_bands, "all_rows", lambda shared, selection: rows)
    monkeypatch.setattr(defer_bands, "long_rows", lambda rows, count: [])
    monkeypatch.setattr(defer_bands.HeadSet, "load", staticmethod(lambda path: heads[path.name]))
    monkeypatch.setattr(defer_bands, "vectors_for", vectors_for)

    def band(*extra: str) -> list[float]:
        out = tmp_path / "bands.json"
        assert defer_bands.main(["--shared", str(tmp_path), "--cheap", "cheap", "--costly", "costly",
                                 "--keep", "1.0", "violence_report=1.0", "--json", str(out), *extra]) == 0
        return list(json.loads(out.read_text(encoding="utf-8"))["news defer"]["hate_speech"]["band"])

    assert band() == [0.125, 1.0], "every source: the new rows' finds (0.25, 0.125) bind the edge"
    assert band("--exclude", "new") == [0.5, 1.0], "the old rows alone, as heads trained without the new ones"
    with pytest.raises(SystemExit):
        band("--exclude", "nwe")
    assert "--exclude: no training rows come from nwe (sources: new, old)" in capsys.readouterr().err
