"""Surveys in chat: the invitation, one question at a time with buttons (or the typed number or label), back and
skip, review and change after submitting, the start from a group's post, and the /survey command.

This module is the conversation only: what comes next and what is kept. The cards it shows are built by
`handlers.surveys.messages`, typed answers are read by `handlers.surveys.typed`, and the staff subcommands
(send, results, close, list) live in `handlers.chat.survey_staff`, which calls the office's campaign actions.

Where a person is lives in the database (`survey_responses.current`, and the conversation state that routes
their typed answers), so a restart resumes at the same question. Every button names its campaign and question,
so a tap on a button of an earlier question, another campaign or a closed one changes nothing.

Button data (ASCII, far under Telegram's 64 bytes):
    sv:s:C        start or resume campaign C          sv:g:C        start from C's post in a group
    sv:a:C:Q:V    answer question Q with V            sv:t:C:Q:V    tick/untick option V (several allowed)
    sv:d:C:Q      done ticking                        sv:k:C:Q      skip (optional question)
    sv:b:C:Q      back from question Q                sv:f:C        submit (anonymous survey)
    sv:r:C        review answers                      sv:e:C:Q      change the answer to Q
    sv:x:C        done reviewing                      sv:send:yes / sv:send:no   staff confirm a send

Anonymous surveys: nothing said to the person repeats an answer (outgoing messages are kept with their
recipient), and the stored webhook payload of every answer is blanked, so no table joins a person to an answer.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import update

from core.choices import pick
from core.model import Button, Event, EventKind, OutMessage, Target
from core.thaidate import thai_datetime
from handlers.chat import basics, survey_staff
from handlers.chat.asked import remember_buttons
from handlers.chat.context import Context
from handlers.chat.roles import has_role, refuse
from handlers.chat.router import Router
from handlers.surveys import messages, typed
from handlers.surveys.messages import START_PREFIX, Answers, Taking
from handlers.surveys.report import shorten
from storage import audiences, contacts, conversations, surveys
from storage.models import InboundEvent, Role
from storage.survey_models import QuestionType, ResponseState, SurveyQuestion
from storage.surveys import SurveyError

router = Router("surveys")

FLOW = "survey"  # steps: "question" (answering or changing), "review"
# Phones type “curly” quotes (iOS smart punctuation): closes=“5 ธ.ค. 2569 16:30” is one word too.
_CURLY_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


# --- what a person is answering -----------------------------------------------------------------------


async def _taking(ctx: Context, campaign_id: int, *, join: bool = False) -> Taking | list[OutMessage]:
    """The person's campaign, or the polite answer when there is none to go on with."""
    assert ctx.contact is not None
    campaign = await surveys.get_campaign(ctx.session, campaign_id)
    if campaign is None:
        return [ctx.say("sv_stale")]
    if not surveys.is_open(campaign, ctx.clock.now()):
        if ctx.state is not None and ctx.state.flow == FLOW and ctx.state.data.get("campaign") == campaign_id:
            await ctx.end_state()
        return [ctx.say("sv_closed", title=campaign.definition.title)]
    response = await surveys.response_for(ctx.session, campaign_id, ctx.contact)
    if response is None:
        if not (join and await surveys.has_groups(ctx.session, campaign_id)):
            return [ctx.say("sv_not_invited")]
        response = await surveys.join_from_group(ctx.session, campaign_id, ctx.contact, now=ctx.clock.now())
    return Taking(campaign, campaign.definition, response)


async def _ask(ctx: Context, tk: Taking) -> list[OutMessage]:
    """The current question; the conversation's state routes what the person types next to it."""
    response = tk.response
    question = tk.questions[response.current]
    await ctx.set_state(FLOW, "question", campaign=tk.cid)
    current: Answers = []
    if response.sheet_id is not None and (not tk.definition.anonymous or question.multiple):
        current = (await surveys.answers(ctx.session, response.sheet_id)).get(question.id, [])
    return [messages.question_card(tk, current, ctx.lang)]


async def _forget_payload(ctx: Context, tk: Taking) -> None:
    """Blank the stored webhook payload of an anonymous survey's answer: it holds the person's id and the answer."""
    if not tk.definition.anonymous or not ctx.event.event_id:
        return
    await ctx.session.execute(
        update(InboundEvent)
        .where(InboundEvent.channel == ctx.event.channel.value, InboundEvent.dedupe_key == ctx.event.event_id)
        .values(raw={"redacted": "anonymous survey answer"})
        .execution_options(synchronize_session=False)
    )


