"""Learning materials and distance courses (issue 18.4, seed 001 stage IV): a teacher keeps materials (a file, a link,
a text) per subject and grade, assigns them to a lesson he gives or to a class or subgroup for a window; the
students of that class (of that subgroup only) and their parents see them in the diary; a course is an ordered set
of materials given to a class. Bad input is refused in Russian with nothing saved; another organization's ids are
404; the diary's week reads the materials of all its lessons in one statement.

World A: 5А (Учеников with his parent, Соседов), 6Б (Чужов); a.teacher teaches Математика and Английский язык in 5А
(groups «1 группа»: Учеников, «2 группа»: Соседов); the deputy teaches Математика in 6Б.
"""
from datetime import date, timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from models import Course, Material, MaterialAssignment, SubgroupMember, db
from services.errors import DomainError
from services.learning import materials
from services.learning.materials import AssignInput, CourseInput, MaterialInput
from tests.factories import (actor_of, jr_assignment, jr_lessons, jr_subject, make_parent, make_student, tt_subgroup)
from tests.helpers import in_unit
from tests.querycount import count_queries

MONDAY = date(2026, 11, 16)  # the week of TEST_TODAY (20.11.2026)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"

create, assign, create_course = (in_unit(materials.create_material), in_unit(materials.assign),
                                 in_unit(materials.create_course))


@pytest.fixture
def lm(world, app, tmp_path):
    a = world.a
    app.config["FILES_DIR"] = str(tmp_path / "files")
    a.math = jr_subject(a.org, "Математика")
    a.english = jr_subject(a.org, "Английский язык")
    a.m5 = jr_assignment(a.org, a.year, a.klass, a.teacher, a.math)
    a.e5 = jr_assignment(a.org, a.year, a.klass, a.teacher, a.english)
    a.m6 = jr_assignment(a.org, a.year, a.other_class, a.deputy, a.math)
    a.g1 = tt_subgroup(a.org, a.year, a.klass, a.english, "1 группа")
    a.g2 = tt_subgroup(a.org, a.year, a.klass, a.english, "2 группа")
    db.session.add_all([SubgroupMember(subgroup_id=a.g1.id, student_id=a.student.id, period_id=a.period.id,
                                       subject_id=a.english.id),
                        SubgroupMember(subgroup_id=a.g2.id, student_id=a.classmate.id, period_id=a.period.id,
                                       subject_id=a.english.id)])
    a.mon, a.wed = jr_lessons(a.m5, a.period, [MONDAY, MONDAY + timedelta(days=2)])
    a.mon.homework = "№ 5 и 6"
    a.other_lesson, = jr_lessons(a.m6, a.period, [MONDAY])
    a.other_student_id = make_student(a.org, a.other_class, "Чужаков", "Олег", "a.other_student").id
    make_parent(a.org, [a.classmate], "Соседова", "Анна", "a.classmate_parent")
    db.session.commit()
    a.actor = actor_of("a.teacher")
    yield a
    app.config.pop("FILES_DIR", None)


def text_material(lm, title="Правило дробей", body="Числитель и знаменатель.", subject=None, **extra):
    return create(lm.actor, MaterialInput(title=title, kind="text", subject_id=(subject or lm.math).id, grade=5,
                                          body=body, **extra))


def week(b, student):
    return b.get(f"/diary/{student.id}/?week={MONDAY.isoformat()}").get_data(as_text=True)


def count(model):
    return db.session.scalar(select(func.count(model.id)))


