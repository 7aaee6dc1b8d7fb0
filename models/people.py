"""Accounts and person cards: users, staff, students, parents."""
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, String, Table,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from services import clock
from models.enums import (Citizenship, DisabilityCategory, Funding, HealthGroup, PreviousDocument, Role,
                          StudentStatus, StudyForm, YesNo)
from models.org import OrgOwned, Position, Versioned


def utcnow():
    """Naive UTC, whole seconds: the column default of every timestamp (the one clock)."""
    return clock.utcnow()


class User(UserMixin, db.Model):
    """An account of the installation; logins are unique across all organizations.

    A person's roles in an organization follow from his cards there (staff,
    student, parent), so one account can work in several organizations.
    """

    __tablename__ = "user_account"
    __audited__ = True
    __labels__ = {"login": "Логин", "display_name": "Владелец", "is_blocked": "Заблокирована",
                  "must_change_password": "Ждёт смены пароля", "last_login_at": "Последний вход",
                  "home_seen_at": "Главная страница открыта", "home_since": "Новое на главной — с",
                  "created_at": "Выдана"}
    __audit_exclude__ = {"password_hash"}  # recorded as «*** → ***»: the password was changed
    # every login and logout (the login journal has them); the start page's visits
    __audit_ignore__ = {"session_token", "last_login_at", "home_seen_at", "home_since"}

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    is_superadmin: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotated on logout, block and password change: a captured cookie dies with it.
    session_token: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The start page's «new since your last visit» (services/home/visits.py): when it was last opened,
    # and the moment its news are counted from (the visit before, kept while the page is reloaded).
    home_seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    home_since: Mapped[datetime | None] = mapped_column(DateTime)

    def get_id(self):
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self):
        return not self.is_blocked

    def __str__(self):
        return f"{self.login} ({self.display_name})" if self.display_name else self.login


class PersonMixin:
    __labels__ = {"last_name": "Фамилия", "first_name": "Имя", "middle_name": "Отчество", "sex": "Пол",
                  "birth_date": "Дата рождения", "snils": "СНИЛС", "phone": "Телефон", "email": "Эл. почта",
                  "address": "Адрес", "account": "Логин"}

    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))

    @property
    def full_name(self):
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def short_name(self):
        initials = "".join(f"{p[0]}. " for p in (self.first_name, self.middle_name) if p)
        return f"{self.last_name} {initials}".strip()

    def __str__(self):
        return self.full_name


class StaffRole(db.Model):
    """A function (role) written on a staff card: администратор, завуч, учитель …"""

    __tablename__ = "staff_role"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class Staff(OrgOwned, PersonMixin, Versioned, db.Model):
    """Личное дело сотрудника."""

    __tablename__ = "staff"
    __audited__ = True
    __labels__ = {"position": "Должность", "position.name": "Должность", "roles_label": "Функции",
                  "rank": "Разряд", "qualification_category": "Квалификационная категория",
                  "hire_date": "Дата приёма", "hire_order_number": "Приказ о приёме №",
                  "dismissal_date": "Дата увольнения", "role_codes": "Функции (роли)"}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"))
    rank: Mapped[str | None] = mapped_column(String(50))
    qualification_category: Mapped[str | None] = mapped_column(String(50))
    hire_date: Mapped[date] = mapped_column(Date)
    hire_order_number: Mapped[str | None] = mapped_column(String(50))
    dismissal_date: Mapped[date | None] = mapped_column(Date)
    snils: Mapped[str | None] = mapped_column(String(14))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user = relationship(User)
    position = relationship(Position)
    role_rows = relationship(StaffRole, cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        UniqueConstraint("org_id", "user_id"),
        CheckConstraint("sex in ('m', 'f')", name="sex"),
    )

    @property
    def role_codes(self):
        return sorted(r.role for r in self.role_rows)

    @role_codes.setter
    def role_codes(self, codes):
        wanted = set(codes or ())
        self.role_rows = [r for r in self.role_rows if r.role in wanted] + [
            StaffRole(role=c) for c in sorted(wanted - {r.role for r in self.role_rows})
        ]

    @property
    def roles_label(self):
        return ", ".join(Role(c).label for c in self.role_codes)


