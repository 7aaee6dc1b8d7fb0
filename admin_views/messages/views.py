"""«Сообщения»: the folders (Входящие / Отправленные / Черновики), a message with its conversation and read
receipts, writing (new, draft, forward) and replying, the attachments. Every rule is services/messages/: who may
write to whom, who may open what (a non-participant gets 404, the administrator too)."""
import re

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from markupsafe import Markup, escape

from models import Message, MessageAttachment
from services import uploads
from services.errors import DomainError
from services.messages import mail, rules

from admin_views.base import SecurePage, requires
from admin_views.files import download
from admin_views.forms import REFUSED, Sent, refused
from admin_views.messages.forms import ComposeForm, ComposeQuery, FolderQuery, ReplyForm

FOLDERS = {"inbox": "Входящие", "sent": "Отправленные", "drafts": "Черновики"}
LINK = re.compile(r"https?://[^\s<>\"']+")


def linkify(text):
    """A message's text as plain text, its web addresses turned into links (never its HTML)."""
    out, last = [], 0
    for match in LINK.finditer(text or ""):
        url = match.group(0).rstrip(".,;:!?)»")
        out.append(escape(text[last:match.start()]))
        out.append(Markup('<a href="{0}" rel="noopener nofollow" target="_blank">{0}</a>').format(url))
        last = match.start() + len(url)
    out.append(escape((text or "")[last:]))
    return Markup("").join(out)


def _uploads():
    return [(f.filename or "файл", uploads.read_upload(f, expected=None))
            for f in request.files.getlist("file") if f and f.filename]


class MessagesPage(SecurePage):
    view_key = "messages"
    needs_organization = True

    def is_visible(self):
        return False  # reached from the top bar's «Почта» with its unread counter (templates/layout.html)

    def _open(self, message_id, mark=True):
        try:
            return mail.open_message(self.actor, message_id, mark=mark)
        except mail.NotFound:
            abort(404)

    @requires("list", rows=Message)
    @expose("/")
    def index(self):
        query = FolderQuery.from_args()
        name = query.folder.data if query.folder.data in FOLDERS else "inbox"
        page = query.page.data or 1
        rows, total = mail.folder(self.actor, name, query.q.data, page)
        pages = max(1, (total + mail.PAGE_SIZE - 1) // mail.PAGE_SIZE)
        return self.render("messages/index.html", rows=rows, total=total, folder=name, folders=FOLDERS,
                           q=query.q.data or "", page=page, pages=pages, unread=mail.unread_count(self.actor))

    @requires("details", rows=Message, denied=404)
    @expose("/<id:message_id>/")
    def show(self, message_id):
        message, copy = self._open(message_id)
        if message.sent_at is None:
            return redirect(url_for(".compose", draft=message.id))
        conversation = mail.thread(self.actor, message)
        receipts = mail.receipts(message) if copy is None else []
        return self.render("messages/show.html", message=message, copy=copy, conversation=conversation,
                           receipts=receipts, read_label=lambda at: mail.read_at_label(at, self.actor.org),
                           linkify=linkify, sent=Sent())

    def _compose_page(self, sent, draft=None, forward=None, to=None, status=200):
        return self.render("messages/compose.html", sent=sent, draft=draft, forward=forward,
                           choices=rules.choices(self.actor), groups=rules.groups(self.actor), to=to,
                           chosen=[c.user_id for c in draft.copies] if draft is not None else ([to] if to else []),
                           can_ask=bool(self.actor.parent_id)), status

    @requires("create", rows=Message)
    @expose("/new", methods=("GET", "POST"))
    def compose(self):
        if request.method == "GET":
            query = ComposeQuery.from_args()
            draft = forward = None
            if query.draft.data is not None:
                draft, _ = self._open(query.draft.data, mark=False)
                if draft.sent_at is not None:
                    abort(404)
            if query.forward.data is not None:
                forward, _ = self._open(query.forward.data, mark=False)
            return self._compose_page(Sent(), draft, forward, query.to.data)
        form = ComposeForm.from_form()
        send = form.action.data != "draft"
        draft = mail.Draft(to=form.to.data, groups=[g for g in form.groups.data if g], subject=form.subject.data,
                           body=form.body.data, files=[], is_question=bool(form.is_question.data))
        try:
            draft.files = _uploads()
            mail.save(self.actor, draft, draft_id=form.draft.data, send=send, forward_of=form.forward.data)
        except mail.NotFound:
            abort(404)
        except DomainError as exc:
            sent = refused(exc)
            draft_row = forward = None
            if form.draft.data is not None:
                draft_row = self._open(form.draft.data, mark=False)[0]
            if form.forward.data is not None:
                forward = self._open(form.forward.data, mark=False)[0]
            page, _ = self._compose_page(sent, draft_row, forward)
            return page, REFUSED
        flash("Сообщение отправлено." if send else "Черновик сохранён.", "success")
        return redirect(url_for(".index", folder="sent" if send else "drafts"))

    @requires("create", rows=Message, denied=404)
    @expose("/<id:message_id>/reply", methods=("POST",))
    def reply(self, message_id):
        form = ReplyForm.from_form()
        self._open(message_id, mark=False)
        try:
            mail.reply(self.actor, message_id, form.body.data, _uploads())
        except mail.NotFound:
            abort(404)
        except DomainError as exc:
            refused(exc)
            return redirect(url_for(".show", message_id=message_id))
        flash("Ответ отправлен.", "success")
        return redirect(url_for(".show", message_id=message_id))

    @requires("details", rows=Message, denied=404)
    @expose("/<id:message_id>/delete", methods=("POST",))
    def delete(self, message_id):
        self._open(message_id, mark=False)
        mail.delete_message(self.actor, message_id)
        flash("Сообщение удалено.", "success")
        return redirect(url_for(".index"))

    @requires("details", rows=MessageAttachment, view="message_files", denied=404)
    @expose("/file/<id:attachment_id>")
    def file(self, attachment_id):
        try:
            stored = mail.attachment(self.actor, attachment_id)
        except mail.NotFound:
            abort(404)
        return download(stored)


def pages():
    """Hand-made pages of this part, for admin_views/registry.py."""
    return [MessagesPage(name="Сообщения", endpoint="messages", url="/messages")]
