"""One gazetteer per process, built in a child process so the worker's heap stays small."""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
from pathlib import Path
from threading import Lock

from processors.geo.config import DEFAULT_PLACES_FILE, load_places_config
from processors.geo.gazetteer import Gazetteer

logger = logging.getLogger(__name__)

_shared: Gazetteer | None = None
_shared_lock = Lock()


def shared_gazetteer(config: Path = DEFAULT_PLACES_FILE) -> Gazetteer:
    """The process-wide gazetteer, built (compactly) on first use, with the NER model ``config`` names.

    Raises :class:`~processors.geo.config.PlacesConfigError` if ``config`` is
    invalid or names a model that cannot be loaded.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            settings = load_places_config(config)
            gazetteer = build_compact()
            if settings.ner.model:
                from processors.geo.ner import NerProposer

                gazetteer.ner = NerProposer.from_settings(settings.ner, config)
            _shared = gazetteer
        return _shared


_CHILD = """
import pickle, sys
sys.path[:0] = {path!r}
from processors.geo.gazetteer import Gazetteer
sys.stdout.buffer.write(pickle.dumps(Gazetteer(**{options!r}), protocol=5))
"""


def build_compact(*, timeout_s: float = 300.0, **options: int) -> Gazetteer:
    """Build the gazetteer in a child process and unpickle it here.

    Why: parsing geonames' 17 MB of JSON leaves the heap fragmented, so a
    gazetteer built in-process keeps ~150 MB of RSS for ~50 MB of live objects;
    unpickled from the child it costs what it holds, and the child's extra
    seconds are paid once per worker. Falls back to building in-process (with
    a warning) if the child cannot run.
    """
    code = _CHILD.format(path=[p for p in sys.path if p], options=options)
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                              timeout=timeout_s)
        gazetteer = pickle.loads(done.stdout)  # our own child's output over a pipe
        if isinstance(gazetteer, Gazetteer):
            return gazetteer
        logger.warning("gazetteer child returned %s; building in-process", type(gazetteer).__name__)
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        logger.warning("gazetteer child failed (%s %s); building in-process", exc, stderr[-500:])
    return Gazetteer(**options)

