"""Delivery of raised alerts: notifier plug-ins, one module each, found by ``type:``.

Importing this package registers the built-in types.
"""

from alerts.notify import email as email
from alerts.notify import webhook as webhook
from alerts.notify.protocol import (
    NOTIFIER_TYPES,
    DeliveryError,
    Notifier,
    NotifierConfigError,
    RetryPolicy,
    load_notifiers,
)
from alerts.notify.signature import verify_signature

__all__ = ["NOTIFIER_TYPES", "DeliveryError", "Notifier", "NotifierConfigError", "RetryPolicy",
           "load_notifiers", "verify_signature"]
