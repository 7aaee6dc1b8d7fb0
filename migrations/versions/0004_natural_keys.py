"""natural keys: one curriculum per year, grade, profile and specialty; one open stay per student;
one teaching assignment per class, subject, subgroup (or none) and teacher

Revision ID: 0004_natural_keys
Revises: 0003_versions

Before the unique indexes are made, the duplicates concurrent requests could leave are resolved, and
only where no information is lost:

- a student's open stays in a class: an exact copy (same class, start, start order, leave) is one
  order applied twice — the copies are deleted; a stay opened by an order that was cancelled since is
  treated as the cancellation treated the copy it found (deleted if the cancellation acts from the
  stay's first day, else closed the day before it);
- curricula of the same year, grade level, profile and specialty: a copy with the same figures and the
  same lines (a copy step run twice at once) is deleted with its lines;
- teaching assignments of the same class, subject and teacher without a subgroup: a copy with the same
  hours and КТП and no lessons or timetable of its own is deleted.

Any other duplicate means two versions of the truth, and only a person can tell which is right: the
upgrade then stops with the list, and changes nothing. All indexes are created in place (CREATE INDEX:
no table is copied, on SQLite either).
"""
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0004_natural_keys"
down_revision = "0003_versions"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

membership = sa.table("class_membership", sa.column("id"), sa.column("student_id"), sa.column("class_id"),
                      sa.column("start_date", sa.Date), sa.column("end_date", sa.Date), sa.column("on_leave"),
                      sa.column("start_order_id"), sa.column("end_order_id"))
order = sa.table("movement_order", sa.column("id"), sa.column("number"), sa.column("status"),
                 sa.column("cancels_id"), sa.column("effective_date", sa.Date))
student = sa.table("student", sa.column("id"), sa.column("last_name"), sa.column("first_name"))
klass = sa.table("school_class", sa.column("id"), sa.column("name"))
year = sa.table("academic_year", sa.column("id"), sa.column("name"))
organization = sa.table("organization", sa.column("id"), sa.column("kind"))
curriculum = sa.table("curriculum", sa.column("id"), sa.column("org_id"), sa.column("year_id"), sa.column("grade"), sa.column("profile"),
                      sa.column("specialty_id"), sa.column("max_hours"), sa.column("weeks"), sa.column("note"))
line = sa.table("curriculum_line", sa.column("curriculum_id"), sa.column("subject_id"), sa.column("component"),
                sa.column("hours_per_week"), sa.column("period1_hours"), sa.column("period2_hours"))
assignment = sa.table("teaching_assignment", sa.column("id"), sa.column("class_id"), sa.column("subject_id"),
                      sa.column("subgroup_id"), sa.column("teacher_id"), sa.column("hours_per_week"),
                      sa.column("hours_total"), sa.column("thematic_plan_id"))
subject = sa.table("subject", sa.column("id"), sa.column("name"))
# Rows that make a teaching assignment more than a line of the load: its journal and timetable.
ASSIGNMENT_USES = (("lesson", "assignment_id"), ("timetable_entry", "assignment_id"),
                   ("timetable_change", "assignment_id"), ("timetable_change", "scheduled_assignment_id"))

REFUSED = ("Обновление базы (0004_natural_keys) остановлено, база не изменена: найдены дубликаты, которые "
           "нельзя объединить без потери данных. Исправьте их (приложение работает и без этого обновления) "
           "и повторите «flask db upgrade»:")


@dataclass
class Cleanup:
    """What one table needs before its unique index: rows to delete, stays to close, or problems."""

    table: sa.TableClause
    what: str
    delete: list = field(default_factory=list)
    close: list = field(default_factory=list)  # (stay id, last day, cancellation order id)
    problems: list = field(default_factory=list)

    def apply(self, conn):
        if self.table is curriculum and self.delete:
            conn.execute(line.delete().where(line.c.curriculum_id.in_(self.delete)))
        if self.delete:
            conn.execute(self.table.delete().where(self.table.c.id.in_(self.delete)))
        for stay_id, last_day, order_id in self.close:
            conn.execute(membership.update().where(membership.c.id == stay_id)
                         .values(end_date=last_day, end_order_id=order_id))
        if self.delete or self.close:
            log.warning("0004_natural_keys: %s — удалено копий: %d, закрыто: %d", self.what, len(self.delete),
                        len(self.close))


def _d(day):
    return day.strftime("%d.%m.%Y")


def _groups(rows, key):
    groups = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [g for g in groups.values() if len(g) > 1]


def _copies(rows, signature):
    """The ids of all but the first row, if every row has the same signature; else None."""
    if len({signature(r) for r in rows}) != 1:
        return None
    return [r.id for r in rows[1:]]


