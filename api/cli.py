"""``tocsin api`` (serve the HTTP API) and ``tocsin api-key add|list|remove`` (manage its keys)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from api.keys import KeysConfigError, Role, add_key, load_keys, write_keys
from api.stage_config import StageConfig
from tocsin.settings import load_settings


def cmd_api(args: argparse.Namespace) -> int:
    """Serve the HTTP API (and the dashboard) on api.host:api.port."""
    from api.app import serve

    settings = load_settings()
    if args.host or args.port:
        settings = settings.model_copy(update={"api": settings.api.model_copy(update={
            k: v for k, v in (("host", args.host), ("port", args.port)) if v})})
    try:
        serve(settings, stage_config=args.stage_config(), log_level=args.log_level)
    except KeysConfigError as exc:
        print(f"tocsin: configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_api_key(args: argparse.Namespace) -> int:
    path = load_settings().api.keys_file
    try:
        if args.action == "add":
            key = add_key(path, args.name, args.role)
            print(f"API key for {args.name} ({args.role}); shown once, stored only as its SHA-256 in {path}:",
                  file=sys.stderr)
            print(key)
        elif args.action == "remove":
            entries = load_keys(path)
            if not any(e.name == args.name for e in entries):
                print(f"tocsin: no key named {args.name!r} in {path}", file=sys.stderr)
                return 1
            write_keys(path, [e for e in entries if e.name != args.name])
            print(f"removed the key of {args.name}", file=sys.stderr)
        else:
            for entry in load_keys(path):
                print(f"{entry.name}\t{entry.role.name}")
    except (KeysConfigError, ValueError) as exc:
        print(f"tocsin: {exc}", file=sys.stderr)
        return 2
    return 0


def register(commands: Any, *, stage_config: Callable[[], StageConfig]) -> None:
    """Add ``api`` and ``api-key`` to the ``tocsin`` subcommands; ``stage_config`` makes what
    the API reads the rules and sources files with (the entry point's: the API imports no stage)."""
    api = commands.add_parser("api", help=cmd_api.__doc__)
    api.add_argument("--host", default=None, help="listen address (default: api.host)")
    api.add_argument("--port", type=int, default=None, help="port (default: api.port)")
    api.set_defaults(func=cmd_api, stage_config=stage_config)
    keys = commands.add_parser("api-key", help="add, list or remove API keys (api.keys_file)")
    actions = keys.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="make a key for NAME; prints it once")
    add.add_argument("name", help="who holds it (recorded as the actor of their actions)")
    add.add_argument("--role", required=True, choices=list(Role.__members__))
    remove = actions.add_parser("remove", help="revoke NAME's key")
    remove.add_argument("name")
    actions.add_parser("list", help="names and roles (never keys)")
    keys.set_defaults(func=cmd_api_key)
