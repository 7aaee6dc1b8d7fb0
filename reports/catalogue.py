"""Every module that registers reports (reports/registry.py `@report`). create_app() imports it, so the
registry is complete in every request, command and test; nothing else imports the report modules for it."""
from reports import (activity_reports, class_reports, portfolio_reports, school_reports, student_reports,  # noqa: F401
                     teacher_reports)  # noqa: F401
