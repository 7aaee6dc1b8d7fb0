"""Learning materials and distance courses (seed 001 stage IV, issue 18.4). Every rule is here: a page, a direct
POST, the demo obey it alike; services flush, the request commits.

A teacher keeps materials per subject and grade: a file (services/files.py: type read from the content, size
limit — as the lesson files), a link (http/https only) or a plain text (at most MAX_TEXT characters, shown
escaped); private or shared with the colleagues of his organization. A course is an ordered set of materials of
one subject and grade (its sections). He assigns a material to a lesson he gives (the permission table's
"lesson_file" rows: the lesson's teacher or its substitute) of the material's subject — the diary shows it on
that lesson beside the homework — or a material or a course to a class (or one subgroup of it) he teaches the
subject in, for an optional window of dates; the students of that class (of that subgroup only) and their parents
see it in the diary («Материалы»).

Who reads and who edits is the permission table: "material", "course" (reading: a teacher his own and the shared
ones, the administration all of the organization, a student or a parent what is assigned to him),
"material_edit", "course_edit" (a teacher his own), "material_assignment" (a teacher assigns and removes his own).
A row the actor may not read is «не найден» (the page answers 404).
"""
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from models import (MATERIAL_KINDS, Course, CourseItem, Lesson, Material, MaterialAssignment, SchoolClass, StoredFile,
                    Subgroup, Subject, TeachingAssignment, db)
from models.dialect import locked
from services import dates, files, permissions, versions
from services.errors import DomainError, PermissionDenied
from services.org.years import current_year
from services.params import parse_id
from services.terms import for_kind
from services.timetable.lessons import register_content

READ_KEY, EDIT_KEY = "material", "material_edit"
COURSE_KEY, COURSE_EDIT_KEY = "course", "course_edit"
ASSIGN_KEY = "material_assignment"
LESSON_KEY = "lesson_file"  # who gives a lesson: its teacher or the substitute (the lesson files' rows)
MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_URL = 2000
MAX_COURSE_ITEMS = 60
MAX_GRADE = 11
LESSONS_BACK, LESSONS_AHEAD = 14, 42  # the lessons offered on the assign form, around today
STUDENT_LESSONS_BACK = 30  # the student's list: materials of his lessons of the last days and those ahead
STUDENT_LESSONS_AHEAD = 14

# A lesson given a material holds content: regeneration from the timetable never deletes it (as lesson files).
register_content(lambda: select(MaterialAssignment.lesson_id).where(MaterialAssignment.lesson_id == Lesson.id)
                 .exists())


@dataclass
class MaterialInput:
    title: str = ""
    kind: str = ""
    subject_id: int | None = None
    grade: int | None = None
    url: str = ""
    body: str = ""
    shared: bool = False
    upload: tuple | None = None  # (filename, bytes) of a file material


@dataclass
class CourseInput:
    title: str = ""
    subject_id: int | None = None
    grade: int | None = None
    description: str = ""
    shared: bool = False
    material_ids: list = field(default_factory=list)  # in the course's order


@dataclass
class AssignInput:
    target: str = ""  # "lesson" | "class"
    lesson_id: int | None = None
    class_id: int | None = None
    subgroup_id: int | None = None
    start_date: object = None
    end_date: object = None


# -- checks ------------------------------------------------------------------------------------------------------

def check_link(url):
    """The link as kept, or the Russian reason it cannot be: an absolute http:// or https:// address with a host,
    no spaces or control characters (never javascript:, data:, ftp: …)."""
    url = (url or "").strip()
    if not url:
        raise DomainError("Укажите адрес ссылки.", fields={"url": "Укажите адрес ссылки."})
    if len(url) > MAX_URL:
        message = f"Адрес ссылки длиннее {MAX_URL} знаков."
        raise DomainError(message, fields={"url": message})
    bad = "Ссылка должна начинаться с http:// или https:// и вести на сайт (например, https://resh.edu.ru/)."
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch in "<>\"'\\" for ch in url):
        raise DomainError(bad, fields={"url": bad})
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise DomainError(bad, fields={"url": bad}) from None
    if parts.scheme.lower() not in ("http", "https") or not host or not url.lower().startswith(
            ("http://", "https://")):
        raise DomainError(bad, fields={"url": bad})
    return url


