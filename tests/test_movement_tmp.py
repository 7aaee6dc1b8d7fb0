import re
from datetime import date
from sqlalchemy import select
from models import *
from services.demo import create_demo
from tests.conftest import Browser
from tests.test_movement_support import mv_app  # noqa

def test_x(mv_app):
    accounts = create_demo(kind="college", password="demo-pass-2026")
    admin = next(a for a in accounts if a.role == "Администратор системы")
    b = Browser(mv_app)
    assert b.login(admin.login, "demo-pass-2026").status_code == 302
    orders = db.session.scalars(select(MovementOrder)).all()
    out = {}
    for url in ["/movement/orders/", f"/movement/orders/items/?id={orders[0].id}", f"/movement/orders/items/?id={orders[1].id}",
                "/movement/history/", "/movement/year-transfer/", "/reports/class-fill/", "/reports/movement/",
                "/movement/orders/new/"]:
        r = b.get(url)
        assert r.status_code == 200, url
        out[url] = r.get_data(as_text=True)
    b.post("/movement/orders/new/", data={"kind": "leave", "number": "99", "order_date": "20.11.2026"})
    o = db.session.scalar(select(MovementOrder).where(MovementOrder.number == "99"))
    r = b.get(f"/movement/orders/items/?id={o.id}"); assert r.status_code == 200
    out["leave"] = r.get_data(as_text=True)
    b.post("/movement/orders/new/", data={"kind": "enrollment", "number": "100", "order_date": "20.11.2026"})
    o = db.session.scalar(select(MovementOrder).where(MovementOrder.number == "100"))
    r = b.get(f"/movement/orders/card/?id={o.id}"); assert r.status_code == 200
    out["card"] = r.get_data(as_text=True)
    import pathlib
    d = pathlib.Path("/tmp/mvhtml"); d.mkdir(exist_ok=True)
    for i, (k, v) in enumerate(out.items()):
        body = v[v.find('<h4'):]
        (d / f"{i}.html").write_text(k + "\n" + re.sub(r"\n\s*\n+", "\n", body))
