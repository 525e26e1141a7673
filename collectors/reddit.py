"""The ``reddit`` source: new posts of one subreddit from its public JSON listing.

``GET /r/<subreddit>/new.json?limit=100&raw_json=1`` lists posts newest first; a
listing pages by fullname (``t3_…``): ``after=`` goes to older posts, ``before=`` to
newer ones, and each returns the page adjacent to the anchor.

Each poll first reads the newest page. If it reaches back to the cursor (the newest
post of the last poll, stored with its time), every post since is in it: one request,
the common case. If not, more than a page arrived, and the source pages upwards from
the cursor with ``before=`` until it meets the newest page or the poll's request
budget is spent, storing the cursor after the last contiguous page so the next poll
goes on from there. A deleted anchor makes ``before=`` return nothing; then the
source walks down from the newest page with ``after=`` to the anchor's time instead.
Only if more posts than the budget covers arrived *and* the anchor was deleted can
posts be missed, and the poll says so in its error.

Reddit requires a descriptive ``User-Agent`` (``<platform>:<app id>:<version> (by
/u/<name>)``): ``user_agent`` in the config, else the collector's. Its budget
headers (``X-Ratelimit-Remaining``/``-Reset``) are honoured: when the budget is
spent the poll stops and the next waits for the reset; a 429 waits likewise.
Unauthenticated access is limited (about ten requests a minute) and may be refused;
``token_env`` names a variable holding an OAuth bearer token, for use with
``url: https://oauth.reddit.com``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pydantic import Field, field_validator

from collectors.config import FeedConfig, api_base_url
from collectors.fetch import FetchResult
from collectors.jsonapi import ApiFailure, ApiResponse, Harvest, fetch_json, rate_limit_wait, wrong_shape
from collectors.normalise import content_sha256, html_to_text, item_id, plain_text
from collectors.posts import (
    UnusablePost,
    counts,
    http_url,
    parse_datetime,
    post_dead_letter,
    text_field,
)
from collectors.protocol import PollContext, PollOutcome, register
from collectors.provenance import provenance_of, raw_sha256
from collectors.pseudonyms import author_pseudonym
from tocsin.errors import ConfigError
from tocsin.schema import DeadLetter, Item, SourceRef

SOURCE_TYPE = "reddit"
DEFAULT_URL = "https://www.reddit.com"
PERMALINK_BASE = "https://www.reddit.com"
"""Where a post lives for a reader, whichever API host it was read from."""
MAX_PAGE = 100
ENGAGEMENT = {"score": "score", "num_comments": "replies", "num_crossposts": "reposts"}
GONE_TEXTS = frozenset({"[deleted]", "[removed]"})

_SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")
_FULLNAME = re.compile(r"^t3_[a-z0-9]{1,16}$")
_USERNAME = re.compile(r"^[A-Za-z0-9_-]{1,30}$")
_PERMALINK = re.compile(r"^/r/[A-Za-z0-9_]{2,21}/comments/[a-z0-9]{1,16}/[^\s?#]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class RedditConfig(FeedConfig):
    """``url`` is the API host: ``https://www.reddit.com`` (default) or ``https://oauth.reddit.com``."""

    type: str = SOURCE_TYPE
    url: str = DEFAULT_URL
    subreddit: str
    """Without ``r/``."""
    user_agent: str | None = None
    token_env: str | None = None
    official: bool = False
    page_size: int = Field(default=MAX_PAGE, ge=1, le=MAX_PAGE)
    max_requests: int = Field(default=4, ge=1, le=50)
    rate_limit_reserve: float = Field(default=1.0, ge=0)
    """Stop paging when no more than this many requests remain in Reddit's budget."""

    @field_validator("url")
    @classmethod
    def _base(cls, value: str) -> str:
        return api_base_url(value)

    @field_validator("subreddit")
    @classmethod
    def _subreddit(cls, value: str) -> str:
        value = value.strip().removeprefix("/").removeprefix("r/")
        if not _SUBREDDIT.match(value):
            raise ValueError(f"must be a subreddit name like 'sudan' (3-21 letters, digits, '_'), "
                             f"got {value!r}")
        return value

    @field_validator("user_agent")
    @classmethod
    def _user_agent(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or len(value) > 300 or not value.isprintable()):
            raise ValueError("must be a descriptive one-line User-Agent, e.g. "
                             "'linux:org.example.tocsin:0.1 (by /u/monitoring-desk)'")
        return value

    @field_validator("token_env")
    @classmethod
    def _token_env(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError(f"must name an environment variable (the token itself belongs there), "
                             f"got {value[:8]!r}…")
        return value


@dataclass(frozen=True)
class Position:
    """The newest post published so far: its fullname and creation time (Unix seconds)."""

    name: str
    created: float

    def dump(self) -> str:
        return json.dumps({"name": self.name, "created": self.created}, sort_keys=True)

    @classmethod
    def load(cls, cursor: str | None) -> Position | None:
        """The stored cursor, or None for none or one this version cannot read (starts afresh)."""
        if not cursor:
            return None
        try:
            data = json.loads(cursor)
            name, created = data["name"], float(data["created"])
        except (ValueError, TypeError, KeyError):
            return None
        return cls(name, created) if isinstance(name, str) and _FULLNAME.match(name) else None


def post_item_id(fullname: str) -> str:
    return item_id(guid=f"reddit:{fullname}", link=None, title="", published=None, feed_name="")


def _created(post: Mapping[str, Any]) -> float | None:
    value = post.get("created_utc")
    if isinstance(value, int | float) and not isinstance(value, bool) and parse_datetime(value) is not None:
        return float(value)
    return None


def post_to_item(post: Mapping[str, Any], *, feed: RedditConfig, context: PollContext,
                 fetched: FetchResult) -> Item:
    """One listing entry's ``data`` as an Item. Raises :class:`UnusablePost`."""
    fullname = text_field(post.get("name"))
    if not _FULLNAME.match(fullname):
        raise UnusablePost(f"post has no usable fullname: {post.get('name')!r:.80}")
    created = _created(post)
    title = plain_text(text_field(post.get("title")))
    html = text_field(post.get("selftext_html"))
    text = html_to_text(html) if html else plain_text(text_field(post.get("selftext")))
    deleted = text in GONE_TEXTS or post.get("removed_by_category") not in (None, "")
    if text in GONE_TEXTS:
        text = ""
    author = text_field(post.get("author"))
    authors = []
    if _USERNAME.match(author):
        handle = f"u/{author}" if feed.official else f"u/{author.lower()}"  # names ignore case
        authors.append(author_pseudonym(context.pseudonym_secret, SOURCE_TYPE, handle,
                                        official=feed.official))
    permalink = text_field(post.get("permalink"))
    flair = plain_text(text_field(post.get("link_flair_text")))
    relations: dict[str, str] = {}
    parent = text_field(post.get("crosspost_parent"))
    if _FULLNAME.match(parent):
        relations["repost_of"] = post_item_id(parent)
    link = http_url(post.get("url_overridden_by_dest") or post.get("url"))
    if post.get("is_self") is False and link:
        relations["links_to"] = link
    return Item(
        id=post_item_id(fullname),
        source=SourceRef(type=SOURCE_TYPE, name=feed.name, url=feed.url),
        url=PERMALINK_BASE + permalink if _PERMALINK.match(permalink) else None,
        title=title,
        text=text,
        authors=authors,
        tags=[flair] if flair else [],
        published=parse_datetime(created) if created is not None else None,
        collected=context.collected,
        lang_hint=feed.language,
        country_hint=feed.country,
        raw_sha256=raw_sha256(post),
        content_sha256=content_sha256(title, text),
        provenance=provenance_of(fetched, context.collected),
        engagement=counts(post, ENGAGEMENT),
        relations=relations,
        deleted=deleted,
    )


@dataclass
class Page:
    items: list[Item]
    dead_letters: list[DeadLetter]
    positions: list[Position]
    """Every post with a fullname and a time, in listing order (newest first)."""
    after: str | None
    size: int
    """Entries listed, usable or not."""

    @property
    def newest(self) -> Position | None:
        return max(self.positions, key=lambda p: p.created, default=None)

    def reaches(self, position: Position) -> bool:
        return any(p.name == position.name or p.created <= position.created for p in self.positions)


def read_listing(response: ApiResponse, *, feed: RedditConfig, context: PollContext, page: int) -> Page:
    document = response.document
    listing = isinstance(document, Mapping) and document.get("kind") == "Listing"
    data = document.get("data") if listing else None
    children = data.get("children") if isinstance(data, Mapping) else None
    if not isinstance(data, Mapping) or not isinstance(children, list):
        raise wrong_shape(feed, response, "a Listing object with data.children")
    after = text_field(data.get("after"))
    result = Page([], [], [], after if _FULLNAME.match(after) else None, len(children))
    for index, child in enumerate(children):
        post = child.get("data") if isinstance(child, Mapping) and child.get("kind") == "t3" else None
        try:
            if not isinstance(post, Mapping):
                raise UnusablePost("a listing entry must be {'kind': 't3', 'data': {...}}")
            item = post_to_item(post, feed=feed, context=context, fetched=response.result)
        except Exception as exc:  # one odd post must not cost the page its other posts
            result.dead_letters.append(post_dead_letter(feed, f"page {page}, entry {index}", exc, child))
            continue
        result.items.append(item)
        created = _created(post)
        if created is not None:
            result.positions.append(Position(text_field(post.get("name")), created))
    return result


class MissingToken(ConfigError, LookupError):
    """``token_env`` names an environment variable that is not set."""


@register(SOURCE_TYPE, config_model=RedditConfig)
class RedditSource:
    def __init__(self, config: RedditConfig) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.name

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.config.user_agent:
            headers["User-Agent"] = self.config.user_agent
        if self.config.token_env is not None:
            token = os.environ.get(self.config.token_env, "").strip()
            if not token:
                raise MissingToken(f"reddit source {self.name!r}: environment variable "
                                   f"{self.config.token_env} (token_env) is not set or empty")
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def poll(self, context: PollContext) -> PollOutcome:
        try:
            headers = self._headers()
        except MissingToken as exc:
            return PollOutcome("failed", error=str(exc))
        poll = _Poll(self.config, context, headers)
        try:
            await poll.run(Position.load(context.cursor))
        except ApiFailure as failure:
            poll.harvest.stop(failure)
            if failure.http_status == 429 and (wait := rate_limit_wait(failure.headers, context.collected,
                                                                       reserve=float("inf"))) is not None:
                poll.harvest.wait_at_least(wait)
        except _BudgetSpent:
            pass
        return poll.harvest.outcome()


class _BudgetSpent(Exception):
    """The poll's requests, or Reddit's, are used up; what was read so far stands."""


class _Poll:
    """One poll's requests and what they brought (see the module docstring for the order)."""

    def __init__(self, config: RedditConfig, context: PollContext, headers: Mapping[str, str]) -> None:
        self.config = config
        self.context = context
        self.headers = headers
        self.budget = config.max_requests
        self.harvest = Harvest()

    async def listing(self, **anchor: str) -> Page:
        if self.budget <= 0 or self.harvest.retry_after_s is not None:
            raise _BudgetSpent
        self.budget -= 1
        params = {"limit": str(self.config.page_size), "raw_json": "1", **anchor}
        url = f"{self.config.url}/r/{self.config.subreddit}/new.json?{urlencode(params)}"
        response = await fetch_json(self.context.fetcher, self.config, url, headers=self.headers)
        page = await asyncio.to_thread(read_listing, response, feed=self.config, context=self.context,
                                       page=self.harvest.pages + 1)
        self.harvest.page(response)
        self.harvest.items.extend(page.items)
        self.harvest.dead_letters.extend(page.dead_letters)
        wait = rate_limit_wait(response.result.headers, self.context.collected,
                               reserve=self.config.rate_limit_reserve)
        if wait is not None:
            self.harvest.wait_at_least(wait)
        return page

    async def run(self, cursor: Position | None) -> None:
        top = await self.listing()
        newest = top.newest
        # A listing's size says little (Reddit leaves out removed posts); its end is "after": null.
        if cursor is None or newest is None or top.reaches(cursor) or top.after is None:
            if newest is not None:
                self.harvest.cursor = newest.dump()
            return
        # More than a page since the cursor: fill upwards from it, contiguously, until the top.
        on_top = {position.name for position in top.positions}
        anchor = cursor
        while True:
            page = await self.listing(before=anchor.name)
            page_newest = page.newest
            if page_newest is None:
                break  # the anchor is gone (or nothing newer is listed after all)
            if any(position.name in on_top for position in page.positions):
                self.harvest.cursor = newest.dump()
                return
            anchor = page_newest
            self.harvest.cursor = anchor.dump()
        await self._walk_down(top, anchor, newest)

    async def _walk_down(self, top: Page, cursor: Position, newest: Position) -> None:
        """``cursor``'s post is gone: read older pages from the top down to its time. A failed
        request leaves the stored cursor as it was, so the next poll walks again."""
        after = top.after
        while after is not None:
            try:
                page = await self.listing(after=after)
            except _BudgetSpent:
                self.harvest.error = (
                    f"reddit source {self.config.name!r}: the last post seen ({cursor.name}) is gone and "
                    f"more posts arrived than {self.config.max_requests} requests cover; some may be missed")
                break
            if page.reaches(cursor):
                break
            after = page.after
        self.harvest.cursor = newest.dump()
