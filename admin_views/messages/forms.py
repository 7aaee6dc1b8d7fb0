"""The mail pages' inputs."""
from admin_views.forms import IdField, IdListField, IntField, PageForm, TextField, TextListField


class FolderQuery(PageForm):
    folder = TextField()
    q = TextField(strip=True)
    page = IntField(low=1, high=100_000)


class ComposeQuery(PageForm):
    draft = IdField()
    forward = IdField()
    to = IdField()


class ComposeForm(PageForm):
    to = IdListField()
    groups = TextListField()
    subject = TextField()
    body = TextField()
    is_question = TextField()
    action = TextField()
    draft = IdField()
    forward = IdField()


class ReplyForm(PageForm):
    body = TextField()
