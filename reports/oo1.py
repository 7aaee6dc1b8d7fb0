"""The federal statistical form ОО-1 (seed 001 §10.3 names ОШ-1, ОШ-5, ОШ-9; ОО-1 replaced them):
«Сведения об организации, осуществляющей подготовку по образовательным программам начального общего,
основного общего, среднего общего образования» — the sections a school fills from its own data; in a
college, the headcount sections of СПО-1 instead.

Everything is counted as of the form's date (by default 20 September of the academic year, the form's
report date) from the movement book's history: the class lists on the date (`data.rosters`, the same
stays every report counts), the movement from the year's first day to the date (`reports.movement
.school_movement`, the figures of «Движение учащихся»), the year-end orders of the previous year, the
contingent data of the students' cards (ОВЗ, disability, the foreign language) and the staff cards with
their positions. Ages are full years on 1 January of the year after the form's year begins.

Every figure is a set of students (or staff, or classes): `Cell.ids`. A cell's address
«раздел:строка:графа» (`drill`) lists whom it counts, read through the actor's rows of the cards.
A fixed number of statements whatever the number of classes, students or staff.
"""
import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import (AcademicYear, ClassMembership, LeaveReason, MovementItem, MovementKind, MovementOrder,
                    OrderStatus, SchoolClass, Specialty, Staff, Student, StudyForm, YesNo, db)
from reports import data
from reports.document import Column, Document, director_line, person_name, slug
from reports.movement import school_movement
from reports.registry import report
from services import permissions
from services.errors import DomainError
from services.movement.roster import covers

VIEW = "report_oo1"
M = ClassMembership
K = MovementKind
YES = YesNo.YES.value
FEMALE = "f"
SCHOOL_LEVELS = (("1–4 классы", 1, 4), ("5–9 классы", 5, 9), ("10–11 классы", 10, 11))
SIZE_BANDS = (("до 10 обучающихся", 0, 10), ("11–15", 11, 15), ("16–20", 16, 20), ("21–25", 21, 25),
              ("26–30", 26, 30), ("31 и более", 31, None))
# The reasons a school's students leave by (a college's: every reason); another one that occurs is shown too.
SCHOOL_REASONS = (LeaveReason.OTHER_SCHOOL.value, LeaveReason.RELOCATION.value, LeaveReason.FAMILY.value,
                  LeaveReason.HEALTH.value, LeaveReason.OTHER.value)
REASON_SHORT = {LeaveReason.OTHER_SCHOOL.value: "в другую организацию", LeaveReason.RELOCATION.value: "смена места "
                "жительства", LeaveReason.FAMILY.value: "по заявлению родителей", LeaveReason.OWN_WISH.value:
                "по собственному желанию", LeaveReason.HEALTH.value: "по состоянию здоровья",
                LeaveReason.FAILURE.value: "за неуспеваемость", LeaveReason.DISCIPLINE.value: "за нарушение устава",
                LeaveReason.OTHER.value: "по иным причинам"}
ADDRESS = re.compile(r"^(\d(?:\.\d){1,2}):(\d{2}):(\d{1,2})$")


@dataclass
class Cell:
    ids: dict = field(default_factory=dict)  # {student, staff or class id: where (a class's name) or ""}
    kind: str = "student"  # student | staff | class

    @property
    def value(self):
        return len(self.ids)


@dataclass
class FormTable:
    """One section of the form: its columns are the graphs from 3 on (1: the line's name, 2: its number)."""

    code: str
    title: str
    columns: list  # [title] of graphs 3, 4, …
    rows: list = field(default_factory=list)  # [(line "01", label, [Cell], style)]
    note: str = ""

    def add(self, label, cells, style=""):
        self.rows.append((f"{len(self.rows) + 1:02d}", label, cells, style))

    def cell(self, line, graph):
        for number, _, cells, _ in self.rows:
            if number == line and 3 <= graph < 3 + len(cells):
                return cells[graph - 3]
        return None


@dataclass
class Form:
    org: object
    year: AcademicYear
    on: date
    age_day: date
    sections: list = field(default_factory=list)

    @property
    def college(self):
        return self.org.is_college

    def section(self, code):
        return next((s for s in self.sections if s.code == code), None)


