"""Files shipped inside the installed packages: default config, models, the demo corpus.

They are read with ``importlib.resources``, never by a path relative to the source
checkout, so a wheel installed into site-packages finds them exactly as an
editable install does (setup.py maps the root folders ``config/``, ``models/`` and
``demo/`` onto the packages named here).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from tocsin.errors import ConfigError

DEFAULTS = "tocsin.defaults"
"""``config/``: the default configuration files. (``models/`` is ``processors.models``,
``demo/`` is ``tocsin_embedded.demo_data``: named where they are read.)"""


class ShippedFileMissing(ConfigError, FileNotFoundError):
    """A package that should ship a data folder is not installed as files (a broken install)."""


def shipped(package: str, *parts: str) -> Path:
    """The path of ``parts`` inside ``package``, as installed; it may not exist (the caller says why).

    A path, not a ``Traversable``: settings hold paths and the loaders open them.
    Wheels install unpacked, so this is a real file or folder; a package imported
    from a zip raises :class:`ShippedFileMissing` instead of handing back a path
    that cannot be opened.
    """
    try:
        found = files(package).joinpath(*parts)
    except ModuleNotFoundError as exc:
        raise ShippedFileMissing(f"the package {package} is not installed ({exc}); reinstall tocsin") from exc
    if not isinstance(found, Path):
        raise ShippedFileMissing(f"{package} is not installed as files ({found!r}): reinstall tocsin")
    return found
