"""Internal mail and parents' questions (issue 16.1–2): who may write to whom (every role, by the service and by
a POST, a forged reply recipient too), group messages as private copies, read receipts, drafts, search, the
unread counter, attachments for participants only, the 3-day control of parents' questions (calendar days, seed
000 §3.4) on the control and start pages, and the inbox's query count with 1,000 messages."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import Message, MessageCopy, Notification, Staff, User, db
from services import clock
from services.control import deadlines
from services.errors import DomainError
from services.home import sections
from services.messages import mail, questions, rules
from tests.factories import actor_of, make_parent, make_student, pl_subject, tt_assignment
from tests.querycount import count_queries


@pytest.fixture
def mw(world):
    """Organization A: a.teacher teaches 5А; 6Б has a student and a parent with logins (nobody of 5А's)."""
    a = world.a
    a.math = pl_subject(a.org, "Математика")
    tt_assignment(a.org, a.year, a.klass, a.teacher, a.math)
    a.other_student = make_student(a.org, a.other_class, "Другов", "Дмитрий", "a.other_student")
    a.other_parent = make_parent(a.org, [a.other_student], "Другова", "Дарья", "a.other_parent")
    db.session.flush()
    a.u = {name: getattr(a, name).user_id for name in
           ("admin", "hr", "deputy", "director", "teacher", "class_teacher", "student", "parent", "other_student",
            "other_parent")}
    a.b_admin = world.b.admin.user_id
    return a


def draft(to=(), groups=(), subject="Тема", body="Текст", files=(), is_question=False):
    return mail.Draft(to=list(to), groups=list(groups), subject=subject, body=body, files=list(files),
                      is_question=is_question)


# Who may write to whom: (writer, {allowed}, {refused}); the other organization's admin is always refused.
MATRIX = [
    ("parent", {"admin", "deputy", "director", "class_teacher", "teacher"},
     {"hr", "student", "other_student", "other_parent"}),
    ("student", {"class_teacher", "teacher"}, {"admin", "deputy", "director", "hr", "parent", "other_student",
                                               "other_parent"}),
    ("teacher", {"student", "parent", "admin", "hr", "deputy", "director", "class_teacher"},
     {"other_student", "other_parent"}),
    ("class_teacher", {"student", "parent", "admin", "hr", "deputy", "director", "teacher"},
     {"other_student", "other_parent"}),
    ("hr", {"admin", "deputy", "director", "teacher", "class_teacher"}, {"student", "parent", "other_parent"}),
    ("admin", {"hr", "deputy", "director", "teacher", "class_teacher", "student", "parent", "other_student",
               "other_parent"}, set()),
    ("director", {"admin", "student", "parent", "other_student", "other_parent", "teacher"}, set()),
    ("deputy", {"admin", "student", "parent", "other_student", "other_parent", "teacher"}, set()),
]


@pytest.mark.parametrize("writer,allowed,refused", MATRIX, ids=[m[0] for m in MATRIX])
def test_who_may_write_to_whom_by_the_service(mw, writer, allowed, refused):
    actor = actor_of(f"a.{writer}")
    ids = {name: mw.u[name] for name in allowed | refused}
    got = rules.allowed_ids(actor, set(ids.values()) | {mw.b_admin, mw.u[writer]})
    assert {name for name, uid in ids.items() if uid in got} == allowed
    choices = {c.id for c in rules.choices(actor)}
    assert {ids[n] for n in allowed} <= choices and not choices & {ids[n] for n in refused}
    assert mw.b_admin not in choices and mw.u[writer] not in choices
    for name in refused:
        with pytest.raises(DomainError):
            mail.save(actor, draft([ids[name]]))
    for name in allowed:
        mail.save(actor, draft([ids[name]]))


@pytest.mark.parametrize("writer,allowed,refused", [m for m in MATRIX if m[2]], ids=[m[0] for m in MATRIX if m[2]])
def test_a_forbidden_recipient_is_refused_by_post(mw, browser, writer, allowed, refused):
    b = browser()
    b.login(f"a.{writer}")
    target = mw.u[sorted(refused)[0]]
    before = db.session.scalar(select(func.count(Message.id)))
    page = b.post("/messages/new", data={"to": str(target), "subject": "Тема", "body": "Текст", "action": "send"})
    assert page.status_code == 200 and "вы писать не можете" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Message.id))) == before
    page = b.post("/messages/new", data={"to": str(mw.u[sorted(allowed)[0]]), "subject": "Тема", "body": "Текст",
                                         "action": "send"})
    assert page.status_code == 302
    assert db.session.scalar(select(func.count(Message.id))) == before + 1


