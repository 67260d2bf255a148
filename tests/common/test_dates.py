"""common.dates.short_datetime shows exactly what Django's date_format shows."""

from datetime import datetime

import pytest
from django.utils import formats, translation

from boxoffice.common import dates

VALUES = [
    datetime(2026, 1, 2, 3, 4),
    datetime(2026, 12, 31, 23, 59),
    datetime(999, 10, 10, 0, 0),
    datetime(2026, 7, 9, 12, 30),
]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("value", VALUES)
def test_same_as_date_format(language, value):
    with translation.override(language):
        assert dates.short_datetime(value) == formats.date_format(value, "SHORT_DATETIME_FORMAT")


@pytest.mark.parametrize(
    "pattern", ["j.n.Y G.i", "d.m.Y H:i", r"j \k\l. H.i", "Y-m-d", r"\\d", "j F Y", "D j.n."]
)
def test_compiled_patterns_match_django(pattern, settings):
    value = datetime(2026, 3, 4, 5, 6)
    parts = dates._compiled(pattern)
    if parts is None:  # names of months or days: left to Django
        assert any(c in pattern for c in "FD\\")
        return
    ours = "".join(p if isinstance(p, str) else p(value) for p in parts)
    assert ours == formats.date_format(value, pattern)
