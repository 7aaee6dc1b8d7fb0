"""Journal domain: the grid's writes — marks, attendance, topics, period marks, absence reasons, closing
periods, a cell's history (`writes`); its read models — the grid of one teaching assignment and the
journal's index (`grid`), the class teacher's summary and the absences he explains (`summary`), the
diary (`diary`); the figures of SPEC §4, the weighted average and the suggested mark (`figures`); the
dictionaries of task types and attendance codes (`dictionaries`); final marks and exam results (`finals`).
"""
