"""Files of a lesson (issue 16.6): a teacher attaches files to a lesson's homework or topic; the lesson's
readers download them (from the diary, the journal).

Who reads the files of a lesson and who attaches them is the permission table's key "lesson_file" (rows:
Lesson): the lesson's teacher (the journal's, and the one who gives it on a substitution), the class teacher
of its class, the deputy, the director and the administrator; the students of its class on the lesson's
date (the movement book's history) and their parents. A file of a lesson the actor may not read is «not
found» (never «forbidden»: its existence is not revealed).

``lesson_for(actor, lesson_id, verb)`` — the lesson if the actor may `verb` its files, else None.
``files_of(lesson_ids)`` — {lesson id: [FileRow]} of many lessons in one statement.
``attach(actor, lesson_id, kind, uploads)`` — keep the uploads ((filename, bytes) pairs): all or none.
``remove(actor, lesson_id, file_id)`` — delete one.
``readable_file(actor, lesson_id, file_id)`` — the file, if the actor may read its lesson; else None.
A lesson of a closed period (or of a closed year) takes no files and keeps those it has (SPEC §3 rule 1).
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import LESSON_FILE_KINDS, Lesson, LessonFile, StoredFile, TeachingAssignment, db
from services import files, permissions
from services.errors import DomainError, PermissionDenied
from services.journal._writes import _Periods, _transaction
from services.params import parse_id
from services.timetable.lessons import register_content

KEY = "lesson_file"
MAX_FILES_PER_LESSON = 20
KINDS = tuple(LESSON_FILE_KINDS)

# A lesson with files holds content: regeneration from the timetable never deletes it.
register_content(lambda: select(LessonFile.lesson_id).where(LessonFile.lesson_id == Lesson.id).exists())


@dataclass
class FileRow:
    id: int
    lesson_id: int
    kind: str
    name: str
    size: int

    @property
    def kind_label(self):
        return LESSON_FILE_KINDS.get(self.kind, self.kind)

    @property
    def size_label(self):
        return files.size_label(self.size)


def lesson_for(actor, lesson_id, verb="list"):
    """The lesson (with its assignment, class and subject) if the actor may `verb` its files; else None."""
    lesson_id = parse_id(lesson_id)
    if lesson_id is None or actor is None or not permissions.allowed(actor, KEY, verb):
        return None
    return db.session.scalar(
        select(Lesson).where(Lesson.id == lesson_id, permissions.row_condition(actor, KEY, verb, Lesson))
        .options(joinedload(Lesson.assignment).joinedload(TeachingAssignment.klass),
                 joinedload(Lesson.assignment).joinedload(TeachingAssignment.subject),
                 joinedload(Lesson.assignment).joinedload(TeachingAssignment.year)))


def files_of(lesson_ids):
    """{lesson id: [FileRow]} of the lessons, in the order they were attached; one statement."""
    ids = sorted({i for i in lesson_ids if i is not None})
    result = {}
    if not ids:
        return result
    rows = db.session.execute(
        select(LessonFile.id, LessonFile.lesson_id, LessonFile.kind, StoredFile.name, StoredFile.size)
        .join(StoredFile, StoredFile.id == LessonFile.stored_file_id)
        .where(LessonFile.lesson_id.in_(ids)).order_by(LessonFile.lesson_id, LessonFile.id)).all()
    for row in rows:
        result.setdefault(row[1], []).append(FileRow(*row))
    return result


def closed_reason(lesson):
    """Why the lesson's files cannot change now (its year or period closed), or None."""
    assignment = lesson.assignment
    if assignment is not None and assignment.year is not None and assignment.year.is_closed:
        return f"Учебный год {assignment.year.name} закрыт: файлы урока не меняются."
    closed = _Periods(lesson.org_id, [lesson]).closed_for(lesson)
    if closed is not None:
        return f"Период «{closed.name}» закрыт: файлы урока {lesson} не добавляются и не удаляются."
    return None


def _writable_lesson(actor, lesson_id, verb):
    lesson = lesson_for(actor, lesson_id, verb)
    if lesson is None:
        if lesson_for(actor, lesson_id, "list") is not None:
            raise PermissionDenied("Файлы урока прикладывает учитель, который ведёт урок (или проводит его по "
                                   "замене).")
        raise DomainError("Урок не найден.")
    reason = closed_reason(lesson)
    if reason:
        raise DomainError(reason)
    return lesson


def attach(actor, lesson_id, kind, uploads):
    """Keep the uploads ((filename, bytes) pairs) as files of the lesson's homework or topic (`kind`);
    every file is checked first (type by its content, size): one wrong file and none is kept. The new
    LessonFile rows, flushed."""
    if kind not in LESSON_FILE_KINDS:
        raise DomainError("Укажите, к чему файлы: к домашнему заданию или к теме урока.")
    uploads = [(name, data) for name, data in uploads if name or data]
    if not uploads:
        raise DomainError("Выберите файлы, которые нужно приложить.")
    with _transaction(actor):
        lesson = _writable_lesson(actor, lesson_id, "create")
        present = len(files_of([lesson.id]).get(lesson.id, []))
        if present + len(uploads) > MAX_FILES_PER_LESSON:
            raise DomainError(f"К уроку можно приложить не больше {MAX_FILES_PER_LESSON} файлов "
                              f"(уже приложено: {present}).")
        errors = []
        for name, data in uploads:
            try:
                files.check(name, data)
            except DomainError as exc:
                errors.append(str(exc))
        if errors:
            raise DomainError("Файлы не приложены", errors)
        added = []
        for name, data in uploads:
            stored = files.store(lesson.org_id, actor.user_id, name, data)
            row = LessonFile(org_id=lesson.org_id, lesson_id=lesson.id, kind=kind, stored_file_id=stored.id)
            db.session.add(row)
            added.append(row)
        db.session.flush()
        return added


def remove(actor, lesson_id, file_id):
    """Delete one file of the lesson (its bytes go with `flask files prune`)."""
    with _transaction(actor):
        lesson = _writable_lesson(actor, lesson_id, "delete")
        row = db.session.scalar(select(LessonFile).where(LessonFile.id == parse_id(file_id),
                                                         LessonFile.lesson_id == lesson.id))
        if row is None:
            raise DomainError("Файл не найден: возможно, его уже удалили.")
        stored = row.stored_file
        name = stored.name
        db.session.delete(row)
        db.session.flush()
        files.discard(stored)
        return name


def readable_file(actor, lesson_id, file_id):
    """The file (LessonFile with its StoredFile) if it belongs to the lesson and the actor may read the
    lesson's files; None otherwise (the page answers 404). One statement."""
    lesson_id, file_id = parse_id(lesson_id), parse_id(file_id)
    if lesson_id is None or file_id is None or actor is None or not permissions.allowed(actor, KEY, "details"):
        return None
    return db.session.scalar(
        select(LessonFile).join(Lesson, Lesson.id == LessonFile.lesson_id)
        .where(LessonFile.id == file_id, LessonFile.lesson_id == lesson_id,
               permissions.row_condition(actor, KEY, "details", Lesson))
        .options(joinedload(LessonFile.stored_file)))
