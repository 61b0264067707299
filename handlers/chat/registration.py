"""First contact, PDPA consent, and registration (name, position, school, phone), one step at a time.

Nothing is saved to the contact until the person confirms; the draft lives in the conversation state,
written at every step. Each step can be cancelled; `/register` again edits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.choices import pick, western_digits
from core.model import Button, Event, EventKind, OutMessage
from handlers.catalogue.office import (
    DATA_CONTACT_EN,
    DATA_CONTACT_TH,
    OFFICE_NAME_EN,
    OFFICE_NAME_TH,
    PRIVACY_NOTICE_VERSION,
    RAW_MESSAGE_RETENTION_DAYS,
)
from handlers.chat.context import Context
from handlers.chat.router import Router
from storage import schools
from storage.contacts import mask_phone
from storage.models import School

router = Router("registration")

FLOW = "register"
CONSENT_FLOW = "consent"
POSITIONS = ("teacher", "director", "personnel", "other")
MAX_SCHOOL_CHOICES = 8
_PHONE = re.compile(r"^0(?:[689]\d{8}|[2-7]\d{7})$")


# --- the privacy notice and consent ----------------------------------------------------------------


def privacy_notice(ctx: Context) -> OutMessage:
    english = ctx.lang == "en"
    return ctx.say(
        "privacy_notice",
        version=PRIVACY_NOTICE_VERSION,
        office=OFFICE_NAME_EN if english else OFFICE_NAME_TH,
        contact=DATA_CONTACT_EN if english else DATA_CONTACT_TH,
        days=RAW_MESSAGE_RETENTION_DAYS,
    )


async def offer_consent(ctx: Context, *, then: str = "") -> list[OutMessage]:
    await ctx.set_state(CONSENT_FLOW, "ask", then=then)
    question = ctx.say(
        "consent_question",
        ctx.button("btn_consent_yes", "reg:consent:yes"),
        ctx.button("btn_consent_no", "reg:consent:no"),
    )
    return [privacy_notice(ctx), question]


def has_consent(ctx: Context) -> bool:
    return ctx.contact is not None and ctx.contact.consent_at is not None


async def first_contact(ctx: Context) -> list[OutMessage]:
    """A short welcome, the privacy notice, and the consent question."""
    welcome = ctx.say("welcome")
    if ctx.contact is None or has_consent(ctx):
        return [welcome]
    return [welcome, *await offer_consent(ctx)]


async def _consent_answer(ctx: Context, yes: bool) -> list[OutMessage]:
    assert ctx.contact is not None
    then = ctx.state.data.get("then") if ctx.state and ctx.state.flow == CONSENT_FLOW else ""
    await ctx.end_state()
    if not yes:
        return [ctx.say("consent_declined")]
    now = ctx.clock.now()
    ctx.contact.consent_at, ctx.contact.consent_notice_version, ctx.contact.updated_at = (
        now,
        PRIVACY_NOTICE_VERSION,
        now,
    )
    if then == FLOW:
        return await start_registration(ctx)
    return [ctx.say("consent_thanks", ctx.button("btn_register", "reg:start"), ctx.button("btn_later", "reg:later"))]


@router.flow(CONSENT_FLOW)
async def consent_typed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    choice = pick(event.text, [ctx.t("btn_consent_yes"), ctx.t("btn_consent_no")])
    if choice is None:
        return [ctx.say("reg_pick_hint", n=2), *await offer_consent(ctx)]
    return await _consent_answer(ctx, choice == 0)


# --- registration ------------------------------------------------------------------------------------


@router.command("register")
async def register_command(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if ctx.contact is None:
        return []
    if not has_consent(ctx):
        return [ctx.say("consent_needed"), *await offer_consent(ctx, then=FLOW)]
    return await start_registration(ctx)


async def start_registration(ctx: Context) -> list[OutMessage]:
    await ctx.end_state()
    await ctx.set_state(FLOW, "name")
    return [_ask_name(ctx)]


def _cancel_button(ctx: Context) -> Button:
    return ctx.button("btn_cancel", "reg:cancel")


def _ask_name(ctx: Context) -> OutMessage:
    buttons = []
    known = ctx.contact.display_name if ctx.contact else None
    if known and len(known) <= 40:
        buttons.append(ctx.button("btn_use_name", "reg:name:known", name=known))
    return ctx.say("reg_name", *buttons, _cancel_button(ctx))


def _position_labels(ctx: Context) -> list[str]:
    return [ctx.t(f"pos_{p}") for p in POSITIONS]


def _ask_position(ctx: Context) -> OutMessage:
    buttons = [Button(label, f"reg:pos:{p}") for label, p in zip(_position_labels(ctx), POSITIONS, strict=True)]
    return ctx.say("reg_position", *buttons, _cancel_button(ctx))


def _ask_school(ctx: Context) -> OutMessage:
    return ctx.say("reg_school", _cancel_button(ctx))


def _ask_phone(ctx: Context) -> OutMessage:
    return ctx.say("reg_phone", ctx.button("btn_skip", "reg:phone:skip"), _cancel_button(ctx))


async def _school_label(ctx: Context) -> str:
    data = ctx.state.data if ctx.state else {}
    if data.get("school_id"):
        school = await ctx.session.get(School, int(data["school_id"]))
        if school is not None:
            return school.name
    if data.get("school_typed"):
        return f"{data['school_typed']} {ctx.t('reg_unlisted_mark')}"
    return ctx.t("none_given")


async def _summary(ctx: Context) -> OutMessage:
    data = ctx.state.data if ctx.state else {}
    position = data.get("position")
    return ctx.say(
        "reg_summary",
        ctx.button("btn_confirm", "reg:confirm"),
        ctx.button("btn_edit", "reg:start"),
        _cancel_button(ctx),
        name=data.get("name") or ctx.t("none_given"),
        position=ctx.t(f"pos_{position}") if position in POSITIONS else ctx.t("none_given"),
        school=await _school_label(ctx),
        phone=mask_phone(data.get("phone")) or ctx.t("none_given"),
    )


def normalise_phone(text: str) -> str | None:
    """A Thai phone number as ten (mobile) or nine (landline) digits, or None when it is not one."""
    digits = re.sub(r"[\s\-().]", "", western_digits(text.strip()))
    if digits.startswith("+66"):
        digits = "0" + digits[3:]
    elif digits.startswith("66") and len(digits) in (10, 11):
        digits = "0" + digits[2:]
    return digits if _PHONE.match(digits) else None


async def _school_search(ctx: Context, query: str) -> list[OutMessage]:
    query = " ".join(query.split())
    if not 2 <= len(query) <= 200:
        return [ctx.say("reg_school_bad"), _ask_school(ctx)]
    found = await schools.search(ctx.session, query, limit=MAX_SCHOOL_CHOICES + 1)
    await ctx.set_state(FLOW, "school_pick", typed=query, choices=[s.id for s in found[:MAX_SCHOOL_CHOICES]])
    if not found:
        return [
            ctx.say(
                "reg_school_none",
                ctx.button("btn_use_typed", "reg:school:typed"),
                ctx.button("btn_search_again", "reg:school:again"),
                _cancel_button(ctx),
                query=query,
            )
        ]
    shown = found[:MAX_SCHOOL_CHOICES]
    key = "reg_school_many" if len(found) > MAX_SCHOOL_CHOICES else "reg_school_found"
    buttons = [Button(s.name, f"reg:school:{s.id}") for s in shown]
    buttons.append(ctx.button("btn_not_listed", "reg:school:typed"))
    return [ctx.say(key, *buttons, _cancel_button(ctx), n=len(shown))]


async def _choose_school(ctx: Context, choice: str) -> list[OutMessage]:
    data = ctx.state.data if ctx.state else {}
    if choice == "again":
        await ctx.set_state(FLOW, "school")
        return [_ask_school(ctx)]
    if choice == "typed":
        if not data.get("typed"):
            await ctx.set_state(FLOW, "school")
            return [_ask_school(ctx)]
        await ctx.set_state(FLOW, "phone", school_id=None, school_typed=data["typed"])
        return [_ask_phone(ctx)]
    if choice.isdigit() and int(choice) in data.get("choices", []):
        await ctx.set_state(FLOW, "phone", school_id=int(choice), school_typed=None)
        return [_ask_phone(ctx)]
    return [ctx.say("expired_button")]


async def _confirm(ctx: Context) -> list[OutMessage]:
    contact, data = ctx.contact, ctx.state.data if ctx.state else {}
    if contact is None or not data.get("name") or data.get("position") not in POSITIONS:
        return [ctx.say("expired_button")]
    now = ctx.clock.now()
    contact.display_name = data["name"]
    contact.position = data["position"]
    contact.school_id = data.get("school_id")
    contact.school_name_unlisted = data.get("school_typed") if not data.get("school_id") else None
    contact.phone = data.get("phone")
    contact.registered_at = contact.registered_at or now
    contact.updated_at = now
    await ctx.end_state()
    return [ctx.say("reg_done")]


@router.postback("reg:")
async def registration_button(event: Event, ctx: Context) -> Sequence[OutMessage]:
    if ctx.contact is None:
        return []
    parts = (event.data or "").split(":")
    action, value = parts[1], ":".join(parts[2:])
    step = ctx.state.step if ctx.state and ctx.state.flow == FLOW else None
    if action == "consent":
        return await _consent_answer(ctx, value == "yes")
    if action == "start":
        return await register_command(event, ctx)
    if action == "later":
        await ctx.end_state()
        return [ctx.say("later_ok")]
    if action == "cancel":
        await ctx.end_state()
        return [ctx.say("reg_cancelled")]
    # Every other button belongs to a step: a button from an older message is refused politely.
    if action == "name" and step == "name" and ctx.contact.display_name:
        await ctx.set_state(FLOW, "position", name=ctx.contact.display_name)
        return [_ask_position(ctx)]
    if action == "pos" and step == "position" and value in POSITIONS:
        await ctx.set_state(FLOW, "school", position=value)
        return [_ask_school(ctx)]
    if action == "school" and step == "school_pick":
        return await _choose_school(ctx, value)
    if action == "phone" and step == "phone" and value == "skip":
        await ctx.set_state(FLOW, "confirm", phone=None)
        return [await _summary(ctx)]
    if action == "confirm" and step == "confirm":
        return await _confirm(ctx)
    return [ctx.say("expired_button")]


@router.flow(FLOW)
async def registration_typed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """A typed answer to the current step; anything unusable repeats the step and changes nothing."""
    step = ctx.state.step if ctx.state else ""
    text = " ".join((event.text or "").split()) if event.kind is EventKind.TEXT else ""
    if step == "name":
        if not 2 <= len(text) <= 100:
            return [ctx.say("reg_name_bad"), _ask_name(ctx)]
        await ctx.set_state(FLOW, "position", name=text)
        return [_ask_position(ctx)]
    if step == "position":
        choice = pick(text, _position_labels(ctx))
        if choice is None:
            return [ctx.say("reg_pick_hint", n=len(POSITIONS)), _ask_position(ctx)]
        await ctx.set_state(FLOW, "school", position=POSITIONS[choice])
        return [_ask_school(ctx)]
    if step == "school":
        if not text:
            return [ctx.say("step_again_hint"), _ask_school(ctx)]
        return await _school_search(ctx, text)
    if step == "school_pick":
        data = ctx.state.data if ctx.state else {}
        choices = list(data.get("choices", []))
        chosen = pick(text, [str(c) for c in choices]) if text.isdigit() else None
        if chosen is not None:
            return await _choose_school(ctx, str(choices[chosen]))
        if text.isdigit() and int(text) == len(choices) + 1:  # the "not in the list" button's number
            return await _choose_school(ctx, "typed")
        if not text:
            return [ctx.say("step_again_hint"), *await _school_search(ctx, str(data.get("typed", "")))]
        return await _school_search(ctx, text)  # a new search
    if step == "phone":
        if pick(text, [ctx.t("btn_skip")]) == 0 or text.lower() in ("-", "skip", "ไม่มี"):
            await ctx.set_state(FLOW, "confirm", phone=None)
            return [await _summary(ctx)]
        phone = normalise_phone(text)
        if phone is None:
            return [ctx.say("reg_phone_bad"), _ask_phone(ctx)]
        await ctx.set_state(FLOW, "confirm", phone=phone)
        return [await _summary(ctx)]
    if step == "confirm":
        choice = pick(text, [ctx.t("btn_confirm"), ctx.t("btn_edit"), ctx.t("btn_cancel")])
        if choice == 0:
            return await _confirm(ctx)
        if choice == 1:
            return await start_registration(ctx)
        if choice == 2:
            await ctx.end_state()
            return [ctx.say("reg_cancelled")]
        return [ctx.say("reg_pick_hint", n=3), await _summary(ctx)]
    await ctx.end_state()
    return [ctx.say("expired_button")]
