"""Audit the installed dependencies for known vulnerabilities (``make audit``).

Runs pip-audit against this environment with PyPI's own vulnerability data (the
registry's JSON API, the only service CI may reach) and says plainly what it
could and could not check: pip-audit reports "No known vulnerabilities found"
even when it could look up none of the packages, which must not read as a pass.

Exit status: 0 audited and clean (or not auditable, without ``--strict``),
1 vulnerabilities found, 2 not auditable with ``--strict``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

PIP_AUDIT = [sys.executable, "-m", "pip_audit", "--vulnerability-service", "pypi",
             "--progress-spinner", "off", "--skip-editable", "--local", "--format", "json"]


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    vulnerability: str
    fixed_in: tuple[str, ...]


@dataclass
class AuditReport:
    audited: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # package -> reason
    findings: list[Finding] = field(default_factory=list)
    failure: str | None = None  # pip-audit itself did not produce a report

    @property
    def auditable(self) -> bool:
        """Whether the vulnerability service answered for most packages."""
        return self.failure is None and len(self.audited) >= len(self.skipped)


def read_report(raw: str) -> AuditReport:
    """pip-audit's JSON (``--format json``) as what was checked, skipped and found."""
    report = AuditReport()
    data: dict[str, Any] = json.loads(raw)
    for dependency in data.get("dependencies", []):
        name = str(dependency.get("name"))
        if "skip_reason" in dependency:
            if "editable" not in str(dependency["skip_reason"]):
                report.skipped[name] = str(dependency["skip_reason"])
            continue
        report.audited.append(name)
        for vuln in dependency.get("vulns", []):
            report.findings.append(Finding(name, str(dependency.get("version")), str(vuln.get("id")),
                                           tuple(str(v) for v in vuln.get("fix_versions", []))))
    return report


def run_audit(timeout_s: float, socket_timeout_s: float) -> AuditReport:
    command = [*PIP_AUDIT, "--timeout", str(int(socket_timeout_s))]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return AuditReport(failure=f"pip-audit did not finish within {timeout_s:.0f} s "
                                   "(is PyPI's JSON API reachable from here?)")
    if "No module named pip_audit" in done.stderr:
        return AuditReport(failure="pip-audit is not installed (pip install -e '.[test]')")
    try:
        return read_report(done.stdout)
    except (json.JSONDecodeError, AttributeError, TypeError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return AuditReport(failure=f"pip-audit exited {done.returncode} without a report: {tail}")


def summarise(report: AuditReport) -> list[str]:
    if report.failure:
        return [f"NOT AUDITED: {report.failure}"]
    lines: list[str] = []
    if not report.auditable:
        sample = next(iter(report.skipped.values()), "")
        lines.append(f"NOT AUDITED: the vulnerability service answered for {len(report.audited)} of "
                     f"{len(report.audited) + len(report.skipped)} packages (e.g. {sample!r}); "
                     "nothing can be said about the others")
    elif report.skipped:
        lines.append(f"audited {len(report.audited)} packages; not found, so not audited: "
                     + ", ".join(sorted(report.skipped)))
    else:
        lines.append(f"audited {len(report.audited)} packages")
    for finding in report.findings:
        fixed = ", ".join(finding.fixed_in) or "no fixed release yet"
        lines.append(f"VULNERABLE {finding.package} {finding.version}: {finding.vulnerability} "
                     f"(fixed in {fixed})")
    if report.auditable and not report.findings:
        lines.append("no known vulnerabilities in the audited packages")
    return lines


def exit_status(report: AuditReport, *, strict: bool) -> int:
    if report.findings:
        return 1
    if not report.auditable and strict:
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tocsin.audit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strict", action="store_true", help="fail when the audit could not be done")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for the whole audit")
    parser.add_argument("--socket-timeout", type=float, default=15.0, help="seconds per request")
    args = parser.parse_args(argv)
    report = run_audit(args.timeout, args.socket_timeout)
    for line in summarise(report):
        print(f"audit: {line}")
    return exit_status(report, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
