"""The timetable pages as a browser uses them: the grid editor, the views by class, teacher and room
for every role, the .xlsx, the lessons page, changes and exams through their forms."""
import io
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from models import ExamEntry, Lesson, SubgroupMember, TimetableChange, db
from services import clock
from services.timetable.weekly import save_class_week
from tests.helpers import week_of
from tests.querycount import count_queries
from tests.timetable_fixtures import MON, TUE, WED, build_timetable_world, entries_of


@pytest.fixture
def tt(world):
    ns = build_timetable_world(world)
    a = ns.a
    save_class_week(ns.deputy, a.klass.id, 1, [
        (MON, 1, ns.math5.id, ns.r101.id), (MON, 2, ns.eng5_1.id, ns.r101.id), (MON, 2, ns.eng5_2.id, ns.r102.id),
        (TUE, 1, ns.rus5.id, ns.r102.id)], today=date(2026, 9, 1))
    save_class_week(ns.deputy, a.other_class.id, 1, [(MON, 1, ns.rus6.id, ns.r201.id),
                                                     (TUE, 1, ns.math6.id, ns.r201.id)], today=date(2026, 9, 1))
    # Пётр (a.student) is in English group 1 this period.
    db.session.add(SubgroupMember(subgroup_id=ns.g1.id, student_id=a.student.id, period_id=a.period.id,
                                  subject_id=ns.eng.id))
    db.session.commit()
    return ns


def page(b, url):
    resp = b.get(url)
    return resp.status_code, resp.get_data(as_text=True)


def login(browser, who):
    b = browser()
    assert b.login(who).status_code == 302
    return b


TEMPLATE = "&template=1"


def grid_of(html):
    """The timetable table of a page (without the menu, the pickers and the styles)."""
    return html.split('tt-grid">', 1)[1].split("</table>", 1)[0]


# -- the grid editor -------------------------------------------------------------------------------

def test_deputy_saves_the_grid_through_the_page(tt, browser):
    a = tt.a
    b = login(browser, "a.deputy")
    status, html = page(b, f"/timetable/grid/?class_id={a.klass.id}")
    assert status == 200 and 'name="c-1-1-0-a"' in html and "Английский язык (1 группа)" in html
    resp = b.post("/timetable/grid/", data={"class_id": a.klass.id, "shift": "1", "week": week_of(b, a.klass),
                                            "c-3-2-0-a": tt.math5.id, "c-3-2-0-r": tt.r201.id,
                                            "c-1-2-0-a": tt.eng5_1.id, "c-1-2-0-r": tt.r101.id,
                                            "c-1-2-1-a": tt.eng5_2.id, "c-1-2-1-r": tt.r102.id})
    assert resp.status_code == 302
    assert entries_of(a.klass) == [(MON, 2, tt.eng5_1.id, tt.r101.id), (MON, 2, tt.eng5_2.id, tt.r102.id),
                                   (WED, 2, tt.math5.id, tt.r201.id)]