async def _begin(ctx: Context, tk: Taking) -> list[OutMessage]:
    """Start, resume, or (after submitting) offer the review."""
    response, now = tk.response, ctx.clock.now()
    if response.state == ResponseState.COMPLETED.value:
        if tk.definition.anonymous or response.sheet_id is None:
            return [ctx.say("sv_already_done", title=tk.definition.title)]
        if surveys.changes_open(tk.campaign, now):
            return await _review(ctx, tk)
        return [ctx.say("sv_already_done", title=tk.definition.title)]
    if response.state == ResponseState.INVITED.value or response.sheet_id is None:
        assert ctx.contact is not None
        await surveys.start(ctx.session, response, anonymous=tk.definition.anonymous, contact=ctx.contact, now=now)
        return [messages.starting(tk, ctx.lang), *await _ask(ctx, tk)]
    if response.current >= tk.total:
        return await _confirm(ctx, tk)
    return [ctx.say("sv_resuming", title=tk.definition.title), *await _ask(ctx, tk)]


async def _advance(ctx: Context, tk: Taking) -> list[OutMessage]:
    response, now = tk.response, ctx.clock.now()
    response.updated_at = now
    if response.editing:
        response.editing = False
        response.current = tk.total
        return [ctx.say("sv_changed"), *await _review(ctx, tk)]
    response.current += 1
    if response.current < tk.total:
        return await _ask(ctx, tk)
    if tk.definition.anonymous:
        return await _confirm(ctx, tk)
    await surveys.complete(ctx.session, response, anonymous=False, now=now)
    await ctx.end_state()
    if surveys.changes_open(tk.campaign, now):
        review = ctx.button("sv_btn_review", f"sv:r:{tk.cid}")
        until = tk.campaign.changes_until or tk.campaign.closes_at
        if until is None:
            return [ctx.say("sv_thanks_changes_open", review)]
        return [
            ctx.say("sv_thanks_changes", review, until=thai_datetime(until, ZoneInfo(ctx.config.timezone), ctx.lang))
        ]
    return [ctx.say("sv_thanks")]


async def _confirm(ctx: Context, tk: Taking) -> list[OutMessage]:
    await ctx.set_state(FLOW, "question", campaign=tk.cid)
    return [messages.confirm_card(tk, ctx.lang)]


async def _review(ctx: Context, tk: Taking) -> list[OutMessage]:
    """A named survey after submitting: the answers, and a button per question to change it."""
    response = tk.response
    if tk.definition.anonymous or response.sheet_id is None:
        return [ctx.say("sv_already_done", title=tk.definition.title)]
    if not surveys.changes_open(tk.campaign, ctx.clock.now()):
        await ctx.end_state()
        return [ctx.say("sv_changes_closed")]
    given = await surveys.answers(ctx.session, response.sheet_id)
    await ctx.set_state(FLOW, "review", campaign=tk.cid)
    return [messages.review_card(tk, given, ctx.lang)]


def _is_current(tk: Taking, q: int) -> bool:
    """Is a button of question `q` one of the buttons the person was last shown?"""
    response = tk.response
    if response.state == ResponseState.ANSWERING.value and not response.editing:
        return q == response.current
    return response.state == ResponseState.COMPLETED.value and response.editing and q == response.current


async def _stale(ctx: Context, tk: Taking) -> list[OutMessage]:
    """A button from an earlier question: nothing changes; the person sees where they are."""
    response = tk.response
    if response.state == ResponseState.ANSWERING.value:
        if response.current >= tk.total:
            return [ctx.say("sv_stale"), *await _confirm(ctx, tk)]
        return [ctx.say("sv_stale"), *await _ask(ctx, tk)]
    if response.state == ResponseState.COMPLETED.value and not tk.definition.anonymous and response.sheet_id:
        if response.editing:
            return [ctx.say("sv_stale"), *await _ask(ctx, tk)]
        return [ctx.say("sv_stale"), *await _review(ctx, tk)]
    if response.state == ResponseState.COMPLETED.value:
        return [ctx.say("sv_already_done", title=tk.definition.title)]
    return [ctx.say("sv_stale"), *await _begin(ctx, tk)]


