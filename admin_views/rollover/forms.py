"""The inputs of the rollover domain's hand-made pages (admin_views/forms.py)."""
from admin_views.forms import IdField, PageForm, TextField


class YearQuery(PageForm):
    """The year chosen on a page (?year_id=)."""

    year_id = IdField()


class StepForm(PageForm):
    """A step of the wizard: «закрыть год» confirmed by the year's name typed, and the reason of a close
    before the year's end; the transfer order's number and date (typed in the form, or shown again from
    the query string after a refusal)."""

    confirm = TextField()
    reason = TextField()
    order_number = TextField()
    order_date = TextField()


class SemesterForm(PageForm):
    """The transfer between semesters: close the previous one too."""

    close_previous = TextField()
