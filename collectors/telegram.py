"""The ``telegram`` source: a public channel, read from its web preview (``t.me/s/<channel>``).

Telegram shows the latest ~20 posts of every public channel as an HTML page, newest
at the bottom, and older ones with ``?before=<message id>``; no account or API key
is needed. A poll reads the latest page, then pages back until it reaches the last
message it saw (the cursor), at most ``max_pages`` pages, ``page_delay`` apart.

A channel that posted more than a poll's budget since the last poll leaves a gap;
the cursor remembers it (``<newest>:<gap before>:<gap floor>``) and later polls fill
it with whatever budget the new messages leave, oldest gap last, so nothing between
two polls is lost for good. The first poll reads only ``backfill_pages`` pages.

Telegram lets channels edit posts. The preview shows the current version, so every
poll re-reads the messages on its pages and a message whose content hash changed is
published again under the same id (``edits_by_content``); the processors treat a new
hash as an edit. Deletions cannot be seen (a deleted post just vanishes).

Everything on the page is hostile input: messages are read with lxml, their text
through :func:`collectors.normalise.html_to_text` (no scripts, no markup), links only
if they are http(s), and a message that does not belong to the channel, has no id
or was cut off (no date) is a dead letter, not an item.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.etree
import lxml.html
from pydantic import Field, model_validator

from collectors.config import FeedConfig, http_base_url
from collectors.fetch import FeedTooLarge, FetchError, FetchResult, HTTPStatusError
from collectors.normalise import content_sha256, html_to_text, item_id, plain_text
from collectors.posts import parse_datetime, title_from_text
from collectors.protocol import PollContext, PollOutcome, register
from collectors.provenance import bytes_sha256, provenance_of
from collectors.pseudonyms import author_pseudonym
from tocsin.errors import InputError
from tocsin.schema import DeadLetter, Item, Provenance, SourceRef

SOURCE_TYPE = "telegram"
DEFAULT_BASE_URL = "https://t.me"
CANONICAL_BASE = "https://t.me"
"""Item ids and relations use the public t.me link whatever ``base_url`` says, so the same
post has one id everywhere (a mirror, an RSS bridge with t.me guids)."""
ACCEPT_HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
MAX_COUNT = 2**53

_CHANNEL = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_DATA_POST = re.compile(r"^([A-Za-z][A-Za-z0-9_]{3,31})/(\d{1,12})$")
_POST_LINK = re.compile(r"^https?://(?:www\.)?(?:t\.me|telegram\.me)/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,31})/(\d{1,12})"
                        r"(?:[/?#].*)?$")
_VIEWS = re.compile(r"^(\d{1,15}(?:[.,]\d{1,3})?)\s*([KMB]?)$", re.IGNORECASE)
_VIEW_UNITS = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
_HASHTAG = re.compile(r"(?<![\w#])#(\w{1,100})")


def _has_class(name: str) -> str:
    """An XPath test for one class token (``tgme_widget_message`` but not ``…_wrap``)."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_MESSAGES = f"//div[{_has_class('tgme_widget_message')}]"
_TEXT = (f".//div[{_has_class('tgme_widget_message_text')}]"
         f"[not(ancestor::*[{_has_class('tgme_widget_message_reply')}])]")
_PREVIEW_MARKERS = (f"//section[{_has_class('tgme_channel_history')}]"
                    f" | //div[{_has_class('tgme_channel_info')}]")


# --- config ---------------------------------------------------------------------------


