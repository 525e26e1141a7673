"""Writes ``tocsin.ndjson``: Tocsin's Kibana 9 saved objects (data views, charts, map, dashboard).

Kibana keeps chart state as JSON strings inside JSON; writing that by hand is
where mistakes hide, so the file is generated from the plain structures below.
Run ``python deploy/kibana/build.py`` after changing them;
``tests/deploy/test_kibana.py`` fails when the file and this script disagree and
checks every field against the index templates.

Migration versions: ``coreMigrationVersion`` 8.8.0 is what Kibana 8.8 through 9
write; each ``typeMigrationVersion`` is one that Kibana 9 knows for the type (as
in Kibana's own sample data), so the import runs the later migrations itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "tocsin.ndjson"

ITEMS = "tocsin-items"
ALERTS = "tocsin-alerts"
CORE = "8.8.0"
TYPE_VERSIONS = {"index-pattern": "8.0.0", "lens": "8.9.0", "map": "8.4.0", "search": "7.9.3",
                 "dashboard": "8.7.0"}
PANEL_VERSION = "9.0.0"
KUERY = {"query": "", "language": "kuery"}


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def saved_object(kind: str, object_id: str, attributes: dict[str, Any],
                 references: list[dict[str, str]]) -> dict[str, Any]:
    return {"id": object_id, "type": kind, "attributes": attributes, "references": references,
            "managed": False, "coreMigrationVersion": CORE, "typeMigrationVersion": TYPE_VERSIONS[kind]}


def data_view(object_id: str, pattern: str, name: str, time_field: str) -> dict[str, Any]:
    return saved_object("index-pattern", object_id, {
        "title": pattern, "name": name, "timeFieldName": time_field, "fieldFormatMap": "{}",
        "fieldAttrs": "{}", "runtimeFieldMap": "{}", "sourceFilters": "[]",
    }, [])


def _terms(field: str, label: str, size: int, order_by: str) -> dict[str, Any]:
    return {"label": label, "customLabel": True, "dataType": "string", "operationType": "terms",
            "sourceField": field, "isBucketed": True, "scale": "ordinal",
            "params": {"size": size, "orderBy": {"type": "column", "columnId": order_by},
                       "orderDirection": "desc", "otherBucket": True, "missingBucket": False,
                       "parentFormat": {"id": "terms"}}}


def _count(label: str) -> dict[str, Any]:
    return {"label": label, "customLabel": True, "dataType": "number", "operationType": "count",
            "sourceField": "___records___", "isBucketed": False, "scale": "ratio",
            "params": {"emptyAsNull": True}}


def lens_xy(object_id: str, title: str, description: str, columns: dict[str, dict[str, Any]],
            layer: dict[str, Any], series: str) -> dict[str, Any]:
    """A one-layer Lens XY chart on the items data view."""
    layer_id = f"{object_id}-layer"
    state = {
        "datasourceStates": {"formBased": {"layers": {layer_id: {
            "columns": columns, "columnOrder": list(columns), "incompleteColumns": {}}}}},
        "visualization": {
            "preferredSeriesType": series, "legend": {"isVisible": True, "position": "right"},
            "valueLabels": "hide", "fittingFunction": "None",
            "axisTitlesVisibilitySettings": {"x": False, "yLeft": True, "yRight": True},
            "layers": [{"layerId": layer_id, "layerType": "data", "seriesType": series, **layer}],
        },
        "query": KUERY, "filters": [], "internalReferences": [], "adHocDataViews": {},
    }
    return saved_object("lens", object_id, {
        "title": title, "description": description, "visualizationType": "lnsXY", "state": state,
    }, [{"type": "index-pattern", "id": ITEMS, "name": f"indexpattern-datasource-layer-{layer_id}"}])


def items_over_time() -> dict[str, Any]:
    columns = {
        "time": {"label": "Event time", "customLabel": True, "dataType": "date",
                 "operationType": "date_histogram", "sourceField": "event_time", "isBucketed": True,
                 "scale": "interval", "params": {"interval": "auto", "includeEmptyRows": True,
                                                 "dropPartials": False}},
        "category": _terms("categories", "Category", 10, "items"),
        "items": _count("Items"),
    }
    return lens_xy("tocsin-items-over-time", "Items over time by category",
                   "Archived items per interval of event time, split by classifier category.",
                   columns, {"xAccessor": "time", "splitAccessor": "category", "accessors": ["items"]},
                   "bar_stacked")


def top_places(object_id: str, field: str, title: str, label: str) -> dict[str, Any]:
    columns = {"place": _terms(field, label, 15, "items"), "items": _count("Items")}
    return lens_xy(object_id, title, f"Items per {label.lower()} (the item's main place).", columns,
                   {"xAccessor": "place", "accessors": ["items"]}, "bar_horizontal")


def items_map() -> dict[str, Any]:
    """Clusters (a geotile grid) rather than points: it stays fast over millions of items."""
    layers = [
        {"id": "base", "type": "EMS_VECTOR_TILE", "label": None, "minZoom": 0, "maxZoom": 24, "alpha": 1,
         "visible": True, "style": {"type": "EMS_VECTOR_TILE", "color": ""}, "includeInFitToBounds": True,
         "sourceDescriptor": {"type": "EMS_TMS", "isAutoSelect": True,
                              "lightModeDefault": "road_map_desaturated"}},
        {"id": "items", "type": "GEOJSON_VECTOR", "label": "Items", "minZoom": 0, "maxZoom": 24, "alpha": 0.8,
         "visible": True, "includeInFitToBounds": True, "joins": [],
         "sourceDescriptor": {"type": "ES_GEO_GRID", "id": "tocsin-items-grid", "geoField": "location",
                              "requestType": "point", "resolution": "COARSE",
                              "metrics": [{"type": "count", "label": "Items"}],
                              "applyGlobalQuery": True, "applyGlobalTime": True, "applyForceRefresh": True,
                              "indexPatternRefName": "layer_1_source_index_pattern"},
         "style": {"type": "VECTOR", "isTimeAware": True, "properties": {
             "icon": {"type": "STATIC", "options": {"value": "marker"}},
             "fillColor": {"type": "DYNAMIC", "options": {
                 "color": "Yellow to Red", "colorCategory": "palette_0", "type": "ORDINAL",
                 "field": {"name": "doc_count", "origin": "source"},
                 "fieldMetaOptions": {"isEnabled": True, "sigma": 3}}},
             "lineColor": {"type": "STATIC", "options": {"color": "#FFFFFF"}},
             "lineWidth": {"type": "STATIC", "options": {"size": 1}},
             "iconSize": {"type": "DYNAMIC", "options": {
                 "minSize": 6, "maxSize": 32, "field": {"name": "doc_count", "origin": "source"},
                 "fieldMetaOptions": {"isEnabled": True, "sigma": 3}}},
             "iconOrientation": {"type": "STATIC", "options": {"orientation": 0}},
             "labelText": {"type": "DYNAMIC",
                           "options": {"field": {"name": "doc_count", "origin": "source"}}},
             "labelColor": {"type": "STATIC", "options": {"color": "#000000"}},
             "labelSize": {"type": "STATIC", "options": {"size": 12}},
             "labelBorderColor": {"type": "STATIC", "options": {"color": "#FFFFFF"}},
             "symbolizeAs": {"options": {"value": "circle"}},
             "labelBorderSize": {"options": {"size": "SMALL"}},
             "labelZoomRange": {"options": {"useLayerZoomRange": True, "minZoom": 0, "maxZoom": 24}},
             "labelPosition": {"options": {"position": "CENTER"}}}}},
    ]
    map_state = {"zoom": 2, "center": {"lat": 10, "lon": 20}, "timeFilters": {"from": "now-7d", "to": "now"},
                 "refreshConfig": {"isPaused": True, "interval": 0}, "query": KUERY, "filters": [],
                 "settings": {"autoFitToDataBounds": False, "initialLocation": "LAST_SAVED_LOCATION"}}
    return saved_object("map", "tocsin-items-map", {
        "title": "Items on the map", "description": "Where archived items are (their main place's location).",
        "layerListJSON": _dumps(layers), "mapStateJSON": _dumps(map_state),
        "uiStateJSON": _dumps({"isLayerTOCOpen": True, "openTOCDetails": []}),
    }, [{"type": "index-pattern", "id": ITEMS, "name": "layer_1_source_index_pattern"}])


ALERT_COLUMNS = ["severity", "status", "rule", "title", "area.description", "group_key", "count", "threshold",
                 "opened_at", "assigned_to", "version"]


def alerts_search() -> dict[str, Any]:
    source = {"query": KUERY, "filter": [], "highlightAll": True, "version": True,
              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    return saved_object("search", "tocsin-alerts-table", {
        "title": "Tocsin alerts",
        "description": "The latest version of every alert, most recently changed first.",
        "columns": ALERT_COLUMNS, "sort": [["updated_at", "desc"]], "grid": {}, "hideChart": False,
        "isTextBasedQuery": False, "timeRestore": False,
        "kibanaSavedObjectMeta": {"searchSourceJSON": _dumps(source)},
    }, [{"type": "index-pattern", "id": ALERTS, "name": "kibanaSavedObjectMeta.searchSourceJSON.index"}])


def dashboard(panels: list[tuple[dict[str, Any], dict[str, int]]]) -> dict[str, Any]:
    panel_json: list[dict[str, Any]] = []
    references: list[dict[str, str]] = []
    for index, (target, grid) in enumerate(panels, start=1):
        key = str(index)
        panel_json.append({"version": PANEL_VERSION, "type": target["type"], "panelIndex": key,
                           "gridData": {**grid, "i": key}, "embeddableConfig": {"enhancements": {}},
                           "panelRefName": f"panel_{key}"})
        references.append({"name": f"{key}:panel_{key}", "type": target["type"], "id": target["id"]})
    return saved_object("dashboard", "tocsin-overview", {
        "title": "Tocsin overview",
        "description": "Items over time by category, where they are, the top places, and the alerts.",
        "panelsJSON": _dumps(panel_json),
        "optionsJSON": _dumps({"useMargins": True, "syncColors": False, "syncCursor": True,
                               "syncTooltips": False, "hidePanelTitles": False}),
        "timeRestore": True, "timeFrom": "now-7d", "timeTo": "now",
        "refreshInterval": {"pause": False, "value": 60000},
        "kibanaSavedObjectMeta": {"searchSourceJSON": _dumps({"query": KUERY, "filter": []})},
    }, references)


def build() -> list[dict[str, Any]]:
    over_time = items_over_time()
    countries = top_places("tocsin-top-countries", "country", "Top countries", "Country")
    regions = top_places("tocsin-top-admin1", "admin1", "Top regions (admin1)", "Region")
    where = items_map()
    alerts = alerts_search()
    return [
        data_view(ITEMS, f"{ITEMS}*", "Tocsin items", "event_time"),
        data_view(ALERTS, f"{ALERTS}*", "Tocsin alerts", "updated_at"),
        over_time, countries, regions, where, alerts,
        dashboard([
            (over_time, {"x": 0, "y": 0, "w": 48, "h": 14}),
            (where, {"x": 0, "y": 14, "w": 28, "h": 22}),
            (countries, {"x": 28, "y": 14, "w": 20, "h": 11}),
            (regions, {"x": 28, "y": 25, "w": 20, "h": 11}),
            (alerts, {"x": 0, "y": 36, "w": 48, "h": 16}),
        ]),
    ]


def render() -> str:
    return "".join(_dumps(obj) + "\n" for obj in build())


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT}")
