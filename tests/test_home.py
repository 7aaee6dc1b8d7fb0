"""The start page (issue 15.1): «what do I do today» for each role — a teacher's lessons and journal
debts, a class teacher's class, a parent's and a student's news since the last visit, homework and
week, the administration's overdue deadlines; a person with several roles sees each section; the
query budgets of the teacher's and the administration's pages; the menu of a school and a college."""
import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from models import User, db
from services import clock
from services.home import sections, visits
from tests.factories import (actor_of, jr_assignment, jr_lessons, jr_mark, jr_subject, jr_task,
                             make_staff, make_student, tt_bells)
from tests.helpers import fresh
from tests.querycount import count_queries

FRI = date(2026, 11, 20)  # TEST_TODAY
MON, THU = date(2026, 11, 16), date(2026, 11, 19)


def signed_in(browser, login):
    b = browser()
    assert b.login(login).status_code == 302
    return b


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def school_day(world):
    """World A's teacher: Математика in 5А on Monday, Thursday and today (lesson 2), Физика today (lesson 4)
    without a topic; a mark of Учеников on Thursday; homework for Monday given today."""
    a = world.a
    tt_bells(a.org)
    a.math, a.physics = jr_subject(a.org, "Математика"), jr_subject(a.org, "Физика")
    a.math_load = jr_assignment(a.org, a.year, a.klass, a.teacher, a.math)
    a.physics_load = jr_assignment(a.org, a.year, a.klass, a.teacher, a.physics)
    mon, thu, a.today_math, _ = jr_lessons(a.math_load, a.period, [MON, THU, FRI, FRI + timedelta(days=3)])
    mon.topic, mon.attendance_taken = "Дроби", True
    thu.topic = "Десятичные дроби"  # no roll call: a debt
    a.today_math.topic, a.today_math.homework = "Проценты", "№ 12, 14"
    (a.today_physics,) = jr_lessons(a.physics_load, a.period, [FRI], number=4)
    a.thu_math = thu
    db.session.commit()
    return a


# -- a teacher --------------------------------------------------------------------------------------------------

def test_teacher_sees_todays_lessons_linked_to_the_grid_and_his_debts(world, browser):
    a = school_day(world)
    html = signed_in(browser, "a.teacher").get("/").get_data(as_text=True)
    text = text_of(html)
    assert "Уроки сегодня" in text and "5А, Математика" in text and "5А, Физика" in text
    assert f'href="/journal/{a.math_load.id}/?period={a.period.id}"' in html
    assert "09:20" in text and "11:00" in text  # lessons 2 and 4 of the bells
    assert "нет: тема" in text and "нет: посещаемость" in text
    assert "Долги по журналу" in text and "Темы уроков и посещаемость" in text
    assert "5А, Математика — без отметки посещаемости: 1" in text  # Thursday's roll call
    assert "Разделы" not in text  # no flat list of the menu any more
    assert "Контроль сроков" not in text  # a teacher alone has no administration section


def test_teacher_period_marks_due(world, browser):
    a = school_day(world)
    a.period.end_date = FRI + timedelta(days=1)  # the quarter ends tomorrow: its marks are due
    db.session.commit()
    text = text_of(signed_in(browser, "a.teacher").get("/").get_data(as_text=True))
    assert "Отметки за период" in text
    assert "5А, Математика: 2 четверть — нет отметок: 2" in text


def test_teacher_page_query_budget(world, browser):
    a = school_day(world)
    b = signed_in(browser, "a.teacher")
    b.get("/")
    with count_queries() as few:
        b.get("/")
    for n in range(6):  # more classes, subjects and lessons: the same statements
        klass_load = jr_assignment(a.org, a.year, a.other_class, a.teacher, jr_subject(a.org, f"Предмет {n}"))
        jr_lessons(klass_load, a.period, [MON, THU, FRI], number=n + 1)
    db.session.commit()
    with count_queries() as many:
        html = b.get("/").get_data(as_text=True)
    assert "6Б, Предмет 5" in html
    assert len(many) == len(few), many
    # the control's teacher sections (issue 17.5: homework and the teacher's report too, the organization's
    # deadline rules once): a fixed few
    assert len(many) <= 18, many


# -- a class teacher --------------------------------------------------------------------------------------------

def test_class_teacher_sees_his_class(world, browser):
    a = world.a
    a.period.end_date = FRI + timedelta(days=3)
    db.session.commit()
    text = text_of(signed_in(browser, "a.class_teacher").get("/").get_data(as_text=True))
    assert "Классный руководитель: 5А" in text
    assert "Личные дела обучающихся" in text and "Учётные записи обучающихся и родителей" in text
    assert "обучающийся Соседов С. И.: не выдана учётная запись" in text
    assert "5А: отчёт за 2 четверть" in text and "период оканчивается 23.11.2026" in text
    assert "Контроль сроков" in text
    assert "Уроки сегодня" in text  # he teaches too: his teacher's section as well
    assert "Чужов" not in text  # another class


# -- a parent and a student -------------------------------------------------------------------------------------

def test_parent_sees_new_marks_homework_and_week(world, browser):
    a = school_day(world)
    b = signed_in(browser, "a.parent")
    html = b.get("/").get_data(as_text=True)
    text = text_of(html)
    assert "Новые отметки" in text and "Новых отметок нет" in text
    assert "Учеников Пётр, 5А" not in text or "Пётр Учеников" in text
    assert "Домашнее задание на понедельник, 23.11.2026" in text and "Математика: № 12, 14" in text
    assert "Расписание недели" in text and "Пн 16.11 Математика" in text
    assert re.search(r"Пт 20.11 Математика ?, Физика", text)
    assert 'id="home-announcements"' not in html  # no announcements: no empty section either
    assert "Уроки сегодня" not in text and "Контроль сроков" not in text
    # a mark given now is new on the next visit (the page reloaded within VISIT_GAP counts from the same moment)
    with clock.frozen(datetime(2026, 11, 20, 12, 0)):
        jr_mark(jr_task(a.thu_math), a.student, "5")
        jr_mark(jr_task(a.thu_math), a.classmate, "2")
        db.session.commit()
    text = text_of(b.get("/").get_data(as_text=True))
    assert "5 Математика Ответ на уроке, урок 19.11" in text and "Новых отметок нет" not in text
    assert " 2 Математика" not in text  # the classmate's


