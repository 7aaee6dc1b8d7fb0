"""Builders of test data through the domain services (rules run on every flush)."""
from datetime import date, datetime, timedelta
from datetime import date as d
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import func, select

from models import (AcademicYear, Attendance, AttendanceCode, Bell, Curriculum, CurriculumLine, Holiday, Lesson, Mark,
                    MarkFlag, Organization, Parent, ParentRelation, Period, PeriodMark, Role, Room, SchoolClass, Staff,
                    Student, Subgroup, SubgroupMember, Subject, Task, TaskType, TeachingAssignment, ThematicPlan,
                    ThematicPlanTopic, User, db)
from models import Municipality, Region, RegionStaff
from services.context import Actor
from services.movement import orders as movement
from services.movement.backfill import backfill_memberships
from services.org import orgs
from services.people import accounts
from services.validation import snils_with_checksum

PASSWORD = "test-pass-123"
_counter = {"snils": 100_000_000, "file": 0}


def next_snils():
    _counter["snils"] += 7
    return snils_with_checksum(f"{_counter['snils']:09d}")


def account(card, login):
    user, _ = accounts.new_user(login, card.full_name, PASSWORD, must_change=False)
    card.user = user
    return user


def make_org(prefix, kind="school", start_year=2026):
    org = orgs.create_organization(kind=kind, full_name=f"Организация {prefix.upper()}",
                                   short_name=f"Орг {prefix.upper()}")
    year = AcademicYear(org_id=org.id, name=f"{start_year}/{start_year + 1}",
                        start_date=date(start_year, 9, 1), end_date=date(start_year + 1, 6, 30))
    db.session.add(year)
    db.session.flush()
    period = Period(org_id=org.id, year_id=year.id, type="quarter", number=2, name="2 четверть",
                    start_date=date(start_year, 11, 5), end_date=date(start_year, 12, 28))
    db.session.add(period)
    return org, year, period


def make_staff(org, last, first, roles=(), login=None, sex="m"):
    card = Staff(org_id=org.id, last_name=last, first_name=first, middle_name="Петрович" if sex == "m" else "Петровна",
                 sex=sex, hire_date=date(2020, 8, 25))
    card.role_codes = list(roles)
    db.session.add(card)
    if login:
        account(card, login)
    db.session.flush()
    return card


def make_class(org, year, name, grade, teacher=None):
    klass = SchoolClass(org_id=org.id, year_id=year.id, name=name, grade=grade,
                        class_teacher_id=teacher.id if teacher else None)
    db.session.add(klass)
    db.session.flush()
    return klass


def make_student(org, klass, last, first, login=None, birth=date(2015, 3, 1), **extra):
    _counter["file"] += 1
    card = Student(org_id=org.id, class_id=klass.id, last_name=last, first_name=first,
                   middle_name="Иванович", sex="m", birth_date=birth, snils=next_snils(),
                   personal_file_number=f"Л-{_counter['file']}", enrollment_order_number="12-у",
                   enrollment_order_date=date(2026, 8, 28), **extra)
    db.session.add(card)
    if login:
        account(card, login)
    db.session.flush()
    return card


# A card complete for the federal contingent register (services/people/contingent.py `gaps` finds nothing new).
CONTINGENT_COMPLETE = {"citizenship": "rf", "birth_place": "г. Барнаул",
                       "registration_address": "г. Барнаул, ул. Мира, 1", "health_group": "II",
                       "disability": "no", "ovz": "no", "study_form": "full_time",
                       "funding": "municipal", "previous_doc_kind": "personal_file"}


def fill_contingent(card):
    for name, value in CONTINGENT_COMPLETE.items():
        setattr(card, name, value)
    return card


def make_parent(org, children, last, first, login=None):
    card = Parent(org_id=org.id, last_name=last, first_name=first, middle_name="Ивановна",
                  relation=ParentRelation.MOTHER.value)
    card.children = list(children)
    db.session.add(card)
    if login:
        account(card, login)
    db.session.flush()
    return card


