"""The permission matrix: every registered view × every role × every verb, through HTTP.

The table in services/permissions.py says what each role may do; these tests prove the
views obey it on every path Flask-Admin offers (list, details, create, edit GET/POST,
delete, actions, export, ajax/update), that rows of another organization are never reachable,
and that a refused write changes nothing. A second set pins the table's meaning (SPEC §1).
"""
import pytest
from sqlalchemy import inspect, select

from models import (LoginEvent, Organization, Parent, Staff, Student, User, db)
from services import permissions
from services.context import Actor
from tests.helpers import registered_views
from services.errors import DomainError

ROLES = ("admin", "hr", "deputy", "director", "teacher", "class_teacher", "student", "parent", "root")
DENIED = (403, 404)


def login_of(world, role):
    return world.root if role == "root" else world.a.logins[role]


def actor_for(login):
    user = db.session.scalar(select(User).where(User.login == login))
    return Actor.for_user(user)


def snapshot(model, pk):
    db.session.expire_all()
    obj = db.session.get(model, pk)
    if obj is None:
        return None
    return {c.key: getattr(obj, c.key) for c in inspect(model).column_attrs}


def rows_of(model, org):
    """Some rows of `model` that belong to `org` (by org_id, or by their link to it)."""
    if model is Organization:
        return [org.id]
    if model is User:
        return list(db.session.scalars(select(Staff.user_id).where(Staff.org_id == org.id,
                                                                   Staff.user_id.is_not(None))))[:2]
    if model is LoginEvent:
        users = select(Staff.user_id).where(Staff.org_id == org.id)
        return list(db.session.scalars(select(LoginEvent.id).where(LoginEvent.user_id.in_(users))))[:2]
    if hasattr(model, "org_id"):
        return list(db.session.scalars(select(model.id).where(model.org_id == org.id)
                                       .order_by(model.id)))[:3]
    return []


def make_audit_rows(world):
    """Login events and audit rows exist for both organizations."""
    for org in (world.a, world.b):
        db.session.add(LoginEvent(login=org.logins["admin"], user_id=org.admin.user_id, address="10.0.0.1",
                                  success=True))
        org.classmate.address = "г. Тест, ул. Новая, 1"
    db.session.commit()


@pytest.mark.parametrize("role", ROLES)
def test_every_view_obeys_the_table(app, world, browser, role):
    make_audit_rows(world)
    login = login_of(world, role)
    b = browser()
    assert b.login(login).status_code == 302
    actor = actor_for(login)
    checked = 0
    for view in registered_views(app):
        key, model, base = view.view_key, view.model, view.url
        allowed = {verb: permissions.allowed(actor, key, verb) for verb in permissions.VERBS}

        resp = b.get(f"{base}/")
        assert resp.status_code == (200 if allowed["list"] else 403), (key, role, "list")
        resp = b.get(f"{base}/new/")
        assert resp.status_code == (200 if allowed["create"] else 403), (key, role, "create")
        resp = b.get(f"{base}/export/csv/")
        assert resp.status_code == (200 if allowed["export"] else 403), (key, role, "export")

        own_rows = rows_of(model, world.a.org)
        foreign_rows = rows_of(model, world.b.org)
        for pk in own_rows + foreign_rows:
            foreign = pk in foreign_rows and model is not Organization or \
                (model is Organization and pk == world.b.org.id)
            for verb, method, url in (("details", "get", f"{base}/details/?id={pk}"),
                                      ("edit", "get", f"{base}/edit/?id={pk}")):
                reachable = allowed[verb] and bool(permissions.scoped_ids(actor, key, verb, model, [pk]))
                resp = getattr(b, method)(url)
                if reachable:
                    assert resp.status_code == 200, (key, role, verb, pk)
                else:
                    assert resp.status_code in DENIED, (key, role, verb, pk, resp.status_code)
                if foreign and not actor.has("superadmin"):
                    assert resp.status_code in DENIED, (key, role, verb, "foreign", pk)

            before = snapshot(model, pk)
            edit_ok = allowed["edit"] and bool(permissions.scoped_ids(actor, key, "edit", model, [pk]))
            if not edit_ok:
                resp = b.post(f"{base}/edit/?id={pk}", data={"name": "=HACK()", "last_name": "Взломов"})
                assert resp.status_code in DENIED, (key, role, "edit POST", pk)
                resp = b.post(f"{base}/ajax/update/", data={"list_form_pk": pk, "name": "x"})
                assert resp.status_code in DENIED, (key, role, "ajax", pk)
            delete_ok = allowed["delete"] and bool(permissions.scoped_ids(actor, key, "delete", model, [pk]))
            if not delete_ok:
                resp = b.post(f"{base}/delete/", data={"id": pk})
                assert resp.status_code in DENIED, (key, role, "delete", pk)
            for name, _label in view._actions:
                action_ok = allowed.get(name, permissions.allowed(actor, key, name)) and \
                    bool(permissions.scoped_ids(actor, key, name, model, [pk]))
                if not action_ok:
                    resp = b.post(f"{base}/action/", data={"action": name, "rowid": pk})
                    assert resp.status_code in DENIED, (key, role, "action", name, pk)
            if not (edit_ok and delete_ok):
                assert snapshot(model, pk) == before, (key, role, "changed", pk)
            checked += 1
    assert checked > 20


