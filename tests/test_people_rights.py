"""Issue 11 (security review), points 2 and 4, and the director's appointments.

A class teacher reaches only his class's families: the forms offer no one else, a forged POST cannot
make or cut another class's parent–child link, and a parent's account is his to issue, reset or block
only when all that parent's children are in his class. Functions on staff cards are access rights:
the director and the administrator appoint staff to them, only the administrator gives or takes the
administrator's and the director's rights (also by dismissing, re-hiring or deleting such a card), and
an organization never loses its last active administrator. Every rule is checked through HTTP, as the
attacker would send it, and through the service.
"""
import re
from datetime import date

import pytest

from models import Parent, Staff, Student, db
from services.people import accounts
from services.context import Actor
from services.errors import DomainError
from services.people.cards import check_family_links, check_staff_change
from tests.factories import actor_of, make_parent, make_staff
from tests.helpers import action, flashes, form_of, logs_in, open_browser, submit, user_of


def offered(page, name):
    """The ids a form's select `name` offers."""
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page.get_data(as_text=True), re.S)
    return {int(v) for v in re.findall(r'<option[^>]*value="(\d+)"', select_html.group(1))}


def children_of(parent):
    db.session.expire_all()
    return sorted(c.id for c in db.session.get(Parent, parent.id).children)


def parents_of(student):
    db.session.expire_all()
    return sorted(p.id for p in db.session.get(Student, student.id).parents)


@pytest.fixture
def shared_mother(world):
    """A mother of two: the classmate in 5А (a.class_teacher's) and the stranger in 6Б."""
    a = world.a
    mother = make_parent(a.org, [a.classmate, a.stranger], "Соседова", "Галина")
    db.session.commit()
    return mother


# -- 2. the class teacher and other classes' families ----------------------------------------------


def test_the_class_teachers_forms_offer_only_his_class_families(world, browser, shared_mother):
    a = world.a
    ct = open_browser(browser, "a.class_teacher")

    parents = offered(ct.get(f"/students/edit/?id={a.student.id}"), "parents")
    assert parents == {a.parent.id, shared_mother.id}  # each has a child in 5А
    assert a.stranger_parent.id not in parents and world.b.parent.id not in parents
    page = ct.get(f"/students/edit/?id={a.student.id}").get_data(as_text=True)
    assert "Чужова" not in page

    assert offered(ct.get("/parents/new/"), "children") == {a.student.id, a.classmate.id}
    # The mother's 6Б child is already linked: he stays on her form, and nobody else of 6Б is offered.
    assert offered(ct.get(f"/parents/edit/?id={shared_mother.id}"), "children") == \
        {a.student.id, a.classmate.id, a.stranger.id}

    # HR and the administrator keep the whole school.
    hr = open_browser(browser, "a.hr")
    assert {a.parent.id, a.stranger_parent.id, shared_mother.id} <= \
        offered(hr.get(f"/students/edit/?id={a.student.id}"), "parents")


def test_the_class_teacher_cannot_link_a_foreign_parent_to_his_student(world, browser):
    a = world.a
    ct = open_browser(browser, "a.class_teacher")
    url = f"/students/edit/?id={a.student.id}"

    submit(ct, url, {"parents": [str(a.parent.id), str(a.stranger_parent.id)]})  # not a choice: dropped
    assert parents_of(a.student) == [a.parent.id]
    assert children_of(a.stranger_parent) == [a.stranger.id]

    # His own class's links are his: he unlinks his student's parent.
    resp = submit(ct, url, {"parents": []})
    assert resp.status_code == 302 and parents_of(a.student) == []


def test_the_class_teacher_cannot_cut_another_classs_link(world, browser, shared_mother):
    a = world.a
    ct = open_browser(browser, "a.class_teacher")

    resp = submit(ct, f"/parents/edit/?id={shared_mother.id}", {"children": [str(a.classmate.id)]})
    assert "Связи родителей и детей не изменены" in flashes(resp)
    assert children_of(shared_mother) == sorted([a.classmate.id, a.stranger.id])

    # Her other fields and her 5А link stay his to edit.
    resp = submit(ct, f"/parents/edit/?id={shared_mother.id}", {"phone": "+7 (912) 111-22-33"})
    assert resp.status_code == 302
    assert db.session.get(Parent, shared_mother.id).phone == "+7 (912) 111-22-33"
    assert children_of(shared_mother) == sorted([a.classmate.id, a.stranger.id])


