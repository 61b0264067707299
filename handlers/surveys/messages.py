"""What a person sees of a survey: the invitation, reminder and group post, the question cards with their answer
buttons, the confirm and review cards, and the queuing of one message to many people in their languages.

Each builder takes the language and returns an `OutMessage`; nothing here reads or changes a conversation's state:
the chat conversation (`handlers.chat.surveys`) decides what comes next, the office's campaign actions
(`handlers.office.campaigns`) and the survey job (`scheduler.survey_jobs`) decide whom to send what.

Anonymous surveys: nothing said to the person repeats an answer (outgoing messages are kept with their recipient),
so the cards of an anonymous survey show neither the current answer nor which options are ticked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import Button, Channel, OutMessage
from core.thaidate import thai_datetime
from handlers.surveys.report import shorten
from handlers.texts import t
from storage import surveys
from storage.models import Contact
from storage.outbox import Recipient, enqueue_many
from storage.survey_models import QuestionType, SurveyCampaign, SurveyDefinition, SurveyQuestion, SurveyResponse

START_PREFIX = "sv_"  # Telegram deep link: /start sv_<campaign>
_SECONDS_PER_QUESTION = 15  # for the "about N minutes" of the invitation
_LABEL_CHARS = 40  # a question's text in the review list
_BATCH = 5000  # contacts per query: far under every database's limit of bound parameters


@dataclass
class SurveyLinks:
    """What links to the bot and to files need, set once by `bot/` at start (handlers never read settings)."""

    public_url: str | None = None  # PHUANKRU_PUBLIC_URL: charts are served from it
    telegram_username: Callable[[], str | None] = field(default=lambda: None)  # known once Telegram answers getMe


LINKS = SurveyLinks()


def configure(*, public_url: str | None, telegram_username: Callable[[], str | None]) -> None:
    LINKS.public_url = public_url.rstrip("/") if public_url else None
    LINKS.telegram_username = telegram_username


def deep_link(campaign_id: int) -> str | None:
    username = LINKS.telegram_username()
    return f"https://t.me/{username}?start={START_PREFIX}{campaign_id}" if username else None


# --- messages sent to many: invitations, reminders, group posts --------------------------------------


def _minutes(definition: SurveyDefinition) -> int:
    return max(1, math.ceil(len(definition.questions) * _SECONDS_PER_QUESTION / 60))


def _closes(campaign: SurveyCampaign, tz: ZoneInfo, lang: str) -> str:
    if campaign.closes_at is None:
        return t("sv_no_closing", lang)
    return t("sv_closes", lang, when=thai_datetime(campaign.closes_at, tz, lang))


def privacy_note(campaign: SurveyCampaign, definition: SurveyDefinition, lang: str) -> str:
    """What happens to the answers: said before the first question, so nobody is surprised afterwards."""
    if definition.anonymous:
        return t("sv_anonymous_note", lang)
    return t("sv_named_note" if campaign.changes_allowed else "sv_named_no_changes", lang)


def invitation(campaign: SurveyCampaign, definition: SurveyDefinition, tz: ZoneInfo, lang: str) -> OutMessage:
    parts = [t("sv_invitation", lang, title=definition.title)]
    if definition.intro:
        parts.append(definition.intro)
    parts.append(t("sv_invitation_size", lang, n=len(definition.questions), minutes=_minutes(definition)))
    parts.append(_closes(campaign, tz, lang))
    parts.append(privacy_note(campaign, definition, lang))
    parts.append(t("sv_invitation_how", lang))
    return OutMessage(text="\n".join(parts), buttons=(Button(t("sv_btn_start", lang), f"sv:s:{campaign.id}"),))


def reminder(campaign: SurveyCampaign, definition: SurveyDefinition, tz: ZoneInfo, lang: str) -> OutMessage:
    parts = [t("sv_reminder", lang, title=definition.title), _closes(campaign, tz, lang), t("sv_invitation_how", lang)]
    text = "\n".join(parts)
    return OutMessage(text=text, buttons=(Button(t("sv_btn_start", lang), f"sv:s:{campaign.id}"),))


def group_post(campaign: SurveyCampaign, definition: SurveyDefinition, channel: Channel, tz: ZoneInfo) -> OutMessage:
    """The post in a group: the start happens in a private chat, so no answer is ever seen by the group."""
    lang = "th"  # groups are addressed in Thai, the office's language
    text = "\n".join(
        [
            t("sv_group_post", lang, title=definition.title),
            t("sv_invitation_size", lang, n=len(definition.questions), minutes=_minutes(definition)),
            _closes(campaign, tz, lang),
        ]
    )
    if channel is Channel.TELEGRAM:
        link = deep_link(campaign.id)
        if link is not None:
            return OutMessage(text=f"{text}\n{t('sv_group_post_telegram', lang)}", link=link)
    return OutMessage(
        text=f"{text}\n{t('sv_group_post_line', lang)}",
        buttons=(Button(t("sv_btn_start_private", lang), f"sv:g:{campaign.id}"),),
    )


async def send_to_people(
    session: AsyncSession,
    contact_ids: Sequence[int],
    message: Callable[[str], OutMessage],
    *,
    now: datetime,
    not_before: datetime | None = None,
) -> int:
    """Queue one message to each contact, in their language, batched per platform (LINE multicast)."""
    buckets: dict[tuple[str, str], list[Recipient]] = {}
    for start in range(0, len(contact_ids), _BATCH):
        rows = await session.execute(
            select(Contact.id, Contact.channel, Contact.platform_user_id, Contact.language).where(
                Contact.id.in_(contact_ids[start : start + _BATCH])
            )
        )
        for contact_id, channel, platform_id, language in rows:
            buckets.setdefault((channel, language), []).append(Recipient(platform_id, contact_id))
    queued = 0
    for (channel, language), recipients in sorted(buckets.items()):
        queued += await enqueue_many(
            session, Channel(channel), recipients, [message(language)], now=now, not_before=not_before
        )
    return queued


# --- the cards of the conversation -----------------------------------------------------------------------


@dataclass
class Taking:
    """One person's campaign, as an event and its cards need it."""

    campaign: SurveyCampaign
    definition: SurveyDefinition
    response: SurveyResponse

    @property
    def questions(self) -> list[SurveyQuestion]:
        return self.definition.questions

    @property
    def total(self) -> int:
        return len(self.definition.questions)

    @property
    def cid(self) -> int:
        return self.campaign.id


