"""The compiled per-mention path of places (mypyc) and its pure-Python fallback give identical results.

Each side runs in a process of its own (the choice is made once, when
``processors.geo`` is imported): the default (compiled where the build
compiled it) and ``TOCSIN_PURE_PYTHON=1``. Where nothing was compiled (no C
compiler at install time) the comparison skips with the reason, except in CI
(``CI`` set), where ``make test`` must have compiled it and the test fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from processors.geo import native
from tests.processors.conftest import shared_data

ROOT = Path(__file__).resolve().parents[2]
MULTILINGUAL = Path(__file__).parent / "data" / "places_multilingual.xml"

TEXTS = [
    "Fighting resumed in Sudan.",
    "Hyderabad, Pakistan and Springfield, Illinois: the strongest cue news has.",
    "Washington said the Sudanese government must stop the attacks on El Geneina.",
    "President Jordan met Mr Kenya in NAIROBI; THE US ARMY SAID NOTHING about us.",
    "Violence In Kano State Spreads To Kaduna And Zaria Overnight",
    "Kharkiv Oblast, région de Kharkiv; Nyanza Province in Kenya, not Rwanda.",
    "استؤنف القتال في الخرطوم وولاية الخرطوم وبالفاشر",
    "ውጊያው በሱዳን እንደገና ቀጥሏል።",
    "Бої тривають в Україні та в Харкові.",
    "Paris. Paris, Texas. paris. Lebanon and Georgia, Tbilisi. Thomas Frieden in Atlanta.",
    "",
    "Goma" * 50,
]

DUMP = """
import json, pickle, sys
from processors.folding import fold
from processors.geo import native
from processors.geo.gazetteer import LocateRequest
from processors.geo.shared import build_compact

texts, matcher_pickle = json.loads(sys.stdin.read()), sys.argv[1]
gazetteer = build_compact()

def dump(location):
    return [[place.model_dump() for place in location.places], location.country, location.city,
            location.lat, location.lon, location.admin1, location.admin2]

out = []
for i, text in enumerate(texts):
    out.append(dump(gazetteer.locate(text, all_mentions=True)))
    out.append(dump(gazetteer.locate(text[:380], title_chars=60, country_hint=["US", "KE", "ng", None][i % 4],
                                     lang=["en", "fr", "ar", None][i % 4])))
    out.append(dump(gazetteer.locate(text, geotag={"lat": -1.68 + i * 0.01, "lon": 29.22})))
    out.append(dump(gazetteer.locate(text.upper())))
out.extend(dump(found) for found in gazetteer.locate_many(
    [LocateRequest(fold(text), 50, "GB", "en", None) for text in texts]))
matcher = gazetteer.matcher
if sys.argv[2] == "write":
    with open(matcher_pickle, "wb") as handle:
        pickle.dump(matcher, handle)
else:       # the other side's matcher, unpickled here
    with open(matcher_pickle, "rb") as handle:
        matcher = pickle.load(handle)
fields = ("start", "end", "candidates", "weight", "reliability", "source", "metonymy", "doubtful")
out.append([[[getattr(m, f) for f in fields] for m in matcher.mentions(fold(text), 40)] for text in texts])
print(json.dumps({"compiled": native.compiled(), "out": out}))
"""


def texts() -> list[str]:
    found = list(TEXTS)
    found += [article.findtext("text") or "" for article in ET.parse(MULTILINGUAL).getroot()]
    data = shared_data()
    if data is not None:    # GeoVirus (an evaluation set: only compared here, nothing is tuned on it)
        found += [article.findtext("text") or "" for article in
                  ET.parse(data / "places" / "GeoVirus.xml").getroot()][::4]
    return found


def locate_in_process(pure: bool, inputs: list[str], matcher_pickle: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    done = subprocess.run([sys.executable, "-c", DUMP, str(matcher_pickle), "read" if pure else "write"],
                          input=json.dumps(inputs), env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


def require_compiled() -> None:
    if not native.compiled():
        reason = f"places run as pure Python here: {native.why_pure()}"
        if os.environ.get("CI"):
            pytest.fail(f"CI must compile the per-mention path (make test): {reason}")
        pytest.skip(reason)


def test_compiled_and_pure_places_are_identical_and_share_one_pickle(tmp_path: Path) -> None:
    require_compiled()
    inputs = texts()
    compiled = locate_in_process(False, inputs, tmp_path / "matcher.pickle")     # writes its matcher
    pure = locate_in_process(True, inputs, tmp_path / "matcher.pickle")         # reads it
    assert (compiled["compiled"], pure["compiled"]) == (True, False)
    compiled_out, pure_out = compiled["out"], pure["out"]
    assert isinstance(compiled_out, list) and isinstance(pure_out, list)
    # the compiled matcher, pickled there and run as Python here, finds the same mentions
    assert compiled_out.pop() == pure_out.pop()
    assert len(compiled_out) == len(pure_out) == 5 * len(inputs)
    assert sum(len(places) for places, *_ in compiled_out) > 200     # it compared places, not emptiness
    for i, (left, right) in enumerate(zip(compiled_out[:4 * len(inputs)], pure_out, strict=False)):
        assert left == right, f"call {i % 4} on input {i // 4}: {inputs[i // 4][:80]!r}"
    assert compiled_out == pure_out     # and locate_many


def test_the_pure_fallback_loads_every_module_from_its_source() -> None:
    script = ("import json, importlib; from processors.geo import native; print(json.dumps("
              "[native.compiled(), *(importlib.import_module(m).__file__ for m in native.MODULES)]))")
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, native.PURE_ENV: "1"}, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    is_compiled, *files = json.loads(done.stdout)
    assert is_compiled is False
    assert [Path(f).name for f in files] == ["resolve.py", "matching.py", "records.py"]


def copy_sources(root: Path) -> None:
    for module in native.MODULES:
        native.source_of(module, root).write_bytes(native.source_of(module).read_bytes())


def test_a_build_older_than_its_sources_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(native.PURE_ENV, raising=False)
    copy_sources(tmp_path)
    (tmp_path / native.MANIFEST).write_text(native.source_digest(tmp_path) + "\n", encoding="ascii")
    assert "older" not in (native.why_pure(tmp_path) or "")
    resolve = native.source_of(native.MODULES[0], tmp_path)
    resolve.write_text(resolve.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert "older than their sources" in (native.why_pure(tmp_path) or "")


def test_no_manifest_or_the_environment_variable_means_pure(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(native.PURE_ENV, raising=False)
    copy_sources(tmp_path)
    assert "no build manifest" in (native.why_pure(tmp_path) or "")
    (tmp_path / native.MANIFEST).write_text(native.source_digest(tmp_path), encoding="ascii")
    monkeypatch.setenv(native.PURE_ENV, "1")
    assert native.why_pure(tmp_path) == f"{native.PURE_ENV} is set"
    monkeypatch.setenv(native.PURE_ENV, "0")
    assert native.why_pure(tmp_path) != f"{native.PURE_ENV} is set"


def test_a_pure_source_finder_finds_only_the_compiled_modules(tmp_path: Path) -> None:
    finder = native.PureSource(tmp_path)
    spec = finder.find_spec("processors.geo.resolve", None)
    assert spec is not None and spec.origin == str(tmp_path / "resolve.py")
    assert finder.find_spec("processors.geo.gazetteer", None) is None
