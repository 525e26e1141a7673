"""The wheel works on its own: built from the source, installed (not editable) into a
fresh virtualenv, it finds its default config, its models and the demo corpus, and
``tocsin eval classify`` runs.

Offline: the wheel is built without build isolation (this environment's setuptools)
and installed with ``--no-deps --no-index``; its dependencies come from this test
environment's site-packages, made visible to the new virtualenv by a ``.pth`` file
(which does not run the editable install's own ``.pth`` hook, so the checkout stays
out of the new interpreter's path).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "venv", "node_modules", "__pycache__", "build", "dist", "*.egg-info", ".mypy_cache",
    ".ruff_cache", ".pytest_cache", ".hypothesis", ".tocsin", "tests", "bench",
    "*.so", "compiled.sha256")     # an editable install's compiled modules: the wheel compiles its own


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "--no-index", "-q", "-w", str(work / "dist"), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (built,) = (work / "dist").glob("tocsin-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True, timeout=120)
    python = home / "bin" / "python"
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                           "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "_tocsin_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    return home


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TOCSIN_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(list(args), cwd=cwd, env={**env, "PATH": f"{venv / 'bin'}:{env.get('PATH', '')}"},
                          capture_output=True, text=True, timeout=300)


def test_the_wheel_ships_config_models_and_the_demo_but_no_sources_of_the_dashboard(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("tocsin/defaults/feeds.yaml", "tocsin/defaults/rules.yaml",
                    "tocsin/defaults/classifiers.yaml", "tocsin/defaults/classifiers-fast.yaml",
                    "processors/models/first-stage/model.npz", "processors/models/first-stage/MODEL_CARD.md",
                    "processors/models/gate/static.npz", "processors/models/gate/heads.npz",
                    "processors/models/encoder/heads.npz", "processors/models/encoder-use/heads.npz",
                    "processors/models/encoder-use-distilled/heads.npz",
                    "processors/models/encoder-use-distilled/MODEL_CARD.md",
                    "processors/models/encoder-use-static/heads.npz",
                    "processors/models/encoder-use-static/MODEL_CARD.md",
                    "processors/models/encoder-use-static-ar/heads.npz",
                    "processors/models/encoder-use-static-ar/MODEL_CARD.md",
                    "processors/models/encoder-use-static-en/heads.npz",
                    "processors/models/encoder-use-static-en/MODEL_CARD.md",
                    "processors/models/encoder/MODEL_CARD.md",
                    "processors/models/romanised-hindi/model.npz",
                    "processors/models/romanised-hindi/MODEL_CARD.md",
                    "tocsin_embedded/demo_data/rules.yaml", "tocsin_embedded/demo_data/corpus/feeds.yaml",
                    "tocsin_embedded/demo_data/corpus/wikinews-sources.tsv", "tocsin_launch/cli.py",
                    "tocsin/formats/schemas/CAP-v1.2.xsd", "api/static/index.html"):
        assert shipped in names, f"{shipped} is not in {wheel.name}"
    assert not [n for n in names if n.startswith(("api/web/", "tests/", "bench/"))]


def test_an_installed_wheel_finds_its_files_in_site_packages(venv: Path, tmp_path: Path) -> None:
    probe = ("import tocsin, tocsin.settings as s, tocsin_embedded.corpus as c\n"
             "import processors.classifiers.ngram as ngram\n"
             "print(tocsin.__file__)\n"
             "print(s.Settings().collector.feeds_file)\n"
             "print(ngram.DEFAULT_MODEL / 'model.npz')\n"
             "print(c.corpus_dir() / 'feeds.yaml')\n"
             "import processors.romanised_hindi_model as hinglish\n"
             "print(hinglish.MODEL_PATH)\n"
             "from pathlib import Path\n"
             "from processors.classifiers.encoder import model_path\n"
             "for name in ('encoder', 'encoder-use', 'encoder-use-distilled', 'encoder-use-static',\n"
             "             'encoder-use-static-ar', 'encoder-use-static-en'):\n"
             "    print(model_path(Path('models', name)) / 'heads.npz')\n")
    done = run(venv, str(venv / "bin" / "python"), "-c", probe, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    paths = [Path(line) for line in done.stdout.splitlines()]
    for path in paths:
        assert path.is_relative_to(venv), f"{path} is not inside the installed wheel"
        assert path.is_file(), path


def test_tocsin_eval_classify_runs_from_the_wheel(venv: Path, tmp_path: Path) -> None:
    labelled = tmp_path / "hatecheck.csv"
    with labelled.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["functionality", "test_case", "label_gold"])
        writer.writerow(["derog_dehum_h", "Those people are vermin and should be exterminated.", "hateful"])
        writer.writerow(["ident_neutral_nh", "We had a lovely picnic by the river yesterday.", "non-hateful"])
    done = run(venv, "tocsin", "eval", "classify", str(labelled), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.fullmatch(r"macro_f1=\d\.\d{3} accuracy=\d\.\d{3} n=2", done.stdout.strip().splitlines()[-1])
    assert re.search(r"^classifiers: .*gate/\d → encoder/\d", done.stdout, re.M), \
        "the shipped gate and encoder heads were not used: " + done.stdout[-2000:]


def test_the_wheel_runs_places_compiled(wheel: Path, venv: Path, tmp_path: Path) -> None:
    """Built where mypyc and a compiler are (this environment, CI), the wheel holds the compiled
    modules and their manifest, and the installed wheel runs them (processors/geo/native.py)."""
    probe = ("from processors.geo import native\n"
             "from processors.geo.matching import is_metonymy\n"
             "import processors.geo.resolve as resolve\n"
             "print(native.compiled(), native.why_pure(), resolve.__file__)\n"
             "print(is_metonymy('Washington said', 10), is_metonymy('Washington, DC', 10))\n")
    done = run(venv, str(venv / "bin" / "python"), "-c", probe, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    state, answers = done.stdout.splitlines()
    assert answers == "True False"
    if not state.startswith("True"):
        if os.environ.get("CI"):
            pytest.fail(f"CI must build the wheel compiled: {state}")
        pytest.skip(f"built without the compiled path here: {state}")
    assert state.startswith("True None ") and Path(state.split(" ", 2)[2]).is_relative_to(venv)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "processors/geo/compiled.sha256" in names
    assert {"resolve.py", "matching.py", "records.py"} <= {Path(n).name for n in names}      # the fallback
    assert len([n for n in names if n.startswith("processors/geo/") and n.endswith(".so")]) == 4
