"""How much each training row counts for the heads, and what it is aimed at: one typed set of options.

``train_encoder`` reads them from its command line (``--source-weight``,
``--identity-balance``, ``--offensive-weight``, ``--distil-from`` /
``--distil-weight``) and hands them, as one :class:`HeadWeighting`, to
:func:`~processors.training.train_encoder.train_heads` and
:func:`~processors.training.train_encoder.balanced_weights`; each is checked once, here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from processors.training.identity_weights import IdentityBalance


@dataclass(frozen=True, slots=True)
class HeadWeighting:
    """The weighting of the training rows beyond "every source the same, its classes balanced".

    ``source_weights`` multiplies a source's share (e.g. small hand-written files that
    teach what the corpora lack; ``--source-weight``, parsed and checked by
    :func:`~processors.training.train_encoder.parse_source_weights`); ``identity``
    (hate speech only) reweighs the rows that name an identity group
    (:mod:`processors.training.identity_weights`; ``--identity-balance``);
    ``offensive_weight`` (hate speech only) multiplies the rows a corpus marks abusive or
    profane without attacking a group (``Row.offensive``; ``--offensive-weight``).

    ``teacher`` (per category, one calibrated score per row, e.g. e5's heads on these
    rows; ``--distil-from``) distils another encoder's judgement into the heads: the
    training target is ``(1 - teacher_weight) * label + teacher_weight * score``
    (``--distil-weight``). It is known only once the rows are embedded: set it with
    :func:`dataclasses.replace`.
    """

    source_weights: Mapping[str, float] = field(default_factory=dict)
    identity: IdentityBalance | None = None
    offensive_weight: float = 1.0
    teacher: Mapping[str, np.ndarray] | None = field(default=None, compare=False, repr=False)
    teacher_weight: float = 0.5

    def __post_init__(self) -> None:
        if not self.offensive_weight > 0 or not math.isfinite(self.offensive_weight):
            raise ValueError(f"--offensive-weight {self.offensive_weight!r}: expected a positive factor")
        if not 0.0 <= self.teacher_weight <= 1.0:  # also refuses nan: a target must stay in [0, 1]
            raise ValueError(f"--distil-weight {self.teacher_weight!r}: expected a share from 0 to 1")


DEFAULT_WEIGHTING = HeadWeighting()
"""No option given: every source the same, its classes balanced, the labels as targets."""
