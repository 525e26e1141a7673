"""Incident fusion (``fusion``), near-duplicate text and amplification (``duplicates``), what items are compared with (``embedding``) and the incidents index (``store``)."""
