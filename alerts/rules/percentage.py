"""``percentage``: the share of a group's items that match, over all its items in a window.

E.g. "at least 30 % of the items about one country are hate speech, out of at
least 20". The router normally forwards only items that pass a rule's filter;
this rule needs the denominator too, so its ``match`` routes every item of the
population (the filter's languages, countries, source types and sources) and
marks whether it also passes the filter's categories and min_score.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from alerts.rules.base import Rule, RuleConfig, register
from alerts.rules.counts import CountBucket, merge_samples, sample_of, with_sample
from alerts.rules.raising import human, raise_alert
from alerts.rules.windowed import WindowedConfig, WindowedEvaluator
from tocsin.schema import Alert, EnrichedItem, ItemSignal


class PercentageConfig(WindowedConfig):
    type: Literal["percentage"] = "percentage"
    threshold_pct: float = Field(gt=0.0, le=100.0)
    # Fewer items than this in a window say nothing about a share.
    min_total: int = Field(default=10, ge=1)
    samples: int = Field(default=10, ge=1, le=100)

    def match(self, item: EnrichedItem) -> ItemSignal | None:
        population = self.filter.model_copy(update={"categories": [], "min_score": 0.0})
        found = self.model_copy(update={"filter": population})
        routed = RuleConfig.group_match(found, item)
        if routed is None:
            return None
        return routed.model_copy(update={"matched": self.filter.accepts(item)})


class ShareBucket(CountBucket, total=False):
    """Every item of the population (``total``) and those that match (``matched``); first,
    last and the samples are of the matching ones only (``count`` is not used)."""

    total: int
    matched: int


def add_item(state: ShareBucket | None, match: ItemSignal, samples: int) -> ShareBucket:
    """Fold one item into a bucket: total, matched, first/last matched, a few matched samples."""
    folded: ShareBucket = {**(state or {})}
    folded["total"] = folded.get("total", 0) + 1
    folded.setdefault("matched", 0)
    if match.matched:
        ts = match.event_time.timestamp()
        folded["matched"] += 1
        folded["first"] = min(folded.get("first", ts), ts)
        folded["last"] = max(folded.get("last", ts), ts)
        folded["samples"] = with_sample(folded.get("samples", []), sample_of(match), samples)
    return folded


def merge_shares(states: list[ShareBucket], samples: int) -> ShareBucket:
    merged: ShareBucket = {"total": sum(s.get("total", 0) for s in states),
                           "matched": sum(s.get("matched", 0) for s in states),
                           "samples": merge_samples(states, samples)}
    matched = [s for s in states if s.get("matched")]
    if matched:
        merged["first"] = min(s["first"] for s in matched)
        merged["last"] = max(s["last"] for s in matched)
    return merged


def share(state: ShareBucket) -> float:
    total = state.get("total", 0)
    return 100.0 * state.get("matched", 0) / total if total else 0.0


def reaches(state: ShareBucket, threshold_pct: float, min_total: int) -> bool:
    enough = state.get("total", 0) >= min_total and state.get("matched", 0) > 0
    return enough and share(state) >= threshold_pct


def build_alert(config: PercentageConfig, group_key: str, group: dict[str, str | None],
                state: ShareBucket, window_start: float) -> Alert:
    pct = share(state)
    return raise_alert(
        config, group_key, group, what=f"{pct:.0f}% of {state['total']} items in {human(config.window)}",
        window=(window_start, window_start + config.window), count=int(state["matched"]),
        threshold=config.min_total, seen=(state["first"], state["last"]), samples=state.get("samples", []),
        details={"total": int(state["total"]), "percentage": round(pct, 2),
                 "threshold_pct": config.threshold_pct})


class PercentageEvaluator(WindowedEvaluator[ShareBucket]):
    config: PercentageConfig

    def fold(self, state: ShareBucket | None, match: ItemSignal) -> ShareBucket:
        return add_item(state, match, self.config.samples)

    def merge(self, states: list[ShareBucket]) -> ShareBucket:
        return merge_shares(states, self.config.samples)

    def level(self, window: ShareBucket) -> float:
        # Too few items say nothing: the share counts as zero (and an open alert may resolve).
        return share(window) if window.get("total", 0) >= self.config.min_total else 0.0

    def raise_level(self) -> float:
        return self.config.threshold_pct

    def fires(self, window: ShareBucket) -> bool:
        return reaches(window, self.config.threshold_pct, self.config.min_total)

    def build(self, group_key: str, group: dict[str, str | None], window: ShareBucket,
              start: float) -> Alert:
        return build_alert(self.config, group_key, group, window, start)


@register("percentage")
class PercentageRule(Rule):
    config_model = PercentageConfig
    evaluator_class = PercentageEvaluator
