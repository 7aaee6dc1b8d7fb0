"""E-mail notifications, the sending side (issue 16.7): `flask notify send` against a local SMTP sink
(aiosmtpd), retries with backoff, the failures shown to the administrator, the users' choices respected by
enqueue, the parents' weekly digest, two senders never sending one e-mail twice."""
import smtplib
import socket
import threading
from datetime import date, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from models import Notification, NotificationSetting, db
from services import clock, notify, notify_digest, notify_send, uow
from tests.querycount import count_queries
from tests.factories import jr_assignment, jr_attendance, jr_lessons, jr_mark, jr_subject, jr_task


class Sink:
    """The SMTP server of a test: keeps what it is given, or refuses every e-mail (`refuse`)."""

    def __init__(self):
        self.messages = []
        self.refuse = None

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sink(app, monkeypatch):
    handler = Sink()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {"MAIL_ENABLED": True, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False,
                       "MAIL_USE_SSL": False, "MAIL_USERNAME": None, "MAIL_FROM": "journal@school.example",
                       "MAIL_TIMEOUT": 5, "SITE_URL": "https://journal.school.example/"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield handler
    controller.stop()


@pytest.fixture
def mailed(world):
    """Addresses on the cards of world A's parent and teacher, and world B's admin."""
    world.a.parent.email = "mama@example.org"
    world.a.teacher.email = "teacher@example.org"
    world.b.parent.email = "b-mama@example.org"
    db.session.flush()
    return world


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["notify", *args])
    assert result.exit_code == 0, result.output
    return result.output


def queued(org_id=None):
    return db.session.scalars(select(Notification).order_by(Notification.id)).all()


def test_send_delivers_utf8_mail_with_subject_body_org_link_and_opt_out(app, mailed, sink):
    a = mailed.a
    note = notify.enqueue(a.parent.user_id, "message", "Новое сообщение от классного руководителя",
                          "Здравствуйте! Завтра родительское собрание в 18:00.", org_id=a.org.id)
    db.session.commit()
    output = run(app, "send")
    assert "Отправлено писем: 1" in output
    [(rcpt, message)] = sink.messages
    assert rcpt == ["mama@example.org"]
    assert message["Subject"] == "Новое сообщение от классного руководителя"
    assert message["From"] == "journal@school.example"
    assert message.get_content_charset() == "utf-8"
    text = message.get_content()
    assert "Завтра родительское собрание в 18:00." in text
    assert str(a.org) in text or a.org.full_name in text
    assert "https://journal.school.example/" in text
    assert "https://journal.school.example/notifications/" in text and "Отключить уведомления" in text
    db.session.refresh(note)
    assert note.sent_at is not None and note.attempts == 0 and not note.failed and note.claimed_by is None
    assert "Отправлено писем: 0" in run(app, "send")  # nothing is sent twice
    assert len(sink.messages) == 1


def test_mail_disabled_sends_nothing_and_says_so(app, mailed, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_ENABLED", False)
    notify.enqueue(mailed.a.parent.user_id, "message", "Тема", "Текст", org_id=mailed.a.org.id)
    db.session.commit()

    def refuse(*args, **kwargs):
        raise AssertionError("no SMTP connection when the mail is off")
    monkeypatch.setattr(smtplib, "SMTP", refuse)
    output = run(app, "send")
    assert "Отправка почты выключена" in output
    assert "Отправка почты выключена" in run(app, "worker")  # the service's loop does not start
    [note] = queued()
    assert note.sent_at is None and note.attempts == 0 and note.claimed_by is None


def test_a_failing_server_is_retried_with_backoff_then_given_up_and_shown_to_the_admin(app, mailed, sink, browser):
    a = mailed.a
    sink.refuse = "554 Сообщение отклонено"
    note = notify.enqueue(a.parent.user_id, "message", "Тема", "Текст", org_id=a.org.id)
    db.session.commit()
    start = clock.utcnow()
    assert "будет повторено: 1" in run(app, "send")
    db.session.refresh(note)
    assert note.attempts == 1 and not note.failed and note.sent_at is None
    assert note.next_attempt_at == start + notify_send.BACKOFF[0]
    assert "554" in note.last_error
    assert "Отправлено писем: 0; не отправлено, будет повторено: 0" in run(app, "send")  # not due yet
    moment = start
    for attempt in range(2, notify_send.MAX_ATTEMPTS + 1):
        moment += notify_send.BACKOFF[attempt - 2]
        with clock.frozen(moment.replace(tzinfo=timezone.utc)):
            run(app, "send")
        db.session.refresh(note)
        assert note.attempts == attempt
    assert note.failed and note.sent_at is None
    assert [notify_send.BACKOFF[i] for i in range(5)] == [timedelta(minutes=1), timedelta(minutes=5),
                                                          timedelta(minutes=30), timedelta(hours=2),
                                                          timedelta(hours=12)]
    with clock.frozen((moment + timedelta(days=2)).replace(tzinfo=timezone.utc)):
        run(app, "send")
    db.session.refresh(note)
    assert note.attempts == notify_send.MAX_ATTEMPTS  # given up: never tried again
    assert sink.messages == []

    b = browser()
    b.login("a.admin")
    page = b.get("/control/").get_data(as_text=True)
    assert "Не отправлено писем-уведомлений: 1" in page and "554" in page
    home = b.get("/").get_data(as_text=True)
    assert "Не отправлено писем-уведомлений: 1" in home
    queue = b.get("/notification-queue/").get_data(as_text=True)
    assert "mama@example.org" in queue and "554" in queue and "не отправлено" in queue


def test_an_unreachable_server_fails_every_email_of_the_batch_at_once(app, mailed, monkeypatch):
    a = mailed.a
    monkeypatch.setitem(app.config, "MAIL_ENABLED", True)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())  # nobody listens
    for n in range(3):
        notify.enqueue(a.parent.user_id, "message", f"Тема {n}", "Текст", org_id=a.org.id)
    db.session.commit()
    assert "будет повторено: 3" in run(app, "send")
    notes = queued()
    assert all(n.attempts == 1 and "Не удалось подключиться к почтовому серверу" in n.last_error for n in notes)


