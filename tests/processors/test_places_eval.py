"""The GeoVirus-style evaluation harness, on a small file this test writes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from processors.evaluation.places import (
    MAX_KM,
    Article,
    EvalFileError,
    Gold,
    Predicted,
    PrimaryPoint,
    error_auc,
    gold_country_of,
    primary_errors,
    read_articles,
    run_places_eval,
    score,
)
from tocsin.settings import Settings
from tocsin_launch.cli import main

# Gold points at the gazetteer's own coordinates, so the errors are exactly zero.
KHARKIV = (49.98177, 36.25475)
GOMA = (-1.67409, 29.22845)
ARTICLES = f"""<?xml version="1.0" encoding="utf-8"?>
<articles>
    <article>
        <source>https://example.org/1</source>
        <text>Shelling hit Kharkiv and Goma. Villagers fled to Tawila.</text>
        <locations>
            <location><name>Kharkiv</name><start>13</start><end>20</end>
                <lat>{KHARKIV[0]}</lat><lon>{KHARKIV[1]}</lon><page>x</page></location>
            <location><name>Goma</name><start>25</start><end>29</end>
                <lat>{GOMA[0]}</lat><lon>{GOMA[1]}</lon><page>x</page></location>
            <location><name>Tawila</name><start>49</start><end>55</end>
                <lat>13.5</lat><lon>24.9</lon><page>x</page></location>
        </locations>
    </article>
    <article>
        <source>https://example.org/2</source>
        <text>Nothing here names a place.</text>
        <locations></locations>
    </article>
