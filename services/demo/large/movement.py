"""The students' histories over the years: enrollments, transfers and withdrawals during a year, the transfer to
the next year and the graduates, as applied orders of the movement book."""
from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import time as hhmm

from models import MovementItem, MovementOrder
from services.demo.large.data import LEAVE_REASONS


class MovementSteps:
    """The movement book and the class history (a step of _School)."""

    def _order(self, kind, order_date, effective, year, note=None, target_year=None):
        oid = self.w.ids(MovementOrder)
        self.order_numbers[order_date.year] += 1
        number = f"{self.order_numbers[order_date.year]}-у"
        self.w.add(MovementOrder, dict(
            id=oid, org_id=self.org.id, year_id=year.id, number=number, number_year=order_date.year,
            order_date=order_date, effective_date=effective, kind=kind, status="applied",
            target_year_id=target_year.id if target_year else None, cancels_id=None, note=note,
            created_at=datetime.combine(order_date, hhmm(9, 0)), applied_at=datetime.combine(order_date, hhmm(10, 0)),
            applied_by_id=self.admin["user_id"]))
        return oid, number

    def _item(self, order_id, pupil, from_class=None, to_class=None, prev="studying", reason=None, destination=None):
        self.w.add(MovementItem, dict(
            id=self.w.ids(MovementItem), org_id=self.org.id, order_id=order_id, student_id=pupil.id, card=None,
            from_class_id=from_class, to_class_id=to_class, reason=reason, destination=destination, note=None,
            prev_status=prev))

    def _move(self, pupil, day, order_id, to_key=None, status=None):
        """The book applied: the stay ends the day before `day`; a new one starts on `day`."""
        pupil.stays[-1][2], pupil.stays[-1][4] = day - timedelta(days=1), order_id
        if to_key is not None:
            pupil.stays.append([to_key, day, None, order_id, None])
        if status is not None:
            pupil.status = status

    def _pupils(self):
        """The students' histories over the years, with the movement book's applied orders."""
        self.pupils = []
        self.members = {}  # (year start, class key) -> pupils who were in the class that year
        r = self._rnd("movement")
        incoming = {}
        for index, y in enumerate(self.years):
            enroll = None
            for key in self.class_keys:
                came = incoming.get(key, [])
                if not came:  # a new class: the first year of the data, a 1st grade, or the 11Г
                    if enroll is None and index:
                        enroll = self._order("enrollment", date(y.start, 8, 28), date(y.start, 8, 28),
                                             self.years[index - 1], note="Зачисление обучающихся")
                    for _ in range(self.rnd.randint(*self.scale.students)):
                        on = date(y.start - key[0] + 1, 8, 28) if not index else date(y.start, 8, 28)
                        pupil = self._new_pupil(y.start, key, on, order=enroll)
                        pupil.stays.append([(y.start, key), y.start_date, None, enroll[0] if enroll else None, None])
                        if enroll:
                            self._item(enroll[0], pupil, to_class=self.class_id[(y.start, key)], prev=None)
                        came.append(pupil)
                self.members[(y.start, key)] = list(came)
            self._movement(r, y)
            self._split(y)
            if y.closed:
                incoming = self._year_end(y, self.years[index + 1])

    def _movement(self, r, y):
        """Transfers to a parallel class at the start of a quarter, and withdrawals, during the year."""
        last_day = min(y.today - timedelta(days=1), y.end_date)
        parallels = defaultdict(list)
        for key in self.class_keys:
            parallels[key[0]].append(key)
        grades = sorted(g for g, keys in parallels.items() if len(keys) > 1)
        quarters = [q for q in y.periods[1:] if q.start <= last_day]
        moved = set()

        def here(key):
            return [p for p in self.members[(y.start, key)] if p.status == "studying" and p.id not in moved
                    and p.stays[-1][0] == (y.start, key)]

        for _ in range(self.scale.movers if grades and quarters else 0):
            source, target = r.sample(parallels[r.choice(grades)], 2)
            candidates = here(source)
            if not candidates:
                continue
            pupil, day = r.choice(candidates), r.choice(quarters).start
            oid, _ = self._order("transfer", day, day, y, note="По заявлению родителей")
            self._item(oid, pupil, self.class_id[(y.start, source)], self.class_id[(y.start, target)])
            self._move(pupil, day, oid, to_key=(y.start, target))
            self.members[(y.start, target)].append(pupil)
            moved.add(pupil.id)
        first_day, last = y.start_date + timedelta(days=20), last_day - timedelta(days=10)
        for _ in range(self.scale.movers if last > first_day else 0):
            key = r.choice(self.class_keys)
            candidates = here(key)
            day = first_day + timedelta(days=r.randint(0, (last - first_day).days))
            while day.isoweekday() > 5:
                day += timedelta(days=1)
            candidates = [p for p in candidates if p.stays[-1][1] < day]
            if not candidates:
                continue
            pupil = r.choice(candidates)
            reason, destination = r.choice(LEAVE_REASONS)
            oid, _ = self._order("withdrawal", day, day, y)
            self._item(oid, pupil, self.class_id[(y.start, key)], reason=reason, destination=destination)
            self._move(pupil, day, oid, status="withdrawn")
            moved.add(pupil.id)

    def _year_end(self, y, nxt):
        """«Перевод на следующий год», the graduates (9th grades with no 10th to go on to, 11th grades);
        returns next year's incoming students by class."""
        transfer = graduation = leaving = None
        result = {}
        for key in self.class_keys:
            staying = [p for p in self.members[(y.start, key)] if p.status == "studying"
                       and p.stays[-1][0] == (y.start, key)]
            successor = (key[0] + 1, key[1])
            here = self.class_id[(y.start, key)]
            if successor in self.class_keys:
                if transfer is None:
                    transfer = self._order("next_year", y.end_date - timedelta(days=32), nxt.start_date, y,
                                           note=f"Переход с {y.name} на {nxt.name}", target_year=nxt)
                for p in staying:
                    self._item(transfer[0], p, here, self.class_id[(nxt.start, successor)])
                    self._move(p, nxt.start_date, transfer[0], to_key=(nxt.start, successor))
                result[successor] = staying
            elif key[0] in (9, 11):
                if graduation is None:
                    graduation = self._order("graduation", y.end_date, y.end_date + timedelta(days=1), y,
                                             note=f"Выпуск {y.name}", target_year=nxt)
                for p in staying:
                    self._item(graduation[0], p, here)
                    self._move(p, y.end_date + timedelta(days=1), graduation[0], status="graduated")
            else:  # only at the tiny size: no class of the next grade
                if leaving is None:
                    leaving = self._order("withdrawal", y.end_date + timedelta(days=1), y.end_date + timedelta(days=1),
                                          y, note="Выбытие по окончании учебного года")
                for p in staying:
                    self._item(leaving[0], p, here, reason="other_school",
                               destination="другая общеобразовательная организация")
                    self._move(p, y.end_date + timedelta(days=1), leaving[0], status="withdrawn")
        return result


def _stays_in(pupil, class_key, start, end):
    return any(key == class_key and s <= end and (e is None or e >= start) for key, s, e, _so, _eo in pupil.stays)
