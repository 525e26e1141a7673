"""``tocsin eval violence`` and the plain ``text,label`` format of ``tocsin eval classify``.

Keyword-only settings (one violence term, one hate term) make every prediction
known, so the summary lines are asserted exactly; one test runs the shipped
cascade (gate and encoder) on a few rows to check the wiring end to end.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from processors.evaluation import run_eval
from processors.evaluation.classify import EvalFileError, read_cases
from processors.evaluation.violence import read_reports, run_violence_eval, summary_line
from tocsin.settings import ProcessingSettings, Settings

# "zorglub" is the only violence term: rows 1-2 found, row 3 missed, row 4 a false alarm
REPORTS = [
    ("Zorglub attack on the village left nine dead.", "1", "attack_on_civilians"),
    ("Another zorglub raid at dawn, homes burned.", "1", "arson_destruction"),
    ("Gunmen abducted forty students from a school.", "1", "abduction"),
    ("The zorglub festival drew a large crowd.", "0", "other"),
    ("Cholera cases rose to 300 this week.", "0", "disease"),
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    categories = tmp_path / "categories.yaml"
    categories.write_text(
        "categories:\n"
        "  violence_report:\n    min_score: 1\n    terms:\n      any: [zorglub]\n"
        "  hate_speech:\n    min_score: 1\n    terms:\n      any: [vermin]\n",
        encoding="utf-8",
    )
    return Settings(
        processing=ProcessingSettings(categories_file=categories, classifiers=["keywords"], second_stage=[])
    )


def write(path: Path, header: list[str], rows: Sequence[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_violence_eval_ends_with_the_exact_summary(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "reports.csv", ["text", "violent", "subtype"], REPORTS)
    assert run_violence_eval(path, settings) == 0
    out = capsys.readouterr().out.rstrip("\n").splitlines()
    # tp 2, fn 1, fp 1, tn 1: precision 2/3, recall 2/3, fpr 1/2
    assert out[-1] == "f1=0.667 recall=0.667 precision=0.667 fpr=0.500 n=5"
    assert re.fullmatch(r"speed: [\d,.]+ rows/s \(5 rows in [\d.]+ s, models loaded\)", out[-2])
    text = "\n".join(out)
    assert "| attack_on_civilians | 1 | 1.000 | 0.000 |" in text, "found, but keywords give no subtype"
    assert "| abduction | 1 | 0.000 | 0.000 |" in text
    assert "| other | 1 | 1.000 |" in text and "| disease | 1 | 0.000 |" in text
    assert re.search(r"95% intervals \(bootstrap over the rows, 1,000 resamples\): "
                     r"f1 \d\.\d{3}-\d\.\d{3}, recall 0\.\d{3}-1\.000, precision", text)


def test_violence_eval_reads_a_file_without_subtypes(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "plain.csv", ["text", "violent"], [(t, v) for t, v, _ in REPORTS])
    assert run_eval("violence", path, settings) == 0
    assert capsys.readouterr().out.rstrip().splitlines()[-1].endswith("n=5")


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        (["text", "label"], [("x", "1")], r"needs columns text and violent"),
        (["text", "violent"], [("x", "1"), ("y", "maybe")], r"row 3: column 'violent': 'maybe'"),
    ],
)
def test_bad_violence_files_name_the_problem(
    tmp_path: Path, header: list[str], rows: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(EvalFileError, match=message):
        read_reports(write(tmp_path / "bad.csv", header, rows))


def test_summary_of_no_negatives_has_zero_fpr() -> None:
    assert summary_line([True, True], [True, False]) == "f1=0.667 recall=0.500 precision=1.000 fpr=0.000 n=2"


def test_classify_reads_a_plain_text_label_csv(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [("They are vermin", "hateful"), ("Lovely day", "non-hateful"), ("I hate them all", "hateful")]
    path = write(tmp_path / "posts.csv", ["text", "label"], rows)
    assert read_cases(path)[0] == "plain"
    assert run_eval("classify", path, settings) == 0
    out = capsys.readouterr().out.rstrip().splitlines()
    # tp 1, fn 1, tn 1: hateful P 1 R 0.5 F1 0.667; non-hateful P 0.5 R 1 F1 0.667
    assert out[-1] == "macro_f1=0.667 accuracy=0.667 n=3"
    assert out[-2].startswith("speed: ") and "rows/s" in out[-2]


def test_a_plain_csv_with_another_label_names_the_row(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.csv", ["text", "label"], [("a", "hateful"), ("b", "1")])
    with pytest.raises(EvalFileError, match=r"row 3: column 'label': '1'"):
        read_cases(path)


def test_the_shipped_cascade_runs_both_evaluations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings()
    violence = write(
        tmp_path / "v.csv",
        ["text", "violent", "subtype"],
        [
            (
                "Gunmen stormed the village at dawn and shot dead fourteen farmers, witnesses said.",
                "1",
                "killing",
            ),
            (
                "Cholera has killed 40 people in the county since March, health officials said.",
                "0",
                "disease",
            ),
        ],
    )
    assert run_eval("violence", violence, settings) == 0
    out = capsys.readouterr().out
    assert "encoder/" in out and "gate/" in out
    assert out.rstrip().splitlines()[-1] == "f1=1.000 recall=1.000 precision=1.000 fpr=0.000 n=2"
    posts = write(
        tmp_path / "p.csv",
        ["text", "label"],
        [
            ("Those cockroaches must be exterminated, every last one of their tribe.", "hateful"),
            ("The bakery on the corner has the best bread in town.", "non-hateful"),
        ],
    )
    assert run_eval("classify", posts, settings) == 0
    assert capsys.readouterr().out.rstrip().splitlines()[-1] == "macro_f1=1.000 accuracy=1.000 n=2"


def test_the_threshold_moves_what_counts_as_a_hit(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # a desk measuring its own operating point: keyword hits score 0.5, so from 0.6 none counts
    path = write(tmp_path / "reports.csv", ["text", "violent", "subtype"], REPORTS)
    assert run_eval("violence", path, settings, threshold=0.6) == 0
    out = capsys.readouterr().out.rstrip("\n").splitlines()
    assert out[-1] == "f1=0.000 recall=0.000 precision=0.000 fpr=0.000 n=5"
    assert out[1].endswith("violent = violence_report score >= 0.6")
    assert run_eval("violence", path, settings, threshold=0.5) == 0
    assert capsys.readouterr().out.rstrip("\n").splitlines()[-1] == (
        "f1=0.667 recall=0.667 precision=0.667 fpr=0.500 n=5")
    hate = write(tmp_path / "posts.csv", ["text", "label"],
                 [("those vermin", "hateful"), ("hello", "non-hateful")])
    assert run_eval("classify", hate, settings, threshold=0.6) == 0
    assert capsys.readouterr().out.rstrip("\n").splitlines()[-1] == "macro_f1=0.333 accuracy=0.500 n=2"


@pytest.mark.parametrize(("argv", "message"), [
    (["eval", "violence", "x.csv", "--threshold", "1.5"], "--threshold: 1.5 is outside [0, 1]"),
    (["eval", "violence", "x.csv", "--threshold", "high"], "--threshold: 'high' is not a number"),
    (["eval", "places", "x.xml", "--threshold", "0.4"], "--threshold is for classify and violence"),
])
def test_a_bad_threshold_is_refused_naming_it(
    argv: list[str], message: str, settings: Settings, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tocsin_launch import cli

    monkeypatch.setattr(cli, "load_settings", lambda: settings)
    code: int | str | None
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse refuses a bad value itself
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_from_zero_every_hit_counts_and_a_row_without_one_does_not(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # was: a row with no hit scored 0.0 >= 0 and counted as violent (then a KeyError on its subtype)
    path = write(tmp_path / "reports.csv", ["text", "violent", "subtype"], REPORTS)
    assert run_eval("violence", path, settings, threshold=0.0) == 0
    assert capsys.readouterr().out.rstrip("\n").splitlines()[-1] == (
        "f1=0.667 recall=0.667 precision=0.667 fpr=0.500 n=5")
