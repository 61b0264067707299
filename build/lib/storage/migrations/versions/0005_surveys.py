"""surveys: definitions (versioned), campaigns, responses, answers, reminders

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

Types are spelled out here rather than imported from storage.survey_models: a migration must not change
when the models do.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "survey_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("intro", sa.Text(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("settings", JSON_TYPE, nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_definitions")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_survey_definitions_key")),
    )
    op.create_table(
        "survey_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("section", sa.Text(), nullable=True),
        sa.Column("options", JSON_TYPE, nullable=True),
        sa.Column("multiple", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("required", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["survey_definitions.id"],
            name=op.f("fk_survey_questions_definition_id_survey_definitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_questions")),
        sa.UniqueConstraint("definition_id", "key", name=op.f("uq_survey_questions_key")),
        sa.UniqueConstraint("definition_id", "position", name=op.f("uq_survey_questions_position")),
    )
    op.create_table(
        "survey_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("audience", JSON_TYPE, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changes_allowed", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("changes_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remind_every_s", sa.Integer(), nullable=True),
        sa.Column("max_reminders", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reminders_sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invited", sa.Integer(), server_default="0", nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_by_contact_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_contact_id"],
            ["contacts.id"],
            name=op.f("fk_survey_campaigns_created_by_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["survey_definitions.id"],
            name=op.f("fk_survey_campaigns_definition_id_survey_definitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_campaigns")),
    )
    with op.batch_alter_table("survey_campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_campaigns_definition_id"), ["definition_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_campaigns_due_at"), ["due_at"], unique=False)

    op.create_table(
        "survey_campaign_groups",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["survey_campaigns.id"],
            name=op.f("fk_survey_campaign_groups_campaign_id_survey_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_survey_campaign_groups_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("campaign_id", "chat_id", name=op.f("pk_survey_campaign_groups")),
    )
    op.create_table(
        "survey_sheets",
        sa.Column("id", BIGINT_ID, autoincrement=False, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["survey_campaigns.id"],
            name=op.f("fk_survey_sheets_campaign_id_survey_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_survey_sheets_school_id_schools"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_sheets")),
    )
    with op.batch_alter_table("survey_sheets", schema=None) as batch_op:
        batch_op.create_index("ix_survey_sheets_campaign_completed", ["campaign_id", "completed"], unique=False)

    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(length=16), server_default="invite", nullable=False),
        sa.Column("state", sa.String(length=16), server_default="invited", nullable=False),
        sa.Column("current", sa.Integer(), server_default="0", nullable=False),
        sa.Column("editing", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("sheet_id", BIGINT_ID, nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminders", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["survey_campaigns.id"],
            name=op.f("fk_survey_responses_campaign_id_survey_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_survey_responses_contact_id_contacts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["survey_sheets.id"],
            name=op.f("fk_survey_responses_sheet_id_survey_sheets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("campaign_id", "contact_id", name=op.f("uq_survey_responses_campaign_id")),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index("ix_survey_responses_campaign_state", ["campaign_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_responses_contact_id"), ["contact_id"], unique=False)

    op.create_table(
        "survey_answers",
        sa.Column("sheet_id", BIGINT_ID, autoincrement=False, nullable=False),
        sa.Column("question_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["survey_questions.id"],
            name=op.f("fk_survey_answers_question_id_survey_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["survey_sheets.id"],
            name=op.f("fk_survey_answers_sheet_id_survey_sheets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sheet_id", "question_id", "value", name=op.f("pk_survey_answers")),
    )


def downgrade() -> None:
    op.drop_table("survey_answers")
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_responses_contact_id"))
        batch_op.drop_index("ix_survey_responses_campaign_state")
    op.drop_table("survey_responses")
    with op.batch_alter_table("survey_sheets", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_sheets_campaign_completed")
    op.drop_table("survey_sheets")
    op.drop_table("survey_campaign_groups")
    with op.batch_alter_table("survey_campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_campaigns_due_at"))
        batch_op.drop_index(batch_op.f("ix_survey_campaigns_definition_id"))
    op.drop_table("survey_campaigns")
    op.drop_table("survey_questions")
    op.drop_table("survey_definitions")
