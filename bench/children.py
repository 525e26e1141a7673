"""The benchmark's child processes: the stages run as in production, and their peak memory.

Every child dies with the benchmark (Linux parent-death signal, via
``tocsin.processes.spawn``) and is stopped in a ``finally``. Its peak resident
set (``VmHWM``) is read from ``/proc`` each time the benchmark checks on it and
just before it is stopped; a child that exits by itself is checked every 50 ms.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tocsin.processes import spawn


def peak_rss_kib(pid: int, field: str = "VmHWM") -> int | None:
    """``VmHWM`` (or another ``/proc/<pid>/status`` field, such as ``VmRSS``) of a live process
    in KiB; None once it has gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def own_peak_rss_kib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process so far; None once it has gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class PeakMemory:
    """Peak RSS per labelled process, the highest seen under each label."""

    kib: dict[str, int] = field(default_factory=dict)

    def record(self, label: str, value: int | None) -> None:
        if value is not None:
            self.kib[label] = max(self.kib.get(label, 0), value)

    def sample(self, label: str, pid: int) -> None:
        self.record(label, peak_rss_kib(pid))


@dataclass
class Child:
    """A ``python -m tocsin_launch.cli`` stage in a child process, its output in a log file."""

    label: str
    process: subprocess.Popen[bytes]
    log: Path
    peaks: PeakMemory
    exit_cpu_s: float | None = None
    """CPU seconds of a child that exited by itself (from ``wait4``)."""

    @classmethod
    def start(cls, label: str, args: list[str], env: Mapping[str, str], log: Path, peaks: PeakMemory,
              *, log_level: str = "info", wrap: list[str] | None = None) -> Child:
        command = [*(wrap or []), sys.executable, "-m", "tocsin_launch.cli", "--log-level", log_level, *args]
        with log.open("ab") as out:
            process = spawn(command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
        return cls(label, process, log, peaks)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        """Still running; a child that has exited is reaped here and its peak RSS kept."""
        if self.process.returncode is not None:
            return False
        try:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
        except ChildProcessError:
            return self.process.poll() is None
        if pid == 0:
            self.peaks.sample(self.label, self.pid)
            return True
        # Not usage.ru_maxrss: on Linux it counts the parent's pages copied at fork,
        # before exec, so every child would report at least the benchmark's own size.
        self.exit_cpu_s = usage.ru_utime + usage.ru_stime
        self.process.returncode = os.waitstatus_to_exitcode(status)
        return False

    def cpu_s(self) -> float | None:
        return self.exit_cpu_s if self.process.returncode is not None else cpu_seconds(self.pid)

    def check(self, what: str) -> None:
        if not self.alive():
            raise ChildFailed(f"{self.label} exited with status {self.process.returncode} while "
                              f"waiting for {what}; last lines of {self.log}:\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def wait(self, timeout: float) -> int:
        """Wait for the child to exit by itself; raise TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.label} still running after {timeout:.0f} s")
            time.sleep(0.05)
        return int(self.process.returncode or 0)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` s; the peak RSS is read first."""
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self.alive():
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                self.process.wait()
                return
            time.sleep(0.05)


class ChildFailed(RuntimeError):
    """A stage's child process exited when it should have kept running."""


def stop_all(children: list[Child]) -> None:
    """Stop every child, all at once (SIGTERM to each first, then wait)."""
    for child in children:
        if child.alive():
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)
    for child in children:
        child.stop()


@contextlib.contextmanager
def workdir(keep: bool, prefix: str = "tocsin-bench-") -> Iterator[Path]:
    """A scratch directory for a run's peers and logs, removed unless ``keep``."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if keep:
            print(f"\nwork directory kept: {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)
