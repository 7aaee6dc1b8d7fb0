"""The students' portfolio and the portfolio of projects (issue 18.3, seed 000 §3.4, §4.3): who sees which entries
(a student his own and his proposals, a parent his child's confirmed ones, a teacher his students', another
organization nothing), the student's proposal and the class teacher's confirmation or rejection with a reason (a
teacher of another class refused), the file's type and size, the printable portfolio and the class summary's
figures, a project in each participant's portfolio, and bad input refused in Russian with nothing saved."""
from datetime import date, timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from models import (EntryKind, EntryLevel, EntryPlace, EntryStatus, Notification, PortfolioEntry, Project,
                    ProjectStage, Role, StoredFile, Student, db)
from reports import registry
from reports.render import to_json
from services.demo.school import create_demo
from services.errors import DomainError, PermissionDenied
from services.portfolio import entries, projects
from services.portfolio.entries import EntryInput
from tests.factories import actor_of, make_staff, tt_assignment, tt_subject
from tests.querycount import count_queries

TODAY = date(2026, 11, 20)  # TEST_TODAY
PDF = b"%PDF-1.4 portfolio diploma"


def entry_input(title="Олимпиада по математике", kind=EntryKind.OLYMPIAD, level=EntryLevel.MUNICIPAL,
                day=TODAY - timedelta(days=10), place=EntryPlace.WINNER, result="", subject_id=None):
    return EntryInput(kind=kind, title=title, level=level, event_date=day, place=place, result=result,
                      subject_id=subject_id)


def signed_in(browser, login):
    b = browser()
    assert b.login(login).status_code == 302
    return b


@pytest.fixture
def pf(world):
    """World A: a.teacher teaches 5А (Математика); a.t6 teaches only 6Б, which a.ct6 leads; a.class_teacher
    leads 5А."""
    a = world.a
    math = tt_subject(a.org, "Математика")
    tt_assignment(a.org, a.year, a.klass, a.teacher, math)
    a.t6 = make_staff(a.org, "Шестов", "Шамиль", [Role.TEACHER.value], "a.t6")
    a.ct6 = make_staff(a.org, "Шестова", "Шура", [Role.TEACHER.value], "a.ct6", sex="f")
    tt_assignment(a.org, a.year, a.other_class, a.t6, math)
    a.other_class.class_teacher_id = a.ct6.id
    db.session.flush()
    a.math = math
    return a


def titles(items):
    return sorted(e.title for e in items)


def test_visibility_by_role(pf, world):
    a, b = pf, world.b
    teacher, ct = actor_of("a.teacher"), actor_of("a.class_teacher")
    entries.add(teacher, a.student.id, entry_input("Моя олимпиада"))
    entries.add(ct, a.classmate.id, entry_input("Олимпиада соседа"))
    entries.add(actor_of("a.admin"), a.stranger.id, entry_input("Олимпиада чужого"))
    proposal = entries.add(actor_of("a.student"), a.student.id, entry_input("Предложение", place=""
                                                                          , result="сертификат"))
    assert proposal.status == EntryStatus.PROPOSED
    # the student: his confirmed entry and his proposal; another student's: nothing
    student = actor_of("a.student")
    assert titles(entries.entries_of(student, a.student.id)) == ["Моя олимпиада", "Предложение"]
    assert entries.entries_of(student, a.classmate.id) == []
    assert entries.student_for(student, a.classmate.id) is None
    # the parent: his child's confirmed entries only
    parent = actor_of("a.parent")
    assert titles(entries.entries_of(parent, a.student.id)) == ["Моя олимпиада"]
    assert entries.student_for(parent, a.stranger.id) is None
    # a teacher: his students' (5А) confirmed entries, not 6Б's
    assert titles(entries.entries_of(teacher, a.student.id)) == ["Моя олимпиада"]
    assert entries.student_for(teacher, a.stranger.id) is None
    assert entries.entries_of(teacher, a.stranger.id) == []
    # the class teacher and the administration: the proposal too
    assert titles(entries.entries_of(ct, a.student.id)) == ["Моя олимпиада", "Предложение"]
    assert titles(entries.entries_of(actor_of("a.admin"), a.stranger.id)) == ["Олимпиада чужого"]
    # another organization: nothing
    for login in ("b.admin", "b.class_teacher", "b.teacher"):
        other = actor_of(login)
        assert entries.student_for(other, a.student.id) is None
        assert entries.entries_of(other, a.student.id) == []
    with pytest.raises(PermissionDenied):
        entries.add(actor_of("b.admin"), a.student.id, entry_input("Чужая"))
    assert b.org.id != a.org.id