def test_a_group_the_role_has_not_is_refused(mw):
    with pytest.raises(DomainError):
        mail.save(actor_of("a.teacher"), draft(groups=[f"parents_class:{mw.klass.id}"]))
    with pytest.raises(DomainError):
        mail.save(actor_of("a.class_teacher"), draft(groups=[f"parents_class:{mw.other_class.id}"]))


def test_blocked_and_dismissed_are_never_recipients_nor_senders(mw):
    db.session.get(User, mw.u["teacher"]).is_blocked = True
    db.session.get(Staff, mw.director.id).dismissal_date = date(2026, 11, 1)
    db.session.flush()
    parent = actor_of("a.parent")
    assert rules.allowed_ids(parent, {mw.u["teacher"], mw.u["director"], mw.u["admin"]}) == {mw.u["admin"]}
    with pytest.raises(DomainError):
        mail.save(parent, draft([mw.u["teacher"]]))
    blocked = actor_of("a.teacher")
    with pytest.raises(DomainError):
        mail.save(blocked, draft([mw.u["admin"]]))
    assert actor_of("a.director").roles == frozenset()  # a dismissed card gives no role: he cannot write


def test_a_group_message_is_private_copies_and_replies_go_to_the_sender(mw, browser):
    second = make_parent(mw.org, [mw.classmate], "Соседова", "Светлана", "a.parent2")
    db.session.flush()
    message = mail.save(actor_of("a.class_teacher"), draft(groups=[f"parents_class:{mw.klass.id}"],
                                                           subject="Собрание", body="Собрание в пятницу"))
    assert message.group_label == "Все родители 5А"
    assert {c.user_id for c in message.copies} == {mw.u["parent"], second.user_id}
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "message")) >= 0
    b = browser()
    b.login("a.parent")
    page = b.get(f"/messages/{message.id}/").get_data(as_text=True)
    assert "Собрание в пятницу" in page and "Соседова" not in page and "Все родители" not in page
    b.post(f"/messages/{message.id}/reply", data={"body": "Приду", "to": str(second.user_id)})
    answer = db.session.scalar(select(Message).where(Message.reply_to_id == message.id))
    assert [c.user_id for c in answer.copies] == [mw.u["class_teacher"]]
    assert answer.thread_id == message.id
    assert answer.copies[0].is_question  # a parent's every message to the class teacher is a question


def test_a_forged_reply_recipient_is_ignored(mw, browser):
    question = mail.save(actor_of("a.parent"), draft([mw.u["class_teacher"]], body="Вопрос"))
    b = browser()
    b.login("a.class_teacher")
    b.post(f"/messages/{question.id}/reply", data={"body": "Ответ", "to": str(mw.u["other_parent"]),
                                                   "groups": f"parents_class:{mw.other_class.id}"})
    answers = db.session.scalars(select(Message).where(Message.reply_to_id == question.id)).all()
    assert len(answers) == 1 and [c.user_id for c in answers[0].copies] == [mw.u["parent"]]
    assert not db.session.scalar(select(func.count(MessageCopy.id)).where(MessageCopy.user_id == mw.u["other_parent"]))


def test_nobody_but_the_participants_reads_a_message_the_administrator_neither(mw, browser):
    message = mail.save(actor_of("a.parent"), draft([mw.u["teacher"]], body="Секрет",
                                                   files=[("справка.txt", "текст справки".encode())]))
    att = message.attachments[0]
    for login in ("a.admin", "a.director", "a.class_teacher", "b.admin"):
        b = browser()
        b.login(login)
        assert b.get(f"/messages/{message.id}/").status_code == 404, login
        assert b.get(f"/messages/file/{att.id}").status_code == 404, login
        assert b.post(f"/messages/{message.id}/reply", data={"body": "x"}).status_code == 404, login
        assert "Секрет" not in b.get("/messages/?folder=inbox").get_data(as_text=True)
    b = browser()
    b.login("a.teacher")
    got = b.get(f"/messages/file/{att.id}")
    assert got.status_code == 200 and got.data == "текст справки".encode()
    assert "attachment" in got.headers["Content-Disposition"]
    b = browser()
    b.login("a.parent")
    assert b.get(f"/messages/file/{att.id}").status_code == 200


