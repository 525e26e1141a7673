"""Compute the prior mean embedding fusion centres on (``backgrounds.json``), from training text.

``python -m processors.incidents.background TEXTS.csv [...]`` embeds the ``text``
column of the files with the configured cascade's encoder and stores their mean
under the encoder's name. The shipped prior was built from CrisisLex T26 (the
even-numbered events, as ``processors.evaluation.incident_sets --part even``
samples them) and 100 posts from each of MLMA en/fr/ar: see docs, Incidents.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

from processors.incidents.embedding import BACKGROUNDS


def main(argv: list[str] | None = None) -> int:
    from processors.evaluation.incidents import encoder_embedder
    from tocsin.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="CSV files with a 'text' column")
    args = parser.parse_args(argv)
    texts: list[str] = []
    for path in args.files:
        with path.open(encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle) if (row.get("text") or "").strip()]
    embed, name = encoder_embedder(load_settings())
    vectors = np.concatenate([embed(texts[i : i + 256]) for i in range(0, len(texts), 256)])
    known = json.loads(BACKGROUNDS.read_text(encoding="utf-8")) if BACKGROUNDS.exists() else {}
    known[name] = {
        "texts": len(texts),
        "from": [p.name for p in args.files],
        "mean": [round(float(x), 6) for x in vectors.mean(axis=0)],
    }
    BACKGROUNDS.write_text(json.dumps(known, indent=1) + "\n", encoding="utf-8")
    print(f"{name}: mean of {len(texts)} texts → {BACKGROUNDS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
