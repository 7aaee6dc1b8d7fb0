"""The product's import graph (tests/import_graph.py): no cycles, the layers, private modules, the demo data.

What is wrong today is listed below, each item an xfail(strict=True) test of its own: it turns into a failure
(XPASS) the day it is fixed, so the list is kept true; anything new that is wrong fails at once.
"""
import textwrap

import pytest

from tests import import_graph

# The import cycles of today, by the modules of their strongly connected component, with why they are there.
KNOWN_CYCLES = {
    "models": ("models/__init__ creates `db` and then imports every model module, each of which imports `db` "
               "from the package",
               {"models", "models.audit", "models.dialect", "models.grading", "models.journal", "models.movement",
                "models.org", "models.people", "models.planning", "models.rollover", "models.study",
                "models.timetable"}),
    "reports": ("reports.base.load_all() imports reports.catalogue, which imports the report modules, which "
                "import reports.base",
                {"reports.base", "reports.catalogue", "reports.class_fill", "reports.class_reports",
                 "reports.movement", "reports.school_reports", "reports.student_reports",
                 "reports.teacher_reports"}),
    "control-rollover": ("services.control.deadlines imports services.rollover.year in _year(), which imports "
                         "services.control.deadlines in preview_check()",
                         {"services.control.deadlines", "services.rollover.year"}),
    "planning": ("services.planning.curriculum imports services.planning.subjects, which imports it back in "
                 "validate_assignment()",
                 {"services.planning.curriculum", "services.planning.subjects"}),
    "timetable": ("services.timetable.exams imports services.timetable.schedule, which imports it back at its "
                  "last line",
                  {"services.timetable.exams", "services.timetable.schedule"}),
}

# models/ or services/ importing admin_views/ or reports/ today: (importer, imported).
KNOWN_LAYER_VIOLATIONS = [
    ("services.demo.large", "reports.figures"),
    ("services.journal.finals", "reports.figures"),
    ("services.journal.reads", "reports.figures"),
    ("services.planning.ktp", "reports.ktp_template"),
]


@pytest.fixture(scope="module")
def edges():
    return import_graph.imports()


def test_the_graph_is_read(edges):
    modules = import_graph.product_modules()
    assert {"app", "models", "services.clock", "services.journal.writes", "admin_views.base",
            "reports.base"} <= set(modules)
    sources = {e.source for e in edges}
    assert {"app", "services.journal.writes", "admin_views.journal.grid", "reports.base"} <= sources
    # imports inside functions count (app.py's commands import their services there)
    assert any(e.source == "app" and e.function and e.target.startswith("services.") for e in edges)


def test_no_new_import_cycles(edges):
    known = [members for _, members in KNOWN_CYCLES.values()]
    new = [(component, cycle, steps) for component, cycle, steps in import_graph.cycles(edges)
           if not any(set(component) <= members for members in known)]
    assert not new, "new import cycles:\n" + "\n".join(
        " -> ".join(cycle) + "\n" + "\n".join(f"    {step}" for step in steps) for _, cycle, steps in new)


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=f"import cycle: {why}"))
    for name, (why, _) in KNOWN_CYCLES.items()])
def test_import_cycle_is_gone(edges, name):
    members = KNOWN_CYCLES[name][1]
    assert not [component for component, _, _ in import_graph.cycles(edges) if len(set(component) & members) > 1]


def test_no_new_layer_violations(edges):
    new = [str(e) for e in import_graph.layer_violations(edges)
           if (e.source, e.target) not in KNOWN_LAYER_VIOLATIONS]
    assert not new, "models/ or services/ importing admin_views/ or reports/:\n" + "\n".join(new)


@pytest.mark.parametrize("source,target", [
    pytest.param(source, target, marks=pytest.mark.xfail(strict=True, reason="services import reports"))
    for source, target in KNOWN_LAYER_VIOLATIONS])
def test_layer_violation_is_gone(edges, source, target):
    assert not [e for e in import_graph.layer_violations(edges) if (e.source, e.target) == (source, target)]


def test_private_modules_stay_in_their_package(edges):
    assert not [str(e) for e in import_graph.private_violations(edges)]


def test_demo_data_only_from_the_demo_data_command(edges):
    assert not [str(e) for e in import_graph.demo_violations(edges)]
    assert any(e.source == "app" and e.command == "demo-data" and e.target.startswith("services.demo.")
               for e in edges)


# The checker itself, on a made-up product.

def _tree(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_checker_finds_every_kind_of_problem(tmp_path):
    _tree(tmp_path, {
        "app.py": """
            import click
            from services.demo import school

            @app.cli.command("demo-data")
            def demo_data():
                from services.demo.school import create_demo

            @app.cli.command("other")
            def other():
                import services.demo.school
            """,
        "models/__init__.py": "db = None\n",
        "models/people.py": "from models import db\n",
        "services/__init__.py": "",
        "services/journal/__init__.py": "from . import writes\n",
        "services/journal/_grid.py": "from ..clock import now\n",
        "services/journal/writes.py": """
            from typing import TYPE_CHECKING
            from services.journal import _grid
            from reports.figures import average
            if TYPE_CHECKING:
                from admin_views.grid import Grid

            def save():
                from services.journal.reads import grid
            """,
        "services/journal/reads.py": "from services.journal.writes import save\n",
        "services/clock.py": "def now(): pass\n",
        "services/demo/__init__.py": "",
        "services/demo/school.py": "from services.journal import _grid\n",
        "admin_views/__init__.py": "",
        "admin_views/grid.py": "from services.journal._grid import x\nfrom services.journal import writes\n",
        "reports/__init__.py": "",
        "reports/figures.py": "from services import clock\n",
    })
    edges = import_graph.imports(tmp_path)
    pairs = {(e.source, e.target) for e in edges}
    assert ("services.journal._grid", "services.clock") in pairs  # relative import
    assert ("services.journal", "services.journal.writes") in pairs
    assert ("reports.figures", "services.clock") in pairs  # `from package import module`
    assert ("models.people", "models") in pairs  # `from package import name`

    [(component, cycle, steps)] = import_graph.cycles(edges)
    assert component == ["services.journal.reads", "services.journal.writes"]
    assert [s.function for s in steps] == [None, "save"]  # hidden in a function, found all the same
    assert [(e.source, e.target) for e in import_graph.layer_violations(edges)] == [
        ("services.journal.writes", "reports.figures"), ("services.journal.writes", "admin_views.grid")]
    assert [e.source for e in import_graph.private_violations(edges)] == ["services.demo.school", "admin_views.grid"]
    assert [(e.line, e.command) for e in import_graph.demo_violations(edges)] == [(3, None), (11, "other")]
    assert import_graph.report(edges)