def test_read_receipt_in_the_organizations_time_zone(mw, browser):
    message = mail.save(actor_of("a.parent"), draft([mw.u["teacher"], mw.u["class_teacher"]]))
    with clock.frozen(datetime(2026, 12, 12, 14, 3)):  # the organization's local time (Moscow), 11:03 UTC
        mail.open_message(actor_of("a.teacher"), message.id)
    copy = db.session.scalar(select(MessageCopy).where(MessageCopy.message_id == message.id,
                                                       MessageCopy.user_id == mw.u["teacher"]))
    assert copy.read_at == datetime(2026, 12, 12, 11, 3)
    b = browser()
    b.login("a.parent")
    page = b.get(f"/messages/{message.id}/").get_data(as_text=True)
    assert "прочитано 12.12 14:03" in page and "не прочитано" in page


def test_drafts_are_kept_unsent_then_sent(mw):
    parent = actor_of("a.parent")
    kept = mail.save(parent, draft([mw.u["teacher"]], subject="Черновик", body="Пишу"), send=False)
    assert kept.sent_at is None
    assert mail.unread_count(actor_of("a.teacher")) == 0
    assert [r.message_id for r in mail.folder(parent, "drafts")[0]] == [kept.id]
    assert mail.folder(actor_of("a.teacher"), "inbox")[1] == 0
    with pytest.raises(mail.NotFound):
        mail.open_message(actor_of("a.teacher"), kept.id)
    sent = mail.save(parent, draft([mw.u["teacher"]], subject="Черновик", body="Дописал"), draft_id=kept.id)
    assert sent.id == kept.id and sent.sent_at is not None
    assert mail.folder(parent, "drafts")[1] == 0 and mail.folder(parent, "sent")[1] == 1
    assert mail.unread_count(actor_of("a.teacher")) == 1


def test_search_in_ones_own_mail_only(mw):
    mail.save(actor_of("a.parent"), draft([mw.u["teacher"]], subject="Экскурсия", body="Когда выезд?"))
    mail.save(actor_of("a.admin"), draft([mw.u["teacher"]], subject="Педсовет", body="В среду"))
    mail.save(actor_of("a.admin"), draft([mw.u["class_teacher"]], subject="Экскурсия 6Б", body="Автобус"))
    teacher = actor_of("a.teacher")
    assert [r.subject for r in mail.folder(teacher, "inbox", "экскурс")[0]] == ["Экскурсия"]
    assert [r.subject for r in mail.folder(teacher, "inbox", "СРЕДУ")[0]] == ["Педсовет"]
    assert mail.folder(teacher, "inbox", "%")[1] == 0
    assert [r.subject for r in mail.folder(actor_of("a.admin"), "sent", "автобус")[0]] == ["Экскурсия 6Б"]


def test_unread_counter_is_one_query_and_in_the_menu(mw, browser):
    for n in range(3):
        mail.save(actor_of("a.parent"), draft([mw.u["teacher"]], subject=f"Письмо {n}"))
    teacher = actor_of("a.teacher")
    with count_queries() as statements:
        assert mail.unread_count(teacher) == 3
    assert len(statements) == 1
    b = browser()
    b.login("a.teacher")
    assert 'id="unread-count">3<' in b.get("/messages/").get_data(as_text=True)
    first = db.session.scalar(select(Message.id).where(Message.subject == "Письмо 0"))
    b.get(f"/messages/{first}/")
    assert 'id="unread-count">2<' in b.get("/messages/").get_data(as_text=True)


def test_the_inbox_of_1000_messages_costs_a_bounded_number_of_queries(mw, browser):
    sent = clock.utcnow()
    messages = [Message(org_id=mw.org.id, sender_id=mw.u["parent"], subject=f"Письмо {n}", body="Текст",
                        sent_at=sent - timedelta(minutes=n)) for n in range(1000)]
    db.session.add_all(messages)
    db.session.flush()
    db.session.add_all([MessageCopy(org_id=mw.org.id, message_id=m.id, user_id=mw.u["teacher"]) for m in messages])
    db.session.flush()
    b = browser()
    b.login("a.teacher")
    b.get("/messages/")
    with count_queries() as statements:
        page = b.get("/messages/?folder=inbox&page=3")
    assert page.status_code == 200 and "Письмо 100<" in page.get_data(as_text=True)
    assert len(statements) <= 20, statements
    with count_queries() as statements:
        assert b.get("/messages/?folder=sent").status_code == 200
    assert len(statements) <= 20


