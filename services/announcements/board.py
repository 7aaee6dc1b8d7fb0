"""Announcements: to the whole organization (staff, students, parents), a grade (параллель / курс), a class
(класс / группа) or the staff only; shown between their publication and end dates by the organization's today.

Who publishes: the administration (admin, deputy, director: verb "publish_any" of "announcement_edit") any kind;
a class teacher only for a class he leads; nobody else. Editing and withdrawing: the author or the administration
(the rows of "announcement_edit"). Every rule is here, so a page, a direct POST and the demo obey it alike.

Readers: `concerned_announcements` (services/permissions.py) — the organization's, the staff's for a staff card,
his classes' (his own, his children's, those he leads or teaches) and their grades'. The administration's reading
list has every announcement of the organization.

A published announcement queues one e-mail (kind "announcement") for every concerned person with an address
(staff and parent cards; a student's card has none) — the recipients in one statement, the rows added at once.
One dated later is queued by `notify_due` (`flask announcements notify`, daily) once its day has come.
"""
import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import Integer, and_, bindparam, or_, select
from sqlalchemy.orm import joinedload, selectinload

from models import (Announcement, AnnouncementFile, Audience, Notification, Parent, SchoolClass, Staff, Student,
                    StudentStatus, TeachingAssignment, User, db, student_parent)
from services import dates, files, notify, permissions, versions
from services.errors import DomainError, PermissionDenied
from services.notify import MAX_BODY, MAX_SUBJECT

MAX_TITLE = 200
MAX_TEXT = 10_000
MAX_FILES = 10  # attachments of one announcement
HOME_SHOWN = 5  # announcements on the start page; the reading list has all
READ_KEY, EDIT_KEY = "announcement", "announcement_edit"
_URL = re.compile(r"https?://[^\s<>\"'«»]+", re.I)
_TRAILING = ".,;:!?)]}"


@dataclass
class AnnouncementInput:
    title: str = ""
    body: str = ""
    audience: str = Audience.ALL
    grade: int | None = None
    class_id: int | None = None
    publish_date: date | None = None
    end_date: date | None = None


def text_parts(text):
    """The text as (piece, url) pairs: a link's url, None for plain text. The template shows each piece escaped
    and a link as <a rel="noopener nofollow">: no markup of the author's ever reaches the page."""
    parts, at = [], 0
    for match in _URL.finditer(text or ""):
        url = match.group(0)
        while url and url[-1] in _TRAILING:
            url = url[:-1]
        if len(url) <= len("https://"):
            continue
        if match.start() > at:
            parts.append((text[at:match.start()], None))
        parts.append((url, url))
        at = match.start() + len(url)
    if at < len(text or ""):
        parts.append((text[at:], None))
    return parts


# -- who may ---------------------------------------------------------------------------------------------------

def may_publish(actor):
    return permissions.allowed(actor, EDIT_KEY, "create")


def publish_any(actor):
    return permissions.allowed(actor, EDIT_KEY, "publish_any")


def _labels(org):
    """The audiences' names as this kind of institution says them (курс, группа in a college)."""
    labels = dict(Audience.LABELS)
    if org is not None and org.is_college:
        labels.update({Audience.GRADE: "Курсу", Audience.CLASS: "Группе"})
    return labels


def audiences(actor):
    """The kinds of announcement the actor may publish: [(code, label)]."""
    labels = _labels(actor.org)
    if publish_any(actor):
        return list(labels.items())
    if may_publish(actor) and actor.own_class_ids:
        return [(Audience.CLASS, labels[Audience.CLASS])]
    return []


def class_choices(actor):
    """The classes the actor may address: every class of the organization's current classes for the
    administration, his own for a class teacher. [(id, name)]"""
    if not may_publish(actor):
        return []
    query = select(SchoolClass.id, SchoolClass.name).where(SchoolClass.org_id == actor.org_id)
    if not publish_any(actor):
        query = query.where(SchoolClass.id.in_(actor.own_class_ids))
    else:
        query = query.where(SchoolClass.id.in_(select(Student.class_id).where(
            Student.status == StudentStatus.STUDYING.value)) | SchoolClass.id.in_(actor.own_class_ids))
    return [tuple(r) for r in db.session.execute(query.order_by(SchoolClass.grade, SchoolClass.name))]


def grade_choices(actor):
    if not publish_any(actor):
        return []
    return sorted({row[0] for row in db.session.execute(
        select(SchoolClass.grade).where(SchoolClass.org_id == actor.org_id).distinct())})


