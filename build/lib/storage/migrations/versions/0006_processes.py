"""processes: templates, running processes, steps, reminders, holidays

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

Types are spelled out here rather than imported from storage.process_models: a migration must not change
when the models do.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "process_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("recurrence", sa.String(length=16), nullable=False),
        sa.Column("definition", JSON_TYPE, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_templates")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_process_templates_key")),
    )
    op.create_table(
        "holidays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holidays")),
        sa.UniqueConstraint("year", "month", "day", name=op.f("uq_holidays_year")),
    )
    op.create_table(
        "processes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("officer_contact_id", sa.Integer(), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("recurrence", sa.String(length=16), nullable=False),
        sa.Column("policy", JSON_TYPE, nullable=False),
        sa.Column("state", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_contact_id"],
            ["contacts.id"],
            name=op.f("fk_processes_officer_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"], ["processes.id"], name=op.f("fk_processes_previous_id_processes"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["process_templates.id"], name=op.f("fk_processes_template_id_process_templates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processes")),
    )
    with op.batch_alter_table("processes") as batch_op:
        batch_op.create_index("ix_processes_state_officer", ["state", "officer_contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_processes_template_id"), ["template_id"], unique=False)

    op.create_table(
        "process_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("survey_key", sa.String(length=64), nullable=True),
        sa.Column("survey_report", sa.String(length=64), nullable=True),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_by_contact_id", sa.Integer(), nullable=True),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.Column("snoozes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("overdue_reminders", sa.Integer(), server_default="0", nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["finished_by_contact_id"],
            ["contacts.id"],
            name=op.f("fk_process_steps_finished_by_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["processes.id"], name=op.f("fk_process_steps_process_id_processes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_steps")),
        sa.UniqueConstraint("process_id", "number", name=op.f("uq_process_steps_process_id")),
    )
    op.create_table(
        "process_step_log",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("actor_contact_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", JSON_TYPE, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_contact_id"],
            ["contacts.id"],
            name=op.f("fk_process_step_log_actor_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"], ["processes.id"], name=op.f("fk_process_step_log_process_id_processes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["process_steps.id"],
            name=op.f("fk_process_step_log_step_id_process_steps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_step_log")),
    )
    with op.batch_alter_table("process_step_log") as batch_op:
        batch_op.create_index(batch_op.f("ix_process_step_log_process_id"), ["process_id"], unique=False)

    op.create_table(
        "process_reminders",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), server_default="0", nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["process_id"], ["processes.id"], name=op.f("fk_process_reminders_process_id_processes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["process_steps.id"],
            name=op.f("fk_process_reminders_step_id_process_steps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_reminders")),
    )
    with op.batch_alter_table("process_reminders") as batch_op:
        batch_op.create_index("ix_process_reminders_due", ["state", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_process_reminders_step_id"), ["step_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("process_reminders") as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_reminders_step_id"))
        batch_op.drop_index("ix_process_reminders_due")
    op.drop_table("process_reminders")
    with op.batch_alter_table("process_step_log") as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_step_log_process_id"))
    op.drop_table("process_step_log")
    op.drop_table("process_steps")
    with op.batch_alter_table("processes") as batch_op:
        batch_op.drop_index(batch_op.f("ix_processes_template_id"))
        batch_op.drop_index("ix_processes_state_officer")
    op.drop_table("processes")
    op.drop_table("holidays")
    op.drop_table("process_templates")
