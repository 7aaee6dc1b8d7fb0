"""The product's import graph (tests/import_graph.py): no cycles, the layers, private modules, the demo data.

Nothing is excepted: a new cycle, layer violation, private import or demo import fails at once.
"""
import textwrap

import pytest

from tests import import_graph


@pytest.fixture(scope="module")
def edges():
    return import_graph.imports()


def test_the_graph_is_read(edges):
    modules = import_graph.product_modules()
    assert {"app", "models", "services.clock", "services.journal.grid_save", "admin_views.base",
            "reports.registry"} <= set(modules)
    sources = {e.source for e in edges}
    assert {"app", "services.journal.grid_save", "admin_views.journal.grid", "reports.registry"} <= sources
    # imports inside functions count (app.py's demo-data command imports the demo data there)
    assert any(e.source == "app" and e.function and e.target.startswith("services.demo.") for e in edges)


def test_no_import_cycles(edges):
    """No cycle, not even one hidden by an import inside a function (issue 14 removed the five there were:
    models ↔ models/__init__, the report registry ↔ the report modules, control ↔ rollover, curriculum ↔
    subjects, the timetable ↔ the exams)."""
    found = import_graph.cycles(edges)
    assert not found, "import cycles:\n" + "\n".join(
        " -> ".join(cycle) + "\n" + "\n".join(f"    {step}" for step in steps) for _, cycle, steps in found)


def test_models_and_services_never_import_views_or_reports(edges):
    assert not [str(e) for e in import_graph.layer_violations(edges)]


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
