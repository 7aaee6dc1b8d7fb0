"""Planning part of the demo institution: educational areas, subjects, a curriculum per grade
level present, teaching assignments for every class (a foreign language split into two
subgroups in one class), and a few КТП assigned to classes."""
from decimal import Decimal

from sqlalchemy import select

from models import (Curriculum, CurriculumComponent, CurriculumLine, EducationalArea, Grading, Period,
                    Student, StudentStatus, Subgroup, SubgroupMember, Subject, SubjectKind,
                    TeachingAssignment, ThematicPlan, ThematicPlanTopic, db)

F, R, S = (CurriculumComponent.FEDERAL.value, CurriculumComponent.REGIONAL.value,
           CurriculumComponent.SCHOOL.value)

SCHOOL_AREAS = ["Русский язык и литература", "Иностранные языки", "Математика и информатика",
                "Общественно-научные предметы", "Естественно-научные предметы",
                "Физическая культура и основы безопасности"]
# name, area index, short name
SCHOOL_SUBJECTS = [("Русский язык", 0, "Рус. яз."), ("Литература", 0, "Лит."),
                   ("Литературное чтение", 0, "Лит. чт."), ("Английский язык", 1, "Англ. яз."),
                   ("Математика", 2, "Матем."), ("Информатика", 2, "Информ."), ("История", 3, "Ист."),
                   ("Окружающий мир", 4, "Окр. мир"), ("Биология", 4, "Биол."), ("Физика", 4, "Физ."),
                   ("Физическая культура", 5, "Физ-ра")]
# grade -> [(subject, component, hours per week)]
SCHOOL_PLAN = {
    1: [("Русский язык", F, 5), ("Литературное чтение", F, 4), ("Математика", F, 4), ("Окружающий мир", F, 2),
        ("Физическая культура", F, 2)],
    5: [("Русский язык", F, 5), ("Литература", F, 3), ("Английский язык", F, 3), ("Математика", F, 5),
        ("История", F, 2), ("Биология", F, 1), ("Физическая культура", F, 2), ("Информатика", S, 1)],
    9: [("Русский язык", F, 3), ("Литература", F, 3), ("Английский язык", F, 3), ("Математика", F, 6),
        ("Информатика", F, 1), ("История", F, 2), ("Биология", F, 2), ("Физика", F, 3),
        ("Физическая культура", F, 2), ("Русский язык", S, 1)],
    11: [("Русский язык", F, 2), ("Литература", F, 3), ("Английский язык", F, 3), ("Математика", F, 6),
         ("Информатика", F, 1), ("История", F, 2), ("Биология", F, 1), ("Физика", F, 2),
         ("Физическая культура", F, 2), ("Математика", S, 1)],
}
# subject -> index of the teacher in demo's `teachers` (None: the class teacher of the class)
SCHOOL_TEACHERS = {"Русский язык": 1, "Литература": 1, "Литературное чтение": None, "Окружающий мир": None,
                   "Английский язык": 5, "Математика": 2, "Информатика": 2, "История": 3, "Биология": 4,
                   "Физика": 4, "Физическая культура": 7}

COLLEGE_AREAS = ["Общеобразовательный цикл", "Социально-гуманитарный цикл",
                 "Общепрофессиональный цикл", "Профессиональный цикл"]
