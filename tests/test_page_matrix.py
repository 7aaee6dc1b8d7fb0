"""Every endpoint of the application declares what it needs (admin_views/base.py: `requires`, `public`,
`signed_in`; a model view's Flask-Admin endpoints by ENDPOINT_VERBS), and the declarations are obeyed:
each endpoint × each role's demo user, through HTTP, hand-made pages included.

The expected answer comes from the declaration and the permission table, not from a list kept by hand:
a role the table refuses gets the need's refusal (403, or 404 where the page hides what exists); a role it
allows gets the page (200, or a redirect) for a row it reaches, 403/404 for a row it does not. The model
views' own endpoints (list, card, form, export, actions) are walked row by row by
tests/test_permissions.py; here, their hand-made endpoints are.
"""
from datetime import date, datetime, time

import pytest
from flask import url_for
from sqlalchemy import select

from admin_views.base import DECLARED, ENDPOINT_VERBS, SecureModelView, SecurePage, access_of, endpoint_access
from admin_views.reports import REPORT_KEYS
from models import (Announcement, DataRequest, ExamEntry, Mark, Organization, PortfolioEntry, Project, ProjectStage,
                    Quiz, QuizAssignment, QuizQuestion, SavedReport, User, db)
from reports import registry as reports
from services import permissions
from services.messages import mail
from services.learning import materials
from services.context import Actor
from tests.factories import jr_flag, jr_lessons, jr_mark, jr_task, mv_order, pl_plan, ro_school

ROLES = ("admin", "hr", "deputy", "director", "teacher", "class_teacher", "student", "parent", "root", "region")
DENIED = (403, 404)
# Pages whose row this world has not: the handler answers 404 to whoever the table lets in.
ABSENT = {
    "semester.index": "a school has no semesters (a college's page)",
    "journal_archive.job_status": "no archive job was started",
    "journal_archive.download": "no archive job was started",
    "jobs.status": "no background job was started (tests/test_jobs.py starts them)",
    "jobs.download": "no background job was started",
    "data_import.job": "no file was uploaded (tests/test_import_students.py uploads one)",
    "data_import.status": "no file was uploaded",
    "lesson_files.download": "no file was attached to a lesson",
    "data_requests.scan": "the world's request has no scan",
    "announcements.file": "the announcement has no attachment (tests/test_announcements.py downloads one)",
    "reports.cell": "the first report a role opens has no cells to list (ОО-1's: tests/test_oo1.py)",
    "quizzes.attempt": "the world's test has no attempt (tests/test_quizzes.py takes one)",
    "my_tests.attempt": "the world's test has no attempt (tests/test_quizzes.py takes one)",
    "portfolio.file": "the portfolio entry has no file (tests/test_portfolio.py downloads one)",
    "portfolio.project_file": "the project has no result file (tests/test_portfolio.py downloads one)",
}
# A path argument that is not a row's id.
PATH_VALUES = {"number": 1, "job_id": "0"}
# A path's second row, of another model than the declaration's (set by the `school` fixture): (endpoint, argument).
SECOND_ROWS = {}
# Endpoints given their row in the query string (besides the model views' own: ?id=).
QUERY_ROWS = {"journal.history"}


