"""Language ID on short posts: accuracy per file, speed, memory.

Run ``taskset -c 0 python -m bench.language_short [--speed]``.

A short case is a text whose cleaned sample (links, @handles, laughter removed:
what the identifier reads) is at most 60 characters and has at least the
identifier's minimum of letters (a Han, kana or Hangul character counting
three). Per file it prints the share identified as the file's language over its
first ``--rows`` short cases (``--offset`` skips some: the settings were chosen
on short cases 300-2,300, the tests read the first 300), the commonest wrong
answers, and a second figure for files whose labels are wrong for some rows
(MLMA's French file holds Portuguese tweets; its English one lost its stop
words, and holds some French and Spanish): the share over the rows that are
not *checkably another language*. A row is checkably another language X when
the marker words (:mod:`processors.marker_words`) of X, and of no other
language, are in it — none of the labelled language's — and fastText's lid.176
alone and py3langid alone each rank X above the labelled language. Those rows
are counted and, with ``--show``, printed: read them. (Only for a language that
has marker words: en, pt, es, fr, it, de, nl.)

``--written`` measures the hand-written language-ID dev file
(``processors/evaluation/data/language_dev_written.csv``: romanised-Hindi posts and
hard negatives), per half and per language (see :func:`written_halves`).

``--evaluation`` measures the evaluation files' short cases instead (HateCheck,
Multilingual HateCheck: measure only, never tune on them). ``--speed`` times
short posts and news articles (the demo corpus's WikiNews reports, title and
text) per CPU second, and the RSS the identifier's models add.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from bench.places import best_rate, rss_mb, trim
from processors.evaluation.language_files import TRAINING, LabelledFile, texts, written_halves
from processors.language import LanguageIdentifier, _sample
from processors.marker_words import MARKER_WORDS, marker_hits
from processors.writing_systems import weighted_letters
from tests.processors.conftest import shared_data

SHORT_CHARS = 60


EVALUATION = (
    LabelledFile("hate/hatecheck_en_test_suite_cases.csv", "test_case", "en"),
    LabelledFile("hate/mhc_french.csv", "test_case", "fr"),
    LabelledFile("hate/mhc_spanish.csv", "test_case", "es"),
    LabelledFile("hate/mhc_arabic.csv", "test_case", "ar"),
    LabelledFile("hate/mhc_hindi.csv", "test_case", "hi"),
)


def short_cases(data: Path, labelled: LabelledFile, identifier: LanguageIdentifier, *, rows: int,
                offset: int = 0) -> list[str]:
    """Short cases ``offset`` to ``offset + rows`` of the file, in file order (see the module docstring)."""
    out: list[str] = []
    for text in texts(data, labelled):
        sample = _sample(text, identifier.sample_chars)
        if len(sample) <= SHORT_CHARS and weighted_letters(sample) >= identifier.min_letters:
            out.append(text)
            if len(out) >= offset + rows:
                break
    return out[offset:]


def checkably_other(text: str, lang: str, identifier: LanguageIdentifier) -> str | None:
    """The language X a row is checkably written in instead of ``lang`` (module docstring), or None."""
    if lang not in MARKER_WORDS:  # no words of its own to be missing: nothing to check it by
        return None
    sample = _sample(text, identifier.sample_chars)
    markers = marker_hits(sample)
    if lang in markers or len(markers) != 1:
        return None
    other = next(iter(markers))
    labels, _ = identifier._fasttext.predict(sample, k=-1)
    by_fasttext = [label.removeprefix("__label__") for label in labels]
    by_langid = [label for label, _ in identifier._langid.rank(sample)]

    def above(ranking: list[str]) -> bool:
        return other in ranking and (lang not in ranking or ranking.index(other) < ranking.index(lang))

    return other if above(by_fasttext) and above(by_langid) else None


def accuracy(identifier: LanguageIdentifier, files: tuple[LabelledFile, ...], *, rows: int, offset: int,
             show: bool) -> None:
    data = shared_data()
    if data is None:
        raise SystemExit("shared data not found (set TOCSIN_SHARED_DATA)")
    print(f"{'file':38} {'lang':>4} {'n':>5} {'right':>6} {'share':>6} {'other':>5} {'checked':>7}",
          " wrong answers")
    for labelled in files:
        if not (data / labelled.path).is_file():
            print(f"{labelled.path:38} missing")
            continue
        cases = short_cases(data, labelled, identifier, rows=rows, offset=offset)
        answers = [identifier.identify(text)[0] for text in cases]
        right = sum(answer == labelled.lang for answer in answers)
        other = {i: checkably_other(text, labelled.lang, identifier) for i, text in enumerate(cases)}
        other = {i: lang for i, lang in other.items() if lang is not None}
        kept = [answer for i, answer in enumerate(answers) if i not in other]
        checked = sum(answer == labelled.lang for answer in kept) / len(kept) if kept else 0.0
        wrong = Counter(answer for answer in answers if answer != labelled.lang).most_common(6)
        print(f"{labelled.path:38} {labelled.lang:>4} {len(cases):5d} {right:6d} {right / len(cases):6.3f} "
              f"{len(other):5d} {checked:7.3f}  {' '.join(f'{lang}:{n}' for lang, n in wrong)}")
        if show:
            for i, lang in other.items():
                print(f"    checkably {lang}: {_sample(cases[i], 200)!r} (identified {answers[i]})")


def written(identifier: LanguageIdentifier) -> None:
    """Per half: romanised Hindi identified as hi, and each other language kept (and how many became hi)."""
    for half, rows in written_halves().items():
        answers = [(lang, identifier.identify(text)[0]) for text, lang in rows]
        print(f"{half}: {'lang':>4} {'n':>4} {'right':>6} {'share':>6} {'as hi':>5}  wrong answers")
        for lang in sorted({lang for lang, _ in answers}, key=lambda lang: (lang != "hi", lang)):
            got = [answer for label, answer in answers if label == lang]
            right = sum(answer == lang for answer in got)
            wrong = Counter(answer for answer in got if answer != lang).most_common(6)
            as_hindi = sum(answer == "hi" for answer in got) if lang != "hi" else 0
            print(f"{'':{len(half) + 1}} {lang:>4} {len(got):4d} {right:6d} {right / len(got):6.3f} "
                  f"{as_hindi:5d}  {' '.join(f'{other}:{n}' for other, n in wrong)}")
        others = [answer for label, answer in answers if label != "hi"]
        print(f"{'':{len(half) + 1}} all other languages: {len(others)}, kept "
              f"{sum(answer == label for label, answer in answers if label != 'hi')}, "
              f"given hi {sum(answer == 'hi' for answer in others)}")


def speed(identifier_factory: type[LanguageIdentifier]) -> None:
    from bench.corpus import load_templates

    data = shared_data()
    if data is None:
        raise SystemExit("shared data not found (set TOCSIN_SHARED_DATA)")
    trim()
    before = rss_mb()
    identifier = identifier_factory()
    trim()
    after = rss_mb()
    posts = [text for labelled in TRAINING for text in short_cases(data, labelled, identifier, rows=200)]
    news = [f"{t.title}\n{t.text}" for corpus in load_templates() if corpus.name.startswith("wikinews")
            for t in corpus.templates]
    post_rate = best_rate(identifier.identify, posts)
    news_rate = best_rate(identifier.identify, news)
    print(f"models loaded: RSS +{after - before:.0f} MB")
    print(f"short posts ({len(posts)}, {len(TRAINING)} files): {post_rate:,.0f}/CPU-s = "
          f"{1e6 / post_rate:.0f} µs per post")
    print(f"news articles ({len(news)}, WikiNews in the demo corpus): {news_rate:,.0f}/CPU-s = "
          f"{1e6 / news_rate:.0f} µs per article")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300, help="short cases per file (the tests read 300)")
    parser.add_argument("--offset", type=int, default=0, help="skip this many short cases first")
    parser.add_argument("--evaluation", action="store_true", help="the evaluation files' short cases instead")
    parser.add_argument("--show", action="store_true", help="print the rows checkably in another language")
    parser.add_argument("--speed", action="store_true", help="time short posts and news articles, and RSS")
    parser.add_argument("--written", action="store_true",
                        help="the hand-written language-ID dev file (romanised Hindi, negatives), per half")
    args = parser.parse_args()
    if args.speed:
        speed(LanguageIdentifier)
        return
    if args.written:
        written(LanguageIdentifier())
        return
    accuracy(LanguageIdentifier(), EVALUATION if args.evaluation else TRAINING, rows=args.rows,
             offset=args.offset, show=args.show)


if __name__ == "__main__":
    main()
