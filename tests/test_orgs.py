"""Organizations, their first administrators, academic years and periods; classes and groups with
the words of the organization's kind (класс / группа, классный руководитель / куратор)."""
import re
from datetime import date

from sqlalchemy import func, select

from models import (AcademicYear, CalendarDay, Department, Organization, Period, SchoolClass, Specialty,
                    Staff, db)
from services.org.calendar import official_exceptions
from tests.factories import make_org, make_staff, make_student
from tests.helpers import flashes, open_browser


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def menu(page):
    return [re.sub(r"\s+", " ", m).strip()
            for m in re.findall(r'<a class="(?:nav-link|dropdown-item)[^"]*"[^>]*>(.*?)</a>', page, re.S)]


def headers(page):
    return [re.sub(r"<[^>]+>|\s+", " ", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", page, re.S)]


def build_college():
    """A college with one department, specialty and group (ТМ-26, курс 1) with a куратор."""
    org, year, _ = make_org("c", kind="college")
    make_staff(org, "Админов", "Антон", ["admin"], "c.admin")
    curator = make_staff(org, "Кураторова", "Кира", ["teacher"], "c.curator", sex="f")
    dep = Department(org_id=org.id, name="Отделение машиностроения")
    db.session.add(dep)
    db.session.flush()
    spec = Specialty(org_id=org.id, department_id=dep.id, code="15.02.16", name="Технология машиностроения")
    db.session.add(spec)
    db.session.flush()
    group = SchoolClass(org_id=org.id, year_id=year.id, grade=1, name="ТМ-26", class_teacher_id=curator.id,
                        department_id=dep.id, specialty_id=spec.id)
    db.session.add(group)
    db.session.flush()
    make_student(org, group, "Студентов", "Степан", birth=date(2010, 4, 1), passport_series="6524",
                 passport_number="654321")
    db.session.commit()
    return org, year, dep, spec, group, curator


# -- classes and groups: the words follow the organization's kind ---------------------------------


def test_a_college_says_groups_curator_semesters(world, browser):
    org, year, dep, spec, group, curator = build_college()
    admin = open_browser(browser, "c.admin")

    home = admin.get("/").get_data(as_text=True)
    assert "Группы" in menu(home) and "Семестры" in menu(home)
    assert "Классы" not in menu(home)

    listing = admin.get("/classes/").get_data(as_text=True)
    cols = headers(listing)
    assert {"Курс", "Куратор", "Отделение", "Специальность / профессия", "Профиль", "Учебный год"} <= set(cols)
    assert "Классный руководитель" not in listing and "Параллель" not in cols
    assert "ТМ-26" in listing and "Кураторова Кира Петровна" in listing and "15.02.16" in listing
    assert "<h4" in listing and "Группы" in re.search(r"<h4[^>]*>(.*?)</h4>", listing, re.S).group(1)

    form = admin.get("/classes/new/").get_data(as_text=True)
    for label in ("Курс", "Куратор", "Отделение", "Специальность / профессия"):
        assert label in form, label
    resp = admin.post("/classes/new/", data={
        "year": str(year.id), "grade": "2", "name": "ТМ-25", "profile": "технический",
        "class_teacher": str(curator.id), "department": str(dep.id), "specialty": str(spec.id)},
        follow_redirects=True)
    assert "Запись была создана" in flashes(resp)
    made = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "ТМ-25"))
    assert (made.grade, made.department_id, made.specialty_id, made.class_teacher_id, made.org_id) == \
        (2, dep.id, spec.id, curator.id, org.id)

    # A college has курсы 1…6, not grades up to 11.
    before = count(SchoolClass)
    resp = admin.post("/classes/new/", data={"year": str(year.id), "grade": "7", "name": "ТМ-20"},
                      follow_redirects=True)
    assert "Курс — число от 1 до 6" in flashes(resp)
    assert count(SchoolClass) == before

    # The curator sees his group as a «Куратор».
    curator_home = open_browser(browser, "c.curator").get("/").get_data(as_text=True)
    assert "Куратор: ТМ-25, ТМ-26" in curator_home


