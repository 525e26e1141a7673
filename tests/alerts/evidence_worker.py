"""A Faust worker with only the evidence agent, for tests/alerts/test_evidence.py.

The alerts worker's own wiring (alerts/app.py) adds the same agent; this module
lets the agent be tested on a real broker without the rules. Settings come from
the environment, as in production.
"""

from __future__ import annotations

from typing import Any

import faust

from alerts.evidence.agent import add_evidence_agent
from tocsin.search import search_client
from tocsin.settings import Settings
from tocsin.streams import make_app, run_worker


def main() -> None:
    settings = Settings()
    app = make_app(settings, "evidence-test")
    es = search_client(settings.search)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]
    async def close_search(app: faust.App, **_: Any) -> None:
        await es.close()

    add_evidence_agent(app, es, settings, missing_retry_s=(0.5,))
    run_worker(app)


if __name__ == "__main__":
    main()
