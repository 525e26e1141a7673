"""The demo's recorded corpus and rules, installed as ``tocsin_embedded.demo_data`` (see setup.py).

``tocsin demo`` reads them through ``tocsin_embedded.corpus``; ``build_corpus.py``
rebuilds the corpus from the shared data sets.
"""
