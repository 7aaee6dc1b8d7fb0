"""The journal of each year: attendance, tasks and marks of every given lesson, period and year marks."""
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from datetime import time as hhmm
from decimal import Decimal

from models import Attendance, Grading, Mark, PeriodMark, Task
from services.journal.figures import suggested_mark, weighted_average
from services.demo.large.data import CLASSWORK, CLASSWORK_DEFAULT, RUS, SCHOOL_BELLS, SINGLE_ABSENT, SINGLE_LATE
from services.demo.large.writer import CHUNK


class JournalSteps:
    """Attendance, tasks, marks, period and year marks (a step of _School)."""

    def _absences(self, y, pupils):
        """{student id: {date: code}}: spells of illness («б», two to seven days) and excused days («у»)."""
        days = []
        day = y.start_date
        while day <= min(y.end_date, y.today):
            if day.isoweekday() <= 5:
                days.append(day)
            day += timedelta(days=1)
        result = {}
        for pupil in pupils:
            r = self._rnd("absence", y.start, pupil.id)
            out, i = {}, 0
            while i < len(days):
                if r.random() < pupil.absence / 3.5:
                    ill = r.random() < 0.75
                    length = r.randint(2, 7) if ill else r.randint(1, 2)
                    for d in days[i:i + length]:
                        out[d] = "б" if ill else "у"
                    i += length
                else:
                    i += 1
            result[pupil.id] = out
        return result

    def _journal(self, y, lessons):
        """Attendance, tasks and marks of every given lesson, assignment by assignment."""
        roster = defaultdict(list)  # class id -> [(pupil, first day, last day, class key)]
        for pupil in self.pupils:
            for key, start, end, _so, _eo in pupil.stays:
                if key[0] == y.start:
                    roster[self.class_id[key]].append((pupil, start, end or y.end_date, key))
        absent = self._absences(y, {p for rows in roster.values() for p, *_ in rows})
        quarter_no = {q.id: q.number for q in y.periods}
        bells = {n: hhmm(h1, m1) for n, (h1, m1, _h2, _m2) in enumerate(SCHOOL_BELLS, start=1)}
        reason_user = {self.class_id[(y.start, key)]: self.teacher_user[t] for key, t in self.class_teacher.items()}
        self.sums = defaultdict(Counter)  # (student, subject, period) -> {mark: Σ weight}
        given = defaultdict(list)
        for lesson in lessons:
            if lesson.given:
                given[lesson.assignment.id].append(lesson)
        counts = Counter()
        org = self.org.id
        marks_out, attendance = self.w.buffer(Mark), self.w.buffer(Attendance)
        for aid in sorted(given):
            items = given[aid]
            a = items[0].assignment
            subject = self.subjects[a.subject]
            marks = a.key[0] > 1 and subject.grading != Grading.NONE.value
            pass_fail = subject.grading == Grading.PASS_FAIL.value
            r = self._rnd("journal", y.start, a.key, a.subject, a.group)
            per_quarter = Counter(lesson.period_id for lesson in items)
            seen = Counter()
            homework_before = False
            for lesson in items:
                number, count = seen[lesson.period_id], per_quarter[lesson.period_id]
                seen[lesson.period_id] += 1
                q = quarter_no[lesson.period_id]
                students = [p for p, start, end, key in roster[a.class_id] if start <= lesson.date <= end
                            and (not a.group or p.subgroup.get((key[0], key[1], a.subject, q)) == a.group)]
                at = datetime.combine(lesson.date, bells[lesson.number]) + timedelta(minutes=40)
                user = self.user_of_staff[lesson.teacher_id]
                present = []
                for p in students:
                    code = absent[p.id].get(lesson.date)
                    if code is None:
                        x = r.random()
                        code = "н" if x < SINGLE_ABSENT else "оп" if x < SINGLE_ABSENT + SINGLE_LATE else None
                    if code is None or code == "оп":
                        present.append(p)
                    if code is None:
                        continue
                    row = dict(org_id=org, lesson_id=lesson.id, student_id=p.id,
                               code_id=self.codes[code], reason_note=None, document_date=None, reason_set_by_id=None,
                               reason_set_at=None, version=1, updated_by_id=user, updated_at=at)
                    if code in ("б", "у"):
                        document = lesson.date if code == "у" else min(y.today, lesson.date + timedelta(days=2))
                        row.update(reason_note="справка из поликлиники" if code == "б" else "заявление родителей",
                                   document_date=document, reason_set_by_id=reason_user[a.class_id],
                                   reason_set_at=datetime.combine(document, hhmm(14, 0)))
                    attendance.append(row)
                    counts["attendance"] += 1
                if marks and present:
                    for position, (type_name, chosen) in enumerate(
                            self._tasks(r, a.subject, number, count, homework_before, present), start=1):
                        kind = self.types[type_name]
                        task_id = self.w.ids(Task)
                        self.w.add(Task, dict(id=task_id, org_id=org, lesson_id=lesson.id, type_id=kind.id,
                                              weight=kind.default_weight, is_mandatory=kind.default_mandatory,
                                              topic=None, position=position))
                        counts["tasks"] += 1
                        shift = 0.2 if kind.default_weight >= 3 else 0.0
                        for p in chosen:
                            if pass_fail:
                                value = "зач" if r.random() < 0.94 else "незач"
                            else:
                                value = str(min(5, max(2, round(r.gauss(p.level - shift, 0.8)))))
                            marks_out.append(dict(org_id=org, task_id=task_id, student_id=p.id, value=value,
                                                  comment=None, version=1, created_by_id=user, created_at=at,
                                                  updated_by_id=user, updated_at=at))
                            self.sums[(p.id, subject.id, lesson.period_id)][value] += kind.default_weight
                            counts["marks"] += 1
                homework_before = lesson.homework is not None
            if len(marks_out) >= 5 * CHUNK:
                self.w.flush(Task, Mark, Attendance)
        self.w.flush(Task, Mark, Attendance)
        self.summary.marks += counts["marks"]
        self.summary.tasks += counts["tasks"]
        self.summary.attendance += counts["attendance"]

    def _tasks(self, r, subject, number, count, homework_before, present):
        """[(task type, students marked)] of a lesson: control works twice a quarter (a debt for who is
        absent), else answers at the lesson, often a piece of class work, sometimes homework checked."""
        if (count >= 4 and number == count - 2) or (count >= 12 and number == count // 2):
            name = "Контрольный диктант" if subject == RUS and number == count // 2 else "Контрольная работа"
            return [(name, [p for p in present if r.random() < 0.96])]
        tasks = [("Ответ на уроке", r.sample(present, min(len(present), r.randint(3, 6))))]
        x = r.random()
        if x < 0.4:
            tasks.append((r.choice(CLASSWORK.get(subject, CLASSWORK_DEFAULT)),
                          [p for p in present if r.random() < 0.9]))
        elif homework_before and x < 0.65:
            tasks.append(("Домашнее задание", r.sample(present, min(len(present), r.randint(3, 8)))))
        return [(name, chosen) for name, chosen in tasks if chosen]

    def _period_marks(self, y):
        """Period marks of the finished quarters, the mark the journal's average suggests («н/а» without
        marks), and year marks once the year is over, for the students in the class at the period's end."""
        threshold = Decimal("0.50")
        rows, quarters = [], defaultdict(list)
        final_key = {}
        for pupil in self.pupils:
            stays = [(key, start, end or y.end_date) for key, start, end, _so, _eo in pupil.stays if key[0] == y.start]
            for quarter in y.periods:
                key = next((key for key, start, end in stays if start <= quarter.end <= end), None)
                if key is None or not quarter.finished:
                    continue
                final_key[pupil.id] = key
                for name, _h in self.plan[key[1][0]]:
                    subject = self.subjects[name]
                    if key[1][0] == 1 or subject.grading == Grading.NONE.value:
                        continue
                    sums = self.sums.get((pupil.id, subject.id, quarter.id))
                    if subject.grading == Grading.PASS_FAIL.value:
                        value = ("зач" if sums["зач"] >= sums["незач"] else "незач") if sums else "н/а"
                    else:
                        average = weighted_average(sums.items()) if sums else None
                        value = str(suggested_mark(average, threshold)) if average is not None else "н/а"
                    rows.append(dict(org_id=self.org.id, student_id=pupil.id, subject_id=subject.id, year_id=y.id,
                                     kind="period", period_id=quarter.id, slot=quarter.id, value=value, version=1,
                                     set_by_id=self.teacher_user[self._teacher(pupil, key, name, quarter)],
                                     set_at=datetime.combine(quarter.end, hhmm(15, 0))))
                    quarters[(pupil, name)].append(value)
        if y.complete:
            last = y.periods[-1]
            for (pupil, name), values in quarters.items():
                key = final_key[pupil.id]
                if len(values) != len(y.periods) or name not in self.hours[key[1][0]]:
                    continue
                if self.subjects[name].grading == Grading.PASS_FAIL.value:
                    value = "зач" if all(v == "зач" for v in values) else "незач"
                else:
                    average = weighted_average((v, 1) for v in values)
                    value = str(suggested_mark(average, threshold)) if average is not None else "н/а"
                rows.append(dict(org_id=self.org.id, student_id=pupil.id, subject_id=self.subjects[name].id,
                                 year_id=y.id, kind="year", period_id=None, slot=0, value=value, version=1,
                                 set_by_id=self.teacher_user[self._teacher(pupil, key, name, last)],
                                 set_at=datetime.combine(last.end, hhmm(16, 0))))
        self.w.add_many(PeriodMark, rows)
        self.w.flush(PeriodMark)
        self.summary.period_marks += len(rows)
        self.sums = None

    def _teacher(self, pupil, key, subject, quarter):
        """The subject's teacher of the student (of his subgroup in a split class) in a quarter."""
        teacher = self.teacher_of[(key[1], subject)]
        if isinstance(teacher, tuple):
            return teacher[pupil.subgroup.get((key[0], key[1], subject, quarter.number), 1) - 1]
        return teacher