def _check(actor, data):
    """The announcement's fields, or a DomainError naming the wrong ones; the actor's right to address them."""
    errors = {}
    title = " ".join((data.title or "").split())
    body = (data.body or "").replace("\r\n", "\n").strip()
    if not title:
        errors["title"] = "Укажите заголовок."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Заголовок длиннее {MAX_TITLE} знаков."
    if not body:
        errors["body"] = "Напишите текст объявления."
    elif len(body) > MAX_TEXT:
        errors["body"] = f"Текст длиннее {MAX_TEXT} знаков."
    if data.audience not in Audience.LABELS:
        errors["audience"] = "Выберите, кому адресовано объявление."
    if data.publish_date is None:
        errors["publish_date"] = "Укажите дату публикации."
    if data.end_date is None:
        errors["end_date"] = "Укажите, по какую дату показывать объявление."
    elif data.publish_date is not None and data.end_date < data.publish_date:
        errors["end_date"] = "Дата окончания показа раньше даты публикации."
    klass = None
    if data.audience == Audience.CLASS:
        klass = db.session.get(SchoolClass, data.class_id) if data.class_id else None
        if klass is None or klass.org_id != actor.org_id:
            errors["class_id"] = "Выберите класс вашей организации."
    if data.audience == Audience.GRADE and (data.grade is None or not 1 <= data.grade <= 11):
        errors["grade"] = "Выберите параллель (1–11) или курс."
    if errors:
        raise DomainError("Объявление не сохранено: " + " ".join(errors.values()), fields=errors)
    if not may_publish(actor):
        raise PermissionDenied("Публиковать объявления может администрация или классный руководитель.")
    if not publish_any(actor) and not (data.audience == Audience.CLASS and klass.id in actor.own_class_ids):
        raise PermissionDenied("Классный руководитель публикует объявления только для своего класса.")
    return title, body, klass


def _editable(actor, announcement_id):
    """The announcement the actor may edit (the author or the administration), else PermissionDenied."""
    permissions.require(actor, EDIT_KEY, "edit")
    found = db.session.scalar(select(Announcement).where(
        Announcement.id == announcement_id, Announcement.org_id == actor.org_id,
        permissions.row_condition(actor, EDIT_KEY, "edit", Announcement)))
    if found is None:
        raise PermissionDenied("Изменять объявление может его автор или администрация.")
    return found


def editable(actor, announcement_id):
    """The announcement if the actor may edit it, else None."""
    try:
        return _editable(actor, announcement_id)
    except PermissionDenied:
        return None


# -- writes ----------------------------------------------------------------------------------------------------

def _attach(actor, announcement, uploads=(), drop_ids=()):
    """uploads: [(filename, bytes)]; drop_ids: the StoredFile ids of attachments to remove. Every upload is
    checked before any is kept: one bad file among good ones keeps none (a DomainError); more than MAX_FILES
    attached is refused."""
    uploads = [u for u in (uploads or []) if u is not None]
    drop = {int(i) for i in (drop_ids or ())}
    kept = [link for link in announcement.files if link.stored_file_id not in drop]
    if len(kept) + len(uploads) > MAX_FILES:
        raise DomainError(f"К объявлению можно приложить не больше {MAX_FILES} файлов.",
                          fields={"file": f"Не больше {MAX_FILES} файлов."})
    for filename, data in uploads:
        try:
            files.check(filename, data)
        except DomainError as exc:
            raise DomainError(f"Объявление не сохранено: {exc}", fields={"file": str(exc)}) from None
    dropped = [link for link in announcement.files if link.stored_file_id in drop]
    for link in dropped:
        announcement.files.remove(link)
    if dropped:
        db.session.flush()
        for link in dropped:
            files.discard(link.stored_file)
    position = max((link.position for link in kept), default=-1)
    for filename, data in uploads:
        position += 1
        announcement.files.append(AnnouncementFile(
            stored_file=files.store(actor.org_id, actor.user_id, filename, data), position=position))


def _as_list(upload):
    """One upload (filename, bytes), a list of them, or None → a list."""
    if upload is None:
        return []
    if isinstance(upload, tuple):
        return [upload]
    return list(upload)


def publish(actor, data, upload=None):
    """A new announcement; its notifications queued when it is published today or earlier."""
    title, body, klass = _check(actor, data)
    announcement = Announcement(
        org_id=actor.org_id, audience=data.audience, title=title, body=body,
        grade=data.grade if data.audience == Audience.GRADE else None,
        class_id=klass.id if klass is not None else None,
        publish_date=data.publish_date, end_date=data.end_date, author_id=actor.user_id)
    db.session.add(announcement)
    _attach(actor, announcement, _as_list(upload))
    db.session.flush()
    if announcement.publish_date <= dates.today(actor.org):
        queue_notifications(announcement)
    return announcement


