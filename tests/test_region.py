"""The regional layer (issue 20.1): a municipal specialist sees his municipality's organizations only, a regional
one all the region's; the figures are the schools' own (the same figures function over the same sets); no page
or file names a student; a regional user reaches no page of a child's data, a school's staff no regional page;
the statements of a regional page do not grow with the schools."""
import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import DeadlineRule, Organization, RegionStaff, Student, User, db, scope
from reports import region_reports as rollup
from reports.registry import build
from reports.render import to_json
from services.people import accounts
from tests.factories import (PASSWORD, actor_of, build_org, jr_period_mark, jr_subject, make_student, mv_withdraw)
from tests.querycount import count_queries

PAGES = ("/regional/", "/regional/movement/", "/regional/activity/", "/regional/deadlines/", "/regional/oo1/",
         "/regional/control/")
Q2 = "?year=2026/2027&period=2"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def region(world):
    """Marks of the 2nd quarter in A (5А: «5», «4»; 6Б: «2») and B (5А: «3»), a withdrawal in B, and a
    specialist of the whole region (login "reg.all") besides the world's municipal one of A ("mun.a")."""
    a, b = world.a, world.b
    for ns, marks in ((a, ((a.student, "5"), (a.classmate, "4"), (a.stranger, "2"))), (b, ((b.student, "3"),))):
        ns.math = jr_subject(ns.org, "Математика")
        for student, value in marks:
            jr_period_mark(student, ns.math, ns.period, value)
    db.session.commit()
    mv_withdraw(b.classmate, date(2026, 11, 10))
    user, _ = accounts.new_user("reg.all", "Краевой Кирилл Кириллович", PASSWORD, must_change=False)
    db.session.add(RegionStaff(user=user, region=world.region.region, full_name="Краевой Кирилл Кириллович"))
    db.session.commit()
    return world


def student_names(world):
    """Every student's surname and first name (the surname «Учеников» alone is also the column «Учеников»)."""
    students = db.session.scalars(select(Student)).all()
    return [f"{s.last_name} {s.first_name}" for s in students] + [s.first_name for s in students] + \
        [s.last_name for s in students if s.last_name != "Учеников"] + ["Ученикова", "Чужова"]


def _text(response):
    """A page's text, or a workbook's strings."""
    if response.mimetype == XLSX:
        book = zipfile.ZipFile(io.BytesIO(response.data))
        return "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    return response.get_data(as_text=True)


def test_a_municipal_specialist_sees_only_his_municipalitys_schools(region, browser):
    b = browser()
    b.login("mun.a")
    assert b.get("/").headers["Location"].endswith("/regional/")  # the login lands on his regional page
    for page in PAGES:
        for fmt in ("", "&format=xlsx"):
            response = b.get(page + Q2 + fmt)
            assert response.status_code == 200, (page, fmt)
            text = _text(response)
            assert "Орг A" in text, (page, fmt)
            assert "Орг B" not in text, (page, fmt)
    # His school's row opens its grades and classes (the shared document partial's link).
    assert f'href="/regional/school/{region.a.org.id}/' in b.get(PAGES[0] + Q2).get_data(as_text=True)
    # Another municipality's school by its id: as absent as none.
    assert b.get(f"/regional/school/{region.b.org.id}/{Q2}").status_code == 404
    assert b.get(f"/regional/school/{region.a.org.id}/{Q2}").status_code == 200
    assert b.get(f"/regional/school/{region.b.org.id}/{Q2}&format=xlsx").status_code == 404


def test_the_regional_specialist_sees_every_school_of_the_region(region, browser):
    b = browser()
    b.login("reg.all")
    for page in PAGES:
        text = b.get(page + Q2).get_data(as_text=True)
        assert "Орг A" in text and "Орг B" in text, page
    assert b.get(f"/regional/school/{region.b.org.id}/{Q2}").status_code == 200


def test_the_figures_are_the_schools_own(region):
    """Each school's row equals its own «Итоги успеваемости и качества знаний» (the figures function over the
    same sets), and the region's total counts all their students."""
    res = rollup.results(actor_of("reg.all"), "2026/2027", 2)
    ours = {unit.label: unit.figures for unit in res.schools}
    for ns in (region.a, region.b):
        doc = build(actor_of(f"{ns.prefix}.deputy"), "school-results", {"period": "2 четверть"},
                    today=date(2026, 11, 20))
        columns, rows, _ = next((b["columns"], b["rows"], b["styles"]) for b in to_json(doc)["sheets"][0]["blocks"]
                                if b["type"] == "table")
        school = {title: value for title, value in zip(columns, rows[-1])}
        mine = ours[ns.org.short_name]
        assert school["Учеников"] == mine.students
        assert school["Успеваемость, %"] == (float(mine.success) if mine.success is not None else None)
        assert school["Качество знаний, %"] == (float(mine.quality) if mine.quality is not None else None)
        assert school["СОУ, %"] == (float(mine.sou) if mine.sou is not None else None)
    # A: 5 («5»), 4, 2 of three students counted, and B's «3»: by hand.
    a = ours["Орг A"]
    assert (a.n5, a.n4, a.n2, a.N) == (1, 1, 1, 3)
    assert a.success == Decimal("66.7") and a.quality == Decimal("66.7")
    total = res.total.figures
    assert (total.n5, total.n4, total.n3, total.n2) == (1, 1, 1, 1)
    assert total.success == 75 and total.quality == 50
    # The drill-down: grade and class rows, no student.
    drill = rollup.results(actor_of("reg.all"), "2026/2027", 2, org_id=region.a.org.id)
    labels = [u.label for u in drill.grades[region.a.org.id]]
    assert labels == ["5-е классы (параллель)", "5А", "6-е классы (параллель)", "6Б"]