@pytest.fixture
def school(world):
    """The world's organization A as a small school: classes, subjects, assignments, a lesson with a
    mark, an exam, a КТП and a draft order."""
    a = ro_school(world.a)
    lesson, = jr_lessons(a.assignments[0], a.period, [date(2026, 11, 16)])
    mark = jr_mark(jr_task(lesson), a.student, "5")
    for person in (a.student, a.parent):  # «отметка ошибочна» of the mark, by the student and by the parent
        jr_flag(mark, person.user_id)
    db.session.add(ExamEntry(org_id=a.org.id, year_id=a.year.id, kind="exam", subject_id=a.math.id,
                             class_id=a.klass.id, date=date(2027, 1, 23), starts_at=time(9), ends_at=time(11),
                             examiner_id=a.teacher.id))
    pl_plan(a.org, a.year, a.teacher, a.math, 5, topics=[("Натуральные числа", 2)])
    db.session.commit()
    mv_order(a.org, "enrollment", date(2026, 11, 2), apply=False)
    db.session.add(DataRequest(org_id=a.org.id, author_id=a.parent.id, author_user_id=a.parent.user_id,
                               student_id=a.student.id, field="address", proposed="г. Тест, ул. Новая, д. 5"))
    mail.save(Actor.for_user(db.session.get(User, a.parent.user_id)), mail.Draft(
        to=[a.class_teacher.user_id], groups=[], subject="Вопрос", body="Текст", files=[("a.txt", b"text")]))
    db.session.add(Announcement(org_id=a.org.id, audience="all", title="Собрание", body="В 18:00",
                                publish_date=date(2026, 11, 20), end_date=date(2026, 11, 27),
                                author_id=a.admin.user_id))
    db.session.add(SavedReport(org_id=a.org.id, owner_id=a.admin.user_id, name="Ученики", shared=True,
                               definition={"entity": "students", "columns": ["full_name", "class_name"]}))
    db.session.commit()
    teacher = _actor("a.teacher")  # a learning material (a file) in a course, both given to the lesson's class
    material = materials.create_material(teacher, materials.MaterialInput(
        title="Памятка", kind="file", subject_id=a.math.id, grade=5, upload=("памятка.txt", b"text")))
    course = materials.create_course(teacher, materials.CourseInput(title="Курс", subject_id=a.math.id, grade=5,
                                                                    material_ids=[material.id]))
    materials.assign(teacher, materials.AssignInput(target="class", class_id=lesson.assignment.class_id),
                     course_id=course.id)
    SECOND_ROWS[("diary.course", "course_id")] = course.id  # the student's row, and the course given to his class
    quiz = Quiz(org_id=a.org.id, author_id=a.teacher.id, subject_id=a.math.id, grade=5, title="Дроби", max_attempts=1)
    db.session.add(quiz)
    db.session.flush()
    db.session.add(QuizQuestion(org_id=a.org.id, quiz_id=quiz.id, position=1, kind="text", text="Ответ?", points=1,
                                accepted="да"))
    db.session.add(QuizAssignment(org_id=a.org.id, quiz_id=quiz.id, assignment_id=a.assignments[0].id,
                                  opens_at=datetime(2026, 11, 19, 6), closes_at=datetime(2026, 11, 27, 15)))
    # the portfolio: a.teacher's confirmed entry of Учеников, and a project he supervises with Учеников in it
    db.session.add(PortfolioEntry(org_id=a.org.id, student_id=a.student.id, kind="olympiad", title="Олимпиада",
                                  level="school", event_date=date(2026, 11, 2), place="winner", status="confirmed",
                                  author_id=a.teacher.user_id))
    db.session.add(Project(org_id=a.org.id, title="Проект", supervisor_id=a.teacher.id, participants=[a.student],
                           stages=[ProjectStage(org_id=a.org.id, title="Этап", planned_date=date(2026, 12, 1))]))
    db.session.commit()
    return world


def declared(app):
    return endpoint_access(app)


def test_every_endpoint_declares_what_it_needs(app):
    access = declared(app)
    assert not [endpoint for endpoint, (_, need) in access.items() if need is None]
    pages = {endpoint for endpoint, (view, _) in access.items() if isinstance(view, SecurePage)}
    assert len(pages) > 25
    # Every declaration made is an endpoint's (none left on a function that is no longer served).
    served = {f"{fn.__module__}.{fn.__qualname__}" for fn in app.view_functions.values() if access_of(fn)}
    assert set(DECLARED) == served


def flask_admins(view, endpoint):
    """A model view's own Flask-Admin endpoint (list, card, form, export, actions)."""
    return isinstance(view, SecureModelView) and endpoint.rsplit(".", 1)[-1] in ENDPOINT_VERBS


def test_each_declaration_names_keys_verbs_and_models_of_the_table(app):
    for endpoint, (view, access) in declared(app).items():
        for need in () if flask_admins(view, endpoint) else access.needs:
            for key in need.views(getattr(view, "view_key", None)):
                entry = permissions.TABLE[key]
                assert any(need.verb in grant.verbs for grant in entry.values()), (endpoint, key, need.verb)
                if need.rows is not None:
                    assert need.rows is entry.model, (endpoint, key, need.rows)
            assert need.denied in DENIED, endpoint


def test_the_reports_page_knows_every_reports_key():
    assert {r.view_key for r in reports.REGISTRY.values()} == set(REPORT_KEYS)


