"""Build the recorded demo corpus in ``demo/corpus/`` from the shared public data sets.

Run from anywhere::

    python demo/build_corpus.py                    # reads ../shared, writes demo/corpus/
    python demo/build_corpus.py --check            # rebuild in a temp dir, compare byte for byte

Everything the corpus says comes from two public data sets, unchanged except where
SOURCES.md says so: WikiNews articles (via GeoVirus, CC BY 2.5) and tweets from MLMA
(MIT). Titles are derived (lead sentence / first words) and the publication times are
staged: every entry gets a time within the three days before a fixed nominal reference
instant, and two surges are placed on purpose so the demo has something to alert on.

The feed files carry ordinary absolute dates, ``REFERENCE`` plus the entry's offset,
so they are valid RSS 2.0 / Atom as committed; ``timeline.json`` names the reference,
and ``tocsin_embedded.feedserver`` shifts every date by ``demo start - REFERENCE``.

The output depends on nothing but the input files and this script (choices are made
by SHA-256 of fixed keys, not by ``random``), so a rebuild reproduces it byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import hashlib
import json
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared"
DEFAULT_OUT = REPO / "demo" / "corpus"

# Nominal instant the stored dates are relative to; the feed server moves it to "now".
REFERENCE = datetime(2024, 1, 1, tzinfo=UTC)
WINDOW_S = 3 * 24 * 3600
SEED = "tocsin-demo-corpus-v1"
LOCAL_SITE = "http://demo.tocsin.invalid"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# The violence/death surge: GeoVirus articles (1-based position in GeoVirus.xml) about
# killings, post-election violence and deadly outbreaks in Kenya, South Sudan and Angola.
NEWS_SURGE_ARTICLES = (84, 86, 89, 125, 165, 195)
NEWS_SURGE_START_S = -6 * 3600  # the hour [-6 h, -5 h) before the reference

# The hate-speech surge: English MLMA posts labelled hateful/offensive/abusive that
# target refugees or immigrants and name them in the text.
SOCIAL_SURGE_LANG = "en"
SOCIAL_SURGE_GROUPS = frozenset({"refugees", "immigrants"})
SOCIAL_SURGE_MENTION = re.compile(r"refugee|immigrant|migrant|alien|caravan", re.IGNORECASE)
SOCIAL_SURGE_SIZE = 45
SOCIAL_SURGE_START_S = -3 * 3600  # the hour [-3 h, -2 h) before the reference

# Posts per language: (normal, hateful, other non-normal) before the surge is added.
SOCIAL_MIX = {"en": (35, 30, 40), "fr": (50, 45, 55), "ar": (50, 45, 55)}
MIN_POST_WORDS = 4

WIKINEWS_RIGHTS = (
    "Article text from WikiNews (https://en.wikinews.org), CC BY 2.5, via the GeoVirus "
    "data set (Gritta et al., ACL 2018). Titles and dates are not the originals: see SOURCES.md."
)
MLMA_RIGHTS = (
    "Posts from the MLMA hate speech data set (Ousidhoum et al., EMNLP 2019), MIT licence, "
    "Copyright (c) 2019 HKUST-KnowComp. Titles and dates are not the originals: see SOURCES.md."
)


@dataclass(frozen=True)
class FeedSpec:
    name: str
    file: str
    format: str  # "rss" or "atom"
    language: str
    title: str
    description: str
    rights: str
    author: str


NEWS_FEEDS = {
    "africa": FeedSpec(
        "wikinews-africa", "wikinews-africa.xml", "rss", "en",
        "Tocsin demo: WikiNews outbreak reports, Africa and the Middle East",
        "WikiNews articles whose gold toponyms lie mostly in Africa or the Middle East.",
        WIKINEWS_RIGHTS, "WikiNews contributors",
    ),
    "americas": FeedSpec(
        "wikinews-americas", "wikinews-americas.xml", "atom", "en",
        "Tocsin demo: WikiNews outbreak reports, the Americas",
        "WikiNews articles whose gold toponyms lie mostly in the Americas.",
        WIKINEWS_RIGHTS, "WikiNews contributors",
    ),
    "eurasia": FeedSpec(
        "wikinews-eurasia", "wikinews-eurasia.xml", "rss", "en",
        "Tocsin demo: WikiNews outbreak reports, Europe, Asia and Oceania",
        "WikiNews articles whose gold toponyms lie mostly in Europe, Asia or Oceania.",
        WIKINEWS_RIGHTS, "WikiNews contributors",
    ),
}
SOCIAL_FEEDS = {
    lang: FeedSpec(
        f"social-{lang}", f"social-{lang}.xml", fmt, lang,
        f"Tocsin demo: social posts ({lang})",
        f"Posts from the MLMA hate speech data set, language '{lang}'.",
        MLMA_RIGHTS, "MLMA data set (Ousidhoum et al. 2019)",
    )
    for lang, fmt in (("en", "atom"), ("fr", "rss"), ("ar", "atom"))
}


@dataclass
class Entry:
    guid: str
    title: str
    text: str
    link: str
    offset_s: int = 0
    categories: list[str] = field(default_factory=list)


# --- deterministic choice -------------------------------------------------------------


def rank(*key: object) -> int:
    """A stable pseudo-random number for ``key``: same input, same number, any Python."""
    raw = ":".join([SEED, *map(str, key)]).encode("utf-8")
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")


def fraction(*key: object) -> float:
    return rank(*key) / 2**64


def spread(keys: Sequence[str], start_s: int, span_s: int, salt: str) -> dict[str, int]:
    """Offsets for ``keys``: one per equal slot of ``[start_s, start_s + span_s)``, jittered.

    The order of keys over the slots is shuffled by hash, so neighbours in the source
    data do not end up neighbours in time.
    """
    order = sorted(keys, key=lambda k: rank(salt, "order", k))
    slot = span_s / max(len(order), 1)
    return {
        key: start_s + int((i + fraction(salt, "jitter", key)) * slot)
        for i, key in enumerate(order)
    }


# --- text ----------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?][\"'”’)]?\s+")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "prof", "gen", "sen", "rep", "gov", "lt",
                            "col", "sgt", "jr", "sr", "inc", "co", "corp", "no", "vs", "etc", "u.s",
                            "u.k", "u.n", "e.g", "i.e", "a.m", "p.m", "jan", "feb", "mar", "apr",
                            "aug", "sept", "sep", "oct", "nov", "dec"})


def first_words(text: str, n: int) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


def lead_sentence(text: str) -> str:
    """The first sentence, not fooled by 'Dr.', 'U.S.' or initials."""
    for match in _SENTENCE_END.finditer(text):
        before = text[: match.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue
        return text[: match.start() + 1].strip()
    return text.strip()


def news_title(text: str) -> str:
    """WikiNews titles are not in GeoVirus: the lead sentence, or its first 12 words."""
    sentence = lead_sentence(text)
    return sentence if len(sentence.split()) <= 20 else first_words(sentence, 12)


# --- sources -------------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    number: int  # 1-based position in GeoVirus.xml
    source: str
    text: str
    region: str


def region_of(lat: float, lon: float) -> str:
    """A coarse region for a gold toponym: enough to split the feeds, not a gazetteer."""
    if lon < -25:
        return "americas"
    if -20 <= lon <= 55 and -36 <= lat <= 37.2:
        return "africa"  # Africa and the Middle East (south of Athens)
    return "eurasia"


def read_geovirus(path: Path) -> list[Article]:
    articles = []
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    for number, node in enumerate(root.iterfind("article"), start=1):
        regions: Counter[str] = Counter()
        for loc in node.iterfind("locations/location"):
            try:
                regions[region_of(float(loc.findtext("lat", "")), float(loc.findtext("lon", "")))] += 1
            except ValueError:
                continue
        # Ties go to the region named first in the text (Counter keeps insertion order).
        region = regions.most_common(1)[0][0] if regions else "eurasia"
        articles.append(Article(number, (node.findtext("source") or "").strip(),
                                (node.findtext("text") or "").strip(), region))
    return articles


@dataclass(frozen=True)
class Post:
    lang: str
    hit_id: str
    tweet: str
    sentiment: str
    target: str
    group: str

    @property
    def labels(self) -> set[str]:
        return set(self.sentiment.split("_"))


def read_mlma(path: Path, lang: str) -> list[Post]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [Post(lang, row["HITId"], row["tweet"].strip(), row["sentiment"], row["target"], row["group"])
                for row in csv.DictReader(fh)]


# --- selection and timing ------------------------------------------------------------


def news_entries(articles: list[Article]) -> dict[str, list[Entry]]:
    by_region: dict[str, list[Entry]] = {region: [] for region in NEWS_FEEDS}
    for art in articles:
        by_region[art.region].append(Entry(
            guid=f"urn:tocsin:geovirus-{art.number}", title=news_title(art.text), text=art.text,
            link=f"{LOCAL_SITE}/wikinews/{art.number}",
        ))
    surge = {f"urn:tocsin:geovirus-{n}" for n in NEWS_SURGE_ARTICLES}
    missing = surge - {e.guid for e in by_region["africa"]}
    if missing:
        raise SystemExit(f"news surge articles not in the Africa feed: {sorted(missing)}")
    for region, entries in by_region.items():
        base = [e.guid for e in entries if e.guid not in surge]
        offsets = spread(base, -WINDOW_S, WINDOW_S, f"news-{region}")
        offsets.update(spread([g for g in (e.guid for e in entries) if g in surge],
                              NEWS_SURGE_START_S, 3600, "news-surge"))
        for e in entries:
            e.offset_s = offsets[e.guid]
    return by_region


def pick(posts: Iterable[Post], n: int, salt: str) -> list[Post]:
    return sorted(posts, key=lambda p: rank(salt, p.lang, p.hit_id))[:n]


def post_entry(post: Post) -> Entry:
    return Entry(guid=f"urn:tocsin:mlma-{post.lang}-{post.hit_id}", title=first_words(post.tweet, 10),
                 text=post.tweet, link=f"{LOCAL_SITE}/mlma/{post.lang}/{post.hit_id}")


def social_entries(posts_by_lang: dict[str, list[Post]]) -> tuple[dict[str, list[Entry]], list[str]]:
    out: dict[str, list[Entry]] = {}
    surge_guids: list[str] = []
    for lang, posts in posts_by_lang.items():
        seen: set[str] = set()
        usable = []
        for post in posts:
            # Drop repeated texts (MLMA has a few) and stubs too short to read.
            if post.tweet in seen or len(post.tweet.split()) < MIN_POST_WORDS:
                continue
            seen.add(post.tweet)
            usable.append(post)
        surge: list[Post] = []
        if lang == SOCIAL_SURGE_LANG:
            candidates = [p for p in usable
                          if p.group in SOCIAL_SURGE_GROUPS and p.labels & {"hateful", "offensive", "abusive"}
                          and SOCIAL_SURGE_MENTION.search(p.tweet)]
            # Posts labelled hateful first: MLMA's 'offensive' alone is often mild.
            surge = sorted(candidates,
                           key=lambda p: ("hateful" not in p.labels, rank("surge", p.lang, p.hit_id)))
            surge = surge[:SOCIAL_SURGE_SIZE]
        rest = [p for p in usable if p not in surge]
        n_normal, n_hateful, n_other = SOCIAL_MIX[lang]
        chosen = (pick((p for p in rest if p.sentiment == "normal"), n_normal, "normal")
                  + pick((p for p in rest if "hateful" in p.labels), n_hateful, "hateful")
                  + pick((p for p in rest if "normal" not in p.labels and "hateful" not in p.labels),
                         n_other, "other"))

        entries = [post_entry(p) for p in chosen]
        offsets = spread([e.guid for e in entries], -WINDOW_S, WINDOW_S, f"social-{lang}")
        surge_entries = [post_entry(p) for p in surge]
        offsets.update(spread([e.guid for e in surge_entries], SOCIAL_SURGE_START_S, 3600, "social-surge"))
        surge_guids += [e.guid for e in surge_entries]
        for e in (all_entries := entries + surge_entries):
            e.offset_s = offsets[e.guid]
        out[lang] = all_entries
    return out, surge_guids


# --- writing -------------------------------------------------------------------------


def at(offset_s: int) -> datetime:
    return REFERENCE + timedelta(seconds=offset_s)


def rfc822(offset_s: int) -> str:
    return format_datetime(at(offset_s), usegmt=True)


def rfc3339(offset_s: int) -> str:
    return at(offset_s).strftime("%Y-%m-%dT%H:%M:%SZ")


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    el = etree.SubElement(parent, tag, attrib)
    if text is not None:
        el.text = text
    return el


def render(spec: FeedSpec, entries: list[Entry]) -> bytes:
    """The feed document, newest entry first, dated by the offsets from ``REFERENCE``."""
    entries = sorted(entries, key=lambda e: (-e.offset_s, e.guid))
    newest = entries[0].offset_s
    home = f"{LOCAL_SITE}/{spec.name}/"
    if spec.format == "rss":
        root = etree.Element("rss", version="2.0")
        channel = sub(root, "channel")
        sub(channel, "title", spec.title)
        sub(channel, "link", home)
        sub(channel, "description", spec.description)
        sub(channel, "language", spec.language)
        sub(channel, "copyright", spec.rights)
        sub(channel, "lastBuildDate", rfc822(newest))
        for e in entries:
            item = sub(channel, "item")
            sub(item, "title", e.title)
            sub(item, "link", e.link)
            sub(item, "description", e.text)
            sub(item, "guid", e.guid, isPermaLink="false")
            sub(item, "pubDate", rfc822(e.offset_s))
    else:
        root = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
        root.set(XML_LANG, spec.language)
        a = f"{{{ATOM_NS}}}"
        sub(root, a + "id", f"urn:tocsin:feed:{spec.name}")
        sub(root, a + "title", spec.title)
        sub(root, a + "subtitle", spec.description)
        sub(root, a + "link", href=home, rel="alternate")
        sub(root, a + "updated", rfc3339(newest))
        sub(sub(root, a + "author"), a + "name", spec.author)
        sub(root, a + "rights", spec.rights)
        for e in entries:
            entry = sub(root, a + "entry")
            sub(entry, a + "id", e.guid)
            sub(entry, a + "title", e.title)
            sub(entry, a + "link", href=e.link, rel="alternate")
            sub(entry, a + "published", rfc3339(e.offset_s))
            sub(entry, a + "updated", rfc3339(e.offset_s))
            sub(entry, a + "content", e.text, type="text")
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")


def feeds_yaml(specs: list[FeedSpec]) -> str:
    lines = [
        "# Collector config for the recorded demo corpus. '{base}' is replaced by the URL of",
        "# the local feed server (tocsin_embedded.corpus.demo_feeds_yaml). Generated by",
        "# demo/build_corpus.py: edit that, not this file.",
        "feeds:",
    ]
    for spec in specs:
        lines += [
            f"  - name: {spec.name}",
            f'    url: "{{base}}/{spec.file}"',
            "    country: null",
            f"    language: {spec.language}",
            "    interval: 60",
        ]
    return "\n".join(lines) + "\n"


def sources_md(counts: dict[str, int], surge_list: list[dict[str, Any]]) -> str:
    rows = "\n".join(f"| `{name}` | {n} |" for name, n in counts.items())
    surges = "\n".join(
        f"  - **{s['name']}** in `{s['feed']}`: {s['count']} entries in the hour "
        f"[{s['start_offset_s'] // 3600:+d} h, {s['end_offset_s'] // 3600:+d} h) "
        f"before the reference. {s['criteria']}"
        for s in surge_list
    )
    return f"""# Demo corpus: sources, licences and what was changed

