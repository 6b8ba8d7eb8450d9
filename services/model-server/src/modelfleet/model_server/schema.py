"""The model's input schema and the strict checking of what callers send against it.

Validated input stays columnar and in plain Python lists (``None`` for a missing value): batches of
requests are concatenated cheaply, and the predictor turns each column into one numpy array.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from modelfleet.common.errors import BadRequestError

NUMERIC_TYPES = frozenset({"long", "integer", "double", "float"})
"""MLflow signature types read as numbers; everything else is read as a string."""


@dataclass(frozen=True)
class Column:
    """One input column of the model's signature."""

    name: str
    type: str
    required: bool = True

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC_TYPES


@dataclass
class Batch:
    """Validated input rows, column by column, in schema order."""

    values: dict[str, list[Any]]
    size: int

    def rows(self) -> list[dict[str, Any]]:
        """Row dictionaries (for prediction logs and batch output)."""
        names = list(self.values)
        columns = self.values.values()
        return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]

    @staticmethod
    def concat(batches: Sequence[Batch]) -> Batch:
        if len(batches) == 1:
            return batches[0]
        names = list(batches[0].values)
        values: dict[str, list[Any]] = {name: [] for name in names}
        for batch in batches:
            for name in names:
                values[name].extend(batch.values[name])
        return Batch(values, sum(b.size for b in batches))


class InputSchema:
    """Checks records or columns against the signature: missing, unknown, wrong type, size."""

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        unknown: Literal["reject", "ignore"] = "reject",
        max_rows: int = 10_000,
    ) -> None:
        self.columns = list(columns)
        self.names = [c.name for c in self.columns]
        self.numeric = {c.name for c in self.columns if c.numeric}
        self.required = {c.name for c in self.columns if c.required}
        self._known = frozenset(self.names)
        self.unknown = unknown
        self.max_rows = max_rows

    def _check_size(self, n: int) -> None:
        if n == 0:
            raise BadRequestError("empty batch: send at least one row")
        if n > self.max_rows:
            raise BadRequestError(f"batch of {n} rows is over the limit of {self.max_rows} rows")

    def _check_names(self, names: Mapping[str, Any] | Sequence[str], where: str) -> None:
        missing = self.required.difference(names)
        if missing:
            raise BadRequestError(f"{where}missing column(s): {', '.join(sorted(missing))}")
        if self.unknown == "reject":
            extra = [name for name in names if name not in self._known]
            if extra:
                raise BadRequestError(
                    f"{where}unknown column(s): {', '.join(map(str, extra))} "
                    f"(expected: {', '.join(self.names)})"
                )

    def from_records(
        self, records: Any, *, coerce: bool = False, first_line: int = 0, unit: str = "row"
    ) -> Batch:
        """Validate a list of row objects; ``coerce`` parses numbers given as text (CSV, forms).

        Problems name the row as ``{unit} {index + first_line}`` (e.g. ``line 7`` of a file).
        """
        if not isinstance(records, list):
            raise BadRequestError("records must be a list of objects (one per row)")
        self._check_size(len(records))
        values: dict[str, list[Any]] = {name: [] for name in self.names}
        known = self._known
        for index, record in enumerate(records):
            if not isinstance(record, dict):
                raise BadRequestError(f"{unit} {index + first_line}: expected an object of columns")
            if record.keys() != known:
                self._check_names(record, f"{unit} {index + first_line}: ")
            for name in self.names:
                values[name].append(record.get(name))
        return self._checked(values, len(records), coerce, first_line, unit)

    def from_columns(self, columns: Any, *, coerce: bool = False) -> Batch:
        """Validate ``{column: [values…]}`` (all lists of the same length)."""
        if not isinstance(columns, dict):
            raise BadRequestError("columns must be an object mapping column names to value lists")
        self._check_names(columns, "")
        lengths = set()
        for name, column in columns.items():
            if not isinstance(column, list):
                raise BadRequestError(f"column {name!r}: expected a list of values")
            lengths.add(len(column))
        if len(lengths) > 1:
            raise BadRequestError("columns have different lengths")
        n = lengths.pop() if lengths else 0
        self._check_size(n)
        values = {
            name: list(columns[name]) if name in columns else [None] * n for name in self.names
        }
        return self._checked(values, n, coerce, 0, "row")

    def _checked(
        self, values: dict[str, list[Any]], n: int, coerce: bool, first_line: int, unit: str
    ) -> Batch:
        for name in self.names:
            column = values[name]
            if name in self.numeric:
                for i, value in enumerate(column):
                    kind = type(value)
                    if kind is float or kind is int or value is None:
                        continue
                    column[i] = _number(name, value, f"{unit} {i + first_line}", coerce)
            else:
                for i, value in enumerate(column):
                    if type(value) is str or value is None:
                        continue
                    if coerce:
                        column[i] = str(value)
                        continue
                    raise BadRequestError(
                        f"{unit} {i + first_line}, column {name!r}: expected a string, "
                        f"got {type(value).__name__} {value!r}"
                    )
        return Batch(values, n)


def _number(name: str, value: Any, where: str, coerce: bool) -> float | None:
    if isinstance(value, str) and coerce:
        text = value.strip()
        if text == "":
            return None
        try:
            return float(text)
        except ValueError:
            pass
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise BadRequestError(
        f"{where}, column {name!r}: expected a number, got {type(value).__name__} {value!r}"
    )
