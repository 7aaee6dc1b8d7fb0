"""The week's printed progress reports (seed 001 §8.12; the register and the rules: services/journal/
paper_reports.py): the «Отчёт об успеваемости и посещаемости ученика» (student-marks, reports/student_reports.py)
of every student with a parent's request in force that week, built by the report's own builder for the week's
days, as one workbook of a sheet per student; the print is recorded and logged as a read of the students' data
(reports/document.py `log_read`), once for the book."""
from sqlalchemy import select

from models import Period, Student, db
from reports.document import Document, date_range, log_read, slug
from reports.parameters import Params
from reports.registry import REGISTRY
from reports.render import documents_to_xlsx
from reports.xlsx import unique_sheet_name
from services import dates, permissions
from services.errors import DomainError
from services.journal import paper_reports

REPORT = "student-marks"


class WeekBook:
    def __init__(self, book, docs, monday, start, end, filename):
        self.book, self.docs, self.monday, self.start, self.end = book, docs, monday, start, end
        self.filename = filename

    @property
    def students(self):
        return len(self.docs)


def _refuse(message):
    raise DomainError("Отчёты не напечатаны", [message])


def build_week(actor, day, paper="A4"):
    """The week of `day` (Monday–Sunday, within its academic year) as one workbook; refused when the week is
    outside the academic year or nobody's request is in force then. Nothing is recorded (`print_week` does)."""
    permissions.require(actor, paper_reports.PRINT_KEY, "create")
    org = actor.org
    monday = paper_reports.week_of(day)
    label = paper_reports.week_label(monday)
    week = paper_reports.study_week(org.id, monday)
    if week is None:
        _refuse(f"Неделя {label} — вне учебного года")
    year, start, end = week
    reach = permissions.row_condition(actor, "report_student", "list", Student)
    students = paper_reports.active_students(org.id, monday, reach)
    if not students:
        _refuse(f"На неделю {label} нет действующих заявлений родителей")
    periods = db.session.scalars(select(Period).where(Period.year_id == year.id)
                                 .order_by(Period.start_date, Period.number)).all()
    rdef, today = REGISTRY[REPORT], dates.today(org)
    docs, taken = [], set()
    for student, class_name in students:
        raw = {"student": str(student.id), "from": f"{start:%d.%m.%Y}", "to": f"{end:%d.%m.%Y}"}
        p = Params(org=org, year=year, today=today, raw=raw, periods=periods, student=student, start=start,
                   end=end)
        doc = rdef.build(actor, p)
        for sheet in doc.sheets:
            sheet.name = unique_sheet_name(f"{class_name or ''} {student.short_name}".strip(), taken)
        docs.append(doc)
    filename = slug("otchety-za-nedelyu", f"{start:%d%m%Y}", f"{end:%d%m%Y}")
    return WeekBook(documents_to_xlsx(docs, paper), docs, monday, start, end, filename)


def print_week(actor, day, paper="A4"):
    """Build the week's workbook, record the print (the week, who, when, how many students) and log the read:
    the one action of the weekly print."""
    week = build_week(actor, day, paper)
    paper_reports.record_print(actor, week.monday, week.students)
    rdef = REGISTRY[REPORT]
    named = set().union(*(doc.students for doc in week.docs))
    log_read(actor, Document(name=REPORT, title=rdef.title_for(actor.org), org=actor.org, students=named,
                             params=[("Неделя", date_range(week.start, week.end)),
                                     ("Учеников", str(week.students))]),
             "xlsx, печать по заявлениям за неделю")
    return week
