"""Hypothesis fuzz of the registration and survey conversations: random taps, garbage buttons, texts and commands.

Each example is one new person (on LINE or Telegram) who starts registering or answering a survey and then does
whatever the strategy draws: taps a button of the bot's last reply, taps made-up button data, types Thai or ASCII
text, numbers, or a command such as /cancel, /help, /start. After every step and at the end:

- every webhook is answered 200, no handler failed, and the internal-error apology was never sent;
- an action that cannot be an answer (a made-up button, a command) never adds a survey answer, a typed answer is
  stored as typed, and no question ever holds more than one answer or a value outside its scale;
- the conversation is never stuck: /cancel and then /help get the help text.

SQLite only: the fuzz is about the conversation logic, which is the same on both databases, and the database
behaviour (transactions, locking, PostgreSQL's stricter types) is covered by the end-to-end tests that run on both;
one long-lived app on one SQLite file keeps a few hundred steps inside the time budget.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.clock import FakeClock
from handlers.texts import t
from storage import schools
from storage.db import Database
from storage.migrate import upgrade
from storage.models import ContactTag, InboundEvent
from storage.schools import SchoolRow
from storage.survey_models import SurveyAnswer, SurveyQuestion, SurveyResponse
from tests.events import line_postback, line_text, tg_callback, tg_message
from tests.harness import Harness, running
from tests.test_survey_flow import import_fixture, send

INTERNAL_ERROR = {t("internal_error", "th"), t("internal_error", "en")}
HELP = {t("help", "th"), t("help", "en")}
SCHOOLS = [
    SchoolRow("โรงเรียนบ้านโพนงาม", "1034000101", "เดชอุดม"),
    SchoolRow("โรงเรียนบ้านโพนงามใต้", "1034000102", "เดชอุดม"),
    SchoolRow("โรงเรียนบุณฑริกวิทยา", "1034000201", "บุณฑริก"),
]

# --- what a person may do ------------------------------------------------------------------------------------

THAI = st.characters(min_codepoint=0x0E01, max_codepoint=0x0E5B)
ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
texts = st.one_of(
    st.text(alphabet=st.one_of(THAI, ASCII), min_size=1, max_size=60),
    st.integers(min_value=-3, max_value=12).map(str),
    st.sampled_from(["๑", "๕", "๓", "มากที่สุด", "น้อย", "ข้าม", "ย้อนกลับ", "ยกเลิก", "ครู", "โพนงาม", "081-234-5678"]),
    st.sampled_from(["/cancel", "/help", "/start", "/register", "/surveys", "แบบสอบถาม", "ลงทะเบียน", "/whatever"]),
    st.text(min_size=1, max_size=300).filter(lambda s: s.strip() != ""),
)
garbage_data = st.one_of(
    st.text(max_size=80),
    st.tuples(
        st.sampled_from(["reg:", "reg:pos:", "reg:school:", "sv:", "sv:a:", "sv:t:", "sv:k:", "sv:b:", "bc:", "x:"]),
        st.text(alphabet="0123456789:-abcxyzก", max_size=20),
    ).map("".join),
)
actions = st.lists(
    st.one_of(
        st.tuples(st.just("button"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("garbage"), garbage_data),
        st.tuples(st.just("text"), texts),
    ),
    min_size=1,
    max_size=10,
)
ANSWER_BUTTON = re.compile(r"^sv:[atdkbfers]:")


@dataclass
class Someone:
    """One fuzzed person on one platform, with what the bot sent them."""

    h: Harness
    platform: str
    user: str
    contact_id: int
    seen: int = 0
    buttons: list[str] = field(default_factory=list)  # the data of the buttons of the bot's last reply

    def _sent(self) -> list[tuple[str | None, list[str]]]:
        """(text, button data) of every message the bot sent this person, in order."""
        if self.platform == "line":
            out = []
            for d in self.h.line.deliveries:
                if d.to == self.user:
                    items = (d.message.get("quickReply") or {}).get("items", [])
                    out.append((d.message.get("text"), [i["action"]["data"] for i in items]))
            return out
        return [
            (s.text, [b["callback_data"] for row in (s.reply_markup or {}).get("inline_keyboard", []) for b in row])
            for s in self.h.telegram.sent
            if s.chat_id == self.user
        ]

    async def _post(self, kind: str, value: str) -> list[str | None]:
        h = self.h
        if self.platform == "line":
            token = h.line.issue_reply_token(to=self.user)
            make = line_text if kind == "text" else line_postback
            response = await h.post_line([make(self.user, value, reply_token=token)])
        else:
            update = tg_message(int(self.user), value) if kind == "text" else tg_callback(int(self.user), value)
            response = await h.post_telegram(update)
        assert response.status == 200, (kind, value, response.status)
        await h.settle()
        sent = self._sent()
        new = sent[self.seen :]
        self.seen = len(sent)
        with_buttons = [b for _, b in new if b]
        if new:
            self.buttons = with_buttons[-1] if with_buttons else []
        texts = [text for text, _ in new]
        assert not INTERNAL_ERROR & set(texts), (kind, value, texts)
        return texts

    async def say(self, text: str) -> list[str | None]:
        return await self._post("text", text)

    async def tap(self, data: str) -> list[str | None]:
        return await self._post("postback", data)


async def answers_of(h: Harness, campaign_id: int) -> list[tuple[int, str, int, str | None, int | None, bool]]:
    """(question id, type, value, text, max length, multiple) of every stored answer of the campaign."""
    async with h.db.sessions() as session:
        sheets = select(SurveyResponse.sheet_id).where(SurveyResponse.campaign_id == campaign_id)
        rows = await session.execute(
            select(
                SurveyAnswer.question_id,
                SurveyQuestion.type,
                SurveyAnswer.value,
                SurveyAnswer.text,
                SurveyQuestion.max_length,
                SurveyQuestion.multiple,
            )
            .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
            .where(SurveyAnswer.sheet_id.in_(sheets))
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def check_answers(stored: list[tuple[int, str, int, str | None, int | None, bool]], typed: set[str]) -> None:
    per_question: dict[int, int] = {}
    for question, kind, value, text, limit, multiple in stored:
        per_question[question] = per_question.get(question, 0) + 1
        assert multiple or per_question[question] == 1, stored
        if kind == "likert5":
            assert 1 <= value <= 5 and text is None, stored
        elif kind == "choice":
            assert 1 <= value <= 3 and text is None, stored  # the fixture's choice has three options
        else:
            assert text is not None and text in typed and (limit is None or len(text) <= limit), (text, stored)


async def fuzz_one(
    h: Harness, who: Someone, scenario: str, steps: list[tuple[str, Any]], campaign: int | None, stats: dict[str, int]
) -> None:
    typed: set[str] = set()
    opening = "/register" if scenario == "registration" else "แบบสอบถาม"
    first = await who.say(opening)
    assert first, "the opening got an answer"
    before = await answers_of(h, campaign) if campaign is not None else []
    for kind, value in steps:
        if kind == "button" and who.buttons:
            data = who.buttons[value % len(who.buttons)]
            await who.tap(data)
            stats["button taps"] += 1
        elif kind == "garbage":
            await who.tap(value)
        else:
            text = value if kind == "text" else str(value % 6)  # no buttons offered: a typed number instead
            await who.say(text)
            typed.add(text.strip())
        if campaign is None:
            continue
        after = await answers_of(h, campaign)
        check_answers(after, typed)
        made_up = kind == "garbage" and not ANSWER_BUTTON.match(value)
        if made_up or (kind == "text" and str(value).startswith("/")):
            assert sorted(after) == sorted(before), (kind, value)  # cannot be an answer: nothing changed
            stats["checked non-answers"] += 1
        before = after
    stats["answers stored"] += len(before)
    # Never stuck: /cancel then /help get the help text.
    await who.say("/cancel")
    answer = await who.say("/help")
    assert HELP & set(answer), answer
    async with h.db.sessions() as session:
        errors = (await session.execute(select(InboundEvent.error).where(InboundEvent.error.is_not(None)))).scalars()
        assert list(errors) == []


def test_registration_and_survey_conversations_survive_random_input(tmp_path: Path) -> None:
    people = itertools.count(1)
    with asyncio.Runner() as runner:
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/fuzz.db")
        runner.run(upgrade(db))
        context = running(db, FakeClock())
        h: Harness = runner.run(context.__aenter__())
        examples = {"registration": 0, "survey": 0}
        stats = {"button taps": 0, "checked non-answers": 0, "answers stored": 0}
        try:

            async def setup() -> None:
                async with h.db.sessions() as session, session.begin():
                    await schools.upsert_many(session, SCHOOLS, now=h.clock.now())
                await import_fixture(h, "hand-computed")

            runner.run(setup())

            async def person(platform: str, scenario: str) -> tuple[Someone, int | None]:
                n = next(people)
                user = f"Ufuzz{n:05d}" if platform == "line" else str(600_000 + n)
                contact_id = await h.known_person(platform, user)
                campaign = None
                if scenario == "survey":
                    async with h.db.sessions() as session, session.begin():
                        session.add(ContactTag(contact_id=contact_id, tag=f"fuzz{n}"))
                    campaign = await send(h, "test-hand-computed", f"tag:fuzz{n}")
                who = Someone(h, platform, user, contact_id)
                who.seen = len(who._sent())  # the invitation is not part of the conversation
                return who, campaign

            @settings(
                max_examples=60,
                deadline=None,
                derandomize=True,  # the same examples on every run and machine: a failure in CI is reproducible
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            )
            @given(
                platform=st.sampled_from(["line", "telegram"]),
                scenario=st.sampled_from(["registration", "survey"]),
                steps=actions,
            )
            def conversation(platform: str, scenario: str, steps: list[tuple[str, Any]]) -> None:
                examples[scenario] += 1
                who, campaign = runner.run(person(platform, scenario))
                runner.run(fuzz_one(h, who, scenario, steps, campaign, stats))

            conversation()
        finally:
            runner.run(context.__aexit__(None, None, None))
            runner.run(db.dispose())
        assert examples["registration"] >= 10 and examples["survey"] >= 10, examples
        # The run did reach what it checks: buttons were tapped, answers were stored, non-answers were refused.
        assert min(stats.values()) >= 10, stats
