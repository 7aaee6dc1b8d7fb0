"""Planning domain: subjects, educational areas, teaching assignments and subgroups (`subjects`), the
curriculum (`curriculum`) and the calendar-thematic plans, КТП (`ktp`).
"""