def update(actor, announcement_id, data, seen_version=None, upload=None, drop_file=False, drop_ids=()):
    """The author's or the administration's edit; the audience checked as for a new one. upload: one (filename,
    bytes) or a list; drop_ids: the attachments (StoredFile ids) to remove; drop_file: remove them all."""
    announcement = _editable(actor, announcement_id)
    if seen_version is not None:
        versions.claim(announcement, seen_version)
    title, body, klass = _check(actor, data)
    announcement.title, announcement.body, announcement.audience = title, body, data.audience
    announcement.grade = data.grade if data.audience == Audience.GRADE else None
    announcement.class_id = klass.id if klass is not None else None
    announcement.publish_date, announcement.end_date = data.publish_date, data.end_date
    if drop_file:
        drop_ids = [link.stored_file_id for link in announcement.files]
    _attach(actor, announcement, _as_list(upload), drop_ids)
    db.session.flush()
    if not announcement.notified and not announcement.withdrawn and \
            announcement.publish_date <= dates.today(actor.org):
        queue_notifications(announcement)
    return announcement


def withdraw(actor, announcement_id, restore=False):
    """Take the announcement off (or publish it again): the author or the administration."""
    announcement = _editable(actor, announcement_id)
    announcement.withdrawn = not restore
    db.session.flush()
    return announcement


# -- notifications ---------------------------------------------------------------------------------------------

def _class_condition(announcement):
    """The students the announcement concerns (a condition on Student), or None for staff only."""
    studying = Student.status == StudentStatus.STUDYING.value
    if announcement.audience == Audience.ALL:
        return studying
    if announcement.audience == Audience.CLASS:
        return and_(studying, Student.class_id == announcement.class_id)
    if announcement.audience == Audience.GRADE:
        return and_(studying, Student.class_id.in_(select(SchoolClass.id).where(
            SchoolClass.org_id == announcement.org_id, SchoolClass.grade == announcement.grade)))
    return None


def recipients(announcement):
    """(user id, e-mail) of every concerned person with an address, in one statement: staff (the whole
    organization's, the staff's, and for a class or a grade its class teachers and teachers) and the parents of
    the students concerned. Blocked accounts are left out."""
    org_id = announcement.org_id
    staff = and_(Staff.org_id == org_id, Staff.dismissal_date.is_(None), Staff.user_id.is_not(None),
                 Staff.email.is_not(None), Staff.email != "")
    students = _class_condition(announcement)
    if announcement.audience in (Audience.CLASS, Audience.GRADE):
        classes = select(Student.class_id).where(Student.org_id == org_id, students)
        staff = and_(staff, or_(
            Staff.id.in_(select(SchoolClass.class_teacher_id).where(SchoolClass.id.in_(classes))),
            Staff.id.in_(select(TeachingAssignment.teacher_id).where(TeachingAssignment.class_id.in_(classes)))))
    parts = [select(Staff.user_id.label("user_id"), Staff.email.label("email")).where(staff)]
    if students is not None:
        parts.append(select(Parent.user_id, Parent.email).where(
            Parent.org_id == org_id, Parent.user_id.is_not(None), Parent.email.is_not(None), Parent.email != "",
            Parent.id.in_(select(student_parent.c.parent_id).join(Student, Student.id == student_parent.c.student_id)
                          .where(Student.org_id == org_id, students))))
    cards = parts[0].union_all(*parts[1:]).subquery() if len(parts) > 1 else parts[0].subquery()
    rows = db.session.execute(select(cards.c.user_id, cards.c.email).join(User, User.id == cards.c.user_id)
                              .where(User.is_blocked.is_(False)).order_by(cards.c.user_id)).all()
    seen = {}
    for user_id, email in rows:
        seen.setdefault(user_id, email.strip())
    return list(seen.items())


def queue_notifications(announcement):
    """One queued e-mail per recipient, added at once; the announcement marked notified."""
    org = announcement.org_id
    subject = " ".join(f"Объявление: {announcement.title}".split())[:MAX_SUBJECT]
    body = (f"{announcement.title}\n\n{announcement.body}\n\n"
            f"Объявление действует по {dates.format_date(announcement.end_date)}.")[:MAX_BODY]
    notes = [Notification(org_id=org, user_id=user_id, address=address[:254], kind="announcement",
                          subject=subject, body=body) for user_id, address in recipients(announcement)]
    db.session.add_all(notes)
    announcement.notified = True
    db.session.flush()
    if notes:
        notify.send_soon()
    return len(notes)


def notify_due(org, today=None):
    """Queue the notifications of announcements whose publication day has come (the CLI, daily)."""
    today = today or dates.today(org)
    due = db.session.scalars(select(Announcement).where(
        Announcement.org_id == org.id, Announcement.notified.is_(False), Announcement.withdrawn.is_(False),
        Announcement.publish_date <= today, Announcement.end_date >= today)).all()
    return sum(queue_notifications(a) for a in due)


