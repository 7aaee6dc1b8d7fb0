"""Import and export of the staff cards (issue 17.1–17.2): a person, his position and his functions (roles).

A row finds its card by СНИЛС, else by the full name and the date of birth (a card without a date of birth
is found by its name alone when it is the only one); it never makes a second card of the same person.
A found card gets the row's filled cells (an empty cell erases nothing); a row equal to its card is «без
изменений». The card's own rules check every row (services/people/cards.py validate_staff and, for the
functions, check_staff_change: who appoints, who gives administrator rights); a position missing from the
«Должности» directory is added when the actor may add positions, otherwise the row is bad.
"""
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import STAFF_ROLES, Position, Role, Sex, Staff, db
from services import permissions
from services.errors import DomainError
from services.imports._lists import writing, put_errors, require
from services.imports.core import (CREATE, SKIP, UPDATE, Column, Importer, check_lengths, norm, parse_choice,
                                   parse_date_cell)
from services.people.cards import check_staff_change, validate_staff
from services.validation import check_email, check_name, check_phone, normalize_snils

SEXES = {"м": Sex.MALE.value, "муж": Sex.MALE.value, "мужской": Sex.MALE.value,
         "ж": Sex.FEMALE.value, "жен": Sex.FEMALE.value, "женский": Sex.FEMALE.value}
SEX_TEXT = {Sex.MALE.value: "м", Sex.FEMALE.value: "ж"}
# The staff card's choices of the category (the card's form offers the same ones).
CATEGORIES = {"высшая": "высшая", "первая": "первая", "соответствие": "соответствие",
              "соответствие занимаемой должности": "соответствие", "без категории": "без категории"}
# The function words a file may use: each role's label and its everyday names (a college's too).
FUNCTION_WORDS = {
    **{norm(r.label): r.value for r in STAFF_ROLES},
    "администратор": Role.ADMIN.value, "кадры": Role.HR.value, "отдел кадров": Role.HR.value,
    "кадровик": Role.HR.value, "специалист по кадрам": Role.HR.value, "завуч": Role.DEPUTY.value,
    "заместитель директора по увр": Role.DEPUTY.value, "преподаватель": Role.TEACHER.value,
    "педагог": Role.TEACHER.value,
}
# The class teacher is appointed on the class card (import «Классы»): the word is understood, not stored.
CLASS_TEACHER_WORDS = {norm(Role.CLASS_TEACHER.label), "куратор", "классный руководитель"}

COLUMNS = (
    Column("last_name", "Фамилия", True, "Иванова", "Как в паспорте"),
    Column("first_name", "Имя", True, "Мария"),
    Column("middle_name", "Отчество", False, "Петровна"),
    Column("sex", "Пол", True, "ж", "м или ж"),
    Column("birth_date", "Дата рождения", False, "12.04.1985", "дд.мм.гггг; по ней (или по СНИЛС) сотрудник "
           "находится при повторной загрузке"),
    Column("snils", "СНИЛС", False, "112-233-445 95", "11 цифр, XXX-XXX-XXX YY"),
    Column("position", "Должность", False, "учитель", "Как в справочнике «Должности»; новая должность "
           "добавляется в справочник, если у вас есть право его вести"),
    Column("functions", "Функции", False, "Учитель, Классный руководитель",
           "Функции (роли) в системе через запятую: " + ", ".join(r.label for r in STAFF_ROLES)
           + ". «Классный руководитель» назначается в карточке класса (импорт «Классы») и здесь не меняет "
           "ничего. Функции назначают директор и администратор системы", aliases=("Функции (роли)", "Роли")),
    Column("hire_date", "Дата приёма", True, "25.08.2015", "дд.мм.гггг", aliases=("Дата приёма на работу",)),
    Column("hire_order_number", "Приказ о приёме №", False, "45-к", aliases=("Номер приказа о приёме",)),
    Column("phone", "Телефон", False, "+7 900 123-45-67"),
    Column("email", "Эл. почта", False, "ivanova@example.ru", aliases=("Email", "E-mail", "Электронная почта")),
    Column("qualification_category", "Квалификационная категория", False, "первая",
           "высшая, первая, соответствие занимаемой должности, без категории"),
    Column("rank", "Разряд", False, ""),
)
LIMITS = {"last_name": 100, "first_name": 100, "middle_name": 100, "position": 200, "hire_order_number": 50,
          "phone": 50, "email": 200, "rank": 50, "qualification_category": 50}
