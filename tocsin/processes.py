"""Child processes that die with their parent, so a killed demo leaves nothing behind."""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> Callable[[], None] | None:
    """preexec hook: ask Linux to SIGTERM the child when its parent goes away."""
    if not sys.platform.startswith("linux"):
        return None

    def hook() -> None:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return hook


def spawn(args: Sequence[str], **kwargs: object) -> subprocess.Popen[bytes]:
    """A child in a session of its own (a terminal's Ctrl-C reaches only us, and we
    stop children in order) that still dies with us."""
    return subprocess.Popen(list(args), preexec_fn=die_with_parent(),  # type: ignore[call-overload]
                            start_new_session=True, **kwargs)


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    except ProcessLookupError:
        pass

