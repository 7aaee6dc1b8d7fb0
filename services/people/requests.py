"""Requests to correct personal data (issue 16.5; seed 000 §4.5: parents «своевременно сообщают об изменении своих
персональных данных и данных ребенка»; SPEC §1: a parent «asks to correct personal data»).

``send(actor, card, card_id, field, proposed, comment, scan=None) -> DataRequest``
    a parent asks to change one field of his own card (`card` "parent") or of his child's ("student"): the
    value he proposes, a comment, a document scan (filename, bytes) optional (services/files.py: type by content).
``apply(actor, request_id, version, value=None)``
    the class teacher (of the child's class) or HR writes the proposed value (or the one he corrected) into the
    card: the card's own flush rules check it (СНИЛС checksum, dates, passport …) and the change log records it
    as any change of the card; the request keeps the log row's id, the value before and after.
``refuse(actor, request_id, version, reason)``
    closes it with the reason.
``listing(actor, status=None)``, ``get(actor, request_id)``
    the requests the actor reaches (a parent his own, a class teacher his class's cards', HR all).
``control_items(actor, days)``
    the open ones for the control page (services/control/deadlines.py).

Who may do what is the permission table's "data_request" key; the card itself is changed only by one who may
edit it ("student"/"parent" keys: a class teacher his class's cards, HR every card). The parent is notified of
the answer (services/notify.py, kind "request").
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import AuditLog, DataRequest, Parent, SchoolClass, Student, db
from models.labels import labels_of
from services import clock, dates, files, notify, permissions, versions
from services.errors import DomainError, PermissionDenied
from services.params import parse_id
from services.terms import KindPhrase
from services.validation import check_email, check_phone, normalize_snils

KEY = "data_request"
CARDS = {"student": Student, "parent": Parent}
CARD_KEYS = {Student: "student", Parent: "parent"}
TEXT, DATE, SNILS, PHONE, EMAIL = "text", "date", "snils", "phone", "email"

# The fields of a card a parent may ask to correct, in the card's order, and how a value is read. The
# enrollment, the class and the status are the movement book's (orders), not a parent's request.
FIELDS = {
    Student: {"last_name": TEXT, "first_name": TEXT, "middle_name": TEXT, "birth_date": DATE, "snils": SNILS,
              "address": TEXT, "birth_certificate_series": TEXT, "birth_certificate_number": TEXT,
              "birth_certificate_date": DATE, "passport_series": TEXT, "passport_number": TEXT,
              "passport_date": DATE, "passport_issued_by": TEXT, "family_composition": TEXT,
              "social_status": TEXT, "birth_place": TEXT, "registration_address": TEXT},
    Parent: {"last_name": TEXT, "first_name": TEXT, "middle_name": TEXT, "phone": PHONE, "email": EMAIL,
             "address": TEXT, "workplace": TEXT},
}
MAX_COMMENT = 1000
MAX_ANSWER = 1000
# No deadline for an answer is written in the regulations; the class teacher checks his class's data «регулярно,
# не реже одного раза в неделю» (seed 000 §4.3): a request waits at most a working week.
ANSWER_DAYS = 5
RULE = KindPhrase("Запрос родителя об исправлении персональных данных рассматривается в течение недели "
                  "(5 рабочих дней): классный руководитель проверяет изменение данных не реже раза в неделю "
                  "(регламент, §§4.3, 4.5)")


def label(model, field):
    return str(labels_of(model).get(field, field))


def field_choices(kind):
    """[(field, Russian label)] a parent may ask to correct on a card of this kind ("student" or "parent")."""
    model = CARDS[kind]
    return [(name, label(model, name)) for name in FIELDS[model]]


def shown(value):
    """A card's value as the request stores and shows it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return dates.format_date(value)
    return str(value)


@dataclass(frozen=True)
class CardChoice:
    kind: str
    id: int
    title: str

    @property
    def value(self):
        return f"{self.kind}-{self.id}"


def card_choices(actor):
    """The cards a parent may ask about: his own, then each child's."""
    if not actor.parent_id:
        return []
    me = db.session.get(Parent, actor.parent_id)
    choices = [CardChoice("parent", me.id, f"Мои данные: {me.full_name}")]
    children = db.session.execute(
        select(Student.id, Student.last_name, Student.first_name, Student.middle_name, SchoolClass.name)
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .where(permissions.own_children(actor)).order_by(Student.last_name, Student.first_name)).all()
    for sid, last, first, middle, class_name in children:
        name = " ".join(p for p in (last, first, middle) if p)
        choices.append(CardChoice("student", sid, f"{name}, {class_name}" if class_name else name))
    return choices


def _own_card(actor, kind, card_id):
    """The card the parent may ask about, or a refusal: his own card and his children's only."""
    model = CARDS.get(kind)
    card_id = parse_id(card_id)
    if model is None or card_id is None:
        raise DomainError("Запрос не отправлен", ["выберите, чью карточку исправить"], fields={"card": "Выберите"})
    mine = card_id == actor.parent_id if model is Parent else card_id in actor.child_ids
    card = db.session.get(model, card_id) if mine else None
    if card is None or card.org_id != actor.org_id:
        raise PermissionDenied("Запрос можно отправить только о своих данных и данных своих детей.")
    return card


