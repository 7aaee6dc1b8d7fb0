"""No silent lost update where a user types (issue 12, point 1): two sessions open the same record,
the test decides who saves when; the second save, made from an older page, is refused with a
Russian message and never written over the first. Through the Flask test client, as browsers do;
on SQLite and PostgreSQL."""
import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from models import Lesson, MovementOrder, Student, Task, TimetableEntry, db
from services import versions
from services.journal.grid_save import save_entries
from tests.factories import actor_of, mv_order, pl_curriculum, pl_subject
from tests.helpers import flashes, form_of, open_browser, post_form, russian_page, week_of
from tests.journal_rules_fixtures import add_task, journal_world
from tests.timetable_fixtures import MON, TUE, build_timetable_world, entries_of
from sqlalchemy.orm.exc import StaleDataError
from services.planning import curriculum

CONFLICT = "пока вы работали, эти записи изменил другой пользователь"


# -- the journal grid: lessons and tasks ---------------------------------------------------------------

@pytest.fixture
def jw(world):
    return journal_world(world)


def open_grid(b, jw):
    """What static/journal.js knows after loading the grid: {lesson id: version}, {task id: version}."""
    html = b.get(f"/journal/{jw.assignment.id}/?period={jw.a.period.id}").get_data(as_text=True)
    lessons = {int(i): int(v) for i, v in re.findall(r'data-lesson-row="(\d+)" data-v="(\d+)"', html)}
    tasks = {int(i): int(v) for i, v in re.findall(r'data-task-id="(\d+)" data-v="(\d+)"', html)}
    assert lessons, "the grid shows no lesson"
    return lessons, tasks


def save(b, jw, **payload):
    """A save as static/journal.js posts it: per lesson or task, its version and the changed fields."""
    return b.post(f"/journal/{jw.assignment.id}/save", headers={"X-Requested-With": "fetch"},
                  data={"payload": json.dumps(payload), "period_id": jw.a.period.id})


def teacher(browser):
    return open_browser(browser, "a.teacher")


def lesson_of(jw):
    db.session.expire_all()
    return db.session.get(Lesson, jw.lessons[0].id)


def assert_refused(resp):
    answer = resp.get_json()
    assert resp.status_code == 409 and answer["conflict"] and not answer["ok"], answer
    assert CONFLICT in answer["message"] and "запись уже изменена другим пользователем" in answer["message"]


def test_a_homework_saved_from_an_older_page_does_not_revert_the_topic(jw, browser):
    lesson_id = jw.lessons[0].id
    a, b = teacher(browser), teacher(browser)  # two tabs of one teacher
    seen_a, _ = open_grid(a, jw)
    seen_b, _ = open_grid(b, jw)
    resp = save(a, jw, lessons=[{"lesson_id": lesson_id, "version": seen_a[lesson_id], "topic": "Дроби"}])
    assert resp.get_json()["ok"], resp.get_json()
    resp = save(b, jw, lessons=[{"lesson_id": lesson_id, "version": seen_b[lesson_id], "homework": "№ 5"}])
    assert_refused(resp)
    assert (lesson_of(jw).topic, lesson_of(jw).homework) == ("Дроби", None)

    # B takes the page again (the conflict's button does) and saves his homework: both are kept.
    seen_b, _ = open_grid(b, jw)
    resp = save(b, jw, lessons=[{"lesson_id": lesson_id, "version": seen_b[lesson_id], "homework": "№ 5"}])
    assert resp.get_json()["ok"], resp.get_json()
    assert (lesson_of(jw).topic, lesson_of(jw).homework) == ("Дроби", "№ 5")


def test_a_topic_typed_on_an_older_page_is_refused_not_written_over(jw, browser):
    lesson_id = jw.lessons[0].id
    a, b = teacher(browser), teacher(browser)
    seen_a, _ = open_grid(a, jw)
    seen_b, _ = open_grid(b, jw)
    assert save(a, jw, lessons=[{"lesson_id": lesson_id, "version": seen_a[lesson_id],
                                 "topic": "Сложение дробей"}]).get_json()["ok"]
    assert_refused(save(b, jw, lessons=[{"lesson_id": lesson_id, "version": seen_b[lesson_id],
                                         "topic": "Вычитание дробей"}]))
    assert lesson_of(jw).topic == "Сложение дробей"


