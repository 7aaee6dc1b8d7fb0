"""The journal pages: the grid of one teaching assignment (marks, attendance, topics, homework,
period marks), the class teacher's summary of his class, the absences he explains, and the
history of a cell.

Reading goes through services/journal/grid.py and services/journal/summary.py (permission rows, a
fixed number of statements), the grid's cells are built by admin_views/journal/grid_cells.py; every
write goes through services/journal/ (grid_save.py: the grid, from its payload parsed once by
services/journal/payload.py; absences.py: the absence reasons) in one transaction.
"""
from datetime import timedelta

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_admin import expose
from sqlalchemy import select

from models import Mark, SchoolClass, Student, TeachingAssignment, db
from services import dates
from services.terms import KindPhrase
from services.journal import absences, grid_save, marks_save
from services.journal import grid as jv
from services.journal import summary as summary_reads
from services import permissions
from services.errors import DomainError, PermissionDenied
from services.journal.history import cell_history
from services.journal.payload import GridPayload, VersionConflict
from services.org.years import current_year

from admin_views import formatting
from admin_views.args import id_arg
from admin_views.base import SecurePage, requires
from admin_views.forms import REFUSED, Sent, refused
from admin_views.journal import grid_cells
from admin_views.journal.forms import AbsencesForm, HistoryQuery

JOURNAL = "Журнал"
CONFLICT_MESSAGE = ("Ничего не сохранено: пока вы работали, эти записи изменил другой пользователь. "
                    "Обновите страницу и сохраните свои изменения ещё раз.")


def _actor():
    return g.get("actor")


class JournalPage(SecurePage):
    """A hand-made page guarded by one key of the permission table."""

    view_key = None



def _fmt_decimal(value):
    if value is None:
        return ""
    return format(value, "f").replace(".", ",")


# -- the grid ------------------------------------------------------------------------------------

class JournalView(JournalPage):
    """Журнал оценок: a teacher's assignment × period as one grid; others read it."""

    view_key = "journal"

    @requires("list", rows=TeachingAssignment)
    @expose("/")
    def index(self):
        actor = self.actor
        year = current_year(actor.org)
        assignments = jv.visible_assignments(actor, year.id if year else None)
        own = [a for a in assignments if a.teacher_id == actor.staff_id]
        others = [a for a in assignments if a.teacher_id != actor.staff_id]
        by_class = {}
        for a in others:
            by_class.setdefault(a.klass, []).append(a)
        teachers = jv.teacher_names(a.teacher_id for a in others) if others else {}
        return self.render("journal/index.html", year=year, own=own, by_class=list(by_class.items()),
                           teachers=teachers, label=jv.assignment_label,
                           class_pages=permissions.allowed(actor, "class_journal", "list"))

    @requires("list", rows=TeachingAssignment)
    @expose("/<id:assignment_id>/")
    def grid(self, assignment_id):
        actor = self.actor
        grid = jv.load_grid(actor, assignment_id, id_arg("period"),
                            correct=request.args.get("correct") == "1")
        if grid is None:
            abort(404)
        columns, today = _columns(grid), dates.today(self.actor.org)
        return self.render("journal/grid.html", grid=grid, columns=columns, body=grid_cells.body(grid, columns, today),
                           grid_config=_grid_config(grid), fmt=_fmt_decimal, cell_editable=jv.cell_editable,
                           period_mark_editable=jv.period_mark_editable, lock_shown=jv.lock_shown,
                           today=today)

    @requires("list", rows=TeachingAssignment)  # the write ("edit", "correct"): rules.save_entries, per row
    @expose("/<id:assignment_id>/save", methods=("POST",))
    def save(self, assignment_id):
        actor = self.actor
        lean = self._lean_save(actor, assignment_id)
        if lean is not None:
            return lean
        loaded = jv.load_assignment(actor, assignment_id)
        if loaded is None:
            abort(404)
        periods = loaded[1]
        period_id = id_arg("period_id", request.form)
        period = next((p for p in periods if p.id == period_id), None)
        back = url_for(".grid", assignment_id=assignment_id, period=period.id if period else None,
                       correct=request.form.get("correct") or None)
        try:  # the grid's changes (JSON from static/journal.js), parsed once: the service takes the object
            payload = GridPayload.from_json(request.form.get("payload") or "{}")
        except DomainError as exc:
            return self._answer(False, back, _message(exc), status=400)
        if payload.period_marks and period is None:
            return self._answer(False, back, "Не указан учебный период отметок за период.", status=400)
        payload = payload.in_period(period.id if period else None)
        if payload.empty:
            return self._answer(True, back, "Изменений нет.")
        try:
            grid_save.save_entries(actor, assignment_id, payload, loaded=(loaded[0], loaded[4]))
        except VersionConflict as exc:
            details = "; ".join(exc.errors[:5]) + ("…" if len(exc.errors) > 5 else "")
            return self._answer(False, back, CONFLICT_MESSAGE + (f" ({details})" if details else ""),
                                status=409, conflict=True)
        except PermissionDenied as exc:
            if not _wants_json():
                raise  # the error page, 403
            return self._answer(False, back, _message(exc), status=403)
        except DomainError as exc:
            return self._answer(False, back, _message(exc), status=400)
        return self._answer(True, back, "Журнал сохранён.")

    def _lean_save(self, actor, assignment_id):
        """The teacher's marks on existing tasks, the most frequent save, by the lean path
        (services/journal/marks_save.py: its checks in one statement, one conditional UPDATE); None
        when it does not take this save — then the general path below answers, every rule's message
        its own."""
        try:
            payload = GridPayload.from_json(request.form.get("payload") or "{}")
        except DomainError:
            return None
        if not marks_save.applies(actor, payload):
            return None
        period_id = id_arg("period_id", request.form)
        try:
            saved = marks_save.save_marks(actor, assignment_id, period_id, payload)
        except VersionConflict:
            back = url_for(".grid", assignment_id=assignment_id, period=period_id,
                           correct=request.form.get("correct") or None)
            return self._answer(False, back, CONFLICT_MESSAGE, status=409, conflict=True)
        if not saved:
            db.session.rollback()  # nothing was written; the gates are taken again by the general path
            return None
        back = url_for(".grid", assignment_id=assignment_id, period=period_id,
                       correct=request.form.get("correct") or None)
        return self._answer(True, back, "Журнал сохранён.")

    def _answer(self, ok, back, message, status=200, conflict=False):
        if not ok:
            db.session.rollback()
        if _wants_json():
            if ok:
                flash(message, "success")
            return jsonify(ok=ok, message=message, conflict=conflict, redirect=back), status
        flash(message, "success" if ok else "error")
        return redirect(back)

    @requires("list", rows=TeachingAssignment)
    @requires("list", rows=Mark, view="cell_history")
    @expose("/history/")
    def history(self):
        actor = self.actor
        if not permissions.allowed(actor, "cell_history", "list"):
            abort(403)
        query = HistoryQuery.from_values()
        task_id, student_id = query.task_id.data, query.student_id.data
        if not task_id or not student_id:
            abort(404)
        try:
            entries = cell_history(actor, task_id, student_id)
        except PermissionDenied:
            abort(403)
        except DomainError:
            abort(404)
        template = "journal/history_fragment.html" if query.fragment.data else "journal/history.html"
        return self.render(template, history_rows=_history_rows(entries))