Generated by `demo/build_corpus.py` from the files in `shared/data/`; do not edit by
hand. Rebuild with `python demo/build_corpus.py`, verify with `--check`.

Nothing here is invented: every title and text is public text from the two data sets
below. What *is* staged is the timing (see "What was changed").

| feed file | entries |
|---|---|
{rows}

## WikiNews articles (via GeoVirus) — CC BY 2.5

Files: `wikinews-africa.xml`, `wikinews-americas.xml`, `wikinews-eurasia.xml`.

Article text from **WikiNews** (https://en.wikinews.org), by WikiNews contributors,
licensed under the Creative Commons Attribution 2.5 licence
(https://creativecommons.org/licenses/by/2.5/). The texts were taken from the
**GeoVirus** data set: Milan Gritta, Mohammad Taher Pilehvar and Nigel Collier,
"Which Melbourne? Augmenting Geocoding with Maps", ACL 2018
(https://github.com/milangritta/Geocoding-with-Map-Vector, `data/GeoVirus.xml`).
The original WikiNews page of each entry is listed in `wikinews-sources.tsv`
(entry guid → page URL). GeoVirus holds some articles in more than one part; each
part is one entry here.

## MLMA posts — MIT licence

Files: `social-en.xml`, `social-fr.xml`, `social-ar.xml`.

Posts from the **MLMA** multilingual hate speech data set: Nedjma Ousidhoum, Zizheng
Lin, Hongming Zhang, Yangqiu Song and Dit-Yan Yeung, "Multilingual and Multi-Aspect
Hate Speech Analysis", EMNLP 2019 (https://github.com/HKUST-KnowComp/MLMA_hate_speech).
The posts are as they are in the data set (which already replaced user names by
`@user` and links by `@url`, and removed many stop words). They contain hateful and
offensive language: that is why they are here. MLMA's labels are noisy and its English
file holds a few French posts; both are left as they are.

    MIT License

    Copyright (c) 2019 HKUST-KnowComp

    Permission is hereby granted, free of charge, to any person obtaining a copy
    of this software and associated documentation files (the "Software"), to deal
    in the Software without restriction, including without limitation the rights
    to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
    copies of the Software, and to permit persons to whom the Software is
    furnished to do so, subject to the following conditions:

    The above copyright notice and this permission notice shall be included in all
    copies or substantial portions of the Software.

    THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
    IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
    FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
    AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
    LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
    OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
    SOFTWARE.

MLMA is also in the project's classifier *training* data (`shared/data/hate/`): a
classifier trained on it has seen these posts, so the demo shows the pipeline working,
not how well the classifier generalises.

## What was changed

- **Titles are derived.** GeoVirus has no WikiNews headlines: an article's title is its
  lead sentence, or that sentence's first 12 words when it is longer than 20 words. A
  post's title is its first 10 words.
- **Links and ids are made up and local.** Links point to `{LOCAL_SITE}/…` (the
  `.invalid` top-level domain never resolves); guids are `urn:tocsin:geovirus-<n>`
  (n = 1-based position in GeoVirus.xml) and `urn:tocsin:mlma-<lang>-<HITId>`.
- **Feeds are a split, not the originals.** Articles go to a feed by the region where
  most of their gold toponyms lie (a coarse latitude/longitude box).
- **Selection.** Per language, a fixed hash-ordered sample of posts labelled `normal`,
  posts with a `hateful` label and other non-normal posts (offensive, abusive,
  disrespectful, fearful); repeated texts and posts under {MIN_POST_WORDS} words left out.
- **Timing is staged, not historical.** The publication dates are not the originals
  (GeoVirus and MLMA carry none). Each entry sits at a fixed offset within the
  {WINDOW_S // 3600} hours before a nominal reference instant,
  {REFERENCE.strftime("%Y-%m-%dT%H:%M:%SZ")}, spread evenly by hash, except for two
  surges placed on purpose so that the demo has a burst to detect:
{surges}

  The feed files carry ordinary dates (reference + offset), so they are valid RSS 2.0 /
  Atom as stored. `timeline.json` names the reference and the surges; the demo's feed
  server (`tocsin_embedded.feedserver`, time-shifted mode) moves every date by
  `demo start - reference` so that the items look current.

`feeds.yaml` is the collector configuration for these feeds; `{{base}}` stands for the
local feed server's URL.
"""


def build(shared: Path, out: Path) -> dict[str, int]:
    """Write the corpus into ``out``; return entries per feed file."""
    articles = read_geovirus(shared / "data" / "places" / "GeoVirus.xml")
    posts = {lang: read_mlma(shared / "data" / "hate" / f"mlma2019_{lang}.csv", lang)
             for lang in SOCIAL_FEEDS}
    news = news_entries(articles)
    social, social_surge = social_entries(posts)

    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    specs: list[FeedSpec] = []
    for region, entries in news.items():
        spec = NEWS_FEEDS[region]
        (out / spec.file).write_bytes(render(spec, entries))
        counts[spec.file] = len(entries)
        specs.append(spec)
    for lang, entries in social.items():
        spec = SOCIAL_FEEDS[lang]
        (out / spec.file).write_bytes(render(spec, entries))
        counts[spec.file] = len(entries)
        specs.append(spec)

    timeline: dict[str, Any] = {
        "about": "Dates in the feed files are reference + offset; the demo feed server shifts "
                 "them by (demo start - reference). Surges are staged: see SOURCES.md.",
        "reference": REFERENCE.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "window_s": WINDOW_S,
        "feeds": counts,
        "surges": [
            {
                "name": "violence-news", "feed": NEWS_FEEDS["africa"].file, "language": "en",
                "start_offset_s": NEWS_SURGE_START_S, "end_offset_s": NEWS_SURGE_START_S + 3600,
                "count": len(NEWS_SURGE_ARTICLES),
                "criteria": "WikiNews articles on killings, post-election violence and deadly "
                            "outbreaks in Kenya, South Sudan and Angola.",
                "guids": [f"urn:tocsin:geovirus-{n}" for n in NEWS_SURGE_ARTICLES],
            },
            {
                "name": "hate-speech", "feed": SOCIAL_FEEDS[SOCIAL_SURGE_LANG].file,
                "language": SOCIAL_SURGE_LANG,
                "start_offset_s": SOCIAL_SURGE_START_S, "end_offset_s": SOCIAL_SURGE_START_S + 3600,
                "count": len(social_surge),
                "criteria": "MLMA posts labelled hateful, offensive or abusive (hateful first), targeting "
                            "refugees or immigrants and naming them (refugee, immigrant, migrant, alien, "
                            "caravan).",
                "guids": social_surge,
            },
        ],
    }
    (out / "timeline.json").write_text(json.dumps(timeline, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    (out / "feeds.yaml").write_text(feeds_yaml(specs), encoding="utf-8")
    (out / "wikinews-sources.tsv").write_text(
        "guid\twikinews_url\n"
        + "".join(f"urn:tocsin:geovirus-{a.number}\t{a.source}\n" for a in articles),
        encoding="utf-8",
    )
    (out / "SOURCES.md").write_text(sources_md(counts, timeline["surges"]), encoding="utf-8")
    return counts


OUTPUT_FILES = (
    *(spec.file for spec in NEWS_FEEDS.values()),
    *(spec.file for spec in SOCIAL_FEEDS.values()),
    "timeline.json", "feeds.yaml", "wikinews-sources.tsv", "SOURCES.md",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                        help=f"the shared folder holding data/ (default: {DEFAULT_SHARED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--check", action="store_true",
                        help="build in a temporary folder and fail if it differs from --out")
    args = parser.parse_args(argv)
    if not (args.shared / "data").is_dir():
        parser.error(f"no data/ folder in {args.shared}: pass --shared PATH")
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            build(args.shared, Path(tmp))
            differ = [name for name in OUTPUT_FILES
                      if not (args.out / name).is_file()
                      or not filecmp.cmp(Path(tmp) / name, args.out / name, shallow=False)]
        if differ:
            print(f"{args.out} is stale, rebuild it: {', '.join(differ)}", file=sys.stderr)
            return 1
        print(f"{args.out} matches a fresh build")
        return 0
    counts = build(args.shared, args.out)
    for name, n in counts.items():
        print(f"{n:4d}  {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
