"""The parts of the geoparser that :mod:`processors.geo.gazetteer` (the gazetteer) builds on.

* :mod:`~processors.geo.admin1` — first-level regions (ISO 3166-2, from pycountry)
  and their join to the GeoNames admin1 codes that cities carry.
* :mod:`~processors.geo.scripts` — matching for scripts that folding cannot give
  word boundaries to: Indic scripts (marks inside words) and Burmese (no spaces).
* :mod:`~processors.geo.resolve` — one place per mention (population prior,
  context, proximity), confidence, and the item's primary place.
* :mod:`~processors.geo.nearest` — nearest gazetteer city to a point (geotags).
* :mod:`~processors.geo.ner` — optional transformers NER that proposes mentions.
* :mod:`~processors.geo.config` — ``config/places.yaml``.
"""
