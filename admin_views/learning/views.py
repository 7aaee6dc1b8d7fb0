"""«Учебные материалы» (issue 18.4, seed 001 stage IV): a teacher's materials (a file, a link, a text) and courses,
kept, shared and assigned to lessons, classes and subgroups; the administration reads all of them. A material's
page and its file are also what a student or a parent opens from the diary. Hand-written forms (a file upload and
the service's rules: services/learning/materials.py); a row the actor may not read is 404.
"""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose

from models import MATERIAL_KINDS, Course, Material, MaterialAssignment, db
from services import dates, permissions
from services.errors import DomainError
from services.files import ALLOWED_HINT, MAX_FILE_BYTES
from services.learning import materials as learning
from services.params import parse_id
from services.uploads import megabytes

from admin_views.base import SecurePage, requires
from admin_views.files import download, uploaded
from admin_views.forms import REFUSED, Sent, refused
from admin_views.learning.forms import AssignForm, CourseForm, LibraryQuery, MaterialForm

JOURNAL = "Журнал"
EDIT, COURSE, COURSE_EDIT, ASSIGN = (learning.EDIT_KEY, learning.COURSE_KEY, learning.COURSE_EDIT_KEY,
                                     learning.ASSIGN_KEY)


class MaterialsPage(SecurePage):
    view_key = learning.READ_KEY
    needs_organization = True

    def _today(self):
        return dates.today(self.actor.org)

    @requires("library", rows=Material)
    @expose("/")
    def index(self):
        query = LibraryQuery.from_args()
        subject, grade = query.subject.data, query.grade.data
        return self.render("materials/index.html", rows=learning.library(self.actor, subject, grade),
                           courses=learning.courses(self.actor), subjects=learning.subject_choices(self.actor)
                           if learning.may_edit(self.actor) else [], subject=subject, grade=grade,
                           may_edit=learning.may_edit(self.actor), grades=range(1, learning.MAX_GRADE + 1))

    # -- a material ----------------------------------------------------------------------------------------------

    def _form(self, material, sent, status=200):
        return self.render("materials/edit.html", material=material, sent=sent, kinds=MATERIAL_KINDS,
                           subjects=learning.subject_choices(self.actor), grades=range(1, learning.MAX_GRADE + 1),
                           hint=ALLOWED_HINT, limit=megabytes(MAX_FILE_BYTES), max_text=learning.MAX_TEXT), status

    @requires("create", rows=Material, view=EDIT)
    @expose("/new/", methods=("GET", "POST"))
    def new(self):
        if request.method == "POST":
            form = MaterialForm.from_form()
            try:
                material = learning.create_material(self.actor, form.material(uploaded()))
            except DomainError as exc:
                return self._form(None, refused(exc), REFUSED)
            flash("Материал сохранён.", "success")
            return redirect(url_for(".show", material_id=material.id))
        return self._form(None, Sent())

    @requires("details", rows=Material, denied=404)
    @expose("/<id:material_id>/")
    def show(self, material_id):
        material = learning.readable(self.actor, material_id)
        if material is None:
            abort(404)
        return self.render("materials/show.html", m=material,
                           editable=learning.editable(self.actor, material.id) is not None,
                           assignments=learning.assignments_of(self.actor, material_id=material.id)
                           if permissions.allowed(self.actor, learning.READ_KEY, "library") else [],
                           diary_link=permissions.allowed(self.actor, "diary", "list"),
                           may_assign=self.actor.staff_id is not None and permissions.allowed(
                               self.actor, ASSIGN, "create"))

    @requires("details", rows=Material, denied=404)
    @expose("/<id:material_id>/file/")
    def file(self, material_id):
        material = learning.readable(self.actor, material_id)
        if material is None or material.stored_file is None:
            abort(404)
        return download(material.stored_file)

    @requires("edit", rows=Material, view=EDIT, denied=404)
    @expose("/<id:material_id>/edit/", methods=("GET", "POST"))
    def edit(self, material_id):
        material = learning.editable(self.actor, material_id)
        if material is None:
            abort(404)
        if request.method == "POST":
            form = MaterialForm.from_form()
            try:
                learning.update_material(self.actor, material_id, form.material(uploaded()), form.version.data)
            except DomainError as exc:
                sent = refused(exc)
                return self._form(db.session.get(Material, material_id), sent, REFUSED)
            flash("Материал сохранён.", "success")
            return redirect(url_for(".show", material_id=material_id))
        return self._form(material, Sent())

    @requires("delete", rows=Material, view=EDIT, denied=404)
    @expose("/<id:material_id>/delete/", methods=("POST",))
    def delete(self, material_id):
        if learning.editable(self.actor, material_id) is None:
            abort(404)
        try:
            title = learning.delete_material(self.actor, material_id)
        except DomainError as exc:
            refused(exc)
            return redirect(url_for(".show", material_id=material_id))
        flash(f"Материал «{title}» удалён.", "success")
        return redirect(url_for(".index"))

    # -- assignments ---------------------------------------------------------------------------------------------

    def _assign_page(self, material, course, sent, status=200):
        subject_id, today = (material or course).subject_id, self._today()
        lessons = learning.lesson_choices(self.actor, subject_id, today) if material is not None else []
        upcoming = next((lesson_id for lesson_id, _, day in lessons if day >= today), None)
        return self.render("materials/assign.html", material=material, course=course, sent=sent,
                           lessons=lessons, upcoming=upcoming,
                           groups=learning.class_choices(self.actor, subject_id),
                           assignments=learning.assignments_of(
                               self.actor, material_id=material.id if material else None,
                               course_id=course.id if course else None)), status

    def _assign(self, material, course):
        if request.method == "POST":
            form = AssignForm.from_form()
            try:
                learning.assign(self.actor, form.assignment(), material_id=material.id if material else None,
                                course_id=course.id if course else None)
            except DomainError as exc:
                return self._assign_page(material, course, refused(exc), REFUSED)
            flash("Назначено.", "success")
            return redirect(request.path)
        return self._assign_page(material, course, Sent())

    @requires("create", rows=MaterialAssignment, view=ASSIGN)
    @requires("details", rows=Material, denied=404)
    @expose("/<id:material_id>/assign/", methods=("GET", "POST"))
    def assign(self, material_id):
        material = learning.readable(self.actor, material_id)
        if material is None:
            abort(404)
        return self._assign(material, None)

    @requires("create", rows=MaterialAssignment, view=ASSIGN)
    @requires("details", rows=Course, view=COURSE, denied=404)
    @expose("/courses/<id:course_id>/assign/", methods=("GET", "POST"))
    def course_assign(self, course_id):
        course = learning.course_readable(self.actor, course_id)
        if course is None:
            abort(404)
        return self._assign(None, course)

    @requires("delete", rows=MaterialAssignment, view=ASSIGN, denied=404)
    @expose("/assignments/<id:assignment_id>/delete/", methods=("POST",))
    def unassign(self, assignment_id):
        if learning.assignment_removable(self.actor, assignment_id) is None:
            abort(404)
        material_id, course_id = learning.unassign(self.actor, assignment_id)
        flash("Назначение снято.", "success")
        if material_id is not None:
            return redirect(url_for(".assign", material_id=material_id))
        return redirect(url_for(".course_assign", course_id=course_id))

    # -- courses -------------------------------------------------------------------------------------------------

    def _course_form(self, course, sent, status=200):
        """The course's form; the materials offered are those of the subject chosen (a POST's, the address's
        «?subject=», the course's, or the first one the teacher teaches)."""
        subjects = learning.subject_choices(self.actor)
        subject_id = parse_id(sent.value("subject_id", "")) if sent else None
        subject_id = subject_id or LibraryQuery.from_args().subject.data or (course.subject_id if course else None)
        if subject_id is None and subjects:
            subject_id = subjects[0][0]
        chosen = [item.material_id for item in course.items] if course else []
        return self.render("materials/course_edit.html", course=course, sent=sent, subjects=subjects,
                           subject_id=subject_id, grades=range(1, learning.MAX_GRADE + 1),
                           choices=learning.material_choices(self.actor, subject_id), chosen=chosen), status

    @requires("create", rows=Course, view=COURSE_EDIT)
    @expose("/courses/new/", methods=("GET", "POST"))
    def course_new(self):
        if request.method == "POST":
            form = CourseForm.from_form()
            try:
                course = learning.create_course(self.actor, form.course())
            except DomainError as exc:
                return self._course_form(None, refused(exc), REFUSED)
            flash("Курс сохранён.", "success")
            return redirect(url_for(".course", course_id=course.id))
        return self._course_form(None, Sent())

    @requires("details", rows=Course, view=COURSE, denied=404)
    @expose("/courses/<id:course_id>/")
    def course(self, course_id):
        course = learning.course_readable(self.actor, course_id)
        if course is None:
            abort(404)
        return self.render("materials/course.html", course=course,
                           editable=learning.course_editable(self.actor, course.id) is not None,
                           assignments=learning.assignments_of(self.actor, course_id=course.id))

    @requires("edit", rows=Course, view=COURSE_EDIT, denied=404)
    @expose("/courses/<id:course_id>/edit/", methods=("GET", "POST"))
    def course_edit(self, course_id):
        course = learning.course_editable(self.actor, course_id)
        if course is None:
            abort(404)
        if request.method == "POST":
            form = CourseForm.from_form()
            try:
                learning.update_course(self.actor, course_id, form.course(), form.version.data)
            except DomainError as exc:
                return self._course_form(db.session.get(Course, course_id), refused(exc), REFUSED)
            flash("Курс сохранён.", "success")
            return redirect(url_for(".course", course_id=course_id))
        return self._course_form(course, Sent())

    @requires("delete", rows=Course, view=COURSE_EDIT, denied=404)
    @expose("/courses/<id:course_id>/delete/", methods=("POST",))
    def course_delete(self, course_id):
        if learning.course_editable(self.actor, course_id) is None:
            abort(404)
        try:
            title = learning.delete_course(self.actor, course_id)
        except DomainError as exc:
            refused(exc)
            return redirect(url_for(".course", course_id=course_id))
        flash(f"Курс «{title}» удалён.", "success")
        return redirect(url_for(".index"))


def pages():
    """The learning materials' page; registered in admin_views/registry.py."""
    return [MaterialsPage(name="Учебные материалы", category=JOURNAL, endpoint="materials", url="/materials")]