def _is_teacher(actor):
    return bool(actor.staff_id) or actor.system


def subject_choices(actor):
    """The subjects a teacher keeps materials of: those he teaches (any year); every subject of the organization for
    the system (the demo, the CLI). [(id, name)]"""
    query = select(Subject.id, Subject.name).where(Subject.org_id == actor.org_id)
    if not actor.system:
        query = query.where(Subject.id.in_(select(TeachingAssignment.subject_id).where(
            TeachingAssignment.teacher_id == actor.staff_id)))
    return [tuple(r) for r in db.session.execute(query.order_by(Subject.sort_order, Subject.name))]


def _check_common(actor, title, subject_id, grade, errors):
    title = " ".join((title or "").split())
    if not title:
        errors["title"] = "Укажите название."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Название длиннее {MAX_TITLE} знаков."
    if subject_id is None or subject_id not in {s for s, _ in subject_choices(actor)}:
        errors["subject_id"] = "Выберите предмет, который вы ведёте."
    if grade is None or not 1 <= grade <= MAX_GRADE:
        errors["grade"] = f"Укажите класс (параллель) от 1 до {MAX_GRADE}."
    return title


def _check_material(actor, data, material=None):
    """The material's fields, or a DomainError naming every wrong one (nothing kept)."""
    errors = {}
    title = _check_common(actor, data.title, data.subject_id, data.grade, errors)
    kind = data.kind if material is None else material.kind
    if kind not in MATERIAL_KINDS:
        errors["kind"] = "Выберите вид материала: файл, ссылка или текст."
    url = body = None
    if kind == "link":
        try:
            url = check_link(data.url)
        except DomainError as exc:
            errors.update(exc.fields)
    elif kind == "text":
        body = (data.body or "").replace("\r\n", "\n").strip()
        if not body:
            errors["body"] = "Напишите текст материала."
        elif len(body) > MAX_TEXT:
            errors["body"] = f"Текст длиннее {MAX_TEXT} знаков ({len(body)}). Сократите его или приложите файлом."
    elif kind == "file":
        if data.upload is not None:
            try:
                files.check(*data.upload)
            except DomainError as exc:
                errors["file"] = str(exc)
        elif material is None:
            errors["file"] = "Выберите файл."
    if errors:
        raise DomainError("Материал не сохранён", list(errors.values()), fields=errors)
    return title, kind, url, body


# -- materials ---------------------------------------------------------------------------------------------------

def create_material(actor, data):
    """A new material of the actor (a teacher); flushed."""
    permissions.require(actor, EDIT_KEY, "create")
    if not _is_teacher(actor):
        raise PermissionDenied("Материалы ведёт учитель.")
    title, kind, url, body = _check_material(actor, data)
    material = Material(org_id=actor.org_id, author_id=actor.staff_id, subject_id=data.subject_id,
                        grade=data.grade, title=title, kind=kind, url=url, body=body, shared=bool(data.shared))
    if kind == "file":
        material.stored_file_id = files.store(actor.org_id, actor.user_id, *data.upload).id
    db.session.add(material)
    db.session.flush()
    return material


def _row(actor, model, key, verb, row_id, *options):
    row_id = parse_id(row_id)
    if row_id is None or actor is None or not permissions.allowed(actor, key, verb):
        return None
    return db.session.scalar(select(model).where(model.id == row_id, model.org_id == actor.org_id,
                                                 permissions.row_condition(actor, key, verb, model)).options(*options))


def readable(actor, material_id):
    """The material if the actor may read it (with its subject, author and file); else None."""
    return _row(actor, Material, READ_KEY, "details", material_id, joinedload(Material.subject),
                joinedload(Material.author), joinedload(Material.stored_file))


def editable(actor, material_id):
    return _row(actor, Material, EDIT_KEY, "edit", material_id, joinedload(Material.stored_file))


def _editable_or_refused(actor, material_id, verb="edit"):
    material = _row(actor, Material, EDIT_KEY, verb, material_id)
    if material is None:
        if readable(actor, material_id) is not None:
            raise PermissionDenied("Материал меняет только его автор.")
        raise DomainError("Материал не найден.")
    return material


