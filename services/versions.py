"""A form saves over the record it was made from, or not at all (issue 12: no silent lost update).

A page puts the version of the record it shows into its form (models.org.Versioned); the save
hands it back to `claim()`. A version other than the record's is refused with a Russian message;
the right one is taken — the record's version is raised in the same transaction, with
`UPDATE … WHERE version = <the one read>` — so that of two saves made from the same version
only the first is written: the second matches no row and fails with StaleDataError, which the
views and the application's error handler show as the same message. Nothing is written over a
newer version, on SQLite or PostgreSQL, without any lock held while the user types.
"""
import hashlib

from services.errors import DomainError
from services.params import parse_int

STALE = ("Запись изменена другим пользователем, пока вы её редактировали: ничего не сохранено. "
         "Откройте её заново и внесите свои изменения ещё раз.")


class StaleEdit(DomainError):
    """The form was made from a version of the record that is no longer the current one."""

    def __init__(self, errors=None):
        super().__init__(STALE, errors)


def parse(raw):
    """The version a form sent back; None if it sent none or not a number."""
    text = str(raw).strip() if raw is not None else ""
    return parse_int(text, low=0)  # «²» or «١» is no version (str.isdigit says it is)


def fingerprint(rows):
    """A token of what a page shows when it has no single record to carry a version (a class's
    weekly timetable): it changes whenever any of the rows (tuples of their values) changes."""
    return hashlib.sha256(repr(sorted(rows)).encode()).hexdigest()[:20]


def check(token, current):
    """The form's token (fingerprint) against the current one, read under a lock by the caller."""
    if token != current:
        raise StaleEdit()


def claim(record, seen):
    """Refuse unless `record` is still at version `seen`; then take the next version for this save.

    `record` must have been read in this transaction (its UPDATE is checked against that read)."""
    seen = parse(seen)
    if seen is None or seen != record.version:
        raise StaleEdit()
    record.version = seen + 1