def build_org(prefix, kind="school"):
    """One organization with a person in every role; logins are '<prefix>.<role>'."""
    org, year, period = make_org(prefix, kind)
    ns = SimpleNamespace(org=org, year=year, period=period, prefix=prefix)
    ns.admin = make_staff(org, "Админов", "Антон", [Role.ADMIN.value], f"{prefix}.admin")
    ns.hr = make_staff(org, "Кадрова", "Анна", [Role.HR.value], f"{prefix}.hr", sex="f")
    ns.deputy = make_staff(org, "Завучева", "Вера", [Role.DEPUTY.value, Role.TEACHER.value], f"{prefix}.deputy",
                           sex="f")
    ns.director = make_staff(org, "Директоров", "Дмитрий", [Role.DIRECTOR.value], f"{prefix}.director")
    ns.teacher = make_staff(org, "Учителев", "Тимур", [Role.TEACHER.value], f"{prefix}.teacher")
    ns.class_teacher = make_staff(org, "Классова", "Клара", [Role.TEACHER.value], f"{prefix}.class_teacher", sex="f")
    ns.klass = make_class(org, year, "5А", 5, ns.class_teacher)
    ns.other_class = make_class(org, year, "6Б", 6, ns.teacher if False else None)
    ns.student = make_student(org, ns.klass, "Учеников", "Пётр", f"{prefix}.student")
    ns.classmate = make_student(org, ns.klass, "Соседов", "Семён")
    ns.stranger = make_student(org, ns.other_class, "Чужов", "Игорь", birth=date(2014, 5, 5))
    ns.parent = make_parent(org, [ns.student], "Ученикова", "Мария", f"{prefix}.parent")
    ns.stranger_parent = make_parent(org, [ns.stranger], "Чужова", "Ольга")
    ns.logins = {role: f"{prefix}.{role}" for role in
                 ("admin", "hr", "deputy", "director", "teacher", "class_teacher", "student", "parent")}
    return ns


def build_world(region=True):
    """Two organizations with a person in every role, and (`region`) the region both belong to; a test on a
    schema released before the region's tables (0024_region) builds it without."""
    root, _ = accounts.new_user("root", "Администратор установки", PASSWORD, must_change=False,
                                superadmin=True)
    a = build_org("a")
    b = build_org("b")
    region = make_region(a.org, b.org) if region else None
    db.session.commit()
    return SimpleNamespace(a=a, b=b, root="root", region=region)


def make_region(org_a, org_b):
    """The world's region: municipality «Первый район» with A, «Второй район» with B, and the municipal
    specialist of the first (login "mun.a", the page matrix's regional user)."""
    region = Region(name="Тестовый край")
    first, second = Municipality(region=region, name="Первый район"), Municipality(region=region, name="Второй район")
    db.session.add_all([region, first, second])
    db.session.flush()
    org_a.municipality_id, org_b.municipality_id = first.id, second.id
    user, _ = accounts.new_user("mun.a", "Районов Роман Романович", PASSWORD, must_change=False)
    db.session.add(RegionStaff(user=user, region=region, municipality=first, full_name="Районов Роман Романович",
                               position="Главный специалист"))
    db.session.flush()
    return SimpleNamespace(region=region, first=first, second=second, login="mun.a")


# -- timetable helpers (subjects, rooms, assignments, bells made directly for timetable tests) --

def tt_subject(org, name):
    subject = Subject(org_id=org.id, name=name)
    db.session.add(subject)
    db.session.flush()
    return subject


def tt_room(org, name):
    room = Room(org_id=org.id, name=name)
    db.session.add(room)
    db.session.flush()
    return room


def tt_subgroup(org, year, klass, subject, name):
    subgroup = Subgroup(org_id=org.id, year_id=year.id, class_id=klass.id, subject_id=subject.id, name=name)
    db.session.add(subgroup)
    db.session.flush()
    return subgroup


