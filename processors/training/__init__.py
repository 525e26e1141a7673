"""Offline training of Tocsin's own models (not imported by the stream).

Training needs PyTorch (the ``ml`` extra); the models it writes are read by
numpy alone (``processors.classifiers.ngram``).
"""
