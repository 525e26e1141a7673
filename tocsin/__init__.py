"""Tocsin's shared core: what collectors, processors, alerts and the API all import.

The record schema, topic names, settings, the Kafka and search clients and the
other pieces every stage builds on. The core imports no stage and no entry point
(``tests/test_layers.py`` keeps it so): the ``tocsin`` command, the supervisor and
the demo live in ``tocsin_launch``, the embedded test peers in ``tocsin_embedded``.
"""

__version__ = "0.1.0"
