"""The builder's inputs: the entity, the columns ticked, the filter rows (`filter-<n>-column|op|value|value2`),
«в классе на дату», grouping, totals, sorting, the name and the shared flag. They become the definition
(a dict) that services/report_builder/definition.py checks; nothing here decides what is allowed."""
from services.params import parse_int

from admin_views.forms import IdField, IntField, PageForm, TextField, TextListField

MAX_FILTER_ROWS = 20


class BuilderForm(PageForm):
    entity = TextField(strip=True)
    shown_entity = TextField(strip=True)  # the entity the form was shown for: another one chosen starts afresh
    column = TextListField()
    group1 = TextField(strip=True)
    group2 = TextField(strip=True)
    aggregate = TextListField()
    sort1 = TextField(strip=True)
    sort2 = TextField(strip=True)
    sort1_desc = TextField()
    sort2_desc = TextField()
    class_on_class = TextField(strip=True)
    class_on_date = TextField(strip=True)
    name = TextField(strip=True)
    shared = TextField()
    version = TextField()
    run = TextField()
    save = TextField()
    xlsx = TextField()
    add_filter = TextField()
    page = IntField(low=1, high=1000)

    def filters(self):
        """The filter rows with a column chosen, in the order of their numbers."""
        rows = {}
        for rest, value in self.named("filter-"):
            number, _, part = rest.partition("-")
            n = parse_int(number, low=0, high=999)
            if n is not None and part in ("column", "op", "value", "value2"):
                rows.setdefault(n, {})[part] = value
        return [rows[n] for n in sorted(rows) if rows[n].get("column")][:MAX_FILTER_ROWS + 1]

    def action(self):
        """The button pressed: «Сохранить», «Excel», «Добавить условие», «Показать» (a page of the table too);
        none — the entity was changed (the page is shown again)."""
        for name in ("save", "xlsx", "add_filter", "run"):
            if getattr(self, name).data:
                return name
        return "run" if self.page.data else "show"

    def definition(self):
        """The definition as sent (the service checks every part of it)."""
        filters = [{"column": f.get("column"), "op": f.get("op") or "", "value": f.get("value") or "",
                    "value2": f.get("value2") or ""} for f in self.filters() if f.get("column") != "class_on"]
        if self.class_on_class.data or self.class_on_date.data:
            filters.append({"column": "class_on", "op": "in_class_on", "value": self.class_on_class.data or "",
                            "value2": self.class_on_date.data or ""})
        sort = [{"column": key, "desc": bool(desc)} for key, desc in (
            (self.sort1.data, self.sort1_desc.data), (self.sort2.data, self.sort2_desc.data)) if key]
        return {"entity": self.entity.data or "", "columns": list(self.column.data or []), "filters": filters,
                "group_by": [g for g in (self.group1.data, self.group2.data) if g],
                "aggregates": list(self.aggregate.data or []), "sort": sort}


class RunQuery(PageForm):
    page = IntField(low=1, high=1000)
    format = TextField(strip=True)
    source = IdField()  # «Открыть в конструкторе»: a saved report copied into a new one