def update_material(actor, material_id, data, version):
    """Save the edited material (its kind stays); a new file replaces the old one."""
    material = _editable_or_refused(actor, material_id)
    versions.claim(material, version)
    title, _, url, body = _check_material(actor, data, material)
    material.title, material.subject_id, material.grade = title, data.subject_id, data.grade
    material.shared = bool(data.shared)
    if material.kind == "link":
        material.url = url
    elif material.kind == "text":
        material.body = body
    elif data.upload is not None:
        old = material.stored_file
        material.stored_file_id = files.store(actor.org_id, actor.user_id, *data.upload).id
        db.session.flush()
        if old is not None:
            files.discard(old)
    db.session.flush()
    return material


def delete_material(actor, material_id):
    """Delete the material with its own assignments; refused while a colleague's course or assignment uses it."""
    material = _editable_or_refused(actor, material_id, "delete")
    foreign = db.session.scalar(select(Course.title).join(CourseItem, CourseItem.course_id == Course.id).where(
        CourseItem.material_id == material.id, Course.author_id != material.author_id).limit(1))
    if foreign is not None:
        raise DomainError(f"Материал входит в курс коллеги «{foreign}»: его нельзя удалить.")
    if db.session.scalar(select(MaterialAssignment.id).where(
            MaterialAssignment.material_id == material.id,
            MaterialAssignment.assigned_by_id != material.author_id).limit(1)) is not None:
        raise DomainError("Материал назначен коллегой: его нельзя удалить, пока назначение не снято.")
    for model, column in ((MaterialAssignment, MaterialAssignment.material_id), (CourseItem, CourseItem.material_id)):
        for row in db.session.scalars(select(model).where(column == material.id)):
            db.session.delete(row)
    stored, title = material.stored_file, material.title
    db.session.delete(material)
    db.session.flush()
    if stored is not None:
        files.discard(stored)
    return title


def library(actor, subject_id=None, grade=None):
    """The materials the actor may read as a teacher or the administration (his own and the shared ones, or every
    one of the organization), with subject, author and file; newest first. One statement."""
    if not permissions.allowed(actor, READ_KEY, "list") or not (actor.staff_id or actor.system):
        return []
    query = select(Material).where(Material.org_id == actor.org_id,
                                   permissions.row_condition(actor, READ_KEY, "list", Material))
    if subject_id is not None:
        query = query.where(Material.subject_id == subject_id)
    if grade is not None:
        query = query.where(Material.grade == grade)
    return db.session.scalars(query.options(joinedload(Material.subject), joinedload(Material.author),
                                            joinedload(Material.stored_file))
                              .order_by(Material.grade, Material.title, Material.id)).all()


def may_edit(actor):
    return permissions.allowed(actor, EDIT_KEY, "create")


# -- courses -----------------------------------------------------------------------------------------------------

def _check_course(actor, data):
    errors = {}
    title = _check_common(actor, data.title, data.subject_id, data.grade, errors)
    description = (data.description or "").replace("\r\n", "\n").strip()
    if len(description) > MAX_TEXT:
        errors["description"] = f"Описание длиннее {MAX_TEXT} знаков."
    wanted = []
    for material_id in data.material_ids or ():
        material_id = parse_id(material_id)
        if material_id is not None and material_id not in wanted:
            wanted.append(material_id)
    if len(wanted) > MAX_COURSE_ITEMS:
        errors["material_ids"] = f"В курсе не больше {MAX_COURSE_ITEMS} разделов."
    elif wanted:
        found = {m.id: m for m in db.session.scalars(select(Material).where(
            Material.id.in_(wanted), Material.org_id == actor.org_id,
            permissions.row_condition(actor, READ_KEY, "details", Material)))}
        if set(found) != set(wanted):
            errors["material_ids"] = "Материал не найден: в курс входят только ваши материалы и материалы коллег."
        elif any(m.subject_id != data.subject_id for m in found.values()):
            errors["material_ids"] = "Все материалы курса должны быть по предмету курса."
    if errors:
        raise DomainError("Курс не сохранён", list(errors.values()), fields=errors)
    return title, description or None, wanted


