"""What is taught and by whom: educational areas, subjects, subgroups, teaching assignments."""
from decimal import Decimal

from sqlalchemy import (Boolean, CheckConstraint, ForeignKey, Integer, Numeric, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import db
from models.enums import LabelledEnum
from models.org import AcademicYear, OrgOwned, Period


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


class EducationalArea(OrgOwned, db.Model):
    """Образовательная область (предметная область), e.g. «Математика и информатика»."""

    __tablename__ = "educational_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("org_id", "name"),)

    def __str__(self):
        return self.name


class Subject(OrgOwned, db.Model):
    """Предмет (school) or дисциплина / МДК / модуль / практика (college)."""

    __tablename__ = "subject"

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
        return f"{self.klass.name if self.klass else ''} {self.subject.name if self.subject else ''}: {self.name}".strip()


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


class TeachingAssignment(OrgOwned, db.Model):
    """Педагогическая нагрузка: teacher × subject × class (× subgroup) for a year."""

    __tablename__ = "teaching_assignment"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    subgroup_id: Mapped[int | None] = mapped_column(ForeignKey("subgroup.id"))
    hours_per_week: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    hours_total: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))

    year = relationship(AcademicYear)
    teacher = relationship("Staff")
    subject = relationship(Subject)
    klass = relationship("SchoolClass")
    subgroup = relationship(Subgroup)

    __table_args__ = (UniqueConstraint("class_id", "subject_id", "subgroup_id", "teacher_id"),)

    def __str__(self):
        group = f" ({self.subgroup.name})" if self.subgroup else ""
        return f"{self.klass.name if self.klass else ''} — {self.subject.name if self.subject else ''}{group}"


__all__ = ["SubjectKind", "Grading", "EducationalArea", "Subject", "Subgroup", "SubgroupMember",
           "TeachingAssignment"]
