"""«Ученики и родители»: the import (issue 17.1) and the export (17.2) of the organization's students with their
parents, in one layout.

A row is a student and up to two parents («Родитель 1: …», «Родитель 2: …»). A family may also take several
rows: the same student (the same СНИЛС) on another row with other parents; his own cells must then agree.

Who is who:
- a student is the card with the row's СНИЛС, else the card with the same full name and date of birth (any
  status); never a second card. New students are enrolled by the enrollment order of their row (number and
  date): one order of the movement book per (number, date), with all its students, applied
  (services/movement/admission.py `enroll_cards`); an applied enrollment order of that number and date already
  in the book gets them.
- a parent card has no СНИЛС and no date of birth, so a parent is the one with the same full name and the same
  phone (its digits), else the same full name and e-mail; without either, the same full name among the
  parents already linked to that student. Two rows naming the same parent (full name and phone or e-mail) name
  one person: siblings share a parent card.

An existing student whose cells differ from his card is updated (the changed fields are listed); an empty cell
never erases what the card holds; a student's class and enrollment order are the movement book's — a different
class in the file is a bad row (a transfer is an order). Links between parents and children are only added,
never removed. Every card is checked by its rules (services/people/cards.py), each problem is a bad row. The
same file imported twice changes nothing the second time.

Performance: the organization's students, parents, links and classes are read once (a few statements), every
row is matched in memory, the cards' rules check the СНИЛС and file numbers against the keys read once
(`cards.TakenKeys`), and the new students of an order are enrolled in one batch.
"""
import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Parent, ParentRelation, SchoolClass, Sex, Student, StudentStatus, db
from services import dates, permissions
from services.errors import DomainError
from services.imports._lists import writing
from services.imports.core import (CREATE, SKIP, UPDATE, Column, Importer, check_lengths, norm, parse_choice,
                                   parse_date_cell)
from services.movement import admission, enrollment
from services.org.years import current_year
from services.people import cards as card_rules
from services.people import contingent
from services.validation import normalize_snils

def _code_hint(field):
    return "Одно из: " + "; ".join(c.label for c in contingent.CODES[field])


# The federal contingent register's data of the card (services/people/contingent.py): optional columns; a coded
# one holds the Russian label of its code list (the export writes the labels), the empty cell changes nothing.
CONTINGENT_COLUMNS = (
    Column("citizenship", "Гражданство", False, "Российская Федерация", _code_hint("citizenship")),
    Column("citizenship_country", "Страна гражданства", False, "", "Только для иностранного гражданства"),
    Column("birth_place", "Место рождения", False, "г. Тест"),
    Column("registration_address", "Адрес регистрации", False, "г. Тест, ул. Школьная, д. 1, кв. 2",
           "По месту жительства (регистрации); может отличаться от адреса проживания"),
    Column("health_group", "Группа здоровья", False, "II", "I, II, III, IV или V (или 1–5)"),
    Column("disability", "Инвалидность", False, "Нет", "Да или Нет"),
    Column("disability_category", "Категория инвалидности", False, "", _code_hint("disability_category")),
    Column("disability_until", "Инвалидность установлена до", False, "", "дд.мм.гггг"),
    Column("ovz", "ОВЗ", False, "Нет", "Ограниченные возможности здоровья: Да или Нет",
           aliases=("Ограниченные возможности здоровья (ОВЗ)",)),
    Column("adapted_program", "Адаптированная программа (АООП, вариант)", False, "",
           "Обязательна для обучающегося с ОВЗ", aliases=("Адаптированная программа",)),
    Column("study_form", "Форма обучения", False, "Очная", _code_hint("study_form")),
    Column("funding", "Форма финансирования", False, "Бюджет: местный", _code_hint("funding")),
    Column("previous_doc_kind", "Документ о предыдущем образовании: вид", False, "", _code_hint("previous_doc_kind")),
    Column("previous_doc_series", "Документ о предыдущем образовании: серия", False, ""),
    Column("previous_doc_number", "Документ о предыдущем образовании: номер", False, ""),
    Column("previous_doc_date", "Документ о предыдущем образовании: дата выдачи", False, "", "дд.мм.гггг"),
    Column("previous_doc_issued_by", "Документ о предыдущем образовании: кем выдан", False, ""),
)
CONTINGENT_KEYS = tuple(c.key for c in CONTINGENT_COLUMNS)


