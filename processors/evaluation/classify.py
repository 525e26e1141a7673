"""``tocsin eval classify FILE``: the configured first stage against a labelled hate-speech file.

Reads, as published (see ``shared/data/README.md``):

* HateCheck and Multilingual HateCheck: columns ``test_case``, ``label_gold``
  (hateful / non-hateful), ``functionality``;
* Davidson et al. 2017: ``tweet``, ``class`` (0 hate speech is hateful);
* MLMA: ``tweet``, ``sentiment`` (hateful when it maps to hate_speech, see
  :mod:`processors.training.datasets`);
* a plain CSV: ``text``, ``label`` (``hateful`` / ``non-hateful``), and
  optionally ``group`` (reported like HateCheck's functionalities).

Each row becomes an item with no language hint, so the language is detected as
in the stream, and goes through the same enrichment as in ``tocsin process``
(:mod:`processors.evaluation.runner`: the cascade of the classifiers file).
A row is predicted hateful when its ``hate_speech`` category scores at least
0.5. Printed: accuracy per detected language and per functionality (or gold
class), precision / recall / F1 per label, how far macro-F1 and accuracy could move by
chance on this many rows (:mod:`processors.evaluation.intervals`), the speed in rows/s, and
as the last line ``macro_f1=<0.xxx> accuracy=<0.xxx> n=<rows>`` for the hateful /
non-hateful decision.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from processors.evaluation.decisions import Decisions, write_decisions
from processors.evaluation.intervals import bootstrap_intervals, interval_line
from tocsin.errors import InputError
from tocsin.settings import Settings

HATEFUL = "hateful"
NON_HATEFUL = "non-hateful"
LABELS = (HATEFUL, NON_HATEFUL)
THRESHOLD = 0.5
"""A hit counts from this score, as the issue defines the figures. ``--threshold`` moves it: the
encoder stage reports hits only from its own hit threshold (``category_thresholds``), so 0 counts
every hit the configured cascade makes, a desk's operating point under 0.5 included."""


class EvalFileError(InputError, ValueError):
    """The file is not one of the formats this harness reads; the message says what it found."""


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    hateful: bool
    group: str  # the functionality (HateCheck) or the gold class (training files: hate_speech, ...)


@dataclass(frozen=True, slots=True)
class LabelScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class BinaryReport:
    """Precision, recall and F1 of both labels of a yes/no decision, their macro mean and accuracy."""

    positive: LabelScores
    negative: LabelScores
    macro_f1: float
    accuracy: float
    n: int


def _label_scores(tp: int, fp: int, fn: int) -> LabelScores:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LabelScores(precision, recall, f1, tp + fn)


