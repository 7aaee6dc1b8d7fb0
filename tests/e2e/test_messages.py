"""Issue 16.1–2 in a real browser: the parent asks the class teacher a question, the class teacher sees it
(the unread counter, the inbox) and answers, the parent sees the answer."""
from tests.e2e.conftest import login, settle, sign_out


def test_a_parents_question_is_answered(world, context, page, page_problems):
    login(page, "a.parent")
    page.click("a.nav-mail")
    page.click("text=Написать")
    page.fill("#to-filter", "Классова")
    page.select_option("#to", label="Классова Клара Петровна")
    page.fill("#subject", "Контрольная по математике")
    page.fill("#body", "Когда будет контрольная работа?")
    with page.expect_navigation():
        page.click("button[value=send]")
    assert page.locator(".alert", has_text="Сообщение отправлено").count() == 1
    sign_out(page)

    login(page, "a.class_teacher")
    assert page.locator("#unread-count").inner_text() == "1"
    page.click("a.nav-mail")
    page.click("text=Контрольная по математике")
    assert page.locator(".message-body", has_text="Когда будет контрольная работа?").count() == 1
    page.fill("#reply-body", "В четверг, см. https://example.org/plan")
    with page.expect_navigation():
        page.click("text=Ответить")
    assert page.locator(".alert", has_text="Ответ отправлен").count() == 1
    sign_out(page)

    login(page, "a.parent")
    assert page.locator("#unread-count").inner_text() == "1"
    page.click("a.nav-mail")
    page.click("text=Re: Контрольная по математике")
    assert page.locator("a[rel='noopener nofollow']", has_text="https://example.org/plan").count() == 1
    assert page.locator(".message-body", has_text="В четверг").count() == 1
    settle(page)
    assert page_problems == []
