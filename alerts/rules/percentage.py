"""``percentage``: the share of a group's items that match, over all its items in a window.

E.g. "at least 30 % of the items about one country are hate speech, out of at
least 20". The router normally forwards only items that pass a rule's filter;
this rule needs the denominator too, so its ``match`` routes every item of the
population (the filter's languages, countries, source types and sources) and
marks whether it also passes the filter's categories and min_score.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import faust
from pydantic import Field, model_validator

from alerts.rules.base import RuleConfig, RulePlugin, stored
from alerts.rules.frequency import _human, alert_id, should_raise
from tocsin.durations import Duration
from tocsin.schema import Alert, AlertMatch, EnrichedItem


class PercentageConfig(RuleConfig):
    type: Literal["percentage"] = "percentage"
    threshold_pct: float = Field(gt=0.0, le=100.0)
    # Fewer items than this in a window say nothing about a share.
    min_total: int = Field(default=10, ge=1)
    window: Duration = 3600.0
    step: Duration | None = None
    late: Duration = 6 * 3600.0
    samples: int = Field(default=10, ge=1, le=100)

    @model_validator(mode="after")
    def _step_fits(self) -> PercentageConfig:
        if self.step is None:
            self.step = max(1.0, self.window / 12)
        if self.step > self.window:
            raise ValueError(f"step ({self.step:g} s) must not exceed window ({self.window:g} s)")
        return self

    def match(self, item: EnrichedItem) -> AlertMatch | None:
        population = self.filter.model_copy(update={"categories": [], "min_score": 0.0})
        found = self.model_copy(update={"filter": population})
        routed = RuleConfig.match(found, item)
        if routed is None:
            return None
        return routed.model_copy(update={"matched": self.filter.accepts(item)})


def add_item(state: dict[str, Any] | None, match: dict[str, Any], samples: int) -> dict[str, Any]:
    """Fold one item into a window: total, matched, first/last matched, a few matched samples."""
    state = dict(state or {})
    state["total"] = state.get("total", 0) + 1
    state.setdefault("matched", 0)
    if match["matched"]:
        ts = match["ts"]
        state["matched"] += 1
        state["first"] = min(state.get("first", ts), ts)
        state["last"] = max(state.get("last", ts), ts)
        kept = list(state.get("samples", []))
        if len(kept) < samples and all(s["id"] != match["id"] for s in kept):
            kept.append({"id": match["id"], "title": match["title"], "url": match["url"]})
        state["samples"] = kept
    return state


def share(state: dict[str, Any]) -> float:
    total = state.get("total", 0)
    return 100.0 * state.get("matched", 0) / total if total else 0.0


def reaches(state: dict[str, Any], threshold_pct: float, min_total: int) -> bool:
    enough = state.get("total", 0) >= min_total and state.get("matched", 0) > 0
    return enough and share(state) >= threshold_pct


def build_alert(config: PercentageConfig, match: AlertMatch, state: dict[str, Any],
                window_start: float) -> Alert:
    def at(ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    where = ", ".join(f"{k} {v}" for k, v in match.group.items())
    pct = share(state)
    samples = state.get("samples", [])
    return Alert(
        id=alert_id(config.name, match.group_key, window_start),
        rule=config.name, rule_type=config.type, severity=config.severity,
        title=(f"{config.name}: {pct:.0f}% of {state['total']} items in {_human(config.window)} "
               f"({where})"),
        description=config.description,
        group=match.group, group_key=match.group_key,
        window_start=at(window_start), window_end=at(window_start + config.window),
        count=int(state["matched"]), threshold=config.min_total,
        sample_item_ids=[s["id"] for s in samples],
        sample_titles=[s["title"] for s in samples],
        sample_urls=[s["url"] for s in samples],
        first_seen=at(state["first"]), last_seen=at(state["last"]),
        details={"total": int(state["total"]), "percentage": round(pct, 2),
                 "threshold_pct": config.threshold_pct},
    )


class PercentageEvaluator:
    def __init__(self, config: PercentageConfig, app: faust.App) -> None:
        self.config = config
        assert config.step is not None
        self.window = faust.HoppingWindow(config.window, config.step, expires=config.window + config.late)
        self.shares = app.Table(f"rule-{config.name}-shares", default=dict).hopping(
            config.window, config.step, expires=config.window + config.late)
        self.raised = app.Table(f"rule-{config.name}-raised", default=float)

    def observe(self, match: AlertMatch, event: faust.EventT) -> Alert | None:
        config = self.config
        ts = match.event_time.timestamp()
        folded = {"ts": ts, "id": match.item_id, "title": match.title, "url": match.url,
                  "matched": match.matched}
        self.shares[match.group_key].apply(lambda s, m: add_item(s, m, config.samples), folded, event=event)
        table = self.shares.table
        for window_range in self.window.ranges(ts):
            key = (match.group_key, window_range)
            state = stored(table, key)
            if not state or not reaches(state, config.threshold_pct, config.min_total):
                continue
            last = self.raised[match.group_key] or None
            # should_raise's threshold is already met; it only applies realert here.
            if not should_raise(1, 1, ts, last, config.realert):
                return None
            self.raised[match.group_key] = ts
            return build_alert(config, match, state, window_range[0])
        return None


class PercentageRule(RulePlugin):
    config_model = PercentageConfig
    evaluator = PercentageEvaluator
