"""Timetable part of the demo institution: bells, a week without clashes built from the teaching
assignments the planning step made, a replacement and a cancellation this week, and the lessons
of the current period."""
from collections import defaultdict
from datetime import time, timedelta
from decimal import Decimal

from sqlalchemy import select

from models import (Bell, Curriculum, CurriculumLine, Period, Room, Subject, TeachingAssignment, TimetableChange,
                    TimetableEntry, db)
from services.context import Actor
from services.timetable.lessons import generate_lessons

SCHOOL_BELLS = [(8, 30, 9, 15), (9, 25, 10, 10), (10, 30, 11, 15), (11, 35, 12, 20), (12, 30, 13, 15),
                (13, 25, 14, 10), (14, 20, 15, 5)]
COLLEGE_BELLS = [(8, 30, 10, 0), (10, 10, 11, 40), (12, 10, 13, 40), (13, 50, 15, 20), (15, 30, 17, 0)]
GYM = "Спортзал"
EXTRA_ROOMS = ("204", "301")
WEEKS_IN_SEMESTER = 17


def create_timetable_demo(org, year, classes, today, college=False):
    bells = COLLEGE_BELLS if college else SCHOOL_BELLS
    db.session.add_all(Bell(org_id=org.id, shift=1, number=n, starts_at=time(h1, m1), ends_at=time(h2, m2))
                       for n, (h1, m1, h2, m2) in enumerate(bells, start=1))
    assignments = db.session.scalars(select(TeachingAssignment).where(
        TeachingAssignment.org_id == org.id, TeachingAssignment.year_id == year.id)
        .order_by(TeachingAssignment.class_id, TeachingAssignment.subject_id, TeachingAssignment.id)).all()
    if not assignments:
        db.session.flush()
        return 0
    for name in EXTRA_ROOMS:
        db.session.add(Room(org_id=org.id, name=name, capacity=15, note="для занятий в подгруппах"))
    db.session.flush()
    rooms = dict(db.session.execute(select(Room.name, Room.id).where(Room.org_id == org.id)).all())
    periods = db.session.scalars(select(Period).where(Period.year_id == year.id).order_by(Period.start_date)).all()
    period = next((p for p in periods if p.start_date <= today <= p.end_date), None) or \
        next((p for p in periods if p.start_date > today), None) or (periods[-1] if periods else None)
    hours = _weekly_hours(org, year, classes, college, period)
    subjects = dict(db.session.execute(select(Subject.id, Subject.name).where(Subject.org_id == org.id)).all())

    placed = _place(classes, assignments, hours, subjects, rooms, len(bells))
    db.session.add_all(TimetableEntry(org_id=org.id, year_id=year.id, class_id=a.class_id, assignment_id=a.id,
                                      weekday=day, shift=1, number=number, room_id=room)
                       for a, day, number, room in placed)
    db.session.flush()
    if period is None or period.is_closed:
        return len(placed)
    _demo_changes(org, year, placed, today, period)
    actor = Actor.system_actor(org)
    generate_lessons(actor, period.id)
    return len(placed)


def _weekly_hours(org, year, classes, college, period):
    """{(class_id, subject_id): lessons a week} from the curriculum of each class's grade level."""
    lines = db.session.execute(
        select(Curriculum.grade, Curriculum.specialty_id, CurriculumLine.subject_id, CurriculumLine.hours_per_week,
               CurriculumLine.period1_hours, CurriculumLine.period2_hours)
        .join(Curriculum, Curriculum.id == CurriculumLine.curriculum_id)
        .where(Curriculum.org_id == org.id, Curriculum.year_id == year.id)).all()
    semester = period.number if period is not None else 1
    hours = defaultdict(Decimal)
    for klass in classes:
        for line in lines:
            if line.grade != klass.grade or (college and line.specialty_id != klass.specialty_id):
                continue
            if college:
                total = (line.period1_hours if semester == 1 else line.period2_hours) or 0
                per_week = round(Decimal(total) / WEEKS_IN_SEMESTER / 2)  # a pair is two academic hours
                if total and not per_week:
                    per_week = 1
            else:
                per_week = line.hours_per_week or 0
            hours[(klass.id, line.subject_id)] += Decimal(per_week)
    return {key: int(value) for key, value in hours.items()}


def _place(classes, assignments, hours, subjects, rooms, lessons_a_day):
    """The best of a few fillings of the week: everything placed, the fewest «окна»."""
    def score(placed):
        numbers = defaultdict(set)
        for a, day, number, _room in placed:
            numbers[(a.class_id, day)].add(number)
        return -len(placed), sum(max(n) - len(n) for n in numbers.values())

    tries = (_compact(_fill(classes, assignments, hours, subjects, rooms, lessons_a_day, seed))
             for seed in range(12))
    return min(tries, key=score)


def _compact(placed):
    """Close «окна»: a class's later lesson of a day moves into an earlier free lesson of that day
    when its teachers and rooms are free then (parallel subgroups move together)."""
    rows = [list(p) for p in placed]
    moved = True
    while moved:
        moved = False
        taken = {(kind, key, d, n) for a, d, n, r in rows
                 for kind, key in (("class", a.class_id), ("teacher", a.teacher_id), ("room", r)) if key}
        by_day = defaultdict(list)
        for row in rows:
            by_day[(row[0].class_id, row[1])].append(row)
        for (class_id, day), day_rows in by_day.items():
            numbers = sorted({row[2] for row in day_rows})
            hole = next((n for n in range(1, numbers[-1]) if n not in numbers), None)
            if hole is None:
                continue
            for number in reversed(numbers):
                if number < hole:
                    break
                block = [row for row in day_rows if row[2] == number]
                if all(("teacher", row[0].teacher_id, day, hole) not in taken
                       and (row[3] is None or ("room", row[3], day, hole) not in taken) for row in block):
                    for row in block:
                        row[2] = hole
                    moved = True
                    break
            if moved:
                break
    return [tuple(row) for row in rows]


