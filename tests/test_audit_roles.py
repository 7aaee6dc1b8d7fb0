"""Functions (roles) written on staff cards are access rights: every grant and removal is in the change
log — who, when, the staff card, its functions before → after — whatever path made it (the staff form,
a service such as the first administrator's appointment, a command, a deleted card)."""
from sqlalchemy import select

from models import AuditLog, Role, Staff, db
from services.org import orgs
from tests.factories import make_staff
from tests.helpers import form_of

TEACHER, DEPUTY, ADMIN = "Учитель", "Заместитель директора", "Администратор системы"


def role_changes():
    db.session.expire_all()
    return db.session.scalars(select(AuditLog).where(AuditLog.action == "roles").order_by(AuditLog.id)).all()


def save_roles(b, staff, roles):
    """The staff card's form as the page fills it, with these functions ticked."""
    url = f"/staff/edit/?id={staff.id}"
    data = {}
    for key, value in [(k, v) for k, v in form_of(b.get(url)) if k != "role_codes"] + \
            [("role_codes", r) for r in roles]:
        data.setdefault(key, []).append(value)
    return b.post(url, data)


def test_the_administrator_grants_and_removes_functions_on_the_staff_form(world, browser):
    a = world.a
    before = len(role_changes())
    b = browser()
    b.login("a.admin")

    assert save_roles(b, a.teacher, ["teacher", "deputy"]).status_code == 302
    assert save_roles(b, a.teacher, ["deputy"]).status_code == 302
    assert save_roles(b, a.teacher, ["deputy"]).status_code == 302  # nothing changed: nothing logged

    granted, removed = role_changes()[before:]
    for row in (granted, removed):
        assert (row.entity, row.entity_id, row.org_id, row.user_id, row.address) == \
            ("staff", a.teacher.id, a.org.id, a.admin.user_id, "127.0.0.1")
        assert row.summary == "Учителев Тимур Петрович" and row.at is not None
    assert granted.changes == {"role_codes": [[TEACHER], [DEPUTY, TEACHER]]}
    assert removed.changes == {"role_codes": [[DEPUTY, TEACHER], [DEPUTY]]}
    # the card's own fields did not change: no «update» row beside them
    assert not db.session.scalars(select(AuditLog).where(AuditLog.entity == "staff", AuditLog.action == "update",
                                                         AuditLog.entity_id == a.teacher.id)).all()

    listing = b.get("/audit/").get_data(as_text=True)
    assert "изменение прав" in listing and "Учителев Тимур Петрович" in listing
    assert "20.11.2026 12:00" in listing  # the organization's time (Moscow), not UTC's 09:00
    details = b.get(f"/audit/details/?id={removed.id}").get_data(as_text=True)
    assert "Заместитель директора, Учитель" in details and "Функции (роли)" in details


def test_hr_cannot_grant_so_nothing_is_logged(world, browser):
    before = len(role_changes())
    b = browser()
    b.login("a.hr")
    save_roles(b, world.a.teacher, ["teacher", "admin"])
    assert len(role_changes()) == before
    assert db.session.get(Staff, world.a.teacher.id).role_codes == ["teacher"]


def test_every_other_path_is_logged_too(world):
    """Outside a request (a service, a command) the row has no user: the system did it."""
    a = world.a
    before = len(role_changes())
    orgs.ensure_admin_role(a.deputy)  # the appointment path of services/org/orgs.py
    db.session.commit()
    newcomer = make_staff(a.org, "Новикова", "Нина", [Role.TEACHER.value], sex="f")  # a new card with a function
    db.session.commit()
    newcomer.role_codes = []
    db.session.commit()
    leaving = make_staff(a.org, "Уходов", "Ульян", [Role.HR.value])
    db.session.commit()
    db.session.delete(leaving)  # the card goes, and its functions with it
    db.session.commit()

    rows = role_changes()[before:]
    assert [(r.entity_id, r.user_id, r.changes["role_codes"]) for r in rows] == [
        (a.deputy.id, None, [[DEPUTY, TEACHER], [ADMIN, DEPUTY, TEACHER]]),
        (newcomer.id, None, [[], [TEACHER]]),
        (newcomer.id, None, [[TEACHER], []]),
        (leaving.id, None, [[], ["Специалист отдела кадров"]]),
        (leaving.id, None, [["Специалист отдела кадров"], []]),
    ]
    assert {r.org_id for r in rows} == {a.org.id}
    assert rows[-1].summary == "Уходов Ульян Петрович"
