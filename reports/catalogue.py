"""Every module that registers reports (reports/registry.py `@report`), imported once by `load_all`."""
from reports import class_reports, school_reports, student_reports, teacher_reports  # noqa: F401
