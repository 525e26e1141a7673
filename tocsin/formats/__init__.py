"""Alerts in the formats people subscribe to: Atom feeds and CAP 1.2 messages.

Shared by the alerts stage (its feed, the notifiers' text) and the API (its feed,
``/alerts/{id}.cap``): pure functions of the ``Alert`` record, so they live in the core.
"""
