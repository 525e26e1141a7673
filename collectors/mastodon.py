"""The ``mastodon`` source: one public timeline of one Mastodon (or API-compatible) instance.

Timelines (``timeline:`` in the feeds file):

* ``tag``: ``GET /api/v1/timelines/tag/:hashtag``, posts with a hashtag that the instance knows of;
* ``local``: ``GET /api/v1/timelines/public?local=true``, posts by the instance's own accounts;
* ``public``: ``GET /api/v1/timelines/public``, the federated timeline;
* ``account``: ``GET /api/v1/accounts/:id/statuses``; the id is looked up once per
  process from ``account: user@host`` via ``GET /api/v1/accounts/lookup``, or given as
  ``account_id``.

Paging never leaves a gap: the first poll reads the newest page and remembers its
newest status id as the cursor; every later poll asks for the statuses just after
the cursor (``min_id``, which returns the page adjacent to it, unlike ``since_id``,
which returns the newest page and skips whatever lies between) and moves on page by
page until a page comes back short or the poll's request budget (``max_requests``)
is spent; the next poll continues from there. Status ids are compared as Mastodon
mints them, by length and then character by character.

Only ``public`` and ``unlisted`` statuses become items: a token can show an account's
followers-only or direct posts, and monitoring public speech must not collect them.

The access token is read from the environment variable named by ``token_env`` at
each poll and sent as ``Authorization: Bearer``; it never appears in the feeds file,
in items or in logs. Several instances or timelines are several sources. For the
streaming API (edits and deletions seen live) see :mod:`collectors.mastodon_stream`,
which reuses this module's polling for its backfill and :func:`status_to_item`.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

from pydantic import Field, field_validator, model_validator

from collectors.config import FeedConfig, api_base_url
from collectors.fetch import FetchResult
from collectors.jsonapi import ApiFailure, ApiResponse, Harvest, fetch_json, rate_limit_wait, wrong_shape
from collectors.normalise import content_sha256, html_to_text, item_id, language_code, plain_text
from collectors.posts import (
    UnusablePost,
    counts,
    http_url,
    id_field,
    parse_datetime,
    post_dead_letter,
    text_field,
    title_from_text,
)
from collectors.protocol import PollContext, PollOutcome, register
from collectors.provenance import provenance_of, raw_sha256
from collectors.pseudonyms import author_pseudonym
from tocsin.errors import ConfigError
from tocsin.schema import DeadLetter, Item, SourceRef

SOURCE_TYPE = "mastodon"
MAX_PAGE = 40
"""Mastodon's largest page of statuses."""
PUBLIC_VISIBILITY = frozenset({"public", "unlisted"})
MAX_TAGS = 50
ENGAGEMENT = {"replies_count": "replies", "reblogs_count": "reposts", "favourites_count": "likes"}

