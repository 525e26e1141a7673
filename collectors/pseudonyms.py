"""Author pseudonyms: who wrote a post, without keeping who they are.

Monitoring needs to see that the same account posted forty times in an hour, not
the account's name. A keyed HMAC gives each author a stable token that cannot be
reversed by hashing a list of known handles, as a bare hash could, as long as the
key (``collector.pseudonym_secret``) stays secret. Rotating the key breaks the link
between old and new pseudonyms, which is sometimes exactly what is wanted.

Official accounts (a ministry, a UN agency, a newsroom), configured with
``official: true``, keep their handle: their statements are public record and an
analyst must be able to cite them.
"""

from __future__ import annotations

import hashlib
import hmac

from tocsin.errors import ConfigError

PSEUDONYM_PREFIX = "p:"
PSEUDONYM_HEX_CHARS = 24
"""96 bits: no two authors of any realistic archive share a pseudonym."""


class MissingPseudonymSecret(ConfigError, ValueError):
    """No key to pseudonymise with: an unkeyed hash of a handle is reversible by guessing."""


def author_pseudonym(secret: str, source_type: str, author_id: str, *, official: bool = False) -> str:
    """``"p:"`` and 24 hex digits of HMAC-SHA-256(secret, source type + author id).

    ``source_type`` keeps the same handle on two platforms (often two different
    people) apart. ``author_id`` should be the platform's most stable id (a DID, a
    numeric account id) and must be normalised by the caller where the platform
    ignores case (Telegram and Reddit names, Mastodon hosts). With ``official`` the
    author id itself is returned, stripped. Raises :class:`MissingPseudonymSecret`
    for an empty secret.
    """
    if official:
        return author_id.strip()
    if not secret:
        raise MissingPseudonymSecret("collector.pseudonym_secret is empty; "
                                     "set TOCSIN_COLLECTOR__PSEUDONYM_SECRET")
    message = f"{source_type}\x1f{author_id}".encode("utf-8", "surrogatepass")
    digest = hmac.new(secret.encode("utf-8", "surrogatepass"), message, hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX_CHARS]
