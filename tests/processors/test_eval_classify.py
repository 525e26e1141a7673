"""``tocsin eval classify``: reading each published format, the measures, and the summary line.

The files are written here, in the exact column layouts of the published
files. The category file has one hate term, so what the first stage predicts
for each row is known, and the summary line can be asserted exactly.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from processors.evaluation.classify import (
    EvalFileError,
    binary_report,
    read_cases,
    run_classify_eval,
)
from tocsin.settings import ProcessingSettings, Settings

HATECHECK_COLUMNS = ["", "functionality", "case_id", "test_case", "label_gold", "target_ident", "direction",
                     "focus_words", "focus_lemma", "ref_case_id", "ref_templ_id", "templ_id", "case_templ"]
MHC_COLUMNS = ["mhc_case_id", "functionality", "test_case", "label_gold", "target_ident", "ref_case_id",
               "ref_templ_id", "templ_id", "case_templ", "gender_male", "gender_female", "label_annotated",
               "label_annotated_maj", "disagreement_in_case", "disagreement_in_template"]
DAVIDSON_COLUMNS = ["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"]
MLMA_COLUMNS = ["HITId", "tweet", "sentiment", "directness", "annotator_sentiment", "target", "group"]

# (text, gold hateful, functionality): "zorglub" is the only hate term, so the
# first two are found, the third is missed, the fourth is a false alarm.
CASES = [
    ("All of them are zorglub and should leave.", True, "derog_dehum_h"),
    ("Those people are zorglub, nothing more.", True, "derog_dehum_h"),
    ("I really cannot stand those people at all.", True, "derog_neg_emote_h"),
    ("Calling anyone zorglub is unacceptable, say it with me.", False, "counter_quote_nh"),
    ("We had a lovely picnic by the river yesterday.", False, "ident_neutral_nh"),
    ("The train to the coast was late again this morning.", False, "ident_neutral_nh"),
]
# tp 2, fn 1, fp 1, tn 2: both labels P = R = F1 = 2/3
SUMMARY = "macro_f1=0.667 accuracy=0.667 n=6"


def write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in columns})
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    categories = tmp_path / "categories.yaml"
    categories.write_text("categories:\n  hate_speech:\n    min_score: 1\n    terms:\n      any: [zorglub]\n",
                          encoding="utf-8")
    # keywords alone (no second stage): what each row gets is known
    return Settings(processing=ProcessingSettings(categories_file=categories, classifiers=["keywords"],
                                                  second_stage=[]))


def hatecheck_file(tmp_path: Path) -> Path:
    rows = [{"": str(i), "functionality": f, "case_id": str(i + 1), "test_case": text,
             "label_gold": "hateful" if gold else "non-hateful", "target_ident": "immigrants"}
            for i, (text, gold, f) in enumerate(CASES)]
    return write_csv(tmp_path / "hatecheck.csv", HATECHECK_COLUMNS, rows)


def mhc_file(tmp_path: Path) -> Path:
    rows = [{"mhc_case_id": f"french-{i + 1}", "functionality": f, "test_case": text,
             "label_gold": "hateful" if gold else "non-hateful", "target_ident": "women",
             "label_annotated": "['hateful', 'hateful', 'hateful']", "disagreement_in_case": "False"}
            for i, (text, gold, f) in enumerate(CASES)]
    return write_csv(tmp_path / "mhc_french.csv", MHC_COLUMNS, rows)


def davidson_file(tmp_path: Path) -> Path:
    rows = [{"": str(i), "count": "3", "class": "0" if gold else ("1" if i % 2 else "2"), "tweet": text}
            for i, (text, gold, _) in enumerate(CASES)]
    return write_csv(tmp_path / "davidson.csv", DAVIDSON_COLUMNS, rows)


def mlma_file(tmp_path: Path) -> Path:
    sentiments = ["hateful", "offensive_hateful", "hateful_normal", "offensive", "normal", "fearful"]
    rows = [{"HITId": str(i + 1), "tweet": text, "sentiment": sentiment, "directness": "direct",
             "target": "origin", "group": "other"}
            for i, ((text, _, _), sentiment) in enumerate(zip(CASES, sentiments, strict=True))]
    return write_csv(tmp_path / "mlma.csv", MLMA_COLUMNS, rows)


@pytest.mark.parametrize(("writer", "kind"), [
    (hatecheck_file, "hatecheck"), (mhc_file, "hatecheck"), (davidson_file, "davidson"), (mlma_file, "mlma"),
])
def test_each_format_ends_with_the_exact_summary_line(writer: object, kind: str, tmp_path: Path,
                                                      settings: Settings,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = writer(tmp_path)  # type: ignore[operator]
    assert read_cases(path)[0] == kind
    assert run_classify_eval(path, settings) == 0
    out = capsys.readouterr().out
    assert out.rstrip("\n").splitlines()[-1] == SUMMARY


def test_report_has_functionalities_languages_and_labels(
        tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    run_classify_eval(hatecheck_file(tmp_path), settings)
    out = capsys.readouterr().out
    assert "| derog_dehum_h | hateful | 2 | 1.000 |" in out
    assert "| derog_neg_emote_h | hateful | 1 | 0.000 |" in out
    assert "| counter_quote_nh | non-hateful | 1 | 0.000 |" in out
    assert "| ident_neutral_nh | non-hateful | 2 | 1.000 |" in out
    assert re.search(r"\| en \| \d \| [01]\.\d{3} \|", out), "accuracy per detected language"
    assert "| hateful | 0.667 | 0.667 | 0.667 | 3 |" in out
    assert "| non-hateful | 0.667 | 0.667 | 0.667 | 3 |" in out
    assert "| immigrants | 6 | 0.667 |" in out
    # six rows: a figure this small could be far off, and the report says so
    low, high = (float(x) for x in re.search(r"macro_f1 (\d\.\d{3})-(\d\.\d{3})", out).groups())  # type: ignore[union-attr]
    assert low <= 0.667 <= high and high - low > 0.3
    assert "classifiers: cascade/1 [keywords/1 → –]" in out or "classifiers: keywords/1" in out


def test_limit_reads_the_first_rows(tmp_path: Path, settings: Settings,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    run_classify_eval(hatecheck_file(tmp_path), settings, limit=2)
    assert capsys.readouterr().out.rstrip().splitlines()[-1] == "macro_f1=0.500 accuracy=1.000 n=2"


def test_cli_runs_the_harness(tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    from tocsin_launch import cli

    monkeypatch.setattr(cli, "load_settings", lambda: settings)
    assert cli.main(["eval", "classify", str(hatecheck_file(tmp_path))]) == 0
    assert capsys.readouterr().out.rstrip().splitlines()[-1] == SUMMARY


def test_the_shipped_first_stage_runs_on_a_real_format(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(processing=ProcessingSettings(classifiers=["keywords", "ngram"]))
    run_classify_eval(mhc_file(tmp_path), settings)
    out = capsys.readouterr().out
    assert "ngram/" in out
    assert re.fullmatch(r"macro_f1=\d\.\d{3} accuracy=\d\.\d{3} n=6", out.rstrip().splitlines()[-1])


def test_unknown_columns_are_an_error_naming_them(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "other.csv", ["content", "gold"], [{"content": "x", "gold": "1"}])
    with pytest.raises(EvalFileError, match=r"other\.csv: not a HateCheck/MHC file .*'content', 'gold'"):
        read_cases(path)


def test_a_bad_gold_label_names_the_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "hc.csv", HATECHECK_COLUMNS,
                     [{"functionality": "x", "test_case": "a", "label_gold": "hateful"},
                      {"functionality": "x", "test_case": "b", "label_gold": "maybe"}])
    with pytest.raises(EvalFileError, match=r"hc\.csv: row 3: column 'label_gold': 'maybe'"):
        read_cases(path)


def test_a_missing_file_is_an_eval_file_error(tmp_path: Path) -> None:
    with pytest.raises(EvalFileError, match="cannot read"):
        read_cases(tmp_path / "absent.csv")


def test_binary_report_arithmetic() -> None:
    report = binary_report([True, True, True, False, False], [True, False, False, False, True])
    assert (report.positive.precision, report.positive.recall) == (0.5, pytest.approx(1 / 3))
    assert (report.negative.precision, report.negative.recall) == (pytest.approx(1 / 3), 0.5)
    assert report.accuracy == 0.4 and report.n == 5
    assert report.macro_f1 == pytest.approx(0.4)


def test_binary_report_of_nothing_is_zero() -> None:
    report = binary_report([], [])
    assert (report.macro_f1, report.accuracy, report.n) == (0.0, 0.0, 0)
