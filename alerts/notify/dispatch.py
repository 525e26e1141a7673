"""Send one alert to every notifier whose routing accepts it, all at once, each on its
own retry clock.

A channel that is down costs only its own attempts: the others deliver at once,
and after ``max_attempts`` the alert is dead-lettered for that channel, so the
stream moves on within a bounded time.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence

from alerts.notify.protocol import DeliveryError, Notifier
from tocsin import topics
from tocsin.schema import Alert, DeadLetter

logger = logging.getLogger(__name__)

STAGE = "alerts-delivery"
DeadLetterSink = Callable[[DeadLetter], Awaitable[None]]


class Dispatcher:
    def __init__(self, notifiers: Sequence[Notifier], dead_letter: DeadLetterSink, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 rng: random.Random | None = None) -> None:
        self.notifiers = list(notifiers)
        self._dead_letter = dead_letter
        self._sleep = sleep
        self._rng = rng or random.Random()

    async def dispatch(self, alert: Alert) -> dict[str, bool]:
        """Deliver to the notifiers whose routing accepts this version; returns name →
        delivered for those (the others are left out). Never raises for a channel's
        failure (that is dead-lettered); only the dead-letter sink's own errors escape."""
        chosen = [n for n in self.notifiers if n.routing.accepts(alert)]
        if len(chosen) < len(self.notifiers):
            logger.debug("alert %s (%s, %s, %s) not routed to %s", alert.version_id, alert.event,
                         alert.severity, alert.rule,
                         ", ".join(n.name for n in self.notifiers if n not in chosen))
        results = await asyncio.gather(*(self._deliver(n, alert) for n in chosen))
        return {n.name: ok for n, ok in zip(chosen, results, strict=True)}

    async def _deliver(self, notifier: Notifier, alert: Alert) -> bool:
        policy = notifier.retry
        attempt = 0
        while True:
            attempt += 1
            try:
                await notifier.send(alert)
                return True
            except DeliveryError as exc:
                error: Exception = exc
                final = exc.permanent or attempt >= policy.max_attempts
                retry_after = exc.retry_after_s
            except Exception as exc:  # a plug-in bug must not stop the other channels
                logger.exception("notifier %s raised unexpectedly", notifier.name)
                error, final, retry_after = exc, attempt >= policy.max_attempts, None
            if final:
                break
            delay = policy.delay(attempt, retry_after, self._rng.random())
            logger.warning("delivery of alert %s to %s failed (attempt %d/%d): %s; retrying in %.1f s",
                           alert.id, notifier.name, attempt, policy.max_attempts, error, delay)
            await self._sleep(delay)
        logger.error("delivery of alert %s to %s failed after %d attempt(s): %s",
                     alert.id, notifier.name, attempt, error)
        letter = DeadLetter.of(stage=STAGE, reason="delivery-failed",
                               error=f"{notifier.name} after {attempt} attempt(s): {error}",
                               payload=alert.to_bytes(), topic=topics.ALERTS, key=alert.id)
        await self._dead_letter(letter)
        return False