def test_the_teacher_creates_materials_and_assigns_them_to_his_lesson(lm, browser):
    b = browser()
    b.login("a.teacher")
    assert "Новый материал" in b.get("/materials/").get_data(as_text=True)
    answer = b.post("/materials/new/", data={"title": "Учебник онлайн", "kind": "link", "subject_id": lm.math.id,
                                             "grade": 5, "url": "https://resh.edu.ru/subject/12/"})
    assert answer.status_code == 302
    link = db.session.scalar(select(Material).where(Material.title == "Учебник онлайн"))
    answer = b.post("/materials/new/", data={"title": "Задачи", "kind": "file", "subject_id": lm.math.id,
                                             "grade": 5, "file": (BytesIO(PDF), "задачи.pdf")},
                    content_type="multipart/form-data")
    assert answer.status_code == 302
    file = db.session.scalar(select(Material).where(Material.title == "Задачи"))
    assert file.stored_file.content_type == "application/pdf" and file.stored_file.name == "задачи.pdf"
    text = text_material(lm, body="<script>alert(1)</script>\nвторая строка")
    page = b.get(f"/materials/{link.id}/assign/").get_data(as_text=True)
    assert f'value="{lm.mon.id}"' in page and f'value="{lm.other_lesson.id}"' not in page  # only his lessons
    for material in (link, file, text):
        assert b.post(f"/materials/{material.id}/assign/",
                      data={"target": "lesson", "lesson_id": lm.mon.id}).status_code == 302
    assert count(MaterialAssignment) == 3
    # the student of the class sees them on the lesson, beside the homework
    s = browser()
    s.login("a.student")
    html = week(s, lm.student)
    assert "Материалы:</span>" in html
    assert 'href="https://resh.edu.ru/subject/12/" target="_blank" rel="noopener noreferrer"' in html
    assert f'href="/materials/{file.id}/file/"' in html and f'href="/materials/{text.id}/"' in html
    assert s.get(f"/materials/{file.id}/file/").data == PDF
    shown = s.get(f"/materials/{text.id}/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>alert(1)" not in shown
    # the parent sees his child's
    p = browser()
    p.login("a.parent")
    assert "Учебник онлайн" in week(p, lm.student)
    assert "Учебник онлайн" in p.get(f"/diary/{lm.student.id}/materials/").get_data(as_text=True)
    assert p.get(f"/materials/{file.id}/file/").status_code == 200
    # a student of another class does not, nor can he open them
    o = browser()
    o.login("a.other_student")
    assert o.get(f"/materials/{file.id}/file/").status_code == 404
    assert o.get(f"/materials/{text.id}/").status_code == 404
    assert "Учебник онлайн" not in o.get(f"/diary/{lm.other_student_id}/materials/").get_data(as_text=True)


def test_a_subgroup_material_and_a_course_reach_only_their_students_in_the_window(lm, browser):
    word = text_material(lm, "Слова урока 5", "apple, table", subject=lm.english)
    assign(lm.actor, AssignInput(target="class", class_id=lm.klass.id, subgroup_id=lm.g2.id), material_id=word.id)
    first = text_material(lm, "Раздел 1. Дроби", "Что такое дробь")
    second = text_material(lm, "Раздел 2. Сложение", "Как складывать")
    course = create_course(lm.actor, CourseInput(title="Дроби за неделю", subject_id=lm.math.id, grade=5,
                                                 material_ids=[second.id, first.id]))
    assign(lm.actor, AssignInput(target="class", class_id=lm.klass.id, start_date=date(2026, 11, 16),
                                 end_date=date(2026, 11, 27)), course_id=course.id)
    # Соседов (2 группа) sees the subgroup's material; Учеников (1 группа) does not
    mine = materials.student_materials(lm.classmate.id, lm.org.id, date(2026, 11, 20))
    assert [m.title for m in mine.for_class] == ["Слова урока 5"]
    c = browser()
    c.login("a.classmate_parent")
    assert "Слова урока 5" in c.get(f"/diary/{lm.classmate.id}/materials/").get_data(as_text=True)
    s = browser()
    s.login("a.student")
    page = s.get(f"/diary/{lm.student.id}/materials/").get_data(as_text=True)
    assert "Слова урока 5" not in page and "Дроби за неделю" in page
    assert s.get(f"/materials/{word.id}/").status_code == 404
    # a material of the second group's lesson: on that lesson of Соседов's diary, never Учеников's
    two = jr_assignment(lm.org, lm.year, lm.klass, lm.teacher, lm.english, lm.g2)
    lesson, = jr_lessons(two, lm.period, [MONDAY], number=5, topic="Урок второй группы")
    db.session.commit()
    song = text_material(lm, "Песня второй группы", "la-la", subject=lm.english)
    assign(lm.actor, AssignInput(target="lesson", lesson_id=lesson.id), material_id=song.id)
    assert [m.title for m in materials.student_materials(lm.classmate.id, lm.org.id, date(2026, 11, 20))
            .for_lessons] == ["Песня второй группы"]
    assert "Песня второй группы" in c.get(f"/diary/{lm.classmate.id}/?week={MONDAY.isoformat()}").get_data(
        as_text=True)
    assert "Песня второй группы" not in week(s, lm.student)
    assert s.get(f"/materials/{song.id}/").status_code == 404
    # the course's sections in the teacher's order
    html = s.get(f"/diary/{lm.student.id}/course/{course.id}/").get_data(as_text=True)
    assert html.index("Раздел 2. Сложение") < html.index("Раздел 1. Дроби") and "Как складывать" in html
    assert s.get(f"/materials/{first.id}/").status_code == 200  # a section of a course given to him
    # another class's student neither
    o = browser()
    o.login("a.other_student")
    assert o.get(f"/diary/{lm.other_student_id}/course/{course.id}/").status_code == 404
    # after the window: gone
    later = materials.student_materials(lm.student.id, lm.org.id, date(2026, 11, 30))
    assert later.courses == []
    assert materials.student_course(lm.student.id, lm.org.id, course.id, date(2026, 11, 30)) is None


def test_the_teacher_cannot_assign_to_a_lesson_or_class_not_his(lm, browser):
    text = text_material(lm)
    with pytest.raises(DomainError) as refused:
        assign(lm.actor, AssignInput(target="lesson", lesson_id=lm.other_lesson.id), material_id=text.id)
    assert refused.value.fields == {"lesson_id": "Материал назначается только на урок, который вы ведёте."}
    with pytest.raises(DomainError):
        assign(lm.actor, AssignInput(target="class", class_id=lm.other_class.id), material_id=text.id)
    b = browser()
    b.login("a.teacher")
    page = b.post(f"/materials/{text.id}/assign/", data={"target": "lesson", "lesson_id": lm.other_lesson.id})
    assert page.status_code == 200 and "только на урок, который вы ведёте" in page.get_data(as_text=True)
    assert count(MaterialAssignment) == 0
    # a colleague's private material is not found; his shared one may be assigned, not edited
    deputy = actor_of("a.deputy")
    private = create(deputy, MaterialInput(title="Черновик", kind="text", subject_id=lm.math.id, grade=6, body="x"))
    shared = create(deputy, MaterialInput(title="Общий", kind="text", subject_id=lm.math.id, grade=5, body="y",
                                          shared=True))
    assert b.get(f"/materials/{private.id}/").status_code == 404
    assert b.get(f"/materials/{shared.id}/").status_code == 200
    assert b.get(f"/materials/{shared.id}/edit/").status_code == 404
    assert b.post(f"/materials/{shared.id}/delete/").status_code == 404
    assert b.post(f"/materials/{shared.id}/assign/", data={"target": "lesson", "lesson_id": lm.mon.id}) \
        .status_code == 302
    assert count(Material) == 3


def test_another_organizations_ids_are_not_found(lm, browser, world):
    text = text_material(lm)
    course = create_course(lm.actor, CourseInput(title="Курс", subject_id=lm.math.id, grade=5,
                                                 material_ids=[text.id]))
    given = assign(lm.actor, AssignInput(target="lesson", lesson_id=lm.mon.id), material_id=text.id)
    b = browser()
    b.login("b.teacher")
    for url in (f"/materials/{text.id}/", f"/materials/{text.id}/file/", f"/materials/{text.id}/edit/",
                f"/materials/{text.id}/assign/", f"/materials/courses/{course.id}/",
                f"/materials/courses/{course.id}/edit/", f"/materials/courses/{course.id}/assign/"):
        assert b.get(url).status_code == 404, url
    assert b.post(f"/materials/assignments/{given.id}/delete/").status_code == 404
    assert b.post(f"/materials/{text.id}/delete/").status_code == 404
    admin = browser()
    admin.login("b.admin")
    assert admin.get(f"/materials/{text.id}/").status_code == 404
    # the teacher of A cannot give his material to B's lessons or classes
    with pytest.raises(DomainError):
        assign(lm.actor, AssignInput(target="class", class_id=world.b.klass.id), material_id=text.id)
    assert count(MaterialAssignment) == 1
    # A's administration reads every material of A
    own = browser()
    own.login("a.admin")
    assert "Правило дробей" in own.get("/materials/").get_data(as_text=True)
    assert own.get(f"/materials/{text.id}/").status_code == 200


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)", "ftp://files.example.ru/a.pdf",
                                 "data:text/html,<b>x</b>", "//example.ru/a", "https://", "http:/ example.ru",
                                 " javascript:alert(1)", "https://exa mple.ru/"])