def tt_assignment(org, year, klass, teacher, subject, subgroup=None, hours=None):
    assignment = TeachingAssignment(org_id=org.id, year_id=year.id, class_id=klass.id, teacher_id=teacher.id,
                                    subject_id=subject.id, subgroup_id=subgroup.id if subgroup else None,
                                    hours_per_week=hours)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def tt_bells(org, shift=1, count=7, year=None, first=(8, 30), minutes=40, pause=10):
    """A bell schedule: `count` lessons of `minutes` from `first`, `pause` minutes apart."""

    start = datetime(2000, 1, 1, *first)
    bells = []
    for number in range(1, count + 1):
        end = start + timedelta(minutes=minutes)
        bells.append(Bell(org_id=org.id, year_id=year.id if year else None, shift=shift, number=number,
                          starts_at=start.time(), ends_at=end.time()))
        start = end + timedelta(minutes=pause)
    db.session.add_all(bells)
    db.session.flush()
    return bells


# -- planning helpers (subjects, curricula, assignments, КТП through the models' rules) --

def actor_of(login):
    """The Actor a login gets in its first organization, as a request would build it."""

    return Actor.for_user(db.session.scalar(select(User).where(User.login == login)))


def pl_subject(org, name, **extra):
    subject = Subject(org_id=org.id, name=name, **extra)
    db.session.add(subject)
    db.session.flush()
    return subject


def pl_curriculum(org, year, grade, lines=(), max_hours=None, profile=None, weeks=34):
    """A curriculum with lines [(subject, hours per week[, component])] (school) made as the system."""

    curriculum = Curriculum(org_id=org.id, year_id=year.id, grade=grade, profile=profile, weeks=weeks,
                            max_hours=Decimal(max_hours) if max_hours is not None else None)
    for subject, hours, *component in lines:
        curriculum.lines.append(CurriculumLine(org_id=org.id, subject_id=subject.id,
                                               component=component[0] if component else "federal",
                                               hours_per_week=Decimal(hours)))
    db.session.add(curriculum)
    db.session.flush()
    return curriculum


def pl_assignment(org, klass, subject, teacher, subgroup=None, hours=None, plan=None):
    assignment = TeachingAssignment(org_id=org.id, year_id=klass.year_id, class_id=klass.id,
                                    subject_id=subject.id, teacher_id=teacher.id,
                                    subgroup_id=subgroup.id if subgroup else None, hours_per_week=hours,
                                    thematic_plan_id=plan.id if plan else None)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def pl_plan(org, year, teacher, subject, grade, name="КТП", topics=()):
    """A КТП with topics [(title, hours)]."""
    plan = ThematicPlan(org_id=org.id, year_id=year.id, teacher_id=teacher.id, subject_id=subject.id,
                        grade=grade, name=name)
    for position, (title, hours) in enumerate(topics, start=1):
        plan.topics.append(ThematicPlanTopic(org_id=org.id, position=position, title=title, hours=hours))
    db.session.add(plan)
    db.session.flush()
    return plan


# -- journal helpers (grid and diary tests): subjects, assignments, lessons, tasks, marks --------

def jr_subject(org, name, grading="marks"):
    subject = Subject(org_id=org.id, name=name, grading=grading)
    db.session.add(subject)
    db.session.flush()
    return subject


def jr_assignment(org, year, klass, teacher, subject, subgroup=None):
    assignment = TeachingAssignment(org_id=org.id, year_id=year.id, class_id=klass.id, teacher_id=teacher.id,
                                    subject_id=subject.id, subgroup_id=subgroup.id if subgroup else None)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def jr_lessons(assignment, period, days, number=2, **extra):
    """Lessons of an assignment on the given dates (as the timetable would generate them)."""
    lessons = [Lesson(org_id=assignment.org_id, assignment_id=assignment.id, period_id=period.id, date=day,
                      number=number, teacher_id=assignment.teacher_id, **extra) for day in days]
    db.session.add_all(lessons)
    db.session.flush()
    return lessons


