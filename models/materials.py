"""Learning materials and distance courses (seed 001 stage IV, issue 18.4): a teacher's materials per subject and
grade (a file, a link or a text), kept private or shared with the colleagues of his organization; a course is an
ordered set of materials; either is assigned to a lesson (a material only) or to a class or a subgroup for a
window of dates. services/learning/materials.py."""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.files import StoredFile
from models.org import OrgOwned, Versioned
from models.people import utcnow

MATERIAL_KINDS = {"file": "Файл", "link": "Ссылка", "text": "Текст"}


class Material(OrgOwned, Versioned, db.Model):
    """One learning material of a teacher: a file, a link (http/https) or a plain text."""

    __tablename__ = "material"
    __audited__ = True
    __labels__ = {"title": "Название", "kind": "Вид", "subject": "Предмет", "grade": "Класс (параллель)",
                  "url": "Ссылка", "body": "Текст", "stored_file": "Файл", "shared": "Доступен коллегам",
                  "author": "Автор", "created_at": "Создан"}

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # file | link | text
    url: Mapped[str | None] = mapped_column(String(2000))
    body: Mapped[str | None] = mapped_column(Text)
    stored_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"), unique=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author = relationship("Staff")
    subject = relationship("Subject")
    stored_file = relationship(StoredFile)

    @property
    def kind_label(self):
        return MATERIAL_KINDS.get(self.kind, self.kind)

    def __str__(self):
        return self.title


class Course(OrgOwned, Versioned, db.Model):
    """A distance course in the simple sense: an ordered set of materials of one subject and grade."""

    __tablename__ = "course"
    __audited__ = True
    __labels__ = {"title": "Название", "subject": "Предмет", "grade": "Класс (параллель)",
                  "description": "Описание", "shared": "Доступен коллегам", "author": "Автор"}

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author = relationship("Staff")
    subject = relationship("Subject")
    items = relationship("CourseItem", back_populates="course", order_by="CourseItem.position",
                         cascade="all, delete-orphan")

    def __str__(self):
        return self.title


class CourseItem(OrgOwned, db.Model):
    """A section of a course: one material at its position."""

    __tablename__ = "course_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    course = relationship(Course, back_populates="items")
    material = relationship(Material)

    __table_args__ = (UniqueConstraint("course_id", "material_id"),)


class MaterialAssignment(OrgOwned, db.Model):
    """A material or a course given to a lesson (a material only) or to a class or subgroup, shown from
    `start_date` to `end_date` (either open)."""

    __tablename__ = "material_assignment"
    __audited__ = True
    __labels__ = {"material": "Материал", "course": "Курс", "lesson": "Урок", "klass": "Класс",
                  "subgroup": "Подгруппа", "start_date": "С", "end_date": "По", "assigned_by": "Назначил"}

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int | None] = mapped_column(ForeignKey("material.id"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)
    subgroup_id: Mapped[int | None] = mapped_column(ForeignKey("subgroup.id"))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    material = relationship(Material)
    course = relationship(Course)
    lesson = relationship("Lesson")
    klass = relationship("SchoolClass")
    subgroup = relationship("Subgroup")
    assigned_by = relationship("Staff")


__all__ = ["Material", "Course", "CourseItem", "MaterialAssignment", "MATERIAL_KINDS"]
