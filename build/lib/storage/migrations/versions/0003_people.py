"""people: registration fields, linked accounts, conversation state, link codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(sa.Column("position", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_contacts_person_id"), ["person_id"], unique=False)
    op.create_table(
        "conversations",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("data", JSON_TYPE, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_conversations_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_conversations")),
    )
    op.create_table(
        "link_codes",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_link_codes_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_link_codes")),
    )
    with op.batch_alter_table("link_codes") as batch_op:
        batch_op.create_index(batch_op.f("ix_link_codes_contact_id"), ["contact_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("link_codes") as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_codes_contact_id"))
    op.drop_table("link_codes")
    op.drop_table("conversations")
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_person_id"))
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("person_id")
        batch_op.drop_column("registered_at")
        batch_op.drop_column("position")