def test_a_bad_link_is_refused_in_russian_and_nothing_is_saved(lm, browser, url):
    b = browser()
    b.login("a.teacher")
    page = b.post("/materials/new/", data={"title": "Ссылка", "kind": "link", "subject_id": lm.math.id,
                                           "grade": 5, "url": url})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Ссылка должна начинаться с http:// или https://" in html
    assert count(Material) == 0


def test_too_long_text_and_a_wrong_file_are_refused(lm, browser):
    b = browser()
    b.login("a.teacher")
    page = b.post("/materials/new/", data={"title": "Длинный", "kind": "text", "subject_id": lm.math.id,
                                           "grade": 5, "body": "я" * (materials.MAX_TEXT + 1)})
    assert "Текст длиннее 20000 знаков" in page.get_data(as_text=True)
    page = b.post("/materials/new/", data={"title": "Страница", "kind": "file", "subject_id": lm.math.id,
                                           "grade": 5, "file": (BytesIO(HTML), "страница.pdf")},
                  content_type="multipart/form-data")
    assert "такой файл приложить нельзя" in page.get_data(as_text=True)
    page = b.post("/materials/new/", data={"title": "Без файла", "kind": "file", "subject_id": lm.math.id,
                                           "grade": 5})
    assert "Выберите файл." in page.get_data(as_text=True)
    # a subject he does not teach, a grade out of range
    history = jr_subject(lm.org, "История")
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        create(lm.actor, MaterialInput(title="x", kind="text", subject_id=history.id, grade=12, body="y"))
    assert set(refused.value.fields) == {"subject_id", "grade"}
    assert count(Material) == 0
    # a student or a parent keeps no materials
    s = browser()
    s.login("a.student")
    assert s.post("/materials/new/", data={"title": "x", "kind": "text", "subject_id": lm.math.id, "grade": 5,
                                           "body": "y"}).status_code == 403
    assert s.get("/materials/").status_code == 403
    assert count(Material) == 0


