"""``/v1/datasets``: register a file (JSON with its location, or a multipart upload), search."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from modelfleet.common.errors import BadRequestError
from modelfleet.common.wire import DatasetMeta, DatasetOut
from modelfleet.trainer import catalog
from modelfleet.trainer.context import TrainerContext

_META_SCHEMA = {"$ref": "#/components/schemas/DatasetMeta"}
_UPLOAD_SCHEMA = {
    "type": "object",
    "required": ["file", "name"],
    "properties": {
        "file": {"type": "string", "format": "binary"},
        "name": {"type": "string"},
        "owner": {"type": "string"},
        "description": {"type": "string"},
        "target": {"type": "string"},
        "tags": {"type": "string", "description": 'JSON object, e.g. {"generation": "3"}'},
        "tag": {"type": "array", "items": {"type": "string"}, "description": "key:value"},
    },
}


def router(ctx: TrainerContext, auth: Callable[..., Awaitable[None]]) -> APIRouter:
    api = APIRouter(prefix="/v1/datasets", tags=["datasets"])

    @api.post(
        "",
        status_code=201,
        dependencies=[Depends(auth)],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _META_SCHEMA},
                    "multipart/form-data": {"schema": _UPLOAD_SCHEMA},
                },
            }
        },
    )
    async def register(request: Request) -> DatasetOut:
        """JSON registers a file the trainer can read; multipart uploads it under data_dir."""
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            try:
                return await run_in_threadpool(_register_upload, ctx, form)
            finally:
                await form.close()
        try:
            body = await request.json()
        except ValueError as exc:
            raise BadRequestError(f"body: not valid JSON ({exc})") from exc
        meta = _meta(body)
        return await run_in_threadpool(_register_json, ctx, meta)

    @api.get("")
    def search(
        q: str | None = Query(None, description="Text in name, description, location or tags"),
        tag: list[str] = Query(default_factory=list, description="key:value, repeatable"),
        limit: int = Query(200, ge=1, le=1000),
    ) -> list[DatasetOut]:
        with ctx.session() as session:
            return catalog.search(session, q, tag, limit)

    @api.get("/{name}")
    def show(name: str) -> DatasetOut:
        with ctx.session() as session:
            return catalog.get(session, name)

    return api


def _meta(body: Any) -> DatasetMeta:
    try:
        return DatasetMeta.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise BadRequestError(problems) from exc


def _register_json(ctx: TrainerContext, meta: DatasetMeta) -> DatasetOut:
    with ctx.session() as session:
        return catalog.register(session, meta)


def _register_upload(ctx: TrainerContext, form: FormData) -> DatasetOut:
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise BadRequestError("file: required (the dataset file as a multipart part)")
    tags: dict[str, str] = {}
    if raw := form.get("tags"):
        try:
            parsed = json.loads(str(raw))
        except json.JSONDecodeError as exc:
            raise BadRequestError(f"tags: not a JSON object ({exc})") from exc
        if not isinstance(parsed, dict):
            raise BadRequestError("tags: must be a JSON object")
        tags.update({str(k): str(v) for k, v in parsed.items()})
    for item in form.getlist("tag"):
        key, value = catalog.parse_tag(str(item))
        tags[key] = value
    fields = {k: form.get(k) for k in ("name", "owner", "description", "target")}
    meta = _meta({k: str(v) for k, v in fields.items() if v not in (None, "")} | {"tags": tags})
    with ctx.session() as session:
        catalog.ensure_new(session, meta.name)
    settings = ctx.settings
    path = catalog.store_upload(
        settings.data_dir, meta.name, upload.filename or "", upload.file, settings.max_upload_bytes
    )
    try:
        with ctx.session() as session:
            return catalog.register(session, meta, path)
    except Exception:
        catalog.remove_file(path)
        raise
