"""The shipped models, installed as the package ``processors.models`` (see setup.py).

Each model is a folder with its model card; code finds one through
``tocsin.resources.shipped("processors.models", NAME)``.
"""
