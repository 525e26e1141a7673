"""Evaluation harnesses behind ``tocsin eval``: read labelled files as published, print measures."""

from __future__ import annotations

from pathlib import Path

from tocsin.settings import Settings

KINDS = {
    "classify": "HateCheck/MHC, a training CSV, or a plain text,label CSV (hate speech)",
    "violence": "a text,violent[,subtype,lang] CSV (violence reports)",
    "places": "GeoVirus-style XML (geoparsing)",
    "incidents": "an id,incident,text,time[,lang,source,author,country,admin1,lat,lon,category,kind] CSV "
                 "(incident fusion)",
    "compare": "two decisions files (--decisions) of the same labelled file: paired differences",
}


def run_eval(what: str, path: Path, settings: Settings, *, limit: int | None = None, sweep: bool = False,
             embedder: str = "encoder", threshold: float | None = None, decisions: Path | None = None) -> int:
    """Run the harness for ``what`` (one of :data:`KINDS` but ``compare``) on ``path``; its last line
    is the summary.

    ``threshold``: the score a hit counts from (classify and violence only; None: 0.5).
    ``decisions``: where classify and violence also write each row's decision, for ``compare``."""
    if threshold is not None and what not in ("classify", "violence"):
        raise ValueError(f"--threshold is for classify and violence, not {what}")
    if decisions is not None and what not in ("classify", "violence"):
        raise ValueError(f"--decisions is for classify and violence, not {what}")
    if decisions is not None and not decisions.parent.is_dir():  # refused before a long run, not after
        from processors.evaluation.decisions import DecisionsFileError

        raise DecisionsFileError(f"{decisions}: its folder {decisions.parent} does not exist")
    scored_from = {} if threshold is None else {"threshold": threshold}
    if what == "classify":
        from processors.evaluation.classify import run_classify_eval

        return run_classify_eval(path, settings, limit=limit, decisions=decisions, **scored_from)
    if what == "violence":
        from processors.evaluation.violence import run_violence_eval

        return run_violence_eval(path, settings, limit=limit, decisions=decisions, **scored_from)
    if what == "places":
        from processors.evaluation.places import run_places_eval

        return run_places_eval(path, settings, limit=limit)
    if what == "incidents":
        from processors.evaluation.incidents import run_incidents_eval

        return run_incidents_eval(path, settings, limit=limit, sweep=sweep, embedder=embedder)
    raise ValueError(f"unknown evaluation {what!r}; known: {', '.join(KINDS)}")
