"""Fonts with Finnish and Swedish letters (å, ä, ö) and the euro sign.

reportlab's built-in Helvetica is Latin-1 only and has no "€" in its standard encoding, so the
documents embed Bitstream Vera, which reportlab ships. Registered once per process: parsing a
TTF file costs milliseconds, which would dominate rendering a single ticket.
"""

from functools import cache
from pathlib import Path

import reportlab
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "BoxofficeVera"
BOLD = "BoxofficeVeraBd"

_FONT_DIR = Path(reportlab.__file__).parent / "fonts"


@cache
def register_fonts() -> None:
    # Streams stay binary: reportlab's ASCII85 wrapping (for 7-bit mail transports of the 1990s)
    # costs a tenth of the rendering time and makes files 25 % larger. It is a process-wide
    # setting; nothing else in the project renders PDFs.
    rl_config.useA85 = 0
    pdfmetrics.registerFont(TTFont(REGULAR, str(_FONT_DIR / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(_FONT_DIR / "VeraBd.ttf")))
