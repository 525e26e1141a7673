"""Tocsin: shared pieces that collectors, processors and alerts all import.

Only the record schema, topic names, settings and the CLI live here; nothing
else crosses stage boundaries.
"""

__version__ = "0.1.0"
