def test_login_and_home(world, browser):
    b = browser()
    resp = b.login("a.admin")
    assert resp.status_code == 302
    page = b.get("/").get_data(as_text=True)
    assert "Орг A" in page and "Админов" in page


def test_flask_admin_messages_are_russian(world, browser):
    """Flask-Admin's own flashes come from our completed Russian catalogue."""
    b = browser()
    b.login("a.hr")
    page = b.post("/students/new/", data={"last_name": ""}).get_data(as_text=True)
    assert "Не удалось создать запись" in page
    assert "Failed to create record" not in page