_HASHTAG = re.compile(r"^\w{1,100}$")
_ACCT = re.compile(r"^@?[A-Za-z0-9_.-]{1,64}(@[A-Za-z0-9.-]{1,253}(:\d{1,5})?)?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class MastodonConfig(FeedConfig):
    """``url`` is the instance's base URL, e.g. ``https://mastodon.social``."""

    type: str = SOURCE_TYPE
    timeline: Literal["tag", "local", "public", "account"]
    hashtag: str | None = None
    """Without the ``#``; for ``timeline: tag``."""
    account: str | None = None
    """``user@host`` (or ``user`` on this instance), for ``timeline: account``."""
    account_id: str | None = None
    """The instance's id of the account, instead of ``account`` (saves the lookup)."""
    token_env: str | None = None
    """The name of the environment variable that holds an access token, if any."""
    official: bool = False
    """Keep authors' handles (an agency's own account); otherwise authors are pseudonymised."""
    page_size: int = Field(default=MAX_PAGE, ge=1, le=MAX_PAGE)
    max_requests: int = Field(default=5, ge=1, le=100)
    """Requests per poll at most (the account lookup included); the rest waits for the next poll."""

    @field_validator("url")
    @classmethod
    def _base(cls, value: str) -> str:
        return api_base_url(value)

    @field_validator("hashtag")
    @classmethod
    def _hashtag(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().removeprefix("#")
        if not _HASHTAG.match(value):
            raise ValueError(f"must be a hashtag of letters, digits and '_', got {value!r}")
        return value

    @field_validator("account")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _ACCT.match(value.strip()):
            raise ValueError(f"must be an account address like 'user@example.org', got {value!r}")
        return value.strip().removeprefix("@")

    @field_validator("account_id")
    @classmethod
    def _account_id(cls, value: str | None) -> str | None:
        if value is not None and id_field(value) is None:
            raise ValueError(f"must be an account id without spaces, got {value!r}")
        return value

    @field_validator("token_env")
    @classmethod
    def _token_env(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError(f"must name an environment variable (the token itself belongs there), "
                             f"got {value[:8]!r}…")
        return value

    @model_validator(mode="after")
    def _timeline_needs(self) -> MastodonConfig:
        if self.timeline == "tag" and not self.hashtag:
            raise ValueError("timeline 'tag' needs 'hashtag'")
        if self.timeline == "account" and not (self.account or self.account_id):
            raise ValueError("timeline 'account' needs 'account' (user@host) or 'account_id'")
        if self.hashtag and self.timeline != "tag":
            raise ValueError(f"'hashtag' is only for timeline 'tag', not {self.timeline!r}")
        if (self.account or self.account_id) and self.timeline != "account":
            raise ValueError(f"'account'/'account_id' are only for timeline 'account', not {self.timeline!r}")
        return self


def instance_key(base_url: str) -> str:
    """The instance in ids and author handles: its host (and port, if not the default), lower-cased."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port and parts.port not in (80, 443) else host


def status_item_id(instance: str, status_id: str) -> str:
    """The item id of a status of ``instance``: replies and reblogs point at it by this id."""
    return item_id(guid=f"mastodon:{instance}:{status_id}", link=None, title="", published=None,
                   feed_name="")


def id_order(status_id: str) -> tuple[int, str]:
    """Mastodon's ids are decimal strings (other servers': fixed-length strings): by length, then text."""
    return (len(status_id), status_id)


def full_acct(account: Any, instance: str) -> str | None:
    """``user@host`` of the status's account, lower-cased (Mastodon ignores case in both)."""
    if not isinstance(account, Mapping):
        return None
    acct = text_field(account.get("acct")).strip().lower()
    if not acct or len(acct) > 320 or any(c.isspace() for c in acct):
        return None
    return acct if "@" in acct else f"{acct}@{instance.split(':')[0]}"


def _related_id(value: Any, instance: str) -> str | None:
    related = id_field(value)
    return status_item_id(instance, related) if related else None


def _quoted_id(status: Mapping[str, Any]) -> Any:
    quote_ = status.get("quote")  # Mastodon 4.4: {"state": ..., "quoted_status": {...}}
    if isinstance(quote_, Mapping):
        quoted = quote_.get("quoted_status")
        if isinstance(quoted, Mapping):
            return quoted.get("id")
    return status.get("quote_id")  # Pleroma, Akkoma and forks


def status_to_item(status: Any, *, feed: MastodonConfig, instance: str, context: PollContext,
                   fetched: FetchResult) -> Item | None:
    """One status as an Item; None for one that is not public. Raises :class:`UnusablePost`."""
    if not isinstance(status, Mapping):
        raise UnusablePost(f"a status must be an object, got {type(status).__name__}")
    status_id = id_field(status.get("id"))
    if status_id is None:
        raise UnusablePost(f"status has no usable id: {status.get('id')!r:.80}")
    visibility = status.get("visibility")
    if visibility is not None and (not isinstance(visibility, str) or visibility not in PUBLIC_VISIBILITY):
        return None
    reblogged = status.get("reblog")
    shown: Mapping[str, Any] = reblogged if isinstance(reblogged, Mapping) else status
    spoiler = plain_text(text_field(shown.get("spoiler_text")))
    body = html_to_text(text_field(shown.get("content")))
    text = "\n".join(part for part in (spoiler, body) if part)
    title = title_from_text(text)
    acct = full_acct(status.get("account"), instance)
    authors = ([author_pseudonym(context.pseudonym_secret, SOURCE_TYPE, acct, official=feed.official)]
               if acct else [])
    tags = []
    if isinstance(shown.get("tags"), list):
        for tag in shown["tags"][:MAX_TAGS]:
            name = text_field(tag.get("name")) if isinstance(tag, Mapping) else ""
            if _HASHTAG.match(name) and name not in tags:
                tags.append(name)
    relations = {name: value for name, value in (
        ("reply_to", _related_id(status.get("in_reply_to_id"), instance)),
        ("repost_of", _related_id(reblogged.get("id"), instance) if isinstance(reblogged, Mapping) else None),
        ("quote_of", _related_id(_quoted_id(shown), instance)),
    ) if value}
    return Item(
        id=status_item_id(instance, status_id),
        source=SourceRef(type=SOURCE_TYPE, name=feed.name, url=feed.url),
        url=http_url(shown.get("url")) or http_url(shown.get("uri")),
        title=title,
        text=text,
        authors=authors,
        tags=tags,
        published=parse_datetime(status.get("created_at")),
        collected=context.collected,
        lang_hint=language_code(shown.get("language")) or feed.language,
        country_hint=feed.country,
        raw_sha256=raw_sha256(status),
        content_sha256=content_sha256(title, text),
        provenance=provenance_of(fetched, context.collected),
        engagement=counts(shown, ENGAGEMENT),
        relations=relations,
    )


def read_page(response: ApiResponse, *, feed: MastodonConfig, instance: str, context: PollContext,
              page: int) -> tuple[list[Item], list[DeadLetter], str | None]:
    """A page of statuses: its items, dead letters for unusable statuses, and its newest id
    (over every status with a usable id, kept or not, so the cursor passes them all)."""
    statuses = response.document
    if not isinstance(statuses, list):
        raise wrong_shape(feed, response, "a list of statuses")
    items: list[Item] = []
    dead: list[DeadLetter] = []
    newest: str | None = None
    for index, status in enumerate(statuses):
        status_id = id_field(status.get("id")) if isinstance(status, Mapping) else None
        if status_id is not None and (newest is None or id_order(status_id) > id_order(newest)):
            newest = status_id
        try:
            item = status_to_item(status, feed=feed, instance=instance, context=context,
                                  fetched=response.result)
        except Exception as exc:  # one odd status must not cost the page its other statuses
            dead.append(post_dead_letter(feed, f"page {page}, status {index}", exc, status))
            continue
        if item is not None:
            items.append(item)
    return items, dead, newest


class MissingToken(ConfigError, LookupError):
    """``token_env`` names an environment variable that is not set."""


@register(SOURCE_TYPE, config_model=MastodonConfig)
class MastodonSource:
    def __init__(self, config: MastodonConfig) -> None:
        self.config = config
        self.instance = instance_key(config.url)
        self._account_id: str | None = config.account_id

    @property
    def name(self) -> str:
        return self.config.name

    def _headers(self) -> dict[str, str]:
        name = self.config.token_env
        if name is None:
            return {}
        token = os.environ.get(name, "").strip()
        if not token:
            raise MissingToken(f"mastodon source {self.name!r}: environment variable {name} "
                               "(token_env) is not set or empty")
        return {"Authorization": f"Bearer {token}"}

    def _timeline_url(self, account_id: str | None, min_id: str | None) -> str:
        config = self.config
        params: dict[str, str] = {"limit": str(config.page_size)}
        if config.timeline == "tag":
            path = f"/api/v1/timelines/tag/{quote(config.hashtag or '', safe='')}"
        elif config.timeline == "account":
            path = f"/api/v1/accounts/{quote(account_id or '', safe='')}/statuses"
        else:
            path = "/api/v1/timelines/public"
            if config.timeline == "local":
                params["local"] = "true"
        if min_id is not None:
            params["min_id"] = min_id
        return f"{config.url}{path}?{urlencode(params)}"

    async def poll(self, context: PollContext) -> PollOutcome:
        try:
            headers = self._headers()
        except MissingToken as exc:
            return PollOutcome("failed", error=str(exc))
        harvest = Harvest()
        budget = self.config.max_requests
        try:
            if self.config.timeline == "account" and self._account_id is None:
                budget -= 1
                self._account_id = await self._lookup(context, headers, harvest)
            cursor = context.cursor
            while budget > 0:
                budget -= 1
                response = await fetch_json(context.fetcher, self.config,
                                            self._timeline_url(self._account_id, cursor), headers=headers)
                items, dead, newest = await asyncio.to_thread(
                    read_page, response, feed=self.config, instance=self.instance, context=context,
                    page=harvest.pages + 1)
                harvest.page(response)
                harvest.items.extend(items)
                harvest.dead_letters.extend(dead)
                if newest is not None:
                    cursor = harvest.cursor = newest
                wait = rate_limit_wait(response.result.headers, context.collected)
                if wait is not None:
                    harvest.wait_at_least(wait)
                    break
                # The first poll takes only the newest page; a short page means we caught up.
                if context.cursor is None or newest is None or len(response.document) < self.config.page_size:
                    break
        except ApiFailure as failure:
            harvest.stop(self._explained(failure))
        return harvest.outcome()

    async def _lookup(self, context: PollContext, headers: Mapping[str, str], harvest: Harvest) -> str:
        acct = self.config.account or ""
        url = f"{self.config.url}/api/v1/accounts/lookup?{urlencode({'acct': acct})}"
        response = await fetch_json(context.fetcher, self.config, url, headers=headers)
        document = response.document
        found = id_field(document.get("id")) if isinstance(document, Mapping) else None
        if found is None:
            raise wrong_shape(self.config, response, f"an account object with an 'id' for {acct!r}")
        return found

    def _explained(self, failure: ApiFailure) -> ApiFailure:
        if failure.http_status in (401, 403) and self.config.timeline in ("local", "public"):
            hint = ("; this instance may require an access token for public timelines (set token_env)"
                    if self.config.token_env is None else "; the access token was refused")
            return ApiFailure(f"{failure}{hint}", http_status=failure.http_status,
                              retry_after_s=failure.retry_after_s, dead_letter=failure.dead_letter)
        return failure
