"""The data set's scales and the school's shape: the curriculum, the subjects' sections and works, the rates of
absence, the names."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    layout: tuple  # ((grade, classes of that grade), …)
    students: tuple  # (fewest, most) per class
    subjects: int | None  # the first n subjects of each grade's plan; None: the whole plan
    teachers: int  # staff with the teacher role (the primary class teachers among them)
    weeks: int | None  # school weeks of lessons from the start of each quarter; None: the whole quarter
    parent_accounts: int  # per class: mothers of the first n students get an account
    student_accounts: int  # per class
    movers: int  # transfers and withdrawals during a year (each)
    changes: int  # timetable changes (a replacement and a cancellation each) per week of lessons
    siblings: float  # share of new students who are the younger sibling of a student made before


LARGE = Scale("large", layout=tuple((g, 7) for g in range(1, 10)) + ((10, 3), (11, 4)), students=(28, 30),
              subjects=None, teachers=120, weeks=None, parent_accounts=3, student_accounts=2, movers=10,
              changes=3, siblings=0.06)
TINY = Scale("tiny", layout=((1, 1), (5, 2)), students=(8, 8), subjects=4, teachers=5, weeks=1,
             parent_accounts=1, student_accounts=1, movers=1, changes=1, siblings=0.0)
SCALES = {"large": LARGE, "tiny": TINY}

LETTERS = "АБВГДЕЖИКЛМН"
DAYS, BELLS = 5, 7
SCHOOL_BELLS = [(8, 30, 9, 15), (9, 25, 10, 10), (10, 30, 11, 15), (11, 35, 12, 20), (12, 30, 13, 15),
                (13, 25, 14, 10), (14, 20, 15, 5)]

# -- the curriculum ---------------------------------------------------------------------------------

AREAS = ["Русский язык и литературное чтение", "Русский язык и литература", "Родной язык и родная литература",
         "Иностранные языки", "Математика и информатика", "Обществознание и естествознание",
         "Общественно-научные предметы", "Естественно-научные предметы", "ОРКСЭ и ОДНКНР", "Искусство",
         "Технология", "Физическая культура и ОБЗР"]
# name: (short name, area, grading)
SUBJECTS = {
    "Русский язык": ("Рус. яз.", 1, "marks"), "Литературное чтение": ("Лит. чт.", 0, "marks"),
    "Литература": ("Лит.", 1, "marks"), "Родной язык (русский)": ("Родн. яз.", 2, "marks"),
    "Английский язык": ("Англ. яз.", 3, "marks"), "Математика": ("Матем.", 4, "marks"),
    "Информатика": ("Информ.", 4, "marks"), "Окружающий мир": ("Окр. мир", 5, "marks"),
    "История": ("Ист.", 6, "marks"), "Обществознание": ("Общ.", 6, "marks"), "География": ("Геогр.", 6, "marks"),
    "Физика": ("Физ.", 7, "marks"), "Химия": ("Хим.", 7, "marks"), "Биология": ("Биол.", 7, "marks"),
    "Основы религиозных культур и светской этики": ("ОРКСЭ", 8, "none"),
    "Основы духовно-нравственной культуры народов России": ("ОДНКНР", 8, "pass_fail"),
    "Музыка": ("Муз.", 9, "marks"), "Изобразительное искусство": ("ИЗО", 9, "marks"),
    "Труд (технология)": ("Труд", 10, "marks"), "Физическая культура": ("Физ-ра", 11, "marks"),
    "Основы безопасности и защиты Родины": ("ОБЗР", 11, "marks"), "Индивидуальный проект": ("Инд. пр.", 4, "marks"),
}
RUS, LIT_R, LIT, NATIVE, ENG, MATH, INF = ("Русский язык", "Литературное чтение", "Литература",
                                           "Родной язык (русский)", "Английский язык", "Математика", "Информатика")
WORLD, HIST, SOC, GEO, PHYS, CHEM, BIO = ("Окружающий мир", "История", "Обществознание", "География", "Физика",
                                          "Химия", "Биология")
ORKSE, ODNKNR, MUS, ART, TECH, PE, OBZR, PROJ = (
    "Основы религиозных культур и светской этики", "Основы духовно-нравственной культуры народов России",
    "Музыка", "Изобразительное искусство", "Труд (технология)", "Физическая культура",
    "Основы безопасности и защиты Родины", "Индивидуальный проект")
_PRIMARY = [(RUS, 5), (LIT_R, 4), (ENG, 2), (MATH, 4), (WORLD, 2), (NATIVE, 1), (MUS, 1), (ART, 1), (TECH, 1),
            (PE, 2)]
_SENIOR = [(RUS, 3), (LIT, 3), (ENG, 3), (MATH, 6), (INF, 2), (HIST, 2), (SOC, 2), (GEO, 1), (PHYS, 3), (CHEM, 2),
           (BIO, 2), (PE, 2), (OBZR, 1), (PROJ, 2)]
# grade -> [(subject, lessons a week)] (ФГОС-2022, five-day week: 21, 23, 23, 23, 29, 30, 32, 33, 33, 34, 34)
PLAN = {
    1: [(RUS, 5), (LIT_R, 4), (MATH, 4), (WORLD, 2), (NATIVE, 1), (MUS, 1), (ART, 1), (TECH, 1), (PE, 2)],
    2: _PRIMARY, 3: _PRIMARY,
    4: [(RUS, 5), (LIT_R, 3), (ENG, 2), (MATH, 4), (WORLD, 2), (ORKSE, 1), (NATIVE, 1), (MUS, 1), (ART, 1),
        (TECH, 1), (PE, 2)],
    5: [(RUS, 5), (LIT, 3), (ENG, 3), (MATH, 5), (HIST, 2), (GEO, 1), (BIO, 1), (MUS, 1), (ART, 1), (TECH, 2),
        (PE, 2), (ODNKNR, 1), (INF, 1), (NATIVE, 1)],
    6: [(RUS, 6), (LIT, 3), (ENG, 3), (MATH, 5), (HIST, 2), (SOC, 1), (GEO, 1), (BIO, 1), (MUS, 1), (ART, 1),
        (TECH, 2), (PE, 2), (INF, 1), (NATIVE, 1)],
    7: [(RUS, 5), (LIT, 2), (ENG, 3), (MATH, 6), (INF, 1), (HIST, 2), (SOC, 1), (GEO, 2), (PHYS, 2), (BIO, 1),
        (MUS, 1), (ART, 1), (TECH, 2), (PE, 3)],
    8: [(RUS, 4), (LIT, 3), (ENG, 3), (MATH, 6), (INF, 1), (HIST, 2), (SOC, 1), (GEO, 2), (PHYS, 2), (CHEM, 2),
        (BIO, 2), (TECH, 1), (PE, 3), (OBZR, 1)],
    9: [(RUS, 3), (LIT, 3), (ENG, 3), (MATH, 6), (INF, 1), (HIST, 3), (SOC, 1), (GEO, 2), (PHYS, 3), (CHEM, 2),
        (BIO, 2), (PE, 2), (OBZR, 1), (TECH, 1)],
    10: _SENIOR, 11: _SENIOR,
}
SCHOOL_PART = {PROJ, NATIVE}  # the part formed by the participants of the educational relations
# In grades 1–4 the class teacher teaches these subjects of his class.
CLASS_TEACHER_SUBJECTS = {RUS, LIT_R, MATH, WORLD, ORKSE, NATIVE, ART, TECH}
SPLIT = {ENG}  # split into two subgroups from the 5th grade
SPLIT_FROM = 5
# The teachers' specialities: which subjects one teacher teaches in a class (a bundle).
SPECIALITIES = [
    ("russian", [RUS, LIT, NATIVE]), ("math", [MATH]), ("informatics", [INF, PROJ]), ("english", [ENG]),
    ("history", [HIST, SOC, ODNKNR]), ("geography", [GEO]), ("biology", [BIO, CHEM]), ("physics", [PHYS]),
    ("music", [MUS]), ("art", [ART, TECH]), ("sport", [PE, OBZR]),
]
SPECIALITY_OF = {s: name for name, subjects in SPECIALITIES for s in subjects}

SECTIONS = {
    RUS: ["Фонетика и орфоэпия", "Морфемика и словообразование", "Лексикология", "Морфология", "Синтаксис",
          "Пунктуация", "Орфография", "Развитие речи"],
    LIT: ["Фольклор", "Древнерусская литература", "Литература XVIII века", "Литература XIX века",
          "Литература XX века", "Зарубежная литература"],
    LIT_R: ["Сказки", "Стихи о природе", "Рассказы о детях", "Басни", "Произведения о Родине"],
    MATH: ["Натуральные числа", "Дроби", "Уравнения", "Функции и графики", "Геометрические фигуры", "Проценты",
           "Степени и корни", "Текстовые задачи", "Элементы статистики"],
    ENG: ["Школьные дни", "Семья и друзья", "Мой дом", "Путешествия", "Спорт и здоровье", "Природа и экология",
          "Наука и техника", "Праздники"],
    HIST: ["Древний мир", "Средние века", "Россия в Средние века", "Новое время", "Россия в XVIII веке",
           "Россия в XIX веке", "Новейшая история"],
    PHYS: ["Механическое движение", "Силы", "Давление", "Работа и энергия", "Тепловые явления",
           "Электрические явления", "Оптика"],
    BIO: ["Клетка", "Растения", "Животные", "Человек", "Экосистемы"],
    CHEM: ["Первоначальные понятия", "Строение атома", "Химическая связь", "Классы соединений", "Реакции"],
    GEO: ["Земля во Вселенной", "Литосфера", "Гидросфера", "Атмосфера", "Материки и океаны", "География России"],
    WORLD: ["Природа вокруг нас", "Человек и общество", "Родная страна", "Правила безопасности"],
    INF: ["Информация", "Компьютер", "Алгоритмы", "Программирование", "Моделирование"],
    PE: ["Лёгкая атлетика", "Гимнастика", "Спортивные игры", "Лыжная подготовка", "Плавание"],
}
LESSON_KINDS = ["введение", "изучение нового материала", "закрепление", "решение задач", "практикум",
                "повторение и обобщение"]
CLASSWORK = {
    RUS: ["Самостоятельная работа", "Диктант", "Проверочная работа"],
    LIT: ["Сочинение", "Тест", "Самостоятельная работа"],
    PHYS: ["Лабораторная работа", "Тест", "Самостоятельная работа"],
    CHEM: ["Лабораторная работа", "Тест", "Самостоятельная работа"],
    BIO: ["Лабораторная работа", "Тест", "Самостоятельная работа"],
    PE: ["Практическая работа"], TECH: ["Практическая работа", "Проект"], ART: ["Практическая работа"],
    INF: ["Практическая работа", "Тест"], PROJ: ["Проект"],
}
CLASSWORK_DEFAULT = ["Самостоятельная работа", "Тест", "Проверочная работа", "Практическая работа"]
# Attendance: a student's absence rate (lognormal around MEDIAN), spread over illness spells and
# excused days; single lessons missed or arrived late to, at random.
ABSENCE_MEDIAN, ABSENCE_SPREAD = 0.03, 0.6
SINGLE_ABSENT, SINGLE_LATE = 0.006, 0.005
LEAVE_REASONS = [("relocation", "МАОУ «СОШ № 3», г. Екатеринбург"),
                 ("other_school", "МБОУ «Гимназия № 2», г. Заречный"), ("family", "семейное обучение")]

FEMALE_FIRST = ["Анна", "Мария", "Дарья", "Полина", "София", "Ксения", "Алина"]
MALE_FIRST = ["Иван", "Артём", "Максим", "Егор", "Кирилл", "Тимофей", "Роман"]
