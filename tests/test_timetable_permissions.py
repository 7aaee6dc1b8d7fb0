"""Who sees which changes and exams: the rows of the permission table, through the list pages,
the detail pages and the services; another organization sees nothing."""
from datetime import date, time

import pytest
from sqlalchemy import func, select

from models import Bell, ExamEntry, TimetableChange, db
from services import permissions
from services.timetable.weekly import save_class_week
from tests.timetable_fixtures import MON, TUE, actor_of, build_timetable_world
from models import SubgroupMember


@pytest.fixture
def tt(world):
    ns = build_timetable_world(world)
    a = ns.a
    save_class_week(ns.deputy, a.klass.id, 1, [(MON, 1, ns.rus5.id, ns.r101.id), (MON, 2, ns.eng5_1.id, ns.r101.id),
                                               (MON, 2, ns.eng5_2.id, ns.r102.id)], today=date(2026, 9, 1))
    save_class_week(ns.deputy, a.other_class.id, 1, [(TUE, 1, ns.math6.id, ns.r201.id)], today=date(2026, 9, 1))
    ns.sub = TimetableChange(date=date(2026, 11, 9), kind="replace", class_id=a.klass.id, number=1,
                             scheduled_assignment_id=ns.rus5.id, teacher_id=ns.ivanov.id)
    ns.cancel = TimetableChange(date=date(2026, 11, 10), kind="cancel", class_id=a.other_class.id, number=1,
                                scheduled_assignment_id=ns.math6.id)
    ns.group2 = TimetableChange(date=date(2026, 11, 9), kind="replace", class_id=a.klass.id, number=2,
                                scheduled_assignment_id=ns.eng5_2.id, room_id=ns.r201.id)
    ns.exam5 = ExamEntry(kind="exam", subject_id=ns.math.id, class_id=a.klass.id, date=date(2027, 1, 23),
                         starts_at=time(9), ends_at=time(11), examiner_id=a.teacher.id, room_id=ns.r101.id)
    ns.exam6 = ExamEntry(kind="credit", subject_id=ns.rus.id, class_id=a.other_class.id, date=date(2027, 1, 23),
                         starts_at=time(9), ends_at=time(11), examiner_id=ns.ivanov.id, room_id=ns.r102.id)
    ns.exam_g2 = ExamEntry(kind="credit", subject_id=ns.eng.id, class_id=a.klass.id, subgroup_id=ns.g2.id,
                           date=date(2027, 1, 30), starts_at=time(9), ends_at=time(11), examiner_id=a.deputy.id)
    db.session.add_all([ns.sub, ns.cancel, ns.group2, ns.exam5, ns.exam6, ns.exam_g2])
    db.session.add(SubgroupMember(subgroup_id=ns.g1.id, student_id=a.student.id, period_id=a.period.id,
                                  subject_id=ns.eng.id))
    db.session.commit()
    return ns


def visible(b, url, ids):
    html = b.get(url).get_data(as_text=True)
    return {pk for pk in ids if f"details/?id={pk}&" in html or f"edit/?id={pk}&" in html}


EXPECTED = {
    # login: (changes seen, exams seen)
    "a.deputy": ({"sub", "cancel", "group2"}, {"exam5", "exam6", "exam_g2"}),
    "a.admin": ({"sub", "cancel", "group2"}, {"exam5", "exam6", "exam_g2"}),
    "a.director": ({"sub", "cancel", "group2"}, {"exam5", "exam6", "exam_g2"}),
    "a.teacher": ({"cancel"}, {"exam5"}),  # his math in 6Б is cancelled; he examines 5А
    "a.ivanov": ({"sub"}, {"exam6"}),  # he substitutes in 5А
    "a.class_teacher": ({"sub", "group2"}, {"exam5", "exam_g2"}),  # her class 5А
    "a.student": ({"sub"}, {"exam5"}),  # 5А, English group 1: not group 2's change or credit
    "a.parent": ({"sub"}, {"exam5"}),
    "b.deputy": (set(), set()),
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_rows_of_changes_and_exams_per_role(tt, browser, who):
    changes, exams = EXPECTED[who]
    b = browser()
    b.login(who)
    ids = {name: getattr(tt, name).id for name in ("sub", "cancel", "group2")}
    assert visible(b, "/timetable-changes/", ids.values()) == {ids[n] for n in changes}
    exam_ids = {name: getattr(tt, name).id for name in ("exam5", "exam6", "exam_g2")}
    assert visible(b, "/exams/", exam_ids.values()) == {exam_ids[n] for n in exams}
    for name, pk in ids.items():
        expected = 200 if name in changes else 404
        assert b.get(f"/timetable-changes/details/?id={pk}").status_code == expected, (who, name)


@pytest.mark.parametrize("who", ["a.teacher", "a.class_teacher", "a.director", "a.student", "a.parent"])
def test_only_the_administration_changes_bells_changes_and_exams(tt, browser, who):
    b = browser()
    b.login(who)
    before = db.session.scalar(select(func.count(TimetableChange.id)))
    resp = b.post("/timetable-changes/new/", data={"date": "16.11.2026", "klass": tt.a.klass.id, "number": "1",
                                                   "kind": "cancel", "scheduled_assignment": tt.rus5.id})
    assert resp.status_code == 403
    assert b.post("/timetable-changes/delete/", data={"id": tt.sub.id}).status_code in (403, 404)
    assert b.post("/exams/delete/", data={"id": tt.exam5.id}).status_code in (403, 404)
    assert b.post("/bells/new/", data={"shift": "1", "number": "9", "starts_at": "16:00",
                                       "ends_at": "16:40"}).status_code == 403
    db.session.expire_all()
    assert db.session.scalar(select(func.count(TimetableChange.id))) == before
    assert db.session.get(ExamEntry, tt.exam5.id) is not None
    assert db.session.scalar(select(func.count(Bell.id)).where(Bell.number == 9)) == 0


def test_deputy_keeps_bells(tt, browser):
    b = browser()
    b.login("a.deputy")
    resp = b.post("/bells/new/", data={"shift": "2", "number": "1", "starts_at": "13:30", "ends_at": "14:10"})
    assert resp.status_code == 302
    bell = db.session.scalar(select(Bell).where(Bell.shift == 2))
    assert (bell.org_id, bell.starts_at, bell.ends_at) == (tt.a.org.id, time(13, 30), time(14, 10))
    html = b.post("/bells/new/", data={"shift": "2", "number": "2", "starts_at": "14:00", "ends_at": "14:40"},
                  follow_redirects=True).get_data(as_text=True)
    assert "Время пересекается с 1-м уроком (13:30–14:10)" in html
    assert "13:30" in b.get("/bells/").get_data(as_text=True)


def test_table_grants(tt):
    """SPEC §1: the deputy and the administrator edit the timetable; nobody else does."""
    for login in ("a.deputy", "a.admin"):
        actor = actor_of(login)
        assert all(permissions.allowed(actor, key, verb) for key, verb in (
            ("timetable", "edit"), ("timetable", "generate"), ("bell", "create"), ("timetable_change", "create"),
            ("exam_entry", "create")))
    for login in ("a.teacher", "a.class_teacher", "a.director", "a.student", "a.parent", "a.hr"):
        actor = actor_of(login)
        assert not any(permissions.allowed(actor, key, verb) for key, verb in (
            ("timetable", "edit"), ("timetable", "generate"), ("bell", "create"), ("timetable_change", "create"),
            ("exam_entry", "create"), ("exam_entry", "delete"), ("timetable_change", "edit")))
    assert not permissions.allowed(actor_of("a.hr"), "timetable", "list")
