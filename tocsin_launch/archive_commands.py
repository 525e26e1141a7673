"""``tocsin search``, ``tocsin alerts``, ``tocsin export``, ``tocsin evidence``: the archive from a shell.

They talk to the search server directly (``settings.search``), with the same
query builders as the HTTP API (``tocsin.queries``). Everything scraped is passed
through ``tocsin.terminal.printable`` before it reaches a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import hashlib
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tocsin.errors import PeerError, SettingsError
from tocsin.exporting import (
    DEFAULT_PAGE_SIZE,
    FORMATS,
    AtomicFile,
    CsvWriter,
    NdjsonWriter,
    RecordWriter,
    export,
)
from tocsin.queries import (
    ALERT_SORT,
    ALERT_STATUSES,
    ITEM_SORTS,
    AlertFilters,
    ItemFilters,
    ItemSort,
    Near,
    QueryError,
    alert_query,
    item_query,
    item_sort,
    parse_time,
)
from tocsin.schema import SEVERITIES
from tocsin.settings import SearchSettings, load_settings
from tocsin.terminal import printable

if TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

    from tocsin.evidence import BundleReport
    from tocsin.evidence.signing import SigningKey

T = TypeVar("T")
MAX_SIZE = 1000
PIPED_WIDTH = 100_000


class ArchiveError(PeerError, RuntimeError):
    """The search server could not answer; the message says what to check."""


# ----------------------------------------------------------------- arguments


def _time(value: str) -> Any:
    try:
        return parse_time(value)
    except QueryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _near(value: str) -> Near:
    try:
        return Near.parse(value)
    except QueryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _size(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 1 <= number <= MAX_SIZE:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_SIZE}, got {number}")
    return number


def _score(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None


def _listed(values: list[str] | None, normalise: Callable[[str], str] = str.strip) -> list[str]:
    """Repeated options and comma-separated lists alike: ``--lang en --lang fr`` = ``--lang en,fr``."""
    return [normalise(part) for value in values or () for part in value.split(",") if part.strip()]


def _item_filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", type=_time, metavar="TIME",
                        help="event time at or after: 2026-11-01, 2026-11-01T08:00Z, or 24h / 7d ago")
    parser.add_argument("--to", dest="end", type=_time, metavar="TIME", help="event time before (same forms)")
    parser.add_argument("--lang", action="append", help="language code(s), e.g. en,fr")
    parser.add_argument("--country", action="append", help="ISO 3166 alpha-2 code(s), e.g. SD")
    parser.add_argument("--admin1", action="append", help="first-level region code(s), e.g. SD.55")
    parser.add_argument("--category", action="append", help="classifier category(ies), e.g. hate_speech")
    parser.add_argument("--min-score", type=_score, help="with --category: score at least this (0-1)")
    parser.add_argument("--source", action="append", help="configured source name(s)")
    parser.add_argument("--source-type", action="append", help="source plug-in(s): rss, telegram, ...")
    parser.add_argument("--near", type=_near, metavar="LAT,LON,KM",
                        help="within KM of a point (write --near=-1.3,36.8,50 when LAT is negative)")


def _item_filters(args: argparse.Namespace, text: str | None = None) -> ItemFilters:
    return ItemFilters(
        text=text, start=args.start, end=args.end,
        langs=_listed(args.lang, lambda s: s.strip().lower()),
        countries=_listed(args.country, lambda s: s.strip().upper()),
        admin1=_listed(args.admin1), categories=_listed(args.category, lambda s: s.strip().lower()),
        min_score=args.min_score, sources=_listed(args.source), source_types=_listed(args.source_type),
        near=args.near)


def register(commands: Any) -> None:
    """Add the archive commands to ``tocsin``'s sub-command parser."""
    search = commands.add_parser("search", help="search the archive (items) on the search server")
    search.add_argument("query", nargs="?", default=None,
                        help='words to find in title and text ("quoted phrase", -exclude, a | b)')
    _item_filter_options(search)
    search.add_argument("--sort", choices=ITEM_SORTS, default=None,
                        help="default: relevance with a query, else newest")
    search.add_argument("--size", type=_size, default=20, help=f"items to show (1-{MAX_SIZE})")
    search.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    search.set_defaults(func=cmd_search)

    alerts = commands.add_parser("alerts", help="list alerts (latest version of each), newest first")
    alerts.add_argument("--status", action="append", help=f"{' | '.join(ALERT_STATUSES)}")
    alerts.add_argument("--severity", action="append", help=f"{' | '.join(SEVERITIES)}")
    alerts.add_argument("--rule", action="append", help="rule name(s)")
    alerts.add_argument("--country", action="append", help="ISO 3166 alpha-2 code(s)")
    alerts.add_argument("--size", type=_size, default=50, help=f"alerts to show (1-{MAX_SIZE})")
    alerts.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    alerts.set_defaults(func=cmd_alerts)

    incidents = commands.add_parser("incidents", help="list incidents (items fused across sources and "
                                                      "languages), most recently seen first")
    incidents.add_argument("--country", help="ISO 3166 alpha-2 code")
    incidents.add_argument("--category", help="violence_report, hate_speech …")
    incidents.add_argument("--since", type=_time,
                           help="last seen since: ISO time or a duration back (24h, 7d)")
    incidents.add_argument("--min-sources", type=int, default=None, help="independent sources at least")
    incidents.add_argument("--min-languages", type=int, default=None, help="languages at least")
    amplified = incidents.add_mutually_exclusive_group()
    amplified.add_argument("--amplified", dest="amplified", action="store_const", const=True, default=None,
                           help="only incidents with a burst of near-identical text from many accounts")
    amplified.add_argument("--not-amplified", dest="amplified", action="store_const", const=False,
                           help="only incidents without one")
    incidents.add_argument("--size", type=_size, default=50, help=f"incidents to show (1-{MAX_SIZE})")
    incidents.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    incidents.set_defaults(func=cmd_incidents)

    exporter = commands.add_parser(
        "export", help="export matching items (CSV or NDJSON), or an alert's evidence bundle (zip)")
    exporter.add_argument("-o", "--output", required=True,
                          help="file to write ('-' for standard output; not for --evidence)")
    exporter.add_argument("--format", choices=sorted(FORMATS),
                          help="csv | ndjson (default: from the file's suffix)")
    exporter.add_argument("--query", default=None, help="words to find in title and text")
    _item_filter_options(exporter)
    exporter.add_argument("--page-size", type=_size, default=DEFAULT_PAGE_SIZE,
                          help="items per request (memory use is one page)")
    exporter.add_argument("--no-progress", action="store_true", help="no progress bar on standard error")
    exporter.add_argument("--evidence", metavar="ALERT_ID",
                          help="export this alert's evidence bundle (zip) instead of items")
    exporter.set_defaults(func=cmd_export)

    evidence = commands.add_parser("evidence", help="evidence bundles of alerts")
    actions = evidence.add_subparsers(dest="action", required=True)
    verify = actions.add_parser("verify", help=cmd_evidence_verify.__doc__)
    verify.add_argument("bundle", help="the zip that `tocsin export --evidence` or the API wrote")
    verify.add_argument("--public-key", action="append", type=Path, default=[], metavar="FILE",
                        help="a trusted public key (repeat for keys rotated out): the bundle must be "
                             "signed by one of them")
    verify.add_argument("--against-server", action="store_true",
                        help="also compare it with the evidence and custody log on the search server "
                             "(settings.search), and log the check there (`verified`)")
    verify.set_defaults(func=cmd_evidence_verify)
    keygen = actions.add_parser("keygen", help=cmd_evidence_keygen.__doc__)
    keygen.add_argument("prefix", type=Path, help="writes PREFIX.key (private, mode 600) and PREFIX.pub")
    keygen.set_defaults(func=cmd_evidence_keygen)


