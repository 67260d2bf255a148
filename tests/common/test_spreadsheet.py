"""common.spreadsheet.safe_cell: text a spreadsheet would evaluate is written as text."""

import pytest

from boxoffice.common.spreadsheet import safe_cell


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+358401234567", "'+358401234567"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("Anna = Aino", "Anna = Aino"),
        ("Anna-Kaisa", "Anna-Kaisa"),
        ("'quoted", "'quoted"),
        (" =1", " =1"),
        ("", ""),
    ],
)
def test_safe_cell_neutralizes_what_a_spreadsheet_would_evaluate(text: str, cell: str):
    assert safe_cell(text) == cell
