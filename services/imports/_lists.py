"""What the imports of lists (staff, classes, subjects, the curriculum) share: the permission a kind needs,
the current academic year, a name looked up among the organization's rows loaded once, the messages of a
card's own rules put on the file's columns."""
from contextlib import contextmanager

from models import db
from services import permissions
from services.errors import DomainError, PermissionDenied, taken_is_refused
from services.imports.core import norm
from services.org.years import current_year


def require(actor, resource, *verbs):
    """The import writes rows of `resource`: the actor needs every verb (create, edit) of the permission table."""
    for verb in verbs:
        if not permissions.allowed(actor, resource, verb):
            raise PermissionDenied("Недостаточно прав для этого импорта")


def year_of(actor):
    """The organization's current academic year, open; a refusal of the whole file otherwise."""
    year = current_year(actor.org)
    if year is None:
        raise DomainError("В организации нет учебного года: сначала создайте его")
    if year.is_closed:
        raise DomainError(f"Учебный год {year.name} закрыт: его данные не меняются")
    return year


def person_names(card):
    """The comparison forms a staff member is found by: the full name and the short one («Иванов И. И.»)."""
    return {norm(card.full_name), norm(card.short_name), norm(card.short_name.replace(". ", "."))}


class Lookup:
    """Rows by the comparison form of their names (several names per row allowed); `find` tells one row,
    none or an ambiguity apart."""

    def __init__(self, rows=(), names=None):
        self.by_name = {}
        for row in rows:
            self.add(row, names(row) if names else {norm(str(row))})

    def add(self, row, keys):
        for key in keys:
            if key:
                bucket = self.by_name.setdefault(key, [])
                if row not in bucket:
                    bucket.append(row)

    def find(self, text):
        """(row, None) or (None, Russian message)."""
        found = self.by_name.get(norm(text), [])
        if len(found) == 1:
            return found[0], None
        if not found:
            return None, f"«{text}» — не найден(а)"
        return None, f"«{text}» — таких несколько: уточните"


def put_errors(preview, row, exc, columns, default=""):
    """A card's rules refused the row (DomainError with its details): each message on the column its words
    name (`columns`: [(words, Column)]), else on the row as a whole."""
    for message in (exc.errors or [str(exc)]):
        low = message.lower()
        column = next((col for words, col in columns if any(w in low for w in words)), default)
        preview.error(row, column, message)


@contextmanager
def writing(preview):
    """Around an apply's writes: a refusal of the rules at the flush (one the plan could not see), or a row
    another user has just written under the same key, becomes the preview's error (the caller then rolls
    everything back: services/imports/core.py run)."""
    try:
        with taken_is_refused("Файл не загружен", ["такую же запись только что создал другой пользователь: "
                                                   "проверьте файл ещё раз"]):
            yield
            db.session.flush()
    except DomainError as exc:
        preview.error(0, "", str(exc))
