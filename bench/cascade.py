"""Speed of the classification cascade, and how much of the stream reaches the transformer stage.

Run ``python -m bench.cascade`` (``--base`` adds a base-size model; ``--threads``
sets torch's and ONNX Runtime's threads, 1 by default: per-core figures).

Input: every entry of the demo corpus (WikiNews reports and MLMA posts in en,
fr, ar) plus MLMA training tweets (``shared/data/hate/mlma2019_*.csv``), the
language of each identified beforehand as the Enricher would. The cascade
alone is timed (``Cascade.classify`` on batches of 500, as the pipeline
batches), not decoding, places or the archive.

The transformer models are the *tiny test models* of
``tests/processors/tiny_models.py`` (a two-layer, 32-wide BERT trained for
seconds on a few sentences): their verdicts are meaningless and their speed is
a lower bound on the overhead of the stage (tokenising, batching, locking),
not a forecast for a real checkpoint. ``--base`` adds a BERT-base-sized model
(12 layers, 768 wide) with *random* weights, built here because nothing can be
downloaded: its scores mean nothing, its speed is that of a base-size
checkpoint such as XLM-R base or mDeBERTa-v3 base at the same sequence length
(within the difference of their attention), and it is what shows the effect
of int8 and ONNX Runtime.
"""

from __future__ import annotations

import argparse
import csv
import functools
import importlib.util
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from bench.corpus import load_templates
from processors.categories import KeywordCategories, load_categories
from processors.classifiers.cascade import Cascade, Rescorer, build_cascade
from processors.classifiers.protocol import ItemText
from processors.classifiers.transformers import TransformersClassifier
from processors.classifiers.zeroshot import ZeroShotClassifier
from processors.language import shared_identifier
from tests.processors import tiny_models
from tests.processors.conftest import CATEGORIES_FILE, shared_data
from tocsin.settings import ProcessingSettings

BATCH = 500
SOURCE = Path("bench/cascade.py")
SEQUENCE_LABELS: dict[str, Any] = {
    "violence": "violence_report",
    "hate_religion": {"category": "hate_speech", "label": "religion"},
    "hate_origin": {"category": "hate_speech", "label": "origin"},
}


def corpus(tweets_per_language: int) -> list[ItemText]:
    """Demo corpus entries and MLMA tweets, with their identified languages."""
    texts = [f"{t.title}\n{t.text}" if t.title else t.text
             for corpus_file in load_templates() for t in corpus_file.templates]
    data = shared_data()
    if data is None:
        raise SystemExit("shared/data not found (set TOCSIN_SHARED_DATA)")
    for lang in ("en", "fr", "ar"):
        with (data / "hate" / f"mlma2019_{lang}.csv").open(encoding="utf-8", newline="") as handle:
            rows = csv.DictReader(handle)
            texts += [row["tweet"] for _, row in zip(range(tweets_per_language), rows, strict=False)]
    identifier = shared_identifier()
    items = []
    for text in texts:
        lang, confidence = identifier.identify(text, None)
        items.append(ItemText(text[:20_000], lang, lang_confidence=confidence))
    return items


def first_stage(categories: KeywordCategories) -> list[Any]:
    """The shipped file's first stage (keywords, plus the n-gram model when installed)."""
    return build_cascade(ProcessingSettings(second_stage=[]), categories).first


def sequence(model: Path, categories: KeywordCategories, threads: int,
             **settings: Any) -> TransformersClassifier:
    return TransformersClassifier.from_config(
        {"model": str(model), "labels": SEQUENCE_LABELS, "max_length": 128, "batch_size": 32,
         "torch_threads": threads, **settings}, categories, SOURCE)


def zeroshot(model: Path, categories: KeywordCategories, threads: int) -> ZeroShotClassifier:
    return ZeroShotClassifier.from_config(
        {"model": str(model), "max_length": 128, "batch_size": 32, "torch_threads": threads,
         "categories": {"violence_report": {
             "hypothesis": tiny_models.VIOLENCE_HYPOTHESIS,
             "against": [tiny_models.OPINION_HYPOTHESIS, tiny_models.FICTION_HYPOTHESIS],
             "template": tiny_models.TEMPLATE, "labels": tiny_models.SUBTYPES}}},
        categories, SOURCE)


