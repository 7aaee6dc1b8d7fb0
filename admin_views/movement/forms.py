"""The inputs of the movement book's hand-made pages (admin_views/forms.py)."""
from admin_views.forms import DateField, IdField, IdListField, PageForm, TextField
from services.movement import enrollment


class OrderItemsForm(PageForm):
    """«Ученики приказа»: the order (?id=); what to do; the students to add, the class they go to, the
    reason, destination and note; the line to remove or move (`item_id`) and the order kind it moves to;
    whether the entries after the date move with the student."""

    id = IdField(source="values")
    do = TextField()
    student_id = IdListField()
    to_class_id = IdField()
    reason = TextField()
    destination = TextField()
    note = TextField()
    item_id = IdField()
    kind = TextField()
    entries = TextField()


class CardForm(PageForm):
    """A new student's card in an enrollment order: the order (?id=) and the card's line (?item_id=), the
    card's fields (enrollment.CARD_FIELDS, `card`), the class, the version shown, «сохранить и добавить ещё»."""

    id = IdField(source="values")
    item_id = IdField(source="values")
    to_class_id = IdField()
    version = TextField()
    another = TextField()

    def card(self):
        """{field: text as typed} of every field of the card."""
        return {name: self[name].data or "" for name in enrollment.CARD_KEYS}


for _name, _label, _kind in enrollment.CARD_FIELDS:
    setattr(CardForm, _name, TextField(_label))


class YearTransferForm(PageForm):
    """«Перевод на следующий год»: the year, the classes, the order's number and date, the final grades
    (graduates) and the year the classes move to; in the query string or the form."""

    year_id = IdField()
    class_id = IdListField()
    number = TextField()
    order_date = TextField()
    final = TextField()
    next_year_id = IdField()


class FileQuery(PageForm):
    """A report page's ?format=xlsx."""

    format = TextField()


class ClassFillQuery(PageForm):
    """«Наполняемость классов» on a date."""

    date = DateField("Дата", strip=True)


class MovementReportQuery(PageForm):
    """«Движение учащихся» over a range of dates."""

    start = DateField("Дата", strip=True)
    end = DateField("Дата", strip=True)
