"""``tocsin eval compare BEFORE AFTER``: did a change move a figure, or only which rows it gets right?

Reads two decisions files (``tocsin eval classify|violence FILE --decisions OUT.csv``) of the same
labelled file, e.g. before and after retraining a head. Two separate 95 % intervals overlap even
when one head is reliably better, because both make mostly the same errors; the paired view
answers the question a reviewer asks: per measure, the difference and its 95 % interval over the
same resampled rows (:func:`processors.evaluation.intervals.paired_difference_intervals`); the
rows only one run gets right, overall, per group and per detected language (a gain overall can
hide a loss in one language), with McNemar's exact test on them; and per detected language with
at least :data:`MIN_LANGUAGE_ROWS` rows, the macro-F1 difference and its paired interval, so a
rule can guard each language (the shipped Arabic route was chosen so). The last
line is the summary ``macro_f1_difference=… low=… high=… right_only_before=… right_only_after=…
mcnemar_p=… n=…``.
"""

from __future__ import annotations

from collections import defaultdict
from math import comb
from pathlib import Path

from processors.evaluation.classify import binary_report
from processors.evaluation.decisions import Decisions, read_decisions, same_rows
from processors.evaluation.intervals import LEVEL, MEASURES, RESAMPLES, paired_difference_intervals

MIN_LANGUAGE_ROWS = 30
"""Fewer rows of a language than this get no interval of their own: it would span most of 0-1."""


def mcnemar_exact_p(right_only_before: int, right_only_after: int) -> float:
    """Two-sided exact McNemar p: how often a fair coin splits the discordant rows this unevenly."""
    discordant = right_only_before + right_only_after
    if discordant == 0:
        return 1.0
    tail = sum(comb(discordant, k) for k in range(min(right_only_before, right_only_after) + 1))
    return min(1.0, 2 * tail / 2**discordant)


def _point(decisions: Decisions) -> dict[str, float]:
    report = binary_report(decisions.gold, decisions.predicted)
    return {"macro_f1": report.macro_f1, "accuracy": report.accuracy, "f1": report.positive.f1,
            "recall": report.positive.recall, "precision": report.positive.precision}


def report_lines(before: Decisions, after: Decisions, names: tuple[str, str]) -> list[str]:
    """The printed comparison; its last line is the summary."""
    same_rows(before, after, names)
    gold = before.gold
    right_before = [g == p for g, p in zip(gold, before.predicted, strict=True)]
    right_after = [g == p for g, p in zip(gold, after.predicted, strict=True)]
    only_before = sum(1 for b, a in zip(right_before, right_after, strict=True) if b and not a)
    only_after = sum(1 for b, a in zip(right_before, right_after, strict=True) if a and not b)
    p_value = mcnemar_exact_p(only_before, only_after)
    earlier, later = _point(before), _point(after)
    intervals = paired_difference_intervals(gold, before.predicted, after.predicted)
    lines = [f"compare: before {names[0]}, after {names[1]}; {len(gold):,} rows", "",
             f"paired differences (after - before), {LEVEL:.0%} interval over the same resampled rows "
             f"({RESAMPLES:,} resamples)",
             "| measure | before | after | difference | interval |", "|---|---:|---:|---:|---|"]
    for name in MEASURES:
        low, high = intervals.get(name, (0.0, 0.0))
        difference = later[name] - earlier[name]
        lines.append(f"| {name} | {earlier[name]:.3f} | {later[name]:.3f} | {difference:+.3f} | "
                     f"{low:+.3f} to {high:+.3f} |")
    lines += _flips_by("group", before.groups, right_before, right_after)
    lines += _flips_by("detected language", before.langs, right_before, right_after)
    lines += _macro_f1_by_language(before, after)
    low, high = intervals.get("macro_f1", (0.0, 0.0))
    difference = later["macro_f1"] - earlier["macro_f1"]
    lines += ["", f"McNemar's exact test on the {only_before + only_after:,} rows only one run gets right: "
              f"p={p_value:.3g}", "",
              f"macro_f1_difference={difference:+.3f} low={low:+.3f} high={high:+.3f} "
              f"right_only_before={only_before} right_only_after={only_after} mcnemar_p={p_value:.3g} "
              f"n={len(gold)}"]
    return lines


def _rows_by(keys: list[str]) -> dict[str, list[int]]:
    """Row indices per value of ``keys`` (an empty value as ``(none)``)."""
    rows_of: dict[str, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        rows_of[key or "(none)"].append(index)
    return rows_of


def _flips_by(title: str, keys: list[str], right_before: list[bool], right_after: list[bool]) -> list[str]:
    """A table of the rows each run gets right, and only it, per value of ``keys``."""
    rows_of = _rows_by(keys)
    lines = ["", f"rows only one run gets right, by {title}",
             f"| {title} | n | right before | right after | only before | only after |",
             "|---|---:|---:|---:|---:|---:|"]
    for key in sorted(rows_of):
        rows = rows_of[key]
        lines.append(
            f"| {key} | {len(rows):,} | {sum(right_before[i] for i in rows):,} | "
            f"{sum(right_after[i] for i in rows):,} | "
            f"{sum(1 for i in rows if right_before[i] and not right_after[i]):,} | "
            f"{sum(1 for i in rows if right_after[i] and not right_before[i]):,} |")
    return lines


def _macro_f1_by_language(before: Decisions, after: Decisions) -> list[str]:
    """Per detected language with enough rows: macro-F1 before, after, and the paired difference."""
    rows_of = _rows_by(before.langs)
    lines = ["", f"macro-F1 by detected language ({MIN_LANGUAGE_ROWS} rows or more), paired "
             f"{LEVEL:.0%} interval of the difference",
             "| detected language | n | before | after | difference | interval |",
             "|---|---:|---:|---:|---:|---|"]
    for lang in sorted(rows_of):
        rows = rows_of[lang]
        if len(rows) < MIN_LANGUAGE_ROWS:
            continue
        gold = [before.gold[i] for i in rows]
        earlier = binary_report(gold, [before.predicted[i] for i in rows]).macro_f1
        later = binary_report(gold, [after.predicted[i] for i in rows]).macro_f1
        low, high = paired_difference_intervals(
            gold, [before.predicted[i] for i in rows], [after.predicted[i] for i in rows])["macro_f1"]
        lines.append(f"| {lang} | {len(rows):,} | {earlier:.3f} | {later:.3f} | {later - earlier:+.3f} | "
                     f"{low:+.3f} to {high:+.3f} |")
    return lines


def run_compare(before: Path, after: Path) -> int:
    for line in report_lines(read_decisions(before), read_decisions(after), (before.name, after.name)):
        print(line)
    return 0