def test_the_service_refuses_links_beyond_the_actors_reach(world, shared_mother):
    a = world.a
    ct, hr = actor_of("a.class_teacher"), actor_of("a.hr")

    student = db.session.get(Student, a.student.id)
    student.parents.append(db.session.get(Parent, a.stranger_parent.id))
    with pytest.raises(DomainError, match="Связи родителей и детей не изменены") as refused:
        check_family_links(ct, student)
    assert "Чужова О. И. — Учеников П. И." in str(refused.value)
    check_family_links(hr, student)  # HR may link any two cards of the school
    db.session.rollback()

    mother = db.session.get(Parent, shared_mother.id)
    mother.children = [db.session.get(Student, a.classmate.id)]
    with pytest.raises(DomainError, match="Соседова Г. И. — Чужов И. И."):
        check_family_links(ct, mother)
    db.session.rollback()
    mother = db.session.get(Parent, shared_mother.id)
    mother.children.remove(db.session.get(Student, a.classmate.id))  # his own student's link
    check_family_links(ct, mother)
    db.session.rollback()


def test_the_class_teacher_cannot_get_the_password_of_a_parent_with_a_child_in_another_class(
        world, browser, shared_mother):
    a = world.a
    ct = open_browser(browser, "a.class_teacher")

    resp = action(ct, "/parents/action/", "issue_logins", [shared_mother.id], follow_redirects=True)
    assert resp.mimetype == "text/html" and "нет доступа" in flashes(resp)
    assert user_of(shared_mother) is None

    admin = open_browser(browser, "a.admin")  # the administrator reaches both classes
    action(admin, "/parents/action/", "issue_logins", [shared_mother.id])
    account = user_of(shared_mother)
    before = account.password_hash
    for name in ("reset_password", "block", "unblock"):
        resp = action(ct, "/parents/action/", name, [shared_mother.id], follow_redirects=True)
        assert resp.mimetype == "text/html" and "ребёнок из другого класса" in flashes(resp), name
    account = user_of(shared_mother)
    assert account.password_hash == before and not account.is_blocked

    # The same account through the service, for every login action.
    ct_actor = actor_of("a.class_teacher")
    for run in (lambda: accounts.reset_passwords(ct_actor, "parent", Parent, [shared_mother.id]),
                lambda: accounts.set_blocked(ct_actor, "parent", Parent, [shared_mother.id], True)):
        with pytest.raises(DomainError, match="нет доступа"):
            run()
        db.session.rollback()
    # … and his own class's parent is still his.
    by_class = accounts.reset_passwords(ct_actor, "parent", Parent, [a.parent.id])
    logs_in(browser, "a.parent", by_class[0].password)


def test_issuing_through_the_service_checks_every_child(world, shared_mother):
    with pytest.raises(DomainError, match="«Соседова Галина Ивановна»: учётная запись открывает"):
        accounts.issue_logins(actor_of("a.class_teacher"), "parent", Parent, [shared_mother.id])
    db.session.rollback()
    assert db.session.get(Parent, shared_mother.id).user_id is None
    accounts.issue_logins(actor_of("a.admin"), "parent", Parent, [shared_mother.id])
    assert db.session.get(Parent, shared_mother.id).user_id is not None


# -- 4. administrator rights are the administrator's ----------------------------------------------


def staff_form(card, **changes):
    return {"last_name": card.last_name, "first_name": card.first_name, "middle_name": card.middle_name or "",
            "sex": card.sex, "hire_date": card.hire_date.strftime("%d.%m.%Y"), "_version": card.version,
            **changes}


def dismissal_of(card):
    db.session.expire_all()
    return db.session.get(Staff, card.id).dismissal_date


