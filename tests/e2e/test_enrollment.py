"""Issue 15.4 in a real browser: HR's story «a new student with two parents» on one screen — the card, the
enrollment order's number and date, the mother found among the cards by her phone, the father typed in —
one «Сохранить», and the book has the applied order (tests/e2e/conftest.py: the app over HTTP, Chromium)."""
from sqlalchemy import select

from models import ClassMembership, MovementOrder, Parent, Student, db
from tests.e2e.conftest import login, settle
from tests.helpers import SNILS


def choose(page, select_id, typed):
    """Pick in a select2 list (Flask-Admin's) by typing, as a user does."""
    page.click(f"#s2id_{select_id}")
    page.keyboard.type(typed)
    page.locator(".select2-drop-active .select2-result-label", has_text=typed).first.click()


def test_hr_enrolls_a_new_student_with_two_parents_on_one_screen(world, page, page_problems, screenshot_dir):
    a = world.a
    a.parent.phone = "+7 (912) 111-22-33"
    db.session.commit()
    login(page, "a.hr")
    page.goto("/students/new/")
    assert page.locator("#sex").input_value() == "__None"  # «Пол»: nothing chosen for the user
    assert page.locator("label[for=klass] .text-danger").count() == 1  # «Класс» is marked required

    for field, value in {"last_name": "Морозова", "first_name": "Алина", "middle_name": "Сергеевна",
                         "birth_date": "14.03.2011", "snils": SNILS, "enrollment_order_number": "45-у",
                         "enrollment_order_date": "28.08.2026", "personal_file_number": "М-17",
                         "passport_series": "6525", "passport_number": "123456", "passport_date": "20.03.2025",
                         "parent1_last_name": "Морозов", "parent1_first_name": "Сергей",
                         "parent1_phone": "+7 (912) 555-44-33", "parent1_email": "morozov@example.ru"}.items():
        page.fill(f"#{field}", value)
    choose(page, "sex", "Женский")
    choose(page, "klass", "5А")
    choose(page, "parents", "111-22")  # the mother, found by her phone
    page.select_option("#parent1_relation", "father")
    page.screenshot(path=str(screenshot_dir / "enrollment.png"), full_page=True)
    with page.expect_navigation():
        page.locator("input[type=submit][value='Сохранить']").click()

    assert "Морозова Алина Сергеевна зачислен(а) в «5А» приказом № 45-у от 28.08.2026" in \
        page.locator(".alert-success").first.inner_text()
    db.session.rollback()  # a fresh read: the server wrote in its own transaction
    student = db.session.scalar(select(Student).where(Student.snils == SNILS))
    order = db.session.scalar(select(MovementOrder).where(MovementOrder.number == "45-у"))
    assert (order.kind, order.status, [i.student_id for i in order.items]) == ("enrollment", "applied", [student.id])
    assert db.session.scalar(select(ClassMembership.start_order_id).where(
        ClassMembership.student_id == student.id)) == order.id
    father = db.session.scalar(select(Parent).where(Parent.last_name == "Морозов"))
    assert sorted(p.id for p in student.parents) == sorted([a.parent.id, father.id])
    settle(page)
    assert page_problems == []