def _wants_json():
    """static/journal.js saves with fetch and shows the answer in the page."""
    return request.headers.get("X-Requested-With") == "fetch"


def _message(exc):
    return str(exc) if str(exc) else getattr(exc, "message", "")


HISTORY_ACTIONS = {"insert": "поставлена", "update": "изменена", "delete": "удалена"}


def _history_rows(entries):
    """Audit rows of a cell (services.journal.history.cell_history) as lines: when, who, what, old → new."""
    rows = []
    for entry in entries or ():
        changes = entry.changes or {}
        value = changes.get("value") or [None, None]
        comment = changes.get("comment") or [None, None]
        user = entry.user
        rows.append({
            "at": formatting.format_datetime(entry.at),  # the organization's local time
            "who": (user.display_name or user.login) if user is not None else "система",
            "action": HISTORY_ACTIONS.get(entry.action, entry.action),
            "old": value[0] or "", "new": value[1] or "",
            "comment": comment[1] if "comment" in changes else "",
        })
    return rows


class Column:
    """A column of the grid: a lesson's attendance or one of its tasks; index for the keyboard."""

    def __init__(self, kind, lesson, task, index, first):
        self.kind, self.lesson, self.task, self.index, self.first = kind, lesson, task, index, first


def _columns(grid):
    columns = []
    for lesson in grid.lessons:
        columns.append(Column("att", lesson, None, len(columns), True))
        for task in lesson.tasks:
            columns.append(Column("mark", lesson, task, len(columns), False))
    return columns


def _grid_config(grid):
    return {
        "assignmentId": grid.assignment.id,
        "periodId": grid.period.id if grid.period else None,
        "saveUrl": url_for(".save", assignment_id=grid.assignment.id),
        "historyUrl": url_for(".history") if grid.can_history else None,
        "correct": "1" if grid.correcting else "",
        "markValues": list(grid.mark_values),
        "periodMarkValues": list(grid.period_mark_values),
        "codes": [{"code": c.code, "name": c.name} for c in grid.codes],
        "types": [{"id": t.id, "name": t.name, "short": t.short_name, "weight": str(t.default_weight),
                   "mandatory": t.default_mandatory} for t in grid.types],
        # The lessons in order, for the "homework due on" choices (filled in when a list is opened).
        "lessons": [{"id": lesson.id, "label": f"{lesson.date:%d.%m}, {lesson.number}-й"}
                    for lesson in grid.lessons if not lesson.is_cancelled],
        "editable": grid.can_write,
        "noMarks": grid.no_marks,
    }