def _set_items(course, material_ids):
    keep = {item.material_id: item for item in course.items}
    course.items = []
    db.session.flush()
    for position, material_id in enumerate(material_ids, start=1):
        item = keep.get(material_id)
        if item is None:
            item = CourseItem(org_id=course.org_id, material_id=material_id)
        item.position = position
        course.items.append(item)


def create_course(actor, data):
    permissions.require(actor, COURSE_EDIT_KEY, "create")
    if not _is_teacher(actor):
        raise PermissionDenied("Курсы ведёт учитель.")
    title, description, material_ids = _check_course(actor, data)
    course = Course(org_id=actor.org_id, author_id=actor.staff_id, subject_id=data.subject_id, grade=data.grade,
                    title=title, description=description, shared=bool(data.shared))
    db.session.add(course)
    db.session.flush()
    _set_items(course, material_ids)
    db.session.flush()
    return course


def course_readable(actor, course_id):
    """The course with its sections (materials in order) if the actor may read it; else None."""
    return _row(actor, Course, COURSE_KEY, "details", course_id, joinedload(Course.subject),
                joinedload(Course.author), selectinload(Course.items).joinedload(CourseItem.material)
                .joinedload(Material.stored_file))


def course_editable(actor, course_id):
    return _row(actor, Course, COURSE_EDIT_KEY, "edit", course_id,
                selectinload(Course.items).joinedload(CourseItem.material))


def _course_or_refused(actor, course_id, verb="edit"):
    course = _row(actor, Course, COURSE_EDIT_KEY, verb, course_id)
    if course is None:
        if course_readable(actor, course_id) is not None:
            raise PermissionDenied("Курс меняет только его автор.")
        raise DomainError("Курс не найден.")
    return course


def update_course(actor, course_id, data, version):
    course = _course_or_refused(actor, course_id)
    versions.claim(course, version)
    title, description, material_ids = _check_course(actor, data)
    course.title, course.subject_id, course.grade = title, data.subject_id, data.grade
    course.description, course.shared = description, bool(data.shared)
    _set_items(course, material_ids)
    db.session.flush()
    return course


def delete_course(actor, course_id):
    course = _course_or_refused(actor, course_id, "delete")
    if db.session.scalar(select(MaterialAssignment.id).where(
            MaterialAssignment.course_id == course.id,
            MaterialAssignment.assigned_by_id != course.author_id).limit(1)) is not None:
        raise DomainError("Курс назначен коллегой: его нельзя удалить, пока назначение не снято.")
    for row in db.session.scalars(select(MaterialAssignment).where(MaterialAssignment.course_id == course.id)):
        db.session.delete(row)
    title = course.title
    db.session.delete(course)
    db.session.flush()
    return title


def courses(actor):
    """The courses the actor may read as a teacher or the administration, with subject, author and sections."""
    if not permissions.allowed(actor, COURSE_KEY, "list") or not (actor.staff_id or actor.system):
        return []
    return db.session.scalars(
        select(Course).where(Course.org_id == actor.org_id, permissions.row_condition(actor, COURSE_KEY, "list",
                                                                                      Course))
        .options(joinedload(Course.subject), joinedload(Course.author), selectinload(Course.items))
        .order_by(Course.grade, Course.title, Course.id)).all()


def material_choices(actor, subject_id):
    """The materials a course of the subject may hold: the actor's own and the shared ones. [(id, label)]"""
    if subject_id is None:
        return []
    return [(m.id, for_kind(f"{m.title} ({m.kind_label.lower()}, параллель {m.grade})", actor.org))
            for m in library(actor, subject_id)]


# -- assignments -------------------------------------------------------------------------------------------------

def lesson_choices(actor, subject_id, today):
    """The lessons of the subject the actor gives around today (his own journals, his substitutions):
    [(id, label, date)], by date. One statement."""
    if subject_id is None or not permissions.allowed(actor, LESSON_KEY, "create"):
        return []
    rows = db.session.execute(
        select(Lesson.id, Lesson.date, Lesson.number, SchoolClass.name, Subgroup.name)
        .join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
        .join(SchoolClass, SchoolClass.id == TeachingAssignment.class_id)
        .outerjoin(Subgroup, Subgroup.id == TeachingAssignment.subgroup_id)
        .where(TeachingAssignment.subject_id == subject_id, Lesson.org_id == actor.org_id,
               Lesson.date >= today - timedelta(days=LESSONS_BACK),
               Lesson.date <= today + timedelta(days=LESSONS_AHEAD),
               Lesson.is_cancelled.is_(False), permissions.row_condition(actor, LESSON_KEY, "create", Lesson))
        .order_by(Lesson.date, Lesson.number, SchoolClass.name)).all()
    return [(r[0], f"{r[1]:%d.%m.%Y}, урок {r[2]} — {r[3]}" + (f" ({r[4]})" if r[4] else ""), r[1]) for r in rows]