def form_date(p):
    """The date of the form: the one given («по»), else 20 September of the year (the form's report date)."""
    if p.raw.get("to"):
        return p.end
    return min(max(date(p.year.start_date.year, 9, 20), p.year.start_date), p.year.end_date)


def _full_years(birth, on):
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _union(cells, kind="student"):
    ids = {}
    for cell in cells:
        ids.update(cell.ids)
    return Cell(ids, kind)


def _students(pairs, keep=lambda s: True):
    """A Cell of the (student, where) pairs `keep` accepts."""
    return Cell({s.id: where for s, where in pairs if keep(s)})


def _bands(form, grades):
    """The columns that split the students: a school's levels, a college's courses."""
    if form.college:
        return [(f"{g} курс", g, g) for g in grades]
    return list(SCHOOL_LEVELS)


def build_form(actor, p):
    """The form as of its date: the sections with their cells (every cell a set of ids)."""
    permissions.require(actor, VIEW, "list")
    org, year = p.org, p.year
    on = form_date(p)
    p.end = on  # the page's field «По» shows the form's date
    form = Form(org=org, year=year, on=on, age_day=date(year.start_date.year + 1, 1, 1))
    classes = data.classes_of_year(org.id, year.id, permissions.row_condition(actor, VIEW, "list", SchoolClass))
    by_id = {c.id: c for c in classes}
    rosters = data.rosters(list(by_id), on, on)
    present = [(e.student, by_id[class_id]) for class_id, entries in rosters.items() for e in entries
               if e.covers(on)]
    repeaters = _repeaters(list(by_id), on)
    moves = school_movement(actor, year.start_date, on)
    grades = sorted({c.grade for c in classes}) or ([1] if form.college else [])
    bands = _bands(form, grades)
    if form.college:
        specialties = _specialties(classes, _load_specialties(classes))
        _headcount_college(form, present, specialties, grades)
    else:
        _headcount_school(form, classes, present, repeaters)
        _class_sizes(form, classes, present)
    _ages(form, present, bands)
    _languages(form, present, bands)
    _health(form, present, bands)
    _movement(form, moves, grades)
    if form.college:
        _admission(form, moves, specialties)
    _previous_year(form, org, year, by_id)
    _staff(form, on)
    return form


def _repeaters(class_ids, on):
    """{student id}: in a class on the date by an order «оставлен на повторное обучение». One statement."""
    if not class_ids:
        return set()
    return set(db.session.scalars(
        select(M.student_id).join(MovementOrder, MovementOrder.id == M.start_order_id)
        .where(M.class_id.in_(class_ids), covers(on), M.on_leave.is_(False), MovementOrder.kind == K.REPEAT.value)))


def _specialties(classes, specialties):
    """[(label, [class])]: the classes by specialty (by code), those without one last."""
    groups = {}
    for klass in classes:
        groups.setdefault(klass.specialty_id if klass.specialty_id in specialties else None, []).append(klass)
    order = sorted((specialties[i] for i in groups if i is not None), key=lambda s: s.code)
    result = [(f"{s.code} {s.name}", groups[s.id]) for s in order]
    if None in groups:
        result.append(("Специальность не указана", groups[None]))
    return result


def _load_specialties(classes):
    """{specialty id: Specialty} of the classes: one statement."""
    ids = {c.specialty_id for c in classes} - {None}
    return {s.id: s for s in db.session.scalars(select(Specialty).where(Specialty.id.in_(ids)))} if ids else {}


# -- school: 2.1.1, 2.1.2 --------------------------------------------------------------------------

def _headcount_school(form, classes, present, repeaters):
    table = FormTable("2.1.1", "Численность обучающихся по классам",
                      ["Число классов", "Численность обучающихся", "из них девочек",
                       "из них оставленных на повторное обучение", "Обучающиеся с ОВЗ",
                       "Дети-инвалиды"])
    rows = []
    for grade in range(1, 12):
        members = [c for c in classes if c.grade == grade]
        pairs = [(s, k.name) for s, k in present if k.grade == grade]
        rows.append(_headcount_cells(members, pairs, repeaters))
        table.add(f"{grade} класс", rows[-1])
    table.add("Всего (сумма строк 01–11)", [_union([r[i] for r in rows], rows[0][i].kind) for i in range(6)],
              "total")
    table.note = ("Обучающиеся — состоящие в классе на дату формы по книге движения; оставленные на повторное "
                  "обучение — зачисленные в класс приказом «Оставление на повторное обучение».")
    form.sections.append(table)