def timed(function: Callable[[], object], repeat: int = 3) -> float:
    """Best of ``repeat`` runs after a warm-up (first calls allocate and pick kernels)."""
    function()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def measure(name: str, cascade: Cascade, items: Sequence[ItemText], rows: list[list[str]]) -> None:
    def run() -> None:
        for start in range(0, len(items), BATCH):
            cascade.classify(items[start:start + BATCH])

    seconds = timed(run)
    stats = cascade.stats
    runs = 4                                     # the warm-up and three timed runs
    reached = max((count for key, count in stats.items() if key.startswith("to ")), default=0) / runs
    rows.append([name, f"{len(items):,}", f"{seconds:.2f}", f"{len(items) / seconds:,.0f}",
                 f"{reached / len(items):.1%}" if cascade.second else "–"])


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(str(cell).rjust(width) if i else str(cell).ljust(width)
                              for i, (cell, width) in enumerate(zip(row, widths, strict=True))) + " |"
            for row in rows]
    return "\n".join([line, rule, *body])


def base_model(directory: Path) -> Path:
    """BERT-base shape, random weights, the tiny tokenizer: for timing only."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tokenizer = tiny_models.tokenizer()
    config = BertConfig(vocab_size=len(tokenizer), id2label=tiny_models.SEQUENCE_LABELS,
                        label2id={v: k for k, v in tiny_models.SEQUENCE_LABELS.items()})
    BertForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tweets", type=int, default=1000, help="MLMA tweets per language (en, fr, ar)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch / ONNX Runtime intra-op threads (default 1: per-core figures, and "
                             "steady on a shared machine, where more threads than free cores stall)")
    parser.add_argument("--base", action="store_true", help="also time a base-size model (random weights)")
    parser.add_argument("--base-items", type=int, default=128, help="texts the base-size model classifies")
    args = parser.parse_args()
    threads = args.threads
    onnx = all(importlib.util.find_spec(name) for name in ("onnx", "onnxruntime"))

    categories = load_categories(CATEGORIES_FILE)
    items = corpus(args.tweets)
    first = first_stage(categories)
    print(f"{len(items):,} items (demo corpus + MLMA tweets), batches of {BATCH}, {threads} thread(s); "
          f"first stage: {', '.join(c.name for c in first)}")
    print("building the tiny test models (seconds)...", flush=True)
    tiny, nli = tiny_models.sequence_model(), tiny_models.nli_model()

    rows: list[list[str]] = []
    measure("first stage only", Cascade(first, []), items, rows)
    variants: list[tuple[str, dict[str, Any]]] = [("fp32", {}), ("int8", {"quantize": "int8"})]
    if onnx:
        variants.append(("onnx", {"runtime": "onnx"}))
    for label, settings in variants:
        second: list[Rescorer] = [sequence(tiny, categories, threads, **settings)]
        measure(f"cascade → transformers (tiny, {label})", Cascade(first, second), items, rows)
    measure("cascade → zeroshot (tiny NLI)", Cascade(first, [zeroshot(nli, categories, threads)]),
            items, rows)
    measure("transformers (tiny, fp32) on every item", Cascade([], [sequence(tiny, categories, threads)]),
            items, rows)
    print()
    print(table(["configuration", "items", "seconds", "items/s", "reached stage 2"], rows))

    if args.base:
        scratch = Path(tempfile.mkdtemp(prefix="tocsin-bench-"))
        try:
            print("\nbuilding a BERT-base-sized model with random weights (timing only)...", flush=True)
            model = base_model(scratch / "bert-base-random")
            texts = [item for item in items if item.text.strip()][:args.base_items]
            base_rows: list[list[str]] = []
            base_variants = list(variants)
            if onnx:
                base_variants.append(("onnx + int8", {"runtime": "onnx", "quantize": "int8"}))
            for label, settings in base_variants:
                classifier = sequence(model, categories, threads, onnx_cache=str(scratch / "onnx"),
                                      **settings)
                seconds = timed(functools.partial(classifier.classify, texts), repeat=2)
                base_rows.append([label, f"{len(texts):,}", f"{seconds:.2f}", f"{len(texts) / seconds:,.1f}"])
            print(f"\nbase-size model alone, max_length 128, batch 32, {threads} thread(s):")
            print(table(["runtime", "texts", "seconds", "texts/s"], base_rows))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
