"""The organization and its calendar: academic years, periods, holidays, working days, rooms."""
from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from models.base import db
from models.enums import OrgKind, PeriodType


class Versioned:
    """Mixin: a record people edit in forms. `version` grows with every UPDATE of the row, and the
    UPDATE says `WHERE version = <the version read>` (SQLAlchemy's version counter): of two saves
    made from the same version only the first is written, the second fails with StaleDataError.
    A form carries the version it was made from (services/versions.py)."""

    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class Organization(Versioned, db.Model):
    __tablename__ = "organization"
    __audited__ = True
    __labels__ = {"kind": "Вид", "full_name": "Полное наименование", "short_name": "Краткое наименование",
                  "address": "Адрес", "director_name": "Директор", "phone": "Телефон", "email": "Эл. почта",
                  "site_url": "Адрес сайта журнала", "inn": "ИНН", "licence_number": "Лицензия №",
                  "licence_date": "Дата лицензии", "licence_issued_by": "Лицензия выдана",
                  "accreditation_number": "Аккредитация №", "accreditation_date": "Дата аккредитации",
                  "accreditation_valid_until": "Аккредитация действует до", "timezone": "Часовой пояс",
                  "rounding_threshold": "Порог округления средней (0,50 или 0,60)",
                  "municipality_id": "Муниципалитет", "municipality": "Муниципалитет"}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=OrgKind.SCHOOL.value)
    full_name: Mapped[str] = mapped_column(String(500))
    short_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    director_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))
    site_url: Mapped[str | None] = mapped_column(String(200))
    inn: Mapped[str | None] = mapped_column(String(12))
    licence_number: Mapped[str | None] = mapped_column(String(100))
    licence_date: Mapped[date | None] = mapped_column(Date)
    licence_issued_by: Mapped[str | None] = mapped_column(String(500))
    accreditation_number: Mapped[str | None] = mapped_column(String(100))
    accreditation_date: Mapped[date | None] = mapped_column(Date)
    accreditation_valid_until: Mapped[date | None] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    # The weighted average at or above <integer part + threshold> rounds up.
    rounding_threshold: Mapped[Decimal] = mapped_column(Numeric(3, 2), default=Decimal("0.50"))
    # The regional layer (models/region.py): none — outside any regional scope.
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), index=True)
    municipality = relationship("Municipality")

    __table_args__ = (
        CheckConstraint("kind in ('school', 'college')", name="kind"),
        CheckConstraint("rounding_threshold > 0 and rounding_threshold < 1", name="threshold"),
    )

    @property
    def is_college(self):
        return self.kind == OrgKind.COLLEGE.value

    def __str__(self):
        return self.short_name or self.full_name


class OrgOwned:
    """Mixin: a row that belongs to one organization (every institution's record)."""

    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)


class AcademicYear(OrgOwned, Versioned, db.Model):
    __tablename__ = "academic_year"
    __audited__ = True
    __labels__ = {"name": "Учебный год", "start_date": "Начало", "end_date": "Конец", "is_closed": "Закрыт"}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)

    organization = relationship(Organization)
    periods = relationship("Period", back_populates="year", order_by="Period.start_date")

    __table_args__ = (
        UniqueConstraint("org_id", "name"),
        CheckConstraint("start_date < end_date", name="dates"),
    )

    def __str__(self):
        return self.name


class Period(OrgOwned, Versioned, db.Model):
    __tablename__ = "period"
    __audited__ = True
    __labels__ = {"type": "Тип", "number": "№", "name": "Название", "start_date": "Начало",
                  "end_date": "Конец", "is_closed": "Закрыт для изменений"}

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    type: Mapped[str] = mapped_column(String(16), default=PeriodType.QUARTER.value)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)

    year = relationship(AcademicYear, back_populates="periods")

    __table_args__ = (
        UniqueConstraint("year_id", "type", "number"),
        CheckConstraint("start_date <= end_date", name="dates"),
        CheckConstraint("number between 1 and 6", name="number"),
    )

    def __str__(self):
        return f"{self.name} ({self.year.name})" if self.year else self.name


class Holiday(OrgOwned, Versioned, db.Model):
    """Каникулы: a range of days without lessons, for all grades or a range of them."""

    __tablename__ = "holiday"
    __audited__ = True
    __labels__ = {"name": "Название", "start_date": "Начало", "end_date": "Конец",
                  "period_type": "Для периодов", "grade_from": "С параллели", "grade_to": "По параллель"}

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    period_type: Mapped[str | None] = mapped_column(String(16))
    grade_from: Mapped[int | None] = mapped_column(Integer)
    grade_to: Mapped[int | None] = mapped_column(Integer)

    year = relationship(AcademicYear)

    __table_args__ = (CheckConstraint("start_date <= end_date", name="dates"),)

    def __str__(self):
        return self.name


class CalendarDay(OrgOwned, Versioned, db.Model):
    """An exception to the five-day week: a weekday off or a weekend day made working."""

    __tablename__ = "calendar_day"
    __audited__ = True
    __labels__ = {"day": "Дата", "is_working": "Рабочий день", "note": "Основание"}

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    is_working: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("org_id", "day"),)

    def __str__(self):
        return self.day.strftime("%d.%m.%Y")


class Room(OrgOwned, Versioned, db.Model):
    __tablename__ = "room"
    __labels__ = {"name": "Аудитория (кабинет)", "capacity": "Мест", "note": "Примечание"}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    capacity: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("org_id", "name"),)

    def __str__(self):
        return self.name


class Position(OrgOwned, Versioned, db.Model):
    __tablename__ = "position"
    __labels__ = {"name": "Должность"}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("org_id", "name"),)

    def __str__(self):
        return self.name


class Department(OrgOwned, Versioned, db.Model):
    """Отделение (college)."""

    __tablename__ = "department"
    __labels__ = {"name": "Отделение"}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("org_id", "name"),)

    def __str__(self):
        return self.name


class Specialty(OrgOwned, Versioned, db.Model):
    """Специальность / профессия (college), e.g. 15.02.16 Технология машиностроения."""

    __tablename__ = "specialty"
    __labels__ = {"code": "Код", "name": "Специальность / профессия", "qualification": "Квалификация",
                  "department": "Отделение"}

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    qualification: Mapped[str | None] = mapped_column(String(200))

    department = relationship(Department)

    __table_args__ = (UniqueConstraint("org_id", "code"),)

    def __str__(self):
        return f"{self.code} {self.name}"


__all__ = ["Organization", "OrgOwned", "Versioned", "AcademicYear", "Period", "Holiday", "CalendarDay",
           "Room", "Position", "Department", "Specialty"]
