"""Packaging that pyproject.toml cannot say on its own: data folders kept at the
repository root, shipped inside the wheel as packages.

``config/`` (the default configuration), ``models/`` (the shipped models) and
``demo/`` (the recorded demo corpus and its rules) stay where users, docs and
other branches know them, and install as ``tocsin.defaults``,
``processors.models`` and ``tocsin_embedded.demo_data``: code reads them with
``importlib.resources`` (``tocsin.resources.shipped``), which finds the same
files in an editable install (the folders themselves) and in a wheel (copies in
site-packages). It also compiles the per-mention path of places with mypyc
where it can (:mod:`processors.geo.native` says which modules, and how the
pure-Python fallback is chosen). Everything else is in pyproject.toml.
"""

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from setuptools import Extension, find_namespace_packages, setup
from setuptools.command.build_ext import build_ext

DATA_PACKAGES = {
    "tocsin.defaults": "config",
    "processors.models": "models",
    "tocsin_embedded.demo_data": "demo",
}
CODE = ["tocsin*", "collectors*", "processors*", "alerts*", "api*"]


def data_packages(package: str, folder: str) -> list[str]:
    """The package and one per subfolder whose name Python could import (the others are data)."""
    subfolders = find_namespace_packages(where=folder, exclude=["*__pycache__*"])
    return [package, *(f"{package}.{sub}" for sub in subfolders)]


def native() -> ModuleType:
    """processors/geo/native.py, read as a file (importing the package here would run its code)."""
    path = Path(__file__).parent / "processors" / "geo" / "native.py"
    spec = importlib.util.spec_from_file_location("tocsin_native", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NATIVE = native()


def compiled_extensions() -> list[Extension]:
    """The modules of the per-mention path as mypyc extensions; none where mypyc is missing or fails.

    Each extension is optional: without a C compiler the build goes on and
    places run as pure Python, with the same results.
    """
    if NATIVE.pure_requested():
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("setup.py: mypyc is not installed; places will run as pure Python", file=sys.stderr)
        return []
    sources = [str(NATIVE.source_of(module, Path("processors/geo"))) for module in NATIVE.MODULES]
    try:
        extensions = mypycify([*NATIVE.MYPYC_OPTIONS, *sources], group_name=NATIVE.GROUP, opt_level="3",
                              debug_level="0")
    except (Exception, SystemExit) as exc:     # mypyc reports a type error by exiting
        print(f"setup.py: mypyc failed ({exc!r}); places will run as pure Python", file=sys.stderr)
        return []
    for extension in extensions:
        extension.optional = True
    return extensions


class BuildExtensions(build_ext):
    """build_ext that writes the manifest of what it compiled (processors/geo/native.py).

    Written only when every extension was built; a failed build removes an
    older manifest from the source tree, so older extensions there go unused.
    """

    def run(self) -> None:
        super().run()
        inplace, self.inplace = self.inplace, False     # the files as built, before any in-place copy
        built = bool(self.extensions) and all(os.path.exists(self.get_ext_fullpath(extension.name))
                                              for extension in self.extensions)
        self.inplace = inplace
        targets = [Path(self.build_lib) / "processors/geo"] + ([Path("processors/geo")] if inplace else [])
        for folder in targets:
            manifest = folder / NATIVE.MANIFEST
            if built:
                folder.mkdir(parents=True, exist_ok=True)
                manifest.write_text(NATIVE.source_digest(Path("processors/geo")) + "\n", encoding="ascii")
            else:
                manifest.unlink(missing_ok=True)


setup(
    # find_namespace_packages: folders of data inside the code (alerts/templates,
    # tocsin/formats/schemas, api/static) are packages too; the dashboard's sources
    # (api/web and its node_modules) are not shipped, its build in api/static is.
    packages=[
        *find_namespace_packages(include=CODE, exclude=["api.web*", "*__pycache__*"]),
        *(name for package, folder in DATA_PACKAGES.items() for name in data_packages(package, folder)),
    ],
    package_dir=DATA_PACKAGES,
    ext_modules=compiled_extensions(),
    cmdclass={"build_ext": BuildExtensions},
)
