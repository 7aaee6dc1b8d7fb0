"""The journal pages: the grid of one teaching assignment (marks, attendance, topics, homework,
period marks), the class teacher's summary of his class, the absences he explains, and the
history of a cell.

Reading goes through services/journal/reads.py (permission rows, a fixed number of statements);
every write goes through services/journal/writes.py in one transaction.
"""
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_admin import expose
from sqlalchemy import select

from models import PeriodMarkKind, SchoolClass, db
from services import clock
from services.journal import writes as rules
from services.journal import reads as jv
from services import params, permissions
from services.errors import DomainError, PermissionDenied
from services.params import parse_id

from admin_views.args import id_arg
from admin_views.base import SecurePage
from admin_views.journal.forms import AbsencesForm, HistoryQuery

JOURNAL = "Журнал"
CONFLICT_MESSAGE = ("Ничего не сохранено: пока вы работали, эти записи изменил другой пользователь. "
                    "Обновите страницу и сохраните свои изменения ещё раз.")
MAX_TEXT = {"topic": 500, "homework": 4000, "comment": 300, "task_topic": 300, "note": 300}


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

    @expose("/")
    def index(self):
        from services.planning.subjects import current_year

        actor = self.actor
        year = current_year(actor.org_id) if actor.org_id else None
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

    @expose("/<id:assignment_id>/")
    def grid(self, assignment_id):
        actor = self.actor
        grid = jv.load_grid(actor, assignment_id, id_arg("period"),
                            correct=request.args.get("correct") == "1")
        if grid is None:
            abort(404)
        return self.render("journal/grid.html", grid=grid, columns=_columns(grid),
                           grid_config=_grid_config(grid), fmt=_fmt_decimal, cell_editable=jv.cell_editable,
                           period_mark_editable=jv.period_mark_editable, lock_shown=jv.lock_shown,
                           today=clock.today())

    @expose("/<id:assignment_id>/save", methods=("POST",))
    def save(self, assignment_id):
        actor = self.actor
        loaded = jv.load_assignment(actor, assignment_id)
        if loaded is None:
            abort(404)
        periods = loaded[1]
        period_id = id_arg("period_id", request.form)
        period = next((p for p in periods if p.id == period_id), None)
        back = url_for(".grid", assignment_id=assignment_id, period=period.id if period else None,
                       correct=request.form.get("correct") or None)
        try:
            payload, period_marks = parse_payload(request.form.get("payload") or "{}")
        except ValueError as exc:
            return self._answer(False, back, "Данные журнала не разобраны: " + str(exc), status=400)
        if period_marks and period is None:
            return self._answer(False, back, "Не указан учебный период отметок за период.", status=400)
        payload["period_marks"] = [dict(item, kind=PeriodMarkKind.PERIOD.value, period_id=period.id)
                                   for item in period_marks]
        if not any(payload.values()):
            return self._answer(True, back, "Изменений нет.")
        try:
            rules.save_entries(actor, assignment_id, payload, loaded=(loaded[0], loaded[4]))
        except rules.VersionConflict as exc:
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

    def _answer(self, ok, back, message, status=200, conflict=False):
        if not ok:
            db.session.rollback()
        if _wants_json():
            if ok:
                flash(message, "success")
            return jsonify(ok=ok, message=message, conflict=conflict, redirect=back), status
        flash(message, "success" if ok else "error")
        return redirect(back)

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
            entries = rules.cell_history(actor, task_id, student_id)
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
    """Audit rows of a cell (services.journal.writes.cell_history) as lines: when, who, what, old → new."""
    from flask_babel import format_datetime

    rows = []
    for entry in entries or ():
        changes = entry.changes or {}
        value = changes.get("value") or [None, None]
        comment = changes.get("comment") or [None, None]
        user = entry.user
        rows.append({
            "at": format_datetime(entry.at, "dd.MM.yyyy HH:mm") if entry.at else "",
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


def _int(value, what, optional=False):
    """An id (or a version) of the payload: 17 or "17", never 17.9, "1e3" or one beyond the column."""
    if value in (None, "") and optional:
        return None
    number = parse_id(value)
    if number is None:
        raise ValueError(what)
    return number


def _text(value, limit, label="текст"):
    return params.text_within(value, limit, label)  # too long is refused, never cut


def _weight(value):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        raise ValueError("вес задания") from None


LESSON_FIELDS = {
    "topic": lambda v: _text(v, MAX_TEXT["topic"], "Тема урока"),
    "homework": lambda v: _text(v, MAX_TEXT["homework"], "Домашнее задание"),
    "homework_due_lesson_id": lambda v: _int(v, "срок задания", optional=True),
    "attendance_taken": bool,
}
TASK_FIELDS = {
    "type_id": lambda v: _int(v, "тип задания", optional=True),
    "weight": _weight,
    "is_mandatory": bool,
    "topic": lambda v: _text(v, MAX_TEXT["task_topic"], "Тема задания"),
    "delete": bool,
}


def _present(item, fields):
    """The fields an item carries, each parsed; a field it leaves out stays out."""
    return {name: parse(item[name]) for name, parse in fields.items() if name in item}


def parse_payload(raw):
    """The grid's changes (JSON from static/journal.js) → (save_entries payload, period marks).

    Only the shape is checked here; every rule is the service's.
    """
    data = params.parse_json(raw)
    if not isinstance(data, dict):
        raise ValueError("неверный формат")

    def items(name):
        value = data.get(name) or []
        if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
            raise ValueError(name)
        return value

    # A lesson or a saved task: its id, the version the page showed and only the fields the user
    # changed (a field left out keeps what another user may have saved in it meanwhile).
    lessons = [{"lesson_id": _int(i.get("lesson_id"), "урок"), "version": _int(i.get("version"), "версия урока"),
                **_present(i, LESSON_FIELDS)} for i in items("lessons")]
    tasks = []
    for i in items("tasks"):
        task_id = _int(i.get("task_id"), "задание", optional=True)
        tasks.append({"task_id": task_id, "key": _text(i.get("key"), 40) or None,
                      "lesson_id": _int(i.get("lesson_id"), "урок", optional=task_id is not None),
                      "version": _int(i.get("version"), "версия задания") if task_id is not None else None,
                      **_present(i, TASK_FIELDS)})
    marks = []
    for i in items("marks"):
        mark = {"student_id": _int(i.get("student_id"), "ученик"),
                "value": _text(i.get("value"), 6),
                "comment": _text(i.get("comment"), MAX_TEXT["comment"], "Комментарий к отметке"),
                "version": _int(i.get("version"), "версия", optional=True)}
        if i.get("task_id") not in (None, ""):
            mark["task_id"] = _int(i.get("task_id"), "задание")
        else:
            mark["task_key"] = _text(i.get("task_key"), 40)
            if not mark["task_key"]:
                raise ValueError("задание")
        marks.append(mark)
    attendance = [{"lesson_id": _int(i.get("lesson_id"), "урок"), "student_id": _int(i.get("student_id"), "ученик"),
                   "code": _text(i.get("code"), 5), "version": _int(i.get("version"), "версия", optional=True)}
                  for i in items("attendance")]
    period_marks = [{"student_id": _int(i.get("student_id"), "ученик"), "value": _text(i.get("value"), 6),
                     "version": _int(i.get("version"), "версия", optional=True)}
                    for i in items("period_marks")]
    return {"lessons": lessons, "tasks": tasks, "marks": marks, "attendance": attendance}, period_marks


# -- the class teacher: the summary and the absences -----------------------------------------------

def _classes_for(actor, view_key):
    cond = permissions.row_condition(actor, view_key, "list", SchoolClass)
    from services.planning.subjects import current_year

    year = current_year(actor.org_id) if actor.org_id else None
    query = select(SchoolClass).where(cond).order_by(SchoolClass.grade, SchoolClass.name)
    if year is not None:
        query = query.where(SchoolClass.year_id == year.id)
    return db.session.scalars(query).all()


class ClassJournalView(JournalPage):
    """Сводная по классу: students × subjects (averages, period marks) and links to every journal."""

    view_key = "class_journal"

    @expose("/")
    def index(self):
        classes = _classes_for(self.actor, self.view_key)
        if len(classes) == 1:
            return redirect(url_for(".summary", class_id=classes[0].id))
        return self.render("journal/classes.html", classes=classes, target=".summary")

    @expose("/<id:class_id>/")
    def summary(self, class_id):
        actor = self.actor
        summary = jv.class_summary(actor, class_id, id_arg("period"))
        if summary is None:
            abort(404)
        return self.render("journal/class_summary.html", s=summary, fmt=_fmt_decimal,
                           absences=permissions.allowed(actor, "absence_reason", "list"))


class AbsenceView(JournalPage):
    """Причины пропусков: the class teacher explains his students' absences (2 working days)."""

    view_key = "absence_reason"

    @expose("/")
    def index(self):
        classes = _classes_for(self.actor, "class_journal") if permissions.allowed(
            self.actor, "class_journal", "list") else []
        if len(classes) == 1:
            return redirect(url_for(".absences", class_id=classes[0].id))
        return self.render("journal/classes.html", classes=classes, target=".absences")

    @expose("/<id:class_id>/", methods=("GET", "POST"))
    def absences(self, class_id):
        actor = self.actor
        klass = db.session.scalar(select(SchoolClass).where(
            SchoolClass.id == class_id,
            permissions.row_condition(actor, "class_journal", "list", SchoolClass)))
        if klass is None:
            abort(404)
        today = clock.today()
        form = AbsencesForm.from_form()
        start = form.start.data or today - timedelta(days=14)
        end = form.end.data or today
        can_edit = permissions.allowed(actor, "absence_reason", "edit")
        failed = {}
        if request.method == "POST":
            if not can_edit:
                abort(403)
            failed = self._save(form)
            if not failed:
                return redirect(url_for(".absences", class_id=class_id, start=start.isoformat(),
                                        end=end.isoformat()))
        rows = jv.absences(actor, class_id, start, end, today)
        for row in rows:
            if row.attendance_id in failed:  # keep what was typed (and from which version), next to why not
                row.code, row.note, row.document_text, row.error = failed[row.attendance_id]
                row.version = form.version(row.attendance_id)
        _, codes, _ = jv.load_reference(actor.org_id)
        return self.render("journal/absences.html", klass=klass, rows=rows, start=start, end=end,
                           codes=[c for c in codes if c.kind != "late"], can_edit=can_edit, today=today)

    def _save(self, form):
        """The changed rows in one transaction: all saved, or none — then every wrong row is shown
        again with its message and what was typed."""
        items, typed, failed = form.changes()
        if not failed and items:
            try:
                saved = rules.set_absence_reasons(self.actor, items)
            except rules.AbsenceReasonsRefused as exc:
                db.session.rollback()
                failed = {i: (*typed[i], message) for i, message in exc.row_errors.items()}
            else:
                flash(f"Сохранено причин пропусков: {saved}", "success")
                return {}
        if failed:
            flash(f"Причины пропусков не сохранены: исправьте строки, выделенные красным ({len(failed)}), "
                  "и сохраните снова.", "error")
        elif not items:
            flash("Изменений нет.", "success")
        return failed


def pages():
    """Hand-made pages of the journal; registered in admin_views/registry.py."""
    return [
        JournalView(name="Журнал оценок", category=JOURNAL, endpoint="journal", url="/journal"),
        ClassJournalView(name="Сводная по классу", category=JOURNAL, endpoint="class_journal",
                         url="/class-journal"),
        AbsenceView(name="Причины пропусков", category=JOURNAL, endpoint="absences", url="/absences"),
    ]
