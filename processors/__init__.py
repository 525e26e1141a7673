"""Processors: ``items.raw`` → language, categories, places → ``items.enriched`` + archive.

The enrichment logic is pure and lives in :mod:`processors.enrich` (with
:mod:`~processors.language`, :mod:`~processors.categories`,
:mod:`~processors.geo.gazetteer` and the classifier plug-ins); the Faust shell around
it is :mod:`processors.app`.
"""
