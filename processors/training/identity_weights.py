"""Reweighing the hate-speech training rows that name an identity group (``--identity-balance``).

Posts that name a group are mostly hateful in the corpora (the shares and what
reweighing did on dev: "Identity-term reweighting of the hate heads" in
``docs/classification.md``), so a head learns that naming a group is evidence of hate.
Two remedies from the bias literature:

* ``balance`` (Zhang et al. 2020, instance weighting): within each source, every
  group named by enough rows of both classes gets, over its rows, the same
  weighted hateful share as the whole source; the rows naming no group are one
  more such stratum, and each stratum keeps its total weight (raking: the groups
  overlap when a row names several).
* a factor (Dixon et al. 2018 added non-hateful rows naming groups): the
  non-hateful rows naming any group weigh that many times more.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_GROUP_ROWS = 10
"""A group is balanced within a source only with this many rows of each class there."""
_NONE = "(no group)"
_ROUNDS = 200
_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class IdentityBalance:
    """``balance`` (per-group shares equalised), or ``factor`` on non-hateful rows naming a group."""

    factor: float | None = None  # None: balance

    @classmethod
    def parse(cls, value: str) -> IdentityBalance:
        """``"balance"`` or a number above 1 (the factor); anything else is refused."""
        if value.strip() == "balance":
            return cls()
        try:
            factor = float(value)
        except ValueError:
            factor = math.nan
        if not math.isfinite(factor) or factor <= 1.0:
            raise ValueError(
                f"--identity-balance {value!r}: expected 'balance' or a factor above 1 "
                "for the non-hateful rows that name a group"
            )
        return cls(factor)

    def __str__(self) -> str:
        return "balance" if self.factor is None else f"{self.factor:g}"


def reweigh(
    weights: np.ndarray,
    hateful: np.ndarray,
    sources: Sequence[str],
    groups: Sequence[frozenset[str]],
    chosen: np.ndarray,
    balance: IdentityBalance,
) -> np.ndarray:
    """``weights`` reweighed for the ``chosen`` rows (the others unchanged); each source keeps its total."""
    out = np.asarray(weights, dtype=np.float64).copy()
    if balance.factor is not None:
        named = np.array([bool(g) for g in groups], dtype=bool)
        out[chosen & named & ~hateful] *= balance.factor
        return out
    source_of = np.array(sources)
    for source in sorted(set(source_of[chosen].tolist())):
        rows = np.flatnonzero(chosen & (source_of == source))
        out[rows] = _balanced(out[rows], hateful[rows], [groups[i] for i in rows.tolist()])
    return out


def _balanced(weights: np.ndarray, hateful: np.ndarray, groups: Sequence[frozenset[str]]) -> np.ndarray:
    """One source's rows: raking until every stratum's hateful share is the source's."""
    total = weights.sum()
    target = weights[hateful].sum() / total
    if not 0.0 < target < 1.0:
        return weights
    counts: dict[str, list[int]] = {}
    for named, hate in zip(groups, hateful.tolist(), strict=True):
        for group in named:
            counts.setdefault(group, [0, 0])[int(hate)] += 1
    kept = {group for group, (calm, hate) in counts.items() if min(calm, hate) >= MIN_GROUP_ROWS}
    if not kept:
        return weights
    strata = [np.array([group in named for named in groups]) for group in sorted(kept)]
    strata.append(np.array([not (named & kept) for named in groups]))
    strata.append(np.ones(len(groups), dtype=bool))  # the source's own share stays the target
    strata = [s for s in strata if (s & hateful).any() and (s & ~hateful).any()]
    out = weights.astype(np.float64).copy()
    for _ in range(_ROUNDS):
        worst = 0.0
        for stratum in strata:
            hate, calm = out[stratum & hateful].sum(), out[stratum & ~hateful].sum()
            worst = max(worst, abs(hate / (hate + calm) - target))
            out[stratum & hateful] *= target * (hate + calm) / hate
            out[stratum & ~hateful] *= (1.0 - target) * (hate + calm) / calm
        if worst < _TOLERANCE:
            break
    return out * (total / out.sum())


def identity_shares(
    hateful: Sequence[bool], groups: Sequence[frozenset[str]], keys: Sequence[str]
) -> dict[str, tuple[int, int, float, float]]:
    """Per key (a language, a source): rows, rows naming a group, hateful share with a group, without.

    The bias ``--identity-balance`` addresses; ``nan`` where a side has no rows.
    """
    out = {}
    for key in sorted(set(keys)):
        mine = [(h, bool(g)) for h, g, k in zip(hateful, groups, keys, strict=True) if k == key]
        named = [h for h, g in mine if g]
        others = [h for h, g in mine if not g]
        out[key] = (
            len(mine),
            len(named),
            sum(named) / len(named) if named else math.nan,
            sum(others) / len(others) if others else math.nan,
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print, per language, how much likelier a hate training row is hateful when it names a group."""
    import argparse
    from pathlib import Path

    from processors.training.examples import all_rows
    from processors.training.hate_corpora import scaled_caps
    from processors.training.identity_terms import groups_named
    from processors.training.row_selection import RowSelection

    parser = argparse.ArgumentParser(
        prog="python -m processors.training.identity_weights", description=main.__doc__
    )
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"))
    parser.add_argument("--train-scale", type=float, default=1.0, help="as train_encoder's (inf: USE's rows)")
    args = parser.parse_args(argv)
    selection = RowSelection(
        caps=None if args.train_scale == 1.0 else scaled_caps(args.train_scale), split_by="text"
    )
    rows = [
        row
        for row in all_rows(args.shared, selection)
        if row.split == "train" and not row.source.endswith("_violence")
    ]
    groups = [groups_named(row.text) for row in rows]
    print("| language | rows | naming a group | hateful share: naming a group | not |")
    print("|---|---:|---:|---:|---:|")
    for lang, (count, named, share, other) in identity_shares(
        [row.hate for row in rows], groups, [row.lang for row in rows]
    ).items():
        print(f"| {lang} | {count:,} | {named:,} | {share:.3f} | {other:.3f} |")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