# code, name, kind, area index, module code
COLLEGE_SUBJECTS = [
    ("ОУД.01", "Русский язык", SubjectKind.DISCIPLINE, 0, None),
    ("ОУД.02", "Математика", SubjectKind.DISCIPLINE, 0, None),
    ("ОУД.03", "Иностранный язык", SubjectKind.DISCIPLINE, 0, None),
    ("ОУД.04", "История", SubjectKind.DISCIPLINE, 0, None),
    ("СГ.04", "Физическая культура", SubjectKind.DISCIPLINE, 1, None),
    ("СГ.02", "Иностранный язык в профессиональной деятельности", SubjectKind.DISCIPLINE, 1, None),
    ("ОП.01", "Инженерная графика", SubjectKind.DISCIPLINE, 2, None),
    ("ОП.02", "Информационные технологии", SubjectKind.DISCIPLINE, 2, None),
    ("ПМ.01", "Разработка технологических процессов изготовления деталей машин", SubjectKind.MODULE, 3, None),
    ("МДК.01.01", "Технологические процессы изготовления деталей машин", SubjectKind.MDK, 3, "ПМ.01"),
    ("УП.01", "Учебная практика по ПМ.01", SubjectKind.PRACTICE, 3, "ПМ.01"),
    ("КР.01", "Курсовой проект по МДК.01.01", SubjectKind.COURSE_WORK, 3, None),
]
# (course, specialty index) -> [(subject code, component, semester 1 hours, semester 2 hours)]
COLLEGE_PLAN = {
    (1, 0): [("ОУД.01", F, 34, 44), ("ОУД.02", F, 68, 88), ("ОУД.03", F, 34, 44), ("ОУД.04", F, 34, 44),
             ("СГ.04", F, 34, 44)],
    (2, 0): [("СГ.02", F, 32, 36), ("ОП.01", F, 64, 72), ("МДК.01.01", F, 96, 108), ("УП.01", F, 0, 72),
             ("КР.01", S, 0, 20), ("СГ.04", F, 32, 36)],
    (1, 1): [("ОУД.01", F, 34, 44), ("ОУД.02", F, 68, 88), ("ОУД.03", F, 34, 44), ("ОУД.04", F, 34, 44),
             ("СГ.04", F, 34, 44), ("ОП.02", S, 32, 36)],
    (3, 1): [("СГ.02", F, 32, 36), ("ОП.02", F, 64, 72), ("СГ.04", F, 32, 36)],
}
COLLEGE_TEACHERS = {"ОУД.01": 1, "ОУД.02": 2, "ОУД.03": 4, "СГ.02": 4, "ОУД.04": 3, "СГ.04": 7,
                    "ОП.01": 6, "ОП.02": 2, "МДК.01.01": 6, "УП.01": 0, "КР.01": 6}

ENGLISH_MODULES = ["Школьные дни", "Это я", "Мой дом — моя крепость", "Семейные узы",
                   "Животные со всего света", "С утра до вечера", "В любую погоду", "Особые дни",
                   "Жить в ногу со временем", "Каникулы"]
MATH_5 = [("Натуральные числа и шкалы", ["Обозначение натуральных чисел", "Отрезок. Длина отрезка",
                                         "Плоскость, прямая, луч", "Шкалы и координаты", "Меньше или больше"], 15),
          ("Сложение и вычитание натуральных чисел", ["Сложение натуральных чисел и его свойства",
                                                      "Вычитание", "Числовые и буквенные выражения",
                                                      "Буквенная запись свойств сложения и вычитания",
                                                      "Уравнение"], 21),
          ("Умножение и деление натуральных чисел", ["Умножение натуральных чисел и его свойства",
                                                     "Деление", "Деление с остатком",
                                                     "Упрощение выражений", "Порядок выполнения действий",
                                                     "Квадрат и куб числа"], 27),
          ("Площади и объёмы", ["Формулы", "Площадь. Формула площади прямоугольника",
                                "Единицы измерения площадей", "Прямоугольный параллелепипед", "Объёмы"], 12),
          ("Обыкновенные дроби", ["Окружность и круг", "Доли. Обыкновенные дроби", "Сравнение дробей",
                                  "Правильные и неправильные дроби", "Сложение и вычитание дробей",
                                  "Смешанные числа"], 23),
          ("Десятичные дроби. Сложение и вычитание", ["Десятичная запись дробных чисел",
                                                      "Сравнение десятичных дробей",
                                                      "Сложение и вычитание десятичных дробей",
                                                      "Приближённые значения чисел"], 13),
          ("Умножение и деление десятичных дробей", ["Умножение десятичных дробей на натуральные числа",
                                                     "Деление десятичных дробей на натуральные числа",
                                                     "Умножение десятичных дробей", "Деление на десятичную дробь",
                                                     "Среднее арифметическое"], 26),
          ("Инструменты для вычислений и измерений", ["Микрокалькулятор", "Проценты", "Угол. Прямой и развёрнутый угол",
                                                      "Измерение углов. Транспортир", "Круговые диаграммы"], 17),
          ("Повторение", ["Повторение: натуральные числа", "Повторение: дроби", "Повторение: задачи"], 16)]


LITERATURE_5 = [  # 102 hours: 3 a week
    ("Мифология", ["Мифы народов России и мира", "Мифы Древней Греции. Подвиги Геракла"], 6),
    ("Фольклор", ["Малые жанры фольклора", "Русские народные сказки", "Сказка «Царевна-лягушка»"], 9),
    ("Литература первой половины XIX века", ["И. А. Крылов. Басни", "А. С. Пушкин. «Сказка о мёртвой царевне»",
                                             "М. Ю. Лермонтов. «Бородино»",
                                             "Н. В. Гоголь. «Ночь перед Рождеством»"], 20),
    ("Литература второй половины XIX века", ["И. С. Тургенев. «Муму»", "Н. А. Некрасов. «Крестьянские дети»",
                                             "Л. Н. Толстой. «Кавказский пленник»", "А. П. Чехов. Рассказы"], 24),
    ("Литература XX века", ["И. А. Бунин. «Косцы»", "В. Г. Короленко. «В дурном обществе»",
                            "К. Г. Паустовский. «Тёплый хлеб»", "В. П. Астафьев. «Васюткино озеро»",
                            "Произведения о Великой Отечественной войне"], 27),
    ("Зарубежная литература", ["Х. К. Андерсен. «Снежная королева»", "Д. Дефо. «Робинзон Крузо»",
                               "М. Твен. «Приключения Тома Сойера»"], 12),
    ("Итоговое повторение", ["Итоговая контрольная работа", "Рекомендации для летнего чтения"], 4),
]


