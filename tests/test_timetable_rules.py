"""The weekly timetable never books a teacher, a room or a class (subgroup) twice at one time,
whatever the path; changes on a date obey the same rules on that date."""
from datetime import date, time

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from models import Bell, TeachingAssignment, TimetableChange, TimetableEntry, db
from services.errors import DomainError, PermissionDenied
from services.timetable.weekly import save_class_week
from tests.factories import tt_bells
from tests.timetable_fixtures import (MON, TUE, TUE_10_11, WED, actor_of, build_timetable_world,
                                      entries_of)


@pytest.fixture
def tt(world):
    return build_timetable_world(world)


def save(tt, klass, cells, shift=1, today=date(2026, 9, 1)):
    result = save_class_week(tt.deputy, klass.id, shift, cells, today=today)
    db.session.commit()
    return result


def refused(tt, klass, cells, shift=1, today=date(2026, 9, 1)):
    with pytest.raises(DomainError) as exc:
        save_class_week(tt.deputy, klass.id, shift, cells, today=today)
    db.session.rollback()
    return str(exc.value)


def test_grid_saves_and_replaces_a_class_week(tt):
    a = tt.a
    save(tt, a.klass, [(MON, 1, tt.math5.id, tt.r101.id), (TUE, 2, tt.rus5.id, None)])
    assert entries_of(a.klass) == [(MON, 1, tt.math5.id, tt.r101.id), (TUE, 2, tt.rus5.id, None)]
    entry = db.session.scalar(select(TimetableEntry).where(TimetableEntry.assignment_id == tt.math5.id))
    assert entry.teacher_id == a.teacher.id and entry.subgroup_key == 0
    result = save(tt, a.klass, [(MON, 1, tt.math5.id, tt.r101.id), (WED, 3, tt.rus5.id, tt.r102.id)])
    assert (result.added, result.removed) == (1, 1)
    assert entries_of(a.klass) == [(MON, 1, tt.math5.id, tt.r101.id), (WED, 3, tt.rus5.id, tt.r102.id)]


def test_teacher_booked_twice_is_refused_with_the_clash_named(tt):
    a = tt.a
    save(tt, a.other_class, [(TUE, 3, tt.math6.id, tt.r201.id)])
    message = refused(tt, a.klass, [(MON, 1, tt.rus5.id, None), (TUE, 3, tt.math5.id, tt.r101.id)])
    assert "Учитель Учителев Т. П. уже ведёт урок во вторник, 3-й урок, в 6Б" in message
    assert entries_of(a.klass) == []  # nothing of the grid was written


def test_room_booked_twice_is_refused(tt):
    a = tt.a
    save(tt, a.other_class, [(MON, 1, tt.rus6.id, tt.r101.id)])
    message = refused(tt, a.klass, [(MON, 1, tt.rus5.id, tt.r101.id)])
    assert "Кабинет 101 уже занят в понедельник, 1-й урок: 6Б, Русский язык" in message
    assert entries_of(a.klass) == []


def test_class_booked_twice_is_refused(tt):
    message = refused(tt, tt.a.klass, [(MON, 1, tt.rus5.id, tt.r101.id), (MON, 1, tt.math5.id, tt.r102.id)])
    assert "У класса 5А в понедельник, 1-й урок уже стоит урок" in message


def test_whole_class_and_its_subgroup_at_once_is_refused(tt):
    message = refused(tt, tt.a.klass, [(MON, 1, tt.rus5.id, tt.r101.id), (MON, 1, tt.eng5_1.id, tt.r102.id)])
    assert "урок всего класса" in message and "Русский язык" in message
    assert entries_of(tt.a.klass) == []


def test_two_subgroups_of_a_class_run_in_parallel(tt):
    save(tt, tt.a.klass, [(MON, 2, tt.eng5_1.id, tt.r101.id), (MON, 2, tt.eng5_2.id, tt.r102.id)])
    assert len(entries_of(tt.a.klass)) == 2
    # but one subgroup cannot share a room with the other
    message = refused(tt, tt.a.klass, [(MON, 2, tt.eng5_1.id, tt.r101.id), (MON, 2, tt.eng5_2.id, tt.r101.id)])
    assert "Кабинет 101 уже занят в понедельник, 2-й урок" in message


