"""The ``reliefweb`` source: humanitarian reports from the ReliefWeb API (v2).

``POST /v2/reports?appname=<appname>`` with a JSON query: a ``filter`` on the
configured countries (``primary_country.iso3``, or ``country.iso3`` for any country
a report covers) and themes (``theme.name``), and on ``date.created``; the fields
to return (``fields[include]``: title, body, URL, dates, source, language, primary
country, themes, format); sorted by ``date.created`` descending, paged by ``offset``.

Paging newest first by offset is only stable while the set does not change, so a
poll fixes its window: from the cursor (the newest ``date.created`` published, less
``overlap``, default 1 hour, for reports that appear late; the seen ids drop the
repeats) up to the newest report of its first page. Later pages ask for that window
only, so reports created meanwhile cannot shift the offsets; the next poll gets
them. A poll that runs out of requests (``max_requests``) or fails midway stores the
window and the next offset, and the next poll finishes that window first. The first
poll looks back ``lookback`` (default 1 day).

Since 1 November 2025 every caller needs an ``appname`` that ReliefWeb approved
beforehand (https://apidoc.reliefweb.int/parameters#appname: a short form, reviewed
within a business day; the name combines the organisation, the purpose and random
characters). An unapproved one is refused with 403 and v1, decommissioned, answers
410: both fail the poll with ReliefWeb's own message and what to do about it. Its
sources are organisations (UN agencies, NGOs, governments), so authors are kept by
name (``official: true`` by default); set ``official: false`` to pseudonymise them
like people.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import pycountry
from pydantic import Field, field_validator

from collectors.config import FeedConfig, parse_duration
from collectors.fetch import FetchResult
from collectors.jsonapi import ApiFailure, ApiResponse, Harvest, fetch_json, wrong_shape
from collectors.normalise import content_sha256, html_to_text, item_id, language_code, plain_text
from collectors.posts import UnusablePost, http_url, id_field, parse_datetime, post_dead_letter, text_field
from collectors.protocol import PollContext, PollOutcome, register
from collectors.provenance import provenance_of, raw_sha256
from collectors.pseudonyms import author_pseudonym
from tocsin.schema import DeadLetter, Item, SourceRef

SOURCE_TYPE = "reliefweb"
DEFAULT_URL = "https://api.reliefweb.int/v2/reports"
APPNAME_HELP = "https://apidoc.reliefweb.int/parameters#appname"
NODE_URL = "https://reliefweb.int/node/{id}"
"""A report's permanent address on ReliefWeb, whichever API host served it: its guid."""
MAX_PAGE = 1000
FIELDS = ("id", "title", "body", "body-html", "url", "url_alias", "date.created", "date.original",
          "source.name", "source.shortname", "language.code", "primary_country.iso3",
          "primary_country.name", "theme.name", "format.name")
MAX_LIST = 50
"""Sources, themes, formats kept per report: a report lists a handful; a payload with
thousands is hostile."""

_APPNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


def country_iso3(code: str) -> str:
    """ISO 3166 alpha-2 or alpha-3 → ReliefWeb's lower-case alpha-3; ValueError for neither."""
    value = code.strip()
    country = None
    if re.fullmatch(r"[A-Za-z]{2}", value):
        country = pycountry.countries.get(alpha_2=value.upper())
    elif re.fullmatch(r"[A-Za-z]{3}", value):
        country = pycountry.countries.get(alpha_3=value.upper())
    if country is None:
        raise ValueError(f"must be ISO 3166 country codes like 'SD' or 'SDN', got {code!r}")
    return str(country.alpha_3).lower()


def country_alpha2(iso3: Any) -> str | None:
    if not isinstance(iso3, str) or not re.fullmatch(r"[A-Za-z]{3}", iso3):
        return None
    country = pycountry.countries.get(alpha_3=iso3.upper())
    return str(country.alpha_2) if country is not None else None


