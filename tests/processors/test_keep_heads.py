"""Keeping some categories' heads of a trained folder (``python -m processors.training.keep_heads``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from processors.classifiers.heads import POOLED, CategoryHead, HeadsError, HeadSet, Network
from processors.classifiers.ngram import Platt
from processors.training.keep_heads import keep_heads, main


def trained(folder: Path) -> HeadSet:
    rng = np.random.default_rng(5)
    heads = HeadSet(
        encoder="use+static",
        dim=6,
        max_chars=300,
        heads={
            name: CategoryHead(
                name,
                Network(rng.normal(size=(6, 1)).astype(np.float32), np.zeros(1, dtype=np.float32)),
                {POOLED: Platt(1.0, 0.5), "en": Platt(0.8, 0.1)},
            )
            for name in ("hate_speech", "violence_report")
        },
        version="1",
        meta={"retrained": {"hate_speech": {"seed": 13}, "violence_report": {"seed": 14}}, "split": "text"},
    )
    heads.save(folder)
    metrics = {"dev": {"hate_speech": {"all": {"macro_f1": 0.75}}, "violence_report": {}}, "rows": {"dev": 3}}
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    return heads


def test_the_kept_head_scores_as_before_and_nothing_else_is_left(tmp_path: Path) -> None:
    full = trained(tmp_path / "full")
    keep_heads(tmp_path / "full", tmp_path / "hate", ["hate_speech"])
    kept = HeadSet.load(tmp_path / "hate", encoder="use+static")
    assert list(kept.heads) == ["hate_speech"]
    x = np.random.default_rng(1).normal(size=(4, 6)).astype(np.float32)
    langs = ["en", "fr", "en", "de"]
    before, after = full.heads["hate_speech"], kept.heads["hate_speech"]
    assert np.array_equal(after.scores(x, langs), before.scores(x, langs))
    assert kept.meta == {"retrained": {"hate_speech": {"seed": 13}}, "split": "text"}
    metrics = json.loads((tmp_path / "hate" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics == {"dev": {"hate_speech": {"all": {"macro_f1": 0.75}}}, "rows": {"dev": 3}}


def test_a_category_the_folder_lacks_is_an_error_naming_what_it_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trained(tmp_path / "full")
    with pytest.raises(HeadsError, match=r"no heads for gore .*it has: hate_speech, violence_report"):
        keep_heads(tmp_path / "full", tmp_path / "out", ["gore"])
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / "full"), str(tmp_path / "out"), "gore"])
    assert exit_info.value.code == 2 and "no heads for gore" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
