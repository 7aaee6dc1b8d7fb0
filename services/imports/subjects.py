"""Import and export of the subjects (a college's disciplines, МДК, modules, practices) (issue 17.1–17.2).

A row finds its subject by its name (case and spaces don't matter: the name is the key and is not changed);
a found subject gets the row's filled cells (an empty cell erases nothing). An educational area missing from
its directory is added when the actor may add areas; a professional module is a subject of the organization
or of the same file. The subject's own rule (services/planning/subjects.py validate_subject) checks every
row that creates or changes a subject.
"""
from sqlalchemy import select

from models import EducationalArea, Grading, Organization, Subject, SubjectKind, db
from services import permissions
from services.errors import DomainError
from services.imports._lists import writing, Lookup, put_errors, require
from services.imports.core import CREATE, SKIP, UPDATE, Column, Importer, check_lengths, norm
from services.planning.subjects import validate_subject
from services.terms import term

KINDS = {**{norm(k.label): k.value for k in SubjectKind}, "пм": SubjectKind.MODULE.value,
         "модуль": SubjectKind.MODULE.value, "курсовая": SubjectKind.COURSE_WORK.value}
GRADINGS = {**{norm(g.label): g.value for g in Grading}, "отметки": Grading.MARKS.value,
            "оценки": Grading.MARKS.value, "зачет": Grading.PASS_FAIL.value,
            "зачет/незачет": Grading.PASS_FAIL.value, "нет": Grading.NONE.value}

COLUMNS = (
    Column("name", "Предмет", True, "Математика", "Название предмета (дисциплины), как в журнале",
           aliases=("Дисциплина", "Название", "Предмет (дисциплина)", "Название предмета")),
    Column("short_name", "Краткое название", False, "Матем."),
    Column("code", "Индекс", False, "", "Колледж: индекс по учебному плану (ОП.01, МДК.01.01, ПМ.01)"),
    Column("kind", "Тип", False, "Предмет", "Предмет (школа); колледж: " + ", ".join(
        k.label for k in SubjectKind if k != SubjectKind.SUBJECT)),
    Column("grading", "Оценивание", False, "Отметки 5…1", "; ".join(g.label for g in Grading)),
    Column("area", "Образовательная область", False, "Математика и информатика",
           "Как в справочнике «Образовательные области»; новая добавляется в справочник",
           aliases=("Предметная область", "Область")),
    Column("module", "Профессиональный модуль", False, "", "Колледж, для МДК и практики: название или индекс "
           "модуля (он может быть в этом же файле)", aliases=("Модуль",)),
)
LIMITS = {"name": 200, "short_name": 50, "code": 30, "area": 200}
FIELDS = {"short_name": "краткое название", "code": "индекс", "kind": "тип", "grading": "оценивание",
          "area": "область", "module": "модуль"}


