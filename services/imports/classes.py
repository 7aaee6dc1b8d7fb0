"""Import and export of the classes (a college's groups) of the current academic year (issue 17.1–17.2).

A row finds its class by its name in the current year (case and spaces don't matter); a found class gets
the row's filled cells (an empty cell erases nothing). The class teacher is a staff member of the
organization, not dismissed, named by his full name (or «Иванов И. И.» when only one has it); a college's
department and specialty are found in their directories (the specialty by its code or name). The class card's
own rule (services/org/orgs.py validate_class) checks every row that creates or changes a class.
"""
from sqlalchemy import select

from models import Department, Organization, SchoolClass, Specialty, Staff, db
from services.errors import DomainError
from services.imports._lists import writing, Lookup, person_names, put_errors, require, year_of
from services.imports.core import CREATE, SKIP, UPDATE, Column, Importer, check_lengths, norm
from services.org.orgs import validate_class
from services.params import parse_int
from services.terms import term

COLUMNS = (
    Column("name", "Класс", True, "5А", "Название класса (группы): 5А, ТМ-21",
           aliases=("Группа", "Название", "Класс (группа)", "Название класса")),
    Column("grade", "Параллель", True, "5", "Число: параллель (класс) в школе, курс в колледже",
           aliases=("Курс", "Параллель (курс)")),
    Column("profile", "Профиль", False, "", "Профиль обучения, если есть"),
    Column("class_teacher", "Классный руководитель", False, "Иванова Мария Петровна",
           "ФИО сотрудника, как в его карточке (сотрудники загружаются раньше классов)",
           aliases=("Куратор", "Классный руководитель (куратор)")),
    Column("max_students", "Предельная наполняемость", False, "25", "Число учеников (студентов)"),
    Column("department", "Отделение", False, "", "Колледж: отделение, как в справочнике «Отделения»"),
    Column("specialty", "Специальность", False, "", "Колледж: код или название специальности (профессии)",
           aliases=("Специальность / профессия",)),
)
LIMITS = {"name": 30, "profile": 100}
FIELDS = {"grade": "параллель", "profile": "профиль", "class_teacher_id": "классный руководитель",
          "max_students": "наполняемость", "department_id": "отделение", "specialty_id": "специальность"}


