"""«Отметка ошибочна» (issue 16.4): the list of the flags the actor may read (a teacher: of his journals; the
deputy: all; a student or a parent: his own) and the teacher's (or the deputy's) answer to one. Every rule is
services/journal/flags.py's."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose

from models import MarkFlag, MarkFlagStatus, db
from services import permissions
from services.errors import DomainError, PermissionDenied
from services.journal import diary, flags, policy

from admin_views.base import SecurePage, requires
from admin_views.journal.forms import FlagAnswerForm

JOURNAL = "Журнал"


class MarkFlagView(SecurePage):
    view_key = "mark_flag"

    @requires("list", rows=MarkFlag)
    @expose("/")
    def index(self):
        items = flags.flag_list(self.actor)
        return self.render("journal/flags.html", items=items, statuses=MarkFlagStatus,
                           can_answer=permissions.allowed(self.actor, "mark_flag", "answer"))

    @requires("answer", rows=MarkFlag)
    @expose("/<id:flag_id>/", methods=("GET", "POST"))
    def answer(self, flag_id):
        item = flags.get_item(self.actor, flag_id) \
            if permissions.allowed(self.actor, "mark_flag", "answer") else None
        if item is None:
            diary.log_refused(self.actor, "mark_flag", flag_id, f"Отказано: ответ на «отметка ошибочна» (id {flag_id})")
            abort(404)
        error, form = None, None
        if request.method == "POST":
            form = FlagAnswerForm.from_form()
            try:
                flags.answer(self.actor, flag_id, form.verdict.data, form.comment.data)
            except PermissionDenied:
                db.session.rollback()
                diary.log_refused(self.actor, "mark_flag", flag_id,
                                  f"Отказано: ответ на «отметка ошибочна» (id {flag_id})")
                abort(404)
            except DomainError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                flash("Ответ отправлен.", "success")
                return redirect(url_for(".index"), 303)
        flag = db.session.get(MarkFlag, flag_id)
        reason = flags.lock_reason(flag) if item.status == MarkFlagStatus.OPEN else ""
        return self.render("journal/flag_answer.html", item=item, error=error, reason=reason,
                           corrector=policy.can_correct(self.actor),
                           verdict=form.verdict.data if form else "", comment=form.comment.data if form else "",
                           verdicts=flags.VERDICTS), 400 if error else 200


def pages():
    """Registered in admin_views/registry.py."""
    return [MarkFlagView(name="Отметка ошибочна?", category=JOURNAL, endpoint="mark_flags", url="/mark-flags")]
