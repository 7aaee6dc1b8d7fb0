"""region: regions, municipalities, the regional specialists' cards, an organization's municipality (issue 20.1)

New tables region, municipality, region_staff; organization.municipality_id nullable (existing
organizations stay outside any regional scope until the installation administrator places them).

Revision ID: 0024_region
Revises: 0023_api
Create Date: 2026-12-04 23:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0024_region"
down_revision = "0023_api"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.UniqueConstraint("name", name=op.f("uq_region_name")),
    )
    op.create_table(
        "municipality",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_municipality_region_id_region"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_municipality")),
        sa.UniqueConstraint("region_id", "name", name="uq_municipality_name"),
    )
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_municipality_region_id"), ["region_id"], unique=False)
    op.create_table(
        "region_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_region_staff_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_region_staff_region_id_region"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"],
                                name=op.f("fk_region_staff_municipality_id_municipality"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_staff")),
    )
    with op.batch_alter_table("region_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_region_staff_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_region_staff_region_id"), ["region_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_region_staff_municipality_id"), ["municipality_id"], unique=False)
    # Not a batch on SQLite: a batch recreates the table, and every table referring to the organization
    # forbids dropping it. ADD COLUMN … REFERENCES is plain SQLite (a new column of NULLs). No ON DELETE: SQLite
    # reflects no option of a column's own REFERENCES, and a municipality with organizations is not deleted.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE organization ADD COLUMN municipality_id INTEGER "
                   "CONSTRAINT fk_organization_municipality_id_municipality "
                   "REFERENCES municipality (id)")
    else:
        op.add_column("organization", sa.Column("municipality_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_organization_municipality_id_municipality"), "organization", "municipality",
                              ["municipality_id"], ["id"])
    op.create_index(op.f("ix_organization_municipality_id"), "organization", ["municipality_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_organization_municipality_id"), table_name="organization")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE organization DROP COLUMN municipality_id")  # SQLite 3.35+: no table copy
    else:
        op.drop_constraint(op.f("fk_organization_municipality_id_municipality"), "organization", type_="foreignkey")
        op.drop_column("organization", "municipality_id")
    op.drop_table("region_staff")
    op.drop_table("municipality")
    op.drop_table("region")
