"""«Файлы урока» (issue 16.6): the files of one lesson's homework and topic — listed to the lesson's readers,
attached (several at once) and deleted by its teacher; each downloaded by whoever may read the lesson (the
diary links here). Every rule is in services/journal/lesson_files.py; a file of a lesson the actor may not
read is 404, never 403 (its existence is not revealed)."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose

from models import LESSON_FILE_KINDS, Lesson, db
from services import audit, permissions
from services.errors import DomainError, PermissionDenied
from services.files import ALLOWED_HINT, MAX_FILE_BYTES
from services.journal import lesson_files
from services.uploads import megabytes

from admin_views.base import SecurePage, requires
from admin_views.files import download as file_download
from admin_views.journal.forms import LessonFilesForm

KEY = lesson_files.KEY


class LessonFilesView(SecurePage):
    view_key = KEY

    def is_visible(self):
        return False  # reached from a lesson of the journal (and the diary), not from the menu

    @requires("list", rows=Lesson)
    @expose("/")
    def index(self):
        return redirect(url_for("journal.index"))

    @requires("list", rows=Lesson)
    @expose("/<id:lesson_id>/")
    def lesson(self, lesson_id):
        lesson = lesson_files.lesson_for(self.actor, lesson_id, "list")
        if lesson is None:
            abort(404)
        rows = lesson_files.files_of([lesson.id]).get(lesson.id, [])
        can_write = lesson_files.lesson_for(self.actor, lesson.id, "create") is not None
        closed = lesson_files.closed_reason(lesson) if can_write else None
        journal = permissions.allowed(self.actor, "journal", "list") and url_for(
            "journal.grid", assignment_id=lesson.assignment_id, period=lesson.period_id) + f"#lesson-{lesson.id}"
        return self.render("journal/lesson_files.html", lesson=lesson, rows=rows, kinds=LESSON_FILE_KINDS,
                           can_write=can_write and not closed, closed=closed, journal=journal,
                           hint=ALLOWED_HINT, limit=megabytes(MAX_FILE_BYTES),
                           most=lesson_files.MAX_FILES_PER_LESSON)

    @requires("create", rows=Lesson)
    @expose("/<id:lesson_id>/upload", methods=("POST",))
    def upload(self, lesson_id):
        form = LessonFilesForm.from_form()
        uploads = [(f.filename or "", f.read(MAX_FILE_BYTES + 1)) for f in request.files.getlist("files")]
        try:
            added = lesson_files.attach(self.actor, lesson_id, form.kind.data, uploads)
        except DomainError as exc:
            return self._refused(exc, lesson_id)
        flash(f"Приложено файлов: {len(added)}", "success")
        return redirect(url_for(".lesson", lesson_id=lesson_id))

    @requires("delete", rows=Lesson)
    @expose("/<id:lesson_id>/<id:file_id>/delete", methods=("POST",))
    def delete(self, lesson_id, file_id):
        try:
            name = lesson_files.remove(self.actor, lesson_id, file_id)
        except DomainError as exc:
            return self._refused(exc, lesson_id)
        flash(f"Файл «{name}» удалён.", "success")
        return redirect(url_for(".lesson", lesson_id=lesson_id))

    def _refused(self, exc, lesson_id):
        db.session.rollback()
        if lesson_files.lesson_for(self.actor, lesson_id, "list") is None:
            abort(404)
        if isinstance(exc, PermissionDenied):
            abort(403)
        flash(str(exc), "error")
        return redirect(url_for(".lesson", lesson_id=lesson_id))

    @requires("details", rows=Lesson, denied=404)  # whoever may not read the lesson: «not found»
    @expose("/<id:lesson_id>/<id:file_id>")
    def download(self, lesson_id, file_id):
        row = lesson_files.readable_file(self.actor, lesson_id, file_id)
        if row is None:
            audit.log_denied(self.actor, "lesson_file", file_id,
                             f"Отказано в доступе к файлу урока (урок id {lesson_id}, файл id {file_id})")
            abort(404)
        try:
            return file_download(row.stored_file)
        except DomainError:
            abort(404)


def pages():
    """The lesson files page; registered in admin_views/registry.py."""
    return [LessonFilesView(name="Файлы урока", endpoint="lesson_files", url="/lesson-files")]
