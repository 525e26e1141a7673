"""Incident fusion (``fusion``), near-duplicate text and amplification (``duplicates``),
what items are compared with (``embedding``, ``background``), the incidents index (``store``)
and the processors' use of it all (``stage``)."""
