"""Violence-report examples: CrisisLex T26 crisis tweets, GeoVirus outbreak news, and hand-written reports.

``violence_report`` means: the text reports violence by people against people
or property that has happened or is under way (a clash, an attack, a killing,
a strike, a bombing, sexual violence, an abduction, arson, people driven out,
armed forces massing, a mob). Disease outbreaks, disasters, accidents and
crime statistics are not, and are the hard negatives, since they carry the
same words (killed, dead, fled, explosion).

Subtypes (sub-labels of ``violence_report``): see :data:`SUBTYPES`.

Where the examples come from, and how they are kept apart:

* **CrisisLex T26** (Olteanu et al. 2015; MIT): the event's type is a weak
  label. *Training*: Boston bombings tweets that are "related and
  informative" and about affected people, infrastructure, advice or other
  news → violent (``bombing_explosive``); every tweet of the disaster and
  accident events not held out → not violent. *Dev* (held out whole): the
  LA airport shooting's "affected individuals" tweets → violent
  (``attack_on_civilians``), and the informative tweets of five disaster and
  accident events (:data:`DEV_NEGATIVE_EVENTS`) → not violent.
* **GeoVirus** (Gritta et al. 2018; WikiNews, CC BY 2.5): 229 outbreak
  articles → not violent, except seven that report violence
  (:data:`GEOVIRUS_VIOLENT`), in the dev set only (it is a places evaluation
  file: measured on, never trained on).
* **Hand-written** (this repository): reports and hard negatives written the
  way wire services, local outlets and posts phrase them, in several languages:
  ``processors/training/data/violence_written.csv`` for training (and
  :data:`WRITTEN_TRAIN_MORE`: raids and militia attacks on villages, posts
  written during attacks, their hard negatives),
  ``processors/evaluation/data/violence_dev_written.csv`` for the dev set only
  (written first, before any training).
"""

from __future__ import annotations

import csv
import hashlib
import random
import xml.etree.ElementTree as ET
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from processors.encoders.protocol import prepare_text
from processors.training.datasets import DatasetError
from processors.training.hate_corpora import PREPARED_CHARS, order_key, split_of

SUBTYPES: tuple[str, ...] = (
    "armed_clash",
    "attack_on_civilians",
    "killing",
    "air_strike_shelling",
    "bombing_explosive",
    "sexual_violence",
    "abduction",
    "arson_destruction",
    "displacement",
    "mobilisation",
    "mob_violence",
)
HARD_NEGATIVES: tuple[str, ...] = (
    "disease",
    "disaster",
    "accident",
    "crime_statistics",
    "figurative",
    "fiction",
    "commentary",
    "other",
)

VIOLENT_EVENTS_TRAIN = {"2013_Boston_bombings": "bombing_explosive"}
VIOLENT_EVENTS_DEV = {"2013_LA_airport_shootings": "attack_on_civilians"}
DEV_NEGATIVE_EVENTS = (
    "2013_West_Texas_explosion",
    "2013_Savar_building_collapse",
    "2013_Lac_Megantic_train_crash",
    "2012_Italy_earthquakes",
    "2012_Costa_Rica_earthquake",
)
# Weak labels: "Other Useful Information" mixes updates on the attack with commentary on the
# suspects and the trial; without it, tweets reporting an attack are too few to learn from.
_REPORT_TYPES_TRAIN = {"Affected individuals", "Other Useful Information", "Infrastructure and utilities",
                       "Caution and advice"}
_EVENT_LANGS = {
    "2012_Italy_earthquakes": "it",
    "2012_Costa_Rica_earthquake": "es",
    "2012_Guatemala_earthquake": "es",
    "2012_Venezuela_refinery": "es",
    "2013_Brazil_nightclub_fire": "pt",
    "2013_Spain_train_crash": "es",
}
EVENT_CALIBRATION_SHARE = 0.2
"""Share of the CrisisLex training events (by a hash of the event's name) whose every tweet is calibration."""
HELD_OUT = "held_out"
"""The split of a fold's held-out event (``held_out_events``): read by defer_bands, never by training."""
SPLITS_BY = ("event", "text")
"""How training rows are parted from calibration rows (:func:`calibration_split`); ``event`` by default."""


