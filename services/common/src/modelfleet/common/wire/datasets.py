"""The trainer's dataset catalog API: ``POST /v1/datasets`` (JSON or a multipart upload, as the
drift monitor sends its training sets) and the entries ``GET /v1/datasets`` lists."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

DATASET_NAME_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$"


class DatasetMeta(BaseModel):
    """What the caller says about a dataset; the rest is computed from the file."""

    name: str = Field(pattern=DATASET_NAME_PATTERN, description="Unique catalog name")
    location: str | None = Field(
        default=None, description="Path of the file on the trainer (omitted for uploads)"
    )
    owner: str | None = None
    description: str | None = None
    target: str | None = Field(default=None, description="Label column, checked when given")
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("tags", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        """``{"generation": 3}`` is stored as ``{"generation": "3"}`` so tag filters match."""
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value

    def upload_form(self) -> dict[str, str]:
        """The text fields of a multipart upload (the file travels as the ``file`` part)."""
        fields = self.model_dump(exclude={"location", "tags"}, exclude_none=True)
        return {**fields, "tags": json.dumps(self.tags)}


class DatasetOut(BaseModel):
    """A catalog entry as the API and the CLI show it."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    location: str
    owner: str | None
    description: str | None
    target: str | None
    tags: dict[str, str]
    rows: int
    columns: list[str]
    size_bytes: int
    digest: str
    created_at: datetime
