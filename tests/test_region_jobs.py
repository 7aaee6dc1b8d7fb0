"""The regional roll-ups as background jobs (issue 20.2, reports/region_jobs.py): «Сформировать .xlsx в фоне» on
every regional page, the progress per organization, the workbook kept for the owner only, and the scope taken
again when the job runs (a card moved or deactivated since gets nothing of the old scope)."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models import Job, Municipality, Region, RegionStaff, User, db
from reports import region_jobs, region_reports as rollup
from services import uow
from services.jobs import core as jobs, registry
from tests.factories import PASSWORD, actor_of, jr_period_mark, make_student
from tests.test_region import student_names
from tests.test_region import region as _region_fixture

region = _region_fixture  # the fixture of tests/test_region.py

PAGES = {"results": "/regional/", "movement": "/regional/movement/", "activity": "/regional/activity/",
         "deadlines": "/regional/deadlines/", "oo1": "/regional/oo1/", "control": "/regional/control/"}


@pytest.fixture
def sync(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "sync")


def _book_text(data):
    book = load_workbook(io.BytesIO(data))
    return " ".join(str(c.value) for ws in book.worksheets for r in ws.iter_rows() for c in r if c.value is not None)


SEEN = set()


def _last_job():
    """The job the last request queued (the clock is frozen: every job has the same `created_at`)."""
    fresh = db.session.scalars(select(Job).where(Job.kind == region_jobs.KIND, Job.id.not_in(SEEN))).all()
    assert len(fresh) == 1
    SEEN.add(fresh[0].id)
    return fresh[0]


def test_every_roll_up_as_a_job_with_its_progress_and_result(region, sync, browser):
    b = browser()
    b.login("reg.all")
    names = student_names(region)
    for kind, page in PAGES.items():
        text = b.get(page + "?year=2026/2027").get_data(as_text=True)
        assert "Сформировать .xlsx в фоне" in text and "/static/jobs.js" in text, kind
        # the form names the roll-up and the page's parameters (templates/jobs/_background_form.html)
        assert f'<input type="hidden" name="kind" value="{kind}">' in text, kind
        assert '<input type="hidden" name="year" value="2026/2027">' in text, kind
        started = b.post("/regional/job", {"kind": kind, "year": "2026/2027", "period": "2" if kind == "results"
                                           else "", "start": "01.09.2026", "end": "20.11.2026"})
        assert started.status_code == 302 and started.location.split("?")[0].endswith(page), kind
        job = _last_job()
        assert job.state == "done", (kind, job.error)
        assert (job.progress_done, job.progress_total) == (2, 2), kind  # one step per organization
        assert job.org_id is None and job.user_id == db.session.scalar(select(User.id).where(User.login == "reg.all"))
        follow = b.get(started.location).get_data(as_text=True)
        assert f'data-status-url="/jobs/status/{job.id}"' in follow and "Скачать .xlsx" in follow, kind
        download = b.get(f"/jobs/download/{job.id}")
        assert download.status_code == 200 and download.headers["Content-Disposition"].endswith(".xlsx"), kind
        text = _book_text(download.data)
        assert "Орг A" in text and "Орг B" in text, kind
        assert not [n for n in names if n in text], kind
        assert "/jobs/download/" + job.id in b.get("/jobs/").get_data(as_text=True)
    # One school's grades and classes.
    started = b.post("/regional/job", {"kind": "results", "year": "2026/2027", "period": "2",
                                       "org": str(region.a.org.id)})
    assert started.location.split("?")[0].endswith(f"/regional/school/{region.a.org.id}/")
    school_job = _last_job()
    text = _book_text(b.get(f"/jobs/download/{school_job.id}").data)
    assert "5-е классы (параллель)" in text and "Орг B" not in text
    # Each page follows its own job: the school's drill-down its, the region's page the region's.
    drill_down = b.get(started.location).get_data(as_text=True)
    assert school_job.id in drill_down
    assert f'<input type="hidden" name="org" value="{region.a.org.id}">' in drill_down  # its form names the school
    assert school_job.id not in b.get("/regional/?year=2026/2027").get_data(as_text=True)
    assert school_job.id not in b.get(f"/regional/school/{region.b.org.id}/").get_data(as_text=True)


def test_another_user_cannot_follow_or_fetch_the_job(region, sync, browser):
    b = browser()
    b.login("reg.all")
    b.post("/regional/job", {"kind": "results", "year": "2026/2027", "period": "2"})
    job = _last_job()
    assert job.state == "done"
    for login in ("mun.a", "a.admin", "root"):
        other = browser()
        other.login(login)
        assert other.get(f"/jobs/download/{job.id}").status_code in (403, 404), login
        assert other.get(f"/jobs/status/{job.id}").status_code in (403, 404), login
        assert job.id not in other.get("/jobs/").get_data(as_text=True), login


def test_a_municipal_specialist_cannot_ask_for_another_municipalitys_school(region, sync, browser):
    b = browser()
    b.login("mun.a")
    before = db.session.query(Job).count()
    for org in (str(region.b.org.id), "999999", "abc", "-1"):
        assert b.post("/regional/job", {"kind": "results", "year": "2026/2027", "org": org}).status_code == 404, org
    assert b.post("/regional/job", {"kind": "students", "year": "2026/2027"}).status_code == 404
    assert db.session.query(Job).count() == before
    # Bad input: a Russian message, no job.
    for data in ({"kind": "results", "year": "2026"}, {"kind": "results", "year": "2026/2030"},
                 {"kind": "results", "year": "2026/2027", "period": "abc"},
                 {"kind": "movement", "year": "2026/2027", "start": "31.02.2026"},
                 {"kind": "activity", "year": "2026/2027", "start": "20.11.2026", "end": "01.11.2026"}):
        page = b.post("/regional/job", data, follow_redirects=True)
        assert page.status_code == 200, data
        assert db.session.query(Job).count() == before, data
    # His own municipality's roll-up: only his schools, in the job as on the page.
    b.post("/regional/job", {"kind": "oo1", "year": "2026/2027"})
    job = _last_job()
    assert job.state == "done" and job.progress_total == 1
    text = _book_text(b.get(f"/jobs/download/{job.id}").data)
    assert "Орг A" in text and "Орг B" not in text


def _queued(login, kind="results", **params):
    actor = actor_of(login)
    with uow.unit():
        return region_jobs.start(actor, kind, "2026/2027", **params)


def _run(job_id):
    jobs.run(job_id)
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_the_job_takes_the_scope_again_when_it_runs(region, app, monkeypatch):
    monkeypatch.setitem(registry.BACKEND, "dispatch", lambda job_id: None)  # queued, not run: the test runs it
    card = db.session.scalar(select(RegionStaff).join(User).where(User.login == "mun.a"))
    # Moved to the second municipality (Орг B's) between the queue and the run: nothing of either.
    job_id = _queued("mun.a", "control")
    card.municipality_id = region.region.second.id
    db.session.commit()
    job = _run(job_id)
    assert job.state == "failed" and "изменилась" in job.error
    assert db.session.get(type(job), job_id) and jobs.result_of(actor_of("mun.a"), job_id) is None
    # A school of his old municipality asked for, then moved: refused too.
    card.municipality_id = region.region.first.id
    db.session.commit()
    job_id = _queued("mun.a", org_id=region.a.org.id)
    card.municipality_id = region.region.second.id
    db.session.commit()
    assert _run(job_id).state == "failed"
    # Deactivated: nothing.
    card.municipality_id = region.region.first.id
    db.session.commit()
    job_id = _queued("mun.a")
    card.active = False
    db.session.commit()
    job = _run(job_id)
    assert job.state == "failed" and "карточки специалиста" in job.error
    # Blocked: nothing.
    card.active = True
    db.session.commit()
    job_id = _queued("mun.a")
    db.session.execute(User.__table__.update().where(User.login == "mun.a").values(is_blocked=True))
    db.session.commit()
    assert _run(job_id).state == "failed"
    # The organization moved out of his municipality: the job of the unchanged card sees it no more.
    db.session.execute(User.__table__.update().where(User.login == "mun.a").values(is_blocked=False))
    db.session.commit()
    job_id = _queued("mun.a", "oo1")
    region.a.org.municipality_id = region.region.second.id
    db.session.commit()
    job = _run(job_id)
    assert job.state == "done" and job.progress_total == 0
    text = _book_text(jobs.result_of(actor_of("mun.a"), job_id).content)
    assert "Орг A" not in text


def test_a_large_scope_builds_the_heavy_roll_ups_in_the_background_only(region, sync, browser, monkeypatch):
    monkeypatch.setattr(region_jobs, "INLINE_LIMIT", 1)
    b = browser()
    b.login("reg.all")
    for page in ("/regional/oo1/", "/regional/control/"):
        text = b.get(page).get_data(as_text=True)
        assert "формируется только в фоне" in text and "Сформировать .xlsx в фоне" in text, page
        assert "Орг A" not in text, page
    assert "Орг A" in b.get("/regional/?year=2026/2027").get_data(as_text=True)  # the set-based ones stay on the page
    assert db.session.scalar(select(User.id).where(User.login == "reg.all"))
    assert PASSWORD


# -- the installation administrator's cards: refusals in Russian, never a 500 ------------------------------

def _flashes(page):
    return page.get_data(as_text=True)


def test_a_municipality_or_region_in_use_is_not_deleted(region, browser):
    b = browser()
    b.login("root")
    first, second = region.region.first, region.region.second
    page = b.post("/municipalities/delete/", {"id": str(second.id), "url": "/municipalities/"}, follow_redirects=True)
    assert page.status_code == 200 and "Муниципалитет «Второй район» не удалён: в нём 1 организация" in _flashes(page)
    page = b.post("/municipalities/delete/", {"id": str(first.id), "url": "/municipalities/"}, follow_redirects=True)
    assert page.status_code == 200 and "не удалён" in _flashes(page)
    page = b.post("/regions/delete/", {"id": str(region.region.region.id), "url": "/regions/"}, follow_redirects=True)
    assert page.status_code == 200 and "Регион «Тестовый край» не удалён: в нём 2 муниципалитета" in _flashes(page)
    db.session.expire_all()
    assert db.session.query(Municipality).count() == 2 and db.session.query(Region).count() == 1
    # Emptied: deleted.
    region.b.org.municipality_id = None
    db.session.commit()
    assert b.post("/municipalities/delete/", {"id": str(second.id), "url": "/municipalities/"}).status_code == 302
    db.session.expire_all()
    assert db.session.query(Municipality).count() == 1


def test_moving_an_organization_changes_the_scopes_at_once(region, browser):
    mun = browser()
    mun.login("mun.a")
    assert "Орг B" not in mun.get("/regional/?year=2026/2027").get_data(as_text=True)
    assert mun.get(f"/regional/school/{region.b.org.id}/").status_code == 404
    region.b.org.municipality_id = region.region.first.id
    region.a.org.municipality_id = region.region.second.id
    db.session.commit()
    text = mun.get("/regional/?year=2026/2027").get_data(as_text=True)
    assert "Орг B" in text and "Орг A" not in text
    assert mun.get(f"/regional/school/{region.a.org.id}/").status_code == 404
    assert mun.get(f"/regional/school/{region.b.org.id}/").status_code == 200


def test_the_installation_administrators_account_is_no_specialist(region, browser):
    b = browser()
    b.login("root")
    root = db.session.scalar(select(User).where(User.login == "root"))
    before = db.session.query(RegionStaff).count()
    page = b.post("/region-staff/new/", {"full_name": "Админ", "position": "", "user": str(root.id),
                                         "region": str(region.region.region.id), "municipality": "", "active": "y"},
                  follow_redirects=True)
    assert page.status_code == 200 and "администратора установки" in page.get_data(as_text=True)
    assert db.session.query(RegionStaff).count() == before
    # A municipality of another region: refused.
    other = Region(name="Другой край")
    far = Municipality(region=other, name="Дальний район")
    db.session.add_all([other, far])
    db.session.commit()
    fresh = db.session.scalar(select(User).where(User.login == "mun.a"))
    page = b.post("/region-staff/new/", {"full_name": "Второй", "position": "", "user": str(fresh.id),
                                         "region": str(region.region.region.id), "municipality": str(far.id),
                                         "active": "y"}, follow_redirects=True)
    assert page.status_code == 200 and "не входит в выбранный регион" in page.get_data(as_text=True)


def test_a_blocked_specialist_signs_in_no_more(region, browser):
    db.session.execute(User.__table__.update().where(User.login == "mun.a").values(is_blocked=True))
    db.session.commit()
    b = browser()
    page = b.post("/login", {"login": "mun.a", "password": PASSWORD}, follow_redirects=True)
    assert page.status_code == 401 and "Учётная запись заблокирована" in page.get_data(as_text=True)
    assert b.get("/regional/").status_code in (302, 401, 403)


# -- small groups -------------------------------------------------------------------------------------------

def _rows(doc):
    table = doc.sheets[0].blocks[0]
    return {row.values[0]: row.values for row in table.rows}, [b.text for b in doc.sheets[0].blocks[1:]]


def test_a_small_groups_results_are_not_shown(region):
    """A class of 1–4 students shows its size only (its marks would be a child's own), with the footnote;
    a group of 5 or more shows its figures."""
    actor = actor_of("reg.all")
    a = region.a
    doc = rollup.results_document(actor, rollup.results(actor, "2026/2027", 2, org_id=a.org.id), org=a.org)
    rows, notes = _rows(doc)
    small = rows["6Б *"]
    assert small[2] == 1 and all(v is None for v in small[3:]), small
    assert any("меньше 5 обучающихся" in n for n in notes)
    for i, name in enumerate(("Пятов", "Шестов", "Седьмов")):
        jr_period_mark(make_student(a.org, a.klass, name, "Пётр"), a.math, a.period, "4")
    db.session.commit()
    doc = rollup.results_document(actor, rollup.results(actor, "2026/2027", 2, org_id=a.org.id), org=a.org)
    rows, _ = _rows(doc)
    five = rows[a.klass.name]
    assert five[2] >= 5 and five[4] is not None, five  # N and the counts shown
    # The region's page: the small school's row is marked; the school's total figure is not shown.
    region_doc = rollup.results_document(actor, rollup.results(actor, "2026/2027", 2))
    table = region_doc.sheets[0].blocks[0]
    b_row = next(r for r in table.rows if r.values[0].startswith("Орг B"))
    assert b_row.values[0] == "Орг B *" and all(v is None for v in b_row.values[4:])


# -- every endpoint with another municipality's ids ----------------------------------------------------------

def test_no_endpoint_opens_another_municipalitys_rows_to_a_municipal_specialist(region, app, browser):
    """Every GET endpoint of the application, each of its path's numbers set to an id of Орг B's (the
    organization, its year, period, classes, students, staff) or of his own A's students, and the usual query
    parameters too: a municipal specialist of A's municipality gets a refusal, or a page that names nothing of B
    and no student."""
    b_ns = region.b
    ids = {b_ns.org.id, b_ns.year.id, b_ns.period.id, b_ns.klass.id, b_ns.other_class.id, b_ns.student.id,
           b_ns.classmate.id, b_ns.teacher.id}
    # His own municipality's students too: no person's page, whatever the id.
    ids |= {region.a.student.id, region.a.classmate.id, region.a.stranger.id, region.a.klass.id}
    secrets = ["Орг B"] + [n for n in student_names(region) if len(n) > 4]
    b = browser()
    b.login("mun.a")
    opened = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        names = [a for a in rule.arguments]
        if any(rule._converters.get(n).__class__.__name__ != "IntegerConverter" for n in names):
            continue  # a path of text (a report's key, a job's id): walked by the page matrix
        for pk in sorted(ids) if names else [None]:
            url = rule.rule
            for n in names:
                url = url.replace(f"<int:{n}>", str(pk))
            for query in ("", f"?id={pk}&org_id={pk}&class_id={pk}&year_id={pk}&student_id={pk}&org={pk}"):
                response = b.get(url + query)
                if response.status_code == 200:
                    text = response.get_data(as_text=True)
                    leaked = [s for s in secrets if s in text]
                    assert not leaked, (url + query, leaked)
                    opened.append(rule.endpoint)
    assert "regional.index" in opened


def test_bad_years_and_periods_on_the_pages_are_russian_messages(region, browser):
    b = browser()
    b.login("mun.a")
    for url, words in (("/regional/?year=2026/2030", "укажите его как 2026/2027"),
                       ("/regional/?year=2026/2027&period=abc", "укажите номер периода"),
                       ("/regional/?year=2026/2027&period=9", "укажите номер периода"),
                       (f"/regional/school/{region.a.org.id}/?period=0", "укажите номер периода"),
                       ("/regional/deadlines/?year=9999/10000", "укажите его как 2026/2027"),
                       ("/regional/oo1/?end=32.13.2026", "не дата"),
                       ("/regional/movement/?start=01.01.0001", "не дата")):
        page = b.get(url)
        assert page.status_code == 200 and words in page.get_data(as_text=True), url
    # A period the organizations have not: named as missing, no 500.
    page = b.get("/regional/?year=2026/2027&period=5")
    assert page.status_code == 200 and "Нет учебного года или периода" in page.get_data(as_text=True)


def test_a_municipality_without_organizations_shows_empty_pages(region, sync, browser):
    region.a.org.municipality_id = None
    db.session.commit()
    b = browser()
    b.login("mun.a")
    for page in PAGES.values():
        response = b.get(page + "?year=2026/2027&period=2")
        assert response.status_code == 200, page
        assert "Орг A" not in response.get_data(as_text=True), page
        assert "пока нет организаций" in response.get_data(as_text=True), page
        assert b.get(page + "?year=2026/2027&format=xlsx").status_code == 200, page
    b.post("/regional/job", {"kind": "control", "year": "2026/2027"})
    job = _last_job()
    assert job.state == "done" and job.progress_total == 0
