"""The demo's mail (issue 16.1–2): a few conversations between the demo parent, the class teacher, a teacher,
the administration and the demo student — one parent's question to the class teacher left unanswered for more
than 3 days, so the control page and the start page show it."""
from datetime import timedelta

from models import Message, MessageCopy, db
from services import clock


def _at(org, today, days_ago, hour, minute=0):
    return clock.day_start(today - timedelta(days=days_ago), org) + timedelta(hours=hour, minutes=minute)


def _send(org, sender, recipients, subject, body, at, *, question=False, read=None, reply_to=None, group=None,
          answered=None):
    message = Message(org_id=org.id, sender_id=sender.user_id, subject=subject, body=body, created_at=at, sent_at=at,
                      is_question=question, group_label=group, reply_to_id=reply_to.id if reply_to else None,
                      thread_id=(reply_to.thread_id or reply_to.id) if reply_to else None)
    db.session.add(message)
    db.session.flush()
    for card in recipients:
        db.session.add(MessageCopy(org_id=org.id, message_id=message.id, user_id=card.user_id, is_question=question,
                                   read_at=read, answered_at=answered))
    db.session.flush()
    return message


def create_messages_demo(org, today, parent, student, class_teacher, teacher, admin, deputy, class_parents=()):
    """The demo mailbox; `class_parents`: the parents with accounts of the class teacher's class."""
    meeting_at = _at(org, today, 10, 15, 20)
    meeting = _send(org, class_teacher, [parent, *[p for p in class_parents if p is not parent]],
                    "Родительское собрание", "Уважаемые родители! Родительское собрание состоится в четверг в 18:00 "
                    "в кабинете 21. Повестка: итоги четверти, экскурсия.", meeting_at,
                    group="Все родители", read=meeting_at + timedelta(hours=2))
    _send(org, parent, [class_teacher], "Re: Родительское собрание", "Спасибо, будем обязательно.",
          meeting_at + timedelta(hours=3), reply_to=meeting, question=True, read=meeting_at + timedelta(hours=4),
          answered=meeting_at + timedelta(hours=5))
    # The question left unanswered: 5 days ago, 3 days to answer (seed 000 §3.4) — overdue.
    _send(org, parent, [class_teacher], "Справка после болезни",
          "Добрый день! Сын болел с понедельника по среду. Справку принести вам или медсестре?",
          _at(org, today, 5, 9, 40), question=True)
    asked_at = _at(org, today, 2, 19, 5)
    homework = _send(org, parent, [teacher], "Домашнее задание по математике",
                     "Здравствуйте! Подскажите, пожалуйста, какие номера задали на пятницу?", asked_at,
                     question=True, read=asked_at + timedelta(hours=13), answered=asked_at + timedelta(hours=14))
    _send(org, teacher, [parent], "Re: Домашнее задание по математике",
          "Здравствуйте! № 312, 315 и 318, страница 84. Задание также есть в дневнике.",
          asked_at + timedelta(hours=14), reply_to=homework)
    _send(org, admin, [class_teacher, teacher, deputy], "Педсовет",
          "Коллеги, педагогический совет — в среду в 15:00 в актовом зале. Явка обязательна.",
          _at(org, today, 3, 8, 30), group="Педагогический коллектив", read=_at(org, today, 3, 9, 0))
    _send(org, deputy, [class_teacher], "Отчёт за четверть",
          "Прошу до пятницы сдать отчёт за четверть.", _at(org, today, 1, 11, 15))
    _send(org, student, [class_teacher], "Экскурсия", "Здравствуйте! Можно ли взять на экскурсию фотоаппарат?",
          _at(org, today, 1, 16, 40))
