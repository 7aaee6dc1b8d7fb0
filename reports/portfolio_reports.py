"""The portfolio's reports (issue 18.3, seed 000 §3.4, §4.3): a student's printable portfolio (his confirmed
entries and his projects) and a class's summary (per student: the confirmed entries by level and by kind, the
winners and prizewinners). Read in a few set-based statements (services/portfolio/)."""
from collections import Counter

from models import EntryKind, EntryLevel, EntryPlace
from reports import data
from reports.document import Column, class_teacher_line, person_name, slug
from reports.registry import report, report_document
from services.portfolio import entries, projects
from services.terms import term

STUDENT_GROUP, CLASS_GROUP = "Ученику и родителям", "Классному руководителю"


def _result(entry):
    place = EntryPlace.LABELS.get(entry.place, "")
    return ": ".join(part for part in (place, entry.result or "") if part)


@report("student-portfolio", "Портфолио ученика", "report_student", params=("year", "class", "student"),
        required=("student",), group=STUDENT_GROUP, college_title="Портфолио студента",
        description="Подтверждённые достижения ученика (олимпиады, конкурсы, соревнования, проекты, сертификаты) "
                    "с уровнем, датой и результатом, его проекты с этапами; итоги по уровням.")
def student_portfolio(actor, p):
    org, student = p.org, p.student
    doc = report_document("student-portfolio", p, filename=slug("portfolio", student.last_name, student.first_name))
    doc.params.append((term("student", org), doc.student_name(student)))
    if p.klass is not None:
        doc.params.append((term("class", org), p.klass.name))
    doc.landscape = False
    sheet = doc.sheet("Портфолио", repeat_header=False)
    found = entries.confirmed_of([student.id]).get(student.id, [])
    table = sheet.table([Column("Дата", "date", 11), Column("Вид", width=16), Column("Название", width=34),
                         Column("Уровень", width=14), Column("Результат", width=20),
                         Column(term("subject", org), width=16)], title="Достижения")
    for e in found:
        table.add([e.event_date, EntryKind.LABELS[e.kind], e.title, EntryLevel.LABELS[e.level], _result(e),
                   e.subject.name if e.subject else ""])
    if not found:
        sheet.text("Подтверждённых достижений нет.", "note")
    summary = entries.summaries([student.id])[student.id]
    totals = sheet.table([Column(label, "int", 12) for label in EntryLevel.LABELS.values()] +
                         [Column("Всего", "int", 8), Column("Победитель", "int", 10), Column("Призёр", "int", 8)],
                         title="Итого по уровням")
    totals.add([summary.levels[code] for code in EntryLevel.LABELS] +
               [summary.total, summary.winners, summary.prizewinners], style="total")
    mine = projects.projects_of_students([student.id])[student.id]
    ptable = sheet.table([Column("Проект", width=30), Column(term("subject", org), width=16),
                          Column("Руководитель", width=18), Column("Этапы (выполнено)", width=12),
                          Column("Результат", width=30), Column("Отметка", "int", 8)], title="Проекты")
    for project in mine:
        done = sum(1 for s in project.stages if s.done_date is not None)
        ptable.add([project.title, project.subject.name if project.subject else "",
                    person_name(project.supervisor, short=True), f"{done} из {len(project.stages)}",
                    project.result_text or "", project.mark])
    if not mine:
        sheet.text("Проектов нет.", "note")
    sheet.sign(class_teacher_line(org, p.klass))
    return doc


@report("class-portfolio", "Сводка портфолио класса", "report_class", params=("year", "class"),
        required=("class",), group=CLASS_GROUP, college_title="Сводка портфолио группы",
        description="По каждому ученику: подтверждённые достижения по уровням и по видам, победители и призёры, "
                    "проекты; итог по классу.")
def class_portfolio(actor, p):
    org, klass, year = p.org, p.klass, p.year
    roster = data.rosters([klass.id], year.start_date, year.end_date)[klass.id]
    students = sorted({e.student.id: e.student for e in roster}.values(),
                      key=lambda s: (s.last_name, s.first_name, s.id))
    ids = [s.id for s in students]
    counts = entries.summaries(ids)
    project_counts = projects.projects_of_students(ids)
    doc = report_document("class-portfolio", p, [("Учебный год", year.name), (term("class", org), klass.name)],
                          filename=slug("portfolio", klass.name))
    sheet = doc.sheet("Сводка портфолио")
    columns = [Column("№", "int", 5), Column(f"ФИО {term('student', org).lower()}а", width=30)]
    columns += [Column(label, "int", 11) for label in EntryLevel.LABELS.values()]
    columns += [Column(label, "int", 11) for label in EntryKind.LABELS.values()]
    columns += [Column("Всего", "int", 8), Column("Победитель", "int", 10), Column("Призёр", "int", 8),
                Column("Проектов", "int", 9)]
    table = sheet.table(columns, groups=[("", 2), ("По уровням", len(EntryLevel.LABELS)),
                                         ("По видам", len(EntryKind.LABELS)), ("", 4)])
    total = entries.Summary(levels=Counter(), kinds=Counter())
    total_projects = set()
    for number, student in enumerate(students, 1):
        s = counts[student.id]
        total.total += s.total
        total.winners += s.winners
        total.prizewinners += s.prizewinners
        total.levels.update(s.levels)
        total.kinds.update(s.kinds)
        total_projects.update(pr.id for pr in project_counts[student.id])
        table.add([number, doc.student_name(student)] + [s.levels[c] for c in EntryLevel.LABELS] +
                  [s.kinds[c] for c in EntryKind.LABELS] +
                  [s.total, s.winners, s.prizewinners, len(project_counts[student.id])])
    table.add(["", "Итого"] + [total.levels[c] for c in EntryLevel.LABELS] +
              [total.kinds[c] for c in EntryKind.LABELS] +
              [total.total, total.winners, total.prizewinners, len(total_projects)], style="total")
    sheet.text("Считаются подтверждённые записи портфолио; ученики — все, кто был в классе в этом учебном году; "
               "в итоге проекты класса считаются по одному разу.", "note")
    sheet.sign(class_teacher_line(org, klass))
    return doc
