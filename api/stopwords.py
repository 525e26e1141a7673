"""Stop words kept out of ``significant_terms`` over title and text.

Against an archive of short posts, news articles about killings use "the", "of",
"that", "la" far more than the background does, so by the numbers those lead
what stands out. Elasticsearch leaves that to the index's analyzers; the archive
analyses every language alike, so the API drops the stop words (the ``stop-words``
package's lists) of the languages that make up the selection. A word that a keyword
category watches for on its own (``config/categories.yaml``) is never dropped.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from stop_words import LANGUAGE_MAPPING, get_stop_words

# A language makes up the selection when it has at least this share of its items.
MIN_SHARE = 0.05


@functools.cache
def _language(lang: str) -> frozenset[str]:
    return frozenset(get_stop_words(lang)) if lang in LANGUAGE_MAPPING else frozenset()


@functools.cache
def watched_words(categories_file: Path) -> frozenset[str]:
    """Single-word terms of the keyword categories (``massacre*`` → ``massacre``)."""
    try:
        data: Any = yaml.safe_load(categories_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return frozenset()
    words: set[str] = set()
    for category in ((data or {}).get("categories") or {}).values():
        for terms in ((category or {}).get("terms") or {}).values():
            for term in terms if isinstance(terms, list | dict) else ():
                text = str(term).rstrip("*").casefold()
                if text and " " not in text:
                    words.add(text)
    return frozenset(words)


def stop_words(languages: dict[str, int], keep: Iterable[str] = ()) -> frozenset[str]:
    """The stop words of the languages holding ``MIN_SHARE`` of the selection (code → items)."""
    total = sum(languages.values())
    dropped: set[str] = set()
    for lang, count in languages.items():
        if total and count / total >= MIN_SHARE:
            dropped |= _language(lang)
    return frozenset(dropped - set(keep))