# ------------------------------------------------------------------ plumbing


def _fail(args: argparse.Namespace, message: str, code: int = 2) -> int:
    print(f"tocsin {args.command}: error: {printable(message, one_line=False)}", file=sys.stderr)
    return code


def _run(settings: SearchSettings, work: Callable[[AsyncElasticsearch], Awaitable[T]]) -> T:
    """Run one conversation with the search server, turning its failures into ``ArchiveError``."""
    from elastic_transport import ConnectionError as TransportConnectionError
    from elastic_transport import TransportError
    from elasticsearch import ApiError, NotFoundError

    from tocsin.search import search_client

    if logging.getLogger().getEffectiveLevel() >= logging.WARNING:
        # The client's retry warnings come with tracebacks; the one-line error below says it all.
        logging.getLogger("elastic_transport").setLevel(logging.ERROR)

    async def main() -> T:
        es = search_client(settings)
        try:
            return await work(es)
        except NotFoundError as exc:
            raise ArchiveError(f"{exc.message}: the index does not exist (has `tocsin init` run?)") from exc
        except TransportConnectionError as exc:
            raise ArchiveError(f"cannot reach the search server at {settings.url}: {exc.message}") from exc
        except (ApiError, TransportError) as exc:
            raise ArchiveError(f"the search server refused the request: {exc}") from exc
        finally:
            await es.close()

    return asyncio.run(main())