def test_two_senders_never_send_one_email_twice(app, mailed, sink):
    a = mailed.a
    for n in range(4):
        notify.enqueue(a.parent.user_id, "message", f"Тема {n}", "Текст", org_id=a.org.id)
    db.session.commit()
    now = clock.utcnow()
    # The first sender has claimed two rows (committed) and is still sending them …
    token, first = notify_send.claim(2, now)
    assert len(first) == 2
    # … a second one runs meanwhile: it takes only the two others.
    assert "Отправлено писем: 2" in run(app, "send")
    again, none = notify_send.claim(10, now)
    assert none == []  # every row is claimed or sent
    sent = {m["Subject"] for _, m in sink.messages}
    assert sent == {"Тема 2", "Тема 3"}
    # A claim of a sender that died lapses: the rows are sent once, later.
    with clock.frozen(clock.now_aware() + notify_send.CLAIM_TTL + timedelta(minutes=1)):
        assert "Отправлено писем: 2" in run(app, "send")
    assert sorted(m["Subject"] for _, m in sink.messages) == ["Тема 0", "Тема 1", "Тема 2", "Тема 3"]


def test_the_settings_page_turns_a_kind_off_and_enqueue_respects_it(mailed, browser):
    a = mailed.a
    b = browser()
    b.login("a.parent")
    page = b.get("/notifications/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "mama@example.org" in text and "Новые сообщения" in text and "Еженедельная сводка" in text
    assert notify.choices(a.parent.user_id) == {**{k: True for k in notify.KINDS}, "digest": False}
    kinds = [k for k in notify.KINDS if k not in ("message", "digest")]
    answer = b.post("/notifications/", data={"kind": kinds})
    assert answer.status_code == 302
    assert notify.choices(a.parent.user_id)["message"] is False
    assert notify.enqueue(a.parent.user_id, "message", "Тема", "Текст", org_id=a.org.id) is None
    assert notify.enqueue(a.parent.user_id, "announcement", "Тема", "Текст", org_id=a.org.id) is not None
    # An unknown kind changes nothing, and says so in Russian.
    answer = b.post("/notifications/", data={"kind": ["message", "spam"]})
    assert "Неизвестный вид уведомлений" in answer.get_data(as_text=True)
    assert notify.choices(a.parent.user_id)["message"] is False
    # A teacher is not offered the parents' digest.
    t = browser()
    t.login("a.teacher")
    assert "Еженедельная сводка" not in t.get("/notifications/").get_data(as_text=True)


def test_a_request_that_enqueues_never_connects_to_smtp(app, mailed, sink, monkeypatch, browser):
    def refuse(*args, **kwargs):
        raise AssertionError("a request connected to the SMTP server")
    monkeypatch.setattr(smtplib, "SMTP", refuse)
    monkeypatch.setattr(smtplib, "SMTP_SSL", refuse)
    with app.test_request_context("/"):
        note = notify.enqueue(mailed.a.parent.user_id, "answer", "Ответ на ваш вопрос", "Текст",
                              org_id=mailed.a.org.id)
    assert note is not None and note.sent_at is None
    b = browser()
    b.login("a.parent")
    assert b.post("/notifications/", data={"kind": list(notify.KINDS)}).status_code == 302
    assert sink.messages == []


def _week(world):
    a = world.a
    math = jr_subject(a.org, "Математика")
    assignment = jr_assignment(a.org, a.year, a.klass, a.teacher, math)
    monday, tuesday = jr_lessons(assignment, a.period, [date(2026, 11, 16), date(2026, 11, 17)])
    jr_mark(jr_task(monday), a.student, "5")
    jr_attendance(tuesday, a.student, "н")
    earlier, = jr_lessons(assignment, a.period, [date(2026, 11, 9)], number=3)
    jr_mark(jr_task(earlier), a.student, "2")  # last week's: not in this digest
    db.session.flush()


def test_the_weekly_digest_for_a_parent_who_opted_in_and_none_for_one_who_did_not(app, mailed):
    a = mailed.a
    _week(mailed)
    a.stranger_parent.email = "other@example.org"
    db.session.flush()
    assert run(app, "digest")  # nobody opted in: nothing queued
    assert queued() == []
    notify.save_choices(a.parent.user_id, list(notify.KINDS))
    db.session.commit()
    output = run(app, "digest")
    assert "писем со сводкой поставлено в очередь — 1" in output
    [note] = queued()
    assert note.user_id == a.parent.user_id and note.kind == "digest" and note.org_id == a.org.id
    assert note.subject == "Отметки и пропуски за неделю 16.11–22.11.2026: Пётр Учеников"
    assert "16.11 (пн) Математика — 5" in note.body
    assert "17.11 (вт) Математика, урок 2" in note.body
    assert "— 2" not in note.body  # the week before
    run(app, "digest")  # twice in a week: nothing new
    assert len(queued()) == 1


def test_the_digest_queries_are_few_whatever_the_families(app, mailed):
    a = mailed.a
    _week(mailed)
    notify.save_choices(a.parent.user_id, ["digest"], ["digest"])
    db.session.commit()
    with count_queries() as counted:
        notify_digest.queue_digests(a.org, date(2026, 11, 20))
    assert len(counted) <= 12


def test_the_admins_queue_shows_only_his_organizations_rows(mailed, browser):
    a, b_org = mailed.a, mailed.b
    own = notify.enqueue(a.parent.user_id, "message", "Письмо школы А", "Личный текст переписки", org_id=a.org.id)
    notify.enqueue(b_org.parent.user_id, "message", "Письмо школы Б", "Текст", org_id=b_org.org.id)
    db.session.commit()
    b = browser()
    b.login("a.admin")
    page = b.get("/notification-queue/").get_data(as_text=True)
    assert "Письмо школы А" in page and "Письмо школы Б" not in page
    card = b.get(f"/notification-queue/details/?id={own.id}").get_data(as_text=True)
    assert "Письмо школы А" in card and "Личный текст переписки" not in card  # a message is its participants'
    other = db.session.scalar(select(Notification.id).where(Notification.org_id == b_org.org.id))
    assert b.get(f"/notification-queue/details/?id={other}").status_code in (302, 404)
    failed = b.get("/notification-queue/?flt0_0=1").status_code
    assert failed == 200
    t = browser()
    t.login("a.teacher")
    assert t.get("/notification-queue/").status_code == 403


def test_settings_rows_are_a_users_own_choice(mailed):
    a = mailed.a
    assert db.session.scalars(select(NotificationSetting)).all() == []
    assert notify.wants(a.parent.user_id, "digest") is False and notify.wants(a.parent.user_id, "flag") is True
    notify.save_choices(a.parent.user_id, ["digest"], ["digest"])
    assert notify.wants(a.parent.user_id, "digest") is True and notify.wants(a.parent.user_id, "flag") is True


def test_the_queue_page_costs_the_same_with_many_rows(mailed, browser):
    a = mailed.a
    b = browser()
    b.login("a.admin")

    def page_cost(rows):
        for n in range(rows):
            notify.enqueue(a.parent.user_id if n % 2 else a.teacher.user_id, "message", f"Тема {n}", "Текст",
                           org_id=a.org.id)
        db.session.commit()
        with count_queries() as counted:
            assert b.get("/notification-queue/").status_code == 200
        return len(counted)

    few = page_cost(2)
    many = page_cost(40)
    assert many <= few


@pytest.mark.real_commits
def test_two_senders_at_the_same_time_send_each_email_once(app, mailed, sink):
    """Two `flask notify send` running at once (threads, each its own session and transaction)."""
    a = mailed.a
    for n in range(30):
        notify.enqueue(a.parent.user_id, "message", f"Тема {n}", "Текст", org_id=a.org.id)
    db.session.commit()
    moment = clock.now_aware()
    outcomes, errors = [], []

    def sender():
        try:
            with app.app_context(), clock.frozen(moment):
                with uow.unit():
                    outcomes.append(notify_send.send_due(app.config, limit=20))
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    subjects = [m["Subject"] for _, m in sink.messages]
    assert sorted(subjects) == sorted(f"Тема {n}" for n in range(30))  # each once, none lost
    assert sum(o.sent for o in outcomes) == 30
