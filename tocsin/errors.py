"""Every error Tocsin raises on purpose, in one tree.

Catch a branch, never a hand-kept list of classes: the command line reports any
:class:`ConfigError` in one line and exits 2; a stage dead-letters what an
:class:`InputError` rejects, with its message as the reason, and goes on; a
:class:`PeerError` is worth retrying. Each class keeps the built-in base it had
before the tree existed (``ValueError``, ``LookupError``, ``RuntimeError``,
``ConnectionError``, ``FileNotFoundError``), so ``except ValueError`` around a parser
still means what it meant.

The branches and the classes defined here are the core's; the stages define their
own classes next to the code that raises them, each under one of these branches.
The whole tree (``tests/tocsin/test_errors.py`` checks that every exception class of
every package is in it, and in this list)::

    TocsinError
    ├── ConfigError  cannot start or reload as configured; the message names the file and the key
    │   ├── SettingsError               tocsin.settings (TOCSIN_* variables, TOCSIN_CONFIG, secrets)
    │   │   └── SigningKeyError         tocsin.evidence.signing (an evidence signing or public key)
    │   ├── PluginError                 tocsin.plugins (a name registered twice, a bad plug-in)
    │   │   └── UnknownPluginType       tocsin.plugins (no plug-in of that kind by that name)
    │   ├── ConfigFileError             tocsin.config_files (unreadable, not YAML, empty)
    │   ├── SourceConfigError           collectors.config
    │   ├── MissingPseudonymSecret      collectors.pseudonyms
    │   ├── MissingToken                collectors.mastodon
    │   ├── MissingCredentials          collectors.oauth
    │   ├── CategoryConfigError         processors.categories
    │   ├── ClassifierConfigError       processors.classifiers.protocol
    │   ├── PlacesConfigError           processors.geo.config
    │   ├── RuleConfigError             alerts.rules
    │   ├── NotifierConfigError         alerts.notify.protocol
    │   ├── KeysConfigError             api.keys
    │   ├── DashboardMissing            api.dashboard
    │   ├── ShippedFileMissing          tocsin.resources (a broken install: shipped data not there)
    │   ├── CorpusNotFoundError         tocsin_embedded.corpus
    │   ├── FeedServerError             tocsin_embedded.feedserver
    │   └── DemoEnvError                tocsin_embedded.discovery (a broken .tocsin/demo.env)
    ├── InputError  a record, document or file given to Tocsin cannot be used; says what and where
    │   ├── QueryError                  tocsin.queries
    │   ├── DecodeError                 collectors.decode
    │   ├── DecodedTooLarge             collectors.decode
    │   ├── DecompressionBomb           collectors.decode
    │   ├── UnusableEntry               collectors.normalise
    │   ├── UnusablePost                collectors.posts
    │   ├── UnusableMessage             collectors.telegram
    │   ├── MalformedResponse           collectors.jsonapi
    │   ├── MalformedEvent              collectors.bluesky, collectors.mastodon_stream
    │   ├── BadItem                     processors.enrich
    │   ├── EvalFileError               processors.evaluation.classify, processors.evaluation.places
    │   ├── DecisionsFileError          processors.evaluation.decisions
    │   ├── DatasetError                processors.training.datasets
    │   ├── CapInvalid                  tocsin.formats.cap
    │   ├── BacktestError               alerts.backtest
    │   └── EventsFileError             alerts.leadtime
    ├── ModelError  a model, or the data shipped with one, cannot be loaded or fitted
    │   ├── NgramModelError             processors.classifiers.ngram
    │   ├── CalibrationError            processors.training.calibrate
    │   ├── LanguageModelError          processors.language
    │   ├── RomanisedHindiModelError    processors.romanised_hindi_model (its model file)
    │   ├── EncoderError                processors.encoders.protocol (an encoder or its vocabulary)
    │   ├── HeadsError                  processors.classifiers.heads (trained heads: file, format, encoder)
    │   ├── GazetteerError              processors.geo.build
    │   └── AreaDataError               processors.geo.areas
    ├── PeerError  a server Tocsin talks to failed, refused or is out of reach; worth retrying
    │   ├── SearchUnavailable           tocsin.search
    │   ├── ArchiveError                tocsin_launch.archive_commands
    │   ├── ProbeFailed                 tocsin.probe
    │   ├── FetchError                  collectors.fetch
    │   │   ├── HTTPStatusError         collectors.fetch
    │   │   ├── TransportError          collectors.fetch
    │   │   ├── FeedTooLarge            collectors.fetch
    │   │   │   └── DecompressionBombError  collectors.fetch
    │   │   ├── UnsafeTarget            collectors.fetch
    │   │   └── RedirectError           collectors.fetch
    │   │       └── UnsafeRedirect      collectors.fetch
    │   ├── ApiFailure                  collectors.jsonapi
    │   ├── PublishError                collectors.publisher
    │   ├── PublishFailed               collectors.bluesky, collectors.mastodon_stream
    │   ├── StreamRefused               collectors.mastodon_stream
    │   ├── BackfillFailed              collectors.mastodon_stream
    │   ├── BrokerUnavailable           api.signals
    │   ├── RefusedAddress              tocsin.netguard (the SSRF guard refused a connection)
    │   └── DeliveryError               alerts.notify.protocol
    └── StorageError  what Tocsin keeps for itself cannot be read or written, and retrying won't help
        ├── StateError                  collectors.state
        └── EvidenceError               tocsin.evidence.store
            └── EvidenceNotFound        tocsin.evidence.store

Private exceptions a module raises and catches itself (``_Refused``, ``_BudgetSpent``)
are control flow, not errors, and stay out of the tree.
"""

from __future__ import annotations


class TocsinError(Exception):
    """The root: anything Tocsin raises on purpose."""


class ConfigError(TocsinError):
    """Tocsin cannot start (or reload) as configured; the message names the file and the key,
    and never echoes a value that may be a secret."""


class InputError(TocsinError):
    """A record, document or file Tocsin was given cannot be used; the message says what and where."""


class ModelError(TocsinError):
    """A model, or the data shipped with one, cannot be loaded or fitted."""


class PeerError(TocsinError):
    """A server Tocsin talks to (broker, search server, a feed, a webhook) failed or refused."""


class StorageError(TocsinError):
    """What Tocsin keeps for itself (a state file, the evidence store) cannot be used."""


class SettingsError(ConfigError):
    """The settings (``TOCSIN_*`` variables, the ``TOCSIN_CONFIG`` file, secret files) are invalid."""


class PluginError(ConfigError, ValueError):
    """A plug-in cannot be registered or loaded: a name taken twice, a dotted path that does not
    import, an object that is not a plug-in of that kind."""


class UnknownPluginType(PluginError, LookupError):
    """No plug-in of ``kind`` is called ``name``; ``known`` lists the ones that are."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        super().__init__(f"unknown {kind} type {name!r}; known types: {', '.join(known) or 'none'}")
        self.kind = kind
        self.name = name
        self.known = known


class ConfigFileError(ConfigError, ValueError):
    """A YAML config file cannot be read, is not YAML, or is empty."""


class QueryError(InputError, ValueError):
    """A filter a person gave cannot be turned into a query; the message says why."""


class SearchUnavailable(PeerError, RuntimeError):
    """The search server did not acknowledge a write; the caller must retry, not ack."""
