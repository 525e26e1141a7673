"""``config/places.yaml``: the geoparser's settings (today, the optional NER model).

A file of its own, typed here, so that choosing a model needs no change to
the process-wide settings. Unknown keys are errors naming the file and the key.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tocsin.config_files import read_yaml
from tocsin.errors import ConfigError
from tocsin.resources import DEFAULTS, shipped

DEFAULT_PLACES_FILE = shipped(DEFAULTS, "places.yaml")


class PlacesConfigError(ConfigError, ValueError):
    """``places.yaml`` is unreadable or invalid; the message names the file and the key."""


class NerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: str | None = Field(default=None, min_length=1)
    labels: list[str] = Field(default_factory=lambda: ["LOC", "GPE"], min_length=1)
    batch_size: int = Field(default=16, ge=1)
    device: str = "cpu"
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    max_length: int = Field(default=512, ge=8)
    local_files_only: bool = True


class PlacesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ner: NerSettings = Field(default_factory=NerSettings)


def load_places_config(path: Path = DEFAULT_PLACES_FILE) -> PlacesConfig:
    """Read ``path``; a missing default file means the defaults (no NER)."""
    if not path.is_file():
        if path == DEFAULT_PLACES_FILE:
            return PlacesConfig()
        raise PlacesConfigError(f"{path}: no such file")
    data = read_yaml(path, PlacesConfigError, none="{}")
    if not isinstance(data, dict):
        raise PlacesConfigError(f"{path}: expected a mapping at the top, got {type(data).__name__}")
    try:
        return PlacesConfig.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        raise PlacesConfigError(f"{path}: key '{key}': {error['msg']}") from exc
