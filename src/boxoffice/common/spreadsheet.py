"""What every spreadsheet export (CSV, XLSX) does to the text it writes.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` is a formula to Excel, LibreOffice
and Google Sheets: a customer who names themselves ``=HYPERLINK("http://evil.example", "Hi")``
would otherwise put a live formula into the organizer's spreadsheet (CSV injection). A tab or
a carriage return at the start is stripped by some of them and the rest read as a formula. Such
text gets a leading apostrophe, which spreadsheets read as "this is text" and show without it
in the cell (OWASP's advice); every other text is written exactly as it is.
"""

# The characters that make a spreadsheet read a cell as a formula, or drop them and then do.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """``text`` as a spreadsheet cell that is never evaluated: numbers are not text, so only
    pass text (names, product names, notes) through here, never an amount meant as a number."""
    if text.startswith(FORMULA_STARTS):
        return f"'{text}"
    return text
