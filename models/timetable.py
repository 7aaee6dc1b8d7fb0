"""The timetable: bell schedule, the weekly timetable of every class, one-off changes on a date
(замены) and the exam-session timetable.

A weekly entry copies the teacher and the subgroup of its teaching assignment, so the database
itself refuses a teacher, a room or a class (subgroup) booked twice in one slot; the rules that a
unique key cannot say (a whole class against one of its subgroups, lessons of different shifts
that overlap in time) are checked in services/timetable/ (clashes.py, by weekly.py and changes.py).
"""
from datetime import date, datetime, time

from sqlalchemy import (CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Time,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.enums import LabelledEnum
from models.org import OrgOwned, Versioned
from models.people import utcnow

WEEKDAYS = {1: "Понедельник", 2: "Вторник", 3: "Среда", 4: "Четверг", 5: "Пятница", 6: "Суббота"}
WEEKDAYS_SHORT = {1: "Пн", 2: "Вт", 3: "Ср", 4: "Чт", 5: "Пт", 6: "Сб"}
# «уже ведёт урок во вторник»: the weekday after the preposition.
WEEKDAYS_ON = {1: "в понедельник", 2: "во вторник", 3: "в среду", 4: "в четверг", 5: "в пятницу",
               6: "в субботу"}


class ChangeKind(LabelledEnum):
    REPLACE = "replace", "Замена"
    CANCEL = "cancel", "Отмена урока"
    ADD = "add", "Дополнительный урок"


class ExamKind(LabelledEnum):
    EXAM = "exam", "Экзамен"
    QUALIFICATION = "qualification", "Экзамен квалификационный"
    DIFF_CREDIT = "diff_credit", "Дифференцированный зачёт"
    CREDIT = "credit", "Зачёт"
    CONSULTATION = "consultation", "Консультация"
    COURSE_WORK = "course_work", "Защита курсовой работы"


class Bell(OrgOwned, Versioned, db.Model):
    """One lesson of the bell schedule (звонки): number, start and end, in shift 1 or 2.

    Bells without a year are the organization's standing schedule; bells of a year replace it
    for that year.
    """

    __tablename__ = "bell"
    __audited__ = True
    __labels__ = {"shift": "Смена", "number": "Урок №", "starts_at": "Начало", "ends_at": "Конец"}

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int | None] = mapped_column(ForeignKey("academic_year.id"), index=True)
    shift: Mapped[int] = mapped_column(Integer, default=1)
    number: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)

    year = relationship("AcademicYear")

    __table_args__ = (
        UniqueConstraint("org_id", "year_id", "shift", "number", name="uq_bell_slot"),
        CheckConstraint("shift in (1, 2)", name="shift"),
        CheckConstraint("number between 0 and 12", name="number"),
        CheckConstraint("starts_at < ends_at", name="times"),
    )

    def __str__(self):
        return f"{self.number}-й урок ({self.starts_at:%H:%M}–{self.ends_at:%H:%M})"


class TimetableEntry(OrgOwned, db.Model):
    """A lesson of the weekly timetable: a class, a day of the week, a lesson number, an assignment."""

    __tablename__ = "timetable_entry"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("teaching_assignment.id"), index=True)
    # Copied from the assignment (kept in step by services/timetable/weekly.py) for the unique keys.
    teacher_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    subgroup_key: Mapped[int] = mapped_column(Integer, default=0)  # subgroup id, 0 for the whole class
    weekday: Mapped[int] = mapped_column(Integer)  # 1 = Monday … 6 = Saturday
    shift: Mapped[int] = mapped_column(Integer, default=1)
    number: Mapped[int] = mapped_column(Integer)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), index=True)

    klass = relationship("SchoolClass")
    assignment = relationship("TeachingAssignment")
    teacher = relationship("Staff")
    room = relationship("Room")

    __table_args__ = (
        UniqueConstraint("year_id", "weekday", "shift", "number", "teacher_id",
                         name="uq_timetable_entry_teacher_slot"),
        UniqueConstraint("year_id", "weekday", "shift", "number", "room_id",
                         name="uq_timetable_entry_room_slot"),
        UniqueConstraint("class_id", "weekday", "shift", "number", "subgroup_key",
                         name="uq_timetable_entry_class_slot"),
        CheckConstraint("weekday between 1 and 6", name="weekday"),
        CheckConstraint("shift in (1, 2)", name="shift"),
        CheckConstraint("number between 0 and 12", name="number"),
    )

    def __str__(self):
        return f"{WEEKDAYS.get(self.weekday, '?')}, {self.number}-й урок"


