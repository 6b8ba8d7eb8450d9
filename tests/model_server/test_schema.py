"""The input schema checks on their own (no services): every problem names row and column."""

from __future__ import annotations

import pytest

from modelfleet.common.errors import BadRequestError
from modelfleet.model_server.schema import Batch, Column, InputSchema

COLUMNS = [Column("Age", "long"), Column("Gender", "string"), Column("Hours", "double", False)]


def schema(**options: object) -> InputSchema:
    return InputSchema(COLUMNS, **options)  # type: ignore[arg-type]


def test_records_become_columns_in_schema_order_with_missing_optional_as_none() -> None:
    batch = schema().from_records([{"Gender": "F", "Age": 30}, {"Age": 2.5, "Gender": None}])
    assert batch.size == 2
    assert list(batch.values) == ["Age", "Gender", "Hours"]
    assert batch.values == {"Age": [30, 2.5], "Gender": ["F", None], "Hours": [None, None]}
    assert batch.rows()[0] == {"Age": 30, "Gender": "F", "Hours": None}


@pytest.mark.parametrize(
    ("records", "problem"),
    [
        ([{"Gender": "F"}], "row 0: missing column(s): Age"),
        ([{"Age": 1, "Gender": "F", "Zip": "x"}], "row 0: unknown column(s): Zip"),
        ([{"Age": 1, "Gender": "F"}, {"Age": "old", "Gender": "F"}], "row 1, column 'Age'"),
        ([{"Age": True, "Gender": "F"}], "expected a number, got bool"),
        ([{"Age": 1, "Gender": 7}], "row 0, column 'Gender': expected a string, got int"),
        ([], "empty batch"),
        ({"Age": [1]}, "records must be a list"),
        (["row"], "row 0: expected an object of columns"),
    ],
)
def test_bad_records_are_refused_naming_the_problem(records: object, problem: str) -> None:
    with pytest.raises(BadRequestError) as refused:
        schema().from_records(records)
    assert problem in refused.value.detail


def test_coercion_reads_numbers_and_blanks_from_text_and_names_the_line() -> None:
    batch = schema().from_records(
        [{"Age": " 41 ", "Gender": "M", "Hours": ""}], coerce=True, first_line=2, unit="line"
    )
    assert batch.values["Age"] == [41.0] and batch.values["Hours"] == [None]
    with pytest.raises(BadRequestError, match="line 3, column 'Age': expected a number"):
        schema().from_records(
            [{"Age": "1", "Gender": "M"}, {"Age": "x", "Gender": "M"}],
            coerce=True,
            first_line=2,
            unit="line",
        )


def test_columns_must_be_lists_of_one_length_and_ignore_mode_drops_unknowns() -> None:
    lenient = schema(unknown="ignore")
    batch = lenient.from_columns({"Age": [1, 2], "Gender": ["a", "b"], "X": [0, 0]})
    assert batch.values == {"Age": [1, 2], "Gender": ["a", "b"], "Hours": [None, None]}
    with pytest.raises(BadRequestError, match="different lengths"):
        schema().from_columns({"Age": [1, 2], "Gender": ["a"]})
    with pytest.raises(BadRequestError, match="column 'Age': expected a list"):
        schema().from_columns({"Age": 1, "Gender": ["a"]})


def test_the_row_limit_is_enforced() -> None:
    small = schema(max_rows=2)
    with pytest.raises(BadRequestError, match="3 rows is over the limit of 2"):
        small.from_records([{"Age": 1, "Gender": "F"}] * 3)


def test_concatenated_batches_keep_every_row_in_order() -> None:
    one = schema().from_records([{"Age": 1, "Gender": "a"}])
    two = schema().from_records([{"Age": 2, "Gender": "b"}, {"Age": 3, "Gender": "c"}])
    both = Batch.concat([one, two])
    assert both.size == 3 and both.values["Age"] == [1, 2, 3]
