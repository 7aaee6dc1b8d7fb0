"""Journal domain: the grid's writes — marks, attendance, topics, period marks, absence reasons, closing
periods, a cell's history (`writes`); its reads — the grid, a class's summary, the diary (`reads`); the
dictionaries of task types and attendance codes (`dictionaries`); final marks and exam results (`finals`).
"""