def test_hr_cannot_dismiss_rehire_or_delete_the_administrator_or_the_director(world, browser):
    a = world.a
    hr = open_browser(browser, "a.hr")

    for card in (a.admin, a.director):
        resp = hr.post(f"/staff/edit/?id={card.id}", data=staff_form(card, dismissal_date="20.11.2026"),
                       follow_redirects=True)
        assert "даёт и снимает только администратор системы" in flashes(resp), card.last_name
        assert dismissal_of(card) is None
        resp = hr.post("/staff/delete/", data={"id": card.id, "url": "/staff/"}, follow_redirects=True)
        assert "Карточка сотрудника не удалена" in flashes(resp)
        assert db.session.get(Staff, card.id) is not None
    assert open_browser(browser, "a.admin").get("/accounts/").status_code == 200

    # Re-hiring is giving the rights back: a dismissed director stays dismissed.
    director = db.session.get(Staff, a.director.id)
    director.dismissal_date = date(2026, 11, 1)
    db.session.commit()
    resp = hr.post(f"/staff/edit/?id={director.id}", data=staff_form(director, dismissal_date=""),
                   follow_redirects=True)
    assert "только администратор" in flashes(resp)
    assert dismissal_of(director) == date(2026, 11, 1)

    # A teacher's card is HR's to dismiss, re-hire and delete.
    resp = hr.post(f"/staff/edit/?id={a.teacher.id}", data=staff_form(a.teacher, dismissal_date="20.11.2026"),
                   follow_redirects=True)
    assert "Запись была сохранена" in flashes(resp)
    assert dismissal_of(a.teacher) == date(2026, 11, 20)
    resp = hr.post(f"/staff/edit/?id={a.teacher.id}", data=staff_form(a.teacher, dismissal_date=""),
                   follow_redirects=True)
    assert dismissal_of(a.teacher) is None
    newcomer = make_staff(a.org, "Новикова", "Нина", ["teacher"], sex="f").id
    db.session.commit()
    hr.post("/staff/delete/", data={"id": newcomer, "url": "/staff/"})
    assert db.session.get(Staff, newcomer) is None

    # The administrator does it.
    admin = open_browser(browser, "a.admin")
    resp = submit(admin, f"/staff/edit/?id={director.id}", {"dismissal_date": ""})
    assert resp.status_code == 302 and dismissal_of(director) is None


def test_the_service_treats_dismissing_an_administrator_as_a_role_change(world):
    a = world.a
    hr, admin = actor_of("a.hr"), actor_of("a.admin")
    card = db.session.get(Staff, a.director.id)
    card.dismissal_date = date(2026, 11, 20)
    with pytest.raises(DomainError, match="только администратор системы"):
        check_staff_change(hr, card)
    check_staff_change(admin, card)
    db.session.rollback()
    card = db.session.get(Staff, a.admin.id)
    with pytest.raises(DomainError, match="Карточка сотрудника не удалена"):
        check_staff_change(hr, card, deleting=True)
    card = db.session.get(Staff, a.teacher.id)
    card.dismissal_date = date(2026, 11, 20)
    check_staff_change(hr, card)
    db.session.rollback()