def test_saving_a_grid_reminds_to_make_the_lessons_again(tt, browser):
    a = tt.a
    db.session.add(Lesson(org_id=a.org.id, assignment_id=tt.math5.id, date=clock.today() + timedelta(days=1), number=1))
    db.session.commit()
    b = login(browser, "a.deputy")
    resp = b.post("/timetable/grid/", data={"class_id": a.klass.id, "shift": "1", "week": week_of(b, a.klass),
                                            "c-3-2-0-a": tt.math5.id}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "сохранено: добавлено уроков 1, убрано 4" in html and "сформируйте уроки</a> заново" in html


def test_a_refused_grid_keeps_what_was_typed_and_changes_nothing(tt, browser):
    a = tt.a
    before = entries_of(a.klass)
    b = login(browser, "a.deputy")
    resp = b.post("/timetable/grid/", data={"class_id": a.klass.id, "shift": "1", "week": week_of(b, a.klass),
                                            "c-2-1-0-a": tt.math5.id, "c-2-1-0-r": tt.r101.id})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Учитель Учителев Т. П. уже ведёт урок во вторник, 1-й урок, в 6Б" in html
    assert f'<option value="{tt.math5.id}" selected>' in html
    assert entries_of(a.klass) == before


@pytest.mark.parametrize("who", ["a.teacher", "a.class_teacher", "a.director", "a.student", "a.parent", "a.hr"])
def test_only_the_deputy_and_the_administrator_edit_the_grid(tt, browser, who):
    a = tt.a
    before = entries_of(a.klass)
    b = login(browser, who)
    assert b.get(f"/timetable/grid/?class_id={a.klass.id}").status_code == 403
    resp = b.post("/timetable/grid/", data={"class_id": a.klass.id, "shift": "1", "c-5-5-0-a": tt.math5.id})
    assert resp.status_code == 403
    assert entries_of(a.klass) == before
    assert b.get("/timetable/lessons/").status_code == 403


def test_administrator_edits_and_other_organization_cannot(tt, browser):
    a = tt.a
    b = login(browser, "a.admin")
    assert b.get(f"/timetable/grid/?class_id={a.klass.id}").status_code == 200
    other = login(browser, "b.deputy")
    assert other.get(f"/timetable/grid/?class_id={a.klass.id}").status_code == 404
    before = entries_of(a.klass)
    resp = other.post("/timetable/grid/", data={"class_id": a.klass.id, "shift": "1", "c-5-5-0-a": tt.math5.id})
    assert resp.status_code == 404
    assert entries_of(a.klass) == before
    assert other.get(f"/timetable/?by=class&id={a.klass.id}").status_code == 404
    assert other.get(f"/timetable/?by=teacher&id={a.teacher.id}").status_code == 404


def test_grid_page_costs_the_same_whatever_the_class_holds(tt, browser):
    a = tt.a
    b = login(browser, "a.deputy")
    b.get("/")
    with count_queries() as small:
        assert b.get(f"/timetable/grid/?class_id={a.other_class.id}").status_code == 200
    with count_queries() as full:
        assert b.get(f"/timetable/grid/?class_id={a.klass.id}").status_code == 200
    assert len(full) == len(small) <= 20, (len(small), len(full))
    for url in (f"/timetable/?by=class&id={a.klass.id}", "/timetable/?by=all",
                f"/timetable/?by=teacher&id={a.teacher.id}&week=2026-11-09", f"/timetable/?by=all{TEMPLATE}"):
        with count_queries() as view:
            assert b.get(url).status_code == 200
        assert len(view) <= 25, (url, len(view))


# -- the views, per role ------------------------------------------------------------------------------

def test_deputy_sees_every_class_teacher_and_room(tt, browser):
    a = tt.a
    b = login(browser, "a.deputy")
    status, html = page(b, f"/timetable/?by=class&id={a.klass.id}{TEMPLATE}")
    assert status == 200 and "Математика" in html and "Учителев Т. П." in html and "Английский язык (2 группа)" in html
    status, html = page(b, f"/timetable/?by=room&id={tt.r201.id}{TEMPLATE}")
    assert status == 200 and "6Б" in html and "5А" not in grid_of(html)
    status, html = page(b, f"/timetable/?by=all{TEMPLATE}")
    assert status == 200 and "5А" in html and "6Б" in html and "Русский язык" in html


def test_teacher_sees_his_own_lessons_only(tt, browser):
    a = tt.a
    b = login(browser, "a.teacher")
    status, html = page(b, f"/timetable/?{TEMPLATE[1:]}")
    grid = grid_of(html)
    assert status == 200 and "Математика" in grid and "5А" in grid and "6Б" in grid
    assert "Русский язык" not in grid and "Английский" not in grid
    status, html = page(b, f"/timetable/?by=class&id={a.klass.id}{TEMPLATE}")
    grid = grid_of(html)
    assert status == 200 and "Математика" in grid and "Русский язык" not in grid
    assert b.get(f"/timetable/?by=teacher&id={tt.ivanov.id}").status_code == 404
    status, html = page(b, "/timetable/?by=all" + TEMPLATE)  # no summary for him: his own timetable
    assert status == 200 and "Русский язык" not in grid_of(html) and "Математика" in grid_of(html)


def test_class_teacher_sees_all_subjects_of_his_class(tt, browser):
    a = tt.a
    b = login(browser, "a.class_teacher")
    status, html = page(b, f"/timetable/?by=class&id={a.klass.id}{TEMPLATE}")
    grid = grid_of(html)
    assert status == 200 and all(s in grid for s in ("Математика", "Русский язык", "1 группа", "2 группа"))
    assert b.get(f"/timetable/?by=class&id={a.other_class.id}").status_code == 404


@pytest.mark.parametrize("who", ["a.student", "a.parent"])
def test_student_and_parent_see_their_class_and_subgroup(tt, browser, who):
    a = tt.a
    b = login(browser, who)
    status, html = page(b, f"/timetable/{TEMPLATE.replace('&', '?')}")
    grid = grid_of(html)
    assert status == 200 and "Математика" in grid and "Русский язык" in grid
    assert "Английский язык (1 группа)" in grid and "2 группа" not in grid
    assert "6Б" not in grid
    assert b.get(f"/timetable/?by=class&id={a.other_class.id}").status_code == 404
    assert b.get(f"/timetable/?by=teacher&id={a.teacher.id}").status_code == 404
    assert b.get(f"/timetable/?by=class&id={a.klass.id}&format=xlsx").status_code == 403
    if who == "a.parent":
        assert f'<option value="{a.klass.id}" selected>5А (Пётр)</option>' in html
    assert b.get("/timetable/grid/").status_code == 403


def test_week_view_shows_changes_to_those_concerned(tt, browser):
    a = tt.a
    db.session.add(TimetableChange(date=date(2026, 11, 10), kind="replace", class_id=a.klass.id, number=1,
                                   scheduled_assignment_id=tt.rus5.id, teacher_id=tt.ivanov.id,
                                   reason="курсы"))
    db.session.add(TimetableChange(date=date(2026, 11, 9), kind="cancel", class_id=a.klass.id, number=1,
                                   scheduled_assignment_id=tt.math5.id))
    db.session.commit()
    week = "&week=2026-11-10"
    student = login(browser, "a.student")
    _, html = page(student, f"/timetable/?by=class&id={a.klass.id}{week}")
    assert "замена, вместо Классова К. П." in html and "Иванов И. П." in html and "урок отменён" in html
    substitute = login(browser, "a.ivanov")
    _, html = page(substitute, f"/timetable/?by=teacher&id={tt.ivanov.id}{week}")
    assert "Русский язык" in html and "5А" in html
    replaced = login(browser, "a.class_teacher")
    _, html = page(replaced, f"/timetable/?by=teacher&id={a.class_teacher.id}{week}")
    assert "замена: ведёт Иванов И. П." in html
    # the template week knows nothing of dates
    _, html = page(student, f"/timetable/?by=class&id={a.klass.id}{TEMPLATE}")
    assert "замена" not in grid_of(html)


def test_holidays_and_days_off_are_shown_in_the_week(tt, browser):
    b = login(browser, "a.deputy")
    _, html = page(b, f"/timetable/?by=class&id={tt.a.klass.id}&week=2026-11-04")
    assert "нерабочий день" in html  # 04.11, День народного единства


# -- .xlsx -----------------------------------------------------------------------------------------------

def test_xlsx_opens_and_holds_the_timetable(tt, browser):
    a = tt.a
    b = login(browser, "a.deputy")
    resp = b.get(f"/timetable/?by=class&id={a.klass.id}&template=1&format=xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    assert ws["A1"].value == a.org.full_name
    assert ws["A2"].value == "Расписание: Класс 5А"
    assert [ws.cell(4, c).value for c in range(1, 8)] == ["Урок", "Время", "Понедельник", "Вторник", "Среда",
                                                          "Четверг", "Пятница"]
    assert ws["A5"].value == "1" and ws["B5"].value == "08:30–09:10"
    assert ws["C5"].value == "Математика\nУчителев Т. П.\nкаб. 101"
    assert ws["C6"].value == ("Английский язык (1 группа)\nИванов И. П.\nкаб. 101\n\n"
                              "Английский язык (2 группа)\nЗавучева В. П.\nкаб. 102")
    assert ws["D5"].value == "Русский язык\nКлассова К. П.\nкаб. 102"
    assert ws.page_setup.orientation == "landscape"
    # fit to one page wide (fitToWidth 1 is the file format's default, so it is not written), any height
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$4:$4"


def test_teacher_xlsx_holds_only_his_lessons(tt, browser):
    b = login(browser, "a.teacher")
    resp = b.get(f"/timetable/?by=teacher&id={tt.a.teacher.id}&template=1&format=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    values = [str(c.value) for row in ws.iter_rows(min_row=5) for c in row if c.value]
    assert any("Математика" in v and "5А" in v for v in values)
    assert not any("Русский" in v for v in values)


# -- lessons page ---------------------------------------------------------------------------------------

def test_lessons_page_previews_then_generates(tt, browser):
    a = tt.a
    b = login(browser, "a.deputy")
    status, html = page(b, "/timetable/lessons/")
    assert status == 200 and "Сформировать уроки" in html
    resp = b.post("/timetable/lessons/", data={"period_id": a.period.id, "do": "preview"})
    assert "Проверка" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Lesson.id))) == 0
    resp = b.post("/timetable/lessons/", data={"period_id": a.period.id, "do": "generate"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Готово" in html
    assert db.session.scalar(select(func.count(Lesson.id))) > 0
    resp = b.post("/timetable/lessons/", data={"period_id": a.period.id, "do": "generate", "start": "31.02.2026"})
    assert "дд.мм.гггг" in resp.get_data(as_text=True)


def test_conflicts_are_listed_and_can_be_kept_as_hand_made(tt, browser):
    a = tt.a
    b = login(browser, "a.deputy")
    b.post("/timetable/lessons/", data={"period_id": a.period.id, "do": "generate"})
    lesson = db.session.scalar(select(Lesson).where(Lesson.assignment_id == tt.rus5.id).order_by(Lesson.date))
    lesson.homework = "Упр. 5"
    db.session.commit()
    save_class_week(tt.deputy, a.klass.id, 1, [(MON, 1, tt.math5.id, tt.r101.id)], today=date(2026, 9, 1))
    db.session.commit()
    html = b.post("/timetable/lessons/", data={"period_id": a.period.id, "do": "generate"}).get_data(as_text=True)
    assert "Расхождения с расписанием (1)" in html and f'value="{lesson.id}"' in html
    resp = b.post("/timetable/lessons/", data={"period_id": a.period.id, "do": "keep", "lesson_id": lesson.id})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Lesson, lesson.id).from_timetable is False
    html = b.post("/timetable/lessons/", data={"period_id": a.period.id, "do": "generate"}).get_data(as_text=True)
    assert "Расхождений нет" in html


# -- changes and exams through their forms ---------------------------------------------------------

def test_change_form_saves_and_refuses_a_clash(tt, browser):
    a = tt.a
    b = login(browser, "a.deputy")
    assert b.get("/timetable-changes/new/").status_code == 200
    data = {"date": "10.11.2026", "klass": a.klass.id, "number": "1", "kind": "replace",
            "scheduled_assignment": tt.rus5.id, "teacher": a.teacher.id, "reason": "болезнь"}
    resp = b.post("/timetable-changes/new/", data=data, follow_redirects=True)
    assert "Учитель Учителев Т. П. уже ведёт урок 10.11.2026 (вторник), 1-й урок, в 6Б" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(TimetableChange.id))) == 0
    data["teacher"] = tt.ivanov.id
    resp = b.post("/timetable-changes/new/", data=data)
    assert resp.status_code == 302
    change = db.session.scalar(select(TimetableChange))
    assert (change.teacher_id, change.shift, change.org_id) == (tt.ivanov.id, 1, a.org.id)
    with count_queries() as one:
        status, html = page(b, "/timetable-changes/")
    assert status == 200 and "Русский язык" in html and "Иванов И. П." in html and "Классова К. П." in html
    db.session.add_all(TimetableChange(date=date(2026, 11, day), kind="cancel", class_id=a.other_class.id,
                                       number=1, scheduled_assignment_id=tt.rus6.id) for day in (9, 16, 23, 30))
    db.session.commit()
    with count_queries() as five:
        assert b.get("/timetable-changes/").status_code == 200
    assert len(five) == len(one)  # the list loads its relations with the rows
    csv_text = b.get("/timetable-changes/export/csv/").get_data(as_text=True)
    assert "Иванов И. П." in csv_text and "болезнь" in csv_text
    teacher = login(browser, "a.teacher")
    resp = teacher.post("/timetable-changes/new/", data={**data, "date": "17.11.2026"})
    assert resp.status_code == 403
    assert db.session.scalar(select(func.count(TimetableChange.id))) == 5


