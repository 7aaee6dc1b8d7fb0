"""A small realistic demo institution: Russian names with patronymics, valid СНИЛС, classes with
class teachers, staff in every role, students with parents, one account per role."""
import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from models import (AcademicYear, Department, Holiday, Organization, Parent, ParentRelation, Period,
                    PeriodType, Position, Role, Room, SchoolClass, Specialty, Staff, Student, db)
from services import clock
from services.demo.activity import create_activity_demo
from services.demo.portfolio import create_portfolio_demo
from services.demo.region import create_region_demo
from services.demo.contingent import create_contingent_demo
from services.demo.flags import create_flags_demo
from services.demo.announcements import create_announcements_demo
from services.demo.deadlines import create_deadlines_demo
from services.demo.finals import create_finals_demo
from services.demo.journal import create_journal_demo
from services.demo.journal_analysis import create_journal_analysis_demo
from services.demo.lesson_files import create_lesson_files_demo
from services.demo.materials import create_materials_demo
from services.demo.quizzes import create_quizzes_demo
from services.demo.messages import create_messages_demo
from services.demo.movement import create_movement_demo
from services.demo.notify import create_notify_demo
from services.demo.oo1 import create_oo1_demo
from services.demo.paper_reports import create_paper_reports_demo
from services.demo.planning import create_planning_demo
from services.demo.report_builder import create_report_builder_demo
from services.demo.requests import create_requests_demo
from services.demo.timetable import create_timetable_demo
from services.people import accounts
from services.org import orgs
from services.validation import snils_with_checksum


class DemoRefused(Exception):
    pass


MALE = ["Александр", "Алексей", "Андрей", "Артём", "Владимир", "Дмитрий", "Егор", "Иван", "Кирилл",
        "Максим", "Михаил", "Никита", "Николай", "Павел", "Роман", "Сергей", "Тимофей", "Фёдор"]
FEMALE = ["Александра", "Алина", "Анастасия", "Анна", "Вероника", "Виктория", "Дарья", "Екатерина",
          "Елена", "Елизавета", "Ирина", "Ксения", "Мария", "Наталья", "Ольга", "Полина", "София",
          "Татьяна"]
SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
            "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
            "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
            "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв"]
STREETS = ["ул. Ленина", "ул. Гагарина", "ул. Мира", "ул. Садовая", "пр. Победы", "ул. Школьная"]


def patronymic(father, female):
    stem = {"Никита": "Никит", "Илья": "Иль", "Фёдор": "Фёдор", "Павел": "Павл",
            "Михаил": "Михайл"}.get(father, father)
    if stem.endswith("й"):
        base = stem[:-1]
        return base + ("евна" if female else "евич")
    if stem.endswith("ь"):
        return stem[:-1] + ("евна" if female else "евич")
    if stem == "Никит":
        return "Никитична" if female else "Никитич"
    return stem + ("овна" if female else "ович")


def surname(base, female):
    return base + "а" if female else base


@dataclass
class DemoAccount:
    role: str
    login: str
    password: str
    full_name: str


class Names:
    def __init__(self, rnd):
        self.rnd = rnd

    def person(self, female=None, family=None):
        female = self.rnd.random() < 0.5 if female is None else female
        first = self.rnd.choice(FEMALE if female else MALE)
        father = self.rnd.choice(MALE)
        last = surname(family or self.rnd.choice(SURNAMES), female)
        self.father = father  # the child's patronymic names his father
        return last, first, patronymic(father, female), "f" if female else "m"

    def snils(self, used):
        while True:
            digits = f"{self.rnd.randint(2_000_000, 999_999_999):09d}"
            value = snils_with_checksum(digits)
            if value not in used:
                used.add(value)
                return value


def school_calendar(start_year):
    y, n = start_year, start_year + 1
    periods = [(1, "1 четверть", date(y, 9, 1), date(y, 10, 24)),
               (2, "2 четверть", date(y, 11, 5), date(y, 12, 28)),
               (3, "3 четверть", date(n, 1, 12), date(n, 3, 20)),
               (4, "4 четверть", date(n, 3, 30), date(n, 5, 26))]
    holidays = [("Осенние каникулы", date(y, 10, 26), date(y, 11, 4)),
                ("Зимние каникулы", date(y, 12, 29), date(n, 1, 11)),
                ("Весенние каникулы", date(n, 3, 21), date(n, 3, 29))]
    return PeriodType.QUARTER.value, periods, holidays