def _english_topics():
    topics = [(None, "Вводный урок. Знакомство с учебником", 1, None)]
    for n, title in enumerate(ENGLISH_MODULES, start=1):
        section = f"Модуль {n}. {title}"
        topics += [(section, f"{title}: новая лексика", 2, "Выучить слова модуля"),
                   (section, f"{title}: грамматика", 2, "Упражнения в рабочей тетради"),
                   (section, f"{title}: чтение", 2, "Прочитать и перевести текст"),
                   (section, f"{title}: аудирование и говорение", 2, "Подготовить рассказ"),
                   (section, f"{title}: письмо", 1, "Написать короткое письмо"),
                   (section, f"Контрольная работа по модулю {n}", 1, None)]
    topics.append((None, "Итоговая контрольная работа", 1, None))
    return topics  # 102 hours: 3 hours a week × 34 weeks


def _sectioned_topics(sections, final_test=True, homework="Задачи по теме «{}»"):
    topics = []
    for section, titles, hours in sections:
        rest = hours - 1 if final_test else hours
        base, extra = divmod(rest, len(titles))
        for i, title in enumerate(titles):
            topics.append((section, title, base + (1 if i < extra else 0), homework.format(title)))
        if final_test:
            topics.append((section, f"Контрольная работа: {section.lower()}", 1, None))
    return [t for t in topics if t[2] > 0]


def _plan(org, year, teacher, subject, grade, name, topics):
    plan = ThematicPlan(org_id=org.id, year_id=year.id, teacher_id=teacher.id, subject_id=subject.id,
                        grade=grade, name=name)
    for position, (section, title, hours, homework) in enumerate(topics, start=1):
        plan.topics.append(ThematicPlanTopic(org_id=org.id, position=position, section=section, title=title,
                                             hours=hours, homework=homework))
    db.session.add(plan)
    return plan