def _teaching(actor, subject_id):
    """The actor's teaching assignments of the subject in the current year (every class's, for the system)."""
    year = current_year(actor.org)
    query = select(TeachingAssignment).where(TeachingAssignment.org_id == actor.org_id,
                                             TeachingAssignment.subject_id == subject_id,
                                             TeachingAssignment.year_id == (year.id if year else None))
    if not actor.system:
        query = query.where(TeachingAssignment.teacher_id == actor.staff_id)
    return db.session.scalars(query.options(joinedload(TeachingAssignment.klass),
                                            joinedload(TeachingAssignment.subgroup))).all()


def class_choices(actor, subject_id):
    """The classes (and subgroups) of the subject the actor teaches: [(value "class:subgroup", label)]; a whole
    class's assignment offers the class and each of its subgroups of the subject, a subgroup's only that one."""
    if subject_id is None:
        return []
    assignments = _teaching(actor, subject_id)
    class_ids = {ta.class_id for ta in assignments}
    groups = {}
    if class_ids:
        for group in db.session.scalars(select(Subgroup).where(Subgroup.class_id.in_(class_ids),
                                                                Subgroup.subject_id == subject_id)
                                        .order_by(Subgroup.name)):
            groups.setdefault(group.class_id, []).append(group)
    result = {}
    for ta in sorted(assignments, key=lambda t: (t.klass.grade, t.klass.name)):
        if ta.subgroup_id is None:
            result[f"{ta.class_id}:"] = ta.klass.name
            for group in groups.get(ta.class_id, []):
                result[f"{ta.class_id}:{group.id}"] = f"{ta.klass.name} — {group.name}"
        else:
            result[f"{ta.class_id}:{ta.subgroup_id}"] = f"{ta.klass.name} — {ta.subgroup.name}"
    return list(result.items())


def _subject_of(material, course):
    return (material or course).subject_id