def jr_task_type(org_id, name="Ответ на уроке"):
    """A task type seeded with the organization (services/journal/dictionaries.py)."""

    return db.session.scalar(select(TaskType).where(TaskType.org_id == org_id, TaskType.name == name))


def jr_task(lesson, type_name="Ответ на уроке", weight=None, mandatory=None, topic=None):
    kind = jr_task_type(lesson.org_id, type_name)
    position = (db.session.scalar(select(func.max(Task.position)).where(Task.lesson_id == lesson.id)) or 0) + 1
    task = Task(org_id=lesson.org_id, lesson_id=lesson.id, type_id=kind.id,
                weight=weight if weight is not None else kind.default_weight,
                is_mandatory=kind.default_mandatory if mandatory is None else mandatory, topic=topic,
                position=position)
    db.session.add(task)
    db.session.flush()
    return task


def jr_mark(task, student, value, comment=None):
    mark = Mark(org_id=task.org_id, task_id=task.id, student_id=student.id, value=value, comment=comment)
    db.session.add(mark)
    db.session.flush()
    return mark


def jr_attendance(lesson, student, code="н"):
    code_row = db.session.scalar(select(AttendanceCode).where(AttendanceCode.org_id == lesson.org_id,
                                                              AttendanceCode.code == code))
    row = Attendance(org_id=lesson.org_id, lesson_id=lesson.id, student_id=student.id, code_id=code_row.id)
    lesson.attendance_taken = True  # a roll call recorded the absence
    db.session.add(row)
    db.session.flush()
    return row


def jr_flag(mark, user_id, comment="Отметка ошибочна"):
    """An open «отметка ошибочна» of a mark by a user (services/journal/flags.py makes them with the rules)."""
    task = db.session.get(Task, mark.task_id)
    lesson = db.session.get(Lesson, task.lesson_id)
    flag = MarkFlag(org_id=mark.org_id, mark_id=mark.id, student_id=mark.student_id, lesson_id=lesson.id,
                    assignment_id=lesson.assignment_id, mark_value=mark.value, mark_version=mark.version or 1,
                    flagged_by_id=user_id, comment=comment, status="open")
    db.session.add(flag)
    db.session.flush()
    return flag


def jr_period_mark(student, subject, period, value):
    mark = PeriodMark(org_id=student.org_id, student_id=student.id, subject_id=subject.id, year_id=period.year_id,
                      kind="period", period_id=period.id, slot=period.id, value=value)
    db.session.add(mark)
    db.session.flush()
    return mark


# -- movement book helpers (orders through services/movement/orders.py, as the operator at the console) ------

def mv_actor(org):
    return Actor.system_actor(org)


def mv_backfill(org):
    """The class history of students made without it (idempotent; cards made now open it themselves)."""
    result = backfill_memberships(org.id)
    db.session.commit()  # as the command would (services/uow.py)
    return result


def mv_order(org, kind, day, items=(), number=None, effective=None, target_year=None, apply=True, note=None):
    """An order with items [(student, to_class[, reason, destination])], applied unless apply=False."""
    actor = mv_actor(org)
    order = movement.create_order(actor, kind, number or movement.suggest_number(org.id, day), day,
                                  effective_date=effective, note=note,
                                  target_year_id=target_year.id if target_year else None)
    if items:
        movement.add_items(actor, order.id, [
            movement.ItemInput(student_id=s.id, to_class_id=c.id if c is not None else None,
                               reason=rest[0] if rest else None, destination=rest[1] if len(rest) > 1 else None)
            for s, c, *rest in items])
    if apply:
        movement.apply_order(actor, order.id)
    db.session.commit()  # as the order's request would (services only flush: services/uow.py)
    return order


def mv_transfer(student, to_class, day, **kw):
    return mv_order(db.session.get(Organization, student.org_id), "transfer", day, [(student, to_class)], **kw)


def mv_withdraw(student, day, reason="other_school", destination="МБОУ «СОШ № 1», г. Тест", **kw):
    """Выбытие: the student leaves (status withdrawn, his class kept as the one he left from)."""
    return mv_order(db.session.get(Organization, student.org_id), "withdrawal", day,
                    [(student, None, reason, destination)], **kw)


