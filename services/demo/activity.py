"""The demo's use of the system (issue 17.3, «Отчёт по активности пользователей»): logins issued to most students
and mothers of the demo class and to a few of the first class (their slips handed out: the password is not
known, to be changed at the first login), the rest of the school without logins; over the last five weeks the
accounts log in as people do — some every day or two, some weekly, some stopped two weeks ago, some issued and
never used. Dated from the demo's today (services/clock), all before it."""
import random
from datetime import timedelta

from sqlalchemy import select

from models import LoginEvent, Parent, Staff, Student, User, db
from services import clock
from services.people import accounts

DAYS = 35  # how far back the logins go


def _issue(cards, at):
    """Accounts for the cards that have none, as «Выдать логины» makes them, issued at `at` (one hash of an
    unknown password: nobody logs in to them in the demo)."""
    password_hash = accounts.hash_password(accounts.readable_password())
    taken = set()
    for card in cards:
        if card.user_id is not None:
            continue
        card.user = User(login=accounts.unique_login(accounts.base_login(card), taken), password_hash=password_hash,
                         must_change_password=True, session_token=accounts.new_session_token(),
                         display_name=card.full_name, created_at=at)
    db.session.flush()


def _days(rnd, habit):
    """The days ago (1…DAYS) an account of this habit logged in on."""
    if habit == "daily":
        return [d for d in range(1, DAYS + 1) if rnd.random() < 0.6]
    if habit == "weekly":
        return [d for d in range(1 + rnd.randint(0, 6), DAYS + 1, 7)]
    if habit == "stopped":  # logged in at first, not in the last two weeks
        return [d for d in range(15, DAYS + 1) if rnd.random() < 0.3] or [20]
    return []  # never


def create_activity_demo(org, classes, today, seed=2026):
    """`classes`: the demo's classes (the second is the demo class)."""
    rnd = random.Random(seed + 17)
    demo_class, first_class = classes[1] if len(classes) > 1 else classes[0], classes[0]
    students = {klass.id: db.session.scalars(select(Student).where(Student.class_id == klass.id)
                                             .order_by(Student.id)).all() for klass in (demo_class, first_class)}
    issued = students[demo_class.id][:-2] + (students[first_class.id][:3] if first_class is not demo_class else [])
    mothers = [next((p for p in s.parents if p.relation == "mother"), s.parents[0]) for s in issued if s.parents]
    _issue(issued + mothers[:-2], clock.day_start(today - timedelta(days=DAYS + 2), org) + timedelta(hours=10))

    habits = ("daily", "daily", "weekly", "weekly", "weekly", "stopped", "never")
    cards = [*db.session.scalars(select(Staff).where(Staff.org_id == org.id, Staff.user_id.is_not(None))
                                 .order_by(Staff.id)),
             *db.session.scalars(select(Student).where(Student.org_id == org.id, Student.user_id.is_not(None))
                                 .order_by(Student.id)),
             *db.session.scalars(select(Parent).where(Parent.org_id == org.id, Parent.user_id.is_not(None))
                                 .order_by(Parent.id))]
    rows, seen = [], set()
    for card in cards:
        if card.user_id in seen:
            continue
        seen.add(card.user_id)
        user = card.user
        habit = "daily" if isinstance(card, Staff) else rnd.choice(habits)
        moments = sorted(clock.day_start(today - timedelta(days=d), org)
                         + timedelta(hours=rnd.randint(7, 21), minutes=rnd.randint(0, 59))
                         for d in _days(rnd, habit))
        for at in moments:
            rows.append(LoginEvent(at=at, login=user.login, user_id=user.id, success=True,
                                   address=f"10.0.{rnd.randint(0, 9)}.{rnd.randint(2, 250)}"))
        if moments:
            user.last_login_at = moments[-1]
        if habit != "never" and rnd.random() < 0.3:  # a mistyped password now and then
            rows.append(LoginEvent(at=moments[0] - timedelta(minutes=1) if moments else clock.utcnow(),
                                   login=user.login, user_id=user.id, address="10.0.0.2", success=False,
                                   reason="bad credentials"))
    db.session.add_all(rows)
    db.session.flush()