def test_a_lesson_item_with_only_the_homework_keeps_the_topic(jw, browser):
    lesson_id = jw.lessons[0].id
    save_entries(actor_of("a.teacher"), jw.assignment.id, {"lessons": [{"lesson_id": lesson_id, "topic": "Дроби",
                                                                        "attendance_taken": True}]})
    b = teacher(browser)
    seen, _ = open_grid(b, jw)
    resp = save(b, jw, lessons=[{"lesson_id": lesson_id, "version": seen[lesson_id], "homework": "№ 7"}])
    assert resp.get_json()["ok"], resp.get_json()
    lesson = lesson_of(jw)
    assert (lesson.topic, lesson.homework, lesson.attendance_taken) == ("Дроби", "№ 7", True)


def test_a_page_without_the_lesson_version_is_not_saved(jw, browser):
    """A lesson item always carries the version its page showed (an old script of the page does not)."""
    resp = save(teacher(browser), jw, lessons=[{"lesson_id": jw.lessons[0].id, "topic": "Дроби"}])
    assert resp.status_code == 400 and "версия урока" in resp.get_json()["message"]
    assert lesson_of(jw).topic is None


def test_a_task_topic_from_an_older_page_does_not_put_its_weight_back(jw, browser):
    task_id = add_task(jw)
    a, b = teacher(browser), teacher(browser)
    _, tasks_a = open_grid(a, jw)
    _, tasks_b = open_grid(b, jw)
    assert save(a, jw, tasks=[{"task_id": task_id, "version": tasks_a[task_id], "weight": "2"}]).get_json()["ok"]
    assert_refused(save(b, jw, tasks=[{"task_id": task_id, "version": tasks_b[task_id], "topic": "Устный счёт"}]))
    db.session.expire_all()
    task = db.session.get(Task, task_id)
    assert (task.weight, task.topic) == (Decimal("2"), None)

    _, tasks_b = open_grid(b, jw)  # taken again: the topic goes in, the weight stays
    resp = save(b, jw, tasks=[{"task_id": task_id, "version": tasks_b[task_id], "topic": "Устный счёт"}])
    assert resp.get_json()["ok"], resp.get_json()
    db.session.expire_all()
    task = db.session.get(Task, task_id)
    assert (task.weight, task.topic) == (Decimal("2"), "Устный счёт")


def test_a_task_deleted_meanwhile_is_a_conflict(jw, browser):
    task_id = add_task(jw)
    a, b = teacher(browser), teacher(browser)
    _, tasks_a = open_grid(a, jw)
    _, tasks_b = open_grid(b, jw)
    assert save(a, jw, tasks=[{"task_id": task_id, "version": tasks_a[task_id], "delete": True}]).get_json()["ok"]
    resp = save(b, jw, tasks=[{"task_id": task_id, "version": tasks_b[task_id], "weight": "3"}])
    assert resp.status_code == 409 and "уже удалена другим пользователем" in resp.get_json()["message"]


def test_the_grid_page_gives_every_lesson_and_task_its_version(jw, browser):
    task_id = add_task(jw)
    lessons, tasks = open_grid(teacher(browser), jw)
    assert lessons == {lesson.id: 1 for lesson in jw.lessons} and tasks == {task_id: 1}


# -- Flask-Admin cards ------------------------------------------------------------------------------------

