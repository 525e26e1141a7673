"""Identity terms and the ``--identity-balance`` reweighing of the hate-speech training rows."""

from __future__ import annotations

import numpy as np
import pytest

from processors.training import train_encoder
from processors.training.examples import Row
from processors.training.head_weighting import HeadWeighting
from processors.training.identity_terms import IDENTITY_TERMS, groups_named
from processors.training.identity_weights import MIN_GROUP_ROWS, IdentityBalance, identity_shares, reweigh


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("Muslims are welcome in our town", {"muslims"}),
        ("the new mosque opened today", {"muslims"}),
        ("Les réfugiés et les femmes d'abord", {"migrants_refugees", "women"}),
        ("les refugies sont arrives", {"migrants_refugees"}),  # accents dropped
        ("Die Flüchtlinge und die Juden", {"migrants_refugees", "jews"}),
        ("os negros e as mulheres", {"black_people", "women"}),
        ("mere musalmaan dost", {"muslims"}),  # romanised Hindi
        ("el yahood w el nasara", {"jews", "christians"}),  # Arabizi
        ("我有很多穆斯林朋友", {"muslims"}),  # Chinese: a substring, no spaces
        ("他们说黑人和女性都不行", {"black_people", "women"}),
        ("واليهود والنصارى", {"jews", "christians"}),  # Arabic: prefixes glued on
        ("المُسلمين في المدينة", {"muslims"}),  # diacritics
        ("الإسلام والاسلام", {"muslims"}),  # alef forms
        ("GAY and LESBIAN couples", {"sexual_orientation"}),
    ],
)
def test_groups_named_finds_each_languages_names(text: str, groups: set[str]) -> None:
    assert groups_named(text) == groups


@pytest.mark.parametrize(
    "text",
    [
        "a jewel of a transport plan",  # jew, trans: whole words only
        "hay que afrontar la crisis",  # not afro-
        "the homeland and the blackboard",  # not homo, not black
        "un voyage à l'étranger",  # abroad, not foreigners
        "",
    ],
)
def test_groups_named_needs_whole_words_in_latin_script(text: str) -> None:
    assert groups_named(text) == frozenset()


def test_the_lexicon_holds_every_training_languages_script() -> None:
    terms = [term for names in IDENTITY_TERMS.values() for term in names]
    assert any("\u0600" <= ch <= "\u06ff" for term in terms for ch in term)
    assert any("\u4e00" <= ch <= "\u9fff" for term in terms for ch in term)
    assert all(groups_named(term.rstrip("*")) for term in terms), "every term matches itself"


def _rows(counts: dict[tuple[str, str, bool], int]) -> list[Row]:
    """(source, text naming the groups, hateful) → that many rows."""
    rows = []
    for (source, text, hateful), count in counts.items():
        rows += [Row(f"{text} {i}", "en", source, "train", hateful, False) for i in range(count)]
    return rows


def _hateful_share(weights: np.ndarray, rows: list[Row], keep: list[bool]) -> float:
    chosen = np.array(keep)
    hateful = np.array([row.hate for row in rows])
    return float(weights[chosen & hateful].sum() / weights[chosen].sum())


