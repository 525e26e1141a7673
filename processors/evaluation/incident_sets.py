"""Build a fusion test set from CrisisLex T26 (training data): tweets of 26 crises, one incident each.

``python -m processors.evaluation.incident_sets CRISISLEX_DIR OUT.csv`` samples
``--per-event`` tweets labelled "Related and informative" from each event (retweets
and copies included: they are the syndicated copies fusion must count once) and
writes the CSV ``tocsin eval incidents`` reads, the gold incident being the event.
Each tweet is placed in its event's country and timed within the event's first
day. ``--one-place`` puts every event in one place on one day instead: fusion then
has only meaning to tell a flood from a bombing (the hardest case: different
events in the same place and day). ``--part even|odd`` keeps every other event,
so a threshold tuned on one half is measured on the other.

CrisisLex T26 (Olteanu et al., CSCW 2015) is MIT-licensed; the set is rebuilt, not shipped.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

COUNTRIES = {
    "US": "US",
    "Costa Rica": "CR",
    "Guatemala": "GT",
    "Italy": "IT",
    "Philipinnes": "PH",
    "Phillipines": "PH",
    "Venezuela": "VE",
    "Canada": "CA",
    "Australia": "AU",
    "Brazil": "BR",
    "UK": "GB",
    "Russia": "RU",
    "Bangladesh": "BD",
    "Singapore": "SG",
    "Spain": "ES",
}
COLUMNS = [
    "id",
    "incident",
    "text",
    "lang",
    "source",
    "author",
    "country",
    "admin1",
    "lat",
    "lon",
    "time",
    "category",
]
INFORMATIVE = "Related and informative"


def start_day(text: str) -> datetime:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(f"unknown date {text!r}")


def build(
    root: Path, *, per_event: int, seed: int, one_place: bool, part: str | None
) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    events = sorted(p for p in root.iterdir() if p.is_dir())
    if part is not None:
        events = events[0 if part == "even" else 1 :: 2]
    for event in events:
        (description,) = event.glob("*-event_description.json")
        (tweets,) = event.glob("*-tweets_labeled.csv")
        about = json.loads(description.read_text(encoding="utf-8"))
        with tweets.open(encoding="utf-8", errors="replace", newline="") as handle:
            informative = [
                r
                for r in csv.DictReader(handle, skipinitialspace=True)
                if r.get("Informativeness") == INFORMATIVE and (r.get("Tweet Text") or "").strip()
            ]
        day = datetime(2026, 1, 5, tzinfo=UTC) if one_place else start_day(about["time"]["start_day"])
        country = "XX" if one_place else COUNTRIES[about["location"]["country"]]
        for row in rng.sample(informative, min(per_event, len(informative))):
            rows.append(
                {
                    "id": f"{event.name}:{row['Tweet ID'].strip(chr(34))}",
                    "incident": event.name,
                    "text": " ".join(row["Tweet Text"].split()),
                    "lang": "",
                    "source": "twitter",
                    "author": f"user{rng.randrange(10**6)}",
                    "country": country,
                    "admin1": "",
                    "lat": "",
                    "lon": "",
                    "time": (day + timedelta(minutes=rng.randrange(24 * 60))).isoformat(),
                    "category": "violence_report",
                }
            )
    rows.sort(key=lambda r: r["time"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("crisislex", type=Path, help="the CrisisLexT26 folder (one folder per event)")
    parser.add_argument("out", type=Path)
    parser.add_argument("--per-event", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one-place", action="store_true", help="every event in one place on one day")
    parser.add_argument("--part", choices=["even", "odd"], default=None, help="every other event only")
    args = parser.parse_args(argv)
    rows = build(
        args.crisislex, per_event=args.per_event, seed=args.seed, one_place=args.one_place, part=args.part
    )
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(
        f"{len(rows)} items of {len({r['incident'] for r in rows})} incidents → {args.out}", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