</articles>
"""


@pytest.fixture()
def geovirus(tmp_path: Path) -> Path:
    path = tmp_path / "mini-geovirus.xml"
    path.write_text(ARTICLES, encoding="utf-8")
    return path


def test_prints_the_measures_and_ends_with_the_summary_line(geovirus: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert run_places_eval(geovirus, Settings()) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "places eval: mini-geovirus.xml, 2 articles, 3 gold toponyms"
    assert any(line.startswith("tocsin gazetteer") for line in lines)
    assert lines[-1] == "acc161=1.000 mean_km=0 median_km=0 recall=0.667 n=3"


@pytest.mark.skipif(importlib.util.find_spec("geotext") is None, reason="geotext is not installed")
def test_geotext_is_scored_side_by_side(geovirus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_places_eval(geovirus, Settings())
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("geotext 0.") for line in lines)
    assert lines[-2].startswith("geotext: acc161=") and lines[-2].endswith(" n=3")


def test_the_cli_runs_it_with_a_limit(geovirus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "places", str(geovirus), "--limit", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "places eval: mini-geovirus.xml, 1 articles, 3 gold toponyms"
    assert out[-1] == "acc161=1.000 mean_km=0 median_km=0 recall=0.667 n=3"


def test_reads_gold_toponyms(geovirus: Path) -> None:
    first, second = read_articles(geovirus)
    assert first.gold[0] == Gold("Kharkiv", 13, 20, *KHARKIV)
    assert first.text[13:20] == "Kharkiv" and second.gold == ()


@pytest.mark.parametrize(("content", "message"), [
    ("<articles><article>", "not readable XML"),
    ("<rss></rss>", r"no <article> elements \(root is <rss>\)"),
    ("<articles><article><text>x</text><locations><location><name>x</name><start>a</start>"
     "</location></locations></article></articles>", "article 1: a <location> lacks a number"),
])
def test_other_files_are_refused_with_a_reason(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EvalFileError, match=message):
        read_articles(path)


def test_scoring_by_span_overlap() -> None:
    article = Article("Floods in Paris and Lyon and Nice.", (
        Gold("Paris", 10, 15, 48.85, 2.35), Gold("Lyon", 20, 24, 45.76, 4.84),
        Gold("Nice", 29, 33, 43.7, 7.27)))
    predicted = [Predicted(10, 15, 49.85, 2.35, "FR"),          # one degree north: 111 km
                 Predicted(19, 24, None, None, "FR", "region"),  # found, without coordinates
                 Predicted(0, 6, 0.0, 0.0, "XX")]                # not on any gold toponym
    result = score([article], [predicted], lambda gold: "FR")
    assert (result.gold, result.found, result.mentions, result.on_gold) == (3, 2, 3, 2)
    assert result.errors[0] == pytest.approx(111.19, abs=0.01) and result.errors[1] == MAX_KM
    measures = (result.acc161, result.recall, result.precision, result.country_accuracy)
    assert measures == (0.5, 2 / 3, 2 / 3, 1.0)
    assert result.median_km == pytest.approx((111.19 + MAX_KM) / 2, abs=0.01)
    assert result.summary() == "acc161=0.500 mean_km=10075 median_km=10075 recall=0.667 n=3"


def test_error_auc_runs_from_zero_to_one() -> None:
    assert error_auc([0.0, 0.0, 0.0]) == 0.0
    assert error_auc([MAX_KM, MAX_KM]) == pytest.approx(1.0)
    assert 0.0 < error_auc([0.0, 100.0, 1000.0]) < 1.0


def test_rows_by_feature_class_and_the_primary_place(geovirus: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    run_places_eval(geovirus, Settings())
    lines = capsys.readouterr().out.splitlines()
    town = next(line for line in lines if line.strip().startswith("as town"))
    assert town.split()[2:4] == ["2", "1.000"]          # Kharkiv and Goma, both within 161 km
    primary = next(line for line in lines if line.strip().startswith("primary place"))
    assert primary.split()[2:4] == ["1", "1.000"]     # one article with gold toponyms; Kharkiv is one


def test_the_gold_country_is_where_most_gold_toponyms_are() -> None:
    golds = (Gold("a", 0, 1, 0.0, 0.0), Gold("b", 2, 3, 10.0, 10.0), Gold("c", 4, 5, 10.1, 10.1))
    assert gold_country_of(Article("a b c", golds), lambda gold: "X" if gold.lat > 5 else "Y") == "X"
    assert gold_country_of(Article("", ()), lambda gold: "X") is None


def test_the_primary_error_is_the_distance_to_the_nearest_gold_toponym() -> None:
    article = Article("x", (Gold("x", 0, 1, 0.0, 0.0), Gold("y", 2, 3, 0.0, 1.0)))
    errors, right, known = primary_errors([article], [PrimaryPoint(0.0, 1.0, "FR")], lambda gold: "FR")
    assert (errors, right, known) == ([0.0], 1, 1)


def test_a_primary_place_missing_counts_the_largest_error() -> None:
    article = Article("x", (Gold("x", 0, 1, 1.0, 1.0),))
    errors, right, known = primary_errors([article], [PrimaryPoint(None, None, None)], lambda gold: "FR")
    assert (errors, right, known) == ([MAX_KM], 0, 1)


MULTILINGUAL = Path(__file__).parent / "data" / "places_multilingual.xml"


def test_our_own_multilingual_set_is_found_and_placed(capsys: pytest.CaptureFixture[str]) -> None:
    """Sentences we wrote in 15 languages (tests/processors/data/places_multilingual.py): a check
    that nothing is tuned to GeoVirus's English alone. A regression guard, set below today's figures."""
    run_places_eval(MULTILINGUAL, Settings())
    summary = capsys.readouterr().out.splitlines()[-1]
    fields = dict(field.split("=") for field in summary.split())
    assert float(fields["recall"]) >= 0.9 and float(fields["acc161"]) >= 0.95


def test_the_multilingual_set_is_what_its_script_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("places_multilingual", MULTILINGUAL.with_suffix(".py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import xml.etree.ElementTree as ET

    path = tmp_path / "fresh.xml"
    ET.ElementTree(module.build()).write(path, encoding="utf-8")
    assert read_articles(path) == read_articles(MULTILINGUAL)
