"""The audit step reads pip-audit's report and never calls "not looked up" a pass."""

from __future__ import annotations

import json
from typing import Any

from tocsin.audit import AuditReport, exit_status, read_report, summarise


def report(*dependencies: dict[str, Any]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


CLEAN = {"name": "httpx", "version": "0.28.1", "vulns": []}
EDITABLE = {"name": "tocsin", "skip_reason": "distribution marked as editable"}


def not_found(name: str) -> dict[str, Any]:
    reason = f"Dependency not found on PyPI and could not be audited: {name} (1.0)"
    return {"name": name, "skip_reason": reason}


def test_a_clean_audit_passes_and_says_how_many_packages_it_checked() -> None:
    audit = read_report(report(CLEAN, {"name": "lxml", "version": "6.0", "vulns": []}, EDITABLE))
    assert audit.auditable and exit_status(audit, strict=True) == 0
    assert summarise(audit) == ["audited 2 packages", "no known vulnerabilities in the audited packages"]


def test_a_vulnerability_fails_and_names_package_id_and_fix() -> None:
    vulnerable = {"name": "aiohttp", "version": "3.9.0",
                  "vulns": [{"id": "PYSEC-2024-24", "fix_versions": ["3.9.2"], "description": "..."}]}
    audit = read_report(report(CLEAN, vulnerable))
    assert exit_status(audit, strict=False) == 1
    assert "VULNERABLE aiohttp 3.9.0: PYSEC-2024-24 (fixed in 3.9.2)" in summarise(audit)


def test_when_the_service_answers_for_nothing_it_is_not_audited_not_clean() -> None:
    """What pip-audit prints as 'No known vulnerabilities found' when PyPI's JSON API is out of reach."""
    audit = read_report(report(not_found("httpx"), not_found("lxml"), EDITABLE))
    assert not audit.auditable
    first = summarise(audit)[0]
    assert first.startswith("NOT AUDITED: the vulnerability service answered for 0 of 2 packages")
    assert exit_status(audit, strict=False) == 0
    assert exit_status(audit, strict=True) == 2


def test_a_few_unknown_packages_are_listed_but_do_not_void_the_audit() -> None:
    lxml = {"name": "lxml", "version": "6.0", "vulns": []}
    audit = read_report(report(CLEAN, lxml, not_found("private-pkg")))
    assert audit.auditable and exit_status(audit, strict=True) == 0
    assert summarise(audit)[0] == "audited 2 packages; not found, so not audited: private-pkg"


def test_a_pip_audit_that_produced_no_report_is_not_audited() -> None:
    audit = AuditReport(failure="pip-audit did not finish within 300 s")
    assert summarise(audit) == ["NOT AUDITED: pip-audit did not finish within 300 s"]
    assert exit_status(audit, strict=True) == 2 and exit_status(audit, strict=False) == 0