def test_every_clash_is_listed_at_once(tt):
    a = tt.a
    save(tt, a.other_class, [(TUE, 3, tt.math6.id, tt.r201.id), (WED, 1, tt.rus6.id, tt.r101.id)])
    message = refused(tt, a.klass, [(TUE, 3, tt.math5.id, None), (WED, 1, tt.rus5.id, tt.r101.id)])
    assert "Учитель Учителев" in message and "Кабинет 101" in message


def test_grid_refuses_a_foreign_or_unknown_assignment(tt):
    message = refused(tt, tt.a.klass, [(MON, 1, tt.math6.id, None)])
    assert "понедельник, 1-й урок: выбранного предмета нет в нагрузке класса 5А" in message
    message = refused(tt, tt.a.klass, [(MON, 1, tt.b_math5.id, None)])
    assert "нет в нагрузке класса 5А" in message
    message = refused(tt, tt.a.klass, [(MON, 1, tt.math5.id, tt.b_room.id)])
    assert "кабинет не найден" in message


def test_a_teacher_cannot_save_a_grid(tt):
    with pytest.raises(PermissionDenied):
        save_class_week(actor_of("a.teacher"), tt.a.klass.id, 1, [(MON, 1, tt.math5.id, None)])
    db.session.rollback()
    assert entries_of(tt.a.klass) == []


def test_another_organizations_class_is_not_found(tt):
    with pytest.raises(DomainError):
        save_class_week(actor_of("b.deputy"), tt.a.klass.id, 1, [(MON, 1, tt.math5.id, None)])
    db.session.rollback()
    assert entries_of(tt.a.klass) == []


def test_direct_writes_are_checked_after_the_flush(tt):
    """Any path that writes entries (a script, an import) meets the same rule."""
    a = tt.a
    save(tt, a.klass, [(MON, 1, tt.rus5.id, tt.r101.id)])
    db.session.add(TimetableEntry(org_id=a.org.id, year_id=a.year.id, class_id=a.klass.id,
                                  assignment_id=tt.eng5_1.id, weekday=MON, shift=1, number=1, room_id=tt.r102.id))
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    db.session.rollback()
    assert "урок всего класса" in str(exc.value)
    db.session.add(TimetableEntry(org_id=a.org.id, year_id=a.year.id, class_id=a.klass.id,
                                  assignment_id=tt.math6.id, weekday=TUE, shift=1, number=1))
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    db.session.rollback()
    assert "Нагрузка относится к другому классу" in str(exc.value)
    assert entries_of(a.klass) == [(MON, 1, tt.rus5.id, tt.r101.id)]


def test_database_refuses_a_teacher_or_room_twice_in_one_slot(tt):
    """The unique keys hold even for a write that skips the ORM altogether."""
    a = tt.a
    save(tt, a.klass, [(MON, 1, tt.math5.id, tt.r101.id)])
    row = dict(org_id=a.org.id, year_id=a.year.id, class_id=a.other_class.id, assignment_id=tt.math6.id,
               teacher_id=a.teacher.id, subgroup_key=0, weekday=MON, shift=1, number=1, room_id=tt.r201.id)
    with pytest.raises(IntegrityError):
        db.session.connection().execute(insert(TimetableEntry.__table__), row)
    db.session.rollback()
    row.update(assignment_id=tt.rus6.id, teacher_id=tt.ivanov.id, room_id=tt.r101.id)
    with pytest.raises(IntegrityError):
        db.session.connection().execute(insert(TimetableEntry.__table__), row)
    db.session.rollback()