def _headcount_cells(classes, pairs, repeaters):
    return [Cell({c.id: c.name for c in classes}, "class"), _students(pairs),
            _students(pairs, lambda s: s.sex == FEMALE), _students(pairs, lambda s: s.id in repeaters),
            _students(pairs, lambda s: s.ovz == YES), _students(pairs, lambda s: s.disability == YES)]


def _class_sizes(form, classes, present):
    sizes = {}
    for student, klass in present:
        sizes.setdefault(klass.id, []).append((student, klass.name))
    table = FormTable("2.1.2", "Распределение классов по числу обучающихся (наполняемость)",
                      ["Число классов", "Численность обучающихся в них"])
    cells = []
    for label, low, high in SIZE_BANDS:
        members = [c for c in classes if len(sizes.get(c.id, [])) >= low
                   and (high is None or len(sizes.get(c.id, [])) <= high)]
        cells.append([Cell({c.id: c.name for c in members}, "class"),
                      Cell({s.id: where for c in members for s, where in sizes.get(c.id, [])})])
        table.add(label, cells[-1])
    table.add("Всего (сумма строк 01–06)", [_union([c[0] for c in cells], "class"), _union([c[1] for c in cells])],
              "total")
    form.sections.append(table)


# -- college: 2.1 ------------------------------------------------------------------------------------

def _headcount_college(form, present, specialties, grades):
    forms = [(StudyForm.FULL_TIME.value, "очная"), (StudyForm.PART_TIME.value, "очно-заочная"),
             (StudyForm.EXTRAMURAL.value, "заочная")]
    table = FormTable("2.1", "Численность студентов по специальностям (профессиям) и курсам",
                      ["Всего"] + [f"{g} курс" for g in grades] + ["из них женщин"]
                      + [f"Форма обучения: {label}" for _, label in forms] + ["Форма обучения не указана"])
    known = {code for code, _ in forms}
    rows = []
    for label, members in specialties:
        ids = {c.id for c in members}
        pairs = [(s, k.name) for s, k in present if k.id in ids]
        cells = [_students(pairs)]
        cells += [_students([(s, k.name) for s, k in present if k.id in ids and k.grade == g]) for g in grades]
        cells.append(_students(pairs, lambda s: s.sex == FEMALE))
        cells += [_students(pairs, lambda s, code=code: s.study_form == code) for code, _ in forms]
        cells.append(_students(pairs, lambda s: s.study_form not in known))
        rows.append(cells)
        table.add(label, cells)
    width = len(table.columns)
    table.add("Всего", [_union([r[i] for r in rows]) for i in range(width)] if rows else [Cell() for _ in range(width)],
              "total")
    table.note = ("Студенты — состоящие в группе на дату формы по книге движения (кроме находящихся в "
                  "академическом отпуске).")
    form.sections.append(table)


# -- 2.2 age and sex, 2.3 languages, 2.4 health ----------------------------------------------------------

def _split(pairs, bands, grade_of):
    """The cells «всего», «из них девочек/женщин» and one per band of grades."""
    return ([_students(pairs), _students(pairs, lambda s: s.sex == FEMALE)]
            + [Cell({s.id: where for s, where in pairs if low <= grade_of[s.id] <= high}) for _, low, high in bands])


def _ages(form, present, bands):
    young, old = (15, 22) if form.college else (6, 17)
    grade_of = {s.id: k.grade for s, k in present}
    pairs = [(s, k.name) for s, k in present]
    women = "из них женщин" if form.college else "из них девочек"
    table = FormTable("2.2", f"Распределение обучающихся по возрасту и полу (число полных лет на "
                             f"{form.age_day:%d.%m.%Y})", ["Всего", women] + [title for title, _, _ in bands])
    ages = {s.id: _full_years(s.birth_date, form.age_day) for s, _ in pairs}
    table.add(f"моложе {young} лет", _split([x for x in pairs if ages[x[0].id] < young], bands, grade_of))
    for age in range(young, old + 1):
        table.add(f"{age} {_years_word(age)}", _split([x for x in pairs if ages[x[0].id] == age], bands, grade_of))
    table.add(f"{old + 1} {_years_word(old + 1)} и старше",
              _split([x for x in pairs if ages[x[0].id] > old], bands, grade_of))
    table.add(f"Всего (сумма строк 01–{len(table.rows):02d})", _split(pairs, bands, grade_of), "total")
    form.sections.append(table)


