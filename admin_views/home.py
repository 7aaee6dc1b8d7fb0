"""The start page: who you are, where you work, and what you can open."""
from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user
from sqlalchemy import func, select

from models import Parent, Role, SchoolClass, Staff, Student, StudentStatus, db
from services import permissions
from services.terms import term

from admin_views.base import signed_in
from flask import g
from werkzeug.routing import BuildError
from services.control import deadlines as control


class HomeView(AdminIndexView):
    def is_accessible(self):
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path if request.path != "/" else None))

    @signed_in
    @expose("/")
    def index(self):
        actor = g.actor
        counts = {}
        if actor.org is not None and permissions.allowed(actor, "organization", "head_count"):
            counts = {
                "Обучающихся": db.session.scalar(select(func.count(Student.id)).where(
                    Student.status == StudentStatus.STUDYING.value)),
                "Сотрудников": db.session.scalar(select(func.count(Staff.id)).where(Staff.dismissal_date.is_(None))),
                "Родителей": db.session.scalar(select(func.count(Parent.id))),
            }
        own_classes = []
        if actor.own_class_ids:
            own_classes = db.session.scalars(select(SchoolClass).where(
                SchoolClass.id.in_(actor.own_class_ids)).order_by(SchoolClass.name)).all()
        roles = [role_label(r, actor.org) for r in sorted(actor.roles)]
        links = [(item.name, item.get_url()) for item in self._visible_entries()]
        return self.render("home.html", counts=counts, roles=roles, own_classes=own_classes, links=links,
                           control=_control_box(actor))

    def _visible_entries(self):
        for item in self.admin.menu():
            children = item.get_children() if item.is_category() else [item]
            for child in children:
                if child.is_accessible() and child.is_visible() and child.get_url() != request.path:
                    yield child


def _control_box(actor):
    """«Контроль»: (overdue, due soon, its page) of the actor's deadlines, or None without the page."""


    try:
        url = url_for("control.index")
    except BuildError:
        return None
    counts = control.summary(actor)
    return (*counts, url) if counts is not None else None


def role_label(code, org=None):
    """A role's name as this kind of institution says it (куратор, преподаватель in a college)."""
    if code == Role.CLASS_TEACHER.value:
        return term("class_teacher", org)
    if code == Role.TEACHER.value:
        return term("teacher", org)
    return Role(code).label