def assign(actor, target, material_id=None, course_id=None):
    """Give a material (to a lesson, a class or a subgroup) or a course (to a class or a subgroup); flushed."""
    permissions.require(actor, ASSIGN_KEY, "create")
    if (material_id is None) == (course_id is None):
        raise DomainError("Выберите материал или курс.")
    material = readable(actor, material_id) if material_id is not None else None
    course = course_readable(actor, course_id) if course_id is not None else None
    if material is None and course is None:
        raise DomainError("Материал не найден." if material_id is not None else "Курс не найден.")
    # two assignments at once (a double click) wait for each other here, so the second sees the first's row
    model, held = (Material, material) if material is not None else (Course, course)
    db.session.execute(locked(select(model.id).where(model.id == held.id), key_share=True))
    subject_id = _subject_of(material, course)
    row = MaterialAssignment(org_id=actor.org_id, material_id=material.id if material else None,
                             course_id=course.id if course else None, assigned_by_id=actor.staff_id)
    errors = {}
    if target.target == "lesson":
        if course is not None:
            raise DomainError("Курс назначается классу или подгруппе, не уроку.", fields={"target": "Выберите класс."})
        lesson = None
        if target.lesson_id is not None:
            lesson = db.session.scalar(select(Lesson).where(Lesson.id == target.lesson_id,
                                                            Lesson.org_id == actor.org_id)
                                       .options(joinedload(Lesson.assignment)))
        if lesson is None:
            errors["lesson_id"] = "Урок не найден."
        elif not permissions.allowed(actor, LESSON_KEY, "create") or db.session.scalar(
                select(Lesson.id).where(Lesson.id == lesson.id,
                                        permissions.row_condition(actor, LESSON_KEY, "create", Lesson))) is None:
            errors["lesson_id"] = "Материал назначается только на урок, который вы ведёте."
        elif lesson.assignment.subject_id != subject_id:
            errors["lesson_id"] = "Урок другого предмета: выберите урок по предмету материала."
        elif db.session.scalar(select(MaterialAssignment.id).where(MaterialAssignment.lesson_id == lesson.id,
                                                                   MaterialAssignment.material_id == material.id)):
            errors["lesson_id"] = "Этот материал уже назначен на этот урок."
        else:
            row.lesson_id = lesson.id
    elif target.target == "class":
        value = f"{target.class_id or ''}:{target.subgroup_id or ''}"
        if target.class_id is None or value not in dict(class_choices(actor, subject_id)):
            errors["class_id"] = "Выберите класс (подгруппу), где вы ведёте предмет материала."
        if target.start_date and target.end_date and target.end_date < target.start_date:
            errors["end_date"] = "Дата окончания раньше даты начала."
        if not errors:
            row.class_id, row.subgroup_id = target.class_id, target.subgroup_id
            row.start_date, row.end_date = target.start_date, target.end_date
            same = select(MaterialAssignment.id).where(
                MaterialAssignment.class_id == row.class_id,
                MaterialAssignment.subgroup_id.is_(None) if row.subgroup_id is None
                else MaterialAssignment.subgroup_id == row.subgroup_id,
                MaterialAssignment.material_id == row.material_id if material else
                MaterialAssignment.course_id == row.course_id)
            if db.session.scalar(same.limit(1)) is not None:
                errors["class_id"] = "Уже назначено этому классу (подгруппе): снимите прежнее назначение."
    else:
        errors["target"] = "Выберите, кому назначить: уроку или классу."
    if errors:
        raise DomainError("Не назначено", list(errors.values()), fields=errors)
    db.session.add(row)
    db.session.flush()
    return row


def assignment_removable(actor, assignment_id):
    return _row(actor, MaterialAssignment, ASSIGN_KEY, "delete", assignment_id)


def unassign(actor, assignment_id):
    """Remove an assignment the actor made."""
    row = assignment_removable(actor, assignment_id)
    if row is None:
        raise DomainError("Назначение не найдено.")
    back = (row.material_id, row.course_id)
    db.session.delete(row)
    db.session.flush()
    return back


@dataclass
class AssignmentRow:
    id: int
    target: str
    window: str
    assigned_by: str
    removable: bool


def assignments_of(actor, material_id=None, course_id=None):
    """The assignments of a material or a course the actor may see (the teacher's own, the administration's all):
    [AssignmentRow]; one statement."""
    if not permissions.allowed(actor, ASSIGN_KEY, "list"):
        return []
    MA = MaterialAssignment
    column = MA.material_id if material_id is not None else MA.course_id
    rows = db.session.scalars(
        select(MA).where(column == (material_id if material_id is not None else course_id), MA.org_id == actor.org_id,
                         permissions.row_condition(actor, ASSIGN_KEY, "list", MA))
        .options(joinedload(MA.lesson).joinedload(Lesson.assignment).joinedload(TeachingAssignment.klass),
                 joinedload(MA.klass), joinedload(MA.subgroup), joinedload(MA.assigned_by))
        .order_by(MA.id)).all()
    may_remove = permissions.allowed(actor, ASSIGN_KEY, "delete")
    result = []
    for row in rows:
        if row.lesson is not None:
            target = f"урок {row.lesson} — {row.lesson.assignment.klass.name}"
        else:
            target = row.klass.name + (f" — {row.subgroup.name}" if row.subgroup else "")
        result.append(AssignmentRow(row.id, target, window_label(row.start_date, row.end_date),
                                    row.assigned_by.short_name if row.assigned_by else "",
                                    may_remove and row.assigned_by_id == actor.staff_id))
    return result


def window_label(start, end):
    if start and end:
        return f"с {start:%d.%m.%Y} по {end:%d.%m.%Y}"
    if start:
        return f"с {start:%d.%m.%Y}"
    if end:
        return f"по {end:%d.%m.%Y}"
    return "без срока"


# -- what a student sees -----------------------------------------------------------------------------------------

