"""The Kibana saved objects: well-formed, self-contained, and built on fields the templates map.

No Kibana runs here; these checks catch what breaks an import or leaves a panel
empty: a dangling reference, a renamed field, a file out of step with its generator.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

ROOT = Path(__file__).resolve().parents[2]
KIBANA = ROOT / "deploy" / "kibana"
NDJSON = KIBANA / "tocsin.ndjson"
TEMPLATES = [ROOT / "processors" / "templates" / "items.json", ROOT / "alerts" / "templates" / "alerts.json"]


def load_objects() -> list[dict[str, Any]]:
    return [json.loads(line) for line in NDJSON.read_text(encoding="utf-8").splitlines() if line.strip()]


OBJECTS = load_objects()
BY_KEY = {(obj["type"], obj["id"]): obj for obj in OBJECTS}


def template_fields(properties: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Dotted field path -> mapped type, multi-fields included (``title.raw``)."""
    fields: dict[str, str] = {}
    for name, spec in properties.items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            fields.update(template_fields(spec["properties"], f"{path}."))
        fields[path] = spec.get("type", "object")
        for sub, sub_spec in spec.get("fields", {}).items():
            fields[f"{path}.{sub}"] = sub_spec["type"]
    return fields


def fields_for(data_view_id: str) -> dict[str, str]:
    """The mapped fields of the template whose index pattern the data view's title covers."""
    pattern = BY_KEY[("index-pattern", data_view_id)]["attributes"]["title"]
    for path in TEMPLATES:
        template = json.loads(path.read_text(encoding="utf-8"))
        if any(fnmatch(pattern.rstrip("*") + "x", p) for p in template["index_patterns"]):
            return template_fields(template["template"]["mappings"]["properties"])
    raise AssertionError(f"no index template covers data view {data_view_id} ({pattern})")


def reference(obj: dict[str, Any], name: str) -> dict[str, str]:
    matches = [ref for ref in obj["references"] if ref["name"] == name]
    assert len(matches) == 1, f"{obj['id']}: reference {name!r} found {len(matches)} times"
    return matches[0]


def test_every_line_is_a_saved_object_kibana_9_imports() -> None:
    assert OBJECTS, "no saved objects"
    for obj in OBJECTS:
        assert {"id", "type", "attributes", "references"} <= set(obj), obj.get("id")
        assert obj["type"] in {"index-pattern", "lens", "map", "search", "dashboard"}
        assert obj["coreMigrationVersion"] == "8.8.0"
        assert re.fullmatch(r"\d+\.\d+\.\d+", obj["typeMigrationVersion"])
        assert obj["attributes"]["title"]


def test_ids_are_unique() -> None:
    ids = [obj["id"] for obj in OBJECTS]
    assert len(ids) == len(set(ids))


def test_every_reference_resolves_to_an_object_in_the_file() -> None:
    for obj in OBJECTS:
        names = [ref["name"] for ref in obj["references"]]
        assert len(names) == len(set(names)), f"{obj['id']}: duplicate reference names"
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in BY_KEY, f"{obj['id']} -> {ref}"


