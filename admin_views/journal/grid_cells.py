"""The grid's cells as HTML: the presenter of the grid read model (services/journal/grid.py `Grid`) for
templates/journal/grid.html. Each cell's state (its own input or read-only, greyed outside his dates,
debt, comment, history link) is decided once here and the markup static/journal.js reads is built with
every value escaped — the template's per-cell work was most of the page's time (issue 7).

A read-only cell says why (issue 15.6), by its class: `out` — a day the student was not in the class
(not yet enrolled, or already left; its tooltip says so); `lk` — his marks a set period (year, final)
mark closes to the teacher (the row's lock icon gives the reason); `nf` — a lesson not given yet (dated
after today), with the tooltip «урок ещё не проведён».

A mark a student or a parent flagged as wrong (issue 16.4, an open flag) has the class `flagged` (a small
marker, static/journal.css) and its cell says «Отметка ошибочна?» with the flagger's comment in its tooltip.
"""
from markupsafe import Markup, escape

from services.journal.policy import NOT_GIVEN
from services.terms import term

DEBT_PLACEHOLDER = ' placeholder="."'
NOT_GIVEN_TITLE = f' title="{NOT_GIVEN}"'


def body(grid, columns, today):
    """[(row, Markup of the row's cells)] for templates/journal/grid.html, in the order of `columns`
    (admin_views/journal/grid.py `_columns`)."""
    lesson_state = {}
    cols = []
    for c in columns:
        lesson = c.lesson
        state = lesson_state.get(lesson.id)
        if state is None:  # (marks and attendance editable, not given yet)
            state = lesson_state[lesson.id] = (grid.entries_editable(lesson), grid.not_given(lesson))
        editable, future = state
        task = c.task
        if c.kind == "att":
            cols.append((True, lesson.date, editable, str(c.index), lesson.id, False, "", future))
        else:
            saved = task.id is not None
            cols.append((False, lesson.date, editable, str(c.index), task.key, saved and task.is_mandatory,
                         f' data-history="{task.id}:' if saved and grid.can_history else "", future))
    escaped = _EscapedValues()
    out = f' title="не в составе {term("class_gen")} {escape(grid.klass.name)} в этот день"'
    return [(row, _row_cells(grid, row, cols, today, escaped, out)) for row in grid.rows]


def _row_cells(grid, row, cols, today, escaped, out_title):
    withdrawn = row.withdrawn
    writes = grid.can_write  # cell_editable(), less the dates: his cells within his stay, whatever his status
    marks_ok = writes and not grid.no_marks and (grid.correcting or not row.marks_locked)
    locked = " lk" if writes and not grid.no_marks and not marks_ok else ""  # closed by his period mark
    marks, attendance, flags = row.marks, row.attendance, row.flags
    history_end = f'{row.student_id}"'
    covered = {}
    out = []
    add = out.append
    for is_att, day, editable, index, ref, mandatory, history, future in cols:
        covers = covered.get(day)
        if covers is None:
            covers = covered[day] = row.covers(day)
        if is_att:
            cell = attendance.get(ref)
            if editable and writes and covers:
                if cell is None:
                    add(f'<td class="ja"><input class="jc a" data-col="{index}"></td>')
                else:
                    add(f'<td class="ja"><input class="jc a" data-col="{index}" data-v="{cell.version}" '
                        f'value="{escaped[cell.value]}"></td>')
            elif not covers:
                add(f'<td class="ja ro out"{out_title}>{escaped[cell.value] if cell else ""}</td>')
            elif future:
                add(f'<td class="ja ro nf"{NOT_GIVEN_TITLE}>{escaped[cell.value] if cell else ""}</td>')
            else:
                add(f'<td class="ja ro">{escaped[cell.value] if cell else ""}</td>')
            continue
        cell = marks.get(ref)
        value = cell.value if cell is not None else ""
        comment = cell.comment if cell is not None else ""
        debt = mandatory and not value and day <= today and not withdrawn and covers
        flagged = flags.get(ref) if flags else None
        if flagged:
            add(_flagged_cell(cell, value, comment, flagged, escaped, editable and marks_ok and covers, index,
                               history + history_end if history else ""))
            continue
        if editable and marks_ok and covers:
            if cell is None:
                attrs = ""
            elif comment:
                comment = escape(comment)
                attrs = (f' data-v="{cell.version}" value="{escaped[value]}" data-c="{comment}"'
                         f' title="{comment}"')
            else:
                attrs = f' data-v="{cell.version}" value="{escaped[value]}"'
            add(f'<td class="jm{" has-comment" if comment else ""}"><input class="jc m" data-col="{index}"'
                f'{attrs}{DEBT_PLACEHOLDER if debt else ""}></td>')
        else:
            title = f' title="{escape(comment)}"' if comment else \
                (out_title if not covers else NOT_GIVEN_TITLE if future else "")
            state = " out" if not covers else (" nf" if future else locked)
            add(f'<td class="jm ro{state}{" has-comment" if comment else ""}'
                f'{" debt" if debt else ""}"{title}{history + history_end if history else ""}>'
                f'{escaped[value] if value else ("." if debt else "")}</td>')
    return Markup("".join(out))


def _flagged_cell(cell, value, comment, flagged, escaped, editable, index, history):
    """A mark with an open «отметка ошибочна»: the marker and the flaggers' comments in the tooltip (the
    input stays the grid's own, so the teacher corrects the mark by the normal save)."""
    tip = "Отметка ошибочна? " + " / ".join(flagged) + (f" (комментарий к отметке: {comment})" if comment else "")
    tip = escape(tip)
    if editable:
        attrs = f' data-v="{cell.version}" value="{escaped[value]}"' if cell is not None else ""
        if cell is not None and comment:
            attrs += f' data-c="{escape(comment)}"'
        return (f'<td class="jm flagged" title="{tip}"><input class="jc m" data-col="{index}"{attrs}'
                f' title="{tip}"></td>')
    return f'<td class="jm ro flagged" title="{tip}"{history}>{escaped[value] if value else ""}</td>'


class _EscapedValues(dict):
    """Marks and attendance codes are a handful of distinct short strings: each escaped once."""

    def __missing__(self, value):
        text = self[value] = str(escape(value))
        return text