def create_planning_demo(org, year, classes, teachers, college=False):
    areas = [EducationalArea(org_id=org.id, name=name, sort_order=i)
             for i, name in enumerate(COLLEGE_AREAS if college else SCHOOL_AREAS)]
    db.session.add_all(areas)
    db.session.flush()
    subjects = {}
    if college:
        for i, (code, name, kind, area, module) in enumerate(COLLEGE_SUBJECTS):
            subjects[code] = Subject(org_id=org.id, code=code, name=name, kind=kind.value, area_id=areas[area].id,
                                     module=subjects.get(module), sort_order=i,
                                     grading=(Grading.PASS_FAIL if kind == SubjectKind.PRACTICE
                                              else Grading.MARKS).value)
    else:
        for i, (name, area, short) in enumerate(SCHOOL_SUBJECTS):
            subjects[name] = Subject(org_id=org.id, name=name, short_name=short, area_id=areas[area].id,
                                     sort_order=i)
    db.session.add_all(subjects.values())
    db.session.flush()

    plans = {}
    for klass in classes:
        key = (klass.grade, _specialty_index(klass, classes)) if college else klass.grade
        if key in plans:
            continue
        curriculum = Curriculum(org_id=org.id, year_id=year.id, grade=klass.grade,
                                specialty_id=klass.specialty_id if college else None,
                                max_hours=Decimal(612) if college else None,
                                weeks=33 if klass.grade == 1 and not college else 34)
        for order, row in enumerate((COLLEGE_PLAN if college else SCHOOL_PLAN)[key]):
            if college:
                code, comp, p1, p2 = row
                line = CurriculumLine(org_id=org.id, subject_id=subjects[code].id, component=comp,
                                      period1_hours=p1 or None, period2_hours=p2 or None, sort_order=order)
            else:
                name, comp, week = row
                line = CurriculumLine(org_id=org.id, subject_id=subjects[name].id, component=comp,
                                      hours_per_week=week, sort_order=order)
            curriculum.lines.append(line)
        db.session.add(curriculum)
        plans[key] = curriculum
    db.session.flush()

    split_class = classes[1] if len(classes) > 1 else classes[0]
    english = subjects["СГ.02" if college else "Английский язык"]
    assignments = []
    for klass in classes:
        key = (klass.grade, _specialty_index(klass, classes)) if college else klass.grade
        taught = []
        for row in (COLLEGE_PLAN if college else SCHOOL_PLAN)[key]:
            if row[0] not in taught:
                taught.append(row[0])
        for code in taught:
            subject = subjects[code]
            index = (COLLEGE_TEACHERS if college else SCHOOL_TEACHERS)[code]
            # In primary school the class teacher teaches everything but physical education.
            if not college and klass.grade <= 4 and code != "Физическая культура":
                index = None
            teacher = next(t for t in teachers if t.id == klass.class_teacher_id) if index is None else teachers[index]
            if subject is english and klass is split_class:
                groups = [Subgroup(org_id=org.id, year_id=year.id, class_id=klass.id, subject_id=subject.id,
                                   name=f"{n} группа") for n in (1, 2)]
                db.session.add_all(groups)
                db.session.flush()
                _split_members(klass, subject, groups)
                for group, who in zip(groups, (teacher, teachers[6])):
                    assignments.append(TeachingAssignment(org_id=org.id, year_id=year.id, class_id=klass.id,
                                                          subject_id=subject.id, subgroup_id=group.id,
                                                          teacher_id=who.id))
            else:
                assignments.append(TeachingAssignment(org_id=org.id, year_id=year.id, class_id=klass.id,
                                                      subject_id=subject.id, teacher_id=teacher.id))
    db.session.add_all(assignments)
    db.session.flush()

    if college:
        math, eng_teacher = subjects["ОУД.02"], teachers[4]
        math_plan = _plan(org, year, teachers[2], math, 1, "Математика, 1 курс", _college_math_topics())
        eng_plan = _plan(org, year, eng_teacher, english, 2,
                         "Иностранный язык в профессиональной деятельности, 2 курс",
                         [(None, f"Профессиональная лексика: тема {n}", 2, "Выучить термины") for n in range(1, 35)])
        db.session.flush()
        for a in assignments:
            if a.subject_id == math.id and a.teacher_id == teachers[2].id:
                a.thematic_plan = math_plan
            if a.subject_id == english.id and a.teacher_id == eng_teacher.id and a.klass.grade == 2:
                a.thematic_plan = eng_plan
    else:
        eng_plan = _plan(org, year, teachers[5], english, 5, "Английский язык, 5 класс (УМК «Spotlight»)",
                         _english_topics())
        math, literature = subjects["Математика"], subjects["Литература"]
        math_plan = _plan(org, year, teachers[2], math, 5, "Математика, 5 класс", _sectioned_topics(MATH_5))
        literature_plan = _plan(org, year, teachers[1], literature, 5, "Литература, 5 класс",
                                _sectioned_topics(LITERATURE_5, final_test=False,
                                                  homework="Прочитать: {}"))
        db.session.flush()
        for a in assignments:
            if a.klass.grade != 5:
                continue
            if a.subject_id == english.id and a.teacher_id == teachers[5].id:
                a.thematic_plan = eng_plan
            if a.subject_id == math.id:
                a.thematic_plan = math_plan
            if a.subject_id == literature.id:
                a.thematic_plan = literature_plan
    db.session.flush()
    return subjects


def _college_math_topics():
    sections = [("Повторение курса основной школы", 10), ("Числа и вычисления", 12), ("Уравнения и неравенства", 20),
                ("Функции и графики", 20), ("Тригонометрия", 28), ("Производная и её применение", 24),
                ("Первообразная и интеграл", 14), ("Геометрия в пространстве", 20), ("Элементы теории вероятностей", 8)]
    topics = []
    for section, hours in sections:  # 156 hours: 68 + 88 in the curriculum
        for k in range(hours // 2):
            topics.append((section, f"{section}: занятие {k + 1}", 2, None))
    return topics


def _specialty_index(klass, classes):
    ids = []
    for k in classes:
        if k.specialty_id not in ids:
            ids.append(k.specialty_id)
    return ids.index(klass.specialty_id)


def _split_members(klass, subject, groups):
    students = db.session.scalars(select(Student).where(
        Student.class_id == klass.id, Student.status == StudentStatus.STUDYING.value)
        .order_by(Student.last_name, Student.first_name)).all()
    periods = db.session.scalars(select(Period).where(Period.year_id == klass.year_id)).all()
    for period in periods:
        for i, student in enumerate(students):
            db.session.add(SubgroupMember(subgroup_id=groups[i % 2].id, student_id=student.id,
                                          period_id=period.id, subject_id=subject.id))
