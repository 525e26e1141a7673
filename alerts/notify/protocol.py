"""What every notifier shares: the plug-in protocol, its retry policy and the registry.

A notifier makes one delivery attempt per ``send``; the dispatcher owns the retry
loop, so every channel retries on its own clock and none waits for another.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from alerts.notify.routing import DEFAULT_EVENTS, Routing, Severity
from tocsin.config_files import parse_plugin_list, read_yaml
from tocsin.errors import ConfigError, PeerError, PluginError
from tocsin.plugins import Plugin, Registry, config_model_of, entry_point_group
from tocsin.schema import Alert, AlertEvent


class DeliveryError(PeerError):
    """One delivery attempt failed.

    ``retry_after_s`` is the receiver's own ``Retry-After`` (it wins over backoff);
    ``permanent`` means another attempt cannot succeed (a 4xx, a redirect).
    """

    def __init__(self, notifier: str, message: str, *, retry_after_s: float | None = None,
                 permanent: bool = False) -> None:
        super().__init__(f"{notifier}: {message}")
        self.notifier = notifier
        self.retry_after_s = retry_after_s
        self.permanent = permanent


class NotifierConfigError(ConfigError, ValueError):
    """A notifiers file is wrong; the message names the file, the notifier and the key."""


def secret_from_env(env: Mapping[str, str], key: str, variable: str | None) -> str | None:
    """A secret a notifier config names by environment variable (``key``: the config field)."""
    if not variable:
        return None
    value = env.get(variable)
    if not value:
        raise NotifierConfigError(f"{key}: environment variable {variable!r} is not set or empty")
    return value


class RetryPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Bounded, so an alert is dead-lettered (and the stream moves on) within minutes.
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_base_s: float = Field(default=1.0, ge=0.0)
    backoff_cap_s: float = Field(default=60.0, ge=0.0)
    # A receiver asking for more than this is waited on for this long only.
    retry_after_cap_s: float = Field(default=300.0, ge=0.0)

    def delay(self, attempt: int, retry_after_s: float | None, jitter: float) -> float:
        """Wait before retry ``attempt`` (1-based); ``jitter`` in [0, 1) spreads the full
        exponential wait over [half, full] so many alerts do not retry in step."""
        if retry_after_s is not None:
            return min(self.retry_after_cap_s, max(0.0, retry_after_s))
        full = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (attempt - 1))
        return full * (0.5 + 0.5 * jitter)


class NotifierConfig(BaseModel):
    """Keys every notifier takes (name, retries, routing); each type extends it with its own."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    type: str
    retry: RetryPolicy = RetryPolicy()
    # Routing: only versions at or above this severity, of these events, from these rules.
    min_severity: Severity = "info"
    events: list[AlertEvent] = Field(default_factory=lambda: list(DEFAULT_EVENTS), min_length=1)
    rules: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)

    @property
    def routing(self) -> Routing:
        return Routing.of(self.min_severity, self.events, self.rules)


class Notifier(Protocol):
    name: str
    retry: RetryPolicy
    routing: Routing

    async def send(self, alert: Alert) -> None:
        """Deliver once; raise :class:`DeliveryError` on failure."""


class NotifierType(Protocol):
    config_model: ClassVar[type[NotifierConfig]]

    @classmethod
    def from_config(cls, config: Any, env: Mapping[str, str]) -> Notifier: ...


def _adopt(name: str, target: Any) -> Plugin[type[NotifierType]]:
    """A notifier class from an entry point or a dotted path: a ``config_model`` and ``from_config``."""
    model = config_model_of(target, "notifier", name)
    if not issubclass(model, NotifierConfig) or not callable(getattr(target, "from_config", None)):
        raise PluginError(f"notifier type {name!r}: needs a config_model subclassing NotifierConfig "
                          "and a from_config(config, env) class method")
    return Plugin(name, model, target)


NOTIFIERS: Registry[type[NotifierType]] = Registry(
    "notifier", package="alerts.notify", group=entry_point_group("notifiers"), adopt=_adopt)
"""Notifier plug-ins by their ``type:`` in the notifiers file; built-ins are the modules of
``alerts.notify`` that use :func:`register`."""

N = TypeVar("N", bound=type)


def register(type_name: str) -> Callable[[N], N]:
    """Class decorator: make a notifier class available under ``type: <type_name>``."""

    def add(cls: N) -> N:
        NOTIFIERS.add(_adopt(type_name, cls))
        return cls

    return add


def load_notifiers(path: Path, env: Mapping[str, str] | None = None, *,
                   known_rules: Collection[str] | None = None) -> list[Notifier]:
    """Notifiers from ``path`` (``notifiers: [{name, type, ...}]``); secrets come from ``env``.

    An empty file is an error (write ``notifiers: []`` for none). With ``known_rules``
    (the rule names loaded), a ``rules:`` entry naming another rule is an error: a typo
    there would silently mute the channel.
    """
    env = os.environ if env is None else env
    document = read_yaml(path, NotifierConfigError, none="notifiers: []")
    notifiers: list[Notifier] = []
    for entry in parse_plugin_list(document, str(path), key="notifiers", registry=NOTIFIERS,
                                   error=NotifierConfigError):
        config = entry.config
        if known_rules is not None and (strays := sorted(set(config.rules) - set(known_rules))):
            raise NotifierConfigError(
                f"{entry.where}: rules: unknown rule(s) {', '.join(map(repr, strays))}; "
                f"known: {', '.join(sorted(known_rules)) or '(none)'}")
        try:
            notifiers.append(entry.plugin.target.from_config(config, env))
        except NotifierConfigError as exc:
            raise NotifierConfigError(f"{entry.where}: {exc}") from exc
    return notifiers
