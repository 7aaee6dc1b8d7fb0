"""The diary (дневник): a student reads his own, a parent his own children's — the week's lessons
with topics, homework, marks and attendance, and a period's averages and period marks.

The deputy director and the director (the key "student_diary") open one student's diary from his
card; each such opening is a read of personal data, written to the access log. A diary of any other student,
asked for by id in the URL or a form, is
refused with 404 and the attempt is written to the audit log.
"""
from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose

from models import MarkFlag, Student
from services import audit, dates
from services.announcements.board import text_parts
from services.errors import DomainError, PermissionDenied
from services.journal import diary, flags
from services.learning import materials as learning

from admin_views.base import SecurePage, requires
from admin_views.journal.forms import DiaryQuery, FlagForm

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
        by_mark, my_flags = flags.my_flags(self.actor, child.id)
        for day in days:
            for lesson in day.lessons:
                for mark in lesson.marks:
                    mark.flag = by_mark.get(mark.id)
        return self.render("diary/week.html", child=child, children=children, days=days, start=start,
                           can_flag=flags.can_flag(self.actor), my_flags=my_flags[:20],
                           end=start + timedelta(days=5), prev=start - timedelta(days=7),
                           next=start + timedelta(days=7), today=today, this_week=diary.week_start(today),
                           months=diary.MONTHS_GEN, parts=text_parts,
                           announcements=diary.diary_announcements(child, self.actor.org_id, start,
                                                                   start + timedelta(days=6)))

    @requires("create", rows=MarkFlag, view="mark_flag")  # whose marks: the diary's rows (services)
    @expose("/<id:student_id>/flag/<id:mark_id>/", methods=("GET", "POST"))
    def flag(self, student_id, mark_id):
        """«Отметка ошибочна?»: the flagger's comment on one mark of his diary, sent to the teacher."""
        children = diary.diary_children(self.actor)
        child = next((c for c in children if c.id == student_id), None)
        mark = flags.mark_shown(mark_id, student_id) if child is not None else None
        if mark is None:
            diary.log_refused(self.actor, "mark", mark_id, f"Отказано: «отметка ошибочна» чужой отметки (id {mark_id})")
            abort(404)
        back = url_for(".week", student_id=child.id, week=diary.week_start(mark["date"]).isoformat())
        error, comment = None, ""
        if request.method == "POST":
            comment = FlagForm.from_form().comment.data or ""
            try:
                flags.flag_mark(self.actor, mark_id, comment)
            except PermissionDenied:
                diary.log_refused(self.actor, "mark", mark_id,
                                  f"Отказано: «отметка ошибочна» чужой отметки (id {mark_id})")
                abort(404)
            except DomainError as exc:
                error = str(exc)
            else:
                flash("Сообщение об ошибочной отметке отправлено учителю.", "success")
                return redirect(back, 303)
        return self.render("diary/flag.html", child=child, children=children, mark=mark, back=back, error=error,
                           comment=comment), 400 if error else 200

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


    @requires("details", rows=Student, view=("diary", STAFF_KEY))
    @expose("/<id:student_id>/materials/")
    def materials(self, student_id):
        """«Материалы»: the materials and courses given to the student's class (his subgroup) in their window, and
        those of his lessons of the last and next days."""
        child, children = self._child(student_id)
        today = dates.today(self.actor.org)
        found = learning.student_materials(child.id, self.actor.org_id, today)
        return self.render("diary/materials.html", child=child, children=children, found=found, today=today)

    @requires("details", rows=Student, view=("diary", STAFF_KEY))
    @expose("/<id:student_id>/course/<id:course_id>/")
    def course(self, student_id, course_id):
        """A course given to the student: its sections in order."""
        child, children = self._child(student_id)
        course = learning.student_course(child.id, self.actor.org_id, course_id, dates.today(self.actor.org))
        if course is None:
            abort(404)
        return self.render("diary/course.html", child=child, children=children, course=course)


def _fmt_decimal(value):
    return "" if value is None else format(value, "f").replace(".", ",")


def pages():
    """The diary page; registered in admin_views/registry.py."""
    return [DiaryView(name="Дневник", endpoint="diary", url="/diary")]