class TelegramConfig(FeedConfig):
    """``channel`` (its public username); ``url`` is derived and may not be given."""

    url: str = ""
    type: str = SOURCE_TYPE
    channel: str
    base_url: str = DEFAULT_BASE_URL
    official: bool = False
    """The channel is an official voice: keep its name as the author."""
    max_pages: int = Field(default=5, ge=1, le=50)
    """Pages (~20 messages each) one poll may fetch: the request budget per poll."""
    backfill_pages: int = Field(default=1, ge=1, le=50)
    """Pages the first poll reads (history before the first poll is not collected)."""
    page_delay: float = Field(default=1.0, ge=0.0, le=60.0)
    """Seconds between two page requests of one poll: t.me answers bursts with 429."""

    @model_validator(mode="before")
    @classmethod
    def _derive_url(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if data.get("url"):
                raise ValueError("url is derived from channel; remove it (base_url changes the site)")
            channel = data.get("channel")
            if not isinstance(channel, str):
                raise ValueError("channel is required: the channel's public username")
            channel = channel.strip().removeprefix("@")
            if not _CHANNEL.match(channel):
                raise ValueError(f"channel must be a public username (5-32 letters, digits or '_'), "
                                 f"got {channel!r}")
            base = http_base_url(str(data.get("base_url") or DEFAULT_BASE_URL))
            data = {**data, "channel": channel, "base_url": base, "url": f"{base}/s/{channel}"}
        return data


# --- the cursor -----------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """Messages with ``floor < id < before`` are not collected yet."""

    before: int
    floor: int


@dataclass(frozen=True)
class TelegramCursor:
    newest: int | None = None
    """The newest message id collected."""
    gap: Gap | None = None

    @classmethod
    def parse(cls, value: str | None) -> TelegramCursor:
        """The stored form; anything unreadable counts as no cursor (a first poll)."""
        if not value:
            return cls()
        parts = value.split(":")
        try:
            numbers = [int(part) for part in parts]
        except ValueError:
            return cls()
        if len(numbers) == 1 and numbers[0] >= 0:
            return cls(numbers[0])
        if len(numbers) == 3 and numbers[0] >= 0 and numbers[2] + 1 < numbers[1]:
            return cls(numbers[0], Gap(numbers[1], numbers[2]))
        return cls()

    def __str__(self) -> str:
        if self.newest is None:
            return ""
        if self.gap is None:
            return str(self.newest)
        return f"{self.newest}:{self.gap.before}:{self.gap.floor}"


# --- parsing a page (pure) ------------------------------------------------------------


def post_guid(channel: str, message_id: int) -> str:
    return f"{CANONICAL_BASE}/{channel.lower()}/{message_id}"


def message_item_id(channel: str, message_id: int) -> str:
    """The item id of one channel post: the same from every page, base URL and source."""
    return item_id(guid=post_guid(channel, message_id), link=None, title="", published=None, feed_name="")


def parse_views(value: str) -> int | None:
    """``"987"`` → 987, ``"12.4K"`` → 12400, ``"1.5M"`` → 1500000; anything else None."""
    match = _VIEWS.match(value.strip())
    if not match:
        return None
    number = float(match.group(1).replace(",", ".")) * _VIEW_UNITS[match.group(2).upper()]
    return int(number) if 0 <= number <= MAX_COUNT else None


def related_post(href: str | None) -> str | None:
    """The item id of the post a ``t.me/<channel>/<id>`` link points to, else None."""
    match = _POST_LINK.match((href or "").strip())
    return message_item_id(match.group(1), int(match.group(2))) if match else None


def geotag_of(href: str | None) -> dict[str, float] | None:
    """``{"lat", "lon"}`` from a location message's map link (``?q=lat,lon`` or ``ll=``)."""
    try:
        parts = urlsplit((href or "").strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    query = parse_qs(parts.query)
    for key in ("q", "ll"):
        for value in query.get(key, []):
            lat_text, sep, lon_text = value.partition(",")
            try:
                lat, lon = float(lat_text), float(lon_text)
            except ValueError:
                continue
            if sep and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
                return {"lat": lat, "lon": lon}
    return None


def _first(element: Any, path: str) -> Any:
    found = element.xpath(path)
    return found[0] if found else None


def _text_of(element: Any) -> str:
    return plain_text(element.text_content()) if element is not None else ""


class UnusableMessage(InputError, ValueError):
    """A message element that cannot become an item; the reason says why."""


@dataclass
class Page:
    """One preview page, parsed."""

    messages: list[tuple[int, Item]] = field(default_factory=list)
    """(message id, item) for every message that became an item."""
    dead_letters: list[DeadLetter] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    """Every message id on the page (service messages included): what paging goes by."""
    is_preview: bool = True


def message_item(element: Any, *, feed: TelegramConfig, collected: datetime, secret: str,
                 provenance: Provenance | None) -> tuple[int, Item]:
    """One ``div.tgme_widget_message`` as an Item; raises :class:`UnusableMessage`."""
    match = _DATA_POST.match(element.get("data-post") or "")
    if not match:
        raise UnusableMessage(f"data-post is not '<channel>/<id>': {element.get('data-post')!r}")
    channel, message_id = match.group(1), int(match.group(2))
    if channel.lower() != feed.channel.lower():
        raise UnusableMessage(f"message of channel {channel!r} on the page of {feed.channel!r}")
    stamp = _first(element, ".//time[@datetime]")
    if stamp is None:
        raise UnusableMessage("no time[datetime]: the message is cut off")
    text_element = _first(element, _TEXT)
    markup = lxml.html.tostring(text_element, encoding="unicode") if text_element is not None else ""
    text = html_to_text(markup)
    title = title_from_text(text)

    authors = [author_pseudonym(secret, SOURCE_TYPE, feed.channel.lower(), official=feed.official)]
    signature = _text_of(_first(element, f".//span[{_has_class('tgme_widget_message_from_author')}]"))
    if signature:  # a person signing for the channel: always pseudonymised
        authors.append(author_pseudonym(secret, SOURCE_TYPE, f"{feed.channel.lower()}/{signature}"))

    engagement: dict[str, int] = {}
    views = parse_views(_text_of(_first(element, f".//span[{_has_class('tgme_widget_message_views')}]")))
    if views is not None:
        engagement["views"] = views

    relations: dict[str, str] = {}
    reply = related_post(_first(element, f".//a[{_has_class('tgme_widget_message_reply')}]/@href"))
    if reply:
        relations["reply_to"] = reply
    forwarded = related_post(
        _first(element, f".//a[{_has_class('tgme_widget_message_forwarded_from_name')}]/@href"))
    if forwarded:
        relations["repost_of"] = forwarded

    raw = lxml.html.tostring(element, encoding="utf-8")
    return message_id, Item(
        id=message_item_id(channel, message_id),
        source=SourceRef(type=feed.type, name=feed.name, url=feed.url),
        url=f"{feed.base_url}/{feed.channel}/{message_id}",
        title=title,
        text=text,
        authors=authors,
        tags=list(dict.fromkeys(_HASHTAG.findall(text)))[:50],
        published=parse_datetime(stamp.get("datetime")),
        collected=collected,
        lang_hint=feed.language,
        country_hint=feed.country,
        geotag=geotag_of(_first(element, f".//a[{_has_class('tgme_widget_message_location_wrap')}]/@href")),
        raw_sha256=bytes_sha256(raw),
        content_sha256=content_sha256(title, text),
        provenance=provenance,
        engagement=engagement,
        relations=relations,
    )


def parse_page(body: bytes, *, feed: TelegramConfig, collected: datetime, secret: str,
               provenance: Provenance | None = None, charset: str | None = None) -> Page:
    """Every message of a preview page (CPU work: run it off the event loop). Never raises.

    A page that is not a channel preview at all (a private channel's contact page, a
    captcha) has ``is_preview`` False. Service messages ("channel photo updated")
    count for paging but are not items.
    """
    try:
        document = lxml.html.document_fromstring(body.decode(charset or "utf-8", "replace"))
    except (lxml.etree.ParserError, ValueError, LookupError):
        return Page(is_preview=False)
    page = Page(is_preview=bool(document.xpath(_PREVIEW_MARKERS)))
    for index, element in enumerate(document.xpath(_MESSAGES)):
        match = _DATA_POST.match(element.get("data-post") or "")
        if match and match.group(1).lower() == feed.channel.lower():
            page.ids.append(int(match.group(2)))
        if "service_message" in (element.get("class") or "").split():
            continue
        try:
            page.messages.append(message_item(element, feed=feed, collected=collected, secret=secret,
                                           provenance=provenance))
        except Exception as exc:  # one odd message must not cost the page its others
            reason = "unusable_message" if isinstance(exc, UnusableMessage) else "message_not_normalisable"
            page.dead_letters.append(DeadLetter.of(
                stage="collector", reason=reason, key=feed.name,
                error=f"telegram source {feed.name!r} ({feed.url}), message {index}: "
                      f"{type(exc).__name__}: {exc}",
                payload=lxml.html.tostring(element, encoding="utf-8")))
    return page


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


# --- polling --------------------------------------------------------------------------


@dataclass
class Walk:
    """Pages read from one starting point down towards a floor."""

    messages: list[tuple[int, Item]] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    pages: int = 0
    reached: bool = False
    """The floor (or the channel's first message) was reached: nothing is missing below."""
    oldest: int | None = None
    newest: int | None = None
    failure: PollOutcome | None = None
    """Why the walk stopped early (a fetch error, a page that is not a preview)."""
    first_status: int | None = None


@register(SOURCE_TYPE, config_model=TelegramConfig)
class TelegramSource:
    def __init__(self, config: TelegramConfig) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.name

    async def poll(self, context: PollContext) -> PollOutcome:
        feed = self.config
        cursor = TelegramCursor.parse(context.cursor)
        first_limit = feed.max_pages
        if cursor.newest is None:
            first_limit = min(feed.max_pages, feed.backfill_pages)
        top = await self._walk(context, before=None, floor=cursor.newest, pages=first_limit)
        if top.pages <= 1 and top.failure is not None and not top.messages:
            return replace(top.failure, dead_letters=top.dead_letters + top.failure.dead_letters)
        messages, dead = list(top.messages), list(top.dead_letters)
        budget = feed.max_pages - top.pages

        gap = cursor.gap
        if cursor.newest is not None and not top.reached and top.oldest is not None:
            # Budget or an error stopped us above the last poll's newest: remember the hole.
            floor = gap.floor if gap is not None else cursor.newest
            gap = Gap(top.oldest, floor) if floor + 1 < top.oldest else None
        failure = top.failure
        if gap is not None and budget > 0 and failure is None:
            fill = await self._walk(context, before=gap.before, floor=gap.floor, pages=budget)
            messages += fill.messages
            dead += fill.dead_letters
            failure = fill.failure
            if fill.reached:
                gap = None
            elif fill.oldest is not None and gap.floor + 1 < fill.oldest:
                gap = Gap(fill.oldest, gap.floor)

        newest = max((n for n in (top.newest, cursor.newest) if n is not None), default=None)
        next_cursor = TelegramCursor(newest, gap if newest is not None else None)
        if failure is not None:
            dead += failure.dead_letters
        return PollOutcome(
            "changed", items=newest_first(messages), dead_letters=dead, http_status=top.first_status,
            cursor=str(next_cursor) or None, edits_by_content=True,
            retry_after_s=failure.retry_after_s if failure is not None else None,
            error=failure.error if failure is not None else None)

    async def _walk(self, context: PollContext, *, before: int | None, floor: int | None,
                    pages: int) -> Walk:
        walk = Walk()
        for _ in range(pages):
            if walk.pages and self.config.page_delay:
                await asyncio.sleep(self.config.page_delay)
            url = self.config.url if before is None else f"{self.config.url}?before={before}"
            walk.pages += 1
            fetched = await self._fetch(context, url)
            if isinstance(fetched, PollOutcome):
                walk.failure = fetched
                return walk
            if walk.first_status is None:
                walk.first_status = fetched.status
            page = await asyncio.to_thread(
                parse_page, fetched.body, feed=self.config, collected=context.collected,
                secret=context.pseudonym_secret, provenance=provenance_of(fetched, context.collected),
                charset=_charset(fetched.content_type))
            walk.messages += page.messages
            walk.dead_letters += page.dead_letters
            if not page.is_preview:
                walk.failure = self._not_a_preview(url, fetched)
                return walk
            if not page.ids:  # before the channel's first message
                walk.reached = True
                return walk
            oldest = min(page.ids)
            walk.oldest = oldest if walk.oldest is None else min(walk.oldest, oldest)
            walk.newest = max(max(page.ids), walk.newest or 0)
            if oldest <= 1 or (floor is not None and oldest <= floor + 1):
                walk.reached = True
                return walk
            if before is not None and oldest >= before:
                # A page that does not go back (a broken ?before=): stop rather than loop.
                walk.failure = PollOutcome("failed", error=f"{url}: paging did not go back "
                                                            f"(oldest id {oldest} ≥ {before})")
                return walk
            before = oldest
        return walk

    async def _fetch(self, context: PollContext, url: str) -> FetchResult | PollOutcome:
        feed = self.config
        try:
            return await context.fetcher.fetch(url, headers={"Accept": ACCEPT_HTML})
        except FeedTooLarge as exc:
            letter = DeadLetter.of(stage="collector", reason="feed_too_large", key=feed.name,
                                   error=f"telegram source {feed.name!r}: {exc}", payload=exc.partial)
            return PollOutcome("failed", dead_letters=[letter], error=str(exc))
        except HTTPStatusError as exc:
            return PollOutcome("failed", http_status=exc.status, error=str(exc),
                               retry_after_s=exc.retry_after_s)
        except FetchError as exc:
            return PollOutcome("failed", error=str(exc))

    def _not_a_preview(self, url: str, fetched: FetchResult) -> PollOutcome:
        feed = self.config
        message = (f"telegram source {feed.name!r} ({url}): not a channel preview page "
                   f"(a private or missing channel, or a captcha)")
        letter = DeadLetter.of(stage="collector", reason="not_a_channel_preview", key=feed.name,
                               error=message, payload=fetched.body)
        return PollOutcome("failed", dead_letters=[letter], error=message, http_status=fetched.status)


def newest_first(messages: Sequence[tuple[int, Item]]) -> list[Item]:
    """Newest message first, as the runner's seen set expects; page overlaps keep one copy."""
    by_id: dict[int, Item] = {}
    for number, item in messages:
        by_id.setdefault(number, item)
    return [by_id[number] for number in sorted(by_id, reverse=True)]
