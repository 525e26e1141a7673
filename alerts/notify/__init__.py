"""Delivery of raised alerts: notifier plug-ins, one module each, found by ``type:``.

``protocol.NOTIFIERS`` finds a type among this package's modules (each registers its
class with ``@register``) when a notifiers file names it; nothing is listed here.
"""

from alerts.notify.protocol import (
    NOTIFIERS,
    DeliveryError,
    Notifier,
    NotifierConfigError,
    RetryPolicy,
    load_notifiers,
)
from alerts.notify.signature import verify_signature

__all__ = ["NOTIFIERS", "DeliveryError", "Notifier", "NotifierConfigError", "RetryPolicy",
           "load_notifiers", "verify_signature"]
