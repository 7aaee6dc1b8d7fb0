"""Issue 15.1, the start page in a real browser: the teacher's (1366 px) and the parent's (390 px)
home, the top menu on one line at 1366 px (the teacher's, and the director's, the longest), the
screenshots of docs/screenshots/."""
from datetime import date, timedelta
from pathlib import Path

from models import db
from tests.e2e.conftest import login, settle, sign_out
from tests.factories import jr_assignment, jr_lessons, jr_mark, jr_subject, jr_task, tt_bells

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FRI = date(2026, 11, 20)  # TEST_TODAY


def school_week(world):
    """5А's week: Математика and Физика by a.teacher, Русский язык by a.class_teacher; today's lessons,
    a debt (no roll call on Thursday), homework for Monday, marks of Учеников."""
    a = world.a
    tt_bells(a.org)
    week = [FRI - timedelta(days=n) for n in range(4, -1, -1)] + [FRI + timedelta(days=3)]
    for n, (subject, teacher, homework) in enumerate((("Математика", a.teacher, "№ 214, 215"),
                                                      ("Физика", a.teacher, "§ 12, вопросы 1–3 письменно"),
                                                      ("Русский язык", a.class_teacher, "упр. 148"))):
        load = jr_assignment(a.org, a.year, a.klass, teacher, jr_subject(a.org, subject))
        lessons = jr_lessons(load, a.period, week, number=n + 1)
        for lesson in lessons[:-2]:
            lesson.topic, lesson.attendance_taken = f"{subject}: тема урока", True
        lessons[-2].homework = homework
        if n == 0:
            lessons[-2].topic = "Проценты"
        if n == 1:
            lessons[3].attendance_taken = False  # Thursday's roll call not taken: a debt
        jr_mark(jr_task(lessons[1], "Контрольная работа"), a.student, str(5 - n))
        jr_mark(jr_task(lessons[3]), a.student, "4")
    db.session.commit()
    return a


def navbar_height(page):
    return page.evaluate("document.querySelector('nav.navbar').getBoundingClientRect().height")


def menu_lines(page):
    """The distinct tops of the menu's items (one line: one top), and whether the menu overflows the page."""
    return page.evaluate("""() => {
        const items = [...document.querySelectorAll('#admin-navbar-collapse > ul > li')];
        const bar = document.querySelector('#admin-navbar-collapse');
        return [new Set(items.map(e => Math.round(e.getBoundingClientRect().top))).size,
                bar.scrollWidth > bar.clientWidth + 1 || items.some(e => e.getBoundingClientRect().right > innerWidth)];
    }""")


def test_home_pages_and_the_one_line_menu(world, context, page, page_problems):
    school_week(world)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 800})
    login(page, "a.teacher")
    settle(page)
    assert page.locator("#home-teacher h5", has_text="Уроки сегодня").count() == 1
    assert page.locator("#home-teacher .home-lesson").count() == 2
    assert page.locator("#home-debts", has_text="5А, Физика — без отметки посещаемости: 1").count() == 1
    one_line = navbar_height(page)
    assert one_line < 75 and menu_lines(page) == [1, False], (one_line, menu_lines(page))
    page.screenshot(path=str(SCREENSHOTS / "home-teacher.png"), full_page=True)
    sign_out(page)
    login(page, "a.director")  # the longest menu: every category, «Доступ» too
    assert (navbar_height(page), menu_lines(page)) == (one_line, [1, False])
    page.screenshot(path=str(SCREENSHOTS / "home-administration.png"), full_page=True)

    sign_out(page)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "a.parent")
    settle(page)
    assert page.locator("#home-marks .home-mark").count() >= 2
    assert page.locator(".home-child h6", has_text="Домашнее задание на понедельник").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.screenshot(path=str(SCREENSHOTS / "home-parent.png"), full_page=True)
    assert page_problems == []
