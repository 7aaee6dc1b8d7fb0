"""«Движение учащихся по школе»: for a date range inside one academic year, per class and grade
level — students at the start, arrived (enrolled, from other classes, restored), left (to other
classes, graduated, on academic leave, out of the institution by reason), at the end — and the
orders behind the movement.

Counted from the class history: a stay that covers the first day is «на начало», one that covers
the last day «на конец», one that begins after the first day «прибыл», one that ends before the
last day «выбыл». So at the end = at the start + arrived − left, for every row.
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from models import (AcademicYear, ClassMembership, LeaveReason, MovementItem, MovementKind, MovementOrder,
                    OrderStatus, Organization, SchoolClass, db)
from reports import data
from reports.document import date_range, grade_label, total_label
from reports.class_fill import signature, year_on
from reports.xlsx import Book
from services import permissions
from services.errors import DomainError
from services.movement.roster import overlaps
from services.terms import term

VIEW = "report_movement"
M = ClassMembership
K = MovementKind

TO_CLASS = {K.TRANSFER.value, K.NEXT_YEAR.value, K.REPEAT.value}
LEFT_INSTITUTION = {K.WITHDRAWAL.value, K.EXPULSION.value}


@dataclass
class MoveRow:
    label: str
    kind: str = "class"  # class | grade | total
    grade: int | None = None
    at_start: int = 0
    enrolled: int = 0
    from_class: int = 0
    restored: int = 0
    to_class: int = 0
    graduated: int = 0
    on_leave: int = 0
    other: int = 0
    reasons: dict = field(default_factory=dict)  # LeaveReason value -> students
    at_end: int = 0
    class_id: int | None = None
    # key (a counter's name, "reason:<LeaveReason>") -> {student id}: who each figure counts (ОО-1's cells)
    ids: dict = field(default_factory=dict)

    @property
    def arrived(self):
        return self.enrolled + self.from_class + self.restored

    @property
    def left_institution(self):
        return sum(self.reasons.values())

    @property
    def left(self):
        return self.to_class + self.graduated + self.on_leave + self.other + self.left_institution

    def add(self, other):
        for key in ("at_start", "enrolled", "from_class", "restored", "to_class", "graduated", "on_leave",
                    "other", "at_end"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        for reason, n in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + n
        for key, ids in other.ids.items():
            self.ids.setdefault(key, set()).update(ids)

    def students(self, key):
        """The ids of the students the figure `key` counts (a sum's: its parts' together)."""
        parts = {"arrived": ("enrolled", "from_class", "restored"),
                 "left_institution": tuple(k for k in self.ids if k.startswith("reason:")),
                 "left": ("to_class", "graduated", "on_leave", "other")
                 + tuple(k for k in self.ids if k.startswith("reason:"))}.get(key, (key,))
        return set().union(*(self.ids.get(k, set()) for k in parts))

    def value(self, key):
        if key.startswith("reason:"):
            return self.reasons.get(key[7:], 0)
        return getattr(self, key)


@dataclass
class MovementReport:
    org: Organization
    year: AcademicYear
    start: date
    end: date
    rows: list = field(default_factory=list)
    total: MoveRow | None = None
    reasons: list = field(default_factory=list)  # LeaveReason values that occur, in the enum's order
    orders: list = field(default_factory=list)

    @property
    def college(self):
        return self.org.is_college

    @property
    def title(self):
        return "Движение обучающихся по техникуму" if self.college else "Движение учащихся по школе"

    @property
    def params(self):
        return f"{date_range(self.start, self.end)} (учебный год {self.year.name})"

    def groups(self):
        """[(group header, [(key, column header)])]: two header rows, the same on screen and in .xlsx."""
        arrived = [("arrived", "всего"), ("enrolled", "зачислено"), ("from_class", f"из других {self._classes}"),
                   ("restored", "восстановлено")]
        left = [("left", "всего"), ("to_class", f"в другие {self._classes_acc}"), ("graduated", "выпущено")]
        if self.college:
            left.append(("on_leave", "в академическом отпуске"))
        left.append(("left_institution", f"выбыло из {'техникума' if self.college else 'школы'}"))
        left += [(f"reason:{r}", LeaveReason(r).label) for r in self.reasons]
        if self.total is not None and self.total.other:
            left.append(("other", "прочие"))
        return [("На начало", [("at_start", "")]), ("Прибыло", arrived), ("Выбыло", left),
                ("На конец", [("at_end", "")])]

    def columns(self):
        return [col for _, cols in self.groups() for col in cols]

    @property
    def _classes(self):
        return "групп" if self.college else "классов"

    @property
    def _classes_acc(self):
        return "группы" if self.college else "классы"


def parse_range(year_of, start, end):
    """Check a report's range: both dates, end not before start, inside one academic year."""
    errors = []
    if start is None:
        errors.append("Укажите дату начала в виде дд.мм.гггг")
    if end is None:
        errors.append("Укажите дату окончания в виде дд.мм.гггг")
    if errors:
        raise DomainError("Отчёт не построен", errors)
    if end < start:
        raise DomainError("Отчёт не построен", [f"Дата окончания {end:%d.%m.%Y} раньше даты начала {start:%d.%m.%Y}"])
    year = year_of(start)
    if year is None:
        raise DomainError("Отчёт не построен", [f"{start:%d.%m.%Y} не входит ни в один учебный год организации"])
    if end > year.end_date:
        raise DomainError("Отчёт не построен", [
            f"Период должен лежать внутри учебного года {year.name} "
            f"({year.start_date:%d.%m.%Y}–{year.end_date:%d.%m.%Y})"])
    return year


