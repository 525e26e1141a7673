"""Feed entries to :class:`tocsin.schema.Item`: pure functions, safe on hostile input.

Everything here takes what a remote server sent us, so nothing here may raise on
odd input: bad markup, lone surrogates, control characters, impossible dates.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from collectors.config import FeedConfig
from tocsin.errors import InputError
from tocsin.schema import DeadLetter, Item, SourceRef

ID_PREFIX = "i-"
ID_HEX_CHARS = 32
"""128 bits of SHA-256: collisions are out of reach for any realistic archive."""

TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid",
                             "igshid", "yclid"})
"""Query parameters that identify a click, not a document (plus every ``utm_*``)."""

DEFAULT_PORTS = {"http": 80, "https": 443}

# Elements whose boundaries separate text: they become line breaks.
_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead",
    "tfoot", "tr", "ul",
})
# Elements whose boundaries separate words only.
_CELL = frozenset({"td", "th", "img"})
# Elements whose content is never reader text.
_SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg", "math", "object"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                   "track", "wbr"})

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"[^\S\n]+|\u200b")
_BREAK = "\n"
_URI_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S")
_OPEN_TAG = re.compile(r"<[A-Za-z/!?]")
_LANG = re.compile(r"^([A-Za-z]{2,3})(?:[-_].*)?$")


# --- text -----------------------------------------------------------------------------


def scrub(value: str) -> str:
    """Replace lone surrogates with U+FFFD and drop control characters (tab and line
    breaks become spaces later), so the text always encodes as UTF-8 JSON."""
    value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return _CONTROL.sub(" ", value.replace("\r", "\n").replace("\t", " "))


def collapse(value: str) -> str:
    """Collapse runs of whitespace: one space within a line, no blank lines, no edges."""
    lines = (_SPACE.sub(" ", line).strip() for line in value.split("\n"))
    return "\n".join(line for line in lines if line)


def plain_text(value: str) -> str:
    """Text that is already plain: only scrubbed and collapsed."""
    return collapse(scrub(value))


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            if tag not in _VOID:
                self.skip_depth += 1
        elif tag in _BLOCK:
            self.parts.append(_BREAK)
        elif tag in _CELL:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append(_BREAK)
        elif tag in _CELL:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self.parts.append(_BREAK)
        elif tag in _CELL:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            # Source line breaks are just spaces in HTML; only elements break lines.
            self.parts.append(data.replace("\n", " "))


def html_to_text(markup: str) -> str:
    """Plain reader text from an HTML fragment or document.

    Block elements become line breaks, entities are decoded, scripts and styles are
    dropped, whitespace is collapsed. Broken markup degrades to a cruder tag strip;
    this function never raises.
    """
    markup = scrub(markup)
    if "<" not in markup and "&" not in markup:
        return collapse(markup)
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        if _OPEN_TAG.match(parser.rawdata):
            parser.rawdata = ""  # a tag cut off by the end of input is markup, not text
        parser.close()
        text = "".join(parser.parts)
    except Exception:  # the stdlib parser is lenient, but hostile input has surprised it before
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup).replace("\n", " "))
    return collapse(scrub(text))


# --- URLs and ids ---------------------------------------------------------------------


def _is_tracking(pair: str) -> bool:
    name = unquote_plus(pair.partition("=")[0]).lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS


def _canonical_once(url: str) -> str:
    url = scrub(url).strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if not parts.netloc or host is None:
        return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc += f":{port}"
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    query = "&".join(sorted(p for p in parts.query.split("&") if p and not _is_tracking(p)))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def canonical_url(url: str) -> str:
    """The form of ``url`` under which the same document is recognised again.

    Lowercases scheme and host, drops the fragment, default ports and click-tracking
    parameters (``utm_*``, ``fbclid``, ``gclid``...), sorts the remaining query
    parameters (kept byte-for-byte, so their encoding is not reinterpreted) and gives
    an empty path as ``/``. Never raises. A string that does not survive the round
    trip through ``urlsplit`` (not a URL, or an odd one) comes back stripped but
    otherwise unchanged, so the result is always a fixed point.
    """
    candidate = _canonical_once(url)
    if _canonical_once(candidate) == candidate:
        return candidate
    return scrub(url).strip()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def item_id(*, guid: str | None, link: str | None, title: str, published: datetime | None,
            feed_name: str) -> str:
    """A stable id: from the guid if there is one, else the canonical URL, else title,
    publication time and feed name.

    A guid that is a URI (``http:``, ``tag:``, ``urn:``) is globally unique by design and
    is hashed alone, so the same story from two feeds shares an id. A bare guid such as
    ``"1234"`` is only unique within its feed, so the feed name is hashed with it.
    """
    guid = (guid or "").strip()
    link = (link or "").strip()
    if guid:
        key = f"guid\x1f{guid}" if _URI_LIKE.match(guid) else f"guid\x1f{feed_name}\x1f{guid}"
    elif link:
        key = f"url\x1f{canonical_url(link)}"
    else:
        when = published.isoformat() if published else ""
        key = f"tfp\x1f{title}\x1f{when}\x1f{feed_name}"
    return ID_PREFIX + _digest(key)[:ID_HEX_CHARS]


def content_sha256(title: str, text: str) -> str:
    """Equal for exact duplicates: hash of normalised title, a line break, normalised text."""
    return _digest(f"{title}\n{text}")


def raw_entry_bytes(entry: Mapping[str, Any]) -> bytes:
    """The entry as feedparser parsed it, serialised as canonical JSON (sorted keys,
    ASCII-escaped, compact). Its hash, ``raw_sha256``, changes whenever any field of
    the entry in the feed changes, which is what provenance needs; feedparser does not
    keep the entry's original XML bytes."""
    try:
        text = json.dumps(entry, sort_keys=True, ensure_ascii=True, default=str, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(entry)
    return text.encode("utf-8", "surrogatepass")


# --- fields ---------------------------------------------------------------------------


def to_utc(value: Any) -> datetime | None:
    """A timezone-aware UTC datetime from feedparser's ``*_parsed`` (UTC struct_time)."""
    if not isinstance(value, time.struct_time | tuple) or len(value) < 6:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in value[:6])
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)  # leap second
    except (TypeError, ValueError, OverflowError):
        return None


