"""The ``googlenews`` source: a Google News search, per language and edition, as RSS.

``https://news.google.com/rss/search?q=<query>&hl=<lang>&gl=<COUNTRY>&ceid=<COUNTRY>:<lang>``
returns the newest matching articles (up to 100) from the outlets Google indexes, in
one language and one national edition. This plug-in is the ``rss`` source with that
URL built from the config, plus what the items carry beyond plain RSS: the outlet
(``<source>``), which becomes the author, and a title without its " - Outlet"
suffix.

Outlets are organisations, not people, so they are kept by name (``official``
defaults to true here); set ``official: false`` to pseudonymise them like any author.

The edition (``edition``, Google's ``gl``) is where Google thinks the reader is, not
what the news is about, so it is *not* the item's country hint; give ``country``
as for any feed when a query is about one country.

Limits: links point to ``news.google.com/rss/articles/…`` redirects, not to the
outlet; Google caps a search at 100 items and tolerates only gentle polling (keep
``interval`` at 15 minutes or more; 429s are backed off like any feed's); search
operators (``when:1d``, ``site:``, ``OR``, quotes) go in ``query`` as typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from pydantic import model_validator

from collectors.config import FeedConfig, http_base_url
from collectors.feeds import RssSource
from collectors.normalise import EntryAdapter, content_sha256, item_id, plain_text
from collectors.protocol import PollContext, register
from collectors.pseudonyms import author_pseudonym
from tocsin.schema import Item

DEFAULT_BASE_URL = "https://news.google.com"
MAX_QUERY_CHARS = 500
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,4})?$")
_EDITION = re.compile(r"^[A-Za-z]{2}$")


def google_news_url(base_url: str, *, query: str, hl: str, edition: str) -> str:
    """The search feed URL; ``hl`` is a language (``ar``, ``pt-BR``), ``edition`` an ISO
    3166 alpha-2 country. ``ceid`` pairs the edition with the language's primary tag."""
    query = query.strip()
    if not query or len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"query must be 1-{MAX_QUERY_CHARS} characters, got {len(query)}")
    if not _LANGUAGE.match(hl):
        raise ValueError(f"hl must be a language tag like 'ar' or 'pt-BR', got {hl!r}")
    if not _EDITION.match(edition):
        raise ValueError(f"edition must be an ISO 3166 alpha-2 code like 'SD', got {edition!r}")
    gl = edition.upper()
    ceid = f"{gl}:{hl.split('-')[0]}"
    return (f"{http_base_url(base_url)}/rss/search?q={quote(query, safe='')}&hl={quote(hl)}"
            f"&gl={gl}&ceid={quote(ceid, safe=':')}")


class GoogleNewsConfig(FeedConfig):
    """``query``, ``language`` (required) and ``edition``; ``url`` is derived and may not be given."""

    url: str = ""
    type: str = "googlenews"
    query: str
    edition: str
    """Google's national edition (``gl``), ISO 3166 alpha-2."""
    hl: str | None = None
    """Interface language when it is not just ``language`` (``pt-BR``, ``zh-TW``)."""
    base_url: str = DEFAULT_BASE_URL
    official: bool = True
    """Outlets are organisations: keep their names. False pseudonymises them."""

    @model_validator(mode="before")
    @classmethod
    def _derive_url(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if data.get("url"):
                raise ValueError("url is derived from query, language and edition; remove it "
                                 "(base_url changes the site)")
            language, query, edition = data.get("language"), data.get("query"), data.get("edition")
            if not isinstance(language, str) or not isinstance(query, str) or not isinstance(edition, str):
                raise ValueError("query, language and edition are required strings")
            hl = data.get("hl") or language.lower()
            data = {**data, "url": google_news_url(str(data.get("base_url") or DEFAULT_BASE_URL),
                                                   query=query, hl=str(hl), edition=edition)}
        return data


def strip_outlet(title: str, outlet: str) -> str:
    """``"Headline - Outlet"`` → ``"Headline"`` when the suffix is exactly the outlet."""
    suffix = f" - {outlet}"
    if outlet and title.endswith(suffix) and len(title) > len(suffix):
        return title[:-len(suffix)].rstrip()
    return title


def adapt_article(item: Item, entry: Mapping[str, Any], *, secret: str, official: bool) -> Item:
    """Outlet as author, title without the outlet, and an id shared by every search
    that finds the same article (Google's guid is global, not per feed)."""
    source = entry.get("source")
    outlet = plain_text(source.get("title") or "") if isinstance(source, Mapping) else ""
    if not outlet:  # no <source>: take the title's suffix as the outlet, as Google writes it
        head, sep, tail = item.title.rpartition(" - ")
        outlet = tail.strip() if sep and head.strip() else ""
    authors = []
    if outlet:
        authors = [outlet] if official else [author_pseudonym(secret, "googlenews", outlet.casefold())]
    title = strip_outlet(item.title, outlet)
    update: dict[str, Any] = {"authors": authors, "title": title}
    guid = entry.get("id")
    if isinstance(guid, str) and guid.strip():
        update["id"] = item_id(guid=f"googlenews:{guid.strip()}", link=None, title="", published=None,
                               feed_name="")
    if title != item.title:
        update["content_sha256"] = content_sha256(title, item.text)
    return item.model_copy(update=update)


@register("googlenews", config_model=GoogleNewsConfig)
class GoogleNewsSource(RssSource):
    config: GoogleNewsConfig

    def entry_adapter(self, context: PollContext) -> EntryAdapter | None:
        secret, official = context.pseudonym_secret, self.config.official

        def adapt(item: Item, entry: Mapping[str, Any]) -> Item:
            return adapt_article(item, entry, secret=secret, official=official)

        return adapt
