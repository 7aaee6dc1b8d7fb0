"""Views of bell schedule, timetable, changes, exam sessions, lessons."""
from collections import defaultdict
from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import (AcademicYear, Bell, ChangeKind, ExamEntry, ExamKind, Lesson, Period, SchoolClass,
                    Student, Subgroup, TeachingAssignment, TimetableChange,
                    TimetableEntry, WEEKDAYS, db)
from reports.timetable_xlsx import exams_workbook, grid_workbook
from services import dates
from services.timetable import lessons as lesson_service
from services import permissions, versions
from services.timetable.bells import bell_times
from services.org.years import current_year
from services.timetable.grid import BY_CHOICES, build_grid, monday, week_slots
from services.timetable.slots import DAYS, Catalog, load_entry_slots
from services.timetable.weekly import save_class_week, week_token
from services.errors import DomainError
from services.terms import KindText

from admin_views import formatting
from admin_views.forms import Sent
from admin_views.timetable.forms import LessonsForm, TimetableQuery, WeekGridForm
from admin_views.base import SecureModelView, SecurePage, active_teachers, open_years, requires

PLANNING = "Планирование"
TIMETABLE = "Расписание"
SHIFTS = [(1, "1 смена"), (2, "2 смена")]


def _open_assignments(actor):
    return TeachingAssignment.year.has(AcademicYear.is_closed.is_(False))


def _open_classes(actor):
    return SchoolClass.year.has(AcademicYear.is_closed.is_(False))


def _hhmm(view, context, model, name):
    return formatting.format_time(getattr(model, name))


ASSIGNMENT_LOADS = (joinedload(TeachingAssignment.klass), joinedload(TeachingAssignment.subject),
                    joinedload(TeachingAssignment.subgroup))


class EagerChoicesMixin:
    """Relation selects whose labels reach other rows load them with the choices, not one by one."""

    eager_choices = {}

    def _scope_choices(self, form, obj=None):
        form = super()._scope_choices(form, obj)
        for name, options in self.eager_choices.items():
            field = getattr(form, name, None)
            if field is not None and getattr(field, "query_factory", None) is not None:
                base = field.query_factory
                field.query_factory = lambda base=base, options=options: base().options(*options)
        return form


# -- model views ----------------------------------------------------------------------------------

class BellView(SecureModelView):
    view_key = "bell"
    column_list = ("year", "shift", "number", "starts_at", "ends_at")
    column_default_sort = [("shift", False), ("number", False)]
    column_formatters = {"starts_at": _hhmm, "ends_at": _hhmm,
                         "year": lambda v, c, m, n: m.year.name if m.year else "все годы"}
    column_choices = {"shift": SHIFTS}
    form_columns = ("year", "shift", "number", "starts_at", "ends_at")
    form_choices = {"shift": [("1", "1 смена"), ("2", "2 смена")]}
    form_args = {"starts_at": {"default_format": "%H:%M"}, "ends_at": {"default_format": "%H:%M"},
                 "shift": {"coerce": int, "default": 1}}
    list_loader_options = (joinedload(Bell.year),)
    choice_filters = {"year": open_years}
    column_descriptions = {"year": "Пусто — расписание звонков на все годы; звонки года заменяют его в этом году",
                           "number": "0 — «нулевой» урок", "starts_at": "В виде 08:30"}


class TimetableChangeView(EagerChoicesMixin, SecureModelView):
    view_key = "timetable_change"
    column_list = ("date", "klass", "number", "kind", "scheduled_assignment", "scheduled_teacher", "assignment",
                   "teacher", "room", "reason")
    column_default_sort = [("date", True), ("number", False)]
    column_filters = ("date", "klass.name", "kind")
    column_choices = {"kind": ChangeKind.choices()}
    form_choices = {"kind": ChangeKind.choices()}
    form_columns = ("date", "klass", "number", "kind", "scheduled_assignment", "assignment", "teacher", "room",
                    "reason")
    list_loader_options = (joinedload(TimetableChange.klass), joinedload(TimetableChange.teacher),
                           joinedload(TimetableChange.room),
                           joinedload(TimetableChange.scheduled_assignment).options(
                               *ASSIGNMENT_LOADS, joinedload(TeachingAssignment.teacher)),
                           joinedload(TimetableChange.assignment).options(*ASSIGNMENT_LOADS))
    choice_filters = {"klass": _open_classes, "scheduled_assignment": _open_assignments,
                      "assignment": _open_assignments, "teacher": active_teachers}
    eager_choices = {"scheduled_assignment": ASSIGNMENT_LOADS, "assignment": ASSIGNMENT_LOADS}
    column_formatters = {
        "scheduled_assignment": lambda v, c, m, n: _assignment_label(m.scheduled_assignment),
        "assignment": lambda v, c, m, n: _assignment_label(m.assignment),
        "teacher": lambda v, c, m, n: m.teacher.short_name if m.teacher else "",
        "scheduled_teacher": lambda v, c, m, n: m.scheduled_assignment.teacher.short_name
        if m.scheduled_assignment is not None else "",
    }
    column_descriptions = {
        "scheduled_assignment": "Для замены и отмены: какой урок расписания меняется",
        "assignment": "Для замены предмета или дополнительного урока; пусто — тот же предмет",
        "teacher": "Пусто — ведёт учитель по нагрузке",
        "room": "Пусто — кабинет по расписанию",
    }


