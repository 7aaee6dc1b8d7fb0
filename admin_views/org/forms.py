"""The inputs of the organization domain's hand-made pages (admin_views/forms.py)."""
from admin_views.forms import IdField, PageForm, TextField


class OrgAdminForm(PageForm):
    """The first administrator of an organization (?id=): his name and sex."""

    id = IdField(source="values")
    last_name = TextField()
    first_name = TextField()
    middle_name = TextField()
    sex = TextField()


class ReopenForm(PageForm):
    """Reopening periods: their ids (?ids=1,2, or in the form) and the reason."""

    ids = TextField(source="values")
    reason = TextField()

    def period_ids(self):
        """The ids as sent (each read by `get_one_for`), empty ones skipped."""
        return [i for i in (self.ids.data or "").split(",") if i.strip()]


class CloseForm(PageForm):
    """Closing periods: their ids (?ids=1,2, or in the form) and, for each period that needs it, its name
    typed as the confirmation (`confirm-<id>`)."""

    ids = TextField(source="values")

    def period_ids(self):
        """The ids as sent (each read by `get_one_for`), empty ones skipped."""
        return [i for i in (self.ids.data or "").split(",") if i.strip()]

    def confirmation(self, period_id):
        """The text typed to confirm closing the period `period_id`."""
        return self.value(f"confirm-{period_id}") or ""
