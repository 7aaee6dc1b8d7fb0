"""The one clock the application reads.

Every "now" and "today" of views, services, reports, demo data and the CLI comes from here,
never from `date.today()` or `datetime.now()`. "Today" is the date in the organization's time
zone (a school in Novosibirsk starts its day four hours before Moscow). Tests fix the clock
(`tests/conftest.py`), so no test depends on the machine's date; `freeze()` is also how a
training installation can be run "as of" a given day.
"""
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "Europe/Moscow"

_frozen: datetime | None = None  # an aware UTC instant while the clock is fixed
_default_where = None  # set by create_app(): the current request's organization


def set_default_zone(resolver):
    """`resolver()` gives the organization (or zone name) that `today()` means when none is named."""
    global _default_where
    _default_where = resolver


def _zone(where):
    """`where`: an Organization (its `timezone`), a zone name, or None (Moscow)."""
    if where is None and _default_where is not None:
        where = _default_where()
    name = getattr(where, "timezone", where) or DEFAULT_TZ
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def now_aware() -> datetime:
    """The current instant, aware, in UTC."""
    return _frozen if _frozen is not None else datetime.now(timezone.utc)


def utcnow() -> datetime:
    """The current instant as stored in the database: naive UTC, whole seconds."""
    return now_aware().replace(tzinfo=None, microsecond=0)


def now(where=None) -> datetime:
    """The current local time (aware) of an organization or a zone."""
    return now_aware().astimezone(_zone(where))


def today(where=None) -> date:
    """Today's date of an organization or a zone; by default the current request's organization
    (the signed-in user's), else Moscow."""
    return now(where).date()


def local(stored: datetime, where=None) -> datetime:
    """A stored timestamp (naive UTC) as the local time (aware) of an organization or a zone."""
    return stored.replace(tzinfo=timezone.utc).astimezone(_zone(where))


def day_start(day: date, where=None) -> datetime:
    """The stored timestamp (naive UTC) at which a local day of an organization or a zone begins."""
    return datetime.combine(day, time(0), tzinfo=_zone(where)).astimezone(timezone.utc).replace(tzinfo=None)


def timestamp() -> float:
    """Seconds since the epoch, for throttles and session ages."""
    return now_aware().timestamp()


def to_instant(value, where=None) -> datetime:
    """A date (its noon, local) or a naive local datetime or an aware one as an aware UTC instant."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=_zone(where))
    elif isinstance(value, date):
        moment = datetime.combine(value, time(12, 0), tzinfo=_zone(where))
    else:
        raise TypeError(f"not a date or datetime: {value!r}")
    return moment.astimezone(timezone.utc)


def freeze(value, where=None):
    """Fix the clock at a date or instant until `unfreeze()` (tests, training installations)."""
    global _frozen
    _frozen = to_instant(value, where)


def unfreeze():
    global _frozen
    _frozen = None


def is_frozen() -> bool:
    return _frozen is not None


def advance(**delta):
    """Move a fixed clock forward (`advance(hours=13)`); refused on the real clock."""
    global _frozen
    if _frozen is None:
        raise RuntimeError("the clock is not frozen")
    _frozen = _frozen + timedelta(**delta)


@contextmanager
def frozen(value, where=None):
    """`with clock.frozen(date(2026, 11, 20)):` — the clock reads that day inside the block."""
    global _frozen
    before = _frozen
    freeze(value, where)
    try:
        yield
    finally:
        _frozen = before