def test_the_movement_counts_the_book(region):
    orgs, counts = rollup.movement(actor_of("reg.all"), date(2026, 9, 1), date(2026, 11, 20))
    assert counts[region.b.org.id] == (0, 1)
    assert region.a.org.id not in counts


def test_no_page_or_file_names_a_student(region, browser):
    names = student_names(region)
    b = browser()
    b.login("reg.all")
    urls = [p + Q2 for p in PAGES] + [f"/regional/school/{ns.org.id}/{Q2}" for ns in (region.a, region.b)]
    for url in urls:
        for fmt in ("", "&format=xlsx"):
            response = b.get(url + fmt)
            assert response.status_code == 200, url + fmt
            text = _text(response)
            assert not [n for n in names if n in text], url + fmt


def test_a_regional_user_reaches_no_childs_data(region, app, browser):
    b = browser()
    b.login("mun.a")
    a = region.a
    for url in ("/students/", f"/students/details/?id={a.student.id}", "/staff/", "/parents/", "/classes/",
                "/journal/", "/class-journal/", "/diary/", f"/diary/{a.student.id}/", "/reports/",
                "/reports/school-results/", "/reports/summary-ledger/", "/control/", "/absences/", "/movement/",
                "/accounts/", "/logins/", "/audit/", "/organizations/", "/regions/", "/region-staff/"):
        assert b.get(url).status_code in (403, 404), url


def test_an_organizations_staff_cannot_open_regional_pages(region, browser):
    for login in ("a.admin", "a.director", "a.deputy", "a.teacher", "a.parent"):
        b = browser()
        b.login(login)
        for page in PAGES:
            assert b.get(page).status_code in (403, 404), (login, page)


def test_the_installation_administrator_keeps_regions(region, browser):
    b = browser()
    b.login("root")
    for url in ("/regions/", "/municipalities/", "/region-staff/", "/region-staff/new/"):
        assert b.get(url).status_code == 200, url
    assert 'name="municipality"' in b.get(f"/organizations/edit/?id={region.a.org.id}").get_data(as_text=True)
    assert b.get("/regional/").status_code == 403  # he keeps the cards, he does not read the roll-ups
    admin = browser()
    admin.login("a.admin")
    form = admin.get(f"/organizations/edit/?id={region.a.org.id}").get_data(as_text=True)
    assert 'name="short_name"' in form and 'name="municipality"' not in form


def test_the_regional_scope_limits_every_query(region):
    """The request's net (models/scope.py enter_many): a query without any filter sees the scope's rows only."""
    with scope.organizations((region.a.org.id,)):
        orgs = {s.org_id for s in db.session.scalars(select(Student))}
    assert orgs == {region.a.org.id}
    with scope.organizations(()):
        assert db.session.scalars(select(Student)).all() == []
    actor = actor_of("mun.a")
    assert actor.org is None and actor.region_org_ids == (region.a.org.id,) and actor.has("region")
    # A dismissed (inactive) card: no role, no scope.
    db.session.execute(RegionStaff.__table__.update().values(active=False))
    assert not actor_of("mun.a").has("region")


def test_statements_do_not_grow_with_the_schools(region, browser):
    b = browser()
    b.login("reg.all")

    def counts():
        result = {}
        for page in ("/regional/", "/regional/movement/", "/regional/activity/", "/regional/deadlines/"):
            b.get(page + Q2)
            with count_queries() as statements:
                assert b.get(page + Q2).status_code == 200
            result[page] = len(statements)
        return result

    before = counts()
    for prefix in ("c", "d", "e"):
        ns = build_org(prefix)
        ns.org.municipality_id = region.region.second.id
        math = jr_subject(ns.org, "Математика")
        jr_period_mark(ns.student, math, ns.period, "4")
        make_student(ns.org, ns.klass, "Новиков", "Никита")
    db.session.commit()
    after = counts()
    assert after == before, (before, after)
    assert all(n <= 20 for n in after.values()), after
    text = b.get("/regional/" + Q2).get_data(as_text=True)
    assert "Орг E" in text and "Новиков" not in text