# The card's fields a row sets, with their names for «что изменится».
FIELDS = {"last_name": "фамилия", "first_name": "имя", "middle_name": "отчество", "sex": "пол",
          "birth_date": "дата рождения", "snils": "СНИЛС", "position": "должность", "role_codes": "функции",
          "hire_date": "дата приёма", "hire_order_number": "приказ о приёме", "phone": "телефон",
          "email": "эл. почта", "qualification_category": "категория", "rank": "разряд"}


def _full(values):
    return norm(" ".join(v for v in (values.get("last_name"), values.get("first_name"), values.get("middle_name"))
                         if v))


class _Planned:
    def __init__(self, row, card, values, detail):
        self.row, self.card, self.values, self.detail = row, card, values, detail


class StaffImport(Importer):
    code = "staff"
    title = "Сотрудники"
    columns = COLUMNS
    resource = "staff"
    filename = "sotrudniki"

    # -- reading the file against the organization -----------------------------------------------------------

    def _load(self, actor):
        self.org_id = actor.org_id
        self.cards = db.session.scalars(select(Staff).where(Staff.org_id == actor.org_id)
                                        .order_by(Staff.id)).all()
        self.positions = {norm(p.name): p for p in db.session.scalars(
            select(Position).where(Position.org_id == actor.org_id))}
        self.by_snils = {c.snils: c for c in self.cards if c.snils}
        self.by_name, self.by_two_names = {}, {}
        for card in self.cards:
            self.by_name.setdefault(norm(card.full_name), []).append(card)
            self.by_two_names.setdefault(norm(f"{card.last_name} {card.first_name}"), []).append(card)

    def _values(self, row, preview):
        """The row's cells as the card's values (only the filled ones); errors on their columns."""
        col = self.column
        values, before = {}, len(preview.errors)
        for key in ("last_name", "first_name", "middle_name"):
            value = row.get(key)
            errors = []
            check_name(value, col(key).title, errors, required=col(key).required)
            for message in errors:
                preview.error(row, col(key), message)
            if value is not None:
                values[key] = value
        sex = parse_choice(row, col("sex"), preview, SEXES, required=True)
        if sex:
            values["sex"] = sex
        for key in ("birth_date", "hire_date"):
            day = parse_date_cell(row, col(key), preview, required=col(key).required)
            if day:
                values[key] = day
        if row.get("snils"):
            try:
                values["snils"] = normalize_snils(row.get("snils"))
            except ValueError as exc:
                preview.error(row, col("snils"), str(exc))
        for key, check in (("phone", check_phone), ("email", check_email)):
            errors = []
            check(row.get(key), errors)
            for message in errors:
                preview.error(row, col(key), message)
            if row.get(key):
                values[key] = row.get(key).strip()
        for key in ("hire_order_number", "rank"):
            if row.get(key):
                values[key] = row.get(key)
        if row.get("qualification_category"):
            category = parse_choice(row, col("qualification_category"), preview, CATEGORIES)
            if category:
                values["qualification_category"] = category
        if row.get("functions"):
            codes = set()
            for word in (w.strip() for w in row.get("functions").replace(";", ",").split(",")):
                if not word or norm(word) in CLASS_TEACHER_WORDS:
                    continue
                code = FUNCTION_WORDS.get(norm(word))
                if code is None:
                    preview.error(row, col("functions"), f"«{word}» — нет такой функции; допустимо: "
                                  + ", ".join(r.label for r in STAFF_ROLES))
                else:
                    codes.add(code)
            values["role_codes"] = sorted(codes)
        if row.get("position"):
            values["position"] = row.get("position")
        return values, len(preview.errors) == before

    def _match(self, row, values, preview):
        """The card the row is about (None: a new one), or False with the row's error recorded."""
        snils = values.get("snils")
        if snils and snils in self.by_snils:
            return self.by_snils[snils]
        # a file without patronymics still finds the cards that have one
        named = self.by_name.get(_full(values), []) if values.get("middle_name") else \
            self.by_two_names.get(_full(values), [])
        birth = values.get("birth_date")
        if birth is not None:
            found = [c for c in named if c.birth_date == birth] or [c for c in named if c.birth_date is None]
        else:
            found = named
        other = [c for c in found if snils and c.snils and c.snils != snils]
        found = [c for c in found if c not in other]
        if other and not found:  # the same person by name and birth date, another СНИЛС: never a second card
            preview.error(row, self.column("snils"), f"у сотрудника «{other[0].full_name}» с той же датой рождения "
                          f"в карточке СНИЛС {other[0].snils}: исправьте СНИЛС в файле или в карточке")
            return False
        if len(found) > 1:
            preview.error(row, self.column("birth_date" if birth is None else "snils"),
                          f"сотрудников «{found[0].full_name}» несколько: укажите СНИЛС или дату рождения")
            return False
        return found[0] if found else None

    def _position(self, row, name, preview, create):
        position = self.positions.get(norm(name))
        if position is not None:
            return position
        if not create:
            preview.error(row, self.column("position"), f"должности «{name}» нет в справочнике «Должности»; "
                          "добавить её может администратор системы")
            return None
        return name  # a new one, made once in apply

    def _analyse(self, actor, rows, preview):
        require(actor, self.resource, "create", "edit")
        self._load(actor)
        may_add_positions = permissions.allowed(actor, "position", "create")
        check_lengths(rows, self.columns, preview, LIMITS)
        planned, seen, new_positions = [], {}, {}
        for row in rows:
            values, clean = self._values(row, preview)
            if not clean:
                continue
            card = self._match(row, values, preview)
            if card is False:
                continue
            keys = [("card", card.id)] if card is not None else [("name", _full(values), values.get("birth_date"))]
            if values.get("snils"):
                keys.append(("snils", values["snils"]))
            twin = next((seen[k] for k in keys if k in seen), None)
            if twin is not None:
                preview.error(row, "", f"тот же сотрудник, что в строке {twin}")
                continue
            seen.update((k, row.number) for k in keys)
            if "position" in values:
                position = self._position(row, values["position"], preview, may_add_positions)
                if position is None:
                    continue
            changed = self._changes(card, values)
            if card is not None and not changed:
                preview.change(SKIP, "Сотрудник", card.full_name, row)
                continue
            if not self._validate(actor, row, card, values, preview):
                continue
            if "position" in changed and norm(values["position"]) not in self.positions \
                    and norm(values["position"]) not in new_positions:
                new_positions[norm(values["position"])] = values["position"]
                preview.change(CREATE, "Должность", values["position"], row)
            label = card.full_name if card is not None else " ".join(
                v for v in (values.get("last_name"), values.get("first_name"), values.get("middle_name")) if v)
            detail = ", ".join(FIELDS[k] for k in changed) if card is not None else ""
            preview.change(UPDATE if card is not None else CREATE, "Сотрудник", label, row, detail)
            planned.append(_Planned(row, card, values, changed))
        self._check_functions(actor, planned, preview)
        return planned, new_positions

    def _changes(self, card, values):
        """The fields the row changes on the card (all it fills, for a new one)."""
        out = []
        for key, value in values.items():
            if card is None:
                out.append(key)
            elif key == "position":
                position = self.positions.get(norm(value))
                if position is None or card.position_id != position.id:
                    out.append(key)
            elif key == "role_codes":
                if sorted(card.role_codes) != value:
                    out.append(key)
            elif getattr(card, key) != value:
                out.append(key)
        return out

    def _validate(self, actor, row, card, values, preview):
        """The card's own rules on the card as the row would leave it (a copy: nothing is written)."""
        twin = Staff(org_id=self.org_id)
        if card is not None:
            for key in FIELDS:
                if key not in ("position", "role_codes"):
                    setattr(twin, key, getattr(card, key))
            twin.dismissal_date = card.dismissal_date
        for key, value in values.items():
            if key not in ("position", "role_codes"):
                setattr(twin, key, value)
        try:
            validate_staff(twin)
        except DomainError as exc:
            put_errors(preview, row, exc, [(("приём",), self.column("hire_date")),
                                           (("рождения",), self.column("birth_date")),
                                           (("увольнения",), self.column("hire_date"))])
            return False
        return True

    def _check_functions(self, actor, planned, preview):
        """check_staff_change (who appoints, who gives administrator rights) on each card whose functions
        the file sets: a new card as it would be made, a stored one in a session of its own thrown away
        after, so that nothing of the check reaches the import's transaction."""
        new = [p for p in planned if p.card is None and p.values.get("role_codes")]
        stored = {p.card.id: p for p in planned if p.card is not None and "role_codes" in p.detail}
        for item in new:
            twin = Staff(org_id=self.org_id)
            twin.role_codes = item.values["role_codes"]
            self._functions_refused(actor, item, twin, preview)
        if not stored:
            return
        with Session(bind=db.session.connection(), autoflush=False,
                     join_transaction_mode="create_savepoint") as side:
            for card in side.scalars(select(Staff).where(Staff.id.in_(list(stored)))):
                card.role_codes = stored[card.id].values["role_codes"]
                self._functions_refused(actor, stored[card.id], card, preview)

    def _functions_refused(self, actor, item, card, preview):
        try:
            check_staff_change(actor, card)
        except DomainError as exc:
            put_errors(preview, item.row, exc, [((), self.column("functions"))], self.column("functions"))
            preview.changes = [c for c in preview.changes if c.row != item.row.number]

    # -- the Importer ----------------------------------------------------------------------------------------

    def plan(self, actor, rows, preview):
        self._analyse(actor, rows, preview)

    def apply(self, actor, rows, preview, progress=None):
        planned, new_positions = self._analyse(actor, rows, preview)
        if preview.errors:
            return
        for key, name in new_positions.items():
            position = Position(org_id=self.org_id, name=name)
            db.session.add(position)
            self.positions[key] = position
        for done, item in enumerate(planned, start=1):
            card = item.card
            if card is None:
                card = Staff(org_id=self.org_id)
                db.session.add(card)
            for key in item.detail:
                value = item.values[key]
                if key == "position":
                    card.position = self.positions[norm(value)]
                else:
                    setattr(card, key, value)
            check_staff_change(actor, card)
            if progress:
                progress(done, len(planned))
        with writing(preview):
            db.session.flush()

    def export_rows(self, actor):
        require(actor, self.resource, "export")
        cards = db.session.scalars(select(Staff).where(Staff.org_id == actor.org_id, Staff.dismissal_date.is_(None))
                                   .order_by(Staff.last_name, Staff.first_name, Staff.middle_name, Staff.id)).all()
        positions = {p.id: p.name for p in db.session.scalars(select(Position).where(Position.org_id == actor.org_id))}
        return [{"last_name": c.last_name, "first_name": c.first_name, "middle_name": c.middle_name,
                 "sex": SEX_TEXT.get(c.sex), "birth_date": c.birth_date, "snils": c.snils,
                 "position": positions.get(c.position_id), "functions": c.roles_label,
                 "hire_date": c.hire_date, "hire_order_number": c.hire_order_number, "phone": c.phone,
                 "email": c.email, "qualification_category": c.qualification_category, "rank": c.rank}
                for c in cards]
