"""Lessons are made from the timetable for a period — holidays, days off and changes honoured —
and made again safely: content is never dropped, hand-made lessons are never touched, a second
run changes nothing."""
from datetime import date

import pytest
from sqlalchemy import func, select

from models import Holiday, Lesson, Period, TimetableChange, db
from services.errors import DomainError, PermissionDenied
from services.timetable.lessons import generate_lessons, lesson_has_content
from services.timetable.weekly import save_class_week
from tests.querycount import count_queries
from tests.timetable_fixtures import MON, TUE, WED, actor_of, build_timetable_world


@pytest.fixture
def tt(world):
    ns = build_timetable_world(world)
    a = ns.a
    # 26.10.2026 is a Monday, 04.11.2026 (a Wednesday) is a public holiday.
    ns.p1 = Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=1, name="1 четверть",
                   start_date=date(2026, 10, 26), end_date=date(2026, 11, 4))
    db.session.add(ns.p1)
    db.session.add(Holiday(org_id=a.org.id, year_id=a.year.id, name="Осенние каникулы 5 классов",
                           start_date=date(2026, 10, 26), end_date=date(2026, 11, 1), grade_from=5, grade_to=5))
    db.session.commit()
    week(ns, a.klass, [(MON, 1, ns.math5.id, ns.r101.id), (WED, 2, ns.rus5.id, None)])
    week(ns, a.other_class, [(WED, 3, ns.math6.id, ns.r201.id)])
    return ns


def week(tt, klass, cells):
    save_class_week(tt.deputy, klass.id, 1, cells, today=date(2026, 9, 1))
    db.session.commit()


def run(tt, period=None, **kwargs):
    result = generate_lessons(tt.deputy, (period or tt.p1).id, **kwargs)
    db.session.commit()
    return result


def lessons():
    return db.session.execute(select(Lesson.date, Lesson.number, Lesson.assignment_id, Lesson.teacher_id,
                                     Lesson.room_id, Lesson.is_cancelled, Lesson.from_timetable)
                              .order_by(Lesson.date, Lesson.number)).all()


def test_lessons_honour_holidays_of_the_grade_and_public_holidays(tt):
    a = tt.a
    result = run(tt)
    assert result.created == 2 and not result.conflicts
    assert lessons() == [
        # 6Б (grade 6) has no holiday: Wednesday 28.10; Wednesday 04.11 is a day off for everyone.
        (date(2026, 10, 28), 3, tt.math6.id, a.teacher.id, tt.r201.id, False, True),
        # 5А is on holiday until 01.11: only Monday 02.11 remains.
        (date(2026, 11, 2), 1, tt.math5.id, a.teacher.id, tt.r101.id, False, True),
    ]
    lesson = db.session.scalar(select(Lesson).where(Lesson.assignment_id == tt.math5.id))
    assert lesson.period_id == tt.p1.id and lesson.shift == 1 and lesson.org_id == a.org.id


def test_fixed_public_holiday_without_a_calendar_row(tt):
    """23.02.2027 is a Tuesday; the shipped calendar stops at 2026, the Labour Code does not."""
    a = tt.a
    p3 = Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=3, name="3 четверть",
                start_date=date(2027, 2, 22), end_date=date(2027, 2, 26))
    db.session.add(p3)
    db.session.commit()
    week(tt, a.klass, [(MON, 1, tt.math5.id, None), (TUE, 1, tt.rus5.id, None)])
    run(tt, p3)
    assert [(r.date, r.assignment_id) for r in lessons()] == [(date(2027, 2, 22), tt.math5.id),
                                                             (date(2027, 2, 24), tt.math6.id)]


def test_changes_on_dates_are_applied(tt):
    a = tt.a
    db.session.add_all([
        TimetableChange(date=date(2026, 10, 28), kind="cancel", class_id=a.other_class.id, number=3,
                        scheduled_assignment_id=tt.math6.id),
        TimetableChange(date=date(2026, 11, 2), kind="replace", class_id=a.klass.id, number=1,
                        scheduled_assignment_id=tt.math5.id, teacher_id=tt.ivanov.id, room_id=tt.r102.id),
        TimetableChange(date=date(2026, 11, 3), kind="add", class_id=a.klass.id, number=5,
                        assignment_id=tt.rus5.id),
    ])
    db.session.commit()
    run(tt)
    assert lessons() == [
        (date(2026, 10, 28), 3, tt.math6.id, a.teacher.id, tt.r201.id, True, True),
        (date(2026, 11, 2), 1, tt.math5.id, tt.ivanov.id, tt.r102.id, False, True),
        (date(2026, 11, 3), 5, tt.rus5.id, a.class_teacher.id, None, False, True),
    ]


