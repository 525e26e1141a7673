"""Delivery of raised alerts: notifier plug-ins, one module each, found by ``type:``.

Importing this package registers the built-in types.
"""

from alerts.notify import webhook as webhook
from alerts.notify.protocol import (
    NOTIFIER_TYPES,
    DeliveryError,
    Notifier,
    NotifierConfigError,
    RetryPolicy,
    load_notifiers,
)

__all__ = ["NOTIFIER_TYPES", "DeliveryError", "Notifier", "NotifierConfigError", "RetryPolicy",
           "load_notifiers"]
