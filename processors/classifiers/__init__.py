"""Classifier plug-ins: each scores item texts against the configured categories.

A plug-in is one module with one class implementing :class:`Classifier` and
registered under the name used in ``ProcessingSettings.classifiers``.
"""

from processors.classifiers.protocol import Classifier, ClassifierConfigError, ItemText
from processors.classifiers.registry import available, build_classifiers, register

__all__ = ["Classifier", "ClassifierConfigError", "ItemText", "available", "build_classifiers", "register"]