def test_a_school_says_classes_class_teacher_and_hides_college_columns(world, browser):
    admin = open_browser(browser, "a.admin")
    home = admin.get("/").get_data(as_text=True)
    assert "Классы" in menu(home) and "Группы" not in menu(home) and "Семестры" not in menu(home)

    listing = admin.get("/classes/").get_data(as_text=True)
    cols = headers(listing)
    assert {"Параллель", "Классный руководитель", "Профиль", "Учебный год"} <= set(cols)
    assert "Отделение" not in cols and "Специальность / профессия" not in cols and "Куратор" not in cols
    details = admin.get(f"/classes/details/?id={world.a.klass.id}").get_data(as_text=True)
    assert "Классный руководитель" in details and "Отделение" not in details

    form = admin.get("/classes/new/").get_data(as_text=True)
    assert 'name="department"' not in form and 'name="specialty"' not in form
    assert "Классный руководитель" in form and "Параллель" in form

    resp = admin.post("/classes/new/", data={
        "year": str(world.a.year.id), "grade": "10", "name": "10а", "profile": "физико-математический",
        "class_teacher": str(world.a.teacher.id), "max_students": "25"}, follow_redirects=True)
    assert "Запись была создана" in flashes(resp)
    made = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "10А"))  # letter upper-cased
    assert (made.grade, made.profile, made.class_teacher_id, made.year_id) == \
        (10, "физико-математический", world.a.teacher.id, world.a.year.id)

    ct_home = open_browser(browser, "a.class_teacher").get("/").get_data(as_text=True)
    assert "Классный руководитель: 5А" in ct_home


def test_a_bad_class_is_refused(world, browser):
    admin = open_browser(browser, "a.admin")
    before = count(SchoolClass)
    for changes, message in [
        ({"grade": "12"}, "Параллель — число от 1 до 11"),
        ({"name": "5а"}, "В этом учебном году уже есть «5А»"),
        ({"name": "  "}, "Поле «Название» обязательно"),
        ({"max_students": "0"}, "Предельная наполняемость"),
    ]:
        data = {"year": str(world.a.year.id), "grade": "5", "name": "5В", **changes}
        resp = admin.post("/classes/new/", data=data, follow_redirects=True)
        assert "Класс (группа) не сохранён(а)" in flashes(resp) and message in flashes(resp), changes
        assert count(SchoolClass) == before, changes


# -- organizations and their first administrators -----------------------------------------------


def test_installation_admin_creates_an_organization_with_the_official_calendar(world, browser):
    root = open_browser(browser, "root")
    before = count(Organization)
    resp = root.post("/organizations/new/", data={
        "kind": "college", "full_name": "ГБПОУ «Новоуральский технологический колледж»",
        "short_name": "НТК", "address": "г. Новоуральск, ул. Ленина, 1", "inn": "6629001234",
        "licence_number": "18756", "licence_date": "14.03.2016", "licence_issued_by": "Минобразования",
        "accreditation_number": "9021", "accreditation_date": "23.05.2016",
        "accreditation_valid_until": "23.05.2028", "timezone": "Asia/Yekaterinburg",
        "rounding_threshold": "0.60"}, follow_redirects=True)
    assert "Запись была создана" in flashes(resp)
    org = db.session.scalar(select(Organization).where(Organization.short_name == "НТК"))
    assert org.is_college and org.licence_date == date(2016, 3, 14) and str(org.rounding_threshold) == "0.60"
    assert count(Organization) == before + 1
    official = {day: working for day, working, _ in official_exceptions()}
    copied = dict(db.session.execute(select(CalendarDay.day, CalendarDay.is_working)
                                     .where(CalendarDay.org_id == org.id)).all())
    assert {d: w for d, w in copied.items() if d in official} == official and len(copied) > 10
    # the years after the shipped decrees: the statutory holidays (ст. 112 ТК РФ) on weekdays only
    later = {d: w for d, w in copied.items() if d not in official}
    assert later and min(later) == date(2027, 1, 1) and not any(later.values())
    assert all(d.weekday() < 5 for d in later) and date(2027, 1, 4) in later and max(later) == date(2027, 6, 14)

    bad = root.post("/organizations/new/", data={"kind": "school", "full_name": "Школа", "short_name": "Ш",
                                                 "inn": "12345", "timezone": "Europe/Moscow",
                                                 "rounding_threshold": "0.5"}, follow_redirects=True)
    assert "ИНН — 10 или 12 цифр" in flashes(bad)
    assert count(Organization) == before + 1


