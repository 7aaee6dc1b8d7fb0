"""Period marks not set: per class, subject and period, how many students have none. Read by the control
page («Контроль», services/control/deadlines.py) and by the year rollover's check (services/rollover/year.py)."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, distinct, exists, func, or_, select
from sqlalchemy.orm import aliased

from models import (Grading, Period, PeriodMark, PeriodMarkKind, SchoolClass, Student, StudentStatus, SubgroupMember,
                    Subject, TeachingAssignment, db)
from services.planning.curriculum import CurriculumIndex


@dataclass
class MissingMarks:
    class_id: int
    class_name: str
    subject_id: int
    subject_name: str
    period_id: int | None  # None: the year's mark
    period_name: str
    period_end: date | None
    missing: int
    assignment_id: int  # a journal where they are set


def missing_period_marks(org, year_ids, *, periods_where=None, condition=None, year_marks=False):
    """Per class, subject and period: how many students of the class (of the subgroup, for a
    subgroup's teacher) have no period mark. Grade 1 of a school and subjects without marks keep
    none. `condition` limits the teaching assignments (the permission table's row filter);
    `year_marks` adds the year's mark as a pseudo-period. Two statements. The period mark is matched by
    the columns of its unique key (student, subject, year, kind) — with the year, the anti-join is one probe
    of that key instead of all the student's period marks."""
    if not year_ids:
        return []
    ta, st, cl, su, pe = TeachingAssignment, Student, SchoolClass, Subject, Period
    pm = aliased(PeriodMark)
    base = [ta.org_id == org.id, ta.year_id.in_(list(year_ids)), su.grading != Grading.NONE.value]
    if not org.is_college:
        base.append(cl.grade > 1)
    if condition is not None:
        base.append(condition)
    # The assignments' periods first, as a DISTINCT derived table the planner keeps whole: joined after the
    # students, the periods were scanned once per student and assignment (24 205 times a school on 50 schools,
    # where the planner expects 1 student of a class: ×2 of this statement).
    tp = (select(ta.id.label("assignment_id"), pe.id.label("period_id"), pe.name, pe.end_date)
          .join(pe, pe.year_id == ta.year_id)
          .where(ta.org_id == org.id, ta.year_id.in_(list(year_ids)), *(periods_where or ()))
          .distinct().subquery("assignment_period"))
    # A subgroup's teacher answers for his subgroup's students; while the class is not split in the
    # period, for all of them.
    split = aliased(SubgroupMember)
    in_subgroup = or_(ta.subgroup_id.is_(None), exists().where(
        SubgroupMember.subgroup_id == ta.subgroup_id, SubgroupMember.student_id == st.id,
        SubgroupMember.period_id == tp.c.period_id), ~exists().where(
        split.student_id == st.id, split.subject_id == ta.subject_id, split.period_id == tp.c.period_id))
    period_rows = db.session.execute(
        select(cl.id, cl.name, su.id, su.name, tp.c.period_id, tp.c.name, tp.c.end_date, func.count(distinct(st.id)),
               func.min(ta.id))
        .select_from(tp).join(ta, ta.id == tp.c.assignment_id)
        .join(cl, cl.id == ta.class_id).join(su, su.id == ta.subject_id)
        .join(st, and_(st.class_id == cl.id, st.status == StudentStatus.STUDYING.value))
        .outerjoin(pm, and_(pm.student_id == st.id, pm.subject_id == ta.subject_id, pm.year_id == ta.year_id,
                            pm.kind == PeriodMarkKind.PERIOD.value, pm.period_id == tp.c.period_id))
        .where(*base, pm.id.is_(None), in_subgroup)
        .group_by(cl.id, cl.name, su.id, su.name, tp.c.period_id, tp.c.name, tp.c.end_date)).all()
    rows = [MissingMarks(*r) for r in period_rows]
    if year_marks:
        year_rows = db.session.execute(
            select(cl.id, cl.name, su.id, su.name, func.count(distinct(st.id)), func.min(ta.id))
            .select_from(ta).join(cl, cl.id == ta.class_id).join(su, su.id == ta.subject_id)
            .join(st, and_(st.class_id == cl.id, st.status == StudentStatus.STUDYING.value))
            .outerjoin(pm, and_(pm.student_id == st.id, pm.subject_id == ta.subject_id,
                                pm.kind == PeriodMarkKind.YEAR.value, pm.year_id == ta.year_id))
            .where(*base, pm.id.is_(None))
            .group_by(cl.id, cl.name, su.id, su.name)).all()
        rows += [MissingMarks(c, cn, s, sn, None, "Годовая", None, n, a) for c, cn, s, sn, n, a in year_rows]
    if org.is_college:
        rows = _semester_hours_only(rows)
    rows.sort(key=lambda r: (r.class_name, r.subject_name, r.period_end or date.max))
    return rows


def grid(rows):
    """MissingMarks rows as one table: (period names in order of their ends, [(class, subject, [missing per
    period or None])]) — the rollover's check, the year's and a period's close."""
    ends = {}
    for r in rows:
        ends[r.period_name] = r.period_end or date.max
    columns = sorted(ends, key=lambda name: (ends[name], name))
    table = {}
    for r in rows:
        table.setdefault((r.class_name, r.subject_name), {})[r.period_name] = r.missing
    return columns, [(c, s, [cells.get(col) for col in columns]) for (c, s), cells in table.items()]


def _semester_hours_only(rows):
    """A college sets a semester's mark only in the disciplines the semester has hours of."""
    periods = {p.id: p for p in db.session.scalars(select(Period).where(
        Period.id.in_({r.period_id for r in rows if r.period_id})))}
    classes = {c.id: c for c in db.session.scalars(select(SchoolClass).where(
        SchoolClass.id.in_({r.class_id for r in rows})))}
    index = CurriculumIndex.for_years({c.year_id for c in classes.values()}) if classes else None
    kept = []
    for r in rows:
        period = periods.get(r.period_id)
        curriculum = index.for_class(classes[r.class_id]) if index is not None else None
        if period is None or curriculum is None or period.number not in (1, 2):
            kept.append(r)
            continue
        lines = index.subjects(curriculum).get(r.subject_id, [])
        if any((line.period1_hours if period.number == 1 else line.period2_hours) for line in lines):
            kept.append(r)
    return kept


class Missing:
    """What a check that lists missing marks (`self.missing`: [MissingMarks]) says of them: a period's close,
    the rollover's check and the year's close."""

    @property
    def missing_total(self):
        return sum(r.missing for r in self.missing)

    @property
    def missing_grid(self):
        return grid(self.missing)
