"""Collectors: configured feeds → normalised items on ``items.raw``.

The flow is ``config`` (which feeds) → ``runner`` (when, at least once) → a source
plug-in (``feeds`` for RSS/Atom, over the polite ``fetch``er) → ``normalise`` →
``publisher``; ``state`` and ``schedule`` remember and pace. Importing the package
registers the built-in source plug-ins.
"""

from collectors import bluesky as _bluesky  # noqa: F401  registers type 'bluesky'
from collectors import feeds as _builtin_sources  # noqa: F401  registers type 'rss'
from collectors import gdelt as _gdelt  # noqa: F401  registers type 'gdelt'
from collectors import googlenews as _googlenews  # noqa: F401  registers type 'googlenews'
from collectors import mastodon as _mastodon  # noqa: F401  registers type 'mastodon'
from collectors import mastodon_stream as _mastodon_stream  # noqa: F401  registers type 'mastodon_stream'
from collectors import reddit as _reddit  # noqa: F401  registers type 'reddit'
from collectors import reliefweb as _reliefweb  # noqa: F401  registers type 'reliefweb'
from collectors import telegram as _telegram  # noqa: F401  registers type 'telegram'
from collectors import youtube as _youtube  # noqa: F401  registers type 'youtube'