def college_calendar(start_year):
    y, n = start_year, start_year + 1
    periods = [(1, "1 семестр", date(y, 9, 1), date(y, 12, 31)),
               (2, "2 семестр", date(n, 1, 12), date(n, 6, 30))]
    holidays = [("Зимние каникулы", date(n, 1, 1), date(n, 1, 11))]
    return PeriodType.SEMESTER.value, periods, holidays


SCHOOL_CLASSES = [(1, "1А"), (5, "5А"), (5, "5Б"), (9, "9А"), (11, "11А")]
COLLEGE_GROUPS = [(1, "ТМ-{y1}", 0), (2, "ТМ-{y2}", 0), (1, "ИСП-{y1}", 1), (3, "ИСП-{y3}", 1)]


def create_demo(kind="school", password=None, seed=2026, today=None, students_per_class=8):
    if db.session.scalar(select(Organization.id).limit(1)) is not None:
        raise DemoRefused("База данных не пуста: демонстрационные данные создаются только в пустой базе. "
                          "Удалите файл базы (instance/journal.db) или укажите другую базу в DATABASE_URL.")
    if password is not None:
        accounts.check_password_strength(password)
    rnd = random.Random(seed)
    names = Names(rnd)
    today = today or clock.today()
    start_year = today.year if today.month >= 8 else today.year - 1
    college = kind == "college"

    org = orgs.create_organization(
        kind=kind,
        full_name=("Государственное бюджетное профессиональное образовательное учреждение "
                   "«Заречный политехнический техникум»") if college else
                  ("Муниципальное бюджетное общеобразовательное учреждение "
                   "«Средняя общеобразовательная школа № 7»"),
        short_name="ГБПОУ «Заречный политехнический техникум»" if college else "МБОУ «СОШ № 7»",
        address="624250, Свердловская обл., г. Заречный, ул. Ленина, д. 12",
        director_name="Соколова Елена Викторовна", phone="+7 (34377) 3-12-45",
        email="school7@example.ru", inn="6609008888",
        licence_number="19150", licence_date=date(2016, 3, 14),
        licence_issued_by="Министерство образования и молодёжной политики Свердловской области",
        accreditation_number="9020", accreditation_date=date(2016, 5, 23),
        accreditation_valid_until=date(2028, 5, 23))

    year = AcademicYear(org_id=org.id, name=f"{start_year}/{start_year + 1}",
                        start_date=date(start_year, 9, 1), end_date=date(start_year + 1, 6, 30))
    db.session.add(year)
    db.session.flush()
    ptype, periods, holidays = (college_calendar if college else school_calendar)(start_year)
    for number, name, start, end in periods:
        db.session.add(Period(org_id=org.id, year_id=year.id, type=ptype, number=number, name=name,
                              start_date=start, end_date=end))
    for name, start, end in holidays:
        db.session.add(Holiday(org_id=org.id, year_id=year.id, name=name, start_date=start, end_date=end))
    for room in ("101", "102", "201", "202", "203", "Спортзал", "Актовый зал"):
        db.session.add(Room(org_id=org.id, name=room, capacity=30))
    positions = {name: Position(org_id=org.id, name=name) for name in (
        "Директор", "Заместитель директора по УВР", "Специалист по кадрам", "Системный администратор",
        "Преподаватель" if college else "Учитель")}
    db.session.add_all(positions.values())
    db.session.flush()
    teacher_position = positions["Преподаватель" if college else "Учитель"]

    staff_snils = set()

    def staff(position, roles, female=None, hired_years_ago=5):
        last, first, middle, sex = names.person(female)
        card = Staff(org_id=org.id, last_name=last, first_name=first, middle_name=middle, sex=sex,
                     birth_date=date(1965 + rnd.randint(0, 30), rnd.randint(1, 12), rnd.randint(1, 28)),
                     position=position, hire_date=date(start_year - hired_years_ago, 8, 25),
                     snils=names.snils(staff_snils), qualification_category=rnd.choice(["высшая", "первая"]),
                     phone=f"+7 (912) {rnd.randint(100, 999)}-{rnd.randint(10, 99)}-{rnd.randint(10, 99)}")
        card.role_codes = roles
        db.session.add(card)
        return card

    director = staff(positions["Директор"], [Role.DIRECTOR.value], female=True, hired_years_ago=12)
    director.last_name, director.first_name, director.middle_name = "Соколова", "Елена", "Викторовна"
    deputy = staff(positions["Заместитель директора по УВР"], [Role.DEPUTY.value, Role.TEACHER.value])
    hr = staff(positions["Специалист по кадрам"], [Role.HR.value], female=True)
    admin = staff(positions["Системный администратор"], [Role.ADMIN.value])
    teachers = [staff(teacher_position, [Role.TEACHER.value]) for _ in range(8)]
    db.session.flush()

    if college:
        departments = [Department(org_id=org.id, name="Отделение машиностроения"),
                       Department(org_id=org.id, name="Отделение информационных технологий")]
        db.session.add_all(departments)
        db.session.flush()
        specialties = [
            Specialty(org_id=org.id, department_id=departments[0].id, code="15.02.16",
                      name="Технология машиностроения", qualification="техник-технолог"),
            Specialty(org_id=org.id, department_id=departments[1].id, code="09.02.07",
                      name="Информационные системы и программирование", qualification="программист")]
        db.session.add_all(specialties)
        db.session.flush()
        layout = [(course, name.format(y1=str(start_year)[2:], y2=str(start_year - 1)[2:],
                                       y3=str(start_year - 2)[2:]), dep)
                  for course, name, dep in COLLEGE_GROUPS]
    else:
        layout = [(grade, name, None) for grade, name in SCHOOL_CLASSES]

    classes = []
    for i, (grade, name, dep) in enumerate(layout):
        klass = SchoolClass(org_id=org.id, year_id=year.id, grade=grade, name=name,
                            class_teacher_id=teachers[i].id, max_students=25 if college else 30)
        if college:
            klass.department_id = departments[dep].id
            klass.specialty_id = specialties[dep].id
        db.session.add(klass)
        classes.append(klass)
    db.session.flush()

    student_snils, file_no = set(), 0
    first_parent = None
    for klass in classes:
        age = (klass.grade + 14) if college else (klass.grade + 6)
        for _ in range(students_per_class):
            file_no += 1
            family = rnd.choice(SURNAMES)
            last, first, middle, sex = names.person(family=family)
            father_name = names.father
            born = date(start_year - age, 1, 1) + timedelta(days=rnd.randint(0, 364) - 180)
            student = Student(
                org_id=org.id, last_name=last, first_name=first, middle_name=middle, sex=sex,
                birth_date=born, personal_file_number=f"{name_prefix(klass)}-{file_no:03d}",
                snils=names.snils(student_snils), class_id=klass.id,
                address=f"г. Заречный, {rnd.choice(STREETS)}, д. {rnd.randint(1, 60)}, кв. {rnd.randint(1, 120)}",
                birth_certificate_series=f"{rnd.choice(['I', 'II', 'III', 'IV'])}-АИ",
                birth_certificate_number=f"{rnd.randint(100000, 999999)}",
                birth_certificate_date=born + timedelta(days=20),
                enrollment_order_number=f"{rnd.randint(10, 99)}-у",
                enrollment_order_date=date(start_year - klass.grade + 1, 8, 28),
                family_composition=rnd.choice(["полная", "неполная", "многодетная"]),
                social_status=rnd.choice(["", "", "", "малообеспеченная семья"]) or None,
                foreign_language=rnd.choice(["Английский", "Английский", "Немецкий"]))
            if age >= 14 or (born + timedelta(days=365 * 14 + 4)) <= today:
                student.passport_series = f"65{rnd.randint(10, 24):02d}"
                student.passport_number = f"{rnd.randint(100000, 999999)}"
                # Issued after the 14th birthday (services/people/contingent.check_documents), never in the future.
                fourteenth = date(born.year + 14, born.month, 28 if (born.month, born.day) == (2, 29) else born.day)
                student.passport_date = max(fourteenth, min(born + timedelta(days=365 * 14 + 30),
                                                            today - timedelta(days=10)))
                if student.passport_date > today:  # 14 only in a few days: no passport yet
                    student.passport_series = student.passport_number = student.passport_date = None
            mother_last, mother_first, mother_middle, _ = names.person(female=True, family=family)
            mother = Parent(org_id=org.id, last_name=mother_last, first_name=mother_first,
                            middle_name=mother_middle, relation=ParentRelation.MOTHER.value,
                            phone=f"+7 (922) {rnd.randint(100, 999)}-{rnd.randint(10, 99)}-{rnd.randint(10, 99)}")
            student.parents.append(mother)
            if rnd.random() < 0.6:
                father_last, _, father_middle, _ = names.person(female=False, family=family)
                father_first = father_name
                student.parents.append(Parent(org_id=org.id, last_name=father_last, first_name=father_first,
                                              middle_name=father_middle, relation=ParentRelation.FATHER.value))
            db.session.add(student)
            if first_parent is None:
                first_parent = mother
    db.session.flush()

    # Siblings: the first mother also has a child in another class (one parent, several children).
    sibling_class = classes[-1] if len(classes) > 1 else classes[0]
    sibling = db.session.scalars(select(Student).where(Student.class_id == sibling_class.id)
                                 .order_by(Student.id)).first()
    if sibling is not None and first_parent not in sibling.parents:
        sibling.parents.append(first_parent)

    class_teacher = teachers[1]  # teaches and leads classes[1] (5А / the second group)
    subject_teacher = teachers[len(classes)]  # teaches, leads no class
    demo_student = db.session.scalars(select(Student).where(Student.class_id == classes[1].id)
                                      .order_by(Student.id)).first()
    demo_parent = demo_student.parents[0]
    wanted = [(Role.ADMIN.label, admin), (Role.HR.label, hr), (Role.DEPUTY.label, deputy),
              (Role.DIRECTOR.label, director), (Role.TEACHER.label, subject_teacher),
              ("Классный руководитель" if not college else "Куратор", class_teacher),
              (Role.STUDENT.label, demo_student), (Role.PARENT.label, demo_parent)]
    taken, result = set(), []
    for label, card in wanted:
        login = accounts.unique_login(accounts.base_login(card), taken)
        user, pw = accounts.new_user(login, card.full_name, password, must_change=False)
        card.user = user
        result.append(DemoAccount(label, login, pw, card.full_name))
    db.session.flush()
    create_planning_demo(org, year, classes, teachers, college=college)
    # demo: planning
    create_timetable_demo(org, year, classes, today, college=college)
    # demo: timetable
    create_journal_demo(org, year, today, seed=seed)
    # demo: movement book
    create_movement_demo(org, year, classes, today, college=college)
    # demo: final marks and exam results
    create_finals_demo(org, year, classes, today, seed=seed)
    create_lesson_files_demo(org, classes[1], today)  # demo: homework files of the demo class this week
    create_materials_demo(org, classes[1], today)  # demo: learning materials and a course of the demo class
    create_flags_demo(demo_student, demo_parent, today)  # demo: «отметка ошибочна»
    # demo: notifications
    create_notify_demo(org, today)
    create_requests_demo(org, demo_parent, hr)
    create_messages_demo(org, today, demo_parent, demo_student, class_teacher, subject_teacher, admin, deputy)
    create_announcements_demo(org, today, director, deputy, class_teacher, classes[1], college=college)
    create_paper_reports_demo(org, year, classes, today)
    create_activity_demo(org, classes, today, seed=seed)  # demo: logins issued and used (the activity report)
    create_contingent_demo(org, classes, today, seed=seed)  # demo: ФИС «Контингент» data, some cards incomplete
    create_journal_analysis_demo(org, year, today, seed=seed)  # demo: late entries, lessons without a topic
    create_deadlines_demo(org, year, classes, today, class_teacher, deputy, admin)  # demo: reports built, the rules
    create_oo1_demo(org, year, classes, today)  # demo: ОО-1's movers before its date (20 September)
    create_report_builder_demo(org, classes, admin, deputy)  # demo: shared reports of «Конструктор отчётов»
    create_quizzes_demo(org, classes[1], today, seed=seed)  # demo: an electronic test taken, its marks in the journal
    create_portfolio_demo(org, demo_student, class_teacher, subject_teacher, today, college=college)  # demo: portfolio
    result += [DemoAccount(*a) for a in create_region_demo(org, password)]  # demo: the region, its specialists
    db.session.flush()  # committed by the caller's unit of work (the `flask demo-data` command)
    return result


def name_prefix(klass):
    return "".join(ch for ch in klass.name if ch.isalnum())


def format_accounts(result):
    width = max(len(a.role) for a in result)
    lines = ["Демонстрационные учётные записи:", f"{'Роль'.ljust(width)}  {'Логин'.ljust(16)}  Пароль           ФИО"]
    for a in result:
        lines.append(f"{a.role.ljust(width)}  {a.login.ljust(16)}  {a.password.ljust(16)} {a.full_name}")
    return "\n".join(lines)