def test_pages_by_role(pf, world, browser):
    a = pf
    entry = entries.add(actor_of("a.class_teacher"), a.student.id, entry_input("Городская олимпиада"),
                        upload=("Диплом.pdf", PDF))
    other = entries.add(actor_of("a.admin"), a.stranger.id, entry_input("Олимпиада 6Б"))
    db.session.commit()
    page = f"/portfolio/student/{a.student.id}/"
    for login in ("a.student", "a.parent", "a.teacher", "a.class_teacher", "a.admin", "a.deputy", "a.director"):
        html = signed_in(browser, login).get(page).get_data(as_text=True)
        assert "Городская олимпиада" in html, login
    for login in ("a.teacher", "a.class_teacher", "a.student", "a.parent", "b.admin", "b.class_teacher"):
        if login == "a.teacher":
            assert entries.student_for(actor_of("a.t6"), a.stranger.id) is not None
        b = signed_in(browser, login)
        assert b.get(f"/portfolio/student/{a.stranger.id}/").status_code == 404, login
        assert b.get(f"/portfolio/entry/{other.id}/file/").status_code == 404, login
    for login in ("b.admin", "b.parent", "b.student"):
        b = signed_in(browser, login)
        assert b.get(page).status_code == 404, login
        assert b.get(f"/portfolio/entry/{entry.id}/file/").status_code == 404, login
    response = signed_in(browser, "a.parent").get(f"/portfolio/entry/{entry.id}/file/")
    assert response.status_code == 200 and response.data == PDF
    assert "attachment" in response.headers["Content-Disposition"]
    # the student's own start: «Портфолио» opens his page; the parent's (one child) his child's
    assert signed_in(browser, "a.student").get("/portfolio/").headers["Location"].endswith(page)
    assert signed_in(browser, "a.parent").get("/portfolio/").headers["Location"].endswith(page)


