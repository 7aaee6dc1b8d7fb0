"""Files of a lesson (issue 16.6): the teacher attaches files to a lesson's homework or topic (type read from the
content, several at once, all or none); the lesson's readers download them — the teacher, a substitute, the class
teacher, the administration, the class's students on the lesson's date and their parents — and everyone else gets
404; a closed period keeps its lessons' files; the diary shows them in one statement per week.

World A: 5А (Учеников, Соседов; class teacher Классова), Математика by a.teacher; 6Б (Чужов).
"""
import re
from datetime import date
from io import BytesIO

import pytest
from sqlalchemy import func, select

from models import LessonFile, StoredFile, db
from services.errors import DomainError, PermissionDenied
from services.journal import lesson_files
from services.timetable.lessons import lesson_has_content
from tests.factories import (actor_of, jr_assignment, jr_lessons, jr_subject, make_parent, make_staff, make_student,
                             mv_withdraw)
from tests.helpers import in_unit
from tests.querycount import count_queries

MONDAY = date(2026, 11, 9)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"

attach, remove = in_unit(lesson_files.attach), in_unit(lesson_files.remove)


@pytest.fixture
def lf(world, app, tmp_path):
    a = world.a
    app.config["FILES_DIR"] = str(tmp_path / "files")
    a.math = jr_subject(a.org, "Математика")
    a.m5 = jr_assignment(a.org, a.year, a.klass, a.teacher, a.math)
    a.m6 = jr_assignment(a.org, a.year, a.other_class, a.deputy, a.math)
    a.mon, a.wed = jr_lessons(a.m5, a.period, [MONDAY, date(2026, 11, 11)])
    a.mon.homework = "№ 5 и 6"
    a.other_lesson, = jr_lessons(a.m6, a.period, [MONDAY])
    a.stranger_parent_login = make_parent(a.org, [a.stranger], "Чужова", "Анна", "a.stranger_parent")
    a.other_teacher = make_staff(a.org, "Другов", "Денис", ["teacher"], "a.other_teacher")
    make_student(a.org, a.other_class, "Чужаков", "Олег", "a.other_student")
    db.session.commit()
    yield a
    app.config.pop("FILES_DIR", None)


def upload(b, lesson, files, kind="homework"):
    data = {"kind": kind, "files": [(BytesIO(content), name) for name, content in files]}
    return b.post(f"/lesson-files/{lesson.id}/upload", data=data, content_type="multipart/form-data")


def file_rows(lesson):
    return db.session.scalars(select(LessonFile).where(LessonFile.lesson_id == lesson.id)
                              .order_by(LessonFile.id)).all()


def test_the_teacher_attaches_several_files_and_the_type_is_read_from_the_content(lf, browser):
    b = browser()
    b.login("a.teacher")
    page = b.get(f"/lesson-files/{lf.mon.id}/")
    assert page.status_code == 200 and "Приложить файлы" in page.get_data(as_text=True)
    assert upload(b, lf.mon, [("Задание.pdf", PDF), ("Вопросы.txt", "Параграф 12".encode())]).status_code == 302
    rows = file_rows(lf.mon)
    assert [(r.kind, r.stored_file.name, r.stored_file.content_type) for r in rows] == [
        ("homework", "Задание.pdf", "application/pdf"), ("homework", "Вопросы.txt", "text/plain; charset=utf-8")]
    # an .html renamed .pdf is refused, and with it the good file sent together: all or none
    upload(b, lf.mon, [("ещё.pdf", PDF), ("страница.pdf", HTML)], kind="topic")
    assert len(file_rows(lf.mon)) == 2
    html = b.get(f"/lesson-files/{lf.mon.id}/").get_data(as_text=True)
    assert "такой файл приложить нельзя" in html and "Задание.pdf" in html
    # the journal's lessons table leads here
    grid = b.get(f"/journal/{lf.m5.id}/").get_data(as_text=True)
    assert f'/lesson-files/{lf.mon.id}/' in grid
    # a lesson with files is content: regeneration from the timetable keeps it
    assert lf.mon.id in lesson_has_content([lf.mon.id])


def test_path_tricks_in_names_are_defused(lf):
    teacher = actor_of("a.teacher")
    added = attach(teacher, lf.mon.id, "topic", [("../../etc/passwd", b"root:x:0:0"),
                                                  ("..\\..\\win.ini.pdf", PDF), ("\u202eexe.pdf", PDF)])
    names = [db.session.get(StoredFile, r.stored_file_id).name for r in added]
    assert names == ["passwd.txt", "win.ini.pdf", "exe.pdf"]
    assert all("/" not in db.session.get(StoredFile, r.stored_file_id).storage_key.split("/", 1)[1] for r in added)


def test_readers_download_and_everyone_else_gets_404(lf, browser):
    row, = attach(actor_of("a.teacher"), lf.mon.id, "homework", [("Задание.pdf", PDF)])
    url = f"/lesson-files/{lf.mon.id}/{row.id}"
    for login in ("a.teacher", "a.student", "a.parent", "a.class_teacher", "a.deputy", "a.director", "a.admin"):
        b = browser()
        b.login(login)
        response = b.get(url)
        assert response.status_code == 200, login
        assert response.data == PDF
        assert response.headers["Content-Disposition"].startswith("attachment;")
    for login in ("a.other_student", "a.other_teacher", "a.hr", "b.student", "b.parent", "b.teacher", "b.admin"):
        b = browser()
        b.login(login)
        assert b.get(url).status_code == 404, login
    # another class's student and parent: neither the file nor its lesson's page
    b = browser()
    b.login("a.stranger_parent")
    assert b.get(url).status_code == 404
    assert b.get(f"/lesson-files/{lf.mon.id}/").status_code == 404
    # the file asked for under another lesson's id
    b = browser()
    b.login("a.student")
    assert b.get(f"/lesson-files/{lf.wed.id}/{row.id}").status_code == 404
    assert b.get(f"/lesson-files/{lf.mon.id}/{row.id + 1000}").status_code == 404