def _assignment_label(a):
    if a is None:
        return ""
    group = f" ({a.subgroup.name})" if a.subgroup else ""
    return f"{a.subject.name}{group}"


class ExamEntryView(EagerChoicesMixin, SecureModelView):
    view_key = "exam_entry"
    list_template = "timetable/exams_list.html"
    column_list = ("date", "starts_at", "ends_at", "klass", "subgroup", "kind", "subject", "room", "examiner",
                   "assistant")
    column_default_sort = [("date", False), ("starts_at", False)]
    column_filters = ("date", "klass.name", "kind")
    column_choices = {"kind": ExamKind.choices()}
    form_choices = {"kind": ExamKind.choices()}
    form_columns = ("period", "kind", "subject", "klass", "subgroup", "date", "starts_at", "ends_at", "room",
                    "examiner", "assistant", "note")
    form_args = {"starts_at": {"default_format": "%H:%M"}, "ends_at": {"default_format": "%H:%M"}}
    column_formatters = {"starts_at": _hhmm, "ends_at": _hhmm,
                         "examiner": lambda v, c, m, n: m.examiner.short_name if m.examiner else "",
                         "assistant": lambda v, c, m, n: m.assistant.short_name if m.assistant else ""}
    list_loader_options = (joinedload(ExamEntry.klass), joinedload(ExamEntry.subgroup),
                           joinedload(ExamEntry.subject), joinedload(ExamEntry.room),
                           joinedload(ExamEntry.examiner), joinedload(ExamEntry.assistant))
    choice_filters = {"klass": _open_classes,
                      "period": lambda actor: Period.year.has(AcademicYear.is_closed.is_(False)),
                      "examiner": active_teachers, "assistant": active_teachers}
    eager_choices = {"period": (joinedload(Period.year),),
                     "subgroup": (joinedload(Subgroup.klass), joinedload(Subgroup.subject))}

    @requires("export")
    @expose("/xlsx/")
    def workbook_view(self):
        """The session timetable the actor may see, as a printable .xlsx."""
        rows = self.get_query().order_by(ExamEntry.date, ExamEntry.starts_at).limit(self.export_max_rows).all()
        return exams_workbook(rows, self.actor.org, "Расписание экзаменационной сессии") \
            .response("raspisanie-sessii.xlsx")


# -- hand-made pages ---------------------------------------------------------------------------------

class TimetablePage(SecurePage):
    view_key = "timetable"


    def year(self):
        year = current_year(self.actor.org)
        return year


