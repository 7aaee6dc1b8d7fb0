"""Journal domain: the grid's writes — the grid of one assignment saved (`grid_save`) from its payload parsed
once (`payload`), its lean path for a teacher's marks on existing tasks (`marks_save`: the checks in one
statement, one conditional UPDATE per batch), period, year, exam and final marks (`period_marks`), closing and
reopening periods (`periods`), absence reasons (`absences`), a cell's history (`history`), who writes what and
which values (`policy`), the rules on every flush (`rules`); its read models — the grid of one teaching
assignment and the journal's index (`grid`), the class teacher's summary and the absences he explains
(`summary`), the diary (`diary`), the start page's journal (`today`: a teacher's lessons of a day, a student's
new marks and next day's homework); the figures of SPEC §4, the weighted average and the suggested mark
(`figures`); the dictionaries of task types and attendance codes (`dictionaries`); final marks and exam
results (`finals`).
"""