Answers = list[tuple[int, str | None]]  # (value, typed text) as storage.surveys.answers gives them


def level_button_label(level: int, lang: str) -> str:
    return f"{t(f'sv_level_{level}', lang)} ({level})"


def _progress(tk: Taking, question: SurveyQuestion, lang: str) -> str:
    key = "sv_progress_change" if tk.response.editing else "sv_progress"
    head = t(key, lang, n=question.position + 1, total=tk.total)
    return f"{head} · {question.section}" if question.section else head


def answer_label(question: SurveyQuestion, values: Answers, lang: str) -> str:
    if not values:
        return t("sv_not_answered", lang)
    if question.type == QuestionType.LIKERT5.value:
        return level_button_label(values[0][0], lang)
    if question.type == QuestionType.CHOICE.value:
        options = question.options or []
        return ", ".join(options[v - 1] for v, _ in values if 0 < v <= len(options))
    return values[0][1] or t("sv_not_answered", lang)


def starting(tk: Taking, lang: str) -> OutMessage:
    """Said once, before the first question: what the survey is and what happens to the answers."""
    intro = [t("sv_starting", lang, title=tk.definition.title, n=tk.total)]
    if tk.definition.intro:
        intro.append(tk.definition.intro)
    intro.append(privacy_note(tk.campaign, tk.definition, lang))
    return OutMessage(text="\n".join(intro))


