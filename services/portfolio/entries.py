"""A student's portfolio entries (seed 000 §3.4, §4.3: the class teacher keeps it with the teachers).

Who (services/permissions.py, keys "portfolio_student" and "portfolio"):
- the class teacher, the teachers of the student's class and the administration add entries, confirmed at once
  (verb "create" of "portfolio_student": whose portfolio);
- the student proposes his own (verb "propose"): the entry waits for the class teacher (or the administration,
  verb "confirm" of "portfolio"), who confirms it or rejects it with a reason; the class teacher is notified;
- the parent sees his children's confirmed entries, the student his confirmed ones and his proposals, a teacher
  the confirmed ones of his students and those he added, the class teacher and the administration all;
- an entry is changed or deleted by the class teacher and the administration (verb "confirm"), or by its author
  (a student only his proposal while it waits).
Every rule is here: a page, a direct POST and the demo obey it alike. Services flush, never commit.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import (EntryKind, EntryLevel, EntryPlace, EntryStatus, PortfolioEntry, SchoolClass, Staff, Student,
                    StudentStatus, Subject, db)
from services import clock, dates, files, notify, permissions, versions
from services.errors import DomainError, PermissionDenied
from services.rules import validator

KEY, STUDENT_KEY = "portfolio", "portfolio_student"
MAX_TITLE = 300
MAX_RESULT = 300
MAX_REASON = 500
MAX_FILE_BYTES = 5 * 1024 * 1024  # one entry's file (a diploma's scan, a certificate)
EARLIEST = date(2000, 1, 1)


@dataclass
class EntryInput:
    kind: str = ""
    title: str = ""
    level: str = ""
    event_date: date | None = None
    place: str = ""
    result: str = ""
    subject_id: int | None = None


# -- whose portfolio --------------------------------------------------------------------------------------------

def students_condition(actor, verb="list"):
    """The students whose portfolio the actor may `verb` (a condition on Student; none without the verb)."""
    return permissions.reachable(actor, STUDENT_KEY, verb, Student)


def student_for(actor, student_id, verb="list"):
    """The student if the actor may `verb` his portfolio, else None (another organization's: None too)."""
    if student_id is None or not permissions.allowed(actor, STUDENT_KEY, verb):
        return None
    return db.session.scalar(select(Student).where(
        Student.id == student_id, Student.org_id == actor.org_id, students_condition(actor, verb)))


def picks_class(actor):
    """Staff open a class, then a student's portfolio; a student or a parent opens his own (his children's)."""
    return actor.student_id is None and not actor.parent_id


def may_add(actor, student):
    return student is not None and student_for(actor, student.id, "create") is not None


def may_propose(actor, student):
    return student is not None and student_for(actor, student.id, "propose") is not None


def may_confirm(actor):
    return permissions.allowed(actor, KEY, "confirm")


def may_edit(actor):
    """The page's form edits entries (a student withdraws his proposal, he does not edit it)."""
    return permissions.allowed(actor, KEY, "edit")


def entries_condition(actor, verb="list"):
    return permissions.reachable(actor, KEY, verb, PortfolioEntry)


def entry_for(actor, entry_id, verb="details"):
    """The entry if the actor may `verb` it by the table's rows, else None."""
    if entry_id is None or not permissions.allowed(actor, KEY, verb):
        return None
    return db.session.scalar(select(PortfolioEntry).where(
        PortfolioEntry.id == entry_id, PortfolioEntry.org_id == actor.org_id, entries_condition(actor, verb)))


def _author_may(actor, entry):
    """The author changes his entry; a student only his proposal while it waits."""
    if entry.author_id is None or entry.author_id != actor.user_id:
        return False
    if actor.student_id is not None and entry.student_id == actor.student_id:
        return entry.status == EntryStatus.PROPOSED
    return True


def changeable(actor, items):
    """The ids of the entries the actor may change or delete (the class teacher and the administration any they
    confirm, the author his own), in at most two statements for any number of entries."""
    ids = [e.id for e in items]
    found = set()
    if ids and may_confirm(actor):
        found |= set(db.session.scalars(select(PortfolioEntry.id).where(
            PortfolioEntry.id.in_(ids), entries_condition(actor, "confirm"))))
    own = [e for e in items if e.id not in found and _author_may(actor, e)]
    if own and permissions.allowed(actor, KEY, "delete"):
        found |= set(db.session.scalars(select(PortfolioEntry.id).where(
            PortfolioEntry.id.in_([e.id for e in own]), entries_condition(actor, "delete"))))
    return found


def may_change(actor, entry):
    """The class teacher and the administration change any entry they see; the author his own (a student only
    his proposal while it waits)."""
    return entry is not None and entry.id in changeable(actor, [entry])


# -- checks -----------------------------------------------------------------------------------------------------

def _clean(text):
    return " ".join((text or "").split())


def _check(actor, data, today):
    errors = {}
    title, result = _clean(data.title), _clean(data.result)
    if data.kind not in EntryKind.LABELS:
        errors["kind"] = "Выберите вид достижения."
    if not title:
        errors["title"] = "Укажите название (олимпиада, конкурс, курсы …)."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Название длиннее {MAX_TITLE} знаков."
    if data.level not in EntryLevel.LABELS:
        errors["level"] = "Выберите уровень: школьный, муниципальный, региональный, всероссийский, международный."
    if data.event_date is None:
        errors["event_date"] = "Укажите дату в виде дд.мм.гггг."
    elif data.event_date > today:
        errors["event_date"] = "Дата ещё не наступила: в портфолио вносят состоявшееся."
    elif data.event_date < EARLIEST:
        errors["event_date"] = f"Дата раньше {EARLIEST:%d.%m.%Y}."
    place = data.place or None
    if place is not None and place not in EntryPlace.LABELS:
        errors["place"] = "Выберите результат: участник, призёр или победитель."
    if len(result) > MAX_RESULT:
        errors["result"] = f"Результат длиннее {MAX_RESULT} знаков."
    elif place is None and not result:
        errors["place"] = "Укажите результат: участник, призёр, победитель или своими словами."
    subject = None
    if data.subject_id is not None:
        subject = db.session.get(Subject, data.subject_id)
        if subject is None or subject.org_id != actor.org_id:
            errors["subject_id"] = "Выберите предмет вашей организации."
    if errors:
        raise DomainError("Запись портфолио не сохранена: " + " ".join(errors.values()), fields=errors)
    return title, result or None, place, subject


def _check_file(upload):
    if upload is None:
        return
    filename, data = upload
    try:
        files.check(filename, data, MAX_FILE_BYTES)
    except DomainError as exc:
        raise DomainError(f"Запись портфолио не сохранена: {exc}", fields={"file": str(exc)}) from None


def _store_file(actor, entry, upload):
    if upload is None:
        return
    old = entry.stored_file
    entry.stored_file = files.store(actor.org_id, actor.user_id, upload[0], upload[1], MAX_FILE_BYTES)
    if old is not None:
        db.session.flush()
        files.discard(old)


@validator(PortfolioEntry, "portfolio.entry")
def validate_entry(entry):
    """What every path keeps (the services check the rest with the actor): known codes, a title, a date, a
    student and a subject of the entry's organization."""
    errors = []
    if entry.kind not in EntryKind.LABELS or entry.level not in EntryLevel.LABELS:
        errors.append("укажите вид и уровень из списка")
    if entry.status not in EntryStatus.LABELS or (entry.place is not None and entry.place not in EntryPlace.LABELS):
        errors.append("неизвестное состояние или результат")
    if not (entry.title or "").strip() or entry.event_date is None:
        errors.append("укажите название и дату")
    student = db.session.get(Student, entry.student_id) if entry.student_id else None
    if student is None or student.org_id != entry.org_id:
        errors.append("ученик не из этой организации")
    if entry.subject_id is not None:
        subject = db.session.get(Subject, entry.subject_id)
        if subject is None or subject.org_id != entry.org_id:
            errors.append("предмет не из этой организации")
    if errors:
        raise DomainError("Запись портфолио не сохранена", errors)


RULES = (validate_entry,)


# -- writes -----------------------------------------------------------------------------------------------------

def add(actor, student_id, data, upload=None):
    """A new entry of the student's portfolio: confirmed when the class teacher, a teacher of his class or the
    administration adds it; a proposal when the student adds his own (the class teacher is notified).
    upload: (filename, bytes) or None."""
    student = student_for(actor, student_id, "list")
    if student is None:
        raise PermissionDenied("Ученик не найден среди тех, чьё портфолио вы ведёте.")
    staff_adds = may_add(actor, student)
    if not staff_adds and not may_propose(actor, student):
        raise PermissionDenied("Вносить записи в это портфолио вы не можете.")
    today = dates.today(actor.org)
    title, result, place, subject = _check(actor, data, today)
    _check_file(upload)
    entry = PortfolioEntry(
        org_id=actor.org_id, student_id=student.id, kind=data.kind, title=title, level=data.level,
        event_date=data.event_date, place=place, result=result, subject_id=subject.id if subject else None,
        author_id=actor.user_id, status=EntryStatus.CONFIRMED if staff_adds else EntryStatus.PROPOSED)
    if staff_adds:
        entry.decided_by_id, entry.decided_at = actor.user_id, clock.utcnow()
    db.session.add(entry)
    _store_file(actor, entry, upload)
    db.session.flush()
    if entry.status == EntryStatus.PROPOSED:
        _notify_class_teacher(student, entry)
    return entry


def update(actor, entry_id, data, seen_version=None, upload=None, drop_file=False):
    """Change an entry: the class teacher, the administration or its author (a student his waiting proposal)."""
    entry = entry_for(actor, entry_id)
    if entry is None or not may_change(actor, entry):
        raise PermissionDenied("Изменять эту запись портфолио вы не можете.")
    if seen_version is not None:
        versions.claim(entry, seen_version)
    title, result, place, subject = _check(actor, data, dates.today(actor.org))
    _check_file(upload)
    entry.kind, entry.title, entry.level, entry.event_date = data.kind, title, data.level, data.event_date
    entry.place, entry.result, entry.subject_id = place, result, subject.id if subject else None
    if drop_file and entry.stored_file is not None and upload is None:
        old = entry.stored_file
        entry.stored_file = None
        db.session.flush()
        files.discard(old)
    _store_file(actor, entry, upload)
    db.session.flush()
    return entry


def delete(actor, entry_id):
    entry = entry_for(actor, entry_id)
    if entry is None or not may_change(actor, entry):
        raise PermissionDenied("Удалять эту запись портфолио вы не можете.")
    stored = entry.stored_file
    db.session.delete(entry)
    db.session.flush()
    if stored is not None:
        files.discard(stored)


def decide(actor, entry_id, confirm, reason="", seen_version=None):
    """The class teacher's (or the administration's) answer to a student's proposal: confirmed, or rejected with
    a reason; the student is notified when he has an address (his account's card)."""
    entry = entry_for(actor, entry_id, "confirm") if may_confirm(actor) else None
    if entry is None:
        raise PermissionDenied("Подтверждает записи учеников классный руководитель их класса или администрация.")
    if seen_version is not None:
        versions.claim(entry, seen_version)
    if entry.status != EntryStatus.PROPOSED:
        raise DomainError(f"Запись «{entry.title}» уже {EntryStatus.LABELS[entry.status]}: решение принято раньше.")
    reason = _clean(reason)
    if not confirm:
        if not reason:
            raise DomainError("Запись не отклонена: укажите причину — ученик её увидит.",
                              fields={"reason": "Укажите причину отклонения."})
        if len(reason) > MAX_REASON:
            raise DomainError(f"Запись не отклонена: причина длиннее {MAX_REASON} знаков.",
                              fields={"reason": f"Не длиннее {MAX_REASON} знаков."})
    entry.status = EntryStatus.CONFIRMED if confirm else EntryStatus.REJECTED
    entry.reject_reason = None if confirm else reason
    entry.decided_by_id, entry.decided_at = actor.user_id, clock.utcnow()
    db.session.flush()
    return entry


def _notify_class_teacher(student, entry):
    """The class teacher of the student's class gets an e-mail of the proposal (if he wants that kind)."""
    user_id = db.session.scalar(select(Staff.user_id).join(SchoolClass, SchoolClass.class_teacher_id == Staff.id)
                                .where(SchoolClass.id == student.class_id))
    if user_id is None:
        return None
    body = (f"{student.last_name} {student.first_name} предлагает запись в портфолио: «{entry.title}» "
            f"({EntryKind.LABELS[entry.kind].lower()}, {EntryLevel.LABELS[entry.level].lower()} уровень, "
            f"{dates.format_date(entry.event_date)}).\nПодтвердите или отклоните её на странице «Портфолио».")
    return notify.enqueue(user_id, "portfolio", "Портфолио: предложена запись", body, org_id=student.org_id)


# -- reads ------------------------------------------------------------------------------------------------------

def _loaded(query):
    return query.options(joinedload(PortfolioEntry.subject), joinedload(PortfolioEntry.stored_file),
                         joinedload(PortfolioEntry.author))


def entries_of(actor, student_id, statuses=None):
    """The entries of one student the actor may see, newest first."""
    if not permissions.allowed(actor, KEY, "list"):
        return []
    query = _loaded(select(PortfolioEntry)).where(
        PortfolioEntry.org_id == actor.org_id, PortfolioEntry.student_id == student_id, entries_condition(actor))
    if statuses:
        query = query.where(PortfolioEntry.status.in_(statuses))
    return db.session.scalars(query.order_by(PortfolioEntry.event_date.desc(), PortfolioEntry.id.desc())).all()


def pending(actor):
    """The proposals waiting for the actor's answer (class teacher, administration), oldest first."""
    if not may_confirm(actor):
        return []
    return db.session.scalars(_loaded(select(PortfolioEntry)).options(joinedload(PortfolioEntry.student)).where(
        PortfolioEntry.org_id == actor.org_id, PortfolioEntry.status == EntryStatus.PROPOSED,
        entries_condition(actor, "confirm")).order_by(PortfolioEntry.created_at, PortfolioEntry.id)).all()


def confirmed_of(student_ids):
    """The confirmed entries of the students (a printable portfolio, a summary): {student id: [entries]}."""
    found = defaultdict(list)
    if not student_ids:
        return found
    for entry in db.session.scalars(_loaded(select(PortfolioEntry)).where(
            PortfolioEntry.student_id.in_(list(student_ids)), PortfolioEntry.status == EntryStatus.CONFIRMED)
            .order_by(PortfolioEntry.event_date, PortfolioEntry.id)):
        found[entry.student_id].append(entry)
    return found


@dataclass
class Summary:
    """The confirmed entries of one student counted: by level, by kind, winners and prizewinners."""
    total: int = 0
    levels: Counter = None
    kinds: Counter = None
    winners: int = 0
    prizewinners: int = 0


def summaries(student_ids):
    """{student id: Summary} of the confirmed entries, in one statement."""
    result = {sid: Summary(levels=Counter(), kinds=Counter()) for sid in student_ids}
    if not student_ids:
        return result
    rows = db.session.execute(select(
        PortfolioEntry.student_id, PortfolioEntry.level, PortfolioEntry.kind, PortfolioEntry.place,
        func.count(PortfolioEntry.id)).where(
        PortfolioEntry.student_id.in_(list(student_ids)), PortfolioEntry.status == EntryStatus.CONFIRMED)
        .group_by(PortfolioEntry.student_id, PortfolioEntry.level, PortfolioEntry.kind, PortfolioEntry.place))
    for student_id, level, kind, place, count in rows:
        s = result[student_id]
        s.total += count
        s.levels[level] += count
        s.kinds[kind] += count
        if place == EntryPlace.WINNER:
            s.winners += count
        elif place == EntryPlace.PRIZEWINNER:
            s.prizewinners += count
    return result


def students_list(actor, class_id=None):
    """The students whose portfolio the actor opens (of one class, or all he reaches), in the class's order."""
    if not permissions.allowed(actor, STUDENT_KEY, "list"):
        return []
    query = select(Student).options(joinedload(Student.klass)).where(
        Student.org_id == actor.org_id, students_condition(actor))
    if class_id is not None:
        query = query.where(Student.class_id == class_id)
    return db.session.scalars(query.order_by(Student.last_name, Student.first_name, Student.id)).unique().all()


def classes_list(actor):
    """The classes of the students the actor reaches (those studying now): [(id, name)]."""
    if not permissions.allowed(actor, STUDENT_KEY, "list"):
        return []
    return [tuple(r) for r in db.session.execute(
        select(SchoolClass.id, SchoolClass.name).where(SchoolClass.id.in_(select(Student.class_id).where(
            Student.org_id == actor.org_id, students_condition(actor),
            Student.status == StudentStatus.STUDYING.value)))
        .order_by(SchoolClass.grade, SchoolClass.name))]


def subject_choices(actor):
    return [tuple(r) for r in db.session.execute(select(Subject.id, Subject.name).where(
        Subject.org_id == actor.org_id).order_by(Subject.sort_order, Subject.name))]

