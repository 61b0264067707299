"""The LINE rich menu: six Thai text commands under the chat, its picture, and putting it on the account.

Each area sends a plain text message, so the chat side handles a tap exactly like the same words typed, and
the menu keeps working on LINE PC and in any client that cannot show it. The picture is drawn here with
matplotlib and the Thai font shipped in `core/assets/fonts`, so the server needs no installed Thai fonts.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    MessageAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
)
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyBboxPatch

from bot.channels.line import data_base_url
from core.fonts import thai_font_path


class MenuItem(NamedTuple):
    label: str  # drawn on the picture
    text: str  # the message a tap sends


# The chat side maps these texts to its commands: change one here and there together.
MENU_ITEMS: Final[tuple[MenuItem, ...]] = (
    MenuItem("ลงทะเบียน", "ลงทะเบียน"),
    MenuItem("ข้อมูลของฉัน", "ข้อมูลของฉัน"),
    MenuItem("ความเป็นส่วนตัว", "ความเป็นส่วนตัว"),
    MenuItem("ช่วยเหลือ", "ช่วยเหลือ"),
    MenuItem("เปลี่ยนภาษา", "เปลี่ยนภาษา"),
    MenuItem("แบบสอบถาม", "แบบสอบถาม"),
)
# setup replaces every menu of this name, and only those: menus made by hand in LINE OA Manager stay.
MENU_NAME: Final = "PhuanKru"
CHAT_BAR_TEXT: Final = "เมนู เพื่อนครู"  # LINE allows 14 characters: this is exactly 14
MENU_WIDTH: Final = 2500
MENU_HEIGHT: Final = 843  # LINE's "compact" height for a 2500-wide menu
COLUMNS: Final = 3
ROWS: Final = 2
IMAGE_MAX_BYTES: Final = 1024 * 1024  # LINE refuses larger rich-menu images


# Soft, high-contrast tiles: dark text on light colours reads well in sunlight on a phone.
_TILE_COLOURS: Final = ("#E3F2FD", "#E8F5E9", "#FFF8E1", "#F3E5F5", "#E0F7FA", "#FCE4EC")
_TEXT_COLOUR: Final = "#1A237E"
_BACKGROUND: Final = "#FFFFFF"
_DPI: Final = 100
_LABEL_POINTS: Final = 84.0  # about 117 px high at 100 dpi: large enough to read at a glance
_LABEL_MARGIN: Final = 40  # px between a label and its tile's sides


# --- the menu -----------------------------------------------------------------------------------


def _edges(total: int, parts: int) -> list[int]:
    # Integer edges that tile the whole length: 2500 / 3 leaves a pixel over, which goes to the last part.
    return [total * i // parts for i in range(parts + 1)]


def area_bounds() -> list[tuple[int, int, int, int]]:
    """(x, y, width, height) of each tappable area, row by row, in MENU_ITEMS order."""
    xs, ys = _edges(MENU_WIDTH, COLUMNS), _edges(MENU_HEIGHT, ROWS)
    return [(xs[c], ys[r], xs[c + 1] - xs[c], ys[r + 1] - ys[r]) for r in range(ROWS) for c in range(COLUMNS)]


def menu_request(items: Sequence[MenuItem] = MENU_ITEMS) -> RichMenuRequest:
    if len(items) != COLUMNS * ROWS:
        raise ValueError(f"the menu has {COLUMNS * ROWS} areas, got {len(items)} items")
    areas = [
        RichMenuArea(
            bounds=RichMenuBounds(x=x, y=y, width=w, height=h),
            action=MessageAction(label=item.label, text=item.text),
        )
        for item, (x, y, w, h) in zip(items, area_bounds(), strict=True)
    ]
    return RichMenuRequest(
        size=RichMenuSize(width=MENU_WIDTH, height=MENU_HEIGHT),
        selected=True,  # shown open when a chat is opened: most people never find a closed menu
        name=MENU_NAME,
        chatBarText=CHAT_BAR_TEXT,
        areas=areas,
    )


def render_menu_image(items: Sequence[MenuItem] = MENU_ITEMS) -> bytes:
    """The menu picture as PNG bytes, exactly MENU_WIDTH x MENU_HEIGHT pixels, each label centred on its area."""
    # A bare Figure with the Agg canvas: no pyplot, so no global backend or figure registry is touched.
    figure = Figure(figsize=(MENU_WIDTH / _DPI, MENU_HEIGHT / _DPI), dpi=_DPI, facecolor=_BACKGROUND)
    FigureCanvasAgg(figure)  # attaches itself: text is measured by the same renderer that draws the PNG
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axes.set_xlim(0, MENU_WIDTH)
    axes.set_ylim(MENU_HEIGHT, 0)  # y grows downwards, as in LINE's bounds
    axes.set_axis_off()
    font = FontProperties(fname=thai_font_path(bold=True), size=_LABEL_POINTS)
    gap = 14
    labels = []
    for i, (item, (x, y, w, h)) in enumerate(zip(items, area_bounds(), strict=True)):
        tile = FancyBboxPatch(
            (x + gap, y + gap),
            w - 2 * gap,
            h - 2 * gap,
            boxstyle="round,pad=0,rounding_size=36",
            facecolor=_TILE_COLOURS[i % len(_TILE_COLOURS)],
            edgecolor="#90A4AE",
            linewidth=3,
        )
        axes.add_patch(tile)
        labels.append(
            axes.text(
                x + w / 2, y + h / 2, item.label, ha="center", va="center", color=_TEXT_COLOUR, fontproperties=font
            )
        )
    # One size for all labels, the largest at which the longest still fits its tile with a margin.
    widest = max(label.get_window_extent().width for label in labels)
    room = min(w for _, _, w, _ in area_bounds()) - 2 * gap - 2 * _LABEL_MARGIN
    if widest > room:
        for label in labels:
            label.set_fontsize(_LABEL_POINTS * room / widest)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI)
    png = buffer.getvalue()
    if len(png) > IMAGE_MAX_BYTES:  # flat colours compress far below this; a guard against a future redesign
        raise ValueError(f"the rich-menu picture is {len(png)} bytes, LINE takes at most {IMAGE_MAX_BYTES}")
    return png


# --- putting it on LINE -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetupResult:
    rich_menu_id: str
    replaced: tuple[str, ...]  # the earlier PhuanKru menus, now deleted
    image_bytes: int


async def setup_rich_menu(access_token: str, api_base_url: str, *, image: bytes | None = None) -> SetupResult:
    """Create the menu, upload its picture, make it every user's default, then delete earlier PhuanKru menus.

    The old menus go last, so people always have a menu, and a failed run leaves the working one in place;
    a half-made new menu is deleted again. Raises the SDK's ApiException, or aiohttp's errors, on failure.
    """
    png = image if image is not None else render_menu_image()
    config = Configuration(access_token=access_token, host=api_base_url)
    data_config = Configuration(access_token=access_token, host=data_base_url(api_base_url))
    async with AsyncApiClient(config) as client, AsyncApiClient(data_config) as data_client:
        api, blob = AsyncMessagingApi(client), AsyncMessagingApiBlob(data_client)
        earlier = [m.rich_menu_id for m in (await api.get_rich_menu_list()).richmenus if m.name == MENU_NAME]
        rich_menu_id = (await api.create_rich_menu(menu_request())).rich_menu_id
        try:
            # The SDK labels a bytes body application/json unless told; LINE wants the image's own type.
            await blob.set_rich_menu_image(rich_menu_id, body=png, _headers={"Content-Type": "image/png"})
            await api.set_default_rich_menu(rich_menu_id)
        except Exception:
            with contextlib.suppress(Exception):  # the first error is the one worth reporting
                await api.delete_rich_menu(rich_menu_id)
            raise
        for old in earlier:
            await api.delete_rich_menu(old)
    return SetupResult(rich_menu_id, tuple(earlier), len(png))
