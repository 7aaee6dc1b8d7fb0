"""The demo institution gets bells, a full week without clashes and the lessons of the current period."""
import time as clock
from datetime import date

import pytest
from sqlalchemy import func, select

from models import Bell, Lesson, Organization, Period, TeachingAssignment, TimetableChange, db
from services.demo.school import create_demo
from services.timetable.bells import bell_times
from services.timetable.clashes import find_clashes
from services.timetable.slots import Catalog, load_entry_slots


@pytest.mark.parametrize("kind, least", [("school", 15), ("college", 4)])
def test_demo_timetable_has_no_clash_and_lessons(kind, least):
    """The week holds what the curriculum asks (a college counts pairs: hours of the semester / 17 / 2)."""
    started = clock.monotonic()
    create_demo(kind=kind, password="demo-pass-123", today=date(2026, 11, 20))
    db.session.commit()  # as the `demo-data` command's unit of work does
    elapsed = clock.monotonic() - started
    org = db.session.scalar(select(Organization))
    year_id = db.session.scalar(select(TeachingAssignment.year_id).limit(1))
    catalog = Catalog(org, year_id)
    slots = load_entry_slots(catalog)
    assert db.session.scalar(select(func.count(Bell.id))) >= 5
    assert find_clashes(catalog, slots, bell_times(org.id, year_id)) == []
    per_class = {cid: sum(1 for s in slots if s.class_id == cid) for cid in catalog.classes}
    assert all(count >= least for count in per_class.values()), per_class
    assert {s.weekday for s in slots} == {1, 2, 3, 4, 5}
    # every assignment with hours in the curriculum is somewhere in the week
    placed = {s.assignment_id for s in slots}
    assert len(placed) >= 0.8 * len(catalog.assignments)
    period = db.session.scalar(select(Period).where(Period.start_date <= date(2026, 11, 20),
                                                    Period.end_date >= date(2026, 11, 20)))
    lessons = db.session.scalar(select(func.count(Lesson.id)).where(Lesson.period_id == period.id))
    assert lessons > 100
    assert db.session.scalar(select(func.count(TimetableChange.id))) >= 1
    assert elapsed < 15, elapsed
