"""inbox: threads, messages, FAQ auto-replies, run-time settings; outbox.ref

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("ref", sa.String(length=64), nullable=True))
    op.create_table(
        "inbox_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply_token", sa.String(length=255), nullable=True),
        sa.Column("reply_token_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        _fk("inbox_threads", "contact_id", "contacts", "CASCADE"),
        _fk("inbox_threads", "assigned_to", "contacts", "SET NULL"),
        _fk("inbox_threads", "first_response_by", "contacts", "SET NULL"),
        _fk("inbox_threads", "closed_by", "contacts", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_threads")),
    )
    with op.batch_alter_table("inbox_threads") as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_threads_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index("ix_inbox_threads_state", ["state", "opened_at"], unique=False)
    op.create_table(
        "inbox_messages",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("author_contact_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("inbox_messages", "thread_id", "inbox_threads", "CASCADE"),
        _fk("inbox_messages", "author_contact_id", "contacts", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_messages")),
    )
    with op.batch_alter_table("inbox_messages") as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_messages_thread_id"), ["thread_id"], unique=False)
    op.create_table(
        "faqs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrases", JSON_TYPE, nullable=False),
        sa.Column("normalised", JSON_TYPE, nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faqs")),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", JSON_TYPE, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )


def downgrade() -> None:
    op.drop_table("settings")
    op.drop_table("faqs")
    with op.batch_alter_table("inbox_messages") as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_messages_thread_id"))
    op.drop_table("inbox_messages")
    with op.batch_alter_table("inbox_threads") as batch_op:
        batch_op.drop_index("ix_inbox_threads_state")
        batch_op.drop_index(batch_op.f("ix_inbox_threads_contact_id"))
    op.drop_table("inbox_threads")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("ref")