class TimetableView(TimetablePage):
    """Расписание по классам, учителям и кабинетам, сводное; неделя с заменами или шаблон недели."""

    @requires("list", rows=TimetableEntry)
    @expose("/")
    def index(self):
        actor = self.actor
        year = self.year()
        if year is None:
            return self.render("timetable/view.html", year=None)
        catalog = Catalog(actor.org, year.id)
        options = self._options(actor, catalog, year)
        query = TimetableQuery.from_args()
        by = query.by.data or self._default_by(actor)
        if by not in options:
            by = next(iter(options))
        choices = options[by]
        target = query.id.data
        if by != "all":
            if target is None:
                target = self._default_target(actor, by, choices)
            if target not in dict(choices):
                abort(404)
        weekly = query.template.data == "1"
        week = None
        if not weekly:
            picked = query.week.data
            today = dates.today(self.actor.org)
            if today.isoweekday() == 7:
                today += timedelta(days=1)  # on Sunday the coming week matters
            week = monday(picked or (today if year.start_date <= today <= year.end_date else year.start_date))
        grid = build_grid(actor, catalog, year, by, target, week)
        if query.format.data == "xlsx":
            permissions.abort_unless(actor, self.view_key, "export")
            return grid_workbook(grid, actor.org).response("raspisanie.xlsx")
        return self.render("timetable/view.html", year=year, grid=grid, by=by, target=target, options=options,
                           week=week, weekly=weekly, by_labels=dict(BY_CHOICES),
                           can_export=permissions.allowed(actor, self.view_key, "export"),
                           can_edit=permissions.allowed(actor, self.view_key, "edit"),
                           timedelta=timedelta, today=dates.today(actor.org))

    @staticmethod
    def _wide(actor):
        return permissions.allowed(actor, "timetable", "all")

    def _options(self, actor, catalog, year):
        """What the actor may pick: everything for the administration, else what he sees."""
        if self._wide(actor):
            teachers = {a.teacher_id for a in catalog.assignments.values()}
            return {
                "class": [(cid, c.name) for cid, c in catalog.classes.items()],
                "teacher": sorted(((t, catalog.teacher_name(t)) for t in teachers), key=lambda x: x[1]),
                "room": list(catalog.rooms.items()),
                "all": [],
            }
        slots, _ = week_slots(actor, catalog, year)
        classes = {s.class_id for s in slots} | set(actor.own_class_ids)
        children = defaultdict(list)  # a parent picks a class by his children's names
        if actor.student_id or actor.parent_id:
            for class_id, first_name in db.session.execute(select(Student.class_id, Student.first_name).where(
                    Student.id.in_(((actor.student_id,) if actor.student_id else ()) + tuple(actor.child_ids)),
                    Student.class_id.is_not(None)).order_by(Student.first_name)):
                classes.add(class_id)
                if actor.parent_id:
                    children[class_id].append(first_name)
        classes &= set(catalog.classes)
        options = {"class": [(cid, f"{c.name} ({', '.join(children[cid])})" if children.get(cid) else c.name)
                             for cid, c in catalog.classes.items() if cid in classes]}
        if actor.staff_id and permissions.allowed(actor, self.view_key, "own_lessons"):
            options["teacher"] = [(actor.staff_id, catalog.teacher_name(actor.staff_id))]
        rooms = {s.room_id for s in slots if s.room_id}
        if rooms and actor.staff_id:
            options["room"] = [(r, n) for r, n in catalog.rooms.items() if r in rooms]
        if not options["class"]:
            options.pop("class")
        if not options:
            options["class"] = []
        return options

    def _default_by(self, actor):
        if actor.staff_id and permissions.allowed(actor, self.view_key, "own_lessons") \
                and not self._wide(actor) and not actor.own_class_ids:
            return "teacher"
        return "class"

    def _default_target(self, actor, by, choices):
        ids = [c[0] for c in choices]
        if by == "teacher" and actor.staff_id in ids:
            return actor.staff_id
        if by == "class":
            for cid in actor.own_class_ids:
                if cid in ids:
                    return cid
        return ids[0] if ids else None


class GridEditorView(TimetablePage):
    """The deputy's grid: rows = lessons, columns = days; a cell = the class's subjects and a room."""

    @requires("edit", rows=TimetableEntry)
    @expose("/", methods=("GET", "POST"))
    def index(self):
        actor = self.actor
        year = self.year()
        if year is None:
            return self.render("timetable/grid.html", year=None)
        catalog = Catalog(actor.org, year.id)
        form = WeekGridForm.from_form()
        class_id = form.class_id.data or next(iter(catalog.classes), None)
        if class_id is None:
            return self.render("timetable/grid.html", year=year, klass=None, classes=[])
        if class_id not in catalog.classes:
            abort(404)
        errors, sent = [], Sent()
        if request.method == "POST":
            try:
                cells = form.cells()
                result = save_class_week(actor, class_id, form.shift.data, cells, token=form.week.data or "")
                flash(f"Расписание {catalog.class_name(class_id)} сохранено: добавлено уроков {result.added}, "
                      f"убрано {result.removed}.", "success")
                for text in result.warnings:
                    flash(text, "warning")
                if result.added or result.removed:
                    self._remind_to_regenerate(class_id)
                return redirect(url_for(".index", class_id=class_id))
            except versions.StaleEdit as exc:  # shown again as it is now, to make the changes on it anew
                db.session.rollback()
                flash(exc.message, "error")
                return redirect(url_for(".index", class_id=class_id))
            except DomainError as exc:
                db.session.rollback()
                if isinstance(exc, permissions.PermissionDenied):
                    abort(403)
                errors = [exc.message] + exc.errors
                sent = Sent(request.form, {WeekGridForm.mark(f): text for f, text in exc.fields.items()})
                shift = form.shift_number.data or 1
                placed = [(d, n, a, r) for d, n, a, r in form.safe_cells()]
                week = form.week.data or ""
        else:
            entries = [s for s in load_entry_slots(catalog) if s.class_id == class_id]
            shift = entries[0].shift if entries else 1
            placed = [(s.weekday, s.number, s.assignment_id, s.room_id) for s in entries]
            week = week_token(entries)
        times = bell_times(actor.org_id, year.id)
        numbers = sorted({n for (sh, n) in times if sh == shift} | {n for _, n, _, _ in placed}) or list(range(1, 8))
        assignments = catalog.class_assignments(class_id)
        groups_per_subject = {}
        for a in assignments:
            if a.subgroup_id:
                groups_per_subject[a.subject_id] = groups_per_subject.get(a.subject_id, 0) + 1
        by_cell = {}
        for d, n, a, r in placed:
            by_cell.setdefault((d, n), []).append((a, r))
        # as many subject + room pairs per cell as subgroups may study in parallel
        width = max([1, *groups_per_subject.values()] + [len(v) for v in by_cell.values()])
        counts = {}
        for _, _, a, _ in placed:
            counts[a] = counts.get(a, 0) + 1
        return self.render("timetable/grid.html", year=year, catalog=catalog, klass=catalog.classes[class_id],
                           classes=list(catalog.classes.values()), shift=shift, shifts=SHIFTS, numbers=numbers,
                           days=DAYS, weekdays=WEEKDAYS, times=times, assignments=assignments,
                           by_cell=by_cell, width=width, counts=counts, errors=errors, rooms=catalog.rooms,
                           week=week, sent=sent)


    def _remind_to_regenerate(self, class_id):
        """Lessons already made from the old timetable do not follow it by themselves."""
        ahead = db.session.scalar(
            select(Lesson.id).join(TeachingAssignment, TeachingAssignment.id == Lesson.assignment_id)
            .where(TeachingAssignment.class_id == class_id, Lesson.from_timetable.is_(True),
                   Lesson.date >= dates.today(self.actor.org)).limit(1))
        if ahead is not None:
            flash(Markup("Уроки журнала созданы по прежнему расписанию. Чтобы они совпали с новым, "
                         f'<a href="{url_for("timetable_lessons.index")}">сформируйте уроки</a> заново '
                         "(с сегодняшней даты) — уроки с записями не пострадают."), "info")