def event_split(group: str, share: float = EVENT_CALIBRATION_SHARE) -> str:
    """'calibration' or 'train' for every row of one event (``group``), from a hash of the group key.

    Calibration measures events the heads never saw: rows of one event share its
    names, places and the wording of its retweets, and calibration rows drawn from
    a training event make a head (and the deferral bands drawn on it) look surer
    than it is on a new event. Keys in use: ``crisislex/<event folder>`` (the 2013
    Boston bombings fall in train; the Guatemala and Bohol earthquakes, the
    Australia bushfire, the Brazil nightclub fire and the Manila and Queensland
    floods in calibration) and, for a hand-written row,
    which has no event id and describes an invented event of its own,
    ``written/<its text>``.
    """
    digest = hashlib.sha256(b"event:" + group.encode("utf-8", "surrogatepass")).digest()
    return "calibration" if int.from_bytes(digest[:8], "big") / 2**64 < share else "train"


def calibration_split(group: str, text: str, by: str = "event") -> str:
    """'calibration' or 'train' for one row: by its event (:func:`event_split`) or (``by="text"``) its text.

    ``text`` is the split before 2026-12-07 (a hash of each row's text,
    :func:`~processors.training.hate_corpora.split_of`): rows of one event on both
    sides. It is kept to redraw the default profile's bands, which were drawn on
    it, from the heads they were drawn for (``defer_bands --split text``).
    """
    if by == "text":
        return "calibration" if split_of(text) == "calibration" else "train"
    if by != "event":
        raise ValueError(f"split by {by!r}: expected one of {SPLITS_BY}")
    return event_split(group)


_DATA = Path(__file__).resolve().parent / "data"
WRITTEN_TRAIN = _DATA / "violence_written.csv"
WRITTEN_TRAIN_MORE = (_DATA / "violence_written_regional.csv", _DATA / "violence_written_posts.csv")
"""Written after the first heads missed such reports (see the model card): raids, banditry and
militia attacks on villages (East Africa, the Sahel) in news style; posts written during and
after an attack; each with its hard negatives (livestock disease, drought, accidents told in
the same words, stock-theft arrests, peace deals)."""
WRITTEN_DEV = Path(__file__).resolve().parents[1] / "evaluation" / "data" / "violence_dev_written.csv"


@dataclass(frozen=True, slots=True)
class ViolenceExample:
    text: str
    lang: str  # as far as the source says; 'und' when mixed
    source: str
    violent: bool
    kind: str  # a subtype when violent, a hard-negative kind (or 'other') when not
    split: str = "train"
    event: str = ""  # the group key :func:`event_split` reads (calibration and train rows only)


