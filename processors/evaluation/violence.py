"""``tocsin eval violence FILE``: the ``violence_report`` decision against a labelled CSV.

Reads a CSV with columns ``text`` and ``violent`` (1 / 0), and optionally
``subtype`` (one of the eleven violence subtypes for violent rows, or a kind
of hard negative such as ``disease``) and ``lang``. A row is predicted violent
when its ``violence_report`` category scores at least 0.5 after the whole
enrichment (keywords, gate, encoder: the configured cascade). Printed: recall
per subtype (and whether the predicted sub-labels include it), false alarms
per kind of negative, accuracy per detected language, how far f1, recall and precision
could move by chance on this many rows (:mod:`processors.evaluation.intervals`), the speed,
and as the last line ``f1=… recall=… precision=… fpr=… n=…``.

Build the project's dev set with ``python -m processors.training.violence_dev``.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from processors.evaluation.classify import EvalFileError, binary_report
from processors.evaluation.decisions import Decisions, write_decisions
from processors.evaluation.intervals import bootstrap_intervals, interval_line
from processors.evaluation.runner import score_texts
from tocsin.schema import CategoryHit
from tocsin.settings import Settings

CATEGORY = "violence_report"
THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class Report:
    text: str
    violent: bool
    subtype: str  # '' when the file has none
    lang: str  # as the file says ('' when it does not)


def read_reports(path: Path, limit: int | None = None) -> list[Report]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise EvalFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    out: list[Report] = []
    with handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        if not {"text", "violent"} <= columns:
            raise EvalFileError(
                f"{path}: needs columns text and violent (1/0), optionally subtype and lang; "
                f"columns: {sorted(columns)}"
            )
        for number, row in enumerate(reader, start=2):
            if limit is not None and len(out) >= limit:
                break
            value = (row["violent"] or "").strip().lower()
            if value not in {"1", "0", "true", "false", "yes", "no"}:
                raise EvalFileError(
                    f"{path}: row {number}: column 'violent': {row['violent']!r} is not 1 or 0"
                )
            out.append(
                Report(
                    row["text"] or "",
                    value in {"1", "true", "yes"},
                    (row.get("subtype") or "").strip(),
                    (row.get("lang") or "").strip(),
                )
            )
    return out


def run_violence_eval(path: Path, settings: Settings, *, limit: int | None = None,
                      threshold: float = THRESHOLD, decisions: Path | None = None) -> int:
    """Score every row of ``path`` and print the measures; ``decisions``: also write each row's
    decision there (grouped by subtype, or by kind of negative)."""
    reports = read_reports(path, limit)
    scored = score_texts([report.text for report in reports], settings, path.name)
    print(f"violence eval: {path.name}, {len(reports):,} rows ({sum(r.violent for r in reports):,} violent)")
    print(f"classifiers: {scored.classifiers}; violent = {CATEGORY} score >= {threshold}")
    for line in report_lines(reports, scored.hits, scored.langs, threshold=threshold):
        print(line)
    print(scored.rate_line())
    gold = [report.violent for report in reports]
    predicted = [_violent(hits, threshold) for hits in scored.hits]
    if decisions is not None:
        scores = [hit.score if (hit := hits.get(CATEGORY)) is not None else 0.0 for hits in scored.hits]
        groups = [report.subtype or ("violent" if report.violent else "not violent") for report in reports]
        write_decisions(decisions, Decisions(gold, predicted, scores, scored.langs, groups))
    print(summary_line(gold, predicted))
    return 0


def _violent(hits: dict[str, CategoryHit], threshold: float) -> bool:
    """A ``violence_report`` hit scoring at least ``threshold`` (no hit is never violent, even from 0)."""
    hit = hits.get(CATEGORY)
    return hit is not None and hit.score >= threshold


def summary_line(gold: Sequence[bool], predicted: Sequence[bool]) -> str:
    report = binary_report(gold, predicted)
    negatives = sum(1 for g in gold if not g)
    false_alarms = sum(1 for g, p in zip(gold, predicted, strict=True) if p and not g)
    fpr = false_alarms / negatives if negatives else 0.0
    return (
        f"f1={report.positive.f1:.3f} recall={report.positive.recall:.3f} "
        f"precision={report.positive.precision:.3f} fpr={fpr:.3f} n={report.n}"
    )


def report_lines(
    reports: Sequence[Report], hits: Sequence[dict[str, CategoryHit]], langs: Sequence[str],
    *, threshold: float = THRESHOLD,
) -> list[str]:
    predicted = [_violent(h, threshold) for h in hits]
    lines: list[str] = []
    by_subtype: dict[str, list[int]] = defaultdict(list)
    by_negative: dict[str, list[int]] = defaultdict(list)
    for index, report in enumerate(reports):
        (by_subtype if report.violent else by_negative)[report.subtype or "(none)"].append(index)
    lines += [
        "",
        "recall by subtype (violent rows)",
        "| subtype | n | recall | subtype labelled |",
        "|---|---:|---:|---:|",
    ]
    for subtype in sorted(by_subtype):
        rows = by_subtype[subtype]
        found = sum(predicted[i] for i in rows)
        labelled = sum(1 for i in rows if predicted[i] and subtype in hits[i][CATEGORY].labels)
        lines.append(
            f"| {subtype} | {len(rows):,} | {found / len(rows):.3f} | {labelled / len(rows):.3f} |"
            if subtype != "(none)"
            else f"| {subtype} | {len(rows):,} | {found / len(rows):.3f} | – |"
        )
    lines += ["", "false alarms by kind (non-violent rows)", "| kind | n | flagged |", "|---|---:|---:|"]
    for kind in sorted(by_negative):
        rows = by_negative[kind]
        lines.append(f"| {kind} | {len(rows):,} | {sum(predicted[i] for i in rows) / len(rows):.3f} |")
    per_lang: dict[str, list[int]] = defaultdict(list)
    for index, lang in enumerate(langs):
        per_lang[lang].append(index)
    lines += [
        "",
        "by detected language",
        "| language | n | violent | recall | false alarms |",
        "|---|---:|---:|---:|---:|",
    ]
    for lang in sorted(per_lang, key=lambda key: (-len(per_lang[key]), key)):
        rows = per_lang[lang]
        violent = [i for i in rows if reports[i].violent]
        calm = [i for i in rows if not reports[i].violent]
        recall = f"{sum(predicted[i] for i in violent) / len(violent):.3f}" if violent else "–"
        alarms = f"{sum(predicted[i] for i in calm) / len(calm):.3f}" if calm else "–"
        lines.append(f"| {lang} | {len(rows):,} | {len(violent):,} | {recall} | {alarms} |")
    measures = binary_report([r.violent for r in reports], predicted)
    lines += [
        "",
        "| label | precision | recall | F1 | support |",
        "|---|---:|---:|---:|---:|",
        f"| violent | {measures.positive.precision:.3f} | {measures.positive.recall:.3f} | "
        f"{measures.positive.f1:.3f} | {measures.positive.support:,} |",
        f"| not violent | {measures.negative.precision:.3f} | {measures.negative.recall:.3f} | "
        f"{measures.negative.f1:.3f} | {measures.negative.support:,} |",
        "",
        interval_line(bootstrap_intervals([r.violent for r in reports], predicted),
                      ("f1", "recall", "precision")),
        "",
    ]
    return lines
