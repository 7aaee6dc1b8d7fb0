"""The demo's «Конструктор отчётов» (issue 18.1): two shared reports of the organization — the administrator's
«Ученики N-х классов с телефонами родителей» (the grade of the demo class teacher's class, so he too sees his
class in it) and the deputy's «Средний балл по предметам» (the marks grouped by subject: count and average).
Each definition is checked against the catalogue before it is saved, like a user's."""
from models import SavedReport, db
from services.context import Actor
from services.report_builder import definition as definitions
from services.terms import for_kind


def create_report_builder_demo(org, classes, admin, deputy):
    if not classes or admin.user_id is None or deputy.user_id is None:
        return []
    grade = classes[1 if len(classes) > 1 else 0].grade
    system = Actor.system_actor(org)
    wanted = [
        (admin, for_kind(f"Ученики {grade}-х классов с телефонами родителей", org) if not org.is_college
         else f"Студенты {grade} курса с телефонами родителей",
         {"entity": "students", "columns": ["full_name", "class_name", "birth_date", "parents", "parent_phones"],
          "filters": [{"column": "grade", "op": "eq", "value": str(grade)},
                      {"column": "status", "op": "eq", "value": "studying"}],
          "sort": [{"column": "class_name", "desc": False}, {"column": "full_name", "desc": False}]}),
        (deputy, "Средний балл по предметам",
         {"entity": "marks", "columns": [], "group_by": ["subject"], "aggregates": ["count", "avg:number"],
          "sort": [{"column": "subject", "desc": False}]}),
    ]
    reports = []
    for owner, name, raw in wanted:
        checked = definitions.check(system, raw)
        reports.append(SavedReport(org_id=org.id, owner_id=owner.user_id, name=name, shared=True,
                                   definition=checked.to_json()))
    db.session.add_all(reports)
    db.session.flush()
    return reports
