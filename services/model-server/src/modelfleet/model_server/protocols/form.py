"""``GET /``: a server-rendered form built from the input schema; ``POST /`` shows the result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from modelfleet.common.errors import BadRequestError
from modelfleet.model_server.dataplane import DataPlane, Scored
from modelfleet.model_server.protocols.http import BodyReader, json_response
from modelfleet.model_server.runtime import LoadedModel


@dataclass
class Field:
    name: str
    numeric: bool
    required: bool
    value: Any
    choices: list[str]


def _fields(model: LoadedModel, values: dict[str, Any]) -> list[Field]:
    example = model.input_example[0] if model.input_example else {}
    categories = model.categories()
    fields = []
    for column in model.schema.columns:
        value = values.get(column.name, example.get(column.name))
        fields.append(
            Field(
                name=column.name,
                numeric=column.numeric,
                required=column.required,
                value="" if value is None else value,
                choices=[] if column.numeric else categories.get(column.name, []),
            )
        )
    return fields


def _render(
    templates: Environment, model: LoadedModel, values: dict[str, Any], **context: Any
) -> str:
    return templates.get_template("form.html").render(
        model=model, target=model.target, fields=_fields(model, values), **context
    )


def router(plane: DataPlane, body: BodyReader) -> APIRouter:
    api = APIRouter(tags=["ui"])
    templates = Environment(
        loader=PackageLoader("modelfleet.model_server", "templates"),
        autoescape=select_autoescape(["html"]),
    )

    @api.get("/", response_class=HTMLResponse)
    async def form(request: Request) -> Response:
        """The form, prefilled with the model's input example, for a browser; for any other
        caller KServe v1's liveness answer, ``{"status": "alive"}``."""
        if "text/html" not in request.headers.get("accept", ""):
            return json_response({"status": "alive"})
        return HTMLResponse(_render(templates, plane.model, {}))

    @api.post("/", response_class=HTMLResponse)
    async def submit(request: Request) -> HTMLResponse:
        """Predict the submitted row and show the label, its probability and every class's."""
        model = plane.model
        text = (await body.bytes(request)).decode("utf-8", errors="replace")
        values: dict[str, Any] = dict(parse_qsl(text, keep_blank_values=True))
        try:
            batch = model.schema.from_records([dict(values)], coerce=True, unit="form row")
            scored = await plane.infer(batch)
        except BadRequestError as exc:
            return HTMLResponse(
                _render(templates, model, values, error=exc.detail), status_code=422
            )
        return HTMLResponse(_render(templates, scored.model, values, result=_result(scored)))

    return api


def _result(scored: Scored) -> dict[str, Any]:
    classes = scored.model.classes
    probabilities = scored.prediction.probabilities[0].tolist()
    label = scored.prediction.labels[0]
    ranked = sorted(zip(classes, probabilities, strict=True), key=lambda p: -p[1])
    return {
        "label": label,
        "probability": probabilities[classes.index(label)],
        "probabilities": ranked,
    }
