"""The figures of SPEC §4, computed in one place: every page and report calls these.

средний балл = Σ(mark × weight) / Σ weight over the tasks' marks; the period mark it suggests
rounds up at the institution's threshold (default .50: 4.50 → 5, 4.49 → 4).
"""
from collections import Counter
from dataclasses import dataclass
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


# -- успеваемость, качество знаний, СОУ ---------------------------------------------------------------
#
# NetSchool's published definitions (SPEC §4), over the period marks of a set of students:
#   N             = students of the set − exempt («осв») − those with no mark; «н/а» stays in N
#   успеваемость  = (n5 + n4 + n3) / N × 100
#   качество      = (n5 + n4) / N × 100
#   СОУ           = (100·n5 + 64·n4 + 36·n3 + 16·n2 + 7·n«н/а») / N
# For one subject nX counts the students whose mark is X («1» counts with «2»); in a pass/fail subject
# «зач» and «незач» are in N and in the успеваемость, and have no place in the quality or the СОУ. Over all
# subjects each student falls in his worst
# category: «н/а» if any mark is «н/а», else «2» if any is «2», «1» or «незач», else «3» if any is «3»,
# else «4» if any is «4» (хорошист), else «5» (отличник); «зач» and «осв» neither raise nor lower it.
# Students who left the set before the period's end are not passed in (services/roster decides the set).

ONE_PLACE = Decimal("0.1")
FAILING = {"2", "1"}
FAILED = "незач"
NOT_ASSESSED = "н/а"
EXEMPT = "осв"
PASSED = "зач"
SOU_WEIGHTS = {"5": 100, "4": 64, "3": 36, "2": 16, NOT_ASSESSED: 7}


def percent(part, whole):
    """part / whole × 100, rounded half up to one place; None when whole is 0 (nothing to divide)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    """The counts and percentages of one set of students; None where N is 0 (nothing to divide)."""

    students: int = 0  # in the set
    n5: int = 0
    n4: int = 0
    n3: int = 0
    n2: int = 0
    n_na: int = 0  # «н/а»
    n_pass: int = 0  # «зач» (a pass/fail subject)
    n_fail: int = 0  # «незач»
    n_exempt: int = 0  # «осв»
    n_none: int = 0  # no period mark
    average: Decimal | None = None  # средний балл, weighted, over the tasks' marks (when given)

    @property
    def N(self):  # noqa: N802 — the SPEC's name
        return self.n5 + self.n4 + self.n3 + self.n2 + self.n_na + self.n_pass + self.n_fail

    @property
    def success(self):
        """успеваемость, %"""
        return percent(self.n5 + self.n4 + self.n3 + self.n_pass, self.N)

    @property
    def quality(self):
        """качество знаний, %; None for a pass/fail subject (no «4» or «5» to count)."""
        graded = self.N - self.n_pass - self.n_fail
        return percent(self.n5 + self.n4, graded) if graded else None

    @property
    def sou(self):
        """СОУ (степень обученности), %"""
        graded = self.N - self.n_pass - self.n_fail
        if not graded:
            return None
        points = sum(weight * count for weight, count in zip(
            SOU_WEIGHTS.values(), (self.n5, self.n4, self.n3, self.n2, self.n_na)))
        return (Decimal(points) / Decimal(graded)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)

    def as_dict(self):
        return {"students": self.students, "n5": self.n5, "n4": self.n4, "n3": self.n3, "n2": self.n2,
                "n_na": self.n_na, "n_pass": self.n_pass, "n_fail": self.n_fail, "n_exempt": self.n_exempt,
                "n_none": self.n_none,
                "N": self.N, "success": self.success, "quality": self.quality, "sou": self.sou,
                "average": self.average}


# A stored mark's category, looked up as it is stored (the common case: no conversion, no strip).
_CATEGORY = {"5": "5", "4": "4", "3": "3", "2": "2", "1": "2", NOT_ASSESSED: NOT_ASSESSED, PASSED: PASSED,
             FAILED: FAILED, EXEMPT: EXEMPT, None: None, "": None}
_OTHER = object()  # a value not in _CATEGORY as it is (spaces around it, a number): mark_category decides


def mark_category(value):
    """The category of one period mark: "5", "4", "3", "2", "н/а", "зач", "незач", "осв", or None (no mark)."""
    cat = _CATEGORY.get(value, _OTHER)
    if cat is not _OTHER:
        return cat
    return _CATEGORY.get(str(value).strip())


_WORST = ("н/а", "2", "3", "4", "5")


def _categories(values, category=mark_category):
    """The categories of several marks (a set or a Counter's source), by the table where it can."""
    cats = [_CATEGORY.get(value, _OTHER) for value in values]
    return cats if _OTHER not in cats else [category(value) for value in values]


def student_category(values):
    """A student's category over all subjects (his worst mark); "осв" if exempt from every one he has
    a mark in, "зач" if he has only passes, None if no mark at all."""
    cats = set(_categories(values))
    cats.discard(None)
    if not cats:
        return None
    if FAILED in cats:
        return NOT_ASSESSED if NOT_ASSESSED in cats else "2"
    for cat in _WORST:
        if cat in cats:
            return cat
    return PASSED if PASSED in cats else EXEMPT


_COUNTS = {"5": "n5", "4": "n4", "3": "n3", "2": "n2", NOT_ASSESSED: "n_na", PASSED: "n_pass", FAILED: "n_fail",
           EXEMPT: "n_exempt", None: "n_none"}


def figures(values_by_student, all_subjects=False, average=None):
    """THE figures function. `values_by_student`: {student: value} for one subject, or
    {student: [values]} over all subjects (`all_subjects=True`); every student of the set is a key,
    those without a mark with None or []. `average`: the set's weighted average, passed through."""
    result = Figures(students=len(values_by_student), average=average)
    values = values_by_student.values()
    cats = map(student_category, values) if all_subjects else _categories(values)
    for cat, count in Counter(cats).items():
        name = _COUNTS[cat]
        setattr(result, name, getattr(result, name) + count)
    return result


def pooled_average(sums):
    """The weighted average of several students' marks pooled: `sums` is [(Σ mark×weight, Σ weight)]."""
    total = sum((Decimal(str(s)) for s, w in sums if w), Decimal(0))
    weights = sum((Decimal(str(w)) for s, w in sums if w), Decimal(0))
    if not weights:
        return None
    return (total / weights).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


# -- attendance --------------------------------------------------------------------------------------

@dataclass
class AttendanceCounts:
    """Lessons missed (absent, ill or excused), of them ill, excused and without reason; late arrivals."""

    missed: int = 0
    ill: int = 0
    excused: int = 0
    unexcused: int = 0
    late: int = 0

    def add(self, kind, count):
        if kind == "late":
            self.late += count
            return
        self.missed += count
        if kind == "ill":
            self.ill += count
        elif kind == "excused":
            self.excused += count
        else:
            self.unexcused += count

    def __iadd__(self, other):
        for name in ("missed", "ill", "excused", "unexcused", "late"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    def as_dict(self):
        return {"missed": self.missed, "ill": self.ill, "excused": self.excused, "unexcused": self.unexcused,
                "late": self.late}
