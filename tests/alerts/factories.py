from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tocsin.schema import CategoryHit, EnrichedItem, ItemSignal, SourceRef

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def enriched(item_id: str = "i-1", *, minutes: float = 0, categories: dict[str, float] | None = None,
             lang: str = "en", country: str | None = "SD", title: str = "t", **extra: Any) -> EnrichedItem:
    when = T0 + timedelta(minutes=minutes)
    return EnrichedItem(
        id=item_id, source=SourceRef(type="rss", name="feed-a", url="http://127.0.0.1/feed.xml"),
        url=f"https://news.example/{item_id}", title=title, text="text", published=when, collected=when,
        raw_sha256="0" * 64, content_sha256="1" * 64, lang=lang, lang_confidence=0.9,
        categories={name: CategoryHit(score=score, terms=[], classifier="keywords/1")
                    for name, score in (categories or {}).items()},
        country=country, processed=when, **extra,
    )


def signal(item_id: str = "i-1", ts: float = 0.0, *, matched: bool = True, value: str | None = None,
           rule: str = "r", group: dict[str, str | None] | None = None) -> ItemSignal:
    """An item signal at ``ts`` (epoch seconds), as a rule's ``match`` makes one."""
    group = {"country": "SD"} if group is None else group
    return ItemSignal(rule=rule, group=group, group_key="|".join(f"{k}={v}" for k, v in group.items()),
                      item_id=item_id, title="t", event_time=datetime.fromtimestamp(ts, UTC),
                      matched=matched, value=value)
