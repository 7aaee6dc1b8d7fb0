"""The regional layer (issue 20.1): a region, its municipalities, and the cards of the specialists of the
bodies managing education («Специалист органа управления образованием») — of one municipality or of the
whole region. An organization belongs to a municipality by `Organization.municipality_id` (none: outside
any regional scope). Not `OrgOwned`: these rows are the installation's, above the organizations."""
from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.org import Versioned


class Region(Versioned, db.Model):
    __tablename__ = "region"
    __audited__ = True
    __labels__ = {"name": "Регион (субъект РФ)", "municipalities": "Муниципалитеты"}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)

    municipalities = relationship("Municipality", back_populates="region", order_by="Municipality.name")

    def __str__(self):
        return self.name


class Municipality(Versioned, db.Model):
    __tablename__ = "municipality"
    __audited__ = True
    __labels__ = {"region_id": "Регион", "region": "Регион", "name": "Муниципальное образование"}

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))

    region = relationship("Region", back_populates="municipalities")

    __table_args__ = (UniqueConstraint("region_id", "name", name="uq_municipality_name"),)

    def __str__(self):
        return self.name


class RegionStaff(Versioned, db.Model):
    """A specialist of a body managing education: of one municipality, or of the whole region when
    `municipality_id` is empty. His scope is the organizations of that municipality (region); he
    sees their aggregate figures only, never a child's personal data."""

    __tablename__ = "region_staff"
    __audited__ = True
    __labels__ = {"user_id": "Учётная запись", "user": "Учётная запись", "region_id": "Регион", "region": "Регион",
                  "municipality_id": "Муниципалитет (пусто — весь регион)",
                  "municipality": "Муниципалитет (пусто — весь регион)",
                  "full_name": "ФИО", "position": "Должность", "active": "Действует"}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="RESTRICT"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id", ondelete="RESTRICT"),
                                                        index=True)
    full_name: Mapped[str] = mapped_column(String(300))
    position: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")

    user = relationship("User")
    region = relationship("Region")
    municipality = relationship("Municipality")

    def __str__(self):
        return self.full_name


__all__ = ["Region", "Municipality", "RegionStaff"]
