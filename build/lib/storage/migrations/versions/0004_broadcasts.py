"""broadcasts: announcements, their recipients and schedule; media served to the platforms

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("author_contact_id", sa.Integer(), nullable=True),
        sa.Column("audience", JSON_TYPE, nullable=False),
        sa.Column("content", JSON_TYPE, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recipients_total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("report_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_contact_id"],
            ["contacts.id"],
            name=op.f("fk_broadcasts_author_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.create_index("ix_broadcasts_due", ["state", "scheduled_at"], unique=False)
    op.create_table(
        "broadcast_recipients",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("platform_id", sa.String(length=128), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.Integer(), nullable=True),
        sa.Column("outbox_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_recipients_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_broadcast_recipients_chat_id_chats"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_broadcast_recipients_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_recipients")),
    )
    with op.batch_alter_table("broadcast_recipients") as batch_op:
        batch_op.create_index(batch_op.f("ix_broadcast_recipients_broadcast_id"), ["broadcast_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_broadcast_recipients_outbox_key"), ["outbox_key"], unique=False)
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("token", name=op.f("uq_media_token")),
    )


def downgrade() -> None:
    op.drop_table("media")
    with op.batch_alter_table("broadcast_recipients") as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcast_recipients_outbox_key"))
        batch_op.drop_index(batch_op.f("ix_broadcast_recipients_broadcast_id"))
    op.drop_table("broadcast_recipients")
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.drop_index("ix_broadcasts_due")
    op.drop_table("broadcasts")
