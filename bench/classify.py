"""Speed of the first classification stage on one core; run ``taskset -c 0 python -m bench.classify``.

The first stage scores every item of the stream: the keyword categories and the
n-gram model (``processors.classifiers.ngram``). Its target is 20,000 items/s
on one core on tweet- and headline-length text. Input, all real text:

* tweets: the MLMA tweets in English, French and Arabic (``shared/data/hate``,
  the first 2,000 of each file);
* news: the WikiNews entries of the demo corpus (``demo/corpus``) as a feed
  item is classified: the title (the lead sentence) and the first 300
  characters of the text;
* mix: both, shuffled (6,000 tweets, 6,000 news items drawn with repetition).

Items are classified in batches of 500 (the processors' default batch size);
each pass builds fresh :class:`ItemText` objects, so folding (shared by the
keywords and the gazetteer) is paid as in the stream. Language identification
runs before classification in the stream; it is timed on its own row for
comparison and is not part of the first stage.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.corpus import load_templates
from processors.categories import load_categories
from processors.classifiers.keywords import KeywordClassifier
from processors.classifiers.ngram import DEFAULT_MODEL, NgramClassifier, NgramModel
from processors.classifiers.protocol import ItemText
from processors.language import LanguageIdentifier
from tests.processors.conftest import CATEGORIES_FILE, shared_data

BATCH = 500


def tweets(per_language: int = 2000) -> list[tuple[str, str]]:
    data = shared_data()
    if data is None:
        raise SystemExit("shared/data not found (set TOCSIN_SHARED_DATA)")
    out = []
    for lang in ("en", "fr", "ar"):
        with (data / "hate" / f"mlma2019_{lang}.csv").open(encoding="utf-8", newline="") as handle:
            for _, row in zip(range(per_language), csv.DictReader(handle), strict=False):
                out.append((row["tweet"], lang))
    return out


def news() -> list[tuple[str, str]]:
    return [(f"{entry.title}\n{entry.text[:300]}", "en")
            for corpus in load_templates() if corpus.name.startswith("wikinews")
            for entry in corpus.templates]


def rate(step: Callable[[list[ItemText]], object], inputs: Sequence[tuple[str, str]],
         seconds: float) -> tuple[int, float]:
    """(items, seconds) of running ``step`` over ``inputs`` in batches until ``seconds`` have passed."""
    done, start = 0, time.perf_counter()
    while True:
        for begin in range(0, len(inputs), BATCH):
            step([ItemText(text, lang) for text, lang in inputs[begin:begin + BATCH]])
        done += len(inputs)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done, elapsed


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time each cell at least this long")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args(argv)

    cores = sorted(os.sched_getaffinity(0))
    if len(cores) > 1:
        os.sched_setaffinity(0, {cores[0]})
        print(f"pinned to core {cores[0]} (of {len(cores)}); run under taskset -c 0 to choose it")
    start = time.perf_counter()
    model = NgramModel.load(args.model)
    loaded = time.perf_counter() - start
    ngram = NgramClassifier(model)
    keywords = KeywordClassifier(load_categories(CATEGORIES_FILE))
    language = LanguageIdentifier()
    size = (args.model / "model.npz").stat().st_size if args.model.is_dir() else args.model.stat().st_size
    print(f"n-gram model {model.version}: {size / 1e6:.2f} MB on disk, "
          f"{model.weights.nbytes / 1e6:.1f} MB in memory, loaded in {loaded:.2f} s")

    rng = random.Random(7)
    tweet_items = tweets()
    news_items = news()
    mix = tweet_items + [rng.choice(news_items) for _ in range(len(tweet_items))]
    rng.shuffle(mix)
    inputs = {"tweets": tweet_items, "news": news_items, "mix": mix}

    def first_stage(batch: list[ItemText]) -> None:
        keywords.classify(batch)
        ngram.classify(batch)

    steps: list[tuple[str, Callable[[list[ItemText]], object]]] = [
        ("keywords (incl. folding)", keywords.classify),
        ("ngram", ngram.classify),
        ("first stage: keywords + ngram", first_stage),
        ("language ID (not in the first stage)", lambda batch: [language.identify(t.text) for t in batch]),
    ]
    lengths = {name: sum(len(text) for text, _ in items) / len(items) for name, items in inputs.items()}
    print("\n| step | " + " | ".join(f"{name} (avg {lengths[name]:.0f} chars)" for name in inputs) + " |")
    print("|---|" + "---:|" * len(inputs))
    for name, step in steps:
        cells = []
        for items in inputs.values():
            done, elapsed = rate(step, items, args.seconds)
            cells.append(f"{done / elapsed:,.0f}/s ({elapsed / done * 1e6:.1f} µs)")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nitems/s on one core, batches of {BATCH}; target for the first stage: 20,000/s")


if __name__ == "__main__":
    main()
