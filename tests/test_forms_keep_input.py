"""A form never loses what was typed (issue 15.2): a hand-made page whose save is refused shows the form
again with everything the user sent (the rows he added included), marks the wrong inputs (`is-invalid`)
with their Russian message beside them, and the database is unchanged."""
import re
from datetime import date, time
from decimal import Decimal

from sqlalchemy import func, select

from models import (Attendance, AttendanceCode, Bell, CurriculumLine, MovementItem, MovementOrder, PeriodMark,
                    RolloverStep, SubgroupMember, ThematicPlanTopic, TimetableChange, User, db)
from admin_views.forms import REFUSED
from services.planning import subjects
from services.timetable.weekly import save_class_week
from tests.factories import (EARLY_REASON, actor_of, jr_assignment, jr_attendance, jr_lessons, jr_subject, mv_order,
                             next_snils, pl_assignment, pl_curriculum, pl_plan, pl_subject)
from tests.conftest import TEST_PASSWORD
from tests.helpers import week_of
from tests.timetable_fixtures import TUE, build_timetable_world, entries_of


def marked(html, name):
    """The input (or select) `name` carries is-invalid, and a message follows it."""
    tag = re.search(r'<(input|select)[^>]*name="%s"[^>]*>' % re.escape(name), html)
    assert tag is not None, f"no input {name}"
    return "is-invalid" in tag.group(0)


def input_value(html, name):
    tag = re.search(r'<input[^>]*name="%s"[^>]*>' % re.escape(name), html)
    assert tag is not None, f"no input {name}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def selected(html, name):
    block = re.search(r'<select[^>]*name="%s"[^>]*>(.*?)</select>' % re.escape(name), html, re.S)
    assert block is not None, f"no select {name}"
    option = re.search(r'<option value="([^"]*)"\s*selected', block.group(1))
    return option.group(1) if option else None


# -- «Предметы и часы» of a curriculum ------------------------------------------------------------

def _curriculum_lines(plan_id):
    db.session.expire_all()
    return sorted((line.subject.name, line.component, line.hours_per_week) for line in db.session.scalars(
        select(CurriculumLine).where(CurriculumLine.curriculum_id == plan_id)))


