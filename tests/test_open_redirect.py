"""No open redirect: Flask-Admin's `url=` after a save, a delete or an action, and the login's `next=`,
lead only to a path on this site; anything else falls back to the view's list (issue 11.7)."""
import pytest
from sqlalchemy import select

from admin_views.base import local_url
from models import Room, db
from tests.conftest import TEST_PASSWORD
from tests.factories import tt_room

EVIL = ["http:evil.example", "https:evil.example", "http://evil.example", "//evil.example", "///evil.example",
        "/\\evil.example", "\\\\evil.example", "http:\\\\evil.example", "/\t/evil.example", "/\n/evil.example",
        "\x01//evil.example", " //evil.example", "javascript:alert(1)", "evil.example"]


def is_local(location):
    return location.startswith("/") and local_url(location) == location


@pytest.fixture
def admin(world, browser):
    tt_room(world.a.org, "101")
    db.session.commit()
    b = browser()
    b.login("a.admin")
    return b


def test_local_url_keeps_a_path_of_this_site_only():
    assert local_url("/students/?page=2&sort=1") == "/students/?page=2&sort=1"
    assert local_url("/") == "/"
    for evil in EVIL + [None, "", "students/"]:
        assert local_url(evil) is None, repr(evil)


@pytest.mark.parametrize("evil", EVIL)
def test_save_delete_and_action_go_back_only_to_this_site(admin, world, evil):
    room_id = db.session.scalar(select(Room.id).where(Room.org_id == world.a.org.id))

    page = admin.get("/rooms/new/", query_string={"url": evil}).get_data(as_text=True)
    assert "evil.example" not in page and "alert(1)" not in page  # the «Отмена» link, the hidden field

    resp = admin.post("/rooms/new/", {"name": "202", "capacity": "30", "note": ""}, query_string={"url": evil})
    assert resp.status_code == 302 and resp.location == "/rooms/", resp.location

    resp = admin.post(f"/rooms/edit/?id={room_id}", {"name": "101а", "capacity": "", "note": "", "url": evil,
                                                     "_version": str(db.session.get(Room, room_id).version)})
    assert resp.status_code == 302 and resp.location == "/rooms/", resp.location

    resp = admin.post("/rooms/delete/", {"id": str(room_id), "url": evil})
    assert resp.status_code == 302 and resp.location == "/rooms/", resp.location
    assert db.session.get(Room, room_id) is None

    resp = admin.post("/accounts/action/", {"action": "unblock", "rowid": str(world.a.teacher.user_id),
                                            "url": evil})
    assert resp.status_code == 302 and resp.location == "/accounts/", resp.location


def test_a_local_return_url_is_still_followed(admin, world):
    room_id = db.session.scalar(select(Room.id).where(Room.org_id == world.a.org.id))
    resp = admin.post(f"/rooms/edit/?id={room_id}", {"name": "101", "capacity": "", "note": "",
                                                     "url": "/rooms/?page=0&sort=1",
                                                     "_version": str(db.session.get(Room, room_id).version)})
    assert resp.location == "/rooms/?page=0&sort=1"
    resp = admin.post("/accounts/action/", {"action": "unblock", "rowid": str(world.a.teacher.user_id),
                                            "url": "/accounts/?search=a"})
    assert resp.location == "/accounts/?search=a"


@pytest.mark.parametrize("evil", EVIL)
def test_login_next_goes_only_to_this_site(world, browser, evil):
    b = browser()
    b.get("/login")
    resp = b.post("/login", {"login": "a.teacher", "password": TEST_PASSWORD, "next": evil})
    assert resp.status_code == 302 and is_local(resp.location) and resp.location == "/", resp.location