def test_an_undeclared_endpoint_is_refused(app, world, browser):
    """A page's endpoint without `requires` is nobody's: 403 even for the administrator."""
    view = next(v for v in app.extensions["journal_admin"]._views if type(v).__name__ == "ControlPage")
    kept = view.access["index"]
    b = browser()
    b.login("a.admin")
    assert b.get("/control/").status_code == 200
    view.access["index"] = None
    try:
        assert b.get("/control/").status_code == 403
    finally:
        view.access["index"] = kept


def _actor(login):
    return Actor.for_user(db.session.scalar(select(User).where(User.login == login)))


def _candidates(model, org):
    if model is Organization:
        return [org.id]
    return list(db.session.scalars(select(model.id).where(model.org_id == org.id).order_by(model.id)))


def _reached(actor, need, view_key, candidates):
    """The candidate rows the actor reaches through the need's keys (any one of them)."""
    ids = set()
    for key in need.views(view_key):
        ids |= set(permissions.scoped_ids(actor, key, need.verb, need.rows, candidates))
    return [pk for pk in candidates if pk in ids]


def _url(app, endpoint, rule, actor, view, access, org):
    """The endpoint's URL with a row the actor reaches (the declaration's last row model: the most specific
    one), and whether he reaches one."""
    needs = [n for n in access.needs if n.rows is not None]
    takes_row = set(rule.arguments) - set(PATH_VALUES) - {"key"} or endpoint in QUERY_ROWS \
        or isinstance(view, SecureModelView) and access.needs[0].verb not in ("list", "export")  # one record's
    row, reached = None, True
    if needs and takes_row:
        need = needs[-1]
        candidates = _candidates(need.rows, org)
        assert candidates, (endpoint, need.rows)
        reached_ids = _reached(actor, need, getattr(view, "view_key", None), candidates)
        reached = bool(reached_ids)
        row = db.session.get(need.rows, (reached_ids or candidates)[0])
    values = {}
    for name in rule.arguments:
        if name == "key":
            available = reports.available(actor)
            values[name] = available[0].name if available else "school-results"
        elif name in PATH_VALUES:
            values[name] = PATH_VALUES[name]
        elif (endpoint, name) in SECOND_ROWS:
            values[name] = SECOND_ROWS[(endpoint, name)]
        elif row is not None and hasattr(row, name):
            values[name] = getattr(row, name)  # an assignment's class_id and subject_id
        else:
            values[name] = row.id
    query = {}
    if row is not None and not rule.arguments:
        if isinstance(row, Mark):
            query = {"task_id": row.task_id, "student_id": row.student_id}  # a cell of the grid
        else:
            query = {"id": row.id, "ids": row.id}
    with app.test_request_context():
        return url_for(endpoint, **values, **query), reached


def _expected(actor, view, access, endpoint, reached):
    """The statuses the declaration and the table allow."""
    if access.public or not access.needs:
        return (200, 302)
    if isinstance(view, SecurePage) and view.needs_organization and actor.org is None:
        return (403,)
    for need in access.needs:
        if not need.met(actor, getattr(view, "view_key", None)):
            return (need.denied,)
    if endpoint in ABSENT:
        return (404,)
    return (200, 302) if reached else DENIED


@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_answers_each_role_as_declared(app, school, browser, role):
    org = school.a.org
    login = {"root": school.root, "region": school.region.login}.get(role) or school.a.logins[role]
    b = browser()
    assert b.login(login).status_code == 302
    actor = _actor(login)
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    walked = 0
    for endpoint, (view, access) in sorted(declared(app).items()):
        rule = rules[endpoint]
        if "GET" not in rule.methods or endpoint == "static" or endpoint.endswith(".static"):
            continue
        if flask_admins(view, endpoint):
            continue  # tests/test_permissions.py walks these, row by row
        if endpoint.startswith("webapi."):
            continue  # the apps' API: its own token, never the page session (tests/test_webapi.py)
        url, reached = _url(app, endpoint, rule, actor, view, access, org)
        expected = _expected(actor, view, access, endpoint, reached)
        status = b.get(url).status_code
        assert status in expected, (role, endpoint, url, status, expected)
        walked += 1
    assert walked > 35
