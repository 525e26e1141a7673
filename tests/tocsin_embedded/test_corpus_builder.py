"""demo/build_corpus.py: the committed corpus is exactly what the builder writes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tocsin_embedded.corpus import corpus_dir

REPO = Path(__file__).resolve().parents[2]
BUILDER = REPO / "demo" / "build_corpus.py"
SHARED = REPO.parent / "shared"


def load_builder() -> ModuleType:
    name = "tocsin_demo_build_corpus"  # demo/ is not a package
    spec = importlib.util.spec_from_file_location(name, BUILDER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


builder = load_builder()


@pytest.mark.skipif(not (SHARED / "data").is_dir(), reason=f"the shared data sets are not at {SHARED}")
def test_rebuild_reproduces_the_committed_corpus_byte_for_byte(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(BUILDER), "--shared", str(SHARED), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    built = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_bytes() for p in corpus_dir().iterdir() if p.is_file()}
    assert sorted(built) == sorted(committed) == sorted(builder.OUTPUT_FILES)
    assert [name for name in built if built[name] != committed[name]] == []


def test_lead_sentence_is_not_cut_at_abbreviations_or_initials() -> None:
    text = "Dr. J. Smith of the U.S. CDC said 12 p.m. was late. Then more."
    assert builder.lead_sentence(text) == "Dr. J. Smith of the U.S. CDC said 12 p.m. was late."


def test_long_lead_sentence_becomes_its_first_twelve_words() -> None:
    text = " ".join(f"w{i}" for i in range(30)) + ". Next."
    assert builder.news_title(text) == " ".join(f"w{i}" for i in range(12)) + " …"


def test_spread_puts_one_key_per_slot_inside_the_span() -> None:
    keys = [f"k{i}" for i in range(50)]
    offsets = builder.spread(keys, -3600, 3600, "salt")
    assert sorted(offsets) == sorted(keys)
    assert all(-3600 <= o < 0 for o in offsets.values())
    slots = sorted((o + 3600) // 72 for o in offsets.values())
    assert slots == list(range(50))
    assert offsets == builder.spread(list(reversed(keys)), -3600, 3600, "salt")
