"""The reports' common ground (reports/document.py, registry.py, parameters.py, render.py, cli.py and
admin_views/reports.py): parameters resolved through the permission table with Russian messages, the same
numbers on the screen, in the .xlsx and in the JSON, strings kept as text, and the command line. A small report
registered here exercises every kind of block; the real reports have their own tests."""
import io
import json
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from models import Organization, db
from reports import document, registry
from reports.render import chart_svg, to_json, to_xlsx
from services.errors import DomainError, PermissionDenied
from services.journal.figures import figures
from tests.factories import actor_of

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def probe_report():
    """«Проба»: the class's students with the figures of made-up marks, a chart, a page break."""

    def build(actor, p):
        doc = document.Document(name="probe", title="Проба", org=p.org, filename="proba",
                            params=[("Класс", p.klass.name), ("Период", p.period_label), ("Даты", p.range_label)])
        sheet = doc.sheet(p.klass.name)
        table = sheet.table([document.Column("Ученик", width=30), document.Column("Успеваемость, %", "pct"),
                             document.Column("СОУ, %", "pct"), document.Column("Отметок", "int")],
                            groups=[("", 1), ("Показатели", 3)])
        f = figures({1: "5", 2: "4", 3: "2"})
        table.add(["=HYPERLINK(\"http://x\")", f.success, f.sou, 3])
        table.add(["Итого", f.success, f.sou, 3], style="total")
        table.add(["Без отметок", None, None, 0])
        sheet.chart(document.Chart("Средний балл", ["1 четв.", "2 четв."], [("Ученик", [Decimal("4.5"), None])]))
        sheet.page_break()
        sheet.text("Текст письма", "heading")
        sheet.sign(document.class_teacher_line(p.org, p.klass), document.director_line(p.org))
        return doc

    registry.report("probe", "Проба", "report_class", params=("year", "class", "period", "from", "to"),
                required=("class",), group="Классному руководителю")(build)
    yield
    registry.REGISTRY.pop("probe", None)


def test_the_class_teacher_builds_it_and_the_three_forms_carry_the_same_numbers(world):
    doc = registry.build(actor_of("a.class_teacher"), "probe", {"class": "5а", "period": "2 четверть"}, today=TODAY)
    assert doc.params == [("Класс", "5А"), ("Период", "2 четверть"), ("Даты", "с 05.11.2026 по 20.11.2026")]
    data = to_json(doc)
    rows = data["sheets"][0]["blocks"][0]["rows"]
    # успеваемость 2/3 = 66.7 %; СОУ (100 + 64 + 16) / 3 = 60.0
    assert rows[0] == ["=HYPERLINK(\"http://x\")", 66.7, 60.0, 3]
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(doc).bytes()))
    ws = wb["5А"]
    values = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value is not None}
    assert values[(1, 1)] == "Организация A" and values[(2, 1)] == "Проба"
    header = next(r for (r, c), v in values.items() if v == "Ученик")
    assert [values.get((header + 1, c)) for c in range(1, 5)] == ["=HYPERLINK(\"http://x\")", 66.7, 60.0, 3]
    assert ws.cell(header + 1, 1).data_type == "s"  # the formula-looking name stays text
    assert ws.cell(header + 1, 2).number_format == "0.0"
    assert ws.print_title_rows == f"${header - 1}:${header}"  # the grouped header rows repeat on every page
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToHeight == 0 and ws.page_setup.fitToWidth in (None, 1)  # one page wide
    assert ws._charts and ws.row_breaks.brk
    # Empty cells of plain rows are not written one by one: one conditional format borders them.
    assert ws.cell(header + 3, 2).value is None
    rules = {str(rng.sqref): rule for rng in ws.conditional_formatting for rule in rng.rules}
    runs = [f"A{header + n}:D{header + n}" for n in (1, 2, 3)]  # plain, total, plain: a rule per run of rows
    assert set(rules) == set(runs) and all(rules[r].type == "containsBlanks" for r in runs)
    assert rules[runs[1]].dxf.fill is not None and rules[runs[0]].dxf.fill is None  # the total keeps its shading
    assert any(v == "Классный руководитель" for v in values.values())


def test_bad_parameters_get_russian_messages(world):
    actor = actor_of("a.deputy")
    cases = [
        ({"class": "9Я"}, "Класс «9Я» не найден"),
        ({"class": "5А", "period": "5 четверть"}, "Период «5 четверть» не найден"),
        ({"class": "5А", "from": "01.08.2026"}, "выходит за 2026/2027 учебный год"),
        ({"class": "5А", "from": "32.13.2026"}, "не дата"),
        ({"class": "5А", "from": "20.11.2026", "to": "10.11.2026"}, "позже его конца"),
        ({"class": "5А", "year": "1999/2000"}, "Учебный год «1999/2000» не найден"),
        ({"class": "5А", "subject": "Физика"}, "не принимает параметров: subject"),
        ({}, "Укажите: Класс"),
    ]
    for raw, message in cases:
        with pytest.raises(DomainError) as refused:
            registry.build(actor, "probe", raw, today=TODAY)
        assert message in " ".join(refused.value.errors), (raw, refused.value.errors)
    with pytest.raises(DomainError, match="Отчёт не построен"):
        registry.build(actor, "no-such-report", {}, today=TODAY)