def test_regeneration_is_idempotent_and_set_based(tt):
    a = tt.a
    p2 = a.period  # 05.11–28.12.2026: about eight weeks
    first = run(tt, p2)
    assert first.created > 15
    with count_queries() as queries:
        second = generate_lessons(tt.deputy, p2.id)
    db.session.commit()
    assert (second.created, second.updated, second.deleted) == (0, 0, 0)
    assert second.unchanged == first.created
    assert len(queries) < 25, len(queries)  # not a query per lesson
    assert db.session.scalar(select(func.count(Lesson.id))) == first.created


def test_a_lesson_with_content_is_kept_and_reported_when_its_slot_disappears(tt):
    a = tt.a
    p2 = a.period
    run(tt, p2)
    monday_lessons = db.session.scalars(select(Lesson).where(Lesson.assignment_id == tt.math5.id)
                                        .order_by(Lesson.date)).all()
    monday_lessons[0].topic = "Натуральные числа"
    db.session.commit()
    kept_id = monday_lessons[0].id
    # Math of 5А moves from Monday to Tuesday.
    week(tt, a.klass, [(TUE, 1, tt.math5.id, tt.r101.id), (WED, 2, tt.rus5.id, None)])

    preview = generate_lessons(tt.deputy, p2.id, dry_run=True)
    db.session.commit()
    assert preview.deleted == len(monday_lessons) - 1 and preview.created > 0
    assert db.session.scalar(select(func.count(Lesson.id)).where(Lesson.assignment_id == tt.math5.id)) == \
        len(monday_lessons)  # a preview writes nothing

    result = run(tt, p2)
    assert result.deleted == len(monday_lessons) - 1
    assert [c.lesson_id for c in result.conflicts] == [kept_id]
    conflict = result.conflicts[0]
    assert conflict.class_name == "5А" and conflict.subject == "Математика" and "оставлен" in conflict.reason
    kept = db.session.get(Lesson, kept_id)
    assert kept.topic == "Натуральные числа" and kept.date.isoweekday() == MON
    tuesdays = db.session.scalars(select(Lesson.date).where(Lesson.assignment_id == tt.math5.id,
                                                            Lesson.id != kept_id)).all()
    assert tuesdays and all(d.isoweekday() == TUE for d in tuesdays)

    again = run(tt, p2)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    assert [c.lesson_id for c in again.conflicts] == [kept_id]  # still listed until resolved


def test_hand_made_lessons_are_never_touched(tt):
    a = tt.a
    manual = Lesson(org_id=a.org.id, assignment_id=tt.math5.id, date=date(2026, 10, 30), number=7,
                    from_timetable=False)
    twin = Lesson(org_id=a.org.id, assignment_id=tt.math5.id, date=date(2026, 11, 2), number=1,
                  from_timetable=False, room_id=tt.r201.id)
    db.session.add_all([manual, twin])
    db.session.commit()
    result = run(tt)
    assert result.manual_kept == 1 and result.created == 1
    db.session.expire_all()
    assert db.session.get(Lesson, manual.id) is not None
    assert db.session.get(Lesson, twin.id).room_id == tt.r201.id  # not overwritten by the timetable
    assert db.session.scalar(select(func.count(Lesson.id))) == 3


def test_only_chosen_classes_and_dates_are_regenerated(tt):
    a = tt.a
    p2 = a.period
    run(tt, p2, class_ids=[a.other_class.id])
    assert {r.assignment_id for r in lessons()} == {tt.math6.id}
    run(tt, p2, start=date(2026, 12, 1))
    first_math5 = db.session.scalar(select(func.min(Lesson.date)).where(Lesson.assignment_id == tt.math5.id))
    assert first_math5 == date(2026, 12, 7)
    with pytest.raises(DomainError):
        generate_lessons(tt.deputy, p2.id, start=date(2027, 3, 1))
    db.session.rollback()


def test_lesson_content(tt):
    run(tt)
    rows = db.session.scalars(select(Lesson).order_by(Lesson.date)).all()
    rows[0].topic = "   "
    rows[1].homework = "№ 15, 16"
    db.session.commit()
    assert lesson_has_content([r.id for r in rows]) == {rows[1].id}
    assert lesson_has_content([]) == set()


def test_who_may_generate(tt):
    for login in ("a.teacher", "a.class_teacher", "a.director", "a.student", "a.parent", "a.hr"):
        with pytest.raises(PermissionDenied):
            generate_lessons(actor_of(login), tt.p1.id)
        db.session.rollback()
    assert db.session.scalar(select(func.count(Lesson.id))) == 0
    generate_lessons(actor_of("a.admin"), tt.p1.id)
    with pytest.raises(DomainError):  # another organization's period is not found
        generate_lessons(actor_of("b.deputy"), tt.p1.id)
    db.session.rollback()


def test_closed_period_is_refused(tt):
    tt.p1.is_closed = True
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        generate_lessons(tt.deputy, tt.p1.id)
    db.session.rollback()
    assert "закрыт" in str(exc.value)
    assert db.session.scalar(select(func.count(Lesson.id))) == 0
