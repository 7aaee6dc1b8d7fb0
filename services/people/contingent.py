"""The federal contingent register's data of a student (seed 000 §1.1, §4.3: the unified requirements of the
regional segment of the federal register of students, «ФИС ФРДО / Контингент»).

- `check(student, today, errors, fields)`: the card's rules on these data, called by the card's validator
  (services/people/cards.py `validate_student`: the model form, the admission form, the enrollment order's cards,
  any import — every path flushes through it);
- `gaps(row, today)` / `incomplete()`: what a studying student's card lacks for the register (the class
  teacher's check of the first week of September: the control page's «cards» section and the report
  «Полнота данных для ФИС «Контингент»»);
- `export(actor, fmt)`: the organization's contingent in the layout of docs/CONTINGENT.md (version
  `LAYOUT_VERSION`), the read logged in access_log (action "export").
"""
import json
from datetime import date

import click
from flask.cli import AppGroup
from xml.etree import ElementTree as ET

from sqlalchemy import inspect, and_, func, or_, select
from sqlalchemy.orm import selectinload

from models import (Citizenship, DisabilityCategory, Funding, HealthGroup, Organization, PreviousDocument,
                    SchoolClass, Sex, Student, StudentStatus, StudyForm, YesNo, db)
from models import scope
from services import audit, dates, permissions, uow
from services.context import Actor
from services.errors import CommandError, DomainError
from services.validation import age_on

LAYOUT_VERSION = "1.0"
VIEW_KEY = "contingent"
FORMATS = ("json", "xml")
PASSPORT_AGE = 14  # a Russian passport is issued from the 14th birthday (the one constant; deadlines use it)

# The code lists (models/enums.py), by the card's field: docs/CONTINGENT.md lists them.
CODES = {"citizenship": Citizenship, "health_group": HealthGroup, "disability": YesNo,
         "disability_category": DisabilityCategory, "ovz": YesNo, "study_form": StudyForm, "funding": Funding,
         "previous_doc_kind": PreviousDocument}
TEXTS = ("citizenship_country", "birth_place", "registration_address", "adapted_program", "previous_doc_series",
         "previous_doc_number", "previous_doc_issued_by")
ARABIC_HEALTH = {"1": "I", "2": "II", "3": "III", "4": "IV", "5": "V"}


def choices():
    """{field: [(code, label)]}: the code lists as a form's choices."""
    return {name: codes.choices() for name, codes in CODES.items()}


def _label(field):
    return Student.__labels__[field]


def _fmt(value):
    return f"{value:%d.%m.%Y}"


def _normalise(student):
    for name in (*CODES, *TEXTS):
        value = getattr(student, name)
        if isinstance(value, str):
            setattr(student, name, value.strip() or None)
    if student.health_group:  # «1»…«5», «iv» in an import: the register's roman numerals
        value = student.health_group.upper()
        student.health_group = ARABIC_HEALTH.get(value, value)


