"""The inputs of the people domain's hand-made pages (admin_views/forms.py)."""
from admin_views.forms import PageForm, TextField


class DataRequestForm(PageForm):
    """«Новый запрос»: whose card («parent-<id>» or «student-<id>»), which field, the value proposed, a comment
    (the scan is a file input, read by services/uploads.py)."""

    card = TextField(strip=True)
    field = TextField(strip=True)
    proposed = TextField()
    comment = TextField()

    def card_kind_and_id(self):
        kind, _, card_id = (self.card.data or "").partition("-")
        return kind, card_id


class DataRequestAnswerForm(PageForm):
    """A request's answer: «apply» (with the value to write, the proposed one unless corrected) or «refuse»
    (with the reason); the version of the request the page showed."""

    do = TextField(strip=True)
    value = TextField()
    answer = TextField()
    version = TextField()
