"""The inputs of the portfolio's pages (admin_views/forms.py)."""
from admin_views.forms import DateField, IdField, PageForm, TextField
from services.errors import DomainError
from services.portfolio.entries import EntryInput


class EntryForm(PageForm):
    """A new or edited entry; its file is the upload «file» (services/uploads.read_upload)."""

    kind = TextField("Вид")
    title = TextField("Название")
    level = TextField("Уровень")
    event_date = DateField("Дата", strip=True)
    place = TextField("Результат")
    result = TextField("Результат (подробно)")
    subject_id = IdField()
    version = TextField()
    drop_file = TextField()

    def entry(self):
        """The service's input; a date that is no date is the DomainError of its field."""
        try:
            day = self.event_date.data
        except DomainError as exc:
            raise DomainError(f"Запись портфолио не сохранена: {exc}", fields={"event_date": str(exc)}) from None
        return EntryInput(kind=self.kind.data or "", title=self.title.data or "", level=self.level.data or "",
                          event_date=day, place=self.place.data or "", result=self.result.data or "",
                          subject_id=self.subject_id.data)


class DecideForm(PageForm):
    """The class teacher's answer to a proposal: «confirm», or «reject» with a reason."""

    action = TextField()
    reason = TextField("Причина")
    version = TextField()


class ClassQuery(PageForm):
    class_id = IdField()
