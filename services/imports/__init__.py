"""Imports and exports of lists, all or nothing (issue 17.1–17.2). The kernel is services/imports/core.py; each
kind is an Importer in its own module, listed here by its code (the URL's and the CLI's name)."""
from services.errors import DomainError

KINDS = {}  # code → Importer class, in the order the page lists them


def register(cls):
    KINDS[cls.code] = cls
    return cls


def get(code):
    """A fresh Importer of that kind (one per call of core.run), or a Russian refusal."""
    cls = KINDS.get(code)
    if cls is None:
        raise DomainError(f"Нет такого вида импорта: «{code}». Есть: " + ", ".join(KINDS))
    return cls()


# The kinds, in the page's order. A kind's module does not import this package (`from services.imports import
# register` in it is a cycle of the import graph, tests/import_graph.py): it is imported and registered here.
from services.imports.students import StudentsImporter  # noqa: E402
from services.imports.staff import StaffImport  # noqa: E402
from services.imports.classes import ClassesImport  # noqa: E402
from services.imports.subjects import SubjectsImport  # noqa: E402
from services.imports.curriculum import CurriculumImport  # noqa: E402

register(StudentsImporter)
register(StaffImport)
register(ClassesImport)
register(SubjectsImport)
register(CurriculumImport)