def test_first_administrator_of_a_new_organization(world, browser):
    root = open_browser(browser, "root")
    root.post("/organizations/new/", data={"kind": "school", "full_name": "МБОУ «Лицей № 3»",
                                           "short_name": "Лицей № 3", "timezone": "Europe/Moscow",
                                           "rounding_threshold": "0.5"})
    org = db.session.scalar(select(Organization).where(Organization.short_name == "Лицей № 3"))
    listing = root.get("/organizations/").get_data(as_text=True)
    assert f'href="/organizations/admin-account/?id={org.id}"' in listing

    staff_before = count(Staff)
    bad = root.post(f"/organizations/admin-account/?id={org.id}",
                    data={"last_name": "", "first_name": "Lena", "sex": "f"}).get_data(as_text=True)
    assert "Поле «Фамилия» обязательно" in bad and "русские буквы" in bad
    assert count(Staff) == staff_before

    resp = root.post(f"/organizations/admin-account/?id={org.id}", data={
        "last_name": "Иванова", "first_name": "Ирина", "middle_name": "Игоревна", "sex": "f"})
    page = resp.get_data(as_text=True)
    login, password = re.findall(r"<code>(.*?)</code>", page)
    assert login == "ivanova.ii" and len(password) >= 8 and "один раз" in page
    again = root.get(f"/organizations/admin-account/?id={org.id}").get_data(as_text=True)
    assert password not in again  # shown once

    admin = open_browser(browser)
    assert admin.login(login, password).status_code == 302
    assert admin.get("/").headers["Location"].endswith("/change-password")
    admin.post("/change-password", data={"old_password": password, "new_password": "litsei-3-admin",
                                         "confirm_password": "litsei-3-admin"})
    home = admin.get("/").get_data(as_text=True)
    assert "МБОУ «Лицей № 3»" in home and "Администратор системы" in home
    orgs = admin.get("/organizations/").get_data(as_text=True)
    assert "Лицей № 3" in orgs and "Орг A" not in orgs and "Орг B" not in orgs
    assert admin.get(f"/organizations/details/?id={world.a.org.id}").status_code == 404
    students = admin.get("/students/").get_data(as_text=True)
    assert "Учеников" not in students and "Чужов" not in students


def test_an_organization_admin_edits_only_his_own_card(world, browser):
    admin = open_browser(browser, "a.admin")
    card = {"kind": "school", "full_name": "МБОУ «СОШ № 7»", "short_name": "СОШ № 7",
            "address": "г. Заречный", "licence_number": "19150", "timezone": "Europe/Moscow",
            "rounding_threshold": "0.5"}
    resp = admin.post(f"/organizations/edit/?id={world.a.org.id}", data={**card, "_version": world.a.org.version},
                      follow_redirects=True)
    assert "Запись была сохранена" in flashes(resp)
    assert db.session.get(Organization, world.a.org.id).short_name == "СОШ № 7"

    assert admin.post(f"/organizations/edit/?id={world.b.org.id}", data=card).status_code == 404
    assert admin.get("/organizations/new/").status_code == 403
    before = count(Organization)
    assert admin.post("/organizations/new/", data=card).status_code == 403
    assert admin.get(f"/organizations/admin-account/?id={world.a.org.id}").status_code == 403
    assert admin.post(f"/organizations/admin-account/?id={world.a.org.id}",
                      data={"last_name": "Иванов", "first_name": "Иван", "sex": "m"}).status_code == 403
    assert count(Organization) == before
    assert db.session.get(Organization, world.b.org.id).short_name == "Орг B"
    assert count(Staff, Staff.org_id == world.a.org.id) == 6


# -- academic years and periods ---------------------------------------------------------------------