def _valid(question: SurveyQuestion, value: int) -> bool:
    if question.type == QuestionType.LIKERT5.value:
        return value in surveys.LIKERT_LEVELS
    if question.type == QuestionType.CHOICE.value:
        return 1 <= value <= len(question.options or [])
    return False


async def _record(ctx: Context, tk: Taking, question: SurveyQuestion, values: Answers) -> None:
    assert tk.response.sheet_id is not None
    await surveys.set_answer(ctx.session, tk.response.sheet_id, question.id, values)
    await _forget_payload(ctx, tk)


async def _back(ctx: Context, tk: Taking) -> list[OutMessage]:
    response = tk.response
    response.current = max(0, response.current - 1)
    response.updated_at = ctx.clock.now()
    await _forget_payload(ctx, tk)
    return await _ask(ctx, tk)


async def _skip(ctx: Context, tk: Taking, question: SurveyQuestion) -> list[OutMessage]:
    if question.required:
        return [ctx.say("sv_required"), *await _ask(ctx, tk)]
    await _record(ctx, tk, question, [])
    return await _advance(ctx, tk)


async def _submit(ctx: Context, tk: Taking) -> list[OutMessage]:
    response = tk.response
    if response.state != ResponseState.ANSWERING.value or response.current < tk.total:
        return await _stale(ctx, tk)
    await _forget_payload(ctx, tk)
    await surveys.complete(ctx.session, response, anonymous=tk.definition.anonymous, now=ctx.clock.now())
    await ctx.end_state()
    return [ctx.say("sv_thanks_anonymous" if tk.definition.anonymous else "sv_thanks")]


# --- buttons ------------------------------------------------------------------------------------------


def _parts(data: str) -> tuple[str, int, int | None, int | None] | None:
    """("a", campaign, question, value) from "sv:a:C:Q:V"; None when it is not a survey button we know."""
    fields = data.split(":")
    if len(fields) < 3 or not all(f.isdigit() for f in fields[2:]) or len(fields) > 5:
        return None
    numbers = [int(f) for f in fields[2:]]
    return fields[1], numbers[0], numbers[1] if len(numbers) > 1 else None, numbers[2] if len(numbers) > 2 else None


_NEEDS_QUESTION = {"a": True, "t": True, "d": False, "k": False, "b": False, "e": False}
_NEEDS_VALUE = {"a", "t"}


@router.postback("sv:")
async def survey_button(event: Event, ctx: Context) -> Sequence[OutMessage]:
    data = event.data or ""
    if data.startswith("sv:send:"):
        return await survey_staff.send_answer(ctx, data == "sv:send:yes")
    parsed = _parts(data)
    if parsed is None:
        return [ctx.say("sv_stale")] if event.chat.is_private else []
    action, cid, q, value = parsed
    if action == "g" and not event.chat.is_private:
        return await _start_from_group(event, ctx, cid)
    if ctx.contact is None:
        return []
    if (action in _NEEDS_QUESTION and q is None) or (action in _NEEDS_VALUE and value is None):
        return [ctx.say("sv_stale")]
    taking = await _taking(ctx, cid, join=action in ("s", "g"))
    if not isinstance(taking, Taking):
        return taking
    tk = taking
    if action in ("s", "g"):
        return await _begin(ctx, tk)
    if action == "f":
        return await _submit(ctx, tk)
    if action == "r":
        if tk.response.editing:
            tk.response.editing, tk.response.current = False, tk.total
        return await _review(ctx, tk)
    if action == "x":
        await ctx.end_state()
        return [ctx.say("sv_review_done")]
    if action == "e" and q is not None:
        if tk.response.state != ResponseState.COMPLETED.value or not 0 <= q < tk.total:
            return await _stale(ctx, tk)
        if not surveys.changes_open(tk.campaign, ctx.clock.now()) or tk.response.sheet_id is None:
            return [ctx.say("sv_changes_closed")]
        tk.response.editing, tk.response.current = True, q
        return await _ask(ctx, tk)
    if action == "b" and q is not None:
        at_confirm = tk.response.state == ResponseState.ANSWERING.value and q == tk.total == tk.response.current
        if not (at_confirm or (_is_current(tk, q) and q > 0)) or tk.response.editing:
            return await _stale(ctx, tk)
        return await _back(ctx, tk)
    if q is None or not _is_current(tk, q) or q >= tk.total:
        return await _stale(ctx, tk)
    question = tk.questions[q]
    if action == "k":
        return await _skip(ctx, tk, question)
    if action == "d":
        assert tk.response.sheet_id is not None
        ticked = (await surveys.answers(ctx.session, tk.response.sheet_id)).get(question.id, [])
        if question.required and not ticked:
            return [ctx.say("sv_pick_one"), *await _ask(ctx, tk)]
        await _forget_payload(ctx, tk)
        return await _advance(ctx, tk)
    if value is None or not _valid(question, value):
        return await _stale(ctx, tk)
    if action == "t" and question.multiple:
        assert tk.response.sheet_id is not None
        await surveys.toggle_option(ctx.session, tk.response.sheet_id, question.id, value)
        await _forget_payload(ctx, tk)
        return await _ask(ctx, tk)
    if action == "a" and not question.multiple:
        await _record(ctx, tk, question, [(value, None)])
        return await _advance(ctx, tk)
    return await _stale(ctx, tk)