def question_card(tk: Taking, current: Answers, lang: str) -> OutMessage:
    """The current question, with its buttons and how to answer by typing; `current` is the answer given so far
    (read only for a named survey or a several-options question)."""
    response = tk.response
    question = tk.questions[response.current]
    cid, q = tk.cid, question.position
    named = not tk.definition.anonymous
    lines = [_progress(tk, question, lang), question.text]
    buttons: list[Button] = []
    if question.type == QuestionType.LIKERT5.value:
        lines.append(t("sv_hint_likert", lang))
        buttons = [Button(level_button_label(v, lang), f"sv:a:{cid}:{q}:{v}") for v in surveys.LIKERT_LEVELS]
    elif question.type == QuestionType.CHOICE.value and question.multiple:
        ticked = {v for v, _ in current}
        # An anonymous survey shows only how many are ticked: an outgoing message must not repeat an answer.
        marks = ticked if named else set()
        buttons = [
            Button(("✓ " if i in marks else "") + option, f"sv:t:{cid}:{q}:{i}")
            for i, option in enumerate(question.options or [], start=1)
        ]
        buttons.append(Button(t("sv_btn_next", lang), f"sv:d:{cid}:{q}"))
        lines.append(t("sv_hint_multiple", lang, n=len(ticked)))
    elif question.type == QuestionType.CHOICE.value:
        buttons = [Button(option, f"sv:a:{cid}:{q}:{i}") for i, option in enumerate(question.options or [], start=1)]
        lines.append(t("sv_hint_choice", lang))
    else:
        lines.append(t("sv_hint_text", lang, limit=question.max_length or 0))
        if not question.required:
            lines.append(t("sv_hint_text_skip", lang))
        if q > 0 and not response.editing:
            lines.append(t("sv_hint_text_back", lang))
    if named and current and not question.multiple:
        lines.append(t("sv_current_answer", lang, answer=answer_label(question, current, lang)))
    if response.editing:
        buttons.append(Button(t("sv_btn_keep", lang), f"sv:r:{cid}"))
    elif question.type != QuestionType.TEXT.value:
        if q > 0:
            buttons.append(Button(t("sv_btn_back", lang), f"sv:b:{cid}:{q}"))
        if not question.required:
            buttons.append(Button(t("sv_btn_skip", lang), f"sv:k:{cid}:{q}"))
    # A text question has one button at most: with two, a typed "1" or "2" would be taken as a tap, not an answer.
    elif not question.required:
        buttons.append(Button(t("sv_btn_skip", lang), f"sv:k:{cid}:{q}"))
    elif q > 0:
        buttons.append(Button(t("sv_btn_back", lang), f"sv:b:{cid}:{q}"))
    return OutMessage(text="\n".join(lines), buttons=tuple(buttons))


def confirm_card(tk: Taking, lang: str) -> OutMessage:
    """An anonymous survey asks before submitting: once submitted, nobody can find the answers to change them."""
    return OutMessage(
        text=t("sv_confirm_anonymous", lang, n=tk.total),
        buttons=(
            Button(t("sv_btn_submit", lang), f"sv:f:{tk.cid}"),
            Button(t("sv_btn_back", lang), f"sv:b:{tk.cid}:{tk.total}"),
        ),
    )


def review_card(tk: Taking, given: dict[int, Answers], lang: str) -> OutMessage:
    """A named survey after submitting: the answers, and a button per question to change it."""
    lines = [t("sv_review", lang, title=tk.definition.title)]
    for question in tk.questions:
        label = shorten(question.text, _LABEL_CHARS)
        lines.append(f"{question.position + 1}. {label}: {answer_label(question, given.get(question.id, []), lang)}")
    lines.append(t("sv_review_how", lang))
    buttons = [
        Button(t("sv_btn_item", lang, n=question.position + 1), f"sv:e:{tk.cid}:{question.position}")
        for question in tk.questions
    ]
    buttons.append(Button(t("sv_btn_review_done", lang), f"sv:x:{tk.cid}"))
    return OutMessage(text="\n".join(lines), buttons=tuple(buttons))
