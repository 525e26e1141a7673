"""``tocsin labels``: analysts' verdicts from the labels index, as files to retrain with.

``tocsin labels export -o DIR`` writes one CSV per category that has verdicts
(``DIR/hate_speech.csv``, ``DIR/violence_report.csv`` …) in the formats the
evaluation and training commands read (``tocsin.labels``); ``--category`` picks some.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tocsin.labels import LabelStore, write_export
from tocsin.settings import load_settings
from tocsin.terminal import printable
from tocsin_launch.archive_commands import ArchiveError, _fail, _run

if TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

    from tocsin.labels import AnalystLabel


def register(commands: Any) -> None:
    labels = commands.add_parser("labels", help="analysts' verdicts (the labels index)")
    actions = labels.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="one labelled CSV per category, for training and tocsin eval")
    export.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="directory to write the files to (made if missing)")
    export.add_argument("--category", action="append",
                        help="only these categories (default: every category with verdicts)")
    export.set_defaults(func=cmd_labels_export)


def cmd_labels_export(args: argparse.Namespace) -> int:
    directory = Path(args.output)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(args, f"cannot make the directory {directory}: {exc.strerror or exc}")
    wanted = [part.strip() for value in args.category or () for part in value.split(",") if part.strip()]
    settings = load_settings().search

    async def work(es: AsyncElasticsearch) -> dict[str, list[AnalystLabel]]:
        store = LabelStore(es, settings.labels_index)
        return {category: [label async for label in store.item_verdicts(category)]
                for category in wanted or await store.categories()}

    try:
        by_category = _run(settings, work)
    except ArchiveError as exc:
        return _fail(args, str(exc), 1)
    if not by_category:
        print("no verdicts yet: nothing exported", file=sys.stderr)
        return 0
    for category, labels in by_category.items():
        path = directory / f"{category}.csv"
        part = path.with_name(path.name + ".part")
        with part.open("w", encoding="utf-8", newline="") as handle:
            rows = write_export(handle, category, labels)
        os.replace(part, path)
        print(f"{printable(category)}: {rows} labelled items to {printable(path)}", file=sys.stderr)
    return 0
