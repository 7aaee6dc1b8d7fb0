"""The one clock: every "today" of the application comes from services.clock, in the organization's
time zone, and the tests fix it (conftest.TEST_TODAY) so no test depends on the machine's date."""
import ast
from datetime import date, datetime, timezone
from pathlib import Path

from services import clock
from tests.conftest import TEST_TODAY

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ["app.py", "models", "services", "admin_views", "reports"]


def _calls_of_the_wall_clock(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if (name == "today" and owner_name in {"date", "_date", "datetime"}) or \
                    (name in {"now", "utcnow"} and owner_name == "datetime") or \
                    (name == "time" and owner_name == "time"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {owner_name}.{name}()")
    return found


def test_no_product_code_reads_the_wall_clock_directly():
    files = [ROOT / p for p in PRODUCT if p.endswith(".py")] + \
        [f for p in PRODUCT if not p.endswith(".py") for f in (ROOT / p).rglob("*.py")]
    found = [hit for f in files if f.name != "clock.py" for hit in _calls_of_the_wall_clock(f)]
    assert found == []


def test_the_suite_lives_on_a_fixed_day():
    assert clock.is_frozen()
    assert clock.today() == TEST_TODAY


def test_today_is_the_organizations_date_in_its_time_zone():
    # 22:30 in Moscow on 31.08 is already 01.09 in Novosibirsk (UTC+7) and still 31.08 in Kaliningrad.
    with clock.frozen(datetime(2026, 8, 31, 19, 30, tzinfo=timezone.utc)):
        assert clock.today("Europe/Moscow") == date(2026, 8, 31)
        assert clock.today("Asia/Novosibirsk") == date(2026, 9, 1)
        assert clock.today("Europe/Kaliningrad") == date(2026, 8, 31)
        assert clock.utcnow() == datetime(2026, 8, 31, 19, 30)
        # An unknown zone falls back to Moscow instead of failing a page.
        assert clock.today("Mars/Olympus") == date(2026, 8, 31)


def test_the_clock_moves_only_when_told(world):
    with clock.frozen(date(2027, 6, 30)):
        assert clock.today(world.a.org) == date(2027, 6, 30)
        clock.advance(days=1)
        assert clock.today(world.a.org) == date(2027, 7, 1)
    assert clock.today() == TEST_TODAY


def test_a_page_shows_the_clock_s_day_not_the_machines(world, browser):
    b = browser()
    with clock.frozen(date(2027, 3, 17)):  # a Wednesday: the diary opens on the week of 15.03
        b.login("a.student")  # a session lives 12 h of the clock: it begins on that day
        page = b.get(f"/diary/{world.a.student.id}/").get_data(as_text=True)
    assert "15 марта — 20 марта" in page, page[-2000:]
    assert "16 ноября" not in page  # not the fixed test day's week
