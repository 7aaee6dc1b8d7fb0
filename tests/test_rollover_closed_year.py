"""Nothing of a closed year changes (SPEC §3 rule 6): its year, periods, holidays, classes, curricula,
assignments, subgroups, lessons, marks, attendance and period marks — through the services, a script's
own session and a direct POST; the next year stays editable."""
from datetime import date

import pytest
from sqlalchemy import select

from models import (AcademicYear, Attendance, Holiday, Lesson, Mark, Period, PeriodMark, SchoolClass, Subgroup,
                    TeachingAssignment, db)
from services.planning import curriculum as curricula
from services.journal import grid_save, period_marks, periods
from services.rollover import year as rollover
from services.errors import DomainError
from tests.factories import EARLY_REASON, actor_of, jr_attendance, jr_lessons, jr_mark, jr_task, make_class, ro_school

CLOSED = "закрыт"


@pytest.fixture
def closed(world):
    """Organization A's 2026/2027 with a lesson, a mark and an absence, closed by the wizard."""
    a = ro_school(world.a)
    a.math_5a = a.assignments[0]
    a.lesson = jr_lessons(a.math_5a, a.period, [date(2026, 11, 10)])[0]
    a.task = jr_task(a.lesson)
    a.mark = jr_mark(a.task, a.student, "4")
    a.absence = jr_attendance(a.lesson, a.classmate)
    db.session.commit()
    admin = actor_of("a.admin")
    rollover.run_check(admin, a.year)
    rollover.close_year(admin, a.year, a.year.name, EARLY_REASON)
    return a


def refused(change):
    """`change` (a function that edits through the session) is refused on commit and nothing stays."""
    with pytest.raises(DomainError) as caught:
        change()
        db.session.commit()
    db.session.rollback()
    assert CLOSED in str(caught.value)


def test_the_journal_services_refuse_a_closed_year(closed):
    a = closed
    teacher, admin = actor_of("a.teacher"), actor_of("a.admin")
    with pytest.raises(DomainError, match=CLOSED):
        grid_save.save_entries(teacher, a.math_5a.id, {"lessons": [{"lesson_id": a.lesson.id, "topic": "Поздно"}]})
    with pytest.raises(DomainError, match=CLOSED):
        grid_save.save_entries(admin, a.math_5a.id, {"marks": [{"task_id": a.task.id, "student_id": a.student.id,
                                                              "value": "5", "version": 1}]})
    with pytest.raises(DomainError, match=CLOSED):
        period_marks.set_period_mark(admin, a.student.id, a.math.id, a.year.id, "year", None, "5")
    with pytest.raises(DomainError):
        periods.reopen_period(admin, a.period.id, "Исправить отметку")
    db.session.expire_all()
    assert db.session.get(Lesson, a.lesson.id).topic is None
    assert db.session.get(Mark, a.mark.id).value == "4"
    assert db.session.get(Period, a.period.id).is_closed


def test_no_path_changes_a_row_of_the_closed_year(closed):
    a = closed

    def rename_class():
        db.session.get(SchoolClass, a.klass.id).name = "5Я"

    def rename_year():
        db.session.get(AcademicYear, a.year.id).name = "2026/2027"  # any change, even to the same text
        db.session.get(AcademicYear, a.year.id).end_date = date(2027, 6, 29)

    def reopen_year():
        db.session.get(AcademicYear, a.year.id).is_closed = False

    def move_period():
        db.session.get(Period, a.period.id).end_date = date(2026, 12, 27)

    def drop_holiday():
        db.session.delete(db.session.scalars(select(Holiday).where(Holiday.year_id == a.year.id)).first())

    def change_hours():
        db.session.get(TeachingAssignment, a.math_5a.id).hours_total = 1

    def topic():
        db.session.get(Lesson, a.lesson.id).topic = "Тема задним числом"

    def new_lesson():
        db.session.add(Lesson(org_id=a.org.id, assignment_id=a.math_5a.id, period_id=a.period.id,
                              date=date(2026, 12, 1), number=3, teacher_id=a.teacher.id))

    def mark():
        db.session.get(Mark, a.mark.id).value = "5"

    def absence():
        db.session.delete(db.session.get(Attendance, a.absence.id))

    def year_mark():  # no period: only the year's rule stops it
        db.session.add(PeriodMark(org_id=a.org.id, student_id=a.student.id, subject_id=a.math.id,
                                  year_id=a.year.id, kind="year", value="5"))

    def subgroup():
        db.session.scalars(select(Subgroup).where(Subgroup.year_id == a.year.id)).first().name = "3 группа"

    for change in (rename_class, rename_year, reopen_year, move_period, drop_holiday, change_hours, topic, new_lesson,
                   mark, absence, year_mark, subgroup):
        refused(change)
    db.session.expire_all()
    assert db.session.get(SchoolClass, a.klass.id).name == "5А"
    assert db.session.get(AcademicYear, a.year.id).end_date == date(2027, 6, 30)
    assert db.session.get(AcademicYear, a.year.id).is_closed
    assert db.session.get(Attendance, a.absence.id) is not None
    assert db.session.scalar(select(PeriodMark.id).where(PeriodMark.kind == "year")) is None


def test_the_curriculum_of_a_closed_year_is_not_edited(closed):
    plan = db.session.scalars(
        select(curricula.Curriculum).where(curricula.Curriculum.year_id == closed.year.id)).first()
    line = plan.lines[0]
    with pytest.raises(DomainError, match=CLOSED):
        curricula.save_lines(actor_of("a.admin"), plan, [curricula.LineInput(id=line.id, hours_per_week="1")])
    db.session.expire_all()
    assert db.session.get(curricula.CurriculumLine, line.id).hours_per_week != 1


def test_the_next_year_stays_editable_and_nothing_moves_into_the_closed_one(closed):
    a, admin = closed, actor_of("a.admin")
    rollover.create_next_year(admin, a.year)
    new = db.session.scalar(select(AcademicYear).where(AcademicYear.name == "2027/2028"))
    holiday = db.session.scalars(select(Holiday).where(Holiday.year_id == new.id)).first()
    holiday.name = "Осенние каникулы (уточнено)"
    db.session.commit()

    first = make_class(a.org, new, "1А", 1)
    db.session.commit()

    def move_back():
        db.session.get(SchoolClass, first.id).year_id = a.year.id
    refused(move_back)
    assert db.session.get(SchoolClass, first.id).year_id == new.id


def test_a_direct_post_cannot_change_or_delete_the_closed_year(closed, browser):
    a = closed
    b = browser()
    b.login("a.admin")
    resp = b.post(f"/years/edit/?id={a.year.id}", data={"name": "2026/2027", "start_date": "02.09.2026",
                                                        "end_date": "30.06.2027", "_version": a.year.version},
                  follow_redirects=True)
    assert resp.status_code == 200 and "закрыт" in resp.get_data(as_text=True)
    b.post("/years/delete/", data={"id": a.year.id})
    b.post("/periods/delete/", data={"id": a.period.id})
    db.session.expire_all()
    year = db.session.get(AcademicYear, a.year.id)
    assert year is not None and year.start_date == date(2026, 9, 1)
    assert db.session.get(Period, a.period.id) is not None
