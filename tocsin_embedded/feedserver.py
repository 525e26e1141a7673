"""A local HTTP server for recorded feed files: the web, as the demo and the tests see it.

It serves one directory on a free loopback port and re-reads each file on every
request, so a test can add entries between two polls. Responses carry a strong ETag
(hash of the bytes served) and Last-Modified, and honour ``If-None-Match`` and
``If-Modified-Since`` with 304, as a well-behaved feed host does; a collector's
conditional GET is exercised for real. Last-Modified is the file's mtime (or, when
entries are shifted or released, the newest served entry's date if that is later),
and new bytes never get a Last-Modified already sent for other bytes.

Two options exist for the recorded demo corpus, whose dates are "reference + offset"
(see ``demo/corpus/timeline.json``):

- ``reference``: shift every RSS/Atom date by ``reference - stored reference`` so the
  items look current (the stored reference is read from ``timeline.json``).
- ``release``: serve only entries whose (shifted) dates are all at or before
  ``clock()``, so a demo can replay time by handing in a fast clock.

Files that are not RSS 2.0 or Atom, or not well-formed, are served unchanged in every
mode: a test of a broken feed gets exactly the bytes it wrote.

Typical use::

    with FeedServer.start(corpus_dir(), reference=datetime.now(UTC)) as feeds:
        yaml_text = demo_feeds_yaml(feeds.url)
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree

from tocsin.errors import ConfigError

log = logging.getLogger(__name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
TIMELINE_FILE = "timeline.json"

Clock = Callable[[], datetime]


class FeedServerError(ConfigError):
    """The server cannot run as asked (bad directory, missing timeline, naive clock)."""


# --- dates -----------------------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parse_rfc822(text: str) -> datetime | None:
    try:
        return _aware(parsedate_to_datetime(text.strip()))
    except (TypeError, ValueError, IndexError):
        return None


def _format_rfc822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _parse_rfc3339(text: str) -> datetime | None:
    try:
        return _aware(datetime.fromisoformat(text.strip()))
    except ValueError:
        return None


def _format_rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class _DateField:
    tag: str
    parse: Callable[[str], datetime | None]
    format: Callable[[datetime], str]


_Fields = tuple[_DateField, ...]
_RSS_ENTRY: _Fields = (_DateField("pubDate", _parse_rfc822, _format_rfc822),
              _DateField(f"{{{DC_NS}}}date", _parse_rfc3339, _format_rfc3339))
_RSS_FEED: _Fields = (_DateField("lastBuildDate", _parse_rfc822, _format_rfc822),
             _DateField("pubDate", _parse_rfc822, _format_rfc822))
_ATOM_ENTRY: _Fields = (_DateField(f"{{{ATOM_NS}}}published", _parse_rfc3339, _format_rfc3339),
               _DateField(f"{{{ATOM_NS}}}updated", _parse_rfc3339, _format_rfc3339))
_ATOM_FEED: _Fields = (_DateField(f"{{{ATOM_NS}}}updated", _parse_rfc3339, _format_rfc3339),)


# --- retiming (pure) -------------------------------------------------------------------


@dataclass(frozen=True)
class Retimed:
    body: bytes
    newest: datetime | None  # newest entry date left in the document
    withheld: int  # entries not released yet


def _shift_dates(node: etree._Element, fields: tuple[_DateField, ...], shift: timedelta,
                 cap: datetime | None = None) -> list[datetime]:
    """Shift the date children of ``node`` in place; return the shifted dates."""
    found = []
    for spec in fields:
        for child in node.findall(spec.tag):
            moment = spec.parse(child.text or "")
            if moment is None:
                continue  # unparseable dates are left as they are
            moment += shift
            if cap is not None and moment > cap:
                moment = cap
            child.text = spec.format(moment)
            found.append(moment)
    return found


def retime(
    document: bytes, *, shift: timedelta = timedelta(0), until: datetime | None = None
) -> Retimed | None:
    """Shift the dates of an RSS 2.0 or Atom document and withhold entries dated after ``until``.

    An entry is released when every date it carries (after the shift) is at or before
    ``until``; an entry without a parseable date is always released. Feed-level dates
    (``lastBuildDate``, Atom ``updated``) are shifted and capped at ``until``. Returns
    None for anything that is not a well-formed RSS 2.0 or Atom document.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(document, parser)
    except etree.XMLSyntaxError:
        return None
    if root.tag == "rss" and (channel := root.find("channel")) is not None:
        container, entries = channel, channel.findall("item")
        entry_fields, feed_fields = _RSS_ENTRY, _RSS_FEED
    elif root.tag == f"{{{ATOM_NS}}}feed":
        container, entries = root, root.findall(f"{{{ATOM_NS}}}entry")
        entry_fields, feed_fields = _ATOM_ENTRY, _ATOM_FEED
    else:
        return None

    if until is not None:
        until = _aware(until)
    newest: datetime | None = None
    withheld = 0
    for entry in entries:
        dates = _shift_dates(entry, entry_fields, shift)
        if until is not None and dates and max(dates) > until:
            container.remove(entry)
            withheld += 1
        elif dates:
            newest = max(dates) if newest is None else max(newest, max(dates))
    _shift_dates(container, feed_fields, shift, cap=until)
    body = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
    return Retimed(body, newest, withheld)


