"""Analysts' verdicts on items, and the labelled CSV they make (``tocsin.labels``).

``POST /items/{id}/verdict`` records that the model was wrong (``misclassified``) or
right (``confirmed``) about one category of an archived item, with the model and
score it gave and the text it read; ``GET /labels.csv?category=`` is the latest
verdict per item in the format the evaluation and training commands read. Dismissing
a whole alert as a false positive is ``POST /alerts/{id}/dismiss`` (``api.alerts``).
"""

from __future__ import annotations

import io
import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field

from api.auth import analyst
from api.context import ApiContext, context
from api.keys import Principal
from tocsin.labels import ItemVerdict, item_label, write_export
from tocsin.queries import QueryError
from tocsin.search import sources_by_id

router = APIRouter(tags=["labels"])
Ctx = Annotated[ApiContext, Depends(context)]
MAX_LABELS = 500
_CATEGORY = r"^[a-z0-9_]{1,64}$"


class VerdictBody(BaseModel):
    category: str = Field(pattern=_CATEGORY, description="the category the verdict is about")
    verdict: ItemVerdict = Field(description="misclassified: the model was wrong about it; confirmed: right")
    alert_id: str | None = Field(default=None, max_length=200, description="the alert it was judged from")
    reason: str = Field(default="", max_length=2_000)


async def _known(ctx: ApiContext, category: str) -> None:
    try:
        await ctx.categories.check(ctx.es, [category])
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None


@router.post("/items/{item_id}/verdict", status_code=201,
             summary="An analyst's verdict on one category of an item (kept in the labels index)")
async def item_verdict(ctx: Ctx, item_id: str, body: Annotated[VerdictBody, Body()],
                       who: Annotated[Principal, Depends(analyst)]) -> dict[str, Any]:
    await _known(ctx, body.category)
    found = await sources_by_id(ctx.es, ctx.settings.search.items_index, [item_id])
    if item_id not in found:
        raise HTTPException(404, "no such item in the archive")
    label = item_label({**found[item_id], "id": item_id}, body.category, body.verdict, actor=who.name,
                       alert_id=body.alert_id, reason=body.reason)
    await ctx.labels().add(label)
    return {"label": label.model_dump(mode="json")}


@router.get("/categories", summary="The category names filters and verdicts take (configured, archived)")
async def categories(ctx: Ctx, _: Annotated[Principal, Depends(analyst)]) -> dict[str, Any]:
    return {"categories": sorted(await ctx.categories.names(ctx.es))}


def _many(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@router.get("/labels", summary="Analysts' verdicts, newest first: on an alert, on items, of a category")
async def labels(ctx: Ctx, _: Annotated[Principal, Depends(analyst)],
                 alert_id: Annotated[str | None, Query(description="made from this alert, or on it")] = None,
                 item_id: Annotated[str | None, Query(description="on these items (comma-separated)")] = None,
                 category: Annotated[str | None, Query(pattern=_CATEGORY)] = None,
                 size: Annotated[int, Query(ge=1, le=MAX_LABELS)] = 100) -> dict[str, Any]:
    found = await ctx.labels().find(alert_id=alert_id, item_ids=_many(item_id), category=category, size=size)
    return {"labels": [label.model_dump(mode="json") for label in found]}


@router.get("/labels.csv", summary="The labelled CSV of one category, as the training commands read it",
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def labels_csv(ctx: Ctx, _: Annotated[Principal, Depends(analyst)],
                     category: Annotated[str, Query(pattern=_CATEGORY)]) -> Response:
    verdicts = [label async for label in ctx.labels().item_verdicts(category)]
    out = io.StringIO()
    write_export(out, category, verdicts)
    name = re.sub(r"[^a-z0-9_]", "_", category)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="labels-{name}.csv"'})
