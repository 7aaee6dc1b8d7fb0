"""The rooms and bells, the weekly timetable without clashes (an edge colouring), each year's changes on dates and
lessons made by the journal's own generator."""
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from datetime import time as hhmm
from types import SimpleNamespace

from models import AcademicYear, Bell, Lesson, Organization, Room, TimetableChange, db
from services.timetable.lessons import GenerationResult, desired_lessons
from services.timetable.slots import Catalog
from services.demo.large.data import BELLS, DAYS, SCHOOL_BELLS, SPECIALITY_OF


class _Timetable:
    """A week without clashes, as an edge colouring of the bipartite class–teacher multigraph: each
    weekly lesson is an edge, each of the 5×7 slots a colour. A class may use only the first lessons of
    each day (its hours spread over five days, so its day has no gaps); teachers any slot. An edge with
    no common free slot is placed by swapping two slots along an alternating path (Kempe chain); if
    that cannot keep a class within its days, the slot restriction is dropped for it, which by König's
    theorem always succeeds (every class and teacher has at most 35 lessons a week)."""

    SLOTS = DAYS * BELLS

    def __init__(self, rnd):
        self.rnd = rnd
        self.allowed = {}
        self.at = defaultdict(dict)  # node -> {slot: edge}
        self.edges = []  # [class node, teacher node, subject, slot]
        self.relaxed = 0

    def add_class(self, node, hours):
        base, extra = divmod(hours, DAYS)
        lengths = [base + (1 if d < extra else 0) for d in range(DAYS)]
        if max(lengths) > BELLS:
            raise ValueError(f"{node}: {hours} уроков в неделю не помещаются в {DAYS}×{BELLS}")
        self.allowed[node] = {d * BELLS + n for d in range(DAYS) for n in range(lengths[d])}

    def add(self, class_node, teacher_node, subject):
        self.edges.append([class_node, teacher_node, subject, None])

    def solve(self):
        order = list(range(len(self.edges)))
        self.rnd.shuffle(order)
        load = Counter(e[1] for e in self.edges)
        order.sort(key=lambda i: -load[self.edges[i][1]])
        for i in order:
            if not self._place(i, restricted=True):
                self.relaxed += 1
                if not self._place(i, restricted=False):
                    raise RuntimeError("расписание не составлено")
        return [(c, t, s, divmod(slot, BELLS)) for c, t, s, slot in self.edges]

    def _set(self, i, slot):
        c, t = self.edges[i][0], self.edges[i][1]
        self.edges[i][3] = slot
        self.at[c][slot] = i
        self.at[t][slot] = i

    def _unset(self, i):
        c, t, _, slot = self.edges[i]
        del self.at[c][slot]
        del self.at[t][slot]

    def _place(self, i, restricted):
        c, t, subject, _ = self.edges[i]
        pool = self.allowed[c] if restricted else range(self.SLOTS)
        free_c = [k for k in sorted(pool) if k not in self.at[c]]
        common = [k for k in free_c if k not in self.at[t]]
        if common:
            same_day = Counter(self.edges[j][3] // BELLS for j in self.at[c].values() if self.edges[j][2] == subject)
            best = min(same_day[k // BELLS] for k in common)
            self._set(i, self.rnd.choice([k for k in common if same_day[k // BELLS] == best]))
            return True
        free_t = [k for k in range(self.SLOTS) if k not in self.at[t]]
        for a in free_c:
            for b in free_t:
                if restricted and b not in self.allowed[c]:
                    continue
                path, node, colour = [], c, b
                while colour in self.at[node]:
                    j = self.at[node][colour]
                    path.append(j)
                    node = self.edges[j][1] if self.edges[j][0] == node else self.edges[j][0]
                    colour = a if colour == b else b
                if restricted and node in self.allowed and colour == b and b not in self.allowed[node]:
                    continue  # the path ends at a class whose lesson would move out of its days
                for j in path:
                    self._unset(j)
                for j in path:
                    self._set(j, a if self.edges[j][3] == b else b)
                self._set(i, b)
                return True
        return False


class TimetableSteps:
    """Rooms, bells, the week, changes and lessons (a step of _School)."""

    def _rooms(self):
        self.home_room = {}
        for i, key in enumerate(self.class_keys):
            self.home_room[key] = self.w.ids(Room)
            self.w.add(Room, dict(id=self.home_room[key], org_id=self.org.id, name=f"{1 + i // 20}{1 + i % 20:02d}",
                                  capacity=32, note=None))
        self.w.add(Room, dict(id=self.w.ids(Room), org_id=self.org.id, name="Спортзал", capacity=60, note=None))
        for n, (h1, m1, h2, m2) in enumerate(SCHOOL_BELLS, start=1):
            self.w.add(Bell, dict(id=self.w.ids(Bell), org_id=self.org.id, year_id=None, shift=1, number=n,
                                  starts_at=hhmm(h1, m1), ends_at=hhmm(h2, m2)))
        self.w.flush(Room, Bell)

    def _timetable(self):
        """The weekly pattern of every class, the same every year (teachers follow the class letters)."""
        table = _Timetable(self._rnd("timetable"))
        for key in self.class_keys:
            table.add_class(key, sum(h for _, h in self.plan[key[0]]))
            for subject, h in self.plan[key[0]]:
                for _ in range(h):
                    table.add(key, ("teacher", self.teacher_of[(key, subject)]), subject)
        self.week = defaultdict(list)  # class key -> [(subject, weekday, lesson number)]
        for key, _teacher, subject, (day, n) in table.solve():
            self.week[key].append((subject, day + 1, n + 1))
        self.relaxed = table.relaxed
        self.busy = defaultdict(set)  # (weekday, number) -> teachers at a lesson then
        concurrent = Counter()
        self.group_room_no = {}
        for key, rows in sorted(self.week.items()):
            for subject, day, n in sorted(rows, key=lambda r: (r[1], r[2])):
                t = self.teacher_of[(key, subject)]
                self.busy[(day, n)].update(t if isinstance(t, tuple) else (t,))
                if isinstance(t, tuple):  # the second subgroup goes to a room of its own
                    concurrent[(day, n)] += 1
                    self.group_room_no[(key, subject, day, n)] = concurrent[(day, n)]
        self.group_rooms = []
        for k in range(max(concurrent.values(), default=0)):
            self.group_rooms.append(self.w.ids(Room))
            self.w.add(Room, dict(id=self.group_rooms[-1], org_id=self.org.id, name=f"Л-{k + 1}", capacity=16,
                                  note="для занятий в подгруппах"))
        self.w.flush(Room)

    def _lessons(self, y):
        """The year's lessons, made by the journal's own generator (services.timetable.lessons) from the timetable and
        the changes on dates: replacements by a free teacher and cancelled lessons."""
        org = db.session.get(Organization, self.org.id)
        year = db.session.get(AcademicYear, y.id)
        catalog = Catalog(org, y.id)
        classes = set(catalog.classes)
        spans = []
        for q in y.periods:
            end = q.end if self.scale.weeks is None else min(q.end, q.start + timedelta(days=7 * self.scale.weeks - 1))
            spans.append((SimpleNamespace(id=q.id, type=q.type, name=q.name), q.start, end))

        def generate():
            lessons = {}
            for period, start, end in spans:
                lessons.update(desired_lessons(catalog, year, period, start, end, classes,
                                                GenerationResult(period=period, start=start, end=end)))
            return lessons

        by_id = {a.id: a for a in self.assignments.values()}
        first_draft = generate()
        changes = self._changes(y, first_draft, by_id)
        final = generate() if changes else first_draft
        ordered = sorted(final.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0]))
        first = self.w.ids(Lesson, len(ordered))
        lessons = [SimpleNamespace(id=first + i, assignment=by_id[aid], date=day, number=number,
                                   period_id=v["period_id"], teacher_id=v["teacher_id"], room_id=v["room_id"],
                                   cancelled=v["is_cancelled"], given=False, homework=None, topic=None, due=None)
                   for i, ((aid, day, number), v) in enumerate(ordered)]
        by_assignment = defaultdict(list)
        for lesson in lessons:
            by_assignment[lesson.assignment.id].append(lesson)
        for aid, items in by_assignment.items():
            a = by_id[aid]
            r = self._rnd("lessons", y.start, a.key, a.subject, a.group)
            held = [lesson for lesson in items if not lesson.cancelled]
            for n, lesson in enumerate(held):
                if lesson.date > y.today:
                    break
                lesson.given = True
                lesson.topic, planned = a.topics[n] if n < len(a.topics) else ("Повторение изученного", None)
                if n + 1 < len(held) and r.random() < 0.7:
                    lesson.homework = planned or f"§ {n % 40 + 1}, упр. {r.randint(1, 30)}–{r.randint(31, 60)}"
                    lesson.due = held[n + 1].id
        # A lesson's homework is due on a later one: the later lessons go in first.
        self.w.add_many(Lesson, [dict(
            id=lesson.id, org_id=self.org.id, assignment_id=lesson.assignment.id, period_id=lesson.period_id,
            date=lesson.date, number=lesson.number, shift=1, teacher_id=lesson.teacher_id, room_id=lesson.room_id,
            topic=lesson.topic, homework=lesson.homework, homework_due_lesson_id=lesson.due,
            is_cancelled=lesson.cancelled, attendance_taken=lesson.given, from_timetable=True)
            for lesson in reversed(lessons)])
        self.w.flush(Lesson)
        self.summary.lessons += len(lessons)
        return lessons

    def _changes(self, y, lessons, by_id):
        """Replacements (by a teacher free at that hour, of the same speciality if one is) and cancellations
        of whole-class lessons: `changes` of each a week."""
        rnd = self._rnd("changes", y.start)
        keys = sorted(k for k in lessons if by_id[k[0]].group == 0)
        weeks = len({day - timedelta(days=day.weekday()) for _a, day, _n in keys})
        pairs = {t for pair in self.pairs for t in pair}
        changed, substituting, rows = set(), defaultdict(set), []
        for n in range(2 * self.scale.changes * weeks if keys else 0):
            aid, day, number = rnd.choice(keys)
            a = by_id[aid]
            if (a.class_id, day, number) in changed:
                continue
            row = dict(id=None, org_id=self.org.id, year_id=y.id, date=day, class_id=a.class_id, shift=1,
                       number=number, scheduled_assignment_id=aid, assignment_id=None, teacher_id=None, room_id=None,
                       created_at=datetime.combine(day, hhmm(7, 30)))
            if n % 2 == 0:
                busy = self.busy[(day.isoweekday(), number)] | substituting[(day, number)]
                free = [t for t in range(len(self.teachers)) if t not in busy and t not in pairs]
                if not free:
                    continue
                same = [t for t in free if self.speciality.get(t, "") == SPECIALITY_OF.get(a.subject)]
                substitute = rnd.choice(same or free)
                substituting[(day, number)].add(substitute)
                row.update(kind="replace", teacher_id=self.teachers[substitute]["id"], reason="Болезнь учителя")
            else:
                row.update(kind="cancel", reason=rnd.choice(["Экскурсия", "Карантин в классе", "Олимпиада"]))
            changed.add((a.class_id, day, number))
            row["id"] = self.w.ids(TimetableChange)
            rows.append(row)
        self.w.add_many(TimetableChange, rows)
        self.w.flush(TimetableChange)
        return rows
