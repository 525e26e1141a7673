"""``tocsin eval classify FILE``: the configured first stage against a labelled hate-speech file.

Reads, as published (see ``shared/data/README.md``):

* HateCheck and Multilingual HateCheck: columns ``test_case``, ``label_gold``
  (hateful / non-hateful), ``functionality``;
* Davidson et al. 2017: ``tweet``, ``class`` (0 hate speech is hateful);
* MLMA: ``tweet``, ``sentiment`` (hateful when it maps to hate_speech, see
  :mod:`processors.training.datasets`).

Each row becomes an item with no language hint, so the language is detected as
in the stream, and goes through the same enrichment as in ``tocsin process``
(``Enricher.from_settings``: the classifiers in ``TOCSIN_PROCESSING__CLASSIFIERS``).
A row is predicted hateful when its ``hate_speech`` category scores at least
0.5. Printed: accuracy per detected language and per functionality (or gold
class), precision / recall / F1 per label, and as the last line
``macro_f1=<0.xxx> accuracy=<0.xxx> n=<rows>`` for the hateful / non-hateful
decision.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tocsin.errors import InputError
from tocsin.settings import Settings

HATEFUL = "hateful"
NON_HATEFUL = "non-hateful"
LABELS = (HATEFUL, NON_HATEFUL)
THRESHOLD = 0.5
BATCH = 500


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
        else:
            raise EvalFileError(
                f"{path}: not a HateCheck/MHC file (test_case, label_gold, functionality), nor Davidson "
                f"(tweet, class), nor MLMA (tweet, sentiment); columns: {sorted(columns)}")
        for number, row in enumerate(_limited(reader, limit), start=2):
            try:
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


def run_classify_eval(path: Path, settings: Settings, *, limit: int | None = None) -> int:
    """Classify every row of ``path`` with the configured first stage and print the measures."""
    from processors.enrich import Enricher
    from tocsin.schema import Item, SourceRef

    kind, cases, targets = read_cases(path, limit)
    enricher = Enricher.from_settings(settings.processing)
    names = ", ".join(describe(classifier) for classifier in enricher.classifiers)
    now = datetime.now(UTC)
    source = SourceRef(type="eval", name=path.name)
    predicted: list[bool] = []
    langs: list[str] = []
    for begin in range(0, len(cases), BATCH):
        items = []
        for offset, case in enumerate(cases[begin:begin + BATCH]):
            digest = hashlib.sha256(case.text.encode("utf-8", "surrogatepass")).hexdigest()
            items.append(Item(id=f"{path.name}:{begin + offset}", source=source, text=case.text,
                              collected=now, raw_sha256=digest, content_sha256=digest))
        for enriched in enricher.enrich_many(items, now):
            hit = enriched.categories.get("hate_speech")
            predicted.append(hit is not None and hit.score >= THRESHOLD)
            langs.append(enriched.lang)
    print(f"classify eval: {path.name} ({kind} format), {len(cases):,} rows")
    print(f"classifiers: {names}; hateful = hate_speech score >= {THRESHOLD}")
    if kind != "hatecheck":
        print("note: a training file; the model was trained on 70% of its rows, so these figures are "
              "optimistic (the held-out figures are in models/first-stage/metrics.json)")
    group_title = "functionality" if kind == "hatecheck" else "gold class"
    for line in report_lines(cases, predicted, langs, targets, group_title=group_title):
        print(line)
    return 0


def describe(classifier: object) -> str:
    """``name/version``; a cascade as its stages, e.g. ``cascade/1 [keywords/1, ngram/1 → –]``."""
    label = f"{getattr(classifier, 'name', type(classifier).__name__)}/{getattr(classifier, 'version', '?')}"
    first, second = getattr(classifier, "first", None), getattr(classifier, "second", None)
    if isinstance(first, list) and isinstance(second, list):
        stages = [", ".join(describe(c) for c in stage) or "–" for stage in (first, second)]
        label += f" [{stages[0]} → {stages[1]}]"
    return label


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
    lines.append("")
    lines.append(f"macro_f1={report.macro_f1:.3f} accuracy={report.accuracy:.3f} n={report.n}")
    return lines
