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


# The kinds, in the page's order. A kind's module does not import this package (that would be a cycle in
# the import graph): it is registered here, one line each.
from services.imports.students import StudentsImporter  # noqa: E402

register(StudentsImporter)
