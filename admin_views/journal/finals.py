"""«Итоговые отметки» (issue 13.1): per class and subject the period marks, the suggested year mark and
the year, exam and final marks; a college's results of the exam-session timetable's lines.

Reading goes through services/journal/finals.py (rows by the permission table: a class or subject out of
reach is «не найден»); every write through services.journal.period_marks.save_period_marks or
services.journal.finals.save_exam_results in one transaction. The pages work as plain forms (every cell a
named input; only the changed ones are sent); static/finals.js adds the keyboard and the checks.
"""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose

from admin_views.base import SecurePage, requires
from admin_views.forms import Sent, refused
from admin_views.journal.forms import FinalsForm
from admin_views.journal.grid import CONFLICT_MESSAGE, JOURNAL, _message
from models import ExamEntry, TeachingAssignment, db
from services import dates
from services.journal import finals
from services.journal import period_marks
from services.errors import DomainError, PermissionDenied
from services.journal.payload import VersionConflict
from services.org.years import current_year


class FinalMarksView(SecurePage):
    view_key = "journal"

    @requires("list", rows=TeachingAssignment)
    @expose("/")
    def index(self):
        actor = self.actor
        year = current_year(actor.org)
        sheets = finals.sheets_of(actor, year.id) if year else []
        exams = finals.visible_exams(actor, year.id) if year else []
        return self.render("journal/finals_index.html", year=year, sheets=sheets, exams=exams)

    @requires("list", rows=TeachingAssignment)  # the write: journal.save_period_marks, per row
    @expose("/<int:class_id>/<int:subject_id>/", methods=("GET", "POST"))
    def sheet(self, class_id, subject_id):
        actor = self.actor
        sheet = finals.final_sheet(actor, class_id, subject_id)
        if sheet is None:
            abort(404)
        if request.method == "GET":
            return self._show_sheet(sheet)
        items = FinalsForm.from_form().period_mark_items()
        back = url_for(".sheet", class_id=class_id, subject_id=subject_id)
        if not items:
            flash("Изменений нет.", "success")
            return redirect(back, 303)
        return self._save(lambda: period_marks.save_period_marks(actor, subject_id, sheet.year.id, items), back,
                          lambda sent: self._show_sheet(finals.final_sheet(actor, class_id, subject_id), sent),
                          FinalsForm.sheet_input)

    def _show_sheet(self, sheet, sent=None):
        return self.render("journal/finals_sheet.html", sheet=sheet, sent=sent or Sent())

    @requires("list", rows=TeachingAssignment)
    @requires("list", rows=ExamEntry, view="exam_entry")  # the results: their examiner (finals.save_exam_results)
    @expose("/exam/<int:entry_id>/", methods=("GET", "POST"))
    def exam(self, entry_id):
        actor = self.actor
        sheet = finals.exam_sheet(actor, entry_id, dates.today(actor.org))
        if sheet is None:
            abort(404)
        if request.method == "GET":
            return self._show_exam(sheet)
        items = [{"student_id": sid, "value": value, "version": version}
                 for sid, _, value, version in FinalsForm.from_form().changed_cells("r:")]
        back = url_for(".exam", entry_id=entry_id)
        if not items:
            flash("Изменений нет.", "success")
            return redirect(back, 303)
        return self._save(lambda: finals.save_exam_results(actor, entry_id, items), back,
                          lambda sent: self._show_exam(finals.exam_sheet(actor, entry_id, dates.today(actor.org)),
                                                       sent), FinalsForm.exam_input)

    def _show_exam(self, sheet, sent=None):
        return self.render("journal/exam_results.html", sheet=sheet, sent=sent or Sent())

    def _save(self, save, back, show, fields):
        """Run a save: a redirect with «Сохранено» on success; the page again with the reason and 409
        (a version conflict: the page as it is now, to make the changes on it anew), 403, or 400 with
        every cell as it was typed and the refused ones marked — nothing saved."""
        try:
            save()
        except VersionConflict as exc:
            status, message = 409, CONFLICT_MESSAGE + _details(exc.errors)
        except PermissionDenied as exc:
            status, message = 403, _message(exc) or "Недостаточно прав."
        except DomainError as exc:
            return show(refused(exc, fields=fields)), 400
        else:
            flash("Отметки сохранены.", "success")
            return redirect(back, 303)
        db.session.rollback()
        flash(message, "error")
        return show(None), status


def _details(errors):
    errors = list(errors or ())
    return (" (" + "; ".join(errors[:8]) + ("…" if len(errors) > 8 else "") + ")") if errors else ""


def pages():
    return [FinalMarksView(name="Итоговые отметки", category=JOURNAL, endpoint="finals", url="/finals")]
