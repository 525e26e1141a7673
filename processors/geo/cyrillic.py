"""Case forms of Cyrillic place names: Ukrainian and Russian decline them.

"в Україні", "з України", "в Украине" — a gazetteer holding only the
nominative (Україна, Украина) misses most mentions. For one-word names the
common endings of the genitive, dative/locative, accusative and instrumental
are generated from the nominative's ending (with Ukrainian's і → о and ї → є
in the last syllable: Харків → Харкові, Київ → Києві); names ending otherwise
(Конго, Чилі) do not decline and get none. Multi-word names ("Південний Судан") are
left alone: their adjectives decline too.
"""

from __future__ import annotations

# nominative ending → the endings that replace it (Ukrainian and Russian together)
_ENDINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ія", ("ії", "ію", "ією")),
    ("ия", ("ии", "ию", "ией")),
    ("а", ("и", "ы", "і", "е", "у", "ою", "ой")),
    ("я", ("і", "и", "ї", "ю", "ею", "ей", "е")),
    ("й", ("я", "ю", "ї", "е", "ем", "єм")),
)
_CONSONANT_ENDINGS = ("а", "у", "е", "і", "ом", "ові", "ем")
_CONSONANTS = frozenset("бвгґджзклмнпрстфхцчшщ")


def case_forms(name: str) -> list[str]:
    """The declined forms of a one-word Cyrillic name (not the name itself)."""
    if " " in name or "-" in name or len(name) < 4:
        return []
    lowered = name.lower()
    for ending, replacements in _ENDINGS:
        if lowered.endswith(ending):
            stem = name[: -len(ending)]
            return [stem + replacement for replacement in replacements]
    if lowered[-1] in _CONSONANTS:
        stems = [name]
        # Ukrainian opens the last syllable when it declines: Харків → Харкова, Київ → Києва
        alternation = {"і": "о", "ї": "є"}.get(lowered[-2])
        if alternation is not None:
            stems.append(name[:-2] + alternation + name[-1])
        return [stem + ending for stem in stems for ending in _CONSONANT_ENDINGS]
    return []
