"""How ``tocsin search`` and friends find a running ``tocsin demo``: ``.tocsin/demo.env``.

The demo's peers listen on free ports chosen at start, and its search server needs
the media-type shim, so commands run from another terminal would otherwise look for
a search server at 127.0.0.1:9200. The demo writes every setting it gave its stages
(and its API's URL and key) to ``.tocsin/demo.env`` under the directory it was started
in, and removes the file when it stops. A client command started in that directory
uses those settings when the demo is still running and the environment does not name
peers of its own. The file is also a shell script: ``. .tocsin/demo.env`` sets
``$TOCSIN_DEMO_API_URL`` and ``$TOCSIN_DEMO_API_KEY`` for curl.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from tocsin.errors import ConfigError

DEMO_ENV = Path(".tocsin") / "demo.env"
PID = "TOCSIN_DEMO_PID"
API_URL = "TOCSIN_DEMO_API_URL"
API_KEY = "TOCSIN_DEMO_API_KEY"
# Any of these in the environment means the person chose their peers: the demo's stay out.
CHOSEN = ("TOCSIN_CONFIG", "TOCSIN_SEARCH__URL", "TOCSIN_KAFKA__BOOTSTRAP_SERVERS")
_LINE = re.compile(r"^export ([A-Z][A-Z0-9_]*)=(.*)$")


class DemoEnvError(ConfigError, ValueError):
    """``.tocsin/demo.env`` is not as the demo writes it; the message names the line."""


def write_demo_env(path: Path, env: Mapping[str, str], *, pid: int, api_url: str, api_key: str) -> Path:
    """Write the file atomically, readable by its owner only (it holds an admin key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    values = {**env, PID: str(pid), API_URL: api_url, API_KEY: api_key}
    lines = ["# Written by `tocsin demo` while it runs; removed when it stops.",
             "# tocsin commands run in this directory read it; `. .tocsin/demo.env` sets it in a shell.",
             *(f"export {name}={shlex.quote(value)}" for name, value in sorted(values.items()))]
    part = path.with_name(path.name + ".part")
    descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(part, path)
    return path


def read_demo_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        try:
            parts = shlex.split(match.group(2)) if match else []
        except ValueError:
            parts = []
        if match is None or len(parts) != 1:
            raise DemoEnvError(f"{path}: line {number} is not `export NAME='value'`")
        values[match.group(1)] = parts[0]
    return values


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_demo(path: Path = DEMO_ENV) -> dict[str, str] | None:
    """The settings of the demo that wrote ``path``, if that demo is still running."""
    if not path.is_file():
        return None
    values = read_demo_env(path)
    try:
        pid = int(values.get(PID, ""))
    except ValueError:
        raise DemoEnvError(f"{path}: no {PID}") from None
    return values if _alive(pid) else None


def use_running_demo(environ: MutableMapping[str, str] = os.environ, path: Path = DEMO_ENV) -> bool:
    """Put the running demo's settings into ``environ`` (set variables win); whether it did."""
    if any(environ.get(name) for name in CHOSEN):
        return False
    values = running_demo(path)
    if values is None:
        return False
    for name, value in values.items():
        environ.setdefault(name, value)
    return True


def remove_demo_env(path: Path, pid: int) -> None:
    """Remove the file if it is still this demo's (a second demo may have replaced it)."""
    try:
        if read_demo_env(path).get(PID) == str(pid):
            path.unlink()
    except (OSError, DemoEnvError):
        pass
