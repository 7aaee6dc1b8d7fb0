"""«Наполняемость классов»: per class, as of a date, the students, boys, girls and the class
teacher; totals by grade level and for the institution. Counted from the movement book's history,
so any past date is answered exactly."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from models import AcademicYear, ClassMembership, Organization, SchoolClass, Student, db
from reports import data
from reports.document import grade_label, total_label
from reports.xlsx import Book
from services import permissions
from services.errors import DomainError
from services.movement.roster import covers
from services.terms import term

VIEW = "report_class_fill"
M = ClassMembership


@dataclass
class FillRow:
    label: str
    grade: int | None = None
    teacher: str = ""
    total: int = 0
    boys: int = 0
    girls: int = 0
    on_leave: int = 0
    max_students: int | None = None
    kind: str = "class"  # class | grade | total

    @property
    def free(self):
        return None if self.max_students is None else self.max_students - self.total

    def add(self, other):
        self.total += other.total
        self.boys += other.boys
        self.girls += other.girls
        self.on_leave += other.on_leave
        if other.max_students is not None:
            self.max_students = (self.max_students or 0) + other.max_students


@dataclass
class FillReport:
    org: Organization
    year: AcademicYear
    on_date: date
    rows: list = field(default_factory=list)  # class rows, each grade followed by its subtotal
    total: FillRow | None = None

    @property
    def college(self):
        return self.org.is_college

    @property
    def title(self):
        return f"Наполняемость {'групп' if self.college else 'классов'}"

    @property
    def params(self):
        return f"на {self.on_date:%d.%m.%Y} (учебный год {self.year.name})"

    def columns(self):
        """(key, header) of the numeric columns, the same on the screen and in the workbook."""
        cols = [("total", "Всего обучающихся"), ("boys", "Юношей" if self.college else "Мальчиков"),
                ("girls", "Девушек" if self.college else "Девочек")]
        if self.college:
            cols.append(("on_leave", "В академическом отпуске"))
        return cols + [("max_students", "Предельная наполняемость"), ("free", "Свободных мест")]


def year_on(org_id, day):
    return db.session.scalar(select(AcademicYear).where(
        AcademicYear.org_id == org_id, AcademicYear.start_date <= day, AcademicYear.end_date >= day))


def class_fill(actor, on_date):
    permissions.require(actor, VIEW, "list")
    if on_date is None:
        raise DomainError("Отчёт не построен", ["Укажите дату в виде дд.мм.гггг"])
    year = year_on(actor.org_id, on_date)
    if year is None:
        raise DomainError("Отчёт не построен", [f"{on_date:%d.%m.%Y} не входит ни в один учебный год организации"])
    cond = permissions.row_condition(actor, VIEW, "list", SchoolClass)
    classes = data.classes_of_year(actor.org_id, year.id, cond, with_teacher=True)
    counts = {}
    if classes:
        for class_id, sex, on_leave, n in db.session.execute(
                select(M.class_id, Student.sex, M.on_leave, func.count(func.distinct(M.student_id)))
                .join(Student, Student.id == M.student_id)
                .where(M.class_id.in_([c.id for c in classes]), covers(on_date))
                .group_by(M.class_id, Student.sex, M.on_leave)):
            counts[(class_id, sex, on_leave)] = n
    org = db.session.get(Organization, actor.org_id)
    report = FillReport(org=org, year=year, on_date=on_date)
    report.total = FillRow(label=total_label(org), kind="total")
    grade_row = None
    for klass in classes:
        if grade_row is None or grade_row.grade != klass.grade:
            if grade_row is not None:
                report.rows.append(grade_row)
            grade_row = FillRow(label=grade_label(org, klass.grade, total=True), grade=klass.grade, kind="grade")
        row = FillRow(label=klass.name, grade=klass.grade, max_students=klass.max_students,
                      teacher=klass.class_teacher.full_name if klass.class_teacher else "",
                      boys=counts.get((klass.id, "m", False), 0), girls=counts.get((klass.id, "f", False), 0),
                      on_leave=counts.get((klass.id, "m", True), 0) + counts.get((klass.id, "f", True), 0))
        row.total = row.boys + row.girls
        report.rows.append(row)
        grade_row.add(row)
        report.total.add(row)
    if grade_row is not None:
        report.rows.append(grade_row)
    return report


def value(row, key):
    return getattr(row, key)


def class_fill_xlsx(report):
    """The printable workbook: landscape, fit to width, header rows repeated, a signature line."""
    book = Book()
    columns = report.columns()
    header_row = 4
    ws = book.sheet(report.title, repeat_rows=(header_row, header_row))
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 34)
    ws.set_column(3, 3 + len(columns), 14)
    book.put(ws, 0, 0, report.org.full_name, book.bold)
    book.put(ws, 1, 0, report.title, book.title)
    book.put(ws, 2, 0, report.params)
    heads = ["№", term("class", report.org), term("class_teacher", report.org)] + [h for _, h in columns]
    for col, text in enumerate(heads):
        book.put(ws, header_row, col, text, book.header)
    row_no, number = header_row + 1, 0
    for row in report.rows + [report.total]:
        fmt = book.cell if row.kind == "class" else book.header
        if row.kind == "class":
            number += 1
        book.put(ws, row_no, 0, number if row.kind == "class" else None, fmt)
        book.put(ws, row_no, 1, row.label, fmt)
        book.put(ws, row_no, 2, row.teacher, fmt)
        for col, (key, _) in enumerate(columns, start=3):
            book.put(ws, row_no, col, value(row, key), fmt)
        row_no += 1
    signature(book, ws, row_no + 2, report.org)
    return book


def signature(book, ws, row, org):
    book.put(ws, row, 1, "Директор")
    book.put(ws, row, 2, "________________ / " + (org.director_name or "________________"))
    book.put(ws, row + 1, 2, "(подпись)", book.small)
