"""Announcements of the demo (issue 16.3): the director's to everyone, a class teacher's parent meeting of his
class, the deputy's staff meeting, and one that has ended (shown only in its author's list). Written as rows
already notified: the demo queues no e-mail."""
from datetime import timedelta

from models import Announcement, Audience, db
from services import dates


def create_announcements_demo(org, today, director, deputy, class_teacher, klass, college=False):
    pupils = "студентов" if college else "учеников"
    rows = [
        (director, Audience.ALL, None, "День открытых дверей",
         f"Приглашаем {pupils}, родителей и гостей на день открытых дверей в субботу, "
         f"{dates.format_date(today + timedelta(days=(5 - today.weekday()) % 7 or 7))}, с 10:00.\n"
         "Программа и запись на экскурсии — на сайте: https://example.org/open-day",
         today - timedelta(days=2), today + timedelta(days=10)),
        (class_teacher, Audience.CLASS, klass, f"Родительское собрание {klass.name}",
         f"Уважаемые родители! Собрание {'группы' if college else 'класса'} {klass.name} — в четверг в 18:30, "
         "кабинет 201.\nПовестка: итоги периода, подготовка к каникулам, разное. Явка обязательна.",
         today - timedelta(days=1), today + timedelta(days=7)),
        (deputy, Audience.STAFF, None, "Педагогический совет",
         "Педсовет «Итоги успеваемости за период» — в пятницу в 15:00, актовый зал.\n"
         "Руководителям методических объединений подготовить справки до среды.",
         today, today + timedelta(days=5)),
        (director, Audience.ALL, None, "Вакцинация против гриппа",
         "Вакцинация проводилась в медицинском кабинете по графику. Объявление завершено.",
         today - timedelta(days=40), today - timedelta(days=20)),
    ]
    for author, audience, target, title, body, start, end in rows:
        db.session.add(Announcement(org_id=org.id, audience=audience, class_id=target.id if target else None,
                                    title=title, body=body, publish_date=start, end_date=end,
                                    author_id=author.user_id, notified=True))
    db.session.flush()