def check(student, today, errors, fields):
    """The register's rules on a card; each refusal in `errors` and beside its field in `fields`."""
    def refuse(field, message):
        errors.append(message)
        fields.setdefault(field, message)

    _normalise(student)
    for name, codes in CODES.items():
        value = getattr(student, name)
        if value is not None and value not in {c.value for c in codes}:
            listed = ", ".join(c.label for c in codes)
            refuse(name, f"«{_label(name)}»: значение «{value}» не из справочника ({listed})")
    for name in TEXTS:
        value = getattr(student, name)
        limit = Student.__table__.c[name].type.length
        if value is not None and len(value) > limit:
            refuse(name, f"«{_label(name)}»: не длиннее {limit} символов (сейчас {len(value)})")
    birth = student.birth_date
    # Гражданство: the country only of a foreign citizenship, and then it is required.
    if student.citizenship == Citizenship.FOREIGN.value and not student.citizenship_country:
        refuse("citizenship_country", "Для иностранного гражданства укажите страну")
    elif student.citizenship != Citizenship.FOREIGN.value and student.citizenship_country:
        refuse("citizenship_country", "Страна гражданства указывается только для иностранного гражданства")
    # Инвалидность: its category and term only when it is established.
    if student.disability != YesNo.YES.value:
        if student.disability_category or student.disability_until:
            refuse("disability_category" if student.disability_category else "disability_until",
                   "Категория и срок инвалидности указываются, только если инвалидность установлена")
    elif student.disability_until and birth and student.disability_until < birth:
        refuse("disability_until", "«Инвалидность установлена до» раньше даты рождения")
    # ОВЗ: the adapted programme (АООП and its variant) is what the status means at school.
    if student.ovz == YesNo.YES.value and not student.adapted_program:
        refuse("adapted_program", "Для обучающегося с ОВЗ укажите адаптированную образовательную программу "
                                  "(АООП, вариант)")
    elif student.ovz != YesNo.YES.value and student.adapted_program:
        refuse("adapted_program", "Адаптированная программа указывается только для обучающегося с ОВЗ")
    # The previous education document: its kind first, its date a real past date after the birth.
    doc_given = [n for n in ("previous_doc_series", "previous_doc_number", "previous_doc_date",
                             "previous_doc_issued_by") if getattr(student, n)]
    if doc_given and not student.previous_doc_kind:
        refuse("previous_doc_kind", "Укажите вид документа о предыдущем образовании")
    day = student.previous_doc_date
    if day is not None:
        if day > today:
            refuse("previous_doc_date", f"Дата выдачи документа о предыдущем образовании {_fmt(day)} "
                                        "не может быть в будущем")
        elif birth and day < birth:
            refuse("previous_doc_date", f"Дата выдачи документа о предыдущем образовании {_fmt(day)} "
                                        "раньше даты рождения")


def check_documents(student, today, errors, fields):
    """The identity documents' dates: not in the future, not before the birth; a passport not before the
    14th birthday (a Russian passport is issued from 14: «01.09.2026» for a child born in 2015 is refused)."""
    def refuse(field, message):
        errors.append(message)
        fields.setdefault(field, message)

    if not _documents_touched(student):  # a card saved before this rule is not blocked by what nobody changed
        return
    birth = student.birth_date
    for field, label in (("birth_certificate_date", "Дата выдачи свидетельства о рождении"),
                         ("passport_date", "Дата выдачи паспорта")):
        value = getattr(student, field)
        if value is None:
            continue
        if value > today:
            refuse(field, f"«{label}» {_fmt(value)} не может быть в будущем")
        elif birth and value < birth:
            refuse(field, f"«{label}» {_fmt(value)} раньше даты рождения")
        elif birth and field == "passport_date" and age_on(birth, value) < PASSPORT_AGE:
            refuse(field, f"Паспорт выдаётся с {PASSPORT_AGE} лет: дата выдачи {_fmt(value)} раньше "
                          f"{PASSPORT_AGE}-летия ({_fmt(_birthday(birth, PASSPORT_AGE))})")


def _documents_touched(student):
    """A new card, or a saved one whose birth date or documents' dates change now. A card saved before these
    rules existed (data of a real school, upgraded) still takes a movement order or an edit of its other
    fields; the control page lists what it lacks, and the next change of those dates is checked."""
    state = inspect(student)
    if not state.persistent:
        return True
    return any(state.attrs[name].history.has_changes()
               for name in ("birth_date", "birth_certificate_date", "passport_date"))


def _birthday(birth, years):
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # 29 February
        return date(birth.year + years, 3, 1)


# -- completeness: what a card lacks for the register ------------------------------------------------------

# (the card's column, what the list says is missing); the conditional ones are in `gaps`.
REQUIRED = (("citizenship", "гражданство"), ("birth_place", "место рождения"),
            ("registration_address", "адрес регистрации"), ("address", "адрес проживания"),
            ("health_group", "группа здоровья"), ("disability", "сведения об инвалидности"),
            ("ovz", "сведения об ОВЗ"), ("study_form", "форма обучения"), ("funding", "форма финансирования"),
            ("previous_doc_kind", "документ о предыдущем образовании"))
COLUMNS = tuple(c for c, _ in REQUIRED) + ("birth_date", "citizenship_country", "birth_certificate_number",
                                           "passport_number", "adapted_program")


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def gaps(row, today):
    """What the card (a Student or a row with COLUMNS) lacks for the register, in words."""
    missing = [what for column, what in REQUIRED if _blank(getattr(row, column))]
    if row.citizenship == Citizenship.FOREIGN.value and _blank(row.citizenship_country):
        missing.append("страна гражданства")
    if row.ovz == YesNo.YES.value and _blank(row.adapted_program):
        missing.append("адаптированная программа")
    adult = row.birth_date is not None and age_on(row.birth_date, today) >= PASSPORT_AGE
    if adult and _blank(row.passport_number):
        missing.append("паспорт")
    elif not adult and _blank(row.birth_certificate_number):
        missing.append("свидетельство о рождении")
    return missing


