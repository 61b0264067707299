"""The Thai font PhuanKru ships (`core/assets/fonts`), so no machine needs Thai fonts installed.

Charts (survey reports), the LINE rich-menu image and the web pages (sandbox, console) all draw with it: matplotlib's
own fonts and headless Chromium here have no Thai glyphs and show boxes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from matplotlib import font_manager

FONT_DIR: Final = Path(__file__).parent / "assets" / "fonts"
FONT_FAMILY: Final = "Laksaman"


def thai_font_path(*, bold: bool = False) -> Path:
    """The shipped Laksaman TTF (GPL-2+ with the font exception: pictures drawn with it are free to use)."""
    return FONT_DIR / ("Laksaman-Bold.ttf" if bold else "Laksaman.ttf")


@cache
def register_thai_font() -> str:
    """Make the Thai font known to matplotlib (once per process) and return its family name.

    Charts then use it with `rcParams["font.family"] = [register_thai_font(), "DejaVu Sans"]`, or with
    `fontfamily=register_thai_font()` on a text; matplotlib's own fonts have no Thai glyphs and draw boxes.
    """
    for bold in (False, True):
        font_manager.fontManager.addfont(str(thai_font_path(bold=bold)))
    return FONT_FAMILY