def _fill(classes, assignments, hours, subjects, rooms, lessons_a_day, seed):
    """Fill the week lesson by lesson, every class at once, so a class's day has no «окна»;
    never a teacher, a room or a class twice at one time."""
    by_class = defaultdict(lambda: defaultdict(list))
    for a in assignments:
        by_class[a.class_id][a.subject_id].append(a)
    home = [rooms[n] for n in sorted(rooms) if n[0].isdigit() and n not in EXTRA_ROOMS]
    spare = [rooms[n] for n in EXTRA_ROOMS if n in rooms]
    gym = rooms.get(GYM)
    left, quota, home_of, last = {}, {}, {}, {}
    for index, klass in enumerate(classes):
        units = {sid: [group, hours.get((klass.id, sid), 2)] for sid, group in by_class[klass.id].items()}
        left[klass.id] = {sid: u for sid, u in units.items() if u[1] > 0}
        total = sum(u[1] for u in left[klass.id].values())
        quota[klass.id] = [total // 5 + (1 if d < total % 5 else 0) for d in range(5)]
        home_of[klass.id] = home[index % len(home)] if home else None
        last[klass.id] = min(lessons_a_day, 4 if klass.grade == 1 and len(classes) > 4 else lessons_a_day)
    busy, placed = set(), []
    today_subjects = defaultdict(set)

    def rooms_for(klass_id, group, subject_id, day, number):
        wanted = [gym] if gym and subjects.get(subject_id) == "Физическая культура" else [home_of[klass_id]] + spare
        free = [r for r in wanted if r is None or ("room", r, day, number) not in busy]
        return free[:len(group)] if len(free) >= len(group) else None

    def put(klass_id, subject_id, day, number, chosen):
        group = left[klass_id][subject_id][0]
        left[klass_id][subject_id][1] -= 1
        busy.add(("class", klass_id, day, number))
        today_subjects[(klass_id, day)].add(subject_id)
        for a, room in zip(group, chosen):
            busy.add(("teacher", a.teacher_id, day, number))
            if room:
                busy.add(("room", room, day, number))
            placed.append((a, day, number, room))

    for day in range(1, 6):
        done = defaultdict(int)
        for number in range(1, lessons_a_day + 1):
            turn = (number * (seed + 1) + day * seed) % len(classes)
            order = classes[turn:] + classes[:turn]
            for klass in order:
                if number > last[klass.id] or done[klass.id] >= quota[klass.id][day - 1]:
                    continue
                options = sorted(((u[1], sid) for sid, u in left[klass.id].items() if u[1] > 0),
                                 key=lambda o: (o[1] in today_subjects[(klass.id, day)], -o[0]))
                for _count, sid in options:
                    group = left[klass.id][sid][0]
                    if any(("teacher", a.teacher_id, day, number) in busy for a in group):
                        continue
                    chosen = rooms_for(klass.id, group, sid, day, number)
                    if chosen is not None:
                        put(klass.id, sid, day, number, chosen)
                        done[klass.id] += 1
                        break
    # What did not fit in a row goes to any free slot.
    for klass in classes:
        for sid, unit in left[klass.id].items():
            while unit[1] > 0:
                slot = next(((d, n) for d in range(1, 6) for n in range(1, last[klass.id] + 1)
                             if ("class", klass.id, d, n) not in busy
                             and not any(("teacher", a.teacher_id, d, n) in busy for a in unit[0])
                             and rooms_for(klass.id, unit[0], sid, d, n) is not None), None)
                if slot is None:
                    break
                put(klass.id, sid, *slot, rooms_for(klass.id, unit[0], sid, *slot))
    return placed


def _demo_changes(org, year, placed, today, period):
    """A replacement (the teacher is ill) and a cancelled lesson on the next school day."""
    day = max(today, period.start_date) + timedelta(days=1)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    if day > period.end_date:
        return
    todays = [(a, n, r) for a, d, n, r in placed if d == day.isoweekday() and a.subgroup_id is None]
    if len(todays) < 2:
        return
    teachers = {a.teacher_id for a, _d, _n, _r in placed}
    (first, number, _), (second, number2, _) = todays[0], todays[-1]
    busy = {a.teacher_id for a, d, n, _r in placed if d == day.isoweekday() and n == number}
    substitute = next((t for t in sorted(teachers) if t not in busy), None)
    if substitute is not None:
        db.session.add(TimetableChange(org_id=org.id, year_id=year.id, date=day, kind="replace",
                                       class_id=first.class_id, number=number, scheduled_assignment_id=first.id,
                                       teacher_id=substitute,
                                       reason="Болезнь преподавателя" if org.is_college else "Болезнь учителя"))
    if (second.class_id, number2) != (first.class_id, number):
        db.session.add(TimetableChange(org_id=org.id, year_id=year.id, date=day, kind="cancel",
                                       class_id=second.class_id, number=number2,
                                       scheduled_assignment_id=second.id, reason="Экскурсия"))
    db.session.flush()
