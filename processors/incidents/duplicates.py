"""Near-duplicate text across sources and accounts: syndication and coordinated amplification.

Each text is normalised (case, links, mentions, retweet marks and punctuation
dropped) and sketched with MinHash over its character 5-grams (``rensa``, a
Rust MinHash); banded locality-sensitive hashing finds earlier texts that may be
near-identical, and the sketches' estimated Jaccard similarity decides. Texts
that match form a cluster, which remembers the source that published the text
first (its *origin*: a syndicated copy counts for that source, not its own) and
the accounts that posted it recently: many distinct accounts within a short
window is a burst (:class:`~tocsin.schema.Amplification`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from rensa import RMinHash

from tocsin.schema import Amplification

SHINGLE = 5
PERMUTATIONS = 64
BANDS = 16
"""16 bands of 4 rows: pairs at Jaccard 0.6 are candidates 88% of the time, at 0.3 only 13%."""
ROWS = PERMUTATIONS // BANDS
SEED = 17
EXPIRE_SWEEPS = 48
"""Sweeps of expired clusters per ``keep`` of event time (a sweep reads them all)."""

_LINK = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"(?<!\w)@\w+")
_RETWEET = re.compile(r"^\s*(rt|mt)\b[\s:]*", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Text as copies share it: no links, mentions, retweet marks, case, accents or punctuation."""
    text = unicodedata.normalize("NFKC", text)
    text = _LINK.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _RETWEET.sub("", text)
    text = text.casefold()
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", text).split())


def shingles(text: str) -> list[str]:
    """Character 5-grams of normalised text (any script, spaces or none); a short text is one shingle."""
    if len(text) <= SHINGLE:
        return [text] if text else []
    return [text[i : i + SHINGLE] for i in range(len(text) - SHINGLE + 1)]


def sketch(text: str) -> np.ndarray | None:
    """The MinHash signature of a normalised text; None for a text too short to compare."""
    tokens = shingles(text)
    if len(tokens) < 4:
        return None
    minhash = RMinHash(num_perm=PERMUTATIONS, seed=SEED)
    minhash.update(tokens)
    return np.asarray(minhash.digest(), dtype=np.uint32)


@dataclass
class TextCluster:
    """Near-identical texts: who published it first, and who posted it lately."""

    id: str
    origin: str
    signature: np.ndarray
    first_seen: float
    last_seen: float
    items: int = 0
    recent: deque[tuple[float, str]] = field(default_factory=deque)
    """Posts of the last ``window`` before the newest, in arrival order."""
    accounts: Counter[str] = field(default_factory=Counter)
    """Posts per account among ``recent``."""
    burst: Amplification | None = None

    def add(self, ts: float, account: str, window: float, accounts_needed: int) -> None:
        self.items += 1
        self.first_seen = min(self.first_seen, ts)
        self.last_seen = max(self.last_seen, ts)
        horizon = self.last_seen - window
        if ts < horizon:
            return  # too late to be part of a burst
        self.recent.append((ts, account))
        self.accounts[account] += 1
        while self.recent and self.recent[0][0] < horizon:
            _, gone = self.recent.popleft()
            self.accounts[gone] -= 1
            if not self.accounts[gone]:
                del self.accounts[gone]
        if len(self.accounts) >= accounts_needed and (
            self.burst is None or len(self.accounts) > self.burst.accounts
        ):
            times = [t for t, _ in self.recent]
            self.burst = Amplification(
                cluster=self.id,
                accounts=len(self.accounts),
                items=len(times),
                first_seen=datetime.fromtimestamp(min(times), UTC),
                last_seen=datetime.fromtimestamp(max(times), UTC),
            )


@dataclass(frozen=True)
class Seen:
    """What the index made of one text: its cluster (None: too short to compare) and its origin."""

    cluster: TextCluster | None
    origin: str

    @property
    def amplification(self) -> Amplification | None:
        return self.cluster.burst if self.cluster is not None else None


class DuplicateIndex:
    """Clusters of near-identical texts seen within ``keep`` seconds of event time. Not thread-safe."""

    def __init__(
        self, *, threshold: float = 0.6, window: float = 600.0, accounts: int = 5, keep: float = 48 * 3600.0
    ) -> None:
        self.threshold = threshold
        self.window = window
        self.accounts = accounts
        self.keep = keep
        self.clusters: dict[str, TextCluster] = {}
        self._bands: dict[tuple[int, bytes], set[str]] = {}
        self._watermark = float("-inf")
        self._expired_at = float("-inf")

    def add(self, item_id: str, text: str, *, source: str, account: str, ts: float) -> Seen:
        """Record one text; its cluster (new or joined) and the source it counts for."""
        signature = sketch(normalise(text))
        if signature is None:
            return Seen(None, source)
        cluster = self._nearest(signature)
        if cluster is None:
            cluster = TextCluster(
                id="dup-" + hashlib.sha1(item_id.encode()).hexdigest()[:16],
                origin=source,
                signature=signature,
                first_seen=ts,
                last_seen=ts,
            )
            self.clusters[cluster.id] = cluster
            for key in self._keys(signature):
                self._bands.setdefault(key, set()).add(cluster.id)
        elif ts < cluster.first_seen:
            cluster.origin = source  # an earlier copy arrived late: it is the first publisher
        cluster.add(ts, account, self.window, self.accounts)
        if ts > self._watermark:
            self._watermark = ts
            if ts - self._expired_at >= self.keep / EXPIRE_SWEEPS:
                self._expired_at = ts
                self._expire()
        return Seen(cluster, cluster.origin)

    def _keys(self, signature: np.ndarray) -> list[tuple[int, bytes]]:
        return [(band, signature[band * ROWS : (band + 1) * ROWS].tobytes()) for band in range(BANDS)]

    def _nearest(self, signature: np.ndarray) -> TextCluster | None:
        candidates: set[str] = set()
        for key in self._keys(signature):
            candidates |= self._bands.get(key, set())
        if not candidates:
            return None
        ordered = sorted(candidates)
        scores = (np.stack([self.clusters[c].signature for c in ordered]) == signature).mean(axis=1)
        best = int(np.argmax(scores))
        return self.clusters[ordered[best]] if float(scores[best]) >= self.threshold else None

    def _expire(self) -> None:
        horizon = self._watermark - self.keep
        for cluster in [c for c in self.clusters.values() if c.last_seen < horizon]:
            del self.clusters[cluster.id]
            for key in self._keys(cluster.signature):
                members = self._bands.get(key)
                if members is not None:
                    members.discard(cluster.id)
                    if not members:
                        del self._bands[key]
