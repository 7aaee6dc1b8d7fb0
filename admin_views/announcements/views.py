"""«Объявления»: what concerns the reader today; for the administration and class teachers, their announcements
to publish, edit and withdraw. Every rule is in services/announcements/board.py."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose

from models import Announcement, db
from services import dates, uploads
from services.announcements import board
from services.errors import DomainError

from admin_views.announcements.forms import AnnouncementForm
from admin_views.base import SecurePage, requires
from admin_views.files import download
from admin_views.forms import REFUSED, Sent, refused

EDIT = board.EDIT_KEY


class AnnouncementsPage(SecurePage):
    view_key = board.READ_KEY
    needs_organization = True

    def is_visible(self):
        return False  # reached from the top bar, beside «Почта» (templates/layout.html), and from the start page

    def _today(self):
        return dates.today(self.actor.org)

    @requires("list", rows=Announcement)
    @expose("/")
    def index(self):
        today = self._today()
        return self.render("announcements/index.html", shown=board.reading_list(self.actor, today),
                           managed=board.managed_list(self.actor), may_publish=board.may_publish(self.actor),
                           today=today, parts=board.text_parts,
                           audience=lambda a: board.audience_label(a, self.actor.org))

    def _form(self, announcement, sent, status=200):
        return self.render("announcements/edit.html", announcement=announcement, sent=sent,
                           audiences=board.audiences(self.actor), classes=board.class_choices(self.actor),
                           grades=board.grade_choices(self.actor), today=self._today(),
                           max_files=board.MAX_FILES), status

    def _upload(self):
        """Every file chosen in the input «file» (multiple): [(filename, bytes)]."""
        return [(file.filename, uploads.read_upload(file, expected=None)) for file in request.files.getlist("file")
                if file is not None and file.filename]

    @requires("create", rows=Announcement, view=EDIT)
    @expose("/new/", methods=("GET", "POST"))
    def new(self):
        if not board.audiences(self.actor):
            abort(403)
        if request.method == "POST":
            form = AnnouncementForm.from_form()
            try:
                board.publish(self.actor, form.announcement(), self._upload())
            except DomainError as exc:
                return self._form(None, refused(exc), REFUSED)
            flash("Объявление опубликовано.", "success")
            return redirect(url_for(".index"))
        return self._form(None, Sent())

    @requires("edit", rows=Announcement, view=EDIT, denied=404)
    @expose("/<id:announcement_id>/edit/", methods=("GET", "POST"))
    def edit(self, announcement_id):
        announcement = board.editable(self.actor, announcement_id)
        if announcement is None:
            abort(404)
        if request.method == "POST":
            form = AnnouncementForm.from_form()
            try:
                board.update(self.actor, announcement_id, form.announcement(), form.version.data,
                             self._upload(), drop_file=bool(form.drop_file.data),
                             drop_ids=form.drop.data or ())
            except DomainError as exc:
                sent = refused(exc)
                return self._form(db.session.get(Announcement, announcement_id), sent, REFUSED)
            flash("Объявление сохранено.", "success")
            return redirect(url_for(".index"))
        return self._form(announcement, Sent())

    @requires("edit", rows=Announcement, view=EDIT, denied=404)
    @expose("/<id:announcement_id>/withdraw/", methods=("POST",))
    def withdraw(self, announcement_id):
        if board.editable(self.actor, announcement_id) is None:
            abort(404)
        restore = AnnouncementForm.from_form().action.data == "restore"
        board.withdraw(self.actor, announcement_id, restore=restore)
        flash("Объявление снова опубликовано." if restore else "Объявление снято с публикации.", "success")
        return redirect(url_for(".index"))

    @requires("details", rows=Announcement, denied=404)
    @expose("/<id:announcement_id>/file/")
    @expose("/<id:announcement_id>/file/<id:file_id>/")
    def file(self, announcement_id, file_id=None):
        """An attachment, only to those the announcement concerns (404 otherwise); without a file id, the
        first one (the address of the single attachment of old)."""
        announcement = board.readable(self.actor, announcement_id, self._today())
        if announcement is None or not announcement.files:
            abort(404)
        stored = announcement.files[0].stored_file if file_id is None else board.attachment(announcement, file_id)
        if stored is None:
            abort(404)
        return download(stored)


def pages():
    """The announcements' page; registered in admin_views/registry.py."""
    return [AnnouncementsPage(name="Объявления", endpoint="announcements", url="/announcements")]