def _json_line(doc: dict[str, Any]) -> str:
    # ASCII-only: valid JSON, and nothing in it can act on a terminal.
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":"))


def _table(columns: list[tuple[str, dict[str, Any]]], rows: list[list[str]]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Piped to another program, a row stays one line whatever its length (rich would fold at 80).
    console = Console(highlight=False, markup=False, emoji=False, soft_wrap=False,
                      width=None if _to_terminal() else PIPED_WIDTH)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header, options in columns:
        table.add_column(header, **options)
    for row in rows:
        # Text, not str: no rich markup is interpreted in scraped text either.
        table.add_row(*(Text(printable(cell)) for cell in row))
    console.print(table)


def _to_terminal() -> bool:
    """Whether a person reads the table (COLUMNS set says how wide they want it, piped or not)."""
    return sys.stdout.isatty() or bool(os.environ.get("COLUMNS"))


def _short(item_id: str, keep: int = 16) -> str:
    """Item ids are 64 hex digits; a terminal shows their start, a pipe the whole id."""
    return item_id if len(item_id) <= keep or not _to_terminal() else item_id[:keep - 1] + "…"


def _when(value: Any) -> str:
    text = str(value or "")
    return text[:16].replace("T", " ") if len(text) >= 16 else text


async def _check_categories(es: AsyncElasticsearch, filters: ItemFilters) -> None:
    """A misspelt category is an error naming the real ones, not an empty answer."""
    if filters.categories:
        from tocsin.category_names import KnownCategories

        settings = load_settings()
        known = KnownCategories(settings.processing.categories_file, settings.search.items_index)
        await known.check(es, filters.categories)


# ------------------------------------------------------------------- search


def cmd_search(args: argparse.Namespace) -> int:
    try:
        filters = _item_filters(args, args.query)
    except QueryError as exc:
        return _fail(args, str(exc))
    settings = load_settings().search
    order: ItemSort = args.sort or ("relevance" if args.query else "newest")

    async def work(es: AsyncElasticsearch) -> tuple[int, list[dict[str, Any]]]:
        await _check_categories(es, filters)
        response = await es.search(index=settings.items_index, query=item_query(filters),
                                   sort=item_sort(order), size=args.size, track_total_hits=True)
        hits = response["hits"]
        return int(hits["total"]["value"]), [{**h["_source"], "id": h["_source"].get("id") or h["_id"]}
                                             for h in hits["hits"]]

    try:
        total, items = _run(settings, work)
    except QueryError as exc:
        return _fail(args, str(exc))
    except ArchiveError as exc:
        return _fail(args, str(exc), 1)
    if args.json:
        for item in items:
            print(_json_line(item))
        return 0
    rows = []
    for item in items:
        scores = item.get("scores") or {}
        top = max(scores.items(), key=lambda kv: kv[1], default=None)
        place = "/".join(str(p) for p in (item.get("country"), item.get("admin1"), item.get("city")) if p)
        rows.append([_when(item.get("event_time")), item.get("lang") or "", place,
                     f"{top[0]} {top[1]:.2f}" if top else "", (item.get("source") or {}).get("name", ""),
                     item.get("title") or (item.get("text") or "")[:200], _short(str(item.get("id", "")))])
    _table([("event time (UTC)", {"no_wrap": True}), ("lang", {}), ("place", {}), ("top category", {}),
            ("source", {"overflow": "fold"}), ("title", {"overflow": "fold", "ratio": 1}),
            ("id", {"no_wrap": True})], rows)
    print(f"{len(items)} of {total} matching items, {order} first")
    return 0


# ------------------------------------------------------------------- alerts


def cmd_alerts(args: argparse.Namespace) -> int:
    try:
        filters = AlertFilters(statuses=_listed(args.status, lambda s: s.strip().lower()),
                               severities=_listed(args.severity, lambda s: s.strip().lower()),
                               rules=_listed(args.rule),
                               countries=_listed(args.country, lambda s: s.strip().upper()))
    except QueryError as exc:
        return _fail(args, str(exc))
    settings = load_settings().search

    async def work(es: AsyncElasticsearch) -> list[dict[str, Any]]:
        response = await es.search(index=settings.alerts_index, query=alert_query(filters), sort=ALERT_SORT,
                                   size=args.size)
        return [hit["_source"] for hit in response["hits"]["hits"]]

    try:
        alerts = _run(settings, work)
    except ArchiveError as exc:
        return _fail(args, str(exc), 1)
    if args.json:
        for alert in alerts:
            print(_json_line(alert))
        return 0
    rows = []
    for alert in alerts:
        area = (alert.get("area") or {}).get("description")
        group = ", ".join(f"{k}={v}" for k, v in (alert.get("group") or {}).items())
        rows.append([_when(alert.get("updated_at") or alert.get("raised_at")), alert.get("severity", ""),
                     alert.get("status", "open"), alert.get("rule", ""), area or group,
                     f"{alert.get('count', '')}/{alert.get('threshold', '')}", alert.get("title", ""),
                     alert.get("id", "")])
    _table([("updated (UTC)", {"no_wrap": True}), ("severity", {}), ("status", {}),
            ("rule", {"overflow": "fold"}), ("where", {"overflow": "fold"}), ("count", {"no_wrap": True}),
            ("title", {"overflow": "fold", "ratio": 1}), ("id", {"overflow": "fold"})], rows)
    print(f"{len(alerts)} alerts")
    return 0


# ------------------------------------------------------------------- incidents


def cmd_incidents(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from tocsin.incidents import Incident, IncidentFilters, search_incidents

    try:
        filters = IncidentFilters(country=args.country, category=args.category, since=args.since,
                                  min_sources=args.min_sources, min_languages=args.min_languages,
                                  amplified=args.amplified)
    except ValidationError as exc:
        return _fail(args, "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()))
    settings = load_settings().search

    async def work(es: AsyncElasticsearch) -> list[Incident]:
        return await search_incidents(es, settings.incidents_index, filters, args.size)

    try:
        found = _run(settings, work)
    except ArchiveError as exc:
        return _fail(args, str(exc), 1)
    if args.json:
        for incident in found:
            print(_json_line(incident.public()))
        return 0
    rows = []
    for incident in found:
        place = "/".join(p for p in (incident.country, incident.admin1_name or incident.admin1) if p)
        flag = incident.amplification.describe() if incident.amplification else ""
        rows.append([_when(incident.first_seen.isoformat()), _when(incident.last_seen.isoformat()),
                     incident.category, place, str(incident.item_count), str(incident.independent_sources),
                     ",".join(incident.languages[:6]), flag, incident.title, incident.id])
    _table([("first seen (UTC)", {"no_wrap": True}), ("last seen", {"no_wrap": True}), ("category", {}),
            ("where", {"overflow": "fold"}), ("items", {"justify": "right"}),
            ("sources", {"justify": "right"}), ("languages", {}), ("amplified", {"overflow": "fold"}),
            ("title", {"overflow": "fold", "ratio": 1}), ("id", {"overflow": "fold"})], rows)
    print(f"{len(found)} incidents")
    return 0


# ------------------------------------------------------------------- export


def _export_format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    suffix = Path(args.output).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    if suffix in ("jsonl", "json"):
        return "ndjson"
    raise QueryError(f"say --format csv or --format ndjson (cannot tell from {args.output!r})")


def cmd_export(args: argparse.Namespace) -> int:
    if args.evidence:
        return cmd_export_evidence(args)
    try:
        filters = _item_filters(args, args.query)
        fmt = _export_format(args)
    except QueryError as exc:
        return _fail(args, str(exc))
    settings = load_settings().search
    to_stdout = args.output == "-"
    target: AtomicFile | None = None
    if not to_stdout:
        path = Path(args.output)
        if not path.parent.is_dir():
            return _fail(args, f"no such directory: {path.parent}")
        target = AtomicFile(path, newline="" if fmt == "csv" else None)
    out = sys.stdout if target is None else target.handle
    writer: RecordWriter = (NdjsonWriter(out, ascii_only=to_stdout) if fmt == "ndjson"
                            else CsvWriter(out, for_terminal=to_stdout and sys.stdout.isatty()))
    query = item_query(filters)

    async def work(es: AsyncElasticsearch) -> int:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        await _check_categories(es, filters)
        total = int((await es.count(index=settings.items_index, query=query))["count"])
        with Progress(TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=Console(stderr=True), disable=args.no_progress, transient=False) as progress:
            task = progress.add_task("export", total=total)
            return await export(es, settings.items_index, query, writer, page_size=args.page_size,
                                advance=lambda n: progress.advance(task, n))

    try:
        written = _run(settings, work)
    except (ArchiveError, QueryError) as exc:
        if target:
            target.discard()
        return _fail(args, str(exc), 2 if isinstance(exc, QueryError) else 1)
    except BaseException:
        if target:
            target.discard()
        raise
    if target:
        target.commit()
    where = "standard output" if to_stdout else printable(args.output)
    print(f"exported {written} items ({fmt}) to {where}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------ evidence

_ITEM_FILTERS = ("query", "start", "end", "lang", "country", "admin1", "category", "min_score", "source",
                 "source_type", "near", "format")


def _os_user() -> str:
    """Who is at the keyboard, for the custody log (the API logs its key's name instead)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no entry in the password database
        return "unknown"


def cmd_export_evidence(args: argparse.Namespace) -> int:
    """The alert's evidence bundle; the export itself is logged (``exported``) in its custody log."""
    given = [name for name in _ITEM_FILTERS if getattr(args, name, None) not in (None, [])]
    if given:
        return _fail(args, f"--evidence exports one alert's bundle; it takes no item filters "
                           f"(got --{given[0].replace('_', '-')})")
    if args.output == "-":
        return _fail(args, "an evidence bundle is a zip file: name it with -o, e.g. -o bundle.zip")
    path = Path(args.output)
    if not path.parent.is_dir():
        return _fail(args, f"no such directory: {path.parent}")
    from tocsin.evidence import EvidenceError, EvidenceStore
    from tocsin.search import SearchUnavailable

    settings = load_settings().search
    actor = _os_user()

    try:
        signer = _signer()
    except SettingsError as exc:
        return _fail(args, str(exc))

    async def work(es: AsyncElasticsearch) -> bytes:
        return await EvidenceStore(es, settings, signer=signer).export_bundle(args.evidence, actor=actor)

    try:
        bundle = _run(settings, work)
    except (ArchiveError, EvidenceError, SearchUnavailable) as exc:
        return _fail(args, str(exc), 1)
    part = path.with_name(path.name + ".part")
    part.write_bytes(bundle)
    os.replace(part, path)
    digest = hashlib.sha256(bundle).hexdigest()
    print(f"wrote the evidence bundle of alert {printable(args.evidence)} to {printable(args.output)} "
          f"({len(bundle)} bytes, sha256 {digest}); logged as exported by {printable(actor)}",
          file=sys.stderr)
    return 0


def _signer() -> SigningKey | None:
    from tocsin.evidence.signing import signing_key

    return signing_key(load_settings().evidence)


def cmd_evidence_verify(args: argparse.Namespace) -> int:
    """Check a bundle offline: files against SHA256SUMS, the manifest and the custody log, the
    custody chain and the signature; with --against-server, against the server's evidence too."""
    from tocsin.evidence import EvidenceError, EvidenceStore, verify_bundle
    from tocsin.evidence.signing import trusted_keys
    from tocsin.search import SearchUnavailable

    path = Path(args.bundle)
    if not path.is_file():
        return _fail(args, f"no such file: {path}")
    try:
        trusted = trusted_keys(args.public_key) if args.public_key else None
        signer = _signer() if args.against_server else None
    except SettingsError as exc:
        return _fail(args, str(exc))
    data = path.read_bytes()
    report = verify_bundle(data, trusted=trusted)
    if args.against_server:
        if report.alert_id is None:
            return _fail(args, f"{path}: names no alert; it cannot be compared with the server", 1)
        settings = load_settings().search
        alert_id, actor = report.alert_id, _os_user()

        async def work(es: AsyncElasticsearch) -> BundleReport:
            return await EvidenceStore(es, settings, signer=signer).verify(alert_id, data, actor=actor)

        try:
            server = _run(settings, work)
        except (ArchiveError, EvidenceError, SearchUnavailable) as exc:
            return _fail(args, str(exc), 1)
        report.problems.extend(p for p in server.problems if p not in report.problems)
        report.signature_trusted = report.signature_trusted or server.signature_trusted
        report.ok = not report.problems
    name = printable(args.bundle)
    if report.ok:
        signed = ("unsigned" if report.signed_by is None else
                  f"signed by trusted key {report.signed_by}" if report.signature_trusted else
                  f"signed by key {report.signed_by} (not checked against a trusted key: --public-key)")
        server_note = ", matches the server's evidence and custody log" if args.against_server else ""
        print(f"{name}: OK: alert {printable(report.alert_id)}, {report.items_verified} item(s) verified, "
              f"custody log head {printable(report.custody_head_sha256)}, {signed}{server_note}")
        return 0
    print(f"{name}: FAILED: {len(report.problems)} problem(s)")
    for problem in report.problems:
        print(f"  - {printable(problem)}")
    return 1


def cmd_evidence_keygen(args: argparse.Namespace) -> int:
    """Make an Ed25519 key pair for signing evidence bundles (docs: Evidence, "Signatures")."""
    from tocsin.evidence.signing import SigningKey

    private, public = Path(f"{args.prefix}.key"), Path(f"{args.prefix}.pub")
    for path in (private, public):
        if path.exists():
            return _fail(args, f"{path} exists; not overwritten (rotate to a new prefix)")
        if not path.parent.is_dir():
            return _fail(args, f"no such directory: {path.parent}")
    key = SigningKey.generate()
    descriptor = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key.private_text() + "\n")
    public.write_text(key.public_text() + "\n", encoding="ascii")
    print(f"key {key.key_id}: private key in {printable(str(private))} (TOCSIN_EVIDENCE__SIGNING_KEY_FILE), "
          f"public key in {printable(str(public))} (publish it; verifiers pass it to --public-key)")
    return 0