def language_code(value: Any) -> str | None:
    """``'en-US'`` → ``'en'``; anything that is not a language tag → None."""
    if not isinstance(value, str):
        return None
    match = _LANG.match(value.strip())
    return match.group(1).lower() if match else None


def _text_of(detail: Any, fallback: Any = "") -> str:
    """Reader text of a feedparser text construct (a dict with ``type`` and ``value``)."""
    if isinstance(detail, Mapping):
        value = detail.get("value")
        if isinstance(value, str):
            return plain_text(value) if detail.get("type") == "text/plain" else html_to_text(value)
    return html_to_text(fallback) if isinstance(fallback, str) else ""


def _body(entry: Mapping[str, Any]) -> tuple[str, str | None]:
    """The fullest text of the entry (content, else summary) and its declared language."""
    best: tuple[str, str | None] = ("", None)
    contents = entry.get("content")
    if isinstance(contents, list):
        for content in contents:
            text = _text_of(content)
            if len(text) > len(best[0]):
                language = content.get("language") if isinstance(content, Mapping) else None
                best = (text, language_code(language))
    if best[0]:
        return best
    detail = entry.get("summary_detail")
    language = language_code(detail.get("language")) if isinstance(detail, Mapping) else None
    return _text_of(detail, entry.get("summary", "")), language


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def _authors(entry: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    authors = entry.get("authors")
    if isinstance(authors, list):
        for author in authors:
            if isinstance(author, Mapping):
                name = author.get("name") or author.get("email")
                if isinstance(name, str):
                    names.append(plain_text(name))
    if not names and isinstance(entry.get("author"), str):
        names.append(plain_text(entry["author"]))
    return _unique(names)


def _tags(entry: Mapping[str, Any]) -> list[str]:
    terms: list[str] = []
    tags = entry.get("tags")
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, Mapping):
                term = tag.get("term") or tag.get("label")
                if isinstance(term, str):
                    terms.append(plain_text(term))
    return _unique(terms)


