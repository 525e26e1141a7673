"""Write the dev sets as the ``tocsin eval`` harnesses read them.

    python -m processors.training.dev_sets --shared ../shared/data --out .tocsin/dev

* ``violence_dev.csv`` (text, violent, subtype, lang, source): the violence dev
  set of :func:`processors.training.violence_corpora.dev_set`, for
  ``tocsin eval violence``;
* ``hate_dev_<source>.csv`` (text, label, group): the dev split of each
  hate-speech training source as sampled for the figures in the model card,
  and ``hate_dev_cold_full.csv``, COLD's whole dev file, for
  ``tocsin eval classify``.

The files hold shared/data text under its licences (see shared/data/README.md),
so they are written locally, never committed.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

from processors.training.hate_corpora import read_all, read_cold, subsample
from processors.training.violence_corpora import dev_set, write_dev_csv


def write_hate_dev(hate_dir: Path, out: Path) -> list[Path]:
    rows: dict[str, list[tuple[str, str]]] = {}
    for example in subsample(read_all(hate_dir)):
        if example.split == "dev":
            rows.setdefault(example.source, []).append(
                (example.text, "hateful" if example.hateful else "non-hateful")
            )
    rows["cold_full"] = [(e.text, "hateful" if e.hateful else "non-hateful")
                         for e in read_cold(hate_dir / "cold_dev.csv", dev=True)]
    paths = []
    for source, pairs in sorted(rows.items()):
        path = out / f"hate_dev_{source}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label", "group"])
            writer.writerows((text, label, source) for text, label in pairs)
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m processors.training.dev_sets", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path(".tocsin/dev"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    violence = args.out / "violence_dev.csv"
    write_dev_csv(dev_set(args.shared), violence)
    for path in [violence, *write_hate_dev(args.shared / "hate", args.out)]:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