def _years_word(n):
    if n % 10 == 1 and n % 100 != 11:
        return "год"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "года"
    return "лет"


def _languages(form, present, bands):
    grade_of = {s.id: k.grade for s, k in present}
    pairs = [(s, k.name) for s, k in present]
    women = "из них женщин" if form.college else "из них девочек"
    table = FormTable("2.3", "Численность обучающихся, изучающих иностранные языки",
                      ["Всего", women] + [title for title, _, _ in bands])
    languages = sorted({(s.foreign_language or "").strip() for s, _ in pairs} - {""})
    for language in languages:
        table.add(f"{language} язык" if not language.lower().endswith("язык") else language,
                  _split([x for x in pairs if (x[0].foreign_language or "").strip() == language], bands, grade_of))
    table.add("Всего изучают иностранные языки",
              _split([x for x in pairs if (x[0].foreign_language or "").strip()], bands, grade_of), "total")
    table.add("Иностранный язык в карточке не указан",
              _split([x for x in pairs if not (x[0].foreign_language or "").strip()], bands, grade_of))
    table.note = ("По полю «Изучаемый иностранный язык» личного дела. Язык обучения в личном деле не ведётся: "
                  "раздел о языке обучения заполняется вручную.")
    form.sections.append(table)


def _health(form, present, bands):
    grade_of = {s.id: k.grade for s, k in present}
    pairs = [(s, k.name) for s, k in present]
    women = "из них женщин" if form.college else "из них девочек"
    table = FormTable("2.4", "Обучающиеся с ограниченными возможностями здоровья и инвалидностью",
                      ["Всего", women] + [title for title, _, _ in bands])
    ovz = [x for x in pairs if x[0].ovz == YES]
    disabled = [x for x in pairs if x[0].disability == YES]
    table.add("Обучающиеся с ОВЗ", _split(ovz, bands, grade_of))
    table.add("из них по адаптированной образовательной программе",
              _split([x for x in ovz if (x[0].adapted_program or "").strip()], bands, grade_of))
    table.add("Инвалиды" if form.college else "Дети-инвалиды (инвалиды)", _split(disabled, bands, grade_of))
    table.add("из них с ОВЗ", _split([x for x in disabled if x[0].ovz == YES], bands, grade_of))
    table.note = "По полям личного дела «ОВЗ», «Адаптированная программа», «Инвалидность» на дату формы."
    form.sections.append(table)


# -- movement, admission, previous year's results ------------------------------------------------------

def _move_cell(rows, key):
    ids = {}
    for row in rows:
        ids.update(dict.fromkeys(row.students(key), row.label))
    return Cell(ids)


def _movement(form, moves, grades):
    reasons = [r.value for r in LeaveReason
               if form.college or r.value in SCHOOL_REASONS or moves.total.reasons.get(r.value)]
    where = "техникума" if form.college else "школы"
    keys = [("at_start", "На начало учебного года"), ("arrived", "Прибыло всего"),
            ("enrolled", "из них зачислено (из других организаций)"), ("left", "Выбыло всего"),
            ("to_class", f"из них переведено в другие {'группы' if form.college else 'классы'}"),
            ("graduated", "выпущено"), ("left_institution", f"выбыло из {where}")]
    if form.college:
        keys.insert(6, ("on_leave", "ушли в академический отпуск"))
    keys += [(f"reason:{r}", f"в т. ч. {REASON_SHORT.get(r, LeaveReason(r).label.lower())}") for r in reasons]
    keys.append(("at_end", "На дату формы"))
    unit = "курс" if form.college else "класс"
    table = FormTable("2.5", f"Движение обучающихся с {moves.start:%d.%m.%Y} по {moves.end:%d.%m.%Y}",
                      [title for _, title in keys])
    class_rows = [r for r in moves.rows if r.kind == "class"]
    for grade in (grades if form.college else range(1, 12)):
        members = [r for r in class_rows if r.grade == grade]
        table.add(f"{grade} {unit}", [_move_cell(members, key) for key, _ in keys])
    table.add("Всего", [_move_cell(class_rows, key) for key, _ in keys], "total")
    table.note = (f"По книге движения, как в отчёте «{moves.title}»: прибывшие и выбывшие между "
                  f"{'группами' if form.college else 'классами'} учтены в своих строках; на дату формы = на начало "
                  "+ прибыло − выбыло.")
    form.sections.append(table)