def test_balance_gives_every_group_its_sources_hateful_share() -> None:
    rows = _rows(
        {
            ("a", "muslims", True): 60,
            ("a", "muslims", False): 12,
            ("a", "women", True): 30,
            ("a", "women", False): 15,
            ("a", "muslims and women", True): 10,
            ("a", "muslims and women", False): 10,
            ("a", "the weather", True): 20,
            ("a", "the weather", False): 80,
            ("b", "migrants", True): 40,
            ("b", "migrants", False): 10,
            ("b", "calm words", True): 10,
            ("b", "calm words", False): 40,
            ("b", "gay", True): 20,
            ("b", "gay", False): 3,  # too few non-hateful rows: left alone
        }
    )
    plain = train_encoder.balanced_weights(rows, "hate_speech")
    weights = train_encoder.balanced_weights(
        rows, "hate_speech", weighting=HeadWeighting(identity=IdentityBalance.parse("balance"))
    )
    assert weights.sum() == pytest.approx(len(rows))
    for source in "ab":
        mine = [row.source == source for row in rows]
        assert _hateful_share(plain, rows, mine) == pytest.approx(0.5)
        assert _hateful_share(weights, rows, mine) == pytest.approx(0.5, abs=1e-6)
        assert weights[mine].sum() == pytest.approx(plain[mine].sum()), "each source keeps its weight"
    for source, group in (("a", "muslims"), ("a", "women"), ("b", "migrants_refugees")):
        named = [row.source == source and group in groups_named(row.text) for row in rows]
        assert _hateful_share(plain, rows, named) > 0.6, "the bias this corrects"
        assert _hateful_share(weights, rows, named) == pytest.approx(0.5, abs=1e-6)
    none = [row.source == "a" and not groups_named(row.text) for row in rows]
    assert _hateful_share(plain, rows, none) < 0.25
    assert _hateful_share(weights, rows, none) == pytest.approx(0.5, abs=1e-6)
    # "gay" has fewer than MIN_GROUP_ROWS non-hateful rows in b: weighed like b's rows naming no group
    assert MIN_GROUP_ROWS > 3
    ratio = weights / plain
    for hateful in (True, False):
        gay = ratio[[row.text.startswith("gay") and row.hate is hateful for row in rows]]
        calm = ratio[[row.text.startswith("calm") and row.hate is hateful for row in rows]]
        assert gay == pytest.approx(np.full(len(gay), calm[0]))


def test_a_factor_multiplies_the_non_hateful_rows_naming_a_group_and_only_for_hate_speech() -> None:
    rows = _rows(
        {("a", "women", True): 6, ("a", "women", False): 4, ("a", "sunny", False): 5, ("a", "sunny", True): 5}
    )
    rows += [Row(f"report {i}", "en", "crisislex_violence", "train", False, i % 2 == 0) for i in range(4)]
    plain = train_encoder.balanced_weights(rows, "hate_speech")
    heavier = train_encoder.balanced_weights(
        rows, "hate_speech", weighting=HeadWeighting(identity=IdentityBalance.parse("3"))
    )
    ratio = heavier / plain
    calm_named = [not row.hate and row.text.startswith("women") for row in rows]
    assert ratio[calm_named] == pytest.approx(3 * ratio[[row.text.startswith("sunny") for row in rows]][0])
    others = [not c for c in calm_named]
    # every other row, the borrowed ones too, keeps its share
    assert len({round(r, 9) for r in ratio[others]}) == 1
    violence = train_encoder.balanced_weights(
        rows, "violence_report", weighting=HeadWeighting(identity=IdentityBalance.parse("3"))
    )
    assert violence == pytest.approx(train_encoder.balanced_weights(rows, "violence_report"))


def test_reweigh_leaves_rows_it_is_not_given_alone() -> None:
    weights = np.ones(4)
    hateful = np.array([True, False, True, False])
    out = reweigh(
        weights,
        hateful,
        ["a"] * 4,
        [frozenset({"women"})] * 4,
        np.array([True, True, False, False]),
        IdentityBalance(2.0),
    )
    assert out.tolist() == [1.0, 2.0, 1.0, 1.0]


@pytest.mark.parametrize("value", ["0", "1", "0.5", "-2", "nan", "inf", "balanced", "", "k=2"])
def test_a_bad_identity_balance_is_refused(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="expected 'balance' or a factor above 1"):
        IdentityBalance.parse(value)
    with pytest.raises(SystemExit):
        train_encoder.main(["--identity-balance", value])
    assert f"--identity-balance {value!r}: expected" in capsys.readouterr().err


def test_identity_balance_values_read_back() -> None:
    assert str(IdentityBalance.parse("balance")) == "balance"
    assert IdentityBalance.parse("2.5").factor == 2.5 and str(IdentityBalance.parse("3")) == "3"


def test_identity_shares_compare_rows_naming_a_group_with_the_others() -> None:
    shares = identity_shares(
        [True, True, False, True, False, False, False],
        [
            frozenset({"women"}),
            frozenset({"jews"}),
            frozenset({"women"}),
            frozenset(),
            frozenset(),
            frozenset(),
            frozenset({"muslims"}),
        ],
        ["en", "en", "en", "en", "en", "en", "fr"],
    )
    assert shares["en"] == (6, 3, pytest.approx(2 / 3), pytest.approx(1 / 3))
    count, named, share, other = shares["fr"]
    assert (count, named, share) == (1, 1, 0.0) and other != other  # nan: no row without a group
