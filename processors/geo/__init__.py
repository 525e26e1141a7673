"""Places: which places an item names, resolved, and the one it is mainly about.

The gazetteer, built apart from its lookup:

* :mod:`~processors.geo.gazetteer` — :class:`Gazetteer`: locates items (the rules
  of what counts as a mention are in its docstring).
* :mod:`~processors.geo.shared` — one gazetteer per process, built in a child.
* :mod:`~processors.geo.build` — builds the tables and the matcher, once.
* :mod:`~processors.geo.names` — which names of each place go in.
* :mod:`~processors.geo.areas` — areas' representative points, boxes and ids.
* :mod:`~processors.geo.placenames` — hand-written tables (demonyms, aliases,
  regions, seats, stop lists).
* :mod:`~processors.geo.index` — the tables: facts about every candidate.
* :mod:`~processors.geo.matching` — finds the names in a text (mentions).
* :mod:`~processors.geo.records` — the :class:`~tocsin.schema.Place` records of
  an item's resolved mentions.
* :mod:`~processors.geo.native` — which of these run compiled (mypyc, built at
  install time) and the pure-Python fallback.

Around it:

* :mod:`~processors.geo.admin1` — first-level regions (ISO 3166-2, from pycountry)
  and their join to the GeoNames admin1 codes that cities carry.
* :mod:`~processors.geo.scripts` — matching for scripts that folding cannot give
  word boundaries to: Indic scripts (marks inside words) and Burmese (no spaces).
* :mod:`~processors.geo.cyrillic` — declined forms of Cyrillic names.
* :mod:`~processors.geo.derive_admin_names` — how ``data/admin_names.tsv.gz``
  (GeoNames' names of admin1 and admin2 units) was derived.
* :mod:`~processors.geo.resolve` — one place per mention (population prior,
  context, proximity), confidence, and the item's primary place.
* :mod:`~processors.geo.nearest` — nearest gazetteer city to a point (geotags).
* :mod:`~processors.geo.ner` — optional transformers NER that proposes mentions.
* :mod:`~processors.geo.config` — ``config/places.yaml``.

Folding (:mod:`processors.folding`) and the name automaton
(:mod:`processors.multiscript`) stay beside the categories and classifiers,
which use them as much as places do.
"""

from processors.geo.native import use_compiled_or_pure

use_compiled_or_pure()   # before any module of the per-mention path is imported
