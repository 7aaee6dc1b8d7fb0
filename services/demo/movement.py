"""The demo school's movement: its class history, plus one applied mid-year transfer between classes
and one applied withdrawal (an expulsion in a college), so the reports show movement."""
from datetime import timedelta

from sqlalchemy import func, select

from models import LeaveReason, MovementKind, Period, Student, StudentStatus, Subgroup, SubgroupMember, db
from services.context import Actor
from services.movement.backfill import backfill_memberships
from services.movement.entries import KEEP, MOVE
from services.movement.orders import ItemInput, add_items, apply_order, create_order, suggest_number

K = MovementKind
STUDYING = StudentStatus.STUDYING.value


def create_movement_demo(org, year, classes, today, college=False):
    """The demo's history, plus one applied mid-year transfer between classes and one applied
    withdrawal (an expulsion in a college) with its destination, so the reports show movement."""
    backfill_memberships(org.id, today)
    db.session.flush()
    actor = Actor.system_actor(org)
    elapsed = (min(today, year.end_date) - year.start_date).days
    moved_on = year.start_date + timedelta(days=max(1, min(45, elapsed // 2)))
    left_on = moved_on + timedelta(days=7)
    source, target = (classes[2], classes[0]) if college else (classes[2], classes[1])
    leaving_class = classes[3] if len(classes) > 3 else classes[-1]

    def last_of(klass):
        return db.session.scalars(select(Student).where(Student.class_id == klass.id, Student.status == STUDYING)
                                  .order_by(Student.id.desc())).first()

    newcomer = last_of(source)
    transfer = create_order(actor, K.TRANSFER.value, suggest_number(org.id, moved_on), moved_on,
                            note="По заявлению родителей")
    add_items(actor, transfer.id, [ItemInput(student_id=newcomer.id, to_class_id=target.id)])
    apply_order(actor, transfer.id, entries=MOVE)
    _join_subgroups(newcomer, target, moved_on)
    kind = K.EXPULSION.value if college else K.WITHDRAWAL.value
    leaving = create_order(actor, kind, suggest_number(org.id, left_on), left_on)
    add_items(actor, leaving.id, [ItemInput(
        student_id=last_of(leaving_class).id, reason=LeaveReason.RELOCATION.value,
        destination="МАОУ «СОШ № 3», г. Екатеринбург")])
    apply_order(actor, leaving.id, entries=KEEP)


def _join_subgroups(student, klass, since):
    """What the class teacher did after the transfer into a split class: the newcomer joined the smaller
    subgroup of each split subject for the periods he is there. The demo writes the past at once, so a
    period closed since is included (services/planning.save_split does it from the page, but refuses a closed period;
    the demo is made in one transaction)."""
    periods = db.session.scalars(select(Period).where(Period.year_id == klass.year_id,
                                                      Period.end_date >= since)).all()
    subgroups = db.session.scalars(select(Subgroup).where(Subgroup.class_id == klass.id)
                                   .order_by(Subgroup.subject_id, Subgroup.name)).all()
    for period in periods:
        by_subject = {}
        for subgroup in subgroups:
            by_subject.setdefault(subgroup.subject_id, []).append(subgroup)
        for subject_id, groups in by_subject.items():
            sizes = dict(db.session.execute(
                select(SubgroupMember.subgroup_id, func.count(SubgroupMember.id))
                .where(SubgroupMember.period_id == period.id, SubgroupMember.subgroup_id.in_([g.id for g in groups]))
                .group_by(SubgroupMember.subgroup_id)).all())
            if not sizes:
                continue  # not split in this period
            smallest = min(groups, key=lambda g: (sizes.get(g.id, 0), g.name))
            db.session.add(SubgroupMember(subgroup_id=smallest.id, student_id=student.id, period_id=period.id,
                                          subject_id=subject_id))
    db.session.flush()
