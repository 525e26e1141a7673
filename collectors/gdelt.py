"""The ``gdelt`` source: news articles matching a query, from the GDELT DOC 2.0 API.

``GET /api/v2/doc/doc?query=…&mode=ArtList&format=json&maxrecords=250&sort=DateAsc
&startdatetime=…&enddatetime=…`` lists up to 250 articles that GDELT's crawlers saw
in the window, oldest first. The configured ``query`` (GDELT's syntax: phrases in
quotes, ``OR`` inside parentheses, ``theme:``, ``near:``…) is sent with
``sourcelang:`` and ``sourcecountry:`` clauses for the configured languages and
countries (GDELT's own names or codes: ``arabic``/``ara``, ``sudan``/``SU`` — FIPS
country codes, not ISO).

GDELT updates every 15 minutes (the default interval) and stamps each article with
``seendate`` (``20240515T121500Z``, when GDELT saw it, which is what ``published``
holds: GDELT does not give the publisher's date). The cursor is the newest seendate
published; each poll asks from the cursor minus ``overlap`` (default 15 minutes, so
an article indexed late with an earlier seendate is still found; the seen ids drop
the repeats) to now, and pages on from the last seendate of a full page within the
request budget. A poll that runs out of requests (or fails midway) stores where the
next page would have started instead, and the next poll resumes exactly there,
without overlap, so a busy query always makes progress. More than 250 articles
with one seendate cannot be paged through: the rest of that batch is skipped and
the poll says so (narrow the query). The first poll looks back ``lookback``
(default 1 hour). The DOC API only searches the last three months.

GDELT asks for at most one request every 5 seconds and answers faster callers (and
bad queries) with plain text instead of JSON: requests to one host are spaced by
``request_gap`` across all GDELT sources of the collector, a rate-limit answer
defers the next poll, and any other plain-text answer becomes a dead letter whose
error quotes GDELT's explanation.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import pycountry
from pydantic import Field, field_validator

from collectors.config import FeedConfig, parse_duration
from collectors.fetch import Fetcher, FetchResult
from collectors.jsonapi import (
    ApiFailure,
    ApiResponse,
    Harvest,
    MalformedResponse,
    decode_json,
    fetch_json,
    wrong_shape,
)
from collectors.normalise import content_sha256, item_id, plain_text, story_id
from collectors.posts import UnusablePost, http_url, post_dead_letter, text_field
from collectors.protocol import PollContext, PollOutcome, register
from collectors.provenance import provenance_of, raw_sha256
from tocsin.schema import DeadLetter, Item, SourceRef

SOURCE_TYPE = "gdelt"
DEFAULT_URL = "https://api.gdeltproject.org/api/v2/doc/doc"
MAX_RECORDS = 250
RATE_LIMIT_WAIT_S = 60.0
"""How long every GDELT source of a collector waits after GDELT's "please limit requests"
answer (a 200 or, lately, a 429 with a text body, neither with a Retry-After)."""
SEENDATE_FORMAT = "%Y%m%dT%H%M%SZ"
QUERY_DATE_FORMAT = "%Y%m%d%H%M%S"

_SEENDATE = re.compile(r"^\d{8}T\d{6}Z$")
_TERM = re.compile(r"^[A-Za-z]{2,40}$")

GDELT_LANGUAGES = {
    # GDELT's language names that pycountry does not know by that name.
    "swahili": "sw", "malay": "ms", "greek": "el", "sinhalese": "si", "sinhala": "si", "nepali": "ne",
    "punjabi": "pa", "pashto": "ps", "mongolian": "mn", "azerbaijani": "az", "albanian": "sq",
    "estonian": "et", "latvian": "lv", "persian": "fa", "farsi": "fa", "uzbek": "uz", "oromo": "om",
    "kurdish": "ku", "quechua": "qu", "haitian": "ht", "norwegian": "no", "filipino": "tl",
}
GDELT_COUNTRIES = {
    # GDELT's (FIPS) country names that are not ISO 3166 names.
    "russia": "RU", "burma": "MM", "ivory coast": "CI", "cote d'ivoire": "CI", "turkey": "TR",
    "democratic republic of the congo": "CD", "congo, democratic republic of the": "CD",
    "congo (kinshasa)": "CD", "republic of the congo": "CG", "congo (brazzaville)": "CG",
    "occupied palestinian territory": "PS", "palestine": "PS", "gaza strip": "PS", "west bank": "PS",
    "kosovo": "XK", "cape verde": "CV", "swaziland": "SZ", "macedonia": "MK", "east timor": "TL",
    "vatican city": "VA", "micronesia": "FM", "bahamas, the": "BS", "gambia, the": "GM", "syria": "SY",
    "iran": "IR", "south korea": "KR", "north korea": "KP", "laos": "LA", "vietnam": "VN", "bolivia": "BO",
    "venezuela": "VE", "tanzania": "TZ", "moldova": "MD", "brunei": "BN",
}


class GdeltConfig(FeedConfig):
    """``url`` is the DOC API endpoint (default ``https://api.gdeltproject.org/api/v2/doc/doc``)."""

    type: str = SOURCE_TYPE
    url: str = DEFAULT_URL
    query: str
    languages: list[str] = Field(default_factory=list)
    """``sourcelang:`` values, e.g. ``[arabic, french]`` or ``[ara, fra]``; any of them."""
    countries: list[str] = Field(default_factory=list)
    """``sourcecountry:`` values (where the outlet is), e.g. ``[sudan, southsudan]`` or FIPS ``[SU, OD]``."""
    lookback: float = 3600.0
    """How far the first poll looks back."""
    overlap: float = 900.0
    """How far each later poll reaches back before the cursor."""
    max_records: int = Field(default=MAX_RECORDS, ge=1, le=MAX_RECORDS)
    max_requests: int = Field(default=3, ge=1, le=50)
    request_gap: float = Field(default=5.0, ge=0)
    """Seconds between two requests to the API host, across all GDELT sources."""

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        value = value.strip()
        if not value or len(value) > 1500 or not value.isprintable():
            raise ValueError("must be a one-line GDELT query of at most 1500 characters")
        return value

    @field_validator("languages", "countries")
    @classmethod
    def _terms(cls, values: list[str]) -> list[str]:
        terms = [value.replace(" ", "").lower() if isinstance(value, str) else value for value in values]
        for term in terms:
            if not isinstance(term, str) or not _TERM.match(term):
                raise ValueError(f"must be GDELT names or codes of letters only, got {term!r}")
        return terms

    @field_validator("lookback", mode="before")
    @classmethod
    def _duration(cls, value: object) -> float:
        return parse_duration(value)

    @field_validator("overlap", mode="before")
    @classmethod
    def _overlap(cls, value: object) -> float:
        return 0.0 if value in (0, "0", "0s") else parse_duration(value)

    @field_validator("url")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if urlsplit(value).query or urlsplit(value).fragment:
            raise ValueError(f"must be the API endpoint without query or fragment, got {value!r}")
        return value


def full_query(config: GdeltConfig) -> str:
    """The query as sent: the configured one, then ``sourcelang:``/``sourcecountry:`` clauses."""
    parts = [config.query]
    for operator, values in (("sourcelang", config.languages), ("sourcecountry", config.countries)):
        clauses = [f"{operator}:{value}" for value in values]
        if len(clauses) == 1:
            parts.append(clauses[0])
        elif clauses:
            parts.append("(" + " OR ".join(clauses) + ")")
    return " ".join(parts)


def parse_seendate(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _SEENDATE.match(value):
        return None
    try:
        return datetime.strptime(value, SEENDATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def language_iso(name: Any) -> str | None:
    """GDELT's language name (``"Arabic"``) as ISO 639-1 (``"ar"``); None if unknown."""
    if not isinstance(name, str) or not 2 <= len(name) <= 40:
        return None
    key = name.strip().lower()
    if key in GDELT_LANGUAGES:
        return GDELT_LANGUAGES[key]
    try:
        code = getattr(pycountry.languages.lookup(key), "alpha_2", None)
    except LookupError:
        return None
    return code if isinstance(code, str) and len(code) == 2 else None


def country_iso(name: Any) -> str | None:
    """GDELT's source country name (``"Sudan"``) as ISO 3166 alpha-2 (``"SD"``); None if unknown."""
    if not isinstance(name, str) or not 2 <= len(name) <= 60:
        return None
    key = name.strip().lower()
    if key in GDELT_COUNTRIES:
        return GDELT_COUNTRIES[key]
    try:
        return str(pycountry.countries.lookup(key).alpha_2)
    except LookupError:
        return None


def article_to_item(article: Any, *, feed: GdeltConfig, context: PollContext, fetched: FetchResult) -> Item:
    """One ArtList article as an Item. Raises :class:`UnusablePost` without an http(s) URL."""
    if not isinstance(article, Mapping):
        raise UnusablePost(f"an article must be an object, got {type(article).__name__}")
    url = http_url(article.get("url"))
    if url is None:
        raise UnusablePost(f"article has no http(s) url: {article.get('url')!r:.80}")
    title = plain_text(text_field(article.get("title")))
    published = parse_seendate(article.get("seendate"))
    return Item(
        # Like an RSS entry without a guid: the same article from a feed gets the same id.
        id=item_id(guid=None, link=url, title=title, published=published, feed_name=feed.name),
        story_id=story_id(guid=None, link=url),
        source=SourceRef(type=SOURCE_TYPE, name=feed.name, url=feed.url),
        url=url,
        title=title,
        text="",
        published=published,
        collected=context.collected,
        lang_hint=language_iso(article.get("language")) or feed.language,
        country_hint=country_iso(article.get("sourcecountry")) or feed.country,
        raw_sha256=raw_sha256(article),
        content_sha256=content_sha256(title, ""),
        provenance=provenance_of(fetched, context.collected),
    )


def read_articles(response: ApiResponse, *, feed: GdeltConfig, context: PollContext,
                  page: int) -> tuple[list[Item], list[DeadLetter], list[datetime], int]:
    """A page's items, dead letters, the seendates of its articles, and how many it listed."""
    document = response.document
    if not isinstance(document, Mapping):
        raise wrong_shape(feed, response, "an object with 'articles'")
    articles = document.get("articles", [])  # no matches: GDELT answers {}
    if not isinstance(articles, list):
        raise wrong_shape(feed, response, "'articles' as a list")
    items: list[Item] = []
    dead: list[DeadLetter] = []
    seen: list[datetime] = []
    for index, article in enumerate(articles):
        try:
            items.append(article_to_item(article, feed=feed, context=context, fetched=response.result))
        except Exception as exc:  # one odd article must not cost the page the others
            dead.append(post_dead_letter(feed, f"page {page}, article {index}", exc, article))
            continue
        if (when := items[-1].published) is not None:
            seen.append(when)
    return items, dead, seen, len(articles)


_ESCAPE = re.compile(rb'\\(["\\/bfnrt]|u[0-9a-fA-F]{4})?')


def repair_escapes(body: bytes) -> bytes:
    """GDELT's ArtList JSON sometimes carries backslashes JSON does not allow (``\\'`` in a
    title): each lone backslash becomes a literal one, valid escapes stay as they are."""
    return _ESCAPE.sub(lambda m: m.group(0) if m.group(1) else b"\\\\", body)


def decode_artlist(body: bytes) -> Any:
    """An ArtList document, repaired if GDELT wrote invalid escapes or raw control characters
    into a string; :class:`MalformedResponse` (GDELT's first complaint) when no repair helps."""
    try:
        return decode_json(body)
    except MalformedResponse as exc:
        if not body.lstrip().startswith(b"{"):
            raise  # plain text: GDELT explaining a refusal, quoted as it is
        first = exc
    try:
        return json.loads(repair_escapes(body), strict=False)
    except (ValueError, RecursionError):
        raise first from None


class _Pacer:
    """Spaces requests to one host: GDELT refuses more than one every few seconds, and after
    it said so, no source asks again until :data:`RATE_LIMIT_WAIT_S` has passed."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.last = float("-inf")
        self.held_until = float("-inf")

    async def wait(self, gap: float) -> None:
        """Sleep out the gap; raise :class:`ApiFailure` (with the wait) while the host is on hold,
        so a poll defers instead of holding a task for a minute."""
        async with self.lock:
            delay = self.last + gap - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            held = self.held_until - time.monotonic()  # after the gap: a 429 may have come meanwhile
            if held > 0:
                raise ApiFailure(f"GDELT asked to limit requests; the next request may go in {held:.0f} s",
                                 retry_after_s=held)
            self.last = time.monotonic()

    def hold(self, seconds: float) -> None:
        self.held_until = max(self.held_until, time.monotonic() + seconds)


_PACERS: weakref.WeakKeyDictionary[Fetcher, dict[str, _Pacer]] = weakref.WeakKeyDictionary()
"""Per collector (its fetcher) and host, so every GDELT source of a collector shares one pace."""


def pacer(fetcher: Fetcher, url: str) -> _Pacer:
    parts = urlsplit(url)
    return _PACERS.setdefault(fetcher, {}).setdefault(f"{parts.scheme}://{parts.netloc}".lower(), _Pacer())


@dataclass(frozen=True)
class Position:
    """Where the next poll starts: after a poll that caught up, the newest seendate published
    (the next poll reaches back ``overlap`` before it); after one that ran out of requests
    or failed midway, exactly where the next page would have started."""

    time: datetime
    caught_up: bool

    def dump(self) -> str:
        return json.dumps({"from": self.time.strftime(SEENDATE_FORMAT), "caught_up": self.caught_up})

    @classmethod
    def load(cls, cursor: str | None) -> Position | None:
        """The stored cursor; None for none, or one this version cannot read (starts afresh)."""
        try:
            data = json.loads(cursor) if cursor else None
            time_ = parse_seendate(data.get("from")) if isinstance(data, dict) else None
        except ValueError:
            return None
        if time_ is None or not isinstance(data, dict) or not isinstance(data.get("caught_up"), bool):
            return None
        return cls(time_, data["caught_up"])


@register(SOURCE_TYPE, config_model=GdeltConfig)
class GdeltSource:
    def __init__(self, config: GdeltConfig) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.name

    def _url(self, start: datetime, end: datetime) -> str:
        params = {"query": full_query(self.config), "mode": "ArtList", "format": "json",
                  "maxrecords": str(self.config.max_records), "sort": "DateAsc",
                  "startdatetime": start.strftime(QUERY_DATE_FORMAT),
                  "enddatetime": end.strftime(QUERY_DATE_FORMAT)}
        return f"{self.config.url}?{urlencode(params)}"

    async def poll(self, context: PollContext) -> PollOutcome:
        config = self.config
        harvest = Harvest()
        end = context.collected.astimezone(UTC).replace(microsecond=0)
        stored = Position.load(context.cursor)
        if stored is None:
            start = end - timedelta(seconds=config.lookback)
        else:
            start = stored.time - timedelta(seconds=config.overlap) if stored.caught_up else stored.time
        newest = stored.time if stored is not None and stored.caught_up else None
        skipped: list[str] = []
        try:
            for _ in range(config.max_requests):
                await pacer(context.fetcher, config.url).wait(config.request_gap)
                response = await self._fetch(context, start, end)
                items, dead, seen, listed = await asyncio.to_thread(
                    read_articles, response, feed=config, context=context, page=harvest.pages + 1)
                harvest.page(response)
                harvest.items.extend(items)
                harvest.dead_letters.extend(dead)
                newest = max([*seen, *([newest] if newest else [])], default=None)
                if listed < config.max_records or not seen:
                    break  # caught up
                if min(seen) == max(seen):  # a full page of one seendate: the only way on is past it
                    if stored is None or max(seen) > stored.time:  # said once, not on every overlapping poll
                        skipped.append(f"{max(seen):%Y-%m-%d %H:%M:%S}")
                        harvest.error = (f"gdelt source {config.name!r}: {config.max_records} or more "
                                         f"articles seen at {', '.join(skipped)}; any beyond "
                                         f"{config.max_records} at one time are skipped (narrow the query)")
                    start = max(seen) + timedelta(seconds=1)
                else:
                    start = max(seen)
                if start >= end:
                    break
                # Where the next poll resumes if the budget ends here or the next request fails.
                harvest.cursor = Position(start, caught_up=False).dump()
            else:
                return harvest.outcome()
        except _BrokenPage as broken:
            return self._skip_window(harvest, broken, start, end)
        except ApiFailure as failure:
            harvest.stop(failure)
            return harvest.outcome()
        if newest is not None:
            harvest.cursor = Position(newest, caught_up=True).dump()
        return harvest.outcome()

    def _skip_window(self, harvest: Harvest, broken: _BrokenPage, start: datetime,
                     end: datetime) -> PollOutcome:
        """A page no repair makes JSON: dead-letter it and move the cursor past its window, so
        every later poll does not ask for the same broken answer again (the articles of that
        window are lost; the error says which)."""
        failure = broken.failure
        if failure.dead_letter is not None:
            harvest.dead_letters.append(failure.dead_letter)
        error = (f"gdelt source {self.config.name!r}: skipped the articles seen {start:%Y-%m-%d %H:%M:%S} to "
                 f"{end:%Y-%m-%d %H:%M:%S}: GDELT's answer is not JSON even after repair ({failure})")
        return PollOutcome("changed", items=harvest.items, dead_letters=harvest.dead_letters,
                           http_status=failure.http_status, error=error,
                           cursor=Position(end, caught_up=True).dump())

    async def _fetch(self, context: PollContext, start: datetime, end: datetime) -> ApiResponse:
        url = self._url(start, end)
        try:
            # No retry inside the fetcher: it would come within seconds, bypassing the pace.
            return await fetch_json(context.fetcher, self.config, url, retries=0, decode=decode_artlist)
        except ApiFailure as failure:
            body = (failure.body or b"").strip()
            if failure.body is not None and not body:  # an empty 200: nothing matched
                return ApiResponse(_empty_result(url, failure), {})
            said = failure.detail or body[:200].decode("utf-8", "replace")
            if failure.http_status == 429 or "limit requests" in said.lower():
                wait = max(RATE_LIMIT_WAIT_S, failure.retry_after_s or 0.0)
                pacer(context.fetcher, self.config.url).hold(wait)
                raise ApiFailure(f"gdelt source {self.config.name!r}: GDELT asks to limit requests "
                                 f"(HTTP {failure.http_status}): {said!r}; "
                                 f"every GDELT source waits {wait:.0f} s",
                                 http_status=failure.http_status, retry_after_s=wait) from None
            if failure.body is not None and body.startswith(b"{") and failure.dead_letter is not None:
                raise _BrokenPage(failure) from None
            raise


class _BrokenPage(Exception):
    """An ArtList answer that is broken JSON even after :func:`repair_escapes`."""

    def __init__(self, failure: ApiFailure) -> None:
        super().__init__(str(failure))
        self.failure = failure


def _empty_result(url: str, failure: ApiFailure) -> FetchResult:
    return FetchResult(status=failure.http_status or 200, url=url, headers=dict(failure.headers))
