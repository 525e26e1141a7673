"""The recorded demo corpus in ``demo/corpus/`` (built by ``demo/build_corpus.py``).

Installed with the package as ``tocsin_embedded.demo_data`` (``demo/`` in a checkout,
see setup.py), so ``tocsin demo`` runs from a wheel too. Serve it with
``tocsin_embedded.feedserver.FeedServer.start(corpus_dir(), reference=...)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tocsin.errors import ConfigError
from tocsin.resources import shipped

BASE_PLACEHOLDER = "{base}"
DEMO_DATA = "tocsin_embedded.demo_data"
"""``demo/`` of the repository (corpus and rules), installed as a package (see setup.py)."""


class CorpusNotFoundError(ConfigError, FileNotFoundError):
    """The demo corpus is not where a source checkout keeps it."""


def corpus_dir() -> Path:
    """``demo/corpus``, as installed (the checkout's folder in an editable install)."""
    path = shipped(DEMO_DATA, "corpus")
    if not (path / "feeds.yaml").is_file():
        raise CorpusNotFoundError(
            f"no demo corpus at {path}: reinstall tocsin, or in a checkout rebuild the corpus "
            "with 'python demo/build_corpus.py'"
        )
    return path


def demo_feeds_yaml(base_url: str) -> str:
    """The collector's feeds.yaml for the corpus, with ``{base}`` set to ``base_url``.

    ``base_url`` is the feed server's URL, e.g. ``FeedServer.url``; a trailing slash
    is dropped so the URLs do not get a double one.
    """
    text = (corpus_dir() / "feeds.yaml").read_text(encoding="utf-8")
    return text.replace(BASE_PLACEHOLDER, base_url.rstrip("/"))


def timeline() -> dict[str, Any]:
    """``timeline.json``: the stored reference instant, entries per feed and the staged surges.

    Each surge names its ``feed``, ``start_offset_s`` / ``end_offset_s`` relative to the
    reference (negative: before it), ``count`` and the entries' ``guids``.
    """
    data: dict[str, Any] = json.loads((corpus_dir() / "timeline.json").read_text(encoding="utf-8"))
    return data