def _admission(form, moves, specialties):
    table = FormTable("2.6", f"Приём с {moves.start:%d.%m.%Y} по {moves.end:%d.%m.%Y}",
                      ["Принято всего", "из них на 1 курс", "из них женщин"])
    rows = [r for r in moves.rows if r.kind == "class"]
    enrolled = {r.class_id: r.students("enrolled") for r in rows}
    ids = {sid for sids in enrolled.values() for sid in sids}
    women = set(db.session.scalars(select(Student.id).where(Student.id.in_(ids), Student.sex == FEMALE))) \
        if ids else set()
    cells = []
    for label, members in specialties:
        here = {sid: c.name for c in members for sid in enrolled.get(c.id, ())}
        first = {sid: c.name for c in members if c.grade == 1 for sid in enrolled.get(c.id, ())}
        cells.append([Cell(here), Cell(first), Cell({sid: w for sid, w in here.items() if sid in women})])
        table.add(label, cells[-1])
    table.add("Всего", [_union([c[i] for c in cells]) for i in range(3)] if cells else [Cell(), Cell(), Cell()],
              "total")
    table.note = "Зачисленные приказами книги движения за период."
    form.sections.append(table)


def _previous_year(form, org, year, by_id):
    """The previous year's year-end orders: graduates (by level or specialty), repeaters, promoted."""
    prev = db.session.scalar(select(AcademicYear).where(AcademicYear.org_id == org.id,
                                                        AcademicYear.end_date < year.start_date)
                             .order_by(AcademicYear.end_date.desc()).limit(1))
    code = "2.7" if form.college else "2.6"
    title = f"Выпуск, перевод и оставленные на повторное обучение по итогам {prev.name if prev else 'предыдущего'} " \
            "учебного года"
    table = FormTable(code, title, ["Всего", "из них женщин" if form.college else "из них девочек"])
    items = []
    if prev is not None:
        items = db.session.execute(
            select(Student, SchoolClass, MovementOrder.kind)
            .join(MovementItem, MovementItem.student_id == Student.id)
            .join(MovementOrder, MovementOrder.id == MovementItem.order_id)
            .join(SchoolClass, SchoolClass.id == MovementItem.from_class_id)
            .options(joinedload(SchoolClass.specialty))
            .where(MovementOrder.status == OrderStatus.APPLIED.value, SchoolClass.year_id == prev.id,
                   MovementOrder.kind.in_((K.GRADUATION.value, K.REPEAT.value, K.NEXT_YEAR.value)))).all()

    def row(label, keep, style=""):
        pairs = [(s, k.name) for s, k, kind in items if keep(k, kind)]
        table.add(label, [_students(pairs), _students(pairs, lambda s: s.sex == FEMALE)], style)

    graduated = K.GRADUATION.value
    if form.college:
        for label, spec_id in sorted({(f"{k.specialty.code} {k.specialty.name}" if k.specialty else
                                       "Специальность не указана", k.specialty_id) for _, k, kind in items
                                      if kind == graduated}):
            row(f"Выпущено: {label}", lambda k, kind, spec_id=spec_id: kind == graduated and k.specialty_id == spec_id)
        row("Выпущено всего", lambda k, kind: kind == graduated, "total")
    else:
        row("Выпущено из 9 классов (основное общее образование)", lambda k, kind: kind == graduated and k.grade == 9)
        row("Выпущено из 11 классов (среднее общее образование)", lambda k, kind: kind == graduated and k.grade == 11)
        row("Выпущено из других классов", lambda k, kind: kind == graduated and k.grade not in (9, 11))
    row("Переведено на следующий год обучения", lambda k, kind: kind == K.NEXT_YEAR.value)
    row("Оставлено на повторное обучение", lambda k, kind: kind == K.REPEAT.value)
    table.note = ("По проведённым приказам книги движения о выпуске, переводе и оставлении на повторное обучение "
                  f"обучающихся {'групп' if form.college else 'классов'} предыдущего учебного года." if prev is not None
                  else "Предыдущий учебный год в системе не вёлся.")
    form.sections.append(table)