def test_an_organization_outside_any_municipality_is_in_no_scope(region):
    db.session.execute(Organization.__table__.update().where(Organization.id == region.b.org.id)
                       .values(municipality_id=None))
    assert actor_of("reg.all").region_org_ids == (region.a.org.id,)
    assert db.session.scalar(select(User.id).where(User.login == "reg.all"))


def test_a_specialists_card_is_checked(region, browser):
    b = browser()
    b.login("root")
    other = RegionStaff.__table__
    teacher_user = region.a.teacher.user_id
    fresh, _ = accounts.new_user("new.spec", "Новый Специалист", PASSWORD, must_change=False)
    db.session.commit()
    base = {"full_name": "Новый Специалист", "position": "", "region": region.region.region.id,
            "municipality": region.region.first.id, "active": "y"}
    count = db.session.query(other).count()
    page = b.post("/region-staff/new/", {**base, "user": teacher_user}, follow_redirects=True).get_data(as_text=True)
    assert "есть карточка в организации" in page
    assert db.session.query(other).count() == count
    assert b.post("/region-staff/new/", {**base, "user": fresh.id}).status_code == 302
    assert db.session.query(other).count() == count + 1
    assert actor_of("new.spec").region_org_ids == (region.a.org.id,)


def test_each_roll_up_reports_its_progress_per_school(region):
    """The jobs' hook: `build(…, progress=)` calls progress(done, total, text) once per organization."""
    actor = actor_of("reg.all")
    for kind in ("results", "movement", "activity", "deadlines", "oo1", "control"):
        calls = []
        doc = rollup.build(actor, kind, "2026/2027", 2, date(2026, 9, 1), date(2026, 11, 20),
                           progress=lambda done, total, text: calls.append((done, total, text)))
        assert doc.sheets, kind
        assert [(done, total) for done, total, _ in calls] == [(1, 2), (2, 2)], kind
        assert sorted(text for _, _, text in calls) == ["Орг A", "Орг B"], kind


def test_bad_input_is_a_russian_message(region, browser):
    b = browser()
    b.login("reg.all")
    page = b.get("/regional/?year=abc")
    assert page.status_code == 200 and "укажите его как 2026/2027" in page.get_data(as_text=True)
    page = b.get("/regional/movement/?start=31.02.2026")
    assert page.status_code == 200 and "не дата" in page.get_data(as_text=True)
    page = b.get("/regional/activity/?start=20.11.2026&end=01.11.2026")
    assert page.status_code == 200 and "позже" in page.get_data(as_text=True)
    assert b.get("/regional/?format=pdf").status_code == 404
    assert b.get("/regional/school/999999/").status_code == 404


def test_the_years_deadlines_by_school(region):
    """Year opened, curricula, КТП, timetables, by the organization's own «planning» deadline if it has one."""
    db.session.add(DeadlineRule(org_id=region.b.org.id, code="planning", title="Учебный план, КТП и расписание",
                                kind="date", month=9, day=30))
    db.session.commit()
    rows = {r.org.short_name: r for r in rollup.deadlines(actor_of("reg.all"), "2026/2027")}
    a, b = rows["Орг A"], rows["Орг B"]
    assert a.year is not None and a.classes == 2 and a.with_curriculum == 0 and a.with_timetable == 0
    assert a.deadline == date(2026, 9, 15) and b.deadline == date(2026, 9, 30)
    assert rollup.deadlines(actor_of("reg.all"), "2030/2031")[0].year is None


def _units(res):
    return [(u.label, u.classes, u.students, u.figures) for u in res.schools + [res.total]]


@pytest.mark.parametrize("period", [2, None])
def test_the_batches_of_a_large_region_give_the_same_figures(region, monkeypatch, period):
    """A large region is read in batches of whole organizations (bounded memory and parameters: 100 000
    students in 50 schools): one class a batch gives the figures of one batch, the progress still per school."""
    actor = actor_of("reg.all")
    whole = rollup.results(actor, "2026/2027", period)
    with count_queries() as one_batch:
        rollup.results(actor, "2026/2027", period)
    monkeypatch.setattr(rollup, "BATCH_CLASSES", 1)
    calls = []
    with count_queries() as batched:
        cut = rollup.results(actor, "2026/2027", period, progress=lambda done, total, text: calls.append(done))
    assert len(batched) > len(one_batch)  # the batches were taken
    assert _units(cut) == _units(whole)
    if period:
        total = cut.total.figures
        assert (total.n5, total.n4, total.n3, total.n2) == (1, 1, 1, 1)
    sums = [s for s in batched if "FROM mark JOIN task" in s]
    if period:
        assert calls == [1, 2] and len(sums) == 2  # a quarter's marks: per batch (by the classes' lessons)
    else:  # the year's average reads every mark of the year: once for the region, announced before the batches
        assert calls == [0, 1, 2] and len(sums) == 1
