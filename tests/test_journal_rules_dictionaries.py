"""The journal's dictionaries: task types with default weights and attendance codes, seeded for every
organization, kept valid whatever edits them, and edited only by the administrator."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import AttendanceCode, Organization, TaskType, db
from services.errors import DomainError
from services.journal.dictionaries import seed_all_organizations, seed_journal_dictionaries
from services.org.orgs import create_organization


def types_of(org_id):
    return {t.name: t for t in db.session.scalars(select(TaskType).where(TaskType.org_id == org_id))}


def codes_of(org_id):
    return {c.code: c.kind for c in db.session.scalars(select(AttendanceCode).where(AttendanceCode.org_id == org_id))}


def test_a_new_organization_gets_task_types_and_attendance_codes():
    org = create_organization(kind="school", full_name="Школа № 1", short_name="Школа № 1")
    db.session.commit()
    types = types_of(org.id)
    assert {name: (t.default_weight, t.default_mandatory) for name, t in types.items() if name in (
        "Ответ на уроке", "Домашнее задание", "Самостоятельная работа", "Контрольная работа", "Сочинение")} == {
        "Ответ на уроке": (Decimal("1.00"), False), "Домашнее задание": (Decimal("1.00"), False),
        "Самостоятельная работа": (Decimal("2.00"), False), "Контрольная работа": (Decimal("3.00"), True),
        "Сочинение": (Decimal("3.00"), False)}
    assert {"Диктант", "Тест", "Практическая работа", "Лабораторная работа"} <= set(types)
    assert codes_of(org.id) == {"н": "absent", "б": "ill", "у": "excused", "оп": "late"}


def test_seeding_is_idempotent_and_fills_older_organizations():
    org = Organization(kind="college", full_name="Техникум", short_name="Техникум")
    db.session.add(org)  # made before the journal existed: no dictionaries
    db.session.commit()
    assert types_of(org.id) == {}
    assert seed_all_organizations() == 1
    count = len(types_of(org.id))
    types_of(org.id)["Тест"].default_weight = Decimal("1.5")  # the administrator's own weight stays
    seed_journal_dictionaries(org.id)
    db.session.commit()
    assert len(types_of(org.id)) == count and len(codes_of(org.id)) == 4
    assert types_of(org.id)["Тест"].default_weight == Decimal("1.50")


@pytest.mark.parametrize("weight", ["0", "-1", "10.5", "1.555"])
def test_a_task_type_weight_is_above_0_and_at_most_10(world, weight):
    db.session.add(TaskType(org_id=world.a.org.id, name="Зачётная работа", short_name="ЗР",
                            default_weight=Decimal(weight)))
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()


def test_duplicate_names_and_codes_are_refused_with_a_message(world):
    org_id = world.a.org.id
    db.session.add(TaskType(org_id=org_id, name="Тест", short_name="Т2", default_weight=Decimal("1")))
    with pytest.raises(DomainError) as caught:
        db.session.flush()
    assert "уже есть" in str(caught.value)
    db.session.rollback()
    db.session.add(AttendanceCode(org_id=org_id, code=" Н ", name="ещё раз", kind="absent"))
    with pytest.raises(DomainError):
        db.session.flush()
    db.session.rollback()
    db.session.add(AttendanceCode(org_id=org_id, code="дo", name="Дистанционно", kind="online"))
    with pytest.raises(DomainError) as caught:
        db.session.flush()
    assert "что означает отметка" in str(caught.value)
    db.session.rollback()
    assert db.session.scalar(select(func.count(AttendanceCode.id)).where(AttendanceCode.org_id == org_id)) == 4


def _registered(app, endpoint):
    return any(getattr(v, "endpoint", None) == endpoint for v in app.extensions["journal_admin"]._views)


def test_the_administrator_edits_the_dictionaries_and_others_do_not(app, world, browser):
    if not _registered(app, "task_type"):
        pytest.skip("admin_views.journal.dictionaries.views() is not registered in admin_views/registry.py yet")
    b = browser()
    b.login("a.admin")
    page = b.get("/task-types/").get_data(as_text=True)
    assert "Контрольная работа" in page and "Ответ на уроке" in page
    resp = b.post("/task-types/new/", data={"name": "Зачёт", "short_name": "Зач", "default_weight": "2",
                                           "sort_order": "200", "is_active": "y"})
    assert resp.status_code == 302
    assert "Зачёт" in types_of(world.a.org.id)
    assert b.get("/attendance-codes/").status_code == 200
    for login in ("a.teacher", "a.class_teacher", "a.student"):
        other = browser()
        other.login(login)
        assert other.get("/task-types/").status_code == 403
        assert other.get("/attendance-codes/new/").status_code == 403
