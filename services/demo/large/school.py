"""One school of the data set, built step by step (`build`): each step's methods are in its own module."""
import random
from collections import Counter

from services import clock
from services.demo.school import Names
from services.demo.large.journal import JournalSteps
from services.demo.large.movement import MovementSteps
from services.demo.large.org import OrgSteps
from services.demo.large.people import PeopleSteps
from services.demo.large.planning import PlanningSteps
from services.demo.large.timetable import TimetableSteps


class _School(OrgSteps, PeopleSteps, PlanningSteps, TimetableSteps, MovementSteps, JournalSteps):
    """One school: `build` runs the steps in order, each writing its rows in bulk."""

    def __init__(self, number, scale, seed, today, past_years, password_hash, taken_logins, writer, log, summary):
        self.number, self.scale, self.seed, self.today = number, scale, seed, today
        self.password_hash, self.taken, self.w, self.log, self.summary = (password_hash, taken_logins, writer,
                                                                           log, summary)
        self.rnd = self._rnd("people")
        self.names = Names(self.rnd)
        current = today.year if today.month >= 8 else today.year - 1
        self.starts = list(range(current - past_years, current + 1))
        self.staff_snils, self.student_snils = set(), set()
        self.order_numbers = Counter()
        self.real_today = clock.today()

    def _rnd(self, *key):
        """A generator of its own for each part, so that the parts do not depend on each other's order."""
        return random.Random("/".join(map(str, (self.seed, self.number) + key)))

    def build(self):
        n = self.number
        self.log(f"Школа {n}: организация, календарь, предметы, сотрудники")
        self._organization()
        self._calendar()
        self._subjects()
        self._staff()
        self._allocate()
        self._rooms()
        self.log(f"Школа {n}: недельное расписание")
        self._timetable()
        self.log(f"Школа {n}: уроков в неделю {sum(len(v) for v in self.week.values())}, без окон"
                 + (f" (кроме {self.relaxed})" if self.relaxed else "") + "; классы, обучающиеся, родители, "
                 "книга движения")
        self._classes()
        self._pupils()
        self._write_pupils()
        for y in self.years:
            self.log(f"Школа {n}, {y.name}: учебный план, нагрузка, КТП, расписание")
            self._planning(y)
            lessons = self._lessons(y)
            self.log(f"Школа {n}, {y.name}: уроков {len(lessons)}; задания, отметки, посещаемость")
            self._journal(y, lessons)
            self._period_marks(y)
        self.summary.teachers += len(self.teachers)