def test_the_file_is_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("kibana_build", KIBANA / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render() == NDJSON.read_text(encoding="utf-8"), \
        "deploy/kibana/tocsin.ndjson is stale: run python deploy/kibana/build.py"


def test_data_views_cover_the_indices_with_their_event_time() -> None:
    views = {obj["id"]: obj["attributes"] for obj in OBJECTS if obj["type"] == "index-pattern"}
    assert views["tocsin-items"]["title"] == "tocsin-items*"
    assert views["tocsin-alerts"]["title"] == "tocsin-alerts*"
    assert views["tocsin-items"]["timeFieldName"] == "event_time"
    for view_id, attributes in views.items():
        assert fields_for(view_id)[attributes["timeFieldName"]] == "date"


_OPERATION_TYPES = {"date_histogram": {"date"}, "terms": {"keyword"}}


def test_lens_columns_use_mapped_fields_of_the_right_type() -> None:
    lenses = [obj for obj in OBJECTS if obj["type"] == "lens"]
    assert len(lenses) >= 3
    for lens in lenses:
        layers = lens["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
        for layer_id, layer in layers.items():
            view = reference(lens, f"indexpattern-datasource-layer-{layer_id}")
            fields = fields_for(view["id"])
            assert set(layer["columnOrder"]) == set(layer["columns"])
            for column in layer["columns"].values():
                if column["sourceField"] == "___records___":
                    continue
                assert column["sourceField"] in fields, f"{lens['id']}: {column['sourceField']} not mapped"
                allowed = _OPERATION_TYPES.get(column["operationType"])
                if allowed:
                    assert fields[column["sourceField"]] in allowed, (lens["id"], column["sourceField"])
        visual = lens["attributes"]["state"]["visualization"]
        for layer in visual["layers"]:
            assert layer["layerId"] in layers
            columns = layers[layer["layerId"]]["columns"]
            for accessor in [layer.get("xAccessor"), layer.get("splitAccessor"), *layer["accessors"]]:
                assert accessor is None or accessor in columns, (lens["id"], accessor)


def test_the_map_plots_a_geo_point_of_the_items() -> None:
    maps = [obj for obj in OBJECTS if obj["type"] == "map"]
    assert maps
    for map_object in maps:
        layers = json.loads(map_object["attributes"]["layerListJSON"])
        json.loads(map_object["attributes"]["mapStateJSON"])
        data_layers = [layer for layer in layers if "indexPatternRefName" in layer["sourceDescriptor"]]
        assert data_layers
        for layer in data_layers:
            source = layer["sourceDescriptor"]
            view = reference(map_object, source["indexPatternRefName"])
            assert fields_for(view["id"])[source["geoField"]] == "geo_point"
            assert source["geoField"] == "location"


def test_the_alerts_table_shows_mapped_alert_fields() -> None:
    search = BY_KEY[("search", "tocsin-alerts-table")]
    source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    view = reference(search, source["indexRefName"])
    assert view["id"] == "tocsin-alerts"
    fields = fields_for(view["id"])
    for column in search["attributes"]["columns"]:
        assert column in fields, f"alerts column {column!r} is not in the alerts template"
    for field, _direction in search["attributes"]["sort"]:
        assert field in fields


def test_dashboard_panels_reference_existing_objects_without_overlapping() -> None:
    board = BY_KEY[("dashboard", "tocsin-overview")]
    assert board["attributes"]["title"] == "Tocsin overview"
    panels = json.loads(board["attributes"]["panelsJSON"])
    json.loads(board["attributes"]["optionsJSON"])
    indices = [panel["panelIndex"] for panel in panels]
    assert len(indices) == len(set(indices))
    shown = set()
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        ref = reference(board, f"{panel['panelIndex']}:{panel['panelRefName']}")
        assert ref["type"] == panel["type"]
        assert (ref["type"], ref["id"]) in BY_KEY
        shown.add(ref["id"])
        grid = panel["gridData"]
        assert grid["i"] == panel["panelIndex"] and grid["x"] >= 0 and grid["x"] + grid["w"] <= 48
        area = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not area & cells, f"panel {panel['panelIndex']} overlaps another"
        cells |= area
    assert {"tocsin-items-over-time", "tocsin-items-map", "tocsin-top-countries", "tocsin-top-admin1",
            "tocsin-alerts-table"} <= shown


class _FakeKibana(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, Any]]] = []
    answer = b'{"success":true,"successCount":8,"successResults":[]}'

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_kibana() -> Iterator[tuple[str, type[_FakeKibana]]]:
    handler = type("Handler", (_FakeKibana,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="import.sh uses curl")


@needs_curl
def test_import_script_posts_the_file_with_xsrf_header_and_credentials(
        fake_kibana: tuple[str, type[_FakeKibana]]) -> None:
    url, handler = fake_kibana
    env = {"PATH": "/usr/bin:/bin", "KIBANA_URL": url + "/", "KIBANA_USERNAME": "elastic",
           "KIBANA_PASSWORD": 'pa"ss\\word', "KIBANA_SPACE": "monitoring"}
    done = subprocess.run([str(KIBANA / "import.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "imported 8 saved objects" in done.stdout
    [request] = handler.seen
    assert request["path"] == "/s/monitoring/api/saved_objects/_import?overwrite=true"
    assert request["headers"]["kbn-xsrf"] == "true"
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(
        b'elastic:pa"ss\\word').decode()
    assert NDJSON.read_bytes() in request["body"]


@needs_curl
def test_import_script_fails_when_kibana_reports_errors(fake_kibana: tuple[str, type[_FakeKibana]]) -> None:
    url, handler = fake_kibana
    handler.answer = b'{"success":false,"successCount":7,"errors":[{"id":"tocsin-items-map"}]}'
    done = subprocess.run([str(KIBANA / "import.sh")], env={"PATH": "/usr/bin:/bin", "KIBANA_URL": url,
                                                            "KIBANA_API_KEY": "abc=="},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "tocsin-items-map" in done.stderr
    assert handler.seen[0]["headers"]["Authorization"] == "ApiKey abc=="