# -- 3.1 staff ------------------------------------------------------------------------------------------

def _staff(form, on):
    """The staff working on the date (hired by it, not dismissed before it) by position. One statement."""
    staff = db.session.scalars(
        select(Staff).options(joinedload(Staff.position))
        .where(Staff.org_id == form.org.id, Staff.hire_date <= on,
               (Staff.dismissal_date.is_(None)) | (Staff.dismissal_date > on))
        .order_by(Staff.last_name, Staff.first_name, Staff.id)).unique().all()
    table = FormTable("3.1", "Численность работников по должностям",
                      ["Всего", "из них женщин", "в возрасте моложе 35 лет", "в возрасте 60 лет и старше",
                       "с высшей квалификационной категорией", "с первой квалификационной категорией"])

    def cells(people):
        def of(keep):
            return Cell({s.id: s.position.name if s.position else "" for s in people if keep(s)}, "staff")
        age = {s.id: _full_years(s.birth_date, on) for s in people}
        category = {s.id: (s.qualification_category or "").strip().lower() for s in people}
        return [of(lambda s: True), of(lambda s: s.sex == FEMALE),
                of(lambda s: age[s.id] is not None and age[s.id] < 35),
                of(lambda s: age[s.id] is not None and age[s.id] >= 60),
                of(lambda s: category[s.id].startswith("высш")), of(lambda s: category[s.id].startswith("перв"))]

    positions = sorted({s.position.name for s in staff if s.position is not None})
    for name in positions:
        table.add(name, cells([s for s in staff if s.position is not None and s.position.name == name]))
    if any(s.position is None for s in staff):
        table.add("Должность не указана", cells([s for s in staff if s.position is None]))
    table.add("Всего работников", cells(staff), "total")
    table.note = "Работающие на дату формы по личным делам сотрудников (приняты не позднее даты, не уволены до неё)."
    form.sections.append(table)


# -- the report ------------------------------------------------------------------------------------------

def _title(org):
    if org.is_college:
        return "Форма № СПО-1 (разделы о численности обучающихся)"
    return "Форма № ОО-1 (разделы, заполняемые по данным организации)"


def _params(form):
    return [("Учебный год", form.year.name), ("По состоянию на", f"{form.on:%d.%m.%Y}")]


@report("oo-1", "Форма ОО-1 (федеральное статистическое наблюдение)", VIEW, params=("year", "to"),
        group="Администрации", college_title="Форма СПО-1 (федеральное статистическое наблюдение)",
        description="На дату формы (по умолчанию 20 сентября): обучающиеся по классам, полу и возрасту, "
                    "иностранные языки, ОВЗ и инвалидность, движение, выпуск и второгодники, наполняемость "
                    "классов, работники по должностям; щелчок по числу — кто учтён",
        drill=lambda actor, p, cell: oo1_cell(actor, p, cell))
def oo1_report(actor, p):
    form = build_form(actor, p)
    org = form.org
    doc = Document(name="oo-1", title=_title(org), org=org, params=_params(form),
                   filename=slug("spo-1" if form.college else "oo-1", f"{form.on:%d.%m.%Y}"))
    # A sheet per section: a wide one (the movement's reasons) is split over pages alone, the rest print one
    # page wide each (reports/render.py decides per sheet).
    for section in form.sections:
        sheet = doc.sheet(f"Раздел {section.code}")
        columns = [Column("Наименование показателя", "text", 30), Column("№ строки", "text", 5)]
        columns += [Column(title, "int", 8) for title in section.columns]
        table = sheet.table(columns, title=f"Раздел {section.code}. {section.title}")
        table.add(["1", "2"] + [str(n) for n in range(3, 3 + len(section.columns))], "group")
        for line, label, cells, style in section.rows:
            links = {i: f"{section.code}:{line}:{i + 1}" for i, cell in enumerate(cells, start=2) if cell.value}
            table.add([label, line] + [cell.value for cell in cells], style, links=links)
        if section.note:
            sheet.text(section.note, "note")
    doc.sheets[-1].sign(director_line(org))
    return doc