def _code_choices(field):
    """{normalized text: code}: the label, the code itself; «да»/«нет»; a health group also as 1–5."""
    out = {}
    for c in contingent.CODES[field]:
        out[norm(c.label)] = c.value
        out[norm(c.value)] = c.value
    if field == "health_group":
        out.update({norm(arabic): roman for arabic, roman in contingent.ARABIC_HEALTH.items()})
    return out


CODE_CHOICES = {field: _code_choices(field) for field in contingent.CODES}
CODE_LABELS = {field: {c.value: c.label for c in codes} for field, codes in contingent.CODES.items()}

STUDENT_COLUMNS = (
    Column("last_name", "Фамилия", True, "Иванов", "Фамилия ученика"),
    Column("first_name", "Имя", True, "Пётр", "Имя ученика"),
    Column("middle_name", "Отчество", False, "Сергеевич", "Отчество ученика, если есть"),
    Column("sex", "Пол", True, "м", "м или ж"),
    Column("birth_date", "Дата рождения", True, "01.03.2015", "дд.мм.гггг"),
    Column("snils", "СНИЛС", True, "112-233-445 95", "11 цифр, XXX-XXX-XXX YY; по нему ученик находится в базе"),
    Column("klass", "Класс (группа)", True, "5А", "Название класса (в колледже — группы) текущего учебного года",
           aliases=("Класс", "Группа")),
    Column("personal_file_number", "№ личного дела", True, "Л-101", "Номер личного дела"),
    Column("order_number", "Приказ о зачислении №", False, "12-у",
           "Для нового ученика обязателен: ученик зачисляется этим приказом книги движения (один приказ на "
           "номер и дату)"),
    Column("order_date", "Дата приказа о зачислении", False, "28.08.2026",
           "дд.мм.гггг; для нового ученика обязательна"),
    Column("address", "Адрес", False, "г. Тест, ул. Школьная, д. 1, кв. 2", "Адрес проживания"),
    Column("birth_certificate_series", "Свидетельство о рождении: серия", False, "II-АБ"),
    Column("birth_certificate_number", "Свидетельство о рождении: номер", False, "123456"),
    Column("birth_certificate_date", "Свидетельство о рождении: дата выдачи", False, "10.03.2015", "дд.мм.гггг"),
    Column("passport_series", "Паспорт: серия", False, "", "4 цифры; с 14 лет серия и номер паспорта обязательны"),
    Column("passport_number", "Паспорт: номер", False, "", "6 цифр"),
    Column("passport_date", "Паспорт: дата выдачи", False, "", "дд.мм.гггг"),
    Column("passport_issued_by", "Паспорт: кем выдан", False, ""),
) + CONTINGENT_COLUMNS
PARENT_FIELDS = (("last_name", "фамилия", "Иванова"), ("first_name", "имя", "Мария"),
                 ("middle_name", "отчество", "Ивановна"), ("relation", "кем приходится", "мать"),
                 ("phone", "телефон", "+7 900 123-45-67"), ("email", "эл. почта", "ivanova@example.ru"))
PARENTS = 2
CHUNK = 250  # students enrolled, parents written, between two steps of the progress bar


def _parent_columns(n):
    return tuple(Column(f"p{n}_{key}", f"Родитель {n}: {label}", False, example if n == 1 else "",
                        {"relation": "мать, отец, опекун / попечитель или иной законный представитель",
                         "phone": "по фамилии, имени, отчеству и телефону (или эл. почте) родитель находится в "
                                  "базе: у братьев и сестёр — одна карточка родителя"}.get(key, ""))
                 for key, label, example in PARENT_FIELDS)


COLUMNS = STUDENT_COLUMNS + tuple(c for n in range(1, PARENTS + 1) for c in _parent_columns(n))
# The card's own fields the file may change (the class and the enrollment order are the movement book's).
CARD_KEYS = ("last_name", "first_name", "middle_name", "sex", "birth_date", "snils", "personal_file_number",
             "address", "birth_certificate_series", "birth_certificate_number", "birth_certificate_date",
             "passport_series", "passport_number", "passport_date", "passport_issued_by") + CONTINGENT_KEYS
