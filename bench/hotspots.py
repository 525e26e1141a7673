"""Where a profiled process spent its time, from py-spy's raw (collapsed-stack) output.

``py-spy record --format raw`` writes one line per distinct stack:
``outer (file.py:12);inner (other.py:34) <samples>``. Line numbers are dropped
here so that a function is one entry however many lines of it were sampled.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
PROJECT_PACKAGES = ("tocsin", "collectors", "processors", "alerts")


@dataclass(frozen=True)
class Profile:
    samples: int
    self_by_function: Counter[str]
    self_by_module: Counter[str]
    inclusive_by_function: Counter[str]


def _frame(raw: str) -> tuple[str, str]:
    """(function with its file, top-level module) of one frame."""
    match = _FRAME.match(raw.strip())
    if not match:
        return raw.strip(), "?"
    path = match["file"]
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    for package in PROJECT_PACKAGES:
        marker = f"/{package}/"
        if marker in f"/{path}":
            path = package + "/" + f"/{path}".split(marker, 1)[1]
            break
    module = path.split("/", 1)[0].removesuffix(".py") if "/" in path else path.removesuffix(".py")
    return f"{match['func']} ({path})", module


def load(paths: list[Path]) -> Profile:
    self_fn: Counter[str] = Counter()
    self_mod: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for path in paths:
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            samples = int(count)
            frames = [_frame(part) for part in stack.split(";") if part.strip()]
            if not frames:
                continue
            total += samples
            function, module = frames[-1]
            self_fn[function] += samples
            self_mod[module] += samples
            for name in {f for f, _ in frames}:
                inclusive[name] += samples
    return Profile(total, self_fn, self_mod, inclusive)


def report(title: str, profile: Profile, top: int = 12) -> str:
    """A plain-text summary: self time by module and function, inclusive time of project code."""
    if profile.samples == 0:
        return f"{title}: no samples"
    def pct(n: int) -> str:
        return f"{100 * n / profile.samples:5.1f}%"

    lines = [f"{title} ({profile.samples} samples, idle excluded)", "  self time by module:"]
    lines += [f"    {pct(n)}  {name}" for name, n in profile.self_by_module.most_common(top)]
    lines.append("  self time by function:")
    lines += [f"    {pct(n)}  {name}" for name, n in profile.self_by_function.most_common(top)]
    project = Counter({name: n for name, n in profile.inclusive_by_function.items()
                       if any(f"({p}/" in name for p in PROJECT_PACKAGES)})
    lines.append("  inclusive time, project code:")
    lines += [f"    {pct(n)}  {name}" for name, n in project.most_common(top)]
    return "\n".join(lines)
