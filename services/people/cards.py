"""Person cards: the rules of the staff, student and parent cards (SPEC §2)."""

from sqlalchemy import inspect as sa_inspect, select

from models import (STAFF_ROLES, OrgKind, Organization, Parent, ParentRelation, Role, Sex, Staff, StaffRole,
                    Student, StudentStatus, db)
from services import permissions
from services.errors import DomainError
from services.rules import rule, validator
from services.validation import (age_on, check_email, check_name, check_not_future, check_phone,
                                 normalize_snils)
from services import dates
from services.people import contingent
from services.people.contingent import PASSPORT_AGE

# Ages at which a person can be a student of each kind of institution.
STUDENT_AGE = {OrgKind.SCHOOL.value: (5, 21), OrgKind.COLLEGE.value: (13, 70)}


def _check_names(card, errors):
    check_name(card.last_name, "Фамилия", errors)
    check_name(card.first_name, "Имя", errors)
    check_name(card.middle_name, "Отчество", errors, required=False)
    for attr in ("last_name", "first_name", "middle_name"):
        value = getattr(card, attr)
        if value is not None:
            setattr(card, attr, value.strip() or None)


def _check_sex(card, errors):
    if card.sex not in (Sex.MALE.value, Sex.FEMALE.value):
        errors.append("Укажите пол")


def _snils(card, errors, required):
    if not card.snils:
        if required:
            errors.append("Поле «СНИЛС» обязательно")
        return
    try:
        card.snils = normalize_snils(card.snils)
    except ValueError as exc:
        errors.append(str(exc))


def _raise(errors, what, fields=None):
    if errors:
        raise DomainError(f"Карточка {what} не сохранена", errors, fields)


class TakenKeys:
    """The СНИЛС and personal file numbers already on the organization's student cards, read in two
    statements: many cards checked at once (an import, an enrollment order of many students) ask it instead
    of two queries per card. Cards added through `add` count as taken for those checked after them."""

    def __init__(self, org_id):
        self.cards = {}
        for key in ("snils", "personal_file_number"):
            column = getattr(Student, key)
            for student_id, value, last, first, middle in db.session.execute(select(
                    Student.id, column, Student.last_name, Student.first_name, Student.middle_name)
                    .where(Student.org_id == org_id, column.is_not(None))):
                self.cards[(key, value)] = (student_id, " ".join(p for p in (last, first, middle) if p))

    def add(self, student):
        for key in ("snils", "personal_file_number"):
            value = getattr(student, key)
            if value:
                self.cards.setdefault((key, value), (student.id, student.full_name))

    def twin(self, key, value, student_id):
        """The full name on another card with this value, or None."""
        found = self.cards.get((key, value))
        return found[1] if found is not None and found[0] != (student_id or 0) else None


def _twin(student, key, taken):
    value = getattr(student, key)
    if taken is not None:
        return taken.twin(key, value, student.id)
    column = getattr(Student, key)
    twin = db.session.scalar(select(Student).where(
        Student.org_id == student.org_id, column == value, Student.id != (student.id or 0)))
    return twin.full_name if twin is not None else None


