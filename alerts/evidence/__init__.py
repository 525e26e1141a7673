"""The evidence agent: freezes every alert's contributing items as the alerts worker raises it.

The evidence store itself (records, custody log, bundles) is in the core,
``tocsin.evidence``: the API and the command line read what this agent writes.
"""
