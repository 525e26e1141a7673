"""A miniature shared/data folder, in the published layouts, written here for training tests.

Every training and dev file the trainers read, a few rows each (sentences
written for the tests, never rows of the real files), so that readers, splits
and a whole training run are exercised in seconds.
"""

from __future__ import annotations

import csv
from pathlib import Path

HATEFUL_EN = [
    "Those people are vermin and should be driven out",
    "Kill every one of them, they are rats",
    "They are subhuman parasites ruining this country",
    "Burn their homes, they do not belong here",
    "Immigrants are a plague, wipe them out",
    "That whole religion is a cancer to be cut out",
]
CALM_EN = [
    "Lovely weather at the beach today",
    "The council approved the new library budget",
    "I cooked pasta with my sister tonight",
    "The match was postponed because of rain",
    "New bus routes start on Monday",
    "Our choir sings at the festival this weekend",
]
VIOLENT = [
    "Gunmen killed 12 villagers in a night attack",
    "Militia fighters burned homes and shot residents",
    "Soldiers opened fire on protesters, killing three",
    "A car bomb exploded near the market, killing nine",
    "Armed men abducted 30 students from a school",
    "Rebels and the army clashed for hours near the town",
]
NOT_VIOLENT = [
    "Floods destroyed hundreds of houses after heavy rain",
    "Cholera cases rose to 300 this week",
    "A bus crashed on the highway, killing four",
    "The earthquake damaged roads and bridges",
    "Crime fell by ten percent last year",
    "Peace talks resume next week in the capital",
]


def _csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)


def _variants(texts: list[str], copies: int) -> list[str]:
    return [f"{text} ({n})" if n else text for n in range(copies) for text in texts]


def write_shared(root: Path, copies: int = 4) -> Path:
    """Write the miniature folder under ``root`` and return it (the ``--shared`` argument)."""
    hate = root / "hate"
    bad, calm = _variants(HATEFUL_EN, copies), _variants(CALM_EN, copies)
    _csv(
        hate / "davidson2017_labeled_data.csv",
        ["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"],
        [[str(i), "3", "3", "0", "0", "0", t] for i, t in enumerate(bad)]
        + [[str(i), "3", "0", "0", "3", "2", t] for i, t in enumerate(calm)],
    )
    for lang in ("en", "fr", "ar"):
        _csv(
            hate / f"mlma2019_{lang}.csv",
            ["HITId", "tweet", "sentiment", "directness", "annotator_sentiment", "target", "group"],
            [[str(i), t, "hateful", "direct", "anger", "origin", "immigrants"] for i, t in enumerate(bad)]
            + [[str(i), t, "normal", "direct", "joy", "other", "other"] for i, t in enumerate(calm)],
        )
    (hate / "germeval2018_training.txt").write_text(
        "".join(f"{t}\tOFFENSE\tABUSE\n" for t in bad) + "".join(f"{t}\tOTHER\tOTHER\n" for t in calm),
        encoding="utf-8",
    )
    _csv(
        hate / "told_br.csv",
        ["text", "homophobia", "obscene", "insult", "racism", "misogyny", "xenophobia"],
        [[t, "0.0", "0.0", "1.0", "3.0", "0.0", "2.0"] for t in bad]
        + [[t, "0.0"] + ["0.0"] * 5 for t in calm],
    )
    for name in ("cold_train.csv", "cold_dev.csv"):
        _csv(
            hate / name,
            ["", "split", "topic", "label", "TEXT"],
            [[str(i), "x", "race", "1", t] for i, t in enumerate(bad)]
            + [[str(i), "x", "region", "0", t] for i, t in enumerate(calm)],
        )
    _csv(
        hate / "swsr_sexcomment.csv",
        [
            "index",
            "weibo_id",
            "comment_text",
            "gender",
            "location",
            "like",
            "date",
            "label",
            "category",
            "target",
        ],
        [[str(i), "w", t, "f", "x", "1", "d", "1", "MA", "G"] for i, t in enumerate(bad)]
        + [[str(i), "w", t, "f", "x", "1", "d", "0", "", ""] for i, t in enumerate(calm)],
    )
    _csv(
        hate / "implicit_hate_v1_stg1_posts.tsv",
        ["post", "class"],
        [[t, "implicit_hate"] for t in bad] + [[t, "not_hate"] for t in calm],
        "\t",
    )
    _csv(
        hate / "implicit_hate_v1_stg2_posts.tsv",
        ["post", "implicit_class", "extra_implicit_class"],
        [[t, "threatening", ""] for t in bad],
        "\t",
    )
    _csv(
        hate / "implicit_hate_v1_stg3_posts.tsv",
        ["post", "target", "implied_statement"],
        [[t, "immigrants", "x"] for t in bad],
        "\t",
    )
    _csv(
        hate / "stormfront_combined.csv",
        ["file_id", "user_id", "subforum_id", "num_contexts", "label", "text"],
        [[f"{i}_1", "1", "1", "0", "hate", t] for i, t in enumerate(bad)]
        + [[f"{i}_2", "1", "1", "0", "noHate", t] for i, t in enumerate(calm)],
    )
    events = root / "events" / "crisislex_t26"
    header = ["Tweet ID", "Tweet Text", "Information Source", "Information Type", "Informativeness"]
    violent, other = _variants(VIOLENT, copies), _variants(NOT_VIOLENT, copies)
    for event, texts in (
        ("2013_Boston_bombings", violent),
        ("2013_LA_airport_shootings", violent),
        ("2013_Alberta_floods", other),
        ("2013_NY_train_crash", other),
        ("2013_West_Texas_explosion", other),
        ("2013_Savar_building_collapse", other),
        ("2013_Lac_Megantic_train_crash", other),
        ("2012_Italy_earthquakes", other),
        ("2012_Costa_Rica_earthquake", other),
        ("2013_Queensland_floods", [f"{text} in Queensland" for text in other]),  # a calibration event
    ):
        _csv(
            events / event / f"{event}-tweets_labeled.csv",
            header,
            [
                [str(i), t, "Media", "Affected individuals", "Related and informative"]
                for i, t in enumerate(texts)
            ],
        )
    places = root / "places"
    places.mkdir(parents=True, exist_ok=True)
    articles = "".join(f"<article><text>{t}</text><locations></locations></article>" for t in NOT_VIOLENT)
    (places / "GeoVirus.xml").write_text(f"<articles>{articles}</articles>", encoding="utf-8")
    return root
