from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tocsin.formats.cap import CAP_NS, HEADLINE_MAX, CapInvalid, cap_time, render_cap, validate_cap
from tocsin.schema import SEVERITIES, Alert, AlertArea

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SENDER = "tocsin@alerts.example.org"
NS = {"cap": CAP_NS}
CAP_ELEMENTS = {
    "alert", "identifier", "sender", "sent", "status", "msgType", "scope", "note", "references", "incidents",
    "info",
    "language", "category", "event", "responseType", "urgency", "severity", "certainty", "effective", "onset",
    "expires", "senderName", "headline", "description", "instruction", "web", "parameter", "valueName",
    "value", "area", "areaDesc", "circle", "geocode"}
HOSTILE = "<script>alert(1)</script> ]]> &amp; \x00\x07\x1b \u202eevil\u202c \ufffe \ud800 end"


def make_alert(version: int = 1, **update: Any) -> Alert:
    at = T0 + timedelta(minutes=10 * version)
    fields: dict[str, Any] = dict(
        id="a-0123456789abcdef", rule="hate-speech", rule_type="frequency", title="hate-speech: 12 items",
        severity="warning", group={"country": "SD"}, group_key="country=SD",
        window_start=T0, window_end=T0 + timedelta(hours=1), count=12, threshold=10,
        sample_item_ids=["i-1", "i-2"], sample_titles=["first title", "second title"],
        sample_urls=["https://news.example/1", None], first_seen=T0 + timedelta(minutes=1),
        last_seen=at, raised_at=T0, opened_at=T0, updated_at=at, version=version,
        event="opened" if version == 1 else "updated",
    )
    fields.update(update)
    return Alert(**fields)


