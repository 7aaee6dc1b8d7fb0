"""Numbers, ids and dates that come from outside (a URL, a form, the grid's JSON, a report's
parameters): each has one spelling and a range the database and the calendar can hold, so
«17.9», « 17», «017», «１７» never mean 17, an id never overflows a 4-byte column, and a date never
overflows when a week is added to it. Anything else is None; the caller answers «не найдено» (404)
or a Russian message (400), and nothing changes.
"""
import re
from datetime import date

# Primary and foreign keys are 4-byte integers on PostgreSQL.
MAX_ID = 2_147_483_647
# Far enough for any school date (birth dates included), near enough that date arithmetic never
# leaves datetime.date's range.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2100, 12, 31)
DATE_HINT = "дд.мм.гггг"

_NUMBER = re.compile(r"0|[1-9][0-9]{0,17}")
_RU_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


def parse_int(value, low=1, high=MAX_ID):
    """A whole number in [low, high]: an int (not a bool, not a float) or its plain decimal spelling
    (ASCII digits, no sign, space or leading zero); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _NUMBER.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if low <= number <= high else None


def parse_id(value):
    """A row id (1 … MAX_ID) or None."""
    return parse_int(value)


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