async def _start_from_group(event: Event, ctx: Context, campaign_id: int) -> Sequence[OutMessage]:
    """A tap on the start button of a group's post (LINE): the questions go to the person privately."""
    if not event.user_id:
        return []
    now = ctx.clock.now()
    contact, _ = await contacts.get_or_create(
        ctx.session, event.channel.value, event.user_id, now=now, display_name=event.user_name
    )
    if contact.erased_at is not None or not contact.reachable:
        return []
    private = Context(
        session=ctx.session,
        clock=ctx.clock,
        event=event,
        config=ctx.config,
        contact=contact,
        lang=contact.language,
        state=await conversations.get(ctx.session, contact.id, now=now),
    )
    taking = await _taking(private, campaign_id, join=True)
    messages = taking if not isinstance(taking, Taking) else await _begin(private, taking)

    await remember_buttons(private, messages)
    target = Target(event.channel, "user", event.user_id, contact_id=contact.id)
    ctx.extra.extend((target, message) for message in messages)
    return []  # nothing in the group


# --- typed answers --------------------------------------------------------------------------------------


@router.flow(FLOW)
async def survey_typed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """Text typed during a survey (numbers and labels of buttons arrive here only when they match none)."""
    campaign_id = ctx.state.data.get("campaign") if ctx.state else None
    if ctx.contact is None or not isinstance(campaign_id, int):  # the list of surveys, answered with a word
        await ctx.end_state()
        return [ctx.say("sv_pick_hint")]
    taking = await _taking(ctx, campaign_id)
    if not isinstance(taking, Taking):
        return taking
    tk, response = taking, taking.response
    text = (event.text or "").strip() if event.kind is EventKind.TEXT else ""
    squashed = typed.squash(text)
    if ctx.state is not None and ctx.state.step == "review":
        if squashed in typed.words("sv_btn_review_done"):
            await ctx.end_state()
            return [ctx.say("sv_review_done")]
        return [ctx.say("sv_hint_review"), *await _review(ctx, tk)]
    if response.state == ResponseState.COMPLETED.value and not response.editing:
        await ctx.end_state()
        return [ctx.say("sv_already_done", title=tk.definition.title)]
    if response.state == ResponseState.INVITED.value:
        return await _begin(ctx, tk)
    if response.current >= tk.total:
        return [ctx.say("sv_hint_confirm"), *await _confirm(ctx, tk)]
    question = tk.questions[response.current]
    if not text:
        return [ctx.say("sv_hint_media"), *await _ask(ctx, tk)]
    if squashed in typed.words("sv_btn_back", "sv_word_back") and not response.editing and response.current > 0:
        return await _back(ctx, tk)
    if squashed in typed.words("sv_btn_skip") | {"-"} and not question.required:
        return await _skip(ctx, tk, question)
    if question.type == QuestionType.TEXT.value:
        limit = question.max_length or 0
        if limit and len(text) > limit:
            return [ctx.say("sv_text_too_long", limit=limit, length=len(text)), *await _ask(ctx, tk)]
        await _record(ctx, tk, question, [(surveys.TEXT_ANSWER, text)])
        return await _advance(ctx, tk)
    if question.type == QuestionType.LIKERT5.value:
        level = typed.typed_level(text)
        if level is None:
            return [ctx.say("sv_hint_likert_again"), *await _ask(ctx, tk)]
        await _record(ctx, tk, question, [(level, None)])
        return await _advance(ctx, tk)
    options = question.options or []
    if question.multiple:
        chosen = typed.typed_options(text, len(options))
        if chosen is None:
            index = pick(text, options)
            chosen = [index + 1] if index is not None else None
        if chosen is None:
            return [ctx.say("sv_hint_multiple_again", n=len(options)), *await _ask(ctx, tk)]
        await _record(ctx, tk, question, [(v, None) for v in chosen])
        return await _advance(ctx, tk)
    index = pick(text, options)
    if index is None:
        return [ctx.say("sv_hint_choice_again", n=len(options)), *await _ask(ctx, tk)]
    await _record(ctx, tk, question, [(index + 1, None)])
    return await _advance(ctx, tk)