def read_written(
    path: Path, source: str, split: str | None = None, *, split_by: str = "event"
) -> list[ViolenceExample]:
    """A hand-written CSV (text, lang, violent, subtype); ``split`` None: :func:`calibration_split`."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    out = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for number, row in enumerate(reader, start=2):
            violent = (row.get("violent") or "").strip()
            kind = (row.get("subtype") or "").strip()
            if violent not in {"0", "1"}:
                raise DatasetError(f"{path}: row {number}, column 'violent': {violent!r} is not 0 or 1")
            allowed = SUBTYPES if violent == "1" else HARD_NEGATIVES
            if kind not in allowed:
                raise DatasetError(f"{path}: row {number}, column 'subtype': {kind!r} not in {allowed}")
            text = row["text"] or ""
            event = f"written/{_key(text)}"
            lang = (row.get("lang") or "und").strip()
            where = split or calibration_split(event, text, split_by)
            out.append(ViolenceExample(text, lang, source, violent == "1", kind, where, event))
    return out


def _event_rows(events_dir: Path, event: str) -> list[dict[str, str]]:
    path = events_dir / event / f"{event}-tweets_labeled.csv"
    if not path.is_file():
        raise DatasetError(f"{path}: no such file (see shared/data/README.md)")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, skipinitialspace=True)
        missing = {"Tweet Text", "Informativeness", "Information Type"} - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(f"{path}: no column(s) {sorted(missing)}")
        return list(reader)


def events(events_dir: Path) -> list[str]:
    return sorted(path.name for path in events_dir.iterdir() if path.is_dir())


def crisislex_texts(events_dir: Path) -> list[str]:
    """Every tweet of every CrisisLex T26 event, in event order: text only (language ID reads them
    as Latin-script text that is not romanised Hindi; no label is read)."""
    return [row["Tweet Text"] for event in events(events_dir) for row in _event_rows(events_dir, event)]


def read_crisislex_train(
    events_dir: Path,
    *,
    per_negative_event: int | None = 150,
    per_accident_event: int | None = 150,
    held_out_events: Collection[str] = (),
    split_by: str = "event",
) -> list[ViolenceExample]:
    """Training and calibration examples from the events not held out for the dev set.

    A disaster event gives at most ``per_negative_event`` tweets, an accident
    (crash, explosion, fire, collapse) at most ``per_accident_event`` (in a fixed
    hash order; None: all): floods teach little more with 1,000 tweets each than
    with 150, and each costs an encoder pass, while accidents, told with the words
    of attacks (explosion, dead, injured), are the hardest negatives.

    ``held_out_events`` (folder names): their rows get the split ``held_out``,
    neither trained on nor used for Platt scaling: a fold that holds out a
    training event (the one violent one, Boston) so that the deferral bands can
    be measured on an event the heads never saw, as the dev set's LA shooting
    measures the shipped heads (see :mod:`processors.training.defer_bands`).
    ``split_by``: see :func:`calibration_split`.
    """
    held_out = set(VIOLENT_EVENTS_DEV) | set(DEV_NEGATIVE_EVENTS)
    unknown = sorted(set(held_out_events) - set(events(events_dir)))
    if unknown:
        raise DatasetError(f"{events_dir}: no event folder(s) {unknown} to hold out for calibration")
    out = []
    for event in events(events_dir):
        if event in held_out:
            continue
        lang = _EVENT_LANGS.get(event, "en")
        rows = _event_rows(events_dir, event)
        cap = per_accident_event if _is_accident(event) else per_negative_event
        if event not in VIOLENT_EVENTS_TRAIN and cap is not None:
            rows = sorted(rows, key=lambda row: order_key(row["Tweet Text"] or ""))[:cap]
        group = f"crisislex/{event}"
        for row in rows:
            text = row["Tweet Text"] or ""
            split = HELD_OUT if event in held_out_events else calibration_split(group, text, split_by)
            if event in VIOLENT_EVENTS_TRAIN:
                if (
                    row["Informativeness"] == "Related and informative"
                    and row["Information Type"] in _REPORT_TYPES_TRAIN
                ):
                    out.append(
                        ViolenceExample(
                            text, lang, "crisislex", True, VIOLENT_EVENTS_TRAIN[event], split, group
                        )
                    )
                continue
            kind = "accident" if _is_accident(event) else "disaster"
            out.append(ViolenceExample(text, lang, "crisislex", False, kind, split, group))
    return out


def _is_accident(event: str) -> bool:
    return (
        "crash" in event
        or "explosion" in event
        or "refinery" in event
        or ("fire" in event and "wildfire" not in event)
        or "collapse" in event
    )


def read_crisislex_dev(
    events_dir: Path, *, positives: int = 150, per_negative_event: int = 60, seed: int = 12
) -> list[ViolenceExample]:
    rng = random.Random(seed)
    out = []
    for event, subtype in VIOLENT_EVENTS_DEV.items():
        rows = [
            row["Tweet Text"]
            for row in _event_rows(events_dir, event)
            if row["Informativeness"] == "Related and informative"
            and row["Information Type"] == "Affected individuals"
        ]
        out += [
            ViolenceExample(text, "en", "crisislex", True, subtype, "dev")
            for text in rng.sample(rows, min(positives, len(rows)))
        ]
    for event in DEV_NEGATIVE_EVENTS:
        rows = [
            row["Tweet Text"]
            for row in _event_rows(events_dir, event)
            if row["Informativeness"] == "Related and informative"
        ]
        kind = "disaster" if "earthquake" in event else "accident"
        out += [
            ViolenceExample(text, _EVENT_LANGS.get(event, "en"), "crisislex", False, kind, "dev")
            for text in rng.sample(rows, min(per_negative_event, len(rows)))
        ]
    return out


# GeoVirus is about outbreaks, but a few of its articles report violence; read and labelled here
# (by article position in GeoVirus.xml, 1-based) when the dev set was built, before any training.
GEOVIRUS_VIOLENT = {
    67: "mob_violence",          # Seoul beef protests: hundreds injured in clashes with riot police
    89: "killing",               # six aid workers killed on the Juba-Pibor road
    124: "displacement",         # eastern Chad: 150,000 displaced by attacks on villages
    125: "attack_on_civilians",  # cattle rustlers kill eleven in a village near Isiolo, Kenya
    195: "displacement",         # Kenya: appeal for 500,000 affected by post-election violence
    207: "armed_clash",          # two-hour gun battle, army against drug hitmen, Acapulco
    224: "killing",              # children killed by a cake poisoned with thallium, Baghdad
}


def read_geovirus(path: Path) -> list[ViolenceExample]:
    """GeoVirus articles: outbreak news (hard negatives), except the few that report violence."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file (see shared/data/README.md)")
    import defusedxml.ElementTree as SafeET

    root: ET.Element = SafeET.parse(path).getroot()
    out = []
    for number, article in enumerate(root, start=1):
        text = article.findtext("text") or ""
        if not text.strip():
            continue
        subtype = GEOVIRUS_VIOLENT.get(number)
        out.append(ViolenceExample(text, "en", "geovirus", subtype is not None, subtype or "disease", "dev"))
    return out


