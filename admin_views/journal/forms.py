"""The inputs of the journal's hand-made pages (admin_views/forms.py); the grid's own save reads its JSON
payload elsewhere (admin_views/journal/grid.py `parse_payload`)."""
from flask import abort

from admin_views.forms import DateField, IdField, PageForm, TextField
from services.journal import finals
from services.params import date_error, parse_date, parse_id, parse_int


class DiaryQuery(PageForm):
    """The diary: whose (?student= on the chooser), which week, which period."""

    student = IdField()
    week = DateField("Неделя")
    period = IdField()


class FlagForm(PageForm):
    """«Отметка ошибочна?»: the flagger's comment."""

    comment = TextField("Комментарий", strip=True)


class FlagAnswerForm(PageForm):
    """The teacher's answer to a flag: «исправлено» or «оценка верна», with a comment."""

    verdict = TextField("Ответ", strip=True)
    comment = TextField("Комментарий", strip=True)


class HistoryQuery(PageForm):
    """A cell's history: the task and the student; as a fragment (the grid's pop-up) or a page."""

    task_id = IdField()
    student_id = IdField()
    fragment = TextField(source="args")


class AbsencesForm(PageForm):
    """«Причины пропусков»: the dates shown (the query string) and, per absence, the inputs code-<id>,
    note-<id>, doc-<id> (the document's date), orig-<id> (what the page showed) and v-<id> (its version)."""

    start = DateField("Начало", source="args")
    end = DateField("Конец", source="args")

    def version(self, attendance_id):
        return self.value(f"v-{attendance_id}")

    def changes(self):
        """The changed rows: (items for services.journal.writes.set_absence_reasons, {id: what was typed},
        {id: (typed…, the message)} of the rows refused here — a document date that is no date). An id
        that is not one is 404."""
        items, typed, failed = [], {}, {}
        form = self.formdata
        for key in form:
            if not key.startswith("code-"):
                continue
            attendance_id = parse_id(key[5:]) or abort(404)
            code = (form.get(key) or "").strip()
            note = (form.get(f"note-{attendance_id}") or "").strip()
            doc_raw = (form.get(f"doc-{attendance_id}") or "").strip()
            if f"{code}|{note}|{doc_raw}" == (form.get(f"orig-{attendance_id}") or ""):
                continue
            typed[attendance_id] = (code, note, doc_raw)
            document_date = parse_date(doc_raw)
            if doc_raw and document_date is None:
                failed[attendance_id] = (code, note, doc_raw, date_error(doc_raw, "Дата документа"))
                continue
            items.append({"attendance_id": attendance_id, "code": code, "note": note or None,
                          "document_date": document_date, "version": form.get(f"v-{attendance_id}") or ""})
        return items, typed, failed


    INPUTS = {"code": "code", "note": "note", "document_date": "doc"}

    @classmethod
    def input_name(cls, field):
        """The input of a set_absence_reasons error `(attendance id, field)`: `doc-17`."""
        if isinstance(field, tuple) and field[1] in cls.INPUTS:
            return f"{cls.INPUTS[field[1]]}-{field[0]}"
        return None


class FinalsForm(PageForm):
    """«Итоговые отметки» and an exam's results: every cell an input «<prefix><student id>:<key>» with the
    value the page showed beside it («o:…») and its version («v:…»); only the changed cells count."""

    def changed_cells(self, prefix=""):
        """[(student id, key, value, version)] of the inputs «<prefix><student id>:<key>» whose value
        differs from the original sent beside it («o:…»), the version from «v:…»."""
        form, cells = self.formdata, []
        for name, value in form.items():
            if name.startswith(("o:", "v:", "csrf")) or not name.startswith(prefix):
                continue
            student, _, key = name[len(prefix):].partition(":")
            student_id = parse_id(student)
            if student_id is None:
                continue
            if value.strip() == (form.get(f"o:{name}") or "").strip():
                continue
            version = form.get(f"v:{name}") or ""
            cells.append((student_id, key, value.strip(), parse_int(version, low=0)))
        return cells

    @staticmethod
    def sheet_input(field):
        """The sheet's input of a save_period_marks error `(student id, kind, period id)`: `17:p3`, `17:year`."""
        if not isinstance(field, tuple) or len(field) != 3:
            return None
        student_id, kind, period_id = field
        return f"{student_id}:p{period_id}" if kind == "period" else f"{student_id}:{kind}"

    @staticmethod
    def exam_input(student_id):
        """The exam sheet's input of a save_exam_results error (the student's id): `r:17:result`."""
        return f"r:{student_id}:result"

    def period_mark_items(self):
        """The sheet's changed cells as services.journal.writes.save_period_marks items."""
        items = []
        for student_id, key, value, version in self.changed_cells():
            if key.startswith("p") and parse_id(key[1:]) is not None:
                kind, period_id = "period", parse_id(key[1:])
            elif key in finals.FINAL_KINDS:
                kind, period_id = key, None
            else:
                continue
            items.append({"student_id": student_id, "kind": kind, "period_id": period_id, "value": value,
                          "version": version})
        return items


class LessonFilesForm(PageForm):
    """«Файлы урока»: what the files sent (input files, several) are attached to — the homework or the topic."""

    kind = TextField("К чему", strip=True)


class PaperRequestForm(PageForm):
    """«Заявления на бумажный отчёт»: a new request (the student, the parent who wrote it, its dates, a note)."""

    student_id = IdField()
    parent_id = IdField()
    requested_on = DateField("Дата заявления", strip=True)
    ends_on = DateField("Действует по", strip=True)
    note = TextField(strip=True)


class PaperRequestEndForm(PageForm):
    """A request's end (the parent withdrew it)."""

    ends_on = DateField("Дата окончания", strip=True)


class PaperWeekForm(PageForm):
    """The week to print: any day of it (its Monday by default)."""

    week = DateField("Неделя", strip=True)
