"""The demo's ОО-1 (СПО-1) movers before the form's date (20 September): one student enrolled on 10 September
into the first class, one who left on 15 September (the family moved), so the form's section «Движение
обучающихся» is not empty on its default date. Through the movement book's services, as HR would do it."""
from datetime import date

from sqlalchemy import select

from models import LeaveReason, MovementKind, Parent, ParentRelation, Student, StudentStatus, db
from services.context import Actor
from services.movement import enrollment
from services.movement.entries import KEEP
from services.movement.orders import ItemInput, add_items, apply_order, create_order, suggest_number
from services.validation import snils_with_checksum

K = MovementKind


def create_oo1_demo(org, year, classes, today):
    """The two movers, if their dates have come (the demo made before 15 September has none)."""
    arrived_on, left_on = date(year.start_date.year, 9, 10), date(year.start_date.year, 9, 15)
    if left_on > today or left_on > year.end_date or len(classes) < 2:
        return
    actor = Actor.system_actor(org)
    college = org.is_college
    first = classes[0]
    age = first.grade + (14 if college else 6)
    born = date(year.start_date.year - age, 4, 12)
    card = {"last_name": "Новосёлова", "first_name": "Алиса", "middle_name": "Олеговна", "sex": "f",
            "birth_date": f"{born:%d.%m.%Y}", "snils": snils_with_checksum("112233445"),
            "personal_file_number": "ОО1-001",
            "foreign_language": "Английский", "citizenship": "rf", "birth_place": "г. Екатеринбург",
            "study_form": "full_time", "funding": "regional" if college else "municipal",
            "disability": "no", "ovz": "no"}
    if age >= 14:
        card.update(passport_series="6521", passport_number="204815",
                    passport_date=f"{born.replace(year=born.year + 14):%d.%m.%Y}",
                    passport_issued_by="ГУ МВД России по Свердловской области")
    order = create_order(actor, K.ENROLLMENT.value, suggest_number(org.id, arrived_on), arrived_on,
                         note="Прибыла из другой организации")
    enrollment.save_card(actor, order.id, card, first.id)
    apply_order(actor, order.id, entries=KEEP)
    newcomer = db.session.scalar(select(Student).where(Student.org_id == org.id,
                                                       Student.personal_file_number == "ОО1-001"))
    newcomer.parents.append(Parent(org_id=org.id, last_name="Новосёлова", first_name="Ольга", middle_name="Петровна",
                                   relation=ParentRelation.MOTHER.value, phone="+7 (922) 415-20-31"))
    db.session.flush()
    # The one who leaves: a student of the last but one class with no login of his own or of his parents (the
    # demo's accounts keep their children).
    source = classes[-2]
    leaving = db.session.scalars(
        select(Student).where(Student.class_id == source.id, Student.status == StudentStatus.STUDYING.value,
                              Student.user_id.is_(None), ~Student.parents.any(Parent.user_id.is_not(None)))
        .order_by(Student.id)).first()
    if leaving is None:
        return
    kind = K.EXPULSION.value if college else K.WITHDRAWAL.value
    order = create_order(actor, kind, suggest_number(org.id, left_on), left_on)
    add_items(actor, order.id, [ItemInput(student_id=leaving.id, reason=LeaveReason.RELOCATION.value,
                                          destination="МБОУ «СОШ № 5», г. Асбест")])
    apply_order(actor, order.id, entries=KEEP)
