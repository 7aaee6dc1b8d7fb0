"""Every module that registers reports (reports/registry.py `@report`). create_app() imports it, so the
registry is complete in every request, command and test; nothing else imports the report modules for it."""
from reports import (activity_reports, class_reports, journal_work_reports, oo1, portfolio_reports,  # noqa: F401
                     school_reports, student_reports, teacher_reports)