def test_last_visit_is_stored_and_counts_the_news(world):
    user = db.session.scalar(select(User).where(User.login == "a.parent"))
    first = visits.since_last_visit(user.id)
    assert first == clock.utcnow() - visits.FIRST_VISIT
    assert visits.since_last_visit(user.id) == first  # a reload: the same news
    later = datetime(2026, 11, 21, 12, 0)
    with clock.frozen(later):
        seen = clock.utcnow()
    fresh()
    stored = db.session.get(User, user.id)
    assert stored.home_seen_at is not None and stored.home_seen_at < seen
    with clock.frozen(later):
        assert visits.since_last_visit(user.id) == stored.home_seen_at  # a new visit counts from the last one


def test_student_sees_his_week(world, browser):
    school_day(world)
    text = text_of(signed_in(browser, "a.student").get("/").get_data(as_text=True))
    assert "Моя неделя" in text and "Математика: № 12, 14" in text and "Новые отметки" in text


# -- the administration -----------------------------------------------------------------------------------------

def test_admin_sees_overdue_items_grouped_with_links(world, browser):
    html = signed_in(browser, "a.admin").get("/").get_data(as_text=True)
    text = text_of(html)
    assert "Контроль сроков" in text and "Учётные записи обучающихся и родителей" in text
    assert "Обучающихся" in text  # the head count
    assert re.search(rf'<a href="/students/edit/\?id={world.a.classmate.id}">5А, обучающийся Соседов С. И.: не выдана',
                     html)
    assert "Уроки сегодня" not in text


def test_deputy_who_teaches_sees_both_sections(world, browser):
    a = school_day(world)
    load = jr_assignment(a.org, a.year, a.other_class, a.deputy, jr_subject(a.org, "История"))
    jr_lessons(load, a.period, [FRI], number=5)
    db.session.commit()
    text = text_of(signed_in(browser, "a.deputy").get("/").get_data(as_text=True))
    assert "Уроки сегодня" in text and "6Б, История" in text
    assert "5А, Физика" not in text.split("Контроль сроков")[0]  # another teacher's lesson is not his today
    assert "Контроль сроков" in text and "Учителев Т. П.: 5А, Математика" in text  # the school's debts


def test_admin_page_query_budget(world, browser):
    a = school_day(world)
    b = signed_in(browser, "a.deputy")
    b.get("/")
    with count_queries() as few:
        b.get("/")
    # more teachers with debts, more students without accounts: the same statements
    for n, name in enumerate(("Новиков", "Старцев", "Лесков", "Полев", "Морев")):
        teacher = make_staff(a.org, name, "Иван", ["teacher"])
        load = jr_assignment(a.org, a.year, a.other_class, teacher, jr_subject(a.org, f"Предмет {n}"))
        jr_lessons(load, a.period, [MON, THU], number=n + 1)
        make_student(a.org, a.other_class, name, "Олег", birth=date(2014, 5, 5))
    db.session.commit()
    with count_queries() as many:
        text = text_of(b.get("/").get_data(as_text=True))
    assert "Морев И. П.: 6Б, Предмет 4" in text or "и ещё" in text
    assert len(many) == len(few), many
    # the administration's control (with the parents' questions, the data requests, the failed e-mails) and the
    # teacher's sections, the announcements: each a fixed few
    # (issue 17.5: the movement orders, homework and the reports of the regulations, the deadline rules)
    assert len(many) <= 47, many


def test_several_roles_build_each_section(world):
    a = world.a
    both = make_staff(a.org, "Многоролев", "Марк", ["teacher", "admin"], "a.both")
    a.klass.class_teacher_id = both.id
    db.session.commit()
    home = sections.build(actor_of("a.both"))
    assert home.teacher is not None and home.class_teacher is not None and home.admin is not None
    assert home.family is None


# -- the menu ---------------------------------------------------------------------------------------------------

def test_school_menu_has_no_college_sections_and_college_menu_has(world, browser):
    html = signed_in(browser, "a.admin").get("/").get_data(as_text=True)
    assert "Отделения" not in html and "Специальности" not in html
    world.b.org.kind = "college"
    db.session.commit()
    html = signed_in(browser, "b.admin").get("/").get_data(as_text=True)
    assert "Отделения" in html and "Специальности" in html


def test_menu_offers_only_what_the_role_opens(world, browser):
    for login in ("a.class_teacher", "a.parent"):
        b = signed_in(browser, login)
        html = b.get("/").get_data(as_text=True)
        nav = html[html.index("<nav"):html.index("</nav>")]
        links = [url.replace("&amp;", "&") for url in re.findall(r'href="(/[^"#]*)"', nav)]
        assert links, login
        statuses = {url: b.get(url).status_code for url in links}
        assert {url: code for url, code in statuses.items() if code not in (200, 302)} == {}, login


def test_installation_admin_and_a_user_without_cards_get_their_page(world, browser):
    text = text_of(signed_in(browser, "root").get("/").get_data(as_text=True))
    assert "Администратор установки: создаёт организации" in text and "Уроки сегодня" not in text
    home = sections.build(actor_of("root"))
    assert (home.teacher, home.class_teacher, home.family, home.admin) == (None, None, None, None)
