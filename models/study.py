"""Classes (school) and study groups (college)."""
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from models.base import db
from models.org import AcademicYear, Department, OrgOwned, Specialty, Versioned
from models.people import Student
from services.terms import KindText


class SchoolClass(OrgOwned, Versioned, db.Model):
    """Класс «5А» or учебная группа «ТМ-21»; grade is the параллель (1–11) or the курс (1–4)."""

    __tablename__ = "school_class"
    __audited__ = True
    __labels__ = {"name": "Название", "profile": "Профиль", "class_teacher": KindText("class_teacher"),
                  "student_count": "Обучается", "department": "Отделение",
                  "specialty": "Специальность / профессия", "max_students": "Предельная наполняемость"}

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(30))
    profile: Mapped[str | None] = mapped_column(String(100))
    class_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialty.id"))
    max_students: Mapped[int | None] = mapped_column(Integer)

    year = relationship(AcademicYear)
    class_teacher = relationship("Staff")
    department = relationship(Department)
    specialty = relationship(Specialty)
    students = relationship("Student", back_populates="klass", order_by="Student.last_name")

    student_count = column_property(
        select(func.count(Student.id)).where(Student.class_id == id, Student.status == "studying")
        .correlate_except(Student).scalar_subquery(), deferred=False)

    __table_args__ = (
        UniqueConstraint("year_id", "name"),
        CheckConstraint("grade between 1 and 11", name="grade"),
    )

    def __str__(self):
        return self.name


__all__ = ["SchoolClass"]
