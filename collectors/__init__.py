"""Collectors: configured feeds → normalised items on ``items.raw``.

The flow is ``config`` (which feeds) → ``runner`` (when, at least once) → a source
plug-in (``feeds`` for RSS/Atom, over the polite ``fetch``er) → ``normalise`` →
``publisher``; ``state`` and ``schedule`` remember and pace. Importing the package
registers nothing: ``collectors.protocol.SOURCES`` finds a source plug-in by its
``type`` among this package's modules when a feeds file names it.
"""