def test_exam_form_checks_examiner_room_and_group(tt, browser):
    a = tt.a
    b = login(browser, "a.deputy")
    assert b.get("/exams/new/").status_code == 200
    base = {"kind": "exam", "subject": tt.math.id, "klass": a.klass.id, "date": "23.01.2027",
            "starts_at": "09:00", "ends_at": "12:00", "room": tt.r201.id, "examiner": a.teacher.id}
    assert b.post("/exams/new/", data=base).status_code == 302
    clash = {**base, "klass": a.other_class.id, "room": tt.r102.id, "starts_at": "11:00", "ends_at": "13:00"}
    html = b.post("/exams/new/", data=clash, follow_redirects=True).get_data(as_text=True)
    assert "Учителев Т. П. 23.01.2027 с 09:00 до 12:00 уже принимает испытание: 5А, Математика" in html
    clash = {**base, "klass": a.other_class.id, "examiner": tt.ivanov.id}
    html = b.post("/exams/new/", data=clash, follow_redirects=True).get_data(as_text=True)
    assert "Аудитория 201 23.01.2027 с 09:00 до 12:00 уже занята" in html
    clash = {**base, "subject": tt.rus.id, "room": tt.r102.id, "examiner": tt.ivanov.id, "starts_at": "10:00",
             "ends_at": "10:30"}
    html = b.post("/exams/new/", data=clash, follow_redirects=True).get_data(as_text=True)
    assert "У класса 5А 23.01.2027 с 09:00 до 12:00 уже стоит испытание: Математика" in html
    # Tuesday 19.01.2027 has lessons: 5А has Russian at the 1st lesson, Учителев teaches 6Б.
    html = b.post("/exams/new/", data={**base, "date": "19.01.2027"}, follow_redirects=True).get_data(as_text=True)
    assert "У класса 5А 19.01.2027 в это время урок по расписанию (1-й урок, 5А, Русский язык)" in html
    assert "Учителев Т. П. 19.01.2027 в это время ведёт урок (1-й урок, 6Б, Математика)" in html
    assert db.session.scalar(select(func.count(ExamEntry.id))) == 1
    resp = b.get("/exams/xlsx/")
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    assert ws["A1"].value == a.org.full_name and ws["F5"].value == "Математика"