@dataclass
class MaterialRow:
    id: int
    title: str
    kind: str
    url: str | None
    body: str | None
    file_name: str | None
    file_size: int | None
    subject: str = ""
    lesson_id: int | None = None
    lesson_date: object = None
    window: str = ""

    @property
    def kind_label(self):
        return MATERIAL_KINDS.get(self.kind, self.kind)

    @property
    def size_label(self):
        return files.size_label(self.file_size) if self.file_size is not None else ""


_ROW_COLUMNS = (Material.id, Material.title, Material.kind, Material.url, Material.body, StoredFile.name,
                StoredFile.size, Subject.name)


def _material_rows(query):
    return query.join(Material, Material.id == MaterialAssignment.material_id) \
        .join(Subject, Subject.id == Material.subject_id) \
        .outerjoin(StoredFile, StoredFile.id == Material.stored_file_id)


def lesson_materials(lesson_ids):
    """{lesson id: [MaterialRow]} of the materials assigned to the lessons (the diary's week: lessons already the
    student's); one statement whatever the number of lessons."""
    ids = sorted({i for i in lesson_ids if i is not None})
    if not ids:
        return {}
    result = {}
    rows = db.session.execute(_material_rows(select(*_ROW_COLUMNS, MaterialAssignment.lesson_id))
                              .where(MaterialAssignment.lesson_id.in_(ids))
                              .order_by(MaterialAssignment.lesson_id, MaterialAssignment.id)).all()
    for r in rows:
        result.setdefault(r[8], []).append(MaterialRow(*r[:8], lesson_id=r[8]))
    return result


@dataclass
class StudentMaterials:
    for_class: list  # MaterialRow given to his class or subgroup, in their window today
    for_lessons: list  # MaterialRow of his lessons of the last and next days
    courses: list  # (Course, window) given to his class or subgroup


def student_materials(student_id, org_id, today=None):
    """What the student sees on his «Материалы» page today: the materials and courses given to his class (his
    subgroup) within their window, and the materials of his lessons from STUDENT_LESSONS_BACK days ago to
    STUDENT_LESSONS_AHEAD days ahead. Three statements."""
    today = today or dates.today()
    MA = MaterialAssignment
    seen = permissions.material_assignments_seen(MA, [student_id], today)
    rows = db.session.execute(_material_rows(select(*_ROW_COLUMNS, MA.start_date, MA.end_date, MA.lesson_id,
                                                    Lesson.date))
                              .outerjoin(Lesson, Lesson.id == MA.lesson_id)
                              .where(MA.org_id == org_id, seen, or_(MA.lesson_id.is_(None), and_(
                                  Lesson.date >= today - timedelta(days=STUDENT_LESSONS_BACK),
                                  Lesson.date <= today + timedelta(days=STUDENT_LESSONS_AHEAD))))
                              .order_by(Lesson.date.desc(), Subject.name, Material.title, MA.id)).all()
    for_class, for_lessons = [], []
    for r in rows:
        item = MaterialRow(*r[:8], lesson_id=r[10], lesson_date=r[11], window=window_label(r[8], r[9]))
        (for_lessons if item.lesson_id is not None else for_class).append(item)
    given = db.session.execute(select(MA.course_id, MA.start_date, MA.end_date).where(
        MA.org_id == org_id, MA.course_id.is_not(None), seen)).all()
    windows = {course_id: window_label(start, end) for course_id, start, end in given}
    found = db.session.scalars(select(Course).where(Course.id.in_(list(windows))).options(
        joinedload(Course.subject), selectinload(Course.items))
        .order_by(Course.title)).all() if windows else []
    return StudentMaterials(for_class, for_lessons, [(course, windows[course.id]) for course in found])


def student_course(student_id, org_id, course_id, today=None):
    """The course with its sections in order if it is given to the student today; else None."""
    course_id = parse_id(course_id)
    if course_id is None:
        return None
    today = today or dates.today()
    MA = MaterialAssignment
    seen = select(MA.id).where(MA.course_id == course_id, MA.org_id == org_id,
                               permissions.material_assignments_seen(MA, [student_id], today)).exists()
    return db.session.scalar(select(Course).where(Course.id == course_id, seen).options(
        joinedload(Course.subject), selectinload(Course.items).joinedload(CourseItem.material)
        .joinedload(Material.stored_file)))
