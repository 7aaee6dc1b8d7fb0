"""Numbers, ids and dates that come from outside (a URL, a form, the grid's JSON, a report's
parameters): each has one spelling and a range the database and the calendar can hold, so
«17.9», « 17», «017», «１７» never mean 17, an id never overflows a 4-byte column, and a date never
overflows when a week is added to it. Anything else is None; the caller answers «не найдено» (404)
or a Russian message (400), and nothing changes.
"""
import json
import re

# Dates are read in services/dates.py, their one home; re-exported for the callers of params.
from services.dates import DATE_HINT, MAX_DATE, MIN_DATE, date_error, parse_date  # noqa: F401

# Primary and foreign keys are 4-byte integers on PostgreSQL.
MAX_ID = 2_147_483_647

_NUMBER = re.compile(r"0|[1-9][0-9]{0,17}")


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


# -- text and JSON from outside --------------------------------------------------------------------

JSON_MAX_DEPTH = 8  # the grid's payload is {"marks": [{...}]}: three levels; anything deeper is not ours
_BAD_CHARS = re.compile(r"[\x00\ud800-\udfff]")


def bad_text(value):
    """A Russian reason why a text cannot be stored (a NUL byte, half of a surrogate pair), or None."""
    if isinstance(value, str) and (match := _BAD_CHARS.search(value)):
        return "нулевой байт" if match.group() == "\x00" else "недопустимый символ (половина суррогатной пары)"
    return None


def _depth(text):
    """How deeply the brackets of a JSON text nest (strings skipped), counted without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_json(raw, max_depth=JSON_MAX_DEPTH):
    """A JSON text from a client → its value; ValueError with a Russian reason for a malformed text,
    one nested deeper than max_depth (Python's parser would recurse a thousand levels), or a string
    holding a NUL byte or a lone surrogate (neither can be stored)."""
    if not isinstance(raw, str):
        raise ValueError("неверный формат")
    if _depth(raw) > max_depth:
        raise ValueError(f"вложенность данных больше {max_depth} уровней")
    try:
        value = json.loads(raw)
    except (TypeError, ValueError, RecursionError):
        raise ValueError("неверный формат") from None
    _check_strings(value)
    return value


def _check_strings(value):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif (reason := bad_text(item)) is not None:
            raise ValueError(f"в тексте {reason}")


def text_within(value, limit, label):
    """A text field of a client's data: stripped, at most `limit` characters, or ValueError naming the
    field and its limit. Never cut silently."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"«{label}» — не текст")
    value = value.strip()
    if len(value) > limit:
        raise ValueError(f"«{label}» длиннее {limit} символов ({len(value)})")
    if (reason := bad_text(value)) is not None:
        raise ValueError(f"«{label}»: {reason}")
    return value