DATE_KEYS = ("birth_date", "birth_certificate_date", "passport_date", "disability_until", "previous_doc_date")
PARENT_KEYS = ("last_name", "first_name", "middle_name", "relation", "phone", "email")
LIMITS = {"last_name": 100, "first_name": 100, "middle_name": 100, "snils": 14, "personal_file_number": 50,
          "order_number": 50, "address": 500, "birth_certificate_series": 20, "birth_certificate_number": 20,
          "passport_series": 4, "passport_number": 6, "passport_issued_by": 300, "klass": 30,
          **{f"p{n}_{k}": v for n in range(1, PARENTS + 1) for k, v in
             (("last_name", 100), ("first_name", 100), ("middle_name", 100), ("phone", 50), ("email", 200))},
          **{k: Student.__table__.c[k].type.length for k in contingent.TEXTS}}
SEX = {"м": Sex.MALE.value, "муж": Sex.MALE.value, "мужской": Sex.MALE.value,
       "ж": Sex.FEMALE.value, "жен": Sex.FEMALE.value, "женский": Sex.FEMALE.value}
SEX_LABEL = {Sex.MALE.value: "м", Sex.FEMALE.value: "ж"}
RELATIONS = {**{norm(r.label): r.value for r in ParentRelation},
             "опекун": ParentRelation.GUARDIAN.value, "попечитель": ParentRelation.GUARDIAN.value}
RELATION_LABEL = {r.value: r.label.lower() for r in ParentRelation}
FIELD_LABELS = {"last_name": "фамилия", "first_name": "имя", "middle_name": "отчество", "sex": "пол",
                "birth_date": "дата рождения", "snils": "СНИЛС", "personal_file_number": "№ личного дела",
                "address": "адрес", "birth_certificate_series": "серия свидетельства",
                "birth_certificate_number": "номер свидетельства", "birth_certificate_date": "дата свидетельства",
                "passport_series": "серия паспорта", "passport_number": "номер паспорта",
                "passport_date": "дата выдачи паспорта", "passport_issued_by": "кем выдан паспорт",
                "relation": "кем приходится", "phone": "телефон", "email": "эл. почта",
                **{k: Student.__labels__[k].lower() for k in CONTINGENT_KEYS}}


def _name_key(last, first, middle):
    return " ".join(norm(p) for p in (last, first, middle) if p)


def _digits(phone):
    return re.sub(r"\D", "", phone or "")


def parent_keys(last, first, middle, phone, email):
    """The keys a parent is known by (full name + phone digits, full name + e-mail), most certain first."""
    name = _name_key(last, first, middle)
    keys = []
    if _digits(phone):
        keys.append((name, "phone", _digits(phone)[-10:]))
    if email:
        keys.append((name, "email", email.strip().lower()))
    return keys


def _full(last, first, middle):
    return " ".join(p for p in (last, first, middle) if p)


class _Student:
    """One student of the file: his card's values, where he is, his parents."""

    def __init__(self, row, values, klass, order):
        self.row, self.values, self.klass, self.order = row, values, klass, order
        self.card = None  # the existing Student, or None: a new one
        self.changes = {}
        self.parents = []  # [_Parent]
        self.new = None  # the Student made by the enrollment

    @property
    def label(self):
        v = self.values
        return f"{_full(v['last_name'], v['first_name'], v['middle_name'])}, {self.klass.name if self.klass else '—'}"


class _Parent:
    def __init__(self, row, values):
        self.row, self.values = row, values
        self.card = None  # an existing Parent, or None
        self.changes = {}
        self.students = []

    @property
    def label(self):
        return _full(self.values["last_name"], self.values["first_name"], self.values["middle_name"])