def school_movement(actor, start, end):
    permissions.require(actor, VIEW, "list")
    year = parse_range(lambda day: year_on(actor.org_id, day), start, end)
    org = db.session.get(Organization, actor.org_id)
    cond = permissions.row_condition(actor, VIEW, "list", SchoolClass)
    classes = data.classes_of_year(actor.org_id, year.id, cond)
    began, ended = aliased(MovementOrder), aliased(MovementOrder)
    rows = []
    if classes:
        rows = db.session.execute(
            select(M.class_id, M.start_date, M.end_date, began.kind, ended.kind, MovementItem.reason, M.student_id)
            .outerjoin(began, began.id == M.start_order_id)
            .outerjoin(ended, ended.id == M.end_order_id)
            .outerjoin(MovementItem, and_(MovementItem.order_id == M.end_order_id,
                                          MovementItem.student_id == M.student_id))
            .where(M.class_id.in_([c.id for c in classes]), M.on_leave.is_(False), overlaps(start, end))).all()
    per_class = {c.id: MoveRow(label=c.name, grade=c.grade, class_id=c.id) for c in classes}
    for class_id, since, until, began_kind, ended_kind, reason, student_id in rows:
        _count(per_class[class_id], start, end, since, until, began_kind, ended_kind, reason, student_id)
    report = MovementReport(org=org, year=year, start=start, end=end)
    report.total = MoveRow(label=total_label(org), kind="total")
    group = None
    for klass in classes:
        if group is None or group.grade != klass.grade:
            if group is not None:
                report.rows.append(group)
            group = MoveRow(label=grade_label(org, klass.grade, total=True), kind="grade", grade=klass.grade)
        row = per_class[klass.id]
        report.rows.append(row)
        group.add(row)
        report.total.add(row)
    if group is not None:
        report.rows.append(group)
    report.reasons = [r.value for r in LeaveReason if report.total.reasons.get(r.value)]
    orders = permissions.row_condition(actor, VIEW, "list", MovementOrder)
    report.orders = db.session.scalars(
        select(MovementOrder).where(orders, MovementOrder.status != OrderStatus.DRAFT.value,
                                    MovementOrder.effective_date >= start, MovementOrder.effective_date <= end)
        .options(selectinload(MovementOrder.items).joinedload(MovementItem.student),
                 selectinload(MovementOrder.items).joinedload(MovementItem.from_class),
                 selectinload(MovementOrder.items).joinedload(MovementItem.to_class),
                 joinedload(MovementOrder.cancels))
        .order_by(MovementOrder.effective_date, MovementOrder.order_date, MovementOrder.id)).unique().all()
    return report


