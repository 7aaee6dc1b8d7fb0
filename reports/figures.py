"""The figures of SPEC §4, computed in one place: every page and report calls these.

средний балл = Σ(mark × weight) / Σ weight over the tasks' marks; the period mark it suggests
rounds up at the institution's threshold (default .50: 4.50 → 5, 4.49 → 4).
"""
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

NUMERIC_MARKS = {"5": 5, "4": 4, "3": 3, "2": 2, "1": 1}
TWO_PLACES = Decimal("0.01")


def weighted_average(marks):
    """marks: iterable of (value, weight); «зач/незач» and empty values do not count.

    Returns the average rounded to hundredths (as the journal shows it), or None without marks.
    """
    total = Decimal(0)
    weights = Decimal(0)
    for value, weight in marks:
        number = NUMERIC_MARKS.get(str(value).strip()) if value is not None else None
        if number is None:
            continue
        weight = Decimal(str(weight))
        total += number * weight
        weights += weight
    if not weights:
        return None
    return (total / weights).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def suggested_mark(average, threshold=Decimal("0.50")):
    """The period mark an average leads to: the whole part, plus one at or above the threshold."""
    if average is None:
        return None
    average = Decimal(str(average))
    whole = average.to_integral_value(rounding=ROUND_FLOOR)
    mark = int(whole) + (1 if average - whole >= Decimal(str(threshold)) else 0)
    return max(1, min(5, mark))