class SubjectsImport(Importer):
    code = "subjects"
    title = "Предметы"
    columns = COLUMNS
    resource = "subject"
    filename = "predmety"

    def _load(self, actor):
        self.org_id = actor.org_id
        self.subjects = db.session.scalars(select(Subject).where(Subject.org_id == actor.org_id)
                                           .order_by(Subject.id)).all()
        self.by_name = {norm(s.name): s for s in self.subjects}
        self.by_id = {s.id: s for s in self.subjects}
        self.areas = {norm(a.name): a for a in db.session.scalars(
            select(EducationalArea).where(EducationalArea.org_id == actor.org_id))}

    def _analyse(self, actor, rows, preview):
        require(actor, self.resource, "create", "edit")
        self._load(actor)
        org = db.session.get(Organization, actor.org_id)
        preview.title, what = term("subjects", org), term("subject", org)  # a college's «Дисциплины»
        may_add_areas = permissions.allowed(actor, "educational_area", "create")
        check_lengths(rows, self.columns, preview, LIMITS)
        col = self.column
        parsed, seen = [], {}
        # 1. each row's values and its subject (a stored one or a new one), the file's names for the modules
        for row in rows:
            name = row.get("name")
            if name is None:
                preview.error(row, col("name"), "заполните")
                continue
            if norm(name) in seen:
                preview.error(row, col("name"), f"«{name}» уже есть в строке {seen[norm(name)]}")
                continue
            seen[norm(name)] = row.number
            before = len(preview.errors)
            values = {key: row.get(key) for key in ("short_name", "code") if row.get(key)}
            for key, choices, enum in (("kind", KINDS, SubjectKind), ("grading", GRADINGS, Grading)):
                if row.get(key):
                    values[key] = choices.get(norm(row.get(key)))
                    if values[key] is None:
                        preview.error(row, col(key), f"«{row.get(key)}» — нет такого значения; допустимо: "
                                      + ", ".join(f"«{e.label}»" for e in enum))
            if row.get("area"):
                if norm(row.get("area")) not in self.areas and not may_add_areas:
                    preview.error(row, col("area"), f"«{row.get('area')}» нет в справочнике «Образовательные "
                                  "области»")
                values["area"] = row.get("area")
            subject = self.by_name.get(norm(name))
            twin = Subject(org_id=self.org_id, name=name)
            if subject is not None:
                twin.id, twin.name = subject.id, subject.name
                for key in ("short_name", "code", "kind", "grading"):
                    setattr(twin, key, getattr(subject, key))
            for key in ("short_name", "code", "kind", "grading"):
                if values.get(key):
                    setattr(twin, key, values[key])
            parsed.append((row, subject, twin, values, len(preview.errors) == before))
        # 2. the modules, by name or index, among the stored subjects and the file's
        names = Lookup()
        for s in self.subjects:
            names.add(s, {norm(s.name), norm(s.code)})
        for _, subject, twin, _, _ in parsed:
            names.add(subject or twin, {norm(twin.name), norm(twin.code)})
        planned = []
        for row, subject, twin, values, clean in parsed:
            module = None
            if row.get("module"):
                module, message = names.find(row.get("module"))
                if module is None:
                    preview.error(row, col("module"), message + " среди предметов")
                    continue
                module = next((t for _, s, t, _, _ in parsed if s is module), module)  # as the file leaves it
            if not clean:
                continue
            changed = self._changes(subject, values, module)
            if subject is not None and not changed:
                preview.change(SKIP, what, subject.name, row)
                continue
            twin.module = module if module is not None else (
                self.by_id.get(subject.module_id) if subject is not None else None)
            try:
                with db.session.no_autoflush:
                    validate_subject(twin)
            except DomainError as exc:
                put_errors(preview, row, exc, [(("тип",), col("kind")), (("назван", "уже есть"), col("name")),
                                               (("модул", "сам в себя"), col("module")), (("оценив",), col("grading"))])
                continue
            finally:
                twin.module = None
            if "area" in changed and norm(values["area"]) not in self.areas:
                preview.change(CREATE, "Образовательная область", values["area"], row)
                self.areas[norm(values["area"])] = None  # one new area for every row that names it
            preview.change(UPDATE if subject else CREATE, what, subject.name if subject else twin.name, row,
                           ", ".join(FIELDS[k] for k in changed) if subject else "")
            planned.append((row, subject, twin.name, values, changed, row.get("module")))
        return planned

    def _changes(self, subject, values, module):
        out = [k for k in ("short_name", "code", "kind", "grading")
               if k in values and (subject is None or getattr(subject, k) != values[k])]
        if "area" in values:
            area = self.areas.get(norm(values["area"]))
            if subject is None or area is None or subject.area_id != area.id:
                out.append("area")
        if module is not None and (subject is None or subject.module_id is None or
                                   subject.module_id != getattr(module, "id", None)):
            out.append("module")
        return out

    def plan(self, actor, rows, preview):
        self._analyse(actor, rows, preview)

    def apply(self, actor, rows, preview, progress=None):
        planned = self._analyse(actor, rows, preview)
        if preview.errors:
            return
        areas = {key: area for key, area in self.areas.items() if area is not None}
        made = {}
        for _, subject, name, values, changed, _ in planned:
            if subject is None:
                subject = Subject(org_id=self.org_id, name=name)
                db.session.add(subject)
            made[norm(name)] = subject
            for key in changed:
                if key in ("short_name", "code", "kind", "grading"):
                    setattr(subject, key, values[key])
                elif key == "area":
                    area = areas.get(norm(values["area"]))
                    if area is None:
                        area = areas[norm(values["area"])] = EducationalArea(org_id=self.org_id, name=values["area"])
                        db.session.add(area)
                    subject.area = area
        names = Lookup()
        for s in self.subjects:
            names.add(made.get(norm(s.name), s), {norm(s.name), norm(s.code)})
        for s in made.values():
            names.add(s, {norm(s.name), norm(s.code)})
        for done, (_, subject, name, _, changed, module) in enumerate(planned, start=1):
            if "module" in changed:
                made[norm(name)].module = names.find(module)[0]
            if progress:
                progress(done, len(planned))
        with writing(preview):
            db.session.flush()

    def export_rows(self, actor):
        require(actor, self.resource, "export")
        subjects = db.session.scalars(select(Subject).where(Subject.org_id == actor.org_id)
                                      .order_by(Subject.sort_order, Subject.name)).all()
        names = {s.id: s.name for s in subjects}
        areas = {a.id: a.name for a in db.session.scalars(select(EducationalArea).where(
            EducationalArea.org_id == actor.org_id))}
        kinds = {k.value: k.label for k in SubjectKind}
        gradings = {g.value: g.label for g in Grading}
        return [{"name": s.name, "short_name": s.short_name, "code": s.code, "kind": kinds.get(s.kind),
                 "grading": gradings.get(s.grading), "area": areas.get(s.area_id), "module": names.get(s.module_id)}
                for s in subjects]
