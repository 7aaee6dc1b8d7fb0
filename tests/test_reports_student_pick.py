"""The student reports are reachable (issue 13.6): staff choose a class and then one of its students they
may see; a class teacher's form opens on his class; a parent with several children picks a child; a
student out of reach is «не найден». Through the HTTP client, for every role, on the small school of
tests/test_reports_teacher_student.py (5А: Учеников, Отличников, Уходов (left 16.11), Соседов (moved
to 6Б on 12.10); 6Б: Чужов; 5Б: Бэшкин; a.teacher teaches 5А and 6Б)."""
import re
from urllib.parse import quote

import pytest

from models import db

STUDENT_REPORTS = ("student-report-card", "student-marks", "student-average", "student-dynamics")


def options(html, name):
    """[(value, text, selected)] of the form's select `name`."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    if select is None:
        return None
    return [(v, text, bool(sel)) for v, sel, text in
            re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1))]


def names(html, name="student"):
    return [text.split(" ")[0] for v, text, _ in options(html, name) or [] if v]


def selected(html, name):
    return next((" ".join(text.split()[:2]) for v, text, sel in options(html, name) or [] if sel and v), None)


def page(b, report, **query):
    response = b.get(f"/reports/{report}/?" + "&".join(f"{k}={quote(str(v))}" for k, v in query.items()))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def shown_for(html):
    """The student the built report names (its parameters line), or None when it is not built."""
    found = re.search(r"Ученик: <strong>([^<]+)</strong>", html)
    return " ".join(found.group(1).split()[:2]) if found else None


@pytest.mark.parametrize("report", STUDENT_REPORTS)
@pytest.mark.parametrize("login", ["a.deputy", "a.director", "a.admin"])
def test_the_administration_picks_any_class_then_its_student(report_school, browser, login, report):
    b = browser()
    b.login(login)
    html = page(b, report)
    assert names(html, "class") == ["5А", "5Б", "6Б"] and names(html) == []
    html = page(b, report, **{"class": "6Б"})  # «Показать» with a class only: its students are listed
    assert selected(html, "class") == "6Б"
    assert names(html) == ["Соседов", "Чужов"] and shown_for(html) is None
    assert "alert-danger" not in html  # not an error: a student is still to choose
    html = page(b, report, **{"class": "6Б", "student": report_school.stranger.id})
    assert shown_for(html) == "Чужов Игорь" and selected(html, "student") == "Чужов Игорь"
    assert names(page(b, report, **{"class": "5Б"})) == ["Бэшкин"]


@pytest.mark.parametrize("report", STUDENT_REPORTS)
def test_a_class_teacher_opens_on_his_class(report_school, browser, report):
    b = browser()
    b.login("a.class_teacher")
    html = page(b, report)
    assert selected(html, "class") == "5А"
    assert names(html) == ["Отличников", "Соседов", "Уходов", "Учеников"]
    html = page(b, report, **{"class": "5А", "student": report_school.best.id})
    assert shown_for(html) == "Отличников Олег"
    # Not a class of students she never had or taught, not a student of such a class (she also teaches
    # Русский язык in 6Б, so Чужов is hers).
    assert "5Б" not in names(html, "class")
    html = page(b, report, student=report_school.b_pupil.id)
    assert "не найден" in html and shown_for(html) is None


@pytest.mark.parametrize("report", STUDENT_REPORTS)
def test_a_subject_teacher_picks_among_the_classes_he_teaches(report_school, browser, report):
    b = browser()
    b.login("a.teacher")
    html = page(b, report)
    assert names(html, "class") == ["5А", "6Б"] and selected(html, "class") is None
    html = page(b, report, **{"class": "6Б"})
    assert names(html) == ["Соседов", "Чужов"]
    assert shown_for(page(b, report, **{"class": "6Б", "student": report_school.stranger.id})) == "Чужов Игорь"
    html = page(b, report, **{"class": "5Б"})  # not his class: nobody listed, and a message
    assert names(html) == [] and "не найден" in html
    html = page(b, report, student=report_school.b_pupil.id)
    assert "не найден" in html and shown_for(html) is None and "Бэшкин" not in html


def test_a_stale_student_of_another_class_is_not_found(report_school, browser):
    b = browser()
    b.login("a.deputy")
    html = page(b, "student-report-card", **{"class": "5Б", "student": report_school.student.id})
    assert "не найден" in html and shown_for(html) is None and names(html) == ["Бэшкин"]


@pytest.mark.parametrize("report", STUDENT_REPORTS)
def test_a_parent_with_two_children_picks_a_child(report_school, browser, report):
    report_school.parent.children.append(report_school.b_pupil)
    db.session.commit()
    b = browser()
    b.login("a.parent")
    html = page(b, report)
    assert options(html, "class") is None  # the class comes with the child
    assert names(html) == ["Бэшкин", "Учеников"]
    assert shown_for(html) is not None
    assert shown_for(page(b, report, student=report_school.b_pupil.id)) == "Бэшкин Борис"
    assert shown_for(page(b, report, student=report_school.student.id)) == "Учеников Пётр"
    html = page(b, report, student=report_school.stranger.id)
    assert "не найден" in html and shown_for(html) is None


def test_the_form_script_is_a_static_file(report_school, browser):
    b = browser()
    b.login("a.deputy")
    html = page(b, "student-marks")
    assert "/static/reports_form.js" in html and "<script>" not in html
    assert b.get("/static/reports_form.js").status_code == 200