def binary_report(gold: Sequence[bool], predicted: Sequence[bool]) -> BinaryReport:
    """Scores of ``predicted`` against ``gold`` (pure; 0.0 where a measure is undefined)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, predicted, strict=True) if not g and p)
    fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g and not p)
    tn = len(gold) - tp - fp - fn
    positive = _label_scores(tp, fp, fn)
    negative = _label_scores(tn, fn, fp)
    accuracy = (tp + tn) / len(gold) if gold else 0.0
    return BinaryReport(positive, negative, (positive.f1 + negative.f1) / 2, accuracy, len(gold))


def read_cases(path: Path, limit: int | None = None) -> tuple[str, list[Case], list[str]]:
    """``(format, cases, target groups)`` of a labelled file; raises :class:`EvalFileError`.

    Formats are told apart by their columns, so files are read as published.
    ``target groups`` is HateCheck's ``target_ident`` per case ('' elsewhere).
    """
    from processors.training.datasets import davidson_label, mlma_label

    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise EvalFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    cases: list[Case] = []
    targets: list[str] = []
    with handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        if {"test_case", "label_gold", "functionality"} <= columns:
            kind = "hatecheck"
        elif {"tweet", "class"} <= columns:
            kind = "davidson"
        elif {"tweet", "sentiment"} <= columns:
            kind = "mlma"
        elif {"text", "label"} <= columns:
            kind = "plain"
        else:
            raise EvalFileError(
                f"{path}: not a HateCheck/MHC file (test_case, label_gold, functionality), nor Davidson "
                f"(tweet, class), nor MLMA (tweet, sentiment), nor a plain CSV (text, label); "
                f"columns: {sorted(columns)}")
        for number, row in enumerate(_limited(reader, limit), start=2):
            try:
                if kind == "plain":
                    gold = (row["label"] or "").strip().lower()
                    if gold not in LABELS:
                        raise ValueError(f"column 'label': {row['label']!r} is not hateful or non-hateful")
                    group = (row.get("group") or "").strip() or gold
                    cases.append(Case(row["text"] or "", gold == HATEFUL, group))
                    targets.append("")
                    continue
                if kind == "hatecheck":
                    gold = (row["label_gold"] or "").strip().lower()
                    if gold not in LABELS:
                        raise ValueError(f"column 'label_gold': {row['label_gold']!r} is not hateful or "
                                         "non-hateful")
                    cases.append(Case(row["test_case"] or "", gold == HATEFUL,
                                      (row["functionality"] or "").strip() or "(none)"))
                    targets.append((row.get("target_ident") or "").strip())
                    continue
                if kind == "davidson":
                    label = davidson_label(row["class"] or "")
                else:
                    label = mlma_label(row["sentiment"] or "")
            except ValueError as exc:
                raise EvalFileError(f"{path}: row {number}: {exc}") from None
            cases.append(Case(row["tweet"] or "", label == "hate_speech", label))
            targets.append("")
    return kind, cases, targets


def _limited(reader: csv.DictReader[str], limit: int | None) -> Iterator[dict[str, str]]:
    for count, row in enumerate(reader):
        if limit is not None and count >= limit:
            return
        yield row


def run_classify_eval(path: Path, settings: Settings, *, limit: int | None = None,
                      threshold: float = THRESHOLD, decisions: Path | None = None) -> int:
    """Classify every row of ``path`` with the configured cascade and print the measures; a row is
    hateful when its ``hate_speech`` hit scores at least ``threshold`` (see :data:`THRESHOLD`).
    ``decisions``: also write each row's decision there (:mod:`processors.evaluation.decisions`)."""
    from processors.evaluation.runner import score_texts

    kind, cases, targets = read_cases(path, limit)
    scored = score_texts([case.text for case in cases], settings, path.name)
    scores = [hit.score if (hit := hits.get("hate_speech")) is not None else 0.0 for hits in scored.hits]
    predicted = [hits.get("hate_speech") is not None and score >= threshold
                 for hits, score in zip(scored.hits, scores, strict=True)]
    if decisions is not None:
        write_decisions(decisions, Decisions([case.hateful for case in cases], predicted, scores,
                                             scored.langs, [case.group for case in cases]))
    print(f"classify eval: {path.name} ({kind} format), {len(cases):,} rows")
    print(f"classifiers: {scored.classifiers}; hateful = hate_speech score >= {threshold}")
    if kind in ("davidson", "mlma"):
        print("note: a training file; the heads were trained on 70% of its rows, so these figures are "
              "optimistic (the dev-split figures are in models/encoder/metrics.json)")
    group_title = {"hatecheck": "functionality", "plain": "group"}.get(kind, "gold class")
    lines = report_lines(cases, predicted, scored.langs, targets, group_title=group_title)
    for line in lines[:-1]:
        print(line)
    print(scored.rate_line())
    print(lines[-1])
    return 0


def report_lines(cases: Sequence[Case], predicted: Sequence[bool], langs: Sequence[str],
                 targets: Sequence[str], *, group_title: str = "functionality") -> list[str]:
    """The printed report; its last line is the summary ``macro_f1=… accuracy=… n=…``."""
    gold = [case.hateful for case in cases]
    lines: list[str] = []

    def breakdown(title: str, keys: Sequence[str], with_gold: bool) -> None:
        rows: dict[str, list[int]] = defaultdict(list)
        for index, key in enumerate(keys):
            rows[key].append(index)
        lines.extend(["", f"accuracy by {title}",
                      f"| {title} |{' gold |' if with_gold else ''} n | accuracy |",
                      f"|---|{'---|' if with_gold else ''}---:|---:|"])
        for key in sorted(rows, key=lambda k: (-len(rows[k]), k) if not with_gold else (k,)):
            indices = rows[key]
            right = sum(1 for i in indices if gold[i] == predicted[i])
            majority = Counter(HATEFUL if gold[i] else NON_HATEFUL for i in indices).most_common(1)[0][0]
            lines.append(f"| {key} |{f' {majority} |' if with_gold else ''} {len(indices):,} | "
                         f"{right / len(indices):.3f} |")

    breakdown("language", langs, with_gold=False)
    breakdown(group_title, [case.group for case in cases], with_gold=True)
    if any(targets):
        breakdown("target", [target or "(none)" for target in targets], with_gold=False)
    report = binary_report(gold, predicted)
    lines.extend(["", "per label", "| label | precision | recall | F1 | support |",
                  "|---|---:|---:|---:|---:|"])
    for label, scores in ((HATEFUL, report.positive), (NON_HATEFUL, report.negative)):
        lines.append(f"| {label} | {scores.precision:.3f} | {scores.recall:.3f} | {scores.f1:.3f} | "
                     f"{scores.support:,} |")
    lines += ["", interval_line(bootstrap_intervals(gold, predicted), ("macro_f1", "accuracy"))]
    lines.append("")
    lines.append(f"macro_f1={report.macro_f1:.3f} accuracy={report.accuracy:.3f} n={report.n}")
    return lines