def test_the_diary_reads_the_materials_of_a_week_in_one_statement(lm, browser):
    first = text_material(lm, "Первый")
    assign(lm.actor, AssignInput(target="lesson", lesson_id=lm.mon.id), material_id=first.id)
    b = browser()
    b.login("a.parent")
    url = f"/diary/{lm.student.id}/?week={MONDAY.isoformat()}"
    b.get(url)
    with count_queries() as statements:
        html = b.get(url).get_data(as_text=True)
    few = len(statements)
    assert html.count('class="material-link"') == 1
    more = jr_lessons(lm.m5, lm.period, [MONDAY + timedelta(days=1), MONDAY + timedelta(days=3),
                                         MONDAY + timedelta(days=4)])
    db.session.commit()
    for n, lesson in enumerate([lm.wed, *more]):
        for k in range(3):
            material = text_material(lm, f"Материал {n}-{k}")
            assign(lm.actor, AssignInput(target="lesson", lesson_id=lesson.id), material_id=material.id)
    with count_queries() as statements:
        html = b.get(url).get_data(as_text=True)
    assert html.count('class="material-link"') == 1 + 4 * 3
    assert len(statements) == few


def test_a_course_keeps_only_readable_materials_of_its_subject_and_its_author_edits_it(lm, browser):
    text = text_material(lm)
    english = text_material(lm, "Слова", subject=lm.english)
    deputy = actor_of("a.deputy")
    private = create(deputy, MaterialInput(title="Чужой", kind="text", subject_id=lm.math.id, grade=6, body="x"))
    for ids, field in (([english.id], "material_ids"), ([private.id], "material_ids")):
        with pytest.raises(DomainError) as refused:
            create_course(lm.actor, CourseInput(title="Курс", subject_id=lm.math.id, grade=5, material_ids=ids))
        assert field in refused.value.fields
    assert count(Course) == 0
    b = browser()
    b.login("a.teacher")
    answer = b.post("/materials/courses/new/", data={"title": "Дроби", "subject_id": lm.math.id, "grade": 5,
                                                      "material": [text.id]})
    assert answer.status_code == 302
    course = db.session.scalar(select(Course))
    assert [i.material_id for i in course.items] == [text.id]
    page = b.get(f"/materials/courses/{course.id}/assign/").get_data(as_text=True)
    assert f'value="{lm.klass.id}:"' in page and f'value="{lm.other_class.id}:"' not in page
    assert b.post(f"/materials/courses/{course.id}/assign/",
                  data={"target": "class", "group": f"{lm.klass.id}:", "start_date": "20.11.2026",
                        "end_date": "19.11.2026"}).status_code == 200
    assert count(MaterialAssignment) == 0
    assert b.post(f"/materials/courses/{course.id}/assign/",
                  data={"target": "class", "group": f"{lm.klass.id}:", "start_date": "16.11.2026",
                        "end_date": "27.11.2026"}).status_code == 302
    assert count(MaterialAssignment) == 1
    d = browser()
    d.login("a.deputy")
    assert d.get(f"/materials/courses/{course.id}/edit/").status_code == 404
    assert d.get(f"/materials/courses/{course.id}/").status_code == 200  # the deputy reads every course


