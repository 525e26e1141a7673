"""The alert latency bench still runs, and its pieces still mean what they say.

The smoke test runs the script as a user would, in a tiny mode (50 groups, 5
alerts, Tocsin only), and parses what it prints and writes; the figures
themselves are the bench's business, not the tests'.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bench import elastalert_side
from bench.alert_latency import GROUP_FIELD, StateCounter, percentile

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| (?P<system>[\w ]+) \| (?P<p50>[\d.]+) \| (?P<p95>[\d.]+) \| (?P<p99>[\d.]+) \| "
                 r"(?P<max>[\d.]+) \| (?P<delivered>\d+) / (?P<expected>\d+)[^|]* \| "
                 r"(?P<live>[\d,]+) \| .+ \|$",
                 re.MULTILINE)


@pytest.mark.peers
def test_tiny_run_delivers_every_alert_and_prints_a_parsable_table(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    done = subprocess.run([sys.executable, "-m", "bench.alert_latency", "--groups", "50", "--alerts", "5",
                           "--rate", "20", "--tocsin-only", "--drain-s", "30", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=150, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = {m["system"]: m for m in ROW.finditer(done.stdout)}
    assert set(rows) == {"Tocsin"}, done.stdout[-3000:]
    row = rows["Tocsin"]
    assert (row["delivered"], row["expected"], row["live"]) == ("5", "5", "50")
    assert 0 < float(row["p50"]) <= float(row["p95"]) <= float(row["p99"]) <= float(row["max"])
    result = json.loads(out.read_text())["results"][0]
    assert result["system"] == "Tocsin" and result["delivered"] == 5 and result["stray"] == 0
    assert math.isclose(result["p95"], float(row["p95"]), abs_tol=0.005)


def test_state_counter_counts_items_per_group_from_bucket_entries() -> None:
    counter = StateCounter()
    prefix = "bench-frequency#abc123"
    counter.add(f"{prefix}|{GROUP_FIELD}=a|b|3600".encode(), b'{"count": 1, "samples": []}')
    counter.add(f"{prefix}|{GROUP_FIELD}=a|b|3900".encode(), b'{"count": 1, "samples": []}')
    counter.add(f"{prefix}|{GROUP_FIELD}=b|b|3600".encode(), b'{"count": 2}')
    counter.add(f"{prefix}|{GROUP_FIELD}=a|idx".encode(), b'{"starts": [3600, 3900]}')
    counter.add(f"L|bench-frequency|{GROUP_FIELD}=a".encode(), b'{"status": "open"}')
    counter.add(f"{prefix}|{GROUP_FIELD}=b|b|3600".encode(), None)  # a deleted bucket
    assert counter.counts() == {f"{GROUP_FIELD}=a": 2}


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.0, 95.0, 99.0)
    assert percentile([3.0], 99) == 3.0
    assert math.isnan(percentile([], 50))


def test_elastalert_rule_is_the_frequency_rule_tocsin_runs(tmp_path: Path) -> None:
    config = elastalert_side.write_config(tmp_path, search_url="http://127.0.0.1:9200", index="items",
                                          writeback_index="wb", post_url="http://127.0.0.1:1/elastalert",
                                          group_field=GROUP_FIELD, threshold=3, run_every_s=1, buffer_s=30)
    settings = yaml.safe_load(config.read_text())
    assert (settings["es_host"], settings["es_port"]) == ("127.0.0.1", 9200)
    assert settings["run_every"] == {"seconds": 1} and settings["buffer_time"] == {"seconds": 30}
    rule = yaml.safe_load((tmp_path / "rules" / f"{elastalert_side.RULE_NAME}.yaml").read_text())
    assert (rule["type"], rule["num_events"], rule["timeframe"], rule["query_key"]) == (
        "frequency", 3, {"hours": 1}, GROUP_FIELD)
    assert rule["timestamp_field"] == "event_time" and rule["index"] == "items"
    assert rule["alert"] == ["post"] and rule["http_post_payload"]["group"] == GROUP_FIELD
