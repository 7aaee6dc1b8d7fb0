"""Views of subjects, curriculum, teaching assignments, subgroups, КТП."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import LinkRowAction
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import (AcademicYear, Curriculum, CurriculumComponent, EducationalArea, Grading, Period, SchoolClass,
                    Staff, Subgroup, Subject, SubjectKind, TeachingAssignment, ThematicPlan, db)
from services import dates
from services.planning import curriculum as curricula
from services.planning import ktp
from services import permissions
from services.planning import subjects as planning
from services import uploads
from services.terms import for_kind
from services.errors import DomainError, PermissionDenied
from services.org.years import current_year
from services.terms import KindText

from admin_views.forms import REFUSED, RecordQuery, Sent, refused
from admin_views.planning.forms import CurriculumLinesForm, KtpControlQuery, SubgroupForm, TopicsForm, YearQuery
from admin_views.base import SecureModelView, SecurePage, active_teachers, open_years, requires
from reports.ktp_template import ktp_workbook

PLANNING = "Планирование"
TIMETABLE = "Расписание"


def _hours(view, context, model, name):
    return planning.fmt_hours(getattr(model, name))


def _selected_year(actor):
    """The year chosen on a page (?year_id=), else the current one."""
    year_id = YearQuery.from_values().year_id.data
    if year_id:
        year = db.session.get(AcademicYear, year_id)
        if year is None or year.org_id != actor.org_id:
            abort(404)
        return year
    return current_year(actor.org)


def _years():
    return db.session.scalars(select(AcademicYear).order_by(AcademicYear.start_date.desc())).all()


def _flash_error(exc):
    """A refused rule is shown on the page; a refused right is a 403 (the app's error page)."""
    db.session.rollback()
    if isinstance(exc, PermissionDenied):
        raise exc
    flash(str(exc), "error")


# -- dictionaries -------------------------------------------------------------------------

class EducationalAreaView(SecureModelView):
    view_key = "educational_area"
    column_list = form_columns = ("name", "sort_order")
    column_default_sort = [("sort_order", False), ("name", False)]
    column_searchable_list = ("name",)


class SubjectView(SecureModelView):
    view_key = "subject"
    column_list = ("code", "name", "short_name", "kind", "module", "area", "grading", "sort_order")
    college_only = ("code", "kind", "module")
    column_default_sort = [("sort_order", False), ("name", False)]
    column_searchable_list = ("name", "short_name", "code")
    column_filters = ("area.name", "kind", "grading")
    column_choices = {"kind": SubjectKind.choices(), "grading": Grading.choices()}
    form_choices = {"kind": SubjectKind.choices(), "grading": Grading.choices()}
    form_columns = ("code", "name", "short_name", "kind", "module", "area", "grading", "sort_order")
    form_args = {"grading": {"default": Grading.MARKS.value}, "kind": {"default": SubjectKind.DISCIPLINE.value}}
    choice_filters = {"module": lambda actor: Subject.kind == SubjectKind.MODULE.value}
    list_loader_options = (joinedload(Subject.area), joinedload(Subject.module))
    column_export_list = ("code", "name", "short_name", "kind", "area", "grading")
    column_descriptions = {"code": "ОП.01, МДК.01.01, ПМ.01, УП.01",
                           "module": "Для МДК и практики: модуль, в который они входят"}

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        if not self.actor.org.is_college:
            model.kind = SubjectKind.SUBJECT.value
            model.module = None


# -- curriculum ----------------------------------------------------------------------------

def _load(view, context, model, name):
    load = curricula.load_of(model, model.lines)
    if load.college:
        return f"{planning.fmt_hours(load.period1)} / {planning.fmt_hours(load.period2)}"
    return planning.fmt_hours(load.week)


class CurriculumView(SecureModelView):
    view_key = "curriculum"
    column_list = ("year", "grade", "profile", "specialty", "load", "max_hours", "weeks", "lines")
    college_only = ("specialty",)
    column_default_sort = [("grade", False), ("profile", False)]
    column_filters = ("year.name", "grade")
    form_columns = ("year", "grade", "profile", "specialty", "max_hours", "weeks", "note")
    choice_filters = {"year": open_years}
    list_loader_options = (joinedload(Curriculum.year), joinedload(Curriculum.specialty),
                           joinedload(Curriculum.organization), selectinload(Curriculum.lines))
    column_formatters = {"load": _load, "max_hours": _hours,
                         "lines": lambda v, c, m, n: len(m.lines)}
    column_extra_row_actions = [LinkRowAction("fa fa-table", "lines/?id={row_id}", title="Предметы и часы")]
    column_descriptions = {
        "max_hours": "Школа — часов в неделю (по СанПиН: 5 кл. — 29, 9 кл. — 33; пусто — подставится); "
                     "колледж — часов за семестр. План с большей нагрузкой не сохраняется.",
        "profile": "Пусто — для всех классов параллели; иначе для классов с этим профилем",
        "weeks": "Часы за год = часы в неделю × учебные недели (1 класс — 33)",
    }

    @action("copy", "Перенести в следующий учебный год",
            "Создать такие же учебные планы в следующем учебном году? Уже перенесённые строки не задвоятся.")
    def action_copy(self, ids):
        try:
            made, added = curricula.copy_to_next_year(self.actor, ids)
        except DomainError as exc:
            _flash_error(exc)
            return
        flash(f"Создано учебных планов: {made}, добавлено строк: {added}", "success")

    @requires("details")
    @expose("/lines/", methods=("GET", "POST"))
    def lines_view(self):
        form = CurriculumLinesForm.from_form()
        plan = self.get_one_for(form.id.data, "details")
        sent = Sent()
        if request.method == "POST":
            try:
                if form.do.data == "copy":
                    source = self.get_one_for(form.source_id.data, "details")
                    added = curricula.copy_lines(self.actor, source, plan)
                    flash(f"Скопировано строк: {added}" if added else
                          "Все строки этого плана уже есть: ничего не добавлено", "success")
                else:
                    curricula.save_lines(self.actor, plan, form.lines(), version=form.version.data or "")
                    flash("Учебный план сохранён", "success")
                return redirect(url_for(".lines_view", id=plan.id))
            except DomainError as exc:
                if form.do.data == "copy":
                    _flash_error(exc)
                    return redirect(url_for(".lines_view", id=plan.id))
                sent = refused(exc, fields=CurriculumLinesForm.input_name)
                plan = self.get_one_for(plan.id, "details")
        page = self._lines_page(plan, sent)
        return (page, REFUSED) if sent else page

    def _lines_page(self, plan, sent):
        can_edit = permissions.allowed(self.actor, "curriculum", "edit") and not plan.year.is_closed
        subjects = db.session.scalars(select(Subject).options(joinedload(Subject.area))
                                      .order_by(Subject.sort_order, Subject.name)).all()
        others = db.session.scalars(select(Curriculum).where(Curriculum.id != plan.id)
            .options(joinedload(Curriculum.year), joinedload(Curriculum.organization),
                     joinedload(Curriculum.specialty))
            .order_by(Curriculum.year_id.desc(), Curriculum.grade)).all()
        lines = sorted(plan.lines, key=lambda line: (
            curricula.COMPONENTS.index(line.component) if line.component in curricula.COMPONENTS else 9,
            (line.subject.area.sort_order if line.subject.area else 999),
            line.subject.sort_order or 0, line.subject.name))
        load = curricula.load_of(plan, plan.lines)
        columns = curricula.class_columns(plan)
        by_subject = {}
        for line in plan.lines:
            by_subject.setdefault(line.subject_id, []).append(line)
        planned = {sid: curricula.planned_hours(plan, ls) for sid, ls in by_subject.items()}
        # the new rows a refused save sent come back under their numbers, then the blank ones
        blank = max([4, *sent.numbers("new-")]) + 1
        return self.render("planning/curriculum_lines.html", plan=plan, lines=lines, load=load,
                           subjects=subjects, others=others, can_edit=can_edit, columns=columns,
                           planned=planned, components=CurriculumComponent, college=plan.is_college,
                           fmt=planning.fmt_hours, blank_rows=range(blank), sent=sent)


# -- teaching assignments ---------------------------------------------------------------

class TeachingAssignmentView(SecureModelView):
    view_key = "teaching_assignment"
    column_list = ("year", "klass", "subject", "subgroup", "teacher", "hours_per_week", "hours_total",
                   "thematic_plan")
    column_default_sort = [("class_id", False), ("subject_id", False)]
    column_filters = ("year.name", "klass.name", "subject.name", "teacher.last_name")
    form_columns = ("klass", "subject", "subgroup", "teacher", "hours_per_week", "hours_total",
                    "thematic_plan")
    choice_filters = {"klass": lambda actor: SchoolClass.year.has(AcademicYear.is_closed.is_(False)),
                      "teacher": active_teachers}
    list_loader_options = (joinedload(TeachingAssignment.year), joinedload(TeachingAssignment.klass),
                           joinedload(TeachingAssignment.subject), joinedload(TeachingAssignment.subgroup),
                           joinedload(TeachingAssignment.teacher), joinedload(TeachingAssignment.thematic_plan))
    column_formatters = {"hours_per_week": _hours, "hours_total": _hours,
                         "teacher": lambda v, c, m, n: m.teacher.short_name,
                         "subgroup": lambda v, c, m, n: m.subgroup.name if m.subgroup else for_kind("весь класс")}
    column_export_list = ("year", "klass", "subject", "subgroup", "teacher", "hours_per_week", "hours_total")
    column_descriptions = {
        "hours_per_week": "Пусто — подставится из учебного плана (больше, чем по плану, нельзя)",
        "hours_total": "Пусто — подставится из учебного плана",
        "subgroup": "Пусто — весь класс; подгруппы создаются на странице «Подгруппы»",
        "thematic_plan": "Обычно назначает сам учитель на странице своего КТП",
    }


# -- КТП --------------------------------------------------------------------------------

def _plan_hours(view, context, model, name):
    return sum(t.hours for t in model.topics)


def _plan_classes(view, context, model, name):
    return ", ".join(sorted(a.klass.name + (f" ({a.subgroup.name})" if a.subgroup else "")
                            for a in model.assignments))


class ThematicPlanView(SecureModelView):
    view_key = "thematic_plan"
    column_list = ("name", "subject", "grade", "year", "teacher", "topics", "hours", "classes", "updated_at")
    column_default_sort = [("grade", False), ("name", False)]
    column_searchable_list = ("name",)
    column_filters = ("year.name", "subject.name", "grade", "teacher.last_name")
    form_columns = ("year", "subject", "grade", "name", "note")
    choice_filters = {"year": open_years}
    list_loader_options = (joinedload(ThematicPlan.year), joinedload(ThematicPlan.subject),
                           joinedload(ThematicPlan.teacher), selectinload(ThematicPlan.topics),
                           selectinload(ThematicPlan.assignments).joinedload(TeachingAssignment.klass),
                           selectinload(ThematicPlan.assignments).joinedload(TeachingAssignment.subgroup))
    column_formatters = {"topics": lambda v, c, m, n: len(m.topics), "hours": _plan_hours,
                         "classes": _plan_classes, "teacher": lambda v, c, m, n: m.teacher.short_name}
    column_export_list = ("name", "subject", "grade", "year", "teacher", "hours", "classes")
    column_formatters_export = {"hours": _plan_hours, "classes": _plan_classes,
                                "teacher": lambda v, c, m, n: m.teacher.full_name}
    column_extra_row_actions = [LinkRowAction("fa fa-list-ol", "topics/?id={row_id}", title="Темы уроков")]
    column_descriptions = {"name": "Например, «Английский язык, 5 класс (УМК Spotlight)»"}

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        if is_created:
            # A КТП is always its author's: the teacher never picks someone else.
            model.teacher_id = self.actor.staff_id
            model.teacher = db.session.get(Staff, self.actor.staff_id) if self.actor.staff_id else None

    @action("copy", "Сделать копию", "Сделать копию выбранных КТП вместе с темами?")
    def action_copy(self, ids):
        try:
            for plan in db.session.scalars(select(ThematicPlan).where(ThematicPlan.id.in_(ids))).all():
                ktp.copy_plan(self.actor, plan, f"{plan.name} (копия)")
        except DomainError as exc:
            _flash_error(exc)
            return
        flash("Копии созданы", "success")

    @requires("list")
    @expose("/template/")
    def template_view(self):
        return ktp_workbook().response("ktp-shablon.xlsx")

    @requires("details")
    @expose("/download/")
    def download_view(self):
        plan = self.get_one_for(RecordQuery.from_values().id.data, "details")
        return ktp_workbook(plan, plan.topics).response(f"ktp-{plan.id}.xlsx")

    @requires("details")
    @expose("/topics/", methods=("GET", "POST"))
    def topics_view(self):
        form = TopicsForm.from_form()
        plan = self.get_one_for(form.id.data, "details")
        sent = Sent()
        if request.method == "POST":
            do = form.do.data
            try:
                if do == "import":
                    count = ktp.import_xlsx(self.actor, plan, uploads.read_upload(request.files.get("file")))
                    flash(f"Загружено тем: {count}", "success")
                elif do == "attach":
                    count = ktp.attach(self.actor, plan, form.assignment.data)
                    flash(f"КТП назначен классам: {count}", "success")
                else:
                    count = ktp.save_topics(self.actor, plan, form.topics(), version=form.version.data or "")
                    flash(f"КТП сохранён, тем: {count}", "success")
                return redirect(url_for(".topics_view", id=plan.id))
            except DomainError as exc:
                if do in ("import", "attach"):  # nothing typed on the page to keep
                    _flash_error(exc)
                    return redirect(url_for(".topics_view", id=plan.id))
                sent = refused(exc, fields=TopicsForm.input_name)
                plan = self.get_one_for(plan.id, "details")
        can_edit = bool(permissions.scoped_ids(self.actor, "thematic_plan", "edit", ThematicPlan, [plan.id])) \
            and not plan.year.is_closed
        extra = min(form.extra.data or 10, 200)
        topics = list(plan.topics)
        # the rows with inputs: those a refused save sent (as sent), else the stored topics and blank rows
        numbers = sent.numbers("title-") or range(1, len(topics) + extra + 1)
        page = self.render("planning/ktp_topics.html", plan=plan, topics=topics, can_edit=can_edit,
                           assignments=ktp.attachable_assignments(plan) if can_edit else plan.assignments,
                           total=sum(t.hours for t in topics), numbers=numbers,
                           stored=dict(enumerate(topics, start=1)), sent=sent)
        return (page, REFUSED) if sent else page


# -- hand-made pages -----------------------------------------------------------------------

class PlanningPage(SecurePage):
    view_key = None



class SubgroupPage(PlanningPage):
    """Деление класса на подгруппы по предмету на учебный период."""

    view_key = "subgroup"

    @requires("list", rows=Subgroup)
    @expose("/", methods=("GET", "POST"))
    def index(self):
        actor = self.actor
        year = _selected_year(actor)
        if year is None:
            return self.render("planning/subgroups.html", year=None, years=[], pairs=[], klass=None)
        pairs = planning.splittable_pairs(actor, year)
        periods = db.session.scalars(select(Period).where(Period.year_id == year.id)
                                     .order_by(Period.start_date)).all()
        klass = subject = period = None
        form = SubgroupForm.from_form()
        class_id, subject_id = form.class_id.data, form.subject_id.data
        ids = form.pair_ids()
        if ids:
            class_id, subject_id = ids
        if class_id and subject_id:
            klass, subject = db.session.get(SchoolClass, class_id), db.session.get(Subject, subject_id)
            if klass is None or subject is None or klass.year_id != year.id \
                    or not planning.can_split(actor, klass, subject, "list"):
                abort(404)
        period_id = form.period_id.data
        period = next((p for p in periods if p.id == period_id), None) or _current_period(periods)
        sent = Sent()
        if request.method == "POST":
            if klass is None or period is None:
                abort(400)
            sent = self._post(form, klass, subject, period)
            if not sent:
                return redirect(url_for(".index", year_id=year.id, class_id=klass.id, subject_id=subject.id,
                                        period_id=period.id))
        rows, suggested, subgroups, can_edit = [], False, [], False
        if klass is not None and period is not None:
            rows, suggested = planning.split_page(klass, subject, period)
            subgroups = planning.subgroups_of(klass, subject)
            can_edit = planning.can_split(actor, klass, subject) and not period.is_closed
        page = self.render("planning/subgroups.html", year=year, years=_years(), pairs=pairs,
                           periods=periods, klass=klass, subject=subject, period=period, rows=rows,
                           suggested=suggested, subgroups=subgroups, can_edit=can_edit,
                           can_delete=klass is not None and planning.can_split(actor, klass, subject, "delete"),
                           sent=sent)
        return (page, REFUSED) if sent else page

    def _post(self, form, klass, subject, period):
        """Do what the form asks; a Sent to show the split again as it was ticked when its save is refused
        (an empty one otherwise: the page redirects)."""
        actor = self.actor
        do = form.do.data
        try:
            if do == "create":
                made = planning.create_subgroups(actor, klass, subject, form.count.data)
                flash(f"Создано подгрупп: {len(made)}", "success")
            elif do == "copy":
                planning.copy_previous_split(actor, klass, subject, period)
                flash("Деление предыдущего периода перенесено", "success")
            elif do == "delete":
                sub = db.session.get(Subgroup, form.subgroup_id.data or 0)
                if sub is None or sub.class_id != klass.id or sub.subject_id != subject.id:
                    abort(404)
                planning.delete_subgroup(actor, sub)
                flash(f"Подгруппа «{sub.name}» удалена", "success")
            else:
                try:
                    planning.save_split(actor, klass, subject, period, form.members())
                except DomainError as exc:
                    return refused(exc, fields=lambda student_id: f"member-{student_id}")
                flash("Деление на подгруппы сохранено", "success")
        except DomainError as exc:
            _flash_error(exc)
        return Sent()


def _current_period(periods):
    today = dates.today(periods[0].org_id if periods else None)
    return next((p for p in periods if p.start_date <= today <= p.end_date), None) or \
        next((p for p in periods if p.start_date > today), None) or (periods[0] if periods else None)


class KtpControlPage(PlanningPage):
    """Контроль КТП: assignments without a КТП or with hours that differ from the curriculum."""

    view_key = "ktp_control"

    @requires("list", rows=TeachingAssignment)
    @expose("/")
    def index(self):
        actor = self.actor
        year = _selected_year(actor)
        only = KtpControlQuery.from_args().all.data != "1"
        rows = ktp.ktp_control(actor, year, only_problems=only) if year is not None else []
        return self.render("planning/ktp_control.html", year=year, years=_years(), rows=rows,
                           only=only, fmt=planning.fmt_hours)


def views():
    """The secure model views of this domain, registered in admin_views/registry.py."""
    return [
        EducationalAreaView(EducationalArea, "Образовательные области", PLANNING, "educational_area",
                            "/areas"),
        SubjectView(Subject, KindText("subjects"), PLANNING, "subject", "/subjects"),
        CurriculumView(Curriculum, "Учебный план", PLANNING, "curriculum", "/curricula"),
        TeachingAssignmentView(TeachingAssignment, "Педагогическая нагрузка", PLANNING,
                               "teaching_assignment", "/assignments"),
        ThematicPlanView(ThematicPlan, "КТП", PLANNING, "thematic_plan", "/ktp"),
    ]


def pages():
    """Hand-made pages of this domain."""
    return [
        SubgroupPage(name="Подгруппы", category=PLANNING, endpoint="subgroups", url="/subgroups"),
        KtpControlPage(name="Контроль КТП", category=PLANNING, endpoint="ktp_control", url="/ktp-control"),
    ]