def _http_link(value: Any) -> str | None:
    """The entry link if it is an http(s) URL; ``javascript:`` and friends never reach a reader."""
    if not isinstance(value, str):
        return None
    link = scrub(value).strip()
    return link if urlsplit(link).scheme.lower() in ("http", "https") else None


class UnusableEntry(InputError, ValueError):
    """An entry with neither guid, link, title nor text: nothing to identify or read."""


def normalise_entry(entry: Mapping[str, Any], *, feed: FeedConfig, collected: datetime,
                    feed_language: str | None = None) -> Item:
    """One feedparser entry as an Item. Raises :class:`UnusableEntry` for an empty entry."""
    title = _text_of(entry.get("title_detail"), entry.get("title", ""))
    text, body_language = _body(entry)
    guid = entry.get("id") if isinstance(entry.get("id"), str) else None
    try:
        link = _http_link(entry.get("link"))
    except ValueError:
        link = None
    if not (guid or "").strip() and not link and not title and not text:
        raise UnusableEntry("entry has no guid, link, title or text")
    published = to_utc(entry.get("published_parsed")) or to_utc(entry.get("updated_parsed"))
    title_detail = entry.get("title_detail")
    title_language = title_detail.get("language") if isinstance(title_detail, Mapping) else None
    content_hash = content_sha256(title, text)
    return Item(
        id=item_id(guid=scrub(guid) if guid else None, link=link, title=title or content_hash,
                   published=published, feed_name=feed.name),
        source=SourceRef(type=feed.type, name=feed.name, url=feed.url),
        url=link,
        title=title,
        text=text,
        authors=_authors(entry),
        tags=_tags(entry),
        published=published,
        collected=collected,
        lang_hint=(body_language or language_code(title_language) or language_code(feed_language)
                   or feed.language),
        country_hint=feed.country,
        raw_sha256=hashlib.sha256(raw_entry_bytes(entry)).hexdigest(),
        content_sha256=content_hash,
    )


EntryAdapter = Callable[[Item, Mapping[str, Any]], Item]
"""A plug-in's finishing touch on one normalised entry (pseudonymised authors, view
counts from ``media:statistics``...), given the feedparser entry it came from."""


def normalise_entries(entries: Iterable[Mapping[str, Any]], *, feed: FeedConfig, collected: datetime,
                      feed_language: str | None = None,
                      adapt: EntryAdapter | None = None) -> tuple[list[Item], list[DeadLetter]]:
    """Every usable entry as an Item (passed through ``adapt``, if given); each entry that
    cannot be used, or that ``adapt`` fails on, as a dead letter."""
    items: list[Item] = []
    dead: list[DeadLetter] = []
    for index, entry in enumerate(entries):
        try:
            item = normalise_entry(entry, feed=feed, collected=collected, feed_language=feed_language)
            items.append(adapt(item, entry) if adapt is not None else item)
        except Exception as exc:  # one odd entry must not cost the feed its other entries
            reason = "unusable_entry" if isinstance(exc, UnusableEntry) else "entry_not_normalisable"
            dead.append(DeadLetter.of(
                stage="collector", reason=reason, key=feed.name,
                error=f"feed {feed.name!r} ({feed.url}), entry {index}: {type(exc).__name__}: {exc}",
                payload=raw_entry_bytes(entry) if isinstance(entry, Mapping) else repr(entry).encode(),
            ))
    return items, dead