# -- reads -----------------------------------------------------------------------------------------------------

def _shown(today):
    return and_(Announcement.withdrawn.is_(False), Announcement.publish_date <= today,
                Announcement.end_date >= today)


def _loaded(query):
    """The author, the class and the attachments of every announcement: the attachments of all of them in one
    more statement (no query per announcement)."""
    return query.options(joinedload(Announcement.author), joinedload(Announcement.klass),
                         selectinload(Announcement.files).joinedload(AnnouncementFile.stored_file))


def reading_list(actor, today):
    """The announcements shown to the actor today: those the reading key gives him, newest first."""
    if not permissions.allowed(actor, READ_KEY, "list"):
        return []
    cond = permissions.row_condition(actor, READ_KEY, "list", Announcement)
    return db.session.scalars(_loaded(select(Announcement)).where(
        Announcement.org_id == actor.org_id, cond, _shown(today))
        .order_by(Announcement.publish_date.desc(), Announcement.id.desc())).unique().all()


def managed_list(actor):
    """Every announcement the actor may edit (published, to come, ended, withdrawn), newest first."""
    if not permissions.allowed(actor, EDIT_KEY, "list"):
        return []
    cond = permissions.row_condition(actor, EDIT_KEY, "list", Announcement)
    return db.session.scalars(_loaded(select(Announcement)).where(Announcement.org_id == actor.org_id, cond)
                              .order_by(Announcement.publish_date.desc(), Announcement.id.desc())).unique().all()


def for_home(actor, today, limit=HOME_SHOWN):
    """The start page's announcements: those that concern the actor himself (the administration sees the
    organization's and the staff's here, every class's on the reading list). (shown, total)"""
    if actor.org is None or not permissions.allowed(actor, READ_KEY, "list"):
        return [], 0
    cond = and_(Announcement.org_id == actor.org_id, permissions.concerned_announcements(actor), _shown(today))
    rows = db.session.scalars(_loaded(select(Announcement)).where(cond).order_by(
        Announcement.publish_date.desc(), Announcement.id.desc()).limit(limit + 1)).unique().all()
    return rows[:limit], len(rows)


def for_student_week(org_id, class_id, start, end):
    """The announcements a student's diary shows for a week: the organization's, his class's and his grade's
    shown on some day of it."""
    params = {"org": org_id, "start": start, "end": end}
    if class_id is not None:
        params["class_id"] = class_id
    return db.session.scalars(_student_week_statement(class_id is not None), params).unique().all()


@cache
def _student_week_statement(with_class):
    """Built once (the diary's every week; bound: org, start, end and class_id `with_class`)."""
    if not with_class:
        grade_cond = Announcement.audience == Audience.ALL
    else:
        class_id = bindparam("class_id", type_=Integer)
        grade_cond = or_(Announcement.audience == Audience.ALL,
                         and_(Announcement.audience == Audience.CLASS, Announcement.class_id == class_id),
                         and_(Announcement.audience == Audience.GRADE, Announcement.grade == select(
                             SchoolClass.grade).where(SchoolClass.id == class_id).scalar_subquery()))
    day = Announcement.publish_date.type
    return _loaded(select(Announcement)).where(
        Announcement.org_id == bindparam("org", type_=Integer), Announcement.withdrawn.is_(False), grade_cond,
        Announcement.publish_date <= bindparam("end", type_=day),
        Announcement.end_date >= bindparam("start", type_=day)) \
        .order_by(Announcement.publish_date.desc(), Announcement.id.desc())


def attachment(announcement, stored_file_id):
    """The announcement's attached file of that id, else None."""
    for link in announcement.files:
        if link.stored_file_id == stored_file_id:
            return link.stored_file
    return None


def readable(actor, announcement_id, today):
    """The announcement if the actor may read it now (it concerns him and is shown today, or he may edit it),
    else None."""
    found = editable(actor, announcement_id) if permissions.allowed(actor, EDIT_KEY, "edit") else None
    if found is not None:
        return found
    if not permissions.allowed(actor, READ_KEY, "details"):
        return None
    cond = permissions.row_condition(actor, READ_KEY, "details", Announcement)
    return db.session.scalar(select(Announcement).where(
        Announcement.id == announcement_id, Announcement.org_id == actor.org_id, cond, _shown(today)))


def audience_label(announcement, org=None):
    """«Всем», «Сотрудникам», «5-я параллель» (a college: «2-й курс»), the class's name."""
    if announcement.audience == Audience.GRADE:
        college = org is not None and org.is_college
        return f"{announcement.grade}-{'й курс' if college else 'я параллель'}"
    if announcement.audience == Audience.CLASS and announcement.klass is not None:
        return announcement.klass.name
    return _labels(org).get(announcement.audience, "")


