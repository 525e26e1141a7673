"""bench.engine runs (tiny) and prints a row per case: the script cannot rot unseen."""

from __future__ import annotations

import re

import pytest

from bench.engine import RULES, main


def test_engine_bench_prints_a_rate_per_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--items", "300"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if re.match(r"\| [a-z]", line)]
    assert [row.split(" | ")[0].lstrip("| ") for row in rows[1:]] == list(RULES)
    hot = rows[1 + list(RULES).index("frequency, one hot group with an open alert")]
    assert int(hot.rstrip(" |").split(" | ")[-1]) >= 1  # the hot group opened an alert