def test_new_teacher_of_an_assignment_is_copied_and_checked(tt):
    a = tt.a
    save(tt, a.other_class, [(TUE, 3, tt.math6.id, None)])
    save(tt, a.klass, [(TUE, 3, tt.eng5_1.id, tt.r101.id), (WED, 1, tt.rus5.id, None)])
    # Учителев teaches 6Б at Tuesday 3: he cannot take English group 1 of 5А that is at the same time.
    db.session.get(TeachingAssignment, tt.eng5_1.id).teacher_id = a.teacher.id
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    db.session.rollback()
    assert "Учитель Учителев Т. П. уже ведёт урок во вторник, 3-й урок" in str(exc.value)
    # Russian of 5А (Wednesday 1) may pass to Иванов: the entry follows the assignment.
    db.session.get(TeachingAssignment, tt.rus5.id).teacher_id = tt.ivanov.id
    db.session.commit()
    entry = db.session.scalar(select(TimetableEntry).where(TimetableEntry.assignment_id == tt.rus5.id))
    assert entry.teacher_id == tt.ivanov.id


def test_lessons_of_two_shifts_that_overlap_in_time_clash(tt):
    a = tt.a
    # Shift 2 starts at 11:50, when shift 1 has its 5th lesson (11:50–12:30).
    tt_bells(a.org, shift=2, count=5, first=(11, 50))
    db.session.commit()
    save(tt, a.other_class, [(MON, 1, tt.math6.id, None)], shift=2)
    message = refused(tt, a.klass, [(MON, 5, tt.math5.id, None)])
    assert "уже ведёт урок в понедельник, 1-й урок 2-й смены, в 6Б" in message
    save(tt, a.klass, [(MON, 4, tt.math5.id, None)])  # 11:00–11:40 does not overlap


def test_bells_are_validated(tt):
    a = tt.a
    db.session.add(Bell(org_id=a.org.id, shift=1, number=8, starts_at=time(13, 0), ends_at=time(12, 0)))
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    db.session.add(Bell(org_id=a.org.id, shift=1, number=8, starts_at=time(14, 20), ends_at=time(15, 0)))
    db.session.flush()
    db.session.add(Bell(org_id=a.org.id, shift=1, number=9, starts_at=time(14, 50), ends_at=time(15, 30)))
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    assert "пересекается с 8-м уроком" in str(exc.value)
    db.session.rollback()
    db.session.add(Bell(org_id=a.org.id, shift=1, number=3, starts_at=time(16, 0), ends_at=time(16, 40)))
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    assert "3-й урок 1-й смены уже есть" in str(exc.value)
    db.session.rollback()


# -- changes on a date ------------------------------------------------------------------------------

def change(tt, **fields):
    fields.setdefault("org_id", tt.a.org.id)
    fields.setdefault("year_id", tt.a.year.id)
    row = TimetableChange(**fields)
    db.session.add(row)
    return row


def test_substitute_teacher_busy_at_that_time_is_refused(tt):
    a = tt.a
    save(tt, a.other_class, [(TUE, 3, tt.math6.id, None)])
    save(tt, a.klass, [(TUE, 3, tt.rus5.id, tt.r101.id)])
    change(tt, date=TUE_10_11, kind="replace", class_id=a.klass.id, number=3,
           scheduled_assignment_id=tt.rus5.id, teacher_id=a.teacher.id)
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    db.session.rollback()
    assert "Учитель Учителев Т. П. уже ведёт урок 10.11.2026 (вторник), 3-й урок, в 6Б" in str(exc.value)
    assert db.session.scalar(select(TimetableChange.id)) is None
    # a free teacher may substitute
    change(tt, date=TUE_10_11, kind="replace", class_id=a.klass.id, number=3,
           scheduled_assignment_id=tt.rus5.id, teacher_id=tt.ivanov.id, reason="болезнь")
    db.session.commit()


def test_a_change_frees_the_slot_on_that_date_only(tt):
    """Учителев's 6Б lesson is cancelled on 10.11: that day he can substitute in 5А, another day not."""
    a = tt.a
    save(tt, a.other_class, [(TUE, 3, tt.math6.id, None)])
    save(tt, a.klass, [(TUE, 3, tt.rus5.id, tt.r101.id)])
    change(tt, date=TUE_10_11, kind="cancel", class_id=a.klass.id, number=3, scheduled_assignment_id=tt.rus5.id)
    change(tt, date=TUE_10_11, kind="cancel", class_id=a.other_class.id, number=3,
           scheduled_assignment_id=tt.math6.id)
    db.session.commit()
    change(tt, date=TUE_10_11, kind="add", class_id=a.klass.id, number=3, assignment_id=tt.math5.id,
           room_id=tt.r201.id)
    db.session.commit()
    change(tt, date=date(2026, 11, 17), kind="add", class_id=a.klass.id, number=3, assignment_id=tt.math5.id)
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    db.session.rollback()
    assert "17.11.2026" in str(exc.value)