def test_the_author_edits_replaces_the_file_and_deletes_with_his_assignments(lm, browser):
    b = browser()
    b.login("a.teacher")
    b.post("/materials/new/", data={"title": "Файл", "kind": "file", "subject_id": lm.math.id, "grade": 5,
                                    "file": (BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data")
    material = db.session.scalar(select(Material))
    old_file = material.stored_file_id
    answer = b.post(f"/materials/{material.id}/edit/",
                    data={"title": "Файл, вторая редакция", "subject_id": lm.math.id, "grade": 6,
                          "version": material.version, "shared": "1",
                          "file": (BytesIO("новый текст".encode()), "b.txt")}, content_type="multipart/form-data")
    assert answer.status_code == 302
    db.session.expire_all()
    material = db.session.get(Material, material.id)
    assert (material.title, material.grade, material.shared, material.kind) == ("Файл, вторая редакция", 6, True,
                                                                                 "file")
    assert material.stored_file_id != old_file and material.stored_file.name == "b.txt"
    # a stale form is refused
    stale = b.post(f"/materials/{material.id}/edit/", data={"title": "Старое", "subject_id": lm.math.id, "grade": 5,
                                                            "version": 1})
    assert "изменена другим пользователем" in stale.get_data(as_text=True)
    assign(lm.actor, AssignInput(target="lesson", lesson_id=lm.mon.id), material_id=material.id)
    assert b.post(f"/materials/{material.id}/delete/").status_code == 302
    assert count(Material) == 0 and count(MaterialAssignment) == 0