# --- commands everyone has --------------------------------------------------------------------------------


@router.command("start")
async def start_command(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """/start sv_<campaign> comes from a survey's deep link in a Telegram group; any other /start is the usual one."""
    args = event.command[1] if event.command else ""
    if args.startswith(START_PREFIX) and args[len(START_PREFIX) :].isdigit() and ctx.contact is not None:
        taking = await _taking(ctx, int(args[len(START_PREFIX) :]), join=True)
        return taking if not isinstance(taking, Taking) else await _begin(ctx, taking)
    return await basics.start(event, ctx)


@router.command("surveys", "survey")
async def survey_command(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """/surveys (or the word แบบสอบถาม): the person's open surveys. /survey send|results|list|close: staff."""
    if not event.chat.is_private or ctx.contact is None:
        return [ctx.say("sv_private_only")]
    args = event.command[1].strip() if event.command else ""
    if not args:
        return await my_surveys(ctx)
    try:
        words = shlex.split(args.translate(_CURLY_QUOTES))
    except ValueError:
        words = args.split()
    sub, rest = words[0].lower(), words[1:]
    if sub not in ("send", "results", "list", "close"):
        return [ctx.say("sv_staff_usage")] if has_role(ctx, Role.STAFF) else await my_surveys(ctx)
    if not has_role(ctx, Role.STAFF):
        return refuse(ctx, f"survey.{sub}", Role.STAFF)
    try:
        if sub == "send":
            return await survey_staff.send_preview(ctx, rest)
        if sub == "results":
            return await survey_staff.results(ctx, rest)
        if sub == "close":
            return await survey_staff.close(ctx, rest)
        return await survey_staff.listing(ctx)
    except SurveyError as exc:
        return [ctx.say(exc.code, **exc.values)]
    except audiences.AudienceError as exc:
        return [ctx.say(f"sv_audience_{exc.code}", value=exc.value)]


async def my_surveys(ctx: Context) -> list[OutMessage]:
    """One survey waiting: straight to it. Several: a button each."""
    assert ctx.contact is not None
    now = ctx.clock.now()
    items = [
        item
        for item in await surveys.open_for(ctx.session, ctx.contact, now=now)
        if item.response is None
        or item.response.state != ResponseState.COMPLETED.value
        or (not item.campaign.definition.anonymous and surveys.changes_open(item.campaign, now))
    ]
    if not items:
        return [ctx.say("sv_none_open")]
    waiting = [i for i in items if i.response is None or i.response.state != ResponseState.COMPLETED.value]
    if len(items) == 1 and waiting:
        taking = await _taking(ctx, items[0].campaign.id, join=True)
        return taking if not isinstance(taking, Taking) else await _begin(ctx, taking)
    buttons = []
    for item in items:
        done = item.response is not None and item.response.state == ResponseState.COMPLETED.value
        title = shorten(item.campaign.definition.title, 36)
        label = ctx.t("sv_btn_change_title", title=title) if done else title
        buttons.append(Button(label, f"sv:s:{item.campaign.id}"))
    await ctx.set_state(FLOW, "pick", campaign=None)
    return [OutMessage(text=ctx.t("sv_open_list", n=len(items)), buttons=tuple(buttons))]


@router.flow(survey_staff.SEND_FLOW)
async def send_typed(event: Event, ctx: Context) -> Sequence[OutMessage]:
    """Words typed while a send waits for its confirm button: the buttons are the answer (or their numbers)."""
    return [ctx.say("reg_pick_hint", n=2)]