def parse_address(cell):
    match = ADDRESS.match(cell or "")
    if match is None:
        raise DomainError("Ячейка формы не найдена", ["Адрес ячейки: раздел:строка:графа, например 2.1.1:05:4"])
    return match.group(1), match.group(2), int(match.group(3))


def oo1_cell(actor, p, cell):
    """Whom the cell «раздел:строка:графа» counts: a Document with the list (students, staff or classes)."""
    code, line, graph = parse_address(cell)
    form = build_form(actor, p)
    section = form.section(code)
    found = section.cell(line, graph) if section is not None else None
    if found is None:
        raise DomainError("Ячейка формы не найдена",
                          [f"В форме нет ячейки: раздел {code}, строка {line}, графа {graph}"])
    label = next(lbl for number, lbl, _, _ in section.rows if number == line)
    column = section.columns[graph - 3]
    doc = Document(name="oo-1", title=f"{_title(form.org)}: раздел {code}, строка {line}, графа {graph}",
                   org=form.org, params=_params(form) + [("Строка", label), ("Графа", column),
                                                         ("Число в ячейке", str(found.value))],
                   filename=slug("oo-1", code, line, graph))
    sheet = doc.sheet("Кто учтён")
    ids = list(found.ids)
    if found.kind == "student":
        cond = permissions.row_condition(actor, "student", "list", Student)
        people = db.session.scalars(select(Student).where(Student.id.in_(ids), cond)
                                    .order_by(Student.last_name, Student.first_name, Student.id)).all() if ids else []
        table = sheet.table([Column("№", "int", 4), Column("Фамилия, имя, отчество", "text", 32),
                             Column("Класс" if not form.college else "Группа", "text", 10),
                             Column("Дата рождения", "date", 11), Column("Пол", "text", 4),
                             Column("Полных лет на " + f"{form.age_day:%d.%m.%Y}", "int", 8),
                             Column("ОВЗ", "text", 5), Column("Инвалидность", "text", 8),
                             Column("Иностранный язык", "text", 12)])
        for n, s in enumerate(people, start=1):
            table.add([n, doc.student_name(s), found.ids.get(s.id, ""), s.birth_date, "ж" if s.sex == FEMALE else "м",
                       _full_years(s.birth_date, form.age_day), "да" if s.ovz == YES else "",
                       "да" if s.disability == YES else "", s.foreign_language or ""])
    elif found.kind == "staff":
        cond = permissions.row_condition(actor, "staff", "list", Staff)
        people = db.session.scalars(
            select(Staff).options(joinedload(Staff.position)).where(Staff.id.in_(ids), cond)
            .order_by(Staff.last_name, Staff.first_name, Staff.id)).unique().all() if ids else []
        table = sheet.table([Column("№", "int", 4), Column("Фамилия, имя, отчество", "text", 32),
                             Column("Должность", "text", 24), Column("Пол", "text", 4),
                             Column(f"Полных лет на {form.on:%d.%m.%Y}", "int", 8),
                             Column("Квалификационная категория", "text", 14), Column("Дата приёма", "date", 11)])
        for n, s in enumerate(people, start=1):
            table.add([n, doc.staff_name(s), s.position.name if s.position else "", "ж" if s.sex == FEMALE else "м",
                       _full_years(s.birth_date, form.on), s.qualification_category or "", s.hire_date])
    else:
        cond = permissions.row_condition(actor, VIEW, "list", SchoolClass)
        classes = db.session.scalars(select(SchoolClass).options(joinedload(SchoolClass.class_teacher))
                                     .where(SchoolClass.id.in_(ids), cond)
                                     .order_by(SchoolClass.grade, SchoolClass.name)).unique().all() if ids else []
        counts = {}
        for sec in form.sections[:1]:  # the headcount: the students of each class on the date
            for cell_ in sec.rows[-1][2][1:2]:
                for where in cell_.ids.values():
                    counts[where] = counts.get(where, 0) + 1
        table = sheet.table([Column("№", "int", 4), Column("Класс", "text", 10),
                             Column("Классный руководитель", "text", 32), Column("Обучающихся на дату", "int", 10)])
        for n, k in enumerate(classes, start=1):
            table.add([n, k.name, person_name(k.class_teacher), counts.get(k.name, 0)])
    return doc
