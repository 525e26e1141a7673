"""The ``youtube`` source: a channel's or a playlist's uploads, through YouTube's Atom feed.

YouTube publishes the latest 15 videos of every channel and playlist as Atom at
``/feeds/videos.xml?channel_id=…`` or ``?playlist_id=…``, without an API key. This
plug-in is the ``rss`` source with that URL built from the config, plus what the
feed carries beyond plain Atom: view and like counts (``media:statistics``,
``media:starRating``) and the uploading channel, which becomes the author,
pseudonymised unless the channel is configured ``official: true``.

Limits: 15 entries per feed, so a channel uploading more than that between two
polls loses the overflow (poll busy channels often); no comments, no transcripts;
counts are as of the fetch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from pydantic import model_validator

from collectors.config import FeedConfig, http_base_url
from collectors.feeds import RssSource
from collectors.normalise import EntryAdapter, plain_text
from collectors.protocol import PollContext, register
from collectors.pseudonyms import author_pseudonym
from tocsin.schema import Item

DEFAULT_BASE_URL = "https://www.youtube.com"
_CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_PLAYLIST_ID = re.compile(r"^[A-Za-z0-9_-]{10,64}$")
MAX_COUNT = 2**53
"""A count beyond this is not a count (and would not survive JSON readers)."""


def youtube_feed_url(base_url: str, *, channel_id: str | None = None, playlist_id: str | None = None) -> str:
    """The Atom feed URL of one channel (``UC`` + 22 characters) or one playlist."""
    if (channel_id is None) == (playlist_id is None):
        raise ValueError("give exactly one of channel_id or playlist_id")
    if channel_id is not None:
        if not _CHANNEL_ID.match(channel_id):
            raise ValueError(f"channel_id must be 'UC' and 22 letters, digits, '_' or '-', "
                             f"got {channel_id!r}")
        query = {"channel_id": channel_id}
    else:
        assert playlist_id is not None
        if not _PLAYLIST_ID.match(playlist_id):
            raise ValueError(f"playlist_id must be 10-64 letters, digits, '_' or '-', got {playlist_id!r}")
        query = {"playlist_id": playlist_id}
    return f"{http_base_url(base_url)}/feeds/videos.xml?{urlencode(query)}"


class YouTubeConfig(FeedConfig):
    """``channel_id`` or ``playlist_id``; ``url`` is derived from it and may not be given."""

    url: str = ""
    type: str = "youtube"
    channel_id: str | None = None
    playlist_id: str | None = None
    base_url: str = DEFAULT_BASE_URL
    official: bool = False
    """The channel is an official voice (a ministry, an agency): keep its name as the author."""

    @model_validator(mode="before")
    @classmethod
    def _derive_url(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if data.get("url"):
                raise ValueError("url is derived from channel_id or playlist_id; remove it "
                                 "(base_url changes the site)")
            channel, playlist = data.get("channel_id"), data.get("playlist_id")
            data = {**data, "url": youtube_feed_url(
                str(data.get("base_url") or DEFAULT_BASE_URL),
                channel_id=str(channel) if channel is not None else None,
                playlist_id=str(playlist) if playlist is not None else None)}
        return data


def count(value: Any) -> int | None:
    """A non-negative integer count from an attribute string; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip()[:20])
    else:
        return None
    return number if 0 <= number <= MAX_COUNT else None


def youtube_engagement(entry: Mapping[str, Any]) -> dict[str, int]:
    """``views`` from ``media:statistics``, ``likes`` from ``media:starRating count``."""
    engagement: dict[str, int] = {}
    statistics = entry.get("media_statistics")
    rating = entry.get("media_starrating")
    views = count(statistics.get("views")) if isinstance(statistics, Mapping) else None
    likes = count(rating.get("count")) if isinstance(rating, Mapping) else None
    if views is not None:
        engagement["views"] = views
    if likes is not None:
        engagement["likes"] = likes
    return engagement


def adapt_video(item: Item, entry: Mapping[str, Any], *, secret: str, official: bool) -> Item:
    """Author and counts of one video entry (pure)."""
    channel = entry.get("yt_channelid")
    name = item.authors[0] if item.authors else ""
    if official:
        authors = [plain_text(name)] if name else []
    elif isinstance(channel, str) and channel.strip():
        authors = [author_pseudonym(secret, "youtube", channel.strip())]
    elif name:
        authors = [author_pseudonym(secret, "youtube", name)]
    else:
        authors = []
    return item.model_copy(update={"authors": authors, "engagement": youtube_engagement(entry)})


@register("youtube", config_model=YouTubeConfig)
class YouTubeSource(RssSource):
    config: YouTubeConfig

    def entry_adapter(self, context: PollContext) -> EntryAdapter | None:
        secret, official = context.pseudonym_secret, self.config.official

        def adapt(item: Item, entry: Mapping[str, Any]) -> Item:
            return adapt_video(item, entry, secret=secret, official=official)

        return adapt