def _count(row, start, end, since, until, began_kind, ended_kind, reason, student_id=None):
    def counted(key):
        if key.startswith("reason:"):
            row.reasons[key[7:]] = row.reasons.get(key[7:], 0) + 1
        else:
            setattr(row, key, getattr(row, key) + 1)
        row.ids.setdefault(key, set()).add(student_id)

    if since <= start and (until is None or until >= start):
        counted("at_start")
    if since <= end and (until is None or until >= end):
        counted("at_end")
    if start < since <= end:
        if began_kind in (None, K.ENROLLMENT.value):
            counted("enrolled")
        elif began_kind in TO_CLASS:
            counted("from_class")
        else:  # back from academic leave, or put back by a cancellation order
            counted("restored")
    if until is not None and start <= until < end:
        if ended_kind in TO_CLASS:
            counted("to_class")
        elif ended_kind == K.GRADUATION.value:
            counted("graduated")
        elif ended_kind == K.LEAVE.value:
            counted("on_leave")
        elif ended_kind in LEFT_INSTITUTION and reason:
            counted(f"reason:{reason}")
        else:
            counted("other")


def order_lines(report):
    """(order, item) pairs of the orders sheet / table."""
    for order in report.orders:
        for item in order.items:
            yield order, item


def movement_xlsx(report):
    book = Book()
    groups = report.groups()
    columns = report.columns()
    first, second = 4, 5
    ws = book.sheet("Движение", repeat_rows=(first, second))
    ws.set_column(0, 0, 24)
    ws.set_column(1, len(columns), 11)
    book.put(ws, 0, 0, report.org.full_name, book.bold)
    book.put(ws, 1, 0, report.title, book.title)
    book.put(ws, 2, 0, report.params)
    ws.merge_range(first, 0, second, 0, term("class", report.org), book.header)
    col = 1
    for header, cols in groups:
        if len(cols) == 1:
            ws.merge_range(first, col, second, col, header, book.header)
        else:
            ws.merge_range(first, col, first, col + len(cols) - 1, header, book.header)
            for offset, (_, sub) in enumerate(cols):
                book.put(ws, second, col + offset, sub, book.header)
        col += len(cols)
    row_no = second + 1
    for row in report.rows + [report.total]:
        fmt = book.cell if row.kind == "class" else book.header
        book.put(ws, row_no, 0, row.label, fmt)
        for offset, (key, _) in enumerate(columns, start=1):
            book.put(ws, row_no, offset, row.value(key), fmt)
        row_no += 1
    signature(book, ws, row_no + 2, report.org)

    sheet = book.sheet("Приказы", repeat_rows=(3, 3))
    for c, width in enumerate((10, 12, 12, 30, 16, 32, 10, 10, 40)):
        sheet.set_column(c, c, width)
    book.put(sheet, 0, 0, report.org.full_name, book.bold)
    book.put(sheet, 1, 0, f"Приказы о движении {report.params}", book.title)
    heads = ["№ приказа", "Дата", "Действует с", "Тип", "Состояние", "Обучающийся", "Из", "В",
             "Причина, куда выбыл"]
    for c, text in enumerate(heads):
        book.put(sheet, 3, c, text, book.header)
    r = 4
    for order, item in order_lines(report):
        state = order.status_label
        values = [order.number, order.order_date, order.effective_date, order.kind_label, state,
                  item.person_name, item.from_class.name if item.from_class else "",
                  item.to_class.name if item.to_class else "",
                  "; ".join(p for p in (item.reason_label, item.destination or "") if p)]
        for c, v in enumerate(values):
            book.put(sheet, r, c, v, book.cell)
        r += 1
    signature(book, sheet, r + 2, report.org)
    return book