@validator(Student, "people.student")
def validate_student(student, today=None, taken=None):
    """The student card's rules. `taken`: a TakenKeys of the organization, for a check of many cards at
    once (otherwise two queries look for another card with the same СНИЛС or file number)."""
    today = today or dates.today(student.org_id)
    errors = []
    if student.status is None:  # the column default is applied only at INSERT, after these checks
        student.status = StudentStatus.STUDYING.value
    _check_names(student, errors)
    _check_sex(student, errors)
    _snils(student, errors, required=True)
    org = db.session.get(Organization, student.org_id)
    if student.birth_date is None:
        errors.append("Поле «Дата рождения» обязательно")
    else:
        low, high = STUDENT_AGE[org.kind if org else OrgKind.SCHOOL.value]
        # The age that must make sense is the one at enrollment: a graduate grows older.
        enrolled = student.enrollment_order_date if student.enrollment_order_date else today
        age = age_on(student.birth_date, min(enrolled, today))
        if student.birth_date > today:
            errors.append(f"Дата рождения {student.birth_date:%d.%m.%Y} не может быть в будущем")
        elif not low <= age <= high:
            errors.append(f"Дата рождения {student.birth_date:%d.%m.%Y} невозможна для обучающегося "
                          f"этой организации (возраст при зачислении {age}, допустимо от {low} до {high} лет)")
        elif age_on(student.birth_date, today) >= PASSPORT_AGE and \
                student.status == StudentStatus.STUDYING.value and \
                not (student.passport_series and student.passport_number):
            errors.append("С 14 лет обязательны серия и номер паспорта")
    if student.passport_series and not (student.passport_series.isdigit() and len(student.passport_series) == 4):
        errors.append("Серия паспорта — 4 цифры")
    if student.passport_number and not (student.passport_number.isdigit() and len(student.passport_number) == 6):
        errors.append("Номер паспорта — 6 цифр")
    if not (student.personal_file_number or "").strip():
        errors.append("Поле «Номер личного дела» обязательно")
    if not (student.enrollment_order_number or "").strip():
        errors.append("Поле «Номер приказа о зачислении» обязательно")
    if student.enrollment_order_date is None:
        errors.append("Поле «Дата приказа о зачислении» обязательно")
    else:
        check_not_future(student.enrollment_order_date, "Дата приказа о зачислении", errors, today)
    fields = {}
    # The documents' dates (a passport not before the 14th birthday) and the contingent register's data.
    contingent.check_documents(student, today, errors, fields)
    contingent.check(student, today, errors, fields)
    if student.status not in {s.value for s in StudentStatus}:
        errors.append("Неизвестный статус обучающегося")
    if student.status == StudentStatus.STUDYING.value and student.class_id is None:
        errors.append("Обучающийся должен быть зачислен в класс (группу)")
    if student.snils and not errors:
        twin = _twin(student, "snils", taken)
        if twin is not None:
            errors.append(f"СНИЛС {student.snils} уже указан в карточке: {twin}")
    if student.personal_file_number and not errors:
        twin = _twin(student, "personal_file_number", taken)
        if twin is not None:
            errors.append(f"Номер личного дела {student.personal_file_number} уже занят: {twin}")
    _raise(errors, "обучающегося", fields)


@validator(Staff, "people.staff")
def validate_staff(staff, today=None):
    today = today or dates.today(staff.org_id)
    errors = []
    _check_names(staff, errors)
    _check_sex(staff, errors)
    _snils(staff, errors, required=False)
    check_email(staff.email, errors)
    check_phone(staff.phone, errors)
    if staff.hire_date is None:
        errors.append("Поле «Дата приёма на работу» обязательно")
    if staff.birth_date is not None:
        age = age_on(staff.birth_date, today)
        if not 14 <= age <= 100:
            errors.append(f"Дата рождения {staff.birth_date:%d.%m.%Y} невозможна для сотрудника")
        if staff.hire_date and staff.hire_date < staff.birth_date:
            errors.append("Дата приёма раньше даты рождения")
    if staff.dismissal_date and staff.hire_date and staff.dismissal_date < staff.hire_date:
        errors.append("Дата увольнения раньше даты приёма")
    known = {r.value for r in STAFF_ROLES}
    if any(code not in known for code in staff.role_codes):
        errors.append("Неизвестная функция (роль) сотрудника")
    _raise(errors, "сотрудника")


PRIVILEGED = frozenset({Role.ADMIN.value, Role.DIRECTOR.value})


def _access(codes, dismissal_date):
    """The functions a staff card gives its account: none once a dismissal date is written
    (services/context.py reads only cards without one)."""
    return frozenset() if dismissal_date is not None else frozenset(codes)


def _previous(staff):
    """(functions, dismissal date) of the card before this unsaved change; a new card had none."""
    state = sa_inspect(staff)
    if not state.has_identity:
        return frozenset(), None
    rows = state.attrs.role_rows.history
    old_rows = (*rows.unchanged, *rows.deleted) if rows.has_changes() else staff.role_rows
    dismissal = state.attrs.dismissal_date.history
    old_dismissal = dismissal.deleted[0] if dismissal.deleted else staff.dismissal_date
    return frozenset(r.role for r in old_rows), old_dismissal