def test_curriculum_lines_keep_every_edit_and_the_new_row_after_a_bad_value(world, browser):
    a = world.a
    math, russian, physics = (pl_subject(a.org, n) for n in ("Математика", "Русский язык", "Физика"))
    plan = pl_curriculum(a.org, a.year, 5, [(math, 5), (russian, 4)], max_hours=20)
    db.session.commit()
    lines = {line.subject_id: line.id for line in plan.lines}
    before = _curriculum_lines(plan.id)
    b = browser()
    b.login("a.deputy")
    resp = b.post(f"/curricula/lines/?id={plan.id}", data={
        "id": plan.id, "do": "save", "version": plan.version,
        f"line-{lines[math.id]}-component": "federal", f"line-{lines[math.id]}-hours": "6",
        f"line-{lines[russian.id]}-component": "federal", f"line-{lines[russian.id]}-hours": "пять",
        "new-0-subject": physics.id, "new-0-component": "school", "new-0-hours": "2",
        "new-1-subject": "", "new-1-component": "federal", "new-1-hours": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == REFUSED
    assert input_value(html, f"line-{lines[math.id]}-hours") == "6"
    assert input_value(html, f"line-{lines[russian.id]}-hours") == "пять"
    assert marked(html, f"line-{lines[russian.id]}-hours")
    assert not marked(html, f"line-{lines[math.id]}-hours")
    assert "«пять» — не число часов" in html
    assert selected(html, "new-0-subject") == str(physics.id)
    assert selected(html, "new-0-component") == "school"
    assert input_value(html, "new-0-hours") == "2"
    assert "Учебный план не сохранён" in html
    assert _curriculum_lines(plan.id) == before


def test_curriculum_lines_mark_a_new_row_without_hours_and_keep_its_subject(world, browser):
    a = world.a
    math, physics = (pl_subject(a.org, n) for n in ("Математика", "Физика"))
    plan = pl_curriculum(a.org, a.year, 5, [(math, 5)], max_hours=20)
    db.session.commit()
    line_id = plan.lines[0].id
    b = browser()
    b.login("a.deputy")
    resp = b.post(f"/curricula/lines/?id={plan.id}", data={
        "id": plan.id, "do": "save", "version": plan.version, f"line-{line_id}-hours": "4",
        "new-0-subject": physics.id, "new-0-component": "federal", "new-0-hours": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == REFUSED
    assert marked(html, "new-0-hours") and "Укажите часы в неделю" in html
    assert selected(html, "new-0-subject") == str(physics.id)
    assert input_value(html, f"line-{line_id}-hours") == "4"
    assert _curriculum_lines(plan.id) == [("Математика", "federal", Decimal("5.0"))]


# -- «Причины пропусков» ----------------------------------------------------------------------------

def _absence_scene(world):
    a = world.a
    subject = jr_subject(a.org, "Математика")
    lessons = jr_lessons(jr_assignment(a.org, a.year, a.klass, a.teacher, subject), a.period,
                         [date(2026, 11, 13), date(2026, 11, 16)])
    rows = [jr_attendance(lessons[0], a.student, "н"), jr_attendance(lessons[0], a.classmate, "н"),
            jr_attendance(lessons[1], a.classmate, "н")]
    db.session.commit()
    return rows


def _reasons(ids):
    db.session.expire_all()
    return [(row.code.code, row.reason_note, row.document_date) for row in
            (db.session.get(Attendance, i) for i in ids)]


def _absence_post(rows, typed):
    data = {}
    for row, (code, note, doc) in zip(rows, typed):
        data.update({f"code-{row.id}": code, f"note-{row.id}": note, f"doc-{row.id}": doc,
                     f"orig-{row.id}": "н||", f"v-{row.id}": row.version})
    return data


def test_absence_reasons_keep_the_right_rows_beside_a_refused_one(world, browser):
    rows = _absence_scene(world)
    ids = [row.id for row in rows]
    before = _reasons(ids)
    b = browser()
    b.login("a.class_teacher")
    url = f"/absences/{world.a.klass.id}/?start=2026-11-09&end=2026-11-20"
    typed = [("б", "справка № 17", "16.11.2026"), ("у", "", ""), ("б", "справка № 18", "")]
    resp = b.post(url, data=_absence_post(rows, typed))
    html = resp.get_data(as_text=True)
    assert resp.status_code == REFUSED
    first, bad, third = ids
    assert selected(html, f"code-{first}") == "б" and input_value(html, f"note-{first}") == "справка № 17"
    assert input_value(html, f"doc-{first}") == "16.11.2026"
    assert selected(html, f"code-{third}") == "б" and input_value(html, f"note-{third}") == "справка № 18"
    assert selected(html, f"code-{bad}") == "у" and marked(html, f"note-{bad}")
    assert not marked(html, f"note-{first}") and not marked(html, f"code-{third}")
    assert "укажите документ (справку, заявление) или его дату" in html
    assert _reasons(ids) == before
    # sent again as it is shown, once the wrong row is put right, every row is saved
    again = dict(re.findall(r'<input type="hidden" name="((?:orig|v)-\d+)" value="([^"]*)"', html))
    typed[1] = ("у", "заявление родителей", "")
    resp = b.post(url, data={**_absence_post(rows, typed), **again})
    assert resp.status_code == 302
    assert [code for code, _, _ in _reasons(ids)] == ["б", "у", "б"]


def test_absence_reasons_keep_every_row_beside_a_document_date_that_is_no_date(world, browser):
    rows = _absence_scene(world)
    ids = [row.id for row in rows]
    before = _reasons(ids)
    b = browser()
    b.login("a.class_teacher")
    url = f"/absences/{world.a.klass.id}/?start=2026-11-09&end=2026-11-20"
    typed = [("б", "справка", "31.02.2026"), ("н", "", ""), ("б", "справка № 2", "17.11.2026")]
    html = b.post(url, data=_absence_post(rows, typed)).get_data(as_text=True)
    assert marked(html, f"doc-{ids[0]}") and input_value(html, f"doc-{ids[0]}") == "31.02.2026"
    assert input_value(html, f"doc-{ids[2]}") == "17.11.2026" and selected(html, f"code-{ids[2]}") == "б"
    assert _reasons(ids) == before


# -- КТП: the topics ------------------------------------------------------------------------------

def _topics(plan_id):
    db.session.expire_all()
    return [(t.title, t.hours) for t in db.session.scalars(
        select(ThematicPlanTopic).where(ThematicPlanTopic.plan_id == plan_id).order_by(ThematicPlanTopic.position))]


def test_ktp_topics_keep_every_row_and_the_new_ones_after_bad_hours(world, browser):
    a = world.a
    english = pl_subject(a.org, "Английский язык")
    plan = pl_plan(a.org, a.year, a.teacher, english, 5, "Английский, 5 класс", [("Тема 1", 2), ("Тема 2", 1)])
    db.session.commit()
    before = _topics(plan.id)
    b = browser()
    b.login("a.teacher")
    resp = b.post(f"/ktp/topics/?id={plan.id}", data={
        "id": plan.id, "do": "save", "version": plan.version,
        "title-1": "Знакомство", "hours-1": "3", "title-2": "Тема 2", "hours-2": "два",
        "title-3": "Новая тема", "hours-3": "1", "homework-3": "§5", "title-4": "", "hours-4": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == REFUSED
    assert input_value(html, "title-1") == "Знакомство" and input_value(html, "hours-1") == "3"
    assert input_value(html, "hours-2") == "два" and marked(html, "hours-2") and not marked(html, "title-2")
    assert input_value(html, "title-3") == "Новая тема" and input_value(html, "homework-3") == "§5"
    assert "Часы — целое число" in html
    assert _topics(plan.id) == before


# -- «Составление расписания»: a class's week ------------------------------------------------------

def test_the_timetable_grid_keeps_every_cell_and_marks_the_clashing_one(world, browser):
    tt = build_timetable_world(world)
    a = tt.a
    save_class_week(tt.deputy, a.other_class.id, 1, [(TUE, 1, tt.math6.id, tt.r201.id)], today=date(2026, 9, 1))
    db.session.commit()
    before = entries_of(a.klass)
    b = browser()
    b.login("a.deputy")
    resp = b.post("/timetable/grid/", data={
        "class_id": a.klass.id, "shift": "1", "week": week_of(b, a.klass),
        "c-1-1-0-a": tt.rus5.id, "c-1-1-0-r": tt.r101.id,  # right
        "c-2-1-0-a": tt.math5.id, "c-2-1-0-r": tt.r102.id,  # the teacher is in 6Б then
        "c-3-2-0-a": tt.eng5_1.id, "c-3-2-0-r": tt.r102.id})  # right
    html = resp.get_data(as_text=True)
    assert resp.status_code == REFUSED
    assert selected(html, "c-1-1-0-a") == str(tt.rus5.id) and selected(html, "c-1-1-0-r") == str(tt.r101.id)
    assert selected(html, "c-3-2-0-a") == str(tt.eng5_1.id)
    assert selected(html, "c-2-1-0-a") == str(tt.math5.id) and marked(html, "c-2-1-0-a")
    assert not marked(html, "c-1-1-0-a") and not marked(html, "c-3-2-0-a")
    assert "уже ведёт урок во вторник, 1-й урок, в 6Б" in html
    assert entries_of(a.klass) == before


# -- «Итоговые отметки» ----------------------------------------------------------------------------

def _final_marks(a):
    db.session.expire_all()
    return sorted(db.session.execute(select(PeriodMark.student_id, PeriodMark.kind, PeriodMark.value)
                                     .where(PeriodMark.subject_id == a.math.id)).all())


def test_the_finals_sheet_keeps_the_right_marks_beside_a_wrong_one(fw, browser):
    a = fw
    before = _final_marks(a)
    b = browser()
    b.login("a.teacher")
    resp = b.post(f"/finals/{a.klass.id}/{a.math.id}/", data={
        f"{a.student.id}:year": "5", f"o:{a.student.id}:year": "",
        f"{a.classmate.id}:year": "7", f"o:{a.classmate.id}:year": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert input_value(html, f"{a.student.id}:year") == "5" and not marked(html, f"{a.student.id}:year")
    assert input_value(html, f"{a.classmate.id}:year") == "7" and marked(html, f"{a.classmate.id}:year")
    assert "«7» — недопустимая отметка" in html
    assert _final_marks(a) == before


# -- «Подгруппы»: the split of a class ----------------------------------------------------------

def _members(period):
    db.session.expire_all()
    return dict(db.session.execute(select(SubgroupMember.student_id, SubgroupMember.subgroup_id)
                                   .where(SubgroupMember.period_id == period.id)).all())


def _radio_checked(html, name, value):
    tag = re.search(r'<input[^>]*name="%s" value="%s"[^>]*>' % (re.escape(name), value), html, re.S)
    assert tag is not None, f"no radio {name}={value}"
    return " checked" in tag.group(0)


def test_the_subgroup_split_keeps_the_ticks_and_marks_the_student_left_out(world, browser):
    a = world.a
    english = pl_subject(a.org, "Английский язык")
    pl_curriculum(a.org, a.year, 5, [(english, 3)], max_hours=29)
    pl_assignment(a.org, a.klass, english, a.teacher)
    db.session.commit()
    g1, g2 = subjects.create_subgroups(actor_of("a.deputy"), a.klass, english, 2)
    db.session.commit()
    b = browser()
    b.login("a.class_teacher")
    url = (f"/subgroups/?year_id={a.year.id}&class_id={a.klass.id}&subject_id={english.id}"
           f"&period_id={a.period.id}")
    resp = b.post(url, data={"do": "save", f"member-{a.student.id}": g2.id})
    html = resp.get_data(as_text=True)
    assert resp.status_code == REFUSED
    assert _radio_checked(html, f"member-{a.student.id}", g2.id)
    assert not _radio_checked(html, f"member-{a.student.id}", g1.id)
    assert "is-invalid" in re.search(r'<input[^>]*name="member-%d"[^>]*>' % a.classmate.id, html).group(0)
    assert "Выберите подгруппу" in html and "не распределены" in html
    assert _members(a.period) == {}


# -- the movement book: a new student's card, the students of an order ----------------------------

def test_an_enrollment_card_keeps_what_was_typed_and_marks_the_bad_date(world, mv_browser):
    a = world.a
    order = mv_order(a.org, "enrollment", date(2026, 11, 9), apply=False)
    hr = mv_browser("a.hr")
    card = {"id": order.id, "to_class_id": a.klass.id, "last_name": "Морозова", "first_name": "Алина",
            "middle_name": "Сергеевна", "sex": "f", "birth_date": "14.03.2015", "snils": next_snils(),
            "personal_file_number": "М-17", "birth_certificate_date": "31.02.2015"}
    resp = hr.post(f"/movement/orders/card/?id={order.id}", data=card)
    html = resp.get_data(as_text=True)
    assert resp.status_code == REFUSED
    assert input_value(html, "last_name") == "Морозова" and input_value(html, "personal_file_number") == "М-17"
    assert selected(html, "sex") == "f" and selected(html, "to_class_id") == str(a.klass.id)
    assert input_value(html, "birth_certificate_date") == "31.02.2015" and marked(html, "birth_certificate_date")
    assert not marked(html, "last_name")
    assert db.session.scalar(select(func.count(MovementItem.id))) == 0


def test_the_students_to_add_to_an_order_stay_chosen_when_it_is_refused(world, mv_browser):
    a = world.a
    order = mv_order(a.org, "transfer", date(2026, 11, 10), [(a.classmate, a.other_class)], apply=False)
    hr = mv_browser("a.hr")
    resp = hr.post("/movement/orders/items/", data={
        "id": order.id, "do": "add", "student_id": [a.student.id, a.classmate.id], "to_class_id": a.other_class.id,
        "note": "по заявлению родителей"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == REFUSED
    assert "уже есть в этом приказе" in html
    assert re.search(r'<option value="%d" selected>' % a.student.id, html)
    assert selected(html, "to_class_id") == str(a.other_class.id)
    assert input_value(html, "note") == "по заявлению родителей"
    db.session.expire_all()
    assert [item.student_id for item in db.session.get(MovementOrder, order.id).items] == [a.classmate.id]
    resp = hr.post("/movement/orders/items/", data={"id": order.id, "do": "add", "to_class_id": a.other_class.id})
    assert marked(resp.get_data(as_text=True), "student_id")


# -- the year rollover: the transfer order's number and date ----------------------------------------

def test_the_rollover_transfer_keeps_the_order_number_and_marks_the_bad_date(rollover_school, ro_browser):
    a = rollover_school
    b = ro_browser("a.admin")
    b.post(f"/rollover/step/1/?year_id={a.year.id}")
    b.post(f"/rollover/step/2/?year_id={a.year.id}", data={"confirm": "2026/2027", "reason": EARLY_REASON})
    b.post(f"/rollover/step/3/?year_id={a.year.id}")
    resp = b.post(f"/rollover/step/4/?year_id={a.year.id}", data={"order_number": "45-у", "order_date": "32.05.2027"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == REFUSED
    assert input_value(html, "order_number") == "45-у" and not marked(html, "order_number")
    assert input_value(html, "order_date") == "32.05.2027" and marked(html, "order_date")
    assert "Дата приказа указывается в виде дд.мм.гггг" in html
    assert db.session.scalar(select(func.count(RolloverStep.id)).where(RolloverStep.step == 4)) == 0
    assert db.session.scalar(select(func.count(MovementOrder.id))) == 0


# -- the password change: the input marked, no password sent back ----------------------------------

def _password_hash(login):
    db.session.expire_all()
    return db.session.scalar(select(User.password_hash).where(User.login == login))


def test_the_password_change_marks_the_input_it_refuses_and_echoes_no_password(world, browser):
    b = browser()
    b.login("a.teacher")
    before = _password_hash("a.teacher")
    resp = b.post("/change-password", data={"old_password": TEST_PASSWORD, "new_password": "qwerty123",
                                            "confirm_password": "qwerty123"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert marked(html, "new_password") and not marked(html, "old_password")
    assert not re.search(r'type="password"[^>]*value=', html) and TEST_PASSWORD not in html
    resp = b.post("/change-password", data={"old_password": "не тот", "new_password": "тихий-клён-вокзал",
                                            "confirm_password": "тихий-клён-вокзал"})
    assert marked(resp.get_data(as_text=True), "old_password")
    assert _password_hash("a.teacher") == before


# -- a model view's form (bells): Flask-Admin shows what was typed, the refusal marks its field ---------

def test_a_refused_bell_keeps_the_form_and_marks_the_clashing_time(world, browser):
    a = world.a
    db.session.add(Bell(org_id=a.org.id, shift=2, number=1, starts_at=time(13, 30), ends_at=time(14, 10)))
    db.session.commit()
    b = browser()
    b.login("a.deputy")
    resp = b.post("/bells/new/", data={"shift": "2", "number": "2", "starts_at": "14:00", "ends_at": "14:40"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert input_value(html, "starts_at") == "14:00" and input_value(html, "ends_at") == "14:40"
    assert marked(html, "starts_at") and not marked(html, "ends_at")
    assert "Время пересекается с 1-м уроком (13:30–14:10)" in html
    assert db.session.scalar(select(func.count(Bell.id))) == 1


def test_a_refused_timetable_change_marks_the_busy_teacher(world, browser):
    tt = build_timetable_world(world)
    a = tt.a
    save_class_week(tt.deputy, a.klass.id, 1, [(TUE, 1, tt.rus5.id, tt.r102.id)], today=date(2026, 9, 1))
    save_class_week(tt.deputy, a.other_class.id, 1, [(TUE, 1, tt.math6.id, tt.r201.id)], today=date(2026, 9, 1))
    db.session.commit()
    b = browser()
    b.login("a.deputy")
    resp = b.post("/timetable-changes/new/", data={
        "date": "10.11.2026", "klass": a.klass.id, "number": "1", "kind": "replace",
        "scheduled_assignment": tt.rus5.id, "teacher": a.teacher.id, "reason": "болезнь"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "уже ведёт урок 10.11.2026 (вторник), 1-й урок, в 6Б" in html
    assert marked(html, "teacher") and not marked(html, "date")
    assert input_value(html, "date") == "10.11.2026" and input_value(html, "reason") == "болезнь"
    assert db.session.scalar(select(func.count(TimetableChange.id))) == 0


# -- a report's parameters: what was typed stays, the wrong one is marked -----------------------------

def test_a_report_form_keeps_its_parameters_and_marks_the_bad_date(world, browser):
    b = browser()
    b.login("a.class_teacher")
    resp = b.get(f"/reports/class-attendance/?class={world.a.klass.id}&from=31.02.2026&to=20.11.2026")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "не дата" in html
    assert input_value(html, "from") == "31.02.2026" and marked(html, "from")
    assert input_value(html, "to") == "20.11.2026" and not marked(html, "to")


def test_a_refused_attendance_code_keeps_the_form_and_marks_the_taken_code(world, browser):
    b = browser()
    b.login("a.admin")
    resp = b.post("/attendance-codes/new/", data={"code": "Н", "name": "Отсутствовал", "kind": "absent",
                                                  "sort_order": "7"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Отметка «н» уже есть" in html
    assert marked(html, "code") and not marked(html, "name")
    assert input_value(html, "name") == "Отсутствовал" and input_value(html, "sort_order") == "7"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(AttendanceCode.id)).where(
        AttendanceCode.code == "н", AttendanceCode.org_id == world.a.org.id)) == 1


def test_a_refused_movement_order_keeps_the_form_and_marks_the_taken_number(world, mv_browser):
    a = world.a
    mv_order(a.org, "transfer", date(2026, 11, 9), number="101", apply=False)
    hr = mv_browser("a.hr")
    resp = hr.post("/movement/orders/new/", data={"kind": "transfer", "number": "101", "order_date": "10.11.2026",
                                                   "effective_date": "", "note": "по заявлениям родителей"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Приказ № 101 за 2026 год уже есть" in html
    assert marked(html, "number") and not marked(html, "order_date")
    assert input_value(html, "order_date") == "10.11.2026" and "по заявлениям родителей" in html
    assert db.session.scalar(select(func.count(MovementOrder.id))) == 1