def test_message_text_is_plain_text_with_links(mw, browser):
    message = mail.save(actor_of("a.parent"), draft([mw.u["teacher"]],
                                                   body="<script>alert(1)</script> см. https://example.org/x?a=1&b=2."))
    b = browser()
    b.login("a.teacher")
    page = b.get(f"/messages/{message.id}/").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert '<a href="https://example.org/x?a=1&amp;b=2" rel="noopener nofollow"' in page


def test_forward_carries_text_and_files_to_an_allowed_recipient(mw):
    original = mail.save(actor_of("a.parent"), draft([mw.u["class_teacher"]], body="Справка",
                                                    files=[("справка.txt", b"spravka")]))
    ct = actor_of("a.class_teacher")
    forwarded = mail.save(ct, draft([mw.u["admin"]], subject="Fwd", body="Пересылаю"), forward_of=original.id)
    assert [a.file_id for a in forwarded.attachments] == [original.attachments[0].file_id]
    assert mail.attachment(actor_of("a.admin"), forwarded.attachments[0].id).id == original.attachments[0].file_id
    with pytest.raises(mail.NotFound):
        mail.save(actor_of("a.teacher"), draft([mw.u["admin"]]), forward_of=original.id)


# -- parents' questions: 3 calendar days (seed 000 §3.4 says «в течение 3-х дней», not working days) --------

def _ask(mw, day, to="class_teacher", is_question=False):
    with clock.frozen(datetime(day.year, day.month, day.day, 9, 0)):
        return mail.save(actor_of("a.parent"), draft([mw.u[to]], subject="Про оценки", body="Почему 2?",
                                                     is_question=is_question))


def test_a_parents_message_to_the_class_teacher_is_a_question_and_to_a_teacher_when_marked(mw):
    to_ct = _ask(mw, date(2026, 11, 16))
    to_teacher = _ask(mw, date(2026, 11, 16), "teacher")
    marked = _ask(mw, date(2026, 11, 16), "teacher", is_question=True)
    assert to_ct.copies[0].is_question and not to_teacher.copies[0].is_question and marked.copies[0].is_question
    staff_note = mail.save(actor_of("a.teacher"), draft([mw.u["class_teacher"]], is_question=True))
    assert not staff_note.copies[0].is_question


def test_an_unanswered_question_shows_overdue_on_control_and_home_until_answered(mw, browser):
    # TEST_TODAY is 20.11.2026 (Friday): sent on Monday 16.11, due Thursday 19.11 — calendar days, 1 day late.
    question = _ask(mw, date(2026, 11, 16))
    _ask(mw, date(2026, 11, 17))  # due 20.11: not overdue yet
    assert questions.due_day(question.sent_at, mw.org) == date(2026, 11, 19)
    for login in ("a.class_teacher", "a.admin", "a.deputy", "a.director"):
        result = deadlines.control(actor_of(login))
        section = next(s for s in result.sections if s.key == "questions")
        assert len(section.items) == 1, login
        assert section.items[0].late_days == 1 and section.items[0].status_label == "просрочено на 1 дн."
    ct_item = next(s for s in deadlines.control(actor_of("a.class_teacher")).sections if s.key == "questions").items[0]
    admin_item = next(s for s in deadlines.control(actor_of("a.admin")).sections if s.key == "questions").items[0]
    assert "Про оценки" in ct_item.title and ct_item.link == ("messages.show", {"message_id": question.id})
    assert "Про оценки" not in admin_item.title and admin_item.link is None  # the administration sees no content
    assert all(s.key != "questions" for s in deadlines.control(actor_of("a.teacher")).sections)
    home = sections.build(actor_of("a.class_teacher"))
    assert any(d.key == "questions" and d.items for d in home.class_teacher.due)
    b = browser()
    b.login("a.class_teacher")
    assert "просрочено на 1 дн." in b.get("/").get_data(as_text=True)
    assert "Вопросы родителей без ответа" in b.get("/control/").get_data(as_text=True)
    b.post(f"/messages/{question.id}/reply", data={"body": "Отвечаю: исправим."})
    assert not next(s for s in deadlines.control(actor_of("a.admin")).sections if s.key == "questions").items
    note = db.session.scalar(select(Notification).where(Notification.kind == "answer"))
    assert note is None or note.user_id == mw.u["parent"]


