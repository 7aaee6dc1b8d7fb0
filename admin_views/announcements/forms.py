"""The inputs of the announcements' pages (admin_views/forms.py)."""
from admin_views.forms import DateField, IdField, IdListField, IntField, PageForm, TextField
from services.announcements.board import AnnouncementInput


class AnnouncementForm(PageForm):
    """A new or edited announcement; its attachments are the uploads «file» (several) (services/uploads.read_upload)."""

    title = TextField("Заголовок")
    body = TextField("Текст")
    audience = TextField("Кому")
    grade = IntField("Параллель", low=1, high=11)
    class_id = IdField()
    publish_date = DateField("Дата публикации", strip=True)
    end_date = DateField("Показывать по", strip=True)
    version = TextField()
    drop_file = TextField()  # remove every attachment (kept for old forms and direct POSTs)
    drop = IdListField()  # the attachments (StoredFile ids) ticked «удалить»
    action = TextField()  # withdraw: "restore" publishes again

    def announcement(self):
        """The service's input; a date that is no date is the DomainError of its field."""
        return AnnouncementInput(title=self.title.data or "", body=self.body.data or "",
                                 audience=self.audience.data or "", grade=self.grade.data,
                                 class_id=self.class_id.data, publish_date=self.publish_date.data,
                                 end_date=self.end_date.data)
