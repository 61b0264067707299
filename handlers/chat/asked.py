"""The buttons of the last question asked, kept in the conversation state.

Buttons are a convenience, never the only way (LINE PC shows no quick replies): a typed number or label answering
the last question is taken as the tap. Every front that asks a question remembers what it offered here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from core.choices import pick
from core.model import Event, EventKind, OutMessage
from handlers.chat.context import Context

BUTTONS_KEY = "_buttons"  # in the conversation state: the buttons of the last question asked


def typed_button(event: Event, ctx: Context) -> Event:
    """A typed number or label answering the last question's buttons is the same as tapping that button."""
    if ctx.state is None or event.kind is not EventKind.TEXT:
        return event
    offered = ctx.state.data.get(BUTTONS_KEY) or []
    if len(offered) < 2:  # a lone button (Cancel) must not swallow free text such as "1"
        return event
    index = pick(event.text, [label for label, _ in offered])
    return event if index is None else replace(event, kind=EventKind.POSTBACK, data=offered[index][1], text=None)


async def remember_buttons(ctx: Context, replies: Sequence[OutMessage]) -> None:
    if ctx.state is None or ctx.contact is None:
        return
    asked = next((m for m in reversed(replies) if m.buttons), None)
    offered = [[b.label, b.data] for b in asked.buttons] if asked else []
    if offered != ctx.state.data.get(BUTTONS_KEY, []):
        await ctx.set_state(ctx.state.flow, ctx.state.step, **{BUTTONS_KEY: offered})
