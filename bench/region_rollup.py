"""The region's roll-ups on the N-school bench database (issue 20.4: «a region roll-up as a job under 60 s
with its progress shown»): the organizations are put into a region of municipalities (10 schools each) with a
regional specialist of the whole region — made once, kept with a kept database — then each roll-up kind of
reports/region_reports.py is built for the whole region as a background job would build it (`run_rollup`),
its progress callback recording (done, total): the time, the time per organization, the statements and the
peak memory of the process (RSS sampled every 20 ms, above the RSS before).

    python -m bench.region_rollup [--schools 50] [--kinds results,fill,…]   (on the kept PostgreSQL database)
"""
import argparse
import os
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from bench import dataset, measure
from bench.dataset import BenchError, Config, log
from reports import region_reports
from models import AcademicYear, Municipality, Organization, Period, Region, RegionStaff, User, db, scope
from services import database
from services.context import Actor
from services.people import accounts
from services.region import scope as region_scope

REGION = "Бенчмарк: регион"
SPECIALIST = "bench.region"
PER_MUNICIPALITY = 10
BUDGET = 60.0  # seconds, each kind for the whole region
# (kind of region_reports.build, its title in RESULTS.md)
# «Наполняемость» (classes, students) is the results' own columns: the same document, the same row.
KINDS = (("results", "итоги 2-й четверти: успеваемость, качество, СОУ, средний балл, наполняемость"),
         ("results-year", "итоги года: годовые отметки, средний балл по всем отметкам года"),
         ("movement", "движение"), ("activity", "активность"), ("deadlines", "сроки начала года"),
         ("oo1", "ОО-1, сумма"), ("control", "«Контроль»: просроченное"))


def ensure_region():
    """The bench's region: every organization in a municipality of `PER_MUNICIPALITY` (by id), the
    specialist `SPECIALIST` of the whole region with his RegionStaff card (services/region/scope.py
    `check_card`); made once — a kept database keeps it. → the specialist's Actor."""
    with scope.installation("the bench's region"):
        region = db.session.scalar(select(Region).where(Region.name == REGION))
        if region is None:
            region = Region(name=REGION)
            db.session.add(region)
            db.session.flush()
        orgs = db.session.scalars(select(Organization).order_by(Organization.id)).all()
        for n, org in enumerate(orgs):
            if org.municipality_id is None:
                name = f"Муниципалитет {n // PER_MUNICIPALITY + 1}"
                municipality = db.session.scalar(select(Municipality).where(
                    Municipality.region_id == region.id, Municipality.name == name))
                if municipality is None:
                    municipality = Municipality(region_id=region.id, name=name)
                    db.session.add(municipality)
                    db.session.flush()
                org.municipality_id = municipality.id
        user = db.session.scalar(select(User).where(User.login == SPECIALIST))
        if user is None:
            user, _ = accounts.new_user(SPECIALIST, "Бенчмарков Регион Регионович", measure.PASSWORD,
                                        must_change=False)
            db.session.flush()
            card = RegionStaff(user_id=user.id, region_id=region.id, full_name=user.display_name,
                               position="Специалист органа управления образованием")
            region_scope.check_card(card)
            db.session.add(card)
        db.session.commit()
    return Actor.for_user(user)


def run_rollup(actor, kind, progress, **params):
    """One roll-up for the actor's whole scope, as its background job runs it. After the roll-ups' job kind
    lands (reports side), this is the one line to switch to it."""
    with scope.organizations(actor.region_org_ids), database.long_statements():
        return region_reports.build(actor, kind, progress=progress, **params)


class PeakRss:
    """The process's peak resident memory above its start, sampled every 20 ms in a thread."""

    def __init__(self):
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self):
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self.page

    def _run(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def mb(self):
        return (self.peak - self.start) / 2 ** 20


@dataclass
class Timing:
    kind: str
    seconds: float
    statements: int
    memory_mb: float
    calls: list = field(default_factory=list)  # [(done, total)]
    orgs: int = 0
    error: str = ""


def parameters(today):
    """The roll-ups' parameters on the data set: its current year, the 2nd quarter (every school has one),
    the year from 1 September to today."""
    with scope.installation("the bench's year"):
        year = db.session.scalar(select(AcademicYear).where(AcademicYear.start_date <= today,
                                                            AcademicYear.end_date >= today).limit(1))
        if year is None:
            raise BenchError("нет учебного года на сегодня")
        period = db.session.scalar(select(func.max(Period.number)).where(Period.year_id == year.id,
                                                                          Period.end_date <= today))
    return dict(year_name=year.name, period_number=min(period or 1, 2), start=year.start_date,
                end=min(today, year.end_date))


def time_kind(app, counter, actor, kind, params):
    """One kind's Timing (the build in a fresh session, the statements counted)."""
    calls = []
    args = dict(params)
    if kind == "results-year":  # the same roll-up over the year's marks (the year's own slot)
        kind, args["period_number"] = "results", None
    started = time.perf_counter()
    with PeakRss() as rss:
        counter.count, counter.active = 0, True
        try:
            run_rollup(actor, kind, lambda done, total, text: calls.append((done, total)), **args)
            error = ""
        except Exception as exc:  # noqa: BLE001 — the row says what failed
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        finally:
            counter.active = False
            db.session.rollback()
            db.session.expunge_all()
    seconds = time.perf_counter() - started
    return Timing(kind, seconds, counter.count, rss.mb, calls, len(actor.region_org_ids), error)


def measure_all(app, today, kinds=None):
    """[(kind, title, Timing)] of every roll-up kind for the whole region."""
    with app.app_context():
        counter = measure.StatementCounter(db.engine)
        try:
            actor = ensure_region()
            params = parameters(today)
            log(f"регион: {len(actor.region_org_ids)} организаций; параметры {params}")
            out = []
            for kind, title in KINDS:
                if kinds and kind not in kinds:
                    continue
                timing = time_kind(app, counter, actor, kind, params)
                timing.kind = kind
                log(f"  {kind}: {timing.seconds:.2f} с, {timing.statements} SQL, +{timing.memory_mb:.0f} МБ, "
                    f"прогресс {len(timing.calls)} вызовов {timing.calls[-1:] or ''} {timing.error}")
                out.append((kind, title, timing))
            return out
        finally:
            counter.close()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.region_rollup")
    parser.add_argument("--schools", type=int, default=50)
    parser.add_argument("--size", default="large")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--kinds", default="")
    args = parser.parse_args(argv)
    today = dataset.set_today()
    database, app = dataset.prepare("postgresql", Config(args.size, args.seed, schools=args.schools), today,
                                    keep=True)
    try:
        measure_all(app, today, [k for k in args.kinds.split(",") if k])
    finally:
        dataset.dispose(app)


if __name__ == "__main__":
    main()