def test_a_substitute_attaches_and_reads_the_lesson_he_gives(lf, browser):
    lf.wed.teacher_id = lf.other_teacher.id  # замена: Другов gives Wednesday's lesson
    db.session.commit()
    substitute = actor_of("a.other_teacher")
    row, = attach(substitute, lf.wed.id, "topic", [("Конспект.txt", "Дроби".encode())])
    b = browser()
    b.login("a.other_teacher")
    assert b.get(f"/lesson-files/{lf.wed.id}/{row.id}").status_code == 200
    with pytest.raises(DomainError):  # not Monday's: that lesson is not his
        attach(substitute, lf.mon.id, "topic", [("x.txt", b"x")])


def test_the_students_of_the_class_on_the_lessons_date_only(lf, browser):
    """A parent of a child who left the class before the lesson reads none of its files; of the lessons
    before he left, he still does."""
    parent = make_parent(lf.org, [lf.classmate], "Соседова", "Анна", "a.classmate_parent")
    db.session.commit()
    mv_withdraw(lf.classmate, date(2026, 11, 10))  # left between Monday's and Wednesday's lessons
    teacher = actor_of("a.teacher")
    on_monday, = attach(teacher, lf.mon.id, "homework", [("Задание.pdf", PDF)])
    on_wednesday, = attach(teacher, lf.wed.id, "homework", [("Задание.pdf", PDF)])
    assert parent is not None
    b = browser()
    b.login("a.classmate_parent")
    assert b.get(f"/lesson-files/{lf.wed.id}/{on_wednesday.id}").status_code == 404
    assert b.get(f"/lesson-files/{lf.mon.id}/{on_monday.id}").status_code == 200


def test_only_the_lessons_teacher_attaches_and_deletes(lf, browser):
    row, = attach(actor_of("a.teacher"), lf.mon.id, "homework", [("Задание.pdf", PDF)])
    row = type("Row", (), {"id": row.id})
    with pytest.raises(PermissionDenied):
        attach(actor_of("a.class_teacher"), lf.mon.id, "homework", [("x.pdf", PDF)])
    with pytest.raises(DomainError):
        remove(actor_of("a.other_teacher"), lf.mon.id, row.id)
    for login in ("a.student", "a.class_teacher"):
        b = browser()
        b.login(login)
        assert b.post(f"/lesson-files/{lf.mon.id}/{row.id}/delete").status_code in (403, 404), login
    assert len(file_rows(lf.mon)) == 1
    b = browser()
    b.login("a.teacher")
    assert b.post(f"/lesson-files/{lf.mon.id}/{row.id}/delete").status_code == 302
    assert file_rows(lf.mon) == []
    assert b.get(f"/lesson-files/{lf.mon.id}/{row.id}").status_code == 404


def test_a_closed_period_keeps_its_lessons_files(lf, browser):
    row, = attach(actor_of("a.teacher"), lf.mon.id, "homework", [("Задание.pdf", PDF)])
    lf.period.is_closed = True
    db.session.commit()
    with pytest.raises(DomainError, match="закрыт"):
        attach(actor_of("a.teacher"), lf.mon.id, "homework", [("ещё.pdf", PDF)])
    with pytest.raises(DomainError, match="закрыт"):
        remove(actor_of("a.teacher"), lf.mon.id, row.id)
    b = browser()
    b.login("a.teacher")
    html = b.get(f"/lesson-files/{lf.mon.id}/").get_data(as_text=True)
    assert "закрыт" in html and "Приложить файлы" not in html and "Удалить" not in html
    assert upload(b, lf.mon, [("ещё.pdf", PDF)]).status_code == 302
    assert b.post(f"/lesson-files/{lf.mon.id}/{row.id}/delete").status_code == 302
    assert len(file_rows(lf.mon)) == 1
    b.login("a.student")
    assert b.get(f"/lesson-files/{lf.mon.id}/{row.id}").status_code == 200  # still read


def test_the_diary_shows_the_files_in_a_bounded_number_of_statements(lf, browser):
    teacher = actor_of("a.teacher")
    attach(teacher, lf.mon.id, "homework", [("Задание.pdf", PDF)])
    attach(teacher, lf.mon.id, "topic", [("Конспект.txt", "Дроби".encode())])
    b = browser()
    b.login("a.parent")
    url = f"/diary/{lf.student.id}/?week={MONDAY.isoformat()}"
    with count_queries() as statements:
        html = b.get(url).get_data(as_text=True)
    few = len(statements)
    assert "Файлы к заданию:</span>" in html and "Материалы к теме:</span>" in html
    links = re.findall(r'href="(/lesson-files/\d+/\d+)"', html)
    assert {b.get(link).data for link in links} == {PDF, "Дроби".encode()}
    # more files on more lessons: the same number of statements
    more = jr_lessons(lf.m5, lf.period, [date(2026, 11, 10), date(2026, 11, 12), date(2026, 11, 13)])
    db.session.commit()
    for lesson in [lf.wed, *more]:
        attach(teacher, lesson.id, "homework", [("a.pdf", PDF), ("b.txt", b"b"), ("c.txt", b"c")])
    with count_queries() as statements:
        html = b.get(url).get_data(as_text=True)
    assert len(re.findall(r'href="/lesson-files/\d+/\d+"', html)) == 2 + 4 * 3
    assert len(statements) == few
    assert db.session.scalar(select(func.count(LessonFile.id))) == 14