class StudentsImporter(Importer):
    students = None  # set by plan()
    code = "students"
    title = "Ученики и родители"
    columns = COLUMNS
    resource = "student"
    filename = "ucheniki-i-roditeli"

    # -- reading the organization once ------------------------------------------------------------------

    def _load(self, actor):
        org_id = self._org_id = actor.org_id
        year = current_year(actor.org)
        self.year = year
        self.classes = {}
        if year is not None:
            for klass in db.session.scalars(select(SchoolClass).where(SchoolClass.org_id == org_id,
                                                                      SchoolClass.year_id == year.id)):
                self.classes[norm(klass.name)] = klass
        students = db.session.scalars(select(Student).where(Student.org_id == org_id)).all()
        self.by_snils = {s.snils: s for s in students}
        self.by_name = {}
        for s in students:
            self.by_name.setdefault((_name_key(s.last_name, s.first_name, s.middle_name), s.birth_date), s)
        parents = db.session.scalars(select(Parent).where(Parent.org_id == org_id)
                                     .options(selectinload(Parent.children))).all()
        self.parent_by_key = {}
        self.parents_of = {}  # student id → [Parent]
        for p in sorted(parents, key=lambda p: p.id):
            for key in parent_keys(p.last_name, p.first_name, p.middle_name, p.phone, p.email):
                self.parent_by_key.setdefault(key, p)
            for child in p.children:
                self.parents_of.setdefault(child.id, []).append(p)
        self.taken = card_rules.TakenKeys(org_id)
        self.today = dates.today(actor.org)

    # -- planning ---------------------------------------------------------------------------------------

    def plan(self, actor, rows, preview):
        for view, verb in (("student", "create"), ("student", "edit"), ("parent", "create"), ("parent", "edit"),
                           (admission.VIEW, "create"), (admission.VIEW, "apply")):
            permissions.require(actor, view, verb)
        self._load(actor)
        check_lengths(rows, self.columns, preview, LIMITS)
        bad = {e.row for e in preview.errors}
        college = bool(actor.org and actor.org.is_college)
        self.students, self.new_parents = [], []
        by_snils, by_name, by_file, parents_seen = {}, {}, {}, {}
        for row in rows:
            if row.number in bad:
                continue
            student = self._student_of_row(row, preview, college)
            if student is None:
                continue
            snils = student.values["snils"]
            first = by_snils.get(snils)
            if first is not None:
                differ = [FIELD_LABELS[k] for k in CARD_KEYS
                          if student.values[k] is not None and first.values[k] != student.values[k]]
                if first.klass is not student.klass or first.order != student.order:
                    differ.append("класс или приказ о зачислении")
                if differ:
                    preview.error(row, self.column("snils"), f"СНИЛС {snils} уже указан в строке {first.row.number} "
                                  f"у другого ученика или с другими данными ({', '.join(differ)})")
                    continue
                target = first  # a family on several rows: the same student, other parents
            else:
                name = (_name_key(*(student.values[k] for k in ("last_name", "first_name", "middle_name"))),
                        student.values["birth_date"])
                twin = by_name.get(name)
                if twin is not None:
                    preview.error(row, self.column("snils"), f"этот ученик (ФИО и дата рождения) уже есть в строке "
                                  f"{twin.row.number} с другим СНИЛС")
                    continue
                file_twin = by_file.get(student.values["personal_file_number"])
                if file_twin is not None:
                    preview.error(row, self.column("personal_file_number"),
                                  f"№ личного дела {student.values['personal_file_number']} уже указан в строке "
                                  f"{file_twin.row.number} у другого ученика")
                    continue
                if not self._match_student(student, row, preview):
                    continue
                by_snils[snils], by_name[name] = student, student
                by_file[student.values["personal_file_number"]] = student
                self.students.append(student)
                target = student
            for n in range(1, PARENTS + 1):
                self._parent_of_row(row, n, target, preview, parents_seen)
        self._orders(actor, preview)
        self._record(preview)

    def _student_of_row(self, row, preview, college):
        errors_before = len(preview.errors)
        values = {k: row.get(k) for k in CARD_KEYS}
        for key in DATE_KEYS:
            values[key] = parse_date_cell(row, self.column(key), preview)
        if row.get("sex") is not None:
            values["sex"] = parse_choice(row, self.column("sex"), preview, SEX)
        for key in contingent.CODES:
            if row.get(key) is not None:
                values[key] = self._code(row, key, preview)
        if values["snils"]:
            try:
                values["snils"] = normalize_snils(values["snils"])
            except ValueError as exc:
                preview.error(row, self.column("snils"), str(exc))
        klass = None
        name = row.get("klass")
        if name is None:
            preview.error(row, self.column("klass"), "заполните")
        else:
            klass = self.classes.get(norm(name))
            if klass is None:
                where = f"в учебном году {self.year.name}" if self.year else "(в организации нет учебного года)"
                preview.error(row, self.column("klass"), f"{'группа' if college else 'класс'} «{name}» не найден"
                              f"{'а' if college else ''} {where}")
        order_date = parse_date_cell(row, self.column("order_date"), preview)
        order = (row.get("order_number"), order_date) if row.get("order_number") or order_date else None
        for key in ("last_name", "first_name", "sex", "birth_date", "snils", "personal_file_number"):
            if row.get(key) is None:
                preview.error(row, self.column(key), "заполните")
        if len(preview.errors) > errors_before:
            return None
        return _Student(row, values, klass, order)

    def _code(self, row, key, preview):
        """A coded cell (its Russian label, or the code) as the code; another text is a bad row naming the list."""
        value = row.get(key)
        found = CODE_CHOICES[key].get(norm(value))
        if found is None:
            preview.error(row, self.column(key), f"«{value}» — нет в справочнике; допустимо: "
                          + "; ".join(CODE_LABELS[key].values()))
        return found

    def _probe(self, student, card=None):
        """A transient card with the row's values over the existing card's, for the card's rules."""
        values = {k: v for k, v in student.values.items() if v is not None}
        if card is not None:
            base = {k: getattr(card, k) for k in CARD_KEYS}
            base.update(values)
            return Student(id=card.id, org_id=card.org_id, class_id=card.class_id, status=card.status,
                           enrollment_order_number=card.enrollment_order_number,
                           enrollment_order_date=card.enrollment_order_date, **base)
        number, day = student.order or (None, None)
        return Student(org_id=self.org_id, class_id=student.klass.id, status=StudentStatus.STUDYING.value,
                       enrollment_order_number=number, enrollment_order_date=day, **values)

    def _check_card(self, probe, row, preview):
        with db.session.no_autoflush:
            try:
                card_rules.validate_student(probe, today=self.today, taken=self.taken)
            except DomainError as exc:
                for message in exc.errors or [exc.message]:
                    preview.error(row, "", message)
                return False
        return True

    def _match_student(self, student, row, preview):
        v = student.values
        card = self.by_snils.get(v["snils"]) or self.by_name.get(
            (_name_key(v["last_name"], v["first_name"], v["middle_name"]), v["birth_date"]))
        if card is None:
            if student.order is None or not student.order[0] or student.order[1] is None:
                column = self.column("order_number" if student.order is None or not student.order[0]
                                     else "order_date")
                preview.error(row, column, "новый ученик зачисляется приказом: укажите номер и дату приказа о "
                                           "зачислении")
                return False
            ok = self._check_card(self._probe(student), row, preview)
            if ok:
                self.taken.cards[("snils", v["snils"])] = (-row.number, student.label)
                self.taken.cards[("personal_file_number", v["personal_file_number"])] = (-row.number, student.label)
            return ok
        student.card = card
        if card.status != StudentStatus.STUDYING.value:
            preview.error(row, self.column("klass"), f"{card.full_name} — «{StudentStatus(card.status).label}»: "
                          "вновь зачисляют приказом книги движения, не импортом")
            return False
        if card.class_id != student.klass.id:
            current = card.klass.name if card.klass is not None else "—"
            preview.error(row, self.column("klass"), f"{card.full_name} сейчас в «{current}»: перевод в "
                          f"«{student.klass.name}» оформляется приказом книги движения, не импортом")
            return False
        if student.order is not None and (student.order[0], student.order[1]) != \
                (card.enrollment_order_number, card.enrollment_order_date) and all(student.order):
            preview.error(row, self.column("order_number"),
                          f"в карточке приказ о зачислении № {card.enrollment_order_number} от "
                          f"{dates.format_date(card.enrollment_order_date)}: изменить его импортом нельзя")
            return False
        student.changes = {k: (getattr(card, k), val) for k, val in v.items()
                           if val is not None and getattr(card, k) != val}
        if student.changes and not self._check_card(self._probe(student, card), row, preview):
            return False
        return True

    def _parent_of_row(self, row, n, student, preview, seen):
        cells = {k: row.get(f"p{n}_{k}") for k in PARENT_KEYS}
        if not any(cells.values()):
            return
        column = self.column(f"p{n}_last_name")
        relation_col = self.column(f"p{n}_relation")
        if cells["relation"] is not None:
            cells["relation"] = parse_choice(row, relation_col, preview, RELATIONS)
            if cells["relation"] is None:
                return
        probe = Parent(org_id=self.org_id, **cells)
        try:
            card_rules.validate_parent(probe)
        except DomainError as exc:
            for message in exc.errors or [exc.message]:
                preview.error(row, column, message)
            return
        cells = {k: getattr(probe, k) for k in PARENT_KEYS}
        keys = parent_keys(cells["last_name"], cells["first_name"], cells["middle_name"], cells["phone"],
                           cells["email"])
        name = _name_key(cells["last_name"], cells["first_name"], cells["middle_name"])
        parent = next((seen[k] for k in keys if k in seen), None)
        if parent is None and not keys:
            parent = seen.get((name, "child", id(student)))
        if parent is not None:  # a parent named before in the file (a sibling's, or this child's again)
            differ = [FIELD_LABELS[k] for k in PARENT_KEYS if cells[k] is not None
                      and parent.values[k] is not None and parent.values[k] != cells[k]]
            if differ:
                preview.error(row, column, f"родитель «{parent.label}» указан в строке {parent.row.number} с "
                              f"другими данными ({', '.join(differ)})")
                return
            for k in PARENT_KEYS:
                if parent.values[k] is None and cells[k] is not None:
                    parent.values[k] = cells[k]
        else:
            parent = _Parent(row, cells)
            card = next((self.parent_by_key[k] for k in keys if k in self.parent_by_key), None)
            if card is None and student.card is not None:  # no phone, no e-mail: among this child's parents
                card = next((p for p in self.parents_of.get(student.card.id, ())
                             if _name_key(p.last_name, p.first_name, p.middle_name) == name), None)
            parent.card = card
            self.new_parents.append(parent)
        for k in keys:
            seen.setdefault(k, parent)
        seen.setdefault((name, "child", id(student)), parent)
        if student not in parent.students:
            parent.students.append(student)
            student.parents.append(parent)

    def _orders(self, actor, preview):
        """New students' orders: one per (number, date); a number the book already has for something else
        is a bad row of each of its students."""
        asked = {}
        for student in self.students:
            if student.card is None:
                number, day = student.order
                if (number, day) not in asked:
                    asked[(number, day)] = admission.order_conflict(actor, number, day)
                problem = asked[(number, day)]
                if problem:
                    preview.error(student.row, self.column("order_number"), problem)

    def _record(self, preview):
        """What the rows without errors will do: listed even when other rows are bad (the file then loads
        nothing, but the preview shows the rest of it)."""
        for parent in self.new_parents:
            card = parent.card
            if card is not None:
                parent.changes = {k: (getattr(card, k), val) for k, val in parent.values.items()
                                  if val is not None and getattr(card, k) != val}
        for student in self.students:
            if student.card is None:
                number, day = student.order
                preview.change(CREATE, "Ученик", student.label, student.row,
                               f"приказ о зачислении № {number} от {dates.format_date(day)}")
                continue
            linked = {p.id for p in self.parents_of.get(student.card.id, ())}
            detail = [f"{FIELD_LABELS[k]}: {_shown(old, k)} → {_shown(new, k)}"
                      for k, (old, new) in student.changes.items()]
            detail += [f"новый родитель: {p.label}" for p in student.parents
                       if p.card is None or p.card.id not in linked]
            preview.change(UPDATE if detail else SKIP, "Ученик", student.label, student.row, "; ".join(detail))
        for parent in self.new_parents:
            if parent.card is None:
                preview.change(CREATE, "Родитель", parent.label, parent.row,
                               "дети: " + ", ".join(s.label for s in parent.students))
            elif parent.changes:
                detail = "; ".join(f"{FIELD_LABELS[k]}: {_shown(old, k)} → {_shown(new, k)}"
                                   for k, (old, new) in parent.changes.items())
                preview.change(UPDATE, "Родитель", parent.label, parent.row, detail)
            else:
                preview.change(SKIP, "Родитель", parent.label, parent.row)

    @property
    def org_id(self):
        return self._org_id

    # -- applying ---------------------------------------------------------------------------------------

    def apply(self, actor, rows, preview, progress=None):
        if getattr(self, "students", None) is None:  # run() planned this file on this instance just before
            self.plan(actor, rows, preview)
            if preview.errors:
                return
        total = max(len(self.students) + len(self.new_parents), 1)
        done = 0

        def step(n):
            nonlocal done
            done += n
            if progress is not None:
                progress(min(done, total), total)

        # A row another user (another tab, another worker) has just written under the same СНИЛС or file number
        # is refused like a bad row, and nothing of the file stays.
        with writing(preview):
            for student in self.students:  # the existing cards' changes
                for key, (_, new) in student.changes.items():
                    setattr(student.card, key, new)
            step(sum(1 for s in self.students if s.card is not None))
            groups = {}
            for student in self.students:
                if student.card is None:
                    groups.setdefault(student.order, []).append(student)
            for (number, day), members in groups.items():
                # One order per number and date: the first part makes and applies it, the next ones join it (the
                # applied order of that number and date), so the progress moves and nothing is planned twice.
                for start in range(0, len(members), CHUNK):
                    part = members[start:start + CHUNK]
                    entries = [(enrollment.normalize_card(student.values)[0], student.klass.id) for student in part]
                    for student, new in zip(part, admission.enroll_cards(actor, number, day, entries)):
                        student.new = new
                    step(len(part))
            for start in range(0, len(self.new_parents), CHUNK):
                for parent in self.new_parents[start:start + CHUNK]:
                    card = parent.card
                    if card is None:
                        card = Parent(org_id=actor.org_id, **parent.values)
                        card.children = []
                        db.session.add(card)
                    else:
                        for key, (_, new) in parent.changes.items():
                            setattr(card, key, new)
                    have = {c.id for c in card.children} if parent.card is not None else set()
                    for student in parent.students:
                        child = student.card or student.new
                        if child.id not in have:
                            card.children.append(child)
                db.session.flush()
                step(len(self.new_parents[start:start + CHUNK]))
        if not preview.errors:
            self._record(preview)

    # -- exporting --------------------------------------------------------------------------------------

    def export_rows(self, actor):
        students = db.session.scalars(select(Student).where(
            Student.org_id == actor.org_id, Student.status == StudentStatus.STUDYING.value)
            .options(selectinload(Student.parents), selectinload(Student.klass))
            .order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)).all()
        rows = []
        for s in students:
            base = {k: getattr(s, k) for k in CARD_KEYS}
            for key in contingent.CODES:
                base[key] = CODE_LABELS[key].get(base[key], base[key])
            base.update(sex=SEX_LABEL.get(s.sex, s.sex), klass=s.klass.name if s.klass else None,
                        order_number=s.enrollment_order_number, order_date=s.enrollment_order_date)
            parents = sorted(s.parents, key=lambda p: p.id)
            chunks = [parents[i:i + PARENTS] for i in range(0, len(parents), PARENTS)] or [[]]
            for chunk in chunks:
                row = dict(base)
                for n, p in enumerate(chunk, start=1):
                    for key in PARENT_KEYS:
                        value = getattr(p, key)
                        row[f"p{n}_{key}"] = RELATION_LABEL.get(value, value) if key == "relation" else value
                rows.append(row)
        return rows


def _shown(value, key=None):
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return dates.format_date(value)
    if key == "relation":
        return RELATION_LABEL.get(value, value)
    if key in CODE_LABELS:
        return CODE_LABELS[key].get(value, value)
    return str(value)
