"""The inputs of the planning domain's hand-made pages (admin_views/forms.py)."""
from flask import abort

from admin_views.forms import IdField, IntField, PageForm, TextField, TextListField
from services.params import parse_id, parse_int
from services.planning import curriculum as curricula
from services.planning import ktp


class YearQuery(PageForm):
    """The year chosen on a page (?year_id=)."""

    year_id = IdField()


class CurriculumLinesForm(PageForm):
    """«Предметы и часы» of a curriculum: the plan (?id=), what to do, the plan to copy from, the version
    the page showed, and the grid's lines (`lines`)."""

    id = IdField(source="values")
    do = TextField()
    source_id = IdField()
    version = TextField()

    def lines(self):
        """LineInputs from the grid: `line-<id>-<field>` for stored lines, `new-<n>-<field>` for new."""
        form, rows = self.formdata, {}
        for key in form:
            parts = key.split("-")
            n = parse_int(parts[1], low=0) if len(parts) == 3 and parts[0] in ("line", "new") else None
            if n is not None:
                rows.setdefault((parts[0], n), {})[parts[2]] = form.get(key)
        result = []
        for (kind, n), values in sorted(rows.items()):
            item = curricula.LineInput(
                id=n if kind == "line" else None,
                component=values.get("component") or None,
                hours_per_week=values.get("hours"), period1_hours=values.get("p1"), period2_hours=values.get("p2"),
                delete=values.get("delete") in ("1", "on", "y"), key=f"{kind}-{n}")
            if kind == "new":
                item.subject_id = parse_id(values.get("subject"))
            result.append(item)
        return result


    INPUTS = {"subject_id": "subject", "component": "component", "hours_per_week": "hours",
              "period1_hours": "p1", "period2_hours": "p2"}

    @classmethod
    def input_name(cls, field):
        """The input of a save_lines error `(row key, attribute)`: `new-0-hours`."""
        if isinstance(field, tuple) and field[0] is not None and field[1] in cls.INPUTS:
            return f"{field[0]}-{cls.INPUTS[field[1]]}"
        return None


class TopicsForm(PageForm):
    """A КТП's topics: the plan (?id=), what to do, the classes to attach it to, the version the page
    showed, the topics typed (`topics`), and how many empty rows to show (?extra=)."""

    id = IdField(source="values")
    do = TextField()
    assignment = TextListField()
    version = TextField()
    extra = IntField(source="args")

    def topics(self):
        """TopicInputs from the topics form (`title-<n>`, `hours-<n>` …), in row order; empty rows skipped."""
        form = self.formdata
        numbers = sorted({n for n in (parse_int(k[6:], low=0) for k in form if k.startswith("title-"))
                          if n is not None})
        inputs = []
        for shown, n in enumerate(numbers, start=1):
            values = {f: (form.get(f"{f}-{n}") or "").strip() for f in ("section", "title", "hours", "homework")}
            if not any(values.values()):
                continue
            inputs.append(ktp.TopicInput(row=f"Строка {shown}", title=values["title"], hours=values["hours"],
                                         section=values["section"], homework=values["homework"], key=n))
        return inputs

    @staticmethod
    def input_name(field):
        """The input of a save_topics error `(row number, field)`: `hours-3`."""
        if isinstance(field, tuple) and field[0] is not None:
            return f"{field[1]}-{field[0]}"
        return None


class SubgroupForm(PageForm):
    """«Подгруппы»: the class and subject (each, or as ?pair=<class>:<subject>) and the period; what to do,
    how many subgroups to make, which to delete, and who is in which (`members`)."""

    class_id = IdField(source="values")
    subject_id = IdField(source="values")
    pair = TextField(source="args")
    period_id = IdField(source="values")
    do = TextField()
    count = IntField()
    subgroup_id = IdField()

    def pair_ids(self):
        """The ids of ?pair=, None without one; 404 when it is not two ids."""
        pair = self.pair.data
        if not pair:
            return None
        ids = [parse_id(p) for p in pair.split(":")]
        if len(ids) != 2 or None in ids:
            abort(404)
        return ids

    def members(self):
        """{student id: [subgroup ids as sent]} of the inputs member-<student id>."""
        choice = {}
        for key in self.formdata:
            student_id = parse_id(key[7:]) if key.startswith("member-") else None
            if student_id is not None:
                choice[student_id] = self.formdata.getlist(key)
        return choice


class KtpControlQuery(PageForm):
    """«Контроль КТП»: every assignment (?all=1) or only those with a problem."""

    all = TextField()
