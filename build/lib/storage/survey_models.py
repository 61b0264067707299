"""Survey tables: definitions (versioned) and their questions, campaigns, who takes part, answer sheets, answers.

Who answered and what they answered live in two tables on purpose. `survey_responses` is a person's part in a
campaign (invited, answering, done, which question they are at): it names the contact, for reminders and for "one
response per person". `survey_sheets` and `survey_answers` hold the answers and name nobody: a response points to
its sheet, and for an anonymous survey that pointer is dropped when the person submits, after which nothing joins
the person to the answers. Sheets get random ids and no timestamps, so neither their order nor their times can be
matched with the responses either.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models import Base
from storage.types import BigIntId, JsonType


class QuestionType(enum.StrEnum):
    LIKERT5 = "likert5"  # มากที่สุด (5) … น้อยที่สุด (1)
    CHOICE = "choice"  # one of the options, or several with `multiple`
    TEXT = "text"  # typed


class CampaignStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ResponseState(enum.StrEnum):
    INVITED = "invited"  # asked, not started
    ANSWERING = "answering"
    COMPLETED = "completed"


class ResponseVia(enum.StrEnum):
    INVITE = "invite"  # in the campaign's audience
    GROUP = "group"  # started from the campaign's post in a group


class SurveyDefinition(Base):
    """One version of a survey. A version a campaign has used never changes: a changed file makes a new one."""

    __tablename__ = "survey_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    intro: Mapped[str | None] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Report settings from the file, e.g. {"bands": "0.80"} or {"bands": [[4.21, "มากที่สุด"], ...]}.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    checksum: Mapped[str] = mapped_column(String(64))  # sha256 of the normalised definition
    source: Mapped[str | None] = mapped_column(Text)  # the file it came from
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    questions: Mapped[list[SurveyQuestion]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="SurveyQuestion.position"
    )


class SurveyQuestion(Base):
    __tablename__ = "survey_questions"
    __table_args__ = (
        UniqueConstraint("definition_id", "key", name="uq_survey_questions_key"),
        UniqueConstraint("definition_id", "position", name="uq_survey_questions_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("survey_definitions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # 0-based order of asking
    key: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)  # ด้าน…, for section rows in the report
    options: Mapped[list[str] | None] = mapped_column(JsonType)  # choice only
    multiple: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    required: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    max_length: Mapped[int | None] = mapped_column(Integer)  # text only


class SurveyCampaign(Base):
    """A survey sent to an audience, open until `closes_at`. Its due work (group posts, reminders, closing) is
    claimed through `due_at` and the lease columns, like every other due row."""

    __tablename__ = "survey_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("survey_definitions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.OPEN, server_default="open")
    audience: Mapped[list[str]] = mapped_column(JsonType)  # the specs as given, e.g. ["role:teacher"]
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # After submitting, a person may review and change answers while the campaign is open, until this time.
    changes_allowed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    changes_until: Mapped[datetime | None]
    remind_every_s: Mapped[int | None] = mapped_column(Integer)
    max_reminders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_reminder_at: Mapped[datetime | None]
    invited: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # people invited at opening
    due_at: Mapped[datetime | None] = mapped_column(index=True)  # earliest due work; NULL when none
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(128))  # "cli", "line:U…", "telegram:…"
    created_by_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    definition: Mapped[SurveyDefinition] = relationship(lazy="selectin")


class SurveyCampaignGroup(Base):
    """A group, room or channel the campaign is posted to; `posted_at` is set when the post is queued."""

    __tablename__ = "survey_campaign_groups"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("survey_campaigns.id", ondelete="CASCADE"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True)
    posted_at: Mapped[datetime | None]


class SurveyResponse(Base):
    """One person's part in one campaign (never two: unique per campaign and contact)."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id"),
        Index("ix_survey_responses_campaign_state", "campaign_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("survey_campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    via: Mapped[str] = mapped_column(String(16), default=ResponseVia.INVITE, server_default="invite")
    state: Mapped[str] = mapped_column(String(16), default=ResponseState.INVITED, server_default="invited")
    current: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the question being asked
    editing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # changing after submit
    # The answers; NULL before starting, and after submitting an anonymous survey or erasing the person.
    sheet_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("survey_sheets.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    reminders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime]


class SurveySheet(Base):
    """The answers of one respondent. `school_id` and `position` (for results by school or role) are kept only
    for surveys that are not anonymous, and cleared when the person erases their data."""

    __tablename__ = "survey_sheets"
    __table_args__ = (Index("ix_survey_sheets_campaign_completed", "campaign_id", "completed"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=False)  # random, see the module doc
    campaign_id: Mapped[int] = mapped_column(ForeignKey("survey_campaigns.id", ondelete="CASCADE"))
    completed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="SET NULL"))
    position: Mapped[str | None] = mapped_column(String(32))


class SurveyAnswer(Base):
    """One answer: a likert level (1–5), a chosen option (1-based; a row per option when several), or text (0)."""

    __tablename__ = "survey_answers"

    sheet_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("survey_sheets.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questions.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    value: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    text: Mapped[str | None] = mapped_column(Text)
