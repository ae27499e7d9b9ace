"""The one many2one-id reader, on the shapes Odoo's read and a write payload give."""

import pytest

from ledgerpilot.odoo.extract import m2o_id


@pytest.mark.parametrize("value, expected", [
    ([7, "Azure Interior"], 7), ((7, "Azure Interior"), 7), ([7], 7),   # as read
    (7, 7), ("7", 7),                                                   # as a payload holds it
    (False, None), (None, None), ([], None), (True, None),             # unset
])
def test_m2o_id(value, expected):
    assert m2o_id(value) == expected
