"""Packaging that pyproject.toml cannot say on its own: data folders kept at the
repository root, shipped inside the wheel as packages.

``config/`` (the default configuration), ``models/`` (the shipped models) and
``demo/`` (the recorded demo corpus and its rules) stay where users, docs and
other branches know them, and install as ``tocsin.defaults``,
``processors.models`` and ``tocsin_embedded.demo_data``: code reads them with
``importlib.resources`` (``tocsin.resources.shipped``), which finds the same
files in an editable install (the folders themselves) and in a wheel (copies in
site-packages). Everything else is in pyproject.toml.
"""

from setuptools import find_namespace_packages, find_packages, setup

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


setup(
    # find_namespace_packages: folders of data inside the code (alerts/templates,
    # tocsin/formats/schemas, api/static) are packages too; the dashboard's sources
    # (api/web and its node_modules) are not shipped, its build in api/static is.
    packages=[
        *find_namespace_packages(include=CODE, exclude=["api.web*", "*__pycache__*"]),
        *(name for package, folder in DATA_PACKAGES.items() for name in data_packages(package, folder)),
    ],
    package_dir=DATA_PACKAGES,
)