class ReliefWebConfig(FeedConfig):
    """``url`` is the reports endpoint (default ``https://api.reliefweb.int/v2/reports``)."""

    type: str = SOURCE_TYPE
    url: str = DEFAULT_URL
    appname: str
    countries: list[str] = Field(default_factory=list)
    """ISO 3166 codes (alpha-2 or alpha-3); reports about any of them."""
    country_field: Literal["primary_country", "country"] = "primary_country"
    themes: list[str] = Field(default_factory=list)
    """ReliefWeb theme names, e.g. ``Protection and Human Rights``; reports with any of them."""
    official: bool = True
    lookback: float = 86400.0
    overlap: float = 3600.0
    page_size: int = Field(default=100, ge=1, le=MAX_PAGE)
    max_requests: int = Field(default=5, ge=1, le=50)

    @field_validator("appname")
    @classmethod
    def _appname(cls, value: str) -> str:
        if not _APPNAME.match(value):
            raise ValueError("must be the appname ReliefWeb approved for this deployment (request one at "
                             f"{APPNAME_HELP}), e.g. 'acme-monitoring-tocsin-x7k2', got {value!r}")
        return value

    @field_validator("countries")
    @classmethod
    def _countries(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(country_iso3(value) for value in values))

    @field_validator("themes")
    @classmethod
    def _themes(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _NAME.match(value):
                raise ValueError(f"must be theme names, got {value!r}")
        return values

    @field_validator("lookback", "overlap", mode="before")
    @classmethod
    def _duration(cls, value: object) -> float:
        return 0.0 if value in (0, "0", "0s") else parse_duration(value)

    @field_validator("url")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if urlsplit(value).query or urlsplit(value).fragment:
            raise ValueError(f"must be the reports endpoint without query or fragment, got {value!r}")
        if re.search(r"/v[01]/", urlsplit(value).path + "/"):
            raise ValueError(f"ReliefWeb decommissioned API v0 and v1 (they answer 410); use {DEFAULT_URL}, "
                             f"got {value!r}")
        return value


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def query_body(config: ReliefWebConfig, *, since: datetime, until: datetime | None, offset: int) -> bytes:
    """The JSON query of one page: ``date.created`` in ``[since, until]`` (open-ended without
    ``until``), the configured countries and themes, newest first."""
    conditions: list[dict[str, Any]] = []
    if config.countries:
        conditions.append({"field": f"{config.country_field}.iso3", "value": config.countries,
                           "operator": "OR"})
    if config.themes:
        conditions.append({"field": "theme.name", "value": config.themes, "operator": "OR"})
    window = {"from": _iso(since)} | ({"to": _iso(until)} if until is not None else {})
    conditions.append({"field": "date.created", "value": window})
    query = {"offset": offset, "limit": config.page_size, "fields": {"include": list(FIELDS)},
             "filter": {"operator": "AND", "conditions": conditions},
             "sort": ["date.created:desc", "id:desc"]}
    return json.dumps(query, separators=(",", ":")).encode("utf-8")


def _names(values: Any, key: str) -> list[str]:
    names: list[str] = []
    if isinstance(values, list):
        for value in values[:MAX_LIST]:
            name = plain_text(text_field(value.get(key))) if isinstance(value, Mapping) else ""
            if name and name not in names:
                names.append(name)
    return names


def report_to_item(entry: Any, *, feed: ReliefWebConfig, context: PollContext, fetched: FetchResult) -> Item:
    """One ``data`` entry as an Item. Raises :class:`UnusablePost` without a usable id."""
    if not isinstance(entry, Mapping):
        raise UnusablePost(f"a report must be an object, got {type(entry).__name__}")
    fields = entry.get("fields")
    if not isinstance(fields, Mapping):
        raise UnusablePost("report has no 'fields' object")
    report_id = id_field(entry.get("id")) or id_field(fields.get("id"))
    if report_id is None or not report_id.isdigit():
        raise UnusablePost(f"report has no numeric id: {entry.get('id')!r:.80}")
    title = plain_text(text_field(fields.get("title")))
    html = text_field(fields.get("body-html"))
    text = html_to_text(html) if html else plain_text(text_field(fields.get("body")))
    dates = fields.get("date") if isinstance(fields.get("date"), Mapping) else {}
    assert isinstance(dates, Mapping)
    languages = [code for code in (language_code(c) for c in _names(fields.get("language"), "code"))
                 if code and code != "ot"]  # ReliefWeb's "ot": other
    primary = fields.get("primary_country")
    authors = [author_pseudonym(context.pseudonym_secret, SOURCE_TYPE, name, official=feed.official)
               for name in _names(fields.get("source"), "name")]
    return Item(
        id=item_id(guid=NODE_URL.format(id=report_id), link=None, title="", published=None, feed_name=""),
        source=SourceRef(type=SOURCE_TYPE, name=feed.name, url=feed.url),
        url=http_url(fields.get("url_alias")) or http_url(fields.get("url")) or NODE_URL.format(id=report_id),
        title=title,
        text=text,
        authors=authors,
        tags=_names(fields.get("theme"), "name") + _names(fields.get("format"), "name"),
        published=parse_datetime(dates.get("original")) or parse_datetime(dates.get("created")),
        collected=context.collected,
        lang_hint=languages[0] if languages else feed.language,
        country_hint=(country_alpha2(primary.get("iso3")) if isinstance(primary, Mapping) else None)
        or feed.country,
        raw_sha256=raw_sha256(entry),
        content_sha256=content_sha256(title, text),
        provenance=provenance_of(fetched, context.collected),
    )


def created_of(entry: Any) -> datetime | None:
    fields = entry.get("fields") if isinstance(entry, Mapping) else None
    dates = fields.get("date") if isinstance(fields, Mapping) else None
    return parse_datetime(dates.get("created")) if isinstance(dates, Mapping) else None


@dataclass(frozen=True)
class Page:
    items: list[Item]
    dead_letters: list[DeadLetter]
    listed: int
    total: int | None
    newest: datetime | None
    """The newest ``date.created`` on the page, usable entry or not."""


def read_reports(response: ApiResponse, *, feed: ReliefWebConfig, context: PollContext, page: int) -> Page:
    document = response.document
    data = document.get("data") if isinstance(document, Mapping) else None
    if not isinstance(data, list):
        raise wrong_shape(feed, response, "an object with a 'data' list")
    assert isinstance(document, Mapping)
    total = document.get("totalCount")
    items: list[Item] = []
    dead: list[DeadLetter] = []
    for index, entry in enumerate(data):
        try:
            items.append(report_to_item(entry, feed=feed, context=context, fetched=response.result))
        except Exception as exc:  # one odd report must not cost the page the others
            dead.append(post_dead_letter(feed, f"page {page}, report {index}", exc, entry))
    created = [when for when in (created_of(entry) for entry in data) if when is not None]
    counted = total if isinstance(total, int) and not isinstance(total, bool) else None
    return Page(items, dead, len(data), counted, max(created, default=None))


@dataclass(frozen=True)
class Window:
    """What the next poll reads: reports created in ``[since, until]`` from ``offset`` on.

    ``until`` None means "up to now" (a fresh window, fixed by its first page); a stored
    window with ``until`` is one a poll did not finish."""

    since: datetime
    until: datetime | None = None
    offset: int = 0

    def dump(self) -> str:
        data: dict[str, Any] = {"since": _iso(self.since)}
        if self.until is not None:
            data |= {"until": _iso(self.until), "offset": self.offset}
        return json.dumps(data, sort_keys=True)

    @classmethod
    def load(cls, cursor: str | None) -> Window | None:
        """The stored window; None for none, or one this version cannot read (starts afresh)."""
        try:
            data = json.loads(cursor) if cursor else None
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        since, until, offset = parse_datetime(data.get("since")), data.get("until"), data.get("offset", 0)
        if since is None or not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            return None
        if until is None:
            return cls(since)
        until_time = parse_datetime(until)
        return cls(since, until_time, offset) if until_time is not None else None


@register(SOURCE_TYPE, config_model=ReliefWebConfig)
class ReliefWebSource:
    def __init__(self, config: ReliefWebConfig) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.name

    def first_window(self, stored: Window | None, now: datetime) -> Window:
        if stored is None:
            return Window(now - timedelta(seconds=self.config.lookback))
        if stored.until is None:  # caught up last time: reach back for late reports
            return Window(stored.since - timedelta(seconds=self.config.overlap))
        return stored

    async def poll(self, context: PollContext) -> PollOutcome:
        config = self.config
        harvest = Harvest()
        stored = Window.load(context.cursor)
        window = self.first_window(stored, context.collected)
        url = f"{config.url}?{urlencode({'appname': config.appname})}"
        try:
            for _ in range(config.max_requests):
                body = query_body(config, since=window.since, until=window.until, offset=window.offset)
                response = await fetch_json(context.fetcher, config, url, json_body=body)
                page = await asyncio.to_thread(read_reports, response, feed=config, context=context,
                                               page=harvest.pages + 1)
                harvest.page(response)
                harvest.items.extend(page.items)
                harvest.dead_letters.extend(page.dead_letters)
                until = window.until or page.newest
                offset = window.offset + page.listed
                done = (page.listed < config.page_size or until is None
                        or (page.total is not None and offset >= page.total))
                if done:
                    # Never behind the stored position, even if the report that set it is gone.
                    known = [until, stored.since if stored is not None and stored.until is None else None]
                    newest = max((when for when in known if when is not None), default=None)
                    if newest is not None:
                        harvest.cursor = Window(newest).dump()
                    break
                window = Window(window.since, until, offset)
                harvest.cursor = window.dump()  # where the next poll goes on if this one stops here
        except ApiFailure as failure:
            harvest.stop(explained(failure, config))
        return harvest.outcome()


def explained(failure: ApiFailure, config: ReliefWebConfig) -> ApiFailure:
    """ReliefWeb's refusals that a person must act on, with what to do."""
    hints = {403: f"; the appname {config.appname!r} is not approved: request one at {APPNAME_HELP}",
             410: f"; this API version is decommissioned: set url to {DEFAULT_URL}"}
    hint = hints.get(failure.http_status or 0)
    if hint is None:
        return failure
    return ApiFailure(f"{failure}{hint}", http_status=failure.http_status,
                      retry_after_s=failure.retry_after_s, dead_letter=failure.dead_letter,
                      headers=failure.headers, detail=failure.detail)