def test_the_answer_notifies_the_parent(mw):
    db.session.get(type(mw.parent), mw.parent.id).email = "mama@example.org"
    db.session.flush()
    question = _ask(mw, date(2026, 11, 19))
    mail.reply(actor_of("a.class_teacher"), question.id, "Ответ")
    notes = db.session.scalars(select(Notification).where(Notification.user_id == mw.u["parent"])).all()
    assert [n.kind for n in notes] == ["answer"]
    copy = db.session.scalar(select(MessageCopy).where(MessageCopy.message_id == question.id))
    assert copy.answered_at is not None


def test_prune_deletes_messages_older_than_the_retention(mw):
    with clock.frozen(datetime(2025, 1, 10, 9, 0)):
        old = mail.save(actor_of("a.parent"), draft([mw.u["teacher"]], subject="Старое"))
    new = mail.save(actor_of("a.parent"), draft([mw.u["teacher"]], subject="Новое"))
    old_id, new_id = old.id, new.id
    assert mail.prune(365) == 1
    assert db.session.get(Message, old_id) is None and db.session.get(Message, new_id) is not None


def test_the_prune_command_keeps_mail_without_a_retention_setting(mw, app):
    with clock.frozen(datetime(2025, 1, 10, 9, 0)):
        mail.save(actor_of("a.parent"), draft([mw.u["teacher"]], subject="Старое"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["messages", "prune"])
    assert result.exit_code == 0 and "ничего не удалено" in result.output
    result = app.test_cli_runner().invoke(args=["messages", "prune", "--days", "30"])
    assert result.exit_code == 0 and "Удалено сообщений: 1." in result.output, result.output


def test_pages_are_in_russian_and_the_compose_form_offers_allowed_people_and_groups(mw, browser):
    b = browser()
    b.login("a.class_teacher")
    page = b.get("/messages/new").get_data(as_text=True)
    assert "Все родители 5А" in page and "Другова" not in page and "Ученикова" in page
    page = b.get(f"/messages/new?to={mw.u['parent']}").get_data(as_text=True)
    assert f'value="{mw.u["parent"]}" selected' in page
    assert "Входящие" in b.get("/messages/").get_data(as_text=True)
    assert b.get("/messages/99999/").status_code == 404



def test_the_demo_mailbox_has_an_overdue_question(app):
    result = app.test_cli_runner().invoke(args=["demo-data", "--password", "demo-pass-2026"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    teacher_user = db.session.scalar(select(Message.sender_id).where(Message.subject == "Родительское собрание"))
    ct = actor_of(db.session.get(User, teacher_user).login)
    section = next(s for s in deadlines.control(ct).sections if s.key == "questions")
    assert [i.late_days for i in section.items] == [2] and "Справка после болезни" in section.items[0].title
    assert mail.folder(ct, "inbox")[1] >= 4 and mail.unread_count(ct) >= 1


def test_an_answer_anywhere_in_the_conversation_closes_its_open_questions(mw):
    first = _ask(mw, date(2026, 11, 10))
    ct = actor_of("a.class_teacher")
    with clock.frozen(datetime(2026, 11, 11, 10, 0)):
        answer = mail.reply(ct, first.id, "Уточните, пожалуйста")
    with clock.frozen(datetime(2026, 11, 12, 10, 0)):
        later = mail.reply(actor_of("a.parent"), answer.id, "Про четверть")
    assert later.copies[0].is_question and later.thread_id == first.id
    section = next(s for s in deadlines.control(ct).sections if s.key == "questions")
    assert [i.late_days for i in section.items] == [5]  # 12.11 + 3 days = 15.11; today 20.11
    mail.reply(ct, first.id, "Ответ на оба вопроса")
    assert not next(s for s in deadlines.control(ct).sections if s.key == "questions").items