def test_a_student_card_saved_from_an_older_form_is_refused(world, browser):
    a = world.a
    url = f"/students/edit/?id={a.student.id}"
    hr, admin = open_browser(browser, "a.hr"), open_browser(browser, "a.admin")
    form_hr, form_admin = form_of(hr.get(url)), form_of(admin.get(url))
    assert dict(form_hr)["_version"] == str(a.student.version)
    resp = post_form(hr, url, form_hr, {"address": "г. Заречный, ул. Мира, 1"}, follow_redirects=True)
    assert "Запись была сохранена" in flashes(resp)
    resp = post_form(admin, url, form_admin, {"social_status": "многодетная семья"}, follow_redirects=True)
    assert "Запись изменена другим пользователем" in flashes(resp) and "Откройте её заново" in flashes(resp)
    db.session.expire_all()
    student = db.session.get(Student, a.student.id)
    assert (student.address, student.social_status) == ("г. Заречный, ул. Мира, 1", None)

    # The refused form keeps the version it was made from: sent again, it is refused again.
    resp = post_form(admin, url, form_of(resp), {}, follow_redirects=True)
    assert "Запись изменена другим пользователем" in flashes(resp)
    # Opened again, it saves over the current card.
    resp = post_form(admin, url, form_of(admin.get(url)), {"social_status": "многодетная семья"},
                     follow_redirects=True)
    assert "Запись была сохранена" in flashes(resp)
    db.session.expire_all()
    student = db.session.get(Student, a.student.id)
    assert (student.address, student.social_status) == ("г. Заречный, ул. Мира, 1", "многодетная семья")


def test_an_order_saved_from_an_older_form_is_refused(world, browser):
    a = world.a
    order = mv_order(a.org, "transfer", a.period.start_date, apply=False, note="первый вариант")
    db.session.commit()
    url = f"/movement/orders/edit/?id={order.id}"
    first, second = open_browser(browser, "a.hr"), open_browser(browser, "a.admin")
    form_first, form_second = form_of(first.get(url)), form_of(second.get(url))
    post_form(first, url, form_first, {"note": "исправлен номер", "number": "77"})
    resp = post_form(second, url, form_second, {"note": "второй вариант"}, follow_redirects=True)
    assert "Запись изменена другим пользователем" in flashes(resp)
    db.session.expire_all()
    order = db.session.get(MovementOrder, order.id)
    assert (order.number, order.note) == ("77", "исправлен номер")


@pytest.mark.real_commits  # another connection commits meanwhile
def test_a_save_between_the_check_and_the_write_fails_its_update(world):
    """The version check is also the UPDATE's condition: a change committed after the form's
    version was compared still stops the write (StaleDataError), on any database."""
    student = db.session.get(Student, world.a.student.id)
    seen = student.version
    with db.engine.begin() as other:  # another user's save, committed meanwhile
        other.execute(text("UPDATE student SET address = 'другой', version = version + 1 WHERE id = :id"),
                      {"id": student.id})
    versions.claim(student, seen)  # the loaded copy still says `seen`
    student.address = "мой"
    with pytest.raises(Exception) as refused:
        db.session.flush()
    db.session.rollback()
    assert type(refused.value).__name__ == "StaleDataError"
    assert db.session.get(Student, student.id).address == "другой"


# -- hand-made pages: the curriculum lines, the timetable grid, absence reasons -----------------------

def test_curriculum_lines_saved_from_an_older_grid_are_refused(world, browser):
    a = world.a
    math = pl_subject(a.org, "Математика")
    plan = pl_curriculum(a.org, a.year, 5, [(math, 5)], max_hours=30)
    db.session.commit()
    line_id = plan.lines[0].id
    url = f"/curricula/lines/?id={plan.id}"
    deputy, admin = open_browser(browser, "a.deputy"), open_browser(browser, "a.admin")
    form_deputy, form_admin = form_of(deputy.get(url)), form_of(admin.get(url))
    resp = post_form(deputy, url, form_deputy, {f"line-{line_id}-hours": "6", "do": "save"}, follow_redirects=True)
    assert "Учебный план сохранён" in flashes(resp)
    resp = post_form(admin, url, form_admin, {f"line-{line_id}-hours": "4", "do": "save"}, follow_redirects=True)
    assert "Запись изменена другим пользователем" in flashes(resp)
    db.session.expire_all()
    assert db.session.get(type(plan), plan.id).lines[0].hours_per_week == Decimal("6")


