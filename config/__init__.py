"""The default configuration files, installed as the package ``tocsin.defaults`` (see setup.py).

Read them through ``tocsin.resources.shipped("tocsin.defaults", NAME)``, which
finds them in a checkout and in an installed wheel alike. Deployments point the
settings at files of their own (``TOCSIN_CONFIG``, ``deploy/tocsin.yaml``).
"""
