"""The year rollover under concurrent requests, on SQLite and on PostgreSQL (tests/threads.py: each
request a thread with its own session, the first held at its commit while the others run).

A wizard step posted by three requests at once is done once: the others wait for it and get the
Russian «уже …» message, never a 500 or a copy. Where nothing serializes two requests (two deputies
carrying the curricula from their list at once), the natural key refuses the copy with a Russian
message."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from models import (AcademicYear, AuditLog, ClassMembership, Curriculum, CurriculumLine, Holiday, MovementOrder,
                    Period, RolloverStep, TeachingAssignment, db)
from services.planning import curriculum as curricula
from services.rollover import year as rollover
from services.errors import DomainError
from tests.factories import EARLY_REASON, actor_of
from tests.concurrency import run_held_then

# Real commits: threads with connections of their own (tests/concurrency.py).
pytestmark = pytest.mark.real_commits

ORDER_DATE = date(2027, 5, 28)
RUNS = {
    1: lambda admin, year: rollover.run_check(admin, year),
    2: lambda admin, year: rollover.close_year(admin, year, year.name, EARLY_REASON),
    3: lambda admin, year: rollover.create_next_year(admin, year),
    4: lambda admin, year: rollover.transfer_students(admin, year, "45-у", ORDER_DATE),
    5: lambda admin, year: rollover.copy_planning(admin, year),
}


def done_before(a, number):
    admin = actor_of("a.admin")
    for step in range(1, number):
        RUNS[step](admin, a.year)


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def new_year_id():
    return db.session.scalar(select(AcademicYear.id).where(AcademicYear.name == "2027/2028"))


def made_once(number):
    """What step `number` makes, counted: a second run at the same time must not have made it again."""
    if number == 1:
        return count(RolloverStep, RolloverStep.step == 1) == 1
    if number == 2:
        return count(AuditLog, AuditLog.action == "close") == 4
    new = new_year_id()
    if number == 3:
        return (count(AcademicYear, AcademicYear.name == "2027/2028"), count(Period, Period.year_id == new),
                count(Holiday, Holiday.year_id == new)) == (1, 4, 3)
    if number == 4:
        open_stays = db.session.execute(select(func.count()).select_from(ClassMembership)
                                        .where(ClassMembership.end_date.is_(None))
                                        .group_by(ClassMembership.student_id)).scalars().all()
        return count(MovementOrder, MovementOrder.status == "applied") == 3 and set(open_stays) == {1}
    return (count(Curriculum, Curriculum.year_id == new), count(TeachingAssignment, TeachingAssignment.year_id == new),
            count(CurriculumLine)) == (3, 5, 16)


def flashes(page):
    """(category, text) of the messages a page shows."""
    return re.findall(r'class="alert alert-(\w+) alert-dismissable">\s*<button[^>]*>&times;</button>\s*(.*?)\s*</div>',
                      page.get_data(as_text=True), re.S)


def as_admin(number, year_id):
    return lambda: RUNS[number](actor_of("a.admin"), db.session.get(AcademicYear, year_id))


@pytest.mark.parametrize("number", [2, 3, 4, 5])
def test_a_step_run_by_three_requests_at_once_is_done_once(app, rollover_school, number):
    done_before(rollover_school, number)
    first, others, waited, _ = run_held_then(app, *[as_admin(number, rollover_school.year.id)] * 3)
    results = [w.result for w in (first, *others)]
    assert [w.error for w in (first, *others)] == [None] * 3
    assert waited, "the other requests did not wait for the first one"
    assert sum(r.changed for r in results) == 1, [r.summary for r in results]
    assert all("уже" in r.summary for r in results if not r.changed), [r.summary for r in results]
    assert made_once(number)


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5])
def test_a_step_posted_from_three_browsers_at_once_is_done_once_without_an_error_page(rollover_school, ro_app,
                                                                                     ro_browser, number):
    done_before(rollover_school, number)
    db.session.commit()
    browsers = [ro_browser("a.admin") for _ in range(3)]
    url = f"/rollover/step/{number}/?year_id={rollover_school.year.id}"
    form = {"confirm": rollover_school.year.name, "reason": EARLY_REASON, "order_number": "45-у",
            "order_date": ORDER_DATE.strftime("%d.%m.%Y")}

    def posting(b):
        return lambda: b.client.post(url, data={**form, "csrf_token": b.token})
    first, others, _, _ = run_held_then(ro_app, *[posting(b) for b in browsers])
    assert [w.error for w in (first, *others)] == [None] * 3
    assert [w.result.status_code for w in (first, *others)] == [302] * 3
    shown = [flashes(b.get(w.result.headers["Location"])) for b, w in zip(browsers, (first, *others))]
    assert all(len(messages) == 1 and messages[0][0] in ("success", "info") for messages in shown), shown
    assert made_once(number)


def copying(ids):
    return lambda: curricula.copy_to_next_year(actor_of("a.deputy"), ids)


def test_two_deputies_carrying_the_curricula_at_once_make_them_once(app, rollover_school):
    done_before(rollover_school, 4)  # the next year exists
    ids = list(db.session.scalars(select(Curriculum.id).where(Curriculum.year_id == rollover_school.year.id)))
    db.session.commit()
    first, (second,), _, _ = run_held_then(app, copying(ids), copying(ids))
    assert first.error is None and first.result == (3, 8)
    assert isinstance(second.error, DomainError), second.error
    assert str(second.error).startswith("Учебные планы не перенесены: их только что перенёс другой пользователь")
    assert count(Curriculum, Curriculum.year_id == new_year_id()) == 3
    assert count(CurriculumLine) == 16


def test_were_the_lock_missed_the_unique_keys_refuse_the_copy_with_the_step_s_message(app, rollover_school,
                                                                                      monkeypatch):
    done_before(rollover_school, 3)
    db.session.commit()
    monkeypatch.setattr(rollover, "locked", lambda query, **options: query)  # both requests get through
    year_id = rollover_school.year.id
    first, (second,), _, _ = run_held_then(app, as_admin(3, year_id), as_admin(3, year_id))
    assert first.error is None and first.result.changed
    assert isinstance(second.error, DomainError), second.error
    assert str(second.error) == ("Шаг 3 «Новый учебный год» уже выполняет другой пользователь: "
                                 "обновите страницу через несколько секунд")
    assert made_once(3)
