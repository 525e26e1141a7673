"""ElastAlert2 for the alert latency bench: its own virtualenv, config, rule and process.

ElastAlert2 is not a Tocsin dependency, and cannot be one: on Python 3.11 the
newest release that installs (2.19.0; later ones need Python ≥ 3.12) pins
``elasticsearch==7.10.1``, and Tocsin needs ``elasticsearch>=9``. So the bench
creates a separate virtualenv on demand (``/tmp/tocsin-bench-elastalert2`` by
default, about 90 s and 250 MB the first time, reused after) and installs
ElastAlert2 there with pip. ``pytz`` is installed beside it because 2.19.0
imports it without declaring it.

The 7.10 client sends plain ``application/json``, which osmem accepts, so no
media-type proxy is needed in front of the search server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from bench.children import Child, PeakMemory
from tocsin.processes import spawn

REQUIREMENTS = ("elastalert2==2.19.0", "pytz")
DEFAULT_VENV = Path(tempfile.gettempdir()) / "tocsin-bench-elastalert2"
RUNNER = Path(__file__).with_name("elastalert_runner.py")
RULE_NAME = "bench-frequency"


class ElastAlertSetupFailed(RuntimeError):
    """The ElastAlert2 virtualenv could not be made, or its index set-up failed."""


def ensure_venv(path: Path) -> Path:
    """The Python of a virtualenv where ``import elastalert`` works; made if it is not there."""
    python = path / "bin" / "python"
    if python.exists() and _imports(python):
        return python
    print(f"creating the ElastAlert2 virtualenv {path} ({', '.join(REQUIREMENTS)}) …", flush=True)
    for command in ([sys.executable, "-m", "venv", "--clear", str(path)],
                    [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                     *REQUIREMENTS]):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ElastAlertSetupFailed(f"{' '.join(command)} exited with {done.returncode}:\n"
                                        f"{(done.stdout + done.stderr)[-3000:]}")
    if not _imports(python):
        raise ElastAlertSetupFailed(f"{python}: 'import elastalert.elastalert' fails after installing")
    return python


def _imports(python: Path) -> bool:
    done = subprocess.run([str(python), "-c", "import elastalert.elastalert"], capture_output=True,
                          check=False)
    return done.returncode == 0


def write_config(directory: Path, *, search_url: str, index: str, writeback_index: str, post_url: str,
                 group_field: str, threshold: int, run_every_s: float, buffer_s: float) -> Path:
    """ElastAlert2's config and the frequency rule equivalent to the bench's Tocsin rule."""
    host, port = search_url.removeprefix("http://").rstrip("/").rsplit(":", 1)
    rules = directory / "rules"
    rules.mkdir(parents=True, exist_ok=True)
    config = {
        "rules_folder": str(rules),
        "run_every": {"seconds": run_every_s},
        "buffer_time": {"seconds": buffer_s},
        "es_host": host,
        "es_port": int(port),
        "writeback_index": writeback_index,
        "alert_time_limit": {"minutes": 10},
    }
    rule = {
        "name": RULE_NAME,
        "type": "frequency",
        "index": index,
        "timestamp_field": "event_time",
        "num_events": threshold,
        "timeframe": {"hours": 1},
        "query_key": group_field,
        "filter": [],
        # Fetch only what the rule reads, as one would for a busy index.
        "include": [group_field, "event_time", "id"],
        "alert": ["post"],
        "http_post_url": post_url,
        "http_post_payload": {"group": group_field, "item": "id"},
        "http_post_all_values": False,
    }
    (rules / f"{RULE_NAME}.yaml").write_text(yaml.safe_dump(rule, sort_keys=False), encoding="utf-8")
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def create_index(python: Path, config: Path) -> None:
    """``elastalert-create-index``: the writeback indices ElastAlert2 needs."""
    done = subprocess.run([str(python), "-m", "elastalert.create_index", "--config", str(config)],
                          capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise ElastAlertSetupFailed(f"elastalert.create_index exited with {done.returncode}:\n"
                                    f"{(done.stdout + done.stderr)[-3000:]}")


def start(python: Path, config: Path, status: Path, log: Path, peaks: PeakMemory) -> Child:
    command = [str(python), str(RUNNER), str(status), "--", "--config", str(config), "--verbose"]
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    with log.open("ab") as out:
        process = spawn(command, env={**env, "PYTHONUNBUFFERED": "1"}, stdout=out,
                        stderr=subprocess.STDOUT, cwd=str(config.parent))
    return Child("ElastAlert2", process, log, peaks)


def read_status(path: Path) -> list[dict[str, float]]:
    """The runner's lines: one per rule run (start time, duration, groups and events held)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    runs = []
    for line in text.splitlines():
        try:
            runs.append(json.loads(line))
        except ValueError:
            continue  # a line being written
    return runs
