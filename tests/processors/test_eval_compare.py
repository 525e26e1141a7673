"""``tocsin eval compare``: decisions files, the paired bootstrap, McNemar's test and the summary line.

Two keyword-only configurations are run on one plain CSV, so which rows each gets right is
known: the comparison's counts and its last line can be asserted exactly.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from processors.evaluation.compare import mcnemar_exact_p
from processors.evaluation.decisions import (
    Decisions,
    DecisionsFileError,
    read_decisions,
    same_rows,
    write_decisions,
)
from processors.evaluation.intervals import bootstrap_intervals, paired_difference_intervals
from tocsin.settings import ProcessingSettings, Settings

# (text, label, group). Before knows only "zorglub", after also "blurf":
# row 2 is right only after, row 6 right only before; row 3 is wrong in both.
ROWS = [
    ("They are zorglub and must go.", "hateful", "threat"),
    ("blurf people should be driven out.", "hateful", "threat"),
    ("Saying zorglub about anyone is wrong.", "non-hateful", "counter_speech"),
    ("Lovely picnic by the river.", "non-hateful", "everyday"),
    ("The train was late again.", "non-hateful", "everyday"),
    ("blurf is what my grandmother called this soup.", "non-hateful", "everyday"),
]


def keyword_settings(tmp_path: Path, terms: list[str]) -> Settings:
    categories = tmp_path / f"categories-{len(terms)}.yaml"
    categories.write_text("categories:\n  hate_speech:\n    min_score: 1\n    terms:\n"
                          f"      any: [{', '.join(terms)}]\n", encoding="utf-8")
    return Settings(processing=ProcessingSettings(categories_file=categories, classifiers=["keywords"],
                                                  second_stage=[]))


def labelled_file(tmp_path: Path) -> Path:
    path = tmp_path / "labelled.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label", "group"])
        writer.writerows(ROWS)
    return path


def run_cli(args: list[str], settings: Settings | None, monkeypatch: pytest.MonkeyPatch) -> int:
    from tocsin_launch import cli

    if settings is not None:
        monkeypatch.setattr(cli, "load_settings", lambda: settings)
    return cli.main(args)


def test_two_runs_compared_row_by_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    labelled, before, after = labelled_file(tmp_path), tmp_path / "before.csv", tmp_path / "after.csv"
    assert run_cli(["eval", "classify", str(labelled), "--decisions", str(before)],
                   keyword_settings(tmp_path, ["zorglub"]), monkeypatch) == 0
    assert run_cli(["eval", "classify", str(labelled), "--decisions", str(after)],
                   keyword_settings(tmp_path, ["zorglub", "blurf"]), monkeypatch) == 0
    written = read_decisions(before)
    assert written.gold == [True, True, False, False, False, False]
    assert written.predicted == [True, False, True, False, False, False]
    assert written.groups == [group for _, _, group in ROWS] and len(written.langs) == 6
    assert written.scores[0] > 0 and written.scores[1] == 0.0
    capsys.readouterr()
    assert run_cli(["eval", "compare", str(before), str(after)], None, monkeypatch) == 0
    out = capsys.readouterr().out.rstrip().splitlines()
    # before: tp 1 fn 1 fp 1 tn 3, macro-F1 (1/2 + 3/4) / 2; after: tp 2 fn 0 fp 2 tn 2, (2/3 + 2/3) / 2
    assert re.fullmatch(r"macro_f1_difference=\+0\.042 low=[-+]\d\.\d{3} high=\+\d\.\d{3} "
                        r"right_only_before=1 right_only_after=1 mcnemar_p=1 n=6", out[-1]), out[-1]
    text = "\n".join(out)
    assert "| recall | 0.500 | 1.000 | +0.500 |" in text
    assert "| everyday | 3 | 3 | 2 | 1 | 0 |" in text and "| threat | 2 | 1 | 2 | 0 | 1 |" in text
    assert "| counter_speech | 1 | 0 | 0 | 0 | 0 |" in text
    # by detected language too: every row's language is in the table and the counts add up
    by_language = text.split("by detected language")[1].split("McNemar")[0]
    counted = [line.split("|")[2:7] for line in by_language.splitlines()
               if line.startswith("| ") and not line.startswith("| detected language")]
    assert sum(int(cells[0]) for cells in counted) == 6
    assert [sum(int(cells[k]) for cells in counted) for k in (3, 4)] == [1, 1], "only before, only after"


def test_compare_refuses_runs_on_different_files(tmp_path: Path) -> None:
    one = Decisions([True, False], [True, True], [0.9, 0.8], ["en", "en"], ["a", "b"])
    with pytest.raises(DecisionsFileError, match=r"holds 2 rows but b\.csv 1"):
        same_rows(one, Decisions([True], [True], [0.9], ["en"], ["a"]), ("a.csv", "b.csv"))
    with pytest.raises(DecisionsFileError, match=r"row 2: a\.csv and b\.csv disagree on the gold label"):
        same_rows(one, Decisions([True, True], [True, True], [0.9, 0.8], ["en", "en"], ["a", "b"]),
                  ("a.csv", "b.csv"))


def test_decisions_round_trip_and_bad_files_name_the_line(tmp_path: Path) -> None:
    decisions = Decisions([True, False], [False, False], [0.25, 0.0], ["ar", "hi"], ["slur", "news, 2"])
    path = tmp_path / "d.csv"
    write_decisions(path, decisions)
    assert read_decisions(path) == decisions
    path.write_text("row,gold,predicted,score,lang,group\n1,1,yes,0.5,en,a\n", encoding="utf-8")
    with pytest.raises(DecisionsFileError, match=r"line 2: column 'predicted': 'yes' is not 0 or 1"):
        read_decisions(path)
    path.write_text("row,gold,predicted,score,lang,group\n2,1,1,0.5,en,a\n", encoding="utf-8")
    with pytest.raises(DecisionsFileError, match="numbered 1, 2"):
        read_decisions(path)
    path.write_text("text,label\nhello,hateful\n", encoding="utf-8")
    with pytest.raises(DecisionsFileError, match="not a decisions file"):
        read_decisions(path)
    with pytest.raises(DecisionsFileError, match="cannot read"):
        read_decisions(tmp_path / "missing.csv")


@pytest.mark.parametrize(("only_before", "only_after", "p"), [
    (0, 0, 1.0), (0, 5, 0.0625), (5, 0, 0.0625), (1, 9, 0.021484375), (10, 10, 1.0)])
def test_mcnemar_exact_p(only_before: int, only_after: int, p: float) -> None:
    assert mcnemar_exact_p(only_before, only_after) == pytest.approx(p)


def test_the_paired_interval_sees_a_gain_that_two_separate_intervals_hide() -> None:
    gold = [index % 2 == 0 for index in range(200)]
    before = [g if index % 5 else not g for index, g in enumerate(gold)]  # 40 rows wrong
    fixed = set(range(0, 200, 5)[:12])
    after = [gold[index] if index in fixed else p for index, p in enumerate(before)]  # 12 of them fixed
    paired = paired_difference_intervals(gold, before, after)
    assert paired["accuracy"][0] > 0 and paired["macro_f1"][0] > 0
    apart_before, apart_after = bootstrap_intervals(gold, before), bootstrap_intervals(gold, after)
    assert apart_after["accuracy"][0] < apart_before["accuracy"][1], "the separate intervals overlap"
    assert paired["accuracy"][0] <= 12 / 200 <= paired["accuracy"][1]
    assert paired_difference_intervals(gold, before, before)["macro_f1"] == (0.0, 0.0)
    assert paired_difference_intervals([], [], []) == {}
    with pytest.raises(ValueError, match="2 gold labels, 2 and 1 predictions"):
        paired_difference_intervals([True, False], [True, False], [True])


def test_each_language_with_enough_rows_gets_its_own_paired_macro_f1() -> None:
    """A gain in one language can hide a loss in another: each gets its difference and interval."""
    from processors.evaluation.compare import MIN_LANGUAGE_ROWS, report_lines

    gold = [index % 2 == 0 for index in range(100)]
    langs = ["fr"] * 40 + ["pt"] * 40 + ["de"] * 10 + [""] * 10
    before = [g if index % 4 else not g for index, g in enumerate(gold)]  # every 4th row wrong
    after = list(before)
    for index in range(0, 40, 4):  # French: all ten wrong rows fixed
        after[index] = gold[index]
    for index in range(41, 80, 8):  # Portuguese: five right rows broken
        after[index] = not gold[index]
    lines = report_lines(Decisions(gold, before, [0.0] * 100, langs, [""] * 100),
                         Decisions(gold, after, [0.0] * 100, langs, [""] * 100), ("b.csv", "a.csv"))
    table = lines[lines.index(next(line for line in lines if line.startswith("macro-F1 by detected"))):]
    cells = {line.split(" | ")[0].strip("| "): line.strip("| ").split(" | ")
             for line in table if line.startswith("| ") and "---" not in line}
    assert MIN_LANGUAGE_ROWS > 10 and set(cells) == {"detected language", "fr", "pt"}, "de: 10 rows, too few"
    # French: 10 of 20 hateful rows missed, then none (2/3 and 4/5 F1, then 1); Portuguese: 5 of
    # 20 non-hateful rows then called hateful (F1 4/7 and 2/3)
    assert cells["fr"][:5] == ["fr", "40", "0.733", "1.000", "+0.267"]
    assert cells["pt"][:5] == ["pt", "40", "0.733", "0.619", "-0.114"]
    fr_low, _ = (float(edge) for edge in cells["fr"][5].split(" to "))
    _, pt_high = (float(edge) for edge in cells["pt"][5].split(" to "))
    assert fr_low > 0 and pt_high < 0


def test_cli_refuses_a_wrong_number_of_files_and_misplaced_options(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    settings = keyword_settings(tmp_path, ["zorglub"])
    assert run_cli(["eval", "compare", str(tmp_path / "a.csv")], settings, monkeypatch) == 2
    assert "give two decisions files, before then after (1 given)" in capsys.readouterr().err
    assert run_cli(["eval", "classify", "a.csv", "b.csv"], settings, monkeypatch) == 2
    assert "give one file (2 given)" in capsys.readouterr().err
    assert run_cli(["eval", "places", "x.xml", "--decisions", "d.csv"], settings, monkeypatch) == 2
    assert "--decisions is for classify and violence" in capsys.readouterr().err
    missing_folder = tmp_path / "nowhere" / "d.csv"
    assert run_cli(["eval", "classify", str(labelled_file(tmp_path)), "--decisions", str(missing_folder)],
                   settings, monkeypatch) == 2
    refusal = f"tocsin: {missing_folder}: its folder {missing_folder.parent} does not exist"
    assert capsys.readouterr().err.strip() == refusal


def test_violence_decisions_are_grouped_by_subtype_or_kind(tmp_path: Path) -> None:
    from processors.evaluation.violence import run_violence_eval

    categories = tmp_path / "violence.yaml"
    categories.write_text("categories:\n  violence_report:\n    min_score: 1\n"
                          "    terms:\n      any: [zorglub]\n", encoding="utf-8")
    settings = Settings(processing=ProcessingSettings(categories_file=categories, classifiers=["keywords"],
                                                      second_stage=[]))
    reports = tmp_path / "reports.csv"
    reports.write_text("text,violent,subtype\nZorglub attack on the village.,1,attack_on_civilians\n"
                       "Gunmen abducted forty students.,1,\nCholera cases rose again.,0,disease\n"
                       "The zorglub festival drew a crowd.,0,\n", encoding="utf-8")
    out = tmp_path / "decisions.csv"
    assert run_violence_eval(reports, settings, decisions=out) == 0
    written = read_decisions(out)
    assert written.gold == [True, True, False, False] and written.predicted == [True, False, False, True]
    assert written.groups == ["attack_on_civilians", "violent", "disease", "not violent"]