def load_stored_reference(directory: Path) -> datetime:
    """The nominal instant the stored dates are relative to, from ``timeline.json``."""
    path = directory / TIMELINE_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))["reference"]
        return _aware(datetime.fromisoformat(raw))
    except FileNotFoundError:
        raise FeedServerError(
            f"time-shifted mode needs {path} with a 'reference' instant, or pass stored_reference="
        ) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise FeedServerError(f"{path}: no valid 'reference' instant ({exc!r})") from None


def replay_clock(start: datetime, speed: float, *, now: Clock | None = None) -> Clock:
    """A clock that reads ``start`` when created and runs ``speed`` times faster than ``now``.

    Hand it to ``FeedServer.start(release=True, clock=...)`` to replay a corpus: e.g.
    ``replay_clock(reference - timedelta(hours=7), speed=60)`` walks through the last
    seven hours, surges included, in seven minutes.
    """
    real = now or (lambda: datetime.now(UTC))
    origin = real()
    return lambda: _aware(start) + (real() - origin) * speed


# --- serving ---------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class _Representation:
    body: bytes
    content_type: str
    etag: str
    last_modified: int  # POSIX seconds


class _Site:
    """What the handler threads share: the directory, the time options, Last-Modified memory."""

    def __init__(self, root: Path, shift: timedelta | None, release: bool, clock: Clock) -> None:
        self.root = root
        self.shift = shift
        self.release = release
        self.clock = clock
        self._lock = threading.Lock()
        self._served: dict[Path, tuple[str, int]] = {}

    def locate(self, url_path: str) -> Path:
        path = unquote(urlsplit(url_path).path)
        parts = [p for p in path.split("/") if p]
        if "\x00" in path or "\\" in path or any(p in (".", "..") for p in parts):
            raise _Refused(HTTPStatus.FORBIDDEN, "path traversal refused")
        if not parts or any(p.startswith(".") for p in parts):
            raise _Refused(HTTPStatus.NOT_FOUND, "not found")
        target = self.root.joinpath(*parts).resolve()
        if not target.is_relative_to(self.root):  # a symlink pointing outside
            raise _Refused(HTTPStatus.FORBIDDEN, "path traversal refused")
        if not target.is_file():  # directories too: no listings
            raise _Refused(HTTPStatus.NOT_FOUND, "not found")
        return target

    def represent(self, path: Path) -> _Representation:
        mtime = os.stat(path).st_mtime
        body = path.read_bytes()
        candidate = int(mtime)
        if self.shift is not None or self.release:
            until = _checked(self.clock()) if self.release else None
            retimed = retime(body, shift=self.shift or timedelta(0), until=until)
            if retimed is not None:
                body = retimed.body
                if retimed.newest is not None:
                    # Released entries change the bytes without touching the file.
                    candidate = max(candidate, int(min(retimed.newest, datetime.now(UTC)).timestamp()))
        etag = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
        last_modified = self._last_modified(path, etag, candidate)
        return _Representation(body, _content_type(path, body), etag, last_modified)

    def _last_modified(self, path: Path, etag: str, candidate: int) -> int:
        """File mtime (or newest released entry), never repeated for different bytes.

        HTTP dates have one-second resolution: two edits within a second, or an entry
        released without the file changing, would otherwise keep Last-Modified and get
        an If-Modified-Since client a wrong 304. So new bytes always get a later date.
        """
        with self._lock:
            previous = self._served.get(path)
            if previous is not None:
                old_etag, old_lm = previous
                candidate = max(candidate, old_lm if etag == old_etag else old_lm + 1)
            self._served[path] = (etag, candidate)
            return candidate


