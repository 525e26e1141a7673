"""Run the three stages as child processes and print alerts as they are raised.

``tocsin run`` uses it against configured peers; ``tocsin demo`` against the
embedded ones. Children die with the supervisor (Linux parent-death signal) and
are stopped with SIGTERM, then SIGKILL, so nothing is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Mapping

from aiokafka import AIOKafkaConsumer

from tocsin import topics
from tocsin.kafka import client_kwargs, ensure_topics
from tocsin.processes import die_with_parent
from tocsin.schema import Alert
from tocsin.settings import Settings

STAGES = ("process", "alert", "collect")


def print_alert(alert: Alert) -> None:
    where = ", ".join(f"{k}={v}" for k, v in alert.group.items())
    print(f"\n[ALERT {alert.severity}] {alert.rule} ({where}): {alert.count} items "
          f"≥ {alert.threshold} between {alert.first_seen:%Y-%m-%d %H:%M} and {alert.last_seen:%H:%M} UTC",
          flush=True)
    for title in alert.sample_titles[:3]:
        print(f"    - {title[:110]!r}", flush=True)


async def _watch_alerts(settings: Settings, on_alert: Callable[[Alert], None], from_start: bool) -> None:
    consumer = AIOKafkaConsumer(topics.ALERTS, **client_kwargs(settings.kafka),
                                auto_offset_reset="earliest" if from_start else "latest",
                                enable_auto_commit=False)
    seen: set[str] = set()
    try:
        await consumer.start()  # inside: a start that fails must stop the consumer too
        async for message in consumer:
            try:
                alert = Alert.from_bytes(message.value or b"")
            except ValueError:
                continue
            if alert.id not in seen:  # at-least-once: a replayed alert is shown once
                seen.add(alert.id)
                on_alert(alert)
    finally:
        await consumer.stop()


async def supervise(settings: Settings, env: Mapping[str, str], *, duration: float | None = None,
                    log_level: str = "warning", on_alert: Callable[[Alert], None] = print_alert,
                    alerts_from_start: bool = False) -> int:
    await ensure_topics(settings.kafka)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    children: dict[str, asyncio.subprocess.Process] = {}
    watcher = asyncio.create_task(_watch_alerts(settings, on_alert, alerts_from_start))
    exit_code = 0
    try:
        for stage in STAGES:
            children[stage] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tocsin_launch.cli", "--log-level", log_level, stage,
                env={**os.environ, **env}, preexec_fn=die_with_parent(), start_new_session=True)
        waits = [asyncio.create_task(proc.wait()) for proc in children.values()]
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait([stopper, *waits], timeout=duration,
                                     return_when=asyncio.FIRST_COMPLETED)
        for stage, proc in children.items():
            if proc.returncode is not None and not stop.is_set():
                print(f"tocsin: the {stage} stage exited with status {proc.returncode}", file=sys.stderr)
                exit_code = 1
        stopper.cancel()
        print("Stopping the stages…", file=sys.stderr, flush=True)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await watcher
        await _stop_children(children)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return exit_code


async def _stop_children(children: Mapping[str, asyncio.subprocess.Process], grace: float = 15.0) -> None:
    for proc in children.values():
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
    for proc in children.values():
        try:
            await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


def run_pipeline(settings: Settings, *, duration: float | None = None) -> int:
    return asyncio.run(supervise(settings, {}, duration=duration))