def test_room_and_class_clash_on_a_date(tt):
    a = tt.a
    save(tt, a.other_class, [(TUE, 2, tt.rus6.id, tt.r201.id)])
    save(tt, a.klass, [(TUE, 3, tt.rus5.id, tt.r101.id)])
    change(tt, date=TUE_10_11, kind="replace", class_id=a.other_class.id, number=2,
           scheduled_assignment_id=tt.rus6.id, room_id=tt.r101.id)
    db.session.commit()  # 101 is free at the 2nd lesson
    change(tt, date=TUE_10_11, kind="add", class_id=a.klass.id, number=3, assignment_id=tt.eng5_1.id,
           room_id=tt.r102.id)
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    db.session.rollback()
    assert "урок всего класса" in str(exc.value)


def test_a_change_must_match_the_timetable(tt):
    a = tt.a
    save(tt, a.klass, [(TUE, 3, tt.rus5.id, tt.r101.id)])
    change(tt, date=TUE_10_11, kind="replace", class_id=a.klass.id, number=4,
           scheduled_assignment_id=tt.rus5.id, teacher_id=tt.ivanov.id)
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    db.session.rollback()
    assert "нет урока «Русский язык»" in str(exc.value)
    change(tt, date=TUE_10_11, kind="replace", class_id=a.klass.id, number=3,
           scheduled_assignment_id=tt.rus5.id, teacher_id=a.class_teacher.id, room_id=tt.r101.id)
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    db.session.rollback()
    assert "ничего не меняет" in str(exc.value)
    change(tt, date=TUE_10_11, kind="replace", class_id=a.klass.id, number=3,
           scheduled_assignment_id=tt.rus5.id, assignment_id=tt.math6.id)
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    db.session.rollback()
    assert "другому классу" in str(exc.value)


def test_grid_refuses_to_clash_with_a_change_already_made(tt):
    a = tt.a
    save(tt, a.klass, [(TUE, 3, tt.rus5.id, tt.r101.id)])
    change(tt, date=TUE_10_11, kind="replace", class_id=a.klass.id, number=3,
           scheduled_assignment_id=tt.rus5.id, teacher_id=a.teacher.id)
    db.session.commit()
    message = refused(tt, a.other_class, [(TUE, 3, tt.math6.id, None)], today=date(2026, 11, 1))
    assert "10.11.2026" in message
    # a change in the past does not hold the timetable back
    save(tt, a.other_class, [(TUE, 3, tt.math6.id, None)], today=date(2026, 11, 11))


def test_grid_warns_about_a_change_left_without_its_lesson(tt):
    a = tt.a
    save(tt, a.klass, [(TUE, 3, tt.rus5.id, tt.r101.id)])
    change(tt, date=TUE_10_11, kind="cancel", class_id=a.klass.id, number=3, scheduled_assignment_id=tt.rus5.id)
    db.session.commit()
    result = save(tt, a.klass, [(TUE, 4, tt.rus5.id, tt.r101.id)], today=date(2026, 11, 1))
    assert any("10.11.2026" in w and "больше нет" in w for w in result.warnings)


def test_an_assignment_in_the_timetable_cannot_be_deleted_or_moved(tt):
    a = tt.a
    save(tt, a.klass, [(MON, 1, tt.math5.id, None), (TUE, 1, tt.math5.id, None), (WED, 1, tt.rus5.id, None)])
    db.session.delete(db.session.get(TeachingAssignment, tt.math5.id))
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    db.session.rollback()
    assert "стоит в расписании (уроков в неделю: 2)" in str(exc.value)
    db.session.get(TeachingAssignment, tt.rus5.id).class_id = a.other_class.id
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    db.session.rollback()
    assert "сначала уберите её из расписания" in str(exc.value)
    assert db.session.get(TeachingAssignment, tt.rus5.id).class_id == a.klass.id