def _read(model, field, text, what="Запрос не отправлен"):
    """The value typed for a field, as the card stores it; a DomainError in Russian if it cannot be one."""
    kind = FIELDS[model].get(field)
    if kind is None:
        raise DomainError(what, ["выберите, что исправить, из списка"], fields={"field": "Выберите поле"})
    name = label(model, field)
    text = " ".join(str(text or "").split())
    if not text:
        raise DomainError(what, [f"укажите новое значение поля «{name}»"], fields={"proposed": "Укажите значение"})
    errors = []
    if kind == DATE:
        value = dates.parse_date(text)
        if value is None:
            errors.append(dates.date_error(text, name))
    elif kind == SNILS:
        try:
            value = normalize_snils(text)
        except ValueError as exc:
            value = None
            errors.append(str(exc))
    else:
        value = text
        if kind == PHONE:
            check_phone(text, errors)
        elif kind == EMAIL:
            check_email(text, errors)
        length = model.__table__.c[field].type.length
        if length and len(text) > length:
            errors.append(f"«{name}»: не длиннее {length} символов")
    if errors:
        raise DomainError(what, errors, fields={"proposed": errors[0]})
    return value


def send(actor, card, card_id, field, proposed, comment=None, scan=None):
    """A parent's request about his own card or his child's; `scan`: (filename, bytes) or None."""
    permissions.require(actor, KEY, "create")
    if not actor.parent_id:
        raise PermissionDenied("Запрос об исправлении данных отправляет родитель (законный представитель).")
    target = _own_card(actor, card, card_id)
    model = type(target)
    value = _read(model, field, proposed)
    comment = (comment or "").strip() or None
    if comment and len(comment) > MAX_COMMENT:
        raise DomainError("Запрос не отправлен", [f"комментарий не длиннее {MAX_COMMENT} символов"],
                          fields={"comment": f"Не длиннее {MAX_COMMENT} символов"})
    card_column = DataRequest.student_id if model is Student else DataRequest.parent_id
    waiting = db.session.scalar(select(DataRequest.id).where(
        card_column == target.id, DataRequest.field == field, DataRequest.status == "open").limit(1))
    if waiting is not None:
        raise DomainError("Запрос не отправлен", [f"запрос № {waiting} об этом же поле ещё ждёт ответа"],
                          fields={"field": f"Запрос № {waiting} ещё ждёт ответа"})
    stored = None
    if scan is not None and scan[1]:
        try:
            stored = files.store(actor.org_id, actor.user_id, scan[0], scan[1])
        except DomainError as exc:
            raise DomainError("Запрос не отправлен", [str(exc)], fields={"scan": str(exc)}) from None
    request = DataRequest(org_id=actor.org_id, author_id=actor.parent_id, author_user_id=actor.user_id,
                          student_id=target.id if model is Student else None,
                          parent_id=target.id if model is Parent else None, field=field,
                          proposed=shown(value), comment=comment, scan_id=stored.id if stored else None,
                          status="open", old_value=shown(getattr(target, field)))
    db.session.add(request)
    db.session.flush()
    return request


def _query(actor, verb="list"):
    return (select(DataRequest).where(permissions.row_condition(actor, KEY, verb, DataRequest))
            .options(joinedload(DataRequest.student).joinedload(Student.klass), joinedload(DataRequest.parent),
                     joinedload(DataRequest.author), joinedload(DataRequest.scan)))


def listing(actor, status=None):
    """The requests the actor reaches, open ones first, the oldest first; then the closed, the latest first."""
    permissions.require(actor, KEY, "list")
    query = _query(actor)
    if status is not None:
        query = query.where(DataRequest.status == status)
    rows = db.session.scalars(query.order_by(DataRequest.created_at, DataRequest.id)).unique().all()
    opened = [r for r in rows if r.status == "open"]
    closed = sorted((r for r in rows if r.status != "open"), key=lambda r: (r.closed_at or r.created_at, r.id),
                    reverse=True)
    return opened + closed


def get(actor, request_id, verb="details"):
    """The request if the actor reaches it for `verb`, else None (the page answers 404)."""
    request_id = parse_id(request_id)
    if request_id is None or not permissions.allowed(actor, KEY, verb):
        return None
    return db.session.scalars(_query(actor, verb).where(DataRequest.id == request_id)).unique().first()


def describe(request):
    """«Иванов Пётр Иванович (5А): Телефон» — whose card and which field."""
    card = request.card
    model = type(card)
    who = card.full_name
    if model is Student and card.klass is not None:
        who += f" ({card.klass.name})"
    return f"{who}: {label(model, request.field)}"


def field_label(request):
    return label(Student if request.student_id is not None else Parent, request.field)


