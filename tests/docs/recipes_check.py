"""Checks the recipes of docs/extending.md, run as ``python -m tests.docs.recipes_check DIR KIND``.

``DIR`` holds the recipe modules written out of the page at the paths it gives them
(``DIR/collectors/jsonfeed.py`` …). Each check adds ``DIR``'s folder to the plug-in
package, as if the file had been added to the tree, and uses the plug-in through
Tocsin's own loaders by the name a YAML file gives it: nothing imports or registers
it by hand, so the page's "adding a built-in is adding one file" is what is checked.
It runs in a child process, so the plug-ins never leak into other tests.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import threading
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.alerts.factories import T0, enriched
from tocsin.schema import Alert


def add_to_the_tree(scratch: Path, package_name: str) -> None:
    """Make the recipe files under ``scratch`` modules of ``package_name``, as if added to the tree."""
    package = importlib.import_module(package_name)
    package.__path__.append(str(scratch.joinpath(*package_name.split("."))))


def check_source(scratch: Path) -> None:
    from collectors.config import SourceConfigError, parse_sources
    from collectors.fetch import Fetcher
    from collectors.protocol import PollContext, Validators, build_source
    from tocsin.settings import CollectorSettings

    add_to_the_tree(scratch, "collectors")
    entries = [{"id": f"https://example.org/{n}", "url": f"https://example.org/{n}", "title": f"Report {n}",
                "content_html": f"<p>Shelling <b>near</b> town {n}</p><script>x()</script>",
                "date_published": "2026-11-20T10:00:00Z"} for n in range(3)]
    site = scratch / "site"
    site.mkdir()
    (site / "feed.json").write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1",
                                                "items": entries}))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/feed.json"
    [feed] = parse_sources({"feeds": [{"name": "desk", "type": "jsonfeed", "url": url, "max_items": 2}]},
                           "feeds.yaml")
    assert type(feed).__name__ == "JsonFeedConfig"
    recipe = sys.modules["collectors.jsonfeed"]
    typo = {"name": "desk", "type": "jsonfeed", "url": url, "max_item": 2}
    with pytest.raises(SourceConfigError, match=r"feeds\.yaml: feeds\[0\] \(desk\): max_item: unknown key"):
        parse_sources({"feeds": [typo]}, "feeds.yaml")
    source = build_source(feed)

    async def poll_twice() -> tuple[Any, Any]:
        async with Fetcher(CollectorSettings(allow_private_targets=True)) as fetcher:
            first = await source.poll(PollContext(fetcher, Validators(), datetime.now(UTC)))  # type: ignore[union-attr]
            again = await source.poll(PollContext(fetcher, first.validators, datetime.now(UTC)))  # type: ignore[union-attr]
            return first, again

    first, again = asyncio.run(poll_twice())
    server.shutdown()
    assert first.status == "changed" and [item.title for item in first.items] == ["Report 0", "Report 1"]
    assert first.items[0].text == "Shelling near town 0" and first.items[0].provenance is not None
    assert len({item.id for item in first.items}) == 2
    assert again.status == "unchanged"
    with pytest.raises(ValueError, match="not a JSON Feed"):
        recipe.feed_items(b'{"version": 1}', feed, datetime.now(UTC))


def check_classifier(scratch: Path) -> None:
    from processors.categories import load_categories
    from processors.classifiers import registry
    from processors.classifiers.protocol import ClassifierConfigError, ItemText
    from tocsin.settings import ProcessingSettings

    add_to_the_tree(scratch, "processors.classifiers")
    categories = load_categories(ProcessingSettings().categories_file)
    pattern = r"\b(?:burn(?:ed|t)|torched) (?:down )?(?:the )?village"
    settings = {"regex": {"patterns": {"violence_report": [pattern]}}}
    [classifier] = registry.build_classifiers(["regex"], categories, settings, Path("classifiers.yaml"))
    hits = classifier.classify([ItemText("Militiamen torched the village at dawn.", "en"),
                                ItemText("A quiet market day.", "en")])
    assert hits[1] == {}
    hit = hits[0]["violence_report"]
    assert (hit.score, hit.terms, hit.classifier) == (0.9, ["torched the village"], "regex/1")
    recipe = sys.modules["processors.classifiers.regex"]
    assert registry.CLASSIFIERS.get("regex").config_model is recipe.RegexSettings
    with pytest.raises(ClassifierConfigError, match=r"classifiers\.yaml: key 'classifiers\.regex\.patterns'"):
        registry.build_classifiers(["regex"], categories, {"regex": {"patterns": {"x": ["(unclosed"]}}},
                                   Path("classifiers.yaml"))
    with pytest.raises(ClassifierConfigError, match=r"key 'classifiers\.regex\.score'"):
        registry.build_classifiers(["regex"], categories, {"regex": {"patterns": {"x": ["a"]}, "score": 2}},
                                   Path("classifiers.yaml"))


def check_rule(scratch: Path) -> None:
    from alerts.engine import Engine
    from alerts.rules import RuleConfigError, load_rules
    from alerts.rules.base import match_all
    from alerts.state import MappingStore

    add_to_the_tree(scratch, "alerts.rules")
    rules_file = scratch / "rules.yaml"
    rules_file.write_text("""