def _blank_sql(column):
    return or_(column.is_(None), func.trim(column) == "")


def incomplete(today):
    """The SQL condition of a card `gaps` finds something in (the same rules, for a set-based select)."""
    adult = _birthday(today, -PASSPORT_AGE) if (today.month, today.day) != (2, 29) else date(today.year - 14, 3, 1)
    return or_(*(_blank_sql(getattr(Student, c)) for c, _ in REQUIRED),
               and_(Student.citizenship == Citizenship.FOREIGN.value, _blank_sql(Student.citizenship_country)),
               and_(Student.ovz == YesNo.YES.value, _blank_sql(Student.adapted_program)),
               and_(Student.birth_date <= adult, _blank_sql(Student.passport_number)),
               and_(Student.birth_date > adult, _blank_sql(Student.birth_certificate_number)))


def completeness(actor, year, today, class_id=None):
    """[(class, [(student, [missing])])]: the classes of `year` the actor may check (a class teacher his own,
    the administration every one; `class_id`: that one only), the studying students of each, every student
    listed — the complete ones with an empty list. Two statements, whatever the size of the school."""
    condition = and_(SchoolClass.org_id == actor.org_id, SchoolClass.year_id == year.id,
                     permissions.row_condition(actor, VIEW_KEY, "list", SchoolClass))
    if class_id is not None:
        condition = and_(condition, SchoolClass.id == class_id)
    classes = db.session.scalars(select(SchoolClass).where(condition)
                                 .order_by(SchoolClass.grade, SchoolClass.name)).all()
    if not classes:
        return []
    students = db.session.scalars(select(Student).where(
        Student.class_id.in_([k.id for k in classes]), Student.status == StudentStatus.STUDYING.value)
        .order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)).all()
    by_class = {}
    for s in students:
        by_class.setdefault(s.class_id, []).append((s, gaps(s, today)))
    return [(k, by_class.get(k.id, [])) for k in classes]


# -- the export (docs/CONTINGENT.md) ------------------------------------------------------------------------

def _iso(value):
    return value.isoformat() if value is not None else None


def _yes_no(value):
    return {YesNo.YES.value: True, YesNo.NO.value: False}.get(value)


def _record(s):
    """One student in the layout's order (docs/CONTINGENT.md «Обучающийся»)."""
    return {
        "id": s.id,
        "last_name": s.last_name, "first_name": s.first_name, "middle_name": s.middle_name,
        "sex": s.sex, "birth_date": _iso(s.birth_date), "birth_place": s.birth_place, "snils": s.snils,
        "citizenship": {"code": s.citizenship, "country": s.citizenship_country},
        "documents": {
            "birth_certificate": {"series": s.birth_certificate_series, "number": s.birth_certificate_number,
                                  "issue_date": _iso(s.birth_certificate_date)},
            "passport": {"series": s.passport_series, "number": s.passport_number,
                         "issue_date": _iso(s.passport_date), "issued_by": s.passport_issued_by},
        },
        "addresses": {"registration": s.registration_address, "residence": s.address},
        "health": {"group": s.health_group, "disability": _yes_no(s.disability),
                   "disability_category": s.disability_category, "disability_until": _iso(s.disability_until),
                   "ovz": _yes_no(s.ovz), "adapted_program": s.adapted_program},
        "education": {"class": s.klass.name if s.klass else None, "grade": s.klass.grade if s.klass else None,
                      "study_form": s.study_form, "funding": s.funding, "personal_file_number": s.personal_file_number,
                      "enrollment_order": {"number": s.enrollment_order_number,
                                           "date": _iso(s.enrollment_order_date)}},
        "previous_document": {"kind": s.previous_doc_kind, "series": s.previous_doc_series,
                              "number": s.previous_doc_number, "issue_date": _iso(s.previous_doc_date),
                              "issued_by": s.previous_doc_issued_by},
        "parents": [{"last_name": p.last_name, "first_name": p.first_name, "middle_name": p.middle_name,
                     "relation": p.relation, "phone": p.phone, "email": p.email} for p in s.parents],
    }