# -- rollover and control helpers: a small school with a whole year to close ----------------------

# The reason a test gives for closing a year before its end (the tests' today is 20.11.2026): with the year's
# name typed, services/rollover/year.close_year closes it and writes the reason to the audit.
EARLY_REASON = "Закрытие года до его окончания для проверки"


def ro_school(ns):
    """The world's organization `ns` (2026/2027, 5А and 6Б) made a small school with a year to close:
    four quarters, three holidays, an 11th grade, subjects, curricula of grades 5, 6 and 11 (ОДНКНР only
    in the 5th), assignments (5А English split between two teachers), some period marks."""

    org, year = ns.org, ns.year
    for number, name, start, end in ((1, "1 четверть", d(2026, 9, 1), d(2026, 10, 25)),
                                     (3, "3 четверть", d(2027, 1, 12), d(2027, 3, 21)),
                                     (4, "4 четверть", d(2027, 4, 1), d(2027, 6, 30))):
        db.session.add(Period(org_id=org.id, year_id=year.id, type="quarter", number=number, name=name,
                              start_date=start, end_date=end))
    for name, start, end in (("Осенние каникулы", d(2026, 10, 26), d(2026, 11, 4)),
                             ("Зимние каникулы", d(2026, 12, 29), d(2027, 1, 11)),
                             ("Весенние каникулы", d(2027, 3, 22), d(2027, 3, 31))):
        db.session.add(Holiday(org_id=org.id, year_id=year.id, name=name, start_date=start, end_date=end))
    db.session.flush()
    ns.senior = make_class(org, year, "11А", 11, ns.teacher)
    ns.graduate = make_student(org, ns.senior, "Выпускников", "Глеб", birth=d(2009, 2, 2), passport_series="4510",
                               passport_number="123456", passport_date=d(2023, 3, 1), passport_issued_by="ОВД")
    ns.math, ns.russian = pl_subject(org, "Математика"), pl_subject(org, "Русский язык")
    ns.english, ns.odnknr = pl_subject(org, "Английский язык"), pl_subject(org, "ОДНКНР")
    pl_curriculum(org, year, 5, [(ns.math, 5), (ns.russian, 5), (ns.english, 3), (ns.odnknr, 1)])
    pl_curriculum(org, year, 6, [(ns.math, 5), (ns.russian, 6), (ns.english, 3)])
    pl_curriculum(org, year, 11, [(ns.math, 4)])
    group1 = Subgroup(org_id=org.id, year_id=year.id, class_id=ns.klass.id, subject_id=ns.english.id, name="1 группа")
    group2 = Subgroup(org_id=org.id, year_id=year.id, class_id=ns.klass.id, subject_id=ns.english.id, name="2 группа")
    db.session.add_all([group1, group2])
    db.session.flush()
    ns.assignments = [
        pl_assignment(org, ns.klass, ns.math, ns.teacher), pl_assignment(org, ns.klass, ns.russian, ns.deputy),
        pl_assignment(org, ns.klass, ns.english, ns.teacher, subgroup=group1),
        pl_assignment(org, ns.klass, ns.english, ns.deputy, subgroup=group2),
        pl_assignment(org, ns.klass, ns.odnknr, ns.deputy),
        pl_assignment(org, ns.other_class, ns.math, ns.teacher), pl_assignment(org, ns.senior, ns.math, ns.teacher),
    ]
    jr_period_mark(ns.student, ns.math, ns.period, "5")
    return ns


