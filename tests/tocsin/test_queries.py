"""The shared query builders: pure, so tested without a server (the CLI tests run them against one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.queries import (
    AlertFilters,
    ItemFilters,
    Near,
    QueryError,
    alert_query,
    decode_after,
    encode_after,
    item_query,
    item_sort,
    parse_time,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_times_are_iso_dates_naive_means_utc_and_durations_count_back() -> None:
    assert parse_time("2026-11-01", now=NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_time("2026-11-01T08:30Z", now=NOW) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert parse_time("2026-11-01T08:30+03:00", now=NOW) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert parse_time("24h", now=NOW) == NOW - timedelta(hours=24)
    assert parse_time("now", now=NOW) == NOW


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "", "-5h", "2026/11/01"])
def test_a_bad_time_is_a_query_error_naming_it(bad: str) -> None:
    with pytest.raises(QueryError, match="not a time"):
        parse_time(bad, now=NOW)


def test_no_filters_match_everything() -> None:
    assert item_query(ItemFilters()) == {"match_all": {}}
    assert alert_query(AlertFilters()) == {"match_all": {}}


def test_min_score_applies_to_the_named_categories() -> None:
    query = item_query(ItemFilters(categories=["hate_speech"], min_score=0.7))
    assert {"range": {"scores.hate_speech": {"gte": 0.7}}} in query["bool"]["filter"][0]["bool"]["should"]


@pytest.mark.parametrize("kwargs, message", [
    ({"min_score": 0.5}, "needs a category"),
    ({"categories": ["hate_speech"], "min_score": 2.0}, "between 0 and 1"),
    ({"categories": ["scores.x"]}, "not a category"),
    ({"countries": ["Sudan"]}, "alpha-2"),
    ({"start": NOW, "end": NOW - timedelta(days=1)}, "not before"),
])
def test_impossible_item_filters_are_query_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        ItemFilters(**kwargs)


@pytest.mark.parametrize("kwargs", [{"statuses": ["closed"]}, {"severities": ["critical"]},
                                    {"countries": ["sd"]}])
def test_unknown_alert_filters_are_query_errors(kwargs: dict) -> None:
    with pytest.raises(QueryError):
        AlertFilters(**kwargs)


def test_alert_filters_from_query_parameters_are_lists_of_any() -> None:
    filters = AlertFilters.from_params({"status": "open, resolved", "country": "sd,ke", "lang": "ar",
                                        "city": "El Fasher", "rule": None, "limit": "5"})
    assert (filters.statuses, filters.countries, filters.langs, filters.cities, filters.rules) == (
        ("open", "resolved"), ("SD", "KE"), ("ar",), ("El Fasher",), ())
    clauses = alert_query(filters)["bool"]["filter"]
    assert {"terms": {"group.lang": ["ar"]}} in clauses
    assert {"terms": {"group.city": ["El Fasher"]}} in clauses
    with pytest.raises(QueryError, match="not a severity"):
        AlertFilters.from_params({"severity": "warning,loud"})


def test_near_is_checked() -> None:
    assert Near.parse("15.5,32.5,50") == Near(15.5, 32.5, 50)
    for bad in ("15.5,32.5", "a,b,c", "95,0,10", "0,0,0"):
        with pytest.raises(QueryError):
            Near.parse(bad)


def test_sorts_end_on_the_id_so_pages_are_a_total_order() -> None:
    for order in ("newest", "oldest", "relevance"):
        assert "id" in item_sort(order)[-1]


@given(st.lists(st.one_of(st.integers(), st.text(), st.none(), st.floats(allow_nan=False))))
def test_page_tokens_round_trip(values: list) -> None:
    assert decode_after(encode_after(values)) == values


@given(st.text())
def test_forged_page_tokens_are_query_errors_not_crashes(token: str) -> None:
    try:
        values = decode_after(token)
    except QueryError:
        return
    assert isinstance(values, list)