def open_stays(conn):
    """Students with more than one open stay (one order applied several times at once)."""
    cleanup = Cleanup(membership, "открытые пребывания ученика в классе")
    crowded = sa.select(membership.c.student_id).where(membership.c.end_date.is_(None)) \
        .group_by(membership.c.student_id).having(sa.func.count() > 1)
    cancel = order.alias("cancel")
    rows = conn.execute(
        sa.select(membership, order.c.number, order.c.status, cancel.c.id.label("cancel_id"),
                  cancel.c.effective_date.label("cancel_from"), student.c.last_name, student.c.first_name,
                  klass.c.name.label("class_name"))
        .join(student, student.c.id == membership.c.student_id).join(klass, klass.c.id == membership.c.class_id)
        .outerjoin(order, order.c.id == membership.c.start_order_id)
        .outerjoin(cancel, (cancel.c.cancels_id == order.c.id) & (cancel.c.status == "applied"))
        .where(membership.c.end_date.is_(None), membership.c.student_id.in_(crowded))
        .order_by(membership.c.student_id, membership.c.id)).all()
    by_student = defaultdict(dict)
    for row in rows:
        by_student[row.student_id].setdefault(row.id, row)
    for stays in by_student.values():
        kept = []
        for stay in stays.values():
            if stay.status == "cancelled" and stay.cancel_id is not None and stay.cancel_from >= stay.start_date:
                if stay.cancel_from == stay.start_date:
                    cleanup.delete.append(stay.id)
                else:
                    cleanup.close.append((stay.id, stay.cancel_from - timedelta(days=1), stay.cancel_id))
            else:
                kept.append(stay)
        copies = _copies(kept, lambda s: (s.class_id, s.start_date, bool(s.on_leave), s.start_order_id)) \
            if kept else []
        if copies is None:
            first = kept[0]
            where = ", ".join(f"«{s.class_name}» с {_d(s.start_date)}" + (f" (приказ № {s.number})" if s.number else "")
                              + f" [class_membership.id {s.id}]" for s in kept)
            cleanup.problems.append(f"ученик {first.last_name} {first.first_name} (id {first.student_id}) числится "
                                    f"одновременно: {where} — закройте лишнее пребывание (end_date)")
        else:
            cleanup.delete += copies
    return cleanup


def curricula(conn):
    """Curricula of one year, grade level, profile and specialty (a copy step run twice at once)."""
    cleanup = Cleanup(curriculum, "учебные планы")
    rows = conn.execute(sa.select(curriculum, year.c.name.label("year_name"), organization.c.kind)
                        .join(year, year.c.id == curriculum.c.year_id)
                        .join(organization, organization.c.id == curriculum.c.org_id).order_by(curriculum.c.id)).all()
    twins = _groups(rows, lambda r: (r.year_id, r.grade, r.profile or "", r.specialty_id or 0))
    lines = defaultdict(list)
    ids = [r.id for group in twins for r in group]
    for row in conn.execute(sa.select(line).where(line.c.curriculum_id.in_(ids))):
        lines[row.curriculum_id].append((row.subject_id, row.component, row.hours_per_week, row.period1_hours,
                                         row.period2_hours))

    def signature(plan):
        return plan.max_hours, plan.weeks, plan.note or "", tuple(sorted(lines[plan.id], key=repr))
    for group in twins:
        copies = _copies(group, signature)
        if copies is None:
            first = group[0]
            unit = "курса" if first.kind == "college" else "класса"
            profile = f", профиль «{first.profile}»" if first.profile else ""
            cleanup.problems.append(
                f"учебные планы {first.grade} {unit}{profile} на {first.year_name} различаются: "
                f"id {', '.join(str(r.id) for r in group)} — оставьте один (раздел «Учебные планы»)")
        else:
            cleanup.delete += copies
    return cleanup


def assignments(conn):
    """The same teacher twice in the load of one class and subject without a subgroup."""
    cleanup = Cleanup(assignment, "педагогическая нагрузка")
    rows = conn.execute(sa.select(assignment, klass.c.name.label("class_name"), subject.c.name.label("subject_name"))
                        .join(klass, klass.c.id == assignment.c.class_id)
                        .join(subject, subject.c.id == assignment.c.subject_id)
                        .where(assignment.c.subgroup_id.is_(None)).order_by(assignment.c.id)).all()
    twins = _groups(rows, lambda r: (r.class_id, r.subject_id, r.teacher_id))
    ids = [r.id for group in twins for r in group]
    used = set()
    for table, column in ASSIGNMENT_USES:
        t = sa.table(table, sa.column(column))
        used.update(conn.scalars(sa.select(t.c[column]).where(t.c[column].in_(ids)).distinct()))
    for group in twins:
        copies = _copies(group, lambda a: (a.hours_per_week, a.hours_total, a.thematic_plan_id))
        if copies is None or used.intersection(copies):
            first = group[0]
            cleanup.problems.append(
                f"нагрузка «{first.class_name} — {first.subject_name}» одного учителя записана несколько раз "
                f"(id {', '.join(str(r.id) for r in group)}), и копии различаются или в них уже есть уроки — "
                "оставьте одну (раздел «Нагрузка»)")
        else:
            cleanup.delete += copies
    return cleanup


def upgrade():
    conn = op.get_bind()
    cleanups = [open_stays(conn), curricula(conn), assignments(conn)]
    problems = [p for c in cleanups for p in c.problems]
    if problems:
        raise RuntimeError("\n- ".join([REFUSED] + problems))
    for cleanup in cleanups:
        cleanup.apply(conn)
    op.create_index("uq_class_membership_open_stay", "class_membership", ["student_id"], unique=True,
                    sqlite_where=sa.text("end_date IS NULL"), postgresql_where=sa.text("end_date IS NULL"))
    op.create_index("uq_curriculum_natural_key", "curriculum",
                    ["year_id", "grade", sa.text("coalesce(profile, '')"), sa.text("coalesce(specialty_id, 0)")],
                    unique=True)
    op.create_index("uq_teaching_assignment_slot", "teaching_assignment",
                    ["class_id", "subject_id", sa.text("coalesce(subgroup_id, 0)"), "teacher_id"], unique=True)


def downgrade():
    # The copies deleted by the upgrade are not made again: they carried nothing of their own.
    op.drop_index("uq_teaching_assignment_slot", table_name="teaching_assignment")
    op.drop_index("uq_curriculum_natural_key", table_name="curriculum")
    op.drop_index("uq_class_membership_open_stay", table_name="class_membership")
