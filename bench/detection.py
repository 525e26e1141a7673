"""Speed of the whole enrichment with the encoder stage on, and how much of a stream reaches the encoder.

Run ``taskset -c 0 python -m bench.detection`` (one core: per-core figures; items per CPU-second
as well, which other work on a shared machine does not lower). ``--classifiers LABEL=FILE``
(repeatable) benches those classifiers files instead of the shipped two, e.g. a candidate
beside ``config/classifiers-fast.yaml``, in the same process; ``--mix demo`` runs one mix.

Two mixes, every text distinct (the encoder keeps recent embeddings by text, so
repeated texts would flatter it; its cache is off here):

* **demo mix**: every entry of the demo corpus (``demo/corpus``: WikiNews
  reports of 1,000-3,000 characters and MLMA posts in en, fr, ar), title and
  text as the feeds carry them;
* **posts-only mix**: the demo corpus's posts plus the *dev* splits of the
  hate-speech training files and of CrisisLex (short posts in en, fr, ar, de,
  pt, zh, es, it; about a third hateful, as those files are sampled).

For each, ``Enricher.enrich_many`` in batches of 500 (language, keywords,
gate, the encoder stage, places) is timed after a warm-up, with the shipped
``config/classifiers.yaml``, the high-volume profile ``config/classifiers-fast.yaml``
and, with ``--variants``, variants of the first: the
encoders' input cut at other lengths, no gate (keyword hits alone escalate),
the routes as they were before USE read first, and the encoder reading every
item. Printed per run: items/s, items per CPU-second, the share of items the
encoder plug-in was asked about (escalated by the first stage, or read
unscreened: posts in USE's languages), and the share each encoder read
(``multilingual`` is e5: its reads are the cost).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench.cascade import table
from bench.corpus import load_templates
from processors.enrich import Enricher
from tests.processors.conftest import shared_data
from tocsin.schema import Item, SourceRef
from tocsin.settings import PACKAGE_CONFIG, ProcessingSettings

BATCH = 500
USE_LANGUAGES = ["ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"]
OLD_ROUTES = [
    {"model": "models/encoder-use", "encoder": {"kind": "use", "threads": 1}, "categories": ["hate_speech"],
     "languages": USE_LANGUAGES, "max_text_chars": 280},
    {"model": "models/encoder", "encoder": {"kind": "e5", "threads": 1}},
]
"""The shipped routes until USE read first (commit ad763ec): the gate screened every post."""
FAST_PROFILE = "classifiers-fast.yaml"
"""The shipped high-volume profile: USE decides in its languages, e5 reads only the others."""


def demo_mix() -> list[str]:
    return [f"{t.title}\n{t.text}" if t.title else t.text for f in load_templates() for t in f.templates]


def posts_mix(per_source: int) -> list[str]:
    from processors.training.hate_corpora import read_all, subsample
    from processors.training.violence_corpora import read_crisislex_dev

    data = shared_data()
    if data is None:
        raise SystemExit("shared/data not found (set TOCSIN_SHARED_DATA)")
    posts = [t.text for f in load_templates() if f.name.startswith("social") for t in f.templates]
    taken: dict[str, int] = {}
    for example in subsample(read_all(data / "hate")):
        if example.split == "dev" and taken.get(example.source, 0) < per_source:
            taken[example.source] = taken.get(example.source, 0) + 1
            posts.append(example.text)
    posts += [example.text for example in read_crisislex_dev(data / "events" / "crisislex_t26")]
    return list(dict.fromkeys(post for post in posts if post.strip()))


def make_item(i: int, text: str) -> Item:
    return Item(
        id=str(i),
        source=SourceRef(type="rss", name="bench"),
        text=text,
        collected=datetime.now(UTC),
        raw_sha256="0" * 64,
        content_sha256="1" * 64,
    )


def classifiers_file(
    directory: Path, name: str, change: dict[str, Any], base: str | Path = "classifiers.yaml"
) -> Path:
    """``base`` (a shipped classifiers file, or any file by its absolute path) with ``change``
    applied, written into ``directory``."""
    spec = yaml.safe_load((PACKAGE_CONFIG / base).read_text(encoding="utf-8"))
    for key, value in change.items():
        section, _, field = key.partition(".")
        if section == "encoder":
            spec.setdefault("classifiers", {}).setdefault("encoder", {})[field] = value
        else:
            spec["cascade"][field] = value
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def run(label: str, path: Path, items: Sequence[Item], warm: Sequence[Item]) -> list[str]:
    enricher = Enricher.from_settings(ProcessingSettings(classifiers_file=path))
    cascade: Any = enricher.classifiers[0]
    enricher.enrich_many(list(warm))
    before = dict(cascade.stats)
    embedded = {
        id(route): route.embedded
        for classifier in cascade.second
        for route in getattr(classifier, "routes", [])
    }
    now = datetime.now(UTC)
    started, cpu = time.perf_counter(), time.process_time()
    for begin in range(0, len(items), BATCH):
        enricher.enrich_many(list(items[begin : begin + BATCH]), now)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    stats = cascade.stats
    sent = {key: stats[key] - before.get(key, 0) for key in stats if key.startswith("to ")}
    escalated = max(sent.values(), default=0)
    routes = [route for classifier in cascade.second for route in getattr(classifier, "routes", [])]
    # texts each encoder read (routes sharing an encoder summed): the cost follows these
    reads: dict[str, int] = {}
    for route in routes:
        name = route.encoder.name.split("-")[0]
        reads[name] = reads.get(name, 0) + route.embedded - embedded.get(id(route), 0)
    read = ", ".join(f"{name} {count / len(items):.1%}" for name, count in reads.items())
    return [
        label,
        f"{len(items):,}",
        f"{seconds:.1f}",
        f"{len(items) / seconds:,.0f}",
        f"{len(items) / cpu:,.0f}",
        f"{escalated / len(items):.1%}" if cascade.second else "–",
        read or "–",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=300, help="dev posts per hate-speech source")
    parser.add_argument(
        "--variants",
        action="store_true",
        help="also: other input lengths, no gate, the routes before USE read first, the encoder on all",
    )
    parser.add_argument(
        "--classifiers",
        action="append",
        default=[],
        metavar="LABEL=FILE",
        help="bench this classifiers file (repeatable) instead of the shipped two",
    )
    parser.add_argument("--mix", choices=("demo", "posts", "both"), default="both")
    args = parser.parse_args()
    chosen: list[tuple[str, Path]] = []
    for value in args.classifiers:
        label, sep, file = value.partition("=")
        if not sep or not label or not Path(file).is_file():
            parser.error(f"--classifiers {value!r}: expected LABEL=FILE, an existing classifiers file")
        chosen.append((label, Path(file).resolve()))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as scratch:
        directory = Path(scratch)
        shipped = classifiers_file(directory, "shipped", {"encoder.cache_size": 0})
        fast = classifiers_file(directory, "fast", {"encoder.cache_size": 0}, FAST_PROFILE)
        variants = [
            ("shipped config (keywords + gate → encoder)", shipped),
            ("high-volume profile (classifiers-fast.yaml: USE decides in its languages)", fast),
        ]
        if chosen:
            variants = [
                (label, classifiers_file(directory, f"chosen{n}", {"encoder.cache_size": 0}, file))
                for n, (label, file) in enumerate(chosen)
            ]
        if args.variants:
            variants += [
                (
                    "encoder input cut at 1,000 chars",
                    classifiers_file(directory, "long", {"encoder.cache_size": 0, "encoder.max_chars": 1000}),
                ),
                (
                    "no gate (keyword hits → encoder)",
                    classifiers_file(
                        directory, "nogate", {"encoder.cache_size": 0, "cascade.first_stage": ["keywords"]}
                    ),
                ),
                (
                    "routes before USE read first (USE: hate in escalated posts; e5: the rest)",
                    classifiers_file(
                        directory, "before", {"encoder.cache_size": 0, "encoder.routes": OLD_ROUTES}
                    ),
                ),
                (
                    "encoder on every item",
                    classifiers_file(directory, "all", {"encoder.cache_size": 0, "cascade.first_stage": []}),
                ),
            ]
        warm = [make_item(10_000_000 + i, f"warm-up item {i}: gunmen attacked a village") for i in range(20)]
        mixes: list[tuple[str, Callable[[], list[str]]]] = []
        if args.mix != "posts":
            mixes.append(("demo mix", demo_mix))
        if args.mix != "demo":
            mixes.append(("posts-only mix", lambda: posts_mix(args.posts)))
        for name, make in mixes:
            texts = make()
            items = [make_item(i, text) for i, text in enumerate(texts)]
            rows = [run(label, path, items, warm) for label, path in variants]
            print(f"\n{name}: {len(items):,} distinct items, one encoder thread, batches of {BATCH}")
            print(
                table(
                    ["configuration", "items", "seconds", "items/s", "items/CPU-s", "to encoder", "read by"],
                    rows,
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