class ClassesImport(Importer):
    code = "classes"
    title = "Классы"
    columns = COLUMNS
    resource = "school_class"
    filename = "klassy"

    def _load(self, actor):
        self.org = db.session.get(Organization, actor.org_id)
        self.year = year_of(actor)
        self.classes = {norm(k.name): k for k in db.session.scalars(
            select(SchoolClass).where(SchoolClass.org_id == actor.org_id, SchoolClass.year_id == self.year.id))}
        self.staff = Lookup(db.session.scalars(select(Staff).where(Staff.org_id == actor.org_id)), person_names)
        self.departments = Lookup(db.session.scalars(select(Department).where(Department.org_id == actor.org_id)))
        specialties = db.session.scalars(select(Specialty).where(Specialty.org_id == actor.org_id)).all()
        self.specialties = Lookup(specialties, lambda s: {norm(s.code), norm(s.name), norm(str(s))})

    def _values(self, row, klass, preview):
        col = self.column
        values, before = {}, len(preview.errors)
        grade = row.get("grade")
        if grade is None:
            preview.error(row, col("grade"), "заполните (число)")
        elif parse_int(grade, 1, 11) is None:
            preview.error(row, col("grade"), f"«{grade}» — нужен номер параллели (курса) числом")
        else:
            values["grade"] = parse_int(grade, 1, 11)
        if row.get("profile"):
            values["profile"] = row.get("profile")
        if row.get("max_students"):
            number = parse_int(row.get("max_students"), 1, 1000)
            if number is None:
                preview.error(row, col("max_students"), f"«{row.get('max_students')}» — нужно число от 1 до 1000")
            values["max_students"] = number
        for key, lookup, attr in (("class_teacher", self.staff, "class_teacher_id"),
                                  ("department", self.departments, "department_id"),
                                  ("specialty", self.specialties, "specialty_id")):
            if row.get(key):
                found, message = lookup.find(row.get(key))
                if found is None:
                    preview.error(row, col(key), message + (" среди сотрудников" if key == "class_teacher"
                                                            else " в справочнике"))
                elif key == "class_teacher" and found.dismissal_date is not None and \
                        (klass is None or klass.class_teacher_id != found.id):
                    preview.error(row, col(key), f"{found.full_name} уволен(а)")
                else:
                    values[attr] = found.id
        return values, len(preview.errors) == before

    def _analyse(self, actor, rows, preview):
        require(actor, self.resource, "create", "edit")
        self._load(actor)
        preview.title, what = term("classes", self.org), term("class", self.org)  # a college's «Группы»
        check_lengths(rows, self.columns, preview, LIMITS)
        planned, seen = [], {}
        for row in rows:
            name = row.get("name")
            if name is None:
                preview.error(row, self.column("name"), "заполните")
            elif norm(name) in seen:
                preview.error(row, self.column("name"), f"«{name}» уже есть в строке {seen[norm(name)]}")
                continue
            else:
                seen[norm(name)] = row.number
            klass = self.classes.get(norm(name)) if name else None
            values, clean = self._values(row, klass, preview)
            if not clean or name is None:
                continue
            changed = [k for k, v in values.items() if klass is None or getattr(klass, k) != v]
            if klass is not None and not changed:
                preview.change(SKIP, what, klass.name, row)
                continue
            twin = SchoolClass(org_id=self.org.id, year_id=self.year.id, name=name)
            if klass is not None:
                twin.id, twin.name = klass.id, klass.name
                for key in FIELDS:
                    setattr(twin, key, getattr(klass, key))
            for key, value in values.items():
                setattr(twin, key, value)
            try:
                with db.session.no_autoflush:
                    validate_class(twin)
            except DomainError as exc:
                put_errors(preview, row, exc, [(("параллель", "курс"), self.column("grade")),
                                               (("назван", "уже есть"), self.column("name")),
                                               (("наполняемость",), self.column("max_students"))])
                continue
            preview.change(UPDATE if klass else CREATE, what, klass.name if klass else twin.name, row,
                           ", ".join(FIELDS[k] for k in changed) if klass else "")
            planned.append((klass, name, {k: values[k] for k in changed}))
        return planned

    def plan(self, actor, rows, preview):
        self._analyse(actor, rows, preview)

    def apply(self, actor, rows, preview, progress=None):
        planned = self._analyse(actor, rows, preview)
        if preview.errors:
            return
        for done, (klass, name, values) in enumerate(planned, start=1):
            if klass is None:
                klass = SchoolClass(org_id=self.org.id, year_id=self.year.id, name=name)
                db.session.add(klass)
            for key, value in values.items():
                setattr(klass, key, value)
            if progress:
                progress(done, len(planned))
        with writing(preview):
            db.session.flush()

    def export_rows(self, actor):
        require(actor, self.resource, "export")
        year = year_of(actor)
        classes = db.session.scalars(select(SchoolClass).where(
            SchoolClass.org_id == actor.org_id, SchoolClass.year_id == year.id)
            .order_by(SchoolClass.grade, SchoolClass.name)).all()
        staff = {s.id: s.full_name for s in db.session.scalars(select(Staff).where(Staff.id.in_(
            {k.class_teacher_id for k in classes if k.class_teacher_id})))}
        departments = {d.id: d.name for d in db.session.scalars(select(Department).where(
            Department.org_id == actor.org_id))}
        specialties = {s.id: s.code for s in db.session.scalars(select(Specialty).where(
            Specialty.org_id == actor.org_id))}
        return [{"name": k.name, "grade": k.grade, "profile": k.profile,
                 "class_teacher": staff.get(k.class_teacher_id), "max_students": k.max_students,
                 "department": departments.get(k.department_id), "specialty": specialties.get(k.specialty_id)}
                for k in classes]
