"""When a user last opened the start page: the moment «new since your last visit» counts from.

A reload within VISIT_GAP is the same visit (the news stay listed); a visit after a longer pause
counts from the visit before it. The first visit counts from FIRST_VISIT back.
"""
from datetime import timedelta

from sqlalchemy import select, update

from models import User, db
from services import clock, uow

VISIT_GAP = timedelta(minutes=30)
FIRST_VISIT = timedelta(days=7)


def since_last_visit(user_id):
    """The stored UTC moment the news are counted from, and this visit recorded. The record is
    committed at once (`uow.checkpoint`): the start page is a GET, which commits nothing else."""
    now = clock.utcnow()
    seen, since = db.session.execute(
        select(User.home_seen_at, User.home_since).where(User.id == user_id)).one()
    if seen is None:
        since = now - FIRST_VISIT
    elif now - seen > VISIT_GAP or since is None:
        since = seen
    db.session.execute(update(User.__table__).where(User.__table__.c.id == user_id)
                       .values(home_seen_at=now, home_since=since))
    uow.checkpoint("the start page's visit: the next visit's news count from it", expire=False)
    return since
