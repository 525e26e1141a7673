"""Copy some categories' heads, and their dev figures, from a heads folder into another.

``train_encoder`` writes every category's head; a folder that serves one category
(``model_for`` in a route, e.g. ``models/encoder-use-static``: hate speech only) should
hold only that head, so that nothing in it goes unread::

    python -m processors.training.keep_heads .tocsin/use-static models/encoder-use-static hate_speech
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from processors.classifiers.heads import HeadsError, HeadSet

METRICS_FILE = "metrics.json"


def keep_heads(source: Path, target: Path, categories: Sequence[str]) -> HeadSet:
    """Write ``source``'s heads of ``categories`` (and their ``metrics.json`` figures) to ``target``."""
    heads = HeadSet.load(source)
    missing = [name for name in categories if name not in heads.heads]
    if missing:
        raise HeadsError(f"{source}: no heads for {', '.join(missing)} (it has: {', '.join(heads.heads)})")
    heads.heads = {name: heads.heads[name] for name in categories}
    retrained = heads.meta.get("retrained")
    if isinstance(retrained, dict):
        heads.meta["retrained"] = {name: value for name, value in retrained.items() if name in categories}
    heads.save(target)
    metrics_path = source / METRICS_FILE
    if metrics_path.is_file():
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        if isinstance(metrics.get("dev"), dict):
            metrics["dev"] = {name: value for name, value in metrics["dev"].items() if name in categories}
        text = json.dumps(metrics, indent=2, sort_keys=True) + "\n"
        (target / METRICS_FILE).write_text(text, encoding="utf-8")
    return heads


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a folder written by train_encoder")
    parser.add_argument("target", type=Path, help="the folder to write (created if missing)")
    parser.add_argument("categories", nargs="+", help="the categories whose heads to keep")
    args = parser.parse_args(argv)
    try:
        kept = keep_heads(args.source, args.target, args.categories)
    except HeadsError as exc:
        parser.exit(2, f"error: {exc}\n")
    print(f"{args.target}: {', '.join(kept.heads)} (trained on {kept.encoder})")


if __name__ == "__main__":
    main()
