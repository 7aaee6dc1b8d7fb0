"""The diary (дневник): a student reads his own, a parent his own children's — the week's lessons
with topics, homework, marks and attendance, and a period's averages and period marks.

The deputy director and the director (the key "student_diary") open one student's diary from his
card; each such opening is a read of personal data, written to the access log. A diary of any other student,
asked for by id in the URL or a form, is
refused with 404 and the attempt is written to the audit log.
"""
from datetime import timedelta

from flask import abort, redirect, url_for
from flask_admin import expose

from models import Student
from services import audit, dates
from services.announcements.board import text_parts
from services.journal import diary

from admin_views.base import SecurePage, requires
from admin_views.journal.forms import DiaryQuery

STAFF_KEY = "student_diary"


class DiaryView(SecurePage):
    view_key = "diary"

    def _child(self, student_id):
        """The actor's own child (or himself), or a student whose diary staff may read (a logged
        read); anything else is logged and refused."""
        children = diary.diary_children(self.actor)
        child = next((c for c in children if c.id == student_id), None)
        if child is not None:
            return child, children
        child = diary.staff_diary_child(self.actor, student_id)
        if child is None:
            diary.log_refused(self.actor, "student", student_id,
                              f"Отказано в доступе к дневнику обучающегося (id {student_id})")
            abort(404)
        audit.log_read(self.actor, "diary", "student", child.id,
                       f"Дневник: {child.name}" + (f", {child.class_name}" if child.class_name else ""))
        return child, [child]

    @requires("list", rows=Student)  # the menu and the chooser stay the family's
    @expose("/")
    def index(self):
        student_id = DiaryQuery.from_values().student.data
        if student_id is not None:
            self._child(student_id)
            return redirect(url_for(".week", student_id=student_id))
        children = diary.diary_children(self.actor)
        if len(children) == 1:
            return redirect(url_for(".week", student_id=children[0].id))
        return self.render("diary/choose.html", children=children)

    @requires("details", rows=Student, view=("diary", STAFF_KEY))  # staff open one student's diary
    @expose("/<id:student_id>/")
    def week(self, student_id):
        child, children = self._child(student_id)
        start = diary.week_start(DiaryQuery.from_values().week.data or dates.today(self.actor.org))
        days = diary.diary_week(child, start)
        today = dates.today(self.actor.org)
        return self.render("diary/week.html", child=child, children=children, days=days, start=start,
                           end=start + timedelta(days=5), prev=start - timedelta(days=7),
                           next=start + timedelta(days=7), today=today, this_week=diary.week_start(today),
                           months=diary.MONTHS_GEN, parts=text_parts,
                           announcements=diary.diary_announcements(child, self.actor.org_id, start,
                                                                   start + timedelta(days=6)))

    @requires("details", rows=Student, view=("diary", STAFF_KEY))
    @expose("/<id:student_id>/period/")
    def period(self, student_id):
        child, children = self._child(student_id)
        periods = diary.diary_periods(child)
        wanted = DiaryQuery.from_values().period.data
        period = next((p for p in periods if p.id == wanted), None) or diary.current_period(periods)
        subjects = diary.diary_period(child, period, self.actor.org) if period is not None else []
        return self.render("diary/period.html", child=child, children=children, periods=periods, period=period,
                           subjects=subjects, fmt=_fmt_decimal)


def _fmt_decimal(value):
    return "" if value is None else format(value, "f").replace(".", ",")


def pages():
    """The diary page; registered in admin_views/registry.py."""
    return [DiaryView(name="Дневник", endpoint="diary", url="/diary")]