def build(org_id, today):
    """The document (a dict) of the organization's studying students; set-based (three statements)."""
    org = db.session.get(Organization, org_id)
    students = db.session.scalars(
        select(Student).where(Student.org_id == org_id, Student.status == StudentStatus.STUDYING.value)
        .options(selectinload(Student.klass), selectinload(Student.parents))
        .order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)).all()
    records = []
    for s in students:
        record = _record(s)
        record["missing"] = gaps(s, today)
        records.append(record)
    return {
        "format": "contingent", "version": LAYOUT_VERSION, "generated_on": today.isoformat(),
        "organization": {"id": org.id, "full_name": org.full_name, "short_name": org.short_name,
                         "kind": org.kind, "inn": org.inn},
        "code_lists": code_lists(),
        "students": records,
    }


def code_lists():
    """Every code list of the layout: {list: {code: Russian label}}."""
    lists = {"sex": {s.value: s.label for s in Sex}}
    for name, codes in (("citizenship", Citizenship), ("health_group", HealthGroup),
                        ("disability_category", DisabilityCategory), ("study_form", StudyForm),
                        ("funding", Funding), ("previous_document", PreviousDocument)):
        lists[name] = {c.value: c.label for c in codes}
    return lists


def _xml(node, tag, value):
    element = ET.SubElement(node, tag)
    if isinstance(value, dict):
        for key, item in value.items():
            _xml(element, key, item)
    elif isinstance(value, list):
        item_tag = {"students": "student", "parents": "parent", "missing": "item"}.get(tag, "item")
        for item in value:
            _xml(element, item_tag, item)
    elif value is None:
        element.set("nil", "true")
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)
    return element


def render(document, fmt):
    """The document as bytes: JSON (UTF-8, indented) or XML (the same tree, docs/CONTINGENT.md)."""
    if fmt == "json":
        return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    root = ET.Element("contingent", {"version": document["version"]})
    for key, value in document.items():
        if key in ("format", "version"):
            continue
        if key == "code_lists":
            lists = ET.SubElement(root, "code_lists")
            for name, codes in value.items():
                node = ET.SubElement(lists, "list", {"name": name})
                for code, label in codes.items():
                    ET.SubElement(node, "code", {"value": code}).text = label
            continue
        _xml(root, key, value)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def export(actor, fmt="json", today=None):
    """The organization's contingent (docs/CONTINGENT.md) as (bytes, file name); the administrator's (the
    permission table's "contingent" "export"), the CLI's system actor; the read logged (access_log "export")."""
    permissions.require(actor, VIEW_KEY, "export")
    if fmt not in FORMATS:
        raise DomainError("Выгрузка не сформирована", [f"Формат «{fmt}» не поддерживается: json или xml"],
                          fields={"format": "Выберите json или xml"})
    today = today or dates.today(actor.org_id)
    document = build(actor.org_id, today)
    audit.log_read(actor, "export", "contingent", detail=f"ФИС «Контингент», версия {LAYOUT_VERSION}, {fmt}",
                   rows=len(document["students"]))
    return render(document, fmt), f"contingent-{actor.org_id}-{today:%Y%m%d}.{fmt}"


# -- `flask contingent export` ---------------------------------------------------------------------------------

cli = AppGroup("contingent", help="Данные для ФИС «Контингент».")


@cli.command("export")
@click.option("--org", "org_id", type=int, required=True, help="Организация (id).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True,
              help="Формат выгрузки (docs/CONTINGENT.md).")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, writable=True),
              help="Файл; без него — в стандартный вывод.")
@uow.command
def export_command(org_id, fmt, output):
    """Выгрузить контингент организации (обучающиеся, версия раскладки 1.0)."""
    org = db.session.get(Organization, org_id)
    if org is None:
        raise CommandError(f"Организация {org_id} не найдена")
    with scope.organization(org_id):
        content, name = export(Actor.system_actor(org), fmt)
    if output:
        with open(output, "wb") as f:
            f.write(content)
        click.echo(f"Выгрузка записана: {output}", err=True)
    else:
        click.echo(content.decode("utf-8"))