def _visible_ids(b, url, model, candidates):
    """Which of the candidate rows the list page shows (by their details links)."""
    page = b.get(url).get_data(as_text=True)
    return {pk for pk in candidates if f"details/?id={pk}&" in page or f"edit/?id={pk}&" in page}


def test_class_teacher_sees_only_his_class_students_and_parents(world, browser):
    b = browser()
    b.login("a.class_teacher")
    a = world.a
    students = _visible_ids(b, "/students/", Student, [a.student.id, a.classmate.id, a.stranger.id,
                                                        world.b.student.id])
    assert students == {a.student.id, a.classmate.id}
    parents = _visible_ids(b, "/parents/", Parent, [a.parent.id, a.stranger_parent.id, world.b.parent.id])
    assert parents == {a.parent.id}
    assert b.get(f"/students/details/?id={a.stranger.id}").status_code == 404
    assert b.get(f"/parents/edit/?id={a.stranger_parent.id}").status_code == 404
    assert b.get("/staff/").status_code == 403


@pytest.mark.parametrize("role", ["teacher", "student", "parent"])
def test_no_staff_or_student_lists_for_teachers_students_parents(world, browser, role):
    b = browser()
    b.login(world.a.logins[role])
    for url in ("/staff/", "/students/", "/parents/", "/accounts/", "/audit/", "/classes/"):
        assert b.get(url).status_code == 403, (role, url)
    home = b.get("/").get_data(as_text=True)
    assert "/students/" not in home and "/staff/" not in home


@pytest.mark.parametrize("role", ["admin", "hr", "deputy", "director", "class_teacher"])
def test_other_organization_is_invisible(world, browser, role):
    b = browser()
    b.login(world.a.logins[role])
    other = world.b
    for url in (f"/students/details/?id={other.student.id}", f"/students/edit/?id={other.student.id}",
                f"/staff/details/?id={other.teacher.id}", f"/classes/details/?id={other.klass.id}",
                f"/parents/details/?id={other.parent.id}", f"/organizations/edit/?id={other.org.id}"):
        assert b.get(url).status_code in DENIED, (role, url)
    page = b.get("/students/").get_data(as_text=True)
    assert "Орг B" not in page and f"id={other.student.id}&" not in page


def test_forged_relation_choice_from_another_organization_is_refused(world, browser):
    b = browser()
    b.login("a.hr")
    a, other = world.a, world.b
    before = snapshot(Student, a.classmate.id)
    resp = b.post(f"/students/edit/?id={a.classmate.id}", data={
        "last_name": "Соседов", "first_name": "Семён", "sex": "m", "birth_date": "01.03.2015",
        "snils": a.classmate.snils, "klass": str(other.klass.id), "enrollment_order_number": "12-у",
        "enrollment_order_date": "28.08.2026", "personal_file_number": a.classmate.personal_file_number,
        "status": "studying", "_version": a.classmate.version})
    assert resp.status_code == 200  # the form comes back with the error
    assert snapshot(Student, a.classmate.id) == before


def test_action_ids_are_reselected_through_the_rows(world, browser):
    """A class teacher's action on his student plus another class's student does nothing at all."""
    b = browser()
    b.login("a.class_teacher")
    a = world.a
    resp = b.post("/students/action/", data={"action": "issue_logins",
                                             "rowid": [a.classmate.id, a.stranger.id]})
    assert resp.status_code == 404
    db.session.expire_all()
    assert db.session.get(Student, a.classmate.id).user_id is None
    assert db.session.get(Student, a.stranger.id).user_id is None


def test_export_is_capped_and_formula_safe(world, browser, app):
    a = world.a
    a.classmate.last_name = "Соседов"
    a.classmate.address = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    b = browser()
    b.login("a.admin")
    csv_text = b.get("/students/export/csv/").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text
    assert "\n=HYPERLINK" not in csv_text and ",=HYPERLINK" not in csv_text
    view = next(v for v in registered_views(app) if v.view_key == "student")
    assert 0 < view.export_max_rows <= 10000


def test_service_layer_refuses_links_across_organizations(world):
    """Whatever the path (a form, a script, an import), a row cannot point into another organization."""

    a, other = world.a, world.b
    a.classmate.klass = other.klass
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    a.classmate.class_id = other.klass.id
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Student, a.classmate.id).class_id == a.klass.id


def test_the_director_appoints_staff_to_functions_and_the_administrator_gives_admin_rights():
    """SPEC §1 and seed 000 §1.4, §3.1, §4.8: the director appoints staff to their duties; the
    administrator sets access rights (§4.1), so only he gives or takes the administrator's and the
    director's functions. The card itself stays HR's; the director and the deputy read every КТП."""
    table = permissions.TABLE
    appoint = {role for role, grant in table["staff_function"].items() if "edit" in grant.verbs}
    admin_rights = {role for role, grant in table["staff_function"].items() if "admin_rights" in grant.verbs}
    assert appoint == {"admin", "director"} and admin_rights == {"admin"}
    assert not {"create", "edit", "delete"} & table["staff"]["director"].verbs
    for role in ("director", "deputy", "admin"):
        assert "details" in table["thematic_plan"][role].verbs, role
