def test_login_and_home(world, browser):
    b = browser()
    resp = b.login("a.admin")
    assert resp.status_code == 302
    page = b.get("/").get_data(as_text=True)
    assert "Орг A" in page and "Админов" in page
