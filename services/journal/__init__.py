"""Journal domain: the grid's writes — the grid of one assignment saved (`grid_save`) from its payload
parsed once (`payload`), period, year, exam and final marks (`period_marks`), closing and reopening
periods (`periods`), absence reasons (`absences`), a cell's history (`history`), who writes what and
which values (`policy`), the rules on every flush (`rules`); its reads — the grid, a class's summary,
the diary (`reads`); the dictionaries of task types and attendance codes (`dictionaries`); final marks
and exam results (`finals`).
"""