def test_a_timetable_grid_saved_from_an_older_week_is_refused(world, browser):
    tt = build_timetable_world(world)
    a = tt.a
    db.session.commit()
    deputy, admin = open_browser(browser, "a.deputy"), open_browser(browser, "a.admin")
    week_deputy, week_admin = week_of(deputy, a.klass), week_of(admin, a.klass)
    resp = deputy.post("/timetable/grid/", data={"class_id": a.klass.id, "shift": "1", "week": week_deputy,
                                                 "c-1-1-0-a": tt.math5.id, "c-1-1-0-r": tt.r101.id})
    assert resp.status_code == 302
    resp = admin.post("/timetable/grid/", data={"class_id": a.klass.id, "shift": "1", "week": week_admin,
                                                "c-2-1-0-a": tt.rus5.id, "c-2-1-0-r": tt.r102.id},
                      follow_redirects=True)
    assert "Запись изменена другим пользователем" in flashes(resp)
    assert entries_of(a.klass) == [(MON, 1, tt.math5.id, tt.r101.id)]
    # the page shows the week as it is now, with its token: saved from it, it goes in
    resp = admin.post("/timetable/grid/", data={"class_id": a.klass.id, "shift": "1", "week": week_of(admin, a.klass),
                                                "c-2-1-0-a": tt.rus5.id, "c-2-1-0-r": tt.r102.id})
    assert resp.status_code == 302 and entries_of(a.klass) == [(TUE, 1, tt.rus5.id, tt.r102.id)]
    assert db.session.scalar(select(TimetableEntry.id).where(TimetableEntry.class_id == a.other_class.id)) is None


def test_an_absence_reason_for_an_attendance_changed_meanwhile_is_refused(jw, browser):
    lesson = jw.lessons[0]
    save_entries(actor_of("a.teacher"), jw.assignment.id, {"attendance": [
        {"lesson_id": lesson.id, "student_id": jw.a.student.id, "code": "н"}]})
    url = f"/absences/{jw.a.klass.id}/?start=2026-11-01&end=2026-11-20"
    class_teacher = open_browser(browser, "a.class_teacher")
    fields = form_of(class_teacher.get(url))
    row_id = next(int(k[5:]) for k, _ in fields if k.startswith("code-"))
    # the teacher corrects the roll call: «б» (ill), not «н»
    teacher_page = teacher(browser)
    version = db.session.scalar(text("SELECT version FROM attendance WHERE id = :id"), {"id": row_id})
    assert save(teacher_page, jw, attendance=[{"lesson_id": lesson.id, "student_id": jw.a.student.id, "code": "б",
                                               "version": version}]).get_json()["ok"]
    resp = post_form(class_teacher, url, fields, {f"code-{row_id}": "у", f"note-{row_id}": "заявление"})
    assert "запись изменил другой пользователь" in resp.get_data(as_text=True)
    assert db.session.scalar(text("SELECT c.code FROM attendance a JOIN attendance_code c ON c.id = a.code_id "
                                  "WHERE a.id = :id"), {"id": row_id}) == "б"


def test_two_saves_that_meet_at_their_update_get_the_russian_conflict_page(world, browser, monkeypatch):
    """A StaleDataError (the second of two saves made from one version, refused by its UPDATE …
    WHERE version = …) from a hand-made page is the 409 page in Russian, nothing saved."""


    def racing(*args, **kwargs):
        raise StaleDataError("UPDATE statement on table 'curriculum' expected to update 1 row(s); 0 were matched.")
    a = world.a
    plan = pl_curriculum(a.org, a.year, 5, [(pl_subject(a.org, "Математика"), 5)], max_hours=30)
    db.session.commit()
    monkeypatch.setattr(curriculum, "save_lines", racing)
    deputy = open_browser(browser, "a.deputy")
    url = f"/curricula/lines/?id={plan.id}"
    html = russian_page(post_form(deputy, url, form_of(deputy.get(url)), {"do": "save"}), 409, "Запись изменена")
    assert "Запись изменена другим пользователем" in html and "StaleDataError" not in html