def test_a_bad_academic_year_is_refused(world, browser):
    admin = open_browser(browser, "a.admin")
    before = count(AcademicYear)
    for data, message in [
        ({"name": "2027-2028", "start_date": "01.09.2027", "end_date": "30.06.2028"}, "в виде «2025/2026»"),
        ({"name": "2027/2029", "start_date": "01.09.2027", "end_date": "30.06.2028"}, "в виде «2025/2026»"),
        ({"name": "2027/2028", "start_date": "01.09.2027", "end_date": "01.08.2027"},
         "Начало учебного года должно быть раньше конца"),
        ({"name": "2027/2028", "start_date": "01.09.2026", "end_date": "30.06.2028"},
         "не может быть длиннее года"),
        ({"name": "2027/2028", "start_date": "01.09.2028", "end_date": "30.06.2029"},
         "в году, с которого начинается название"),
    ]:
        resp = admin.post("/years/new/", data=data, follow_redirects=True)
        assert "Учебный год не сохранён" in flashes(resp) and message in flashes(resp), data
        assert count(AcademicYear) == before, data


def test_a_good_academic_year_is_saved(world, browser):
    admin = open_browser(browser, "a.admin")
    resp = admin.post("/years/new/", data={"name": "2027/2028", "start_date": "01.09.2027",
                                           "end_date": "30.06.2028"}, follow_redirects=True)
    assert "Запись была создана" in flashes(resp)
    year = db.session.scalar(select(AcademicYear).where(AcademicYear.name == "2027/2028",
                                                        AcademicYear.org_id == world.a.org.id))
    assert (year.start_date, year.end_date) == (date(2027, 9, 1), date(2028, 6, 30))
    assert "Учебные годы" in admin.get("/years/").get_data(as_text=True)


def test_a_bad_period_is_refused(world, browser):
    admin = open_browser(browser, "a.admin")
    before = count(Period)
    for dates, message in [
        (("20.08.2026", "24.10.2026"), "Период должен лежать внутри учебного года 2026/2027"),
        (("01.06.2027", "05.07.2027"), "Период должен лежать внутри учебного года 2026/2027"),
        (("01.11.2026", "30.12.2026"), "Период пересекается с периодом «2 четверть»"),
        (("24.10.2026", "01.09.2026"), "Начало периода позже его конца"),
    ]:
        resp = admin.post("/periods/new/", data={
            "year": str(world.a.year.id), "type": "quarter", "number": "1", "name": "1 четверть",
            "start_date": dates[0], "end_date": dates[1]}, follow_redirects=True)
        assert "Учебный период не сохранён" in flashes(resp) and message in flashes(resp), dates
        assert count(Period) == before, dates


def test_periods_that_fit_are_saved_and_a_semester_may_span_quarters(world, browser):
    admin = open_browser(browser, "a.admin")
    for data in ({"type": "quarter", "number": "1", "name": "1 четверть",
                  "start_date": "01.09.2026", "end_date": "24.10.2026"},
                 {"type": "half_year", "number": "1", "name": "1 полугодие",
                  "start_date": "01.09.2026", "end_date": "28.12.2026"}):
        resp = admin.post("/periods/new/", data={"year": str(world.a.year.id), **data}, follow_redirects=True)
        assert "Запись была создана" in flashes(resp), data
    assert count(Period, Period.org_id == world.a.org.id) == 3
    # Another organization's year is not among the choices.
    before = count(Period)
    admin.post("/periods/new/", data={"year": str(world.b.year.id), "type": "quarter", "number": "3",
                                      "name": "3 четверть", "start_date": "12.01.2027",
                                      "end_date": "20.03.2027"})
    assert count(Period) == before


def test_hr_reads_but_does_not_change_years(world, browser):
    hr = open_browser(browser, "a.hr")
    assert hr.get("/years/").status_code == 200
    assert hr.post("/years/new/", data={"name": "2027/2028", "start_date": "01.09.2027",
                                        "end_date": "30.06.2028"}).status_code == 403
    assert count(AcademicYear, AcademicYear.org_id == world.a.org.id) == 1
