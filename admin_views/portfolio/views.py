"""«Портфолио»: a student's portfolio (his entries and projects), the class teacher's list of his class with the
proposals waiting, the student's proposal and the class teacher's answer; the projects and their stages as model
views. Every rule is in services/portfolio/."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from sqlalchemy.orm import joinedload, selectinload

from models import EntryKind, EntryLevel, EntryPlace, EntryStatus, PortfolioEntry, Project, ProjectStage, Student, db
from services import dates
from services.errors import DomainError, PermissionDenied
from services.portfolio import entries, projects

from admin_views.base import SecureModelView, SecurePage, requires
from admin_views.files import download, uploaded
from admin_views.forms import REFUSED, Sent, refused
from admin_views.portfolio.forms import ClassQuery, DecideForm, EntryForm

# The staff find the portfolio under «Люди» (the top menu stays one line at 1366 px); a student and a parent
# reach it from the diary's «Портфолио» tab, so the menu does not list it for them.
PORTFOLIO = "Люди"


class StaffMenu:
    def is_visible(self):
        actor = self.actor
        if actor is not None and (actor.student_id or actor.parent_id):
            return False
        return super().is_visible()
ENTRY, PROJECT = entries.KEY, projects.KEY


class PortfolioPage(StaffMenu, SecurePage):
    view_key = entries.STUDENT_KEY
    needs_organization = True

    @requires("list", rows=Student)
    @expose("/")
    def index(self):
        own = [] if entries.picks_class(self.actor) else entries.students_list(self.actor)
        if len(own) == 1:
            return redirect(url_for(".student", student_id=own[0].id))
        classes = entries.classes_list(self.actor) if entries.picks_class(self.actor) else []
        class_id = ClassQuery.from_args().class_id.data
        if class_id is not None and class_id not in {c[0] for c in classes}:
            abort(404)
        if class_id is None and len(classes) == 1:
            class_id = classes[0][0]
        students = own or (entries.students_list(self.actor, class_id) if class_id is not None else [])
        return self.render("portfolio/index.html", classes=classes, class_id=class_id, students=students,
                           summaries=entries.summaries([s.id for s in students]), levels=EntryLevel.LABELS,
                           pending=entries.pending(self.actor), kinds=EntryKind.LABELS)

    def _student_page(self, student, sent, status=200, editing=None):
        items = entries.entries_of(self.actor, student.id)
        changeable = entries.changeable(self.actor, items)
        return self.render(
            "portfolio/student.html", student=student, items=items,
            projects=projects.projects_of(self.actor, student.id), sent=sent, editing=editing,
            may_add=entries.may_add(self.actor, student), may_propose=entries.may_propose(self.actor, student),
            may_confirm=entries.may_confirm(self.actor), may_change=lambda e: e.id in changeable,
            can_edit=entries.may_edit(self.actor),
            kinds=EntryKind.LABELS, levels=EntryLevel.LABELS, places=EntryPlace.LABELS,
            statuses=EntryStatus.LABELS, subjects=entries.subject_choices(self.actor),
            today=dates.today(self.actor.org), max_mb=entries.MAX_FILE_BYTES // (1024 * 1024)), status

    @requires("list", rows=Student, denied=404)
    @expose("/student/<id:student_id>/")
    def student(self, student_id):
        student = entries.student_for(self.actor, student_id)
        if student is None:
            abort(404)
        return self._student_page(student, Sent())

    @requires("list", rows=Student, denied=404)
    @expose("/student/<id:student_id>/add/", methods=("POST",))
    def add(self, student_id):
        student = entries.student_for(self.actor, student_id)
        if student is None or not (entries.may_add(self.actor, student) or entries.may_propose(self.actor, student)):
            abort(404)
        form = EntryForm.from_form()
        try:
            entry = entries.add(self.actor, student_id, form.entry(), uploaded())
        except DomainError as exc:
            sent = refused(exc)
            return self._student_page(db.session.get(Student, student_id), sent, REFUSED)
        flash("Запись добавлена в портфолио." if entry.status == EntryStatus.CONFIRMED else
              "Запись отправлена классному руководителю на подтверждение.", "success")
        return redirect(url_for(".student", student_id=student_id))

    def _entry(self, entry_id, verb="details"):
        entry = entries.entry_for(self.actor, entry_id, verb)
        if entry is None:
            abort(404)
        return entry

    @requires("edit", rows=PortfolioEntry, view=ENTRY, denied=404)
    @expose("/entry/<id:entry_id>/edit/", methods=("GET", "POST"))
    def edit(self, entry_id):
        entry = self._entry(entry_id, "edit")
        if not entries.may_change(self.actor, entry):
            abort(404)
        student_id = entry.student_id
        if request.method == "POST":
            form = EntryForm.from_form()
            try:
                entries.update(self.actor, entry_id, form.entry(), form.version.data, uploaded(),
                               drop_file=bool(form.drop_file.data))
            except DomainError as exc:
                sent = refused(exc)
                return self._student_page(db.session.get(Student, student_id), sent, REFUSED,
                                          editing=db.session.get(PortfolioEntry, entry_id))
            flash("Запись портфолио сохранена.", "success")
            return redirect(url_for(".student", student_id=student_id))
        return self._student_page(entry.student, Sent(), editing=entry)

    @requires("delete", rows=PortfolioEntry, view=ENTRY, denied=404)
    @expose("/entry/<id:entry_id>/delete/", methods=("POST",))
    def delete(self, entry_id):
        entry = self._entry(entry_id)
        student_id = entry.student_id
        try:
            entries.delete(self.actor, entry_id)
        except PermissionDenied:
            abort(404)
        flash("Запись удалена из портфолио.", "success")
        return redirect(url_for(".student", student_id=student_id))

    @requires("confirm", rows=PortfolioEntry, view=ENTRY, denied=404)
    @expose("/entry/<id:entry_id>/decide/", methods=("POST",))
    def decide(self, entry_id):
        entry = self._entry(entry_id, "confirm")
        student_id = entry.student_id
        form = DecideForm.from_form()
        confirm = form.action.data == "confirm"
        if form.action.data not in ("confirm", "reject"):
            abort(400)
        try:
            entries.decide(self.actor, entry_id, confirm, form.reason.data or "", form.version.data)
        except DomainError as exc:
            refused(exc)
            return redirect(url_for(".student", student_id=student_id))
        flash("Запись подтверждена." if confirm else "Запись отклонена; ученик увидит причину.", "success")
        return redirect(url_for(".student", student_id=student_id))

    @requires("details", rows=PortfolioEntry, view=ENTRY, denied=404)
    @expose("/entry/<id:entry_id>/file/")
    def file(self, entry_id):
        entry = self._entry(entry_id)
        if entry.stored_file is None:
            abort(404)
        return download(entry.stored_file)

    @requires("details", rows=Project, view=PROJECT, denied=404)
    @expose("/project/<id:project_id>/")
    def project(self, project_id):
        project = projects.project_for(self.actor, project_id)
        if project is None:
            abort(404)
        return self.render("portfolio/project.html", project=project, sent=Sent(),
                           may_edit=projects.project_for(self.actor, project_id, "edit") is not None)

    @requires("details", rows=Project, view=PROJECT, denied=404)
    @expose("/project/<id:project_id>/file/")
    def project_file(self, project_id):
        project = projects.project_for(self.actor, project_id)
        if project is None or project.result_file is None:
            abort(404)
        return download(project.result_file)

    @requires("edit", rows=Project, view=PROJECT, denied=404)
    @expose("/project/<id:project_id>/result-file/", methods=("POST",))
    def project_upload(self, project_id):
        if projects.project_for(self.actor, project_id, "edit") is None:
            abort(404)
        form = DecideForm.from_form()
        try:
            projects.set_result_file(self.actor, project_id, uploaded(), drop=form.action.data == "drop")
        except DomainError as exc:
            sent = refused(exc)
            return self.render("portfolio/project.html", project=projects.project_for(self.actor, project_id),
                               sent=sent, may_edit=True), REFUSED
        flash("Файл результата сохранён." if form.action.data != "drop" else "Файл результата удалён.", "success")
        return redirect(url_for(".project", project_id=project_id))


def _names(view, context, model, name):
    return ", ".join(f"{s.last_name} {s.first_name}" + (f" ({s.klass.name})" if s.klass else "")
                     for s in model.participants)


class ProjectView(StaffMenu, SecureModelView):
    view_key = PROJECT
    column_list = ("title", "subject", "supervisor", "participants", "start_date", "mark")
    column_default_sort = [("start_date", True), ("id", True)]
    column_searchable_list = ("title",)
    column_filters = ("subject.name", "supervisor.last_name", "start_date")
    form_columns = ("title", "subject", "supervisor", "start_date", "participants", "result_text", "mark")
    column_labels = {"subject": "Предмет", "subject.name": "Предмет", "supervisor.last_name": "Руководитель"}
    column_formatters = {"participants": _names, "supervisor": lambda v, c, m, n: m.supervisor.short_name}
    column_export_list = ("title", "subject", "supervisor", "participants", "start_date", "result_text", "mark")
    choice_filters = {"participants": projects.participant_choices, "supervisor": projects.supervisor_choices}
    column_auto_select_related = False  # list_loader_options loads the participants with their classes
    list_loader_options = (joinedload(Project.subject), joinedload(Project.supervisor),
                           selectinload(Project.participants).joinedload(Student.klass))
    form_args = {"mark": {"description": "От 1 до 5; можно не ставить"}}

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        if is_created:
            model.created_by_id = self.actor.user_id


class ProjectStageView(StaffMenu, SecureModelView):
    view_key = projects.STAGE_KEY
    column_list = ("project", "title", "planned_date", "done_date", "note")
    column_default_sort = [("planned_date", False), ("id", False)]
    column_filters = ("project.title", "planned_date", "done_date")
    column_labels = {"project.title": "Проект"}
    form_columns = ("project", "title", "planned_date", "done_date", "note")
    choice_filters = {"project": lambda actor: projects.editable_condition(actor)}
    list_loader_options = (joinedload(ProjectStage.project),)


def views():
    """Registered in admin_views/registry.py."""
    return [ProjectView(Project, "Проекты", PORTFOLIO, PROJECT, "/portfolio-projects"),
            ProjectStageView(ProjectStage, "Этапы проектов", PORTFOLIO, projects.STAGE_KEY, "/portfolio-stages")]


def pages():
    return [PortfolioPage(name="Портфолио обучающихся", category=PORTFOLIO, endpoint="portfolio", url="/portfolio")]