def test_reach_follows_the_permission_table(world):
    assert registry.build(actor_of("a.deputy"), "probe", {"class": "6Б"}, today=TODAY).title == "Проба"
    foreign = str(world.a.other_class.id)
    for login, klass in (("a.class_teacher", "6Б"), ("b.deputy", foreign)):  # not his class; another organization
        with pytest.raises(DomainError, match="Отчёт не построен"):
            registry.build(actor_of(login), "probe", {"class": klass}, today=TODAY)
    assert registry.build(actor_of("b.deputy"), "probe", {"class": "6Б"}, today=TODAY).params[0] == ("Класс", "6Б")
    for login in ("a.student", "a.parent", "a.hr"):
        with pytest.raises(PermissionDenied):
            registry.build(actor_of(login), "probe", {"class": "5А"}, today=TODAY)


def test_the_page_the_file_downloads_and_refusals(world, browser):
    b = browser()
    b.login("a.class_teacher")
    index = b.get("/reports/").get_data(as_text=True)
    assert "/reports/probe/" in index and "Классному руководителю" in index
    page = b.get("/reports/probe/?class=5А&period=2+четверть&to=20.11.2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "66,7" in html and "60,0" in html and "<svg" in html
    assert "&#34;http://x&#34;" in html or "&quot;http://x&quot;" in html  # escaped, not a link
    xlsx = b.get("/reports/probe/?class=5А&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["Content-Disposition"].endswith("proba.xlsx")
    data = json.loads(b.get("/reports/probe/?class=5А&format=json").get_data(as_text=True))
    assert data["sheets"][0]["blocks"][0]["rows"][1] == ["Итого", 66.7, 60.0, 3]
    bad = b.get("/reports/probe/?class=5А&from=99.99.2026&format=xlsx")
    assert bad.status_code == 200 and "не дата" in bad.get_data(as_text=True)
    assert b.get("/reports/probe/?class=6Б").status_code == 200  # not his class: a message, no data
    assert "не найден" in b.get("/reports/probe/?class=6Б").get_data(as_text=True)
    assert b.get("/reports/no-such/").status_code == 404
    assert b.get("/reports/probe/?class=5А&format=pdf").status_code == 404
    student = browser()
    student.login("a.student")
    assert student.get("/reports/probe/?class=5А").status_code in (403, 404)
    assert "/reports/probe/" not in student.get("/reports/", follow_redirects=True).get_data(as_text=True)


def test_the_command_line_lists_and_runs_reports(world, app, tmp_path):
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["report", "list"])
    assert listing.exit_code == 0 and "probe" in listing.output and "--class*" in listing.output
    out = tmp_path / "p.json"
    done = runner.invoke(args=["report", "run", "probe", "--as", "a.class_teacher", "--class", "5А",
                               "--period", "2 четверть", "--format", "json", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert json.loads(out.read_text(encoding="utf-8"))["sheets"][0]["blocks"][0]["rows"][0][1] == 66.7
    xlsx = tmp_path / "p.xlsx"
    done = runner.invoke(args=["report", "run", "probe", "--org", str(world.a.org.id), "--class", "5А",
                               "--format", "xlsx", "--out", str(xlsx)])
    assert done.exit_code == 0, done.output
    assert openpyxl.load_workbook(xlsx)["5А"].cell(2, 1).value == "Проба"
    refused = runner.invoke(args=["report", "run", "probe", "--as", "a.class_teacher", "--class", "6Б"])
    assert refused.exit_code != 0 and "не найден" in refused.output and "Traceback" not in refused.output
    refused = runner.invoke(args=["report", "run", "probe", "--as", "a.parent", "--class", "5А"])
    assert refused.exit_code != 0 and "недоступен" in refused.output
    refused = runner.invoke(args=["report", "run", "probe", "--class", "5А"])  # two organizations: which?
    assert refused.exit_code != 0 and "Укажите организацию" in refused.output
    db.session.rollback()


def test_the_shared_helpers_of_every_report():
    """File names, grade and total rows and the figures' columns come from reports/document.py for all reports."""
    # Transliterated, lower case, every other character a dash, runs of dashes collapsed; empty parts skipped.
    assert document.slug("Итоги", "5А", "2 четверть") == "itogi-5a-2-chetvert"
    assert document.slug("svodnaya-vedomost", "10 «Б»", "2026/2027") == "svodnaya-vedomost-10-b-2026-2027"
    assert document.slug("", None, "Щука Ёж") == "shchuka-ezh"
    assert document.slug("«»", "") == "otchet"
    school, college = Organization(kind="school"), Organization(kind="college")
    assert (document.grade_label(school, 5), document.grade_label(school, 5, total=True)) == (
        "5-е классы", "Итого 5-е классы")
    assert (document.grade_label(college, 2), document.grade_label(college, 2, total=True)) == (
        "2 курс", "Итого 2 курс")
    assert (document.total_label(school), document.total_label(college)) == ("Всего по школе", "Всего по техникуму")
    assert document.next_month(date(2026, 12, 31)) == date(2027, 1, 1) and document.next_month(date(2027, 1, 31)) == \
        date(2027, 2, 1)

    # 5, 4, 3, 2, н/а, зач, осв and one without a mark: N = 6; успеваемость (1 + 1 + 1 + 1) / 6 = 66.7;
    # качество 2 / 5 graded = 40.0; СОУ (100 + 64 + 36 + 16 + 7) / 5 = 223 / 5 = 44.6.
    f = figures(dict(enumerate(["5", "4", "3", "2", "н/а", "зач", "осв", None])), average=Decimal("3.50"))
    titles = [c.title for c in document.figure_columns()]
    assert titles == ["N", "«5»", "«4»", "«3»", "«2»", "н/а", "Успеваемость, %", "Качество знаний, %", "СОУ, %",
                      "Средний балл"]
    assert document.figure_values(f) == [6, 1, 1, 1, 1, 1, Decimal("66.7"), Decimal("40.0"), Decimal("44.6"),
                                     Decimal("3.50")]
    every = dict(students=True, passed=True, exempt=True, none=True)
    assert [c.title for c in document.figure_columns(**every)] == [
        "Учеников", "N", "«5»", "«4»", "«3»", "«2»", "н/а", "зач", "осв", "Без отметки", "Успеваемость, %",
        "Качество знаний, %", "СОУ, %", "Средний балл"]
    assert document.figure_values(f, **every)[:10] == [8, 6, 1, 1, 1, 1, 1, 1, 1, 1]
    assert [c.title for c in document.figure_columns(counts=False, average=False)] == \
        ["Успеваемость, %", "Качество знаний, %", "СОУ, %"]
    assert document.figure_values(f, counts=False, average=False) == [Decimal("66.7"), Decimal("40.0"), Decimal("44.6")]
    overall = [c.title for c in document.figure_columns(overall=True, average=False)]
    assert overall[:5] == ["N", "Отличники", "Хорошисты", "С «3»", "С «2»"]
    assert [c.kind for c in document.figure_columns(students=True)] == ["int"] * 7 + ["pct"] * 3 + ["avg"]


def test_the_chart_has_a_narrow_drawing_for_phones():
    """Issue 15.10: beside the wide drawing (720 units, shrunk to half on a phone), a 360-unit one drawn at about
    its own size: letters of 12–14, the legend under the plot, at most five names under the axis."""
    months = ["Сентябрь 26", "Октябрь 26", "Ноябрь 26", "Декабрь 26", "Январь 27", "Февраль 27", "Март 27",
              "Апрель 27", "Май 27", "Июнь 27"]
    chart = document.Chart(title="Средний балл: ученик и класс", categories=months,
                           series=[("Учеников П. И.", [Decimal("4.5"), None, Decimal("3.75")] + [None] * 7),
                                   ("Класс (все предметы)", [Decimal("4")] * 10)], y_min=2, y_max=5)
    wide, narrow = str(chart_svg(chart)), str(chart_svg(chart, compact=True))
    assert 'class="report-chart report-chart-wide" viewBox="0 0 720 260"' in wide
    assert 'class="report-chart report-chart-compact" viewBox="0 0 360 ' in narrow
    assert min(int(size) for size in re.findall(r'font-size="(\d+)"', narrow)) >= 12
    axis = re.findall(r'text-anchor="middle">([^<]+)</text>', narrow)
    assert axis == ["Сен. 26", "Ноя. 26", "Янв. 27", "Март 27", "Май 27"]  # every other month, long names cut
    assert "<title>Учеников П. И. (Ноябрь 26): 3,75</title>" in narrow  # each point names its month in full
    legend = re.findall(r'<text x="22" y="(\d+)"[^>]*>([^<]+)</text>', narrow)
    assert [name for _, name in legend] == ["Учеников П. И.", "Класс (все предметы)"]
    height = int(re.search(r'viewBox="0 0 360 (\d+)"', narrow).group(1))
    assert all(int(y) < height for y, _ in legend)
    quarters = document.Chart(title="Т", categories=["1 четверть", "2 четверть", "3 четверть", "4 четверть"],
                              series=[("У", [Decimal(4)] * 4)])
    assert re.findall(r'text-anchor="middle">([^<]+)</text>', str(chart_svg(quarters, compact=True))) == [
        "1 четверть", "2 четверть", "3 четверть", "4 четверть"]  # they fit: said in full