def _open_request(actor, request_id, version):
    permissions.require(actor, KEY, "answer")
    request = get(actor, request_id, "answer")
    if request is None:
        raise PermissionDenied("Этот запрос вам недоступен.")
    if request.status != "open":
        raise DomainError(f"Запрос уже закрыт: {request.status_label}")
    versions.claim(request, version)
    return request


def _close(actor, request, status, answer):
    request.status = status
    request.answer = answer
    request.closed_at = clock.utcnow()
    request.closed_by_id = actor.user_id
    db.session.flush()
    _notify(request)


def _notify(request):
    if request.author_user_id is None:
        return
    when = dates.format_date(request.created_at, request.org_id)
    outcome = ("Исправлено: записано «{}».".format(request.new_value) if request.status == "applied"
               else "Отклонено.")
    body = (f"Ваш запрос от {when} об исправлении данных ({describe(request)}) рассмотрен.\n{outcome}\n"
            + (f"Ответ: {request.answer}\n" if request.answer else "")
            + "Все ваши запросы — на странице «Мои запросы».")
    notify.enqueue(request.author_user_id, "request", f"Запрос об исправлении данных: {request.status_label}",
                   body, org_id=request.org_id)


def apply(actor, request_id, version, value=None, answer=None):
    """Write the proposed value (or `value`, the staff member's correction of it) into the card, by the card's
    own rules; the request closed as «исправлено» with the change log's row."""
    request = _open_request(actor, request_id, version)
    card = request.card
    model = type(card)
    if not permissions.scoped_ids(actor, CARD_KEYS[model], "edit", model, [card.id]):
        raise PermissionDenied("Эту карточку вы изменить не можете.")
    what = "Изменение не внесено, запрос остаётся открытым"
    new = _read(model, request.field, request.proposed if value in (None, "") else value, what)
    old = getattr(card, request.field)
    if new == old:
        raise DomainError(what, [f"в карточке уже записано «{shown(old)}»: закройте запрос с ответом"])
    setattr(card, request.field, new)
    try:
        db.session.flush()  # the card's rules (services/people/cards.py) and the change log
    except DomainError as exc:
        raise DomainError(what, exc.errors or [exc.message], fields={"value": "; ".join(exc.errors) or exc.message})
    request.old_value, request.new_value = shown(old), shown(getattr(card, request.field))
    request.audit_id = db.session.scalar(select(func.max(AuditLog.id)).where(
        AuditLog.entity == model.__tablename__, AuditLog.entity_id == card.id, AuditLog.action == "update"))
    answer = (answer or "").strip() or None
    if answer and len(answer) > MAX_ANSWER:
        raise DomainError("Ответ не сохранён", [f"ответ не длиннее {MAX_ANSWER} символов"])
    _close(actor, request, "applied", answer)
    return request


def refuse(actor, request_id, version, reason):
    """Close the request without a change, with the reason the parent reads."""
    request = _open_request(actor, request_id, version)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Запрос не закрыт", ["укажите причину отказа"], fields={"answer": "Укажите причину"})
    if len(reason) > MAX_ANSWER:
        raise DomainError("Запрос не закрыт", [f"причина не длиннее {MAX_ANSWER} символов"],
                          fields={"answer": f"Не длиннее {MAX_ANSWER} символов"})
    _close(actor, request, "refused", reason)
    return request


def readable_scan(actor, request_id):
    """The scan of a request the actor may read (the parent who sent it, the class teacher of the card, HR);
    None otherwise."""
    request = get(actor, request_id)
    return request.scan if request is not None else None


# -- the control page ---------------------------------------------------------------------------------------

def waiting_days(request, today):
    """Calendar days since the request was sent (the organization's local dates)."""
    return (today - dates.local(request.created_at, request.org_id).date()).days


def control_items(actor, days, make_item):
    """The open requests the actor answers, for the control page: one item each, due ANSWER_DAYS working days
    after it was sent, with the days it waits. `make_item(days, title, due, detail=, link=, horizon=)`."""
    condition = permissions.row_condition(actor, "control_requests", "list", DataRequest)
    rows = db.session.scalars(
        select(DataRequest).where(condition, DataRequest.status == "open")
        .options(joinedload(DataRequest.student).joinedload(Student.klass), joinedload(DataRequest.parent),
                 joinedload(DataRequest.author))
        .order_by(DataRequest.created_at, DataRequest.id)).unique().all()
    items = []
    for request in rows:
        sent = dates.local(request.created_at, request.org_id).date()
        waiting = (days.today - sent).days
        item = make_item(days, f"Запрос № {request.id}: {describe(request)}", days.after(sent, ANSWER_DAYS),
                         detail=f"От {request.author.short_name}, {dates.format_date(sent)}: ждёт ответа "
                                f"{waiting} дн.; предлагает «{request.proposed}»",
                         link=("data_requests.details", {"request_id": request.id}), horizon=ANSWER_DAYS)
        if item is not None:
            items.append(item)
    return items


__all__ = ["send", "apply", "refuse", "listing", "get", "control_items", "field_choices", "card_choices",
           "FIELDS", "CardChoice"]
