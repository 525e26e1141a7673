"""Shared, expensive objects (models, gazetteer) built once per test session."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from processors.categories import KeywordCategories, load_categories
from processors.geo.gazetteer import Gazetteer
from processors.geo.shared import shared_gazetteer
from processors.language import LanguageIdentifier, shared_identifier

REPO = Path(__file__).resolve().parents[2]
CATEGORIES_FILE = REPO / "config" / "categories.yaml"


def shared_data() -> Path | None:
    """shared/data beside the checkout (as in CI), or TOCSIN_SHARED_DATA."""
    for candidate in (os.environ.get("TOCSIN_SHARED_DATA"), REPO.parent / "shared" / "data"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def csv_column(name: str, column: str, limit: int) -> list[str]:
    data = shared_data()
    if data is None or not (data / "hate" / name).is_file():
        pytest.skip(f"shared data file hate/{name} not available")
    with (data / "hate" / name).open(encoding="utf-8", newline="") as handle:
        rows = [row[column] for _, row in zip(range(limit), csv.DictReader(handle), strict=False)]
    return [row for row in rows if row.strip()]


@pytest.fixture(scope="session")
def identifier() -> LanguageIdentifier:
    return shared_identifier()


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return shared_gazetteer()


@pytest.fixture(scope="session")
def categories() -> KeywordCategories:
    return load_categories(CATEGORIES_FILE)