def test_the_last_active_administrator_is_kept(world, browser):
    a = world.a
    admin = open_browser(browser, "a.admin")

    for url, changes in ((f"/staff-functions/edit/?id={a.admin.id}", {"role_codes": ["teacher"]}),
                         (f"/staff/edit/?id={a.admin.id}", {"role_codes": ["teacher"]}),
                         (f"/staff/edit/?id={a.admin.id}", {"dismissal_date": "20.11.2026"})):
        resp = submit(admin, url, changes)
        assert "не останется ни одного действующего администратора" in flashes(resp), (url, changes)
        db.session.expire_all()
        card = db.session.get(Staff, a.admin.id)
        assert card.role_codes == ["admin"] and card.dismissal_date is None, (url, changes)
    resp = admin.post("/staff/delete/", data={"id": a.admin.id, "url": "/staff/"}, follow_redirects=True)
    assert "не останется ни одного действующего администратора" in flashes(resp)
    assert db.session.get(Staff, a.admin.id) is not None
    assert admin.get("/accounts/").status_code == 200

    # Nor by a script: the rule holds on every flush, whoever acts.
    card = db.session.get(Staff, a.admin.id)
    card.role_codes = ["teacher"]
    with pytest.raises(DomainError, match="действующего администратора"):
        db.session.flush()
    db.session.rollback()

    # With a second administrator, the first may go.
    resp = submit(admin, f"/staff-functions/edit/?id={a.deputy.id}", {"role_codes": ["admin", "deputy"]})
    assert resp.status_code == 302
    resp = submit(admin, f"/staff/edit/?id={a.admin.id}", {"dismissal_date": "20.11.2026"})
    assert resp.status_code == 302 and dismissal_of(a.admin) == date(2026, 11, 20)
    assert open_browser(browser, "a.deputy").get("/accounts/").status_code == 200


def test_the_last_administrator_message_is_russian(world, browser):
    admin = open_browser(browser, "a.admin")
    resp = admin.post(f"/staff/edit/?id={world.a.admin.id}",
                      data=staff_form(world.a.admin, role_codes=["teacher"]), follow_redirects=True)
    assert "Изменение не сохранено: в организации не останется ни одного действующего администратора " \
           "системы" in flashes(resp)


# -- the director appoints staff to functions (seed 000 §4.8) -------------------------------------


def test_the_director_appoints_staff_to_functions(world, browser):
    a = world.a
    director = open_browser(browser, "a.director")
    page = director.get("/staff-functions/").get_data(as_text=True)
    assert "Учителев" in page and "Функции сотрудников" in page

    resp = submit(director, f"/staff-functions/edit/?id={a.teacher.id}", {"role_codes": ["deputy", "teacher"]})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Staff, a.teacher.id).role_codes == ["deputy", "teacher"]
    field_names = {name for name, _ in form_of(director.get(f"/staff-functions/edit/?id={a.teacher.id}"))}
    assert field_names == {"csrf_token", "_version", "role_codes"}  # the card itself is HR's

    # Administrator and director rights are the administrator's to give and take.
    for card, codes in ((a.teacher, ["admin", "teacher"]), (a.director, ["admin", "director"]),
                        (a.admin, ["teacher"]), (a.director, [])):
        resp = director.post(f"/staff-functions/edit/?id={card.id}",
                             data={"role_codes": codes, "_version": card.version}, follow_redirects=True)
        assert "даёт и снимает только администратор системы" in flashes(resp), (card.last_name, codes)
    db.session.expire_all()
    assert db.session.get(Staff, a.teacher.id).role_codes == ["deputy", "teacher"]
    assert db.session.get(Staff, a.director.id).role_codes == ["director"]
    assert db.session.get(Staff, a.admin.id).role_codes == ["admin"]

    # The director edits no card and no account; HR appoints no one.
    assert director.get(f"/staff/edit/?id={a.teacher.id}").status_code == 403
    hr = open_browser(browser, "a.hr")
    assert hr.get("/staff-functions/").status_code == 403
    assert hr.post(f"/staff-functions/edit/?id={a.hr.id}", data={"role_codes": ["admin", "hr"]}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Staff, a.hr.id).role_codes == ["hr"]


def test_functions_through_the_service(world):
    a = world.a
    hr, director, admin = actor_of("a.hr"), actor_of("a.director"), actor_of("a.admin")
    card = db.session.get(Staff, a.teacher.id)
    card.role_codes = ["deputy", "teacher"]
    with pytest.raises(DomainError, match="назначают директор и администратор"):
        check_staff_change(hr, card)
    check_staff_change(director, card)
    check_staff_change(admin, card)
    check_staff_change(Actor.system_actor(a.org), card)
    card.role_codes = ["admin", "teacher"]
    with pytest.raises(DomainError, match="только администратор"):
        check_staff_change(director, card)
    check_staff_change(admin, card)
    db.session.rollback()