def parsed(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def one(root: etree._Element, path: str) -> str:
    found = root.findall(path, NS)
    assert len(found) == 1, f"{path}: {len(found)} elements"
    return found[0].text or ""


def params(root: etree._Element) -> dict[str, str]:
    return {p.findtext("cap:valueName", namespaces=NS): p.findtext("cap:value", namespaces=NS)
            for p in root.findall("cap:info/cap:parameter", NS)}


def geocodes(root: etree._Element) -> list[tuple[str | None, str | None]]:
    return [(g.findtext("cap:valueName", namespaces=NS), g.findtext("cap:value", namespaces=NS))
            for g in root.findall("cap:info/cap:area/cap:geocode", NS)]


# --- message types -----------------------------------------------------------

def test_first_version_is_an_alert_without_references() -> None:
    xml = render_cap(make_alert(), sender=SENDER, web_url="https://tocsin.example/alerts/a-0123456789abcdef")
    validate_cap(xml)
    root = parsed(xml)
    assert one(root, "cap:identifier") == "a-0123456789abcdef.v1"
    assert one(root, "cap:sender") == SENDER
    assert one(root, "cap:msgType") == "Alert"
    assert one(root, "cap:status") == "Actual" and one(root, "cap:scope") == "Public"
    assert one(root, "cap:incidents") == "a-0123456789abcdef"
    assert root.find("cap:references", NS) is None
    assert one(root, "cap:info/cap:web") == "https://tocsin.example/alerts/a-0123456789abcdef"
    assert one(root, "cap:info/cap:senderName") == "Tocsin"
    assert one(root, "cap:info/cap:category") == "Security"
    assert one(root, "cap:info/cap:event") == "hate-speech"
    assert one(root, "cap:info/cap:responseType") == "Monitor"
    assert one(root, "cap:info/cap:severity") == "Moderate"
    assert root.find("cap:info/cap:expires", NS) is None


def test_update_references_every_earlier_version_oldest_first() -> None:
    versions = [make_alert(n) for n in range(1, 6)]
    current = versions[3]
    # Passed shuffled, with the current and a later version: only earlier ones count, in order.
    xml = render_cap(current, [versions[2], versions[4], versions[0], current, versions[1]], sender=SENDER)
    validate_cap(xml)
    root = parsed(xml)
    assert one(root, "cap:msgType") == "Update"
    assert one(root, "cap:references").split(" ") == [
        f"{SENDER},a-0123456789abcdef.v{n},{cap_time(versions[n - 1].updated_at)}" for n in (1, 2, 3)]
    assert params(root)["version"] == "4"


def test_resolved_version_is_a_cancel_with_all_clear() -> None:
    v1, v2 = make_alert(1), make_alert(2, event="acknowledged", acknowledged_by="ana")
    resolved_at = T0 + timedelta(hours=3)
    v3 = make_alert(3, status="resolved", event="resolved", resolved_at=resolved_at, acknowledged_by="ana")
    xml = render_cap(v3, [v1, v2], sender=SENDER)
    validate_cap(xml)
    root = parsed(xml)
    assert one(root, "cap:msgType") == "Cancel"
    assert len(one(root, "cap:references").split(" ")) == 2
    assert one(root, "cap:info/cap:responseType") == "AllClear"
    assert one(root, "cap:info/cap:urgency") == "Past"
    assert one(root, "cap:info/cap:expires") == "2026-03-01T15:00:00+00:00"
    assert "acknowledged by ana" in one(root, "cap:info/cap:description")


def test_dismissed_as_a_false_positive_is_an_error_with_the_reason() -> None:
    v1 = make_alert(1)
    v2 = make_alert(2, status="resolved", event="dismissed", resolved_at=T0 + timedelta(hours=1),
                    resolved_by="ana", dismissed_reason=f"a film review {HOSTILE}")
    xml = render_cap(v2, [v1], sender=SENDER)
    validate_cap(xml)
    root = parsed(xml)
    assert one(root, "cap:msgType") == "Error"
    assert one(root, "cap:note").startswith("False positive: a film review <script>")
    assert one(root, "cap:note").endswith("(dismissed by ana)")
    assert one(root, "cap:references").split(",")[1] == "a-0123456789abcdef.v1"
    assert one(root, "cap:info/cap:responseType") == "AllClear"


def test_a_version_of_another_alert_is_refused() -> None:
    with pytest.raises(ValueError, match="not a version of alert"):
        render_cap(make_alert(2), [make_alert(1, id="a-other")], sender=SENDER)


@pytest.mark.parametrize("sender", ["", "tocsin at host", "a,b", "x<y", "x&y", "tab\there"])
def test_a_sender_that_would_break_references_is_refused(sender: str) -> None:
    with pytest.raises(ValueError, match="CAP sender"):
        render_cap(make_alert(), sender=sender)


def test_an_identifier_with_a_space_is_refused() -> None:
    with pytest.raises(ValueError, match="CAP identifier"):
        render_cap(make_alert(id="a b"), sender=SENDER)


# --- mapping -----------------------------------------------------------------

@pytest.mark.parametrize(("severity", "cap"), list(zip(SEVERITIES, ["Minor", "Moderate", "Severe", "Extreme"],
                                                       strict=True)))
def test_severity_maps_to_cap_severity(severity: str, cap: str) -> None:
    root = parsed(render_cap(make_alert(severity=severity), sender=SENDER))
    assert one(root, "cap:info/cap:severity") == cap


def test_urgency_is_immediate_when_extreme_or_escalated_at_any_version() -> None:
    def urgency(alert: Alert, previous: list[Alert] | None = None) -> str:
        return one(parsed(render_cap(alert, previous or [], sender=SENDER)), "cap:info/cap:urgency")

    assert urgency(make_alert(severity="warning")) == "Expected"
    assert urgency(make_alert(severity="extreme")) == "Immediate"
    escalated = make_alert(2, event="escalated", severity="severe")
    assert urgency(escalated) == "Immediate"
    # A later note does not calm an escalated alert down.
    assert urgency(make_alert(3, event="noted", severity="severe"), [make_alert(1), escalated]) == "Immediate"


@pytest.mark.parametrize(("update", "expected"), [
    ({"rule_type": "cardinality"}, "Observed"),
    ({"rule_type": "spike", "z_score": 4.2, "expected": 1.0}, "Observed"),
    ({"rule_type": "spike", "z_score": 2.0, "expected": 1.0}, "Likely"),
    ({"rule_type": "frequency"}, "Likely"),
    ({"rule_type": "percentage"}, "Likely"),
    ({"rule_type": "flatline"}, "Possible"),
])
def test_certainty_follows_how_the_signal_was_found(update: dict[str, Any], expected: str) -> None:
    root = parsed(render_cap(make_alert(**update), sender=SENDER))
    assert one(root, "cap:info/cap:certainty") == expected


def test_language_is_the_groups_lang_when_it_is_a_language_tag() -> None:
    def lang(group: dict[str, str | None]) -> str:
        return one(parsed(render_cap(make_alert(group=group), sender=SENDER)), "cap:info/cap:language")

    assert lang({"country": "SD"}) == "en"
    assert lang({"lang": "ar"}) == "ar"
    assert lang({"lang": "not a tag!"}) == "en"


def test_parameters_carry_figures_and_lifecycle() -> None:
    alert = make_alert(2, rule_type="spike", expected=2.5, z_score=3.25, assigned_to="omar",
                       details={"ratio": 4.8, "share": "0.7"})
    got = params(parsed(render_cap(alert, sender=SENDER)))
    assert got["rule"] == "hate-speech" and got["rule_type"] == "spike"
    assert got["count"] == "12" and got["threshold"] == "10"
    assert got["expected"] == "2.5" and got["z_score"] == "3.25"
    assert got["assigned_to"] == "omar" and got["status"] == "open" and got["event"] == "updated"
    assert got["details.ratio"] == "4.8" and got["details.share"] == "0.7"
    assert "acknowledged_by" not in got


def test_area_has_circle_and_iso_geocodes() -> None:
    area = AlertArea(description="El Fasher, North Darfur", country="SD", admin1="SD-DN",
                     lat=13.6279, lon=25.3494, radius_km=25)
    root = parsed(render_cap(make_alert(area=area), sender=SENDER))
    assert one(root, "cap:info/cap:area/cap:areaDesc") == "El Fasher, North Darfur"
    assert one(root, "cap:info/cap:area/cap:circle") == "13.62790,25.34940 25.000"
    assert geocodes(root) == [("ISO 3166-1 alpha-2", "SD"), ("ISO 3166-2", "SD-DN")]


def test_a_geonames_admin1_code_is_not_labelled_iso() -> None:
    root = parsed(render_cap(make_alert(group={"country": "SD", "admin1": "SD.29"},
                                        group_key="country=SD|admin1=SD.29"), sender=SENDER))
    assert one(root, "cap:info/cap:area/cap:areaDesc") == "country SD, admin1 SD.29"
    assert geocodes(root) == [("ISO 3166-1 alpha-2", "SD"), ("GeoNames admin1", "SD.29")]


def test_coordinates_out_of_range_give_no_circle() -> None:
    area = AlertArea(description="nowhere", lat=123.0, lon=float("nan"))
    xml = render_cap(make_alert(area=area), sender=SENDER)
    validate_cap(xml)
    assert parsed(xml).find("cap:info/cap:area/cap:circle", NS) is None


def test_no_area_when_the_group_is_not_a_place() -> None:
    for group in ({"lang": "ar"}, {"country": "unknown"}):
        root = parsed(render_cap(make_alert(group=group), sender=SENDER))
        assert root.find("cap:info/cap:area", NS) is None


# --- hostile text ------------------------------------------------------------

def test_hostile_text_stays_escaped_text_and_validates() -> None:
    alert = make_alert(title=HOSTILE, description=HOSTILE, sample_titles=[HOSTILE], rule=HOSTILE,
                       group={"country": HOSTILE}, details={"x": HOSTILE}, assigned_to=HOSTILE,
                       area=AlertArea(description=HOSTILE, country="SD"))
    xml = render_cap(alert, sender=SENDER, web_url="https://tocsin.example/a?q=<script>")
    validate_cap(xml)
    assert b"<script>" not in xml and b"&lt;script&gt;" in xml
    root = parsed(xml)
    # Not markup: the only elements are CAP's own.
    assert {etree.QName(el).localname for el in root.iter()} <= CAP_ELEMENTS
    assert {etree.QName(el).namespace for el in root.iter()} == {CAP_NS}
    expected = "<script>alert(1)</script> ]]> &amp;  \u202eevil\u202c   end"
    assert one(root, "cap:info/cap:headline") == " ".join(expected.split())
    assert one(root, "cap:info/cap:event") == expected
    assert one(root, "cap:info/cap:area/cap:areaDesc") == expected
    assert expected in one(root, "cap:info/cap:description")


def test_a_100_kb_title_is_cut_to_a_headline_and_sample_text_is_kept() -> None:
    huge = "\u202e<b>" + "x" * 100_000
    xml = render_cap(make_alert(title=huge, sample_titles=[huge]), sender=SENDER)
    validate_cap(xml)
    root = parsed(xml)
    headline = one(root, "cap:info/cap:headline")
    assert len(headline) == HEADLINE_MAX and headline.endswith("…")
    assert huge in one(root, "cap:info/cap:description")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://h/x", "//h/x", "http://[::1/"])
def test_only_http_web_links_are_emitted(url: str) -> None:
    xml = render_cap(make_alert(), sender=SENDER, web_url=url)
    validate_cap(xml)
    assert parsed(xml).find("cap:info/cap:web", NS) is None


@pytest.mark.parametrize("url", ["https://h/a b", "https://h/%zz", "https://h/ünï", "https://h/a\x07b"])
def test_awkward_http_links_are_encoded_into_valid_uris(url: str) -> None:
    xml = render_cap(make_alert(), sender=SENDER, web_url=url)
    validate_cap(xml)
    assert one(parsed(xml), "cap:info/cap:web").startswith("https://h/")


# --- timestamps --------------------------------------------------------------

def test_timestamps_are_whole_seconds_with_an_explicit_offset() -> None:
    local = timezone(timedelta(hours=5, minutes=30))
    at = datetime(2026, 3, 1, 17, 45, 9, 987654, tzinfo=local)
    xml = render_cap(make_alert(updated_at=at), sender=SENDER)
    validate_cap(xml)
    root = parsed(xml)
    assert one(root, "cap:sent") == "2026-03-01T12:15:09+00:00"
    assert one(root, "cap:info/cap:effective") == "2026-03-01T12:15:09+00:00"
    assert one(root, "cap:info/cap:onset") == "2026-03-01T12:01:00+00:00"
    for element in ("cap:sent", "cap:info/cap:effective", "cap:info/cap:onset"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", one(root, element))


def test_naive_times_are_taken_as_utc() -> None:
    assert cap_time(datetime(2026, 3, 1, 12, 0, 0, 5)) == "2026-03-01T12:00:00+00:00"
    assert cap_time(datetime(987, 1, 2, 3, 4, 5, tzinfo=UTC)) == "0987-01-02T03:04:05+00:00"


# --- the schema is not vacuous -------------------------------------------------

def _valid_document() -> bytes:
    area = AlertArea(description="Darfur", country="SD", lat=13.0, lon=25.0, radius_km=10)
    return render_cap(make_alert(2, area=area), [make_alert(1)], sender=SENDER)


def _replace(xml: bytes, old: bytes, new: bytes) -> bytes:
    assert old in xml, old
    return xml.replace(old, new, 1)


def _drop(path: str) -> Any:
    def mutate(xml: bytes) -> bytes:
        root = parsed(xml)
        element = root.find(path, NS)
        assert element is not None
        element.getparent().remove(element)
        return etree.tostring(root)
    return mutate


def _swap(first: str, second: str) -> Any:
    def mutate(xml: bytes) -> bytes:
        root = parsed(xml)
        a, b = root.find(first, NS), root.find(second, NS)
        assert a is not None and b is not None
        b.addnext(a)
        return etree.tostring(root)
    return mutate


def _add(parent: str, name: str, value: str) -> Any:
    def mutate(xml: bytes) -> bytes:
        root = parsed(xml)
        target = root if parent == "." else root.find(parent, NS)
        assert target is not None
        etree.SubElement(target, f"{{{CAP_NS}}}{name}").text = value
        return etree.tostring(root)
    return mutate


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda x: _replace(x, b"<status>Actual<", b"<status>Real<"), "status"),
    (lambda x: _replace(x, b"<msgType>Update<", b"<msgType>Notice<"), "msgType"),
    (lambda x: _replace(x, b"<scope>Public<", b"<scope>Everyone<"), "scope"),
    (lambda x: _replace(x, b"<category>Security<", b"<category>Violence<"), "category"),
    (lambda x: _replace(x, b"<urgency>Expected<", b"<urgency>Soon<"), "urgency"),
    (lambda x: _replace(x, b"<severity>Moderate<", b"<severity>Warning<"), "severity"),
    (lambda x: _replace(x, b"<certainty>Likely<", b"<certainty>Sure<"), "certainty"),
    (lambda x: _replace(x, b"<responseType>Monitor<", b"<responseType>Watch<"), "responseType"),
    (lambda x: _replace(x, b"+00:00</sent>", b"Z</sent>"), "sent"),
    (lambda x: _replace(x, b":00+00:00</sent>", b":00.5+00:00</sent>"), "sent"),
    (lambda x: _replace(x, b"+00:00</effective>", b"</effective>"), "effective"),
    (lambda x: _replace(x, b"<sent>2026", b"<sent>26"), "sent"),
    (_drop("cap:identifier"), "identifier"),
    (_drop("cap:info/cap:event"), "event"),
    (_drop("cap:info/cap:category"), "category"),
    (_drop("cap:info/cap:area/cap:areaDesc"), "areaDesc"),
    (_swap("cap:sender", "cap:sent"), "sent"),
    (_swap("cap:info/cap:urgency", "cap:info/cap:severity"), "severity"),
    (_swap("cap:info/cap:area/cap:circle", "cap:info/cap:area/cap:geocode"), "circle"),
    (_add(".", "identifier", "again"), "identifier"),
    (_add("cap:info", "colour", "red"), "colour"),
    (_add("cap:info/cap:area", "altitude", "high"), "altitude"),
])
def test_the_schema_rejects_invalid_documents(mutate: Any, message: str) -> None:
    document = _valid_document()
    validate_cap(document)
    with pytest.raises(CapInvalid, match=message) as caught:
        validate_cap(mutate(document))
    assert caught.value.errors and all(e.startswith("line ") for e in caught.value.errors)