def test_student_proposes_class_teacher_confirms_or_rejects(pf, browser):
    a = pf
    a.class_teacher.email = "klass@example.org"
    db.session.commit()
    b = signed_in(browser, "a.student")
    response = b.post(f"/portfolio/student/{a.student.id}/add/", data={
        "kind": "contest", "title": "Конкурс рисунков", "level": "regional", "event_date": "01.11.2026",
        "place": "prizewinner", "result": "", "file": (BytesIO(PDF), "Грамота.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    first = db.session.scalar(select(PortfolioEntry).where(PortfolioEntry.title == "Конкурс рисунков"))
    assert first.status == EntryStatus.PROPOSED and first.stored_file is not None
    note = db.session.scalar(select(Notification).where(Notification.kind == "portfolio"))
    assert note is not None and note.user_id == a.class_teacher.user_id and "Конкурс рисунков" in note.body
    second = entries.add(actor_of("a.student"), a.student.id, entry_input("Эстафета", kind=EntryKind.SPORT))
    db.session.commit()
    # the parent does not see proposals; the class teacher sees them waiting
    assert entries.entries_of(actor_of("a.parent"), a.student.id) == []
    assert titles(entries.pending(actor_of("a.class_teacher"))) == ["Конкурс рисунков", "Эстафета"]
    # a teacher (of his class, not its class teacher), a teacher of another class, another organization: refused
    for login in ("a.teacher", "a.t6", "a.ct6", "b.class_teacher", "b.admin"):
        with pytest.raises(PermissionDenied):
            entries.decide(actor_of(login), first.id, True)
        assert signed_in(browser, login).post(f"/portfolio/entry/{first.id}/decide/",
                                              data={"action": "confirm"}).status_code in (403, 404), login
    # the student himself cannot confirm
    assert b.post(f"/portfolio/entry/{first.id}/decide/", data={"action": "confirm"}).status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(PortfolioEntry, first.id).status == EntryStatus.PROPOSED
    # a rejection needs a reason
    ct = signed_in(browser, "a.class_teacher")
    response = ct.post(f"/portfolio/entry/{second.id}/decide/", data={"action": "reject", "reason": "  "},
                       follow_redirects=True)
    assert "укажите причину" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PortfolioEntry, second.id).status == EntryStatus.PROPOSED
    assert ct.post(f"/portfolio/entry/{first.id}/decide/", data={"action": "confirm"}).status_code == 302
    assert ct.post(f"/portfolio/entry/{second.id}/decide/",
                   data={"action": "reject", "reason": "Нет подтверждающего документа"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(PortfolioEntry, first.id).status == EntryStatus.CONFIRMED
    rejected = db.session.get(PortfolioEntry, second.id)
    assert rejected.status == EntryStatus.REJECTED and rejected.reject_reason == "Нет подтверждающего документа"
    # decided once: a second answer is refused
    with pytest.raises(DomainError):
        entries.decide(actor_of("a.class_teacher"), first.id, False, "передумал")
    # the student sees the reason; the parent sees only the confirmed entry
    html = b.get(f"/portfolio/student/{a.student.id}/").get_data(as_text=True)
    assert "Нет подтверждающего документа" in html and "отклонено" in html
    assert titles(entries.entries_of(actor_of("a.parent"), a.student.id)) == ["Конкурс рисунков"]
    # a student may not add to a classmate's portfolio, nor change a confirmed entry
    assert b.post(f"/portfolio/student/{a.classmate.id}/add/", data={
        "kind": "contest", "title": "Чужое", "level": "school", "event_date": "01.11.2026",
        "place": "winner"}).status_code == 404
    with pytest.raises(PermissionDenied):
        entries.update(actor_of("a.student"), first.id, entry_input("Подменил"))
    with pytest.raises(PermissionDenied):
        entries.add(actor_of("a.t6"), a.student.id, entry_input("Учитель 6Б"))
    with pytest.raises(PermissionDenied):
        entries.add(actor_of("a.ct6"), a.student.id, entry_input("Классный руководитель 6Б"))


def test_file_type_and_size(pf, browser):
    a = pf
    ct = actor_of("a.class_teacher")
    before = db.session.scalar(select(func.count(PortfolioEntry.id)))
    files_before = db.session.scalar(select(func.count(StoredFile.id)))
    for name, data, words in (("diplom.pdf", b"<html><script>alert(1)</script></html>", "нельзя"),
                              ("virus.pdf", b"MZ\x90\x00 program", "нельзя"),
                              ("big.pdf", b"%PDF-1.4" + b"0" * entries.MAX_FILE_BYTES, "больше"),
                              ("empty.pdf", b"", "пустой")):
        with pytest.raises(DomainError) as exc:
            entries.add(ct, a.student.id, entry_input(), upload=(name, data))
        assert words in str(exc.value) and "file" in exc.value.fields
    assert db.session.scalar(select(func.count(PortfolioEntry.id))) == before
    assert db.session.scalar(select(func.count(StoredFile.id))) == files_before
    # through the page: refused on the form, what was typed kept, nothing saved
    b = signed_in(browser, "a.class_teacher")
    response = b.post(f"/portfolio/student/{a.student.id}/add/", data={
        "kind": "olympiad", "title": "Олимпиада с вирусом", "level": "school", "event_date": "01.11.2026",
        "place": "winner", "file": (BytesIO(b"MZ\x90\x00 program"), "diplom.exe")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "такой файл приложить нельзя" in html and "Олимпиада с вирусом" in html
    assert db.session.scalar(select(func.count(PortfolioEntry.id))) == before


def test_bad_input_refused_in_russian_nothing_saved(pf, browser):
    a = pf
    ct = actor_of("a.class_teacher")
    cases = [
        (entry_input(title="  "), "title"),
        (entry_input(title="Я" * 301), "title"),
        (entry_input(kind="hack"), "kind"),
        (entry_input(level="galactic"), "level"),
        (entry_input(day=None), "event_date"),
        (entry_input(day=TODAY + timedelta(days=1)), "event_date"),
        (entry_input(place="champion"), "place"),
        (entry_input(place="", result=""), "place"),
        (entry_input(result="р" * 301), "result"),
        (entry_input(subject_id=999999), "subject_id"),
    ]
    for data, field in cases:
        with pytest.raises(DomainError) as exc:
            entries.add(ct, a.student.id, data)
        assert field in exc.value.fields, (data, exc.value.fields)
        assert "не сохранена" in exc.value.message
    # another organization's subject
    other_subject = tt_subject(pf.org, "x")  # same org: fine
    b_subject = tt_subject(actor_of("b.admin").org, "Чужой предмет")
    with pytest.raises(DomainError):
        entries.add(ct, a.student.id, entry_input(subject_id=b_subject.id))
    assert other_subject.org_id == a.org.id
    assert db.session.scalar(select(func.count(PortfolioEntry.id))) == 0
    b = signed_in(browser, "a.class_teacher")
    for data in ({"kind": "olympiad", "title": "Олимпиада", "level": "school", "event_date": "31.02.2026",
                  "place": "winner"},
                 {"kind": "olympiad", "title": "Олимпиада", "level": "school", "event_date": "01.11.2026",
                  "place": "winner", "subject_id": "abc"},
                 {"kind": "olympiad", "title": "", "level": "school", "event_date": "01.11.2026"}):
        response = b.post(f"/portfolio/student/{a.student.id}/add/", data=data)
        assert response.status_code in (200, 400, 404), data
        assert "Traceback" not in response.get_data(as_text=True)
    response = b.post(f"/portfolio/student/{a.student.id}/add/", data={
        "kind": "olympiad", "title": "Олимпиада", "level": "school", "event_date": "31.02.2026", "place": "winner"})
    assert "не дата" in response.get_data(as_text=True) or "дат" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(PortfolioEntry.id))) == 0


def _project(a, participants, supervisor=None, title="Экологическая тропа"):
    project = Project(org_id=a.org.id, title=title, supervisor_id=(supervisor or a.teacher).id,
                      start_date=TODAY - timedelta(days=30), participants=list(participants),
                      result_text="Стенды", mark=5)
    project.stages.append(ProjectStage(org_id=a.org.id, title="Сбор материала", planned_date=TODAY - timedelta(days=10),
                                       done_date=TODAY - timedelta(days=12)))
    project.stages.append(ProjectStage(org_id=a.org.id, title="Защита", planned_date=TODAY + timedelta(days=10)))
    db.session.add(project)
    db.session.flush()
    return project


def test_project_in_each_participants_portfolio(pf, browser):
    a = pf
    project = _project(a, [a.student, a.stranger])  # two classes
    db.session.commit()
    for login, student in (("a.student", a.student), ("a.parent", a.student), ("a.admin", a.stranger),
                           ("a.class_teacher", a.student)):
        found = projects.projects_of(actor_of(login), student.id)
        assert [p.title for p in found] == ["Экологическая тропа"], login
    assert entries.student_for(actor_of("a.student"), a.stranger.id) is None  # not his portfolio
    assert projects.projects_of(actor_of("b.admin"), a.student.id) == []
    html = signed_in(browser, "a.student").get(f"/portfolio/student/{a.student.id}/").get_data(as_text=True)
    assert "Экологическая тропа" in html and "этапов выполнено 1 из 2" in html
    page = signed_in(browser, "a.parent").get(f"/portfolio/project/{project.id}/")
    assert page.status_code == 200 and "Сбор материала" in page.get_data(as_text=True)
    assert signed_in(browser, "b.parent").get(f"/portfolio/project/{project.id}/").status_code == 404
    assert projects.project_for(actor_of("a.t6"), project.id) is None  # neither his project nor his row
    assert projects.project_for(actor_of("a.teacher"), project.id) is not None  # he supervises it
    assert projects.project_for(actor_of("a.deputy"), project.id) is not None  # the administration


def test_project_rules(pf):
    a = pf
    with pytest.raises(DomainError) as exc:
        _project(a, [], title="Без участников")
    assert "participants" in exc.value.fields
    db.session.rollback()
    b_student = actor_of("b.student")
    stranger = db.session.get(Student, b_student.student_id)
    with pytest.raises(DomainError):
        _project(a, [a.student, stranger], title="Чужой участник")
    db.session.rollback()
    project = Project(org_id=a.org.id, title="  ", supervisor_id=a.teacher.id, participants=[a.student], mark=7)
    db.session.add(project)
    with pytest.raises(DomainError) as exc:
        db.session.flush()
    assert {"title", "mark"} <= set(exc.value.fields)
    db.session.rollback()


def test_project_result_file(pf, browser):
    a = pf
    project = _project(a, [a.student])
    db.session.commit()
    b = signed_in(browser, "a.teacher")
    response = b.post(f"/portfolio/project/{project.id}/result-file/",
                      data={"file": (BytesIO(b"<svg onload=x>"), "r.svg")}, content_type="multipart/form-data")
    assert response.status_code == 200 and "нельзя" in response.get_data(as_text=True)
    assert b.post(f"/portfolio/project/{project.id}/result-file/", data={"file": (BytesIO(PDF), "Отчёт.pdf")},
                  content_type="multipart/form-data").status_code == 302
    assert signed_in(browser, "a.parent").get(f"/portfolio/project/{project.id}/file/").data == PDF
    # a participant's parent reads it, but may not replace it
    assert signed_in(browser, "a.parent").post(f"/portfolio/project/{project.id}/result-file/", data={
        "file": (BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data").status_code in (403, 404)


def test_printable_portfolio_and_class_summary(pf, browser):
    a = pf
    ct = actor_of("a.class_teacher")
    entries.add(ct, a.student.id, entry_input("Муниципальная олимпиада", level=EntryLevel.MUNICIPAL,
                                              place=EntryPlace.WINNER))
    entries.add(ct, a.student.id, entry_input("Региональный конкурс", kind=EntryKind.CONTEST,
                                              level=EntryLevel.REGIONAL, place=EntryPlace.PRIZEWINNER))
    entries.add(ct, a.student.id, entry_input("Школьные соревнования", kind=EntryKind.SPORT,
                                              level=EntryLevel.SCHOOL, place=EntryPlace.PARTICIPANT))
    entries.add(ct, a.classmate.id, entry_input("Школьная олимпиада", level=EntryLevel.SCHOOL,
                                                place=EntryPlace.WINNER))
    entries.add(actor_of("a.student"), a.student.id, entry_input("Не подтверждено", level=EntryLevel.FEDERAL))
    _project(a, [a.student, a.stranger])
    db.session.commit()
    doc = registry.build(actor_of("a.parent"), "student-portfolio", {}, today=TODAY)
    data = to_json(doc)
    tables = [blk for blk in data["sheets"][0]["blocks"] if blk["type"] == "table"]
    names = [row[2] for row in tables[0]["rows"]]
    assert sorted(names) == ["Муниципальная олимпиада", "Региональный конкурс", "Школьные соревнования"]
    levels = list(EntryLevel.LABELS)
    totals = tables[1]["rows"][0]
    assert totals[levels.index(EntryLevel.SCHOOL)] == 1 and totals[levels.index(EntryLevel.MUNICIPAL)] == 1
    assert totals[levels.index(EntryLevel.REGIONAL)] == 1 and totals[levels.index(EntryLevel.FEDERAL)] == 0
    assert totals[len(levels):] == [3, 1, 1]
    assert tables[2]["rows"][0][0] == "Экологическая тропа" and tables[2]["rows"][0][3] == "1 из 2"
    # another student's portfolio: refused to the parent and the student
    for login in ("a.parent", "a.student", "b.admin"):
        with pytest.raises(DomainError):
            registry.build(actor_of(login), "student-portfolio", {"student": str(a.stranger.id)}, today=TODAY)
    # the class summary
    doc = registry.build(ct, "class-portfolio", {"class": "5А"}, today=TODAY)
    rows = [blk for blk in to_json(doc)["sheets"][0]["blocks"] if blk["type"] == "table"][0]["rows"]
    by_name = {" ".join(row[1].split()[:2]): row[2:] for row in rows}
    kinds = list(EntryKind.LABELS)
    n = len(levels)
    mine = by_name["Учеников Пётр"]
    assert mine[:n] == [1, 1, 1, 0, 0]
    assert mine[n:n + len(kinds)] == [1, 1, 1, 0, 0, 0]
    assert mine[n + len(kinds):] == [3, 1, 1, 1]
    assert by_name["Соседов Семён"][n + len(kinds):] == [1, 1, 0, 0]
    assert by_name["Итого"][:n] == [2, 1, 1, 0, 0] and by_name["Итого"][n + len(kinds):] == [4, 2, 1, 1]
    with pytest.raises(DomainError):  # the class teacher of 6Б: not his class
        registry.build(actor_of("a.ct6"), "class-portfolio", {"class": "5А"}, today=TODAY)
    other = registry.build(actor_of("b.class_teacher"), "class-portfolio", {"class": "5А"}, today=TODAY)
    assert all(row[-4] == 0 for row in [blk for blk in to_json(other)["sheets"][0]["blocks"]
                                        if blk["type"] == "table"][0]["rows"])  # B's 5А: none of A's entries
    # on screen and as .xlsx
    b = signed_in(browser, "a.class_teacher")
    page = b.get("/reports/class-portfolio/?class=5А")
    assert page.status_code == 200 and "Сводка портфолио" in page.get_data(as_text=True)
    xlsx = b.get("/reports/class-portfolio/?class=5А&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    page = signed_in(browser, "a.student").get("/reports/student-portfolio/")
    assert page.status_code == 200 and "Муниципальная олимпиада" in page.get_data(as_text=True)
    assert "Не подтверждено" not in page.get_data(as_text=True)


def test_class_summary_statements_do_not_grow(pf):
    a = pf
    ct = actor_of("a.class_teacher")
    with count_queries() as few:
        registry.build(ct, "class-portfolio", {"class": "5А"}, today=TODAY)
    for student in (a.student, a.classmate):
        for n in range(4):
            entries.add(ct, student.id, entry_input(f"Олимпиада {n}"))
        _project(a, [student], title=f"Проект {student.id}")
    with count_queries() as many:
        registry.build(ct, "class-portfolio", {"class": "5А"}, today=TODAY)
    assert len(many) <= len(few) + 3, (len(few), len(many))


def test_demo_has_a_portfolio(app):
    create_demo()
    db.session.flush()
    assert db.session.scalar(select(func.count(PortfolioEntry.id)).where(
        PortfolioEntry.status == EntryStatus.CONFIRMED)) >= 4
    assert db.session.scalar(select(func.count(PortfolioEntry.id)).where(
        PortfolioEntry.status == EntryStatus.PROPOSED)) == 1
    project = db.session.scalar(select(Project))
    assert project is not None and len(project.stages) >= 3 and len(project.participants) >= 2
    db.session.rollback()


def test_student_page_statements_do_not_grow(pf, browser):
    a = pf
    ct = actor_of("a.class_teacher")
    entries.add(ct, a.student.id, entry_input("Первая"), upload=("Диплом.pdf", PDF))
    db.session.commit()
    b = signed_in(browser, "a.class_teacher")
    page = f"/portfolio/student/{a.student.id}/"
    with count_queries() as few:
        assert b.get(page).status_code == 200
    for n in range(8):
        entries.add(ct, a.student.id, entry_input(f"Олимпиада {n}"), upload=(f"Диплом {n}.pdf", PDF))
        entries.add(actor_of("a.student"), a.student.id, entry_input(f"Предложение {n}"))
        _project(a, [a.student], title=f"Проект {n}")
    db.session.commit()
    with count_queries() as many:
        html = b.get(page).get_data(as_text=True)
    assert html.count("Подтвердить") == 8 and "Проект 7" in html
    assert len(many) <= len(few) + 2, (len(few), len(many))


def test_student_withdraws_his_waiting_proposal_only(pf, browser):
    a = pf
    waiting = entries.add(actor_of("a.student"), a.student.id, entry_input("Моё предложение"))
    confirmed = entries.add(actor_of("a.class_teacher"), a.student.id, entry_input("Подтверждённое"))
    db.session.commit()
    waiting_id, confirmed_id = waiting.id, confirmed.id
    b = signed_in(browser, "a.student")
    assert b.post(f"/portfolio/entry/{confirmed_id}/delete/").status_code == 404
    assert b.post(f"/portfolio/entry/{waiting_id}/delete/").status_code == 302
    db.session.expire_all()
    assert db.session.get(PortfolioEntry, waiting_id) is None
    assert db.session.get(PortfolioEntry, confirmed_id) is not None
    # a teacher deletes only what he added; the class teacher any of his class's
    mine = entries.add(actor_of("a.teacher"), a.student.id, entry_input("От учителя"))
    db.session.commit()
    with pytest.raises(PermissionDenied):
        entries.delete(actor_of("a.teacher"), confirmed_id)
    entries.delete(actor_of("a.teacher"), mine.id)
    entries.delete(actor_of("a.class_teacher"), confirmed_id)


def test_the_diary_leads_to_the_portfolio(pf, browser):
    a = pf
    for login in ("a.student", "a.parent"):
        html = signed_in(browser, login).get(f"/diary/{a.student.id}/").get_data(as_text=True)
        assert f'href="/portfolio/student/{a.student.id}/">Портфолио</a>' in html, login


def test_project_model_view_refuses_bad_input_and_saves_good(pf, browser):
    a = pf
    b = signed_in(browser, "a.teacher")
    count = db.session.scalar(select(func.count(Project.id)))
    response = b.post("/portfolio-projects/new/", data={"title": "Проект без участников",
                                                       "supervisor": str(a.teacher.id), "mark": "4"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Укажите участников проекта" in html
    response = b.post("/portfolio-projects/new/", data={"title": "Проект", "supervisor": str(a.teacher.id),
                                                       "participants": [str(a.student.id)], "mark": "9"})
    assert "от 1 до 5" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Project.id))) == count
    response = b.post("/portfolio-projects/new/", data={
        "title": "Живой уголок", "supervisor": str(a.teacher.id), "mark": "",
        "participants": [str(a.student.id), str(a.stranger.id)]})
    assert response.status_code == 302
    project = db.session.scalar(select(Project).where(Project.title == "Живой уголок"))
    assert sorted(s.id for s in project.participants) == sorted([a.student.id, a.stranger.id])
    assert project.created_by_id == a.teacher.user_id
    # both participants see it in their portfolio; another organization's student is no choice
    assert [p.title for p in projects.projects_of(actor_of("a.student"), a.student.id)] == ["Живой уголок"]
    b_student = db.session.get(Student, actor_of("b.student").student_id)
    response = b.post("/portfolio-projects/new/", data={"title": "Чужой", "supervisor": str(a.teacher.id),
                                                       "participants": [str(b_student.id)]})
    assert db.session.scalar(select(Project).where(Project.title == "Чужой")) is None


def test_edit_through_the_page_keeps_input_and_refuses_a_stale_version(pf, browser):
    a = pf
    entry = entries.add(actor_of("a.class_teacher"), a.student.id, entry_input("Старое название"))
    db.session.commit()
    entry_id, version = entry.id, entry.version
    b = signed_in(browser, "a.class_teacher")
    form = {"kind": "olympiad", "title": "Новое название", "level": "regional", "event_date": "02.11.2026",
            "place": "winner", "result": "", "version": str(version)}
    response = b.post(f"/portfolio/entry/{entry_id}/edit/", data={**form, "title": "", "result": "100 баллов"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Укажите название" in html and "100 баллов" in html
    assert b.post(f"/portfolio/entry/{entry_id}/edit/", data=form).status_code == 302
    db.session.expire_all()
    saved = db.session.get(PortfolioEntry, entry_id)
    assert saved.title == "Новое название" and saved.level == EntryLevel.REGIONAL
    response = b.post(f"/portfolio/entry/{entry_id}/edit/", data={**form, "title": "Поверх чужой правки"})
    assert "изменена другим пользователем" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PortfolioEntry, entry_id).title == "Новое название"
    # a teacher who did not add it may not edit it
    assert signed_in(browser, "a.teacher").post(f"/portfolio/entry/{entry_id}/edit/", data=form).status_code == 404
