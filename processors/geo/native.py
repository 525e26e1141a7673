"""The per-mention path of places compiled (mypyc), and the pure-Python fallback.

An RSS item costs about 100 µs, most of it small Python steps per mention
(matching cues, scoring, support), so ``setup.py`` compiles :data:`MODULES`
with mypyc when it can (mypy in the build environment and a C compiler):
``make install`` / ``make test``, ``pip install -e .`` and the wheel alike.
The same ``.py`` files are the fallback and give identical results
(``tests/processors/test_geo_native.py`` holds the two to each other).

The build writes :data:`MANIFEST` beside the extensions: the digest of the
sources it compiled. :func:`use_compiled_or_pure` (run when
:mod:`processors.geo` is imported, before any of its modules) keeps the
compiled modules only when that digest is the sources' digest now, the
shared library loads and :data:`PURE_ENV` is unset; otherwise a finder loads
every one of :data:`MODULES` from its ``.py`` — all or none, because the
compiled modules call each other's native classes directly. An edited source
beside an older build so runs as Python (with a warning) until the next
``make install``; it never runs stale code.

This module is plain Python: ``setup.py`` reads its constants from the file
without importing the package.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

# Every module here is compiled into one shared library; a module added must be
# typed for mypyc (it is type-checked with imports outside the list as Any).
MODULES = ("processors.geo.resolve", "processors.geo.matching", "processors.geo.records")
GROUP = "processors.geo.hotpath"      # the shared library: processors/geo/hotpath__mypyc.*.so
MANIFEST = "compiled.sha256"
PURE_ENV = "TOCSIN_PURE_PYTHON"       # set (to anything but "" or "0"): run the .py files, or build none
MYPYC_OPTIONS = ("--follow-imports=skip", "--ignore-missing-imports")

HERE = Path(__file__).resolve().parent
logger = logging.getLogger(__name__)


def source_of(module: str, root: Path = HERE) -> Path:
    return root / f"{module.rpartition('.')[2]}.py"


def source_digest(root: Path = HERE) -> str:
    """sha256 over the sources of :data:`MODULES` (what a build compiled, what runs now)."""
    digest = hashlib.sha256()
    for module in MODULES:
        digest.update(module.encode() + b"\0" + source_of(module, root).read_bytes() + b"\0")
    return digest.hexdigest()


def pure_requested() -> bool:
    return os.environ.get(PURE_ENV, "") not in ("", "0")


def why_pure(root: Path = HERE) -> str | None:
    """Why the compiled modules must not run (``None``: they may)."""
    if pure_requested():
        return f"{PURE_ENV} is set"
    try:
        built = (root / MANIFEST).read_text(encoding="ascii").strip()
    except OSError:
        return "not compiled (no build manifest)"
    if built != source_digest(root):
        return "the compiled modules are older than their sources (run `make install` to rebuild)"
    try:
        importlib.import_module(f"{GROUP}__mypyc")
    except ImportError as exc:
        return f"the compiled library does not load ({exc})"
    return None


class PureSource(importlib.abc.MetaPathFinder):
    """Finds :data:`MODULES` as their ``.py`` files, ahead of any extension module beside them."""

    def __init__(self, root: Path = HERE) -> None:
        self.root = root

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname not in MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, source_of(fullname, self.root))


def use_compiled_or_pure() -> str | None:
    """Decide once per process, before :data:`MODULES` are imported; returns why pure (or ``None``)."""
    if any(isinstance(finder, PureSource) for finder in sys.meta_path):
        return "pure"
    reason = why_pure()
    if reason is not None:
        if not pure_requested() and (HERE / MANIFEST).exists():
            logger.warning("places run as pure Python (identical results, slower): %s", reason)
        sys.meta_path.insert(0, PureSource())
    return reason


def compiled() -> bool:
    """Whether every one of :data:`MODULES` runs compiled in this process."""
    return all(is_extension(importlib.import_module(module)) for module in MODULES)


def is_extension(module: ModuleType) -> bool:
    return (module.__file__ or "").endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