def test_the_schema_rejects_another_cap_version() -> None:
    with pytest.raises(CapInvalid, match="No matching global declaration"):
        validate_cap(_valid_document().replace(CAP_NS.encode(), b"urn:oasis:names:tc:emergency:cap:1.1"))


def test_malformed_xml_is_a_clear_error() -> None:
    with pytest.raises(CapInvalid, match="not well-formed XML"):
        validate_cap(b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>")


def test_external_entities_are_not_loaded(tmp_path: Path) -> None:
    # If the parser loaded the file, <status> would read "Actual" and the message would pass.
    (tmp_path / "status.txt").write_text("Actual")
    body = _valid_document().split(b"?>", 1)[1].replace(b"<status>Actual<", b"<status>&x;<", 1)
    source = (tmp_path / "status.txt").as_uri()
    xml = f'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM "{source}">]>'.encode() + body
    with pytest.raises(CapInvalid, match="entity reference &x; is not expanded"):
        validate_cap(xml)


def test_internal_entities_are_not_expanded_either() -> None:
    body = _valid_document().split(b"?>", 1)[1].replace(b"<status>Actual<", b"<status>&x;<", 1)
    with pytest.raises(CapInvalid, match="entity reference &x;"):
        validate_cap(b'<!DOCTYPE alert [<!ENTITY x "Actual">]>' + body)


# --- property ------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=200)
OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=-11)), timezone(timedelta(hours=5, minutes=45)),
                           None])
