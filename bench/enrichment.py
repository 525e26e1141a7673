"""Speed, memory and accuracy of the enrichment stage; run ``python -m bench.enrichment``.

Pin it to one core to get per-core numbers: ``taskset -c 0 python -m bench.enrichment``.
Speed is measured on the GeoVirus WikiNews articles (about 1,700 characters:
full news text) and on RSS-sized items (title + the first 300 characters).
GeoVirus is an evaluation set: it is only measured here, never tuned on.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from processors.categories import load_categories
from processors.enrich import Enricher, decode_item
from processors.folding import fold
from processors.geo.gazetteer import Gazetteer
from processors.geo.shared import build_compact
from processors.language import LanguageIdentifier
from tests.processors.conftest import CATEGORIES_FILE, shared_data
from tocsin.schema import Item, SourceRef
from tocsin.settings import ProcessingSettings


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6


def trim() -> None:
    """Give freed heap back to the OS so RSS shows what is really kept."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def per_second(function: Callable[[Any], object], inputs: Sequence[Any], seconds: float = 2.0) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for value in inputs:
            function(value)
        done += len(inputs)
    return done / (time.perf_counter() - start)


def articles() -> list[dict[str, Any]]:
    data = shared_data()
    if data is None:
        raise SystemExit("shared/data not found (set TOCSIN_SHARED_DATA)")
    out = []
    for article in ET.parse(data / "places" / "GeoVirus.xml").getroot():
        gold = [{"start": int(loc.findtext("start") or 0), "end": int(loc.findtext("end") or 0),
                 "lat": float(loc.findtext("lat") or 0), "lon": float(loc.findtext("lon") or 0)}
                for loc in article.iter("location")]
        out.append({"text": article.findtext("text") or "", "gold": gold})
    return out


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 6371 * 2 * math.asin(math.sqrt(a))


def main() -> None:
    docs = articles()
    texts = [doc["text"] for doc in docs]
    short = [text[:300] for text in texts]

    trim()
    before, start = rss_mb(), time.perf_counter()
    gazetteer = build_compact()
    built = time.perf_counter() - start
    trim()
    print(f"gazetteer (build_compact, as shared_gazetteer does): {gazetteer.keys:,} keys, "
          f"loaded in {built:.2f} s, RSS +{rss_mb() - before:.0f} MB")
    before, start = rss_mb(), time.perf_counter()
    in_process = Gazetteer()
    built = time.perf_counter() - start
    trim()
    print(f"gazetteer built in-process: {built:.2f} s, RSS +{rss_mb() - before:.0f} MB (heap fragmentation)")
    del in_process
    before, start = rss_mb(), time.perf_counter()
    language = LanguageIdentifier()
    print(f"language models: loaded in {time.perf_counter() - start:.2f} s, RSS +{rss_mb() - before:.0f} MB")
    categories = load_categories(CATEGORIES_FILE)

    print("\nitems/s on this core     article(1.7k chars)   rss item(300 chars)")
    steps: list[tuple[str, Callable[[Any], object]]] = [
        ("fold", fold),
        ("language", language.identify),
        ("categories (from text)", lambda t: categories.match(t, "en")),
        ("places (from text)", gazetteer.locate),
    ]
    for name, function in steps:
        print(f"  {name:24s} {per_second(function, texts):12,.0f} {per_second(function, short):20,.0f}")

    enricher = Enricher(categories=categories, classifiers=load_enricher_classifiers(categories),
                        language=language, gazetteer=gazetteer)
    now = datetime.now(UTC)
    items = [make_item(i, text) for i, text in enumerate(texts)]
    short_items = [make_item(i, text) for i, text in enumerate(short)]
    payloads = [item.to_bytes() for item in items]

    def batches(batch: Sequence[Item]) -> Callable[[int], object]:
        return lambda _: enricher.enrich_many(batch, now)

    for label, batch in (("article", items), ("rss item", short_items)):
        rate = per_second(batches(batch), [0]) * len(batch)
        print(f"  enrich_many ({label}) {rate:14,.0f} items/s")
    decode_rate = per_second(lambda p: decode_item(p, 1 << 20), payloads)
    roundtrip = per_second(lambda p: enricher.enrich(decode_item(p, 1 << 20), now).to_bytes(), payloads)
    print(f"  decode_item (article)    {decode_rate:12,.0f} items/s")
    print(f"  decode+enrich+encode     {roundtrip:12,.0f} items/s (article)")

    evaluate_places(gazetteer, docs)
    hits = sum("violence_report" in categories.match(text, "en") for text in texts)
    print(f"\nviolence_report fired on {hits}/{len(texts)} GeoVirus disease-outbreak articles "
          "(false positives)")


def load_enricher_classifiers(categories: Any) -> list[Any]:
    from processors.classifiers import build_classifiers

    return build_classifiers(ProcessingSettings().classifiers, categories)


def make_item(i: int, text: str) -> Item:
    return Item(id=str(i), source=SourceRef(type="rss", name="bench"), title=text[:80], text=text,
                collected=datetime.now(UTC), raw_sha256="0" * 64, content_sha256="1" * 64)


def evaluate_places(gazetteer: Gazetteer, docs: list[dict[str, Any]]) -> None:
    gold_total = found = ours_total = ours_on_gold = 0
    errors: list[float] = []
    for doc in docs:
        places = gazetteer.locate(doc["text"]).places
        spans = []
        text = doc["text"]
        for place in places:
            start = 0
            while (index := text.find(place.matched, start)) >= 0:
                spans.append((index, index + len(place.matched), place))
                start = index + 1
        ours_total += len(spans)
        ours_on_gold += sum(any(s < g["end"] and g["start"] < e for g in doc["gold"]) for s, e, _ in spans)
        for gold in doc["gold"]:
            gold_total += 1
            match = next((p for s, e, p in spans if s < gold["end"] and gold["start"] < e), None)
            if match is None:
                continue
            found += 1
            if match.lat is not None and match.lon is not None:
                errors.append(km(gold["lat"], gold["lon"], match.lat, match.lon))
    errors.sort()
    within = sum(error <= 161 for error in errors)
    print(f"\nGeoVirus toponyms: recall {found / gold_total:.3f} ({found}/{gold_total}), "
          f"precision {ours_on_gold / max(ours_total, 1):.3f} ({ours_on_gold}/{ours_total} mentions)")
    if errors:
        print(f"  cities/regions found with coordinates: {len(errors)}; "
              f"within 161 km: {within / len(errors):.3f}; "
              f"median error {errors[len(errors) // 2]:.0f} km, mean {sum(errors) / len(errors):.0f} km")


if __name__ == "__main__":
    main()
