"""Choose the encoder routes' deferral bands on the calibration split: where USE decides, where e5 is asked.

    python -m processors.training.defer_bands --shared ../shared/data --cache .tocsin/embeddings --split text

draws the shipped default bands (``config/classifiers.yaml``) from the shipped
heads, on the split they were trained with: a hash of each row's text
(:func:`~processors.training.violence_corpora.calibration_split`). The default
split is by event (:func:`~processors.training.violence_corpora.event_split`),
which measures events the heads never saw; its violent rows are hand-written,
though (the one violent training event, Boston, falls in train), so honest bands
for a new event's tweets are drawn on a *fold*: violence heads trained with
``--held-out-events 2013_Boston_bombings`` (Boston neither trained on nor used
for Platt scaling) into scratch copies of the heads folders, measured here on
the calibration split plus Boston's tweets::

    python -m processors.training.defer_bands --shared ../shared/data --cache .tocsin/embeddings \
        --cheap FOLD/encoder-use --costly FOLD/encoder --held-out-events 2013_Boston_bombings

Those were measured and not shipped (half the speed for +0.03 dev recall);
``docs/classification.md`` ("Choosing the bands") has the commands and figures.

The cheap route (USE heads, ``models/encoder-use``) reads posts, or a news item's
lead, first; multilingual-e5 (``models/encoder``) is asked only when USE's
calibrated score lies in a band (:mod:`processors.classifiers.bands`). What
the band must keep is what e5 would rightly report: e5's *finds* (labelled
positives it scores at or above the plug-in's threshold, as the gate's
thresholds are chosen) on the calibration split, which is never used for dev
figures. Per category and text kind:

* ``low``: the highest USE score that keeps ``--keep`` of e5's finds in every
  language with at least ``--min-finds`` of them (and pooled); below it, no e5.
  Never above ``--threshold``: a score from which USE itself says "yes" is sent
  on to e5, never turned into a "no".
* ``high`` (only with ``--decide-high``): the lowest USE score from which at
  least ``--keep`` of the rows are scored a hit by e5 too; from it USE says
  "yes" alone.

Posts are the calibration rows of USE's languages up to ``--post-chars``; news
leads, the longer ones (news reports) and the synthetic news-length calibration
rows (:func:`~processors.training.examples.long_rows`), cut as the route reads
them. ``--keep`` is per category: every violence find (0.98, the gate's share,
gave a posts band that kept only 84 % of e5's finds on other events' tweets,
when the calibration split was still a hash of the text and shared Boston's
tweets with training), 0.97 of the hate finds. On
posts only ``--post-categories`` are deferred (USE alone decides hate there),
and a post the first stage did not escalate (read because the posts route is
``unscreened``) is held to ``--keep-unescalated`` (0.98: ``defer_unescalated``):
where the gate saw nothing, USE alone must be as sure as that share allows.
The printed ``defer:`` lines go in ``config/classifiers.yaml``; rerun after the
heads change (a retrained hate or violence head moves its scores). The cheap heads
may hold only some categories: the USE routes score hate speech with
``models/encoder-use-static`` (``model_for``), so its band is drawn with ``--cheap
models/encoder-use-static``. One shipped band is not this rule's: the news route's hate
band (0.2629; the rule gives 0.1115 on the text split, 0.1665 by event, with that head)
was picked on the dev sets (``docs/classification.md``, "Choosing the bands"). A
band's low edge is printed rounded down to four decimals, so it keeps the finds its
figures count.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import numpy as np

from processors.classifiers.heads import HeadSet
from processors.encoders import prepare_text
from processors.training.examples import Row, all_rows, long_rows, without_sources
from processors.training.fit import threshold_for_recall
from processors.training.row_selection import RowSelection
from processors.training.train_encoder import CATEGORIES, label_of, parse_recall, vectors_for
from processors.training.violence_corpora import HELD_OUT, SPLITS_BY

USE_LANGUAGES = ("ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh")


def low_edge(scores: np.ndarray, finds: np.ndarray, langs: np.ndarray, keep: float, min_finds: int) -> float:
    """The highest score keeping ``keep`` of the finds pooled and in every language with ``min_finds``."""
    edges = [threshold_for_recall(scores, finds, keep)]
    for lang in sorted(set(langs[finds].tolist())):
        mine = langs == lang
        if (finds & mine).sum() >= min_finds:
            edges.append(threshold_for_recall(scores[mine], finds[mine], keep))
    return min(edges)


def high_edge(scores: np.ndarray, finds: np.ndarray, agree: float, min_rows: int = 20) -> float:
    """The lowest score from which ``agree`` of the rows (``min_rows`` at least) are finds; else 1."""
    order = np.argsort(-scores)
    hits = np.cumsum(finds[order])
    counts = np.arange(1, len(order) + 1)
    ok = (hits / counts >= agree) & (counts >= min_rows)
    if not ok.any():
        return 1.0
    # the longest prefix (highest scores first) that still agrees enough
    last = int(np.flatnonzero(ok).max())
    return float(scores[order][last])


def _round_down(score: float) -> float:
    """``score`` to four decimals, never above it (as its shortest repr reads: 0.2629 stays 0.2629)."""
    return float(Decimal(repr(score)).quantize(Decimal("0.0001"), rounding=ROUND_FLOOR))


def bands(
    use_scores: dict[str, np.ndarray],
    e5_scores: dict[str, np.ndarray],
    labels: dict[str, np.ndarray],
    langs: np.ndarray,
    *,
    keep: dict[str, float],
    min_finds: int,
    threshold: float,
    decide_high: Sequence[str] = (),
) -> dict[str, Any]:
    """Per category: ``[low, high]`` and what it keeps and sends to e5 on these rows."""
    out: dict[str, Any] = {}
    for category, scores in use_scores.items():
        hits = e5_scores[category] >= threshold
        finds = hits & labels[category]
        # never above the hit threshold: a band may send USE's own yes to e5, never turn it into a no
        low = min(low_edge(scores, finds, langs, keep[category], min_finds), threshold)
        high = high_edge(scores, hits, keep[category]) if category in decide_high else 1.0
        # the band as printed for the classifiers file, to four decimals: the low edge rounded
        # down (to the nearest, it could land above the binding find and drop the find it was
        # drawn to keep); the upper edge to the nearest, as the shipped bands were printed
        low = _round_down(low)
        high = max(round(high, 4), low)
        kept = scores >= low
        out[category] = {
            "band": [low, high],
            "rows": len(scores),
            "e5_finds": int(finds.sum()),
            "finds_kept": round(float(kept[finds].mean()), 4) if finds.any() else None,
            "to_e5": round(float(((scores >= low) & (scores < high)).mean()), 4),
            "per_language": {
                lang: {
                    "rows": int((langs == lang).sum()),
                    "finds": int((finds & (langs == lang)).sum()),
                    "kept": int((finds & kept & (langs == lang)).sum()),
                }
                for lang in sorted(set(langs.tolist()))
            },
        }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m processors.training.defer_bands", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"))
    parser.add_argument("--cache", type=Path, default=Path(".tocsin/embeddings"))
    parser.add_argument("--cheap", type=Path, default=Path("models/encoder-use"))
    parser.add_argument("--costly", type=Path, default=Path("models/encoder"))
    parser.add_argument("--keep", nargs="*", default=["0.97", "violence_report=1.0"],
                        metavar="[CATEGORY=]SHARE", help="share of e5's finds kept in every language")
    parser.add_argument("--keep-unescalated", nargs="*", default=["0.98"], metavar="[CATEGORY=]SHARE",
                        help="the same, for posts the first stage did not escalate (defer_unescalated)")
    parser.add_argument("--min-finds", type=int, default=10, help="finds a language needs to count alone")
    parser.add_argument("--threshold", type=float, default=0.5, help="the encoder plug-in's hit threshold")
    parser.add_argument("--max-chars", type=int, default=300, help="characters the routes read")
    parser.add_argument("--post-chars", type=int, default=280, help="the posts route's max_text_chars")
    parser.add_argument("--long-rows", type=int, default=4000, help="as train_encoder (a fifth: calibration)")
    parser.add_argument("--post-categories", nargs="*", default=["violence_report"], metavar="CATEGORY",
                        help="categories the posts route defers")
    parser.add_argument("--decide-high", nargs="*", default=["violence_report"], metavar="CATEGORY",
                        help="categories whose band has an upper edge for posts (USE says yes alone)")
    parser.add_argument("--held-out-events", nargs="*", default=[], metavar="EVENT",
                        help="CrisisLex training events the --cheap and --costly heads never saw "
                        "(train_encoder --held-out-events): their rows are measured with the calibration's")
    parser.add_argument("--split", choices=SPLITS_BY, default="event",
                        help="the calibration split the heads were trained with (train_encoder --split): "
                        "'text' redraws the default profile's bands from its heads")
    parser.add_argument("--exclude", nargs="*", default=[], metavar="SOURCE",
                        help="leave these sources' rows out, as train_encoder --exclude (heads trained "
                        "before a source existed are measured on the rows they were calibrated with)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    try:  # refuse a bad share before minutes of embedding, not after
        for option, shares in (("--keep", args.keep), ("--keep-unescalated", args.keep_unescalated)):
            parse_recall(shares, CATEGORIES, option)
        selection = RowSelection(held_out_events=tuple(args.held_out_events), split_by=args.split)
    except ValueError as exc:
        parser.error(str(exc))

    try:
        rows = without_sources(all_rows(args.shared, selection), args.exclude)
    except ValueError as exc:
        parser.error(f"--exclude: {exc}")
    measured = ("calibration", HELD_OUT)
    calibration = [row for row in rows if row.split in measured and row.lang in USE_LANGUAGES]
    long = [row for row in long_rows(rows, args.long_rows)
            if row.split == "calibration" and row.lang in USE_LANGUAGES]
    short = [len(prepare_text(row.text, 10**6)) <= args.post_chars for row in calibration]
    kinds: dict[str, list[Row]] = {
        "posts": [row for row, is_short in zip(calibration, short, strict=True) if is_short],
        "news": [row for row, is_short in zip(calibration, short, strict=True) if not is_short] + long,
    }
    cheap, costly = HeadSet.load(args.cheap), HeadSet.load(args.costly)
    vectors: dict[str, dict[str, np.ndarray]] = {}
    for heads in (cheap, costly):
        vectors[heads.encoder] = {
            kind: vectors_for(heads, [prepare_text(row.text, args.max_chars) for row in part], args.cache)
            for kind, part in kinds.items()
        }
    runs = [("posts", "defer", "--keep", args.keep),
            ("posts", "defer_unescalated", "--keep-unescalated", args.keep_unescalated),
            ("news", "defer", "--keep", args.keep)]
    figures: dict[str, Any] = {}
    for kind, key, option, shares in runs:
        part = kinds[kind]
        langs = np.array([row.lang for row in part])
        scored = [
            {name: head.scores(vectors[h.encoder][kind], list(langs)) for name, head in h.heads.items()}
            for h in (cheap, costly)
        ]
        labels = {name: np.array([label_of(row, name) for row in part], dtype=bool) for name in scored[0]}
        # shares are parsed for every category: the cheap heads may hold only some of them (the
        # news hate band is drawn from models/encoder-use-static, a hate head alone)
        found = bands(scored[0], scored[1], labels, langs, keep=parse_recall(shares, CATEGORIES, option),
                      min_finds=args.min_finds, threshold=args.threshold,
                      decide_high=args.decide_high if kind == "posts" else ())
        for name, entry in found.items():
            entry["labelled_positives"] = int(labels[name].sum())
        if kind == "posts":
            found = {name: entry for name, entry in found.items() if name in args.post_categories}
        if key == "defer_unescalated":
            # USE's own yes is the same whether the gate saw the post or not: the upper edge of defer
            for name, entry in found.items():
                entry["band"][1] = figures["posts defer"][name]["band"][1]
        figures[f"{kind} {key}"] = found
    for label, entry in figures.items():
        kind, key = label.split()
        listed = ", ".join(f"{name}: {e['band']}" for name, e in entry.items())
        print(f"{kind} route: {key}: {{{listed}}}")
        for name, e in entry.items():
            print(f"  {name}: e5 finds {e['e5_finds']} of {e['rows']}, kept {e['finds_kept']}, "
                  f"to e5 {e['to_e5']:.1%}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
