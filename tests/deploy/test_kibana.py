"""The Kibana saved objects: well-formed, self-contained, and built on fields the templates map.

No Kibana runs here; these checks catch what breaks an import or leaves a panel
empty: a dangling reference, a renamed field, a file out of step with its generator.
"""

from __future__ import annotations

import base64
import copy
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


_OPERATION_TYPES = {"date_histogram": {"date"}, "terms": {"keyword"}}


class Checker:
    """Everything that would break the import or leave a panel empty, as a list of problems."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.objects = objects
        self.by_key = {(obj["type"], obj["id"]): obj for obj in objects}
        self.problems: list[str] = []

    def fields_for(self, data_view_id: str) -> dict[str, str]:
        """The mapped fields of the template whose index pattern the data view's title covers."""
        view = self.by_key.get(("index-pattern", data_view_id))
        if view is None:
            self.problems.append(f"no data view {data_view_id!r}")
            return {}
        pattern = view["attributes"]["title"]
        for path in TEMPLATES:
            template = json.loads(path.read_text(encoding="utf-8"))
            if any(fnmatch(pattern.rstrip("*") + "x", p) for p in template["index_patterns"]):
                return template_fields(template["template"]["mappings"]["properties"])
        self.problems.append(f"no index template covers data view {data_view_id} ({pattern})")
        return {}

    def reference(self, obj: dict[str, Any], name: str) -> dict[str, str]:
        matches = [ref for ref in obj["references"] if ref["name"] == name]
        if len(matches) != 1:
            self.problems.append(f"{obj['id']}: reference {name!r} found {len(matches)} times")
            return {"id": "", "type": "", "name": name}
        return matches[0]

    def field(self, owner: str, fields: dict[str, str], name: str, types: set[str] | None = None) -> None:
        if name not in fields:
            self.problems.append(f"{owner}: field {name!r} is not in the index template")
        elif types and fields[name] not in types:
            wanted = " or ".join(sorted(types))
            self.problems.append(f"{owner}: field {name!r} is {fields[name]}, not {wanted}")

    def run(self) -> list[str]:
        ids = [obj["id"] for obj in self.objects]
        self.problems += [f"id {i!r} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
        for obj in self.objects:
            names = [ref["name"] for ref in obj["references"]]
            if len(names) != len(set(names)):
                self.problems.append(f"{obj['id']}: duplicate reference names")
            for ref in obj["references"]:
                if (ref["type"], ref["id"]) not in self.by_key:
                    self.problems.append(
                        f"{obj['id']}: reference to {ref['type']} {ref['id']!r}, not in the file")
            getattr(self, "check_" + obj["type"].replace("-", "_"))(obj)
        return self.problems

    def check_index_pattern(self, view: dict[str, Any]) -> None:
        self.field(view["id"], self.fields_for(view["id"]), view["attributes"]["timeFieldName"], {"date"})

    def check_lens(self, lens: dict[str, Any]) -> None:
        layers = lens["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
        for layer_id, layer in layers.items():
            fields = self.fields_for(self.reference(lens, f"indexpattern-datasource-layer-{layer_id}")["id"])
            if set(layer["columnOrder"]) != set(layer["columns"]):
                self.problems.append(f"{lens['id']}: columnOrder is not the columns")
            for column in layer["columns"].values():
                if column["sourceField"] != "___records___":
                    self.field(lens["id"], fields, column["sourceField"],
                               _OPERATION_TYPES.get(column["operationType"]))
        for layer in lens["attributes"]["state"]["visualization"]["layers"]:
            columns = layers.get(layer["layerId"], {}).get("columns", {})
            for accessor in [layer.get("xAccessor"), layer.get("splitAccessor"), *layer["accessors"]]:
                if accessor is not None and accessor not in columns:
                    self.problems.append(f"{lens['id']}: accessor {accessor!r} is no column of its layer")

    def check_map(self, map_object: dict[str, Any]) -> None:
        json.loads(map_object["attributes"]["mapStateJSON"])
        for layer in json.loads(map_object["attributes"]["layerListJSON"]):
            source = layer["sourceDescriptor"]
            if "indexPatternRefName" in source:
                view = self.reference(map_object, source["indexPatternRefName"])
                self.field(map_object["id"], self.fields_for(view["id"]), source["geoField"], {"geo_point"})

    def check_search(self, search: dict[str, Any]) -> None:
        source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        fields = self.fields_for(self.reference(search, source["indexRefName"])["id"])
        for column in search["attributes"]["columns"]:
            self.field(search["id"], fields, column)
        for name, _direction in search["attributes"]["sort"]:
            self.field(search["id"], fields, name)

    def check_dashboard(self, board: dict[str, Any]) -> None:
        json.loads(board["attributes"]["optionsJSON"])
        panels = json.loads(board["attributes"]["panelsJSON"])
        cells: set[tuple[int, int]] = set()
        for panel in panels:
            ref = self.reference(board, f"{panel['panelIndex']}:{panel['panelRefName']}")
            if ref["type"] != panel["type"]:
                self.problems.append(f"panel {panel['panelIndex']} is a {panel['type']}, its reference a "
                                     f"{ref['type']}")
            grid = panel["gridData"]
            if grid["i"] != panel["panelIndex"] or grid["x"] < 0 or grid["x"] + grid["w"] > 48:
                self.problems.append(f"panel {panel['panelIndex']} is off the 48-column grid")
            area = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                    for y in range(grid["y"], grid["y"] + grid["h"])}
            if area & cells:
                self.problems.append(f"panel {panel['panelIndex']} overlaps another")
            cells |= area


def test_every_line_is_a_saved_object_kibana_9_imports() -> None:
    assert OBJECTS, "no saved objects"
    for obj in OBJECTS:
        assert {"id", "type", "attributes", "references"} <= set(obj), obj.get("id")
        assert obj["type"] in {"index-pattern", "lens", "map", "search", "dashboard"}
        assert obj["coreMigrationVersion"] == "8.8.0"
        assert re.fullmatch(r"\d+\.\d+\.\d+", obj["typeMigrationVersion"])
        assert obj["attributes"]["title"]


def test_ids_are_unique_references_resolve_and_every_field_is_mapped() -> None:
    assert Checker(OBJECTS).run() == []


def _mutate(path: str, value: Any) -> list[dict[str, Any]]:
    """A deep copy of the objects with one value replaced: ``<object id>/<key>/<key>...``;
    a key that is a JSON string attribute (``panelsJSON``) is parsed, changed and re-dumped."""
    objects = copy.deepcopy(OBJECTS)
    object_id, *keys = path.split("/")
    node: Any = next(obj for obj in objects if obj["id"] == object_id)
    for depth, key in enumerate(keys[:-1]):
        child = node[int(key) if isinstance(node, list) else key]
        if isinstance(child, str):
            parsed = json.loads(child)
            rest = "/".join(keys[depth + 1:])
            node[key] = json.dumps(_set(parsed, rest, value))
            return objects
        node = child
    node[int(keys[-1]) if isinstance(node, list) else keys[-1]] = value
    return objects


def _set(node: Any, path: str, value: Any) -> Any:
    keys = path.split("/")
    target = node
    for key in keys[:-1]:
        target = target[int(key) if isinstance(target, list) else key]
    target[int(keys[-1]) if isinstance(target, list) else keys[-1]] = value
    return node


@pytest.mark.parametrize("path, value, problem", [
    ("tocsin-items-map/id", "tocsin-items-over-time", "is used twice"),
    ("tocsin-alerts-table/references/0/id", "tocsin-alerts-old", "not in the file"),
    ("tocsin-items/attributes/timeFieldName", "published_at", "'published_at' is not in the index template"),
    ("tocsin-alerts/attributes/timeFieldName", "status", "'status' is keyword, not date"),
    ("tocsin-items-over-time/attributes/state/datasourceStates/formBased/layers/"
     "tocsin-items-over-time-layer/columns/category/sourceField", "category", "'category' is not in"),
    ("tocsin-top-countries/attributes/state/datasourceStates/formBased/layers/"
     "tocsin-top-countries-layer/columns/place/sourceField", "title", "'title' is text, not keyword"),
    ("tocsin-items-map/attributes/layerListJSON/1/sourceDescriptor/geoField", "country",
     "'country' is keyword, not geo_point"),
    ("tocsin-alerts-table/attributes/columns/0", "severity_level", "'severity_level' is not in"),
    ("tocsin-overview/attributes/panelsJSON/1/gridData/y", 0, "overlaps another"),
    ("tocsin-overview/attributes/panelsJSON/2/panelRefName", "panel_9", "found 0 times"),
    ("tocsin-top-admin1/references/0/name", "layer", "found 0 times"),
])
def test_the_checker_finds_each_kind_of_mistake(path: str, value: Any, problem: str) -> None:
    problems = Checker(_mutate(path, value)).run()
    assert any(problem in p for p in problems), problems


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


def test_the_map_plots_the_items_location() -> None:
    [map_object] = [obj for obj in OBJECTS if obj["type"] == "map"]
    layers = json.loads(map_object["attributes"]["layerListJSON"])
    assert [layer["sourceDescriptor"]["geoField"] for layer in layers
            if "geoField" in layer["sourceDescriptor"]] == ["location"]
    assert map_object["references"] == [{"type": "index-pattern", "id": "tocsin-items",
                                         "name": "layer_1_source_index_pattern"}]


def test_the_dashboard_shows_the_five_panels() -> None:
    board = BY_KEY[("dashboard", "tocsin-overview")]
    assert board["attributes"]["title"] == "Tocsin overview"
    panels = json.loads(board["attributes"]["panelsJSON"])
    shown = {ref["id"] for ref in board["references"]}
    assert len(panels) == len(shown) == 5
    assert shown == {"tocsin-items-over-time", "tocsin-items-map", "tocsin-top-countries",
                     "tocsin-top-admin1", "tocsin-alerts-table"}


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


# Kibana's dashboard saved-object type (elastic/kibana src/platform/plugins/shared/dashboard/server/
# dashboard_saved_object/dashboard_saved_object.ts, read 2026-12-06): its mappings name the attributes
# a dashboard has; the import validates attributes against the type's schema.
DASHBOARD_ATTRIBUTES = {"description", "hits", "kibanaSavedObjectMeta", "optionsJSON", "panelsJSON",
                        "sections", "accessControl", "refreshInterval", "controlGroupInput", "timeFrom",
                        "timeRestore", "timeTo", "title", "version"}
DASHBOARD_REFRESH_KEYS = {"display", "pause", "section", "value"}


def test_dashboards_carry_only_the_attributes_kibanas_dashboard_type_defines() -> None:
    boards = [obj for obj in OBJECTS if obj["type"] == "dashboard"]
    assert boards
    for board in boards:
        attributes = board["attributes"]
        assert set(attributes) <= DASHBOARD_ATTRIBUTES, set(attributes) - DASHBOARD_ATTRIBUTES
        assert set(attributes.get("refreshInterval", {})) <= DASHBOARD_REFRESH_KEYS
        assert set(attributes["kibanaSavedObjectMeta"]) == {"searchSourceJSON"}
        json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
        for text_field in ("panelsJSON", "optionsJSON"):
            assert isinstance(attributes[text_field], str)  # mapped as text: a JSON string, not an object
