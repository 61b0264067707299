"""Who an announcement reached: one line per recipient with their name, school, platform and outcome, and the same
lines as an xlsx sheet. Chat's “รายละเอียด” and (later) the console's report read these, so both say the same."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.spreadsheet_safe import xlsx_safe_row
from core.thaidate import thai_datetime
from handlers.texts import t
from storage.broadcast_models import BroadcastRecipient
from storage.models import Chat, Contact, OutboxMessage, School

# The outcomes staff read, worst first: what needs a person's attention leads the list.
STATES = ("failed", "blocked", "pending", "cancelled", "sent")


@dataclass(frozen=True, slots=True)
class RecipientLine:
    name: str
    school: str
    platform: str  # LINE, Telegram, the web sandbox
    state: str  # one of STATES
    sent_at: datetime | None
    error: str | None


def platform_name(channel: str, lang: str) -> str:
    return t(f"platform_{channel}", lang)


def state_label(state: str, lang: str) -> str:
    return t(f"bc_state_{state}", lang)


async def recipient_lines(session: AsyncSession, broadcast_id: int, lang: str = "th") -> list[RecipientLine]:
    """Every recipient of the broadcast, worst outcome first, then by school and name."""
    rows = await session.execute(
        select(
            BroadcastRecipient.channel,
            BroadcastRecipient.platform_id,
            Contact.display_name,
            Contact.erased_at,
            School.name.label("school"),
            Contact.school_name_unlisted,
            Chat.name.label("chat_name"),
            Chat.title.label("chat_title"),
            OutboxMessage.state,
            OutboxMessage.sent_at,
            OutboxMessage.error,
        )
        .join(OutboxMessage, OutboxMessage.idempotency_key == BroadcastRecipient.outbox_key, isouter=True)
        .join(Contact, Contact.id == BroadcastRecipient.contact_id, isouter=True)
        .join(School, School.id == Contact.school_id, isouter=True)
        .join(Chat, Chat.id == BroadcastRecipient.chat_id, isouter=True)
        .where(BroadcastRecipient.broadcast_id == broadcast_id)
        .order_by(BroadcastRecipient.id)
    )
    lines = []
    for r in rows:
        if r.erased_at is not None:
            name = t("bc_erased_person", lang)  # erased on request: nothing of them in a report
        else:
            name = r.display_name or r.chat_name or r.chat_title or t("bc_unnamed", lang, id=r.platform_id[-6:])
        state = r.state if r.state in STATES else "pending"
        lines.append(
            RecipientLine(
                name=name,
                school=(r.school or r.school_name_unlisted or "") if r.erased_at is None else "",
                platform=platform_name(r.channel, lang),
                state=state,
                sent_at=r.sent_at,
                error=r.error if state in ("failed", "blocked") else None,
            )
        )
    lines.sort(key=lambda line: (STATES.index(line.state), line.school, line.name))
    return lines


def delivery_xlsx(broadcast_id: int, lines: list[RecipientLine], tz: ZoneInfo, lang: str = "th") -> bytes:
    """The lines as a sheet an office can filter and file; cells are formula-safe (a name may start with "=")."""
    from openpyxl import Workbook  # only when a sheet is asked for: openpyxl takes a while to import
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("bc_sheet_title", lang, id=broadcast_id)[:31]
    sheet.append([t(f"bc_col_{c}", lang) for c in ("name", "school", "platform", "state", "sent_at", "error")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in lines:
        sent = thai_datetime(line.sent_at, tz, lang) if line.sent_at else ""
        sheet.append(
            [line.name, line.school, line.platform, state_label(line.state, lang), sent, (line.error or "")[:300]]
        )
        xlsx_safe_row(sheet[sheet.max_row])
    for column, width in zip("ABCDEF", (28, 32, 12, 14, 22, 40), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
