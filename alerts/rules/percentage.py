"""``percentage``: the share of a group's items that match, over all its items in a window.

E.g. "at least 30 % of the items about one country are hate speech, out of at
least 20". The router normally forwards only items that pass a rule's filter;
this rule needs the denominator too, so its ``match`` routes every item of the
population (the filter's languages, countries, source types and sources) and
marks whether it also passes the filter's categories and min_score.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from alerts.rules.base import RuleConfig, RulePlugin
from alerts.rules.frequency import alert_id, folded
from alerts.rules.windowed import (
    WindowedConfig,
    WindowedEvaluator,
    at,
    human,
    merge_samples,
    sample_fields,
    where,
)
from tocsin.schema import Alert, AlertMatch, EnrichedItem


class PercentageConfig(WindowedConfig):
    type: Literal["percentage"] = "percentage"
    threshold_pct: float = Field(gt=0.0, le=100.0)
    # Fewer items than this in a window say nothing about a share.
    min_total: int = Field(default=10, ge=1)
    samples: int = Field(default=10, ge=1, le=100)

    def match(self, item: EnrichedItem) -> AlertMatch | None:
        population = self.filter.model_copy(update={"categories": [], "min_score": 0.0})
        found = self.model_copy(update={"filter": population})
        routed = RuleConfig.group_match(found, item)
        if routed is None:
            return None
        return routed.model_copy(update={"matched": self.filter.accepts(item)})


def add_item(state: dict[str, Any] | None, match: dict[str, Any], samples: int) -> dict[str, Any]:
    """Fold one item into a bucket: total, matched, first/last matched, a few matched samples."""
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
            kept.append({"id": match["id"], "title": match["title"], "url": match["url"],
                         "loc": match.get("loc")})
        state["samples"] = kept
    return state


def merge_shares(states: list[dict[str, Any]], samples: int) -> dict[str, Any]:
    merged: dict[str, Any] = {"total": sum(s.get("total", 0) for s in states),
                              "matched": sum(s.get("matched", 0) for s in states),
                              "samples": merge_samples(states, samples)}
    matched = [s for s in states if s.get("matched")]
    if matched:
        merged["first"] = min(s["first"] for s in matched)
        merged["last"] = max(s["last"] for s in matched)
    return merged


def share(state: dict[str, Any]) -> float:
    total = state.get("total", 0)
    return 100.0 * state.get("matched", 0) / total if total else 0.0


def reaches(state: dict[str, Any], threshold_pct: float, min_total: int) -> bool:
    enough = state.get("total", 0) >= min_total and state.get("matched", 0) > 0
    return enough and share(state) >= threshold_pct


def build_alert(config: PercentageConfig, group_key: str, group: dict[str, str | None],
                state: dict[str, Any], window_start: float) -> Alert:
    pct = share(state)
    return Alert(
        id=alert_id(config.name, group_key, window_start),
        rule=config.name, rule_type=config.type, severity=config.severity,
        title=(f"{config.name}: {pct:.0f}% of {state['total']} items in {human(config.window)} "
               f"({where(group)})"),
        description=config.description,
        group=group, group_key=group_key,
        window_start=at(window_start), window_end=at(window_start + config.window),
        count=int(state["matched"]), threshold=config.min_total,
        first_seen=at(state["first"]), last_seen=at(state["last"]),
        details={"total": int(state["total"]), "percentage": round(pct, 2),
                 "threshold_pct": config.threshold_pct},
        **sample_fields(state.get("samples", []), group),
    )


class PercentageEvaluator(WindowedEvaluator):
    config: PercentageConfig

    def fold(self, state: dict[str, Any] | None, match: AlertMatch) -> dict[str, Any]:
        return add_item(state, {**folded(match), "matched": match.matched}, self.config.samples)

    def merge(self, states: list[dict[str, Any]]) -> dict[str, Any]:
        return merge_shares(states, self.config.samples)

    def level(self, window: dict[str, Any]) -> float:
        # Too few items say nothing: the share counts as zero (and an open alert may resolve).
        return share(window) if window.get("total", 0) >= self.config.min_total else 0.0

    def raise_level(self) -> float:
        return self.config.threshold_pct

    def fires(self, window: dict[str, Any]) -> bool:
        return reaches(window, self.config.threshold_pct, self.config.min_total)

    def build(self, group_key: str, group: dict[str, str | None], window: dict[str, Any],
              start: float) -> Alert:
        return build_alert(self.config, group_key, group, window, start)


class PercentageRule(RulePlugin):
    config_model = PercentageConfig
    evaluator_class = PercentageEvaluator