def check_staff_change(actor, staff, deleting=False):
    """Functions on a staff card are access rights. The director and the administrator appoint staff
    to them; the administrator's and the director's own functions are given and taken by the
    administrator only, and dismissing, re-hiring or deleting a card that carries one of them is such
    a change too (otherwise HR, who keeps the cards, could take or give administrator access).
    Call it before anything flushes the change."""
    old_codes, old_dismissal = _previous(staff)
    new_codes = frozenset(staff.role_codes)
    before = _access(old_codes, old_dismissal)
    after = frozenset() if deleting else _access(new_codes, staff.dismissal_date)
    errors = []
    if old_codes != new_codes and not permissions.allowed(actor, "staff_function", "edit"):
        errors.append("Функции (роли) сотрудника назначают директор и администратор системы")
    if ((before ^ after) | (old_codes ^ new_codes)) & PRIVILEGED and \
            not permissions.allowed(actor, "staff_function", "admin_rights"):
        errors.append("Права администратора и директора даёт и снимает только администратор системы, "
                      "в том числе увольнением, восстановлением на работе или удалением карточки")
    if errors:
        raise DomainError("Карточка сотрудника не удалена" if deleting else "Карточка сотрудника не сохранена",
                          errors)


@rule("people.active_administrator", "guard")
def _keep_an_active_administrator(session, flush_context, instances):
    """Whoever acts (the administrator himself, a script), an organization never loses its last
    active administrator: nobody could then issue accounts or give rights."""
    with session.no_autoflush:
        cards = [(o, o in session.deleted) for o in (*session.new, *session.dirty, *session.deleted)
                 if isinstance(o, Staff)]
        admin = Role.ADMIN.value
        losing = {staff.org_id for staff, deleted in cards
                  if admin in _access(*_previous(staff))
                  and (deleted or admin not in _access(staff.role_codes, staff.dismissal_date))}
        for org_id in losing:
            mine = [(staff, deleted) for staff, deleted in cards if staff.org_id == org_id]
            if any(not deleted and admin in _access(staff.role_codes, staff.dismissal_date)
                   for staff, deleted in mine):
                continue
            another = session.scalar(select(Staff.id).join(StaffRole).where(
                Staff.org_id == org_id, Staff.dismissal_date.is_(None), StaffRole.role == admin,
                Staff.id.not_in([staff.id for staff, _ in mine if staff.id is not None])).limit(1))
            if another is None:
                raise DomainError("Изменение не сохранено", [
                    "в организации не останется ни одного действующего администратора системы: "
                    f"сначала назначьте функцию «{Role.ADMIN.label}» другому сотруднику"])


@validator(Parent, "people.parent")
def validate_parent(parent):
    errors = []
    _check_names(parent, errors)
    check_email(parent.email, errors)
    check_phone(parent.phone, errors)
    if parent.relation and parent.relation not in {r.value for r in ParentRelation}:
        errors.append("Неизвестная степень родства")
    if any(child.org_id != parent.org_id for child in parent.children):
        errors.append("Ребёнок принадлежит другой организации")
    _raise(errors, "родителя")


# A parent–child link seen from each side: the relation on the card, and the card's view.
FAMILY = {Student: "parents", Parent: "children"}
CARD_VIEW = {Student: "student", Parent: "parent"}


def _may_edit(actor, card):
    model = type(card)
    if card.id is None:
        return permissions.allowed(actor, CARD_VIEW[model], "create")
    return bool(permissions.scoped_ids(actor, CARD_VIEW[model], "edit", model, [card.id]))


def check_family_links(actor, card):
    """A parent–child link gives the parent the child's diary and reports, and puts the parent's account
    in the hands of the child's class teacher: it is made or cut only between two cards the actor may
    edit (a class teacher: his class's students and their parents). Call it before anything flushes
    the change: reach is judged on the links as they were."""
    history = sa_inspect(card).attrs[FAMILY[type(card)]].history
    changed = [*history.added, *history.deleted]
    if not changed:
        return
    with db.session.no_autoflush:
        refused = changed if not _may_edit(actor, card) else [o for o in changed if not _may_edit(actor, o)]
    if refused:
        raise DomainError("Связи родителей и детей не изменены", [
            f"«{_link_name(card, other)}»: связь устанавливает или разрывает только тот, кому доступны "
            "для изменения обе карточки" for other in refused])


def _link_name(card, other):
    parent, child = (card, other) if isinstance(card, Parent) else (other, card)
    return f"{parent.short_name} — {child.short_name}"


def class_list(klass_id):
    """The students now studying in a class, by surname."""
    return db.session.scalars(select(Student).where(
        Student.class_id == klass_id, Student.status == StudentStatus.STUDYING.value)
        .order_by(Student.last_name, Student.first_name)).all()


RULES = (validate_student, validate_staff, validate_parent, _keep_an_active_administrator)
