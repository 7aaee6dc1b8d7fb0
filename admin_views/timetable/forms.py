"""The inputs of the timetable's hand-made pages (admin_views/forms.py)."""
from admin_views.forms import DateField, IdField, IdListField, IntField, PageForm, TextField, TextListField
from services.errors import DomainError
from services.params import parse_id, parse_int


class TimetableQuery(PageForm):
    """«Расписание уроков»: whose timetable (`by`, `id`), which week or the week's template, the file."""

    by = TextField()
    id = IdField()
    template = TextField()
    week = DateField("Неделя")
    format = TextField()


class WeekGridForm(PageForm):
    """«Составление расписания»: the class (in the query string or the form); its week: the shift, the
    version token of the week shown and the cells, inputs c-<day>-<number>-<i>-a (the teaching
    assignment) and c-…-r (the room)."""

    class_id = IdField(source="values")
    shift = TextField()
    shift_number = IntField(high=2, name="shift")
    week = TextField()

    def cells(self):
        """[(weekday, number, assignment_id, room_id)]; DomainError on a malformed input."""
        cells = []
        for rest, value in self.named("c-"):
            parts = ["c", *rest.split("-")]
            if len(parts) != 5 or parts[4] != "a" or not value:
                continue
            day, number, slot = (parse_int(p, low=0) for p in parts[1:4])
            assignment_id = parse_id(value)
            room = self.value(f"c-{parts[1]}-{parts[2]}-{parts[3]}-r") or ""
            room_id = parse_id(room) if room else None
            if None in (day, number, slot, assignment_id) or room and room_id is None:
                raise DomainError("Расписание не сохранено: неверные данные формы.")
            cells.append((day, number, assignment_id, room_id))
        return cells

    @staticmethod
    def mark(field):
        """The name a cell's select is marked by (templates/timetable/grid.html) for a save_class_week error
        `("cell" | "room", weekday, number, assignment_id)`: `cell-1-2-17`."""
        return "-".join(str(part) for part in field) if isinstance(field, tuple) else None

    def safe_cells(self):
        """The cells as typed, to show the grid again after a refusal (none when malformed)."""
        try:
            return self.cells()
        except DomainError:
            return []


class LessonsForm(PageForm):
    """«Сформировать уроки»: the period (in the query string or the form); what to do, from which date,
    for which classes; the lessons kept outside the timetable."""

    period_id = IdField(source="values")
    do = TextField()
    start = DateField("Дата «с»", strip=True)
    class_id = IdListField()
    lesson_id = TextListField()