def _checked(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise FeedServerError("the release clock must return timezone-aware datetimes")
    return moment


def _content_type(path: Path, body: bytes) -> str:
    head = body[:1024]
    if path.suffix == ".xml" and b"<rss" in head:
        return "application/rss+xml"
    if path.suffix == ".xml" and b"<feed" in head:
        return "application/atom+xml"
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: ``W/"x"`` matches ``"x"``."""
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def _not_modified_since(header: str, last_modified: int) -> bool:
    since = _parse_rfc822(header)
    return since is not None and last_modified <= since.timestamp()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def do_GET(self) -> None:
        self._respond(with_body=True)

    def do_HEAD(self) -> None:
        self._respond(with_body=False)

    def _respond(self, *, with_body: bool) -> None:
        site = self.server.site
        try:
            rep = site.represent(site.locate(self.path))
        except _Refused as refused:
            self._plain(refused.status, str(refused), with_body)
            return
        except OSError:  # vanished or unreadable between locate and read
            self._plain(HTTPStatus.NOT_FOUND, "not found", with_body)
            return
        except Exception as exc:  # a bad clock, say: answer 500 and say why, do not hang up
            log.exception("feedserver could not serve %s", self.path)
            self._plain(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(exc).__name__}: {exc}", with_body)
            return
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if (_etag_matches(inm, rep.etag) if inm is not None
                else ims is not None and _not_modified_since(ims, rep.last_modified)):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._validators(rep)
            self.end_headers()
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", rep.content_type)
        self.send_header("Content-Length", str(len(rep.body)))
        self._validators(rep)
        self.end_headers()
        if with_body:
            self.wfile.write(rep.body)

    def _validators(self, rep: _Representation) -> None:
        self.send_header("ETag", rep.etag)
        self.send_header("Last-Modified", format_datetime(datetime.fromtimestamp(rep.last_modified, UTC),
                                                          usegmt=True))
        self.send_header("Cache-Control", "no-cache")

    def _plain(self, status: HTTPStatus, text: str, with_body: bool) -> None:
        body = f"{int(status)} {text}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("feedserver %s: " + format, self.address_string(), *args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: _Site) -> None:
        self.site = site
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client hanging up mid-connection is routine for a feed host: no traceback on stderr.
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("feedserver: %s hung up", client_address)
        else:
            log.exception("feedserver: error on the connection from %s", client_address)


class FeedServer:
    """A running feed server; ``url`` is its base, e.g. ``http://127.0.0.1:54321``.

    Start it with :meth:`start`; close it with :meth:`close` or a ``with`` block.
    """

    def __init__(self, httpd: _HTTPServer, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread
        host, port = httpd.server_address[:2]
        self.host: str = str(host)
        self.port: int = int(port)
        self.url = f"http://{self.host}:{self.port}"
        self.directory = httpd.site.root

    @classmethod
    def start(
        cls,
        directory: str | os.PathLike[str],
        *,
        reference: datetime | None = None,
        release: bool = False,
        clock: Clock | None = None,
        stored_reference: datetime | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> FeedServer:
        """Serve ``directory`` on ``host``; port 0 (the default) binds a free port.

        ``reference``: turn on time shifting; stored dates move by ``reference -
        stored_reference`` (default: the ``reference`` in ``directory/timeline.json``),
        with ``reference`` cut to whole seconds.
        ``release``: withhold entries dated after ``clock()`` (default clock: now, UTC),
        judged on the shifted dates. ``clock`` must return timezone-aware datetimes.
        """
        root = Path(directory).resolve()
        if not root.is_dir():
            raise FeedServerError(f"feed directory {root} does not exist or is not a directory")
        shift = None
        if reference is not None:
            base = _aware(stored_reference) if stored_reference is not None else load_stored_reference(root)
            shift = _aware(reference).replace(microsecond=0) - base  # whole seconds: tidy dates
        clock = clock or (lambda: datetime.now(UTC))
        if release:
            _checked(clock())  # fail here, not in a request thread
        site = _Site(root, shift, release, clock)
        httpd = _HTTPServer((host, port), site)
        # A short poll interval makes close() quick (shutdown waits for one poll).
        thread = threading.Thread(target=httpd.serve_forever, args=(0.05,),
                                  name=f"feedserver-{httpd.server_address[1]}", daemon=True)
        thread.start()
        return cls(httpd, thread)

    def feed_url(self, name: str) -> str:
        """The URL of file ``name`` in the served directory."""
        return f"{self.url}/{name.lstrip('/')}"

    def close(self) -> None:
        """Stop serving and free the port; safe to call twice."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def __enter__(self) -> FeedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
