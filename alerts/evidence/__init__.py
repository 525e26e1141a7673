"""Evidence: contributing items frozen per alert, an append-only custody log, export bundles.

``EvidenceStore`` (store.py) freezes and serves; ``verify_bundle`` (bundle.py)
checks an exported zip offline; ``add_evidence_agent`` (agent.py) freezes every
alert as the alerts worker raises it.
"""

from alerts.evidence.bundle import BundleReport, verify_bundle
from alerts.evidence.custody import ChainReport, verify_custody
from alerts.evidence.records import CustodyEntry, EvidenceItem, EvidenceRecord
from alerts.evidence.store import EvidenceError, EvidenceNotFound, EvidenceStore

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
