"""The ``reliefweb`` source against a local server that answers API v2 report queries from recordings.

The API's behaviour (paths, the query, the result and error structures, the appname rule)
is ReliefWeb's documentation at https://apidoc.reliefweb.int/ (parameters, result-structure),
read 2026-12-06; the recorded refusals are listed in data/reliefweb/SOURCES.md."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collectors.config import SourceConfigError, parse_sources
from collectors.posts import parse_datetime
from collectors.provenance import canonical_json
from collectors.reliefweb import FIELDS, ReliefWebConfig, Window
from collectors.runner import Collector
from tests.collectors.api_replay import ApiServer, Reply, Request, recorded, recorded_bytes
from tests.collectors.test_runner import Clock, RecordingSink
from tocsin.settings import CollectorSettings

REPORTS: list[dict[str, Any]] = recorded("reliefweb/reports.json")["data"]  # newest first
BY_NUMBER = {int(entry["id"]) - 4067000: entry for entry in REPORTS}  # 1 = oldest
PATH = "/v2/reports"
APPNAME = "tocsin-tests.example.org"


def numbers(items: list[Any]) -> list[int]:
    by_title = {entry["fields"]["title"]: n for n, entry in BY_NUMBER.items()}
    return [by_title[item.title] for item in items]


def created(entry: dict[str, Any]) -> datetime:
    when = parse_datetime(entry["fields"]["date"]["created"])
    assert when is not None
    return when


def project(fields: dict[str, Any], include: list[str]) -> dict[str, Any]:
    """Only the included fields, as ReliefWeb answers (``source.name`` keeps that key of each source)."""
    out: dict[str, Any] = {}
    for path in include:
        head, _, rest = path.partition(".")
        if head not in fields:
            continue
        value = fields[head]
        if not rest:
            out[head] = value
        elif isinstance(value, list):
            kept = out.setdefault(head, [{} for _ in value])
            for target, element in zip(kept, value, strict=True):
                if rest in element:
                    target[rest] = element[rest]
        elif isinstance(value, dict) and rest in value:
            out.setdefault(head, {})[rest] = value[rest]
    return out


class FakeReliefWeb:
    """``POST /v2/reports?appname=``: AND of conditions (value lists are OR; ``date.created``
    ranges are inclusive), ``sort`` by ``date.created`` descending, ``offset``/``limit``,
    ``fields.include`` projection, ``totalCount``. No appname is a 400, as ReliefWeb answers."""

    def __init__(self, server: ApiServer, reports: list[dict[str, Any]]) -> None:
        self.reports = list(reports)
        self.after_request: list[dict[str, Any]] = []
        """Reports that appear once the next request has been answered (created meanwhile)."""
        server.route(PATH, self.answer)

    def add(self, *reports: dict[str, Any]) -> None:
        self.reports.extend(reports)

    def matches(self, entry: dict[str, Any], condition: dict[str, Any]) -> bool:
        field, value = condition["field"], condition["value"]
        fields = entry["fields"]
        if field == "date.created":
            when = created(entry)
            since, until = parse_datetime(value.get("from")), parse_datetime(value.get("to"))
            return (since is None or when >= since) and (until is None or when <= until)
        head, _, key = field.partition(".")
        found = fields.get(head)
        have = {element.get(key) for element in found} if isinstance(found, list) else {found.get(key)}
        return bool(have & set(value))

    def answer(self, request: Request) -> Reply:
        if request.method != "POST" or not request.arg("appname"):
            refusal = recorded_bytes("reliefweb/bad_request.json")
            return Reply(400, refusal, {"Content-Type": "application/json"})
        query = request.json()
        chosen = [entry for entry in self.reports
                  if all(self.matches(entry, c) for c in query["filter"]["conditions"])]
        assert query["sort"][0] == "date.created:desc"
        chosen.sort(key=lambda e: (created(e), int(e["id"])), reverse=True)
        page = chosen[query["offset"]:query["offset"] + query["limit"]]
        data = [dict(entry, fields=project(entry["fields"], query["fields"]["include"])) for entry in page]
        self.reports.extend(self.after_request)
        self.after_request = []
        return Reply.json({"time": 12, "href": request.path, "links": {}, "took": 3,
                           "totalCount": len(chosen), "count": len(data), "data": data})


def reliefweb(server: ApiServer, name: str = "rw-sudan", **options: Any) -> ReliefWebConfig:
    return ReliefWebConfig.model_validate({"name": name, "url": server.url(PATH), "appname": APPNAME,
                                           "countries": ["SD"], **options})


def clock_at(when: str) -> Clock:
    clock = Clock()
    clock.now = datetime.fromisoformat(when)
    return clock


def collector(feeds: list[Any], settings: CollectorSettings, sink: RecordingSink, clock: Clock) -> Collector:
    return Collector(feeds, settings, sink, clock=clock, rng=random.Random(0))


def upto(n: int) -> list[dict[str, Any]]:
    return [BY_NUMBER[k] for k in range(1, n + 1)]


NOW = "2024-05-15T12:00:00+00:00"


# --- configuration -------------------------------------------------------------------------


def test_countries_become_reliefweb_iso3_and_organisations_are_official_by_default() -> None:
    entry = {"name": "rw", "type": "reliefweb", "appname": "tocsin.example.org", "lookback": "3d",
             "countries": ["SD", "ssd", "sd"], "themes": ["Protection and Human Rights"]}
    (feed,) = parse_sources({"feeds": [entry]}, "feeds.yaml")
    assert isinstance(feed, ReliefWebConfig)
    assert (feed.url, feed.countries, feed.country_field, feed.official, feed.lookback) == (
        "https://api.reliefweb.int/v2/reports", ["sdn", "ssd"], "primary_country", True, 259200.0)


@pytest.mark.parametrize(("entry", "message"), [
    ({}, "appname: Field required"),
    ({"appname": "has spaces"}, "appname ReliefWeb approved"),
    ({"appname": "a", "url": "https://api.reliefweb.int/v1/reports"}, "decommissioned API v0 and v1"),
    ({"appname": "a", "countries": ["Sudan"]}, "ISO 3166 country codes"),
    ({"appname": "a", "countries": ["XX"]}, "ISO 3166 country codes"),
    ({"appname": "a", "country_field": "source"}, "country_field"),
    ({"appname": "a", "page_size": 5000}, "page_size"),
    ({"appname": "a", "query": "x"}, "query: unknown key"),
])
def test_config_mistakes_name_the_feed_and_the_field(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceConfigError, match=r"feeds\[0\] \(rw\): ") as raised:
        parse_sources({"feeds": [{"name": "rw", "type": "reliefweb", **entry}]}, "feeds.yaml")
    assert message in str(raised.value)


# --- the query and the items ----------------------------------------------------------------


async def test_the_query_is_a_json_post_naming_the_app_filters_fields_and_sort(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeReliefWeb(api_server, REPORTS)
    feed = reliefweb(api_server, countries=["SD", "TD"], country_field="country",
                     themes=["Protection and Human Rights", "Health"])
    async with collector([feed], fast_settings, RecordingSink(), clock_at(NOW)) as running:
        await running.run_once()
    (request,) = api_server.hits(PATH)
    assert request.method == "POST" and request.arg("appname") == APPNAME
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "offset": 0, "limit": 100, "fields": {"include": list(FIELDS)},
        "filter": {"operator": "AND", "conditions": [
            {"field": "country.iso3", "value": ["sdn", "tcd"], "operator": "OR"},
            {"field": "theme.name", "value": ["Protection and Human Rights", "Health"], "operator": "OR"},
            {"field": "date.created", "value": {"from": "2024-05-14T12:00:00+00:00"}}]},
        "sort": ["date.created:desc", "id:desc"]}


async def test_reports_become_items_with_their_sources_themes_language_and_country(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    FakeReliefWeb(api_server, REPORTS)
    sink = RecordingSink()
    feed = reliefweb(api_server, lookback="3d")
    async with collector([feed], fast_settings, sink, clock_at(NOW)) as running:
        await running.run_once()
    assert numbers(sink.items) == [12, 10, 9, 8, 7, 5, 3, 1]
    hrw = dict(zip(numbers(sink.items), sink.items, strict=True))[7]
    entry = BY_NUMBER[7]
    assert hrw.url == entry["fields"]["url_alias"] and hrw.title == entry["fields"]["title"]
    assert hrw.text == ("Witnesses described house-to-house killings of Masalit men and boys in El Geneina.\n"
                        "The attacks may amount to crimes against humanity.")
    assert hrw.authors == ["Human Rights Watch"] and hrw.tags == ["Protection and Human Rights", "Analysis"]
    assert (hrw.lang_hint, hrw.country_hint) == ("en", "SD")
    assert hrw.published == datetime(2024, 5, 14, tzinfo=UTC)  # the report's own date, not ReliefWeb's
    assert hrw.source.type == "reliefweb" and hrw.provenance is not None
    assert hrw.provenance.fetch_url == api_server.url(PATH) + "?appname=" + APPNAME
    served = dict(entry, fields=project(entry["fields"], list(FIELDS)))
    assert hrw.raw_sha256 == hashlib.sha256(canonical_json(served)).hexdigest()
    by_number = dict(zip(numbers(sink.items), sink.items, strict=True))
    assert by_number[3].lang_hint == "fr" and by_number[10].lang_hint == "ar"
    assert by_number[3].authors == ["Médecins Sans Frontières"]


async def test_authors_are_pseudonymised_when_not_official(api_server: ApiServer,
                                                          fast_settings: CollectorSettings) -> None:
    FakeReliefWeb(api_server, REPORTS)
    sink = RecordingSink()
    feed = reliefweb(api_server, official=False)
    async with collector([feed], fast_settings, sink, clock_at(NOW)) as running:
        await running.run_once()
    assert all(author.startswith("p:") for item in sink.items for author in item.authors)


# --- windows, offsets and cursors ----------------------------------------------------------------


async def test_pages_share_one_window_so_reports_created_meanwhile_shift_nothing(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReliefWeb(api_server, upto(11))
    fake.after_request = [BY_NUMBER[12]]  # created between the first and the second page
    sink = RecordingSink()
    async with collector([reliefweb(api_server, lookback="3d", page_size=2)], fast_settings, sink,
                         clock_at(NOW)) as running:
        await running.run_once()
        await running.run_once()
    assert numbers(sink.items) == [10, 9, 8, 7, 5, 3, 1, 12]
    queries = [request.json() for request in api_server.hits(PATH)]
    assert [(q["offset"], q["filter"]["conditions"][-1]["value"]) for q in queries] == [
        (0, {"from": "2024-05-12T12:00:00+00:00"}),
        (2, {"from": "2024-05-12T12:00:00+00:00", "to": "2024-05-15T08:05:00+00:00"}),
        (4, {"from": "2024-05-12T12:00:00+00:00", "to": "2024-05-15T08:05:00+00:00"}),
        (6, {"from": "2024-05-12T12:00:00+00:00", "to": "2024-05-15T08:05:00+00:00"}),
        (0, {"from": "2024-05-15T07:05:00+00:00"}),
        (2, {"from": "2024-05-15T07:05:00+00:00", "to": "2024-05-15T10:58:00+00:00"})]


async def test_a_spent_budget_stores_the_window_and_offset_and_the_next_poll_finishes_it(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReliefWeb(api_server, upto(10))
    sink = RecordingSink()
    feed = reliefweb(api_server, lookback="3d", page_size=2, max_requests=2)
    async with collector([feed], fast_settings, sink, clock_at(NOW)) as running:
        await running.run_once()
        assert Window.load(running.store.load("rw-sudan").cursor) == Window(
            datetime(2024, 5, 12, 12, tzinfo=UTC), datetime(2024, 5, 15, 8, 5, tzinfo=UTC), 4)
        fake.add(BY_NUMBER[12])
        await running.run_once()
        assert running.store.load("rw-sudan").cursor == '{"since": "2024-05-15T08:05:00+00:00"}'
        await running.run_once()
    assert numbers(sink.items) == [10, 9, 8, 7, 5, 3, 1, 12]


async def test_a_restarted_collector_emits_only_reports_it_has_not_published(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReliefWeb(api_server, upto(8))
    feed = reliefweb(api_server, lookback="3d", page_size=3)
    first, second = RecordingSink(), RecordingSink()
    async with collector([feed], fast_settings, first, clock_at("2024-05-15T06:00:00+00:00")) as running:
        await running.run_once()
    fake.add(*[BY_NUMBER[n] for n in range(9, 13)])
    async with collector([feed], fast_settings, second, clock_at(NOW)) as running:
        await running.run_once()
        await running.run_once()
    assert numbers(first.items) == [8, 7, 5, 3, 1]
    assert numbers(second.items) == [12, 10, 9]


# --- broken and hostile answers ---------------------------------------------------------------


async def test_a_refused_request_fails_the_poll_with_reliefwebs_status(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    api_server.script(PATH, Reply(400, recorded_bytes("reliefweb/bad_request.json"),
                                  {"Content-Type": "application/json"}))
    async with collector([reliefweb(api_server)], fast_settings, RecordingSink(), clock_at(NOW)) as running:
        report = (await running.run_once()).by_feed["rw-sudan"]
        state = running.store.load("rw-sudan")
    assert report.status == "failed" and report.http_status == 400 and state.cursor is None
    assert state.last_error is not None and state.last_error.endswith("HTTP 400: Missing appname parameter.")


@pytest.mark.parametrize(("recording", "status", "said", "hint"), [
    ("reliefweb/unapproved_appname.json", 403, "You are not using an approved appname.",
     "is not approved: request one at https://apidoc.reliefweb.int/parameters#appname"),
    ("reliefweb/v1_decommissioned.json", 410, "The API version 'v1' has been decommissioned.",
     "set url to https://api.reliefweb.int/v2/reports"),
])
async def test_a_refusal_a_person_must_act_on_says_reliefwebs_words_and_what_to_do(
        api_server: ApiServer, fast_settings: CollectorSettings, recording: str, status: int, said: str,
        hint: str) -> None:
    api_server.script(PATH, Reply(status, recorded_bytes(recording), {"Content-Type": "application/json"}))
    async with collector([reliefweb(api_server)], fast_settings, RecordingSink(), clock_at(NOW)) as running:
        report = (await running.run_once()).by_feed["rw-sudan"]
        state = running.store.load("rw-sudan")
    assert report.status == "failed" and report.http_status == status
    assert state.last_error is not None and said in state.last_error and hint in state.last_error


async def test_a_maintenance_page_is_a_dead_letter(api_server: ApiServer,
                                                  fast_settings: CollectorSettings) -> None:
    maintenance = recorded_bytes("reliefweb/maintenance.html")
    api_server.script(PATH, Reply(200, maintenance, {"Content-Type": "text/html"}))
    sink = RecordingSink()
    async with collector([reliefweb(api_server)], fast_settings, sink, clock_at(NOW)) as running:
        report = (await running.run_once()).by_feed["rw-sudan"]
    assert report.status == "failed" and [d.reason for d in sink.dead_letters] == ["malformed_response"]
    assert "Site under maintenance" in sink.dead_letters[0].error


async def test_a_429_is_retried_after_its_retry_after(api_server: ApiServer,
                                                     fast_settings: CollectorSettings) -> None:
    FakeReliefWeb(api_server, REPORTS)
    api_server.script(PATH, Reply(429, b"", {"Retry-After": "0"}))
    sink = RecordingSink()
    async with collector([reliefweb(api_server)], fast_settings, sink, clock_at(NOW)) as running:
        report = (await running.run_once()).by_feed["rw-sudan"]
    assert report.status == "new" and len(api_server.hits(PATH)) == 2
    assert api_server.hits(PATH)[0].body == api_server.hits(PATH)[1].body


async def test_hostile_reports_are_sanitised_or_dead_lettered(api_server: ApiServer,
                                                              fast_settings: CollectorSettings) -> None:
    api_server.script(PATH, Reply.json(recorded("reliefweb/hostile_reports.json")))
    sink = RecordingSink()
    async with collector([reliefweb(api_server)], fast_settings, sink, clock_at(NOW)) as running:
        await running.run_once()
    assert [letter.reason for letter in sink.dead_letters] == ["unusable_post"] * 3
    scripted, typed, plain = sink.items
    assert (scripted.title, scripted.text) == ("<b>Bold</b> title", "Safe text\nlink")
    assert scripted.url == "https://reliefweb.int/node/4099001"  # neither javascript: nor data: survives
    assert scripted.authors == ["A B"] and scripted.tags == [] and scripted.lang_hint is None
    assert scripted.country_hint is None  # iso3 "xxx" is no country
    assert scripted.published == datetime(2024, 5, 15, 11, tzinfo=UTC)
    assert (typed.title, typed.text, typed.published) == ("", "", None)
    assert len(typed.authors) == 1 and len(typed.authors[0]) == 300
    assert plain.text == "A *markdown* body\nwith two paragraphs." and plain.country_hint == "SD"
    assert plain.published == datetime(2024, 5, 15, 11, tzinfo=UTC)


@pytest.mark.parametrize("document", [{"data": {"id": 1}}, [], {"error": "x"}, 3])
async def test_json_without_a_data_list_is_a_dead_letter(
        api_server: ApiServer, fast_settings: CollectorSettings, document: Any) -> None:
    api_server.script(PATH, Reply.json(document))
    sink = RecordingSink()
    async with collector([reliefweb(api_server)], fast_settings, sink, clock_at(NOW)) as running:
        report = (await running.run_once()).by_feed["rw-sudan"]
    assert report.status == "failed" and "expected an object with a 'data' list" in (report.error or "")


def test_a_stored_window_this_version_cannot_read_starts_afresh() -> None:
    when = datetime(2024, 5, 15, tzinfo=UTC)
    assert Window.load(Window(when).dump()) == Window(when)
    pending = Window(when, when + timedelta(hours=1), 7)
    assert Window.load(pending.dump()) == pending
    for junk in ("", "x", "[]", json.dumps({"since": "soon"}),
                 json.dumps({"since": when.isoformat(), "offset": -1}),
                 json.dumps({"since": when.isoformat(), "until": "later", "offset": 1})):
        assert Window.load(junk) is None


async def test_a_permanent_redirect_repeats_the_post_and_a_see_other_does_not(
        api_server: ApiServer, fast_settings: CollectorSettings) -> None:
    fake = FakeReliefWeb(api_server, REPORTS)
    api_server.route("/v2/reports-moved", fake.answer)
    moved = f"{api_server.url('/v2/reports-moved')}?appname={APPNAME}"
    api_server.script(PATH, Reply(308, b"", {"Location": moved}), Reply(303, b"", {"Location": moved}))
    sink = RecordingSink()
    async with collector([reliefweb(api_server)], fast_settings, sink, clock_at(NOW)) as running:
        moved_permanently = (await running.run_once()).by_feed["rw-sudan"]
        see_other = (await running.run_once()).by_feed["rw-sudan"]
    assert moved_permanently.status == "new" and see_other.status == "failed" and see_other.http_status == 400
    (post, get) = api_server.hits("/v2/reports-moved")
    assert (post.method, get.method, get.body) == ("POST", "GET", b"")
    assert post.body == api_server.hits(PATH)[0].body and "content-type" not in get.headers