student_parent = Table(
    "student_parent",
    db.Model.metadata,
    Column("student_id", ForeignKey("student.id", ondelete="CASCADE"), primary_key=True),
    Column("parent_id", ForeignKey("parent.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Student(OrgOwned, PersonMixin, Versioned, db.Model):
    """Личное дело обучающегося."""

    __tablename__ = "student"
    __audited__ = True
    __labels__ = {"personal_file_number": "№ личного дела", "status": "Статус",
                  "enrollment_order_number": "Приказ о зачислении №",
                  "enrollment_order_date": "Дата приказа о зачислении",
                  "birth_certificate_series": "Свидетельство о рождении: серия",
                  "birth_certificate_number": "Свидетельство о рождении: номер",
                  "birth_certificate_date": "Свидетельство о рождении: дата выдачи",
                  "passport_series": "Паспорт: серия", "passport_number": "Паспорт: номер",
                  "passport_date": "Паспорт: дата выдачи", "passport_issued_by": "Паспорт: кем выдан",
                  "parents": "Родители (законные представители)", "family_composition": "Состав семьи",
                  "social_status": "Социальный статус", "foreign_language": "Изучаемый иностранный язык",
                  # The federal contingent register's data (seed 000 §4.3; docs/CONTINGENT.md).
                  "citizenship": "Гражданство", "citizenship_country": "Страна гражданства",
                  "birth_place": "Место рождения", "registration_address": "Адрес регистрации",
                  "address": "Адрес проживания", "health_group": "Группа здоровья",
                  "disability": "Инвалидность", "disability_category": "Категория инвалидности",
                  "disability_until": "Инвалидность установлена до",
                  "ovz": "Ограниченные возможности здоровья (ОВЗ)",
                  "adapted_program": "Адаптированная программа (АООП, вариант)",
                  "study_form": "Форма обучения", "funding": "Форма финансирования",
                  "previous_doc_kind": "Документ о предыдущем образовании: вид",
                  "previous_doc_series": "Документ о предыдущем образовании: серия",
                  "previous_doc_number": "Документ о предыдущем образовании: номер",
                  "previous_doc_date": "Документ о предыдущем образовании: дата выдачи",
                  "previous_doc_issued_by": "Документ о предыдущем образовании: кем выдан"}

    # The words of the coded columns (the change log shows them, never the codes).
    __value_labels__ = {name: {c.value: c.label for c in codes} for name, codes in (
        ("citizenship", Citizenship), ("health_group", HealthGroup), ("disability", YesNo),
        ("disability_category", DisabilityCategory), ("ovz", YesNo), ("study_form", StudyForm),
        ("funding", Funding), ("previous_doc_kind", PreviousDocument))}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    personal_file_number: Mapped[str] = mapped_column(String(50))
    snils: Mapped[str] = mapped_column(String(14))
    address: Mapped[str | None] = mapped_column(String(500))
    birth_certificate_series: Mapped[str | None] = mapped_column(String(20))
    birth_certificate_number: Mapped[str | None] = mapped_column(String(20))
    birth_certificate_date: Mapped[date | None] = mapped_column(Date)
    passport_series: Mapped[str | None] = mapped_column(String(4))
    passport_number: Mapped[str | None] = mapped_column(String(6))
    passport_date: Mapped[date | None] = mapped_column(Date)
    passport_issued_by: Mapped[str | None] = mapped_column(String(300))
    family_composition: Mapped[str | None] = mapped_column(String(300))
    social_status: Mapped[str | None] = mapped_column(String(200))
    foreign_language: Mapped[str | None] = mapped_column(String(50))
    # The federal contingent register's data (seed 000 §4.3): codes of models/enums.py, checked by
    # services/people/cards.py; empty on the cards made before them (services/people/contingent.py lists gaps).
    citizenship: Mapped[str | None] = mapped_column(String(16))
    citizenship_country: Mapped[str | None] = mapped_column(String(100))
    birth_place: Mapped[str | None] = mapped_column(String(300))
    registration_address: Mapped[str | None] = mapped_column(String(500))
    health_group: Mapped[str | None] = mapped_column(String(3))
    disability: Mapped[str | None] = mapped_column(String(3))
    disability_category: Mapped[str | None] = mapped_column(String(16))
    disability_until: Mapped[date | None] = mapped_column(Date)
    ovz: Mapped[str | None] = mapped_column(String(3))
    adapted_program: Mapped[str | None] = mapped_column(String(300))
    study_form: Mapped[str | None] = mapped_column(String(16))
    funding: Mapped[str | None] = mapped_column(String(16))
    previous_doc_kind: Mapped[str | None] = mapped_column(String(20))
    previous_doc_series: Mapped[str | None] = mapped_column(String(20))
    previous_doc_number: Mapped[str | None] = mapped_column(String(30))
    previous_doc_date: Mapped[date | None] = mapped_column(Date)
    previous_doc_issued_by: Mapped[str | None] = mapped_column(String(300))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)
    enrollment_order_number: Mapped[str] = mapped_column(String(50))
    enrollment_order_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=StudentStatus.STUDYING.value)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user = relationship(User)
    klass = relationship("SchoolClass", back_populates="students")
    parents = relationship("Parent", secondary=student_parent, back_populates="children",
                           order_by="Parent.last_name")

    __table_args__ = (
        UniqueConstraint("org_id", "snils"),
        UniqueConstraint("org_id", "personal_file_number"),
        UniqueConstraint("org_id", "user_id"),
        CheckConstraint("sex in ('m', 'f')", name="sex"),
        CheckConstraint("status in ('studying', 'graduated', 'withdrawn')", name="status"),
    )


class Parent(OrgOwned, PersonMixin, Versioned, db.Model):
    """Родитель (законный представитель)."""

    __tablename__ = "parent"
    __audited__ = True
    __labels__ = {"relation": "Кем приходится", "children": "Дети", "workplace": "Место работы"}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    relation: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    workplace: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user = relationship(User)
    children = relationship(Student, secondary=student_parent, back_populates="parents",
                            order_by=Student.last_name)

    __table_args__ = (UniqueConstraint("org_id", "user_id"),)


__all__ = ["User", "PersonMixin", "StaffRole", "Staff", "student_parent", "Student", "Parent",
           "utcnow"]