TIMES = st.builds(lambda when, tz: when.replace(tzinfo=tz),
                  st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1)), OFFSETS)
FLOATS = st.none() | st.floats(allow_nan=True, allow_infinity=True)
AREAS = st.none() | st.builds(
    AlertArea, description=ANY_TEXT, country=st.none() | st.sampled_from(["SD", "sd", "ZZ", "", "S D"]),
    admin1=st.none() | ANY_TEXT | st.sampled_from(["SD-DN", "SD.29"]),
    lat=FLOATS, lon=FLOATS, radius_km=FLOATS)


@st.composite
def alerts(draw: st.DrawFn) -> tuple[Alert, list[Alert], str | None]:
    alert_id = draw(st.from_regex(r"[A-Za-z0-9._:-]{1,40}", fullmatch=True))
    version = draw(st.integers(1, 6))
    base = make_alert(
        version, id=alert_id, rule=draw(ANY_TEXT), rule_type=draw(st.sampled_from(
            ["frequency", "spike", "cardinality", "percentage", "flatline", "x"])),
        title=draw(ANY_TEXT), description=draw(ANY_TEXT),
        severity=draw(st.sampled_from([*SEVERITIES, "odd"])),
        group=draw(st.dictionaries(st.sampled_from(["country", "admin1", "lang", "source.name"]),
                                   st.none() | ANY_TEXT, max_size=4)),
        group_key=draw(ANY_TEXT), count=draw(st.integers(0, 10**9)), threshold=draw(st.integers(0, 10**9)),
        sample_item_ids=draw(st.lists(ANY_TEXT, max_size=3)),
        sample_titles=draw(st.lists(ANY_TEXT, max_size=3)),
        sample_urls=draw(st.lists(st.none() | ANY_TEXT | st.just("https://x/ä b%"), max_size=3)),
        first_seen=draw(TIMES), last_seen=draw(TIMES), window_start=draw(TIMES), window_end=draw(TIMES),
        updated_at=draw(TIMES), opened_at=draw(st.none() | TIMES), resolved_at=draw(st.none() | TIMES),
        expected=draw(FLOATS), z_score=draw(FLOATS),
        details=draw(st.dictionaries(ANY_TEXT, ANY_TEXT | st.integers() | st.floats(), max_size=3)),
        status=draw(st.sampled_from(["open", "resolved"])),
        event=draw(st.sampled_from(["opened", "updated", "escalated", "resolved", "acknowledged", "noted"])),
        acknowledged_by=draw(st.none() | ANY_TEXT), assigned_to=draw(st.none() | ANY_TEXT), area=draw(AREAS),
    )
    previous = [base.model_copy(update={"version": n, "updated_at": draw(TIMES)})
                for n in draw(st.lists(st.integers(1, 8), max_size=8))]
    web = draw(st.none() | ANY_TEXT | ANY_TEXT.map(lambda s: "https://h/" + s))
    return base, previous, web


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alerts())
def test_any_alert_renders_to_valid_cap(case: tuple[Alert, list[Alert], str | None]) -> None:
    alert, previous, web = case
    xml = render_cap(alert, previous, sender=SENDER, web_url=web)
    validate_cap(xml)
    root = parsed(xml)
    assert one(root, "cap:identifier") == alert.version_id
    earlier = sorted({v.version for v in previous if v.version < alert.version})
    refs = root.findtext("cap:references", namespaces=NS)
    referenced = [r.split(",")[1] for r in refs.split(" ")] if refs else []
    assert referenced == [f"{alert.id}.v{n}" for n in earlier]
    assert len(one(root, "cap:info/cap:headline")) <= HEADLINE_MAX
