"""Evidence: contributing items frozen per alert, an append-only custody log, export bundles.

``EvidenceStore`` (store.py) freezes and serves; ``verify_bundle`` (bundle.py)
checks an exported zip offline. In the core because three parts use it: the alerts
stage writes it (``alerts.evidence.agent`` freezes every alert as the worker raises
it), the API and the command line read and export it.
"""

from tocsin.evidence.bundle import BundleReport, verify_bundle
from tocsin.evidence.custody import ChainReport, verify_custody
from tocsin.evidence.records import CustodyEntry, EvidenceItem, EvidenceRecord
from tocsin.evidence.store import EvidenceError, EvidenceNotFound, EvidenceStore

__all__ = [
    "BundleReport",
    "ChainReport",
    "CustodyEntry",
    "EvidenceError",
    "EvidenceItem",
    "EvidenceNotFound",
    "EvidenceRecord",
    "EvidenceStore",
    "verify_bundle",
    "verify_custody",
]