rules:
  - name: violence-sustained
    type: sustained
    filter: {categories: [violence_report], min_score: 0.5}
    group_by: [country]
    window: 7d
    step: 1d
    min_active: 4
""")
    engine = Engine(load_rules(rules_file), MappingStore(), MappingStore())
    raised: list[Alert] = []
    # Five reports on one day are a burst, not a sustained run: nothing; then three more days make four.
    for n, day in enumerate([0, 0, 0, 0, 0, 1, 2, 3]):
        item = enriched(f"i-{n}", minutes=day * 1440 + n, categories={"violence_report": 0.9})
        for match in match_all(engine.rules, item):
            raised += engine.handle(match, (T0 + timedelta(days=day)).timestamp())
    assert [(alert.event, alert.details) for alert in raised] == [("opened", {"active_steps": 4})]
    assert raised[0].rule_type == "sustained" and raised[0].count == 8
    rules_file.write_text(rules_file.read_text().replace("min_active: 4", "min_active: 8"))
    with pytest.raises(RuleConfigError, match="min_active \\(8\\) exceeds the window's 7 steps"):
        load_rules(rules_file)


def check_notifier(scratch: Path) -> None:
    from alerts.notify import DeliveryError, load_notifiers

    add_to_the_tree(scratch, "alerts.notify")
    drop = scratch / "alerts.jsonl"
    notifiers_file = scratch / "notifiers.yaml"
    notifiers_file.write_text(f"notifiers:\n  - name: desk-drop\n    type: jsonlines\n    path: {drop}\n"
                              "    min_severity: warning\n")
    [notifier] = load_notifiers(notifiers_file, {})
    alert = Alert(id="a-1", rule="r", rule_type="frequency", title="<b>t</b>", group={"country": "SD"},
                  group_key="country=SD", window_start=T0, window_end=T0, count=3, threshold=3,
                  sample_item_ids=["i-1"], first_seen=T0, last_seen=T0)
    asyncio.run(notifier.send(alert))
    asyncio.run(notifier.send(alert.model_copy(update={"version": 2, "event": "updated"})))
    lines = [json.loads(line) for line in drop.read_text().splitlines()]
    assert [(line["id"], line["version"], line["title"]) for line in lines] == [
        ("a-1", 1, "<b>t</b>"), ("a-1", 2, "<b>t</b>")]
    assert notifier.routing.accepts(alert) and not notifier.routing.accepts(
        alert.model_copy(update={"severity": "info"}))
    notifiers_file.write_text(
        f"notifiers:\n  - name: lost\n    type: jsonlines\n    path: {scratch}/no/such/dir.jsonl\n")
    [lost] = load_notifiers(notifiers_file, {})
    with pytest.raises(DeliveryError, match="lost: cannot append to"):
        asyncio.run(lost.send(alert))


CHECKS = {"source": check_source, "classifier": check_classifier, "rule": check_rule,
          "notifier": check_notifier}

if __name__ == "__main__":
    directory, kind = Path(sys.argv[1]), sys.argv[2]
    CHECKS[kind](directory)
    print(f"{kind}: ok")