# -- the class teacher: the summary and the absences -----------------------------------------------

def _classes_for(actor, view_key):
    cond = permissions.row_condition(actor, view_key, "list", SchoolClass)
    year = current_year(actor.org)
    query = select(SchoolClass).where(cond).order_by(SchoolClass.grade, SchoolClass.name)
    if year is not None:
        query = query.where(SchoolClass.year_id == year.id)
    return db.session.scalars(query).all()


class ClassJournalView(JournalPage):
    """Сводная по классу: students × subjects (averages, period marks) and links to every journal."""

    view_key = "class_journal"

    @requires("list", rows=SchoolClass)
    @expose("/")
    def index(self):
        classes = _classes_for(self.actor, self.view_key)
        if len(classes) == 1:
            return redirect(url_for(".summary", class_id=classes[0].id))
        return self.render("journal/classes.html", classes=classes, target=".summary")

    @requires("list", rows=SchoolClass)
    @expose("/<id:class_id>/")
    def summary(self, class_id):
        actor = self.actor
        summary = summary_reads.class_summary(actor, class_id, id_arg("period"))
        if summary is None:
            abort(404)
        return self.render("journal/class_summary.html", s=summary, fmt=_fmt_decimal,
                           absences=permissions.allowed(actor, "absence_reason", "list"))


class AbsenceView(JournalPage):
    """Причины пропусков: the class teacher explains his students' absences (2 working days)."""

    view_key = "absence_reason"

    @requires("list", rows=Student)
    @expose("/")
    def index(self):
        classes = _classes_for(self.actor, "class_journal") if permissions.allowed(
            self.actor, "class_journal", "list") else []
        if len(classes) == 1:
            return redirect(url_for(".absences", class_id=classes[0].id))
        return self.render("journal/classes.html", classes=classes, target=".absences")

    @requires("list", rows=Student)  # "edit" to save: checked below
    @requires("list", rows=SchoolClass, view="class_journal")
    @expose("/<id:class_id>/", methods=("GET", "POST"))
    def absences(self, class_id):
        actor = self.actor
        klass = db.session.scalar(select(SchoolClass).where(
            SchoolClass.id == class_id,
            permissions.row_condition(actor, "class_journal", "list", SchoolClass)))
        if klass is None:
            abort(404)
        today = dates.today(self.actor.org)
        form = AbsencesForm.from_form()
        start = form.start.data or today - timedelta(days=14)
        end = form.end.data or today
        can_edit = permissions.allowed(actor, "absence_reason", "edit")
        sent = Sent()
        if request.method == "POST":
            if not can_edit:
                abort(403)
            sent = self._save(form)
            if not sent:
                return redirect(url_for(".absences", class_id=class_id, start=start.isoformat(),
                                        end=end.isoformat()))
        rows = summary_reads.absences(actor, class_id, start, end, today)
        _, codes, _ = jv.load_reference(actor.org_id)
        # a refused save shows every row as it was sent (the right ones too), the wrong inputs marked
        return self.render("journal/absences.html", klass=klass, rows=rows, start=start, end=end,
                           codes=[c for c in codes if c.kind != "late"], can_edit=can_edit, today=today,
                           sent=sent), REFUSED if sent else 200

    def _save(self, form):
        """The changed rows in one transaction: all saved (an empty Sent), or none — then the Sent to show
        every row again as it was typed, each wrong one with its message."""
        items, typed, failed = form.changes()
        try:
            if failed:  # a document date that is no date: refused before the service is asked
                raise DomainError("Причины пропусков не сохранены", [text for *_, text in failed.values()],
                                  {(i, "document_date"): text for i, (*_, text) in failed.items()})
            if items:
                saved = absences.set_absence_reasons(self.actor, items)
        except DomainError as exc:
            return refused(exc, fields=AbsencesForm.input_name)
        if items:
            flash(f"Сохранено причин пропусков: {saved}", "success")
        else:
            flash("Изменений нет.", "success")
        return Sent()


def pages():
    """Hand-made pages of the journal; registered in admin_views/registry.py."""
    return [
        JournalView(name="Журнал оценок", category=JOURNAL, endpoint="journal", url="/journal"),
        ClassJournalView(name=KindPhrase("Сводная по классу"), category=JOURNAL, endpoint="class_journal",
                         url="/class-journal"),
        AbsenceView(name="Причины пропусков", category=JOURNAL, endpoint="absences", url="/absences"),
    ]
