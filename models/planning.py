"""What is taught and by whom: educational areas, subjects, the curriculum (учебный план),
subgroups, teaching assignments and the calendar-thematic plans (КТП)."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.enums import LabelledEnum
from models.org import AcademicYear, Organization, OrgOwned, Period, Specialty, Versioned
from models.people import utcnow
from services.terms import KindText


class SubjectKind(LabelledEnum):
    SUBJECT = "subject", "Предмет"
    DISCIPLINE = "discipline", "Дисциплина"
    MDK = "mdk", "МДК"
    MODULE = "module", "Профессиональный модуль"
    PRACTICE = "practice", "Практика"
    COURSE_WORK = "course_work", "Курсовая работа"


class Grading(LabelledEnum):
    MARKS = "marks", "Отметки 5…1"
    PASS_FAIL = "pass_fail", "Зачёт / незачёт"
    NONE = "none", "Без отметок"


class CurriculumComponent(LabelledEnum):
    """The part of the curriculum a line belongs to (seed 001 §6.2: «компоненты»)."""

    FEDERAL = "federal", "Обязательная часть (федеральный компонент)"
    REGIONAL = "regional", "Региональный компонент"
    SCHOOL = "school", "Часть, формируемая участниками образовательных отношений"


class EducationalArea(OrgOwned, Versioned, db.Model):
    """Образовательная область (предметная область), e.g. «Математика и информатика»."""

    __tablename__ = "educational_area"
    __labels__ = {"name": "Образовательная (предметная) область"}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("org_id", "name"),)

    def __str__(self):
        return self.name


class Subject(OrgOwned, Versioned, db.Model):
    """Предмет (school) or дисциплина / МДК / модуль / практика (college)."""

    __tablename__ = "subject"
    __labels__ = {"code": "Индекс", "name": "Название", "short_name": "Краткое название", "kind": "Тип",
                  "module": "Профессиональный модуль", "area": "Образовательная область",
                  "area.name": "Образовательная область", "grading": "Оценивание"}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(50))
    code: Mapped[str | None] = mapped_column(String(30))  # college index: ОП.01, МДК.01.01, ПМ.01
    kind: Mapped[str] = mapped_column(String(16), default=SubjectKind.SUBJECT.value)
    grading: Mapped[str] = mapped_column(String(16), default=Grading.MARKS.value)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("educational_area.id"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"))  # МДК within its ПМ
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    area = relationship(EducationalArea)
    module = relationship("Subject", remote_side=[id])

    __table_args__ = (UniqueConstraint("org_id", "name"),)

    def __str__(self):
        return f"{self.code} {self.name}" if self.code else self.name


class Subgroup(OrgOwned, db.Model):
    """A part of a class for one subject for the year (English group 1 and 2); membership is per period."""

    __tablename__ = "subgroup"

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    name: Mapped[str] = mapped_column(String(50))

    klass = relationship("SchoolClass")
    subject = relationship(Subject)
    year = relationship(AcademicYear)

    __table_args__ = (UniqueConstraint("class_id", "subject_id", "name"),)

    def __str__(self):
        klass, subject = self.klass.name if self.klass else "", self.subject.name if self.subject else ""
        return f"{klass} {subject}: {self.name}".strip()


class SubgroupMember(db.Model):
    """A student in one subgroup of a subject for one period: one row per (student, subject, period)."""

    __tablename__ = "subgroup_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    subgroup_id: Mapped[int] = mapped_column(ForeignKey("subgroup.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))  # copied from the subgroup

    subgroup = relationship(Subgroup)
    student = relationship("Student")
    period = relationship(Period)

    __table_args__ = (UniqueConstraint("student_id", "subject_id", "period_id"),)


class TeachingAssignment(OrgOwned, Versioned, db.Model):
    """Педагогическая нагрузка: teacher × subject × class (× subgroup) for a year."""

    __tablename__ = "teaching_assignment"
    __audited__ = True
    __labels__ = {"subgroup": "Подгруппа", "teacher": KindText("teacher"),
                  "teacher.last_name": "Фамилия учителя", "hours_per_week": "Часов в неделю",
                  "hours_total": "Часов за год", "thematic_plan": "КТП"}

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    subgroup_id: Mapped[int | None] = mapped_column(ForeignKey("subgroup.id"))
    hours_per_week: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    hours_total: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    # The КТП the journal follows for this class (its next planned topic).
    thematic_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("thematic_plan.id", ondelete="SET NULL"), index=True)

    year = relationship(AcademicYear)
    teacher = relationship("Staff")
    subject = relationship(Subject)
    klass = relationship("SchoolClass")
    subgroup = relationship(Subgroup)
    thematic_plan = relationship("ThematicPlan", back_populates="assignments")

    # A unique constraint lets rows without a subgroup repeat (NULLs differ): the index below does not.
    __table_args__ = (UniqueConstraint("class_id", "subject_id", "subgroup_id", "teacher_id"),)

    def __str__(self):
        group = f" ({self.subgroup.name})" if self.subgroup else ""
        return f"{self.klass.name if self.klass else ''} — {self.subject.name if self.subject else ''}{group}"


Index("uq_teaching_assignment_slot", TeachingAssignment.class_id, TeachingAssignment.subject_id,
      func.coalesce(TeachingAssignment.subgroup_id, 0), TeachingAssignment.teacher_id, unique=True)


class Curriculum(OrgOwned, Versioned, db.Model):
    """Учебный план of one grade level (курс) and profile for a year.

    A school counts hours per week; a college counts hours per semester (period 1 and 2 of the
    course's year). `max_hours` is the maximum total load in the same unit, set by the deputy.
    """

    __tablename__ = "curriculum"
    __audited__ = True
    __labels__ = {"profile": "Профиль", "specialty": "Специальность / профессия", "load": "Нагрузка, ч",
                  "max_hours": "Максимальная нагрузка, ч", "weeks": "Учебных недель", "lines": "Строк",
                  "note": "Примечание"}

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    profile: Mapped[str | None] = mapped_column(String(100))
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialty.id"))
    max_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    weeks: Mapped[int] = mapped_column(Integer, default=34)  # учебных недель (school)
    note: Mapped[str | None] = mapped_column(String(500))

    organization = relationship(Organization)
    year = relationship(AcademicYear)
    specialty = relationship(Specialty)
    lines = relationship("CurriculumLine", back_populates="curriculum", cascade="all, delete-orphan",
                         passive_deletes=True, order_by="CurriculumLine.sort_order, CurriculumLine.id")

    __table_args__ = (
        CheckConstraint("grade between 1 and 11", name="grade"),
        CheckConstraint("weeks between 1 and 52", name="weeks"),
    )

    @property
    def is_college(self):
        return self.organization is not None and self.organization.is_college

    @property
    def title(self):
        unit = "курс" if self.is_college else "класс"
        parts = [f"{self.grade} {unit}"]
        if self.specialty is not None:
            parts.append(self.specialty.code)
        if self.profile:
            parts.append(f"профиль «{self.profile}»")
        return ", ".join(parts)

    def __str__(self):
        return f"{self.title} ({self.year.name})" if self.year else self.title


# The natural key: one curriculum per year, grade level, profile and specialty (either may be empty);
# the rules also compare profiles ignoring case and spaces (services/planning/curriculum.py).
Index("uq_curriculum_natural_key", Curriculum.year_id, Curriculum.grade, func.coalesce(Curriculum.profile, ""),
      func.coalesce(Curriculum.specialty_id, 0), unique=True)


class CurriculumLine(OrgOwned, db.Model):
    """A subject in a curriculum with its hours in one component."""

    __tablename__ = "curriculum_line"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    curriculum_id: Mapped[int] = mapped_column(ForeignKey("curriculum.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    component: Mapped[str] = mapped_column(String(16), default=CurriculumComponent.FEDERAL.value)
    hours_per_week: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    period1_hours: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    period2_hours: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    curriculum = relationship(Curriculum, back_populates="lines")
    subject = relationship(Subject)

    __table_args__ = (UniqueConstraint("curriculum_id", "subject_id", "component"),)

    def __str__(self):
        return f"{self.subject.name if self.subject else ''}: {self.hours_per_week or ''}"


class ThematicPlan(OrgOwned, Versioned, db.Model):
    """Календарно-тематический план: a teacher's ordered topics of a subject for a grade level."""

    __tablename__ = "thematic_plan"
    __audited__ = True
    __labels__ = {"name": "Название", "teacher": KindText("teacher"), "teacher.last_name": "Фамилия учителя",
                  "topics": "Тем", "hours": "Часов", "classes": "Назначен", "updated_at": "Изменён",
                  "note": "Примечание"}

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    grade: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    year = relationship(AcademicYear)
    teacher = relationship("Staff")
    subject = relationship(Subject)
    topics = relationship("ThematicPlanTopic", back_populates="plan", cascade="all, delete-orphan",
                          passive_deletes=True, order_by="ThematicPlanTopic.position")
    assignments = relationship(TeachingAssignment, back_populates="thematic_plan",
                               passive_deletes=True)

    __table_args__ = (
        UniqueConstraint("year_id", "teacher_id", "subject_id", "grade", "name"),
        CheckConstraint("grade between 1 and 11", name="grade"),
    )

    def __str__(self):
        return self.name


class ThematicPlanTopic(OrgOwned, db.Model):
    """One topic of a КТП, in order; it takes `hours` lessons."""

    __tablename__ = "thematic_plan_topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("thematic_plan.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    section: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(500))
    hours: Mapped[int] = mapped_column(Integer, default=1)
    homework: Mapped[str | None] = mapped_column(String(500))

    plan = relationship(ThematicPlan, back_populates="topics")

    __table_args__ = (
        UniqueConstraint("plan_id", "position"),
        CheckConstraint("hours between 1 and 100", name="hours"),
    )

    def __str__(self):
        return self.title


__all__ = ["SubjectKind", "Grading", "CurriculumComponent", "EducationalArea", "Subject", "Subgroup",
           "SubgroupMember", "TeachingAssignment", "Curriculum", "CurriculumLine", "ThematicPlan",
           "ThematicPlanTopic"]
