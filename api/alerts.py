"""Alert routes: list, one alert with its versions and items, evidence, actions, Atom, CAP.

Alerts are read from the alerts index (latest version of each) and the versions
index; actions are published as signals (``api.signals``) for the alerts worker to
apply: the API answers 202 and the new version arrives on ``/alerts/stream``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from elasticsearch import NotFoundError
from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from api.auth import analyst, viewer
from api.context import ApiContext, context
from api.keys import Principal
from api.records import item_from_hit
from api.signals import BrokerUnavailable
from tocsin.formats.atom import FEED_MAX, atom_feed
from tocsin.queries import AlertFilters, QueryError
from tocsin.schema import Alert, AlertAction
from tocsin.search import alerts_from_hits, search_alerts, sources_by_id

logger = logging.getLogger(__name__)
router = APIRouter(tags=["alerts"])
Ctx = Annotated[ApiContext, Depends(context)]
MAX_ALERTS = 500
MAX_VERSIONS = 1000


def _filters(**params: str | None) -> AlertFilters:
    try:
        return AlertFilters.from_params(params)
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None


async def get_alert(ctx: ApiContext, alert_id: str) -> Alert:
    """The latest version, or 404."""
    try:
        doc = await ctx.es.get(index=ctx.settings.search.alerts_index, id=alert_id)
    except NotFoundError:
        raise HTTPException(404, "no such alert") from None
    return Alert.from_document(doc["_source"])


async def alert_versions(ctx: ApiContext, alert_id: str) -> list[Alert]:
    """Every stored version, oldest first."""
    try:
        response = await ctx.es.search(
            index=ctx.settings.search.alert_versions_index, query={"term": {"id": alert_id}},
            sort=[{"version": {"order": "asc", "unmapped_type": "long"}}], size=MAX_VERSIONS)
    except NotFoundError:
        return []
    return alerts_from_hits(response["hits"]["hits"])


@router.get("/alerts", summary="Alerts, most recently changed first (latest version of each)")
async def alerts_list(
        ctx: Ctx, _: Annotated[Principal, Depends(viewer)],
        status: Annotated[str | None, Query(description="open or resolved (comma-separated: any of)")] = None,
        severity: Annotated[str | None, Query(description="info, warning, severe, extreme")] = None,
        rule: Annotated[str | None, Query(description="rule name")] = None,
        country: Annotated[str | None, Query(description="ISO 3166 alpha-2, e.g. SD")] = None,
        size: Annotated[int, Query(ge=1, le=MAX_ALERTS)] = 50) -> dict[str, Any]:
    alerts = await search_alerts(ctx.es, ctx.settings.search.alerts_index,
                                 _filters(status=status, severity=severity, rule=rule, country=country), size)
    return {"alerts": [a.model_dump(mode="json") for a in alerts]}


@router.get("/alerts.atom", summary="Atom feed of alerts, newest first", response_class=Response,
            responses={200: {"content": {"application/atom+xml": {}}}})
async def alerts_atom(
        request: Request, ctx: Ctx, _: Annotated[Principal, Depends(viewer)],
        status: Annotated[str | None, Query(description="open or resolved (comma-separated: any of)")] = None,
        severity: Annotated[str | None, Query(description="info, warning, severe, extreme")] = None,
        rule: Annotated[str | None, Query(description="rule name")] = None,
        country: Annotated[str | None, Query(description="ISO 3166 alpha-2, e.g. SD")] = None,
        lang: Annotated[str | None, Query(description="the group's language (rules grouped by lang)")] = None,
        city: Annotated[str | None, Query(description="the group's city (rules grouped by city)")] = None,
        limit: Annotated[int | None, Query(ge=1, le=FEED_MAX, description="entries (feed_size)")] = None,
) -> Response:
    feed_url = f"{ctx.public_url(request)}/alerts.atom"
    if request.url.query:
        feed_url += f"?{request.url.query}"
    params = {"status": status, "severity": severity, "rule": rule, "country": country, "lang": lang,
              "city": city, "limit": None if limit is None else str(limit)}
    try:
        body = await atom_feed(ctx.es, ctx.settings.search.alerts_index, params, feed_url=feed_url,
                               default_size=ctx.settings.alerts.feed_size)
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/alerts/{alert_id}.cap", summary="CAP 1.2 message of an alert version (default: the latest)",
            response_class=Response, responses={200: {"content": {"application/cap+xml": {}}}})
async def alert_cap(request: Request, ctx: Ctx, alert_id: str, _: Annotated[Principal, Depends(viewer)],
                    version: Annotated[int | None, Query(ge=1)] = None) -> Response:
    from tocsin.formats.cap import render_cap

    latest = await get_alert(ctx, alert_id)
    versions = await alert_versions(ctx, alert_id)
    chosen = latest
    if version is not None and version != latest.version:
        found = [v for v in versions if v.version == version]
        if not found:
            raise HTTPException(404, f"alert {alert_id} has no stored version {version}")
        chosen = found[0]
    base = ctx.public_url(request)
    host = urlsplit(base).hostname or "localhost"
    try:
        xml = render_cap(chosen, [v for v in versions if v.version < chosen.version],
                         sender=f"tocsin@{host}", web_url=f"{base}/alerts/{alert_id}")
    except ValueError as exc:
        raise HTTPException(500, f"this alert cannot be expressed as CAP: {exc}") from None
    return Response(xml, media_type="application/cap+xml; charset=utf-8")


@router.get("/alerts/{alert_id}/evidence", summary="Frozen contributing items and the custody log (logged)")
async def alert_evidence(ctx: Ctx, alert_id: str, who: Annotated[Principal, Depends(analyst)]) -> Any:
    store = ctx.evidence()
    record = await store.record(alert_id, actor=who.name)
    if record is None:
        # Not frozen yet (e.g. raised before evidence was kept): freeze it now, then log the view.
        await store.freeze(await get_alert(ctx, alert_id))
        record = await store.record(alert_id, actor=who.name)
    if record is None:
        raise HTTPException(404, "no evidence for this alert")
    return Response(record.model_dump_json(), media_type="application/json")


@router.get("/alerts/{alert_id}/evidence.zip", summary="Evidence bundle: snapshots, hashes, custody (logged)",
            response_class=Response, responses={200: {"content": {"application/zip": {}}}})
async def alert_evidence_zip(ctx: Ctx, alert_id: str,
                             who: Annotated[Principal, Depends(analyst)]) -> Response:
    from tocsin.evidence import EvidenceNotFound

    store = ctx.evidence()
    try:
        bundle = await store.export_bundle(alert_id, actor=who.name)
    except EvidenceNotFound:
        await store.freeze(await get_alert(ctx, alert_id))
        bundle = await store.export_bundle(alert_id, actor=who.name)
    return Response(bundle, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="evidence-{_filename(alert_id)}.zip"'})


def _filename(alert_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in alert_id)[:100]


@router.get("/alerts/{alert_id}", summary="One alert: latest version, every version, contributing items")
async def alert_detail(ctx: Ctx, alert_id: str, _: Annotated[Principal, Depends(viewer)]) -> dict[str, Any]:
    alert = await get_alert(ctx, alert_id)
    versions = await alert_versions(ctx, alert_id)
    items: list[dict[str, Any]] = []
    if alert.sample_item_ids:
        found = await sources_by_id(ctx.es, ctx.settings.search.items_index, alert.sample_item_ids)
        items = [item_from_hit({"_id": item_id, "_source": found[item_id]})
                 for item_id in dict.fromkeys(alert.sample_item_ids) if item_id in found]
    return {"alert": alert.model_dump(mode="json"), "versions": [v.model_dump(mode="json") for v in versions],
            "items": items}


class AssignBody(BaseModel):
    assignee: str = Field(min_length=1, max_length=200)


class NoteBody(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)


async def _act(ctx: ApiContext, alert_id: str, who: Principal,
               kind: Literal["acknowledge", "assign", "note"], text: str = "") -> dict[str, Any]:
    alert = await get_alert(ctx, alert_id)
    action = AlertAction(alert_id=alert.id, type=kind, actor=who.name, text=text)
    try:
        await ctx.signals.publish(alert, action)
    except BrokerUnavailable as exc:
        raise HTTPException(503, str(exc)) from None
    ctx.metrics.actions.labels(kind).inc()
    return {"action": action.model_dump(mode="json")}


@router.post("/alerts/{alert_id}/ack", status_code=202, summary="Acknowledge (applied by the alerts worker)")
async def alert_ack(ctx: Ctx, alert_id: str, who: Annotated[Principal, Depends(analyst)]) -> dict[str, Any]:
    return await _act(ctx, alert_id, who, "acknowledge")


@router.post("/alerts/{alert_id}/assign", status_code=202, summary="Assign to someone")
async def alert_assign(ctx: Ctx, alert_id: str, body: Annotated[AssignBody, Body()],
                       who: Annotated[Principal, Depends(analyst)]) -> dict[str, Any]:
    return await _act(ctx, alert_id, who, "assign", body.assignee)


@router.post("/alerts/{alert_id}/note", status_code=202, summary="Add a note")
async def alert_note(ctx: Ctx, alert_id: str, body: Annotated[NoteBody, Body()],
                     who: Annotated[Principal, Depends(analyst)]) -> dict[str, Any]:
    return await _act(ctx, alert_id, who, "note", body.text)
