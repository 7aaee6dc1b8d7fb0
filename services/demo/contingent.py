"""Demo data of the federal contingent register (issue 17.6): most students' cards carry citizenship, place of
birth, registration address, health group, disability and ОВЗ, form of study and funding and the previous
education document; in each class a few are left incomplete (the class teacher's check lists them), one has ОВЗ
with an adapted programme, one is a foreign citizen. Written through the card's rules (a flush checks them)."""
import random

from sqlalchemy import select

from models import (Citizenship, DisabilityCategory, Funding, HealthGroup, PreviousDocument, Student, StudentStatus,
                    StudyForm, YesNo, db)

PLACES = ("г. Заречный Свердловской обл.", "г. Екатеринбург", "г. Белоярский Свердловской обл.",
          "г. Асбест Свердловской обл.", "г. Каменск-Уральский Свердловской обл.")
PREVIOUS_SCHOOLS = ("МБОУ СОШ № 2 г. Заречный", "МАОУ «Гимназия № 9» г. Екатеринбург", "МБОУ «Лицей № 3» г. Асбест")


def create_contingent_demo(org, classes, today, seed=2026):
    """Fill the register's data of the classes' students: all of them but the last two of each class (their
    registration address, health group and previous document stay empty)."""
    rnd = random.Random(seed + 17)
    college = org.is_college
    for klass in classes:
        students = db.session.scalars(select(Student).where(
            Student.class_id == klass.id, Student.status == StudentStatus.STUDYING.value)
            .order_by(Student.last_name, Student.first_name, Student.id)).all()
        for n, student in enumerate(students):
            student.citizenship = Citizenship.RUSSIA.value
            student.birth_place = rnd.choice(PLACES)
            student.study_form = StudyForm.FULL_TIME.value
            student.funding = Funding.REGIONAL.value if college else Funding.MUNICIPAL.value
            student.disability = YesNo.NO.value
            student.ovz = YesNo.NO.value
            if n == 0:
                student.citizenship = Citizenship.FOREIGN.value
                student.citizenship_country = "Республика Казахстан"
            if n == 1:
                student.ovz = YesNo.YES.value
                student.health_group = HealthGroup.III.value
                student.adapted_program = ("АОП ООО для обучающихся с ЗПР" if klass.grade >= 5 or college
                                           else "АООП НОО для обучающихся с ЗПР, вариант 7.1")
            if n == 2:
                student.disability = YesNo.YES.value
                student.disability_category = DisabilityCategory.CHILD.value if not college else \
                    DisabilityCategory.GROUP_3.value
                student.disability_until = today.replace(year=today.year + 2, day=1)
                student.health_group = HealthGroup.IV.value
            if n >= len(students) - 2:
                continue  # incomplete: what the class teacher has still to enter
            student.registration_address = student.address
            student.health_group = student.health_group or rnd.choice(
                [HealthGroup.I.value, HealthGroup.II.value, HealthGroup.II.value, HealthGroup.III.value])
            if college:
                student.previous_doc_kind = PreviousDocument.BASIC_GENERAL.value
                student.previous_doc_number = f"{rnd.randint(10, 99)}{rnd.randint(10**11, 10**12 - 1)}"
                student.previous_doc_date = student.enrollment_order_date.replace(month=6, day=25)
                student.previous_doc_issued_by = rnd.choice(PREVIOUS_SCHOOLS)
            else:
                student.previous_doc_kind = PreviousDocument.PERSONAL_FILE.value
                student.previous_doc_issued_by = rnd.choice(PREVIOUS_SCHOOLS) if n % 4 == 0 else None
    db.session.flush()