class LessonsView(TimetablePage):
    """«Сформировать уроки»: lessons of a period from the timetable, with a preview and the conflicts."""

    @requires("generate", rows=TimetableEntry)
    @expose("/", methods=("GET", "POST"))
    def index(self):
        actor = self.actor
        year = self.year()
        if year is None:
            return self.render("timetable/lessons.html", year=None)
        periods = db.session.scalars(select(Period).where(Period.year_id == year.id)
                                     .order_by(Period.type, Period.start_date)).all()
        classes = db.session.scalars(select(SchoolClass).where(SchoolClass.year_id == year.id)
                                     .order_by(SchoolClass.grade, SchoolClass.name)).all()
        today = dates.today(self.actor.org)
        form = LessonsForm.from_form()
        chosen = form.period_id.data or next(
            (p.id for p in periods if p.start_date <= today <= p.end_date), periods[0].id if periods else None)
        result, error = None, None
        if request.method == "POST":
            try:
                if form.do.data == "keep":
                    count = lesson_service.keep_as_manual(actor, form.lesson_id.data)
                    flash(f"Уроков оставлено вне расписания: {count}", "success")
                    return redirect(url_for(".index", period_id=chosen))
                result = lesson_service.generate_lessons(
                    actor, chosen, start=form.start.data, class_ids=form.class_id.data,
                    dry_run=form.do.data != "generate")
                if result.dry_run:
                    db.session.rollback()  # a preview: nothing is kept
            except DomainError as exc:
                db.session.rollback()
                if isinstance(exc, permissions.PermissionDenied):
                    abort(403)
                error = str(exc)
        return self.render("timetable/lessons.html", year=year, periods=periods, classes=classes,
                           chosen=chosen, result=result, error=error,
                           picked_classes=set(form.class_id.data), start=form.start.text)


def views():
    """The secure model views of this domain, registered in admin_views/registry.py."""
    return [
        BellView(Bell, "Звонки", TIMETABLE, "bell", "/bells"),
        TimetableChangeView(TimetableChange, "Замены", TIMETABLE, "timetable_change", "/timetable-changes"),
        ExamEntryView(ExamEntry, KindText("exam_timetable"), TIMETABLE, "exam_entry",
                      "/exams"),
    ]


def pages():
    """Hand-made pages of this domain."""
    return [
        TimetableView(name="Расписание уроков", category=TIMETABLE, endpoint="timetable", url="/timetable"),
        GridEditorView(name="Составление расписания", category=TIMETABLE, endpoint="timetable_grid",
                       url="/timetable/grid"),
        LessonsView(name="Сформировать уроки", category=TIMETABLE, endpoint="timetable_lessons",
                    url="/timetable/lessons"),
    ]