def dev_set(shared: Path) -> list[ViolenceExample]:
    """The violence dev set: never trained on, never used to pick a threshold."""
    return (
        read_written(WRITTEN_DEV, "written", split="dev")
        + read_crisislex_dev(shared / "events" / "crisislex_t26")
        + read_geovirus(shared / "places" / "GeoVirus.xml")
    )


def training_set(
    shared: Path,
    *,
    per_accident_event: int | None = 150,
    held_out_events: Collection[str] = (),
    split_by: str = "event",
) -> list[ViolenceExample]:
    """Training and calibration examples (splits set per example); none whose text is in the dev set.

    Retweets repeat a text across events; one that the dev set holds is left out here.
    """
    held_out = {_key(example.text) for example in dev_set(shared)}
    events_dir = shared / "events" / "crisislex_t26"
    crisislex = read_crisislex_train(
        events_dir, per_accident_event=per_accident_event, held_out_events=held_out_events, split_by=split_by
    )
    written = [
        read_written(path, "written", split_by=split_by) for path in (WRITTEN_TRAIN, *WRITTEN_TRAIN_MORE)
    ]
    examples = crisislex + [example for examples in written for example in examples]
    return [example for example in examples if _key(example.text) not in held_out]


def _key(text: str) -> str:
    return prepare_text(text, PREPARED_CHARS).lower()


def write_dev_csv(examples: list[ViolenceExample], path: Path) -> None:
    """The dev set as ``tocsin eval violence`` reads it: text, violent, subtype (or kind), lang, source."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "violent", "subtype", "lang", "source"])
        for example in examples:
            writer.writerow(
                [
                    example.text,
                    int(example.violent),
                    example.kind,  # a subtype, or for a calm row its kind (disease, accident...)
                    example.lang,
                    example.source,
                ]
            )