def ro_college(prefix="c"):
    """A college (logins '<prefix>.admin', '<prefix>.deputy', '<prefix>.teacher') with two semesters of
    2026/2027 and the group ТМ-21 (2nd course, three students): ОП.01 is taught in the 1st semester only,
    МДК.01.01 in both (split into two subgroups in the 1st), ОП.02 only in the 2nd (no teacher yet)."""

    org, year, _ = make_org(prefix, kind="college")
    ns = SimpleNamespace(org=org, year=year)
    ns.admin = make_staff(org, "Админов", "Антон", [Role.ADMIN.value], f"{prefix}.admin")
    ns.deputy = make_staff(org, "Завучева", "Вера", [Role.DEPUTY.value], f"{prefix}.deputy", sex="f")
    ns.teacher = make_staff(org, "Преподавателев", "Пётр", [Role.TEACHER.value], f"{prefix}.teacher")
    ns.sem1 = Period(org_id=org.id, year_id=year.id, type="semester", number=1, name="1 семестр",
                     start_date=d(2026, 9, 1), end_date=d(2026, 12, 28))
    ns.sem2 = Period(org_id=org.id, year_id=year.id, type="semester", number=2, name="2 семестр",
                     start_date=d(2027, 1, 11), end_date=d(2027, 6, 30))
    db.session.add_all([ns.sem1, ns.sem2])
    ns.group = make_class(org, year, "ТМ-21", 2, ns.teacher)
    ns.students = [make_student(org, ns.group, last, "Студент", birth=d(2008, 1, 1), passport_series="4510",
                                passport_number=f"10000{n}", passport_date=d(2022, 2, 2), passport_issued_by="ОВД")
                   for n, last in enumerate(("Аксёнов", "Борисов", "Волков"))]
    ns.graphics = pl_subject(org, "Инженерная графика", code="ОП.01", kind="discipline")
    ns.mdk = pl_subject(org, "Технологические процессы", code="МДК.01.01", kind="mdk")
    ns.materials = pl_subject(org, "Материаловедение", code="ОП.02", kind="discipline")
    plan = Curriculum(org_id=org.id, year_id=year.id, grade=2, max_hours=Decimal(720))
    for subject, first, second in ((ns.graphics, 36, 0), (ns.mdk, 40, 60), (ns.materials, 0, 48)):
        plan.lines.append(CurriculumLine(org_id=org.id, subject_id=subject.id, period1_hours=Decimal(first),
                                         period2_hours=Decimal(second)))
    db.session.add(plan)
    db.session.flush()
    ns.graphics_load = pl_assignment(org, ns.group, ns.graphics, ns.teacher, hours=Decimal(2))
    ns.mdk_load = pl_assignment(org, ns.group, ns.mdk, ns.teacher, hours=Decimal(2))
    ns.subgroups = [Subgroup(org_id=org.id, year_id=year.id, class_id=ns.group.id, subject_id=ns.mdk.id,
                             name=f"{n} подгруппа") for n in (1, 2)]
    db.session.add_all(ns.subgroups)
    db.session.flush()
    for student, subgroup in zip(ns.students, (0, 1, 0)):
        db.session.add(SubgroupMember(subgroup_id=ns.subgroups[subgroup].id, student_id=student.id,
                                      period_id=ns.sem1.id, subject_id=ns.mdk.id))
    db.session.commit()
    return ns


def ro_year_mark(student, subject, year, value):
    mark = PeriodMark(org_id=student.org_id, student_id=student.id, subject_id=subject.id, year_id=year.id,
                      kind="year", value=value)
    db.session.add(mark)
    db.session.flush()
    return mark


# -- the journal grid (tests/test_journal_grid.py) ---------------------------------------------------------

DAYS = [date(2026, 11, 9), date(2026, 11, 11), date(2026, 11, 13)]


def journal(world, klass=None, teacher=None, name="Математика", grading="marks", days=DAYS):
    """A subject of organization A taught in a class (5А) by a teacher on `days` of the second quarter:
    (subject, assignment, lessons), committed (tests/test_journal_grid.py)."""
    a = world.a
    subject = jr_subject(a.org, name, grading)
    assignment = jr_assignment(a.org, a.year, klass or a.klass, teacher or a.teacher, subject)
    lessons = jr_lessons(assignment, a.period, days)
    db.session.commit()
    return subject, assignment, lessons