class TimetableChange(OrgOwned, Versioned, db.Model):
    """A one-off change on a date (замена): another teacher, room or subject, a cancelled lesson,
    or an extra lesson.

    A replacement or a cancellation names the scheduled lesson it changes by class, date, lesson
    number and the scheduled assignment; empty fields keep what the weekly timetable says.
    """

    __tablename__ = "timetable_change"
    __audited__ = True
    __labels__ = {"date": "Дата", "number": "Урок №", "kind": "Изменение",
                  "scheduled_assignment": "Урок по расписанию", "scheduled_teacher": "Учитель по расписанию",
                  "assignment": "Другой предмет", "teacher": "Заменяющий учитель", "room": "Кабинет",
                  "reason": "Причина"}

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(16), default=ChangeKind.REPLACE.value)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    shift: Mapped[int] = mapped_column(Integer, default=1)
    number: Mapped[int] = mapped_column(Integer)
    # The lesson of the weekly timetable that is replaced or cancelled (none for an extra lesson).
    scheduled_assignment_id: Mapped[int | None] = mapped_column(ForeignKey("teaching_assignment.id"),
                                                                index=True)
    # Another subject (an assignment of the same class), or the extra lesson's assignment.
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("teaching_assignment.id"), index=True)
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    klass = relationship("SchoolClass")
    scheduled_assignment = relationship("TeachingAssignment", foreign_keys=[scheduled_assignment_id])
    assignment = relationship("TeachingAssignment", foreign_keys=[assignment_id])
    teacher = relationship("Staff")
    room = relationship("Room")

    __table_args__ = (
        UniqueConstraint("class_id", "date", "shift", "number", "scheduled_assignment_id",
                         name="uq_timetable_change_lesson"),
        CheckConstraint("kind in ('replace', 'cancel', 'add')", name="kind"),
        CheckConstraint("shift in (1, 2)", name="shift"),
        CheckConstraint("number between 0 and 12", name="number"),
    )

    @property
    def effective_assignment(self):
        return self.assignment or self.scheduled_assignment

    def __str__(self):
        return f"{self.date:%d.%m.%Y}, {self.number}-й урок: {ChangeKind(self.kind).label.lower()}" \
            if self.date and self.kind in ChangeKind._value2member_map_ else "Замена"


class ExamEntry(OrgOwned, Versioned, db.Model):
    """A line of the exam-session timetable (расписание сессии): what, who, where and when."""

    __tablename__ = "exam_entry"
    __audited__ = True
    __labels__ = {"date": "Дата", "starts_at": "Начало", "ends_at": "Окончание", "subgroup": "Подгруппа",
                  "kind": "Вид", "room": "Аудитория", "examiner": "Экзаменатор", "assistant": "Ассистент",
                  "period": "Период", "note": "Примечание"}

    id: Mapped[int] = mapped_column(primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    period_id: Mapped[int | None] = mapped_column(ForeignKey("period.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=ExamKind.EXAM.value)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    subgroup_id: Mapped[int | None] = mapped_column(ForeignKey("subgroup.id"))
    date: Mapped[date] = mapped_column(Date, index=True)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    examiner_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    assistant_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(300))

    year = relationship("AcademicYear")
    period = relationship("Period")
    subject = relationship("Subject")
    klass = relationship("SchoolClass")
    subgroup = relationship("Subgroup")
    room = relationship("Room")
    examiner = relationship("Staff", foreign_keys=[examiner_id])
    assistant = relationship("Staff", foreign_keys=[assistant_id])

    __table_args__ = (
        UniqueConstraint("examiner_id", "date", "starts_at", name="uq_exam_entry_examiner_start"),
        UniqueConstraint("room_id", "date", "starts_at", name="uq_exam_entry_room_start"),
        CheckConstraint("starts_at < ends_at", name="times"),
        CheckConstraint("kind in ('exam', 'qualification', 'diff_credit', 'credit', 'consultation', "
                        "'course_work')", name="kind"),
    )

    @property
    def kind_label(self):
        return ExamKind(self.kind).label if self.kind in ExamKind._value2member_map_ else ""

    def __str__(self):
        label = self.kind_label
        subject = f": {self.subject}" if self.subject is not None else ""  # not loaded yet as it is inserted
        return f"{label}{subject} ({self.date:%d.%m.%Y})" if self.date else label


class ExamResult(OrgOwned, db.Model):
    """A student's result of one line of the exam-session timetable (экзамен, зачёт, квалификационный
    экзамен, защита курсовой работы): services/journal/finals.py writes it, with a version like every mark."""

    __tablename__ = "exam_result"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_entry_id: Mapped[int] = mapped_column(ForeignKey("exam_entry.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    value: Mapped[str] = mapped_column(String(6))
    version: Mapped[int] = mapped_column(Integer, default=1)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    entry = relationship(ExamEntry)
    student = relationship("Student")

    __table_args__ = (UniqueConstraint("exam_entry_id", "student_id"),)

    def __str__(self):
        return self.value


__all__ = ["WEEKDAYS", "WEEKDAYS_SHORT", "WEEKDAYS_ON", "ChangeKind", "ExamKind", "Bell",
           "TimetableEntry", "TimetableChange", "ExamEntry", "ExamResult"]
