"""Who teaches what, the split classes' subgroups, each year's curricula, assignments, КТП and weekly entries."""
from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from models import (Curriculum, CurriculumLine, Subgroup, SubgroupMember, TeachingAssignment, ThematicPlan,
                    ThematicPlanTopic, TimetableEntry)
from services.demo.school import DemoRefused
from services.demo.large.data import (CLASS_TEACHER_SUBJECTS, LESSON_KINDS, LETTERS, SCHOOL_PART, SECTIONS,
                                      SPECIALITIES, SPECIALITY_OF, SPLIT, SPLIT_FROM)
from services.demo.large.movement import _stays_in


class PlanningSteps:
    """Who teaches what, subgroups, curricula, assignments, КТП and weekly entries (a step of _School)."""

    def _allocate(self):
        """Who teaches what. Grades 1–4: the class teacher his class's main subjects. The rest by
        speciality: the speciality's teachers (as many as its hours ask for) each take a run of
        neighbouring classes with a balanced load; a split subject is taught by pairs of teachers (one
        per subgroup) who teach only split classes, so a pair is one teacher to the timetable."""
        self.class_keys = [(g, LETTERS[i]) for g, count in self.scale.layout for i in range(count)]
        self.hours = {g: dict(rows) for g, rows in self.plan.items()}
        pool = list(range(len(self.teachers)))
        self.teacher_of = {}  # (class key, subject) -> teacher index, or (index, index) for the subgroups
        self.class_teacher = {}
        for key in self.class_keys:
            if key[0] <= 4:
                t = self.class_teacher[key] = pool.pop(0)
                for subject, _h in self.plan[key[0]]:
                    if subject in CLASS_TEACHER_SUBJECTS:
                        self.teacher_of[(key, subject)] = t
        bundles = defaultdict(list)  # speciality -> [(class key, subjects, hours)]
        for key in self.class_keys:
            by = defaultdict(list)
            for subject, h in self.plan[key[0]]:
                if (key, subject) not in self.teacher_of:
                    split = subject in SPLIT and key[0] >= SPLIT_FROM
                    by[(SPECIALITY_OF[subject], split)].append((subject, h))
            for spec, items in by.items():
                bundles[spec].append((key, [s for s, _ in items], sum(h for _, h in items)))
        size = {spec: 2 if spec[1] else 1 for spec in bundles}  # teachers per unit
        hours = {spec: sum(b[2] for b in items) for spec, items in bundles.items()}
        units = {spec: 1 for spec in bundles}
        spare = len(pool) - sum(size.values())
        if spare < 0:
            raise DemoRefused(f"Учителей слишком мало: нужно не меньше {len(self.teachers) - spare}.")
        while spare > 0:  # the next teacher goes where a unit has the most lessons a week
            fits = [s for s in bundles if size[s] <= spare]
            if not fits:
                break
            spec = max(sorted(fits), key=lambda s: hours[s] / units[s])
            units[spec] += 1
            spare -= size[spec]
        self.pairs, self.speciality = [], {}
        order = [name for name, _ in SPECIALITIES]
        for spec in sorted(bundles, key=lambda s: (order.index(s[0]), s[1])):
            items = sorted(bundles[spec])
            people = [pool.pop(0) for _ in range(units[spec] * size[spec])]
            teams = [tuple(people[2 * u:2 * u + 2]) for u in range(units[spec])] if spec[1] else people
            if spec[1]:
                self.pairs.extend(teams)
            target, unit, load = hours[spec] / units[spec], 0, 0
            for key, subjects, h in items:
                if load and load + h / 2 > target and unit < units[spec] - 1:
                    unit, load = unit + 1, 0
                for subject in subjects:
                    self.teacher_of[(key, subject)] = teams[unit]
                load += h
            for person in people:
                self.speciality[person] = spec[0]
        # Class teachers of grades 5–11: the class's own teacher with most lessons there, one class each.
        taken = set(self.class_teacher.values())
        for key in self.class_keys:
            if key in self.class_teacher:
                continue
            mine = Counter()
            for subject, h in self.plan[key[0]]:
                t = self.teacher_of[(key, subject)]
                if not isinstance(t, tuple):
                    mine[t] += h
            ranked = [t for t, _ in sorted(mine.items(), key=lambda x: (-x[1], x[0]))]
            choice = next((t for t in ranked + list(range(len(self.teachers))) if t not in taken), None)
            if choice is None:
                raise DemoRefused("Учителей меньше, чем классов: классных руководителей не хватает.")
            self.class_teacher[key] = choice
            taken.add(choice)

    def _split(self, y):
        """Split classes: in the first quarter the students alternate between the two subgroups by name;
        one who arrives later joins the smaller one."""
        for key in self.class_keys:
            subjects = [s for s, _ in self.plan[key[0]] if s in SPLIT and key[0] >= SPLIT_FROM]
            ordered = sorted(self.members[(y.start, key)], key=lambda p: (p.card["last_name"], p.card["first_name"],
                                                                        p.id))
            for subject in subjects:
                for quarter in y.periods:
                    present = [p for p in ordered if _stays_in(p, (y.start, key), quarter.start, quarter.end)]
                    sizes = Counter(p.subgroup[(y.start, key, subject)] for p in present
                                    if (y.start, key, subject) in p.subgroup)
                    for i, p in enumerate(present):
                        if (y.start, key, subject) not in p.subgroup:
                            group = 1 + i % 2 if quarter is y.periods[0] else (1 if sizes[1] <= sizes[2] else 2)
                            p.subgroup[(y.start, key, subject)] = group
                            sizes[group] += 1
                        p.subgroup[(y.start, key, subject, quarter.number)] = p.subgroup[(y.start, key, subject)]

    def _planning(self, y):
        org = self.org.id
        for grade in sorted(self.plan):
            cid = self.w.ids(Curriculum)
            self.w.add(Curriculum, dict(id=cid, org_id=org, year_id=y.id, grade=grade, profile=None, specialty_id=None,
                                        max_hours=None, weeks=33 if grade == 1 else 34, note=None))
            for order, (subject, hours) in enumerate(self.plan[grade]):
                self.w.add(CurriculumLine, dict(
                    id=self.w.ids(CurriculumLine), org_id=org, curriculum_id=cid, subject_id=self.subjects[subject].id,
                    component="school" if subject in SCHOOL_PART else "federal", hours_per_week=Decimal(hours),
                    period1_hours=None, period2_hours=None, sort_order=order))
        rnd = self._rnd("ktp", y.start)
        self.assignments = {}  # (class key, subject, subgroup 0/1/2) -> assignment
        plans, subgroups, members = {}, {}, []
        for key in self.class_keys:
            class_id = self.class_id[(y.start, key)]
            weeks = 33 if key[0] == 1 else 34
            for subject, hours in self.plan[key[0]]:
                teacher = self.teacher_of[(key, subject)]
                sid = self.subjects[subject].id
                for group, t in (enumerate(teacher, start=1) if isinstance(teacher, tuple) else [(0, teacher)]):
                    subgroup_id = None
                    if group:
                        subgroup_id = subgroups[(key, subject, group)] = self.w.ids(Subgroup)
                        self.w.add(Subgroup, dict(id=subgroup_id, org_id=org, year_id=y.id, class_id=class_id,
                                                  subject_id=sid, name=f"{group} группа"))
                    if (t, subject, key[0]) not in plans:
                        plans[(t, subject, key[0])] = self._ktp(y, t, subject, key[0], hours * weeks, rnd)
                    plan_id, topics = plans[(t, subject, key[0])]
                    aid = self.w.ids(TeachingAssignment)
                    self.assignments[(key, subject, group)] = SimpleNamespace(
                        id=aid, key=key, subject=subject, group=group, subgroup_id=subgroup_id, teacher=t,
                        class_id=class_id, topics=topics)
                    self.w.add(TeachingAssignment, dict(
                        id=aid, org_id=org, year_id=y.id, teacher_id=self.teachers[t]["id"], subject_id=sid,
                        class_id=class_id, subgroup_id=subgroup_id, hours_per_week=Decimal(hours),
                        hours_total=Decimal(hours * weeks), thematic_plan_id=plan_id))
                if isinstance(teacher, tuple):
                    for pupil in self.members[(y.start, key)]:
                        for quarter in y.periods:
                            group = pupil.subgroup.get((y.start, key, subject, quarter.number))
                            if group:
                                members.append(dict(subgroup_id=subgroups[(key, subject, group)], student_id=pupil.id,
                                                    period_id=quarter.id, subject_id=sid))
        self.w.flush(Curriculum, CurriculumLine, ThematicPlan, ThematicPlanTopic, Subgroup, TeachingAssignment)
        self.w.add_many(SubgroupMember, members)
        for key in self.class_keys:
            for subject, day, number in self.week[key]:
                teacher = self.teacher_of[(key, subject)]
                for group in ((1, 2) if isinstance(teacher, tuple) else (0,)):
                    a = self.assignments[(key, subject, group)]
                    room = self.group_rooms[self.group_room_no[(key, subject, day, number)] - 1] if group == 2 \
                        else self.home_room[key]
                    self.w.add(TimetableEntry, dict(
                        id=self.w.ids(TimetableEntry), org_id=org, year_id=y.id, class_id=a.class_id,
                        assignment_id=a.id, teacher_id=self.teachers[a.teacher]["id"],
                        subgroup_key=a.subgroup_id or 0, weekday=day, shift=1, number=number, room_id=room))
        self.w.flush(SubgroupMember, TimetableEntry)

    def _ktp(self, y, t, subject, grade, total, rnd):
        """A КТП of `total` hours: the subject's sections, topics of one or two lessons, a control work
        closing each section; returns (id, [(topic, homework)] lesson by lesson)."""
        pid = self.w.ids(ThematicPlan)
        self.w.add(ThematicPlan, dict(id=pid, org_id=self.org.id, year_id=y.id, teacher_id=self.teachers[t]["id"],
                                      subject_id=self.subjects[subject].id, grade=grade,
                                      name=f"{subject}, {grade} класс", note=None,
                                      updated_at=datetime(y.start, 8, 30, 12, 0)))
        sections = SECTIONS.get(subject) or ["Введение", "Основные понятия", "Практикум", "Обобщение"]
        sections = sections[:max(1, total // 6)]
        lessons, position, left = [], 0, total
        for s, section in enumerate(sections):
            here = left if s == len(sections) - 1 else total // len(sections)
            left -= here
            k = 0
            while here > 0:
                position += 1
                if here == 1 and total >= 12:
                    title, hours, homework = f"{section}: контрольная работа", 1, None
                else:
                    hours = min(here - (1 if total >= 12 else 0), rnd.choice((1, 2)))
                    title = f"{section}: {LESSON_KINDS[k % len(LESSON_KINDS)]}"
                    homework = f"§ {position}, упр. {rnd.randint(1, 30)}–{rnd.randint(31, 60)}"
                self.w.add(ThematicPlanTopic, dict(id=self.w.ids(ThematicPlanTopic), org_id=self.org.id,
                                                   plan_id=pid, position=position, section=section, title=title,
                                                   hours=hours, homework=homework))
                lessons.extend([(title, homework)] * hours)
                here -= hours
                k += 1
        return pid, lessons