# -- the transfer to the next year (tests/test_movement_year.py) --------------------------------------------

ORDER_DATE = date(2027, 5, 31)


def next_year(org, start=2027):
    """The organization's academic year starting in `start` (tests/test_movement_year.py)."""
    year = AcademicYear(org_id=org.id, name=f"{start}/{start + 1}", start_date=date(start, 9, 1),
                        end_date=date(start + 1, 6, 30))
    db.session.add(year)
    db.session.flush()
    return year


# -- the teacher's and the student's reports (tests/test_reports_teacher_student.py) ------------------------

def rp_year_mark(student, subject, year, kind, value):
    mark = PeriodMark(org_id=student.org_id, student_id=student.id, subject_id=subject.id, year_id=year.id,
                      kind=kind, value=value)
    db.session.add(mark)
    db.session.flush()
    return mark


def rp_marked(lesson, type_name, weight, marks):
    """A task on the lesson with marks {student: value}."""
    task = jr_task(lesson, type_name, weight=Decimal(weight))
    for student, value in marks.items():
        jr_mark(task, student, value)
    return task


def rp_school(world):
    """Organization A, 2026/2027: «1 четверть» 01.09–24.10 and «2 четверть» 05.11–28.12.

    5А: Учеников (a.student), Отличников, Уходов (leaves the school on 16.11), Соседов (moves to 6Б on
    12.10); 6Б: Чужов, then Соседов; 5Б: Бэшкин.
    Математика: a.teacher in 5А and 6Б, a.deputy in 5Б. Английский язык: a.teacher, 5А «1 группа»
    (Учеников only). Русский язык: a.class_teacher in 5А and 6Б."""
    a = world.a
    ns = a
    ns.p1 = Period(org_id=a.org.id, year_id=a.year.id, type="quarter", number=1, name="1 четверть",
                   start_date=date(2026, 9, 1), end_date=date(2026, 10, 24))
    db.session.add(ns.p1)
    ns.p2 = a.period
    ns.five_b = make_class(a.org, a.year, "5Б", 5)
    ns.best = make_student(a.org, a.klass, "Отличников", "Олег")
    ns.leaver = make_student(a.org, a.klass, "Уходов", "Устин")
    ns.b_pupil = make_student(a.org, ns.five_b, "Бэшкин", "Борис")
    db.session.commit()
    mv_transfer(a.classmate, a.other_class, date(2026, 10, 12))
    mv_withdraw(ns.leaver, date(2026, 11, 16))

    ns.math = jr_subject(a.org, "Математика")
    ns.english = jr_subject(a.org, "Английский язык")
    ns.russian = jr_subject(a.org, "Русский язык")
    ns.m5a = jr_assignment(a.org, a.year, a.klass, a.teacher, ns.math)
    ns.m6b = jr_assignment(a.org, a.year, a.other_class, a.teacher, ns.math)
    ns.m5b = jr_assignment(a.org, a.year, ns.five_b, a.deputy, ns.math)
    group = tt_subgroup(a.org, a.year, a.klass, ns.english, "1 группа")
    ns.e5a = jr_assignment(a.org, a.year, a.klass, a.teacher, ns.english, subgroup=group)
    db.session.add(SubgroupMember(subgroup_id=group.id, student_id=a.student.id, period_id=ns.p2.id,
                                  subject_id=ns.english.id))
    ns.r5a = jr_assignment(a.org, a.year, a.klass, a.class_teacher, ns.russian)
    ns.r6b = jr_assignment(a.org, a.year, a.other_class, a.class_teacher, ns.russian)
    ns.m5a.hours_total, ns.m6b.hours_total, ns.e5a.hours_total = Decimal(170), Decimal(170), Decimal(102)

    pupil, best, moved, stranger = a.student, ns.best, a.classmate, a.stranger
    # Математика, 5А. «1 четверть»: 05.10 and 07.10; «2 четверть»: 10.11, 11.11 (cancelled), 12.11, 01.12.
    m_oct5, m_oct7 = jr_lessons(ns.m5a, ns.p1, [date(2026, 10, 5), date(2026, 10, 7)])
    m_nov10, m_nov12, m_dec1 = jr_lessons(ns.m5a, ns.p2, [date(2026, 11, 10), date(2026, 11, 12), date(2026, 12, 1)])
    (m_nov11,) = jr_lessons(ns.m5a, ns.p2, [date(2026, 11, 11)], is_cancelled=True)
    rp_marked(m_oct5, "Ответ на уроке", 1, {pupil: "3", moved: "5"})
    rp_marked(m_oct7, "Контрольная работа", 3, {pupil: "4", best: "5"})
    rp_marked(m_nov10, "Ответ на уроке", 1, {pupil: "5", best: "4", ns.leaver: "2"})
    rp_marked(m_nov11, "Ответ на уроке", 1, {pupil: "2"})  # on a cancelled lesson: never counted
    rp_marked(m_nov12, "Контрольная работа", 3, {pupil: "4", best: "5"})
    # Математика, 6Б: 13.11; 5Б: 10.11.
    (m6_nov13,) = jr_lessons(ns.m6b, ns.p2, [date(2026, 11, 13)])
    rp_marked(m6_nov13, "Самостоятельная работа", 2, {stranger: "3", moved: "2"})
    (m5b_nov10,) = jr_lessons(ns.m5b, ns.p2, [date(2026, 11, 10)])
    rp_marked(m5b_nov10, "Ответ на уроке", 1, {ns.b_pupil: "5"})
    rp_marked(m5b_nov10, "Тест", 2, {ns.b_pupil: "3"})
    # Английский язык, 5А «1 группа»: 11.11.
    (e_nov11,) = jr_lessons(ns.e5a, ns.p2, [date(2026, 11, 11)])
    rp_marked(e_nov11, "Ответ на уроке", 1, {pupil: "3"})
    # Русский язык, 5А (урок № 3): 06.10; 09.11, 13.11, 16.11; 6Б: 16.11.
    (r_oct6,) = jr_lessons(ns.r5a, ns.p1, [date(2026, 10, 6)], number=3)
    r_nov9, r_nov13, r_nov16 = jr_lessons(ns.r5a, ns.p2, [date(2026, 11, 9), date(2026, 11, 13), date(2026, 11, 16)],
                                          number=3)
    rp_marked(r_oct6, "Ответ на уроке", 1, {pupil: "4"})
    rp_marked(r_nov13, "Диктант", 2, {pupil: "5", best: "3"})
    (r6_nov16,) = jr_lessons(ns.r6b, ns.p2, [date(2026, 11, 16)], number=3)
    rp_marked(r6_nov16, "Ответ на уроке", 1, {moved: "4", stranger: "4"})
    # Учеников's absences: ill on 09.11 (with a note), late on 10.11, absent on 16.11; and absent on the
    # cancelled lesson of 11.11 (not counted).
    jr_attendance(r_nov9, pupil, "б").reason_note = "справка № 12"
    jr_attendance(m_nov10, pupil, "оп")
    jr_attendance(r_nov16, pupil, "н")
    jr_attendance(m_nov11, pupil, "н")

    # Period marks.
    for student, subject, period, value in [
            (pupil, ns.math, ns.p1, "4"), (pupil, ns.russian, ns.p1, "4"),
            (pupil, ns.math, ns.p2, "5"), (best, ns.math, ns.p2, "4"), (ns.leaver, ns.math, ns.p2, "2"),
            (stranger, ns.math, ns.p2, "3"), (moved, ns.math, ns.p2, "н/а"), (ns.b_pupil, ns.math, ns.p2, "5"),
            (pupil, ns.english, ns.p2, "4")]:
        jr_period_mark(student, subject, period, value)
    rp_year_mark(pupil, ns.math, a.year, "year", "5")
    rp_year_mark(pupil, ns.math, a.year, "exam", "4")
    rp_year_mark(pupil, ns.math, a.year, "final", "5")
    db.session.commit()
    return ns
