"""Dates, once: the one spelling of a date typed by a person (дд.мм.гггг, or the browser picker's
гггг-мм-дд), the one way a date and a stored time are shown (дд.мм.гггг, дд.мм.гггг чч:мм in the
organization's time zone), and the organization's "today".

Built on `services/clock.py`, which stays the one clock: `today(org)` is the clock's date in the
organization's time zone (a school in Yekaterinburg starts its day two hours before Moscow). Pass
the organization whenever one is known; `today()` without it means the current request's
organization, else Moscow — kept only for installation-wide work (and said so where it is called).
Stored timestamps are naive UTC (`clock.utcnow()`); they are shown in the organization's local time.
"""
import re
from datetime import date, datetime

from models import Organization, db
from services import clock

# Far enough for any school date (birth dates included), near enough that date arithmetic never
# leaves datetime.date's range.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)
DATE_HINT = "дд.мм.гггг"
DATE_FORMAT = "%d.%m.%Y"
DAY_FORMAT = "%d.%m"
DATETIME_FORMAT = "%d.%m.%Y %H:%M"
TIME_FORMAT = "%H:%M"

_RU_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


# -- reading -----------------------------------------------------------------------------------------

def parse_date(text):
    """A date typed as дд.мм.гггг or гггг-мм-дд (surrounding spaces ignored) between MIN_DATE and
    MAX_DATE; None for anything else, an empty value included."""
    text = text.strip() if isinstance(text, str) else ""
    if match := _RU_DATE.fullmatch(text):
        day, month, year = match.groups()
    elif match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    else:
        return None
    try:
        value = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return value if MIN_DATE <= value <= MAX_DATE else None


def date_error(text, label=None):
    """The Russian message for a date parse_date refused."""
    prefix = f"{label}: " if label else ""
    return f"{prefix}«{text}» — не дата; укажите её в виде {DATE_HINT} (с {MIN_DATE:%Y} по {MAX_DATE:%Y} год)"


# -- today ---------------------------------------------------------------------------------------------

def _where(org):
    """An Organization (or a zone name) as it is; an organization's id → the Organization."""
    if isinstance(org, int) and not isinstance(org, bool):
        return db.session.get(Organization, org)
    return org


def today(org=None) -> date:
    """The organization's today (its time zone; `org` an Organization or its id); without one, the
    current request's organization, else Moscow (installation-wide work only)."""
    return clock.today(_where(org))


# -- showing ---------------------------------------------------------------------------------------------

def local(stored: datetime, org=None) -> datetime:
    """A stored timestamp (naive UTC; an aware one is taken as it is) in the organization's local time."""
    if stored.tzinfo is not None:
        return stored.astimezone(clock.now(_where(org)).tzinfo)
    return clock.local(stored, _where(org))


def format_date(value, org=None) -> str:
    """дд.мм.гггг; a stored timestamp is first turned into the organization's local day; None → ''."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value, org)
    return value.strftime(DATE_FORMAT)


def format_datetime(value, org=None) -> str:
    """дд.мм.гггг чч:мм of a stored timestamp in the organization's local time; a date alone is
    shown as дд.мм.гггг; None → ''."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.strftime(DATE_FORMAT)
    return local(value, org).strftime(DATETIME_FORMAT)
