"""Demo data of the requests to correct personal data (issue 16.5): the demo parent's open request (a new phone
number, sent two days ago) and a closed one (his child's address, corrected by HR through the card's rules)."""
from datetime import timedelta

from models import DataRequest, db
from services import clock
from services.context import Actor
from services.people import requests as data_requests


def create_requests_demo(org, parent, hr):
    """`parent`: the demo parent's card (with an account); `hr`: the HR specialist's card (with an account)."""
    child = parent.children[0]
    closed = DataRequest(org_id=org.id, author_id=parent.id, author_user_id=parent.user_id, student_id=child.id,
                         field="address", proposed="624250, Свердловская обл., г. Заречный, ул. Мира, д. 21, кв. 8",
                         comment="Переехали в сентябре, прописка по новому адресу",
                         old_value=data_requests.shown(child.address),
                         created_at=clock.utcnow() - timedelta(days=9))
    db.session.add(closed)
    db.session.flush()
    data_requests.apply(Actor.for_user(hr.user, org.id), closed.id, closed.version,
                        answer="Адрес в личном деле исправлен.")
    opened = DataRequest(org_id=org.id, author_id=parent.id, author_user_id=parent.user_id, parent_id=parent.id,
                         field="phone", proposed="+7 (912) 555-12-34", comment="Сменился номер телефона",
                         old_value=data_requests.shown(parent.phone), created_at=clock.utcnow() - timedelta(days=2))
    db.session.add(opened)
    db.session.flush()
    return [closed, opened]
