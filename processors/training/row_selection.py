"""Which rows a training run reads: one typed set of options, from the command line to the readers.

``train_encoder``, ``defer_bands`` and ``identity_weights`` choose the same things
(how many rows of each source, which CrisisLex events, how train parts from
calibration); :func:`~processors.training.examples.all_rows` takes them as one
:class:`RowSelection`, so a new option is added in one place and checked where it is set.
"""

from __future__ import annotations

from dataclasses import dataclass

from processors.training.hate_corpora import Cap
from processors.training.violence_corpora import SPLITS_BY


@dataclass(frozen=True, slots=True)
class RowSelection:
    """How many rows of which sources and events, and which split each falls in.

    ``caps``: rows of each hate-speech source and split (None:
    :data:`~processors.training.hate_corpora.DEFAULT_CAPS`; ``--train-scale``);
    ``per_accident_event``: CrisisLex tweets of each accident event (None: all;
    ``--accident-tweets``); ``held_out_events``: CrisisLex training events left out of
    training and calibration, a fold
    (:func:`~processors.training.violence_corpora.read_crisislex_train`;
    ``--held-out-events``); ``split_by``: how the violence rows part train from
    calibration (:func:`~processors.training.violence_corpora.calibration_split`;
    ``--split``).
    """

    caps: dict[str, dict[str, Cap]] | None = None
    per_accident_event: int | None = 150
    held_out_events: tuple[str, ...] = ()
    split_by: str = "event"

    def __post_init__(self) -> None:
        if self.split_by not in SPLITS_BY:
            raise ValueError(f"--split {self.split_by!r}: expected one of {', '.join(SPLITS_BY)}")
        if self.per_accident_event is not None and self.per_accident_event < 0:  # [:-3] keeps all but 3
            raise ValueError(
                f"--accident-tweets {self.per_accident_event}: expected a count of tweets, 0 or more (0: all)"
            )


DEFAULT_SELECTION = RowSelection()
"""Every option at its command-line default (``train_encoder``'s)."""
