"""register/site/custom_rows.py: Datasette's CustomRow answers as it did, faster."""

from __future__ import annotations

import pytest
from datasette.utils import CustomRow

from register.site import custom_rows

COLUMNS = ["id", "project_id", "title", "lived_experience_count"]
VALUES = {
    "id": "LOG-1",
    "project_id": {"value": "PRJ-1", "label": "A project"},
    "title": None,
    "lived_experience_count": 3,
}


def answers(get, it, row) -> list:
    found = []
    for key in [0, 1, -1, 3, True, "id", "title", "project_id", 4, "nothing", 1.0]:
        try:
            found.append(("ok", get(row, key)))
        except Exception as e:  # noqa: BLE001 - the kind of failure is part of the answer
            found.append((type(e), None))
    try:
        found.append(("ok", list(it(row))))
    except KeyError:  # a row short of a column's value
        found.append((KeyError, None))
    return found


@pytest.mark.parametrize("values", [VALUES, {}, {"id": b"\x00bytes"}])
def test_a_row_answers_as_datasettes_own_did(values):
    row = CustomRow(COLUMNS, values or None)
    original = answers(*custom_rows.ORIGINAL, row)
    custom_rows.install()
    assert answers(CustomRow.__getitem__, CustomRow.__iter__, row) == original


def test_labels_come_through_a_row_in_column_order():
    custom_rows.install()
    row = CustomRow(COLUMNS, VALUES)
    assert list(row) == [VALUES[c] for c in COLUMNS]
    assert [row[i] for i in range(4)] == list(row)
    assert dict(row) == VALUES  # still a dictionary underneath
